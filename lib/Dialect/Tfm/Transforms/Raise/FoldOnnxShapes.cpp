//===- FoldOnnxShapes.cpp - fold run-time shape arithmetic --------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "AttentionParts.h"
#include "OnnxUtils.h"
#include "SymbolicShapes.h"

#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFOLDONNXSHAPES
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

/// A constant of `type` holding `values` (integer element type).
static Value intConstant(OpBuilder &b, Location loc, RankedTensorType type,
                         ArrayRef<int64_t> values) {
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  SmallVector<APInt> ints;
  for (int64_t v : values)
    ints.push_back(APInt(width, v, /*isSigned=*/true, /*implicitTrunc=*/true));
  return arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(type, ints));
}

/// Replaces `node` by a constant when its (single, small, integer) result is
/// known. Returns true when it did.
static bool foldToConstant(OnnxNodeOp node, SymbolicShapes &shapes) {
  if (node.getNumResults() != 1)
    return false;
  Value r = node.getResult(0);
  auto type = dyn_cast<RankedTensorType>(r.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isSignlessInteger() ||
      type.getElementType().isInteger(1))
    return false;
  std::optional<SymShape> elems = shapes.elements(r);
  if (!elems || static_cast<int64_t>(elems->size()) != type.getNumElements())
    return false;
  SmallVector<int64_t> values;
  for (const SymExpr &e : *elems) {
    auto c = e.getConstant();
    if (!c)
      return false;
    values.push_back(*c);
  }
  OpBuilder b(node);
  r.replaceAllUsesWith(intConstant(b, node.getLoc(), type, values));
  return true;
}

/// ConstantOfShape with a constant shape becomes a splat constant.
static bool foldConstantOfShape(OnnxNodeOp node) {
  if (!onnx::nodeOf(node.getResult(0), "ConstantOfShape"))
    return false;
  auto type = dyn_cast<RankedTensorType>(node.getResult(0).getType());
  if (!type || !type.hasStaticShape())
    return false;
  auto value = dyn_cast_or_null<DenseElementsAttr>(node.getOnnxAttr("value"));
  Attribute splat;
  if (value) {
    if (value.getNumElements() != 1 || value.getElementType() != type.getElementType())
      return false;
    splat = DenseElementsAttr::get(type, value.getValues<Attribute>()[0]);
  } else {
    if (!type.getElementType().isF32())
      return false;
    splat = DenseElementsAttr::get(type, 0.0f);
  }
  OpBuilder b(node);
  node.getResult(0).replaceAllUsesWith(
      arith::ConstantOp::create(b, node.getLoc(), cast<TypedAttr>(splat)));
  return true;
}

/// Rewrites a Reshape target known symbolically into a constant in ONNX's
/// encoding: constant extents, 0 for "copy the input extent at this index",
/// and one -1 for the rest.
static void foldReshapeTarget(OnnxNodeOp node, SymbolicShapes &shapes) {
  if (!onnx::nodeOf(node.getResult(0), "Reshape") || node.getIntAttr("allowzero", 0))
    return;
  Value target = node.getInput(1);
  if (!target || onnx::constantOf(target))
    return;
  std::optional<SymShape> in = shapes.shape(node.getInput(0));
  std::optional<SymShape> out = shapes.shape(node.getResult(0));
  std::optional<SymShape> elems = shapes.elements(target);
  if (!in || !out || !elems || elems->size() != out->size())
    return;
  SmallVector<int64_t> encoded;
  bool inferred = false;
  for (auto [i, d] : llvm::enumerate(*out)) {
    if (auto c = d.getConstant(); c && *c > 0) {
      encoded.push_back(*c);
    } else if (i < in->size() && d.isKnown() && d == (*in)[i]) {
      encoded.push_back(0);
    } else if (!inferred) {
      encoded.push_back(-1);
      inferred = true;
    } else {
      return;
    }
  }
  OpBuilder b(node);
  node->setOperand(1, onnx::i64Constant(b, node.getLoc(), encoded));
}

/// Rewrites an Expand target whose entries are constants or the input's own
/// extents into a constant (1 keeps an input extent).
static void foldExpandTarget(OnnxNodeOp node, SymbolicShapes &shapes) {
  if (!onnx::nodeOf(node.getResult(0), "Expand"))
    return;
  Value target = node.getInput(1);
  if (!target || onnx::constantOf(target))
    return;
  std::optional<SymShape> in = shapes.shape(node.getInput(0));
  std::optional<SymShape> elems = shapes.elements(target);
  if (!in || !elems)
    return;
  SmallVector<int64_t> encoded;
  // Broadcasting aligns the target and the input from the right: target
  // entry i faces input dimension i + rank(input) - size(target).
  int64_t shift = static_cast<int64_t>(in->size()) - static_cast<int64_t>(elems->size());
  for (auto [i, e] : llvm::enumerate(*elems)) {
    int64_t j = static_cast<int64_t>(i) + shift;
    if (auto c = e.getConstant(); c && *c >= 1) {
      encoded.push_back(*c);
    } else if (j >= 0 && j < static_cast<int64_t>(in->size()) && e.isKnown() &&
               e == (*in)[j]) {
      encoded.push_back(1);
    } else {
      return;
    }
  }
  OpBuilder b(node);
  node->setOperand(1, onnx::i64Constant(b, node.getLoc(), encoded));
}

