import CPlumb
import PlumbCore
import PlumbExact

/// Validated common arguments of the spectral functions.
private func spectralArgs(
    _ rows: Int64, _ cols: Int64, elementSize: Int, _ maxIters: Int32, _ tol: Double
) throws(PlumbError) -> (rows: Int, cols: Int, maxIters: Int) {
    let r = try Check.size(rows, "rows", minimum: 1)
    let c = try Check.size(cols, "cols", minimum: 1)
    _ = try Check.elements(r, c, elementSize: max(elementSize, 8), "w")
    guard maxIters >= 1 else { throw .argument("max_iters = \(maxIters) must be >= 1") }
    guard !tol.isNaN && tol >= 0 else { throw .argument("tol = \(tol) must be >= 0 and not NaN") }
    return (r, c, Int(maxIters))
}

private func store(_ info: UnsafeMutablePointer<plumb_spectral_info>?, _ r: SpectralResult) {
    info?.pointee = plumb_spectral_info(
        sigma: r.sigma, residual: r.residual, angle_bound: r.angleBound, gap_ratio: r.gapRatio,
        iterations: Int32(clamping: r.iterations), converged: r.converged ? 1 : 0)
}

/// Runs a spectral operation: writes *info (also when the result is a late failure) and maps errors.
private func runSpectral(
    _ info: UnsafeMutablePointer<plumb_spectral_info>?,
    _ body: () throws(PlumbError) -> (SpectralResult, PlumbError?)
) -> plumb_status {
    _ = kernelDispatch
    return withRowStatus { () throws(PlumbError) -> PlumbError? in
        do throws(PlumbError) {
            let (result, late) = try body()
            store(info, result)
            return late
        } catch {
            if case .domain = error {
                var nanResult = SpectralResult()
                nanResult.sigma = .nan; nanResult.residual = .nan
                store(info, nanResult)
            }
            throw error
        }
    }
}

/// The partner vector argument: absent for the plain functions, a checked pointer for the _pair ones.
private enum Partner<T> {
    case absent
    case pair(UnsafeMutablePointer<T>?)

    func checked() throws(PlumbError) -> UnsafeMutablePointer<T>? {
        guard case .pair(let p) = self else { return nil }
        return try Check.pointer(p, "v2")
    }
}

private func normEntry<T: SpectralEntry>(
    _ w: UnsafePointer<T>?, _ rows: Int64, _ cols: Int64, _ u: UnsafeMutablePointer<T>?, _ v: UnsafeMutablePointer<T>?,
    _ v2: Partner<T>, _ maxIters: Int32, _ tol: Double, _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    runSpectral(info) { () throws(PlumbError) in
        let a = try spectralArgs(rows, cols, elementSize: MemoryLayout<T>.size, maxIters, tol)
        let w = try Check.pointer(w, "w"), u = try Check.pointer(u, "u"), v = try Check.pointer(v, "v")
        return try T.spectralNorm(w, rows: a.rows, cols: a.cols, u: u, v: v, v2: try v2.checked(),
                                  maxIters: a.maxIters, tol: tol)
    }
}

private func gradEntry<T: SpectralEntry>(
    _ w: UnsafePointer<T>?, _ rows: Int64, _ cols: Int64, _ squared: Int32, _ grad: UnsafeMutablePointer<T>?,
    _ v: UnsafeMutablePointer<T>?, _ v2: Partner<T>, _ maxIters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    runSpectral(info) { () throws(PlumbError) in
        let a = try spectralArgs(rows, cols, elementSize: MemoryLayout<T>.size, maxIters, tol)
        let w = try Check.pointer(w, "w"), g = try Check.pointer(grad, "grad"), v = try Check.pointer(v, "v")
        return try T.spectralGrad(w, rows: a.rows, cols: a.cols, squared: squared != 0, grad: g, v: v,
                                  v2: try v2.checked(), maxIters: a.maxIters, tol: tol)
    }
}

private func decayEntry<T: SpectralEntry>(
    _ w: UnsafeMutablePointer<T>?, _ rows: Int64, _ cols: Int64, _ coefficient: T, _ v: UnsafeMutablePointer<T>?,
    _ v2: Partner<T>, _ maxIters: Int32, _ tol: Double, _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    runSpectral(info) { () throws(PlumbError) in
        let a = try spectralArgs(rows, cols, elementSize: MemoryLayout<T>.size, maxIters, tol)
        let c = try Check.finite(Double(coefficient), "coefficient")
        let w = try Check.pointer(w, "w"), v = try Check.pointer(v, "v")
        return try T.spectralDecay(w, rows: a.rows, cols: a.cols, coefficient: c, v: v, v2: try v2.checked(),
                                   maxIters: a.maxIters, tol: tol)
    }
}

@_cdecl("plumb_spectral_norm_f32") @implementation
public func plumb_spectral_norm_f32(
    _ w: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ u: UnsafeMutablePointer<Float>?,
    _ v: UnsafeMutablePointer<Float>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    normEntry(w, rows, cols, u, v, .absent, max_iters, tol, info)
}

@_cdecl("plumb_spectral_norm_f64") @implementation
public func plumb_spectral_norm_f64(
    _ w: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ u: UnsafeMutablePointer<Double>?,
    _ v: UnsafeMutablePointer<Double>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    normEntry(w, rows, cols, u, v, .absent, max_iters, tol, info)
}

