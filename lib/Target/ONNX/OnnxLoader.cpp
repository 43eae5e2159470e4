//===- OnnxLoader.cpp - libonnx behind an exception boundary ------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiled with -fexceptions: libonnx throws on malformed models.
//
//===----------------------------------------------------------------------===//

#include "OnnxLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/shape_inference/implementation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>
#include <algorithm>
#include <exception>
#include <map>

using namespace mlir::tfm;

bool onnx_loader::isTextualModel(llvm::StringRef path, llvm::StringRef contents) {
  if (path.ends_with(".onnxtxt"))
    return true;
  // A serialised ModelProto starts with a field tag (ir_version is field 1,
  // tag 0x08); the textual syntax starts with '<' after optional blanks.
  return contents.ltrim().starts_with("<");
}

/// Replaces every call of a model-local function by the function's body, so
/// that shape inference and import see one flat graph. Values internal to a
/// call are renamed "<call node name>/<name>"; attribute references are
/// resolved against the calling node.
static std::optional<std::string> inlineLocalFunctions(onnx::ModelProto &model) {
  if (model.functions_size() == 0)
    return std::nullopt;
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto *> functions;
  for (const onnx::FunctionProto &f : model.functions())
    functions[{f.domain(), f.name()}] = &f;
  std::map<std::string, int64_t> opsets;
  for (const auto &imp : model.opset_import())
    opsets[imp.domain()] = imp.version();

  onnx::GraphProto *graph = model.mutable_graph();
  unsigned callCount = 0;
  for (int round = 0;; ++round) {
    if (round > 32)
      return std::string("model-local functions nest deeper than 32 calls "
                         "(recursive functions are not supported)");
    bool changed = false;
    google::protobuf::RepeatedPtrField<onnx::NodeProto> flat;
    for (const onnx::NodeProto &node : graph->node()) {
      auto it = functions.find({node.domain(), node.op_type()});
      if (it == functions.end()) {
        *flat.Add() = node;
        continue;
      }
      changed = true;
      const onnx::FunctionProto &fn = *it->second;
      for (const auto &imp : fn.opset_import()) {
        auto [pos, inserted] = opsets.try_emplace(imp.domain(), imp.version());
        if (!inserted && pos->second != imp.version())
          return "function '" + fn.name() + "' imports domain '" + imp.domain() +
                 "' at opset " + std::to_string(imp.version()) +
                 ", but the model imports it at " + std::to_string(pos->second);
      }
      std::string prefix = (node.name().empty() ? fn.name() + "_" +
                                                      std::to_string(callCount)
                                                : node.name()) +
                           "/";
      ++callCount;
      std::map<std::string, std::string> rename;
      for (int i = 0; i < fn.input_size(); ++i)
        rename[fn.input(i)] = i < node.input_size() ? node.input(i) : "";
      for (int i = 0; i < fn.output_size(); ++i)
        rename[fn.output(i)] = i < node.output_size() ? node.output(i) : "";
      auto mapName = [&](const std::string &n) -> std::string {
        if (n.empty())
          return n;
        auto r = rename.find(n);
        return r != rename.end() ? r->second : prefix + n;
      };
      std::map<std::string, const onnx::AttributeProto *> callAttrs;
      for (const onnx::AttributeProto &a : node.attribute())
        callAttrs[a.name()] = &a;
      for (const onnx::NodeProto &inner : fn.node()) {
        onnx::NodeProto copy = inner;
        copy.set_name(prefix + (inner.name().empty() ? inner.op_type() : inner.name()));
        for (int i = 0; i < copy.input_size(); ++i)
          copy.set_input(i, mapName(inner.input(i)));
        for (int i = 0; i < copy.output_size(); ++i)
          copy.set_output(i, mapName(inner.output(i)));
        copy.clear_attribute();
        for (const onnx::AttributeProto &a : inner.attribute()) {
          if (a.ref_attr_name().empty()) {
            *copy.add_attribute() = a;
            continue;
          }
          auto ref = callAttrs.find(a.ref_attr_name());
          if (ref == callAttrs.end())
            continue; // Not given at the call: the op's default applies.
          onnx::AttributeProto *resolved = copy.add_attribute();
          *resolved = *ref->second;
          resolved->set_name(a.name());
        }
        *flat.Add() = std::move(copy);
      }
    }
    graph->mutable_node()->Swap(&flat);
    if (!changed)
      break;
  }
  model.clear_functions();
  model.clear_opset_import();
  for (const auto &[domain, version] : opsets) {
    auto *imp = model.add_opset_import();
    imp->set_domain(domain);
    imp->set_version(version);
  }
  return std::nullopt;
}

