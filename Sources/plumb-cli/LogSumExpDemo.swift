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
