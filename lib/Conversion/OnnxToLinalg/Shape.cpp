//===- Shape.cpp - shape and layout ONNX operators -----------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Shape, Size, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Expand, Tile,
// ConstantOfShape, Constant and Range. Shapes given as tensors are read
// element by element (extractElements), so constant shapes fold to static
// extents and run-time ones are read with tensor.extract; extents the
// declared result type has static win.
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

namespace {

/// Checks that `shape` is a 1-D (or 0-D) integer tensor of static length, or
/// of dynamic length when the length must be `expected`, and returns the
/// length; builds nothing.
FailureOr<int64_t> shapeLength(PatternRewriter &rw, OnnxNodeOp op, Value shape,
                               int64_t expected = -1) {
  auto ty = dyn_cast_or_null<RankedTensorType>(shape ? shape.getType()
                                                     : Type());
  if (!ty || ty.getRank() > 1 || !isa<IntegerType>(ty.getElementType()) ||
      (!ty.hasStaticShape() && expected < 0))
    return failNode(rw, op,
                    "the shape input must be a 1-D integer tensor of static "
                    "length");
  if (!ty.hasStaticShape())
    return expected;
  return ty.getNumElements();
}

/// The `length` elements of a shape-like input (see shapeLength) as i64
/// scalars.
SmallVector<Value> shapeElements(OpBuilder &b, Location loc, Value shape,
                                 int64_t length) {
  auto ty = cast<RankedTensorType>(shape.getType());
  if (!ty.hasStaticShape())
    shape = tensor::CastOp::create(b, loc, ty.clone({length}), shape);
  SmallVector<Value> elements;
  for (Value v : extractElements(b, loc, shape))
    elements.push_back(toI64(b, loc, v));
  return elements;
}

/// Element `i` of `t` if it is a known integer constant; builds nothing.
std::optional<int64_t> constElement(Value t, int64_t i) {
  OpFoldResult e = lookupElement(t, i);
  if (!e)
    return std::nullopt;
  if (auto a = dyn_cast<Attribute>(e)) {
    if (auto ia = dyn_cast<IntegerAttr>(a))
      return ia.getInt();
    return std::nullopt;
  }
  return getConstantIntValue(e);
}

/// An index extent from an i64 scalar.
OpFoldResult extentOf(OpBuilder &b, Location loc, Value i64) {
  return foldIndex(toIndex(b, loc, i64));
}

/// `v` without integer casts.
Value stripCasts(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (!isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
             arith::ExtUIOp>(def))
      break;
    v = def->getOperand(0);
  }
  return v;
}

/// Whether `v` is (a cast of) extent `d` of `t`.
bool isDimOf(Value v, Value t, int64_t d) {
  auto dim = stripCasts(v).getDefiningOp<tensor::DimOp>();
  return dim && dim.getSource() == t && getConstantIntValue(dim.getIndex()) == d;
}

/// Whether `v` cannot be negative: extents and products, sums and maxima of
/// them.
bool isKnownNonNegative(Value v) {
  v = stripCasts(v);
  if (auto c = getConstantIntValue(v))
    return *c >= 0;
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (isa<tensor::DimOp>(def))
    return true;
  if (isa<arith::MulIOp, arith::AddIOp, arith::MinSIOp>(def))
    return isKnownNonNegative(def->getOperand(0)) &&
           isKnownNonNegative(def->getOperand(1));
  if (isa<arith::MaxSIOp>(def))
    return isKnownNonNegative(def->getOperand(0)) ||
           isKnownNonNegative(def->getOperand(1));
  return false;
}

//===----------------------------------------------------------------------===//
// Shape, Size
//===----------------------------------------------------------------------===//

LogicalResult lowerShape(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  Location loc = op.getLoc();
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  int64_t start = 0, end = rank;
  if (op.getVersion() >= 15) {
    start = op.getIntAttr("start", 0);
    end = op.getIntAttr("end", rank);
  }
  auto clampAxis = [&](int64_t a) {
    return std::clamp<int64_t>(a < 0 ? a + rank : a, 0, rank);
  };
  start = clampAxis(start);
  end = std::max(clampAxis(end), start);
  SmallVector<Value> dims;
  for (int64_t d = start; d < end; ++d)
    dims.push_back(toI64(rw, loc, ofrToValue(rw, loc, dimOfr(rw, loc, x, d))));
  auto ty = RankedTensorType::get({end - start}, rw.getI64Type());
  replaceFirstResult(rw, op, fromElements(rw, loc, ty, dims));
  return success();
}

