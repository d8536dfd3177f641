import Testing

@Test func CheckoutAPITestsPlaceholder() { #expect(Bool(true)) }
