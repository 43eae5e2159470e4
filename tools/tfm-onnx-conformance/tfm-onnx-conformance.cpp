//===- tfm-onnx-conformance.cpp - ONNX backend node tests on the CPU -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// tfm-onnx-conformance [--testdata=DIR] [--filter=REGEX] [--report=OUT.json]
//                      [--xfail=FILE] [--jobs=N] [--timeout=SECONDS] [-v]
//
// Runs the ONNX backend node tests (DIR/<test>/model.onnx with
// test_data_set_N/{input,output}_K.pb) through tfm: import, the CPU pipeline
// (convert-onnx-to-linalg included) and the JIT, comparing every output with
// the backend suite's tolerances (rtol 1e-3, atol 1e-7; looser for f16 and
// bf16; integers and booleans exactly; NaNs equal).
//
// A test whose model uses an operator convert-onnx-to-linalg does not
// support (isOnnxOpSupported), subgraphs, non-tensor values or element types
// tfm cannot hold is "unsupported" and not run. Every other test passes or
// fails; failures listed in the --xfail file (one "TEST REASON" per line,
// '#' comments) are expected. The exit status is 1 when a test fails
// unexpectedly, 2 on bad usage, else 0.
//
// Tests run in forked processes (the parent's MLIRContext, with every
// dialect loaded, is shared copy-on-write), --jobs at a time, so that a
// crash or a hang fails one test and not the run.
//
//===----------------------------------------------------------------------===//

#include "ModelInfo.h"

#include "tfm/Conversion/OnnxToLinalg/OnnxToLinalg.h"
#include "tfm/Execution/CPUExecutor.h"
#include "tfm/InitAll.h"
#include "tfm/Runtime/Npy.h"
#include "tfm/Target/ONNX/ImportONNX.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Regex.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <signal.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

static cl::OptionCategory toolCat("tfm-onnx-conformance options");
static cl::opt<std::string>
    testdata("testdata", cl::desc("Directory of ONNX backend node tests"),
             cl::init("/usr/share/libonnx-testdata/data/node"), cl::cat(toolCat));
static cl::opt<std::string> filter("filter",
                                   cl::desc("Run only tests whose name matches "
                                            "this regular expression"),
                                   cl::cat(toolCat));
static cl::opt<std::string> reportFile("report",
                                       cl::desc("Write a JSON report here"),
                                       cl::cat(toolCat));
static cl::opt<std::string>
    xfailFile("xfail",
              cl::desc("Expected failures: one 'TEST REASON' per line"),
              cl::cat(toolCat));
static cl::opt<unsigned> jobs("jobs",
                              cl::desc("Tests run at once (default: one per "
                                       "CPU)"),
                              cl::init(0), cl::cat(toolCat));
static cl::opt<unsigned> timeoutSeconds("timeout",
                                        cl::desc("Seconds one test may take"),
                                        cl::init(120), cl::cat(toolCat));
static cl::opt<bool> verbose("v", cl::desc("Print every test's result"),
                             cl::cat(toolCat));

