#!/usr/bin/env python3
"""Greedy decoding with stories260K on torch, ONNX Runtime or tfm.

    build/bench-venv/bin/python scripts/stories260k_generate.py \
        --engine torch|onnxruntime|tfm|numpy [--steps N] [--prompt TEXT] \
        [--model build/models/stories260K/model.onnx] \
        [--tools-dir build/bin] [--no-raise] [--work-dir DIR] [--check] \
        [--draft-reference]

Every step recomputes the whole sequence (no KV cache) and appends the argmax
of the last position's logits; decoding stops after N new tokens or at BOS.

With --draft-reference the continuation published with the model serves as a
draft: one model call on prompt + draft gives the logits of every prefix at
once (causal attention: position p sees only tokens 0..p), the draft tokens
are accepted while they equal the argmax, the first argmax that differs is
appended, and decoding goes on one call per token from there. The text is the
same as plain greedy decoding's (up to argmax near-ties), in one model call
instead of N when the model reproduces the draft -- with the tfm engine, one
JIT compilation instead of N.

Engines:
  torch        the torch module of scripts/convert_stories260k.py, built from
               the llama2.c checkpoint;
  onnxruntime  the exported ONNX model (run convert_stories260k.py first);
  numpy        the float64 NumPy reference of scripts/convert_stories260k.py
               (needs only numpy);
  tfm          imports the ONNX model once with
                   tfm-translate --import-onnx MODEL.onnx -o model.mlir
               raises it once (skipped with --no-raise) with
                   tfm-opt model.mlir --tfm-raise -o model.raised.mlir
               and runs every step with
                   tfm-run MODEL.mlir --input=ids.npy --output=logits.npy
               (tools from --tools-dir).

With --check the text must reproduce the continuation published with the
model (as far as both go); the exit status is 1 otherwise.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import convert_stories260k as cs  # noqa: E402

DEFAULT_MODEL = os.path.join(cs.DEFAULT_OUT, "model.onnx")
DEFAULT_TOOLS = os.path.join(ROOT, "build", "bin")


class TorchEngine:
    def __init__(self, args):
        import torch
        torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
        self.torch = torch
        _, self.model = cs.load_model(args.checkpoint)

    def logits(self, ids):
        with self.torch.no_grad():
            return self.model(self.torch.from_numpy(ids)).numpy()


class OrtEngine:
    def __init__(self, args):
        import onnxruntime as ort
        if not os.path.exists(args.model):
            raise SystemExit(f"{args.model} not found: run scripts/convert_stories260k.py first")
        self.sess = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])

    def logits(self, ids):
        return self.sess.run(None, {"input_ids": ids})[0]


class TfmEngine:
    def __init__(self, args):
        if not os.path.exists(args.model):
            raise SystemExit(f"{args.model} not found: run scripts/convert_stories260k.py first")
        tools = {}
        for tool in ("tfm-translate", "tfm-opt", "tfm-run"):
            path = os.path.join(args.tools_dir, tool)
            if not (os.path.isfile(path) and os.access(path, os.X_OK)):
                if tool == "tfm-opt" and args.no_raise:
                    continue
                raise SystemExit(f"{path} not found or not executable (see --tools-dir)")
            tools[tool] = path
        self.tools = tools
        self.verbose = args.verbose
        if args.work_dir:
            os.makedirs(args.work_dir, exist_ok=True)
            self.work = args.work_dir
            self._tmp = None
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="stories260k-tfm-")
            self.work = self._tmp.name
        self.ids_path = os.path.join(self.work, "ids.npy")
        self.logits_path = os.path.join(self.work, "logits.npy")

        imported = os.path.join(self.work, "model.mlir")
        self._run([tools["tfm-translate"], "--import-onnx", args.model, "-o", imported],
                  "import")
        self.mlir = imported
        if not args.no_raise:
            raised = os.path.join(self.work, "model.raised.mlir")
            self._run([tools["tfm-opt"], imported, "--tfm-raise", "-o", raised], "raise")
            self.mlir = raised

    def _run(self, cmd, what):
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        dt = time.perf_counter() - t0
        if self.verbose or proc.returncode != 0:
            print(f"[tfm {what}] {' '.join(cmd)} ({dt:.2f} s, exit {proc.returncode})",
                  file=sys.stderr)
            if proc.stdout.strip():
                print(proc.stdout.rstrip(), file=sys.stderr)
            if proc.stderr.strip():
                print(proc.stderr.rstrip(), file=sys.stderr)
        if proc.returncode != 0:
            raise SystemExit(f"tfm {what} failed (exit {proc.returncode}): {' '.join(cmd)}")
        return proc

    def logits(self, ids):
        np.save(self.ids_path, np.ascontiguousarray(ids, dtype=np.int64))
        if os.path.exists(self.logits_path):
            os.remove(self.logits_path)
        self._run([self.tools["tfm-run"], self.mlir, f"--input={self.ids_path}",
                   f"--output={self.logits_path}"], "run")
        out = np.load(self.logits_path)
        if out.ndim != 3 or out.shape[:2] != ids.shape:
            raise SystemExit(f"tfm-run returned logits of shape {out.shape} for ids {ids.shape}")
        return out


class NumpyEngine:
    def __init__(self, args):
        self.cfg, self.weights = cs.read_checkpoint(args.checkpoint)

    def logits(self, ids):
        return cs.forward_numpy(self.cfg, self.weights, ids)


ENGINES = {"torch": TorchEngine, "onnxruntime": OrtEngine, "tfm": TfmEngine,
           "numpy": NumpyEngine}


def decode(engine, ids, steps, draft=()):
    """Greedy decoding of up to `steps` new tokens after `ids` (see --draft-reference).

    Returns (ids, new tokens, model calls)."""
    ids = list(ids)
    draft = list(draft)
    new = calls = 0
    while new < steps:
        guess = draft[:steps - new - 1]
        draft = []
        start = len(ids) - 1  # logits at position p predict token p + 1
        logits = engine.logits(np.array([ids + guess], dtype=np.int64))
        calls += 1
        for j in range(len(guess) + 1):
            nxt = int(np.argmax(logits[0, start + j]))
            if nxt == cs.BOS:  # llama2.c stops at BOS as the sequence delimiter
                return ids, new, calls
            ids.append(nxt)
            new += 1
            if j == len(guess) or nxt != guess[j]:
                break  # later positions saw a token greedy decoding would not pick
    return ids, new, calls


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--engine", choices=sorted(ENGINES), default="torch")
    ap.add_argument("--steps", type=int, default=40, help="new tokens to generate")
    ap.add_argument("--prompt", default=cs.PROMPT)
    ap.add_argument("--model", default=DEFAULT_MODEL, help="the exported ONNX model")
    ap.add_argument("--checkpoint", default=cs.DEFAULT_CHECKPOINT)
    ap.add_argument("--tokenizer", default=cs.DEFAULT_TOKENIZER)
    ap.add_argument("--tools-dir", default=DEFAULT_TOOLS,
                    help="directory with tfm-translate, tfm-opt, tfm-run")
    ap.add_argument("--no-raise", action="store_true",
                    help="tfm engine: run the imported graph without tfm-opt --tfm-raise")
    ap.add_argument("--work-dir", help="tfm engine: keep the MLIR and .npy files here")
    ap.add_argument("--check", action="store_true",
                    help="fail unless the text reproduces the published continuation")
    ap.add_argument("--draft-reference", action="store_true",
                    help="verify the published continuation as a draft in one model call "
                         "(same text as plain greedy decoding, far fewer calls)")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    tok = cs.Tokenizer(args.tokenizer)
    engine = ENGINES[args.engine](args)
    ids = [cs.BOS] + tok.encode(args.prompt)
    draft = []
    if args.draft_reference:
        ref = [cs.BOS] + tok.encode(cs.REFERENCE)
        if ref[:len(ids)] == ids:
            draft = ref[len(ids):]
    t0 = time.perf_counter()
    ids, new, calls = decode(engine, ids, args.steps, draft)
    dt = time.perf_counter() - t0
    text = tok.decode(ids)
    print(text)
    print(f"[{args.engine}: {new} tokens in {dt:.2f} s, {calls} model calls; ids {ids}]",
          file=sys.stderr)
    if args.check:
        n = min(len(text), len(cs.REFERENCE))
        if args.prompt != cs.PROMPT:
            raise SystemExit("--check needs the default prompt")
        if text[:n] != cs.REFERENCE[:n]:
            print(f"MISMATCH with the published continuation:\n  want: {cs.REFERENCE!r}",
                  file=sys.stderr)
            return 1
        print(f"[matches the published continuation over {n} characters]", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
