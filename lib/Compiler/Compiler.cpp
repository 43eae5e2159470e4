//===- Compiler.cpp - tfm as a compiler library -------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/Compiler.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "tfm/InitAll.h"
#include "tfm/Support/Location.h"
#include "tfm/Support/Progress.h"
#include "tfm/Target/ONNX/ImportONNX.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <mutex>

using namespace mlir;
using namespace mlir::tfm;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg, llvm::inconvertibleErrorCode());
}

//===----------------------------------------------------------------------===//
// Option spellings
//===----------------------------------------------------------------------===//

std::optional<CompileTarget> mlir::tfm::parseCompileTarget(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<CompileTarget>>(name)
      .Case("cpu", CompileTarget::CPU)
      .Case("cuda", CompileTarget::CUDA)
      .Default(std::nullopt);
}

std::optional<Precision> mlir::tfm::parsePrecision(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<Precision>>(name)
      .Case("f32", Precision::F32)
      .Case("f16", Precision::F16)
      .Case("bf16", Precision::BF16)
      .Default(std::nullopt);
}

std::optional<EmitKind> mlir::tfm::parseEmitKind(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<EmitKind>>(name)
      .Case("mlir", EmitKind::MLIR)
      .Case("mlirbc", EmitKind::MLIRBytecode)
      .Case("llvm", EmitKind::LLVMIR)
      .Case("ptx", EmitKind::PTX)
      .Case("cubin", EmitKind::Cubin)
      .Case("obj", EmitKind::Object)
      .Default(std::nullopt);
}

llvm::StringRef mlir::tfm::stringifyCompileTarget(CompileTarget target) {
  return target == CompileTarget::CPU ? "cpu" : "cuda";
}

llvm::StringRef mlir::tfm::stringifyPrecision(Precision precision) {
  switch (precision) {
  case Precision::F32:
    return "f32";
  case Precision::F16:
    return "f16";
  case Precision::BF16:
    return "bf16";
  }
  llvm_unreachable("unknown precision");
}

void mlir::tfm::addPrecisionPasses(OpPassManager &pm, Precision precision) {
  if (precision == Precision::F32)
    return;
  TfmConvertPrecisionOptions convert;
  convert.precision = stringifyPrecision(precision).str();
  pm.addPass(createTfmConvertPrecision(convert));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

//===----------------------------------------------------------------------===//
// Diagnostics
//===----------------------------------------------------------------------===//

std::string CompilerDiagnostic::str() const {
  llvm::StringRef kind = severity == DiagnosticSeverity::Error     ? "error"
                         : severity == DiagnosticSeverity::Warning ? "warning"
                         : severity == DiagnosticSeverity::Remark  ? "remark"
                                                                   : "note";
  return (location.empty() ? "" : location + ": ") + kind.str() + ": " + message;
}

static CompilerDiagnostic render(Diagnostic &diag) {
  CompilerDiagnostic d;
  d.severity = diag.getSeverity();
  d.location = describeLocation(diag.getLocation());
  d.message = diag.str();
  for (Diagnostic &note : diag.getNotes()) {
    std::string where = describeLocation(note.getLocation());
    d.message += "\n" + (where.empty() ? "" : where + ": ") + "note: " + note.str();
  }
  return d;
}

//===----------------------------------------------------------------------===//
// Artifacts
//===----------------------------------------------------------------------===//

llvm::Error Artifact::save(llvm::StringRef path) const {
  std::string message;
  auto file = openOutputFile(path, &message);
  if (!file)
    return makeError(message);
  file->os().write(bytes.data(), bytes.size());
  file->keep();
  return llvm::Error::success();
}

llvm::Expected<std::unique_ptr<CPUExecutable>> Artifact::load() const {
  llvm::SmallVector<char, 0> copy(bytes.begin(), bytes.end());
  return CPUExecutable::load(std::make_unique<llvm::SmallVectorMemoryBuffer>(
                                 std::move(copy), "artifact",
                                 /*RequiresNullTerminator=*/false),
                             signature.entry);
}

llvm::Expected<std::unique_ptr<CPUExecutable>>
mlir::tfm::loadArtifact(llvm::StringRef path, llvm::StringRef entry) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError("cannot read " + path + ": " + buffer.getError().message());
  if (!CPUExecutable::looksLikeObject((*buffer)->getBuffer()))
    return makeError(path + " is not a tfm artifact (not an object file)");
  return CPUExecutable::load(std::move(*buffer), entry);
}

