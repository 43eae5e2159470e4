// 16-bit attention the tensor-core kernel takes: GQA with a key-padding
// mask and odd sequence lengths (f16, head width 128), causal shaped
// attention (bf16, head width 64, SAS-P's), bias slots with a bias_mask
// and GQA (bf16, head width 64, dynamic slot count), and causal
// self-attention with dynamic sequences (bf16, head width 64).
func.func @gqa_f16(%q: tensor<2x37x512xf16>, %k: tensor<2x45x256xf16>,
                   %v: tensor<2x45x256xf16>, %m: tensor<2x1x1x45xi1>) -> tensor<2x37x512xf16> {
  %o = tfm.attention %q, %k, %v mask(%m) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<2x37x512xf16>, tensor<2x45x256xf16>, tensor<2x45x256xf16>, tensor<2x1x1x45xi1>) -> tensor<2x37x512xf16>
  return %o : tensor<2x37x512xf16>
}

func.func @shaped_bf16(%q: tensor<2x?x256xbf16>) -> tensor<2x?x256xbf16> {
  %o = tfm.attention %q, %q, %q {num_heads = 4 : i64, causal,
                                 alpha = array<f64: 1.0, 1.0, 0.5, 0.0>,
                                 beta = array<f64: 0.5, 1.0, 2.0, 1.0>,
                                 gamma = array<f64: 1.0, 0.0, 0.25, 1.0>}
      : (tensor<2x?x256xbf16>, tensor<2x?x256xbf16>, tensor<2x?x256xbf16>) -> tensor<2x?x256xbf16>
  return %o : tensor<2x?x256xbf16>
}

func.func @slots_bf16(%q: tensor<2x?x256xbf16>, %k: tensor<2x?x128xbf16>, %v: tensor<2x?x128xbf16>,
                      %kb: tensor<2x?x64xbf16>, %vb: tensor<2x?x64xbf16>,
                      %bm: tensor<2x1x1x?xi1>) -> tensor<2x?x256xbf16> {
  %o = tfm.attention %q, %k, %v kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal}
      : (tensor<2x?x256xbf16>, tensor<2x?x128xbf16>, tensor<2x?x128xbf16>, tensor<2x?x64xbf16>,
         tensor<2x?x64xbf16>, tensor<2x1x1x?xi1>) -> tensor<2x?x256xbf16>
  return %o : tensor<2x?x256xbf16>
}

func.func @main(%q: tensor<2x?x768xbf16>, %k: tensor<2x?x768xbf16>, %v: tensor<2x?x768xbf16>,
                %qh: tensor<2x37x512xf16>, %kh: tensor<2x45x256xf16>, %vh: tensor<2x45x256xf16>,
                %m: tensor<2x1x1x45xi1>, %kb: tensor<2x?x64xbf16>, %vb: tensor<2x?x64xbf16>,
                %bm: tensor<2x1x1x?xi1>)
    -> (tensor<2x?x768xbf16>, tensor<2x37x512xf16>, tensor<2x?x256xbf16>, tensor<2x?x256xbf16>) {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %q, %c1 : tensor<2x?x768xbf16>
  %o = tfm.attention %q, %k, %v {num_heads = 12 : i64, num_kv_heads = 12 : i64, causal}
      : (tensor<2x?x768xbf16>, tensor<2x?x768xbf16>, tensor<2x?x768xbf16>) -> tensor<2x?x768xbf16>
  %oh = func.call @gqa_f16(%qh, %kh, %vh, %m)
      : (tensor<2x37x512xf16>, tensor<2x45x256xf16>, tensor<2x45x256xf16>, tensor<2x1x1x45xi1>) -> tensor<2x37x512xf16>
  %s = tensor.extract_slice %q[0, 0, 0] [2, %n, 256] [1, 1, 1] : tensor<2x?x768xbf16> to tensor<2x?x256xbf16>
  %os = func.call @shaped_bf16(%s) : (tensor<2x?x256xbf16>) -> tensor<2x?x256xbf16>
  %ks = tensor.extract_slice %k[0, 0, 0] [2, %n, 128] [1, 1, 1] : tensor<2x?x768xbf16> to tensor<2x?x128xbf16>
  %vs = tensor.extract_slice %v[0, 0, 0] [2, %n, 128] [1, 1, 1] : tensor<2x?x768xbf16> to tensor<2x?x128xbf16>
  %ob = func.call @slots_bf16(%s, %ks, %vs, %kb, %vb, %bm)
      : (tensor<2x?x256xbf16>, tensor<2x?x128xbf16>, tensor<2x?x128xbf16>, tensor<2x?x64xbf16>,
         tensor<2x?x64xbf16>, tensor<2x1x1x?xi1>) -> tensor<2x?x256xbf16>
  return %o, %oh, %os, %ob : tensor<2x?x768xbf16>, tensor<2x37x512xf16>, tensor<2x?x256xbf16>, tensor<2x?x256xbf16>
}
