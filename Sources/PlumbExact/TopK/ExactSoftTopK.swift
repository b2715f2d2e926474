import CNumerics
import Glibc
import PlumbCore

/// The correctly rounded smooth top-k of one row (MATH.md section 2), `z = x / temperature`.
///
/// - gradient: `ST_i = a_i e_{k-1}(a without i) / e_k(a)` with `a_i = exp(-(max x - x_i)/tau)` in
///   (0, 1]; prefix and suffix elementary symmetric polynomials in interval arithmetic (positive
///   terms only, so the intervals stay narrow), normalised by `k e_k = sum_i a_i e_{k-1}(a without i)`.
/// - exp-clip, Laplace: the number m of items above the threshold is decided by certified interval
///   comparisons (`g(s_{m+1}) >= k`); when a comparison is undecided at the working precision, the
///   outputs are the hull over every candidate m still possible, which contains the true value.
/// - sigmoid: lambda is bracketed by bisection with certified signs of
///   `h(lambda) = sum_i sigmoid(z_i - lambda) - k` (strictly decreasing); outputs
///   `sigmoid(z_i - [lambda_lo, lambda_hi])`.
/// k = n gives exact ones. Rows must be finite (NaN/inf: `.domain`).
public func exactSoftTopK(
    _ method: TopKMethod, _ x: UnsafeBufferPointer<Double>, k: Int, temperature: Double,
    rounding: CorrectRounding = CorrectRounding()
) throws(PlumbError) -> [Double] {
    let n = x.count
    for (j, v) in x.enumerated() where !v.isFinite {
        throw .domain(row: 0, "x[\(j)] is not finite (x = \(v))")
    }
    if k >= n { return [Double](repeating: 1, count: n) }
    let sorted = x.sorted(by: >)
    return try rounding.values(count: n) { (p: Int) throws(PlumbError) -> [Interval] in
        switch method {
        case .gradient: return gradientIntervals(x, k: k, tau: temperature, p: p)
        case .expClip: return expClipIntervals(x, sorted, k: k, tau: temperature, p: p)
        case .laplace: return laplaceIntervals(x, sorted, k: k, tau: temperature, p: p)
        case .sigmoid: return sigmoidIntervals(x, k: k, tau: temperature, p: p)
        }
    }.values
}

private func gradientIntervals(_ x: UnsafeBufferPointer<Double>, k: Int, tau: Double, p: Int) -> [Interval] {
    let n = x.count
    let xmax = x.max() ?? 0
    let a = x.map { Interval.expNeg(Interval.scaledGap(xmax, $0, tau, precision: p)) }
    let zero = Interval(0, precision: p), one = Interval(1, precision: p)
    // prefix[i][j] = e_j(a_0 ..< a_i), j < k.
    var prefix = [[Interval]](repeating: [], count: n + 1)
    prefix[0] = [one] + [Interval](repeating: zero, count: k - 1)
    for i in 0..<n {
        var row = prefix[i]
        for j in stride(from: k - 1, through: 1, by: -1) { row[j] = row[j] + a[i] * prefix[i][j - 1] }
        prefix[i + 1] = row
    }
    var suffix = [one] + [Interval](repeating: zero, count: k - 1)
    var num = [Interval](repeating: zero, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
        var acc = zero
        for j in 0..<k { acc = acc + prefix[i][j] * suffix[k - 1 - j] }
        num[i] = a[i] * acc
        for j in stride(from: k - 1, through: 1, by: -1) { suffix[j] = suffix[j] + a[i] * suffix[j - 1] }
    }
    let total = Interval.sum(num, precision: p)
    let kk = Interval(Double(k), precision: p)
    return num.map { kk * $0 / total }
}

/// Candidates m (0-based position of c = s[m]) in scan order: all undecided ones up to and
/// including the first certified one.
private func candidates(upTo limit: Int, _ decide: (Int) -> Int) -> [Int] {
    var out: [Int] = []
    for m in 0..<limit {
        let s = decide(m)
        if s > 0 { out.append(m); return out }
        if s == 0 { out.append(m) }
    }
    if out.isEmpty { out.append(limit - 1) }
    return out
}

