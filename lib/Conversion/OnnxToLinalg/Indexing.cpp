//===- Indexing.cpp - slicing, gathering and padding ONNX operators -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Concat, Split, Slice, Gather, GatherElements, Pad and Trilu. Indices,
// starts, ends, axes and steps may be run-time tensors: they are read as
// scalars, and everything folds when they are constant. Out-of-range gather
// indices are clamped (ONNX leaves them undefined) so that no access leaves
// the tensor.
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

namespace {

Value i64Const(OpBuilder &b, Location loc, int64_t v) {
  return intConst(b, loc, b.getI64Type(), v);
}

Value selectV(OpBuilder &b, Location loc, Value c, Value t, Value f) {
  return b.createOrFold<arith::SelectOp>(loc, c, t, f);
}

Value cmp(OpBuilder &b, Location loc, arith::CmpIPredicate p, Value x,
          Value y) {
  return b.createOrFold<arith::CmpIOp>(loc, p, x, y);
}

Value clampI(OpBuilder &b, Location loc, Value v, Value lo, Value hi) {
  return b.createOrFold<arith::MinSIOp>(
      loc, b.createOrFold<arith::MaxSIOp>(loc, v, lo), hi);
}

/// `i` (an integer index into a dimension of extent `dim`, index type)
/// with negative values counted from the end, clamped into [0, dim - 1].
Value normalizeIndex(OpBuilder &b, Location loc, Value i, Value dim) {
  i = toIndex(b, loc, i);
  Value zero = indexConst(b, loc, 0);
  Value neg = cmp(b, loc, arith::CmpIPredicate::slt, i, zero);
  i = selectV(b, loc, neg, b.createOrFold<arith::AddIOp>(loc, i, dim), i);
  Value last = b.createOrFold<arith::SubIOp>(loc, dim, indexConst(b, loc, 1));
  return clampI(b, loc, i, zero, b.createOrFold<arith::MaxSIOp>(loc, last, zero));
}

/// Row-major multi-index of linear `i` in a static shape.
SmallVector<int64_t> delinearize(int64_t i, ArrayRef<int64_t> shape) {
  SmallVector<int64_t> idx(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

int64_t linearize(ArrayRef<int64_t> idx, ArrayRef<int64_t> shape) {
  int64_t l = 0;
  for (auto [i, s] : llvm::zip(idx, shape))
    l = l * s + i;
  return l;
}

//===----------------------------------------------------------------------===//
// Concat
//===----------------------------------------------------------------------===//

LogicalResult lowerConcat(OnnxNodeOp op, PatternRewriter &rw) {
  RankedTensorType out = resultType(op);
  if (!out)
    return failNode(rw, op, "the result is not a ranked tensor");
  SmallVector<Value> inputs;
  for (unsigned i = 0, e = op.getInputs().size(); i < e; ++i)
    if (Value v = op.getInput(i))
      inputs.push_back(v);
  if (inputs.empty())
    return failNode(rw, op, "no inputs");
  int64_t rank = out.getRank();
  if (!op.getOnnxAttr("axis") && op.getVersion() >= 4)
    return failNode(rw, op, "the axis attribute is missing");
  int64_t axis = normalizeAxis(op.getIntAttr("axis", 1), rank);
  if (axis < 0 || axis >= rank)
    return failNode(rw, op, "axis out of range");
  for (Value in : inputs)
    if (cast<RankedTensorType>(in.getType()).getRank() != rank)
      return failNode(rw, op, "inputs must have the result's rank");
  Location loc = op.getLoc();

  bool allStatic = llvm::all_of(inputs, [](Value v) {
    return cast<RankedTensorType>(v.getType()).hasStaticShape();
  });
  if (allStatic && isSmallStatic(out)) {
    // Element by element: shapes stay visible as scalars.
    SmallVector<Value> elements;
    ArrayRef<int64_t> shape = out.getShape();
    for (int64_t i = 0, e = out.getNumElements(); i < e; ++i) {
      SmallVector<int64_t> idx = delinearize(i, shape);
      for (Value in : inputs) {
        auto ty = cast<RankedTensorType>(in.getType());
        if (idx[axis] < ty.getDimSize(axis)) {
          elements.push_back(
              extractElement(rw, loc, in, linearize(idx, ty.getShape())));
          break;
        }
        idx[axis] -= ty.getDimSize(axis);
      }
    }
    replaceFirstResult(rw, op, fromElements(rw, loc, out, elements));
    return success();
  }

  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (d == axis) {
      OpFoldResult n = rw.getIndexAttr(0);
      for (Value in : inputs)
        n = addOfr(rw, loc, n, dimOfr(rw, loc, in, d));
      sizes.push_back(n);
    } else if (!out.isDynamicDim(d)) {
      sizes.push_back(rw.getIndexAttr(out.getDimSize(d)));
    } else {
      sizes.push_back(dimOfr(rw, loc, inputs[0], d));
    }
  }
  Value acc = emptyTensor(rw, loc, sizes, out.getElementType());
  OpFoldResult offset = rw.getIndexAttr(0);
  for (Value in : inputs) {
    if (cast<RankedTensorType>(in.getType()).getDimSize(axis) == 0)
      continue;
    SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)),
        strides(rank, rw.getIndexAttr(1));
    offsets[axis] = offset;
    SmallVector<OpFoldResult> inSizes = tensorSizes(rw, loc, in);
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        inSizes[d] = sizes[d];
    acc = tensor::InsertSliceOp::create(rw, loc, in, acc, offsets, inSizes,
                                        strides);
    offset = addOfr(rw, loc, offset, dimOfr(rw, loc, in, axis));
  }
  replaceFirstResult(rw, op, acc);
  return success();
}

