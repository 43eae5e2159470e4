//===- TfmToLinalg.cpp - lower tfm ops to linalg on tensors -------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Conversion/TfmToLinalg/TfmToLinalg.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>
#include <limits>

namespace mlir::tfm {
#define GEN_PASS_DEF_CONVERTTFMTOLINALG
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

//===----------------------------------------------------------------------===//
// Builders shared by the patterns
//===----------------------------------------------------------------------===//

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// (d0, ..., d{numDims-1}) -> (d0, ..., d{numResults-1}); valid for 0 results
/// too (AffineMap::getMajorSubMap returns a null map then).
AffineMap leadingDimsMap(MLIRContext *ctx, int64_t numDims, int64_t numResults) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < numResults; ++i)
    exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(numDims, 0, exprs, ctx);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

/// An elementwise linalg.generic over the shape `sizes`. Each input is read
/// through its map; `body` receives the input scalars and returns the result.
Value buildGeneric(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type resultElt, ValueRange inputs,
                   ArrayRef<AffineMap> inputMaps, BodyFn body) {
  int64_t rank = sizes.size();
  Value init = tensor::EmptyOp::create(b, loc, sizes, resultElt);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps,
      parallelIterators(rank),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

/// Replaces `op` by `value`, cast to the op's result type when that is more
/// static than what the lowering built.
void replaceWithValue(PatternRewriter &rewriter, Operation *op, Value value) {
  Type type = op->getResult(0).getType();
  if (value.getType() != type)
    value = tensor::CastOp::create(rewriter, op->getLoc(), type, value);
  rewriter.replaceOp(op, value);
}

/// Converts every element of `t` to `elt` (no-op when already `elt`).
Value castTensor(OpBuilder &b, Location loc, Value t, Type elt) {
  auto ty = cast<RankedTensorType>(t.getType());
  if (ty.getElementType() == elt)
    return t;
  return buildGeneric(b, loc, tensor::getMixedSizes(b, loc, t), elt, {t},
                      {b.getMultiDimIdentityMap(ty.getRank())},
                      [&](OpBuilder &nb, Location nloc, ValueRange a) -> Value {
                        return castScalar(nb, nloc, a[0], elt);
                      });
}

/// Reduces the last dimension of `t` (rank r) into a rank r-1 tensor with
/// `combine(acc, x)`, starting from `initValue`.
/// Reduces over the last of the `rank` dimensions of `sizes`: one
/// accumulator of `accType` per row, starting at `initValue`. `inputs` are
/// read through `maps` (the identity, or the leading dimensions for a value
/// per row); `combine(acc, elements)` folds one point into the accumulator.
Value reduceRows(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type accType,
    ValueRange inputs, ArrayRef<AffineMap> maps, double initValue,
    function_ref<Value(OpBuilder &, Location, Value, ValueRange)> combine) {
  int64_t rank = sizes.size();
  Value init = tensor::EmptyOp::create(b, loc, sizes.drop_back(), accType);
  Value start = floatConst(b, loc, accType, initValue);
  Value acc = linalg::FillOp::create(b, loc, start, init).getResult(0);
  SmallVector<utils::IteratorType> iters = parallelIterators(rank);
  iters.back() = utils::IteratorType::reduction;
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(leadingDimsMap(b.getContext(), rank, rank - 1));
  auto generic = linalg::GenericOp::create(
      b, loc, acc.getType(), inputs, ValueRange{acc}, allMaps, iters,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(
            nb, nloc, combine(nb, nloc, args.back(), args.drop_back()));
      });
  return generic.getResult(0);
}

Value reduceLastDim(
    OpBuilder &b, Location loc, Value t, double initValue,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  auto ty = cast<RankedTensorType>(t.getType());
  return reduceRows(
      b, loc, tensor::getMixedSizes(b, loc, t), ty.getElementType(), {t},
      {b.getMultiDimIdentityMap(ty.getRank())}, initValue,
      [&](OpBuilder &nb, Location nloc, Value acc, ValueRange args) {
        return combine(nb, nloc, acc, args[0]);
      });
}

/// Collapses `t` of shape [d0, ..., dn, K] to [d0·…·dn, K] (rank 1: [1, K]).
Value flattenLeading(OpBuilder &b, Location loc, Value t) {
  auto ty = cast<RankedTensorType>(t.getType());
  int64_t rank = ty.getRank();
  if (rank == 2)
    return t;
  if (rank == 1) {
    auto resultTy = RankedTensorType::get({1, ty.getDimSize(0)},
                                          ty.getElementType());
    return tensor::ExpandShapeOp::create(
        b, loc, resultTy, t, ArrayRef<ReassociationIndices>{{0, 1}},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1),
                               tensor::getMixedSize(b, loc, t, 0)});
  }
  ReassociationIndices leading;
  for (int64_t i = 0; i < rank - 1; ++i)
    leading.push_back(i);
  return tensor::CollapseShapeOp::create(
      b, loc, t, ArrayRef<ReassociationIndices>{leading, {rank - 1}});
}

