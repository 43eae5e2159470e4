// RUN: tfm-opt %s --tfm-fuse-attention="key-block=1" --canonicalize --cse --split-input-file | FileCheck %s
// RUN: tfm-opt %s --tfm-fuse-attention="max-head-dim=4" --split-input-file | FileCheck %s --check-prefix=NARROW
// RUN: tfm-opt %s --tfm-fuse-attention="key-block=2" --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=BLOCK
// RUN: not tfm-opt %s --tfm-fuse-attention="key-block=0" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADBLOCK
// BADBLOCK: error: tfm-fuse-attention: key-block must be at least 1, got 0

// GQA (4 query heads over 2 kv heads), bf16, dynamic batch/sequences and
// slot count, with an i1 bias_mask for the slots and an additive mask for
// the keys. One forall over (batch, kv head, head in group, query row); the
// query row is read once (head = g·2 + r, column head·8) and widened to
// f32; the slots stream first (key_bias/value_bias of kv head g), then the
// keys; each step is the online-softmax update; the row is divided by the
// sum (1 for a row that saw nothing), rounded to bf16 and written to
// columns head·4.. of its output row. Logits are in base-2 units (the
// scale 1/sqrt(8) and the additive mask times log2 e), so the softmax's
// exponentials are exp2.
// CHECK-LABEL: func.func @slots_gqa_bf16
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 0.510069728 : f32
// CHECK-DAG: %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK-DAG: %[[B:.*]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[SQ:.*]] = tensor.dim %arg0, %c1
// CHECK-DAG: %[[SKV:.*]] = tensor.dim %arg1, %c1
// CHECK: %[[INIT:.*]] = tensor.empty(%[[B]], %[[SQ]]) : tensor<?x?x16xbf16>
// CHECK: scf.forall (%[[BI:.*]], %[[G:.*]], %[[R:.*]], %[[I:.*]]) in (%[[B]], 2, 2, %[[SQ]]) shared_outs(%[[OUT:.*]] = %[[INIT]])
// CHECK: %[[GR:.*]] = arith.muli %[[G]], %c2
// CHECK: %[[HEAD:.*]] = arith.addi %[[GR]], %[[R]]
// CHECK: %[[QCOL:.*]] = arith.muli %[[HEAD]], %c8
// CHECK: %[[KCOL:.*]] = arith.muli %[[G]], %c8
// CHECK: %[[VCOL:.*]] = arith.muli %[[G]], %c4
// CHECK: %[[QRAW:.*]] = vector.transfer_read %arg0[%[[BI]], %[[I]], %[[QCOL]]], {{.*}} {in_bounds = [true]} : tensor<?x?x32xbf16>, vector<8xbf16>
// CHECK: %[[Q:.*]] = arith.extf %[[QRAW]] : vector<8xbf16> to vector<8xf32>
// CHECK: %[[P:.*]] = tensor.dim %arg3, %c1
// CHECK: %[[SLOTS:.*]]:3 = scf.for %[[S:.*]] = %c0 to %[[P]] step %c1 iter_args(%{{.*}} = %[[NEGINF]], %{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, f32, vector<4xf32>)
// CHECK:   %[[VIS:.*]] = tensor.extract %arg5[%[[BI]], %[[HEAD]], %[[I]], %[[S]]] : tensor<?x4x?x?xi1>
// CHECK:   vector.transfer_read %arg3[%[[G]], %[[S]], %c0]
// CHECK:   %[[DOT:.*]] = vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<8xf32> into f32
// CHECK:   %[[LOGIT:.*]] = arith.mulf %[[DOT]], %[[SCALE]]
// CHECK:   arith.select %[[VIS]], %[[LOGIT]], %[[NEGINF]]
// CHECK:   vector.transfer_read %arg4[%[[G]], %[[S]], %c0]
// CHECK:   arith.maximumf
// CHECK:   math.exp2
// CHECK:   math.exp2
// CHECK:   vector.fma
// CHECK: %[[KEYS:.*]]:3 = scf.for %[[J:.*]] = %c0 to %[[SKV]] step %c1 iter_args(%{{.*}} = %[[SLOTS]]#0, %{{.*}} = %[[SLOTS]]#1, %{{.*}} = %[[SLOTS]]#2)
// CHECK:   %[[ADD:.*]] = tensor.extract %arg6[%[[I]], %[[J]]] : tensor<?x?xbf16>
// CHECK:   vector.transfer_read %arg1[%[[BI]], %[[J]], %[[KCOL]]]
// CHECK:   %[[ADDF:.*]] = arith.extf %[[ADD]] : bf16 to f32
// CHECK:   math.fma %[[ADDF]], %[[LOG2E]], %{{.*}} : f32
// CHECK:   vector.transfer_read %arg2[%[[BI]], %[[J]], %[[VCOL]]]
// CHECK:   vector.fma
// CHECK: %[[EMPTY:.*]] = arith.cmpf oeq, %[[KEYS]]#1, %cst
// CHECK: %[[DEN:.*]] = arith.select %[[EMPTY]], %{{.*}}, %[[KEYS]]#1
// CHECK: %[[DENV:.*]] = vector.broadcast %[[DEN]]
// CHECK: %[[ROW:.*]] = arith.divf %[[KEYS]]#2, %[[DENV]] : vector<4xf32>
// CHECK: %[[ROW16:.*]] = arith.truncf %[[ROW]] : vector<4xf32> to vector<4xbf16>
// CHECK: %[[OCOL:.*]] = arith.muli %[[HEAD]], %c4
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][%[[BI]], %[[I]], %[[OCOL]]] [1, 1, 4] [1, 1, 1]
// CHECK: %[[W:.*]] = vector.transfer_write %[[ROW16]], %[[SLICE]]
// CHECK: tensor.parallel_insert_slice %[[W]] into %[[OUT]][%[[BI]], %[[I]], %[[OCOL]]] [1, 1, 4] [1, 1, 1]
// CHECK-NOT: linalg
// CHECK-NOT: tfm.attention
// NARROW-LABEL: func.func @slots_gqa_bf16
// NARROW-NOT: scf.forall
// NARROW: tfm.attention
func.func @slots_gqa_bf16(%q: tensor<?x?x32xbf16>, %k: tensor<?x?x16xbf16>, %v: tensor<?x?x8xbf16>,
                          %kb: tensor<2x?x8xbf16>, %vb: tensor<2x?x4xbf16>, %bm: tensor<?x4x?x?xi1>,
                          %m: tensor<?x?xbf16>) -> tensor<?x?x16xbf16> {
  %o = tfm.attention %q, %k, %v mask(%m) kv_bias(%kb, %vb) bias_mask(%bm) {num_heads = 4 : i64, num_kv_heads = 2 : i64}
      : (tensor<?x?x32xbf16>, tensor<?x?x16xbf16>, tensor<?x?x8xbf16>, tensor<?x?xbf16>,
         tensor<2x?x8xbf16>, tensor<2x?x4xbf16>, tensor<?x4x?x?xi1>) -> tensor<?x?x16xbf16>
  return %o : tensor<?x?x16xbf16>
}

