#!/usr/bin/env python3
"""Generates the tiny ONNX test models under test/Models/<name>/.

Run with the benchmark venv (bench/setup.sh creates it):

    build/bench-venv/bin/python test/Models/generate.py [--only NAME[,NAME...]] [--list]

Each model is built from a seeded configuration (Hugging Face transformers
model classes built from configs, no downloads; or a hand-written module),
its weights are drawn from seeded normal distributions large enough that the
outputs are far from zero, and it is exported with the TorchScript-based
(`dynamo=False`) or the dynamo-based (`dynamo=True`) exporter.  Per model:

    <name>/model.onnx          dynamic dims `batch` and `sequence` on the inputs
    <name>/inputs/<input>.npy  one file per ONNX input (int64 ids, int64 masks)
    <name>/expected/<k>.npy    PyTorch eager (float32) output k, in ONNX order
    <name>/meta.json           name, family, exporter, opset, structure, notes

ONNX Runtime must reproduce PyTorch on the stored inputs and on a second,
differently shaped input (which checks that batch and sequence really are
dynamic) to 1e-4 absolute; otherwise the script fails.  With no --only it
also rewrites the op-type histogram section of test/Models/README.md.
"""

import argparse
import collections
import contextlib
import io
import json
import math
import os
import shutil
import sys
import tempfile
import warnings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-4
SEED = 1234
VOCAB = 100

warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------
# Weight initialisation
# --------------------------------------------------------------------------

def init_weights(module, seed, std=0.15, emb_std=0.4):
    """Seeded re-initialisation of every parameter.

    Matrices (Linear / Conv1D weights) ~ N(0, std); embedding tables ~
    N(0, emb_std); 1-D `weight`s (norm scales) ~ 1 + N(0, 0.1); 1-D
    `bias`es ~ N(0, 0.1).  Shared (tied) parameters are drawn once.
    """
    g = torch.Generator().manual_seed(seed)
    emb_params = {id(m.weight) for m in module.modules() if isinstance(m, nn.Embedding)}
    with torch.no_grad():
        for name, p in module.named_parameters():
            if id(p) in emb_params:
                p.copy_(torch.randn(p.shape, generator=g) * emb_std)
            elif p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=g) * std)
            elif name.endswith("bias"):
                p.copy_(torch.randn(p.shape, generator=g) * 0.1)
            else:
                p.copy_(1.0 + torch.randn(p.shape, generator=g) * 0.1)


def random_ids(batch, seq, seed, vocab=VOCAB):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (batch, seq), generator=g, dtype=torch.int64)


# --------------------------------------------------------------------------
# Model specifications
# --------------------------------------------------------------------------

class Spec:
    """Everything needed to export and check one model."""

    def __init__(self, name, family, module, make_inputs, outputs, exporter, opset,
                 layers, heads, kv_heads, hidden, block_kind, notes,
                 max_seq=32, external=False):
        self.name = name
        self.family = family
        self.module = module.eval()
        # make_inputs(batch, seq, seed) -> OrderedDict name -> tensor (ONNX order)
        self.make_inputs = make_inputs
        self.outputs = outputs
        self.exporter = exporter
        self.opset = opset
        self.layers = layers
        self.heads = heads
        self.kv_heads = kv_heads
        self.hidden = hidden
        self.block_kind = block_kind
        self.notes = notes
        self.max_seq = max_seq
        self.external = external


REGISTRY = collections.OrderedDict()


def model(name):
    def register(fn):
        REGISTRY[name] = fn
        return fn
    return register


class CausalLMWrapper(nn.Module):
    """input_ids -> logits, no cache, plain tensor output."""

    def __init__(self, lm):
        super().__init__()
        self.lm = lm

    def forward(self, input_ids):
        return self.lm(input_ids=input_ids, use_cache=False, return_dict=True).logits


def ids_only(seq, seed):
    def make(batch, s=None, seed_=None):
        s = seq if s is None else s
        return collections.OrderedDict(
            input_ids=random_ids(batch, s, seed if seed_ is None else seed_))
    return make


def patch_transformers():
    """Keeps transformers' packed-sequence detection out of traced graphs.

    With no attention_mask, transformers derives position_ids and looks for
    packed sequences (torch.diff + cumsum on the positions), which it cannot
    decide while tracing, so the whole detection would land in the ONNX graph
    (and aten::diff does not export).  Our inputs are never packed: the
    detection returns None in eager mode too, so replacing it changes nothing
    numerically and leaves the plain causal mask in the graph.
    """
    import transformers.masking_utils as mu
    mu.find_packed_sequence_indices = lambda position_ids: None


