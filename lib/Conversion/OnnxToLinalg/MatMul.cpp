//===- MatMul.cpp - MatMul and Gemm ---------------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// MatMul with numpy semantics: a 2-D right operand (a weight) makes one
// linalg.matmul over the left operand's flattened leading dimensions;
// batched operands make a linalg.batch_matmul over the flattened (broadcast)
// batch dimensions. Gemm is linalg.matmul with transposes, alpha and beta.
// Einsum is one linalg.generic: a loop per subscript, the ones not in the
// output reducing a product of the operands.
// f16/bf16 accumulate in f32; integers in their own type.
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "llvm/ADT/StringExtras.h"

#include <map>

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

namespace {

/// A zero-filled accumulator of `sizes`.
Value zeros(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes, Type t) {
  return linalg::FillOp::create(b, loc, scalarConst(b, loc, t, 0.0),
                                emptyTensor(b, loc, sizes, t))
      .getResult(0);
}

/// Collapses all but the last `keep` dimensions of `x` into one.
Value collapseLeading(OpBuilder &b, Location loc, Value x, int64_t keep) {
  int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < rank - keep; ++d)
    groups[0].push_back(d);
  for (int64_t d = rank - keep; d < rank; ++d)
    groups.push_back({d});
  if (groups[0].size() == 1)
    return x;
  return tensor::CollapseShapeOp::create(b, loc, x, groups);
}

/// `x` broadcast to `batch` ++ its last two extents (a copy, only when the
/// batch dimensions differ).
Value broadcastBatch(OpBuilder &b, Location loc, Value x,
                     ArrayRef<OpFoldResult> batch) {
  auto ty = cast<RankedTensorType>(x.getType());
  int64_t rank = ty.getRank();
  SmallVector<OpFoldResult> sizes(batch);
  sizes.push_back(dimOfr(b, loc, x, rank - 2));
  sizes.push_back(dimOfr(b, loc, x, rank - 1));
  bool same = rank == static_cast<int64_t>(sizes.size());
  for (int64_t d = 0; same && d < rank - 2; ++d)
    same = !(ty.getDimSize(d) == 1 && constInt(batch[d]) != 1);
  if (same)
    return x;
  return buildElementwise(b, loc, sizes, ty.getElementType(), x,
                          [](OpBuilder &, Location, ValueRange a) {
                            return a[0];
                          });
}

