import CNumerics

/// An owned MPFR number. MPFR values live behind an allocated pointer (not a stack `mpfr_t`) so one
/// value can be passed as both source and destination of a call without tripping Swift's
/// exclusivity checks.
public final class MPFRNumber {
    public let raw: UnsafeMutablePointer<__mpfr_struct>

    /// A NaN with `precision` significand bits.
    public init(precision: Int) {
        raw = .allocate(capacity: 1)
        mpfr_init2(raw, mpfr_prec_t(precision))
    }

    /// `value` exactly (`precision` >= 53 makes every binary64 value representable).
    public convenience init(_ value: Double, precision: Int) {
        self.init(precision: max(precision, 53))
        mpfr_set_d(raw, value, MPFR_RNDN)
    }

    deinit {
        mpfr_clear(raw)
        raw.deallocate()
    }

    public var precision: Int { Int(mpfr_get_prec(raw)) }

    /// The value rounded to binary64 in direction `rounding` (handles subnormals and overflow).
    public func double(_ rounding: mpfr_rnd_t = MPFR_RNDN) -> Double {
        mpfr_get_d(raw, rounding)
    }

    public var isZero: Bool { mpfr_zero_p(raw) != 0 }
}
