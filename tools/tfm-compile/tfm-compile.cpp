//===- tfm-compile.cpp - the end-to-end tfm driver ----------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// tfm-compile MODEL(.onnx|.mlir|.mlirbc) -o OUT [--target=cpu|cuda]
//   [--chip=NAME] [--precision=f32|f16|bf16] [-O0|-O1|-O2|-O3]
//   [--passes=PIPELINE] [--emit=obj|mlir|mlirbc|llvm|ptx] [--entry=NAME]
//   [--model-stats=PATH] [--mlir-timing] [--mlir-print-ir-after-all] ...
//
// Imports the model, runs the transformer pipeline, and writes an artifact
// (--emit=obj, the default: an object file that tfm-run and the C API load)
// or stops at an earlier tier. Exit status: 0 success, 1 failure.
//
//===----------------------------------------------------------------------===//

#include "HelpOptions.h"
#include "LoweringFlags.h"
#include "tfm/Compiler/Compiler.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::tfm;
namespace cl = llvm::cl;

static cl::OptionCategory compileCat("tfm-compile options");
static cl::opt<std::string> inputFile(cl::Positional,
                                      cl::desc("<model .onnx|.onnxtxt|.mlir|.mlirbc>"),
                                      cl::Required, cl::cat(compileCat));
static cl::opt<std::string> outputFile("o", cl::desc("Output file ('-' for stdout)"),
                                       cl::value_desc("path"), cl::Required,
                                       cl::cat(compileCat));
static cl::opt<std::string>
    target("target", cl::desc("Code generation target: cpu (default) or cuda"),
           cl::init("cpu"), cl::cat(compileCat));
static cl::opt<std::string>
    chip("chip",
         cl::desc("cpu: an LLVM CPU name (default: this machine's); "
                  "cuda: sm_80, sm_86, sm_89, sm_90, sm_90a (default), ..."),
         cl::init(""), cl::cat(compileCat));
static cl::opt<std::string>
    precision("precision",
              cl::desc("Compute type of the transformer ops: f32 (default: "
                       "as given), bf16 or f16 (f32 accumulation; the "
                       "interface stays f32)"),
              cl::init("f32"), cl::cat(compileCat));
static cl::opt<char>
    optLevel("O",
             cl::desc("Optimisation level: -O0 lowers the model as imported, "
                      "-O1 raises it to the tfm tier, -O2 (default) and -O3 "
                      "add the exact simplifications (fold identity weights, "
                      "fuse parallel branches); LLVM runs at the same level"),
             cl::Prefix, cl::init('2'), cl::cat(compileCat));
static cl::opt<std::string>
    passes("passes",
           cl::desc("Pass pipeline to run instead of the -O one, e.g. "
                    "'tfm-raise,tfm-fuse-parallel-branches' (see tfm-opt "
                    "--help for the passes)"),
           cl::init(""), cl::cat(compileCat));
static cl::opt<std::string>
    emit("emit",
         cl::desc("What to write: obj (default; the artifact: an object file "
                  "tfm-run and the C API load), mlir or mlirbc (the optimised "
                  "model), llvm (LLVM IR of the host code), ptx or cubin "
                  "(the kernels, --target=cuda)"),
         cl::init("obj"), cl::cat(compileCat));
static cl::opt<std::string>
    gpuFormat("gpu-format",
              cl::desc("--target=cuda: the kernel binary in the artifact: "
                       "ptx (compiled by the driver at load), cubin or fatbin "
                       "(default: cubin if the CUDA Toolkit is found, else "
                       "ptx)"),
              cl::init(""), cl::cat(compileCat));
static cl::opt<std::string> entry("entry", cl::desc("Function to compile"),
                                  cl::init("main"), cl::cat(compileCat));
static cl::opt<std::string>
    statsFile("model-stats",
              cl::desc("Write the optimised model's statistics (tfm-stats "
                       "JSON) to this file ('-' for stdout)"),
              cl::value_desc("path"), cl::init(""), cl::cat(compileCat));
static LoweringFlags loweringFlags(compileCat);

static cl::opt<bool> printRemarks("print-remarks",
                                  cl::desc("Print the passes' remarks (what "
                                           "they rewrote) besides warnings"),
                                  cl::cat(compileCat));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "tfm-compile: error: " << msg << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // Before the pass-manager options, whose parsers list the passes.
  Compiler::registerPasses();
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  hideBackEndOptions(compileCat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "tfm-compile: import a transformer model, optimise it, and compile it "
      "for the CPU or a CUDA GPU (or stop at an earlier tier)\n");

  CompileOptions options;
  auto t = parseCompileTarget(target);
  if (!t)
    return fail("--target=" + target + ": expected cpu or cuda");
  options.target = *t;
  auto p = parsePrecision(precision);
  if (!p)
    return fail("--precision=" + precision + ": expected f32, f16 or bf16");
  options.precision = *p;
  if (optLevel < '0' || optLevel > '3')
    return fail("-O" + std::string(1, optLevel.getValue()) +
                ": expected -O0, -O1, -O2 or -O3");
  options.optLevel = optLevel - '0';
  options.chip = chip;
  options.passes = passes;
  options.entry = entry;
  if (llvm::Error err = loweringFlags.apply(options))
    return fail(llvm::toString(std::move(err)));
  options.gpuFormat = gpuFormat;
  if (!gpuFormat.empty() && options.target != CompileTarget::CUDA)
    return fail("--gpu-format needs --target=cuda");
  auto kind = parseEmitKind(emit);
  if (!kind)
    return fail("--emit=" + emit +
                ": expected obj, mlir, mlirbc, llvm, ptx or cubin");

  // The timers outlive the compiler that fills them.
  DefaultTimingManager timing;
  applyDefaultTimingManagerCLOptions(timing);
  TimingScope root = timing.getRootScope();
  Compiler compiler;
  compiler.setTimingScope(&root);
  compiler.setDiagnosticCallback([](const CompilerDiagnostic &d) {
    // Errors come back with the failure they explain.
    if (d.severity == DiagnosticSeverity::Warning ||
        (d.severity == DiagnosticSeverity::Remark && printRemarks))
      llvm::errs() << d.str() << "\n";
  });
  compiler.setPassManagerHook(
      [](PassManager &pm) { return applyPassManagerCLOptions(pm); });

  auto module = compiler.loadModel(inputFile);
  if (!module)
    return fail(llvm::toString(module.takeError()));
  if (llvm::Error err = compiler.optimize(**module, options))
    return fail(llvm::toString(std::move(err)));

  if (!statsFile.empty()) {
    std::string message;
    auto out = openOutputFile(statsFile, &message);
    if (!out)
      return fail(message);
    printModelStatsJSON(compiler.stats(**module), out->os());
    out->keep();
  }

  std::string message;
  auto out = openOutputFile(outputFile, &message);
  if (!out)
    return fail(message);
  if (llvm::Error err = compiler.emit(**module, *kind, options, out->os()))
    return fail(llvm::toString(std::move(err)));
  {
    TimingScope writing = root.nest("output");
    out->keep();
  }
  return 0;
}