LogicalResult lowerSize(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  Location loc = op.getLoc();
  OpFoldResult n = rw.getIndexAttr(1);
  for (OpFoldResult s : tensorSizes(rw, loc, x))
    n = mulOfr(rw, loc, n, s);
  Value v = toI64(rw, loc, ofrToValue(rw, loc, n));
  replaceFirstResult(rw, op,
               fromElements(rw, loc, RankedTensorType::get({}, rw.getI64Type()),
                            v));
  return success();
}

//===----------------------------------------------------------------------===//
// Reshape, Flatten, Squeeze, Unsqueeze
//===----------------------------------------------------------------------===//

LogicalResult lowerReshape(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  Value shape = op.getInput(1);
  auto length = shapeLength(rw, op, shape, out.getRank());
  if (failed(length))
    return failure();
  int64_t rank = *length;
  if (out.getRank() != rank)
    return failNode(rw, op, "the result rank differs from the shape length");
  bool allowZero = op.getVersion() >= 14 && op.getIntAttr("allowzero", 0) != 0;
  auto xTy = cast<RankedTensorType>(x.getType());
  for (int64_t i = 0; i < rank; ++i) {
    if (!out.isDynamicDim(i))
      continue;
    auto c = constElement(shape, i);
    if (c && *c == 0 && !allowZero && i >= xTy.getRank())
      return failNode(rw, op, "a 0 in the shape copies a missing dimension");
    if (c && *c < -1)
      return failNode(rw, op, "negative extent in the shape");
  }

  Location loc = op.getLoc();
  SmallVector<Value> elements = shapeElements(rw, loc, shape, rank);
  SmallVector<OpFoldResult> xSizes = tensorSizes(rw, loc, x);
  OpFoldResult total = rw.getIndexAttr(1);
  for (OpFoldResult s : xSizes)
    total = mulOfr(rw, loc, total, s);
  // known[i]: the extent, or 1 where it is inferred (-1); infer[i]: whether
  // it is (an i1 value, or null when known not to be).
  SmallVector<OpFoldResult> known(rank);
  SmallVector<Value> infer(rank);
  Value one = indexConst(rw, loc, 1);
  for (int64_t i = 0; i < rank; ++i) {
    if (!out.isDynamicDim(i)) {
      known[i] = rw.getIndexAttr(out.getDimSize(i));
      continue;
    }
    Value e = elements[i];
    if (auto c = getConstantIntValue(e)) {
      if (*c == 0 && !allowZero)
        known[i] = xSizes[i];
      else if (*c == -1) {
        known[i] = rw.getIndexAttr(1);
        infer[i] = intConst(rw, loc, rw.getI1Type(), 1);
      } else
        known[i] = rw.getIndexAttr(*c);
      continue;
    }
    Value v = toIndex(rw, loc, e);
    if (!allowZero && i < xTy.getRank() && !isDimOf(v, x, i)) {
      Value isZero = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq, v,
                                           indexConst(rw, loc, 0));
      v = arith::SelectOp::create(rw, loc, isZero,
                                  ofrToValue(rw, loc, xSizes[i]), v);
    }
    if (isKnownNonNegative(v)) {
      known[i] = v;
      continue;
    }
    infer[i] = arith::CmpIOp::create(rw, loc, arith::CmpIPredicate::eq, v,
                                     indexConst(rw, loc, -1));
    known[i] = arith::SelectOp::create(rw, loc, infer[i], one, v).getResult();
  }
  SmallVector<OpFoldResult> sizes(known);
  if (llvm::any_of(infer, [](Value v) { return bool(v); })) {
    OpFoldResult product = rw.getIndexAttr(1);
    for (OpFoldResult k : known)
      product = mulOfr(rw, loc, product, k);
    Value divisor = rw.createOrFold<arith::MaxSIOp>(
        loc, ofrToValue(rw, loc, product), one);
    Value inferred = rw.createOrFold<arith::DivUIOp>(
        loc, ofrToValue(rw, loc, total), divisor);
    for (int64_t i = 0; i < rank; ++i)
      if (infer[i])
        sizes[i] = foldIndex(rw.createOrFold<arith::SelectOp>(
            loc, infer[i], inferred, ofrToValue(rw, loc, known[i])));
  }
  replaceFirstResult(rw, op, reshapeTo(rw, loc, x, sizes));
  return success();
}

