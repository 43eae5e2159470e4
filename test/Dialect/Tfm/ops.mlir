// Round trip of every tfm op and every attribute value, through the custom
// form, a second parse, and the generic form.
// RUN: tfm-opt %s | FileCheck %s
// RUN: tfm-opt %s | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | tfm-opt | FileCheck %s
// RUN: tfm-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC
// RUN: tfm-opt %s --verify-roundtrip -o /dev/null

// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[W:.*]]: tensor<64x96xf32>, %[[B:.*]]: tensor<96xf32>, %[[V:.*]]: tensor<64xf16>, %[[WH:.*]]: tensor<64x3xf16>)
// CHECK: tfm.linear %[[X]], %[[W]], %[[B]] : (tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>) -> tensor<?x?x96xf32>
// CHECK: tfm.linear %[[X]], %[[W]] : (tensor<?x?x64xf32>, tensor<64x96xf32>) -> tensor<?x?x96xf32>
// CHECK: tfm.linear %[[V]], %[[WH]] : (tensor<64xf16>, tensor<64x3xf16>) -> tensor<3xf16>
// GENERIC-LABEL: sym_name = "linear"
// GENERIC: "tfm.linear"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>) -> tensor<?x?x96xf32>
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<64x96xf32>, %b: tensor<96xf32>,
                  %v: tensor<64xf16>, %wh: tensor<64x3xf16>) {
  %0 = tfm.linear %x, %w, %b : (tensor<?x?x64xf32>, tensor<64x96xf32>, tensor<96xf32>) -> tensor<?x?x96xf32>
  %1 = tfm.linear %x, %w : (tensor<?x?x64xf32>, tensor<64x96xf32>) -> tensor<?x?x96xf32>
  %2 = tfm.linear %v, %wh : (tensor<64xf16>, tensor<64x3xf16>) -> tensor<3xf16>
  return
}

// A more static result than the inferred one is compatible.
// CHECK-LABEL: func.func @linear_refined_result
// CHECK: tfm.linear %{{.*}}, %{{.*}} : (tensor<?x8x64xf32>, tensor<64x96xf32>) -> tensor<2x8x96xf32>
func.func @linear_refined_result(%x: tensor<?x8x64xf32>, %w: tensor<64x96xf32>) -> tensor<2x8x96xf32> {
  %0 = tfm.linear %x, %w : (tensor<?x8x64xf32>, tensor<64x96xf32>) -> tensor<2x8x96xf32>
  return %0 : tensor<2x8x96xf32>
}

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<2x?x64xf32>, %[[K:[^:]*]]: tensor<2x?x32xf32>, %[[V:[^:]*]]: tensor<2x?x48xf32>, %[[M:[^:]*]]: tensor<2x1x1x?xi1>, %[[AM:[^:]*]]: tensor<?x?xf32>, %[[KB:[^:]*]]: tensor<2x3x16xf32>, %[[VB:[^:]*]]: tensor<2x3x24xf32>)
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] {num_heads = 4 : i64, num_kv_heads = 2 : i64} :
// CHECK-SAME: -> tensor<2x?x96xf32>
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]]) {causal, num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 1.250000e-01 : f64}
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] mask(%[[AM]]) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] kv_bias(%[[KB]], %[[VB]]) {causal, num_heads = 4 : i64, num_kv_heads = 2 : i64}
// CHECK-SAME: (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x3x16xf32>, tensor<2x3x24xf32>) -> tensor<2x?x96xf32>
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]]) kv_bias(%[[KB]], %[[VB]]) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
// GENERIC-LABEL: sym_name = "attention"
// GENERIC: "tfm.attention"({{.*}}) <{num_heads = 4 : i64, num_kv_heads = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 0>}>
// GENERIC: "tfm.attention"({{.*}}) <{causal, num_heads = 4 : i64, num_kv_heads = 2 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>, scale = 1.250000e-01 : f64}>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1, 0>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0>
func.func @attention(%q: tensor<2x?x64xf32>, %k: tensor<2x?x32xf32>, %v: tensor<2x?x48xf32>,
                     %m: tensor<2x1x1x?xi1>, %am: tensor<?x?xf32>,
                     %kb: tensor<2x3x16xf32>, %vb: tensor<2x3x24xf32>) {
  %0 = tfm.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>) -> tensor<2x?x96xf32>
  %1 = tfm.attention %q, %k, %v mask(%m) {num_heads = 4 : i64, num_kv_heads = 2 : i64, scale = 0.125 : f64, causal}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x1x1x?xi1>) -> tensor<2x?x96xf32>
  %2 = tfm.attention %q, %k, %v mask(%am) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<?x?xf32>) -> tensor<2x?x96xf32>
  %3 = tfm.attention %q, %k, %v kv_bias(%kb, %vb) {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x3x16xf32>, tensor<2x3x24xf32>) -> tensor<2x?x96xf32>
  %4 = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x1x1x?xi1>, tensor<2x3x16xf32>, tensor<2x3x24xf32>) -> tensor<2x?x96xf32>
  return
}

