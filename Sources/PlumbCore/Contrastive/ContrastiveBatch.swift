#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Batched driver shared by the float32 and float64 kernels: rows run in parallel chunks
/// (`parallelChunks`), each chunk owns one scratch buffer of `scratch` doubles (none when 0; nil
/// when it cannot be allocated; no allocation per row) and returns its lowest failing row; the
/// lowest failing row over all chunks is reported, so it is the same for any thread count.
func contrastiveBatch(
    rows: Int, cols: Int, scratch: Int,
    _ chunk: (_ rows: Range<Int>, _ scratch: UnsafeMutablePointer<Double>?) -> (row: Int, error: PlumbError)?
) -> PlumbError? {
    let firstFailure = Mutex<(row: Int, error: PlumbError)?>(nil)
    // A row costs ~cols exps; give a thread at least ~64k of them.
    let grain = max(1, 65_536 / max(cols, 1))
    parallelChunks(rows, grain: grain) { range in
        // malloc (not .allocate, which traps on failure): a failed allocation becomes .noMemory.
        let buffer = scratch > 0 ? malloc(scratch &* MemoryLayout<Double>.stride)?.bindMemory(to: Double.self, capacity: scratch) : nil
        defer { free(buffer) }
        if let failure = chunk(range, buffer) {
            firstFailure.withLock { current in
                if current == nil || failure.row < current!.row { current = failure }
            }
        }
    }
    return firstFailure.withLock { $0?.error }
}
