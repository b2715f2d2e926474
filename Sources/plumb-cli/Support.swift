import ArgumentParser
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

/// The values of a list option whose arguments may each hold several, comma-separated
/// (`--batch 1,64 4096`; a space-separated negative value would be read as an option).
func commaSeparated<T: LosslessStringConvertible>(_ arguments: [String], option: String) throws -> [T] {
    try arguments.flatMap { $0.split(separator: ",") }.map { item in
        guard let v = T(String(item)) else { throw ValidationError("'\(item)' is not a valid value for --\(option)") }
        return v
    }
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
}

/// Error statistics of `computed` against `exact` (plumb_compare_f32/f64; all NaN if the call fails).
func stats(_ computed: [Float], _ exact: [Double]) -> plumb_error_stats {
    var s = plumb_error_stats()
    if plumb_compare_f32(computed, exact, Int64(exact.count), &s) != PLUMB_OK { s.min_bits = .nan; s.max_ulp = .nan }
    return s
}

func stats(_ computed: [Double], _ exact: [Double]) -> plumb_error_stats {
    var s = plumb_error_stats()
    if plumb_compare_f64(computed, exact, Int64(exact.count), &s) != PLUMB_OK { s.min_bits = .nan; s.max_ulp = .nan }
    return s
}

/// min_bits of `computed` against `exact` as text.
func bits(_ computed: [Float], _ exact: [Double]) -> String { format1(stats(computed, exact).min_bits) }

func bits(_ computed: [Double], _ exact: [Double]) -> String { format1(stats(computed, exact).min_bits) }

/// A failure while a command runs (an exact reference or a kernel refusing, a file that cannot be
/// written): printed as "Error: ..." with exit status 1, without the usage text of a
/// `ValidationError`. Whatever the command printed so far is flushed first, so it precedes the
/// message.
struct RuntimeFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) {
        fflush(stdout)
        description = message
    }
}

/// `x` with one decimal.
func format1(_ x: Double) -> String { fixed(x, 1) }

/// `x` in %.3g-like scientific form without Foundation.
func sci(_ x: Double) -> String {
    guard x.isFinite, x != 0 else { return x.isNaN ? "nan" : "\(x)" }  // a NaN prints as "nan", never "-nan"
    var e = Int(floor(log10(abs(x))))
    var r = (x / pow(10, Double(e)) * 10).rounded() / 10
    if abs(r) >= 10 { r /= 10; e += 1 }  // 9.96e-3 rounds to 1.0e-2, not 10.0e-3
    if e >= -2 && e <= 3 { return fixed(x, max(0, 1 - e)) }
    return "\(fixed(r, 1))e\(e)"
}

/// `x` with `digits` decimals.
func fixed(_ x: Double, _ digits: Int) -> String {
    guard x.isFinite else { return x.isNaN ? "nan" : "\(x)" }
    let p = pow(10, Double(digits))
    let scaled = (abs(x) * p).rounded()
    let whole = Int(scaled / p), frac = Int(scaled - Double(whole) * p)
    var f = String(frac)
    while f.count < digits { f = "0" + f }
    return (x < 0 ? "-" : "") + String(whole) + (digits > 0 ? "." + f : "")
}
