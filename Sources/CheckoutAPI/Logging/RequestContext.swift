import Foundation

/// The id of the request the current thread is handling, so every log line written while handling it
/// (the domain's too, which knows nothing of HTTP) carries `request_id`.
///
/// Why a thread-local and not a task-local: handlers are synchronous and run start to finish on one
/// worker thread of the HTTP server, never hopping threads; the access-log middleware sets the id
/// around the whole handler and restores the previous value afterwards.
public enum RequestContext {
    private static let key = "checkout.request_id"

    /// Runs `body` with `id` as the current request id on this thread.
    public static func withRequestID<T>(_ id: String, _ body: () throws -> T) rethrows -> T {
        let dictionary = Thread.current.threadDictionary
        let previous = dictionary[key]
        dictionary[key] = id
        defer { dictionary[key] = previous }
        return try body()
    }

    /// The request id of the request this thread is handling, if any.
    public static var requestID: String? {
        Thread.current.threadDictionary[key] as? String
    }
}
