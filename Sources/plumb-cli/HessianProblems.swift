import ArgumentParser
import CPlumb

/// A problem for the exponent test: a minimizer, the Hessian diagonal there (the reference the
/// probe is compared with) and a one-sample stochastic gradient.
protocol ExponentProblem {
    var dim: Int { get }
    var diag: [Double] { get }
    var minimizer: [Double] { get }
    /// Adds `weight` times the gradient of one random sample at `w` into `g` (`scratch`: dim values).
    func sampleGradient(_ rng: inout SplitMix64, _ w: [Double], weight: Double, into g: inout [Double],
                        scratch xs: inout [Double])
}

extension ExponentProblem {
    /// One run: SGD or Adam from the minimizer; returns the probe's RMS report against diag(H), or
    /// nil when the run diverged: a gradient beyond 2^500, whose square would overflow the probe's
    /// second moment (the probe accepts finite gradients, so its report would be NaN), or a
    /// non-finite one, which the probe rejects with PLUMB_ERR_DOMAIN.
    func run(adam: Bool, lr: Double, batch: Int, steps: Int, seed: UInt64) throws -> plumb_hess_report? {
        var rng = SplitMix64(seed: seed)
        var config = plumb_hess_config(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, full_matrix: 0)
        var probe: OpaquePointer?
        guard plumb_hess_create(Int64(dim), &config, &probe) == PLUMB_OK else {
            throw RuntimeFailure(String(cString: plumb_last_error()))
        }
        defer { plumb_hess_destroy(probe) }
        var w = minimizer
        var m = [Double](repeating: 0, count: dim), v = m
        var g = m, scratch = m
        for t in 1...steps {
            for j in 0..<dim { g[j] = 0 }
            sampleGradient(&rng, w, weight: 1, into: &g, scratch: &scratch)
            if adam {
                let bc1 = 1 - pow(0.9, Double(t)), bc2 = 1 - pow(0.999, Double(t))
                for j in 0..<dim {
                    m[j] = 0.9 * m[j] + 0.1 * g[j]
                    v[j] = 0.999 * v[j] + 0.001 * g[j] * g[j]
                    w[j] -= lr * (m[j] / bc1) / ((v[j] / bc2).squareRoot() + 1e-8)
                }
            } else {
                for j in 0..<dim { w[j] -= lr * g[j] }
            }
            if t > steps / 4 {
                for j in 0..<dim { g[j] = 0 }
                for _ in 0..<batch { sampleGradient(&rng, w, weight: 1 / Double(batch), into: &g, scratch: &scratch) }
                if g.contains(where: { $0.magnitude > 0x1p500 }) { return nil }
                let status = plumb_hess_observe_f64(probe, g)
                if status == PLUMB_ERR_DOMAIN { return nil }
                guard status == PLUMB_OK else { throw RuntimeFailure(String(cString: plumb_last_error())) }
            }
        }
        var report = plumb_hess_report()
        guard plumb_hess_compare(probe, PLUMB_HESS_RMS, diag, &report) == PLUMB_OK else {
            throw RuntimeFailure(String(cString: plumb_last_error()))
        }
        return report
    }
}

/// A least-squares problem with its exact Hessian (see `HessianCommand`). With `quadratic`, the
/// population version: every gradient draws fresh samples `x ~ N(0, diag h)`, `y = x.w* + s e`, so the
/// loss is the quadratic `(w - w*)^T diag(h) (w - w*) / 2 + s^2 / 2` with exact Hessian `diag(h)`.
struct LeastSquaresProblem: ExponentProblem {
    let dim: Int, samples: Int
    var x: [Double], y: [Double]
    var quadratic = false, noise = 1.0, scales: [Double] = [], wStar: [Double] = []
    /// Exact H = X^T X / N (correctly rounded), its diagonal, and the minimizer w_hat.
    var hessian: [Double], diag: [Double], minimizer: [Double]

    init(dim: Int, samples: Int, decades: Double, noise: Double, seed: UInt64, quadratic: Bool = false) throws {
        var rng = SplitMix64(seed: seed)
        let h = (0..<dim).map { pow(10, -decades * Double($0) / Double(dim - 1)) }
        let wStar = (0..<dim).map { _ in rng.normal() }
        self.dim = dim
        self.samples = samples
        if quadratic {
            // No data set: every gradient draws its own samples.
            x = []
            y = []
            self.quadratic = true
            self.noise = noise
            scales = h.map { $0.squareRoot() }
            self.wStar = wStar
            hessian = (0..<(dim * dim)).map { $0 % (dim + 1) == 0 ? h[$0 / (dim + 1)] : 0 }
            diag = h
            minimizer = wStar
            return
        }
        var x = [Double](repeating: 0, count: samples * dim)
        var y = [Double](repeating: 0, count: samples)
        for i in 0..<samples {
            var dot = 0.0
            for j in 0..<dim {
                x[i * dim + j] = h[j].squareRoot() * rng.normal()
                dot += x[i * dim + j] * wStar[j]
            }
            y[i] = dot + noise * rng.normal()
        }
        var exact = [Double](repeating: 0, count: dim * dim)
        let status = plumb_exact_least_squares_hessian(x, Int64(samples), Int64(dim), &exact)
        if status != PLUMB_OK {
            let message = String(cString: plumb_last_error())
            throw RuntimeFailure("exact Hessian failed: " + message)
        }
        // Minimizer: H w = X^T y / N by Cholesky (H is SPD for N >= dim in general position).
        var rhs = [Double](repeating: 0, count: dim)
        for i in 0..<samples { for j in 0..<dim { rhs[j] += x[i * dim + j] * y[i] / Double(samples) } }
        self.x = x
        self.y = y
        hessian = exact
        diag = (0..<dim).map { exact[$0 * dim + $0] }
        minimizer = try LeastSquaresProblem.choleskySolve(exact, rhs, dim)
    }

