import Dispatch
import Foundation
import Stripe

/// Webhook delivery: an ordered queue served by one background thread, retries with exponential
/// backoff (bounded attempts and total time), a fresh signature per attempt.
extension StripeSimulator {
    /// Schedules one delivery of `eventID` (held while holding). With `bypassQueue` the job is returned
    /// for the caller to run at once instead of being queued. Nil when no webhook URL is set.
    @discardableResult
    func enqueueDelivery(_ s: inout SimulatorState, eventID: String, bypassQueue: Bool = false)
        -> SimulatorState.DeliveryJob?
    {
        guard s.webhookURL != nil, var record = s.events[eventID] else { return nil }
        record.scheduledDeliveries += 1
        record.outstanding += 1
        let job = SimulatorState.DeliveryJob(
            eventID: eventID, delivery: record.scheduledDeliveries, attempt: 0,
            due: bypassQueue ? .now : .now + s.deliveryDelay, firstAttemptAt: nil,
            order: s.nextOrder)
        s.nextOrder += 1
        s.events[eventID] = record
        if bypassQueue {
            s.inFlight += 1
            return job
        }
        if s.holding {
            s.held.append(job)
        } else {
            s.queue.append(job)
        }
        return nil
    }

    /// The delivery thread: takes the due job generated first, runs one attempt, repeats; sleeps until the
    /// next retry is due or something is queued.
    func deliveryLoop() {
        while isRunning {
            let picked = state.withLock { s -> (SimulatorState.DeliveryJob?, ContinuousClock.Instant?) in
                let now = ContinuousClock.now
                var best: Int? = nil
                var nextDue: ContinuousClock.Instant? = nil
                for (i, job) in s.queue.enumerated() {
                    if job.due <= now {
                        if best == nil || job.order < s.queue[best!].order { best = i }
                    } else if nextDue == nil || job.due < nextDue! {
                        nextDue = job.due
                    }
                }
                guard let best else { return (nil, nextDue) }
                s.inFlight += 1
                return (s.queue.remove(at: best), nil)
            }
            if let job = picked.0 {
                runAttempt(job)
                continue
            }
            let wait = picked.1.map { max(.zero, $0 - .now) } ?? .seconds(1)
            _ = wake.wait(timeout: .now() + min(wait, .seconds(1)).seconds)
        }
    }

    /// One attempt of one job (the caller already counted it in `inFlight`): sign with a fresh `t`, POST,
    /// record, and requeue with backoff or finish.
    func runAttempt(_ job: SimulatorState.DeliveryJob) {
        let snapshot = state.withLock { s -> (body: [UInt8], url: URL, secrets: [String], t: Int64, gen: Int)? in
            guard let url = s.webhookURL, let r = s.events[job.eventID] else {
                s.inFlight -= 1
                s.events[job.eventID]?.outstanding -= 1
                return nil
            }
            return (r.body, url, s.webhookSecrets, now(s), s.generation)
        }
        guard let snapshot else { return }
        let started = job.firstAttemptAt ?? .now
        var headers: [(String, String)] = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        ]
        if !snapshot.secrets.isEmpty {
            headers.append(
                (
                    "Stripe-Signature",
                    stripeSignatureHeader(payload: snapshot.body, secrets: snapshot.secrets, timestamp: snapshot.t)
                ))
        }
        let outcome: (status: Int?, error: String?)
        switch poster.post(url: snapshot.url, headers: headers, body: snapshot.body) {
        case .success(let answer): outcome = (answer.status, nil)
        case .failure(let failure): outcome = (nil, failure.description)
        }
        let succeeded = outcome.status.map { (200..<300).contains($0) } ?? false
        configuration.log?(
            "deliver \(job.eventID) attempt \(job.attempt + 1) → "
                + (outcome.status.map(String.init) ?? (outcome.error ?? "no answer")))
        let policy = configuration.delivery
        state.withLock { s in
            guard s.generation == snapshot.gen else { return }  // reset meanwhile: drop
            s.inFlight -= 1
            guard var r = s.events[job.eventID] else { return }
            r.attempts.append(
                SimulatorDeliveryAttempt(
                    delivery: job.delivery, attempt: job.attempt + 1, signedAt: snapshot.t, status: outcome.status,
                    error: outcome.error, succeeded: succeeded))
            if succeeded {
                r.outstanding -= 1
                r.succeededDeliveries += 1
            } else if job.attempt + 1 < policy.maxAttempts, ContinuousClock.now - started < policy.maxTotal {
                var next = job
                next.attempt += 1
                next.firstAttemptAt = started
                next.due = .now + backoff(attempt: job.attempt, policy: policy)
                s.queue.append(next)
            } else {
                r.outstanding -= 1
                r.failedDeliveries += 1
            }
            s.events[job.eventID] = r
        }
        wake.signal()
    }

    /// `initialBackoff × 2^attempt`, capped by `maxBackoff`.
    func backoff(attempt: Int, policy: DeliveryPolicy) -> Duration {
        let factor = Double(1 << min(attempt, 30))
        return min(policy.maxBackoff, .milliseconds(Int64(policy.initialBackoff.seconds * factor * 1000)))
    }
}

extension Duration {
    /// Seconds as a `Double`, for Dispatch and Foundation.
    var seconds: Double {
        let c = components
        return Double(c.seconds) + Double(c.attoseconds) / 1e18
    }
}
