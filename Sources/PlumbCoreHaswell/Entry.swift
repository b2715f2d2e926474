import PlumbCore

// The entry points of a dispatched build of PlumbCore's hot kernels: the sources are PlumbCore's,
// linked into this module, and so is this file (PlumbCoreHaswell for AVX2 and FMA, PlumbCoreAVX512
// for AVX-512 besides). The ABI installs one build's entry points after the CPU check for its
// target (`plumbcpu_has_haswell`, `plumbcpu_has_avx512`); each has its baseline counterpart's
// contract and bits, except where a comment says otherwise.

public enum DispatchedKernels {
    /// The float32 contrastive rows kernel (`ContrastiveRowF32.runRows`). Swift never fuses a multiply
    /// and an add unless asked, and this kernel asks only in its exp2 polynomial (`productPlus`): a
    /// result may differ from the baseline build's in the last bit, both within the kernel's bound (the
    /// dispatched builds agree with each other bit for bit).
    public static func contrastiveRowsF32(
        _ kind: ContrastiveLoss, _ s: UnsafePointer<Float>, _ cols: Int, _ positive: UnsafePointer<Int64>, _ rows: Range<Int>,
        _ tau: Double, _ scratch: UnsafeMutablePointer<Double>, _ loss: UnsafeMutablePointer<Float>,
        _ grad: UnsafeMutablePointer<Float>?, _ streaming: Bool
    ) -> (row: Int, error: PlumbError)? {
        ContrastiveRowF32.runRows(kind, s, cols: cols, positive: positive, rows: rows, tau: tau, scratch: scratch,
                                  loss: loss, grad: grad, streaming: streaming)
    }

    /// The fused spectral pass `W^T (W x)` (`gramPassBody`).
    public static func gramPass(
        _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ wx: UnsafeMutablePointer<Double>?, _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
    }

    public static func gramPass(
        _ w: UnsafePointer<Double>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ wx: UnsafeMutablePointer<Double>?, _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
    }

    /// The pair passes (`gramPassPairBody`, `gramPassPairSingleBody`).
    public static func gramPassPair(
        _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }

    public static func gramPassPair(
        _ w: UnsafePointer<Double>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }

    public static func gramPassPairSingle(
        _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassPairSingleBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }

    /// The Lanczos basis's reorthogonalisation (`reorthogonaliseBody`).
    public static func reorthogonalise(
        _ y: UnsafeMutablePointer<Double>, _ count: Int, _ q: UnsafePointer<Double>, _ basis: Int, _ cols: Int,
        _ coefficients: UnsafeMutablePointer<Double>
    ) {
        reorthogonaliseBody(y, count: count, against: q, basis: basis, cols: cols, coefficients: coefficients)
    }

    /// Batched smooth top-k (`softTopKBody`).
    public static func softTopK(
        _ method: TopKMethod, _ x: UnsafePointer<Float>, _ rows: Int, _ n: Int, _ k: Int, _ temperature: Double,
        _ gradOut: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>
    ) -> PlumbError? {
        softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
    }

    public static func softTopK(
        _ method: TopKMethod, _ x: UnsafePointer<Double>, _ rows: Int, _ n: Int, _ k: Int, _ temperature: Double,
        _ gradOut: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>
    ) -> PlumbError? {
        softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
    }
}
