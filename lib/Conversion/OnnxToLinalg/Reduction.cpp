//===- Reduction.cpp - reducing ONNX operators ---------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Reduce*, ArgMax/ArgMin, Softmax, LogSoftmax, LayerNormalization and
// CumSum: linalg.generics with reduction iterators, accumulating f16/bf16 in
// f32. Softmax subtracts the maximum first.
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

namespace {

using CombineFn = function_ref<Value(OpBuilder &, Location, Value, ValueRange)>;

/// Reduces over the `reduced` dimensions of an iteration space of `sizes`:
/// `inputs` are read through `maps`, the accumulator (kept dimensions) starts
/// at `init`, and `combine(acc, inputScalars)` returns the new accumulator.
Value reduceWith(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                 ArrayRef<bool> reduced, ValueRange inputs,
                 ArrayRef<AffineMap> maps, Value init, CombineFn combine) {
  SmallVector<OpFoldResult> kept;
  SmallVector<utils::IteratorType> iterators;
  for (auto [d, r] : llvm::enumerate(reduced)) {
    iterators.push_back(r ? utils::IteratorType::reduction
                          : utils::IteratorType::parallel);
    if (!r)
      kept.push_back(sizes[d]);
  }
  Value acc =
      linalg::FillOp::create(b, loc, init,
                             emptyTensor(b, loc, kept, init.getType()))
          .getResult(0);
  SmallVector<AffineMap> allMaps(maps);
  allMaps.push_back(keptDimsMap(b.getContext(), reduced));
  return linalg::GenericOp::create(
             b, loc, acc.getType(), inputs, ValueRange{acc}, allMaps, iterators,
             [&](OpBuilder &nb, Location nloc, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nloc, combine(nb, nloc, args.back(), args.drop_back()));
             })
      .getResult(0);
}

