/// Batched InfoNCE / FlatNCE kernels (row-major `rows x cols` scores).
///
/// `positive[r]` is the positive column of row r, or -1 to ignore the row (loss 0, gradient row
/// 0). The caller (the ABI) has validated sizes, pointers, `cols >= 2`, the temperature (finite,
/// > 0) and every `positive[r]` in [-1, cols). Rows whose scores are outside the domain (NaN,
/// +inf, or a non-finite positive score) get NaN loss and gradient; the lowest such row is
/// returned as `.domain`, the other rows are computed. Rows run in parallel; the result bits do not
/// depend on the thread count.
public enum ContrastiveKernels {
    /// One float32 row (`ContrastiveRowF32.run`'s arguments: kind, scores, cols, positive, tau,
    /// scratch, grad); returns the loss.
    public typealias RowF32 = (ContrastiveLoss, UnsafePointer<Float>, Int, Int, Double, UnsafeMutablePointer<Double>,
                               UnsafeMutablePointer<Float>?) throws(PlumbError) -> Float

    /// The float32 row kernel in use: this module's baseline build, unless the ABI installs a build
    /// of the same source for a wider instruction set the CPU supports (`PlumbCoreHaswell`). Set
    /// once, before the first float32 call (the ABI does it under `swift_once`).
    nonisolated(unsafe) public static var rowF32: RowF32 = { (kind, s, cols, t, tau, scratch, grad) throws(PlumbError) in
        try ContrastiveRowF32.run(kind, s, cols: cols, positive: t, tau: tau, scratch: scratch, grad: grad)
    }

    public static func lossF32(
        _ kind: ContrastiveLoss, scores: UnsafePointer<Float>, rows: Int, cols: Int,
        positive: UnsafePointer<Int64>, temperature: Float,
        loss: UnsafeMutablePointer<Float>, grad: UnsafeMutablePointer<Float>?
    ) -> PlumbError? {
        let tau = Double(temperature)
        let row = rowF32
        return contrastiveBatch(rows: rows, cols: cols, scratch: true) { (r, scratch) throws(PlumbError) in
            let g = grad.map { $0 + r * cols }
            let t = Int(positive[r])
            if t < 0 {
                loss[r] = 0
                g?.update(repeating: 0, count: cols)
                return
            }
            do throws(PlumbError) {
                guard let scratch else { throw .noMemory("cannot allocate \(cols) doubles of scratch") }
                loss[r] = try row(kind, scores + r * cols, cols, t, tau, scratch, g)
            } catch {
                loss[r] = .nan
                g?.update(repeating: .nan, count: cols)
                throw error
            }
        }
    }

    public static func lossF64(
        _ kind: ContrastiveLoss, scores: UnsafePointer<Double>, rows: Int, cols: Int,
        positive: UnsafePointer<Int64>, temperature: Double,
        loss: UnsafeMutablePointer<Double>, grad: UnsafeMutablePointer<Double>?
    ) -> PlumbError? {
        contrastiveBatch(rows: rows, cols: cols, scratch: false) { (r, _) throws(PlumbError) in
            let g = grad.map { $0 + r * cols }
            let t = Int(positive[r])
            if t < 0 {
                loss[r] = 0
                g?.update(repeating: 0, count: cols)
                return
            }
            do throws(PlumbError) {
                loss[r] = try ContrastiveRowF64.run(kind, scores + r * cols, cols: cols, positive: t, tau: temperature,
                                                    grad: g)
            } catch {
                loss[r] = .nan
                g?.update(repeating: .nan, count: cols)
                throw error
            }
        }
    }
}
