//===- HelpOptions.h - what tfm tools list under --help ---------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The tools link LLVM's code generators, whose hundreds of options would
// bury the tools' own in --help. They stay usable and are listed by
// --help-hidden.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOOLS_HELPOPTIONS_H
#define TFM_TOOLS_HELPOPTIONS_H

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/CommandLine.h"

namespace mlir::tfm {

/// Hides from --help every option that is not in `category`, not MLIR's
/// (--mlir-*) and not a generic one (--help, --version).
inline void hideBackEndOptions(llvm::cl::OptionCategory &category) {
  for (auto &entry : llvm::cl::getRegisteredOptions()) {
    llvm::cl::Option *option = entry.second;
    bool shown =
        entry.first.starts_with("mlir-") ||
        llvm::any_of(option->Categories, [&](llvm::cl::OptionCategory *c) {
          return c == &category || c->getName() == "Generic Options";
        });
    if (!shown)
      option->setHiddenFlag(llvm::cl::Hidden);
  }
}

} // namespace mlir::tfm

#endif // TFM_TOOLS_HELPOPTIONS_H
