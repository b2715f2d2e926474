#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import Glibc
/// The gradient construction of smooth top-k (MATH.md section 2a):
/// `ST_i = a_i e_{k-1}(a without i) / e_k(a)`, `a_i = exp(z_i - max z)`, i.e. `grad log e_k(exp z)`.
///
/// Only positive terms are ever added: the prefix programme `P_j(i) = P_j(i-1) + a_i P_{j-1}(i-1)`
/// (elementary symmetric polynomials of the first i items) is tabulated, the suffix programme
/// `S_j` over items after i is run backwards, and `e_{k-1}(a without i) = sum_j P_j(i-1) S_{k-1-j}(i+1)`.
/// Then `k e_k = sum_i a_i e_{k-1}(a without i)` normalises the outputs, so they sum to k up to
/// rounding. Every entry carries its own binary exponent (`ScaledPair`), so neither overflow of `e_k`
/// (large n, k) nor underflow of `a_i` (spread-out inputs, small temperature) loses information.
/// O(n k) time and O(n k) workspace per row.
///
/// With `v` given, the same pass runs forward-mode in direction `v` and returns the Jacobian-vector
/// product instead: the Jacobian is the covariance of the subset indicator under
/// `P(S) ~ prod_{i in S} a_i`, and `(J v)_i = p_i (v_i + R_i - mu)` where `R_i` is the mean of
/// `sum_{j in T} v_j` over (k-1)-subsets T of the other items (weights `prod_T a`), `mu = p . v`.
/// `J` is symmetric, so this is also the VJP.
struct GradientTopK {
    private var suffix: [ScaledPair] = []
    private var num: [ScaledPair] = []
    private var ratio: [Double] = []
    /// `e_k(a without i)` and its derivative ratio (the VJP's "i not chosen" side).
    private var numOut: [ScaledPair] = []
    private var ratioOut: [Double] = []
    private var aM: [Double] = []
    private var aE: [Int] = []
    private var offsets = RowOffsets()

    init() {}

