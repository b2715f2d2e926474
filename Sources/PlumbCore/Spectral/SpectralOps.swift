/// Spectral norm, its gradient and spectral weight decay (MATH.md section 3), on top of
/// `topTriplet`. Each entry point returns the certificate and, separately, a failure that must be
/// reported AFTER the outputs were written (`notConverged`, or `domain` for the zero matrix's
/// unsquared gradient); input errors are thrown.

/// Reads the caller's warm start (`v`, or `v2` for the partner); throws for a non-finite entry.
private func readStart<T: SpectralElement>(
    _ v: UnsafeMutablePointer<T>, _ cols: Int, name: String = "v"
) throws(PlumbError) -> [Double] {
    var s = [Double](repeating: 0, count: cols)
    for j in 0..<cols {
        let x = v[j].wide
        guard x.isFinite else { throw .argument("\(name)[\(j)] = \(x): the warm start must be finite") }
        s[j] = x
    }
    return s
}

/// The first row of W holding NaN or inf, or nil.
private func firstNonFiniteRow<T: SpectralElement>(_ w: UnsafePointer<T>, _ rows: Int, _ cols: Int) -> Int? {
    for r in 0..<rows {
        for j in 0..<cols where !w[r * cols + j].isFinite { return r }
    }
    return nil
}

/// The triplet from the warm start `v` (and partner `v2`, if given), written back into them.
private func solve<T: SpectralElement>(
    _ w: UnsafePointer<T>, _ rows: Int, _ cols: Int, _ v: UnsafeMutablePointer<T>, _ v2: UnsafeMutablePointer<T>?,
    _ maxIters: Int, _ tol: Double
) throws(PlumbError) -> TripletWork {
    // Swift arrays trap where an allocation fails: sizes the machine cannot provide are refused first.
    try ensureAllocatable(spectralArrayCount(rows: rows, cols: cols), of: Double.self,
                          "scratch for a \(rows) x \(cols) spectral search")
    let start = try readStart(v, cols)
    let partner = try v2.map { p throws(PlumbError) in try readStart(p, cols, name: "v2") }
    let work = try topTriplet(w, rows: rows, cols: cols, start: start, partner: partner, maxPasses: maxIters, tol: tol,
                          as: T.self)
    // NaN or inf in W, or a pass that overflowed (its residual is then infinite).
    if !work.result.sigma.isFinite || !work.result.residual.isFinite || work.wv.contains(where: { !($0 / work.scale).isFinite }) {
        if let r = firstNonFiniteRow(w, rows, cols) {
            throw .domain(row: r, "W contains NaN or inf")
        }
        throw .domain(row: nil, "a pass over W overflows binary64 (||W||_2 is too close to 1e308; scale W down)")
    }
    for j in 0..<cols { v[j] = T(narrowing: work.v[j]) }
    if let v2, let p = work.partner {
        for j in 0..<cols { v2[j] = T(narrowing: p[j]) }
    }
    return work
}

private func lateFailure(_ work: TripletWork, _ maxIters: Int, _ tol: Double) -> PlumbError? {
    if work.result.converged { return nil }
    return .notConverged(
        "relative residual \(work.result.residual / max(work.result.sigma, .leastNormalMagnitude)) "
            + "did not reach tol = \(tol) in \(work.result.iterations) passes (max_iters = \(maxIters); "
            + "outputs are the best estimate)")
}

private func norm<T: SpectralElement>(
    _ w: UnsafePointer<T>, _ rows: Int, _ cols: Int, _ u: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>, _ v2: UnsafeMutablePointer<T>?, _ maxIters: Int, _ tol: Double
) throws(PlumbError) -> (SpectralResult, PlumbError?) {
    let work: TripletWork
    do throws(PlumbError) { work = try solve(w, rows, cols, v, v2, maxIters, tol) } catch {
        if case .domain = error { for i in 0..<rows { u[i] = .nan } }
        throw error
    }
    let scale = work.scaledSigma == 0 ? 0 : 1 / (work.scaledSigma * work.vNorm)
    for i in 0..<rows { u[i] = T(narrowing: work.wv[i] * scale) }
    return (work.result, lateFailure(work, maxIters, tol))
}

private func grad<T: SpectralElement>(
    _ w: UnsafePointer<T>, _ rows: Int, _ cols: Int, _ squared: Bool, _ g: UnsafeMutablePointer<T>,
    _ v: UnsafeMutablePointer<T>, _ v2: UnsafeMutablePointer<T>?, _ maxIters: Int, _ tol: Double
) throws(PlumbError) -> (SpectralResult, PlumbError?) {
    let work: TripletWork
    do throws(PlumbError) { work = try solve(w, rows, cols, v, v2, maxIters, tol) } catch {
        if case .domain = error { g.update(repeating: .nan, count: rows * cols) }
        throw error
    }
    let sigma = work.result.sigma
    if sigma == 0 && !squared {
        g.update(repeating: .nan, count: rows * cols)
        return (work.result, .domain(row: nil, "sigma_1 is 0 (W is the zero matrix, or its entries are too near binary64's subnormal floor): the gradient of ||W||_2 is undefined"))
    }
    // W v v^T / ||v||^2, or that over sigma (in the rescaled units: see `TripletWork.scaledSigma`).
    let (scale, unscale) = squared ? (1 / (work.vNorm * work.vNorm), work.scale)
        : (1 / (work.scaledSigma * work.vNorm * work.vNorm), 1)
    work.wv.withUnsafeBufferPointer { wv in
        work.v.withUnsafeBufferPointer { vv in
            parallelChunks(rows, grain: max(1, 16384 / max(cols, 1))) { range in
                for r in range {
                    let c = wv[r] / unscale * scale
                    let row = g + r * cols
                    for j in 0..<cols { row[j] = T(narrowing: c * vv[j]) }
                }
            }
        }
    }
    return (work.result, lateFailure(work, maxIters, tol))
}

