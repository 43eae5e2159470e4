// Where the value-weight fold must not move a scalar or bias past the
// attention, and where it may (GQA): IR, and numbers before and after.
// RUN: tfm-opt %s -split-input-file --tfm-fold-identity-weights 2>/dev/null | FileCheck %s
// RUN: split-file %s %t
// RUN: tfm-run %t/sinks_scaled.mlir --entry=sinks_scaled --random-inputs --seed=5 --dim=B=2 --dim=S=5 --output=%t/sinks_scaled.npy
// RUN: tfm-opt %t/sinks_scaled.mlir --tfm-fold-identity-weights -o %t/sinks_scaled.f.mlir 2>/dev/null
// RUN: tfm-run %t/sinks_scaled.f.mlir --entry=sinks_scaled --random-inputs --seed=5 --dim=B=2 --dim=S=5 --expected=%t/sinks_scaled.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/onehead_slots.mlir --entry=onehead_slots --random-inputs --seed=5 --dim=B=2 --dim=S=5 --output=%t/onehead_slots.npy
// RUN: tfm-opt %t/onehead_slots.mlir --tfm-fold-identity-weights -o %t/onehead_slots.f.mlir 2>/dev/null
// RUN: tfm-run %t/onehead_slots.f.mlir --entry=onehead_slots --random-inputs --seed=5 --dim=B=2 --dim=S=5 --expected=%t/onehead_slots.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/shaped_masked.mlir --entry=shaped_masked --random-inputs --seed=5 --dim=B=2 --dim=S=5 --output=%t/shaped_masked.npy
// RUN: tfm-opt %t/shaped_masked.mlir --tfm-fold-identity-weights -o %t/shaped_masked.f.mlir 2>/dev/null
// RUN: tfm-run %t/shaped_masked.f.mlir --entry=shaped_masked --random-inputs --seed=5 --dim=B=2 --dim=S=5 --expected=%t/shaped_masked.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/gqa_bias.mlir --entry=gqa_bias --random-inputs --seed=5 --dim=B=2 --dim=S=5 --output=%t/gqa_bias.npy
// RUN: tfm-opt %t/gqa_bias.mlir --tfm-fold-identity-weights -o %t/gqa_bias.f.mlir 2>/dev/null
// RUN: tfm-run %t/gqa_bias.f.mlir --entry=gqa_bias --random-inputs --seed=5 --dim=B=2 --dim=S=5 --expected=%t/gqa_bias.npy --rtol=1e-5 --atol=1e-6

//--- sinks_scaled.mlir
// With key/value bias slots attention is affine in V (the slot values are
// not scaled): c = 2 cannot move into W_P; it stays as a Mul on the values.
// CHECK-LABEL: func.func @sinks_scaled
// CHECK: %[[V:.*]] = tfm.onnx_node "Mul"
// CHECK: tfm.attention %{{.*}}, %{{.*}}, %[[V]] kv_bias
// CHECK: tfm.linear %{{.*}}, %[[WP:.*]] :
// CHECK-NOT: folded_projection
func.func @sinks_scaled(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x4xf32> {
  %eye2 = arith.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>
  %wp = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %kb = arith.constant dense<0.5> : tensor<2x1x2xf32>
  %vb = arith.constant dense<-0.5> : tensor<2x1x2xf32>
  %v = tfm.linear %x, %eye2 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v kv_bias(%kb, %vb) {num_heads = 2 : i64, causal} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<2x1x2xf32>, tensor<2x1x2xf32>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- onehead_slots.mlir
// One head with bias slots: the slot values are dv wide, so W_V and W_P do
// not merge.
// CHECK-LABEL: func.func @onehead_slots
// CHECK: %[[V:.*]] = tfm.linear %{{.*}} : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
// CHECK: tfm.attention %{{.*}}, %{{.*}}, %[[V]] kv_bias
func.func @onehead_slots(%x: tensor<?x?x8xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x2xf32> {
  %wv = arith.constant dense<0.25> : tensor<8x8xf32>
  %wp = arith.constant dense<0.5> : tensor<8x2xf32>
  %kb = arith.constant dense<0.5> : tensor<1x1x8xf32>
  %vb = arith.constant dense<-0.5> : tensor<1x1x8xf32>
  %v = tfm.linear %x, %wv : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %a = tfm.attention %x, %x, %v kv_bias(%kb, %vb) {num_heads = 1 : i64, causal} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<1x1x8xf32>, tensor<1x1x8xf32>) -> tensor<?x?x8xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x8xf32>, tensor<8x2xf32>) -> tensor<?x?x2xf32>
  return %p : tensor<?x?x2xf32>
}

// -----
//--- shaped_masked.mlir
// Shaped attention with a mask that hides every key from the softmax term:
// its rows sum to α − γ, not α + β − γ, so the value bias stays put.
// CHECK-LABEL: func.func @shaped_masked
// CHECK: %[[V:.*]] = tfm.onnx_node "Add"
// CHECK: tfm.attention %{{.*}}, %{{.*}}, %[[V]] mask
func.func @shaped_masked(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x4xf32> {
  %mf = arith.constant dense<false> : tensor<1x1x1x1xi1>
  %eye = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.1, 0.1, 0.2, 0.2]> : tensor<4xf32>
  %wp = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %v = tfm.linear %x, %eye, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v mask(%mf) {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 0.8>, beta = array<f64: 1.0, 1.2>, gamma = array<f64: 0.5, 0.4>} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<1x1x1x1xi1>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- gqa_bias.mlir
// GQA (4 query heads on 2 value heads): W_P has heads·dv = 8 rows for the 4
// value lanes; 2·I with its bias folds into it.
// CHECK-LABEL: func.func @gqa_bias
// CHECK-NOT: tfm.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>)
// CHECK: %[[A:.*]] = tfm.attention
// CHECK: tfm.linear %[[A]], %{{.*}}, %{{.*}} : (tensor<?x?x8xf32>, tensor<8x8xf32>, tensor<8xf32>)
func.func @gqa_bias(%x: tensor<?x?x8xf32> {tfm.dim_names = ["B", "S", ""]}, %k: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}, %vin: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x8xf32> {
  %eye2 = arith.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.1, 0.3, 0.2, -0.2]> : tensor<4xf32>
  %wp = arith.constant dense<[[0.1, 0.2, 0.0, 0.0, 0.5, 0.0, 0.0, 0.1], [0.0, 0.3, 0.1, 0.0, 0.0, 0.2, 0.0, 0.0], [0.2, 0.0, 0.0, 0.4, 0.0, 0.0, 0.1, 0.0], [0.0, 0.0, 0.3, 0.0, 0.1, 0.0, 0.0, 0.2], [0.5, 0.0, 0.0, 0.1, 0.0, 0.3, 0.0, 0.0], [0.0, 0.1, 0.0, 0.0, 0.2, 0.0, 0.4, 0.0], [0.0, 0.0, 0.2, 0.0, 0.0, 0.1, 0.0, 0.3], [0.1, 0.0, 0.0, 0.2, 0.0, 0.0, 0.3, 0.1]]> : tensor<8x8xf32>
  %v = tfm.linear %vin, %eye2, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal} : (tensor<?x?x8xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x8xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  return %p : tensor<?x?x8xf32>
}
