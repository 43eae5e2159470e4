//===- Aliasing.h - which buffers provably share no byte --------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_CONVERSION_MEMORYPLANNING_ALIASING_H
#define TFM_CONVERSION_MEMORYPLANNING_ALIASING_H

#include "mlir/IR/Value.h"

namespace mlir::tfm {

/// The unit attribute tfm-plan-buffers puts on the arena it allocates (and
/// tfm-gpu-device-memory keeps on its GPU replacement): two of its
/// `memref.view`s whose lifetimes overlap share no byte.
inline constexpr llvm::StringLiteral kArenaAttrName = "tfm.arena";

/// True if the buffers `a` and `b` provably share no byte:
///  - views of two allocations, or of an allocation and anything else;
///  - views of one buffer at disjoint constant byte ranges (static,
///    row-major views reached through casts, reshapes and `memref.view` at
///    constant shifts);
///  - views of two slots of a tfm-plan-buffers arena whose lifetimes
///    overlap (each from its `memref.view` to the last operation of the
///    arena's block using it or a view of it): the planner gave them
///    different bytes.
/// Two function arguments may alias.
bool provablyDisjoint(Value a, Value b);

/// The temporary buffer `v` is a view of: the tfm-plan-buffers arena slot
/// (`memref.view`) it lies in, else the allocation it views; null if it
/// views anything else (an argument, a global, a call's result).
Value temporaryOf(Value v);

/// True if `op` has no memory effect other than allocating its results:
/// ops on other buffers may move past it.
bool onlyAllocates(Operation *op);

} // namespace mlir::tfm

#endif // TFM_CONVERSION_MEMORYPLANNING_ALIASING_H