private func decay<T: SpectralElement>(
    _ w: UnsafeMutablePointer<T>, _ rows: Int, _ cols: Int, _ coefficient: Double,
    _ v: UnsafeMutablePointer<T>, _ v2: UnsafeMutablePointer<T>?, _ maxIters: Int, _ tol: Double
) throws(PlumbError) -> (SpectralResult, PlumbError?) {
    let work = try solve(UnsafePointer(w), rows, cols, v, v2, maxIters, tol)
    // w_i -= c (w_i . v) v / ||v||^2, using the w_i . v of the verification pass: one read+write.
    let scale = coefficient / (work.vNorm * work.vNorm)
    work.wv.withUnsafeBufferPointer { wv in
        work.v.withUnsafeBufferPointer { vv in
            parallelChunks(rows, grain: max(1, 16384 / max(cols, 1))) { range in
                for r in range {
                    let c = wv[r] / work.scale * scale
                    if c == 0 { continue }
                    let row = w + r * cols
                    for j in 0..<cols { row[j] = T(narrowing: row[j].wide - c * vv[j]) }
                }
            }
        }
    }
    return (work.result, lateFailure(work, maxIters, tol))
}

/// The element types of the exported spectral functions. The conformances call the generic bodies
/// with a concrete type, so the solver specialises here in PlumbCore (a generic call from the ABI
/// module would not). `v2`, when given, is the warm start's partner vector (in and out; see
/// `blockLanczos`).
public protocol SpectralEntry: BinaryFloatingPoint {
    static func spectralNorm(_ w: UnsafePointer<Self>, rows: Int, cols: Int, u: UnsafeMutablePointer<Self>,
                             v: UnsafeMutablePointer<Self>, v2: UnsafeMutablePointer<Self>?, maxIters: Int,
                             tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?)
    static func spectralGrad(_ w: UnsafePointer<Self>, rows: Int, cols: Int, squared: Bool,
                             grad: UnsafeMutablePointer<Self>, v: UnsafeMutablePointer<Self>,
                             v2: UnsafeMutablePointer<Self>?, maxIters: Int,
                             tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?)
    static func spectralDecay(_ w: UnsafeMutablePointer<Self>, rows: Int, cols: Int, coefficient: Double,
                              v: UnsafeMutablePointer<Self>, v2: UnsafeMutablePointer<Self>?, maxIters: Int,
                              tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?)
}

extension Float: SpectralEntry {
    public static func spectralNorm(_ w: UnsafePointer<Float>, rows: Int, cols: Int, u: UnsafeMutablePointer<Float>,
                                    v: UnsafeMutablePointer<Float>, v2: UnsafeMutablePointer<Float>?, maxIters: Int,
                                    tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?) {
        try norm(w, rows, cols, u, v, v2, maxIters, tol)
    }
    public static func spectralGrad(_ w: UnsafePointer<Float>, rows: Int, cols: Int, squared: Bool,
                                    grad: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                                    v2: UnsafeMutablePointer<Float>?, maxIters: Int,
                                    tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?) {
        try PlumbCore.grad(w, rows, cols, squared, grad, v, v2, maxIters, tol)
    }
    public static func spectralDecay(_ w: UnsafeMutablePointer<Float>, rows: Int, cols: Int, coefficient: Double,
                                     v: UnsafeMutablePointer<Float>, v2: UnsafeMutablePointer<Float>?, maxIters: Int,
                                     tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?) {
        try decay(w, rows, cols, coefficient, v, v2, maxIters, tol)
    }
}

extension Double: SpectralEntry {
    public static func spectralNorm(_ w: UnsafePointer<Double>, rows: Int, cols: Int, u: UnsafeMutablePointer<Double>,
                                    v: UnsafeMutablePointer<Double>, v2: UnsafeMutablePointer<Double>?, maxIters: Int,
                                    tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?) {
        try norm(w, rows, cols, u, v, v2, maxIters, tol)
    }
    public static func spectralGrad(_ w: UnsafePointer<Double>, rows: Int, cols: Int, squared: Bool,
                                    grad: UnsafeMutablePointer<Double>, v: UnsafeMutablePointer<Double>,
                                    v2: UnsafeMutablePointer<Double>?, maxIters: Int,
                                    tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?) {
        try PlumbCore.grad(w, rows, cols, squared, grad, v, v2, maxIters, tol)
    }
    public static func spectralDecay(_ w: UnsafeMutablePointer<Double>, rows: Int, cols: Int, coefficient: Double,
                                     v: UnsafeMutablePointer<Double>, v2: UnsafeMutablePointer<Double>?, maxIters: Int,
                                     tol: Double) throws(PlumbError) -> (SpectralResult, PlumbError?) {
        try decay(w, rows, cols, coefficient, v, v2, maxIters, tol)
    }
}
