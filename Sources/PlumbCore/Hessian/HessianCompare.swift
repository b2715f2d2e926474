#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How well an estimated diagonal `est` tracks a reference Hessian diagonal `h` (MATH.md section 4).
public struct HessianFit: Sendable, Equatable {
    /// Slope p of the least-squares line `log est_i = p log|h_i| + c` over the usable coordinates
    /// (those with `h_i != 0` and `est_i > 0`). 1: the long-run Newton picture; 0.5: Gauss-Newton.
    public var exponent: Double
    /// `exp(c)`.
    public var scale: Double
    /// Pearson correlation of `log est_i` and `log|h_i|` over the usable coordinates.
    public var logCorrelation: Double
    /// `min_c ||c est - |h||| / |||h|||` over all coordinates, attained at
    /// `c = <est, |h|> / <est, est>` (c = 0 when est is all zero, which gives 1); NaN when h is all
    /// zero (0/0). See `ProportionalFit`.
    public var relativeError: Double
    /// Number of usable coordinates in the log fit.
    public var used: Int

    /// Fits `est` against `h` (both `n` values). Infinite values (an overflowed estimate) make the
    /// fields they enter NaN; NaN values must be rejected by the caller.
    /// The line is undetermined, and exponent, scale and correlation NaN, with fewer than 2 usable
    /// coordinates or when all usable `log|h_i|` are equal; the correlation is NaN also when all
    /// usable `log est_i` are equal (the slope is then exactly 0). Equality is tested exactly, on
    /// the logarithms themselves: the centered sums of equal values are not reliably 0 (the rounded
    /// mean of ten logs of 3 differs from log 3 by an ulp, which made a slope of 0.05 out of
    /// rounding noise).
    public init(estimate est: UnsafePointer<Double>, reference h: UnsafePointer<Double>, count n: Int) {
        // Means of the logs over usable coordinates, then centered sums (two passes for accuracy).
        var used = 0
        var sx = 0.0, sy = 0.0
        var x0 = 0.0, y0 = 0.0, xVaries = false, yVaries = false
        for i in 0..<n where h[i] != 0 && est[i] > 0 {
            let x = log(abs(h[i])), y = log(est[i])
            if used == 0 {
                x0 = x
                y0 = y
            } else {
                xVaries = xVaries || x != x0
                yVaries = yVaries || y != y0
            }
            sx += x
            sy += y
            used += 1
        }
        exponent = .nan
        scale = .nan
        logCorrelation = .nan
        if xVaries {  // so used >= 2, and some centered x is nonzero: sxx > 0
            // A constant log est is centered on its own value: slope exactly 0, scale exp(y0).
            let mx = sx / Double(used), my = yVaries ? sy / Double(used) : y0
            var sxx = 0.0, syy = 0.0, sxy = 0.0
            for i in 0..<n where h[i] != 0 && est[i] > 0 {
                let dx = log(abs(h[i])) - mx, dy = log(est[i]) - my
                sxx += dx * dx
                syy += dy * dy
                sxy += dx * dy
            }
            exponent = sxy / sxx
            scale = exp(my - exponent * mx)
            // Cauchy-Schwarz bounds it by 1 in magnitude; rounding can pass that by an ulp. An
            // infinite estimate makes it NaN, which the clamp must not turn into -1.
            if yVaries {
                let r = sxy / (sxx * syy).squareRoot()
                logCorrelation = r.isNaN ? r : min(1, max(-1, r))
            }
        }
        self.used = used
        let magnitude = (0..<n).map { abs(h[$0]) }
        relativeError = magnitude.withUnsafeBufferPointer { ProportionalFit(est, $0.baseAddress!, count: n).relativeError }
    }
}

/// Comparison of the full-matrix estimate `A = sqrtm(C_hat)` with `|H| = sqrtm(H^2)`.
public struct HessianMatrixFit: Sendable {
    /// `<A, |H|>_F / <|H|, |H|>_F`: the least-squares s in `A ~ s |H|` (NaN when |H| = 0).
    public var scale: Double
    /// `min_c ||c A - |H|||_F / |||H|||_F`, attained at `c = <A, |H|>_F / <A, A>_F`; NaN when
    /// |H| = 0 (a zero or antisymmetric reference). Independent of the scale of H.
    public var relativeError: Double
    /// The diagonal fit of `diag(A)` against `diag(|H|)` (`HessianFit`).
    public var diagonal: HessianFit

    /// `c` (row-major, `n x n`, finite: the EMA of g g^T) with `C_hat = cScale * c`, against the
    /// reference `hessian` (finite entries of any magnitude; its symmetric part is used).
    /// Both matrix functions come back as mantissas and powers of two (`symmetricMatrixFunction`)
    /// and are compared so (`ProportionalFit`): a reference of 1e160s or 1e-200s gives the scale and
    /// the relative error of a reference of ones, where unscaled Frobenius sums overflowed or
    /// underflowed.
    public init(secondMoment c: UnsafePointer<Double>, cScale: Double, hessian: UnsafePointer<Double>, n: Int) throws(PlumbError) {
        // The symmetric part, (H_ij + H_ji) / 2 rounded once: the sum, halved (exact), unless the sum
        // overflows, and then the sum of the halves (exact halves of entries that large).
        var hs = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                let a = hessian[i * n + j], b = hessian[j * n + i], s = a + b
                hs[i * n + j] = s.isFinite ? 0.5 * s : 0.5 * a + 0.5 * b
            }
        }
        let a = try symmetricMatrixFunction(c, n, scale: cScale, absolute: false)
        let habs = try hs.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
            try symmetricMatrixFunction(b.baseAddress!, n, scale: 1, absolute: true)
        }
        let fit = a.values.withUnsafeBufferPointer { pa in
            habs.values.withUnsafeBufferPointer { ph in
                ProportionalFit(pa.baseAddress!, xExponent: a.exponent, ph.baseAddress!, yExponent: habs.exponent, count: n * n)
            }
        }
        scale = fit.scale
        relativeError = fit.relativeError
        let da = (0..<n).map { timesPowerOfTwo(a.values[$0 * n + $0], a.exponent) }
        let dh = (0..<n).map { timesPowerOfTwo(habs.values[$0 * n + $0], habs.exponent) }
        diagonal = da.withUnsafeBufferPointer { pa in
            dh.withUnsafeBufferPointer { ph in HessianFit(estimate: pa.baseAddress!, reference: ph.baseAddress!, count: n) }
        }
    }
}
