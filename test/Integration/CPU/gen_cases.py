"""Generates numerical test cases for the tfm CPU lowering.

    python3 gen_cases.py OUTDIR [--only SUBSTRING] [--tfm-opt PATH] [--calibrate]

For every case, OUTDIR/<case>/ receives
    model.mlir          func.func @main(inputs...) -> (results...)
    in0.npy, in1.npy..  the inputs, in function-argument order
    out0.npy, ...       the reference results (tfm_ref.py), in result order
    tol.txt             "atol rtol" for |out - exp| <= atol + rtol*|exp|
and OUTDIR/cases.txt lists the case names. Generation is deterministic: each
case seeds its own generator from its name, so --only does not change data.

--tfm-opt PATH  parses and verifies every model.mlir with tfm-opt.
--calibrate     recomputes every case with the reference computing in
                float32 (a stand-in for a float32 implementation) and
                prints, per case, the worst error as a fraction of the
                tolerance budget; the case fails calibration above 1.
"""

import argparse
import math
import os
import subprocess
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tfm_ref as R  # noqa: E402

F32, F16 = np.float32, np.float16

_ELT = {
    np.dtype(np.float32): "f32",
    np.dtype(np.float16): "f16",
    np.dtype(np.float64): "f64",
    np.dtype(np.bool_): "i1",
    np.dtype(np.int64): "i64",
    np.dtype(np.int32): "i32",
}

# Tolerance policy (see README.md): rtol, and atol = ATOL_FACTOR * magnitude
# where magnitude is the larger of max|ref| and the case's error scale.
TOL = {
    np.dtype(np.float32): (1e-5, 1e-5),
    np.dtype(np.float16): (1e-2, 1e-2),
}


def fmt_f64(x):
    """An MLIR float literal for x (MLIR needs a '.' in decimal floats)."""
    x = float(x)
    assert math.isfinite(x)
    s = repr(x)
    mant, e, exp = s.partition("e")
    if "." not in mant:
        mant += ".0"
    return mant + (e + exp if e else "")


def f64_array(xs):
    return "array<f64: " + ", ".join(fmt_f64(x) for x in xs) + ">"


class Val:
    """An SSA value: its name, MLIR dims (None = dynamic), dtype, reference
    value, and the error scale of the op that produced it."""

    def __init__(self, name, dims, dtype, value, scale=None):
        self.name = name
        self.dims = list(dims)
        self.dtype = np.dtype(dtype)
        self.value = value
        self.scale = scale

    @property
    def type(self):
        parts = ["?" if d is None else str(d) for d in self.dims] + [_ELT[self.dtype]]
        return "tensor<" + "x".join(parts) + ">"


def _amax(a):
    a = np.asarray(a, dtype=np.float64)
    if a.size == 0:
        return 0.0
    f = a[np.isfinite(a)]
    return float(np.max(np.abs(f))) if f.size else 0.0


