//===- TfmOps.td - tfm operations --------------------------*- tablegen -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_DIALECT_TFM_IR_TFMOPS_TD
#define TFM_DIALECT_TFM_IR_TFMOPS_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "tfm/Dialect/Tfm/IR/TfmDialect.td"
include "tfm/Dialect/Tfm/IR/TfmEnums.td"

class Tfm_Op<string mnemonic, list<Trait> traits = []>
    : Op<Tfm_Dialect, mnemonic, traits>;

def Tfm_FloatTensor : RankedTensorOf<[AnyFloat]>;
def Tfm_IntTensor : RankedTensorOf<[AnySignlessInteger, Index]>;
def Tfm_MaskTensor : RankedTensorOf<[AnyFloat, I1]>;
def Tfm_PositiveI64 : ConfinedAttr<I64Attr, [IntPositive]>;

//===----------------------------------------------------------------------===//
// tfm.linear
//===----------------------------------------------------------------------===//

def Tfm_LinearOp : Tfm_Op<"linear", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "affine projection x·W + b over the last dimension";
  let description = [{
    ```
    input  : [d0, ..., dn, K]      (rank >= 1)
    weight : [K, N]
    bias   : [N]                   (optional)
    result : [d0, ..., dn, N]
    result[i..., n] = Σ_k input[i..., k] · weight[k, n] + bias[n]
    ```
    The weight is stored input-major ([K, N]), the layout of ONNX `MatMul`
    and of `Gemm` without `transB`. All operands share one element type.

    Example:
    ```mlir
    %y = tfm.linear %x, %w, %b
        : (tensor<?x128x768xf32>, tensor<768x3072xf32>, tensor<3072xf32>)
          -> tensor<?x128x3072xf32>
    ```

    Canonicalisation drops a bias that is a constant of zeros (exact).
  }];
  let arguments = (ins Tfm_FloatTensor:$input, Tfm_FloatTensor:$weight,
                       Optional<Tfm_FloatTensor>:$bias);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Contraction width K and output width N (ShapedType::kDynamic if unknown).
    int64_t getInFeatures() { return getWeight().getType().getDimSize(0); }
    int64_t getOutFeatures() { return getWeight().getType().getDimSize(1); }
  }];
}

//===----------------------------------------------------------------------===//
// tfm.attention
//===----------------------------------------------------------------------===//

