"""Self-checks of tfm_ref.py: each reference op against an independent
formulation (scalar loops, algebraic identities, invariants).

    python3 selfcheck_ref.py        # exits 0 and prints "selfcheck OK"
"""

import itertools
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfm_ref as R  # noqa: E402

rng = np.random.default_rng(12345)
CHECKS = 0


def close(a, b, tol=1e-12, what=""):
    global CHECKS
    CHECKS += 1
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    err = np.max(np.abs(a - b)) if a.size else 0.0
    scale = max(1.0, np.max(np.abs(b)) if b.size else 0.0)
    assert err <= tol * scale, f"{what}: max err {err} > {tol * scale}"


def randn(*shape):
    return rng.standard_normal(shape)


# ---------------------------------------------------------------------------
# Scalar-loop attention (written independently of the vectorised one)
# ---------------------------------------------------------------------------


def loop_attention(q, k, v, mask=None, kb=None, vb=None, *, H, Hkv=None, scale=None,
                   causal=False, alpha=None, beta=None, gamma=None):
    Hkv = Hkv or H
    B, Sq, HD = q.shape
    Skv = k.shape[1]
    D = HD // H
    Dv = v.shape[2] // Hkv
    s = scale if scale is not None else D ** -0.5
    m4 = None
    if mask is not None:
        m = np.asarray(mask)
        m4 = m.reshape((1,) * (4 - m.ndim) + m.shape)
    out = np.zeros((B, Sq, H * Dv))
    P = 0 if kb is None else kb.shape[1]
    for b in range(B):
        for h in range(H):
            g = h * Hkv // H  # same as h // (H // Hkv)
            assert g == h // (H // Hkv)
            for i in range(Sq):
                qi = [float(q[b, i, h * D + d]) for d in range(D)]
                logits = []  # (logit or None if invisible, value row)
                for p in range(P):
                    lg = s * sum(qi[d] * float(kb[g, p, d]) for d in range(D))
                    logits.append((lg, [float(vb[g, p, e]) for e in range(Dv)]))
                for j in range(Skv):
                    lg = s * sum(qi[d] * float(k[b, j, g * D + d]) for d in range(D))
                    visible = True
                    if m4 is not None:
                        mv = m4[b % m4.shape[0] if m4.shape[0] > 1 else 0,
                                h if m4.shape[1] > 1 else 0,
                                i if m4.shape[2] > 1 else 0,
                                j if m4.shape[3] > 1 else 0]
                        if m4.dtype == np.bool_:
                            visible = bool(mv)
                        else:
                            if mv == -math.inf:
                                visible = False
                            else:
                                lg += float(mv)
                    if causal and j > i + Skv - Sq:
                        visible = False
                    logits.append((lg if visible else None,
                                   [float(v[b, j, g * Dv + e]) for e in range(Dv)]))
                vis = [lg for lg, _ in logits if lg is not None]
                weights = [0.0] * len(logits)
                if vis:
                    mx = max(vis)
                    den = sum(math.exp(x - mx) for x in vis)
                    weights = [0.0 if lg is None else math.exp(lg - mx) / den for lg, _ in logits]
                if alpha is not None:
                    # A = a I + b softmax - c C
                    coeff = [beta[h] * w for w in weights]
                    coeff[P + i] += alpha[h]
                    if causal:
                        for j in range(i + 1):
                            coeff[P + j] -= gamma[h] / (i + 1)
                    else:
                        for j in range(Skv):
                            coeff[P + j] -= gamma[h] / Skv
                    weights = coeff
                for e in range(Dv):
                    out[b, i, h * Dv + e] = sum(w * row[e] for w, (_, row) in zip(weights, logits))
    return out


