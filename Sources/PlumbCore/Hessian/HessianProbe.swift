#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Settings of a `HessianProbe` (validated by `HessianProbe.init`).
public struct HessianProbeConfig: Sendable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var fullMatrix: Bool

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, fullMatrix: Bool = false) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.fullMatrix = fullMatrix
    }
}

/// Which optimizer's implied Hessian diagonal to read from a probe (MATH.md section 4).
public enum HessianEstimator: Int, Sendable {
    /// `(sqrt(v_hat) + eps) / lr`: Adam is Newton with this diagonal.
    case adam = 0
    /// `sqrt(v_hat) / lr`: RMSprop without epsilon.
    case rms = 1
    /// `(sqrt(s_hat) + eps) / lr`, `s` the EMA of `(g - m)^2` (AdaBelief).
    case belief = 2
    /// `diag(sqrtm(C_hat)) / lr`, `C` the EMA of `g g^T` (full-matrix mode only).
    case full = 3
}

/// Streams gradients and keeps the moments an adaptive optimizer keeps, so its implied Hessian can
/// be read off (MATH.md section 4).
///
/// After `t` observations `g_1..g_t` (all moments start at 0):
///   `m_t = beta1 m_{t-1} + (1 - beta1) g_t`            (Adam's first moment)
///   `v_t = beta2 v_{t-1} + (1 - beta2) g_t^2`          (Adam's second moment)
///   `s_t = beta2 s_{t-1} + (1 - beta2) (g_t - m_t)^2`  (AdaBelief's "belief", with the updated m)
///   `C_t = beta2 C_{t-1} + (1 - beta2) g_t g_t^T`      (full-matrix mode)
/// and the bias-corrected values are `v_hat = v_t / (1 - beta2^t)` (same for s and C) and
/// `m_hat = m_t / (1 - beta1^t)`. AdaBelief's extra `+eps` inside `s` is not added (it is a
/// regularizer, not part of the moment).
///
/// State is binary64 whatever the gradient's format. `m, v, s` are interleaved per coordinate so
/// one observation is one pass over one array. Calls on one probe are serialized by a lock.
///
/// The updates are the plain binary64 recurrences, the bits an optimizer itself computes. Their
/// rounding accumulates: for a constant gradient v stalls once `(1 - beta2)(g^2 - v)` falls below
/// half an ulp of v, up to about `0.5 / (1 - beta2)` ulps from the exact value (plumb.h gives the
/// measurements). A compensated update would cure that but needs more state per coordinate, so
/// more memory traffic in `observe`, which runs at the copy roofline.
public final class HessianProbe: @unchecked Sendable {
    /// Largest dimension accepted in full-matrix mode (the C matrix takes dim^2 doubles: 128 MiB).
    public static let maxFullMatrixDim = 4096
    /// Coordinates per thread chunk below which `observe` stays on one thread.
    static let grain = 1 << 16

    public let dim: Int
    public let beta1: Double, beta2: Double, epsilon: Double
    public let fullMatrix: Bool
    public private(set) var steps: Int = 0