def hf_causal_lm(cls, config, seed):
    patch_transformers()
    torch.manual_seed(seed)
    lm = cls(config)
    init_weights(lm, seed)
    return CausalLMWrapper(lm).eval()


# ---- GPT-2 ---------------------------------------------------------------

def gpt2_spec(name, exporter, opset):
    from transformers import GPT2Config, GPT2LMHeadModel
    cfg = GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=64, n_layer=2, n_head=4,
                     n_inner=128, activation_function="gelu_new", resid_pdrop=0.0,
                     embd_pdrop=0.0, attn_pdrop=0.0, attn_implementation="eager")
    m = hf_causal_lm(GPT2LMHeadModel, cfg, SEED + 1)
    return Spec(name, "gpt2", m, ids_only(9, SEED + 101), ["logits"], exporter, opset,
                layers=2, heads=4, kv_heads=4, hidden=64, block_kind="pre_ln",
                notes="GPT2LMHeadModel, eager attention; learned absolute positions; "
                      "fused c_attn (Conv1D, x @ W + b) split into Q/K/V; gelu_new (tanh) MLP "
                      "with n_inner=128; LayerNorm eps 1e-5; lm_head tied to wte. "
                      "Input input_ids only (no mask: causal only).",
                max_seq=32)


@model("gpt2_ts")
def _gpt2_ts():
    return gpt2_spec("gpt2_ts", "torchscript", 14)


@model("gpt2_dynamo")
def _gpt2_dynamo():
    return gpt2_spec("gpt2_dynamo", "dynamo", 18)


# ---- BERT ----------------------------------------------------------------

class BertWrapper(nn.Module):
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids, return_dict=True).last_hidden_state


def bert_inputs(seq, seed):
    def make(batch, s=None, seed_=None):
        s = seq if s is None else s
        sd = seed if seed_ is None else seed_
        ids = random_ids(batch, s, sd)
        mask = torch.ones(batch, s, dtype=torch.int64)
        # real padding in the last batch row: its last 3 positions are pads
        if batch > 1:
            pad = min(3, s - 1)
            mask[-1, s - pad:] = 0
            ids[-1, s - pad:] = 0  # pad_token_id
        types = torch.zeros(batch, s, dtype=torch.int64)
        types[:, s // 2:] = 1
        types = types * mask
        return collections.OrderedDict(input_ids=ids, attention_mask=mask, token_type_ids=types)
    return make


@model("bert_ts")
def _bert_ts():
    from transformers import BertConfig, BertModel
    cfg = BertConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                     intermediate_size=128, hidden_act="gelu", hidden_dropout_prob=0.0,
                     attention_probs_dropout_prob=0.0, max_position_embeddings=32,
                     type_vocab_size=2, layer_norm_eps=1e-12, attn_implementation="eager")
    torch.manual_seed(SEED + 2)
    bert = BertModel(cfg, add_pooling_layer=False)
    init_weights(bert, SEED + 2)
    return Spec("bert_ts", "bert", BertWrapper(bert), bert_inputs(10, SEED + 102),
                ["last_hidden_state"], "torchscript", 17,
                layers=2, heads=4, kv_heads=4, hidden=64, block_kind="post_ln",
                notes="BertModel without pooler, eager attention; inputs input_ids, "
                      "attention_mask (int64, 1 = keep; batch row 1 has its last 3 positions "
                      "padded) and token_type_ids; embeddings = word + position + token_type, "
                      "then LayerNorm (eps 1e-12); post-LN blocks; exact (erf) GELU; padding "
                      "becomes an additive mask of finfo(float32).min on the keys. Outputs at "
                      "padded positions are still defined (and compared).",
                max_seq=32)


# ---- Llama ---------------------------------------------------------------

def llama_config(attn):
    from transformers import LlamaConfig
    return LlamaConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=128,
                       num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                       max_position_embeddings=64, rms_norm_eps=1e-6,
                       rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                       tie_word_embeddings=False, attn_implementation=attn)


LLAMA_NOTES = ("LlamaForCausalLM, GQA 4 query heads / 2 KV heads, head_dim 16; RMSNorm "
               "(eps 1e-6, computed as x * rsqrt(mean(x^2) + eps) * w); rotary 'half' layout "
               "(rotate_half, theta 10000) over the full head_dim, cos/sin computed in-graph "
               "from inv_freq and positions; SwiGLU MLP down(silu(gate x) * up x), "
               "intermediate 128; no biases; untied lm_head. Input input_ids only.")