def check_attention_vs_loops():
    configs = []
    for (B, Sq, Skv, H, Hkv, D, Dv) in [(1, 1, 1, 1, 1, 3, 3), (2, 3, 5, 2, 2, 4, 3),
                                        (1, 4, 4, 4, 2, 5, 2), (2, 2, 6, 3, 1, 2, 4),
                                        (3, 5, 5, 2, 1, 3, 3)]:
        for causal in (False, True):
            for scale in (None, 0.37):
                configs.append(dict(B=B, Sq=Sq, Skv=Skv, H=H, Hkv=Hkv, D=D, Dv=Dv,
                                    causal=causal, scale=scale))
    n = 0
    for c in configs:
        B, Sq, Skv, H, Hkv, D, Dv = (c[x] for x in ("B", "Sq", "Skv", "H", "Hkv", "D", "Dv"))
        q, k, v = randn(B, Sq, H * D), randn(B, Skv, Hkv * D), randn(B, Skv, Hkv * Dv)
        masks = [None,
                 rng.random((Sq, Skv)) > 0.3,
                 rng.random((H, 1, Skv)) > 0.3,
                 rng.random((B, 1, 1, Skv)) > 0.3,
                 rng.random((B, H, Sq, Skv)) > 0.5,
                 np.where(rng.random((1, Sq, Skv)) > 0.3, randn(1, Sq, Skv), -np.inf),
                 randn(B, 1, Sq, Skv)]
        for mask in masks:
            for bias in (False, True):
                if c["causal"] and Sq > Skv and not bias:
                    continue
                kb = randn(Hkv, 2, D) if bias else None
                vb = randn(Hkv, 2, Dv) if bias else None
                got = R.attention(q, k, v, mask, kb, vb, num_heads=H, num_kv_heads=Hkv,
                                  scale=c["scale"], causal=c["causal"])
                want = loop_attention(q, k, v, mask, kb, vb, H=H, Hkv=Hkv, scale=c["scale"],
                                      causal=c["causal"])
                close(got, want, 1e-12, f"attention vs loops {c} mask={None if mask is None else mask.shape} bias={bias}")
                n += 1
            if Sq == Skv:
                al, be, ga = randn(H), randn(H), randn(H)
                got = R.attention(q, k, v, mask, num_heads=H, num_kv_heads=Hkv, scale=c["scale"],
                                  causal=c["causal"], alpha=al, beta=be, gamma=ga)
                want = loop_attention(q, k, v, mask, H=H, Hkv=Hkv, scale=c["scale"],
                                      causal=c["causal"], alpha=al, beta=be, gamma=ga)
                close(got, want, 1e-12, f"shaped attention vs loops {c}")
                n += 1
    return n


