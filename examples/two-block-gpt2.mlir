// A two-block GPT-2-style decoder in the tfm dialect: width 64, 4 heads,
// MLP 256, vocabulary 128, context 32. Pre-LN blocks, learned positions,
// causal attention, tanh-GELU MLP and an untied LM head. Every weight holds
// its own value, so every weight is a distinct parameter tensor.
//
// Parameters, counted by hand:
//   per block: ln_1 64+64, q/k/v/o 4·(64·64+64), ln_2 64+64,
//              fc 64·256+256, proj 256·64+64                  = 49984
//   wte 128·64 = 8192, wpe 32·64 = 2048, ln_f 128, lm_head 64·128 = 8192
//   total 2·49984 + 8192 + 2048 + 128 + 8192                 = 118528
// Matmuls: 6 per block + lm_head = 13. Attention: 2. Blocks: 2 pre_ln.

!act = tensor<?x?x64xf32>

func.func @main(%ids: tensor<?x?xi64> {tfm.dim_names = ["batch", "sequence"]},
                %pos: tensor<?x?xi64> {tfm.dim_names = ["batch", "sequence"]}) -> tensor<?x?x128xf32> {
  %wte = arith.constant dense<0.02> : tensor<128x64xf32>
  %wpe = arith.constant dense<0.01> : tensor<32x64xf32>
  %tok = tfm.embedding %ids, %wte : (tensor<?x?xi64>, tensor<128x64xf32>) -> !act
  %where = tfm.embedding %pos, %wpe : (tensor<?x?xi64>, tensor<32x64xf32>) -> !act
  %x0 = tfm.residual skip(%tok) branches(%where) : (!act, !act) -> !act

  %h0 = tfm.block pre_ln (%x0) {layer = 0 : i64} : (!act) -> !act {
  ^bb0(%x: !act):
    %ln1_g = arith.constant dense<1.01> : tensor<64xf32>
    %ln1_b = arith.constant dense<0.001> : tensor<64xf32>
    %wq = arith.constant dense<0.011> : tensor<64x64xf32>
    %bq = arith.constant dense<0.0011> : tensor<64xf32>
    %wk = arith.constant dense<0.012> : tensor<64x64xf32>
    %bk = arith.constant dense<0.0012> : tensor<64xf32>
    %wv = arith.constant dense<0.013> : tensor<64x64xf32>
    %bv = arith.constant dense<0.0013> : tensor<64xf32>
    %wo = arith.constant dense<0.014> : tensor<64x64xf32>
    %bo = arith.constant dense<0.0014> : tensor<64xf32>
    %ln2_g = arith.constant dense<1.02> : tensor<64xf32>
    %ln2_b = arith.constant dense<0.002> : tensor<64xf32>
    %wfc = arith.constant dense<0.015> : tensor<64x256xf32>
    %bfc = arith.constant dense<0.0015> : tensor<256xf32>
    %wpr = arith.constant dense<0.016> : tensor<256x64xf32>
    %bpr = arith.constant dense<0.0016> : tensor<64xf32>
    %n1 = tfm.norm layer %x scale(%ln1_g) shift(%ln1_b) {epsilon = 1.0e-5 : f64}
        : (!act, tensor<64xf32>, tensor<64xf32>) -> !act
    %q = tfm.linear %n1, %wq, %bq : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %k = tfm.linear %n1, %wk, %bk : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %v = tfm.linear %n1, %wv, %bv : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %a = tfm.attention %q, %k, %v {num_heads = 4 : i64, causal} : (!act, !act, !act) -> !act
    %o = tfm.linear %a, %wo, %bo : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %x1 = tfm.residual skip(%x) branches(%o) : (!act, !act) -> !act
    %n2 = tfm.norm layer %x1 scale(%ln2_g) shift(%ln2_b) {epsilon = 1.0e-5 : f64}
        : (!act, tensor<64xf32>, tensor<64xf32>) -> !act
    %u = tfm.linear %n2, %wfc, %bfc : (!act, tensor<64x256xf32>, tensor<256xf32>) -> tensor<?x?x256xf32>
    %g = tfm.activation gelu_tanh %u : tensor<?x?x256xf32>
    %d = tfm.linear %g, %wpr, %bpr : (tensor<?x?x256xf32>, tensor<256x64xf32>, tensor<64xf32>) -> !act
    %y = tfm.residual skip(%x1) branches(%d) : (!act, !act) -> !act
    tfm.yield %y : !act
  }

  %h1 = tfm.block pre_ln (%h0) {layer = 1 : i64} : (!act) -> !act {
  ^bb0(%x: !act):
    %ln1_g = arith.constant dense<1.03> : tensor<64xf32>
    %ln1_b = arith.constant dense<0.003> : tensor<64xf32>
    %wq = arith.constant dense<0.021> : tensor<64x64xf32>
    %bq = arith.constant dense<0.0021> : tensor<64xf32>
    %wk = arith.constant dense<0.022> : tensor<64x64xf32>
    %bk = arith.constant dense<0.0022> : tensor<64xf32>
    %wv = arith.constant dense<0.023> : tensor<64x64xf32>
    %bv = arith.constant dense<0.0023> : tensor<64xf32>
    %wo = arith.constant dense<0.024> : tensor<64x64xf32>
    %bo = arith.constant dense<0.0024> : tensor<64xf32>
    %ln2_g = arith.constant dense<1.04> : tensor<64xf32>
    %ln2_b = arith.constant dense<0.004> : tensor<64xf32>
    %wfc = arith.constant dense<0.025> : tensor<64x256xf32>
    %bfc = arith.constant dense<0.0025> : tensor<256xf32>
    %wpr = arith.constant dense<0.026> : tensor<256x64xf32>
    %bpr = arith.constant dense<0.0026> : tensor<64xf32>
    %n1 = tfm.norm layer %x scale(%ln1_g) shift(%ln1_b) {epsilon = 1.0e-5 : f64}
        : (!act, tensor<64xf32>, tensor<64xf32>) -> !act
    %q = tfm.linear %n1, %wq, %bq : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %k = tfm.linear %n1, %wk, %bk : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %v = tfm.linear %n1, %wv, %bv : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %a = tfm.attention %q, %k, %v {num_heads = 4 : i64, causal} : (!act, !act, !act) -> !act
    %o = tfm.linear %a, %wo, %bo : (!act, tensor<64x64xf32>, tensor<64xf32>) -> !act
    %x1 = tfm.residual skip(%x) branches(%o) : (!act, !act) -> !act
    %n2 = tfm.norm layer %x1 scale(%ln2_g) shift(%ln2_b) {epsilon = 1.0e-5 : f64}
        : (!act, tensor<64xf32>, tensor<64xf32>) -> !act
    %u = tfm.linear %n2, %wfc, %bfc : (!act, tensor<64x256xf32>, tensor<256xf32>) -> tensor<?x?x256xf32>
    %g = tfm.activation gelu_tanh %u : tensor<?x?x256xf32>
    %d = tfm.linear %g, %wpr, %bpr : (tensor<?x?x256xf32>, tensor<256x64xf32>, tensor<64xf32>) -> !act
    %y = tfm.residual skip(%x1) branches(%d) : (!act, !act) -> !act
    tfm.yield %y : !act
  }

  %lnf_g = arith.constant dense<1.05> : tensor<64xf32>
  %lnf_b = arith.constant dense<0.005> : tensor<64xf32>
  %head = arith.constant dense<0.03> : tensor<64x128xf32>
  %nf = tfm.norm layer %h1 scale(%lnf_g) shift(%lnf_b) {epsilon = 1.0e-5 : f64}
      : (!act, tensor<64xf32>, tensor<64xf32>) -> !act
  %logits = tfm.linear %nf, %head : (!act, tensor<64x128xf32>) -> tensor<?x?x128xf32>
  return %logits : tensor<?x?x128xf32>
}
