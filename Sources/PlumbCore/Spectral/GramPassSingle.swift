#if PLUMB_HASWELL  // also compiled into PlumbCoreHaswell, which gets PlumbCore's types by import
import PlumbCore
#endif
/// The fused pass `y = W^T (W x)` for a float32 W in float32 arithmetic with binary64 partial sums:
/// the Lanczos search passes for float32 matrices, where the binary64 pass (`gramPassBody`) spends
/// most of its time widening W (measured 2048 x 2048, 2 threads: 0.40-0.50 ms against 0.55-0.64 ms;
/// a plain read of W takes 0.30-0.34 ms).
///
/// - `t_i = w_i . x~`, `x~ = fl32(x)`: products and sums in float32 over chunks of 128 columns
///   (8 lanes x 16), each chunk's partial sums widened and added in binary64. With recursive
///   summation inside a chunk, `|t^_i - w_i . x| <= 18 u32 sum_j |w_ij| |x_j|` (u32 = 2^-24).
/// - `y = sum_i t~_i w_i` with `t~_i = fl32(t^_i)`, accumulated in float32 over groups of 32 rows,
///   each group's sums widened and added in binary64: `|y^_j - sum_i t^_i w_ij| <= 13 u32 sum_i |t^_i| |w_ij|`.
///
/// Together `||y^ - W^T W x|| <= 31 u32 ||W||_F^2 ||x||` in the worst case; rounding errors of random
/// sign make the typical error ~1e-7 of `||y||` (measured 9e-8 on Gaussian 2048 x 2048), below the
/// useful float32 tolerance (~1e-6). No certificate depends on this pass: the returned vector is
/// verified by a binary64 pass. Callers pass a unit x and keep W's row norms within `2^-60 ... 2^60`
/// (`singlePrecisionPassApplies`): then `|t_i| <= ||w_i|| <= 2^60`, every product and 32-term sum
/// stays below float32's 2^128, and only terms negligible beside their row's norm can underflow.
///
/// Same determinism as `gramPassBody`: blocks of rows fixed by `rows`, a fixed order inside a block
/// and explicit reduction trees, so the bits do not depend on the thread count or on the build
/// (no fused multiply-add: the AVX2 build only has wider vectors). `scratch` as for `gramPassBody`.
func gramPassSingleBody(
    _ w: UnsafePointer<Float>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>
) {
    let blocks = passBlocks(rows: rows)
    withUnsafeTemporaryAllocation(of: Float.self, capacity: cols) { xs in
        let x32 = xs.baseAddress!
        for j in 0..<cols { x32[j] = Float(x[j]) }
        parallelChunks(blocks) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: cols) { group in
                for b in range {
                    singleBlock(w, r0: b * rows / blocks, r1: (b + 1) * rows / blocks, cols: cols, x: x32,
                                acc: scratch + b * cols, group: group.baseAddress!)
                }
            }
        }
    }
    y.update(from: scratch, count: cols)
    for b in 1..<blocks {
        let acc = scratch + b * cols
        for j in 0..<cols { y[j] += acc[j] }
    }
}

/// Whether `gramPassSingleBody` keeps its accuracy on W: every row norm (binary64 squares from a
/// pass) within `2^-60 ... 2^60`, or zero.
func singlePrecisionPassApplies(rowNorms2: UnsafePointer<Double>, rows: Int) -> Bool {
    for i in 0..<rows {
        let r = rowNorms2[i]
        if r != 0 && !(r >= 0x1p-120 && r <= 0x1p120) { return false }
    }
    return true
}

/// Rows `r0..<r1` of W into the binary64 accumulator `acc` (zeroed here); `group` holds cols floats.
@inline(__always)
private func singleBlock(
    _ w: UnsafePointer<Float>, r0: Int, r1: Int, cols: Int, x: UnsafePointer<Float>,
    acc: UnsafeMutablePointer<Double>, group: UnsafeMutablePointer<Float>
) {
    acc.update(repeating: 0, count: cols)
    var r = r0
    while r < r1 {
        let end = min(r1, r + 32)
        group.update(repeating: 0, count: cols)
        while r + 4 <= end {
            let w0 = w + r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols
            let t = SIMD4<Float>(rowDot4Single(w0, w1, w2, w3, x, cols))
            rowAxpy4Single(t, w0, w1, w2, w3, group, cols)
            r += 4
        }
        while r < end {
            let row = w + r * cols
            rowAxpySingle(Float(rowDot4Single(row, row, row, row, x, cols)[0]), row, group, cols)
            r += 1
        }
        addWidened(group, to: acc, cols)
    }
}

