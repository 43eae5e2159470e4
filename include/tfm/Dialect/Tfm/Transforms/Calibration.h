//===- Calibration.h - run a model and observe its values --------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What the calibration passes (tfm-find-massive-activations,
// tfm-massive-activations-to-bias) share: compiling a copy of a model for the
// CPU with extra values of its entry function exposed as results ("probes"),
// and the token sequences they run it on.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_CALIBRATION_H
#define TFM_DIALECT_TFM_TRANSFORMS_CALIBRATION_H

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Execution/CPUExecutor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/JSON.h"

#include <memory>
#include <random>
#include <vector>

namespace mlir::tfm {

/// A copy of a model compiled for the host CPU whose entry function also
/// returns the values it was asked to observe. The copy lives in a context of
/// its own (with the dialects of the model's context), so a pass can compile
/// and run it without touching the IR it is transforming.
class ProbedExecutable {
public:
  ~ProbedExecutable();

  /// Compiles `entry` of `module` returning, after its own results, the
  /// values `probes` (each defined in `entry`, possibly inside a tfm.block,
  /// ranked tensors). `module` is not modified.
  static llvm::Expected<std::unique_ptr<ProbedExecutable>>
  compile(ModuleOp module, func::FuncOp entry, ArrayRef<Value> probes);

  /// The entry function's arguments.
  const std::vector<TensorSignature> &inputs() const { return exe->inputs(); }
  unsigned getNumResults() const { return numResults; }

  struct Outputs {
    std::vector<npy::Array> results; ///< the entry function's own results
    std::vector<npy::Array> probes;  ///< one per probe, in order
  };
  llvm::Expected<Outputs> run(const std::vector<npy::Array> &args);

private:
  ProbedExecutable() = default;
  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<CPUExecutable> exe;
  unsigned numResults = 0;
};

/// Where the token sequences a calibration runs on come from: an int64 .npy
/// file [N, T], or N seeded random sequences of length T whose first token
/// is `firstToken` when that is not negative (the later tokens are then drawn
/// from the rest of the vocabulary: a BOS does not recur).
struct CalibrationSource {
  std::string file;
  int64_t firstToken = -1;
  int64_t sequences = 8;
  int64_t length = 64;
  uint64_t seed = 0;
  /// A token the random sequences never contain (-1: none); the first token
  /// is avoided after position 0 anyway.
  int64_t avoidToken = -1;
};

/// The sequences of `source`, token ids in [0, vocabulary).
llvm::Expected<std::vector<std::vector<int64_t>>>
calibrationSequences(const CalibrationSource &source, int64_t vocabulary);

/// The inputs of one run of a model on `tokens` (batch 1), by argument name
/// (`tfm.name`): the token ids, position ids 0..T-1, a padding mask of ones,
/// token type ids of zeros. Any other argument is an error naming it.
llvm::Expected<std::vector<npy::Array>>
calibrationInputs(const std::vector<TensorSignature> &signature,
                  func::FuncOp entry, ArrayRef<int64_t> tokens);

/// The single floating-point values of `array` as float.
std::vector<float> toFloats(const npy::Array &array);

/// The token ids argument of `entry`: the one argument that indexes a
/// tfm.embedding (see tokenEmbedding) and is not named as token types,
/// segments or positions; -1 when there is none or more than one.
int64_t tokenIdsArgument(func::FuncOp entry);

/// The rows of the table the token ids index; 0 when unknown.
int64_t vocabularySize(func::FuncOp entry);

/// True when argument `i` of `entry` carries position ids (its tfm.name
/// mentions "position").
bool isPositionIdsArgument(func::FuncOp entry, unsigned i);

/// The top-level tfm.block ops of `entry`, in program order.
SmallVector<BlockOp> topLevelBlocks(func::FuncOp entry);

//===----------------------------------------------------------------------===//
// Massive activations (Sun et al. 2024)
//===----------------------------------------------------------------------===//

/// The paper's criterion: |a| > magnitude and |a| >= ratio * median |h|.
struct MassiveCriterion {
  double magnitude = 100.0;
  double ratio = 1000.0;
};

/// One (layer, token position, feature dim) that meets the criterion in at
/// least one calibration sequence.
struct MassiveActivation {
  int64_t layer = 0, token = 0, dim = 0;
  /// Mean and standard deviation of the value over the sequences flagging it.
  double mean = 0.0, std = 0.0;
  /// How many sequences flag it, and the token ids at `token` in those.
  int64_t count = 0;
  std::vector<int64_t> tokenIds;
};

/// The paper's layer-wise profile (Figure 2), averaged over sequences.
struct LayerProfile {
  int64_t layer = 0;
  double top[3] = {0, 0, 0};
  double median = 0.0;
};

struct MassiveActivationReport {
  std::vector<MassiveActivation> massive;
  std::vector<LayerProfile> layers;
  /// The activation with the largest |a| / median over all sequences.
  struct {
    int64_t layer = 0, token = 0, dim = 0;
    double magnitude = 0.0, ratio = 0.0;
  } strongest;
  int64_t sequences = 0, length = 0;
  MassiveCriterion criterion;
};

/// Runs `entry` over the calibration sequences and finds the massive
/// activations of its top-level tfm.block outputs. `module` is not modified.
llvm::Expected<MassiveActivationReport>
findMassiveActivations(ModuleOp module, func::FuncOp entry,
                       const CalibrationSource &source,
                       const MassiveCriterion &criterion);

/// The JSON object tfm-find-massive-activations writes.
llvm::json::Value toJSON(const MassiveActivationReport &report);

} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_TRANSFORMS_CALIBRATION_H