def llama_spec(name, exporter, opset, attn="eager", external=False):
    from transformers import LlamaForCausalLM
    if attn == "sdpa":
        # transformers calls SDPA with enable_gqa=True when there is no mask,
        # which the TorchScript exporter cannot convert ("conversion of
        # scaled_dot_product_attention not implemented if enable_gqa is
        # True"); without it transformers repeats K/V itself (repeat_kv),
        # which is the same computation.
        import transformers.integrations.sdpa_attention as sdpa
        sdpa.use_gqa_in_sdpa = lambda *args, **kwargs: False
    m = hf_causal_lm(LlamaForCausalLM, llama_config(attn), SEED + 3)
    notes = LLAMA_NOTES
    if attn == "sdpa":
        notes += (" attn_implementation='sdpa': torch scaled_dot_product_attention with "
                  "is_causal=True and no mask tensor, K/V heads repeated by transformers' "
                  "repeat_kv (SDPA's enable_gqa=True does not export with the TorchScript "
                  "exporter, so the generator turns it off); the exporter expands SDPA into "
                  "MatMul/Softmax with its own causal mask.")
    if external:
        notes += (" model_external.onnx is the same graph with every initializer in "
                  "ONNX external data (location model.onnx.data).")
    return Spec(name, "llama", m, ids_only(11, SEED + 103), ["logits"], exporter, opset,
                layers=2, heads=4, kv_heads=2, hidden=64, block_kind="pre_ln",
                notes=notes, max_seq=64, external=external)


@model("llama_ts")
def _llama_ts():
    return llama_spec("llama_ts", "torchscript", 17, external=True)


@model("llama_dynamo")
def _llama_dynamo():
    return llama_spec("llama_dynamo", "dynamo", 18)


@model("llama_sdpa_ts")
def _llama_sdpa_ts():
    return llama_spec("llama_sdpa_ts", "torchscript", 17, attn="sdpa")


# ---- GPT-J ---------------------------------------------------------------

@model("gptj_ts")
def _gptj_ts():
    from transformers import GPTJConfig, GPTJForCausalLM
    cfg = GPTJConfig(vocab_size=VOCAB, n_positions=64, n_embd=64, n_layer=2, n_head=4,
                     rotary_dim=8, n_inner=128, activation_function="gelu_new",
                     resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                     tie_word_embeddings=False, attn_implementation="eager")
    m = hf_causal_lm(GPTJForCausalLM, cfg, SEED + 4)
    return Spec("gptj_ts", "gptj", m, ids_only(8, SEED + 104), ["logits"], "torchscript", 15,
                layers=2, heads=4, kv_heads=4, hidden=64, block_kind="parallel",
                notes="GPTJForCausalLM, eager attention: parallel block x + attn(ln(x)) + "
                      "mlp(ln(x)) with one LayerNorm; head_dim 16 with partial rotary "
                      "rotary_dim 8 in the interleaved (rotate_every_two) layout, sin/cos "
                      "gathered from a precomputed embed_positions table; q/k/v/out "
                      "projections without bias; gelu_new MLP with bias; lm_head with bias; "
                      "final LayerNorm. Attention scores computed in float32 and divided by "
                      "sqrt(head_dim). Input input_ids only.",
                max_seq=64)


# ---- GPT-NeoX ------------------------------------------------------------

@model("neox_ts")
def _neox_ts():
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM
    cfg = GPTNeoXConfig(vocab_size=VOCAB, hidden_size=64, num_hidden_layers=2,
                        num_attention_heads=4, intermediate_size=128, hidden_act="gelu",
                        max_position_embeddings=64, use_parallel_residual=True,
                        rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                         "partial_rotary_factor": 0.5},
                        attention_bias=True, tie_word_embeddings=False,
                        attn_implementation="eager")
    m = hf_causal_lm(GPTNeoXForCausalLM, cfg, SEED + 5)
    return Spec("neox_ts", "gpt_neox", m, ids_only(12, SEED + 105), ["logits"],
                "torchscript", 16, layers=2, heads=4, kv_heads=4, hidden=64,
                block_kind="parallel",
                notes="GPTNeoXForCausalLM, eager attention, use_parallel_residual: "
                      "x + attn(ln1(x)) + mlp(ln2(x)) (two LayerNorms); fused query_key_value "
                      "with bias, laid out per head as [q|k|v] (view [B,S,H,3*D]); partial "
                      "rotary (rotary_pct 0.5: 8 of head_dim 16) in the 'half' layout; exact "
                      "GELU MLP; untied embed_out. Input input_ids only.",
                max_seq=64)


# ---- Phi -----------------------------------------------------------------

