// Legalised ONNX graphs with dynamic batch and sequence, run on the CPU and
// compared with NumPy (Inputs/dynamic_refs.py): run-time shape chains,
// causal masks, negative-step slices, gathers with negative indices, f16
// normalisation, integer and boolean results.
// RUN: %python %S/Inputs/dynamic_refs.py %t
// RUN: tfm-run %s --entry=attention --input=%t/attn_x_2x5.npy --expected=%t/attn_y_2x5.npy | FileCheck %s
// RUN: tfm-run %s --entry=attention --input=%t/attn_x_1x1.npy --expected=%t/attn_y_1x1.npy | FileCheck %s
// RUN: tfm-run %s --entry=attention --input=%t/attn_x_3x7.npy --expected=%t/attn_y_3x7.npy | FileCheck %s
// RUN: tfm-run %s --entry=slice_gather --input=%t/sg_x.npy --input=%t/sg_idx.npy --expected=%t/sg_slice.npy --expected=%t/sg_gather.npy | FileCheck %s --check-prefix=TWO
// RUN: tfm-run %s --entry=layer_norm_f16 --input=%t/ln_x.npy --expected=%t/ln_y.npy --atol=2e-3 --rtol=2e-3 | FileCheck %s
// RUN: tfm-run %s --entry=positions --input=%t/pos_mask.npy --expected=%t/pos_ids.npy --expected=%t/pos_argmax.npy --expected=%t/pos_pad.npy | FileCheck %s --check-prefix=THREE
// CHECK: output 0: {{.*}}: ok
// TWO: output 0: {{.*}}: ok
// TWO: output 1: {{.*}}: ok
// THREE: output 0: {{.*}}: ok
// THREE: output 1: {{.*}}: ok
// THREE: output 2: {{.*}}: ok

