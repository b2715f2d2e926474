import CNumerics
import PlumbCore

/// Result of `exactSpectralNorm`.
public struct ExactSpectralResult {
    /// sigma_1, correctly rounded to binary64.
    public var sigma: Double
    /// Left and right singular vectors to binary64 working accuracy.
    public var u: [Double]
    public var v: [Double]
}

/// The correctly rounded largest singular value of a binary64 matrix (MATH.md section 3).
///
/// 1. `W = 2^E A` with an integer matrix `A` (binary64 values are dyadic); the Gram matrix
///    `G = A^T A` or `A A^T` (the smaller) is formed exactly with GMP, `sigma_1 = 2^E sqrt(lambda_max(G))`.
/// 2. A top eigenvector `x` of G: Jacobi in binary64, then Rayleigh-quotient iteration in MPFR at
///    the working precision `p` (an approximation stage only; nothing below relies on its accuracy).
/// 3. Rigorous enclosure `lo <= lambda_max <= hi`: `lo` is the EXACT Rayleigh quotient of the integer
///    vector `X = round(2^p x)` (every Rayleigh quotient is <= lambda_max); `hi = lo (1 + 2^-(p-8))`
///    rounded up to a dyadic `M 2^s`, accepted only when `hi I - G` is proved positive definite by
///    exact Bareiss elimination (all leading principal minors > 0), i.e. every eigenvalue < hi.
///    If the proof fails the width grows by `2^16` (three tries) and then the precision doubles.
/// 4. `sigma in [2^E sqrt(lo) (rounded down), 2^E sqrt(hi) (rounded up)]`; Ziv's loop doubles `p` until
///    both ends round to the same binary64 value, or, once they round to adjacent values, until
///    the exact comparison of sigma_1 with the midpoint between them decides (which also settles
///    a sigma_1 at or within any distance of the midpoint). The precision is capped at
///    min(cap, 2048) bits (each step costs `O(n^3)` big-integer operations).
public func exactSpectralNorm(
    _ w: UnsafeBufferPointer<Double>, rows: Int, cols: Int, rounding: CorrectRounding = CorrectRounding()
) throws(PlumbError) -> ExactSpectralResult {
    try withMPFRWorkspace { () throws(PlumbError) in try spectralNorm(w, rows: rows, cols: cols, rounding: rounding) }
}

/// `exactSpectralNorm`'s body, inside `withMPFRWorkspace`.
private func spectralNorm(
    _ w: UnsafeBufferPointer<Double>, rows: Int, cols: Int, rounding: CorrectRounding
) throws(PlumbError) -> ExactSpectralResult {
    for r in 0..<rows {
        for j in 0..<cols where !w[r * cols + j].isFinite {
            throw .domain(row: r, "w contains NaN or inf")
        }
    }
    // Integer matrix A and the common exponent E.
    var minExp = Int.max
    for x in w where x != 0 { minExp = min(minExp, dyadic(x).e) }
    if minExp == Int.max {
        return ExactSpectralResult(sigma: 0, u: [Double](repeating: 0, count: rows),
                                   v: [Double](repeating: 0, count: cols))
    }
    let a: [BigInteger] = w.map { x in
        let z = BigInteger()
        if x != 0 {
            let (m, e) = dyadic(x)
            __gmpz_set_si(z.raw, Int(m))
            __gmpz_mul_2exp(z.raw, z.raw, mp_bitcnt_t(e - minExp))
        }
        return z
    }
    // G = A^T A (transposed = false, n = cols) or A A^T (n = rows).
    let transposed = rows < cols
    let n = transposed ? rows : cols
    let inner = transposed ? cols : rows
    @inline(__always) func at(_ k: Int, _ i: Int) -> BigInteger {
        transposed ? a[i * cols + k] : a[k * cols + i]
    }
    var g = [BigInteger]()
    g.reserveCapacity(n * n)
    for _ in 0..<(n * n) { g.append(BigInteger()) }
    for i in 0..<n {
        for j in i..<n {
            let s = g[i * n + j]
            for k in 0..<inner { __gmpz_addmul(s.raw, at(k, i).raw, at(k, j).raw) }
            if j != i { __gmpz_set(g[j * n + i].raw, s.raw) }
        }
    }
    // Binary64 image of G (scaled by 2^-shift) for the starting eigenvector: entries below 2^500,
    // so that Jacobi's sums of squares cannot overflow (at 2^900 they did, Jacobi stopped at once,
    // and the refinement from e_1 never certified sigma_1 of [[a, b], [0, 2^-400]]).
    let maxBits = g.map(\.bitCount).max() ?? 0
    let shift = max(0, maxBits - 500)
    var gd = [Double](repeating: 0, count: n * n)
    let tmp = BigInteger()
    for i in 0..<(n * n) {
        __gmpz_tdiv_q_2exp(tmp.raw, g[i].raw, mp_bitcnt_t(shift))
        gd[i] = __gmpz_get_d(tmp.raw)
    }
    let (_, vecs) = jacobiEigen(gd, n: n)
    let x0 = (0..<n).map { vecs[$0 * n] }

    let cap = min(rounding.cap, 2048)
    var precision = CorrectRounding.startPrecision
    while true {
        if let interval = try enclose(g, n: n, x: x0, precision: precision, exponent: minExp) {
            let lo = interval.lo.double(MPFR_RNDN), hi = interval.hi.double(MPFR_RNDN)
            var sigma: Double? = lo.bitPattern == hi.bitPattern && !lo.isNaN ? lo : nil
            if sigma == nil && lo > 0 && hi == lo.nextUp {
                // The enclosure straddles the one midpoint M of lo and hi, and Ziv's loop cannot
                // decide a sigma_1 at M (ties to even) or within 2^-2048 of it (a midpoint plus a
                // 2^-2148 perturbation): the side of M is decided exactly instead.
                switch compareTopSingularValue(withMidpointOf: lo, g, n: n, exponent: minExp) {
                case .below: sigma = lo
                case .above: sigma = hi
                case .at: sigma = lo.significandBitPattern & 1 == 0 ? lo : hi
                }
            }
            if let sigma {
                let (u, v) = singularVectors(w, rows: rows, cols: cols, x: x0, transposed: transposed)
                return ExactSpectralResult(sigma: sigma, u: u, v: v)
            }
        }
        if precision >= cap {
            throw .precision(row: 0, "sigma_1 not certified at the \(cap)-bit precision cap (clustered top singular values?)")
        }
        precision = min(precision * 2, cap)
    }
}

