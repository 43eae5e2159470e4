//===- ImportONNX.cpp - ONNX model import ---------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The generic stage of ONNX import: one `tfm.onnx_node` per ONNX node, typed
// by ONNX shape inference, constants as `arith.constant`. Legalisation into
// upstream ops (convert-onnx-to-linalg) and raising into the tfm dialect
// (tfm-raise) are separate passes.
//
//===----------------------------------------------------------------------===//

#include "tfm/Target/ONNX/ImportONNX.h"

#include "OnnxLoader.h"

#include "tfm/Conversion/OnnxToLinalg/OnnxToLinalg.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::tfm;

namespace {

bool isDefaultDomain(llvm::StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

class OnnxImporter {
public:
  OnnxImporter(MLIRContext *context, const onnx::ModelProto &model,
               llvm::StringRef path, const OnnxImportOptions &options)
      : context(context), builder(context), model(model), path(path.str()),
        baseDir(llvm::sys::path::parent_path(path).str()), options(options) {}

  OwningOpRef<ModuleOp> import();

private:
  Location fileLoc() { return FileLineColLoc::get(context, path, 0, 0); }
  /// The node's name, or "<op type>#<index>" for an unnamed node.
  std::string nodeName(const onnx::NodeProto &node) {
    if (!node.name().empty())
      return node.name();
    return node.op_type() + "#" + std::to_string(nodeIndex);
  }
  Location nodeLoc(const onnx::NodeProto &node) {
    return NameLoc::get(StringAttr::get(context, nodeName(node)), fileLoc());
  }

  Type elementType(int dataType);
  /// The tensor type of an ONNX TypeProto; null (with an error) otherwise.
  Type tensorType(const onnx::TypeProto &type, Location loc,
                  llvm::StringRef what, SmallVectorImpl<Attribute> *dimNames);
  /// An elements attribute holding `tensor`; null (with an error) otherwise.
  ElementsAttr elementsAttr(const onnx::TensorProto &tensor, Location loc);
  /// The ONNX attributes of `node` as a dictionary; failure on unsupported
  /// attribute kinds.
  FailureOr<DictionaryAttr> attributes(const onnx::NodeProto &node, Location loc);
  LogicalResult importConstantNode(const onnx::NodeProto &node, Location loc);
  LogicalResult importNode(const onnx::NodeProto &node);

  MLIRContext *context;
  OpBuilder builder;
  const onnx::ModelProto &model;
  std::string path;
  std::string baseDir;
  const OnnxImportOptions &options;

  std::map<std::string, int64_t> opsets;
  llvm::StringMap<const onnx::TypeProto *> declaredTypes;
  llvm::StringMap<Value> values;
  Value none;
  /// Position of the node being imported in the graph.
  int nodeIndex = 0;
  /// Unsupported nodes, counted by "domain::op_type".
  llvm::StringMap<unsigned> unsupported;
};

} // namespace

Type OnnxImporter::elementType(int dataType) {
  switch (dataType) {
  case onnx::TensorProto_DataType_FLOAT:
    return builder.getF32Type();
  case onnx::TensorProto_DataType_DOUBLE:
    return builder.getF64Type();
  case onnx::TensorProto_DataType_FLOAT16:
    return builder.getF16Type();
  case onnx::TensorProto_DataType_BFLOAT16:
    return builder.getBF16Type();
  case onnx::TensorProto_DataType_INT64:
    return builder.getI64Type();
  case onnx::TensorProto_DataType_INT32:
    return builder.getI32Type();
  case onnx::TensorProto_DataType_INT16:
    return builder.getI16Type();
  case onnx::TensorProto_DataType_INT8:
    return builder.getI8Type();
  case onnx::TensorProto_DataType_BOOL:
    return builder.getI1Type();
  // Unsigned values inside the graph (an old GPT-2's uint8 tril buffer) are
  // widened to i32, which holds every value; arithmetic that wraps modulo
  // 2^8 or 2^16 is not modelled.
  case onnx::TensorProto_DataType_UINT8:
  case onnx::TensorProto_DataType_UINT16:
    return builder.getI32Type();
  default:
    return {};
  }
}

static bool isUnsignedType(int dataType) {
  return dataType == onnx::TensorProto_DataType_UINT8 ||
         dataType == onnx::TensorProto_DataType_UINT16;
}

static std::string dataTypeName(int dataType) {
  if (!onnx::TensorProto_DataType_IsValid(dataType))
    return "data type " + std::to_string(dataType);
  return onnx::TensorProto_DataType_Name(
      static_cast<onnx::TensorProto_DataType>(dataType));
}

Type OnnxImporter::tensorType(const onnx::TypeProto &type, Location loc,
                              llvm::StringRef what,
                              SmallVectorImpl<Attribute> *dimNames) {
  if (!type.has_tensor_type()) {
    emitError(loc) << what << " is not a tensor (sequence, map, optional and "
                   << "sparse values are not supported)";
    return {};
  }
  const onnx::TypeProto_Tensor &tensor = type.tensor_type();
  Type elem = elementType(tensor.elem_type());
  if (!elem) {
    emitError(loc) << what << " has element type "
                   << dataTypeName(tensor.elem_type())
                   << ", which tfm does not support";
    return {};
  }
  if (!tensor.has_shape())
    return UnrankedTensorType::get(elem);
  SmallVector<int64_t> shape;
  for (const onnx::TensorShapeProto_Dimension &dim : tensor.shape().dim()) {
    bool known = dim.has_dim_value() && dim.dim_value() >= 0;
    shape.push_back(known ? dim.dim_value() : ShapedType::kDynamic);
    if (dimNames)
      dimNames->push_back(StringAttr::get(
          context, !known && dim.has_dim_param() ? dim.dim_param() : ""));
  }
  return RankedTensorType::get(shape, elem);
}

ElementsAttr OnnxImporter::elementsAttr(const onnx::TensorProto &tensor,
                                        Location loc) {
  Type elem = elementType(tensor.data_type());
  if (!elem) {
    emitError(loc) << "tensor '" << tensor.name() << "' has element type "
                   << dataTypeName(tensor.data_type())
                   << ", which tfm does not support";
    return {};
  }
  if (tensor.has_segment()) {
    emitError(loc) << "tensor '" << tensor.name()
                   << "' is segmented, which tfm does not support";
    return {};
  }
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  auto type = RankedTensorType::get(shape, elem);
  std::string bytes;
  if (auto err = onnx_loader::readTensorBytes(tensor, baseDir, bytes)) {
    emitError(loc) << *err;
    return {};
  }
  int64_t count = type.getNumElements();
  size_t elemSize = onnx_loader::elementSize(tensor.data_type());
  if (isUnsignedType(tensor.data_type())) {
    std::string wide(count * sizeof(uint32_t), '\0');
    auto *dst = reinterpret_cast<uint32_t *>(wide.data());
    for (int64_t i = 0; i < count; ++i)
      dst[i] = elemSize == 1 ? static_cast<uint8_t>(bytes[i])
                             : reinterpret_cast<const uint16_t *>(bytes.data())[i];
    bytes = std::move(wide);
    elemSize = sizeof(uint32_t);
  }

  if (elem.isInteger(1)) {
    SmallVector<bool> bits;
    bits.reserve(count);
    for (char c : bytes)
      bits.push_back(c != 0);
    return DenseElementsAttr::get(type, bits);
  }
  if (count == 0)
    return DenseElementsAttr::get(type, ArrayRef<Attribute>());
  // A constant of one repeated value stays a compact splat at any size.
  bool splat = true;
  for (size_t i = elemSize; i < bytes.size() && splat; i += elemSize)
    splat = std::memcmp(bytes.data(), bytes.data() + i, elemSize) == 0;
  if (splat)
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(bytes.data(), elemSize));
  if (count <= options.inlineElementLimit)
    return DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(bytes.data(), bytes.size()));
  std::string blobName = tensor.name().empty() ? "onnx_tensor" : tensor.name();
  return DenseResourceElementsAttr::get(
      type, blobName,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(
          ArrayRef<char>(bytes.data(), bytes.size()), /*align=*/16));
}

