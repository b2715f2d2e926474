#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
/// Per-thread workspace, reused across the rows of a chunk.
struct TopKWorkspace {
    var x: [Double] = []
    var w1: [Double] = []
    var w2: [Double] = []
    var out: [Double] = []
    var deriv: [Double] = []
    var g: [Double] = []
    var offsets = RowOffsets()
    var gradient = GradientTopK()

    mutating func reserve(_ n: Int) {
        if x.count < n {
            x = .init(repeating: 0, count: n); w1 = x; w2 = x; out = x; deriv = x; g = x
        }
    }
}

/// One row `x` (binary64) at temperature `tau`. With `vjp = (exponent, significand)` given, writes
/// `J_z^T g 2^exponent / significand` instead of the outputs: for `tau = significand 2^t` and a
/// row of grad_out that `softTopKBody` scaled by `2^-s` into `g`, `exponent = s - t`, so these are
/// the VJP's entries in x's units. The scale is applied as the entries are formed, so that an
/// entry below binary64's range in z units survives when its final value is in range.
///
/// A row of equal values gets `k / n` for every item, correctly rounded: every method gives
/// that by symmetry (the outputs are equal and sum to k), and the general solvers would round it.
func softTopKRow(_ method: TopKMethod, _ ws: inout TopKWorkspace, n: Int, k: Int, tau: Double,
                 vjp scale: (exponent: Int, significand: Double)?, table: UnsafeMutablePointer<ScaledPair>) {
    let vjp = scale != nil
    ws.x.withUnsafeBufferPointer { xb in
        let x = UnsafeBufferPointer(rebasing: xb[0..<n])
        ws.out.withUnsafeMutableBufferPointer { ob in
            let out = UnsafeMutableBufferPointer(rebasing: ob[0..<n])
            if k >= n {
                for i in 0..<n { out[i] = vjp ? 0 : 1 }
                return
            }
            if !vjp && x.allSatisfy({ $0 == x[0] }) {
                for i in 0..<n { out[i] = Double(k) / Double(n) }
                return
            }
            ws.g.withUnsafeBufferPointer { gb in
                let g = UnsafeBufferPointer(rebasing: gb[0..<n])
                if method == .gradient {
                    ws.gradient.run(x, tau: tau, k: k, v: vjp ? g : nil, scale: scale, out: out, table: table)
                    return
                }
                ws.w1.withUnsafeMutableBufferPointer { w1 in
                    ws.w2.withUnsafeMutableBufferPointer { w2 in
                        ws.deriv.withUnsafeMutableBufferPointer { db in
                            let d = UnsafeMutableBufferPointer(rebasing: db[0..<n])
                            switch method {
                            case .expClip:
                                ThresholdTopK.expClip(x, tau: tau, k: k, work: w1, out: out, derivative: vjp ? d : nil)
                            case .laplace:
                                ThresholdTopK.laplace(x, tau: tau, k: k, offsets: &ws.offsets, work: w1, work2: w2,
                                                      out: out, derivative: d)
                            default:
                                ThresholdTopK.sigmoid(x, tau: tau, k: k, offsets: &ws.offsets, out: out, derivative: d)
                            }
                            if let scale {
                                implicitVJP(UnsafeBufferPointer(d), g, out: out)
                                for i in 0..<n { out[i] = timesPowerOfTwo(out[i] / scale.significand, scale.exponent) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `out[r, :] = ST_k(x[r, :] / tau)` for every row; with `gradOut` given, `out = J^T gradOut`
/// (the VJP, including the 1/tau of the chain rule). Arguments must already be validated:
/// 1 <= k <= n, tau finite > 0, buffers of rows * n elements. A row containing NaN or +-inf gets NaN
/// outputs and `.domain` is reported for the first such row; other rows are computed. Callers use
/// `softTopK` (which picks this module's build or a faster one of the same source).
func softTopKBody<T: BinaryFloatingPoint>(
    _ method: TopKMethod, x: UnsafePointer<T>, rows: Int, n: Int, k: Int, temperature: Double,
    gradOut: UnsafePointer<T>?, out: UnsafeMutablePointer<T>
) -> PlumbError? {
    // Each thread's row workspace (TopKWorkspace, RowOffsets, GradientTopK, the sort) lives in
    // Swift arrays of n values, which trap where an allocation fails: sizes the machine cannot
    // provide are refused first, with nothing written.
    let threads = min(Threads.limit, Threads.available, max(rows, 1))
    let (workspace, overflow) = n.multipliedReportingOverflow(by: 32 * threads)
    do throws(PlumbError) {
        try ensureAllocatable(overflow ? .max : workspace, of: Double.self,
                              "the row workspaces of \(threads) threads (n = \(n))")
    } catch { return error }
    let grain = max(1, 16384 / max(1, n * min(k, 64)))
    let failure = FirstRowFailure()
    parallelChunks(rows, grain: grain) { range in
        // The gradient method's n x k programme table, from malloc so that an n * k the machine
        // cannot hold is a status rather than a trap.
        let table: WorkBuffer<ScaledPair>
        do throws(PlumbError) {
            let width = gradOut == nil ? k : k + 1  // the VJP also tabulates e_k
            table = try WorkBuffer(count: method == .gradient && k < n ? n * width : 1,
                                   "the n x \(width) table of the gradient method (n = \(n))")
        } catch {
            for i in (range.lowerBound * n)..<(range.upperBound * n) { out[i] = .nan }
            failure.report(range.lowerBound, error)
            return
        }
        var ws = TopKWorkspace()
        ws.reserve(n)
        for r in range {
            let base = r * n
            var bad = -1
            for i in 0..<n {
                let v = Double(x[base + i])
                if !v.isFinite { bad = i; break }
                ws.x[i] = v
            }
            // The gradient method's VJP is linear in gradOut and runs on the row scaled exactly
            // to a unit binade (2^-scale), scaled back at the end: its forward-mode pairs share one
            // exponent between a value and its derivative, and a gradOut of 1e300 scaled the
            // values away. (Entries more than 2^1022 below the row's largest lose bits there.)
            // The threshold methods take gradOut as it is: their products are entry by entry.
            var scale = 0
            if let gradOut {
                if method == .gradient {
                    var largest = 0.0
                    for i in 0..<n { largest = max(largest, abs(Double(gradOut[base + i]))) }
                    scale = binade(largest)
                }
                for i in 0..<n { ws.g[i] = timesPowerOfTwo(Double(gradOut[base + i]), -scale) }
            }
            if bad >= 0 {
                for i in 0..<n { out[base + i] = .nan }
                failure.report(r, .domain(row: r, "x[\(r), \(bad)] is not finite (x = \(Double(x[base + bad])))"))
                continue
            }
            // The VJP's chain-rule factor 1 / tau: a division by tau's significand, its binary
            // exponent joining gradOut's scale (1 / tau overflows for a subnormal tau while the
            // product is finite).
            let vjpScale = gradOut == nil ? nil : (exponent: scale - Int(temperature.exponent),
                                                   significand: temperature.significand)
            softTopKRow(method, &ws, n: n, k: k, tau: temperature, vjp: vjpScale, table: table.base)
            for i in 0..<n { out[base + i] = T(ws.out[i]) }
        }
    }
    return failure.first
}