class Builder:
    def __init__(self, name):
        self.name = name
        self.rng = np.random.default_rng(zlib.crc32(name.encode()))
        self.args = []
        self.lines = []
        self.indent = "  "
        self.results = []
        self.counter = 0
        self.tol_override = None  # (atol, rtol) to bypass the policy

    # -- values --------------------------------------------------------------

    def fresh(self):
        n = f"%{self.counter}"
        self.counter += 1
        return n

    def arg(self, value, dyn=()):
        """A function argument holding `value`; dims listed in `dyn` are
        declared dynamic ('?')."""
        value = np.asarray(value)
        dims = [None if i in dyn else d for i, d in enumerate(value.shape)]
        v = Val(f"%arg{len(self.args)}", dims, value.dtype, value)
        self.args.append(v)
        return v

    def randn(self, *shape, dtype=F32, dyn=(), std=1.0, mean=0.0):
        x = (self.rng.standard_normal(shape) * std + mean).astype(dtype)
        return self.arg(x, dyn)

    def const(self, value):
        """An arith.constant with exactly the given (float) values."""
        value = np.asarray(value)
        v = Val(self.fresh(), value.shape, value.dtype, value)

        def lit(a):
            if a.ndim == 0:
                return fmt_f64(a)
            return "[" + ", ".join(lit(s) for s in a) + "]"

        self.emit(f"{v.name} = arith.constant dense<{lit(value)}> : {v.type}")
        return v

    def emit(self, line):
        self.lines.append(self.indent + line)

    def ret(self, *vals):
        self.results.extend(vals)

    # -- ops ----------------------------------------------------------------

    def linear(self, x, w, b=None):
        ref = R.linear(x.value, w.value, None if b is None else b.value)
        ops = [x, w] + ([b] if b is not None else [])
        res = Val(self.fresh(), x.dims[:-1] + [w.dims[1]], x.dtype, ref, None)
        self.emit(f"{res.name} = tfm.linear {', '.join(o.name for o in ops)} : "
                  f"({', '.join(o.type for o in ops)}) -> {res.type}")
        return res

    def attention(self, q, k, v, mask=None, kb=None, vb=None, *, num_heads, num_kv_heads=None,
                  scale=None, causal=False, alpha=None, beta=None, gamma=None):
        ref = R.attention(q.value, k.value, v.value,
                          None if mask is None else mask.value,
                          None if kb is None else kb.value,
                          None if vb is None else vb.value,
                          num_heads=num_heads, num_kv_heads=num_kv_heads, scale=scale,
                          causal=causal, alpha=alpha, beta=beta, gamma=gamma)
        # Error scale: the output is a (signed, for shaped) combination of
        # value rows with weights of total magnitude |a|+|b|+|c| (or 1).
        vmax = max(_amax(v.value), 0.0 if vb is None else _amax(vb.value))
        gain = 1.0
        if alpha is not None:
            gain = max(abs(a) + abs(b_) + abs(c) for a, b_, c in zip(alpha, beta, gamma))
        Hkv = num_kv_heads or num_heads
        dv = v.value.shape[2] // Hkv
        res = Val(self.fresh(), [q.dims[0], q.dims[1], num_heads * dv], q.dtype, ref, vmax * gain)
        ops = [q, k, v]
        text = f"{res.name} = tfm.attention {q.name}, {k.name}, {v.name}"
        if mask is not None:
            text += f" mask({mask.name})"
            ops.append(mask)
        if kb is not None:
            text += f" kv_bias({kb.name}, {vb.name})"
            ops += [kb, vb]
        attrs = [f"num_heads = {num_heads} : i64"]
        if num_kv_heads is not None:
            attrs.append(f"num_kv_heads = {num_kv_heads} : i64")
        if scale is not None:
            attrs.append(f"scale = {fmt_f64(scale)} : f64")
        if causal:
            attrs.append("causal")
        if alpha is not None:
            attrs += [f"alpha = {f64_array(alpha)}", f"beta = {f64_array(beta)}",
                      f"gamma = {f64_array(gamma)}"]
        text += " {" + ", ".join(attrs) + "}"
        text += f" : ({', '.join(o.type for o in ops)}) -> {res.type}"
        self.emit(text)
        return res

    def norm(self, kind, x, scale=None, shift=None, epsilon=1e-5):
        ref = R.norm(kind, x.value, None if scale is None else scale.value,
                     None if shift is None else shift.value, epsilon)
        res = Val(self.fresh(), x.dims, x.dtype, ref, None)
        ops = [x]
        text = f"{res.name} = tfm.norm {kind} {x.name}"
        if scale is not None:
            text += f" scale({scale.name})"
            ops.append(scale)
        if shift is not None:
            text += f" shift({shift.name})"
            ops.append(shift)
        text += f" {{epsilon = {fmt_f64(epsilon)} : f64}} : ({', '.join(o.type for o in ops)}) -> {res.type}"
        self.emit(text)
        return res

    def activation(self, kind, x, up=None):
        ref = R.activation(kind, x.value, None if up is None else up.value)
        res = Val(self.fresh(), x.dims, x.dtype, ref, None)
        if up is None:
            self.emit(f"{res.name} = tfm.activation {kind} {x.name} : {x.type}")
        else:
            self.emit(f"{res.name} = tfm.activation {kind} {x.name}, {up.name} : {x.type}, {up.type}")
        return res

    def residual(self, skip, branches, alpha=None, betas=None):
        ref = R.residual(None if skip is None else skip.value, [b.value for b in branches], alpha, betas)
        sc = np.zeros(np.shape(ref))
        if skip is not None:
            sc = sc + abs(1.0 if alpha is None else alpha) * np.abs(skip.value.astype(np.float64))
        for i, b in enumerate(branches):
            sc = sc + abs(1.0 if betas is None else betas[i]) * np.abs(b.value.astype(np.float64))
        like = branches[0]
        res = Val(self.fresh(), like.dims, like.dtype, ref, _amax(sc))
        ops = ([skip] if skip is not None else []) + list(branches)
        text = f"{res.name} = tfm.residual"
        if skip is not None:
            text += f" skip({skip.name})"
        text += f" branches({', '.join(b.name for b in branches)})"
        attrs = []
        if alpha is not None:
            attrs.append(f"alpha = {fmt_f64(alpha)} : f64")
        if betas is not None:
            attrs.append(f"betas = {f64_array(betas)}")
        if attrs:
            text += " {" + ", ".join(attrs) + "}"
        text += f" : ({', '.join(o.type for o in ops)}) -> {res.type}"
        self.emit(text)
        return res

    def embedding(self, ids, table):
        ref = R.embedding(ids.value, table.value)
        res = Val(self.fresh(), ids.dims + [table.dims[1]], table.dtype, ref, None)
        self.emit(f"{res.name} = tfm.embedding {ids.name}, {table.name} : "
                  f"({ids.type}, {table.type}) -> {res.type}")
        return res

    def rotary(self, layout, x, cos, sin, num_heads, rotary_dim=None):
        ref = R.rotary(layout, x.value, cos.value, sin.value, num_heads, rotary_dim)
        # |a'| <= |a||c| + |b||s|
        sc = _amax(x.value) * (_amax(cos.value) + _amax(sin.value))
        res = Val(self.fresh(), x.dims, x.dtype, ref, sc)
        attrs = [f"num_heads = {num_heads} : i64"]
        if rotary_dim is not None:
            attrs.append(f"rotary_dim = {rotary_dim} : i64")
        self.emit(f"{res.name} = tfm.rotary {layout} {x.name}, {cos.name}, {sin.name} "
                  f"{{{', '.join(attrs)}}} : ({x.type}, {cos.type}, {sin.type}) -> {res.type}")
        return res

    # -- tfm.block ----------------------------------------------------------

    def block_begin(self, kind, inputs, layer=None):
        self._block = (kind, inputs, layer, len(self.lines))
        args = []
        for i, v in enumerate(inputs):
            args.append(Val(f"%blk{i}", v.dims, v.dtype, v.value, v.scale))
        self.indent = "    "
        return args

    def block_end(self, yields):
        kind, inputs, layer, start = self._block
        body = self.lines[start:]
        del self.lines[start:]
        self.indent = "  "
        results = [Val(self.fresh(), y.dims, y.dtype, y.value, y.scale) for y in yields]
        if len(results) != 1:
            raise NotImplementedError("only single-result blocks are generated")
        names = results[0].name
        attr = f" {{layer = {layer} : i64}}" if layer is not None else ""
        in_types = ", ".join(v.type for v in inputs)
        out_types = ", ".join(r.type for r in results)
        self.emit(f"{names} = tfm.block {kind} ({', '.join(v.name for v in inputs)}){attr} : "
                  f"({in_types}) -> {out_types} {{")
        self.lines.append("  ^bb0(" + ", ".join(f"%blk{i}: {v.type}" for i, v in enumerate(inputs)) + "):")
        self.lines.extend(body)
        self.lines.append(f"    tfm.yield {', '.join(y.name for y in yields)} : "
                          f"{', '.join(y.type for y in yields)}")
        self.lines.append("  }")
        return results

    # -- output -------------------------------------------------------------

    def mlir(self):
        sig = ", ".join(f"{a.name}: {a.type}" for a in self.args)
        rtypes = [r.type for r in self.results]
        rt = rtypes[0] if len(rtypes) == 1 else "(" + ", ".join(rtypes) + ")"
        out = [f"// Generated by test/Integration/CPU/gen_cases.py: case {self.name}.",
               f"func.func @main({sig}) -> {rt} {{"]
        out += self.lines
        out.append(f"  return {', '.join(r.name for r in self.results)} : {', '.join(rtypes)}")
        out.append("}")
        return "\n".join(out) + "\n"

    def tolerance(self):
        if self.tol_override is not None:
            return self.tol_override
        dts = {r.dtype for r in self.results}
        assert len(dts) == 1, "mixed result types"
        dt = dts.pop()
        factor, rtol = TOL[dt]
        mag = 0.0
        for r in self.results:
            mag = max(mag, _amax(r.value), r.scale or 0.0)
        mag = max(mag, 1e-3)
        return factor * mag, rtol


# ---------------------------------------------------------------------------
# Input helpers
# ---------------------------------------------------------------------------


def bool_mask(b, shape, B, H, Sq, Skv, causal=False, p_visible=0.6, allow_blind=False):
    """A random boolean mask of `shape` (right-aligned onto [B,H,Sq,Skv])
    with at least one key visible to every query (also under causal)
    unless allow_blind."""
    m = b.rng.random(shape) < p_visible
    if not allow_blind:
        m4 = m.reshape((1,) * (4 - m.ndim) + m.shape)
        qdim, kdim = m4.shape[2], m4.shape[3]
        for idx in np.ndindex(*m4.shape[:3]):
            i = idx[2]
            if kdim == 1:
                m4[idx + (0,)] = True
                continue
            # Keys a query row sees under causal: j <= i + Skv - Sq (for a
            # broadcast query dim, all queries, so the earliest query).
            hi = (i if qdim > 1 else 0) + Skv - Sq if causal else Skv - 1
            allowed = np.arange(0, max(hi, 0) + 1)
            if not np.any(m4[idx][allowed]):
                m4[idx + (int(b.rng.choice(allowed)),)] = True
        m = m4.reshape(shape)
    return m


def float_mask(b, shape, B, H, Sq, Skv, causal=False, p_neginf=0.0, dtype=F32, std=2.0):
    """A random additive mask: N(0, std) logits offsets, with a fraction
    p_neginf of -inf entries (at least one finite visible key per row)."""
    vals = b.rng.standard_normal(shape) * std
    if p_neginf > 0:
        vis = bool_mask(b, shape, B, H, Sq, Skv, causal, 1.0 - p_neginf)
        vals = np.where(vis, vals, -np.inf)
    return vals.astype(dtype)


