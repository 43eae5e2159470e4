//===- MergeGPUModules.cpp - all kernels in one gpu.module ----------*- C++
//-*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// gpu-kernel-outlining gives every kernel a gpu.module of its own, which
// becomes a binary of its own: as many PTX files, cubins and module loads
// as kernels. Moving the kernels into one module gives one PTX/cubin per
// model and one load.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMMERGEGPUMODULES
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct TfmMergeGPUModulesPass
    : mlir::tfm::impl::TfmMergeGPUModulesBase<TfmMergeGPUModulesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> gpuModules(module.getOps<gpu::GPUModuleOp>());
    if (gpuModules.empty())
      return;
    SymbolTable top(module);
    if (Operation *clash = top.lookup(moduleName)) {
      clash->emitError() << "tfm-merge-gpu-modules: the symbol '" << moduleName
                         << "' is already taken";
      return signalPassFailure();
    }
    OpBuilder b(gpuModules.front());
    auto merged =
        gpu::GPUModuleOp::create(b, gpuModules.front().getLoc(), moduleName);
    SymbolTable mergedSymbols(merged);
    llvm::DenseMap<Attribute, Attribute> renamed;
    for (gpu::GPUModuleOp old : gpuModules) {
      if (old->getAttrDictionary().size() > 1) { // sym_name, nothing else
        old.emitError("tfm-merge-gpu-modules: cannot merge a gpu.module that "
                      "carries targets or attributes; run before "
                      "nvvm-attach-target");
        return signalPassFailure();
      }
      for (Operation &op :
           llvm::make_early_inc_range(old.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        if (!symbol)
          continue;
        StringAttr oldName = symbol.getNameAttr();
        op.moveBefore(merged.getBody(), merged.getBody()->end());
        // Outlined kernels have unique names; anything else that clashes
        // (a duplicated helper) is renamed.
        StringAttr newName = mergedSymbols.insert(&op);
        renamed[SymbolRefAttr::get(old.getNameAttr(),
                                   {FlatSymbolRefAttr::get(oldName)})] =
            SymbolRefAttr::get(merged.getNameAttr(),
                               {FlatSymbolRefAttr::get(newName)});
      }
      old->erase();
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find(launch.getKernel());
      if (it != renamed.end())
        launch.setKernelAttr(cast<SymbolRefAttr>(it->second));
    });
  }
};
} // namespace
