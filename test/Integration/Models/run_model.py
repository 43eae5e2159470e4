#!/usr/bin/env python3
"""End-to-end check of ONNX models: import, (raise,) run, compare.

    run_model.py MODEL_DIR... --tools-dir DIR [--raise | --compare-unraised]
                 [--onnx FILE] [--rtol 1e-4] [--atol 1e-5] [--work-dir DIR]
                 [--tfm-run-arg ARG]...

MODEL_DIR has the layout of test/Models (model.onnx, inputs/<input>.npy,
expected/<k>.npy, meta.json). For every model:

  1. tfm-translate --import-onnx MODEL_DIR/model.onnx -o model.mlir
  2. with --raise: tfm-opt model.mlir --tfm-raise --tfm-stats=output=stats.json
                   -o model.raised.mlir
     prints "stats NAME: {...}" and checks attention == meta.layers and
     blocks[meta.block_kind] == meta.layers;
  3. tfm-run on the (raised) module with meta.inputs in ONNX input order
     (--input=inputs/NAME.npy) and --expected=expected/K.npy for every output,
     |got - want| <= atol + rtol * |want| (rtol 1e-4, atol 1e-5: "match
     PyTorch within 1e-4");
  4. with --compare-unraised (implies --raise): also runs the imported module
     (checked against expected/ as well) and checks that the raised and the
     unraised module give the same outputs within the same tolerances.

Prints one line per model, "PASS NAME [MODE]: ..." or "FAIL NAME [MODE]: ..."
(MODE plain, raise or raise+unraised), the failing tool's output under a FAIL,
and a summary; exits 1 if any model fails, 2 on bad usage. Intermediate files
go to a temporary directory (kept with --work-dir).
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time

import numpy as np


class Failure(Exception):
    pass


TIMEOUT = 600.0  # seconds per tool call (--timeout)


def run_tool(cmd, what):
    """Runs cmd; returns (seconds, stdout); raises Failure with the output on a non-zero exit."""
    t0 = time.perf_counter()
    quoted = " ".join(shlex.quote(c) for c in cmd)
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              errors="replace", timeout=TIMEOUT)
    except OSError as e:
        raise Failure(f"{what}: cannot run {cmd[0]}: {e}")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else e.stdout
        raise Failure(f"{what} killed after {TIMEOUT:g} s (--timeout)\n  $ {quoted}\n"
                      + "".join(f"  | {l}\n" for l in (out or "").splitlines()[-20:]))
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        out = proc.stdout.rstrip()
        lines = out.splitlines()
        if len(lines) > 40:
            out = "\n".join(lines[:20] + [f"... ({len(lines) - 40} lines)"] + lines[-20:])
        raise Failure(f"{what} exited {proc.returncode} after {dt:.1f} s\n"
                      f"  $ {quoted}\n"
                      + "".join(f"  | {l}\n" for l in out.splitlines()))
    return dt, proc.stdout


def parse_errors(stdout):
    """tfm-run's 'output K: max abs error A, max rel error R ...' lines -> [(A, R)]."""
    errs = []
    for line in stdout.splitlines():
        if line.startswith("output ") and "max abs error" in line:
            parts = line.split("max abs error ", 1)[1].split(", max rel error ")
            errs.append((float(parts[0]), float(parts[1].split()[0])))
    return errs


def compare(got, want, rtol, atol):
    """(ok, max abs error) of got against want, tfm-run's rule."""
    if got.shape != want.shape:
        return False, float("inf")
    g, w = got.astype(np.float64), want.astype(np.float64)
    err = np.abs(g - w)
    err[g == w] = 0.0  # equal infinities
    err[np.isnan(err)] = np.inf
    err[np.isnan(g) & np.isnan(w)] = 0.0
    return bool(np.all(err <= atol + rtol * np.abs(w))), float(err.max(initial=0.0))


