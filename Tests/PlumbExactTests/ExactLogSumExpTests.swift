import PlumbCore
import XCTest

@testable import PlumbExact

final class ExactLogSumExpTests: XCTestCase {
    private func lse(_ x: [Double], cap: Int = CorrectRounding.defaultCap) throws -> Double {
        try x.withUnsafeBufferPointer { (b) throws(PlumbError) in
            try exactLogSumExp(b, rounding: CorrectRounding(cap: cap))
        }
    }

    private let ln2 = Double(bitPattern: 0x3FE6_2E42_FEFA_39EF)

    func testSingleFiniteEntryIsExact() throws {
        for v in [0.0, 1.5, -1e308, .leastNonzeroMagnitude, .greatestFiniteMagnitude] {
            XCTAssertEqual(try lse([v]).bitPattern, v.bitPattern)
            XCTAssertEqual(try lse([-.infinity, v, -.infinity]).bitPattern, v.bitPattern)
        }
        XCTAssertEqual(try lse([-0.0]).bitPattern, 0, "log(exp(-0)) = +0")
    }

    func testMaskingAndSpecials() throws {
        XCTAssertEqual(try lse([-.infinity, -.infinity]), -.infinity)
        XCTAssertEqual(try lse([1, .infinity]), .infinity)
        XCTAssertThrowsError(try lse([1, .nan])) { error in
            XCTAssertEqual(error as? PlumbError, .domain(row: 0, "NaN at column 1"))
        }
    }

    func testTiesGiveLogOfCount() throws {
        XCTAssertEqual(try lse([0, 0]), ln2)
        XCTAssertEqual(try lse([0, 0, 0, 0]), 2 * ln2)  // 2 ln 2 rounds exactly to 2 * rounded(ln 2)
    }

    func testHugeMagnitudes() throws {
        let big = Double.greatestFiniteMagnitude
        XCTAssertEqual(try lse([big, big]), big)  // big + ln 2 rounds back to big
        XCTAssertEqual(try lse([-big, -big]), -big)
        XCTAssertEqual(try lse([big, -big]), big)
        XCTAssertEqual(try lse([1e308, 1e-308]), 1e308)
    }

    /// [0, -t] gives log1p(e^-t): subnormal for t ~ 740, zero below 2^-1075.
    func testSubnormalResults() throws {
        let r = try lse([0, -740])
        XCTAssertTrue(r.isSubnormal)
        XCTAssertEqual(try lse([0, -746]), 0)
        XCTAssertEqual(try lse([0, -745]), .leastNonzeroMagnitude)
        XCTAssertEqual(try lse([.leastNonzeroMagnitude, .leastNonzeroMagnitude]), ln2)
        // exp(-744261118) is below MPFR's default exponent range: the enclosure's lower end
        // underflows to 0 and the result must still certify as +0 (not loop on -0 vs +0).
        XCTAssertEqual(try lse([-0.0, -744261118.0]).bitPattern, 0)
    }

    /// log(e^-1 + e^(-1 + log(e - 1))) is 0 up to the rounding of the inputs: heavy cancellation,
    /// which a low cap cannot certify.
    func testCancellationNeedsMorePrecision() throws {
        let b = -1 + Double(bitPattern: 0x3FE1_5288_8062_61CC)  // -1 + log(e - 1), rounded
        let r = try lse([-1, b])
        XCTAssertLessThan(abs(r), 1e-15)
        XCTAssertThrowsError(try lse([-1, b], cap: 64))
    }

    func testLongRow() throws {
        let x = [Double](repeating: -3.25, count: 5000)
        // log(5000) - 3.25, checked against the scalar form log(5000 e^-3.25) computed exactly.
        let expected = try CorrectRounding().value { (p: Int) throws(PlumbError) in
            Interval.log(Interval(5000, precision: p)) - Interval(3.25, precision: p)
        }.value
        XCTAssertEqual(try lse(x), expected)
    }
}
