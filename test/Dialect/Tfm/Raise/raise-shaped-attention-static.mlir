// Shaped attention exported at a static sequence length: the dynamo exporter
// folds alpha_h*I, gamma_h*C and the causal mask into constants (see
// Inputs/static_shaped_attention.py). tfm-raise recognises them by value,
// per head, in f32 and in bf16 (whose initializers are bf16 blobs), and the
// raised attention computes what the graph computes.
// REQUIRES: onnx-python
// RUN: %python %S/Inputs/static_shaped_attention.py %t
// RUN: tfm-translate --import-onnx %t.f32.onnx -o %t.f32.mlir
// RUN: tfm-translate --import-onnx %t.bf16.onnx -o %t.bf16.mlir
// RUN: tfm-translate --import-onnx %t.perturbed.onnx -o %t.perturbed.mlir
// RUN: FileCheck %s --check-prefix=BLOB --input-file=%t.bf16.mlir
// RUN: tfm-opt --tfm-raise %t.f32.mlir -o %t.f32.raised.mlir
// RUN: FileCheck %s --input-file=%t.f32.raised.mlir
// RUN: tfm-opt --tfm-raise %t.bf16.mlir -o %t.bf16.raised.mlir
// RUN: FileCheck %s --check-prefix=BF16 --input-file=%t.bf16.raised.mlir
// RUN: tfm-opt --tfm-raise %t.perturbed.mlir | FileCheck %s --check-prefix=PERTURBED

// The folded constants as imported: bf16 blobs.
// BLOB: dense_resource<alphaI> : tensor<1x2x8x8xbf16>
// BLOB: dense_resource<gammaC> : tensor<1x2x8x8xbf16>

// CHECK: tfm.attention %arg0, %arg1, %arg2 {alpha = array<f64: 0.89999997615814208, 1.1000000238418579>, beta = array<f64: 1.250000e+00, 7.500000e-01>, causal, gamma = array<f64: 5.000000e-01, 2.500000e-01>, num_heads = 2 : i64, scale = 5.000000e-01 : f64} : (tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
// CHECK-NOT: Softmax

// bf16 keeps the model's own rounding of alpha (0.9 and 1.1 in bf16).
// BF16: tfm.attention {{.*}} {alpha = array<f64: 0.8984375, 1.1015625>, beta = array<f64: 1.250000e+00, 7.500000e-01>, causal, gamma = array<f64: 5.000000e-01, 2.500000e-01>, num_heads = 2 : i64, scale = 5.000000e-01 : f64} : (tensor<2x8x8xbf16>, tensor<2x8x8xbf16>, tensor<2x8x8xbf16>) -> tensor<2x8x8xbf16>
// BF16-NOT: Softmax

// One off-diagonal entry of alpha*I that is not zero: not shaped attention.
// PERTURBED-NOT: tfm.attention
// PERTURBED: tfm.onnx_node "Softmax"

// Raised and imported graphs agree on random inputs: to f32 rounding, and
// within two bf16 ulps where the imported bf16 graph rounds after every op.
// RUN: tfm-run %t.f32.mlir --random-inputs --seed=3 --output=%t.f32.npy
// RUN: tfm-run %t.f32.raised.mlir --random-inputs --seed=3 --expected=%t.f32.npy --atol=1e-6 --rtol=1e-6 | FileCheck %s --check-prefix=MATCH
// RUN: tfm-run %t.bf16.mlir --random-inputs --seed=3 --output=%t.bf16.npy
// RUN: tfm-run %t.bf16.raised.mlir --random-inputs --seed=3 --expected=%t.bf16.npy --atol=0.04 --rtol=0 | FileCheck %s --check-prefix=MATCH
// MATCH: output 0: {{.*}}: ok
