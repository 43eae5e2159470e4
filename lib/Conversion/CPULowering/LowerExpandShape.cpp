//===- LowerExpandShape.cpp - expand_shape as reinterpret_cast ----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLOWEREXPANDSHAPE
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {
struct ExpandShapeToReinterpretCast
    : OpRewritePattern<memref::ExpandShapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::ExpandShapeOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto meta = memref::ExtractStridedMetadataOp::create(rewriter, loc,
                                                         op.getSrc());
    SmallVector<OpFoldResult> sizes = op.getMixedOutputShape();
    SmallVector<OpFoldResult> strides(sizes.size());
    auto asValue = [&](OpFoldResult f) -> Value {
      if (auto v = dyn_cast<Value>(f))
        return v;
      return arith::ConstantIndexOp::create(
          rewriter, loc, cast<IntegerAttr>(cast<Attribute>(f)).getInt());
    };
    // Inside a group the innermost result dim keeps the source stride and
    // each outer one multiplies by the extent to its right.
    for (auto [srcDim, group] : llvm::enumerate(op.getReassociationIndices())) {
      Value stride = meta.getStrides()[srcDim];
      for (int64_t i = static_cast<int64_t>(group.size()) - 1; i >= 0; --i) {
        int64_t dim = group[i];
        strides[dim] = stride;
        if (i > 0)
          stride = arith::MulIOp::create(rewriter, loc, stride,
                                         asValue(sizes[dim]));
      }
    }
    // Where the result type knows a stride or the offset statically, the
    // cast must state that constant.
    auto [staticStrides, staticOffset] = op.getType().getStridesAndOffset();
    for (auto [i, s] : llvm::enumerate(staticStrides))
      if (!ShapedType::isDynamic(s))
        strides[i] = rewriter.getIndexAttr(s);
    OpFoldResult offset = meta.getOffset();
    if (!ShapedType::isDynamic(staticOffset))
      offset = rewriter.getIndexAttr(staticOffset);
    rewriter.replaceOpWithNewOp<memref::ReinterpretCastOp>(
        op, op.getType(), meta.getBaseBuffer(), offset, sizes, strides);
    return success();
  }
};

struct TfmLowerExpandShapePass
    : mlir::tfm::impl::TfmLowerExpandShapeBase<TfmLowerExpandShapePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandShapeToReinterpretCast>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
