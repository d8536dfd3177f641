/// One connection's I/O state, owned by exactly one event loop thread.
final class Connection {
    let fd: Int32
    let id: UInt64
    let remoteAddress: String
    var machine: HTTPConnectionStateMachine
    /// Queued output and how much of it was sent.
    var output: [UInt8] = []
    var outputOffset = 0
    /// When the last byte left (or the output was queued); a peer that never reads is cut off.
    var lastWriteProgress: UInt64
    var registered: UInt32 = 0
    /// The state machine asked to close once the output is flushed.
    var closeRequested = false
    /// After the last response: write side shut, discarding input until EOF or this deadline, so the
    /// peer reads our final response instead of a reset.
    var lingerDeadline: UInt64?
    var lingerDiscarded = 0

    init(fd: Int32, id: UInt64, remoteAddress: String, machine: HTTPConnectionStateMachine, now: UInt64) {
        self.fd = fd
        self.id = id
        self.remoteAddress = remoteAddress
        self.machine = machine
        self.lastWriteProgress = now
    }

    var pendingOutput: Int { output.count - outputOffset }
}
