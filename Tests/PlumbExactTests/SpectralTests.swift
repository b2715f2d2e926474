import XCTest
import PlumbCore
@testable import PlumbExact

final class ExactSpectralTests: XCTestCase {
    func testExactlyRepresentableNorms() throws {
        // [[3, 4], [0, 0]] has sigma_1 = 5 through a non-dyadic eigenvector.
        let w: [Double] = [3, 4, 0, 0]
        let r = try w.withUnsafeBufferPointer { b throws(PlumbError) in try exactSpectralNorm(b, rows: 2, cols: 2) }
        XCTAssertEqual(r.sigma, 5)
        let d: [Double] = [0.5, 0, 0, 0, 0.25, 0]
        let r2 = try d.withUnsafeBufferPointer { b throws(PlumbError) in try exactSpectralNorm(b, rows: 2, cols: 3) }
        XCTAssertEqual(r2.sigma, 0.5)
    }

    func testTwoByTwoClosedForm() throws {
        // [[1, 1], [0, 1]]: sigma_1 = golden ratio (1 + sqrt5)/2 = 1.618033988749895 (rounded).
        let w: [Double] = [1, 1, 0, 1]
        let r = try w.withUnsafeBufferPointer { b throws(PlumbError) in try exactSpectralNorm(b, rows: 2, cols: 2) }
        XCTAssertEqual(r.sigma, 1.618033988749895)
    }

    func testNaNIsDomainError() {
        let w: [Double] = [1, 2, .nan, 4]
        XCTAssertThrowsError(try w.withUnsafeBufferPointer { b throws(PlumbError) in
            try exactSpectralNorm(b, rows: 2, cols: 2)
        })
    }
}
