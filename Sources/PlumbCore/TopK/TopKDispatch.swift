/// The batched smooth top-k in use for each element type: this module's baseline build, unless the
/// ABI installs a build of the same source for a wider instruction set the CPU supports
/// (`PlumbCoreHaswell`, `PlumbCoreAVX512`). Set once, before the first call (the ABI does it under
/// `swift_once`). Arguments as `softTopK`.
public enum TopKKernels {
    public typealias Run<T> = (TopKMethod, UnsafePointer<T>, Int, Int, Int, Double, UnsafePointer<T>?,
                               UnsafeMutablePointer<T>) -> PlumbError?

    nonisolated(unsafe) public static var f32: Run<Float> = {
        softTopKBody($0, x: $1, rows: $2, n: $3, k: $4, temperature: $5, gradOut: $6, out: $7)
    }
    nonisolated(unsafe) public static var f64: Run<Double> = {
        softTopKBody($0, x: $1, rows: $2, n: $3, k: $4, temperature: $5, gradOut: $6, out: $7)
    }
}

/// `out[r, :] = ST_k(x[r, :] / tau)` for every row; with `gradOut` given, `out = J^T gradOut`
/// (the VJP, including the 1/tau of the chain rule). Arguments must already be validated:
/// 1 <= k <= n, tau finite > 0, buffers of rows * n elements. A row containing NaN or +-inf gets NaN
/// outputs and `.domain` is reported for the first such row; other rows are computed.
public func softTopK<T: BinaryFloatingPoint>(
    _ method: TopKMethod, x: UnsafePointer<T>, rows: Int, n: Int, k: Int, temperature: Double,
    gradOut: UnsafePointer<T>? = nil, out: UnsafeMutablePointer<T>
) -> PlumbError? {
    if T.self == Float.self {
        return TopKKernels.f32(method, UnsafeRawPointer(x).assumingMemoryBound(to: Float.self), rows, n, k,
                               temperature, gradOut.map { UnsafeRawPointer($0).assumingMemoryBound(to: Float.self) },
                               UnsafeMutableRawPointer(out).assumingMemoryBound(to: Float.self))
    }
    if T.self == Double.self {
        return TopKKernels.f64(method, UnsafeRawPointer(x).assumingMemoryBound(to: Double.self), rows, n, k,
                               temperature, gradOut.map { UnsafeRawPointer($0).assumingMemoryBound(to: Double.self) },
                               UnsafeMutableRawPointer(out).assumingMemoryBound(to: Double.self))
    }
    return softTopKBody(method, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: gradOut, out: out)
}
