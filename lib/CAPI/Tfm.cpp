//===- Tfm.cpp - the C API of the tfm compiler --------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm-c/Tfm.h"

#include "tfm/Compiler/Compiler.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::tfm;

struct TfmErrorImpl {
  std::string message;
};
struct TfmCompilerImpl {
  Compiler compiler;
};
struct TfmModelImpl {
  Compiler *compiler;
  OwningOpRef<ModuleOp> module;
};
struct TfmExecutableImpl {
  std::unique_ptr<CPUExecutable> exe;
  std::string signatureJSON;
};

static TfmError makeError(std::string message) {
  return new TfmErrorImpl{std::move(message)};
}

static TfmError toTfmError(llvm::Error err) {
  if (!err)
    return nullptr;
  return makeError(llvm::toString(std::move(err)));
}

static const npy::DType kDTypes[] = {
    npy::DType::F32, npy::DType::F64, npy::DType::F16, npy::DType::BF16,
    npy::DType::I64, npy::DType::I32, npy::DType::I16, npy::DType::I8,
    npy::DType::U8,  npy::DType::Bool};

static llvm::Expected<CompileOptions> toOptions(const TfmCompileOptions *c) {
  CompileOptions options;
  if (!c)
    return options;
  if (c->target) {
    auto t = parseCompileTarget(c->target);
    if (!t)
      return llvm::createStringError(llvm::Twine("unknown target '") + c->target +
                                     "' (cpu or cuda)");
    options.target = *t;
  }
  if (c->precision) {
    auto p = parsePrecision(c->precision);
    if (!p)
      return llvm::createStringError(llvm::Twine("unknown precision '") +
                                     c->precision + "' (f32, f16 or bf16)");
    options.precision = *p;
  }
  if (c->opt_level < 0 || c->opt_level > 3)
    return llvm::createStringError("opt_level " + llvm::Twine(c->opt_level) +
                                   " is not in 0..3");
  options.optLevel = c->opt_level;
  if (c->chip)
    options.chip = c->chip;
  if (c->passes)
    options.passes = c->passes;
  if (c->entry)
    options.entry = c->entry;
  return options;
}

