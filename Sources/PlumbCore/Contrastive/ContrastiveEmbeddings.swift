#if canImport(Glibc)
import Glibc
#endif

/// Embedding-level contrastive loss (SimCLR / NT-Xent style) over a batch of pairs.
///
/// Inputs `A`, `B`: `n x dim` row-major (row i of A and row i of B are a positive pair). With
/// `a_i = A_i / ||A_i||`, `b_i = B_i / ||B_i||` when `normalize` (else the rows as given), the
/// scores are `S = a b^T` (n x n) and row i's positive is column i. The loss is the mean over rows
/// of the row loss (InfoNCE or FlatNCE at temperature tau) of S, and with `symmetric` the average of
/// that and the same for `S^T` (B's rows as anchors). Gradients by the chain rule:
/// `G = dLoss/dS` (row-kernel gradients / n, halves when symmetric), `d a = G b`, `d b = G^T a`,
/// then through the normalisation `dA_i = (d a_i - a_i (a_i . d a_i)) / ||A_i||`.
/// Everything is computed in float64 (the row losses by `ContrastiveRowF64`); the float32 entry
/// point widens its inputs and rounds the results once.
public enum ContrastiveEmbeddings {
    public static func compute(
        _ kind: ContrastiveLoss, a: UnsafeBufferPointer<Double>, b: UnsafeBufferPointer<Double>, n: Int, dim: Int,
        normalize: Bool, symmetric: Bool, temperature tau: Double,
        gradA: UnsafeMutableBufferPointer<Double>?, gradB: UnsafeMutableBufferPointer<Double>?
    ) throws(PlumbError) -> Double {
        // Domain: finite entries; non-zero rows when normalising (a nonzero entry, not a nonzero sum
        // of squares, which underflows for rows near 1e-160 that `normalizeRows` scales fine).
        for (name, m) in [("a", a), ("b", b)] {
            for i in 0..<n {
                var nonzero = false
                for k in 0..<dim {
                    let v = m[i * dim + k]
                    if !v.isFinite { throw .domain(row: i, "\(name)[\(i)][\(k)] = \(v) is not finite") }
                    nonzero = nonzero || v != 0
                }
                if normalize && !nonzero { throw .domain(row: i, "this row of \(name) has zero norm; cannot normalise") }
            }
        }
        // One block for the normalised copies (2 n dim) and the n x n matrices: S, its transpose or
        // copy, and with gradients G and a row-gradient buffer. n^2 grows far faster than the caller's
        // inputs, so it must be able to fail with a status.
        let wantGrad = gradA != nil || gradB != nil
        let (nn, nd) = (n * n, n * dim)  // both validated against overflow by the ABI
        let work = try WorkBuffer<Double>(count: 2 * nd + (wantGrad ? 4 : 2) * nn,
                                          "the \(n) x \(n) score matrices of the embedding loss")
        let an = work.base, bn = an + nd, s = bn + nd, scores = s + nn, g = scores + nn, rowGrad = g + nn
        an.update(from: a.baseAddress!, count: nd)
        bn.update(from: b.baseAddress!, count: nd)
        var normA = [Double](repeating: 1, count: n), normB = normA
        if normalize {
            normalizeRows(an, &normA, n, dim)
            normalizeRows(bn, &normB, n, dim)
        }
        // S = an bn^T
        parallelChunks(n, grain: max(1, 4096 / max(1, nd / 64))) { rows in
            for i in rows {
                for j in 0..<n { s[i * n + j] = dot(an + i * dim, bn + j * dim, dim) }
            }
        }
        let positive = (0..<n).map(Int64.init)
        if wantGrad { g.update(repeating: 0, count: nn) }
        var loss = 0.0
        let directions = symmetric ? 2 : 1
        let weight = 1 / Double(n * directions)
        var rowLoss = [Double](repeating: 0, count: n)
        for direction in 0..<directions {
            // direction 1 scores S^T: rows are B's anchors.
            if direction == 0 {
                scores.update(from: s, count: nn)
            } else {
                for i in 0..<n { for j in 0..<n { scores[i * n + j] = s[j * n + i] } }
            }
            let failure = rowLoss.withUnsafeMutableBufferPointer { lp in
                ContrastiveKernels.lossF64(kind, scores: scores, rows: n, cols: n, positive: positive,
                                           temperature: tau, loss: lp.baseAddress!, grad: wantGrad ? rowGrad : nil)
            }
            if let failure { throw failure }
            var sum = CompensatedSum()
            for v in rowLoss { sum.add(v) }
            let v = sum.value
            loss += (v.hi + v.lo) * weight
            if loss.isNaN {
                // Finite inputs, so some row losses overflowed with opposite signs (FlatNCE).
                throw .domain(row: 0, "row losses overflow binary64 with opposite signs at temperature \(tau): "
                              + "their mean is not representable")
            }
            if wantGrad {
                for i in 0..<n {
                    for j in 0..<n {
                        let x = rowGrad[i * n + j] * weight
                        if direction == 0 { g[i * n + j] += x } else { g[j * n + i] += x }
                    }
                }
            }
        }
        if let gradA {
            // d an = G bn; then through the normalisation.
            matmul(g, bn, n, dim, transposeG: false, into: gradA)
            if normalize { backNormalize(gradA, an, normA, n, dim) }
        }
        if let gradB {
            matmul(g, an, n, dim, transposeG: true, into: gradB)
            if normalize { backNormalize(gradB, bn, normB, n, dim) }
        }
        return loss
    }

