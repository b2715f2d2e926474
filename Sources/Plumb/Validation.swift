import PlumbCore

/// Argument checks shared by every ABI function. Each throws `PlumbError.argument` with a message
/// naming the argument, so no caller-controlled value reaches a trap.
enum Check {
    /// A pointer the function will use; `name` is the C parameter name.
    static func pointer<P>(_ p: P?, _ name: String) throws(PlumbError) -> P {
        guard let p else { throw .argument("\(name) is NULL") }
        return p
    }

    /// A size that must be >= `minimum`.
    static func size(_ n: Int64, _ name: String, minimum: Int64 = 0) throws(PlumbError) -> Int {
        guard n >= minimum else { throw .argument("\(name) = \(n) must be >= \(minimum)") }
        return Int(n)
    }

    /// The element count `a * b` of an array of `elementSize`-byte values, rejected when the count
    /// or its byte size overflows Int64.
    static func elements(_ a: Int, _ b: Int, elementSize: Int, _ what: String) throws(PlumbError) -> Int {
        let (n, o1) = a.multipliedReportingOverflow(by: b)
        let (_, o2) = n.multipliedReportingOverflow(by: elementSize)
        guard !o1 && !o2 else { throw .argument("\(what): \(a) x \(b) elements overflow the address space") }
        return n
    }
}

extension Check {
    /// A parameter that must be finite and > 0 (temperatures, scales).
    static func positiveFinite(_ v: Double, _ name: String) throws(PlumbError) -> Double {
        guard v.isFinite && v > 0 else { throw .argument("\(name) = \(v) must be finite and > 0") }
        return v
    }

    /// A parameter that must be finite.
    static func finite(_ v: Double, _ name: String) throws(PlumbError) -> Double {
        guard v.isFinite else { throw .argument("\(name) = \(v) must be finite") }
        return v
    }

    /// A C enum value that must be one of `allowed` (raw values).
    ///
    /// The message shows the value as the caller's C `int`: Swift imports these enums (all of
    /// whose constants are >= 0) with an unsigned 32-bit raw value, so a -1 arrives as 4294967295.
    static func enumValue<E: RawRepresentable>(_ v: E, _ name: String, allowed: ClosedRange<E.RawValue>) throws(PlumbError) -> E.RawValue where E.RawValue: FixedWidthInteger {
        guard allowed.contains(v.rawValue) else {
            let passed = Int32(truncatingIfNeeded: v.rawValue)
            throw .argument("\(name) = \(passed) is not a known value")
        }
        return v.rawValue
    }
}
