import Foundation

/// A bounded pool of `Connection`s shared by many threads.
///
/// At most `maxConnections` are open; they are opened lazily. `withConnection` waits for a free one until
/// `checkoutTimeout` and then throws `.poolTimeout`: a caller never waits forever. A connection that is
/// broken (or left inside a transaction) when it comes back is closed and its slot freed, and an idle one
/// is checked for a dead socket before it is handed out, so after a Postgres restart the pool heals by
/// opening fresh connections (no `PQreset`).
///
/// ```swift
/// let pool = ConnectionPool(url: databaseURL, maxConnections: 10, checkoutTimeout: .seconds(2))
/// let order = try pool.transaction { connection in
///     let rows = try connection.query("SELECT id, status FROM orders WHERE id = $1 FOR UPDATE", [orderID])
///     guard let row = rows.first else { return nil as String? }
///     try connection.execute("UPDATE orders SET status = 'paid' WHERE id = $1", [orderID])
///     return try row.decode("status", as: String.self)
/// }
/// ```
///
/// Thread safety: all state is guarded by `lock`. A `Connection` is touched by one thread at a time: by
/// whoever holds the lock while it sits in `idle`, otherwise only by the one caller it was checked out to or
/// handed to. That is why `@unchecked Sendable`.
///
/// Hand-off: a connection (or a free slot) coming back while threads wait goes straight to the oldest
/// waiter, and only that waiter's semaphore is signalled: one wake-up per check-in, no thundering herd,
/// and nobody can barge past a waiter because the connection never reaches `idle` while one is waiting.
public final class ConnectionPool: @unchecked Sendable {
    /// What a waiter is handed: a connection to use, a slot to open one in, or the news that the pool closed.
    private enum Grant {
        case connection(Connection)
        case slot
        case closed
    }

    /// One thread waiting for a connection; `grant` is set (under the pool's lock) by whoever serves it.
    private final class Waiter {
        let semaphore = DispatchSemaphore(value: 0)
        var grant: Grant?
    }

    private let url: String
    private let maxConnections: Int
    private let checkoutTimeout: Duration
    private let lock = NSLock()
    private var idle: [Connection] = []
    /// Connections checked out plus slots granted for opening one.
    private var inUse = 0
    private var isClosed = false
    /// Threads waiting for a connection, oldest first.
    private var waiters: [Waiter] = []

    /// How many times `transaction` reruns a body that failed with 40001/40P01 before giving up.
    public let maxTransactionRetries: Int

    /// Makes a pool; no connection is opened until the first checkout.
    public init(
        url: String, maxConnections: Int, checkoutTimeout: Duration = .seconds(5), maxTransactionRetries: Int = 3
    ) {
        precondition(maxConnections >= 1, "a pool needs at least one connection")
        self.url = url
        self.maxConnections = maxConnections
        self.checkoutTimeout = checkoutTimeout
        self.maxTransactionRetries = maxTransactionRetries
    }

    deinit { idle.removeAll() }

    /// Runs `body` with a connection of its own and returns the connection to the pool afterwards.
    ///
    /// Throws `.poolTimeout` when none frees up in time, `.connectFailed` when a new one cannot be opened.
    /// If a *reused* connection turns out dead (`.connectionLost`) before any of `body`'s statements
    /// succeeded, `body` runs once more on a fresh connection: this is what makes the first request after a
    /// Postgres restart succeed. `body` should therefore do its side effects through the database (or be
    /// safe to repeat up to its first statement).
    @discardableResult
    public func withConnection<T>(_ body: (Connection) throws -> T) throws -> T {
        let deadline = ContinuousClock.now + checkoutTimeout
        var mayRetry = true
        while true {
            let (connection, reused) = try checkout(deadline: deadline)
            let before = connection.succeededStatements
            do {
                let value = try body(connection)
                checkin(connection)
                return value
            } catch let error as PostgresError
                where error.kind == .connectionLost && reused && mayRetry && connection.succeededStatements == before
            {
                checkin(connection)
                mayRetry = false
            } catch {
                checkin(connection)
                throw error
            }
        }
    }

    /// Runs `body` in a transaction on a pooled connection, rerunning the whole body (after a short jittered
    /// pause) when Postgres aborts it with a serialization failure (40001) or deadlock (40P01), at most
    /// `maxTransactionRetries` times. `body` must therefore be safe to rerun; errors `body` wraps in its own
    /// types are not retried.
    @discardableResult
    public func transaction<T>(_ body: (Connection) throws -> T) throws -> T {
        var attempt = 0
        while true {
            do {
                return try withConnection { connection in try connection.transaction(body) }
            } catch let error as PostgresError
                where (error.kind == .serializationFailure || error.kind == .deadlockDetected)
                && attempt < maxTransactionRetries
            {
                attempt += 1
                let base = 5_000 << attempt  // 10, 20, 40 ms …
                usleep(UInt32(base + Int.random(in: 0...base)))
            }
        }
    }

