import CPlumb
import PlumbCore
import PlumbExact

/// Validation shared by the contrastive-loss functions: sizes, pointers, temperature, and every
/// `positive[r]` in [-1, cols). Returns the validated counts and the positive indices' pointer.
private func checkLossArguments<T>(
    _ scores: UnsafePointer<T>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Double, _ loss: UnsafeMutablePointer<T>?
) throws(PlumbError) -> (rows: Int, cols: Int, scores: UnsafePointer<T>, positive: UnsafePointer<Int64>, loss: UnsafeMutablePointer<T>) {
    let r = try Check.size(rows, "rows")
    let c = try Check.size(cols, "cols", minimum: 2)
    _ = try Check.elements(r, c, elementSize: MemoryLayout<T>.stride, "scores")
    _ = try Check.elements(r, 1, elementSize: 8, "positive")
    let scores = try Check.pointer(scores, "scores")
    let positive = try Check.pointer(positive, "positive")
    let loss = try Check.pointer(loss, "loss")
    _ = try Check.positiveFinite(temperature, "temperature")
    for i in 0..<r {
        let t = positive[i]
        guard t >= -1 && t < cols else {
            throw .argument("positive[\(i)] = \(t) must be in [0, cols = \(cols)) or -1 (ignore the row)")
        }
    }
    return (r, c, scores, positive, loss)
}

private func lossF32(
    _ kind: ContrastiveLoss, _ scores: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64,
    _ positive: UnsafePointer<Int64>?, _ temperature: Float, _ loss: UnsafeMutablePointer<Float>?,
    _ grad: UnsafeMutablePointer<Float>?
) -> plumb_status {
    withRowStatus { () throws(PlumbError) -> PlumbError? in
        let a = try checkLossArguments(scores, rows, cols, positive, Double(temperature), loss)
        _ = kernelDispatch
        return ContrastiveKernels.lossF32(kind, scores: a.scores, rows: a.rows, cols: a.cols, positive: a.positive,
                                          temperature: temperature, loss: a.loss, grad: grad)
    }
}

private func lossF64(
    _ kind: ContrastiveLoss, _ scores: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64,
    _ positive: UnsafePointer<Int64>?, _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?,
    _ grad: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withRowStatus { () throws(PlumbError) -> PlumbError? in
        let a = try checkLossArguments(scores, rows, cols, positive, temperature, loss)
        return ContrastiveKernels.lossF64(kind, scores: a.scores, rows: a.rows, cols: a.cols, positive: a.positive,
                                          temperature: temperature, loss: a.loss, grad: grad)
    }
}

private func exactLoss(
    _ kind: ContrastiveLoss, _ scores: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64,
    _ positive: UnsafePointer<Int64>?, _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?,
    _ grad: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withRowStatus { () throws(PlumbError) -> PlumbError? in
        let a = try checkLossArguments(scores, rows, cols, positive, temperature, loss)
        let rounding = CorrectRounding(cap: ExactSettings.precisionCap)
        return forEachRow(a.rows) { (r: Int) throws(PlumbError) in
            let g = grad.map { $0 + r * a.cols }
            let t = Int(a.positive[r])
            if t < 0 {
                a.loss[r] = 0
                g?.update(repeating: 0, count: a.cols)
                return
            }
            do throws(PlumbError) {
                a.loss[r] = try exactContrastiveRow(
                    kind, UnsafeBufferPointer(start: a.scores + r * a.cols, count: a.cols), positive: t,
                    temperature: temperature, grad: g, rounding: rounding)
            } catch {
                a.loss[r] = .nan
                g?.update(repeating: .nan, count: a.cols)
                throw error
            }
        }
    }
}

@_cdecl("plumb_infonce_f32") @implementation
public func plumb_infonce_f32(
    _ scores: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Float, _ loss: UnsafeMutablePointer<Float>?, _ grad: UnsafeMutablePointer<Float>?
) -> plumb_status {
    lossF32(.infoNCE, scores, rows, cols, positive, temperature, loss, grad)
}

@_cdecl("plumb_infonce_f64") @implementation
public func plumb_infonce_f64(
    _ scores: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?, _ grad: UnsafeMutablePointer<Double>?
) -> plumb_status {
    lossF64(.infoNCE, scores, rows, cols, positive, temperature, loss, grad)
}

@_cdecl("plumb_flatnce_f32") @implementation
public func plumb_flatnce_f32(
    _ scores: UnsafePointer<Float>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Float, _ loss: UnsafeMutablePointer<Float>?, _ grad: UnsafeMutablePointer<Float>?
) -> plumb_status {
    lossF32(.flatNCE, scores, rows, cols, positive, temperature, loss, grad)
}

@_cdecl("plumb_flatnce_f64") @implementation
public func plumb_flatnce_f64(
    _ scores: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?, _ grad: UnsafeMutablePointer<Double>?
) -> plumb_status {
    lossF64(.flatNCE, scores, rows, cols, positive, temperature, loss, grad)
}

