#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import Glibc

/// Threshold constructions of smooth top-k (MATH.md section 2b): `ST_i = f(z_i - lambda)` with
/// `sum_i f(z_i - lambda) = k`, `z = x / tau`. All three solvers measure the items from a data
/// value of the row, `(x_i - x_ref) / tau` with the difference taken first (`scaledGap`), never
/// from `x_i / tau`: so the outputs are shift invariant, accurate at any offset (1e6 + O(1)) and
/// scale, and an `x / tau` beyond binary64's range is no overflow. They return the outputs and `f'`
/// (for the implicit-function VJP, `implicitVJP`).
enum ThresholdTopK {
    /// Gap width beyond which the sigmoid and Laplace solvers narrow the row (`RowOffsets`).
    /// Both f have tails `<= e^{-|u|}`. Across a gap this wide, lambda is more than 2000 from one
    /// side (say the lower; the other case is symmetric): that side's outputs are below e^{-2000}
    /// (0 in binary64) and its terms in the equation for lambda are at least e^{-1000} times
    /// smaller than the terms of an item within 1000 of lambda, or all items are more than 1000
    /// from lambda and every output is exactly 0 or 1. Either way the gap's width changes no
    /// output, and the offsets stay finite (a spread of 1e300 or a subnormal tau).
    static let widest = 4096.0

    /// f = min(1, e^u). Sorted descending `s_1 >= s_2 >= ...`, the solution has m items clipped at 1
    /// where m is the first index with `g(s_{m+1}) = m + B_m >= k`, `B_m = sum_{i > m} exp(s_i - s_{m+1})`
    /// (positive terms; recurrence `B_m = 1 + B_{m+1} exp(s_{m+2} - s_{m+1})`). Then
    /// `out_i = exp(z_i - s_{m+1}) (k - m) / B_m` for the unclipped items. Only the k largest values
    /// are needed (m <= k - 1), found by selection; the rest enter through one sum.
    static func expClip(_ x: UnsafeBufferPointer<Double>, tau: Double, k: Int,
                        work: UnsafeMutableBufferPointer<Double>, out: UnsafeMutableBufferPointer<Double>,
                        derivative: UnsafeMutableBufferPointer<Double>?) {
        let n = x.count
        for i in 0..<n { work[i] = x[i] }
        selectLargest(work, k)
        var top = UnsafeMutableBufferPointer(rebasing: work[0..<k])
        top.sort(by: >)
        let kth = top[k - 1]
        // Compensated: every output is scaled by 1 / B, so B's rounding (n eps / 2 for a plain
        // sum; measured 21 ULP at n = 1000) would reach all of them.
        var rest = CompensatedSum()
        for i in k..<n { rest.add(expOfGap(work[i], kth, tau)) }
        // Scan m from k-1 downwards computing B_m, remember the smallest consistent m.
        var b = 1 + (rest.sum + rest.compensation)  // B_{k-1}
        var chosenM = k - 1, chosenB = b
        var m = k - 1
        while m > 0 {
            // B_{m-1} relative to s_m (= top[m-1]).
            let bPrev = 1 + b * expOfGap(top[m], top[m - 1], tau)
            if bPrev >= Double(k - m + 1) { chosenM = m - 1; chosenB = bPrev } else { break }
            b = bPrev
            m -= 1
        }
        // g is monotone, so the consistent m are exactly m >= m*; the scan stops at the first failure.
        let c = top[chosenM]  // s_{m+1}
        let free = Double(k - chosenM), scale = free / chosenB
        // The kink (lambda = c exactly, B = k - m) from unrounded quantities: B - (k - m) =
        // (#{i : x_i = c} - (k - m)) + sum_{x_i < c} exp((x_i - c) / tau), an integer plus a sum
        // of positive terms. (Testing the rounded B against k - m took x = [0, 40], k = 1 for a kink:
        // B = 1 + 4e-18 rounds to 1.)
        var atKink = false
        if derivative != nil {
            var ties = 0, below = 0.0
            for i in 0..<n where x[i] <= c {
                if x[i] == c { ties += 1 } else { below += expOfGap(x[i], c, tau) }
            }
            atKink = ties == k - chosenM && below == 0
        }
        for i in 0..<n {
            // Clipped: the m items strictly above c (every value above c is among them), f' = 0.
            // The others lie at or below lambda = c + log(B / (k - m)) >= c, where f' = p (also
            // when p rounds to 1); at the kink itself (x_i = c = lambda) the clipped side is used.
            if x[i] > c { out[i] = 1; derivative?[i] = 0; continue }
            var p = Swift.min(1, expOfGap(x[i], c, tau) * scale)
            // A subnormal output in one rounding (exp, then the product, rounded twice: measured
            // 5e-324 for an exact 2.3e-324).
            if p < 0x1p-1022 { p = exp(scaledGap(x[i], c, tau).hi + log(scale)) }
            out[i] = p
            derivative?[i] = atKink && x[i] == c ? 0 : p
        }
    }
}

