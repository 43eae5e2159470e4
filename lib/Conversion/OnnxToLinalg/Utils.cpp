//===- Utils.cpp - IR builders shared by the ONNX lowerings -------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"

#include <limits>

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

//===----------------------------------------------------------------------===//
// Results and diagnostics
//===----------------------------------------------------------------------===//

LogicalResult onnx::failNode(PatternRewriter &rewriter, OnnxNodeOp op,
                             const Twine &reason) {
  return rewriter.notifyMatchFailure(op, reason);
}

RankedTensorType onnx::resultType(OnnxNodeOp op, unsigned i) {
  if (i >= op->getNumResults())
    return {};
  return dyn_cast<RankedTensorType>(op->getResult(i).getType());
}

bool onnx::hasResult(OnnxNodeOp op, unsigned i) {
  return i < op->getNumResults() &&
         !isa<NoneType>(op->getResult(i).getType());
}

void onnx::replaceNode(PatternRewriter &rewriter, OnnxNodeOp op,
                       ArrayRef<Value> values) {
  assert(values.size() == op->getNumResults() && "one value per result");
  SmallVector<Value> replacements;
  Value none;
  for (auto [result, given] : llvm::zip(op->getResults(), values)) {
    Value value = given;
    Type type = result.getType();
    if (!value || isa<NoneType>(type)) {
      // An unnamed optional output: nothing reads it.
      if (!none)
        none = OnnxNoneOp::create(rewriter, op.getLoc(), rewriter.getNoneType());
      replacements.push_back(none);
      continue;
    }
    if (value.getType() != type)
      value = tensor::CastOp::create(rewriter, op.getLoc(), type, value);
    replacements.push_back(value);
  }
  rewriter.replaceOp(op, replacements);
}

void onnx::replaceFirstResult(PatternRewriter &rewriter, OnnxNodeOp op,
                              Value first) {
  SmallVector<Value> values(op->getNumResults(), Value());
  values[0] = first;
  replaceNode(rewriter, op, values);
}

//===----------------------------------------------------------------------===//
// Scalars and types
//===----------------------------------------------------------------------===//

bool onnx::isFloat(Type t) { return isa<FloatType>(t); }

Type onnx::computeType(Type t) {
  auto ft = dyn_cast<FloatType>(t);
  if (ft && ft.getWidth() < 32)
    return Float32Type::get(t.getContext());
  return t;
}

Value onnx::indexConst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

Value onnx::intConst(OpBuilder &b, Location loc, Type t, int64_t v) {
  if (isa<IndexType>(t))
    return indexConst(b, loc, v);
  return arith::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, v));
}

Value onnx::floatConst(OpBuilder &b, Location loc, Type t, double v) {
  return arith::ConstantOp::create(b, loc, t, b.getFloatAttr(t, v));
}

Value onnx::scalarConst(OpBuilder &b, Location loc, Type t, double v) {
  if (isa<FloatType>(t))
    return floatConst(b, loc, t, v);
  return intConst(b, loc, t, static_cast<int64_t>(v));
}

