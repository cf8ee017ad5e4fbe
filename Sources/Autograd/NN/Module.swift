@_spi(Reflection) import Swift
import Synchronization

// The object-style API: a module is a value (a struct) holding its parameters, callable on an
// input. Parameters are found as for any ParameterTree (struct reflection), so gradients, optimizers
// and checkpoints work on modules with no extra code.

/// A layer or model as a value: its parameters are its tensor-valued stored `var` properties (and
/// those of its submodules, arrays, dictionaries and optionals of them), found automatically, and
/// it maps an input to an output.
///
/// Only `var` properties of concrete types are found: a `let` property cannot be updated, so it
/// is a constant of the module (no gradient, not saved), and an existential (`any Module`) or a
/// tuple is opaque to the reflection — keep such layers in a ``Sequential`` or give the field a
/// concrete type.
///
/// ```swift
/// struct MyNet: Module {
///     var hidden = Linear(inputSize: 4, outputSize: 16, seed: 1)
///     var output = Linear(inputSize: 16, outputSize: 3, seed: 2)
///     func callAsFunction(_ x: Tensor) -> Tensor { output(relu(hidden(x))) }
/// }
/// var net = MyNet()
/// var opt = SGD(learningRate: 0.1)
/// let g = grad { (m: MyNet) in crossEntropy(logits: m(x), labels: y) }(net)   // g is a MyNet
/// opt.update(&net, along: g)
/// try net.saveCheckpoint(to: "net.safetensors")          // names "hidden.weight", "output.bias", …
/// ```
///
/// Modules are values: a copy is an independent network (with one documented exception,
/// ``Dropout``'s call counter). Training-mode behaviour (dropout, batch statistics) is switched
/// with ``setTraining(_:)``; a ``BatchNorm`` updates its running statistics through
/// ``ParameterTree/updatingRunningStatistics(_:)``.
public protocol Module: ParameterTree {
    /// The module applied to `x`.
    func callAsFunction(_ x: Tensor) -> Tensor

    /// Switches training-mode behaviour (``Dropout``, ``BatchNorm``) on or off in this module and
    /// its submodules.
    ///
    /// The default implementation recurses, by reflection, into the stored properties whose type
    /// is a concrete `Module` (including ``Sequential``), or an array, optional or dictionary of
    /// one. A module keeping submodules elsewhere (an existential `any Module`) implements it to
    /// reach them.
    mutating func setTraining(_ training: Bool)
}

extension Module {
    /// See ``Module/setTraining(_:)``: recurses into stored properties of concrete module types,
    /// and into arrays, optionals and dictionaries of them (as `model.eval()` reaches a
    /// `ModuleList`).
    public mutating func setTraining(_ training: Bool) {
        _ = _forEachFieldWithKeyPath(of: Self.self) { _, keyPath in
            let valueType = type(of: keyPath).valueType
            if let moduleType = valueType as? any Module.Type {
                func open<V: Module>(_: V.Type) {
                    if let kp = keyPath as? WritableKeyPath<Self, V> { self[keyPath: kp].setTraining(training) }
                }
                open(moduleType)
            } else if let containerType = valueType as? any ModuleContainer.Type {
                func open<V: ModuleContainer>(_: V.Type) {
                    if let kp = keyPath as? WritableKeyPath<Self, V> { self[keyPath: kp].setTrainingOfModules(training) }
                }
                open(containerType)
            }
            return true
        }
    }

    /// A copy in training (`true`) or evaluation (`false`) mode; see ``setTraining(_:)``.
    public func training(_ training: Bool) -> Self {
        var copy = self
        copy.setTraining(training)
        return copy
    }

    /// This module with its parameters frozen (see ``Frozen``).
    public func frozen() -> Frozen<Self> { Frozen(self) }

    /// The number of scalars in all parameter tensors (frozen ones and running statistics included).
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.count } }
}

/// Collections of modules that ``Module/setTraining(_:)`` reaches inside a module's stored
/// properties.
protocol ModuleContainer {
    mutating func setTrainingOfModules(_ training: Bool)
}

extension Array: ModuleContainer where Element: Module {
    mutating func setTrainingOfModules(_ training: Bool) { for i in indices { self[i].setTraining(training) } }
}

extension Optional: ModuleContainer where Wrapped: Module {
    mutating func setTrainingOfModules(_ training: Bool) {
        if case .some(var module) = self {
            module.setTraining(training)
            self = .some(module)
        }
    }
}

