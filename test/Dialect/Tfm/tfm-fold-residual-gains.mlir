// RUN: tfm-opt %s -split-input-file --tfm-fold-residual-gains -verify-diagnostics | FileCheck %s
// Numerics: every function before and after the pass, on the same random inputs.
// RUN: tfm-opt %s --tfm-fold-residual-gains -o %t.mlir 2>/dev/null
// RUN: tfm-run %s --entry=sas_p_sum --random-inputs --seed=1 --dim=B=2 --dim=S=3 --output=%t.a.npy
// RUN: tfm-run %t.mlir --entry=sas_p_sum --random-inputs --seed=1 --dim=B=2 --dim=S=3 --expected=%t.a.npy --rtol=0 --atol=0
// RUN: tfm-run %s --entry=sas_mlp --random-inputs --seed=2 --output=%t.b.npy
// RUN: tfm-run %t.mlir --entry=sas_mlp --random-inputs --seed=2 --expected=%t.b.npy --rtol=1e-6 --atol=1e-7
// RUN: tfm-run %s --entry=shared_weight --random-inputs --seed=3 --output=%t.c0.npy --output=%t.c1.npy
// RUN: tfm-run %t.mlir --entry=shared_weight --random-inputs --seed=3 --expected=%t.c0.npy --expected=%t.c1.npy --rtol=0 --atol=0
// RUN: tfm-run %s --entry=some_branches --random-inputs --seed=4 --output=%t.d.npy
// RUN: tfm-run %t.mlir --entry=some_branches --random-inputs --seed=4 --expected=%t.d.npy --rtol=1e-6 --atol=1e-7
// RUN: tfm-run %s --entry=bf16_gain --random-inputs --seed=5 --output=%t.e.npy
// RUN: tfm-run %t.mlir --entry=bf16_gain --random-inputs --seed=5 --expected=%t.e.npy --rtol=2e-2 --atol=2e-2

// SAS-P: attention + 0.5·MLP. The power-of-two gain scales the MLP's down
// projection exactly, and the sum is a plain add.
// CHECK-LABEL: func.func @sas_p_sum(
// CHECK-SAME: %[[A:[a-z0-9]+]]: tensor<?x?x2xf32> {{.*}}, %[[H:[a-z0-9]+]]: tensor<?x?x3xf32>
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}2.500000e-01, -5.000000e-01], [1.000000e+00, 1.250000e-01], [-2.000000e+00, 3.750000e-01]]> : tensor<3x2xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<[5.000000e-02, -1.500000e-01]> : tensor<2xf32>
// CHECK: %[[M:.*]] = tfm.linear %[[H]], %[[W]], %[[B]]
// CHECK: %[[R:.*]] = tfm.residual branches(%[[A]], %[[M]]) : (
// CHECK-NOT: betas
// CHECK: return %[[R]]
func.func @sas_p_sum(%attn: tensor<?x?x2xf32> {tfm.dim_names = ["B", "S", "D"]},
                     %h: tensor<?x?x3xf32> {tfm.dim_names = ["B", "S", "F"]}) -> tensor<?x?x2xf32> {
  %w = arith.constant dense<[[0.5, -1.0], [2.0, 0.25], [-4.0, 0.75]]> : tensor<3x2xf32>
  %b = arith.constant dense<[0.1, -0.3]> : tensor<2xf32>
  // expected-remark @+1 {{folded the residual gain 0.5 into this linear's weights (exact)}}
  %m = tfm.linear %h, %w, %b : (tensor<?x?x3xf32>, tensor<3x2xf32>, tensor<2xf32>) -> tensor<?x?x2xf32>
  %r = tfm.residual branches(%attn, %m) {betas = array<f64: 1.0, 0.5>} : (tensor<?x?x2xf32>, tensor<?x?x2xf32>) -> tensor<?x?x2xf32>
  return %r : tensor<?x?x2xf32>
}

// -----

// SAS's MLP sub-block: x + 0.1·MLP(x̂). 0.1 is not a power of two: each
// scaled weight is rounded once to f32. The skip keeps its gain.
// CHECK-LABEL: func.func @sas_mlp(
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}3.000000e-01, -2.000000e-01]]> : tensor<1x2xf32>
// CHECK: %[[M:.*]] = tfm.linear %{{.*}}, %[[W]] :
// CHECK: tfm.residual skip(%{{.*}}) branches(%[[M]]) {alpha = 2.000000e+00 : f64} :
func.func @sas_mlp(%x: tensor<2x3x2xf32>, %h: tensor<2x3x1xf32>) -> tensor<2x3x2xf32> {
  %w = arith.constant dense<[[3.0, -2.0]]> : tensor<1x2xf32>
  // expected-remark @+1 {{folded the residual gain 0.1 into this linear's weights (rounded to the weights' element type)}}
  %m = tfm.linear %h, %w : (tensor<2x3x1xf32>, tensor<1x2xf32>) -> tensor<2x3x2xf32>
  %r = tfm.residual skip(%x) branches(%m) {alpha = 2.0 : f64, betas = array<f64: 0.1>} : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  return %r : tensor<2x3x2xf32>
}

