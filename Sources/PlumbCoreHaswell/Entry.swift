import PlumbCore

/// The float32 contrastive row kernel compiled for the "haswell" target (AVX2, FMA available; the
/// sources are PlumbCore's, linked into this module). Swift never fuses a multiply and an add
/// unless asked, so the results are bitwise those of the baseline build; only wider vectors
/// differ. Call it only when `plumbcpu_has_haswell()` says the CPU supports that target.
public func contrastiveRowF32Haswell(
    _ kind: ContrastiveLoss, _ s: UnsafePointer<Float>, cols: Int, positive t: Int, tau: Double,
    scratch: UnsafeMutablePointer<Double>, grad: UnsafeMutablePointer<Float>?
) throws(PlumbError) -> Float {
    try ContrastiveRowF32.run(kind, s, cols: cols, positive: t, tau: tau, scratch: scratch, grad: grad)
}