//===----------------------------------------------------------------------===//
// Compiler
//===----------------------------------------------------------------------===//

struct Compiler::Impl {
  Impl() : context(makeRegistry()) {
    context.allowUnregisteredDialects(false);
    // Diagnostics name the place; the op dump is for tfm-opt sessions.
    context.printOpOnDiagnostic(false);
    handlerId = context.getDiagEngine().registerHandler([this](Diagnostic &diag) {
      CompilerDiagnostic d = render(diag);
      if (d.severity == DiagnosticSeverity::Error)
        errors.push_back(d.str());
      if (callback)
        callback(d);
      return success();
    });
  }
  ~Impl() { context.getDiagEngine().eraseHandler(handlerId); }

  static DialectRegistry makeRegistry() {
    Compiler::registerPasses();
    DialectRegistry registry;
    registerAllDialects(registry);
    return registry;
  }

  /// `what` failed: the error diagnostics since the last failure explain it.
  llvm::Error failure(const llvm::Twine &what) {
    std::string msg = what.str();
    for (const std::string &e : errors)
      msg += "\n" + e;
    errors.clear();
    return makeError(msg);
  }

  /// The user's hook, progress and timing (under `scope`) on a pass manager
  /// about to run; `scope` must outlive the run.
  LogicalResult configure(PassManager &pm, llvm::StringRef task,
                          TimingScope *scope) {
    if (hook && failed(hook(pm)))
      return mlir::failure();
    addProgressInstrumentation(pm, task);
    // Timing goes last, so that it does not time the other instrumentations.
    if (timing && scope)
      pm.enableTiming(*scope);
    return success();
  }

  TimingScope phase(llvm::StringRef name) {
    return timing ? timing->nest(name) : TimingScope();
  }

  llvm::Error checkTarget(const CompileOptions &options) {
    if (options.target == CompileTarget::CUDA) {
      TfmToCUDAPipelineOptions cuda;
      if (llvm::Error err = cudaPipelineOptions(cudaTarget(options), cuda))
        return makeError("--target=cuda: " + llvm::toString(std::move(err)));
    }
    if (options.optLevel > 3)
      return makeError("-O" + llvm::Twine(options.optLevel) +
                       ": the optimisation level is 0 to 3");
    return llvm::Error::success();
  }

  static CUDATargetOptions cudaTarget(const CompileOptions &options) {
    CUDATargetOptions cuda;
    if (!options.chip.empty())
      cuda.chip = options.chip;
    cuda.format = options.gpuFormat;
    return cuda;
  }

  /// The executable options for `options`; pass managers time under
  /// `scope`.
  CPUExecutableOptions cpuOptions(const CompileOptions &options,
                                  TimingScope *scope = nullptr) {
    CPUExecutableOptions cpu;
    cpu.runtimeGemm = options.runtimeGemm;
    cpu.fusedAttention = options.fusedAttention;
    cpu.tensorCoreAttention = options.tensorCoreAttention;
    cpu.planBuffers = options.planBuffers;
    cpu.optLevel = options.optLevel;
    if (options.target == CompileTarget::CUDA)
      cpu.cuda = cudaTarget(options);
    else
      cpu.cpu = options.chip;
    cpu.configurePassManager = [this, scope](PassManager &pm) {
      return configure(pm, "lowering", scope);
    };
    return cpu;
  }

  /// A copy of `module` lowered to the LLVM dialect, and its signature.
  llvm::Expected<std::pair<OwningOpRef<ModuleOp>, EntrySignature>>
  lower(ModuleOp module, const CompileOptions &options) {
    OwningOpRef<ModuleOp> copy = module.clone();
    TimingScope scope = phase("lowering");
    auto sig = lowerToLLVMDialect(*copy, options.entry, cpuOptions(options, &scope));
    if (!sig)
      return failure(llvm::toString(sig.takeError()));
    return std::make_pair(std::move(copy), std::move(*sig));
  }