@model("phi_ts")
def _phi_ts():
    from transformers import PhiConfig, PhiForCausalLM
    cfg = PhiConfig(vocab_size=VOCAB, hidden_size=64, intermediate_size=128,
                    num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                    max_position_embeddings=64, hidden_act="gelu_new",
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                                     "partial_rotary_factor": 0.5},
                    resid_pdrop=0.0, embd_pdrop=0.0, attention_dropout=0.0,
                    tie_word_embeddings=False, attn_implementation="eager")
    m = hf_causal_lm(PhiForCausalLM, cfg, SEED + 6)
    return Spec("phi_ts", "phi", m, ids_only(10, SEED + 106), ["logits"], "torchscript", 15,
                layers=2, heads=4, kv_heads=4, hidden=64, block_kind="parallel",
                notes="PhiForCausalLM, eager attention: parallel block x + attn(ln(x)) + "
                      "mlp(ln(x)) with one LayerNorm; q/k/v/dense with bias; partial rotary "
                      "(partial_rotary_factor 0.5: 8 of head_dim 16) in the 'half' layout; "
                      "gelu_new MLP fc1/fc2 with bias; final LayerNorm; lm_head with bias. "
                      "Input input_ids only.",
                max_seq=64)


# ---- Qwen2 ---------------------------------------------------------------

@model("qwen2_ts")
def _qwen2_ts():
    from transformers import Qwen2Config, Qwen2ForCausalLM
    cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=64, intermediate_size=128,
                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                      max_position_embeddings=64, rms_norm_eps=1e-6,
                      rope_parameters={"rope_type": "default", "rope_theta": 10000.0},
                      tie_word_embeddings=False, use_sliding_window=False,
                      attn_implementation="eager")
    m = hf_causal_lm(Qwen2ForCausalLM, cfg, SEED + 7)
    return Spec("qwen2_ts", "qwen2", m, ids_only(7, SEED + 107), ["logits"], "torchscript", 14,
                layers=2, heads=4, kv_heads=2, hidden=64, block_kind="pre_ln",
                notes="Qwen2ForCausalLM, eager attention: like Llama (RMSNorm eps 1e-6, "
                      "half-layout rotary over the full head_dim 16, SwiGLU) but with biases "
                      "on q/k/v (none on o_proj); GQA 4/2. Opset 14. Input input_ids only.",
                max_seq=64)


# ---- Hand-written modules ------------------------------------------------

def causal_bool(s, device=None):
    """[s, s] bool, True where key j <= query i."""
    i = torch.arange(s, device=device).unsqueeze(1)
    j = torch.arange(s, device=device).unsqueeze(0)
    return j <= i


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


class ShapedAttention(nn.Module):
    """Shaped attention of He & Hofmann 2023 with explicit identity W_V, W_P.

    A = alpha_h * I + beta_h * softmax(Q K^T / sqrt(d) + causal) - gamma_h * C,
    C[i, j] = 1/(i+1) for j <= i else 0; out = W_P(merge_heads(A @ split(W_V x))).
    """

    def __init__(self, hidden, heads, eye):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.q = nn.Linear(hidden, hidden, bias=False)
        self.k = nn.Linear(hidden, hidden, bias=False)
        self.v = nn.Linear(hidden, hidden, bias=False)
        self.o = nn.Linear(hidden, hidden, bias=False)
        # value and projection weights: the one shared identity parameter, or
        # (eye is None) an identity parameter of their own each
        if eye is None:
            self.v.weight = nn.Parameter(torch.eye(hidden))
            self.o.weight = nn.Parameter(torch.eye(hidden))
        else:
            self.v.weight = eye
            self.o.weight = eye
        self.alpha = nn.Parameter(torch.ones(heads))
        self.beta = nn.Parameter(torch.ones(heads))
        self.gamma = nn.Parameter(torch.ones(heads))

    def forward(self, x):
        b, s, _ = x.shape
        h, d = self.heads, self.head_dim
        q = self.q(x).view(b, s, h, d).transpose(1, 2)
        k = self.k(x).view(b, s, h, d).transpose(1, 2)
        v = self.v(x).view(b, s, h, d).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)
        allowed = causal_bool(s, x.device)
        scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        eye = torch.eye(s, dtype=x.dtype, device=x.device)
        pos = torch.arange(s, device=x.device, dtype=x.dtype).unsqueeze(1)
        uniform = allowed.to(x.dtype) / (pos + 1.0)
        a = (self.alpha.view(1, h, 1, 1) * eye + self.beta.view(1, h, 1, 1) * probs
             - self.gamma.view(1, h, 1, 1) * uniform)
        y = torch.matmul(a, v).transpose(1, 2).reshape(b, s, h * d)
        return self.o(y)