LogicalResult lowerFlatten(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  int64_t axis = normalizeAxis(op.getIntAttr("axis", 1), rank);
  if (axis < 0 || axis > rank)
    return failNode(rw, op, "axis out of range");
  Location loc = op.getLoc();
  OpFoldResult outer = rw.getIndexAttr(1), inner = rw.getIndexAttr(1);
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) = mulOfr(rw, loc, d < axis ? outer : inner,
                                        sizes[d]);
  replaceFirstResult(rw, op, reshapeTo(rw, loc, x, {outer, inner}));
  return success();
}

/// The constant axes of Squeeze/Unsqueeze (attribute before opset 13, input
/// since), normalised against `rank`; std::nullopt when absent; failure when
/// not constant.
FailureOr<std::optional<SmallVector<int64_t>>>
squeezeAxes(OnnxNodeOp op, int64_t rank) {
  auto axes = readAxes(op, op.getVersion() >= 13, 1);
  if (failed(axes) || !*axes)
    return axes;
  for (int64_t &a : **axes)
    a = normalizeAxis(a, rank);
  return axes;
}

LogicalResult lowerSqueeze(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  Location loc = op.getLoc();
  auto axes = squeezeAxes(op, xTy.getRank());
  if (failed(axes)) {
    // Axes known only at run time: the declared result says what is left.
    if (!out.hasStaticShape())
      return failNode(rw, op, "the axes must be constant");
    SmallVector<OpFoldResult> sizes;
    for (int64_t s : out.getShape())
      sizes.push_back(rw.getIndexAttr(s));
    replaceFirstResult(rw, op, reshapeTo(rw, loc, x, sizes));
    return success();
  }
  SmallVector<bool> squeezed(xTy.getRank(), false);
  if (*axes) {
    for (int64_t a : **axes) {
      if (a < 0 || a >= xTy.getRank())
        return failNode(rw, op, "axis out of range");
      squeezed[a] = true;
    }
  } else {
    for (int64_t d = 0; d < xTy.getRank(); ++d) {
      if (xTy.isDynamicDim(d))
        return failNode(rw, op, "squeezing all unit dimensions of a tensor "
                                "with dynamic dimensions");
      squeezed[d] = xTy.getDimSize(d) == 1;
    }
  }
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < xTy.getRank(); ++d)
    if (!squeezed[d])
      sizes.push_back(dimOfr(rw, loc, x, d));
  if (static_cast<int64_t>(sizes.size()) != out.getRank())
    return failNode(rw, op, "the result rank does not match the axes");
  replaceFirstResult(rw, op, reshapeTo(rw, loc, x, sizes));
  return success();
}

LogicalResult lowerUnsqueeze(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  Location loc = op.getLoc();
  int64_t outRank = out.getRank();
  auto axes = squeezeAxes(op, outRank);
  if (failed(axes) || !*axes) {
    if (!out.hasStaticShape())
      return failNode(rw, op, "the axes must be constant");
    SmallVector<OpFoldResult> sizes;
    for (int64_t s : out.getShape())
      sizes.push_back(rw.getIndexAttr(s));
    replaceFirstResult(rw, op, reshapeTo(rw, loc, x, sizes));
    return success();
  }
  if (xTy.getRank() + static_cast<int64_t>((*axes)->size()) != outRank)
    return failNode(rw, op, "the result rank does not match the axes");
  SmallVector<bool> inserted(outRank, false);
  for (int64_t a : **axes) {
    if (a < 0 || a >= outRank || inserted[a])
      return failNode(rw, op, "axis out of range or repeated");
    inserted[a] = true;
  }
  SmallVector<OpFoldResult> sizes;
  int64_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    sizes.push_back(inserted[d] ? OpFoldResult(rw.getIndexAttr(1))
                                : dimOfr(rw, loc, x, next++));
  replaceFirstResult(rw, op, reshapeTo(rw, loc, x, sizes));
  return success();
}

//===----------------------------------------------------------------------===//
// Transpose
//===----------------------------------------------------------------------===//

