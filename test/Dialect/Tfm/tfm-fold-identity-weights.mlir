// RUN: tfm-opt %s -split-input-file --tfm-fold-identity-weights 2>/dev/null | FileCheck %s
// RUN: tfm-opt %s -split-input-file --tfm-fold-identity-weights -verify-diagnostics -o /dev/null
// RUN: tfm-opt %s -split-input-file --tfm-fold-identity-weights=tolerance=0.01 2>/dev/null | FileCheck %s --check-prefix=NEAR

// Numerically (each positive case, before and after):
// RUN: split-file %s %t
// RUN: tfm-run %t/sasp.mlir --entry=sasp --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/sasp.npy
// RUN: tfm-opt %t/sasp.mlir --tfm-fold-identity-weights -o %t/sasp.f.mlir 2>/dev/null
// RUN: tfm-run %t/sasp.f.mlir --entry=sasp --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/sasp.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/scaled.mlir --entry=scaled --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/scaled.npy
// RUN: tfm-opt %t/scaled.mlir --tfm-fold-identity-weights -o %t/scaled.f.mlir 2>/dev/null
// RUN: tfm-run %t/scaled.f.mlir --entry=scaled --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/scaled.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/shaped.mlir --entry=shaped --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/shaped.npy
// RUN: tfm-opt %t/shaped.mlir --tfm-fold-identity-weights -o %t/shaped.f.mlir 2>/dev/null
// RUN: tfm-run %t/shaped.f.mlir --entry=shaped --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/shaped.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/masked.mlir --entry=masked --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/masked.npy
// RUN: tfm-opt %t/masked.mlir --tfm-fold-identity-weights -o %t/masked.f.mlir 2>/dev/null
// RUN: tfm-run %t/sinks.mlir --entry=sinks --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/sinks.npy
// RUN: tfm-opt %t/sinks.mlir --tfm-fold-identity-weights -o %t/sinks.f.mlir 2>/dev/null
// RUN: tfm-run %t/sinks.f.mlir --entry=sinks --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/sinks.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/onehead.mlir --entry=onehead --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/onehead.npy
// RUN: tfm-opt %t/onehead.mlir --tfm-fold-identity-weights -o %t/onehead.f.mlir 2>/dev/null
// RUN: tfm-run %t/onehead.f.mlir --entry=onehead --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/onehead.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/shareduse.mlir --entry=shareduse --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t/su0.npy --output=%t/su1.npy
// RUN: tfm-opt %t/shareduse.mlir --tfm-fold-identity-weights -o %t/shareduse.f.mlir 2>/dev/null
// RUN: tfm-run %t/shareduse.f.mlir --entry=shareduse --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/su0.npy --expected=%t/su1.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %t/masked.f.mlir --entry=masked --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t/masked.npy --rtol=1e-5 --atol=1e-6

