//===- Pipelines.h - tfm pass pipelines ---------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_PIPELINES_PIPELINES_H
#define TFM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::tfm {

struct TfmToCPUPipelineOptions
    : public PassPipelineOptions<TfmToCPUPipelineOptions> {
  PassOptions::Option<bool> useRuntimeGemm{
      *this, "runtime-gemm",
      llvm::cl::desc("Call the tuned runtime GEMM for f32 matmuls"),
      llvm::cl::init(true)};
};

/// tfm (or graph-tier linalg/tensor) -> LLVM dialect for the CPU: lowering
/// of tfm ops, elementwise fusion, bufferization, deallocation, runtime GEMM
/// calls, loops, and the conversions to LLVM. Public functions get the C
/// interface so the ExecutionEngine can call them.
void buildTfmToCPUPipeline(OpPassManager &pm,
                           const TfmToCPUPipelineOptions &options);

/// Registers `tfm-to-cpu` with the pass registry.
void registerTfmPipelines();

} // namespace mlir::tfm

#endif // TFM_PIPELINES_PIPELINES_H
