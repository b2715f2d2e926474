import CPlumbCPU
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Threads kept ready between parallel calls (`parallelChunks`).
///
/// A parallel call hands its work to threads that already wait for it: after finishing a job a
/// worker spins for up to `spinNanoseconds` watching for the next one, then sleeps on a condition
/// variable. The spectral search makes a parallel pass every ~0.1 ms, and waking a sleeping thread
/// for each (as `DispatchQueue.concurrentPerform` does) cost 57-87 us per call on a 2-core host,
/// against 4 us here (measured with 0.2 ms of work per thread).
///
/// One job runs at a time: a call that finds the pool busy (another thread's call, or a parallel
/// call from inside a job) returns false and its caller runs the work some other way. Workers are
/// created on first need, at most one fewer than the online cores. After `fork` the child has
/// none of the parent's threads, and the pool starts again empty.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// How long an idle worker spins before it sleeps.
    static let spinNanoseconds: UInt64 = 1_000_000

    private let busy = Atomic<Bool>(false)
    /// Bumped once per job; workers wait for it to change.
    private let generation = Atomic<Int>(0)
    /// Workers that take part in the current job, and those of them not yet done.
    private let participants = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    /// The current job, written only while no worker runs one (ordered by `generation`/`remaining`).
    private nonisolated(unsafe) var job: (() -> Void)? = nil
    /// Workers created; changed only by the holder of `busy` (and after fork).
    private nonisolated(unsafe) var workers = 0
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    private init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_atfork(nil, nil) { WorkerPool.shared.startAgainAfterFork() }
    }

    /// Runs `work` on the calling thread and on up to `helpers` workers at once, and returns when
    /// every one has returned from it; the number of workers that ran it, or nil (nothing run)
    /// when the pool is busy.
    func run(helpers: Int, _ work: () -> Void) -> Int? {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return nil }
        defer { busy.store(false, ordering: .releasing) }
        let current = generation.load(ordering: .relaxed)
        while workers < helpers && spawn(index: workers, seen: current) { workers += 1 }
        let helpers = min(helpers, workers)
        if helpers == 0 {
            work()
            return 0
        }
        withoutActuallyEscaping(work) { work in
            job = work
            participants.store(helpers, ordering: .relaxed)
            remaining.store(helpers, ordering: .relaxed)
            // Under the mutex, so that a worker about to sleep either sees the new generation or
            // is already waiting when the broadcast comes.
            pthread_mutex_lock(mutex)
            generation.add(1, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            work()
            var spins = 0
            while remaining.load(ordering: .acquiring) > 0 { relax(&spins) }
            job = nil  // before withoutActuallyEscaping ends: no reference may outlive the call
        }
        return helpers
    }

    private func spawn(index: Int, seen: Int) -> Bool {
        let context = Unmanaged.passRetained(WorkerStart(pool: self, index: index, seen: seen)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
            start.pool.serve(index: start.index, seen: start.seen)
        }, context) == 0
        if started {
            pthread_detach(thread)
        } else {
            Unmanaged<WorkerStart>.fromOpaque(context).release()
        }
        return started
    }

    /// A worker's life: wait for a job, take part if it is among the job's participants, repeat.
    private func serve(index: Int, seen first: Int) -> Never {
        var seen = first
        while true {
            seen = awaitJob(after: seen)
            if index < participants.load(ordering: .relaxed) {
                runJob()
                remaining.subtract(1, ordering: .releasing)
            }
        }
    }

    /// The job is loaded, called and released inside this function, so the worker holds no
    /// reference to it once it counts itself done.
    @inline(never) private func runJob() { job!() }

    /// Spins for the next generation, then sleeps for it; returns it.
    private func awaitJob(after seen: Int) -> Int {
        let start = monotonicNanoseconds()
        var spins = 0
        while true {
            let g = generation.load(ordering: .acquiring)
            if g != seen { return g }
            if spins & 255 == 255 && monotonicNanoseconds() &- start > WorkerPool.spinNanoseconds { break }
            relax(&spins)
        }
        pthread_mutex_lock(mutex)
        var g = generation.load(ordering: .acquiring)
        while g == seen {
            pthread_cond_wait(wake, mutex)
            g = generation.load(ordering: .acquiring)
        }
        pthread_mutex_unlock(mutex)
        return g
    }

    /// One step of a busy wait; every 256 steps the thread also yields, so that waiting never
    /// keeps a thread it waits for off an oversubscribed (or serialised, as under valgrind) CPU.
    @inline(__always) private func relax(_ spins: inout Int) {
        spins += 1
        if spins & 255 == 0 { sched_yield() } else { plumbcpu_pause() }
    }

    /// The `fork` child's handler: the workers, and any job the parent ran, did not come along.
    private func startAgainAfterFork() {
        workers = 0
        job = nil
        participants.store(0, ordering: .relaxed)
        remaining.store(0, ordering: .relaxed)
        busy.store(false, ordering: .relaxed)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }
}

private final class WorkerStart {
    let pool: WorkerPool
    let index: Int
    let seen: Int
    init(pool: WorkerPool, index: Int, seen: Int) {
        self.pool = pool
        self.index = index
        self.seen = seen
    }
}

@inline(__always) private func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}
