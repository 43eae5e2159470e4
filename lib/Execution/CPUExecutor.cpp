//===- CPUExecutor.cpp - load and run a model on the CPU ----------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Execution/CPUExecutor.h"

#include "tfm/Runtime/CPURuntime.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "llvm/ExecutionEngine/Orc/AbsoluteSymbols.h"
#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/ExecutionEngine/Orc/Mangling.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SmallVectorMemoryBuffer.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdlib>
#include <dlfcn.h>
#include <cstring>
#include <set>

using namespace mlir;
using namespace mlir::tfm;

static llvm::Error makeError(const llvm::Twine &msg) {
  return llvm::make_error<llvm::StringError>(msg, llvm::inconvertibleErrorCode());
}

static constexpr llvm::StringLiteral kInfoPrefix = "_tfm_info_";

CPUExecutable::CPUExecutable() = default;
CPUExecutable::~CPUExecutable() {
  if (finiFn)
    finiFn();
}

/// Whether the object calls into the CUDA runtime (an artifact of the
/// tfm-to-cuda pipeline).
static bool needsCUDARuntime(llvm::MemoryBufferRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(object);
  if (!file) {
    llvm::consumeError(file.takeError());
    return false;
  }
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto name = symbol.getName();
    auto flags = symbol.getFlags();
    if (!name || !flags) {
      llvm::consumeError(name.takeError());
      llvm::consumeError(flags.takeError());
      continue;
    }
    if ((*flags & llvm::object::SymbolRef::SF_Undefined) &&
        (name->starts_with("mgpu") ||
         name->starts_with("_mlir_ciface_tfm_cuda_")))
      return true;
  }
  return false;
}

/// Where libtfm_cuda_runtime.so should be: $TFM_CUDA_RUNTIME, next to the
/// library this code is in (libtfm.so), or in ../lib of the executable.
static std::vector<std::string> cudaRuntimeCandidates() {
  std::vector<std::string> paths;
  if (const char *env = std::getenv("TFM_CUDA_RUNTIME"); env && *env)
    paths.push_back(env);
  const char *name = "libtfm_cuda_runtime.so";
  Dl_info info;
  if (dladdr(reinterpret_cast<void *>(&cudaRuntimeCandidates), &info) &&
      info.dli_fname) {
    llvm::SmallString<256> p(llvm::sys::path::parent_path(info.dli_fname));
    llvm::sys::path::append(p, name);
    paths.push_back(std::string(p));
  }
  std::string exe = llvm::sys::fs::getMainExecutable(
      nullptr, reinterpret_cast<void *>(&cudaRuntimeCandidates));
  if (!exe.empty()) {
    llvm::SmallString<256> p(llvm::sys::path::parent_path(
        llvm::sys::path::parent_path(exe)));
    llvm::sys::path::append(p, "lib", name);
    paths.push_back(std::string(p));
  }
  return paths;
}

/// Loads the CUDA runtime library once per process and checks that a
/// device is visible.
static llvm::Expected<llvm::sys::DynamicLibrary> loadCUDARuntime() {
  std::string tried, lastError;
  for (const std::string &path : cudaRuntimeCandidates()) {
    if (!llvm::sys::fs::exists(path)) {
      tried += (tried.empty() ? "" : ", ") + path;
      continue;
    }
    std::string error;
    auto lib = llvm::sys::DynamicLibrary::getPermanentLibrary(path.c_str(),
                                                              &error);
    if (!lib.isValid())
      return makeError("cannot load the CUDA runtime " + path + ": " + error +
                       " (is the NVIDIA driver installed?)");
    auto count = reinterpret_cast<int (*)()>(
        lib.getAddressOfSymbol("tfmCudaDeviceCount"));
    if (!count)
      return makeError(path + " is not the tfm CUDA runtime");
    if (count() == 0)
      return makeError("no CUDA device is visible (the CUDA runtime found "
                       "no GPU)");
    return lib;
  }
  return makeError("this artifact runs on a CUDA GPU, but the tfm CUDA "
                   "runtime was not found (looked for " + tried +
                   "; set TFM_CUDA_RUNTIME, or build tfm with the CUDA "
                   "Toolkit)");
}

