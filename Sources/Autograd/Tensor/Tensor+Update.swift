// In-place updates with value semantics: a tensor whose memory nobody else holds is updated where
// it is (one pass, no allocation); otherwise it gets a fresh copy first, as any copy-on-write
// Swift collection does.

extension Tensor {
    /// `self += scale · g`, the optimizer update `p -= lr · g` (NumPy's in-place `p -= lr * g`)
    /// in one pass over memory and without allocating when this tensor's memory is not shared.
    ///
    /// ```swift
    /// for k in params.indices { params[k].addProduct(-0.01, grads[k]) }
    /// ```
    ///
    /// Value semantics are kept: other tensors sharing the memory (copies, views) do not change.
    /// Under differentiation (either tensor traced) it is the ordinary differentiable
    /// `self = self + g * scale`. `g` must have this tensor's shape and dtype.
    public mutating func addProduct(_ scale: Double, _ g: Tensor) {
        require(g.shape == shape, "addProduct: shapes \(shape) and \(g.shape) differ")
        require(g.dtype == dtype && dtype.isFloatingPoint,
                "addProduct: dtypes \(dtype) and \(g.dtype) (shapes \(shape)) must be the same floating-point type")
        if node == nil, g.node == nil, isContiguous, buffer.layout.pointee.owner == nil,
           isKnownUniquelyReferenced(&buffer) {
            Kernels.addProductInPlace(self, scale, g)
        } else {
            self = self + g * scale
        }
    }
}

extension Tensor {
    /// Whether this tensor is an untraced, contiguous buffer of its own that nobody else holds (so
    /// writing into it changes no other tensor).
    var ownsUniqueMemory: Bool {
        mutating get {
            node == nil && isContiguous && buffer.layout.pointee.owner == nil && isKnownUniquelyReferenced(&buffer)
        }
    }
}
