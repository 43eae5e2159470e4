//===- InitAll.h - register everything tfm tools use --------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_INITALL_H
#define TFM_INITALL_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::tfm {

/// Adds the tfm dialect and the upstream dialects tfm pipelines produce or
/// consume (selectively: not registerAllDialects) to `registry`.
void registerAllDialects(DialectRegistry &registry);

/// Registers the tfm passes and the upstream passes tfm pipelines use.
void registerAllPasses();

} // namespace mlir::tfm

#endif // TFM_INITALL_H
