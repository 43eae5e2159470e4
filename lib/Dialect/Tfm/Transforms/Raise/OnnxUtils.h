//===- OnnxUtils.h - helpers for passes over imported ONNX nodes --*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_ONNXUTILS_H
#define TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_ONNXUTILS_H

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"

#include <optional>

namespace mlir::tfm::onnx {

/// The default-domain node of type `opType` defining `v`, if any.
inline OnnxNodeOp nodeOf(Value v, StringRef opType) {
  auto node = v ? v.getDefiningOp<OnnxNodeOp>() : OnnxNodeOp();
  if (!node || !node.getDomain().empty() || node.getOpType() != opType)
    return {};
  return node;
}

/// Follows Identity nodes, inference-mode Dropouts and Casts that do not
/// change the type.
inline Value skipNoOps(Value v) {
  while (v) {
    auto node = v.getDefiningOp<OnnxNodeOp>();
    if (!node || !node.isDefaultDomain() || node.getNumResults() < 1 ||
        v != node.getResult(0))
      return v;
    StringRef t = node.getOpType();
    bool noop = t == "Identity" ||
                (t == "Dropout" && node.getDropoutTrainingMode() == false) ||
                ((t == "Cast" || t == "CastLike") && node.getInput(0) &&
                 node.getInput(0).getType() == v.getType());
    if (!noop)
      return v;
    v = node.getInput(0);
  }
  return v;
}

/// The constant elements attribute behind `v` (through no-op nodes).
inline ElementsAttr constantOf(Value v) {
  v = skipNoOps(v);
  if (!v)
    return {};
  if (auto cst = v.getDefiningOp<arith::ConstantOp>())
    return dyn_cast<ElementsAttr>(cst.getValue());
  return {};
}

/// The elements of a constant of integer type, if `v` is one.
inline std::optional<SmallVector<int64_t>> constantIntValues(Value v) {
  ElementsAttr attr = constantOf(v);
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return std::nullopt;
  auto values = attr.tryGetValues<APInt>();
  if (!values)
    return std::nullopt;
  return SmallVector<int64_t>(
      llvm::map_range(*values, [](const APInt &x) { return x.getSExtValue(); }));
}

/// A node's axes: the `axes` attribute (older opsets), else the constant
/// input `input` (Reduce*, Squeeze, Unsqueeze: 1 from opset 13 or 18; Slice: 3).
/// As written: negative axes are not normalised.
inline std::optional<SmallVector<int64_t>> axesOf(OnnxNodeOp node, unsigned input = 1) {
  if (auto axes = node.getIntsAttr("axes"))
    return axes;
  return constantIntValues(node.getInput(input));
}

/// The opset the module holding `op` imports the default ONNX domain at
/// (`tfm.onnx_opsets`, written by the importer), else 17: the version for
/// graph-tier nodes a pass adds.
inline int64_t defaultDomainOpset(Operation *op) {
  auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
  if (auto opsets = module ? module->getAttrOfType<DictionaryAttr>("tfm.onnx_opsets")
                           : DictionaryAttr())
    if (auto v = opsets.getAs<IntegerAttr>("ai.onnx"))
      return v.getInt();
  return 17;
}

/// The value of a constant holding one float (any shape of one element, or
/// a splat), if `v` is one.
inline std::optional<double> scalarOf(Value v) {
  ElementsAttr attr = constantOf(v);
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    if (dense.isSplat())
      return dense.getSplatValue<APFloat>().convertToDouble();
  if (attr.getNumElements() != 1)
    return std::nullopt;
  auto values = attr.tryGetValues<APFloat>();
  if (!values)
    return std::nullopt;
  return (*(*values).begin()).convertToDouble();
}

inline bool isNear(double a, double b, double rel = 1e-5) {
  return std::abs(a - b) <= rel * std::max(std::abs(a), std::abs(b));
}

/// Creates a default-domain node with the opset of `like`.
inline OnnxNodeOp createNode(OpBuilder &b, Location loc, StringRef opType,
                             TypeRange results, ValueRange inputs,
                             int64_t version, DictionaryAttr attrs = {}) {
  return OnnxNodeOp::create(b, loc, results, inputs, b.getStringAttr(opType),
                            b.getStringAttr(""), b.getI64IntegerAttr(version),
                            StringAttr(), attrs);
}

/// An i64 tensor constant.
inline Value i64Constant(OpBuilder &b, Location loc, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                    b.getI64Type());
  return arith::ConstantOp::create(b, loc, DenseIntElementsAttr::get(type, values));
}

} // namespace mlir::tfm::onnx

#endif // TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_ONNXUTILS_H