class GeluMLP(nn.Module):
    def __init__(self, hidden, inner):
        super().__init__()
        self.fc1 = nn.Linear(hidden, inner)
        self.fc2 = nn.Linear(inner, hidden)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class SASBlock(nn.Module):
    def __init__(self, hidden, heads, inner, eye, parallel, beta_ff):
        super().__init__()
        self.parallel = parallel
        self.beta_ff = beta_ff
        self.norm1 = nn.LayerNorm(hidden, eps=1e-5)
        self.attn = ShapedAttention(hidden, heads, eye)
        self.mlp = GeluMLP(hidden, inner)
        if not parallel:
            self.norm2 = nn.LayerNorm(hidden, eps=1e-5)

    def forward(self, x):
        if self.parallel:
            # SAS-P (He & Hofmann 2023, Eq. 7 with no skip, alpha_comb = 0):
            # ShapedAttn(norm(x)) + beta_ff * MLP(norm(x)); the shaped
            # attention's identity term carries the signal.
            n = self.norm1(x)
            return self.attn(n) + self.beta_ff * self.mlp(n)
        # SAS: skipless shaped attention sub-block, then MLP sub-block with skip
        h = self.attn(self.norm1(x))
        return h + self.beta_ff * self.mlp(self.norm2(h))


class SASModel(nn.Module):
    def __init__(self, vocab, hidden, heads, inner, layers, parallel, beta_ff, max_pos, seed,
                 shared_eye=True):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.eye = nn.Parameter(torch.eye(hidden)) if shared_eye else None
        self.blocks = nn.ModuleList(
            SASBlock(hidden, heads, inner, self.eye, parallel, beta_ff) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden, eps=1e-5)
        self.head = nn.Linear(hidden, vocab, bias=False)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for name, p in self.named_parameters():
                if p is self.eye or name.endswith(("attn.v.weight", "attn.o.weight")):
                    continue
                if name.endswith(("alpha", "beta", "gamma")):
                    continue
                if p.dim() >= 2:
                    std = 0.4 if name.startswith(("embed", "pos")) else 0.15
                    p.copy_(torch.randn(p.shape, generator=g) * std)
                elif name.endswith("bias"):
                    p.copy_(torch.randn(p.shape, generator=g) * 0.1)
                else:
                    p.copy_(1.0 + torch.randn(p.shape, generator=g) * 0.1)
            for blk in self.blocks:
                a = blk.attn
                a.alpha.copy_(0.8 + 0.4 * torch.rand(heads, generator=g))
                a.beta.copy_(0.5 + 1.0 * torch.rand(heads, generator=g))
                a.gamma.copy_(0.3 + 0.7 * torch.rand(heads, generator=g))

    def forward(self, input_ids):
        s = input_ids.shape[1]
        positions = torch.arange(s, device=input_ids.device)
        x = self.embed(input_ids) + self.pos(positions)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


SAS_NOTES = (" Shaped attention (He & Hofmann 2023): per head A = alpha_h*I + "
             "beta_h*softmax(QK^T/sqrt(d) + causal(-inf)) - gamma_h*C with C[i,j] = 1/(i+1) "
             "for j <= i else 0 (C = causal mask as float / (row index + 1)); y = W_P "
             "merge(A @ split(W_V x)) where W_V and W_P are nn.Linear (no bias) whose weight "
             "is ONE shared identity parameter [hidden, hidden] (all layers, V and P); alpha, "
             "beta, gamma are per-head parameters [heads] (values drawn in [0.8,1.2], "
             "[0.5,1.5], [0.3,1.0]). Q/K projections without bias. LayerNorm eps 1e-5, exact "
             "GELU MLP with biases (inner 128), learned absolute positions, final LayerNorm, "
             "untied lm head without bias.")


@model("sasp_ts")
def _sasp_ts():
    m = SASModel(VOCAB, 64, 4, 128, 3, parallel=True, beta_ff=0.5, max_pos=64, seed=SEED + 8,
                 shared_eye=False)
    # The dynamo exporter keeps the 2 identity weights of each layer distinct
    # (TorchScript deduplicates equal initializers into one, as in sas_ts).
    return Spec("sasp_ts", "sas", m, ids_only(9, SEED + 108), ["logits"], "dynamo", 18,
                layers=3, heads=4, kv_heads=4, hidden=64, block_kind="sas_p",
                notes="Hand-written SAS-P: block ShapedAttn(LN(x)) + 0.5*MLP(LN(x)) with "
                      "one LayerNorm shared by both branches and no skip (He & Hofmann's "
                      "alpha_comb = 0; MLP gain beta_FF = 0.5, attention gain 1), 3 layers. "
                      "Unlike sas_ts, every W_V and W_P is an identity parameter of its own "
                      "(2 per layer, not shared)." + SAS_NOTES,
                max_seq=64)