extension Dictionary: ModuleContainer where Value: Module {
    mutating func setTrainingOfModules(_ training: Bool) { for k in keys { self[k]!.setTraining(training) } }
}

// MARK: - Freezing

/// A subtree whose tensors are constants for training: they get no gradient (`grad` does not
/// trace them, so their gradient is zero however the function uses them; a frozen module's
/// forward pass also applies them through `stopGradient`) and
/// optimizers neither change them nor keep state for them (optimizers traverse parameter trees
/// inside ``ParameterTraversal/trainable(_:)``, which hides frozen leaves), but they are ordinary
/// leaves everywhere else: saved and restored by ``Checkpoint`` under the same names as unfrozen
/// (freezing adds no name component, so a checkpoint of the unfrozen model loads into the frozen
/// one), listed by ``ParameterTree/tensors``, given (zero) gradients by `grad`.
///
/// ```swift
/// var net = Sequential(pretrained.frozen(), Linear(inputSize: 64, outputSize: 10))
/// let g = grad { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }(net)  // g's "0.…" are zeros
/// opt.update(&net, along: g)                                                       // "0.…" unchanged
/// ```
///
/// The minimisers that work on the whole tree as one vector (``LBFGS``, ``ConjugateGradient``,
/// FISTA, ``CMAES``) see frozen leaves as coordinates with a zero gradient: L-BFGS and
/// conjugate gradients leave them unchanged, but FISTA's proximal step and CMA-ES (which uses no
/// gradient) move them — with those, close over the frozen part instead of passing it.
public struct Frozen<Wrapped: ParameterTree>: ParameterTree {
    /// The frozen subtree.
    public var wrapped: Wrapped

    /// `wrapped`, frozen.
    public init(_ wrapped: Wrapped) { self.wrapped = wrapped }

    /// The wrapped leaves, except inside ``ParameterTraversal/trainable(_:)`` (optimizers).
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        ParameterTraversal.visitingFrozen { wrapped.updateTensors(body) }
    }

    /// The wrapped leaves under the wrapped names (no extra name component), except inside
    /// ``ParameterTraversal/trainable(_:)``.
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        ParameterTraversal.visitingFrozen { wrapped.forEachNamedTensor(prefix: prefix, body) }
    }
}

extension Frozen: Module where Wrapped: Module {
    /// The wrapped module applied with its parameters as constants.
    public func callAsFunction(_ x: Tensor) -> Tensor { stopGradient(wrapped)(x) }

    /// Forwards to the wrapped module (a frozen batch norm in training mode still normalises with
    /// batch statistics and updates its running statistics, as in PyTorch; put it in evaluation
    /// mode to use its running statistics).
    public mutating func setTraining(_ training: Bool) { wrapped.setTraining(training) }
}

// MARK: - Sequential

/// Modules applied one after the other: `Sequential(Linear(…), ReLU(), Linear(…))(x)`.
///
/// The layers may be of any module types. The parameters are named by position:
/// `"0.weight"`, `"0.bias"`, `"2.weight"`… (as PyTorch's `nn.Sequential`), so a gradient, an
/// optimizer's state and a checkpoint of a `Sequential` line up by name.
///
/// ```swift
/// var net = Sequential {
///     Linear(inputSize: 784, outputSize: 128, seed: 1)
///     ReLU()
///     Linear(inputSize: 128, outputSize: 10, seed: 2)
/// }
/// let (loss, g) = valueAndGrad { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }(net)
/// ```
public struct Sequential: Module {
    /// The layers, applied in order.
    public var layers: [any Module]

    /// The layers `layers`, applied in order.
    public init(_ layers: any Module...) { self.layers = layers }

    /// The layers `layers`, applied in order.
    public init(layers: [any Module]) { self.layers = layers }

    /// The layers listed in the closure, applied in order.
    public init(@SequentialBuilder _ build: () -> [any Module]) { self.layers = build() }