class ModelCheck:
    def __init__(self, args, model_dir, work):
        self.args = args
        self.dir = os.path.abspath(model_dir)
        self.work = work
        meta_path = os.path.join(self.dir, "meta.json")
        try:
            with open(meta_path) as f:
                self.meta = json.load(f)
        except (OSError, ValueError) as e:
            raise Failure(f"cannot read {meta_path}: {e}")
        self.name = self.meta.get("name", os.path.basename(self.dir))
        self.tools = {t: os.path.join(args.tools_dir, t)
                      for t in ("tfm-translate", "tfm-opt", "tfm-run")}
        self.times = {}

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    def inputs(self):
        names = self.meta.get("inputs")
        if not names:
            raise Failure("meta.json lists no inputs")
        paths = [self.path("inputs", f"{n}.npy") for n in names]
        for p in paths:
            if not os.path.isfile(p):
                raise Failure(f"missing input {p}")
        return paths

    def expected(self):
        n = len(self.meta.get("outputs", []))
        paths = [self.path("expected", f"{k}.npy") for k in range(n)]
        if not paths or not all(os.path.isfile(p) for p in paths):
            raise Failure(f"expected/0.npy .. {n - 1}.npy (one per meta.json output) missing")
        return paths

    def import_model(self):
        onnx = self.path(self.args.onnx)
        if not os.path.isfile(onnx):
            raise Failure(f"missing {onnx}")
        out = os.path.join(self.work, "model.mlir")
        self.times["import"], _ = run_tool(
            [self.tools["tfm-translate"], "--import-onnx", onnx, "-o", out], "tfm-translate")
        return out

    def raise_model(self, mlir):
        out = os.path.join(self.work, "model.raised.mlir")
        stats_path = os.path.join(self.work, "stats.json")
        self.times["raise"], _ = run_tool(
            [self.tools["tfm-opt"], mlir, "--tfm-raise", f"--tfm-stats=output={stats_path}",
             "-o", out], "tfm-opt --tfm-raise")
        try:
            with open(stats_path) as f:
                text = f.read().strip()
            stats = json.loads(text.splitlines()[0])
        except (OSError, ValueError, IndexError) as e:
            raise Failure(f"--tfm-stats wrote no JSON to {stats_path}: {e}")
        print(f"stats {self.name}: {json.dumps(stats, separators=(',', ':'))}")
        layers = self.meta.get("layers")
        kind = self.meta.get("block_kind")
        if layers is None or kind is None:
            raise Failure("meta.json needs layers and block_kind to check the raised module")
        problems = []
        if stats.get("attention") != layers:
            problems.append(f"attention {stats.get('attention')} != layers {layers}")
        got_blocks = stats.get("blocks", {}).get(kind)
        if got_blocks != layers:
            problems.append(f"blocks.{kind} {got_blocks} != layers {layers} "
                            f"(blocks {stats.get('blocks')})")
        if problems:
            raise Failure("raised module: " + "; ".join(problems))
        return out

    def run_module(self, mlir, tag):
        """tfm-run against expected/; returns ([(abs, rel)] per output, output .npy paths)."""
        outs = [os.path.join(self.work, f"{tag}.{k}.npy") for k in range(len(self.expected()))]
        cmd = [self.tools["tfm-run"], mlir]
        cmd += [f"--input={p}" for p in self.inputs()]
        cmd += [f"--expected={p}" for p in self.expected()]
        cmd += [f"--output={p}" for p in outs]
        cmd += [f"--rtol={self.args.rtol}", f"--atol={self.args.atol}"]
        cmd += self.args.tfm_run_arg
        self.times[f"run {tag}"], stdout = run_tool(cmd, f"tfm-run ({tag} module)")
        errs = parse_errors(stdout)
        if len(errs) != len(outs):
            raise Failure(f"tfm-run ({tag}) reported {len(errs)} comparisons for "
                          f"{len(outs)} outputs:\n{stdout}")
        return errs, outs

    def check(self):
        mlir = self.import_model()
        mode = "plain"
        if self.args.raise_:
            plain = mlir
            mlir = self.raise_model(mlir)
            mode = "raise"
        errs, outs = self.run_module(mlir, "raised" if self.args.raise_ else "imported")
        detail = ", ".join(f"{o} max abs {a:.1e} rel {r:.1e}"
                           for o, (a, r) in zip(self.meta["outputs"], errs))
        if self.args.compare_unraised:
            mode = "raise+unraised"
            _, plain_outs = self.run_module(plain, "imported")
            worst = 0.0
            for o, a, b in zip(self.meta["outputs"], outs, plain_outs):
                ok, err = compare(np.load(a), np.load(b), self.args.rtol, self.args.atol)
                worst = max(worst, err)
                if not ok:
                    raise Failure(f"raised and unraised modules differ on {o}: max abs {err:.2e} "
                                  f"(rtol {self.args.rtol}, atol {self.args.atol})")
            detail += f"; raised vs unraised max abs {worst:.1e}"
        times = ", ".join(f"{k} {v:.1f} s" for k, v in self.times.items())
        return mode, f"{detail} ({times})"


def main():
    global TIMEOUT
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("model_dirs", nargs="+", metavar="MODEL_DIR")
    ap.add_argument("--tools-dir", required=True,
                    help="directory with tfm-translate, tfm-opt and tfm-run")
    ap.add_argument("--raise", dest="raise_", action="store_true",
                    help="raise with tfm-opt --tfm-raise, check --tfm-stats, run the result")
    ap.add_argument("--compare-unraised", action="store_true",
                    help="also run the unraised module and compare it with the raised one")
    ap.add_argument("--onnx", default="model.onnx",
                    help="ONNX file inside MODEL_DIR (default model.onnx)")
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--atol", type=float, default=1e-5)
    ap.add_argument("--work-dir", help="keep intermediate files here (one folder per model)")
    ap.add_argument("--tfm-run-arg", action="append", default=[],
                    help="extra tfm-run argument (repeatable)")
    ap.add_argument("--timeout", type=float, default=TIMEOUT,
                    help=f"seconds each tool call may take (default {TIMEOUT:g})")
    args = ap.parse_args()
    TIMEOUT = args.timeout
    if args.compare_unraised:
        args.raise_ = True

    failed = 0
    tmp = None
    if args.work_dir:
        base = os.path.abspath(args.work_dir)
        os.makedirs(base, exist_ok=True)
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tfm-run-model-")
        base = tmp.name
    for model_dir in args.model_dirs:
        label = os.path.basename(os.path.normpath(model_dir))
        mode = "raise+unraised" if args.compare_unraised else "raise" if args.raise_ else "plain"
        work = os.path.join(base, label)
        os.makedirs(work, exist_ok=True)
        t0 = time.perf_counter()
        try:
            check = ModelCheck(args, model_dir, work)
            label = check.name
            mode, detail = check.check()
            print(f"PASS {label} [{mode}]: {detail}", flush=True)
        except Failure as e:
            failed += 1
            msg = str(e).rstrip()
            first, _, rest = msg.partition("\n")
            print(f"FAIL {label} [{mode}]: {first} ({time.perf_counter() - t0:.1f} s)",
                  flush=True)
            if rest:
                print(rest, flush=True)
    n = len(args.model_dirs)
    print(f"{n - failed} passed, {failed} failed")
    if tmp:
        tmp.cleanup()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
