//===- Passes.h - tfm dialect passes ------------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_PASSES_H
#define TFM_DIALECT_TFM_TRANSFORMS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

#include <cstdint>
#include <map>
#include <string>

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::tfm {

#define GEN_PASS_DECL
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"

/// What --tfm-stats reports for one module.
struct ModelStats {
  int64_t parameters = 0;
  int64_t matmuls = 0;
  int64_t attention = 0;
  /// Block counts keyed by block kind name (pre_ln, post_ln, ...); every
  /// kind is present.
  std::map<std::string, int64_t> blocks;
};

/// Computes the statistics of `module` (see the tfm-stats pass).
ModelStats computeModelStats(ModuleOp module);

/// Writes `stats` as the one-line JSON object tfm-stats prints.
void printModelStatsJSON(const ModelStats &stats, llvm::raw_ostream &os);

/// fold-onnx-shapes, raise-onnx and form-blocks with cleanups in between.
void buildTfmRaisePipeline(OpPassManager &pm);
/// Registers `tfm-raise` with the pass registry.
void registerTfmRaisePipeline();

#define GEN_PASS_REGISTRATION
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"

} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_H
