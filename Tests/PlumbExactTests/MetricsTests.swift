import XCTest

@testable import PlumbExact

final class MetricsTests: XCTestCase {
    func testRoundingMatchesHardwareConversions() {
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20000 {
            let x = Double(bitPattern: g.next())
            guard x.isFinite else { continue }
            XCTAssertEqual(BinaryFormat.binary32.rounded(x).bitPattern, Double(Float(x)).bitPattern, "\(x)")
            XCTAssertEqual(BinaryFormat.binary16.rounded(x).bitPattern, Double(Float16(x)).bitPattern, "\(x)")
            XCTAssertEqual(BinaryFormat.binary64.rounded(x).bitPattern, x.bitPattern)
            // Values near the binary16 range, where its subnormals and overflow matter.
            let y = Double(sign: x.sign, exponent: Int(g.next() % 40) - 30, significand: 1 + x.significand.truncatingRemainder(dividingBy: 1))
            XCTAssertEqual(BinaryFormat.binary16.rounded(y).bitPattern, Double(Float16(y)).bitPattern, "\(y)")
        }
    }

    func testBFloat16RoundsToNearestEven() {
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even gives 1.
        XCTAssertEqual(BinaryFormat.bfloat16.rounded(1 + 0x1p-8), 1)
        XCTAssertEqual(BinaryFormat.bfloat16.rounded(1 + 3 * 0x1p-8), 1 + 0x1p-6)
        XCTAssertEqual(BinaryFormat.bfloat16.rounded(0x1p128), .infinity)
        // The smallest bfloat16 subnormal is 2^-133; 2^-134 is the tie between it and 0.
        XCTAssertEqual(BinaryFormat.bfloat16.rounded(0x1p-134), 0)
        XCTAssertEqual(BinaryFormat.bfloat16.rounded(0x1.8p-134), 0x1p-133)
        XCTAssertEqual(BinaryFormat.bfloat16.rounded(-0x1p-140).bitPattern, (-0.0).bitPattern)
    }

    func testULPSpacing() {
        XCTAssertEqual(BinaryFormat.binary32.ulp(at: 1), 0x1p-23)
        XCTAssertEqual(BinaryFormat.binary32.ulp(at: 0.99), 0x1p-24)
        XCTAssertEqual(BinaryFormat.binary32.ulp(at: 0), 0x1p-149)
        XCTAssertEqual(BinaryFormat.binary32.ulp(at: 1e-45), 0x1p-149)
        XCTAssertEqual(BinaryFormat.binary32.ulp(at: 1e300), 0x1p104)  // top binade above FLT_MAX
        XCTAssertEqual(BinaryFormat.binary16.ulp(at: 1), 0x1p-10)
        XCTAssertEqual(BinaryFormat.binary16.ulp(at: 1e-7), 0x1p-24)
        XCTAssertEqual(BinaryFormat.bfloat16.ulp(at: 3), 0x1p-6)
        XCTAssertEqual(BinaryFormat.binary64.ulp(at: 0x1p-1030), 0x1p-1074)
    }

    private func stats(_ format: BinaryFormat, _ computed: [Double], _ exact: [Double]) -> ErrorStatistics {
        exact.withUnsafeBufferPointer { e in ErrorStatistics(format: format, exact: e) { computed[$0] } }
    }

    func testKnownULPDistances() {
        for format in [BinaryFormat.binary64, .binary32, .binary16, .bfloat16] {
            let x = 1.25
            let u = format.ulp(at: x)
            let s = stats(format, [x, x + 3 * u, x - 2 * u], [x, x, x])
            XCTAssertEqual(s.maxULP, 3, format.name)
            XCTAssertEqual(s.meanULP, 5.0 / 3, format.name)
            XCTAssertEqual(s.worstIndex, 1)
            XCTAssertEqual(s.specialMismatches, 0)
            XCTAssertEqual(s.minBits, min(Double(format.precision), -log2(3 * u / x)), accuracy: 1e-12)
        }
    }

    func testSpecialClasses() {
        let s = stats(.binary32, [.nan, .infinity, 0, -1, 1e-45], [.nan, 1e300, 1e-13, 1, 1e-50])
        // NaN/NaN agree; inf vs 1e300 agree in binary32 (1e300 rounds to inf); 0 vs 1e-13 and
        // -1 vs 1 and 1e-45 vs 1e-50 (rounds to 0 in binary32) are mismatches but finite.
        XCTAssertEqual(s.specialMismatches, 3)
        XCTAssertEqual(s.minBits, 0)
        // -1 vs 1 is 2 / 2^-23 = 2^24 ULPs; 0 vs 1e-13 is 1e-13 / 2^-67 ~ 1.5e7 ULPs.
        XCTAssertEqual(s.worstIndex, 3)
        XCTAssertEqual(s.maxULP, 0x1p24)
        let t = stats(.binary64, [1, .nan], [.infinity, 2])
        XCTAssertEqual(t.specialMismatches, 2)
        XCTAssertEqual(t.worstIndex, -1)
        XCTAssertEqual(t.maxULP, 0)
    }
}
