// tfm.attention with kv_bias and bias_mask against the same attention
// written without slots: the slot rows concatenated in front of K and V and
// one mask over all P + Skv keys (bias_mask for the slots, the runtime mask
// or the causal pattern for the keys). Both functions of a pair take the
// same arguments, so one seed gives both the same random inputs. i1 masks
// are drawn as (x > 0) from a random float input, since random i1 inputs are
// all true.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tfm-run %s --entry=i1_slots --random-inputs --seed=3 --output=%t/i1_slots.npy
// RUN: tfm-run %s --entry=i1_explicit --random-inputs --seed=3 --output=%t/i1_explicit.npy
// RUN: tfm-run %s --entry=i1_slots --random-inputs --seed=4 --output=%t/i1_other.npy
// RUN: tfm-run %s --entry=i1_visible --random-inputs --seed=3 --output=%t/i1_visible.npy
// RUN: tfm-run %s --entry=f_slots --random-inputs --seed=5 --output=%t/f_slots.npy
// RUN: tfm-run %s --entry=f_explicit --random-inputs --seed=5 --output=%t/f_explicit.npy
// RUN: tfm-run %s --entry=f_visible --random-inputs --seed=5 --output=%t/f_visible.npy
// RUN: tfm-run %s --entry=causal_slots --random-inputs --seed=3 --output=%t/causal_slots.npy
// RUN: tfm-run %s --entry=causal_explicit --random-inputs --seed=3 --output=%t/causal_explicit.npy
// RUN: %python %S/Inputs/compare_bias_mask.py %t

//===----------------------------------------------------------------------===//
// i1 bias_mask [B, H, Sq, P] (every axis read), GQA (H = 4, Hkv = 2), with
// an i1 runtime mask [Sq, Skv]. B = 2, Sq = 5, Skv = 7, P = 3, D = Dv = 8.
//===----------------------------------------------------------------------===//

#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>
#id2 = affine_map<(a, b) -> (a, b)>

func.func @i1_slots(%q: tensor<2x5x32xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x16xf32>,
                    %kb: tensor<2x3x8xf32>, %vb: tensor<2x3x8xf32>,
                    %bmr: tensor<2x4x5x3xf32>, %mr: tensor<5x7xf32>) -> tensor<2x5x32xf32> {
  %bm = call @positive4(%bmr) : (tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xi1>
  %m = call @positive2(%mr) : (tensor<5x7xf32>) -> tensor<5x7xi1>
  %o = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x5x32xf32>, tensor<2x7x16xf32>, tensor<2x7x16xf32>, tensor<5x7xi1>,
         tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x4x5x3xi1>) -> tensor<2x5x32xf32>
  return %o : tensor<2x5x32xf32>
}

// The same op without bias_mask: every slot visible (must differ).
func.func @i1_visible(%q: tensor<2x5x32xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x16xf32>,
                      %kb: tensor<2x3x8xf32>, %vb: tensor<2x3x8xf32>,
                      %bmr: tensor<2x4x5x3xf32>, %mr: tensor<5x7xf32>) -> tensor<2x5x32xf32> {
  %m = call @positive2(%mr) : (tensor<5x7xf32>) -> tensor<5x7xi1>
  %o = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x5x32xf32>, tensor<2x7x16xf32>, tensor<2x7x16xf32>, tensor<5x7xi1>,
         tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x5x32xf32>
  return %o : tensor<2x5x32xf32>
}

