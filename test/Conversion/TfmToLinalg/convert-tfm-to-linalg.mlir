// RUN: tfm-opt %s -split-input-file -convert-tfm-to-linalg -canonicalize -cse | FileCheck %s

// The bias seeds the accumulator; leading dims are flattened around one matmul.
// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<?x?x8xf32>, %[[W:.*]]: tensor<8x4xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK: %[[X2:.*]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<?x?x8xf32> into tensor<?x8xf32>
// CHECK: %[[ACC:.*]] = linalg.broadcast ins(%[[B]] : tensor<4xf32>) outs(%{{.*}} : tensor<?x4xf32>) dimensions = [0]
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X2]], %[[W]] : tensor<?x8xf32>, tensor<8x4xf32>) outs(%[[ACC]] : tensor<?x4xf32>)
// CHECK: %[[Y:.*]] = tensor.expand_shape %[[MM]] {{\[\[}}0, 1], [2]] output_shape [%{{.*}}, %{{.*}}, 4]
// CHECK: return %[[Y]]
func.func @linear_bias(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<?x?x4xf32> {
  %0 = tfm.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  return %0 : tensor<?x?x4xf32>
}

// -----

// No bias: a zero-filled accumulator. A rank-1 input is a 1-row matmul.
// CHECK-LABEL: func.func @linear_vector
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[X2:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 8] : tensor<8xf32> into tensor<1x8xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<1x4xf32>)
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[X2]], %{{.*}} : tensor<1x8xf32>, tensor<8x4xf32>) outs(%[[ACC]] : tensor<1x4xf32>)
// CHECK: tensor.collapse_shape %[[MM]] {{\[\[}}0, 1]] : tensor<1x4xf32> into tensor<4xf32>
func.func @linear_vector(%x: tensor<8xf32>, %w: tensor<8x4xf32>) -> tensor<4xf32> {
  %0 = tfm.linear %x, %w : (tensor<8xf32>, tensor<8x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// f16 accumulates in f32 and rounds once at the end.
// CHECK-LABEL: func.func @linear_f16
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<2x8xf16>, tensor<8x4xf16>) outs(%{{.*}} : tensor<2x4xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @linear_f16(%x: tensor<2x8xf16>, %w: tensor<8x4xf16>) -> tensor<2x4xf16> {
  %0 = tfm.linear %x, %w : (tensor<2x8xf16>, tensor<8x4xf16>) -> tensor<2x4xf16>
  return %0 : tensor<2x4xf16>
}

// -----

// Layer norm, each kernel reading x itself (no copy of x - mean is
// written): the row sum; the centred second moment, the mean recomputed
// from the sum in the kernel; rsqrt(var + eps); then (x - mean) * rstd,
// scale and shift.
// CHECK-LABEL: func.func @norm_layer
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x8xf32>
// CHECK-DAG: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG: %[[N:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x8xf32>)
// CHECK: arith.addf
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[SUM]] : tensor<?x8xf32>, tensor<?xf32>)
// CHECK: arith.divf %{{.*}}, %[[N]]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[RSTD:.*]] = linalg.generic {{.*}} ins(%[[SQ]] : tensor<?xf32>)
// CHECK: arith.addf %{{.*}}, %[[EPS]]
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[SUM]], %[[RSTD]], %{{.*}}, %{{.*}} : tensor<?x8xf32>, tensor<?xf32>, tensor<?xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: arith.divf %{{.*}}, %[[N]]
// CHECK: arith.subf
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @norm_layer(%x: tensor<?x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %0 = tfm.norm layer %x scale(%g) shift(%b) {epsilon = 1.0e-5 : f64} : (tensor<?x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// RMS norm has no mean pass.
// CHECK-LABEL: func.func @norm_rms
// CHECK-COUNT-1: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-NOT: arith.subf
// CHECK: math.rsqrt
func.func @norm_rms(%x: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %0 = tfm.norm rms %x {epsilon = 1.0e-6 : f64} : (tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %0 : tensor<2x?x8xf32>
}

// -----

// A 16-bit norm widens x in each kernel that reads it: no f32 copy of x.
// CHECK-LABEL: func.func @norm_rms_bf16
// CHECK-SAME: (%[[X:[^:]*]]: tensor<4x8xbf16>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x8xbf16>)
// CHECK: arith.extf
// CHECK: math.rsqrt
// CHECK: linalg.generic {{.*}} ins(%[[X]], %{{.*}} : tensor<4x8xbf16>, tensor<4xf32>) outs(%{{.*}} : tensor<4x8xbf16>)
// CHECK: arith.extf
// CHECK: arith.truncf
// CHECK-NOT: linalg.generic
func.func @norm_rms_bf16(%x: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %0 = tfm.norm rms %x {epsilon = 1.0e-6 : f64} : (tensor<4x8xbf16>) -> tensor<4x8xbf16>
  return %0 : tensor<4x8xbf16>
}

// -----

// CHECK-LABEL: func.func @activations
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: arith.maximumf
// CHECK: math.exp
// silu gated by up: act(x) * up
// CHECK: linalg.generic
// CHECK: ^bb0(%[[G:.*]]: f32, %[[U:.*]]: f32, %{{.*}}: f32):
// CHECK: math.exp
// CHECK: %[[S:.*]] = arith.mulf %[[G]], %{{.*}} : f32
// CHECK: arith.mulf %[[S]], %[[U]] : f32
func.func @activations(%x: tensor<4xf32>, %u: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %0 = tfm.activation gelu %x : tensor<4xf32>
  %1 = tfm.activation gelu_tanh %x : tensor<4xf32>
  %2 = tfm.activation relu %x : tensor<4xf32>
  %3 = tfm.activation sigmoid %x : tensor<4xf32>
  %4 = tfm.activation silu %x, %u : tensor<4xf32>, tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Gains multiply their terms; a unit gain needs no multiply.
// CHECK-LABEL: func.func @residual
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[TENTH:.*]] = arith.constant 1.000000e-01 : f32
// CHECK: ^bb0(%[[S:.*]]: f32, %[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[SS:.*]] = arith.mulf %[[S]], %[[HALF]]
// CHECK: %[[T:.*]] = arith.addf %[[SS]], %[[A]]
// CHECK: %[[BB:.*]] = arith.mulf %[[B]], %[[TENTH]]
// CHECK: arith.addf %[[T]], %[[BB]]
func.func @residual(%s: tensor<?x4xf32>, %a: tensor<?x4xf32>, %b: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = tfm.residual skip(%s) branches(%a, %b) {alpha = 0.5 : f64, betas = array<f64: 1.0, 0.1>} : (tensor<?x4xf32>, tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Negative ids wrap; every id is clamped into the table.
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[IDS:.*]]: tensor<?xi64>, %[[T:.*]]: tensor<10x4xf32>)
// CHECK: ^bb0(%[[ID:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[I:.*]] = arith.index_cast %[[ID]] : i64 to index
// CHECK: arith.cmpi slt, %[[I]], %c0
// CHECK: arith.addi %[[I]], %c10
// CHECK: arith.maxsi
// CHECK: arith.minsi
// CHECK: %[[COL:.*]] = linalg.index 1
// CHECK: tensor.extract %[[T]][%{{.*}}, %[[COL]]] : tensor<10x4xf32>
func.func @embedding(%ids: tensor<?xi64>, %t: tensor<10x4xf32>) -> tensor<?x4xf32> {
  %0 = tfm.embedding %ids, %t : (tensor<?xi64>, tensor<10x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// Rotary reads the partner lane and the table entry of the pair.
// CHECK-LABEL: func.func @rotary
// CHECK: linalg.generic
// CHECK: arith.remui %{{.*}}, %c8
// CHECK: tensor.extract %{{.*}} : tensor<1x?x16xf32>
// CHECK: tensor.extract %{{.*}} : tensor<?x2xf32>
// CHECK: tensor.extract %{{.*}} : tensor<?x2xf32>
// CHECK: arith.subf
// CHECK: arith.addf
// CHECK: arith.cmpi ult, %{{.*}}, %c4
func.func @rotary(%x: tensor<1x?x16xf32>, %c: tensor<?x2xf32>, %s: tensor<?x2xf32>) -> tensor<1x?x16xf32> {
  %0 = tfm.rotary half %x, %c, %s {num_heads = 2 : i64, rotary_dim = 4 : i64} : (tensor<1x?x16xf32>, tensor<?x2xf32>, tensor<?x2xf32>) -> tensor<1x?x16xf32>
  return %0 : tensor<1x?x16xf32>
}

// -----

// GQA: query heads that share a KV head are stacked along the query rows
// ([B·Hkv, rep·Sq, D]), so K and V are never copied per query head. Two
// batch matmuls around a max-subtracted softmax; causal uses Skv - Sq.
// CHECK-LABEL: func.func @attention_gqa_causal
// CHECK-SAME: (%[[Q:.*]]: tensor<?x?x64xf32>, %[[K:.*]]: tensor<?x?x32xf32>, %[[M:.*]]: tensor<?x1x1x?xi1>)
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: tensor.expand_shape %[[Q]] {{\[\[}}0], [1], [2, 3, 4]] output_shape [%{{.*}}, %{{.*}}, 2, 2, 16]
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 3, 1, 4]
// CHECK: tensor.collapse_shape {{.*}} {{\[\[}}0, 1], [2, 3], [4]] : tensor<?x2x2x?x16xf32> into tensor<?x?x16xf32>
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[L:.*]] = linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x?x16xf32>, tensor<?x16x?xf32>)
// CHECK: %[[SHIFT:.*]] = arith.subi %{{.*}}, %{{.*}} : index
// CHECK: linalg.generic
// CHECK: arith.mulf %{{.*}}, %[[SCALE]]
// CHECK: arith.addi %{{.*}}, %[[SHIFT]]
// CHECK: arith.cmpi sle
// CHECK: tensor.extract %[[M]]
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: arith.addf
// The division by the row sum comes after the product with V.
// CHECK-NOT: arith.divf
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?x16xf32>)
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK: linalg.transpose {{.*}} permutation = [0, 3, 1, 2, 4]
// CHECK: tensor.collapse_shape {{.*}} {{\[\[}}0], [1], [2, 3, 4]] : tensor<?x?x2x2x16xf32> into tensor<?x?x64xf32>
func.func @attention_gqa_causal(%q: tensor<?x?x64xf32>, %k: tensor<?x?x32xf32>, %m: tensor<?x1x1x?xi1>) -> tensor<?x?x64xf32> {
  %0 = tfm.attention %q, %k, %k mask(%m) {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal} : (tensor<?x?x64xf32>, tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<?x1x1x?xi1>) -> tensor<?x?x64xf32>
  return %0 : tensor<?x?x64xf32>
}

// -----

// Bias slots are concatenated in front of the keys and values.
// CHECK-LABEL: func.func @attention_bias_slots
// CHECK: %[[KB:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3x16xf32>) outs(%{{.*}} : tensor<1x2x16x3xf32>)
// CHECK: %[[VB:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<2x3x16xf32>) outs(%{{.*}} : tensor<1x2x3x16xf32>)
// CHECK: tensor.concat dim(3) %[[KB]], %{{.*}} : (tensor<1x2x16x3xf32>, tensor<1x2x16x?xf32>) -> tensor<1x2x16x?xf32>
// CHECK: tensor.concat dim(2) %[[VB]], %{{.*}} : (tensor<1x2x3x16xf32>, tensor<1x2x?x16xf32>) -> tensor<1x2x?x16xf32>
// The slot test: key index below P = 3.
// CHECK: arith.cmpi ult, %{{.*}}, %c3
func.func @attention_bias_slots(%q: tensor<1x?x32xf32>, %kb: tensor<2x3x16xf32>) -> tensor<1x?x32xf32> {
  %0 = tfm.attention %q, %q, %q kv_bias(%kb, %kb) {num_heads = 2 : i64, causal} : (tensor<1x?x32xf32>, tensor<1x?x32xf32>, tensor<1x?x32xf32>, tensor<2x3x16xf32>, tensor<2x3x16xf32>) -> tensor<1x?x32xf32>
  return %0 : tensor<1x?x32xf32>
}

// -----

// Shaped attention, causal: β·softmax(L)·V + α·V − γ·cummean_t(V), with
// per-head gains in tables. The only [T, T] tensors are the softmax scores:
// no identity or uniform causal matrix is built. C·V is a prefix sum of V over
// the sequence (an scf.for carrying the running [B, Hkv, Dv] sum) divided by
// t + 1 in the epilogue.
// CHECK-LABEL: func.func @attention_shaped
// CHECK-DAG: %[[G:.*]] = arith.constant dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[BE:.*]] = arith.constant dense<[2.000000e+00, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[A:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK: %[[V:.*]] = tensor.expand_shape %{{.*}} {{\[\[}}0], [1], [2, 3]] output_shape [1, %{{.*}}, 2, 4] : tensor<1x?x8xf32> into tensor<1x?x2x4xf32>
// CHECK: math.exp
// CHECK-NOT: arith.cmpi eq
// CHECK-NOT: arith.cmpi ule
// CHECK-NOT: arith.divf
// CHECK: %[[PV:.*]] = linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<2x?x?xf32>, tensor<2x?x4xf32>)
// CHECK-NOT: x?x?xf32>
// CHECK: %[[CUM:.*]]:2 = scf.for %[[T:.*]] = %c0 to %{{.*}} step %c1 iter_args(%[[SUM:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}}) -> (tensor<1x2x4xf32>, tensor<1x?x2x4xf32>)
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[V]][0, %[[T]], 0, 0] [1, 1, 2, 4] [1, 1, 1, 1] : tensor<1x?x2x4xf32> to tensor<1x2x4xf32>
// CHECK: %[[NEW:.*]] = linalg.generic {{.*}} ins(%[[ROW]] : tensor<1x2x4xf32>) outs(%[[SUM]] : tensor<1x2x4xf32>)
// CHECK: arith.addf
// CHECK: %[[INS:.*]] = tensor.insert_slice %[[NEW]] into %[[ACC]][0, %[[T]], 0, 0] [1, 1, 2, 4] [1, 1, 1, 1] : tensor<1x2x4xf32> into tensor<1x?x2x4xf32>
// CHECK: scf.yield %[[NEW]], %[[INS]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[V]], %[[CUM]]#1, %[[A]], %[[BE]], %[[G]] : tensor<1x2x1x?x4xf32>, tensor<1x2x1x?xf32>, tensor<1x?x2x4xf32>, tensor<1x?x2x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) outs(%{{.*}} : tensor<1x2x1x?x4xf32>)
// CHECK: arith.divf
// CHECK: %[[I:.*]] = linalg.index 3 : index
// CHECK: %[[N:.*]] = arith.addi %[[I]], %c1 : index
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK-NOT: x?x?xf32>
// CHECK: return
func.func @attention_shaped(%x: tensor<1x?x8xf32>) -> tensor<1x?x8xf32> {
  %0 = tfm.attention %x, %x, %x {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 0.5>, beta = array<f64: 2.0, 0.25>, gamma = array<f64: 1.0, 3.0>} : (tensor<1x?x8xf32>, tensor<1x?x8xf32>, tensor<1x?x8xf32>) -> tensor<1x?x8xf32>
  return %0 : tensor<1x?x8xf32>
}

