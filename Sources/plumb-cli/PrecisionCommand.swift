import ArgumentParser
import CPlumb

/// One row of a precision sweep: a parameter value (scale, gap, ...), a dtype, and the statistics
/// of one formulation against plumb's exact reference.
struct PrecisionRow {
    var parameter: Double
    var dtype: String
    var formulation: String
    var stats: plumb_error_stats
}

/// A kernel `plumb precision` can sweep: its parameter and how to measure one setting.
struct PrecisionSweep {
    var parameterName: String
    var defaultValues: [Double]
    var dtypes: [String]
    var measure: (_ dtype: String, _ parameter: Double) throws -> [PrecisionRow]
}

/// `plumb precision <kernel>`: correct bits and ULP errors across a parameter sweep, as a table
/// or CSV.
struct Precision: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sweep a kernel's precision against plumb's exact reference.",
        discussion: """
            Kernels: \(Precision.sweeps.keys.sorted().joined(separator: ", ")).
            Columns: min bits = -log2 of the largest relative error (values below the format's normal \
            range lose bits even when correctly rounded); max ULP = the largest error in units in the \
            last place at the exact value (plumb_compare); class mismatches = NaN/inf/zero/sign \
            disagreements, counted apart from the ULP statistics.
            """)

    /// Every kernel that can be swept; capabilities add theirs.
    static let sweeps: [String: PrecisionSweep] = [
        "logsumexp": logSumExpSweep,
        "infonce": contrastiveSweep(flat: false),
        "flatnce": contrastiveSweep(flat: true),
        "soft-topk": softTopKSweep,
        "spectral": spectralSweep,
    ]

    @Argument(help: "The kernel to sweep.")
    var kernel: String

    @Option(name: .customLong("dtype"), parsing: .upToNextOption,
            help: "dtypes to measure (default: all the kernel supports).")
    var dtypes: [String] = []

    @Option(name: [.customLong("values"), .customLong("gaps"), .customLong("scales")],
            parsing: .upToNextOption,
            help: "Parameter values (score gaps, input scales, ...), separated by spaces or commas; negative values go after '=' with commas: --gaps=-50,-10,0,30.")
    var values: [String] = []

    /// `values` as finite numbers (`commaSeparated`).
    var parameters: [Double] {
        get throws {
            let numbers: [Double] = try commaSeparated(values, option: "values")
            if let bad = numbers.first(where: { !$0.isFinite }) {
                throw ValidationError("'\(bad)' is not a finite number")
            }
            return numbers
        }
    }

    @Option(help: "Also write the rows as CSV to this file.")
    var csv: String?

    func validate() throws {
        guard Precision.sweeps[kernel] != nil else {
            throw ValidationError("unknown kernel '\(kernel)'; one of: \(Precision.sweeps.keys.sorted().joined(separator: ", "))")
        }
        if let sweep = Precision.sweeps[kernel], let bad = dtypes.first(where: { !sweep.dtypes.contains($0) }) {
            throw ValidationError("\(kernel) has no dtype '\(bad)'; one of: \(sweep.dtypes.joined(separator: ", "))")
        }
        _ = try parameters
    }

    func run() throws {
        let sweep = Precision.sweeps[kernel]!
        let chosen = dtypes.isEmpty ? sweep.dtypes : dtypes
        let given = try parameters
        let params = given.isEmpty ? sweep.defaultValues : given
        // The CSV file is opened before the sweep, so that a path that cannot be written fails at once.
        let csvFile = try csv.map { path in
            guard let f = fopen(path, "w") else { throw RuntimeFailure("cannot write \(path)") }
            return f
        }
        defer { if let csvFile { fclose(csvFile) } }
        var rows: [PrecisionRow] = []
        print(pad(sweep.parameterName, 10) + pad("dtype", 10) + pad("formulation", 22) + pad("min bits", 10) + pad("max ULP", 12) + "class mismatches")
        for (i, value) in params.enumerated() {
            for dtype in chosen {
                for row in try sweep.measure(dtype, value) {
                    rows.append(row)
                    print(pad(formatParameter(value), 10) + pad(dtype, 10) + pad(row.formulation, 22)
                          + pad(format1(row.stats.min_bits), 10) + pad(formatULP(row.stats), 12)
                          + String(row.stats.special_mismatches))
                }
            }
            if params.count > 4 { progress("\(i + 1)/\(params.count) values done") }
        }
        if let csvFile { writeCSV(rows, parameterName: sweep.parameterName, to: csvFile) }
    }
}

func formatParameter(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
}

/// The largest ULP error, or "n/a" when every element is a class mismatch (an overflow, a NaN):
/// those stay out of the ULP figures, which then cover nothing.
func formatULP(_ stats: plumb_error_stats) -> String {
    if stats.count > 0 && stats.special_mismatches == stats.count { return "n/a" }
    let x = stats.max_ulp
    return x < 1e5 ? format1(x) : sci(x)
}

/// A progress line on stderr (the table on stdout stays clean for redirection).
func progress(_ message: String) {
    fputs("  [\(message)]\n", stderr)
}

func writeCSV(_ rows: [PrecisionRow], parameterName: String, to f: UnsafeMutablePointer<FILE>) {
    fputs("\(parameterName),dtype,formulation,min_bits,max_ulp,mean_ulp,max_rel,special_mismatches\n", f)
    for r in rows {
        let s = r.stats
        fputs("\(r.parameter),\(r.dtype),\(r.formulation),\(s.min_bits),\(s.max_ulp),\(s.mean_ulp),\(s.max_rel),\(s.special_mismatches)\n", f)
    }
}