Value addS(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value mulS(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

/// The product of the `reduced` extents, as a scalar of type `t`.
Value countOf(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
              ArrayRef<bool> reduced, Type t) {
  OpFoldResult n = b.getIndexAttr(1);
  for (auto [d, r] : llvm::enumerate(reduced))
    if (r)
      n = mulOfr(b, loc, n, sizes[d]);
  return castScalar(b, loc, ofrToValue(b, loc, n), t);
}

/// `reducedTensor` (kept dims only) reshaped to the keepdims shape.
Value keepDims(OpBuilder &b, Location loc, Value reducedTensor,
               ArrayRef<OpFoldResult> sizes, ArrayRef<bool> reduced) {
  SmallVector<OpFoldResult> withOnes;
  for (auto [d, r] : llvm::enumerate(reduced))
    withOnes.push_back(r ? OpFoldResult(b.getIndexAttr(1)) : sizes[d]);
  return reshapeTo(b, loc, reducedTensor, withOnes);
}

//===----------------------------------------------------------------------===//
// Reduce*
//===----------------------------------------------------------------------===//

enum class Reduce { Sum, Mean, Max, Min, Prod, L1, L2, LogSum, LogSumExp, SumSquare };

/// The reduced dimensions of a reduction from `in` to `out` (static shapes),
/// if only one choice (up to unit dimensions, when `unitHarmless`) gives
/// that result type.
std::optional<SmallVector<bool>>
reducedDimsFromTypes(RankedTensorType in, RankedTensorType out, bool keepDims,
                     bool unitHarmless) {
  if (!in.hasStaticShape() || !out.hasStaticShape())
    return std::nullopt;
  int64_t rank = in.getRank();
  if (keepDims) {
    if (out.getRank() != rank)
      return std::nullopt;
    SmallVector<bool> reduced(rank, false);
    for (int64_t d = 0; d < rank; ++d) {
      int64_t i = in.getDimSize(d), o = out.getDimSize(d);
      if (i == o && i == 1 && !unitHarmless)
        return std::nullopt;
      if (i != o && o != 1)
        return std::nullopt;
      reduced[d] = o == 1;
    }
    return reduced;
  }
  // Without keepdims: the one way of removing dimensions that leaves `out`.
  int64_t removed = rank - out.getRank();
  if (removed < 0 || rank > 16)
    return std::nullopt;
  std::optional<SmallVector<bool>> found;
  for (uint32_t mask = 0; mask < (1u << rank); ++mask) {
    if (llvm::popcount(mask) != removed)
      continue;
    SmallVector<int64_t> left;
    for (int64_t d = 0; d < rank; ++d)
      if (!(mask & (1u << d)))
        left.push_back(in.getDimSize(d));
    if (ArrayRef<int64_t>(left) != out.getShape())
      continue;
    if (found)
      return std::nullopt; // ambiguous
    found = SmallVector<bool>(rank);
    for (int64_t d = 0; d < rank; ++d)
      (*found)[d] = mask & (1u << d);
  }
  return found;
}

LogicalResult lowerReduce(OnnxNodeOp op, PatternRewriter &rw, Reduce kind,
                          int64_t axesInputSince) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  Type elt = xTy.getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "reductions of booleans are not supported");
  bool isF = isa<FloatType>(elt);
  if (!isF && (kind == Reduce::L2 || kind == Reduce::LogSum ||
               kind == Reduce::LogSumExp))
    return failNode(rw, op, "this reduction needs a float input");
  bool fromInput = static_cast<int64_t>(op.getVersion()) >= axesInputSince;
  auto axes = readAxes(op, fromInput, 1);
  int64_t rank = xTy.getRank();
  bool keep = op.getIntAttr("keepdims", 1) != 0;
  bool noop = fromInput && op.getIntAttr("noop_with_empty_axes", 0) != 0;
  SmallVector<bool> reduced(rank, false);
  if (failed(axes)) {
    // Axes known only at run time: the declared result type tells, if it
    // does so unambiguously.
    // Reducing a dimension of extent 1 changes nothing for these kinds.
    bool unitHarmless = kind == Reduce::Sum || kind == Reduce::Mean ||
                        kind == Reduce::Max || kind == Reduce::Min ||
                        kind == Reduce::Prod || kind == Reduce::LogSumExp;
    auto inferred = reducedDimsFromTypes(xTy, out, keep, unitHarmless);
    if (!inferred)
      return failNode(rw, op, "the axes are not constant, and the result type "
                              "does not say which they are");
    reduced = *inferred;
  } else if (!*axes || (*axes)->empty()) {
    if (!noop)
      reduced.assign(rank, true);
  } else {
    for (int64_t a : **axes) {
      a = normalizeAxis(a, rank);
      if (a < 0 || a >= rank)
        return failNode(rw, op, "axis out of range");
      reduced[a] = true;
    }
  }
  Location loc = op.getLoc();
  Type ct = computeType(elt);
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
  AffineMap id = rw.getMultiDimIdentityMap(rank);
  MLIRContext *ctx = rw.getContext();

  Value max; // LogSumExp: the maximum (kept dims), subtracted first
  if (kind == Reduce::LogSumExp) {
    max = reduceWith(rw, loc, sizes, reduced, x, id, lowestValue(rw, loc, ct),
                     [&](OpBuilder &b, Location loc, Value acc, ValueRange a) {
                       return Value(arith::MaximumFOp::create(
                           b, loc, acc, castScalar(b, loc, a[0], ct)));
                     });
    // Rows of -inf (or empty ones) subtract 0 instead.
    max = buildElementwise(
        rw, loc, tensorSizes(rw, loc, max), ct, max,
        [&](OpBuilder &b, Location loc, ValueRange a) {
          Value inf = arith::CmpFOp::create(
              b, loc, arith::CmpFPredicate::OEQ, math::AbsFOp::create(b, loc, a[0]),
              highestValue(b, loc, ct));
          return Value(arith::SelectOp::create(b, loc, inf,
                                               floatConst(b, loc, ct, 0.0), a[0]));
        });
  }

  Value init;
  switch (kind) {
  case Reduce::Max:
    init = lowestValue(rw, loc, ct);
    break;
  case Reduce::Min:
    init = highestValue(rw, loc, ct);
    break;
  case Reduce::Prod:
    init = scalarConst(rw, loc, ct, 1.0);
    break;
  default:
    init = scalarConst(rw, loc, ct, 0.0);
  }
  SmallVector<Value> inputs{x};
  SmallVector<AffineMap> maps{id};
  if (max) {
    inputs.push_back(max);
    maps.push_back(keptDimsMap(ctx, reduced));
  }
  Value acc = reduceWith(
      rw, loc, sizes, reduced, inputs, maps, init,
      [&](OpBuilder &b, Location loc, Value acc, ValueRange a) -> Value {
        Value v = castScalar(b, loc, a[0], ct);
        switch (kind) {
        case Reduce::Max:
          return isF ? Value(arith::MaximumFOp::create(b, loc, acc, v))
                     : Value(arith::MaxSIOp::create(b, loc, acc, v));
        case Reduce::Min:
          return isF ? Value(arith::MinimumFOp::create(b, loc, acc, v))
                     : Value(arith::MinSIOp::create(b, loc, acc, v));
        case Reduce::Prod:
          return mulS(b, loc, acc, v);
        case Reduce::L1:
          v = isF ? Value(math::AbsFOp::create(b, loc, v))
                  : Value(math::AbsIOp::create(b, loc, v));
          return addS(b, loc, acc, v);
        case Reduce::L2:
        case Reduce::SumSquare:
          return addS(b, loc, acc, mulS(b, loc, v, v));
        case Reduce::LogSumExp:
          return addS(b, loc, acc,
                      math::ExpOp::create(
                          b, loc, arith::SubFOp::create(b, loc, v, a[1])));
        default:
          return addS(b, loc, acc, v);
        }
      });

  // Finish (mean, sqrt, log) and round to the result type.
  SmallVector<Value> finInputs{acc};
  if (max)
    finInputs.push_back(max);
  Value count;
  if (kind == Reduce::Mean)
    count = countOf(rw, loc, sizes, reduced, ct);
  Value result = buildElementwise(
      rw, loc, tensorSizes(rw, loc, acc), elt, finInputs,
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value v = a[0];
        switch (kind) {
        case Reduce::Mean:
          v = isF ? Value(arith::DivFOp::create(b, loc, v, count))
                  : Value(arith::DivSIOp::create(b, loc, v, count));
          break;
        case Reduce::L2:
          v = math::SqrtOp::create(b, loc, v);
          break;
        case Reduce::LogSum:
          v = math::LogOp::create(b, loc, v);
          break;
        case Reduce::LogSumExp:
          v = arith::AddFOp::create(b, loc, math::LogOp::create(b, loc, v),
                                    a[1]);
          break;
        default:
          break;
        }
        return castScalar(b, loc, v, elt);
      });
  if (keep)
    result = keepDims(rw, loc, result, sizes, reduced);
  replaceFirstResult(rw, op, result);
  return success();
}

