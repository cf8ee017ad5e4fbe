// Recurrent cells and sequence layers (time-major input, PyTorch semantics).
//
// Weight layouts (one matrix per layer, rows = [input features; hidden features]):
// - RNN:  weight (I+H, H),  bias (H):  h' = act([x, h]·W + b).
// - LSTM: weight (I+H, 4H), bias (4H), column blocks i, f, o, g (the benchmark W6 order; PyTorch's
//         nn.LSTM stores i, f, g, o): z = [x, h]·W + b; i, f, o = σ(z_i, z_f, z_o), g = tanh(z_g);
//         c' = f·c + i·g; h' = o·tanh(c').
// - GRU:  weight (I+H, 3H), bias (3H), optional hiddenBias (3H), column blocks r, z, n (PyTorch's
//         order): a = x·W_x + b, u = h·W_h + hiddenBias; r = σ(a_r + u_r), z = σ(a_z + u_z),
//         n = tanh(a_n + r·u_n); h' = (1 − z)·n + z·h. With hiddenBias = PyTorch's b_hh and
//         bias = b_ih this is exactly torch.nn.GRU.

/// The activation of an Elman RNN cell.
public enum RNNNonlinearity: Sendable {
    /// `tanh` (PyTorch's default).
    case tanh
    /// `relu`.
    case relu
}

private func checkCell(_ op: String, x: Tensor, h: Tensor, weight: Tensor, bias: Tensor?, gates: Int) {
    require(x.rank == 2 && h.rank == 2 && x.shape[0] == h.shape[0],
            "\(op): input \(x.shape) and hidden state \(h.shape) must be (batch, features) with the same batch")
    let i = x.shape[1], hs = h.shape[1]
    require(weight.shape == [i + hs, gates * hs],
            "\(op): weight of shape \(weight.shape) does not match input \(x.shape) and hidden \(h.shape) (expected [\(i + hs), \(gates * hs)])")
    if let bias { require(bias.shape == [gates * hs], "\(op): bias of shape \(bias.shape) does not match (expected [\(gates * hs)])") }
}

/// One step of an Elman RNN: `h' = nonlinearity([x, h]·weight + bias)`; `x` (B, I), `h` (B, H),
/// `weight` (I+H, H), `bias` (H).
public func rnnCell(_ x: Tensor, _ h: Tensor, weight: Tensor, bias: Tensor? = nil,
                    nonlinearity: RNNNonlinearity = .tanh) -> Tensor {
    checkCell("rnnCell", x: x, h: h, weight: weight, bias: bias, gates: 1)
    let z = linear(concat([x, h], axis: 1), weight: weight, bias: bias)
    switch nonlinearity {
    case .tanh: return tanh(z)
    case .relu: return relu(z)
    }
}

/// One LSTM step: `x` (B, I), `h`, `c` (B, H), `weight` (I+H, 4H) with gate column blocks i, f, o,
/// g, `bias` (4H). Returns the new hidden and cell states.
public func lstmCell(_ x: Tensor, _ h: Tensor, _ c: Tensor, weight: Tensor, bias: Tensor? = nil)
    -> (hidden: Tensor, cell: Tensor) {
    checkCell("lstmCell", x: x, h: h, weight: weight, bias: bias, gates: 4)
    require(c.shape == h.shape, "lstmCell: cell state of shape \(c.shape) differs from hidden state \(h.shape)")
    require(c.dtype == weight.dtype, "lstmCell: dtype mismatch, cell state \(c.dtype) \(c.shape) and weight \(weight.dtype) \(weight.shape)")
    let n = h.shape[1]
    let z = linear(concat([x, h], axis: 1), weight: weight, bias: bias)
    let packed = Primitives.lstmGates([z, c])
    return (packed.slice(axis: 1, 0, n), packed.slice(axis: 1, n, 2 * n))
}