LogicalResult lowerMatMul(OnnxNodeOp op, PatternRewriter &rw) {
  Value a = op.getInput(0), bm = op.getInput(1);
  RankedTensorType out = resultType(op);
  if (!a || !bm || !out)
    return failNode(rw, op, "an input or the result is missing");
  auto aTy = cast<RankedTensorType>(a.getType());
  auto bTy = cast<RankedTensorType>(bm.getType());
  Type elt = out.getElementType();
  if (aTy.getElementType() != elt || bTy.getElementType() != elt ||
      elt.isInteger(1))
    return failNode(rw, op, "inputs and result must share a numeric type");
  if (aTy.getRank() == 0 || bTy.getRank() == 0)
    return failNode(rw, op, "MatMul of scalars");
  Location loc = op.getLoc();
  Type acc = computeType(elt);

  // Vectors become matrices, and the unit dimension is dropped at the end.
  bool aVec = aTy.getRank() == 1, bVec = bTy.getRank() == 1;
  if (aVec)
    a = reshapeTo(rw, loc, a, {rw.getIndexAttr(1), dimOfr(rw, loc, a, 0)});
  if (bVec)
    bm = reshapeTo(rw, loc, bm, {dimOfr(rw, loc, bm, 0), rw.getIndexAttr(1)});
  aTy = cast<RankedTensorType>(a.getType());
  bTy = cast<RankedTensorType>(bm.getType());
  int64_t ar = aTy.getRank(), br = bTy.getRank();
  OpFoldResult m = dimOfr(rw, loc, a, ar - 2), n = dimOfr(rw, loc, bm, br - 1);

  // Batch dimensions of the result (numpy broadcasting).
  int64_t batchRank = std::max(ar, br) - 2;
  SmallVector<OpFoldResult> batch;
  for (int64_t d = 0; d < batchRank; ++d) {
    int64_t ad = d - (batchRank - (ar - 2)), bd = d - (batchRank - (br - 2));
    OpFoldResult as = ad >= 0 ? dimOfr(rw, loc, a, ad)
                              : OpFoldResult(rw.getIndexAttr(1));
    OpFoldResult bs = bd >= 0 ? dimOfr(rw, loc, bm, bd)
                              : OpFoldResult(rw.getIndexAttr(1));
    auto ac = constInt(as), bc = constInt(bs);
    // A dimension dynamic in both is assumed equal in both.
    if (ac == 1 || (!ac && bc && *bc != 1))
      batch.push_back(bs);
    else
      batch.push_back(as);
  }

  Value product;
  SmallVector<OpFoldResult> outSizes(batch);
  outSizes.push_back(m);
  outSizes.push_back(n);
  if (br == 2) {
    // [.., M, K] x [K, N]: one matmul over the flattened rows.
    Value a2 = collapseLeading(rw, loc, a, 1);
    OpFoldResult rows = dimOfr(rw, loc, a2, 0);
    Value c = zeros(rw, loc, {rows, n}, acc);
    product = linalg::MatmulOp::create(rw, loc, TypeRange{c.getType()},
                                       ValueRange{a2, bm}, ValueRange{c})
                  .getResult(0);
  } else {
    Value ab = broadcastBatch(rw, loc, a, batch);
    Value bb = broadcastBatch(rw, loc, bm, batch);
    Value a3 = collapseLeading(rw, loc, ab, 2);
    Value b3 = collapseLeading(rw, loc, bb, 2);
    if (cast<RankedTensorType>(a3.getType()).getRank() == 2)
      a3 = reshapeTo(rw, loc, a3, {rw.getIndexAttr(1), m,
                                   dimOfr(rw, loc, a3, 1)});
    if (cast<RankedTensorType>(b3.getType()).getRank() == 2)
      b3 = reshapeTo(rw, loc, b3, {rw.getIndexAttr(1),
                                   dimOfr(rw, loc, b3, 0), n});
    OpFoldResult bt = dimOfr(rw, loc, a3, 0);
    Value c = zeros(rw, loc, {bt, m, n}, acc);
    product = linalg::BatchMatmulOp::create(rw, loc, TypeRange{c.getType()},
                                            ValueRange{a3, b3}, ValueRange{c})
                  .getResult(0);
  }
  product = convertTensor(rw, loc, product, elt);
  // Back to [batch.., M, N]: the flattened leading dimensions expand.
  {
    int64_t lead = outSizes.size() - 2;
    ReassociationIndices first;
    for (int64_t d = 0; d <= lead - (br == 2 ? 0 : 1); ++d)
      first.push_back(d);
    SmallVector<ReassociationIndices> groups{first};
    for (int64_t d = first.back() + 1; d < lead + 2; ++d)
      groups.push_back({d});
    if (first.size() > 1) {
      auto pt = cast<RankedTensorType>(product.getType());
      SmallVector<int64_t> shape = staticShape(outSizes);
      SmallVector<int64_t> collapsed;
      for (const ReassociationIndices &g : groups) {
        int64_t n = 1;
        for (int64_t d : g)
          n = ShapedType::isDynamic(shape[d]) || ShapedType::isDynamic(n)
                  ? ShapedType::kDynamic
                  : n * shape[d];
        collapsed.push_back(n);
      }
      if (pt.getShape() != ArrayRef<int64_t>(collapsed))
        product = tensor::CastOp::create(rw, loc, pt.clone(collapsed), product);
      product = tensor::ExpandShapeOp::create(rw, loc, pt.clone(shape), product,
                                              groups, outSizes);
    } else if (br != 2 && batchRank == 0) {
      product = reshapeTo(rw, loc, product, outSizes);
    }
  }
  SmallVector<OpFoldResult> finalSizes(batch);
  if (!aVec)
    finalSizes.push_back(m);
  if (!bVec)
    finalSizes.push_back(n);
  for (int64_t d = 0; d < out.getRank() &&
                      d < static_cast<int64_t>(finalSizes.size());
       ++d)
    if (!out.isDynamicDim(d))
      finalSizes[d] = rw.getIndexAttr(out.getDimSize(d));
  replaceFirstResult(rw, op, reshapeTo(rw, loc, product, finalSizes));
  return success();
}

