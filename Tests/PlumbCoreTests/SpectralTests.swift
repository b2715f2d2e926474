import XCTest
@testable import PlumbCore

final class SpectralTests: XCTestCase {
    func testSymmetricEigenOfKnownMatrix() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/sqrt2, (1, -1)/sqrt2.
        let (values, vectors) = jacobiEigen([2, 1, 1, 2], n: 2)
        XCTAssertEqual(values[0], 3, accuracy: 1e-15)
        XCTAssertEqual(values[1], 1, accuracy: 1e-15)
        XCTAssertEqual(abs(vectors[0]), 0.5.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(abs(vectors[2]), 0.5.squareRoot(), accuracy: 1e-15)
    }

    func testNormOfScaledPermutation() throws {
        // Singular values 3, 2, 1 placed on a permuted diagonal of a 5 x 3 matrix.
        var w = [Double](repeating: 0, count: 15)
        w[0 * 3 + 2] = 2; w[2 * 3 + 0] = -3; w[4 * 3 + 1] = 1
        var u = [Double](repeating: 0, count: 5), v = [Double](repeating: 0, count: 3)
        let (result, late) = try Double.spectralNorm(w, rows: 5, cols: 3, u: &u, v: &v, v2: nil, maxIters: 50, tol: 1e-14)
        XCTAssertNil(late)
        XCTAssertEqual(result.sigma, 3, accuracy: 1e-14)
        XCTAssertLessThanOrEqual(abs(result.sigma - 3), result.residual)
        XCTAssertEqual(abs(v[0]), 1, accuracy: 1e-14)
        XCTAssertEqual(abs(u[2]), 1, accuracy: 1e-14)
        XCTAssertEqual(result.gapRatio, 2.0 / 3.0, accuracy: 1e-6)
    }

    func testMaxItersOneIsNotConvergedButWritten() throws {
        var w = [Float](repeating: 0, count: 12)
        for i in 0..<12 { w[i] = Float(i % 5) - 2 }
        var u = [Float](repeating: 0, count: 4), v = [Float](repeating: 0, count: 3)
        let (result, late) = try Float.spectralNorm(w, rows: 4, cols: 3, u: &u, v: &v, v2: nil, maxIters: 1, tol: 0)
        XCTAssertNotNil(late)
        XCTAssertEqual(result.iterations, 1)
        XCTAssertTrue(result.sigma > 0)
        XCTAssertTrue(result.gapRatio.isNaN)
    }
}
