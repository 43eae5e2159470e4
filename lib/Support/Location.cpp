//===- Location.cpp - locations as users read them ----------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Support/Location.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

static std::string describeFile(FileLineColLoc file) {
  std::string s = file.getFilename().str();
  // The ONNX importer has no line numbers: line 0 means the whole file.
  if (file.getLine() > 0)
    s += ":" + std::to_string(file.getLine()) + ":" +
         std::to_string(file.getColumn());
  return s;
}

std::string mlir::tfm::describeLocation(Location loc) {
  if (auto name = dyn_cast<NameLoc>(loc)) {
    std::string inner = describeLocation(name.getChildLoc());
    return (inner.empty() ? "" : inner + ": ") + "node '" +
           name.getName().str() + "'";
  }
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return describeFile(file);
  if (isa<UnknownLoc>(loc))
    return "";
  std::string found;
  loc->walk([&](Location l) {
    if (auto file = dyn_cast<FileLineColLoc>(l)) {
      found = describeFile(file);
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (!found.empty())
    return found;
  llvm::raw_string_ostream os(found);
  loc.print(os);
  return found;
}
