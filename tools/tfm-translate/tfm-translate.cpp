//===- tfm-translate.cpp - translations into and out of tfm -------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Translates between external model formats and MLIR:
//   tfm-translate --import-onnx model.onnx -o model.mlir [--emit-bytecode]
// Nothing is written when the translation fails.
//
//===----------------------------------------------------------------------===//

#include "HelpOptions.h"
#include "tfm/InitAll.h"
#include "tfm/Support/Location.h"
#include "tfm/Target/ONNX/ImportONNX.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("tfm-translate options");

enum class Translation { None, ImportOnnx };

static cl::opt<Translation> translation(
    cl::desc("Translation:"), cl::init(Translation::None),
    cl::values(clEnumValN(Translation::ImportOnnx, "import-onnx",
                          "ONNX model (binary, or ONNX's textual syntax in "
                          ".onnxtxt) to tfm.onnx_node IR in func @main")),
    cl::cat(category));
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input file>"),
                                      cl::init("-"), cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Output file"),
                                       cl::value_desc("filename"),
                                       cl::init("-"), cl::cat(category));
static cl::opt<bool> emitBytecode("emit-bytecode",
                                  cl::desc("Write MLIR bytecode (.mlirbc)"),
                                  cl::cat(category));
static cl::opt<bool> allowUnsupported(
    "allow-unsupported-ops",
    cl::desc("Import nodes that convert-onnx-to-linalg cannot legalise "
             "(the result can be inspected, not run)"),
    cl::cat(category));
static cl::opt<int64_t> inlineLimit(
    "inline-elements",
    cl::desc("Tensors with more elements become dense_resource blobs"),
    cl::init(64), cl::cat(category));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  tfm::hideBackEndOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "tfm translation driver\n");

  if (translation == Translation::None) {
    llvm::errs() << "tfm-translate: choose a translation (--import-onnx)\n";
    return 2;
  }

  DialectRegistry registry;
  tfm::registerAllDialects(registry);
  MLIRContext context(registry);
  // "model.onnx: node '/h.0/attn/MatMul': error: ..." rather than raw locations.
  context.getDiagEngine().registerHandler([](Diagnostic &diag) {
    std::string where = tfm::describeLocation(diag.getLocation());
    if (!where.empty())
      where += ": ";
    const char *severity = diag.getSeverity() == DiagnosticSeverity::Error
                               ? "error"
                               : diag.getSeverity() == DiagnosticSeverity::Warning
                                     ? "warning"
                                     : "note";
    llvm::errs() << where << severity << ": " << diag << "\n";
    for (Diagnostic &note : diag.getNotes())
      llvm::errs() << "  note: " << note << "\n";
    return success();
  });

  tfm::OnnxImportOptions options;
  options.requireSupportedOps = !allowUnsupported;
  options.inlineElementLimit = inlineLimit;
  OwningOpRef<ModuleOp> module = tfm::importOnnxFile(inputFile, &context, options);
  if (!module)
    return 1;

  std::string error;
  auto output = openOutputFile(outputFile, &error);
  if (!output) {
    llvm::errs() << "tfm-translate: " << error << "\n";
    return 1;
  }
  if (emitBytecode) {
    if (failed(writeBytecodeToFile(*module, output->os())))
      return 1;
  } else {
    module->print(output->os());
  }
  output->keep();
  return 0;
}
