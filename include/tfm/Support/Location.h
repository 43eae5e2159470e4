//===- Location.h - locations as users read them ------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_SUPPORT_LOCATION_H
#define TFM_SUPPORT_LOCATION_H

#include "mlir/IR/Location.h"

#include <string>

namespace mlir::tfm {

/// Where a diagnostic points, for messages: "model.mlir:3:7" for a source
/// position, "model.onnx: node '/h.0/attn/MatMul'" for an imported ONNX node
/// (the importer's NameLoc over a line-0 file location), the innermost file
/// position of call-site and fused locations, and "" when unknown.
std::string describeLocation(Location loc);

} // namespace mlir::tfm

#endif // TFM_SUPPORT_LOCATION_H