def Tfm_AttentionOp : Tfm_Op<"attention", [Pure, AttrSizedOperandSegments,
    InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "multi-head scaled dot-product attention, heads merged in the last dim";
  let description = [{
    Heads are merged in the last dimension, so a fused QKV projection needs
    only slices, never transposes.
    ```
    query      : [B, Sq,  H·D]        H   = num_heads
    key        : [B, Skv, Hkv·D]      Hkv = num_kv_heads (default H); H % Hkv == 0
    value      : [B, Skv, Hkv·Dv]
    mask       : broadcastable to [B, H, Sq, Skv] (optional; rank 2 to 4)
                 float: added to the logits;  i1: true = visible
    key_bias   : [Hkv, P, D]          (optional, with value_bias)
    value_bias : [Hkv, P, Dv]
    bias_mask  : broadcastable to [B, H, Sq, P] (optional, needs key_bias;
                 rank 2 to 4) float: added to the slot logits;  i1: true = visible
    result     : [B, Sq, H·Dv]
    ```
    Query head `h` reads key/value head `g = h / (H / Hkv)` (GQA; MQA when
    Hkv = 1). With `s = scale` (default `1/sqrt(D)`), for every batch `b`
    and head `h`:
    ```
    Q = query[b, :, h·D : (h+1)·D]          [Sq, D]
    K = key[b, :, g·D : (g+1)·D]            [Skv, D]
    V = value[b, :, g·Dv : (g+1)·Dv]        [Skv, Dv]
    L = s · Q Kᵀ + M                        [Sq, Skv]
    ```
    `M` is the broadcast mask (additive, or 0 / -inf from a boolean mask)
    plus, when `causal` is set, -inf wherever key `j` lies after query `i`.
    Causal alignment is bottom-right: query `i` sits at position
    `i + Skv − Sq`, so a query sees the keys `j ≤ i + Skv − Sq`. A query
    that sees no key at all (a fully masked row) produces zeros.

    Explicit key/value bias slots (Sun et al. 2024) prepend `P` per-KV-head
    key/value pairs. `mask` covers only the `Skv` runtime keys and causal
    masking never applies to the slots; their visibility is set by
    `bias_mask` alone (absent: every slot is visible to every query):
    ```
    K' = [key_bias[g]; K]    V' = [value_bias[g]; V]
    L' = [s·Q key_bias[g]ᵀ + N, L]
    out[b, :, h·Dv : (h+1)·Dv] = softmax_row(L') · V'
    ```
    `N` is `bias_mask` broadcast to `[B, H, Sq, P]` like `mask` (right-aligned,
    size-1 dimensions broadcast): added as is when it is float, 0 / -inf
    when it is i1. A sliding window, for example, hides a slot that stands
    for a token the window has left. A row whose slots and runtime keys are
    all hidden produces zeros, as above.
    Shaped attention (He & Hofmann 2023) is selected by giving the per-head
    coefficients `alpha`, `beta` and `gamma` (all three, `H` entries each):
    ```
    A_h = α_h·I + β_h·softmax_row(L) − γ_h·C      out_h = A_h · V
    ```
    `C` is the uniform causal matrix (row `i` is `1/(i+1)` on the
    `i+1` visible keys) when `causal` is set and the uniform full matrix
    `1/Skv` otherwise; like the reference implementation it ignores `mask`.
    Shaped attention needs `Sq == Skv` (the identity term pairs query `i`
    with value row `i`) and takes no bias slots. For a query that sees no
    key the softmax term is zero while `α·I − γ·C` remain.

    Example:
    ```mlir
    %o = tfm.attention %q, %k, %v mask(%m)
        {num_heads = 8 : i64, num_kv_heads = 2 : i64, causal}
        : (tensor<?x?x512xf32>, tensor<?x?x128xf32>, tensor<?x?x128xf32>,
           tensor<?x1x1x?xi1>) -> tensor<?x?x512xf32>
    ```
  }];
  let arguments = (ins
    Tfm_FloatTensor:$query, Tfm_FloatTensor:$key, Tfm_FloatTensor:$value,
    Optional<Tfm_MaskTensor>:$mask,
    Optional<Tfm_FloatTensor>:$key_bias,
    Optional<Tfm_FloatTensor>:$value_bias,
    Optional<Tfm_MaskTensor>:$bias_mask,
    Tfm_PositiveI64:$num_heads,
    OptionalAttr<Tfm_PositiveI64>:$num_kv_heads,
    OptionalAttr<F64Attr>:$scale,
    UnitAttr:$causal,
    OptionalAttr<DenseF64ArrayAttr>:$alpha,
    OptionalAttr<DenseF64ArrayAttr>:$beta,
    OptionalAttr<DenseF64ArrayAttr>:$gamma);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $query `,` $key `,` $value
    (`mask` `(` $mask^ `)`)?
    (`kv_bias` `(` $key_bias^ `,` $value_bias `)`)?
    (`bias_mask` `(` $bias_mask^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Number of key/value heads (num_kv_heads, or num_heads when absent).
    int64_t getKvHeads() {
      return getNumKvHeads() ? static_cast<int64_t>(*getNumKvHeads())
                             : static_cast<int64_t>(getNumHeads());
    }
    /// Per-head query/key width D, or ShapedType::kDynamic.
    int64_t getHeadDim();
    /// Per-head value width Dv, or ShapedType::kDynamic.
    int64_t getValueHeadDim();
    /// The softmax scale: `scale` if given, else 1/sqrt(D) (D must be static).
    double getEffectiveScale();
    /// True when the shaped-attention coefficients are present.
    bool isShaped() { return getAlpha().has_value(); }
    /// True when explicit key/value bias slots are present.
    bool hasBiasSlots() { return static_cast<bool>(getKeyBias()); }
  }];
}

//===----------------------------------------------------------------------===//
// tfm.norm
//===----------------------------------------------------------------------===//

