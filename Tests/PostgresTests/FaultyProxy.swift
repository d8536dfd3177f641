import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A loopback TCP proxy in front of the test Postgres that can cut connections the way a network fault or a
/// server crash does, at a chosen moment: `cutExistingOnNextRequest()` makes every connection open now close
/// (both sides) as soon as its client sends anything, while connections opened later pass through. That
/// reaches the case `poll(2)` cannot see (an idle socket that looks fine but dies on use).
final class FaultyProxy: Sendable {
    let port: Int
    private let listener: Int32
    private let upstreamPort: Int
    private let state = Mutex<(generation: Int, cutBelow: Int, fds: Set<Int32>, stopped: Bool)>((0, 0, [], false))

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
        else { throw POSIXError(.EADDRNOTAVAIL) }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread { [self] in acceptLoop() }.start()
    }

    /// Every connection open now is cut when its client next sends data.
    func cutExistingOnNextRequest() {
        state.withLock { $0.cutBelow = $0.generation }
    }

    func stop() {
        let fds = state.withLock { s -> Set<Int32> in
            s.stopped = true
            return s.fds
        }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        for fd in fds {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                connect(
                    server, UnsafeRawPointer($0).assumingMemoryBound(to: sockaddr.self),
                    socklen_t(MemoryLayout<sockaddr_in>.size))
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            let generation = state.withLock { s -> Int in
                s.generation += 1
                s.fds.formUnion([client, server])
                return s.generation
            }
            Thread { [self] in pump(from: client, to: server, generation: generation, checkCut: true) }.start()
            Thread { [self] in pump(from: server, to: client, generation: generation, checkCut: false) }.start()
        }
    }

    private func pump(from source: Int32, to destination: Int32, generation: Int, checkCut: Bool) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            let cut = checkCut && state.withLock { generation <= $0.cutBelow || $0.stopped }
            if n <= 0 || cut {
                shutdown(source, Int32(SHUT_RDWR))
                shutdown(destination, Int32(SHUT_RDWR))
                return  // fds are closed by stop()
            }
            var offset = 0
            while offset < n {
                let written = buffer.withUnsafeBytes { write(destination, $0.baseAddress! + offset, n - offset) }
                if written <= 0 { return }
                offset += written
            }
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