def rope_tables(b, S, half, lead=(), base=10000.0, offset_max=20, dtype=F32):
    """cos/sin tables [*lead, S, half] of real RoPE angles with random
    position offsets per leading index."""
    inv = base ** (-np.arange(half) / max(half, 1))
    offs = b.rng.integers(0, offset_max + 1, size=lead + (1,))
    pos = offs[..., None] + np.arange(S)[:, None]  # [*lead, S, 1]
    pos = np.broadcast_to(pos, lead + (S, 1))
    ang = pos * inv
    return np.cos(ang).astype(dtype), np.sin(ang).astype(dtype)


# ---------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


def add(name, fn):
    CASES.append((name, fn))


# -- linear -------------------------------------------------------------------

def _linear_case(lead, K, N, bias, dyn=(), dtype=F32):
    def fn(b):
        x = b.randn(*lead, K, dtype=dtype, dyn=dyn)
        w = b.randn(K, N, dtype=dtype)
        bb = b.randn(N, dtype=dtype) if bias else None
        b.ret(b.linear(x, w, bb))
    return fn


for _rank, _lead in [(1, ()), (2, (5,)), (3, (2, 3)), (4, (2, 3, 4))]:
    for _bias in (True, False):
        add(f"linear_r{_rank}_{'bias' if _bias else 'nobias'}_k13_n7", _linear_case(_lead, 13, 7, _bias))
add("linear_r3_bias_dyn", _linear_case((2, 5), 64, 96, True, dyn=(0, 1)))
add("linear_r2_nobias_dyn", _linear_case((6,), 64, 3, False, dyn=(0,)))
add("linear_k1_n1", _linear_case((3,), 1, 1, True))
add("linear_r3_bias_k64_n33", _linear_case((2, 4), 64, 33, True))
add("f16_linear_r3_bias", _linear_case((2, 3), 64, 32, True, dtype=F16))
add("f16_linear_r3_nobias_dyn", _linear_case((2, 3), 64, 17, False, dyn=(0, 1), dtype=F16))


@case("linear_const_weights")
def _(b):
    x = b.randn(2, 3, 5)
    w = b.const(b.rng.standard_normal((5, 4)).astype(F32))
    bias = b.const(b.rng.standard_normal(4).astype(F32))
    b.ret(b.linear(x, w, bias))


# -- attention ----------------------------------------------------------------

def _attn_case(B=2, Sq=5, Skv=None, H=4, Hkv=None, D=8, Dv=None, scale=None, causal=False,
               mask=None, bias_slots=0, shaped=None, dyn_q=(), dyn_kv=(), dyn_mask=(), dtype=F32,
               blind=False):
    """mask: None | ("bool", shape) | ("boolblind", shape) | ("float", shape, p_neginf)
    shape entries: 'B','H','Sq','Skv' or 1.  shaped: (alpha, beta, gamma)."""
    Skv = Sq if Skv is None else Skv
    Dv = D if Dv is None else Dv
    kvh = H if Hkv is None else Hkv

    def fn(b):
        q = b.randn(B, Sq, H * D, dtype=dtype, dyn=dyn_q)
        k = b.randn(B, Skv, kvh * D, dtype=dtype, dyn=dyn_kv)
        v = b.randn(B, Skv, kvh * Dv, dtype=dtype, dyn=dyn_kv)
        m = None
        if mask is not None:
            env = {"B": B, "H": H, "Sq": Sq, "Skv": Skv}
            shape = tuple(env.get(s, s) for s in mask[1])
            if mask[0] == "bool":
                mv = bool_mask(b, shape, B, H, Sq, Skv, causal and not bias_slots)
            elif mask[0] == "boolblind":
                mv = bool_mask(b, shape, B, H, Sq, Skv, causal, allow_blind=True)
                mv = mask[2](mv)
            else:
                mv = float_mask(b, shape, B, H, Sq, Skv, causal and not bias_slots, mask[2], dtype)
                if len(mask) > 3:
                    mv = mask[3](mv)
            m = b.arg(mv, dyn_mask)
        kb = vb = None
        if bias_slots:
            kb = b.randn(kvh, bias_slots, D, dtype=dtype)
            vb = b.randn(kvh, bias_slots, Dv, dtype=dtype)
        kw = {}
        if shaped is not None:
            kw = dict(alpha=shaped[0], beta=shaped[1], gamma=shaped[2])
        out = b.attention(q, k, v, m, kb, vb, num_heads=H, num_kv_heads=Hkv, scale=scale,
                          causal=causal, **kw)
        # Every case documents whether it has rows that see no key.
        if not blind:
            assert not _has_blind_rows(out.value, q, k, v, m, kb, H, Hkv, causal), b.name
        b.ret(out)
    return fn


def _has_blind_rows(out, q, k, v, m, kb, H, Hkv, causal):
    if kb is not None:
        return False
    B, Sq, _ = q.value.shape
    Skv = k.value.shape[1]
    vis = np.ones((B, H, Sq, Skv), bool)
    if m is not None:
        mv = m.value
        mv = mv.reshape((1,) * (4 - mv.ndim) + mv.shape)
        vis &= (mv if mv.dtype == np.bool_ else np.isfinite(mv))
    if causal:
        vis &= np.arange(Skv)[None, :] <= np.arange(Sq)[:, None] + Skv - Sq
    return bool(np.any(~vis.any(-1)))


