//===- Pipelines.cpp - tfm pass pipelines -------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Pipelines/Pipelines.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::tfm::buildTfmToCPUPipeline(OpPassManager &pm,
                                const TfmToCPUPipelineOptions &options) {
  // Imported ONNX nodes that were not raised to tfm ops: shapes first (ONNX
  // shape inference leaves exported graphs partly unranked), then upstream
  // ops. Constant operands the legalisation needs are still local here.
  pm.addPass(tfm::createTfmFoldOnnxShapes());
  pm.addPass(tfm::createConvertOnnxToLinalg());
  // Transformer tier -> linalg on tensors. Blocks become (shared) functions
  // first: small functions keep LLVM's compile time linear in the depth.
  pm.addPass(tfm::createTfmOutlineBlocks());
  pm.addPass(tfm::createConvertTfmToLinalg());
  // Graph-tier elementwise arith/math on tensors -> linalg.generic.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(tfm::createTfmFuseElementwise());
  pm.addPass(createCanonicalizerPass());

  // Tensors -> buffers, with deallocation.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createCanonicalizerPass());
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createConvertBufferizationToMemRefPass()); // clones -> alloc + copy

  // GEMMs -> runtime; everything else -> loops -> LLVM.
  if (options.useRuntimeGemm)
    pm.addPass(tfm::createConvertLinalgToTfmRuntime());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(tfm::createTfmLowerExpandShape());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(tfm::createTfmPolynomialMath());
  // LLVM intrinsics first (exp, sqrt, rsqrt...), libm for the rest (erf,
  // tanh): libm has no rsqrtf.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::tfm::registerTfmPipelines() {
  PassPipelineRegistration<TfmToCPUPipelineOptions>(
      "tfm-to-cpu",
      "Lower a model (tfm tier or linalg on tensors) to the LLVM dialect for "
      "the CPU",
      buildTfmToCPUPipeline);
}