FailureOr<DictionaryAttr> OnnxImporter::attributes(const onnx::NodeProto &node,
                                                   Location loc) {
  SmallVector<NamedAttribute> attrs;
  for (const onnx::AttributeProto &a : node.attribute()) {
    Attribute value;
    switch (a.type()) {
    case onnx::AttributeProto_AttributeType_INT:
      value = builder.getI64IntegerAttr(a.i());
      break;
    case onnx::AttributeProto_AttributeType_FLOAT:
      value = builder.getF32FloatAttr(a.f());
      break;
    case onnx::AttributeProto_AttributeType_STRING:
      value = builder.getStringAttr(a.s());
      break;
    case onnx::AttributeProto_AttributeType_INTS:
      value = builder.getDenseI64ArrayAttr(
          SmallVector<int64_t>(a.ints().begin(), a.ints().end()));
      break;
    case onnx::AttributeProto_AttributeType_FLOATS:
      value = builder.getDenseF32ArrayAttr(
          SmallVector<float>(a.floats().begin(), a.floats().end()));
      break;
    case onnx::AttributeProto_AttributeType_STRINGS: {
      SmallVector<Attribute> strings;
      for (const std::string &s : a.strings())
        strings.push_back(builder.getStringAttr(s));
      value = builder.getArrayAttr(strings);
      break;
    }
    case onnx::AttributeProto_AttributeType_TENSOR:
      value = elementsAttr(a.t(), loc);
      if (!value)
        return failure();
      break;
    default:
      return emitError(loc)
             << "attribute '" << a.name() << "' of " << node.op_type()
             << " node '" << nodeName(node)
             << "' is a graph, sparse tensor or type; tfm does not support "
                "subgraphs (If, Loop, Scan) or such attributes";
    }
    attrs.push_back(builder.getNamedAttr(a.name(), value));
  }
  return builder.getDictionaryAttr(attrs);
}

