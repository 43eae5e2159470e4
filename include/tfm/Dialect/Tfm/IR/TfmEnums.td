//===- TfmEnums.td - tfm enumerations ----------------------*- tablegen -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_IR_TFMENUMS_TD
#define TFM_DIALECT_TFM_IR_TFMENUMS_TD

include "mlir/IR/EnumAttr.td"
include "tfm/Dialect/Tfm/IR/TfmDialect.td"

def Tfm_NormKind : I32EnumAttr<"NormKind", "normalisation kind", [
    I32EnumAttrCase<"layer", 0>,
    I32EnumAttrCase<"rms", 1>]> {
  let cppNamespace = "::mlir::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_NormKindAttr : EnumAttr<Tfm_Dialect, Tfm_NormKind, "norm_kind">;

def Tfm_ActivationKind : I32EnumAttr<"ActivationKind", "activation function", [
    I32EnumAttrCase<"gelu", 0>,
    I32EnumAttrCase<"gelu_tanh", 1>,
    I32EnumAttrCase<"relu", 2>,
    I32EnumAttrCase<"silu", 3>,
    I32EnumAttrCase<"sigmoid", 4>]> {
  let cppNamespace = "::mlir::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_ActivationKindAttr
    : EnumAttr<Tfm_Dialect, Tfm_ActivationKind, "activation_kind">;

def Tfm_RotaryLayout : I32EnumAttr<"RotaryLayout", "rotary pair layout", [
    I32EnumAttrCase<"half", 0>,
    I32EnumAttrCase<"interleaved", 1>]> {
  let cppNamespace = "::mlir::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_RotaryLayoutAttr
    : EnumAttr<Tfm_Dialect, Tfm_RotaryLayout, "rotary_layout">;

def Tfm_BlockKind : I32EnumAttr<"BlockKind", "transformer block architecture", [
    I32EnumAttrCase<"pre_ln", 0>,
    I32EnumAttrCase<"post_ln", 1>,
    I32EnumAttrCase<"parallel", 2>,
    I32EnumAttrCase<"sas", 3>,
    I32EnumAttrCase<"sas_p", 4>,
    I32EnumAttrCase<"unknown", 5>]> {
  let cppNamespace = "::mlir::tfm";
  let genSpecializedAttr = 0;
}
def Tfm_BlockKindAttr : EnumAttr<Tfm_Dialect, Tfm_BlockKind, "block_kind">;

#endif // TFM_DIALECT_TFM_IR_TFMENUMS_TD