@model("sas_ts")
def _sas_ts():
    m = SASModel(VOCAB, 64, 4, 128, 2, parallel=False, beta_ff=0.5, max_pos=64, seed=SEED + 9)
    return Spec("sas_ts", "sas", m, ids_only(10, SEED + 109), ["logits"], "torchscript", 16,
                layers=2, heads=4, kv_heads=4, hidden=64, block_kind="sas",
                notes="Hand-written SAS: h = ShapedAttn(LN1(x)) (skipless attention sub-block), "
                      "out = h + 0.5*MLP(LN2(h)) (MLP sub-block with skip, gain beta_FF = 0.5), "
                      "2 layers." + SAS_NOTES,
                max_seq=64)


class KVBiasAttention(nn.Module):
    """Causal MHA with P learned key/value bias slots per head (Sun et al. 2024)."""

    def __init__(self, hidden, heads, slots):
        super().__init__()
        self.heads = heads
        self.head_dim = hidden // heads
        self.slots = slots
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.k_bias = nn.Parameter(torch.zeros(heads, slots, self.head_dim))
        self.v_bias = nn.Parameter(torch.zeros(heads, slots, self.head_dim))

    def forward(self, x):
        b, s, c = x.shape
        h, d, p = self.heads, self.head_dim, self.slots
        q, k, v = self.qkv(x).split(c, dim=-1)
        q = q.view(b, s, h, d).transpose(1, 2)
        k = k.view(b, s, h, d).transpose(1, 2)
        v = v.view(b, s, h, d).transpose(1, 2)
        k = torch.cat([self.k_bias.unsqueeze(0).expand(b, h, p, d), k], dim=2)
        v = torch.cat([self.v_bias.unsqueeze(0).expand(b, h, p, d), v], dim=2)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(d))
        # the P bias columns are always visible; the causal part is shifted by P
        i = torch.arange(s, device=x.device).unsqueeze(1)
        j = torch.arange(s + p, device=x.device).unsqueeze(0)
        allowed = j <= i + p
        scores = scores.masked_fill(~allowed, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        y = torch.matmul(probs, v).transpose(1, 2).reshape(b, s, c)
        return self.out(y)


class KVBiasBlock(nn.Module):
    def __init__(self, hidden, heads, inner, slots):
        super().__init__()
        self.ln1 = nn.LayerNorm(hidden, eps=1e-5)
        self.attn = KVBiasAttention(hidden, heads, slots)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-5)
        self.mlp = GeluMLP(hidden, inner)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class KVBiasModel(nn.Module):
    def __init__(self, vocab, hidden, heads, inner, layers, slots, max_pos, seed):
        super().__init__()
        self.embed = nn.Embedding(vocab, hidden)
        self.pos = nn.Embedding(max_pos, hidden)
        self.blocks = nn.ModuleList(
            KVBiasBlock(hidden, heads, inner, slots) for _ in range(layers))
        self.norm = nn.LayerNorm(hidden, eps=1e-5)
        self.head = nn.Linear(hidden, vocab, bias=False)
        init_weights(self, seed)
        g = torch.Generator().manual_seed(seed + 1)
        with torch.no_grad():
            for blk in self.blocks:
                blk.attn.k_bias.copy_(torch.randn(blk.attn.k_bias.shape, generator=g) * 1.0)
                blk.attn.v_bias.copy_(torch.randn(blk.attn.v_bias.shape, generator=g) * 1.0)

    def forward(self, input_ids):
        s = input_ids.shape[1]
        positions = torch.arange(s, device=input_ids.device)
        x = self.embed(input_ids) + self.pos(positions)
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.norm(x))


@model("kvbias_ts")
def _kvbias_ts():
    m = KVBiasModel(VOCAB, 48, 4, 96, 2, slots=2, max_pos=64, seed=SEED + 10)
    return Spec("kvbias_ts", "kvbias", m, ids_only(9, SEED + 110), ["logits"], "torchscript",
                17, layers=2, heads=4, kv_heads=4, hidden=48, block_kind="pre_ln",
                notes="Hand-written pre-LN causal decoder with explicit key/value bias slots "
                      "(Sun et al. 2024): per layer k_bias, v_bias parameters [heads=4, P=2, "
                      "head_dim=12] are expanded over the batch and concatenated IN FRONT of "
                      "K and V after the head split ([B,H,P+S,D]); scores [B,H,S,P+S] use the "
                      "mask key j <= query i + P (bias columns always visible, causal part "
                      "shifted by P), masked with -inf; scale 1/sqrt(12). Fused qkv Linear with "
                      "bias, out Linear with bias, exact GELU MLP (inner 96), LayerNorm eps "
                      "1e-5, learned absolute positions, final LayerNorm, lm head without bias.",
                max_seq=64)


