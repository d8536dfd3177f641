/// Comparison whose running time does not depend on where two secrets first differ.
///
/// Used for the admin bearer token: an early-exit `==` would let a client learn the token byte by
/// byte from response timings. The loop always runs over the longer input; a length difference is
/// folded into the result instead of returning early.
enum ConstantTime {
    /// True when `a` and `b` are byte-for-byte equal.
    static func equals(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        let x = Array(a)
        let y = Array(b)
        var diff: UInt64 = UInt64(truncatingIfNeeded: x.count ^ y.count)
        let n = max(x.count, y.count)
        for i in 0..<n {
            let l = i < x.count ? x[i] : 0
            let r = i < y.count ? y[i] : 0
            diff |= UInt64(l ^ r)
        }
        return diff == 0
    }
}
