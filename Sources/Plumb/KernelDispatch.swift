#if canImport(Glibc)
import Glibc
#endif
import CPlumbCPU
import PlumbCore
import PlumbCoreAVX512
import PlumbCoreHaswell

/// Installs, once, the fastest build of the dispatched kernels that this CPU supports. The
/// environment variable `PLUMB_BASELINE` caps the choice, to compare the builds (their results
/// are bitwise the same, but for the fused multiply-adds the header describes): "avx2" allows no
/// build wider than AVX2, any other value but "" or "0" keeps the baseline. Entry points that use
/// a dispatched kernel evaluate this first.
let kernelDispatch: Void = {
    let cap = getenv("PLUMB_BASELINE").map { String(cString: $0) } ?? ""
    guard cap.isEmpty || cap == "0" || cap.lowercased() == "avx2" else { return }
    // Top-k: every method. The gradient method's programme gains from AVX2 (~15%); the threshold
    // methods form each weight with a fused multiply-add (the remainder of (x_i - x_ref) / tau),
    // a libm call in the baseline build (x86-64 has no FMA) and one instruction here.
    if plumbcpu_has_avx512() != 0 && cap.lowercased() != "avx2" {
        typealias Build = PlumbCoreAVX512.DispatchedKernels
        ContrastiveKernels.rowsF32 = Build.contrastiveRowsF32
        SpectralKernels.passF32 = Build.gramPass
        SpectralKernels.passF64 = Build.gramPass
        SpectralKernels.pairF32 = Build.gramPassPair
        SpectralKernels.pairF64 = Build.gramPassPair
        SpectralKernels.pairSingle = Build.gramPassPairSingle
        SpectralKernels.reorthogonalisation = Build.reorthogonalise
        TopKKernels.f32 = Build.softTopK
        TopKKernels.f64 = Build.softTopK
    } else if plumbcpu_has_haswell() != 0 {
        typealias Build = PlumbCoreHaswell.DispatchedKernels
        ContrastiveKernels.rowsF32 = Build.contrastiveRowsF32
        SpectralKernels.passF32 = Build.gramPass
        SpectralKernels.passF64 = Build.gramPass
        SpectralKernels.pairF32 = Build.gramPassPair
        SpectralKernels.pairF64 = Build.gramPassPair
        SpectralKernels.pairSingle = Build.gramPassPairSingle
        SpectralKernels.reorthogonalisation = Build.reorthogonalise
        TopKKernels.f32 = Build.softTopK
        TopKKernels.f64 = Build.softTopK
    }
}()
