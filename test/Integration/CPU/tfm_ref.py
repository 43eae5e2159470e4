"""Independent NumPy reference semantics for every op of the tfm dialect.

This module is the numerical oracle for the CPU lowering. Every function
follows the op description in include/tfm/Dialect/Tfm/IR/TfmOps.td and
nothing else: it computes in float64 and casts the result to the element
type of the op's (first) float operand.

Pure NumPy (no SciPy): erf is math.erf vectorised.
"""

import math

import numpy as np

__all__ = [
    "linear",
    "attention",
    "norm",
    "activation",
    "residual",
    "embedding",
    "rotary",
    "erf",
]

_f64 = np.float64  # compute type; see _set_compute_dtype


def _set_compute_dtype(dtype):
    """For tolerance calibration only (gen_cases.py --calibrate): run the
    reference in a narrower type to mimic a float32 implementation.
    Returns the previous compute type."""
    global _f64
    prev, _f64 = _f64, dtype
    return prev


def _as64(a):
    return np.asarray(a).astype(_f64)


def _out(value, like):
    """Casts a float64 result to the element type of `like`."""
    return np.asarray(value, dtype=_f64).astype(np.asarray(like).dtype)


_erf_scalar = np.vectorize(math.erf, otypes=[_f64])


def erf(x):
    """Elementwise erf in float64 (math.erf, vectorised)."""
    x = _as64(x)
    if x.size == 0:
        return x.copy()
    return _erf_scalar(x)


# ---------------------------------------------------------------------------
# tfm.linear
# ---------------------------------------------------------------------------


def linear(x, w, b=None):
    """result[i..., n] = sum_k x[i..., k] * w[k, n] + b[n]  (w is [K, N])."""
    x = np.asarray(x)
    assert x.ndim >= 1, "linear: input must have rank >= 1"
    w64 = _as64(w)
    assert w64.ndim == 2 and w64.shape[0] == x.shape[-1], "linear: bad weight"
    y = np.tensordot(_as64(x), w64, axes=([x.ndim - 1], [0]))
    if b is not None:
        b64 = _as64(b)
        assert b64.shape == (w64.shape[1],), "linear: bad bias"
        y = y + b64
    return _out(y, x)


# ---------------------------------------------------------------------------
# tfm.attention
# ---------------------------------------------------------------------------


def _softmax_rows_or_zero(logits):
    """Row softmax over the last axis; a row whose logits are all -inf
    (a query that sees no key) gives zeros."""
    row_max = np.max(logits, axis=-1, keepdims=True)
    seen = row_max > -np.inf
    shifted = logits - np.where(seen, row_max, 0.0)
    e = np.exp(shifted)  # exp(-inf) = 0
    denom = np.sum(e, axis=-1, keepdims=True)
    p = e / np.where(seen, denom, 1.0)
    return np.where(seen, p, 0.0)


