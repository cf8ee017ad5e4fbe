"""Writes the Python-made checkpoint fixtures that IOTests reads (numpy + safetensors from PyPI).

Run from this directory:  python3 make_python_fixtures.py
The values are simple closed forms so the Swift test can state them by hand:
  w   = arange(6).reshape(2, 3) / 4            float32   [[0, .25, .5], [.75, 1, 1.25]]
  b   = [-1.5, 2.0 ** -30, 1e300]              float64
  idx = [-3, 0, 2**40]                          int64
  m   = [[True, False], [False, True]]          bool
  s   = 7.0 (0-d)                               float64
"""
import numpy as np
from safetensors.numpy import save_file

arrays = {
    "w": (np.arange(6, dtype=np.float32).reshape(2, 3) / np.float32(4)).astype(np.float32),
    "b": np.array([-1.5, 2.0 ** -30, 1e300], dtype=np.float64),
    "idx": np.array([-3, 0, 2 ** 40], dtype=np.int64),
    "m": np.array([[True, False], [False, True]]),
    "s": np.array(7.0),
}
save_file(arrays, "python_written.safetensors", metadata={"format": "np", "epoch": "3"})
np.savez("python_written.npz", **arrays)
np.savez_compressed("python_written_compressed.npz", **arrays)
np.save("python_written.npy", arrays["w"])
# Fortran (column-major) order: numpy writes fortran_order True for a transposed view.
np.save("python_fortran.npy", np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3)))
print("wrote fixtures")
