//===- ModelInfo.h - what an ONNX test model uses -----------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The conformance tool decides whether tfm supports a backend test before
// importing it: which operators (with domain and opset) and element types the
// model uses, and whether it has subgraphs. libonnx throws, so the code
// reading models lives in ModelInfo.cpp, built with -fexceptions; this header
// has no libonnx types.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_TOOLS_TFM_ONNX_CONFORMANCE_MODELINFO_H
#define TFM_TOOLS_TFM_ONNX_CONFORMANCE_MODELINFO_H

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tfm_conformance {

struct NodeInfo {
  std::string opType;
  std::string domain; // "" for the default domain
  int64_t version = 0;
  bool hasSubgraph = false;
};

struct ModelInfo {
  std::vector<NodeInfo> nodes;
  /// ONNX names of the element types of graph inputs, outputs, initializers,
  /// Cast/CastLike targets and tensor attributes ("FLOAT", "UINT8", ...).
  std::set<std::string> elementTypes;
  /// Graph inputs or outputs that are not tensors (sequences, optionals...).
  bool nonTensorValues = false;
};

/// Reads the ModelProto at `path`; an error message on failure.
std::optional<std::string> inspectModel(const std::string &path,
                                        ModelInfo &info);

/// A TensorProto's contents: its ONNX element type name, extents and
/// little-endian element bytes.
struct TensorData {
  std::string elementType;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// Reads the serialised TensorProto at `path` (a test data set's
/// input_K.pb/output_K.pb); an error message on failure.
std::optional<std::string> readTensor(const std::string &path, TensorData &data);

/// The names of every operator libonnx knows (all domains).
std::vector<std::string> allOperatorNames();

} // namespace tfm_conformance

#endif // TFM_TOOLS_TFM_ONNX_CONFORMANCE_MODELINFO_H
