#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `y = A x` for `count` (1 or 2) consecutive unit `cols`-vectors at x, `A = W^T W` (or `W W^T`,
/// `cols` then W's rows): one pass.
typealias BlockOperator = (_ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ count: Int) -> Void

/// The basis size below which the search does not stop: a smaller Krylov space may not yet tell the
/// top pair from the rest (prototype over near-tied pairs on clustered spectra: 4 and 8 vectors let
/// gap estimates understate, 12 did not).
let minimumStoppingBasis = 12

/// Passes the search goes on after the top pair has met `tol` while the gap below it is not yet
/// visible. Measured on 30 Gaussian float32 and float64 matrices (128 x 512 to 500 x 500), warm
/// started from their converged v without a partner: all stopped at 6 passes with no gap before;
/// with 6, 12 and 24 more passes, 23, 9 and 0 of 30 showed none (at most 23 more were used).
/// A true tie never shows a gap and pays all 24.
private let gapSearchPasses = 24

/// The passes a search whose top pair met tol within its first two passes (a warm start from an
/// already converged v) makes at least. Such a v may be the singular vector of a value that another
/// has since overtaken in a direction v and the partner do not cover (a block of a block-diagonal
/// W growing past it); only the pseudo-random part of the start reaches the new v_1, and at the
/// minimum basis it has not yet lifted a Ritz value above v's, so the search certified the old value.
/// Measured, one-step jumps of a 1 x 1 or 20 x 20 block to 1e-4..1e-1 above an 80 x 60 block, 20 seeds
/// each, float32 and float64: 6, 12 and 16 passes missed the new top in 233, 8 and 2 of 800 calls;
/// 16 passes made a converged warm start (17 passes) no cheaper than a cold one for small W.
private let convergedStartPasses = 12

