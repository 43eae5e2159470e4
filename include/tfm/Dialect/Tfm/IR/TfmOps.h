//===- TfmOps.h - tfm operations ----------------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_IR_TFMOPS_H
#define TFM_DIALECT_TFM_IR_TFMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "tfm/Dialect/Tfm/IR/TfmDialect.h"

#include "tfm/Dialect/Tfm/IR/TfmEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmAttrs.h.inc"

namespace mlir::tfm {
class YieldOp;
} // namespace mlir::tfm

#define GET_OP_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOps.h.inc"

namespace mlir::tfm {

/// Whether `domain` is ONNX's default domain ("" or "ai.onnx").
bool isDefaultOnnxDomain(StringRef domain);

/// "ONNX node 'NAME' (op type 'T', domain 'D', opset N)", the default domain
/// spelt ai.onnx and the name left out when empty: how diagnostics name a
/// node, in the importer and after it.
std::string describeOnnxNode(StringRef nodeName, StringRef opType,
                             StringRef domain, int64_t version);

/// The tfm.embedding that `ids` index, directly or through the Reshape,
/// Cast, Identity, Squeeze or Unsqueeze nodes exporters put in between (the
/// table's rows bound the token ids).
EmbeddingOp tokenEmbedding(Value ids);

} // namespace mlir::tfm

#endif // TFM_DIALECT_TFM_IR_TFMOPS_H