# --------------------------------------------------------------------------
# Export, check, write
# --------------------------------------------------------------------------

DIM_NAMES = {0: "batch", 1: "sequence"}


STRIPPED_METADATA = ("pkg.torch.onnx.stack_trace", "pkg.torch.onnx.fx_node")


def strip_machine_specific_metadata(m):
    """Drops the dynamo exporter's per-node stack traces and FX node dumps.

    They hold absolute paths of this machine and triple the file size; the
    module scope metadata (namespace, class hierarchy, name scopes) stays.
    """
    def strip(props):
        keep = [p for p in props if p.key not in STRIPPED_METADATA]
        del props[:]
        props.extend(keep)

    def walk(graph):
        for node in graph.node:
            strip(node.metadata_props)
            node.doc_string = ""
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)
        for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
            strip(vi.metadata_props)
    walk(m.graph)


def export_onnx(spec, inputs, path):
    names = list(inputs)
    args = tuple(inputs.values())
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        if spec.exporter == "torchscript":
            dyn = {n: dict(DIM_NAMES) for n in names + spec.outputs}
            torch.onnx.export(spec.module, args, path, dynamo=False, opset_version=spec.opset,
                              input_names=names, output_names=spec.outputs,
                              dynamic_axes=dyn, do_constant_folding=True)
        else:
            batch = torch.export.Dim("batch", min=1, max=64)
            seq = torch.export.Dim("sequence", min=2, max=spec.max_seq)
            shapes = {n: {0: batch, 1: seq} for n in names}
            prog = torch.onnx.export(spec.module, args, dynamo=True, opset_version=spec.opset,
                                     input_names=names, output_names=spec.outputs,
                                     dynamic_shapes=shapes, optimize=True)
            prog.save(path, external_data=False)
    m = onnx.load(path, load_external_data=True)
    strip_machine_specific_metadata(m)
    # the contract: inputs carry dim_params batch and sequence
    for vi in m.graph.input:
        dims = vi.type.tensor_type.shape.dim
        for axis, want in DIM_NAMES.items():
            if dims[axis].dim_param != want:
                raise RuntimeError(f"{spec.name}: input {vi.name} axis {axis} is "
                                   f"{dims[axis]} not dim_param {want!r}")
    if [o.name for o in m.graph.output] != spec.outputs:
        raise RuntimeError(f"{spec.name}: outputs {[o.name for o in m.graph.output]}")
    if [i.name for i in m.graph.input] != names:
        raise RuntimeError(f"{spec.name}: inputs {[i.name for i in m.graph.input]}")
    opsets = {o.domain: o.version for o in m.opset_import}
    if opsets.get("", opsets.get("ai.onnx")) != spec.opset:
        raise RuntimeError(f"{spec.name}: opset {opsets}")
    onnx.checker.check_model(m, full_check=True)
    return m


def run_ort(path, inputs):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return sess.run(None, {k: v.numpy() for k, v in inputs.items()})


def torch_outputs(module, inputs):
    with torch.no_grad():
        out = module(*inputs.values())
    if isinstance(out, torch.Tensor):
        out = (out,)
    return [o.detach().float().numpy() for o in out]


def compare(name, what, got, want):
    worst = 0.0
    for k, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape:
            raise RuntimeError(f"{name}: {what}: output {k} shape {g.shape} != {w.shape}")
        diff = float(np.max(np.abs(g.astype(np.float64) - w.astype(np.float64))))
        worst = max(worst, diff)
    if not worst <= TOLERANCE:
        raise RuntimeError(f"{name}: {what}: onnxruntime differs from PyTorch by {worst:.3g} "
                           f"(> {TOLERANCE})")
    return worst


def op_histogram(m):
    hist = collections.Counter()

    def walk(graph):
        for node in graph.node:
            key = node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}"
            hist[key] += 1
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
                for g in attr.graphs:
                    walk(g)
    walk(m.graph)
    return collections.OrderedDict(sorted(hist.items(), key=lambda kv: (-kv[1], kv[0])))


def shared_initializers(m):
    """Initializer names used by more than one node input."""
    inits = {i.name for i in m.graph.initializer}
    uses = collections.Counter(x for n in m.graph.node for x in n.input if x in inits)
    return {k: v for k, v in uses.items() if v > 1}