/// Thick-restart block Lanczos, blocks of two vectors, for the top eigenpair of the symmetric
/// positive semidefinite `A` behind `op`, from the unit vector `start` and a second start: an
/// independent pseudo-random vector (`defaultStart(cols, stream: 1)`), plus with equal weight
/// `partner` (the previous call's second Ritz vector, for a warm start) when given and not within
/// 1e-8 of start's direction (both taken orthogonal to start); at most `maxPasses` passes.
///
/// Why two vectors: a single-vector Krylov space meets an eigenspace in one dimension only, so it
/// cannot see a repeated, or in practice a nearly repeated, top eigenvalue; its second Ritz value
/// then describes lambda_3 and the gap estimate (hence the angle certificate) is wrong. Measured on
/// near-tied top pairs over clustered spectra: the single-vector search with a six-pass deflated
/// probe understated the angle in 452 of 1200 runs, the pair search in 4 of 1600 at the default
/// tol. A pass applies A to both vectors with one read of W (`gramPassPair`), so it costs well under
/// two passes.
///
/// Basis `Q` orthonormal (classical Gram-Schmidt against the whole basis, twice: `reorthogonalise`),
/// projection `H = Q^T A Q` dense. With `R` the reorthogonalised image of the newest block,
/// `A Q = Q H + R E^T` gives the Ritz residual `||A Q s - theta Q s|| = ||R s_last||` (`s_last`: s on the newest block)
/// from the block's Gram matrix, without a pass. R's orthonormalised columns form the next block; a
/// column that vanishes (an invariant subspace, a rank-deficient W) is dropped. A space that closes
/// before the basis has held 12 vectors, or that holds no pseudo-random direction (a caller's pair
/// inside an invariant subspace without v_1), goes on from a pseudo-random vector orthogonal to it.
/// After `maxBasis` vectors the search restarts from the 6 best Ritz vectors and the next block (Wu &
/// Simon's thick restart).
///
/// The projected eigenproblem is solved in the first two passes, and from the stopping basis on
/// wherever the stopping test may pass, the search restarts or ends (`nextRitzSolve`).
///
/// Stops when the top Ritz residual is at most `tol / 2` relative to theta_1 (the verification pass
/// has the other half), the basis has held at least `min(cols, maxBasis, stoppingBasis)` vectors
/// (`stoppingBasis` 12 unless the caller asks for more; and the search made
/// `convergedStartPasses` passes, if its top pair met tol at once) and the gap estimate
/// passes `certify`'s test (or `gapSearchPasses` passes after the residual was first met), or when
/// the space is invariant after that. (The gap estimate can still miss a nearly tied partner of theta_1;
/// `certify` counts a gap only beyond 32 times the residual or tol. Stress runs: see plumb.h.)
///
/// Why the partner: after a small change of A the error of the old top vector lies along the next
/// eigenvectors, which the old second Ritz vector approximates (measured 2048 x 2048 Gaussian W,
/// 0.35% gap, W changed by 1e-3: 34 passes from v and a random vector, 27 from v and the mix; the
/// partner alone took 23). Why still the random part: v and the partner may span (numerically) an
/// invariant subspace without v_1, as when W is block diagonal and the top singular value moves to
/// the other block; their Krylov space then never sees v_1, and both Ritz pairs converge at once,
/// so the search stops with an honest-looking certificate for sigma_2 (measured: block-diagonal
/// float32 and float64 W over 50-step training loops in which the blocks' top values cross,
/// 16 loops: the partner alone understated in 45 of 800 steps, the mix in 1, and in 0 with
/// `convergedStartPasses`; v with a random vector in 0).
///
/// `maxBasis`: the most vectors the basis holds (`lanczosBasisSize`); `stoppingBasis`: the basis
/// size below which the search does not stop; `basis`: room for `2 * maxBasis * cols` values (the
/// basis and the restart's new basis), uninitialised on entry.
///
/// Returns the top Ritz vector, the second Ritz vector (nil while the basis has fewer than two
/// vectors), the gap estimate `(theta_1, theta_2 + 2 res_2 + gapMargin theta_1)` (`gapMargin`: the
/// operator's relative error, by which its Ritz values can be off), nil when `maxPasses` stopped the
/// search before the basis reached `min(cols, 12)` vectors (the interval around
/// theta_2 may hold lambda_3 while lambda_2 sits just above it, hence twice the residual; and no gap,
/// `(theta_1, theta_1)`, while `res_2` exceeds a quarter of `theta_1 - theta_2`), and the passes
/// used.
func blockLanczos(
    _ op: BlockOperator, cols: Int, start: [Double], partner: [Double]?, maxPasses: Int, tol: Double,
    gapMargin: Double, maxBasis: Int, stoppingBasis minimum: Int = minimumStoppingBasis,
    basis: UnsafeMutablePointer<Double>
) -> (x: [Double], partner: [Double]?, gapInfo: (theta1: Double, lambda2Hi: Double)?, passes: Int) {
    let keep = min(6, max(0, maxBasis - 2))
    var q = basis  // the basis, one vector after another
    var spare = basis + maxBasis * cols  // the restart's new basis
    var h = [Double](repeating: 0, count: maxBasis * maxBasis)
    var y = [Double](repeating: 0, count: 2 * cols)
    var coeff = [Double](repeating: 0, count: 2 * maxBasis)
    q.update(from: start, count: cols)
    var m = 0           // basis vectors whose A-image is in H
    var b = 1           // vectors of the block q[m..<m+b] to apply next
    var randomStreams: UInt64 = 1  // pseudo-random directions taken so far (stream 0 is the default start)
    var hasRandomDirection = false
    if maxBasis >= 2 {
        let second = q + cols
        second.update(from: defaultStart(cols, stream: 1), count: cols)
        hasRandomDirection = orthonormalise(second, against: q, count: 1, cols: cols, floor: 1e-8)
        if !hasRandomDirection { second.update(repeating: 0, count: cols) }
        var usable = hasRandomDirection
        if let partner, partner.count == cols {
            var p = partner
            let usablePartner = p.withUnsafeMutableBufferPointer {
                orthonormalise($0.baseAddress!, against: q, count: 1, cols: cols, floor: 1e-8)
            }
            if usablePartner {
                for k in 0..<cols { second[k] += p[k] }
                usable = orthonormalise(second, against: q, count: 1, cols: cols, floor: 1e-8)
            }
        }
        hasRandomDirection = hasRandomDirection && usable
        if usable { b = 2 }
    }
    var best = start
    var bestPartner: [Double]? = nil
    var gapInfo: (theta1: Double, lambda2Hi: Double)? = nil
    var passes = 0
    let stoppingBasis = min(cols, maxBasis, minimum)
    var reachedStoppingBasis = false
    var convergedAt: Int? = nil
    var firstMet: Int? = nil  // the first pass whose top pair met tol
    var theta1 = 0.0          // the latest top Ritz value
    var nextSolve = 1         // the next pass whose projected eigenproblem is solved
    var lastSolve: (pass: Int, residual: Double)? = nil
    while passes < maxPasses {
        let finite = y.withUnsafeMutableBufferPointer { yb -> Bool in
            let yp = yb.baseAddress!
            op(q + m * cols, yp, b)
            for k in 0..<(b * cols) where !yp[k].isFinite { return false }
            // Full reorthogonalisation; the coefficients are columns m..<m+b of H.
            coeff.withUnsafeMutableBufferPointer { cb in
                let cp = cb.baseAddress!
                reorthogonalise(yp, count: b, against: q, basis: m + b, cols: cols, coefficients: cp)
                for c in 0..<b {
                    for i in 0..<(m + b) {
                        h[i * maxBasis + m + c] = cp[c * (m + b) + i]
                        h[(m + c) * maxBasis + i] = cp[c * (m + b) + i]
                    }
                }
            }
            return true
        }
        passes += 1
        if !finite { break }
        m += b
        if m >= stoppingBasis { reachedStoppingBasis = true }
        var gram = [Double](repeating: 0, count: b * b)
        y.withUnsafeBufferPointer { yb in
            for c in 0..<b { for d in 0..<b { gram[c * b + d] = simdDot(yb.baseAddress! + c * cols, yb.baseAddress! + d * cols, cols) } }
        }
        var small = [Double](repeating: 0, count: m * m)
        for r in 0..<m { for c in 0..<m { small[r * m + c] = h[r * maxBasis + c] } }
        // The projected eigenproblem, solved where the search may stop or restarts (`nextSolve`).
        var ritz: (values: [Double], vectors: [Double])? = nil
        func residual(_ k: Int) -> Double {
            let vectors = ritz!.vectors
            var s2 = 0.0
            for c in 0..<b {
                for d in 0..<b { s2 += vectors[(m - b + c) * m + k] * gram[c * b + d] * vectors[(m - b + d) * m + k] }
            }
            return max(0, s2).squareRoot()
        }
        func solve() -> (values: [Double], vectors: [Double]) {
            if let ritz { return ritz }
            let pairs = ritzPairs(small, n: m)
            ritz = pairs
            theta1 = pairs.values[0]
            if m >= 2 {
                // A second pair whose residual is not well inside the gap it defines may describe
                // lambda_3 while lambda_2 hides nearer theta_1: then no gap is claimed at all.
                let res2 = residual(1)
                gapInfo = (theta1, res2 <= 0.25 * (theta1 - pairs.values[1])
                           ? pairs.values[1] + 2 * res2 + gapMargin * abs(theta1) : theta1)
            }
            return pairs
        }
        if passes <= 2 || (reachedStoppingBasis && (passes >= nextSolve || convergedAt != nil)) { _ = solve() }
        // The next block: R's columns orthonormalised in place (at the front of y), negligible
        // ones dropped (relative to the latest theta_1).
        var nextCount = 0
        let negligible = 1e-14 * max(abs(theta1), .leastNormalMagnitude)
        y.withUnsafeMutableBufferPointer { yb in
            let yp = yb.baseAddress!
            for c in 0..<b where m + nextCount < cols {
                let r = yp + nextCount * cols
                if c != nextCount { r.update(from: yp + c * cols, count: cols) }
                if orthonormalise(r, against: yp, count: nextCount, cols: cols, absoluteFloor: negligible,
                                  search: (UnsafePointer(q), m)) {
                    nextCount += 1
                }
            }
        }
        if nextCount == 0 && m < cols && (!reachedStoppingBasis || !hasRandomDirection) {
            // The space closed before it could tell the top pair from the rest, or from the caller's
            // two vectors alone, which may hold (next to) nothing of v_1: go on from a pseudo-random
            // direction orthogonal to it, as a default start would have.
            y.withUnsafeMutableBufferPointer { yb in
                while nextCount == 0 && randomStreams < 16 {
                    randomStreams += 1
                    yb.baseAddress!.update(from: defaultStart(cols, stream: randomStreams), count: cols)
                    if orthonormalise(yb.baseAddress!, against: q, count: m, cols: cols, floor: 1e-8) {
                        nextCount = 1
                    }
                }
            }
            hasRandomDirection = hasRandomDirection || nextCount == 1
        }
        if nextCount == 0 || passes >= maxPasses || m + nextCount > maxBasis { _ = solve() }
        var converged = false
        if ritz != nil {
            let res1 = residual(0)
            let target = 0.5 * tol * abs(theta1)
            if res1 <= target && firstMet == nil { firstMet = passes }
            converged = res1 <= target && reachedStoppingBasis
            if converged, let met = firstMet, met <= 2, passes < convergedStartPasses { converged = false }
            if converged {
                // A top pair met before the gap below it shows (a warm start from an already converged
                // v, with a pseudo-random second start) searches on, for at most `gapSearchPasses`
                // more passes, until the gap passes `certify`'s test.
                let start = convergedAt ?? passes
                convergedAt = start
                let shown = theta1 - max(0, gapInfo?.lambda2Hi ?? theta1) > 32 * max(res1, tol * abs(theta1))
                converged = shown || passes >= start + gapSearchPasses
            }
            nextSolve = nextRitzSolve(after: passes, residual: res1, target: target, previous: lastSolve)
            lastSolve = (passes, res1)
        }
        if converged || nextCount == 0 || passes >= maxPasses {
            let vectors = solve().vectors
            best = ritzVector(0, q, vectors, m: m, cols: cols)
            if m >= 2 { bestPartner = ritzVector(1, q, vectors, m: m, cols: cols) }
            break
        }
        if m + nextCount > maxBasis {
            // Thick restart: the `keep` best Ritz vectors, then the next block.
            let (values, vectors) = solve()
            spare.update(repeating: 0, count: keep * cols)
            for r in 0..<keep {
                for i in 0..<m where vectors[i * m + r] != 0 {
                    simdAxpy(spare + r * cols, vectors[i * m + r], q + i * cols, cols)
                }
            }
            swap(&q, &spare)
            h.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            for r in 0..<keep { h[r * maxBasis + r] = values[r] }
            // The coupling of the kept vectors to the next block comes from the next projection.
            m = keep
        }
        y.withUnsafeBufferPointer { (q + m * cols).update(from: $0.baseAddress!, count: nextCount * cols) }
        b = nextCount
    }
    // A basis that never reached the stopping size (max_iters cut the search short) has not told
    // the top pair from the rest: its gap estimate is no evidence (measured: with 2..6 passes it
    // "separated" sigma_2 from the rest and certified it as sigma_1).
    return (best, bestPartner, reachedStoppingBasis ? gapInfo : nil, passes)
}

