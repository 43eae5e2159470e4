# -*- Python -*-
# lit configuration for the tfm regression and integration tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TFM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".onnxtxt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tfm_obj_root, "test")
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%tfm_src_root", config.tfm_src_root))
# Python with NumPy for reference data (Debian's python3-numpy).
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%tfm_tools_dir", config.tfm_tools_dir))
config.substitutions.append(("%tfm_obj_root", config.tfm_obj_root))
# The CMake, generator and compilers this build uses, for the test that
# builds a project against the installed tfm (test/Integration/Library).
# (Longer names first: lit substitutes in order.)
config.substitutions.append(("%cmake_generator", '"' + config.cmake_generator + '"'))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(("%c_compiler", config.c_compiler))
config.substitutions.append(("%cxx_compiler", config.cxx_compiler))
# Progress lines are for terminals; tests ask for them with TFM_PROGRESS.
config.environment.pop("TFM_PROGRESS", None)

llvm_config.use_default_substitutions()
# Variables captured with [[VAR:...]] do not leak past a CHECK-LABEL.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

tool_dirs = [config.tfm_tools_dir, config.llvm_tools_dir]
tools = ["tfm-compile", "tfm-opt", "tfm-run", "tfm-translate", "tfm-onnx-conformance"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

# Features of the end-to-end model tests (test/Integration/Models):
#   tfm-raise              tfm-opt has the --tfm-raise pass;
#   onnx-python            %python imports onnx (bootstrap.sh's build/test-venv);
#   minilm-model           scripts/export_minilm.py wrote build/models/minilm;
#   stories260k-checkpoint llama2.c's stories260K.bin and tok512.bin are there.
import re
import subprocess


def _tfm_output(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None


_tfm_opt_help = _tfm_output([os.path.join(config.tfm_tools_dir, "tfm-opt"), "--help"]) or ""
if re.search(r"^\s*--tfm-raise\s", _tfm_opt_help, re.M):
    config.available_features.add("tfm-raise")
if _tfm_output([config.python_executable, "-c", "import onnx; print('onnx ok')"]) == "onnx ok\n":
    config.available_features.add("onnx-python")
if os.path.isfile(os.path.join(config.tfm_src_root, "build", "models", "minilm", "model.onnx")):
    config.available_features.add("minilm-model")
_stories260k = "/work/shared/models/stories260K"  # scripts/convert_stories260k.py's default
if all(os.path.isfile(os.path.join(_stories260k, f)) for f in ("stories260K.bin", "tok512.bin")):
    config.available_features.add("stories260k-checkpoint")

# CUDA: the toolkit (ptxas for register/spill budgets and cubins), the tfm
# CUDA runtime library (host ABI), and a visible GPU (tests that run kernels
# and compare them with the CPU executor; off on machines without one).
_ptxas = os.path.join(config.cuda_toolkit_dir, "bin", "ptxas") if config.cuda_toolkit_dir else ""
if _ptxas and os.access(_ptxas, os.X_OK):
    config.available_features.add("cuda-toolkit")
    config.substitutions.append(("%ptxas", _ptxas))
_cuda_runtime = os.path.join(config.tfm_obj_root, "lib", "libtfm_cuda_runtime.so")
if os.path.isfile(_cuda_runtime):
    config.available_features.add("cuda-runtime")
    config.substitutions.append(("%tfm_cuda_runtime", _cuda_runtime))
    _smi = _tfm_output(["nvidia-smi", "-L"]) or ""
    if re.search(r"^GPU \d+:", _smi, re.M):
        config.available_features.add("cuda-device")
