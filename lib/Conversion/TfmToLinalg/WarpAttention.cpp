//===- WarpAttention.cpp - tfm.attention on tensor cores (mma.sync) -------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The GPU form of the fused attention for 16-bit inputs: an `scf.forall`
// over (batch, kv head, query head of the group, 16-row query tile, lane)
// whose 32 lanes are one warp (`tfm-linalg-to-gpu` maps the innermost
// dimension to consecutive threads). A warp keeps its 16 query rows in
// registers as `mma.sync.m16n8k16` A fragments and streams the visible keys
// 64 at a time (fewer past head width 64 and for shaped attention), as
// FlashAttention-2 does:
//
//   S = Q·Kᵀ (tensor cores, f32) -> scale (times log2 e), mask -> running
//   row max and sum (quad shuffles) -> P = 2^(S - max) rounded to 16 bits
//   -> O += P·V
//   (tensor cores; P's accumulator fragments are the A fragments of P·V).
//
// The key loop is split in two: first the steps that every row of the
// warp sees whole (real keys, causally visible to its first row), which
// need no per-logit visibility test (a mask still applies), then the rest,
// with the tests.
//
// Bias slots (kv_bias, Sun et al.'s explicit attention bias) are a first
// key loop over the slots, 16 at a time, read from the kv head's slot rows
// and hidden only by bias_mask; the runtime keys follow with the same
// online-softmax state.
//
// Shaped attention (α·I + β·softmax − γ·C, He & Hofmann) adds C·V as a
// second accumulator, U·V with U one where the row streams the key (the
// same A-fragment layout as P), and combines the three terms per element
// at the end.
//
// Fragment layout of m16n8k16 (PTX ISA, "Matrix fragments for mma.m16n8k16"),
// with g = lane / 4 and t = lane % 4:
//   A (16x16): a0 = A[g][2t, 2t+1], a1 = A[g+8][2t..], a2 = A[g][2t+8..],
//              a3 = A[g+8][2t+8..];
//   B (16x8):  b0 = B[2t, 2t+1][g], b1 = B[2t+8, 2t+9][g];
//   C (16x8):  c0, c1 = C[g][2t, 2t+1], c2, c3 = C[g+8][2t, 2t+1].
//
// Wide loads through permuted indices. A sum over k does not depend on the
// order of k, and an output column may be computed in any tile as long as
// it is stored where it belongs; the kernel picks both orders so that every
// lane reads and writes contiguous runs:
//  - Q·Kᵀ sums over the head width d. Lane t owns the d/4 head columns
//    [t·d/4, (t+1)·d/4): contraction index 2t+e of k-step s is column
//    t·d/4 + 4s + e, and 2t+8+e is t·d/4 + 4s + 2 + e. Q's rows and each
//    key's row are then read as one d/4-wide vector a lane (a whole key row
//    a quad), not as 2-element pairs.
//  - P·V's B column n of output tile τ (of dv/8) is value column
//    n·dv/8 + τ. B holds one column per lane, g, so a lane reads the dv/8
//    contiguous columns [g·dv/8, (g+1)·dv/8) of each of its four key rows
//    and takes b0, b1 of every tile from them, instead of loading each
//    16-bit element on its own.
//  - So the accumulator's c0, c1 of tile τ are output columns 2t·dv/8 + τ
//    and (2t+1)·dv/8 + τ: a lane's results for a row are the contiguous
//    columns [2t·dv/8, (2t+2)·dv/8), one vector store.
//
// No lane branches around the warp-wide mma.sync: rows past the sequence
// end compute as the last row (their loads, causal limit and mask use the
// clamped row). The output is [B·Sq + B·16, H·Dv]: row b·Sq + s is the
// result's (b, s), and a row s ≥ Sq of batch b's last tile goes to row
// B·Sq + b·16 + (s - Sq) of the padding after them. The result is then the
// first B·Sq rows, which later ops read in place (no copy). A lane's two
// rows are one slice (rows r and r + stride), every lane's slice is its
// own, and the bufferization writes them in place.
//
//===----------------------------------------------------------------------===//

