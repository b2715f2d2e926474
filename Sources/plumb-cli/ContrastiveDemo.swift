import CPlumb

/// Bits kept by float32 contrastive-loss gradients across the gap between the positive and the
/// negatives: the usual log-softmax InfoNCE vs plumb's InfoNCE and FlatNCE kernels.
func contrastiveDemo() {
    let rows = 32, cols = 64
    let tau: Float = 0.07
    print("\(rows) rows x \(cols) scores (negatives ~ N(0, tau^2), tau = \(tau)), positive = max + gap * tau;")
    print("correct bits of the float32 gradient (min over elements) vs plumb_exact_infonce / _flatnce")
    print(pad("gap", 6) + pad("naive f32 InfoNCE", 19) + pad("plumb InfoNCE", 15) + pad("plumb FlatNCE", 15)
          + pad("naive loss", 12))
    var rng = SplitMix64(seed: 3)
    for gap in [0.0, 2, 5, 10, 20, 30, 50, 90] {
        var s = [Float](repeating: 0, count: rows * cols)
        var positive = [Int64](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = -Double.infinity
            for j in 0..<cols {
                s[r * cols + j] = Float(rng.normal() * Double(tau))
                best = max(best, Double(s[r * cols + j]))
            }
            let t = Int(rng.next() % UInt64(cols))
            positive[r] = Int64(t)
            s[r * cols + t] = Float(best + gap * Double(tau))
        }
        let s64 = s.map(Double.init)
        var exactLoss = [Double](repeating: 0, count: rows)
        var exactGrad = [Double](repeating: 0, count: rows * cols), exactFlatGrad = exactGrad, unused = exactLoss
        var loss = [Float](repeating: 0, count: rows), grad = [Float](repeating: 0, count: rows * cols)
        var flatGrad = grad, flatLoss = loss
        guard plumb_exact_infonce(s64, Int64(rows), Int64(cols), positive, Double(tau), &exactLoss, &exactGrad) == PLUMB_OK,
              plumb_exact_flatnce(s64, Int64(rows), Int64(cols), positive, Double(tau), &unused, &exactFlatGrad) == PLUMB_OK,
              plumb_infonce_f32(s, Int64(rows), Int64(cols), positive, tau, &loss, &grad) == PLUMB_OK,
              plumb_flatnce_f32(s, Int64(rows), Int64(cols), positive, tau, &flatLoss, &flatGrad) == PLUMB_OK
        else {
            print("plumb call failed: \(String(cString: plumb_last_error()))")
            return
        }
        let (naiveLoss, naiveGrad) = naiveInfoNCE(s, rows: rows, cols: cols, positive: positive, tau: tau)
        print(pad(String(Int(gap)), 6) + pad(bits(naiveGrad, exactGrad), 19) + pad(bits(grad, exactGrad), 15)
              + pad(bits(flatGrad, exactFlatGrad), 15) + pad(bits(naiveLoss, exactLoss), 12))
    }
    print("(plumb InfoNCE below 24 bits only where its true gradient is subnormal in float32; its ULP error stays <= 1)")
}

/// The usual float32 formulation: z = s / tau, loss = logsumexp(z) - z_t with a max shift,
/// gradient (softmax(z) - onehot(t)) / tau.
private func naiveInfoNCE(_ s: [Float], rows: Int, cols: Int, positive: [Int64], tau: Float) -> ([Float], [Float]) {
    var loss = [Float](repeating: 0, count: rows), grad = [Float](repeating: 0, count: rows * cols)
    for r in 0..<rows {
        let z = (0..<cols).map { s[r * cols + $0] / tau }
        let m = z.max() ?? 0
        let e = z.map { expf($0 - m) }
        let total = e.reduce(0, +)
        let t = Int(positive[r])
        loss[r] = (logf(total) + m) - z[t]
        for j in 0..<cols { grad[r * cols + j] = (e[j] / total - (j == t ? 1 : 0)) / tau }
    }
    return (loss, grad)
}