namespace {

enum class Status { Pass, Fail, Unsupported };

struct TestResult {
  std::string name;
  std::string op;
  Status status = Status::Fail;
  /// Why it failed, or what is unsupported.
  std::string reason;
  /// For unsupported tests: the operators/types/features not supported.
  std::vector<std::string> unsupported;
  bool expectedFailure = false; // listed in the xfail file
};

/// Element types tfm holds (the importer's mapping).
bool isSupportedTypeName(const std::string &t) {
  static const llvm::StringSet<> ok = {"FLOAT", "DOUBLE", "FLOAT16", "BFLOAT16",
                                       "INT64", "INT32", "INT16", "INT8",
                                       "BOOL"};
  return ok.contains(t);
}

/// The operator a test is about: the longest run of name words after "test_"
/// spelling an operator (case and underscores aside, a few abbreviations
/// the suite uses), else the model's first unsupported operator, else its
/// first operator other than Constant.
std::string primaryOp(llvm::StringRef name, const tfm_conformance::ModelInfo &info,
                      const llvm::StringMap<std::string> &opsByLowerName) {
  static const llvm::StringMap<std::string> aliases = {
      {"sce", "SoftmaxCrossEntropyLoss"},
      {"nllloss", "NegativeLogLikelihoodLoss"},
      {"batchnorm", "BatchNormalization"},
      {"instancenorm", "InstanceNormalization"},
      {"mvn", "MeanVarianceNormalization"},
      {"strnormalizer", "StringNormalizer"},
      {"simplernn", "RNN"},
      {"basicconv", "Conv"}};
  name.consume_front("test_");
  llvm::SmallVector<llvm::StringRef> words;
  name.split(words, '_');
  std::string acc, best;
  for (llvm::StringRef w : words) {
    acc += w.lower();
    auto it = opsByLowerName.find(acc);
    if (it != opsByLowerName.end())
      best = it->second;
    else if (auto a = aliases.find(acc); a != aliases.end())
      best = a->second;
  }
  if (!best.empty())
    return best;
  for (const auto &n : info.nodes)
    if (n.hasSubgraph || !isOnnxOpSupported(n.domain, n.opType, n.version))
      return n.opType;
  for (const auto &n : info.nodes)
    if (n.opType != "Constant")
      return n.opType;
  return info.nodes.empty() ? "(none)" : info.nodes.front().opType;
}

/// What in the model tfm does not support (empty when everything is).
std::vector<std::string> unsupportedFeatures(const tfm_conformance::ModelInfo &info) {
  std::set<std::string> keys;
  if (info.nonTensorValues)
    keys.insert("non-tensor graph values");
  for (const auto &n : info.nodes) {
    if (n.hasSubgraph)
      keys.insert(n.opType + " (subgraph)");
    else if (!isOnnxOpSupported(n.domain, n.opType, n.version))
      keys.insert((n.domain.empty() ? "" : n.domain + "::") + n.opType +
                  (isOnnxOpSupported(n.domain, n.opType, 17)
                       ? " (opset " + std::to_string(n.version) + ")"
                       : ""));
  }
  for (const std::string &t : info.elementTypes)
    if (!isSupportedTypeName(t))
      keys.insert("element type " + t);
  return {keys.begin(), keys.end()};
}

std::string oneLine(std::string s, size_t limit = 400) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  std::replace(s.begin(), s.end(), '\t', ' ');
  if (s.size() > limit)
    s = s.substr(0, limit) + "...";
  return s;
}

//===----------------------------------------------------------------------===//
// Comparing outputs
//===----------------------------------------------------------------------===//

/// Empty if `got` matches `want`, else why not.
std::string compare(const npy::Array &got, const npy::Array &want) {
  if (got.dtype != want.dtype)
    return std::string("dtype ") + npy::dtypeName(got.dtype).str() +
           ", expected " + npy::dtypeName(want.dtype).str();
  if (got.shape != want.shape)
    return "shape " + npy::formatShape(got.shape) + ", expected " +
           npy::formatShape(want.shape);
  int64_t n = want.numElements();
  if (!npy::isFloating(want.dtype)) {
    size_t size = npy::dtypeSize(want.dtype);
    for (int64_t i = 0; i < n; ++i)
      if (std::memcmp(got.data.data() + i * size, want.data.data() + i * size,
                      size) != 0)
        return "element " + std::to_string(i) + " is " +
               std::to_string(npy::loadAsDouble(got, i)) + ", expected " +
               std::to_string(npy::loadAsDouble(want, i));
    return {};
  }
  double rtol = 1e-3, atol = 1e-7;
  if (want.dtype == npy::DType::F16) {
    rtol = 4e-3;
    atol = 1e-3;
  } else if (want.dtype == npy::DType::BF16) {
    rtol = 1.6e-2;
    atol = 1e-2;
  }
  int64_t bad = 0, first = -1;
  double worst = 0;
  for (int64_t i = 0; i < n; ++i) {
    double g = npy::loadAsDouble(got, i), w = npy::loadAsDouble(want, i);
    if (std::isnan(g) && std::isnan(w))
      continue;
    if (std::isinf(w) || std::isinf(g)) {
      if (g == w)
        continue;
    } else if (std::fabs(g - w) <= atol + rtol * std::fabs(w)) {
      continue;
    }
    if (!bad++)
      first = i;
    worst = std::max(worst, std::fabs(g - w));
  }
  if (!bad)
    return {};
  std::string s;
  llvm::raw_string_ostream os(s);
  os << bad << " of " << n << " elements differ (max abs error " << worst
     << "); element " << first << " is " << npy::loadAsDouble(got, first)
     << ", expected " << npy::loadAsDouble(want, first);
  return s;
}

