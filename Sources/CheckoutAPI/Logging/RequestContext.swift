/// The id of the request the current thread is handling, so every log line written while handling it
/// (the domain's too, which knows nothing of HTTP) carries `request_id`.
///
/// A task-local: handlers are synchronous and run start to finish on one worker thread of the HTTP
/// server, where a task-local bound outside any task lives in that thread's storage; the access-log
/// middleware binds the id around the whole handler and the previous value comes back afterwards.
/// (The thread dictionary used before bridged the id to `NSString` on every set and read.)
public enum RequestContext {
    @TaskLocal private static var current: String?

    /// Runs `body` with `id` as the current request id on this thread.
    public static func withRequestID<T>(_ id: String, _ body: () throws -> T) rethrows -> T {
        try $current.withValue(id) { try body() }
    }

    /// The request id of the request this thread is handling, if any.
    public static var requestID: String? { current }
}
