//===- GPULaunchBounds.cpp - occupancy of the tensor-core kernels ---------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Marks kernels that use warp-level mma.sync with a minimum number of
// resident blocks per SM (nvvm.minctasm), so that their register budget is
// declared rather than left to ptxas's occupancy heuristic.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPULAUNCHBOUNDS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmGPULaunchBoundsPass
    : mlir::tfm::impl::TfmGPULaunchBoundsBase<TfmGPULaunchBoundsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minBlocksPerSM == 0) {
      getOperation().emitError(
          "tfm-gpu-launch-bounds: min-blocks-per-sm must be at least 1");
      return signalPassFailure();
    }
    StringRef name = NVVM::NVVMDialect::getMinctasmAttrName();
    auto bound = IntegerAttr::get(IntegerType::get(&getContext(), 32),
                                  static_cast<int64_t>(minBlocksPerSM));
    for (auto fn : getOperation().getOps<gpu::GPUFuncOp>()) {
      if (!fn.isKernel() || fn->hasAttr(name))
        continue;
      bool usesMma = fn.walk([](NVVM::MmaOp) {
                         return WalkResult::interrupt();
                       }).wasInterrupted();
      if (usesMma)
        fn->setAttr(name, bound);
    }
  }
};
} // namespace
