#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
/// The top singular triplet of a dense row-major matrix: a block Lanczos search on `A = W^T W`
/// (`blockLanczos`, MATH.md section 3), then one VERIFICATION pass on the returned (format-rounded)
/// vector, so the reported residual describes exactly the vectors the caller gets.
///
/// Certificate (for unit `v`, `u = W v / ||W v||`, `sigma = ||W v||`, `rho = ||W^T W v - sigma^2 v||`):
/// - `residual = rho / sigma` (+ a rounding allowance) bounds the distance from `sigma` to the
///   nearest singular value of W. Since `sigma <= sigma_1`, this is `|sigma - sigma_1|` whenever the
///   Krylov space has a component along `v_1` (always, except for a start vector exactly orthogonal
///   to `v_1`, which no finite method can detect).
/// - `gap_ratio = sqrt(lambda2_hi) / sigma` with `lambda2_hi = theta_2 + 2 res_2` (second Ritz value
///   plus twice its residual, from the block search) estimates `sigma_2 / sigma_1`; it is an
///   estimate, not a proven bound.
/// - `angle_bound = asin(rho / (sigma^2 - lambda2_hi))` (Davis-Kahan sin-theta for `v`; the angle of `u`
///   is never larger, because `tan angle(u, u_1) <= (sigma_2/sigma_1) tan angle(v, v_1)`), reported
///   only when the gap clearly exceeds the residual (`sigma^2 - lambda2_hi > 2 rho`), else +inf.
public struct SpectralResult: Sendable {
    public var sigma: Double = 0
    public var residual: Double = 0
    public var angleBound: Double = .infinity
    public var gapRatio: Double = .nan
    public var iterations: Int = 0
    public var converged: Bool = false
    public init() {}
}

/// Outcome of `topTriplet` before it is written into the caller's format.
struct TripletWork {
    var result = SpectralResult()
    /// The returned right vector (already rounded to the element format), cols values.
    var v: [Double]
    /// `(s W) v` for that `v`, rows values, with `s = scale` the solver's exact power-of-two
    /// rescaling (1 but for binary64 W of extreme scale; see `searchScale`): `W v = wv / s`.
    var wv: [Double]
    var scale = 1.0
    /// sigma of `s W`. Unit vectors come from `wv / (scaledSigma ||v||)`, in the rescaled units,
    /// because `1 / sigma` overflows when sigma is subnormal.
    var scaledSigma = 0.0
    /// `||v||` (1 up to the format's rounding).
    var vNorm: Double
    /// The search's second Ritz vector (unit, binary64; nil when no search ran or its basis held
    /// one vector): the partner start of the next warm call.
    var partner: [Double]? = nil
}

/// A deterministic default start: SplitMix64 values in [-1, 1), never structurally orthogonal to
/// `v_1` the way the all-ones vector can be. `stream` 1 gives an independent second vector (the
/// block search's second start).
func defaultStart(_ n: Int, stream: UInt64 = 0) -> [Double] {
    var state: UInt64 = stream == 0 ? 0x9E37_79B9_7F4A_7C15 : 0xD1B5_4A32_D192_ED03 &* stream
    return (0..<n).map { _ in
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1p-52 - 1
    }
}

/// `x` times the power of two that brings its largest magnitude into [1, 2) (unchanged when all
/// zero): the caller's warm-start vectors are normalised from there, since a binary64 vector of
/// norm beyond ~1e154 or below ~1e-162 squares to inf or 0 and would be taken for no start at all.
private func atUnitScale(_ x: [Double]) -> [Double] {
    let e = -largestBinade(x)
    return e == 0 ? x : x.map { timesPowerOfTwo($0, e) }
}

/// Error allowance of the float32-arithmetic pass (`gramPassPairSingleBody`) relative to
/// `||W^T W||`: 2^-20 ~ 9.5e-7, ten times its typical error. Ritz values of that search can be off
/// by this much, so the gap estimate is widened by it; and float32 matrices use that pass only when
/// `tol` is at least this allowance (the default 1e-6 is).
let singlePassError = 0x1p-20