//--- sasp.mlir
// SAS-P: identity W_V and W_P disappear; the projection's identity becomes
// the branch gain.
// CHECK-LABEL: func.func @sasp
// CHECK-NOT: tfm.linear %{{.*}}, %[[I:cst.*]] :
// CHECK: %[[A:.*]] = tfm.attention %[[N:.*]], %[[N]], %[[N]]
// CHECK: %[[F:.*]] = tfm.linear %[[N]], %{{.*}} : (tensor<?x?x8xf32>, tensor<8x8xf32>)
// CHECK: tfm.residual branches(%[[A]], %[[F]]) {betas = array<f64: 1.000000e+00, 5.000000e-01>}
func.func @sasp(%x: tensor<?x?x8xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x8xf32> {
  %eye = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<8x8xf32>
  %w = arith.constant dense<[[0.5, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.5, 0.1, 0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.1, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.5, 0.1, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.5, 0.1, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.1, 0.0], [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.1], [0.1, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5]]> : tensor<8x8xf32>
  %n = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  // expected-remark @+1 {{folded identity weight (8x8, c = 1.000000e+00, ||W - cI||/||W|| = 0.000000e+00)}}
  %v = tfm.linear %n, %eye : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %a = tfm.attention %n, %n, %v {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 0.8>, beta = array<f64: 1.0, 1.2>, gamma = array<f64: 0.5, 0.4>} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  // expected-remark @+1 {{into the residual gain}}
  %p = tfm.linear %a, %eye : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %f = tfm.linear %n, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = tfm.residual branches(%p, %f) {betas = array<f64: 1.0, 0.5>} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r : tensor<?x?x8xf32>
}

// -----
//--- scaled.mlir
// W_V = 2·I with a bias, plain causal attention (rows sum to 1): the scalar
// scales W_P and the value bias moves into the output bias
// b_P' = b_P + b_V·W_P.
// CHECK-LABEL: func.func @scaled
// CHECK: %[[A:.*]] = tfm.attention %arg0, %arg0, %arg0
// CHECK-DAG: %[[WP:.*]] = arith.constant dense<{{\[}}[2.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 4.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00, 0.000000e+00], [2.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00]]> : tensor<4x4xf32>
// CHECK-DAG: %[[BP:.*]] = arith.constant dense<[1.100000e+00, 2.000000e-01, 1.000000e+00, 4.000000e-01]> : tensor<4xf32>
// CHECK: tfm.linear %[[A]], %[[WP]], %[[BP]]
func.func @scaled(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x4xf32> {
  %w2 = arith.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.1, 0.1, 0.2, 0.2]> : tensor<4xf32>
  %wp = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bp = arith.constant dense<[0.8, 0.0, 0.8, 0.2]> : tensor<4xf32>
  // expected-remark @+1 {{folded scalar-identity weight (4x4, c = 2.000000e+00, ||W - cI||/||W|| = 0.000000e+00) into the output projection}}
  %v = tfm.linear %x, %w2, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v {num_heads = 2 : i64, causal} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp, %bp : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- shaped.mlir
// Shaped attention rows sum to α_h + β_h − γ_h: the value bias of head h
// moves into the output bias with that factor (here 1.5 and 0.5); the
// identity projection then leaves only that bias to add.
// CHECK-LABEL: func.func @shaped
// CHECK: %[[A:.*]] = tfm.attention %arg0, %arg0, %arg0
// CHECK: %[[BP:.*]] = arith.constant dense<[1.500000e-01, 1.500000e-01, 1.000000e-01, 1.000000e-01]> : tensor<4xf32>
// CHECK: tfm.onnx_node "Add"(%[[A]], %[[BP]])
func.func @shaped(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x4xf32> {
  %eye = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.1, 0.1, 0.2, 0.2]> : tensor<4xf32>
  // expected-remark @+1 {{into the output projection}}
  %v = tfm.linear %x, %eye, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 0.5>, beta = array<f64: 1.0, 0.5>, gamma = array<f64: 0.5, 0.5>} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  // expected-remark @+1 {{folded identity weight}}
  %p = tfm.linear %a, %eye : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- masked.mlir
// With a mask a row may see no key and sum to 0: the value bias stays an
// elementwise add on the values (no fold into the projection).
// CHECK-LABEL: func.func @masked
// CHECK: %[[V:.*]] = tfm.onnx_node "Add"(%arg0, %{{.*}})
// CHECK: tfm.attention %arg0, %arg0, %[[V]] mask(%arg1)
func.func @masked(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}, %m: tensor<?x1x1x?xf32> {tfm.dim_names = ["B", "", "", "S"]}) -> tensor<?x?x4xf32> {
  %eye = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.1, 0.1, 0.2, 0.2]> : tensor<4xf32>
  %wp = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  // expected-remark @+1 {{folded identity weight}}
  %v = tfm.linear %x, %eye, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v mask(%m) {num_heads = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x1x1x?xf32>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- sinks.mlir
// Explicit key/value bias slots take a query-dependent share of every row:
// the value bias cannot move into the output bias.
// CHECK-LABEL: func.func @sinks
// CHECK: %[[V:.*]] = tfm.onnx_node "Add"(%arg0, %{{.*}})
// CHECK: tfm.attention %arg0, %arg0, %[[V]] kv_bias
func.func @sinks(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x4xf32> {
  %eye = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.1, 0.1, 0.2, 0.2]> : tensor<4xf32>
  %wp = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %kb = arith.constant dense<0.5> : tensor<2x1x2xf32>
  %vb = arith.constant dense<-0.5> : tensor<2x1x2xf32>
  // expected-remark @+1 {{folded identity weight}}
  %v = tfm.linear %x, %eye, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v kv_bias(%kb, %vb) {num_heads = 2 : i64, causal} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<2x1x2xf32>, tensor<2x1x2xf32>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- onehead.mlir
// One head: x·W_V then ·W_P is one GEMM x·(W_V·W_P) (16 instead of 32 MACs
// per token); the value bias goes through W_P into the output bias since
// causal softmax rows sum to 1.
// CHECK-LABEL: func.func @onehead
// CHECK: %[[W:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 2.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 0.000000e+00, 3.000000e+00, 0.000000e+00], [5.000000e-01, 0.000000e+00, 0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 1.000000e+00]]> : tensor<4x4xf32>
// CHECK: %[[V:.*]] = tfm.linear %arg0, %[[W]] : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
// CHECK: %[[A:.*]] = tfm.attention %arg0, %arg0, %[[V]] {causal, num_heads = 1 : i64}
// CHECK: %[[B:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01, 5.000000e-01]> : tensor<4xf32>
// CHECK: %[[R:.*]] = tfm.onnx_node "Add"(%[[A]], %[[B]])
// CHECK: return %[[R]]
func.func @onehead(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x4xf32> {
  %wv = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bv = arith.constant dense<[0.0, 0.0, 0.0, 0.2]> : tensor<4xf32>
  %wp = arith.constant dense<[[1.0, 2.0, 0.0, 0.0], [1.0, 0.0, 0.0, 2.0], [0.0, 0.0, 3.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %bp = arith.constant dense<[0.1, 0.2, 0.3, 0.3]> : tensor<4xf32>
  // expected-remark @+1 {{merged the single-head value and output projections into one 4x4 weight (32 -> 16 MACs per token)}}
  %v = tfm.linear %x, %wv, %bv : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v {num_heads = 1 : i64, causal} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp, %bp : (tensor<?x?x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  return %p : tensor<?x?x4xf32>
}

// -----
//--- shareduse.mlir
// The scaled values are also used outside the attention: the scalar cannot
// move into the projection, so it stays as a multiply.
// CHECK-LABEL: func.func @shareduse
// CHECK: %[[V:.*]] = tfm.onnx_node "Mul"(%arg0, %{{.*}})
// CHECK: tfm.attention %arg0, %arg0, %[[V]]
// CHECK: tfm.linear
func.func @shareduse(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", ""]}) -> (tensor<?x?x4xf32>, tensor<?x?x4xf32>) {
  %w2 = arith.constant dense<[[2.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 2.0, 0.0], [0.0, 0.0, 0.0, 2.0]]> : tensor<4x4xf32>
  %wp = arith.constant dense<[[1.0, 0.0, 0.0, 0.0], [0.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  // expected-remark @+1 {{folded scalar-identity weight (4x4, c = 2.000000e+00, ||W - cI||/||W|| = 0.000000e+00)}}
  %v = tfm.linear %x, %w2 : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  %a = tfm.attention %x, %x, %v {num_heads = 2 : i64, causal} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
  %p = tfm.linear %a, %wp : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
  return %p, %v : tensor<?x?x4xf32>, tensor<?x?x4xf32>
}

// -----
//--- rejected.mlir
// Not the identity (off-diagonal 0.001, or not square): kept. Within
// tolerance=0.01 the near-identity one folds (approximate, opt-in).
// CHECK-LABEL: func.func @rejected
// CHECK: tfm.linear %arg0, %[[NI:.*]] : (tensor<?x4xf32>, tensor<4x4xf32>)
// CHECK: tfm.linear %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x2xf32>)
// NEAR-LABEL: func.func @rejected
// NEAR-NOT: tfm.linear %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x4xf32>)
// NEAR: tfm.linear %arg0, %{{.*}} : (tensor<?x4xf32>, tensor<4x2xf32>)
func.func @rejected(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x2xf32>) {
  %near = arith.constant dense<[[1.0, 0.001, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]> : tensor<4x4xf32>
  %rect = arith.constant dense<[[1.0, 0.0], [0.0, 1.0], [0.0, 0.0], [0.0, 0.0]]> : tensor<4x2xf32>
  %a = tfm.linear %x, %near : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %b = tfm.linear %x, %rect : (tensor<?x4xf32>, tensor<4x2xf32>) -> tensor<?x2xf32>
  return %a, %b : tensor<?x4xf32>, tensor<?x2xf32>
}
