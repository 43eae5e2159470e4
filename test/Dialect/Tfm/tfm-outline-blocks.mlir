// RUN: tfm-opt %s -split-input-file -tfm-outline-blocks | FileCheck %s

// Two layers that differ only in the weights they capture share one
// function; captures follow the block inputs as arguments.
// CHECK: func.func private @main_pre_ln_block0(%[[X:.*]]: tensor<?x4xf32>, %[[G:.*]]: tensor<4xf32>, %[[W:.*]]: tensor<4x4xf32>) -> tensor<?x4xf32>
// CHECK-NEXT: %[[N:.*]] = tfm.norm rms %[[X]] scale(%[[G]])
// CHECK-NEXT: %[[L:.*]] = tfm.linear %[[N]], %[[W]]
// CHECK-NEXT: %[[R:.*]] = tfm.residual skip(%[[X]]) branches(%[[L]])
// CHECK-NEXT: return %[[R]] : tensor<?x4xf32>
// CHECK-NOT: func.func private
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[IN:.*]]: tensor<?x4xf32>, %[[W0:.*]]: tensor<4x4xf32>, %[[W1:.*]]: tensor<4x4xf32>, %[[G0:.*]]: tensor<4xf32>)
// CHECK: %[[H0:.*]] = call @main_pre_ln_block0(%[[IN]], %[[G0]], %[[W0]])
// CHECK: %[[H1:.*]] = call @main_pre_ln_block0(%[[H0]], %[[G0]], %[[W1]])
// CHECK: return %[[H1]]
// CHECK-NOT: tfm.block
func.func @main(%x: tensor<?x4xf32>, %w0: tensor<4x4xf32>, %w1: tensor<4x4xf32>, %g: tensor<4xf32>) -> tensor<?x4xf32> {
  %h0 = tfm.block pre_ln (%x) {layer = 0 : i64} : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%a: tensor<?x4xf32>):
    %n = tfm.norm rms %a scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %l = tfm.linear %n, %w0 : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %r = tfm.residual skip(%a) branches(%l) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    tfm.yield %r : tensor<?x4xf32>
  }
  %h1 = tfm.block pre_ln (%h0) {layer = 1 : i64} : (tensor<?x4xf32>) -> tensor<?x4xf32> {
  ^bb0(%a: tensor<?x4xf32>):
    %n = tfm.norm rms %a scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<?x4xf32>, tensor<4xf32>) -> tensor<?x4xf32>
    %l = tfm.linear %n, %w1 : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %r = tfm.residual skip(%a) branches(%l) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
    tfm.yield %r : tensor<?x4xf32>
  }
  return %h1 : tensor<?x4xf32>
}

// -----

// Blocks that differ in structure, attributes or inner constants get their
// own functions; several results come back from one call.
// CHECK: func.func private @f_pre_ln_block0(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK: arith.constant dense<1.000000e+00>
// CHECK: func.func private @f_pre_ln_block1(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK: arith.constant dense<2.000000e+00>
// CHECK: func.func private @f_unknown_block2(%{{.*}}: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)
// CHECK: tfm.activation relu
// CHECK-LABEL: func.func @f
// CHECK: call @f_pre_ln_block0
// CHECK: call @f_pre_ln_block1
// CHECK: %{{.*}}:2 = call @f_unknown_block2
func.func @f(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %0 = tfm.block pre_ln (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %c = arith.constant dense<1.0> : tensor<4xf32>
    %r = tfm.residual skip(%a) branches(%c) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    tfm.yield %r : tensor<4xf32>
  }
  %1 = tfm.block pre_ln (%0) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %c = arith.constant dense<2.0> : tensor<4xf32>
    %r = tfm.residual skip(%a) branches(%c) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
    tfm.yield %r : tensor<4xf32>
  }
  %2:2 = tfm.block unknown (%1) : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: tensor<4xf32>):
    %r = tfm.activation relu %a : tensor<4xf32>
    tfm.yield %r, %a : tensor<4xf32>, tensor<4xf32>
  }
  return %2#0, %2#1 : tensor<4xf32>, tensor<4xf32>
}
