import Testing

@Test func HTTPServerTestsPlaceholder() { #expect(Bool(true)) }