# Head layouts.
add("attn_mha", _attn_case())
add("attn_mha_causal", _attn_case(causal=True))
add("attn_gqa_h8_kv2", _attn_case(B=2, Sq=6, H=8, Hkv=2, D=4))
add("attn_gqa_h8_kv2_causal", _attn_case(B=2, Sq=6, H=8, Hkv=2, D=4, causal=True))
add("attn_mqa_h4_kv1", _attn_case(H=4, Hkv=1, D=8))
add("attn_mqa_h4_kv1_causal", _attn_case(H=4, Hkv=1, D=8, causal=True))
add("attn_dv3_d6", _attn_case(H=2, D=6, Dv=3))
add("attn_dv7_d4_gqa_causal", _attn_case(H=4, Hkv=2, D=4, Dv=7, causal=True))
add("attn_head_dim5_causal", _attn_case(B=2, Sq=7, H=3, D=5, causal=True))
add("attn_head_dim1", _attn_case(B=1, Sq=4, H=2, D=1))
add("attn_d64_h2", _attn_case(B=1, Sq=9, H=2, D=64, causal=True))
# Scale.
add("attn_scale_explicit", _attn_case(scale=0.3))
add("attn_scale_explicit_causal_gqa", _attn_case(H=4, Hkv=2, scale=1.7, causal=True))
add("attn_scale_negative", _attn_case(H=2, scale=-0.25))
# Sequence shapes.
add("attn_causal_sq3_skv7", _attn_case(Sq=3, Skv=7, causal=True))
add("attn_causal_sq1_skv9_decode", _attn_case(Sq=1, Skv=9, H=4, Hkv=2, causal=True))
add("attn_sq3_skv7", _attn_case(Sq=3, Skv=7))
add("attn_sq6_skv3", _attn_case(Sq=6, Skv=3))
add("attn_seq1", _attn_case(Sq=1))
add("attn_seq1_causal", _attn_case(Sq=1, causal=True))
add("attn_batch1_causal", _attn_case(B=1, Sq=6, causal=True))
add("attn_batch3", _attn_case(B=3, Sq=4, Skv=6, H=2, D=3))
add("attn_batch3_causal_gqa", _attn_case(B=3, Sq=5, H=6, Hkv=3, D=4, causal=True))
# Boolean masks, ranks 2-4 (right-aligned onto [B, H, Sq, Skv]).
add("attn_mask_bool_r2", _attn_case(mask=("bool", ("Sq", "Skv"))))
add("attn_mask_bool_r2_causal_gqa", _attn_case(H=4, Hkv=2, causal=True, mask=("bool", ("Sq", "Skv"))))
add("attn_mask_bool_r2_key_row", _attn_case(Sq=4, Skv=6, mask=("bool", (1, "Skv"))))
add("attn_mask_bool_r3_heads", _attn_case(mask=("bool", ("H", "Sq", "Skv"))))
add("attn_mask_bool_r3_bcast", _attn_case(B=3, mask=("bool", (1, "Sq", "Skv"))))
add("attn_mask_bool_r3_head_keys", _attn_case(H=2, Sq=3, Skv=5, mask=("bool", ("H", 1, "Skv"))))
add("attn_mask_bool_r4_full", _attn_case(B=2, H=4, Hkv=2, mask=("bool", ("B", "H", "Sq", "Skv"))))
add("attn_mask_bool_r4_keypad", _attn_case(B=3, Sq=4, Skv=6, mask=("bool", ("B", 1, 1, "Skv"))))
add("attn_mask_bool_r4_keypad_causal", _attn_case(B=3, Sq=6, causal=True, mask=("bool", ("B", 1, 1, "Skv"))))
add("attn_mask_bool_r4_heads", _attn_case(B=2, H=4, mask=("bool", (1, "H", 1, "Skv"))))
add("attn_mask_bool_r4_causal_sq3_skv7", _attn_case(Sq=3, Skv=7, causal=True, mask=("bool", ("B", 1, "Sq", "Skv"))))
# Additive float masks.
add("attn_mask_float_r2", _attn_case(mask=("float", ("Sq", "Skv"), 0.0)))
add("attn_mask_float_r3_heads_causal", _attn_case(H=4, causal=True, mask=("float", ("H", "Sq", "Skv"), 0.0)))
add("attn_mask_float_r4_neginf", _attn_case(B=2, Sq=5, Skv=7, mask=("float", ("B", 1, "Sq", "Skv"), 0.4)))
add("attn_mask_float_r4_keypad_neginf_gqa", _attn_case(B=2, H=4, Hkv=2, Sq=4, Skv=6,
                                                       mask=("float", ("B", 1, 1, "Skv"), 0.3)))
# Fully masked rows produce zeros.


def _blind_rows(mv):
    mv = mv.copy()
    mv[0, 1, 2, :] = False
    mv[1, 3, 0, :] = False
    mv[1, 0, 4, :] = False
    return mv


def _blind_keycol(mv):
    mv = mv.copy()
    mv[0, 0, 1, 0] = False
    mv[1, 0, 3, 0] = False
    return mv


def _blind_float_row(mv):
    mv = mv.copy()
    mv[2, :] = -np.inf
    return mv


add("attn_fully_masked_rows_bool", _attn_case(B=2, H=4, Sq=5, mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows),
                                              blind=True))
add("attn_fully_masked_rows_keybcast", _attn_case(B=2, H=2, Sq=5, Skv=4,
                                                  mask=("boolblind", ("B", 1, "Sq", 1), _blind_keycol), blind=True))
add("attn_fully_masked_rows_causal", _attn_case(B=2, H=4, Sq=5, causal=True,
                                                mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows), blind=True))
add("attn_fully_masked_row_float_neginf", _attn_case(B=2, H=2, Sq=4, Skv=5,
                                                     mask=("float", ("Sq", "Skv"), 0.2, _blind_float_row), blind=True))
add("attn_causal_blind_rows_dyn_sq5_skv3", _attn_case(B=1, Sq=5, Skv=3, H=2, D=8, causal=True,
                                                      dyn_q=(1,), dyn_kv=(1,), blind=True))
# Bias slots (always visible, also under causal and masks).
add("attn_bias_p1", _attn_case(bias_slots=1))
add("attn_bias_p3", _attn_case(bias_slots=3))
add("attn_bias_p1_causal", _attn_case(bias_slots=1, causal=True))
add("attn_bias_p3_causal_gqa", _attn_case(H=8, Hkv=2, D=4, Sq=6, bias_slots=3, causal=True))
add("attn_bias_p3_mask_keypad", _attn_case(B=3, Sq=4, Skv=6, bias_slots=3, mask=("bool", ("B", 1, 1, "Skv"))))
add("attn_bias_p1_mask_causal", _attn_case(bias_slots=1, causal=True, mask=("bool", ("B", 1, "Sq", "Skv"))))
add("attn_bias_p3_mask_float", _attn_case(H=4, Hkv=2, bias_slots=3, mask=("float", ("Sq", "Skv"), 0.3)))
add("attn_bias_p2_fully_masked_rows", _attn_case(B=2, H=4, Sq=5, bias_slots=2,
                                                 mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows)))
add("attn_bias_p1_causal_sq6_skv3", _attn_case(Sq=6, Skv=3, bias_slots=1, causal=True))
add("attn_bias_p3_mqa_dv5_d4", _attn_case(H=4, Hkv=1, D=4, Dv=5, bias_slots=3, causal=True))
# Shaped attention.
add("attn_shaped_causal", _attn_case(B=2, Sq=6, H=4, D=4, causal=True,
                                     shaped=([1.0, 0.5, 0.0, -0.25], [2.0, 0.25, 1.0, 0.75],
                                             [1.0, -3.0, 0.0, 0.5])))
add("attn_shaped_noncausal", _attn_case(B=2, Sq=5, H=2, D=8,
                                        shaped=([0.5, 1.5], [1.0, -0.5], [0.25, 2.0])))
add("attn_shaped_gqa_causal_dv3", _attn_case(B=1, Sq=7, H=4, Hkv=2, D=5, Dv=3, causal=True,
                                             shaped=([0.9, 1.1, 0.0, 1.0], [0.3, 0.6, 1.0, -1.0],
                                                     [0.2, 0.4, 0.0, 1.0])))
add("attn_shaped_mask_noncausal", _attn_case(B=2, Sq=5, H=2, D=4, mask=("bool", ("B", 1, "Sq", "Skv")),
                                             shaped=([1.0, 0.0], [1.0, 2.0], [1.0, -1.0])))
# Sequences over several key blocks of the fused loop (8 keys per step on
# the CPU) plus a remainder: blocks whose keys are partly or wholly masked,
# -inf logits and fully masked rows inside a block, shaped sums over blocks.
add("attn_long_causal_gqa", _attn_case(B=2, Sq=21, H=4, Hkv=2, D=8, causal=True))
add("attn_long_sq5_skv27_causal", _attn_case(B=1, Sq=5, Skv=27, H=2, D=8, causal=True))
add("attn_long_mask_keypad_causal", _attn_case(B=3, Sq=19, causal=True, mask=("bool", ("B", 1, 1, "Skv"))))
add("attn_long_mask_float_neginf", _attn_case(B=2, Sq=17, Skv=23, mask=("float", ("B", 1, "Sq", "Skv"), 0.5)))
add("attn_long_fully_masked_rows", _attn_case(B=2, H=4, Sq=18, mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows),
                                              blind=True))
