//===- CPUExecutor.h - compile and run a model on the CPU ---------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// A model function goes to the host CPU in three steps, each callable alone:
//   lowerToLLVMDialect   tfm-to-cpu on the module, in place
//   translateForCPU      LLVM IR for a target machine, with the tfm entry
//                        wrapper and the signature record, optimised
//   emitObject           a relocatable object file
// That object is a CPU artifact: CPUExecutable::load links it in memory
// (ORC) against the tfm runtime and runs it. CPUExecutable::compile does all
// four, so a JIT run and a run of a saved artifact execute the same code.
//
// An artifact defines, for its entry function NAME:
//   _tfm_entry_NAME(void **descriptors)  results descriptor first, then one
//                                        memref descriptor per argument
//   _tfm_info_NAME                       NUL-terminated JSON signature
//                                        (EntrySignature::toJSON)
// besides the C interface _mlir_ciface_NAME it wraps.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_EXECUTION_CPUEXECUTOR_H
#define TFM_EXECUTION_CPUEXECUTOR_H

#include "tfm/Pipelines/Pipelines.h"
#include "tfm/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class LLVMContext;
class MemoryBuffer;
class MemoryBufferRef;
class Module;
class TargetMachine;
namespace orc {
class LLJIT;
} // namespace orc
} // namespace llvm

namespace mlir {
class PassManager;
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

/// The entry function of a compiled model as its callers see it.
struct EntrySignature {
  std::string entry;
  /// "cpu", or "cuda" when the code launches GPU kernels.
  std::string target = "cpu";
  std::vector<TensorSignature> inputs, results;

  /// One-line JSON: {"entry", "inputs": [{"dtype", "shape", "dim_names",
  /// "id_bound"}...], "results": [...]}.
  std::string toJSON() const;
  static llvm::Expected<EntrySignature> fromJSON(llvm::StringRef json);
};

/// Reads the signature of `entry` in `module` (any tier above LLVM).
llvm::Expected<EntrySignature> entrySignature(ModuleOp module,
                                              llvm::StringRef entry);

/// Where the compiled host code runs the model when it targets a CUDA GPU.
struct CUDATargetOptions {
  /// sm_80, sm_90a, ...
  std::string chip = "sm_90a";
  /// PTX ISA feature; empty: the chip's default (at least +ptx80).
  std::string features;
  /// ptx, cubin or fatbin; empty: cubin when the CUDA Toolkit is found,
  /// else ptx (which the driver compiles when the artifact is loaded).
  std::string format;
  /// CUDA Toolkit root; empty: defaultCUDAToolkitPath().
  std::string toolkit;
};

struct CPUExecutableOptions {
  /// Call the tuned runtime GEMM for f32 matmuls.
  bool runtimeGemm = true;
  /// Lower tfm.attention to the fused online-softmax loop nest
  /// (tfm-fuse-attention); unset: the target's default (the CPU: two GEMMs
  /// and a softmax; CUDA: fused).
  std::optional<bool> fusedAttention;
  /// CUDA: run fused bf16/f16 attention on tensor cores (warps of mma.sync)
  /// where its shapes allow; off: one thread per query row.
  bool tensorCoreAttention = true;
  /// CPU: run fused bf16/f16 attention as the CUDA tensor-core kernel, its
  /// warps emulated lane by lane (slow; checks that kernel without a GPU).
  bool emulateTensorCoreAttention = false;
  /// CPU: build the program as the CUDA target does and run it here: its
  /// kernels block by block and thread by thread (last to first if
  /// `emulateInReverse`), its GEMM calls by a CPU stand-in of the CUDA
  /// runtime (slow; checks that program without a GPU).
  bool emulateGPUKernels = false;
  bool emulateInReverse = false;
  /// Place each function's temporaries in one arena by lifetime
  /// (tfm-plan-buffers) instead of allocating each one.
  bool planBuffers = true;
  /// LLVM optimisation level, 0-3.
  unsigned optLevel = 3;
  /// LLVM CPU name to generate code for; empty or "host": this machine.
  std::string cpu;
  /// Set: the host code runs the model on a CUDA GPU (the tfm-to-cuda
  /// pipeline); loading it needs the CUDA runtime library and a device.
  std::optional<CUDATargetOptions> cuda;
  /// Called on each pass manager before it runs (timing, IR printing,
  /// crash reproducers); a failure stops compilation.
  std::function<LogicalResult(PassManager &)> configurePassManager;
};

/// Lowers `module` (graph, tfm or linalg tier) to the LLVM dialect with the
/// tfm-to-cpu pipeline, in place, and returns the signature `entry` had.
/// Diagnostics go to the module's context.
/// Fills the tfm-to-cuda options for `target`, with defaults (features from
/// the chip, the toolkit, the binary format), and checks them.
llvm::Error cudaPipelineOptions(const CUDATargetOptions &target,
                                TfmToCUDAPipelineOptions &options);

/// Parses an `--attention` value: "fused" -> true, "unfused" -> false, ""
/// -> unset (the target's default); anything else is an error.
llvm::Expected<std::optional<bool>> parseAttentionMode(llvm::StringRef mode);

llvm::Expected<EntrySignature>
lowerToLLVMDialect(ModuleOp module, llvm::StringRef entry,
                   const CPUExecutableOptions &options = {});

/// The target machine for `options.cpu` on the host's architecture
/// (position-independent code).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCPUTargetMachine(const CPUExecutableOptions &options);

/// Translates a module lowered by lowerToLLVMDialect to LLVM IR for
/// `machine`, adds the artifact symbols for `signature` and optimises it at
/// `options.optLevel`.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateForCPU(ModuleOp lowered, const EntrySignature &signature,
                llvm::LLVMContext &llvmContext, llvm::TargetMachine &machine,
                const CPUExecutableOptions &options = {});

