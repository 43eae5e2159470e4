// RUN: tfm-opt %s -split-input-file -convert-onnx-to-linalg | FileCheck %s

// The exporters' run-time shape chain (Shape -> Gather -> Unsqueeze -> Concat
// -> Reshape) folds element by element: the reshape reads the extents of x
// and becomes an expand_shape.
// CHECK-LABEL: func.func @split_heads
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x768xf32>)
// CHECK-DAG: %[[B:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG: %[[S:.*]] = tensor.dim %[[X]], %c1
// CHECK-NOT: tensor.extract
// CHECK: %[[R:.*]] = tensor.expand_shape %[[X]] {{\[}}[0], [1], [2, 3]] output_shape [%[[B]], %[[S]], 12, 64] : tensor<?x?x768xf32> into tensor<?x?x12x64xf32>
// CHECK: return %[[R]]
func.func @split_heads(%x: tensor<?x?x768xf32>) -> tensor<?x?x12x64xf32> {
  %s = tfm.onnx_node "Shape"(%x) <{version = 17 : i64}> : (tensor<?x?x768xf32>) -> tensor<3xi64>
  %c0 = arith.constant dense<0> : tensor<i64>
  %c1 = arith.constant dense<1> : tensor<i64>
  %b = tfm.onnx_node "Gather"(%s, %c0) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %q = tfm.onnx_node "Gather"(%s, %c1) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %ax = arith.constant dense<[0]> : tensor<1xi64>
  %bu = tfm.onnx_node "Unsqueeze"(%b, %ax) <{version = 13 : i64}> : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %qu = tfm.onnx_node "Unsqueeze"(%q, %ax) <{version = 13 : i64}> : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = arith.constant dense<[12, 64]> : tensor<2xi64>
  %shape = tfm.onnx_node "Concat"(%bu, %qu, %rest) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = tfm.onnx_node "Reshape"(%x, %shape) <{version = 14 : i64}> : (tensor<?x?x768xf32>, tensor<4xi64>) -> tensor<?x?x12x64xf32>
  return %r : tensor<?x?x12x64xf32>
}

// -----

// 0 copies the input extent, -1 is inferred from the element count.
// CHECK-LABEL: func.func @merge_heads
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x12x64xf32>)
// CHECK: tensor.collapse_shape %[[X]] {{\[}}[0], [1], [2, 3]] : tensor<?x?x12x64xf32> into tensor<?x?x768xf32>
func.func @merge_heads(%x: tensor<?x?x12x64xf32>) -> tensor<?x?x768xf32> {
  %shape = arith.constant dense<[0, 0, -1]> : tensor<3xi64>
  %r = tfm.onnx_node "Reshape"(%x, %shape) <{version = 14 : i64}> : (tensor<?x?x12x64xf32>, tensor<3xi64>) -> tensor<?x?x768xf32>
  return %r : tensor<?x?x768xf32>
}

// -----

