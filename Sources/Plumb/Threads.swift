import CPlumb
import PlumbCore

@_cdecl("plumb_set_num_threads") @implementation
public func plumb_set_num_threads(_ n: Int32) {
    Threads.setLimit(Int(n))
}

@_cdecl("plumb_get_num_threads") @implementation
public func plumb_get_num_threads() -> Int32 {
    Int32(clamping: Threads.limit)
}
