//===- FuseAttention.cpp - tfm.attention as one online-softmax loop nest
//----===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowers tfm.attention to a single `scf.forall` over (batch, kv head, query
// head in the group, query row). Each point keeps its query row, running
// max, running sum and output accumulator in vectors of the head width and
// streams the bias slots and then the visible keys once (the online softmax
// of FlashAttention): no [Sq, Skv] logits tensor exists and K/V are read
// once per query row. The same IR runs on the CPU (the forall becomes
// loops) and on the GPU (`tfm-linalg-to-gpu` turns the forall into one
// kernel, a thread per query row), so its numerics are checked without a
// GPU.
//
//===----------------------------------------------------------------------===//

#include "Builders.h"
#include "WarpAttention.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEATTENTION
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {

/// The running state of one query row: max, sum of exponentials, the
/// unnormalised output and (shaped attention) the sum of the value rows.
struct RowState {
  Value max, sum, acc, valueSum;

  SmallVector<Value> values() const {
    SmallVector<Value> v = {max, sum, acc};
    if (valueSum)
      v.push_back(valueSum);
    return v;
  }
  static RowState from(ValueRange v) {
    return {v[0], v[1], v[2], v.size() > 3 ? v[3] : Value()};
  }
};

struct FusedAttentionBuilder {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  Type elt, ct;
  int64_t rep, d, dv;
  VectorType qTy, vTy;
  Value negInf, zero;

  /// Keys folded into the row state per step of the key loop.
  int64_t keyBlock;

  FusedAttentionBuilder(AttentionOp op, OpBuilder &b, int64_t keyBlock)
      : op(op), b(b), loc(op.getLoc()), keyBlock(keyBlock) {
    elt = cast<RankedTensorType>(op.getType()).getElementType();
    ct = computeType(elt);
    rep = op.getNumHeads() / op.getKvHeads();
    d = op.getHeadDim();
    dv = op.getValueHeadDim();
    qTy = VectorType::get({d}, ct);
    vTy = VectorType::get({dv}, ct);
  }

  Value idx(int64_t v) { return indexConst(b, loc, v); }

  /// Reads `width` elements of the last dimension of `t` at `pos` as a
  /// vector of the compute type.
  Value readRow(Value t, ValueRange pos, int64_t width) {
    Type te = cast<RankedTensorType>(t.getType()).getElementType();
    Value pad = floatConst(b, loc, te, 0.0);
    Value row =
        vector::TransferReadOp::create(b, loc, VectorType::get({width}, te), t,
                                       pos, pad, ArrayRef<bool>{true});
    if (te == ct)
      return row;
    return arith::ExtFOp::create(b, loc, VectorType::get({width}, ct), row);
  }

  /// The scaled logit of `q` against key row `k` in base-2 units (times
  /// log2 e, so that the softmax's exponentials are exp2: one `ex2.approx`
  /// on the GPU instead of exp's range reduction and polynomial), with the
  /// mask value `m` applied (i1: visibility, float: added; null: none).
  Value logit(Value q, Value k, Value m) {
    Value prod = arith::MulFOp::create(b, loc, q, k);
    Value dot =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, prod,
                                    Value(), arith::FastMathFlags::reassoc);
    Value s = arith::MulFOp::create(
        b, loc, dot, floatConst(b, loc, ct, op.getEffectiveScale() * kLog2E));
    if (!m)
      return s;
    if (m.getType().isInteger(1))
      return arith::SelectOp::create(b, loc, m, s, negInf);
    return addBase2Mask(b, loc, s, m);
  }

  /// Folds keys with logits `s` and value rows `v` into `st`: one
  /// rescaling of the state for all of them, so that a block of keys costs
  /// one dependent max/exp/rescale step instead of one per key. A logit of
  /// -inf (an invisible key) contributes nothing; while every key so far is
  /// invisible the state stays (-inf, 0, 0).
  RowState update(const RowState &st, ArrayRef<Value> s, ArrayRef<Value> v) {
    Value newMax = st.max;
    for (Value x : s)
      newMax = arith::MaximumFOp::create(b, loc, newMax, x);
    Value base = softmaxBase(b, loc, newMax, negInf, zero);
    auto weight = [&](Value x) {
      return math::Exp2Op::create(b, loc,
                                  arith::SubFOp::create(b, loc, x, base));
    };
    Value corr = weight(st.max);
    RowState next = st;
    next.max = newMax;
    next.sum = arith::MulFOp::create(b, loc, st.sum, corr);
    Value corrV = vector::BroadcastOp::create(b, loc, vTy, corr);
    next.acc = arith::MulFOp::create(b, loc, st.acc, corrV);
    for (auto [x, row] : llvm::zip_equal(s, v)) {
      Value p = weight(x);
      next.sum = arith::AddFOp::create(b, loc, next.sum, p);
      Value pV = vector::BroadcastOp::create(b, loc, vTy, p);
      next.acc = vector::FMAOp::create(b, loc, pV, row, next.acc);
    }
    return next;
  }

  /// Streams keys [begin, end) through `body` `step` keys at a time (end -
  /// begin a multiple of `step`); `body` gets the first key of each step and
  /// returns the next state.
  RowState stream(const RowState &init, Value begin, Value end, int64_t step,
                  function_ref<RowState(Value, const RowState &)> body) {
    auto loop = scf::ForOp::create(
        b, loc, begin, end, idx(step), init.values(),
        [&](OpBuilder &, Location, Value j, ValueRange iter) {
          // The body builder is `b`, placed in the loop body.
          RowState next = body(j, RowState::from(iter));
          scf::YieldOp::create(b, loc, next.values());
        });
    return RowState::from(loop.getResults());
  }

  /// Streams keys [0, count) through `keys`, which folds `n` keys starting
  /// at its first argument into the state: blocks of `keyBlock`, then the
  /// remainder one at a time.
  RowState
  streamBlocked(const RowState &init, Value count,
                function_ref<RowState(Value, int64_t, const RowState &)> keys) {
    RowState st = init;
    Value blocked = idx(0);
    if (keyBlock > 1) {
      blocked = arith::SubIOp::create(
          b, loc, count, arith::RemSIOp::create(b, loc, count, idx(keyBlock)));
      st = stream(
          st, idx(0), blocked, keyBlock,
          [&](Value j, const RowState &s) { return keys(j, keyBlock, s); });
    }
    return stream(st, blocked, count, 1,
                  [&](Value j, const RowState &s) { return keys(j, 1, s); });
  }

  Value build() {
    Value q = op.getQuery(), k = op.getKey(), v = op.getValue();
    Value mask = op.getMask(), biasMask = op.getBiasMask();
    bool causal = op.getCausal(), shaped = op.isShaped();
    int64_t hkv = op.getKvHeads();
    negInf = floatConst(b, loc, ct, -std::numeric_limits<double>::infinity());
    zero = floatConst(b, loc, ct, 0.0);

    Value batch = dimValue(b, loc, q, 0), sq = dimValue(b, loc, q, 1);
    Value skv = dimValue(b, loc, k, 1);
    // Shaped attention's per-head coefficients, read by head index.
    SmallVector<Value> coeffs;
    if (shaped)
      for (ArrayRef<double> c : {*op.getAlpha(), *op.getBeta(), *op.getGamma()})
        coeffs.push_back(headTable(b, loc, c, ct));

    SmallVector<OpFoldResult> outSizes = {
        tensor::getMixedSize(b, loc, q, 0), tensor::getMixedSize(b, loc, q, 1),
        b.getIndexAttr(op.getNumHeads() * dv)};
    Value init = tensor::EmptyOp::create(b, loc, outSizes, elt);
    SmallVector<OpFoldResult> ubs = {getAsOpFoldResult(batch),
                                     b.getIndexAttr(hkv), b.getIndexAttr(rep),
                                     getAsOpFoldResult(sq)};
    auto forall = scf::ForallOp::create(b, loc, ubs, ValueRange{init},
                                        std::nullopt, nullptr);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    ValueRange ivs = forall.getInductionVars();
    Value bi = ivs[0], g = ivs[1], r = ivs[2], i = ivs[3];
    Value head = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, g, idx(rep)), r);
    Value qCol = arith::MulIOp::create(b, loc, head, idx(d));
    Value kCol = arith::MulIOp::create(b, loc, g, idx(d));
    Value vCol = arith::MulIOp::create(b, loc, g, idx(dv));
    Value qRow = readRow(q, {bi, i, qCol}, d);

    RowState st{
        negInf, zero,
        arith::ConstantOp::create(
            b, loc, vTy, DenseElementsAttr::get(vTy, b.getFloatAttr(ct, 0.0)))};
    if (shaped)
      st.valueSum = st.acc;

    // Bias slots: always visible unless bias_mask says otherwise.
    if (op.hasBiasSlots()) {
      Value kb = op.getKeyBias(), vb = op.getValueBias();
      st = stream(st, idx(0), dimValue(b, loc, kb, 1), 1,
                  [&](Value p, const RowState &s) {
                    Value m = biasMask ? readAttentionMask(b, loc, biasMask,
                                                           {bi, head, i, p})
                                       : Value();
                    Value l = logit(qRow, readRow(kb, {g, p, idx(0)}, d), m);
                    return update(s, l, readRow(vb, {g, p, idx(0)}, dv));
                  });
    }

    // Runtime keys; causal: key j is visible to row i iff j <= i + Skv - Sq.
    Value visibleKeys = skv;
    if (causal) {
      Value limit = arith::SubIOp::create(
          b, loc, arith::AddIOp::create(b, loc, i, skv), sq);
      limit = arith::AddIOp::create(b, loc, limit, idx(1));
      limit = arith::MaxSIOp::create(b, loc, limit, idx(0));
      visibleKeys = arith::MinSIOp::create(b, loc, limit, skv);
    }
    // All logits of a block first (independent dot products), then one
    // state update for the block.
    st = streamBlocked(
        st, visibleKeys, [&](Value j0, int64_t n, const RowState &s) {
          SmallVector<Value> logits, vRows;
          for (int64_t t = 0; t < n; ++t) {
            Value j = t == 0 ? j0 : arith::AddIOp::create(b, loc, j0, idx(t));
            Value m = mask ? readAttentionMask(b, loc, mask, {bi, head, i, j})
                           : Value();
            logits.push_back(logit(qRow, readRow(k, {bi, j, kCol}, d), m));
          }
          for (int64_t t = 0; t < n; ++t) {
            Value j = t == 0 ? j0 : arith::AddIOp::create(b, loc, j0, idx(t));
            vRows.push_back(readRow(v, {bi, j, vCol}, dv));
          }
          RowState next = update(s, logits, vRows);
          if (shaped)
            for (Value vRow : vRows)
              next.valueSum =
                  arith::AddFOp::create(b, loc, next.valueSum, vRow);
          return next;
        });

    // out = acc / sum; a row that saw no key gives zeros.
    Value empty =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, st.sum, zero);
    Value denom = arith::SelectOp::create(b, loc, empty,
                                          floatConst(b, loc, ct, 1.0), st.sum);
    Value out = arith::DivFOp::create(
        b, loc, st.acc, vector::BroadcastOp::create(b, loc, vTy, denom));
    if (shaped) {
      // β·softmax·V + α·V[i] − γ·(C·V)[i], (C·V)[i] the mean of the value
      // rows row i sees: i + 1 of them when causal, Skv otherwise.
      auto coeff = [&](int which) {
        Value c = tensor::ExtractOp::create(b, loc, coeffs[which], head);
        return vector::BroadcastOp::create(b, loc, vTy, c);
      };
      Value count = causal ? arith::AddIOp::create(b, loc, i, idx(1)) : skv;
      Value mean = arith::DivFOp::create(
          b, loc, st.valueSum,
          vector::BroadcastOp::create(b, loc, vTy,
                                      castScalar(b, loc, count, ct)));
      Value self = readRow(v, {bi, i, vCol}, dv);
      Value alpha = coeff(0), beta = coeff(1), gamma = coeff(2);
      Value t = vector::FMAOp::create(b, loc, alpha, self,
                                      arith::MulFOp::create(b, loc, beta, out));
      out = arith::SubFOp::create(b, loc, t,
                                  arith::MulFOp::create(b, loc, gamma, mean));
    }
    if (ct != elt)
      out = arith::TruncFOp::create(b, loc, VectorType::get({dv}, elt), out);

    // Write the row into its slice of the shared output.
    Value shared = forall.getRegionIterArgs()[0];
    Value oCol = arith::MulIOp::create(b, loc, head, idx(dv));
    SmallVector<OpFoldResult> offsets = {bi, i, oCol};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1), b.getIndexAttr(1),
                                       b.getIndexAttr(dv)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    // Not rank-reduced: with Dv == 1 the dropped unit dimensions would be
    // ambiguous and the buffer view could keep a non-unit stride.
    auto rowTy = RankedTensorType::get({1, 1, dv}, elt);
    Value slice = tensor::ExtractSliceOp::create(b, loc, rowTy, shared, offsets,
                                                 sizes, strides);
    Value written = vector::TransferWriteOp::create(
                        b, loc, out, slice, ValueRange{idx(0), idx(0), idx(0)},
                        ArrayRef<bool>{true})
                        .getResult();
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, written, shared, offsets,
                                          sizes, strides);
    return forall.getResult(0);
  }
};

