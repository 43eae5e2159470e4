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

def TfmFoldResidualGains : Pass<"tfm-fold-residual-gains", "::mlir::ModuleOp"> {
  let summary = "Fold a residual branch's gain into the linear that computes it";
  let description = [{
    A branch `β·linear(x, W, b)` of a `tfm.residual`, whose linear has
    constant weights and is read by that residual only, becomes
    `linear(x, β·W, β·b)` with gain 1. The gains of He & Hofmann's SAS and
    SAS-P blocks (`β_FF`, 0.1 in their 18-layer models) and gains that
    `tfm-fold-identity-weights` moved into the residual then cost nothing:
    the sum is a plain add, which a GEMM's residual epilogue can do.

    The rewrite is exact in real arithmetic (class E1 of PASSES.md); each
    scaled weight is rounded once to its element type, which changes
    nothing when β is a power of two. A shared weight is copied, not
    changed. Each fold is reported as a remark saying whether every scaled
    element was exact.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
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

//===----------------------------------------------------------------------===//
// Massive activations (Sun et al. 2024). These passes compile and run a copy
// of the model on the CPU (in a context of their own), so they live in the
// TfmCalibration library.
//===----------------------------------------------------------------------===//

def TfmFindMassiveActivations
    : Pass<"tfm-find-massive-activations", "::mlir::ModuleOp"> {
  let summary = "Find massive activations in the residual stream by running the model";
  let description = [{
    Runs the entry function on the CPU over calibration sequences (batch 1
    each) and records the output of every top-level `tfm.block` (the
    residual stream after each layer; layer 0 is the output of the first
    block, so run `--tfm-raise` first on imported models). An activation
    `a` of the hidden state `h` [T, D] of one sequence is *massive* (Sun et
    al. 2024, §2) when `|a| > magnitude` and `|a| ≥ ratio · median(|h|)`.

    Calibration sequences come from `calibration=IDS.npy` (int64 [N, T]) or
    are `sequences` seeded random sequences of `length` tokens whose first
    token is `first-token` (when given). Position-id arguments get 0..T-1.

    Each (layer, token position, feature dim) flagged in at least one
    sequence is reported, with the mean and standard deviation of its value
    over the sequences that flag it, how many do, and the token ids at that
    position there. Per layer, the profile of the paper's Figure 2: the
    top-3 magnitudes and the median magnitude, averaged over the sequences.
    When nothing meets the criterion the report names the strongest
    candidate (largest |a| / median) and says it is below the threshold.

    Output: remarks on the blocks, `report=OUT.json`:
    ```json
    {"massive": [{"layer": 1, "token": 0, "dim": 7, "mean": 2431.2,
                  "std": 0.4, "count": 8, "token_ids": [1]}, ...],
     "layers": [{"layer": 0, "top": [a, b, c], "median": m}, ...],
     "criterion": {"magnitude": 100, "ratio": 1000},
     "sequences": 8, "length": 64,
     "strongest": {"layer": l, "token": t, "dim": d, "magnitude": x,
                   "ratio": r, "massive": false}}
    ```
    and with `plot=PROFILE.svg` the layer-wise profile as an SVG line chart
    (log scale). The module is not modified.
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "Function to run">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "int64 .npy file of token ids [N, T] to run on">,
    Option<"firstToken", "first-token", "int64_t", /*default=*/"-1",
           "First token of the random sequences (e.g. BOS); -1: random too">,
    Option<"sequences", "sequences", "int64_t", /*default=*/"8",
           "Number of random calibration sequences">,
    Option<"length", "length", "int64_t", /*default=*/"64",
           "Length of the random calibration sequences">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "Seed of the random calibration sequences">,
    Option<"magnitude", "magnitude", "double", /*default=*/"100.0",
           "An activation must exceed this magnitude">,
    Option<"ratio", "ratio", "double", /*default=*/"1000.0",
           "... and be at least this many times the median |a| of its hidden state">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "Write the JSON report to this file ('-': stdout)">,
    Option<"plot", "plot", "std::string", /*default=*/"\"\"",
           "Draw the layer-wise profile to this .svg file">,
  ];
}

def TfmMassiveActivationsToBias
    : Pass<"tfm-massive-activations-to-bias", "::mlir::ModuleOp"> {
  let summary = "Turn a fixed first token's massive activations into explicit attention bias";
  let description = [{
    `mode=exact` (default; needs `first-token=ID`): in a causal model whose
    first token is always `ID` (BOS, or a learned sink), position 0's hidden
    states, and so its keys (after rotary, the identity at position 0) and
    values in every layer, are constants. The pass computes them by running
    the model on `[ID]`, appends them to every attention's key/value bias
    slots, and drops the token from the runtime sequence: the rewritten
    entry takes `ids[:, 1:]` (and position ids `[:, 1:]`, unchanged values)
    and returns the outputs of tokens 1..T. Position-dependent inputs of
    the remaining tokens (rotary tables, position embeddings, masks) are
    computed for the full sequence and sliced, so tokens keep their absolute
    positions; a mask's column for token 0 becomes the `bias_mask` of the
    new slot, so sliding windows still hide it from distant queries. Exact
    up to float summation order (PASSES.md §3.c, class E1).

    Preconditions, each reported as an error naming the op when it fails
    (the module is then left unchanged):
    - every attention is causal: the `causal` attribute, or a mask that
      hides every later key (checked by running the model) and does not
      depend on the token ids; no shaped attention (its uniform term mixes
      token 0 into every row);
    - the first token is fixed: `first-token` is given; the entry has no
      padding-mask argument (left padding would move the token);
    - the ops between the embedding and the outputs act on each token
      separately, apart from the attentions.

    `mode=approximate` (opt-in, any model): finds massive activations as
    `tfm-find-massive-activations` does (same calibration options) and
    replaces them, at the layer where each first appears, by their
    calibration means, for every token position flagged in at least half of
    the calibration sequences except a fixed first token's (which
    `mode=exact` handles). The change is not exact:
    the pass runs the original and the rewritten model on `holdout` fresh
    random sequences and reports the largest output error (remark, and
    `report=OUT.json`).

    `negative-control=restart-positions|ignore-window` deliberately breaks
    the exact rewrite (tokens restart at position 0; the window no longer
    hides the slot): for tests that prove a comparison can catch either.
  }];
  let options = [
    Option<"entry", "entry", "std::string", /*default=*/"\"main\"",
           "Function to rewrite">,
    Option<"mode", "mode", "std::string", /*default=*/"\"exact\"",
           "exact (fixed first token into bias slots) or approximate (set to calibration means)">,
    Option<"firstToken", "first-token", "int64_t", /*default=*/"-1",
           "The fixed first token (exact mode: required)">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"\"",
           "approximate: int64 .npy file of token ids [N, T]">,
    Option<"sequences", "sequences", "int64_t", /*default=*/"8",
           "approximate: number of random calibration sequences">,
    Option<"length", "length", "int64_t", /*default=*/"64",
           "approximate: length of the calibration and held-out sequences">,
    Option<"seed", "seed", "uint64_t", /*default=*/"0",
           "approximate: seed of the random sequences">,
    Option<"holdout", "holdout", "int64_t", /*default=*/"4",
           "approximate: held-out random sequences to measure the error on">,
    Option<"magnitude", "magnitude", "double", /*default=*/"100.0",
           "approximate: massive-activation magnitude threshold">,
    Option<"ratio", "ratio", "double", /*default=*/"1000.0",
           "approximate: massive-activation ratio to the median">,
    Option<"report", "report", "std::string", /*default=*/"\"\"",
           "approximate: write what was replaced and the measured error here">,
    Option<"negativeControl", "negative-control", "std::string", /*default=*/"\"\"",
           "Testing only: restart-positions or ignore-window breaks the exact rewrite">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def TfmConvertPrecision : Pass<"tfm-convert-precision", "::mlir::ModuleOp"> {
  let summary = "Compute an f32 model's transformer ops in bf16 or f16";
  let description = [{
    Mixed-precision inference for a model exported in f32: every transformer
    op (`tfm.linear`, `attention`, `norm`, `activation`, `residual`,
    `embedding`, `rotary`) computes in `precision`, with the accumulation
    and statistics of its lowering in f32 as for a model exported in that
    type. Its f32 tensor operands are truncated (constant weights are
    converted once, at compile time) and its results extended back to f32
    where an op that stays f32 reads them; the casts then cancel between
    converted ops, also across `tfm.block` boundaries and across pure data
    movement (slices of a fused projection, reshapes, concatenations, the
    ONNX `Split`/`Reshape`/... nodes raising left), so the residual stream
    flows in `precision` from block to block. Everything else (position and
    mask arithmetic, rotary tables' angles, the entry's arguments and
    results) stays f32: the compiled model has the same interface.

    Float attention masks are truncated with saturation: a finite mask
    value (such as the f32 minimum HF uses for padding) stays finite
    instead of becoming -inf, so a fully masked row averages rather than
    turning the whole sequence into NaN.

    Warns when the module has no f32 transformer op (the model is not
    raised, or already computes in a narrow type).
  }];
  let options = [
    Option<"precision", "precision", "std::string", /*default=*/"\"bf16\"",
           "The compute type of transformer ops: bf16 or f16">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

#endif // TFM_DIALECT_TFM_TRANSFORMS_PASSES_TD