    /// Forward (`v == nil`, writes p) or J v (writes J v to `out`, with respect to z = x / tau).
    /// `P`: the caller's `n * k` table, `n * (k + 1)` with `v` (its allocation is the one that can fail).
    ///
    /// `a_i = exp(-(max x - x_i) / tau)`, the difference taken before dividing (`scaledGap`). In a
    /// row spread over more than 1e12 temperatures, every gap between consecutive sorted values
    /// wider than `3200 + n` is first narrowed to that width (`RowOffsets`, measured from the
    /// maximum). Why: `scaledExp` gives up (returns 0) below about -7e14, where the exponents of a
    /// product of k terms could leave Int's range; a row whose spread goes beyond that (or beyond
    /// binary64's range: x / tau overflowing) lost every item out there, and with fewer than k items
    /// left e_k was 0 and the whole output row 0 (measured: x / tau spread over 1e16, k = 4). Across
    /// such a gap every ratio a_j / a_i is at most `exp(-(3200 + n))`, below 2^-4616 even after the
    /// at most 2^n subsets that multiply it, so the gap's width no longer matters and narrowing it
    /// changes no output; within the clusters it separates nothing moves. (The VJP needs the
    /// margin: its entries are scaled by up to 2^1074 / tau-significand for the temperature and 2^1023
    /// for grad_out, and with 1000 + n a narrowed tail of e^-1003 came out as 1e-112 where the
    /// limit is 0.)
    mutating func run(_ x: UnsafeBufferPointer<Double>, tau: Double, k: Int, v: UnsafeBufferPointer<Double>?,
                      scale: (exponent: Int, significand: Double)? = nil,
                      out: UnsafeMutableBufferPointer<Double>, table P: UnsafeMutablePointer<ScaledPair>) {
        let n = x.count
        var top = -Double.infinity, low = Double.infinity
        for t in x { top = Swift.max(top, t); low = Swift.min(low, t) }
        if aM.count < n { aM = .init(repeating: 0, count: n); aE = .init(repeating: 0, count: n) }
        if scaledGap(top, low, tau).hi > 1e12 {
            offsets.compute(x, tau: tau, anchorRank: 0, widest: 3200 + Double(n))
            // exp(base) exp(within) exp(withinLo): a cluster's items keep their differences to
            // the last bit however far (base) the cluster is from the maximum.
            for i in 0..<n {
                let b = scaledExp(offsets.base[i]), w = scaledExp(offsets.within[i])
                aM[i] = b.m * w.m * Glibc.exp(offsets.withinLo[i]); aE[i] = b.e &+ w.e
            }
        } else {
            // exp(hi + lo) = exp(hi) exp(lo): the quotient's rounding does not reach the weights.
            // (1 + lo dropped lo^2 / 2, which is 5e-13 relative, 4000 ULP, where |hi| ~ 1e10.)
            for i in 0..<n {
                let d = scaledGap(x[i], top, tau), s = scaledExp(d.hi)
                aM[i] = s.m * Glibc.exp(d.lo); aE[i] = s.e
            }
        }
        // j = 0 ..< k: the polynomials e_j up to e_{k-1}(a without i); the VJP also needs e_k(a without i).
        let width = v == nil ? k : k + 1
        if suffix.count < width { suffix = .init(repeating: .zero, count: width) }
        if num.count < n {
            num = .init(repeating: .zero, count: n); ratio = .init(repeating: 0, count: n)
            numOut = .init(repeating: .zero, count: n); ratioOut = .init(repeating: 0, count: n)
        }
        do {
            // Row i of the table holds P_j over items 0 ..< i.
            P[0] = .one
            for j in 1..<width { P[j] = .zero }
            for i in 1..<n {
                let prev = (i - 1) * width, cur = i * width
                let a = ScaledPair(aM[i - 1], 0, aE[i - 1])
                let vi = v?[i - 1] ?? 0
                P[cur] = .one
                for j in 1..<width {
                    let q = P[prev + j - 1]
                    if q.m == 0 && q.f == 0 { P[cur + j] = P[prev + j]; continue }
                    // a (F_{j-1} + v_i P_{j-1}) for the derivative part.
                    let term = a * ScaledPair(q.m, q.f + vi * q.m, q.e)
                    P[cur + j] = P[prev + j] + term
                }
            }
            suffix.withUnsafeMutableBufferPointer { S in
                S[0] = .one
                for j in 1..<width { S[j] = .zero }
                /// `e_{k-1}(a without i) = sum_j P_j S_{k-1-j}` with its derivative and, with
                /// `both`, `e_k(a without i)` too, in the same sweeps over the row of P: find the
                /// largest exponents, then add aligned mantissa products (each within 2^128 of its
                /// exponent's scale; terms 2^-900 below vanish).
                func withoutItem(_ row: Int, both: Bool) -> (ScaledPair, ScaledPair) {
                    var emax = Int.min, emaxOut = Int.min
                    for j in 0..<k {
                        let p = P[row + j]
                        if p.m == 0 { continue }
                        let s = S[k - 1 - j]
                        if s.m != 0 { emax = Swift.max(emax, s.e &+ p.e) }
                        if both, S[k - j].m != 0 { emaxOut = Swift.max(emaxOut, S[k - j].e &+ p.e) }
                    }
                    if both, P[row + k].m != 0 { emaxOut = Swift.max(emaxOut, P[row + k].e) }  // S_0 = 1
                    var am = 0.0, af = 0.0, bm = 0.0, bf = 0.0
                    for j in 0...k where j < k || both {
                        let p = P[row + j]
                        if p.m == 0 { continue }
                        if j < k {
                            let s = S[k - 1 - j]
                            let d = s.e &+ p.e &- emax
                            if s.m != 0 && d >= -900 {
                                let sc = ScaledPair.pow2(d)
                                am += (p.m * s.m) * sc
                                af += (p.f * s.m + p.m * s.f) * sc
                            }
                        }
                        if both {
                            let s = S[k - j]
                            let d = s.e &+ p.e &- emaxOut
                            if s.m != 0 && d >= -900 {
                                let sc = ScaledPair.pow2(d)
                                bm += (p.m * s.m) * sc
                                bf += (p.f * s.m + p.m * s.f) * sc
                            }
                        }
                    }
                    var inS = emax == Int.min ? ScaledPair.zero : ScaledPair(am, af, emax)
                    var outS = emaxOut == Int.min ? ScaledPair.zero : ScaledPair(bm, bf, emaxOut)
                    inS.normalize()
                    outS.normalize()
                    return (inS, outS)
                }
                for i in stride(from: n - 1, through: 0, by: -1) {
                    let row = i * width
                    let (acc, out) = withoutItem(row, both: v != nil)
                    ratio[i] = acc.m == 0 ? 0 : acc.f / acc.m
                    num[i] = ScaledPair(acc.m * aM[i], 0, acc.e &+ aE[i])
                    num[i].normalize()
                    if v != nil {
                        ratioOut[i] = out.m == 0 ? 0 : out.f / out.m
                        numOut[i] = ScaledPair(out.m, 0, out.e)
                    }
                    let a = ScaledPair(aM[i], 0, aE[i])
                    let vi = v?[i] ?? 0
                    for j in stride(from: width - 1, through: 1, by: -1) {
                        let q = S[j - 1]
                        if q.m == 0 && q.f == 0 { continue }
                        S[j] = S[j] + a * ScaledPair(q.m, q.f + vi * q.m, q.e)
                    }
                }
            }
        }
        var total = ScaledPair.zero
        for i in 0..<n { total = total + num[i] }
        let kd = Double(k)
        for i in 0..<n {
            let p = num[i].m == 0 ? 0 : scaleBinary(kd * (num[i].m / total.m), num[i].e &- total.e)
            out[i] = Swift.min(p, 1)
        }
        guard let v else { return }
        // (J v)_i = p_i (v_i + R_i - mu) cancels wherever p_i is near 1 or 0 (an absolute error
        // of 2^-53 sum |p_j v_j|, which the final 1 / tau blew up to 1e306 at a subnormal tau where
        // the limit is 0). The same as p_i q_i (E[X | i in S] - E[X | i not in S]), X = sum_{j in S} v_j,
        // q_i = P(i not in S) = e_k(a without i) / e_k(a) taken from the programme, not as 1 - p_i:
        // every factor keeps its relative accuracy. p_i q_i stays in scaled form until the caller's
        // scale is applied (it is below binary64's range when i lies ~745 temperatures off).
        let (exponent, significand) = scale ?? (0, 1)
        for i in 0..<n {
            guard num[i].m != 0 && numOut[i].m != 0 else { out[i] = 0; continue }
            let pq = (kd * (num[i].m / total.m)) * (kd * (numOut[i].m / total.m))
            let e = num[i].e &+ numOut[i].e &- 2 &* total.e &+ exponent
            out[i] = timesPowerOfTwo(pq * ((v[i] + ratio[i]) - ratioOut[i]) / significand, e)
        }
    }
}
