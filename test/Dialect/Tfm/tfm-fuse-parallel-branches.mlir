// RUN: tfm-opt %s -split-input-file --tfm-fuse-parallel-branches -verify-diagnostics | FileCheck %s
// Numerics: every function before and after the pass, on the same random inputs.
// RUN: tfm-opt %s --tfm-fuse-parallel-branches -o %t.mlir 2>/dev/null
// RUN: tfm-run %s --entry=qkv_equal --random-inputs --seed=1 --dim=B=2 --dim=S=3 --output=%t.a0.npy --output=%t.a1.npy --output=%t.a2.npy
// RUN: tfm-run %t.mlir --entry=qkv_equal --random-inputs --seed=1 --dim=B=2 --dim=S=3 --expected=%t.a0.npy --expected=%t.a1.npy --expected=%t.a2.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %s --entry=qkv_gqa_bias --random-inputs --seed=2 --output=%t.b0.npy --output=%t.b1.npy --output=%t.b2.npy
// RUN: tfm-run %t.mlir --entry=qkv_gqa_bias --random-inputs --seed=2 --expected=%t.b0.npy --expected=%t.b1.npy --expected=%t.b2.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %s --entry=parallel_block --random-inputs --seed=3 --dim=B=2 --dim=S=5 --output=%t.c.npy
// RUN: tfm-run %t.mlir --entry=parallel_block --random-inputs --seed=3 --dim=B=2 --dim=S=5 --expected=%t.c.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %s --entry=neox_two_norms --random-inputs --seed=4 --output=%t.d.npy
// RUN: tfm-run %t.mlir --entry=neox_two_norms --random-inputs --seed=4 --expected=%t.d.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %s --entry=pre_ln_block --random-inputs --seed=5 --output=%t.e.npy
// RUN: tfm-run %t.mlir --entry=pre_ln_block --random-inputs --seed=5 --expected=%t.e.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %s --entry=sas_p_block --random-inputs --seed=6 --output=%t.f.npy
// RUN: tfm-run %t.mlir --entry=sas_p_block --random-inputs --seed=6 --expected=%t.f.npy --rtol=1e-5 --atol=1e-6
// RUN: tfm-run %s --entry=shared_weight --random-inputs --seed=7 --output=%t.g.npy --output=%t.h.npy --output=%t.i.npy
// RUN: tfm-run %s --entry=qkv_bf16_blobs --random-inputs --seed=8 --dim=B=2 --dim=S=5 --output=%t.j0.npy --output=%t.j1.npy --output=%t.j2.npy
// RUN: tfm-run %t.mlir --entry=qkv_bf16_blobs --random-inputs --seed=8 --dim=B=2 --dim=S=5 --expected=%t.j0.npy --expected=%t.j1.npy --expected=%t.j2.npy --rtol=0 --atol=0
// RUN: tfm-run %t.mlir --entry=shared_weight --random-inputs --seed=7 --expected=%t.g.npy --expected=%t.h.npy --expected=%t.i.npy --rtol=1e-5 --atol=1e-6

// Q/K/V of equal widths without biases, dynamic leading dims: one GEMM over
// [Wq | Wk | Wv], one slice per projection.
// CHECK-LABEL: func.func @qkv_equal(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<?x?x4xf32>
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<4x6xf32>
// CHECK: %[[Y:.*]] = tfm.linear %[[X]], %[[W]] : (tensor<?x?x4xf32>, tensor<4x6xf32>) -> tensor<?x?x6xf32>
// CHECK: %[[Q:.*]] = tensor.extract_slice %[[Y]][0, 0, 0] [%{{.*}}, %{{.*}}, 2] [1, 1, 1] : tensor<?x?x6xf32> to tensor<?x?x2xf32>
// CHECK: %[[K:.*]] = tensor.extract_slice %[[Y]][0, 0, 2] [%{{.*}}, %{{.*}}, 2] [1, 1, 1] : tensor<?x?x6xf32> to tensor<?x?x2xf32>
// CHECK: %[[V:.*]] = tensor.extract_slice %[[Y]][0, 0, 4] [%{{.*}}, %{{.*}}, 2] [1, 1, 1] : tensor<?x?x6xf32> to tensor<?x?x2xf32>
// CHECK-NOT: tfm.linear
// CHECK: return %[[Q]], %[[K]], %[[V]]
// expected-remark @+1 {{fused 3 linears; GEMMs 3 -> 1}}
func.func @qkv_equal(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", "D"]}) -> (tensor<?x?x2xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>) {
  %wq = arith.constant dense<[[-0.524, 0.088], [-0.26, 0.208], [0.251, -0.869], [-0.974, 0.675]]> : tensor<4x2xf32>
  %wk = arith.constant dense<[[-0.481, -0.531], [0.991, -0.059], [0.673, -0.047], [0.278, -0.699]]> : tensor<4x2xf32>
  %wv = arith.constant dense<[[0.27, 0.736], [0.046, 0.483], [0.343, -0.872], [0.516, 0.182]]> : tensor<4x2xf32>
  %q = tfm.linear %x, %wq : (tensor<?x?x4xf32>, tensor<4x2xf32>) -> tensor<?x?x2xf32>
  %k = tfm.linear %x, %wk : (tensor<?x?x4xf32>, tensor<4x2xf32>) -> tensor<?x?x2xf32>
  %v = tfm.linear %x, %wv : (tensor<?x?x4xf32>, tensor<4x2xf32>) -> tensor<?x?x2xf32>
  return %q, %k, %v : tensor<?x?x2xf32>, tensor<?x?x2xf32>, tensor<?x?x2xf32>
}

