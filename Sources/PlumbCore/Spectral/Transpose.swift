/// `out = W^T`: the `cols x rows` row-major transpose of a row-major `rows x cols` W, in tiles of
/// 16 x 16 entries (each tile's reads and writes stay within a few cache lines), bands of 16 columns
/// in parallel. Exact, so the result does not depend on the thread count.
func transpose<T>(_ w: UnsafePointer<T>, rows: Int, cols: Int, into out: UnsafeMutablePointer<T>) {
    let tile = 16
    let bands = (cols + tile - 1) / tile
    parallelChunks(bands, grain: max(1, 8192 / max(1, rows * tile))) { range in
        for band in range {
            let j0 = band * tile, j1 = min(cols, j0 + tile)
            var i0 = 0
            while i0 < rows {
                let i1 = min(rows, i0 + tile)
                for j in j0..<j1 {
                    let column = out + j * rows
                    for i in i0..<i1 { column[i] = w[i * cols + j] }
                }
                i0 = i1
            }
        }
    }
}