//===----------------------------------------------------------------------===//
// Split
//===----------------------------------------------------------------------===//

LogicalResult lowerSplit(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  int64_t axis = normalizeAxis(op.getIntAttr("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return failNode(rw, op, "axis out of range");
  int64_t n = op->getNumResults();
  Value splitInput = op.getVersion() >= 13 ? op.getInput(1) : Value();
  std::optional<SmallVector<int64_t>> splitAttr;
  if (op.getVersion() < 13)
    splitAttr = op.getIntsAttr("split");
  if (splitInput) {
    auto ty = cast<RankedTensorType>(splitInput.getType());
    if (ty.getRank() != 1 || ty.isDynamicDim(0) || ty.getDimSize(0) != n)
      return failNode(rw, op, "split must have one entry per output");
  } else if (splitAttr && static_cast<int64_t>(splitAttr->size()) != n) {
    return failNode(rw, op, "split must have one entry per output");
  }
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> parts;
  if (splitInput) {
    for (Value v : extractElements(rw, loc, splitInput))
      parts.push_back(foldIndex(toIndex(rw, loc, v)));
  } else if (splitAttr) {
    for (int64_t s : *splitAttr)
      parts.push_back(rw.getIndexAttr(s));
  } else {
    // Equal parts; since opset 18 the last one may be smaller.
    Value dim = ofrToValue(rw, loc, dimOfr(rw, loc, x, axis));
    Value chunk =
        rw.createOrFold<arith::CeilDivSIOp>(loc, dim, indexConst(rw, loc, n));
    for (int64_t i = 0; i < n - 1; ++i)
      parts.push_back(foldIndex(chunk));
    Value rest = rw.createOrFold<arith::SubIOp>(
        loc, dim,
        rw.createOrFold<arith::MulIOp>(loc, chunk, indexConst(rw, loc, n - 1)));
    parts.push_back(foldIndex(rest));
  }
  SmallVector<Value> results;
  OpFoldResult offset = rw.getIndexAttr(0);
  for (int64_t i = 0; i < n; ++i) {
    RankedTensorType rt = resultType(op, i);
    OpFoldResult part = parts[i];
    if (rt && !rt.isDynamicDim(axis))
      part = rw.getIndexAttr(rt.getDimSize(axis));
    if (!hasResult(op, i)) {
      results.push_back(Value());
    } else {
      SmallVector<OpFoldResult> offsets(rank, rw.getIndexAttr(0)),
          strides(rank, rw.getIndexAttr(1));
      SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
      offsets[axis] = offset;
      sizes[axis] = part;
      // (extract_slice rejects a static offset at the end of a dimension,
      // even for an empty slice.)
      if (constInt(part) == 0)
        results.push_back(emptyTensor(rw, loc, sizes, xTy.getElementType()));
      else
        results.push_back(tensor::ExtractSliceOp::create(rw, loc, x, offsets,
                                                         sizes, strides));
    }
    offset = addOfr(rw, loc, offset, part);
  }
  replaceNode(rw, op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// Slice
//===----------------------------------------------------------------------===//

LogicalResult lowerSlice(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  if (out.getRank() != rank)
    return failNode(rw, op, "the result rank differs from the input's");
  Location loc = op.getLoc();
  bool fromInputs = op.getVersion() >= 10;

  // starts, ends, axes, steps as i64 scalars (K of each).
  int64_t k = 0;
  if (fromInputs) {
    for (unsigned i = 1; i <= 4; ++i) {
      Value v = op.getInput(i);
      if (!v) {
        if (i <= 2)
          return failNode(rw, op, "starts and ends are required");
        continue;
      }
      auto ty = cast<RankedTensorType>(v.getType());
      if (ty.getRank() != 1 || ty.isDynamicDim(0) ||
          !isa<IntegerType>(ty.getElementType()))
        return failNode(rw, op, "starts, ends, axes and steps must be 1-D "
                                "integer tensors of static length");
      if (i == 1)
        k = ty.getDimSize(0);
      else if (ty.getDimSize(0) != k)
        return failNode(rw, op, "starts, ends, axes and steps differ in "
                                "length");
    }
  } else {
    auto s = op.getIntsAttr("starts"), e = op.getIntsAttr("ends");
    if (!s || !e || s->size() != e->size())
      return failNode(rw, op, "starts and ends are required");
    k = s->size();
    if (auto a = op.getIntsAttr("axes"); a && static_cast<int64_t>(a->size()) != k)
      return failNode(rw, op, "axes differs in length from starts");
  }
  if (k > rank)
    return failNode(rw, op, "more slices than dimensions");

  SmallVector<Value> starts, ends, axes, steps;
  auto read = [&](unsigned input, StringRef attr, SmallVector<Value> &to) {
    if (fromInputs) {
      if (Value v = op.getInput(input))
        for (Value e : extractElements(rw, loc, v))
          to.push_back(toI64(rw, loc, e));
      return;
    }
    if (auto a = op.getIntsAttr(attr))
      for (int64_t e : *a)
        to.push_back(i64Const(rw, loc, e));
  };
  read(1, "starts", starts);
  read(2, "ends", ends);
  read(3, "axes", axes);
  read(4, "steps", steps);
  Value zero = i64Const(rw, loc, 0), one = i64Const(rw, loc, 1),
        minusOne = i64Const(rw, loc, -1), rankV = i64Const(rw, loc, rank);
  if (axes.empty())
    for (int64_t i = 0; i < k; ++i)
      axes.push_back(i64Const(rw, loc, i));
  if (steps.empty())
    steps.assign(k, one);
  for (Value &a : axes)
    a = selectV(rw, loc, cmp(rw, loc, arith::CmpIPredicate::slt, a, zero),
                rw.createOrFold<arith::AddIOp>(loc, a, rankV), a);

  // Dimensions no axis can name are taken whole.
  SmallVector<bool> named(rank, false);
  for (Value a : axes) {
    auto c = getConstantIntValue(a);
    if (!c) {
      named.assign(rank, true);
      break;
    }
    if (*c >= 0 && *c < rank)
      named[*c] = true;
  }
  SmallVector<Value> offsets(rank), counts(rank), strides(rank);
  for (int64_t d = 0; d < rank; ++d) {
    Value dim = toI64(rw, loc, ofrToValue(rw, loc, dimOfr(rw, loc, x, d)));
    if (!named[d]) {
      offsets[d] = zero;
      counts[d] = dim;
      strides[d] = one;
      continue;
    }
    // Defaults: the whole dimension.
    Value start = zero, end = dim, step = one;
    Value dV = i64Const(rw, loc, d);
    for (int64_t i = 0; i < k; ++i) {
      Value here = cmp(rw, loc, arith::CmpIPredicate::eq, axes[i], dV);
      start = selectV(rw, loc, here, starts[i], start);
      end = selectV(rw, loc, here, ends[i], end);
      step = selectV(rw, loc, here, steps[i], step);
    }
    Value pos = cmp(rw, loc, arith::CmpIPredicate::sgt, step, zero);
    auto fromEnd = [&](Value v) {
      return selectV(rw, loc, cmp(rw, loc, arith::CmpIPredicate::slt, v, zero),
                     rw.createOrFold<arith::AddIOp>(loc, v, dim), v);
    };
    Value s = fromEnd(start), e = fromEnd(end);
    Value dimM1 = rw.createOrFold<arith::SubIOp>(loc, dim, one);
    s = selectV(rw, loc, pos, clampI(rw, loc, s, zero, dim),
                clampI(rw, loc, s, zero, dimM1));
    e = selectV(rw, loc, pos, clampI(rw, loc, e, zero, dim),
                clampI(rw, loc, e, minusOne, dimM1));
    // count = max(ceil((e - s) / step), 0)
    Value count = rw.createOrFold<arith::CeilDivSIOp>(
        loc, rw.createOrFold<arith::SubIOp>(loc, e, s), step);
    count = rw.createOrFold<arith::MaxSIOp>(loc, count, zero);
    offsets[d] = s;
    counts[d] = count;
    strides[d] = step;
  }

  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < rank; ++d)
    sizes.push_back(out.isDynamicDim(d)
                        ? foldIndex(toIndex(rw, loc, counts[d]))
                        : OpFoldResult(rw.getIndexAttr(out.getDimSize(d))));
  bool positiveSteps = llvm::all_of(strides, [](Value s) {
    auto c = getConstantIntValue(s);
    return c && *c > 0;
  });
  Value v;
  if (llvm::any_of(sizes, [](OpFoldResult s) { return constInt(s) == 0; })) {
    v = emptyTensor(rw, loc, sizes, xTy.getElementType());
  } else if (positiveSteps) {
    SmallVector<OpFoldResult> offs, strs;
    for (int64_t d = 0; d < rank; ++d) {
      offs.push_back(foldIndex(toIndex(rw, loc, offsets[d])));
      strs.push_back(foldIndex(toIndex(rw, loc, strides[d])));
    }
    v = tensor::ExtractSliceOp::create(rw, loc, x, offs, sizes, strs);
  } else {
    // Negative or run-time steps: read element by element.
    SmallVector<Value> offIdx, strIdx;
    for (int64_t d = 0; d < rank; ++d) {
      offIdx.push_back(toIndex(rw, loc, offsets[d]));
      strIdx.push_back(toIndex(rw, loc, strides[d]));
    }
    v = buildGeneric(
        rw, loc, sizes, xTy.getElementType(), ValueRange{}, {},
        [&](OpBuilder &b, Location loc, ValueRange) {
          SmallVector<Value> idx;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(b, loc, d);
            idx.push_back(b.createOrFold<arith::AddIOp>(
                loc, offIdx[d], b.createOrFold<arith::MulIOp>(loc, i, strIdx[d])));
          }
          return extractAt(b, loc, x, idx);
        });
  }
  replaceFirstResult(rw, op, v);
  return success();
}

//===----------------------------------------------------------------------===//
// Gather, GatherElements
//===----------------------------------------------------------------------===//

LogicalResult lowerGather(OnnxNodeOp op, PatternRewriter &rw) {
  Value data = op.getInput(0), indices = op.getInput(1);
  RankedTensorType out = resultType(op);
  if (!data || !indices || !out)
    return failNode(rw, op, "an input or the result is missing");
  auto dTy = cast<RankedTensorType>(data.getType());
  auto iTy = cast<RankedTensorType>(indices.getType());
  if (!isa<IntegerType>(iTy.getElementType()) ||
      iTy.getElementType().isInteger(1))
    return failNode(rw, op, "indices must be integers");
  int64_t r = dTy.getRank(), q = iTy.getRank();
  int64_t axis = normalizeAxis(op.getIntAttr("axis", 0), r);
  if (axis < 0 || axis >= r)
    return failNode(rw, op, "axis out of range");
  if (out.getRank() != r - 1 + q)
    return failNode(rw, op, "the result rank is not r - 1 + q");
  Location loc = op.getLoc();
  Value axisDim = ofrToValue(rw, loc, dimOfr(rw, loc, data, axis));

  if (isSmallStatic(out) && dTy.hasStaticShape() && iTy.hasStaticShape()) {
    SmallVector<Value> elements;
    for (int64_t i = 0, e = out.getNumElements(); i < e; ++i) {
      SmallVector<int64_t> oi = delinearize(i, out.getShape());
      int64_t il = linearize(ArrayRef<int64_t>(oi).slice(axis, q),
                             iTy.getShape());
      Value idx = normalizeIndex(rw, loc, extractElement(rw, loc, indices, il),
                                 axisDim);
      SmallVector<Value> di;
      for (int64_t d = 0; d < axis; ++d)
        di.push_back(indexConst(rw, loc, oi[d]));
      di.push_back(idx);
      for (int64_t d = axis + q; d < r - 1 + q; ++d)
        di.push_back(indexConst(rw, loc, oi[d]));
      elements.push_back(extractAt(rw, loc, data, di));
    }
    replaceFirstResult(rw, op, fromElements(rw, loc, out, elements));
    return success();
  }

  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < axis; ++d)
    sizes.push_back(dimOfr(rw, loc, data, d));
  for (int64_t d = 0; d < q; ++d)
    sizes.push_back(dimOfr(rw, loc, indices, d));
  for (int64_t d = axis + 1; d < r; ++d)
    sizes.push_back(dimOfr(rw, loc, data, d));
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (!out.isDynamicDim(d))
      sizes[d] = rw.getIndexAttr(out.getDimSize(d));
  MLIRContext *ctx = rw.getContext();
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < q; ++d)
    exprs.push_back(getAffineDimExpr(axis + d, ctx));
  AffineMap map = AffineMap::get(r - 1 + q, 0, exprs, ctx);
  Value v = buildGeneric(
      rw, loc, sizes, dTy.getElementType(), indices, map,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        SmallVector<Value> di;
        for (int64_t d = 0; d < axis; ++d)
          di.push_back(linalg::IndexOp::create(b, loc, d));
        di.push_back(normalizeIndex(b, loc, args[0], axisDim));
        for (int64_t d = axis + q; d < r - 1 + q; ++d)
          di.push_back(linalg::IndexOp::create(b, loc, d));
        return Value(tensor::ExtractOp::create(b, loc, data, di));
      });
  replaceFirstResult(rw, op, v);
  return success();
}

