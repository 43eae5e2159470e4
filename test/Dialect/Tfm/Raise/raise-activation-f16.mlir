// RUN: tfm-opt %s --tfm-raise-onnx | FileCheck %s
// RUN: tfm-run %s --random-inputs --seed=5 --dim=B=2 --dim=S=5 --output=%t.0.npy
// RUN: tfm-opt %s --tfm-raise -o %t.raised.mlir
// RUN: tfm-run %t.raised.mlir --random-inputs --seed=5 --dim=B=2 --dim=S=5 --expected=%t.0.npy --rtol=1e-2 --atol=1e-3

// An f16 export stores the GELU constants rounded (0.044715 -> 0.04471):
// still tanh GELU. Inside it, x + c·x³ adds a value computed from the linear
// output to that output: not a residual.
// CHECK-LABEL: func.func @main(
// CHECK: %[[L:.*]] = tfm.linear
// CHECK-NOT: tfm.residual
// CHECK: %[[G:.*]] = tfm.activation gelu_tanh %[[L]] : tensor<?x?x8xf16>
// CHECK: return %[[G]]
func.func @main(%x: tensor<?x?x8xf16> {tfm.dim_names = ["B", "S", ""]}) -> tensor<?x?x8xf16> {
  %w = arith.constant dense<[[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5], [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.0],
                             [0.0, 0.0, 1.0, 0.0, 0.0, 0.5, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.5, 0.0, 0.0, 0.0],
                             [0.0, 0.0, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.5, 0.0, 0.0, 1.0, 0.0, 0.0],
                             [0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0], [0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]> : tensor<8x8xf16>
  %half = arith.constant dense<5.000000e-01> : tensor<f16>
  %one = arith.constant dense<1.000000e+00> : tensor<f16>
  %three = arith.constant dense<3.000000e+00> : tensor<f16>
  %c = arith.constant dense<4.471e-02> : tensor<f16>
  %k = arith.constant dense<7.979e-01> : tensor<f16>
  %l = tfm.onnx_node "MatMul"(%x, %w) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<8x8xf16>) -> tensor<?x?x8xf16>
  %x3 = tfm.onnx_node "Pow"(%l, %three) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<f16>) -> tensor<?x?x8xf16>
  %cx3 = tfm.onnx_node "Mul"(%x3, %c) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<f16>) -> tensor<?x?x8xf16>
  %inner = tfm.onnx_node "Add"(%l, %cx3) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<?x?x8xf16>) -> tensor<?x?x8xf16>
  %kin = tfm.onnx_node "Mul"(%k, %inner) <{version = 17 : i64}> : (tensor<f16>, tensor<?x?x8xf16>) -> tensor<?x?x8xf16>
  %t = tfm.onnx_node "Tanh"(%kin) <{version = 17 : i64}> : (tensor<?x?x8xf16>) -> tensor<?x?x8xf16>
  %t1 = tfm.onnx_node "Add"(%t, %one) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<f16>) -> tensor<?x?x8xf16>
  %hx = tfm.onnx_node "Mul"(%l, %half) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<f16>) -> tensor<?x?x8xf16>
  %y = tfm.onnx_node "Mul"(%hx, %t1) <{version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<?x?x8xf16>) -> tensor<?x?x8xf16>
  return %y : tensor<?x?x8xf16>
}