#include "WarpAttention.h"

#include "Builders.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::lowering;

namespace {

/// Query rows per warp (mma's M) and mma's K.
constexpr int64_t kRows = 16, kK = 16;

/// Value columns a lane reads at once from one key row: 16 bytes, the
/// widest access.
constexpr int64_t kValuePiece = 8;

/// A 16x8 f32 accumulator fragment: c0..c3 of one lane.
using Frag = std::array<Value, 4>;

/// The keys one key loop streams: the runtime keys (K [B, Skv, Hkv·D] read
/// at (batch, key, the kv head's columns)) or the bias slots (kv_bias
/// [Hkv, P, D] read at (kv head, slot, 0)).
struct KeySource {
  Value k, v;
  /// First index of a key's row: the batch or the kv head.
  Value lead;
  /// First column of the kv head's key and value.
  Value kCol, vCol;
  /// Number of keys, and the last one (reads past it are clamped).
  Value count, last;
  /// i1 or additive mask over [B, H, Sq, count]; null: none.
  Value mask;
  /// Whether the causal pattern applies (runtime keys only).
  bool causal;
  /// Keys per step (a multiple of 16).
  int64_t width;
};

struct WarpAttentionBuilder {
  AttentionOp op;
  OpBuilder &b;
  Location loc;
  Type elt, f32;
  bool bf16, causal, shaped;
  int64_t rep, d, dv;
  /// Head columns of Q and K a lane reads (d / 4).
  int64_t kSpan;
  /// Output tiles of 8 columns (dv / 8): also the value columns a lane
  /// reads of a key row, and half the output columns it writes of a row.
  int64_t outTiles;
  /// Keys per step of the runtime key loop (a multiple of 16): 64; 32 for
  /// head widths over 64 and for shaped attention (its second
  /// accumulator); 16 for head widths over 64 with a mask. Longer steps
  /// spill past 255 registers (ptxas.test, attention-mma-wide.mlir).
  int64_t keyStep;
  Value negInf, zero, scale;
  // Operands and the point's coordinates, set by build().
  Value v, sq, skv, bi, head, vCol, quad, tig, pairCol;
  std::array<Value, 2> rows;
  /// Where the lane's two rows are stored: the output's row b·Sq + row,
  /// or for a row past the sequence end, row B·Sq + b·16 + (row - Sq) of
  /// the padding after the last batch.
  std::array<Value, 2> storeRows;
  /// Q as A fragments, one per 16 columns of the head.
  SmallVector<SmallVector<Value, 4>> qFrags;

  WarpAttentionBuilder(AttentionOp op, OpBuilder &b)
      : op(op), b(b), loc(op.getLoc()) {
    elt = cast<RankedTensorType>(op.getType()).getElementType();
    f32 = b.getF32Type();
    bf16 = elt.isBF16();
    causal = op.getCausal();
    shaped = op.isShaped();
    rep = op.getNumHeads() / op.getKvHeads();
    d = op.getHeadDim();
    dv = op.getValueHeadDim();
    keyStep = d > 64 && op.getMask() ? 16 : shaped || d > 64 ? 32 : 64;
    kSpan = d / 4;
    outTiles = dv / 8;
  }

  Value idx(int64_t v) { return indexConst(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value add(Value x, int64_t y) { return y ? add(x, idx(y)) : x; }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, idx(y));
  }
  Value min(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }

  /// The `n` contiguous elements of `t` ([lead, row, column]) at
  /// [lead, row, col].
  Value rowAt(Value t, Value lead, Value row, Value col, int64_t n) {
    Value pad = floatConst(b, loc, elt, 0.0);
    return vector::TransferReadOp::create(b, loc, VectorType::get({n}, elt), t,
                                          ValueRange{lead, row, col}, pad,
                                          ArrayRef<bool>{true});
  }