/// The head widths must be static (they are vector lengths) and small
/// enough for a row's state to live in registers.
LogicalResult canFuse(AttentionOp op, int64_t maxHeadDim) {
  int64_t d = op.getHeadDim(), dv = op.getValueHeadDim();
  if (ShapedType::isDynamic(d) || ShapedType::isDynamic(dv))
    return failure();
  if (d > maxHeadDim || dv > maxHeadDim)
    return failure();
  return success(
      isa<FloatType>(cast<RankedTensorType>(op.getType()).getElementType()));
}

struct FuseAttentionPattern : OpRewritePattern<AttentionOp> {
  FuseAttentionPattern(MLIRContext *ctx, int64_t maxHeadDim, int64_t keyBlock,
                       bool tensorCores)
      : OpRewritePattern(ctx), maxHeadDim(maxHeadDim), keyBlock(keyBlock),
        tensorCores(tensorCores) {}

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(canFuse(op, maxHeadDim)))
      return rewriter.notifyMatchFailure(
          op, "head widths dynamic or wider than max-head-dim");
    Value out = tensorCores && canUseWarpAttention(op)
                    ? buildWarpAttention(op, rewriter)
                    : FusedAttentionBuilder(op, rewriter, keyBlock).build();
    if (out.getType() != op.getType())
      out = tensor::CastOp::create(rewriter, op.getLoc(), op.getType(), out);
    rewriter.replaceOp(op, out);
    return success();
  }

  int64_t maxHeadDim, keyBlock;
  bool tensorCores;
};

struct TfmFuseAttentionPass
    : mlir::tfm::impl::TfmFuseAttentionBase<TfmFuseAttentionPass> {
  using Base::Base;

  void runOnOperation() override {
    if (keyBlock < 1) {
      getOperation()->emitError()
          << "tfm-fuse-attention: key-block must be at least 1, got "
          << static_cast<int64_t>(keyBlock);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern>(&getContext(), maxHeadDim, keyBlock,
                                       tensorCores);
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps);
    if (failed(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      signalPassFailure();
  }
};

} // namespace
