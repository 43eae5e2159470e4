// RUN: tfm-opt %s --tfm-unshare-inits --split-input-file | FileCheck %s

// Two GEMMs of one shape share CSE's zero fill: each gets a fill (and an
// empty tensor) of its own, the first keeping the original.
// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] : tensor<4x16xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[F0]] : tensor<4x16xf32>)
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<4x16xf32>)
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8x16xf32>) outs(%[[F1]] : tensor<4x16xf32>)
func.func @shared_fill(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  %1 = linalg.matmul ins(%a, %c : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0, %1 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// A shared bias broadcast with dynamic extents: the clone of the empty
// tensor takes the same sizes. A reader that is not a destination (the
// return) keeps the original; both GEMMs get clones.
// CHECK-LABEL: func.func @shared_broadcast
// CHECK-SAME: %[[N:[^:]*]]: index
// CHECK: %[[E0:.*]] = tensor.empty(%[[N]]) : tensor<?x16xf32>
// CHECK: %[[B0:.*]] = linalg.broadcast ins(%[[BIAS:.*]] : tensor<16xf32>) outs(%[[E0]] : tensor<?x16xf32>)
// CHECK: %[[E1:.*]] = tensor.empty(%[[N]]) : tensor<?x16xf32>
// CHECK: %[[B1:.*]] = linalg.broadcast ins(%[[BIAS]] : tensor<16xf32>) outs(%[[E1]] : tensor<?x16xf32>)
// CHECK: %[[M0:.*]] = linalg.matmul {{.*}} outs(%[[B1]] : tensor<?x16xf32>)
// CHECK: %[[E2:.*]] = tensor.empty(%[[N]]) : tensor<?x16xf32>
// CHECK: %[[B2:.*]] = linalg.broadcast ins(%[[BIAS]] : tensor<16xf32>) outs(%[[E2]] : tensor<?x16xf32>)
// CHECK: %[[M1:.*]] = linalg.matmul {{.*}} outs(%[[B2]] : tensor<?x16xf32>)
// CHECK: return %[[M0]], %[[M1]], %[[B0]]
func.func @shared_broadcast(%a: tensor<?x8xf32>, %b: tensor<8x16xf32>, %bias: tensor<16xf32>, %n: index) -> (tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %e = tensor.empty(%n) : tensor<?x16xf32>
  %f = linalg.broadcast ins(%bias : tensor<16xf32>) outs(%e : tensor<?x16xf32>) dimensions = [0]
  %0 = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x16xf32>) outs(%f : tensor<?x16xf32>) -> tensor<?x16xf32>
  %1 = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x16xf32>) outs(%f : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %0, %1, %f : tensor<?x16xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Kernels writing into one empty tensor get one each; a reader that is not
// a destination (the second kernel's input) keeps the original.
// CHECK-LABEL: func.func @shared_empty
// CHECK: %[[E:.*]] = tensor.empty() : tensor<8xbf16>
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<8xbf16>
// CHECK: %[[G0:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<8xf32>) outs(%[[E0]] : tensor<8xbf16>)
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<8xbf16>
// CHECK: linalg.generic {{.*}} ins(%[[G0]], %[[E]] : tensor<8xbf16>, tensor<8xbf16>) outs(%[[E1]] : tensor<8xbf16>)
// CHECK-NOT: tensor.empty
#id = affine_map<(d0) -> (d0)>
func.func @shared_empty(%x: tensor<8xf32>) -> tensor<8xbf16> {
  %e = tensor.empty() : tensor<8xbf16>
  %0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<8xf32>) outs(%e : tensor<8xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  }  -> tensor<8xbf16>
  %1 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%0, %e : tensor<8xbf16>, tensor<8xbf16>) outs(%e : tensor<8xbf16>) {
  ^bb0(%in: bf16, %in2: bf16, %out: bf16):
    linalg.yield %in : bf16
  } -> tensor<8xbf16>
  return %1 : tensor<8xbf16>
}

// -----

// Used once, or only read: nothing to do.
// CHECK-LABEL: func.func @not_shared
// CHECK-COUNT-1: tensor.empty
// CHECK-COUNT-1: linalg.fill
// CHECK-NOT: tensor.empty
// CHECK-NOT: linalg.fill
func.func @not_shared(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %0 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%f : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %0, %0 : tensor<4x16xf32>, tensor<4x16xf32>
}