@_cdecl("plumb_spectral_grad_f32") @implementation
public func plumb_spectral_grad_f32(
    _ w: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ squared: Int32,
    _ grad: UnsafeMutablePointer<Float>?, _ v: UnsafeMutablePointer<Float>?, _ max_iters: Int32,
    _ tol: Double, _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    gradEntry(w, rows, cols, squared, grad, v, .absent, max_iters, tol, info)
}

@_cdecl("plumb_spectral_grad_f64") @implementation
public func plumb_spectral_grad_f64(
    _ w: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ squared: Int32,
    _ grad: UnsafeMutablePointer<Double>?, _ v: UnsafeMutablePointer<Double>?, _ max_iters: Int32,
    _ tol: Double, _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    gradEntry(w, rows, cols, squared, grad, v, .absent, max_iters, tol, info)
}

@_cdecl("plumb_spectral_decay_f32") @implementation
public func plumb_spectral_decay_f32(
    _ w: UnsafeMutablePointer<Float>?, _ rows: Int64, _ cols: Int64, _ coefficient: Float,
    _ v: UnsafeMutablePointer<Float>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    decayEntry(w, rows, cols, coefficient, v, .absent, max_iters, tol, info)
}

@_cdecl("plumb_spectral_decay_f64") @implementation
public func plumb_spectral_decay_f64(
    _ w: UnsafeMutablePointer<Double>?, _ rows: Int64, _ cols: Int64, _ coefficient: Double,
    _ v: UnsafeMutablePointer<Double>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    decayEntry(w, rows, cols, coefficient, v, .absent, max_iters, tol, info)
}

@_cdecl("plumb_spectral_norm_pair_f32") @implementation
public func plumb_spectral_norm_pair_f32(
    _ w: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ u: UnsafeMutablePointer<Float>?,
    _ v: UnsafeMutablePointer<Float>?, _ v2: UnsafeMutablePointer<Float>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    normEntry(w, rows, cols, u, v, .pair(v2), max_iters, tol, info)
}

@_cdecl("plumb_spectral_norm_pair_f64") @implementation
public func plumb_spectral_norm_pair_f64(
    _ w: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ u: UnsafeMutablePointer<Double>?,
    _ v: UnsafeMutablePointer<Double>?, _ v2: UnsafeMutablePointer<Double>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    normEntry(w, rows, cols, u, v, .pair(v2), max_iters, tol, info)
}

@_cdecl("plumb_spectral_grad_pair_f32") @implementation
public func plumb_spectral_grad_pair_f32(
    _ w: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ squared: Int32,
    _ grad: UnsafeMutablePointer<Float>?, _ v: UnsafeMutablePointer<Float>?, _ v2: UnsafeMutablePointer<Float>?,
    _ max_iters: Int32, _ tol: Double, _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    gradEntry(w, rows, cols, squared, grad, v, .pair(v2), max_iters, tol, info)
}

@_cdecl("plumb_spectral_grad_pair_f64") @implementation
public func plumb_spectral_grad_pair_f64(
    _ w: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ squared: Int32,
    _ grad: UnsafeMutablePointer<Double>?, _ v: UnsafeMutablePointer<Double>?, _ v2: UnsafeMutablePointer<Double>?,
    _ max_iters: Int32, _ tol: Double, _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    gradEntry(w, rows, cols, squared, grad, v, .pair(v2), max_iters, tol, info)
}

@_cdecl("plumb_spectral_decay_pair_f32") @implementation
public func plumb_spectral_decay_pair_f32(
    _ w: UnsafeMutablePointer<Float>?, _ rows: Int64, _ cols: Int64, _ coefficient: Float,
    _ v: UnsafeMutablePointer<Float>?, _ v2: UnsafeMutablePointer<Float>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    decayEntry(w, rows, cols, coefficient, v, .pair(v2), max_iters, tol, info)
}

@_cdecl("plumb_spectral_decay_pair_f64") @implementation
public func plumb_spectral_decay_pair_f64(
    _ w: UnsafeMutablePointer<Double>?, _ rows: Int64, _ cols: Int64, _ coefficient: Double,
    _ v: UnsafeMutablePointer<Double>?, _ v2: UnsafeMutablePointer<Double>?, _ max_iters: Int32, _ tol: Double,
    _ info: UnsafeMutablePointer<plumb_spectral_info>?
) -> plumb_status {
    decayEntry(w, rows, cols, coefficient, v, .pair(v2), max_iters, tol, info)
}

@_cdecl("plumb_exact_spectral_norm") @implementation
public func plumb_exact_spectral_norm(
    _ w: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ sigma: UnsafeMutablePointer<Double>?,
    _ u: UnsafeMutablePointer<Double>?, _ v: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let r = try Check.size(rows, "rows", minimum: 1)
        let c = try Check.size(cols, "cols", minimum: 1)
        _ = try Check.elements(r, c, elementSize: 8, "w")
        let w = try Check.pointer(w, "w"), sigma = try Check.pointer(sigma, "sigma")
        sigma.pointee = .nan
        let result = try exactSpectralNorm(
            UnsafeBufferPointer(start: w, count: r * c), rows: r, cols: c,
            rounding: CorrectRounding(cap: ExactSettings.precisionCap))
        sigma.pointee = result.sigma
        if let u { for i in 0..<r { u[i] = result.u[i] } }
        if let v { for j in 0..<c { v[j] = result.v[j] } }
    }
}
