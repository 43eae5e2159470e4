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
  /// What rewriting passes recorded on the module (`tfm.rewrites`): per pass
  /// flag, counters such as weights_folded or matmuls_removed.
  std::map<std::string, std::map<std::string, int64_t>> rewrites;
};

/// Adds `counters` to what `tfm.rewrites` records for pass `passName` on
/// `module` (tfm-stats prints it under "rewrites").
void recordRewrites(ModuleOp module, llvm::StringRef passName,
                    llvm::ArrayRef<std::pair<llvm::StringRef, int64_t>> counters);

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