Value onnx::castScalar(OpBuilder &b, Location loc, Value v, Type to,
                       bool srcUnsigned, bool dstUnsigned) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (isa<IndexType>(from)) {
    v = b.createOrFold<arith::IndexCastOp>(loc, b.getI64Type(), v);
    from = v.getType();
    if (from == to)
      return v;
  }
  if (isa<IndexType>(to)) {
    if (isa<FloatType>(from))
      v = castScalar(b, loc, v, b.getI64Type());
    return b.createOrFold<arith::IndexCastOp>(loc, to, v);
  }
  if (to.isInteger(1)) {
    if (isa<FloatType>(from))
      return b.createOrFold<arith::CmpFOp>(loc, arith::CmpFPredicate::UNE, v,
                                           floatConst(b, loc, from, 0.0));
    return b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::ne, v,
                                         intConst(b, loc, from, 0));
  }
  srcUnsigned |= from.isInteger(1);
  if (auto ft = dyn_cast<FloatType>(to)) {
    if (auto ff = dyn_cast<FloatType>(from)) {
      if (ff.getWidth() == ft.getWidth()) // f16 <-> bf16 through f32
        return castScalar(b, loc, castScalar(b, loc, v, b.getF32Type()), to);
      if (ff.getWidth() < ft.getWidth())
        return b.createOrFold<arith::ExtFOp>(loc, to, v);
      return b.createOrFold<arith::TruncFOp>(loc, to, v);
    }
    if (srcUnsigned)
      return b.createOrFold<arith::UIToFPOp>(loc, to, v);
    return b.createOrFold<arith::SIToFPOp>(loc, to, v);
  }
  auto it = cast<IntegerType>(to);
  if (isa<FloatType>(from)) {
    if (dstUnsigned)
      return b.createOrFold<arith::FPToUIOp>(loc, to, v);
    return b.createOrFold<arith::FPToSIOp>(loc, to, v);
  }
  unsigned fw = from.getIntOrFloatBitWidth();
  if (fw < it.getWidth()) {
    if (srcUnsigned)
      return b.createOrFold<arith::ExtUIOp>(loc, to, v);
    return b.createOrFold<arith::ExtSIOp>(loc, to, v);
  }
  return b.createOrFold<arith::TruncIOp>(loc, to, v);
}

Value onnx::toIndex(OpBuilder &b, Location loc, Value v) {
  if (isa<IndexType>(v.getType()))
    return v;
  // An extent that went through i64 (Shape -> ... -> Reshape).
  if (auto cast = v.getDefiningOp<arith::IndexCastOp>())
    if (isa<IndexType>(cast.getIn().getType()))
      return cast.getIn();
  return b.createOrFold<arith::IndexCastOp>(loc, b.getIndexType(), v);
}

Value onnx::toI64(OpBuilder &b, Location loc, Value v) {
  if (v.getType().isInteger(64))
    return v;
  if (isa<IndexType>(v.getType()))
    return b.createOrFold<arith::IndexCastOp>(loc, b.getI64Type(), v);
  return castScalar(b, loc, v, b.getI64Type());
}

std::optional<int64_t> onnx::constInt(OpFoldResult ofr) {
  if (!ofr)
    return std::nullopt;
  return getConstantIntValue(ofr);
}

Value onnx::ofrToValue(OpBuilder &b, Location loc, OpFoldResult ofr) {
  if (auto v = dyn_cast<Value>(ofr))
    return v;
  return indexConst(b, loc, cast<IntegerAttr>(cast<Attribute>(ofr)).getInt());
}

OpFoldResult onnx::foldIndex(Value v) {
  if (auto c = getConstantIntValue(v))
    return IntegerAttr::get(IndexType::get(v.getContext()), *c);
  return v;
}

OpFoldResult onnx::addOfr(OpBuilder &b, Location loc, OpFoldResult x,
                          OpFoldResult y) {
  auto cx = constInt(x), cy = constInt(y);
  if (cx && cy)
    return b.getIndexAttr(*cx + *cy);
  if (cx == 0)
    return y;
  if (cy == 0)
    return x;
  return b.createOrFold<arith::AddIOp>(loc, ofrToValue(b, loc, x),
                                       ofrToValue(b, loc, y));
}

OpFoldResult onnx::mulOfr(OpBuilder &b, Location loc, OpFoldResult x,
                          OpFoldResult y) {
  auto cx = constInt(x), cy = constInt(y);
  if (cx && cy)
    return b.getIndexAttr(*cx * *cy);
  if (cx == 1)
    return y;
  if (cy == 1)
    return x;
  return b.createOrFold<arith::MulIOp>(loc, ofrToValue(b, loc, x),
                                       ofrToValue(b, loc, y));
}

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