// Written as plain multi-head attention (each KV head repeated for its
// query heads), so the query head a mask row belongs to is found without
// the GQA grouping the slots function uses.
func.func @i1_explicit(%q: tensor<2x5x32xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x16xf32>,
                       %kb: tensor<2x3x8xf32>, %vb: tensor<2x3x8xf32>,
                       %bmr: tensor<2x4x5x3xf32>, %mr: tensor<5x7xf32>) -> tensor<2x5x32xf32> {
  %bm = call @positive4(%bmr) : (tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xi1>
  %m = call @positive2(%mr) : (tensor<5x7xf32>) -> tensor<5x7xi1>
  %k2 = call @prepend_2x3x8(%kb, %k) : (tensor<2x3x8xf32>, tensor<2x7x16xf32>) -> tensor<2x10x16xf32>
  %v2 = call @prepend_2x3x8(%vb, %v) : (tensor<2x3x8xf32>, tensor<2x7x16xf32>) -> tensor<2x10x16xf32>
  %k4 = call @repeat_heads(%k2) : (tensor<2x10x16xf32>) -> tensor<2x10x32xf32>
  %v4 = call @repeat_heads(%v2) : (tensor<2x10x16xf32>) -> tensor<2x10x32xf32>
  %me = tensor.empty() : tensor<2x4x5x7xi1>
  %mb = linalg.broadcast ins(%m : tensor<5x7xi1>) outs(%me : tensor<2x4x5x7xi1>) dimensions = [0, 1]
  %full = tensor.concat dim(3) %bm, %mb : (tensor<2x4x5x3xi1>, tensor<2x4x5x7xi1>) -> tensor<2x4x5x10xi1>
  %o = tfm.attention %q, %k4, %v4 mask(%full) {num_heads = 4 : i64}
      : (tensor<2x5x32xf32>, tensor<2x10x32xf32>, tensor<2x10x32xf32>, tensor<2x4x5x10xi1>) -> tensor<2x5x32xf32>
  return %o : tensor<2x5x32xf32>
}

//===----------------------------------------------------------------------===//
// float bias_mask [H, Sq, P] (batch broadcast), causal with Sq <= Skv (the
// slots stay visible either way), float runtime mask [B, 1, 1, Skv].
// H = Hkv = 2, B = 2, Sq = 5, Skv = 7, P = 3, D = Dv = 8.
//===----------------------------------------------------------------------===//

func.func @f_slots(%q: tensor<2x5x16xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x16xf32>,
                   %kb: tensor<2x3x8xf32>, %vb: tensor<2x3x8xf32>,
                   %bf: tensor<2x5x3xf32>, %mf: tensor<2x1x1x7xf32>) -> tensor<2x5x16xf32> {
  %o = tfm.attention %q, %k, %v mask(%mf) kv_bias(%kb, %vb) bias_mask(%bf) {num_heads = 2 : i64, causal}
      : (tensor<2x5x16xf32>, tensor<2x7x16xf32>, tensor<2x7x16xf32>, tensor<2x1x1x7xf32>,
         tensor<2x3x8xf32>, tensor<2x3x8xf32>, tensor<2x5x3xf32>) -> tensor<2x5x16xf32>
  return %o : tensor<2x5x16xf32>
}

// The same op without bias_mask (must differ).
func.func @f_visible(%q: tensor<2x5x16xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x16xf32>,
                     %kb: tensor<2x3x8xf32>, %vb: tensor<2x3x8xf32>,
                     %bf: tensor<2x5x3xf32>, %mf: tensor<2x1x1x7xf32>) -> tensor<2x5x16xf32> {
  %o = tfm.attention %q, %k, %v mask(%mf) kv_bias(%kb, %vb) {num_heads = 2 : i64, causal}
      : (tensor<2x5x16xf32>, tensor<2x7x16xf32>, tensor<2x7x16xf32>, tensor<2x1x1x7xf32>,
         tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x5x16xf32>
  return %o : tensor<2x5x16xf32>
}

// Causal over P + Skv keys is bottom-right aligned, so with Sq <= Skv it
// hides the same runtime keys and no slot.
func.func @f_explicit(%q: tensor<2x5x16xf32>, %k: tensor<2x7x16xf32>, %v: tensor<2x7x16xf32>,
                      %kb: tensor<2x3x8xf32>, %vb: tensor<2x3x8xf32>,
                      %bf: tensor<2x5x3xf32>, %mf: tensor<2x1x1x7xf32>) -> tensor<2x5x16xf32> {
  %k2 = call @prepend_2x3x8(%kb, %k) : (tensor<2x3x8xf32>, tensor<2x7x16xf32>) -> tensor<2x10x16xf32>
  %v2 = call @prepend_2x3x8(%vb, %v) : (tensor<2x3x8xf32>, tensor<2x7x16xf32>) -> tensor<2x10x16xf32>
  %be = tensor.empty() : tensor<2x2x5x3xf32>
  %bb = linalg.broadcast ins(%bf : tensor<2x5x3xf32>) outs(%be : tensor<2x2x5x3xf32>) dimensions = [0]
  %mc = tensor.collapse_shape %mf [[0, 1, 2], [3]] : tensor<2x1x1x7xf32> into tensor<2x7xf32>
  %me = tensor.empty() : tensor<2x2x5x7xf32>
  %mb = linalg.broadcast ins(%mc : tensor<2x7xf32>) outs(%me : tensor<2x2x5x7xf32>) dimensions = [1, 2]
  %full = tensor.concat dim(3) %bb, %mb : (tensor<2x2x5x3xf32>, tensor<2x2x5x7xf32>) -> tensor<2x2x5x10xf32>
  %o = tfm.attention %q, %k2, %v2 mask(%full) {num_heads = 2 : i64, causal}
      : (tensor<2x5x16xf32>, tensor<2x10x16xf32>, tensor<2x10x16xf32>, tensor<2x2x5x10xf32>) -> tensor<2x5x16xf32>
  return %o : tensor<2x5x16xf32>
}

//===----------------------------------------------------------------------===//
// causal with more queries than keys: Sq = 6, Skv = 4, so queries 0 and 1
// see no runtime key and only the slots that the i1 bias_mask [Sq, P]
// leaves visible (none: a zero row). MQA (H = 2, Hkv = 1), B = 1, P = 2.
//===----------------------------------------------------------------------===//

func.func @causal_slots(%q: tensor<1x6x16xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>,
                        %kb: tensor<1x2x8xf32>, %vb: tensor<1x2x8xf32>,
                        %bmr: tensor<6x2xf32>) -> tensor<1x6x16xf32> {
  %bm = call @positive2_6x2(%bmr) : (tensor<6x2xf32>) -> tensor<6x2xi1>
  %o = tfm.attention %q, %k, %v kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 2 : i64, num_kv_heads = 1 : i64, causal}
      : (tensor<1x6x16xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>,
         tensor<1x2x8xf32>, tensor<1x2x8xf32>, tensor<6x2xi1>) -> tensor<1x6x16xf32>
  return %o : tensor<1x6x16xf32>
}

// The causal pattern spelled out: runtime key j is visible to query i when
// j <= i + Skv - Sq = i - 2.
func.func @causal_explicit(%q: tensor<1x6x16xf32>, %k: tensor<1x4x8xf32>, %v: tensor<1x4x8xf32>,
                           %kb: tensor<1x2x8xf32>, %vb: tensor<1x2x8xf32>,
                           %bmr: tensor<6x2xf32>) -> tensor<1x6x16xf32> {
  %bm = call @positive2_6x2(%bmr) : (tensor<6x2xf32>) -> tensor<6x2xi1>
  // With B = Hkv = 1 the slots [Hkv, P, D] already are [B, P, Hkv·D].
  %k2 = tensor.concat dim(1) %kb, %k : (tensor<1x2x8xf32>, tensor<1x4x8xf32>) -> tensor<1x6x8xf32>
  %v2 = tensor.concat dim(1) %vb, %v : (tensor<1x2x8xf32>, tensor<1x4x8xf32>) -> tensor<1x6x8xf32>
  %ce = tensor.empty() : tensor<6x4xi1>
  %c = linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%ce : tensor<6x4xi1>) {
  ^bb0(%out: i1):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c2 = arith.constant 2 : index
    %lim = arith.subi %i, %c2 : index
    %ok = arith.cmpi sle, %j, %lim : index
    linalg.yield %ok : i1
  } -> tensor<6x4xi1>
  %full = tensor.concat dim(1) %bm, %c : (tensor<6x2xi1>, tensor<6x4xi1>) -> tensor<6x6xi1>
  %o = tfm.attention %q, %k2, %v2 mask(%full) {num_heads = 2 : i64, num_kv_heads = 1 : i64}
      : (tensor<1x6x16xf32>, tensor<1x6x8xf32>, tensor<1x6x8xf32>, tensor<6x6xi1>) -> tensor<1x6x16xf32>
  return %o : tensor<1x6x16xf32>
}