/// `x / ||x||` (x unchanged when its norm is 0 or not finite).
private func unitVector(_ x: [Double]) -> [Double] {
    let n = x.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, x.count) }.squareRoot()
    guard n > 0 && n.isFinite else { return x }
    let scale = 1 / n
    return x.map { $0 * scale }
}

/// The binary64 values of `topTriplet`'s retained scratch block (`Int.max` when that overflows):
/// the passes' partial sums, then the search's basis and restart copy (of `rows`-vectors for a
/// search on `W W^T`, which may fall back on one on `W^T W`).
func retainedScratchCount(rows: Int, cols: Int) -> Int {
    let perColumn = 2 * passBlocks(rows: rows) + 2 * lanczosBasisSize(rows: rows, cols: cols)
    let (count, overflow) = cols.multipliedReportingOverflow(by: perColumn)
    guard !overflow else { return .max }
    guard searchesLeft(rows: rows, cols: cols, singlePasses: false) || copiesTransposed(rows: rows, cols: cols) else {
        return count
    }
    return max(count, 2 * passBlocks(rows: rows) * cols + 2 * leftBasisSize(rows: rows, cols: cols) * rows)
}

/// Whether `topTriplet` searches on the left Gram matrix `W W^T` (`rows`-vectors) instead of
/// `W^T W`: for W of at least 2 and at most a quarter as many rows as columns, and at most 48 rows
/// where the `W^T W` search would use float32-arithmetic passes (`singlePasses`), 128 where binary64.
/// A pass there reads W twice instead of once, in binary64, but the search's own work per pass
/// (reorthogonalisation against up to 32 basis vectors, the next block) scales with the vectors'
/// length, and for wide W on `W^T W` it outweighs the pass. Measured cold on the AMD host, one
/// process, builds alternating, float32 / float64: 2 x 1000 164 / 199 us -> 34 / 36 us;
/// 16 x 16384 5.9 / 5.6 ms -> 2.2 / 1.4 ms; 32 x 1024 0.76 / 1.36 ms -> 0.73 / 0.73 ms;
/// 64 x 4096 float64 7.9 -> 4.4 ms; 128 x 8192 float64 32 -> 18 ms; but 64 x 4096 float32
/// 4.2-5.7 ms against 5.6, 256 x 4096 float64 20-22 ms against 19.
func searchesLeft(rows: Int, cols: Int, singlePasses: Bool) -> Bool {
    rows >= 2 && rows <= cols / 4 && rows <= (singlePasses ? 48 : 128)
}

/// Whether a float32 W is searched on `W W^T` with its passes over a transposed copy `W^T` (one
/// fused pass as for a tall W, `gramPassPair`, in float32 arithmetic where it applies): W of at
/// least 32 rows, at least 2048 and at least four times as many columns, and at most 2^22 entries
/// (the copy takes at most 16 MB). Such a search costs what one on the caller's own transposed copy
/// would, plus the copy (~0.7 ns an entry) and the products in and out. Measured on an AVX-512 Xeon,
/// float32, one process, builds alternating, cold / warm from v and v2, against the search on W
/// itself (`W W^T` with the two-read binary64 pass up to 48 rows, `W^T W` above): 48 x 4096
/// 4.6 / 2.9 -> 3.9 / 2.0 ms, 64 x 8192 18.8 / 11.3 -> 7.2 / 5.0 ms, 96 x 4096 10.1 / 5.8 ->
/// 5.1 / 3.7 ms, 128 x 2048 6.8 / 2.9 -> 3.7 / 2.3 ms, 256 x 16384 66 / 40 -> 48 / 30 ms; 32 rows
/// within 5% either way; but 200 x 1000 4.7 / 2.4 -> 4.9 / 3.0 ms and 128 x 1024 3.1 / 1.7 ->
/// 2.9 / 1.8 ms (hence 2048 columns), 16 x 16384 4.2 -> 4.9 ms and 8 x 500 0.13 -> 0.21 ms (hence
/// 32 rows).
func copiesTransposed(rows: Int, cols: Int) -> Bool {
    let (entries, overflow) = rows.multipliedReportingOverflow(by: cols)
    return rows >= 32 && cols >= 2048 && rows <= cols / 4 && !overflow && entries <= 1 << 22
}