bool onnx::isSmallStatic(ShapedType type) {
  return type && type.hasStaticShape() &&
         type.getNumElements() <= kScalarizeLimit;
}

int64_t onnx::normalizeAxis(int64_t axis, int64_t rank) {
  return axis < 0 ? axis + rank : axis;
}

/// Extent `d` of `t` as its producer already has it, or null.
static OpFoldResult knownExtent(Value t, int64_t d) {
  Operation *def = t.getDefiningOp();
  if (!def)
    return {};
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
    return expand.getMixedOutputShape()[d];
  if (auto empty = dyn_cast<tensor::EmptyOp>(def))
    return empty.getMixedSizes()[d];
  if (auto cast = dyn_cast<tensor::CastOp>(def)) {
    auto src = dyn_cast<RankedTensorType>(cast.getSource().getType());
    if (src && src.getRank() == cast.getType().getRank()) {
      if (!src.isDynamicDim(d))
        return IntegerAttr::get(IndexType::get(t.getContext()),
                                src.getDimSize(d));
      return knownExtent(cast.getSource(), d);
    }
    return {};
  }
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(def)) {
    if (isa<linalg::LinalgOp, tensor::InsertSliceOp>(def)) {
      OpOperand *init = dps.getTiedOpOperand(cast<OpResult>(t));
      if (init)
        return knownExtent(init->get(), d);
    }
  }
  return {};
}

OpFoldResult onnx::dimOfr(OpBuilder &b, Location loc, Value t, int64_t d) {
  auto ty = cast<RankedTensorType>(t.getType());
  if (!ty.isDynamicDim(d))
    return b.getIndexAttr(ty.getDimSize(d));
  if (OpFoldResult known = knownExtent(t, d))
    return known;
  return foldIndex(b.createOrFold<tensor::DimOp>(loc, t, d));
}

SmallVector<OpFoldResult> onnx::tensorSizes(OpBuilder &b, Location loc,
                                            Value t) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0, e = cast<RankedTensorType>(t.getType()).getRank(); d < e;
       ++d)
    sizes.push_back(dimOfr(b, loc, t, d));
  return sizes;
}

SmallVector<int64_t> onnx::staticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult s : sizes)
    shape.push_back(constInt(s).value_or(ShapedType::kDynamic));
  return shape;
}