extern "C" {

const char *tfmErrorMessage(TfmError error) {
  return error ? error->message.c_str() : "";
}

void tfmErrorDestroy(TfmError error) { delete error; }

void tfmCompileOptionsInit(TfmCompileOptions *options) {
  std::memset(options, 0, sizeof(*options));
  options->opt_level = 2;
}

TfmCompiler tfmCompilerCreate(void) { return new TfmCompilerImpl(); }

void tfmCompilerDestroy(TfmCompiler compiler) { delete compiler; }

TfmError tfmCompilerLoadModel(TfmCompiler compiler, const char *path,
                              TfmModel *model) {
  if (!compiler || !path || !model)
    return makeError("tfmCompilerLoadModel: null argument");
  auto module = compiler->compiler.loadModel(path);
  if (!module)
    return toTfmError(module.takeError());
  *model = new TfmModelImpl{&compiler->compiler, std::move(*module)};
  return nullptr;
}

void tfmModelDestroy(TfmModel model) { delete model; }

TfmError tfmModelOptimize(TfmModel model, const TfmCompileOptions *options) {
  if (!model)
    return makeError("tfmModelOptimize: null model");
  auto opts = toOptions(options);
  if (!opts)
    return toTfmError(opts.takeError());
  return toTfmError(model->compiler->optimize(*model->module, *opts));
}

TfmError tfmModelStatsJSON(TfmModel model, char **json) {
  if (!model || !json)
    return makeError("tfmModelStatsJSON: null argument");
  std::string s;
  llvm::raw_string_ostream os(s);
  printModelStatsJSON(model->compiler->stats(*model->module), os);
  *json = strdup(llvm::StringRef(s).trim().str().c_str());
  return nullptr;
}

TfmError tfmModelEmit(TfmModel model, const TfmCompileOptions *options,
                      const char *emit, const char *outputPath) {
  if (!model || !emit || !outputPath)
    return makeError("tfmModelEmit: null argument");
  auto opts = toOptions(options);
  if (!opts)
    return toTfmError(opts.takeError());
  auto kind = parseEmitKind(emit);
  if (!kind)
    return makeError(std::string("unknown emit kind '") + emit +
                     "' (mlir, mlirbc, llvm, ptx or obj)");
  std::string message;
  auto file = openOutputFile(outputPath, &message);
  if (!file)
    return makeError(message);
  if (llvm::Error err =
          model->compiler->emit(*model->module, *kind, *opts, file->os()))
    return toTfmError(std::move(err));
  file->keep();
  return nullptr;
}

TfmError tfmModelCompile(TfmModel model, const TfmCompileOptions *options,
                         const char *artifactPath) {
  if (!model || !artifactPath)
    return makeError("tfmModelCompile: null argument");
  auto opts = toOptions(options);
  if (!opts)
    return toTfmError(opts.takeError());
  auto artifact = model->compiler->compile(*model->module, *opts);
  if (!artifact)
    return toTfmError(artifact.takeError());
  return toTfmError(artifact->save(artifactPath));
}

TfmError tfmCompileFile(const char *modelPath, const TfmCompileOptions *options,
                        const char *artifactPath) {
  TfmCompilerImpl compiler;
  TfmModel model = nullptr;
  if (TfmError err = tfmCompilerLoadModel(&compiler, modelPath, &model))
    return err;
  std::unique_ptr<TfmModelImpl> owned(model);
  if (TfmError err = tfmModelOptimize(model, options))
    return err;
  return tfmModelCompile(model, options, artifactPath);
}

void tfmStringDestroy(char *string) { std::free(string); }

TfmError tfmExecutableLoad(const char *artifactPath, const char *entry,
                           TfmExecutable *executable) {
  if (!artifactPath || !executable)
    return makeError("tfmExecutableLoad: null argument");
  auto exe = loadArtifact(artifactPath, entry ? entry : "");
  if (!exe)
    return toTfmError(exe.takeError());
  auto *impl = new TfmExecutableImpl{std::move(*exe), {}};
  impl->signatureJSON = impl->exe->signature().toJSON();
  *executable = impl;
  return nullptr;
}

void tfmExecutableDestroy(TfmExecutable executable) { delete executable; }

size_t tfmExecutableNumInputs(TfmExecutable executable) {
  return executable ? executable->exe->inputs().size() : 0;
}

size_t tfmExecutableNumResults(TfmExecutable executable) {
  return executable ? executable->exe->results().size() : 0;
}

const char *tfmExecutableSignatureJSON(TfmExecutable executable) {
  return executable ? executable->signatureJSON.c_str() : "";
}

TfmError tfmExecutableRun(TfmExecutable executable, const TfmTensor *inputs,
                          size_t numInputs, TfmTensor **results,
                          size_t *numResults) {
  if (!executable || (numInputs && !inputs) || !results || !numResults)
    return makeError("tfmExecutableRun: null argument");
  std::vector<npy::Array> args;
  for (size_t i = 0; i < numInputs; ++i) {
    const TfmTensor &t = inputs[i];
    if (t.dtype < TFM_DTYPE_F32 || t.dtype > TFM_DTYPE_BOOL || t.rank < 0 ||
        (t.rank && !t.shape))
      return makeError("input " + std::to_string(i) +
                       ": bad dtype, rank or shape");
    npy::Array a;
    a.dtype = kDTypes[t.dtype];
    a.shape.assign(t.shape, t.shape + t.rank);
    for (int64_t d : a.shape)
      if (d < 0)
        return makeError("input " + std::to_string(i) + ": negative extent");
    size_t bytes = a.numElements() * npy::dtypeSize(a.dtype);
    if (bytes && !t.data)
      return makeError("input " + std::to_string(i) + ": null data");
    a.data.assign(static_cast<const uint8_t *>(t.data),
                  static_cast<const uint8_t *>(t.data) + bytes);
    args.push_back(std::move(a));
  }
  auto out = executable->exe->run(args);
  if (!out)
    return toTfmError(out.takeError());
  auto *tensors = static_cast<TfmTensor *>(
      std::calloc(std::max<size_t>(out->size(), 1), sizeof(TfmTensor)));
  for (size_t i = 0; i < out->size(); ++i) {
    const npy::Array &a = (*out)[i];
    TfmTensor &t = tensors[i];
    t.dtype = static_cast<TfmDType>(
        std::find(std::begin(kDTypes), std::end(kDTypes), a.dtype) -
        std::begin(kDTypes));
    t.rank = a.shape.size();
    t.shape = static_cast<int64_t *>(
        std::malloc(std::max<size_t>(t.rank, 1) * sizeof(int64_t)));
    std::copy(a.shape.begin(), a.shape.end(), t.shape);
    t.data = std::malloc(std::max<size_t>(a.data.size(), 1));
    std::memcpy(t.data, a.data.data(), a.data.size());
  }
  *results = tensors;
  *numResults = out->size();
  return nullptr;
}

void tfmTensorsDestroy(TfmTensor *tensors, size_t count) {
  if (!tensors)
    return;
  for (size_t i = 0; i < count; ++i) {
    std::free(tensors[i].shape);
    std::free(tensors[i].data);
  }
  std::free(tensors);
}

} // extern "C"
