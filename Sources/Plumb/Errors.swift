import CPlumb
import Glibc
import PlumbCore

/// Per-thread storage for `plumb_last_error()`: a malloc'd C string owned by the thread, freed by
/// the key's destructor when the thread exits.
private let lastErrorKey: pthread_key_t = {
    var key = pthread_key_t()
    pthread_key_create(&key) { free($0) }
    return key
}()

private let emptyMessage: UnsafePointer<CChar> = staticCString("")

private func setLastError(_ message: String?) {
    let old = pthread_getspecific(lastErrorKey)
    if message == nil && old == nil { return }
    free(old)
    pthread_setspecific(lastErrorKey, message.flatMap { strdup($0) })
}

extension PlumbError {
    var status: plumb_status {
        switch self {
        case .argument: return PLUMB_ERR_ARGUMENT
        case .domain: return PLUMB_ERR_DOMAIN
        case .noMemory: return PLUMB_ERR_NO_MEMORY
        case .notConverged: return PLUMB_ERR_NOT_CONVERGED
        case .precision: return PLUMB_ERR_PRECISION
        }
    }
}

/// Runs one ABI call: clears the thread's last error, maps a thrown `PlumbError` to its status
/// and message.
func withStatus(_ body: () throws(PlumbError) -> Void) -> plumb_status {
    do throws(PlumbError) {
        try body()
        setLastError(nil)
        return PLUMB_OK
    } catch {
        setLastError(error.message)
        return error.status
    }
}

/// `withStatus` for functions that compute row by row: `body` returns the first failing row's
/// error (other rows were still computed) or nil.
func withRowStatus(_ body: () throws(PlumbError) -> PlumbError?) -> plumb_status {
    withStatus { () throws(PlumbError) in
        if let failure = try body() { throw failure }
    }
}

@_cdecl("plumb_last_error") @implementation
public func plumb_last_error() -> UnsafePointer<CChar>? {
    pthread_getspecific(lastErrorKey).map { UnsafePointer($0.assumingMemoryBound(to: CChar.self)) }
        ?? emptyMessage
}

private let statusNames: [UnsafePointer<CChar>] = [
    "ok", "invalid argument", "domain error", "out of memory", "not converged",
    "precision cap reached",
].map(staticCString)
private let unknownStatus = staticCString("unknown status")

@_cdecl("plumb_status_string") @implementation
public func plumb_status_string(_ status: plumb_status) -> UnsafePointer<CChar>? {
    let i = Int(status.rawValue)
    return i < statusNames.count ? statusNames[i] : unknownStatus
}