def check_attention_identities():
    B, Sq, Skv, H, Hkv, D, Dv = 2, 4, 6, 4, 2, 5, 3
    q, k, v = randn(B, Sq, H * D), randn(B, Skv, Hkv * D), randn(B, Skv, Hkv * Dv)

    # GQA == MHA with the kv heads repeated.
    g = np.arange(H) // (H // Hkv)
    k_rep = k.reshape(B, Skv, Hkv, D)[:, :, g].reshape(B, Skv, H * D)
    v_rep = v.reshape(B, Skv, Hkv, Dv)[:, :, g].reshape(B, Skv, H * Dv)
    for causal in (False, True):
        close(R.attention(q, k, v, num_heads=H, num_kv_heads=Hkv, causal=causal),
              R.attention(q, k_rep, v_rep, num_heads=H, causal=causal), 1e-13, "GQA == repeated MHA")

    # MHA == per-head single-head attention.
    kk, vv = randn(B, Skv, H * D), randn(B, Skv, H * Dv)
    full = R.attention(q, kk, vv, num_heads=H, causal=True)
    for h in range(H):
        one = R.attention(q[:, :, h * D:(h + 1) * D], kk[:, :, h * D:(h + 1) * D],
                          vv[:, :, h * Dv:(h + 1) * Dv], num_heads=1, causal=True)
        close(full[:, :, h * Dv:(h + 1) * Dv], one, 1e-13, "MHA == per-head")

    # Plain softmax attention written as one matrix expression.
    for h in range(H):
        gh = h // (H // Hkv)
        Q = q[0, :, h * D:(h + 1) * D]
        K = k[0, :, gh * D:(gh + 1) * D]
        V = v[0, :, gh * Dv:(gh + 1) * Dv]
        L = Q @ K.T / math.sqrt(D)
        P = np.exp(L - L.max(1, keepdims=True))
        P /= P.sum(1, keepdims=True)
        close(R.attention(q, k, v, num_heads=H, num_kv_heads=Hkv)[0, :, h * Dv:(h + 1) * Dv],
              P @ V, 1e-13, "matrix form")

    # Default scale == explicit 1/sqrt(D).
    close(R.attention(q, k, v, num_heads=H, num_kv_heads=Hkv),
          R.attention(q, k, v, num_heads=H, num_kv_heads=Hkv, scale=1 / math.sqrt(D)), 0, "default scale")

    # Boolean mask == additive 0/-inf mask; key-padding == truncated keys.
    bm = rng.random((B, 1, Sq, Skv)) > 0.4
    bm[..., 0] = True
    fm = np.where(bm, 0.0, -np.inf)
    close(R.attention(q, k, v, bm, num_heads=H, num_kv_heads=Hkv),
          R.attention(q, k, v, fm, num_heads=H, num_kv_heads=Hkv), 1e-14, "bool == additive")
    pad = np.ones((1, 1, 1, Skv), bool)
    pad[..., 4:] = False
    close(R.attention(q, k, v, pad, num_heads=H, num_kv_heads=Hkv),
          R.attention(q, k[:, :4], v[:, :4], num_heads=H, num_kv_heads=Hkv), 1e-13, "padding == truncation")

    # Bottom-right causal: Sq < Skv equals the last Sq rows of the square case.
    qq = randn(B, Skv, H * D)
    sq_full = R.attention(qq, k, v, num_heads=H, num_kv_heads=Hkv, causal=True)
    tail = R.attention(qq[:, Skv - Sq:], k, v, num_heads=H, num_kv_heads=Hkv, causal=True)
    close(tail, sq_full[:, Skv - Sq:], 1e-13, "bottom-right causal")
    # Causal == explicit lower-triangular (offset) boolean mask.
    tri = np.arange(Skv)[None, :] <= np.arange(Sq)[:, None] + Skv - Sq
    close(R.attention(q, k, v, num_heads=H, num_kv_heads=Hkv, causal=True),
          R.attention(q, k, v, tri, num_heads=H, num_kv_heads=Hkv), 1e-14, "causal == tri mask")
    # Row 0 of a causal square attention is value row 0.
    sq1 = R.attention(qq, k, v, num_heads=H, num_kv_heads=Hkv, causal=True)
    close(sq1[:, 0, :Dv], v[:, 0, :Dv], 1e-14, "causal row 0")

    # Fully masked row -> zeros, other rows unaffected.
    fmask = np.ones((B, H, Sq, Skv), bool)
    fmask[1, 2, 3, :] = False
    out = R.attention(q, k, v, fmask, num_heads=H, num_kv_heads=Hkv)
    assert np.all(out[1, 3, 2 * Dv:3 * Dv] == 0.0)
    ref = R.attention(q, k, v, num_heads=H, num_kv_heads=Hkv)
    out[1, 3, 2 * Dv:3 * Dv] = ref[1, 3, 2 * Dv:3 * Dv]
    close(out, ref, 1e-14, "fully masked row only")
    fneg = np.zeros((Sq, Skv))
    fneg[1] = -np.inf
    assert np.all(R.attention(q, k, v, fneg, num_heads=H, num_kv_heads=Hkv)[:, 1] == 0.0)
    # Causal with Sq > Skv: the first Sq-Skv queries are blind -> zeros.
    qlong = randn(B, Skv + 2, H * D)
    blind = R.attention(qlong, k, v, num_heads=H, num_kv_heads=Hkv, causal=True)
    assert np.all(blind[:, :2] == 0.0)
    close(blind[:, 2:], R.attention(qlong[:, 2:], k, v, num_heads=H, num_kv_heads=Hkv, causal=True),
          1e-14, "blind causal rows")

    # Bias slots == concatenating keys/values and unmasking them.
    P = 3
    kb, vb = randn(Hkv, P, D), randn(Hkv, P, Dv)
    k_cat = np.concatenate([np.broadcast_to(kb.transpose(1, 0, 2).reshape(1, P, Hkv * D), (B, P, Hkv * D)), k], 1)
    v_cat = np.concatenate([np.broadcast_to(vb.transpose(1, 0, 2).reshape(1, P, Hkv * Dv), (B, P, Hkv * Dv)), v], 1)
    for causal, use_mask in itertools.product((False, True), (False, True)):
        vis = np.ones((B, H, Sq, Skv), bool)
        if use_mask:
            vis &= bm
        if causal:
            vis &= tri
        vis_cat = np.concatenate([np.ones((B, H, Sq, P), bool), vis], -1)
        got = R.attention(q, k, v, bm if use_mask else None, kb, vb, num_heads=H, num_kv_heads=Hkv,
                          causal=causal)
        want = R.attention(q, k_cat, v_cat, vis_cat, num_heads=H, num_kv_heads=Hkv)
        close(got, want, 1e-13, f"bias slots == concat (causal={causal}, mask={use_mask})")
    # With bias slots, a fully masked row attends only to the slots.
    got = R.attention(q, k, v, np.zeros((Sq, Skv), bool), kb, vb, num_heads=H, num_kv_heads=Hkv)
    want = R.attention(q, k[:, :0], v[:, :0], None, kb, vb, num_heads=H, num_kv_heads=Hkv)
    close(got, want, 1e-13, "bias slots only")

    # Shaped attention.
    S = 5
    xq, xk, xv = randn(B, S, H * D), randn(B, S, Hkv * D), randn(B, S, Hkv * Dv)
    ones, zeros = np.ones(H), np.zeros(H)
    for causal in (False, True):
        for mask in (None, rng.random((S, S)) > 0.3):
            if mask is not None:
                mask[:, 0] = True
            close(R.attention(xq, xk, xv, mask, num_heads=H, num_kv_heads=Hkv, causal=causal,
                              alpha=zeros, beta=ones, gamma=zeros),
                  R.attention(xq, xk, xv, mask, num_heads=H, num_kv_heads=Hkv, causal=causal),
                  1e-14, "shaped(0,1,0) == plain")
        # alpha = 1 only: identity -> value rows (head-mapped).
        g = np.arange(H) // (H // Hkv)
        v_rep = xv.reshape(B, S, Hkv, Dv)[:, :, g].reshape(B, S, H * Dv)
        close(R.attention(xq, xk, xv, num_heads=H, num_kv_heads=Hkv, causal=causal,
                          alpha=ones, beta=zeros, gamma=zeros), v_rep, 1e-14, "shaped identity")
        # gamma = -1 only: C·V = running mean (causal) or global mean; mask ignored.
        cm = np.cumsum(v_rep, axis=1) / np.arange(1, S + 1)[None, :, None] if causal else \
            np.broadcast_to(v_rep.mean(axis=1, keepdims=True), v_rep.shape)
        any_mask = rng.random((S, S)) > 0.5
        close(R.attention(xq, xk, xv, any_mask, num_heads=H, num_kv_heads=Hkv, causal=causal,
                          alpha=zeros, beta=zeros, gamma=-ones), cm, 1e-13, "shaped C ignores mask")
        # Linearity in (alpha, beta, gamma).
        a1, b1, c1 = randn(H), randn(H), randn(H)
        parts = [R.attention(xq, xk, xv, num_heads=H, num_kv_heads=Hkv, causal=causal,
                             alpha=a, beta=b, gamma=c)
                 for a, b, c in ((a1, zeros, zeros), (zeros, b1, zeros), (zeros, zeros, c1))]
        close(R.attention(xq, xk, xv, num_heads=H, num_kv_heads=Hkv, causal=causal,
                          alpha=a1, beta=b1, gamma=c1), sum(parts), 1e-13, "shaped linearity")

    # dtype follows the query.
    assert R.attention(q.astype(np.float16), k.astype(np.float16), v.astype(np.float16),
                       num_heads=H, num_kv_heads=Hkv).dtype == np.float16


