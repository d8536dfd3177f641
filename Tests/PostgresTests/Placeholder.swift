import Testing

@Test func PostgresTestsPlaceholder() { #expect(Bool(true)) }
