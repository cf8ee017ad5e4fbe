import Foundation

/// A learning rate as a function of the step (or epoch) count, starting at 0. Set
/// ``Optimizer/learningRate`` from it before each update:
///
/// ```swift
/// let schedule = LinearWarmup(steps: 100, then: CosineAnnealing(base: 1e-3, period: 900))
/// for step in 0..<1000 {
///     opt.learningRate = schedule.learningRate(at: step)
///     opt.update(&params, along: grad(loss)(params))
/// }
/// ```
///
/// The formulas are the closed forms of PyTorch's `StepLR`, `ExponentialLR`, `CosineAnnealingLR`
/// and `LinearLR` (as given in `torch.optim.lr_scheduler`'s documentation); schedules compose with
/// ``LinearWarmup`` and ``SequentialSchedule``.
public protocol LearningRateSchedule: Sendable {
    /// The learning rate at step `step` (≥ 0).
    func learningRate(at step: Int) -> Double
}

/// A constant learning rate.
public struct ConstantLearningRate: LearningRateSchedule {
    /// The rate.
    public var base: Double
    /// A constant schedule.
    public init(_ base: Double) { self.base = base }
    /// `base`.
    public func learningRate(at step: Int) -> Double { base }
}

/// `base · γ^⌊step / stepSize⌋` (PyTorch `StepLR`).
public struct StepDecay: LearningRateSchedule {
    /// The initial rate.
    public var base: Double
    /// Steps between decays.
    public var stepSize: Int
    /// The decay factor γ (default 0.1).
    public var gamma: Double
    /// A step-decay schedule.
    public init(base: Double, stepSize: Int, gamma: Double = 0.1) {
        require(stepSize > 0, "StepDecay: stepSize must be positive, got \(stepSize)")
        self.base = base
        self.stepSize = stepSize
        self.gamma = gamma
    }
    /// `base · γ^⌊step / stepSize⌋`.
    public func learningRate(at step: Int) -> Double { base * pow(gamma, Double(step / stepSize)) }
}

/// `base · γ^step` (PyTorch `ExponentialLR`).
public struct ExponentialDecay: LearningRateSchedule {
    /// The initial rate.
    public var base: Double
    /// The factor γ per step.
    public var gamma: Double
    /// An exponential-decay schedule.
    public init(base: Double, gamma: Double) {
        self.base = base
        self.gamma = gamma
    }
    /// `base · γ^step`.
    public func learningRate(at step: Int) -> Double { base * pow(gamma, Double(step)) }
}

/// Cosine annealing from `base` to `minimum` over `period` steps, then held at `minimum`:
/// `minimum + (base − minimum)·(1 + cos(π·step/period))/2` (PyTorch `CosineAnnealingLR`'s closed
/// form; PyTorch's cosine keeps oscillating past `T_max`, this one stops at the minimum).
public struct CosineAnnealing: LearningRateSchedule {
    /// The initial rate.
    public var base: Double
    /// The final rate (PyTorch's `eta_min`, default 0).
    public var minimum: Double
    /// The length of the anneal in steps (PyTorch's `T_max`).
    public var period: Int
    /// A cosine-annealing schedule.
    public init(base: Double, minimum: Double = 0, period: Int) {
        require(period > 0, "CosineAnnealing: period must be positive, got \(period)")
        self.base = base
        self.minimum = minimum
        self.period = period
    }
    /// The annealed rate.
    public func learningRate(at step: Int) -> Double {
        let s = Double(Swift.min(step, period))
        return minimum + (base - minimum) * (1 + cos(Double.pi * s / Double(period))) / 2
    }
}

/// A linear warm-up over `steps` steps into another schedule: at step `s < steps` the rate is
/// `inner(0) · (startFactor + (1 − startFactor)·s/steps)` (PyTorch `LinearLR` with end factor 1);
/// from then on `inner(s − steps)`.
public struct LinearWarmup: LearningRateSchedule {
    /// The warm-up length in steps.
    public var steps: Int
    /// The fraction of the rate at step 0 (default 0).
    public var startFactor: Double
    /// The schedule after warm-up (its step 0 is the first step after warm-up).
    public var inner: any LearningRateSchedule
    /// A linear warm-up into `then`.
    public init(steps: Int, startFactor: Double = 0, then inner: any LearningRateSchedule) {
        require(steps >= 0, "LinearWarmup: steps must be non-negative, got \(steps)")
        self.steps = steps
        self.startFactor = startFactor
        self.inner = inner
    }
    /// A linear warm-up to a constant `base`.
    public init(steps: Int, startFactor: Double = 0, base: Double) {
        self.init(steps: steps, startFactor: startFactor, then: ConstantLearningRate(base))
    }
    /// The warmed-up rate.
    public func learningRate(at step: Int) -> Double {
        if step >= steps { return inner.learningRate(at: step - steps) }
        return inner.learningRate(at: 0) * (startFactor + (1 - startFactor) * Double(step) / Double(steps))
    }
}

/// Schedules one after another (PyTorch `SequentialLR`): `schedules[i]` runs from `milestones[i−1]`
/// (0 for the first) and sees steps counted from its own start.
public struct SequentialSchedule: LearningRateSchedule {
    /// The schedules in order.
    public var schedules: [any LearningRateSchedule]
    /// The steps where each next schedule starts (one fewer than schedules, increasing).
    public var milestones: [Int]
    /// A sequence of schedules switching at `milestones`.
    public init(_ schedules: [any LearningRateSchedule], milestones: [Int]) {
        require(!schedules.isEmpty && milestones.count == schedules.count - 1,
                "SequentialSchedule: need one milestone fewer than schedules, got \(schedules.count) schedules and milestones \(milestones)")
        require(zip(milestones, milestones.dropFirst()).allSatisfy { $0 < $1 }, "SequentialSchedule: milestones \(milestones) must increase")
        self.schedules = schedules
        self.milestones = milestones
    }
    /// The active schedule's rate.
    public func learningRate(at step: Int) -> Double {
        var start = 0, i = 0
        while i < milestones.count && step >= milestones[i] {
            start = milestones[i]
            i += 1
        }
        return schedules[i].learningRate(at: step - start)
    }
}

/// A schedule given by a closure (PyTorch `LambdaLR` with the base folded in).
public struct ScheduleFunction: LearningRateSchedule {
    /// The rate at each step.
    public let function: @Sendable (Int) -> Double
    /// A schedule computing `function(step)`.
    public init(_ function: @escaping @Sendable (Int) -> Double) { self.function = function }
    /// `function(step)`.
    public func learningRate(at step: Int) -> Double { function(step) }
}
