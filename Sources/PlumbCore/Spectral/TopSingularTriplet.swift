/// The top singular triplet of a dense row-major matrix by thick-restart Lanczos on `A = W^T W`.
///
/// MATH.md section 3. Lanczos with full reorthogonalisation (classical Gram-Schmidt applied twice)
/// builds an orthonormal basis `Q` of a Krylov space of `A` and the projection `H = Q^T A Q`
/// (kept dense, so thick restarts need no special case). The relation
/// `A Q_j = Q_j H_j + beta_j q_{j+1} e_j^T` gives the Ritz residual `||A x - theta x|| = |beta_j s_j|`
/// without a pass. After `maxBasis` vectors the method restarts from the `keep` best Ritz vectors
/// and the residual direction (Wu & Simon's thick restart). Every pass reads W once
/// (`gramPass`). The result is then VERIFIED with one more pass on the returned (format-rounded)
/// vector, so the reported residual describes exactly the vectors the caller gets.
///
/// Certificate (for unit `v`, `u = W v / ||W v||`, `sigma = ||W v||`, `rho = ||W^T W v - sigma^2 v||`):
/// - `residual = rho / sigma` (+ a rounding allowance) bounds the distance from `sigma` to the
///   nearest singular value of W. Since `sigma <= sigma_1`, this is `|sigma - sigma_1|` whenever the
///   Krylov space has a component along `v_1` (always, except for a start vector exactly orthogonal
///   to `v_1`, which no finite method can detect).
/// - `gap_ratio = sqrt(lambda2_hi) / sigma` with `lambda2_hi = theta_2 + res_2` (second Ritz value plus
///   its residual) estimates `sigma_2 / sigma_1`; it is an estimate, not a proven bound.
/// - `angle_bound = asin(rho / (sigma^2 - lambda2_hi))` (Davis-Kahan sin-theta for `v`; the angle of `u`
///   is never larger, because `tan angle(u, u_1) <= (sigma_2/sigma_1) tan angle(v, v_1)`), reported
///   only when the gap clearly exceeds the residual (`sigma^2 - lambda2_hi > 2 rho`), else +inf.
public struct SpectralResult: Sendable {
    public var sigma: Double = 0
    public var residual: Double = 0
    public var angleBound: Double = .infinity
    public var gapRatio: Double = .nan
    public var iterations: Int = 0
    public var converged: Bool = false
    public init() {}
}

/// Outcome of `topTriplet` before it is written into the caller's format.
struct TripletWork {
    var result = SpectralResult()
    /// The returned right vector (already rounded to the element format), cols values.
    var v: [Double]
    /// `W v` for that `v`, rows values.
    var wv: [Double]
    /// `||v||` (1 up to the format's rounding).
    var vNorm: Double
}

/// A deterministic default start: SplitMix64 values in [-1, 1), never structurally orthogonal to
/// `v_1` the way the all-ones vector can be.
func defaultStart(_ n: Int) -> [Double] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    return (0..<n).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-52 - 1
    }
}

@inline(__always) private func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    var s0 = 0.0, s1 = 0.0
    var j = 0
    while j + 2 <= n { s0 += a[j] * b[j]; s1 += a[j + 1] * b[j + 1]; j += 2 }
    if j < n { s0 += a[j] * b[j] }
    return s0 + s1
}

/// `y = W^T W x` for a unit `x` (cols values): one pass over W.
typealias GramOperator = (_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>) -> Void

/// Error allowance of the float32-arithmetic pass (`gramPassSingleBody`) relative to `||W^T W||`:
/// 2^-20 ~ 9.5e-7, ten times its typical error. Ritz values of that search can be off by this much,
/// so the gap estimate is widened by it; and float32 matrices use that pass only when `tol` is at
/// least this allowance (the default 1e-6 is).
let singlePassError = 0x1p-20