LogicalResult lowerTranspose(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  SmallVector<int64_t> perm = op.getTransposePerm(rank);
  if (static_cast<int64_t>(perm.size()) != rank)
    return failNode(rw, op, "perm does not match the rank");
  SmallVector<bool> seen(rank, false);
  for (int64_t &p : perm) {
    p = normalizeAxis(p, rank);
    if (p < 0 || p >= rank || seen[p])
      return failNode(rw, op, "perm is not a permutation");
    seen[p] = true;
  }
  Location loc = op.getLoc();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, rank))) {
    replaceFirstResult(rw, op, x);
    return success();
  }
  SmallVector<OpFoldResult> sizes;
  for (int64_t p : perm)
    sizes.push_back(dimOfr(rw, loc, x, p));
  Value init = emptyTensor(rw, loc, sizes, xTy.getElementType());
  Value t = linalg::TransposeOp::create(rw, loc, x, init, perm).getResult()[0];
  replaceFirstResult(rw, op, t);
  return success();
}

//===----------------------------------------------------------------------===//
// Expand, Tile
//===----------------------------------------------------------------------===//

LogicalResult lowerExpand(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto length = shapeLength(rw, op, op.getInput(1));
  if (failed(length))
    return failure();
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = out.getRank(), len = *length;
  if (rank != std::max<int64_t>(xTy.getRank(), len))
    return failNode(rw, op, "the result rank is not the broadcast rank");
  Location loc = op.getLoc();
  SmallVector<Value> elements = shapeElements(rw, loc, op.getInput(1), len);
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < rank; ++i) {
    if (!out.isDynamicDim(i)) {
      sizes.push_back(rw.getIndexAttr(out.getDimSize(i)));
      continue;
    }
    int64_t j = i - (rank - len), k = i - (rank - xTy.getRank());
    OpFoldResult s = j >= 0 ? extentOf(rw, loc, elements[j])
                            : OpFoldResult(rw.getIndexAttr(1));
    if (k < 0 || xTy.getDimSize(k) == 1) {
      sizes.push_back(s);
      continue;
    }
    OpFoldResult xd = dimOfr(rw, loc, x, k);
    auto c = constInt(s);
    if (c == 1)
      sizes.push_back(xd);
    else if (c || !xTy.isDynamicDim(k))
      sizes.push_back(c ? s : xd);
    else
      sizes.push_back(foldIndex(rw.createOrFold<arith::MaxSIOp>(
          loc, ofrToValue(rw, loc, s), ofrToValue(rw, loc, xd))));
  }
  Value v = buildElementwise(rw, loc, sizes, xTy.getElementType(), x,
                             [](OpBuilder &, Location, ValueRange a) {
                               return a[0];
                             });
  replaceFirstResult(rw, op, v);
  return success();
}

LogicalResult lowerTile(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  auto length = shapeLength(rw, op, op.getInput(1), rank);
  if (failed(length))
    return failure();
  if (*length != rank || rank == 0)
    return failNode(rw, op, "repeats must have one entry per dimension");
  Location loc = op.getLoc();
  SmallVector<Value> repeats = shapeElements(rw, loc, op.getInput(1), rank);
  MLIRContext *ctx = rw.getContext();
  // x broadcast to [r0, d0, r1, d1, ...], then each pair collapsed.
  SmallVector<OpFoldResult> sizes;
  SmallVector<AffineExpr> exprs;
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < rank; ++d) {
    sizes.push_back(extentOf(rw, loc, repeats[d]));
    sizes.push_back(dimOfr(rw, loc, x, d));
    exprs.push_back(getAffineDimExpr(2 * d + 1, ctx));
    groups.push_back({2 * d, 2 * d + 1});
  }
  Value wide = buildGeneric(rw, loc, sizes, xTy.getElementType(), x,
                            AffineMap::get(2 * rank, 0, exprs, ctx),
                            [](OpBuilder &, Location, ValueRange a) {
                              return a[0];
                            });
  replaceFirstResult(rw, op, tensor::CollapseShapeOp::create(rw, loc, wide, groups));
  return success();
}

//===----------------------------------------------------------------------===//
// ConstantOfShape, Constant
//===----------------------------------------------------------------------===//

/// Element 0 of an elements attribute as an attribute of type `elt`.
Attribute firstElement(Attribute value, Type elt) {
  double v = 0;
  if (auto dense = dyn_cast_or_null<DenseElementsAttr>(value)) {
    if (dense.getNumElements() < 1)
      return {};
    Attribute a = dense.getValues<Attribute>()[0];
    if (auto fa = dyn_cast<FloatAttr>(a))
      v = fa.getValueAsDouble();
    else if (auto ia = dyn_cast<IntegerAttr>(a))
      v = ia.getType().isInteger(1) ? double(ia.getValue().getZExtValue())
                                    : double(ia.getInt());
    else
      return {};
  } else if (value) {
    return {};
  }
  if (isa<FloatType>(elt))
    return FloatAttr::get(elt, v);
  if (elt.isInteger(1))
    return IntegerAttr::get(elt, v != 0);
  return IntegerAttr::get(elt, static_cast<int64_t>(v));
}

