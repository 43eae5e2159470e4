//===- CPUCodegen.cpp - a model function to a host object file ----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Execution/CPUExecutor.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/GPU/GPUToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace mlir::tfm;

std::optional<npy::DType> mlir::tfm::dtypeFor(Type t) {
  if (t.isF32())
    return npy::DType::F32;
  if (t.isF64())
    return npy::DType::F64;
  if (t.isF16())
    return npy::DType::F16;
  if (t.isBF16())
    return npy::DType::BF16;
  if (t.isInteger(1))
    return npy::DType::Bool;
  if (t.isInteger(64) || t.isIndex())
    return npy::DType::I64;
  if (t.isInteger(32))
    return npy::DType::I32;
  if (t.isInteger(16))
    return npy::DType::I16;
  if (t.isUnsignedInteger(8))
    return npy::DType::U8;
  if (t.isInteger(8))
    return npy::DType::I8;
  return std::nullopt;
}

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg, llvm::inconvertibleErrorCode());
}

static std::string typeStr(Type t) {
  std::string s;
  llvm::raw_string_ostream os(s);
  t.print(os);
  return s;
}

//===----------------------------------------------------------------------===//
// Signatures
//===----------------------------------------------------------------------===//

/// The signature of one argument or result type.
/// `what` names the value in messages ("@main argument 0"); `prefix` names
/// its unnamed dynamic dimensions ("arg0" gives "arg0.1").
static llvm::Expected<TensorSignature>
tensorSignature(Type type, const std::string &what, const std::string &prefix,
                ArrayAttr dimNames) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasRank())
    return makeError(what + " has type " + llvm::Twine(typeStr(type)) +
                     "; only ranked tensors and memrefs can be passed");
  std::optional<npy::DType> dtype = dtypeFor(shaped.getElementType());
  if (!dtype)
    return makeError(what + " has unsupported element type " +
                     typeStr(shaped.getElementType()));
  TensorSignature sig;
  sig.dtype = *dtype;
  for (int64_t i = 0; i < shaped.getRank(); ++i) {
    bool dyn = shaped.isDynamicDim(i);
    sig.shape.push_back(dyn ? -1 : shaped.getDimSize(i));
    std::string name;
    if (dyn) {
      if (dimNames && i < static_cast<int64_t>(dimNames.size()))
        if (auto s = dyn_cast<StringAttr>(dimNames[i]))
          name = s.str();
      if (name.empty())
        name = prefix + "." + std::to_string(i);
    }
    sig.dimNames.push_back(name);
  }
  return sig;
}

llvm::Expected<EntrySignature> mlir::tfm::entrySignature(ModuleOp module,
                                                         llvm::StringRef entry) {
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn || fn.isDeclaration()) {
    std::string names;
    module.walk([&](func::FuncOp f) {
      if (!f.isDeclaration())
        names += (names.empty() ? "" : ", ") + ("@" + f.getSymName()).str();
    });
    return makeError("no function @" + entry + " in the module" +
                     (names.empty() ? std::string() : " (it has " + names + ")"));
  }
  EntrySignature sig;
  sig.entry = entry.str();
  FunctionType fnTy = fn.getFunctionType();
  for (unsigned i = 0; i < fnTy.getNumInputs(); ++i) {
    auto names = fn.getArgAttrOfType<ArrayAttr>(i, "tfm.dim_names");
    auto t = tensorSignature(fnTy.getInput(i),
                             "@" + entry.str() + " argument " + std::to_string(i),
                             "arg" + std::to_string(i), names);
    if (!t)
      return t.takeError();
    // Token ids: the rows of the table they index.
    if (EmbeddingOp emb = tokenEmbedding(fn.getArgument(i)))
      if (!emb.getTable().getType().isDynamicDim(0))
        t->idBound = emb.getTable().getType().getDimSize(0);
    sig.inputs.push_back(std::move(*t));
  }
  for (unsigned i = 0; i < fnTy.getNumResults(); ++i) {
    auto t = tensorSignature(fnTy.getResult(i),
                             "@" + entry.str() + " result " + std::to_string(i),
                             "result" + std::to_string(i), {});
    if (!t)
      return t.takeError();
    sig.results.push_back(std::move(*t));
  }
  return sig;
}