// Bias slots with a bias_mask: i1 (visibility) and float (added to the slot
// logits), right-aligned like mask, together with a mask and causal.
// CHECK-LABEL: func.func @attention_bias_mask
// CHECK-SAME: (%[[Q:[^:]*]]: tensor<2x?x64xf32>, %[[K:[^:]*]]: tensor<2x?x32xf32>, %[[V:[^:]*]]: tensor<2x?x48xf32>, %[[M:[^:]*]]: tensor<2x1x1x?xi1>, %[[KB:[^:]*]]: tensor<2x3x16xf32>, %[[VB:[^:]*]]: tensor<2x3x24xf32>, %[[BM:[^:]*]]: tensor<2x1x?x3xi1>, %[[BF:[^:]*]]: tensor<?x1xf32>)
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] kv_bias(%[[KB]], %[[VB]]) bias_mask(%[[BM]]) {causal, num_heads = 4 : i64, num_kv_heads = 2 : i64}
// CHECK-SAME: (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x3x16xf32>, tensor<2x3x24xf32>, tensor<2x1x?x3xi1>) -> tensor<2x?x96xf32>
// CHECK: tfm.attention %[[Q]], %[[K]], %[[V]] mask(%[[M]]) kv_bias(%[[KB]], %[[VB]]) bias_mask(%[[BF]]) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
// CHECK-SAME: tensor<?x1xf32>) -> tensor<2x?x96xf32>
// GENERIC-LABEL: sym_name = "attention_bias_mask"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 1, 1>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1>
func.func @attention_bias_mask(%q: tensor<2x?x64xf32>, %k: tensor<2x?x32xf32>, %v: tensor<2x?x48xf32>,
                               %m: tensor<2x1x1x?xi1>, %kb: tensor<2x3x16xf32>, %vb: tensor<2x3x24xf32>,
                               %bm: tensor<2x1x?x3xi1>, %bf: tensor<?x1xf32>) {
  %0 = tfm.attention %q, %k, %v kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x3x16xf32>, tensor<2x3x24xf32>, tensor<2x1x?x3xi1>) -> tensor<2x?x96xf32>
  %1 = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) bias_mask(%bf) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x?x64xf32>, tensor<2x?x32xf32>, tensor<2x?x48xf32>, tensor<2x1x1x?xi1>, tensor<2x3x16xf32>, tensor<2x3x24xf32>, tensor<?x1xf32>) -> tensor<2x?x96xf32>
  return
}

