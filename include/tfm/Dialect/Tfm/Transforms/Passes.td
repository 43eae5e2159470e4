//===- Passes.td - tfm dialect passes ----------------------*- tablegen -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
#define TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def TfmStats : Pass<"tfm-stats", "::mlir::ModuleOp"> {
  let summary = "Print model statistics as one JSON object per module";
  let description = [{
    Counts what a transformer model costs and how it is structured, at any
    tier (graph tier after ONNX import, the `tfm` tier, or a mix), and
    writes one JSON object per module, on one line:
    ```json
    {"parameters": N, "matmuls": N, "attention": N,
     "blocks": {"pre_ln": n, "post_ln": n, "parallel": n, "sas": n,
                "sas_p": n, "unknown": n}}
    ```
    - `parameters`: elements of the distinct weight constants. A weight
      constant is a constant of floating-point tensor type with more than
      one element, or any floating-point tensor constant used as a weight
      operand of a tfm op (linear weight/bias, norm scale/shift, embedding
      table, bias slots). Constants used only as rotary cos/sin tables or
      as attention masks are buffers, not parameters. Two constant ops
      holding the same attribute (or the same resource blob) count once.
    - `matmuls`: `tfm.linear` ops plus every remaining matrix-multiply op
      (linalg contractions such as `linalg.matmul`, `linalg.batch_matmul`,
      `linalg.generic` contractions). A `tfm.attention` counts as
      attention, not as matmuls.
    - `attention`: `tfm.attention` ops, plus graph-tier attention left
      unraised: a `linalg.softmax` fed by a contraction whose result
      feeds a contraction.
    - `blocks`: `tfm.block` ops by kind.

    The pass does not modify the IR.
  }];
  let options = [
    Option<"output", "output", "std::string", /*default=*/"\"-\"",
           "Where to write the JSON ('-' is stdout)">,
  ];
}

def TfmOutlineBlocks : Pass<"tfm-outline-blocks", "::mlir::ModuleOp"> {
  let summary = "Outline each tfm.block into a private function, sharing identical ones";
  let description = [{
    Replaces every `tfm.block` with a `func.call` to a private function
    that takes the block's inputs followed by the values its body captures
    from above (weights, masks, position tables), and returns what the
    block yields. Blocks whose outlined functions are identical (the usual
    case for a stack of layers whose weights are captured) share one
    function.

    Back ends run it first: LLVM optimises many small functions far faster
    than one function holding the whole stack (GPT-2-small: 72 s of JIT
    compilation before, a few seconds after), and a shared layer is
    compiled once.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect"];
}

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
