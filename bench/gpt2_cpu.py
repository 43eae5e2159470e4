#!/usr/bin/env python3
"""GPT-2-small-shaped decoder on the CPU: tfm vs ONNX Runtime vs PyTorch.

One seeded set of weights (GPT-2 init: N(0, 0.02)) feeds every engine:
  - tfm:   the model in the tfm dialect (weights as function arguments),
           compiled by tfm-run's CPU pipeline, timed with --repeat;
  - ORT:   the same PyTorch module exported to ONNX (opset 17), run with
           onnxruntime at ORT_ENABLE_ALL;
  - torch: eager, and torch.compile where it works on this machine;
  - IREE:  iree-base-compiler/runtime (llvm-cpu) if installed.
Every engine's logits are checked against PyTorch eager before timing.
Prints median latency, GFLOP/s and the ratio to ONNX Runtime per sequence
length, in one table.

Usage: bench/gpt2_cpu.py [--seq 128 512] [--layers 12] [--repeat 10]
       [--tfm-run build/bin/tfm-run] [--work build/bench-gpt2]
Needs numpy, torch, onnx, onnxruntime (bench/setup.sh installs them into
build/bench-venv).
"""

import argparse
import os
import subprocess
import sys

import numpy as np

from common import ort_session, take_turns, tfm_run_latency, time_calls


def parse_args():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("--seq", type=int, nargs="+", default=[128, 512])
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--layers", type=int, default=12)
    p.add_argument("--width", type=int, default=768)
    p.add_argument("--heads", type=int, default=12)
    p.add_argument("--mlp", type=int, default=3072)
    p.add_argument("--vocab", type=int, default=50257)
    p.add_argument("--context", type=int, default=1024)
    p.add_argument("--repeat", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3,
                   help="run every engine this many times in turn and report the median "
                        "of the per-round medians (the machine is shared: load drifts)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--tfm-run", default=os.path.join(root, "build", "bin", "tfm-run"))
    p.add_argument("--work", default=os.path.join(root, "build", "bench-gpt2"))
    p.add_argument("--skip", nargs="*", default=[],
                   help="engines to skip: tfm ort torch compile iree")
    return p.parse_args()


# ---------------------------------------------------------------------------
# Weights and the PyTorch reference module
# ---------------------------------------------------------------------------

def make_weights(a):
    rng = np.random.default_rng(0)
    n = lambda *s: (rng.standard_normal(s) * 0.02).astype(np.float32)
    d, f = a.width, a.mlp
    w = {"wte": n(a.vocab, d), "wpe": n(a.context, d)}
    for l in range(a.layers):
        p = f"h{l}."
        w[p + "ln1_g"] = (1 + n(d)).astype(np.float32)
        w[p + "ln1_b"] = n(d)
        for name in ("q", "k", "v", "o"):
            w[p + "w" + name] = n(d, d)
            w[p + "b" + name] = n(d)
        w[p + "ln2_g"] = (1 + n(d)).astype(np.float32)
        w[p + "ln2_b"] = n(d)
        w[p + "wfc"], w[p + "bfc"] = n(d, f), n(f)
        w[p + "wpr"], w[p + "bpr"] = n(f, d), n(d)
    w["lnf_g"], w["lnf_b"] = (1 + n(d)).astype(np.float32), n(d)
    w["head"] = n(d, a.vocab)
    return w


