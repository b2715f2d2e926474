/// Small binary64 vector kernels shared by the eigensolvers and the Lanczos search (fixed orders:
/// the same bits on every run).

/// `sum_k a[k] b[k]` with two SIMD4 accumulators (a fixed order: the same bits on every run).
@inline(__always)
func simdDot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ n: Int) -> Double {
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    var acc0 = SIMD4<Double>(), acc1 = SIMD4<Double>()
    var k = 0
    while k + 8 <= n {
        acc0 += ra.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            * rb.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
        acc1 += ra.loadUnaligned(fromByteOffset: k * 8 + 32, as: SIMD4<Double>.self)
            * rb.loadUnaligned(fromByteOffset: k * 8 + 32, as: SIMD4<Double>.self)
        k += 8
    }
    var s = (acc0 + acc1).sum()
    while k < n {
        s += a[k] * b[k]
        k += 1
    }
    return s
}

/// `y[k] += alpha x[k]` (`y` and `x` must not overlap).
@inline(__always)
func simdAxpy(_ y: UnsafeMutablePointer<Double>, _ alpha: Double, _ x: UnsafePointer<Double>, _ n: Int) {
    let ry = UnsafeMutableRawPointer(y), rx = UnsafeRawPointer(x)
    let va = SIMD4<Double>(repeating: alpha)
    var k = 0
    while k + 4 <= n {
        let v = ry.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            + va * rx.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
        ry.storeBytes(of: v, toByteOffset: k * 8, as: SIMD4<Double>.self)
        k += 4
    }
    while k < n {
        y[k] += alpha * x[k]
        k += 1
    }
}

/// `y[k] -= f a[k] + g b[k]` (`y` must not overlap `a` or `b`).
@inline(__always)
func simdRankTwo(_ y: UnsafeMutablePointer<Double>, _ f: Double, _ a: UnsafePointer<Double>,
                 _ g: Double, _ b: UnsafePointer<Double>, _ n: Int) {
    let ry = UnsafeMutableRawPointer(y), ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    let vf = SIMD4<Double>(repeating: f), vg = SIMD4<Double>(repeating: g)
    var k = 0
    while k + 4 <= n {
        let t = vf * ra.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
            + vg * rb.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self)
        ry.storeBytes(of: ry.loadUnaligned(fromByteOffset: k * 8, as: SIMD4<Double>.self) - t,
                      toByteOffset: k * 8, as: SIMD4<Double>.self)
        k += 4
    }
    while k < n {
        y[k] -= (f * a[k] + g * b[k])
        k += 1
    }
}