  /// A vector<2N x T> as its N registers (vector<2 x T>) of mma operands.
  SmallVector<Value> registers(Value vec) {
    auto ty = cast<VectorType>(vec.getType());
    auto regTy = VectorType::get({2}, ty.getElementType());
    SmallVector<Value> regs;
    for (int64_t i = 0; i < ty.getNumElements(); i += 2)
      regs.push_back(vector::FromElementsOp::create(
          b, loc, regTy,
          ValueRange{vector::ExtractOp::create(b, loc, vec, ArrayRef{i}),
                     vector::ExtractOp::create(b, loc, vec, ArrayRef{i + 1})}));
    return regs;
  }

  /// Two f32 values rounded to 16 bits: one register of an mma operand.
  Value pack(Value lo, Value hi) {
    return vector::FromElementsOp::create(
        b, loc, VectorType::get({2}, elt),
        ValueRange{arith::TruncFOp::create(b, loc, elt, lo),
                   arith::TruncFOp::create(b, loc, elt, hi)});
  }

  /// Registers (vector<2xT> each) as an mma operand vector<Nx2xT>.
  Value stack(ArrayRef<Value> regs) {
    Type t = cast<VectorType>(regs[0].getType()).getElementType();
    auto ty = VectorType::get({static_cast<int64_t>(regs.size()), 2}, t);
    Value out = arith::ConstantOp::create(
        b, loc, ty, DenseElementsAttr::get(ty, b.getZeroAttr(t)));
    for (auto [i, r] : llvm::enumerate(regs))
      out = vector::InsertOp::create(b, loc, r, out,
                                     ArrayRef<int64_t>{int64_t(i)});
    return out;
  }

  /// D = A·B + C for one m16n8k16 tile (`nvgpu.mma.sync`: pure, so the
  /// buffer passes see through it; `tfm-linalg-to-gpu` turns it into
  /// `nvvm.mma.sync`, which also takes bf16).
  Frag mma(ArrayRef<Value> a, ArrayRef<Value> bFrag, const Frag &c) {
    auto cTy = VectorType::get({2, 2}, f32);
    Value cVec = vector::FromElementsOp::create(b, loc, cTy, ValueRange(c));
    Value res = nvgpu::MmaSyncOp::create(b, loc, stack(a), stack(bFrag), cVec,
                                         ArrayRef<int64_t>{kRows, 8, kK});
    Frag out;
    for (int64_t e = 0; e < 4; ++e)
      out[e] = vector::ExtractOp::create(b, loc, res,
                                         ArrayRef<int64_t>{e / 2, e % 2});
    return out;
  }

  /// Reduces `v` over the four lanes of a quad (the lanes holding one row).
  Value quadReduce(Value v, bool isMax) {
    for (int32_t offset : {1, 2}) {
      Value other = gpu::ShuffleOp::create(b, loc, v, offset, /*width=*/32,
                                           gpu::ShuffleMode::XOR)
                        .getShuffleResult();
      v = isMax ? arith::MaximumFOp::create(b, loc, v, other).getResult()
                : arith::AddFOp::create(b, loc, v, other).getResult();
    }
    return v;
  }

  /// The number of keys row `row` sees under the causal pattern (keys
  /// j <= row + Skv - Sq), within [0, Skv].
  Value keysVisibleTo(Value row) {
    Value limit = add(arith::SubIOp::create(b, loc, add(row, skv), sq), 1);
    return min(arith::MaxSIOp::create(b, loc, limit, idx(0)), skv);
  }

  /// 2^(x - base): the logits are kept in base-2 units (scaled by log2 e),
  /// so the softmax's exponentials are exp2, one `ex2.approx` each on the
  /// GPU (as FlashAttention's), instead of exp's range reduction and
  /// polynomial.
  Value exp2(Value x, Value base) {
    return math::Exp2Op::create(b, loc, arith::SubFOp::create(b, loc, x, base));
  }

