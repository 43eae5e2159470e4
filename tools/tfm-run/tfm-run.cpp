//===- tfm-run.cpp - run a model function on .npy inputs ----------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// tfm-run FILE(.mlir|.mlirbc|artifact) [--entry=NAME] [--input=PATH.npy]...
//   [--random-inputs --seed=N --dim=NAME=VALUE...] [--output=PATH.npy]...
//   [--expected=PATH.npy]... [--atol=A --rtol=R] [--repeat=N] [--device=cpu]
//   [--precision=f32|bf16|f16]
//
// Exit status: 0 success, 1 outputs differ from --expected, 2 bad usage or
// input (missing file, malformed .npy, wrong count/shape/dtype, a module
// that does not parse, verify or lower).
//
//===----------------------------------------------------------------------===//

#include "LoweringFlags.h"
#include "tfm/Compiler/Compiler.h"
#include "tfm/Execution/CPUExecutor.h"
#include "tfm/InitAll.h"
#include "tfm/Runtime/Npy.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"

#include <algorithm>
#include <malloc.h>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

static cl::OptionCategory runCat("tfm-run options");
static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model .mlir|.mlirbc, or an "
                                               "artifact from tfm-compile>"),
                                      cl::Required, cl::cat(runCat));
static cl::opt<std::string> entry("entry", cl::desc("Function to run"),
                                  cl::init("main"), cl::cat(runCat));
static cl::list<std::string> inputs("input", cl::desc("Input .npy, in argument order"),
                                    cl::cat(runCat));
static cl::opt<bool> randomInputs("random-inputs",
                                  cl::desc("Generate seeded random inputs"),
                                  cl::cat(runCat));
static cl::opt<unsigned> seed("seed", cl::desc("Seed for --random-inputs"),
                              cl::init(0), cl::cat(runCat));
static cl::list<std::string> dims("dim",
                                  cl::desc("NAME=VALUE: bind a dynamic dimension "
                                           "for --random-inputs"),
                                  cl::cat(runCat));
static cl::opt<int64_t> intMax("int-max",
                               cl::desc("Random integers are drawn from [0, N) "
                                        "unless they index a table"),
                               cl::init(16), cl::cat(runCat));
static cl::list<std::string> outputs("output", cl::desc("Write result .npy, in result order"),
                                     cl::cat(runCat));
static cl::list<std::string> expected("expected",
                                      cl::desc("Compare results with these .npy"),
                                      cl::cat(runCat));
static cl::opt<double> absTol("atol", cl::desc("Absolute tolerance"), cl::init(1e-5),
                            cl::cat(runCat));
static cl::opt<double> relTol("rtol", cl::desc("Relative tolerance"), cl::init(1e-5),
                            cl::cat(runCat));
static cl::opt<unsigned> repeat("repeat", cl::desc("Time N runs (after one warm-up)"),
                                cl::init(0), cl::cat(runCat));
static cl::opt<std::string>
    device("device",
           cl::desc("Where the model runs: cpu (default) or cuda (compiles "
                    "MLIR input for the GPU; an artifact runs where it was "
                    "compiled for)"),
           cl::init("cpu"), cl::cat(runCat));
static cl::opt<std::string>
    cudaChip("chip", cl::desc("--device=cuda: the GPU architecture (default "
                              "sm_90a)"),
             cl::init("sm_90a"), cl::cat(runCat));
static cl::opt<std::string>
    precision("precision",
              cl::desc("MLIR input: compute the transformer ops in f32 (as "
                       "given, the default), bf16 or f16 "
                       "(tfm-convert-precision); the interface stays"),
              cl::init("f32"), cl::cat(runCat));
static LoweringFlags loweringFlags(runCat);
static cl::opt<bool> emulateTensorCoreAttention(
    "emulate-tensor-core-attention",
    cl::desc("cpu: run fused bf16/f16 attention as the cuda tensor-core "
             "kernel, its warps emulated lane by lane (slow; checks that "
             "kernel without a GPU)"),
    cl::cat(runCat));
static cl::opt<bool> emulateGPUKernels(
    "emulate-gpu-kernels",
    cl::desc("cpu: build the program as the cuda target does and run it "
             "on the cpu: kernels block by block and thread by thread, "
             "cuBLASLt GEMM calls by a cpu stand-in (slow; checks that "
             "program without a GPU)"),
    cl::cat(runCat));
static cl::opt<bool> emulateInReverse(
    "emulate-in-reverse",
    cl::desc("with --emulate-gpu-kernels: run blocks and threads last to "
             "first (a race shows as a difference between the orders)"),
    cl::cat(runCat));

