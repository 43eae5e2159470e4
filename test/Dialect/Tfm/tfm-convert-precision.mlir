// RUN: tfm-opt %s --tfm-convert-precision --split-input-file --verify-diagnostics | FileCheck %s
// RUN: tfm-opt %s --tfm-convert-precision=precision=f16 --split-input-file --verify-diagnostics | FileCheck %s --check-prefix=F16
// RUN: not tfm-opt %s --tfm-convert-precision=precision=fp8 --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: tfm-convert-precision: precision 'fp8' is not bf16 or f16

!act = tensor<?x?x64xf32>

// Two pre-LN blocks: weights become bf16 constants, the residual stream
// crosses blocks in bf16, the entry keeps its f32 interface, and the f32
// mask is truncated once with saturation.
// CHECK-LABEL: func.func @two_blocks
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi64>, %[[MASK:.*]]: tensor<?x1x?x?xf32>) -> tensor<?x?x128xf32>
// CHECK-DAG: %[[WTE:.*]] = arith.constant dense<2.001950e-02> : tensor<128x64xbf16>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<1.000980e-02> : tensor<64x64xbf16>
// CHECK-DAG: %[[LOWEST:.*]] = arith.constant -3.38953139E+38 : f32
// CHECK: %[[NARROW_MASK:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MASK]] : tensor<?x1x?x?xf32>) outs(%{{.*}} : tensor<?x1x?x?xbf16>)
// CHECK: %[[CLAMPED:.*]] = arith.maximumf %{{.*}}, %[[LOWEST]] : f32
// CHECK: arith.truncf %[[CLAMPED]] : f32 to bf16
// CHECK-NOT: linalg.generic
// CHECK: %[[TOK:.*]] = tfm.embedding %[[IDS]], %[[WTE]] : (tensor<?x?xi64>, tensor<128x64xbf16>) -> tensor<?x?x64xbf16>
// CHECK: %[[H0:.*]] = tfm.block pre_ln(%[[TOK]]) {layer = 0 : i64} : (tensor<?x?x64xbf16>) -> tensor<?x?x64xbf16>
// CHECK-NOT: arith.truncf
// CHECK-NOT: arith.extf
// CHECK: tfm.norm layer %{{.*}} : (tensor<?x?x64xbf16>, tensor<64xbf16>, tensor<64xbf16>) -> tensor<?x?x64xbf16>
// CHECK: tfm.linear %{{.*}}, %[[W]], %{{.*}} : (tensor<?x?x64xbf16>, tensor<64x64xbf16>, tensor<64xbf16>) -> tensor<?x?x64xbf16>
// CHECK: tfm.attention {{.*}} mask(%[[NARROW_MASK]]) {{.*}} -> tensor<?x?x64xbf16>
// CHECK: tfm.activation gelu_tanh %{{.*}} : tensor<?x?x256xbf16>
// CHECK: tfm.yield %{{.*}} : tensor<?x?x64xbf16>
// CHECK: %[[H1:.*]] = tfm.block pre_ln(%[[H0]]) {layer = 1 : i64} : (tensor<?x?x64xbf16>) -> tensor<?x?x64xbf16>
// CHECK: tfm.attention {{.*}} mask(%[[NARROW_MASK]])
// CHECK: %[[LOGITS:.*]] = tfm.linear %[[H1]], %{{.*}} : (tensor<?x?x64xbf16>, tensor<64x128xbf16>) -> tensor<?x?x128xbf16>
// CHECK: %[[OUT:.*]] = arith.extf %[[LOGITS]] : tensor<?x?x128xbf16> to tensor<?x?x128xf32>
// CHECK: return %[[OUT]]