  Value build() {
    Value q = op.getQuery();
    v = op.getValue();
    int64_t hkv = op.getKvHeads();
    negInf = floatConst(b, loc, f32, -std::numeric_limits<double>::infinity());
    zero = floatConst(b, loc, f32, 0.0);
    // Logits in base-2 units: exp(s·scale - m) = 2^(s·scale·log2 e - m').
    scale = floatConst(b, loc, f32, op.getEffectiveScale() * kLog2E);

    Value batch = dimValue(b, loc, q, 0);
    sq = dimValue(b, loc, q, 1);
    skv = dimValue(b, loc, op.getKey(), 1);
    Value tiles = arith::CeilDivUIOp::create(b, loc, sq, idx(kRows));
    // The output as [B·Sq + B·16, H·Dv]: the result's rows, then 16 rows
    // a batch for the rows of its last tile past the sequence end. Each
    // lane stores two slices of it (bufferized in place), no two lanes the
    // same bytes, and no row needs a guard; the result is its first B·Sq
    // rows, a view.
    int64_t heads = op.getNumHeads();
    // Folded when static: the result is then static too.
    Value realRows = b.createOrFold<arith::MulIOp>(loc, batch, sq);
    Value outRows = add(realRows, mul(batch, kRows));
    SmallVector<OpFoldResult> outSizes = {getAsOpFoldResult(outRows),
                                          b.getIndexAttr(heads * dv)};
    Value init = tensor::EmptyOp::create(b, loc, outSizes, elt);
    SmallVector<OpFoldResult> ubs = {
        getAsOpFoldResult(batch), b.getIndexAttr(hkv), b.getIndexAttr(rep),
        getAsOpFoldResult(tiles), b.getIndexAttr(32)};
    auto forall = scf::ForallOp::create(b, loc, ubs, ValueRange{init},
                                        std::nullopt, nullptr);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    ValueRange ivs = forall.getInductionVars();
    bi = ivs[0];
    Value g = ivs[1], r = ivs[2], tile = ivs[3], lane = ivs[4];
    head = add(mul(g, rep), r);
    quad = arith::DivUIOp::create(b, loc, lane, idx(4));
    tig = arith::RemUIOp::create(b, loc, lane, idx(4));
    pairCol = mul(tig, 2);
    Value lastRow = arith::SubIOp::create(b, loc, sq, idx(1));
    Value row0 = mul(tile, kRows);
    // The lane's two rows (c0/c1 and c2/c3 of every tile); past the end
    // they compute as the last row (their stores land in the padding).
    Value rowA = add(row0, quad);
    rows = {min(rowA, lastRow), min(add(rowA, 8), lastRow)};
    for (int64_t half = 0; half < 2; ++half) {
      Value row = add(rowA, 8 * half);
      Value past =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, row, sq);
      Value real = add(arith::MulIOp::create(b, loc, bi, sq), row);
      Value pad = arith::SubIOp::create(
          b, loc, add(add(realRows, mul(bi, kRows)), row), sq);
      storeRows[half] = arith::SelectOp::create(b, loc, past, pad, real);
    }
    Value qCol = mul(head, d);
    vCol = mul(g, dv);

    // Q's A fragments: k-step s takes registers 2s and 2s + 1 of the lane's
    // span of each of its rows.
    Value qLane = add(qCol, mul(tig, kSpan));
    std::array<SmallVector<Value>, 2> qRegs = {
        registers(rowAt(q, bi, rows[0], qLane, kSpan)),
        registers(rowAt(q, bi, rows[1], qLane, kSpan))};
    for (int64_t s = 0; s < d / kK; ++s)
      qFrags.push_back({qRegs[0][2 * s], qRegs[1][2 * s], qRegs[0][2 * s + 1],
                        qRegs[1][2 * s + 1]});

