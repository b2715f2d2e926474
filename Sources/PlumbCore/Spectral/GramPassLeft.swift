#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
// The two halves of a pass for a PAIR of vectors on the left Gram matrix `W W^T` of a wide W
// (`topTriplet` searches there when W has far fewer rows than columns: its vectors are then
// `rows` long instead of `cols`). Binary64 accumulation, fixed orders: the bits depend neither on
// the thread count nor on the build.

/// `Y = W X`: X two consecutive `cols`-vectors, Y two consecutive `rows`-vectors (`y[r]`,
/// `y[rows + r]`). Each row's two dot products on their own, rows in parallel.
func rowProductsPairBody<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
) {
    parallelChunks((rows + 3) / 4, grain: max(1, (1 << 14) / max(1, 4 * cols))) { quads in
        for q in quads {
            let r = 4 * q
            let w0 = w + r * cols
            // A last quad of fewer rows repeats its last row (its products are not stored).
            let w1 = r + 1 < rows ? w0 + cols : w0, w2 = r + 2 < rows ? w0 + 2 * cols : w1
            let w3 = r + 3 < rows ? w0 + 3 * cols : w2
            let (ta, tb) = rowDot4Pair(w0, w1, w2, w3, x, cols)
            for k in 0..<min(4, rows - r) {
                y[r + k] = ta[k]
                y[rows + r + k] = tb[k]
            }
        }
    }
}

/// `Y = W^T X`: X two consecutive `rows`-vectors, Y two consecutive `cols`-vectors. Columns in
/// slabs of `columnSlab` (fixed by `cols`), slabs in parallel; within a slab each column sums the
/// rows in order, four at a time. A wide W has too few rows to split them among threads (the
/// `W^T W` passes' row blocks hold at least 64), and a slab's sums stay in L1.
func columnProductsPairBody<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
) {
    let slabs = (cols + columnSlab - 1) / columnSlab
    parallelChunks(slabs) { range in
        for slab in range {
            let c0 = slab * columnSlab, n = min(cols, c0 + columnSlab) - c0
            let ya = y + c0, yb = y + cols + c0
            ya.update(repeating: 0, count: n)
            yb.update(repeating: 0, count: n)
            var r = 0
            while r + 4 <= rows {
                let w0 = w + r * cols + c0
                rowAxpy4Pair(SIMD4(x[r], x[r + 1], x[r + 2], x[r + 3]),
                             SIMD4(x[rows + r], x[rows + r + 1], x[rows + r + 2], x[rows + r + 3]),
                             w0, w0 + cols, w0 + 2 * cols, w0 + 3 * cols, ya, yb, n)
                r += 4
            }
            while r < rows {
                let row = w + r * cols + c0
                rowAxpy4Pair(SIMD4(x[r], 0, 0, 0), SIMD4(x[rows + r], 0, 0, 0), row, row, row, row, ya, yb, n)
                r += 1
            }
        }
    }
}

/// Columns per slab of `columnProductsPairBody`: 8 KB of the two vectors' sums.
let columnSlab = 512
