import Dispatch
import Glibc
import PlumbCore
import Synchronization
import XCTest

final class ThreadsTests: XCTestCase {
    override func tearDown() { Threads.setLimit(0) }

    func testLimitDefaultsToAllCores() {
        Threads.setLimit(0)
        XCTAssertEqual(Threads.limit, Threads.available)
        Threads.setLimit(-5)
        XCTAssertEqual(Threads.limit, Threads.available)
        Threads.setLimit(3)
        XCTAssertEqual(Threads.limit, 3)
    }

    func testEveryIndexVisitedOnceForAnyThreadCount() {
        for threads in [1, 2, 3, 8] {
            Threads.setLimit(threads)
            for count in [0, 1, 7, 1000] {
                let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
                visits.initialize(repeating: 0)
                defer { visits.deallocate() }
                parallelChunks(count) { range in for i in range { visits[i] += 1 } }
                XCTAssertTrue(visits.prefix(count).allSatisfy { $0 == 1 }, "threads \(threads) count \(count)")
            }
        }
    }

    func testNeverMoreWorkersThanTheLimit() {
        for limit in [1, 2, 3] {
            Threads.setLimit(limit)
            let active = Atomic<Int>(0), peak = Atomic<Int>(0)
            parallelChunks(64) { _ in
                let now = active.wrappingAdd(1, ordering: .relaxed).newValue
                _ = peak.max(now, ordering: .relaxed)
                usleep(2000)
                active.wrappingSubtract(1, ordering: .relaxed)
            }
            XCTAssertLessThanOrEqual(peak.load(ordering: .relaxed), limit)
        }
    }

    func testNestedAndConcurrentCallsVisitEveryIndexOnce() {
        // A parallel call from inside another's work, and calls from several threads at once, find
        // the worker pool busy and run on Dispatch's threads instead: nothing waits for itself.
        Threads.setLimit(2)
        let n = 64
        let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: n * n)
        visits.initialize(repeating: 0)
        defer { visits.deallocate() }
        parallelChunks(n) { outer in
            for i in outer {
                parallelChunks(n) { inner in for j in inner { visits[i * n + j] += 1 } }
            }
        }
        XCTAssertTrue(visits.allSatisfy { $0 == 1 })
        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<50 {
                parallelChunks(1000) { range in total.wrappingAdd(range.count, ordering: .relaxed) }
            }
        }
        XCTAssertEqual(total.load(ordering: .relaxed), 8 * 50 * 1000)
    }

    func testForEachRowReportsLowestFailingRowAndComputesTheRest() {
        for threads in [1, 2, 4] {
            Threads.setLimit(threads)
            let done = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 100)
            done.initialize(repeating: false)
            defer { done.deallocate() }
            let failure = forEachRow(100) { (r: Int) throws(PlumbError) in
                done[r] = true
                if r == 97 || r == 41 { throw .domain(row: 0, "bad \(r)") }
            }
            XCTAssertEqual(failure, .domain(row: 41, "bad 41"))
            XCTAssertTrue(done.allSatisfy { $0 })
        }
        XCTAssertNil(forEachRow(10) { (_: Int) throws(PlumbError) in })
    }
}
