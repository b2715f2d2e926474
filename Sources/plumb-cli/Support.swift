import CPlumb
@_exported import Glibc

/// A small deterministic generator so the demo prints the same table everywhere.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9007199254740992.0 }
    /// Standard normal (Box-Muller).
    mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// min_bits of `computed` against `exact` as text (plumb_compare_f32/f64).
func bits(_ computed: [Float], _ exact: [Double]) -> String {
    var stats = plumb_error_stats()
    guard plumb_compare_f32(computed, exact, Int64(exact.count), &stats) == PLUMB_OK else { return "error" }
    return String(format1(stats.min_bits))
}

func bits(_ computed: [Double], _ exact: [Double]) -> String {
    var stats = plumb_error_stats()
    guard plumb_compare_f64(computed, exact, Int64(exact.count), &stats) == PLUMB_OK else { return "error" }
    return String(format1(stats.min_bits))
}

/// `x` with one decimal.
func format1(_ x: Double) -> String {
    let scaled = (x * 10).rounded()
    return "\(Int(scaled) / 10).\(abs(Int(scaled)) % 10)"
}
