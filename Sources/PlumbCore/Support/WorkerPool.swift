import CPlumbCPU
import Glibc  // pthreads, as the library's Linux target provides them
import Synchronization

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

    /// How long an idle worker spins before it sleeps: past the serial step between two passes
    /// of the spectral search (~0.1 ms), short enough to cost other programs little (1 ms measured
    /// no faster on the 2048 x 2048 cold search).
    static let spinNanoseconds: UInt64 = 300_000

    private let busy = Atomic<Bool>(false)
    /// The current job's generation (bits 32-63, bumped once per job), whether it is closed to
    /// workers that have not joined yet (bit 31), and how many workers run it (bits 0-30).
    private let state = Atomic<UInt64>(closedBit)
    private static let closedBit: UInt64 = 1 << 31
    private static let activeMask: UInt64 = closedBit - 1
    /// At most this many workers join the current job.
    private let slots = Atomic<Int>(0)
    /// The current job, written only while no worker runs one (ordered by `state`).
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
    /// every one that joined has returned from it; false (nothing run) when the pool is busy.
    ///
    /// `work` must be able to run on any number of threads, doing everything itself if it is
    /// alone (as `parallelChunks`' claiming of chunks does): workers join only while the calling
    /// thread still runs it, so a worker that the OS keeps waiting (cores taken by other
    /// programs' threads) delays nobody.
    func run(helpers: Int, _ work: () -> Void) -> Bool {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { busy.store(false, ordering: .releasing) }
        let generation = state.load(ordering: .relaxed) >> 32
        while workers < helpers && spawn(seen: generation) { workers += 1 }
        guard helpers > 0 && workers > 0 else {
            work()
            return true
        }
        withoutActuallyEscaping(work) { work in
            job = work
            slots.store(min(helpers, workers), ordering: .relaxed)
            // Under the mutex, so that a worker about to sleep either sees the new generation or
            // is already waiting when the broadcast comes.
            pthread_mutex_lock(mutex)
            state.store((generation &+ 1) << 32, ordering: .releasing)
            pthread_cond_broadcast(wake)
            pthread_mutex_unlock(mutex)
            work()
            // Closed: the work is done or taken; wait only for the workers that joined.
            var s = state.bitwiseOr(WorkerPool.closedBit, ordering: .acquiring).newValue
            var spins = 0
            while s & WorkerPool.activeMask != 0 {
                relax(&spins)
                s = state.load(ordering: .acquiring)
            }
            job = nil  // before withoutActuallyEscaping ends: no reference may outlive the call
        }
        return true
    }

    private func spawn(seen: UInt64) -> Bool {
        let context = Unmanaged.passRetained(WorkerStart(pool: self, seen: seen)).toOpaque()
        var thread = pthread_t()
        let started = pthread_create(&thread, nil, { raw in
            let start = Unmanaged<WorkerStart>.fromOpaque(raw!).takeRetainedValue()
            start.pool.serve(seen: start.seen)
        }, context) == 0
        if started {
            pthread_detach(thread)
        } else {
            Unmanaged<WorkerStart>.fromOpaque(context).release()
        }
        return started
    }

    /// A worker's life: wait for a new job, join it if it is open and has a free slot, repeat.
    private func serve(seen first: UInt64) -> Never {
        var seen = first
        while true {
            seen = awaitJob(after: seen)
            if join(seen) {
                runJob()
                state.wrappingSubtract(1, ordering: .releasing)
            }
        }
    }

    /// Counts this worker into job `generation` if that job is still open and not full.
    private func join(_ generation: UInt64) -> Bool {
        // Acquiring: `slots` then belongs to the job this state announces.
        var s = state.load(ordering: .acquiring)
        while true {
            guard s >> 32 == generation, s & WorkerPool.closedBit == 0,
                  Int(s & WorkerPool.activeMask) < slots.load(ordering: .relaxed) else { return false }
            let (exchanged, now) = state.compareExchange(expected: s, desired: s + 1, ordering: .acquiring)
            if exchanged { return true }
            s = now
        }
    }

    /// The job is loaded, called and released inside this function, so the worker holds no
    /// reference to it once it counts itself out.
    @inline(never) private func runJob() { job!() }

    /// Spins for a generation other than `seen`, then sleeps for it; returns it.
    private func awaitJob(after seen: UInt64) -> UInt64 {
        let start = monotonicNanoseconds()
        var spins = 0
        while true {
            let g = state.load(ordering: .relaxed) >> 32
            if g != seen { return g }
            if spins & 255 == 255 && monotonicNanoseconds() &- start > WorkerPool.spinNanoseconds { break }
            relax(&spins)
        }
        pthread_mutex_lock(mutex)
        var g = state.load(ordering: .relaxed) >> 32
        while g == seen {
            pthread_cond_wait(wake, mutex)
            g = state.load(ordering: .relaxed) >> 32
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
        state.store((state.load(ordering: .relaxed) & ~WorkerPool.activeMask) | WorkerPool.closedBit,
                    ordering: .relaxed)
        busy.store(false, ordering: .relaxed)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
    }
}

private final class WorkerStart {
    let pool: WorkerPool
    let seen: UInt64
    init(pool: WorkerPool, seen: UInt64) {
        self.pool = pool
        self.seen = seen
    }
}

@inline(__always) private func monotonicNanoseconds() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
}