LogicalResult lowerConstantOfShape(OnnxNodeOp op, PatternRewriter &rw) {
  RankedTensorType out = resultType(op);
  if (!out)
    return failNode(rw, op, "the result is not a ranked tensor");
  Attribute value = firstElement(op.getOnnxAttr("value"), out.getElementType());
  if (!value)
    return failNode(rw, op, "value must be a one-element dense tensor");
  auto length = shapeLength(rw, op, op.getInput(0), out.getRank());
  if (failed(length))
    return failure();
  if (*length != out.getRank())
    return failNode(rw, op, "the result rank differs from the shape length");
  Location loc = op.getLoc();
  SmallVector<Value> elements =
      shapeElements(rw, loc, op.getInput(0), out.getRank());
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < out.getRank(); ++i)
    sizes.push_back(out.isDynamicDim(i)
                        ? extentOf(rw, loc, elements[i])
                        : OpFoldResult(rw.getIndexAttr(out.getDimSize(i))));
  auto ty = out.clone(staticShape(sizes));
  Value v;
  if (isSmallStatic(ty))
    v = arith::ConstantOp::create(rw, loc, ty, DenseElementsAttr::get(ty, value));
  else
    v = linalg::FillOp::create(
            rw, loc,
            arith::ConstantOp::create(rw, loc, cast<TypedAttr>(value)).getResult(),
            emptyTensor(rw, loc, sizes, out.getElementType()))
            .getResult(0);
  replaceFirstResult(rw, op, v);
  return success();
}

LogicalResult lowerConstant(OnnxNodeOp op, PatternRewriter &rw) {
  RankedTensorType out = resultType(op);
  if (!out)
    return failNode(rw, op, "the result is not a ranked tensor");
  Type elt = out.getElementType();
  TypedAttr value;
  if (auto v = dyn_cast_or_null<ElementsAttr>(op.getOnnxAttr("value"))) {
    if (isa<SparseElementsAttr>(v))
      return failNode(rw, op, "sparse constants are not supported");
    value = cast<TypedAttr>(v);
  } else if (auto f = op.getOnnxAttr("value_float")) {
    value = DenseElementsAttr::get(
        RankedTensorType::get({}, elt),
        FloatAttr::get(elt, op.getFloatAttr("value_float", 0)));
  } else if (op.getOnnxAttr("value_int")) {
    value = DenseElementsAttr::get(
        RankedTensorType::get({}, elt),
        IntegerAttr::get(elt, op.getIntAttr("value_int", 0)));
  } else if (auto fs = dyn_cast_or_null<DenseF32ArrayAttr>(
                 op.getOnnxAttr("value_floats"))) {
    SmallVector<Attribute> vals;
    for (float f : fs.asArrayRef())
      vals.push_back(FloatAttr::get(elt, f));
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(vals.size())}, elt), vals);
  } else if (auto is = op.getIntsAttr("value_ints")) {
    SmallVector<Attribute> vals;
    for (int64_t i : *is)
      vals.push_back(IntegerAttr::get(elt, i));
    value = DenseElementsAttr::get(
        RankedTensorType::get({static_cast<int64_t>(vals.size())}, elt), vals);
  } else {
    return failNode(rw, op, "no supported value attribute (string and sparse "
                            "constants are not supported)");
  }
  auto vt = dyn_cast<RankedTensorType>(value.getType());
  if (!vt || vt.getElementType() != elt || vt.getRank() != out.getRank())
    return failNode(rw, op, "the value's type does not match the result");
  replaceFirstResult(rw, op, arith::ConstantOp::create(rw, op.getLoc(), value));
  return success();
}

//===----------------------------------------------------------------------===//
// Range
//===----------------------------------------------------------------------===//