/// Inverse of flattenLeading: [M, N] back to `leadingSizes` + [N].
Value unflattenLeading(OpBuilder &b, Location loc, Value t,
                       ArrayRef<OpFoldResult> leadingSizes) {
  auto ty = cast<RankedTensorType>(t.getType());
  int64_t n = ty.getDimSize(1);
  if (leadingSizes.size() == 1)
    return t;
  SmallVector<int64_t> shape;
  SmallVector<OpFoldResult> sizes(leadingSizes);
  for (OpFoldResult s : leadingSizes) {
    std::optional<int64_t> c = getConstantIntValue(s);
    shape.push_back(c ? *c : ShapedType::kDynamic);
  }
  shape.push_back(n);
  sizes.push_back(tensor::getMixedSize(b, loc, t, 1));
  auto resultTy = RankedTensorType::get(shape, ty.getElementType());
  if (leadingSizes.empty())
    return tensor::CollapseShapeOp::create(
        b, loc, resultTy, t, ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices leading;
  for (size_t i = 0; i < leadingSizes.size(); ++i)
    leading.push_back(i);
  ReassociationIndices last = {static_cast<int64_t>(leadingSizes.size())};
  return tensor::ExpandShapeOp::create(
      b, loc, resultTy, t, ArrayRef<ReassociationIndices>{leading, last},
      sizes);
}

//===----------------------------------------------------------------------===//
// tfm.linear
//===----------------------------------------------------------------------===//

struct LinearLowering : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultTy = cast<RankedTensorType>(op.getType());
    Type elt = resultTy.getElementType(), ct = computeType(elt);
    Value x = op.getInput();
    SmallVector<OpFoldResult> leading = tensor::getMixedSizes(rewriter, loc, x);
    leading.pop_back();
    if (leading.empty())
      leading.push_back(rewriter.getIndexAttr(1));

    Value x2 = flattenLeading(rewriter, loc, x);
    SmallVector<OpFoldResult> accSizes = {
        tensor::getMixedSize(rewriter, loc, x2, 0),
        tensor::getMixedSize(rewriter, loc, op.getWeight(), 1)};
    Value accInit = tensor::EmptyOp::create(rewriter, loc, accSizes, ct);
    Value acc;
    if (Value bias = op.getBias()) {
      Value biasC = castTensor(rewriter, loc, bias, ct);
      acc = linalg::BroadcastOp::create(rewriter, loc, biasC, accInit,
                                        ArrayRef<int64_t>{0})
                .getResult()[0];
    } else {
      acc = linalg::FillOp::create(rewriter, loc,
                                   floatConst(rewriter, loc, ct, 0.0), accInit)
                .getResult(0);
    }
    // Named matmul extends narrow inputs to the f32 accumulator itself.
    Value mm = linalg::MatmulOp::create(rewriter, loc, TypeRange{acc.getType()},
                                        ValueRange{x2, op.getWeight()},
                                        ValueRange{acc})
                   .getResult(0);
    Value out = castTensor(rewriter, loc, mm, elt);
    if (cast<RankedTensorType>(x.getType()).getRank() == 1)
      out = tensor::CollapseShapeOp::create(
          rewriter, loc, out, ArrayRef<ReassociationIndices>{{0, 1}});
    else
      out = unflattenLeading(rewriter, loc, out, leading);
    replaceWithValue(rewriter, op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// tfm.norm
//===----------------------------------------------------------------------===//

struct NormLowering : OpRewritePattern<NormOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NormOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto ty = cast<RankedTensorType>(op.getType());
    Type elt = ty.getElementType(), ct = computeType(elt);
    int64_t rank = ty.getRank();
    // Every kernel reads the input as it is and widens it itself: no
    // compute-type copy of x, nor of x - mean, is written to memory.
    Value x = op.getInput();
    Value n = castScalar(rewriter, loc, dimValue(rewriter, loc, x, rank - 1), ct);
    Value eps = floatConst(rewriter, loc, ct, op.getEpsilon().convertToDouble());
    bool isLayer = op.getKind() == NormKind::layer;

    AffineMap full = rewriter.getMultiDimIdentityMap(rank);
    AffineMap rows = leadingDimsMap(rewriter.getContext(), rank, rank - 1);
    AffineMap feature = AffineMap::get(rank, 0, rewriter.getAffineDimExpr(rank - 1));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, x);
    SmallVector<OpFoldResult> rowSizes(sizes.begin(), sizes.end() - 1);

    // layer: the mean is subtracted before the second moment (two passes).
    // Inputs a kernel reads x (and the row's sum) through, and x - mean
    // from them.
    SmallVector<Value> centeredInputs = {x};
    SmallVector<AffineMap> centeredMaps = {full};
    if (isLayer) {
      Value sum = reduceRows(
          rewriter, loc, sizes, ct, {x}, {full}, 0.0,
          [&](OpBuilder &b, Location l, Value acc, ValueRange a) -> Value {
            return arith::AddFOp::create(b, l, acc, castScalar(b, l, a[0], ct));
          });
      centeredInputs.push_back(sum);
      centeredMaps.push_back(rows);
    }
    auto centered = [&](OpBuilder &b, Location l, ValueRange a) -> Value {
      Value v = castScalar(b, l, a[0], ct);
      if (!isLayer)
        return v;
      Value mean = arith::DivFOp::create(b, l, a[1], n);
      return arith::SubFOp::create(b, l, v, mean);
    };
    Value sumSq = reduceRows(
        rewriter, loc, sizes, ct, centeredInputs, centeredMaps, 0.0,
        [&](OpBuilder &b, Location l, Value acc, ValueRange a) -> Value {
          Value v = centered(b, l, a);
          Value sq = arith::MulFOp::create(b, l, v, v);
          return arith::AddFOp::create(b, l, acc, sq);
        });
    Value invStd = buildGeneric(
        rewriter, loc, rowSizes, ct, {sumSq},
        {rewriter.getMultiDimIdentityMap(rank - 1)},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value var = arith::DivFOp::create(b, l, a[0], n);
          Value v = arith::AddFOp::create(b, l, var, eps);
          return math::RsqrtOp::create(b, l, v);
        });

    SmallVector<Value> inputs = centeredInputs;
    SmallVector<AffineMap> maps = centeredMaps;
    inputs.push_back(invStd);
    maps.push_back(rows);
    unsigned first = inputs.size();
    Value scale = op.getScale(), shift = op.getShift();
    if (scale) {
      inputs.push_back(scale);
      maps.push_back(feature);
    }
    if (shift) {
      inputs.push_back(shift);
      maps.push_back(feature);
    }
    Value out = buildGeneric(
        rewriter, loc, sizes, elt, inputs, maps,
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value y =
              arith::MulFOp::create(b, l, centered(b, l, a), a[first - 1]);
          unsigned next = first;
          if (scale)
            y = arith::MulFOp::create(b, l, y, castScalar(b, l, a[next++], ct));
          if (shift)
            y = arith::AddFOp::create(b, l, y, castScalar(b, l, a[next++], ct));
          return castScalar(b, l, y, elt);
        });
    replaceWithValue(rewriter, op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// tfm.activation
//===----------------------------------------------------------------------===//

/// act(x) in the compute type.
Value buildActivation(OpBuilder &b, Location loc, ActivationKind kind,
                      Value x) {
  Type t = x.getType();
  Value one = floatConst(b, loc, t, 1.0), half = floatConst(b, loc, t, 0.5);
  auto sigmoid = [&](Value v) -> Value {
    Value neg = arith::NegFOp::create(b, loc, v);
    Value e = math::ExpOp::create(b, loc, neg);
    Value d = arith::AddFOp::create(b, loc, one, e);
    return arith::DivFOp::create(b, loc, one, d);
  };
  switch (kind) {
  case ActivationKind::gelu: {
    Value s = arith::MulFOp::create(b, loc, x, floatConst(b, loc, t, M_SQRT1_2));
    Value e = math::ErfOp::create(b, loc, s);
    Value p = arith::AddFOp::create(b, loc, one, e);
    Value hx = arith::MulFOp::create(b, loc, half, x);
    return arith::MulFOp::create(b, loc, hx, p);
  }
  case ActivationKind::gelu_tanh: {
    Value x2 = arith::MulFOp::create(b, loc, x, x);
    Value x3 = arith::MulFOp::create(b, loc, x2, x);
    Value c = arith::MulFOp::create(b, loc, x3, floatConst(b, loc, t, 0.044715));
    Value inner = arith::AddFOp::create(b, loc, x, c);
    Value k = floatConst(b, loc, t, std::sqrt(2.0 / M_PI));
    Value th = math::TanhOp::create(b, loc, arith::MulFOp::create(b, loc, k, inner));
    Value p = arith::AddFOp::create(b, loc, one, th);
    Value hx = arith::MulFOp::create(b, loc, half, x);
    return arith::MulFOp::create(b, loc, hx, p);
  }
  case ActivationKind::relu:
    return arith::MaximumFOp::create(b, loc, x, floatConst(b, loc, t, 0.0));
  case ActivationKind::silu:
    return arith::MulFOp::create(b, loc, x, sigmoid(x));
  case ActivationKind::sigmoid:
    return sigmoid(x);
  }
  llvm_unreachable("unknown activation");
}

struct ActivationLowering : OpRewritePattern<ActivationOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ActivationOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto ty = cast<RankedTensorType>(op.getType());
    Type elt = ty.getElementType(), ct = computeType(elt);
    SmallVector<Value> inputs = {op.getInput()};
    if (Value up = op.getUp())
      inputs.push_back(up);
    SmallVector<AffineMap> maps(inputs.size(),
                                rewriter.getMultiDimIdentityMap(ty.getRank()));
    ActivationKind kind = op.getKind();
    Value out = buildGeneric(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, op.getInput()), elt,
        inputs, maps, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value y = buildActivation(b, l, kind, castScalar(b, l, a[0], ct));
          if (a.size() > 1)
            y = arith::MulFOp::create(b, l, y, castScalar(b, l, a[1], ct));
          return castScalar(b, l, y, elt);
        });
    replaceWithValue(rewriter, op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// tfm.residual
//===----------------------------------------------------------------------===//

struct ResidualLowering : OpRewritePattern<ResidualOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ResidualOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto ty = cast<RankedTensorType>(op.getType());
    Type elt = ty.getElementType(), ct = computeType(elt);
    SmallVector<Value> inputs;
    SmallVector<double> gains;
    if (Value skip = op.getSkip()) {
      inputs.push_back(skip);
      gains.push_back(op.getSkipGain());
    }
    for (auto [i, branch] : llvm::enumerate(op.getBranches())) {
      inputs.push_back(branch);
      gains.push_back(op.getBranchGain(i));
    }
    SmallVector<AffineMap> maps(inputs.size(),
                                rewriter.getMultiDimIdentityMap(ty.getRank()));
    Value out = buildGeneric(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, inputs.front()),
        elt, inputs, maps, [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value sum;
          for (auto [v, gain] : llvm::zip(a, gains)) {
            Value term = castScalar(b, l, v, ct);
            if (gain != 1.0)
              term = arith::MulFOp::create(b, l, term, floatConst(b, l, ct, gain));
            sum = sum ? arith::AddFOp::create(b, l, sum, term).getResult() : term;
          }
          return castScalar(b, l, sum, elt);
        });
    replaceWithValue(rewriter, op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// tfm.embedding
//===----------------------------------------------------------------------===//

struct EmbeddingLowering : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto ty = cast<RankedTensorType>(op.getType());
    Value ids = op.getIds(), table = op.getTable();
    int64_t idsRank = cast<RankedTensorType>(ids.getType()).getRank();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, ids);
    sizes.push_back(tensor::getMixedSize(rewriter, loc, table, 1));
    Value vocab = dimValue(rewriter, loc, table, 0);
    Value zero = indexConst(rewriter, loc, 0), one = indexConst(rewriter, loc, 1);
    Value last = arith::SubIOp::create(rewriter, loc, vocab, one);
    AffineMap idsMap =
        leadingDimsMap(rewriter.getContext(), idsRank + 1, idsRank);
    Value out = buildGeneric(
        rewriter, loc, sizes, ty.getElementType(), {ids}, {idsMap},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          Value id = a[0];
          if (!id.getType().isIndex())
            id = arith::IndexCastOp::create(b, l, b.getIndexType(), id);
          // Negative ids count from the end (ONNX Gather); clamp the rest
          // so no id reads outside the table.
          Value isNeg = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                              id, zero);
          Value wrapped = arith::AddIOp::create(b, l, id, vocab);
          Value row = arith::SelectOp::create(b, l, isNeg, wrapped, id);
          row = arith::MaxSIOp::create(b, l, row, zero);
          row = arith::MinSIOp::create(b, l, row, last);
          Value col = linalg::IndexOp::create(b, l, idsRank);
          return tensor::ExtractOp::create(b, l, table, ValueRange{row, col});
        });
    replaceWithValue(rewriter, op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// tfm.rotary
//===----------------------------------------------------------------------===//

struct RotaryLowering : OpRewritePattern<RotaryOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(RotaryOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto ty = cast<RankedTensorType>(op.getType());
    Type elt = ty.getElementType(), ct = computeType(elt);
    int64_t rank = ty.getRank();
    auto tableTy = cast<RankedTensorType>(op.getCos().getType());
    int64_t tableRank = tableTy.getRank();
    int64_t d = op.getHeadDim(), r = op.getRotatedDim(), halfR = r / 2;
    bool interleaved = op.getLayout() == RotaryLayout::interleaved;
    Value x = op.getInput(), cosT = op.getCos(), sinT = op.getSin();

    Value out = buildGeneric(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, x), elt, {x},
        {rewriter.getMultiDimIdentityMap(rank)},
        [&](OpBuilder &b, Location l, ValueRange a) -> Value {
          auto idx = [&](int64_t v) { return indexConst(b, l, v); };
          SmallVector<Value> pos;
          for (int64_t i = 0; i < rank; ++i)
            pos.push_back(linalg::IndexOp::create(b, l, i));
          Value c = pos.back();
          Value head = arith::DivUIOp::create(b, l, c, idx(d));
          Value lane = arith::RemUIOp::create(b, l, c, idx(d));
          Value headBase = arith::MulIOp::create(b, l, head, idx(d));
          // Pair index p and partner lane, clamped into the rotated range
          // (lanes >= R pass through and ignore them).
          Value laneC = arith::MinUIOp::create(b, l, lane, idx(r - 1));
          Value p, partner, isFirst;
          if (interleaved) {
            p = arith::DivUIOp::create(b, l, laneC, idx(2));
            Value parity = arith::RemUIOp::create(b, l, laneC, idx(2));
            isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq,
                                            parity, idx(0));
            Value up = arith::AddIOp::create(b, l, laneC, idx(1));
            Value down = arith::SubIOp::create(b, l, laneC, idx(1));
            partner = arith::SelectOp::create(b, l, isFirst, up, down);
          } else {
            isFirst = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                            laneC, idx(halfR));
            p = arith::RemUIOp::create(b, l, laneC, idx(halfR));
            Value up = arith::AddIOp::create(b, l, laneC, idx(halfR));
            Value down = arith::SubIOp::create(b, l, laneC, idx(halfR));
            partner = arith::SelectOp::create(b, l, isFirst, up, down);
          }
          SmallVector<Value> partnerPos(pos);
          partnerPos.back() = arith::AddIOp::create(b, l, headBase, partner);
          Value other = tensor::ExtractOp::create(b, l, x, partnerPos);
          // Table position: right-aligned leading dims, size-1 broadcast.
          SmallVector<Value> tablePos;
          for (int64_t i = 0; i + 1 < tableRank; ++i) {
            int64_t xDim = rank - tableRank + i;
            tablePos.push_back(tableTy.getDimSize(i) == 1 ? idx(0) : pos[xDim]);
          }
          tablePos.push_back(p);
          Value cs = castScalar(b, l, tensor::ExtractOp::create(b, l, cosT, tablePos), ct);
          Value sn = castScalar(b, l, tensor::ExtractOp::create(b, l, sinT, tablePos), ct);
          Value self = castScalar(b, l, a[0], ct);
          Value oth = castScalar(b, l, other, ct);
          // first: a·cos − b·sin;  second: b·cos + a·sin  (self is b, other a)
          Value selfCos = arith::MulFOp::create(b, l, self, cs);
          Value othSin = arith::MulFOp::create(b, l, oth, sn);
          Value first = arith::SubFOp::create(b, l, selfCos, othSin);
          Value second = arith::AddFOp::create(b, l, selfCos, othSin);
          Value rotated = arith::SelectOp::create(b, l, isFirst, first, second);
          Value inRange = arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult,
                                                lane, idx(r));
          Value y = arith::SelectOp::create(b, l, inRange, rotated, self);
          return castScalar(b, l, y, elt);
        });
    replaceWithValue(rewriter, op, out);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// tfm.attention
