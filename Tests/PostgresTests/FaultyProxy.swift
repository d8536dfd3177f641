import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP proxy in front of the test Postgres that can cut connections the way a network fault or a
/// server crash does, at a chosen moment: `cutExistingOnNextRequest()` makes every connection open now close
/// (both sides) as soon as its client sends anything, while connections opened later pass through. That
/// reaches the case `poll(2)` cannot see (an idle socket that looks fine but dies on use).
///
/// Descriptors are closed only by the last thread that uses them (a connection's second pump to stop, the
/// accept loop for the listener): a descriptor closed while another thread may still read it can be reused
/// at once by an unrelated socket of the same process (another test's Postgres connection), which that
/// thread would then read from or write to. `stop()` only shuts the sockets down, which wakes every blocked
/// `read`/`accept`, and waits until those threads are gone.
final class FaultyProxy: Sendable {
    private struct State {
        var generation = 0
        var cutBelow = 0
        /// Open connections: both descriptors and how many of their two pumps still run.
        var connections: [Int: (client: Int32, server: Int32, pumps: Int)] = [:]
        var stopped = false
        var acceptLoopRunning = true
    }

    let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let state = Mutex(State())

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = Self.loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard fd >= 0,
            withUnsafePointer(
                to: &address, { bind(fd, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self), length) })
                == 0,
            listen(fd, 64) == 0,
            withUnsafeMutablePointer(
                to: &address,
                {
                    getsockname(fd, UnsafeMutableRawPointer($0).assumingMemoryBound(to: sockaddr.self), &length)
                }) == 0
        else {
            if fd >= 0 { close(fd) }
            throw POSIXError(.EADDRNOTAVAIL)
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Every connection open now is cut when its client next sends data.
    func cutExistingOnNextRequest() {
        state.withLock { $0.cutBelow = $0.generation }
    }

    /// Stops accepting, cuts every connection and returns once no proxy thread touches a descriptor any
    /// more (bounded: 10 s, then it gives up waiting and leaves the descriptors open rather than racing).
    func stop() {
        state.withLock { s in
            s.stopped = true
            // Under the lock: a connection still listed is not closed yet, so its numbers are still ours.
            for connection in s.connections.values {
                shutdown(connection.client, Int32(SHUT_RDWR))  // wakes both pumps; the last one closes both
                shutdown(connection.server, Int32(SHUT_RDWR))
            }
        }
        shutdown(listener, Int32(SHUT_RDWR))  // wakes accept(); only this method closes the listener
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if state.withLock({ !$0.acceptLoopRunning && $0.connections.isEmpty }) {
                close(listener)
                return
            }
            usleep(1000)
        }
    }

    private func acceptLoop() {
        defer { state.withLock { $0.acceptLoopRunning = false } }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected =
                server >= 0
                && withUnsafePointer(to: &address) {
                    connect(
                        server, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self),
                        socklen_t(MemoryLayout<sockaddr_in>.size))
                } == 0
            let generation = state.withLock { s -> Int? in
                guard connected, !s.stopped else { return nil }
                s.generation += 1
                s.connections[s.generation] = (client, server, 2)
                return s.generation
            }
            guard let generation else {
                // No thread has seen these descriptors: closing them here cannot race.
                close(client)
                if server >= 0 { close(server) }
                if state.withLock({ $0.stopped }) { return }
                continue
            }
            Thread { [self] in pump(from: client, to: server, generation: generation, checkCut: true) }.start()
            Thread { [self] in pump(from: server, to: client, generation: generation, checkCut: false) }.start()
        }
    }

    private func pump(from source: Int32, to destination: Int32, generation: Int, checkCut: Bool) {
        defer { pumpStopped(generation) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            let cut = checkCut && state.withLock { generation <= $0.cutBelow || $0.stopped }
            if n <= 0 || cut { return }
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + offset, n - offset) }
                if written <= 0 { return }
                offset += written
            }
        }
    }

    /// One pump of connection `generation` ended: wake the other one (shutdown), and close both
    /// descriptors when it was the last.
    private func pumpStopped(_ generation: Int) {
        let closing = state.withLock { s -> (client: Int32, server: Int32)? in
            guard var connection = s.connections[generation] else { return nil }
            connection.pumps -= 1
            guard connection.pumps == 0 else {
                s.connections[generation] = connection
                shutdown(connection.client, Int32(SHUT_RDWR))  // under the lock, as in stop()
                shutdown(connection.server, Int32(SHUT_RDWR))
                return nil
            }
            s.connections[generation] = nil
            return (connection.client, connection.server)
        }
        if let closing {
            close(closing.client)
            close(closing.server)
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}