add("attn_long_bias_p2_mask", _attn_case(B=2, Sq=20, H=4, Hkv=2, bias_slots=2, causal=True,
                                         mask=("bool", ("B", 1, "Sq", "Skv"))))
add("attn_long_shaped_causal", _attn_case(B=2, Sq=26, H=2, D=8, causal=True,
                                          shaped=([1.0, 0.5], [2.0, 0.25], [1.0, -3.0])))
add("attn_shaped_mask_causal", _attn_case(B=2, Sq=6, H=2, D=4, causal=True, mask=("bool", ("B", 1, 1, "Skv")),
                                          shaped=([0.5, 1.0], [1.5, 0.5], [0.5, -2.0])))
add("attn_shaped_plain_gains_scale", _attn_case(B=2, Sq=4, H=2, D=4, causal=True, scale=0.5,
                                                shaped=([0.0, 0.0], [1.0, 1.0], [0.0, 0.0])))
add("attn_shaped_dyn", _attn_case(B=3, Sq=6, H=2, D=8, causal=True, dyn_q=(1,), dyn_kv=(1,),
                                  shaped=([1.0, 0.5], [2.0, 0.25], [1.0, -3.0])))
add("attn_shaped_seq1", _attn_case(B=2, Sq=1, H=2, D=4, causal=True,
                                   shaped=([1.0, 0.5], [2.0, 0.25], [1.0, -3.0])))
add("attn_shaped_noncausal_seq1", _attn_case(B=2, Sq=1, H=2, D=4,
                                             shaped=([1.0, 0.5], [2.0, 0.25], [1.0, -3.0])))
add("attn_shaped_noncausal_gqa_dyn", _attn_case(B=3, Sq=7, H=6, Hkv=2, D=4, Dv=5, dyn_q=(0, 1), dyn_kv=(0, 1),
                                                shaped=([1.0, 0.5, 0.0, 2.0, -1.0, 0.3],
                                                        [0.5, 1.0, 2.0, 0.0, 1.5, -0.7],
                                                        [1.0, -2.0, 0.5, 1.5, 0.0, 0.9])))
add("attn_shaped_mqa_causal_long", _attn_case(B=2, Sq=37, H=3, Hkv=1, D=8, causal=True,
                                              shaped=([0.8, 1.2, -0.5], [1.0, 0.5, 2.0], [0.6, -1.0, 1.3])))
add("attn_shaped_causal_blind_rows", _attn_case(B=2, H=4, Sq=5, D=4, causal=True, blind=True,
                                                mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows),
                                                shaped=([1.0, 0.5, 0.0, 2.0], [2.0, 0.25, 1.0, 1.0],
                                                        [1.0, -3.0, 0.5, 0.0])))
add("attn_shaped_noncausal_blind_rows", _attn_case(B=2, H=4, Sq=5, D=4, blind=True,
                                                   mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows),
                                                   shaped=([1.0, 0.5, 0.0, 2.0], [2.0, 0.25, 1.0, 1.0],
                                                           [1.0, -3.0, 0.5, 0.0])))
# Dynamic shapes.
add("attn_dyn_mha_causal", _attn_case(B=2, Sq=7, H=4, D=16, causal=True, dyn_q=(0, 1), dyn_kv=(0, 1)))
add("attn_dyn_gqa_mask_keypad", _attn_case(B=2, Sq=5, Skv=8, H=4, Hkv=2, D=8, causal=True,
                                           mask=("bool", ("B", 1, 1, "Skv")),
                                           dyn_q=(0, 1), dyn_kv=(0, 1), dyn_mask=(0, 3)))
add("attn_dyn_float_mask_r2", _attn_case(B=2, Sq=4, Skv=6, H=2, D=8, mask=("float", ("Sq", "Skv"), 0.0),
                                         dyn_q=(1,), dyn_kv=(1,), dyn_mask=(0, 1)))
add("attn_dyn_bias_p2", _attn_case(B=2, Sq=5, H=4, Hkv=2, D=8, causal=True, bias_slots=2,
                                   dyn_q=(0, 1), dyn_kv=(0, 1)))
# f16.
add("f16_attn_mha_causal", _attn_case(B=2, Sq=6, H=4, D=16, causal=True, dtype=F16))
add("f16_attn_gqa_mask_float", _attn_case(B=2, Sq=5, Skv=7, H=4, Hkv=2, D=8, dtype=F16,
                                          mask=("float", ("B", 1, "Sq", "Skv"), 0.3)))
add("f16_attn_shaped_gqa_causal", _attn_case(B=2, Sq=9, H=4, Hkv=2, D=8, causal=True, dtype=F16,
                                            shaped=([1.0, 0.5, 0.0, -0.25], [2.0, 0.25, 1.0, 0.75],
                                                    [1.0, -3.0, 0.0, 0.5])))
add("f16_attn_shaped_noncausal_dyn", _attn_case(B=2, Sq=5, H=2, D=8, dtype=F16, dyn_q=(1,), dyn_kv=(1,),
                                               shaped=([0.5, 1.5], [1.0, -0.5], [0.25, 2.0])))
add("f16_attn_bias_p2_mask_bool", _attn_case(B=1, Sq=4, H=2, D=8, dtype=F16, bias_slots=2,
                                             mask=("bool", ("Sq", "Skv"))))
# f16 with head widths a multiple of 16: on CUDA these run as warps of
# mma.sync (16 query rows a warp, 64 keys a step), so the cases cross both
# tile edges, pad the last row tile, and mix masks, GQA, Sq != Skv and
# rows that see no key.
add("f16_attn_mma_causal_gqa_sq37", _attn_case(B=2, Sq=37, H=4, Hkv=2, D=32, causal=True, dtype=F16))
add("f16_attn_mma_cross_sq20_skv70_dv32", _attn_case(B=1, Sq=20, Skv=70, H=2, D=16, Dv=32, dtype=F16))
add("f16_attn_mma_causal_sq5_skv70", _attn_case(B=2, Sq=5, Skv=70, H=2, D=16, causal=True, dtype=F16))
add("f16_attn_mma_decode_sq1_mqa", _attn_case(B=2, Sq=1, Skv=9, H=4, Hkv=1, D=16, causal=True, dtype=F16))
add("f16_attn_mma_mask_keypad_causal", _attn_case(B=3, Sq=19, H=2, D=16, causal=True, dtype=F16,
                                                  mask=("bool", ("B", 1, 1, "Skv"))))
add("f16_attn_mma_mask_float_neginf", _attn_case(B=2, Sq=17, Skv=23, H=2, D=16, dtype=F16,
                                                 mask=("float", ("B", 1, "Sq", "Skv"), 0.5)))
add("f16_attn_mma_fully_masked_rows", _attn_case(B=2, H=4, Sq=18, D=16, dtype=F16,
                                                 mask=("boolblind", ("B", "H", "Sq", "Skv"), _blind_rows),
                                                 blind=True))
add("f16_attn_mma_causal_blind_dyn_sq21_skv5", _attn_case(B=1, Sq=21, Skv=5, H=2, D=16, causal=True,
                                                          dtype=F16, dyn_q=(1,), dyn_kv=(1,), blind=True))
