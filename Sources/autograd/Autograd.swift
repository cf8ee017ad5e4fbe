import ArgumentParser

/// The `autograd` command-line tool. One subcommand per file; `train` and `eval` will join
/// `examples` and `bench` here.
@main
struct AutogradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autograd",
        abstract: "swift-autograd: the seeds' examples and the benchmark workloads.",
        subcommands: [ExamplesCommand.self, BenchCommand.self])
}
