#!/usr/bin/env python3
"""Converts llama2.c's stories260K checkpoint to ONNX and checks it.

    build/bench-venv/bin/python scripts/convert_stories260k.py \
        [--checkpoint /work/shared/models/stories260K/stories260K.bin] \
        [--tokenizer /work/shared/models/stories260K/tok512.bin] \
        [--out-dir build/models/stories260K] [--opset 17]

Reads the llama2.c "legacy" checkpoint (7 int32 header fields, then float32
tensors; see /work/shared/models/stories260K/README.md), builds a torch module
that computes exactly what llama2.c's run.c computes (RMSNorm eps 1e-5,
interleaved-pair rotary written with real arithmetic, grouped-query attention,
SwiGLU, classifier tied to the token embedding), exports it with the
TorchScript-based exporter (input `input_ids` [batch, sequence] int64, output
`logits` [batch, sequence, vocab]), and checks that

  * greedy decoding in torch from BOS + "Once upon a time" reproduces the
    continuation published with the model;
  * ONNX Runtime reproduces the torch logits (stored as inputs/ + expected/
    next to the model, in the layout of test/Models).

The module also provides the tokenizer for llama2.c's tok512.bin format
(`Tokenizer`), used by scripts/stories260k_generate.py.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

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


def export(model, cfg, out_dir, opset, tok):
    import onnx
    import onnxruntime as ort
    import torch

    os.makedirs(os.path.join(out_dir, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "expected"), exist_ok=True)
    path = os.path.join(out_dir, "model.onnx")
    example = torch.tensor([[BOS] + tok.encode(PROMPT)] * 2, dtype=torch.int64)
    torch.onnx.export(model, (example,), path, dynamo=False, opset_version=opset,
                      input_names=["input_ids"], output_names=["logits"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                    "logits": {0: "batch", 1: "sequence"}},
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)

    # inputs: batch 2, the prompt and a second sentence (same length)
    second = [BOS] + tok.encode("Lily saw a big red ball")
    first = [BOS] + tok.encode(PROMPT)
    n = min(len(first), len(second))
    ids = np.array([first[:n], second[:n]], dtype=np.int64)
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
    print(f"onnxruntime vs torch: max|diff| {diff:.2e} (batch 2, seq {n}), "
          f"{diff_long:.2e} (batch 1, seq {long_ids.shape[1]})")
    if not max(diff, diff_long) <= 1e-4:
        raise SystemExit("onnxruntime disagrees with torch beyond 1e-4")
    np.save(os.path.join(out_dir, "inputs", "input_ids.npy"), ids)
    np.save(os.path.join(out_dir, "expected", "0.npy"), want.astype(np.float32))
    meta = dict(name="stories260K", family="llama2.c", exporter="torchscript", opset=opset,
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
                      "a big red ball' cut to equal length.")
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1024:.1f} KiB)")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT)
    ap.add_argument("--tokenizer", default=DEFAULT_TOKENIZER)
    ap.add_argument("--out-dir", default=DEFAULT_OUT)
    ap.add_argument("--opset", type=int, default=17)
    ap.add_argument("--steps", type=int, default=60,
                    help="greedy steps for the reference check")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    cfg, weights = read_checkpoint(args.checkpoint)
    print("config:", cfg.as_dict())
    model = build_model(cfg, weights)
    tok = Tokenizer(args.tokenizer, cfg.vocab_size)

    prompt = [BOS] + tok.encode(PROMPT)
    print("prompt tokens:", prompt)
    out = greedy_torch(model, prompt, args.steps)
    text = tok.decode(out)
    print("torch greedy:", repr(text))
    n = min(len(text), len(REFERENCE))
    if text[:n] != REFERENCE[:n] or n < len(PROMPT) + 20:
        raise SystemExit(f"greedy text does not match the published continuation:\n"
                         f"  got:  {text!r}\n  want: {REFERENCE!r}")
    print(f"matches the published continuation ({n} characters compared)")

    export(model, cfg, args.out_dir, args.opset, tok)
    return 0


if __name__ == "__main__":
    sys.exit(main())