LogicalResult lowerGatherElements(OnnxNodeOp op, PatternRewriter &rw) {
  Value data = op.getInput(0), indices = op.getInput(1);
  RankedTensorType out = resultType(op);
  if (!data || !indices || !out)
    return failNode(rw, op, "an input or the result is missing");
  auto dTy = cast<RankedTensorType>(data.getType());
  auto iTy = cast<RankedTensorType>(indices.getType());
  int64_t r = dTy.getRank();
  int64_t axis = normalizeAxis(op.getIntAttr("axis", 0), r);
  if (axis < 0 || axis >= r || iTy.getRank() != r)
    return failNode(rw, op, "axis out of range or rank mismatch");
  Location loc = op.getLoc();
  Value axisDim = ofrToValue(rw, loc, dimOfr(rw, loc, data, axis));
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, indices);
  Value v = buildGeneric(
      rw, loc, sizes, dTy.getElementType(), indices,
      rw.getMultiDimIdentityMap(r),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        SmallVector<Value> di;
        for (int64_t d = 0; d < r; ++d)
          di.push_back(d == axis ? normalizeIndex(b, loc, args[0], axisDim)
                                 : Value(linalg::IndexOp::create(b, loc, d)));
        return Value(tensor::ExtractOp::create(b, loc, data, di));
      });
  replaceFirstResult(rw, op, v);
  return success();
}