    /// `3 * dim` doubles: m, v, s of coordinate i at 3i, 3i+1, 3i+2.
    let state: UnsafeMutablePointer<Double>
    /// `dim * dim` doubles (row-major C), full-matrix mode only.
    let matrix: UnsafeMutablePointer<Double>?
    /// `dim` doubles: the current gradient widened to binary64 (full-matrix mode only).
    let widened: UnsafeMutablePointer<Double>?
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Validates `config` and allocates the state (zeros).
    /// - Throws: `.argument` for dim < 1, beta outside [0, 1), epsilon negative or not finite,
    ///   full-matrix mode with dim > `maxFullMatrixDim` or an overflowing size; `.noMemory`.
    public init(dim: Int, config: HessianProbeConfig) throws(PlumbError) {
        guard dim >= 1 else { throw .argument("dim = \(dim) must be >= 1") }
        guard config.beta1.isFinite && config.beta1 >= 0 && config.beta1 < 1 else {
            throw .argument("config->beta1 = \(config.beta1) must be in [0, 1)")
        }
        guard config.beta2.isFinite && config.beta2 >= 0 && config.beta2 < 1 else {
            throw .argument("config->beta2 = \(config.beta2) must be in [0, 1)")
        }
        guard config.epsilon.isFinite && config.epsilon >= 0 else {
            throw .argument("config->epsilon = \(config.epsilon) must be finite and >= 0")
        }
        if config.fullMatrix && dim > HessianProbe.maxFullMatrixDim {
            throw .argument("config->full_matrix needs dim <= \(HessianProbe.maxFullMatrixDim) "
                + "(the matrix takes dim^2 doubles); dim = \(dim)")
        }
        let (n3, o1) = dim.multipliedReportingOverflow(by: 3 * MemoryLayout<Double>.stride)
        guard !o1 else { throw .argument("dim = \(dim): state size overflows the address space") }
        guard let raw = calloc(n3 / 8, 8) else { throw .noMemory("cannot allocate \(n3) bytes of probe state") }
        state = raw.assumingMemoryBound(to: Double.self)
        if config.fullMatrix {
            guard let c = calloc(dim * dim, 8), let w = calloc(dim, 8) else {
                free(raw)
                throw .noMemory("cannot allocate the \(dim) x \(dim) full-matrix state")
            }
            matrix = c.assumingMemoryBound(to: Double.self)
            widened = w.assumingMemoryBound(to: Double.self)
        } else {
            matrix = nil
            widened = nil
        }
        self.dim = dim
        beta1 = config.beta1
        beta2 = config.beta2
        epsilon = config.epsilon
        fullMatrix = config.fullMatrix
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        free(state)
        free(matrix)
        free(widened)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` holding the probe's lock.
    public func locked<R>(_ body: () throws(PlumbError) -> R) throws(PlumbError) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// `1 - beta^t`, the bias correction after `t` steps, as `-expm1(t log1p(beta - 1))`: the
    /// direct `1 - pow(beta, t)` cancels for beta near 1 and small t (beta = 0.999, t = 30 loses
    /// ~5 bits), this form keeps the relative error to a few ulps (`beta - 1` is exact for
    /// beta >= 0.5). beta = 0 gives log1p(-1) = -inf and the correction 1.
    @inline(__always)
    static func biasCorrection(_ beta: Double, _ t: Int) -> Double { -expm1(Double(t) * log1p(beta - 1)) }

    /// Folds one gradient into the moments. The gradient is checked first: a NaN or infinite
    /// entry throws `.domain` naming the first such coordinate and leaves the state unchanged.
    public func observe(_ grad: UnsafePointer<Float>) throws(PlumbError) { try update(grad) }
    public func observe(_ grad: UnsafePointer<Double>) throws(PlumbError) { try update(grad) }

    private func update<T: BinaryFloatingPoint>(_ grad: UnsafePointer<T>) throws(PlumbError) {
        if let bad = firstNonFinite(grad, dim) {
            throw .domain(row: nil, "grad[\(bad)] = \(Double(grad[bad])) is not finite; probe state unchanged")
        }
        let b1 = beta1, c1 = 1 - beta1, b2 = beta2, c2 = 1 - beta2
        let st = state, wide = widened
        // One fused pass: each coordinate's m, v, s are read and written once.
        parallelChunks(dim, grain: HessianProbe.grain) { range in
            for i in range {
                let g = Double(grad[i])
                let p = st + 3 * i
                let m = b1 * p[0] + c1 * g
                let d = g - m
                p[0] = m
                p[1] = b2 * p[1] + c2 * (g * g)
                p[2] = b2 * p[2] + c2 * (d * d)
                if let wide { wide[i] = g }
            }
        }
        if let matrix, let wide {
            let n = dim
            parallelChunks(n, grain: max(1, (1 << 15) / n)) { rows in
                for j in rows {
                    let row = matrix + j * n
                    let gj = wide[j]
                    // c2 * (g_j g_k): the same bits for (j, k) and (k, j), so C stays symmetric.
                    for k in 0..<n { row[k] = b2 * row[k] + c2 * (gj * wide[k]) }
                }
            }
        }
        steps += 1
    }

    /// The implied Hessian diagonal of `estimator` at learning rate `lr` (see `HessianEstimator`).
    /// - Throws: `.argument` when no gradient was observed yet or `.full` is asked without
    ///   full-matrix mode; `.domain` when `.full` meets an overflowed C (see `secondMoment`);
    ///   `.notConverged` if the eigensolver fails (it does not on finite input).
    public func impliedDiagonal(_ estimator: HessianEstimator, lr: Double, into out: UnsafeMutablePointer<Double>) throws(PlumbError) {
        let e = estimator == .adam || estimator == .belief ? epsilon : 0
        try root(estimator, plus: e, over: lr, into: out)
    }

    /// The square root the estimator compares with epsilon: `sqrt(v_hat)` (ADAM, RMS),
    /// `sqrt(s_hat)` (BELIEF), `diag(sqrtm(C_hat))` (FULL). Computed from the moments, not by
    /// subtracting epsilon from the implied diagonal again: `(r + eps) - eps` need not be r (for
    /// r = 1 + 2^-52, eps = 1 it is 1, which counted r as epsilon-dominated).
    public func rootMoment(_ estimator: HessianEstimator) throws(PlumbError) -> [Double] {
        var out = [Double](repeating: 0, count: dim)
        try out.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Double>) throws(PlumbError) in
            try root(estimator, plus: 0, over: 1, into: b.baseAddress!)
        }
        return out
    }

    /// `out[i] = (r_i + add) / lr`, `r` the estimator's root moment: one pass over the state.
    private func root(_ estimator: HessianEstimator, plus add: Double, over lr: Double, into out: UnsafeMutablePointer<Double>) throws(PlumbError) {
        guard steps > 0 else { throw .argument("no gradient observed yet (steps = 0)") }
        switch estimator {
        case .adam, .rms, .belief:
            let bc2 = HessianProbe.biasCorrection(beta2, steps)
            let offset = estimator == .belief ? 2 : 1
            let st = state
            parallelChunks(dim, grain: HessianProbe.grain) { range in
                for i in range { out[i] = ((st[3 * i + offset] / bc2).squareRoot() + add) / lr }
            }
        case .full:
            guard fullMatrix else {
                throw .argument("estimator PLUMB_HESS_FULL needs a probe created with full_matrix = 1")
            }
            let (c, scale) = try secondMoment()
            let root = try symmetricSqrtDiagonal(c, dim, scale: scale)
            for i in 0..<dim { out[i] = (root[i] + add) / lr }
        }
    }

    /// The full-matrix state: the EMA matrix C (row-major) and the factor `1 / (1 - beta2^t)` with
    /// `C_hat = factor * C` (C is handed over unscaled: C_hat may overflow where C does not).
    /// - Throws: `.argument` without full-matrix mode or before the first gradient; `.domain` when
    ///   an entry of C is infinite: C overflowed (gradient entries beyond about 1.3e154, the square
    ///   root of binary64's largest value, overflow g g^T), and sqrtm(C_hat) is then undefined.
    public func secondMoment() throws(PlumbError) -> (matrix: UnsafePointer<Double>, factor: Double) {
        guard let matrix else { throw .argument("the probe was not created with full_matrix = 1") }
        guard steps > 0 else { throw .argument("no gradient observed yet (steps = 0)") }
        for k in 0..<(dim * dim) where !matrix[k].isFinite {
            throw .domain(row: k / dim, "the probe's second-moment matrix C overflowed (C[\(k / dim), \(k % dim)] = "
                + "\(matrix[k])): gradient entries beyond about 1.3e154 in magnitude overflow g g^T in binary64, "
                + "and sqrtm(C_hat) is undefined")
        }
        return (UnsafePointer(matrix), 1 / HessianProbe.biasCorrection(beta2, steps))
    }
}

/// Index of the first NaN or infinite value among `n`, or nil (scanned in parallel chunks, the
/// reported index is the lowest for any thread count).
func firstNonFinite<T: BinaryFloatingPoint>(_ x: UnsafePointer<T>, _ n: Int) -> Int? {
    let chunks = 64
    let found = UnsafeMutablePointer<Int>.allocate(capacity: chunks)
    defer { found.deallocate() }
    found.initialize(repeating: Int.max, count: chunks)
    let per = (n + chunks - 1) / chunks
    parallelChunks(chunks, grain: max(1, (1 << 16) / max(1, per))) { cs in
        for c in cs {
            let lo = min(n, c * per), hi = min(n, lo + per)
            var i = lo
            while i < hi {
                if !x[i].isFinite { found[c] = i; break }
                i += 1
            }
        }
    }
    for c in 0..<chunks where found[c] != Int.max { return found[c] }
    return nil
}
