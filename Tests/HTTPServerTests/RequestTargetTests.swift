import Testing

@testable import HTTPServer

/// `RequestTarget.split`: raw segments and query of origin-form and absolute-form targets.
@Suite struct RequestTargetTests {
    @Test(arguments: [
        ("/", [String](), ""),
        ("/a/b", ["a", "b"], ""),
        ("//a///b/", ["a", "b"], ""),
        ("/a?x=1&y", ["a"], "x=1&y"),
        ("/a?x=1#frag", ["a"], "x=1"),
        ("/a#f?x", ["a"], ""),
        ("/a?", ["a"], ""),
        ("/a?b?c", ["a"], "b?c"),
        ("/%2F/x", ["%2F", "x"], ""),
        ("/p://x/y", ["p:", "x", "y"], ""),
        ("http://a/b?c", ["b"], "c"),
        ("https://host:8080/api/orders/x?y=1", ["api", "orders", "x"], "y=1"),
        ("http://host", [], ""),
        ("http://host?q=1", [], "q=1"),
        ("*", ["*"], ""),
    ])
    func splits(_ target: String, _ segments: [String], _ query: String) {
        let parts = RequestTarget.split(target)
        #expect(parts.segments.map(String.init) == segments)
        #expect(String(parts.query) == query)
    }
}