namespace {
constexpr int kExitMismatch = 1;
constexpr int kExitUsage = 2;

int fail(const llvm::Twine &msg) {
  llvm::errs() << "tfm-run: error: " << msg << "\n";
  return kExitUsage;
}

/// Seeded random arrays for every input; dynamic dims from --dim.
llvm::Expected<std::vector<npy::Array>>
makeRandomInputs(const std::vector<TensorSignature> &sigs) {
  llvm::StringMap<int64_t> bound;
  for (const std::string &d : dims) {
    auto [name, value] = llvm::StringRef(d).rsplit('=');
    int64_t v;
    if (value.empty() || value.getAsInteger(10, v) || v < 0)
      return llvm::createStringError("--dim expects NAME=VALUE with VALUE >= 0, got '" + d + "'");
    bound[name] = v;
  }
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<npy::Array> arrays;
  for (size_t i = 0; i < sigs.size(); ++i) {
    const TensorSignature &sig = sigs[i];
    npy::Array a;
    a.dtype = sig.dtype;
    for (size_t d = 0; d < sig.shape.size(); ++d) {
      if (sig.shape[d] >= 0) {
        a.shape.push_back(sig.shape[d]);
        continue;
      }
      auto it = bound.find(sig.dimNames[d]);
      if (it == bound.end())
        return llvm::createStringError(
            "input " + std::to_string(i) + " dimension " + std::to_string(d) +
            " is dynamic: bind it with --dim=" + sig.dimNames[d] + "=VALUE");
      a.shape.push_back(it->second);
    }
    a.data.resize(a.numElements() * npy::dtypeSize(a.dtype));
    int64_t hi = sig.idBound > 0 ? sig.idBound : intMax.getValue();
    std::uniform_int_distribution<int64_t> ints(0, std::max<int64_t>(hi, 1) - 1);
    for (int64_t e = 0; e < a.numElements(); ++e) {
      if (npy::isFloating(a.dtype))
        npy::storeFromDouble(a, e, normal(rng));
      else if (a.dtype == npy::DType::Bool)
        npy::storeFromDouble(a, e, 1.0);
      else
        npy::storeFromDouble(a, e, static_cast<double>(ints(rng)));
    }
    arrays.push_back(std::move(a));
  }
  return arrays;
}

/// Prints the error of one output; returns true if it is within tolerance.
bool compareOutput(unsigned index, const npy::Array &got, const npy::Array &want) {
  llvm::outs() << "output " << index << ": ";
  if (got.shape != want.shape) {
    llvm::outs() << "shape " << npy::formatShape(got.shape) << " differs from expected "
                 << npy::formatShape(want.shape) << ": MISMATCH\n";
    return false;
  }
  double maxAbs = 0, maxRel = 0;
  int64_t bad = 0, firstBad = -1;
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double g = npy::loadAsDouble(got, i), w = npy::loadAsDouble(want, i);
    bool bothNaN = std::isnan(g) && std::isnan(w);
    double err = bothNaN ? 0.0 : std::fabs(g - w);
    if (g == w)
      err = 0.0; // equal infinities
    if (std::isnan(err))
      err = INFINITY;
    double rel = err / std::max(std::fabs(w), 1e-30);
    maxAbs = std::max(maxAbs, err);
    maxRel = std::max(maxRel, err == 0 ? 0.0 : rel);
    if (err > absTol + relTol * std::fabs(w)) {
      if (firstBad < 0)
        firstBad = i;
      ++bad;
    }
  }
  llvm::outs() << llvm::format("max abs error %.3e, max rel error %.3e", maxAbs, maxRel)
               << llvm::format(" (atol %g, rtol %g)", absTol.getValue(), relTol.getValue());
  if (bad) {
    llvm::outs() << ": MISMATCH in " << bad << " of " << got.numElements()
                 << " elements (first at flat index " << firstBad << ": got "
                 << npy::loadAsDouble(got, firstBad) << ", expected "
                 << npy::loadAsDouble(want, firstBad) << ")\n";
    return false;
  }
  llvm::outs() << ": ok\n";
  return true;
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Compiled models allocate their buffers with malloc on every call. Keep
  // freed memory in the process instead of handing it back to the kernel,
  // so repeated runs do not page-fault their buffers in again each time.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  cl::HideUnrelatedOptions(runCat);
  cl::ParseCommandLineOptions(argc, argv, "tfm-run: execute a model function on the CPU or a CUDA GPU\n");