//===----------------------------------------------------------------------===//

struct AttentionLowering : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    OpBuilder &b = rewriter;
    auto resultTy = cast<RankedTensorType>(op.getType());
    Type elt = resultTy.getElementType(), ct = computeType(elt);
    int64_t h = op.getNumHeads(), hkv = op.getKvHeads(), rep = h / hkv;
    int64_t d = op.getHeadDim(), dv = op.getValueHeadDim();
    double scale = op.getEffectiveScale();

    Value q = castTensor(b, loc, op.getQuery(), ct);
    Value k = castTensor(b, loc, op.getKey(), ct);
    Value v = castTensor(b, loc, op.getValue(), ct);
    Value sq = dimValue(b, loc, q, 1),
          skv = dimValue(b, loc, k, 1);
    OpFoldResult batchF = tensor::getMixedSize(b, loc, q, 0),
                 sqF = tensor::getMixedSize(b, loc, q, 1),
                 skvF = tensor::getMixedSize(b, loc, k, 1);
    auto staticOf = [](OpFoldResult f) {
      std::optional<int64_t> c = getConstantIntValue(f);
      return c ? *c : ShapedType::kDynamic;
    };
    int64_t bS = staticOf(batchF), sqS = staticOf(sqF), skvS = staticOf(skvF);

    // Q: [B, Sq, Hkv·rep·D] -> [B, Sq, Hkv, rep, D] -> [B, Hkv, rep, Sq, D]
    //    -> [B·Hkv, rep·Sq, D]
    Value q5 = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({bS, sqS, hkv, rep, d}, ct), q,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}},
        ArrayRef<OpFoldResult>{batchF, sqF, b.getIndexAttr(hkv),
                               b.getIndexAttr(rep), b.getIndexAttr(d)});
    Value qT = transpose(b, loc, q5, {0, 2, 3, 1, 4});
    Value q3 = tensor::CollapseShapeOp::create(
        b, loc, qT, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}});

    // K: [B, Skv, Hkv·D] -> [B, Skv, Hkv, D] -> [B, Hkv, D, Skv]; bias slots
    // [Hkv, P, D] broadcast to [B, Hkv, D, P] go in front.
    Value k4 = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({bS, skvS, hkv, d}, ct), k,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
        ArrayRef<OpFoldResult>{batchF, skvF, b.getIndexAttr(hkv),
                               b.getIndexAttr(d)});
    Value kT = transpose(b, loc, k4, {0, 2, 3, 1});
    Value v4 = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({bS, skvS, hkv, dv}, ct), v,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}},
        ArrayRef<OpFoldResult>{batchF, skvF, b.getIndexAttr(hkv),
                               b.getIndexAttr(dv)});
    Value vT = transpose(b, loc, v4, {0, 2, 1, 3});
    Value slots = indexConst(b, loc, 0);
    if (op.hasBiasSlots()) {
      Value kb = castTensor(b, loc, op.getKeyBias(), ct);
      Value vb = castTensor(b, loc, op.getValueBias(), ct);
      slots = dimValue(b, loc, kb, 1);
      OpFoldResult slotsF = tensor::getMixedSize(b, loc, kb, 1);
      // key_bias[g, p, d] -> [B, Hkv, D, P]
      Value kbB = buildGeneric(
          b, loc, {batchF, b.getIndexAttr(hkv), b.getIndexAttr(d), slotsF}, ct,
          {kb},
          {AffineMap::get(4, 0,
                          {b.getAffineDimExpr(1), b.getAffineDimExpr(3),
                           b.getAffineDimExpr(2)},
                          b.getContext())},
          [](OpBuilder &, Location, ValueRange a) -> Value { return a[0]; });
      // value_bias[g, p, e] -> [B, Hkv, P, Dv]
      Value vbB = buildGeneric(
          b, loc, {batchF, b.getIndexAttr(hkv), slotsF, b.getIndexAttr(dv)}, ct,
          {vb},
          {AffineMap::get(4, 0,
                          {b.getAffineDimExpr(1), b.getAffineDimExpr(2),
                           b.getAffineDimExpr(3)},
                          b.getContext())},
          [](OpBuilder &, Location, ValueRange a) -> Value { return a[0]; });
      kT = tensor::ConcatOp::create(b, loc, 3, ValueRange{kbB, kT});
      vT = tensor::ConcatOp::create(b, loc, 2, ValueRange{vbB, vT});
    }
    Value k3 = tensor::CollapseShapeOp::create(
        b, loc, kT, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
    Value v3 = tensor::CollapseShapeOp::create(
        b, loc, vT, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
    Value keys = dimValue(b, loc, k3, 2); // P + Skv
    OpFoldResult keysF = tensor::getMixedSize(b, loc, k3, 2);
    int64_t keysS = cast<RankedTensorType>(k3.getType()).getDimSize(2);

    // Logits [B·Hkv, rep·Sq, P+Skv].
    OpFoldResult bh = tensor::getMixedSize(b, loc, q3, 0),
                 rows = tensor::getMixedSize(b, loc, q3, 1);
    Value logits = batchMatmul(b, loc, q3, k3, {bh, rows, keysF}, ct);
    Value l5 = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({bS, hkv, rep, sqS, keysS}, ct), logits,
        ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}},
        ArrayRef<OpFoldResult>{batchF, b.getIndexAttr(hkv), b.getIndexAttr(rep),
                               sqF, keysF});

    // Masked, scaled logits; invisible keys are -inf.
    Value mask = op.getMask(), biasMask = op.getBiasMask();
    bool causal = op.getCausal();
    Value causalShift = arith::SubIOp::create(b, loc, skv, sq); // Skv − Sq
    Value negInf = floatConst(b, loc, ct, -std::numeric_limits<double>::infinity());
    Value scaled = buildGeneric(
        b, loc, tensor::getMixedSizes(b, loc, l5), ct, {l5},
        {b.getMultiDimIdentityMap(5)},
        [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          auto idx = [&](int64_t c) { return indexConst(nb, l, c); };
          Value bi = linalg::IndexOp::create(nb, l, 0);
          Value g = linalg::IndexOp::create(nb, l, 1);
          Value r = linalg::IndexOp::create(nb, l, 2);
          Value i = linalg::IndexOp::create(nb, l, 3);
          Value j = linalg::IndexOp::create(nb, l, 4);
          Value logit = arith::MulFOp::create(nb, l, a[0], floatConst(nb, l, ct, scale));
          // Bias slots come first: j < P is a slot, j >= P the runtime key
          // jr = j − P. For a slot jr is clamped to 0 so every read stays
          // inside its operand.
          Value isSlot = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, j, slots);
          Value jr = arith::SubIOp::create(nb, l, j, slots);
          jr = arith::SelectOp::create(nb, l, isSlot, idx(0), jr);
          // Reads mask `m`, which broadcasts to [B, H, Sq, N] (right-aligned,
          // a size-1 dimension reads index 0), at [bi, g·rep + r, i, last].
          Value head;
          auto readMask = [&](Value m, Value last) -> Value {
            if (!head)
              head = arith::AddIOp::create(
                  nb, l, arith::MulIOp::create(nb, l, g, idx(rep)), r);
            return readAttentionMask(nb, l, m, {bi, head, i, last});
          };
          // A runtime key: causal and mask. Null `add`: nothing to add.
          Value visible = arith::ConstantOp::create(nb, l, nb.getBoolAttr(true));
          Value add;
          if (causal) {
            Value limit = arith::AddIOp::create(nb, l, i, causalShift);
            Value ok = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::sle, jr, limit);
            visible = arith::AndIOp::create(nb, l, visible, ok);
          }
          if (mask) {
            Value mv = readMask(mask, jr);
            if (mv.getType().isInteger(1))
              visible = arith::AndIOp::create(nb, l, visible, mv);
            else
              add = castScalar(nb, l, mv, ct);
          }
          // A slot: bias_mask alone (absent: always visible). For a runtime
          // key the slot index is clamped to 0.
          Value slotAdd;
          if (biasMask) {
            Value js = arith::SelectOp::create(nb, l, isSlot, j, idx(0));
            Value bv = readMask(biasMask, js);
            if (bv.getType().isInteger(1)) {
              visible = arith::SelectOp::create(nb, l, isSlot, bv, visible);
            } else {
              slotAdd = castScalar(nb, l, bv, ct);
              visible = arith::OrIOp::create(nb, l, visible, isSlot);
            }
          } else {
            visible = arith::OrIOp::create(nb, l, visible, isSlot);
          }
          if (add || slotAdd) {
            Value zero = floatConst(nb, l, ct, 0.0);
            add = arith::SelectOp::create(nb, l, isSlot, slotAdd ? slotAdd : zero,
                                          add ? add : zero);
            logit = arith::AddFOp::create(nb, l, logit, add);
          }
          return arith::SelectOp::create(nb, l, visible, logit, negInf);
        });

    // Stable softmax over the keys.
    Value rowMax = reduceLastDim(
        b, loc, scaled, -std::numeric_limits<double>::infinity(),
        [](OpBuilder &nb, Location l, Value acc, Value x) -> Value {
          return arith::MaximumFOp::create(nb, l, acc, x);
        });
    AffineMap full5 = b.getMultiDimIdentityMap(5);
    AffineMap rows5 = leadingDimsMap(b.getContext(), 5, 4);
    Value zero = floatConst(b, loc, ct, 0.0);
    Value exps = buildGeneric(
        b, loc, tensor::getMixedSizes(b, loc, scaled), ct, {scaled, rowMax},
        {full5, rows5}, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          // A row that sees nothing has max -inf: its weights are zero.
          Value dead = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ,
                                             a[1], negInf);
          Value shifted = arith::SubFOp::create(nb, l, a[0], a[1]);
          Value e = math::ExpOp::create(nb, l, shifted);
          return arith::SelectOp::create(nb, l, dead, zero, e);
        });
    Value rowSum = reduceLastDim(
        b, loc, exps, 0.0,
        [](OpBuilder &nb, Location l, Value acc, Value x) -> Value {
          return arith::AddFOp::create(nb, l, acc, x);
        });

    // Out [B·Hkv, rep·Sq, Dv] -> [B, Hkv, rep, Sq, Dv] -> [B, Sq, Hkv, rep, Dv]
    //     -> [B, Sq, H·Dv]
    auto expandOut = [&](Value o3) -> Value {
      return tensor::ExpandShapeOp::create(
          b, loc, RankedTensorType::get({bS, hkv, rep, sqS, dv}, ct), o3,
          ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}},
          ArrayRef<OpFoldResult>{batchF, b.getIndexAttr(hkv),
                                 b.getIndexAttr(rep), sqF, b.getIndexAttr(dv)});
    };
    // softmax(L)·V = (exp(L − max)·V) / rowsum: the division moves after
    // the product, onto [.., Sq, Dv] instead of [.., Sq, keys].
    Value e3 = tensor::CollapseShapeOp::create(
        b, loc, exps, ArrayRef<ReassociationIndices>{{0, 1}, {2, 3}, {4}});
    Value unnormalised = expandOut(
        batchMatmul(b, loc, e3, v3, {bh, rows, b.getIndexAttr(dv)}, ct));
    SmallVector<Value> epiInputs = {unnormalised, rowSum};
    SmallVector<AffineMap> epiMaps = {full5, rows5};
    if (op.isShaped()) {
      // A_h·V = β·softmax(L)·V + α·V − γ·C·V (Sq == Skv, no bias slots), with
      // C·V never built as a matrix: row t of C·V is the mean of V rows 0..t
      // (causal: a prefix sum over the sequence divided by t + 1) or the mean
      // of all Skv rows. V is read as [B, Skv, Hkv, Dv].
      MLIRContext *ctx = b.getContext();
      auto dim = [&](unsigned i) { return b.getAffineDimExpr(i); };
      // (b, g, r, i, e) -> V[b, i, g, e]
      AffineMap vRow = AffineMap::get(5, 0, {dim(0), dim(3), dim(1), dim(4)}, ctx);
      epiInputs.push_back(v4);
      epiMaps.push_back(vRow);
      if (causal) {
        epiInputs.push_back(prefixSumSeq(b, loc, v4, ct));
        epiMaps.push_back(vRow);
      } else {
        epiInputs.push_back(sumSeq(b, loc, v4, ct));
        epiMaps.push_back(AffineMap::get(5, 0, {dim(0), dim(1), dim(4)}, ctx));
      }
      for (ArrayRef<double> coeffs :
           {*op.getAlpha(), *op.getBeta(), *op.getGamma()}) {
        epiInputs.push_back(headTable(b, loc, coeffs, ct));
        // head = g·rep + r
        epiMaps.push_back(AffineMap::get(5, 0, dim(1) * rep + dim(2)));
      }
    }
    Value o5 = buildGeneric(
        b, loc, tensor::getMixedSizes(b, loc, unnormalised), ct, epiInputs,
        epiMaps, [&](OpBuilder &nb, Location l, ValueRange a) -> Value {
          // A row that sees no key has sum 0: its softmax term is 0.
          Value empty = arith::CmpFOp::create(
              nb, l, arith::CmpFPredicate::OEQ, a[1], zero);
          Value o = arith::DivFOp::create(nb, l, a[0], a[1]);
          o = arith::SelectOp::create(nb, l, empty, zero, o);
          if (!op.isShaped())
            return o;
          // (C·V)[i] = prefix_sum[i] / (i + 1)  or  sum / Skv.
          Value count = keys;
          if (causal)
            count = arith::AddIOp::create(nb, l, linalg::IndexOp::create(nb, l, 3),
                                          indexConst(nb, l, 1));
          Value cv = arith::DivFOp::create(nb, l, a[3], castScalar(nb, l, count, ct));
          Value t0 = arith::MulFOp::create(nb, l, a[4], a[2]);
          Value t1 = arith::MulFOp::create(nb, l, a[5], o);
          Value t2 = arith::MulFOp::create(nb, l, a[6], cv);
          return arith::SubFOp::create(
              nb, l, arith::AddFOp::create(nb, l, t1, t0), t2);
        });
    Value oT = transpose(b, loc, o5, {0, 3, 1, 2, 4});
    Value out = tensor::CollapseShapeOp::create(
        b, loc, oT, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
    out = castTensor(b, loc, out, elt);
    replaceWithValue(rewriter, op, out);
    return success();
  }

  static Value transpose(OpBuilder &b, Location loc, Value t,
                         ArrayRef<int64_t> perm) {
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, t);
    SmallVector<OpFoldResult> permuted;
    for (int64_t p : perm)
      permuted.push_back(sizes[p]);
    Value init = tensor::EmptyOp::create(
        b, loc, permuted, cast<RankedTensorType>(t.getType()).getElementType());
    return linalg::TransposeOp::create(b, loc, t, init, perm).getResult()[0];
  }

  /// x: [B, S, G, E] -> [B, G, E], the sum over the sequence.
  static Value sumSeq(OpBuilder &b, Location loc, Value x, Type ct) {
    MLIRContext *ctx = b.getContext();
    auto dim = [&](unsigned i) { return b.getAffineDimExpr(i); };
    Value init = tensor::EmptyOp::create(
        b, loc,
        {tensor::getMixedSize(b, loc, x, 0), tensor::getMixedSize(b, loc, x, 2),
         tensor::getMixedSize(b, loc, x, 3)},
        ct);
    Value acc = linalg::FillOp::create(b, loc, floatConst(b, loc, ct, 0.0), init)
                    .getResult(0);
    // (b, g, e, s): s innermost, the reduction.
    auto generic = linalg::GenericOp::create(
        b, loc, acc.getType(), ValueRange{x}, ValueRange{acc},
        ArrayRef<AffineMap>{
            AffineMap::get(4, 0, {dim(0), dim(3), dim(1), dim(2)}, ctx),
            AffineMap::get(4, 0, {dim(0), dim(1), dim(2)}, ctx)},
        ArrayRef<utils::IteratorType>{
            utils::IteratorType::parallel, utils::IteratorType::parallel,
            utils::IteratorType::parallel, utils::IteratorType::reduction},
        [](OpBuilder &nb, Location l, ValueRange a) {
          linalg::YieldOp::create(nb, l,
                                  arith::AddFOp::create(nb, l, a[1], a[0]).getResult());
        });
    return generic.getResult(0);
  }

  /// x: [B, S, G, E] -> [B, S, G, E], the inclusive prefix sum over the
  /// sequence: an scf.for over S carrying the running [B, G, E] sum, O(S·G·E).
  static Value prefixSumSeq(OpBuilder &b, Location loc, Value x, Type ct) {
    auto xTy = cast<RankedTensorType>(x.getType());
    OpFoldResult bF = tensor::getMixedSize(b, loc, x, 0),
                 gF = tensor::getMixedSize(b, loc, x, 2),
                 eF = tensor::getMixedSize(b, loc, x, 3);
    Value seq = dimValue(b, loc, x, 1);
    Value sumInit = tensor::EmptyOp::create(b, loc, {bF, gF, eF}, ct);
    sumInit = linalg::FillOp::create(b, loc, floatConst(b, loc, ct, 0.0), sumInit)
                  .getResult(0);
    Value outInit =
        tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, x), ct);
    auto rowTy = RankedTensorType::get(
        {xTy.getDimSize(0), xTy.getDimSize(2), xTy.getDimSize(3)}, ct);
    auto loop = scf::ForOp::create(
        b, loc, indexConst(b, loc, 0), seq, indexConst(b, loc, 1),
        ValueRange{sumInit, outInit},
        [&](OpBuilder &nb, Location l, Value t, ValueRange iter) {
          SmallVector<OpFoldResult> offsets = {nb.getIndexAttr(0), t,
                                               nb.getIndexAttr(0),
                                               nb.getIndexAttr(0)};
          SmallVector<OpFoldResult> sizes = {bF, nb.getIndexAttr(1), gF, eF};
          SmallVector<OpFoldResult> strides(4, nb.getIndexAttr(1));
          Value row = tensor::ExtractSliceOp::create(nb, l, rowTy, x, offsets,
                                                     sizes, strides);
          AffineMap id = nb.getMultiDimIdentityMap(3);
          Value sum =
              linalg::GenericOp::create(
                  nb, l, iter[0].getType(), ValueRange{row}, ValueRange{iter[0]},
                  ArrayRef<AffineMap>{id, id}, parallelIterators(3),
                  [](OpBuilder &bb, Location ll, ValueRange a) {
                    linalg::YieldOp::create(
                        bb, ll, arith::AddFOp::create(bb, ll, a[1], a[0]).getResult());
                  })
                  .getResult(0);
          Value out = tensor::InsertSliceOp::create(nb, l, sum, iter[1], offsets,
                                                    sizes, strides);
          scf::YieldOp::create(nb, l, ValueRange{sum, out});
        });
    return loop.getResult(1);
  }

  /// [Bt, M, K] × [Bt, K, N] -> [Bt, M, N], accumulating from zero.
  static Value batchMatmul(OpBuilder &b, Location loc, Value lhs, Value rhs,
                           ArrayRef<OpFoldResult> sizes, Type ct) {
    Value init = tensor::EmptyOp::create(b, loc, sizes, ct);
    Value acc =
        linalg::FillOp::create(b, loc, floatConst(b, loc, ct, 0.0), init)
            .getResult(0);
    return linalg::BatchMatmulOp::create(b, loc, TypeRange{acc.getType()},
                                         ValueRange{lhs, rhs}, ValueRange{acc})
        .getResult(0);
  }
};

//===----------------------------------------------------------------------===//
// tfm.block
//===----------------------------------------------------------------------===//

struct BlockInlining : OpRewritePattern<BlockOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BlockOp op,
                                PatternRewriter &rewriter) const override {
    Block &body = op.getBody().front();
    auto yield = cast<YieldOp>(body.getTerminator());
    SmallVector<Value> results(yield.getValues());
    rewriter.inlineBlockBefore(&body, op, op.getInputs());
    rewriter.eraseOp(yield);
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertTfmToLinalgPass
    : mlir::tfm::impl::ConvertTfmToLinalgBase<ConvertTfmToLinalgPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    ConvertTfmToLinalgBase::getDependentDialects(registry);
    // Shaped causal attention's prefix sum over the sequence.
    registry.insert<scf::SCFDialect>();
  }
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    ConversionTarget target(*ctx);
    target.addIllegalDialect<TfmDialect>();
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    populateTfmToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::tfm::populateTfmToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<LinearLowering, NormLowering, ActivationLowering,
               ResidualLowering, EmbeddingLowering, RotaryLowering,
               AttentionLowering, BlockInlining>(patterns.getContext());
}
