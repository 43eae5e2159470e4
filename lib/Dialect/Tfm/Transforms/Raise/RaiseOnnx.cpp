//===- RaiseOnnx.cpp - recognise transformer layers in ONNX graphs -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Each recogniser finds one construct in the graph tier and replaces the
// value it computes by an equivalent tfm op. The graph-tier nodes it leaves
// without users are erased at the end; nodes still used elsewhere stay, so a
// partial match never changes what the function computes.
//
//===----------------------------------------------------------------------===//

#include "AttentionParts.h"
#include "OnnxUtils.h"
#include "SymbolicShapes.h"
#include "../Weights.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

#include "llvm/Support/Debug.h"

#include <cmath>

#define DEBUG_TYPE "tfm-raise-onnx"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMRAISEONNX
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using onnx::constantOf;
using onnx::nodeOf;
using onnx::scalarOf;
using onnx::isNear;
using onnx::skipNoOps;
using weights::floatConstant;
using weights::floatValues;

namespace {

/// Multiplicative decomposition of a value: Π factors · constant.
struct Product {
  SmallVector<Value> factors;
  double constant = 1.0;
};

/// Flattens products of Mul nodes, and divisions by scalar constants, into
/// their factors; scalar constants multiply into `constant`.
void collectFactors(Value v, Product &p, int depth = 0) {
  v = skipNoOps(v);
  if (auto c = scalarOf(v)) {
    p.constant *= *c;
    return;
  }
  if (depth < 8) {
    if (auto mul = nodeOf(v, "Mul")) {
      collectFactors(mul.getInput(0), p, depth + 1);
      collectFactors(mul.getInput(1), p, depth + 1);
      return;
    }
    if (auto div = nodeOf(v, "Div"))
      if (auto c = scalarOf(div.getInput(1)); c && *c != 0) {
        collectFactors(div.getInput(0), p, depth + 1);
        p.constant /= *c;
        return;
      }
  }
  p.factors.push_back(v);
}

/// For `Add(a, b)` with a scalar constant on one side: the other side and
/// the constant.
std::optional<std::pair<Value, double>> addScalar(Value v) {
  auto add = nodeOf(skipNoOps(v), "Add");
  if (!add)
    return std::nullopt;
  if (auto c = scalarOf(add.getInput(1)))
    return std::make_pair(add.getInput(0), *c);
  if (auto c = scalarOf(add.getInput(0)))
    return std::make_pair(add.getInput(1), *c);
  return std::nullopt;
}

/// Whether `axes` (with `rank`) names exactly the last dimension.
bool isLastAxis(ArrayRef<int64_t> axes, int64_t rank) {
  return axes.size() == 1 && (axes[0] == -1 || axes[0] == rank - 1);
}

class Raiser {
public:
  Raiser(FunctionOpInterface fn) : fn(fn), shapes(fn), builder(fn->getContext()) {}

  void run() {
    raiseEmbeddings();
    raiseLinears();
    raiseNorms();
    raiseActivations();
    raiseAttention();
    foldAllLinearReshapes();
    raiseResiduals();
    IRRewriter rewriter(fn->getContext());
    (void)runRegionDCE(rewriter, fn.getFunctionBody());
  }

private:
  template <typename T>
  SmallVector<T> collect() {
    SmallVector<T> ops;
    fn.walk([&](T op) { ops.push_back(op); });
    return ops;
  }
  SmallVector<OnnxNodeOp> nodes(StringRef type) {
    SmallVector<OnnxNodeOp> ops;
    fn.walk([&](OnnxNodeOp op) {
      if (op.getDomain().empty() && op.getOpType() == type)
        ops.push_back(op);
    });
    return ops;
  }
  /// Replaces `from` by `to` and gives `to` the symbolic shape of `from`.
  void replace(Value from, Value to) {
    if (auto s = shapes.shape(from))
      shapes.setShape(to, *s);
    if (from.getType() != to.getType()) {
      OpBuilder::InsertionGuard g(builder);
      builder.setInsertionPointAfterValue(to);
      to = tensor::CastOp::create(builder, to.getLoc(), from.getType(), to);
    }
    from.replaceAllUsesWith(to);
  }
  /// A tensor type with the extents of `shape` that are constants.
  RankedTensorType typeFor(const SymShape &shape, Type elementType) {
    SmallVector<int64_t> dims;
    for (const SymExpr &d : shape)
      dims.push_back(d.getConstant().value_or(ShapedType::kDynamic));
    return RankedTensorType::get(dims, elementType);
  }
  Type elementTypeOf(Value v) { return cast<ShapedType>(v.getType()).getElementType(); }
  bool isFloatTensor(Value v) {
    auto t = dyn_cast<RankedTensorType>(v.getType());
    return t && isa<FloatType>(t.getElementType());
  }
  /// The single user of `v` that is not a no-op (through no-op nodes).
  OnnxNodeOp soleUser(Value v, StringRef type) {
    while (v.hasOneUse()) {
      auto user = dyn_cast<OnnxNodeOp>(*v.getUsers().begin());
      if (!user || !user.getDomain().empty())
        return {};
      if (user.getOpType() == type)
        return user;
      if (user.getInput(0) != v || skipNoOps(user.getResult(0)) != skipNoOps(v))
        return {};
      v = user.getResult(0);
    }
    return {};
  }
  void raiseEmbeddings();
  void raiseLinears();
  std::optional<Value> linearFromGemm(OnnxNodeOp gemm);
  void foldLinearReshapes(LinearOp linear, OnnxNodeOp inner, OnnxNodeOp outer);
  void foldAllLinearReshapes();
  void raiseNorms();
  void raiseActivations();
  void raiseAttention();
  bool raiseOneAttention(OnnxNodeOp softmax);
  Value mergeHeads(Value bhsd, int64_t heads, int64_t headDim, Location loc,
                   int64_t version);
  Value mergeHeadsFirst(Value bshd, int64_t heads, int64_t headDim, Location loc,
                        int64_t version);
  Value buildRotary(const RotaryMatch &m, Value merged, int64_t headAxis,
                    int64_t heads, int64_t headDim, Location loc, int64_t version);
  /// Where rewrites of the attention being raised insert new ops.
  Operation *anchor = nullptr;
  void raiseResiduals();

