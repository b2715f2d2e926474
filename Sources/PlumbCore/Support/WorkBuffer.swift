#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Scratch memory owned by one call. It comes from `malloc`, so a size the machine cannot provide
/// becomes `PlumbError.noMemory` (a status for the caller) instead of the trap a Swift array
/// allocation would be. The elements start uninitialised; the buffer is freed when it goes out of
/// scope.
public struct WorkBuffer<Element: BitwiseCopyable>: ~Copyable {
    public let base: UnsafeMutablePointer<Element>
    public let count: Int

    /// - Parameter what: names the buffer in the error message ("the n x n score matrix").
    public init(count: Int, _ what: @autoclosure () -> String) throws(PlumbError) {
        let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
        guard count >= 0, !overflow, let raw = malloc(bytes) else {
            throw .noMemory("cannot allocate \(what()): \(count) elements of \(MemoryLayout<Element>.stride) bytes")
        }
        base = raw.bindMemory(to: Element.self, capacity: max(count, 1))
        self.count = count
    }

    deinit { free(base) }
}

/// Throws `PlumbError.noMemory` unless `count` elements of `Element` can be allocated now (the
/// memory is freed again at once): the check before code whose scratch lives in Swift arrays,
/// which trap where an allocation fails, so that sizes the machine cannot provide become a status.
public func ensureAllocatable<Element>(
    _ count: Int, of _: Element.Type, _ what: @autoclosure () -> String
) throws(PlumbError) {
    let (bytes, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Element>.stride)
    guard count >= 0, !overflow, let probe = malloc(bytes) else {
        throw .noMemory("cannot allocate \(what()): \(count) elements of \(MemoryLayout<Element>.stride) bytes")
    }
    // The address must escape, or the optimiser removes the malloc-free pair, and the probe with it.
    lastAllocationProbe.store(UInt(bitPattern: probe), ordering: .relaxed)
    free(probe)
}

private let lastAllocationProbe = Atomic<UInt>(0)
