//===- RaisePipeline.cpp - the tfm-raise pipeline ------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::tfm::buildTfmRaisePipeline(OpPassManager &pm) {
  pm.addPass(createTfmFoldOnnxShapes());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createTfmRaiseOnnx());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createTfmFormBlocks());
}

void mlir::tfm::registerTfmRaisePipeline() {
  PassPipelineRegistration<>(
      "tfm-raise",
      "Raise an imported ONNX graph to the tfm dialect: fold shape arithmetic, "
      "recognise layers, group them into classified tfm.block ops",
      [](OpPassManager &pm) { buildTfmRaisePipeline(pm); });
}
