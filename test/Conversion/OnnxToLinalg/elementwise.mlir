// RUN: tfm-opt %s -split-input-file -convert-onnx-to-linalg | FileCheck %s

// Numpy broadcasting: dimensions statically 1 read index 0, missing leading
// dimensions are dropped from the map, dynamic ones are assumed equal.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-LABEL: func.func @add_broadcast
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[B:.*]]: tensor<8xf32>, %[[C:.*]]: tensor<?x1x8xf32>)
// CHECK: %[[D0:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[E:.*]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?x8xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$COL]], #[[$ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[B]], %[[C]] : tensor<?x?x8xf32>, tensor<8xf32>, tensor<?x1x8xf32>) outs(%[[E]]
// CHECK: arith.addf
// CHECK: arith.addf
func.func @add_broadcast(%x: tensor<?x?x8xf32>, %b: tensor<8xf32>, %c: tensor<?x1x8xf32>) -> tensor<?x?x8xf32> {
  %0 = tfm.onnx_node "Add"(%x, %b) <{version = 14 : i64}> : (tensor<?x?x8xf32>, tensor<8xf32>) -> tensor<?x?x8xf32>
  %1 = tfm.onnx_node "Sum"(%x, %b, %c) <{version = 13 : i64}> : (tensor<?x?x8xf32>, tensor<8xf32>, tensor<?x1x8xf32>) -> tensor<?x?x8xf32>
  return %1 : tensor<?x?x8xf32>
}

// -----

// f16 is computed in f32 and rounded back; integer division truncates.
// CHECK-LABEL: func.func @half_and_int
// CHECK: linalg.generic
// CHECK: ^bb0(%[[A:.*]]: f16, %[[B:.*]]: f16, %{{.*}}: f16):
// CHECK:   %[[AE:.*]] = arith.extf %[[A]] : f16 to f32
// CHECK:   %[[BE:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK:   %[[M:.*]] = arith.mulf %[[AE]], %[[BE]] : f32
// CHECK:   arith.truncf %[[M]] : f32 to f16
// CHECK: linalg.generic
// CHECK:   arith.divsi %{{.*}}, %{{.*}} : i32
func.func @half_and_int(%a: tensor<4x?xf16>, %b: tensor<4x?xf16>, %i: tensor<32xi32>, %j: tensor<32xi32>) -> (tensor<4x?xf16>, tensor<32xi32>) {
  %0 = tfm.onnx_node "Mul"(%a, %b) <{version = 14 : i64}> : (tensor<4x?xf16>, tensor<4x?xf16>) -> tensor<4x?xf16>
  %1 = tfm.onnx_node "Div"(%i, %j) <{version = 14 : i64}> : (tensor<32xi32>, tensor<32xi32>) -> tensor<32xi32>
  return %0, %1 : tensor<4x?xf16>, tensor<32xi32>
}

// -----

// Cast: float to integer truncates toward zero, anything to bool is != 0,
// bool to float is 0/1.
// CHECK-LABEL: func.func @casts
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.uitofp %{{.*}} : i1 to f16
// CHECK: arith.extsi %{{.*}} : i32 to i64
func.func @casts(%x: tensor<64xf32>, %b: tensor<64xi1>, %i: tensor<64xi32>) -> (tensor<64xi64>, tensor<64xi1>, tensor<64xf16>, tensor<64xi64>) {
  %0 = tfm.onnx_node "Cast"(%x) <{onnx_attrs = {to = 7 : i64}, version = 13 : i64}> : (tensor<64xf32>) -> tensor<64xi64>
  %1 = tfm.onnx_node "Cast"(%x) <{onnx_attrs = {to = 9 : i64}, version = 13 : i64}> : (tensor<64xf32>) -> tensor<64xi1>
  %2 = tfm.onnx_node "Cast"(%b) <{onnx_attrs = {to = 10 : i64}, version = 13 : i64}> : (tensor<64xi1>) -> tensor<64xf16>
  %3 = tfm.onnx_node "CastLike"(%i, %0) <{version = 15 : i64}> : (tensor<64xi32>, tensor<64xi64>) -> tensor<64xi64>
  return %0, %1, %2, %3 : tensor<64xi64>, tensor<64xi1>, tensor<64xf16>, tensor<64xi64>
}