/// Finds the top singular triplet. `start` holds the caller's v (format values as Double);
/// `maxPasses >= 1`, `tol >= 0` relative residual `rho / sigma^2`.
///
/// For a float32 W with `tol >= singlePassError` (and row norms in the range that pass
/// needs) the Lanczos and probe passes use float32 arithmetic; the verification pass is binary64
/// whatever the search used, and when it does not confirm `tol` the search continues with binary64
/// passes from the verified vector (within `maxPasses`).
func topTriplet<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, start: [Double], maxPasses: Int, tol: Double,
    as _: T.Type
) -> TripletWork {
    let scratch = UnsafeMutablePointer<Double>.allocate(capacity: passBlocks(rows: rows) * cols)
    defer { scratch.deallocate() }
    var x0 = start
    var n0 = x0.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, cols) }.squareRoot()
    if !(n0 > 0) || !n0.isFinite {
        x0 = defaultStart(cols)
        n0 = x0.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, cols) }.squareRoot()
    }
    x0 = x0.map { $0 / n0 }
    var rowNorms2 = [Double](repeating: 0, count: rows)
    rowNorms2.withUnsafeMutableBufferPointer { rowNormsSquared(w, rows: rows, cols: cols, into: $0.baseAddress!) }
    let binary64: GramOperator = { x, y in gramPass(w, rows: rows, cols: cols, x: x, y: y, wx: nil, scratch: scratch) }
    var single = T.self == Float.self && tol >= singlePassError
        && rowNorms2.withUnsafeBufferPointer { singlePrecisionPassApplies(rowNorms2: $0.baseAddress!, rows: rows) }
    var passes = 0
    while true {
        var gapInfo: (theta1: Double, lambda2Hi: Double)? = nil
        // Lanczos runs while at least one pass stays for the verification.
        if maxPasses - passes >= 2 && cols > 0 {
            let op: GramOperator = single ? { x, y in
                SpectralKernels.passSingle(UnsafeRawPointer(w).assumingMemoryBound(to: Float.self), rows, cols, x, y, scratch)
            } : binary64
            let run = lanczos(op, cols: cols, start: x0, maxPasses: maxPasses - passes - 1, tol: tol)
            passes += run.passes
            x0 = run.x
            // Ritz values of the float32-arithmetic operator are within its error of the true ones.
            let margin = single ? singlePassError * abs(run.gapInfo?.theta1 ?? 0) : 0
            gapInfo = run.gapInfo.map { ($0.theta1, $0.lambda2Hi + margin) }
            // Multiplicity probe: a single-vector Krylov space cannot see a repeated sigma_1, so a few
            // Lanczos passes on the deflated operator (I - x x^T) A (I - x x^T) from an independent
            // start estimate its top eigenvalue (>= lambda_2 by interlacing). Its Ritz value (plus its
            // residual when it exceeds the main run's estimate) joins the estimate. Six passes: with
            // two, top pairs within ~1e-6 of each other were missed in ~1% of random cases
            // (certificates then understated); with six none were in 5200.
            let probe = min(cols - 1, 6, maxPasses - 1 - passes)
            if probe >= 1 {
                let (td, rd0, used) = deflatedProbe(op, cols: cols, x: x0, steps: probe)
                let rd = rd0 + (single ? singlePassError * max(abs(gapInfo?.theta1 ?? 0), abs(td)) : 0)
                passes += used
                if let g = gapInfo {
                    // A probe value above the main estimate means a direction the main run did not
                    // see (e.g. a repeated sigma_1): then its residual counts too.
                    gapInfo = (g.theta1, td > g.lambda2Hi ? td + rd : g.lambda2Hi)
                } else {
                    gapInfo = (0, td + rd)
                }
            }
        }
        let work = verify(w, rows: rows, cols: cols, x: x0, rowNorms2: rowNorms2, gapInfo: gapInfo, tol: tol,
                          scratch: scratch)
        passes += 1
        if work.result.converged || !single || maxPasses - passes < 3 {
            var done = work
            done.result.iterations = passes
            return done
        }
        // The float32-arithmetic search stalled short of tol: go on in binary64 from the verified v.
        single = false
        x0 = work.v.map { $0 / work.vNorm }
    }
}

