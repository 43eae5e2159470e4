//===- tfm-run.cpp - run a model function on .npy inputs ----------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// tfm-run FILE(.mlir|.mlirbc) [--entry=NAME] [--input=PATH.npy]...
//   [--random-inputs --seed=N --dim=NAME=VALUE...] [--output=PATH.npy]...
//   [--expected=PATH.npy]... [--atol=A --rtol=R] [--repeat=N] [--device=cpu]
//
// Exit status: 0 success, 1 outputs differ from --expected, 2 bad usage or
// input (missing file, malformed .npy, wrong count/shape/dtype, a module
// that does not parse, verify or lower).
//
//===----------------------------------------------------------------------===//

#include "tfm/Execution/CPUExecutor.h"
#include "tfm/InitAll.h"
#include "tfm/Runtime/Npy.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
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
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model .mlir|.mlirbc>"),
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
static cl::opt<std::string> device("device", cl::desc("cpu"), cl::init("cpu"),
                                   cl::cat(runCat));
static cl::opt<bool> noRuntimeGemm("no-runtime-gemm",
                                   cl::desc("Lower matmuls to loops instead of "
                                            "calling the tuned GEMM"),
                                   cl::cat(runCat));

namespace {
constexpr int kExitMismatch = 1;
constexpr int kExitUsage = 2;

int fail(const llvm::Twine &msg) {
  llvm::errs() << "tfm-run: error: " << msg << "\n";
  return kExitUsage;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = (h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { // subnormal
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while (!(mant & 0x400));
      bits = sign | ((127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t floatToHalf(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = ((x >> 23) & 0xff) - 127 + 15;
  uint32_t mant = x & 0x7fffff;
  if (((x >> 23) & 0xff) == 0xff)
    return sign | 0x7c00u | (mant ? 0x200u : 0);
  if (exp >= 31)
    return sign | 0x7c00u;
  if (exp <= 0) {
    if (exp < -10)
      return sign;
    mant |= 0x800000u;
    uint32_t shift = 14 - exp;
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1)))
      ++half;
    return sign | half;
  }
  uint32_t half = sign | (exp << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1)))
    ++half;
  return half;
}

/// Element `i` of `a` as a double.
double elementAt(const npy::Array &a, int64_t i) {
  const uint8_t *p = a.data.data() + i * npy::dtypeSize(a.dtype);
  auto load = [&](auto v) {
    std::memcpy(&v, p, sizeof(v));
    return static_cast<double>(v);
  };
  switch (a.dtype) {
  case npy::DType::F32: return load(float());
  case npy::DType::F64: return load(double());
  case npy::DType::F16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
  }
  case npy::DType::BF16: {
    uint16_t h;
    std::memcpy(&h, p, 2);
    uint32_t bits = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
  }
  case npy::DType::I64: return load(int64_t());
  case npy::DType::I32: return load(int32_t());
  case npy::DType::I16: return load(int16_t());
  case npy::DType::I8: return load(int8_t());
  case npy::DType::U8: return load(uint8_t());
  case npy::DType::Bool: return *p ? 1.0 : 0.0;
  }
  return 0.0;
}

void storeElement(npy::Array &a, int64_t i, double v) {
  uint8_t *p = a.data.data() + i * npy::dtypeSize(a.dtype);
  auto store = [&](auto x) { std::memcpy(p, &x, sizeof(x)); };
  switch (a.dtype) {
  case npy::DType::F32: store(static_cast<float>(v)); break;
  case npy::DType::F64: store(v); break;
  case npy::DType::F16: store(floatToHalf(static_cast<float>(v))); break;
  case npy::DType::BF16: {
    float f = static_cast<float>(v);
    uint32_t bits;
    std::memcpy(&bits, &f, 4);
    bits += 0x7fff + ((bits >> 16) & 1);
    store(static_cast<uint16_t>(bits >> 16));
    break;
  }
  case npy::DType::I64: store(static_cast<int64_t>(v)); break;
  case npy::DType::I32: store(static_cast<int32_t>(v)); break;
  case npy::DType::I16: store(static_cast<int16_t>(v)); break;
  case npy::DType::I8: store(static_cast<int8_t>(v)); break;
  case npy::DType::U8: store(static_cast<uint8_t>(v)); break;
  case npy::DType::Bool: *p = v != 0.0; break;
  }
}

bool isFloat(npy::DType t) {
  return t == npy::DType::F32 || t == npy::DType::F64 ||
         t == npy::DType::F16 || t == npy::DType::BF16;
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
      if (isFloat(a.dtype))
        storeElement(a, e, normal(rng));
      else if (a.dtype == npy::DType::Bool)
        storeElement(a, e, 1.0);
      else
        storeElement(a, e, static_cast<double>(ints(rng)));
    }
    arrays.push_back(std::move(a));
  }
  return arrays;
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

/// Prints the error of one output; returns true if it is within tolerance.
bool compareOutput(unsigned index, const npy::Array &got, const npy::Array &want) {
  llvm::outs() << "output " << index << ": ";
  if (got.shape != want.shape) {
    llvm::outs() << "shape " << shapeStr(got.shape) << " differs from expected "
                 << shapeStr(want.shape) << ": MISMATCH\n";
    return false;
  }
  double maxAbs = 0, maxRel = 0;
  int64_t bad = 0, firstBad = -1;
  for (int64_t i = 0; i < got.numElements(); ++i) {
    double g = elementAt(got, i), w = elementAt(want, i);
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
                 << elementAt(got, firstBad) << ", expected "
                 << elementAt(want, firstBad) << ")\n";
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
  cl::ParseCommandLineOptions(argc, argv, "tfm-run: execute a model function on the CPU\n");

  if (device != "cpu")
    return fail("--device=" + device + " is not available in this build (use --device=cpu)");
  if (randomInputs && !inputs.empty())
    return fail("use either --input or --random-inputs, not both");

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry);
  context.allowUnregisteredDialects(false);

  llvm::SourceMgr sourceMgr;
  std::string errorMessage;
  auto file = openInputFile(inputFile, &errorMessage);
  if (!file)
    return fail(errorMessage);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("could not parse " + inputFile);

  CPUExecutableOptions options;
  options.runtimeGemm = !noRuntimeGemm;
  auto exe = CPUExecutable::compile(*module, entry, options);
  if (!exe)
    return fail(llvm::toString(exe.takeError()));

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
                " times, but @" + entry + " has " + std::to_string(numResults) +
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
                " times, but @" + entry + " has " + std::to_string(numResults) +
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
    if (isFloat(got.dtype) != isFloat(wanted[i].dtype))
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