// -----

// Shaped attention, bidirectional, GQA: C·V is the mean of all value rows, a
// sum over the sequence ([B, Skv, Hkv, Dv] -> [B, Hkv, Dv]) divided by Skv
// and broadcast; query head h = 2·g + r reads its gains at d1 * 2 + d2.
// CHECK-DAG: #[[$SUMIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d1, d2)>
// CHECK-DAG: #[[$HEAD:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d1 * 2 + d2)>
// CHECK-LABEL: func.func @attention_shaped_gqa
// CHECK-NOT: scf.for
// CHECK: %[[V:.*]] = tensor.expand_shape %{{.*}} output_shape [%{{.*}}, %{{.*}}, 2, 4] : tensor<?x?x8xf32> into tensor<?x?x2x4xf32>
// CHECK: %[[SKV:.*]] = tensor.dim %{{.*}}, %c2 : tensor<?x4x?xf32>
// CHECK: linalg.batch_matmul
// CHECK-NOT: arith.cmpi eq
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<?x?x?xf32>, tensor<?x?x4xf32>)
// CHECK-NOT: x?x?xf32>
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[$SUMIN]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction"]} ins(%[[V]] : tensor<?x?x2x4xf32>) outs(%{{.*}} : tensor<?x2x4xf32>)
// CHECK: arith.addf
// CHECK: linalg.generic {{.*}}#[[$HEAD]], #[[$HEAD]], #[[$HEAD]], {{.*}} ins(%{{.*}}, %{{.*}}, %[[V]], %[[S]], %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x2x2x?x4xf32>, tensor<?x2x2x?xf32>, tensor<?x?x2x4xf32>, tensor<?x2x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.index_cast %[[SKV]]
// CHECK: arith.divf
// CHECK: arith.subf
// CHECK-NOT: scf.for
// CHECK-NOT: x?x?xf32>
// CHECK: return
func.func @attention_shaped_gqa(%q: tensor<?x?x16xf32>, %kv: tensor<?x?x8xf32>) -> tensor<?x?x16xf32> {
  %0 = tfm.attention %q, %kv, %kv {num_heads = 4 : i64, num_kv_heads = 2 : i64, alpha = array<f64: 1.0, 0.5, 0.25, 2.0>, beta = array<f64: 2.0, 0.25, 1.0, 1.0>, gamma = array<f64: 1.0, 3.0, 0.5, 0.0>} : (tensor<?x?x16xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x16xf32>
  return %0 : tensor<?x?x16xf32>
}

// -----

// Blocks are inlined.
// CHECK-LABEL: func.func @block
// CHECK-NOT: tfm.
// CHECK: linalg.generic
// CHECK-NOT: tfm.
// CHECK: return
func.func @block(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tfm.block pre_ln (%x) : (tensor<4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>):
    %r = tfm.activation relu %a : tensor<4xf32>
    tfm.yield %r : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}