// F16-LABEL: func.func @two_blocks
// F16: arith.constant -6.550400e+04 : f32
// F16: tfm.block pre_ln(%{{.*}}) {layer = 0 : i64} : (tensor<?x?x64xf16>) -> tensor<?x?x64xf16>
// F16: arith.extf %{{.*}} : tensor<?x?x128xf16> to tensor<?x?x128xf32>
func.func @two_blocks(%ids: tensor<?x?xi64>, %mask: tensor<?x1x?x?xf32>) -> tensor<?x?x128xf32> {
  %wte = arith.constant dense<0.02> : tensor<128x64xf32>
  %head = arith.constant dense<0.03> : tensor<64x128xf32>
  %tok = tfm.embedding %ids, %wte : (tensor<?x?xi64>, tensor<128x64xf32>) -> !act
  %h0 = tfm.block pre_ln (%tok) {layer = 0 : i64} : (!act) -> !act {
  ^bb0(%x: !act):
    %g = arith.constant dense<1.0> : tensor<64xf32>
    %b = arith.constant dense<0.0> : tensor<64xf32>
    %w = arith.constant dense<0.01> : tensor<64x64xf32>
    %bias = arith.constant dense<0.001> : tensor<64xf32>
    %wfc = arith.constant dense<0.015> : tensor<64x256xf32>
    %wpr = arith.constant dense<0.016> : tensor<256x64xf32>
    %n1 = tfm.norm layer %x scale(%g) shift(%b) {epsilon = 1.0e-5 : f64}
        : (!act, tensor<64xf32>, tensor<64xf32>) -> !act
    %q = tfm.linear %n1, %w, %bias : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %a = tfm.attention %q, %q, %q mask(%mask) {num_heads = 4 : i64, causal}
        : (!act, !act, !act, tensor<?x1x?x?xf32>) -> !act
    %x1 = tfm.residual skip(%x) branches(%a) : (!act, !act) -> !act
    %u = tfm.linear %x1, %wfc : (!act, tensor<64x256xf32>) -> tensor<?x?x256xf32>
    %gl = tfm.activation gelu_tanh %u : tensor<?x?x256xf32>
    %d = tfm.linear %gl, %wpr : (tensor<?x?x256xf32>, tensor<256x64xf32>) -> !act
    %y = tfm.residual skip(%x1) branches(%d) : (!act, !act) -> !act
    tfm.yield %y : !act
  }
  %h1 = tfm.block pre_ln (%h0) {layer = 1 : i64} : (!act) -> !act {
  ^bb0(%x: !act):
    %a = tfm.attention %x, %x, %x mask(%mask) {num_heads = 4 : i64}
        : (!act, !act, !act, tensor<?x1x?x?xf32>) -> !act
    %y = tfm.residual skip(%x) branches(%a) : (!act, !act) -> !act
    tfm.yield %y : !act
  }
  %logits = tfm.linear %h1, %head : (!act, tensor<64x128xf32>) -> tensor<?x?x128xf32>
  return %logits : tensor<?x?x128xf32>
}

// -----

