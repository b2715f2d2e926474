import Dispatch
import Synchronization

/// The process-wide bound on threads per call (`plumb_set_num_threads`); 0 means all cores.
private let requestedThreads = Atomic<Int>(0)

public enum Threads {
    /// Online cores, read once.
    public static let available: Int = max(1, System.onlineCores)

    /// Sets the bound; `n <= 0` selects all online cores.
    public static func setLimit(_ n: Int) {
        requestedThreads.store(max(0, n), ordering: .relaxed)
    }

    /// The number of threads a call may use, >= 1.
    public static var limit: Int {
        let n = requestedThreads.load(ordering: .relaxed)
        return n == 0 ? available : n
    }
}

/// Runs `body(range)` over `0..<count` split into contiguous chunks on up to `Threads.limit`
/// threads. Chunks never depend on the thread count for their *results*: each index is processed
/// by exactly one call and the work of one index never depends on another, so output bits are the
/// same for any thread count. `grain` is the smallest chunk worth a thread.
public func parallelChunks(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let threads = min(Threads.limit, max(1, count / max(1, grain)))
    if threads <= 1 {
        body(0..<count)
        return
    }
    // A few chunks per thread balance rows of uneven cost, and threads that start late (8: the
    // spectral pass's 16 row blocks then go one at a time on two threads; with 4 per thread a
    // cold 2048 x 2048 search took 2-4% longer). The calling thread and at most
    // `threads - 1` others claim chunks from a shared counter, so no more than `threads` run at
    // once whatever the core count.
    let chunks = min(count, threads * 8)
    let nextChunk = Atomic<Int>(0)
    func claimChunks() {
        while true {
            let c = nextChunk.wrappingAdd(1, ordering: .relaxed).oldValue
            if c >= chunks { break }
            body((c * count / chunks)..<((c + 1) * count / chunks))
        }
    }
    // The pool's waiting threads first (see `WorkerPool`); Dispatch's when the pool is busy with
    // another call.
    if WorkerPool.shared.run(helpers: min(threads, Threads.available) - 1, claimChunks) { return }
    withoutActuallyEscaping(claimChunks) { claim in
        DispatchQueue.concurrentPerform(iterations: threads) { _ in claim() }
    }
}

/// Runs `body(row)` for every row in parallel, collecting failures: a failing row does not stop the
/// others. Returns the failure of the lowest-numbered failing row (so the reported row is the
/// same for any thread count), or nil.
public func forEachRow(_ rows: Int, grain: Int = 1, _ body: (Int) throws(PlumbError) -> Void) -> PlumbError? {
    let firstFailure = Mutex<(row: Int, error: PlumbError)?>(nil)
    parallelChunks(rows, grain: grain) { range in
        for r in range {
            do throws(PlumbError) {
                try body(r)
            } catch {
                let failure = error.at(row: r)
                firstFailure.withLock { current in
                    if current == nil || r < current!.row { current = (r, failure) }
                }
                // Later rows in this chunk cannot be the first failure; still compute them.
            }
        }
    }
    return firstFailure.withLock { $0?.error }
}
