//===- CompilerTest.cpp - the C++ compiler API ---------------------------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Compiler/Compiler.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {

constexpr const char *kGelu = R"mlir(
func.func @main(%x: tensor<?x8xf32> {tfm.dim_names = ["rows"]}) -> tensor<?x8xf32> {
  %y = tfm.activation gelu %x : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
)mlir";

TEST(EntrySignatureTest, JSONRoundTrip) {
  EntrySignature sig;
  sig.entry = "forward";
  TensorSignature ids;
  ids.dtype = npy::DType::I64;
  ids.shape = {-1, 16};
  ids.dimNames = {"batch", ""};
  ids.idBound = 50257;
  TensorSignature out;
  out.dtype = npy::DType::BF16;
  out.shape = {4};
  out.dimNames = {""};
  sig.inputs = {ids};
  sig.results = {out};
  auto back = EntrySignature::fromJSON(sig.toJSON());
  ASSERT_TRUE(static_cast<bool>(back)) << llvm::toString(back.takeError());
  EXPECT_EQ(back->entry, "forward");
  ASSERT_EQ(back->inputs.size(), 1u);
  EXPECT_EQ(back->inputs[0].dtype, npy::DType::I64);
  EXPECT_EQ(back->inputs[0].shape, ids.shape);
  EXPECT_EQ(back->inputs[0].dimNames, ids.dimNames);
  EXPECT_EQ(back->inputs[0].idBound, 50257);
  ASSERT_EQ(back->results.size(), 1u);
  EXPECT_EQ(back->results[0].dtype, npy::DType::BF16);
}

TEST(EntrySignatureTest, MalformedRecordsAreErrors) {
  for (const char *bad :
       {"", "[]", "{\"entry\": \"main\"}",
        "{\"entry\":\"m\",\"inputs\":[{\"dtype\":\"float99\",\"shape\":[1],"
        "\"dim_names\":[\"\"],\"id_bound\":0}],\"results\":[]}",
        "{\"entry\":\"m\",\"inputs\":[{\"dtype\":\"float32\",\"shape\":[1,2],"
        "\"dim_names\":[\"\"],\"id_bound\":0}],\"results\":[]}"}) {
    auto sig = EntrySignature::fromJSON(bad);
    EXPECT_FALSE(static_cast<bool>(sig)) << bad;
    if (!sig)
      llvm::consumeError(sig.takeError());
  }
}

TEST(CompilerTest, CompileLoadRun) {
  Compiler compiler;
  auto module = compiler.parseModel(kGelu, "gelu.mlir");
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  CompileOptions options;
  ASSERT_FALSE(static_cast<bool>(compiler.optimize(**module, options)));
  auto artifact = compiler.compile(**module, options);
  ASSERT_TRUE(static_cast<bool>(artifact)) << llvm::toString(artifact.takeError());
  EXPECT_EQ(artifact->signature.inputs[0].dimNames[0], "rows");
  // The module stays at its tier: compile lowers a copy.
  std::string text;
  llvm::raw_string_ostream os(text);
  (*module)->print(os);
  EXPECT_NE(text.find("tfm.activation"), std::string::npos);

  auto exe = artifact->load();
  ASSERT_TRUE(static_cast<bool>(exe)) << llvm::toString(exe.takeError());
  npy::Array x;
  x.dtype = npy::DType::F32;
  x.shape = {3, 8};
  x.data.resize(3 * 8 * sizeof(float));
  auto *xs = reinterpret_cast<float *>(x.data.data());
  for (int i = 0; i < 24; ++i)
    xs[i] = 0.25f * (i - 12);
  auto out = (*exe)->run({x});
  ASSERT_TRUE(static_cast<bool>(out)) << llvm::toString(out.takeError());
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].shape, x.shape);
  const auto *ys = reinterpret_cast<const float *>((*out)[0].data.data());
  for (int i = 0; i < 24; ++i) {
    double v = xs[i];
    double want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    EXPECT_NEAR(ys[i], want, 1e-6) << "at " << i;
  }
}

