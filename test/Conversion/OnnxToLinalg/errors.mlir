// RUN: tfm-opt %s -split-input-file -convert-onnx-to-linalg -verify-diagnostics

// An operator without a lowering is an error naming the node, its type,
// domain and opset.
func.func @unknown(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unsupported ONNX node '/h.0/Foo' (op type 'Foo', domain 'ai.onnx', opset 17)}}
  %0 = tfm.onnx_node "Foo"(%x) <{node_name = "/h.0/Foo", version = 17 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// LayerNormalization exists since opset 17.
func.func @too_old(%x: tensor<2x3xf32>, %g: tensor<3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unsupported ONNX node '/ln' (op type 'LayerNormalization', domain 'ai.onnx', opset 16)}}
  %0 = tfm.onnx_node "LayerNormalization"(%x, %g) <{node_name = "/ln", version = 16 : i64}> : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Other domains are not supported.
func.func @other_domain(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unsupported ONNX node (op type 'Gelu', domain 'com.microsoft', opset 1)}}
  %0 = tfm.onnx_node "Gelu"(%x) <{domain = "com.microsoft", version = 1 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Opsets newer than the lowerings were written against are rejected.
func.func @too_new(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{unsupported ONNX node (op type 'Relu', domain 'ai.onnx', opset 22)}}
  %0 = tfm.onnx_node "Relu"(%x) <{version = 22 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// A supported operator whose operands cannot be handled says why.
func.func @runtime_axes(%x: tensor<?x?xf32>, %axes: tensor<1xi64>) -> tensor<?xf32> {
  // expected-error @+1 {{cannot legalise ONNX node '/mean' (op type 'ReduceMean', domain 'ai.onnx', opset 18): the axes are not constant, and the result type does not say which they are}}
  %0 = tfm.onnx_node "ReduceMean"(%x, %axes) <{node_name = "/mean", onnx_attrs = {keepdims = 0 : i64}, version = 18 : i64}> : (tensor<?x?xf32>, tensor<1xi64>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @training(%x: tensor<4xf32>, %r: tensor<f32>, %t: tensor<i1>) -> tensor<4xf32> {
  // expected-error @+1 {{cannot legalise ONNX node (op type 'Dropout', domain 'ai.onnx', opset 13): training_mode must be a constant}}
  %0 = tfm.onnx_node "Dropout"(%x, %r, %t) <{version = 13 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<i1>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Every unsupported node is reported in one run.
func.func @several(%x: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{op type 'Bar'}}
  %0 = tfm.onnx_node "Bar"(%x) <{version = 17 : i64}> : (tensor<2xf32>) -> tensor<2xf32>
  // expected-error @+1 {{op type 'Baz'}}
  %1 = tfm.onnx_node "Baz"(%0) <{version = 17 : i64}> : (tensor<2xf32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}