Value onnx::emptyTensor(OpBuilder &b, Location loc,
                        ArrayRef<OpFoldResult> sizes, Type elementType) {
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

/// Row-major strides of a static shape.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

static SmallVector<int64_t> delinearize(int64_t index, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides = stridesOf(shape), idx;
  for (int64_t s : strides) {
    idx.push_back(index / s);
    index %= s;
  }
  return idx;
}

/// Element `index` of a resource blob constant, as an attribute.
static Attribute resourceElement(DenseResourceElementsAttr attr,
                                 int64_t index) {
  Type elt = attr.getType().getElementType();
  auto get = [&](auto typed) -> Attribute {
    auto data = typed.tryGetAsArrayRef();
    if (!data || data->empty())
      return {};
    auto v = data->size() == 1 ? (*data)[0] : (*data)[index];
    if (isa<FloatType>(elt))
      return FloatAttr::get(elt, static_cast<double>(v));
    return IntegerAttr::get(elt, static_cast<int64_t>(v));
  };
  if (auto a = dyn_cast<DenseI64ResourceElementsAttr>(attr))
    return get(a);
  if (auto a = dyn_cast<DenseI32ResourceElementsAttr>(attr))
    return get(a);
  if (auto a = dyn_cast<DenseF32ResourceElementsAttr>(attr))
    return get(a);
  if (auto a = dyn_cast<DenseF64ResourceElementsAttr>(attr))
    return get(a);
  // Untyped resources: read the blob by the element type.
  AsmResourceBlob *blob = attr.getRawHandle().getBlob();
  if (!blob)
    return {};
  ArrayRef<char> bytes = blob->getData();
  int64_t n = attr.getType().getNumElements();
  auto read = [&](auto dummy) -> std::optional<decltype(dummy)> {
    using T = decltype(dummy);
    if (bytes.size() == sizeof(T) * n)
      return reinterpret_cast<const T *>(bytes.data())[index];
    if (bytes.size() == sizeof(T))
      return reinterpret_cast<const T *>(bytes.data())[0];
    return std::nullopt;
  };
  if (elt.isInteger(64))
    if (auto v = read(int64_t()))
      return IntegerAttr::get(elt, *v);
  if (elt.isInteger(32))
    if (auto v = read(int32_t()))
      return IntegerAttr::get(elt, *v);
  if (elt.isF32())
    if (auto v = read(float()))
      return FloatAttr::get(elt, *v);
  if (elt.isF64())
    if (auto v = read(double()))
      return FloatAttr::get(elt, *v);
  return {};
}

OpFoldResult onnx::lookupElement(Value t, int64_t index) {
  auto ty = dyn_cast<RankedTensorType>(t.getType());
  if (!ty || !ty.hasStaticShape() || index < 0 || index >= ty.getNumElements())
    return {};
  Operation *def = t.getDefiningOp();
  if (!def)
    return {};
  if (auto cst = dyn_cast<arith::ConstantOp>(def)) {
    if (auto dense = dyn_cast<DenseElementsAttr>(cst.getValue())) {
      if (dense.isSplat())
        return dense.getSplatValue<Attribute>();
      return dense.getValues<Attribute>()[index];
    }
    if (auto res = dyn_cast<DenseResourceElementsAttr>(cst.getValue()))
      if (Attribute a = resourceElement(res, index))
        return a;
    return {};
  }
  if (auto fe = dyn_cast<tensor::FromElementsOp>(def))
    return fe.getElements()[index];
  if (auto splat = dyn_cast<tensor::SplatOp>(def))
    return splat.getInput();
  if (auto fill = dyn_cast<linalg::FillOp>(def))
    return fill.getInputs()[0];
  if (auto cast = dyn_cast<tensor::CastOp>(def))
    return lookupElement(cast.getSource(), index);
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
    return lookupElement(expand.getSrc(), index);
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def))
    return lookupElement(collapse.getSrc(), index);
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def)) {
    auto srcTy = slice.getSourceType();
    ArrayRef<int64_t> offsets = slice.getStaticOffsets(),
                      sizes = slice.getStaticSizes(),
                      strides = slice.getStaticStrides();
    if (!srcTy.hasStaticShape() || ShapedType::isDynamicShape(offsets) ||
        ShapedType::isDynamicShape(sizes) ||
        ShapedType::isDynamicShape(strides))
      return {};
    SmallVector<int64_t> idx = delinearize(index, sizes);
    SmallVector<int64_t> srcStrides = stridesOf(srcTy.getShape());
    int64_t linear = 0;
    for (size_t d = 0; d < idx.size(); ++d)
      linear += (offsets[d] + idx[d] * strides[d]) * srcStrides[d];
    return lookupElement(slice.getSource(), linear);
  }
  return {};
}

Value onnx::extractElement(OpBuilder &b, Location loc, Value t, int64_t index) {
  auto ty = cast<RankedTensorType>(t.getType());
  OpFoldResult e = lookupElement(t, index);
  if (auto v = dyn_cast_or_null<Value>(e))
    if (v.getType() == ty.getElementType())
      return v;
  if (auto a = dyn_cast_or_null<Attribute>(e)) {
    auto typed = dyn_cast<TypedAttr>(a);
    if (typed && typed.getType() == ty.getElementType())
      return arith::ConstantOp::create(b, loc, typed);
  }
  SmallVector<Value> indices;
  for (int64_t i : delinearize(index, ty.getShape()))
    indices.push_back(indexConst(b, loc, i));
  return tensor::ExtractOp::create(b, loc, t, indices);
}

