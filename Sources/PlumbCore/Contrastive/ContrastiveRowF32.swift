#if PLUMB_HASWELL  // also compiled into PlumbCoreHaswell, which gets PlumbCore's types by import
import PlumbCore
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One float32 row of InfoNCE or FlatNCE (the form in `ContrastiveForm`), computed in float64.
///
/// Error budget: a float32 output is within 1 ULP when the double it is rounded from has a
/// relative error below 2^-25 (0.5 ULP of rounding plus at most 2^24 * 2^-25 ULP). Scores are
/// widened to double and `y_i = (s_i - s_r) * (log2(e) / tau)` carries a relative error below
/// 2^-50; only `y_i >= -1023` matter and there that is an absolute error below 2^-40, so each
/// `u_i = 2^(y_i) = exp((s_i - s_r) / tau)` (SIMD, `fastExp2NonPositive`) is within
/// e = 2^-28.9 relative. `S` sums positive terms in double (K <= 4096: below 2^-40 more), so `S`
/// is within e too, and so are `1 + S` and `w + S`. Then: a gradient `u_i / (D tau)` is within
/// 2e (u_i and D err in opposite directions) = 2^-27.9, i.e. 0.5 + 2^-3.9 ULP; InfoNCE's
/// `S / D` is within e (S appears in both); `log1p(S)` is within e relative; `m + log(w + S)`
/// (>= log 2) and FlatNCE's `log1p(S - 1) + m` when |L| >= 1/4 (ulp(L) >= 2^-25) have absolute
/// errors within e, so at most 0.5 + 2^-3.9 ULP as well. (Measured worst: see the README.)
/// FlatNCE is always shifted by the largest negative: `L = log1p(S - 1) + m` with `S - 1` the
/// sum of the other terms; where that nearly cancels (|L| < 1/4, `m < 0`) the sum is redone with
/// libm's `exp`.
enum ContrastiveRowF32 {
    /// Writes the row's gradient (when `grad` is non-nil) and returns the loss; `scratch` holds
    /// `cols` doubles.
    static func run(
        _ kind: ContrastiveLoss, _ s: UnsafePointer<Float>, cols: Int, positive t: Int, tau: Double,
        scratch: UnsafeMutablePointer<Double>, grad: UnsafeMutablePointer<Float>?
    ) throws(PlumbError) -> Float {
        let best = Double(try scanRowF32(s, cols: cols, positive: t))
        let st = Double(s[t])
        // FlatNCE always takes exponents relative to the largest negative (S >= 1, one term
        // exactly 1); InfoNCE only when that negative beats the positive.
        let shifted = kind == .flatNCE ? best > -.infinity : best > st
        let sr = shifted ? best : st
        let m = shifted ? (sr - st) / tau : 0  // >= 0 for InfoNCE; any sign for FlatNCE
        let scale2 = 1.4426950408889634 / tau  // log2(e) / tau
        var acc = SIMD8<Double>()
        var tail = 0.0
        if best > -.infinity {
            expRange(s, 0, t, sr, scale2, scratch, &acc, &tail)
            expRange(s, t + 1, cols, sr, scale2, scratch, &acc, &tail)
        } else {
            scratch.update(repeating: 0, count: cols)
        }
        let S = (((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))) + tail
        let w = kind == .infoNCE && shifted ? exp(-m) : 1.0

        let loss: Double
        let scale: Double, gradT: Double
        switch kind {
        case .infoNCE:
            let D = w + S
            loss = shifted ? m + log(D) : log1p(S)
            scale = 1 / (D * tau)
            gradT = -(S / D) / tau
        case .flatNCE:
            if best == -.infinity {
                loss = -.infinity
                scale = 0
            } else {
                // log(xi) = log1p(S - 1) + m; S - 1 is the sum of the terms other than the top one.
                // S - 1 has an absolute error ~2^-53 S: negligible for a float32 result unless
                // |L| is tiny, and that case is redone below.
                var value = log1p(S - 1) + m
                if abs(value) < 0.25 {
                    // Cancellation between log1p(rest) and m < 0: redo rest with libm's exp.
                    let top = topIndex(s, cols: cols, positive: t, value: Float(best))
                    value = log1p(accurateRest(s, cols: cols, positive: t, top: top, tau: tau)) + m
                }
                loss = value
                scale = 1 / (S * tau)
            }
            gradT = -1 / tau
        }
        if let grad {
            scaleRange(scratch, grad, 0, cols, scale)
            grad[t] = Float(gradT == 0 ? 0 : gradT)
        }
        return Float(loss)
    }

    /// The first column other than `t` holding `value` (the largest negative).
    private static func topIndex(_ s: UnsafePointer<Float>, cols: Int, positive t: Int, value: Float) -> Int {
        for i in 0..<cols where i != t && s[i] == value { return i }
        return t == 0 ? 1 : 0  // unreachable: `value` was found by the scan
    }

    /// `sum_{i != t, top} exp((s_i - s_top) / tau)` with libm's `exp` and compensated summation.
    private static func accurateRest(_ s: UnsafePointer<Float>, cols: Int, positive t: Int, top: Int, tau: Double) -> Double {
        let sr = Double(s[top])
        var sum = CompensatedSum()
        for i in 0..<cols where i != t && i != top {
            sum.add(exp((Double(s[i]) - sr) / tau))
        }
        let v = sum.value
        return v.hi + v.lo
    }

    /// `u[i] = exp((s_i - sr) / tau) = 2^((s_i - sr) * scale2)` for i in a..<b, added into `acc`
    /// lane by lane as they are made (the first `8 * floor((b - a) / 8)` entries) and into `tail`
    /// (the rest): a fixed order, so the bits depend neither on the thread count nor on the
    /// vector width of the build.
    @inline(__always)
    private static func expRange(
        _ s: UnsafePointer<Float>, _ a: Int, _ b: Int, _ sr: Double, _ scale2: Double,
        _ u: UnsafeMutablePointer<Double>, _ acc: inout SIMD8<Double>, _ tail: inout Double
    ) {
        var i = a
        var sum = acc
        while i + 8 <= b {
            let v = SIMD8<Double>(UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self))
            let e = fastExp2NonPositive((v - sr) * scale2)
            UnsafeMutableRawPointer(u + i).storeBytes(of: e, as: SIMD8<Double>.self)
            sum += e
            i += 8
        }
        acc = sum
        while i < b {
            let e = fastExp2NonPositive((Double(s[i]) - sr) * scale2)
            u[i] = e
            tail += e
            i += 1
        }
    }

    /// `g[i] = Float(u[i] * c)` for i in a..<b, eight at a time.
    @inline(__always)
    private static func scaleRange(
        _ u: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int, _ c: Double
    ) {
        var i = a
        while i + 8 <= b {
            let v = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: SIMD8<Float>(v * c), as: SIMD8<Float>.self)
            i += 8
        }
        while i < b {
            g[i] = Float(u[i] * c)
            i += 1
        }
    }
}
