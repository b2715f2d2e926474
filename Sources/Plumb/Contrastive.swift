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