def attention(
    q,
    k,
    v,
    mask=None,
    key_bias=None,
    value_bias=None,
    *,
    num_heads,
    num_kv_heads=None,
    scale=None,
    causal=False,
    alpha=None,
    beta=None,
    gamma=None,
):
    """Multi-head attention with heads merged in the last dimension.

    q [B, Sq, H*D], k [B, Skv, Hkv*D], v [B, Skv, Hkv*Dv]
    mask: broadcastable (right-aligned) to [B, H, Sq, Skv], rank 2..4;
          bool (True = visible) or float (added to the logits).
    key_bias [Hkv, P, D], value_bias [Hkv, P, Dv]: always-visible slots.
    alpha/beta/gamma: shaped attention (H coefficients each).
    Returns [B, Sq, H*Dv] in q's dtype.
    """
    q = np.asarray(q)
    k = np.asarray(k)
    v = np.asarray(v)
    assert q.ndim == 3 and k.ndim == 3 and v.ndim == 3
    H = int(num_heads)
    Hkv = int(num_kv_heads) if num_kv_heads is not None else H
    assert H % Hkv == 0, "num_heads must be a multiple of num_kv_heads"
    B, Sq, HD = q.shape
    Bk, Skv, KD = k.shape
    Bv, Skv2, VD = v.shape
    assert B == Bk == Bv and Skv == Skv2
    assert HD % H == 0 and KD % Hkv == 0 and VD % Hkv == 0
    D = HD // H
    assert KD // Hkv == D, "query and key head dims differ"
    Dv = VD // Hkv
    s = float(scale) if scale is not None else 1.0 / math.sqrt(D)

    group = H // Hkv
    g = np.arange(H) // group  # query head h reads kv head g[h]

    Q = _as64(q).reshape(B, Sq, H, D).transpose(0, 2, 1, 3)  # [B,H,Sq,D]
    K = _as64(k).reshape(B, Skv, Hkv, D).transpose(0, 2, 1, 3)[:, g]  # [B,H,Skv,D]
    V = _as64(v).reshape(B, Skv, Hkv, Dv).transpose(0, 2, 1, 3)[:, g]  # [B,H,Skv,Dv]

    L = s * np.matmul(Q, K.transpose(0, 1, 3, 2))  # [B,H,Sq,Skv]

    M = np.zeros((1, 1, Sq, Skv), dtype=_f64)
    if mask is not None:
        m = np.asarray(mask)
        assert 2 <= m.ndim <= 4, "mask must have rank 2 to 4"
        target = (B, H, Sq, Skv)
        for i, ext in enumerate(m.shape):
            t = target[4 - m.ndim + i]
            assert ext == 1 or ext == t, f"mask dim {i} ({ext}) does not broadcast to {t}"
        if m.dtype == np.bool_:
            madd = np.where(m, 0.0, -np.inf)
        else:
            madd = m.astype(_f64)
        M = M + madd.reshape((1,) * (4 - m.ndim) + m.shape)
    if causal:
        i = np.arange(Sq)[:, None]
        j = np.arange(Skv)[None, :]
        M = M + np.where(j <= i + (Skv - Sq), 0.0, -np.inf)
    L = L + M  # broadcast to [B,H,Sq,Skv]

    shaped = alpha is not None or beta is not None or gamma is not None
    if shaped:
        assert alpha is not None and beta is not None and gamma is not None
        assert key_bias is None and value_bias is None, "shaped attention takes no bias slots"
        assert Sq == Skv, "shaped attention needs Sq == Skv"
        a = np.asarray(alpha, dtype=_f64).reshape(1, H, 1, 1)
        bt = np.asarray(beta, dtype=_f64).reshape(1, H, 1, 1)
        gm = np.asarray(gamma, dtype=_f64).reshape(1, H, 1, 1)
        assert a.size == H and bt.size == H and gm.size == H
        P = _softmax_rows_or_zero(L)
        eye = np.eye(Sq, Skv, dtype=_f64)
        if causal:
            C = np.tril(np.ones((Sq, Skv), dtype=_f64)) / np.arange(1, Sq + 1, dtype=_f64)[:, None]
        else:
            C = np.full((Sq, Skv), 1.0 / Skv, dtype=_f64)
        A = a * eye + bt * P - gm * C  # [B,H,Sq,Skv]
        out = np.matmul(A, V)
    else:
        if (key_bias is None) != (value_bias is None):
            raise AssertionError("key_bias and value_bias must be given together")
        if key_bias is not None:
            kb = _as64(key_bias)
            vb = _as64(value_bias)
            assert kb.ndim == 3 and kb.shape[0] == Hkv and kb.shape[2] == D
            assert vb.ndim == 3 and vb.shape[0] == Hkv and vb.shape[2] == Dv
            assert kb.shape[1] == vb.shape[1]
            P_ = kb.shape[1]
            KB = kb[g]  # [H,P,D]
            VB = vb[g]  # [H,P,Dv]
            Lb = s * np.einsum("bhqd,hpd->bhqp", Q, KB)
            L = np.concatenate([Lb, L], axis=-1)
            V = np.concatenate([np.broadcast_to(VB[None], (B, H, P_, Dv)), V], axis=2)
        P = _softmax_rows_or_zero(L)
        out = np.matmul(P, V)  # [B,H,Sq,Dv]

    out = out.transpose(0, 2, 1, 3).reshape(B, Sq, H * Dv)
    return _out(out, q)


# ---------------------------------------------------------------------------
# tfm.norm
# ---------------------------------------------------------------------------


def norm(kind, x, scale=None, shift=None, epsilon=0.0):
    """layer: (x - mean) / sqrt(var + eps) * scale + shift  (biased var)
    rms:   x / sqrt(mean(x^2) + eps) * scale + shift; over the last dim."""
    x = np.asarray(x)
    assert x.ndim >= 1
    x64 = _as64(x)
    eps = float(epsilon)
    if kind == "layer":
        mean = np.mean(x64, axis=-1, keepdims=True)
        c = x64 - mean
        var = np.mean(c * c, axis=-1, keepdims=True)
        y = c / np.sqrt(var + eps)
    elif kind == "rms":
        ms = np.mean(x64 * x64, axis=-1, keepdims=True)
        y = x64 / np.sqrt(ms + eps)
    else:
        raise ValueError(f"unknown norm kind {kind!r}")
    if scale is not None:
        y = y * _as64(scale)
    if shift is not None:
        y = y + _as64(shift)
    return _out(y, x)


