import XCTest
@testable import PlumbCore

final class HessianTests: XCTestCase {
    /// Deterministic normals (SplitMix64 + Box-Muller).
    struct Normals {
        var rng: SplitMix64State
        init(_ seed: UInt64) { rng = SplitMix64State(seed: seed) }
        mutating func uniform() -> Double { (Double(rng.next() >> 11) + 0.5) / 9007199254740992.0 }
        mutating func next() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
    }

    func testEigenDecompositionReconstructs() throws {
        var r = Normals(1)
        for n in [1, 2, 3, 7, 40] {
            var a = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0...i { let x = r.next(); a[i * n + j] = x; a[j * n + i] = x } }
            let eig = try a.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
                try SymmetricEigen(b.baseAddress!, n: n)
            }
            var worst = 0.0, orth = 0.0
            for i in 0..<n {
                for j in 0..<n {
                    var s = 0.0, o = 0.0
                    for k in 0..<n {
                        s += eig.vectors[k * n + i] * eig.values[k] * eig.vectors[k * n + j]
                        o += eig.vectors[i * n + k] * eig.vectors[j * n + k]
                    }
                    worst = max(worst, abs(s - a[i * n + j]))
                    orth = max(orth, abs(o - (i == j ? 1 : 0)))
                }
            }
            XCTAssertLessThan(worst, 1e-12 * Double(n), "n = \(n)")
            XCTAssertLessThan(orth, 1e-13 * Double(n), "n = \(n)")
        }
    }

    func testSqrtDiagonalOfKnownMatrix() throws {
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3 with vectors (1, -1)/sqrt2, (1, 1)/sqrt2:
        // sqrtm diagonal = (1 + sqrt 3) / 2.
        let a: [Double] = [2, 1, 1, 2]
        let d = try a.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
            try symmetricSqrtDiagonal(b.baseAddress!, 2, scale: 1)
        }
        let want = (1 + 3.0.squareRoot()) / 2
        XCTAssertEqual(d[0], want, accuracy: 4e-16)
        XCTAssertEqual(d[1], want, accuracy: 4e-16)
    }

    func testEigenRejectsNaN() {
        let a: [Double] = [1, .nan, .nan, 1]
        XCTAssertThrowsError(try a.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Double>) throws(PlumbError) in
            try SymmetricEigen(b.baseAddress!, n: 2)
        })
    }

    func testProbeMatchesDirectRecurrence() throws {
        let dim = 300, steps = 30, b1 = 0.8, b2 = 0.99, eps = 1e-4, lr = 0.3
        let probe = try HessianProbe(dim: dim, config: HessianProbeConfig(beta1: b1, beta2: b2, epsilon: eps))
        var m = [Double](repeating: 0, count: dim), v = m, s = m
        var r = Normals(2)
        for _ in 0..<steps {
            let g = (0..<dim).map { Float(r.next() * pow(10, Double($0 % 7) - 3)) }
            try g.withUnsafeBufferPointer { (b: UnsafeBufferPointer<Float>) throws(PlumbError) in try probe.observe(b.baseAddress!) }
            for i in 0..<dim {
                let gi = Double(g[i])
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                s[i] = b2 * s[i] + (1 - b2) * (gi - m[i]) * (gi - m[i])
            }
        }
        let bc = 1 - pow(b2, Double(steps))
        for (e, want) in [(HessianEstimator.adam, v.map { ($0 / bc).squareRoot() + eps }),
                          (.rms, v.map { ($0 / bc).squareRoot() }),
                          (.belief, s.map { ($0 / bc).squareRoot() + eps })] {
            var got = [Double](repeating: 0, count: dim)
            try got.withUnsafeMutableBufferPointer { (b: inout UnsafeMutableBufferPointer<Double>) throws(PlumbError) in
                try probe.impliedDiagonal(e, lr: lr, into: b.baseAddress!)
            }
            for i in 0..<dim {
                XCTAssertEqual(got[i], want[i] / lr, accuracy: 1e-12 * want[i] / lr, "\(e) coordinate \(i)")
            }
        }
        XCTAssertEqual(probe.steps, steps)
    }

    func testProbeRejectsBadConfigs() {
        for c in [HessianProbeConfig(beta1: 1), HessianProbeConfig(beta1: -1e-300), HessianProbeConfig(beta2: .nan),
                  HessianProbeConfig(epsilon: -1), HessianProbeConfig(epsilon: .infinity)] {
            XCTAssertThrowsError(try HessianProbe(dim: 3, config: c))
        }
        XCTAssertThrowsError(try HessianProbe(dim: 0, config: HessianProbeConfig()))
        XCTAssertThrowsError(try HessianProbe(dim: 4097, config: HessianProbeConfig(fullMatrix: true)))
    }

    func testFitIsExactOnPowerLaws() {
        let h = (0..<40).map { pow(10, Double($0) / 10 - 2) }
        let est = h.map { 3 * pow($0, 0.5) }
        let fit = HessianFit(estimate: est, reference: h, count: h.count)
        XCTAssertEqual(fit.exponent, 0.5, accuracy: 1e-13)
        XCTAssertEqual(fit.scale, 3, accuracy: 1e-12)
        XCTAssertEqual(fit.logCorrelation, 1, accuracy: 1e-13)
        XCTAssertEqual(fit.used, 40)
        let linear = HessianFit(estimate: h.map { 2 * $0 }, reference: h.map { -$0 }, count: h.count)
        XCTAssertEqual(linear.relativeError, 0, accuracy: 1e-15)
        XCTAssertEqual(linear.exponent, 1, accuracy: 1e-13)
    }

    func testHutchinsonExactOnDiagonalAndAbortsOnThrow() throws {
        let h: [Double] = [1, -2, 3.5, 0, 7]
        var diag = [Double](repeating: 0, count: 5), se = diag
        try Hutchinson(dim: 5, samples: 4, seed: 1).run(diag: &diag, stdError: &se) { (_, v, hv) throws(PlumbError) in
            for i in 0..<5 { hv[i] = h[i] * v[i] }
        }
        XCTAssertEqual(diag, h)
        XCTAssertEqual(se, [0, 0, 0, 0, 0])
        var calls = 0
        XCTAssertThrowsError(try Hutchinson(dim: 5, samples: 4, seed: 1).run(diag: &diag, stdError: nil) { (k, _, _) throws(PlumbError) in
            XCTAssertEqual(k, calls)
            calls += 1
            if calls == 2 { throw .argument("stop") }
        })
        XCTAssertEqual(calls, 2)
        XCTAssertTrue(diag.allSatisfy { $0.isNaN })
    }
}