// Multi-query attention (one KV head) and shaped attention with per-head gains.
// CHECK-LABEL: func.func @attention_mqa_shaped
// CHECK: tfm.attention %{{.*}} {num_heads = 8 : i64, num_kv_heads = 1 : i64} : (tensor<1x7x64xbf16>, tensor<1x7x8xbf16>, tensor<1x7x8xbf16>) -> tensor<1x7x64xbf16>
// CHECK: tfm.attention %{{.*}} {alpha = array<f64: 1.000000e+00, 5.000000e-01>, beta = array<f64: 2.000000e+00, 2.500000e-01>, causal, gamma = array<f64: 1.000000e+00, -3.000000e+00>, num_heads = 2 : i64}
// CHECK-SAME: (tensor<3x?x16xf32>, tensor<3x?x16xf32>, tensor<3x?x16xf32>) -> tensor<3x?x16xf32>
// GENERIC-LABEL: sym_name = "attention_mqa_shaped"
// GENERIC: alpha = array<f64: 1.000000e+00, 5.000000e-01>, beta = array<f64: 2.000000e+00, 2.500000e-01>, causal, gamma = array<f64: 1.000000e+00, -3.000000e+00>
func.func @attention_mqa_shaped(%q: tensor<1x7x64xbf16>, %kv: tensor<1x7x8xbf16>, %x: tensor<3x?x16xf32>) {
  %0 = tfm.attention %q, %kv, %kv {num_heads = 8 : i64, num_kv_heads = 1 : i64}
      : (tensor<1x7x64xbf16>, tensor<1x7x8xbf16>, tensor<1x7x8xbf16>) -> tensor<1x7x64xbf16>
  %1 = tfm.attention %x, %x, %x {num_heads = 2 : i64, causal,
        alpha = array<f64: 1.0, 0.5>, beta = array<f64: 2.0, 0.25>, gamma = array<f64: 1.0, -3.0>}
      : (tensor<3x?x16xf32>, tensor<3x?x16xf32>, tensor<3x?x16xf32>) -> tensor<3x?x16xf32>
  return
}

// CHECK-LABEL: func.func @norm
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x?x64xf32>, %[[G:[^:]*]]: tensor<64xf32>, %[[S:[^:]*]]: tensor<64xf32>)
// CHECK: tfm.norm layer %[[X]] scale(%[[G]]) shift(%[[S]]) {epsilon = 1.000000e-05 : f64}
// CHECK: tfm.norm rms %[[X]] scale(%[[G]]) {epsilon = 9.9999999999999995E-7 : f64}
// CHECK: tfm.norm layer %[[X]] shift(%[[S]]) {epsilon = 0.000000e+00 : f64}
// CHECK: tfm.norm rms %[[X]] {epsilon = 1.000000e-08 : f64} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
// GENERIC-LABEL: sym_name = "norm"
// GENERIC: "tfm.norm"(%{{.*}}, %{{.*}}, %{{.*}}) <{epsilon = 1.000000e-05 : f64, kind = #tfm<norm_kind layer>, operandSegmentSizes = array<i32: 1, 1, 1>}>
// GENERIC: kind = #tfm<norm_kind rms>, operandSegmentSizes = array<i32: 1, 1, 0>
// GENERIC: kind = #tfm<norm_kind layer>, operandSegmentSizes = array<i32: 1, 0, 1>
// GENERIC: kind = #tfm<norm_kind rms>, operandSegmentSizes = array<i32: 1, 0, 0>
func.func @norm(%x: tensor<?x?x64xf32>, %g: tensor<64xf32>, %s: tensor<64xf32>) {
  %0 = tfm.norm layer %x scale(%g) shift(%s) {epsilon = 1.0e-5 : f64}
      : (tensor<?x?x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %1 = tfm.norm rms %x scale(%g) {epsilon = 1.0e-6 : f64}
      : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %2 = tfm.norm layer %x shift(%s) {epsilon = 0.0 : f64}
      : (tensor<?x?x64xf32>, tensor<64xf32>) -> tensor<?x?x64xf32>
  %3 = tfm.norm rms %x {epsilon = 1.0e-8 : f64} : (tensor<?x?x64xf32>) -> tensor<?x?x64xf32>
  return
}

// CHECK-LABEL: func.func @activation
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x128xf32>, %[[U:[^:]*]]: tensor<?x128xf32>)
// CHECK: tfm.activation gelu %[[X]] : tensor<?x128xf32>
// CHECK: tfm.activation gelu_tanh %[[X]] : tensor<?x128xf32>
// CHECK: tfm.activation relu %[[X]] : tensor<?x128xf32>
// CHECK: tfm.activation silu %[[X]] : tensor<?x128xf32>
// CHECK: tfm.activation sigmoid %[[X]] : tensor<?x128xf32>
// CHECK: tfm.activation silu %[[X]], %[[U]] : tensor<?x128xf32>, tensor<?x128xf32>
// CHECK: tfm.activation gelu %[[X]], %[[U]] : tensor<?x128xf32>, tensor<?x128xf32>
// CHECK: tfm.activation relu %[[X]], %[[U]] : tensor<?x128xf32>, tensor<?x128xf32>
// GENERIC-LABEL: sym_name = "activation"
// GENERIC: "tfm.activation"(%{{.*}}) <{kind = #tfm<activation_kind gelu>}>
// GENERIC: <{kind = #tfm<activation_kind gelu_tanh>}>
// GENERIC: <{kind = #tfm<activation_kind relu>}>
// GENERIC: <{kind = #tfm<activation_kind silu>}>
// GENERIC: <{kind = #tfm<activation_kind sigmoid>}>
// GENERIC: "tfm.activation"(%{{.*}}, %{{.*}}) <{kind = #tfm<activation_kind silu>}>
func.func @activation(%x: tensor<?x128xf32>, %u: tensor<?x128xf32>) {
  %0 = tfm.activation gelu %x : tensor<?x128xf32>
  %1 = tfm.activation gelu_tanh %x : tensor<?x128xf32>
  %2 = tfm.activation relu %x : tensor<?x128xf32>
  %3 = tfm.activation silu %x : tensor<?x128xf32>
  %4 = tfm.activation sigmoid %x : tensor<?x128xf32>
  %5 = tfm.activation silu %x, %u : tensor<?x128xf32>, tensor<?x128xf32>
  %6 = tfm.activation gelu %x, %u : tensor<?x128xf32>, tensor<?x128xf32>
  %7 = tfm.activation relu %x, %u : tensor<?x128xf32>, tensor<?x128xf32>
  return
}

