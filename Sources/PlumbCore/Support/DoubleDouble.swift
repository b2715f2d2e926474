/// Error-free transformations used by the float64 kernels (Knuth's TwoSum; Dekker).

/// `a + b = s + e` exactly (`s` the rounded sum), for finite a, b whose sum does not overflow.
@inline(__always)
func twoSum(_ a: Double, _ b: Double) -> (s: Double, e: Double) {
    let s = a + b
    let bb = s - a
    let e = (a - (s - bb)) + (b - bb)
    return (s, e)
}

/// `(hi + lo) / d` as a double-double, for finite `hi` and `d > 0`: the quotient `q = hi / d`
/// and its correction `((hi - q d) + lo) / d`, with `hi - q d` exact by FMA.
@inline(__always)
func divide(_ hi: Double, _ lo: Double, by d: Double) -> (q: Double, lo: Double) {
    let q = hi / d
    guard q.isFinite else { return (q, 0) }
    let exactRemainder = hi.addingProduct(-q, d)  // hi - q*d, one rounding: exact for a quotient
    return (q, (exactRemainder + lo) / d)
}

/// Compensated (Neumaier) running sum: the float64 kernels' `xi`.
struct CompensatedSum {
    var sum = 0.0
    var compensation = 0.0

    @inline(__always)
    mutating func add(_ x: Double) {
        let t = sum + x
        // An infinite (or NaN) sum is the value itself: its compensation would be inf - inf.
        guard t.isFinite else { sum = t; return }
        if sum.magnitude >= x.magnitude {
            compensation += (sum - t) + x
        } else {
            compensation += (x - t) + sum
        }
        sum = t
    }

    /// The sum as a double-double `(hi, lo)` with `hi = fl(hi + lo)`.
    var value: (hi: Double, lo: Double) {
        guard sum.isFinite else { return (sum, 0) }
        let v = twoSum(sum, compensation)
        return (v.s, v.e)
    }
}