//===----------------------------------------------------------------------===//
// ArgMax, ArgMin
//===----------------------------------------------------------------------===//

LogicalResult lowerArgExtremum(OnnxNodeOp op, PatternRewriter &rw, bool isMax) {
  Value x = op.getInput(0);
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  Type elt = xTy.getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "booleans are not supported");
  int64_t rank = xTy.getRank();
  int64_t axis = normalizeAxis(op.getIntAttr("axis", 0), rank);
  if (axis < 0 || axis >= rank)
    return failNode(rw, op, "axis out of range");
  bool keep = op.getIntAttr("keepdims", 1) != 0;
  bool last = op.getIntAttr("select_last_index", 0) != 0;
  Location loc = op.getLoc();
  Type ct = computeType(elt);
  SmallVector<bool> reduced(rank, false);
  reduced[axis] = true;
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x), kept;
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d) {
    iterators.push_back(reduced[d] ? utils::IteratorType::reduction
                                   : utils::IteratorType::parallel);
    if (!reduced[d])
      kept.push_back(sizes[d]);
  }
  Type i64 = rw.getI64Type();
  Value bestInit = isMax ? lowestValue(rw, loc, ct) : highestValue(rw, loc, ct);
  Value best = linalg::FillOp::create(rw, loc, bestInit,
                                      emptyTensor(rw, loc, kept, ct))
                   .getResult(0);
  Value index = linalg::FillOp::create(rw, loc, intConst(rw, loc, i64, 0),
                                       emptyTensor(rw, loc, kept, i64))
                    .getResult(0);
  AffineMap keptMap = keptDimsMap(rw.getContext(), reduced);
  auto generic = linalg::GenericOp::create(
      rw, loc, TypeRange{best.getType(), index.getType()}, ValueRange{x},
      ValueRange{best, index},
      {rw.getMultiDimIdentityMap(rank), keptMap, keptMap}, iterators,
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value v = castScalar(b, loc, args[0], ct);
        Value better;
        if (isa<FloatType>(ct)) {
          auto p = isMax ? (last ? arith::CmpFPredicate::OGE
                                 : arith::CmpFPredicate::OGT)
                         : (last ? arith::CmpFPredicate::OLE
                                 : arith::CmpFPredicate::OLT);
          better = arith::CmpFOp::create(b, loc, p, v, args[1]);
        } else {
          auto p = isMax ? (last ? arith::CmpIPredicate::sge
                                 : arith::CmpIPredicate::sgt)
                         : (last ? arith::CmpIPredicate::sle
                                 : arith::CmpIPredicate::slt);
          better = arith::CmpIOp::create(b, loc, p, v, args[1]);
        }
        Value i = toI64(b, loc, linalg::IndexOp::create(b, loc, axis));
        linalg::YieldOp::create(
            b, loc,
            ValueRange{arith::SelectOp::create(b, loc, better, v, args[1]),
                       arith::SelectOp::create(b, loc, better, i, args[2])});
      });
  Value result = generic.getResult(1);
  if (keep)
    result = keepDims(rw, loc, result, sizes, reduced);
  replaceFirstResult(rw, op, result);
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax, LogSoftmax
//===----------------------------------------------------------------------===//

