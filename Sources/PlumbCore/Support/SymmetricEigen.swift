#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Eigen-decomposition `A = V diag(d) V^T` of a real symmetric `n x n` matrix.
///
/// Householder reduction to tridiagonal form followed by the implicit QL algorithm with Wilkinson-
/// style shifts (EISPACK `tred2` / `tql2`, as in JAMA's `EigenvalueDecomposition`). Backward stable:
/// the computed pairs are exact for `A + E` with `||E|| = O(n u ||A||)`. O(n^3) time, n^2 extra doubles.
public struct SymmetricEigen {
    /// Eigenvalues (not sorted).
    public let values: [Double]
    /// Eigenvectors as rows: `vectors[k * n ..< (k + 1) * n]` is the unit eigenvector of `values[k]`.
    public let vectors: [Double]
    public let n: Int

    /// Decomposes the symmetric matrix `a` (row-major, only read; the lower triangle is used).
    /// - Throws: `.domain` for a non-finite entry, `.notConverged` if QL exceeds 60 sweeps per value.
    public init(_ a: UnsafePointer<Double>, n: Int) throws(PlumbError) {
        self.n = n
        for i in 0..<(n * n) where !a[i].isFinite {
            throw .domain(row: i / n, "matrix entry (\(i / n), \(i % n)) = \(a[i]) is not finite")
        }
        var v = [Double](unsafeUninitializedCapacity: n * n) { b, c in
            for i in 0..<n { for j in 0..<n { b[i * n + j] = i >= j ? a[i * n + j] : a[j * n + i] } }
            c = n * n
        }
        var d = [Double](repeating: 0, count: n), e = [Double](repeating: 0, count: n)
        v.withUnsafeMutableBufferPointer { vb in
            d.withUnsafeMutableBufferPointer { db in
                e.withUnsafeMutableBufferPointer { eb in
                    SymmetricEigen.tred2(vb.baseAddress!, db.baseAddress!, eb.baseAddress!, n)
                }
            }
        }
        var w = v  // V^T: tql2 rotates columns of V, contiguous rows here
        let ok = w.withUnsafeMutableBufferPointer { wb in
            d.withUnsafeMutableBufferPointer { db in
                e.withUnsafeMutableBufferPointer { eb in
                    SymmetricEigen.tql2(wb.baseAddress!, db.baseAddress!, eb.baseAddress!, n)
                }
            }
        }
        guard ok else { throw .notConverged("symmetric eigensolver: QL iteration did not converge") }
        values = d
        vectors = w
    }

    /// Householder tridiagonalization of the symmetric matrix in `v`; on return `v` holds the
    /// transpose of the orthogonal transform V, `d` the diagonal and `e[1..<n]` the subdiagonal.
    static func tred2(_ v: UnsafeMutablePointer<Double>, _ d: UnsafeMutablePointer<Double>,
                      _ e: UnsafeMutablePointer<Double>, _ n: Int) {
        // V is stored transposed (V[i][j] at v[j*n + i]): the loops walk columns of V, which are then
        // contiguous, and on return v holds V^T, the layout tql2 wants.
        @inline(__always) func V(_ i: Int, _ j: Int) -> UnsafeMutablePointer<Double> { v + j * n + i }
        for j in 0..<n { d[j] = V(n - 1, j).pointee }
        var i = n - 1
        while i > 0 {
            var scale = 0.0, h = 0.0
            for k in 0..<i { scale += abs(d[k]) }
            if scale == 0 {
                e[i] = d[i - 1]
                for j in 0..<i {
                    d[j] = V(i - 1, j).pointee
                    V(i, j).pointee = 0
                    V(j, i).pointee = 0
                }
            } else {
                for k in 0..<i {
                    d[k] /= scale
                    h += d[k] * d[k]
                }
                var f = d[i - 1]
                var g = h.squareRoot()
                if f > 0 { g = -g }
                e[i] = scale * g
                h -= f * g
                d[i - 1] = f - g
                for j in 0..<i { e[j] = 0 }
                for j in 0..<i {
                    f = d[j]
                    V(j, i).pointee = f
                    g = e[j] + V(j, j).pointee * f
                    let len = i - (j + 1)
                    if len > 0 {
                        let col = V(j + 1, j)  // V(k, j) for k = j+1 ..< i, contiguous
                        g += simdDot(col, d + j + 1, len)
                        simdAxpy(e + j + 1, f, col, len)
                    }
                    e[j] = g
                }
                f = 0
                for j in 0..<i {
                    e[j] /= h
                    f += e[j] * d[j]
                }
                let hh = f / (h + h)
                for j in 0..<i { e[j] -= hh * d[j] }
                for j in 0..<i {
                    f = d[j]
                    g = e[j]
                    simdRankTwo(V(j, j), f, e + j, g, d + j, i - j)
                    d[j] = V(i - 1, j).pointee
                    V(i, j).pointee = 0
                }
            }
            d[i] = h
            i -= 1
        }
        // Accumulate the transformations.
        if n > 1 {
            for i in 0..<(n - 1) {
                V(n - 1, i).pointee = V(i, i).pointee
                V(i, i).pointee = 1
                let h = d[i + 1]
                if h != 0 {
                    for k in 0...i { d[k] = V(k, i + 1).pointee / h }
                    let next = V(0, i + 1)
                    for j in 0...i {
                        let g = simdDot(next, V(0, j), i + 1)
                        simdAxpy(V(0, j), -g, d, i + 1)
                    }
                }
                for k in 0...i { V(k, i + 1).pointee = 0 }
            }
        }
        for j in 0..<n {
            d[j] = V(n - 1, j).pointee
            V(n - 1, j).pointee = 0
        }
        V(n - 1, n - 1).pointee = 1
        e[0] = 0
    }