/// Thick-restart Lanczos on the operator `op` from the unit vector `start`, at most `maxPasses`
/// passes, stopping when the top Ritz residual is below `tol / 2` (relative). Returns the top Ritz
/// vector, the gap estimate `(theta_1, theta_2 + res_2)` when the basis has two vectors, and the
/// passes used.
func lanczos(
    _ op: GramOperator, cols: Int, start: [Double], maxPasses: Int, tol: Double
) -> (x: [Double], gapInfo: (theta1: Double, lambda2Hi: Double)?, passes: Int) {
    let maxBasis = min(cols, 30)
    let keep = min(4, maxBasis - 1)
    var q = [Double](repeating: 0, count: (maxBasis + 1) * cols)
    var h = [Double](repeating: 0, count: maxBasis * maxBasis)
    var y = [Double](repeating: 0, count: cols)
    for j in 0..<cols { q[j] = start[j] }
    var j = 0           // vectors in the basis whose A-image is known
    var best = start
    var gapInfo: (theta1: Double, lambda2Hi: Double)? = nil
    var passes = 0
    while passes < maxPasses {
        // q[j] is the next basis vector (orthonormal to q[0..<j]).
        let ok = q.withUnsafeMutableBufferPointer { qb -> Bool in
            y.withUnsafeMutableBufferPointer { yb in
                op(qb.baseAddress! + j * cols, yb.baseAddress!)
                passes += 1
                for k in 0..<cols where !yb[k].isFinite { return false }
                // Full reorthogonalisation, twice; the coefficients are column j of H.
                var coeff = [Double](repeating: 0, count: j + 1)
                for _ in 0..<2 {
                    for i in 0...j {
                        let qi = qb.baseAddress! + i * cols
                        let c = dot(qi, yb.baseAddress!, cols)
                        coeff[i] += c
                        for k in 0..<cols { yb[k] -= c * qi[k] }
                    }
                }
                for i in 0...j { h[i * maxBasis + j] = coeff[i]; h[j * maxBasis + i] = coeff[i] }
                return true
            }
        }
        if !ok { break }
        let size = j + 1
        let beta = y.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, cols) }.squareRoot()
        var small = [Double](repeating: 0, count: size * size)
        for a in 0..<size { for b in 0..<size { small[a * size + b] = h[a * maxBasis + b] } }
        let (values, vectors) = ritzPairs(small, n: size)
        let theta1 = values[0]
        let res1 = abs(beta * vectors[(size - 1) * size + 0])
        if size >= 2 {
            gapInfo = (theta1, values[1] + abs(beta * vectors[(size - 1) * size + 1]))
        }
        let tiny = beta <= 1e-14 * max(abs(theta1), .leastNormalMagnitude)
        let done = res1 <= 0.5 * tol * abs(theta1) || tiny || size == cols
        if done || passes >= maxPasses {
            // The top Ritz vector.
            best = [Double](repeating: 0, count: cols)
            for i in 0..<size {
                let s = vectors[i * size + 0]
                if s == 0 { continue }
                for k in 0..<cols { best[k] += s * q[i * cols + k] }
            }
            break
        }
        if size == maxBasis {
            // Thick restart: keep the `keep` best Ritz vectors plus the residual direction.
            var newQ = [Double](repeating: 0, count: (maxBasis + 1) * cols)
            var newH = [Double](repeating: 0, count: maxBasis * maxBasis)
            for r in 0..<keep {
                for i in 0..<size {
                    let s = vectors[i * size + r]
                    if s == 0 { continue }
                    for k in 0..<cols { newQ[r * cols + k] += s * q[i * cols + k] }
                }
                newH[r * maxBasis + r] = values[r]
            }
            for k in 0..<cols { newQ[keep * cols + k] = y[k] / beta }
            q = newQ
            h = newH
            // The coupling entries H[r][keep] are recomputed by the next projection.
            j = keep
        } else {
            for k in 0..<cols { q[(j + 1) * cols + k] = y[k] / beta }
            j += 1
        }
    }
    return (best, gapInfo, passes)
}

/// The verification pass on the vector the caller will receive (x rounded to T) and the
/// certificate built from it (see `SpectralResult`); `rowNorms2` holds `||w_i||^2`.
private func verify<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: [Double], rowNorms2: [Double],
    gapInfo: (theta1: Double, lambda2Hi: Double)?, tol: Double, scratch: UnsafeMutablePointer<Double>
) -> TripletWork {
    var v = x.map { Double(T(narrowing: $0)) }
    var vNorm2 = v.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, cols) }
    if !(vNorm2 > 0) {
        v = defaultStart(cols).map { Double(T(narrowing: $0)) }
        vNorm2 = v.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, cols) }
    }
    // Normalise in T when x is far from unit (a start vector the search never replaced).
    if abs(vNorm2 - 1) > 1e-3 {
        let s = 1 / vNorm2.squareRoot()
        v = v.map { Double(T(narrowing: $0 * s)) }
        vNorm2 = v.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, cols) }
    }
    var wv = [Double](repeating: 0, count: rows)
    var y = [Double](repeating: 0, count: cols)
    v.withUnsafeBufferPointer { vb in
        y.withUnsafeMutableBufferPointer { yb in
            wv.withUnsafeMutableBufferPointer { wb in
                gramPass(w, rows: rows, cols: cols, x: vb.baseAddress!, y: yb.baseAddress!, wx: wb.baseAddress!,
                         scratch: scratch)
            }
        }
    }
    // ||W||_F >= sigma_1, rounded up generously (relative error of the sum <= rows+cols units).
    let frobenius = rowNorms2.reduce(0, +).squareRoot() * (1 + Double(rows + cols + 4) * 0x1p-52)
    let vNorm = vNorm2.squareRoot()
    let wv2 = wv.withUnsafeBufferPointer { dot($0.baseAddress!, $0.baseAddress!, rows) }
    let theta = wv2 / vNorm2
    var rho2 = 0.0
    for k in 0..<cols { let d = y[k] - theta * v[k]; rho2 += d * d }
    let rho = rho2.squareRoot() / vNorm
    let sigma = theta.squareRoot()
    var result = SpectralResult()
    result.sigma = sigma
    if sigma == 0 {
        result.residual = 0
        result.gapRatio = 1
        result.angleBound = .infinity
        result.converged = true
        return TripletWork(result: result, v: v, wv: wv, vNorm: vNorm)
    }
    // Rounding allowance of the binary64 evaluation of rho (Higham-style n*u*|A||v| bound).
    let roundoff = Double(cols + rows + 8) * 0x1p-52 * sigma
    result.residual = rho / sigma + roundoff
    result.converged = rho <= tol * theta
    let separated = gapInfo.map { theta - max(0, $0.lambda2Hi) > 2 * (rho + roundoff * sigma) } ?? false
    if !separated {
        // rho / sigma bounds the distance to the NEAREST singular value; unless the gap estimate
        // shows that one is sigma_1 (as the angle bound below also requires), fall back on the
        // proven sigma <= sigma_1 <= ||W||_F. With sigma_2 within rho of sigma_1 the iteration may
        // have settled on sigma_2 even when tol was met, so this holds for converged runs too.
        result.residual = max(result.residual, frobenius - sigma)
    }
    if cols == 1 {
        // v = +-1 is exact: only rounding of u remains; there is no sigma_2.
        result.gapRatio = 0
        result.angleBound = result.residual / sigma + Double(T.ulpOfOne)
    } else if let g = gapInfo {
        let lambda2 = max(0, g.lambda2Hi)
        result.gapRatio = min(1, (lambda2 / theta).squareRoot())
        let gap = theta - lambda2
        let rhoAll = rho + roundoff * sigma
        if gap > 2 * rhoAll {
            // + the rounding of u to the element format (|delta u| <= unit roundoff).
            result.angleBound = asinBound(rhoAll / gap) + Double(T.ulpOfOne)
        }
    }
    return TripletWork(result: result, v: v, wv: wv, vNorm: vNorm)
}