Value onnx::extractAt(OpBuilder &b, Location loc, Value t, ValueRange indices) {
  auto ty = cast<RankedTensorType>(t.getType());
  if (ty.hasStaticShape()) {
    SmallVector<int64_t> strides = stridesOf(ty.getShape());
    int64_t linear = 0;
    bool constant = true;
    for (auto [i, v] : llvm::enumerate(indices)) {
      auto c = getConstantIntValue(v);
      if (!c || *c < 0 || *c >= ty.getDimSize(i)) {
        constant = false;
        break;
      }
      linear += *c * strides[i];
    }
    if (constant)
      return extractElement(b, loc, t, linear);
  }
  return tensor::ExtractOp::create(b, loc, t, indices);
}

SmallVector<Value> onnx::extractElements(OpBuilder &b, Location loc, Value t) {
  auto ty = cast<RankedTensorType>(t.getType());
  SmallVector<Value> elements;
  for (int64_t i = 0, e = ty.getNumElements(); i < e; ++i)
    elements.push_back(extractElement(b, loc, t, i));
  return elements;
}

/// Element `index` of the static tensor `t` as a constant attribute, or null
/// when it is not a known constant.
static Attribute constantElement(Value t, int64_t index) {
  OpFoldResult element = lookupElement(t, index);
  if (!element)
    return {};
  if (auto attr = dyn_cast<Attribute>(element))
    return attr;
  Attribute attr;
  matchPattern(cast<Value>(element), m_Constant(&attr));
  return attr;
}

/// An integer element's value: booleans are 0 and 1, others sign-extended.
static int64_t intElement(const APInt &v, Type elementType) {
  return elementType.isInteger(1) ? v.getZExtValue() : v.getSExtValue();
}

std::optional<SmallVector<int64_t>> onnx::getConstantInts(Value t) {
  auto ty = dyn_cast<RankedTensorType>(t.getType());
  if (!ty || !ty.hasStaticShape() || !isa<IntegerType>(ty.getElementType()))
    return std::nullopt;
  Type elt = ty.getElementType();
  SmallVector<int64_t> values;
  DenseIntElementsAttr dense;
  if (matchPattern(t, m_Constant(&dense))) {
    for (const APInt &v : dense.getValues<APInt>())
      values.push_back(intElement(v, elt));
    return values;
  }
  if (ty.getNumElements() > 4096)
    return std::nullopt;
  for (int64_t i = 0, e = ty.getNumElements(); i < e; ++i) {
    auto attr = dyn_cast_or_null<IntegerAttr>(constantElement(t, i));
    if (!attr)
      return std::nullopt;
    values.push_back(intElement(attr.getValue(), elt));
  }
  return values;
}

std::optional<SmallVector<double>> onnx::getConstantFloats(Value t) {
  auto ty = dyn_cast<RankedTensorType>(t.getType());
  if (!ty || !ty.hasStaticShape() || !isa<FloatType>(ty.getElementType()) ||
      ty.getNumElements() > 4096)
    return std::nullopt;
  SmallVector<double> values;
  for (int64_t i = 0, e = ty.getNumElements(); i < e; ++i) {
    auto attr = dyn_cast_or_null<FloatAttr>(constantElement(t, i));
    if (!attr)
      return std::nullopt;
    values.push_back(attr.getValueAsDouble());
  }
  return values;
}

Value onnx::fromElements(OpBuilder &b, Location loc, RankedTensorType type,
                         ArrayRef<Value> elements) {
  return b.createOrFold<tensor::FromElementsOp>(loc, type, elements);
}

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