private func expClipIntervals(_ x: UnsafeBufferPointer<Double>, _ s: [Double], k: Int, tau: Double, p: Int) -> [Interval] {
    let n = x.count
    func tail(_ m: Int) -> Interval {
        Interval.sum((m..<n).map { Interval.expNeg(Interval.scaledGap(s[m], s[$0], tau, precision: p)) }, precision: p)
    }
    let ms = candidates(upTo: k) { m in
        let g = tail(m) - Interval(Double(k - m), precision: p)
        if mpfr_sgn(g.lo.raw) >= 0 { return 1 }  // B_m >= k - m certified
        return g.certifiedSign
    }
    var result: [Interval]? = nil
    for m in ms {
        let c = s[m], b = tail(m)
        let scale = Interval(Double(k - m), precision: p) / b
        let row: [Interval] = x.map { xi in
            if xi > c { return Interval(1, precision: p) }
            return Interval.expNeg(Interval.scaledGap(c, xi, tau, precision: p)) * scale
        }
        result = result.map { zip($0, row).map { Interval.hull($0, $1) } } ?? row
    }
    return result ?? []
}

private func laplaceIntervals(_ x: UnsafeBufferPointer<Double>, _ s: [Double], k: Int, tau: Double, p: Int) -> [Interval] {
    let n = x.count
    let half = Interval(0.5, precision: p)
    // m = n means every item lies above lambda (reference c = s[n-1], B = 0).
    func sums(_ m: Int) -> (Interval, Interval) {
        let c = s[min(m, n - 1)]
        let a = Interval.sum((0..<m).map { Interval.expNeg(Interval.scaledGap(s[$0], c, tau, precision: p)) }, precision: p)
        let b = Interval.sum((min(m, n)..<n).map { Interval.expNeg(Interval.scaledGap(c, s[$0], tau, precision: p)) }, precision: p)
        return (a, b)
    }
    let ms = candidates(upTo: n + 1) { m in
        if m == n { return 1 }
        let (a, b) = sums(m)
        let g = Interval(Double(m - k), precision: p) - half * a + half * b
        if mpfr_sgn(g.lo.raw) >= 0 { return 1 }
        return g.certifiedSign
    }
    var result: [Interval]? = nil
    for m in ms {
        let (a, b) = sums(m)
        let km = Double(k - m)
        let root = Interval.sqrt(Interval(km * km, precision: p) + a * b)
        let y = km >= 0 ? b / (root + Interval(km, precision: p)) : (root + Interval(-km, precision: p)) / a
        let c = s[min(m, n - 1)]
        let one = Interval(1, precision: p)
        let row: [Interval] = x.map { xi in
            if xi >= c {
                let t = Interval.expNeg(Interval.scaledGap(xi, c, tau, precision: p)) * y
                let upper = one - half * t, lower = one / (Interval(2, precision: p) * t)
                switch (t - one).certifiedSign {
                case -1: return upper
                case 1: return lower
                default: return Interval.hull(upper, lower)
                }
            }
            let t = Interval.expNeg(Interval.scaledGap(c, xi, tau, precision: p)) / y
            return half * t
        }
        result = result.map { zip($0, row).map { Interval.hull($0, $1) } } ?? row
    }
    return result ?? []
}

