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
/// then through the normalisation `dA_i = (d a_i - a_i (a_i . d a_i)) / ||A_i||`. Norms, overflowing
/// scores, the products `G b` and tiny temperatures are handled by exact power-of-two scaling, so
/// results are finite wherever their values are.
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
        // copy, and with gradients G, a row-gradient buffer and a scaled copy of an or bn (n dim).
        // n^2 grows far faster than the caller's inputs, so it must be able to fail with a status.
        let wantGrad = gradA != nil || gradB != nil
        let (nn, nd) = (n * n, n * dim)  // both validated against overflow by the ABI
        let work = try WorkBuffer<Double>(count: (wantGrad ? 3 : 2) * nd + (wantGrad ? 4 : 2) * nn,
                                          "the \(n) x \(n) score matrices of the embedding loss")
        let an = work.base, bn = an + nd, s = bn + nd, scores = s + nn, g = scores + nn, rowGrad = g + nn
        let mScaled = rowGrad + nn
        an.update(from: a.baseAddress!, count: nd)
        bn.update(from: b.baseAddress!, count: nd)
        // Row norms as 2^e r (e the binade of the row's largest entry): rows beyond DBL_MAX in norm,
        // and subnormal rows, normalise as accurately as unit-scale ones.
        var normA: [(e: Int, r: Double)] = [], normB = normA
        if normalize {
            normA = normalizeRows(an, n, dim)
            normB = normalizeRows(bn, n, dim)
        }
        // S = an bn^T; a dot product that overflows is redone from the rows scaled to unit binades,
        // so only a score beyond binary64 itself is an error (the kernel would mask a -inf).
        parallelChunks(n, grain: max(1, 4096 / max(1, nd / 64))) { rows in
            for i in rows {
                for j in 0..<n { s[i * n + j] = dot(an + i * dim, bn + j * dim, dim) }
            }
        }
        for i in 0..<n {
            for j in 0..<n where !s[i * n + j].isFinite {
                s[i * n + j] = scaledDot(an + i * dim, bn + j * dim, dim)
                if !s[i * n + j].isFinite {
                    throw .domain(row: i, "the score a[\(i)] . b[\(j)] overflows binary64")
                }
            }
        }
        // Below tau = 2^-960 the scores' gradients (~1 / tau) overflow: the row kernels then run on
        // S 2^k at tau 2^k, the same loss (they take score differences first) and gradients 2^-k
        // those of S, carried as an exponent to the end. At such temperatures the subnormal range
        // is no longer negligible beside tau: a score whose products may fall below the normal
        // range (rows' largest binades summing below -960) is formed from the rows scaled to unit
        // binades and scaled by 2^(e + k) in one rounding (from the plain dot product it kept only
        // the subnormal range's bits: 6% off in a loss at scores ~2^-1070 and tau 2^-1072).
        var k = 0
        if tau < 0x1p-960 {
            let binadesA = (0..<n).map { largestBinade(UnsafeBufferPointer(start: an + $0 * dim, count: dim)) }
            let binadesB = (0..<n).map { largestBinade(UnsafeBufferPointer(start: bn + $0 * dim, count: dim)) }
            // Such a score is held as s 2^e (e in `exponents`, 0 for the others) until k is known.
            var exponents = [Int](repeating: 0, count: nn)
            var largest = Int.min  // the largest score's binade
            for i in 0..<n {
                for j in 0..<n {
                    let x = i * n + j
                    if binadesA[i] + binadesB[j] < -960 {
                        let (sum, e) = unitScaledDot(an + i * dim, bn + j * dim, dim, binadesA[i], binadesB[j])
                        (s[x], exponents[x]) = (sum, e)
                        if sum != 0 { largest = max(largest, binade(abs(sum)) + e) }
                    } else if s[x] != 0 {
                        largest = max(largest, binade(abs(s[x])))
                    }
                }
            }
            k = max(0, min(-960 - Int(tau.exponent), largest == Int.min ? Int.max : 1022 - largest))
            for x in 0..<nn { s[x] = timesPowerOfTwo(s[x], exponents[x] + k) }
        }
        let positive = (0..<n).map(Int64.init)
        let directions = symmetric ? 2 : 1
        let weight = 1 / Double(n * directions)
        var rowLoss = [Double](repeating: 0, count: n)
        /// The mean row loss of S (scaled by 2^k, as tau) and, with gradients, G = dLoss/dS 2^-k.
        func lossAndScoreGradients() throws(PlumbError) -> Double {
            let kernelTau = timesPowerOfTwo(tau, k)
            if wantGrad { g.update(repeating: 0, count: nn) }
            var loss = 0.0
            var scaledLoss = CompensatedSum()  // the loss 2^-64, from weighted terms (`weightedRowLosses`)
            var beyond = 0.0  // the sum of the terms beyond binary64 (+-inf, or NaN for both signs)
            var lossesFinite = true
            for direction in 0..<directions {
                // direction 1 scores S^T: rows are B's anchors.
                if direction == 0 {
                    scores.update(from: s, count: nn)
                } else {
                    for i in 0..<n { for j in 0..<n { scores[i * n + j] = s[j * n + i] } }
                }
                let failure = rowLoss.withUnsafeMutableBufferPointer { lp in
                    ContrastiveKernels.lossF64(kind, scores: scores, rows: n, cols: n, positive: positive,
                                               temperature: kernelTau, loss: lp.baseAddress!, grad: wantGrad ? rowGrad : nil)
                }
                if let failure { throw failure }
                // The mean rounded once from the row losses' sum, unless a row loss or the sum lies
                // beyond binary64; then from the weighted terms, both directions in one sum.
                var sum = CompensatedSum()
                for v in rowLoss { sum.add(v) }
                let total = sum.value.hi + sum.value.lo
                lossesFinite = lossesFinite && total.isFinite
                loss += total * weight
                weightedRowLosses(rowLoss, weight, scores: scores, n: n, tau: kernelTau, into: &scaledLoss,
                                  beyond: &beyond)
                if wantGrad {
                    for i in 0..<n {
                        for j in 0..<n {
                            let x = rowGrad[i * n + j] * weight
                            if direction == 0 { g[i * n + j] += x } else { g[j * n + i] += x }
                        }
                    }
                }
            }
            if lossesFinite { return loss }
            if beyond.isNaN {
                // Finite inputs, so some terms exceeded 2^1088 with opposite signs (FlatNCE).
                throw .domain(row: nil, "row losses beyond 2^1088 with opposite signs at temperature \(tau): "
                              + "their mean cannot be formed in binary64")
            }
            let v = scaledLoss.value
            return beyond != 0 ? beyond : timesPowerOfTwo(v.hi + v.lo, 64)
        }
        let loss = try lossAndScoreGradients()
        // Score gradients all far below 1 (every weight below ~exp(-700), over tau) keep only the
        // subnormal range's bits, although 1 / ||A|| may bring the embedding gradients back to
        // normal numbers (1e300 times exp(-740) weights: 1.6e-5 off). Then the kernels run once
        // more on S 2^k and tau 2^k with k < 0 (tau 2^k >= 2^-960): the same loss (kept from the
        // first run, bit for bit), gradients 2^-k larger. Scores that underflow on the way err by
        // at most 2^-1075, below 2^-115 tau 2^k.
        if wantGrad && k == 0 {
            var largest = 0.0
            for x in 0..<nn { largest = max(largest, abs(g[x])) }
            if largest > 0 && largest < 0x1p-960 {
                k = max(binade(largest) + 2, -960 - Int(tau.exponent))
                if k < 0 {
                    for x in 0..<nn { s[x] = timesPowerOfTwo(s[x], k) }
                    _ = try lossAndScoreGradients()
                }
            }
        }
        // d an = G bn, then through the normalisation; likewise d bn = G^T an.
        for (out, m, unit, norms, transposeG) in [(gradA, bn, an, normA, false), (gradB, an, bn, normB, true)] {
            guard let out else { continue }
            var own = [Double](repeating: 0, count: normalize ? dim : 0)
            let (rowExponents, columnExponents) = scaledMatmul(g, m, n, dim, transposeG: transposeG, scratch: mScaled,
                                                               into: out.baseAddress!)
            for i in 0..<n {
                let row = out.baseAddress! + i * dim
                var shift = rowExponents[i] + k
                if normalize {
                    // The projection mixes the columns: bring them to the row's one scale first (unit
                    // rows have entries <= 1, so their column exponents are <= 0).
                    shift -= norms[i].e
                    for c in 0..<dim { own[c] = row[c] }
                    for c in 0..<dim { row[c] = timesPowerOfTwo(row[c], columnExponents[c]) }
                    let (p, top) = backNormalize(row, unit + i * dim, norms[i].r, dim)
                    for c in 0..<dim {
                        row[c] = c == top ? timesPowerOfTwo(row[c], shift)
                            : projected(own[c], columnExponents[c], unit[i * dim + c], p, norms[i].r, shift,
                                        atCommonScale: row[c])
                    }
                } else {
                    for c in 0..<dim { row[c] = timesPowerOfTwo(row[c], shift + columnExponents[c]) }
                }
                for c in 0..<dim where row[c].isNaN {
                    throw .domain(row: i, "the gradient overflows binary64 at temperature \(tau)")
                }
            }
        }
        return loss
    }

    /// Adds `weight L_i 2^-64` for the row losses `losses` of the n x n `scores` at `tau` to `sum`,
    /// a row loss beyond binary64 formed from its parts, `L_i = (m - s_ii) / tau +
    /// log(sum_{j != i} exp((s_ij - m) / tau))` with m the row's largest negative score (InfoNCE's
    /// `log(1 + xi)` loses its 1 below the rounding of such a loss); a term beyond binary64 even so
    /// (`weight L_i > 2^1088`) goes to `beyond` instead. Scaled back, `sum` is infinite only where
    /// the mean exceeds binary64.
    private static func weightedRowLosses(
        _ losses: [Double], _ weight: Double, scores: UnsafePointer<Double>, n: Int, tau: Double,
        into sum: inout CompensatedSum, beyond: inout Double
    ) {
        for i in 0..<n {
            if losses[i].isFinite {
                sum.add(timesPowerOfTwo(losses[i] * weight, -64))
                continue
            }
            let row = scores + i * n
            var top = -Double.infinity
            for j in 0..<n where j != i { top = max(top, row[j]) }
            var terms = 0.0  // >= 1: the largest negative's term
            for j in 0..<n where j != i { terms += exp((row[j] - top) / tau) }
            // (m - s_ii) w from halves: the scores may lie near DBL_MAX with opposite signs.
            let gap = (top / 2 - row[i] / 2) * (2 * weight)
            let term = timesPowerOfTwo(gap, -64) / tau + timesPowerOfTwo(weight * log(terms), -64)
            if term.isFinite { sum.add(term) } else { beyond += term }
        }
    }

    /// Divides each row by its L2 norm, returned as `(e, r)` with norm = `2^e r`: the row is first
    /// scaled exactly by `2^-e`, e the binade of its largest magnitude, so neither the squares nor
    /// the norm can overflow or underflow.
    private static func normalizeRows(_ m: UnsafeMutablePointer<Double>, _ n: Int, _ dim: Int) -> [(e: Int, r: Double)] {
        (0..<n).map { i in
            let row = m + i * dim
            let e = largestBinade(UnsafeBufferPointer(start: row, count: dim))
            var sq = 0.0
            for c in 0..<dim { row[c] = timesPowerOfTwo(row[c], -e); sq += row[c] * row[c] }
            let r = sq.squareRoot()
            for c in 0..<dim { row[c] /= r }
            return (e, r)
        }
    }

    /// `x . y` from both vectors scaled by powers of two to unit binades, scaled back once.
    private static func scaledDot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ dim: Int) -> Double {
        let ex = largestBinade(UnsafeBufferPointer(start: x, count: dim))
        let ey = largestBinade(UnsafeBufferPointer(start: y, count: dim))
        let (sum, e) = unitScaledDot(x, y, dim, ex, ey)
        return timesPowerOfTwo(sum, e)
    }

    /// `x . y = sum 2^e`: the dot product of `x 2^-ex` and `y 2^-ey` (ex, ey the vectors' largest
    /// binades, so no product overflows or, beside the largest, underflows) and `e = ex + ey`.
    private static func unitScaledDot(
        _ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ dim: Int, _ ex: Int, _ ey: Int
    ) -> (sum: Double, e: Int) {
        var sum = 0.0
        for c in 0..<dim { sum += timesPowerOfTwo(x[c], -ex) * timesPowerOfTwo(y[c], -ey) }
        return (sum, ex + ey)
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

    /// `out (n x dim) = G M` (or `G^T M`), G n x n, M n x dim, in scaled units: entry (i, c) of out
    /// holds `2^-(x_i + y_c)` times its value, with the row exponents `x` and column exponents `y`
    /// returned. Each row of G and each column of M (copied to `scratch`, n dim values) are scaled
    /// to unit binades first, so no sum overflows (nor cancels as inf - inf) and no column of M is
    /// flushed beside a larger one, however large the gradients or the unnormalised embeddings are.
    private static func scaledMatmul(_ g: UnsafePointer<Double>, _ unscaled: UnsafePointer<Double>, _ n: Int,
                                     _ dim: Int, transposeG: Bool, scratch m: UnsafeMutablePointer<Double>,
                                     into out: UnsafeMutablePointer<Double>) -> (rows: [Int], columns: [Int]) {
        var largest = [Double](repeating: 0, count: dim)
        for j in 0..<n { for c in 0..<dim { largest[c] = max(largest[c], abs(unscaled[j * dim + c])) } }
        let columns = largest.map(binade)
        for j in 0..<n { for c in 0..<dim { m[j * dim + c] = timesPowerOfTwo(unscaled[j * dim + c], -columns[c]) } }
        var exponents = [Int](repeating: 0, count: n)
        exponents.withUnsafeMutableBufferPointer { xb in
            let xp = xb.baseAddress!
            parallelChunks(n, grain: max(1, 4096 / max(1, n * dim / 64))) { rows in
                for i in rows {
                    func entry(_ j: Int) -> Double { transposeG ? g[j * n + i] : g[i * n + j] }
                    let eg = binade((0..<n).reduce(0.0) { max($0, abs(entry($1))) })
                    xp[i] = eg
                    let o = out + i * dim
                    o.update(repeating: 0, count: dim)
                    for j in 0..<n {
                        let c = timesPowerOfTwo(entry(j), -eg)
                        if c == 0 { continue }
                        let row = m + j * dim
                        for k in 0..<dim { o[k] += c * row[k] }
                    }
                }
            }
        }
        return (exponents, columns)
    }

    /// `d <- (d - u (u . d)) / r`: the gradient through `u = x / ||x||`, with the norm's scale
    /// factor applied by the caller. The entry of u's largest component, when that exceeds 1/2 in
    /// square, uses the equal `d_k sum_{j != k} u_j^2 - u_k sum_{j != k} u_j d_j` (||u|| = 1):
    /// `d_k - u_k (u . d)` loses it to cancellation for a nearly axis-aligned row (7% measured on a
    /// row [5e-324, 1e-310]). Returns `u . d` and the dominant entry's index (for `projected`).
    private static func backNormalize(_ d: UnsafeMutablePointer<Double>, _ unit: UnsafePointer<Double>, _ r: Double,
                                      _ dim: Int) -> (p: Double, top: Int) {
        var p = 0.0, top = 0
        for k in 0..<dim {
            p += unit[k] * d[k]
            if abs(unit[k]) > abs(unit[top]) { top = k }
        }
        var rest2 = 0.0, restDot = 0.0
        for j in 0..<dim where j != top { rest2 += unit[j] * unit[j]; restDot += unit[j] * d[j] }
        let dominant = unit[top] * unit[top] > 0.5 ? d[top] * rest2 - unit[top] * restDot : nil
        for k in 0..<dim { d[k] = (d[k] - unit[k] * p) / r }
        if let dominant { d[top] = dominant / r }
        return (p, top)
    }

    /// Entry c of a back-normalised gradient row, `((d_c - u_c p) / r) 2^shift`, from the value
    /// `backNormalize` formed at the row's common scale (`atCommonScale`), unless that scale held
    /// `d_c = own 2^y` only to subnormal precision (a unit-row component of 3 * 2^-1074 beside 1:
    /// 12% off once 1 / ||A|| = 2^1000 brought the entry back to normal numbers). Such an entry is
    /// formed at its own scale 2^y instead, with `u_c p` brought there from its factors' exponents,
    /// unless `u_c p` dominates it (then the common scale held it well).
    @inline(__always)
    private static func projected(
        _ own: Double, _ y: Int, _ u: Double, _ p: Double, _ r: Double, _ shift: Int, atCommonScale common: Double
    ) -> Double {
        let d = timesPowerOfTwo(own, y)
        guard abs(d) < 0x1p-969, own != 0 else { return timesPowerOfTwo(common, shift) }
        if u == 0 || p == 0 { return timesPowerOfTwo(own / r, y + shift) }
        let e = u.exponent + p.exponent - y
        if e > 1000 { return timesPowerOfTwo(common, shift) }
        let up = e < -1100 ? 0 : timesPowerOfTwo(u.significand * p.significand * (u.sign == p.sign ? 1 : -1), e)
        return timesPowerOfTwo((own - up) / r, y + shift)
    }
}
