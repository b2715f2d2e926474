import XCTest
@testable import PlumbCore
@testable import PlumbExact
#if canImport(Glibc)
import Glibc
#endif

final class ExactContrastiveTests: XCTestCase {
    private func row(_ kind: ContrastiveLoss, _ s: [Double], _ t: Int, _ tau: Double) throws -> (Double, [Double]) {
        var grad = [Double](repeating: .nan, count: s.count)
        let loss = try s.withUnsafeBufferPointer { b in
            try exactContrastiveRow(kind, b, positive: t, temperature: tau, grad: &grad)
        }
        return (loss, grad)
    }

    /// Rational and closed-form cases: K = 2 at gap 0 gives log 2 and +-1/(2 tau).
    func testClosedForms() throws {
        let (l, g) = try row(.infoNCE, [1.5, 1.5], 0, 0.5)
        XCTAssertEqual(l, 0x1.62e42fefa39efp-1)  // log 2, correctly rounded
        XCTAssertEqual(g, [-1.0, 1.0])
        let (lf, gf) = try row(.flatNCE, [1.5, 1.5], 0, 0.5)
        XCTAssertEqual(lf.bitPattern, (0.0).bitPattern)
        XCTAssertEqual(gf, [-2.0, 2.0])
        let (ld, _) = try row(.flatNCE, [0.0, -0.3], 0, 0.1)  // one negative: L = d, rounded once
        // The exact quotient of the binary64 inputs -0.3 and 0.1 rounds to -2.9999999999999996.
        XCTAssertEqual(ld, -2.9999999999999996)
    }

    func testMaskedRows() throws {
        let (l, g) = try row(.infoNCE, [2, -.infinity, -.infinity], 0, 1)
        XCTAssertEqual(l, 0)
        XCTAssertEqual(g, [0, 0, 0])
        let (lf, gf) = try row(.flatNCE, [2, -.infinity, -.infinity], 0, 0.25)
        XCTAssertEqual(lf, -.infinity)
        XCTAssertEqual(gf, [-4, 0, 0])
        let (lm, gm) = try row(.infoNCE, [0, -.infinity, 0], 0, 1)  // masked entry ignored
        XCTAssertEqual(lm, 0x1.62e42fefa39efp-1)
        XCTAssertEqual(gm[1], 0)
    }

    /// Gap 30 and 90: results agree with an independent double-double-free evaluation to ~1 ULP
    /// (the float64 kernel), and the gradient is not 0.
    func testLargeGaps() throws {
        for gap in [30.0, 90.0] {
            let s = [gap, 0.25, -0.5, 0]
            let (l, g) = try row(.infoNCE, s, 0, 1)
            let xi = exp(0.25 - gap) + exp(-0.5 - gap) + exp(-gap)
            XCTAssertEqual(l, log1p(xi), accuracy: 2 * l.ulp)
            XCTAssertEqual(g[1], exp(0.25 - gap) / (1 + xi), accuracy: 4 * g[1].ulp)
            XCTAssertEqual(g[0], -xi / (1 + xi), accuracy: 4 * g[1].ulp)
        }
    }

    func testDomainErrors() {
        XCTAssertThrowsError(try row(.infoNCE, [0, .nan], 0, 1))
        XCTAssertThrowsError(try row(.flatNCE, [0, .infinity], 0, 1))
        XCTAssertThrowsError(try row(.flatNCE, [-.infinity, 0], 0, 1))
    }
}