/// The next pass after `pass` at which the search solves its projected eigenproblem, from the top
/// pair's residual now and at the previous solve: while the residual falls and, at its measured
/// geometric rate, needs at least six more passes to reach `target`, the next pass skips the
/// eigenproblem, which on small W costs more than the pass (the Krylov space grows the same either
/// way; only the stopping test waits). Measured over 450 calls (cold and warm, float32 and float64,
/// Gaussian, decaying and near-tied spectra, 2 x 200 to 400 x 3000): one call took a pass more
/// (71 instead of 70), none fewer; an audit's 65,000 calls on `W^T W`: 0.5% changed their
/// passes (184 one or two more, 8 one fewer; 4 twelve to fourteen more, where the residual met tol
/// on a skipped pass and rose again), the rest gave the same bits, the total the same passes to
/// 0.1%. Skipping k / 3 of k predicted passes cost up to 7 more passes
/// (decaying spectra converge faster than their early rate). Cold, one process, builds
/// alternating: 40 x 30 to 100 x 30 13-32% less time, 64 x 64 16-20%, 256 x 256 5-9%.
func nextRitzSolve(after pass: Int, residual: Double, target: Double, previous: (pass: Int, residual: Double)?) -> Int {
    guard let previous, residual > target, residual < previous.residual, previous.residual.isFinite,
          target > 0, pass > previous.pass else { return pass + 1 }
    let perPass = log(residual / previous.residual) / Double(pass - previous.pass)  // < 0
    let toGo = log(target / residual) / perPass
    return pass + (toGo >= 6 ? 2 : 1)
}