    // Keys the warp's rows can see: key j is visible to row i iff
    // j <= i + Skv - Sq (causal), so the last row bounds the loop.
    Value keys =
        causal ? keysVisibleTo(min(add(row0, kRows - 1), lastRow)) : skv;

    // State: per row the running max and the lane's share of the sum, and
    // the output accumulator fragments (dv / 8 tiles).
    // Shaped attention also sums the value rows each row streams (C·V), as
    // a second accumulator: U·V with U one where a key is seen.
    SmallVector<Value> state = {negInf, negInf, zero, zero};
    for (int64_t i = 0; i < outTiles * 4 * (shaped ? 2 : 1); ++i)
      state.push_back(zero);
    // Steps [begin, end) of `src`; `full` steps need no visibility test.
    auto streamKeys = [&](const KeySource &src, Value begin, Value end,
                          bool full) {
      state = SmallVector<Value>(
          scf::ForOp::create(
              b, loc, begin, end, idx(src.width), state,
              [&](OpBuilder &, Location, Value k0, ValueRange iter) {
                scf::YieldOp::create(b, loc, step(k0, iter, src, full));
              })
              .getResults());
    };
    // The bias slots first (visible to every row unless bias_mask hides
    // them), 16 at a time: there are few.
    if (op.hasBiasSlots()) {
      Value kb = op.getKeyBias();
      Value slots = dimValue(b, loc, kb, 1);
      KeySource src{kb,
                    op.getValueBias(),
                    g,
                    idx(0),
                    idx(0),
                    slots,
                    arith::SubIOp::create(b, loc, slots, idx(1)),
                    op.getBiasMask(),
                    /*causal=*/false,
                    /*width=*/kK};
      streamKeys(src, idx(0), slots, /*full=*/false);
    }
    KeySource runtimeKeys{op.getKey(),
                          v,
                          bi,
                          mul(g, d),
                          vCol,
                          skv,
                          arith::SubIOp::create(b, loc, skv, idx(1)),
                          op.getMask(),
                          causal,
                          keyStep};
    // The leading steps every row of the tile sees whole (all real keys,
    // all causally visible to its first row, so to every row): key steps
    // up to min(Skv, row0 + Skv - Sq + 1), rounded down to whole steps.
    // They skip the per-element visibility tests; the steps after them
    // (the diagonal, the last partial step) keep them.
    Value fullKeys = causal ? keysVisibleTo(row0) : skv;
    Value fullEnd =
        mul(arith::DivUIOp::create(b, loc, fullKeys, idx(keyStep)), keyStep);
    streamKeys(runtimeKeys, idx(0), fullEnd, /*full=*/true);
    streamKeys(runtimeKeys, fullEnd, keys, /*full=*/false);
    ValueRange loop = state;

