//===- Builders.h - scalar builders shared by the tfm lowerings ---*- C++
//-*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Small builders the tfm -> linalg lowering and the fused attention lowering
// share: the compute type of an element type, scalar casts and constants.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CONVERSION_TFMTOLINALG_BUILDERS_H
#define TFM_LIB_CONVERSION_TFMTOLINALG_BUILDERS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

namespace mlir::tfm::lowering {

/// The type arithmetic runs in: f32 for narrower floats, else the type itself.
inline Type computeType(Type elt) {
  auto ft = dyn_cast<FloatType>(elt);
  if (ft && ft.getWidth() < 32)
    return Float32Type::get(elt.getContext());
  return elt;
}

/// Converts a scalar between float types, or from an integer/index to float.
inline Value castScalar(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (isa<IndexType>(from)) {
    v = arith::IndexCastOp::create(b, loc, b.getI64Type(), v);
    from = v.getType();
  }
  if (isa<IntegerType>(from))
    return arith::SIToFPOp::create(b, loc, to, v);
  auto f = cast<FloatType>(from), t = cast<FloatType>(to);
  if (f.getWidth() < t.getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

inline Value floatConst(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, t, b.getFloatAttr(t, v));
}

inline Value indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The extent of dimension `d` of `v` as an index value.
inline Value dimValue(OpBuilder &b, Location loc, Value v, int64_t d) {
  auto ty = cast<RankedTensorType>(v.getType());
  if (!ty.isDynamicDim(d))
    return indexConst(b, loc, ty.getDimSize(d));
  return tensor::DimOp::create(b, loc, v, d);
}

/// The indices reading a tensor of type `ty` that broadcasts (NumPy-style:
/// right-aligned, size-1 dimensions read at 0) to a shape indexed by `full`.
inline SmallVector<Value> broadcastIndices(OpBuilder &b, Location loc,
                                           RankedTensorType ty,
                                           ArrayRef<Value> full) {
  int64_t rank = ty.getRank(), offset = full.size() - rank;
  SmallVector<Value> pos;
  for (int64_t d = 0; d < rank; ++d)
    pos.push_back(ty.getDimSize(d) == 1 ? indexConst(b, loc, 0)
                                        : full[offset + d]);
  return pos;
}

/// Reads an attention mask `m`, which broadcasts (right-aligned, size-1
/// dimensions read at 0) to [B, H, Sq, Skv], at `full` = [batch, head, row,
/// key].
inline Value readAttentionMask(OpBuilder &b, Location loc, Value m,
                               ArrayRef<Value> full) {
  return tensor::ExtractOp::create(
      b, loc, m,
      broadcastIndices(b, loc, cast<RankedTensorType>(m.getType()), full));
}

/// The value an online softmax subtracts before exponentiating, given the
/// running max `max` (f32): the max itself, or 0 while every key so far is
/// invisible (max = -inf), so that exp(-inf - base) = 0 and no
/// -inf - -inf (NaN) arises.
inline Value softmaxBase(OpBuilder &b, Location loc, Value max, Value negInf,
                         Value zero) {
  Value dead =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max, negInf);
  return arith::SelectOp::create(b, loc, dead, zero, max);
}

/// log2(e). The fused attention kernels keep their logits in base-2 units
/// (the scale times log2 e), so that the softmax's exponentials are exp2:
/// one `ex2.approx` each on the GPU instead of exp's range reduction and
/// polynomial.
constexpr double kLog2E = 1.4426950408889634;

/// The base-2 logit `x` plus the additive mask value `m` (any float type),
/// in `x`'s type: x + m·log2 e.
inline Value addBase2Mask(OpBuilder &b, Location loc, Value x, Value m) {
  Type t = x.getType();
  return math::FmaOp::create(b, loc, castScalar(b, loc, m, t),
                             floatConst(b, loc, t, kLog2E), x);
}

/// A rank-1 constant tensor of `values`, read by head index.
inline Value headTable(OpBuilder &b, Location loc, ArrayRef<double> values,
                       Type elt) {
  SmallVector<Attribute> attrs;
  for (double v : values)
    attrs.push_back(b.getFloatAttr(elt, v));
  auto ty = RankedTensorType::get({static_cast<int64_t>(values.size())}, elt);
  return arith::ConstantOp::create(b, loc, ty,
                                   DenseElementsAttr::get(ty, attrs));
}

} // namespace mlir::tfm::lowering

#endif // TFM_LIB_CONVERSION_TFMTOLINALG_BUILDERS_H
