#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import CPlumbCPU
/// The fused pass for a pair of vectors, `Y = W^T (W X)` (as `gramPassPairBody`), for a float32 W
/// in float32 arithmetic with binary64 partial sums: the Lanczos search passes for float32
/// matrices, where binary64 passes spend most of their time widening W (measured 2048 x 2048, one
/// vector, 2 threads: 0.40-0.50 ms against 0.55-0.64 ms; a plain read of W takes 0.30-0.34 ms).
/// For each of the two vectors x:
///
/// - `t_i = w_i . x~`, `x~ = fl32(x)`: products and sums in float32 over chunks of 256 columns
///   (8 lanes x 32), each chunk's partial sums widened and added in binary64. With recursive
///   summation inside a chunk, `|t^_i - w_i . x| <= 34 u32 sum_j |w_ij| |x_j|` (u32 = 2^-24).
/// - `y = sum_i t~_i w_i` with `t~_i = fl32(t^_i)`, accumulated in float32 over groups of 64 rows,
///   each group's sums widened and added in binary64: `|y^_j - sum_i t^_i w_ij| <= 21 u32 sum_i |t^_i| |w_ij|`.
///
/// Together `||y^ - W^T W x|| <= 55 u32 ||W||_F^2 ||x||` in the worst case; rounding errors of random
/// sign make the typical error ~1e-7 of `||y||` and ~3.5e-8 of `||W||_2^2` (a C model of this pass
/// on Gaussian W, 1024 to 4096 square, random unit x: 9.8e-8 and 3.4e-8-3.5e-8 at 2048; chunks of
/// 128 columns and groups of 32 rows gave 7.6e-8 and 2.7e-8 but took 6-8% longer per call,
/// measured on an AVX-512 Xeon), far below the allowance `singlePassError` and the useful float32
/// tolerance (~1e-6). No certificate depends on this pass: the returned vector is verified by a
/// binary64 pass. Callers pass unit vectors and keep W's row norms within `2^-60 ... 2^60`
/// (`singlePrecisionPassApplies`): then `|t_i| <= ||w_i|| <= 2^60`, every product and every sum
/// (at most 64 terms of at most 2^120) stays below float32's 2^128, and only terms negligible
/// beside their row's norm can underflow.
///
/// Same determinism as `gramPassBody`: blocks of rows fixed by `rows`, a fixed order inside a block
/// and explicit reduction trees, so the bits do not depend on the thread count or on the build
/// (no fused multiply-add: the AVX2 build only has wider vectors). `scratch` as for
/// `gramPassPairBody`.
func gramPassPairSingleBody(
    _ w: UnsafePointer<Float>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
) {
    let blocks = passBlocks(rows: rows)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * cols) { xs in
        let x32 = xs.baseAddress!
        for j in 0..<(2 * cols) { x32[j] = Float(x[j]) }
        parallelChunks(blocks) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * cols) { group in
                for b in range {
                    singleBlock(w, r0: b * rows / blocks, r1: (b + 1) * rows / blocks, cols: cols, x: x32,
                                acc: scratch + 2 * b * cols, group: group.baseAddress!)
                }
            }
        }
    }
    y.update(from: scratch, count: 2 * cols)
    for b in 1..<blocks {
        let acc = scratch + 2 * b * cols
        for j in 0..<(2 * cols) { y[j] += acc[j] }
    }
}

/// Whether `gramPassPairSingleBody` keeps its accuracy on W: every row norm (binary64 squares)
/// within `2^-60 ... 2^60`, or zero.
func singlePrecisionPassApplies(rowNorms2: UnsafePointer<Double>, rows: Int) -> Bool {
    for i in 0..<rows {
        let r = rowNorms2[i]
        if r != 0 && !(r >= 0x1p-120 && r <= 0x1p120) { return false }
    }
    return true
}

