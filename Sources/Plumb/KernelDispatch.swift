#if canImport(Glibc)
import Glibc
#endif
import CPlumbCPU
import PlumbCore
import PlumbCoreHaswell

/// Installs, once, the fastest build of the dispatched kernels that this CPU supports. Setting
/// `PLUMB_BASELINE=1` in the environment keeps the baseline builds (to compare them; the results
/// are bitwise the same). Entry points that use a dispatched kernel evaluate this first.
let kernelDispatch: Void = {
    guard plumbcpu_has_haswell() != 0, getenv("PLUMB_BASELINE") == nil else { return }
    ContrastiveKernels.rowF32 = { (kind, s, cols, t, tau, scratch, grad) throws(PlumbError) in
        try contrastiveRowF32Haswell(kind, s, cols: cols, positive: t, tau: tau, scratch: scratch, grad: grad)
    }
    SpectralKernels.passF32 = gramPassHaswell
    SpectralKernels.passF64 = gramPassHaswell
    TopKKernels.f32 = softTopKHaswell
    TopKKernels.f64 = softTopKHaswell
}()
