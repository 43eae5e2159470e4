#!/usr/bin/env python3
"""Writes a small causal Llama-style ONNX model with planted massive activations.

    build/test-venv/bin/python scripts/make_massive_model.py --out-dir DIR \
        [--seed 0] [--layers 4] [--hidden 48] [--heads 4] [--kv-heads 2] \
        [--massive-layer 1] [--massive-dims 2] [--magnitude 3000] [--bos 1] \
        [--window W] [--position-ids] [--rope compute|table] [--tied] [--opset 17]

Needs only numpy and onnx. The model (Sun et al. 2024, "Massive Activations
in Large Language Models"; ../shared/docs/PASSES.md §2, §3.c) is a pre-LN
decoder: RMSNorm (x * 1/sqrt(mean(x^2) + 1e-6) * w), GQA attention with
rotary embeddings in the `half` (rotate_half) layout, SwiGLU MLP
down(silu(gate m) * up m), final RMSNorm and an LM head, no biases; input
`input_ids` [batch, sequence] int64 (plus `position_ids` [batch, sequence]
int64 with --position-ids), output `logits` [batch, sequence, vocab].

What is planted (all seeded, see `make_weights`):

  * the BOS embedding carries a marker channel (BOS_DIM) that ordinary
    tokens leave near zero, and no block writes into it;
  * one SwiGLU neuron of block --massive-layer reads only that channel
    (gate and up), so it fires on the BOS token and stays ~0 elsewhere; its
    down-projection column writes +magnitude and about -0.7 * magnitude into
    --massive-dims chosen feature dims. The residual stream carries them to
    the last block: from layer l* = --massive-layer on (layer k = output of
    block k, counted from 0), token 0 has |h| in the thousands in those dims
    while every other activation is O(1);
  * attention sinks: in the blocks after l*, every ordinary token's query
    has a component along a direction in the lowest-frequency rotary lanes
    (read from a "common" channel every ordinary token carries), and token
    0's key (its normalised hidden state is ~ the fixed massive direction)
    is aligned with it, so later tokens put a large share of their
    attention on token 0.

The detector neuron keys on the BOS token's identity, not on position 0: a
BOS at a later position would fire it too, so random sequences draw their
tokens from every id but BOS.

Checks (the script exits non-zero when one fails):

  * the NumPy float64 reference (`forward`) finds exactly the planted
    (layer, token, dim) triples with the criterion |a| > 100 and
    |a| >= 1000 * median |a| of the [T, D] hidden state of one sequence, on
    the stored inputs and on 16 random BOS-led sequences of lengths 16 and 64
    (BOS only at position 0);
  * onnx.reference.ReferenceEvaluator on the ONNX graph reproduces the
    reference (stored inputs and two other shapes) to 1e-4;
  * the exact massive-activations-to-bias rewrite (PASSES.md §3.c.2: token
    0's per-layer keys/values precomputed as a bias slot at position 0,
    token 0 dropped, later tokens at positions 1..T-1, the slot obeying the
    window) reproduces logits[:, 1:] in float64 (< 1e-9 relative), while
    its negative controls (runtime positions restarted at 0; the slot
    ignoring the window) change them by more than 1e-3 relative.

Output (layout of test/Models, see test/Models/README.md):

    DIR/model.onnx
    DIR/inputs/input_ids.npy      batch 2, length 12, BOS first (and
    DIR/inputs/position_ids.npy   with --position-ids: row 0 is 0..11, row 1
                                  0, 4..14, a gap after BOS)
    DIR/expected/0.npy            NumPy float64 reference rounded to float32
    DIR/meta.json                 config, "planted": [{"layer", "token", "dim"}],
                                  "bos", "window", "massive_layer", ...
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_graph  # noqa: E402

VOCAB = 96
EPS = 1e-6
THETA = 10000.0
MAX_POSITIONS = 512  # rows of the rotary tables for --rope table
STORED_BATCH, STORED_LEN = 2, 12
POSITION_GAP = 3  # --position-ids: stored row 1 is 0, 4, 5, ...
CHECK_BATCH, CHECK_LENGTHS = 16, (16, 64)
MASSIVE_ABS, MASSIVE_RATIO = 100.0, 1000.0


class Config:
    def __init__(self, args):
        self.vocab = VOCAB
        self.dim = args.hidden
        self.heads = args.heads
        self.kv_heads = args.kv_heads
        self.layers = args.layers
        self.ffn = args.ffn
        self.bos = args.bos
        self.window = args.window
        self.massive_layer = args.massive_layer
        self.massive_dims = args.massive_dims
        self.magnitude = args.magnitude
        self.tied = args.tied
        self.position_ids = args.position_ids
        self.rope = args.rope
        self.opset = args.opset
        self.seed = args.seed
        if self.dim % self.heads or self.heads % self.kv_heads:
            raise SystemExit("--hidden must be a multiple of --heads, --heads of --kv-heads")
        self.head_dim = self.dim // self.heads
        if self.head_dim % 4:
            raise SystemExit("head_dim (hidden / heads) must be a multiple of 4")
        if not 0 <= self.massive_layer < self.layers:
            raise SystemExit("--massive-layer must be in [0, --layers)")
        if not 0 <= self.bos < self.vocab:
            raise SystemExit(f"--bos must be in [0, {self.vocab})")
        if self.window is not None and self.window < 1:
            raise SystemExit("--window must be positive")

    def as_dict(self):
        return dict(vocab=self.vocab, hidden=self.dim, heads=self.heads, kv_heads=self.kv_heads,
                    head_dim=self.head_dim, layers=self.layers, ffn=self.ffn, rms_eps=EPS,
                    rope_theta=THETA, rope_layout="half", rope_tables=self.rope,
                    max_positions=MAX_POSITIONS if self.rope == "table" else None,
                    tied_lm_head=self.tied, window=self.window, position_ids=self.position_ids,
                    seed=self.seed, magnitude=self.magnitude)


# --------------------------------------------------------------------------
# NumPy reference (float64)
# --------------------------------------------------------------------------

def rms_norm(x, w):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS) * w


def rotary_tables(cfg, positions):
    """cos, sin [B, S, head_dim] for int positions [B, S] (half layout)."""
    inv_freq = 1.0 / THETA ** (np.arange(0, cfg.head_dim, 2, dtype=np.float64) / cfg.head_dim)
    ang = positions[..., None].astype(np.float64) * inv_freq
    ang = np.concatenate([ang, ang], axis=-1)
    return np.cos(ang), np.sin(ang)


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def forward(cfg, w, ids, positions=None, sink=None, sink_obeys_window=True, trace=None):
    """Logits [B, S, vocab] of ids [B, S] in float64.

    positions [B, S]: rotary positions (default 0..S-1). sink: per layer
    (k' [KVH, hd] after rotary, v' [KVH, hd]) of a bias slot in front of the
    keys; the slot sits at index 0 of the key sequence, the runtime tokens at
    1..S, and the slot is visible to query index i (in that numbering) iff
    i - 0 < window (always when not sink_obeys_window). Causality and the
    window are by index: key j visible to query i iff j <= i and i - j < W.
    trace: a dict that receives "hidden" (per layer [B, S, D]), "attn0"
    (per layer, the attention probabilities on key index 0, [B, H, S]),
    "kv" (per layer post-rotary k and v [B, KVH, S, hd]) and "mlp_act".
    """
    b, s = ids.shape
    h, kvh, hd = cfg.heads, cfg.kv_heads, cfg.head_dim
    rep = h // kvh
    if positions is None:
        positions = np.broadcast_to(np.arange(s), (b, s))
    cos, sin = rotary_tables(cfg, positions)
    cos, sin = cos[:, None], sin[:, None]  # [B, 1, S, hd]
    p = 1 if sink is not None else 0
    qi = np.arange(s)[:, None] + p
    kj = np.arange(s + p)[None, :]
    visible = kj <= qi
    if cfg.window is not None:
        inside = qi - kj < cfg.window
        if p and not sink_obeys_window:
            inside[:, 0] = True
        visible &= inside
    x = w["embed"][ids]
    hidden, attn0, kvs, acts = [], [], [], []
    for l in range(cfg.layers):
        L = w["layers"][l]
        a = rms_norm(x, L["attn_norm"])
        q = (a @ L["wq"].T).reshape(b, s, h, hd).transpose(0, 2, 1, 3)
        k = (a @ L["wk"].T).reshape(b, s, kvh, hd).transpose(0, 2, 1, 3)
        v = (a @ L["wv"].T).reshape(b, s, kvh, hd).transpose(0, 2, 1, 3)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        kvs.append((k, v))
        if p:
            ks, vs = sink[l]
            k = np.concatenate([np.broadcast_to(ks[None, :, None], (b, kvh, 1, hd)), k], axis=2)
            v = np.concatenate([np.broadcast_to(vs[None, :, None], (b, kvh, 1, hd)), v], axis=2)
        k, v = np.repeat(k, rep, axis=1), np.repeat(v, rep, axis=1)
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        scores = np.where(visible, scores, -np.inf)
        e = np.exp(scores - scores.max(-1, keepdims=True))
        att = e / e.sum(-1, keepdims=True)
        attn0.append(att[..., 0])
        y = (att @ v).transpose(0, 2, 1, 3).reshape(b, s, h * hd)
        x = x + y @ L["wo"].T
        m = rms_norm(x, L["ffn_norm"])
        g = m @ L["w_gate"].T
        act = g / (1.0 + np.exp(-g)) * (m @ L["w_up"].T)
        acts.append(act)
        x = x + act @ L["w_down"].T
        hidden.append(x)
    if trace is not None:
        trace.update(hidden=hidden, attn0=attn0, kv=kvs, mlp_act=acts)
    return rms_norm(x, w["final_norm"]) @ w["lm_head"].T


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------

def make_weights(cfg):
    """Seeded weights with the planted BOS neuron and attention sinks.

    Returns (weights, plan); plan names the special channels and the
    intended planted set.
    """
    rng = np.random.default_rng(cfg.seed)
    D, V, F = cfg.dim, cfg.vocab, cfg.ffn
    h, kvh, hd = cfg.heads, cfg.kv_heads, cfg.head_dim
    perm = rng.permutation(D)
    bos_dim, common_dim = int(perm[0]), int(perm[1])
    massive_dims = sorted(int(j) for j in perm[2:2 + cfg.massive_dims])
    neuron = int(rng.integers(F))
    signs = [1.0, -1.0] * cfg.massive_dims
    targets = {j: cfg.magnitude * signs[i] * (1.0 if i == 0 else 0.7) *
               rng.uniform(0.9, 1.1) for i, j in enumerate(massive_dims)}

    def mat(rows, cols, std):
        return rng.normal(0.0, std, (rows, cols))

    def scale(n):
        return 1.0 + rng.normal(0.0, 0.1, n)

    embed = mat(V, D, 0.4)
    # BOS marker channel: ~0 for ordinary tokens, 4 for BOS.
    embed[:, bos_dim] = rng.normal(0.0, 0.02, V)
    embed[cfg.bos, bos_dim] = 4.0
    # Common channel: ~1 for ordinary tokens (the sinks' query source), 0 for BOS.
    embed[:, common_dim] = 1.0 + rng.normal(0.0, 0.1, V)
    embed[cfg.bos, common_dim] = 0.0
    layers = []
    for _ in range(cfg.layers):
        L = dict(attn_norm=scale(D), wq=mat(h * hd, D, 0.2), wk=mat(kvh * hd, D, 0.2),
                 wv=mat(kvh * hd, D, 0.15), wo=mat(D, h * hd, 0.06), ffn_norm=scale(D),
                 w_gate=mat(F, D, 0.15), w_up=mat(F, D, 0.15), w_down=mat(D, F, 0.06))
        # No block writes into the marker and common channels, so they stay
        # what the embedding put there in every layer.
        for name in ("wo", "w_down"):
            L[name][[bos_dim, common_dim], :] = 0.0
        layers.append(L)
    final_norm = scale(D)
    lm_head = embed.copy() if cfg.tied else mat(V, D, 0.3)
    w = dict(embed=embed, layers=layers, final_norm=final_norm, lm_head=lm_head)

    # The BOS neuron of block l*: gate and up read only the marker channel.
    Ls = layers[cfg.massive_layer]
    Ls["w_gate"][neuron, :] = 0.0
    Ls["w_gate"][neuron, bos_dim] = 2.0
    Ls["w_up"][neuron, :] = 0.0
    Ls["w_up"][neuron, bos_dim] = 2.0
    Ls["w_down"][:, neuron] = 0.0
    # Token 0's state does not depend on later tokens: solve for the down
    # column that puts exactly the target values in the massive dims.
    tr = {}
    forward(cfg, w, np.array([[cfg.bos]]), trace=tr)
    act0 = tr["mlp_act"][cfg.massive_layer][0, 0, neuron]
    if act0 < 10.0:
        raise SystemExit(f"internal: the BOS neuron fires only {act0:.3g}")
    h0 = tr["hidden"][cfg.massive_layer][0, 0]
    for j, t in targets.items():
        Ls["w_down"][j, neuron] = (t - h0[j]) / act0

    # Attention sinks in the blocks after l*: u_g, a unit direction in the
    # two lowest-frequency rotary pairs of KV head g (so the sink logit
    # hardly depends on the distance); token 0's key gets a large component
    # along it, every query of head group g reads it from the common channel.
    tr = {}
    forward(cfg, w, np.array([[cfg.bos]]), trace=tr)
    half = hd // 2
    lanes = [half - 2, half - 1, hd - 2, hd - 1]
    for l in range(cfg.massive_layer + 1, cfg.layers):
        L = layers[l]
        x_in = tr["hidden"][l - 1][0, 0]
        # token 0's normalised input to this block's attention (the
        # attention does not change token 0's state before the norm)
        m0 = rms_norm(x_in, L["attn_norm"])
        m0_unit = m0 / np.linalg.norm(m0)
        for g in range(kvh):
            u = np.zeros(hd)
            u[lanes] = rng.normal(0.0, 1.0, len(lanes))
            u /= np.linalg.norm(u)
            L["wk"][g * hd:(g + 1) * hd] += 1.2 * np.outer(u, m0_unit)
            for r in range(h // kvh):
                qh = g * (h // kvh) + r
                L["wq"][qh * hd:(qh + 1) * hd, common_dim] += 1.0 * u

    planted = sorted((l, 0, j) for l in range(cfg.massive_layer, cfg.layers)
                     for j in massive_dims)
    plan = dict(bos_dim=bos_dim, common_dim=common_dim, massive_dims=massive_dims,
                neuron=neuron, targets={str(j): t for j, t in targets.items()},
                planted=planted)
    return w, plan


# --------------------------------------------------------------------------
# Massive-activation criterion
# --------------------------------------------------------------------------

def massive_set(hidden):
    """{(layer, token, dim)} per sequence for hidden = per layer [B, T, D]."""
    b = hidden[0].shape[0]
    sets = [set() for _ in range(b)]
    for l, hs in enumerate(hidden):
        for i in range(b):
            a = np.abs(hs[i])
            med = np.median(a)
            for t, j in zip(*np.nonzero((a > MASSIVE_ABS) & (a >= MASSIVE_RATIO * med))):
                sets[i].add((l, int(t), int(j)))
    return sets


def layer_profile(hidden, planted):
    """Per layer: top |a|, median |a|, the largest |a| and |a|/median outside the planted set."""
    rows = []
    for l, hs in enumerate(hidden):
        a = np.abs(hs)
        med = np.median(a.reshape(a.shape[0], -1), axis=1)  # per sequence
        mask = np.ones(a.shape, dtype=bool)
        for (pl, t, j) in planted:
            if pl == l:
                mask[:, t, j] = False
        other = np.where(mask, a, 0.0)
        ratio = other / med[:, None, None]
        rows.append(dict(layer=l, top=float(a.max()), median=float(np.median(med)),
                         top_over_median=float((a / med[:, None, None]).max()),
                         other_max=float(other.max()), other_ratio=float(ratio.max())))
    return rows


def random_sequences(cfg, rng, batch, length):
    ids = rng.integers(0, cfg.vocab - 1, (batch, length))
    ids[ids >= cfg.bos] += 1  # ordinary tokens: every id but BOS
    ids[:, 0] = cfg.bos
    return ids.astype(np.int64)


# --------------------------------------------------------------------------
# ONNX graph
# --------------------------------------------------------------------------

class GraphBuilder(onnx_graph.GraphBuilder):
    """The shared builder, plus the forms that changed across opsets."""

    def weight(self, name, array, dtype=np.float32):
        return super().weight(name, array, dtype)

    def reduce_mean_last(self, scope, x):
        if self.opset >= 18:  # axes became an input
            return self.op(scope, "ReduceMean", [x, self.const(scope, [-1])], keepdims=1)
        return self.op(scope, "ReduceMean", [x], axes=[-1], keepdims=1)


def build_onnx(cfg, w):
    """The model as an onnx.ModelProto, in the shape HF Llama's TorchScript export has."""
    import onnx
    from onnx import TensorProto, helper

    G = GraphBuilder(cfg.opset)
    f32 = np.float32
    D, h, kvh, hd = cfg.dim, cfg.heads, cfg.kv_heads, cfg.head_dim
    rep = h // kvh

    embed = G.weight("model.embed_tokens.weight", w["embed"])
    batch, seq, B1, S1, _ = G.batch_and_length("input_ids")

    # Rotary tables cos, sin [B or 1, 1, S, hd].
    sc = "/model/rotary_emb"
    inv_freq = 1.0 / THETA ** (np.arange(0, hd, 2, dtype=np.float64) / hd)
    if cfg.rope == "compute":
        # transformers >= 4.38: freqs = inv_freq[None, :, None] @ position_ids[:, None, :]
        if cfg.position_ids:
            pos = "position_ids"
        else:
            pos = G.op(sc, "Unsqueeze", [G.op(sc, "Range", [G.const(sc, 0), seq,
                                                            G.const(sc, 1)]),
                                         G.const(sc, [0])])
        posf = G.op(sc, "Cast", [G.op(sc, "Unsqueeze", [pos, G.const(sc, [1])])],
                    to=TensorProto.FLOAT)
        inv = G.weight("model.rotary_emb.inv_freq", inv_freq.reshape(1, hd // 2, 1))
        freqs = G.op(sc, "Transpose", [G.op(sc, "MatMul", [inv, posf])], perm=[0, 2, 1])
        emb = G.op(sc, "Concat", [freqs, freqs], axis=-1)
        cos = G.op(sc, "Unsqueeze", [G.op(sc, "Cos", [emb]), G.const(sc, [1])])
        sin = G.op(sc, "Unsqueeze", [G.op(sc, "Sin", [emb]), G.const(sc, [1])])
    else:
        # transformers < 4.38: cos_cached[:seq_len] (or [position_ids]) of a
        # [max_positions, hd] buffer
        ang = np.arange(MAX_POSITIONS, dtype=np.float64)[:, None] * inv_freq
        ang = np.concatenate([ang, ang], axis=-1)
        tables = []
        for name, t in (("cos_cached", np.cos(ang)), ("sin_cached", np.sin(ang))):
            t = G.weight(f"model.rotary_emb.{name}", t)
            if cfg.position_ids:
                t = G.op(sc, "Gather", [t, "position_ids"], axis=0)  # [B, S, hd]
                tables.append(G.op(sc, "Unsqueeze", [t, G.const(sc, [1])]))
            else:
                t = G.op(sc, "Slice", [t, G.const(sc, [0]), S1, G.const(sc, [0])])  # [S, hd]
                tables.append(G.op(sc, "Unsqueeze", [t, G.const(sc, [0, 1])]))
        cos, sin = tables

    # Mask [1, 1, S, S]: 0 where key j is visible to query i (j <= i and,
    # with a window, i - j < W), float32 min elsewhere; added to the scores.
    sc = "/model"
    r = G.op(sc, "Range", [G.const(sc, 0), seq, G.const(sc, 1)])
    ri = G.op(sc, "Unsqueeze", [r, G.const(sc, [1])])
    rj = G.op(sc, "Unsqueeze", [r, G.const(sc, [0])])
    masked = G.op(sc, "Greater", [rj, ri])
    if cfg.window is not None:
        far = G.op(sc, "GreaterOrEqual", [G.op(sc, "Sub", [ri, rj]),
                                          G.const(sc, cfg.window)])
        masked = G.op(sc, "Or", [masked, far])
    mask = G.op(sc, "Where", [masked, G.const(sc, np.finfo(f32).min, f32),
                              G.const(sc, 0.0, f32)])
    mask = G.op(sc, "Unsqueeze", [mask, G.const(sc, [0, 1])])

    def rmsnorm(scope, x, wname, wval):
        p = G.op(scope, "Pow", [x, G.const(scope, 2.0, f32)])
        var = G.reduce_mean_last(scope, p)
        rs = G.op(scope, "Div", [G.const(scope, 1.0, f32),
                                 G.op(scope, "Sqrt", [G.op(scope, "Add",
                                                           [var, G.const(scope, EPS, f32)])])])
        return G.op(scope, "Mul", [G.weight(wname, wval), G.op(scope, "Mul", [x, rs])])

    def linear(scope, x, name, wval):  # nn.Linear [out, in] -> MatMul on the transpose
        return G.op(scope, "MatMul", [x, G.weight(name, wval.T)])

    def heads_first(scope, x, n):  # [B, S, n*hd] -> [B, n, S, hd]
        x = G.op(scope, "Reshape", [x, G.op(scope, "Concat", [
            B1, S1, G.const(scope, [-1, hd])], axis=0)])
        return G.op(scope, "Transpose", [x], perm=[0, 2, 1, 3])

    def rotary(scope, x):
        x1 = G.op(scope, "Slice", [x, G.const(scope, [0]), G.const(scope, [hd // 2]),
                                   G.const(scope, [-1])])
        x2 = G.op(scope, "Slice", [x, G.const(scope, [hd // 2]),
                                   G.const(scope, [np.iinfo(np.int64).max]),
                                   G.const(scope, [-1])])
        rot = G.op(scope, "Concat", [G.op(scope, "Neg", [x2]), x1], axis=-1)
        return G.op(scope, "Add", [G.op(scope, "Mul", [x, cos]), G.op(scope, "Mul", [rot, sin])])

    def repeat_kv(scope, x):  # HF repeat_kv: Unsqueeze -> Expand -> Reshape
        if rep == 1:
            return x
        x = G.op(scope, "Unsqueeze", [x, G.const(scope, [2])])
        x = G.op(scope, "Expand", [x, G.op(scope, "Concat", [
            B1, G.const(scope, [kvh, rep]), S1, G.const(scope, [hd])], axis=0)])
        return G.op(scope, "Reshape", [x, G.op(scope, "Concat", [
            B1, G.const(scope, [h]), S1, G.const(scope, [hd])], axis=0)])

    x = G.op("/model/embed_tokens", "Gather", [embed, "input_ids"])
    for l in range(cfg.layers):
        L = w["layers"][l]
        pre = f"model.layers.{l}"
        a = rmsnorm(f"/{pre}/input_layernorm", x, f"{pre}.input_layernorm.weight",
                    L["attn_norm"])
        sc = f"/{pre}/self_attn"
        q = heads_first(sc, linear(f"{sc}/q_proj", a, f"{pre}.self_attn.q_proj.weight.T",
                                   L["wq"]), h)
        k = heads_first(sc, linear(f"{sc}/k_proj", a, f"{pre}.self_attn.k_proj.weight.T",
                                   L["wk"]), kvh)
        v = heads_first(sc, linear(f"{sc}/v_proj", a, f"{pre}.self_attn.v_proj.weight.T",
                                   L["wv"]), kvh)
        q, k = rotary(sc, q), rotary(sc, k)
        k, v = repeat_kv(sc, k), repeat_kv(sc, v)
        scores = G.op(sc, "MatMul", [q, G.op(sc, "Transpose", [k], perm=[0, 1, 3, 2])])
        scores = G.op(sc, "Mul", [scores, G.const(sc, 1.0 / np.sqrt(hd), f32)])
        scores = G.op(sc, "Add", [scores, mask])
        att = G.op(sc, "Softmax", [scores], axis=-1)
        y = G.op(sc, "Transpose", [G.op(sc, "MatMul", [att, v])], perm=[0, 2, 1, 3])
        y = G.op(sc, "Reshape", [y, G.op(sc, "Concat", [B1, S1, G.const(sc, [-1])], axis=0)])
        x = G.op(f"/{pre}", "Add", [x, linear(f"{sc}/o_proj", y,
                                               f"{pre}.self_attn.o_proj.weight.T", L["wo"])])
        m = rmsnorm(f"/{pre}/post_attention_layernorm", x,
                    f"{pre}.post_attention_layernorm.weight", L["ffn_norm"])
        ff = f"/{pre}/mlp"
        g = linear(f"{ff}/gate_proj", m, f"{pre}.mlp.gate_proj.weight.T", L["w_gate"])
        up = linear(f"{ff}/up_proj", m, f"{pre}.mlp.up_proj.weight.T", L["w_up"])
        act = G.op(ff, "Mul", [G.op(f"{ff}/act_fn", "Mul", [g, G.op(f"{ff}/act_fn", "Sigmoid",
                                                                    [g])]), up])
        x = G.op(f"/{pre}", "Add", [x, linear(f"{ff}/down_proj", act,
                                               f"{pre}.mlp.down_proj.weight.T", L["w_down"])])
    x = rmsnorm("/model/norm", x, "model.norm.weight", w["final_norm"])
    # the exporter writes a tied head as its own transposed copy of the embedding
    G.op("/lm_head", "MatMul", [x, G.weight("lm_head.weight.T", w["lm_head"].T)],
         output="logits")

    inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64,
                                            ["batch", "sequence"])]
    if cfg.position_ids:
        inputs.append(helper.make_tensor_value_info("position_ids", TensorProto.INT64,
                                                    ["batch", "sequence"]))
    graph = helper.make_graph(
        G.nodes, "massive_llama", inputs,
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", "sequence", cfg.vocab])],
        initializer=G.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", cfg.opset)],
                              producer_name="make_massive_model.py",
                              producer_version=f"onnx.helper {onnx.__version__}")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.failed = []

    def __call__(self, ok, what):
        print(("  ok    " if ok else "  FAIL  ") + what)
        if not ok:
            self.failed.append(what)


def rel_diff(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def check_planted(cfg, w, plan, stored, stored_pos, check):
    intended = set(plan["planted"])
    rng = np.random.default_rng(cfg.seed + 1)
    print("massive activations (|a| > 100 and |a| >= 1000 x median |a| of the [T, D] state):")
    runs = [("stored inputs", stored, stored_pos)] + [
        (f"{CHECK_BATCH} random sequences of length {n}",
         random_sequences(cfg, rng, CHECK_BATCH, n), None) for n in CHECK_LENGTHS]
    profiles = []
    for what, ids, pos in runs:
        tr = {}
        forward(cfg, w, ids, pos, trace=tr)
        sets = massive_set(tr["hidden"])
        bad = [i for i, s in enumerate(sets) if s != intended]
        check(not bad, f"{what}: each sequence has exactly the planted set"
              + (f" (sequence {bad[0]}: {sorted(sets[bad[0]])})" if bad else ""))
        profiles.append((what, layer_profile(tr["hidden"], plan["planted"]), tr))
    return profiles


def check_rewrite(cfg, w, ids, pos, want, check):
    """The exact rewrite and its negative controls, in float64."""
    tr = {}
    forward(cfg, w, np.array([[cfg.bos]]), trace=tr)
    sink = [(k[0, :, 0], v[0, :, 0]) for k, v in tr["kv"]]
    b, s = ids.shape
    runtime = ids[:, 1:]
    absolute = pos[:, 1:]
    restarted = np.broadcast_to(np.arange(0, s - 1), (b, s - 1))
    ref = want[:, 1:]
    print("exact rewrite (token 0 -> per-layer key/value slot at position 0), float64:")
    d = rel_diff(forward(cfg, w, runtime, absolute, sink), ref)
    check(d < 1e-9, f"slot + tokens 1..T-1 at their positions: rel diff {d:.2e} (< 1e-9)")
    d = rel_diff(forward(cfg, w, runtime, restarted, sink), ref)
    check(d > 1e-3, f"negative control, positions restarted at 0: rel diff {d:.2e} (> 1e-3)")
    if cfg.window is not None:
        d = rel_diff(forward(cfg, w, runtime, absolute, sink, sink_obeys_window=False), ref)
        check(d > 1e-3, f"negative control, slot ignores the window: rel diff {d:.2e} (> 1e-3)")
    d = rel_diff(forward(cfg, w, runtime, absolute), ref)
    check(d > 1e-3, f"negative control, token 0 dropped without a slot: rel diff {d:.2e} "
          "(> 1e-3)")


def check_onnx(cfg, model, w, stored, stored_pos, want, check):
    from onnx.reference import ReferenceEvaluator
    ref = ReferenceEvaluator(model)
    rng = np.random.default_rng(cfg.seed + 2)
    longer = (cfg.window or 0) + 9
    cases = [(stored, stored_pos, want)]
    for b, s in ((3, longer), (1, 5)):
        ids = random_sequences(cfg, rng, b, s)
        pos = np.broadcast_to(np.arange(s), (b, s)).astype(np.int64)
        cases.append((ids, pos, forward(cfg, w, ids)))
    print("onnx.reference.ReferenceEvaluator vs the NumPy reference:")
    for ids, pos, expect in cases:
        feeds = {"input_ids": ids}
        if cfg.position_ids:
            feeds["position_ids"] = np.ascontiguousarray(pos)
        got = ref.run(None, feeds)[0]
        d = float(np.max(np.abs(got - expect)))
        check(got.shape == expect.shape and d <= 1e-4,
              f"batch {ids.shape[0]}, sequence {ids.shape[1]}: max|diff| {d:.2e} (<= 1e-4)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", "--out", dest="out_dir", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=48)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--kv-heads", type=int, default=2)
    ap.add_argument("--ffn", type=int, default=96, help="SwiGLU intermediate size")
    ap.add_argument("--bos", type=int, default=1, help="the fixed first token id")
    ap.add_argument("--massive-layer", type=int, default=1,
                    help="l*: first layer output (0 = first block's) with massive activations")
    ap.add_argument("--massive-dims", type=int, choices=(1, 2), default=2)
    ap.add_argument("--magnitude", type=float, default=3000.0,
                    help="target |h| of the first massive dim (the second gets ~0.7x)")
    ap.add_argument("--window", type=int, default=None,
                    help="sliding-window attention: key j visible to query i iff "
                         "j <= i and i - j < W")
    ap.add_argument("--position-ids", action="store_true",
                    help="a second input position_ids [batch, sequence] drives the rotary")
    ap.add_argument("--rope", choices=("compute", "table"), default="compute",
                    help="compute: cos/sin from inv_freq and the positions in the graph "
                         "(transformers >= 4.38; raised to tfm.rotary); table: sliced "
                         "(gathered with --position-ids) from constant [max_positions, "
                         "head_dim] tables (transformers < 4.38; tfm-raise leaves that "
                         "rotary as ONNX ops)")
    ap.add_argument("--tied", action="store_true", help="LM head tied to the embedding")
    ap.add_argument("--opset", type=int, default=17, choices=range(14, 19))
    args = ap.parse_args()
    cfg = Config(args)
    if not args.magnitude * 0.63 > MASSIVE_ABS:
        raise SystemExit("--magnitude too small to pass the |a| > 100 test")

    import onnx

    w, plan = make_weights(cfg)
    print("config:", json.dumps(cfg.as_dict()))
    print(f"BOS {cfg.bos}: marker dim {plan['bos_dim']}, common dim {plan['common_dim']}, "
          f"neuron {plan['neuron']} of block {cfg.massive_layer}, massive dims "
          f"{plan['massive_dims']} (targets " +
          ", ".join(f"{j}: {t:.0f}" for j, t in plan["targets"].items()) + ")")
    check = Checks()

    rng = np.random.default_rng(cfg.seed + 3)
    ids = random_sequences(cfg, rng, STORED_BATCH, STORED_LEN)
    pos = np.tile(np.arange(STORED_LEN, dtype=np.int64), (STORED_BATCH, 1))
    if cfg.position_ids:
        # row 1 has a gap after BOS, so that position_ids is not 0..S-1 throughout
        pos[1, 1:] += POSITION_GAP
    want = forward(cfg, w, ids, pos)

    profiles = check_planted(cfg, w, plan, ids, pos, check)
    print("per layer (the random length-64 sequences): top |a|, median |a|, top/median; "
          "largest |a| and |a|/median outside the planted set; attention on key 0")
    what, rows, tr = profiles[-1]
    for row in rows:
        l = row["layer"]
        att0 = tr["attn0"][l][:, :, 1:]  # queries 1.. (query 0 sees only key 0)
        print(f"  layer {l}: top {row['top']:9.2f}  median {row['median']:.3f}  "
              f"top/median {row['top_over_median']:9.1f}   other {row['other_max']:6.2f} "
              f"({row['other_ratio']:5.1f}x median)   attn on token 0: mean "
              f"{att0.mean():.2f}, at queries 1-4 {att0[..., :4].mean():.2f}")
    planted_set = sorted(plan["planted"])
    print("planted (layer, token, dim):", planted_set)

    check_rewrite(cfg, w, ids, pos, want, check)

    model = build_onnx(cfg, w)
    check_onnx(cfg, model, w, ids, pos, want, check)
    if check.failed:
        print(f"{len(check.failed)} check(s) failed; nothing written", file=sys.stderr)
        return 1

    out = args.out_dir
    os.makedirs(os.path.join(out, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    path = os.path.join(out, "model.onnx")
    onnx.save(model, path)
    np.save(os.path.join(out, "inputs", "input_ids.npy"), ids)
    inputs = ["input_ids"]
    if cfg.position_ids:
        np.save(os.path.join(out, "inputs", "position_ids.npy"), pos)
        inputs.append("position_ids")
    np.save(os.path.join(out, "expected", "0.npy"), want.astype(np.float32))
    meta = dict(
        name=os.path.basename(os.path.normpath(out)), family="llama", exporter="onnx.helper",
        opset=cfg.opset, layers=cfg.layers, heads=cfg.heads, kv_heads=cfg.kv_heads,
        hidden=cfg.dim, block_kind="pre_ln", inputs=inputs, outputs=["logits"],
        config=cfg.as_dict(), bos=cfg.bos, window=cfg.window,
        massive_layer=cfg.massive_layer,
        planted=[dict(layer=l, token=t, dim=j) for (l, t, j) in planted_set],
        planting=dict(bos_marker_dim=plan["bos_dim"], common_dim=plan["common_dim"],
                      neuron=plan["neuron"], targets=plan["targets"]),
        criterion="|a| > 100 and |a| >= 1000 * median |a| of one sequence's [T, D] "
                  "output of block `layer` (0 = the first block's output)",
        notes="Written by scripts/make_massive_model.py (numpy + onnx.helper, no exporter). "
              "Llama-style pre-LN decoder: RMSNorm eps 1e-6 (x * 1/sqrt(mean(x^2) + eps) * w), "
              "GQA, rotary 'half' layout (theta 10000) on the full head_dim, "
              + ("cos/sin computed in-graph from inv_freq and the positions"
                 if cfg.rope == "compute" else
                 f"cos/sin {'gathered' if cfg.position_ids else 'sliced'} from constant "
                 f"[{MAX_POSITIONS}, head_dim] tables")
              + (" given by the position_ids input (stored: row 0 is 0..S-1, row 1 0 then "
                 f"{1 + POSITION_GAP}.., a gap after BOS)" if cfg.position_ids else
                 " 0..S-1 (from Shape(input_ids))")
              + "; attention scores scaled by 1/sqrt(head_dim) plus an additive mask "
              "(0 / float32 min) computed from the sequence length: key j visible to query i "
              "iff j <= i" + (f" and i - j < {cfg.window}" if cfg.window else "")
              + "; SwiGLU down(silu(gate m) * up m); no biases; "
              + ("LM head tied to the embedding" if cfg.tied else "separate LM head")
              + ". Planted: the BOS embedding carries a marker channel that one SwiGLU neuron of "
              f"block {cfg.massive_layer} detects; its down projection writes thousands into "
              "the planted dims of token 0, which the residual stream keeps to the last layer; "
              "blocks after it have attention sinks on token 0. BOS is token 0 of every stored "
              "sequence and appears nowhere else. expected/0.npy: NumPy float64 reference "
              "rounded to float32.")
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB), inputs/, expected/0.npy, "
          "meta.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