  FunctionOpInterface fn;
  SymbolicShapes shapes;
  OpBuilder builder;
};

//===----------------------------------------------------------------------===//
// Embeddings and linears
//===----------------------------------------------------------------------===//

void Raiser::raiseEmbeddings() {
  for (OnnxNodeOp gather : nodes("Gather")) {
    Value table = skipNoOps(gather.getInput(0)), ids = gather.getInput(1);
    auto tableType = dyn_cast<RankedTensorType>(table.getType());
    if (!constantOf(table) || !tableType || tableType.getRank() != 2 ||
        !isa<FloatType>(tableType.getElementType()) ||
        gather.getIntAttr("axis", 0) != 0 ||
        !cast<ShapedType>(ids.getType()).getElementType().isSignlessInteger())
      continue;
    auto idsType = dyn_cast<RankedTensorType>(ids.getType());
    if (!idsType)
      continue;
    SmallVector<int64_t> dims(idsType.getShape());
    dims.push_back(tableType.getDimSize(1));
    builder.setInsertionPoint(gather);
    auto emb = EmbeddingOp::create(
        builder, gather.getLoc(), RankedTensorType::get(dims, tableType.getElementType()),
        ids, table);
    replace(gather.getResult(0), emb.getResult());
  }
}

std::optional<Value> Raiser::linearFromGemm(OnnxNodeOp gemm) {
  Value a = gemm.getInput(0);
  ElementsAttr w = constantOf(gemm.getInput(1));
  auto aType = dyn_cast<RankedTensorType>(a.getType());
  if (!w || !aType || aType.getRank() != 2 || gemm.getIntAttr("transA", 0) ||
      w.getShapedType().getRank() != 2 ||
      w.getElementType() != aType.getElementType())
    return std::nullopt;
  double alpha = gemm.getFloatAttr("alpha", 1.0), beta = gemm.getFloatAttr("beta", 1.0);
  bool transB = gemm.getIntAttr("transB", 0);
  builder.setInsertionPoint(gemm);
  Location loc = gemm.getLoc();
  Value weight = skipNoOps(gemm.getInput(1));
  if (transB || alpha != 1.0) {
    auto values = floatValues(w);
    if (!values)
      return std::nullopt;
    int64_t rows = w.getShapedType().getDimSize(0), cols = w.getShapedType().getDimSize(1);
    int64_t k = transB ? cols : rows, n = transB ? rows : cols;
    std::vector<double> kn(k * n);
    for (int64_t i = 0; i < k; ++i)
      for (int64_t j = 0; j < n; ++j)
        kn[i * n + j] = alpha * (transB ? (*values)[j * cols + i] : (*values)[i * cols + j]);
    weight = floatConstant(builder, loc, {k, n}, w.getElementType(), kn, "gemm_weight");
  }
  int64_t n = cast<ShapedType>(weight.getType()).getDimSize(1);
  Value bias;
  if (Value c = gemm.getInput(2)) {
    ElementsAttr cAttr = constantOf(c);
    if (!cAttr || cAttr.getElementType() != aType.getElementType())
      return std::nullopt;
    ArrayRef<int64_t> cShape = cAttr.getShapedType().getShape();
    bool vector = cAttr.getNumElements() == n &&
                  (cShape.size() == 1 || (cShape.size() == 2 && cShape[0] == 1));
    if (!vector)
      return std::nullopt;
    if (cShape.size() == 1 && beta == 1.0) {
      bias = skipNoOps(c);
    } else {
      auto values = floatValues(cAttr);
      if (!values)
        return std::nullopt;
      for (double &v : *values)
        v *= beta;
      bias = floatConstant(builder, loc, {n}, cAttr.getElementType(), *values, "gemm_bias");
    }
  }
  return LinearOp::create(builder, loc, a, weight, bias).getResult();
}

/// x[..., K] -> Reshape [-1, K] -> linear -> Reshape [..., N] is the linear
/// of x itself (exporters flatten for Gemm).
void Raiser::foldLinearReshapes(LinearOp linear, OnnxNodeOp inner,
                                OnnxNodeOp outer) {
  Value x = inner.getInput(0);
  auto xs = shapes.shape(x), outs = shapes.shape(outer.getResult(0));
  auto lins = shapes.shape(linear.getResult());
  if (!xs || !outs || !lins || xs->size() < 2 || outs->size() != xs->size())
    return;
  for (size_t i = 0; i + 1 < xs->size(); ++i)
    if ((*xs)[i] != (*outs)[i])
      return;
  if ((*outs).back() != lins->back())
    return;
  builder.setInsertionPoint(outer);
  auto folded = LinearOp::create(builder, linear.getLoc(), x, linear.getWeight(),
                                 linear.getBias());
  shapes.setShape(folded.getResult(), *outs);
  replace(outer.getResult(0), folded.getResult());
}

void Raiser::raiseLinears() {
  for (OnnxNodeOp mm : nodes("MatMul")) {
    Value a = mm.getInput(0);
    ElementsAttr w = constantOf(mm.getInput(1));
    auto aType = dyn_cast<RankedTensorType>(a.getType());
    if (!w || !aType || aType.getRank() < 1 || w.getShapedType().getRank() != 2 ||
        w.getElementType() != aType.getElementType() ||
        !isa<FloatType>(aType.getElementType()))
      continue;
    builder.setInsertionPoint(mm);
    Value result = mm.getResult(0);
    Value bias;
    OnnxNodeOp add = soleUser(result, "Add");
    if (add) {
      Value other = skipNoOps(add.getInput(0)) == skipNoOps(result) ||
                            add.getInput(0) == result
                        ? add.getInput(1)
                        : add.getInput(0);
      ElementsAttr b = constantOf(other);
      int64_t n = w.getShapedType().getDimSize(1);
      if (b && b.getShapedType().getRank() == 1 && b.getNumElements() == n &&
          b.getElementType() == aType.getElementType())
        bias = skipNoOps(other);
    }
    auto linear = LinearOp::create(builder, mm.getLoc(), a, skipNoOps(mm.getInput(1)),
                                   bias);
    replace(bias ? add.getResult(0) : result, linear.getResult());
  }
  for (OnnxNodeOp gemm : nodes("Gemm")) {
    std::optional<Value> linear = linearFromGemm(gemm);
    if (!linear)
      continue;
    replace(gemm.getResult(0), *linear);
  }
  foldAllLinearReshapes();
}

void Raiser::foldAllLinearReshapes() {
  for (LinearOp lin : collect<LinearOp>()) {
    OnnxNodeOp inner = nodeOf(lin.getInput(), "Reshape");
    OnnxNodeOp outer = lin.getResult().hasOneUse()
                           ? dyn_cast<OnnxNodeOp>(*lin.getResult().getUsers().begin())
                           : OnnxNodeOp();
    if (inner && outer && outer.getOpType() == "Reshape" && outer.getDomain().empty())
      foldLinearReshapes(lin, inner, outer);
  }
}

//===----------------------------------------------------------------------===//
// Norms
//===----------------------------------------------------------------------===//

void Raiser::raiseNorms() {
  // The LayerNormalization operator.
  for (OnnxNodeOp ln : nodes("LayerNormalization")) {
    Value x = ln.getInput(0);
    auto type = dyn_cast<RankedTensorType>(x.getType());
    if (!type || !isa<FloatType>(type.getElementType()))
      continue;
    int64_t axis = ln.getIntAttr("axis", -1);
    if (axis != -1 && axis != type.getRank() - 1)
      continue;
    if (llvm::any_of(ln.getResults().drop_front(), [](Value r) { return !r.use_empty(); }))
      continue;
    builder.setInsertionPoint(ln);
    auto norm = NormOp::create(builder, ln.getLoc(), x.getType(), NormKindAttr::get(builder.getContext(), NormKind::layer), x,
                               ln.getInput(1), ln.getInput(2),
                               builder.getF64FloatAttr(ln.getFloatAttr("epsilon", 1e-5)));
    replace(ln.getResult(0), norm.getResult());
  }

  // Written out: d / sqrt(mean(d²) + ε), with d = x − mean(x) for a layer
  // norm and d = x for RMSNorm; then · scale + shift.
  for (OnnxNodeOp sqrt : nodes("Sqrt")) {
    auto inner = addScalar(sqrt.getInput(0));
    if (!inner)
      continue;
    auto [meanSq, eps] = *inner;
    auto mean = nodeOf(skipNoOps(meanSq), "ReduceMean");
    if (!mean || !mean.getIntAttr("keepdims", 1))
      continue;
    Value sq = mean.getInput(0);
    auto sqType = dyn_cast<RankedTensorType>(sq.getType());
    std::optional<SmallVector<int64_t>> axes = onnx::axesOf(mean);
    if (!sqType || !axes || !isLastAxis(*axes, sqType.getRank()))
      continue;
    Value d;
    if (auto pow = nodeOf(skipNoOps(sq), "Pow")) {
      if (scalarOf(pow.getInput(1)) == 2.0)
        d = pow.getInput(0);
    } else if (auto mul = nodeOf(skipNoOps(sq), "Mul")) {
      if (skipNoOps(mul.getInput(0)) == skipNoOps(mul.getInput(1)))
        d = mul.getInput(0);
    }
    if (!d)
      continue;
    d = skipNoOps(d);
    // The normalised value: Div(d, sqrt) or Mul(d, Reciprocal(sqrt)).
    Value normalized;
    for (Operation *user : sqrt.getResult(0).getUsers()) {
      auto u = dyn_cast<OnnxNodeOp>(user);
      if (!u || !u.getDomain().empty())
        continue;
      if (u.getOpType() == "Div" && skipNoOps(u.getInput(0)) == d &&
          u.getInput(1) == sqrt.getResult(0))
        normalized = u.getResult(0);
      bool reciprocal = u.getOpType() == "Reciprocal" ||
                        (u.getOpType() == "Div" && u.getInput(1) == sqrt.getResult(0) &&
                         scalarOf(u.getInput(0)) == 1.0);
      if (reciprocal)
        for (Operation *rUser : u.getResult(0).getUsers())
          if (auto m = dyn_cast<OnnxNodeOp>(rUser); m && m.getOpType() == "Mul") {
            Value other = m.getInput(0) == u.getResult(0) ? m.getInput(1) : m.getInput(0);
            if (skipNoOps(other) == d)
              normalized = m.getResult(0);
          }
    }
    if (!normalized || normalized.getType() != d.getType())
      continue;
    NormKind kind = NormKind::rms;
    Value x = d;
    if (auto sub = nodeOf(d, "Sub")) {
      auto m = nodeOf(skipNoOps(sub.getInput(1)), "ReduceMean");
      auto mAxes = m ? onnx::axesOf(m) : std::nullopt;
      if (m && skipNoOps(m.getInput(0)) == skipNoOps(sub.getInput(0)) && mAxes &&
          isLastAxis(*mAxes, sqType.getRank()) && m.getIntAttr("keepdims", 1)) {
        kind = NormKind::layer;
        x = skipNoOps(sub.getInput(0));
      }
    }
    if (x.getType() != normalized.getType())
      continue;
    // The affine part: · scale [N], then + shift [N].
    int64_t n = sqType.getShape().back();
    auto vectorConstant = [&](Value v) -> Value {
      ElementsAttr c = constantOf(v);
      if (c && c.getShapedType().getRank() == 1 && c.getNumElements() == n &&
          c.getElementType() == elementTypeOf(x))
        return skipNoOps(v);
      return {};
    };
    Value result = normalized, scale, shift;
    if (OnnxNodeOp mul = soleUser(result, "Mul")) {
      Value other = skipNoOps(mul.getInput(0)) == skipNoOps(result) ? mul.getInput(1)
                                                                   : mul.getInput(0);
      if ((scale = vectorConstant(other)))
        result = mul.getResult(0);
    }
    if (OnnxNodeOp add = soleUser(result, "Add")) {
      Value other = skipNoOps(add.getInput(0)) == skipNoOps(result) ? add.getInput(1)
                                                                   : add.getInput(0);
      if ((shift = vectorConstant(other)))
        result = add.getResult(0);
    }
    if (result.getType() != x.getType())
      continue;
    builder.setInsertionPointAfterValue(result);
    auto norm = NormOp::create(builder, sqrt.getLoc(), x.getType(), NormKindAttr::get(builder.getContext(), kind), x, scale,
                               shift, builder.getF64FloatAttr(eps));
    replace(result, norm.getResult());
  }
}

//===----------------------------------------------------------------------===//
// Activations
//===----------------------------------------------------------------------===//

void Raiser::raiseActivations() {
  constexpr double kSqrtHalf = 0.70710678118654752;
  // The GELU constants as an f16 or bf16 export stores them (bf16 keeps 8
  // significant bits: relative error up to 2^-8).
  constexpr double kConstantTolerance = 5e-3;
  constexpr double kSqrt2OverPi = 0.79788456080286536;
  auto muls = nodes("Mul");
  // Outermost products first, so that a gated form wins over its parts.
  for (OnnxNodeOp mul : llvm::reverse(muls)) {
    if (!mul->getBlock())
      continue;
    Value root = mul.getResult(0);
    if (!isFloatTensor(root) || root.use_empty())
      continue;
    Product p;
    collectFactors(root, p);
    if (p.factors.size() < 2 || p.factors.size() > 3)
      continue;
    std::optional<ActivationKind> kind;
    Value x, up;
    // Which factor is the nonlinearity, which the input, which the gate.
    for (Value f : p.factors) {
      // SiLU: x · σ(x)
      if (auto sig = nodeOf(f, "Sigmoid")) {
        Value in = skipNoOps(sig.getInput(0));
        if (llvm::is_contained(p.factors, in) && isNear(p.constant, 1.0)) {
          kind = ActivationKind::silu;
          x = in;
          break;
        }
      }
      // GELU: 0.5 · x · (1 + erf(x/√2)) and 0.5 · x · (1 + tanh(√(2/π)(x + 0.044715x³)))
      if (auto plus = addScalar(f); plus && isNear(plus->second, 1.0) &&
                                    isNear(p.constant, 0.5)) {
        if (auto erf = nodeOf(skipNoOps(plus->first), "Erf")) {
          Product arg;
          collectFactors(erf.getInput(0), arg);
          if (arg.factors.size() == 1 && isNear(arg.constant, kSqrtHalf, kConstantTolerance) &&
              llvm::is_contained(p.factors, arg.factors[0])) {
            kind = ActivationKind::gelu;
            x = arg.factors[0];
            break;
          }
        }
        if (auto tanh = nodeOf(skipNoOps(plus->first), "Tanh")) {
          Product arg;
          collectFactors(tanh.getInput(0), arg);
          if (arg.factors.size() != 1 || !isNear(arg.constant, kSqrt2OverPi, kConstantTolerance))
            continue;
          auto sum = nodeOf(skipNoOps(arg.factors[0]), "Add");
          if (!sum)
            continue;
          for (int side = 0; side < 2 && !kind; ++side) {
            Value lin = skipNoOps(sum.getInput(side)), cube = sum.getInput(1 - side);
            Product c;
            collectFactors(cube, c);
            bool isCube = false;
            if (c.factors.size() == 1)
              if (auto pow = nodeOf(c.factors[0], "Pow"))
                isCube = skipNoOps(pow.getInput(0)) == lin && scalarOf(pow.getInput(1)) == 3.0;
            if (c.factors.size() == 3)
              isCube = llvm::all_of(c.factors, [&](Value v) { return v == lin; });
            if (isCube && isNear(c.constant, 0.044715, kConstantTolerance) &&
                llvm::is_contained(p.factors, lin)) {
              kind = ActivationKind::gelu_tanh;
              x = lin;
            }
          }
          if (kind)
            break;
        }
      }
    }
    if (!kind)
      continue;
    // Whatever is left besides x and the nonlinearity is the gate (`up`).
    SmallVector<Value> rest;
    bool usedX = false;
    for (Value f : p.factors) {
      if (f == x && !usedX) {
        usedX = true;
        continue;
      }
      auto def = f.getDefiningOp<OnnxNodeOp>();
      bool nonlin = def && (def.getOpType() == "Sigmoid" ||
                            (addScalar(f) && def.getOpType() == "Add"));
      if (nonlin)
        continue;
      rest.push_back(f);
    }
    if (rest.size() > 1 || p.factors.size() != 2 + rest.size())
      continue;
    if (!rest.empty()) {
      up = rest[0];
      if (up.getType() != x.getType())
        continue;
    }
    if (x.getType() != root.getType())
      continue;
    builder.setInsertionPoint(mul);
    auto act = ActivationOp::create(builder, mul.getLoc(), x.getType(), *kind, x, up);
    replace(root, act.getResult());
  }
  for (OnnxNodeOp relu : nodes("Relu")) {
    Value x = relu.getInput(0);
    if (!isFloatTensor(x))
      continue;
    builder.setInsertionPoint(relu);
    auto act = ActivationOp::create(builder, relu.getLoc(), x.getType(),
                                    ActivationKind::relu, x, Value());
    replace(relu.getResult(0), act.getResult());
  }
}

//===----------------------------------------------------------------------===//
// Attention
//===----------------------------------------------------------------------===//

/// The rotary tables for tfm.rotary: [B or 1, S, R/2] from the 4-D tables
/// the graph applies (head axis of extent 1), then the rotary op itself.
Value Raiser::buildRotary(const RotaryMatch &m, Value merged, int64_t headAxis,
                          int64_t heads, int64_t headDim, Location loc,
                          int64_t version) {
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPoint(anchor);
  int64_t half = m.rotaryDim / 2;
  auto table = [&](Value full, Value pairs) -> Value {
    Value t = m.interleaved ? pairs : full;
    auto ts = shapes.shape(t);
    // A rank-3 pair table is already [B or 1, S, R/2].
    if (m.interleaved && ts && ts->size() == 3) {
      auto ms = shapes.shape(merged);
      if ((*ts)[2].getConstant() != half || !ms || (*ts)[1] != (*ms)[1])
        return {};
      return t;
    }
    if (!ts || ts->size() != 4 || (*ts)[headAxis].getConstant() != 1)
      return {};
    SymShape s = *ts;
    Type et = elementTypeOf(t);
    if (!m.interleaved) {
      if ((*ts)[3].getConstant() != m.rotaryDim)
        return {};
      s[3] = SymExpr::constant(half);
      t = onnx::createNode(builder, loc, "Slice", typeFor(s, et),
                           {t, onnx::i64Constant(builder, loc, {0}),
                            onnx::i64Constant(builder, loc, {half}),
                            onnx::i64Constant(builder, loc, {3})},
                           version)
              .getResult(0);
      shapes.setShape(t, s);
    } else if ((*ts)[3].getConstant() != half) {
      return {};
    }
    s.erase(s.begin() + headAxis);
    Value sq = onnx::createNode(builder, loc, "Squeeze", typeFor(s, et),
                                {t, onnx::i64Constant(builder, loc, {headAxis})}, version)
                   .getResult(0);
    shapes.setShape(sq, s);
    return sq;
  };
  Value cos = table(m.cos, m.cosPairs), sin = table(m.sin, m.sinPairs);
  if (!cos || !sin || cos.getType() != sin.getType() ||
      elementTypeOf(cos) != elementTypeOf(merged))
    return {};
  auto rotary = RotaryOp::create(
      builder, loc, merged.getType(),
      RotaryLayoutAttr::get(builder.getContext(),
                            m.interleaved ? RotaryLayout::interleaved : RotaryLayout::half),
      merged, cos, sin, builder.getI64IntegerAttr(heads),
      m.rotaryDim == headDim ? IntegerAttr() : builder.getI64IntegerAttr(m.rotaryDim));
  if (auto ms = shapes.shape(merged))
    shapes.setShape(rotary.getResult(), *ms);
  return rotary.getResult();
}

/// Merges heads: [B, S, H, D] -> [B, S, H·D], looking through the Reshape
/// that split them and through a rotary embedding applied in this layout.
Value Raiser::mergeHeadsFirst(Value bshd, int64_t heads, int64_t headDim,
                              Location loc, int64_t version) {
  bshd = skipNoOps(bshd);
  auto s = shapes.shape(bshd);
  if (!s || s->size() != 4)
    return {};
  SymShape merged{(*s)[0], (*s)[1], SymExpr::constant(heads * headDim)};
  if (auto rot = matchRotary(bshd, shapes))
    if (Value inner = mergeHeadsFirst(rot->input, heads, headDim, loc, version))
      if (Value r = buildRotary(*rot, inner, /*headAxis=*/2, heads, headDim, loc, version))
        return r;
  if (auto r = nodeOf(bshd, "Reshape")) {
    Value src = r.getInput(0);
    auto ss = shapes.shape(src);
    if (ss && ss->size() == 3 && (*ss)[0] == merged[0] && (*ss)[1] == merged[1] &&
        (*ss)[2] == merged[2])
      return src;
  }
  builder.setInsertionPointAfterValue(bshd);
  Value target = onnx::i64Constant(builder, loc, {0, 0, heads * headDim});
  Value out = onnx::createNode(builder, loc, "Reshape",
                               typeFor(merged, elementTypeOf(bshd)), {bshd, target}, version)
                  .getResult(0);
  shapes.setShape(out, merged);
  return out;
}

/// Merges heads: [B, H, S, D] -> [B, S, H·D]. Looks through the head split
/// that usually produced the value (and a rotary embedding applied on either
/// side of it) instead of emitting the inverse.
Value Raiser::mergeHeads(Value bhsd, int64_t heads, int64_t headDim, Location loc,
                         int64_t version) {
  bhsd = skipNoOps(bhsd);
  auto s = shapes.shape(bhsd);
  if (!s || s->size() != 4)
    return {};
  if (auto rot = matchRotary(bhsd, shapes))
    if (Value inner = mergeHeads(rot->input, heads, headDim, loc, version))
      if (Value r = buildRotary(*rot, inner, /*headAxis=*/1, heads, headDim, loc, version))
        return r;
  if (auto t = nodeOf(bhsd, "Transpose")) {
    auto perm = t.getIntsAttr("perm");
    if (perm && *perm == SmallVector<int64_t>{0, 2, 1, 3})
      return mergeHeadsFirst(t.getInput(0), heads, headDim, loc, version);
  }
  SymShape merged{(*s)[0], (*s)[2], SymExpr::constant(heads * headDim)};
  builder.setInsertionPointAfterValue(bhsd);
  SymShape bshdShape{(*s)[0], (*s)[2], (*s)[1], (*s)[3]};
  auto perm = builder.getDictionaryAttr(builder.getNamedAttr(
      "perm", builder.getDenseI64ArrayAttr({0, 2, 1, 3})));
  Value t = onnx::createNode(builder, loc, "Transpose",
                             typeFor(bshdShape, elementTypeOf(bhsd)), {bhsd}, version,
                             perm)
                .getResult(0);
  shapes.setShape(t, bshdShape);
  Value target = onnx::i64Constant(builder, loc, {0, 0, heads * headDim});
  Value out = onnx::createNode(builder, loc, "Reshape",
                               typeFor(merged, elementTypeOf(bhsd)), {t, target}, version)
                  .getResult(0);
  shapes.setShape(out, merged);
  return out;
}

void Raiser::raiseAttention() {
  for (OnnxNodeOp softmax : nodes("Softmax"))
    (void)raiseOneAttention(softmax);
}

/// Strips scalar Mul/Div by constants from `v`, multiplying them into `scale`.
static Value stripScalars(Value v, double &scale) {
  for (int i = 0; i < 8; ++i) {
    v = skipNoOps(v);
    if (auto mul = nodeOf(v, "Mul")) {
      if (auto c = scalarOf(mul.getInput(1))) {
        scale *= *c;
        v = mul.getInput(0);
        continue;
      }
      if (auto c = scalarOf(mul.getInput(0))) {
        scale *= *c;
        v = mul.getInput(1);
        continue;
      }
    }
    if (auto div = nodeOf(v, "Div"))
      if (auto c = scalarOf(div.getInput(1)); c && *c != 0) {
        scale /= *c;
        v = div.getInput(0);
        continue;
      }
    break;
  }
  return v;
}

static bool fail(OnnxNodeOp softmax, int line) {
  LLVM_DEBUG(llvm::dbgs() << "attention at " << softmax.getLoc()
                          << " not raised (RaiseOnnx.cpp:" << line << ")\n");
  return false;
}

bool Raiser::raiseOneAttention(OnnxNodeOp softmax) {
  Value scores = softmax.getInput(0);
  auto scoresType = dyn_cast<RankedTensorType>(scores.getType());
  if (!scoresType || scoresType.getRank() != 4 ||
      !isa<FloatType>(scoresType.getElementType()))
    return fail(softmax, __LINE__);
  int64_t axis = softmax.getIntAttr("axis", -1);
  if (axis != -1 && axis != 3)
    return fail(softmax, __LINE__);
  Location loc = softmax.getLoc();
  int64_t version = softmax.getVersion();

  // probs -> MatMul(probs, V), possibly through shaped attention's
  // α·I + β·probs − γ·C.
  Value probs = softmax.getResult(0);
  // Where(IsNaN(p), 0, p), as SDPA decompositions guard rows that see no
  // key, is what tfm.attention computes for such rows anyway.
  for (Operation *user : probs.getUsers()) {
    auto where = dyn_cast<OnnxNodeOp>(user);
    if (!where || where.getOpType() != "Where" || where.getInput(2) != probs ||
        scalarOf(where.getInput(1)) != 0.0)
      continue;
    auto isnan = nodeOf(where.getInput(0), "IsNaN");
    if (isnan && isnan.getInput(0) == probs &&
        llvm::all_of(probs.getUsers(), [&](Operation *u) { return u == where || u == isnan; }))
      probs = where.getResult(0);
    break;
  }
  OnnxNodeOp pv = soleUser(probs, "MatMul");
  ShapedCoefficients shaped;
  if (!pv) {
    std::optional<ShapedCoefficients> s = matchShapedAttention(probs, shapes);
    if (!s)
      return fail(softmax, __LINE__);
    shaped = *s;
    pv = soleUser(shaped.combined, "MatMul");
    if (!pv || skipNoOps(pv.getInput(0)) != skipNoOps(shaped.combined))
      return fail(softmax, __LINE__);
  } else if (skipNoOps(pv.getInput(0)) != probs &&
             pv.getInput(0) != probs) {
    return fail(softmax, __LINE__);
  }

  // Scores: masks and scales around MatMul(Q, Kᵀ).
  double scale = 1.0;
  // Additive masks with the product of the scales applied outside them (a
  // mask added before the scale is scaled with the scores).
  SmallVector<std::pair<Value, double>> additiveMasks;
  SmallVector<std::pair<Value, bool>> boolMasks; // (condition, true = visible)
  Value s = scores;
  OnnxNodeOp qk;
  for (int i = 0; i < 12 && !qk; ++i) {
    s = stripScalars(s, scale);
    if (auto mm = nodeOf(s, "MatMul")) {
      qk = mm;
      break;
    }
    if (auto add = nodeOf(s, "Add")) {
      // The side that leads to the Q·Kᵀ product is the scores.
      auto leadsToProduct = [&](Value v) {
        double ignored = 1.0;
        for (int k = 0; k < 8; ++k) {
          v = stripScalars(v, ignored);
          if (nodeOf(v, "MatMul"))
            return true;
          if (auto a = nodeOf(v, "Add"))
            v = a.getInput(0);
          else if (auto w = nodeOf(v, "Where"))
            v = w.getInput(1);
          else
            return fail(softmax, __LINE__);
        }
        return fail(softmax, __LINE__);
      };
      int side = leadsToProduct(add.getInput(0)) ? 0 : leadsToProduct(add.getInput(1)) ? 1 : -1;
      if (side < 0)
        return fail(softmax, __LINE__);
      additiveMasks.push_back({add.getInput(1 - side), scale});
      s = add.getInput(side);
      continue;
    }
    if (auto where = nodeOf(s, "Where")) {
      auto fill2 = scalarOf(where.getInput(2)), fill1 = scalarOf(where.getInput(1));
      if (fill2 && *fill2 <= -1e4) {
        boolMasks.push_back({where.getInput(0), true});
        s = where.getInput(1);
        continue;
      }
      if (fill1 && *fill1 <= -1e4) {
        boolMasks.push_back({where.getInput(0), false});
        s = where.getInput(2);
        continue;
      }
      return fail(softmax, __LINE__);
    }
    return fail(softmax, __LINE__);
  }
  if (!qk)
    return fail(softmax, __LINE__);
  Value qh = stripScalars(qk.getInput(0), scale);
  Value kt = stripScalars(qk.getInput(1), scale);
  Value vh = pv.getInput(1);

  // Kᵀ [B, H, D, S] back to K [B, H, S, D].
  Value kh;
  if (auto t = nodeOf(kt, "Transpose")) {
    auto perm = t.getIntsAttr("perm");
    if (perm && *perm == SmallVector<int64_t>{0, 1, 3, 2})
      kh = stripScalars(t.getInput(0), scale);
    else if (perm && *perm == SmallVector<int64_t>{0, 2, 3, 1}) {
      // [B, S, H, D] -> [B, H, D, S]: K in BHSD is its (0, 2, 1, 3) transpose.
      Value bshd = stripScalars(t.getInput(0), scale);
      auto bs = shapes.shape(bshd);
      if (!bs || bs->size() != 4)
        return fail(softmax, __LINE__);
      builder.setInsertionPointAfterValue(bshd);
      SymShape bhsd{(*bs)[0], (*bs)[2], (*bs)[1], (*bs)[3]};
      auto permAttr = builder.getDictionaryAttr(builder.getNamedAttr(
          "perm", builder.getDenseI64ArrayAttr({0, 2, 1, 3})));
      kh = onnx::createNode(builder, loc, "Transpose",
                            typeFor(bhsd, elementTypeOf(bshd)), {bshd}, version, permAttr)
               .getResult(0);
      shapes.setShape(kh, bhsd);
    }
  }
  // [B, H, S, D] -> Reshape [B·H, S, D] -> Transpose (0, 2, 1) -> Reshape
  // [B, H, D, S] is the (0, 1, 3, 2) transpose of the first.
  if (!kh)
    if (auto outer = nodeOf(kt, "Reshape"))
      if (auto t = nodeOf(skipNoOps(outer.getInput(0)), "Transpose"))
        if (auto inner = nodeOf(skipNoOps(t.getInput(0)), "Reshape")) {
          auto perm = t.getIntsAttr("perm");
          Value x = skipNoOps(inner.getInput(0));
          auto xs = shapes.shape(x), is = shapes.shape(inner.getResult(0)),
               os = shapes.shape(outer.getResult(0));
          if (perm && *perm == SmallVector<int64_t>{0, 2, 1} && xs && is && os &&
              xs->size() == 4 && is->size() == 3 && os->size() == 4 &&
              (*is)[0] == (*xs)[0] * (*xs)[1] && (*is)[1] == (*xs)[2] &&
              (*is)[2] == (*xs)[3] && (*os)[0] == (*xs)[0] && (*os)[1] == (*xs)[1] &&
              (*os)[2] == (*xs)[3] && (*os)[3] == (*xs)[2])
            kh = stripScalars(x, scale);
        }
  if (!kh) {
    auto ks = shapes.shape(kt);
    if (!ks || ks->size() != 4)
      return fail(softmax, __LINE__);
    builder.setInsertionPointAfterValue(kt);
    SymShape bhsd{(*ks)[0], (*ks)[1], (*ks)[3], (*ks)[2]};
    auto permAttr = builder.getDictionaryAttr(builder.getNamedAttr(
        "perm", builder.getDenseI64ArrayAttr({0, 1, 3, 2})));
    kh = onnx::createNode(builder, loc, "Transpose", typeFor(bhsd, elementTypeOf(kt)),
                          {kt}, version, permAttr)
             .getResult(0);
    shapes.setShape(kh, bhsd);
  }

  auto qs = shapes.shape(qh), ks = shapes.shape(kh), vs = shapes.shape(vh);
  if (!qs || !ks || !vs || qs->size() != 4 || ks->size() != 4 || vs->size() != 4)
    return fail(softmax, __LINE__);
  auto heads = (*qs)[1].getConstant(), headDim = (*qs)[3].getConstant();
  auto valueDim = (*vs)[3].getConstant();
  if (!heads || !headDim || !valueDim || (*ks)[3] != (*qs)[3] ||
      (*ks)[1] != (*qs)[1] || (*vs)[1] != (*qs)[1] || (*ks)[2] != (*vs)[2] ||
      elementTypeOf(qh) != elementTypeOf(kh) || elementTypeOf(qh) != elementTypeOf(vh))
    return fail(softmax, __LINE__);
  if ((*qs)[0] != (*ks)[0] || (*qs)[0] != (*vs)[0])
    return fail(softmax, __LINE__);

  // GQA: K and V repeated per query-head group.
  int64_t kvHeads = *heads;
  Value kg = repeatedKv(kh, shapes), vg = repeatedKv(vh, shapes);
  if (kg && vg) {
    auto kgs = shapes.shape(kg), vgs = shapes.shape(vg);
    auto hk = (*kgs)[1].getConstant();
    if (hk && (*vgs)[1] == (*kgs)[1] && *heads % *hk == 0) {
      kvHeads = *hk;
      kh = kg;
      vh = vg;
    }
  }

  // Masks: one additive mask, or one boolean mask (true = visible).
  builder.setInsertionPoint(pv);
  Value mask;
  SmallVector<Value> floatMasks;
  for (auto [m, factor] : additiveMasks) {
    if (factor == 1.0) {
      floatMasks.push_back(m);
      continue;
    }
    Value c = floatConstant(builder, loc, {}, elementTypeOf(m), {factor}, "");
    Value scaled = onnx::createNode(builder, loc, "Mul", m.getType(), {m, c}, version)
                       .getResult(0);
    if (auto ms = shapes.shape(m))
      shapes.setShape(scaled, *ms);
    floatMasks.push_back(scaled);
  }
  for (auto [cond, visibleWhenTrue] : boolMasks) {
    Value c = cond;
    if (!visibleWhenTrue)
      c = onnx::createNode(builder, loc, "Not", c.getType(), {c}, version).getResult(0);
    if (boolMasks.size() == 1 && additiveMasks.empty()) {
      mask = c;
      break;
    }
    auto ct = cast<RankedTensorType>(c.getType());
    auto ft = RankedTensorType::get(ct.getShape(), scoresType.getElementType());
    Value zero = floatConstant(builder, loc, {}, scoresType.getElementType(), {0.0}, "");
    Value ninf = floatConstant(builder, loc, {}, scoresType.getElementType(),
                               {-std::numeric_limits<double>::infinity()}, "");
    floatMasks.push_back(
        onnx::createNode(builder, loc, "Where", ft, {c, zero, ninf}, version).getResult(0));
  }
  if (!mask && !floatMasks.empty()) {
    mask = floatMasks[0];
    for (Value m : ArrayRef<Value>(floatMasks).drop_front()) {
      auto a = shapes.shape(mask), b = shapes.shape(m);
      auto mt = cast<RankedTensorType>(mask.getType());
      Type resultType = UnrankedTensorType::get(mt.getElementType());
      if (a && b) {
        SymShape out;
        size_t rank = std::max(a->size(), b->size());
        for (size_t i = 0; i < rank; ++i) {
          const SymExpr *x = i < rank - a->size() ? nullptr : &(*a)[i - (rank - a->size())];
          const SymExpr *y = i < rank - b->size() ? nullptr : &(*b)[i - (rank - b->size())];
          out.push_back(!x || x->getConstant() == 1 ? (y ? *y : SymExpr::constant(1)) : *x);
        }
        resultType = typeFor(out, mt.getElementType());
      }
      mask = onnx::createNode(builder, loc, "Add", resultType, {mask, m}, version)
                 .getResult(0);
    }
  }
  if (mask) {
    auto mt = dyn_cast<RankedTensorType>(mask.getType());
    if (!mt || mt.getRank() < 2 || mt.getRank() > 4)
      return fail(softmax, __LINE__);
  }

  // A mask that is exactly causal (evaluated over several lengths) becomes
  // the causal flag; a mask that also leaves a constant prefix of bias slots
  // visible lets the slots become explicit bias operands.
  bool causal = false;
  Value keyBias, valueBias;
  std::optional<KvBiasSlots> slots = matchKvBiasSlots(kh, vh, shapes);
  if (mask) {
    MaskKind kind = classifyMask(mask, shapes, slots ? slots->count : 0);
    if (kind == MaskKind::Causal || kind == MaskKind::CausalAfterPrefix) {
      causal = true;
      mask = Value();
    }
    if (kind == MaskKind::CausalAfterPrefix && slots) {
      keyBias = slots->keyBias;
      valueBias = slots->valueBias;
      kh = slots->keys;
      vh = slots->values;
    }
  } else if (slots) {
    // No mask at all: the slots are visible to every query.
    keyBias = slots->keyBias;
    valueBias = slots->valueBias;
    kh = slots->keys;
    vh = slots->values;
  }
  if (shaped.combined && (!causal && mask))
    return fail(softmax, __LINE__); // Shaped attention ignores masks: only causal or none.
  if (shaped.combined && keyBias)
    return fail(softmax, __LINE__);

  anchor = pv;
  Value q3 = mergeHeads(qh, *heads, *headDim, loc, version);
  Value k3 = mergeHeads(kh, kvHeads, *headDim, loc, version);
  Value v3 = mergeHeads(vh, kvHeads, *valueDim, loc, version);
  if (!q3 || !k3 || !v3)
    return fail(softmax, __LINE__);
  builder.setInsertionPoint(pv);
  SymShape outShape{(*qs)[0], (*qs)[2], SymExpr::constant(*heads * *valueDim)};
  auto attn = AttentionOp::create(
      builder, loc, typeFor(outShape, elementTypeOf(q3)), q3, k3, v3, mask, keyBias,
      valueBias, /*biasMask=*/Value(), builder.getI64IntegerAttr(*heads),
      kvHeads != *heads ? builder.getI64IntegerAttr(kvHeads) : IntegerAttr(),
      builder.getF64FloatAttr(scale), causal ? builder.getUnitAttr() : UnitAttr(),
      shaped.combined ? builder.getDenseF64ArrayAttr(shaped.alpha) : DenseF64ArrayAttr(),
      shaped.combined ? builder.getDenseF64ArrayAttr(shaped.beta) : DenseF64ArrayAttr(),
      shaped.combined ? builder.getDenseF64ArrayAttr(shaped.gamma) : DenseF64ArrayAttr());
  shapes.setShape(attn.getResult(), outShape);

  // The output: usually Transpose(0, 2, 1, 3) then a Reshape. [B, S, H, Dv]
  // holds the same elements in the same order as the attention result
  // [B, S, H·Dv], so any Reshape of it is that Reshape of the result.
  Value out = pv.getResult(0);
  if (OnnxNodeOp t = soleUser(out, "Transpose")) {
    auto perm = t.getIntsAttr("perm");
    if (perm && *perm == SmallVector<int64_t>{0, 2, 1, 3})
      if (OnnxNodeOp r = soleUser(t.getResult(0), "Reshape");
          r && r.getInput(0) == t.getResult(0)) {
        auto rs = shapes.shape(r.getResult(0));
        if (rs && rs->size() == 3 && (*rs)[0] == outShape[0] && (*rs)[1] == outShape[1] &&
            (*rs)[2] == outShape[2]) {
          replace(r.getResult(0), attn.getResult());
          return true;
        }
        // The same target on [B, S, H·Dv] means the same only where it does
        // not copy ("0") a dimension past the second: those differ.
        std::optional<SymShape> target = shapes.elements(r.getInput(1));
        bool copiesInner =
            !target || (r.getIntAttr("allowzero", 0) == 0 &&
                        llvm::any_of(llvm::drop_begin(*target, 2), [](const SymExpr &e) {
                          return !e.isPositive() && e.getConstant() != -1;
                        }));
        if (!copiesInner) {
          builder.setInsertionPoint(r);
          auto reshaped = onnx::createNode(builder, r.getLoc(), "Reshape",
                                           r.getResult(0).getType(),
                                           {attn.getResult(), r.getInput(1)}, version,
                                           r.getOnnxAttrsAttr());
          replace(r.getResult(0), reshaped.getResult(0));
          return true;
        }
      }
  }
  // Otherwise split the heads again for whatever consumes [B, H, S, Dv].
  builder.setInsertionPointAfter(attn);
  SymShape bshd{(*qs)[0], (*qs)[2], SymExpr::constant(*heads), SymExpr::constant(*valueDim)};
  Value split = onnx::createNode(
                    builder, loc, "Reshape", typeFor(bshd, elementTypeOf(q3)),
                    {attn.getResult(), onnx::i64Constant(builder, loc, {0, 0, *heads, *valueDim})},
                    version)
                    .getResult(0);
  auto permAttr = builder.getDictionaryAttr(
      builder.getNamedAttr("perm", builder.getDenseI64ArrayAttr({0, 2, 1, 3})));
  Value bhsd = onnx::createNode(builder, loc, "Transpose", out.getType(), {split},
                                version, permAttr)
                   .getResult(0);
  replace(out, bhsd);
  return true;
}

//===----------------------------------------------------------------------===//
// Residuals
//===----------------------------------------------------------------------===//

/// A branch output: a projection or attention result, possibly scaled.
static bool isBranch(Value v, double &gain) {
  gain = 1.0;
  Product p;
  collectFactors(v, p);
  if (p.factors.size() != 1)
    return false;
  Operation *def = p.factors[0].getDefiningOp();
  if (!def || !isa<LinearOp, AttentionOp>(def))
    return false;
  gain = p.constant;
  return true;
}

void Raiser::raiseResiduals() {
  for (OnnxNodeOp add : nodes("Add")) {
    Value a = add.getInput(0), b = add.getInput(1);
    Value result = add.getResult(0);
    if (!isFloatTensor(result) || a.getType() != result.getType() ||
        b.getType() != result.getType())
      continue;
    auto rank = cast<RankedTensorType>(result.getType()).getRank();
    if (rank < 2)
      continue;
    double ga, gb;
    bool ba = isBranch(a, ga), bb = isBranch(b, gb);
    Value skip;
    double alpha = 1.0;
    SmallVector<Value> branches;
    SmallVector<double> betas;
    auto addBranch = [&](Value v, double g) {
      Product p;
      collectFactors(v, p);
      branches.push_back(p.factors[0]);
      betas.push_back(g);
    };
    // A residual already formed on one side takes the other as a branch.
    auto extend = [&](Value stream, Value other, double g) {
      auto prev = stream.getDefiningOp<ResidualOp>();
      if (!prev || !stream.hasOneUse())
        return false;
      skip = prev.getSkip();
      alpha = prev.getSkipGain();
      for (auto [i, br] : llvm::enumerate(prev.getBranches())) {
        branches.push_back(br);
        betas.push_back(prev.getBranchGain(i));
      }
      addBranch(other, g);
      return true;
    };
    // Two branch outputs where one feeds the other (SAS: h + MLP(Norm(h)))
    // are a skip and a branch; otherwise they are parallel branches.
    auto feeds = [](Value from, Value to) {
      SmallVector<Value> work{to};
      llvm::DenseSet<Value> seen;
      while (!work.empty() && seen.size() < 4096) {
        Value v = work.pop_back_val();
        if (v == from)
          return true;
        if (!seen.insert(v).second)
          continue;
        if (Operation *def = v.getDefiningOp())
          work.append(def->operand_begin(), def->operand_end());
      }
      return false;
    };
    if (ba && bb && (feeds(a, b) || feeds(b, a))) {
      bool aFirst = feeds(a, b);
      skip = aFirst ? a : b;
      alpha = 1.0;
      addBranch(aFirst ? b : a, aFirst ? gb : ga);
      if (Product p; collectFactors(skip, p), p.factors.size() == 1 &&
                         p.factors[0].getType() == result.getType()) {
        skip = p.factors[0];
        alpha = p.constant;
      }
    } else if (ba && bb) {
      addBranch(a, ga);
      addBranch(b, gb);
    } else if (bb && extend(a, b, gb)) {
    } else if (ba && extend(b, a, ga)) {
    } else if (auto prev = a.getDefiningOp<ResidualOp>();
               !ba && !bb && prev && !prev.getSkip() && a.hasOneUse()) {
      // (branch + branch) + x: x is the skip of the parallel residual.
      skip = b;
      for (auto [i, br] : llvm::enumerate(prev.getBranches())) {
        branches.push_back(br);
        betas.push_back(prev.getBranchGain(i));
      }
    } else if (auto prev = b.getDefiningOp<ResidualOp>();
               !ba && !bb && prev && !prev.getSkip() && b.hasOneUse()) {
      skip = a;
      for (auto [i, br] : llvm::enumerate(prev.getBranches())) {
        branches.push_back(br);
        betas.push_back(prev.getBranchGain(i));
      }
    } else if ((bb || ba) && !feeds(ba ? a : b, ba ? b : a)) {
      // A residual adds a branch to a value computed without it.
      Value stream = ba ? b : a;
      Product p;
      collectFactors(stream, p);
      if (p.factors.size() == 1 && p.factors[0].getType() == result.getType()) {
        skip = p.factors[0];
        alpha = p.constant;
      } else {
        skip = stream;
      }
      addBranch(ba ? a : b, ba ? ga : gb);
    } else {
      continue;
    }
    builder.setInsertionPoint(add);
    bool unitGains = alpha == 1.0 && llvm::all_of(betas, [](double g) { return g == 1.0; });
    auto residual = ResidualOp::create(
        builder, add.getLoc(), result.getType(), skip, branches,
        skip && alpha != 1.0 ? builder.getF64FloatAttr(alpha) : FloatAttr(),
        unitGains ? DenseF64ArrayAttr() : builder.getDenseF64ArrayAttr(betas));
    replace(result, residual.getResult());
  }
}

struct TfmRaiseOnnxPass : public tfm::impl::TfmRaiseOnnxBase<TfmRaiseOnnxPass> {
  void runOnOperation() override {
    getOperation()->walk([&](FunctionOpInterface fn) {
      if (!fn.isExternal())
        Raiser(fn).run();
    });
  }
};

} // namespace