/// Bytes of the transposed copy and its passes' partial sums (`copiesTransposed` W only), and the
/// offset of those sums (the copy's bytes rounded up to a binary64 boundary).
func transposedCopyBytes(rows: Int, cols: Int) -> (total: Int, sums: Int) {
    let sums = 8 * ((rows * cols + 1) / 2)
    return (sums + 16 * passBlocks(rows: cols) * rows, sums)
}

/// The wide search's passes over `w = W^T` (`cols x rows`, float32): `single` for float32
/// arithmetic; `scratch` holds `2 * passBlocks(rows: cols) * rows` doubles.
struct TransposedPasses {
    let w: UnsafePointer<Float>
    let single: Bool
    let scratch: UnsafeMutablePointer<Double>
}

/// The binary64 values a spectral call holds at once in Swift arrays (`Int.max` when that
/// overflows): at most 20 vectors of `cols` values (start vectors, the search's block and Ritz
/// vectors, the verification's) and 4 of `rows` (row norms, `W v`). The retained block is not
/// counted: `RetainedBuffer` reports its own failure.
func spectralArrayCount(rows: Int, cols: Int) -> Int {
    let (c, o1) = cols.multipliedReportingOverflow(by: 20)
    let (r, o2) = rows.multipliedReportingOverflow(by: 4)
    let (total, o3) = c.addingReportingOverflow(r)
    return o1 || o2 || o3 ? .max : total
}