/// libonnx 1.12 knows the default domain up to opset 17. For checking and
/// shape inference only, rewrite the few opset-18 signature changes that
/// transformer exports hit into their opset-13..17 form: Reduce* ops take
/// `axes` as an attribute again (when it is a constant) and Split drops
/// `num_outputs` (an equal split). The import itself keeps the original
/// nodes and opset.
static void downgradeOpset18ForInference(onnx::ModelProto &model) {
  onnx::GraphProto *graph = model.mutable_graph();
  std::map<std::string, const onnx::TensorProto *> constants;
  for (const onnx::TensorProto &t : graph->initializer())
    constants[t.name()] = &t;
  for (const onnx::NodeProto &node : graph->node())
    if (node.op_type() == "Constant" && node.output_size() == 1)
      for (const onnx::AttributeProto &a : node.attribute())
        if (a.name() == "value" && a.has_t())
          constants[node.output(0)] = &a.t();
  auto constantInts = [&](const std::string &name,
                          std::vector<int64_t> &out) -> bool {
    auto it = constants.find(name);
    if (it == constants.end() ||
        it->second->data_type() != onnx::TensorProto_DataType_INT64 ||
        it->second->data_location() == onnx::TensorProto_DataLocation_EXTERNAL)
      return false;
    const onnx::TensorProto &t = *it->second;
    if (t.has_raw_data()) {
      out.resize(t.raw_data().size() / sizeof(int64_t));
      std::memcpy(out.data(), t.raw_data().data(), out.size() * sizeof(int64_t));
    } else {
      out.assign(t.int64_data().begin(), t.int64_data().end());
    }
    return true;
  };
  static const char *const reduceOps[] = {
      "ReduceMean", "ReduceMax",  "ReduceMin",       "ReduceProd",     "ReduceL1",
      "ReduceL2",   "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"};
  for (onnx::NodeProto &node : *graph->mutable_node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      continue;
    bool isReduce = std::find_if(std::begin(reduceOps), std::end(reduceOps),
                                 [&](const char *op) {
                                   return node.op_type() == op;
                                 }) != std::end(reduceOps);
    if (isReduce && node.input_size() >= 2) {
      std::vector<int64_t> axes;
      if (!node.input(1).empty() && !constantInts(node.input(1), axes))
        continue; // Runtime axes: shape inference cannot know the result.
      node.mutable_input()->RemoveLast();
      if (!axes.empty()) {
        onnx::AttributeProto *attr = node.add_attribute();
        attr->set_name("axes");
        attr->set_type(onnx::AttributeProto_AttributeType_INTS);
        for (int64_t a : axes)
          attr->add_ints(a);
      }
      auto *attrs = node.mutable_attribute();
      for (int i = 0; i < attrs->size(); ++i)
        if (attrs->Get(i).name() == "noop_with_empty_axes") {
          attrs->DeleteSubrange(i, 1);
          break;
        }
    } else if (node.op_type() == "Split") {
      auto *attrs = node.mutable_attribute();
      for (int i = 0; i < attrs->size(); ++i)
        if (attrs->Get(i).name() == "num_outputs") {
          attrs->DeleteSubrange(i, 1);
          break;
        }
    }
  }
  for (auto &imp : *model.mutable_opset_import())
    if ((imp.domain().empty() || imp.domain() == "ai.onnx") && imp.version() == 18)
      imp.set_version(17);
}

