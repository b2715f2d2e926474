import PlumbCore

/// Correctly rounded InfoNCE / FlatNCE loss and gradient of one float64 row.
///
/// The inputs are exact binary64 numbers and `tau` is taken as the exact double it is. Each Ziv
/// step evaluates, in interval arithmetic at `p` bits (in an equivalent form shifted by the
/// largest live negative, see the body, so that MPFR's exp can neither overflow nor leave the sum
/// without a term >= 1),
/// `d_i = (s_i - s_t) / tau`, `e_i = exp(d_i)`, `xi = sum_{i != t} e_i` (masked `-inf` terms
/// skipped), then
/// - InfoNCE: `L = log1p(xi)`, `g_i = e_i / (1 + xi) / tau`, `g_t = -(xi / (1 + xi)) / tau`;
/// - FlatNCE: `L = log(xi)`, `g_i = e_i / xi / tau`, `g_t = -1 / tau`,
/// and every value is certified once both ends of its interval round to the same double.
/// The rational special cases (where Ziv's loop could not terminate) are handled first:
/// every negative masked (`xi = 0`: InfoNCE loss 0 and gradient 0; FlatNCE loss -inf, gradient 0
/// except `-1/tau` at t), and FlatNCE with a single unmasked negative (`L = d_i` exactly,
/// rounded once). Domain: NaN or +inf anywhere, or a non-finite positive score, is `.domain`.
/// `grad`, when given, receives `cols` values.
public func exactContrastiveRow(
    _ kind: ContrastiveLoss, _ s: UnsafeBufferPointer<Double>, positive t: Int, temperature tau: Double,
    grad: UnsafeMutablePointer<Double>?, rounding: CorrectRounding = CorrectRounding()
) throws(PlumbError) -> Double {
    let cols = s.count
    for (j, v) in s.enumerated() where !(v < .infinity) {
        throw .domain(row: 0, "score at column \(j) is \(v); scores must be finite or -inf (masked)")
    }
    guard s[t].isFinite else { throw .domain(row: 0, "the positive score (column \(t)) is \(s[t]); it must be finite") }
    let live = (0..<cols).filter { $0 != t && s[$0] > -.infinity }

    if live.isEmpty {
        grad?.update(repeating: 0, count: cols)
        switch kind {
        case .infoNCE: return 0
        case .flatNCE:
            let gt = try rounding.value { (p: Int) throws(PlumbError) in
                -(Interval(1, precision: p).divided(byPositive: tau))
            }.value
            grad?[t] = gt
            return -.infinity
        }
    }

    // FlatNCE with one live negative equal to the positive: L = 0 exactly (an interval [-0, +0]
    // would never certify its sign of zero).
    let zeroLoss = kind == .flatNCE && live.count == 1 && s[live[0]] == s[t]
    let wantGrad = grad != nil
    // Output order: loss, then (when wanted) the gradient of every live column, then g_t.
    let count = 1 + (wantGrad ? live.count + 1 : 0)
    // Reference column: the largest live negative. Exponents are taken relative to it whenever
    // that keeps them <= 0 (InfoNCE with a negative above the positive; FlatNCE always), so no
    // MPFR exp overflows and the sum has a term equal to 1 (it cannot underflow to [0, ...]).
    var top = live[0]
    for j in live where s[j] > s[top] { top = j }
    let shifted = kind == .flatNCE || s[top] > s[t]
    let values = try rounding.values(count: count) { (p: Int) throws(PlumbError) -> [Interval] in
        let reference = Interval(shifted ? s[top] : s[t], precision: p)
        let one = Interval(1, precision: p)
        // e_i = exp((s_i - s_ref) / tau); the reference's own term is exactly 1.
        let e = live.map { j in
            shifted && j == top ? one : Interval.exp((Interval(s[j], precision: p) - reference).divided(byPositive: tau))
        }
        let sum = Interval.sum(e, precision: p)
        var out: [Interval] = []
        out.reserveCapacity(count)
        switch kind {
        case .infoNCE:
            if shifted {
                // xi = S / w with m = (s_top - s_t) / tau >= 0, w = exp(-m): L = m + log(w + S).
                let m = (Interval(s[top], precision: p) - Interval(s[t], precision: p)).divided(byPositive: tau)
                let total = Interval.exp(-m) + sum
                // log(total) > 0 (total = w + S > 1): decidable when m is a rounding boundary.
                out.append(m.plusPositive(Interval.log(total)))
                if wantGrad {
                    for ei in e { out.append((ei / total).divided(byPositive: tau)) }
                    out.append(-((sum / total).divided(byPositive: tau)))
                }
            } else {
                out.append(Interval.log1p(sum))
                if wantGrad {
                    let onePlus = one + sum
                    for ei in e { out.append((ei / onePlus).divided(byPositive: tau)) }
                    // xi > 0 (a live negative), so g_t < 0: decidable as -0 when xi underflows.
                    out.append(-((sum / onePlus).divided(byPositive: tau).positiveForRounding()))
                }
            }
        case .flatNCE:
            // log(xi) = log(S) + (s_top - s_t) / tau; with one live negative S = 1 and the loss is
            // the rational d = (s_top - s_t) / tau, rounded once.
            let d = (Interval(s[top], precision: p) - Interval(s[t], precision: p)).divided(byPositive: tau)
            // With two or more live negatives S > 1 and log(S) > 0 (see plusPositive).
            out.append(zeroLoss ? Interval(0, precision: p) : live.count == 1 ? d : d.plusPositive(Interval.log(sum)))
            if wantGrad {
                for ei in e {
                    out.append(live.count == 1 ? one.divided(byPositive: tau) : (ei / sum).divided(byPositive: tau))
                }
                out.append(-(one.divided(byPositive: tau)))
            }
        }
        return out
    }.values
    if let grad {
        grad.update(repeating: 0, count: cols)
        for (k, j) in live.enumerated() { grad[j] = values[1 + k] }
        grad[t] = values[1 + live.count]
    }
    return zeroLoss ? 0 : values[0]
}