/// GatherND: out[i..., j...] = data[i[:b]..., indices[i..., 0:k]..., j...]
/// with b = batch_dims and k = the (static) last extent of the indices.
LogicalResult lowerGatherND(OnnxNodeOp op, PatternRewriter &rw) {
  Value data = op.getInput(0), indices = op.getInput(1);
  RankedTensorType out = resultType(op);
  if (!data || !indices || !out)
    return failNode(rw, op, "an input or the result is missing");
  auto dTy = cast<RankedTensorType>(data.getType());
  auto iTy = cast<RankedTensorType>(indices.getType());
  if (!isa<IntegerType>(iTy.getElementType()) || iTy.getElementType().isInteger(1))
    return failNode(rw, op, "indices must be integers");
  int64_t r = dTy.getRank(), q = iTy.getRank();
  int64_t b = op.getIntAttr("batch_dims", 0);
  if (q < 1 || iTy.isDynamicDim(q - 1))
    return failNode(rw, op, "the last extent of the indices must be static");
  int64_t k = iTy.getDimSize(q - 1);
  if (b < 0 || b >= q || b + k > r || out.getRank() != q - 1 + r - b - k)
    return failNode(rw, op, "batch_dims, index depth and ranks do not agree");
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < q - 1; ++d)
    sizes.push_back(dimOfr(rw, loc, indices, d));
  for (int64_t d = b + k; d < r; ++d)
    sizes.push_back(dimOfr(rw, loc, data, d));
  for (int64_t d = 0; d < out.getRank(); ++d)
    if (!out.isDynamicDim(d))
      sizes[d] = rw.getIndexAttr(out.getDimSize(d));
  SmallVector<Value> dims;
  for (int64_t d = b; d < b + k; ++d)
    dims.push_back(ofrToValue(rw, loc, dimOfr(rw, loc, data, d)));
  MLIRContext *ctx = rw.getContext();
  int64_t outRank = out.getRank();
  // The generic reads indices[i..., 0]; the other components are extracted.
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < q - 1; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx));
  exprs.push_back(getAffineConstantExpr(0, ctx));
  AffineMap map = AffineMap::get(outRank, 0, exprs, ctx);
  Value v = buildGeneric(
      rw, loc, sizes, dTy.getElementType(), indices, map,
      [&](OpBuilder &bld, Location loc, ValueRange args) {
        SmallVector<Value> outer;
        for (int64_t d = 0; d < q - 1; ++d)
          outer.push_back(linalg::IndexOp::create(bld, loc, d));
        SmallVector<Value> di;
        for (int64_t d = 0; d < b; ++d)
          di.push_back(outer[d]);
        for (int64_t m = 0; m < k; ++m) {
          Value component = args[0];
          if (m > 0) {
            SmallVector<Value> at(outer);
            at.push_back(arith::ConstantIndexOp::create(bld, loc, m));
            component = tensor::ExtractOp::create(bld, loc, indices, at);
          }
          di.push_back(normalizeIndex(bld, loc, component, dims[m]));
        }
        for (int64_t d = q - 1; d < outRank; ++d)
          di.push_back(linalg::IndexOp::create(bld, loc, d));
        return Value(tensor::ExtractOp::create(bld, loc, data, di));
      });
  replaceFirstResult(rw, op, v);
  return success();
}