/// Checks `model` and infers shapes with data propagation. Models newer than
/// libonnx 1.12 (IR version > 8, opset 18) are checked and inferred on a
/// copy adapted to what it knows; the inferred types are copied back.
static std::optional<std::string> checkAndInfer(onnx::ModelProto &model,
                                                llvm::StringRef baseDir) {
  const onnx::ModelProto *subject = &model;
  onnx::ModelProto adapted;
  bool opset18 = false;
  for (const auto &imp : model.opset_import())
    opset18 |= (imp.domain().empty() || imp.domain() == "ai.onnx") &&
               imp.version() == 18;
  bool external = llvm::any_of(model.graph().initializer(), [](const auto &t) {
    return t.data_location() == onnx::TensorProto_DataLocation_EXTERNAL;
  });
  if (opset18 || external || model.ir_version() > onnx::IR_VERSION) {
    adapted = model;
    // The checker resolves external data against the working directory.
    for (onnx::TensorProto &t : *adapted.mutable_graph()->mutable_initializer())
      for (auto &entry : *t.mutable_external_data())
        if (entry.key() == "location" && !llvm::sys::path::is_absolute(entry.value())) {
          llvm::SmallString<256> file(baseDir);
          llvm::sys::path::append(file, entry.value());
          llvm::sys::fs::make_absolute(file);
          entry.set_value(std::string(file));
        }
    if (adapted.ir_version() > onnx::IR_VERSION)
      adapted.set_ir_version(onnx::IR_VERSION);
    if (opset18)
      downgradeOpset18ForInference(adapted);
    subject = &adapted;
  }
  onnx::ModelProto &target = const_cast<onnx::ModelProto &>(*subject);
  try {
    onnx::checker::check_model(target);
  } catch (const std::exception &e) {
    return std::string("the ONNX checker rejects the model: ") + e.what();
  }
  try {
    onnx::ShapeInferenceOptions options(/*check_type=*/false, /*strict_mode=*/0,
                                        /*data_prop=*/true);
    onnx::shape_inference::InferShapes(target, onnx::OpSchemaRegistry::Instance(),
                                       options);
  } catch (const std::exception &e) {
    return std::string("ONNX shape inference failed: ") + e.what();
  }
  if (subject != &model) {
    *model.mutable_graph()->mutable_value_info() = adapted.graph().value_info();
    *model.mutable_graph()->mutable_output() = adapted.graph().output();
  }
  return std::nullopt;
}

std::optional<std::string> onnx_loader::loadModel(llvm::StringRef path,
                                                  llvm::StringRef contents,
                                                  onnx::ModelProto &model) {
  bool textual = isTextualModel(path, contents);
  if (textual) {
    std::string text = contents.str();
    try {
      onnx::Status status = onnx::OnnxParser::Parse(model, text.c_str());
      if (!status.IsOK())
        return "cannot parse the ONNX text: " + status.ErrorMessage();
    } catch (const std::exception &e) {
      return std::string("cannot parse the ONNX text: ") + e.what();
    }
  } else if (contents.size() > static_cast<size_t>(INT32_MAX) ||
             !model.ParseFromArray(contents.data(),
                                   static_cast<int>(contents.size()))) {
    return std::string("not a valid ONNX model (the ModelProto does not parse)");
  }
  if (auto err = inlineLocalFunctions(model))
    return err;
  return checkAndInfer(model, llvm::sys::path::parent_path(path));
}

size_t onnx_loader::elementSize(int dataType) {
  switch (dataType) {
  case onnx::TensorProto_DataType_FLOAT:
  case onnx::TensorProto_DataType_INT32:
    return 4;
  case onnx::TensorProto_DataType_DOUBLE:
  case onnx::TensorProto_DataType_INT64:
    return 8;
  case onnx::TensorProto_DataType_FLOAT16:
  case onnx::TensorProto_DataType_BFLOAT16:
  case onnx::TensorProto_DataType_INT16:
  case onnx::TensorProto_DataType_UINT16:
    return 2;
  case onnx::TensorProto_DataType_INT8:
  case onnx::TensorProto_DataType_UINT8:
  case onnx::TensorProto_DataType_BOOL:
    return 1;
  default:
    return 0;
  }
}

