import PlumbCore

/// The float32 contrastive rows kernel compiled for the "haswell" target (AVX2, FMA available; the
/// sources are PlumbCore's, linked into this module). Swift never fuses a multiply and an add
/// unless asked, and this kernel asks only in its exp2 polynomial (`productPlus`): a result may
/// differ from the baseline build's in the last bit, both within the kernel's bound. Call it only
/// when `plumbcpu_has_haswell()` says the CPU supports that target.
public func contrastiveRowsF32Haswell(
    _ kind: ContrastiveLoss, _ s: UnsafePointer<Float>, _ cols: Int, _ positive: UnsafePointer<Int64>, _ rows: Range<Int>,
    _ tau: Double, _ scratch: UnsafeMutablePointer<Double>, _ loss: UnsafeMutablePointer<Float>,
    _ grad: UnsafeMutablePointer<Float>?
) -> (row: Int, error: PlumbError)? {
    ContrastiveRowF32.runRows(kind, s, cols: cols, positive: positive, rows: rows, tau: tau, scratch: scratch,
                              loss: loss, grad: grad)
}

/// The fused spectral pass `W^T (W x)` (`gramPassBody`) in the "haswell" build; same contract and
/// bits as the baseline.
public func gramPassHaswell(
    _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    _ wx: UnsafeMutablePointer<Double>?, _ scratch: UnsafeMutablePointer<Double>
) {
    gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
}

public func gramPassHaswell(
    _ w: UnsafePointer<Double>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    _ wx: UnsafeMutablePointer<Double>?, _ scratch: UnsafeMutablePointer<Double>
) {
    gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
}

/// The pair passes (`gramPassPairBody`, `gramPassPairSingleBody`) in the "haswell" build; same
/// contracts and bits as the baseline.
public func gramPassPairHaswell(
    _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    _ scratch: UnsafeMutablePointer<Double>
) {
    gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
}

public func gramPassPairHaswell(
    _ w: UnsafePointer<Double>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    _ scratch: UnsafeMutablePointer<Double>
) {
    gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
}

public func gramPassPairSingleHaswell(
    _ w: UnsafePointer<Float>, _ rows: Int, _ cols: Int, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>,
    _ scratch: UnsafeMutablePointer<Double>
) {
    gramPassPairSingleBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
}

/// Batched smooth top-k (`softTopKBody`) in the "haswell" build; same contract and bits as the
/// baseline.
public func softTopKHaswell(
    _ method: TopKMethod, _ x: UnsafePointer<Float>, _ rows: Int, _ n: Int, _ k: Int, _ temperature: Double,
    _ gradOut: UnsafePointer<Float>?, _ out: UnsafeMutablePointer<Float>
) -> PlumbError? {
    softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
}

public func softTopKHaswell(
    _ method: TopKMethod, _ x: UnsafePointer<Double>, _ rows: Int, _ n: Int, _ k: Int, _ temperature: Double,
    _ gradOut: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<Double>
) -> PlumbError? {
    softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
}
