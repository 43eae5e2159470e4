//===- CAPITest.cpp - the C API ------------------------------------------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm-c/Tfm.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <string>

namespace {

/// A file under the system temp directory, removed at scope exit.
struct TempFile {
  explicit TempFile(const char *suffix) {
    llvm::SmallString<128> p;
    llvm::sys::fs::createTemporaryFile("tfm-capi", suffix, p);
    path = p.str().str();
  }
  ~TempFile() { llvm::sys::fs::remove(path); }
  std::string path;
};

std::string messageOf(TfmError err) {
  std::string m = tfmErrorMessage(err);
  tfmErrorDestroy(err);
  return m;
}

TEST(CAPITest, CompileLoadRun) {
  TempFile model(".mlir"), artifact(".o");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(model.path, ec);
    ASSERT_FALSE(ec);
    os << "func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {\n"
          "  %y = tfm.activation relu %x : tensor<2x3xf32>\n"
          "  return %y : tensor<2x3xf32>\n}\n";
  }
  TfmCompileOptions options;
  tfmCompileOptionsInit(&options);
  EXPECT_EQ(options.opt_level, 2);
  TfmError err = tfmCompileFile(model.path.c_str(), &options, artifact.path.c_str());
  ASSERT_EQ(err, nullptr) << messageOf(err);

  TfmExecutable exe = nullptr;
  err = tfmExecutableLoad(artifact.path.c_str(), nullptr, &exe);
  ASSERT_EQ(err, nullptr) << messageOf(err);
  EXPECT_EQ(tfmExecutableNumInputs(exe), 1u);
  EXPECT_EQ(tfmExecutableNumResults(exe), 1u);
  EXPECT_NE(std::string(tfmExecutableSignatureJSON(exe)).find("\"shape\":[2,3]"),
            std::string::npos);

  float data[6] = {-1, 2, -3, 4, -5, 6};
  int64_t shape[2] = {2, 3};
  TfmTensor input = {TFM_DTYPE_F32, 2, shape, data};
  TfmTensor *results = nullptr;
  size_t n = 0;
  err = tfmExecutableRun(exe, &input, 1, &results, &n);
  ASSERT_EQ(err, nullptr) << messageOf(err);
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(results[0].dtype, TFM_DTYPE_F32);
  ASSERT_EQ(results[0].rank, 2);
  EXPECT_EQ(results[0].shape[1], 3);
  const float *y = static_cast<const float *>(results[0].data);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(y[i], std::max(data[i], 0.0f));
  tfmTensorsDestroy(results, n);

  // Wrong input: an error, not a crash.
  TfmTensor wrong = {TFM_DTYPE_I64, 2, shape, data};
  err = tfmExecutableRun(exe, &wrong, 1, &results, &n);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(messageOf(err), "input 0 has dtype int64, but @main expects float32");
  tfmExecutableDestroy(exe);
}

TEST(CAPITest, BadArgumentsAreErrors) {
  TfmCompileOptions options;
  tfmCompileOptionsInit(&options);
  options.target = "tpu";
  TfmCompiler compiler = tfmCompilerCreate();
  TfmModel model = nullptr;
  TfmError err = tfmCompilerLoadModel(compiler, "/no/such/model.onnx", &model);
  ASSERT_NE(err, nullptr);
  EXPECT_NE(messageOf(err).find("/no/such/model.onnx"), std::string::npos);
  err = tfmCompilerLoadModel(nullptr, nullptr, nullptr);
  ASSERT_NE(err, nullptr);
  tfmErrorDestroy(err);
  err = tfmModelOptimize(nullptr, &options);
  ASSERT_NE(err, nullptr);
  tfmErrorDestroy(err);
  err = tfmCompileFile("/no/such/model.onnx", &options, "/tmp/x.o");
  ASSERT_NE(err, nullptr);
  tfmErrorDestroy(err);
  TfmExecutable exe = nullptr;
  err = tfmExecutableLoad("/no/such/artifact.o", nullptr, &exe);
  ASSERT_NE(err, nullptr);
  EXPECT_NE(messageOf(err).find("cannot read /no/such/artifact.o"), std::string::npos);
  tfmCompilerDestroy(compiler);
}

} // namespace
