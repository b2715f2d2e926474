/// Eigen-decomposition of a small dense symmetric matrix by the cyclic Jacobi method.
///
/// `a` is `n x n` row-major symmetric. Returns eigenvalues in descending order and the matching
/// eigenvectors as the columns of `vectors` (row-major `n x n`). Jacobi rotations are accurate to a
/// few ULPs of `||a||` for every eigenpair (Demmel & Veselic), which the exact reference's starting
/// vector needs; the cost `O(n^3)` per sweep is fine for `n <= 64` when solved once. Problems solved
/// often or large (the Lanczos Ritz step, the Hessian probe's full mode) use the Householder-QL
/// `SymmetricEigen` instead.
public func jacobiEigen(_ a: [Double], n: Int) -> (values: [Double], vectors: [Double]) {
    var m = a
    var v = [Double](repeating: 0, count: n * n)
    for i in 0..<n { v[i * n + i] = 1 }
    if n > 1 {
        for _ in 0..<60 {
            var off = 0.0, total = 0.0
            for i in 0..<n {
                for j in 0..<n {
                    let x = m[i * n + j] * m[i * n + j]
                    total += x
                    if i != j { off += x }
                }
            }
            if off <= total * 1e-34 || off == 0 { break }
            for p in 0..<(n - 1) {
                for q in (p + 1)..<n {
                    let apq = m[p * n + q]
                    if apq == 0 { continue }
                    let app = m[p * n + p], aqq = m[q * n + q]
                    let theta = (aqq - app) / (2 * apq)
                    let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                    let c = 1 / (t * t + 1).squareRoot(), s = t * c
                    for k in 0..<n {
                        let akp = m[k * n + p], akq = m[k * n + q]
                        m[k * n + p] = c * akp - s * akq
                        m[k * n + q] = s * akp + c * akq
                    }
                    for k in 0..<n {
                        let apk = m[p * n + k], aqk = m[q * n + k]
                        m[p * n + k] = c * apk - s * aqk
                        m[q * n + k] = s * apk + c * aqk
                    }
                    for k in 0..<n {
                        let vkp = v[k * n + p], vkq = v[k * n + q]
                        v[k * n + p] = c * vkp - s * vkq
                        v[k * n + q] = s * vkp + c * vkq
                    }
                }
            }
        }
    }
    let order = (0..<n).sorted { m[$0 * n + $0] > m[$1 * n + $1] }
    var values = [Double](repeating: 0, count: n)
    var vectors = [Double](repeating: 0, count: n * n)
    for (newIndex, old) in order.enumerated() {
        values[newIndex] = m[old * n + old]
        for k in 0..<n { vectors[k * n + newIndex] = v[k * n + old] }
    }
    return (values, vectors)
}
