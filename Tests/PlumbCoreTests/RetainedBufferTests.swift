import Dispatch
import PlumbCore
import XCTest

final class RetainedBufferTests: XCTestCase {
    /// A released block serves the next call that fits in it; one that does not fit gets a new one.
    func testReleasedBlockIsReusedWhenLargeEnough() throws {
        var first: UnsafeMutablePointer<Double>
        do {
            let a = try RetainedBuffer(count: 1000, "a")
            first = a.base
            a.base.update(repeating: 7, count: 1000)
        }
        do {
            let b = try RetainedBuffer(count: 500, "b")
            XCTAssertEqual(b.base, first)
            XCTAssertEqual(Int(bitPattern: b.base) % 64, 0)
        }
        do {
            let c = try RetainedBuffer(count: 100_000, "c")
            c.base.update(repeating: 1, count: 100_000)  // all of it is usable (ASan checks the bounds)
            first = c.base
        }
        let d = try RetainedBuffer(count: 100_000, "d")
        XCTAssertEqual(d.base, first)
    }

    /// Buffers alive at once never share memory, whatever the threads do.
    func testConcurrentBuffersAreDistinct() {
        let failures = UnsafeMutablePointer<Int>.allocate(capacity: 8)
        failures.initialize(repeating: 0, count: 8)
        defer { failures.deallocate() }
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for round in 0..<200 {
                guard let buffer = try? RetainedBuffer(count: 64 + round, "t") else { failures[t] += 1; continue }
                let mark = Double(t * 1000 + round)
                buffer.base.update(repeating: mark, count: 64 + round)
                for i in 0..<(64 + round) where buffer.base[i] != mark { failures[t] += 1 }
            }
        }
        XCTAssertEqual((0..<8).map { failures[$0] }, [Int](repeating: 0, count: 8))
    }

    func testImpossibleSizesThrowNoMemory() {
        for count in [Int.max, Int.max / 8, -1] {
            do {
                _ = try RetainedBuffer(count: count, "the test buffer")
                XCTFail("count \(count) allocated")
            } catch {
                guard case .noMemory(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("the test buffer"), message)
            }
        }
    }
}
