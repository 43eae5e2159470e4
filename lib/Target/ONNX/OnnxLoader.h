//===- OnnxLoader.h - libonnx behind an exception boundary --------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// libonnx reports malformed models by throwing. tfm (like LLVM) is built
// without exceptions, so every libonnx call that may throw lives in
// OnnxLoader.cpp, which is compiled with -fexceptions and turns exceptions
// into error strings.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_TARGET_ONNX_ONNXLOADER_H
#define TFM_LIB_TARGET_ONNX_ONNXLOADER_H

#include "onnx/onnx_pb.h"

#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::tfm::onnx_loader {

/// Whether `contents` is ONNX's textual syntax (`<ir_version: ...> graph
/// (...) => (...) {...}`) rather than a serialised ModelProto.
bool isTextualModel(llvm::StringRef path, llvm::StringRef contents);

/// Parses `contents` (binary ModelProto or the textual syntax), runs the ONNX
/// checker and shape inference with data propagation. `path` locates external
/// data. Returns an error message on failure.
std::optional<std::string> loadModel(llvm::StringRef path,
                                     llvm::StringRef contents,
                                     onnx::ModelProto &model);

/// Size in bytes of one element of ONNX data type `dataType`, or 0 when tfm
/// cannot hold it.
size_t elementSize(int dataType);

/// The little-endian element bytes of `tensor`, from raw_data, the typed
/// fields, or external data resolved against `baseDir`.
std::optional<std::string> readTensorBytes(const onnx::TensorProto &tensor,
                                           llvm::StringRef baseDir,
                                           std::string &bytes);

/// Parses a serialised TensorProto (the backend test suites' .pb files).
std::optional<std::string> parseTensorProto(llvm::StringRef contents,
                                            onnx::TensorProto &tensor);

} // namespace mlir::tfm::onnx_loader

#endif // TFM_LIB_TARGET_ONNX_ONNXLOADER_H
