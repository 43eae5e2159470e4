//===- CPUExecutor.cpp - compile and run a model on the CPU -------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Execution/CPUExecutor.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Pipelines/Pipelines.h"
#include "tfm/Runtime/CPURuntime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/TargetSelect.h"

#include <cstdlib>
#include <set>

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


/// The signature of one argument or result type.
static llvm::Expected<TensorSignature>
signatureOf(Type type, const std::string &what, ArrayAttr dimNames) {
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
        name = what;
    }
    sig.dimNames.push_back(dyn ? name : std::string());
  }
  return sig;
}

CPUExecutable::~CPUExecutable() = default;

llvm::Expected<std::unique_ptr<CPUExecutable>>
CPUExecutable::compile(ModuleOp module, llvm::StringRef entry,
                       const CPUExecutableOptions &options) {
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn) {
    std::string names;
    module.walk([&](func::FuncOp f) {
      if (!f.isDeclaration())
        names += (names.empty() ? "" : ", ") + ("@" + f.getSymName()).str();
    });
    return makeError("no function @" + entry + " in the module" +
                     (names.empty() ? std::string() : " (it has " + names + ")"));
  }
  std::unique_ptr<CPUExecutable> exe(new CPUExecutable());
  exe->entryName = entry.str();
  FunctionType fnTy = fn.getFunctionType();
  for (unsigned i = 0; i < fnTy.getNumInputs(); ++i) {
    auto names = fn.getArgAttrOfType<ArrayAttr>(i, "tfm.dim_names");
    std::string what = "arg" + std::to_string(i);
    auto sig = signatureOf(fnTy.getInput(i), what, names);
    if (!sig)
      return sig.takeError();
    for (std::string &n : sig->dimNames)
      if (n == what)
        n = what + "." + std::to_string(&n - sig->dimNames.data());
    // Token ids: the rows of the table they index.
    if (EmbeddingOp emb = tokenEmbedding(fn.getArgument(i)))
      if (!emb.getTable().getType().isDynamicDim(0))
        sig->idBound = emb.getTable().getType().getDimSize(0);
    exe->inputSigs.push_back(std::move(*sig));
  }
  for (unsigned i = 0; i < fnTy.getNumResults(); ++i) {
    auto sig = signatureOf(fnTy.getResult(i), "result " + std::to_string(i), {});
    if (!sig)
      return sig.takeError();
    exe->resultSigs.push_back(std::move(*sig));
  }
  fn->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
              UnitAttr::get(module.getContext()));

  PassManager pm(module.getContext());
  TfmToCPUPipelineOptions pipelineOptions;
  pipelineOptions.useRuntimeGemm = options.runtimeGemm;
  buildTfmToCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(module)))
    return makeError("lowering to the CPU failed (see the diagnostics above)");

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

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);

  // Optimise for the host: without a target machine LLVM's cost models are
  // generic and the loop vectoriser leaves the elementwise loops scalar.
  auto tmBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!tmBuilder)
    return tmBuilder.takeError();
  tmBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  auto targetMachine = tmBuilder->createTargetMachine();
  if (!targetMachine)
    return targetMachine.takeError();
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, targetMachine->get());
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return engine.takeError();
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    auto add = [&](llvm::StringRef name, void *addr) {
      symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(addr),
                                 llvm::JITSymbolFlags::Exported};
    };
    runtime::registerCPURuntimeSymbols(add);
    // Strided copies the bufferized code may emit (memref.copy).
    add("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
    return symbols;
  });
  exe->engine = std::move(*engine);
  return exe;
}

llvm::Error
CPUExecutable::checkInputs(const std::vector<npy::Array> &args) const {
  if (args.size() != inputSigs.size())
    return makeError("@" + entryName + " takes " +
                     std::to_string(inputSigs.size()) + " inputs, got " +
                     std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    const TensorSignature &sig = inputSigs[i];
    const npy::Array &a = args[i];
    std::string what = "input " + std::to_string(i);
    if (a.dtype != sig.dtype)
      return makeError(what + " has dtype " + npy::dtypeName(a.dtype) +
                       ", but @" + entryName + " expects " +
                       npy::dtypeName(sig.dtype));
    bool ok = a.shape.size() == sig.shape.size();
    for (size_t d = 0; ok && d < a.shape.size(); ++d)
      ok = sig.shape[d] < 0 || sig.shape[d] == a.shape[d];
    if (!ok)
      return makeError(what + " has shape " + npy::formatShape(a.shape) + ", but @" +
                       entryName + " expects " + npy::formatShape(sig.shape));
  }
  return llvm::Error::success();
}

