// RUN: tfm-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// tfm.linear
//===----------------------------------------------------------------------===//

// linear: the weight element type must equal the input element type.
func.func @linear_weight_elt(%x: tensor<2x64xf32>, %w: tensor<64x128xf16>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op weight element type 'f16' does not match input element type 'f32'}}
  %y = tfm.linear %x, %w : (tensor<2x64xf32>, tensor<64x128xf16>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear: the input feature size K must equal the weight's row count.
func.func @linear_in_features(%x: tensor<2x32xf32>, %w: tensor<64x128xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op input feature size 32 does not match weight rows 64}}
  %y = tfm.linear %x, %w : (tensor<2x32xf32>, tensor<64x128xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear: the bias element type must equal the input element type.
func.func @linear_bias_elt(%x: tensor<2x64xf32>, %w: tensor<64x128xf32>, %b: tensor<128xf16>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op bias element type 'f16' does not match input element type 'f32'}}
  %y = tfm.linear %x, %w, %b : (tensor<2x64xf32>, tensor<64x128xf32>, tensor<128xf16>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear: the bias must be 1-D.
func.func @linear_bias_rank(%x: tensor<2x64xf32>, %w: tensor<64x128xf32>, %b: tensor<1x128xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op bias must be 1-D [N], got rank 2}}
  %y = tfm.linear %x, %w, %b : (tensor<2x64xf32>, tensor<64x128xf32>, tensor<1x128xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear: the bias size must equal the weight's column count N.
func.func @linear_bias_size(%x: tensor<2x64xf32>, %w: tensor<64x128xf32>, %b: tensor<100xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op bias size 100 does not match weight columns 128}}
  %y = tfm.linear %x, %w, %b : (tensor<2x64xf32>, tensor<64x128xf32>, tensor<100xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear (ranks are checked before shapes): the weight must be 2-D [K, N].
func.func @linear_weight_rank(%x: tensor<2x64xf32>, %w: tensor<64x128x1xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{weight must be 2-D [K, N], got rank 3}}
  %y = tfm.linear %x, %w : (tensor<2x64xf32>, tensor<64x128x1xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear: the declared result type must match the inferred [..., N] type.
func.func @linear_result_type(%x: tensor<2x64xf32>, %w: tensor<64x128xf32>) -> tensor<2x64xf32> {
  // expected-error @+2 {{'tfm.linear' op inferred type(s) 'tensor<2x128xf32>' are incompatible with return type(s) of operation 'tensor<2x64xf32>'}}
  // expected-error @+1 {{'tfm.linear' op failed to infer returned types}}
  %y = tfm.linear %x, %w : (tensor<2x64xf32>, tensor<64x128xf32>) -> tensor<2x64xf32>
  return %y : tensor<2x64xf32>
}

// -----

// linear: the result element type must match the input element type.
func.func @linear_result_elt(%x: tensor<2x64xf32>, %w: tensor<64x128xf32>) -> tensor<2x128xf16> {
  // expected-error @+2 {{'tfm.linear' op inferred type(s) 'tensor<2x128xf32>' are incompatible with return type(s) of operation 'tensor<2x128xf16>'}}
  // expected-error @+1 {{'tfm.linear' op failed to infer returned types}}
  %y = tfm.linear %x, %w : (tensor<2x64xf32>, tensor<64x128xf32>) -> tensor<2x128xf16>
  return %y : tensor<2x128xf16>
}

// -----

// linear (ODS): the input must be a ranked tensor of floats.
func.func @linear_int_input(%x: tensor<2x64xi32>, %w: tensor<64x128xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<2x64xi32>'}}
  %y = tfm.linear %x, %w : (tensor<2x64xi32>, tensor<64x128xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear (ODS): unranked tensors are rejected before type inference.
func.func @linear_unranked(%x: tensor<*xf32>, %w: tensor<64x128xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<*xf32>'}}
  %y = tfm.linear %x, %w : (tensor<*xf32>, tensor<64x128xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.attention
//===----------------------------------------------------------------------===//

// attention (ODS): num_heads must be positive.
func.func @attn_num_heads_zero(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %a = tfm.attention %q, %q, %q {num_heads = 0 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention (ODS): num_kv_heads must be positive.
func.func @attn_num_kv_heads_neg(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{attribute 'num_kv_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, num_kv_heads = -2 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention (ODS): the query must be a tensor of floats.
func.func @attn_int_query(%q: tensor<2x8x64xi32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x64xi32> {
  // expected-error @+1 {{'tfm.attention' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<2x8x64xi32>'}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x64xi32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xi32>
  return %a : tensor<2x8x64xi32>
}

// -----

// attention (ODS): the mask must be float or i1.
func.func @attn_mask_i8(%q: tensor<2x8x64xf32>, %m: tensor<8x8xi8>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op operand #3 must be ranked tensor of floating-point or 1-bit signless integer values, but got 'tensor<8x8xi8>'}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<8x8xi8>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention (ODS): operandSegmentSizes must add up to the operand count.
func.func @attn_segments(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op operand count (3) does not match with the total size (4) specified in attribute 'operandSegmentSizes'}}
  %a = "tfm.attention"(%q, %q, %q) <{num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 1, 0, 0, 0>}> : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the key must be rank-3.
func.func @attn_key_rank(%q: tensor<2x8x64xf32>, %k: tensor<8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query, key and value must be rank-3 [batch, seq, heads*dim]}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<8x64xf32>, tensor<8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the query must be rank-3.
func.func @attn_query_rank(%q: tensor<2x8x64x1xf32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{query, key and value must be rank-3 [batch, seq, heads*dim]}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x64x1xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention (ranks are checked before shapes): the value must be rank-3.
func.func @attn_value_rank(%q: tensor<2x8x64xf32>, %v: tensor<2x8x64x1xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{query, key and value must be rank-3 [batch, seq, heads*dim]}}
  %a = tfm.attention %q, %q, %v {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64x1xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: query, key and value share one element type.
func.func @attn_elt(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf16>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query, key and value must share one element type}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf16>, tensor<2x8x64xf16>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the query feature dimension must be static.
func.func @attn_dynamic_query_width(%q: tensor<2x8x?xf32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op the feature (last) dimension of query, key and value must be static}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x?xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the value feature dimension must be static.
func.func @attn_dynamic_value_width(%q: tensor<2x8x64xf32>, %v: tensor<2x8x?xf32>) -> tensor<2x8x?xf32> {
  // expected-error @+1 {{'tfm.attention' op the feature (last) dimension of query, key and value must be static}}
  %a = tfm.attention %q, %q, %v {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x?xf32>) -> tensor<2x8x?xf32>
  return %a : tensor<2x8x?xf32>
}

// -----

// attention: num_heads must be a multiple of num_kv_heads.
func.func @attn_heads_multiple(%q: tensor<2x8x64xf32>, %k: tensor<2x8x48xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op num_heads (4) must be a multiple of num_kv_heads (3)}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 3 : i64} : (tensor<2x8x64xf32>, tensor<2x8x48xf32>, tensor<2x8x48xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the query width must be divisible by num_heads.
func.func @attn_query_width(%q: tensor<2x8x66xf32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query width 66 is not divisible by num_heads (4)}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x66xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the key width must be divisible by num_kv_heads.
func.func @attn_key_width(%q: tensor<2x8x64xf32>, %k: tensor<2x8x33xf32>, %v: tensor<2x8x32xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op key width 33 is not divisible by num_kv_heads (2)}}
  %a = tfm.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<2x8x64xf32>, tensor<2x8x33xf32>, tensor<2x8x32xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the value width must be divisible by num_kv_heads.
func.func @attn_value_width(%q: tensor<2x8x64xf32>, %k: tensor<2x8x32xf32>, %v: tensor<2x8x33xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op value width 33 is not divisible by num_kv_heads (2)}}
  %a = tfm.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x33xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the query head dim (query width / H) must equal the key head
// dim (key width / Hkv).
func.func @attn_head_dim(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x128xf32> {
  // expected-error @+1 {{'tfm.attention' op query head dim 16 does not match key head dim 32}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x128xf32>
  return %a : tensor<2x8x128xf32>
}

// -----

// attention: query, key and value batch sizes must agree.
func.func @attn_batch(%q: tensor<2x8x64xf32>, %k: tensor<3x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query, key and value batch sizes differ}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<3x8x64xf32>, tensor<3x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: key and value batch sizes must agree even when the query batch
// is dynamic.
func.func @attn_batch_kv(%q: tensor<?x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<3x8x64xf32>) -> tensor<?x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query, key and value batch sizes differ}}
  %a = tfm.attention %q, %k, %v {num_heads = 4 : i64} : (tensor<?x8x64xf32>, tensor<2x8x64xf32>, tensor<3x8x64xf32>) -> tensor<?x8x64xf32>
  return %a : tensor<?x8x64xf32>
}

// -----

// attention: key and value sequence lengths must agree.
func.func @attn_kv_seq(%q: tensor<2x8x64xf32>, %k: tensor<2x8x64xf32>, %v: tensor<2x9x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op key and value sequence lengths differ (8 vs 9)}}
  %a = tfm.attention %q, %k, %v {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x9x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: scale must be non-zero.
func.func @attn_scale_zero(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op scale must be finite and non-zero}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, scale = 0.0 : f64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: scale must be finite (+inf here).
func.func @attn_scale_inf(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op scale must be finite and non-zero}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, scale = 0x7FF0000000000000 : f64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: scale must not be NaN.
func.func @attn_scale_nan(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op scale must be finite and non-zero}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, scale = 0x7FF8000000000000 : f64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: a float mask must have the query element type.
func.func @attn_mask_elt(%q: tensor<2x8x64xf32>, %m: tensor<8x8xf16>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask must be i1 (true = visible) or have the query element type 'f32', got 'f16'}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<8x8xf16>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the mask rank must be at least 2.
func.func @attn_mask_rank_low(%q: tensor<2x8x64xf32>, %m: tensor<8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask must have rank 2 to 4 (broadcast to [batch, heads, query, key]), got rank 1}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the mask rank must be at most 4.
func.func @attn_mask_rank_high(%q: tensor<2x8x64xf32>, %m: tensor<1x2x4x8x8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask must have rank 2 to 4 (broadcast to [batch, heads, query, key]), got rank 5}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<1x2x4x8x8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the mask batch axis must broadcast to the batch size.
func.func @attn_mask_batch(%q: tensor<2x8x64xf32>, %m: tensor<3x1x8x8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask dimension 0 (batch) has size 3, which does not broadcast to 2}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<3x1x8x8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the mask heads axis must broadcast to num_heads.
func.func @attn_mask_heads(%q: tensor<2x8x64xf32>, %m: tensor<2x2x8x8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask dimension 1 (heads) has size 2, which does not broadcast to 4}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x2x8x8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the mask query axis must broadcast to the query length.
func.func @attn_mask_query(%q: tensor<2x8x64xf32>, %m: tensor<1x1x7x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask dimension 2 (query) has size 7, which does not broadcast to 8}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<1x1x7x8xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the mask key axis must broadcast to the key length.
func.func @attn_mask_key(%q: tensor<2x8x64xf32>, %k: tensor<2x16x64xf32>, %m: tensor<1x1x8x8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask dimension 3 (key) has size 8, which does not broadcast to 16}}
  %a = tfm.attention %q, %k, %k mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>, tensor<1x1x8x8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: a rank-2 mask is right-aligned, so its dimension 0 is the
// query axis.
func.func @attn_mask_rank2_query(%q: tensor<2x8x64xf32>, %m: tensor<4x8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op mask dimension 0 (query) has size 4, which does not broadcast to 8}}
  %a = tfm.attention %q, %q, %q mask(%m) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: key_bias without value_bias (only expressible in generic form).
func.func @attn_key_bias_alone(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op key_bias and value_bias must be given together}}
  %a = "tfm.attention"(%q, %q, %q, %kb) <{num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 1, 0, 0>}> : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: value_bias without key_bias (only expressible in generic form).
func.func @attn_value_bias_alone(%q: tensor<2x8x64xf32>, %vb: tensor<4x1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op key_bias and value_bias must be given together}}
  %a = "tfm.attention"(%q, %q, %q, %vb) <{num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 1, 0>}> : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: bias slots must have the query element type.
func.func @attn_bias_elt(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf16>, %vb: tensor<4x1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias slots must have the query element type 'f32'}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %vb) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf16>, tensor<4x1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: bias slots must be rank-3 [kv_heads, slots, dim].
func.func @attn_bias_rank(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>, %vb: tensor<1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias slots must be rank-3 [kv_heads, slots, dim]}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %vb) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: bias slots have one row per KV head.
func.func @attn_bias_heads(%q: tensor<2x8x64xf32>, %k: tensor<2x8x32xf32>, %kb: tensor<4x1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias slots must have num_kv_heads (2) rows in dimension 0}}
  %a = tfm.attention %q, %k, %k kv_bias(%kb, %kb) {num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: key_bias and value_bias carry the same number of slots.
func.func @attn_bias_slots(%q: tensor<2x8x64xf32>, %kb: tensor<4x2x16xf32>, %vb: tensor<4x3x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op key_bias and value_bias slot counts differ (2 vs 3)}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %vb) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x2x16xf32>, tensor<4x3x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: key_bias rows have the key head dim D.
func.func @attn_key_bias_dim(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x8xf32>, %vb: tensor<4x1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op key_bias head dim 8 does not match key head dim 16}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %vb) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x8xf32>, tensor<4x1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: value_bias rows have the value head dim Dv.
func.func @attn_value_bias_dim(%q: tensor<2x8x64xf32>, %v: tensor<2x8x128xf32>, %kb: tensor<4x1x16xf32>) -> tensor<2x8x128xf32> {
  // expected-error @+1 {{'tfm.attention' op value_bias head dim 16 does not match value head dim 32}}
  %a = tfm.attention %q, %q, %v kv_bias(%kb, %kb) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x128xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>) -> tensor<2x8x128xf32>
  return %a : tensor<2x8x128xf32>
}

