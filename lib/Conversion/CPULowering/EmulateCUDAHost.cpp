//===- EmulateCUDAHost.cpp - the CUDA program's host side on the CPU ------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// What is left of a CUDA program once its kernels run on the CPU
// (tfm-emulate-gpu-launches): GPU memory operations become their host
// equivalents and calls into the CUDA runtime go to its CPU stand-in.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMEMULATECUDAHOST
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kRuntimePrefix = "tfm_cuda_";
constexpr llvm::StringLiteral kEmulatedPrefix = "tfm_emulated_cuda_";

struct TfmEmulateCUDAHostPass
    : mlir::tfm::impl::TfmEmulateCUDAHostBase<TfmEmulateCUDAHostPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    WalkResult launches = module.walk([](Operation *op) {
      if (!isa<gpu::LaunchOp, gpu::LaunchFuncOp>(op))
        return WalkResult::advance();
      op->emitError("tfm-emulate-cuda-host: expected no kernel launches "
                    "(run tfm-emulate-gpu-launches first)");
      return WalkResult::interrupt();
    });
    if (launches.wasInterrupted())
      return signalPassFailure();

    // GPU memory -> host memory; stream waits have nothing to wait for.
    SmallVector<Operation *> memoryOps;
    module.walk([&](Operation *op) {
      if (isa<gpu::AllocOp, gpu::DeallocOp, gpu::MemcpyOp, gpu::WaitOp>(op))
        memoryOps.push_back(op);
    });
    for (Operation *op : memoryOps) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      LogicalResult done =
          TypeSwitch<Operation *, LogicalResult>(op)
              .Case([&](gpu::AllocOp alloc) -> LogicalResult {
                MemRefType type = alloc.getType();
                if (type.getMemorySpace())
                  return alloc.emitError("tfm-emulate-cuda-host: expected "
                                         "a buffer in the default memory "
                                         "space");
                Value host = memref::AllocOp::create(
                    b, loc, type, alloc.getDynamicSizes(),
                    alloc.getSymbolOperands(), IntegerAttr());
                alloc.getMemref().replaceAllUsesWith(host);
                return success();
              })
              .Case([&](gpu::DeallocOp dealloc) {
                memref::DeallocOp::create(b, loc, dealloc.getMemref());
                return success();
              })
              .Case([&](gpu::MemcpyOp copy) {
                memref::CopyOp::create(b, loc, copy.getSrc(), copy.getDst());
                return success();
              })
              .Default([](Operation *) { return success(); });
      if (failed(done))
        return signalPassFailure();
    }
    // Users of the async tokens come later: erase from the last op back.
    for (Operation *op : llvm::reverse(memoryOps)) {
      for (Value result : op->getResults())
        for (Operation *user : result.getUsers())
          if (!llvm::is_contained(memoryOps, user)) {
            user->emitError("tfm-emulate-cuda-host: an async token of a "
                            "GPU memory operation is used here");
            return signalPassFailure();
          }
      op->erase();
    }

    // Runtime calls -> the CPU stand-in.
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      StringRef name = fn.getSymName();
      if (!name.starts_with(kRuntimePrefix))
        continue;
      auto renamed = StringAttr::get(
          &getContext(),
          kEmulatedPrefix + name.drop_front(kRuntimePrefix.size()));
      if (failed(SymbolTable::replaceAllSymbolUses(fn, renamed, module)))
        return signalPassFailure();
      fn.setSymName(renamed);
    }
  }
};

} // namespace