# ---------------------------------------------------------------------------
# Other ops
# ---------------------------------------------------------------------------


def check_linear():
    for shape in [(7,), (3, 7), (2, 3, 7), (2, 1, 3, 7)]:
        x, w, b = randn(*shape), randn(7, 5), randn(5)
        y = R.linear(x, w, b)
        flat = x.reshape(-1, 7)
        want = np.array([[sum(r[kk] * w[kk, n] for kk in range(7)) + b[n] for n in range(5)] for r in flat])
        close(y, want.reshape(shape[:-1] + (5,)), 1e-13, "linear loops")
        close(R.linear(x, w), want.reshape(shape[:-1] + (5,)) - b, 1e-13, "linear no bias")
    x32 = randn(4, 13).astype(np.float32)
    assert R.linear(x32, randn(13, 7).astype(np.float32)).dtype == np.float32


def check_norm():
    x = randn(3, 4, 33) * 3 + 1.5
    g, s = randn(33), randn(33)
    for eps in (0.0, 1e-5, 0.3):
        y = R.norm("layer", x, epsilon=eps)
        close(y.mean(-1), np.zeros((3, 4)), 1e-13, "layer mean")
        var = x.var(-1)
        close(y.var(-1), var / (var + eps), 1e-12, "layer var")
        close(R.norm("layer", x, g, s, eps), y * g + s, 1e-13, "layer affine")
        close(R.norm("layer", x, g, None, eps), y * g, 1e-13, "layer scale only")
        close(R.norm("layer", x, None, s, eps), y + s, 1e-13, "layer shift only")
        r = R.norm("rms", x, epsilon=eps)
        ms = (x * x).mean(-1)
        close((r * r).mean(-1), ms / (ms + eps), 1e-12, "rms mean square")
        close(r / x, np.broadcast_to((1 / np.sqrt(ms + eps))[..., None], x.shape), 1e-12, "rms ratio")
        close(R.norm("rms", x, g, s, eps), r * g + s, 1e-13, "rms affine")
    # Layer norm is shift invariant, rms norm is scale invariant (eps = 0).
    close(R.norm("layer", x + 7.0, epsilon=0.0), R.norm("layer", x, epsilon=0.0), 1e-10, "layer shift-inv")
    close(R.norm("rms", x * 5.0, epsilon=0.0), R.norm("rms", x, epsilon=0.0), 1e-12, "rms scale-inv")
    # Layer norm of a zero-mean row equals rms norm.
    xc = x - x.mean(-1, keepdims=True)
    close(R.norm("layer", xc, epsilon=1e-5), R.norm("rms", xc, epsilon=1e-5), 1e-12, "layer==rms on centred")
    # Scalar loop.
    row = x[1, 2]
    mu = sum(row) / len(row)
    var = sum((t - mu) ** 2 for t in row) / len(row)
    close(R.norm("layer", x, g, s, 1e-5)[1, 2],
          [(t - mu) / math.sqrt(var + 1e-5) * gg + ss for t, gg, ss in zip(row, g, s)], 1e-12, "layer loop")


