import CPlumb
import PlumbCore
import PlumbExact
import Synchronization

/// Addresses of live `plumb_hess` handles: every call looks its handle up here, so NULL, never-
/// created and destroyed handles give PLUMB_ERR_ARGUMENT instead of a use-after-free.
private let liveProbes = Mutex<Set<UInt>>([])

/// The probe behind a live handle (a strong reference, so a concurrent destroy cannot free it
/// during the call), or `.argument`.
private func probe(_ h: OpaquePointer?) throws(PlumbError) -> HessianProbe {
    guard let h else { throw .argument("h is NULL") }
    let raw = UnsafeMutableRawPointer(h)
    let found: HessianProbe? = liveProbes.withLock { live in
        live.contains(UInt(bitPattern: raw)) ? Unmanaged<HessianProbe>.fromOpaque(raw).takeUnretainedValue() : nil
    }
    guard let found else { throw .argument("h is not a live plumb_hess handle (never created or already destroyed)") }
    return found
}

private func estimator(_ e: plumb_hess_estimator) throws(PlumbError) -> HessianEstimator {
    let raw = try Check.enumValue(e, "e", allowed: 0...3)
    guard let value = HessianEstimator(rawValue: Int(raw)) else { throw .argument("e = \(raw) is not a known value") }
    return value
}

@_cdecl("plumb_hess_create") @implementation
public func plumb_hess_create(
    _ dim: Int64, _ config: UnsafePointer<plumb_hess_config>?, _ out: UnsafeMutablePointer<OpaquePointer?>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let out = try Check.pointer(out, "out")
        out.pointee = nil
        let config = try Check.pointer(config, "config").pointee
        let n = try Check.size(dim, "dim", minimum: 1)
        let p = try HessianProbe(dim: n, config: HessianProbeConfig(
            beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon, fullMatrix: config.full_matrix != 0))
        let raw = Unmanaged.passRetained(p).toOpaque()
        _ = liveProbes.withLock { $0.insert(UInt(bitPattern: raw)) }
        out.pointee = OpaquePointer(raw)
    }
}

@_cdecl("plumb_hess_destroy") @implementation
public func plumb_hess_destroy(_ h: OpaquePointer?) {
    guard let h else { return }
    let raw = UnsafeMutableRawPointer(h)
    let removed = liveProbes.withLock { $0.remove(UInt(bitPattern: raw)) != nil }
    if removed { Unmanaged<HessianProbe>.fromOpaque(raw).release() }
}

@_cdecl("plumb_hess_observe_f32") @implementation
public func plumb_hess_observe_f32(_ h: OpaquePointer?, _ grad: UnsafePointer<Float>?) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let p = try probe(h)
        let grad = try Check.pointer(grad, "grad")
        try p.locked { () throws(PlumbError) in try p.observe(grad) }
    }
}

@_cdecl("plumb_hess_observe_f64") @implementation
public func plumb_hess_observe_f64(_ h: OpaquePointer?, _ grad: UnsafePointer<Double>?) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let p = try probe(h)
        let grad = try Check.pointer(grad, "grad")
        try p.locked { () throws(PlumbError) in try p.observe(grad) }
    }
}

@_cdecl("plumb_hess_implied_diag") @implementation
public func plumb_hess_implied_diag(
    _ h: OpaquePointer?, _ e: plumb_hess_estimator, _ lr: Double, _ diag: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let p = try probe(h)
        let e = try estimator(e)
        let lr = try Check.positiveFinite(lr, "lr")
        let diag = try Check.pointer(diag, "diag")
        try p.locked { () throws(PlumbError) in try p.impliedDiagonal(e, lr: lr, into: diag) }
    }
}

