//===- TfmToLinalg.h - tfm to linalg patterns ---------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_TFMTOLINALG_TFMTOLINALG_H
#define TFM_CONVERSION_TFMTOLINALG_TFMTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace mlir::tfm {

/// Adds the patterns that lower every tfm op to linalg/tensor/arith/math.
void populateTfmToLinalgPatterns(RewritePatternSet &patterns);

} // namespace mlir::tfm

#endif // TFM_CONVERSION_TFMTOLINALG_TFMTOLINALG_H