LogicalResult lowerRange(OnnxNodeOp op, PatternRewriter &rw) {
  RankedTensorType out = resultType(op);
  if (!out || out.getRank() != 1)
    return failNode(rw, op, "the result must be a 1-D tensor");
  Value in[3];
  for (unsigned i = 0; i < 3; ++i) {
    in[i] = op.getInput(i);
    auto ty = in[i] ? dyn_cast<RankedTensorType>(in[i].getType()) : nullptr;
    if (!ty || !ty.hasStaticShape() || ty.getNumElements() != 1)
      return failNode(rw, op, "start, limit and delta must be scalars");
  }
  Type elt = out.getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "Range of booleans");
  Location loc = op.getLoc();
  Value start = extractElement(rw, loc, in[0], 0);
  Value limit = extractElement(rw, loc, in[1], 0);
  Value delta = extractElement(rw, loc, in[2], 0);
  OpFoldResult n;
  if (!out.isDynamicDim(0)) {
    n = rw.getIndexAttr(out.getDimSize(0));
  } else if (isa<FloatType>(elt)) {
    // max(ceil((limit - start) / delta), 0), in f64 as numpy.arange does.
    Type f64 = rw.getF64Type();
    Value s = castScalar(rw, loc, start, f64), l = castScalar(rw, loc, limit, f64),
          d = castScalar(rw, loc, delta, f64);
    Value q = rw.createOrFold<arith::DivFOp>(
        loc, rw.createOrFold<arith::SubFOp>(loc, l, s), d);
    Value c = rw.createOrFold<math::CeilOp>(loc, q);
    Value i = castScalar(rw, loc, c, rw.getI64Type());
    i = rw.createOrFold<arith::MaxSIOp>(loc, i,
                                        intConst(rw, loc, rw.getI64Type(), 0));
    n = foldIndex(toIndex(rw, loc, i));
  } else {
    Value s = toI64(rw, loc, start), l = toI64(rw, loc, limit),
          d = toI64(rw, loc, delta);
    Value q = rw.createOrFold<arith::CeilDivSIOp>(
        loc, rw.createOrFold<arith::SubIOp>(loc, l, s), d);
    q = rw.createOrFold<arith::MaxSIOp>(loc, q,
                                        intConst(rw, loc, rw.getI64Type(), 0));
    n = foldIndex(toIndex(rw, loc, q));
  }
  Type ct = computeType(elt);
  Value s = castScalar(rw, loc, start, ct), d = castScalar(rw, loc, delta, ct);
  auto element = [&](OpBuilder &b, Location loc, Value i) -> Value {
    Value iv = castScalar(b, loc, i, ct);
    Value r = isa<FloatType>(ct)
                  ? b.createOrFold<arith::AddFOp>(
                        loc, s, b.createOrFold<arith::MulFOp>(loc, iv, d))
                  : b.createOrFold<arith::AddIOp>(
                        loc, s, b.createOrFold<arith::MulIOp>(loc, iv, d));
    return castScalar(b, loc, r, elt);
  };
  Value v;
  if (auto c = constInt(n); c && *c <= kScalarizeLimit) {
    SmallVector<Value> elements;
    for (int64_t i = 0; i < *c; ++i)
      elements.push_back(element(rw, loc, indexConst(rw, loc, i)));
    v = fromElements(rw, loc, RankedTensorType::get({*c}, elt), elements);
  } else {
    v = buildGeneric(rw, loc, {n}, elt, ValueRange{}, {},
                     [&](OpBuilder &b, Location loc, ValueRange) {
                       return element(b, loc,
                                      linalg::IndexOp::create(b, loc, 0));
                     });
  }
  replaceFirstResult(rw, op, v);
  return success();
}

} // namespace

void onnx::appendShapeLowerings(SmallVectorImpl<OpLowering> &table) {
  table.push_back({"Shape", 1, kMaxOpset, lowerShape});
  table.push_back({"Size", 1, kMaxOpset, lowerSize});
  table.push_back({"Reshape", 5, kMaxOpset, lowerReshape});
  table.push_back({"Flatten", 1, kMaxOpset, lowerFlatten});
  table.push_back({"Squeeze", 1, kMaxOpset, lowerSqueeze});
  table.push_back({"Unsqueeze", 1, kMaxOpset, lowerUnsqueeze});
  table.push_back({"Transpose", 1, kMaxOpset, lowerTranspose});
  table.push_back({"Expand", 8, kMaxOpset, lowerExpand});
  table.push_back({"Tile", 6, kMaxOpset, lowerTile});
  table.push_back({"ConstantOfShape", 9, kMaxOpset, lowerConstantOfShape});
  table.push_back({"Constant", 1, kMaxOpset, lowerConstant});
  table.push_back({"Range", 11, kMaxOpset, lowerRange});
}
