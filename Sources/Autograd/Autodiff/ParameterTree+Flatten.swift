// A parameter tree as one flat vector (HIPS `misc.flatten`), for optimizers and operators that
// work on vectors: L-BFGS, Hessians of a whole model, Hessian–vector products.

extension ParameterTree {
    /// The leaves of this tree concatenated into one vector (row-major within each leaf, leaves in
    /// ``updateTensors(_:)`` order), and a function rebuilding a tree of this structure from such a
    /// vector. Both directions are differentiable.
    ///
    /// ```swift
    /// let (theta, unflatten) = params.flattened()
    /// let loss = { (t: Tensor) in model(unflatten(t), x) }   // a function of one vector
    /// ```
    ///
    /// All leaves must share one dtype, which the vector has.
    public func flattened() -> (vector: Tensor, unflatten: (Tensor) -> Self) {
        let leaves = tensors
        let shapes = leaves.map(\.shape)
        let counts = leaves.map(\.count)
        if let first = leaves.first {
            for l in leaves {
                require(l.dtype == first.dtype, "flattened: leaves have different dtypes (\(first.dtype) and \(l.dtype)); cast them first")
            }
        }
        let vector = leaves.isEmpty ? Tensor.zeros([0])
            : leaves.count == 1 ? leaves[0].reshape([-1]) : concat(leaves.map { $0.reshape([-1]) }, axis: 0)
        let total = counts.reduce(0, +)
        let template = self
        let unflatten = { (v: Tensor) -> Self in
            require(v.shape == [total], "unflatten: expected a vector of \(total) elements, got shape \(v.shape)")
            var start = 0
            var k = 0
            var tree = template
            tree.updateTensors { leaf in
                let n = counts[k]
                leaf = v.slice(axis: 0, start, start + n).reshape(shapes[k])
                start += n
                k += 1
            }
            return tree
        }
        return (vector, unflatten)
    }
}