/// Ritz vector `k`: `Q s_k`, with the eigenvectors of the `m x m` projection as the columns of the
/// row-major `vectors`.
private func ritzVector(_ k: Int, _ q: UnsafePointer<Double>, _ vectors: [Double], m: Int, cols: Int) -> [Double] {
    var x = [Double](repeating: 0, count: cols)
    x.withUnsafeMutableBufferPointer { xb in
        for i in 0..<m where vectors[i * m + k] != 0 {
            simdAxpy(xb.baseAddress!, vectors[i * m + k], q + i * cols, cols)
        }
    }
    return x
}

/// The most vectors the search's basis holds for a `rows x cols` W (`blockLanczos` needs room for
/// twice that many `cols`-vectors: the basis and the restart's new one): `cols` for W of at most 32
/// columns, else 32 for W of 2^20 entries or more, 24 from 2^18, 16 below. Each pass solves the
/// projected eigenproblem, O(basis^3), which for small W costs far more than the pass itself
/// (64 x 64 float32, 32 vectors: 63% of the call in the eigensolver); a smaller basis restarts more
/// often and needs a few passes more. Measured cold, float32 and float64, builds alternating in one
/// process, against 32 vectors: 64 x 64 and 256 x 256 with 16 vectors 30-55% less time (0-1 passes
/// more in float32, 1-6 in float64); 512 x 512 and 768 x 768 with 24 vectors 2-15% less;
/// 1024 x 1024 and 1536 x 1536 with 24 vectors 4% less to 2% more (float64 1024 x 1024: 89 passes
/// instead of 83), with 16 up to 18% more. A W of at most 32 columns gets all of R^cols: its space
/// then closes and the search stops, where a smaller basis restarts and a true or near tie pays the
/// passes of the gap search (40 x 30 to 300 x 31 with a repeated top value, float32 and float64:
/// 40-53 passes in 0.4-0.8 ms with 16 vectors, 16-17 in 0.3-0.6 ms with all; 100 x 17: 33-37
/// against 10; Gaussian W, whose gap shows early, then take 1.3-1.6x the time of the 16-vector
/// search, 15 passes against 17). The stopping rule's minimum basis (12 vectors) fits every size.
func lanczosBasisSize(rows: Int, cols: Int) -> Int {
    guard cols > 32 else { return cols }
    let (entries, overflow) = rows.multipliedReportingOverflow(by: cols)
    return overflow || entries >= 1 << 20 ? 32 : entries >= 1 << 18 ? 24 : 16
}

