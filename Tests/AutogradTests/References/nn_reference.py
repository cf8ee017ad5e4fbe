"""Independent reference values for Tests/AutogradTests/NNTests.swift and LossTests.swift.

Plain numpy (+ scipy.special.erf), float64, written from the PyTorch documentation's formulas
(torch itself is not quickly pip-installable from PyPI here). Run:
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy scipy
    /tmp/venv/bin/python Tests/AutogradTests/References/nn_reference.py
Inputs are deterministic patterns that the Swift tests rebuild: pattern(shape, a, b)[k] =
sin(a*k + b) for the row-major flat index k.
"""
import numpy as np
from scipy.special import erf

np.set_printoptions(precision=17)


def pattern(shape, a, b):
    n = int(np.prod(shape)) if len(shape) else 1
    return np.sin(a * np.arange(n) + b).reshape(shape)


def show(name, v):
    v = np.asarray(v, dtype=np.float64)
    print(f"{name}: {v.shape} {[float(repr_) for repr_ in v.ravel()]}")


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def softplus(z):
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def log_softmax(z, axis=-1):
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


# ---- activations
x = np.array([-2.0, -0.5, 0.3, 1.7])
show("leakyRelu(0.1)", np.where(x > 0, x, 0.1 * x))
show("elu(1)", np.where(x > 0, x, np.expm1(x)))
show("elu(0.5)", np.where(x > 0, x, 0.5 * np.expm1(x)))
alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
show("selu", scale * np.where(x > 0, x, alpha * np.expm1(x)))
show("gelu", 0.5 * x * (1 + erf(x / np.sqrt(2))))
show("gelu tanh", 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3))))
show("softplus(beta 2)", softplus(2 * x) / 2)
show("erf", erf(x))

# ---- linear
lx = pattern((2, 3), 0.7, 0.2)
lw = pattern((3, 4), 0.3, -0.4)
lb = pattern((4,), 1.1, 0.5)
show("linear", lx @ lw + lb)

# ---- losses
logits = pattern((3, 4), 0.9, 0.1) * 2
labels = np.array([1, 0, 3])
per = -log_softmax(logits)[np.arange(3), labels]
show("crossEntropy none", per)
show("crossEntropy mean", per.mean())
show("crossEntropy sum", per.sum())
# gradient of the mean cross-entropy: (softmax - onehot) / n
sm = np.exp(log_softmax(logits))
onehot = np.eye(4)[labels]
show("crossEntropy mean grad", (sm - onehot) / 3)
probs = np.abs(pattern((3, 4), 0.5, 0.3)) + 0.1
probs = probs / probs.sum(axis=1, keepdims=True)
show("crossEntropy soft mean", (-(probs * log_softmax(logits)).sum(axis=1)).mean())
show("nllLoss mean", -(log_softmax(logits)[np.arange(3), labels]).mean())
p = sigmoid(pattern((2, 3), 0.8, 0.0) * 3)
t = (pattern((2, 3), 1.3, 0.4) > 0).astype(float)
show("bce mean", (-(t * np.log(p) + (1 - t) * np.log(1 - p))).mean())
z = pattern((2, 3), 0.8, 0.0) * 3
show("bce logits mean", (softplus(z) - z * t).mean())
show("bce logits sum", (softplus(z) - z * t).sum())
big = np.array([-800.0, 800.0, 30.0])
bt = np.array([1.0, 0.0, 1.0])
show("bce logits large none", np.maximum(big, 0) - big * bt + np.log1p(np.exp(-np.abs(big))))
pred = pattern((2, 3), 0.6, 0.2)
targ = pattern((2, 3), 0.4, 1.0)
show("mse mean", ((pred - targ) ** 2).mean())
show("mse sum", ((pred - targ) ** 2).sum())
s = pattern((5,), 0.9, 0.3) * 2
y = np.array([1.0, -1, 1, -1, 1])
show("hinge mean", np.maximum(0, 1 - y * s).mean())
ms = pattern((3, 4), 0.9, 0.1) * 2
per = []
for i, l in enumerate(labels):
    per.append(sum(max(0.0, 1 - ms[i, l] + ms[i, c]) for c in range(4) if c != l) / 4)
show("multiMargin none", per)