// -----

// Causal shaped attention, f32, D = 4: row i streams keys 0..i only
// (min(max(i + Skv − Sq + 1, 0), Skv)) and also sums their value rows; the
// output is β·softmax·V + α·V[i] − γ·(sum / (i + 1)) with the per-head
// coefficients read from constant tables.
// CHECK-LABEL: func.func @shaped_causal
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[BETA:.*]] = arith.constant dense<[2.000000e+00, 2.500000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[GAMMA:.*]] = arith.constant dense<[1.000000e+00, -3.000000e+00]> : tensor<2xf32>
// The size-1 group dimension (no GQA) folds away.
// CHECK: scf.forall (%[[BI:.*]], %[[G:.*]], %[[I:.*]]) in (2, 2, 6)
// CHECK: %[[LIMIT:.*]] = arith.addi %[[I]], %c1
// CHECK: %[[LO:.*]] = arith.maxsi %[[LIMIT]], %c0
// CHECK: %[[HI:.*]] = arith.minsi %[[LO]], %c6
// CHECK: %[[KEYS:.*]]:4 = scf.for %{{.*}} = %c0 to %[[HI]] step %c1 iter_args({{.*}}) -> (f32, f32, vector<4xf32>, vector<4xf32>)
// CHECK:   %[[VROW:.*]] = vector.transfer_read %arg2
// CHECK:   %[[ACC:.*]] = vector.fma
// CHECK:   %[[VSUM:.*]] = arith.addf %{{.*}}, %[[VROW]] : vector<4xf32>
// CHECK:   scf.yield %{{.*}}, %{{.*}}, %[[ACC]], %[[VSUM]]
// CHECK: %[[SOFT:.*]] = arith.divf %[[KEYS]]#2
// CHECK: %[[COUNT:.*]] = arith.index_cast %[[LIMIT]]
// CHECK: %[[COUNTF:.*]] = arith.sitofp %[[COUNT]]
// CHECK: %[[COUNTV:.*]] = vector.broadcast %[[COUNTF]]
// CHECK: %[[MEAN:.*]] = arith.divf %[[KEYS]]#3, %[[COUNTV]]
// CHECK: %[[SELF:.*]] = vector.transfer_read %arg2[%[[BI]], %[[I]], %{{.*}}]
// CHECK: %[[A:.*]] = tensor.extract %[[ALPHA]][%[[G]]]
// CHECK: %[[AV:.*]] = vector.broadcast %[[A]]
// CHECK: %[[B:.*]] = tensor.extract %[[BETA]][%[[G]]]
// CHECK: %[[BV:.*]] = vector.broadcast %[[B]]
// CHECK: %[[GA:.*]] = tensor.extract %[[GAMMA]][%[[G]]]
// CHECK: %[[GV:.*]] = vector.broadcast %[[GA]]
// CHECK: %[[T:.*]] = arith.mulf %[[BV]], %[[SOFT]]
// CHECK: %[[T2:.*]] = vector.fma %[[AV]], %[[SELF]], %[[T]]
// CHECK: %[[GM:.*]] = arith.mulf %[[GV]], %[[MEAN]]
// CHECK: arith.subf %[[T2]], %[[GM]]
// NARROW-LABEL: func.func @shaped_causal
// NARROW: scf.forall
func.func @shaped_causal(%q: tensor<2x6x8xf32>, %k: tensor<2x6x8xf32>, %v: tensor<2x6x8xf32>) -> tensor<2x6x8xf32> {
  %o = tfm.attention %q, %k, %v {num_heads = 2 : i64, num_kv_heads = 2 : i64, causal,
                                 alpha = array<f64: 1.0, 0.5>, beta = array<f64: 2.0, 0.25>,
                                 gamma = array<f64: 1.0, -3.0>}
      : (tensor<2x6x8xf32>, tensor<2x6x8xf32>, tensor<2x6x8xf32>) -> tensor<2x6x8xf32>
  return %o : tensor<2x6x8xf32>
}

