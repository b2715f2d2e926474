import ArgumentParser
import CPlumb

/// The published log-space recursion for GradTopK (subtracting: Z_{j,i} = a_i (Z_{j-1} - Z_{j-1,i}))
/// in float64 vs plumb's positive-terms programme, both against plumb_exact_soft_topk.
func topKDemo() {
    let n = 40, k = 8, rows = 8
    print("gradient top-k, n = \(n), k = \(k), x ~ N(0, s^2); correct bits (min over \(rows) rows); "
          + "non-finite rows of the recursion in parentheses")
    print(pad("scale", 8) + pad("recursion f64", 18) + pad("plumb f64", 11) + pad("plumb f32 max ULP", 18))
    var rng = SplitMix64(seed: 11)
    for scale in [1.0, 3.0, 10.0, 30.0, 300.0] {
        var x = [Double](repeating: 0, count: rows * n)
        for i in x.indices { x[i] = Double(Float(rng.normal() * scale)) }
        var exact = [Double](repeating: 0, count: rows * n)
        guard plumb_exact_soft_topk(PLUMB_TOPK_GRADIENT, x, Int64(rows), Int64(n), Int64(k), 1, &exact) == PLUMB_OK else {
            print("exact reference failed: \(String(cString: plumb_last_error()))")
            return
        }
        var rec = [Double](repeating: 0, count: rows * n)
        var nonFinite = 0
        for r in 0..<rows {
            let row = Array(x[(r * n)..<((r + 1) * n)])
            let p = publishedRecursion(row, k)
            if p.contains(where: { !$0.isFinite }) { nonFinite += 1 }
            for i in 0..<n { rec[r * n + i] = p[i].isFinite ? p[i] : -1 }
        }
        var p64 = [Double](repeating: 0, count: rows * n)
        var p32 = [Float](repeating: 0, count: rows * n)
        let x32 = x.map { Float($0) }
        _ = plumb_soft_topk_f64(PLUMB_TOPK_GRADIENT, x, Int64(rows), Int64(n), Int64(k), 1, &p64)
        _ = plumb_soft_topk_f32(PLUMB_TOPK_GRADIENT, x32, Int64(rows), Int64(n), Int64(k), 1, &p32)
        var st = plumb_error_stats()
        _ = plumb_compare_f32(p32, exact, Int64(rows * n), &st)
        print(pad(String(scale), 8) + pad(bits(rec, exact) + " (\(nonFinite))", 18) + pad(bits(p64, exact), 11)
              + pad(format1(st.max_ulp), 18))
    }
}

private func logAddExp(_ v: [Double]) -> Double {
    let m = v.max() ?? -.infinity
    if !m.isFinite { return m }
    return m + log(v.reduce(0) { $0 + exp($1 - m) })
}

/// MATH.md 2a's published recursion in log space.
private func publishedRecursion(_ x: [Double], _ k: Int) -> [Double] {
    var logZi = x
    var logZ = logAddExp(logZi)
    if k >= 2 {
        for j in 2...k {
            logZi = (0..<x.count).map { x[$0] + logZ + log1p(-exp(logZi[$0] - logZ)) }
            logZ = logAddExp(logZi) - log(Double(j))
        }
    }
    return logZi.map { exp($0 - logZ) }
}

/// `plumb precision soft-topk`: every method's ULPs across input scales (n = 40, k = 8, temperature
/// 1), and in float64 the published recursion for the gradient method.
let softTopKSweep = PrecisionSweep(
    parameterName: "scale", defaultValues: [0.1, 1, 10, 100, 1000], dtypes: ["float32", "float64"]
) { dtype, scale in
    let n = 40, k = 8, rows = 8
    var rng = SplitMix64(seed: 11)
    let x = (0..<(rows * n)).map { _ in Double(Float(rng.normal() * scale)) }
    let methods: [(String, plumb_topk_method)] = [("gradient", PLUMB_TOPK_GRADIENT), ("exp-clip", PLUMB_TOPK_EXP_CLIP),
                                                  ("sigmoid", PLUMB_TOPK_SIGMOID), ("laplace", PLUMB_TOPK_LAPLACE)]
    var out: [PrecisionRow] = []
    for (name, method) in methods {
        var exact = [Double](repeating: 0, count: rows * n)
        guard plumb_exact_soft_topk(method, x, Int64(rows), Int64(n), Int64(k), 1, &exact) == PLUMB_OK else {
            throw RuntimeFailure("exact reference failed: \(String(cString: plumb_last_error()))")
        }
        let status: plumb_status, measured: plumb_error_stats
        if dtype == "float32" {
            var p = [Float](repeating: 0, count: rows * n)
            status = plumb_soft_topk_f32(method, x.map { Float($0) }, Int64(rows), Int64(n), Int64(k), 1, &p)
            measured = stats(p, exact)
        } else {
            var p = [Double](repeating: 0, count: rows * n)
            status = plumb_soft_topk_f64(method, x, Int64(rows), Int64(n), Int64(k), 1, &p)
            measured = stats(p, exact)
        }
        guard status == PLUMB_OK else { throw RuntimeFailure("plumb_soft_topk failed: \(String(cString: plumb_last_error()))") }
        out.append(PrecisionRow(parameter: scale, dtype: dtype, formulation: "plumb \(name)", stats: measured))
        if dtype == "float64" && method == PLUMB_TOPK_GRADIENT {
            let rec = (0..<rows).flatMap { r in publishedRecursion(Array(x[(r * n)..<((r + 1) * n)]), k) }
            out.append(PrecisionRow(parameter: scale, dtype: dtype, formulation: "published recursion",
                                    stats: stats(rec, exact)))
        }
    }
    return out
}
