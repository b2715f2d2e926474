import ArgumentParser
import CPlumb

/// Gradient of ||W||_2: the published 10-step power iteration (from all ones, float32) vs plumb's
/// certified Lanczos (float32), against the exact reference's singular vectors.
func spectralDemo() {
    print("gradient u v^T of ||W||_2, float32; errors vs plumb_exact_spectral_norm (Frobenius, relative)")
    print(pad("matrix", 26) + pad("recipe sigma bits", 19) + pad("recipe grad err", 17)
          + pad("plumb sigma bits", 18) + pad("plumb grad err", 16) + pad("angle_bound", 13) + "passes")
    var rng = SplitMix64(seed: 11)
    let n = 64
    var cases: [(String, [Double])] = []
    var gauss = [Double](repeating: 0, count: n * n)
    for i in gauss.indices { gauss[i] = Double(Float(rng.normal())) }
    cases.append(("gaussian 64x64", gauss))
    cases.append(("1% gap (perm. diag+noise)", nearlyRepeated(n: n, gap: 0.01, rng: &rng)))
    for (name, w) in cases {
        var exact = 0.0
        var ue = [Double](repeating: 0, count: n), ve = [Double](repeating: 0, count: n)
        guard plumb_exact_spectral_norm(w, Int64(n), Int64(n), &exact, &ue, &ve) == PLUMB_OK else {
            print("exact reference failed: \(String(cString: plumb_last_error()))")
            return
        }
        let wf = w.map { Float($0) }
        let (sigmaRecipe, u, v) = powerRecipe(wf, n: n)
        let recipeGrad = (0..<(n * n)).map { u[$0 / n] * v[$0 % n] }
        // plumb.
        var g = [Float](repeating: 0, count: n * n), vp = [Float](repeating: 0, count: n)
        var info = plumb_spectral_info()
        guard plumb_spectral_grad_f32(wf, Int64(n), Int64(n), 0, &g, &vp, 300, 1e-6, &info) == PLUMB_OK else {
            print("plumb_spectral_grad_f32 failed: \(String(cString: plumb_last_error()))")
            return
        }
        func gradError(_ grad: [Float]) -> Double {
            var plus = 0.0, minus = 0.0
            for i in 0..<(n * n) {
                let ref = ue[i / n] * ve[i % n]
                plus += (Double(grad[i]) - ref) * (Double(grad[i]) - ref)
                minus += (Double(grad[i]) + ref) * (Double(grad[i]) + ref)
            }
            return min(plus, minus).squareRoot()
        }
        print(pad(name, 26) + pad(bits([sigmaRecipe], [exact]), 19) + pad(sci(gradError(recipeGrad)), 17)
              + pad(bits([Float(info.sigma)], [exact]), 18) + pad(sci(gradError(g)), 16)
              + pad(sci(info.angle_bound), 13) + String(info.iterations))
    }
}

/// The published recipe: 10 steps of power iteration on W^T W from all ones, in float32, for the
/// square `n x n` row-major `w`. Returns (sigma, u, v).
func powerRecipe(_ w: [Float], n: Int, steps: Int = 10) -> (Float, [Float], [Float]) {
    var v = [Float](repeating: 1, count: n)
    for _ in 0..<steps {
        var t = [Float](repeating: 0, count: n), y = [Float](repeating: 0, count: n)
        for r in 0..<n { for c in 0..<n { t[r] += w[r * n + c] * v[c] } }
        for r in 0..<n { for c in 0..<n { y[c] += w[r * n + c] * t[r] } }
        let norm = y.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        v = y.map { $0 / norm }
    }
    var u = [Float](repeating: 0, count: n)
    for r in 0..<n { for c in 0..<n { u[r] += w[r * n + c] * v[c] } }
    let sigma = u.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
    return (sigma, u.map { $0 / sigma }, v)
}

/// A permuted diagonal with singular values 1, 1 - gap, 1 - 2 gap, ... (at least 0.1) plus 1e-3
/// noise, rounded to float32: sigma_2 / sigma_1 ~ 1 - gap.
func nearlyRepeated(n: Int, gap: Double, rng: inout SplitMix64) -> [Double] {
    var w = [Double](repeating: 0, count: n * n)
    for i in 0..<n { w[i * n + (i * 7) % n] = max(1.0 - gap * Double(i), 0.1) }
    for i in w.indices { w[i] = Double(Float(w[i] + 1e-3 * rng.normal())) }
    return w
}

/// `plumb precision spectral`: ULPs of sigma_1 across the relative gap 1 - sigma_2/sigma_1, the
/// 10-step recipe (float32) vs plumb's certified Lanczos, on 64 x 64 matrices.
let spectralSweep = PrecisionSweep(
    parameterName: "gap", defaultValues: [0.3, 0.1, 0.01, 0.001], dtypes: ["float32", "float64"]
) { dtype, gap in
    let n = 64
    var rng = SplitMix64(seed: 5)
    let w = nearlyRepeated(n: n, gap: gap, rng: &rng)
    var exact = 0.0
    var ue = [Double](repeating: 0, count: n), ve = ue
    guard plumb_exact_spectral_norm(w, Int64(n), Int64(n), &exact, &ue, &ve) == PLUMB_OK else {
        throw RuntimeFailure("exact reference failed: \(String(cString: plumb_last_error()))")
    }
    var info = plumb_spectral_info()
    var out: [PrecisionRow] = []
    if dtype == "float32" {
        let wf = w.map { Float($0) }
        out.append(PrecisionRow(parameter: gap, dtype: dtype, formulation: "10-step recipe sigma",
                                stats: stats([powerRecipe(wf, n: n).0], [exact])))
        var u = [Float](repeating: 0, count: n), v = u
        guard plumb_spectral_norm_f32(wf, Int64(n), Int64(n), &u, &v, 1000, 1e-7, &info) == PLUMB_OK else {
            throw RuntimeFailure("plumb_spectral_norm_f32 failed: \(String(cString: plumb_last_error()))")
        }
        out.append(PrecisionRow(parameter: gap, dtype: dtype, formulation: "plumb sigma",
                                stats: stats([Float(info.sigma)], [exact])))
    } else {
        var u = [Double](repeating: 0, count: n), v = u
        guard plumb_spectral_norm_f64(w, Int64(n), Int64(n), &u, &v, 1000, 1e-14, &info) == PLUMB_OK else {
            throw RuntimeFailure("plumb_spectral_norm_f64 failed: \(String(cString: plumb_last_error()))")
        }
        out.append(PrecisionRow(parameter: gap, dtype: dtype, formulation: "plumb sigma", stats: stats([info.sigma], [exact])))
    }
    return out
}
