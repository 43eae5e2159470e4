//===- TfmCanonicalize.cpp - tfm folders and canonicalisations ----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Only exact rewrites live here: each one keeps every finite result equal
// (at most the sign of a zero may change, class E0f in docs/Passes.md).
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::tfm;

/// True if `v` is a constant whose every element is the float `value`.
static bool isFloatSplat(Value v, double value) {
  DenseElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || !attr.isSplat() ||
      !isa<FloatType>(attr.getElementType()))
    return false;
  APFloat splat = attr.getSplatValue<APFloat>();
  if (value == 0.0)
    return splat.isZero();
  bool losesInfo = false;
  APFloat expected(value);
  expected.convert(splat.getSemantics(), APFloat::rmNearestTiesToEven,
                   &losesInfo);
  return !losesInfo && splat.bitwiseIsEqual(expected);
}

/// True if `v` is a constant i1 tensor of all `true`.
static bool isTrueSplat(Value v) {
  DenseElementsAttr attr;
  return v && matchPattern(v, m_Constant(&attr)) && attr.isSplat() &&
         attr.getElementType().isInteger(1) && attr.getSplatValue<bool>();
}

//===----------------------------------------------------------------------===//
// LinearOp: drop a zero bias.
//===----------------------------------------------------------------------===//

namespace {
struct DropZeroLinearBias : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    if (!isFloatSplat(op.getBias(), 0.0))
      return rewriter.notifyMatchFailure(op, "bias is not a zero constant");
    rewriter.modifyOpInPlace(op, [&] { op.getBiasMutable().clear(); });
    return success();
  }
};
} // namespace

void LinearOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                           MLIRContext *context) {
  results.add<DropZeroLinearBias>(context);
}

//===----------------------------------------------------------------------===//
// AttentionOp: drop a mask or bias_mask that hides nothing.
//===----------------------------------------------------------------------===//

/// True if `mask` is a constant all-true i1 or all-zero float mask, the same
/// as no mask (for bias_mask: every slot visible, nothing added).
static bool isTrivialMask(Value mask) {
  return isFloatSplat(mask, 0.0) || isTrueSplat(mask);
}

namespace {
struct DropTrivialAttentionMasks : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    bool dropMask = isTrivialMask(op.getMask());
    bool dropBiasMask = isTrivialMask(op.getBiasMask());
    if (!dropMask && !dropBiasMask)
      return rewriter.notifyMatchFailure(op, "no trivially visible mask");
    rewriter.modifyOpInPlace(op, [&] {
      if (dropMask)
        op.getMaskMutable().clear();
      if (dropBiasMask)
        op.getBiasMaskMutable().clear();
    });
    return success();
  }
};
} // namespace

void AttentionOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<DropTrivialAttentionMasks>(context);
}

//===----------------------------------------------------------------------===//
// NormOp: drop a unit scale and a zero shift.
//===----------------------------------------------------------------------===//

namespace {
struct DropTrivialNormAffine : OpRewritePattern<NormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NormOp op,
                                PatternRewriter &rewriter) const override {
    bool dropScale = isFloatSplat(op.getScale(), 1.0);
    bool dropShift = isFloatSplat(op.getShift(), 0.0);
    if (!dropScale && !dropShift)
      return rewriter.notifyMatchFailure(op, "no trivial scale or shift");
    rewriter.modifyOpInPlace(op, [&] {
      if (dropScale)
        op.getScaleMutable().clear();
      if (dropShift)
        op.getShiftMutable().clear();
    });
    return success();
  }
};
} // namespace

void NormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                         MLIRContext *context) {
  results.add<DropTrivialNormAffine>(context);
}

//===----------------------------------------------------------------------===//
// ActivationOp: relu is idempotent.
//===----------------------------------------------------------------------===//

OpFoldResult ActivationOp::fold(FoldAdaptor) {
  if (getKind() != ActivationKind::relu || isGated())
    return {};
  auto inner = getInput().getDefiningOp<ActivationOp>();
  if (inner && inner.getKind() == ActivationKind::relu && !inner.isGated())
    return inner.getResult();
  return {};
}

//===----------------------------------------------------------------------===//
// ResidualOp: identity fold, zero gains.
//===----------------------------------------------------------------------===//

OpFoldResult ResidualOp::fold(FoldAdaptor) {
  if (!getSkip() && getBranches().size() == 1 && getBranchGain(0) == 1.0)
    return getBranches().front();
  return {};
}

namespace {
/// 0·skip and 0·branch terms vanish as long as one term remains.
struct DropZeroGainResidualTerms : OpRewritePattern<ResidualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualOp op,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> branches;
    SmallVector<double> betas;
    for (auto [i, b] : llvm::enumerate(op.getBranches())) {
      if (op.getBranchGain(i) == 0.0)
        continue;
      branches.push_back(b);
      betas.push_back(op.getBranchGain(i));
    }
    Value skip = op.getSkip();
    bool dropSkip = skip && op.getSkipGain() == 0.0;
    bool dropBranches = branches.size() != op.getBranches().size();
    if (!dropSkip && !dropBranches)
      return rewriter.notifyMatchFailure(op, "no zero gain");
    if (dropSkip)
      skip = Value();
    if (branches.empty()) {
      // Keep one term: prefer the skip, else a zero-gain branch.
      if (!skip)
        return rewriter.notifyMatchFailure(op, "every term has zero gain");
      // α·skip alone: express it as a single branch with gain α.
      branches.push_back(skip);
      betas.push_back(op.getSkipGain());
      skip = Value();
    }
    bool allOnes = llvm::all_of(betas, [](double b) { return b == 1.0; });
    DenseF64ArrayAttr betasAttr =
        allOnes ? DenseF64ArrayAttr() : rewriter.getDenseF64ArrayAttr(betas);
    FloatAttr alphaAttr = skip ? op.getAlphaAttr() : FloatAttr();
    rewriter.replaceOpWithNewOp<ResidualOp>(op, op.getType(), skip, branches,
                                            alphaAttr, betasAttr);
    return success();
  }
};
} // namespace

void ResidualOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  results.add<DropZeroGainResidualTerms>(context);
}
