import PlumbCore
/// The correctly rounded `log(sum_j exp(x_j))` of one row.
///
/// With `m = max_j x_j` attained at `j*`, the value is `m + log1p(sum_{j != j*} exp(x_j - m))`. Every
/// term of the sum lies in [0, 1] and no subtraction of near-equal quantities occurs, so the
/// interval stays narrow at modest precision even for rows of thousands of entries or |x| near
/// DBL_MAX. `-inf` entries are masked; a row of only `-inf` gives `-inf`; a row with `+inf` gives
/// `+inf`; NaN is a domain error. A row with exactly one finite entry gives that entry exactly
/// (the only case where the result is a rational number, so Ziv's loop could not terminate);
/// a zero result is +0.
public func exactLogSumExp(
    _ x: UnsafeBufferPointer<Double>, rounding: CorrectRounding = CorrectRounding()
) throws(PlumbError) -> Double {
    var maxIndex = -1
    var finiteCount = 0
    var hasPositiveInfinity = false
    for (j, v) in x.enumerated() {
        if v.isNaN { throw .domain(row: 0, "NaN at column \(j)") }
        if v == .infinity { hasPositiveInfinity = true }
        if v.isFinite {
            finiteCount += 1
            if maxIndex < 0 || v > x[maxIndex] { maxIndex = j }
        }
    }
    if hasPositiveInfinity { return .infinity }
    if finiteCount == 0 { return -.infinity }
    let m = x[maxIndex]
    if finiteCount == 1 { return m + 0 }  // + 0: log(exp(-0)) is +0, like every exact zero
    return try rounding.value { (p: Int) throws(PlumbError) in
        let mi = Interval(m, precision: p)
        var tail = Interval(0, precision: p)
        for (j, v) in x.enumerated() where j != maxIndex && v.isFinite {
            tail = tail + Interval.exp(Interval(v, precision: p) - mi)
        }
        return mi + Interval.log1p(tail)
    }.value
}
