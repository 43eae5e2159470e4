// RUN: tfm-opt %s -split-input-file -convert-onnx-to-linalg | FileCheck %s

// Slice with constant starts/ends/axes and positive steps is an
// extract_slice; INT64_MAX ends and negative starts are clamped.
// CHECK-LABEL: func.func @slice_last
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK: %[[S:.*]] = tensor.dim %[[X]], %c1
// CHECK: tensor.extract_slice %[[X]][0, %{{.*}}, 32] [%{{.*}}, %{{.*}}, 32] [1, 1, 1] : tensor<?x?x64xf32> to tensor<?x?x32xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0, 0] [%{{.*}}, %{{.*}}, 32] [1, 1, 2] : tensor<?x?x64xf32> to tensor<?x?x32xf32>
func.func @slice_last(%x: tensor<?x?x64xf32>) -> (tensor<?x?x32xf32>, tensor<?x?x32xf32>) {
  %starts = arith.constant dense<[-1, 32]> : tensor<2xi64>
  %ends = arith.constant dense<[9223372036854775807, 9223372036854775807]> : tensor<2xi64>
  %axes = arith.constant dense<[1, -1]> : tensor<2xi64>
  %0 = tfm.onnx_node "Slice"(%x, %starts, %ends, %axes) <{version = 13 : i64}> : (tensor<?x?x64xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x?x32xf32>
  %s2 = arith.constant dense<0> : tensor<1xi64>
  %e2 = arith.constant dense<64> : tensor<1xi64>
  %a2 = arith.constant dense<2> : tensor<1xi64>
  %st2 = arith.constant dense<2> : tensor<1xi64>
  %1 = tfm.onnx_node "Slice"(%x, %s2, %e2, %a2, %st2) <{version = 13 : i64}> : (tensor<?x?x64xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x?x32xf32>
  return %0, %1 : tensor<?x?x32xf32>, tensor<?x?x32xf32>
}

// -----

// Negative (or run-time) steps read element by element.
// CHECK-LABEL: func.func @slice_reverse
// CHECK: linalg.generic
// CHECK:   %[[I:.*]] = linalg.index 0 : index
// CHECK:   %[[M:.*]] = arith.muli %[[I]], %c-1 : index
// CHECK:   %[[J:.*]] = arith.addi %[[M]], %c7 : index
// CHECK:   tensor.extract %{{.*}}[%[[J]]] : tensor<8xf32>
func.func @slice_reverse(%x: tensor<8xf32>) -> tensor<8xf32> {
  %s = arith.constant dense<-1> : tensor<1xi64>
  %e = arith.constant dense<-9223372036854775808> : tensor<1xi64>
  %a = arith.constant dense<0> : tensor<1xi64>
  %st = arith.constant dense<-1> : tensor<1xi64>
  %0 = tfm.onnx_node "Slice"(%x, %s, %e, %a, %st) <{version = 13 : i64}> : (tensor<8xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// Gather with tensor indices (an embedding lookup): negative indices count
// from the end and are clamped into range.
// CHECK-DAG: #[[$IDX:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[IDS:.*]]: tensor<?x?xi64>, %[[TABLE:.*]]: tensor<100x64xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[$IDX]], {{.*}}]{{.*}} ins(%[[IDS]] : tensor<?x?xi64>)
// CHECK: ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK:   %[[I:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK:   arith.cmpi slt, %[[I]], %c0
// CHECK:   arith.addi %[[I]], %c100
// CHECK:   %[[K:.*]] = linalg.index 2 : index
// CHECK:   tensor.extract %[[TABLE]][%{{.*}}, %[[K]]] : tensor<100x64xf32>
func.func @embedding(%ids: tensor<?x?xi64>, %table: tensor<100x64xf32>) -> tensor<?x?x64xf32> {
  %0 = tfm.onnx_node "Gather"(%table, %ids) <{version = 13 : i64}> : (tensor<100x64xf32>, tensor<?x?xi64>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// Concat along a dynamic axis; Split into equal parts and into given sizes.
// CHECK-LABEL: func.func @concat_split
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xf32>, %[[B:.*]]: tensor<?x8xf32>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8xf32>
// CHECK: %[[I0:.*]] = tensor.insert_slice %[[A]] into %[[E]][0, 0] [%{{.*}}, 8] [1, 1]
// CHECK: tensor.insert_slice %[[B]] into %[[I0]][%{{.*}}, 0] [%{{.*}}, 8] [1, 1]
// CHECK: tensor.extract_slice %[[A]][0, 0] [%{{.*}}, 4] [1, 1]
// CHECK: tensor.extract_slice %[[A]][0, 4] [%{{.*}}, 4] [1, 1]
// CHECK: tensor.extract_slice %[[A]][0, 0] [%{{.*}}, 2] [1, 1]
// CHECK: tensor.extract_slice %[[A]][0, 2] [%{{.*}}, 6] [1, 1]
func.func @concat_split(%a: tensor<?x8xf32>, %b: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x6xf32>) {
  %0 = tfm.onnx_node "Concat"(%a, %b) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  %1:2 = tfm.onnx_node "Split"(%a) <{onnx_attrs = {axis = 1 : i64, num_outputs = 2 : i64}, version = 18 : i64}> : (tensor<?x8xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>)
  %sizes = arith.constant dense<[2, 6]> : tensor<2xi64>
  %2:2 = tfm.onnx_node "Split"(%a, %sizes) <{onnx_attrs = {axis = -1 : i64}, version = 13 : i64}> : (tensor<?x8xf32>, tensor<2xi64>) -> (tensor<?x2xf32>, tensor<?x6xf32>)
  return %0, %1#0, %1#1, %2#0, %2#1 : tensor<?x8xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x2xf32>, tensor<?x6xf32>
}

// -----

// Trilu (the causal mask) compares column - row with k.
// CHECK-LABEL: func.func @trilu
// CHECK: linalg.generic
// CHECK:   %[[R:.*]] = linalg.index 0 : index
// CHECK:   %[[C:.*]] = linalg.index 1 : index
// CHECK:   %[[D:.*]] = arith.subi %{{.*}}, %{{.*}} : i64
// CHECK:   arith.cmpi sge, %[[D]], %c1_i64 : i64
func.func @trilu(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %k = arith.constant dense<1> : tensor<i64>
  %0 = tfm.onnx_node "Trilu"(%x, %k) <{onnx_attrs = {upper = 1 : i64}, version = 14 : i64}> : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Pad (constant mode) reads inside the input and selects the pad value
// outside it.
// CHECK-LABEL: func.func @pad
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x10xf32>
// CHECK: linalg.generic {{.*}} outs(%[[E]]
// CHECK:   arith.subi %{{.*}}, %c1 : index
// CHECK:   tensor.extract
// CHECK:   arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
func.func @pad(%x: tensor<?x8xf32>) -> tensor<?x10xf32> {
  %pads = arith.constant dense<[0, 1, 0, 1]> : tensor<4xi64>
  %v = arith.constant dense<-1.0> : tensor<f32>
  %0 = tfm.onnx_node "Pad"(%x, %pads, %v) <{version = 13 : i64}> : (tensor<?x8xf32>, tensor<4xi64>, tensor<f32>) -> tensor<?x10xf32>
  return %0 : tensor<?x10xf32>
}

// -----

// GatherND with batch_dims = 1 (BERT's dynamo export picks the pooled token
// this way): one generic over [batch, rest], the first index component from
// an operand map with a constant, the others extracted, each normalised.
// CHECK-DAG: #[[$FIRST:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @gather_nd
// CHECK: linalg.generic {indexing_maps = [#[[$FIRST]], #{{.*}}], iterator_types = ["parallel", "parallel"]} ins(%arg1 : tensor<?x1xi64>)
// CHECK: ^bb0(%[[IN:.*]]: i64,
// CHECK: %[[D0:.*]] = linalg.index 0 : index
// CHECK: arith.index_cast %[[IN]]
// CHECK: arith.cmpi slt
// CHECK: %[[I:.*]] = arith.minsi
// CHECK: %[[D1:.*]] = linalg.index 1 : index
// CHECK: tensor.extract %arg0[%[[D0]], %[[I]], %[[D1]]] : tensor<?x?x8xf32>
func.func @gather_nd(%data: tensor<?x?x8xf32>, %idx: tensor<?x1xi64>) -> tensor<?x8xf32> {
  %0 = tfm.onnx_node "GatherND"(%data, %idx) <{onnx_attrs = {batch_dims = 1 : i64}, version = 18 : i64}> : (tensor<?x?x8xf32>, tensor<?x1xi64>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}