LogicalResult OnnxImporter::importConstantNode(const onnx::NodeProto &node,
                                               Location loc) {
  Attribute value;
  for (const onnx::AttributeProto &a : node.attribute()) {
    if (a.name() == "value") {
      value = elementsAttr(a.t(), loc);
      if (!value)
        return failure();
    } else if (a.name() == "value_float") {
      value = DenseElementsAttr::get(RankedTensorType::get({}, builder.getF32Type()),
                                     a.f());
    } else if (a.name() == "value_int") {
      value = DenseElementsAttr::get(RankedTensorType::get({}, builder.getI64Type()),
                                     static_cast<int64_t>(a.i()));
    } else if (a.name() == "value_floats") {
      SmallVector<float> v(a.floats().begin(), a.floats().end());
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(v.size())}, builder.getF32Type()),
          ArrayRef<float>(v));
    } else if (a.name() == "value_ints") {
      SmallVector<int64_t> v(a.ints().begin(), a.ints().end());
      value = DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(v.size())}, builder.getI64Type()),
          ArrayRef<int64_t>(v));
    } else {
      return emitError(loc) << "Constant node '" << nodeName(node) << "' holds a '"
                            << a.name() << "', which tfm does not support";
    }
  }
  if (!value || node.output_size() != 1)
    return emitError(loc) << "Constant node '" << nodeName(node)
                          << "' has no value or not exactly one output";
  auto op = arith::ConstantOp::create(builder, loc, cast<TypedAttr>(value));
  values[node.output(0)] = op.getResult();
  return success();
}