// -----

// Pow with a constant exponent of 2 or 0.5 is a product or a square root.
// CHECK-LABEL: func.func @pow
// CHECK: linalg.generic
// CHECK-NOT: math.powf
// CHECK: %[[SQ:.*]] = arith.mulf %[[IN:.*]], %[[IN]] : f32
// CHECK: linalg.generic
// CHECK: math.sqrt
// CHECK: linalg.generic
// CHECK: math.powf
func.func @pow(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<1xf32>
  %0 = tfm.onnx_node "Pow"(%x, %two) <{version = 15 : i64}> : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  %1 = tfm.onnx_node "Pow"(%x, %half) <{version = 15 : i64}> : (tensor<?x64xf32>, tensor<1xf32>) -> tensor<?x64xf32>
  %2 = tfm.onnx_node "Pow"(%x, %y) <{version = 15 : i64}> : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// Comparisons and Where (the attention-mask pattern), with Clip's optional
// bounds.
// CHECK-LABEL: func.func @mask
// CHECK: linalg.generic
// CHECK:   arith.cmpi eq, %{{.*}}, %{{.*}} : i64
// CHECK:   linalg.yield %{{.*}} : i1
// CHECK: linalg.generic
// CHECK:   arith.select %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic
// CHECK:   arith.maximumf
// CHECK-NOT: arith.minimumf
// CHECK:   linalg.yield
func.func @mask(%m: tensor<?x?xi64>, %x: tensor<?x4x?x?xf32>) -> (tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>) {
  %zero = arith.constant dense<0> : tensor<i64>
  %ninf = arith.constant dense<-3.4e38> : tensor<f32>
  %none = tfm.onnx_none
  %c = tfm.onnx_node "Equal"(%m, %zero) <{version = 13 : i64}> : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %w = tfm.onnx_node "Where"(%c, %ninf, %x) <{version = 16 : i64}> : (tensor<?x?xi1>, tensor<f32>, tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  %r = tfm.onnx_node "Clip"(%w, %ninf, %none) <{version = 13 : i64}> : (tensor<?x4x?x?xf32>, tensor<f32>, none) -> tensor<?x4x?x?xf32>
  return %w, %r : tensor<?x4x?x?xf32>, tensor<?x4x?x?xf32>
}

// -----

// Small integer tensors (shape arithmetic) are computed as scalars, so that
// constant shapes fold.
// CHECK-LABEL: func.func @shape_arith
// CHECK-NOT: linalg
// CHECK: %[[C:.*]] = arith.constant dense<[6, 8]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @shape_arith() -> tensor<2xi64> {
  %a = arith.constant dense<[3, 4]> : tensor<2xi64>
  %b = arith.constant dense<2> : tensor<i64>
  %0 = tfm.onnx_node "Mul"(%a, %b) <{version = 14 : i64}> : (tensor<2xi64>, tensor<i64>) -> tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// Dropout is the identity at inference; a requested mask is all true.
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[T:.*]] = arith.constant true
// CHECK: %[[M:.*]] = linalg.fill ins(%[[T]] : i1)
// CHECK: return %[[X]], %[[M]]
func.func @dropout(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xi1>) {
  %r = arith.constant dense<0.1> : tensor<f32>
  %0:2 = tfm.onnx_node "Dropout"(%x, %r) <{version = 13 : i64}> : (tensor<?x8xf32>, tensor<f32>) -> (tensor<?x8xf32>, tensor<?x8xi1>)
  return %0#0, %0#1 : tensor<?x8xf32>, tensor<?x8xi1>
}