/// The reference composition of the LSTM gate arithmetic: from `[z, c]` the packed `[h', c']`.
func lstmGatesComposed(_ a: [Tensor]) -> Tensor {
    let z = a[0], c = a[1], n = c.shape[1]
    let ifo = sigmoid(z.slice(axis: 1, 0, 3 * n))
    let g = tanh(z.slice(axis: 1, 3 * n, 4 * n))
    let i = ifo.slice(axis: 1, 0, n), f = ifo.slice(axis: 1, n, 2 * n), o = ifo.slice(axis: 1, 2 * n, 3 * n)
    let c2 = f * c + i * g
    return concat([o * tanh(c2), c2], axis: 1)
}

/// The JVP of a primitive computed through its differentiable reference composition `f`: `J·t` as
/// the gradient, with respect to the cotangent `u`, of the (linear in `u`) `Σ_k ⟨VJP_k(u), t_k⟩`.
func jvpThroughComposition(_ f: @escaping ([Tensor]) -> Tensor, tangents t: [Tensor?], args a: [Tensor],
                           resultShape: [Int]) -> Tensor {
    let probe = { (u: Tensor) -> Tensor in
        var total: Tensor?
        let pulled = vjp(f)(a).pullback(u)
        for (k, tk) in t.enumerated() {
            guard let tk else { continue }
            let p = (pulled[k] * tk).sum()
            total = total.map { $0 + p } ?? p
        }
        return total ?? u.sum() * 0.0
    }
    return grad(probe)(Tensor.zeros(resultShape, dtype: a[0].dtype))
}

/// One GRU step (PyTorch `nn.GRUCell`): `x` (B, I), `h` (B, H), `weight` (I+H, 3H) with column
/// blocks r, z, n, `bias` (3H) on the input side and `hiddenBias` (3H) on the hidden side (inside
/// the reset gate's product, as PyTorch's `b_hh`).
public func gruCell(_ x: Tensor, _ h: Tensor, weight: Tensor, bias: Tensor? = nil, hiddenBias: Tensor? = nil) -> Tensor {
    checkCell("gruCell", x: x, h: h, weight: weight, bias: bias, gates: 3)
    if let hiddenBias { require(hiddenBias.shape == [weight.shape[1]], "gruCell: hiddenBias of shape \(hiddenBias.shape) does not match (expected [\(weight.shape[1])])") }
    let i = x.shape[1], n = h.shape[1]
    return gruStep(x, h, inputWeight: weight.slice(axis: 0, 0, i), hiddenWeight: weight.slice(axis: 0, i, i + n),
                   bias: bias, hiddenBias: hiddenBias)
}

/// One GRU step with the weight already split into its input rows (I, 3H) and hidden rows (H, 3H).
private func gruStep(_ x: Tensor, _ h: Tensor, inputWeight: Tensor, hiddenWeight: Tensor, bias: Tensor?,
                     hiddenBias: Tensor?) -> Tensor {
    let n = h.shape[1]
    let a = linear(x, weight: inputWeight, bias: bias)
    let u = linear(h, weight: hiddenWeight, bias: hiddenBias)
    let rz = sigmoid(a.slice(axis: 1, 0, 2 * n) + u.slice(axis: 1, 0, 2 * n))
    let r = rz.slice(axis: 1, 0, n), z = rz.slice(axis: 1, n, 2 * n)
    let candidate = tanh(a.slice(axis: 1, 2 * n, 3 * n) + r * u.slice(axis: 1, 2 * n, 3 * n))
    return candidate + z * (h - candidate)
}

private func checkSequence(_ op: String, _ xs: Tensor, _ h0: Tensor) {
    require(xs.rank == 3, "\(op): input must be time-major (T, B, features), got shape \(xs.shape)")
    require(h0.rank == 2 && h0.shape[0] == xs.shape[1],
            "\(op): initial hidden state of shape \(h0.shape) does not match input \(xs.shape) (expected [\(xs.shape[1]), hidden])")
}

