import ArgumentParser
import AutogradExamples

/// `autograd examples`: runs the seeds' examples (HIPS autograd and torch-autograd) and prints
/// every value they compute in full precision.
struct ExamplesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "examples",
        abstract: "Run the seeds' examples and print their values in full precision.")

    func run() {
        let results = runSeedExamples()
        let width = results.flatMap { $0.values.map(\.label.count) }.max() ?? 0
        for (k, result) in results.enumerated() {
            if k > 0 { print() }
            print(result.name)
            for (label, value) in result.values {
                print("  \(label.padded(width))  \(fullPrecision(value))")
            }
        }
    }
}