add("f16_attn_mma_dyn_gqa_causal", _attn_case(B=2, Sq=18, Skv=18, H=4, Hkv=2, D=16, causal=True, dtype=F16,
                                              dyn_q=(0, 1), dyn_kv=(0, 1)))
add("f16_attn_mma_d128_causal", _attn_case(B=1, Sq=18, H=2, D=128, causal=True, dtype=F16))
# Head width 128 with an additive mask (a large model's usual export): 16
# keys a step, the mask scaled into the kernel's base-2 logits.
add("f16_attn_mma_d128_float_mask_gqa", _attn_case(B=1, Sq=37, Skv=50, H=4, Hkv=2, D=128, causal=True, dtype=F16,
                                                   mask=("float", ("B", 1, "Sq", "Skv"), 0.5)))
# Head widths whose lane spans are not powers of two: Q·Kᵀ reads 24 head
# columns a lane (d = 96), P·V 6 value columns a key row (dv = 48).
add("f16_attn_mma_cross_d96_dv48", _attn_case(B=2, Sq=20, Skv=45, H=2, D=96, Dv=48, dtype=F16))
# The last row's last visible key opens a new key step (row 64 of 65 in
# 64-key steps; row 32 of 33 in the 32-key steps of head widths over 64 and
# of shaped attention), and the mask leaves that row only that key: a step
# too few shows as a zero row.
def _only_last_key(mv):
    mv = mv.copy()
    mv[:, :, -1, :] = False
    mv[:, :, -1, -1] = True
    return mv


add("f16_attn_mma_causal_sq65_step_edge", _attn_case(B=1, Sq=65, H=2, D=16, causal=True, dtype=F16,
                                                     mask=("boolblind", ("B", "H", "Sq", "Skv"), _only_last_key),
                                                     blind=True))
# Steps every row of a tile sees whole skip the visibility tests: here the
# first row of tile 3 (row 48, Skv - Sq = 14) sees keys up to 62, so the
# step [0, 64) is one key short of whole for that tile. The mask leaves row
# 48 only key 63, which causality hides: a row of zeros, unless that step
# is taken as whole.
def _row48_key63(mv):
    mv = mv.copy()
    mv[:, :, 48, :] = False
    mv[:, :, 48, 63] = True
    return mv


add("f16_attn_mma_causal_full_step_edge", _attn_case(B=1, Sq=60, Skv=74, H=2, D=16, causal=True, dtype=F16,
                                                     mask=("boolblind", ("B", "H", "Sq", "Skv"), _row48_key63),
                                                     blind=True))
add("f16_attn_mma_d128_causal_sq33_step_edge", _attn_case(B=1, Sq=33, H=1, D=128, causal=True, dtype=F16,
                                                          mask=("boolblind", ("B", "H", "Sq", "Skv"),
                                                                _only_last_key),
                                                          blind=True))
add("f16_attn_mma_scale_negative_d64", _attn_case(B=1, Sq=9, Skv=66, H=2, D=64, scale=-0.2, dtype=F16))
# Bias slots on tensor cores: a first loop over the slots (16 a step), then
# the keys; more slots than one step, GQA, masks that hide every key of a
# row (which then sees only the slots), dynamic sequences.
add("f16_attn_mma_bias_p3_causal_gqa", _attn_case(B=2, Sq=21, H=4, Hkv=2, D=16, causal=True, dtype=F16,
                                                  bias_slots=3))
add("f16_attn_mma_bias_p17_mask_dv16", _attn_case(B=2, Sq=18, Skv=40, H=2, D=32, Dv=16, dtype=F16,
                                                  bias_slots=17, mask=("bool", ("B", 1, 1, "Skv"))))
add("f16_attn_mma_bias_p2_masked_rows_dyn", _attn_case(B=2, H=4, Sq=18, D=16, dtype=F16, bias_slots=2,
                                                       dyn_q=(1,), dyn_kv=(1,),
                                                       mask=("boolblind", ("B", "H", "Sq", "Skv"),
                                                             _blind_rows)))
# Shaped attention on tensor cores (C·V as a second accumulator, 32 keys a
# step): causal over several steps and a padded tile, non-causal with
# dynamic sequences, and a mask (which C·V ignores).
add("f16_attn_mma_shaped_causal_sq37", _attn_case(B=2, Sq=37, H=2, D=32, causal=True, dtype=F16,
                                                  shaped=([1.0, 0.5], [2.0, 0.25], [1.0, -3.0])))
add("f16_attn_mma_shaped_causal_sq33_step_edge", _attn_case(B=1, Sq=33, H=2, D=16, causal=True, dtype=F16,
                                                            mask=("boolblind", ("B", "H", "Sq", "Skv"),
                                                                  _only_last_key),
                                                            shaped=([1.0, 0.5], [1.0, 1.0], [0.5, 1.0]),
                                                            blind=True))
add("f16_attn_mma_shaped_noncausal_dyn", _attn_case(B=2, Sq=21, H=2, D=16, dtype=F16, dyn_q=(1,), dyn_kv=(1,),
                                                    shaped=([0.5, 1.5], [1.0, -0.5], [0.25, 2.0])))
add("f16_attn_mma_shaped_mask_gqa_d64", _attn_case(B=1, Sq=19, H=4, Hkv=2, D=64, causal=True, dtype=F16,
                                                   mask=("bool", ("B", 1, 1, "Skv")),
                                                   shaped=([1.0, 0.0, 0.5, 1.0], [0.5, 1.0, 1.0, 2.0],
                                                           [1.0, 0.5, 0.0, -1.0])))


# -- norm ---------------------------------------------------------------------

def _norm_case(kind, scale, shift, eps, shape=(2, 3, 33), dyn=(), dtype=F32, mean=0.0, std=1.0):
    def fn(b):
        x = b.randn(*shape, dtype=dtype, dyn=dyn, mean=mean, std=std)
        g = b.randn(shape[-1], dtype=dtype) if scale else None
        s = b.randn(shape[-1], dtype=dtype) if shift else None
        b.ret(b.norm(kind, x, g, s, eps))
    return fn


for _kind in ("layer", "rms"):
    for _sc in (True, False):
        for _sh in (True, False):
            for _eps, _en in ((0.0, "0"), (1e-5, "1e-5")):
                add(f"norm_{_kind}_{'scale' if _sc else 'noscale'}_{'shift' if _sh else 'noshift'}_eps{_en}",
                    _norm_case(_kind, _sc, _sh, _eps))