    /// Connections in use, idle in the pool, and the maximum, for metrics.
    public var stats: (inUse: Int, idle: Int, max: Int) {
        lock.withLock { (inUse, idle.count, maxConnections) }
    }

    /// Threads waiting for a connection right now: the pool's queue depth, for metrics (a steadily non-zero
    /// value means the pool or the database is the bottleneck).
    public var waitingCount: Int {
        lock.withLock { waiters.count }
    }

    /// Closes idle connections now and the others as they come back; later checkouts fail.
    public func close() {
        lock.lock()
        isClosed = true
        let closing = idle
        idle.removeAll()
        let waiting = waiters
        waiters.removeAll()
        for waiter in waiting { waiter.grant = .closed }
        lock.unlock()
        for waiter in waiting { waiter.semaphore.signal() }
        _ = closing  // released (PQfinish) here, outside the lock
    }

    /// Takes an idle live connection, or a free slot to open one in, waiting until `deadline`.
    ///
    /// Waiters are served first come, first served: a thread that finds others waiting queues behind them,
    /// and a returned connection goes to the head of the line (see `checkin`), so under overload nobody
    /// times out while later arrivals keep getting served.
    private func checkout(deadline: ContinuousClock.Instant) throws(PostgresError) -> (Connection, reused: Bool) {
        lock.lock()
        if isClosed {
            lock.unlock()
            throw Self.closedError
        }
        if waiters.isEmpty {
            if let connection = idle.popLast() {
                inUse += 1
                lock.unlock()
                return try ready(connection)
            }
            if inUse < maxConnections {
                inUse += 1
                lock.unlock()
                return try open()
            }
        }
        let waiter = Waiter()
        waiters.append(waiter)
        lock.unlock()

        let remaining = ContinuousClock.now.duration(to: deadline)
        let nanos = max(
            0, remaining.components.seconds * 1_000_000_000 + remaining.components.attoseconds / 1_000_000_000)
        _ = waiter.semaphore.wait(timeout: .now() + .nanoseconds(Int(clamping: nanos)))
        lock.lock()
        guard let grant = waiter.grant else {
            // Timed out, and nobody served us in the meantime: leave the line.
            if let i = waiters.firstIndex(where: { $0 === waiter }) { waiters.remove(at: i) }
            lock.unlock()
            throw PostgresError(
                .poolTimeout, detail: "no free connection within \(checkoutTimeout) (max \(maxConnections))")
        }
        lock.unlock()
        switch grant {
        case .connection(let connection): return try ready(connection)
        case .slot: return try open()
        case .closed: throw Self.closedError
        }
    }

    private static var closedError: PostgresError {
        PostgresError(.poolTimeout, description: "the database connection pool is closed")
    }

    /// A connection that is ours (its slot counted in `inUse`): itself when alive, else a fresh one in its slot.
    private func ready(_ connection: Connection) throws(PostgresError) -> (Connection, reused: Bool) {
        // Ours alone now, so checking it needs no lock; it costs a poll(2).
        if connection.isAlive() { return (connection, true) }
        return try open()
    }

    /// Opens a connection in a slot already counted in `inUse`; on failure the slot is passed on or freed.
    private func open() throws(PostgresError) -> (Connection, reused: Bool) {
        do {
            return (try Connection(url: url), false)
        } catch {
            releaseSlot()
            throw error
        }
    }

    /// Gives a slot (no connection in it) to the oldest waiter, or frees it.
    private func releaseSlot() {
        lock.lock()
        if !isClosed, !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            waiter.grant = .slot
            lock.unlock()
            waiter.semaphore.signal()
            return
        }
        inUse -= 1
        lock.unlock()
    }

    private func checkin(_ connection: Connection) {
        guard !connection.isBroken && !connection.discardWhenReturned && connection.isIdle else {
            releaseSlot()
            return  // `connection` is released (PQfinish) by the caller's scope, outside the lock
        }
        lock.lock()
        if isClosed {
            inUse -= 1
            lock.unlock()
            return
        }
        if !waiters.isEmpty {
            let waiter = waiters.removeFirst()
            waiter.grant = .connection(connection)
            lock.unlock()
            waiter.semaphore.signal()
            return
        }
        inUse -= 1
        idle.append(connection)
        lock.unlock()
    }
}
