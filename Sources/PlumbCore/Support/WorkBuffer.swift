#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
