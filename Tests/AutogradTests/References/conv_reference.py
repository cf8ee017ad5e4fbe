#!/usr/bin/env python3
"""Reference values for Tests/AutogradTests/ConvolutionTests.swift.

Computes convolution and pooling outputs straight from PyTorch's documented definitions, with
plain numpy loops (no im2col), and cross-checks the ungrouped stride-1 convolution against
scipy.signal.correlate. Run: python3 conv_reference.py  (numpy 2.4.6, scipy 1.17.1 were used).
PyTorch itself was not installable here (its wheel index is unreachable), so these loops stand in
for F.conv2d / F.conv1d / F.conv_transpose2d / F.max_pool2d / F.avg_pool2d.

Inputs are exact small binary fractions, identical to the Swift test's `pattern`:
    value[i] = ((i * a + b) % m - m // 2) / d
so every product and sum below is exact in float64.
"""
import numpy as np
import scipy.signal


def pattern(shape, a, b, m, d):
    n = int(np.prod(shape))
    i = np.arange(n)
    return (((i * a + b) % m - m // 2) / d).reshape(shape).astype(np.float64)


def conv2d(x, w, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), groups=1):
    N, C, H, W = x.shape
    O, Cg, kh, kw = w.shape
    oh = (H + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (W + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    Og = O // groups
    y = np.zeros((N, O, oh, ow))
    for n in range(N):
        for o in range(O):
            g = o // Og
            for r in range(oh):
                for q in range(ow):
                    s = 0.0
                    for c in range(Cg):
                        for i in range(kh):
                            for j in range(kw):
                                ih = r * stride[0] - padding[0] + i * dilation[0]
                                iw = q * stride[1] - padding[1] + j * dilation[1]
                                if 0 <= ih < H and 0 <= iw < W:
                                    s += x[n, g * Cg + c, ih, iw] * w[o, c, i, j]
                    y[n, o, r, q] = s + (0.0 if bias is None else bias[o])
    return y


def conv_transpose2d(x, w, bias=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
    N, I, H, W = x.shape
    _, Og, kh, kw = w.shape
    Ig = I // groups
    O = Og * groups
    oh = (H - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (W - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    y = np.zeros((N, O, oh, ow))
    for n in range(N):
        for ci in range(I):
            g = ci // Ig
            for r in range(H):
                for q in range(W):
                    for o in range(Og):
                        for i in range(kh):
                            for j in range(kw):
                                yh = r * stride[0] - padding[0] + i * dilation[0]
                                yw = q * stride[1] - padding[1] + j * dilation[1]
                                if 0 <= yh < oh and 0 <= yw < ow:
                                    y[n, g * Og + o, yh, yw] += x[n, ci, r, q] * w[ci, o, i, j]
    if bias is not None:
        y += bias.reshape(1, -1, 1, 1)
    return y


def pool2d(x, k, s, p, kind, count_include_pad=True):
    N, C, H, W = x.shape
    oh = (H + 2 * p[0] - k[0]) // s[0] + 1
    ow = (W + 2 * p[1] - k[1]) // s[1] + 1
    y = np.zeros((N, C, oh, ow))
    for n in range(N):
        for c in range(C):
            for r in range(oh):
                for q in range(ow):
                    vals = []
                    for i in range(k[0]):
                        for j in range(k[1]):
                            ih, iw = r * s[0] - p[0] + i, q * s[1] - p[1] + j
                            if 0 <= ih < H and 0 <= iw < W:
                                vals.append(x[n, c, ih, iw])
                    if kind == "max":
                        y[n, c, r, q] = max(vals)
                    else:
                        y[n, c, r, q] = sum(vals) / (k[0] * k[1] if count_include_pad else len(vals))
    return y


def show(name, arr):
    flat = ", ".join(repr(float(v)) for v in arr.ravel())
    print(f"// {name}: shape {list(arr.shape)}")
    print(f"static let {name}: [Double] = [{flat}]")


X = lambda shape: pattern(shape, 7, 3, 11, 4)   # x pattern
K = lambda shape: pattern(shape, 5, 1, 7, 2)    # weight pattern
B = lambda shape: pattern(shape, 3, 2, 5, 8)    # bias pattern

# conv2d
x, w, b = X((2, 3, 6, 7)), K((4, 3, 3, 3)), B((4,))
y = conv2d(x, w, b)
# Independent cross-check: scipy's correlate over (C, H, W) in 'valid' mode, per sample and filter.
ys = np.stack([np.stack([scipy.signal.correlate(x[n], w[o], mode="valid")[0] + b[o] for o in range(4)])
               for n in range(2)])
assert np.array_equal(y, ys), "numpy loops and scipy.signal.correlate disagree"
show("conv2dBasic", y)
show("conv2dStridePad", conv2d(X((2, 3, 7, 6)), K((4, 3, 3, 2)), stride=(2, 3), padding=(1, 2)))
show("conv2dDilation", conv2d(X((1, 2, 7, 7)), K((3, 2, 3, 3)), padding=(2, 2), dilation=(2, 2)))
show("conv2dGroups", conv2d(X((2, 4, 5, 5)), K((6, 2, 3, 3)), B((6,)), padding=(1, 1), groups=2))
show("conv2dDepthwise", conv2d(X((1, 3, 5, 5)), K((3, 1, 2, 2)), stride=(2, 2), padding=(1, 1), groups=3))

# conv1d = conv2d of height 1
def conv1d(x, w, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return conv2d(x[:, :, None, :], w[:, :, None, :], bias, (1, stride), (0, padding), (1, dilation), groups)[:, :, 0, :]

show("conv1dStrideDilation", conv1d(X((2, 3, 9)), K((4, 3, 3)), B((4,)), stride=2, padding=1, dilation=2))
show("conv1dGroups", conv1d(X((1, 3, 8)), K((6, 1, 3)), groups=3))

# transposed conv
show("convTransposeStride", conv_transpose2d(X((2, 4, 3, 4)), K((4, 3, 3, 3)), B((3,)), stride=(2, 2),
                                             padding=(1, 1), output_padding=(1, 1)))
show("convTransposeGroupsDilation", conv_transpose2d(X((1, 4, 3, 3)), K((4, 2, 2, 2)), groups=2, dilation=(2, 2),
                                                     stride=(1, 2), padding=(0, 1)))

# pooling
show("maxPool2dPadded", pool2d(X((2, 2, 7, 6)), (3, 3), (2, 2), (1, 1), "max"))
show("maxPool2d2x2", pool2d(X((1, 2, 4, 6)), (2, 2), (2, 2), (0, 0), "max"))
show("maxPool1d", pool2d(X((2, 2, 9))[:, :, None, :], (1, 3), (1, 2), (0, 1), "max")[:, :, 0, :])
show("avgPool2dPadded", pool2d(X((2, 2, 7, 6)), (3, 3), (2, 2), (1, 1), "avg"))
show("avgPool2dExcludePad", pool2d(X((2, 2, 7, 6)), (3, 2), (2, 1), (1, 1), "avg", count_include_pad=False))
show("avgPool1d", pool2d(X((2, 2, 9))[:, :, None, :], (1, 4), (1, 3), (0, 2), "avg")[:, :, 0, :])
