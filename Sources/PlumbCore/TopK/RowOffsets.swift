#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
/// A row's items sorted in descending order and measured from one of them in units of the
/// temperature, with every wide gap narrowed: finite offsets for any input spread.
///
/// `compute` sets `order` (indices by descending x, ties by index) and `t[i] ~ (x_i - x_a) / tau`
/// for the anchor a of rank `anchorRank`. Walking outwards from a, a gap between consecutive
/// sorted values wider than `widest` is narrowed to `widest`, and the items beyond it are measured
/// from the nearest item across the gap (`t = t_edge -+ widest -+ (x_edge - x_i) / tau`). So within
/// the anchor's cluster `t_i` is the directly computed `(x_i - x_a) / tau` (one rounding of an exact
/// difference), `t` is non-increasing along `order` (the outputs stay monotone), and a spread of
/// 1e300 or a quotient beyond binary64's range (a subnormal tau) gives finite offsets.
///
/// Why narrowing changes no output: the callers pick `widest` so that across such a gap every
/// term of one side is below binary64's range relative to the other side's (see their comments).
struct RowOffsets {
    var order: [Int] = []
    var t: [Double] = []
    /// `t[i] = base[i] + within[i]` rounded: `base` is the offset of i's cluster (the edge item
    /// it is measured from, 0 in the anchor's cluster) and `within + withinLo` the double-double
    /// `(x_i - x_edge) / tau`, for callers that need the within-cluster differences unrounded by
    /// the size of `base` (the gradient method: `t` alone cost 140 ULP across a narrowed gap).
    var base: [Double] = []
    var within: [Double] = []
    var withinLo: [Double] = []
    private var ranking = DescendingOrder()

    init() {}

    mutating func compute(_ x: UnsafeBufferPointer<Double>, tau: Double, anchorRank a: Int, widest: Double) {
        let n = x.count
        if order.count != n {
            order = Array(0..<n)
            t = .init(repeating: 0, count: n)
            base = t; within = t; withinLo = t
        }
        order.withUnsafeMutableBufferPointer { ranking.sort(x, into: $0) }
        let anchor = order[a]
        (t[anchor], base[anchor], within[anchor], withinLo[anchor]) = (0, 0, 0, 0)
        // Downwards from the anchor: offsets <= 0.
        var edge = anchor, offset = 0.0
        for r in stride(from: a + 1, to: n, by: 1) {
            let i = order[r], previous = order[r - 1]
            if scaledGap(x[previous], x[i], tau).hi > widest { edge = i; offset = t[previous] - widest }
            let d = scaledGap(x[i], x[edge], tau)  // <= 0
            (base[i], within[i], withinLo[i]) = (offset, d.hi, d.lo)
            t[i] = offset + d.hi
        }
        // Upwards from the anchor: offsets >= 0.
        edge = anchor; offset = 0
        for r in stride(from: a - 1, through: 0, by: -1) {
            let i = order[r], next = order[r + 1]
            if scaledGap(x[i], x[next], tau).hi > widest { edge = i; offset = t[next] + widest }
            let d = scaledGap(x[i], x[edge], tau)  // >= 0
            (base[i], within[i], withinLo[i]) = (offset, d.hi, d.lo)
            t[i] = offset + d.hi
        }
    }
}
