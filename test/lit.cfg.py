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

llvm_config.use_default_substitutions()
# Variables captured with [[VAR:...]] do not leak past a CHECK-LABEL.
config.environment["FILECHECK_OPTS"] = "--enable-var-scope"

tool_dirs = [config.tfm_tools_dir, config.llvm_tools_dir]
tools = ["tfm-opt", "tfm-run", "tfm-onnx-conformance"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