extension ThresholdTopK {
    /// f = Laplace CDF: `1 - e^{-u}/2` (u >= 0), `e^u/2` (u < 0). Sorted descending, with
    /// `c = s_{m+1}`, `A_m = sum_{i <= m} exp(c - s_i)`, `B_m = sum_{i > m} exp(s_i - c)` (terms <= 1),
    /// `g(c) = m - A_m/2 + B_m/2`; m is the first index with `g(s_{m+1}) >= k`, and
    /// `y = e^{lambda - c} = B / (sqrt((k-m)^2 + A B) + (k-m))` (the conjugate form when k < m).
    /// When even `g(s_n) < k` (k close to n, close inputs), all n items lie above lambda: m = n, B = 0.
    /// z is the row's `RowOffsets` from its k-th largest item (gaps wider than `widest` narrowed).
    static func laplace(_ x: UnsafeBufferPointer<Double>, tau: Double, k: Int, offsets: inout RowOffsets,
                        work: UnsafeMutableBufferPointer<Double>, work2: UnsafeMutableBufferPointer<Double>,
                        out: UnsafeMutableBufferPointer<Double>, derivative: UnsafeMutableBufferPointer<Double>?) {
        let n = x.count
        offsets.compute(x, tau: tau, anchorRank: k - 1, widest: widest)
        let z = offsets.t
        for r in 0..<n { work[r] = z[offsets.order[r]] }
        let s = UnsafeMutableBufferPointer(rebasing: work[0..<n])
        // work2[m] = B_m.
        work2[n - 1] = 1
        var m = n - 2
        while m >= 0 { work2[m] = 1 + work2[m + 1] * exp(s[m + 1] - s[m]); m -= 1 }
        // log A_m (A underflows when the items above c are far above it), and log A'_m, the same
        // sum relative to s_m: log A_m = log A'_m + (s_{m+1} - s_m).
        var logA = -Double.infinity, logAPrime = -Double.infinity
        // m = n (every item above lambda) when no m < n qualifies: c = s_n, A = sum_i exp(c - s_i), B = 0.
        var chosen = n
        let kd = Double(k)
        for mm in 0..<n {
            if mm > 0 { logAPrime = log1p(exp(logA)); logA = logAPrime + (s[mm] - s[mm - 1]) }
            let g = Double(mm) - exp(logA) / 2 + work2[mm] / 2
            if g >= kd { chosen = mm; break }
        }
        if chosen == n { logAPrime = log1p(exp(logA)) }
        let b = chosen < n ? work2[chosen] : 0, km = Double(k - chosen)
        // lambda lies between c = s_{m+1} (below) and c' = s_m (above), delta = c - c' <= 0. Each
        // item is measured from the reference on its side of lambda, y = e^{lambda - c} >= 1 below
        // and y' = e^{lambda - c'} <= 1 above, so that (ref - z_i) + log y adds terms of one sign.
        // Of log y and log y' = log y + delta the smaller one is formed directly and the other from
        // it (a sum without cancellation). With c alone, lambda near a c' far above c gave outputs
        // near 2/3 as 4000 + log(2/3) - 4000: 1037 ULP.
        let c = s[Swift.min(chosen, n - 1)]
        let cPrime = chosen == 0 ? c : s[chosen - 1]
        let delta = chosen == 0 || chosen == n ? 0 : c - cPrime
        let root = (km * km + exp(logAPrime + delta) * b).squareRoot()
        let logY: Double, logYPrime: Double
        if km > 0 {
            logY = log(b / (root + km))
            logYPrime = logY + delta
        } else if km == 0 {
            logY = (log(b) - logAPrime - delta) / 2
            logYPrime = (log(b) - logAPrime + delta) / 2
        } else {
            logYPrime = log(root - km) - logAPrime
            logY = logYPrime - delta
        }
        for i in 0..<n {
            let p: Double, d: Double
            // arg = lambda - z_i from the item's side of lambda.
            let arg = z[i] >= cPrime && chosen > 0 ? (cPrime - z[i]) + logYPrime : (c - z[i]) + logY
            if arg <= 0 {
                let t = exp(arg)
                p = 1 - t / 2; d = t / 2
            } else {
                // e^{-arg}/2 rather than 1/(2 e^{arg}): e^{arg} overflows while the output is
                // still a (subnormal) binary64 number.
                p = exp(-arg) / 2; d = p
            }
            out[i] = p
            derivative?[i] = d
        }
    }

