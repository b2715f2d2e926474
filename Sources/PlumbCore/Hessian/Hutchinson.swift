#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hutchinson's estimator of a Hessian diagonal from Hessian-vector products (MATH.md section 4):
/// `diag(H) = E[z * (H z)]` for Rademacher `z` (independent +-1 entries), since
/// `E[z_i (H z)_i] = sum_j H_ij E[z_i z_j] = H_ii`.
///
/// Probes come from SplitMix64 seeded with `seed`: output number `q` (1-based) of the generator
/// gives the signs of coordinates `64 (q - 1 - k*w) ..< 64 (q - k*w)` of sample k (w = ceil(dim/64)
/// words per sample); bit b set means z = -1, clear z = +1. The estimate of each coordinate is the
/// mean over samples, its standard error `sd / sqrt(samples)` with `sd` the sample standard
/// deviation (divisor samples - 1), computed with Welford's updates. One sample gives std error +inf.
public struct Hutchinson {
    public let dim: Int
    public let samples: Int
    public let seed: UInt64

    public init(dim: Int, samples: Int, seed: UInt64) {
        self.dim = dim
        self.samples = samples
        self.seed = seed
    }

    /// Runs the estimator. `hvp(k, v, hv)` must write `H v` into `hv` (both `dim` values) or throw;
    /// `k` is the 0-based sample index, for the caller's error messages.
    /// A non-finite product throws `.domain` naming the sample. `diag` and `stdError` get `dim` values
    /// (NaN when this throws). The caller guarantees `4 * dim` doubles do not overflow.
    public func run(diag: UnsafeMutablePointer<Double>, stdError: UnsafeMutablePointer<Double>?,
                    _ hvp: (Int, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) throws(PlumbError) -> Void) throws(PlumbError) {
        let n = dim
        guard let raw = malloc(4 * n * MemoryLayout<Double>.stride) else {
            diag.update(repeating: .nan, count: n)
            stdError?.update(repeating: .nan, count: n)
            throw .noMemory("cannot allocate 4 x \(n) doubles of Hutchinson work space")
        }
        defer { free(raw) }
        let z = raw.bindMemory(to: Double.self, capacity: 4 * n), hz = z + n, m2 = z + 2 * n, f = z + 3 * n
        diag.update(repeating: 0, count: n)
        m2.initialize(repeating: 0, count: n)
        // Squared deviations of products beyond ~1e154 overflow, below ~1e-154 underflow: coordinate
        // i's sum is kept scaled by f_i^2, f_i an exact power of two chosen at its first nonzero
        // product (0 marks "not yet": until then its mean and sum are exactly 0 in any scale). f_i
        // is 1 at ordinary scales, so those bits are unchanged.
        f.initialize(repeating: 0, count: n)
        var rng = SplitMix64State(seed: seed)
        do throws(PlumbError) {
            for k in 1...samples {
                var bits: UInt64 = 0
                for i in 0..<n {
                    if i % 64 == 0 { bits = rng.next() }
                    z[i] = (bits >> UInt64(i % 64)) & 1 == 1 ? -1 : 1
                }
                hz.initialize(repeating: 0, count: n)
                try hvp(k - 1, z, hz)
                for i in 0..<n where !hz[i].isFinite {
                    throw .domain(row: nil, "sample \(k - 1): hvp wrote hv[\(i)] = \(hz[i]), not finite")
                }
                let kk = Double(k)
                for i in 0..<n {
                    let x = z[i] * hz[i]
                    if f[i] == 0 && x != 0 {
                        let big = abs(x)
                        f[i] = big > 0x1p500 ? 0x1p-540 : big < 0x1p-500 ? 0x1p540 : 1
                    }
                    let delta = x - diag[i]
                    diag[i] += delta / kk
                    m2[i] += (delta * f[i]) * ((x - diag[i]) * f[i])
                }
            }
        } catch {
            diag.update(repeating: .nan, count: n)
            stdError?.update(repeating: .nan, count: n)
            throw error
        }
        if let stdError {
            let s = Double(samples)
            for i in 0..<n {
                // A coordinate whose products were all 0 has m2 = 0 and no scale: its error is 0.
                let fi = f[i] == 0 ? 1 : f[i]
                stdError[i] = samples >= 2 ? (m2[i] / (s - 1)).squareRoot() / fi / s.squareRoot() : .infinity
            }
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): `state += 0x9E3779B97F4A7C15`, then the output mix.
public struct SplitMix64State: Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
