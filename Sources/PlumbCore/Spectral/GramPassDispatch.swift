/// The fused pass `W^T (W x)` in use for each element type: this module's baseline build, unless
/// the ABI installs a build of the same source for a wider instruction set the CPU supports
/// (`PlumbCoreHaswell`). Set once, before the first spectral call (the ABI does it under
/// `swift_once`). Arguments as `gramPassBody`: w, rows, cols, x, y, wx, scratch.
public enum SpectralKernels {
    public typealias Pass<T> = (UnsafePointer<T>, Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>,
                                UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var passF32: Pass<Float> = {
        gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, scratch: $6)
    }
    nonisolated(unsafe) public static var passF64: Pass<Double> = {
        gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, scratch: $6)
    }

    /// `gramPassSingleBody` (float32 arithmetic; arguments w, rows, cols, x, y, scratch).
    public typealias SinglePass = (UnsafePointer<Float>, Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>,
                                   UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var passSingle: SinglePass = {
        gramPassSingleBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5)
    }
}

/// `gramPassBody` through the installed build for `T` (see `SpectralKernels`).
@inline(__always)
func gramPass<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, wx: UnsafeMutablePointer<Double>?, scratch: UnsafeMutablePointer<Double>
) {
    let raw = UnsafeRawPointer(w)
    if T.self == Float.self {
        SpectralKernels.passF32(raw.assumingMemoryBound(to: Float.self), rows, cols, x, y, wx, scratch)
    } else if T.self == Double.self {
        SpectralKernels.passF64(raw.assumingMemoryBound(to: Double.self), rows, cols, x, y, wx, scratch)
    } else {
        gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, scratch: scratch)
    }
}