private func sigmoidIntervals(_ x: UnsafeBufferPointer<Double>, k: Int, tau: Double, p: Int) -> [Interval] {
    let n = x.count
    let z = x.map { Interval.quotient($0, tau, precision: p) }
    let kk = Interval(Double(k), precision: p)
    // h = (#above - k) - sum_above sigmoid(-(z - lambda)) + sum_below sigmoid(z - lambda): the small
    // tails keep their relative width, so lambda is pinned to ~2^-p even when h' is tiny.
    func h(_ lam: MPFRNumber) -> Int {
        let l = Interval.between(lam, lam, precision: p)
        var above = 0
        var up = Interval(0, precision: p), down = Interval(0, precision: p)
        for zi in z {
            if mpfr_cmp(zi.lo.raw, lam.raw) >= 0 {
                above += 1
                up = up + Interval.sigmoid(l - zi)
            } else {
                down = down + Interval.sigmoid(zi - l)
            }
        }
        return (Interval(Double(above - k), precision: p) - up + down).certifiedSign
    }
    _ = kk
    // The bracket [min z - logit - w, max z - logit + w] in MPFR: z = x / tau can lie beyond
    // binary64's range (a subnormal tau), where a binary64 bracket was infinite and never widened.
    var zmin = z[0].lo, zmax = z[0].hi
    for zi in z {
        if mpfr_cmp(zi.lo.raw, zmin.raw) < 0 { zmin = zi.lo }
        if mpfr_cmp(zi.hi.raw, zmax.raw) > 0 { zmax = zi.hi }
    }
    let logit = log(Double(k) / Double(n - k))
    func end(_ from: MPFRNumber, _ offset: Double) -> MPFRNumber {
        let e = MPFRNumber(precision: p)
        mpfr_add_d(e.raw, from.raw, offset, offset < 0 ? MPFR_RNDD : MPFR_RNDU)
        return e
    }
    // h(min z - logit) >= 0 and h(max z - logit) <= 0 exactly; the widening only gets certified signs.
    var width = 1.0
    var lo = end(zmin, -logit - width), hi = end(zmax, -logit + width)
    while h(lo) <= 0 && width < 0x1p60 { width *= 2; lo = end(zmin, -logit - width) }
    width = 1
    while h(hi) >= 0 && width < 0x1p60 { width *= 2; hi = end(zmax, -logit + width) }
    let mid = MPFRNumber(precision: p), gap = MPFRNumber(precision: p)
    for _ in 0..<(p + 4200) {
        mpfr_add(mid.raw, lo.raw, hi.raw, MPFR_RNDN)
        mpfr_div_2ui(mid.raw, mid.raw, 1, MPFR_RNDN)
        if mpfr_cmp(mid.raw, lo.raw) <= 0 || mpfr_cmp(mid.raw, hi.raw) >= 0 { break }
        let sign = h(mid)
        if sign == 0 {
            // The root is (numerically) at mid, e.g. an exact dyadic root: pin it from both sides.
            let delta = MPFRNumber(precision: p), side = MPFRNumber(precision: p)
            mpfr_abs(delta.raw, mid.raw, MPFR_RNDU)
            if mpfr_cmp_ui(delta.raw, 1) < 0 { mpfr_set_ui(delta.raw, 1, MPFR_RNDN) }
            mpfr_mul_2si(delta.raw, delta.raw, -(p - 8), MPFR_RNDU)
            mpfr_sub(side.raw, mid.raw, delta.raw, MPFR_RNDD)
            if h(side) > 0 && mpfr_cmp(side.raw, lo.raw) > 0 { mpfr_set(lo.raw, side.raw, MPFR_RNDN) }
            mpfr_add(side.raw, mid.raw, delta.raw, MPFR_RNDU)
            if h(side) < 0 && mpfr_cmp(side.raw, hi.raw) < 0 { mpfr_set(hi.raw, side.raw, MPFR_RNDN) }
            break
        }
        if sign > 0 { mpfr_set(lo.raw, mid.raw, MPFR_RNDN) } else { mpfr_set(hi.raw, mid.raw, MPFR_RNDN) }
        mpfr_sub(gap.raw, hi.raw, lo.raw, MPFR_RNDU)
        if mpfr_zero_p(gap.raw) != 0 || mpfr_cmp_si_2exp(gap.raw, 1, -(p + 10)) <= 0 { break }
    }
    let lam = Interval.between(lo, hi, precision: p)
    return z.map { Interval.sigmoid($0 - lam) }
}
