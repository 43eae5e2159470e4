// RUN: tfm-opt %s --tfm-fold-onnx-shapes --split-input-file | FileCheck %s

// Dropout is its input only in inference mode: without training_mode, with a
// constant false one, at opsets 7-11, and before opset 7 with is_test set.
// In training mode (constant true, or is_test unset before opset 7) it is
// kept, as is one whose mode is not known.
// CHECK-LABEL: func.func @dropout
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>, %[[M:.*]]: tensor<i1>)
// CHECK-DAG: %[[T:.*]] = arith.constant dense<true> : tensor<i1>
// CHECK-DAG: %[[TRAIN:.*]] = tfm.onnx_node "Dropout"(%[[X]], %{{.*}}, %[[T]]) <{version = 13 : i64}>
// CHECK-DAG: %[[OLD:.*]] = tfm.onnx_node "Dropout"(%[[X]]) <{version = 6 : i64}>
// CHECK-DAG: %[[DYN:.*]] = tfm.onnx_node "Dropout"(%[[X]], %{{.*}}, %[[M]]) <{version = 13 : i64}>
// CHECK: return %[[X]], %[[X]], %[[X]], %[[X]], %[[TRAIN]], %[[OLD]], %[[DYN]]
func.func @dropout(%x: tensor<4xf32>, %m: tensor<i1>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %r = arith.constant dense<0.5> : tensor<f32>
  %f = arith.constant dense<false> : tensor<i1>
  %t = arith.constant dense<true> : tensor<i1>
  %0 = tfm.onnx_node "Dropout"(%x, %r) <{version = 13 : i64}> : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = tfm.onnx_node "Dropout"(%x, %r, %f) <{version = 13 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  %2 = tfm.onnx_node "Dropout"(%x) <{version = 10 : i64}> : (tensor<4xf32>) -> tensor<4xf32>
  %3 = tfm.onnx_node "Dropout"(%x) <{onnx_attrs = {is_test = 1 : i64}, version = 6 : i64}> : (tensor<4xf32>) -> tensor<4xf32>
  %4 = tfm.onnx_node "Dropout"(%x, %r, %t) <{version = 13 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  %5 = tfm.onnx_node "Dropout"(%x) <{version = 6 : i64}> : (tensor<4xf32>) -> tensor<4xf32>
  %6 = tfm.onnx_node "Dropout"(%x, %r, %m) <{version = 13 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// A training-mode Dropout of a constant is not folded into a constant.
// CHECK-LABEL: func.func @dropout_of_constant
// CHECK: %[[D:.*]] = tfm.onnx_node "Dropout"
// CHECK: return %[[D]]
func.func @dropout_of_constant() -> tensor<4xf32> {
  %x = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %r = arith.constant dense<0.5> : tensor<f32>
  %t = arith.constant dense<true> : tensor<i1>
  %d = tfm.onnx_node "Dropout"(%x, %r, %t) <{version = 13 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  return %d : tensor<4xf32>
}

// -----

// Expand aligns its target with the input from the right: Shape(x)[0:1] = [N]
// faces x's last dimension (1), not its first, so the target is not "keep
// the input's extents" and stays as it is ([N, 1] expands to [N, N]).
// CHECK-LABEL: func.func @expand_right_aligned
// CHECK: %[[S:.*]] = tfm.onnx_node "Shape"
// CHECK: tfm.onnx_node "Expand"(%{{.*}}, %[[S]])
func.func @expand_right_aligned(%x: tensor<?x1xf32>) -> tensor<?x?xf32> {
  %s = tfm.onnx_node "Shape"(%x) <{version = 17 : i64, onnx_attrs = {end = 1 : i64}}> : (tensor<?x1xf32>) -> tensor<1xi64>
  %e = tfm.onnx_node "Expand"(%x, %s) <{version = 17 : i64}> : (tensor<?x1xf32>, tensor<1xi64>) -> tensor<?x?xf32>
  return %e : tensor<?x?xf32>
}

// -----

// Booleans are 0 and 1 in shape arithmetic: Cast(true) to int64 is 1.
// CHECK-LABEL: func.func @bool_cast
// CHECK: %[[C:.*]] = arith.constant dense<[1, 0]> : tensor<2xi64>
// CHECK: return %[[C]]
func.func @bool_cast() -> tensor<2xi64> {
  %t = arith.constant dense<[true, false]> : tensor<2xi1>
  %c = tfm.onnx_node "Cast"(%t) <{onnx_attrs = {to = 7 : i64}, version = 17 : i64}> : (tensor<2xi1>) -> tensor<2xi64>
  return %c : tensor<2xi64>
}

// -----

// A negative step clamps the start to [0, n-1] (not [-1, n-1]) and the end to
// [-1, n-1]: x[-100:-200:-1] of 4 elements is x[0:-1:-1], one element.
// CHECK-LABEL: func.func @slice_negative_step
// CHECK: tfm.onnx_node "Slice"{{.*}} -> tensor<1xf32>
func.func @slice_negative_step(%x: tensor<4xf32>) -> tensor<?xf32> {
  %s = arith.constant dense<-100> : tensor<1xi64>
  %e = arith.constant dense<-200> : tensor<1xi64>
  %a = arith.constant dense<0> : tensor<1xi64>
  %st = arith.constant dense<-1> : tensor<1xi64>
  %y = tfm.onnx_node "Slice"(%x, %s, %e, %a, %st) <{version = 17 : i64}> : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}