static llvm::json::Array tensorsToJSON(const std::vector<TensorSignature> &ts) {
  llvm::json::Array out;
  for (const TensorSignature &t : ts) {
    llvm::json::Array names;
    for (const std::string &n : t.dimNames)
      names.push_back(n);
    out.push_back(llvm::json::Object{
        {"dtype", npy::dtypeName(t.dtype)},
        {"shape", llvm::json::Array(t.shape)},
        {"dim_names", std::move(names)},
        {"id_bound", t.idBound}});
  }
  return out;
}

std::string EntrySignature::toJSON() const {
  llvm::json::Object o{{"entry", entry},
                       {"target", target},
                       {"inputs", tensorsToJSON(inputs)},
                       {"results", tensorsToJSON(results)}};
  std::string s;
  llvm::raw_string_ostream os(s);
  os << llvm::json::Value(std::move(o));
  return s;
}

static bool tensorsFromJSON(const llvm::json::Value &v,
                            std::vector<TensorSignature> &out,
                            llvm::json::Path path) {
  const llvm::json::Array *arr = v.getAsArray();
  if (!arr) {
    path.report("expected an array");
    return false;
  }
  for (auto [i, e] : llvm::enumerate(*arr)) {
    llvm::json::Path ep = path.index(i);
    const llvm::json::Object *o = e.getAsObject();
    if (!o) {
      ep.report("expected an object");
      return false;
    }
    TensorSignature t;
    std::string dtype;
    llvm::json::ObjectMapper m(e, ep);
    if (!m || !m.map("dtype", dtype) || !m.map("shape", t.shape) ||
        !m.map("dim_names", t.dimNames) || !m.map("id_bound", t.idBound))
      return false;
    std::optional<npy::DType> known = npy::dtypeNamed(dtype);
    if (!known) {
      ep.field("dtype").report("unknown dtype");
      return false;
    }
    t.dtype = *known;
    if (t.dimNames.size() != t.shape.size()) {
      ep.field("dim_names").report("dim_names and shape differ in length");
      return false;
    }
    out.push_back(std::move(t));
  }
  return true;
}

llvm::Expected<EntrySignature> EntrySignature::fromJSON(llvm::StringRef json) {
  auto value = llvm::json::parse(json);
  if (!value)
    return value.takeError();
  EntrySignature sig;
  llvm::json::Path::Root root("signature");
  llvm::json::ObjectMapper m(*value, root);
  const llvm::json::Object *o = value->getAsObject();
  bool ok = m && m.map("entry", sig.entry) &&
            m.mapOptional("target", sig.target) && o->get("inputs") &&
            o->get("results") &&
            tensorsFromJSON(*o->get("inputs"), sig.inputs,
                            llvm::json::Path(root).field("inputs")) &&
            tensorsFromJSON(*o->get("results"), sig.results,
                            llvm::json::Path(root).field("results"));
  if (!ok) {
    std::string msg = "malformed tfm signature record";
    if (llvm::Error e = root.getError())
      msg += ": " + llvm::toString(std::move(e));
    return makeError(msg);
  }
  return sig;
}

//===----------------------------------------------------------------------===//
// Lowering, translation, object emission
//===----------------------------------------------------------------------===//

llvm::Expected<std::optional<bool>>
mlir::tfm::parseAttentionMode(llvm::StringRef mode) {
  if (mode.empty())
    return std::optional<bool>();
  if (mode == "fused" || mode == "unfused")
    return std::optional<bool>(mode == "fused");
  return makeError("--attention=" + mode + ": expected fused or unfused");
}

llvm::Error
mlir::tfm::cudaPipelineOptions(const CUDATargetOptions &target,
                               TfmToCUDAPipelineOptions &options) {
  options.chip = target.chip;
  options.features = target.features.empty()
                         ? defaultCUDAFeatures(target.chip)
                         : target.features;
  options.toolkit =
      target.toolkit.empty() ? defaultCUDAToolkitPath() : target.toolkit;
  std::string format = target.format;
  if (format.empty())
    format = llvm::sys::fs::can_execute(options.toolkit + "/bin/ptxas")
                 ? "cubin"
                 : "ptx";
  options.format = format;
  std::string error = checkCUDATarget(options.chip, options.features, format);
  if (!error.empty())
    return makeError(error);
  if (format != "ptx" &&
      !llvm::sys::fs::can_execute(options.toolkit + "/bin/ptxas"))
    return makeError("--emit/format " + format +
                     " needs the CUDA Toolkit's ptxas, which is not at '" +
                     options.toolkit +
                     "/bin/ptxas' (set CUDA_HOME, or use ptx)");
  return llvm::Error::success();
}