/// The collapsed type `expanded` (extents `sizes`) comes from under
/// `reassociation`: a group is static when all its extents are.
static SmallVector<int64_t>
collapsedShape(ArrayRef<int64_t> expanded,
               ArrayRef<ReassociationIndices> reassociation) {
  SmallVector<int64_t> shape;
  for (const ReassociationIndices &group : reassociation) {
    int64_t n = 1;
    for (int64_t d : group) {
      if (ShapedType::isDynamic(expanded[d])) {
        n = ShapedType::kDynamic;
        break;
      }
      n *= expanded[d];
    }
    shape.push_back(n);
  }
  return shape;
}

/// Casts `x` to `shape` when its type differs (static <-> dynamic only).
static Value castToShape(OpBuilder &b, Location loc, Value x,
                         ArrayRef<int64_t> shape) {
  auto ty = cast<RankedTensorType>(x.getType());
  if (ty.getShape() == shape)
    return x;
  return tensor::CastOp::create(b, loc, ty.clone(shape), x);
}

/// Expands `x` to `sizes` under `reassociation` (x's dims are the groups).
static Value expandTo(OpBuilder &b, Location loc, Value x,
                      ArrayRef<OpFoldResult> sizes,
                      ArrayRef<ReassociationIndices> reassociation) {
  SmallVector<int64_t> shape = staticShape(sizes);
  x = castToShape(b, loc, x, collapsedShape(shape, reassociation));
  auto ty = cast<RankedTensorType>(x.getType());
  return tensor::ExpandShapeOp::create(b, loc, ty.clone(shape), x,
                                       reassociation, sizes);
}

Value onnx::reshapeTo(OpBuilder &b, Location loc, Value x,
                      ArrayRef<OpFoldResult> sizes) {
  auto xt = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> target = staticShape(sizes);
  auto outTy = xt.clone(target);
  if (xt.getShape() == ArrayRef<int64_t>(target) &&
      !ShapedType::isDynamicShape(target))
    return x;
  // (Consumers of small shape tensors still see their scalars:
  // lookupElement looks through expand/collapse_shape.)
  // Same rank, every extent equal or dynamic on one side: a cast.
  if (xt.getRank() == outTy.getRank()) {
    bool same = true;
    for (int64_t d = 0; d < xt.getRank() && same; ++d) {
      auto c = constInt(sizes[d]);
      OpFoldResult xd = dimOfr(b, loc, x, d);
      same = (c && constInt(xd) == c) ||
             (!c && dyn_cast<Value>(xd) == dyn_cast<Value>(sizes[d]));
    }
    if (same)
      return castToShape(b, loc, x, target);
  }
  if (xt.getRank() > outTy.getRank()) {
    if (auto reassociation =
            getReassociationIndicesForCollapse(xt.getShape(), target)) {
      Value c = tensor::CollapseShapeOp::create(b, loc, x, *reassociation);
      return castToShape(b, loc, c, target);
    }
  } else if (xt.getRank() < outTy.getRank()) {
    if (auto reassociation =
            getReassociationIndicesForCollapse(target, xt.getShape()))
      return expandTo(b, loc, x, sizes, *reassociation);
  }
  // Through one dimension.
  Value flat = x;
  if (xt.getRank() == 0) {
    flat = tensor::ExpandShapeOp::create(b, loc, xt.clone({1}), x,
                                         ArrayRef<ReassociationIndices>{},
                                         ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
  } else if (xt.getRank() > 1) {
    ReassociationIndices all;
    for (int64_t d = 0; d < xt.getRank(); ++d)
      all.push_back(d);
    flat = tensor::CollapseShapeOp::create(b, loc, x,
                                           ArrayRef<ReassociationIndices>{all});
  }
  if (target.empty()) {
    flat = castToShape(b, loc, flat, {1});
    return tensor::CollapseShapeOp::create(b, loc, flat,
                                           ArrayRef<ReassociationIndices>{});
  }
  if (target.size() == 1)
    return castToShape(b, loc, flat, target);
  ReassociationIndices all;
  for (int64_t d = 0, e = target.size(); d < e; ++d)
    all.push_back(d);
  return expandTo(b, loc, flat, sizes, {all});
}

//===----------------------------------------------------------------------===//
// Element-wise computations
//===----------------------------------------------------------------------===//

SmallVector<OpFoldResult> onnx::broadcastSizes(OpBuilder &b, Location loc,
                                               ValueRange inputs, int64_t rank,
                                               RankedTensorType declared) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (declared && !declared.isDynamicDim(d)) {
      sizes.push_back(b.getIndexAttr(declared.getDimSize(d)));
      continue;
    }
    std::optional<int64_t> staticSize;
    Value dynamicFrom;
    int64_t dynamicDim = 0;
    for (Value in : inputs) {
      auto ty = cast<RankedTensorType>(in.getType());
      int64_t id = d - (rank - ty.getRank());
      if (id < 0)
        continue;
      if (ty.isDynamicDim(id)) {
        if (!dynamicFrom) {
          dynamicFrom = in;
          dynamicDim = id;
        }
      } else if (ty.getDimSize(id) != 1 || !staticSize) {
        if (!staticSize || *staticSize == 1)
          staticSize = ty.getDimSize(id);
      }
    }
    if (staticSize && (*staticSize != 1 || !dynamicFrom))
      sizes.push_back(b.getIndexAttr(*staticSize));
    else if (dynamicFrom)
      sizes.push_back(dimOfr(b, loc, dynamicFrom, dynamicDim));
    else
      sizes.push_back(b.getIndexAttr(1));
  }
  return sizes;
}

