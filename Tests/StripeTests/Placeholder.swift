import Testing

@Test func StripeTestsPlaceholder() { #expect(Bool(true)) }