// -----

// key-block=2: the keys go two at a time (both logits, then both value rows,
// then one update: the new max over both, one rescaling of the state, then
// each key's weight), then the one left over.
// BLOCK-LABEL: func.func @key_blocks
// BLOCK: %[[SKV:.*]] = tensor.dim %arg1, %c1
// BLOCK: %[[REM:.*]] = arith.remsi %[[SKV]], %c2
// BLOCK: %[[FULL:.*]] = arith.subi %[[SKV]], %[[REM]]
// BLOCK: %[[BLOCKS:.*]]:3 = scf.for %[[J:.*]] = %c0 to %[[FULL]] step %c2 iter_args(%[[MAX:.*]] = %{{.*}}, %[[SUM:.*]] = %{{.*}}, %[[ACC:.*]] = %{{.*}})
// BLOCK:   vector.transfer_read %arg1[%{{.*}}, %[[J]], %{{.*}}]
// BLOCK:   %[[L0:.*]] = arith.mulf %{{.*}}, %[[SCALE:.*]] : f32
// BLOCK:   %[[J1:.*]] = arith.addi %[[J]], %c1
// BLOCK:   vector.transfer_read %arg1[%{{.*}}, %[[J1]], %{{.*}}]
// BLOCK:   %[[L1:.*]] = arith.mulf %{{.*}}, %[[SCALE]] : f32
// BLOCK:   %[[V0:.*]] = vector.transfer_read %arg2[%{{.*}}, %[[J]], %{{.*}}]
// BLOCK:   %[[V1:.*]] = vector.transfer_read %arg2[%{{.*}}, %[[J1]], %{{.*}}]
// BLOCK:   %[[M0:.*]] = arith.maximumf %[[MAX]], %[[L0]]
// BLOCK:   %[[M1:.*]] = arith.maximumf %[[M0]], %[[L1]]
// BLOCK:   math.exp2
// BLOCK:   arith.mulf %[[ACC]]
// BLOCK:   %[[A0:.*]] = vector.fma %{{.*}}, %[[V0]], %{{.*}}
// BLOCK:   %[[A1:.*]] = vector.fma %{{.*}}, %[[V1]], %[[A0]]
// BLOCK:   scf.yield %[[M1]], %{{.*}}, %[[A1]]
// BLOCK: scf.for %{{.*}} = %[[FULL]] to %[[SKV]] step %c1 iter_args(%{{.*}} = %[[BLOCKS]]#0, %{{.*}} = %[[BLOCKS]]#1, %{{.*}} = %[[BLOCKS]]#2)
// BLOCK-COUNT-1: vector.fma
// BLOCK: scf.forall.in_parallel
func.func @key_blocks(%q: tensor<2x?x8xf32>, %k: tensor<2x?x8xf32>, %v: tensor<2x?x8xf32>) -> tensor<2x?x8xf32> {
  %a = tfm.attention %q, %k, %v {num_heads = 2 : i64} : (tensor<2x?x8xf32>, tensor<2x?x8xf32>, tensor<2x?x8xf32>) -> tensor<2x?x8xf32>
  return %a : tensor<2x?x8xf32>
}