/// Finds the top singular triplet. `start` holds the caller's v (format values as Double) and
/// `partner`, if any, the previous call's second Ritz vector (see `blockLanczos`); `maxPasses >= 1`,
/// `tol >= 0` relative residual `rho / sigma^2`.
///
/// For a float32 W with `tol >= singlePassError` (and row norms in the range that pass needs) the
/// search passes use float32 arithmetic; the verification pass is binary64 whatever the search
/// used, and when it does not confirm `tol` the search continues with binary64 passes from the
/// verified vector (within `maxPasses`).
func topTriplet<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, start: [Double], partner: [Double]? = nil, maxPasses: Int,
    tol: Double, as _: T.Type
) throws(PlumbError) -> TripletWork {
    // The passes' block partials, then the search's basis (kept between calls: `RetainedBuffer`).
    let scratchCount = 2 * passBlocks(rows: rows) * cols
    let memory = try RetainedBuffer(count: retainedScratchCount(rows: rows, cols: cols),
                                    "the spectral search's basis and partial sums")
    let scratch = memory.base
    var x0 = atUnitScale(start)
    var n0 = x0.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, cols) }.squareRoot()
    if !(n0 > 0) || !n0.isFinite {
        x0 = defaultStart(cols)
        n0 = x0.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, cols) }.squareRoot()
    }
    x0 = x0.map { $0 / n0 }
    var rowNorms2 = [Double](repeating: 0, count: rows)
    rowNorms2.withUnsafeMutableBufferPointer { rowNormsSquared(w, rows: rows, cols: cols, into: $0.baseAddress!) }
    // The search and the verification work on `scale * W` (see `searchScale`; 1 but for binary64
    // matrices of extreme scale); `rowNorms2` then describes that matrix.
    let scale = T.self == Double.self ? searchScale(w, rows: rows, cols: cols, rowNorms2: &rowNorms2) : 1
    let scaledX = UnsafeMutablePointer<Double>.allocate(capacity: scale == 1 ? 0 : 2 * cols)
    defer { scaledX.deallocate() }
    var single = T.self == Float.self && tol >= singlePassError
        && rowNorms2.withUnsafeBufferPointer { singlePrecisionPassApplies(rowNorms2: $0.baseAddress!, rows: rows) }
    var passes = 0
    var partner = partner  // returned unchanged when no search replaces it
    // A wide float32 W of up to 2^22 entries: the search's passes run over a transposed copy
    // (`copiesTransposed`), in float32 arithmetic where its column norms suit that pass.
    let copy = T.self == Float.self && scale == 1 && copiesTransposed(rows: rows, cols: cols)
        ? malloc(transposedCopyBytes(rows: rows, cols: cols).total) : nil
    defer { free(copy) }
    var transposed: TransposedPasses? = nil
    if let copy {
        let wt = copy.bindMemory(to: Float.self, capacity: rows * cols)
        transpose(UnsafeRawPointer(w).assumingMemoryBound(to: Float.self), rows: rows, cols: cols, into: wt)
        var columnNorms2 = [Double](repeating: 0, count: cols)
        columnNorms2.withUnsafeMutableBufferPointer { rowNormsSquared(wt, rows: cols, cols: rows, into: $0.baseAddress!) }
        let fits = columnNorms2.withUnsafeBufferPointer { singlePrecisionPassApplies(rowNorms2: $0.baseAddress!, rows: cols) }
        transposed = TransposedPasses(w: UnsafePointer(wt), single: single && fits,
                                      scratch: (copy + transposedCopyBytes(rows: rows, cols: cols).sums)
                                          .bindMemory(to: Double.self, capacity: 2 * passBlocks(rows: cols) * rows))
    }
    var left = scale == 1 && (transposed != nil || searchesLeft(rows: rows, cols: cols, singlePasses: single))
    while true {
        // Pair passes; a lone vector (cols = 1, or a block reduced by deflation) takes a binary64
        // single pass. With a scale, `(s W)^T (s W) x = s (W^T W (s x))`.
        let op: BlockOperator = { [single] x, y, count in
            var xs = x
            if scale != 1 {
                for k in 0..<(count * cols) { scaledX[k] = x[k] * scale }
                xs = UnsafePointer(scaledX)
            }
            if count == 2 {
                gramPassPair(w, rows: rows, cols: cols, x: xs, y: y, single: single, scratch: scratch)
            } else {
                gramPass(w, rows: rows, cols: cols, x: xs, y: y, wx: nil, scratch: scratch)
            }
            if scale != 1 { for k in 0..<(count * cols) { y[k] *= scale } }
        }
        var gapInfo: (theta1: Double, lambda2Hi: Double)? = nil
        // The search runs while at least one pass stays for the verification (and on W W^T one
        // more, for the products that take its vectors there and back).
        if left && maxPasses - passes >= 3 {
            let run = leftSearch(w, rows: rows, cols: cols, start: x0, partner: partner, maxPasses: maxPasses - passes - 2,
                                 tol: tol, transposed: transposed, basis: scratch + scratchCount)
            passes += run.passes
            x0 = run.x
            partner = run.partner ?? partner
            gapInfo = run.gapInfo
        } else if maxPasses - passes >= 2 && cols > 0 {
            let run = blockLanczos(op, cols: cols, start: x0, partner: partner.map(atUnitScale),
                                   maxPasses: maxPasses - passes - 1, tol: tol,
                                   // Ritz values of the float32-arithmetic operator are within its error.
                                   gapMargin: single ? singlePassError : 0,
                                   maxBasis: lanczosBasisSize(rows: rows, cols: cols), basis: scratch + scratchCount)
            passes += run.passes
            x0 = run.x
            // Normalised: the Ritz vector Q s is a unit vector only to the rounding of Q and s
            // (measured up to 8.5 binary64 ulps off).
            partner = run.partner.map(unitVector) ?? partner
            gapInfo = run.gapInfo
        }
        let work = verify(w, rows: rows, cols: cols, x: x0, rowNorms2: rowNorms2, scale: scale, gapInfo: gapInfo,
                          tol: tol, scratch: scratch)
        passes += 1
        if work.result.converged || !(single || left) || maxPasses - passes < 3 {
            var done = work
            done.result.iterations = passes
            done.partner = partner
            withExtendedLifetime(memory) {}  // the block stays this call's (out of the cache) until here
            return done
        }
        // The float32-arithmetic search stalled short of tol, or the one on W W^T (whose residual
        // carries over to v only up to a factor sigma_1 / sigma): go on with binary64 passes on
        // W^T W from the verified v.
        single = false
        left = false
        x0 = work.v.map { $0 / work.vNorm }
    }
}

