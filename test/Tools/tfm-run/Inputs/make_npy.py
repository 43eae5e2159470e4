"""Writes the small .npy inputs the tfm-run error tests use into a folder."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
x = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
np.save(os.path.join(out, "x23.npy"), x)
np.save(os.path.join(out, "x23x2.npy"), 2 * x)
np.save(os.path.join(out, "x24.npy"), np.zeros((2, 4), np.float32))
np.save(os.path.join(out, "i23.npy"), np.zeros((2, 3), np.int64))
with open(os.path.join(out, "garbage.npy"), "wb") as f:
    f.write(b"this is not a numpy file")