AffineMap onnx::broadcastMap(MLIRContext *ctx, Value input,
                             ArrayRef<OpFoldResult> sizes) {
  auto ty = cast<RankedTensorType>(input.getType());
  int64_t rank = sizes.size();
  SmallVector<AffineExpr> exprs;
  for (int64_t id = 0; id < ty.getRank(); ++id) {
    int64_t d = id + rank - ty.getRank();
    if (ty.getDimSize(id) == 1 && constInt(sizes[d]) != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(d, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

Value onnx::buildGeneric(OpBuilder &b, Location loc,
                         ArrayRef<OpFoldResult> sizes, Type resultElementType,
                         ValueRange inputs, ArrayRef<AffineMap> inputMaps,
                         ScalarFn fn) {
  int64_t rank = sizes.size();
  Value init = emptyTensor(b, loc, sizes, resultElementType);
  SmallVector<AffineMap> maps(inputMaps);
  maps.push_back(b.getMultiDimIdentityMap(rank));
  auto generic = linalg::GenericOp::create(
      b, loc, init.getType(), inputs, ValueRange{init}, maps,
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value r = fn(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, r);
      });
  return generic.getResult(0);
}

Value onnx::buildElementwise(OpBuilder &b, Location loc,
                             ArrayRef<OpFoldResult> sizes,
                             Type resultElementType, ValueRange inputs,
                             ScalarFn fn) {
  SmallVector<int64_t> shape = staticShape(sizes);
  auto outTy = RankedTensorType::get(shape, resultElementType);
  bool scalarize = isSmallStatic(outTy);
  for (Value in : inputs)
    scalarize &= cast<RankedTensorType>(in.getType()).hasStaticShape();
  if (scalarize) {
    SmallVector<Value> elements;
    for (int64_t i = 0, e = outTy.getNumElements(); i < e; ++i) {
      SmallVector<int64_t> idx = delinearize(i, shape);
      SmallVector<Value> args;
      for (Value in : inputs) {
        auto ty = cast<RankedTensorType>(in.getType());
        int64_t lin = 0, stride = 1;
        for (int64_t id = ty.getRank() - 1; id >= 0; --id) {
          int64_t d = id + shape.size() - ty.getRank();
          int64_t at = ty.getDimSize(id) == 1 ? 0 : idx[d];
          lin += at * stride;
          stride *= ty.getDimSize(id);
        }
        args.push_back(extractElement(b, loc, in, lin));
      }
      elements.push_back(fn(b, loc, args));
    }
    return fromElements(b, loc, outTy, elements);
  }
  SmallVector<AffineMap> maps;
  for (Value in : inputs)
    maps.push_back(broadcastMap(b.getContext(), in, sizes));
  return buildGeneric(b, loc, sizes, resultElementType, inputs, maps, fn);
}

Value onnx::convertTensor(OpBuilder &b, Location loc, Value t, Type elt) {
  auto ty = cast<RankedTensorType>(t.getType());
  if (ty.getElementType() == elt)
    return t;
  return buildElementwise(
      b, loc, tensorSizes(b, loc, t), elt, t,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        return castScalar(nb, nloc, args[0], elt);
      });
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

AffineMap onnx::keptDimsMap(MLIRContext *ctx, ArrayRef<bool> reduced) {
  SmallVector<AffineExpr> exprs;
  for (auto [d, r] : llvm::enumerate(reduced))
    if (!r)
      exprs.push_back(getAffineDimExpr(d, ctx));
  return AffineMap::get(reduced.size(), 0, exprs, ctx);
}

Value onnx::buildReduction(
    OpBuilder &b, Location loc, Value x, ArrayRef<bool> reduced, Value init,
    function_ref<Value(OpBuilder &, Location, Value, Value)> combine,
    function_ref<Value(OpBuilder &, Location, Value)> map) {
  auto ty = cast<RankedTensorType>(x.getType());
  int64_t rank = ty.getRank();
  SmallVector<OpFoldResult> keptSizes;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      iterators.push_back(utils::IteratorType::reduction);
    } else {
      iterators.push_back(utils::IteratorType::parallel);
      keptSizes.push_back(dimOfr(b, loc, x, d));
    }
  }
  Type accType = init.getType();
  Value empty = emptyTensor(b, loc, keptSizes, accType);
  Value acc = linalg::FillOp::create(b, loc, init, empty).getResult(0);
  SmallVector<AffineMap> maps{b.getMultiDimIdentityMap(rank),
                              keptDimsMap(b.getContext(), reduced)};
  auto generic = linalg::GenericOp::create(
      b, loc, acc.getType(), ValueRange{x}, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value v = args[0];
        if (map)
          v = map(nb, nloc, v);
        linalg::YieldOp::create(nb, nloc, combine(nb, nloc, args[1], v));
      });
  return generic.getResult(0);
}

