import ArgumentParser
import Glibc

/// `plumb bench [capability]`: runs the benchmark scripts in `benchmarks/` (numpy peers run in the
/// same Python process as plumb, which is what makes the ratios meaningful).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark plumb against numpy (and jax/scipy when installed); run from the repository.")

    @Argument(help: "Capability to benchmark (the NAME of benchmarks/bench_NAME.py); all when omitted.")
    var capability: String?

    @Option(help: "Python interpreter with numpy.")
    var python: String = "python3"

    func run() throws {
        let scripts: [String]
        if let capability {
            scripts = ["benchmarks/bench_\(capability).py"]
        } else {
            scripts = Bench.allScripts()
        }
        guard !scripts.isEmpty else {
            throw RuntimeFailure("no benchmarks/bench_*.py here; run `plumb bench` from the plumb repository")
        }
        Bench.useThisBuild()
        for script in scripts {
            guard access(script, R_OK) == 0 else { throw RuntimeFailure("no benchmark script \(script)") }
            print("== \(script)")
            let status = Bench.runProcess([python, script])
            if status != 0 { throw ExitCode(status) }
        }
    }

    static func allScripts() -> [String] {
        guard let dir = opendir("benchmarks") else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix("bench_") && name.hasSuffix(".py") { names.append("benchmarks/" + name) }
        }
        return names.sorted()
    }

    /// Points the scripts' `import plumb` at the repository's package (`Bindings/python` first on
    /// PYTHONPATH) and, unless PLUMB_LIBRARY is set, at the library built beside this executable, so
    /// that they measure this build (not a copy `make dist` left inside the package).
    static func useThisBuild() {
        let path = getenv("PYTHONPATH").map { "Bindings/python:" + String(cString: $0) } ?? "Bindings/python"
        setenv("PYTHONPATH", path, 1)
        guard getenv("PLUMB_LIBRARY") == nil else { return }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        guard n > 0 else { return }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return }
        let library = String(exe[..<slash]) + "/libplumb.so"
        if access(library, R_OK) == 0 { setenv("PLUMB_LIBRARY", library, 1) }
    }

    /// Runs argv[0] found on PATH, waits, returns its exit status.
    static func runProcess(_ argv: [String]) -> Int32 {
        var pid: pid_t = 0
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        guard posix_spawnp(&pid, argv[0], nil, nil, &cArgs, environ) == 0 else { return 127 }
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
