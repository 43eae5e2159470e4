//===- UnshareInits.cpp - one init per destination-style op ---------------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// CSE merges identical linalg.fill and linalg.broadcast ops: two linears of
// the same output shape then start from one zero-filled (or bias-filled)
// tensor. Bufferization can write only one of them in place; every other
// GEMM gets a copy of the filled buffer, which also hides the fill from the
// runtime GEMM's beta = 0 and bias-epilogue matching. Refilling per user
// costs the same pass over memory as the copy and keeps each GEMM's init
// its own.
//
// CSE also merges the tensor.empty ops kernels write into; bufferization
// then writes kernels in sequence into one buffer in place. That ties
// buffers together before the memory planner, which places them by
// lifetime anyway, and makes a GEMM that takes over the write of the kernel
// after it (a rounding to bf16) read and write one buffer.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMUNSHAREINITS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// True if `use` is a destination (init) operand of a destination-style op.
bool isInitUse(OpOperand &use) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
  return dps && dps.isDpsInit(&use);
}

struct TfmUnshareInitsPass
    : mlir::tfm::impl::TfmUnshareInitsBase<TfmUnshareInitsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> shared;
    getOperation()->walk([&](Operation *op) {
      if (isa<linalg::FillOp, linalg::BroadcastOp, tensor::EmptyOp>(op) &&
          op->getNumResults() == 1 &&
          isa<RankedTensorType>(op->getResult(0).getType()) &&
          !op->getResult(0).hasOneUse())
        shared.push_back(op);
    });
    for (Operation *op : shared) {
      tensor::EmptyOp empty;
      if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
        empty =
            dps.getDpsInitOperand(0)->get().getDefiningOp<tensor::EmptyOp>();
      // The first destination use keeps the original; other readers always
      // do.
      SmallVector<OpOperand *> inits;
      for (OpOperand &use : op->getResult(0).getUses())
        if (isInitUse(use))
          inits.push_back(&use);
      if (inits.size() == op->getResult(0).getNumUses())
        inits.erase(llvm::min_element(inits, [](OpOperand *a, OpOperand *b) {
          Operation *x = a->getOwner(), *y = b->getOwner();
          return x->getBlock() == y->getBlock() && x->isBeforeInBlock(y);
        }));
      for (OpOperand *use : inits) {
        OpBuilder b(use->getOwner());
        IRMapping mapping;
        // A fresh empty tensor too: the copy then has a buffer of its own
        // rather than one bufferization may have to copy.
        if (empty)
          mapping.map(empty.getResult(), b.clone(*empty)->getResult(0));
        use->set(b.clone(*op, mapping)->getResult(0));
      }
    }
  }
};

} // namespace
