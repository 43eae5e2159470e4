// RUN: tfm-opt %s -split-input-file -canonicalize | FileCheck %s

// A zero bias is dropped; a non-zero one stays.
// CHECK-LABEL: func.func @linear_zero_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>, %[[W:.*]]: tensor<4x8xf32>)
// CHECK: %[[B:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: %[[A:.*]] = tfm.linear %[[X]], %[[W]] : (tensor<?x4xf32>, tensor<4x8xf32>) -> tensor<?x8xf32>
// CHECK: %[[C:.*]] = tfm.linear %[[X]], %[[W]], %[[B]] :
// CHECK: return %[[A]], %[[C]]
func.func @linear_zero_bias(%x: tensor<?x4xf32>, %w: tensor<4x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  %zero = arith.constant dense<0.0> : tensor<8xf32>
  %one = arith.constant dense<1.0> : tensor<8xf32>
  %0 = tfm.linear %x, %w, %zero : (tensor<?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %1 = tfm.linear %x, %w, %one : (tensor<?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0, %1 : tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// A bias of zeros that is not a splat constant of zeros (one element -0.0 is
// still zero) is dropped; a bias with any non-zero element is kept.
// CHECK-LABEL: func.func @linear_nonsplat_bias
// CHECK: tfm.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32>)
func.func @linear_nonsplat_bias(%x: tensor<?x4xf32>, %w: tensor<4x2xf32>) -> tensor<?x2xf32> {
  %b = arith.constant dense<[0.0, 1.0e-30]> : tensor<2xf32>
  %0 = tfm.linear %x, %w, %b : (tensor<?x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<?x2xf32>
  return %0 : tensor<?x2xf32>
}

// -----

// Unit scale and zero shift vanish; other scales and shifts stay.
// CHECK-LABEL: func.func @norm_trivial_affine
// CHECK-SAME: (%[[X:.*]]: tensor<?x4xf32>)
// CHECK-DAG: %[[S:.*]] = arith.constant dense<2.000000e+00> : tensor<4xf32>
// CHECK-DAG: %[[T:.*]] = arith.constant dense<5.000000e-01> : tensor<4xf32>
// CHECK: %[[A:.*]] = tfm.norm layer %[[X]] {epsilon = 1.000000e-05 : f64} : (tensor<?x4xf32>) -> tensor<?x4xf32>
// CHECK: %[[B:.*]] = tfm.norm rms %[[X]] scale(%[[S]]) {epsilon = 1.000000e-05 : f64}
// CHECK: %[[C:.*]] = tfm.norm layer %[[X]] shift(%[[T]]) {epsilon = 1.000000e-05 : f64}
// CHECK: return %[[A]], %[[B]], %[[C]]
func.func @norm_trivial_affine(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %one = arith.constant dense<1.0> : tensor<4xf32>
  %zero = arith.constant dense<0.0> : tensor<4xf32>
  %two = arith.constant dense<2.0> : tensor<4xf32>
  %half = arith.constant dense<0.5> : tensor<4xf32>
  %0 = tfm.norm layer %x scale(%one) shift(%zero) {epsilon = 1.0e-5 : f64}
      : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %1 = tfm.norm rms %x scale(%two) shift(%zero) {epsilon = 1.0e-5 : f64}
      : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  %2 = tfm.norm layer %x scale(%one) shift(%half) {epsilon = 1.0e-5 : f64}
      : (tensor<?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// An all-visible boolean mask or an all-zero additive mask hides nothing.
// CHECK-LABEL: func.func @attention_trivial_mask
// CHECK-SAME: (%[[Q:.*]]: tensor<1x?x8xf32>, %[[M:.*]]: tensor<1x1x?x?xi1>)
// CHECK: %[[A:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] {causal, num_heads = 2 : i64} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
// CHECK: %[[B:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] {num_heads = 2 : i64} :
// CHECK: %[[C:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] mask(%{{.*}}) {num_heads = 2 : i64}
// CHECK: %[[D:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] mask(%[[M]]) {num_heads = 2 : i64}
func.func @attention_trivial_mask(%q: tensor<1x?x8xf32>, %m: tensor<1x1x?x?xi1>)
    -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  %true = arith.constant dense<true> : tensor<1x1x1x1xi1>
  %zero = arith.constant dense<0.0> : tensor<1x1xf32>
  %ninf = arith.constant dense<-1.0e+30> : tensor<1x1xf32>
  %0 = tfm.attention %q, %q, %q mask(%true) {num_heads = 2 : i64, causal}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x1x1x1xi1>) -> tensor<1x?x8xf32>
  %1 = tfm.attention %q, %q, %q mask(%zero) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x1xf32>) -> tensor<1x?x8xf32>
  %2 = tfm.attention %q, %q, %q mask(%ninf) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x1xf32>) -> tensor<1x?x8xf32>
  %3 = tfm.attention %q, %q, %q mask(%m) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x1x?x?xi1>) -> tensor<1x?x8xf32>
  return %0, %1, %2, %3 : tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>
}

// -----

// The same for bias_mask: all-true i1 or all-zero float leaves every slot
// visible with nothing added, as without bias_mask; the mask and bias_mask
// are dropped independently. A bias_mask that hides or shifts a slot stays.
// CHECK-LABEL: func.func @attention_trivial_bias_mask
// CHECK-SAME: (%[[Q:.*]]: tensor<1x?x8xf32>, %[[KB:.*]]: tensor<2x3x4xf32>, %[[M:.*]]: tensor<1x1x?x?xi1>, %[[BM:.*]]: tensor<?x3xi1>)
// CHECK: %[[A:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] kv_bias(%[[KB]], %[[KB]]) {causal, num_heads = 2 : i64} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<1x?x8xf32>
// CHECK: %[[B:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] mask(%[[M]]) kv_bias(%[[KB]], %[[KB]]) {num_heads = 2 : i64} :
// CHECK: %[[C:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] kv_bias(%[[KB]], %[[KB]]) bias_mask(%[[BM]]) {num_heads = 2 : i64} :
// CHECK: %[[D:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] kv_bias(%[[KB]], %[[KB]]) bias_mask(%{{.*}}) {num_heads = 2 : i64} :
// CHECK: %[[E:.*]] = tfm.attention %[[Q]], %[[Q]], %[[Q]] kv_bias(%[[KB]], %[[KB]]) bias_mask(%{{.*}}) {num_heads = 2 : i64} :
func.func @attention_trivial_bias_mask(%q: tensor<1x?x8xf32>, %kb: tensor<2x3x4xf32>, %m: tensor<1x1x?x?xi1>, %bm: tensor<?x3xi1>)
    -> (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>) {
  %true = arith.constant dense<true> : tensor<1x1x1x3xi1>
  %zero = arith.constant dense<0.0> : tensor<1x3xf32>
  %false = arith.constant dense<false> : tensor<1x3xi1>
  %ninf = arith.constant dense<-1.0e+30> : tensor<1x1xf32>
  %0 = tfm.attention %q, %q, %q mask(%true) kv_bias(%kb, %kb) bias_mask(%true) {num_heads = 2 : i64, causal}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x1x1x3xi1>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<1x1x1x3xi1>) -> tensor<1x?x8xf32>
  %1 = tfm.attention %q, %q, %q mask(%m) kv_bias(%kb, %kb) bias_mask(%zero) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x1x?x?xi1>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<1x3xf32>) -> tensor<1x?x8xf32>
  %2 = tfm.attention %q, %q, %q mask(%zero) kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x3xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<?x3xi1>) -> tensor<1x?x8xf32>
  %3 = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%false) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<1x3xi1>) -> tensor<1x?x8xf32>
  %4 = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%ninf) {num_heads = 2 : i64}
      : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<2x3x4xf32>, tensor<2x3x4xf32>, tensor<1x1xf32>) -> tensor<1x?x8xf32>
  return %0, %1, %2, %3, %4 : tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>
}

