import XCTest
@testable import PlumbCore
#if canImport(Glibc)
import Glibc
#endif

final class ContrastiveTests: XCTestCase {
    /// The SIMD8 and scalar fast exp2s agree bit for bit and stay within 2^-28.9 of libm on
    /// [-1021, 0], also next to the reduction boundaries f = +-1/2 where the minimax error peaks;
    /// below -1021 (and at -inf) they give the floor 2^-1021.
    func testFastExp2Accuracy() {
        var worst = 0.0
        func check(_ v: SIMD8<Double>) {
            let fast = fastExp2NonPositive(v)
            for lane in 0..<8 {
                let reference = exp2(v[lane])
                worst = max(worst, abs(fast[lane] - reference) / reference)
                XCTAssertEqual(fast[lane].bitPattern, fastExp2NonPositive(v[lane]).bitPattern)
            }
        }
        var y = -1021.0
        while y <= 0 {
            check(SIMD8<Double>(y, y * 0.5, y * 0.25, y * 1e-3, y * 0.9, y * 0.1, y * 1e-6, y * 0.75))
            y += 0.0137
        }
        for k in stride(from: -1020.0, through: 0, by: 1) {
            let h = k - 0.5
            check(SIMD8<Double>(h, h.nextUp, h.nextDown, h + 0x1p-30, h - 0x1p-30, h + 1e-9, h - 1e-9, k))
        }
        XCTAssertLessThan(worst, exp2(-28.9))
        XCTAssertEqual(fastExp2NonPositive(-.infinity), 0x1p-1021)
        XCTAssertEqual(fastExp2NonPositive(SIMD8<Double>(repeating: -.infinity))[3], 0x1p-1021)
        XCTAssertEqual(fastExp2NonPositive(-1100), 0x1p-1021)
        XCTAssertEqual(fastExp2NonPositive(-1021), 0x1p-1021)
        XCTAssertEqual(fastExp2NonPositive(-1020.5).bitPattern, fastExp2NonPositive(SIMD8<Double>(repeating: -1020.5))[0].bitPattern)
        XCTAssertEqual(fastExp2NonPositive(0), 1)
        XCTAssertEqual(fastExp2NonPositive(-1), 0.5)
    }

    /// float32 kernel outputs are the float64 kernel's values rounded, within 1 ULP of float.
    func testFloat32AgreesWithFloat64() {
        let rows = 5, cols = 37
        var rng = SystemRandomNumberGenerator()
        var s32 = [Float](repeating: 0, count: rows * cols)
        for i in s32.indices { s32[i] = Float.random(in: -3...3, using: &rng) }
        s32[2 * cols + 4] = -.infinity
        let s64 = s32.map(Double.init)
        let positive: [Int64] = [0, 36, -1, 5, 17]
        for kind in [ContrastiveLoss.infoNCE, .flatNCE] {
            var l32 = [Float](repeating: 0, count: rows), g32 = [Float](repeating: 0, count: rows * cols)
            var l64 = [Double](repeating: 0, count: rows), g64 = [Double](repeating: 0, count: rows * cols)
            XCTAssertNil(ContrastiveKernels.lossF32(kind, scores: s32, rows: rows, cols: cols, positive: positive,
                                                    temperature: 0.5, loss: &l32, grad: &g32))
            XCTAssertNil(ContrastiveKernels.lossF64(kind, scores: s64, rows: rows, cols: cols, positive: positive,
                                                    temperature: 0.5, loss: &l64, grad: &g64))
            for i in 0..<rows { XCTAssertLessThanOrEqual(abs(Double(l32[i]) - l64[i]), Double(l32[i].ulp)) }
            for i in 0..<(rows * cols) { XCTAssertLessThanOrEqual(abs(Double(g32[i]) - g64[i]), Double(g32[i].ulp)) }
            XCTAssertEqual(l32[2], 0)
            XCTAssertTrue(g32[(2 * cols)..<(3 * cols)].allSatisfy { $0 == 0 })
            XCTAssertEqual(g32[2 * cols + 4], 0)
        }
    }

    /// Gap 90 (where log_softmax gives 0): InfoNCE's gradient is exp(-90)-sized, not 0.
    func testLargeGapKeepsTheGradient() {
        let s: [Double] = [90, 0]
        var loss = [0.0], grad = [0.0, 0.0]
        XCTAssertNil(ContrastiveKernels.lossF64(.infoNCE, scores: s, rows: 1, cols: 2, positive: [0],
                                                temperature: 1, loss: &loss, grad: &grad))
        let e = exp(-90.0)
        XCTAssertEqual(loss[0], log1p(e), accuracy: 2 * loss[0].ulp)
        XCTAssertEqual(grad[1], e / (1 + e), accuracy: 4 * grad[1].ulp)
        XCTAssertEqual(grad[0], -grad[1], accuracy: 4 * grad[1].ulp)
    }

    /// A NaN row reports .domain(row:) with the lowest bad row; its outputs are NaN; others computed.
    func testDomainRowReporting() {
        let s: [Float] = [0, 1, .nan, 1, 0, 0, .infinity, 0, 2]
        var loss = [Float](repeating: 0, count: 3), grad = [Float](repeating: 0, count: 9)
        let error = ContrastiveKernels.lossF32(.flatNCE, scores: s, rows: 3, cols: 3, positive: [0, 0, 0],
                                               temperature: 1, loss: &loss, grad: &grad)
        guard case .domain(let row, _)? = error else { return XCTFail("expected a domain error") }
        XCTAssertEqual(row, 0)
        XCTAssertTrue(loss[0].isNaN && loss[2].isNaN)
        XCTAssertEqual(loss[1], Float(log(2.0) - 1), accuracy: Float(0.3).ulp)  // log(2 e^-1)
    }
}