// A shape known only at run time is read with tensor.extract; 0 and -1 are
// resolved at run time.
// CHECK-LABEL: func.func @runtime_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x6xf32>, %[[SH:.*]]: tensor<2xi64>)
// CHECK-DAG: %[[E0:.*]] = tensor.extract %[[SH]][%c0{{.*}}] : tensor<2xi64>
// CHECK-DAG: %[[E1:.*]] = tensor.extract %[[SH]][%c1{{.*}}] : tensor<2xi64>
// CHECK-DAG: arith.cmpi eq, %{{.*}}, %c-1
// CHECK: arith.divui
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]]
// CHECK: tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [%{{.*}}, %{{.*}}] : tensor<?xf32> into tensor<?x?xf32>
func.func @runtime_reshape(%x: tensor<?x6xf32>, %shape: tensor<2xi64>) -> tensor<?x?xf32> {
  %r = tfm.onnx_node "Reshape"(%x, %shape) <{version = 14 : i64}> : (tensor<?x6xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  return %r : tensor<?x?xf32>
}

// -----

// Where the reshape knows more than ONNX shape inference did, a tensor.cast
// gives the declared type (and the next node reads the static one).
// CHECK-LABEL: func.func @declared_dynamic
// CHECK: %[[E:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [8, 8] : tensor<64xf32> into tensor<8x8xf32>
// CHECK: %[[C:.*]] = tensor.cast %[[E]] : tensor<8x8xf32> to tensor<?x?xf32>
// CHECK: linalg.generic {{.*}} ins(%[[E]] : tensor<8x8xf32>)
// CHECK: return %[[C]], %{{.*}} : tensor<?x?xf32>, tensor<8x8xf32>
func.func @declared_dynamic(%x: tensor<64xf32>) -> (tensor<?x?xf32>, tensor<8x8xf32>) {
  %shape = arith.constant dense<[8, 8]> : tensor<2xi64>
  %r = tfm.onnx_node "Reshape"(%x, %shape) <{version = 14 : i64}> : (tensor<64xf32>, tensor<2xi64>) -> tensor<?x?xf32>
  %n = tfm.onnx_node "Neg"(%r) <{version = 13 : i64}> : (tensor<?x?xf32>) -> tensor<8x8xf32>
  return %r, %n : tensor<?x?xf32>, tensor<8x8xf32>
}

// -----

// Unsqueeze, Squeeze (axes as attribute before opset 13, as input since) and
// Flatten are reassociations.
// CHECK-LABEL: func.func @squeezes
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [1, %{{.*}}, 8] : tensor<?x8xf32> into tensor<1x?x8xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0, 1], [2]] : tensor<1x?x8xf32> into tensor<?x8xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<1x?x8xf32> into tensor<1x?xf32>
func.func @squeezes(%x: tensor<?x8xf32>) -> (tensor<1x?x8xf32>, tensor<?x8xf32>, tensor<1x?xf32>) {
  %u = tfm.onnx_node "Unsqueeze"(%x) <{onnx_attrs = {axes = array<i64: 0>}, version = 11 : i64}> : (tensor<?x8xf32>) -> tensor<1x?x8xf32>
  %ax = arith.constant dense<[-3]> : tensor<1xi64>
  %s = tfm.onnx_node "Squeeze"(%u, %ax) <{version = 13 : i64}> : (tensor<1x?x8xf32>, tensor<1xi64>) -> tensor<?x8xf32>
  %f = tfm.onnx_node "Flatten"(%u) <{onnx_attrs = {axis = 1 : i64}, version = 13 : i64}> : (tensor<1x?x8xf32>) -> tensor<1x?xf32>
  return %u, %s, %f : tensor<1x?x8xf32>, tensor<?x8xf32>, tensor<1x?xf32>
}

// -----

// Shape with start/end (opset 15) and Size, on dynamic extents.
// CHECK-LABEL: func.func @shape_size
// CHECK-SAME: (%[[X:.*]]: tensor<?x4x?xf32>)
// CHECK: %[[D2:.*]] = tensor.dim %[[X]], %c2
// CHECK: %[[I2:.*]] = arith.index_cast %[[D2]] : index to i64
// CHECK: %[[SH:.*]] = tensor.from_elements %c4_i64, %[[I2]] : tensor<2xi64>
// CHECK: %[[N:.*]] = tensor.from_elements %{{.*}} : tensor<i64>
// CHECK: return %[[SH]], %[[N]]
func.func @shape_size(%x: tensor<?x4x?xf32>) -> (tensor<2xi64>, tensor<i64>) {
  %s = tfm.onnx_node "Shape"(%x) <{onnx_attrs = {start = -2 : i64}, version = 15 : i64}> : (tensor<?x4x?xf32>) -> tensor<2xi64>
  %n = tfm.onnx_node "Size"(%x) <{version = 13 : i64}> : (tensor<?x4x?xf32>) -> tensor<i64>
  return %s, %n : tensor<2xi64>, tensor<i64>
}

// -----