/// An Elman RNN over a time-major sequence `xs` (T, B, I) from `h0` (B, H): all hidden states
/// (T, B, H) and the last one. Weight layout as ``rnnCell(_:_:weight:bias:nonlinearity:)``.
public func rnn(_ xs: Tensor, h0: Tensor, weight: Tensor, bias: Tensor? = nil,
                nonlinearity: RNNNonlinearity = .tanh) -> (outputs: Tensor, hidden: Tensor) {
    checkSequence("rnn", xs, h0)
    var h = h0, outputs: [Tensor] = []
    for t in 0..<xs.shape[0] {
        h = rnnCell(xs[t], h, weight: weight, bias: bias, nonlinearity: nonlinearity)
        outputs.append(h)
    }
    return (outputs.isEmpty ? Tensor.zeros([0] + h0.shape, dtype: h0.dtype) : stack(outputs), h)
}

/// A GRU over a time-major sequence `xs` (T, B, I) from `h0` (B, H): all hidden states (T, B, H) and
/// the last one. Weight layout as ``gruCell(_:_:weight:bias:hiddenBias:)``.
public func gru(_ xs: Tensor, h0: Tensor, weight: Tensor, bias: Tensor? = nil, hiddenBias: Tensor? = nil)
    -> (outputs: Tensor, hidden: Tensor) {
    checkSequence("gru", xs, h0)
    let i = xs.shape[2], n = h0.shape[1]
    var h = h0, outputs: [Tensor] = []
    if xs.shape[0] > 0 {
        // Check the shapes once, with the first step, then split the weight once for every step.
        h = gruCell(xs[0], h, weight: weight, bias: bias, hiddenBias: hiddenBias)
        outputs.append(h)
    }
    let wx = weight.slice(axis: 0, 0, i), wh = weight.slice(axis: 0, i, i + n)
    for t in stride(from: 1, to: xs.shape[0], by: 1) {
        h = gruStep(xs[t], h, inputWeight: wx, hiddenWeight: wh, bias: bias, hiddenBias: hiddenBias)
        outputs.append(h)
    }
    return (outputs.isEmpty ? Tensor.zeros([0] + h0.shape, dtype: h0.dtype) : stack(outputs), h)
}

/// An LSTM over a time-major sequence `xs` (T, B, I) from `h0`, `c0` (B, H): all hidden states
/// (T, B, H) and the last hidden and cell states. Weight (I+H, 4H) with gate column blocks i, f, o,
/// g and bias (4H), as ``lstmCell(_:_:_:weight:bias:)``.
///
/// The whole sequence is one primitive: the input projection of all steps is a single GEMM, each
/// step one more GEMM and the gate nonlinearities on vectorised kernels, and the backward pass is a
/// hand-written backpropagation through time whose weight and input gradients are one GEMM each.
/// Higher-order derivatives stay exact: when the cotangent or an argument is itself being
/// differentiated, the VJP runs the step-by-step composition of ``lstmCell(_:_:_:weight:bias:)``
/// instead (slower, differentiable).
public func lstm(_ xs: Tensor, h0: Tensor, c0: Tensor, weight: Tensor, bias: Tensor? = nil)
    -> (outputs: Tensor, hidden: Tensor, cell: Tensor) {
    checkSequence("lstm", xs, h0)
    require(c0.shape == h0.shape, "lstm: initial cell state of shape \(c0.shape) differs from hidden state \(h0.shape)")
    let inputs = xs.shape[2], hidden = h0.shape[1], steps = xs.shape[0]
    require(weight.shape == [inputs + hidden, 4 * hidden],
            "lstm: weight of shape \(weight.shape) does not match input \(xs.shape) and hidden \(h0.shape) (expected [\(inputs + hidden), \(4 * hidden)])")
    let b = bias ?? Tensor.zeros([4 * hidden], dtype: weight.dtype)
    require(b.shape == [4 * hidden], "lstm: bias of shape \(b.shape) does not match (expected [\(4 * hidden)])")
    for t in [xs, h0, c0, b] {
        require(t.dtype == weight.dtype, "lstm: dtype mismatch, \(t.dtype) tensor of shape \(t.shape) and weight \(weight.dtype) \(weight.shape)")
    }
    require(weight.dtype.isFloatingPoint, "lstm: expected floating-point tensors, got \(weight.dtype)")
    let packed = Primitives.lstmSequence()([xs, h0, c0, weight, b])
    let outputs = packed.slice(axis: 0, 0, steps)
    let last = steps == 0 ? h0 : packed[steps - 1]
    return (outputs, last, packed[steps])
}