LogicalResult lowerGemm(OnnxNodeOp op, PatternRewriter &rw) {
  Value a = op.getInput(0), bm = op.getInput(1), c = op.getInput(2);
  RankedTensorType out = resultType(op);
  if (!a || !bm || !out)
    return failNode(rw, op, "an input or the result is missing");
  auto aTy = cast<RankedTensorType>(a.getType());
  auto bTy = cast<RankedTensorType>(bm.getType());
  Type elt = out.getElementType();
  if (aTy.getRank() != 2 || bTy.getRank() != 2 || out.getRank() != 2)
    return failNode(rw, op, "A, B and Y must be matrices");
  if (aTy.getElementType() != elt || bTy.getElementType() != elt ||
      elt.isInteger(1))
    return failNode(rw, op, "inputs and result must share a numeric type");
  if (c && cast<RankedTensorType>(c.getType()).getRank() > 2)
    return failNode(rw, op, "C must have rank 2 or less");
  Location loc = op.getLoc();
  Type acc = computeType(elt);
  double alpha = op.getFloatAttr("alpha", 1.0), beta = op.getFloatAttr("beta", 1.0);
  auto transpose = [&](Value x) -> Value {
    SmallVector<OpFoldResult> sizes{dimOfr(rw, loc, x, 1), dimOfr(rw, loc, x, 0)};
    Value init = emptyTensor(rw, loc, sizes,
                             cast<RankedTensorType>(x.getType()).getElementType());
    return linalg::TransposeOp::create(rw, loc, x, init,
                                       ArrayRef<int64_t>{1, 0})
        .getResult()[0];
  };
  if (op.getIntAttr("transA", 0))
    a = transpose(a);
  if (op.getIntAttr("transB", 0))
    bm = transpose(bm);
  SmallVector<OpFoldResult> sizes{dimOfr(rw, loc, a, 0), dimOfr(rw, loc, bm, 1)};
  for (int64_t d = 0; d < 2; ++d)
    if (!out.isDynamicDim(d))
      sizes[d] = rw.getIndexAttr(out.getDimSize(d));
  bool useC = c && beta != 0.0;
  Value init;
  if (useC && alpha == 1.0) {
    // Accumulate onto beta * C.
    init = buildElementwise(rw, loc, sizes, acc, c,
                            [&](OpBuilder &b, Location loc, ValueRange v) {
                              Value x = castScalar(b, loc, v[0], acc);
                              if (beta == 1.0)
                                return x;
                              Value s = scalarConst(b, loc, acc, beta);
                              return isa<FloatType>(acc)
                                         ? Value(arith::MulFOp::create(b, loc, s, x))
                                         : Value(arith::MulIOp::create(b, loc, s, x));
                            });
  } else {
    init = zeros(rw, loc, sizes, acc);
  }
  Value y = linalg::MatmulOp::create(rw, loc, TypeRange{init.getType()},
                                     ValueRange{a, bm}, ValueRange{init})
                .getResult(0);
  if (alpha != 1.0 || (useC && alpha != 1.0)) {
    SmallVector<Value> inputs{y};
    if (useC)
      inputs.push_back(c);
    y = buildElementwise(
        rw, loc, sizes, acc, inputs, [&](OpBuilder &b, Location loc, ValueRange v) {
          bool f = isa<FloatType>(acc);
          auto mul = [&](Value x, double s) -> Value {
            Value k = scalarConst(b, loc, acc, s);
            return f ? Value(arith::MulFOp::create(b, loc, k, x))
                     : Value(arith::MulIOp::create(b, loc, k, x));
          };
          Value r = mul(v[0], alpha);
          if (v.size() > 1) {
            Value cv = mul(castScalar(b, loc, v[1], acc), beta);
            r = f ? Value(arith::AddFOp::create(b, loc, r, cv))
                  : Value(arith::AddIOp::create(b, loc, r, cv));
          }
          return r;
        });
  }
  replaceFirstResult(rw, op, convertTensor(rw, loc, y, elt));
  return success();
}