Value onnx::lowestValue(OpBuilder &b, Location loc, Type t) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, loc, t,
        b.getFloatAttr(t, APFloat::getInf(ft.getFloatSemantics(), true)));
  unsigned w = t.getIntOrFloatBitWidth();
  if (w == 1)
    return intConst(b, loc, t, 0);
  return arith::ConstantOp::create(
      b, loc, t, b.getIntegerAttr(t, APInt::getSignedMinValue(w)));
}

Value onnx::highestValue(OpBuilder &b, Location loc, Type t) {
  if (auto ft = dyn_cast<FloatType>(t))
    return arith::ConstantOp::create(
        b, loc, t,
        b.getFloatAttr(t, APFloat::getInf(ft.getFloatSemantics(), false)));
  unsigned w = t.getIntOrFloatBitWidth();
  if (w == 1)
    return intConst(b, loc, t, 1);
  return arith::ConstantOp::create(
      b, loc, t, b.getIntegerAttr(t, APInt::getSignedMaxValue(w)));
}

FailureOr<std::optional<SmallVector<int64_t>>>
onnx::readAxes(OnnxNodeOp op, bool fromInput, unsigned inputIndex,
               StringRef attrName) {
  if (!fromInput)
    return op.getIntsAttr(attrName);
  Value axes = op.getInput(inputIndex);
  if (!axes)
    return std::optional<SmallVector<int64_t>>();
  auto values = getConstantInts(axes);
  if (!values)
    return failure();
  return std::optional<SmallVector<int64_t>>(*values);
}
