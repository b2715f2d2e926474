#if canImport(Glibc)
import Glibc
#endif
import CPlumbCPU
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
    if plumbcpu_has_avx512() != 0 && cap.lowercased() != "avx2" {
        PlumbCoreAVX512.DispatchedKernels.install()
    } else if plumbcpu_has_haswell() != 0 {
        PlumbCoreHaswell.DispatchedKernels.install()
    }
}()
