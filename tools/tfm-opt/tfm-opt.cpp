//===- tfm-opt.cpp - the tfm optimizer driver ---------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// mlir-opt for transformer models: the tfm dialect and passes, plus the
// upstream dialects and passes tfm pipelines use.
//
//===----------------------------------------------------------------------===//

#include "tfm/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::tfm::registerAllDialects(registry);
  mlir::tfm::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "tfm optimizer driver\n", registry));
}
