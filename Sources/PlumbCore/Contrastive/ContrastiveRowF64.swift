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
/// Extreme scales: tau enters as `tau = T 2^E` with T in [1, 2) (`Temperature`). Denominators are
/// kept as `(w + S) T` (in [1, 2 cols]) and results scaled by 2^-E once at the end, so a tiny or
/// subnormal tau neither underflows a denominator nor spoils its FMA correction; a difference of
/// scores is formed scaled by the same power of two when tau is that small (`scaledGap`). Terms with
/// `u_i` below 2^-969 are recomputed for the gradient as `exp(d_i - K ln 2) / D` with
/// `(w + S) tau = D 2^K`, D in [1/2, 1) (2^600 up, scaled back with one rounding), so that neither
/// a rounded subnormal `u_i` nor the rounding of a logarithm reaches them; an InfoNCE `S` below 2^-969 (loss and `dL/ds_t` far below 1) is
/// re-summed scaled the same way.
enum ContrastiveRowF64 {
    /// Writes the row's gradient when `grad` is non-nil (used as the `u_i` buffer first) and
    /// returns the loss.
    static func run(
        _ kind: ContrastiveLoss, _ s: UnsafePointer<Double>, cols: Int, positive t: Int, tau: Double,
        grad: UnsafeMutablePointer<Double>?
    ) throws(PlumbError) -> Double {
        let best = try scanRow(s, cols: cols, positive: t)
        let st = s[t]
        let temperature = Temperature(tau)
        // InfoNCE takes exponents relative to the largest negative only when it beats the
        // positive; FlatNCE always does (S >= 1 then, so no flushed sum, and S - 1 is the sum of
        // the other terms, which gives log(S) through log1p without cancellation).
        let shifted = kind == .flatNCE ? best > -.infinity : best > st
        let sr = shifted ? best : st
        var mh = 0.0, ml = 0.0
        if shifted { (mh, ml) = scaledGap(sr, st, tau) }
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
        // The gradients' denominator (w + S) tau = (denominator (1 + correction)) 2^E, E = tau's exponent.
        var denominator = 1.0, correction = 0.0
        switch kind {
        case .infoNCE:
            let total = twoSum(w, sh)
            (denominator, correction) = product(total.s, total.e + sl, temperature.mantissa)
            if !shifted && best > -.infinity && sh < 0x1p-969 {
                // xi far below 1 (gaps beyond 670 temperatures): its terms were rounded to
                // subnormals or 0. Here log1p(xi) = xi and 1 + xi = 1 in double, so the loss is
                // sum exp(d_i) and dL/ds_t = -sum exp(d_i) / tau: re-summed scaled by 2^600 and by
                // 2^(600 - E) (normal terms, libm accuracy), then scaled back with one rounding.
                var scaledLoss = CompensatedSum(), scaledGrad = CompensatedSum()
                for i in 0..<cols where i != t {
                    scaledLoss.add(scaledTerm(s[i], sr, tau, minusLn2Times: -600))
                    scaledGrad.add(scaledTerm(s[i], sr, tau, minusLn2Times: temperature.exponent - 600))
                }
                let (lh, ll) = scaledLoss.value, (gh, gl) = scaledGrad.value
                loss = timesPowerOfTwo(lh + ll, -600)
                gradT = -timesPowerOfTwo((gh + gl) / temperature.mantissa, -600)
            } else {
                loss = shifted ? mh + (ml + (log(total.s) + (total.e + sl) / total.s)) : log1p(sh) + sl / (1 + sh)
                let q = sh / denominator
                gradT = sh == 0 ? 0 : -timesPowerOfTwo(q - q * (correction - sl / sh), -temperature.exponent)
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
            (denominator, correction) = product(sh, sl, temperature.mantissa)
            gradT = -1 / tau
        }
        if let grad {
            if best == -.infinity {
                grad.update(repeating: 0, count: cols)
            } else {
                // Tiny terms: exp(d_i - K ln 2) / D with (w + S) tau = D 2^K (D in [1/2, 1)), computed
                // 2^600 up (a normal exp even for a subnormal gradient, below 2^705 as u < 2^-969
                // and (w + S) tau >= 2^-1074) and scaled back with one rounding.
                let k = temperature.exponent + Int(denominator.exponent) + 1 - 600
                let d = Double(sign: .plus, exponent: -1, significand: denominator.significand)
                for i in 0..<cols where i != t {
                    let u = grad[i]
                    if u >= 0x1p-969 || u == 0 && s[i] == -.infinity {
                        let q = u / denominator
                        grad[i] = timesPowerOfTwo(q - q * correction, -temperature.exponent)
                    } else {
                        let q = scaledTerm(s[i], sr, tau, minusLn2Times: k) / d
                        grad[i] = timesPowerOfTwo(q - q * correction, -600)
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
        let (q, lo) = scaledGap(s, sr, tau)
        guard q.isFinite else { return 0 }
        let e = exp(q)
        return e.addingProduct(e, lo)
    }

    /// `exp((s - sr) / tau - k ln 2)` for terms scaled away from the subnormal range; 0 for
    /// `s = -inf`. `k ln 2` is a double-double from the two-part constant below, whose high part
    /// has 32 bits, so `k * hi` is exact for |k| < 2^21; the low parts are folded into the argument
    /// (k * lo(ln 2) reaches ~1e-7: too big for exp(a + b) = exp(a) (1 + b)), leaving a correction
    /// of ~2^-53.
    private static func scaledTerm(_ s: Double, _ sr: Double, _ tau: Double, minusLn2Times k: Int) -> Double {
        let (q, lo) = scaledGap(s, sr, tau)
        guard q.isFinite else { return 0 }
        let x = twoSum(q, -Double(k) * 0.6931471803691238)
        let y = twoSum(x.s, x.e + (lo - Double(k) * 1.9082149292705877e-10))
        let e = exp(y.s)
        return e.addingProduct(e, y.e)
    }
}

/// A row's temperature as `tau = mantissa 2^exponent`, mantissa in [1, 2).
struct Temperature {
    let mantissa: Double, exponent: Int

    init(_ tau: Double) {
        mantissa = tau.significand
        exponent = Int(tau.exponent)
    }
}