@_cdecl("plumb_exact_infonce") @implementation
public func plumb_exact_infonce(
    _ scores: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?, _ grad: UnsafeMutablePointer<Double>?
) -> plumb_status {
    exactLoss(.infoNCE, scores, rows, cols, positive, temperature, loss, grad)
}

@_cdecl("plumb_exact_flatnce") @implementation
public func plumb_exact_flatnce(
    _ scores: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ positive: UnsafePointer<Int64>?,
    _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?, _ grad: UnsafeMutablePointer<Double>?
) -> plumb_status {
    exactLoss(.flatNCE, scores, rows, cols, positive, temperature, loss, grad)
}

/// Shared body of the two embedding-level entry points; `widen`/`narrow` convert the caller's
/// element type to and from Double.
private func embeddings<T>(
    _ kind: plumb_contrastive_kind, _ a: UnsafePointer<T>?, _ b: UnsafePointer<T>?, _ n: Int64, _ dim: Int64,
    _ normalize: Int32, _ symmetric: Int32, _ temperature: Double, _ loss: UnsafeMutablePointer<T>?,
    _ gradA: UnsafeMutablePointer<T>?, _ gradB: UnsafeMutablePointer<T>?,
    widen: (T) -> Double, narrow: (Double) -> T
) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let raw = try Check.enumValue(kind, "kind", allowed: 0...1)
        let rows = try Check.size(n, "n", minimum: 2)
        let d = try Check.size(dim, "dim", minimum: 1)
        let count = try Check.elements(rows, d, elementSize: max(8, MemoryLayout<T>.stride), "a")
        _ = try Check.elements(rows, rows, elementSize: 16, "n x n scores")
        let a = try Check.pointer(a, "a"), b = try Check.pointer(b, "b"), loss = try Check.pointer(loss, "loss")
        _ = try Check.positiveFinite(temperature, "temperature")
        do throws(PlumbError) {
            // The binary64 copies of the inputs and gradients; a size malloc cannot provide is a
            // status, not the trap of a Swift array.
            let work = try WorkBuffer<Double>(count: (gradA == nil && gradB == nil ? 2 : 4) * count,
                                              "binary64 copies of the embeddings")
            let a64 = work.base, b64 = a64 + count, ga = b64 + count, gb = ga + count
            for i in 0..<count { a64[i] = widen(a[i]); b64[i] = widen(b[i]) }
            let value = try ContrastiveEmbeddings.compute(
                raw == 0 ? .infoNCE : .flatNCE, a: UnsafeBufferPointer(start: a64, count: count),
                b: UnsafeBufferPointer(start: b64, count: count), n: rows, dim: d, normalize: normalize != 0,
                symmetric: symmetric != 0, temperature: temperature,
                gradA: gradA == nil ? nil : UnsafeMutableBufferPointer(start: ga, count: count),
                gradB: gradB == nil ? nil : UnsafeMutableBufferPointer(start: gb, count: count))
            loss.pointee = narrow(value)
            if let gradA { for i in 0..<count { gradA[i] = narrow(ga[i]) } }
            if let gradB { for i in 0..<count { gradB[i] = narrow(gb[i]) } }
        } catch {
            loss.pointee = narrow(.nan)
            gradA?.update(repeating: narrow(.nan), count: count)
            gradB?.update(repeating: narrow(.nan), count: count)
            throw error
        }
    }
}

@_cdecl("plumb_contrastive_embeddings_f32") @implementation
public func plumb_contrastive_embeddings_f32(
    _ kind: plumb_contrastive_kind, _ a: UnsafePointer<Float>?, _ b: UnsafePointer<Float>?, _ n: Int64,
    _ dim: Int64, _ normalize: Int32, _ symmetric: Int32, _ temperature: Float, _ loss: UnsafeMutablePointer<Float>?,
    _ grad_a: UnsafeMutablePointer<Float>?, _ grad_b: UnsafeMutablePointer<Float>?
) -> plumb_status {
    embeddings(kind, a, b, n, dim, normalize, symmetric, Double(temperature), loss, grad_a, grad_b,
               widen: { Double($0) }, narrow: { Float($0) })
}

@_cdecl("plumb_contrastive_embeddings_f64") @implementation
public func plumb_contrastive_embeddings_f64(
    _ kind: plumb_contrastive_kind, _ a: UnsafePointer<Double>?, _ b: UnsafePointer<Double>?, _ n: Int64,
    _ dim: Int64, _ normalize: Int32, _ symmetric: Int32, _ temperature: Double, _ loss: UnsafeMutablePointer<Double>?,
    _ grad_a: UnsafeMutablePointer<Double>?, _ grad_b: UnsafeMutablePointer<Double>?
) -> plumb_status {
    embeddings(kind, a, b, n, dim, normalize, symmetric, temperature, loss, grad_a, grad_b,
               widen: { $0 }, narrow: { $0 })
}