LogicalResult OnnxImporter::importNode(const onnx::NodeProto &node) {
  Location loc = nodeLoc(node);
  std::string domain = node.domain() == "ai.onnx" ? "" : node.domain();
  auto opset = opsets.find(domain);
  if (opset == opsets.end())
    return emitError(loc) << node.op_type() << " node '" << nodeName(node)
                          << "' is in domain '" << node.domain()
                          << "', which the model does not import";
  int64_t version = opset->second;

  if (isDefaultDomain(domain) && node.op_type() == "Constant")
    return importConstantNode(node, loc);

  // Report every unsupported node, then stop before building anything more.
  if (options.requireSupportedOps &&
      !isOnnxOpSupported(domain, node.op_type(), version)) {
    emitError(loc) << "ONNX node '" << nodeName(node) << "' is not supported: op type "
                   << node.op_type() << ", domain '"
                   << (domain.empty() ? "ai.onnx" : domain) << "', opset "
                   << version;
    ++unsupported[(domain.empty() ? "" : domain + "::") + node.op_type()];
    for (const std::string &out : node.output())
      if (!out.empty())
        values[out] = Value();
    return success();
  }

  SmallVector<Value> operands;
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      if (!none) {
        OpBuilder::InsertionGuard guard(builder);
        builder.setInsertionPointToStart(builder.getInsertionBlock());
        none = OnnxNoneOp::create(builder, fileLoc());
      }
      operands.push_back(none);
      continue;
    }
    auto it = values.find(in);
    if (it == values.end())
      return emitError(loc) << node.op_type() << " node '" << nodeName(node)
                            << "' reads '" << in << "', which nothing defines";
    if (!it->second) {
      // Downstream of an unsupported node (already reported): its outputs
      // are unavailable too.
      for (const std::string &out : node.output())
        if (!out.empty())
          values[out] = Value();
      return success();
    }
    operands.push_back(it->second);
  }

  SmallVector<Type> resultTypes;
  for (const std::string &out : node.output()) {
    if (out.empty()) {
      resultTypes.push_back(builder.getNoneType());
      continue;
    }
    auto it = declaredTypes.find(out);
    if (it == declaredTypes.end())
      return emitError(loc) << "ONNX shape inference gave no type for output '"
                            << out << "' of " << node.op_type() << " node '"
                            << nodeName(node) << "'";
    Type t = tensorType(*it->second, loc, "output '" + out + "'", nullptr);
    if (!t)
      return failure();
    resultTypes.push_back(t);
  }

  FailureOr<DictionaryAttr> attrs = attributes(node, loc);
  if (failed(attrs))
    return failure();
  auto op = OnnxNodeOp::create(
      builder, loc, resultTypes, operands, builder.getStringAttr(node.op_type()),
      builder.getStringAttr(domain), builder.getI64IntegerAttr(version),
      node.name().empty() ? StringAttr() : builder.getStringAttr(node.name()),
      attrs->empty() ? DictionaryAttr() : *attrs);
  for (auto [out, result] : llvm::zip(node.output(), op.getResults()))
    if (!out.empty())
      values[out] = result;
  return success();
}