private final class MPFRVector {
    let values: [MPFRNumber]
    init(_ n: Int, precision: Int) { values = (0..<n).map { _ in MPFRNumber(0, precision: precision) } }
    subscript(i: Int) -> UnsafeMutablePointer<__mpfr_struct> { values[i].raw }
}

/// Refines `x` by Rayleigh-quotient iteration at `precision` bits, then returns the rigorous
/// interval for sigma (nil when the positive-definiteness proof of the upper end failed).
private func enclose(
    _ g: [BigInteger], n: Int, x start: [Double], precision p: Int, exponent: Int
) throws(PlumbError) -> Interval? {
    let gm = (0..<(n * n)).map { i -> MPFRNumber in
        let m = MPFRNumber(precision: p)
        mpfr_set_z(m.raw, g[i].raw, MPFR_RNDN)
        return m
    }
    let x = MPFRVector(n, precision: p)
    for i in 0..<n { mpfr_set_d(x[i], start[i], MPFR_RNDN) }
    let mu = MPFRNumber(0, precision: p), t = MPFRNumber(0, precision: p), nrm = MPFRNumber(0, precision: p)
    let gx = MPFRVector(n, precision: p)
    let rounds = 3 + (p >= 256 ? 1 : 0) + (p >= 1024 ? 1 : 0)
    for _ in 0..<rounds where n > 1 {
        // mu = x^T G x / x^T x
        mpfr_set_zero(mu.raw, 1); mpfr_set_zero(nrm.raw, 1)
        for i in 0..<n {
            mpfr_set_zero(gx[i], 1)
            for j in 0..<n { mpfr_fma(gx[i], gm[i * n + j].raw, x[j], gx[i], MPFR_RNDN) }
            mpfr_fma(mu.raw, x[i], gx[i], mu.raw, MPFR_RNDN)
            mpfr_fma(nrm.raw, x[i], x[i], nrm.raw, MPFR_RNDN)
        }
        mpfr_div(mu.raw, mu.raw, nrm.raw, MPFR_RNDN)
        // Solve (G - mu I) y = x by Gaussian elimination with partial pivoting.
        let m = (0..<(n * n)).map { i -> MPFRNumber in
            let e = MPFRNumber(precision: p)
            mpfr_set(e.raw, gm[i].raw, MPFR_RNDN)
            if i / n == i % n { mpfr_sub(e.raw, e.raw, mu.raw, MPFR_RNDN) }
            return e
        }
        let y = MPFRVector(n, precision: p)
        for i in 0..<n { mpfr_set(y[i], x[i], MPFR_RNDN) }
        var singular = false
        for k in 0..<n {
            var piv = k
            for i in (k + 1)..<n where mpfr_cmpabs(m[i * n + k].raw, m[piv * n + k].raw) > 0 { piv = i }
            if mpfr_zero_p(m[piv * n + k].raw) != 0 { singular = true; break }
            if piv != k {
                for j in 0..<n { mpfr_swap(m[k * n + j].raw, m[piv * n + j].raw) }
                mpfr_swap(y[k], y[piv])
            }
            for i in (k + 1)..<n {
                mpfr_div(t.raw, m[i * n + k].raw, m[k * n + k].raw, MPFR_RNDN)
                if mpfr_zero_p(t.raw) != 0 { continue }
                for j in (k + 1)..<n {
                    mpfr_mul(nrm.raw, t.raw, m[k * n + j].raw, MPFR_RNDN)
                    mpfr_sub(m[i * n + j].raw, m[i * n + j].raw, nrm.raw, MPFR_RNDN)
                }
                mpfr_mul(nrm.raw, t.raw, y[k], MPFR_RNDN)
                mpfr_sub(y[i], y[i], nrm.raw, MPFR_RNDN)
            }
        }
        if singular { break }  // mu is (numerically) an exact eigenvalue: x is already converged
        for k in stride(from: n - 1, through: 0, by: -1) {
            for j in (k + 1)..<n {
                mpfr_mul(nrm.raw, m[k * n + j].raw, y[j], MPFR_RNDN)
                mpfr_sub(y[k], y[k], nrm.raw, MPFR_RNDN)
            }
            mpfr_div(y[k], y[k], m[k * n + k].raw, MPFR_RNDN)
        }
        // x = y / max|y|
        mpfr_set_zero(nrm.raw, 1)
        for i in 0..<n where mpfr_cmpabs(y[i], nrm.raw) > 0 { mpfr_abs(nrm.raw, y[i], MPFR_RNDN) }
        if mpfr_zero_p(nrm.raw) != 0 || mpfr_number_p(nrm.raw) == 0 { break }
        for i in 0..<n { mpfr_div(x[i], y[i], nrm.raw, MPFR_RNDN) }
    }
    // Exact Rayleigh quotient of the integer vector X = round(2^p x / max|x|).
    mpfr_set_zero(nrm.raw, 1)
    for i in 0..<n where mpfr_cmpabs(x[i], nrm.raw) > 0 { mpfr_abs(nrm.raw, x[i], MPFR_RNDN) }
    if mpfr_zero_p(nrm.raw) != 0 { return nil }
    let xi = (0..<n).map { i -> BigInteger in
        let z = BigInteger()
        mpfr_div(t.raw, x[i], nrm.raw, MPFR_RNDN)
        mpfr_mul_2si(t.raw, t.raw, p, MPFR_RNDN)
        mpfr_get_z(z.raw, t.raw, MPFR_RNDN)
        return z
    }
    let num = BigInteger(), den = BigInteger(), row = BigInteger()
    for i in 0..<n {
        __gmpz_set_si(row.raw, 0)
        for j in 0..<n { __gmpz_addmul(row.raw, g[i * n + j].raw, xi[j].raw) }
        __gmpz_addmul(num.raw, xi[i].raw, row.raw)
        __gmpz_addmul(den.raw, xi[i].raw, xi[i].raw)
    }
    if den.sign == 0 { return nil }
    let q = UnsafeMutablePointer<__mpq_struct>.allocate(capacity: 1)
    __gmpq_init(q)
    defer { __gmpq_clear(q); q.deallocate() }
    __gmpq_set_num(q, num.raw)
    __gmpq_set_den(q, den.raw)
    __gmpq_canonicalize(q)
    let lo = MPFRNumber(precision: p)
    mpfr_set_q(lo.raw, q, MPFR_RNDD)
    // Candidate upper ends, each proved by exact positive definiteness of hi I - G.
    let hi = MPFRNumber(precision: p)
    let one = MPFRNumber(1, precision: p)
    for attempt in 0..<3 {
        mpfr_set_q(hi.raw, q, MPFR_RNDU)
        let widen = MPFRNumber(precision: p)
        mpfr_mul_2si(widen.raw, one.raw, -(p - 8) + 16 * attempt, MPFR_RNDN)
        mpfr_add(widen.raw, widen.raw, one.raw, MPFR_RNDU)
        mpfr_mul(hi.raw, hi.raw, widen.raw, MPFR_RNDU)
        if mpfr_zero_p(hi.raw) != 0 { mpfr_set_d(hi.raw, 0x1p-1000, MPFR_RNDU) }
        // hi = M 2^e exactly.
        let mInt = BigInteger()
        let e = Int(mpfr_get_z_2exp(mInt.raw, hi.raw))
        let b = (0..<(n * n)).map { i -> BigInteger in
            let z = BigInteger()
            if e >= 0 {
                __gmpz_neg(z.raw, g[i].raw)
                if i / n == i % n {
                    __gmpz_mul_2exp(row.raw, mInt.raw, mp_bitcnt_t(e))
                    __gmpz_add(z.raw, z.raw, row.raw)
                }
            } else {
                __gmpz_mul_2exp(z.raw, g[i].raw, mp_bitcnt_t(-e))
                __gmpz_neg(z.raw, z.raw)
                if i / n == i % n { __gmpz_add(z.raw, z.raw, mInt.raw) }
            }
            return z
        }
        if isPositiveDefinite(b, n: n) {
            let r = Interval(0, precision: p)
            mpfr_sqrt(r.lo.raw, lo.raw, MPFR_RNDD)
            mpfr_sqrt(r.hi.raw, hi.raw, MPFR_RNDU)
            mpfr_mul_2si(r.lo.raw, r.lo.raw, exponent, MPFR_RNDD)
            mpfr_mul_2si(r.hi.raw, r.hi.raw, exponent, MPFR_RNDU)
            return r
        }
    }
    return nil
}