llvm::Expected<std::unique_ptr<CPUExecutable>>
CPUExecutable::compile(ModuleOp module, llvm::StringRef entry,
                       const CPUExecutableOptions &options) {
  auto sig = lowerToLLVMDialect(module, entry, options);
  if (!sig)
    return sig.takeError();
  auto machine = createCPUTargetMachine(options);
  if (!machine)
    return machine.takeError();
  llvm::LLVMContext llvmContext;
  auto llvmModule =
      translateForCPU(module, *sig, llvmContext, **machine, options);
  if (!llvmModule)
    return llvmModule.takeError();
  auto object = emitObject(**llvmModule, **machine);
  if (!object)
    return object.takeError();
  return load(std::make_unique<llvm::SmallVectorMemoryBuffer>(
                  std::move(*object), "tfm-" + entry.str() + ".o",
                  /*RequiresNullTerminator=*/false),
              entry);
}

bool CPUExecutable::looksLikeObject(llvm::StringRef bytes) {
  return bytes.starts_with("\x7f" "ELF") || bytes.starts_with("\xcf\xfa\xed\xfe");
}

llvm::Expected<std::vector<std::string>>
CPUExecutable::listEntries(llvm::MemoryBufferRef object) {
  auto file = llvm::object::ObjectFile::createObjectFile(object);
  if (!file)
    return makeError(object.getBufferIdentifier() + " is not an object file: " +
                     llvm::toString(file.takeError()));
  std::vector<std::string> entries;
  for (const llvm::object::SymbolRef &symbol : (*file)->symbols()) {
    auto name = symbol.getName();
    if (!name) {
      llvm::consumeError(name.takeError());
      continue;
    }
    auto flags = symbol.getFlags();
    if (!flags) {
      llvm::consumeError(flags.takeError());
      continue;
    }
    if (name->starts_with(kInfoPrefix) &&
        !(*flags & llvm::object::SymbolRef::SF_Undefined))
      entries.push_back(name->drop_front(kInfoPrefix.size()).str());
  }
  return entries;
}

llvm::Expected<std::unique_ptr<CPUExecutable>>
CPUExecutable::load(std::unique_ptr<llvm::MemoryBuffer> object,
                    llvm::StringRef entry) {
  std::string what = object->getBufferIdentifier().str();
  auto entries = listEntries(object->getMemBufferRef());
  if (!entries)
    return entries.takeError();
  if (entries->empty())
    return makeError(what + " is not a tfm artifact: it defines no " +
                     kInfoPrefix + "* signature record");
  std::string chosen = entry.str();
  if (chosen.empty()) {
    if (entries->size() != 1)
      return makeError(what + " has " + std::to_string(entries->size()) +
                       " entries; choose one");
    chosen = entries->front();
  } else if (!llvm::is_contained(*entries, chosen)) {
    std::string names;
    for (const std::string &e : *entries)
      names += (names.empty() ? "@" : ", @") + e;
    return makeError(what + " has no entry @" + chosen + " (it has " + names +
                     ")");
  }

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return jit.takeError();
  llvm::orc::JITDylib &lib = (*jit)->getMainJITDylib();
  // The tfm runtime, then whatever else the process has (libc, libm).
  llvm::orc::MangleAndInterner interner((*jit)->getExecutionSession(),
                                        (*jit)->getDataLayout());
  llvm::orc::SymbolMap symbols;
  auto add = [&](llvm::StringRef name, void *addr) {
    symbols[interner(name)] = {llvm::orc::ExecutorAddr::fromPtr(addr),
                               llvm::JITSymbolFlags::Exported};
  };
  runtime::registerCPURuntimeSymbols(add);
  // Emulated CUDA programs (tfm-run --emulate-gpu-kernels).
  runtime::registerEmulatedCUDARuntimeSymbols(add);
  // Strided copies the bufferized code may emit (memref.copy).
  add("memrefCopy", reinterpret_cast<void *>(&memrefCopy));
  if (llvm::Error err = lib.define(llvm::orc::absoluteSymbols(std::move(symbols))))
    return std::move(err);
  char prefix = (*jit)->getDataLayout().getGlobalPrefix();
  const char *(*cudaTakeError)() = nullptr;
  if (needsCUDARuntime(object->getMemBufferRef())) {
    auto cuda = loadCUDARuntime();
    if (!cuda)
      return cuda.takeError();
    cudaTakeError = reinterpret_cast<const char *(*)()>(
        cuda->getAddressOfSymbol("tfmCudaTakeError"));
    lib.addGenerator(
        std::make_unique<llvm::orc::DynamicLibrarySearchGenerator>(*cuda,
                                                                   prefix));
  }
  auto processSymbols =
      llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(prefix);
  if (!processSymbols)
    return processSymbols.takeError();
  lib.addGenerator(std::move(*processSymbols));
  if (llvm::Error err = (*jit)->addObjectFile(std::move(object)))
    return std::move(err);

  auto info = (*jit)->lookup(kInfoPrefix.str() + chosen);
  if (!info)
    return info.takeError();
  auto sig = EntrySignature::fromJSON(info->toPtr<const char *>());
  if (!sig)
    return makeError(what + ": " + llvm::toString(sig.takeError()));
  auto fn = (*jit)->lookup("_tfm_entry_" + chosen);
  if (!fn)
    return fn.takeError();
  if (llvm::Error err = (*jit)->initialize(lib))
    return std::move(err);

  std::unique_ptr<CPUExecutable> exe(new CPUExecutable());
  exe->sig = std::move(*sig);
  exe->entryFn = fn->toPtr<void (*)(void **)>();
  exe->cudaTakeError = cudaTakeError;
  // Module constructors (GPU kernel loading) run now; older artifacts have
  // none.
  if (auto init = (*jit)->lookup("_tfm_init_" + chosen)) {
    init->toPtr<void (*)()>()();
    if (auto fini = (*jit)->lookup("_tfm_fini_" + chosen))
      exe->finiFn = fini->toPtr<void (*)()>();
    else
      llvm::consumeError(fini.takeError());
  } else {
    llvm::consumeError(init.takeError());
  }
  exe->jit = std::move(*jit);
  if (llvm::Error err = exe->takeCUDAError("loading"))
    return std::move(err);
  return exe;
}

