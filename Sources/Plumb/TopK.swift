import CPlumb
import PlumbCore
import PlumbExact

/// Shared validation of the smooth top-k entry points; returns (method, rows, n, k).
private func checkTopK(_ method: plumb_topk_method, _ rows: Int64, _ n: Int64, _ k: Int64,
                       _ temperature: Double, elementSize: Int) throws(PlumbError) -> (TopKMethod, Int, Int, Int) {
    let raw = try Check.enumValue(method, "method", allowed: 0...3)
    guard let m = TopKMethod(rawValue: Int(raw)) else { throw .argument("method = \(raw) is not a known value") }
    let rows = try Check.size(rows, "rows")
    let n = try Check.size(n, "n", minimum: 1)
    guard k >= 1 && k <= Int64(n) else { throw .argument("k = \(k) must be in [1, n = \(n)]") }
    _ = try Check.positiveFinite(temperature, "temperature")
    _ = try Check.elements(rows, n, elementSize: elementSize, "x")
    // The gradient method's workspace is n * k entries of 24 bytes (n * (k + 1) for the VJP).
    if m == .gradient {
        let (w, o1) = n.multipliedReportingOverflow(by: Int(k) + 1)
        let (_, o2) = w.multipliedReportingOverflow(by: 24)
        guard !o1 && !o2 else { throw .argument("n * (k + 1) = \(n) x \(k + 1) workspace overflows the address space") }
    }
    return (m, rows, n, Int(k))
}

@_cdecl("plumb_soft_topk_f32") @implementation
public func plumb_soft_topk_f32(
    _ method: plumb_topk_method, _ x: UnsafePointer<Float>?, _ rows: Int64, _ n: Int64, _ k: Int64,
    _ temperature: Float, _ out: UnsafeMutablePointer<Float>?
) -> plumb_status {
    withRowStatus({ () throws(PlumbError) -> PlumbError? in
        let (m, rows, n, k) = try checkTopK(method, rows, n, k, Double(temperature), elementSize: 4)
        let x = try Check.pointer(x, "x"), out = try Check.pointer(out, "out")
        _ = kernelDispatch
        return softTopK(m, x: x, rows: rows, n: n, k: k, temperature: Double(temperature), out: out)
    })
}

@_cdecl("plumb_soft_topk_f64") @implementation
public func plumb_soft_topk_f64(
    _ method: plumb_topk_method, _ x: UnsafePointer<Double>?, _ rows: Int64, _ n: Int64, _ k: Int64,
    _ temperature: Double, _ out: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withRowStatus({ () throws(PlumbError) -> PlumbError? in
        let (m, rows, n, k) = try checkTopK(method, rows, n, k, temperature, elementSize: 8)
        let x = try Check.pointer(x, "x"), out = try Check.pointer(out, "out")
        _ = kernelDispatch
        return softTopK(m, x: x, rows: rows, n: n, k: k, temperature: temperature, out: out)
    })
}

@_cdecl("plumb_soft_topk_vjp_f32") @implementation
public func plumb_soft_topk_vjp_f32(
    _ method: plumb_topk_method, _ x: UnsafePointer<Float>?, _ rows: Int64, _ n: Int64, _ k: Int64,
    _ temperature: Float, _ grad_out: UnsafePointer<Float>?, _ grad_x: UnsafeMutablePointer<Float>?
) -> plumb_status {
    withRowStatus({ () throws(PlumbError) -> PlumbError? in
        let (m, rows, n, k) = try checkTopK(method, rows, n, k, Double(temperature), elementSize: 4)
        let x = try Check.pointer(x, "x"), g = try Check.pointer(grad_out, "grad_out")
        let gx = try Check.pointer(grad_x, "grad_x")
        _ = kernelDispatch
        return softTopK(m, x: x, rows: rows, n: n, k: k, temperature: Double(temperature), gradOut: g, out: gx)
    })
}

@_cdecl("plumb_soft_topk_vjp_f64") @implementation
public func plumb_soft_topk_vjp_f64(
    _ method: plumb_topk_method, _ x: UnsafePointer<Double>?, _ rows: Int64, _ n: Int64, _ k: Int64,
    _ temperature: Double, _ grad_out: UnsafePointer<Double>?, _ grad_x: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withRowStatus({ () throws(PlumbError) -> PlumbError? in
        let (m, rows, n, k) = try checkTopK(method, rows, n, k, temperature, elementSize: 8)
        let x = try Check.pointer(x, "x"), g = try Check.pointer(grad_out, "grad_out")
        let gx = try Check.pointer(grad_x, "grad_x")
        _ = kernelDispatch
        return softTopK(m, x: x, rows: rows, n: n, k: k, temperature: temperature, gradOut: g, out: gx)
    })
}

/// Largest n * k `plumb_exact_soft_topk` accepts (documented in the header).
private let exactTopKCells = 1 << 22

@_cdecl("plumb_exact_soft_topk") @implementation
public func plumb_exact_soft_topk(
    _ method: plumb_topk_method, _ x: UnsafePointer<Double>?, _ rows: Int64, _ n: Int64, _ k: Int64,
    _ temperature: Double, _ out: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withRowStatus({ () throws(PlumbError) -> PlumbError? in
        let (m, rows, n, k) = try checkTopK(method, rows, n, k, temperature, elementSize: 8)
        let x = try Check.pointer(x, "x"), out = try Check.pointer(out, "out")
        // Every cell of the exact programme is an MPFR interval (heap storage GMP cannot fail
        // gracefully on): keep the reference to test sizes.
        // n * k checked for overflow first: the build is -Ounchecked, where a wrapped product passed.
        let (cells, overflow) = n.multipliedReportingOverflow(by: k)
        guard !overflow && cells <= exactTopKCells else {
            throw .argument("n * k = \(n) x \(k) exceeds the exact reference's limit of \(exactTopKCells) cells")
        }
        let rounding = CorrectRounding(cap: ExactSettings.precisionCap)
        return forEachRow(rows) { (r: Int) throws(PlumbError) in
            for i in 0..<n { out[r * n + i] = .nan }
            let row = try exactSoftTopK(m, UnsafeBufferPointer(start: x + r * n, count: n), k: k,
                                        temperature: temperature, rounding: rounding)
            for i in 0..<n { out[r * n + i] = row[i] }
        }
    })
}