  /// LLVM IR for `module`, optimised for the chosen CPU, with the target
  /// machine and the entry's signature.
  llvm::Expected<std::unique_ptr<llvm::Module>>
  translate(ModuleOp module, const CompileOptions &options,
            llvm::LLVMContext &llvmContext,
            std::unique_ptr<llvm::TargetMachine> &machine,
            EntrySignature &signature) {
    auto lowered = lower(module, options);
    if (!lowered)
      return lowered.takeError();
    auto tm = createCPUTargetMachine(cpuOptions(options));
    if (!tm)
      return tm.takeError();
    machine = std::move(*tm);
    Progress progress("compiling", 0);
    progress.note("LLVM optimisation");
    TimingScope scope = phase("LLVM optimisation");
    auto llvmModule = translateForCPU(*lowered->first, lowered->second,
                                      llvmContext, *machine, cpuOptions(options));
    if (!llvmModule)
      return failure(llvm::toString(llvmModule.takeError()));
    signature = std::move(lowered->second);
    return llvmModule;
  }

  MLIRContext context;
  DiagnosticEngine::HandlerID handlerId;
  std::vector<std::string> errors;
  std::function<void(const CompilerDiagnostic &)> callback;
  std::function<LogicalResult(PassManager &)> hook;
  TimingScope *timing = nullptr;
};

void Compiler::registerPasses() {
  static std::once_flag registered;
  std::call_once(registered, [] { registerAllPasses(); });
}

Compiler::Compiler() : impl(std::make_unique<Impl>()) {}
Compiler::~Compiler() = default;

MLIRContext &Compiler::getContext() { return impl->context; }

void Compiler::setDiagnosticCallback(
    std::function<void(const CompilerDiagnostic &)> fn) {
  impl->callback = std::move(fn);
}

void Compiler::setPassManagerHook(
    std::function<LogicalResult(PassManager &)> hook) {
  impl->hook = std::move(hook);
}

void Compiler::setTimingScope(TimingScope *scope) { impl->timing = scope; }

static bool isOnnx(llvm::StringRef contents, llvm::StringRef name) {
  if (name.ends_with(".onnx") || name.ends_with(".onnxtxt"))
    return true;
  if (name.ends_with(".mlir") || name.ends_with(".mlirbc"))
    return false;
  // A ModelProto starts with ir_version (field 1, varint): 0x08.
  return !contents.empty() && contents.front() == 0x08;
}

llvm::Expected<OwningOpRef<ModuleOp>> Compiler::loadModel(llvm::StringRef path) {
  std::string message;
  auto file = openInputFile(path, &message);
  if (!file)
    return makeError(message);
  if (isOnnx(file->getBuffer(), path)) {
    TimingScope scope = impl->phase("ONNX import");
    Progress progress("loading", 0);
    progress.note("ONNX import");
    // From the path: external data files are found next to it.
    OwningOpRef<ModuleOp> module = importOnnxFile(path, &impl->context);
    if (!module)
      return impl->failure("cannot import " + path);
    return module;
  }
  return parseModel(file->getBuffer(), path);
}

llvm::Expected<OwningOpRef<ModuleOp>>
Compiler::parseModel(llvm::StringRef contents, llvm::StringRef name) {
  if (isOnnx(contents, name)) {
    TimingScope scope = impl->phase("ONNX import");
    OwningOpRef<ModuleOp> module = importOnnxBuffer(contents, name, &impl->context);
    if (!module)
      return impl->failure("cannot import " + name);
    return module;
  }
  TimingScope scope = impl->phase("parsing");
  ParserConfig config(&impl->context);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(contents, config, name);
  if (!module)
    return impl->failure("cannot parse " + name);
  return module;
}

std::string Compiler::defaultPipeline(unsigned optLevel) {
  if (optLevel == 0)
    return "";
  if (optLevel == 1)
    return "tfm-raise";
  return "tfm-raise,tfm-fold-identity-weights,tfm-fuse-parallel-branches,"
         "tfm-fold-residual-gains,canonicalize,cse";
}

