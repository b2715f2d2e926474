import CPlumb

/// Demo section: bits kept by float X^T X / N against the exact least-squares Hessian, and the
/// exponent test (does Adam's sqrt(v_hat) follow H or sqrt(H)?) at two batch sizes.
func hessianDemo() {
    print("least-squares Hessian X^T X / N (N = 1000, dim = 8, columns with mean 100 and spread 1):")
    print("correct bits (min over entries) vs plumb_exact_least_squares_hessian")
    var rng = SplitMix64(seed: 11)
    let n = 1000, d = 8
    var x = [Double](repeating: 0, count: n * d)
    for i in x.indices { x[i] = Double(Float(100 + rng.normal())) }
    var exact = [Double](repeating: 0, count: d * d)
    guard plumb_exact_least_squares_hessian(x, Int64(n), Int64(d), &exact) == PLUMB_OK else {
        print("exact reference failed: \(String(cString: plumb_last_error()))")
        return
    }
    var f32 = [Float](repeating: 0, count: d * d), f64 = [Double](repeating: 0, count: d * d)
    for j in 0..<d {
        for k in 0..<d {
            var s32: Float = 0, s64 = 0.0
            for i in 0..<n {
                s32 += Float(x[i * d + j]) * Float(x[i * d + k])
                s64 += x[i * d + j] * x[i * d + k]
            }
            f32[j * d + k] = s32 / Float(n)
            f64[j * d + k] = s64 / Double(n)
        }
    }
    print(pad("float32 sum", 14) + bits(f32, exact))
    print(pad("float64 sum", 14) + bits(f64, exact))
    print("")
    print("exponent test (`plumb hessian` for the full table): SGD lr = 0.5 from the minimizer,")
    print("probe observes B-sample gradients; sqrt(v_hat) ~ diag(H)^p")
    do {
        let problem = try LeastSquaresProblem(dim: 12, samples: 1000, decades: 3, noise: 1, seed: 3)
        for b in [1, 4096] {
            if let r = try problem.run(adam: false, lr: 0.5, batch: b, steps: 6000, seed: 5) {
                print(pad("B = \(b)", 10) + "p = " + fixed(r.exponent, 3)
                      + (b == 1 ? "  (per-sample noise dominates: ~0.5)" : "  (wandering dominates: ~1)"))
            }
        }
    } catch {
        print("experiment failed: \(error)")
    }
}