OwningOpRef<ModuleOp> OnnxImporter::import() {
  const onnx::GraphProto &graph = model.graph();
  for (const auto &imp : model.opset_import())
    opsets[imp.domain() == "ai.onnx" ? "" : imp.domain()] = imp.version();
  if (!opsets.count("")) {
    emitError(fileLoc()) << "the model does not import the default ONNX domain";
    return {};
  }
  if (graph.sparse_initializer_size() != 0) {
    emitError(fileLoc()) << "sparse initializers are not supported";
    return {};
  }

  for (const auto &vi : graph.value_info())
    declaredTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.input())
    declaredTypes[vi.name()] = &vi.type();
  for (const auto &vi : graph.output())
    declaredTypes[vi.name()] = &vi.type();

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc());
  SmallVector<NamedAttribute> moduleAttrs;
  {
    SmallVector<NamedAttribute> imports;
    for (const auto &[domain, version] : opsets)
      imports.push_back(builder.getNamedAttr(domain.empty() ? "ai.onnx" : domain,
                                             builder.getI64IntegerAttr(version)));
    (*module)->setAttr("tfm.onnx_opsets", builder.getDictionaryAttr(imports));
    if (!model.producer_name().empty())
      (*module)->setAttr("tfm.onnx_producer",
                         builder.getStringAttr(model.producer_name() + " " +
                                               model.producer_version()));
  }

  // Graph inputs that have an initializer are constants (ONNX lets a caller
  // override them; tfm treats them as weights).
  llvm::StringSet<> initialized;
  for (const auto &init : graph.initializer())
    initialized.insert(init.name());

  SmallVector<Type> argTypes;
  SmallVector<DictionaryAttr> argAttrs;
  SmallVector<const onnx::ValueInfoProto *> args;
  bool ok = true;
  auto unsignedInterface = [&](const onnx::ValueInfoProto &vi, StringRef what) {
    if (!vi.type().has_tensor_type() || !isUnsignedType(vi.type().tensor_type().elem_type()))
      return false;
    emitError(fileLoc()) << what << " '" << vi.name() << "' has element type "
                         << dataTypeName(vi.type().tensor_type().elem_type())
                         << ", which tfm does not support at the model's interface "
                            "(unsigned values inside the graph are widened to i32)";
    return true;
  };
  for (const auto &vi : graph.output())
    if (unsignedInterface(vi, "graph output"))
      return {};
  for (const auto &vi : graph.input()) {
    if (initialized.contains(vi.name()))
      continue;
    if (unsignedInterface(vi, "graph input")) {
      ok = false;
      continue;
    }
    SmallVector<Attribute> dimNames;
    Type t = tensorType(vi.type(), fileLoc(), "graph input '" + vi.name() + "'",
                        &dimNames);
    if (!t) {
      ok = false;
      continue;
    }
    if (!isa<RankedTensorType>(t)) {
      emitError(fileLoc()) << "graph input '" << vi.name()
                           << "' has no shape; tfm needs every input's rank";
      ok = false;
      continue;
    }
    args.push_back(&vi);
    argTypes.push_back(t);
    SmallVector<NamedAttribute> attrs{
        builder.getNamedAttr("tfm.name", builder.getStringAttr(vi.name()))};
    if (llvm::any_of(dimNames, [](Attribute a) {
          return !cast<StringAttr>(a).getValue().empty();
        }))
      attrs.push_back(builder.getNamedAttr("tfm.dim_names",
                                           builder.getArrayAttr(dimNames)));
    argAttrs.push_back(builder.getDictionaryAttr(attrs));
  }
  if (!ok)
    return {};

  builder.setInsertionPointToEnd(module->getBody());
  auto fn = func::FuncOp::create(builder, fileLoc(), options.entryName,
                                 builder.getFunctionType(argTypes, {}));
  Block *body = fn.addEntryBlock();
  for (auto [i, vi] : llvm::enumerate(args)) {
    values[vi->name()] = body->getArgument(i);
    fn.setArgAttrs(i, argAttrs[i]);
  }
  builder.setInsertionPointToStart(body);

  for (const auto &init : graph.initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()), fileLoc());
    ElementsAttr attr = elementsAttr(init, loc);
    if (!attr)
      return {};
    values[init.name()] =
        arith::ConstantOp::create(builder, loc, cast<TypedAttr>(attr)).getResult();
  }

  for (const onnx::NodeProto &node : graph.node()) {
    if (failed(importNode(node)))
      return {};
    ++nodeIndex;
  }

  if (!unsupported.empty()) {
    unsigned total = 0;
    std::string kinds;
    for (const auto &entry : unsupported) {
      total += entry.second;
      kinds += (kinds.empty() ? "" : ", ") + entry.first().str() + " (" +
               std::to_string(entry.second) + ")";
    }
    emitError(fileLoc()) << total << " ONNX node" << (total == 1 ? " is" : "s are")
                         << " not supported: " << kinds;
    return {};
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &vi : graph.output()) {
    auto it = values.find(vi.name());
    if (it == values.end() || !it->second) {
      emitError(fileLoc()) << "graph output '" << vi.name()
                           << "' is not produced by any node";
      return {};
    }
    results.push_back(it->second);
    resultTypes.push_back(it->second.getType());
  }
  func::ReturnOp::create(builder, fileLoc(), results);
  fn.setType(builder.getFunctionType(argTypes, resultTypes));
  for (auto [i, vi] : llvm::enumerate(graph.output()))
    fn.setResultAttr(i, "tfm.name", builder.getStringAttr(vi.name()));
  if (none && none.use_empty())
    none.getDefiningOp()->erase();

  if (failed(verify(*module)))
    return {};
  return module;
}