def Tfm_NormOp : Tfm_Op<"norm", [Pure, AttrSizedOperandSegments,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "layer or RMS normalisation over the last dimension";
  let description = [{
    ```
    input  : [..., N]      scale, shift : [N] (optional)      result : [..., N]
    layer: y = (x − mean(x)) / sqrt(var(x) + ε) · scale + shift
    rms:   y = x / sqrt(mean(x²) + ε) · scale + shift
    ```
    Statistics run over the last dimension; `var` is the biased (population)
    variance. A missing scale is 1, a missing shift 0. Implementations
    accumulate the statistics in f32 or wider.

    Example:
    ```mlir
    %y = tfm.norm rms %x scale(%g) {epsilon = 1.0e-06 : f64}
        : (tensor<?x?x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
    ```
    Canonicalisation drops a constant all-ones scale and an all-zero shift.
  }];
  let arguments = (ins Tfm_NormKindAttr:$kind, Tfm_FloatTensor:$input,
                       Optional<Tfm_FloatTensor>:$scale,
                       Optional<Tfm_FloatTensor>:$shift,
                       F64Attr:$epsilon);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input (`scale` `(` $scale^ `)`)? (`shift` `(` $shift^ `)`)?
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasCanonicalizer = 1;
}

//===----------------------------------------------------------------------===//
// tfm.activation
//===----------------------------------------------------------------------===//

def Tfm_ActivationOp : Tfm_Op<"activation", [Pure,
    AllTypesMatch<["input", "result"]>,
    OptionalTypesMatchWith<"gate and up types match", "input", "up", "$_self">]> {
  let summary = "elementwise activation, optionally gated (SwiGLU, GEGLU, ReGLU)";
  let description = [{
    ```
    input, up (optional), result : same shape and type
    gelu:      y = x · Φ(x) = x/2 · (1 + erf(x/√2))
    gelu_tanh: y = x/2 · (1 + tanh(√(2/π) · (x + 0.044715·x³)))
    relu:      y = max(x, 0)
    silu:      y = x · σ(x)
    sigmoid:   y = σ(x) = 1 / (1 + e^(−x))
    gated:     y = act(input) ⊙ up        (when `up` is given)
    ```
    SwiGLU is `silu` with `up`, GEGLU `gelu` with `up`, ReGLU `relu` with `up`.

    Example:
    ```mlir
    %h = tfm.activation silu %gate, %up : tensor<?x?x1408xf32>, tensor<?x?x1408xf32>
    ```
    `relu(relu(x))` folds to `relu(x)`.
  }];
  let arguments = (ins Tfm_ActivationKindAttr:$kind, Tfm_FloatTensor:$input,
                       Optional<Tfm_FloatTensor>:$up);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $kind $input (`,` $up^)? attr-dict `:` type($input) (`,` type($up)^)?
  }];
  let hasFolder = 1;
  let extraClassDeclaration = [{
    bool isGated() { return static_cast<bool>(getUp()); }
  }];
}

//===----------------------------------------------------------------------===//
// tfm.residual
//===----------------------------------------------------------------------===//

def Tfm_ResidualOp : Tfm_Op<"residual", [Pure, AttrSizedOperandSegments]> {
  let summary = "residual sum with gains: α·skip + Σ βᵢ·branchᵢ";
  let description = [{
    ```
    skip (optional), branches (1 or more), result : one tensor type
    y = α·skip + Σᵢ βᵢ·branchᵢ
    ```
    `alpha` (default 1) may only be given with a skip operand; `betas` has
    one entry per branch (default all 1). The gains are the α/β of He &
    Hofmann 2023: a pre-LN block has α = β = 1, a SAS attention sub-block
    has no skip, a SAS-P block sums two branches with no skip.

    Example:
    ```mlir
    %y = tfm.residual skip(%x) branches(%attn, %mlp)
        {betas = array<f64: 1.0, 1.000000e-01>}
        : (tensor<?x?x768xf32>, tensor<?x?x768xf32>, tensor<?x?x768xf32>)
          -> tensor<?x?x768xf32>
    ```
    Folds: a single unit-gain branch without skip is that branch.
    Canonicalisation drops zero-gain branches and a zero-gain skip.
  }];
  let arguments = (ins Optional<Tfm_FloatTensor>:$skip,
                       Variadic<Tfm_FloatTensor>:$branches,
                       OptionalAttr<F64Attr>:$alpha,
                       OptionalAttr<DenseF64ArrayAttr>:$betas);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    (`skip` `(` $skip^ `)`)? `branches` `(` $branches `)`
    attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// The skip gain α (1 when absent).
    double getSkipGain() { return getAlpha() ? getAlpha()->convertToDouble() : 1.0; }
    /// The gain βᵢ of branch `i` (1 when `betas` is absent).
    double getBranchGain(unsigned i) { return getBetas() ? (*getBetas())[i] : 1.0; }
  }];
}

//===----------------------------------------------------------------------===//
// tfm.embedding
//===----------------------------------------------------------------------===//

