import CNumerics

/// An owned GMP integer (`mpz_t` behind an allocated pointer, like `MPFRNumber`).
final class BigInteger {
    let raw: UnsafeMutablePointer<__mpz_struct>

    init() {
        raw = .allocate(capacity: 1)
        __gmpz_init(raw)
    }

    convenience init(_ other: BigInteger) {
        self.init()
        __gmpz_set(raw, other.raw)
    }

    deinit {
        __gmpz_clear(raw)
        raw.deallocate()
    }

    /// -1, 0 or 1.
    var sign: Int { Int(__gmpz_cmp_si(raw, 0).signum()) }

    /// Bits of |self|.
    var bitCount: Int { Int(__gmpz_sizeinbase(raw, 2)) }
}

/// A finite nonzero binary64 value as `m * 2^e` with an integer `m` (|m| < 2^53).
func dyadic(_ d: Double) -> (m: Int64, e: Int) {
    let mInt = Int64(d.significand * 0x1p52)
    return (d.sign == .minus ? -mInt : mInt, Int(d.exponent) - 52)
}

/// `lambda I - G` style check: is the symmetric integer matrix `b` (n x n, row-major, consumed)
/// positive definite? Sylvester's criterion: all leading principal minors are > 0, which
/// fraction-free (Bareiss) elimination produces as its pivots with exact integer arithmetic.
func isPositiveDefinite(_ b: [BigInteger], n: Int) -> Bool {
    let prev = BigInteger()
    __gmpz_set_si(prev.raw, 1)
    let t = BigInteger()
    for k in 0..<n {
        if b[k * n + k].sign <= 0 { return false }
        if k < n - 1 { bareissStep(b, n: n, k: k, prev: prev, scratch: t) }
    }
    return true
}

/// Whether the symmetric integer matrix `b` (n x n, row-major, consumed) is positive semidefinite
/// and singular: the test that `mu` is exactly the largest eigenvalue of G, for `b = mu I - G`.
///
/// Fraction-free (Bareiss) elimination with symmetric pivoting: each step takes a remaining row
/// whose diagonal entry is > 0 (the entries stay positive multiples of the Schur complement's, so
/// the signs are exact). When none is left, b is PSD exactly when the remaining block is zero (a
/// negative diagonal entry, or a nonzero entry beside zero diagonals, contradicts it), and then its
/// rank is the number of steps taken. Leading minors alone (as in `isPositiveDefinite`) cannot decide it
/// when the null vector lies in a leading block or the eigenvalue is repeated: an earlier minor is
/// already 0.
func isSingularPositiveSemidefinite(_ b: [BigInteger], n: Int) -> Bool {
    var b = b
    let prev = BigInteger()
    __gmpz_set_si(prev.raw, 1)
    let t = BigInteger()
    for k in 0..<n {
        guard let p = (k..<n).first(where: { b[$0 * n + $0].sign > 0 }) else {
            for i in k..<n {
                for j in k..<n where b[i * n + j].sign != 0 { return false }
            }
            return true
        }
        if p != k {  // swap rows and columns p and k
            for j in 0..<n { b.swapAt(p * n + j, k * n + j) }
            for i in 0..<n { b.swapAt(i * n + p, i * n + k) }
        }
        bareissStep(b, n: n, k: k, prev: prev, scratch: t)
    }
    return false  // n positive pivots: positive definite, not singular
}

/// One step of fraction-free (Bareiss) elimination on the symmetric `b` with pivot `b[k][k]`:
/// `b[i][j] = (b[i][j] b[k][k] - b[i][k] b[k][j]) / prev` for i, j > k (an exact division), then
/// `prev = b[k][k]`.
private func bareissStep(_ b: [BigInteger], n: Int, k: Int, prev: BigInteger, scratch t: BigInteger) {
    let pivot = b[k * n + k]
    for i in (k + 1)..<n {
        for j in i..<n {
            __gmpz_mul(b[i * n + j].raw, b[i * n + j].raw, pivot.raw)
            __gmpz_mul(t.raw, b[i * n + k].raw, b[k * n + j].raw)
            __gmpz_sub(b[i * n + j].raw, b[i * n + j].raw, t.raw)
            __gmpz_divexact(b[i * n + j].raw, b[i * n + j].raw, prev.raw)
            if j != i { __gmpz_set(b[j * n + i].raw, b[i * n + j].raw) }
        }
    }
    __gmpz_set(prev.raw, pivot.raw)
}
