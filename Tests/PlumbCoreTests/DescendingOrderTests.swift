import XCTest
@testable import PlumbCore

final class DescendingOrderTests: XCTestCase {
    /// The comparison the radix sort replaces: descending value, equal values by index.
    private func reference(_ x: [Double]) -> [Int] {
        Array(0..<x.count).sorted { x[$0] > x[$1] || (x[$0] == x[$1] && $0 < $1) }
    }

    private func ranks(_ x: [Double], _ sorter: inout DescendingOrder) -> [Int] {
        var order = [Int](repeating: -1, count: x.count)
        x.withUnsafeBufferPointer { xb in order.withUnsafeMutableBufferPointer { sorter.sort(xb, into: $0) } }
        return order
    }

    /// Both sizes (insertion sort up to 64, radix beyond), values of every sign and binade, ties,
    /// both zeros, subnormals and the extremes; one sorter reused across sizes, as a row workspace is.
    func testMatchesTheComparisonSort() {
        var rng = SystemRandomNumberGenerator()
        var sorter = DescendingOrder()
        let special: [Double] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                                 .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 1, -1, 1e-300, -1e300]
        for n in [1, 2, 3, 7, 64, 65, 100, 1000, 4096] {
            for trial in 0..<6 {
                let x: [Double] = (0..<n).map { _ in
                    switch trial {
                    case 0: return Double.random(in: -1...1, using: &rng)
                    case 1: return Double(Int.random(in: -3...3, using: &rng))  // many ties, both zeros
                    case 2: return special.randomElement(using: &rng)!
                    case 3: return Double.random(in: -1...1, using: &rng) * 0x1p-1060  // subnormals
                    case 4: return 1e6 + Double.random(in: 0..<1, using: &rng).rounded(.down)  // one value
                    default: return Double(sign: Bool.random(using: &rng) ? .minus : .plus,
                                           exponent: Int.random(in: -1000...1000, using: &rng),
                                           significand: Double.random(in: 1..<2, using: &rng))
                    }
                }
                XCTAssertEqual(ranks(x, &sorter), reference(x), "n = \(n), trial \(trial)")
            }
        }
    }
}
