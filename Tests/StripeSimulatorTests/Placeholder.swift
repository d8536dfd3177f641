import Testing

@Test func StripeSimulatorTestsPlaceholder() { #expect(Bool(true)) }