namespace {
/// A memref descriptor laid out as the C interface expects:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}, 8-byte words.
struct DescriptorView {
  int64_t *words;
  int64_t rank;
  void *allocated() const { return reinterpret_cast<void *>(words[0]); }
  char *aligned() const { return reinterpret_cast<char *>(words[1]); }
  int64_t offset() const { return words[2]; }
  int64_t size(int64_t i) const { return words[3 + i]; }
  int64_t stride(int64_t i) const { return words[3 + rank + i]; }
};
} // namespace

llvm::Expected<std::vector<npy::Array>>
CPUExecutable::run(const std::vector<npy::Array> &args) {
  if (llvm::Error err = checkInputs(args))
    return std::move(err);

  // Argument descriptors point at the caller's arrays (row-major).
  std::vector<std::vector<int64_t>> argDescs;
  std::set<void *> callerBuffers;
  for (const npy::Array &a : args) {
    int64_t rank = a.shape.size();
    std::vector<int64_t> d(3 + 2 * rank);
    void *data = const_cast<uint8_t *>(a.data.data());
    callerBuffers.insert(data);
    d[0] = d[1] = reinterpret_cast<int64_t>(data);
    d[2] = 0;
    int64_t stride = 1;
    for (int64_t i = rank - 1; i >= 0; --i) {
      d[3 + i] = a.shape[i];
      d[3 + rank + i] = stride;
      stride *= a.shape[i];
    }
    argDescs.push_back(std::move(d));
  }
  size_t resultWords = 0;
  for (const TensorSignature &s : resultSigs)
    resultWords += 3 + 2 * s.shape.size();
  std::vector<int64_t> resultStorage(std::max<size_t>(resultWords, 1));

  std::vector<void *> pointers; // the ciface arguments
  if (!resultSigs.empty())
    pointers.push_back(resultStorage.data());
  for (auto &d : argDescs)
    pointers.push_back(d.data());
  std::vector<void *> packed;
  for (void *&p : pointers)
    packed.push_back(&p);
  if (llvm::Error err =
          engine->invokePacked("_mlir_ciface_" + entryName, packed))
    return std::move(err);

  // Copy results out (any strides), then release their buffers.
  std::vector<npy::Array> results;
  std::set<void *> released;
  int64_t *cursor = resultStorage.data();
  for (const TensorSignature &sig : resultSigs) {
    int64_t rank = sig.shape.size();
    DescriptorView view{cursor, rank};
    cursor += 3 + 2 * rank;
    npy::Array out;
    out.dtype = sig.dtype;
    for (int64_t i = 0; i < rank; ++i)
      out.shape.push_back(view.size(i));
    size_t elt = npy::dtypeSize(sig.dtype);
    int64_t n = out.numElements();
    out.data.resize(n * elt);
    bool contiguous = true;
    for (int64_t i = rank - 1, expect = 1; i >= 0; expect *= view.size(i), --i)
      contiguous &= view.size(i) == 1 || view.stride(i) == expect;
    if (contiguous) {
      if (n)
        std::memcpy(out.data.data(), view.aligned() + view.offset() * elt,
                    n * elt);
      n = 0; // done
    }
    std::vector<int64_t> index(rank, 0);
    for (int64_t linear = 0; linear < n; ++linear) {
      int64_t off = view.offset();
      for (int64_t i = 0; i < rank; ++i)
        off += index[i] * view.stride(i);
      std::memcpy(out.data.data() + linear * elt, view.aligned() + off * elt,
                  elt);
      for (int64_t i = rank - 1; i >= 0; --i) {
        if (++index[i] < view.size(i))
          break;
        index[i] = 0;
      }
    }
    results.push_back(std::move(out));
    // Globals carry a marker instead of an allocation; caller buffers are
    // not ours to free. A buffer returned twice is freed once, after every
    // result has been copied out of it.
    void *alloc = view.allocated();
    if (alloc && reinterpret_cast<uintptr_t>(alloc) != 0xdeadbeef &&
        !callerBuffers.count(alloc))
      released.insert(alloc);
  }
  for (void *alloc : released)
    std::free(alloc);
  return results;
}