// -----

// GQA widths (4, 2, 2); K has no bias, so its part of the fused bias is 0.
// CHECK-LABEL: func.func @qkv_gqa_bias(
// CHECK: %[[B:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01, 4.000000e-01, 0.000000e+00, 0.000000e+00, 5.000000e-01, 6.000000e-01]> : tensor<8xf32>
// CHECK: %[[Y:.*]] = tfm.linear %{{.*}}, %{{.*}}, %[[B]] : (tensor<2x3x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<2x3x8xf32>
// CHECK: tensor.extract_slice %[[Y]][0, 0, 0] [2, 3, 4] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x3x4xf32>
// CHECK: tensor.extract_slice %[[Y]][0, 0, 4] [2, 3, 2] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x3x2xf32>
// CHECK: tensor.extract_slice %[[Y]][0, 0, 6] [2, 3, 2] [1, 1, 1] : tensor<2x3x8xf32> to tensor<2x3x2xf32>
// CHECK-NOT: tfm.linear
// expected-remark @+1 {{fused 3 linears; GEMMs 3 -> 1}}
func.func @qkv_gqa_bias(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<2x3x2xf32>, tensor<2x3x2xf32>) {
  %wq = arith.constant dense<[[-0.397, -0.938, 0.731, -0.055], [0.438, 0.758, 0.428, 0.842], [-0.21, 0.602, -0.111, 0.871], [0.758, -0.805, -0.728, -0.566]]> : tensor<4x4xf32>
  %wk = arith.constant dense<[[0.931, -0.128], [0.253, -0.398], [0.014, -0.228], [-0.298, 0.17]]> : tensor<4x2xf32>
  %wv = arith.constant dense<[[0.169, 0.808], [0.364, 0.858], [0.713, 0.982], [0.343, -0.674]]> : tensor<4x2xf32>
  %bq = arith.constant dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>
  %bv = arith.constant dense<[0.5, 0.6]> : tensor<2xf32>
  %q = tfm.linear %x, %wq, %bq : (tensor<2x3x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<2x3x4xf32>
  %k = tfm.linear %x, %wk : (tensor<2x3x4xf32>, tensor<4x2xf32>) -> tensor<2x3x2xf32>
  %v = tfm.linear %x, %wv, %bv : (tensor<2x3x4xf32>, tensor<4x2xf32>, tensor<2xf32>) -> tensor<2x3x2xf32>
  return %q, %k, %v : tensor<2x3x4xf32>, tensor<2x3x2xf32>, tensor<2x3x2xf32>
}

// -----

// A GPT-J parallel block: Q/K/V and the MLP up projection read one norm
// (one GEMM), and the two output projections merge into one GEMM over
// concat(attn, act) with the gains folded in; the residual keeps α·x.
// CHECK-LABEL: func.func @parallel_block(
// CHECK: tfm.block parallel
// CHECK: %[[N:.*]] = tfm.norm layer %{{.*}} {epsilon
// CHECK: %[[Y:.*]] = tfm.linear %[[N]], %{{.*}}, %{{.*}} : (tensor<?x?x4xf32>, tensor<4x20xf32>, tensor<20xf32>) -> tensor<?x?x20xf32>
// CHECK-COUNT-4: tensor.extract_slice %[[Y]]
// CHECK: %[[A:.*]] = tfm.attention
// CHECK: %[[H:.*]] = tfm.activation gelu_tanh
// CHECK: %[[C:.*]] = tensor.concat dim(2) %[[A]], %[[H]] : (tensor<?x?x4xf32>, tensor<?x?x8xf32>) -> tensor<?x?x12xf32>
// CHECK: %[[O:.*]] = tfm.linear %[[C]], %{{.*}}, %{{.*}} : (tensor<?x?x12xf32>, tensor<12x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
// CHECK: %[[R:.*]] = tfm.residual skip(%{{.*}}) branches(%[[O]]) {alpha = 2.000000e+00 : f64} :
// CHECK: tfm.yield %[[R]]
func.func @parallel_block(%x: tensor<?x?x4xf32> {tfm.dim_names = ["B", "S", "D"]}) -> tensor<?x?x4xf32> {
  %g = arith.constant dense<[1.5, 0.5, -1.0, 2.0]> : tensor<4xf32>
  %s = arith.constant dense<[0.1, -0.2, 0.3, 0.0]> : tensor<4xf32>
  %wq = arith.constant dense<[[0.721, 0.929, 0.809, 0.138], [0.428, -0.578, 0.663, 0.147], [-0.43, -0.873, 0.708, 0.98], [-0.823, 0.601, -0.179, -0.698]]> : tensor<4x4xf32>
  %wk = arith.constant dense<[[-0.412, 0.538, 0.746, -0.912], [0.229, -0.91, 0.437, -0.338], [0.762, 0.961, 0.011, 0.997], [-0.381, -0.846, 0.2, -0.937]]> : tensor<4x4xf32>
  %wv = arith.constant dense<[[-0.605, -0.184, 0.221, -0.688], [-0.915, 0.736, -0.372, 0.917], [0.793, -0.244, -0.079, 0.04], [0.288, 0.191, 0.119, 0.24]]> : tensor<4x4xf32>
  %wp = arith.constant dense<[[0.881, 0.014, -0.138, 0.441], [-0.525, -0.398, 0.956, 0.042], [0.097, -0.977, -0.17, 0.16], [-0.96, 0.232, 0.264, -0.88]]> : tensor<4x4xf32>
  %wu = arith.constant dense<[[0.255, -0.067, 0.359, -0.295, 0.414, 0.476, -0.956, -0.879], [0.352, 0.927, -0.498, -0.087, 0.185, -0.36, -0.272, -0.375], [-0.262, 0.191, -0.399, -0.246, 0.545, -0.946, 0.139, 0.47], [-0.38, -0.555, 0.608, -0.523, -0.625, -0.13, 0.396, -0.796]]> : tensor<4x8xf32>
  %bu = arith.constant dense<[-0.356, -0.332, 0.667, -0.123, 0.711, -0.661, -0.327, 0.3]> : tensor<8xf32>
  %wd = arith.constant dense<[[0.77, -0.098, -0.55, -0.758], [0.059, -0.618, 0.614, 0.677], [-0.633, -0.443, 0.614, 0.284], [0.613, -0.309, -0.741, -0.416], [0.588, -0.458, -0.307, -0.166], [-0.16, -0.181, 0.841, -0.688], [-0.991, 0.887, 0.76, 0.974], [-0.131, 0.9, 0.855, -0.556]]> : tensor<8x4xf32>
  %bd = arith.constant dense<[0.491, 0.673, 0.326, 0.038]> : tensor<4xf32>
  // expected-remark @+1 {{fused 6 linears; GEMMs 6 -> 2}}
  %y = tfm.block parallel (%x) {layer = 0 : i64} : (tensor<?x?x4xf32>) -> tensor<?x?x4xf32> {
  ^bb0(%a0: tensor<?x?x4xf32>):
    %n = tfm.norm layer %a0 scale(%g) shift(%s) {epsilon = 1.0e-05 : f64} : (tensor<?x?x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
    %q = tfm.linear %n, %wq : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %k = tfm.linear %n, %wk : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %v = tfm.linear %n, %wv : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %att = tfm.attention %q, %k, %v {causal, num_heads = 2 : i64} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    %o = tfm.linear %att, %wp : (tensor<?x?x4xf32>, tensor<4x4xf32>) -> tensor<?x?x4xf32>
    %u = tfm.linear %n, %wu, %bu : (tensor<?x?x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
    %h = tfm.activation gelu_tanh %u : tensor<?x?x8xf32>
    %m = tfm.linear %h, %wd, %bd : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
    %r = tfm.residual skip(%a0) branches(%o, %m) {alpha = 2.0 : f64, betas = array<f64: 0.5, 0.25>} : (tensor<?x?x4xf32>, tensor<?x?x4xf32>, tensor<?x?x4xf32>) -> tensor<?x?x4xf32>
    tfm.yield %r : tensor<?x?x4xf32>
  }
  return %y : tensor<?x?x4xf32>
}

// -----

// GPT-NeoX: two LayerNorms of x with different affines. A7 folds each affine
// into its linears; the two affine-free norms are one value, whose fused QKV
// and up projections then are one GEMM.
// CHECK-LABEL: func.func @neox_two_norms(
// CHECK: tfm.block parallel
// CHECK: %[[N:.*]] = tfm.norm layer %{{.*}} {epsilon = 1.000000e-05 : f64} : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
// CHECK-NOT: tfm.norm
// CHECK: %[[Y:.*]] = tfm.linear %[[N]], %{{.*}}, %{{.*}} : (tensor<1x3x4xf32>, tensor<4x20xf32>, tensor<20xf32>) -> tensor<1x3x20xf32>
// CHECK: tensor.concat
// CHECK: tfm.linear
// CHECK-NOT: tfm.linear
// CHECK: tfm.yield
func.func @neox_two_norms(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %g1 = arith.constant dense<[1.5, 0.5, -1.0, 2.0]> : tensor<4xf32>
  %s1 = arith.constant dense<[0.1, -0.2, 0.3, 0.0]> : tensor<4xf32>
  %g2 = arith.constant dense<[0.7, 1.1, 0.9, -0.4]> : tensor<4xf32>
  %s2 = arith.constant dense<[-0.3, 0.2, 0.05, 0.4]> : tensor<4xf32>
  %wqkv = arith.constant dense<[[-0.422, -0.318, -0.545, -0.864, 0.177, -0.426, 0.62, -0.91, 0.807, 0.387, 0.848, 0.793], [0.799, 0.154, -0.974, 0.491, -0.656, -0.4, 0.326, 0.05, -0.172, 0.878, 0.224, -0.317], [-0.495, 0.723, -0.046, 0.565, -0.296, -0.605, 0.069, 0.634, -0.657, 0.583, 0.844, 0.612], [0.647, -0.985, 0.257, 0.725, -0.9, -0.457, -0.463, 0.055, -0.154, -0.054, 0.553, -0.996]]> : tensor<4x12xf32>
  %bqkv = arith.constant dense<[-0.89, -0.746, -0.751, -0.863, 0.949, 0.709, -0.828, 0.004, -0.368, -0.371, -0.297, 0.294]> : tensor<12xf32>
  %wp = arith.constant dense<[[0.173, -0.278, -0.618, -0.342], [-0.752, 0.111, 0.432, -0.24], [-0.84, -0.643, -0.253, 0.209], [0.565, -0.239, 0.602, 0.246]]> : tensor<4x4xf32>
  %bp = arith.constant dense<[-0.137, -0.255, -0.008, 0.406]> : tensor<4xf32>
  %wu = arith.constant dense<[[-0.159, 0.388, -0.078, -0.51, 0.072, 0.39, -0.857, -0.15], [-0.148, 0.759, 0.873, -0.252, 0.796, 0.582, -0.476, -0.072], [-0.754, 0.626, 0.325, 0.775, 0.585, 0.335, 0.467, 0.128], [-0.794, 0.176, -0.99, -0.713, 0.549, -0.911, -0.816, -0.801]]> : tensor<4x8xf32>
  %bu = arith.constant dense<[0.761, -0.642, -0.953, 0.683, -0.757, 0.688, 0.347, 0.672]> : tensor<8xf32>
  %wd = arith.constant dense<[[0.905, 0.158, 0.597, -0.927], [0.535, 0.023, 0.43, -0.787], [0.498, 0.869, -0.878, -0.352], [0.128, 0.656, -0.516, -0.64], [-0.5, 0.232, 0.507, -0.213], [-0.265, -0.207, -0.299, -0.164], [-0.833, 0.001, 0.946, -0.174], [0.495, -0.679, 0.382, 0.512]]> : tensor<8x4xf32>
  %bd = arith.constant dense<[0.348, 0.034, -0.033, 0.286]> : tensor<4xf32>
  // expected-remark @+1 {{fused 4 linears; GEMMs 4 -> 2}}
  %y = tfm.block parallel (%x) {layer = 0 : i64} : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  ^bb0(%a0: tensor<1x3x4xf32>):
    %n1 = tfm.norm layer %a0 scale(%g1) shift(%s1) {epsilon = 1.0e-05 : f64} : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %qkv = tfm.linear %n1, %wqkv, %bqkv : (tensor<1x3x4xf32>, tensor<4x12xf32>, tensor<12xf32>) -> tensor<1x3x12xf32>
    %q = tensor.extract_slice %qkv[0, 0, 0] [1, 3, 4] [1, 1, 1] : tensor<1x3x12xf32> to tensor<1x3x4xf32>
    %k = tensor.extract_slice %qkv[0, 0, 4] [1, 3, 4] [1, 1, 1] : tensor<1x3x12xf32> to tensor<1x3x4xf32>
    %v = tensor.extract_slice %qkv[0, 0, 8] [1, 3, 4] [1, 1, 1] : tensor<1x3x12xf32> to tensor<1x3x4xf32>
    %att = tfm.attention %q, %k, %v {causal, num_heads = 2 : i64} : (tensor<1x3x4xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    %o = tfm.linear %att, %wp, %bp : (tensor<1x3x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %n2 = tfm.norm layer %a0 scale(%g2) shift(%s2) {epsilon = 1.0e-05 : f64} : (tensor<1x3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %u = tfm.linear %n2, %wu, %bu : (tensor<1x3x4xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<1x3x8xf32>
    %h = tfm.activation gelu %u : tensor<1x3x8xf32>
    %m = tfm.linear %h, %wd, %bd : (tensor<1x3x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %r = tfm.residual skip(%a0) branches(%m, %o) : (tensor<1x3x4xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    tfm.yield %r : tensor<1x3x4xf32>
  }
  return %y : tensor<1x3x4xf32>
}

// -----

// Pre-LN (sequential) block: Q/K/V fuse (GQA widths), gate/up fuse, but the
// output projections are never merged: the MLP reads the attention's residual.
// CHECK-LABEL: func.func @pre_ln_block(
// CHECK: tfm.block pre_ln
// CHECK: tfm.linear %{{.*}} : (tensor<1x3x4xf32>, tensor<4x8xf32>) -> tensor<1x3x8xf32>
// CHECK: tfm.attention
// CHECK: %[[O:.*]] = tfm.linear %{{.*}} : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
// CHECK: %[[R1:.*]] = tfm.residual skip(%{{.*}}) branches(%[[O]])
// CHECK: tfm.linear %{{.*}} : (tensor<1x3x4xf32>, tensor<4x12xf32>) -> tensor<1x3x12xf32>
// CHECK: tfm.activation silu
// CHECK: %[[D:.*]] = tfm.linear %{{.*}} : (tensor<1x3x6xf32>, tensor<6x4xf32>) -> tensor<1x3x4xf32>
// CHECK: tfm.residual skip(%[[R1]]) branches(%[[D]])
// CHECK-NOT: tensor.concat
func.func @pre_ln_block(%x: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %g1 = arith.constant dense<[1.5, 0.5, -1.0, 2.0]> : tensor<4xf32>
  %g2 = arith.constant dense<[0.7, 1.1, 0.9, -0.4]> : tensor<4xf32>
  %wq = arith.constant dense<[[0.795, -0.701, -0.808, 0.496], [0.833, 0.035, -0.114, 0.438], [-0.628, -0.465, -0.602, 0.171], [-0.37, -0.535, 0.382, 0.907]]> : tensor<4x4xf32>
  %wk = arith.constant dense<[[-0.408, 0.411], [-0.174, 0.707], [0.169, -0.466], [-0.565, -0.954]]> : tensor<4x2xf32>
  %wv = arith.constant dense<[[-0.041, -0.234], [-0.656, -0.279], [-0.356, 0.548], [-0.713, 0.982]]> : tensor<4x2xf32>
  %wp = arith.constant dense<[[-0.041, 0.198, -0.064, 0.669], [0.643, 0.114, -0.037, 0.441], [0.713, -0.199, 0.467, 0.921], [-0.065, -0.541, -0.53, 0.435]]> : tensor<4x4xf32>
  %wg = arith.constant dense<[[0.351, 0.917, 0.708, -0.516, -0.621, -0.483], [-0.626, 0.409, 0.717, 0.8, -0.49, 0.73], [-0.373, -0.153, 0.458, -0.828, -0.815, 0.668], [-0.416, -0.287, 0.161, 0.351, -0.986, -0.33]]> : tensor<4x6xf32>
  %wu = arith.constant dense<[[-0.128, -0.028, -0.58, 0.17, 0.911, -0.218], [0.089, -0.762, -0.45, 0.331, -0.775, 0.774], [0.818, -0.806, 0.883, -0.252, 0.545, 0.515], [-0.409, 0.352, 0.308, 0.612, -0.469, 0.508]]> : tensor<4x6xf32>
  %wd = arith.constant dense<[[0.923, 0.346, 0.072, -0.773], [-0.012, -0.296, 0.436, 0.357], [0.133, -0.636, 0.291, 0.262], [-0.642, 0.78, 0.311, -0.754], [0.864, -0.717, -0.337, 0.441], [0.195, 0.11, 0.295, -0.085]]> : tensor<6x4xf32>
  // expected-remark @+1 {{fused 5 linears; GEMMs 7 -> 4}}
  %y = tfm.block pre_ln (%x) {layer = 0 : i64} : (tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  ^bb0(%a0: tensor<1x3x4xf32>):
    %n1 = tfm.norm rms %a0 scale(%g1) {epsilon = 1.0e-06 : f64} : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %q = tfm.linear %n1, %wq : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %k = tfm.linear %n1, %wk : (tensor<1x3x4xf32>, tensor<4x2xf32>) -> tensor<1x3x2xf32>
    %v = tfm.linear %n1, %wv : (tensor<1x3x4xf32>, tensor<4x2xf32>) -> tensor<1x3x2xf32>
    %att = tfm.attention %q, %k, %v {causal, num_heads = 2 : i64, num_kv_heads = 1 : i64} : (tensor<1x3x4xf32>, tensor<1x3x2xf32>, tensor<1x3x2xf32>) -> tensor<1x3x4xf32>
    %o = tfm.linear %att, %wp : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %r1 = tfm.residual skip(%a0) branches(%o) : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    %n2 = tfm.norm rms %r1 scale(%g2) {epsilon = 1.0e-06 : f64} : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %gt = tfm.linear %n2, %wg : (tensor<1x3x4xf32>, tensor<4x6xf32>) -> tensor<1x3x6xf32>
    %up = tfm.linear %n2, %wu : (tensor<1x3x4xf32>, tensor<4x6xf32>) -> tensor<1x3x6xf32>
    %h = tfm.activation silu %gt, %up : tensor<1x3x6xf32>, tensor<1x3x6xf32>
    %d = tfm.linear %h, %wd : (tensor<1x3x6xf32>, tensor<6x4xf32>) -> tensor<1x3x4xf32>
    %r2 = tfm.residual skip(%r1) branches(%d) : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    tfm.yield %r2 : tensor<1x3x4xf32>
  }
  return %y : tensor<1x3x4xf32>
}

// -----

// SAS-P: no skip; the two branch GEMMs with gains become the block's output.
// CHECK-LABEL: func.func @sas_p_block(
// CHECK: %[[C:.*]] = tensor.concat dim(2)
// CHECK: %[[O:.*]] = tfm.linear %[[C]], %{{.*}} : (tensor<1x3x8xf32>, tensor<8x4xf32>) -> tensor<1x3x4xf32>
// CHECK-NOT: tfm.residual
// CHECK: tfm.yield %[[O]]
func.func @sas_p_block(%x: tensor<1x3x4xf32>, %a: tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  %wp = arith.constant dense<[[-0.375, -0.647, -0.863, 0.432], [0.509, 0.086, 0.479, -0.282], [-0.468, -0.233, 0.745, -0.916], [0.009, -0.506, 0.538, -0.292]]> : tensor<4x4xf32>
  %wd = arith.constant dense<[[-0.334, -0.193, 0.083, 0.543], [-0.294, 0.694, -0.776, -0.459], [-0.801, -0.775, 0.558, 0.455], [-0.63, -0.622, -0.167, 0.487]]> : tensor<4x4xf32>
  // expected-remark @+1 {{fused 2 linears; GEMMs 2 -> 1}}
  %y = tfm.block sas_p (%x, %a) {layer = 0 : i64} : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32> {
  ^bb0(%a0: tensor<1x3x4xf32>, %a1: tensor<1x3x4xf32>):
    %o = tfm.linear %a0, %wp : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %h = tfm.activation relu %a1 : tensor<1x3x4xf32>
    %m = tfm.linear %h, %wd : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %r = tfm.residual branches(%o, %m) {betas = array<f64: 0.5, 0.125>} : (tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    tfm.yield %r : tensor<1x3x4xf32>
  }
  return %y : tensor<1x3x4xf32>
}

// -----

// A weight shared with another user is fine: the fused weight is a copy, and
// the other linear (reading a different value) keeps the original constant.
// CHECK-LABEL: func.func @shared_weight(
// CHECK-SAME: %[[X:[a-z0-9]+]]: tensor<2x4xf32>, %[[Z:[a-z0-9]+]]: tensor<2x4xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<4x3xf32>
// CHECK-DAG: %[[F:.*]] = arith.constant dense<{{.*}}> : tensor<4x6xf32>
// CHECK: tfm.linear %[[X]], %[[F]] : (tensor<2x4xf32>, tensor<4x6xf32>) -> tensor<2x6xf32>
// CHECK: tfm.linear %[[Z]], %[[W]] : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// expected-remark @+1 {{fused 2 linears; GEMMs 3 -> 2}}
func.func @shared_weight(%x: tensor<2x4xf32>, %z: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<[[0.631, 0.497, 0.184], [-0.707, -0.203, -0.613], [0.055, 0.137, -0.596], [-0.5, 0.563, -0.94]]> : tensor<4x3xf32>
  %w2 = arith.constant dense<[[0.606, 0.782, 0.899], [-0.234, 0.105, 0.166], [0.267, 0.954, 0.373], [-0.401, 0.72, -0.032]]> : tensor<4x3xf32>
  %a = tfm.linear %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %b = tfm.linear %x, %w2 : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %c = tfm.linear %z, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %a, %b, %c : tensor<2x3xf32>, tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Rejected: linears reading different values.
// CHECK-LABEL: func.func @different_inputs(
// CHECK-COUNT-2: tfm.linear
// CHECK-NOT: tensor.extract_slice
// expected-remark @+1 {{fused 0 linears; GEMMs 2 -> 2}}
func.func @different_inputs(%x: tensor<2x4xf32>, %z: tensor<2x4xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w = arith.constant dense<[[0.203, 0.454, -0.995], [0.541, 0.324, -0.016], [0.047, -0.079, -0.613], [0.059, -0.926, 0.001]]> : tensor<4x3xf32>
  %w2 = arith.constant dense<[[0.292, -0.112, 0.132], [0.918, 0.784, -0.729], [0.585, 0.247, -0.899], [-0.28, -0.533, -0.844]]> : tensor<4x3xf32>
  %a = tfm.linear %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %b = tfm.linear %z, %w2 : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Rejected: mismatched dtypes (an f16 and an f32 linear never share an input,
// since a linear's operands share one element type); an f16 pair on one
// value still fuses, in f16.
// CHECK-LABEL: func.func @dtypes(
// CHECK: tfm.linear %{{.*}} : (tensor<2x4xf16>, tensor<4x4xf16>) -> tensor<2x4xf16>
// CHECK: tfm.linear %{{.*}} : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
// expected-remark @+1 {{fused 2 linears; GEMMs 3 -> 2}}
func.func @dtypes(%x: tensor<2x4xf16>, %z: tensor<2x4xf32>) -> (tensor<2x2xf16>, tensor<2x2xf16>, tensor<2x2xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x2xf16>
  %w2 = arith.constant dense<2.0> : tensor<4x2xf16>
  %w3 = arith.constant dense<2.0> : tensor<4x2xf32>
  %a = tfm.linear %x, %w : (tensor<2x4xf16>, tensor<4x2xf16>) -> tensor<2x2xf16>
  %b = tfm.linear %x, %w2 : (tensor<2x4xf16>, tensor<4x2xf16>) -> tensor<2x2xf16>
  %c = tfm.linear %z, %w3 : (tensor<2x4xf32>, tensor<4x2xf32>) -> tensor<2x2xf32>
  return %a, %b, %c : tensor<2x2xf16>, tensor<2x2xf16>, tensor<2x2xf32>
}

// -----

// Rejected: a non-constant weight (the constant one has no partner left).
// CHECK-LABEL: func.func @non_constant_weight(
// CHECK-COUNT-2: tfm.linear
// CHECK-NOT: tensor.extract_slice
// expected-remark @+1 {{fused 0 linears; GEMMs 2 -> 2}}
func.func @non_constant_weight(%x: tensor<2x4xf32>, %w: tensor<4x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %w2 = arith.constant dense<[[0.078, 0.86, -0.354], [0.741, 0.389, -0.731], [0.717, 0.202, 0.854], [0.432, 0.479, -0.313]]> : tensor<4x3xf32>
  %a = tfm.linear %x, %w : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %b = tfm.linear %x, %w2 : (tensor<2x4xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return %a, %b : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Rejected in a parallel block: a branch linear with another user, and a
// norm with a non-linear user keeps its affine.
// CHECK-LABEL: func.func @parallel_rejected(
// CHECK: tfm.norm layer %{{.*}} scale(
// CHECK-NOT: tensor.concat
// CHECK: tfm.residual skip(%{{.*}}) branches(%{{.*}}, %{{.*}})
func.func @parallel_rejected(%x: tensor<1x3x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x3x4xf32>) {
  %g = arith.constant dense<[1.5, 0.5, -1.0, 2.0]> : tensor<4xf32>
  %wp = arith.constant dense<[[0.613, 0.863, 0.723, -0.126], [0.514, -0.03, -0.782, -0.915], [-0.844, -0.599, -0.678, -0.006], [0.399, 0.075, -0.156, 0.298]]> : tensor<4x4xf32>
  %wd = arith.constant dense<[[-0.391, -0.071, 0.514, -0.197], [-0.639, 0.799, 0.439, -0.266], [-0.258, 0.059, 0.193, -0.552], [-0.995, -0.582, 0.566, -0.713]]> : tensor<4x4xf32>
  // expected-remark @+1 {{fused 0 linears; GEMMs 2 -> 2}}
  %y:2 = tfm.block parallel (%x) {layer = 0 : i64} : (tensor<1x3x4xf32>) -> (tensor<1x3x4xf32>, tensor<1x3x4xf32>) {
  ^bb0(%a0: tensor<1x3x4xf32>):
    %n = tfm.norm layer %a0 scale(%g) {epsilon = 1.0e-05 : f64} : (tensor<1x3x4xf32>, tensor<4xf32>) -> tensor<1x3x4xf32>
    %o = tfm.linear %n, %wp : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %h = tfm.activation relu %n : tensor<1x3x4xf32>
    %m = tfm.linear %h, %wd : (tensor<1x3x4xf32>, tensor<4x4xf32>) -> tensor<1x3x4xf32>
    %r = tfm.residual skip(%a0) branches(%o, %m) : (tensor<1x3x4xf32>, tensor<1x3x4xf32>, tensor<1x3x4xf32>) -> tensor<1x3x4xf32>
    tfm.yield %r, %m : tensor<1x3x4xf32>, tensor<1x3x4xf32>
  }
  return %y#0, %y#1 : tensor<1x3x4xf32>, tensor<1x3x4xf32>
}

// -----

// bf16 weights stored as blobs (a bf16 export): Q, K and V still become one
// GEMM, its weight a bf16 blob of the concatenated columns.
// CHECK-LABEL: func.func @qkv_bf16_blobs
// CHECK: %[[W:.*]] = arith.constant dense_resource<fused_weight> : tensor<16x48xbf16>
// CHECK: %[[F:.*]] = tfm.linear %{{.*}}, %[[W]], %{{.*}} : (tensor<?x?x16xbf16>, tensor<16x48xbf16>, tensor<48xbf16>)
// CHECK-COUNT-3: tensor.extract_slice %[[F]]
// CHECK-NOT: tfm.linear
// The fused weight's first row starts with W_Q's:
// CHECK: fused_weight: "0x10000000C03DC03EE8BED83E
// expected-remark @+1 {{fused 3 linears; GEMMs 3 -> 1}}
func.func @qkv_bf16_blobs(%x32: tensor<?x?x16xf32> {tfm.dim_names = ["B", "S", ""]}) -> (tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>) {
  %wq = arith.constant dense_resource<wq_bf16> : tensor<16x16xbf16>
  %wk = arith.constant dense_resource<wk_bf16> : tensor<16x16xbf16>
  %wv = arith.constant dense_resource<wv_bf16> : tensor<16x16xbf16>
  %b = arith.constant dense<0.25> : tensor<16xbf16>
  %x = arith.truncf %x32 : tensor<?x?x16xf32> to tensor<?x?x16xbf16>
  %q = tfm.linear %x, %wq, %b : (tensor<?x?x16xbf16>, tensor<16x16xbf16>, tensor<16xbf16>) -> tensor<?x?x16xbf16>
  %k = tfm.linear %x, %wk : (tensor<?x?x16xbf16>, tensor<16x16xbf16>) -> tensor<?x?x16xbf16>
  %v = tfm.linear %x, %wv, %b : (tensor<?x?x16xbf16>, tensor<16x16xbf16>, tensor<16xbf16>) -> tensor<?x?x16xbf16>
  %q32 = arith.extf %q : tensor<?x?x16xbf16> to tensor<?x?x16xf32>
  %k32 = arith.extf %k : tensor<?x?x16xbf16> to tensor<?x?x16xf32>
  %v32 = arith.extf %v : tensor<?x?x16xbf16> to tensor<?x?x16xf32>
  return %q32, %k32, %v32 : tensor<?x?x16xf32>, tensor<?x?x16xf32>, tensor<?x?x16xf32>
}

{-# dialect_resources: { builtin: { wq_bf16: "0x02000000C03DC03EE8BED83E80BC50BE50BE88BE80BD503E103E203ED8BEC8BEC83E803E0C3F983E80BEA83E203E403D50BE000000BD603E003DC83E40BE003E003E60BE98BE803E003E40BDC03D30BE803D20BE403D803EA0BD603E88BEA0BDB0BE00BD803C40BD80BDA83EB83E98BE983EE0BE40BE40BD003D88BE40BE803C30BE20BE303E703E80BC00000080E0BD00BE88BE203E80BC00BD403D003EB83E80BDC0BD403D60BEA03E703E303E00BD403E883E003E80BDD8BE703EC0BD50BE603EA03DB8BE00BD80BD803EF0BEC0BD00BDB83E88BE3CBFB0BE803D503EE03EC03D50BE603E008040BD0000A03E60BE80BE80BC80BC50BE60BEC03DA83E303E303EA03E00BFC0BE30BE98BE80BE803CA8BEE0BD04BF80BEB03E10BEA03D303E00BE103E403D303E20BEB8BE80BE10BE103E40BDC0BD40BD903E10BEC03EA0BE10BE603E003E60BE00BD30BE603E103E30BEC03DC0BD80BC803C10BEE03DE03DE03D903E80BDC0BE00BE403D0000103E503E00BD00BD80BE883E80BD88BE90BEE0BDC83E403ED8BE00BD803D203EA03D20BEE03D10BE10BF30BE30BE703E883E88BE403D803CB8BE04BF80BC003D20BE2CBF008010BE60BEA0BD90BE103E000010BEA03D80BCC0BE00BDE0BDE0BE20BEE03D20BEB83ED83EA0BD103E003FA0BD60BEE0BDB0BEB0BE403DE0BD803D003E40BE40BD80BD30BE50BEA03D00BDA03D803E803E", wk_bf16: "0x0200000090BE60BE80BD003D703E70BEE0BD803DA03EB03E80BE40BD50BE603EE03DC0BD20BEA03D803E40BEA0BD003D0000A03D80BE20BE08BF803C883E04BF20BE603E00BDF0BE983EB8BEB03E10BE30BE00000080203E003E00BDA83E303E803D003D00BD80BC303E003E803C803E80BDE03D603E90BE80BDD83E70BE903E88BEC03D88BE20BEC0BD10BE803E503E603E403DD03E803EA03D88BE303E203E003D303E403EA0BD103EC03DA03DA0BDE0BD003DB83E143FC0BD88BEA0BD50BEE0BDC03D70BE203E503EC03EE83E803E103F00BE803D403DE03D803EA0BDD83EA03EC03D003E70BE20BF80BCA03D803D88BEE0BDE03E403E203EA0BD403EA83E403EC0BDA03D60BEA0BD203E00BE40BDB83E00BD403EA0BD90BE0000A0BD00BF98BEC0BDC03E10BE0080203EA03DA0BDD83EB03E1CBF703E103E803E003D503EF83ED83EE83E883E703E703E90BE103F803DA03D003D003E04BF803DA0BE70BEE8BED8BE203E00BE80BC40BD90BE30BEA0BEA0BD0CBFC0BD703E983E903E003E80BE603E003E803D98BEC03DB03E403E80BD103E0000403D503EA03D803CC03D50BE80BE003E10BE103EE8BE983E00BDD83E1CBFD8BEB03E403DA03D003D403D103E80BE40BDA83E403D20BE003D883E40BD40BD003E603EC03E00BDC03D883EF0BE003D003E80BC50BE203EA03E80BCE0BD40BDC83EA03E803C88BEA0BEA0BDA0BDA03D", wv_bf16: "0x0200000090BE00BD103ED0BE143F203E103EA0BE80BE883E703E18BF983E403E203E88BEA03D10BE203EF03E303E883E80BD80BE803C883EC03E0080A03DC0BDD8BE003DC03DC0BD00BDE0BE003DB83E0000203E003E30BE803D40BE3C3F803D88BEC0BEC83E303EE03DA8BE00BE98BE903E00BE003F103E80BDB03E04BF50BEC0BD903E903EC03DE0BE00BE88BEA83EC0BD203EF03E0080403EA0BD803C803C803C003DC0BDF83E20BEA03D80BD0CBF803E803DA8BE30BEC8BEA03DD03EA03EA0BED8BE103ED83E803C883EB0BE80BC003EC0BD40BD303E20BE70BE403E803D80BEE03D10BE303E000080BD40BE803D0080F83E0080A8BE043F00BFD83E50BEB83E40BD103E803C80BC103E20BE003E88BE30BE00BE80BCA03E50BE60BE90BEC0BD103E40BEA0BD10BE803C00BF203E703E50BE80BC60BE803E203E383F40BD60BE00BEA0BE803DA03D703EE03DC0BDA83E203E603E90BE50BE20BEC0BD0CBFA03E40BD603E503EC03E203EE03D30BE403DE83ED8BE30BEA03DD83E88BEC0BD403D4C3F50BE80BC503E20BEE03D003EA0BDE03DE83E403DA0BD30BEA03D903E803DC03D303F30BE80BEC03D00BD303EA83EE03D00BD203E103E000000BE403E00BD88BE403EE0BDE0BD403E30BE80BC60BEB8BEC03DD03E50BEA03E903EC83E80BE10BEE03E0000803C503E303EE0BD00BD403EC03D20BEB03E703E80BDE0BD803E14BF" } } #-}

// -----

// A declaration has nothing to fuse and gets no remark.
// CHECK-LABEL: func.func private @external
func.func private @external(tensor<2x4xf32>) -> tensor<2x4xf32>