LogicalResult lowerSoftmax(OnnxNodeOp op, PatternRewriter &rw, bool log) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  auto xTy = cast<RankedTensorType>(x.getType());
  Type elt = xTy.getElementType();
  if (!isa<FloatType>(elt))
    return failNode(rw, op, "the input must be a float tensor");
  int64_t rank = xTy.getRank();
  // Since opset 13 one axis; before, the input is coerced to 2-D at `axis`
  // and normalised over all dimensions from it on.
  bool coerced = op.getVersion() < 13;
  int64_t axis = normalizeAxis(op.getIntAttr("axis", coerced ? 1 : -1), rank);
  if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
    return failNode(rw, op, "axis out of range");
  Location loc = op.getLoc();
  if (rank == 0) {
    Value v = scalarConst(rw, loc, elt, log ? 0.0 : 1.0);
    replaceFirstResult(rw, op,
                 fromElements(rw, loc, RankedTensorType::get({}, elt), v));
    return success();
  }
  SmallVector<bool> reduced(rank, false);
  for (int64_t d = axis; d < (coerced ? rank : axis + 1); ++d)
    reduced[d] = true;
  Type ct = computeType(elt);
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
  MLIRContext *ctx = rw.getContext();
  AffineMap id = rw.getMultiDimIdentityMap(rank);
  AffineMap keptMap = keptDimsMap(ctx, reduced);
  Value max = reduceWith(rw, loc, sizes, reduced, x, id,
                         lowestValue(rw, loc, ct),
                         [&](OpBuilder &b, Location loc, Value acc, ValueRange a) {
                           return Value(arith::MaximumFOp::create(
                               b, loc, acc, castScalar(b, loc, a[0], ct)));
                         });
  Value sum = reduceWith(
      rw, loc, sizes, reduced, ValueRange{x, max}, {id, keptMap},
      floatConst(rw, loc, ct, 0.0),
      [&](OpBuilder &b, Location loc, Value acc, ValueRange a) {
        Value e = math::ExpOp::create(
            b, loc,
            arith::SubFOp::create(b, loc, castScalar(b, loc, a[0], ct), a[1]));
        return Value(arith::AddFOp::create(b, loc, acc, e));
      });
  Value y = buildGeneric(
      rw, loc, sizes, elt, ValueRange{x, max, sum}, {id, keptMap, keptMap},
      [&](OpBuilder &b, Location loc, ValueRange a) {
        Value shifted =
            arith::SubFOp::create(b, loc, castScalar(b, loc, a[0], ct), a[1]);
        Value r = log ? Value(arith::SubFOp::create(
                            b, loc, shifted, math::LogOp::create(b, loc, a[2])))
                      : Value(arith::DivFOp::create(
                            b, loc, math::ExpOp::create(b, loc, shifted), a[2]));
        return castScalar(b, loc, r, elt);
      });
  replaceFirstResult(rw, op, y);
  return success();
}