//===----------------------------------------------------------------------===//
// Helpers.
//===----------------------------------------------------------------------===//

// slots [Hkv, P, D] -> [B, P, Hkv·D] in front of keys [B, Skv, Hkv·D].
func.func private @prepend_2x3x8(%s: tensor<2x3x8xf32>, %x: tensor<2x7x16xf32>) -> tensor<2x10x16xf32> {
  %te = tensor.empty() : tensor<3x2x8xf32>
  %t = linalg.transpose ins(%s : tensor<2x3x8xf32>) outs(%te : tensor<3x2x8xf32>) permutation = [1, 0, 2]
  %c = tensor.collapse_shape %t [[0], [1, 2]] : tensor<3x2x8xf32> into tensor<3x16xf32>
  %be = tensor.empty() : tensor<2x3x16xf32>
  %b = linalg.broadcast ins(%c : tensor<3x16xf32>) outs(%be : tensor<2x3x16xf32>) dimensions = [0]
  %r = tensor.concat dim(1) %b, %x : (tensor<2x3x16xf32>, tensor<2x7x16xf32>) -> tensor<2x10x16xf32>
  return %r : tensor<2x10x16xf32>
}

// GQA keys [B, S, Hkv·D] (Hkv = 2, D = 8) -> MHA keys [B, S, H·D] (H = 4):
// query head h = g·2 + r reads KV head g.
func.func private @repeat_heads(%x: tensor<2x10x16xf32>) -> tensor<2x10x32xf32> {
  %x4 = tensor.expand_shape %x [[0], [1], [2, 3]] output_shape [2, 10, 2, 8] : tensor<2x10x16xf32> into tensor<2x10x2x8xf32>
  %e = tensor.empty() : tensor<2x10x2x2x8xf32>
  %b = linalg.broadcast ins(%x4 : tensor<2x10x2x8xf32>) outs(%e : tensor<2x10x2x2x8xf32>) dimensions = [3]
  %r = tensor.collapse_shape %b [[0], [1], [2, 3, 4]] : tensor<2x10x2x2x8xf32> into tensor<2x10x32xf32>
  return %r : tensor<2x10x32xf32>
}