def generate(name):
    torch.manual_seed(SEED)
    spec = REGISTRY[name]()
    out_dir = os.path.join(HERE, name)
    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(os.path.join(out_dir, "inputs"))
    os.makedirs(os.path.join(out_dir, "expected"))

    inputs = spec.make_inputs(2)
    want = torch_outputs(spec.module, inputs)
    onnx_path = os.path.join(out_dir, "model.onnx")
    with tempfile.TemporaryDirectory() as tmp:
        m = export_onnx(spec, inputs, os.path.join(tmp, "model.onnx"))
    onnx.save_model(m, onnx_path)
    diff = compare(name, "stored inputs", run_ort(onnx_path, inputs), want)

    # a second shape: other batch and sequence, other ids
    seq0 = next(iter(inputs.values())).shape[1]
    other = spec.make_inputs(3, seq0 + 3, 999)
    diff2 = compare(name, "batch 3 / sequence +3", run_ort(onnx_path, other),
                    torch_outputs(spec.module, other))
    one = spec.make_inputs(1, 5, 777)
    diff3 = compare(name, "batch 1 / sequence 5", run_ort(onnx_path, one),
                    torch_outputs(spec.module, one))

    if spec.external:
        ext = onnx.load(onnx_path)
        ext_path = os.path.join(out_dir, "model_external.onnx")
        onnx.save_model(ext, ext_path, save_as_external_data=True,
                        all_tensors_to_one_file=True, location="model.onnx.data",
                        size_threshold=0, convert_attribute=False)
        os.chmod(os.path.join(out_dir, "model.onnx.data"), 0o644)
        compare(name, "external data", run_ort(ext_path, inputs), want)

    for k, v in inputs.items():
        np.save(os.path.join(out_dir, "inputs", f"{k}.npy"), v.numpy())
    for k, v in enumerate(want):
        np.save(os.path.join(out_dir, "expected", f"{k}.npy"), v.astype(np.float32))

    meta = collections.OrderedDict(
        name=name, family=spec.family, exporter=spec.exporter, opset=spec.opset,
        layers=spec.layers, heads=spec.heads, kv_heads=spec.kv_heads, hidden=spec.hidden,
        block_kind=spec.block_kind, inputs=list(inputs), outputs=spec.outputs,
        notes=spec.notes)
    with open(os.path.join(out_dir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")

    size = os.path.getsize(onnx_path)
    hist = op_histogram(m)
    shared = shared_initializers(m)
    out_stats = ", ".join(f"{o.shape} |max| {np.abs(o).max():.3g} std {o.std():.3g}" for o in want)
    print(f"{name}: {spec.exporter} opset {spec.opset}, {size / 1024:.1f} KiB, "
          f"{len(m.graph.node)} nodes, {len(m.graph.initializer)} initializers; "
          f"ORT max|diff| {diff:.2e} (other shapes {diff2:.2e}, {diff3:.2e}); outputs {out_stats}")
    print("  ops: " + ", ".join(f"{k} {v}" for k, v in hist.items()))
    if shared:
        print("  initializers used by several nodes: " +
              ", ".join(f"{k} x{v}" for k, v in shared.items()))
    if size > 640 * 1024:
        raise RuntimeError(f"{name}: model.onnx is {size} bytes (> 640 KB)")
    return dict(name=name, exporter=spec.exporter, opset=spec.opset, size=size, hist=hist,
                block_kind=spec.block_kind)


README_BEGIN = "<!-- op-histogram:begin (written by generate.py) -->"
README_END = "<!-- op-histogram:end -->"


def update_readme(results):
    path = os.path.join(HERE, "README.md")
    lines = [README_BEGIN, "",
             "| model | exporter | opset | block | size | ONNX op types (count) |",
             "|---|---|---|---|---|---|"]
    for r in results:
        ops = ", ".join(f"{k} {v}" for k, v in r["hist"].items())
        lines.append(f"| `{r['name']}` | {r['exporter']} | {r['opset']} | {r['block_kind']} | "
                     f"{r['size'] / 1024:.0f} KiB | {ops} |")
    total = collections.Counter()
    for r in results:
        total.update(r["hist"].keys())
    lines += ["", "Op types over all models (number of models using each): " +
              ", ".join(f"{k} ({v})" for k, v in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))) + ".",
              "", README_END]
    block = "\n".join(lines)
    text = open(path).read() if os.path.exists(path) else ""
    if README_BEGIN in text and README_END in text:
        head = text[:text.index(README_BEGIN)]
        tail = text[text.index(README_END) + len(README_END):]
        text = head + block + tail
    else:
        text = text + "\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", help="comma-separated model names")
    ap.add_argument("--list", action="store_true", help="list the model names")
    args = ap.parse_args()
    if args.list:
        print("\n".join(REGISTRY))
        return 0
    names = list(REGISTRY)
    if args.only:
        names = args.only.split(",")
        for n in names:
            if n not in REGISTRY:
                ap.error(f"unknown model {n!r}; known: {', '.join(REGISTRY)}")
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    results = [generate(n) for n in names]
    if not args.only:
        update_readme(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