    /// `x` through every layer in order.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        var y = x
        for layer in layers { y = layer(y) }
        return y
    }

    /// Every layer's leaves, in layer order.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) {
        for i in layers.indices { layers[i].updateTensors(body) }
    }

    /// Layer `i`'s leaves under `prefix.i` (`"0.weight"` at the top level).
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        for (i, layer) in layers.enumerated() {
            layer.forEachNamedTensor(prefix: prefix.isEmpty ? "\(i)" : "\(prefix).\(i)", body)
        }
    }

    /// Switches every layer.
    public mutating func setTraining(_ training: Bool) {
        for i in layers.indices { layers[i].setTraining(training) }
    }

    /// Adds a layer at the end.
    public mutating func append(_ layer: any Module) { layers.append(layer) }

    /// The number of layers.
    public var count: Int { layers.count }

    /// Layer `i`.
    public subscript(i: Int) -> any Module {
        get {
            require(layers.indices.contains(i), "Sequential: index \(i) is out of range for \(layers.count) layers")
            return layers[i]
        }
        set {
            require(layers.indices.contains(i), "Sequential: index \(i) is out of range for \(layers.count) layers")
            layers[i] = newValue
        }
    }
}

extension Sequential: CustomStringConvertible {
    /// One line per layer with its type and parameter shapes, as PyTorch prints a model:
    ///
    ///     Sequential(
    ///       (0): Linear  weight [4, 8]  bias [8]
    ///       (1): ReLU
    ///     )
    public var description: String {
        var lines = ["Sequential("]
        for (i, layer) in layers.enumerated() {
            let params = layer.namedTensors.map { "\($0.name) \($0.tensor.shape)" }
            let name: String
            if let inner = layer as? Sequential {
                name = inner.description.split(separator: "\n").joined(separator: "\n  ")
            } else {
                name = "\(type(of: layer))" + (params.isEmpty ? "" : "  " + params.joined(separator: "  "))
            }
            lines.append("  (\(i)): " + name)
        }
        lines.append(")")
        return lines.joined(separator: "\n")
    }
}

/// Builds the layer list of `Sequential { … }`: one module per line,
/// `if`, `if`/`else` and `for` allowed.
@resultBuilder
public enum SequentialBuilder {
    /// A single module.
    public static func buildExpression(_ m: any Module) -> [any Module] { [m] }
    /// Several modules.
    public static func buildExpression(_ m: [any Module]) -> [any Module] { m }
    /// Lines in order.
    public static func buildBlock(_ parts: [any Module]...) -> [any Module] { parts.flatMap { $0 } }
    /// An `if` without `else`.
    public static func buildOptional(_ part: [any Module]?) -> [any Module] { part ?? [] }
    /// The `if` branch.
    public static func buildEither(first part: [any Module]) -> [any Module] { part }
    /// The `else` branch.
    public static func buildEither(second part: [any Module]) -> [any Module] { part }
    /// A `for` loop.
    public static func buildArray(_ parts: [[any Module]]) -> [any Module] { parts.flatMap { $0 } }
}

// MARK: - AutoModule and AutoCriterion

/// A module made from a plain function of parameters and input, and its initial parameters
/// (torch-autograd's `AutoModule`): the parameters are the module's leaves, with their own names.
///
/// ```swift
/// let W = Tensor.randn([4, 3], seed: 1), b = Tensor.zeros([3])
/// var layer = AutoModule(parameters: ["W": W, "b": b]) { p, x in tanh(matmul(x, p["W"]!) + p["b"]!) }
/// let g = grad { (m: AutoModule<[String: Tensor]>) in m(x).sum() }(layer)   // g.parameters["W"]
/// ```
public struct AutoModule<Parameters: ParameterTree>: Module {
    /// The parameters passed to ``function``.
    public var parameters: Parameters
    /// The function computing the output from the parameters and the input.
    public let function: (Parameters, Tensor) -> Tensor

    /// A module computing `function(parameters, x)`.
    public init(parameters: Parameters, _ function: @escaping (_ parameters: Parameters, _ input: Tensor) -> Tensor) {
        self.parameters = parameters
        self.function = function
    }

    /// `function(parameters, x)`.
    public func callAsFunction(_ x: Tensor) -> Tensor { function(parameters, x) }

    /// The parameters' leaves.
    public mutating func updateTensors(_ body: (inout Tensor) -> Void) { parameters.updateTensors(body) }

    /// The parameters' leaves under their own names (no `parameters.` component).
    public func forEachNamedTensor(prefix: String, _ body: (String, Tensor) -> Void) {
        parameters.forEachNamedTensor(prefix: prefix, body)
    }

    /// Forwards to the parameters when they are themselves a module; otherwise nothing to switch.
    public mutating func setTraining(_ training: Bool) {
        if var m = parameters as? any Module {
            m.setTraining(training)
            parameters = m as! Parameters
        }
    }
}

