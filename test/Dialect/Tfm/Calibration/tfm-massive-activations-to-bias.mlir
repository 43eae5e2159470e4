// RUN: tfm-opt %s --split-input-file --tfm-massive-activations-to-bias="first-token=1" \
// RUN:   -verify-diagnostics | FileCheck %s
// RUN: not tfm-opt %s --split-input-file --tfm-massive-activations-to-bias 2>&1 \
// RUN:   | FileCheck --check-prefix=NOTOKEN %s
// NOTOKEN: error: tfm-massive-activations-to-bias: mode=exact needs first-token=ID

// A causal model with learned position embeddings (sliced by the sequence
// length, as exporters write them): the rewritten @main takes tokens 1..T,
// the position embedding is computed for T+1 tokens and sliced [1:], and the
// attention gets the first token's key and value as bias slots.

// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[IDS:.*]]: tensor<?x?xi64> {tfm.first_token = 1 : i64, tfm.name = "input_ids"})
// CHECK-SAME:    -> tensor<?x?x10xf32>
// CHECK:         %[[FULL:.*]] = tfm.onnx_node "Pad"(%[[IDS]], %{{.*}}, %{{.*}})
// CHECK:         %[[SHAPE:.*]] = tfm.onnx_node "Shape"(%[[FULL]])
// CHECK:         %[[PE:.*]] = tfm.onnx_node "Slice"({{.*}}) -> tensor<?x8xf32>
// CHECK:         %[[PE1:.*]] = tfm.onnx_node "Slice"(%[[PE]]
// CHECK-SAME:      -> tensor<?x8xf32>
// CHECK:         %[[TOK:.*]] = tfm.embedding %[[IDS]]
// CHECK:         %[[X:.*]] = tfm.onnx_node "Add"(%[[TOK]], %[[PE1]])
// CHECK:         tfm.block pre_ln(%[[X]])
// The slots hold RMSNorm(table[1] + wpe[0]), token 1 at position 0 (heads
// of 4 lanes):
// CHECK:           %[[KB:.*]] = arith.constant dense<{{\[}}{{\[}}[1.8213{{[0-9]*}}, 0.9151{{[0-9]*}}, -1.3501{{[0-9]*}}, 0.4621{{[0-9]*}}]], {{\[}}[0.2355{{[0-9]*}}, -0.6705{{[0-9]*}}, 1.1417{{[0-9]*}}, 0.0090{{[0-9]*}}]]]> : tensor<2x1x4xf32>
// CHECK:           %[[VB:.*]] = arith.constant dense<{{\[}}{{\[}}[1.8213{{[0-9]*}}
// CHECK:           tfm.attention %{{.*}}, %{{.*}}, %{{.*}} kv_bias(%[[KB]], %[[VB]]) {causal, num_heads = 2 : i64}
// CHECK-SAME:        tensor<2x1x4xf32>, tensor<2x1x4xf32>) -> tensor<?x?x8xf32>
module attributes {tfm.onnx_opsets = {ai.onnx = 17 : i64}} {
  // expected-remark @below {{first token 1 precomputed into the bias slots of 1 attention ops; @main now takes tokens 1..T}}
  func.func @main(%ids: tensor<?x?xi64> {tfm.name = "input_ids"}) -> tensor<?x?x10xf32> {
    %table = arith.constant dense<[[0.5, -0.25, 0.125, 1.0, -1.0, 0.75, 0.25, -0.5],
      [2.0, 1.0, -1.5, 0.5, 0.25, -0.75, 1.25, 0.0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
      [-0.1, -0.2, -0.3, -0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0],
      [0.3, -0.3, 0.3, -0.3, 0.3, -0.3, 0.3, -0.3], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2],
      [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0], [0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5],
      [0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0, 1.0]]> : tensor<10x8xf32>
    %wpe = arith.constant dense<0.01> : tensor<16x8xf32>
    %w = arith.constant dense<0.125> : tensor<8x8xf32>
    %head = arith.constant dense<0.5> : tensor<8x10xf32>
    %zero = arith.constant dense<0> : tensor<1xi64>
    %one = arith.constant dense<1> : tensor<1xi64>
    %two = arith.constant dense<2> : tensor<1xi64>
    %shape = tfm.onnx_node "Shape"(%ids) <{version = 17 : i64}> : (tensor<?x?xi64>) -> tensor<2xi64>
    %len = tfm.onnx_node "Slice"(%shape, %one, %two) <{version = 17 : i64}> : (tensor<2xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<1xi64>
    %pe = tfm.onnx_node "Slice"(%wpe, %zero, %len) <{version = 17 : i64}> : (tensor<16x8xf32>, tensor<1xi64>, tensor<1xi64>) -> tensor<?x8xf32>
    %tok = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %x = tfm.onnx_node "Add"(%tok, %pe) <{version = 17 : i64}> : (tensor<?x?x8xf32>, tensor<?x8xf32>) -> tensor<?x?x8xf32>
    %y = tfm.block pre_ln(%x) {layer = 0 : i64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
    ^bb0(%h: tensor<?x?x8xf32>):
      %n = tfm.norm rms %h {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
      %q = tfm.linear %n, %w : (tensor<?x?x8xf32>, tensor<8x8xf32>) -> tensor<?x?x8xf32>
      %a = tfm.attention %q, %n, %n {causal, num_heads = 2 : i64}
          : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
      %r = tfm.residual skip(%h) branches(%a) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
      tfm.yield %r : tensor<?x?x8xf32>
    }
    %logits = tfm.linear %y, %head : (tensor<?x?x8xf32>, tensor<8x10xf32>) -> tensor<?x?x10xf32>
    return %logits : tensor<?x?x10xf32>
  }
}

// -----

// A bidirectional encoder: the first token's keys depend on later tokens.
module {
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    // expected-warning @below {{the attention is not causal}}
    %a = tfm.attention %x, %x, %x {num_heads = 2 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    return %a : tensor<?x?x8xf32>
  }
}

// -----

// A padding mask argument: left padding would move the first token.
module {
  // expected-warning @below {{argument 1 'attention_mask' is neither token ids nor position ids}}
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64>, %pad: tensor<?x?xi64> {tfm.name = "attention_mask"}) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %a = tfm.attention %x, %x, %x {causal, num_heads = 2 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    return %a : tensor<?x?x8xf32>
  }
}

// -----

// Shaped attention's uniform term C mixes the first token into every row.
module {
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    // expected-warning @below {{shaped attention mixes the first token into every row}}
    %a = tfm.attention %x, %x, %x {causal, num_heads = 2 : i64,
        alpha = array<f64: 1.0, 1.0>, beta = array<f64: 1.0, 1.0>, gamma = array<f64: 1.0, 1.0>}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    return %a : tensor<?x?x8xf32>
  }
}