// CHECK-LABEL: func.func @residual
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>, %[[A:[^:]*]]: tensor<?x8xf32>, %[[B:[^:]*]]: tensor<?x8xf32>)
// CHECK: tfm.residual skip(%[[X]]) branches(%[[A]]) : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: tfm.residual skip(%[[X]]) branches(%[[A]], %[[B]]) {alpha = 5.000000e-01 : f64, betas = array<f64: 1.000000e+00, 1.000000e-01>}
// CHECK: tfm.residual branches(%[[A]], %[[B]]) {betas = array<f64: 2.000000e-01, 1.000000e-01>} : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
// CHECK: tfm.residual branches(%[[A]]) {betas = array<f64: -2.500000e+00>}
// GENERIC-LABEL: sym_name = "residual"
// GENERIC: "tfm.residual"(%{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1>}>
// GENERIC: <{alpha = 5.000000e-01 : f64, betas = array<f64: 1.000000e+00, 1.000000e-01>, operandSegmentSizes = array<i32: 1, 2>}>
// GENERIC: <{betas = array<f64: 2.000000e-01, 1.000000e-01>, operandSegmentSizes = array<i32: 0, 2>}>
func.func @residual(%x: tensor<?x8xf32>, %a: tensor<?x8xf32>, %b: tensor<?x8xf32>) {
  %0 = tfm.residual skip(%x) branches(%a) : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %1 = tfm.residual skip(%x) branches(%a, %b) {alpha = 0.5 : f64, betas = array<f64: 1.0, 0.1>}
      : (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %2 = tfm.residual branches(%a, %b) {betas = array<f64: 0.2, 0.1>}
      : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %3 = tfm.residual branches(%a) {betas = array<f64: -2.5>} : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return
}

// CHECK-LABEL: func.func @embedding
// CHECK: tfm.embedding %{{.*}}, %{{.*}} : (tensor<?x?xi64>, tensor<512x64xf32>) -> tensor<?x?x64xf32>
// CHECK: tfm.embedding %{{.*}}, %{{.*}} : (tensor<i32>, tensor<512x64xf32>) -> tensor<64xf32>
func.func @embedding(%ids: tensor<?x?xi64>, %id: tensor<i32>, %table: tensor<512x64xf32>) {
  %0 = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<512x64xf32>) -> tensor<?x?x64xf32>
  %1 = tfm.embedding %id, %table : (tensor<i32>, tensor<512x64xf32>) -> tensor<64xf32>
  return
}