/// Makes extents that are known constants static in the result types. Users
/// other than ONNX nodes keep the type they had through a tensor.cast.
static void refineTypes(OnnxNodeOp node, SymbolicShapes &shapes) {
  for (Value r : node.getResults()) {
    auto shaped = dyn_cast<TensorType>(r.getType());
    if (!shaped)
      continue;
    std::optional<SymShape> s = shapes.shape(r);
    if (!s)
      continue;
    auto ranked = dyn_cast<RankedTensorType>(shaped);
    if (ranked && (ranked.hasStaticShape() ||
                   s->size() != static_cast<size_t>(ranked.getRank())))
      continue;
    SmallVector<int64_t> dims;
    if (ranked)
      dims.assign(ranked.getShape().begin(), ranked.getShape().end());
    else
      dims.assign(s->size(), ShapedType::kDynamic);
    bool changed = !ranked;
    for (auto [d, e] : llvm::zip(dims, *s))
      if (ShapedType::isDynamic(d))
        if (auto c = e.getConstant(); c && *c >= 0) {
          d = *c;
          changed = true;
        }
    if (!changed)
      continue;
    r.setType(RankedTensorType::get(dims, shaped.getElementType()));
    // Users that are not ONNX nodes (or the function's return, whose type
    // follows) keep the type they had through a tensor.cast.
    Value cast;
    for (OpOperand &use : llvm::make_early_inc_range(r.getUses())) {
      Operation *owner = use.getOwner();
      if (isa<OnnxNodeOp>(owner) || owner->hasTrait<OpTrait::ReturnLike>())
        continue;
      if (!cast) {
        OpBuilder b(node->getContext());
        b.setInsertionPointAfter(node);
        cast = tensor::CastOp::create(b, node.getLoc(), shaped, r);
      }
      if (owner != cast.getDefiningOp())
        use.set(cast);
    }
  }
}

/// Gives the function the (refined) types its return operands now have.
static void updateResultTypes(FunctionOpInterface fn) {
  Operation *ret = fn.getFunctionBody().back().getTerminator();
  if (!ret || !ret->hasTrait<OpTrait::ReturnLike>())
    return;
  SmallVector<Type> results(ret->getOperandTypes());
  if (TypeRange(results) != fn.getResultTypes())
    fn.setType(FunctionType::get(fn->getContext(), fn.getArgumentTypes(), results));
}

namespace {
struct TfmFoldOnnxShapesPass
    : public tfm::impl::TfmFoldOnnxShapesBase<TfmFoldOnnxShapesPass> {
  void runOnOperation() override {
    getOperation()->walk([&](FunctionOpInterface fn) {
      if (fn.isExternal())
        return;
      SymbolicShapes shapes(fn);
      SmallVector<OnnxNodeOp> nodes;
      fn.walk([&](OnnxNodeOp node) { nodes.push_back(node); });
      for (OnnxNodeOp node : nodes) {
        if (node.getNumResults() == 0)
          continue;
        if (foldToConstant(node, shapes) || foldConstantOfShape(node))
          continue;
        // Identity, inference-mode Dropouts and same-type Casts are their
        // input (which keeps a shared initializer shared).
        if (onnx::skipNoOps(node.getResult(0)) != node.getResult(0)) {
          node.getResult(0).replaceAllUsesWith(node.getInput(0));
          continue;
        }
        // A node of constants (a weight written as α·W + β·I, a transposed
        // table) is a constant.
        if (TypedAttr value = evaluateConstantNode(node, shapes)) {
          OpBuilder b(node);
          node.getResult(0).replaceAllUsesWith(
              arith::ConstantOp::create(b, node.getLoc(), value).getResult());
          continue;
        }
        foldReshapeTarget(node, shapes);
        foldExpandTarget(node, shapes);
        refineTypes(node, shapes);
      }
      updateResultTypes(fn);
      IRRewriter rewriter(fn->getContext());
      (void)runRegionDCE(rewriter, fn.getFunctionBody());
    });
  }
};
} // namespace
