import PlumbCore

/// The entry points of a dispatched build of PlumbCore's hot kernels: the sources are PlumbCore's,
/// linked into this module, and so is this file (PlumbCoreHaswell for AVX2 and FMA, PlumbCoreAVX512
/// for AVX-512 besides). The ABI installs one build after the CPU check for its target
/// (`plumbcpu_has_haswell`, `plumbcpu_has_avx512`); each entry point has its baseline counterpart's
/// contract and bits, except where a comment says otherwise.
public enum DispatchedKernels {
    /// Makes PlumbCore call this build's kernels. Call once, before the first call of any of them
    /// (the ABI does it under `swift_once`). Top-k: every method. The gradient method's programme
    /// gains from AVX2 (~15%); the threshold methods form each weight with a fused multiply-add
    /// (the remainder of (x_i - x_ref) / tau), a libm call in the baseline build (x86-64 has no
    /// FMA) and one instruction here.
    public static func install() {
        ContrastiveKernels.rowsF32 = contrastiveRowsF32
        SpectralKernels.passF32 = gramPass
        SpectralKernels.passF64 = gramPass
        SpectralKernels.pairF32 = gramPassPair
        SpectralKernels.pairF64 = gramPassPair
        SpectralKernels.pairSingle = gramPassPairSingle
        SpectralKernels.reorthogonalisation = reorthogonalise
        TopKKernels.f32 = softTopK
        TopKKernels.f64 = softTopK
    }

    /// The float32 contrastive rows kernel (`ContrastiveRowF32.runRows`). Swift never fuses a multiply
    /// and an add unless asked, and this kernel asks only in its exp2 polynomial (`productPlus`): a
    /// result may differ from the baseline build's in the last bit, both within the kernel's bound (the
    /// dispatched builds agree with each other bit for bit).
    static func contrastiveRowsF32(
        _ kind: ContrastiveLoss, _ s: UnsafePointer<Float>, _ cols: Int, _ positive: UnsafePointer<Int64>, _ rows: Range<Int>,
        _ tau: Double, _ scratch: UnsafeMutablePointer<Double>, _ loss: UnsafeMutablePointer<Float>,
        _ grad: UnsafeMutablePointer<Float>?, _ streaming: Bool
    ) -> (row: Int, error: PlumbError)? {
        ContrastiveRowF32.runRows(kind, s, cols: cols, positive: positive, rows: rows, tau: tau, scratch: scratch,
                                  loss: loss, grad: grad, streaming: streaming)
    }

    /// The fused spectral pass `W^T (W x)` (`gramPassBody`).
    static func gramPass(
        _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ wx: UnsafeMutablePointer<Double>?, _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
    }

    static func gramPass(
        _ w: UnsafePointer<Double>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ wx: UnsafeMutablePointer<Double>?, _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
    }

    /// The pair passes (`gramPassPairBody`, `gramPassPairSingleBody`).
    static func gramPassPair(
        _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }

    static func gramPassPair(
        _ w: UnsafePointer<Double>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }

    static func gramPassPairSingle(
        _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
        _ scratch: UnsafeMutablePointer<Double>
    ) {
        gramPassPairSingleBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }

    /// The Lanczos basis's reorthogonalisation (`reorthogonaliseBody`).
    static func reorthogonalise(
        _ y: UnsafeMutablePointer<Double>, _ count: Int, _ q: UnsafePointer<Double>, _ basis: Int, _ cols: Int,
        _ coefficients: UnsafeMutablePointer<Double>
    ) {
        reorthogonaliseBody(y, count: count, against: q, basis: basis, cols: cols, coefficients: coefficients)
    }

    /// Batched smooth top-k (`softTopKBody`).
    static func softTopK(
        _ method: TopKMethod, _ x: UnsafePointer<Float>, _ rows: Int, _ n: Int, _ k: Int, _ temperature: Double,
        _ gradOut: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>
    ) -> PlumbError? {
        softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
    }

    static func softTopK(
        _ method: TopKMethod, _ x: UnsafePointer<Double>, _ rows: Int, _ n: Int, _ k: Int, _ temperature: Double,
        _ gradOut: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>
    ) -> PlumbError? {
        softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
    }
}
