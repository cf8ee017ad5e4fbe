import Autograd

/// One of the seeds' examples, run: its name and the values it computed.
public struct ExampleResult: Sendable {
    /// A short name ("taylor sine at π").
    public let name: String
    /// Named numeric results, in order (e.g. `("gradient", -0.9998995297042174)`).
    public let values: [(label: String, value: Double)]
}
