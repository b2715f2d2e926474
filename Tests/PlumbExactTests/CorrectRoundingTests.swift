import CNumerics
import PlumbCore
import XCTest

@testable import PlumbExact

final class CorrectRoundingTests: XCTestCase {
    /// log(2) correctly rounded is 0x3FE62E42FEFA39EF (fdlibm's ln2_hi + ln2_lo rounded).
    func testLogTwoRoundsToKnownDouble() throws {
        let r = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.log(Interval(2, precision: p))
        }
        XCTAssertEqual(r.value.bitPattern, 0x3FE6_2E42_FEFA_39EF)
        XCTAssertEqual(r.precision, CorrectRounding.startPrecision)
    }

    /// exp(1) correctly rounded is 0x4005BF0A8B145769.
    func testExpOne() throws {
        let r = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.exp(Interval(1, precision: p))
        }
        XCTAssertEqual(r.value.bitPattern, 0x4005_BF0A_8B14_5769)
    }

    /// A value whose 64-bit enclosure straddles a rounding boundary must escalate: log1p(x) - x for
    /// tiny x cancels to -x^2/2, so the first pass at 64 bits cannot certify 53 bits of the result.
    func testEscalatesOnCancellation() throws {
        let x = 0x1p-40
        let r = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.log1p(Interval(x, precision: p)) - Interval(x, precision: p)
        }
        XCTAssertGreaterThan(r.precision, 64)
        // -x^2/2 + x^3/3 - ...: the x^3 term is 2^-40 relative, far above the 2^-53 rounding.
        let expected = -0x1p-81 + 0x1p-120 / 3
        XCTAssertEqual(r.value, expected, accuracy: expected.ulp)
    }

    func testCapThrowsPrecisionError() {
        let x = 0x1p-40
        XCTAssertThrowsError(
            try CorrectRounding(cap: 64).value { (p: Int) throws(PlumbError) in
                Interval.log1p(Interval(x, precision: p)) - Interval(x, precision: p)
            }
        ) { error in
            guard case .precision = error as? PlumbError else { return XCTFail("wrong error \(error)") }
        }
    }

    /// Rounding to nearest-even at a binade boundary and in the subnormal range.
    func testSubnormalAndOverflowResults() throws {
        // exp(-745.0) ~ 4.94e-324 * 1.0...: rounds to the smallest subnormal.
        let tiny = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.exp(Interval(-745, precision: p))
        }
        XCTAssertEqual(tiny.value, Double.leastNonzeroMagnitude)
        // exp(-746) < 2^-1075: rounds to +0.
        let zero = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.exp(Interval(-746, precision: p))
        }
        XCTAssertEqual(zero.value.bitPattern, 0)
        // exp(710) overflows binary64.
        let huge = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.exp(Interval(710, precision: p))
        }
        XCTAssertEqual(huge.value, .infinity)
    }

    func testIntervalsContainTheirValues() {
        for p in [64, 128, 256] {
            let a = Interval(3, precision: p), b = Interval(7, precision: p)
            let q = a / b
            XCTAssertLessThanOrEqual(q.lo.double(MPFR_RNDD), 3.0 / 7.0)
            XCTAssertGreaterThanOrEqual(q.hi.double(MPFR_RNDU), 3.0 / 7.0)
            XCTAssertTrue(mpfr_cmp(q.lo.raw, q.hi.raw) < 0, "3/7 is inexact: the ends must differ")
        }
    }
}
