import ArgumentParser
import CPlumb

/// `plumb hessian`: which Hessian does Adam's second moment track? (MATH.md section 4)
///
/// Least squares `L(w) = ||X w - y||^2 / (2N)` with `X_ij = sqrt(h_j) z_ij`, `y = X w* + s e`
/// (`z, e ~ N(0, 1)`), so `H = X^T X / N ~ diag(h)` spans `--decades` decades; the reference is the
/// exact H from `plumb_exact_least_squares_hessian`. Starting at the minimizer, each step uses a
/// one-sample gradient (the source of parameter wandering), and after a burn-in the probe observes a
/// gradient on a fresh batch of `B` samples at the current parameters. For SGD,
/// `E[g^2] ~ (lr s^2 / 2) H^2 + (s^2 / B) H`: the fitted exponent of `sqrt(v_hat)` on `diag H` moves
/// from 1 (wandering dominates: large lr, large B) to 0.5 (sample noise dominates: small lr, small B).
struct HessianCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hessian",
        abstract: "Exponent test: does sqrt(v_hat) track H (exponent 1) or sqrt(H) (exponent 0.5)?")

    @Option(help: "Parameters (dimension of w).") var dim: Int = 16
    @Option(help: "Data points N of the least-squares problem.") var samples: Int = 2000
    @Option(help: "Decades spanned by the Hessian's diagonal.") var decades: Double = 3
    @Option(help: "Residual noise s.") var noise: Double = 1
    @Option(help: "Optimizer steps per run (observations start after the first quarter).") var steps: Int = 10000
    @Option(parsing: .upToNextOption, help: "SGD learning rates.") var sgdLr: [Double] = [0.5, 0.05, 0.005]
    @Option(parsing: .upToNextOption, help: "Adam learning rates.") var adamLr: [Double] = [0.3, 0.03, 0.003]
    @Option(parsing: .upToNextOption, help: "Observation batch sizes B.") var batch: [Int] = [1, 64, 4096]
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Flag(help: "Quadratic instead: the population loss E[(x.w - y)^2]/2 with fresh samples x ~ N(0, diag h), exact H = diag(h).")
    var quadratic = false

    func validate() throws {
        guard dim >= 2, samples >= 1, steps >= 4, decades > 0, noise > 0 else {
            throw ValidationError("need dim >= 2, samples >= 1, steps >= 4, decades > 0, noise > 0")
        }
        guard batch.allSatisfy({ $0 >= 1 }), (sgdLr + adamLr).allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ValidationError("batch sizes must be >= 1 and learning rates finite and > 0")
        }
    }

    func run() throws {
        let problem = try LeastSquaresProblem(dim: dim, samples: samples, decades: decades, noise: noise, seed: seed,
                                              quadratic: quadratic)
        if quadratic {
            print("quadratic (population least squares, fresh samples): dim = \(dim), H = diag(h) spans \(decades) decades, noise s = \(noise)")
        } else {
            print("least squares: N = \(samples), dim = \(dim), diag H spans \(decades) decades, noise s = \(noise)")
        }
        print("steps use 1-sample gradients; the probe (beta2 = 0.999) observes a fresh B-sample gradient;")
        print("exponent = slope of log sqrt(v_hat) on log diag(H_exact)  (1: wandering, 0.5: sample noise)")
        print(pad("optimizer", 10) + pad("lr", 9) + pad("B", 6) + pad("lr*h*B/2 range", 18) + pad("exponent", 10)
              + pad("log corr", 10) + pad("rel err", 9))
        let hMin = problem.diag.min() ?? 0, hMax = problem.diag.max() ?? 0
        for (name, lrs) in [("sgd", sgdLr), ("adam", adamLr)] {
            for lr in lrs {
                for b in batch {
                    guard let report = try problem.run(adam: name == "adam", lr: lr, batch: b, steps: steps, seed: seed &+ 17) else {
                        print(pad(name, 10) + pad(sci(lr), 9) + pad(String(b), 6) + "diverged")
                        continue
                    }
                    let ratio = name == "sgd"
                        ? "\(sci(lr * hMin * Double(b) / 2))..\(sci(lr * hMax * Double(b) / 2))" : "-"
                    print(pad(name, 10) + pad(sci(lr), 9) + pad(String(b), 6) + pad(ratio, 18)
                          + pad(fixed(report.exponent, 3), 10) + pad(fixed(report.log_correlation, 3), 10)
                          + pad(fixed(report.relative_error, 3), 9))
                }
            }
        }
    }
}

