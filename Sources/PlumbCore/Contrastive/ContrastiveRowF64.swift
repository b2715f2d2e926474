#if canImport(Glibc)
import Glibc
#endif

/// One float64 row of InfoNCE or FlatNCE (the form in `ContrastiveForm`).
///
/// Error analysis (K = cols, results against the exact value):
/// - `d_i = (s_i - s_r) / tau` is formed as a double-double: TwoSum makes `s_i - s_r` exact, the
///   division keeps its remainder (FMA), so `d_i` is known to ~2^-104 relative. Then
///   `u_i = exp(hi) * (1 + lo)` has libm's error (< 1 ULP) however large `|d_i|` is (a rounded
///   `d_i` alone would cost `|d_i|` ULPs: 100 ULPs at gap 100).
/// - `S = sum u_i` by Neumaier summation: absolute error ~ `S * 2^-53`, independent of K.
/// - InfoNCE loss `log1p(S)` / `m + log(w + S)`, `m` double-double too: a few ULPs. Gradients
///   `u_i / ((w + S) tau)` and `-S / ((w + S) tau)`, the denominator kept as a double-double
///   product (`product`): about 2 roundings each on top of `exp`.
/// - FlatNCE always shifts by the largest negative (`S >= 1`, one term exactly 1):
///   `L = log1p(S - 1) + m` with `S - 1` summed from the other terms and `m` double-double (it may
///   be negative); absolute error ~2^-51 when |L| is small, i.e. within a few ULPs of `max(|L|, 1)`.
/// Terms with `u_i` below 2^-969 are rescaled in the gradient pass so that subnormal gradients
/// are not spoiled by dividing an already-rounded subnormal by `(w + S) tau`; likewise an InfoNCE
/// `S` below 2^-969 (loss and `dL/ds_t` in the subnormal range) is re-summed scaled by 2^600.
enum ContrastiveRowF64 {
    /// Writes the row's gradient when `grad` is non-nil (used as the `u_i` buffer first) and
    /// returns the loss.
    static func run(
        _ kind: ContrastiveLoss, _ s: UnsafePointer<Double>, cols: Int, positive t: Int, tau: Double,
        grad: UnsafeMutablePointer<Double>?
    ) throws(PlumbError) -> Double {
        let best = try scanRow(s, cols: cols, positive: t)
        let st = s[t]
        // InfoNCE takes exponents relative to the largest negative only when it beats the
        // positive; FlatNCE always does (S >= 1 then, so no flushed sum, and S - 1 is the sum of
        // the other terms, which gives log(S) through log1p without cancellation).
        let shifted = kind == .flatNCE ? best > -.infinity : best > st
        let sr = shifted ? best : st
        var mh = 0.0, ml = 0.0
        if shifted {
            let diff = twoSum(sr, -st)
            if diff.s.isFinite {
                (mh, ml) = divide(diff.s, diff.e, by: tau)
            } else {
                mh = diff.s
            }
        }
        var sum = CompensatedSum(), rest = CompensatedSum()
        var topSeen = !shifted
        if best > -.infinity {
            for i in 0..<cols where i != t {
                let u = term(s[i], sr, tau)
                grad?[i] = u
                sum.add(u)
                if !topSeen && s[i] == sr { topSeen = true } else { rest.add(u) }
            }
        } else {
            grad?.update(repeating: 0, count: cols)
        }
        let (sh, sl) = sum.value
        let w = kind == .infoNCE && shifted ? (mh.isFinite ? exp(-mh) * (1 - ml) : 0) : 1.0

        let loss: Double, gradT: Double
        var denominator = 1.0, correction = 0.0
        switch kind {
        case .infoNCE:
            let total = twoSum(w, sh)
            (denominator, correction) = product(total.s, total.e + sl, tau)
            if !shifted && best > -.infinity && sh < 0x1p-969 {
                // xi in (or below) the subnormal range (gaps of 708-750 temperatures): its terms were
                // rounded to subnormals or 0, up to half a subnormal step each. Re-sum them scaled
                // by 2^600 (normal, libm accuracy), then scale back with one rounding; here
                // log1p(xi) = xi and 1 + xi = 1 in double.
                let minus600Ln2 = (hi: -600 * 0.6931471803691238, lo: -600 * 1.9082149292705877e-10)
                var scaled = CompensatedSum()
                for i in 0..<cols where i != t { scaled.add(scaledTerm(s[i], sr, tau, minus: minus600Ln2)) }
                let (ph, pl) = scaled.value
                loss = (ph + pl) * 0x1p-600
                gradT = -((ph + pl) / tau) * 0x1p-600
            } else {
                loss = shifted ? mh + (ml + (log(total.s) + (total.e + sl) / total.s)) : log1p(sh) + sl / (1 + sh)
                let q = sh / denominator
                gradT = sh == 0 ? 0 : -(q - q * (correction - sl / sh))
            }
        case .flatNCE:
            if sh == 0 {
                loss = -.infinity
            } else {
                // log(xi) = log1p(S - 1) + m, S - 1 = the sum of the non-top terms.
                let (rh, rl) = rest.value
                let logS = log1p(rh) + rl / (1 + rh)
                let head = twoSum(logS, mh)
                loss = mh.isFinite ? head.s + (head.e + ml) : mh
            }
            (denominator, correction) = product(sh, sl, tau)
            gradT = -1 / tau
        }
        if let grad {
            if best == -.infinity {
                grad.update(repeating: 0, count: cols)
            } else {
                let logDenominator = log(denominator)
                for i in 0..<cols where i != t {
                    let u = grad[i]
                    if u >= 0x1p-969 || u == 0 && s[i] == -.infinity {
                        let q = u / denominator
                        grad[i] = q - q * correction
                    } else {
                        grad[i] = scaledTerm(s[i], sr, tau, minus: (logDenominator, 0))
                    }
                }
            }
            grad[t] = gradT
        }
        return loss
    }

