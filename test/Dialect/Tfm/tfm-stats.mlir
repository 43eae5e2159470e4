// The hand-counted two-block example (counts in its header comment).
// RUN: tfm-opt %tfm_src_root/examples/two-block-gpt2.mlir --tfm-stats -o /dev/null | FileCheck %s --check-prefix=EXAMPLE
// EXAMPLE: {"parameters":118528,"matmuls":13,"attention":2,"blocks":{"pre_ln":2,"post_ln":0,"parallel":0,"sas":0,"sas_p":0,"unknown":0}}

// Per-module objects, and the output= option.
// RUN: tfm-opt %s -split-input-file --tfm-stats -o /dev/null | FileCheck %s
// RUN: rm -f %t.json && tfm-opt %tfm_src_root/examples/two-block-gpt2.mlir --tfm-stats=output=%t.json | FileCheck %s --check-prefix=IR
// RUN: FileCheck %s --check-prefix=EXAMPLE < %t.json
// The JSON went to the file, and the IR is unchanged on stdout.
// IR-NOT: "parameters"
// IR: tfm.block pre_ln
// RUN: not tfm-opt %s -split-input-file --tfm-stats=output=%t.missing/dir/x.json -o /dev/null 2>&1 | FileCheck %s --check-prefix=ERR
// ERR: error: tfm-stats: {{.*}}x.json