// -----

// A weight shared with another linear is copied: the other keeps it.
// CHECK-LABEL: func.func @shared_weight(
// CHECK-DAG: %[[W:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>
// CHECK-DAG: %[[W2:.*]] = arith.constant dense<{{\[\[}}2.000000e+00, 4.000000e+00]]> : tensor<1x2xf32>
// CHECK-DAG: %[[P:.*]] = tfm.linear %{{.*}}, %[[W]] :
// CHECK-DAG: %[[M:.*]] = tfm.linear %{{.*}}, %[[W2]] :
// CHECK: tfm.residual skip(%{{.*}}) branches(%[[M]]) :
func.func @shared_weight(%x: tensor<2x2xf32>, %h: tensor<2x1xf32>) -> (tensor<2x2xf32>, tensor<2x2xf32>) {
  %w = arith.constant dense<[[1.0, 2.0]]> : tensor<1x2xf32>
  %p = tfm.linear %h, %w : (tensor<2x1xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{folded the residual gain 2 into this linear's weights (exact)}}
  %m = tfm.linear %h, %w : (tensor<2x1xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
  %r = tfm.residual skip(%x) branches(%m) {betas = array<f64: 2.0>} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %p, %r : tensor<2x2xf32>, tensor<2x2xf32>
}

// -----

// Left alone: a linear read by something else too (%u), one whose weight is
// not a constant (%v), and a branch that is no linear (%x). Only %m's gain
// goes; the others keep theirs.
// CHECK-LABEL: func.func @some_branches(
// CHECK: %[[U:.*]] = tfm.linear
// CHECK: %[[V:.*]] = tfm.linear
// CHECK: %[[M:.*]] = tfm.linear
// CHECK: tfm.residual branches(%{{.*}}, %[[U]], %[[V]], %[[M]]) {betas = array<f64: 3.000000e+00, 5.000000e-01, 2.500000e-01, 1.000000e+00>}
func.func @some_branches(%x: tensor<2x2xf32>, %h: tensor<2x1xf32>, %wv: tensor<1x2xf32>) -> tensor<2x2xf32> {
  %w = arith.constant dense<[[1.5, -0.5]]> : tensor<1x2xf32>
  %u = tfm.linear %h, %w : (tensor<2x1xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
  %v = tfm.linear %h, %wv : (tensor<2x1xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
  // expected-remark @+1 {{folded the residual gain 0.3 into this linear's weights}}
  %m = tfm.linear %h, %w : (tensor<2x1xf32>, tensor<1x2xf32>) -> tensor<2x2xf32>
  %r = tfm.residual branches(%x, %u, %v, %m) {betas = array<f64: 3.0, 0.5, 0.25, 0.3>} : (tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  %s = tfm.residual branches(%r, %u) : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>
  return %s : tensor<2x2xf32>
}

// -----

// bf16 weights and bias: 0.1·w is rounded to bf16 once.
// CHECK-LABEL: func.func @bf16_gain(
// CHECK-DAG: arith.constant dense<{{\[\[}}1.000980e-01, -2.001950e-01]]> : tensor<1x2xbf16>
// CHECK-DAG: arith.constant dense<[2.001950e-01, 1.000000e+00]> : tensor<2xbf16>
// CHECK: tfm.residual skip(%{{.*}}) branches(%{{.*}}) :
func.func @bf16_gain(%xf: tensor<2x2xf32>, %hf: tensor<2x1xf32>) -> tensor<2x2xf32> {
  %x = arith.truncf %xf : tensor<2x2xf32> to tensor<2x2xbf16>
  %h = arith.truncf %hf : tensor<2x1xf32> to tensor<2x1xbf16>
  %w = arith.constant dense<[[1.0, -2.0]]> : tensor<1x2xbf16>
  %b = arith.constant dense<[2.0, 10.0]> : tensor<2xbf16>
  // expected-remark @+1 {{folded the residual gain 0.1 into this linear's weights (rounded}}
  %m = tfm.linear %h, %w, %b : (tensor<2x1xbf16>, tensor<1x2xbf16>, tensor<2xbf16>) -> tensor<2x2xbf16>
  %r = tfm.residual skip(%x) branches(%m) {betas = array<f64: 0.1>} : (tensor<2x2xbf16>, tensor<2x2xbf16>) -> tensor<2x2xbf16>
  %rf = arith.extf %r : tensor<2x2xbf16> to tensor<2x2xf32>
  return %rf : tensor<2x2xf32>
}