/// `(w0 . x, w1 . x, w2 . x, w3 . x)`: float32 within 128-column chunks, binary64 across them.
@inline(__always)
private func rowDot4Single(
    _ w0: UnsafePointer<Float>, _ w1: UnsafePointer<Float>, _ w2: UnsafePointer<Float>, _ w3: UnsafePointer<Float>,
    _ x: UnsafePointer<Float>, _ n: Int
) -> SIMD4<Double> {
    var d0 = SIMD8<Double>(), d1 = SIMD8<Double>(), d2 = SIMD8<Double>(), d3 = SIMD8<Double>()
    var j = 0
    while j + 8 <= n {
        let end = min(n - 7, j + 128)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        while j < end {
            let xv = load8(x + j)
            s0 += load8(w0 + j) * xv
            s1 += load8(w1 + j) * xv
            s2 += load8(w2 + j) * xv
            s3 += load8(w3 + j) * xv
            j += 8
        }
        d0 += SIMD8<Double>(s0); d1 += SIMD8<Double>(s1); d2 += SIMD8<Double>(s2); d3 += SIMD8<Double>(s3)
    }
    var t = SIMD4(total(d0), total(d1), total(d2), total(d3))
    while j < n {
        t += SIMD4(Double(w0[j]), Double(w1[j]), Double(w2[j]), Double(w3[j])) * Double(x[j])
        j += 1
    }
    return t
}

/// `group += (t0 w0 + t1 w1) + (t2 w2 + t3 w3)` in float32.
@inline(__always)
private func rowAxpy4Single(
    _ t: SIMD4<Float>,
    _ w0: UnsafePointer<Float>, _ w1: UnsafePointer<Float>, _ w2: UnsafePointer<Float>, _ w3: UnsafePointer<Float>,
    _ group: UnsafeMutablePointer<Float>, _ n: Int
) {
    let raw = UnsafeMutableRawPointer(group)
    let v0 = SIMD8<Float>(repeating: t[0]), v1 = SIMD8<Float>(repeating: t[1])
    let v2 = SIMD8<Float>(repeating: t[2]), v3 = SIMD8<Float>(repeating: t[3])
    var j = 0
    while j + 8 <= n {
        let a = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        let p = v0 * load8(w0 + j) + v1 * load8(w1 + j)
        let q = v2 * load8(w2 + j) + v3 * load8(w3 + j)
        raw.storeBytes(of: a + (p + q), toByteOffset: j * 4, as: SIMD8<Float>.self)
        j += 8
    }
    while j < n {
        group[j] += (t[0] * w0[j] + t[1] * w1[j]) + (t[2] * w2[j] + t[3] * w3[j])
        j += 1
    }
}

/// `group += t w` in float32 (one row).
@inline(__always)
private func rowAxpySingle(_ t: Float, _ w: UnsafePointer<Float>, _ group: UnsafeMutablePointer<Float>, _ n: Int) {
    let raw = UnsafeMutableRawPointer(group)
    let v = SIMD8<Float>(repeating: t)
    var j = 0
    while j + 8 <= n {
        let a = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
        raw.storeBytes(of: a + v * load8(w + j), toByteOffset: j * 4, as: SIMD8<Float>.self)
        j += 8
    }
    while j < n { group[j] += t * w[j]; j += 1 }
}

/// `acc += widen(group)`.
@inline(__always)
private func addWidened(_ group: UnsafePointer<Float>, to acc: UnsafeMutablePointer<Double>, _ n: Int) {
    let raw = UnsafeMutableRawPointer(acc)
    var j = 0
    while j + 8 <= n {
        let a = raw.loadUnaligned(fromByteOffset: j * 8, as: SIMD8<Double>.self)
        raw.storeBytes(of: a + SIMD8<Double>(load8(group + j)), toByteOffset: j * 8, as: SIMD8<Double>.self)
        j += 8
    }
    while j < n { acc[j] += Double(group[j]); j += 1 }
}

@inline(__always)
private func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// The lanes of `s` summed in a fixed tree (`SIMD.sum()` leaves the order to the compiler).
@inline(__always)
private func total(_ s: SIMD8<Double>) -> Double {
    ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}
