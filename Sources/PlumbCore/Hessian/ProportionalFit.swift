/// How nearly `x` is proportional to `y` (both `n` values, each given as mantissas times a power of
/// two: `x_i = xm_i 2^xExponent`), by least squares:
///   `scale = <x, y> / <y, y>`, the s in `x ~ s y`;
///   `relativeError = min_c ||c x - y|| / ||y||`, attained at `c = <x, y> / <x, x>` (c = 0 when x = 0,
///   which gives 1).
/// Both are NaN when `y = 0` (0/0).
///
/// The sums run on `x` and `y` rescaled by exact powers of two (largest magnitudes in [1, 2)): they
/// cannot overflow or underflow (unscaled they did for entries beyond ~1e154 or below ~1e-162, which
/// gave a perfect fit of 0 for a reference of 1e-200s), relativeError does not depend on the scale of
/// either vector (bit for bit, away from the subnormals), and scale is the scaled ratio times the
/// power of two. Infinite or NaN entries propagate into NaN results.
struct ProportionalFit {
    var scale: Double
    var relativeError: Double

    init(_ x: UnsafePointer<Double>, xExponent: Int = 0, _ y: UnsafePointer<Double>, yExponent: Int = 0, count n: Int) {
        var mx = 0.0, my = 0.0
        for i in 0..<n {
            mx = max(mx, abs(x[i]))
            my = max(my, abs(y[i]))
        }
        let kx = binade(mx), ky = binade(my)
        var xx = 0.0, xy = 0.0, yy = 0.0
        for i in 0..<n {
            let a = timesPowerOfTwo(x[i], -kx), b = timesPowerOfTwo(y[i], -ky)
            xx += a * a
            xy += a * b
            yy += b * b
        }
        let c = xx > 0 ? xy / xx : 0
        var rr = 0.0
        for i in 0..<n {
            let r = c * timesPowerOfTwo(x[i], -kx) - timesPowerOfTwo(y[i], -ky)
            rr += r * r
        }
        scale = yy > 0 ? timesPowerOfTwo(xy / yy, kx + xExponent - ky - yExponent) : .nan
        relativeError = yy > 0 ? (rr / yy).squareRoot() : .nan
    }
}
