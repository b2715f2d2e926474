#if canImport(Glibc)
import Glibc
#endif
import CNumerics
import PlumbCore

/// The correctly rounded Hessian of the least-squares loss `L(w) = ||X w - y||^2 / (2N)`:
/// `H = X^T X / N`, i.e. `H_jk = (sum_i X_ij X_ik) / N`.
///
/// Every binary64 value is a dyadic rational, so each sum is formed exactly in GMP rationals
/// (`mpq_t`) and divided by N exactly. The exact rational `q` is then rounded once: MPFR converts it
/// at p bits rounding down and up (`mpfr_set_q`), and Ziv's loop (`CorrectRounding`) raises p until
/// both ends round to the same binary64 value. A dyadic q is exact at finite p; a non-dyadic q is
/// never a rounding tie, so the loop terminates. `x` is `n x dim` row-major; `out` gets `dim x dim`
/// (symmetric). Throws `.domain` naming the first row of `x` with a NaN or infinite entry.
public func exactLeastSquaresHessian(
    _ x: UnsafePointer<Double>, n: Int, dim: Int, out: UnsafeMutablePointer<Double>,
    rounding: CorrectRounding = CorrectRounding()
) throws(PlumbError) {
    for r in 0..<n {
        for j in 0..<dim where !x[r * dim + j].isFinite {
            throw .domain(row: r, "x[\(r), \(j)] = \(x[r * dim + j]) is not finite")
        }
    }
    guard n >= 1 && dim >= 1 else { throw .argument("n = \(n) and dim = \(dim) must be >= 1") }
    guard let block = malloc(n * dim * MemoryLayout<__mpq_struct>.stride) else {
        throw .noMemory("cannot allocate \(n) x \(dim) rationals")
    }
    let values = block.bindMemory(to: __mpq_struct.self, capacity: n * dim)
    for k in 0..<(n * dim) {
        __gmpq_init(values + k)
        __gmpq_set_d(values + k, x[k])
    }
    let sum = UnsafeMutablePointer<__mpq_struct>.allocate(capacity: 1)
    let term = UnsafeMutablePointer<__mpq_struct>.allocate(capacity: 1)
    let count = UnsafeMutablePointer<__mpq_struct>.allocate(capacity: 1)
    __gmpq_init(sum)
    __gmpq_init(term)
    __gmpq_init(count)
    __gmpq_set_si(count, n, 1)
    defer {
        for k in 0..<(n * dim) { __gmpq_clear(values + k) }
        free(block)
        for p in [sum, term, count] {
            __gmpq_clear(p)
            p.deallocate()
        }
    }
    for j in 0..<dim {
        for k in j..<dim {
            __gmpq_set_si(sum, 0, 1)
            for r in 0..<n {
                __gmpq_mul(term, values + r * dim + j, values + r * dim + k)
                __gmpq_add(sum, sum, term)
            }
            __gmpq_div(sum, sum, count)
            let q = UnsafePointer(sum)
            let h = try rounding.value { (p: Int) throws(PlumbError) in
                let iv = Interval(0, precision: p)
                mpfr_set_q(iv.lo.raw, q, MPFR_RNDD)
                mpfr_set_q(iv.hi.raw, q, MPFR_RNDU)
                return iv
            }.value
            out[j * dim + k] = h
            out[k * dim + j] = h
        }
    }
}