def check_activation():
    x = np.linspace(-6, 6, 241)
    # Known values.
    close(R.activation("gelu", np.array([1.0, -1.0, 0.0, 2.0])),
          [0.8413447460685429, -0.15865525393145707, 0.0, 1.9544997361036416], 1e-15, "gelu values")
    close(R.erf(np.array([0.5, -1.5])), [math.erf(0.5), math.erf(-1.5)], 0, "erf")
    # gelu_tanh approximates gelu.
    close(R.activation("gelu_tanh", x), R.activation("gelu", x), 1e-3, "gelu_tanh ~ gelu")
    close(R.activation("gelu_tanh", np.array([1.0])),
          [0.5 * (1 + math.tanh(math.sqrt(2 / math.pi) * (1 + 0.044715)))], 1e-15, "gelu_tanh(1)")
    sig = np.array([1 / (1 + math.exp(-t)) for t in x])
    close(R.activation("sigmoid", x), sig, 1e-15, "sigmoid")
    close(R.activation("silu", x), x * sig, 1e-15, "silu")
    close(R.activation("relu", x), np.where(x > 0, x, 0), 0, "relu")
    # Stable in the tails.
    big = np.array([-800.0, 800.0])
    close(R.activation("sigmoid", big), [0.0, 1.0], 0, "sigmoid tails")
    close(R.activation("silu", big), [0.0, 800.0], 0, "silu tails")
    # Gated forms.
    up = randn(241)
    for kind in ("gelu", "gelu_tanh", "relu", "silu", "sigmoid"):
        close(R.activation(kind, x, up), R.activation(kind, x) * up, 1e-15, f"gated {kind}")
    assert R.activation("gelu", x.astype(np.float16)).dtype == np.float16


def check_residual():
    s, a, b, c = randn(4, 5), randn(4, 5), randn(4, 5), randn(4, 5)
    close(R.residual(s, [a]), s + a, 0, "residual default")
    close(R.residual(s, [a, b], 0.5, [1.0, 0.1]), 0.5 * s + a + 0.1 * b, 1e-15, "residual gains")
    close(R.residual(None, [a, b, c], None, [0.0, -2.0, 3.0]), -2 * b + 3 * c, 1e-15, "residual no skip")
    close(R.residual(s, [a], 0.0, [-1.0]), -a, 0, "zero skip gain")


def check_embedding():
    V, D = 11, 4
    t = randn(V, D)
    ids = np.array([[0, 3, -1], [-11, 10, 5]])
    e = R.embedding(ids, t)
    assert e.shape == (2, 3, D)
    for (i, j), idv in np.ndenumerate(ids):
        close(e[i, j], t[idv % V], 0, "embedding row")
    close(R.embedding(np.array(-2), t), t[V - 2], 0, "rank-0 id")
    close(R.embedding(np.array([4], np.int32), t), t[[4]], 0, "i32 ids")