@_cdecl("plumb_hess_compare") @implementation
public func plumb_hess_compare(
    _ h: OpaquePointer?, _ e: plumb_hess_estimator, _ reference: UnsafePointer<Double>?,
    _ out: UnsafeMutablePointer<plumb_hess_report>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let p = try probe(h)
        let e = try estimator(e)
        let reference = try Check.pointer(reference, "reference_diag")
        let out = try Check.pointer(out, "out")
        for i in 0..<p.dim where !reference[i].isFinite {
            throw .domain(row: nil, "reference_diag[\(i)] = \(reference[i]) is not finite")
        }
        try p.locked { () throws(PlumbError) in
            var est = [Double](repeating: 0, count: p.dim)
            try est.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Double>) throws(PlumbError) in
                try p.impliedDiagonal(e, lr: 1, into: b.baseAddress!)
            }
            // RMS and FULL add no epsilon: their implied diagonal at lr = 1 is the root itself.
            let root = e == .rms || e == .full ? est : try p.rootMoment(e)
            let fit = est.withUnsafeBufferPointer { HessianFit(estimate: $0.baseAddress!, reference: reference, count: p.dim) }
            let dominated = root.reduce(0) { $0 + (p.epsilon >= $1 ? 1 : 0) }
            out.pointee = plumb_hess_report(
                steps: Int64(p.steps), exponent: fit.exponent, scale: fit.scale,
                log_correlation: fit.logCorrelation, relative_error: fit.relativeError,
                epsilon_dominated: Double(dominated) / Double(p.dim))
        }
    }
}

@_cdecl("plumb_hess_compare_matrix") @implementation
public func plumb_hess_compare_matrix(
    _ h: OpaquePointer?, _ reference: UnsafePointer<Double>?, _ out: UnsafeMutablePointer<plumb_hess_matrix_report>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let p = try probe(h)
        let reference = try Check.pointer(reference, "reference_hessian")
        let out = try Check.pointer(out, "out")
        guard p.fullMatrix else { throw .argument("plumb_hess_compare_matrix needs a probe created with full_matrix = 1") }
        let n = p.dim
        for i in 0..<(n * n) where !reference[i].isFinite {
            throw .domain(row: i / n, "reference_hessian[\(i / n), \(i % n)] = \(reference[i]) is not finite")
        }
        try p.locked { () throws(PlumbError) in
            let (c, factor) = try p.secondMoment()
            let fit = try HessianMatrixFit(secondMoment: c, cScale: factor, hessian: reference, n: n)
            out.pointee = plumb_hess_matrix_report(
                steps: Int64(p.steps), scale: fit.scale, relative_error: fit.relativeError,
                exponent: fit.diagonal.exponent, diag_scale: fit.diagonal.scale,
                log_correlation: fit.diagonal.logCorrelation)
        }
    }
}

@_cdecl("plumb_hutchinson_diag") @implementation
public func plumb_hutchinson_diag(
    _ hvp: plumb_hvp_fn?, _ ctx: UnsafeMutableRawPointer?, _ dim: Int64, _ samples: Int32, _ seed: UInt64,
    _ diag: UnsafeMutablePointer<Double>?, _ stdError: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let hvp = try Check.pointer(hvp, "hvp")
        let diag = try Check.pointer(diag, "diag")
        let n = try Check.size(dim, "dim", minimum: 1)
        _ = try Check.elements(n, 4, elementSize: 8, "dim")
        guard samples >= 1 else { throw .argument("samples = \(samples) must be >= 1") }
        try Hutchinson(dim: n, samples: Int(samples), seed: seed).run(diag: diag, stdError: stdError) {
            (sample: Int, v: UnsafeMutablePointer<Double>, hv: UnsafeMutablePointer<Double>) throws(PlumbError) in
            let rc = hvp(ctx, v, hv, dim)
            if rc != 0 {
                throw .argument("hvp callback returned \(rc) at sample \(sample) (0-based) of \(samples); aborted, "
                    + "the remaining samples were not run")
            }
        }
    }
}

@_cdecl("plumb_exact_least_squares_hessian") @implementation
public func plumb_exact_least_squares_hessian(
    _ x: UnsafePointer<Double>?, _ n: Int64, _ dim: Int64, _ out: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let rows = try Check.size(n, "n", minimum: 1)
        let d = try Check.size(dim, "dim", minimum: 1)
        _ = try Check.elements(rows, d, elementSize: 8, "x")
        let dd = try Check.elements(d, d, elementSize: 8, "h_out")
        let x = try Check.pointer(x, "x"), out = try Check.pointer(out, "h_out")
        do throws(PlumbError) {
            try exactLeastSquaresHessian(x, n: rows, dim: d, out: out,
                                         rounding: CorrectRounding(cap: ExactSettings.precisionCap))
        } catch {
            out.update(repeating: .nan, count: dd)
            throw error
        }
    }
}
