#!/usr/bin/env python3
"""GPT-2-small- and SAS-P-shaped models on a CUDA GPU in bf16: tfm vs PyTorch
eager vs torch.compile in one run, plus GEMM and attention TFLOP/s as a share
of the measured peak.

Both models have 12 layers, width 768, 12 heads of 64, MLP 3072, vocabulary
50257, and return the final normalised hidden state [batch, seq, 768] (the
LM head is left out so that the timed call is the transformer and not a
50257-wide output copied back to the host):
  - gpt2: Hugging Face GPT2Model (pre-LN blocks, causal attention), seeded
          random weights (no download);
  - sasp: the SAS-P simplified parallel block of He & Hofmann 2023
          (`SASModel(parallel=True)` from test/Models/generate.py).
Each is cast to bf16, exported to ONNX once at the benchmarked shape
(torch.onnx, dynamo exporter, opset 18; the TorchScript exporter fails on
bf16 modules) and
compiled with `tfm-compile --target=cuda` (the default -O2 pipeline: raising,
the seed passes, fused attention, cuBLASLt GEMMs, template kernels). tfm is
timed by `tfm-run ARTIFACT --device=cuda --repeat=N`, which includes staging
the input ids to the device and the output back to host memory (the
artifact's C ABI takes host buffers); PyTorch is timed on device tensors with
torch.cuda.synchronize(). Every engine's output is compared with eager's.

With `nsys` (Nsight Systems, part of the CUDA Toolkit) on PATH, tfm's run is
also profiled: the cuBLASLt kernels' time gives the GEMM TFLOP/s, the fused
attention kernels' (`*_forall`) the attention TFLOP/s, both as a share of the
peak measured with a cuBLAS 8192^3 bf16 matmul.

Without a GPU (torch.cuda.is_available() false) it prints why and exits 0
after `--compile-only` work: export and tfm-compile still run, which checks
that the models lower for CUDA.

Usage: bench/transformer_cuda.py [--models gpt2 sasp] [--batch 8] [--seq 1024]
       [--repeat 20] [--chip sm_90a] [--compile-only] [--work build/bench-cuda]
"""

import argparse
import contextlib
import csv
import io
import os
import shutil
import subprocess
import sys

import numpy as np

from common import sh, tfm_run_latency, time_calls

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAYERS, WIDTH, HEADS, MLP, VOCAB = 12, 768, 12, 3072, 50257


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--models", nargs="+", default=["gpt2", "sasp"], choices=["gpt2", "sasp"])
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=1024)
    p.add_argument("--layers", type=int, default=LAYERS)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--chip", default="sm_90a")
    p.add_argument("--compile-only", action="store_true",
                   help="export and compile for CUDA, do not run (no GPU needed)")
    p.add_argument("--bin", default=os.path.join(ROOT, "build", "bin"))
    p.add_argument("--work", default=os.path.join(ROOT, "build", "bench-cuda"))
    return p.parse_args()


def build_model(a, name):
    import torch
    torch.manual_seed(0)
    sys.path.insert(0, os.path.join(ROOT, "test", "Models"))
    if name == "gpt2":
        from generate import patch_transformers
        from transformers import GPT2Config, GPT2Model
        patch_transformers()  # keeps aten::diff (packed-sequence checks) out
        cfg = GPT2Config(n_layer=a.layers, n_embd=WIDTH, n_head=HEADS, n_inner=MLP,
                         vocab_size=VOCAB, n_positions=max(1024, a.seq),
                         attn_pdrop=0.0, resid_pdrop=0.0, embd_pdrop=0.0)
        cfg._attn_implementation = "eager"
        model = GPT2Model(cfg)

        class Body(torch.nn.Module):
            def __init__(self, m):
                super().__init__()
                self.m = m

            def forward(self, ids):
                return self.m(input_ids=ids, use_cache=False).last_hidden_state
        return Body(model).eval()
    from generate import SASModel
    sas = SASModel(VOCAB, WIDTH, HEADS, MLP, a.layers, parallel=True, beta_ff=0.2,
                   max_pos=max(1024, a.seq), seed=1234, shared_eye=False)

    class SASBody(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, ids):
            s = ids.shape[1]
            x = self.m.embed(ids) + self.m.pos(torch.arange(s, device=ids.device))
            for blk in self.m.blocks:
                x = blk(x)
            return self.m.norm(x)
    return SASBody(sas).eval()


def export(model, ids, path):
    import torch
    log = io.StringIO()
    with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        prog = torch.onnx.export(model, (ids,), dynamo=True, opset_version=18,
                                 input_names=["input_ids"], output_names=["hidden"],
                                 optimize=True)
        prog.save(path, external_data=False)


def flops(a, name):
    """Forward FLOPs: GEMMs (QKV, output, MLP) and attention (causal for
    gpt2: half of Q·Kᵀ and P·V; sasp's shaped attention is causal too)."""
    tokens, d = a.batch * a.seq, WIDTH
    gemm = a.layers * 2 * tokens * (4 * d * d + 2 * d * MLP)
    attn = a.layers * 2 * 2 * a.batch * a.seq * a.seq * d // 2
    return gemm, attn


