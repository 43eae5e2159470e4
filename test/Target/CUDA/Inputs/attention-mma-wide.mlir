// The widest shapes the tensor-core attention takes, for ptxas budgets:
// head width 128 with GQA, a float mask, bias slots and a bias_mask
// (causal); head widths 96 and 48 (lane spans that are not powers of two);
// shaped attention at head width 128 over value heads of 64; and the
// common export of a large model: head width 128, GQA, causal, with an
// additive mask [B, 1, Sq, Skv].
func.func @main(%q: tensor<2x?x1024xbf16>, %k: tensor<2x?x512xbf16>, %v: tensor<2x?x512xbf16>,
                %kb: tensor<4x?x128xbf16>, %vb: tensor<4x?x128xbf16>,
                %bm: tensor<2x1x1x?xi1>, %m: tensor<2x1x?x?xbf16>) -> tensor<2x?x1024xbf16> {
  %o = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 8 : i64, num_kv_heads = 4 : i64, causal}
      : (tensor<2x?x1024xbf16>, tensor<2x?x512xbf16>, tensor<2x?x512xbf16>, tensor<2x1x?x?xbf16>, tensor<4x?x128xbf16>,
         tensor<4x?x128xbf16>, tensor<2x1x1x?xi1>) -> tensor<2x?x1024xbf16>
  return %o : tensor<2x?x1024xbf16>
}
func.func @d96_dv48(%q: tensor<2x?x384xf16>, %k: tensor<2x?x384xf16>, %v: tensor<2x?x192xf16>) -> tensor<2x?x192xf16> {
  %o = tfm.attention %q, %k, %v {num_heads = 4 : i64}
      : (tensor<2x?x384xf16>, tensor<2x?x384xf16>, tensor<2x?x192xf16>) -> tensor<2x?x192xf16>
  return %o : tensor<2x?x192xf16>
}
func.func @shaped_d128_dv64(%q: tensor<2x?x512xbf16>, %k: tensor<2x?x512xbf16>, %v: tensor<2x?x256xbf16>) -> tensor<2x?x256xbf16> {
  %o = tfm.attention %q, %k, %v {num_heads = 4 : i64, causal,
                                 alpha = array<f64: 1.0, 1.0, 0.5, 0.0>,
                                 beta = array<f64: 0.5, 1.0, 2.0, 1.0>,
                                 gamma = array<f64: 1.0, 0.0, 0.25, 1.0>}
      : (tensor<2x?x512xbf16>, tensor<2x?x512xbf16>, tensor<2x?x256xbf16>) -> tensor<2x?x256xbf16>
  return %o : tensor<2x?x256xbf16>
}

func.func @d128_float_mask(%q: tensor<2x?x1024xbf16>, %k: tensor<2x?x512xbf16>, %v: tensor<2x?x512xbf16>,
                           %m: tensor<2x1x?x?xbf16>) -> tensor<2x?x1024xbf16> {
  %o = tfm.attention %q, %k, %v mask(%m) {num_heads = 8 : i64, num_kv_heads = 4 : i64, causal}
      : (tensor<2x?x1024xbf16>, tensor<2x?x512xbf16>, tensor<2x?x512xbf16>, tensor<2x1x?x?xbf16>) -> tensor<2x?x1024xbf16>
  return %o : tensor<2x?x1024xbf16>
}