/// A least-squares problem with its exact Hessian (see `HessianCommand`). With `quadratic`, the
/// population version: every gradient draws fresh samples `x ~ N(0, diag h)`, `y = x.w* + s e`, so the
/// loss is the quadratic `(w - w*)^T diag(h) (w - w*) / 2 + s^2 / 2` with exact Hessian `diag(h)`.
struct LeastSquaresProblem {
    let dim: Int, samples: Int
    var x: [Double], y: [Double]
    var quadratic = false, noise = 1.0, scales: [Double] = [], wStar: [Double] = []
    /// Exact H = X^T X / N (correctly rounded), its diagonal, and the minimizer w_hat.
    var hessian: [Double], diag: [Double], minimizer: [Double]

    init(dim: Int, samples: Int, decades: Double, noise: Double, seed: UInt64, quadratic: Bool = false) throws {
        var rng = SplitMix64(seed: seed)
        let h = (0..<dim).map { pow(10, -decades * Double($0) / Double(dim - 1)) }
        let wStar = (0..<dim).map { _ in rng.normal() }
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
            throw ValidationError("exact Hessian failed: " + message)
        }
        // Minimizer: H w = X^T y / N by Cholesky (H is SPD for N >= dim in general position).
        var rhs = [Double](repeating: 0, count: dim)
        for i in 0..<samples { for j in 0..<dim { rhs[j] += x[i * dim + j] * y[i] / Double(samples) } }
        self.dim = dim
        self.samples = samples
        self.x = x
        self.y = y
        hessian = exact
        diag = (0..<dim).map { exact[$0 * dim + $0] }
        minimizer = try LeastSquaresProblem.choleskySolve(exact, rhs, dim)
        if quadratic {
            self.quadratic = true
            self.noise = noise
            scales = h.map { $0.squareRoot() }
            self.wStar = wStar
            hessian = (0..<(dim * dim)).map { $0 % (dim + 1) == 0 ? h[$0 / (dim + 1)] : 0 }
            diag = h
            minimizer = wStar
        }
    }

    static func choleskySolve(_ a: [Double], _ b: [Double], _ n: Int) throws -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var s = a[i * n + j]
                for k in 0..<j { s -= l[i * n + k] * l[j * n + k] }
                if i == j {
                    guard s > 0 else { throw ValidationError("Hessian is not positive definite") }
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

    /// Adds the gradient of one random sample (a data point, or a fresh draw for the quadratic).
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

    /// One run: SGD or Adam from the minimizer; returns the probe's RMS report against diag(H), or
    /// nil when the run diverged (a non-finite gradient, which the probe rejects with PLUMB_ERR_DOMAIN).
    func run(adam: Bool, lr: Double, batch: Int, steps: Int, seed: UInt64) throws -> plumb_hess_report? {
        var rng = SplitMix64(seed: seed)
        var config = plumb_hess_config(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, full_matrix: 0)
        var probe: OpaquePointer?
        guard plumb_hess_create(Int64(dim), &config, &probe) == PLUMB_OK else {
            throw ValidationError(String(cString: plumb_last_error()))
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
                let status = plumb_hess_observe_f64(probe, g)
                if status == PLUMB_ERR_DOMAIN { return nil }
                guard status == PLUMB_OK else { throw ValidationError(String(cString: plumb_last_error())) }
            }
        }
        var report = plumb_hess_report()
        guard plumb_hess_compare(probe, PLUMB_HESS_RMS, diag, &report) == PLUMB_OK else {
            throw ValidationError(String(cString: plumb_last_error()))
        }
        return report
    }
}
