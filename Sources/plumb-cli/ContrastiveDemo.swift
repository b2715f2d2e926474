import ArgumentParser
import CPlumb

/// Bits kept by float32 contrastive-loss gradients across the gap between the positive and the
/// negatives: the usual log-softmax InfoNCE vs plumb's InfoNCE and FlatNCE kernels.
func contrastiveDemo() {
    let tau = 0.07
    print("\(ContrastiveProblem.rows) rows x \(ContrastiveProblem.cols) scores (negatives ~ N(0, tau^2), tau = \(tau)), "
          + "positive = max + gap * tau;")
    print("correct bits of the float32 gradient (min over elements) vs plumb_exact_infonce / _flatnce")
    print(pad("gap", 6) + pad("naive f32 InfoNCE", 19) + pad("plumb InfoNCE", 15) + pad("plumb FlatNCE", 15)
          + pad("naive loss", 12))
    var rng = SplitMix64(seed: 3)
    for gap in [0.0, 2, 5, 10, 20, 30, 50, 90] {
        let p = ContrastiveProblem(gap: gap, tau: tau, rng: &rng)
        let s = p.scores.map { Float($0) }
        let t = Float(p.tau)
        var loss = [Float](repeating: 0, count: p.rows), grad = [Float](repeating: 0, count: s.count)
        var flatGrad = grad, flatLoss = loss
        guard let (_, exactGrad) = p.exact(plumb_exact_infonce), let (_, exactFlatGrad) = p.exact(plumb_exact_flatnce),
              plumb_infonce_f32(s, Int64(p.rows), Int64(p.cols), p.positive, t, &loss, &grad) == PLUMB_OK,
              plumb_flatnce_f32(s, Int64(p.rows), Int64(p.cols), p.positive, t, &flatLoss, &flatGrad) == PLUMB_OK
        else {
            print("plumb call failed: \(String(cString: plumb_last_error()))")
            return
        }
        let (exactLoss, _) = p.exact(plumb_exact_infonce)!
        let (naiveLoss, naiveGrad) = naiveInfoNCE(s, rows: p.rows, cols: p.cols, positive: p.positive, tau: t,
                                                  exp: expf, log: logf)
        print(pad(String(Int(gap)), 6) + pad(bits(naiveGrad, exactGrad), 19) + pad(bits(grad, exactGrad), 15)
              + pad(bits(flatGrad, exactFlatGrad), 15) + pad(bits(naiveLoss, exactLoss), 12))
    }
    print("(plumb InfoNCE below 24 bits only where its true gradient is subnormal in float32; its ULP error stays <= 1)")
}

/// Rows of scores whose positive leads the largest negative by `gap` temperatures: negatives
/// ~ N(0, tau^2), rounded to float32 so that both dtypes see the same inputs.
struct ContrastiveProblem {
    static let rows = 32, cols = 64
    let rows = ContrastiveProblem.rows, cols = ContrastiveProblem.cols
    let tau: Double
    var scores: [Double]
    var positive: [Int64]

    /// `tau` is rounded to float32 too: the float32 kernels cannot be handed any other temperature.
    init(gap: Double, tau: Double, rng: inout SplitMix64) {
        let tau = Double(Float(tau))
        self.tau = tau
        scores = [Double](repeating: 0, count: rows * cols)
        positive = [Int64](repeating: 0, count: rows)
        for r in 0..<rows {
            var best = -Double.infinity
            for j in 0..<cols {
                scores[r * cols + j] = Double(Float(rng.normal() * tau))
                best = max(best, scores[r * cols + j])
            }
            let t = Int(rng.next() % UInt64(cols))
            positive[r] = Int64(t)
            scores[r * cols + t] = Double(Float(best + gap * tau))
        }
    }

    typealias ExactLoss = (UnsafePointer<Double>?, Int64, Int64, UnsafePointer<Int64>?, Double,
                           UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?) -> plumb_status

    /// Loss and gradient from `plumb_exact_infonce` or `plumb_exact_flatnce`; nil on failure.
    func exact(_ reference: ExactLoss) -> (loss: [Double], grad: [Double])? {
        var loss = [Double](repeating: 0, count: rows), grad = [Double](repeating: 0, count: rows * cols)
        let status = reference(scores, Int64(rows), Int64(cols), positive, tau, &loss, &grad)
        return status == PLUMB_OK ? (loss, grad) : nil
    }
}

