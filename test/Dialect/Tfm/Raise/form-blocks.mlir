// RUN: tfm-opt %s -split-input-file --tfm-form-blocks | FileCheck %s

// Pre-LN: x' = x + MHA(Norm(x)), y = x' + MLP(Norm(x')). Each layer starts at
// the stream value its attention reads and ends where the next one starts;
// the final norm stays outside.
// CHECK-LABEL: func.func @pre_ln
// CHECK: %[[B0:.*]] = tfm.block pre_ln(%arg0) {layer = 0 : i64}
// CHECK: ^bb0(%[[IN:.*]]: tensor<?x?x8xf32>):
// CHECK: tfm.norm layer %[[IN]]
// CHECK: tfm.attention
// CHECK: %[[R0:.*]] = tfm.residual skip(%[[IN]])
// CHECK: %[[R1:.*]] = tfm.residual skip(%[[R0]])
// CHECK: tfm.yield %[[R1]]
// CHECK: %[[B1:.*]] = tfm.block pre_ln(%[[B0]]) {layer = 1 : i64}
// CHECK: %[[OUT:.*]] = tfm.norm layer %[[B1]]
// CHECK: return %[[OUT]]
func.func @pre_ln(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %n0 = tfm.norm layer %x scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %a0 = tfm.attention %n0, %n0, %n0 {num_heads = 2 : i64, causal} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p0 = tfm.linear %a0, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r0 = tfm.residual skip(%x) branches(%p0) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %m0 = tfm.norm layer %r0 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %f0 = tfm.linear %m0, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r1 = tfm.residual skip(%r0) branches(%f0) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %n1 = tfm.norm layer %r1 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %a1 = tfm.attention %n1, %n1, %n1 {num_heads = 2 : i64, causal} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p1 = tfm.linear %a1, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r2 = tfm.residual skip(%r1) branches(%p1) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %m1 = tfm.norm layer %r2 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %f1 = tfm.linear %m1, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r3 = tfm.residual skip(%r2) branches(%f1) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %out = tfm.norm layer %r3 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// Post-LN (BERT): x' = Norm(x + MHA(x)), y = Norm(x' + MLP(x')); the last
// layer takes the norm after its residual.
// CHECK-LABEL: func.func @post_ln
// CHECK: %[[B0:.*]] = tfm.block post_ln(%arg0) {layer = 0 : i64}
// CHECK: %[[B1:.*]] = tfm.block post_ln(%[[B0]]) {layer = 1 : i64}
// CHECK: tfm.residual
// CHECK: tfm.residual
// CHECK-NEXT: %[[N:.*]] = tfm.norm layer
// CHECK-NEXT: tfm.yield %[[N]]
// CHECK: return %[[B1]]
func.func @post_ln(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>, %g: tensor<8xf32>) -> tensor<?x?x8xf32> {
  %a0 = tfm.attention %x, %x, %x {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p0 = tfm.linear %a0, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r0 = tfm.residual skip(%x) branches(%p0) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %n0 = tfm.norm layer %r0 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %f0 = tfm.linear %n0, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r1 = tfm.residual skip(%n0) branches(%f0) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %n1 = tfm.norm layer %r1 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %a1 = tfm.attention %n1, %n1, %n1 {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p1 = tfm.linear %a1, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r2 = tfm.residual skip(%n1) branches(%p1) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %n2 = tfm.norm layer %r2 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %f1 = tfm.linear %n2, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r3 = tfm.residual skip(%n2) branches(%f1) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %n3 = tfm.norm layer %r3 scale(%g) {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  return %n3 : tensor<?x?x8xf32>
}

// -----

// Parallel (GPT-J): y = x + MHA(Norm(x)) + MLP(Norm(x)) in one residual;
// with shaped attention and no skip that is SAS-P.
// CHECK-LABEL: func.func @parallel
// CHECK: tfm.block parallel(%arg0) {layer = 0 : i64}
// CHECK-LABEL: func.func @sas_p
// CHECK: tfm.block sas_p(%arg0) {layer = 0 : i64}
func.func @parallel(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %n = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %a = tfm.attention %n, %n, %n {num_heads = 2 : i64, causal} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p = tfm.linear %a, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %f = tfm.linear %n, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = tfm.residual skip(%x) branches(%p, %f) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %out = tfm.norm layer %r {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}
func.func @sas_p(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %n = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %a = tfm.attention %n, %n, %n {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 1.0>, beta = array<f64: 1.0, 1.0>, gamma = array<f64: 1.0, 1.0>} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %f = tfm.linear %n, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = tfm.residual branches(%a, %f) {betas = array<f64: 1.0, 0.2>} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %out = tfm.norm layer %r {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// SAS: h = MHA~(Norm(x)) (no skip), y = h + MLP(Norm(h)).
// CHECK-LABEL: func.func @sas
// CHECK: tfm.block sas(%arg0) {layer = 0 : i64}
func.func @sas(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> tensor<?x?x8xf32> {
  %n = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %a = tfm.attention %n, %n, %n {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 1.0>, beta = array<f64: 1.0, 1.0>, gamma = array<f64: 1.0, 1.0>} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %m = tfm.norm layer %a {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %f = tfm.linear %m, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = tfm.residual skip(%a) branches(%f) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %out = tfm.norm layer %r {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %out : tensor<?x?x8xf32>
}

// -----

// A value computed inside a layer and used after it (here by the return, as
// the present keys of a KV-cache export are) is one more block result.
// CHECK-LABEL: func.func @escaping
// CHECK: %[[B:.*]]:2 = tfm.block unknown(%arg0) {layer = 0 : i64} : (tensor<?x?x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>)
// CHECK: %[[A:.*]] = tfm.attention
// CHECK: %[[R:.*]] = tfm.residual
// CHECK: tfm.yield %[[R]], %[[A]]
// CHECK: return %[[B]]#0, %[[B]]#1
func.func @escaping(%x: tensor<?x?x8xf32>, %w: tensor<8x8xf32>) -> (tensor<?x?x8xf32>, tensor<?x?x8xf32>) {
  %n = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %a = tfm.attention %n, %n, %n {num_heads = 2 : i64} : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  %p = tfm.linear %a, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
  %r = tfm.residual skip(%x) branches(%p) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
  return %r, %a : tensor<?x?x8xf32>, tensor<?x?x8xf32>
}
