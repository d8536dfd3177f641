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
///     try connection.execute("UPDATE orders SET status = 'paid', updated_at = now() WHERE id = $1", [orderID])
///     return try row.decode("status", as: String.self)
/// }
/// ```
///
/// Thread safety: all state is guarded by `condition` (an `NSCondition`, whose lock also lets waiters sleep
/// until a slot frees). A `Connection` is touched by one thread at a time: by whoever holds the lock while it
/// sits in `idle`, otherwise only by the one caller that checked it out. That is why `@unchecked Sendable`.
public final class ConnectionPool: @unchecked Sendable {
    private let url: String
    private let maxConnections: Int
    private let checkoutTimeout: Duration
    private let condition = NSCondition()
    private var idle: [Connection] = []
    private var inUse = 0
    private var isClosed = false
    /// Tickets of the threads waiting for a connection, oldest first.
    private var waiters: [UInt64] = []
    private var nextTicket: UInt64 = 0

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
        condition.lock()
        defer { condition.unlock() }
        return (inUse, idle.count, maxConnections)
    }

    /// Threads waiting for a connection right now (tests use it to line waiters up).
    var waitingCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return waiters.count
    }

    /// Closes idle connections now and the others as they come back; later checkouts fail.
    public func close() {
        condition.lock()
        isClosed = true
        let closing = idle
        idle.removeAll()
        condition.broadcast()
        condition.unlock()
        _ = closing  // released (PQfinish) here, outside the lock
    }

    /// Takes an idle live connection, or a free slot to open one in, waiting until `deadline`.
    ///
    /// Waiters are served first come, first served: a thread that finds others waiting queues behind them
    /// instead of grabbing the connection that was just returned, so under overload nobody times out while
    /// later arrivals keep getting served.
    private func checkout(deadline: ContinuousClock.Instant) throws(PostgresError) -> (Connection, reused: Bool) {
        let wallDeadline = Date(timeIntervalSinceNow: Self.seconds(ContinuousClock.now.duration(to: deadline)))
        condition.lock()
        var ticket: UInt64? = nil
        func leaveLine() {
            if let ticket, let i = waiters.firstIndex(of: ticket) {
                waiters.remove(at: i)
                condition.broadcast()  // the next in line may go now
            }
            ticket = nil
        }
        defer {
            leaveLine()
            condition.unlock()
        }
        while true {
            if isClosed {
                throw PostgresError(.poolTimeout, description: "the database connection pool is closed")
            }
            let myTurn = ticket.map { waiters.first == $0 } ?? waiters.isEmpty
            if myTurn, let connection = idle.popLast() {
                // Checked under the lock, so the connection is never touched by two threads; it costs a poll(2).
                if connection.isAlive() {
                    inUse += 1
                    return (connection, true)
                }
                continue  // dropped: its slot is free now
            }
            if myTurn, inUse < maxConnections {
                inUse += 1
                leaveLine()  // the slot is ours; connecting may take a while, others need not wait behind it
                condition.unlock()
                let opened = Result { () throws(PostgresError) in try Connection(url: url) }
                condition.lock()
                switch opened {
                case .success(let connection):
                    return (connection, false)
                case .failure(let error):
                    inUse -= 1
                    condition.broadcast()
                    throw error
                }
            }
            if ticket == nil {
                nextTicket += 1
                ticket = nextTicket
                waiters.append(nextTicket)
            }
            if !condition.wait(until: wallDeadline) {
                throw PostgresError(
                    .poolTimeout, detail: "no free connection within \(checkoutTimeout) (max \(maxConnections))")
            }
        }
    }

    private func checkin(_ connection: Connection) {
        let keep = !connection.isBroken && !connection.discardWhenReturned && connection.isIdle
        condition.lock()
        inUse -= 1
        if keep && !isClosed { idle.append(connection) }
        condition.broadcast()  // wakes the waiter at the head of the line (at most `workers` threads wait)
        condition.unlock()
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
