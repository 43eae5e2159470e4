//===- LoweringFlags.h - lowering flags shared by tfm tools -----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The flags that choose how a model is lowered (runtime GEMMs, the memory
// plan, fused attention), defined once for tfm-run and tfm-compile, and
// applied to either tool's options (CPUExecutableOptions, CompileOptions).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOOLS_LOWERINGFLAGS_H
#define TFM_TOOLS_LOWERINGFLAGS_H

#include "tfm/Execution/CPUExecutor.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Error.h"

namespace mlir::tfm {

struct LoweringFlags {
  explicit LoweringFlags(llvm::cl::OptionCategory &category)
      : noRuntimeGemm("no-runtime-gemm",
                      llvm::cl::desc("cpu: lower matmuls to loops instead of "
                                     "calling the tuned GEMM"),
                      llvm::cl::cat(category)),
        noPlanBuffers("no-plan-buffers",
                      llvm::cl::desc("Allocate every temporary on its own "
                                     "instead of placing each function's "
                                     "temporaries in one arena by lifetime"),
                      llvm::cl::cat(category)),
        attention("attention",
                  llvm::cl::desc("How tfm.attention runs: fused (one "
                                 "online-softmax loop nest, the cuda default) "
                                 "or unfused (two GEMMs and a softmax, the cpu "
                                 "default)"),
                  llvm::cl::init(""), llvm::cl::cat(category)),
        noTensorCoreAttention(
            "no-tensor-core-attention",
            llvm::cl::desc("cuda: run fused bf16/f16 attention with one "
                           "thread per query row instead of warps of "
                           "mma.sync on tensor cores"),
            llvm::cl::cat(category)) {}

  /// Sets `options`' runtimeGemm, planBuffers, fusedAttention and
  /// tensorCoreAttention; fails on a bad --attention value.
  template <typename Options> llvm::Error apply(Options &options) const {
    llvm::Expected<std::optional<bool>> fused = parseAttentionMode(attention);
    if (!fused)
      return fused.takeError();
    options.runtimeGemm = !noRuntimeGemm;
    options.planBuffers = !noPlanBuffers;
    options.fusedAttention = *fused;
    options.tensorCoreAttention = !noTensorCoreAttention;
    return llvm::Error::success();
  }

  llvm::cl::opt<bool> noRuntimeGemm;
  llvm::cl::opt<bool> noPlanBuffers;
  llvm::cl::opt<std::string> attention;
  llvm::cl::opt<bool> noTensorCoreAttention;
};

} // namespace mlir::tfm

#endif // TFM_TOOLS_LOWERINGFLAGS_H
