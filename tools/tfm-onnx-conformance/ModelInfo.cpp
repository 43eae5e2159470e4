//===- ModelInfo.cpp - what an ONNX test model uses ---------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Built with -fexceptions: every libonnx/protobuf call is inside a try block.
//
//===----------------------------------------------------------------------===//

#include "ModelInfo.h"

#include "onnx/defs/schema.h"
#include "onnx/onnx_pb.h"

#include <exception>
#include <fstream>
#include <map>
#include <sstream>

using namespace tfm_conformance;

static std::string typeName(int dataType) {
  if (!onnx::TensorProto_DataType_IsValid(dataType))
    return "data type " + std::to_string(dataType);
  return onnx::TensorProto_DataType_Name(
      static_cast<onnx::TensorProto_DataType>(dataType));
}

static void addValueTypes(const onnx::ValueInfoProto &vi, ModelInfo &info) {
  if (!vi.type().has_tensor_type()) {
    info.nonTensorValues = true;
    return;
  }
  info.elementTypes.insert(typeName(vi.type().tensor_type().elem_type()));
}

static void inspectGraph(const onnx::GraphProto &graph,
                         const std::map<std::string, int64_t> &opsets,
                         ModelInfo &info) {
  for (const auto &vi : graph.input())
    addValueTypes(vi, info);
  for (const auto &vi : graph.output())
    addValueTypes(vi, info);
  for (const auto &t : graph.initializer())
    info.elementTypes.insert(typeName(t.data_type()));
  for (const auto &node : graph.node()) {
    NodeInfo n;
    n.opType = node.op_type();
    n.domain = node.domain() == "ai.onnx" ? "" : node.domain();
    auto it = opsets.find(n.domain);
    n.version = it == opsets.end() ? 0 : it->second;
    for (const auto &a : node.attribute()) {
      if (a.type() == onnx::AttributeProto::GRAPH ||
          a.type() == onnx::AttributeProto::GRAPHS)
        n.hasSubgraph = true;
      if (a.type() == onnx::AttributeProto::TENSOR)
        info.elementTypes.insert(typeName(a.t().data_type()));
      if (a.type() == onnx::AttributeProto::SPARSE_TENSOR)
        info.elementTypes.insert("SPARSE_TENSOR");
      if (a.name() == "to" && a.type() == onnx::AttributeProto::INT &&
          (n.opType == "Cast" || n.opType == "EyeLike" ||
           n.opType.rfind("Random", 0) == 0))
        info.elementTypes.insert(typeName(static_cast<int>(a.i())));
    }
    info.nodes.push_back(std::move(n));
  }
}

std::optional<std::string>
tfm_conformance::inspectModel(const std::string &path, ModelInfo &info) {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return "cannot open " + path;
    std::stringstream bytes;
    bytes << in.rdbuf();
    onnx::ModelProto model;
    if (!model.ParseFromString(bytes.str()))
      return path + " is not a serialised ModelProto";
    std::map<std::string, int64_t> opsets;
    for (const auto &imp : model.opset_import())
      opsets[imp.domain() == "ai.onnx" ? "" : imp.domain()] = imp.version();
    inspectGraph(model.graph(), opsets, info);
    return std::nullopt;
  } catch (const std::exception &e) {
    return path + ": " + e.what();
  }
}

template <typename Field>
static void appendValues(const Field &values, size_t elementSize,
                         std::string &bytes) {
  for (auto v : values)
    bytes.append(reinterpret_cast<const char *>(&v), elementSize);
}

std::optional<std::string> tfm_conformance::readTensor(const std::string &path,
                                                       TensorData &data) {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      return "cannot open " + path;
    std::stringstream contents;
    contents << in.rdbuf();
    onnx::TensorProto t;
    if (!t.ParseFromString(contents.str()))
      return path + " is not a serialised TensorProto";
    if (t.data_location() == onnx::TensorProto::EXTERNAL)
      return path + " has external data";
    data.elementType = typeName(t.data_type());
    data.shape.assign(t.dims().begin(), t.dims().end());
    if (t.has_raw_data()) {
      data.bytes = t.raw_data();
      return std::nullopt;
    }
    // Typed fields (little-endian host): the narrow types are stored one
    // per int32, the unsigned wide ones in uint64_data.
    switch (t.data_type()) {
    case onnx::TensorProto::FLOAT:
      appendValues(t.float_data(), 4, data.bytes);
      break;
    case onnx::TensorProto::DOUBLE:
      appendValues(t.double_data(), 8, data.bytes);
      break;
    case onnx::TensorProto::INT64:
      appendValues(t.int64_data(), 8, data.bytes);
      break;
    case onnx::TensorProto::INT32:
      appendValues(t.int32_data(), 4, data.bytes);
      break;
    case onnx::TensorProto::INT16:
    case onnx::TensorProto::UINT16:
    case onnx::TensorProto::FLOAT16:
    case onnx::TensorProto::BFLOAT16:
      appendValues(t.int32_data(), 2, data.bytes);
      break;
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      appendValues(t.int32_data(), 1, data.bytes);
      break;
    case onnx::TensorProto::UINT32:
      appendValues(t.uint64_data(), 4, data.bytes);
      break;
    case onnx::TensorProto::UINT64:
      appendValues(t.uint64_data(), 8, data.bytes);
      break;
    default:
      return path + ": element type " + data.elementType + " is not supported";
    }
    return std::nullopt;
  } catch (const std::exception &e) {
    return path + ": " + e.what();
  }
}

std::vector<std::string> tfm_conformance::allOperatorNames() {
  std::vector<std::string> names;
  try {
    for (const onnx::OpSchema &s : onnx::OpSchemaRegistry::get_all_schemas())
      names.push_back(s.Name());
  } catch (const std::exception &) {
  }
  return names;
}