// CHECK-LABEL: func.func @rotary
// CHECK: tfm.rotary half %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 4 : i64} : (tensor<1x?x64xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<1x?x64xf32>
// CHECK: tfm.rotary interleaved %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 4 : i64, rotary_dim = 4 : i64} : (tensor<1x?x64xf32>, tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x64xf32>
// GENERIC-LABEL: sym_name = "rotary"
// GENERIC: <{layout = #tfm<rotary_layout half>, num_heads = 4 : i64}>
// GENERIC: <{layout = #tfm<rotary_layout interleaved>, num_heads = 4 : i64, rotary_dim = 4 : i64}>
func.func @rotary(%x: tensor<1x?x64xf32>, %c: tensor<?x8xf32>, %s: tensor<?x8xf32>,
                  %c2: tensor<1x?x2xf32>, %s2: tensor<1x?x2xf32>) {
  %0 = tfm.rotary half %x, %c, %s {num_heads = 4 : i64}
      : (tensor<1x?x64xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<1x?x64xf32>
  %1 = tfm.rotary interleaved %x, %c2, %s2 {num_heads = 4 : i64, rotary_dim = 4 : i64}
      : (tensor<1x?x64xf32>, tensor<1x?x2xf32>, tensor<1x?x2xf32>) -> tensor<1x?x64xf32>
  return
}

// Every block kind, with and without a layer index, multiple results.
// CHECK-LABEL: func.func @blocks
// CHECK: %[[B0:.*]] = tfm.block pre_ln(%{{.*}}) {layer = 0 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32> {
// CHECK-NEXT: ^bb0(%[[ARG:.*]]: tensor<?x8xf32>):
// CHECK-NEXT: tfm.yield %[[ARG]] : tensor<?x8xf32>
// CHECK: tfm.block post_ln(%[[B0]]) {layer = 1 : i64}
// CHECK: tfm.block parallel(
// CHECK: tfm.block sas(
// CHECK: tfm.block sas_p(
// CHECK: %{{.*}}:2 = tfm.block unknown(%{{.*}}, %{{.*}}) : (tensor<?x8xf32>, tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>)
// GENERIC-LABEL: sym_name = "blocks"
// GENERIC: "tfm.block"(%{{.*}}) <{kind = #tfm<block_kind pre_ln>, layer = 0 : i64}>
// GENERIC: <{kind = #tfm<block_kind post_ln>, layer = 1 : i64}>
// GENERIC: <{kind = #tfm<block_kind parallel>}>
// GENERIC: <{kind = #tfm<block_kind sas>}>
// GENERIC: <{kind = #tfm<block_kind sas_p>}>
// GENERIC: <{kind = #tfm<block_kind unknown>}>
func.func @blocks(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %0 = tfm.block pre_ln (%x) {layer = 0 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    tfm.yield %a : tensor<?x8xf32>
  }
  %1 = tfm.block post_ln (%0) {layer = 1 : i64} : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    tfm.yield %a : tensor<?x8xf32>
  }
  %2 = tfm.block parallel (%1) : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    tfm.yield %a : tensor<?x8xf32>
  }
  %3 = tfm.block sas (%2) : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    tfm.yield %a : tensor<?x8xf32>
  }
  %4 = tfm.block sas_p (%3) : (tensor<?x8xf32>) -> tensor<?x8xf32> {
  ^bb0(%a: tensor<?x8xf32>):
    tfm.yield %a : tensor<?x8xf32>
  }
  %5:2 = tfm.block unknown (%4, %x) : (tensor<?x8xf32>, tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>) {
  ^bb0(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>):
    tfm.yield %b, %a : tensor<?x8xf32>, tensor<?x8xf32>
  }
  return %5#0 : tensor<?x8xf32>
}
