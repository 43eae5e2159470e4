// The finder on a one-block model: the profile remark, the report, and
// calibration or option errors, each naming the problem, never a crash.
// RUN: rm -rf %t && mkdir -p %t
// RUN: tfm-opt %s -o /dev/null --tfm-find-massive-activations="first-token=1 sequences=2 length=5 report=%t/r.json plot=%t/p.svg" 2>&1 | FileCheck %s
// RUN: FileCheck --check-prefix=JSON %s < %t/r.json
// RUN: FileCheck --check-prefix=SVG %s < %t/p.svg
// Calibration shows its progress when asked (on a terminal it does unasked).
// RUN: env TFM_PROGRESS=always tfm-opt %s -o /dev/null --tfm-find-massive-activations="first-token=1 sequences=2 length=5" 2>&1 | FileCheck --check-prefix=PROGRESS %s
// PROGRESS: tfm-find-massive-activations: [1/2] calibration sequence
// PROGRESS-NEXT: tfm-find-massive-activations: [2/2] calibration sequence
// CHECK: remark: layer 0 profile: top |a|
// CHECK: remark: no massive activations (|a| > 100.00 and >= 1000.00x the median): the strongest is {{.*}} below the threshold
// JSON: "layers": [
// JSON: "layer": 0,
// JSON: "massive": [],
// JSON: "sequences": 2,
// JSON: "massive": false
// SVG: <svg
// SVG-COUNT-4: <polyline

// Both halves of the criterion count: a large ratio alone or a large
// magnitude alone flags nothing; both lowered flag the first token's largest
// lanes (token 1 starts every sequence: 2 of 2).
// RUN: tfm-opt %s -o /dev/null --tfm-find-massive-activations="first-token=1 sequences=2 length=5 magnitude=1 ratio=1000" 2>&1 | FileCheck --check-prefix=NONE %s
// RUN: tfm-opt %s -o /dev/null --tfm-find-massive-activations="first-token=1 sequences=2 length=5 magnitude=1000 ratio=1" 2>&1 | FileCheck --check-prefix=NONE %s
// NONE-NOT: remark: massive activation
// NONE: remark: no massive activations
// RUN: tfm-opt %s -o /dev/null --tfm-find-massive-activations="first-token=1 sequences=2 length=5 magnitude=0.5 ratio=2" 2>&1 | FileCheck --check-prefix=LOW %s
// LOW: remark: massive activation: layer 0, token 0, dim 0: mean 3.8, std 0.00 over 2 of 2 sequences (token ids 1)

// RUN: tfm-run %s --entry=float_ids --output=%t/float.npy
// RUN: tfm-run %s --entry=big_ids --output=%t/big.npy
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="calibration=%t/float.npy" 2>&1 | FileCheck --check-prefix=FLOAT %s
// FLOAT: error: tfm-find-massive-activations: calibration file {{.*}}float.npy must hold int64 token ids [N, T], not float32 [2, 3]
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="calibration=%t/big.npy" 2>&1 | FileCheck --check-prefix=VOCAB %s
// VOCAB: error: tfm-find-massive-activations: calibration file {{.*}}big.npy: token id 10 is outside the vocabulary [0, 10)
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="calibration=%t/none.npy" 2>&1 | FileCheck --check-prefix=MISSING %s
// MISSING: error: tfm-find-massive-activations: {{.*}}none.npy: cannot open
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="first-token=10" 2>&1 | FileCheck --check-prefix=FIRST %s
// FIRST: error: tfm-find-massive-activations: first-token 10 is outside the vocabulary [0, 10)
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="plot=%t/p.png" 2>&1 | FileCheck --check-prefix=PNG %s
// PNG: error: tfm-find-massive-activations: plot={{.*}}p.png: only .svg is drawn
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="sequences=1 length=3 report=%t/no/such/dir/r.json" 2>&1 | FileCheck --check-prefix=WRITE %s
// WRITE: error: tfm-find-massive-activations: cannot write {{.*}}r.json
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="entry=nope" 2>&1 | FileCheck --check-prefix=ENTRY %s
// ENTRY: error: tfm-find-massive-activations: no function @nope
// RUN: not tfm-opt %s -o /dev/null --tfm-find-massive-activations="entry=unblocked" 2>&1 | FileCheck --check-prefix=BLOCKS %s
// BLOCKS: error: tfm-find-massive-activations: @unblocked has no tfm.block: run --tfm-raise (or tfm-form-blocks) first

module {
  func.func @main(%ids: tensor<?x?xi64> {tfm.name = "input_ids"}) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<[[0.5, -0.25, 0.125, 1.0, -1.0, 0.75, 0.25, -0.5],
      [2.0, 1.0, -1.5, 0.5, 0.25, -0.75, 1.25, 0.0], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
      [-0.1, -0.2, -0.3, -0.4, 0.5, 0.6, 0.7, 0.8], [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0],
      [0.3, -0.3, 0.3, -0.3, 0.3, -0.3, 0.3, -0.3], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2],
      [-1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0], [0.0, 0.5, 0.0, 0.5, 0.0, 0.5, 0.0, 0.5],
      [0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0, 1.0]]> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    %y = tfm.block pre_ln(%x) {layer = 0 : i64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32> {
    ^bb0(%h: tensor<?x?x8xf32>):
      %n = tfm.norm rms %h {epsilon = 1.0e-5 : f64} : (tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
      %a = tfm.attention %n, %n, %n {causal, num_heads = 2 : i64}
          : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
      %r = tfm.residual skip(%h) branches(%a) : (tensor<?x?x8xf32>, tensor<?x?x8xf32>) -> tensor<?x?x8xf32>
      tfm.yield %r : tensor<?x?x8xf32>
    }
    return %y : tensor<?x?x8xf32>
  }

  func.func @unblocked(%ids: tensor<?x?xi64>) -> tensor<?x?x8xf32> {
    %table = arith.constant dense<0.5> : tensor<10x8xf32>
    %x = tfm.embedding %ids, %table : (tensor<?x?xi64>, tensor<10x8xf32>) -> tensor<?x?x8xf32>
    return %x : tensor<?x?x8xf32>
  }

  // Bad calibration files, written by tfm-run.
  func.func @float_ids() -> tensor<2x3xf32> {
    %c = arith.constant dense<0.0> : tensor<2x3xf32>
    return %c : tensor<2x3xf32>
  }
  func.func @big_ids() -> tensor<1x3xi64> {
    %c = arith.constant dense<10> : tensor<1x3xi64>
    return %c : tensor<1x3xi64>
  }
}
