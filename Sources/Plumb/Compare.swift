import CPlumb
import PlumbCore
import PlumbExact

/// Shared body of the four `plumb_compare_*` functions.
private func compare<T>(
    _ computed: UnsafePointer<T>?, _ exact: UnsafePointer<Double>?, _ n: Int64,
    _ out: UnsafeMutablePointer<plumb_error_stats>?, format: BinaryFormat, widen: (T) -> Double
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let count = try Check.size(n, "n")
        _ = try Check.elements(count, 1, elementSize: max(MemoryLayout<T>.stride, 8), "n")
        let out = try Check.pointer(out, "out")
        let computed = try Check.pointer(computed, "computed")
        let exact = try Check.pointer(exact, "exact")
        let stats = ErrorStatistics(
            format: format, exact: UnsafeBufferPointer(start: exact, count: count)
        ) { widen(computed[$0]) }
        out.pointee = plumb_error_stats(
            count: Int64(stats.count), max_ulp: stats.maxULP, mean_ulp: stats.meanULP,
            max_rel: stats.maxRelative, min_bits: stats.minBits, worst_index: Int64(stats.worstIndex),
            special_mismatches: Int64(stats.specialMismatches))
    }
}

@_cdecl("plumb_compare_f64") @implementation
public func plumb_compare_f64(
    _ computed: UnsafePointer<Double>?, _ exact: UnsafePointer<Double>?, _ n: Int64,
    _ out: UnsafeMutablePointer<plumb_error_stats>?
) -> plumb_status {
    compare(computed, exact, n, out, format: .binary64) { $0 }
}

@_cdecl("plumb_compare_f32") @implementation
public func plumb_compare_f32(
    _ computed: UnsafePointer<Float>?, _ exact: UnsafePointer<Double>?, _ n: Int64,
    _ out: UnsafeMutablePointer<plumb_error_stats>?
) -> plumb_status {
    compare(computed, exact, n, out, format: .binary32) { Double($0) }
}

@_cdecl("plumb_compare_f16") @implementation
public func plumb_compare_f16(
    _ computed: UnsafePointer<UInt16>?, _ exact: UnsafePointer<Double>?, _ n: Int64,
    _ out: UnsafeMutablePointer<plumb_error_stats>?
) -> plumb_status {
    compare(computed, exact, n, out, format: .binary16) { Double(Float16(bitPattern: $0)) }
}

@_cdecl("plumb_compare_bf16") @implementation
public func plumb_compare_bf16(
    _ computed: UnsafePointer<UInt16>?, _ exact: UnsafePointer<Double>?, _ n: Int64,
    _ out: UnsafeMutablePointer<plumb_error_stats>?
) -> plumb_status {
    compare(computed, exact, n, out, format: .bfloat16) { Double(Float(bitPattern: UInt32($0) << 16)) }
}
