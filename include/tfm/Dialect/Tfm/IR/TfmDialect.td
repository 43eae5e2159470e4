//===- TfmDialect.td - tfm dialect definition --------------*- tablegen -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_IR_TFMDIALECT_TD
#define TFM_DIALECT_TFM_IR_TFMDIALECT_TD

include "mlir/IR/OpBase.td"

def Tfm_Dialect : Dialect {
  let name = "tfm";
  let cppNamespace = "::mlir::tfm";
  let summary = "Transformer-level operations: attention, linear, norm, blocks";
  let description = [{
    The `tfm` dialect models transformer models at the level their authors
    think in: linear projections, multi-head attention with heads merged in
    the last dimension, normalisation, activations, residual sums with gains,
    embeddings, rotary position embeddings, and whole blocks tagged with
    their architecture (pre-LN, post-LN, parallel, SAS, SAS-P).

    All ops have value semantics on ranked tensors. Batch and sequence
    dimensions may be dynamic; feature dimensions that an op's structure
    depends on (head widths, weight shapes) are checked whenever they are
    static. Weights are ordinary SSA values, usually `arith.constant` ops
    holding `dense_resource` blobs.
  }];
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // TFM_DIALECT_TFM_IR_TFMDIALECT_TD
