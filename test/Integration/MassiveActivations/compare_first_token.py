#!/usr/bin/env python3
"""Checks tfm-massive-activations-to-bias's exact rewrite numerically.

    compare_first_token.py ORIGINAL.mlir REWRITTEN.mlir --tools-dir DIR
        (--ids IDS.npy [--positions POS.npy] | --random N --length T --vocab V)
        --first-token ID [--rtol 1e-5] [--atol 1e-6] [--work-dir DIR]

Runs ORIGINAL on the full sequences (first token ID in front) and REWRITTEN
on the sequences without it (ids[:, 1:], and position ids[:, 1:] when the
model takes them), both with tfm-run, and compares the outputs of tokens
1..T: |rewritten - original[:, 1:]| <= atol + rtol * |original[:, 1:]|.
Prints "MATCH: max abs error A, max rel error R" or "MISMATCH: ..." and
exits 0 or 1 (2 on bad usage or a tool failure).
"""

import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np


def run(cmd):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        print(f"error: {' '.join(cmd)} exited {r.returncode}:\n{r.stdout}", file=sys.stderr)
        sys.exit(2)
    return r.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("original")
    p.add_argument("rewritten")
    p.add_argument("--tools-dir", required=True)
    p.add_argument("--ids")
    p.add_argument("--positions")
    p.add_argument("--random", type=int, default=0, help="random sequences to draw")
    p.add_argument("--length", type=int, default=16)
    p.add_argument("--vocab", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--first-token", type=int, required=True)
    p.add_argument("--rtol", type=float, default=1e-5)
    p.add_argument("--atol", type=float, default=1e-6)
    p.add_argument("--work-dir")
    a = p.parse_args()

    work = a.work_dir or tempfile.mkdtemp(prefix="tfm-first-token-")
    os.makedirs(work, exist_ok=True)
    if a.ids:
        ids = np.load(a.ids).astype(np.int64)
        if not (ids[:, 0] == a.first_token).all():
            print(f"error: {a.ids} does not start every sequence with {a.first_token}",
                  file=sys.stderr)
            return 2
    elif a.random and a.vocab:
        rng = np.random.default_rng(a.seed)
        others = np.array([t for t in range(a.vocab) if t != a.first_token], np.int64)
        ids = rng.choice(others, size=(a.random, a.length)).astype(np.int64)
        ids[:, 0] = a.first_token
    else:
        p.error("give --ids, or --random N with --vocab V")
    positions = np.load(a.positions).astype(np.int64) if a.positions else None

    tfm_run = os.path.join(a.tools_dir, "tfm-run")

    def call(module, arrays, out):
        args = [tfm_run, module]
        for i, x in enumerate(arrays):
            path = os.path.join(work, f"{os.path.basename(out)}.in{i}.npy")
            np.save(path, x)
            args.append("--input=" + path)
        run(args + ["--output=" + out])
        return np.load(out)

    full_in = [ids] + ([positions] if positions is not None else [])
    rest_in = [x[:, 1:] for x in full_in]
    want = call(a.original, full_in, os.path.join(work, "original.npy"))[:, 1:]
    got = call(a.rewritten, rest_in, os.path.join(work, "rewritten.npy"))
    if got.shape != want.shape:
        print(f"MISMATCH: shape {got.shape}, expected {want.shape}")
        return 1
    err = np.abs(got.astype(np.float64) - want.astype(np.float64))
    rel = err / np.maximum(np.abs(want.astype(np.float64)), 1e-30)
    ok = bool((err <= a.atol + a.rtol * np.abs(want)).all())
    print(f"{'MATCH' if ok else 'MISMATCH'}: {ids.shape[0]} sequences of {ids.shape[1]} tokens, "
          f"max abs error {err.max():.3g}, max rel error {rel.max():.3g} "
          f"(rtol {a.rtol:g}, atol {a.atol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
