#!/usr/bin/env python3
"""SAS-P (He & Hofmann 2023) on the CPU: tfm with and without identity folding
vs ONNX Runtime vs PyTorch eager.

The model is test/Models/generate.py's SASModel in its parallel form
(block y = ShapedAttn(LN(x)) + beta_FF * MLP(LN(x)), no skip; shaped
attention A = alpha*I + beta*softmax - gamma*C) with shared_eye=False, so
every layer's W_V and W_P is an identity weight of its own. It is exported
once with the dynamo exporter at opset 18 (which keeps the identity weights
distinct; the TorchScript exporter merges equal initializers) and every
engine runs that ONNX file or the module it came from:
  - ORT:            the ONNX file, ORT_ENABLE_ALL (keeps the identity MatMuls);
  - tfm unfolded:   tfm-translate --import-onnx, tfm-opt --tfm-raise;
  - tfm folded:     ... --tfm-raise --tfm-fold-identity-weights;
  - PyTorch eager:  the module itself.
tfm is timed by tfm-run --repeat (compilation not timed). The logits of
every engine are compared with PyTorch eager (max abs diff) before timing.
Engines take turns for --rounds rounds (order rotated, pauses between);
the table gives the median of the per-round medians and the overall min.

Usage: bench/sasp_cpu.py [--seq 128 512] [--layers 6] [--repeat 10] [--rounds 3]
"""

import argparse
import contextlib
import io
import os
import sys
import time

import numpy as np

from common import ort_session, sh, take_turns, tfm_run_latency, time_calls

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seq", type=int, nargs="+", default=[128, 512])
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--mlp", type=int, default=2048)
    p.add_argument("--vocab", type=int, default=1000)
    p.add_argument("--beta-ff", type=float, default=0.5)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"),
                   help="folder with tfm-translate, tfm-opt, tfm-run")
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench-sasp"))
    p.add_argument("--skip", nargs="*", default=[], help="engines to skip: torch ort")
    return p.parse_args()


def build_model(a):
    import torch
    sys.path.insert(0, os.path.join(ROOT, "test", "Models"))
    from generate import SASModel
    torch.manual_seed(0)
    m = SASModel(a.vocab, a.width, a.heads, a.mlp, a.layers, parallel=True,
                 beta_ff=a.beta_ff, max_pos=max(a.seq), seed=1234, shared_eye=False)
    return m.eval()


def export(a, model, path):
    import torch
    ids = torch.zeros(1, min(a.seq), dtype=torch.int64)
    batch = torch.export.Dim("batch", min=1, max=64)
    seq = torch.export.Dim("sequence", min=2, max=max(a.seq))
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        prog = torch.onnx.export(model, (ids,), dynamo=True, opset_version=18,
                                 input_names=["input_ids"], output_names=["logits"],
                                 dynamic_shapes={"input_ids": {0: batch, 1: seq}},
                                 optimize=True)
        prog.save(path, external_data=False)


def compile_tfm(a, onnx_path):
    """Imports and raises the ONNX model, unfolded and folded; returns the two
    .mlir paths and the --tfm-stats lines."""
    b = lambda t: os.path.join(a.bin, t)
    imported = os.path.join(a.work, "sasp.imported.mlir")
    sh([b("tfm-translate"), "--import-onnx", onnx_path, "-o", imported])
    out, stats = {}, {}
    for name, passes in (("unfolded", ["--tfm-raise"]),
                         ("folded", ["--tfm-raise", "--tfm-fold-identity-weights"])):
        out[name] = os.path.join(a.work, f"sasp.{name}.mlir")
        text = sh([b("tfm-opt"), imported, *passes, "--tfm-stats", "-o", out[name]])
        stats[name] = [l for l in text.splitlines() if l.startswith("{")]
    return out, stats


def tfm_time(a, mlir, ids_path, repeat, output=None):
    cmd = [os.path.join(a.bin, "tfm-run"), mlir, "--input=" + ids_path, f"--repeat={repeat}"]
    if output:
        cmd.append("--output=" + output)
    return tfm_run_latency(cmd)


def main():
    a = parse_args()
    os.makedirs(a.work, exist_ok=True)
    os.environ.setdefault("OMP_NUM_THREADS", str(a.threads))
    import torch
    import onnxruntime as ort
    torch.set_num_threads(a.threads)
    model = build_model(a)
    onnx_path = os.path.join(a.work, "sasp.onnx")
    t0 = time.time()
    export(a, model, onnx_path)
    mlir, stats = compile_tfm(a, onnx_path)
    print(f"exported and compiled to tfm in {time.time() - t0:.1f} s")
    for name in ("unfolded", "folded"):
        for line in stats[name]:
            print(f"tfm-stats {name}: {line}")

    sess = ort_session(onnx_path, a.threads)

    rows = []
    for s in a.seq:
        ids = np.random.default_rng(s).integers(0, a.vocab, size=(1, s), dtype=np.int64)
        ids_path = os.path.join(a.work, f"ids{s}.npy")
        np.save(ids_path, ids)
        tids = torch.from_numpy(ids)
        with torch.no_grad():
            ref = model(tids).numpy()
        scale = float(np.abs(ref).max())
        diffs = {}
        engines = {}
        if "torch" not in a.skip:
            def eager():
                with torch.no_grad():
                    return time_calls(lambda: model(tids), a.repeat)
            engines["PyTorch eager " + torch.__version__.split("+")[0]] = eager
        if "ort" not in a.skip:
            feed = {"input_ids": ids}
            diffs["ORT"] = float(np.abs(sess.run(None, feed)[0] - ref).max())
            engines["ONNX Runtime " + ort.__version__] = lambda: time_calls(
                lambda: sess.run(None, feed), a.repeat)
        for name in ("unfolded", "folded"):
            out = os.path.join(a.work, f"out.{name}.{s}.npy")
            tfm_time(a, mlir[name], ids_path, 1, output=out)
            diffs["tfm " + name] = float(np.abs(np.load(out) - ref).max())
            engines["tfm " + name] = (lambda p: lambda: tfm_time(a, p, ids_path, a.repeat))(
                mlir[name])
        print(f"seq {s}: max |logits| {scale:.3g}; max abs diff vs PyTorch: " +
              ", ".join(f"{k} {v:.2e}" for k, v in diffs.items()))
        bad = {k: v for k, v in diffs.items() if not v <= 1e-4 * max(1.0, scale)}
        if bad:
            raise RuntimeError(f"seq {s}: engines disagree with PyTorch: {bad}")

        res = take_turns(engines, a.rounds, label=f"seq {s} ")
        rows.append((s, res))

    print(f"\nSAS-P, batch 1, {a.layers} layers, width {a.width}, {a.heads} heads, "
          f"MLP {a.mlp}, vocab {a.vocab}; {a.threads} threads; median of {a.rounds} rounds x "
          f"{a.repeat} runs (min: over all runs), engines taking turns")
    print("| seq | engine | median ms | min ms | folded vs unfolded | vs ORT |")
    print("|---:|---|---:|---:|---:|---:|")
    for s, res in rows:
        ort_ms = next((v[0] for k, v in res.items() if k.startswith("ONNX Runtime")), None)
        unf = res.get("tfm unfolded", (None,))[0]
        for name, (med, mn) in res.items():
            speed = f"{unf / med - 1:+.1%}" if name == "tfm folded" and unf else ""
            ratio = f"{med / ort_ms:.2f}x" if ort_ms else "-"
            print(f"| {s} | {name} | {med:.1f} | {mn:.1f} | {speed} | {ratio} |")


if __name__ == "__main__":
    main()