# ---- normalisation
bx = pattern((4, 3), 0.45, 0.25) * 2
gamma = np.array([1.0, 0.5, 2.0])
beta = np.array([0.0, 0.1, -0.2])
mu = bx.mean(axis=0)
var = bx.var(axis=0)
show("batchNorm train", (bx - mu) / np.sqrt(var + 1e-5) * gamma + beta)
rm0 = np.array([0.1, 0.2, 0.3]); rv0 = np.array([1.0, 2.0, 0.5])
show("batchNorm running mean", 0.9 * rm0 + 0.1 * mu)
show("batchNorm running var", 0.9 * rv0 + 0.1 * bx.var(axis=0, ddof=1))
show("batchNorm eval", (bx - rm0) / np.sqrt(rv0 + 1e-5) * gamma + beta)
bx4 = pattern((2, 3, 2, 2), 0.31, 0.05)
m4 = bx4.mean(axis=(0, 2, 3), keepdims=True); v4 = bx4.var(axis=(0, 2, 3), keepdims=True)
show("batchNorm 4d train", (bx4 - m4) / np.sqrt(v4 + 1e-5))
lx2 = pattern((2, 3, 4), 0.37, 0.6)
lw2 = pattern((3, 4), 0.5, 0.9) + 1
lb2 = pattern((3, 4), 0.2, 0.1)
m = lx2.mean(axis=(1, 2), keepdims=True); v = lx2.var(axis=(1, 2), keepdims=True)
show("layerNorm [3,4]", (lx2 - m) / np.sqrt(v + 1e-5) * lw2 + lb2)
m = lx2.mean(axis=2, keepdims=True); v = lx2.var(axis=2, keepdims=True)
show("layerNorm [4] plain", (lx2 - m) / np.sqrt(v + 1e-5))

# ---- embedding: d/dW sum(embedding([[0, 2], [0, 0]], W) * G)
G = pattern((2, 2, 3), 0.3, 0.0)
idx = np.array([[0, 2], [0, 0]])
dW = np.zeros((4, 3))
for (i, j), k in np.ndenumerate(idx):
    dW[k] += G[i, j]
show("embedding grad", dW)

# ---- dropout: SplitMix64 draws, element i kept when uniform_i < 1 - p
MASK = (1 << 64) - 1
def splitmix_draw(seed, k):
    z = (seed + (k + 1) * 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)
dx = pattern((2, 5), 0.5, 0.5)
u = np.array([(splitmix_draw(77, k) >> 11) * 2.0 ** -53 for k in range(10)])
show("dropout(0.3, seed 77)", dx.ravel() * (u < 0.7) / 0.7)

# ---- recurrent cells
B, I, H = 2, 3, 4
cx = pattern((B, I), 0.7, 0.1)
ch = pattern((B, H), 0.4, 0.3) * 0.5
cc = pattern((B, H), 0.9, 0.7) * 0.5
W_rnn = pattern((I + H, H), 0.33, 0.2) * 0.5
b_rnn = pattern((H,), 0.5, 0.1) * 0.1
show("rnnCell tanh", np.tanh(np.concatenate([cx, ch], 1) @ W_rnn + b_rnn))
show("rnnCell relu", np.maximum(np.concatenate([cx, ch], 1) @ W_rnn + b_rnn, 0))
W_lstm = pattern((I + H, 4 * H), 0.21, 0.4) * 0.5
b_lstm = pattern((4 * H,), 0.6, 0.2) * 0.1

def lstm_cell(x, h, c):
    zz = np.concatenate([x, h], 1) @ W_lstm + b_lstm
    i, f, o, g = sigmoid(zz[:, :H]), sigmoid(zz[:, H:2*H]), sigmoid(zz[:, 2*H:3*H]), np.tanh(zz[:, 3*H:])
    c2 = f * c + i * g
    return o * np.tanh(c2), c2

h2, c2 = lstm_cell(cx, ch, cc)
show("lstmCell h", h2)
show("lstmCell c", c2)
W_gru = pattern((I + H, 3 * H), 0.27, 0.8) * 0.5
b_gru = pattern((3 * H,), 0.4, 0.6) * 0.1
bh_gru = pattern((3 * H,), 0.8, 0.9) * 0.1

def gru_cell(x, h):
    a = x @ W_gru[:I] + b_gru
    u = h @ W_gru[I:] + bh_gru
    r = sigmoid(a[:, :H] + u[:, :H]); zg = sigmoid(a[:, H:2*H] + u[:, H:2*H])
    n = np.tanh(a[:, 2*H:] + r * u[:, 2*H:])
    return (1 - zg) * n + zg * h

show("gruCell", gru_cell(cx, ch))

# sequences, T = 3
T = 3
xs = pattern((T, B, I), 0.55, 0.35)
h, c = ch, cc
outs = []
for t_ in range(T):
    h, c = lstm_cell(xs[t_], h, c)
    outs.append(h)
show("lstm outputs", np.stack(outs))
show("lstm cell", c)
h = ch
outs = []
for t_ in range(T):
    h = gru_cell(xs[t_], h)
    outs.append(h)
show("gru outputs", np.stack(outs))
h = ch
outs = []
for t_ in range(T):
    h = np.tanh(np.concatenate([xs[t_], h], 1) @ W_rnn + b_rnn)
    outs.append(h)
show("rnn outputs", np.stack(outs))