// -----

// attention: bias_mask masks bias slots, so it needs kv_bias (only
// expressible in generic form).
func.func @attn_bias_mask_no_slots(%q: tensor<2x8x64xf32>, %bm: tensor<8x1xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask needs key_bias and value_bias (it masks the bias slots)}}
  %a = "tfm.attention"(%q, %q, %q, %bm) <{num_heads = 4 : i64, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0, 0, 1>}> : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<8x1xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: bias_mask is i1 or has the query element type.
func.func @attn_bias_mask_elt(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>, %bm: tensor<8x1xf16>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask must be i1 (true = visible) or have the query element type 'f32', got 'f16'}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>, tensor<8x1xf16>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: bias_mask has rank 2 to 4.
func.func @attn_bias_mask_rank_low(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>, %bm: tensor<1xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask must have rank 2 to 4 (broadcast to [batch, heads, query, slot]), got rank 1}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>, tensor<1xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: bias_mask has rank 2 to 4.
func.func @attn_bias_mask_rank_high(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>, %bm: tensor<1x2x4x8x1xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask must have rank 2 to 4 (broadcast to [batch, heads, query, slot]), got rank 5}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>, tensor<1x2x4x8x1xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the bias_mask batch axis broadcasts to the batch size.
func.func @attn_bias_mask_batch(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>, %bm: tensor<3x1x8x1xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask dimension 0 (batch) has size 3, which does not broadcast to 2}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>, tensor<3x1x8x1xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the bias_mask heads axis broadcasts to num_heads (not to
// num_kv_heads).
func.func @attn_bias_mask_heads(%q: tensor<2x8x64xf32>, %k: tensor<2x8x32xf32>, %kb: tensor<2x1x16xf32>, %bm: tensor<2x8x1xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask dimension 0 (heads) has size 2, which does not broadcast to 4}}
  %a = tfm.attention %q, %k, %k kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64, num_kv_heads = 2 : i64} : (tensor<2x8x64xf32>, tensor<2x8x32xf32>, tensor<2x8x32xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>, tensor<2x8x1xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the bias_mask query axis broadcasts to the query length.
func.func @attn_bias_mask_query(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>, %bm: tensor<7x1xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask dimension 0 (query) has size 7, which does not broadcast to 8}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>, tensor<7x1xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the bias_mask slot axis broadcasts to the slot count P (not to
// the key length).
func.func @attn_bias_mask_slots(%q: tensor<2x8x64xf32>, %kb: tensor<4x2x16xf32>, %bm: tensor<8x8xi1>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op bias_mask dimension 1 (slot) has size 8, which does not broadcast to 2}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) bias_mask(%bm) {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x2x16xf32>, tensor<4x2x16xf32>, tensor<8x8xi1>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: shaped attention needs alpha, beta and gamma together.
func.func @attn_shaped_missing(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped attention needs all of alpha, beta and gamma}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, alpha = array<f64: 1.0, 1.0, 1.0, 1.0>, beta = array<f64: 1.0, 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: a lone gamma (without alpha) is also rejected.
func.func @attn_shaped_gamma_only(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped attention needs all of alpha, beta and gamma}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, gamma = array<f64: 1.0, 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: alpha has one entry per head.
func.func @attn_shaped_alpha_count(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped-attention alpha has 2 entries, expected one per head (4)}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, alpha = array<f64: 1.0, 1.0>, beta = array<f64: 1.0, 1.0, 1.0, 1.0>, gamma = array<f64: 1.0, 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: beta has one entry per head.
func.func @attn_shaped_beta_count(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped-attention beta has 5 entries, expected one per head (4)}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, alpha = array<f64: 1.0, 1.0, 1.0, 1.0>, beta = array<f64: 1.0, 1.0, 1.0, 1.0, 1.0>, gamma = array<f64: 1.0, 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: gamma has one entry per head.
func.func @attn_shaped_gamma_count(%q: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped-attention gamma has 0 entries, expected one per head (4)}}
  %a = tfm.attention %q, %q, %q {num_heads = 4 : i64, alpha = array<f64: 1.0, 1.0, 1.0, 1.0>, beta = array<f64: 1.0, 1.0, 1.0, 1.0>, gamma = array<f64>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: shaped attention takes no bias slots.
func.func @attn_shaped_bias(%q: tensor<2x8x64xf32>, %kb: tensor<4x1x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped attention cannot use key/value bias slots}}
  %a = tfm.attention %q, %q, %q kv_bias(%kb, %kb) {num_heads = 4 : i64, alpha = array<f64: 1.0, 1.0, 1.0, 1.0>, beta = array<f64: 1.0, 1.0, 1.0, 1.0>, gamma = array<f64: 1.0, 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<4x1x16xf32>, tensor<4x1x16xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: shaped attention needs Sq == Skv.
func.func @attn_shaped_lengths(%q: tensor<2x8x64xf32>, %k: tensor<2x16x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op shaped attention needs equal query and key lengths, got 8 and 16}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64, causal, alpha = array<f64: 1.0, 1.0, 1.0, 1.0>, beta = array<f64: 1.0, 1.0, 1.0, 1.0>, gamma = array<f64: 1.0, 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the declared result must be [B, Sq, H*Dv] (here H*Dv = 4*32).
func.func @attn_result_type(%q: tensor<2x8x64xf32>, %v: tensor<2x8x128xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+2 {{'tfm.attention' op inferred type(s) 'tensor<2x8x128xf32>' are incompatible with return type(s) of operation 'tensor<2x8x64xf32>'}}
  // expected-error @+1 {{'tfm.attention' op failed to infer returned types}}
  %a = tfm.attention %q, %q, %v {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x128xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: the result keeps the query's batch and sequence extents.
func.func @attn_result_seq(%q: tensor<2x8x64xf32>, %k: tensor<2x16x64xf32>) -> tensor<2x16x64xf32> {
  // expected-error @+2 {{'tfm.attention' op inferred type(s) 'tensor<2x8x64xf32>' are incompatible with return type(s) of operation 'tensor<2x16x64xf32>'}}
  // expected-error @+1 {{'tfm.attention' op failed to infer returned types}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x16x64xf32>, tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return %a : tensor<2x16x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.norm
//===----------------------------------------------------------------------===//

// norm: the input must have rank >= 1.
func.func @norm_rank0(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'tfm.norm' op input must have rank >= 1, got rank 0}}
  %y = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<f32>) -> tensor<f32>
  return %y : tensor<f32>
}

// -----

// norm: epsilon must be non-negative.
func.func @norm_eps_negative(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op epsilon must be finite and non-negative}}
  %y = tfm.norm rms %x {epsilon = -1.0e-5 : f64} : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: epsilon must be finite (+inf here).
func.func @norm_eps_inf(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op epsilon must be finite and non-negative}}
  %y = tfm.norm rms %x {epsilon = 0x7FF0000000000000 : f64} : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: epsilon must not be NaN.