    /// f = sigmoid. `h(lambda) = sum_i sigmoid(z_i - lambda) - k` is strictly decreasing, with z the
    /// row's `RowOffsets` from its k-th largest item (z_k = 0; gaps wider than `widest` narrowed), so
    /// lambda is found near 0 whatever the row's offset and scale, and its rounding (~2^-53 |lambda|)
    /// stays that of a small number. The root lies in `[z_{k+1} - log k, log(n - k)]` (at the left
    /// end the k + 1 largest items give at least (k + 1) k / (k + 1); at the right end the n - k + 1
    /// smallest give at most 1) and in `[min z - logit(k/n), max z - logit(k/n)]`. Safeguarded Newton
    /// (bisection whenever a step leaves the bracket) to full binary64 precision. h is evaluated as
    /// `(#{u >= 0} - k) - sum_{u >= 0} sigmoid(-u) + sum_{u < 0} sigmoid(u)` so that small tails keep
    /// their relative accuracy.
    static func sigmoid(_ x: UnsafeBufferPointer<Double>, tau: Double, k: Int, offsets: inout RowOffsets,
                        out: UnsafeMutableBufferPointer<Double>, derivative: UnsafeMutableBufferPointer<Double>?) {
        let n = x.count
        offsets.compute(x, tau: tau, anchorRank: k - 1, widest: widest)
        let z = offsets.t
        let order = offsets.order
        let logit = log(Double(k) / Double(n - k))
        var lo = Swift.max(z[order[k]] - log(Double(k)) - 1, z[order[n - 1]] - logit)
        var hi = Swift.min(log(Double(n - k)) + 1, z[order[0]] - logit)
        // h and h' (their common factor does not change the Newton step). While some item lies
        // within 700 of lambda they are summed as they are, one exp per item: farther items
        // underflow, but next to the nearest item's term (>= e^-700) they are below 2^-64 of it.
        // When every item is farther, both are scaled by exp(min_i |z_i - lambda|), so that tails
        // far below binary64's range keep their value instead of underflowing to an exact 0.
        func eval(_ lam: Double) -> (h: Double, dh: Double) {
            var near = Double.infinity
            for t in z { near = Swift.min(near, Swift.abs(t - lam)) }
            var count = 0, tail = 0.0, slope = 0.0
            if near <= 700 {
                for t in z {
                    let u = t - lam
                    let e = exp(-Swift.abs(u)), q = e / (1 + e)  // sigmoid(-|u|)
                    if u >= 0 { count += 1; tail -= q } else { tail += q }
                    slope += q * (1 - q)
                }
                return (Double(count - k) + tail, slope)
            }
            for t in z {
                let u = t - lam, au = Swift.abs(u)
                let e = exp(-au), scaled = exp(near - au) / (1 + e)  // sigmoid(-|u|) e^{near}
                let q = e / (1 + e)
                if u >= 0 { count += 1; tail -= scaled } else { tail += scaled }
                slope += scaled * (1 - q)
            }
            let integer = Double(count - k)
            return (integer == 0 ? tail : integer * exp(near) + tail, slope)
        }
        var lam = lo + (hi - lo) / 2
        var checkpoint = hi - lo, previousStep = Double.infinity, previousCorrection = Double.infinity
        for iteration in 0..<400 {
            let (h, dh) = eval(lam)
            if h == 0 { break }
            if h > 0 { lo = lam } else { hi = lam }
            let correction = dh > 0 ? h / dh : .nan
            // Converged: Newton's correction is below lambda's rounding, or it is tiny and no
            // longer shrinking (quadratic convergence has reached the rounding of h itself; the
            // former bisection down to a 2-ulp bracket took ~30 more passes over the row there).
            let size = Swift.abs(correction)
            let tiny = size <= 0x1p-40 * Swift.max(1, Swift.abs(lam))
            if size <= lam.ulp / 2 { break }
            if tiny && size > previousCorrection / 2 { break }
            previousCorrection = size
            var next = lam + correction
            var bisect = !(next > lo && next < hi)
            // Where lambda is far from every item, h behaves like e^{-lambda} and Newton moves it by
            // about 1 per step: when two steps have neither halved the bracket nor the step (Newton
            // converging from one side leaves the bracket wide), bisect instead (so at most
            // ~2 x 64 + a few Newton steps in all). Not for a tiny correction: Newton is then at
            // the root to its last few ulps, and a bisection would throw lambda across the bracket.
            if iteration % 2 == 1 {
                let slow = hi - lo > checkpoint / 2 && !(Swift.abs(next - lam) <= previousStep / 2)
                if slow && !tiny { bisect = true }
                checkpoint = hi - lo
            }
            if bisect {
                next = lo + (hi - lo) / 2
                // The next correction starts a new Newton sequence: comparing it with this one
                // would take its halving for the rounding floor (an audit found lambda 2^-40 off).
                previousCorrection = .infinity
            }
            let step = Swift.abs(next - lam)
            if step == 0 || !(hi > lo) { break }
            previousStep = step
            lam = next
            if step <= lam.ulp || hi - lo <= 2 * lam.ulp { break }
        }
        for i in 0..<n {
            let u = z[i] - lam
            let p: Double, q: Double
            if u >= 0 { let e = exp(-u); q = e / (1 + e); p = 1 / (1 + e) } else { let e = exp(u); p = e / (1 + e); q = 1 / (1 + e) }
            out[i] = p
            derivative?[i] = p * q
        }
    }
}
