import ArgumentParser

/// The `plumb` command. Each capability adds its subcommands in its own file
/// (`<Capability>Commands.swift`) and lists them here.
@main
struct PlumbCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plumb",
        abstract: "Numerically careful training kernels, measured against exact references.",
        subcommands: [Demo.self, Precision.self, Bench.self, HessianCommand.self])
}