/// The reference composition of the LSTM sequence, in the fused primitive's packed layout:
/// (T+1, B, H) with the hidden states in rows 0..<T and the last cell state in row T.
func lstmSequenceComposed(_ a: [Tensor]) -> Tensor {
    var h = a[1], c = a[2]
    var rows: [Tensor] = []
    for t in 0..<a[0].shape[0] {
        (h, c) = lstmCell(a[0][t], h, c, weight: a[3], bias: a[4])
        rows.append(h)
    }
    rows.append(c)
    return stack(rows)
}

extension Primitives {
    /// The fused LSTM over a sequence; args `[xs, h0, c0, W, b]`, result (T+1, B, H). Each
    /// application owns a workspace (gates and cell states saved by the forward pass, and the
    /// backward pass shared by the five argument cotangents).
    static func lstmSequence() -> NaryPrimitive {
        let ws = LSTMWorkspace()
        return NaryPrimitive("lstm",
            forward: { a in
                Kernels.lstmForward(a[0].contiguous(), a[1].contiguous(), a[2].contiguous(), a[3].contiguous(),
                                    a[4].contiguous(), workspace: ws)
            },
            vjp: { g, ans, a, i in
                if g.isTraced || a.contains(where: \.isTraced) || ws.gates == nil {
                    // Higher order: the differentiable composition, pulled back at this level.
                    return vjp(lstmSequenceComposed)(a).pullback(g)[i]
                }
                let inputSize = a[0].shape[2]
                // The five argument cotangents share one backward pass (the engine asks for them
                // in turn with the same `g`); a reused pullback brings a new `g` and a new pass.
                if ws.cotangent?.buffer !== g.buffer || ws.dZ == nil {
                    Kernels.lstmBackward(g, a[1].contiguous(), a[2].contiguous(), a[3].contiguous(),
                                         inputSize: inputSize, workspace: ws)
                    ws.cotangent = g
                }
                let dZ = ws.dZ!
                switch i {
                case 0: return Kernels.lstmInputGradient(dZ, a[3].contiguous(), inputSize: inputSize)
                case 1: return ws.dh0!
                case 2: return ws.dc0!
                case 3: return Kernels.lstmWeightGradient(dZ, a[0].contiguous(), a[1].contiguous(), ans)
                default: return Kernels.columnSums(dZ.reshape([-1, dZ.shape[2]]))
                }
            },
            jvp: { t, _, a in
                jvpThroughComposition(lstmSequenceComposed, tangents: t, args: a, resultShape: lstmSequenceShape(a))
            })
    }

    /// The LSTM gate arithmetic of one step; args `[z, c]`, result B×2H = [h', c']. First-order
    /// VJPs run a kernel; with a traced cotangent or argument (higher order) the VJP runs the
    /// differentiable composition ``lstmGatesComposed(_:)``.
    static let lstmGates = NaryPrimitive("lstmGates",
        forward: { a in Kernels.lstmGatesForward(a[0], a[1]) },
        vjp: { g, ans, a, i in
            if g.isTraced || a.contains(where: \.isTraced) {
                return vjp(lstmGatesComposed)(a).pullback(g)[i]
            }
            return Kernels.lstmGatesBackward(g, a[0], a[1], ans, cell: i == 1)
        },
        jvp: { t, _, a in
            jvpThroughComposition(lstmGatesComposed, tangents: t, args: a, resultShape: [a[0].shape[0], 2 * a[1].shape[1]])
        })
}

/// The shape (T+1, B, H) of the packed LSTM sequence result.
private func lstmSequenceShape(_ a: [Tensor]) -> [Int] { [a[0].shape[0] + 1, a[0].shape[1], a[1].shape[1]] }
