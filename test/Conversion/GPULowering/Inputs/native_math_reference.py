"""Inputs and float64 references for gpu-native-math-accuracy.mlir.

    python3 native_math_reference.py OUT_DIR

Writes, as float32 .npy files: the arguments each function is checked on
(rotary angles up to 8192 rad, the ranges of activations and norms, IEEE
special cases) and what NumPy computes for them in float64, rounded to f32.
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
f32 = np.float32


def save(name, array):
    np.save(os.path.join(out, name + ".npy"), np.asarray(array, dtype=f32))


def reference(fn, *args):
    with np.errstate(all="ignore"):
        return fn(*(np.asarray(a, dtype=f32).astype(np.float64) for a in args))


# Rotary angles: every position of an 8192 context times every frequency of
# a 128-wide head with base 10000, and random angles of either sign.
positions = np.arange(8192, dtype=np.float64)
inv_freq = 10000.0 ** (-np.arange(0, 128, 2, dtype=np.float64) / 128)
angles = np.concatenate([
    (positions[:, None] * inv_freq[None, :]).astype(f32).ravel()[::7],
    rng.uniform(-200, 200, 20000).astype(f32),
    np.array([0.0, -0.0, 1e-30, np.pi / 4, np.pi / 2, np.pi, 3 * np.pi / 2,
              1e5, -1e5, np.inf, -np.inf, np.nan], dtype=f32),
])
save("angles", angles)
save("sin", reference(np.sin, angles))
save("cos", reference(np.cos, angles))

# Powers: positive bases to any exponent, negative bases to integers and to
# fractions (NaN), zeros, ones and infinities.
base = np.concatenate([
    rng.uniform(0, 50, 4000),
    rng.uniform(-8, 0, 2000),
    rng.uniform(-8, 0, 1000),
    np.array([0.0, -0.0, 0.0, -0.0, 1.0, 1.0, -1.0, -1.0, 2.0, 0.5, -2.0,
              np.inf, -np.inf, np.nan, 1.0]),
]).astype(f32)
exponent = np.concatenate([
    rng.uniform(-6, 6, 4000),
    rng.integers(-7, 8, 2000).astype(np.float64),
    rng.uniform(-3, 3, 1000),
    np.array([3.0, 3.0, -3.0, -3.0, np.nan, np.inf, np.inf, 0.5, -np.inf,
              np.inf, 0.0, 2.0, 3.0, 0.0, -np.inf]),
]).astype(f32)
save("base", base)
save("exponent", exponent)
save("pow", reference(np.power, base, exponent))

# rsqrt of variances, fmod of positions.
variance = np.concatenate([rng.uniform(1e-6, 1e3, 5000), [0.0, np.inf]])
save("variance", variance)
save("rsqrt", reference(lambda v: 1 / np.sqrt(v), variance))
numerator = rng.uniform(-1000, 1000, 5000)
denominator = rng.uniform(0.5, 64, 5000)
save("numerator", numerator)
save("denominator", denominator)
save("fmod", reference(np.fmod, numerator, denominator))

# The upstream approximations and expansions, on the ranges they meet.
x = rng.uniform(-6, 6, 5000).astype(f32)
save("x", x)
positive = rng.uniform(1e-3, 1e3, 5000).astype(f32)
save("positive", positive)
unit = rng.uniform(-0.999, 0.999, 5000).astype(f32)
save("unit", unit)
save("log", reference(np.log, positive))
save("tanh", reference(np.tanh, x))
save("tan", reference(np.tan, unit))
save("sinh", reference(np.sinh, x))
save("atan", reference(np.arctan, x))
save("asin", reference(np.arcsin, unit))
