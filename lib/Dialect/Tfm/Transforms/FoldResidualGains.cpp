//===- FoldResidualGains.cpp - tfm-fold-residual-gains ---------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// β·(x·W + b) = x·(β·W) + β·b: a residual branch's gain goes into the
// constant weights of the linear that computes the branch, and the residual
// sum loses a multiply. On CUDA the sum is then cuBLASLt's residual
// epilogue of that GEMM: one kernel and one pass over the activations less
// per block of He & Hofmann's SAS and SAS-P models.
//
//===----------------------------------------------------------------------===//

#include "Weights.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "llvm/Support/Format.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFOLDRESIDUALGAINS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// `values` scaled by `gain` as a new constant of `original`'s type, or null
/// if `original` is not a readable float constant. Clears `exact` when a
/// scaled element is not representable in the element type.
Value scaledConstant(OpBuilder &b, Value original, double gain, bool &exact) {
  auto values = weights::constantValues(original);
  if (!values)
    return {};
  auto type = cast<RankedTensorType>(original.getType());
  const llvm::fltSemantics &semantics =
      cast<FloatType>(type.getElementType()).getFloatSemantics();
  for (double &v : *values) {
    v *= gain;
    APFloat rounded(v);
    bool lost = false;
    rounded.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
    exact &= !lost;
  }
  return weights::floatConstant(b, original.getLoc(), type.getShape(),
                                type.getElementType(), *values,
                                "residual_gain_folded");
}

/// Folds the gain of branch `i` of `residual` into its linear; false if the
/// branch is not a constant-weight linear read only by `residual`.
bool foldBranchGain(ResidualOp residual, unsigned i) {
  double gain = residual.getBranchGain(i);
  auto linear = residual.getBranches()[i].getDefiningOp<LinearOp>();
  if (gain == 1.0 || gain == 0.0 || !linear || !linear->hasOneUse())
    return false;
  OpBuilder b(linear);
  bool exact = true;
  Value weight = scaledConstant(b, linear.getWeight(), gain, exact);
  Value bias;
  if (linear.getBias())
    bias = scaledConstant(b, linear.getBias(), gain, exact);
  if (!weight || (linear.getBias() && !bias)) {
    for (Value v : {weight, bias})
      if (v)
        v.getDefiningOp()->erase();
    return false;
  }
  Operation *oldWeight = linear.getWeight().getDefiningOp();
  Operation *oldBias =
      linear.getBias() ? linear.getBias().getDefiningOp() : nullptr;
  linear.getWeightMutable().assign(weight);
  if (bias)
    linear.getBiasMutable().assign(bias);
  for (Operation *old : {oldWeight, oldBias})
    if (old && old->use_empty())
      old->erase();
  std::string shown;
  llvm::raw_string_ostream(shown) << llvm::format("%g", gain);
  emitRemark(linear.getLoc())
      << "folded the residual gain " << shown << " into this linear's weights"
      << (exact ? " (exact)" : " (rounded to the weights' element type)");
  return true;
}

struct TfmFoldResidualGainsPass
    : tfm::impl::TfmFoldResidualGainsBase<TfmFoldResidualGainsPass> {
  using Base::Base;
  void runOnOperation() override {
    int64_t folded = 0;
    getOperation().walk([&](ResidualOp residual) {
      SmallVector<double> betas;
      bool changed = false;
      for (unsigned i = 0, e = residual.getBranches().size(); i < e; ++i) {
        bool done = foldBranchGain(residual, i);
        changed |= done;
        folded += done;
        betas.push_back(done ? 1.0 : residual.getBranchGain(i));
      }
      if (!changed)
        return;
      if (llvm::all_of(betas, [](double beta) { return beta == 1.0; }))
        residual.removeBetasAttr();
      else
        residual.setBetas(betas);
    });
    if (folded)
      recordRewrites(getOperation(), getArgument(), {{"gains_folded", folded}});
  }
};

} // namespace
