#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
/// `out_i = d_i (g_i - (d . g) / sum d)`, i.e. `J^T g` for `J = diag(d) - d d^T / sum d` (d >= 0):
/// the threshold methods' Jacobian by the implicit function theorem (d = f'), and softmax's (d = p).
///
/// When one item carries more than half of `sum d`, the mean is close to its g_i and `g_i - mean`
/// cancels: with p_i rounding to 1 (x = [0, 40], k = 1) it came out exactly 0 instead of
/// p_i p_j (g_i - g_j) ~ 4e-18. For that item (there is at most one) the bracket is formed as
/// `sum_{j != i} d_j (g_i - g_j) / sum d` instead, an equal expression with positive weights.
func implicitVJP(_ d: UnsafeBufferPointer<Double>, _ g: UnsafeBufferPointer<Double>,
                 out: UnsafeMutableBufferPointer<Double>) {
    let n = d.count
    var sd = 0.0, sdg = 0.0, top = 0
    for i in 0..<n {
        sd += d[i]; sdg += d[i] * g[i]
        if d[i] > d[top] { top = i }
    }
    guard sd > 0 else { for i in 0..<n { out[i] = 0 }; return }
    let mean = sdg / sd
    for i in 0..<n { out[i] = d[i] * (g[i] - mean) }
    if d[top] > sd / 2 {
        var rest = 0.0
        for j in 0..<n where j != top { rest += d[j] * (g[top] - g[j]) }
        out[top] = d[top] * (rest / sd)
    }
}