/// Rows `r0..<r1` of W into the binary64 accumulators `acc` (2 cols, zeroed here); `group` holds
/// 2 cols floats.
@inline(__always)
private func singleBlock(
    _ w: UnsafePointer<Float>, r0: Int, r1: Int, cols: Int, x: UnsafePointer<Float>,
    acc: UnsafeMutablePointer<Double>, group: UnsafeMutablePointer<Float>
) {
    acc.update(repeating: 0, count: 2 * cols)
    var r = r0
    while r < r1 {
        let end = min(r1, r + 64)
        group.update(repeating: 0, count: 2 * cols)
        while r + 4 <= end {
            let w0 = w + r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols
            let next = r + 8 <= r1 ? w3 + cols : nil  // the next group: half from each sweep
            let (ta, tb) = rowDot4PairSingle(w0, w1, w2, w3, x, cols, prefetch: next)
            rowAxpy4PairSingle(SIMD4<Float>(ta), SIMD4<Float>(tb), w0, w1, w2, w3, group, cols,
                               prefetch: next.map { $0 + 2 * cols })
            r += 4
        }
        while r < end {
            let row = w + r * cols
            let (ta, tb) = rowDot4PairSingle(row, row, row, row, x, cols)
            rowAxpy4PairSingle(SIMD4(Float(ta[0]), 0, 0, 0), SIMD4(Float(tb[0]), 0, 0, 0), row, row, row, row,
                               group, cols)
            r += 1
        }
        addWidened(group, to: acc, 2 * cols)
    }
}

/// Four rows' dot products with each of `x[0..<n]` and `x[n..<2n]`: float32 within 256-column
/// chunks, binary64 across them; `prefetch`: two rows to request (`prefetchRowPair`).
@inline(__always)
private func rowDot4PairSingle(
    _ w0: UnsafePointer<Float>, _ w1: UnsafePointer<Float>, _ w2: UnsafePointer<Float>, _ w3: UnsafePointer<Float>,
    _ x: UnsafePointer<Float>, _ n: Int, prefetch next: UnsafePointer<Float>? = nil
) -> (SIMD4<Double>, SIMD4<Double>) {
    var da = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
    var db = (SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>(), SIMD8<Double>())
    let xb = x + n
    var j = 0
    while j + 8 <= n {
        let end = min(n - 7, j + 256)
        var a0 = SIMD8<Float>(), a1 = SIMD8<Float>(), a2 = SIMD8<Float>(), a3 = SIMD8<Float>()
        var b0 = SIMD8<Float>(), b1 = SIMD8<Float>(), b2 = SIMD8<Float>(), b3 = SIMD8<Float>()
        while j < end {
            prefetchRowPair(next, at: j, step: 8)
            let u = load8(x + j), v = load8(xb + j)
            let e0 = load8(w0 + j), e1 = load8(w1 + j), e2 = load8(w2 + j), e3 = load8(w3 + j)
            a0 += e0 * u; a1 += e1 * u; a2 += e2 * u; a3 += e3 * u
            b0 += e0 * v; b1 += e1 * v; b2 += e2 * v; b3 += e3 * v
            j += 8
        }
        da.0 += widen(a0); da.1 += widen(a1); da.2 += widen(a2); da.3 += widen(a3)
        db.0 += widen(b0); db.1 += widen(b1); db.2 += widen(b2); db.3 += widen(b3)
    }
    var ta = SIMD4(total(da.0), total(da.1), total(da.2), total(da.3))
    var tb = SIMD4(total(db.0), total(db.1), total(db.2), total(db.3))
    while j < n {
        let e = SIMD4(Double(w0[j]), Double(w1[j]), Double(w2[j]), Double(w3[j]))
        ta += e * Double(x[j])
        tb += e * Double(xb[j])
        j += 1
    }
    return (ta, tb)
}