// Expand broadcasts to a run-time shape (a dimension of x that is 1 reads
// index 0); Transpose is linalg.transpose.
// CHECK-DAG: #[[$BC:.*]] = affine_map<(d0, d1, d2) -> (0, d2)>
// CHECK-LABEL: func.func @expand_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<1x8xf32>, %[[SH:.*]]: tensor<3xi64>)
// CHECK-DAG: %[[A:.*]] = tensor.extract %[[SH]][%c0
// CHECK-DAG: %[[AI:.*]] = arith.index_cast %[[A]] : i64 to index
// CHECK-DAG: %[[B:.*]] = tensor.extract %[[SH]][%c1
// CHECK-DAG: %[[BI:.*]] = arith.index_cast %[[B]] : i64 to index
// CHECK: %[[E:.*]] = tensor.empty(%[[AI]], %[[BI]]) : tensor<?x?x8xf32>
// CHECK: %[[G:.*]] = linalg.generic {indexing_maps = [#[[$BC]], {{.*}}]{{.*}} ins(%[[X]] : tensor<1x8xf32>) outs(%[[E]]
// CHECK: linalg.transpose ins(%[[G]] : tensor<?x?x8xf32>) outs(%{{.*}} : tensor<?x8x?xf32>) permutation = [1, 2, 0]
func.func @expand_transpose(%x: tensor<1x8xf32>, %shape: tensor<3xi64>) -> tensor<?x8x?xf32> {
  %e = tfm.onnx_node "Expand"(%x, %shape) <{version = 13 : i64}> : (tensor<1x8xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  %t = tfm.onnx_node "Transpose"(%e) <{onnx_attrs = {perm = array<i64: 1, 2, 0>}, version = 13 : i64}> : (tensor<?x?x8xf32>) -> tensor<?x8x?xf32>
  return %t : tensor<?x8x?xf32>
}

// -----

// ConstantOfShape with a run-time shape is a fill; Range with run-time
// bounds has max(ceil((limit - start) / delta), 0) elements.
// CHECK-LABEL: func.func @fill_and_range
// CHECK: %[[V:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: linalg.fill ins(%[[V]] : f32) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK: %[[D:.*]] = arith.subi %[[L:.*]], %[[S:.*]] : i64
// CHECK: %[[Q:.*]] = arith.ceildivsi %[[D]], %c2_i64 : i64
// CHECK: %[[N:.*]] = arith.maxsi %[[Q]], %c0_i64 : i64
// CHECK: %[[NI:.*]] = arith.index_cast %[[N]] : i64 to index
// CHECK: %[[E:.*]] = tensor.empty(%[[NI]]) : tensor<?xi64>
// CHECK: linalg.generic {{.*}} outs(%[[E]] : tensor<?xi64>)
// CHECK:   linalg.index 0
func.func @fill_and_range(%shape: tensor<2xi64>, %s: tensor<i64>, %n: tensor<i64>) -> (tensor<?x?xf32>, tensor<?xi64>) {
  %f = tfm.onnx_node "ConstantOfShape"(%shape) <{onnx_attrs = {value = dense<1.0> : tensor<1xf32>}, version = 9 : i64}> : (tensor<2xi64>) -> tensor<?x?xf32>
  %two = arith.constant dense<2> : tensor<i64>
  %r = tfm.onnx_node "Range"(%s, %n, %two) <{version = 11 : i64}> : (tensor<i64>, tensor<i64>, tensor<i64>) -> tensor<?xi64>
  return %f, %r : tensor<?x?xf32>, tensor<?xi64>
}

// -----

// Constant in its five forms.
// CHECK-LABEL: func.func @constants
// CHECK-DAG: arith.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<f32>
// CHECK-DAG: arith.constant dense<7> : tensor<i64>
// CHECK-DAG: arith.constant dense<[3, 4]> : tensor<2xi64>
// CHECK-DAG: arith.constant dense<[2.500000e-01, 7.500000e-01]> : tensor<2xf32>
func.func @constants() -> (tensor<2xf32>, tensor<f32>, tensor<i64>, tensor<2xi64>, tensor<2xf32>) {
  %0 = tfm.onnx_node "Constant"() <{onnx_attrs = {value = dense<[1.0, 2.0]> : tensor<2xf32>}, version = 13 : i64}> : () -> tensor<2xf32>
  %1 = tfm.onnx_node "Constant"() <{onnx_attrs = {value_float = 0.5 : f32}, version = 13 : i64}> : () -> tensor<f32>
  %2 = tfm.onnx_node "Constant"() <{onnx_attrs = {value_int = 7 : i64}, version = 13 : i64}> : () -> tensor<i64>
  %3 = tfm.onnx_node "Constant"() <{onnx_attrs = {value_ints = array<i64: 3, 4>}, version = 13 : i64}> : () -> tensor<2xi64>
  %4 = tfm.onnx_node "Constant"() <{onnx_attrs = {value_floats = array<f32: 0.25, 0.75>}, version = 13 : i64}> : () -> tensor<2xf32>
  return %0, %1, %2, %3, %4 : tensor<2xf32>, tensor<f32>, tensor<i64>, tensor<2xi64>, tensor<2xf32>
}