//===----------------------------------------------------------------------===//
// Pad
//===----------------------------------------------------------------------===//

LogicalResult lowerPad(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  Type elt = xTy.getElementType();
  StringRef mode = op.getStringAttr("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect" &&
      !(mode == "wrap" && op.getVersion() >= 19))
    return failNode(rw, op, "unsupported mode '" + mode + "'");
  Location loc = op.getLoc();
  bool fromInputs = op.getVersion() >= 11;
  Value pads = fromInputs ? op.getInput(1) : Value();
  std::optional<SmallVector<int64_t>> axesList;
  int64_t numAxes = rank;
  if (fromInputs) {
    auto pTy = pads ? cast<RankedTensorType>(pads.getType()) : nullptr;
    if (!pTy || pTy.getRank() != 1 || pTy.isDynamicDim(0))
      return failNode(rw, op, "pads must be a 1-D tensor of static length");
    if (Value axes = op.getVersion() >= 18 ? op.getInput(3) : Value()) {
      axesList = getConstantInts(axes);
      if (!axesList)
        return failNode(rw, op, "axes must be constant");
      numAxes = axesList->size();
    }
    if (pTy.getDimSize(0) != 2 * numAxes)
      return failNode(rw, op, "pads must have two entries per axis");
  } else {
    auto p = op.getIntsAttr("pads");
    if (!p || static_cast<int64_t>(p->size()) != 2 * rank)
      return failNode(rw, op, "pads must have two entries per axis");
  }
  SmallVector<Value> padValues;
  if (fromInputs)
    for (Value v : extractElements(rw, loc, pads))
      padValues.push_back(toIndex(rw, loc, v));
  else
    for (int64_t p : op.getIntsAttr("pads").value_or(SmallVector<int64_t>()))
      padValues.push_back(indexConst(rw, loc, p));
  SmallVector<Value> low(rank, indexConst(rw, loc, 0)), high(low);
  for (int64_t i = 0; i < numAxes; ++i) {
    int64_t d = axesList ? normalizeAxis((*axesList)[i], rank) : i;
    if (d < 0 || d >= rank)
      return failNode(rw, op, "axis out of range");
    low[d] = padValues[i];
    high[d] = padValues[numAxes + i];
  }
  Value cval;
  if (mode == "constant") {
    if (!fromInputs)
      cval = scalarConst(rw, loc, elt, op.getFloatAttr("value", 0.0));
    else if (Value c = op.getInput(2))
      cval = extractElement(rw, loc, c, 0);
    else
      cval = scalarConst(rw, loc, elt, 0.0);
  }
  SmallVector<OpFoldResult> sizes;
  SmallVector<Value> dims;
  for (int64_t d = 0; d < rank; ++d) {
    OpFoldResult dim = dimOfr(rw, loc, x, d);
    dims.push_back(ofrToValue(rw, loc, dim));
    sizes.push_back(out.isDynamicDim(d)
                        ? addOfr(rw, loc, addOfr(rw, loc, dim, foldIndex(low[d])),
                                 foldIndex(high[d]))
                        : OpFoldResult(rw.getIndexAttr(out.getDimSize(d))));
  }
  Value v = buildGeneric(
      rw, loc, sizes, elt, ValueRange{}, {},
      [&](OpBuilder &b, Location loc, ValueRange) {
        Value zero = indexConst(b, loc, 0), one = indexConst(b, loc, 1);
        Value inside = intConst(b, loc, b.getI1Type(), 1);
        SmallVector<Value> idx;
        for (int64_t d = 0; d < rank; ++d) {
          Value i = b.createOrFold<arith::SubIOp>(
              loc, linalg::IndexOp::create(b, loc, d), low[d]);
          Value last = b.createOrFold<arith::SubIOp>(loc, dims[d], one);
          if (mode == "constant") {
            inside = b.createOrFold<arith::AndIOp>(
                loc, inside,
                b.createOrFold<arith::AndIOp>(
                    loc, cmp(b, loc, arith::CmpIPredicate::sge, i, zero),
                    cmp(b, loc, arith::CmpIPredicate::slt, i, dims[d])));
          } else if (mode == "reflect") {
            // One reflection (pads smaller than the extent).
            i = selectV(b, loc, cmp(b, loc, arith::CmpIPredicate::slt, i, zero),
                        b.createOrFold<arith::SubIOp>(loc, zero, i), i);
            Value over = cmp(b, loc, arith::CmpIPredicate::sgt, i, last);
            i = selectV(b, loc, over,
                        b.createOrFold<arith::SubIOp>(
                            loc, b.createOrFold<arith::AddIOp>(loc, last, last),
                            i),
                        i);
          } else if (mode == "wrap") {
            Value m = b.createOrFold<arith::RemSIOp>(loc, i, dims[d]);
            i = selectV(b, loc, cmp(b, loc, arith::CmpIPredicate::slt, m, zero),
                        b.createOrFold<arith::AddIOp>(loc, m, dims[d]), m);
          }
          idx.push_back(clampI(b, loc, i, zero,
                               b.createOrFold<arith::MaxSIOp>(loc, last, zero)));
        }
        Value e = tensor::ExtractOp::create(b, loc, x, idx);
        if (mode == "constant")
          e = b.createOrFold<arith::SelectOp>(loc, inside, e, cval);
        return e;
      });
  replaceFirstResult(rw, op, v);
  return success();
}