/// `group[0..<n] += (ta0 w0 + ta1 w1) + (ta2 w2 + ta3 w3)` and likewise `group[n..<2n]` with tb,
/// in float32; `prefetch`: two rows to request (`prefetchRowPair`). Each element is on its own, so the
/// sweep runs 16 lanes wide (one 512-bit vector with AVX-512; the same bits in every build):
/// measured 2048 x 2048 float32 on an AVX-512 Xeon, calls alternating with an 8-lane build in one
/// process, 5-7% less time per cold or warm call.
@inline(__always)
private func rowAxpy4PairSingle(
    _ ta: SIMD4<Float>, _ tb: SIMD4<Float>,
    _ w0: UnsafePointer<Float>, _ w1: UnsafePointer<Float>, _ w2: UnsafePointer<Float>, _ w3: UnsafePointer<Float>,
    _ group: UnsafeMutablePointer<Float>, _ n: Int, prefetch next: UnsafePointer<Float>? = nil
) {
    let ra = UnsafeMutableRawPointer(group), rb = UnsafeMutableRawPointer(group + n)
    let a0 = SIMD16<Float>(repeating: ta[0]), a1 = SIMD16<Float>(repeating: ta[1])
    let a2 = SIMD16<Float>(repeating: ta[2]), a3 = SIMD16<Float>(repeating: ta[3])
    let b0 = SIMD16<Float>(repeating: tb[0]), b1 = SIMD16<Float>(repeating: tb[1])
    let b2 = SIMD16<Float>(repeating: tb[2]), b3 = SIMD16<Float>(repeating: tb[3])
    var j = 0
    while j + 16 <= n {
        prefetchRowPair(next, at: j, step: 16)
        let e0 = load16(w0 + j), e1 = load16(w1 + j), e2 = load16(w2 + j), e3 = load16(w3 + j)
        let pa = (a0 * e0 + a1 * e1) + (a2 * e2 + a3 * e3)
        let pb = (b0 * e0 + b1 * e1) + (b2 * e2 + b3 * e3)
        ra.storeBytes(of: ra.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) + pa,
                      toByteOffset: j * 4, as: SIMD16<Float>.self)
        rb.storeBytes(of: rb.loadUnaligned(fromByteOffset: j * 4, as: SIMD16<Float>.self) + pb,
                      toByteOffset: j * 4, as: SIMD16<Float>.self)
        j += 16
    }
    while j < n {
        let e = SIMD4(w0[j], w1[j], w2[j], w3[j])
        let pa = ta * e, pb = tb * e
        group[j] += (pa[0] + pa[1]) + (pa[2] + pa[3])
        group[n + j] += (pb[0] + pb[1]) + (pb[2] + pb[3])
        j += 1
    }
}

/// `acc += widen(group)`.
@inline(__always)
private func addWidened(_ group: UnsafePointer<Float>, to acc: UnsafeMutablePointer<Double>, _ n: Int) {
    let raw = UnsafeMutableRawPointer(acc)
    var j = 0
    while j + 8 <= n {
        let a = raw.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
        raw.storeBytes(of: a + widen(load8(group + j)), toByteOffset: j * 8, as: SIMD8<Double>.self)
        j += 8
    }
    while j < n { acc[j] += Double(group[j]); j += 1 }
}

/// `v` in binary64 (exact), in this build's instructions (`plumbcpu_widen_float8`): measured
/// 2048 x 2048 float32, two threads, one process, against `SIMD8<Double>(v)`, which called the
/// baseline build's SSE copy of the generic initializer from the AVX-512 pass: 8% less time per
/// cold or warm call on an AVX-512 Xeon, same bits.
@inline(__always)
private func widen(_ v: SIMD8<Float>) -> SIMD8<Double> { plumbcpu_widen_float8(v) }

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
private func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// The lanes of `s` summed in a fixed tree (`SIMD.sum()` leaves the order to the compiler).
@inline(__always)
private func total(_ s: SIMD8<Double>) -> Double {
    ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}