//===----------------------------------------------------------------------===//
// LayerNormalization
//===----------------------------------------------------------------------===//

LogicalResult lowerLayerNorm(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), scale = op.getInput(1), bias = op.getInput(2);
  if (!x || !scale)
    return failNode(rw, op, "X and Scale are required");
  auto xTy = cast<RankedTensorType>(x.getType());
  Type elt = xTy.getElementType();
  if (!isa<FloatType>(elt))
    return failNode(rw, op, "the input must be a float tensor");
  int64_t rank = xTy.getRank();
  int64_t axis = normalizeAxis(op.getIntAttr("axis", -1), rank);
  if (axis < 0 || axis >= rank)
    return failNode(rw, op, "axis out of range");
  for (Value v : {scale, bias})
    if (v && cast<RankedTensorType>(v.getType()).getRank() > rank)
      return failNode(rw, op, "Scale or B has a higher rank than X");
  Location loc = op.getLoc();
  MLIRContext *ctx = rw.getContext();
  Type ct = computeType(elt);
  double epsilon = op.getFloatAttr("epsilon", 1e-5);
  SmallVector<bool> reduced(rank, false);
  for (int64_t d = axis; d < rank; ++d)
    reduced[d] = true;
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
  AffineMap id = rw.getMultiDimIdentityMap(rank);
  AffineMap keptMap = keptDimsMap(ctx, reduced);
  Value zero = floatConst(rw, loc, ct, 0.0);
  Value count = countOf(rw, loc, sizes, reduced, ct);

  Value sum = reduceWith(rw, loc, sizes, reduced, x, id, zero,
                         [&](OpBuilder &b, Location loc, Value acc, ValueRange a) {
                           return Value(arith::AddFOp::create(
                               b, loc, acc, castScalar(b, loc, a[0], ct)));
                         });
  SmallVector<OpFoldResult> keptSizes = tensorSizes(rw, loc, sum);
  Value mean = buildElementwise(rw, loc, keptSizes, ct, sum,
                                [&](OpBuilder &b, Location loc, ValueRange a) {
                                  return Value(
                                      arith::DivFOp::create(b, loc, a[0], count));
                                });
  Value sq = reduceWith(
      rw, loc, sizes, reduced, ValueRange{x, mean}, {id, keptMap}, zero,
      [&](OpBuilder &b, Location loc, Value acc, ValueRange a) {
        Value d =
            arith::SubFOp::create(b, loc, castScalar(b, loc, a[0], ct), a[1]);
        return Value(arith::AddFOp::create(
            b, loc, acc, arith::MulFOp::create(b, loc, d, d)));
      });
  Value invStd = buildElementwise(
      rw, loc, keptSizes, ct, sq, [&](OpBuilder &b, Location loc, ValueRange a) {
        Value var = arith::DivFOp::create(b, loc, a[0], count);
        Value v = arith::AddFOp::create(b, loc, var,
                                        floatConst(b, loc, ct, epsilon));
        return Value(math::RsqrtOp::create(b, loc, v));
      });
  SmallVector<Value> inputs{x, mean, invStd, scale};
  SmallVector<AffineMap> maps{id, keptMap, keptMap,
                              broadcastMap(ctx, scale, sizes)};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(broadcastMap(ctx, bias, sizes));
  }
  Value y = buildGeneric(
      rw, loc, sizes, elt, inputs, maps,
      [&](OpBuilder &b, Location loc, ValueRange a) {
        Value v =
            arith::SubFOp::create(b, loc, castScalar(b, loc, a[0], ct), a[1]);
        v = arith::MulFOp::create(b, loc, v, a[2]);
        v = arith::MulFOp::create(b, loc, v, castScalar(b, loc, a[3], ct));
        if (a.size() > 4)
          v = arith::AddFOp::create(b, loc, v, castScalar(b, loc, a[4], ct));
        return castScalar(b, loc, v, elt);
      });
  SmallVector<Value> results{y};
  Value stats[] = {mean, invStd};
  for (unsigned r = 1; r <= 2; ++r) {
    Value stat = stats[r - 1];
    if (!hasResult(op, r)) {
      if (r < op->getNumResults())
        results.push_back(Value());
      continue;
    }
    RankedTensorType rt = resultType(op, r);
    if (!rt)
      return failNode(rw, op, "a statistics result is not a ranked tensor");
    Value s = convertTensor(rw, loc, stat, rt.getElementType());
    results.push_back(keepDims(rw, loc, s, sizes, reduced));
  }
  replaceNode(rw, op, results);
  return success();
}