/// The usual formulation in T: z = s / tau, loss = logsumexp(z) - z_t with a max shift,
/// gradient (softmax(z) - onehot(t)) / tau, rounded after every operation as a framework would.
func naiveInfoNCE<T: BinaryFloatingPoint>(_ s: [T], rows: Int, cols: Int, positive: [Int64], tau: T,
                                           exp: (T) -> T, log: (T) -> T) -> ([T], [T]) {
    var loss = [T](repeating: 0, count: rows), grad = [T](repeating: 0, count: rows * cols)
    for r in 0..<rows {
        let z = (0..<cols).map { s[r * cols + $0] / tau }
        let m = z.max() ?? 0
        let e = z.map { exp($0 - m) }
        let total = e.reduce(0, +)
        let t = Int(positive[r])
        loss[r] = (log(total) + m) - z[t]
        for j in 0..<cols { grad[r * cols + j] = (e[j] / total - (j == t ? 1 : 0)) / tau }
    }
    return (loss, grad)
}

/// `plumb precision infonce|flatnce`: loss and gradient ULPs across gaps, plumb's kernels (and,
/// for InfoNCE, the naive log-softmax formulation) in each dtype.
func contrastiveSweep(flat: Bool) -> PrecisionSweep {
    PrecisionSweep(parameterName: "gap", defaultValues: [0, 5, 10, 20, 30, 50, 90],
                   dtypes: ["float32", "float64"]) { dtype, gap in
        var rng = SplitMix64(seed: 3)
        let p = ContrastiveProblem(gap: gap, tau: 0.07, rng: &rng)
        let name = flat ? "FlatNCE" : "InfoNCE"
        guard let (exactLoss, exactGrad) = p.exact(flat ? plumb_exact_flatnce : plumb_exact_infonce) else {
            throw RuntimeFailure("exact reference failed: \(String(cString: plumb_last_error()))")
        }
        let (rows, cols) = (Int64(p.rows), Int64(p.cols))
        var out: [PrecisionRow] = []
        func row(_ formulation: String, _ stats: plumb_error_stats) {
            out.append(PrecisionRow(parameter: gap, dtype: dtype, formulation: formulation, stats: stats))
        }
        if dtype == "float32" {
            let s = p.scores.map { Float($0) }
            var loss = [Float](repeating: 0, count: p.rows), grad = [Float](repeating: 0, count: s.count)
            let kernel = flat ? plumb_flatnce_f32 : plumb_infonce_f32
            guard kernel(s, rows, cols, p.positive, Float(p.tau), &loss, &grad) == PLUMB_OK else {
                throw RuntimeFailure("plumb kernel failed: \(String(cString: plumb_last_error()))")
            }
            row("plumb \(name) loss", stats(loss, exactLoss))
            row("plumb \(name) grad", stats(grad, exactGrad))
            if !flat {
                let (nl, ng) = naiveInfoNCE(s, rows: p.rows, cols: p.cols, positive: p.positive, tau: Float(p.tau),
                                            exp: expf, log: logf)
                row("naive loss", stats(nl, exactLoss))
                row("naive grad", stats(ng, exactGrad))
            }
        } else {
            var loss = [Double](repeating: 0, count: p.rows), grad = [Double](repeating: 0, count: p.scores.count)
            let kernel = flat ? plumb_flatnce_f64 : plumb_infonce_f64
            guard kernel(p.scores, rows, cols, p.positive, p.tau, &loss, &grad) == PLUMB_OK else {
                throw RuntimeFailure("plumb kernel failed: \(String(cString: plumb_last_error()))")
            }
            row("plumb \(name) loss", stats(loss, exactLoss))
            row("plumb \(name) grad", stats(grad, exactGrad))
            if !flat {
                let (nl, ng) = naiveInfoNCE(p.scores, rows: p.rows, cols: p.cols, positive: p.positive, tau: p.tau,
                                            exp: Glibc.exp, log: Glibc.log)
                row("naive loss", stats(nl, exactLoss))
                row("naive grad", stats(ng, exactGrad))
            }
        }
        return out
    }
}