llvm::Error CPUExecutable::takeCUDAError(const llvm::Twine &what) {
  if (!cudaTakeError)
    return llvm::Error::success();
  const char *message = cudaTakeError();
  if (!message)
    return llvm::Error::success();
  std::string text = message;
  std::free(const_cast<char *>(message));
  return makeError("CUDA error while " + what + ": " + text);
}

llvm::Error
CPUExecutable::checkInputs(const std::vector<npy::Array> &args) const {
  if (args.size() != sig.inputs.size())
    return makeError("@" + sig.entry + " takes " +
                     std::to_string(sig.inputs.size()) + " inputs, got " +
                     std::to_string(args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    const TensorSignature &want = sig.inputs[i];
    const npy::Array &a = args[i];
    std::string what = "input " + std::to_string(i);
    if (a.dtype != want.dtype)
      return makeError(what + " has dtype " + npy::dtypeName(a.dtype) +
                       ", but @" + sig.entry + " expects " +
                       npy::dtypeName(want.dtype));
    bool ok = a.shape.size() == want.shape.size();
    for (size_t d = 0; ok && d < a.shape.size(); ++d)
      ok = want.shape[d] < 0 || want.shape[d] == a.shape[d];
    if (!ok)
      return makeError(what + " has shape " + npy::formatShape(a.shape) + ", but @" +
                       sig.entry + " expects " + npy::formatShape(want.shape));
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
  for (const TensorSignature &s : sig.results)
    resultWords += 3 + 2 * s.shape.size();
  std::vector<int64_t> resultStorage(std::max<size_t>(resultWords, 1));

  std::vector<void *> pointers; // the ciface arguments
  if (!sig.results.empty())
    pointers.push_back(resultStorage.data());
  for (auto &d : argDescs)
    pointers.push_back(d.data());
  entryFn(pointers.data());
  if (llvm::Error err = takeCUDAError("running @" + sig.entry)) {
    // The results may be garbage (or never written): do not read them.
    return std::move(err);
  }

  // Copy results out (any strides), then release their buffers.
  std::vector<npy::Array> results;
  std::set<void *> released;
  int64_t *cursor = resultStorage.data();
  for (const TensorSignature &sig : sig.results) {
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
