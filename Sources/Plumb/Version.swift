import CPlumb

/// "MAJOR.MINOR.PATCH", built from the header's macros so the two cannot disagree.
private let versionString: UnsafePointer<CChar> = staticCString(
    "\(PLUMB_VERSION_MAJOR).\(PLUMB_VERSION_MINOR).\(PLUMB_VERSION_PATCH)")

@_cdecl("plumb_version") @implementation
public func plumb_version() -> UnsafePointer<CChar>? {
    versionString
}
