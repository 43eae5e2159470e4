//===- WarpAttention.h - tfm.attention on tensor cores ----------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CONVERSION_TFMTOLINALG_WARPATTENTION_H
#define TFM_LIB_CONVERSION_TFMTOLINALG_WARPATTENTION_H

#include "mlir/IR/Builders.h"

namespace mlir::tfm {
class AttentionOp;

namespace lowering {

/// True if `op` can run as warps of mma.sync: bf16 or f16 operands, static
/// head widths that are multiples of 16 and at most 128 (the value head at
/// most 64 for shaped attention), with or without bias slots.
bool canUseWarpAttention(AttentionOp op);

/// Builds the warp-level `scf.forall` computing `op` (see WarpAttention.cpp)
/// at `b`'s insertion point and returns its result. Only for the GPU: its
/// innermost dimension must become the 32 lanes of a warp.
Value buildWarpAttention(AttentionOp op, OpBuilder &b);

} // namespace lowering
} // namespace mlir::tfm

#endif // TFM_LIB_CONVERSION_TFMTOLINALG_WARPATTENTION_H
