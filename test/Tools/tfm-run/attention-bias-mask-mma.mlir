// tfm.attention with kv_bias and bias_mask as the CUDA tensor-core kernel
// (f16, head width 16), its warps emulated on the CPU, against the CPU's
// own lowering of the same function on the same random inputs. The runs
// without bias_mask must differ, or the comparison would not see the mask.
// i1 masks are drawn as (x > 0) from a random float input.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tfm-run %s --entry=i1_slots --random-inputs --seed=3 --output=%t/i1.npy
// RUN: tfm-run %s --entry=i1_slots --random-inputs --seed=3 --emulate-tensor-core-attention --expected=%t/i1.npy --atol=0.02 --rtol=0.01 | FileCheck %s
// RUN: not tfm-run %s --entry=i1_visible --random-inputs --seed=3 --emulate-tensor-core-attention --expected=%t/i1.npy --atol=0.02 --rtol=0.01 | FileCheck %s --check-prefix=DIFFERS
// RUN: tfm-run %s --entry=f_slots --random-inputs --seed=5 --output=%t/f.npy
// RUN: tfm-run %s --entry=f_slots --random-inputs --seed=5 --emulate-tensor-core-attention --expected=%t/f.npy --atol=0.02 --rtol=0.01 | FileCheck %s
// RUN: not tfm-run %s --entry=f_visible --random-inputs --seed=5 --emulate-tensor-core-attention --expected=%t/f.npy --atol=0.02 --rtol=0.01 | FileCheck %s --check-prefix=DIFFERS
// CHECK: output 0: {{.*}}: ok
// DIFFERS: output 0: {{.*}}MISMATCH

#id4 = affine_map<(a, b, c, d) -> (a, b, c, d)>

// i1 bias_mask [B, H, Sq, P] (every axis read), GQA (H = 4, Hkv = 2), an
// i1 runtime mask [B, 1, Sq, Skv]; P = 3, Sq = 21 (a padded second row
// tile), Skv = 19.
func.func @i1_slots(%q: tensor<2x21x64xf16>, %k: tensor<2x19x32xf16>, %v: tensor<2x19x32xf16>,
                    %kb: tensor<2x3x16xf16>, %vb: tensor<2x3x16xf16>,
                    %bmr: tensor<2x4x21x3xf32>, %mr: tensor<2x1x21x19xf32>) -> tensor<2x21x64xf16> {
  %bm = call @positive(%bmr) : (tensor<2x4x21x3xf32>) -> tensor<2x4x21x3xi1>
  %m = call @positive_mask(%mr) : (tensor<2x1x21x19xf32>) -> tensor<2x1x21x19xi1>
  %o = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x21x64xf16>, tensor<2x19x32xf16>, tensor<2x19x32xf16>, tensor<2x1x21x19xi1>,
         tensor<2x3x16xf16>, tensor<2x3x16xf16>, tensor<2x4x21x3xi1>) -> tensor<2x21x64xf16>
  return %o : tensor<2x21x64xf16>
}

func.func @i1_visible(%q: tensor<2x21x64xf16>, %k: tensor<2x19x32xf16>, %v: tensor<2x19x32xf16>,
                      %kb: tensor<2x3x16xf16>, %vb: tensor<2x3x16xf16>,
                      %bmr: tensor<2x4x21x3xf32>, %mr: tensor<2x1x21x19xf32>) -> tensor<2x21x64xf16> {
  %m = call @positive_mask(%mr) : (tensor<2x1x21x19xf32>) -> tensor<2x1x21x19xi1>
  %o = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x21x64xf16>, tensor<2x19x32xf16>, tensor<2x19x32xf16>, tensor<2x1x21x19xi1>,
         tensor<2x3x16xf16>, tensor<2x3x16xf16>) -> tensor<2x21x64xf16>
  return %o : tensor<2x21x64xf16>
}

// Additive f16 bias_mask [H, Sq, P] (batch broadcast), causal, 18 slots
// (two slot steps), H = Hkv = 2, Sq = 17, Skv = 20, D = 32, Dv = 16.
func.func @f_slots(%q: tensor<2x17x64xf16>, %k: tensor<2x20x64xf16>, %v: tensor<2x20x32xf16>,
                   %kb: tensor<2x18x32xf16>, %vb: tensor<2x18x16xf16>,
                   %bf: tensor<2x17x18xf16>) -> tensor<2x17x32xf16> {
  %o = tfm.attention %q, %k, %v kv_bias(%kb, %vb) bias_mask(%bf) {num_heads = 2 : i64, causal}
      : (tensor<2x17x64xf16>, tensor<2x20x64xf16>, tensor<2x20x32xf16>,
         tensor<2x18x32xf16>, tensor<2x18x16xf16>, tensor<2x17x18xf16>) -> tensor<2x17x32xf16>
  return %o : tensor<2x17x32xf16>
}

func.func @f_visible(%q: tensor<2x17x64xf16>, %k: tensor<2x20x64xf16>, %v: tensor<2x20x32xf16>,
                     %kb: tensor<2x18x32xf16>, %vb: tensor<2x18x16xf16>,
                     %bf: tensor<2x17x18xf16>) -> tensor<2x17x32xf16> {
  %o = tfm.attention %q, %k, %v kv_bias(%kb, %vb) {num_heads = 2 : i64, causal}
      : (tensor<2x17x64xf16>, tensor<2x20x64xf16>, tensor<2x20x32xf16>,
         tensor<2x18x32xf16>, tensor<2x18x16xf16>) -> tensor<2x17x32xf16>
  return %o : tensor<2x17x32xf16>
}

func.func private @positive(%x: tensor<2x4x21x3xf32>) -> tensor<2x4x21x3xi1> {
  %e = tensor.empty() : tensor<2x4x21x3xi1>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x4x21x3xf32>) outs(%e : tensor<2x4x21x3xi1>) {
  ^bb0(%a: f32, %out: i1):
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %a, %z : f32
    linalg.yield %p : i1
  } -> tensor<2x4x21x3xi1>
  return %r : tensor<2x4x21x3xi1>
}

func.func private @positive_mask(%x: tensor<2x1x21x19xf32>) -> tensor<2x1x21x19xi1> {
  %e = tensor.empty() : tensor<2x1x21x19xi1>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x : tensor<2x1x21x19xf32>) outs(%e : tensor<2x1x21x19xi1>) {
  ^bb0(%a: f32, %out: i1):
    %z = arith.constant 0.0 : f32
    %p = arith.cmpf ogt, %a, %z : f32
    linalg.yield %p : i1
  } -> tensor<2x1x21x19xi1>
  return %r : tensor<2x1x21x19xi1>
}