# ---------------------------------------------------------------------------
# tfm.activation
# ---------------------------------------------------------------------------


def _sigmoid64(x):
    # Numerically stable in both tails.
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


def activation(kind, x, up=None):
    x = np.asarray(x)
    x64 = _as64(x)
    if kind == "gelu":
        y = 0.5 * x64 * (1.0 + erf(x64 / math.sqrt(2.0)))
    elif kind == "gelu_tanh":
        y = 0.5 * x64 * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64 ** 3)))
    elif kind == "relu":
        y = np.maximum(x64, 0.0)
    elif kind == "silu":
        y = x64 * _sigmoid64(x64)
    elif kind == "sigmoid":
        y = _sigmoid64(x64)
    else:
        raise ValueError(f"unknown activation kind {kind!r}")
    if up is not None:
        up = np.asarray(up)
        assert up.shape == x.shape and up.dtype == x.dtype
        y = y * _as64(up)
    return _out(y, x)


# ---------------------------------------------------------------------------
# tfm.residual
# ---------------------------------------------------------------------------


def residual(skip, branches, alpha=None, betas=None):
    """y = alpha * skip + sum_i betas[i] * branches[i]."""
    branches = list(branches)
    assert len(branches) >= 1, "residual needs at least one branch"
    if alpha is not None:
        assert skip is not None, "alpha needs a skip operand"
    if betas is not None:
        assert len(betas) == len(branches)
    like = branches[0]
    y = np.zeros(np.shape(like), dtype=_f64)
    if skip is not None:
        a = 1.0 if alpha is None else float(alpha)
        y = y + a * _as64(skip)
    for i, br in enumerate(branches):
        bi = 1.0 if betas is None else float(betas[i])
        y = y + bi * _as64(br)
    return _out(y, like)


# ---------------------------------------------------------------------------
# tfm.embedding
# ---------------------------------------------------------------------------


def embedding(ids, table):
    """result[i..., :] = table[ids[i...] (+V if negative), :]."""
    ids = np.asarray(ids)
    table = np.asarray(table)
    assert table.ndim == 2
    V = table.shape[0]
    idx = ids.astype(np.int64)
    assert np.all((idx >= -V) & (idx < V)), "ids outside [-V, V) are undefined"
    idx = np.where(idx < 0, idx + V, idx)
    return table[idx].copy()  # exact gather, dtype preserved


# ---------------------------------------------------------------------------
# tfm.rotary
# ---------------------------------------------------------------------------


def rotary(layout, x, cos, sin, num_heads, rotary_dim=None):
    """Rotary embedding on x [..., S, H*D] with tables [..., S, R/2]."""
    x = np.asarray(x)
    assert x.ndim >= 2
    H = int(num_heads)
    W = x.shape[-1]
    assert W % H == 0
    D = W // H
    R = D if rotary_dim is None else int(rotary_dim)
    assert R % 2 == 0 and R <= D
    half = R // 2
    c = _as64(cos)
    sn = _as64(sin)
    assert c.shape == sn.shape
    assert 2 <= c.ndim <= x.ndim and c.shape[-1] == half
    assert c.shape[-2] == x.shape[-2], "cos/sin sequence length must match"
    lead = x.shape[:-1]
    # Right-aligned broadcast of the table's leading dims onto x's; then a
    # head axis of extent 1.
    c = c.reshape((1,) * (x.ndim - c.ndim) + c.shape)
    sn = sn.reshape((1,) * (x.ndim - sn.ndim) + sn.shape)
    np.broadcast_shapes(c.shape[:-1], lead)  # raises if not broadcastable
    c = c[..., None, :]
    sn = sn[..., None, :]

    xh = _as64(x).reshape(lead + (H, D))
    y = xh.copy()
    if layout == "half":
        ia = np.arange(half)
        ib = ia + half
    elif layout == "interleaved":
        ia = 2 * np.arange(half)
        ib = ia + 1
    else:
        raise ValueError(f"unknown rotary layout {layout!r}")
    a = xh[..., ia]
    b = xh[..., ib]
    y[..., ia] = a * c - b * sn
    y[..., ib] = b * c + a * sn
    return _out(y.reshape(x.shape), x)
