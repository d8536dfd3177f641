import Foundation

/// A fixed set of worker threads and a bounded FIFO queue of jobs.
///
/// Why real threads: handlers block on libpq and on URLSession semaphores. Blocking the cooperative pool
/// of Swift concurrency or Dispatch's global queues starves unrelated work; a dedicated bounded pool
/// makes the capacity explicit, and a full queue is answered with 503 at once instead of growing.
///
/// `@unchecked Sendable`: all mutable state (`ring`, `head`, `count`, `stopping`) is only touched while
/// holding `condition`'s lock.
final class WorkerPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let condition = NSCondition()
    private var ring: [Job?]
    private var head = 0
    private var count = 0
    private var stopping = false
    /// Workers waiting for a job (guarded by `condition`).
    private var sleeping = 0
    private let threadCount: Int
    private let finished = DispatchGroup()

    /// A pool of `threads` workers (at least 1) with room for `queueLimit` waiting jobs.
    init(threads: Int, queueLimit: Int) {
        threadCount = max(1, threads)
        ring = Array(repeating: nil, count: max(1, queueLimit))
    }

    /// Starts the worker threads.
    func start(name: String) {
        for index in 0..<threadCount {
            finished.enter()
            let thread = Thread { [self] in
                self.work()
                self.finished.leave()
            }
            thread.name = "\(name)-worker-\(index)"
            // Handlers decode JSON and call libpq: give them a full-size stack (only touched pages count).
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// Enqueues `job`; false when the queue is full or the pool is stopping (the caller answers 503).
    func submit(_ job: @escaping Job) -> Bool {
        submit(batch: [job]) == 1
    }

    /// Enqueues a prefix of `batch` under one lock acquisition and returns how many were accepted (the
    /// rest did not fit: the caller answers them 503). Event loops submit everything one poll produced at
    /// once, which keeps the lock uncontended and wakes each sleeping worker at most once.
    func submit(batch: [Job]) -> Int {
        condition.lock()
        guard !stopping else {
            condition.unlock()
            return 0
        }
        var accepted = 0
        for job in batch {
            guard count < ring.count else { break }
            ring[(head + count) % ring.count] = job
            count += 1
            accepted += 1
        }
        let wake = min(accepted, sleeping)
        condition.unlock()
        // Signalled after unlocking so a woken worker does not immediately block on the lock we hold.
        for _ in 0..<wake { condition.signal() }
        return accepted
    }

    /// Jobs waiting for a worker.
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return count
    }

    /// Stops accepting jobs, drops the ones still queued, and waits up to `timeout` for running jobs to
    /// finish and the threads to exit. A handler stuck beyond that is left running (its thread exits
    /// when it returns) so that shutdown stays bounded; returns whether every thread exited.
    @discardableResult
    func stopAndJoin(timeout: Duration) -> Bool {
        condition.lock()
        stopping = true
        for i in 0..<ring.count { ring[i] = nil }
        count = 0
        condition.broadcast()
        condition.unlock()
        let (seconds, attoseconds) = timeout.components
        let nanos = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        return finished.wait(timeout: .now() + .nanoseconds(nanos)) == .success
    }

    private func work() {
        while true {
            condition.lock()
            while count == 0 && !stopping {
                sleeping += 1
                condition.wait()
                sleeping -= 1
            }
            if count == 0 && stopping {
                condition.unlock()
                return
            }
            let job = ring[head]!
            ring[head] = nil
            head = (head + 1) % ring.count
            count -= 1
            condition.unlock()
            job()
        }
    }
}
