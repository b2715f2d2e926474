import XCTest
@testable import PlumbCore
@testable import PlumbExact

final class ExactHessianTests: XCTestCase {
    private func hessian(_ x: [Double], n: Int, dim: Int) throws -> [Double] {
        var out = [Double](repeating: .nan, count: dim * dim)
        try x.withUnsafeBufferPointer { (xb: UnsafeBufferPointer<Double>) throws(PlumbError) in
            try out.withUnsafeMutableBufferPointer { (ob: inout UnsafeMutableBufferPointer<Double>) throws(PlumbError) in
                try exactLeastSquaresHessian(xb.baseAddress!, n: n, dim: dim, out: ob.baseAddress!)
            }
        }
        return out
    }

    func testSmallIntegerCase() throws {
        // X = [[1, 2], [3, 4], [5, 7]]: X^T X = [[35, 49], [49, 69]], divided by 3.
        let h = try hessian([1, 2, 3, 4, 5, 7], n: 3, dim: 2)
        XCTAssertEqual(h, [35.0 / 3, 49.0 / 3, 49.0 / 3, 23])
    }

    func testCancellationIsExact() throws {
        // Rows (1e16, 1e16), (1, 1), (-1e16, 1e16): sum of column products 1e32 + 1 - 1e32 = 1,
        // which float64 accumulation loses (it gives 0); the exact H_01 = 1/3.
        let h = try hessian([1e16, 1e16, 1, 1, -1e16, 1e16], n: 3, dim: 2)
        XCTAssertEqual(h[1], 1.0 / 3)
        XCTAssertEqual(h[2], 1.0 / 3)
        XCTAssertEqual(h[0], h[3])
    }

    func testRejectsNaN() {
        XCTAssertThrowsError(try hessian([1, .nan, 2, 3], n: 2, dim: 2)) { e in
            XCTAssertEqual(e as? PlumbError, .domain(row: 0, "x[0, 1] = nan is not finite"))
        }
    }
}
