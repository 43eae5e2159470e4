//===- CPUExecutor.h - compile and run a model on the CPU ---------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_EXECUTION_CPUEXECUTOR_H
#define TFM_EXECUTION_CPUEXECUTOR_H

#include "tfm/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace mlir::tfm {


/// One argument or result of the entry function, as the caller sees it.
struct TensorSignature {
  npy::DType dtype = npy::DType::F32;
  /// Extents; -1 for a dimension bound at run time.
  std::vector<int64_t> shape;
  /// Names of the dynamic dimensions (from the `tfm.dim_names` argument
  /// attribute, else "argI.J"); empty for static dimensions.
  std::vector<std::string> dimNames;
  /// For integer arguments used as token ids: the table size; 0 otherwise.
  int64_t idBound = 0;
};

struct CPUExecutableOptions {
  /// Call the tuned runtime GEMM for f32 matmuls.
  bool runtimeGemm = true;
};

/// A function of a module compiled for the host CPU. Arguments and results
/// travel as host arrays (npy::Array), bound in signature order.
class CPUExecutable {
public:
  ~CPUExecutable();

  /// Lowers `module` (any tier: graph, tfm, linalg) with the tfm-to-cpu
  /// pipeline and JIT-compiles it. The module is modified in place.
  /// Diagnostics go to the module's context; failures are returned.
  static llvm::Expected<std::unique_ptr<CPUExecutable>>
  compile(mlir::ModuleOp module, llvm::StringRef entry,
          const CPUExecutableOptions &options = {});

  const std::vector<TensorSignature> &inputs() const { return inputSigs; }
  const std::vector<TensorSignature> &results() const { return resultSigs; }

  /// Checks `args` against the signature (count, dtype, rank, static
  /// extents) with a message naming the offending argument.
  llvm::Error checkInputs(const std::vector<npy::Array> &args) const;

  /// Runs the function once.
  llvm::Expected<std::vector<npy::Array>>
  run(const std::vector<npy::Array> &args);

private:
  CPUExecutable() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine;
  std::string entryName;
  std::vector<TensorSignature> inputSigs, resultSigs;
};

/// Maps an MLIR element type to the .npy dtype carrying it.
std::optional<npy::DType> dtypeFor(mlir::Type elementType);

} // namespace mlir::tfm

#endif // TFM_EXECUTION_CPUEXECUTOR_H
