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
    var near = [Double](repeating: 0, count: n * n)
    for i in 0..<n { near[i * n + (i * 7) % n] = 1.0 - 0.01 * Double(i) }  // sigma_2/sigma_1 ~ 0.99
    for i in near.indices { near[i] = Double(Float(near[i] + 1e-3 * rng.normal())) }
    cases.append(("1% gap (perm. diag+noise)", near))
    for (name, w) in cases {
        var exact = 0.0
        var ue = [Double](repeating: 0, count: n), ve = [Double](repeating: 0, count: n)
        guard plumb_exact_spectral_norm(w, Int64(n), Int64(n), &exact, &ue, &ve) == PLUMB_OK else {
            print("exact reference failed: \(String(cString: plumb_last_error()))")
            return
        }
        let wf = w.map { Float($0) }
        // Published recipe: 10 steps of power iteration on W^T W from all ones.
        var v = [Float](repeating: 1, count: n)
        for _ in 0..<10 {
            var t = [Float](repeating: 0, count: n), y = [Float](repeating: 0, count: n)
            for r in 0..<n { for c in 0..<n { t[r] += wf[r * n + c] * v[c] } }
            for r in 0..<n { for c in 0..<n { y[c] += wf[r * n + c] * t[r] } }
            let norm = y.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            v = y.map { $0 / norm }
        }
        var u = [Float](repeating: 0, count: n)
        for r in 0..<n { for c in 0..<n { u[r] += wf[r * n + c] * v[c] } }
        let sigmaRecipe = u.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        u = u.map { $0 / sigmaRecipe }
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
        func sci(_ x: Double) -> String {
            guard x.isFinite else { return "inf" }
            if x == 0 { return "0" }
            let e = Int(floor(log10(x)))
            return format1(x / pow(10, Double(e))) + "e" + String(e)
        }
        print(pad(name, 26) + pad(bits([sigmaRecipe], [exact]), 19) + pad(sci(gradError(recipeGrad)), 17)
              + pad(bits([Float(info.sigma)], [exact]), 18) + pad(sci(gradError(g)), 16)
              + pad(sci(info.angle_bound), 13) + String(info.iterations))
    }
}