/// Makes the `cols` values at `r` orthogonal to the `count` orthonormal vectors at `basis`
/// (`reorthogonalise`) and normalises them. Returns false, leaving `r` unusable, when what remains
/// is below `absoluteFloor` or below `floor` times r's original norm.
///
/// `search`: the search basis, which r is already orthogonal to, but only up to rounding relative
/// to r's current norm. When the projection on `basis` removes most of r (r nearly in their span,
/// as when two residual columns are nearly dependent), that rounding is no longer small beside
/// what is left, so r is orthogonalised against `search` and `basis` once more (the
/// Daniel-Gragg-Kaufman-Stewart criterion): without it the next block loses orthogonality to
/// the basis and the projection stops describing A (measured: a 15 x 69 W returned sigma 21%
/// low, unconverged, after 300 passes).
private func orthonormalise(
    _ r: UnsafeMutablePointer<Double>, against basis: UnsafePointer<Double>, count: Int, cols: Int,
    floor: Double = 0, absoluteFloor: Double = 0, search: (basis: UnsafePointer<Double>, count: Int)? = nil
) -> Bool {
    let n0 = simdDot(r, r, cols).squareRoot()
    func project(_ q: UnsafePointer<Double>, _ k: Int) {
        guard k > 0 else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: k) { c in
            reorthogonalise(r, count: 1, against: q, basis: k, cols: cols, coefficients: c.baseAddress!)
        }
    }
    project(basis, count)
    var n = simdDot(r, r, cols).squareRoot()
    if let search, n < 0.5 * n0 {
        project(search.basis, search.count)
        project(basis, count)
        n = simdDot(r, r, cols).squareRoot()
    }
    guard n > absoluteFloor, n > floor * n0, n.isFinite else { return false }
    for k in 0..<cols { r[k] /= n }
    return true
}