//===----------------------------------------------------------------------===//
// Trilu
//===----------------------------------------------------------------------===//

LogicalResult lowerTrilu(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  int64_t rank = xTy.getRank();
  if (rank < 2)
    return failNode(rw, op, "the input must have rank 2 or more");
  Value kInput = op.getInput(1);
  if (kInput) {
    auto kTy = cast<RankedTensorType>(kInput.getType());
    if (!kTy.hasStaticShape() || kTy.getNumElements() != 1)
      return failNode(rw, op, "k must be a scalar");
  }
  bool upper = op.getIntAttr("upper", 1) != 0;
  Location loc = op.getLoc();
  Value k = kInput ? toI64(rw, loc, extractElement(rw, loc, kInput, 0))
                   : i64Const(rw, loc, 0);
  Type elt = xTy.getElementType();
  Value v = buildGeneric(
      rw, loc, tensorSizes(rw, loc, x), elt, x, rw.getMultiDimIdentityMap(rank),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value row = toI64(b, loc, linalg::IndexOp::create(b, loc, rank - 2));
        Value col = toI64(b, loc, linalg::IndexOp::create(b, loc, rank - 1));
        Value diff = arith::SubIOp::create(b, loc, col, row);
        Value keep = cmp(b, loc,
                         upper ? arith::CmpIPredicate::sge
                               : arith::CmpIPredicate::sle,
                         diff, k);
        return Value(arith::SelectOp::create(b, loc, keep, args[0],
                                             scalarConst(b, loc, elt, 0.0)));
      });
  replaceFirstResult(rw, op, v);
  return success();
}