//===----------------------------------------------------------------------===//
// CumSum
//===----------------------------------------------------------------------===//

LogicalResult lowerCumSum(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), axisInput = op.getInput(1);
  if (!x || !axisInput)
    return failNode(rw, op, "x and axis are required");
  auto xTy = cast<RankedTensorType>(x.getType());
  Type elt = xTy.getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "booleans are not supported");
  int64_t rank = xTy.getRank();
  if (rank == 0)
    return failNode(rw, op, "the input must have rank 1 or more");
  auto aTy = cast<RankedTensorType>(axisInput.getType());
  if (!aTy.hasStaticShape() || aTy.getNumElements() != 1)
    return failNode(rw, op, "the axis must be a scalar");
  bool exclusive = op.getIntAttr("exclusive", 0) != 0;
  bool reverse = op.getIntAttr("reverse", 0) != 0;
  Location loc = op.getLoc();
  MLIRContext *ctx = rw.getContext();
  Type ct = computeType(elt);
  arith::CmpIPredicate included =
      reverse ? (exclusive ? arith::CmpIPredicate::sgt
                           : arith::CmpIPredicate::sge)
              : (exclusive ? arith::CmpIPredicate::slt
                           : arith::CmpIPredicate::sle);
  int64_t axis;
  if (auto a = getConstantInts(axisInput); a && a->size() == 1) {
    axis = normalizeAxis((*a)[0], rank);
  } else if (rank == 1) {
    axis = 0; // the only valid axis
  } else {
    // The axis is known at run time only: the extra loop j runs over the
    // largest extent, and x is read with the axis coordinate replaced by j.
    Value a = toIndex(rw, loc, extractElement(rw, loc, axisInput, 0));
    Value rankV = indexConst(rw, loc, rank);
    a = rw.createOrFold<arith::SelectOp>(
        loc,
        rw.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, a,
                                       indexConst(rw, loc, 0)),
        rw.createOrFold<arith::AddIOp>(loc, a, rankV), a);
    SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
    SmallVector<Value> dims;
    OpFoldResult longest = rw.getIndexAttr(0);
    for (OpFoldResult s : sizes) {
      dims.push_back(ofrToValue(rw, loc, s));
      longest = foldIndex(rw.createOrFold<arith::MaxSIOp>(
          loc, ofrToValue(rw, loc, longest), dims.back()));
    }
    SmallVector<OpFoldResult> space(sizes);
    space.push_back(longest);
    SmallVector<bool> reduced(rank + 1, false);
    reduced[rank] = true;
    // (linalg infers loop bounds from operands: an unread operand of the
    // extent of j.)
    Value jSpace = emptyTensor(rw, loc, {longest}, rw.getI8Type());
    Value acc = reduceWith(
        rw, loc, space, reduced, jSpace,
        AffineMap::get(rank + 1, 0, getAffineDimExpr(rank, ctx), ctx),
        scalarConst(rw, loc, ct, 0.0),
        [&](OpBuilder &b, Location loc, Value acc, ValueRange) {
          Value j = linalg::IndexOp::create(b, loc, rank);
          Value i = indexConst(b, loc, 0), extent = indexConst(b, loc, 0);
          SmallVector<Value> idx;
          for (int64_t d = 0; d < rank; ++d) {
            Value here = arith::CmpIOp::create(
                b, loc, arith::CmpIPredicate::eq, a, indexConst(b, loc, d));
            Value id = linalg::IndexOp::create(b, loc, d);
            i = arith::SelectOp::create(b, loc, here, id, i);
            extent = arith::SelectOp::create(b, loc, here, dims[d], extent);
            idx.push_back(arith::SelectOp::create(b, loc, here, j, id));
          }
          Value inRange =
              arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, j, extent);
          Value use = arith::AndIOp::create(
              b, loc, inRange,
              arith::CmpIOp::create(b, loc, included, j, i));
          // Out-of-range j reads a valid element that is then not used.
          for (int64_t d = 0; d < rank; ++d)
            idx[d] = arith::MinSIOp::create(
                b, loc, idx[d],
                arith::SubIOp::create(b, loc, dims[d], indexConst(b, loc, 1)));
          Value v = castScalar(b, loc, tensor::ExtractOp::create(b, loc, x, idx),
                               ct);
          return Value(arith::SelectOp::create(b, loc, use,
                                               addS(b, loc, acc, v), acc));
        });
    replaceFirstResult(rw, op, convertTensor(rw, loc, acc, elt));
    return success();
  }
  if (axis < 0 || axis >= rank)
    return failNode(rw, op, "axis out of range");
  // out[.., i, ..] = sum over j of x[.., j, ..] where j is before i (or
  // after, reversed; i itself unless exclusive): an extra reduction loop j.
  SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
  SmallVector<OpFoldResult> space(sizes);
  space.push_back(sizes[axis]);
  SmallVector<bool> reduced(rank + 1, false);
  reduced[rank] = true;
  SmallVector<AffineExpr> xExprs;
  for (int64_t d = 0; d < rank; ++d)
    xExprs.push_back(getAffineDimExpr(d == axis ? rank : d, ctx));
  AffineMap xMap = AffineMap::get(rank + 1, 0, xExprs, ctx);
  Value acc = reduceWith(
      rw, loc, space, reduced, x, xMap, scalarConst(rw, loc, ct, 0.0),
      [&](OpBuilder &b, Location loc, Value acc, ValueRange a) {
        Value i = linalg::IndexOp::create(b, loc, axis);
        Value j = linalg::IndexOp::create(b, loc, rank);
        Value in = arith::CmpIOp::create(b, loc, included, j, i);
        Value v = castScalar(b, loc, a[0], ct);
        Value add = addS(b, loc, acc, v);
        return Value(arith::SelectOp::create(b, loc, in, add, acc));
      });
  replaceFirstResult(rw, op, convertTensor(rw, loc, acc, elt));
  return success();
}

} // namespace

