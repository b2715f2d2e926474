#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
#if canImport(Glibc)
import Glibc
#endif
import CPlumbCPU

/// Float32 rows of InfoNCE or FlatNCE (the form in `ContrastiveForm`), computed in float64.
///
/// Rows are pipelined so that memory traffic overlaps the exps: one loop over the columns of row
/// r takes its exps (its scores were read, into cache, by the previous row's loop), scans row r+1
/// (its largest negative, NaN/+inf check) and writes row r-1's gradient from that row's `u_i`
/// (two scratch rows alternate). Each row's values are those of a row computed alone: the
/// pipeline changes which loop touches which memory, never an operation on a row's numbers.
///
/// Error budget: a float32 output is within 1 ULP when the double it is rounded from has a
/// relative error below 2^-25 (0.5 ULP of rounding plus at most 2^24 * 2^-25 ULP). Scores are
/// widened to double and `y_i = (s_i - s_r) * (log2(e) / tau)` carries a relative error below
/// 2^-50; only `y_i >= -1021` matter and there that is an absolute error below 2^-40, so each
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
    /// Doubles of scratch per chunk of rows: two rows of `u_i`.
    static func scratchCount(cols: Int) -> Int { 2 * max(cols, 1) }

    /// A finished row whose gradient is still to be written: `g[i] = Float(u[i] * scale)`, then
    /// `g[t] = gradT`. The fused pass writes eight columns at a time from column `first` on,
    /// with non-temporal stores when `streaming` (then `g + first` is 32-byte aligned, and
    /// `first + 8 <= cols`: rows shorter than 15 columns are not streamed).
    struct PendingGradient {
        let u: UnsafeMutablePointer<Double>, g: UnsafeMutablePointer<Float>
        let scale: Double, t: Int, gradT: Float
        let first: Int, streaming: Bool

        init(u: UnsafeMutablePointer<Double>, g: UnsafeMutablePointer<Float>, cols: Int, scale: Double, t: Int,
             gradT: Float, streaming: Bool) {
            self.u = u
            self.g = g
            self.scale = scale
            self.t = t
            self.gradT = gradT
            let misalignment = Int(UInt(bitPattern: g) & 31)
            self.streaming = streaming && misalignment % 4 == 0 && cols >= 15
            self.first = self.streaming ? (32 - misalignment) % 32 / 4 : 0
        }

        /// Columns `j..<j+8`.
        @inline(__always)
        func write8(_ j: Int) {
            var v = narrowed(UnsafeRawPointer(u + j).loadUnaligned(as: SIMD8<Double>.self) * scale)
            if UInt(bitPattern: t &- j) < 8 { v[t - j] = gradT }
            if streaming {
                plumbcpu_stream_float8(g + j, v)
            } else {
                UnsafeMutableRawPointer(g + j).storeBytes(of: v, as: SIMD8<Float>.self)
            }
        }

        /// The columns outside `first..<end` (those `write8` did not write).
        @inline(__always)
        func writeRest(end: Int, cols: Int) {
            scaleRange(u, g, 0, first, scale)
            scaleRange(u, g, end, cols, scale)
            if t < first || t >= end { g[t] = gradT }
        }

        /// The whole row with plain stores, outside a fused pass.
        @inline(__always)
        func writeAlone(cols: Int) { writeRest(end: first, cols: cols) }
    }

    /// Rows `rows` of a batch (see `ContrastiveKernels.lossF32` for the arguments); `scratch`
    /// holds `scratchCount(cols:)` doubles. Writes every row's loss (and gradient row when `grad`
    /// is non-nil); a row outside the domain gets NaN loss and gradient. With `streaming` the
    /// gradient goes past the caches (non-temporal stores, fenced before returning): for a
    /// gradient far larger than the caches, whose lines then need not be read before they are
    /// written. Returns the lowest failing row and its error, or nil.
    ///
    /// While row r's exps are taken, the scores `lead` rows after the next are prefetched (~32 KB
    /// ahead of the scan, which would otherwise wait for memory).
    static func runRows(
        _ kind: ContrastiveLoss, _ scores: UnsafePointer<Float>, cols: Int, positive: UnsafePointer<Int64>,
        rows: Range<Int>, tau: Double, scratch: UnsafeMutablePointer<Double>,
        loss: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?, streaming: Bool
    ) -> (row: Int, error: PlumbError)? {
        defer { if streaming { plumbcpu_store_fence() } }
        let lead = max(1, 8192 / cols)
        var failure: (row: Int, error: PlumbError)? = nil
        var uCur = scratch, uNext = scratch + max(cols, 1)
        var pending: PendingGradient? = nil
        /// The first row at or after `from` that is not ignored; ignored rows on the way get loss 0
        /// and a zero gradient row (their scores are not read).
        func nextActive(_ from: Int) -> Int? {
            var r = from
            while r < rows.upperBound {
                if positive[r] >= 0 { return r }
                loss[r] = 0
                grad?.advanced(by: r * cols).update(repeating: 0, count: cols)
                r += 1
            }
            return nil
        }
        var row = nextActive(rows.lowerBound)
        var scan = row.map { RowScanF32(scores + $0 * cols, cols: cols, positive: Int(positive[$0])) }
        while let r = row, let thisScan = scan {
            let s = scores + r * cols, t = Int(positive[r])
            let next = nextActive(r + 1)
            let nextRow = next.map { (scores + $0 * cols, Int(positive[$0])) }
            if thisScan.bad || !s[t].isFinite {
                do throws(PlumbError) {
                    _ = try scanRow(s, cols: cols, positive: t)  // throws the message
                } catch {
                    if failure == nil { failure = (r, error.at(row: r)) }
                }
                loss[r] = .nan
                grad?.advanced(by: r * cols).update(repeating: .nan, count: cols)
                pending?.writeAlone(cols: cols)
                pending = nil
                scan = nextRow.map { RowScanF32($0.0, cols: cols, positive: $0.1) }
            } else {
                let best = Double(thisScan.best)
                let st = Double(s[t])
                // FlatNCE always takes exponents relative to the largest negative (S >= 1, one term
                // exactly 1); InfoNCE only when that negative beats the positive.
                let shifted = kind == .flatNCE ? best > -.infinity : best > st
                let sr = shifted ? best : st
                let S: Double
                if best > -.infinity {
                    var nextMax = -Float.infinity, nextBad = false
                    let ahead = next.flatMap { $0 + lead < rows.upperBound ? scores + ($0 + lead) * cols : nil }
                    S = fusedPass(s, cols: cols, positive: t, reference: sr, scale2: 1.4426950408889634 / tau,
                                  u: uCur, next: nextRow?.0, ahead: ahead, nextMax: &nextMax, nextBad: &nextBad,
                                  pending: pending)
                    scan = nextRow.map { (ns, nt) in
                        // The fused scan covered every column, the positive's too: redo it (from
                        // cache) when the positive may be the row's largest score.
                        ns[nt] < nextMax ? RowScanF32(best: nextMax, bad: nextBad) : RowScanF32(ns, cols: cols, positive: nt)
                    }
                } else {
                    uCur.update(repeating: 0, count: cols)
                    S = 0
                    pending?.writeAlone(cols: cols)
                    scan = nextRow.map { RowScanF32($0.0, cols: cols, positive: $0.1) }
                }
                let (value, scale, gradT) = finish(kind, s, cols: cols, positive: t, tau: tau, S: S, best: thisScan.best,
                                                   shifted: shifted, m: shifted ? (sr - st) / tau : 0)
                loss[r] = value
                pending = grad.map {
                    PendingGradient(u: uCur, g: $0 + r * cols, cols: cols, scale: scale, t: t, gradT: gradT,
                                    streaming: streaming)
                }
                swap(&uCur, &uNext)
            }
            row = next
        }
        pending?.writeAlone(cols: cols)
        return failure
    }

    /// The loss, the gradient scale `c` (`g_i = u_i c`) and the positive's gradient of a row whose
    /// exps sum to `S` (the type's comment gives the forms and their errors).
    @inline(__always)
    private static func finish(
        _ kind: ContrastiveLoss, _ s: UnsafePointer<Float>, cols: Int, positive t: Int, tau: Double,
        S: Double, best: Float, shifted: Bool, m: Double
    ) -> (loss: Float, scale: Double, gradT: Float) {
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
                    let top = topIndex(s, cols: cols, positive: t, value: best)
                    value = log1p(accurateRest(s, cols: cols, positive: t, top: top, tau: tau)) + m
                }
                loss = value
                scale = 1 / (S * tau)
            }
            gradT = -1 / tau
        }
        return (Float(loss), scale, Float(gradT == 0 ? 0 : gradT))
    }

    /// One loop over the columns: `u[i] = exp((s_i - sr) / tau) = 2^((s_i - sr) * scale2)` for
    /// i != t, returning their sum; the largest entry of `next` (every column) and whether any is
    /// NaN or +inf; a prefetch of the row `ahead`; and the pending gradient row. The positive's
    /// column is treated as a masked score (`fastExp2NonPositive`'s floor in the vector part, 0 in
    /// the tail). The sum is taken lane by lane over the first `8 * floor(cols / 8)` columns, then
    /// the lanes in a fixed tree, then the rest in order: a fixed order, so the bits depend neither
    /// on the thread count nor on the vector width of the build.
    @inline(__always)
    private static func fusedPass(
        _ s: UnsafePointer<Float>, cols: Int, positive t: Int, reference sr: Double, scale2: Double,
        u: UnsafeMutablePointer<Double>, next: UnsafePointer<Float>?, ahead: UnsafePointer<Float>?,
        nextMax: inout Float, nextBad: inout Bool, pending: PendingGradient?
    ) -> Double {
        var written = pending?.first ?? 0  // the pending row's columns first..<written are written
        let cols8 = cols & ~7, tBlock = t & ~7
        let positiveLane = SIMD8<Int64>(0, 1, 2, 3, 4, 5, 6, 7) .== Int64(t - tBlock)
        var acc = SIMD8<Double>()
        var m = SIMD8<Float>(repeating: -.infinity)
        var flags = SIMDMask<SIMD8<Int32>>()
        var i = 0
        while i < cols8 {
            var v = widened(UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Float>.self))
            if i == tBlock { v = v.replacing(with: -.infinity, where: positiveLane) }
            let e = fastExp2NonPositive((v - sr) * scale2)
            UnsafeMutableRawPointer(u + i).storeBytes(of: e, as: SIMD8<Double>.self)
            acc += e
            if let ahead, i & 15 == 0 { plumbcpu_prefetch(ahead + i) }
            if let next {
                let w = UnsafeRawPointer(next + i).loadUnaligned(as: SIMD8<Float>.self)
                flags = flags .| .!(w .< .infinity)
                m = m.replacing(with: w, where: w .> m)
            }
            if let p = pending, written + 8 <= cols {
                p.write8(written)
                written += 8
            }
            i += 8
        }
        var sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
        while i < cols {
            let e = i == t ? 0 : fastExp2NonPositive((Double(s[i]) - sr) * scale2)
            u[i] = e
            sum += e
            i += 1
        }
        if let next {
            var best = largestLane(m), bad = anyLane(flags)
            scanRangeF32(next, cols8, cols, &best, &bad)
            nextMax = best
            nextBad = bad
        }
        pending?.writeRest(end: written, cols: cols)
        return sum
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

    /// `g[i] = Float(u[i] * c)` for i in a..<b, eight at a time.
    @inline(__always)
    private static func scaleRange(
        _ u: UnsafeMutablePointer<Double>, _ g: UnsafeMutablePointer<Float>, _ a: Int, _ b: Int, _ c: Double
    ) {
        var i = a
        while i + 8 <= b {
            let v = UnsafeRawPointer(u + i).loadUnaligned(as: SIMD8<Double>.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: narrowed(v * c), as: SIMD8<Float>.self)
            i += 8
        }
        while i < b {
            g[i] = Float(u[i] * c)
            i += 1
        }
    }
}

// Lane-by-lane conversions. The standard library's generic `SIMD8<Double>(_:)` / `SIMD8<Float>(_:)`
// were left as out-of-line calls (baseline SSE2 code) in the row loop; spelled per lane, they
// become single vcvtps2pd / vcvtpd2ps instructions. Same values: widening is exact and narrowing
// rounds to nearest either way.
@inline(__always)
private func widened(_ v: SIMD8<Float>) -> SIMD8<Double> {
    SIMD8(Double(v[0]), Double(v[1]), Double(v[2]), Double(v[3]), Double(v[4]), Double(v[5]), Double(v[6]), Double(v[7]))
}

@inline(__always)
private func narrowed(_ v: SIMD8<Double>) -> SIMD8<Float> {
    SIMD8(Float(v[0]), Float(v[1]), Float(v[2]), Float(v[3]), Float(v[4]), Float(v[5]), Float(v[6]), Float(v[7]))
}