/// A loss made from a plain function of prediction and target (torch-autograd's `AutoCriterion`).
///
/// ```swift
/// let criterion = AutoCriterion { yHat, y in ((yHat - y) * (yHat - y)).mean() }
/// let loss = criterion(prediction, target)
/// let dPrediction = criterion.gradient(prediction, target)   // what `backward` gives in torch
/// ```
public struct AutoCriterion {
    /// The loss as a function of prediction and target; must return a single value.
    public let function: (Tensor, Tensor) -> Tensor

    /// A criterion computing `function(prediction, target)`.
    public init(_ function: @escaping (_ prediction: Tensor, _ target: Tensor) -> Tensor) {
        self.function = function
    }

    /// The loss of `prediction` against `target`.
    public func callAsFunction(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let loss = function(prediction, target)
        require(loss.count == 1, "AutoCriterion: the loss must be a single value, got shape \(loss.shape) for prediction \(prediction.shape) and target \(target.shape)")
        return loss
    }

    /// The gradient of the loss with respect to `prediction` (torch's `updateGradInput`).
    public func gradient(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        grad { (p: Tensor) in self(p, target) }(prediction)
    }

    /// The loss and its gradient with respect to `prediction`.
    public func valueAndGradient(_ prediction: Tensor, _ target: Tensor) -> (value: Tensor, gradient: Tensor) {
        valueAndGrad { (p: Tensor) in self(p, target) }(prediction)
    }
}

// MARK: - Running statistics

/// The running statistics computed by batch norm modules during a
/// ``ParameterTree/updatingRunningStatistics(_:)`` body, by module identity.
final class StatisticsRecorder: Sendable {
    private let updates = Mutex<[Int: [Tensor]]>([:])

    func record(_ identity: Int, _ tensors: [Tensor]) {
        updates.withLock { $0[identity] = tensors.map(\.primalData) }
    }

    func update(for identity: Int) -> [Tensor]? { updates.withLock { $0[identity] } }

    var isEmpty: Bool { updates.withLock { $0.isEmpty } }
}

/// Where batch norm modules send and find running-statistics updates.
enum RunningStatistics {
    /// Set while the body of `updatingRunningStatistics` runs: modules in training mode record
    /// their new statistics here.
    @TaskLocal static var recorder: StatisticsRecorder?
    /// Set while the recorded statistics are stored into the tree.
    @TaskLocal static var pending: StatisticsRecorder?
    /// Set while each batch norm of a tree takes a fresh identity, so that copies placed at
    /// different positions (two branches made from one template) are told apart.
    @TaskLocal static var renumbering = false

    private static let counter = Atomic<Int>(0)

    /// A fresh module identity (copies of a module share it; a new module gets a new one).
    static func newIdentity() -> Int { counter.wrappingAdd(1, ordering: .relaxed).newValue }
}

extension ParameterTree {
    /// Runs `body` on this tree — typically a training step's gradient — and then stores into the
    /// tree's ``BatchNorm`` modules the running statistics they computed in training mode during
    /// `body`. Returns what `body` returns.
    ///
    /// Modules are values and a module's forward pass cannot change the module; this is how the
    /// updates computed inside `grad` (on a traced copy of the tree) reach the tree itself. Without
    /// it, a batch norm in training mode normalises with batch statistics but leaves its running
    /// statistics unchanged.
    ///
    /// ```swift
    /// let (loss, g) = net.updatingRunningStatistics { net in
    ///     valueAndGrad { (m: Sequential) in crossEntropy(logits: m(x), labels: y) }(net)
    /// }
    /// opt.update(&net, along: g)
    /// ```
    ///
    /// Each batch norm position in the tree is one module (copies of one template placed at two
    /// positions are updated separately); a batch norm applied several times in `body` keeps the
    /// statistics of its last call.
    public mutating func updatingRunningStatistics<R>(_ body: (Self) throws -> R) rethrows -> R {
        let recorder = StatisticsRecorder()
        RunningStatistics.$renumbering.withValue(true) { self.updateTensors { _ in } }
        let snapshot = self
        let result = try RunningStatistics.$recorder.withValue(recorder) { try body(snapshot) }
        if !recorder.isEmpty {
            RunningStatistics.$pending.withValue(recorder) { self.updateTensors { _ in } }
        }
        return result
    }
}