//===----------------------------------------------------------------------===//
// Einsum
//===----------------------------------------------------------------------===//

/// One operand's subscripts: letters, with the ellipsis as '.'.
using Subscripts = std::string;

/// Parses "ab,bc->ac" (spaces ignored; "..." is one '.'); an implicit output
/// is the letters used once, alphabetically, after the ellipsis.
FailureOr<std::pair<SmallVector<Subscripts>, Subscripts>>
parseEinsum(StringRef equation, size_t numInputs) {
  std::string eq;
  for (char c : equation)
    if (c != ' ')
      eq += c;
  for (size_t pos; (pos = eq.find("...")) != std::string::npos;)
    eq.replace(pos, 3, ".");
  StringRef rest(eq);
  auto [lhs, rhs] = rest.split("->");
  bool explicitOutput = rest.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != numInputs)
    return failure();
  SmallVector<Subscripts> inputs;
  std::map<char, int> uses;
  for (StringRef t : terms) {
    for (char c : t) {
      if (c != '.' && !llvm::isAlpha(c))
        return failure();
      ++uses[c];
    }
    inputs.push_back(t.str());
  }
  Subscripts out;
  if (explicitOutput) {
    out = rhs.str();
    for (char c : out)
      if (c != '.' && (!llvm::isAlpha(c) || !uses.count(c)))
        return failure();
  } else {
    if (uses.count('.'))
      out += '.';
    for (auto [c, n] : uses)
      if (c != '.' && n == 1)
        out += c;
  }
  return std::make_pair(inputs, out);
}