    /// `(hi + lo) * tau` as `p (1 + c)`: the rounded product `p` and the relative correction
    /// `c = ((hi tau - p) + lo tau) / p` (FMA gives `hi tau - p` exactly). Dividing by `p` and
    /// then applying `1 - c` saves the rounding of the denominator.
    @inline(__always)
    private static func product(_ hi: Double, _ lo: Double, _ tau: Double) -> (Double, Double) {
        let p = hi * tau
        guard p.isFinite && p != 0 else { return (p, 0) }
        let e = (-p).addingProduct(hi, tau)  // hi * tau - p, exact
        return (p, (e + lo * tau) / p)
    }

    /// `exp((s - sr) / tau)` with the exponent as a double-double; 0 for `s = -inf`.
    @inline(__always)
    private static func term(_ s: Double, _ sr: Double, _ tau: Double) -> Double {
        let diff = twoSum(s, -sr)
        guard diff.s.isFinite else { return 0 }
        let (q, lo) = divide(diff.s, diff.e, by: tau)
        let e = exp(q)
        return e.addingProduct(e, lo)
    }

    /// `exp((s - sr) / tau - (c.hi + c.lo))` for terms scaled away from the subnormal range: the
    /// offset is a double-double (`-600 ln 2` as a two-part constant whose high part has 32 bits,
    /// so `600 * hi` is exact, for a subnormal-range sum; a row's `log(denominator)` for its tiny
    /// gradients). The low parts are folded into the argument (600 * lo(ln 2) is ~1e-7: too big
    /// for exp(a + b) = exp(a) (1 + b)), leaving a correction of ~2^-53; 0 for `s = -inf`.
    private static func scaledTerm(_ s: Double, _ sr: Double, _ tau: Double, minus c: (hi: Double, lo: Double)) -> Double {
        let diff = twoSum(s, -sr)
        guard diff.s.isFinite else { return 0 }
        let (q, lo) = divide(diff.s, diff.e, by: tau)
        let x = twoSum(q, -c.hi)
        let y = twoSum(x.s, x.e + (lo - c.lo))
        let e = exp(y.s)
        return e.addingProduct(e, y.e)
    }
}