add("norm_layer_r1", _norm_case("layer", True, True, 1e-5, shape=(64,)))
add("norm_rms_r4", _norm_case("rms", True, False, 1e-6, shape=(2, 2, 3, 16)))
add("norm_rms_dyn", _norm_case("rms", True, False, 1e-6, shape=(2, 5, 64), dyn=(0, 1)))
add("norm_layer_dyn", _norm_case("layer", True, True, 1e-5, shape=(3, 4, 64), dyn=(0, 1)))
add("norm_layer_n1", _norm_case("layer", True, True, 1e-5, shape=(4, 1)))
add("norm_layer_wide_n1024", _norm_case("layer", True, True, 1e-5, shape=(3, 1024)))
# Rows wider than one sweep of a 256-thread block (scalar, 4 and 8 lanes a
# thread): each thread folds several strided slices.
add("norm_layer_wide_n3001", _norm_case("layer", True, True, 1e-5, shape=(2, 3001)))
add("norm_rms_wide_dyn_n2050", _norm_case("rms", True, False, 1e-6, shape=(3, 2050), dyn=(0, 1)))
add("f16_norm_layer_wide_n4096", _norm_case("layer", True, True, 1e-5, shape=(2, 4096), dtype=F16))
add("norm_rms_big_eps", _norm_case("rms", False, False, 0.5, shape=(3, 8), std=0.3))
add("norm_layer_small_var_eps1e-5", _norm_case("layer", True, False, 1e-5, shape=(4, 48), std=0.003))
add("norm_rms_small_eps1e-5", _norm_case("rms", False, True, 1e-5, shape=(4, 48), std=0.003))
add("norm_layer_offset_mean", _norm_case("layer", False, False, 1e-5, shape=(4, 64), mean=3.0))
add("f16_norm_layer", _norm_case("layer", True, True, 1e-5, shape=(2, 3, 64), dtype=F16))
add("f16_norm_rms", _norm_case("rms", True, False, 1e-6, shape=(2, 3, 64), dtype=F16))


# -- activation ---------------------------------------------------------------

_ACTS = ("gelu", "gelu_tanh", "relu", "silu", "sigmoid")


def _act_case(kind, gated, shape=(3, 37), dyn=(), std=1.0, dtype=F32, mean=0.0):
    def fn(b):
        x = b.randn(*shape, dyn=dyn, std=std, dtype=dtype, mean=mean)
        up = b.randn(*shape, dyn=dyn, dtype=dtype) if gated else None
        b.ret(b.activation(kind, x, up))
    return fn


for _kind in _ACTS:
    add(f"act_{_kind}", _act_case(_kind, False))
    add(f"act_{_kind}_gated", _act_case(_kind, True))
    add(f"act_{_kind}_wide_range", _act_case(_kind, False, shape=(4, 64), std=6.0))
add("act_gelu_dyn", _act_case("gelu", False, shape=(3, 128), dyn=(0,)))
add("act_silu_gated_dyn", _act_case("silu", True, shape=(2, 3, 128), dyn=(0, 1)))
add("act_relu_rank0", _act_case("relu", False, shape=(), mean=2.0))
add("act_sigmoid_rank0_gated", _act_case("sigmoid", True, shape=()))
add("act_gelu_tanh_r4_gated", _act_case("gelu_tanh", True, shape=(2, 2, 3, 5)))


# -- residual -----------------------------------------------------------------

def _res_case(skip, nbranches, alpha=None, betas=None, shape=(4, 8), dyn=()):
    def fn(b):
        s = b.randn(*shape, dyn=dyn) if skip else None
        brs = [b.randn(*shape, dyn=dyn) for _ in range(nbranches)]
        b.ret(b.residual(s, brs, alpha, betas))
    return fn


add("res_skip_b1_default", _res_case(True, 1))
add("res_skip_b2_default", _res_case(True, 2, shape=(2, 3, 8)))
add("res_skip_b2_gains", _res_case(True, 2, 0.5, [1.0, 0.1]))
add("res_skip_b3_gains_zero_neg", _res_case(True, 3, -1.5, [0.0, -2.0, 0.25], shape=(2, 5, 7)))
add("res_skip_b1_alpha0", _res_case(True, 1, 0.0, [1.5]))
add("res_skip_b1_alpha_only", _res_case(True, 1, 0.7))
add("res_skip_b2_betas_only", _res_case(True, 2, None, [0.3, -0.6]))
add("res_noskip_b1_default", _res_case(False, 1))
add("res_noskip_b1_neg", _res_case(False, 1, None, [-2.5]))
add("res_noskip_b2", _res_case(False, 2, None, [0.2, 0.1]))
add("res_noskip_b3_zero", _res_case(False, 3, None, [1.0, 0.0, -0.75], shape=(3, 4, 5)))
add("res_noskip_b2_zero_all_but_one", _res_case(False, 2, None, [0.0, 3.0]))
add("res_skip_b2_dyn", _res_case(True, 2, 0.5, [1.0, 0.1], shape=(6, 8), dyn=(0,)))
add("res_rank1", _res_case(True, 1, 2.0, [-1.0], shape=(9,)))


# -- embedding ----------------------------------------------------------------

def _emb_case(ids_shape, V=37, D=8, dyn=(), idtype=np.int64, fixed=None):
    def fn(b):
        if fixed is not None:
            ids = np.array(fixed, dtype=idtype).reshape(ids_shape)
        else:
            ids = b.rng.integers(-V, V, size=ids_shape).astype(idtype)
            flat = ids.reshape(-1)
            if flat.size >= 2:  # at least one negative and one non-negative id
                flat[0] = -abs(int(flat[0])) - 1 if flat[0] >= 0 else flat[0]
                flat[1] = abs(int(flat[1])) % V
        idv = b.arg(ids, dyn)
        table = b.randn(V, D)
        b.ret(b.embedding(idv, table))
    return fn


add("emb_ids_r0_neg", _emb_case((), fixed=-3))
add("emb_ids_r0_pos", _emb_case((), fixed=5))
add("emb_ids_r1", _emb_case((9,)))
add("emb_ids_r2", _emb_case((2, 5)))
add("emb_ids_r3", _emb_case((2, 2, 3)))
add("emb_ids_r2_dyn", _emb_case((3, 4), dyn=(0, 1)))
add("emb_ids_r2_i32", _emb_case((2, 6), idtype=np.int32))
add("emb_ids_extremes", _emb_case((6,), V=11, D=5, fixed=[0, 10, -1, -11, 5, -6]))
add("emb_ids_r1_d64", _emb_case((7,), V=100, D=64))


# -- rotary -------------------------------------------------------------------

