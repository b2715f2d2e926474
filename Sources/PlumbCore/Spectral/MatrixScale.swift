/// The power of two `s` by which the search and the verification scale W, so that the quantities
/// they square stay inside binary64's range.
///
/// A pass returns `W^T W x` (of the order of sigma^2), and the search squares that again (the Gram
/// matrix of a residual block, of the order of sigma^4), as does the verification (rho^2). For
/// sigma outside about 1e-75 ... 1e75 (only a binary64 W gets there; a float32 W's sigma^4 always
/// fits) those squares underflow or overflow: measured, a W scaled by 1e-150 returned sigma half
/// too small with a residual of 1e-164, and one scaled by 1e100 returned an infinite residual.
/// Working on `s W` with `s = 2^-e`, `2^e <= max |w_ij| < 2^(e+1)` (at most 2^1000), keeps every
/// such quantity near 1 and changes no rounding (scaling by a power of two is exact away from the
/// subnormals). A pass still forms `W^T (W s x)`, of the order of sigma times sqrt(rows cols): W
/// within a few orders of magnitude of binary64's overflow threshold stays out of reach, and for
/// W of subnormal scale (max |w_ij| below ~1e-300) that product underflows; only a scaled copy
/// of W would reach those, and a copy of a large W is not worth the memory for such inputs.
///
/// Returns 1 when the squared Frobenius norm (the sum of `rowNorms2`, `||w_i||^2`) is within
/// `2^-200 ... 2^200`, and for a zero or non-finite W (the zero matrix and the domain errors
/// take their usual paths); otherwise `s`, with `rowNorms2` recomputed as `||s w_i||^2`.
func searchScale<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, rowNorms2: inout [Double]
) -> Double {
    let f2 = rowNorms2.reduce(0, +)
    if f2 >= 0x1p-200 && f2 <= 0x1p200 { return 1 }
    var maxAbs = 0.0
    for i in 0..<(rows * cols) { maxAbs = max(maxAbs, abs(w[i].wide)) }
    guard maxAbs > 0 && maxAbs.isFinite else { return 1 }
    // Subnormal entries would ask for up to 2^1074, beyond binary64: 2^1000 already lifts them
    // above 2^-74.
    let s = Double(sign: .plus, exponent: min(1000, -maxAbs.exponent), significand: 1)
    rowNorms2.withUnsafeMutableBufferPointer { out in
        parallelChunks(rows, grain: max(1, 16384 / max(cols, 1))) { range in
            for r in range {
                var sum = 0.0
                for j in 0..<cols { let x = w[r * cols + j].wide * s; sum += x * x }
                out[r] = sum
            }
        }
    }
    return s
}