def Tfm_EmbeddingOp : Tfm_Op<"embedding", [Pure, InferTypeOpAdaptorWithIsCompatible]> {
  let summary = "table lookup: rows of a [V, D] table indexed by token ids";
  let description = [{
    ```
    ids    : [d0, ..., dn]   integer (any rank, including 0)
    table  : [V, D]
    result : [d0, ..., dn, D]
    result[i..., :] = table[ids[i...], :]
    ```
    Ids follow ONNX `Gather`: a negative id counts from the end (`id + V`).
    Ids outside `[-V, V)` have undefined results.

    Example:
    ```mlir
    %e = tfm.embedding %ids, %wte
        : (tensor<?x?xi64>, tensor<50257x768xf32>) -> tensor<?x?x768xf32>
    ```
  }];
  let arguments = (ins Tfm_IntTensor:$ids, Tfm_FloatTensor:$table);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $ids `,` $table attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// tfm.rotary
//===----------------------------------------------------------------------===//

def Tfm_RotaryOp : Tfm_Op<"rotary", [Pure, AllTypesMatch<["input", "result"]>,
    AllTypesMatch<["cos", "sin"]>]> {
  let summary = "rotary position embedding on heads merged in the last dim";
  let description = [{
    ```
    input  : [..., S, H·D]          H = num_heads
    cos    : [S, R/2] or [..., S, R/2]: S equals the input's sequence
             length; the dims before it are 1 or equal the input's
    sin    : same type as cos
    result : same type as input
    ```
    `R = rotary_dim` (default `D`, even, at most `D`). The first `R` lanes
    of every head are rotated in pairs `(a, b)` by the angle whose cosine
    and sine are `cos[s, p]`, `sin[s, p]`; the remaining `D − R` lanes
    (partial rotary, as in GPT-J / GPT-NeoX / Phi) pass through:
    ```
    a' = a·cos − b·sin        b' = b·cos + a·sin
    half:        pair p = (x[p], x[p + R/2])      (GPT-NeoX, Llama)
    interleaved: pair p = (x[2p], x[2p + 1])      (GPT-J, Meta Llama)
    ```
    The tables carry the positions, so any RoPE frequency schedule and any
    position offset is expressed by the caller.

    Example:
    ```mlir
    %r = tfm.rotary half %q, %cos, %sin {num_heads = 8 : i64, rotary_dim = 32 : i64}
        : (tensor<1x?x512xf32>, tensor<?x16xf32>, tensor<?x16xf32>)
          -> tensor<1x?x512xf32>
    ```
  }];
  let arguments = (ins Tfm_RotaryLayoutAttr:$layout, Tfm_FloatTensor:$input,
                       Tfm_FloatTensor:$cos, Tfm_FloatTensor:$sin,
                       Tfm_PositiveI64:$num_heads,
                       OptionalAttr<Tfm_PositiveI64>:$rotary_dim);
  let results = (outs Tfm_FloatTensor:$result);
  let assemblyFormat = [{
    $layout $input `,` $cos `,` $sin attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Per-head width D, or ShapedType::kDynamic.
    int64_t getHeadDim();
    /// Rotated lanes per head: rotary_dim, else D.
    int64_t getRotatedDim();
  }];
}

//===----------------------------------------------------------------------===//
// tfm.block and tfm.yield
//===----------------------------------------------------------------------===//

def Tfm_BlockOp : Tfm_Op<"block", [SingleBlock, RecursiveMemoryEffects]> {
  let summary = "one transformer block, tagged with its architecture";
  let description = [{
    A region holding the ops of one transformer block. The block's inputs
    (usually the residual stream) are the operands, bound to the entry
    block's arguments; weights and other constants may be captured from
    above. `tfm.yield` returns the block's results.
    ```
    kind: pre_ln    x' = x + MHA(Norm(x));  y = x' + MLP(Norm(x'))
          post_ln   x' = Norm(x + MHA(x));  y = Norm(x' + MLP(x'))
          parallel  y = x + MHA(Norm(x)) + MLP(Norm(x))
          sas       x' = β_SA·MHÃ(Norm(x)); y = x' + β_FF·MLP(Norm(x'))
          sas_p     y = β_SA·MHÃ(Norm(x)) + β_FF·MLP(Norm(x))
          unknown   anything else
    ```
    `layer` is the block's position in the stack, counted from 0.

    Example:
    ```mlir
    %y = tfm.block pre_ln (%x) {layer = 0 : i64}
        : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32> {
    ^bb0(%arg0: tensor<?x?x64xf32>):
      ...
      tfm.yield %out : tensor<?x?x64xf32>
    }
    ```
  }];
  let arguments = (ins Tfm_BlockKindAttr:$kind, Variadic<AnyType>:$inputs,
                       OptionalAttr<ConfinedAttr<I64Attr, [IntNonNegative]>>:$layer);
  let results = (outs Variadic<AnyType>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $kind `(` $inputs `)` attr-dict `:` functional-type($inputs, results) $body
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The terminator of the body.
    YieldOp getYield();
  }];
}