// Causal self-attention of 2 heads as the TorchScript exporter writes it:
// the head split is a Reshape to a shape computed from Shape/Gather/
// Unsqueeze/Concat, the mask a Trilu of a ConstantOfShape whose shape is the
// run-time sequence length.
func.func @attention(%x: tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
  %shape = tfm.onnx_node "Shape"(%x) <{version = 17 : i64}> : (tensor<?x?x8xf32>) -> tensor<3xi64>
  %c0 = arith.constant dense<0> : tensor<i64>
  %c1 = arith.constant dense<1> : tensor<i64>
  %b = tfm.onnx_node "Gather"(%shape, %c0) <{version = 13 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %s = tfm.onnx_node "Gather"(%shape, %c1) <{version = 13 : i64}> : (tensor<3xi64>, tensor<i64>) -> tensor<i64>
  %ax0 = arith.constant dense<[0]> : tensor<1xi64>
  %b1 = tfm.onnx_node "Unsqueeze"(%b, %ax0) <{version = 13 : i64}> : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %s1 = tfm.onnx_node "Unsqueeze"(%s, %ax0) <{version = 13 : i64}> : (tensor<i64>, tensor<1xi64>) -> tensor<1xi64>
  %heads = arith.constant dense<[2, 4]> : tensor<2xi64>
  %hshape = tfm.onnx_node "Concat"(%b1, %s1, %heads) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<1xi64>, tensor<1xi64>, tensor<2xi64>) -> tensor<4xi64>
  %r = tfm.onnx_node "Reshape"(%x, %hshape) <{version = 14 : i64}> : (tensor<?x?x8xf32>, tensor<4xi64>) -> tensor<?x?x2x4xf32>
  %h = tfm.onnx_node "Transpose"(%r) <{onnx_attrs = {perm = array<i64: 0, 2, 1, 3>}, version = 13 : i64}> : (tensor<?x?x2x4xf32>) -> tensor<?x2x?x4xf32>
  %kt = tfm.onnx_node "Transpose"(%r) <{onnx_attrs = {perm = array<i64: 0, 2, 3, 1>}, version = 13 : i64}> : (tensor<?x?x2x4xf32>) -> tensor<?x2x4x?xf32>
  %qk = tfm.onnx_node "MatMul"(%h, %kt) <{version = 13 : i64}> : (tensor<?x2x?x4xf32>, tensor<?x2x4x?xf32>) -> tensor<?x2x?x?xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %scaled = tfm.onnx_node "Div"(%qk, %two) <{version = 14 : i64}> : (tensor<?x2x?x?xf32>, tensor<f32>) -> tensor<?x2x?x?xf32>
  %ss = tfm.onnx_node "Concat"(%s1, %s1) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  %ones = tfm.onnx_node "ConstantOfShape"(%ss) <{onnx_attrs = {value = dense<1.0> : tensor<1xf32>}, version = 9 : i64}> : (tensor<2xi64>) -> tensor<?x?xf32>
  %k1 = arith.constant dense<1> : tensor<i64>
  %upper = tfm.onnx_node "Trilu"(%ones, %k1) <{onnx_attrs = {upper = 1 : i64}, version = 14 : i64}> : (tensor<?x?xf32>, tensor<i64>) -> tensor<?x?xf32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %masked = tfm.onnx_node "Greater"(%upper, %zero) <{version = 13 : i64}> : (tensor<?x?xf32>, tensor<f32>) -> tensor<?x?xi1>
  %ninf = arith.constant dense<-1.0e9> : tensor<f32>
  %w = tfm.onnx_node "Where"(%masked, %ninf, %scaled) <{version = 16 : i64}> : (tensor<?x?xi1>, tensor<f32>, tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %p = tfm.onnx_node "Softmax"(%w) <{onnx_attrs = {axis = -1 : i64}, version = 13 : i64}> : (tensor<?x2x?x?xf32>) -> tensor<?x2x?x?xf32>
  %o = tfm.onnx_node "MatMul"(%p, %h) <{version = 13 : i64}> : (tensor<?x2x?x?xf32>, tensor<?x2x?x4xf32>) -> tensor<?x2x?x4xf32>
  %ot = tfm.onnx_node "Transpose"(%o) <{onnx_attrs = {perm = array<i64: 0, 2, 1, 3>}, version = 13 : i64}> : (tensor<?x2x?x4xf32>) -> tensor<?x?x2x4xf32>
  %merge = arith.constant dense<[0, 0, -1]> : tensor<3xi64>
  %y = tfm.onnx_node "Reshape"(%ot, %merge) <{version = 14 : i64}> : (tensor<?x?x2x4xf32>, tensor<3xi64>) -> tensor<?x?x8xf32>
  return %y : tensor<?x?x8xf32>
}

// x[-2::-2, 1:5], then rows at run-time (negative) indices.
func.func @slice_gather(%x: tensor<?x6xf32>, %idx: tensor<?x?xi64>) -> (tensor<?x4xf32>, tensor<?x?x4xf32>) {
  %starts = arith.constant dense<[-2, 1]> : tensor<2xi64>
  %ends = arith.constant dense<[-9223372036854775808, 5]> : tensor<2xi64>
  %axes = arith.constant dense<[0, 1]> : tensor<2xi64>
  %steps = arith.constant dense<[-2, 1]> : tensor<2xi64>
  %sl = tfm.onnx_node "Slice"(%x, %starts, %ends, %axes, %steps) <{version = 13 : i64}> : (tensor<?x6xf32>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>, tensor<2xi64>) -> tensor<?x4xf32>
  %g = tfm.onnx_node "Gather"(%sl, %idx) <{onnx_attrs = {axis = 0 : i64}, version = 13 : i64}> : (tensor<?x4xf32>, tensor<?x?xi64>) -> tensor<?x?x4xf32>
  return %sl, %g : tensor<?x4xf32>, tensor<?x?x4xf32>
}

func.func @layer_norm_f16(%x: tensor<?x?x8xf16>) -> tensor<?x?x8xf16> {
  %g = arith.constant dense<[0.5, 0.642857, 0.785714, 0.928571, 1.071429, 1.214286, 1.357143, 1.5]> : tensor<8xf16>
  %b = arith.constant dense<[-1.0, -0.714286, -0.428571, -0.142857, 0.142857, 0.428571, 0.714286, 1.0]> : tensor<8xf16>
  %y = tfm.onnx_node "LayerNormalization"(%x, %g, %b) <{onnx_attrs = {axis = -1 : i64, epsilon = 1.0e-5 : f32}, version = 17 : i64}> : (tensor<?x?x8xf16>, tensor<8xf16>, tensor<8xf16>) -> tensor<?x?x8xf16>
  return %y : tensor<?x?x8xf16>
}

// Position ids from a padding mask (cumsum(mask) - 1, 1 where padded), the
// row argmax, and the padding as booleans.
func.func @positions(%mask: tensor<?x?xi64>) -> (tensor<?x?xi64>, tensor<?xi64>, tensor<?x?xi1>) {
  %axis = arith.constant dense<1> : tensor<i64>
  %c = tfm.onnx_node "CumSum"(%mask, %axis) <{version = 14 : i64}> : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi64>
  %one = arith.constant dense<1> : tensor<i64>
  %pos = tfm.onnx_node "Sub"(%c, %one) <{version = 14 : i64}> : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi64>
  %zero = arith.constant dense<0> : tensor<i64>
  %pad = tfm.onnx_node "Equal"(%mask, %zero) <{version = 13 : i64}> : (tensor<?x?xi64>, tensor<i64>) -> tensor<?x?xi1>
  %ids = tfm.onnx_node "Where"(%pad, %one, %pos) <{version = 16 : i64}> : (tensor<?x?xi1>, tensor<i64>, tensor<?x?xi64>) -> tensor<?x?xi64>
  %am = tfm.onnx_node "ArgMax"(%ids) <{onnx_attrs = {axis = 1 : i64, keepdims = 0 : i64}, version = 13 : i64}> : (tensor<?x?xi64>) -> tensor<?xi64>
  return %ids, %am, %pad : tensor<?x?xi64>, tensor<?xi64>, tensor<?x?xi1>
}