    private static func normalizeRows(_ m: UnsafeMutablePointer<Double>, _ norms: inout [Double], _ n: Int, _ dim: Int) {
        for i in 0..<n {
            // Scale first so the squares cannot overflow or underflow.
            var big = 0.0
            for k in 0..<dim { big = max(big, abs(m[i * dim + k])) }
            var sq = 0.0
            for k in 0..<dim { let v = m[i * dim + k] / big; sq += v * v }
            let norm = big * sq.squareRoot()
            norms[i] = norm
            for k in 0..<dim { m[i * dim + k] /= norm }
        }
    }

    @inline(__always)
    private static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ dim: Int) -> Double {
        var acc = SIMD4<Double>()
        var k = 0
        while k + 4 <= dim {
            acc += UnsafeRawPointer(x + k).loadUnaligned(as: SIMD4<Double>.self)
                * UnsafeRawPointer(y + k).loadUnaligned(as: SIMD4<Double>.self)
            k += 4
        }
        var tail = 0.0
        while k < dim { tail += x[k] * y[k]; k += 1 }
        return acc.sum() + tail
    }

    /// out (n x dim) = G M (or G^T M), G n x n, M n x dim.
    private static func matmul(_ g: UnsafePointer<Double>, _ m: UnsafePointer<Double>, _ n: Int, _ dim: Int,
                               transposeG: Bool, into out: UnsafeMutableBufferPointer<Double>) {
        parallelChunks(n, grain: max(1, 4096 / max(1, n * dim / 64))) { rows in
            for i in rows {
                let o = out.baseAddress! + i * dim
                o.update(repeating: 0, count: dim)
                for j in 0..<n {
                    let c = transposeG ? g[j * n + i] : g[i * n + j]
                    if c == 0 { continue }
                    let row = m + j * dim
                    for k in 0..<dim { o[k] += c * row[k] }
                }
            }
        }
    }

    private static func backNormalize(_ d: UnsafeMutableBufferPointer<Double>, _ unit: UnsafePointer<Double>, _ norms: [Double],
                                      _ n: Int, _ dim: Int) {
        for i in 0..<n {
            var p = 0.0
            for k in 0..<dim { p += unit[i * dim + k] * d[i * dim + k] }
            for k in 0..<dim { d[i * dim + k] = (d[i * dim + k] - unit[i * dim + k] * p) / norms[i] }
        }
    }
}
