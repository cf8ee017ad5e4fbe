"""Checks that the files swift-autograd wrote (swift_written.*, made by Checkpoint.write and
NumPy.writeNPY; IOTests checks that the writer still produces exactly these bytes) load in Python's
safetensors and numpy with the expected values and metadata.

Run from this directory:  python3 check_swift_written.py   (needs numpy and safetensors from PyPI)
"""
import zipfile
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

expected = {
    "w": (np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(4)).astype(np.float32),
    "b": np.array([-1.5, 2.0 ** -30, 1e300], dtype=np.float64),
    "idx": np.array([-3, 0, 2 ** 40], dtype=np.int64),
    "m": np.array([[True, False], [False, True]]),
    "s": np.array(7.0),
}

def same(got, label):
    assert set(got) == set(expected), (label, sorted(got))
    for k, v in expected.items():
        assert got[k].dtype == v.dtype and got[k].shape == v.shape and np.array_equal(got[k], v), (label, k, got[k])
    print(f"{label}: {len(got)} tensors equal")

same(load_file("swift_written.safetensors"), "safetensors.numpy.load_file")
with safe_open("swift_written.safetensors", framework="numpy") as f:
    assert f.metadata() == {"epoch": "3", "format": "np"}, f.metadata()
    same({k: f.get_tensor(k) for k in f.keys()}, "safetensors.safe_open")
with np.load("swift_written.npz") as z:
    got = {k: z[k] for k in z.files if k != "__metadata__.json"}
    same(got, "numpy.load(.npz)")
    assert z["__metadata__.json"] == b'{"epoch":"3","format":"np"}', z["__metadata__.json"]
assert zipfile.ZipFile("swift_written.npz").testzip() is None
m = np.load("swift_written_bool.npy")
assert m.dtype == np.bool_ and np.array_equal(m, expected["m"])
# The .npy header is numpy's own, byte for byte.
import io
buf = io.BytesIO(); np.save(buf, expected["m"])
assert open("swift_written_bool.npy", "rb").read() == buf.getvalue()
print("numpy.load(.npy): equal, and byte-identical to numpy.save")
print("all Swift-written files check out")
