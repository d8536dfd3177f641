import Foundation

/// Polls `condition` every `interval` until it holds or `timeout` passes; returns whether it held.
///
/// The one bounded wait the tests use in place of a sleep: a test states the condition it waits for,
/// never a duration it hopes is long enough.
public func eventually(
    timeout: Duration = .seconds(10), interval: Duration = .milliseconds(10), _ condition: () throws -> Bool
) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    let pause = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: pause)
    }
    return try condition()
}