TEST(CompilerTest, FailuresCarryLocatedDiagnostics) {
  Compiler compiler;
  std::vector<CompilerDiagnostic> seen;
  compiler.setDiagnosticCallback(
      [&](const CompilerDiagnostic &d) { seen.push_back(d); });
  auto module = compiler.parseModel("func.func @main() {\n  %x = tfm.nope\n}\n",
                                    "broken.mlir");
  ASSERT_FALSE(static_cast<bool>(module));
  std::string message = llvm::toString(module.takeError());
  EXPECT_NE(message.find("cannot parse broken.mlir"), std::string::npos) << message;
  EXPECT_NE(message.find("broken.mlir:2:"), std::string::npos) << message;
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front().severity, DiagnosticSeverity::Error);
  EXPECT_EQ(seen.front().location.rfind("broken.mlir:2:", 0), 0u);

  // Errors do not leak into the next failure's message.
  auto good = compiler.parseModel(kGelu, "gelu.mlir");
  ASSERT_TRUE(static_cast<bool>(good));
  CompileOptions options;
  options.entry = "forward";
  auto artifact = compiler.compile(**good, options);
  ASSERT_FALSE(static_cast<bool>(artifact));
  message = llvm::toString(artifact.takeError());
  EXPECT_EQ(message, "no function @forward in the module (it has @main)");

  options = CompileOptions();
  options.passes = "builtin.module(tfm-raise";
  llvm::Error err = compiler.optimize(**good, options);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("unbalanced"), std::string::npos);

  // A CUDA chip LLVM does not know, or a PTX ISA too old for the chip, is an
  // error before any lowering (LLVM would abort the process).
  options = CompileOptions();
  options.target = CompileTarget::CUDA;
  options.chip = "sm_42";
  err = compiler.optimize(**good, options);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("unsupported CUDA chip 'sm_42'"),
            std::string::npos);
  options.chip = "sm_90a";
  options.gpuFormat = "elf";
  err = compiler.optimize(**good, options);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("unknown GPU binary format 'elf'"),
            std::string::npos);
}

TEST(CompilerTest, EmitsPTXForCUDA) {
  Compiler::registerPasses();
  Compiler compiler;
  auto module = compiler.parseModel(R"mlir(
    func.func @main(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
      %0 = tfm.activation gelu %x : tensor<4x64xf32>
      return %0 : tensor<4x64xf32>
    })mlir",
                                    "gelu.mlir");
  ASSERT_TRUE(static_cast<bool>(module)) << llvm::toString(module.takeError());
  CompileOptions options;
  options.target = CompileTarget::CUDA;
  options.chip = "sm_80";
  std::string ptx;
  llvm::raw_string_ostream os(ptx);
  llvm::Error err = compiler.emit(**module, EmitKind::PTX, options, os);
  ASSERT_FALSE(static_cast<bool>(err)) << llvm::toString(std::move(err));
  EXPECT_NE(ptx.find(".target sm_80"), std::string::npos);
  EXPECT_NE(ptx.find("ld.global.v4.b32"), std::string::npos);
  // The caller's module is untouched: emit lowers a copy.
  bool stillTfm = false;
  (**module)->walk([&](Operation *op) {
    stillTfm |= op->getName().getStringRef() == "tfm.activation";
  });
  EXPECT_TRUE(stillTfm);
  // PTX of a CPU target is an error.
  options.target = CompileTarget::CPU;
  options.chip = "";
  err = compiler.emit(**module, EmitKind::PTX, options, os);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_EQ(llvm::toString(std::move(err)), "--emit=ptx needs --target=cuda");
}

TEST(CompilerTest, DefaultPipelines) {
  EXPECT_EQ(Compiler::defaultPipeline(0), "");
  EXPECT_EQ(Compiler::defaultPipeline(1), "tfm-raise");
  EXPECT_EQ(Compiler::defaultPipeline(2), Compiler::defaultPipeline(3));
  EXPECT_NE(Compiler::defaultPipeline(2).find("tfm-fuse-parallel-branches"),
            std::string::npos);
}

} // namespace