/// DIR/<prefix>_0.pb, DIR/<prefix>_1.pb, ... as long as they exist. The
/// backend suite stores bfloat16 data as UINT16: such tensors become BF16
/// where `bf16` (one flag per tensor, when known) says that is meant.
llvm::Expected<std::vector<npy::Array>> readTensors(llvm::StringRef dir,
                                                    llvm::StringRef prefix,
                                                    ArrayRef<bool> bf16) {
  static const std::map<std::string, npy::DType> dtypes = {
      {"FLOAT", npy::DType::F32},   {"DOUBLE", npy::DType::F64},
      {"FLOAT16", npy::DType::F16}, {"BFLOAT16", npy::DType::BF16},
      {"INT64", npy::DType::I64},   {"INT32", npy::DType::I32},
      {"INT16", npy::DType::I16},   {"INT8", npy::DType::I8},
      {"UINT8", npy::DType::U8},    {"BOOL", npy::DType::Bool}};
  std::vector<npy::Array> arrays;
  for (unsigned i = 0;; ++i) {
    llvm::SmallString<256> path(dir);
    llvm::sys::path::append(path, prefix + "_" + llvm::Twine(i) + ".pb");
    if (!llvm::sys::fs::exists(path))
      return arrays;
    tfm_conformance::TensorData data;
    if (auto err = tfm_conformance::readTensor(path.str().str(), data))
      return llvm::createStringError(*err);
    npy::Array a;
    auto it = dtypes.find(data.elementType);
    if (data.elementType == "UINT16" && i < bf16.size() && bf16[i])
      a.dtype = npy::DType::BF16;
    else if (it != dtypes.end())
      a.dtype = it->second;
    else
      return llvm::createStringError(path + ": element type " +
                                     data.elementType + " is not supported");
    a.shape = data.shape;
    if (static_cast<int64_t>(data.bytes.size()) !=
        a.numElements() * static_cast<int64_t>(npy::dtypeSize(a.dtype)))
      return llvm::createStringError(path + ": " +
                                     llvm::Twine(data.bytes.size()) +
                                     " bytes of data for shape " +
                                     npy::formatShape(a.shape));
    a.data.assign(data.bytes.begin(), data.bytes.end());
    arrays.push_back(std::move(a));
  }
}

//===----------------------------------------------------------------------===//
// One test (in a child process)
//===----------------------------------------------------------------------===//

/// Runs test `dir`; returns {status, reason}.
std::pair<Status, std::string> runTest(MLIRContext &context,
                                       const std::string &dir) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    if (!diagnostics.empty())
      diagnostics += "; ";
    diagnostics += diag.str();
    return success();
  });
  llvm::SmallString<256> model(dir);
  llvm::sys::path::append(model, "model.onnx");
  OwningOpRef<ModuleOp> module = importOnnxFile(model, &context);
  if (!module) {
    if (diagnostics.find("which tfm does not support") != std::string::npos)
      return {Status::Unsupported, "import: " + diagnostics};
    return {Status::Fail, "import failed: " + diagnostics};
  }
  auto exe = CPUExecutable::compile(*module, "main");
  if (!exe)
    return {Status::Fail, "compilation failed: " +
                              llvm::toString(exe.takeError()) + ": " +
                              diagnostics};

  std::vector<std::string> sets;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::filename(it->path()).starts_with("test_data_set_"))
      sets.push_back(it->path());
  std::sort(sets.begin(), sets.end());
  if (sets.empty())
    return {Status::Fail, "no test data sets"};
  for (const std::string &set : sets) {
    std::string where = llvm::sys::path::filename(set).str();
    SmallVector<bool> inBf16, outBf16;
    for (const TensorSignature &sig : (*exe)->inputs())
      inBf16.push_back(sig.dtype == npy::DType::BF16);
    for (const TensorSignature &sig : (*exe)->results())
      outBf16.push_back(sig.dtype == npy::DType::BF16);
    auto inputs = readTensors(set, "input", inBf16);
    if (!inputs)
      return {Status::Fail, where + ": " + llvm::toString(inputs.takeError())};
    auto expected = readTensors(set, "output", outBf16);
    if (!expected)
      return {Status::Fail, where + ": " + llvm::toString(expected.takeError())};
    auto results = (*exe)->run(*inputs);
    if (!results)
      return {Status::Fail, where + ": " + llvm::toString(results.takeError())};
    if (results->size() != expected->size())
      return {Status::Fail, where + ": " + std::to_string(results->size()) +
                                " outputs, expected " +
                                std::to_string(expected->size())};
    for (size_t i = 0; i < results->size(); ++i)
      if (std::string why = compare((*results)[i], (*expected)[i]); !why.empty())
        return {Status::Fail, where + " output " + std::to_string(i) + ": " + why};
  }
  return {Status::Pass, ""};
}