func.func private @positive4(%x: tensor<2x4x5x3xf32>) -> tensor<2x4x5x3xi1> {
  %e = tensor.empty() : tensor<2x4x5x3xi1>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x4x5x3xf32>) outs(%e : tensor<2x4x5x3xi1>) {
  ^bb0(%a: f32, %out: i1):
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %a, %z : f32
    linalg.yield %p : i1
  } -> tensor<2x4x5x3xi1>
  return %r : tensor<2x4x5x3xi1>
}

func.func private @positive2(%x: tensor<5x7xf32>) -> tensor<5x7xi1> {
  %e = tensor.empty() : tensor<5x7xi1>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<5x7xf32>) outs(%e : tensor<5x7xi1>) {
  ^bb0(%a: f32, %out: i1):
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %a, %z : f32
    linalg.yield %p : i1
  } -> tensor<5x7xi1>
  return %r : tensor<5x7xi1>
}

func.func private @positive2_6x2(%x: tensor<6x2xf32>) -> tensor<6x2xi1> {
  %e = tensor.empty() : tensor<6x2xi1>
  %r = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<6x2xf32>) outs(%e : tensor<6x2xi1>) {
  ^bb0(%a: f32, %out: i1):
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %a, %z : f32
    linalg.yield %p : i1
  } -> tensor<6x2xi1>
  return %r : tensor<6x2xi1>
}
