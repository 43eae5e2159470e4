//===- AttentionParts.h - recognising parts of exported attention -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Masks, identity and uniform matrices are computed in the graph from the
// sequence length in many different ways (Range + LessOrEqual, Trilu, a
// sliced tril buffer, EyeLike, cumulative sums). Rather than matching each
// way, these helpers evaluate the subgraph that computes such a value for
// several sequence lengths (batch 1) with a small interpreter and compare
// the result with the matrix it should be. A subgraph that reads model
// inputs (a padding mask) cannot be evaluated and is left as it is.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_ATTENTIONPARTS_H
#define TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_ATTENTIONPARTS_H

#include "SymbolicShapes.h"

#include "mlir/IR/Value.h"

#include <optional>
#include <vector>

namespace mlir::tfm {

enum class MaskKind {
  /// Not recognised (or depends on model inputs): keep it as a mask.
  Other,
  /// Key j is visible to query i iff j <= i.
  Causal,
  /// The first `prefix` keys are visible to all; key prefix + j is visible
  /// to query i iff j <= i.
  CausalAfterPrefix,
};

/// Classifies an attention mask (additive: 0 visible, <= -1e4 masked;
/// boolean: true visible) with `prefix` leading bias keys.
MaskKind classifyMask(Value mask, SymbolicShapes &shapes, int64_t prefix);

/// Shaped attention (He & Hofmann 2023): `combined` = α·I + β·probs − γ·C.
struct ShapedCoefficients {
  Value combined;
  std::vector<double> alpha, beta, gamma;
  /// C is the causal uniform matrix (else the full uniform one).
  bool causal = false;
};
std::optional<ShapedCoefficients> matchShapedAttention(Value probs,
                                                       SymbolicShapes &shapes);

/// K or V [B, Hkv·r, S, D] built by HF's repeat_kv from [B, Hkv, S, D]
/// (Unsqueeze -> Expand -> Reshape): the unrepeated value, or null.
Value repeatedKv(Value bhsd, SymbolicShapes &shapes);

/// Explicit key/value bias slots: K = Concat(kb, k) and V = Concat(vb, v)
/// along the sequence axis with kb, vb broadcast from constants.
struct KvBiasSlots {
  int64_t count = 0;
  Value keyBias, valueBias; // [Hkv, P, D] constants
  Value keys, values;       // the runtime keys and values [B, Hkv, S, D]
};
std::optional<KvBiasSlots> matchKvBiasSlots(Value kh, Value vh,
                                            SymbolicShapes &shapes);

/// Rotary position embedding applied to a 4-D head tensor as HF writes it:
/// x·cos + rotate(x)·sin on the first R lanes of each head (the rest passed
/// through by a Concat), with rotate_half (Cat(−x₂, x₁), "half" layout) or
/// rotate_every_two (pairs (x[2i], x[2i+1]), "interleaved" layout).
struct RotaryMatch {
  Value input;      // the rotated tensor, 4-D
  Value cos, sin;   // the 4-D tables as the graph applies them
  /// For the interleaved layout: the tables before repeat_interleave.
  Value cosPairs, sinPairs;
  int64_t rotaryDim = 0;
  bool interleaved = false;
};
/// Matches a rotary on `v` ([B, H, S, D] when `headsFirst`, else [B, S, H,
/// D]), checking that the tables repeat each angle as the layout needs.
std::optional<RotaryMatch> matchRotary(Value v, SymbolicShapes &shapes);

/// The value of `node` when all its inputs are constants, as an attribute
/// of its (static) result type, evaluated node by node like the runtime
/// would (one rounding to the result type); null when it cannot be
/// evaluated or is too large (more than 2^22 elements).
TypedAttr evaluateConstantNode(OnnxNodeOp node, SymbolicShapes &shapes);

} // namespace mlir::tfm

#endif // TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_ATTENTIONPARTS_H