def rot_loop(layout, x, cos, sin, H, R_):
    x = np.asarray(x, dtype=np.float64)
    D = x.shape[-1] // H
    S = x.shape[-2]
    out = x.copy()
    cos4 = np.broadcast_to(cos.reshape((1,) * (x.ndim - cos.ndim) + cos.shape), x.shape[:-1] + (R_ // 2,))
    sin4 = np.broadcast_to(sin.reshape((1,) * (x.ndim - sin.ndim) + sin.shape), x.shape[:-1] + (R_ // 2,))
    for idx in np.ndindex(*x.shape[:-1]):
        for h in range(H):
            for p in range(R_ // 2):
                if layout == "half":
                    ia, ib = h * D + p, h * D + p + R_ // 2
                else:
                    ia, ib = h * D + 2 * p, h * D + 2 * p + 1
                a, b = x[idx + (ia,)], x[idx + (ib,)]
                c, s_ = cos4[idx + (p,)], sin4[idx + (p,)]
                out[idx + (ia,)] = a * c - b * s_
                out[idx + (ib,)] = b * c + a * s_
    assert S == cos.shape[-2]
    return out


def check_rotary():
    B, S, H, D = 2, 5, 3, 8
    x = randn(B, S, H * D)
    for layout in ("half", "interleaved"):
        for Rd in (D, 4, 2):
            ang = randn(S, Rd // 2)
            c, s = np.cos(ang), np.sin(ang)
            y = R.rotary(layout, x, c, s, H, Rd)
            close(y, rot_loop(layout, x, c, s, H, Rd), 1e-14, f"rotary loop {layout} R={Rd}")
            # Per-pair norms preserved; pass-through lanes untouched.
            xh, yh = x.reshape(B, S, H, D), y.reshape(B, S, H, D)
            if layout == "half":
                pa, pb = np.arange(Rd // 2), np.arange(Rd // 2) + Rd // 2
            else:
                pa, pb = 2 * np.arange(Rd // 2), 2 * np.arange(Rd // 2) + 1
            close(xh[..., pa] ** 2 + xh[..., pb] ** 2, yh[..., pa] ** 2 + yh[..., pb] ** 2, 1e-13, "pair norms")
            close(yh[..., Rd:], xh[..., Rd:], 0, "pass-through lanes")
            # Angle zero is the identity; angle composition.
            close(R.rotary(layout, x, np.ones_like(c), np.zeros_like(s), H, Rd), x, 0, "identity")
            ang2 = randn(S, Rd // 2)
            two = R.rotary(layout, R.rotary(layout, x, c, s, H, Rd), np.cos(ang2), np.sin(ang2), H, Rd)
            close(two, R.rotary(layout, x, np.cos(ang + ang2), np.sin(ang + ang2), H, Rd), 1e-13, "composition")
            # Arbitrary (non-unit) tables follow the formula too.
            c2, s2 = randn(B, S, Rd // 2), randn(1, S, Rd // 2)
            c2b = np.broadcast_to(c2, (B, S, Rd // 2))
            close(R.rotary(layout, x, c2, np.broadcast_to(s2, c2.shape), H, Rd),
                  rot_loop(layout, x, c2b, np.broadcast_to(s2, c2b.shape), H, Rd), 1e-14, "rank-3 tables")
        # half and interleaved are the same rotation up to a lane permutation.
        ang = randn(S, D // 2)
        perm = np.concatenate([np.arange(0, D, 2), np.arange(1, D, 2)])  # interleaved -> half order
        full_perm = np.concatenate([h * D + perm for h in range(H)])
        inv = np.argsort(full_perm)
        yi = R.rotary("interleaved", x, np.cos(ang), np.sin(ang), H)
        yh2 = R.rotary("half", x[..., full_perm], np.cos(ang), np.sin(ang), H)
        close(yh2[..., inv], yi, 1e-14, "half vs interleaved permutation")
    # Rank-4 input with rank-3 broadcast tables.
    x4 = randn(2, 3, S, H * D)
    c3 = randn(3, S, 2)
    s3 = randn(1, S, 2)
    close(R.rotary("half", x4, c3, np.broadcast_to(s3, c3.shape), H, 4),
          rot_loop("half", x4, c3, np.broadcast_to(s3, c3.shape), H, 4), 1e-14, "rank-4 rotary")


def main():
    check_linear()
    check_norm()
    check_activation()
    check_residual()
    check_embedding()
    check_rotary()
    check_attention_identities()
    n = check_attention_vs_loops()
    print(f"attention vs scalar loops: {n} configurations")
    print(f"selfcheck OK ({CHECKS} comparisons)")


if __name__ == "__main__":
    main()
