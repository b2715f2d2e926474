#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Batched driver shared by the float32 and float64 kernels: rows run in parallel chunks
/// (`parallelChunks`), each chunk owns one scratch buffer of `cols` doubles (no allocation per
/// row), a failing row does not stop the others, and the lowest failing row is reported.
func contrastiveBatch(
    rows: Int, cols: Int, scratch: Bool,
    _ body: (_ row: Int, _ scratch: UnsafeMutablePointer<Double>?) throws(PlumbError) -> Void
) -> PlumbError? {
    let firstFailure = Mutex<(row: Int, error: PlumbError)?>(nil)
    // A row costs ~cols exps; give a thread at least ~64k of them.
    let grain = max(1, 65_536 / max(cols, 1))
    parallelChunks(rows, grain: grain) { range in
        // malloc (not .allocate, which traps on failure): a failed allocation becomes .noMemory.
        let buffer = scratch ? malloc(max(1, cols) &* MemoryLayout<Double>.stride)?.bindMemory(to: Double.self, capacity: cols) : nil
        defer { free(buffer) }
        for r in range {
            do throws(PlumbError) {
                try body(r, buffer)
            } catch {
                let failure = error.at(row: r)
                firstFailure.withLock { current in
                    if current == nil || r < current!.row { current = (r, failure) }
                }
            }
        }
    }
    return firstFailure.withLock { $0?.error }
}