template <typename T, typename Field>
static void appendTyped(const Field &field, std::string &bytes) {
  for (auto v : field) {
    T t = static_cast<T>(v);
    bytes.append(reinterpret_cast<const char *>(&t), sizeof(T));
  }
}

static std::optional<std::string>
readExternal(const onnx::TensorProto &tensor, llvm::StringRef baseDir,
             std::string &bytes) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const auto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset")
      offset = std::strtoull(entry.value().c_str(), nullptr, 10);
    else if (entry.key() == "length")
      length = std::strtoull(entry.value().c_str(), nullptr, 10);
  }
  if (location.empty())
    return "external data of tensor '" + tensor.name() + "' has no location";
  llvm::SmallString<256> file(baseDir);
  llvm::sys::path::append(file, location);
  auto buffer = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return "cannot read external data '" + std::string(file) + "' of tensor '" +
           tensor.name() + "': " + buffer.getError().message();
  llvm::StringRef all = (*buffer)->getBuffer();
  uint64_t size = length ? *length : all.size() - std::min<uint64_t>(offset, all.size());
  if (offset > all.size() || size > all.size() - offset)
    return "external data of tensor '" + tensor.name() + "' lies outside '" +
           std::string(file) + "'";
  bytes.assign(all.data() + offset, size);
  return std::nullopt;
}

std::optional<std::string>
onnx_loader::readTensorBytes(const onnx::TensorProto &tensor,
                             llvm::StringRef baseDir, std::string &bytes) {
  bytes.clear();
  int type = tensor.data_type();
  size_t elemSize = elementSize(type);
  if (elemSize == 0)
    return "tensor '" + tensor.name() + "' has element type " +
           onnx::TensorProto_DataType_Name(
               static_cast<onnx::TensorProto_DataType>(type)) +
           ", which tfm does not support";
  uint64_t count = 1;
  for (int64_t d : tensor.dims()) {
    if (d < 0)
      return "tensor '" + tensor.name() + "' has a negative extent";
    count *= static_cast<uint64_t>(d);
  }
  if (tensor.data_location() == onnx::TensorProto_DataLocation_EXTERNAL) {
    if (auto err = readExternal(tensor, baseDir, bytes))
      return err;
  } else if (tensor.has_raw_data()) {
    bytes = tensor.raw_data();
  } else {
    switch (type) {
    case onnx::TensorProto_DataType_FLOAT:
      appendTyped<float>(tensor.float_data(), bytes);
      break;
    case onnx::TensorProto_DataType_DOUBLE:
      appendTyped<double>(tensor.double_data(), bytes);
      break;
    case onnx::TensorProto_DataType_INT64:
      appendTyped<int64_t>(tensor.int64_data(), bytes);
      break;
    case onnx::TensorProto_DataType_INT32:
      appendTyped<int32_t>(tensor.int32_data(), bytes);
      break;
    case onnx::TensorProto_DataType_INT16:
    case onnx::TensorProto_DataType_UINT16:
    case onnx::TensorProto_DataType_FLOAT16:
    case onnx::TensorProto_DataType_BFLOAT16:
      appendTyped<uint16_t>(tensor.int32_data(), bytes);
      break;
    default: // INT8, UINT8, BOOL
      appendTyped<uint8_t>(tensor.int32_data(), bytes);
      break;
    }
  }
  if (bytes.size() != count * elemSize)
    return "tensor '" + tensor.name() + "' holds " + std::to_string(bytes.size()) +
           " bytes of data, but its shape needs " + std::to_string(count * elemSize);
  return std::nullopt;
}

std::optional<std::string>
onnx_loader::parseTensorProto(llvm::StringRef contents, onnx::TensorProto &tensor) {
  if (contents.size() > static_cast<size_t>(INT32_MAX) ||
      !tensor.ParseFromArray(contents.data(), static_cast<int>(contents.size())))
    return std::string("not a serialised ONNX TensorProto");
  return std::nullopt;
}
