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
    /// `c = <est, |h|> / <est, est>` (0 when est is all zero).
    public var relativeError: Double
    /// Number of usable coordinates in the log fit.
    public var used: Int

    /// Fits `est` against `h` (both `n` values). Non-finite values must be rejected by the caller.
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
            if yVaries { logCorrelation = sxy / (sxx * syy).squareRoot() }
        }
        self.used = used
        var ee = 0.0, eh = 0.0, hh = 0.0
        for i in 0..<n {
            let a = abs(h[i])
            ee += est[i] * est[i]
            eh += est[i] * a
            hh += a * a
        }
        let c = ee > 0 ? eh / ee : 0
        var rr = 0.0
        for i in 0..<n {
            let r = c * est[i] - abs(h[i])
            rr += r * r
        }
        relativeError = hh > 0 ? (rr / hh).squareRoot() : (rr == 0 ? 0 : .infinity)
    }
}

/// Comparison of the full-matrix estimate `A = sqrtm(C_hat)` with `|H| = sqrtm(H^2)`.
public struct HessianMatrixFit: Sendable {
    /// `<A, |H|>_F / <|H|, |H|>_F`: the least-squares s in `A ~ s |H|`.
    public var scale: Double
    /// `min_c ||c A - |H|||_F / |||H|||_F`, attained at `c = <A, |H|>_F / <A, A>_F`.
    public var relativeError: Double
    /// The diagonal fit of `diag(A)` against `diag(|H|)` (`HessianFit`).
    public var diagonal: HessianFit

    /// `c` (row-major, `n x n`, the bias-corrected EMA of g g^T) against the symmetric reference
    /// `hessian` (its symmetric part `(H + H^T)/2` is used).
    public init(secondMoment c: [Double], hessian: UnsafePointer<Double>, n: Int) throws(PlumbError) {
        var hs = [Double](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { hs[i * n + j] = 0.5 * (hessian[i * n + j] + hessian[j * n + i]) } }
        let a = try c.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
            try symmetricMatrixFunction(b.baseAddress!, n, scale: 1, absolute: false)
        }
        let habs = try hs.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
            try symmetricMatrixFunction(b.baseAddress!, n, scale: 1, absolute: true)
        }
        var aa = 0.0, ah = 0.0, hh = 0.0
        for k in 0..<(n * n) {
            aa += a[k] * a[k]
            ah += a[k] * habs[k]
            hh += habs[k] * habs[k]
        }
        scale = hh > 0 ? ah / hh : .nan
        let best = aa > 0 ? ah / aa : 0
        var rr = 0.0
        for k in 0..<(n * n) {
            let r = best * a[k] - habs[k]
            rr += r * r
        }
        relativeError = hh > 0 ? (rr / hh).squareRoot() : (rr == 0 ? 0 : .infinity)
        let da = (0..<n).map { a[$0 * n + $0] }, dh = (0..<n).map { habs[$0 * n + $0] }
        diagonal = da.withUnsafeBufferPointer { pa in
            dh.withUnsafeBufferPointer { ph in HessianFit(estimate: pa.baseAddress!, reference: ph.baseAddress!, count: n) }
        }
    }
}
