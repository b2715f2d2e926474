#if PLUMB_DISPATCHED  // also compiled into PlumbCoreHaswell and PlumbCoreAVX512, which import PlumbCore
import PlumbCore
#endif
import Synchronization

/// Collects the failure of the lowest-numbered failing row across worker threads (so the reported
/// row does not depend on the thread count).
final class FirstRowFailure: @unchecked Sendable {
    private let state = Mutex<(row: Int, error: PlumbError)?>(nil)
    init() {}
    func report(_ row: Int, _ error: PlumbError) {
        state.withLock { current in
            if let c = current, c.row <= row { return }
            current = (row, error)
        }
    }
    var first: PlumbError? { state.withLock { $0?.error } }
}