  if (device != "cpu" && device != "cuda")
    return fail("--device=" + device + ": expected cpu or cuda");
  if (randomInputs && !inputs.empty())
    return fail("use either --input or --random-inputs, not both");
  if ((emulateTensorCoreAttention || emulateGPUKernels) && device != "cpu")
    return fail(llvm::Twine("--") +
                (emulateGPUKernels ? "emulate-gpu-kernels"
                                   : "emulate-tensor-core-attention") +
                " runs on the cpu; the cuda device runs the kernels "
                "themselves");
  if (emulateInReverse && !emulateGPUKernels)
    return fail("--emulate-in-reverse needs --emulate-gpu-kernels");

  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file)
    return fail(errorMessage);

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.allowUnregisteredDialects(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);

  llvm::Expected<std::unique_ptr<CPUExecutable>> exe = nullptr;
  if (CPUExecutable::looksLikeObject(file->getBuffer())) {
    if (precision != "f32")
      return fail("--precision applies to MLIR input; an artifact computes in "
                  "the precision tfm-compile gave it");
    // An artifact from tfm-compile: its one entry unless --entry names one.
    exe = CPUExecutable::load(std::move(file),
                              entry.getNumOccurrences() ? entry.getValue() : "");
  } else {
    sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
    OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
    if (!module)
      return fail("could not parse " + inputFile);
    std::optional<Precision> narrow = parsePrecision(precision);
    if (!narrow)
      return fail("--precision=" + precision + ": expected f32, bf16 or f16");
    if (*narrow != Precision::F32) {
      PassManager pm(&context);
      addPrecisionPasses(pm, *narrow);
      if (failed(pm.run(*module)))
        return fail("--precision=" + precision + ": conversion failed");
    }
    CPUExecutableOptions options;
    if (llvm::Error err = loweringFlags.apply(options))
      return fail(llvm::toString(std::move(err)));
    options.emulateTensorCoreAttention = emulateTensorCoreAttention;
    options.emulateGPUKernels = emulateGPUKernels;
    options.emulateInReverse = emulateInReverse;
    if (device == "cuda") {
      CUDATargetOptions cuda;
      cuda.chip = cudaChip;
      options.cuda = cuda;
    }
    exe = CPUExecutable::compile(*module, entry, options);
  }
  if (!exe)
    return fail(llvm::toString(exe.takeError()));
  if ((*exe)->signature().target != device)
    return fail("the artifact was compiled for " + (*exe)->signature().target +
                ", not --device=" + device);
  const std::string &entryName = (*exe)->signature().entry;

  std::vector<npy::Array> args;
  if (randomInputs) {
    auto r = makeRandomInputs((*exe)->inputs());
    if (!r)
      return fail(llvm::toString(r.takeError()));
    args = std::move(*r);
  } else {
    for (const std::string &path : inputs) {
      auto a = npy::readFile(path);
      if (!a)
        return fail(llvm::toString(a.takeError()));
      args.push_back(std::move(*a));
    }
  }
  if (llvm::Error err = (*exe)->checkInputs(args))
    return fail(llvm::toString(std::move(err)));

  size_t numResults = (*exe)->results().size();
  if (outputs.size() > numResults)
    return fail("--output given " + std::to_string(outputs.size()) +
                " times, but @" + entryName + " has " + std::to_string(numResults) +
                " results");
  std::vector<npy::Array> wanted;
  for (const std::string &path : expected) {
    auto a = npy::readFile(path);
    if (!a)
      return fail(llvm::toString(a.takeError()));
    wanted.push_back(std::move(*a));
  }
  if (!wanted.empty() && wanted.size() != numResults)
    return fail("--expected given " + std::to_string(wanted.size()) +
                " times, but @" + entryName + " has " + std::to_string(numResults) +
                " results");

  auto results = (*exe)->run(args);
  if (!results)
    return fail(llvm::toString(results.takeError()));

  for (size_t i = 0; i < outputs.size(); ++i)
    if (llvm::Error err = npy::writeFile(outputs[i], (*results)[i]))
      return fail(llvm::toString(std::move(err)));

  int status = 0;
  for (size_t i = 0; i < wanted.size(); ++i) {
    const npy::Array &got = (*results)[i];
    if (npy::isFloating(got.dtype) != npy::isFloating(wanted[i].dtype))
      return fail("expected output " + std::to_string(i) + " has dtype " +
                  npy::dtypeName(wanted[i].dtype).str() + ", but the result is " +
                  npy::dtypeName(got.dtype).str());
    if (!compareOutput(i, got, wanted[i]))
      status = kExitMismatch;
  }

  if (repeat > 0) {
    std::vector<double> ms;
    for (unsigned r = 0; r < repeat; ++r) {
      auto start = std::chrono::steady_clock::now();
      auto again = (*exe)->run(args);
      auto stop = std::chrono::steady_clock::now();
      if (!again)
        return fail(llvm::toString(again.takeError()));
      ms.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
    }
    std::sort(ms.begin(), ms.end());
    double median = ms.size() % 2 ? ms[ms.size() / 2]
                                  : 0.5 * (ms[ms.size() / 2 - 1] + ms[ms.size() / 2]);
    llvm::outs() << llvm::format("latency: median %.3f ms, min %.3f ms over %u runs\n",
                                 median, ms.front(), repeat.getValue());
  }
  return status;
}
