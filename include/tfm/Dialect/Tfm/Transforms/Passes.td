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
      `linalg.generic` contractions, and imported ONNX `MatMul` and `Gemm`
      nodes). A `tfm.attention` counts as attention, not as matmuls.
    - `attention`: `tfm.attention` ops, plus graph-tier attention left
      unraised: a `linalg.softmax` or ONNX `Softmax` fed by a contraction
      whose result feeds a contraction.
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

def TfmFoldOnnxShapes : Pass<"tfm-fold-onnx-shapes"> {
  let summary = "Fold the run-time shape arithmetic of imported ONNX graphs";
  let description = [{
    Exporters compute shapes at run time (`Shape` -> `Gather` -> `Unsqueeze`
    -> `Concat` -> `Reshape`). This pass gives every extent a symbolic value
    (a monomial over the unknown extents, which are named after the ONNX
    `dim_param`s where the graph inputs have them) and then:

    - replaces a shape computation whose value is constant by a constant;
    - rewrites a `Reshape` target that is known symbolically into a constant
      in ONNX's own encoding (0 copies an input extent, -1 is inferred);
    - refines `tfm.onnx_node` result types with extents that are known
      (a head split `[?, ?, ?, 16]` becomes `[?, ?, 4, 16]`);
    - erases the shape arithmetic that is left dead.

    The rewrites are exact for every input the model accepts.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TfmRaiseOnnx : Pass<"tfm-raise-onnx"> {
  let summary = "Recognise transformer layers in imported ONNX graphs";
  let description = [{
    Rewrites `tfm.onnx_node` subgraphs into `tfm` ops; what it does not
    recognise stays in the graph tier, where it remains executable:

    - `tfm.linear`: `MatMul` by a constant 2-D weight (plus a constant bias
      `Add`), `Gemm` (transposed, scaled weights folded into constants), and
      the `Reshape`s exporters put around a 2-D `Gemm`;
    - `tfm.norm`: `LayerNormalization`, and the decomposed layer norm and
      RMSNorm forms (`ReduceMean`, `Sub`, `Pow`, `Sqrt`, `Div` or
      `Reciprocal`/`Mul`, with the scale and shift that follow);
    - `tfm.activation`: erf and tanh GELU written out, SiLU `x·σ(x)` and
      its gated form `SiLU(g)·u`, `Relu`;
    - `tfm.embedding`: `Gather` of a constant table;
    - `tfm.attention`: `Softmax` over `Q·Kᵀ` with scalar scales (on the
      scores or split over Q and K), additive and `Where` masks (recognised
      as causal by evaluating the mask subgraph for several sequence
      lengths), GQA `repeat_kv`, explicit key/value bias slots concatenated
      in front of K and V, and shaped attention `α·I + β·softmax − γ·C`;
      rotary embeddings on Q and K are kept in the graph tier before the
      heads are merged;
    - `tfm.residual`: sums of a residual stream and branch outputs with
      constant gains.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def TfmFormBlocks : Pass<"tfm-form-blocks"> {
  let summary = "Group each transformer layer into a tfm.block and classify its kind";
  let description = [{
    Finds the residual stream (the chain of values joined by
    `tfm.residual` and post-LN norms around each `tfm.attention`), cuts it
    into one region per attention layer, moves each layer's ops into a
    `tfm.block` and sets its kind from the structure it holds:
    `pre_ln`, `post_ln`, `parallel` (attention and MLP read the same
    normalised input and join in one residual), `sas` / `sas_p` (shaped
    attention without / with a parallel MLP), or `unknown`. Layers are
    numbered from 0 in stream order.
  }];
}

def TfmFuseParallelBranches : Pass<"tfm-fuse-parallel-branches", "::mlir::ModuleOp"> {
  let summary = "Fuse the GEMMs of parallel attention/MLP branches";
  let description = [{
    Pass B of PASSES.md §3.b, with the norm-affine fold A7 as its enabler:

    - a `tfm.norm` with a constant scale `g` / shift `b` whose users are all
      `tfm.linear`s with constant weights is made affine-free, each linear
      taking `W' = diag(g)·W`, `b' = b·W + b_W`; affine-free norms of the
      same input, kind and epsilon in one block then become one value
      (GPT-NeoX's two LayerNorms);
    - `tfm.linear`s in one block reading the very same SSA value with
      constant weights of one element type and K become one linear over
      the weights concatenated along N (missing biases are zeros) and a
      `tensor.extract_slice` per original result (Q/K/V, GQA widths, and
      the MLP up/gate projections);
    - in `parallel` and `sas_p` blocks only, a `tfm.residual` whose branches
      are constant-weight linears used only by it becomes
      `linear(concat(a, m), [β₁·W₁ ; β₂·W₂], β₁·b₁ + β₂·b₂)`; the residual
      keeps the skip with its α.

    Weights are copied into new constants, so a weight shared with other
    users stays valid. Each block (or function without blocks) gets a
    remark: the linears fused and the GEMM count before and after.
    The rewrites are exact in real arithmetic (class E1).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

def TfmFoldIdentityWeights : Pass<"tfm-fold-identity-weights"> {
  let summary = "Fold value and projection weights that are (a multiple of) the identity";
  let description = [{
    He & Hofmann (2023): in simplified transformer blocks the value and
    projection weights are the identity (SAS, SAS-P) or close to it. A
    `tfm.linear` whose constant weight is exactly `c·I` (weight expressions
    such as `α·W + β·I` are constants after `tfm-fold-onnx-shapes`; shared
    initializers are compared by value) disappears:

    - a value projection `c·I` feeding an attention whose result feeds a
      constant output projection scales that projection (`W_P' = c·W_P`:
      attention is linear in its values); its bias moves into the output
      bias, `b_P' = b_P + Σ_h s_h·b_V,h·W_P[h]`, only where every attention
      row provably sums to `s_h` (1 for softmax attention without a mask,
      `α_h + β_h − γ_h` for shaped attention; never with key/value bias
      slots, whose share of each row depends on the query);
    - a branch `c·x` of a `tfm.residual` becomes the gain `β·c`;
    - otherwise `c·x + b` stays as elementwise graph-tier ops.

    With a single head (H = Hkv = 1), a general value projection and the
    output projection merge into one weight `W_V·W_P` where that removes
    work (`d·n < d·dv + dv·n` MACs per token); with H > 1 a head's product
    has rank at most the head width and cannot replace the two GEMMs.

    Each fold is reported as a remark with `‖W − c·I‖_F / ‖W‖_F`.
    `tolerance=ε` (opt-in, default 0: exact only) also folds weights within
    that relative distance of `c·I`, with `c` the mean of the diagonal; that
    changes the model's outputs and the remarks say by how much per weight.
  }];
  let options = [
    Option<"tolerance", "tolerance", "double", /*default=*/"0.0",
           "Also fold weights with ||W - cI||_F / ||W||_F at most this (approximate)">,
  ];
}

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