llvm::Expected<EntrySignature>
mlir::tfm::lowerToLLVMDialect(ModuleOp module, llvm::StringRef entry,
                              const CPUExecutableOptions &options) {
  auto sig = entrySignature(module, entry);
  if (!sig)
    return sig.takeError();
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
              UnitAttr::get(module.getContext()));

  PassManager pm(module.getContext());
  if (options.cuda) {
    TfmToCUDAPipelineOptions cuda;
    if (llvm::Error err = cudaPipelineOptions(*options.cuda, cuda))
      return std::move(err);
    if (options.fusedAttention)
      cuda.fusedAttention = *options.fusedAttention;
    cuda.tensorCoreAttention = options.tensorCoreAttention;
    cuda.planBuffers = options.planBuffers;
    buildTfmToCUDAPipeline(pm, cuda);
    sig->target = "cuda";
  } else {
    TfmToCPUPipelineOptions pipelineOptions;
    pipelineOptions.useRuntimeGemm = options.runtimeGemm;
    pipelineOptions.fusedAttention = options.fusedAttention.value_or(false);
    pipelineOptions.planBuffers = options.planBuffers;
    pipelineOptions.emulateTensorCoreAttention =
        options.emulateTensorCoreAttention;
    pipelineOptions.emulateGPUKernels = options.emulateGPUKernels;
    pipelineOptions.emulateInReverse = options.emulateInReverse;
    buildTfmToCPUPipeline(pm, pipelineOptions);
  }
  if (options.configurePassManager && failed(options.configurePassManager(pm)))
    return makeError("could not configure the pass manager");
  if (failed(pm.run(module)))
    return makeError(options.cuda ? "lowering for CUDA failed"
                                  : "lowering to the CPU failed");

  // The tfm argument and result attributes (names, dim names) served the
  // signature above and the pipeline's shape folding (equal dim names are
  // equal extents); LLVM translation has no use for them and warns.
  auto stripTfmAttrs = [](DictionaryAttr attrs) {
    SmallVector<NamedAttribute> kept;
    if (attrs)
      for (NamedAttribute a : attrs)
        if (!a.getName().getValue().starts_with("tfm."))
          kept.push_back(a);
    return kept;
  };
  module.walk([&](FunctionOpInterface f) {
    for (unsigned i = 0; i < f.getNumArguments(); ++i)
      f.setArgAttrs(i, stripTfmAttrs(f.getArgAttrDict(i)));
    for (unsigned i = 0; i < f.getNumResults(); ++i)
      f.setResultAttrs(i, stripTfmAttrs(f.getResultAttrDict(i)));
  });
  return sig;
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
mlir::tfm::createCPUTargetMachine(const CPUExecutableOptions &options) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  if (!options.cpu.empty() && options.cpu != "host") {
    const llvm::Triple &triple = builder->getTargetTriple();
    std::string error;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target)
      return makeError(error);
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(options.cpu))
      return makeError("unknown CPU '" + options.cpu + "' for " + triple.str() +
                       " (llc -mcpu=help lists them)");
    // Another CPU of the host's architecture: its own default features.
    builder->setCPU(options.cpu);
    builder->getFeatures() = llvm::SubtargetFeatures();
  }
  builder->setRelocationModel(llvm::Reloc::PIC_);
  builder->setCodeGenOptLevel(options.optLevel == 0   ? llvm::CodeGenOptLevel::None
                              : options.optLevel == 1 ? llvm::CodeGenOptLevel::Less
                              : options.optLevel == 2 ? llvm::CodeGenOptLevel::Default
                                                      : llvm::CodeGenOptLevel::Aggressive);
  auto machine = builder->createTargetMachine();
  if (!machine)
    return machine.takeError();
  return machine;
}