// -----

// A mask that lets queries see later keys (prefix-LM): caught by running it.
module {
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %mask = arith.constant dense<true> : tensor<1x1x6x6xi1>
    // expected-warning @below {{the attention mask lets query 0 see the later key 1}}
    %a = tfm.attention %x, %x, %x mask(%mask) {num_heads = 2 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<1x1x6x6xi1>) -> tensor<?x?x8xf32>
    return %a : tensor<?x?x8xf32>
  }
}

// -----

// Ops that mix tokens outside the attention: scores of an unraised
// attention (a MatMul of two token-path values) ...
module {
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x?x?xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %a = tfm.attention %x, %x, %x {causal, num_heads = 2 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    %t = tfm.onnx_node "Transpose"(%a) <{version = 17 : i64, onnx_attrs = {perm = array<i64: 0, 2, 1>}}> : (tensor<?x?x8xf32>) -> tensor<?x8x?xf32>
    // expected-warning @below {{cannot drop the first token through this op: 'MatMul' is not known to act on each token separately}}
    %s = tfm.onnx_node "MatMul"(%a, %t) <{version = 17 : i64}> : (tensor<?x?x8xf32>, tensor<?x8x?xf32>) -> tensor<?x?x?xf32>
    return %s : tensor<?x?x?xf32>
  }
}

// -----

// ... and a mean over the tokens.
module {
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64>) -> tensor<?x1x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %axes = arith.constant dense<1> : tensor<1xi64>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %a = tfm.attention %x, %x, %x {causal, num_heads = 2 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    // expected-warning @below {{cannot drop the first token through this op: 'ReduceMean' over the token axis}}
    %m = tfm.onnx_node "ReduceMean"(%a, %axes) <{version = 18 : i64}> : (tensor<?x?x8xf32>, tensor<1xi64>) -> tensor<?x1x8xf32>
    return %m : tensor<?x1x8xf32>
  }
}

// -----

// Twice: the token after the precomputed one is not fixed.
module {
  // expected-warning @below {{@main already had its first token (1) precomputed}}
  // expected-remark @below {{@main left unchanged}}
  func.func @main(%ids: tensor<?x?xi64> {tfm.first_token = 1 : i64}) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %a = tfm.attention %x, %x, %x {causal, num_heads = 2 : i64}
        : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
    return %a : tensor<?x?x8xf32>
  }
}
