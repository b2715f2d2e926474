/// Batched InfoNCE / FlatNCE kernels (row-major `rows x cols` scores).
///
/// `positive[r]` is the positive column of row r, or -1 to ignore the row (loss 0, gradient row
/// 0). The caller (the ABI) has validated sizes, pointers, `cols >= 2`, the temperature (finite,
/// > 0) and every `positive[r]` in [-1, cols). Rows whose scores are outside the domain (NaN,
/// +inf, or a non-finite positive score) get NaN loss and gradient; the lowest such row is
/// returned as `.domain`, the other rows are computed. Rows run in parallel; the result bits do not
/// depend on the thread count.
public enum ContrastiveKernels {
    /// A chunk of float32 rows (`ContrastiveRowF32.runRows`'s arguments: kind, scores, cols,
    /// positive, rows, tau, scratch, loss, grad, streaming); returns the lowest failing row and its
    /// error.
    public typealias RowsF32 = (ContrastiveLoss, UnsafePointer<Float>, Int, UnsafePointer<Int64>, Range<Int>, Double,
                                UnsafeMutablePointer<Double>, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>?,
                                Bool) -> (row: Int, error: PlumbError)?

    /// The gradient size from which the float32 kernel streams it past the caches: larger than the
    /// last-level cache a call's threads can expect to share (the operating system's figure is
    /// often the whole package's, or missing, under virtualisation), so the gradient would not
    /// stay there anyway. Measured 4096 x 4096 (64 MiB), 2 threads: 1.4x faster streamed.
    static let streamingBytes = 32 << 20

    /// The float32 rows kernel in use: this module's baseline build, unless the ABI installs a build
    /// of the same source for a wider instruction set the CPU supports (`PlumbCoreHaswell`,
    /// `PlumbCoreAVX512`). Set once, before the first float32 call (the ABI does it under
    /// `swift_once`).
    nonisolated(unsafe) public static var rowsF32: RowsF32 = {
        (kind, s, cols, positive, rows, tau, scratch, loss, grad, streaming) in
        ContrastiveRowF32.runRows(kind, s, cols: cols, positive: positive, rows: rows, tau: tau, scratch: scratch,
                                  loss: loss, grad: grad, streaming: streaming)
    }

    public static func lossF32(
        _ kind: ContrastiveLoss, scores: UnsafePointer<Float>, rows: Int, cols: Int,
        positive: UnsafePointer<Int64>, temperature: Float,
        loss: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?
    ) -> PlumbError? {
        let tau = Double(temperature)
        let kernel = rowsF32
        let count = ContrastiveRowF32.scratchCount(cols: cols)
        let streaming = grad != nil && rows * cols >= streamingBytes / 4
        return contrastiveBatch(rows: rows, cols: cols, scratch: count) { (range, scratch) in
            if let scratch { return kernel(kind, scores, cols, positive, range, tau, scratch, loss, grad, streaming) }
            var first: (row: Int, error: PlumbError)? = nil
            for r in range {
                let active = positive[r] >= 0
                loss[r] = active ? .nan : 0
                grad?.advanced(by: r * cols).update(repeating: active ? .nan : 0, count: cols)
                if active && first == nil { first = (r, .noMemory("cannot allocate \(count) doubles of scratch")) }
            }
            return first
        }
    }

    public static func lossF64(
        _ kind: ContrastiveLoss, scores: UnsafePointer<Double>, rows: Int, cols: Int,
        positive: UnsafePointer<Int64>, temperature: Double,
        loss: UnsafeMutablePointer<Double>, grad: UnsafeMutablePointer<Double>?
    ) -> PlumbError? {
        contrastiveBatch(rows: rows, cols: cols, scratch: 0) { (range, _) in
            var first: (row: Int, error: PlumbError)? = nil
            for r in range {
                let g = grad.map { $0 + r * cols }
                let t = Int(positive[r])
                if t < 0 {
                    loss[r] = 0
                    g?.update(repeating: 0, count: cols)
                    continue
                }
                do throws(PlumbError) {
                    loss[r] = try ContrastiveRowF64.run(kind, scores + r * cols, cols: cols, positive: t, tau: temperature,
                                                        grad: g)
                } catch {
                    loss[r] = .nan
                    g?.update(repeating: .nan, count: cols)
                    if first == nil { first = (r, error.at(row: r)) }
                }
            }
            return first
        }
    }
}
