#!/usr/bin/env bash
# One-step set-up for a fresh Debian 12 machine: installs what tfm needs
# (apt packages; sudo is used when not root), configures and builds into
# build/, then runs a job:
#   ./bootstrap.sh example   compile the bundled example model and print its stats
#   ./bootstrap.sh test      run the whole test suite (what CI runs)
#   ./bootstrap.sh build     only set up and build
set -euo pipefail
cd "$(dirname "$0")"
job=${1:-example}

APT_PACKAGES=(
  build-essential cmake ninja-build ccache lld pkg-config python3 python3-numpy python3-venv
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libdnnl-dev libgtest-dev libonnx-dev libprotobuf-dev protobuf-compiler libonnx-testdata
)

step() { printf '\n== %s\n' "$*"; }

install_packages() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    return
  fi
  step "installing ${missing[*]}"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# The tests' Python: NumPy and onnx (small PyPI wheels) in build/test-venv,
# which test/CMakeLists.txt prefers to the system Python. Without PyPI the
# tests run with the system Python and those needing onnx are unsupported.
test_venv_created=0
setup_test_python() {
  local venv=build/test-venv
  if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c "import numpy, onnx" 2>/dev/null; then
    return
  fi
  step "creating $venv (numpy, onnx from PyPI)"
  rm -rf "$venv"
  if /usr/bin/python3 -m venv "$venv" &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check numpy onnx; then
    test_venv_created=1
  else
    rm -rf "$venv"
    echo "warning: could not set up $venv; tests that need onnx will be unsupported" >&2
  fi
}

configure_and_build() {
  local llvm=/usr/lib/llvm-22
  if [[ -f build/build.ninja && $test_venv_created == 1 ]]; then
    step "reconfiguring build/ for the test Python in build/test-venv"
    cmake -S . -B build >/dev/null
  fi
  if [[ ! -f build/build.ninja ]]; then
    step "configuring build/"
    cmake -G Ninja -S . -B build \
      -DCMAKE_BUILD_TYPE=Release \
      -DMLIR_DIR="$llvm/lib/cmake/mlir" \
      -DLLVM_EXTERNAL_LIT="$llvm/bin/lit" \
      -DLLVM_USE_LINKER=lld
  fi
  step "building (binaries in build/bin)"
  cmake --build build
}

install_packages
setup_test_python
configure_and_build

case "$job" in
  example)
    model=examples/two-block-gpt2.mlir
    step "tfm-opt $model: stats before and after canonicalisation"
    build/bin/tfm-opt "$model" --tfm-stats -o /dev/null
    build/bin/tfm-opt "$model" --canonicalize --cse --tfm-stats -o build/two-block-gpt2.opt.mlir
    echo "optimised IR written to build/two-block-gpt2.opt.mlir"
    step "tfm-run: the optimised model on the CPU, batch 2, sequence 16"
    build/bin/tfm-run build/two-block-gpt2.opt.mlir --random-inputs --seed=1 \
      --dim=batch=2 --dim=sequence=16 \
      --output=build/two-block-gpt2.logits.npy --repeat=5
    echo "logits written to build/two-block-gpt2.logits.npy"
    onnx=test/Models/llama_ts
    step "tfm-translate --import-onnx $onnx/model.onnx (a tiny Llama: GQA, rotary, RMSNorm, SwiGLU)"
    build/bin/tfm-translate --import-onnx "$onnx/model.onnx" -o build/llama_ts.mlir
    step "tfm-opt --tfm-raise: the imported graph as tfm blocks"
    build/bin/tfm-opt build/llama_ts.mlir --tfm-raise --tfm-stats -o build/llama_ts.tfm.mlir
    echo "raised IR written to build/llama_ts.tfm.mlir"
    step "tfm-run: the raised model against PyTorch's logits"
    build/bin/tfm-run build/llama_ts.tfm.mlir --input="$onnx/inputs/input_ids.npy" \
      --expected="$onnx/expected/0.npy" --rtol=1e-4 --atol=1e-5
    step "tfm-compile $onnx/model.onnx: ONNX to a CPU artifact in one step (-O2)"
    build/bin/tfm-compile "$onnx/model.onnx" -o build/llama_ts.o --model-stats=-
    echo "artifact written to build/llama_ts.o"
    step "tfm-run: the artifact against PyTorch's logits"
    build/bin/tfm-run build/llama_ts.o --input="$onnx/inputs/input_ids.npy" \
      --expected="$onnx/expected/0.npy" --rtol=1e-4 --atol=1e-5
    ;;
  test)
    step "running the test suite"
    ctest --test-dir build --output-on-failure -V
    ;;
  build) ;;
  *)
    echo "usage: $0 [example|test|build]" >&2
    exit 2
    ;;
esac
