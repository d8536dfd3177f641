import HTTPServer

/// Finds which registered pattern a path belongs to, for access logs and metric labels.
///
/// Labels must be the *pattern* (`/api/orders/:orderId/retry-session`), never the raw path: raw paths
/// carry ids, which would make one metric series per order and leak ids into dashboards. Unmatched
/// paths are labelled `unmatched`. The preference rule mirrors the router's: a literal segment beats a
/// parameter at the earliest position where they differ.
struct RoutePatterns: Sendable {
    private let patterns: [[Substring]]

    /// Builds the matcher from the router's registered patterns.
    init(_ patterns: [String]) {
        var unique: [String] = []
        for p in patterns where !unique.contains(p) { unique.append(p) }
        self.patterns = unique.map { $0.split(separator: "/") }
    }

    /// The pattern `path` matches, or `unmatched`.
    func label(for path: String) -> String {
        let segments = path.split(separator: "/")
        var best: [Substring]?
        for pattern in patterns where pattern.count == segments.count {
            var matches = true
            for (p, s) in zip(pattern, segments) where !p.hasPrefix(":") && p != s {
                matches = false
                break
            }
            guard matches else { continue }
            if let current = best {
                // Prefer the one with a literal at the first position where they differ.
                for (a, b) in zip(pattern, current) where a.hasPrefix(":") != b.hasPrefix(":") {
                    if !a.hasPrefix(":") { best = pattern }
                    break
                }
            } else {
                best = pattern
            }
        }
        guard let best else { return "unmatched" }
        return "/" + best.joined(separator: "/")
    }
}