/// The child's side: runs the test and writes "STATUS\nREASON" to `out`.
[[noreturn]] void runChild(MLIRContext &context, const std::string &dir,
                           const std::string &out) {
  // Stray output of the JIT or LLVM goes to a side file, not the report.
  int errFd = ::open((out + ".stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (errFd >= 0) {
    ::dup2(errFd, 2);
    ::dup2(errFd, 1);
  }
  ::alarm(timeoutSeconds);
  auto [status, reason] = runTest(context, dir);
  std::error_code ec;
  llvm::raw_fd_ostream os(out, ec);
  if (!ec) {
    os << (status == Status::Pass ? "pass"
           : status == Status::Fail ? "fail"
                                    : "unsupported")
       << "\n"
       << oneLine(reason) << "\n";
    os.flush();
  }
  ::_exit(0);
}

/// The result a finished child left in `out`.
std::pair<Status, std::string> childResult(const std::string &out,
                                           int waitStatus) {
  auto buffer = llvm::MemoryBuffer::getFile(out);
  if (buffer) {
    auto [status, reason] = (*buffer)->getBuffer().split('\n');
    reason = reason.rtrim("\n");
    if (status == "pass")
      return {Status::Pass, ""};
    if (status == "fail")
      return {Status::Fail, reason.str()};
    if (status == "unsupported")
      return {Status::Unsupported, reason.str()};
  }
  std::string why;
  if (WIFSIGNALED(waitStatus))
    why = WTERMSIG(waitStatus) == SIGALRM
              ? "timed out after " + std::to_string(timeoutSeconds) + " s"
              : "crashed (signal " + std::to_string(WTERMSIG(waitStatus)) + ")";
  else
    why = "the test process exited with status " +
          std::to_string(WEXITSTATUS(waitStatus)) + " without a result";
  auto err = llvm::MemoryBuffer::getFile(out + ".stderr");
  if (err && !(*err)->getBuffer().empty())
    why += ": " + oneLine((*err)->getBuffer().take_back(300).str());
  return {Status::Fail, why};
}

//===----------------------------------------------------------------------===//
// Expected failures
//===----------------------------------------------------------------------===//

llvm::Expected<std::map<std::string, std::string>>
readXfails(llvm::StringRef path) {
  std::map<std::string, std::string> xfails;
  if (path.empty())
    return xfails;
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("cannot read " + path + ": " +
                                   buffer.getError().message());
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (auto [i, line] : llvm::enumerate(lines)) {
    line = line.split('#').first.trim();
    if (line.empty())
      continue;
    auto [test, reason] = line.split(' ');
    reason = reason.trim();
    if (reason.empty())
      return llvm::createStringError(path + ":" + llvm::Twine(i + 1) +
                                     ": '" + test +
                                     "' has no reason; write why it fails");
    xfails[test.str()] = reason.str();
  }
  return xfails;
}

} // namespace

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  cl::HideUnrelatedOptions(toolCat);
  cl::ParseCommandLineOptions(argc, argv,
                              "Run the ONNX backend node tests through tfm\n");

  llvm::Regex pattern(filter);
  std::string regexError;
  if (!filter.empty() && !pattern.isValid(regexError)) {
    llvm::errs() << "error: --filter: " << regexError << "\n";
    return 2;
  }
  auto xfails = readXfails(xfailFile);
  if (!xfails) {
    llvm::errs() << "error: " << llvm::toString(xfails.takeError()) << "\n";
    return 2;
  }
  std::vector<std::string> names;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(testdata, ec), end; it != end && !ec;
       it.increment(ec)) {
    std::string name = llvm::sys::path::filename(it->path()).str();
    llvm::SmallString<256> model(it->path());
    llvm::sys::path::append(model, "model.onnx");
    if (!llvm::sys::fs::exists(model))
      continue;
    if (filter.empty() || pattern.match(name))
      names.push_back(name);
  }
  if (ec) {
    llvm::errs() << "error: cannot read " << testdata << ": " << ec.message()
                 << "\n";
    return 2;
  }
  std::sort(names.begin(), names.end());

  llvm::StringMap<std::string> opsByLowerName;
  for (const std::string &op : tfm_conformance::allOperatorNames())
    opsByLowerName[llvm::StringRef(op).lower()] = op;

  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();

  llvm::SmallString<128> tmpDir;
  if (auto e = llvm::sys::fs::createUniqueDirectory("tfm-onnx-conformance",
                                                    tmpDir)) {
    llvm::errs() << "error: cannot create a temporary directory: "
                 << e.message() << "\n";
    return 2;
  }

  // Classify, then run the supported tests in children.
  std::vector<TestResult> results(names.size());
  std::vector<size_t> toRun;
  for (size_t i = 0; i < names.size(); ++i) {
    TestResult &r = results[i];
    r.name = names[i];
    llvm::SmallString<256> model(testdata);
    llvm::sys::path::append(model, names[i], "model.onnx");
    tfm_conformance::ModelInfo info;
    if (auto err = tfm_conformance::inspectModel(model.str().str(), info)) {
      r.op = "(unreadable)";
      r.status = Status::Fail;
      r.reason = *err;
      continue;
    }
    r.op = primaryOp(names[i], info, opsByLowerName);
    r.unsupported = unsupportedFeatures(info);
    if (!r.unsupported.empty()) {
      r.status = Status::Unsupported;
      continue;
    }
    toRun.push_back(i);
  }

  unsigned parallel = jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
  std::map<pid_t, size_t> running;
  auto outFile = [&](size_t i) {
    return (tmpDir + "/" + llvm::Twine(i) + ".result").str();
  };
  auto reap = [&]() {
    int waitStatus = 0;
    pid_t pid = ::waitpid(-1, &waitStatus, 0);
    if (pid <= 0)
      return;
    auto it = running.find(pid);
    if (it == running.end())
      return;
    size_t i = it->second;
    running.erase(it);
    auto [status, reason] = childResult(outFile(i), waitStatus);
    results[i].status = status;
    results[i].reason = reason;
    if (status == Status::Unsupported)
      results[i].unsupported.push_back(reason);
    if (verbose)
      llvm::outs() << names[i] << ": "
                   << (status == Status::Pass   ? "pass"
                       : status == Status::Fail ? "FAIL " + reason
                                                : "unsupported " + reason)
                   << "\n";
  };
  llvm::outs().flush();
  llvm::errs().flush();
  for (size_t i : toRun) {
    while (running.size() >= parallel)
      reap();
    pid_t pid = ::fork();
    if (pid == 0)
      runChild(context, testdata + "/" + names[i], outFile(i));
    if (pid < 0) {
      results[i].status = Status::Fail;
      results[i].reason = "fork failed";
      continue;
    }
    running[pid] = i;
  }
  while (!running.empty())
    reap();
  llvm::sys::fs::remove_directories(tmpDir);

  // Tally.
  struct Counts {
    unsigned pass = 0, fail = 0, xfail = 0, xpass = 0, unsupported = 0;
  };
  std::map<std::string, Counts> byOp;
  std::map<std::string, std::vector<std::string>> unsupportedBy;
  Counts total;
  for (TestResult &r : results) {
    Counts &c = byOp[r.op];
    bool listed = xfails->count(r.name);
    switch (r.status) {
    case Status::Pass:
      ++(listed ? c.xpass : c.pass);
      ++(listed ? total.xpass : total.pass);
      break;
    case Status::Fail:
      r.expectedFailure = listed;
      ++(listed ? c.xfail : c.fail);
      ++(listed ? total.xfail : total.fail);
      break;
    case Status::Unsupported:
      ++c.unsupported;
      ++total.unsupported;
      for (const std::string &k : r.unsupported)
        unsupportedBy[k].push_back(r.name);
      break;
    }
  }

  llvm::raw_ostream &os = llvm::outs();
  os << "ONNX backend node tests in " << testdata << ": " << results.size()
     << " tests\n\n";
  os << llvm::format("%-28s %6s %6s %6s %6s %12s\n", "op type", "pass", "fail",
                     "xfail", "xpass", "unsupported");
  for (const auto &[op, c] : byOp)
    os << llvm::format("%-28s %6u %6u %6u %6u %12u\n", op.c_str(), c.pass,
                       c.fail, c.xfail, c.xpass, c.unsupported);
  auto listTests = [&](bool expected) {
    for (const TestResult &r : results)
      if (r.status == Status::Fail && r.expectedFailure == expected)
        os << "  " << r.name << " (" << r.op << "): " << r.reason
           << (expected ? "\n      expected: " + (*xfails)[r.name] : "")
           << "\n";
  };
  if (total.fail) {
    os << "\nUnexpected failures:\n";
    listTests(false);
  }
  if (total.xfail) {
    os << "\nExpected failures:\n";
    listTests(true);
  }
  if (total.xpass) {
    os << "\nUnexpected passes (remove them from the xfail file):\n";
    for (const TestResult &r : results)
      if (r.status == Status::Pass && xfails->count(r.name))
        os << "  " << r.name << "\n";
  }
  if (total.unsupported) {
    os << "\nUnsupported (not run), by what is missing:\n";
    for (const auto &[what, tests] : unsupportedBy) {
      os << "  " << what << " (" << tests.size() << "):";
      for (const std::string &t : tests)
        os << " " << t;
      os << "\n";
    }
  }
  os << "\nSummary: " << results.size() << " tests: " << total.pass
     << " passed, " << total.fail + total.xfail << " failed ("
     << total.fail << " unexpected failures, " << total.xfail
     << " expected failures), " << total.xpass << " unexpected passes, "
     << total.unsupported << " unsupported\n";
  os.flush();

  if (!reportFile.empty()) {
    std::error_code fec;
    llvm::raw_fd_ostream out(reportFile, fec);
    if (fec) {
      llvm::errs() << "error: cannot write " << reportFile << ": "
                   << fec.message() << "\n";
      return 2;
    }
    llvm::json::OStream j(out, 2);
    j.object([&] {
      j.attribute("testdata", testdata);
      j.attributeObject("summary", [&] {
        j.attribute("tests", int64_t(results.size()));
        j.attribute("passed", int64_t(total.pass));
        j.attribute("unexpected_failures", int64_t(total.fail));
        j.attribute("expected_failures", int64_t(total.xfail));
        j.attribute("unexpected_passes", int64_t(total.xpass));
        j.attribute("unsupported", int64_t(total.unsupported));
      });
      j.attributeObject("ops", [&] {
        for (const auto &[op, c] : byOp)
          j.attributeObject(op, [&] {
            j.attribute("passed", int64_t(c.pass));
            j.attribute("failed", int64_t(c.fail));
            j.attribute("expected_failures", int64_t(c.xfail));
            j.attribute("unexpected_passes", int64_t(c.xpass));
            j.attribute("unsupported", int64_t(c.unsupported));
          });
      });
      j.attributeArray("tests", [&] {
        for (const TestResult &r : results)
          j.object([&] {
            j.attribute("name", r.name);
            j.attribute("op", r.op);
            std::string status =
                r.status == Status::Pass
                    ? (xfails->count(r.name) ? "unexpected-pass" : "pass")
                : r.status == Status::Fail
                    ? (r.expectedFailure ? "expected-failure" : "fail")
                    : "unsupported";
            j.attribute("status", status);
            if (!r.reason.empty())
              j.attribute("reason", r.reason);
            if (r.expectedFailure)
              j.attribute("expected_because", (*xfails)[r.name]);
            if (!r.unsupported.empty())
              j.attributeArray("missing", [&] {
                for (const std::string &k : r.unsupported)
                  j.value(k);
              });
          });
      });
    });
    out << "\n";
  }
  return total.fail ? 1 : 0;
}
