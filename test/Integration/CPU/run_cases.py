"""Runs the generated numerical cases through tfm-run.

    python3 run_cases.py --tfm-run PATH [--only SUBSTRING] [--keep DIR]
                         [--tfm-run-arg ARG]... [--timeout SECONDS]

Generates the cases (gen_cases.py) into a temporary directory (or DIR with
--keep, which is left in place), runs

    tfm-run model.mlir --entry=main --input=in0.npy ... --expected=out0.npy ...
            --atol=A --rtol=R

on each (plus any --tfm-run-arg, e.g. --tfm-run-arg=--no-runtime-gemm;
a 60 s timeout per case unless --timeout says otherwise, 2 in parallel), prints `PASS name` or
`FAIL name: <tail of tfm-run's output>` per case in case order, then
`N passed, M failed`, and exits 1 if any case failed.
"""

import argparse
import concurrent.futures
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_cases  # noqa: E402

TIMEOUT_S = 60
WORKERS = 2
TAIL_CHARS = 400


def _numbered(d, prefix):
    files = glob.glob(os.path.join(d, f"{prefix}*.npy"))
    return sorted(files, key=lambda p: int(os.path.basename(p)[len(prefix):-4]))


def command(tfm_run, d, extra=()):
    with open(os.path.join(d, "tol.txt")) as f:
        atol, rtol = f.read().split()
    cmd = [tfm_run, os.path.join(d, "model.mlir"), "--entry=main"]
    cmd += [f"--input={p}" for p in _numbered(d, "in")]
    cmd += [f"--expected={p}" for p in _numbered(d, "out")]
    cmd += [f"--atol={atol}", f"--rtol={rtol}"]
    return cmd + list(extra)


def _tail(text):
    text = " | ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return text if len(text) <= TAIL_CHARS else "..." + text[-TAIL_CHARS:]


def run_one(tfm_run, outdir, name, extra=(), timeout=TIMEOUT_S):
    d = os.path.join(outdir, name)
    try:
        p = subprocess.run(command(tfm_run, d, extra), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return name, False, f"timed out after {timeout} s"
    except OSError as e:
        return name, False, f"cannot run tfm-run: {e}"
    if p.returncode == 0:
        return name, True, ""
    what = {1: "mismatch", 2: "usage/input error"}.get(p.returncode, f"exit code {p.returncode}")
    tail = _tail(p.stdout)
    return name, False, f"[{what}] {tail}" if tail else f"[{what}]"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tfm-run", required=True, help="path to the tfm-run executable")
    ap.add_argument("--only", default=None, help="only cases whose name contains SUBSTRING")
    ap.add_argument("--keep", default=None, metavar="DIR", help="generate into DIR and keep it")
    ap.add_argument("--tfm-run-arg", action="append", default=[], metavar="ARG",
                    help="extra argument for every tfm-run call (repeatable)")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S, metavar="SECONDS",
                    help=f"time limit of one tfm-run call (default {TIMEOUT_S})")
    args = ap.parse_args(argv)

    tfm_run = args.tfm_run
    if os.sep not in tfm_run:
        tfm_run = shutil.which(tfm_run) or tfm_run
    tfm_run = os.path.abspath(tfm_run) if os.path.exists(tfm_run) else tfm_run

    if args.keep:
        outdir = os.path.abspath(args.keep)
        tmp = None
    else:
        tmp = tempfile.TemporaryDirectory(prefix="tfm-cases-")
        outdir = tmp.name
    try:
        names, _ = gen_cases.generate(outdir, args.only, quiet=True)
        if not names:
            print(f"no case matches {args.only!r}")
            print("0 passed, 0 failed")
            return 1
        passed = failed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            for name, ok, msg in pool.map(lambda n: run_one(tfm_run, outdir, n, args.tfm_run_arg, args.timeout), names):
                if ok:
                    passed += 1
                    print(f"PASS {name}", flush=True)
                else:
                    failed += 1
                    print(f"FAIL {name}: {msg}", flush=True)
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0
    finally:
        if tmp is not None:
            tmp.cleanup()


if __name__ == "__main__":
    sys.exit(main())