@inline(__always) private func asinBound(_ s: Double) -> Double {
    // asin(s) <= s * pi / 2 for s in [0, 1]; use the simple exact-enough upper bound.
    s >= 1 ? .infinity : min(s * 1.5707963267948966, s / (1 - s * s).squareRoot())
}

/// Top Ritz value (and its residual) of `P A P`, `P = I - x x^T / ||x||^2`, after `steps` Lanczos
/// passes of `op` with full reorthogonalisation against x and the basis. Returns the passes used.
func deflatedProbe(
    _ op: GramOperator, cols: Int, x: [Double], steps: Int
) -> (theta: Double, residual: Double, passes: Int) {
    let xn2 = x.reduce(0) { $0 + $1 * $1 }
    guard xn2 > 0 else { return (0, 0, 0) }
    let xs = x.map { $0 / xn2.squareRoot() }
    var basis: [[Double]] = []
    var h = [Double](repeating: 0, count: steps * steps)
    var q = defaultStart(cols).enumerated().map { $0.element * (1 + 0.5 * Double($0.offset % 3)) }
    func orth(_ y: inout [Double], _ against: [[Double]]) -> [Double] {
        var coeff = [Double](repeating: 0, count: against.count)
        for _ in 0..<2 {
            var c = 0.0
            for k in 0..<cols { c += xs[k] * y[k] }
            for k in 0..<cols { y[k] -= c * xs[k] }
            for (i, b) in against.enumerated() {
                var d = 0.0
                for k in 0..<cols { d += b[k] * y[k] }
                coeff[i] += d
                for k in 0..<cols { y[k] -= d * b[k] }
            }
        }
        return coeff
    }
    _ = orth(&q, [])
    var nq = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
    guard nq > 0 else { return (0, 0, 0) }
    q = q.map { $0 / nq }
    var y = [Double](repeating: 0, count: cols)
    var theta = 0.0, res = 0.0, used = 0
    for j in 0..<steps {
        basis.append(q)
        q.withUnsafeBufferPointer { qb in
            y.withUnsafeMutableBufferPointer { yb in op(qb.baseAddress!, yb.baseAddress!) }
        }
        used += 1
        let coeff = orth(&y, basis)
        for i in 0...j { h[i * steps + j] = coeff[i]; h[j * steps + i] = coeff[i] }
        let beta = y.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let size = j + 1
        var small = [Double](repeating: 0, count: size * size)
        for a in 0..<size { for b in 0..<size { small[a * size + b] = h[a * steps + b] } }
        let (values, vectors) = ritzPairs(small, n: size)
        theta = values[0]
        res = abs(beta * vectors[(size - 1) * size])
        nq = beta
        if !(beta > 1e-14 * max(abs(theta), .leastNormalMagnitude)) || size == cols - 1 { break }
        q = y.map { $0 / nq }
    }
    return (theta, res, used)
}
