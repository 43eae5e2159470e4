//===- compile_and_run.cpp - tfm's C++ API from another project ---*- C++ -*-===//
//
// tfm-compile-and-run MODEL ARTIFACT [--input=IN.npy]... [--output=OUT.npy]...
//
// Loads MODEL (ONNX or MLIR), optimises it at -O2, prints its statistics,
// compiles it to ARTIFACT, loads that artifact back and runs it on the
// inputs, writing the results.
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/Compiler.h"
#include "tfm/Runtime/Npy.h"

#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

using namespace mlir::tfm;

static int fail(llvm::Error err) {
  llvm::errs() << "tfm-compile-and-run: " << llvm::toString(std::move(err)) << "\n";
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    llvm::errs() << "usage: tfm-compile-and-run MODEL ARTIFACT "
                    "[--input=IN.npy]... [--output=OUT.npy]...\n";
    return 2;
  }
  std::vector<std::string> inputs, outputs;
  for (int i = 3; i < argc; ++i) {
    llvm::StringRef arg = argv[i];
    if (arg.consume_front("--input="))
      inputs.push_back(arg.str());
    else if (arg.consume_front("--output="))
      outputs.push_back(arg.str());
  }

  Compiler compiler;
  compiler.setDiagnosticCallback([](const CompilerDiagnostic &d) {
    if (d.severity == mlir::DiagnosticSeverity::Warning)
      llvm::errs() << d.str() << "\n";
  });
  auto model = compiler.loadModel(argv[1]);
  if (!model)
    return fail(model.takeError());
  CompileOptions options; // cpu, -O2
  if (llvm::Error err = compiler.optimize(**model, options))
    return fail(std::move(err));
  ModelStats stats = compiler.stats(**model);
  llvm::outs() << "attention " << stats.attention << ", matmuls "
               << stats.matmuls << ", parameters " << stats.parameters << "\n";

  auto artifact = compiler.compile(**model, options);
  if (!artifact)
    return fail(artifact.takeError());
  if (llvm::Error err = artifact->save(argv[2]))
    return fail(std::move(err));
  llvm::outs() << "wrote " << argv[2] << ": @" << artifact->signature.entry
               << " with " << artifact->signature.inputs.size() << " inputs, "
               << artifact->signature.results.size() << " results\n";

  auto exe = loadArtifact(argv[2]);
  if (!exe)
    return fail(exe.takeError());
  std::vector<npy::Array> args;
  for (const std::string &path : inputs) {
    auto a = npy::readFile(path);
    if (!a)
      return fail(a.takeError());
    args.push_back(std::move(*a));
  }
  auto results = (*exe)->run(args);
  if (!results)
    return fail(results.takeError());
  for (size_t i = 0; i < results->size(); ++i) {
    llvm::outs() << "result " << i << ": "
                 << npy::formatShape((*results)[i].shape) << "\n";
    if (i < outputs.size())
      if (llvm::Error err = npy::writeFile(outputs[i], (*results)[i]))
        return fail(std::move(err));
  }
  return 0;
}