/// Defines `void _tfm_entry_NAME(void **descriptors)`, which calls
/// `_mlir_ciface_NAME` with descriptors[0..n), and the signature record.
static llvm::Error addArtifactSymbols(llvm::Module &module,
                                      const EntrySignature &sig) {
  llvm::Function *ciface = module.getFunction("_mlir_ciface_" + sig.entry);
  if (!ciface)
    return makeError("the lowered module has no _mlir_ciface_" + sig.entry);
  llvm::LLVMContext &ctx = module.getContext();
  auto *ptrTy = llvm::PointerType::getUnqual(ctx);
  for (llvm::Type *param : ciface->getFunctionType()->params())
    if (param != ptrTy)
      return makeError("@" + sig.entry +
                       " takes a non-memref argument after lowering");

  auto *wrapperTy =
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptrTy}, false);
  auto *wrapper = llvm::Function::Create(wrapperTy, llvm::Function::ExternalLinkage,
                                         "_tfm_entry_" + sig.entry, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", wrapper));
  llvm::SmallVector<llvm::Value *> args;
  for (unsigned i = 0; i < ciface->arg_size(); ++i) {
    llvm::Value *slot = b.CreateConstGEP1_64(ptrTy, wrapper->getArg(0), i);
    args.push_back(b.CreateLoad(ptrTy, slot));
  }
  b.CreateCall(ciface, args);
  b.CreateRetVoid();

  auto *info = llvm::ConstantDataArray::getString(ctx, sig.toJSON());
  new llvm::GlobalVariable(module, info->getType(), /*isConstant=*/true,
                           llvm::GlobalValue::ExternalLinkage, info,
                           "_tfm_info_" + sig.entry);
  return llvm::Error::success();
}

/// Replaces the module constructors (or destructors) in `listName` with
/// one exported function `name` that runs them in priority order: an
/// object linked in memory has nobody to run its .init_array, so the
/// loader calls `_tfm_init_NAME` itself (the CUDA path loads its kernels
/// there) and `_tfm_fini_NAME` when it unloads.
static void hoistStructors(llvm::Module &module, llvm::StringRef listName,
                           const std::string &name) {
  llvm::GlobalVariable *list = module.getGlobalVariable(listName);
  if (!list)
    return;
  std::vector<std::pair<uint64_t, llvm::Function *>> fns;
  if (auto *init = dyn_cast<llvm::ConstantArray>(list->getInitializer()))
    for (llvm::Value *op : init->operands()) {
      auto *entry = cast<llvm::ConstantStruct>(op);
      auto *priority = cast<llvm::ConstantInt>(entry->getOperand(0));
      if (auto *fn = dyn_cast<llvm::Function>(entry->getOperand(1)))
        fns.push_back({priority->getZExtValue(), fn});
    }
  std::stable_sort(fns.begin(), fns.end(), [](const auto &a, const auto &b) {
    return a.first < b.first;
  });
  // Destructors run in the reverse order of their priorities.
  if (listName == "llvm.global_dtors")
    std::reverse(fns.begin(), fns.end());
  list->eraseFromParent();
  llvm::LLVMContext &ctx = module.getContext();
  auto *fnTy = llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false);
  auto *runner = llvm::Function::Create(fnTy, llvm::Function::ExternalLinkage,
                                        name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", runner));
  for (auto &[priority, fn] : fns)
    b.CreateCall(fn);
  b.CreateRetVoid();
}

llvm::Expected<std::unique_ptr<llvm::Module>>
mlir::tfm::translateForCPU(ModuleOp lowered, const EntrySignature &signature,
                           llvm::LLVMContext &llvmContext,
                           llvm::TargetMachine &machine,
                           const CPUExecutableOptions &options) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  // gpu.binary and gpu.launch_func: the binary is embedded as a global and
  // loaded by the module constructor (#gpu.select_object).
  registerGPUDialectTranslation(registry);
  gpu::registerOffloadingLLVMTranslationInterfaceExternalModels(registry);
  lowered.getContext()->appendDialectRegistry(registry);
  std::unique_ptr<llvm::Module> module =
      translateModuleToLLVMIR(lowered, llvmContext, "tfm");
  if (!module)
    return makeError("translation to LLVM IR failed");
  module->setDataLayout(machine.createDataLayout());
  module->setTargetTriple(machine.getTargetTriple());
  if (llvm::Error err = addArtifactSymbols(*module, signature))
    return std::move(err);
  hoistStructors(*module, "llvm.global_ctors", "_tfm_init_" + signature.entry);
  hoistStructors(*module, "llvm.global_dtors", "_tfm_fini_" + signature.entry);
  // Optimise for the target: without a target machine LLVM's cost models are
  // generic and the loop vectoriser leaves the elementwise loops scalar.
  auto optimize = makeOptimizingTransformer(options.optLevel, /*sizeLevel=*/0,
                                            &machine);
  if (llvm::Error err = optimize(module.get()))
    return std::move(err);
  return module;
}

llvm::Expected<llvm::SmallVector<char, 0>>
mlir::tfm::emitObject(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager pm;
  if (machine.addPassesToEmitFile(pm, os, nullptr,
                                  llvm::CodeGenFileType::ObjectFile))
    return makeError("the target machine cannot emit object files");
  pm.run(module);
  return object;
}
