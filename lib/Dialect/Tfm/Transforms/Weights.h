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
#include "llvm/ADT/STLFunctionalExtras.h"

#include <optional>
#include <vector>

namespace mlir::tfm::weights {

/// Calls `fn` with each element of a float constant, in row-major order:
/// dense elements of any float type, or a dense_resource blob of f32, f16 or
/// bf16. Returns false, having called nothing, if they cannot be read.
inline bool forEachFloat(ElementsAttr attr,
                         llvm::function_ref<void(double)> fn) {
  auto type = attr ? dyn_cast<FloatType>(attr.getElementType()) : FloatType();
  if (!type)
    return false;
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return false;
    ArrayRef<char> data = blob->getData();
    size_t n = attr.getNumElements();
    if (type.isF32() && data.size() == n * 4) {
      const float *f = reinterpret_cast<const float *>(data.data());
      for (size_t i = 0; i < n; ++i)
        fn(f[i]);
      return true;
    }
    if ((type.isBF16() || type.isF16()) && data.size() == n * 2) {
      const uint16_t *h = reinterpret_cast<const uint16_t *>(data.data());
      for (size_t i = 0; i < n; ++i)
        fn(APFloat(type.getFloatSemantics(), APInt(16, h[i]))
               .convertToDouble());
      return true;
    }
    return false;
  }
  auto values = attr.tryGetValues<APFloat>();
  if (!values)
    return false;
  for (APFloat v : *values)
    fn(v.convertToDouble());
  return true;
}

/// The float elements of a constant (see forEachFloat), in row-major order.
inline std::optional<std::vector<double>> floatValues(ElementsAttr attr) {
  std::vector<double> out;
  if (attr)
    out.reserve(attr.getNumElements());
  if (!forEachFloat(attr, [&](double v) { out.push_back(v); }))
    return std::nullopt;
  return out;
}

/// A new float constant of `shape` and `elementType` holding `values`, each
/// rounded to nearest (ties to even); large f32, f16 and bf16 ones become
/// blobs.
inline Value floatConstant(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                           Type elementType, ArrayRef<double> values,
                           StringRef name) {
  auto type = RankedTensorType::get(shape, elementType);
  const llvm::fltSemantics &semantics =
      cast<FloatType>(elementType).getFloatSemantics();
  auto round = [&](double v) {
    APFloat ap(v);
    bool lost;
    ap.convert(semantics, APFloat::rmNearestTiesToEven, &lost);
    return ap;
  };
  auto blob = [&](ArrayRef<char> bytes, size_t align) -> Value {
    return arith::ConstantOp::create(
        b, loc,
        DenseResourceElementsAttr::get(
            type, name,
            HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, align)));
  };
  if (values.size() > 64 && elementType.isF32()) {
    std::vector<float> f(values.begin(), values.end());
    return blob({reinterpret_cast<const char *>(f.data()), f.size() * 4}, 16);
  }
  if (values.size() > 64 && (elementType.isBF16() || elementType.isF16())) {
    std::vector<uint16_t> h;
    h.reserve(values.size());
    for (double v : values)
      h.push_back(
          static_cast<uint16_t>(round(v).bitcastToAPInt().getZExtValue()));
    return blob({reinterpret_cast<const char *>(h.data()), h.size() * 2}, 16);
  }
  SmallVector<APFloat> aps;
  for (double v : values)
    aps.push_back(round(v));
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