/// sigma_1 = `2^E sqrt(lambda_max(G))` against the midpoint `M 2^k` of the positive binary64 `d`
/// and its successor (M = 2 m + 1 for d = m 2^(k+1)), exactly. With mu = (M 2^k / 2^E)^2:
/// sigma_1 < M when `mu I - G` is positive definite (`isPositiveDefinite`), sigma_1 = M when it is
/// positive semidefinite and singular (`isSingularPositiveSemidefinite`, also for a repeated
/// sigma_1 or a null vector inside a leading block), and sigma_1 > M otherwise.
private func compareTopSingularValue(
    withMidpointOf d: Double, _ g: [BigInteger], n: Int, exponent: Int
) -> MidpointSide {
    // d = m 2^e with 2^e its ULP (dyadic(d)'s exponent is the normalised one, too small for a
    // subnormal d: the midpoint then sat just above d, and sigma_1 just below the true one came
    // out one ULP high), so M = (2 m + 1) 2^(e - 1) is the midpoint of d and its successor.
    let e = Int(d.ulp.exponent), m = Int64(d / d.ulp)
    let mid = BigInteger()
    __gmpz_set_si(mid.raw, Int(2 * m + 1))
    __gmpz_mul(mid.raw, mid.raw, mid.raw)  // M^2; mu = M^2 2^t
    let t = 2 * (e - 1) - 2 * exponent
    // mu I - G, times 2^-t when t < 0 (a positive factor: same signs); built afresh for each test,
    // which eliminates in place.
    func shifted() -> [BigInteger] {
        (0..<(n * n)).map { i -> BigInteger in
            let z = BigInteger()
            __gmpz_mul_2exp(z.raw, g[i].raw, mp_bitcnt_t(max(0, -t)))
            __gmpz_neg(z.raw, z.raw)
            if i / n == i % n {
                let diagonal = BigInteger(mid)
                __gmpz_mul_2exp(diagonal.raw, diagonal.raw, mp_bitcnt_t(max(0, t)))
                __gmpz_add(z.raw, z.raw, diagonal.raw)
            }
            return z
        }
    }
    if isPositiveDefinite(shifted(), n: n) { return .below }
    return isSingularPositiveSemidefinite(shifted(), n: n) ? .at : .above
}

