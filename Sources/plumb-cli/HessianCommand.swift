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
    @Option(name: .customLong("sgd-lr"), parsing: .upToNextOption,
            help: "SGD learning rates, separated by spaces or commas.") var sgdLrArguments = ["0.5", "0.05", "0.005"]
    @Option(name: .customLong("adam-lr"), parsing: .upToNextOption,
            help: "Adam learning rates, separated by spaces or commas.") var adamLrArguments = ["0.3", "0.03", "0.003"]
    @Option(name: .customLong("batch"), parsing: .upToNextOption,
            help: "Observation batch sizes B, separated by spaces or commas.") var batchArguments = ["1", "64", "4096"]
    var batch: [Int] { get throws { try commaSeparated(batchArguments, option: "batch") } }
    var sgdLr: [Double] { get throws { try commaSeparated(sgdLrArguments, option: "sgd-lr") } }
    var adamLr: [Double] { get throws { try commaSeparated(adamLrArguments, option: "adam-lr") } }
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: """
        least-squares: exact H = X^T X / N (GMP); quadratic: the population loss E[(x.w - y)^2]/2 \
        with fresh samples x ~ N(0, diag h), exact H = diag(h); logistic: logistic regression, H at \
        the minimizer in float64.
        """)
    var problem: ProblemKind = .leastSquares

    enum ProblemKind: String, ExpressibleByArgument, CaseIterable {
        case leastSquares = "least-squares", quadratic, logistic
    }

    func validate() throws {
        guard dim >= 2, samples >= 1, steps >= 4, decades > 0, noise > 0 else {
            throw ValidationError("need dim >= 2, samples >= 1, steps >= 4, decades > 0, noise > 0")
        }
        // A demonstration, not a solver: sizes that fit memory and finish (huge values crashed on
        // allocation or overflowed, some ran for hours).
        guard dim <= 4096, samples <= 1_000_000, dim * samples <= 1 << 26, steps <= 1_000_000,
              decades <= 30, noise <= 1e6 else {
            throw ValidationError("need dim <= 4096, samples <= 1000000, dim * samples <= 2^26, steps <= 1000000, "
                                  + "decades <= 30, noise <= 1e6")
        }
        let batch = try self.batch, sgdLr = try self.sgdLr, adamLr = try self.adamLr
        guard batch.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }), (sgdLr + adamLr).allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw ValidationError("batch sizes must be in [1, 2^20] and learning rates finite and > 0")
        }
    }

    func run() throws {
        let problem: any ExponentProblem
        switch self.problem {
        case .leastSquares, .quadratic:
            let quadratic = self.problem == .quadratic
            problem = try LeastSquaresProblem(dim: dim, samples: samples, decades: decades, noise: noise, seed: seed,
                                              quadratic: quadratic)
            print(quadratic
                  ? "quadratic (population least squares, fresh samples): dim = \(dim), H = diag(h) spans \(decades) decades, noise s = \(noise)"
                  : "least squares: N = \(samples), dim = \(dim), diag H spans \(decades) decades, noise s = \(noise)")
        case .logistic:
            problem = try LogisticProblem(dim: dim, samples: samples, decades: decades, seed: seed)
            print("logistic regression: N = \(samples), dim = \(dim), features spread over \(decades) decades; "
                  + "H = X^T diag(p(1-p)) X / N at the minimizer (float64)")
        }
        print("steps use 1-sample gradients; the probe (beta2 = 0.999) observes a fresh B-sample gradient;")
        print("exponent = slope of log sqrt(v_hat) on log diag(H)  (1: wandering, 0.5: sample noise)")
        print(pad("optimizer", 10) + pad("lr", 9) + pad("B", 6) + pad("lr*h*B/2 range", 18) + pad("exponent", 10)
              + pad("log corr", 10) + pad("rel err", 9))
        let hMin = problem.diag.min() ?? 0, hMax = problem.diag.max() ?? 0
        let batch = try self.batch
        for (name, lrs) in [("sgd", try sgdLr), ("adam", try adamLr)] {
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
