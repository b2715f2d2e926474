#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Scratch memory for a call that programs make again and again (the spectral search of a training
/// loop). A block of this size comes from `mmap` and is unmapped when freed, so every call would fault
/// in fresh zeroed pages (2048 x 2048 spectral search: ~390 page faults per call); instead one block,
/// at most `retainedBlockLimit` bytes, is kept process-wide between calls and handed to the next.
/// Concurrent calls each get a block of their own; only one is kept. The elements start
/// uninitialised. Like `WorkBuffer`, a size the machine cannot provide is `PlumbError.noMemory`.
public struct RetainedBuffer: ~Copyable {
    public let base: UnsafeMutablePointer<Double>
    private let block: UnsafeMutableRawPointer

    /// - Parameter what: names the buffer in the error message.
    public init(count: Int, _ what: @autoclosure () -> String) throws(PlumbError) {
        let (payload, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Double>.stride)
        guard count >= 0, !overflow, payload <= Int.max - blockHeader else {
            throw .noMemory("cannot allocate \(what()): \(count) binary64 values")
        }
        if let kept = UnsafeMutableRawPointer(bitPattern: retainedBlock.exchange(0, ordering: .acquiring)) {
            if kept.load(as: Int.self) >= payload {
                block = kept
                base = (kept + blockHeader).bindMemory(to: Double.self, capacity: max(count, 1))
                return
            }
            free(kept)
        }
        var raw: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&raw, blockHeader, blockHeader + payload) == 0, let raw else {
            throw .noMemory("cannot allocate \(what()): \(count) binary64 values")
        }
        raw.storeBytes(of: payload, as: Int.self)
        block = raw
        base = (raw + blockHeader).bindMemory(to: Double.self, capacity: max(count, 1))
    }

    deinit {
        guard block.load(as: Int.self) <= retainedBlockLimit else { return free(block) }
        let previous = retainedBlock.exchange(UInt(bitPattern: block), ordering: .acquiringAndReleasing)
        if let previous = UnsafeMutableRawPointer(bitPattern: previous) { free(previous) }
    }
}

/// The largest block kept between calls, in bytes (the spectral search of a float32 or float64
/// matrix with up to ~10,000 columns).
public let retainedBlockLimit = 8 << 20

/// One cache line: the block's payload size in bytes, then padding, so the payload is 64-byte aligned.
private let blockHeader = 64

/// The kept block's address (0: none).
private let retainedBlock = Atomic<UInt>(0)