//===----------------------------------------------------------------------===//
// EyeLike
//===----------------------------------------------------------------------===//

LogicalResult lowerEyeLike(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out || out.getRank() != 2)
    return failNode(rw, op, "the input and result must be matrices");
  Location loc = op.getLoc();
  int64_t k = op.getIntAttr("k", 0);
  Type elt = out.getElementType();
  Value v = buildGeneric(
      rw, loc, tensorSizes(rw, loc, x), elt, ValueRange{}, {},
      [&](OpBuilder &b, Location loc, ValueRange) {
        Value row = toI64(b, loc, linalg::IndexOp::create(b, loc, 0));
        Value col = toI64(b, loc, linalg::IndexOp::create(b, loc, 1));
        Value on = cmp(b, loc, arith::CmpIPredicate::eq,
                       arith::SubIOp::create(b, loc, col, row),
                       i64Const(b, loc, k));
        return Value(arith::SelectOp::create(b, loc, on,
                                             scalarConst(b, loc, elt, 1.0),
                                             scalarConst(b, loc, elt, 0.0)));
      });
  replaceFirstResult(rw, op, v);
  return success();
}

} // namespace

void onnx::appendIndexingLowerings(SmallVectorImpl<OpLowering> &table) {
  table.push_back({"Concat", 1, kMaxOpset, lowerConcat});
  table.push_back({"Split", 2, kMaxOpset, lowerSplit});
  table.push_back({"Slice", 1, kMaxOpset, lowerSlice});
  table.push_back({"Gather", 1, kMaxOpset, lowerGather});
  table.push_back({"GatherElements", 11, kMaxOpset, lowerGatherElements});
  table.push_back({"GatherND", 12, kMaxOpset, lowerGatherND});
  table.push_back({"Pad", 2, kMaxOpset, lowerPad});
  table.push_back({"Trilu", 14, kMaxOpset, lowerTrilu});
  table.push_back({"EyeLike", 9, kMaxOpset, lowerEyeLike});
}
