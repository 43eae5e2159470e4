//===- Weights.h - reading and writing constant weights ------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_DIALECT_TFM_TRANSFORMS_WEIGHTS_H
#define TFM_LIB_DIALECT_TFM_TRANSFORMS_WEIGHTS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <optional>
#include <vector>

namespace mlir::tfm::weights {

/// The float elements of a constant (dense or dense_resource, f32/f64/f16/
/// bf16), in row-major order.
inline std::optional<std::vector<double>> floatValues(ElementsAttr attr) {
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  std::vector<double> out;
  out.reserve(attr.getNumElements());
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob || !attr.getElementType().isF32())
      return std::nullopt;
    ArrayRef<char> data = blob->getData();
    if (data.size() != static_cast<size_t>(attr.getNumElements()) * 4)
      return std::nullopt;
    const float *f = reinterpret_cast<const float *>(data.data());
    out.assign(f, f + attr.getNumElements());
    return out;
  }
  auto values = attr.tryGetValues<APFloat>();
  if (!values)
    return std::nullopt;
  for (APFloat v : *values)
    out.push_back(v.convertToDouble());
  return out;
}

/// A new f32 constant of `shape` holding `values`; large ones become blobs.
inline Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    Type elementType, ArrayRef<double> values, StringRef name) {
  auto type = RankedTensorType::get(shape, elementType);
  if (values.size() > 64 && elementType.isF32()) {
    std::vector<float> f(values.begin(), values.end());
    ArrayRef<char> bytes(reinterpret_cast<const char *>(f.data()), f.size() * 4);
    return arith::ConstantOp::create(
        b, loc,
        DenseResourceElementsAttr::get(
            type, name, HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 16)));
  }
  SmallVector<APFloat> aps;
  for (double v : values) {
    APFloat ap(v);
    bool lost;
    ap.convert(cast<FloatType>(elementType).getFloatSemantics(),
               APFloat::rmNearestTiesToEven, &lost);
    aps.push_back(ap);
  }
  return arith::ConstantOp::create(b, loc, DenseElementsAttr::get(type, aps));
}

/// The float elements of `v` when it is an arith.constant (see floatValues).
inline std::optional<std::vector<double>> constantValues(Value v) {
  auto cst = v ? v.getDefiningOp<arith::ConstantOp>() : nullptr;
  if (!cst)
    return std::nullopt;
  return floatValues(dyn_cast<ElementsAttr>(cst.getValue()));
}

} // namespace mlir::tfm::weights

#endif // TFM_LIB_DIALECT_TFM_TRANSFORMS_WEIGHTS_H