LogicalResult lowerEinsum(OnnxNodeOp op, PatternRewriter &rw) {
  RankedTensorType out = resultType(op);
  if (!out)
    return failNode(rw, op, "the result is not a ranked tensor");
  SmallVector<Value> inputs;
  for (unsigned i = 0, e = op.getInputs().size(); i < e; ++i)
    if (Value v = op.getInput(i))
      inputs.push_back(v);
  auto parsed = parseEinsum(op.getStringAttr("equation", ""), inputs.size());
  if (failed(parsed) || inputs.empty())
    return failNode(rw, op, "cannot parse the equation");
  auto &[terms, outTerm] = *parsed;
  Type elt = out.getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "Einsum of booleans");
  // The ellipsis covers the dimensions the letters do not (right-aligned,
  // broadcasting).
  SmallVector<int64_t> ellipsis;
  int64_t ellipsisRank = 0;
  for (auto [t, in] : llvm::zip(terms, inputs)) {
    int64_t rank = cast<RankedTensorType>(in.getType()).getRank();
    int64_t letters = llvm::count_if(t, [](char c) { return c != '.'; });
    bool has = t.find('.') != std::string::npos;
    if ((!has && letters != rank) || (has && letters > rank) ||
        llvm::count(t, '.') > 1)
      return failNode(rw, op, "the equation does not match the input ranks");
    ellipsis.push_back(has ? rank - letters : 0);
    ellipsisRank = std::max(ellipsisRank, ellipsis.back());
  }
  // Loop dimensions: the ellipsis ones, then the letters by first use.
  std::string letters;
  for (const Subscripts &t : terms)
    for (char c : t)
      if (c != '.' && letters.find(c) == std::string::npos)
        letters += c;
  int64_t numLoops = ellipsisRank + letters.size();
  auto loopOf = [&](char c) {
    return ellipsisRank + static_cast<int64_t>(letters.find(c));
  };
  Location loc = op.getLoc();
  MLIRContext *ctx = rw.getContext();
  SmallVector<OpFoldResult> sizes(numLoops);
  SmallVector<SmallVector<int64_t>> operandLoops; // loop of each operand dim
  for (auto [k, t, in] : llvm::enumerate(terms, inputs)) {
    SmallVector<int64_t> loops;
    for (char c : t) {
      if (c != '.') {
        loops.push_back(loopOf(c));
        continue;
      }
      for (int64_t e = 0; e < ellipsis[k]; ++e)
        loops.push_back(ellipsisRank - ellipsis[k] + e);
    }
    for (auto [d, l] : llvm::enumerate(loops)) {
      OpFoldResult s = dimOfr(rw, loc, in, d);
      if (!sizes[l] || (constInt(sizes[l]) == 1 && constInt(s) != 1))
        sizes[l] = s;
    }
    operandLoops.push_back(loops);
  }
  SmallVector<AffineMap> maps;
  for (auto [in, loops] : llvm::zip(inputs, operandLoops)) {
    auto ty = cast<RankedTensorType>(in.getType());
    SmallVector<AffineExpr> exprs;
    for (auto [d, l] : llvm::enumerate(loops))
      exprs.push_back(ty.getDimSize(d) == 1 && constInt(sizes[l]) != 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(l, ctx));
    maps.push_back(AffineMap::get(numLoops, 0, exprs, ctx));
  }
  SmallVector<int64_t> outLoops;
  for (char c : outTerm) {
    if (c != '.') {
      outLoops.push_back(loopOf(c));
      continue;
    }
    for (int64_t e = 0; e < ellipsisRank; ++e)
      outLoops.push_back(e);
  }
  if (static_cast<int64_t>(outLoops.size()) != out.getRank())
    return failNode(rw, op, "the output subscripts do not match the result rank");
  SmallVector<AffineExpr> outExprs;
  SmallVector<OpFoldResult> outSizes;
  SmallVector<bool> isOutput(numLoops, false);
  for (int64_t l : outLoops) {
    outExprs.push_back(getAffineDimExpr(l, ctx));
    outSizes.push_back(sizes[l]);
    isOutput[l] = true;
  }
  maps.push_back(AffineMap::get(numLoops, 0, outExprs, ctx));
  SmallVector<utils::IteratorType> iterators;
  for (int64_t l = 0; l < numLoops; ++l)
    iterators.push_back(isOutput[l] ? utils::IteratorType::parallel
                                    : utils::IteratorType::reduction);
  Type acc = computeType(elt);
  Value init = zeros(rw, loc, outSizes, acc);
  Value r = linalg::GenericOp::create(
                rw, loc, init.getType(), inputs, ValueRange{init}, maps,
                iterators,
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  bool f = isa<FloatType>(acc);
                  Value p = castScalar(b, loc, args[0], acc);
                  for (Value v : args.drop_front().drop_back()) {
                    Value c = castScalar(b, loc, v, acc);
                    p = f ? Value(arith::MulFOp::create(b, loc, p, c))
                          : Value(arith::MulIOp::create(b, loc, p, c));
                  }
                  Value sum = f ? Value(arith::AddFOp::create(b, loc, args.back(), p))
                                : Value(arith::AddIOp::create(b, loc, args.back(), p));
                  linalg::YieldOp::create(b, loc, sum);
                })
                .getResult(0);
  replaceFirstResult(rw, op, convertTensor(rw, loc, r, elt));
  return success();
}

} // namespace

void onnx::appendMatMulLowerings(SmallVectorImpl<OpLowering> &table) {
  table.push_back({"MatMul", 1, kMaxOpset, lowerMatMul});
  table.push_back({"Gemm", 7, kMaxOpset, lowerGemm});
  table.push_back({"Einsum", 12, kMaxOpset, lowerEinsum});
}
