import ArgumentParser

/// The `autograd` command-line tool. One subcommand per file.
@main
struct AutogradCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "autograd",
        abstract: "swift-autograd: train and evaluate classifiers, run the seeds' examples and the benchmarks.",
        subcommands: [TrainCommand.self, EvalCommand.self, ExamplesCommand.self, BenchCommand.self])
}
