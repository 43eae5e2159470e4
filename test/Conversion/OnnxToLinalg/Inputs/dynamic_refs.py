"""Inputs and NumPy references for run-dynamic.mlir, written into a folder.

Shapes here are what the dynamic dimensions (batch, sequence) of the test
functions are bound to at run time.
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def save(name, a):
    np.save(os.path.join(out, name + ".npy"), a)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# @attention: x [B, S, 8] as queries, keys and values of 2 heads of 4.
for b, s in ((2, 5), (1, 1), (3, 7)):
    x = rng.standard_normal((b, s, 8)).astype(np.float32)
    h = x.reshape(b, s, 2, 4).transpose(0, 2, 1, 3)  # [B, 2, S, 4]
    scores = h @ h.transpose(0, 1, 3, 2) / np.float32(2.0)
    causal = np.triu(np.ones((s, s), bool), 1)
    scores = np.where(causal, np.float32(-1e9), scores)
    y = softmax(scores) @ h
    y = y.transpose(0, 2, 1, 3).reshape(b, s, 8)
    save(f"attn_x_{b}x{s}", x)
    save(f"attn_y_{b}x{s}", y.astype(np.float32))

# @slice_gather: x [N, 6] reversed rows from row -2 down (step -2), columns
# 1..4; then rows gathered at run-time indices (negative ones too).
x = rng.standard_normal((9, 6)).astype(np.float32)
idx = np.array([[0, -1], [2, -3]], np.int64)
save("sg_x", x)
save("sg_idx", idx)
sl = x[-2::-2, 1:5]
save("sg_slice", sl)
save("sg_gather", sl[idx])

# @layer_norm_f16: x [B, S, 8] f16, statistics in f32.
x = rng.standard_normal((3, 4, 8)).astype(np.float16)
g = np.linspace(0.5, 1.5, 8).astype(np.float16)
bias = np.linspace(-1, 1, 8).astype(np.float16)
xf = x.astype(np.float32)
mean = xf.mean(-1, keepdims=True)
var = ((xf - mean) ** 2).mean(-1, keepdims=True)
y = (xf - mean) / np.sqrt(var + 1e-5) * g.astype(np.float32) + bias.astype(np.float32)
save("ln_x", x)
save("ln_y", y.astype(np.float16))

# @positions: position ids from an attention mask (cumsum - 1, masked), and
# the argmax of each row; integer and boolean outputs.
mask = np.array([[0, 1, 1, 1, 1], [1, 1, 1, 0, 0]], np.int64)
pos = np.cumsum(mask, axis=1) - 1
pos = np.where(mask == 0, 1, pos)
save("pos_mask", mask)
save("pos_ids", pos.astype(np.int64))
save("pos_argmax", np.argmax(pos, axis=1).astype(np.int64))
save("pos_pad", (mask == 0))
