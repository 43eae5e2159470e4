//===- OnnxToLinalg.h - legalise imported ONNX nodes --------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_ONNXTOLINALG_ONNXTOLINALG_H
#define TFM_CONVERSION_ONNXTOLINALG_ONNXTOLINALG_H

#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::tfm {

/// Whether convert-onnx-to-linalg legalises `opType` of `domain` ("" and
/// "ai.onnx" are the default domain) when the model imports that domain at
/// opset `version`.
bool isOnnxOpSupported(llvm::StringRef domain, llvm::StringRef opType,
                       int64_t version);

/// Patterns rewriting `tfm.onnx_node` ops into tensor, linalg, arith and math.
void populateOnnxToLinalgPatterns(RewritePatternSet &patterns);

} // namespace mlir::tfm

#endif // TFM_CONVERSION_ONNXTOLINALG_ONNXTOLINALG_H
