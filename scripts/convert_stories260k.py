#!/usr/bin/env python3
"""Converts llama2.c's stories260K checkpoint to ONNX and checks it.

    python3 scripts/convert_stories260k.py [--builder auto|onnx|torch] \
        [--checkpoint /work/shared/models/stories260K/stories260K.bin] \
        [--tokenizer /work/shared/models/stories260K/tok512.bin] \
        [--out-dir build/models/stories260K] [--opset 17]

Reads the llama2.c "legacy" checkpoint (7 int32 header fields, then float32
tensors; see /work/shared/models/stories260K/README.md) and writes a model
that computes exactly what llama2.c's run.c computes (RMSNorm eps 1e-5,
interleaved-pair rotary written with real arithmetic, grouped-query attention,
SwiGLU, classifier tied to the token embedding) as ONNX (input `input_ids`
[batch, sequence] int64, output `logits` [batch, sequence, vocab]), with
inputs/ + expected/ + meta.json next to it in the layout of test/Models.

Two builders write the same model:

  onnx   (the default when torch is not importable; needs only numpy and
         onnx) builds the graph node by node with onnx.helper in the shape
         the TorchScript exporter gives the torch module (MatMul on transposed
         weight initializers, Pow/ReduceMean/Sqrt/Div RMSNorm, rotary as
         Reshape [.., hd/2, 2] + Gather of the pair halves + Mul/Sub/Add +
         Unsqueeze/Concat, GQA via Unsqueeze/Tile/Reshape, Range/Greater/Where
         causal mask, Sigmoid*Mul SiLU). Checks: greedy decoding with the
         NumPy reference (float64, `forward_numpy`) reproduces the published
         continuation; the ONNX graph (ONNX Runtime if importable, else
         onnx.reference) reproduces the NumPy reference; and, when torch is
         importable, the torch module agrees with both. expected/ holds the
         NumPy reference (float64 rounded to float32).
  torch  (the default when torch is importable) builds a torch module and
         exports it with the TorchScript-based exporter; checks that greedy
         decoding in torch reproduces the published continuation and that
         ONNX Runtime reproduces the torch logits. expected/ holds torch's
         float32 logits.

The module also provides the tokenizer for llama2.c's tok512.bin format
(`Tokenizer`), used by scripts/stories260k_generate.py.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import onnx_graph  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR = "/work/shared/models/stories260K"
DEFAULT_CHECKPOINT = os.path.join(MODEL_DIR, "stories260K.bin")
DEFAULT_TOKENIZER = os.path.join(MODEL_DIR, "tok512.bin")
DEFAULT_OUT = os.path.join(ROOT, "build", "models", "stories260K")

BOS = 1
EOS = 2
PROMPT = "Once upon a time"
# Published greedy continuation (README of the checkpoint).
REFERENCE = ("Once upon a time, there was a little girl named Lily. She loved to play outside "
             "in the park. One day, she saw a big, red ball. She wanted to play with it, but it "
             "was too high.")


# --------------------------------------------------------------------------
# Tokenizer (llama2.c tokenizer.bin format)
# --------------------------------------------------------------------------

class Tokenizer:
    """llama2.c's sentencepiece-style BPE tokenizer over tok512.bin.

    File layout: int32 max_token_length, then for every token: float32 score,
    int32 byte length, the UTF-8 bytes.  Token 0 is <unk>, 1 <s> (BOS),
    2 </s> (EOS), 3..258 the byte-fallback tokens <0x00>..<0xFF>.
    """

    def __init__(self, path, vocab_size=None):
        with open(path, "rb") as f:
            data = f.read()
        (self.max_token_length,) = struct.unpack_from("<i", data, 0)
        off = 4
        self.pieces = []
        self.scores = []
        while off < len(data) and (vocab_size is None or len(self.pieces) < vocab_size):
            score, n = struct.unpack_from("<fi", data, off)
            off += 8
            self.pieces.append(data[off:off + n])
            self.scores.append(score)
            off += n
        if vocab_size is not None and len(self.pieces) != vocab_size:
            raise ValueError(f"{path}: {len(self.pieces)} tokens, expected {vocab_size}")
        self.lookup = {}
        for i, p in enumerate(self.pieces):
            self.lookup.setdefault(p, i)  # first id wins, like bsearch on unique pieces

    @property
    def vocab_size(self):
        return len(self.pieces)

    def encode(self, text, bos=False, eos=False):
        """llama2.c run.c encode(): dummy prefix, code points, greedy best-score merges."""
        tokens = []
        if bos:
            tokens.append(BOS)
        raw = text.encode("utf-8")
        if raw:
            # add_dummy_prefix: sentencepiece prepends a space to the text
            tokens.append(self.lookup[b" "])
        for ch in text:
            b = ch.encode("utf-8")
            tid = self.lookup.get(b)
            if tid is not None:
                tokens.append(tid)
            else:
                # byte fallback: <0xXX> tokens start at id 3
                tokens.extend(x + 3 for x in b)
        # merge the best-scoring adjacent pair until none merges
        while True:
            best_score, best_id, best_idx = -1e10, -1, -1
            for i in range(len(tokens) - 1):
                merged = self.pieces[tokens[i]] + self.pieces[tokens[i + 1]]
                tid = self.lookup.get(merged)
                if tid is not None and self.scores[tid] > best_score:
                    best_score, best_id, best_idx = self.scores[tid], tid, i
            if best_idx == -1:
                break
            tokens[best_idx:best_idx + 2] = [best_id]
        if eos:
            tokens.append(EOS)
        return tokens

    def decode_piece(self, prev_token, token):
        """llama2.c run.c decode(): bytes of one token given the previous one."""
        piece = self.pieces[token]
        # after BOS, sentencepiece strips the leading whitespace
        if prev_token == BOS and piece.startswith(b" "):
            piece = piece[1:]
        # raw byte tokens <0xXX>
        if len(piece) == 6 and piece.startswith(b"<0x") and piece.endswith(b">"):
            try:
                piece = bytes([int(piece[3:5], 16)])
            except ValueError:
                pass
        return piece

    def decode(self, tokens):
        """Text of a token sequence (the BOS itself prints nothing)."""
        out = b""
        prev = None
        for t in tokens:
            if t == BOS and prev is None:
                prev = t
                continue
            out += self.decode_piece(prev, t)
            prev = t
        return out.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------
# Checkpoint and model
# --------------------------------------------------------------------------

class Config:
    def __init__(self, dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len):
        self.dim = dim
        self.hidden_dim = hidden_dim
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.n_kv_heads = n_kv_heads
        self.shared_classifier = vocab_size > 0
        self.vocab_size = abs(vocab_size)
        self.seq_len = seq_len
        self.head_dim = dim // n_heads
        self.kv_dim = self.head_dim * n_kv_heads

    def as_dict(self):
        return dict(dim=self.dim, hidden_dim=self.hidden_dim, n_layers=self.n_layers,
                    n_heads=self.n_heads, n_kv_heads=self.n_kv_heads,
                    vocab_size=self.vocab_size, seq_len=self.seq_len,
                    shared_classifier=self.shared_classifier)


def read_checkpoint(path):
    """Returns (Config, dict of float32 numpy arrays) of a llama2.c legacy checkpoint."""
    with open(path, "rb") as f:
        data = f.read()
    cfg = Config(*struct.unpack_from("<7i", data, 0))
    off = 28
    L, D, H, KV, V, S = (cfg.n_layers, cfg.dim, cfg.hidden_dim, cfg.kv_dim, cfg.vocab_size,
                         cfg.seq_len)
    hd2 = cfg.head_dim // 2
    shapes = [
        ("tok_embeddings", (V, D)),
        ("rms_att", (L, D)),
        ("wq", (L, D, D)),
        ("wk", (L, KV, D)),
        ("wv", (L, KV, D)),
        ("wo", (L, D, D)),
        ("rms_ffn", (L, D)),
        ("w1", (L, H, D)),
        ("w2", (L, D, H)),
        ("w3", (L, H, D)),
        ("rms_final", (D,)),
        ("freq_cis_real", (S, hd2)),
        ("freq_cis_imag", (S, hd2)),
    ]
    if not cfg.shared_classifier:
        shapes.append(("wcls", (V, D)))
    weights = {}
    for name, shape in shapes:
        n = int(np.prod(shape))
        weights[name] = np.frombuffer(data, dtype="<f4", count=n, offset=off).reshape(shape).copy()
        off += 4 * n
    if off != len(data):
        raise ValueError(f"{path}: read {off} of {len(data)} bytes; not a legacy llama2.c "
                         "checkpoint with this header")
    return cfg, weights


def build_model(cfg, weights):
    import torch
    import torch.nn as nn

    class RMSNorm(nn.Module):
        def __init__(self, w, eps=1e-5):
            super().__init__()
            self.eps = eps
            self.weight = nn.Parameter(torch.from_numpy(w))

        def forward(self, x):
            # run.c rmsnorm: x * (1 / sqrt(mean(x^2) + eps)) * w
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight

    def linear(w):
        lin = nn.Linear(w.shape[1], w.shape[0], bias=False)
        lin.weight = nn.Parameter(torch.from_numpy(w))
        return lin

    def rotary(x, cos, sin):
        """run.c RoPE on interleaved pairs (x[2i], x[2i+1]), real arithmetic.

        x: [B, S, H, hd]; cos, sin: [S, hd/2].
        """
        b, s, h, d = x.shape
        xp = x.reshape(b, s, h, d // 2, 2)
        x0 = xp[..., 0]
        x1 = xp[..., 1]
        c = cos.view(1, s, 1, d // 2)
        n = sin.view(1, s, 1, d // 2)
        y0 = x0 * c - x1 * n
        y1 = x0 * n + x1 * c
        return torch.stack((y0, y1), dim=-1).reshape(b, s, h, d)

    class Attention(nn.Module):
        def __init__(self, layer):
            super().__init__()
            self.wq = linear(weights["wq"][layer])
            self.wk = linear(weights["wk"][layer])
            self.wv = linear(weights["wv"][layer])
            self.wo = linear(weights["wo"][layer])

        def forward(self, x, cos, sin):
            b, s, _ = x.shape
            h, kvh, hd = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
            q = rotary(self.wq(x).view(b, s, h, hd), cos, sin)
            k = rotary(self.wk(x).view(b, s, kvh, hd), cos, sin)
            v = self.wv(x).view(b, s, kvh, hd)
            q = q.transpose(1, 2)                       # [B, H, S, hd]
            k = k.transpose(1, 2)                       # [B, KVH, S, hd]
            v = v.transpose(1, 2)
            rep = h // kvh
            # query head i uses KV head i // rep (run.c: h / kv_mul)
            k = k.repeat_interleave(rep, dim=1)
            v = v.repeat_interleave(rep, dim=1)
            scores = torch.matmul(q, k.transpose(-1, -2)) / (hd ** 0.5)
            i = torch.arange(s, device=x.device).unsqueeze(1)
            j = torch.arange(s, device=x.device).unsqueeze(0)
            scores = scores.masked_fill(j > i, float("-inf"))
            att = torch.softmax(scores, dim=-1)
            y = torch.matmul(att, v).transpose(1, 2).reshape(b, s, h * hd)
            return self.wo(y)

    class FeedForward(nn.Module):
        def __init__(self, layer):
            super().__init__()
            self.w1 = linear(weights["w1"][layer])
            self.w2 = linear(weights["w2"][layer])
            self.w3 = linear(weights["w3"][layer])

        def forward(self, x):
            return self.w2(torch.nn.functional.silu(self.w1(x)) * self.w3(x))

    class Block(nn.Module):
        def __init__(self, layer):
            super().__init__()
            self.attention_norm = RMSNorm(weights["rms_att"][layer])
            self.attention = Attention(layer)
            self.ffn_norm = RMSNorm(weights["rms_ffn"][layer])
            self.feed_forward = FeedForward(layer)

        def forward(self, x, cos, sin):
            x = x + self.attention(self.attention_norm(x), cos, sin)
            return x + self.feed_forward(self.ffn_norm(x))

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)
            self.tok_embeddings.weight = nn.Parameter(torch.from_numpy(weights["tok_embeddings"]))
            self.layers = nn.ModuleList(Block(l) for l in range(cfg.n_layers))
            self.norm = RMSNorm(weights["rms_final"])
            self.output = nn.Linear(cfg.dim, cfg.vocab_size, bias=False)
            if cfg.shared_classifier:
                self.output.weight = self.tok_embeddings.weight
            else:
                self.output.weight = nn.Parameter(torch.from_numpy(weights["wcls"]))
            self.register_buffer("freq_cos", torch.from_numpy(weights["freq_cis_real"]),
                                 persistent=False)
            self.register_buffer("freq_sin", torch.from_numpy(weights["freq_cis_imag"]),
                                 persistent=False)

        def forward(self, input_ids):
            s = input_ids.shape[1]
            cos = self.freq_cos[:s]
            sin = self.freq_sin[:s]
            x = self.tok_embeddings(input_ids)
            for layer in self.layers:
                x = layer(x, cos, sin)
            return self.output(self.norm(x))

    return Transformer().eval()


def load_model(checkpoint=DEFAULT_CHECKPOINT):
    cfg, weights = read_checkpoint(checkpoint)
    return cfg, build_model(cfg, weights)


def greedy_torch(model, tokens, steps):
    import torch
    ids = list(tokens)
    with torch.no_grad():
        for _ in range(steps):
            logits = model(torch.tensor([ids], dtype=torch.int64))
            nxt = int(torch.argmax(logits[0, -1]))
            if nxt == BOS:  # llama2.c stops at BOS as the sequence delimiter
                break
            ids.append(nxt)
    return ids


def test_inputs(tok):
    """Stored inputs: batch 2, BOS + the prompt and BOS + a second sentence cut to equal length."""
    second = [BOS] + tok.encode("Lily saw a big red ball")
    first = [BOS] + tok.encode(PROMPT)
    n = min(len(first), len(second))
    return np.array([first[:n], second[:n]], dtype=np.int64)


def write_test_data(out_dir, cfg, opset, exporter, ids, want, reference):
    """inputs/input_ids.npy, expected/0.npy and meta.json in the layout of test/Models."""
    os.makedirs(os.path.join(out_dir, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "expected"), exist_ok=True)
    np.save(os.path.join(out_dir, "inputs", "input_ids.npy"), ids)
    np.save(os.path.join(out_dir, "expected", "0.npy"), want.astype(np.float32))
    meta = dict(name="stories260K", family="llama2.c", exporter=exporter, opset=opset,
                layers=cfg.n_layers, heads=cfg.n_heads, kv_heads=cfg.n_kv_heads,
                hidden=cfg.dim, block_kind="pre_ln", inputs=["input_ids"], outputs=["logits"],
                config=cfg.as_dict(),
                notes="llama2.c stories260K (TinyStories, pretrained): RMSNorm eps 1e-5 "
                      "(x * rsqrt(mean(x^2) + eps) * w), rotary on interleaved pairs "
                      "(x[2i], x[2i+1]) written with real arithmetic, cos/sin sliced from the "
                      "checkpoint's freq_cis tables [seq_len 512, head_dim/2], GQA 8 heads / "
                      "4 KV heads (repeat_interleave), SwiGLU w2(silu(w1 x) * w3 x) with "
                      "hidden 172, no biases, classifier tied to the token embedding. "
                      "inputs/input_ids.npy is BOS + 'Once upon a time' and BOS + 'Lily saw "
                      f"a big red ball' cut to equal length. expected/0.npy: {reference}.")
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")


def export(model, cfg, out_dir, opset, tok):
    import onnx
    import onnxruntime as ort
    import torch

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    example = torch.tensor([[BOS] + tok.encode(PROMPT)] * 2, dtype=torch.int64)
    torch.onnx.export(model, (example,), path, dynamo=False, opset_version=opset,
                      input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch", 1: "sequence"}},
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)

    ids = test_inputs(tok)
    with torch.no_grad():
        want = model(torch.from_numpy(ids)).numpy()
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input_ids": ids})[0]
    diff = float(np.max(np.abs(got - want)))
    # and a longer, batch-1 sequence to check the dynamic dims
    long_ids = np.array([[BOS] + tok.encode(REFERENCE)], dtype=np.int64)
    with torch.no_grad():
        want_long = model(torch.from_numpy(long_ids)).numpy()
    diff_long = float(np.max(np.abs(sess.run(None, {"input_ids": long_ids})[0] - want_long)))
    print(f"onnxruntime vs torch: max|diff| {diff:.2e} (batch 2, seq {ids.shape[1]}), "
          f"{diff_long:.2e} (batch 1, seq {long_ids.shape[1]})")
    if not max(diff, diff_long) <= 1e-4:
        raise SystemExit("onnxruntime disagrees with torch beyond 1e-4")
    write_test_data(out_dir, cfg, opset, "torchscript", ids, want,
                    "torch eager float32 logits")
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB)")
    return path


# --------------------------------------------------------------------------
# Without torch: NumPy reference and an ONNX graph written with onnx.helper
# --------------------------------------------------------------------------

def forward_numpy(cfg, weights, ids):
    """run.c's forward pass over whole sequences, in float64: logits [B, S, vocab]."""
    f = {k: v.astype(np.float64) for k, v in weights.items()}
    b, s = ids.shape
    h, kvh, hd = cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
    cos = f["freq_cis_real"][:s][None, :, None, :]  # [1, S, 1, hd/2]
    sin = f["freq_cis_imag"][:s][None, :, None, :]

    def rmsnorm(x, w):
        return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + 1e-5) * w

    def rotary(x):  # [B, S, heads, hd], pairs (x[2i], x[2i+1])
        x0, x1 = x[..., 0::2], x[..., 1::2]
        y = np.empty_like(x)
        y[..., 0::2] = x0 * cos - x1 * sin
        y[..., 1::2] = x0 * sin + x1 * cos
        return y

    causal = np.triu(np.ones((s, s), dtype=bool), 1)
    x = f["tok_embeddings"][ids]
    for l in range(cfg.n_layers):
        a = rmsnorm(x, f["rms_att"][l])
        q = rotary((a @ f["wq"][l].T).reshape(b, s, h, hd)).transpose(0, 2, 1, 3)
        k = rotary((a @ f["wk"][l].T).reshape(b, s, kvh, hd)).transpose(0, 2, 1, 3)
        v = (a @ f["wv"][l].T).reshape(b, s, kvh, hd).transpose(0, 2, 1, 3)
        k = np.repeat(k, h // kvh, axis=1)  # query head i uses KV head i // rep
        v = np.repeat(v, h // kvh, axis=1)
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(hd)
        scores[..., causal] = -np.inf
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        att = scores / scores.sum(-1, keepdims=True)
        y = (att @ v).transpose(0, 2, 1, 3).reshape(b, s, h * hd)
        x = x + y @ f["wo"][l].T
        m = rmsnorm(x, f["rms_ffn"][l])
        g = m @ f["w1"][l].T
        x = x + ((g / (1 + np.exp(-g))) * (m @ f["w3"][l].T)) @ f["w2"][l].T
    cls = f["tok_embeddings"] if cfg.shared_classifier else f["wcls"]
    return rmsnorm(x, f["rms_final"]) @ cls.T


def greedy(logits_fn, tokens, steps):
    """Greedy decoding with a function ids [1, S] -> logits [1, S, V]; stops at BOS."""
    ids = list(tokens)
    for _ in range(steps):
        nxt = int(np.argmax(logits_fn(np.array([ids], dtype=np.int64))[0, -1]))
        if nxt == BOS:  # llama2.c stops at BOS as the sequence delimiter
            break
        ids.append(nxt)
    return ids


def build_onnx(cfg, weights, opset=17):
    """The stories260K graph (an onnx.ModelProto) written node by node with onnx.helper."""
    import onnx
    from onnx import TensorProto, helper

    if opset < 13 or opset > 17:
        # Unsqueeze axes as an input needs 13; ReduceMean axes as an attribute ends at 17.
        raise SystemExit(f"--builder onnx writes opsets 13 to 17, not {opset}")
    G = onnx_graph.GraphBuilder()
    D, h, kvh, hd = cfg.dim, cfg.n_heads, cfg.n_kv_heads, cfg.head_dim
    rep = h // kvh
    f32 = np.float32

    def T(a):  # nn.Linear weight [out, in] -> the exporter's MatMul operand [in, out]
        return np.ascontiguousarray(a.T)

    emb = G.weight("tok_embeddings.weight", weights["tok_embeddings"])
    freq_cos = G.weight("freq_cos", weights["freq_cis_real"])
    freq_sin = G.weight("freq_sin", weights["freq_cis_imag"])

    # dynamic sizes: batch and sequence as scalars and as [1] tensors
    batch, seq, B1, S1, axis0 = G.batch_and_length("input_ids")
    # cos/sin = freq[:S] viewed [1, S, 1, hd/2]
    rope_shape = G.op("", "Concat", [G.const("", [1]), S1, G.const("", [1, hd // 2])], axis=0)
    cos, sin = [G.op("", "Reshape", [G.op("", "Slice", [t, G.const("", [0]), S1, axis0]),
                                       rope_shape])
                for t in (freq_cos, freq_sin)]
    # causal mask: key j > query i is masked
    r = G.op("", "Range", [G.const("", 0), seq, G.const("", 1)])
    mask = G.op("", "Greater", [G.op("", "Unsqueeze", [r, G.const("", [0])]),
                                G.op("", "Unsqueeze", [r, G.const("", [1])])])
    neg_inf = G.const("", -np.inf, f32)

    x = G.op("/tok_embeddings", "Gather", [emb, "input_ids"])

    def rmsnorm(scope, x, w):
        p = G.op(scope, "Pow", [x, G.const(scope, 2.0, f32)])
        ms = G.op(scope, "ReduceMean", [p], axes=[-1], keepdims=1)
        rs = G.op(scope, "Div", [G.const(scope, 1.0, f32),
                                 G.op(scope, "Sqrt", [G.op(scope, "Add",
                                                           [ms, G.const(scope, 1e-5, f32)])])])
        return G.op(scope, "Mul", [G.op(scope, "Mul", [x, rs]), w])

    def linear(scope, x, name, w):
        return G.op(scope, "MatMul", [x, G.weight(name, T(w))])

    def rotary(scope, x, heads):
        """x [B, S, heads, hd]: pairs (x[2i], x[2i+1]) rotated with real arithmetic."""
        pairs = G.op(scope, "Reshape", [x, G.op(scope, "Concat", [
            B1, S1, G.const(scope, [heads, hd // 2, 2])], axis=0)])
        x0 = G.op(scope, "Gather", [pairs, G.const(scope, 0)], axis=4)
        x1 = G.op(scope, "Gather", [pairs, G.const(scope, 1)], axis=4)
        y0 = G.op(scope, "Sub", [G.op(scope, "Mul", [x0, cos]), G.op(scope, "Mul", [x1, sin])])
        y1 = G.op(scope, "Add", [G.op(scope, "Mul", [x0, sin]), G.op(scope, "Mul", [x1, cos])])
        last = G.const(scope, [-1])
        stacked = G.op(scope, "Concat", [G.op(scope, "Unsqueeze", [y0, last]),
                                         G.op(scope, "Unsqueeze", [y1, last])], axis=-1)
        return G.op(scope, "Reshape", [stacked, G.op(scope, "Concat", [
            B1, S1, G.const(scope, [heads, hd])], axis=0)])

    def split_heads(scope, x, heads):  # [B, S, heads*hd] -> [B, S, heads, hd]
        return G.op(scope, "Reshape", [x, G.op(scope, "Concat", [
            B1, S1, G.const(scope, [heads, hd])], axis=0)])

    def repeat_kv(scope, x):  # [B, KVH, S, hd] -> [B, H, S, hd], head i from KV head i // rep
        if rep == 1:
            return x
        t = G.op(scope, "Tile", [G.op(scope, "Unsqueeze", [x, G.const(scope, [2])]),
                                 G.const(scope, [1, 1, rep, 1, 1])])
        return G.op(scope, "Reshape", [t, G.op(scope, "Concat", [
            B1, G.const(scope, [h]), S1, G.const(scope, [hd])], axis=0)])

    for l in range(cfg.n_layers):
        pre = f"layers.{l}"
        a = rmsnorm(f"/{pre}/attention_norm", x,
                    G.weight(f"{pre}.attention_norm.weight", weights["rms_att"][l]))
        sc = f"/{pre}/attention"
        q = linear(f"{sc}/wq", a, f"{pre}.attention.wq.weight.T", weights["wq"][l])
        k = linear(f"{sc}/wk", a, f"{pre}.attention.wk.weight.T", weights["wk"][l])
        v = linear(f"{sc}/wv", a, f"{pre}.attention.wv.weight.T", weights["wv"][l])
        q = rotary(sc, split_heads(sc, q, h), h)
        k = rotary(sc, split_heads(sc, k, kvh), kvh)
        v = split_heads(sc, v, kvh)
        q, k, v = [G.op(sc, "Transpose", [t], perm=[0, 2, 1, 3]) for t in (q, k, v)]
        k, v = repeat_kv(sc, k), repeat_kv(sc, v)
        scores = G.op(sc, "MatMul", [q, G.op(sc, "Transpose", [k], perm=[0, 1, 3, 2])])
        scores = G.op(sc, "Div", [scores, G.const(sc, np.sqrt(hd), f32)])
        scores = G.op(sc, "Where", [mask, neg_inf, scores])
        att = G.op(sc, "Softmax", [scores], axis=-1)
        y = G.op(sc, "Transpose", [G.op(sc, "MatMul", [att, v])], perm=[0, 2, 1, 3])
        y = G.op(sc, "Reshape", [y, G.op(sc, "Concat", [B1, S1, G.const(sc, [D])], axis=0)])
        x = G.op(f"/{pre}", "Add", [x, linear(f"{sc}/wo", y, f"{pre}.attention.wo.weight.T",
                                                weights["wo"][l])])
        m = rmsnorm(f"/{pre}/ffn_norm", x,
                    G.weight(f"{pre}.ffn_norm.weight", weights["rms_ffn"][l]))
        ff = f"/{pre}/feed_forward"
        g = linear(f"{ff}/w1", m, f"{pre}.feed_forward.w1.weight.T", weights["w1"][l])
        up = linear(f"{ff}/w3", m, f"{pre}.feed_forward.w3.weight.T", weights["w3"][l])
        act = G.op(ff, "Mul", [G.op(ff, "Mul", [g, G.op(ff, "Sigmoid", [g])]), up])
        x = G.op(f"/{pre}", "Add", [x, linear(f"{ff}/w2", act,
                                               f"{pre}.feed_forward.w2.weight.T",
                                               weights["w2"][l])])
    x = rmsnorm("/norm", x, G.weight("norm.weight", weights["rms_final"]))
    # the exporter writes the tied classifier as its own transposed copy of the embedding
    cls = weights["tok_embeddings"] if cfg.shared_classifier else weights["wcls"]
    G.op("/output", "MatMul", [x, G.weight("output.weight.T", T(cls))], output="logits")

    graph = helper.make_graph(
        G.nodes, "stories260K",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                       ["batch", "sequence", cfg.vocab_size])],
        initializer=G.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="convert_stories260k.py",
                              producer_version=f"onnx.helper {onnx.__version__}")
    model.ir_version = min(model.ir_version, 8)  # what ONNX Runtime 1.1x and libonnx read
    onnx.checker.check_model(model, full_check=True)
    return model


def onnx_session(path):
    """(name, ids -> logits) for the ONNX file: ONNX Runtime if importable, else onnx.reference."""
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        return "onnxruntime", lambda ids: sess.run(None, {"input_ids": ids})[0]
    except ImportError:
        from onnx.reference import ReferenceEvaluator
        ref = ReferenceEvaluator(path)
        return "onnx.reference", lambda ids: ref.run(None, {"input_ids": ids})[0]


def torch_available():
    import importlib.util
    return importlib.util.find_spec("torch") is not None


def convert_with_onnx(cfg, weights, tok, out_dir, opset, steps):
    import onnx

    prompt = [BOS] + tok.encode(PROMPT)
    out = greedy(lambda ids: forward_numpy(cfg, weights, ids), prompt, steps)
    check_greedy_text("numpy reference greedy", tok.decode(out))

    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    onnx.save(build_onnx(cfg, weights, opset), path)

    ids = test_inputs(tok)
    long_ids = np.array([[BOS] + tok.encode(REFERENCE)], dtype=np.int64)
    want, want_long = forward_numpy(cfg, weights, ids), forward_numpy(cfg, weights, long_ids)
    engine, run = onnx_session(path)
    diffs = [float(np.max(np.abs(run(i) - w))) for i, w in ((ids, want), (long_ids, want_long))]
    print(f"{engine} vs numpy reference: max|diff| {diffs[0]:.2e} (batch 2, seq "
          f"{ids.shape[1]}), {diffs[1]:.2e} (batch 1, seq {long_ids.shape[1]})")
    if not max(diffs) <= 1e-4:
        raise SystemExit(f"{engine} disagrees with the numpy reference beyond 1e-4")

    if torch_available():
        import torch
        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
        model = build_model(cfg, weights)
        with torch.no_grad():
            t = [model(torch.from_numpy(i)).numpy() for i in (ids, long_ids)]
        d_ref = max(float(np.max(np.abs(a - b))) for a, b in zip(t, (want, want_long)))
        d_onnx = max(float(np.max(np.abs(a - run(i)))) for a, i in zip(t, (ids, long_ids)))
        print(f"torch module vs numpy reference: max|diff| {d_ref:.2e}; "
              f"vs the onnx.helper graph on {engine}: {d_onnx:.2e}")
        if not max(d_ref, d_onnx) <= 1e-4:
            raise SystemExit("the torch module and the onnx.helper graph disagree beyond 1e-4")

    write_test_data(out_dir, cfg, opset, "onnx.helper", ids, want,
                    "NumPy float64 reference (forward_numpy) rounded to float32")
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB)")
    return path


def check_greedy_text(what, text):
    print(f"{what}: {text!r}")
    n = min(len(text), len(REFERENCE))
    if text[:n] != REFERENCE[:n] or n < len(PROMPT) + 20:
        raise SystemExit(f"greedy text does not match the published continuation:\n"
                         f"  got:  {text!r}\n  want: {REFERENCE!r}")
    print(f"matches the published continuation ({n} characters compared)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--builder", choices=("auto", "onnx", "torch"), default="auto",
                    help="onnx: onnx.helper + numpy; torch: the TorchScript exporter; "
                         "auto: torch when importable, else onnx")
    ap.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--out-dir", "--out", dest="out_dir", default=DEFAULT_OUT)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--steps", type=int, default=60,
                    help="greedy steps for the reference check")
    args = ap.parse_args()

    builder = args.builder
    if builder == "auto":
        builder = "torch" if torch_available() else "onnx"
    cfg, weights = read_checkpoint(args.checkpoint)
    print("config:", cfg.as_dict())
    tok = Tokenizer(args.tokenizer, cfg.vocab_size)
    prompt = [BOS] + tok.encode(PROMPT)
    print("prompt tokens:", prompt)
    print("builder:", builder)

    if builder == "onnx":
        convert_with_onnx(cfg, weights, tok, args.out_dir, args.opset, args.steps)
        return 0

    import torch
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    model = build_model(cfg, weights)
    check_greedy_text("torch greedy", tok.decode(greedy_torch(model, prompt, args.steps)))
    export(model, cfg, args.out_dir, args.opset, tok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