/// Compiles `module` to a relocatable object for `machine`.
llvm::Expected<llvm::SmallVector<char, 0>>
emitObject(llvm::Module &module, llvm::TargetMachine &machine);

/// A function of a model compiled for the host CPU. Arguments and results
/// travel as host arrays (npy::Array), bound in signature order.
class CPUExecutable {
public:
  ~CPUExecutable();

  /// Lowers, compiles and loads `entry` of `module` (any tier: graph, tfm,
  /// linalg). The module is modified in place. Diagnostics go to the
  /// module's context; failures are returned.
  static llvm::Expected<std::unique_ptr<CPUExecutable>>
  compile(ModuleOp module, llvm::StringRef entry,
          const CPUExecutableOptions &options = {});

  /// Links an artifact (an object file from emitObject) in memory and binds
  /// its entry `entry`, or its only entry when `entry` is empty.
  static llvm::Expected<std::unique_ptr<CPUExecutable>>
  load(std::unique_ptr<llvm::MemoryBuffer> object, llvm::StringRef entry = "");

  /// The entries an object file defines (its _tfm_info_ symbols).
  static llvm::Expected<std::vector<std::string>>
  listEntries(llvm::MemoryBufferRef object);

  /// Whether `bytes` start like an object file tfm could have written.
  static bool looksLikeObject(llvm::StringRef bytes);

  const EntrySignature &signature() const { return sig; }
  const std::vector<TensorSignature> &inputs() const { return sig.inputs; }
  const std::vector<TensorSignature> &results() const { return sig.results; }

  /// Checks `args` against the signature (count, dtype, rank, static
  /// extents) with a message naming the offending argument.
  llvm::Error checkInputs(const std::vector<npy::Array> &args) const;

  /// Runs the function once.
  llvm::Expected<std::vector<npy::Array>>
  run(const std::vector<npy::Array> &args);

private:
  CPUExecutable();
  std::unique_ptr<llvm::orc::LLJIT> jit;
  void (*entryFn)(void **) = nullptr;
  /// The artifact's module destructor (GPU module unload); may be null.
  void (*finiFn)() = nullptr;
  /// For CUDA artifacts: the runtime's sticky error, taken after each run.
  const char *(*cudaTakeError)() = nullptr;
  /// The CUDA runtime's first error since the last call, as an llvm::Error.
  llvm::Error takeCUDAError(const llvm::Twine &what);
  EntrySignature sig;
};

/// Maps an MLIR element type to the .npy dtype carrying it.
std::optional<npy::DType> dtypeFor(mlir::Type elementType);

} // namespace mlir::tfm

#endif // TFM_EXECUTION_CPUEXECUTOR_H
