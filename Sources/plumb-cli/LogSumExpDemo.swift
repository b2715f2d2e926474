import ArgumentParser
import CPlumb

/// Bits kept by float32 logsumexp formulas (with and without the max shift) across input scales.
func logSumExpDemo() {
    print("rows of 256 N(0, s^2) entries; correct bits (min over 64 rows) vs plumb_exact_logsumexp")
    print(pad("scale", 8) + pad("f32 naive", 12) + pad("f32 shifted", 13) + pad("f64 shifted", 13))
    var rng = SplitMix64(seed: 7)
    let rows = 64, cols = 256
    for scale in [0.1, 1.0, 10.0, 100.0, 1000.0] {
        var x = [Double](repeating: 0, count: rows * cols)
        for i in x.indices { x[i] = Double(Float(rng.normal() * scale)) }
        var exact = [Double](repeating: 0, count: rows)
        guard plumb_exact_logsumexp(x, Int64(rows), Int64(cols), &exact) == PLUMB_OK else {
            print("exact reference failed: \(String(cString: plumb_last_error()))")
            return
        }
        var naive = [Float](repeating: 0, count: rows), shifted = naive
        var shifted64 = [Double](repeating: 0, count: rows)
        for r in 0..<rows {
            let row = x[(r * cols)..<((r + 1) * cols)]
            naive[r] = logf(row.reduce(Float(0)) { $0 + expf(Float($1)) })
            let m = row.max()!
            shifted[r] = Float(m) + logf(row.reduce(Float(0)) { $0 + expf(Float($1 - m)) })
            shifted64[r] = m + log(row.reduce(0.0) { $0 + exp($1 - m) })
        }
        print(pad(String(scale), 8) + pad(bits(naive, exact), 12) + pad(bits(shifted, exact), 13)
              + pad(bits(shifted64, exact), 13))
    }
}

/// `plumb precision logsumexp`: the max-shifted textbook formula in each dtype, across input scales.
let logSumExpSweep = PrecisionSweep(
    parameterName: "scale", defaultValues: [0.01, 1, 100, 1e4], dtypes: ["float16", "float32", "float64"]
) { dtype, scale in
    var rng = SplitMix64(seed: 11)
    let rows = 64, cols = 256
    var x = [Double](repeating: 0, count: rows * cols)
    for i in x.indices {
        let v = rng.normal() * scale
        x[i] = dtype == "float16" ? Double(Float16(v)) : dtype == "float32" ? Double(Float(v)) : v
    }
    var exact = [Double](repeating: 0, count: rows)
    guard plumb_exact_logsumexp(x, Int64(rows), Int64(cols), &exact) == PLUMB_OK else {
        throw RuntimeFailure("exact reference failed: \(String(cString: plumb_last_error()))")
    }
    var stats = plumb_error_stats()
    switch dtype {
    case "float16":
        let computed: [UInt16] = (0..<rows).map { r in shiftedLogSumExp(x[(r * cols)..<((r + 1) * cols)].map { Float16($0) }).bitPattern }
        plumb_compare_f16(computed, exact, Int64(rows), &stats)
    case "float32":
        let computed = (0..<rows).map { r in shiftedLogSumExp(x[(r * cols)..<((r + 1) * cols)].map { Float($0) }) }
        plumb_compare_f32(computed, exact, Int64(rows), &stats)
    default:
        let computed = (0..<rows).map { r in shiftedLogSumExp(Array(x[(r * cols)..<((r + 1) * cols)])) }
        plumb_compare_f64(computed, exact, Int64(rows), &stats)
    }
    return [PrecisionRow(parameter: scale, dtype: dtype, formulation: "max-shifted", stats: stats)]
}

/// max + log(sum exp(x - max)), evaluated entirely in T (Float16 via Float for exp/log, rounded
/// after every operation, as a float16 framework kernel would).
func shiftedLogSumExp<T: BinaryFloatingPoint>(_ x: [T]) -> T {
    let m = x.max()!
    var s: T = 0
    for v in x { s += T(exp(Double(v - m))) }
    return m + T(log(Double(s)))
}
