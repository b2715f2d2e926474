import ArgumentParser
import CPlumb

/// `plumb demo`: the precision story on built-in defaults, one section per capability.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how many bits common formulations keep, against plumb's exact references.")

    /// Every section of the demo, in order. Capabilities append theirs.
    static let sections: [(title: String, run: () -> Void)] = [
        ("logsumexp: naive float formulas vs the exact reference", logSumExpDemo),
        ("contrastive: naive float32 InfoNCE vs plumb InfoNCE and FlatNCE across score gaps", contrastiveDemo),
        ("smooth top-k: the published GradTopK recursion vs plumb", topKDemo),
        ("spectral norm gradient: 10-step power recipe vs certified Lanczos", spectralDemo),
        ("Hessian: exact least-squares Hessian, and which Hessian Adam's v tracks", hessianDemo),
    ]

    func run() throws {
        for (title, section) in Demo.sections {
            print("== \(title)")
            section()
            print("")
        }
    }
}
