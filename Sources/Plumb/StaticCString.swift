/// A NUL-terminated copy of `s` that lives for the rest of the process (for static C strings).
func staticCString(_ s: String) -> UnsafePointer<CChar> {
    let utf8 = Array(s.utf8CString)
    let p = UnsafeMutablePointer<CChar>.allocate(capacity: utf8.count)
    p.initialize(from: utf8, count: utf8.count)
    return UnsafePointer(p)
}
