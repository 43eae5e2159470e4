// GPT-2-small's causal self-attention (12 heads of 64), f32 and bf16, for
// the fused attention kernel's register budget at that head width.
func.func @f32(%q: tensor<8x1024x768xf32>, %k: tensor<8x1024x768xf32>,
               %v: tensor<8x1024x768xf32>) -> tensor<8x1024x768xf32> {
  %o = tfm.attention %q, %k, %v {num_heads = 12 : i64, num_kv_heads = 12 : i64, causal}
      : (tensor<8x1024x768xf32>, tensor<8x1024x768xf32>, tensor<8x1024x768xf32>) -> tensor<8x1024x768xf32>
  return %o : tensor<8x1024x768xf32>
}

func.func @main(%q: tensor<8x1024x768xbf16>, %k: tensor<8x1024x768xbf16>,
                %v: tensor<8x1024x768xbf16>, %qf: tensor<8x1024x768xf32>,
                %kf: tensor<8x1024x768xf32>, %vf: tensor<8x1024x768xf32>)
    -> (tensor<8x1024x768xbf16>, tensor<8x1024x768xf32>) {
  %o = tfm.attention %q, %k, %v {num_heads = 12 : i64, num_kv_heads = 12 : i64, causal}
      : (tensor<8x1024x768xbf16>, tensor<8x1024x768xbf16>, tensor<8x1024x768xbf16>) -> tensor<8x1024x768xbf16>
  %of = func.call @f32(%qf, %kf, %vf)
      : (tensor<8x1024x768xf32>, tensor<8x1024x768xf32>, tensor<8x1024x768xf32>) -> tensor<8x1024x768xf32>
  return %o, %of : tensor<8x1024x768xbf16>, tensor<8x1024x768xf32>
}