def measured_peak():
    """bf16 dense TFLOP/s of a cuBLAS 8192^3 matmul (median of 20)."""
    import torch
    n = 8192
    x = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)
    y = torch.randn(n, n, device="cuda", dtype=torch.bfloat16)

    def call():
        torch.matmul(x, y)
        torch.cuda.synchronize()
    med, _ = time_calls(call, 20)
    return 2 * n ** 3 / (med * 1e-3) / 1e12


def nsys_kernel_ms(cmd, work):
    """Per-kernel total GPU time (ms) of one profiled tfm-run, by name; {} if
    nsys is not available."""
    nsys = shutil.which("nsys")
    if not nsys:
        return {}
    rep = os.path.join(work, "tfm-profile")
    sh([nsys, "profile", "--force-overwrite=true", "--trace=cuda", "-o", rep, *cmd])
    text = sh([nsys, "stats", "--report", "cuda_gpu_kern_sum", "--format", "csv",
               "--force-export=true", rep + ".nsys-rep"])
    rows = [l for l in text.splitlines() if l.count(",") > 3]
    out = {}
    for row in csv.DictReader(io.StringIO("\n".join(rows))):
        name = row.get("Name", "")
        total = row.get("Total Time (ns)") or row.get("Total Time", "0")
        out[name] = out.get(name, 0.0) + float(total.replace(",", "")) * 1e-6
    return out


def main():
    a = parse_args()
    os.makedirs(a.work, exist_ok=True)
    import torch
    gpu = torch.cuda.is_available()
    if not gpu and not a.compile_only:
        print("no CUDA device visible: only exporting and compiling (--compile-only)")
        a.compile_only = True
    peak = measured_peak() if gpu and not a.compile_only else None
    rows = []
    for name in a.models:
        model = build_model(a, name).to(torch.bfloat16)
        ids = torch.randint(0, VOCAB, (a.batch, a.seq), generator=torch.Generator().manual_seed(1))
        onnx_path = os.path.join(a.work, f"{name}.onnx")
        export(model, ids, onnx_path)  # static shapes: the benchmarked ones
        artifact = os.path.join(a.work, f"{name}.o")
        sh([os.path.join(a.bin, "tfm-compile"), onnx_path, "--target=cuda",
            f"--chip={a.chip}", "-o", artifact])
        print(f"{name}: compiled {artifact}", flush=True)
        if a.compile_only:
            continue

        ids_path = os.path.join(a.work, f"{name}.ids.npy")
        np.save(ids_path, ids.numpy())
        dev_model, dev_ids = model.cuda(), ids.cuda()
        with torch.no_grad():
            ref = dev_model(dev_ids)
            torch.cuda.synchronize()

            def eager():
                dev_model(dev_ids)
                torch.cuda.synchronize()
            t_eager = time_calls(eager, a.repeat)
            compiled = torch.compile(dev_model)
            got_compiled = compiled(dev_ids)

            def comp():
                compiled(dev_ids)
                torch.cuda.synchronize()
            t_compile = time_calls(comp, a.repeat)
        out_path = os.path.join(a.work, f"{name}.out.npy")
        cmd = [os.path.join(a.bin, "tfm-run"), artifact, "--device=cuda",
               "--input=" + ids_path, "--output=" + out_path]
        t_tfm = tfm_run_latency(cmd + [f"--repeat={a.repeat}"])
        want = ref.float().cpu().numpy()
        got = np.load(out_path).astype(np.float32)
        scale = float(np.abs(want).max())
        diff_tfm = float(np.abs(got - want).max()) / scale
        diff_compile = float((got_compiled.float() - ref.float()).abs().max()) / scale

        gemm_f, attn_f = flops(a, name)
        kernels = nsys_kernel_ms(cmd, a.work)
        gemm_ms = sum(v for k, v in kernels.items()
                      if any(s in k.lower() for s in ("gemm", "xmma", "cutlass", "cublas")))
        attn_ms = sum(v for k, v in kernels.items() if "_forall" in k)
        rows.append((name, t_tfm[0], t_eager[0], t_compile[0], diff_tfm, diff_compile,
                     gemm_f / (gemm_ms * 1e-3) / 1e12 if gemm_ms else None,
                     attn_f / (attn_ms * 1e-3) / 1e12 if attn_ms else None))

    if a.compile_only:
        return
    print(f"\nbf16, batch {a.batch}, seq {a.seq}, {a.layers} layers; peak (cuBLAS 8192^3 bf16): "
          f"{peak:.0f} TFLOP/s; times are medians of {a.repeat} (ms)")
    print("| model | tfm | eager | torch.compile | tfm / compile | max rel diff tfm | "
          "max rel diff compile | GEMM TFLOP/s (share of peak) | attention TFLOP/s (share) |")
    print("|---|---|---|---|---|---|---|---|---|")
    fmt = lambda t: f"{t:.0f} ({100 * t / peak:.0f}%)" if t else "n/a (no nsys)"
    for name, tt, te, tc, dt, dc, g, at in rows:
        print(f"| {name} | {tt:.2f} | {te:.2f} | {tc:.2f} | {tt / tc:.2f} | {dt:.1e} | "
              f"{dc:.1e} | {fmt(g)} | {fmt(at)} |")


if __name__ == "__main__":
    main()