OwningOpRef<ModuleOp> mlir::tfm::importOnnxBuffer(llvm::StringRef contents,
                                                  llvm::StringRef path,
                                                  MLIRContext *context,
                                                  const OnnxImportOptions &options) {
  context->loadDialect<TfmDialect, arith::ArithDialect, func::FuncDialect>();
  onnx::ModelProto model;
  if (auto err = onnx_loader::loadModel(path, contents, model)) {
    emitError(FileLineColLoc::get(context, path, 0, 0)) << *err;
    return {};
  }
  OnnxImporter importer(context, model, path, options);
  return importer.import();
}

OwningOpRef<ModuleOp> mlir::tfm::importOnnxFile(llvm::StringRef path,
                                                MLIRContext *context,
                                                const OnnxImportOptions &options) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                                   /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(UnknownLoc::get(context))
        << "cannot read '" << path << "': " << buffer.getError().message();
    return {};
  }
  return importOnnxBuffer((*buffer)->getBuffer(), path, context, options);
}

llvm::Expected<npy::Array> mlir::tfm::readOnnxTensorFile(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError("cannot read '" + path + "': " +
                                   buffer.getError().message());
  onnx::TensorProto tensor;
  if (auto err = onnx_loader::parseTensorProto((*buffer)->getBuffer(), tensor))
    return llvm::createStringError(path + ": " + *err);
  npy::Array array;
  switch (tensor.data_type()) {
  case onnx::TensorProto_DataType_FLOAT: array.dtype = npy::DType::F32; break;
  case onnx::TensorProto_DataType_DOUBLE: array.dtype = npy::DType::F64; break;
  case onnx::TensorProto_DataType_FLOAT16: array.dtype = npy::DType::F16; break;
  case onnx::TensorProto_DataType_BFLOAT16: array.dtype = npy::DType::BF16; break;
  case onnx::TensorProto_DataType_INT64: array.dtype = npy::DType::I64; break;
  case onnx::TensorProto_DataType_INT32: array.dtype = npy::DType::I32; break;
  case onnx::TensorProto_DataType_INT16: array.dtype = npy::DType::I16; break;
  case onnx::TensorProto_DataType_INT8: array.dtype = npy::DType::I8; break;
  case onnx::TensorProto_DataType_UINT8: array.dtype = npy::DType::U8; break;
  case onnx::TensorProto_DataType_BOOL: array.dtype = npy::DType::Bool; break;
  default:
    return llvm::createStringError(path + ": element type " +
                                   dataTypeName(tensor.data_type()) +
                                   " is not supported");
  }
  array.shape.assign(tensor.dims().begin(), tensor.dims().end());
  std::string bytes;
  if (auto err = onnx_loader::readTensorBytes(
          tensor, llvm::sys::path::parent_path(path), bytes))
    return llvm::createStringError(path + ": " + *err);
  array.data.assign(bytes.begin(), bytes.end());
  return array;
}
