//===- GPUAsync.cpp - stream-ordered launches, host waits on demand -------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every kernel, GEMM, copy and pool operation of tfm's CUDA runtime goes to
// one stream, so the only synchronisation host code needs is before it
// touches memory itself. This pass turns synchronous launches into async
// ones and places those waits (see the pass description).
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUASYNC
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// The runtime entry that blocks the host until the library stream is idle.
/// (Not `gpu.wait`: in the GPU dialect's model a wait only covers the tokens
/// it names, and one on a fresh token folds away.)
constexpr StringLiteral kSynchronize = "tfmCudaSynchronize";

/// True if `op` itself reads or writes memory from the host. GPU ops and
/// calls do not; ops with regions are looked into instead.
bool touchesMemory(Operation *op) {
  if (isa_and_nonnull<gpu::GPUDialect>(op->getDialect()) ||
      isa<func::CallOp>(op) || op->getNumRegions() != 0)
    return false;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return !isPure(op) && !op->hasTrait<OpTrait::IsTerminator>();
  return effects.hasEffect<MemoryEffects::Read>() ||
         effects.hasEffect<MemoryEffects::Write>();
}

/// Places the host waits of a module's functions.
class WaitPlacer {
public:
  WaitPlacer(ModuleOp module, func::FuncOp sync)
      : symbols(module), sync(sync) {}

  /// Inserts the waits `block` needs, given whether work may be queued when
  /// it starts; returns whether work may be queued at its end.
  bool place(Block &block, bool pending, bool waitBeforeReturn) {
    for (Operation &op : llvm::make_early_inc_range(block)) {
      bool regions = op.getNumRegions() != 0;
      bool isReturn = waitBeforeReturn && isa<func::ReturnOp>(op);
      // A loop that reads memory waits once, before it.
      if (pending && (isReturn || touchesMemory(&op) ||
                      (regions && touchesMemoryInside(&op)))) {
        OpBuilder b(&op);
        func::CallOp::create(b, op.getLoc(), sync, ValueRange{});
        pending = false;
      }
      if (regions) {
        // Nested blocks start after the op's own earlier work (a previous
        // iteration) or what was pending before it.
        bool inner = enqueuesInside(&op);
        for (Region &region : op.getRegions())
          for (Block &nested : region)
            place(nested, pending || inner, /*waitBeforeReturn=*/false);
        pending = pending || inner;
      } else if (auto call = dyn_cast<func::CallOp>(op)) {
        if (call.getCallee() == sync.getName())
          pending = false;
        else if (mayEnqueue(call))
          pending = true;
      } else if (isa<gpu::LaunchFuncOp, gpu::MemcpyOp, gpu::MemsetOp>(op)) {
        pending = true;
      }
    }
    return pending;
  }

private:
  /// True if `call` may queue GPU work: a runtime entry other than the
  /// synchronisation, an unknown external function, or a function of the
  /// module that may.
  bool mayEnqueue(func::CallOp call) {
    if (call.getCallee() == sync.getName())
      return false;
    auto callee = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!callee || callee.isExternal())
      return true;
    auto [it, inserted] = summaries.try_emplace(callee, true);
    if (!inserted)
      return it->second; // computed, or in progress (recursion: assume so)
    bool result = false;
    for (Block &block : callee.getBody())
      for (Operation &op : block)
        result = result || enqueues(&op);
    summaries[callee] = result;
    return result;
  }

  bool enqueues(Operation *op) {
    if (auto call = dyn_cast<func::CallOp>(op))
      return mayEnqueue(call);
    if (isa<gpu::LaunchFuncOp, gpu::MemcpyOp, gpu::MemsetOp>(op))
      return true;
    return enqueuesInside(op);
  }

  bool enqueuesInside(Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Operation &nested : block)
          if (enqueues(&nested))
            return true;
    return false;
  }

  static bool touchesMemoryInside(Operation *op) {
    WalkResult found = op->walk([&](Operation *nested) {
      return nested != op && touchesMemory(nested) ? WalkResult::interrupt()
                                                   : WalkResult::advance();
    });
    return found.wasInterrupted();
  }

  SymbolTable symbols;
  func::FuncOp sync;
  DenseMap<Operation *, bool> summaries;
};

struct TfmGPUAsyncPass : mlir::tfm::impl::TfmGPUAsyncBase<TfmGPUAsyncPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    Type token = gpu::AsyncTokenType::get(&getContext());
    auto sync = module.lookupSymbol<func::FuncOp>(kSynchronize);
    if (!sync) {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      sync = func::FuncOp::create(b, module.getLoc(), kSynchronize,
                                  b.getFunctionType({}, {}));
      sync.setPrivate();
    }
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (fn.isExternal())
        continue;
      SmallVector<gpu::LaunchFuncOp> launches;
      fn.walk([&](gpu::LaunchFuncOp op) {
        if (!op.getAsyncToken())
          launches.push_back(op);
      });
      for (gpu::LaunchFuncOp op : launches) {
        OpBuilder b(op);
        std::optional<gpu::KernelDim3> cluster;
        if (op.hasClusterSize())
          cluster = op.getClusterSizeOperandValues();
        gpu::LaunchFuncOp::create(
            b, op.getLoc(), op.getKernel(), op.getGridSizeOperandValues(),
            op.getBlockSizeOperandValues(), op.getDynamicSharedMemorySize(),
            op.getKernelOperands(), token, ValueRange{}, cluster);
        op.erase();
      }
    }
    // Waits last: the summaries look at launches, not at how they wait.
    WaitPlacer placer(module, sync);
    for (auto fn : module.getOps<func::FuncOp>())
      if (!fn.isExternal())
        // Work may be queued when a function is entered; a public one
        // (entry point) returns with its work done.
        for (Block &block : fn.getBody())
          placer.place(block, /*pending=*/true,
                       /*waitBeforeReturn=*/fn.isPublic());
  }
};

} // namespace
