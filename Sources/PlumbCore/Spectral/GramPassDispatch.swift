/// The fused pass `W^T (W x)` in use for each element type: this module's baseline build, unless
/// the ABI installs a build of the same source for a wider instruction set the CPU supports
/// (`PlumbCoreHaswell`, `PlumbCoreAVX512`). Set once, before the first spectral call (the ABI does
/// it under `swift_once`). Arguments as `gramPassBody`: w, rows, cols, x, y, wx, scratch.
public enum SpectralKernels {
    public typealias Pass<T> = (UnsafePointer<T>, Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>,
                                UnsafeMutablePointer<Double>?, UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var passF32: Pass<Float> = {
        gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, scratch: $6)
    }
    nonisolated(unsafe) public static var passF64: Pass<Double> = {
        gramPassBody($0, rows: $1, cols: $2, x: $3, y: $4, wx: $5, scratch: $6)
    }

    /// The pair passes (`gramPassPairBody`; `gramPassPairSingleBody` for float32 arithmetic):
    /// w, rows, cols, x (2 cols), y (2 cols), scratch.
    public typealias PairPass<T> = (UnsafePointer<T>, Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>,
                                    UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var pairF32: PairPass<Float> = {
        gramPassPairBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5)
    }
    nonisolated(unsafe) public static var pairF64: PairPass<Double> = {
        gramPassPairBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5)
    }
    nonisolated(unsafe) public static var pairSingle: PairPass<Float> = {
        gramPassPairSingleBody($0, rows: $1, cols: $2, x: $3, y: $4, scratch: $5)
    }

    /// The halves of the left Gram matrix's pair pass (`rowProductsPairBody`: w, rows, cols, x, y;
    /// `columnProductsPairBody`: w, rows, cols, x, y).
    public typealias Products<T> = (UnsafePointer<T>, Int, Int, UnsafePointer<Double>, UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var rowProductsF32: Products<Float> = {
        rowProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4)
    }
    nonisolated(unsafe) public static var rowProductsF64: Products<Double> = {
        rowProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4)
    }
    nonisolated(unsafe) public static var columnProductsF32: Products<Float> = {
        columnProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4)
    }
    nonisolated(unsafe) public static var columnProductsF64: Products<Double> = {
        columnProductsPairBody($0, rows: $1, cols: $2, x: $3, y: $4)
    }

    /// The Lanczos basis's reorthogonalisation (`reorthogonaliseBody`): y, count, q, basis, cols,
    /// coefficients.
    public typealias Reorthogonalisation = (UnsafeMutablePointer<Double>, Int, UnsafePointer<Double>, Int, Int,
                                            UnsafeMutablePointer<Double>) -> Void

    nonisolated(unsafe) public static var reorthogonalisation: Reorthogonalisation = {
        reorthogonaliseBody($0, count: $1, against: $2, basis: $3, cols: $4, coefficients: $5)
    }
}

/// `reorthogonaliseBody` through the installed build (see `SpectralKernels`). Two columns against
/// a large basis go to two threads, one column each: a column's arithmetic does not depend on the
/// other's, so the bits are those of one call for both (and the search's worker, idle between
/// passes, takes half of this serial step).
@inline(__always)
func reorthogonalise(
    _ y: UnsafeMutablePointer<Double>, count: Int, against q: UnsafePointer<Double>, basis: Int, cols: Int,
    coefficients: UnsafeMutablePointer<Double>
) {
    guard count == 2 && basis * cols >= 1 << 15 else {
        SpectralKernels.reorthogonalisation(y, count, q, basis, cols, coefficients)
        return
    }
    parallelChunks(2) { range in
        for c in range {
            SpectralKernels.reorthogonalisation(y + c * cols, 1, q, basis, cols, coefficients + c * basis)
        }
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

/// `gramPassPairBody` (or, with `single`, `gramPassPairSingleBody`; T must then be Float) through
/// the installed build (see `SpectralKernels`).
@inline(__always)
func gramPassPair<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>,
    y: UnsafeMutablePointer<Double>, single: Bool, scratch: UnsafeMutablePointer<Double>
) {
    let raw = UnsafeRawPointer(w)
    if T.self == Float.self {
        let wf = raw.assumingMemoryBound(to: Float.self)
        (single ? SpectralKernels.pairSingle : SpectralKernels.pairF32)(wf, rows, cols, x, y, scratch)
    } else if T.self == Double.self {
        SpectralKernels.pairF64(raw.assumingMemoryBound(to: Double.self), rows, cols, x, y, scratch)
    } else {
        gramPassPairBody(w, rows: rows, cols: cols, x: x, y: y, scratch: scratch)
    }
}

/// `rowProductsPairBody` (`Y = W X` for two `cols`-vectors) through the installed build for `T`.
@inline(__always)
func rowProductsPair<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
) {
    let raw = UnsafeRawPointer(w)
    if T.self == Float.self {
        SpectralKernels.rowProductsF32(raw.assumingMemoryBound(to: Float.self), rows, cols, x, y)
    } else if T.self == Double.self {
        SpectralKernels.rowProductsF64(raw.assumingMemoryBound(to: Double.self), rows, cols, x, y)
    } else {
        rowProductsPairBody(w, rows: rows, cols: cols, x: x, y: y)
    }
}

/// `columnProductsPairBody` (`Y = W^T X` for two `rows`-vectors) through the installed build for `T`.
@inline(__always)
func columnProductsPair<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: UnsafePointer<Double>, y: UnsafeMutablePointer<Double>
) {
    let raw = UnsafeRawPointer(w)
    if T.self == Float.self {
        SpectralKernels.columnProductsF32(raw.assumingMemoryBound(to: Float.self), rows, cols, x, y)
    } else if T.self == Double.self {
        SpectralKernels.columnProductsF64(raw.assumingMemoryBound(to: Double.self), rows, cols, x, y)
    } else {
        columnProductsPairBody(w, rows: rows, cols: cols, x: x, y: y)
    }
}