/// Where sigma_1 lies relative to a binary64 midpoint.
private enum MidpointSide { case below, at, above }

/// Singular vectors from the Gram eigenvector x (binary64 working accuracy).
private func singularVectors(
    _ w: UnsafeBufferPointer<Double>, rows: Int, cols: Int, x: [Double], transposed: Bool
) -> ([Double], [Double]) {
    // x0 above is only the binary64 start; recompute a good binary64 eigenvector from W directly.
    // Directions only, so W is used as 2^e W, the power of two that brings max |w_ij| into [1, 2)
    // (products of W at 1e200 overflow, at 1e-300 underflow), and `normalise` scales before squaring.
    var u = [Double](repeating: 0, count: rows), v = [Double](repeating: 0, count: cols)
    let maxAbs = w.reduce(0) { max($0, abs($1)) }
    let e = -binade(maxAbs)
    func normalise(_ a: inout [Double]) {
        let big = a.reduce(0) { max($0, abs($1)) }
        guard big > 0 else { return }
        let scaled = a.map { $0 / big }
        let n = scaled.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for i in a.indices { a[i] = scaled[i] / n }
    }
    if transposed {
        u = x; normalise(&u)
        for r in 0..<rows { for j in 0..<cols { v[j] += timesPowerOfTwo(w[r * cols + j], e) * u[r] } }
        normalise(&v)
    } else {
        v = x; normalise(&v)
        for r in 0..<rows { var t = 0.0; for j in 0..<cols { t += timesPowerOfTwo(w[r * cols + j], e) * v[j] }; u[r] = t }
        normalise(&u)
    }
    var big = 0
    for j in 0..<cols where abs(v[j]) > abs(v[big]) { big = j }
    if v[big] < 0 { u = u.map { -$0 }; v = v.map { -$0 } }
    return (u, v)
}