    /// Implicit QL on the tridiagonal (d, e). `w` holds V transposed (row k = column k of V) and
    /// receives the eigenvectors as rows. Returns false if an eigenvalue needs > 60 iterations.
    static func tql2(_ w: UnsafeMutablePointer<Double>, _ d: UnsafeMutablePointer<Double>,
                     _ e: UnsafeMutablePointer<Double>, _ n: Int) -> Bool {
        for i in 1..<max(n, 1) { e[i - 1] = e[i] }
        e[n - 1] = 0
        var f = 0.0, tst1 = 0.0
        let eps = Double.ulpOfOne
        let cs = UnsafeMutablePointer<Double>.allocate(capacity: 2 * max(n, 1))
        defer { cs.deallocate() }
        for l in 0..<n {
            tst1 = max(tst1, abs(d[l]) + abs(e[l]))
            var m = l
            while m < n {
                if abs(e[m]) <= eps * tst1 { break }
                m += 1
            }
            if m == n { m = n - 1 }  // e[n-1] == 0 always stops the search; defensive
            if m > l {
                var iter = 0
                repeat {
                    iter += 1
                    if iter > 60 { return false }
                    var g = d[l]
                    var p = (d[l + 1] - g) / (2 * e[l])
                    var r = rotationNorm(p, 1)
                    if p < 0 { r = -r }
                    d[l] = e[l] / (p + r)
                    d[l + 1] = e[l] * (p + r)
                    let dl1 = d[l + 1]
                    var h = g - d[l]
                    var i2 = l + 2
                    while i2 < n { d[i2] -= h; i2 += 1 }
                    f += h
                    p = d[m]
                    var c = 1.0, c2 = 1.0, c3 = 1.0
                    let el1 = e[l + 1]
                    var s = 0.0, s2 = 0.0
                    var i = m - 1
                    var rotations = 0
                    while i >= l {
                        c3 = c2
                        c2 = c
                        s2 = s
                        g = c * e[i]
                        h = c * p
                        r = rotationNorm(p, e[i])
                        e[i + 1] = s * r
                        s = e[i] / r
                        c = p / r
                        p = c * d[i] - s * g
                        d[i + 1] = h + s * (c * g + s * d[i])
                        cs[2 * rotations] = c
                        cs[2 * rotations + 1] = s
                        rotations += 1
                        i -= 1
                    }
                    // Apply this sweep's rotations (rows m-1 down to l) to the eigenvector rows.
                    // Each column k is transformed independently, so splitting k over threads
                    // gives the same bits for any thread count.
                    let top = m - 1, count = rotations
                    parallelChunks(n, grain: max(64, (1 << 16) / max(1, count))) { ks in
                        var k0 = ks.lowerBound
                        while k0 < ks.upperBound {
                            let k1 = min(ks.upperBound, k0 + 256)
                            for r in 0..<count {
                                let row = top - r
                                rotate(w + row * n + k0, w + (row + 1) * n + k0, k1 - k0, c: cs[2 * r], s: cs[2 * r + 1])
                            }
                            k0 = k1
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1
                    e[l] = s * p
                    d[l] = c * p
                } while abs(e[l]) > eps * tst1
            }
            d[l] += f
            e[l] = 0
        }
        return true
    }

    /// `(a, b) <- (c a - s b, s a + c b)` elementwise over `count` values. The two rows never
    /// overlap, which the compiler cannot see (its scalar loop took two thirds of tql2's time
    /// on 32 x 32 problems); four lanes at a time, the same operations per element.
    @inline(__always)
    static func rotate(_ a: UnsafeMutablePointer<Double>, _ b: UnsafeMutablePointer<Double>, _ count: Int,
                       c: Double, s: Double) {
        let ra = UnsafeMutableRawPointer(a), rb = UnsafeMutableRawPointer(b)
        let cv = SIMD4<Double>(repeating: c), sv = SIMD4<Double>(repeating: s)
        var k = 0
        while k + 4 <= count {
            let ak = ra.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            let hk = rb.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            rb.storeBytes(of: sv * ak + cv * hk, toByteOffset: k * 8, as: SIMD4<Double>.self)
            ra.storeBytes(of: cv * ak - sv * hk, toByteOffset: k * 8, as: SIMD4<Double>.self)
            k += 4
        }
        while k < count {
            let hk = b[k]
            b[k] = s * a[k] + c * hk
            a[k] = c * a[k] - s * hk
            k += 1
        }
    }
}

/// `sqrt(a^2 + b^2)` for QL's rotations: the plain formula where its squares neither overflow nor
/// lose their meaning to underflow (relative error <= 2 ulps against hypot's 1, which the backward
/// stability of the rotations does not notice), `hypot` elsewhere. hypot took a third of the QL
/// sweeps' time; the spectral searches on small matrices spend most of theirs in Ritz problems
/// (64 x 64 float32 cold: 15% less time per call).
@inline(__always)
func rotationNorm(_ a: Double, _ b: Double) -> Double {
    let s = a * a + b * b
    return s > 0x1p-900 && s < 0x1p1000 ? s.squareRoot() : hypot(a, b)
}

/// A copy of the symmetric `n x n` matrix `a` (finite entries) times `2^-2k`, with `k` chosen so
/// that the largest magnitude lies in [1, 4): the eigensolver then never overflows or underflows
/// (on `a` itself it would: a matrix of 1e308s has eigenvalues beyond binary64), and an even power
/// keeps the square root's rescaling exact (`sqrt(2^2k x) = 2^k sqrt(x)`). Returns the copy and `k`.
func evenlyScaled(_ a: UnsafePointer<Double>, _ n: Int) -> (copy: [Double], half: Int) {
    var m = 0.0
    for i in 0..<(n * n) { m = max(m, abs(a[i])) }
    let e = binade(m)
    let half = e >= 0 ? e / 2 : (e - 1) / 2  // floor(e / 2)
    let copy = [Double](unsafeUninitializedCapacity: n * n) { b, c in
        for i in 0..<(n * n) { b[i] = timesPowerOfTwo(a[i], -2 * half) }
        c = n * n
    }
    return (copy, half)
}

/// The diagonal of the principal square root of the symmetric positive semidefinite matrix
/// `scale * a`: `sqrtm(S)_ii = sum_k V_ik^2 sqrt(lambda_k)` with `S = V diag(lambda) V^T`.
/// Eigenvalues below zero (rounding of a semidefinite matrix) are clamped to 0. `a` may have
/// entries of any finite magnitude (the decomposition runs on the exactly rescaled
/// `evenlyScaled(a)`); `scale` must be a positive finite number of moderate size (a bias
/// correction). Bits are those of the unscaled computation wherever that one stays in range.
public func symmetricSqrtDiagonal(_ a: UnsafePointer<Double>, _ n: Int, scale: Double) throws(PlumbError) -> [Double] {
    let (scaled, half) = evenlyScaled(a, n)
    let eig = try scaled.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
        try SymmetricEigen(b.baseAddress!, n: n)
    }
    var out = [Double](repeating: 0, count: n)
    for k in 0..<n {
        let root = (max(0, eig.values[k]) * scale).squareRoot()
        if root == 0 { continue }
        for i in 0..<n {
            let x = eig.vectors[k * n + i]
            out[i] += x * x * root
        }
    }
    return out.map { timesPowerOfTwo($0, half) }
}

/// The principal square root of `scale * a` (symmetric PSD, eigenvalues clamped at 0), or with
/// `absolute` the matrix absolute value `|A| = sqrtm(A^2) = V diag(|lambda|) V^T` of `scale * a`,
/// returned as `values * 2^exponent`: the result itself may lie beyond binary64's range (the
/// absolute value of a matrix of 1e308s has entries up to n * 1e308). `a` has finite entries of
/// any magnitude (decomposed as `evenlyScaled(a)`); `scale` is a positive finite number of
/// moderate size. `values` has entries of order sqrt(scale) (root) or scale (absolute) at most
/// times n.
public func symmetricMatrixFunction(_ a: UnsafePointer<Double>, _ n: Int, scale: Double, absolute: Bool) throws(PlumbError) -> (values: [Double], exponent: Int) {
    let (scaled, half) = evenlyScaled(a, n)
    let eig = try scaled.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
        try SymmetricEigen(b.baseAddress!, n: n)
    }
    let f = eig.values.map { absolute ? abs($0 * scale) : max(0, $0 * scale).squareRoot() }
    var out = [Double](repeating: 0, count: n * n)
    eig.vectors.withUnsafeBufferPointer { vb in
        out.withUnsafeMutableBufferPointer { ob in
            let vec = vb.baseAddress!, o = ob.baseAddress!
            // Row i of V diag(f) V^T: sum_k f_k V_ik (row k of the stored V^T). Rows in parallel.
            parallelChunks(n, grain: max(1, (1 << 16) / max(1, n * n / 64))) { rows in
                for i in rows {
                    let oi = o + i * n
                    for k in 0..<n where f[k] != 0 {
                        let fi = f[k] * vec[k * n + i], vk = vec + k * n
                        for j in 0..<n { oi[j] += fi * vk[j] }
                    }
                }
            }
        }
    }
    return (out, absolute ? 2 * half : half)
}