def _rot_case(layout, xshape, H, rdim=None, tab_lead=(), dyn_x=(), dyn_t=(), arbitrary=False):
    def fn(b):
        x = b.randn(*xshape, dyn=dyn_x)
        S = xshape[-2]
        D = xshape[-1] // H
        Rr = D if rdim is None else rdim
        if arbitrary:
            c = b.rng.standard_normal(tab_lead + (S, Rr // 2)).astype(F32)
            s = b.rng.standard_normal(tab_lead + (S, Rr // 2)).astype(F32)
        else:
            c, s = rope_tables(b, S, Rr // 2, tab_lead)
        cv, sv = b.arg(c, dyn_t), b.arg(s, dyn_t)
        b.ret(b.rotary(layout, x, cv, sv, H, rdim))
    return fn


for _lay in ("half", "interleaved"):
    add(f"rot_{_lay}_full_tab_r2", _rot_case(_lay, (2, 5, 32), 4))
    add(f"rot_{_lay}_full_explicit_rdim", _rot_case(_lay, (2, 5, 32), 4, rdim=8))
    add(f"rot_{_lay}_partial_tab_r2", _rot_case(_lay, (2, 5, 32), 4, rdim=4))
    add(f"rot_{_lay}_full_tab_r3_batch", _rot_case(_lay, (2, 5, 32), 4, tab_lead=(2,)))
    add(f"rot_{_lay}_partial_tab_r3_bcast", _rot_case(_lay, (3, 6, 48), 3, rdim=8, tab_lead=(1,)))
    add(f"rot_{_lay}_input_r2", _rot_case(_lay, (7, 24), 2))
    add(f"rot_{_lay}_input_r4_tab_r3", _rot_case(_lay, (2, 3, 4, 16), 2, rdim=6, tab_lead=(3,)))
    add(f"rot_{_lay}_input_r4_tab_r4", _rot_case(_lay, (2, 3, 4, 16), 2, tab_lead=(2, 1)))
    add(f"rot_{_lay}_rdim2", _rot_case(_lay, (1, 4, 20), 2, rdim=2))
    add(f"rot_{_lay}_arbitrary_tables", _rot_case(_lay, (2, 5, 24), 3, tab_lead=(2,), arbitrary=True))
add("rot_half_dyn", _rot_case("half", (1, 6, 64), 4, dyn_x=(1,), dyn_t=(0,)))
add("rot_interleaved_dyn_tab_r3", _rot_case("interleaved", (1, 6, 64), 4, rdim=4, tab_lead=(1,),
                                            dyn_x=(1,), dyn_t=(1,)))
add("rot_half_dyn_batch", _rot_case("half", (3, 5, 32), 2, rdim=12, dyn_x=(0, 1), dyn_t=(0,)))
add("rot_half_d6_partial4", _rot_case("half", (2, 3, 18), 3, rdim=4))


# -- multiple results ---------------------------------------------------------

@case("multi_result_rotary_qk")
def _(b):
    S, H, Hkv, D = 5, 4, 2, 8
    q = b.randn(2, S, H * D)
    k = b.randn(2, S, Hkv * D)
    c, s = rope_tables(b, S, D // 2)
    cv, sv = b.arg(c), b.arg(s)
    b.ret(b.rotary("half", q, cv, sv, H), b.rotary("half", k, cv, sv, Hkv))


# -- composite pre-LN block ---------------------------------------------------

def _block_case(B=2, S=6, Dm=32, H=4, Hkv=2, F=48, dyn=()):
    def fn(b):
        D = Dm // H
        x = b.randn(B, S, Dm, dyn=dyn)

        def w(k, n):
            return b.randn(k, n, std=1.0 / math.sqrt(k))

        g1 = b.randn(Dm, std=0.1, mean=1.0)
        wq, bq = w(Dm, H * D), b.randn(H * D, std=0.1)
        wk, bk = w(Dm, Hkv * D), b.randn(Hkv * D, std=0.1)
        wv, bv = w(Dm, Hkv * D), b.randn(Hkv * D, std=0.1)
        wo = w(H * D, Dm)
        c, s = rope_tables(b, S, D // 2, offset_max=0)
        cv, sv = b.arg(c, (0,) if dyn else ()), b.arg(s, (0,) if dyn else ())
        g2, b2 = b.randn(Dm, std=0.1, mean=1.0), b.randn(Dm, std=0.1)
        wg, wu, wd = w(Dm, F), w(Dm, F), w(F, Dm)

        (xb,) = b.block_begin("pre_ln", [x], layer=0)
        n1 = b.norm("rms", xb, g1, None, 1e-6)
        q = b.linear(n1, wq, bq)
        k = b.linear(n1, wk, bk)
        v = b.linear(n1, wv, bv)
        q = b.rotary("half", q, cv, sv, H)
        k = b.rotary("half", k, cv, sv, Hkv)
        a = b.attention(q, k, v, num_heads=H, num_kv_heads=Hkv, causal=True)
        o = b.linear(a, wo)
        x1 = b.residual(xb, [o])
        n2 = b.norm("layer", x1, g2, b2, 1e-5)
        gate = b.linear(n2, wg)
        up = b.linear(n2, wu)
        h = b.activation("silu", gate, up)
        d = b.linear(h, wd)
        y = b.residual(x1, [d])
        (out,) = b.block_end([y])
        out.scale = None
        b.ret(out)
    return fn


add("block_pre_ln", _block_case())
add("block_pre_ln_dyn", _block_case(B=2, S=7, dyn=(0, 1)))


# ---------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------


def build(name, fn):
    b = Builder(name)
    fn(b)
    return b


def write_case(outdir, b):
    d = os.path.join(outdir, b.name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "model.mlir"), "w") as f:
        f.write(b.mlir())
    for i, a in enumerate(b.args):
        np.save(os.path.join(d, f"in{i}.npy"), a.value)
    for i, r in enumerate(b.results):
        assert r.value.dtype == r.dtype, (b.name, r.value.dtype, r.dtype)
        np.save(os.path.join(d, f"out{i}.npy"), r.value)
    atol, rtol = b.tolerance()
    with open(os.path.join(d, "tol.txt"), "w") as f:
        f.write(f"{atol:.3g} {rtol:.3g}\n")


def selected(only):
    names = [n for n, _ in CASES]
    assert len(set(names)) == len(names), "duplicate case names"
    return [(n, fn) for n, fn in CASES if only is None or only in n]


def generate(outdir, only=None, tfm_opt=None, quiet=False):
    os.makedirs(outdir, exist_ok=True)
    cases = selected(only)
    names = []
    bad = []
    for name, fn in cases:
        b = build(name, fn)
        write_case(outdir, b)
        names.append(name)
        if tfm_opt:
            p = subprocess.run([tfm_opt, os.path.join(outdir, name, "model.mlir"), "-o", os.devnull],
                               capture_output=True, text=True)
            if p.returncode != 0:
                bad.append((name, p.stderr.strip()))
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        f.write("".join(n + "\n" for n in names))
    if not quiet:
        print(f"wrote {len(names)} cases to {outdir}")
    if tfm_opt:
        for name, err in bad:
            print(f"INVALID {name}: {err}")
        if not quiet:
            print(f"tfm-opt: {len(names) - len(bad)} valid, {len(bad)} invalid")
    return names, bad


def calibrate(only=None):
    """Recomputes every case with the reference in float32 and reports the
    worst |f32 - ref| / (atol + rtol*|ref|) per case."""
    worst = []
    for name, fn in selected(only):
        b = build(name, fn)
        atol, rtol = b.tolerance()
        prev = R._set_compute_dtype(np.float32)
        try:
            b32 = build(name, fn)
        finally:
            R._set_compute_dtype(prev)
        ratio = 0.0
        for r, r32 in zip(b.results, b32.results):
            exp = r.value.astype(np.float64)
            got = r32.value.astype(np.float64)
            both_inf = np.isinf(exp) & (exp == got)
            err = np.where(both_inf, 0.0, np.abs(got - exp))
            ratio = max(ratio, float(np.max(err / (atol + rtol * np.abs(exp)), initial=0.0)))
        worst.append((ratio, name))
        print(f"{ratio:8.4f}  {name}")
    worst.sort(reverse=True)
    print("worst:", ", ".join(f"{n} {r:.3f}" for r, n in worst[:5]))
    return all(r <= 1.0 for r, _ in worst)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir", nargs="?")
    ap.add_argument("--only", default=None, help="only cases whose name contains SUBSTRING")
    ap.add_argument("--tfm-opt", default=None, help="verify each model.mlir with this tfm-opt")
    ap.add_argument("--calibrate", action="store_true", help="check tolerances against a float32 reference")
    ap.add_argument("--list", action="store_true", help="print the case names and exit")
    args = ap.parse_args(argv)
    if args.list:
        for n, _ in selected(args.only):
            print(n)
        return 0
    if args.calibrate:
        return 0 if calibrate(args.only) else 1
    if not args.outdir:
        ap.error("OUTDIR is required")
    _, bad = generate(args.outdir, args.only, args.tfm_opt)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
