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
    /// With fewer than 2 usable coordinates, or all usable `|h_i|` equal, the exponent, scale and
    /// correlation are NaN (the line is undetermined); a constant `log est` gives correlation NaN.
    public init(estimate est: UnsafePointer<Double>, reference h: UnsafePointer<Double>, count n: Int) {
        // Means of the logs over usable coordinates, then centered sums (two passes for accuracy).
        var used = 0
        var sx = 0.0, sy = 0.0
        for i in 0..<n where h[i] != 0 && est[i] > 0 {
            sx += log(abs(h[i]))
            sy += log(est[i])
            used += 1
        }
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        if used > 0 {
            let mx = sx / Double(used), my = sy / Double(used)
            for i in 0..<n where h[i] != 0 && est[i] > 0 {
                let dx = log(abs(h[i])) - mx, dy = log(est[i]) - my
                sxx += dx * dx
                syy += dy * dy
                sxy += dx * dy
            }
            if used >= 2 && sxx > 0 {
                exponent = sxy / sxx
                scale = exp(my - exponent * mx)
                logCorrelation = syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
            } else {
                exponent = .nan
                scale = .nan
                logCorrelation = .nan
            }
        } else {
            exponent = .nan
            scale = .nan
            logCorrelation = .nan
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