/// The search on the left Gram matrix `W W^T` (see `searchesLeft`): `blockLanczos` over
/// `rows`-vectors from `u = W start` and `W partner` (one pass of products), its top two Ritz
/// vectors taken back by `W^T` (one more) and normalised: the top one is the right singular
/// vector estimate. `start` is a unit `cols`-vector; `maxPasses >= 1` passes of the search
/// besides the products; the passes returned count the products as one more. A pass computes
/// `W (W^T x)` for two vectors: two reads of W, which a wide W of the sizes that need this
/// search mostly keeps in cache; or, given `transposed` (`copiesTransposed`), one fused pass over
/// the copy `W^T`.
///
/// The search stops on no fewer than 20 vectors (all of R^rows for rows <= 20, where the space then
/// closes and the Ritz pairs are exact) instead of 12: in a sweep of near ties (relative gaps 1e-9
/// to 1e-6, W of 10 to 40 rows, 8000 cold calls, float32 and float64) 12 vectors let the angle
/// bound understate in 9 calls (7 of them W of 13 to 18 rows, stopped on a basis just short of
/// R^rows), 20 in 2 (the search on W^T W before: 5), for 0.4% more passes over a wider test set
/// (up to 3 more on small W); warm training loops of wide float32 W made 10-17% more passes.
private let leftStoppingBasis = 20

/// The wide search's basis size: `lanczosBasisSize` of `W^T` (all of R^rows up to 32 rows, 16
/// vectors for fewer than 2^18 entries), but at least 24 vectors, so that the 20-vector stopping
/// basis applies (an audit: W of 33 to 128 rows with a 1% gap, cut short by max_iters at 10 to 13
/// passes or stopped at tol 1e-3 on a 16-vector basis, claimed gaps from a second Ritz value that
/// had not resolved sigma_2: angle bounds 1.5-3.3x below the true angle).
func leftBasisSize(rows: Int, cols: Int) -> Int {
    max(lanczosBasisSize(rows: cols, cols: rows), min(rows, 24))
}

