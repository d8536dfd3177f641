import Checkout
import Testing

/// SplitMix64: a tiny seeded generator so every run explores the same sequences.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite("OrderStateMachine properties")
struct OrderStateMachinePropertyTests {
    @Test("random event sequences never downgrade a paid order and stay in the table", arguments: [1, 2, 3, 4])
    func randomSequences(seed: UInt64) {
        var rng = SeededGenerator(state: seed)
        for _ in 0..<500 {
            var state = Fixture.state("pending")
            var everPaid = false
            var stockHeld = state.stockReserved
            let count = Int.random(in: 1...16, using: &rng)
            for _ in 0..<count {
                let (name, event) = Fixture.events.randomElement(using: &rng)!
                let decision = OrderStateMachine.apply(state, event)
                checkInvariants(from: state, event, decision)
                if let next = decision.newState {
                    for effect in decision.effects {
                        switch effect {
                        case .releaseStock:
                            #expect(stockHeld, "released stock it did not hold (\(name))")
                            stockHeld = false
                        case .reserveStock, .reacquireStockOrFlag:
                            #expect(!stockHeld, "reserved stock twice (\(name))")
                            stockHeld = true
                        default: break
                        }
                    }
                    state = next
                }
                #expect(state.stockReserved == stockHeld)
                if everPaid {
                    #expect(state.status.hasReceivedPayment, "paid order downgraded by \(name) to \(state.triple)")
                }
                everPaid = everPaid || state.status.hasReceivedPayment
                #expect(StatusTriple.reachable.contains(state.triple))
            }
        }
    }
}
