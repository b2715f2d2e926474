/// The failures every layer below the C ABI reports. The ABI maps each case to a `plumb_status`
/// and its message to `plumb_last_error()`; nothing below the ABI knows about C statuses.
public enum PlumbError: Error, Equatable, Sendable {
    /// An argument is invalid (NULL, size, k, temperature, ...). The message names the argument.
    case argument(String)
    /// Data outside the function's domain; `row` is the first offending row (nil for data without
    /// rows: a gradient vector, a matrix as a whole, a callback's output).
    case domain(row: Int?, String)
    /// An allocation failed.
    case noMemory(String)
    /// An iteration stopped before meeting its tolerance.
    case notConverged(String)
    /// An exact evaluation could not certify its rounding within the precision cap.
    case precision(row: Int, String)

    /// A human-readable description, used verbatim as the C `plumb_last_error()` message.
    public var message: String {
        switch self {
        case .argument(let m), .noMemory(let m), .notConverged(let m): return m
        case .domain(let row?, let m): return "row \(row): \(m)"
        case .domain(nil, let m): return m
        case .precision(let row, let m): return "row \(row): \(m)"
        }
    }

    /// The same failure attributed to `row` (row-wise helpers report per-row failures this way).
    public func at(row: Int) -> PlumbError {
        switch self {
        case .domain(_, let m): return .domain(row: row, m)
        case .precision(_, let m): return .precision(row: row, m)
        default: return self
        }
    }
}