llvm::Error Compiler::optimize(ModuleOp module, const CompileOptions &options) {
  if (llvm::Error err = impl->checkTarget(options))
    return err;
  std::string text = options.passes.empty() ? defaultPipeline(options.optLevel)
                                            : options.passes;
  llvm::StringRef inner = llvm::StringRef(text).trim();
  if (inner.consume_front("builtin.module(") && !inner.consume_back(")"))
    return makeError("--passes: '" + text + "' has an unbalanced builtin.module(");
  if (inner.empty() && options.precision == Precision::F32)
    return llvm::Error::success();
  PassManager pm(&impl->context);
  std::string parseError;
  llvm::raw_string_ostream os(parseError);
  if (!inner.empty() && failed(parsePassPipeline(inner, pm, os)))
    return impl->failure("--passes: cannot parse '" + text + "': " + parseError);
  // --precision converts after the optimisations, which see f32 weights.
  addPrecisionPasses(pm, options.precision);
  TimingScope scope = impl->phase("optimizing");
  if (failed(impl->configure(pm, "optimizing", &scope)))
    return impl->failure("could not configure the pass manager");
  if (failed(pm.run(module)))
    return impl->failure("optimization failed");
  return llvm::Error::success();
}

ModelStats Compiler::stats(ModuleOp module) const {
  return computeModelStats(module);
}

/// Writes the kernels of a module lowered by tfm-to-cuda: the object of
/// its gpu.binary (PTX text or a cubin; tfm merges all kernels into one).
static llvm::Error writeGPUBinaries(ModuleOp lowered, llvm::raw_ostream &os) {
  SmallVector<gpu::BinaryOp> binaries(lowered.getOps<gpu::BinaryOp>());
  if (binaries.empty())
    return makeError("the model has no GPU kernels to emit");
  if (binaries.size() > 1)
    return makeError("expected the kernels in one gpu.binary, found " +
                     llvm::Twine(binaries.size()));
  auto objects = binaries.front().getObjects();
  if (objects.size() != 1)
    return makeError("expected one object in the gpu.binary");
  auto object = cast<gpu::ObjectAttr>(objects[0]);
  os << object.getObject().getValue();
  return llvm::Error::success();
}

llvm::Error Compiler::emit(ModuleOp module, EmitKind kind,
                           const CompileOptions &options, llvm::raw_ostream &os) {
  if (llvm::Error err = impl->checkTarget(options))
    return err;
  switch (kind) {
  case EmitKind::MLIR:
    module.print(os);
    os << "\n";
    return llvm::Error::success();
  case EmitKind::MLIRBytecode:
    if (failed(writeBytecodeToFile(module, os)))
      return impl->failure("cannot write bytecode");
    return llvm::Error::success();
  case EmitKind::LLVMIR: {
    llvm::LLVMContext llvmContext;
    std::unique_ptr<llvm::TargetMachine> machine;
    EntrySignature signature;
    auto llvmModule =
        impl->translate(module, options, llvmContext, machine, signature);
    if (!llvmModule)
      return llvmModule.takeError();
    (*llvmModule)->print(os, nullptr);
    return llvm::Error::success();
  }
  case EmitKind::PTX:
  case EmitKind::Cubin: {
    if (options.target != CompileTarget::CUDA)
      return makeError(llvm::Twine("--emit=") +
                       (kind == EmitKind::PTX ? "ptx" : "cubin") +
                       " needs --target=cuda");
    CompileOptions binaryOptions = options;
    binaryOptions.gpuFormat = kind == EmitKind::PTX ? "ptx" : "cubin";
    if (llvm::Error err = impl->checkTarget(binaryOptions))
      return err;
    auto lowered = impl->lower(module, binaryOptions);
    if (!lowered)
      return lowered.takeError();
    return writeGPUBinaries(*lowered->first, os);
  }
  case EmitKind::Object: {
    auto artifact = compile(module, options);
    if (!artifact)
      return artifact.takeError();
    os.write(artifact->bytes.data(), artifact->bytes.size());
    return llvm::Error::success();
  }
  }
  llvm_unreachable("unknown emit kind");
}

llvm::Expected<Artifact> Compiler::compile(ModuleOp module,
                                           const CompileOptions &options) {
  if (llvm::Error err = impl->checkTarget(options))
    return std::move(err);
  Artifact artifact;
  artifact.target = options.target;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::TargetMachine> machine;
  auto llvmModule = impl->translate(module, options, llvmContext, machine,
                                    artifact.signature);
  if (!llvmModule)
    return llvmModule.takeError();
  Progress progress("compiling", 0);
  progress.note("code generation");
  TimingScope scope = impl->phase("code generation");
  auto object = emitObject(**llvmModule, *machine);
  if (!object)
    return impl->failure(llvm::toString(object.takeError()));
  artifact.bytes = std::move(*object);
  return artifact;
}
