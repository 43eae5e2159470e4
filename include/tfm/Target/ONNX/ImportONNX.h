//===- ImportONNX.h - ONNX model import ---------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Imports an ONNX model (loaded, checked and shape-inferred by libonnx) as a
// module with one `func.func @main`: the graph inputs are its arguments in
// ONNX order (names in the `tfm.name` argument attribute, symbolic dimension
// names in `tfm.dim_names`), the graph outputs its results in ONNX order.
// Every node becomes a `tfm.onnx_node`; initializers become `arith.constant`s,
// large ones as `dense_resource` blobs.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TARGET_ONNX_IMPORTONNX_H
#define TFM_TARGET_ONNX_IMPORTONNX_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "tfm/Runtime/Npy.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::tfm {

struct OnnxImportOptions {
  /// Name of the function the graph becomes.
  std::string entryName = "main";
  /// Tensors with more elements than this become `dense_resource` blobs;
  /// smaller ones are inlined as dense attributes.
  int64_t inlineElementLimit = 64;
  /// Also fail on nodes that convert-onnx-to-linalg cannot legalise (all of
  /// them are reported in one run).
  bool requireSupportedOps = true;
};

/// Imports the ONNX model file at `path`; external-data tensors are resolved
/// relative to the file's directory. On failure, emits diagnostics through
/// `context` (naming the node, op type, domain and opset) and returns null:
/// there is never a partial module.
OwningOpRef<ModuleOp> importOnnxFile(llvm::StringRef path, MLIRContext *context,
                                     const OnnxImportOptions &options = {});

/// Imports a model held in memory (serialised ModelProto, or ONNX's textual
/// syntax); `path` names it in diagnostics and locates external data.
OwningOpRef<ModuleOp> importOnnxBuffer(llvm::StringRef contents,
                                       llvm::StringRef path, MLIRContext *context,
                                       const OnnxImportOptions &options = {});

/// Reads a serialised ONNX TensorProto (as the ONNX backend test suites store
/// inputs and outputs) into a host array.
llvm::Expected<npy::Array> readOnnxTensorFile(llvm::StringRef path);

} // namespace mlir::tfm

#endif // TFM_TARGET_ONNX_IMPORTONNX_H
