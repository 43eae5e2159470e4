//===- Compiler.h - tfm as a compiler library ---------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// The whole tfm flow behind one object:
//
//   tfm::Compiler compiler;
//   auto model = compiler.loadModel("gpt2.onnx");          // or .mlir/.mlirbc
//   if (!model) ...                                         // llvm::Error
//   CompileOptions options;                                 // cpu, -O2
//   if (auto err = compiler.optimize(**model, options)) ... // tfm tier
//   ModelStats stats = compiler.stats(**model);
//   auto artifact = compiler.compile(**model, options);     // object file
//   artifact->save("gpt2.o");                               // for tfm-run
//   auto exe = artifact->load();                            // or run here
//   auto outputs = (*exe)->run(inputs);
//
// Failures come back as llvm::Error values whose message carries the
// diagnostics (with their locations) that explain them; nothing aborts or
// prints. Warnings and remarks go to the diagnostic callback, if any.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_COMPILER_COMPILER_H
#define TFM_COMPILER_COMPILER_H

#include "tfm/Dialect/Tfm/Transforms/Passes.h"
#include "tfm/Execution/CPUExecutor.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace llvm {
class raw_ostream;
} // namespace llvm

namespace mlir {
class MLIRContext;
class OpPassManager;
class PassManager;
class TimingScope;
} // namespace mlir

namespace mlir::tfm {

enum class CompileTarget { CPU, CUDA };
enum class Precision { F32, F16, BF16 };
/// Where compilation stops: the optimised module (MLIR text or bytecode),
/// LLVM IR of the host code, the kernels' PTX or cubin (CUDA), or an
/// object file (the artifact).
enum class EmitKind { MLIR, MLIRBytecode, LLVMIR, PTX, Cubin, Object };

std::optional<CompileTarget> parseCompileTarget(llvm::StringRef name);
std::optional<Precision> parsePrecision(llvm::StringRef name);
std::optional<EmitKind> parseEmitKind(llvm::StringRef name);
llvm::StringRef stringifyCompileTarget(CompileTarget target);
llvm::StringRef stringifyPrecision(Precision precision);

/// Adds what --precision runs after the -O pipeline: tfm-convert-precision
/// to `precision` and the cleanup after it (nothing for f32).
void addPrecisionPasses(OpPassManager &pm, Precision precision);

struct CompileOptions {
  CompileTarget target = CompileTarget::CPU;
  /// cpu: an LLVM CPU name, empty for this machine; cuda: sm_80, sm_90a
  /// (empty: sm_90a).
  std::string chip;
  /// cuda: the GPU binary embedded in the artifact (ptx, cubin, fatbin);
  /// empty: cubin when the CUDA Toolkit is found, else ptx.
  std::string gpuFormat;
  /// Element type the transformer ops compute in. f32 keeps the model's
  /// own types; f16 and bf16 convert an f32 model after optimisation
  /// (tfm-convert-precision: weights and activations narrow, accumulation
  /// and norm/softmax statistics f32, the entry's interface unchanged).
  Precision precision = Precision::F32;
  /// 0: lower the model as imported; 1: raise it to the tfm tier; 2 and 3:
  /// also the exact simplifications (fold identity weights, fuse parallel
  /// branches). LLVM optimises at the same level.
  unsigned optLevel = 2;
  /// A pass pipeline to run instead of the -O one: "tfm-raise,cse" or
  /// "builtin.module(...)".
  std::string passes;
  /// The function to compile.
  std::string entry = "main";
  /// CPU: call the tuned runtime GEMM for f32 matmuls.
  bool runtimeGemm = true;
  /// Run tfm.attention as one fused online-softmax loop nest; unset: the
  /// target's default (CUDA: fused, the CPU: two GEMMs and a softmax).
  std::optional<bool> fusedAttention;
  /// CUDA: run fused bf16/f16 attention on tensor cores where its shapes
  /// allow; off: one thread per query row.
  bool tensorCoreAttention = true;
  /// Place each function's temporaries in one arena by lifetime.
  bool planBuffers = true;
};

/// A diagnostic the compiler produced, rendered as text.
struct CompilerDiagnostic {
  DiagnosticSeverity severity;
  /// "file:line:col", an ONNX node name, or empty when unknown.
  std::string location;
  std::string message;
  /// "location: severity: message" with its notes on further lines.
  std::string str() const;
};

/// What compile() produces: a relocatable object for the host that
/// CPUExecutable::load and `tfm-run` load, with the entry's signature. For
/// the CUDA target the host code launches kernels embedded in the object
/// and needs the tfm CUDA runtime and a GPU when loaded.
struct Artifact {
  CompileTarget target = CompileTarget::CPU;
  EntrySignature signature;
  llvm::SmallVector<char, 0> bytes;

  llvm::Error save(llvm::StringRef path) const;
  /// Links the artifact into this process.
  llvm::Expected<std::unique_ptr<CPUExecutable>> load() const;
};

/// Loads an artifact file written by Artifact::save or `tfm-compile`.
llvm::Expected<std::unique_ptr<CPUExecutable>>
loadArtifact(llvm::StringRef path, llvm::StringRef entry = "");

class Compiler {
public:
  /// A compiler with its own MLIRContext holding every tfm dialect.
  Compiler();
  ~Compiler();
  Compiler(const Compiler &) = delete;
  Compiler &operator=(const Compiler &) = delete;

  MLIRContext &getContext();

  /// Registers tfm's passes and pipelines (once per process; every Compiler
  /// does it). A tool calls it before parsing options that name passes
  /// (--mlir-print-ir-after=...).
  static void registerPasses();

  /// Receives every diagnostic as it is emitted (errors included).
  void setDiagnosticCallback(std::function<void(const CompilerDiagnostic &)> fn);
  /// Called on every pass manager before it runs: timing, IR printing,
  /// crash reproducers (the driver applies the --mlir-* options here).
  void setPassManagerHook(std::function<LogicalResult(PassManager &)> hook);
  /// Records the time of each phase (and pass) under `scope`, which must
  /// outlive the compiler's calls.
  void setTimingScope(TimingScope *scope);

  /// Reads a model: ONNX (.onnx, by content), MLIR text or bytecode.
  llvm::Expected<OwningOpRef<ModuleOp>> loadModel(llvm::StringRef path);
  /// The same from memory; `name` is used in locations and messages.
  llvm::Expected<OwningOpRef<ModuleOp>> parseModel(llvm::StringRef contents,
                                                   llvm::StringRef name);

  /// The pipeline optimize() runs at -O`optLevel`, as text.
  static std::string defaultPipeline(unsigned optLevel);

  /// Runs options.passes, or the -O pipeline, on `module` in place.
  llvm::Error optimize(ModuleOp module, const CompileOptions &options);

  /// Counts of parameters, matmuls, attention ops and blocks (tfm-stats).
  ModelStats stats(ModuleOp module) const;

  /// Writes `module` (already optimised) at tier `kind` to `os`. Lowering
  /// happens on a copy: `module` is left as it is.
  llvm::Error emit(ModuleOp module, EmitKind kind, const CompileOptions &options,
                   llvm::raw_ostream &os);

  /// Compiles `module` (already optimised) into an artifact; `module` is
  /// left as it is.
  llvm::Expected<Artifact> compile(ModuleOp module, const CompileOptions &options);

private:
  struct Impl;
  std::unique_ptr<Impl> impl;
};

} // namespace mlir::tfm

#endif // TFM_COMPILER_COMPILER_H