    // out = acc / sum (the sum over the quad); a row that saw no key gives
    // zeros.
    Value shared = forall.getRegionIterArgs()[0];
    // The lane's two rows as one slice: the second row is `rowStride` rows
    // after the first (8, or further when only it is past the end), so
    // that the bufferization writes the slice in place.
    Value outCol = add(mul(head, dv), mul(tig, 2 * outTiles));
    Value rowStride = arith::SubIOp::create(b, loc, storeRows[1], storeRows[0]);
    SmallVector<OpFoldResult> offsets = {storeRows[0], outCol};
    SmallVector<OpFoldResult> sizes = {b.getIndexAttr(2),
                                       b.getIndexAttr(2 * outTiles)};
    SmallVector<OpFoldResult> strides = {rowStride, b.getIndexAttr(1)};
    auto sliceTy = RankedTensorType::get({2, 2 * outTiles}, elt);
    Value slice = tensor::ExtractSliceOp::create(b, loc, sliceTy, shared,
                                                 offsets, sizes, strides);
    // Shaped attention's per-head coefficients.
    Value alpha, beta, gamma;
    if (shaped) {
      auto coeff = [&](ArrayRef<double> c) {
        return tensor::ExtractOp::create(b, loc, headTable(b, loc, c, f32),
                                         head)
            .getResult();
      };
      alpha = coeff(*op.getAlpha());
      beta = coeff(*op.getBeta());
      gamma = coeff(*op.getGamma());
    }
    for (int64_t half = 0; half < 2; ++half) {
      Value sum = quadReduce(loop[2 + half], /*isMax=*/false);
      Value empty =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum, zero);
      Value denom = arith::SelectOp::create(b, loc, empty,
                                            floatConst(b, loc, f32, 1.0), sum);
      // (C·V)[i] is the mean of the value rows row i saw: i + 1 of them
      // when causal, Skv otherwise.
      // The lane's columns of the row: element e·dv/8 + τ is c(2·half + e)
      // of tile τ.
      Value count, self;
      if (shaped) {
        count = castScalar(b, loc, causal ? add(rows[half], 1) : skv, f32);
        self = arith::ExtFOp::create(
            b, loc, VectorType::get({2 * outTiles}, f32),
            rowAt(v, bi, rows[half], add(vCol, mul(tig, 2 * outTiles)),
                  2 * outTiles));
      }
      SmallVector<Value> outs(2 * outTiles);
      for (int64_t t = 0; t < outTiles; ++t) {
        for (int64_t e = 0; e < 2; ++e) {
          int64_t at = 4 + t * 4 + half * 2 + e;
          Value o = arith::DivFOp::create(b, loc, loop[at], denom);
          if (shaped) {
            // β·softmax·V + α·V[i] − γ·mean.
            Value mean =
                arith::DivFOp::create(b, loc, loop[at + outTiles * 4], count);
            Value vi = vector::ExtractOp::create(b, loc, self,
                                                 ArrayRef{e * outTiles + t});
            o = math::FmaOp::create(b, loc, alpha, vi,
                                    arith::MulFOp::create(b, loc, beta, o));
            o = arith::SubFOp::create(
                b, loc, o, arith::MulFOp::create(b, loc, gamma, mean));
          }
          outs[e * outTiles + t] = arith::TruncFOp::create(b, loc, elt, o);
        }
      }
      Value vec = vector::FromElementsOp::create(
          b, loc, VectorType::get({2 * outTiles}, elt), outs);
      slice = vector::TransferWriteOp::create(b, loc, vec, slice,
                                              ValueRange{idx(half), idx(0)},
                                              ArrayRef<bool>{true})
                  .getResult();
    }
    b.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, loc, slice, shared, offsets, sizes,
                                          strides);

    // [B, Sq, H * Dv]: the first B·Sq rows, the padding cut.
    b.setInsertionPointAfter(forall);
    Value result = tensor::ExtractSliceOp::create(
        b, loc, forall.getResult(0),
        SmallVector<OpFoldResult>(2, b.getIndexAttr(0)),
        {getAsOpFoldResult(realRows), b.getIndexAttr(heads * dv)},
        SmallVector<OpFoldResult>(2, b.getIndexAttr(1)));
    auto resultTy = cast<RankedTensorType>(op.getType());
    return tensor::ExpandShapeOp::create(
        b, loc, resultTy, result,
        SmallVector<ReassociationIndices>{{0, 1}, {2}},
        SmallVector<OpFoldResult>{getAsOpFoldResult(batch),
                                  getAsOpFoldResult(sq),
                                  b.getIndexAttr(heads * dv)});
  }

  /// One step of a key loop: keys [k0, k0 + src.width) of `src` folded
  /// into the state (max A, max B, sum A, sum B, accumulator fragments,
  /// then those of C·V for shaped attention). A `full` step's keys are all
  /// real and causally visible to every row: only a mask can hide them.
  SmallVector<Value> step(Value k0, ValueRange iter, const KeySource &src,
                          bool full) {
    // A key index to read at: clamped to the last key unless all are real.
    auto keyAt = [&](Value j) { return full ? j : min(j, src.last); };
    int64_t keyTiles = src.width / 8;
    // S = Q·Kᵀ for tiles of eight keys, scaled.
    SmallVector<Frag> s(keyTiles);
    // Whether the row streams the key at all (a real key, causally
    // visible), before any mask: shaped attention's C·V counts these. Null
    // in a full step: always.
    SmallVector<std::array<Value, 4>> seen(keyTiles);
    for (int64_t t = 0; t < keyTiles; ++t) {
      Value key = keyAt(add(add(k0, t * 8), quad));
      // The key's row, the lane's span of it: k-step s takes registers 2s
      // and 2s + 1, like Q.
      SmallVector<Value> kRegs = registers(
          rowAt(src.k, src.lead, key, add(src.kCol, mul(tig, kSpan)), kSpan));
      Frag c = {zero, zero, zero, zero};
      for (int64_t ks = 0; ks < d / kK; ++ks)
        c = mma(qFrags[ks], {kRegs[2 * ks], kRegs[2 * ks + 1]}, c);
      for (int64_t e = 0; e < 4; ++e) {
        Value x = arith::MulFOp::create(b, loc, c[e], scale);
        Value row = rows[e / 2];
        Value j = add(add(add(k0, t * 8), pairCol), e % 2);
        // Visible: a real key, causally visible, and not masked out.
        Value vis;
        if (!full)
          vis = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, j,
                                      src.count);
        if (!full && src.causal) {
          Value limit = arith::SubIOp::create(b, loc, add(row, skv), sq);
          vis = arith::AndIOp::create(
              b, loc, vis,
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, j,
                                    limit));
        }
        seen[t][e] = vis;
        if (src.mask) {
          Value m =
              readAttentionMask(b, loc, src.mask, {bi, head, row, keyAt(j)});
          if (!m.getType().isInteger(1))
            x = addBase2Mask(b, loc, x, m);
          else
            vis = vis ? arith::AndIOp::create(b, loc, vis, m).getResult() : m;
        }
        s[t][e] = vis ? arith::SelectOp::create(b, loc, vis, x, negInf) : x;
      }
    }

    // Running max per row, the rescaling of the old state, P.
    SmallVector<Value> next(iter.begin(), iter.end());
    std::array<Value, 2> corr;
    for (int64_t half = 0; half < 2; ++half) {
      Value m = iter[half];
      for (const Frag &c : s)
        for (int64_t e = 0; e < 2; ++e)
          m = arith::MaximumFOp::create(b, loc, m, c[half * 2 + e]);
      m = quadReduce(m, /*isMax=*/true);
      Value base = softmaxBase(b, loc, m, negInf, zero);
      corr[half] = exp2(iter[half], base);
      Value sum = arith::MulFOp::create(b, loc, iter[2 + half], corr[half]);
      for (Frag &c : s)
        for (int64_t e = 0; e < 2; ++e) {
          c[half * 2 + e] = exp2(c[half * 2 + e], base);
          sum = arith::AddFOp::create(b, loc, sum, c[half * 2 + e]);
        }
      next[half] = m;
      next[2 + half] = sum;
    }
    SmallVector<Frag> acc(outTiles), valueSum(shaped ? outTiles : 0);
    for (int64_t t = 0; t < outTiles; ++t)
      for (int64_t e = 0; e < 4; ++e)
        acc[t][e] =
            arith::MulFOp::create(b, loc, iter[4 + t * 4 + e], corr[e / 2]);
    for (int64_t t = 0; t < static_cast<int64_t>(valueSum.size()); ++t)
      for (int64_t e = 0; e < 4; ++e)
        valueSum[t][e] = iter[4 + (outTiles + t) * 4 + e];
    Value one = floatConst(b, loc, f32, 1.0);
    auto indicator = [&](Value x) {
      return x ? arith::SelectOp::create(b, loc, x, one, zero).getResult()
               : one;
    };

    // O += P·V, sixteen keys at a time: P's accumulator fragments of key
    // tiles 2c and 2c + 1 are the A fragment of keys [16c, 16c + 16).
    for (int64_t c = 0; c < src.width / kK; ++c) {
      const Frag &lo = s[2 * c], &hi = s[2 * c + 1];
      SmallVector<Value, 4> a = {pack(lo[0], lo[1]), pack(lo[2], lo[3]),
                                 pack(hi[0], hi[1]), pack(hi[2], hi[3])};
      // U's A fragment: the same layout, one where the key is seen.
      SmallVector<Value, 4> u;
      if (shaped) {
        const auto &sLo = seen[2 * c], &sHi = seen[2 * c + 1];
        for (auto [x, y] :
             {std::pair(sLo[0], sLo[1]), std::pair(sLo[2], sLo[3]),
              std::pair(sHi[0], sHi[1]), std::pair(sHi[2], sHi[3])})
          u.push_back(pack(indicator(x), indicator(y)));
      }
      // The lane's key rows (2t, 2t + 1, 2t + 8, 2t + 9 of the chunk), each
      // read at the value columns [g·dv/8, (g+1)·dv/8), a piece at a time:
      // tile τ's B column g is column τ of that span.
      Value key = add(add(k0, c * kK), pairCol);
      Value col = add(src.vCol, mul(quad, outTiles));
      std::array<Value, 4> keyRows;
      for (int64_t i = 0; i < 4; ++i)
        keyRows[i] = keyAt(add(key, (i / 2) * 8 + i % 2));
      int64_t piece = std::gcd(outTiles, kValuePiece);
      std::array<Value, 4> valueRows;
      for (int64_t t = 0; t < outTiles; ++t) {
        if (t % piece == 0)
          for (int64_t i = 0; i < 4; ++i)
            valueRows[i] =
                rowAt(src.v, src.lead, keyRows[i], add(col, t), piece);
        std::array<Value, 4> vals;
        for (int64_t i = 0; i < 4; ++i)
          vals[i] = vector::ExtractOp::create(b, loc, valueRows[i],
                                              ArrayRef{t % piece});
        Value b0 = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, elt), ValueRange{vals[0], vals[1]});
        Value b1 = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, elt), ValueRange{vals[2], vals[3]});
        acc[t] = mma(a, {b0, b1}, acc[t]);
        if (shaped)
          valueSum[t] = mma(u, {b0, b1}, valueSum[t]);
      }
    }
    for (int64_t t = 0; t < outTiles; ++t)
      for (int64_t e = 0; e < 4; ++e) {
        next[4 + t * 4 + e] = acc[t][e];
        if (shaped)
          next[4 + (outTiles + t) * 4 + e] = valueSum[t][e];
      }
    return next;
  }
};

} // namespace

bool mlir::tfm::lowering::canUseWarpAttention(AttentionOp op) {
  Type elt = cast<RankedTensorType>(op.getType()).getElementType();
  if (!elt.isBF16() && !elt.isF16())
    return false;
  for (Value t : {op.getQuery(), op.getKey(), op.getValue(), op.getKeyBias(),
                  op.getValueBias()})
    if (t && cast<RankedTensorType>(t.getType()).getElementType() != elt)
      return false;
  int64_t d = op.getHeadDim(), dv = op.getValueHeadDim();
  if (ShapedType::isDynamic(d) || ShapedType::isDynamic(dv))
    return false;
  // Q's fragments and the accumulator live in registers: up to 128 wide,
  // and shaped attention's second accumulator (C·V) up to 64.
  return d % kK == 0 && dv % kK == 0 && d <= 128 &&
         dv <= (op.isShaped() ? 64 : 128);
}

Value mlir::tfm::lowering::buildWarpAttention(AttentionOp op, OpBuilder &b) {
  WarpAttentionBuilder builder(op, b);
  return builder.build();
}
