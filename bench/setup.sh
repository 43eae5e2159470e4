#!/usr/bin/env bash
# Creates build/bench-venv with the peers the benchmarks compare against
# (PyTorch, ONNX Runtime, ONNX; IREE where its wheels install). Run from
# anywhere; the benchmarks use build/bench-venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv build/bench-venv
build/bench-venv/bin/pip install -q --upgrade pip
build/bench-venv/bin/pip install -q numpy onnx onnxruntime torch
build/bench-venv/bin/pip install -q iree-base-compiler iree-base-runtime ||
  echo "IREE wheels did not install here; the benchmarks skip IREE"