// Shared initialisers: two constant ops holding the same value, and the
// same resource blob used twice, each count once. Distinct values count
// separately, whatever their names.
// CHECK: {"parameters":96,"matmuls":4,"attention":0,"blocks":{"pre_ln":0,"post_ln":0,"parallel":0,"sas":0,"sas_p":0,"unknown":0}}
func.func @shared(%x: tensor<?x4xf32>) -> (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) {
  %w0 = arith.constant dense<0.5> : tensor<4x4xf32>
  %w1 = arith.constant dense<0.5> : tensor<4x4xf32>
  %w2 = arith.constant dense<0.25> : tensor<4x4xf32>
  %r0 = arith.constant dense_resource<blob_a> : tensor<4x8xf32>
  %r1 = arith.constant dense_resource<blob_a> : tensor<4x8xf32>
  %r2 = arith.constant dense_resource<blob_b> : tensor<4x8xf32>
  %0 = tfm.linear %x, %w0 : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %1 = tfm.linear %x, %w1 : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %2 = tfm.linear %x, %w2 : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  %c = tensor.concat dim(1) %r0, %r1, %r2 : (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x24xf32>
  %s = tensor.extract_slice %c[0, 0] [4, 4] [1, 1] : tensor<4x24xf32> to tensor<4x4xf32>
  %3 = tfm.linear %x, %s : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
  return %0, %1, %2, %3 : tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>
}
{-#
  dialect_resources: {
    builtin: {
      blob_a: "0x040000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
      blob_b: "0x04000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000803F"
    }
  }
#-}

// -----

// What is not a parameter: integer shape constants, scalar constants of the
// graph tier (an epsilon, a GELU coefficient), rotary cos/sin tables,
// attention masks and bias-slot masks. What is: a one-element gain used as a norm scale, and
// the bias-slot tensors.
// CHECK: {"parameters":33,"matmuls":0,"attention":1,"blocks":{"pre_ln":0,"post_ln":0,"parallel":0,"sas":0,"sas_p":0,"unknown":0}}
func.func @buffers(%x: tensor<1x4x8xf32>, %v: tensor<1x4x1xf32>) -> (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<4xi64>, tensor<f32>, tensor<1x4x1xf32>) {
  %shape = arith.constant dense<[1, 4, 8, 1]> : tensor<4xi64>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %cos = arith.constant dense<0.5> : tensor<4x2xf32>
  %sin = arith.constant dense<0.25> : tensor<4x2xf32>
  %mask = arith.constant dense<-1.0e9> : tensor<4x4xf32>
  %gain = arith.constant dense<2.0> : tensor<1xf32>
  %kb = arith.constant dense<0.1> : tensor<2x2x4xf32>
  %vb = arith.constant dense<0.2> : tensor<2x2x4xf32>
  %bm = arith.constant dense<-1.0> : tensor<4x2xf32>
  %r = tfm.rotary half %x, %cos, %sin {num_heads = 2 : i64}
      : (tensor<1x4x8xf32>, tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<1x4x8xf32>
  %a = tfm.attention %r, %r, %r mask(%mask) kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 2 : i64}
      : (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<4x4xf32>, tensor<2x2x4xf32>, tensor<2x2x4xf32>, tensor<4x2xf32>) -> tensor<1x4x8xf32>
  %n = tfm.norm rms %v scale(%gain) {epsilon = 1.0e-5 : f64}
      : (tensor<1x4x1xf32>, tensor<1xf32>) -> tensor<1x4x1xf32>
  return %r, %a, %shape, %eps, %n : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<4xi64>, tensor<f32>, tensor<1x4x1xf32>
}

// -----

// The graph tier: named and generic contractions are matmuls; a softmax
// between two contractions (through a scale) is an attention; a softmax on
// its own is not. Weights used by graph ops count when they have more than
// one element.
// CHECK: {"parameters":256,"matmuls":5,"attention":1,"blocks":{"pre_ln":0,"post_ln":0,"parallel":0,"sas":0,"sas_p":0,"unknown":0}}
#map_a = affine_map<(m, n, k) -> (m, k)>
#map_b = affine_map<(m, n, k) -> (k, n)>
#map_c = affine_map<(m, n, k) -> (m, n)>
func.func @graph(%x: tensor<8x16xf32>, %q: tensor<2x8x4xf32>, %k: tensor<2x4x8xf32>, %v: tensor<2x8x4xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<2x8x4xf32>, tensor<2x8x8xf32>) {
  %w = arith.constant dense<0.5> : tensor<16x8xf32>
  %w2 = arith.constant dense<0.25> : tensor<16x8xf32>
  %zero = arith.constant 0.0 : f32
  %init = tensor.empty() : tensor<8x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%init : tensor<8x8xf32>) -> tensor<8x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x8xf32>) outs(%acc : tensor<8x8xf32>) -> tensor<8x8xf32>
  %gen = linalg.generic {indexing_maps = [#map_a, #map_b, #map_c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w2 : tensor<8x16xf32>, tensor<16x8xf32>) outs(%acc : tensor<8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %c, %p : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  %sinit = tensor.empty() : tensor<2x8x8xf32>
  %sacc = linalg.fill ins(%zero : f32) outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %logits = linalg.batch_matmul ins(%q, %k : tensor<2x8x4xf32>, tensor<2x4x8xf32>) outs(%sacc : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %scaled = linalg.mul ins(%logits, %logits : tensor<2x8x8xf32>, tensor<2x8x8xf32>) outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %p = linalg.softmax dimension(2) ins(%scaled : tensor<2x8x8xf32>) outs(%sinit : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  %oinit = tensor.empty() : tensor<2x8x4xf32>
  %oacc = linalg.fill ins(%zero : f32) outs(%oinit : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %o = linalg.batch_matmul ins(%p, %v : tensor<2x8x8xf32>, tensor<2x8x4xf32>) outs(%oacc : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %lone = linalg.softmax dimension(2) ins(%q : tensor<2x8x4xf32>) outs(%oinit : tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %lone2 = linalg.batch_matmul ins(%lone, %k : tensor<2x8x4xf32>, tensor<2x4x8xf32>) outs(%sacc : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  return %mm, %gen, %o, %lone2 : tensor<8x8xf32>, tensor<8x8xf32>, tensor<2x8x4xf32>, tensor<2x8x8xf32>
}

// -----

// Blocks by kind, nested ops inside blocks included.
// CHECK: {"parameters":0,"matmuls":1,"attention":1,"blocks":{"pre_ln":1,"post_ln":2,"parallel":1,"sas":1,"sas_p":1,"unknown":1}}
func.func @kinds(%x: tensor<1x2x4xf32>, %w: tensor<4x4xf32>) -> tensor<1x2x4xf32> {
  %0 = tfm.block pre_ln (%x) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    %l = tfm.linear %a, %w : (tensor<1x2x4xf32>, tensor<4x4xf32>) -> tensor<1x2x4xf32>
    %t = tfm.attention %l, %l, %l {num_heads = 1 : i64} : (tensor<1x2x4xf32>, tensor<1x2x4xf32>, tensor<1x2x4xf32>) -> tensor<1x2x4xf32>
    tfm.yield %t : tensor<1x2x4xf32>
  }
  %1 = tfm.block post_ln (%0) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    tfm.yield %a : tensor<1x2x4xf32>
  }
  %2 = tfm.block post_ln (%1) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    tfm.yield %a : tensor<1x2x4xf32>
  }
  %3 = tfm.block parallel (%2) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    tfm.yield %a : tensor<1x2x4xf32>
  }
  %4 = tfm.block sas (%3) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    tfm.yield %a : tensor<1x2x4xf32>
  }
  %5 = tfm.block sas_p (%4) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    tfm.yield %a : tensor<1x2x4xf32>
  }
  %6 = tfm.block unknown (%5) : (tensor<1x2x4xf32>) -> tensor<1x2x4xf32> {
  ^bb0(%a: tensor<1x2x4xf32>):
    tfm.yield %a : tensor<1x2x4xf32>
  }
  return %6 : tensor<1x2x4xf32>
}

// -----

// An imported graph before raising: ONNX MatMul and Gemm nodes are matmuls,
// a Softmax between two of them is attention.
// CHECK: {"parameters":16,"matmuls":3,"attention":1,"blocks":{"pre_ln":0,"post_ln":0,"parallel":0,"sas":0,"sas_p":0,"unknown":0}}
func.func @imported(%q: tensor<2x4x4xf32>, %k: tensor<2x4x4xf32>, %v: tensor<2x4x4xf32>, %x: tensor<3x4xf32>) -> (tensor<2x4x4xf32>, tensor<3x4xf32>) {
  %w = arith.constant dense<1.0> : tensor<4x4xf32>
  %kt = tfm.onnx_node "Transpose"(%k) <{onnx_attrs = {perm = array<i64: 0, 2, 1>}, version = 17 : i64}> : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %s = tfm.onnx_node "MatMul"(%q, %kt) <{version = 17 : i64}> : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = tfm.onnx_node "Softmax"(%s) <{onnx_attrs = {axis = -1 : i64}, version = 17 : i64}> : (tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %o = tfm.onnx_node "MatMul"(%p, %v) <{version = 17 : i64}> : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %g = tfm.onnx_node "Gemm"(%x, %w) <{version = 17 : i64}> : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  return %o, %g : tensor<2x4x4xf32>, tensor<3x4xf32>
}
