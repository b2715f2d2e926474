#if canImport(Glibc)
import Glibc
#endif
import CPlumbCPU
import PlumbCore
import PlumbCoreHaswell

/// Installs, once, the fastest build of the dispatched kernels that this CPU supports. Setting
/// `PLUMB_BASELINE` to a value other than "" or "0" keeps the baseline builds (to compare them; the
/// results are bitwise the same). Entry points that use a dispatched kernel evaluate this first.
let kernelDispatch: Void = {
    let baseline = getenv("PLUMB_BASELINE").map { String(cString: $0) }.map { !$0.isEmpty && $0 != "0" } ?? false
    guard plumbcpu_has_haswell() != 0, !baseline else { return }
    ContrastiveKernels.rowsF32 = contrastiveRowsF32Haswell
    SpectralKernels.passF32 = gramPassHaswell
    SpectralKernels.passF64 = gramPassHaswell
    SpectralKernels.pairF32 = gramPassPairHaswell
    SpectralKernels.pairF64 = gramPassPairHaswell
    SpectralKernels.pairSingle = gramPassPairSingleHaswell
    // Top-k: every method. The gradient method's programme gains from AVX2 (~15%); the threshold
    // methods form each weight with a fused multiply-add (the remainder of (x_i - x_ref) / tau),
    // a libm call in the baseline build (x86-64 has no FMA) and one instruction here.
    TopKKernels.f32 = softTopKHaswell
    TopKKernels.f64 = softTopKHaswell
}()