private func leftSearch<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, start: [Double], partner: [Double]?, maxPasses: Int, tol: Double,
    transposed: TransposedPasses?, basis: UnsafeMutablePointer<Double>
) -> (x: [Double], partner: [Double]?, gapInfo: (theta1: Double, lambda2Hi: Double)?, passes: Int) {
    var colPair = start + (partner.map(atUnitScale) ?? [Double](repeating: 0, count: cols))
    var rowPair = [Double](repeating: 0, count: 2 * rows)
    colPair.withUnsafeBufferPointer { x in
        rowPair.withUnsafeMutableBufferPointer { rowProductsPair(w, rows: rows, cols: cols, x: x.baseAddress!, y: $0.baseAddress!) }
    }
    var u0 = unitVector(Array(rowPair[0..<rows]))
    if !(u0.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, rows) } > 0) {
        // v lies in W's null space: a default start, as for no v.
        u0 = unitVector(defaultStart(rows))
    }
    let u2 = partner == nil ? nil : atUnitScale(Array(rowPair[rows...]))
    let op: BlockOperator = { x, y, count in
        if let t = transposed {
            if count == 2 {
                gramPassPair(t.w, rows: cols, cols: rows, x: x, y: y, single: t.single, scratch: t.scratch)
            } else {
                gramPass(t.w, rows: cols, cols: rows, x: x, y: y, wx: nil, scratch: t.scratch)
            }
            return
        }
        colPair.withUnsafeMutableBufferPointer { z in
            rowPair.withUnsafeMutableBufferPointer { xx in
                // A lone vector goes through the pair pass with a zero partner: each vector's
                // arithmetic is its own, so its bits are those of a pair.
                var xs = x
                if count == 1 {
                    xx.baseAddress!.update(from: x, count: rows)
                    (xx.baseAddress! + rows).update(repeating: 0, count: rows)
                    xs = UnsafePointer(xx.baseAddress!)
                }
                columnProductsPair(w, rows: rows, cols: cols, x: xs, y: z.baseAddress!)
                if count == 2 {
                    rowProductsPair(w, rows: rows, cols: cols, x: z.baseAddress!, y: y)
                } else {
                    rowProductsPair(w, rows: rows, cols: cols, x: z.baseAddress!, y: xx.baseAddress!)
                    y.update(from: xx.baseAddress!, count: rows)
                }
            }
        }
    }
    let run = blockLanczos(op, cols: rows, start: u0, partner: u2, maxPasses: maxPasses, tol: tol,
                           gapMargin: transposed?.single == true ? singlePassError : 0,
                           maxBasis: leftBasisSize(rows: rows, cols: cols), stoppingBasis: leftStoppingBasis, basis: basis)
    rowPair = run.x + (run.partner ?? [Double](repeating: 0, count: rows))
    rowPair.withUnsafeBufferPointer { x in
        colPair.withUnsafeMutableBufferPointer {
            columnProductsPair(w, rows: rows, cols: cols, x: x.baseAddress!, y: $0.baseAddress!)
        }
    }
    let x = unitVector(Array(colPair[0..<cols]))
    // The second Ritz vector of W W^T may lie in W^T's null space (a rank-1 W): no partner then.
    let v2 = run.partner == nil ? nil : unitVector(Array(colPair[cols...]))
    let hasPartner = v2?.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, cols) > 0 } ?? false
    return (x, hasPartner ? v2 : nil, run.gapInfo, run.passes + 1)
}

/// The verification pass on the vector the caller will receive (the unit x rounded to T) and the
/// certificate built from it (see `SpectralResult`); `rowNorms2` holds `||scale w_i||^2`. The
/// certificate is computed for `scale * W`, as are `gapInfo`, and reported for W.
private func verify<T: SpectralElement>(
    _ w: UnsafePointer<T>, rows: Int, cols: Int, x: [Double], rowNorms2: [Double], scale: Double,
    gapInfo: (theta1: Double, lambda2Hi: Double)?, tol: Double, scratch: UnsafeMutablePointer<Double>
) -> TripletWork {
    var v = x.map { Double(T(narrowing: $0)) }
    var vNorm2 = v.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, cols) }
    if !(vNorm2 > 0) {
        // No usable x (a search that met non-finite values): the unit default start.
        let d = defaultStart(cols)
        let s = 1 / d.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, cols) }.squareRoot()
        v = d.map { Double(T(narrowing: $0 * s)) }
        vNorm2 = v.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, cols) }
    }
    var wv = [Double](repeating: 0, count: rows)   // (scale W) v
    var y = [Double](repeating: 0, count: cols)    // (scale W)^T (scale W) v
    let vs = scale == 1 ? v : v.map { $0 * scale }
    vs.withUnsafeBufferPointer { vb in
        y.withUnsafeMutableBufferPointer { yb in
            wv.withUnsafeMutableBufferPointer { wb in
                gramPass(w, rows: rows, cols: cols, x: vb.baseAddress!, y: yb.baseAddress!, wx: wb.baseAddress!,
                         scratch: scratch)
            }
        }
    }
    if scale != 1 { for k in 0..<cols { y[k] *= scale } }
    var work = certify(wv: wv, y: y, v: v, vNorm2: vNorm2, rows: rows, cols: cols, rowNorms2: rowNorms2,
                       gapInfo: gapInfo, tol: tol, as: T.self)
    work.scale = scale
    work.scaledSigma = work.result.sigma
    if scale != 1 {
        work.result.sigma /= scale
        work.result.residual /= scale
    }
    return work
}

