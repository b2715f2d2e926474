import XCTest
@testable import PlumbCore

final class TopKTests: XCTestCase {
    private func run(_ m: TopKMethod, _ x: [Double], k: Int, tau: Double = 1) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        let err = x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                softTopK(m, x: xb.baseAddress!, rows: 1, n: x.count, k: k, temperature: tau, out: ob.baseAddress!)
            }
        }
        XCTAssertNil(err)
        return out
    }

    func testSumRangeAndKEqualsN() {
        let x = [0.3, -1.2, 2.5, 0.0, 1.1, -0.4, 3.0]
        for m in [TopKMethod.gradient, .expClip, .sigmoid, .laplace] {
            for k in 1...x.count {
                let p = run(m, x, k: k)
                XCTAssertEqual(p.reduce(0, +), Double(k), accuracy: 1e-13)
                XCTAssertTrue(p.allSatisfy { $0 >= 0 && $0 <= 1 })
                if k == x.count { XCTAssertEqual(p, [Double](repeating: 1, count: x.count)) }
            }
        }
    }

    func testK1GradientIsSoftmax() {
        let x = [0.5, -2.0, 1.5, 0.25]
        let s = x.map { exp($0) }.reduce(0, +)
        for (p, v) in zip(run(.gradient, x, k: 1), x) { XCTAssertEqual(p, exp(v) / s, accuracy: 4e-16) }
    }

    func testHugeSpreadStaysFinite() {
        let x = (0..<200).map { Double($0 % 17) * 300 - 2000 }
        for m in [TopKMethod.gradient, .expClip, .sigmoid, .laplace] {
            let p = run(m, x, k: 100, tau: 0.01)
            XCTAssertTrue(p.allSatisfy { $0.isFinite })
            XCTAssertEqual(p.reduce(0, +), 100, accuracy: 1e-9)
        }
    }

    func testNaNRowReportsDomain() {
        let x = [1.0, .nan, 0.5]
        var out = [Double](repeating: 0, count: 3)
        let err = x.withUnsafeBufferPointer { xb in
            out.withUnsafeMutableBufferPointer { ob in
                softTopK(.sigmoid, x: xb.baseAddress!, rows: 1, n: 3, k: 1, temperature: 1, out: ob.baseAddress!)
            }
        }
        guard case .domain(let row, _)? = err else { return XCTFail("expected a domain error") }
        XCTAssertEqual(row, 0)
        XCTAssertTrue(out.allSatisfy { $0.isNaN })
    }
}