// -----

// relu is idempotent; gated or other activations are not folded.
// CHECK-LABEL: func.func @relu_relu
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[U:.*]]: tensor<4xf32>)
// CHECK: %[[R:.*]] = tfm.activation relu %[[X]] : tensor<4xf32>
// CHECK-NOT: tfm.activation relu %[[R]] :
// CHECK: %[[G:.*]] = tfm.activation relu %[[R]], %[[U]]
// CHECK: %[[S:.*]] = tfm.activation silu %[[X]]
// CHECK: %[[S2:.*]] = tfm.activation silu %[[S]]
// CHECK: return %[[R]], %[[G]], %[[S2]]
func.func @relu_relu(%x: tensor<4xf32>, %u: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = tfm.activation relu %x : tensor<4xf32>
  %1 = tfm.activation relu %0 : tensor<4xf32>
  %2 = tfm.activation relu %1, %u : tensor<4xf32>, tensor<4xf32>
  %3 = tfm.activation silu %x : tensor<4xf32>
  %4 = tfm.activation silu %3 : tensor<4xf32>
  return %1, %2, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A lone unit-gain branch is the branch itself.
// CHECK-LABEL: func.func @residual_identity
// CHECK-SAME: (%[[A:.*]]: tensor<4xf32>)
// CHECK-NEXT: return %[[A]], %[[A]]
func.func @residual_identity(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = tfm.residual branches(%a) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = tfm.residual branches(%a) {betas = array<f64: 1.0>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// Zero-gain terms vanish; the remaining gains are kept.
// CHECK-LABEL: func.func @residual_zero_gains
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[R0:.*]] = tfm.residual skip(%[[X]]) branches(%[[B]]) {alpha = 5.000000e-01 : f64, betas = array<f64: 1.000000e-01>}
// CHECK: %[[R1:.*]] = tfm.residual branches(%[[A]], %[[B]]) {betas = array<f64: 2.000000e+00, 3.000000e+00>}
// CHECK: %[[R2:.*]] = tfm.residual branches(%[[X]]) {betas = array<f64: 2.500000e-01>}
// CHECK: %[[R3:.*]] = tfm.residual branches(%[[A]], %[[B]]) {betas = array<f64: 0.000000e+00, 0.000000e+00>}
// CHECK: return %[[R0]], %[[R1]], %[[R2]], %[[R3]], %[[X]]
func.func @residual_zero_gains(%x: tensor<4xf32>, %a: tensor<4xf32>, %b: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // 0·a dropped.
  %0 = tfm.residual skip(%x) branches(%a, %b) {alpha = 0.5 : f64, betas = array<f64: 0.0, 0.1>}
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // 0·skip dropped.
  %1 = tfm.residual skip(%x) branches(%a, %b) {alpha = 0.0 : f64, betas = array<f64: 2.0, 3.0>}
      : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // Only the skip survives: it becomes the single branch with gain alpha.
  %2 = tfm.residual skip(%x) branches(%a) {alpha = 0.25 : f64, betas = array<f64: 0.0>}
      : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // Every term zero: left alone (the result is zeros, not a term).
  %3 = tfm.residual branches(%a, %b) {betas = array<f64: 0.0, 0.0>}
      : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // skip + 0·a with unit alpha: becomes skip itself.
  %4 = tfm.residual skip(%x) branches(%a) {betas = array<f64: 0.0>}
      : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Blocks are structure, not computation: canonicalisation keeps them even
// when their body is trivial.
// CHECK-LABEL: func.func @block_kept
// CHECK: tfm.block pre_ln
// CHECK: tfm.yield
func.func @block_kept(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tfm.block pre_ln (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    tfm.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