func.func @norm_eps_nan(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op epsilon must be finite and non-negative}}
  %y = tfm.norm layer %x {epsilon = 0x7FF8000000000000 : f64} : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm (ODS): epsilon is required.
func.func @norm_eps_missing(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{requires attribute 'epsilon'}}
  %y = tfm.norm layer %x : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: the scale element type must equal the input element type.
func.func @norm_scale_elt(%x: tensor<2x8x64xf32>, %g: tensor<64xf16>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op scale element type 'f16' does not match input element type 'f32'}}
  %y = tfm.norm rms %x scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<2x8x64xf32>, tensor<64xf16>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: the scale must be 1-D.
func.func @norm_scale_rank(%x: tensor<2x8x64xf32>, %g: tensor<1x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op scale must be 1-D, got rank 2}}
  %y = tfm.norm rms %x scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<2x8x64xf32>, tensor<1x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: the scale size must equal the feature size.
func.func @norm_scale_size(%x: tensor<2x8x64xf32>, %g: tensor<32xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op scale size 32 does not match the feature size 64}}
  %y = tfm.norm rms %x scale(%g) {epsilon = 1.0e-6 : f64} : (tensor<2x8x64xf32>, tensor<32xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: the shift element type must equal the input element type.
func.func @norm_shift_elt(%x: tensor<2x8x64xf32>, %g: tensor<64xf32>, %s: tensor<64xbf16>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op shift element type 'bf16' does not match input element type 'f32'}}
  %y = tfm.norm layer %x scale(%g) shift(%s) {epsilon = 1.0e-5 : f64} : (tensor<2x8x64xf32>, tensor<64xf32>, tensor<64xbf16>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: the shift must be 1-D.
func.func @norm_shift_rank(%x: tensor<2x8x64xf32>, %s: tensor<2x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op shift must be 1-D, got rank 2}}
  %y = tfm.norm layer %x shift(%s) {epsilon = 1.0e-5 : f64} : (tensor<2x8x64xf32>, tensor<2x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm: the shift size must equal the feature size.
func.func @norm_shift_size(%x: tensor<2x8x64xf32>, %s: tensor<128xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.norm' op shift size 128 does not match the feature size 64}}
  %y = tfm.norm layer %x shift(%s) {epsilon = 1.0e-5 : f64} : (tensor<2x8x64xf32>, tensor<128xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// norm (ODS AllTypesMatch): the result type must equal the input type.
func.func @norm_result_type(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf16> {
  // expected-error @+1 {{'tfm.norm' op failed to verify that all of {input, result} have same type}}
  %y = tfm.norm layer %x {epsilon = 1.0e-5 : f64} : (tensor<2x8x64xf32>) -> tensor<2x8x64xf16>
  return %y : tensor<2x8x64xf16>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.activation
//===----------------------------------------------------------------------===//

// activation (ODS OptionalTypesMatchWith): a gated `up` must have the input type.
func.func @act_up_type(%a: tensor<2x8x64xf32>, %b: tensor<2x8x32xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.activation' op failed to verify that gate and up types match}}
  %y = tfm.activation silu %a, %b : tensor<2x8x64xf32>, tensor<2x8x32xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// activation (ODS AllTypesMatch): the result type must equal the input type
// (only expressible in generic form).
func.func @act_result_type(%a: tensor<2x8x64xf32>) -> tensor<2x8x64xf16> {
  // expected-error @+1 {{'tfm.activation' op failed to verify that all of {input, result} have same type}}
  %y = "tfm.activation"(%a) <{kind = #tfm<activation_kind relu>}> : (tensor<2x8x64xf32>) -> tensor<2x8x64xf16>
  return %y : tensor<2x8x64xf16>
}

// -----

// activation (ODS): the input must be a tensor of floats.
func.func @act_int_input(%a: tensor<2x8x64xi32>) -> tensor<2x8x64xi32> {
  // expected-error @+1 {{'tfm.activation' op operand #0 must be ranked tensor of floating-point values, but got 'tensor<2x8x64xi32>'}}
  %y = tfm.activation gelu %a : tensor<2x8x64xi32>
  return %y : tensor<2x8x64xi32>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.residual
//===----------------------------------------------------------------------===//

// residual: at least one branch is required.
func.func @residual_no_branch(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.residual' op needs at least one branch}}
  %y = tfm.residual skip(%x) branches() : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// residual: alpha (the skip gain) needs a skip operand.
func.func @residual_alpha_no_skip(%a: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.residual' op alpha is the skip gain and needs a skip operand}}
  %y = tfm.residual branches(%a) {alpha = 0.5 : f64} : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// residual: betas has one entry per branch.
func.func @residual_betas_count(%x: tensor<2x8x64xf32>, %a: tensor<2x8x64xf32>, %b: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.residual' op has 3 betas for 2 branches}}
  %y = tfm.residual skip(%x) branches(%a, %b) {betas = array<f64: 1.0, 1.0, 1.0>} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// residual: every branch must have the result type.
func.func @residual_branch_type(%x: tensor<2x8x64xf32>, %a: tensor<2x8x32xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.residual' op operand type 'tensor<2x8x32xf32>' does not match result type 'tensor<2x8x64xf32>'}}
  %y = tfm.residual skip(%x) branches(%a) : (tensor<2x8x64xf32>, tensor<2x8x32xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// residual: the skip must have the result type (types match exactly, a
// dynamic extent does not match a static one).
func.func @residual_skip_type(%x: tensor<2x?x64xf32>, %a: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.residual' op operand type 'tensor<2x?x64xf32>' does not match result type 'tensor<2x8x64xf32>'}}
  %y = tfm.residual skip(%x) branches(%a) : (tensor<2x?x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

// residual (ODS): more than one skip operand is rejected via operandSegmentSizes.
func.func @residual_two_skips(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.residual' op operand group starting at #0 requires 0 or 1 element, but found 2}}
  %y = "tfm.residual"(%x, %x, %x) <{operandSegmentSizes = array<i32: 2, 1>}> : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %y : tensor<2x8x64xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.embedding
//===----------------------------------------------------------------------===//

// embedding (ranks are checked before shapes): the table must be 2-D [vocab, dim].
func.func @embedding_table_rank(%ids: tensor<2x8xi64>, %tab: tensor<100xf32>) -> tensor<2x8x100xf32> {
  // expected-error @+1 {{table must be 2-D [vocab, dim], got rank 1}}
  %e = tfm.embedding %ids, %tab : (tensor<2x8xi64>, tensor<100xf32>) -> tensor<2x8x100xf32>
  return %e : tensor<2x8x100xf32>
}

// -----

// embedding: the result must be ids' shape followed by the table width.
func.func @embedding_result_type(%ids: tensor<2x8xi64>, %tab: tensor<100x64xf32>) -> tensor<2x8x100xf32> {
  // expected-error @+2 {{'tfm.embedding' op inferred type(s) 'tensor<2x8x64xf32>' are incompatible with return type(s) of operation 'tensor<2x8x100xf32>'}}
  // expected-error @+1 {{'tfm.embedding' op failed to infer returned types}}
  %e = tfm.embedding %ids, %tab : (tensor<2x8xi64>, tensor<100x64xf32>) -> tensor<2x8x100xf32>
  return %e : tensor<2x8x100xf32>
}

// -----

// embedding: the result element type must be the table element type.
func.func @embedding_result_elt(%ids: tensor<2x8xi64>, %tab: tensor<100x64xf32>) -> tensor<2x8x64xf16> {
  // expected-error @+2 {{'tfm.embedding' op inferred type(s) 'tensor<2x8x64xf32>' are incompatible with return type(s) of operation 'tensor<2x8x64xf16>'}}
  // expected-error @+1 {{'tfm.embedding' op failed to infer returned types}}
  %e = tfm.embedding %ids, %tab : (tensor<2x8xi64>, tensor<100x64xf32>) -> tensor<2x8x64xf16>
  return %e : tensor<2x8x64xf16>
}

// -----

// embedding (ODS): ids must be integers.
func.func @embedding_float_ids(%ids: tensor<2x8xf32>, %tab: tensor<100x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.embedding' op operand #0 must be ranked tensor of signless integer or index values, but got 'tensor<2x8xf32>'}}
  %e = tfm.embedding %ids, %tab : (tensor<2x8xf32>, tensor<100x64xf32>) -> tensor<2x8x64xf32>
  return %e : tensor<2x8x64xf32>
}

// -----

// embedding (ODS): the table must be floats.
func.func @embedding_int_table(%ids: tensor<2x8xi64>, %tab: tensor<100x64xi32>) -> tensor<2x8x64xi32> {
  // expected-error @+1 {{'tfm.embedding' op operand #1 must be ranked tensor of floating-point values, but got 'tensor<100x64xi32>'}}
  %e = tfm.embedding %ids, %tab : (tensor<2x8xi64>, tensor<100x64xi32>) -> tensor<2x8x64xi32>
  return %e : tensor<2x8x64xi32>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.rotary
//===----------------------------------------------------------------------===//

// rotary: the input must have rank >= 2 [..., seq, heads*dim].
func.func @rotary_rank(%x: tensor<64xf32>, %cs: tensor<8x8xf32>) -> tensor<64xf32> {
  // expected-error @+1 {{'tfm.rotary' op input must have rank >= 2 [..., seq, heads*dim], got rank 1}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<64xf32>
  return %r : tensor<64xf32>
}

// -----

// rotary: cos/sin must have the input element type.
func.func @rotary_table_elt(%x: tensor<2x8x64xf32>, %cs: tensor<8x8xf16>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op cos/sin element type 'f16' does not match input element type 'f32'}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<8x8xf16>, tensor<8x8xf16>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: the feature dimension must be static.
func.func @rotary_dynamic_width(%x: tensor<2x8x?xf32>, %cs: tensor<8x8xf32>) -> tensor<2x8x?xf32> {
  // expected-error @+1 {{'tfm.rotary' op the feature (last) dimension must be static}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x?xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8x?xf32>
  return %r : tensor<2x8x?xf32>
}

// -----

// rotary: the width must be divisible by num_heads.
func.func @rotary_width(%x: tensor<2x8x66xf32>, %cs: tensor<8x8xf32>) -> tensor<2x8x66xf32> {
  // expected-error @+1 {{'tfm.rotary' op input width 66 is not divisible by num_heads (4)}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x66xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8x66xf32>
  return %r : tensor<2x8x66xf32>
}

// -----

// rotary: rotary_dim must be even.
func.func @rotary_dim_odd(%x: tensor<2x8x64xf32>, %cs: tensor<8x3xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op rotary_dim (7) must be even and at most the head dim (16)}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64, rotary_dim = 7 : i64} : (tensor<2x8x64xf32>, tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: rotary_dim must not exceed the head dim.
func.func @rotary_dim_large(%x: tensor<2x8x64xf32>, %cs: tensor<8x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op rotary_dim (32) must be even and at most the head dim (16)}}
  %r = tfm.rotary interleaved %x, %cs, %cs {num_heads = 4 : i64, rotary_dim = 32 : i64} : (tensor<2x8x64xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: without rotary_dim the head dim itself must be even.
func.func @rotary_head_dim_odd(%x: tensor<2x8x12xf32>, %cs: tensor<8x1xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'tfm.rotary' op rotary_dim (3) must be even and at most the head dim (3)}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x12xf32>, tensor<8x1xf32>, tensor<8x1xf32>) -> tensor<2x8x12xf32>
  return %r : tensor<2x8x12xf32>
}

// -----

// rotary (ODS): rotary_dim must be positive.
func.func @rotary_dim_zero(%x: tensor<2x8x64xf32>, %cs: tensor<8x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{attribute 'rotary_dim' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64, rotary_dim = 0 : i64} : (tensor<2x8x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary (ODS): num_heads must be positive.
func.func @rotary_num_heads_zero(%x: tensor<2x8x64xf32>, %cs: tensor<8x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{attribute 'num_heads' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 0 : i64} : (tensor<2x8x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: cos/sin must have rank >= 2.
func.func @rotary_table_rank_low(%x: tensor<2x8x64xf32>, %cs: tensor<8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op cos/sin must have rank 2 to 3 [..., seq, rotary_dim/2], got rank 1}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: cos/sin rank must not exceed the input rank.
func.func @rotary_table_rank_high(%x: tensor<8x64xf32>, %cs: tensor<1x8x8xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op cos/sin must have rank 2 to 2 [..., seq, rotary_dim/2], got rank 3}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<8x64xf32>, tensor<1x8x8xf32>, tensor<1x8x8xf32>) -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}

// -----

// rotary: the cos/sin last dimension must be rotary_dim/2.
func.func @rotary_table_width(%x: tensor<2x8x64xf32>, %cs: tensor<8x16xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op cos/sin last dimension 16 must be rotary_dim/2 = 8}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<8x16xf32>, tensor<8x16xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: the cos/sin sequence dimension must match the input's exactly
// (size 1 does not broadcast on the sequence axis).
func.func @rotary_table_seq(%x: tensor<2x8x64xf32>, %cs: tensor<1x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op cos/sin dimension 0 has size 1, which does not match the sequence length 8}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<1x8xf32>, tensor<1x8xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary: cos/sin leading (batch) dimensions must broadcast to the input's.
func.func @rotary_table_batch(%x: tensor<2x8x64xf32>, %cs: tensor<3x8x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op cos/sin dimension 0 has size 3, which does not broadcast to 2}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<3x8x8xf32>, tensor<3x8x8xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary (ODS AllTypesMatch): cos and sin must have one type.
func.func @rotary_cos_sin_type(%x: tensor<2x8x64xf32>, %c: tensor<8x8xf32>, %s: tensor<1x8x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.rotary' op failed to verify that all of {cos, sin} have same type}}
  %r = tfm.rotary half %x, %c, %s {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<8x8xf32>, tensor<1x8x8xf32>) -> tensor<2x8x64xf32>
  return %r : tensor<2x8x64xf32>
}

// -----

// rotary (ODS AllTypesMatch): the result type must equal the input type.
func.func @rotary_result_type(%x: tensor<2x8x64xf32>, %cs: tensor<8x8xf32>) -> tensor<2x8x32xf32> {
  // expected-error @+1 {{'tfm.rotary' op failed to verify that all of {input, result} have same type}}
  %r = tfm.rotary half %x, %cs, %cs {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<2x8x32xf32>
  return %r : tensor<2x8x32xf32>
}

// -----

//===----------------------------------------------------------------------===//
// tfm.block and tfm.yield
//===----------------------------------------------------------------------===//

// block: the body takes one argument per input.
func.func @block_arg_count(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.block' op body has 2 arguments for 1 inputs}}
  %y = tfm.block pre_ln (%x) : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x8x64xf32>, %arg1: tensor<2x8x64xf32>):
    tfm.yield %arg0 : tensor<2x8x64xf32>
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// block: each body argument has its input's type.
func.func @block_arg_type(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.block' op body argument 0 has type 'tensor<2x?x64xf32>', but input 0 has type 'tensor<2x8x64xf32>'}}
  %y = tfm.block post_ln (%x) : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x?x64xf32>):
    %c = tensor.cast %arg0 : tensor<2x?x64xf32> to tensor<2x8x64xf32>
    tfm.yield %c : tensor<2x8x64xf32>
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// block: the body must end with tfm.yield.
func.func @block_no_yield(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.block' op body must end with tfm.yield}}
  %y = tfm.block parallel (%x) : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x8x64xf32>):
    %r = tfm.activation relu %arg0 : tensor<2x8x64xf32>
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// block: the yielded types must be the block's result types.
func.func @block_yield_types(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.block' op yields 2 values whose types do not match the block's 1 result types}}
  %y = tfm.block sas (%x) : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x8x64xf32>):
    tfm.yield %arg0, %arg0 : tensor<2x8x64xf32>, tensor<2x8x64xf32>
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// block: a yield of the right arity but the wrong type is rejected too.
func.func @block_yield_type_mismatch(%x: tensor<2x8x64xf32>, %z: tensor<2x8x32xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.block' op yields 1 values whose types do not match the block's 1 result types}}
  %y = tfm.block sas_p (%x) : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x8x64xf32>):
    tfm.yield %z : tensor<2x8x32xf32>
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// block (ODS): layer must be non-negative.
func.func @block_layer_negative(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{attribute 'layer' failed to satisfy constraint: 64-bit signless integer attribute whose value is non-negative}}
  %y = tfm.block unknown (%x) {layer = -1 : i64} : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x8x64xf32>):
    tfm.yield %arg0 : tensor<2x8x64xf32>
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// block (ODS SingleBlock): the body block may not be empty, so the
// verifier's own "body must end with tfm.yield" never sees an empty body.
func.func @block_empty_body(%x: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.block' op expects a non-empty block}}
  %y = tfm.block pre_ln (%x) : (tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  ^bb0(%arg0: tensor<2x8x64xf32>):
  }
  return %y : tensor<2x8x64xf32>
}

// -----

// yield (ODS HasParent): tfm.yield is only valid inside tfm.block.
func.func @yield_outside_block(%x: tensor<2x8x64xf32>) {
  // expected-error @+1 {{'tfm.yield' op expects parent op 'tfm.block'}}
  tfm.yield %x : tensor<2x8x64xf32>
}

// -----

// linear: a rank-0 input has no feature dimension.
func.func @linear_input_rank0(%x: tensor<f32>, %w: tensor<64x128xf32>) -> tensor<128xf32> {
  // expected-error @+1 {{'tfm.linear' op input must have rank >= 1, got rank 0}}
  %y = tfm.linear %x, %w : (tensor<f32>, tensor<64x128xf32>) -> tensor<128xf32>
  return %y : tensor<128xf32>
}

// -----

// linear: a rank-0 weight.
func.func @linear_weight_rank0(%x: tensor<2x64xf32>, %w: tensor<f32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op weight must be 2-D [K, N], got rank 0}}
  %y = tfm.linear %x, %w : (tensor<2x64xf32>, tensor<f32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// linear: a rank-1 weight with a bias is rejected on the weight rank.
func.func @linear_weight_rank1_bias(%x: tensor<2x64xf32>, %w: tensor<64xf32>, %b: tensor<128xf32>) -> tensor<2x128xf32> {
  // expected-error @+1 {{'tfm.linear' op weight must be 2-D [K, N], got rank 1}}
  %y = tfm.linear %x, %w, %b : (tensor<2x64xf32>, tensor<64xf32>, tensor<128xf32>) -> tensor<2x128xf32>
  return %y : tensor<2x128xf32>
}

// -----

// attention: a rank-2 query.
func.func @attn_query_rank2(%q: tensor<8x64xf32>, %k: tensor<2x8x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query, key and value must be rank-3 [batch, seq, heads*dim]}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64} : (tensor<8x64xf32>, tensor<2x8x64xf32>, tensor<2x8x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: a rank-2 value.
func.func @attn_value_rank2(%q: tensor<2x8x64xf32>, %v: tensor<2x8xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op query, key and value must be rank-3 [batch, seq, heads*dim]}}
  %a = tfm.attention %q, %q, %v {num_heads = 4 : i64} : (tensor<2x8x64xf32>, tensor<2x8x64xf32>, tensor<2x8xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}

// -----

// attention: causal with more queries than keys leaves early queries blind.
func.func @attn_causal_blind_queries(%q: tensor<2x8x64xf32>, %k: tensor<2x4x64xf32>) -> tensor<2x8x64xf32> {
  // expected-error @+1 {{'tfm.attention' op causal attention with more queries (8) than keys (4): the first 4 queries would see no key}}
  %a = tfm.attention %q, %k, %k {num_heads = 4 : i64, causal} : (tensor<2x8x64xf32>, tensor<2x4x64xf32>, tensor<2x4x64xf32>) -> tensor<2x8x64xf32>
  return %a : tensor<2x8x64xf32>
}
