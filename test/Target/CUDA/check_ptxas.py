"""Checks `ptxas -v` output against per-kernel budgets.

    python3 check_ptxas.py PTXAS_LOG PTX_FILE --max-registers N
                           [--budget REGEX=N]...

Every `.entry` of PTX_FILE must appear in the log, use at most N registers
(or the N of the first --budget whose REGEX the kernel name contains), and
neither spill (0 bytes spill stores and loads) nor keep a local stack frame
larger than 64 bytes. Prints one summary line, or the offending kernels and
exits 1.
"""
import argparse
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("ptx")
    ap.add_argument("--max-registers", type=int, required=True)
    ap.add_argument("--budget", action="append", default=[], metavar="REGEX=N")
    args = ap.parse_args()
    budgets = [(re.compile(b.rsplit("=", 1)[0]), int(b.rsplit("=", 1)[1])) for b in args.budget]
    entries = re.findall(r"\.entry\s+(\w+)\(", open(args.ptx).read())
    log = open(args.log).read()
    kernels = {}
    for m in re.finditer(r"Compiling entry function '(\w+)'.*?Used (\d+) registers", log, re.S):
        kernels[m.group(1)] = {"registers": int(m.group(2))}
    for m in re.finditer(r"Function properties for (\w+)\s*\n\s*(\d+) bytes stack frame, (\d+) bytes spill stores, (\d+) bytes spill loads", log):
        kernels.setdefault(m.group(1), {}).update(
            stack=int(m.group(2)), spill=int(m.group(3)) + int(m.group(4)))
    bad = []
    for e in entries:
        k = kernels.get(e)
        if k is None or "registers" not in k:
            bad.append(f"{e}: not in the ptxas log")
            continue
        limit = next((n for r, n in budgets if r.search(e)), args.max_registers)
        if k["registers"] > limit:
            bad.append(f"{e}: {k['registers']} registers > {limit}")
        if k.get("spill", 0):
            bad.append(f"{e}: {k['spill']} bytes of spills")
        if k.get("stack", 0) > 64:
            bad.append(f"{e}: {k['stack']} bytes of stack")
    if not entries:
        bad.append("no .entry in the PTX")
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    regs = max(kernels[e]["registers"] for e in entries)
    print(f"{len(entries)} kernels, at most {regs} registers, no spills")


if __name__ == "__main__":
    main()
