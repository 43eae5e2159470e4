// RUN: tfm-opt %s -split-input-file -convert-onnx-to-linalg | FileCheck %s

// [.., K] x [K, N] with a 2-D weight: one linalg.matmul over the flattened
// leading dimensions.
// CHECK-LABEL: func.func @linear
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>, %[[W:.*]]: tensor<64x256xf32>)
// CHECK: %[[A:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<?x?x64xf32> into tensor<?x64xf32>
// CHECK: %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<?x256xf32>)
// CHECK: %[[P:.*]] = linalg.matmul ins(%[[A]], %[[W]] : tensor<?x64xf32>, tensor<64x256xf32>) outs(%[[Z]] : tensor<?x256xf32>)
// CHECK: tensor.expand_shape %[[P]] {{\[}}[0, 1], [2]] output_shape [%{{.*}}, %{{.*}}, 256] : tensor<?x256xf32> into tensor<?x?x256xf32>
func.func @linear(%x: tensor<?x?x64xf32>, %w: tensor<64x256xf32>) -> tensor<?x?x256xf32> {
  %0 = tfm.onnx_node "MatMul"(%x, %w) <{version = 13 : i64}> : (tensor<?x?x64xf32>, tensor<64x256xf32>) -> tensor<?x?x256xf32>
  return %0 : tensor<?x?x256xf32>
}

// -----

// Batched operands: linalg.batch_matmul over the flattened batch dimensions.
// CHECK-LABEL: func.func @attention_scores
// CHECK-SAME: (%[[Q:.*]]: tensor<?x4x?x16xf32>, %[[K:.*]]: tensor<?x4x16x?xf32>)
// CHECK: %[[Q3:.*]] = tensor.collapse_shape %[[Q]] {{\[}}[0, 1], [2], [3]] : tensor<?x4x?x16xf32> into tensor<?x?x16xf32>
// CHECK: %[[K3:.*]] = tensor.collapse_shape %[[K]] {{\[}}[0, 1], [2], [3]] : tensor<?x4x16x?xf32> into tensor<?x16x?xf32>
// CHECK: %[[S:.*]] = linalg.batch_matmul ins(%[[Q3]], %[[K3]] : tensor<?x?x16xf32>, tensor<?x16x?xf32>) outs(%{{.*}} : tensor<?x?x?xf32>)
// CHECK: tensor.expand_shape %[[S]] {{\[}}[0, 1], [2], [3]] output_shape [%{{.*}}, 4, %{{.*}}, %{{.*}}] : tensor<?x?x?xf32> into tensor<?x4x?x?xf32>
func.func @attention_scores(%q: tensor<?x4x?x16xf32>, %k: tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32> {
  %0 = tfm.onnx_node "MatMul"(%q, %k) <{version = 13 : i64}> : (tensor<?x4x?x16xf32>, tensor<?x4x16x?xf32>) -> tensor<?x4x?x?xf32>
  return %0 : tensor<?x4x?x?xf32>
}

// -----

// Batch dimensions broadcast (here the left operand's 1) are materialised.
// CHECK-LABEL: func.func @broadcast_batch
// CHECK: %[[BA:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<1x3x5xf32>) outs(%{{.*}} : tensor<2x3x5xf32>)
// CHECK: linalg.batch_matmul ins(%[[BA]], %{{.*}} : tensor<2x3x5xf32>, tensor<2x5x7xf32>)
func.func @broadcast_batch(%a: tensor<1x3x5xf32>, %b: tensor<2x5x7xf32>) -> tensor<2x3x7xf32> {
  %0 = tfm.onnx_node "MatMul"(%a, %b) <{version = 13 : i64}> : (tensor<1x3x5xf32>, tensor<2x5x7xf32>) -> tensor<2x3x7xf32>
  return %0 : tensor<2x3x7xf32>
}

// -----

// f16 accumulates in f32; a vector operand becomes a matrix and back.
// CHECK-LABEL: func.func @half_vector
// CHECK: %[[P:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x32xf16>, tensor<32x1xf16>) outs(%{{.*}} : tensor<?x1xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<?x1xf32>)
// CHECK:   arith.truncf %{{.*}} : f32 to f16
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1]] : tensor<?x1xf16> into tensor<?xf16>
func.func @half_vector(%a: tensor<?x32xf16>, %v: tensor<32xf16>) -> tensor<?xf16> {
  %0 = tfm.onnx_node "MatMul"(%a, %v) <{version = 13 : i64}> : (tensor<?x32xf16>, tensor<32xf16>) -> tensor<?xf16>
  return %0 : tensor<?xf16>
}

// -----

// Gemm: transB transposes the weight, C (broadcast) starts the accumulator
// when alpha is 1.
// CHECK-DAG: #[[$BIAS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @gemm
// CHECK-SAME: (%[[A:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<32x64xf32>, %[[C:.*]]: tensor<32xf32>)
// CHECK: %[[BT:.*]] = linalg.transpose ins(%[[B]] : tensor<32x64xf32>) outs(%{{.*}} : tensor<64x32xf32>) permutation = [1, 0]
// CHECK: %[[INIT:.*]] = linalg.generic {indexing_maps = [#[[$BIAS]], {{.*}}]{{.*}} ins(%[[C]] : tensor<32xf32>)
// CHECK:   arith.mulf
// CHECK: linalg.matmul ins(%[[A]], %[[BT]] : tensor<?x64xf32>, tensor<64x32xf32>) outs(%[[INIT]] : tensor<?x32xf32>)
func.func @gemm(%a: tensor<?x64xf32>, %b: tensor<32x64xf32>, %c: tensor<32xf32>) -> tensor<?x32xf32> {
  %0 = tfm.onnx_node "Gemm"(%a, %b, %c) <{onnx_attrs = {beta = 0.5 : f32, transB = 1 : i64}, version = 13 : i64}> : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}

// -----

// Einsum: one linalg.generic, a loop per subscript; those missing from the
// output reduce the product of the operands.
// CHECK-DAG: #[[$EA:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-DAG: #[[$EB:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[$EO:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-LABEL: func.func @einsum
// CHECK: linalg.generic {indexing_maps = [#[[$EA]], #[[$EB]], #[[$EO]]], iterator_types = ["parallel", "parallel", "reduction", "parallel"]}
// CHECK:   arith.mulf
// CHECK:   arith.addf
func.func @einsum(%a: tensor<?x3x5xf32>, %b: tensor<?x5x7xf32>) -> tensor<?x3x7xf32> {
  %0 = tfm.onnx_node "Einsum"(%a, %b) <{onnx_attrs = {equation = "bij, bjk -> bik"}, version = 12 : i64}> : (tensor<?x3x5xf32>, tensor<?x5x7xf32>) -> tensor<?x3x7xf32>
  return %0 : tensor<?x3x7xf32>
}