#define REDUCE(NAME, KIND, INPUT_SINCE)                                        \
  table.push_back({NAME, 1, kMaxOpset, [](OnnxNodeOp op, PatternRewriter &rw) { \
                     return lowerReduce(op, rw, Reduce::KIND, INPUT_SINCE);    \
                   }})

void onnx::appendReductionLowerings(SmallVectorImpl<OpLowering> &table) {
  REDUCE("ReduceSum", Sum, 13);
  REDUCE("ReduceMean", Mean, 18);
  REDUCE("ReduceMax", Max, 18);
  REDUCE("ReduceMin", Min, 18);
  REDUCE("ReduceProd", Prod, 18);
  REDUCE("ReduceL1", L1, 18);
  REDUCE("ReduceL2", L2, 18);
  REDUCE("ReduceLogSum", LogSum, 18);
  REDUCE("ReduceLogSumExp", LogSumExp, 18);
  REDUCE("ReduceSumSquare", SumSquare, 18);
  table.push_back({"ArgMax", 1, kMaxOpset, [](OnnxNodeOp op, PatternRewriter &rw) {
                     return lowerArgExtremum(op, rw, /*isMax=*/true);
                   }});
  table.push_back({"ArgMin", 1, kMaxOpset, [](OnnxNodeOp op, PatternRewriter &rw) {
                     return lowerArgExtremum(op, rw, /*isMax=*/false);
                   }});
  table.push_back({"Softmax", 1, kMaxOpset, [](OnnxNodeOp op, PatternRewriter &rw) {
                     return lowerSoftmax(op, rw, /*log=*/false);
                   }});
  table.push_back({"LogSoftmax", 1, kMaxOpset,
                   [](OnnxNodeOp op, PatternRewriter &rw) {
                     return lowerSoftmax(op, rw, /*log=*/true);
                   }});
  table.push_back({"LayerNormalization", 17, kMaxOpset, lowerLayerNorm});
  table.push_back({"CumSum", 11, kMaxOpset, lowerCumSum});
}
