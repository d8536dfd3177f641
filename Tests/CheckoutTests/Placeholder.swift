import Testing

@Test func CheckoutTestsPlaceholder() { #expect(Bool(true)) }
