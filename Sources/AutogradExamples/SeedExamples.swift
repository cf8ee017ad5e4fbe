import Autograd

/// One of the seeds' examples, run: its name and the values it computed.
public struct ExampleResult: Sendable, CustomStringConvertible {
    /// A short name ("taylor sine at π").
    public let name: String
    /// Named numeric results, in order (e.g. `("gradient", -0.9998995297042174)`).
    public let values: [(label: String, value: Double)]

    /// A result with the given name and labelled values.
    public init(name: String, values: [(label: String, value: Double)]) {
        self.name = name
        self.values = values
    }

    /// The first value with the given label, or `nil`: `result["gradient"]`.
    public subscript(label: String) -> Double? {
        values.first { $0.label == label }?.value
    }

    /// The name followed by one `label = value` line per value (values printed in full precision).
    public var description: String {
        ([name] + values.map { "  \($0.label) = \($0.value)" }).joined(separator: "\n")
    }
}

/// Runs every seed example (HIPS autograd and torch-autograd READMEs and tutorials), in order.
public func runSeedExamples() -> [ExampleResult] {
    [
        taylorSineExample(),
        simpleGradientExample(),
        conditionalExample(),
        loopAndRecursionExample(),
        logisticRegressionExample(),
        neuralNetExample(),
        autoencoderExample(),
        customPrimitiveExample(),
    ]
}

// MARK: - Helpers shared by the examples

/// One step of plain gradient descent over any parameter tree: `p ← p − learningRate · g`, leaf by
/// leaf (a gradient has the same structure and leaf order as its parameters).
func sgdStep<P: ParameterTree>(_ params: inout P, _ gradient: P, learningRate: Double) {
    let g = gradient.tensors
    var k = 0
    params.updateTensors { leaf in
        leaf = leaf - learningRate * g[k]
        k += 1
    }
}

/// The sum of the squares of every entry of every leaf of `tree`.
public func sumOfSquares<P: ParameterTree>(_ tree: P) -> Double {
    tree.tensors.reduce(0) { $0 + ($1 * $1).sum().scalar }
}
