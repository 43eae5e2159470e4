// RUN: tfm-opt %s -split-input-file -convert-onnx-to-linalg | FileCheck %s

// ReduceMean: axes are an attribute before opset 18 and an input since;
// keepdims reshapes the reduced tensor back.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[$KEPT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @reduce_mean
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf32>)
// CHECK: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[F:.*]] = linalg.fill ins(%[[Z]] : f32) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[$ID]], #[[$KEPT]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]] : tensor<?x?x64xf32>) outs(%[[F]] : tensor<?x?xf32>)
// CHECK:   arith.addf
// CHECK: linalg.generic {{.*}} ins(%[[S]] : tensor<?x?xf32>)
// CHECK:   arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [%{{.*}}, %{{.*}}, 1] : tensor<?x?xf32> into tensor<?x?x1xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$KEPT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-NOT: tensor.expand_shape
// CHECK: return
func.func @reduce_mean(%x: tensor<?x?x64xf32>) -> (tensor<?x?x1xf32>, tensor<?x?xf32>) {
  %0 = tfm.onnx_node "ReduceMean"(%x) <{onnx_attrs = {axes = array<i64: -1>}, version = 13 : i64}> : (tensor<?x?x64xf32>) -> tensor<?x?x1xf32>
  %axes = arith.constant dense<[2]> : tensor<1xi64>
  %1 = tfm.onnx_node "ReduceMean"(%x, %axes) <{onnx_attrs = {keepdims = 0 : i64}, version = 18 : i64}> : (tensor<?x?x64xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %0, %1 : tensor<?x?x1xf32>, tensor<?x?xf32>
}

// -----

// Softmax over the last axis (opset 13): max, then the sum of exp(x - max),
// then exp(x - max) / sum.
// CHECK-DAG: #[[$ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @softmax
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[MAXI:.*]] = linalg.fill ins(%[[NINF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {{.*}} outs(%[[MAXI]]
// CHECK:   arith.maximumf
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[$ID4]], #[[$ROW]], #[[$ROW]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%{{.*}}, %[[MAX]] :
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK:   arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[$ID4]], #[[$ROW]], #[[$ROW]], #[[$ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}}, %[[MAX]], %[[SUM]] :
// CHECK:   arith.subf
// CHECK:   math.exp
// CHECK:   arith.divf
func.func @softmax(%x: tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32> {
  %0 = tfm.onnx_node "Softmax"(%x) <{onnx_attrs = {axis = -1 : i64}, version = 13 : i64}> : (tensor<?x4x?x?xf32>) -> tensor<?x4x?x?xf32>
  return %0 : tensor<?x4x?x?xf32>
}

// -----

// Before opset 13, Softmax normalises over all dimensions from axis on.
// CHECK-LABEL: func.func @softmax_opset11
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction"]
func.func @softmax_opset11(%x: tensor<2x3x4xf32>) -> tensor<2x3x4xf32> {
  %0 = tfm.onnx_node "Softmax"(%x) <{version = 11 : i64}> : (tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// LayerNormalization: mean and variance over the normalised dimensions in
// f32 (the input is f16), 1/sqrt(var + epsilon), scale and bias broadcast
// over the leading dimensions; the Mean output keeps the reduced dimension.
// CHECK-DAG: #[[$LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x64xf16>, %[[G:.*]]: tensor<64xf16>, %[[B:.*]]: tensor<64xf16>)
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<?x?x64xf16>) outs(%{{.*}} : tensor<?x?xf32>)
// CHECK:   arith.extf
// CHECK:   arith.addf
// CHECK: %[[MEAN:.*]] = linalg.generic
// CHECK:   arith.divf
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[MEAN]] : tensor<?x?x64xf16>, tensor<?x?xf32>)
// CHECK:   arith.mulf
// CHECK: %[[INV:.*]] = linalg.generic
// CHECK:   %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK:   arith.addf %{{.*}}, %[[EPS]] : f32
// CHECK:   math.rsqrt
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [{{.*}}, {{.*}}, {{.*}}, #[[$LAST]], #[[$LAST]], {{.*}}]{{.*}} ins(%[[X]], %[[MEAN]], %[[INV]], %[[G]], %[[B]] :
// CHECK:   arith.truncf %{{.*}} : f32 to f16
// CHECK: %[[M:.*]] = tensor.expand_shape %[[MEAN]] {{\[}}[0], [1, 2]] {{.*}} : tensor<?x?xf32> into tensor<?x?x1xf32>
// CHECK: return %[[Y]], %[[M]]
func.func @layer_norm(%x: tensor<?x?x64xf16>, %g: tensor<64xf16>, %b: tensor<64xf16>) -> (tensor<?x?x64xf16>, tensor<?x?x1xf32>) {
  %0:3 = tfm.onnx_node "LayerNormalization"(%x, %g, %b) <{onnx_attrs = {axis = -1 : i64, epsilon = 1.0e-5 : f32}, version = 17 : i64}> : (tensor<?x?x64xf16>, tensor<64xf16>, tensor<64xf16>) -> (tensor<?x?x64xf16>, tensor<?x?x1xf32>, none)
  return %0#0, %0#1 : tensor<?x?x64xf16>, tensor<?x?x1xf32>
}

// -----

// ArgMax keeps the index of the first maximum (last with select_last_index).
// CHECK-LABEL: func.func @argmax
// CHECK: %[[R:.*]]:2 = linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xi64>)
// CHECK:   %[[B:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : f32
// CHECK:   %[[I:.*]] = linalg.index 1 : index
// CHECK:   arith.select %[[B]]
// CHECK:   arith.select %[[B]]
// CHECK: return %[[R]]#1
func.func @argmax(%x: tensor<?x100xf32>) -> tensor<?xi64> {
  %0 = tfm.onnx_node "ArgMax"(%x) <{onnx_attrs = {axis = 1 : i64, keepdims = 0 : i64}, version = 13 : i64}> : (tensor<?x100xf32>) -> tensor<?xi64>
  return %0 : tensor<?xi64>
}

// -----

// CumSum (position ids from an attention mask) sums the prefix with an extra
// reduction loop.
// CHECK-DAG: #[[$XJ:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @cumsum
// CHECK: linalg.generic {indexing_maps = [#[[$XJ]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK:   %[[I:.*]] = linalg.index 1 : index
// CHECK:   %[[J:.*]] = linalg.index 2 : index
// CHECK:   arith.cmpi sle, %[[J]], %[[I]] : index
func.func @cumsum(%m: tensor<?x?xi64>) -> tensor<?x?xi64> {
  %axis = arith.constant dense<1> : tensor<i64>
  %0 = tfm.onnx_node "CumSum"(%m, %axis) <{version = 14 : i64}> : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi64>
  return %0 : tensor<?x?xi64>
}
