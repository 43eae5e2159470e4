#!/usr/bin/env python3
"""Checks a tfm-find-massive-activations report.

    check_report.py REPORT.json [--planted META.json] [--none]
                    [--max-top X] [--layers N] [--svg PLOT.svg]

--planted: the reported (layer, token, dim) set must equal meta.json's
"planted" list exactly, each flagged in every sequence.
--none: nothing may be reported; the strongest candidate must be marked as
below the threshold.
--max-top: every layer's top-1 magnitude must be below X.
--layers: the profile must have N layers, numbered 0..N-1.
--svg: the plot must exist and draw four series over N points.
Prints what it checked (for FileCheck) and exits 1 on the first failure.
"""

import argparse
import json
import re
import sys


def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("report")
    p.add_argument("--planted")
    p.add_argument("--none", action="store_true")
    p.add_argument("--max-top", type=float)
    p.add_argument("--layers", type=int)
    p.add_argument("--svg")
    a = p.parse_args()
    with open(a.report) as f:
        r = json.load(f)
    for key in ("massive", "layers", "strongest", "criterion"):
        if key not in r:
            fail(f"no '{key}' in the report")
    for m in r["massive"]:
        for key in ("layer", "token", "dim", "mean", "std"):
            if key not in m:
                fail(f"massive entry without '{key}': {m}")
    found = sorted((m["layer"], m["token"], m["dim"]) for m in r["massive"])
    if a.planted:
        with open(a.planted) as f:
            meta = json.load(f)
        want = sorted((m["layer"], m["token"], m["dim"]) for m in meta["planted"])
        if found != want:
            fail(f"reported {found}, planted {want}")
        for m in r["massive"]:
            if m["count"] != r["sequences"]:
                fail(f"{m} is flagged in {m['count']} of {r['sequences']} sequences")
            if abs(m["mean"]) <= r["criterion"]["magnitude"]:
                fail(f"{m}: mean below the magnitude threshold")
        print(f"planted set found exactly: {found}")
    if a.none:
        if found:
            fail(f"massive activations reported: {found}")
        s = r["strongest"]
        if s["massive"]:
            fail(f"the strongest candidate is marked massive: {s}")
        print(f"none; strongest |a| {s['magnitude']:.3g} at layer {s['layer']} token {s['token']} "
              f"dim {s['dim']}, {s['ratio']:.1f}x the median: below the threshold")
    if a.layers is not None:
        if [l["layer"] for l in r["layers"]] != list(range(a.layers)):
            fail(f"layers {[l['layer'] for l in r['layers']]}, expected 0..{a.layers - 1}")
        for l in r["layers"]:
            if len(l["top"]) != 3 or not (l["top"][0] >= l["top"][1] >= l["top"][2] >= l["median"] > 0):
                fail(f"implausible profile {l}")
        print(f"profile of {a.layers} layers")
    if a.max_top is not None:
        worst = max(l["top"][0] for l in r["layers"])
        if worst >= a.max_top:
            fail(f"a layer's top-1 magnitude {worst:.4g} is not below {a.max_top:g}")
        print(f"every layer's top-1 magnitude is below {a.max_top:g} (largest {worst:.3g})")
    if a.svg:
        with open(a.svg) as f:
            svg = f.read()
        lines = re.findall(r'<polyline[^>]*points="([^"]*)"', svg)
        n = len(r["layers"])
        if len(lines) != 4 or any(len(l.split()) != n for l in lines):
            fail(f"{a.svg}: expected 4 series of {n} points")
        print(f"plot: 4 series of {n} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