def torch_module(a, w):
    import torch

    class GPT2(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.ParameterDict(
                {k.replace(".", "_"): torch.nn.Parameter(torch.from_numpy(v), requires_grad=False)
                 for k, v in w.items()})

        def forward(self, ids, pos):
            P = self.p
            ln = torch.nn.functional.layer_norm
            d, h = a.width, a.heads
            x = P["wte"][ids] + P["wpe"][pos]
            b, s = ids.shape
            mask = torch.ones(s, s, dtype=torch.bool).tril()
            for l in range(a.layers):
                q_ = lambda n: P[f"h{l}_{n}"]
                y = ln(x, (d,), q_("ln1_g"), q_("ln1_b"), 1e-5)
                heads = lambda t: t.view(b, s, h, d // h).transpose(1, 2)
                q = heads(y @ q_("wq") + q_("bq"))
                k = heads(y @ q_("wk") + q_("bk"))
                v = heads(y @ q_("wv") + q_("bv"))
                att = (q @ k.transpose(-1, -2)) * (1.0 / (d // h) ** 0.5)
                att = att.masked_fill(~mask, float("-inf")).softmax(-1)
                o = (att @ v).transpose(1, 2).reshape(b, s, d)
                x = x + o @ q_("wo") + q_("bo")
                y = ln(x, (d,), q_("ln2_g"), q_("ln2_b"), 1e-5)
                u = torch.nn.functional.gelu(y @ q_("wfc") + q_("bfc"), approximate="tanh")
                x = x + u @ q_("wpr") + q_("bpr")
            x = ln(x, (d,), P["lnf_g"], P["lnf_b"], 1e-5)
            return x @ P["head"]

    return GPT2().eval()


# ---------------------------------------------------------------------------
# The tfm model
# ---------------------------------------------------------------------------

def weight_order(a):
    names = ["wte", "wpe"]
    for l in range(a.layers):
        names += [f"h{l}.{n}" for n in ("ln1_g", "ln1_b", "wq", "bq", "wk", "bk", "wv", "bv",
                                        "wo", "bo", "ln2_g", "ln2_b", "wfc", "bfc", "wpr", "bpr")]
    return names + ["lnf_g", "lnf_b", "head"]


def tfm_module(a, w):
    t = lambda shape: "tensor<" + "x".join(map(str, shape)) + "xf32>"
    act = f"tensor<{a.batch}x?x{a.width}xf32>"
    hid = f"tensor<{a.batch}x?x{a.mlp}xf32>"
    names = weight_order(a)
    args = [f"%ids: tensor<{a.batch}x?xi64>", f"%pos: tensor<{a.batch}x?xi64>"]
    ssa = {}
    for i, n in enumerate(names):
        ssa[n] = f"%w{i}"
        args.append(f"%w{i}: {t(w[n].shape)}")
    L = []
    e = L.append
    out_ty = f"tensor<{a.batch}x?x{a.vocab}xf32>"
    e(f"func.func @main({', '.join(args)}) -> {out_ty} {{")
    e(f"  %tok = tfm.embedding %ids, {ssa['wte']} : (tensor<{a.batch}x?xi64>, {t(w['wte'].shape)}) -> {act}")
    e(f"  %where = tfm.embedding %pos, {ssa['wpe']} : (tensor<{a.batch}x?xi64>, {t(w['wpe'].shape)}) -> {act}")
    e(f"  %x0 = tfm.residual skip(%tok) branches(%where) : ({act}, {act}) -> {act}")
    x = "%x0"
    for l in range(a.layers):
        W = lambda n: ssa[f"h{l}.{n}"]
        T = lambda n: t(w[f"h{l}.{n}"].shape)
        e(f"  %h{l} = tfm.block pre_ln ({x}) {{layer = {l} : i64}} : ({act}) -> {act} {{")
        e(f"  ^bb0(%x: {act}):")
        e(f"    %n1 = tfm.norm layer %x scale({W('ln1_g')}) shift({W('ln1_b')}) {{epsilon = 1.0e-5 : f64}} : ({act}, {T('ln1_g')}, {T('ln1_b')}) -> {act}")
        for p in "qkv":
            e(f"    %{p} = tfm.linear %n1, {W('w' + p)}, {W('b' + p)} : ({act}, {T('w' + p)}, {T('b' + p)}) -> {act}")
        e(f"    %a = tfm.attention %q, %k, %v {{num_heads = {a.heads} : i64, causal}} : ({act}, {act}, {act}) -> {act}")
        e(f"    %o = tfm.linear %a, {W('wo')}, {W('bo')} : ({act}, {T('wo')}, {T('bo')}) -> {act}")
        e(f"    %x1 = tfm.residual skip(%x) branches(%o) : ({act}, {act}) -> {act}")
        e(f"    %n2 = tfm.norm layer %x1 scale({W('ln2_g')}) shift({W('ln2_b')}) {{epsilon = 1.0e-5 : f64}} : ({act}, {T('ln2_g')}, {T('ln2_b')}) -> {act}")
        e(f"    %u = tfm.linear %n2, {W('wfc')}, {W('bfc')} : ({act}, {T('wfc')}, {T('bfc')}) -> {hid}")
        e(f"    %g = tfm.activation gelu_tanh %u : {hid}")
        e(f"    %d = tfm.linear %g, {W('wpr')}, {W('bpr')} : ({hid}, {T('wpr')}, {T('bpr')}) -> {act}")
        e(f"    %y = tfm.residual skip(%x1) branches(%d) : ({act}, {act}) -> {act}")
        e(f"    tfm.yield %y : {act}")
        e("  }")
        x = f"%h{l}"
    e(f"  %nf = tfm.norm layer {x} scale({ssa['lnf_g']}) shift({ssa['lnf_b']}) {{epsilon = 1.0e-5 : f64}} : ({act}, {t(w['lnf_g'].shape)}, {t(w['lnf_b'].shape)}) -> {act}")
    e(f"  %logits = tfm.linear %nf, {ssa['head']} : ({act}, {t(w['head'].shape)}) -> {out_ty}")
    e(f"  return %logits : {out_ty}")
    e("}")
    return "\n".join(L) + "\n"


# ---------------------------------------------------------------------------
# Engines
# ---------------------------------------------------------------------------

def flops(a, s):
    d, f, tokens = a.width, a.mlp, a.batch * s
    per_layer = 2 * tokens * (4 * d * d + 2 * d * f) + 2 * 2 * a.batch * s * s * d
    return a.layers * per_layer + 2 * tokens * d * a.vocab


def run_tfm(a, w, ids, pos, ref, work):
    mlir = os.path.join(work, "gpt2.mlir")
    with open(mlir, "w") as f:
        f.write(tfm_module(a, w))
    wdir = os.path.join(work, "weights")
    os.makedirs(wdir, exist_ok=True)
    inputs = []
    for i, n in enumerate(weight_order(a)):
        path = os.path.join(wdir, f"w{i}.npy")
        if not os.path.exists(path):
            np.save(path, w[n])
        inputs.append(path)
    np.save(os.path.join(work, "ids.npy"), ids)
    np.save(os.path.join(work, "pos.npy"), pos)
    np.save(os.path.join(work, "ref.npy"), ref)
    cmd = [a.tfm_run, mlir, "--input=" + os.path.join(work, "ids.npy"),
           "--input=" + os.path.join(work, "pos.npy")]
    cmd += ["--input=" + p for p in inputs]
    cmd += ["--expected=" + os.path.join(work, "ref.npy"), "--atol=1e-3", "--rtol=1e-3",
            f"--repeat={a.repeat}"]
    return tfm_run_latency(cmd)


def iree_version():
    from importlib.metadata import version
    return version("iree-base-runtime")


def prepare_iree(a, ids, pos, ref):
    """Imports the exported ONNX model into IREE, compiles it for the host CPU
    (cached in the work folder), checks it, and returns the call to time."""
    import iree.runtime as rt
    bindir = os.path.dirname(sys.executable)
    onnx_path = os.path.join(a.work, "gpt2.onnx")
    mlir = os.path.join(a.work, "gpt2.iree.mlir")
    vmfb = os.path.join(a.work, "gpt2.vmfb")
    if not os.path.exists(vmfb):
        subprocess.run([os.path.join(bindir, "iree-import-onnx"), onnx_path, "-o", mlir,
                        "--opset-version", "17"], check=True, capture_output=True, text=True)
        subprocess.run([os.path.join(bindir, "iree-compile"), mlir, "-o", vmfb,
                        "--iree-hal-target-device=local",
                        "--iree-hal-local-target-device-backends=llvm-cpu",
                        "--iree-llvmcpu-target-cpu=host"],
                       check=True, capture_output=True, text=True, timeout=1200)
    config = rt.Config("local-task")
    ctx = rt.SystemContext(config=config)
    ctx.add_vm_module(rt.VmModule.mmap(config.vm_instance, vmfb))
    fn = ctx.modules.module["main_graph"]
    out = np.asarray(fn(ids, pos))
    assert np.allclose(out, ref, atol=1e-3, rtol=1e-3), "IREE disagrees with PyTorch"
    return lambda: np.asarray(fn(ids, pos))


def main():
    a = parse_args()
    os.makedirs(a.work, exist_ok=True)
    import torch
    torch.set_num_threads(a.threads)
    w = make_weights(a)
    model = torch_module(a, w)
    rows = []
    for s in a.seq:
        rng = np.random.default_rng(s)
        ids = rng.integers(0, a.vocab, size=(a.batch, s), dtype=np.int64)
        pos = np.tile(np.arange(s, dtype=np.int64), (a.batch, 1))
        tids, tpos = torch.from_numpy(ids), torch.from_numpy(pos)
        with torch.no_grad():
            ref = model(tids, tpos).numpy()
        engines = {}
        if "torch" not in a.skip:
            def eager():
                with torch.no_grad():
                    return time_calls(lambda: model(tids, tpos), a.repeat)
            engines["PyTorch eager"] = eager
        if "compile" not in a.skip:
            try:
                cm = torch.compile(model)
                with torch.no_grad():
                    out = cm(tids, tpos).numpy()
                assert np.allclose(out, ref, atol=1e-3, rtol=1e-3)

                def compiled():
                    with torch.no_grad():
                        return time_calls(lambda: cm(tids, tpos), a.repeat)
                engines["torch.compile"] = compiled
            except Exception as ex:  # no C compiler for Inductor, etc.
                print(f"torch.compile skipped: {type(ex).__name__}: {str(ex)[:200]}", file=sys.stderr)
        if "ort" not in a.skip:
            import onnxruntime as ort
            path = os.path.join(a.work, "gpt2.onnx")
            if not os.path.exists(path):
                torch.onnx.export(model, (tids, tpos), path, opset_version=17,
                                  input_names=["ids", "pos"], output_names=["logits"],
                                  dynamic_axes={"ids": {1: "seq"}, "pos": {1: "seq"}},
                                  dynamo=False)
            sess = ort_session(path, a.threads)
            feed = {"ids": ids, "pos": pos}
            out = sess.run(None, feed)[0]
            assert np.allclose(out, ref, atol=1e-3, rtol=1e-3), "ORT disagrees with PyTorch"
            engines["ONNX Runtime " + ort.__version__] = lambda: time_calls(
                lambda: sess.run(None, feed), a.repeat)
            if "iree" not in a.skip:
                try:
                    iree_fn = prepare_iree(a, ids, pos, ref)
                    engines["IREE llvm-cpu " + iree_version()] = lambda: time_calls(iree_fn, a.repeat)
                except Exception as ex:
                    print(f"IREE skipped: {type(ex).__name__}: {str(ex)[:300]}", file=sys.stderr)
        if "tfm" not in a.skip:
            engines["tfm"] = lambda: run_tfm(a, w, ids, pos, ref, a.work)
        res = {name: ms for name, (ms, _) in take_turns(engines, a.rounds, f"seq {s} ").items()}
        rows.append((s, res))

    gf = {s: flops(a, s) / 1e9 for s in a.seq}
    print(f"\nGPT-2-small-shaped decoder, batch {a.batch}, {a.layers} layers, width {a.width}, "
          f"{a.heads} heads, MLP {a.mlp}, vocab {a.vocab}; {a.threads} threads; "
          f"median of {a.rounds} rounds x {a.repeat} runs, engines taking turns")
    print(f"{'seq':>5} {'engine':<26} {'ms':>10} {'GFLOP/s':>9} {'vs ORT':>8}")
    for s, res in rows:
        ort_ms = next((v for k, v in res.items() if k.startswith("ONNX Runtime")), None)
        for name, ms in res.items():
            ratio = f"{ms / ort_ms:.2f}x" if ort_ms else "-"
            print(f"{s:>5} {name:<26} {ms:>10.1f} {gf[s] / (ms / 1e3):>9.1f} {ratio:>8}")


if __name__ == "__main__":
    main()
