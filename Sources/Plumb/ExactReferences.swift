import CPlumb
import PlumbCore
import PlumbExact

@_cdecl("plumb_exact_logsumexp") @implementation
public func plumb_exact_logsumexp(
    _ x: UnsafePointer<Double>?, _ rows: Int64, _ cols: Int64, _ out: UnsafeMutablePointer<Double>?
) -> plumb_status {
    withRowStatus({ () throws(PlumbError) -> PlumbError? in
        let rows = try Check.size(rows, "rows")
        let cols = try Check.size(cols, "cols", minimum: 1)
        _ = try Check.elements(rows, cols, elementSize: 8, "x")
        let x = try Check.pointer(x, "x"), out = try Check.pointer(out, "out")
        let rounding = CorrectRounding(cap: ExactSettings.precisionCap)
        return forEachRow(rows) { (r: Int) throws(PlumbError) in
            out[r] = .nan
            out[r] = try exactLogSumExp(UnsafeBufferPointer(start: x + r * cols, count: cols), rounding: rounding)
        }
    })
}

@_cdecl("plumb_exact_set_precision_cap") @implementation
public func plumb_exact_set_precision_cap(_ bits: Int64) -> plumb_status {
    withStatus { () throws(PlumbError) in
        let range = ExactSettings.capRange
        guard bits >= range.lowerBound && bits <= range.upperBound else {
            throw .argument("bits = \(bits) must be in [\(range.lowerBound), \(range.upperBound)]")
        }
        ExactSettings.precisionCap = Int(bits)
    }
}

@_cdecl("plumb_exact_get_precision_cap") @implementation
public func plumb_exact_get_precision_cap() -> Int64 {
    Int64(ExactSettings.precisionCap)
}