// What is not a transformer op stays f32: rotary angles and their cos/sin
// are computed in f32 and truncated where the rotary reads them; an f32 op
// reading a converted result gets it extended.
// CHECK-LABEL: func.func @rotary_tables
// CHECK-SAME: (%[[X:.*]]: tensor<1x?x64xf32>, %[[ANGLES:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[COS:.*]] = math.cos %[[ANGLES]] : tensor<?x8xf32>
// CHECK-DAG: %[[SIN:.*]] = math.sin %[[ANGLES]] : tensor<?x8xf32>
// CHECK-DAG: %[[COS16:.*]] = arith.truncf %[[COS]] : tensor<?x8xf32> to tensor<?x8xbf16>
// CHECK-DAG: %[[SIN16:.*]] = arith.truncf %[[SIN]] : tensor<?x8xf32> to tensor<?x8xbf16>
// CHECK-DAG: %[[X16:.*]] = arith.truncf %[[X]] : tensor<1x?x64xf32> to tensor<1x?x64xbf16>
// CHECK: %[[R:.*]] = tfm.rotary half %[[X16]], %[[COS16]], %[[SIN16]] {num_heads = 4 : i64} : (tensor<1x?x64xbf16>, tensor<?x8xbf16>, tensor<?x8xbf16>) -> tensor<1x?x64xbf16>
// CHECK: %[[WIDE:.*]] = arith.extf %[[R]] : tensor<1x?x64xbf16> to tensor<1x?x64xf32>
// CHECK: %[[SQ:.*]] = arith.mulf %[[WIDE]], %[[WIDE]] : tensor<1x?x64xf32>
// CHECK: return %[[SQ]]
func.func @rotary_tables(%x: tensor<1x?x64xf32>, %angles: tensor<?x8xf32>) -> tensor<1x?x64xf32> {
  %cos = math.cos %angles : tensor<?x8xf32>
  %sin = math.sin %angles : tensor<?x8xf32>
  %r = tfm.rotary half %x, %cos, %sin {num_heads = 4 : i64}
      : (tensor<1x?x64xf32>, tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<1x?x64xf32>
  %sq = arith.mulf %r, %r : tensor<1x?x64xf32>
  return %sq : tensor<1x?x64xf32>
}

// -----

// Nothing to convert: a warning, and the module is unchanged.
// expected-warning @below {{tfm-convert-precision: no f32 transformer op to compute in}}
module {
  // CHECK-LABEL: func.func @already_narrow
  // CHECK: tfm.activation gelu %{{.*}} : tensor<4xbf16>
  func.func @already_narrow(%x: tensor<4xbf16>) -> tensor<4xbf16> {
    %0 = tfm.activation gelu %x : tensor<4xbf16>
    return %0 : tensor<4xbf16>
  }
}

// -----

// Data movement between converted ops (the slices of a fused projection, a
// concatenation, reshapes, leftover ONNX Split/Reshape nodes) moves in bf16:
// no cast is left between the linear and the ops reading its slices, and
// only shapes are read from the converted value.
// CHECK-LABEL: func.func @fused_projection
// CHECK: %[[QKV:.*]] = tfm.linear {{.*}} -> tensor<2x?x192xbf16>
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: %[[Q:.*]] = tensor.extract_slice %[[QKV]][0, 0, 0] [2, %{{.*}}, 64] [1, 1, 1] : tensor<2x?x192xbf16> to tensor<2x?x64xbf16>
// CHECK: %[[SPLIT:.*]]:2 = tfm.onnx_node "Split"(%{{.*}}, %{{.*}}) {{.*}} : (tensor<2x?x128xbf16>, tensor<2xi64>) -> (tensor<2x?x64xbf16>, tensor<2x?x64xbf16>)
// CHECK: %[[A:.*]] = tfm.attention %[[Q]], %[[SPLIT]]#0, %[[SPLIT]]#1 {{.*}} -> tensor<2x?x64xbf16>
// CHECK: %[[CAT:.*]] = tensor.concat dim(2) %[[A]], %[[Q]] : (tensor<2x?x64xbf16>, tensor<2x?x64xbf16>) -> tensor<2x?x128xbf16>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[CAT]] {{\[\[}}0, 1], [2]] : tensor<2x?x128xbf16> into tensor<?x128xbf16>
// CHECK: %[[OUT:.*]] = tfm.activation gelu %[[FLAT]] : tensor<?x128xbf16>
// CHECK: %[[WIDE:.*]] = arith.extf %[[OUT]]
// CHECK: return %[[WIDE]]
func.func @fused_projection(%x: tensor<2x?x64xf32>) -> tensor<?x128xf32> {
  %c1 = arith.constant 1 : index
  %w = arith.constant dense<0.01> : tensor<64x192xf32>
  %sizes = arith.constant dense<64> : tensor<2xi64>
  %qkv = tfm.linear %x, %w : (tensor<2x?x64xf32>, tensor<64x192xf32>) -> tensor<2x?x192xf32>
  %s = tensor.dim %qkv, %c1 : tensor<2x?x192xf32>
  %q = tensor.extract_slice %qkv[0, 0, 0] [2, %s, 64] [1, 1, 1] : tensor<2x?x192xf32> to tensor<2x?x64xf32>
  %kv = tensor.extract_slice %qkv[0, 0, 64] [2, %s, 128] [1, 1, 1] : tensor<2x?x192xf32> to tensor<2x?x128xf32>
  %parts:2 = tfm.onnx_node "Split"(%kv, %sizes) <{node_name = "split", onnx_attrs = {axis = 2 : i64}, version = 14 : i64}> : (tensor<2x?x128xf32>, tensor<2xi64>) -> (tensor<2x?x64xf32>, tensor<2x?x64xf32>)
  %a = tfm.attention %q, %parts#0, %parts#1 {num_heads = 4 : i64}
      : (tensor<2x?x64xf32>, tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x64xf32>
  %cat = tensor.concat dim(2) %a, %q : (tensor<2x?x64xf32>, tensor<2x?x64xf32>) -> tensor<2x?x128xf32>
  %flat = tensor.collapse_shape %cat [[0, 1], [2]] : tensor<2x?x128xf32> into tensor<?x128xf32>
  %out = tfm.activation gelu %flat : tensor<?x128xf32>
  return %out : tensor<?x128xf32>
}

// -----

// Weights round to nearest, ties to even; NaN stays NaN, what overflows the
// narrow type becomes infinity.
// CHECK-LABEL: func.func @rounding
// CHECK: arith.constant dense<[1.000000e+00, 1.000000e+00, 1.015630e+00, 0x7FC0, 0x7F80, 0x7F80]> : tensor<6xbf16>
// F16-LABEL: func.func @rounding
// F16: arith.constant dense<[1.000000e+00, 1.003910e+00, 1.011720e+00, 0x7E00, 0x7C00, 0x7C00]> : tensor<6xf16>
func.func @rounding(%x: tensor<2x4xf32>) -> tensor<2x6xf32> {
  %w = arith.constant dense<0.5> : tensor<4x6xf32>
  %b = arith.constant dense<[1.0, 1.00390625, 1.01171875, 0x7FC00000, 0x7F800000, 3.4e38]> : tensor<6xf32>
  %y = tfm.linear %x, %w, %b : (tensor<2x4xf32>, tensor<4x6xf32>, tensor<6xf32>) -> tensor<2x6xf32>
  return %y : tensor<2x6xf32>
}