    static func choleskySolve(_ a: [Double], _ b: [Double], _ n: Int) throws -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { throw RuntimeFailure("the Hessian X^T X / N is not positive definite (need samples >= dim in general position)") }
                    l[i * n + i] = s.squareRoot()
                } else {
                    l[i * n + j] = s / l[j * n + j]
                }
            }
        }
        var z = b
        for i in 0..<n {
            for k in 0..<i { z[i] -= l[i * n + k] * z[k] }
            z[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { z[i] -= l[k * n + i] * z[k] }
            z[i] /= l[i * n + i]
        }
        return z
    }

    /// Adds the gradient of the loss on data point `i` at `w`, scaled by `weight`, into `g`.
    func addGradient(_ i: Int, _ w: [Double], weight: Double, into g: inout [Double]) {
        var r = -y[i]
        for j in 0..<dim { r += x[i * dim + j] * w[j] }
        r *= weight
        for j in 0..<dim { g[j] += x[i * dim + j] * r }
    }

    /// One random sample: a data point, or a fresh draw for the quadratic.
    func sampleGradient(_ rng: inout SplitMix64, _ w: [Double], weight: Double, into g: inout [Double],
                        scratch xs: inout [Double]) {
        guard quadratic else {
            addGradient(Int(rng.next() % UInt64(samples)), w, weight: weight, into: &g)
            return
        }
        var r = -noise * rng.normal()
        for j in 0..<dim {
            xs[j] = scales[j] * rng.normal()
            r += xs[j] * (w[j] - wStar[j])
        }
        r *= weight
        for j in 0..<dim { g[j] += xs[j] * r }
    }
}

/// Logistic regression with labels drawn from the model: `x_i` as in `LeastSquaresProblem` (times 3,
/// so that the curvature p(1-p) varies), `P(y_i = 1) = sigmoid(x_i . w*)`, loss = mean log-loss.
/// The reference is `H = X^T diag(p (1 - p)) X / N` at the minimizer found by Newton's method, in
/// float64 (the minimizer itself is only a float64 solution, so there is no exact Hessian here).
struct LogisticProblem: ExponentProblem {
    let dim: Int, samples: Int
    var x: [Double], labels: [Double]
    var diag: [Double] = [], minimizer: [Double]

    init(dim: Int, samples: Int, decades: Double, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let h = (0..<dim).map { pow(10, -decades * Double($0) / Double(dim - 1)) }
        let wStar = (0..<dim).map { _ in rng.normal() }
        x = (0..<(samples * dim)).map { 3 * h[$0 % dim].squareRoot() * rng.normal() }
        labels = [Double](repeating: 0, count: samples)
        self.dim = dim
        self.samples = samples
        minimizer = [Double](repeating: 0, count: dim)
        for i in 0..<samples { labels[i] = rng.uniform() < sigmoid(margin(i, wStar)) ? 1 : 0 }
        var hessian = [Double](repeating: 0, count: dim * dim)
        for _ in 0..<50 {  // Newton's method on the mean log-loss
            var grad = [Double](repeating: 0, count: dim)
            hessian = curvature(at: minimizer, gradient: &grad)
            for j in 0..<dim { hessian[j * dim + j] += 1e-12 }
            let step = try LeastSquaresProblem.choleskySolve(hessian, grad, dim)
            if step.contains(where: { !$0.isFinite }) { throw RuntimeFailure("Newton's method diverged") }
            for j in 0..<dim { minimizer[j] -= step[j] }
        }
        var unused = [Double](repeating: 0, count: dim)
        hessian = curvature(at: minimizer, gradient: &unused)
        diag = (0..<dim).map { hessian[$0 * dim + $0] }
    }

    private func margin(_ i: Int, _ w: [Double]) -> Double {
        var z = 0.0
        for j in 0..<dim { z += x[i * dim + j] * w[j] }
        return z
    }

    private func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }

    /// `X^T diag(p(1-p)) X / N` at `w`; the mean gradient `X^T (p - y) / N` goes into `gradient`.
    private func curvature(at w: [Double], gradient: inout [Double]) -> [Double] {
        var hessian = [Double](repeating: 0, count: dim * dim)
        let n = Double(samples)
        for i in 0..<samples {
            let p = sigmoid(margin(i, w)), c = p * (1 - p) / n
            for j in 0..<dim {
                gradient[j] += x[i * dim + j] * (p - labels[i]) / n
                for k in 0..<dim { hessian[j * dim + k] += c * x[i * dim + j] * x[i * dim + k] }
            }
        }
        return hessian
    }

    func sampleGradient(_ rng: inout SplitMix64, _ w: [Double], weight: Double, into g: inout [Double],
                        scratch xs: inout [Double]) {
        let i = Int(rng.next() % UInt64(samples))
        let r = weight * (sigmoid(margin(i, w)) - labels[i])
        for j in 0..<dim { g[j] += x[i * dim + j] * r }
    }
}
