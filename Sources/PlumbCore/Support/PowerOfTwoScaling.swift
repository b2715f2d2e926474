/// Exact rescaling by powers of two, which keeps sums of squares and eigen-decompositions inside
/// binary64's range for data of any finite magnitude.
///
/// `x * 2^k` is exact unless the result leaves the normal range, so a computation on
/// `x * 2^-binade(max |x_i|)` (largest magnitude in [1, 2)) rounds exactly as the same computation
/// on `x` wherever the latter neither overflows nor underflows, and a scale-free result (a ratio of
/// norms) does not depend on the scale of `x` at all. Entries more than 2^1022 below the largest one
/// may lose bits to the subnormals; they contribute less than 2^-2044 relative to a sum of squares.

/// The binade `e` of `m` (`2^e <= m < 2^(e+1)`) for finite `m > 0`; 0 for 0, inf and NaN (nothing
/// a power of two could bring into range). Inlinable, as the next, so that the AVX2 and AVX-512
/// kernels inline them in their own instructions rather than call the baseline build's.
@inlinable @inline(__always)
public func binade(_ m: Double) -> Int { m > 0 && m.isFinite ? m.exponent : 0 }

/// The binade of the largest magnitude among `values` (0 when all are 0; see `binade`).
@inline(__always)
public func largestBinade<C: Collection>(_ values: C) -> Int where C.Element == Double {
    binade(values.reduce(0) { max($0, abs($1)) })
}

/// `x * 2^k`, rounded once: exact unless the result is subnormal or beyond the finite range.
@inlinable @inline(__always)
public func timesPowerOfTwo(_ x: Double, _ k: Int) -> Double { Double(sign: .plus, exponent: k, significand: x) }