/// The certificate of `v` from `wv = W v` and `y = W^T W v` (see `SpectralResult`).
private func certify<T: SpectralElement>(
    wv: [Double], y: [Double], v: [Double], vNorm2: Double, rows: Int, cols: Int, rowNorms2: [Double],
    gapInfo: (theta1: Double, lambda2Hi: Double)?, tol: Double, as _: T.Type
) -> TripletWork {
    // ||W||_F >= sigma_1, rounded up generously (relative error of the sum <= rows+cols units).
    let frobenius = rowNorms2.reduce(0, +).squareRoot() * (1 + Double(rows + cols + 4) * 0x1p-52)
    let vNorm = vNorm2.squareRoot()
    let wv2 = wv.withUnsafeBufferPointer { simdDot($0.baseAddress!, $0.baseAddress!, rows) }
    let theta = wv2 / vNorm2
    var rho2 = 0.0
    for k in 0..<cols { let d = y[k] - theta * v[k]; rho2 += d * d }
    let rho = rho2.squareRoot() / vNorm
    let sigma = theta.squareRoot()
    var result = SpectralResult()
    result.sigma = sigma
    if sigma == 0 {
        result.residual = 0
        result.gapRatio = 1
        result.angleBound = .infinity
        result.converged = true
        return TripletWork(result: result, v: v, wv: wv, vNorm: vNorm)
    }
    // Rounding allowance of the binary64 evaluation of rho (Higham-style n*u*|A||v| bound).
    let roundoff = Double(cols + rows + 8) * 0x1p-52 * sigma
    result.residual = rho / sigma + roundoff
    result.converged = rho <= tol * theta
    // The search resolves the spectrum near theta only to about its residual or tolerance: a gap
    // estimate of that order may miss an eigenvalue inside it (stress runs of near ties over dense
    // clusters at tol 1e-6: 18 of 200 understated angles with a margin of 2 rho, none with 32), so
    // a gap counts only beyond 32 times the larger of the two.
    let rhoAll = rho + roundoff * sigma
    let separated = gapInfo.map { theta - max(0, $0.lambda2Hi) > 32 * max(rhoAll, tol * theta) } ?? false
    if !separated {
        // rho / sigma bounds the distance to the NEAREST singular value; unless the gap estimate
        // shows that one is sigma_1 (as the angle bound below also requires), fall back on the
        // proven sigma <= sigma_1 <= ||W||_F. With sigma_2 within rho of sigma_1 the iteration may
        // have settled on sigma_2 even when tol was met, so this holds for converged runs too.
        result.residual = max(result.residual, frobenius - sigma)
    }
    if cols == 1 {
        // v = +-1 is exact: only rounding of u remains; there is no sigma_2.
        result.gapRatio = 0
        result.angleBound = result.residual / sigma + Double(T.ulpOfOne)
    } else if let g = gapInfo {
        let lambda2 = max(0, g.lambda2Hi)
        result.gapRatio = min(1, (lambda2 / theta).squareRoot())
        let gap = theta - lambda2
        if separated {
            // + the rounding of u to the element format (|delta u| <= unit roundoff).
            result.angleBound = asinBound(rhoAll / gap) + Double(T.ulpOfOne)
        }
    }
    return TripletWork(result: result, v: v, wv: wv, vNorm: vNorm)
}

@inline(__always) private func asinBound(_ s: Double) -> Double {
    // asin(s) <= s * pi / 2 for s in [0, 1]; use the simple exact-enough upper bound.
    s >= 1 ? .infinity : min(s * 1.5707963267948966, s / (1 - s * s).squareRoot())
}
