/// The fused pass `W^T (W x)` in use for each element type: this module's baseline build, unless
/// the ABI installs a build of the same source for a wider instruction set the CPU supports
/// (`PlumbCoreHaswell`). Set once, before the first spectral call (the ABI does it under
/// `swift_once`). Arguments as `gramPassBody`: w, rows, cols, x, y, wx, rowNorms2, scratch.
public enum SpectralKernels {
    public typealias Pass<T> = (UnsafePointer<T>, Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>,
                                UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>?,
                                UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var passF32: Pass<Float> = {
        gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, rowNorms2: $6, scratch: $7)
    }
    nonisolated(unsafe) public static var passF64: Pass<Double> = {
        gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, rowNorms2: $6, scratch: $7)
    }
}

/// `gramPassBody` through the installed build for `T` (see `SpectralKernels`).
@inline(__always)
func gramPass<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, wx: UnsafeMutablePointer<Double>?,
    rowNorms2: UnsafeMutablePointer<Double>? = nil, scratch: UnsafeMutablePointer<Double>
) {
    let raw = UnsafeRawPointer(w)
    if T.self == Float.self {
        SpectralKernels.passF32(raw.assumingMemoryBound(to: Float.self), rows, cols, x, y, wx, rowNorms2, scratch)
    } else if T.self == Double.self {
        SpectralKernels.passF64(raw.assumingMemoryBound(to: Double.self), rows, cols, x, y, wx, rowNorms2, scratch)
    } else {
        gramPassBody(w, rows: rows, cols: cols, x: x, y: y, wx: wx, rowNorms2: rowNorms2, scratch: scratch)
    }
}