def Tfm_YieldOp : Tfm_Op<"yield", [Pure, ReturnLike, Terminator,
    HasParent<"BlockOp">]> {
  let summary = "returns the results of a tfm.block";
  let arguments = (ins Variadic<AnyType>:$values);
  let assemblyFormat = "attr-dict ($values^ `:` type($values))?";
  let builders = [OpBuilder<(ins), [{ /* nothing to yield */ }]>];
}

//===----------------------------------------------------------------------===//
// Imported ONNX nodes (the generic stage of ONNX import)
//===----------------------------------------------------------------------===//

def Tfm_OnnxNodeOp : Tfm_Op<"onnx_node", [Pure]> {
  let summary = "one ONNX node as imported, before legalisation";
  let description = [{
    `tfm-translate --import-onnx` imports every ONNX node as one `tfm.onnx_node`
    that keeps the node's operator type, domain, the opset version the model
    imports that domain at, the node name, and its ONNX attributes
    (`onnx_attrs`: INT as i64, FLOAT as f32, STRING as a string, INTS as
    `array<i64>`, FLOATS as `array<f32>`, STRINGS as an array of strings,
    TENSOR as elements). An absent optional input is the value of a
    `tfm.onnx_none`; an unnamed optional output has type `none`.

    `tfm-raise` rewrites transformer structure made of these nodes into `tfm`
    ops; `convert-onnx-to-linalg` legalises whatever remains into upstream
    tensor, linalg, arith and math ops, per operator type and opset version.

    Example:
    ```mlir
    %y = tfm.onnx_node "Softmax"(%x) <{node_name = "/h.0/attn/Softmax",
        onnx_attrs = {axis = -1 : i64}, version = 17 : i64}>
        : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<AnyType>:$inputs, StrAttr:$op_type,
                       DefaultValuedStrAttr<StrAttr, "">:$domain,
                       ConfinedAttr<I64Attr, [IntPositive]>:$version,
                       OptionalAttr<StrAttr>:$node_name,
                       OptionalAttr<DictionaryAttr>:$onnx_attrs);
  let results = (outs Variadic<AnyType>:$outputs);
  let assemblyFormat = [{
    $op_type `(` $inputs `)` prop-dict attr-dict `:` functional-type($inputs, results)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// Input `i`, or a null value when it is absent (past the end or `none`).
    Value getInput(unsigned i);
    /// ONNX attribute `name`, or null.
    Attribute getOnnxAttr(StringRef name);
    int64_t getIntAttr(StringRef name, int64_t defaultValue);
    double getFloatAttr(StringRef name, double defaultValue);
    StringRef getStringAttr(StringRef name, StringRef defaultValue);
    /// INTS attribute `name`, if present.
    std::optional<SmallVector<int64_t>> getIntsAttr(StringRef name);
    /// Whether the node is in ONNX's default domain ("" or "ai.onnx").
    bool isDefaultDomain();
    /// A Transpose's `perm`, or its default (the dimensions reversed).
    SmallVector<int64_t> getTransposePerm(int64_t rank);
    /// Whether a Dropout drops at random: false in inference mode (opset < 7
    /// with `is_test` set; opsets 7-11; no `training_mode` input or a
    /// constant false one from opset 12), where it is the identity on its
    /// first result; nullopt when `training_mode` is not a constant.
    std::optional<bool> getDropoutTrainingMode();
    /// The node as diagnostics name it (see describeOnnxNode).
    std::string describe();
  }];
}

def Tfm_OnnxNoneOp : Tfm_Op<"onnx_none", [Pure]> {
  let summary = "the value of an absent optional ONNX input";
  let results = (outs NoneType:$result);
  let assemblyFormat = "attr-dict";
}

#endif // TFM_DIALECT_TFM_IR_TFMOPS_TD
