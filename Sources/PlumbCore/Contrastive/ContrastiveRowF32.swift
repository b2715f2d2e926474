#if PLUMB_HASWELL  // also compiled into PlumbCoreHaswell, which gets PlumbCore's types by import
import PlumbCore
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One float32 row of InfoNCE or FlatNCE (the form in `ContrastiveForm`), computed in float64.
///
/// Scores are widened to double; `(s_i - s_r) * (1/tau)` carries a relative error of ~2^-52 and
/// `|d_i| <= 2e4` in the specified range, so each `u_i = exp(d_i)` (SIMD, `fastExpNonPositive`,
/// relative error < 2^-31) is good to ~2^-31 relative; `S` is summed in double (K <= 4096 terms:
/// relative error < 2^-40). Every float32 output is one rounding of a double accurate to ~2^-30,
/// hence within 0.5 + 2^-6 ULP (measured: 0.504). FlatNCE is
/// always shifted by the largest negative: `L = log1p(S - 1) + m` with `S - 1` the sum of the other
/// terms; where that nearly cancels (|L| < 1/4, `m < 0`) the sum is redone with libm's `exp`.
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
        let invTau = 1 / tau
        var acc = SIMD4<Double>(repeating: 0)
        var tail = 0.0
        if best > -.infinity {
            expRange(s, 0, t, sr, invTau, scratch, &acc, &tail)
            expRange(s, t + 1, cols, sr, invTau, scratch, &acc, &tail)
        } else {
            scratch.update(repeating: 0, count: cols)
        }
        let S = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + tail
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

    /// `u[i] = exp((s_i - sr) / tau)` for i in a..<b (a branch-free loop the compiler vectorizes),
    /// summed in a fixed order (two SIMD2 accumulators, then the tail), so the bits do not depend
    /// on the thread count.
    @inline(__always)
    private static func expRange(
        _ s: UnsafePointer<Float>, _ a: Int, _ b: Int, _ sr: Double, _ invTau: Double,
        _ u: UnsafeMutablePointer<Double>, _ acc: inout SIMD4<Double>, _ tail: inout Double
    ) {
        var i = a
        while i + 8 <= b {
            let v = SIMD8<Double>(UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self))
            UnsafeMutableRawPointer(u + i).storeBytes(of: fastExpNonPositive((v - sr) * invTau), as: SIMD8<Double>.self)
            i += 8
        }
        while i < b {
            u[i] = fastExpNonPositive((Double(s[i]) - sr) * invTau)
            i += 1
        }
        i = a
        var acc0 = SIMD2<Double>(), acc1 = SIMD2<Double>()
        while i + 4 <= b {
            acc0 += UnsafeRawPointer(u + i).loadUnaligned(as: SIMD2<Double>.self)
            acc1 += UnsafeRawPointer(u + i + 2).loadUnaligned(as: SIMD2<Double>.self)
            i += 4
        }
        acc += SIMD4(lowHalf: acc0, highHalf: acc1)
        while i < b {
            tail += u[i]
            i += 1
        }
    }

    @inline(__always)
    private static func scaleRange(
        _ u: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int, _ c: Double
    ) {
        var i = a
        while i + 4 <= b {
            let v = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD4<Double>.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: SIMD4<Float>(v * c), as: SIMD4<Float>.self)
            i += 4
        }
        while i < b {
            g[i] = Float(u[i] * c)
            i += 1
        }
    }
}
