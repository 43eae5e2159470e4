// RUN: tfm-opt %s --tfm-fuse-attention="tensor-cores=1" --canonicalize --cse --split-input-file | FileCheck %s
// RUN: tfm-opt %s --tfm-fuse-attention --split-input-file | FileCheck %s --check-prefix=SIMT

// GQA (4 query heads over 2 kv heads, d = 32, dv = 16), causal, bf16,
// dynamic batch and sequences: one forall over (batch, kv head, head in
// group, 16-row tile, lane); lane = 4·quad + t. The lane's rows are
// tile·16 + quad and + 8, clamped to the last row for loads and the causal
// limit. The head width is summed in a permuted order so that lane t reads
// the d/4 = 8 contiguous columns head·32 + 8t of each row (one read of Q a
// row, one of K a key): k-step s takes elements 4s, 4s + 1 (contraction
// 2t, 2t + 1) and 4s + 2, 4s + 3 (2t + 8, 2t + 9). The key loop runs to
// the warp's last visible key in steps of 64 keys.
// CHECK-LABEL: func.func @gqa_causal_bf16
// CHECK-DAG: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
// The logits are in base-2 units: the scale 1/sqrt(32) times log2 e, and
// the softmax's exponentials exp2.
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 0.255034864 : f32
// CHECK-DAG: %[[B:.*]] = tensor.dim %arg0, %c0
// CHECK-DAG: %[[SQ:.*]] = tensor.dim %arg0, %c1
// CHECK-DAG: %[[SKV:.*]] = tensor.dim %arg1, %c1
// The output is [B·Sq + B·16, H·Dv]: the result's rows, then 16 rows a
// batch for its last tile's rows past the sequence end.
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[SQ]], %c16
// CHECK: %[[RESROWS:.*]] = arith.muli %[[B]], %[[SQ]]
// CHECK: %[[PADS:.*]] = arith.muli %[[B]], %c16
// CHECK: %[[ROWS:.*]] = arith.addi %[[RESROWS]], %[[PADS]]
// CHECK: %[[INIT:.*]] = tensor.empty(%[[ROWS]]) : tensor<?x64xbf16>
// CHECK: scf.forall (%[[BI:.*]], %[[G:.*]], %[[R:.*]], %[[TILE:.*]], %[[LANE:.*]]) in (%[[B]], 2, 2, %[[TILES]], 32) shared_outs(%[[OUT:.*]] = %[[INIT]])
// CHECK: %[[GR:.*]] = arith.muli %[[G]], %c2
// CHECK: %[[HEAD:.*]] = arith.addi %[[GR]], %[[R]]
// CHECK: %[[QUAD:.*]] = arith.divui %[[LANE]], %c4
// CHECK: %[[T:.*]] = arith.remui %[[LANE]], %c4
// CHECK: %[[PAIR:.*]] = arith.muli %[[T]], %c2
// CHECK: %[[LASTROW:.*]] = arith.subi %[[SQ]], %c1
// CHECK: %[[ROW0:.*]] = arith.muli %[[TILE]], %c16
// CHECK: %[[ROWA:.*]] = arith.addi %[[ROW0]], %[[QUAD]]
// CHECK: %[[A:.*]] = arith.minsi %[[ROWA]], %[[LASTROW]]
// CHECK: %[[ROWB:.*]] = arith.addi %[[ROWA]], %c8
// CHECK: %[[BROW:.*]] = arith.minsi %[[ROWB]], %[[LASTROW]]
// Where the two rows are stored: b·Sq + row, or past the end
// B·Sq + b·16 + row - Sq.
// CHECK: %[[PASTA:.*]] = arith.cmpi uge, %[[ROWA]], %[[SQ]]
// CHECK: %[[BSQ:.*]] = arith.muli %[[BI]], %[[SQ]]
// CHECK: %[[REALA:.*]] = arith.addi %[[BSQ]], %[[ROWA]]
// CHECK: %[[B16:.*]] = arith.muli %[[BI]], %c16
// CHECK: %[[PADBASE:.*]] = arith.addi %[[RESROWS]], %[[B16]]
// CHECK: %[[PADA0:.*]] = arith.addi %[[PADBASE]], %[[ROWA]]
// CHECK: %[[PADA:.*]] = arith.subi %[[PADA0]], %[[SQ]]
// CHECK: %[[STOREA:.*]] = arith.select %[[PASTA]], %[[PADA]], %[[REALA]]
// CHECK: %[[PASTB:.*]] = arith.cmpi uge, %[[ROWB]], %[[SQ]]
// CHECK: %[[STOREB:.*]] = arith.select %[[PASTB]], %{{.*}}, %{{.*}}
// CHECK: %[[QCOL:.*]] = arith.muli %[[HEAD]], %c32
// CHECK: %[[VCOL:.*]] = arith.muli %[[G]], %c16
// CHECK: %[[SPAN:.*]] = arith.muli %[[T]], %c8
// CHECK: %[[QLANE:.*]] = arith.addi %[[QCOL]], %[[SPAN]]
// CHECK: %[[QA:.*]] = vector.transfer_read %arg0[%[[BI]], %[[A]], %[[QLANE]]], {{.*}} : tensor<?x?x128xbf16>, vector<8xbf16>
// CHECK-COUNT-8: vector.extract %[[QA]][{{[0-7]}}]
// CHECK: %[[QB:.*]] = vector.transfer_read %arg0[%[[BI]], %[[BROW]], %[[QLANE]]], {{.*}} : tensor<?x?x128xbf16>, vector<8xbf16>
// CHECK: %[[LAST:.*]] = arith.addi %[[ROW0]], %c15
// CHECK: %[[LASTV:.*]] = arith.minsi %[[LAST]], %[[LASTROW]]
// CHECK: %[[L0:.*]] = arith.addi %[[LASTV]], %[[SKV]]
// CHECK: %[[L1:.*]] = arith.subi %[[L0]], %[[SQ]]
// CHECK: %[[L2:.*]] = arith.addi %[[L1]], %c1
// CHECK: %[[L3:.*]] = arith.maxsi %[[L2]], %c0
// CHECK: %[[KEYS:.*]] = arith.minsi %[[L3]], %[[SKV]]
// CHECK: %[[KCOL:.*]] = arith.muli %[[G]], %c32
// CHECK: %[[LASTKEY:.*]] = arith.subi %[[SKV]], %c1
// The leading steps every row of the tile sees whole: keys up to
// min(Skv, row0 + Skv - Sq + 1), rounded down to whole 64-key steps. They
// read key k0 + quad as it is and test nothing: the scaled logit is the
// logit.
// CHECK: %[[F0:.*]] = arith.addi %[[ROW0]], %[[SKV]]
// CHECK: %[[F1:.*]] = arith.subi %[[F0]], %[[SQ]]
// CHECK: %[[F2:.*]] = arith.addi %[[F1]], %c1
// CHECK: %[[F3:.*]] = arith.maxsi %[[F2]], %c0
// CHECK: %[[F4:.*]] = arith.minsi %[[F3]], %[[SKV]]
// CHECK: %[[F5:.*]] = arith.divui %[[F4]], %c64
// CHECK: %[[WHOLE:.*]] = arith.muli %[[F5]], %c64
// CHECK: %[[FIRST:.*]]:12 = scf.for %[[W0:.*]] = %c0 to %[[WHOLE]] step %c64 iter_args(%{{.*}} = %[[NEGINF]], %{{.*}} = %[[NEGINF]], %{{.*}} = %cst{{.*}}, %{{.*}} = %cst{{.*}}, {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: %[[WKEY:.*]] = arith.addi %[[W0]], %[[QUAD]]
// CHECK: vector.transfer_read %arg1[%[[BI]], %[[WKEY]], %{{.*}}]
// CHECK-NOT: arith.cmpi
// CHECK-NOT: arith.select %{{.*}}, %{{.*}}, %[[NEGINF]]
// CHECK: scf.yield
// The rest (the diagonal, the last partial step) carries on from their
// state with every test.
// CHECK: %[[LOOP:.*]]:12 = scf.for %[[K0:.*]] = %[[WHOLE]] to %[[KEYS]] step %c64 iter_args(%{{.*}} = %[[FIRST]]#0, %{{.*}} = %[[FIRST]]#1, %{{.*}} = %[[FIRST]]#2, %{{.*}} = %[[FIRST]]#3, {{.*}}) -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// S = Q·Kᵀ: B fragments come from one read of key k0 + quad (clamped) at
// the lane's span, kv head·32 + 8t; A fragments of k-step 0 are elements
// 0, 1 of rows A and B, then 2, 3 of both.
// CHECK: %[[KEY:.*]] = arith.addi %[[K0]], %[[QUAD]]
// CHECK: %[[KEYC:.*]] = arith.minsi %[[KEY]], %[[LASTKEY]]
// CHECK: %[[KLANE:.*]] = arith.addi %[[KCOL]], %[[SPAN]]
// CHECK: %[[KROW:.*]] = vector.transfer_read %arg1[%[[BI]], %[[KEYC]], %[[KLANE]]], {{.*}} : tensor<?x?x64xbf16>, vector<8xbf16>
// CHECK-DAG: %[[K0E:.*]] = vector.extract %[[KROW]][0]
// CHECK-DAG: %[[K1E:.*]] = vector.extract %[[KROW]][1]
// CHECK-DAG: %[[K2E:.*]] = vector.extract %[[KROW]][2]
// CHECK-DAG: %[[K3E:.*]] = vector.extract %[[KROW]][3]
// CHECK: %[[BFRAG:.*]] = vector.from_elements %[[K0E]], %[[K1E]], %[[K2E]], %[[K3E]] : vector<2x2xbf16>
// CHECK: %[[AFRAG:.*]] = vector.from_elements %[[QA0:.*]], %[[QA1:.*]], %[[QB0:.*]], %[[QB1:.*]], %[[QA2:.*]], %[[QA3:.*]], %[[QB2:.*]], %[[QB3:.*]] : vector<4x2xbf16>
// CHECK: nvgpu.mma.sync(%[[AFRAG]], %[[BFRAG]], %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: %[[S:.*]] = nvgpu.mma.sync
// Element c0: row A, key k0 + 2t; visible iff a real key and causally
// visible (key <= row + Skv - Sq), scaled, else -inf.
// CHECK: %[[C0:.*]] = vector.extract %[[S]][0, 0]
// CHECK: %[[X:.*]] = arith.mulf %[[C0]], %[[SCALE]]
// CHECK: %[[J:.*]] = arith.addi %[[K0]], %[[PAIR]]
// CHECK: %[[REAL:.*]] = arith.cmpi slt, %[[J]], %[[SKV]]
// CHECK: %[[LIM0:.*]] = arith.addi %[[A]], %[[SKV]]
// CHECK: %[[LIM:.*]] = arith.subi %[[LIM0]], %[[SQ]]
// CHECK: %[[CAUSAL:.*]] = arith.cmpi sle, %[[J]], %[[LIM]]
// CHECK: %[[VIS:.*]] = arith.andi %[[REAL]], %[[CAUSAL]]
// CHECK: arith.select %[[VIS]], %[[X]], %[[NEGINF]]
// Eight key tiles of d / 16 = 2 mma each, then the row max over the quad.
// CHECK-COUNT-14: nvgpu.mma.sync
// CHECK: %[[M1:.*]] = gpu.shuffle xor %{{.*}}, %c1_i32, %c32_i32 : f32
// CHECK: arith.maximumf
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c32_i32 : f32
// CHECK-NOT: math.exp {{.*}}
// CHECK: math.exp2
// P·V: four 16-key chunks by two 8-column tiles. Output column n of tile
// τ is value column 2n + τ, so a lane reads its key rows (k0 + 16c + 2t,
// + 1, + 8, + 9) once each at the two columns kv head·16 + 2·quad, and
// tile τ's B fragment takes element τ of the four.
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[QSPAN:.*]] = arith.muli %[[QUAD]], %c2
// CHECK: %[[VLANE:.*]] = arith.addi %[[VCOL]], %[[QSPAN]]
// CHECK: %[[V0:.*]] = vector.transfer_read %arg2[%[[BI]], %{{.*}}, %[[VLANE]]], {{.*}} : tensor<?x?x32xbf16>, vector<2xbf16>
// CHECK: %[[V1:.*]] = vector.transfer_read %arg2[%[[BI]], %{{.*}}, %[[VLANE]]]
// CHECK: %[[V2:.*]] = vector.transfer_read %arg2[%[[BI]], %{{.*}}, %[[VLANE]]]
// CHECK: %[[V3:.*]] = vector.transfer_read %arg2[%[[BI]], %{{.*}}, %[[VLANE]]]
// CHECK-DAG: %[[V0T0:.*]] = vector.extract %[[V0]][0]
// CHECK-DAG: %[[V1T0:.*]] = vector.extract %[[V1]][0]
// CHECK-DAG: %[[V2T0:.*]] = vector.extract %[[V2]][0]
// CHECK-DAG: %[[V3T0:.*]] = vector.extract %[[V3]][0]
// CHECK: %[[VB0:.*]] = vector.from_elements %[[V0T0]], %[[V1T0]], %[[V2T0]], %[[V3T0]] : vector<2x2xbf16>
// CHECK: nvgpu.mma.sync(%{{.*}}, %[[VB0]], %{{.*}})
// CHECK-DAG: %[[V0T1:.*]] = vector.extract %[[V0]][1]
// CHECK-DAG: %[[V3T1:.*]] = vector.extract %[[V3]][1]
// CHECK: vector.from_elements %[[V0T1]], %{{.*}}, %{{.*}}, %[[V3T1]] : vector<2x2xbf16>
// CHECK-COUNT-7: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK-NOT: nvgpu.mma.sync
// CHECK: scf.yield
// The sums are reduced over the quad; out = acc / sum (1 where no key was
// seen). A row's results are the lane's 4 contiguous columns 4t.. of the
// head: element e·2 + τ is c(e) of tile τ, one store a row into the
// lane's slice of the output: its two rows, the second `stride` rows after
// the first.
// CHECK: %[[HCOL:.*]] = arith.muli %[[HEAD]], %c16
// CHECK: %[[COL:.*]] = arith.addi %[[HCOL]], %{{.*}}
// CHECK: %[[STRIDE:.*]] = arith.subi %[[STOREB]], %[[STOREA]]
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][%[[STOREA]], %[[COL]]] [2, 4] [%[[STRIDE]], 1]
// CHECK: gpu.shuffle xor %[[LOOP]]#2, %c1_i32
// CHECK: %[[O0:.*]] = arith.divf %[[LOOP]]#4,
// CHECK: %[[O0H:.*]] = arith.truncf %[[O0]]
// CHECK: %[[O1:.*]] = arith.divf %[[LOOP]]#5,
// CHECK: %[[O1H:.*]] = arith.truncf %[[O1]]
// CHECK: %[[O4:.*]] = arith.divf %[[LOOP]]#8,
// CHECK: %[[O4H:.*]] = arith.truncf %[[O4]]
// CHECK: %[[O5:.*]] = arith.divf %[[LOOP]]#9,
// CHECK: %[[O5H:.*]] = arith.truncf %[[O5]]
// CHECK: %[[ROWOUT:.*]] = vector.from_elements %[[O0H]], %[[O4H]], %[[O1H]], %[[O5H]] : vector<4xbf16>
// CHECK: vector.transfer_write %[[ROWOUT]], %[[SLICE]][%c0, %c0]
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c1, %c0]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[STOREA]], %[[COL]]] [2, 4] [%[[STRIDE]], 1]
// The result is the first B·Sq rows: a view, no copy.
// CHECK: %[[FIRST:.*]] = tensor.extract_slice %{{.*}}[0, 0] [%[[RESROWS]], 64] [1, 1]
// CHECK: %[[RES:.*]] = tensor.expand_shape %[[FIRST]] {{\[}}[0, 1], [2]] output_shape [%[[B]], %[[SQ]], 64]
// CHECK: return %[[RES]]
// SIMT-LABEL: func.func @gqa_causal_bf16
// SIMT: scf.forall ({{.*}}) in (%{{.*}}, 2, 2, %{{.*}}) shared_outs
// SIMT-NOT: nvgpu
func.func @gqa_causal_bf16(%q: tensor<?x?x128xbf16>, %k: tensor<?x?x64xbf16>, %v: tensor<?x?x32xbf16>) -> tensor<?x?x64xbf16> {
  %o = tfm.attention %q, %k, %v {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal}
      : (tensor<?x?x128xbf16>, tensor<?x?x64xbf16>, tensor<?x?x32xbf16>) -> tensor<?x?x64xbf16>
  return %o : tensor<?x?x64xbf16>
}

// -----

// f16 with a key-padding mask ([B, 1, 1, Skv], i1): each logit's mask bit
// is read at (batch, key) and folded into its visibility; static shapes
// give a static output (2·37 rows and 2·16 of padding), and the key loop
// (one step of 64) folds away.
// CHECK-LABEL: func.func @mask_f16
// CHECK: tensor.empty() : tensor<106x32xf16>
// CHECK: scf.forall {{.*}} in (2, 2, 3, 32)
// CHECK: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// CHECK: %[[BIT:.*]] = tensor.extract %arg3[%{{.*}}, %c0, %c0, %{{.*}}] : tensor<2x1x1x37xi1>
// CHECK: %[[VIS:.*]] = arith.andi %{{.*}}, %[[BIT]]
// CHECK: arith.select %[[VIS]]
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [74, 32] [1, 1] : tensor<106x32xf16> to tensor<74x32xf16>
// CHECK: tensor.expand_shape %{{.*}} {{\[}}[0, 1], [2]] output_shape [2, 37, 32] : tensor<74x32xf16> into tensor<2x37x32xf16>
func.func @mask_f16(%q: tensor<2x37x32xf16>, %k: tensor<2x37x32xf16>, %v: tensor<2x37x32xf16>, %m: tensor<2x1x1x37xi1>) -> tensor<2x37x32xf16> {
  %o = tfm.attention %q, %k, %v mask(%m) {num_heads = 2 : i64}
      : (tensor<2x37x32xf16>, tensor<2x37x32xf16>, tensor<2x37x32xf16>, tensor<2x1x1x37xi1>) -> tensor<2x37x32xf16>
  return %o : tensor<2x37x32xf16>
}

// -----

// Shaped attention (2 heads of 32, causal): 32 keys a step; besides P·V,
// U·V sums the value rows each row streams (U: 1 where the key is real and
// causally visible, in P's fragment layout), a second set of accumulators.
// The output is α·V[i] + β·(acc / sum) − γ·(C·V sum / (i + 1)), the
// coefficients read by head.
// CHECK-LABEL: func.func @shaped
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[GAMMA:.*]] = arith.constant dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[BETA:.*]] = arith.constant dense<[5.000000e-01, 2.000000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[ALPHA:.*]] = arith.constant dense<[1.000000e+00, 5.000000e-01]> : tensor<2xf32>
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : vector<4x2xbf16>
// CHECK: scf.forall (%[[BI:.*]], %[[HEAD:.*]], %[[TILE:.*]], %[[LANE:.*]]) in (2, 2, %{{.*}}, 32)
// CHECK: %[[ROWA:.*]] = arith.minsi
// In the whole steps every key is seen: U is all ones, nothing is tested.
// CHECK: scf.for {{.*}} step %c32 iter_args
// CHECK-NOT: arith.cmpi
// CHECK: nvgpu.mma.sync(%[[ONES]],
// CHECK-NOT: arith.cmpi
// CHECK: scf.yield
// CHECK: %[[LOOP:.*]]:36 = scf.for {{.*}} step %c32 iter_args
// CHECK-COUNT-2: nvgpu.mma.sync
// CHECK: %[[SEEN:.*]] = arith.andi
// CHECK: arith.select %[[SEEN]], %{{.*}}, %{{.*}} : f32
// CHECK-COUNT-6: nvgpu.mma.sync
// CHECK: arith.select %[[SEEN]], %[[ONE]], %[[ZERO]] : f32
// CHECK-COUNT-16: nvgpu.mma.sync
// CHECK-NOT: nvgpu.mma.sync
// CHECK: scf.yield
// CHECK-DAG: %[[A:.*]] = tensor.extract %[[ALPHA]][%[[HEAD]]]
// CHECK-DAG: %[[B:.*]] = tensor.extract %[[BETA]][%[[HEAD]]]
// CHECK-DAG: %[[G:.*]] = tensor.extract %[[GAMMA]][%[[HEAD]]]
// CHECK: %[[COUNT:.*]] = arith.addi %[[ROWA]], %c1
// CHECK: %[[N:.*]] = arith.index_cast %[[COUNT]]
// CHECK: %[[NF:.*]] = arith.sitofp %[[N]]
// CHECK: %[[SELF:.*]] = arith.extf %{{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK: %[[SOFT:.*]] = arith.divf %[[LOOP]]#4, %[[SUM:.*]] : f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[LOOP]]#20, %[[NF]] : f32
// CHECK: %[[V0:.*]] = vector.extract %[[SELF]][0]
// CHECK: %[[BS:.*]] = arith.mulf %[[B]], %[[SOFT]]
// CHECK: %[[T:.*]] = math.fma %[[A]], %[[V0]], %[[BS]]
// CHECK: %[[GM:.*]] = arith.mulf %[[G]], %[[MEAN]]
// CHECK: arith.subf %[[T]], %[[GM]]
func.func @shaped(%q: tensor<2x?x64xbf16>) -> tensor<2x?x64xbf16> {
  %o = tfm.attention %q, %q, %q {num_heads = 2 : i64, causal, alpha = array<f64: 1.0, 0.5>,
                                 beta = array<f64: 0.5, 2.0>, gamma = array<f64: 1.0, -1.0>}
      : (tensor<2x?x64xbf16>, tensor<2x?x64xbf16>, tensor<2x?x64xbf16>) -> tensor<2x?x64xbf16>
  return %o : tensor<2x?x64xbf16>
}

// -----

// Bias slots (20 of them, for 2 kv heads of 32): a first key loop over the
// slots, 16 a step, reading kv_bias at (the warp's kv head, slot, column)
// and V's slots the same way; every slot is visible (no bias_mask) but
// those past the last. The runtime keys' loop (64 a step) carries on from
// the slot loop's state.
// CHECK-LABEL: func.func @slots
// CHECK-SAME: %[[KB:[a-z0-9]+]]: tensor<2x20x32xbf16>, %[[VB:[a-z0-9]+]]: tensor<2x20x32xbf16>
// CHECK: scf.forall (%{{.*}}, %[[G:.*]], %{{.*}}, %{{.*}}) in (2, 2, 2, 32)
// CHECK: %[[SLOTS:.*]]:20 = scf.for %[[S0:.*]] = %c0 to %c20 step %c16 iter_args(
// CHECK: %[[SK:.*]] = vector.transfer_read %[[KB]][%[[G]], %{{.*}}, %{{.*}}]
// CHECK: nvgpu.mma.sync
// CHECK: arith.cmpi slt, %{{.*}}, %c20 : index
// CHECK: vector.transfer_read %[[VB]][%[[G]], %{{.*}}, %{{.*}}], {{.*}} : tensor<2x20x32xbf16>, vector<4xbf16>
// CHECK: scf.yield
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c64 iter_args(%{{.*}} = %[[SLOTS]]#0, %{{.*}} = %[[SLOTS]]#1
func.func @slots(%q: tensor<2x32x64xbf16>, %kb: tensor<2x20x32xbf16>, %vb: tensor<2x20x32xbf16>) -> tensor<2x32x64xbf16> {
  %o = tfm.attention %q, %q, %q kv_bias(%kb, %vb) {num_heads = 2 : i64, causal}
      : (tensor<2x32x64xbf16>, tensor<2x32x64xbf16>, tensor<2x32x64xbf16>, tensor<2x20x32xbf16>, tensor<2x20x32xbf16>) -> tensor<2x32x64xbf16>
  return %o : tensor<2x32x64xbf16>
}

// -----

// Not for tensor cores, so the one-thread-per-row forall: f32; a head
// width that is not a multiple of 16; a value head of 8; a head wider than
// 128; shaped attention with a value head wider than 64.
// (Unit dimensions of the forall fold
// away: (batch, head, row).)
// CHECK-LABEL: func.func @f32
// CHECK: scf.forall ({{.*}}) in (2, 2, 32) shared_outs({{.*}}) -> (tensor<2x32x64xf32>)
// CHECK-NOT: nvgpu
// CHECK-LABEL: func.func @d40
// CHECK: scf.forall ({{.*}}) in (2, 2, 32) shared_outs({{.*}}) -> (tensor<2x32x80xbf16>)
// CHECK-NOT: nvgpu
// CHECK-LABEL: func.func @dv8
// CHECK: scf.forall ({{.*}}) in (2, 2, 32) shared_outs({{.*}}) -> (tensor<2x32x16xbf16>)
// CHECK-NOT: nvgpu
// CHECK-LABEL: func.func @d144
// CHECK: scf.forall ({{.*}}) in (2, 32) shared_outs({{.*}}) -> (tensor<2x32x144xbf16>)
// CHECK-NOT: nvgpu
// CHECK-LABEL: func.func @shaped_dv128
// CHECK: scf.forall ({{.*}}) in (2, 32) shared_outs({{.*}}) -> (tensor<2x32x128xbf16>)
// CHECK-NOT: nvgpu
func.func @f32(%q: tensor<2x32x64xf32>) -> tensor<2x32x64xf32> {
  %o = tfm.attention %q, %q, %q {num_heads = 2 : i64, causal}
      : (tensor<2x32x64xf32>, tensor<2x32x64xf32>, tensor<2x32x64xf32>) -> tensor<2x32x64xf32>
  return %o : tensor<2x32x64xf32>
}
func.func @d40(%q: tensor<2x32x80xbf16>) -> tensor<2x32x80xbf16> {
  %o = tfm.attention %q, %q, %q {num_heads = 2 : i64, causal}
      : (tensor<2x32x80xbf16>, tensor<2x32x80xbf16>, tensor<2x32x80xbf16>) -> tensor<2x32x80xbf16>
  return %o : tensor<2x32x80xbf16>
}
func.func @dv8(%q: tensor<2x32x64xbf16>, %v: tensor<2x32x16xbf16>) -> tensor<2x32x16xbf16> {
  %o = tfm.attention %q, %q, %v {num_heads = 2 : i64, causal}
      : (tensor<2x32x64xbf16>, tensor<2x32x64xbf16>, tensor<2x32x16xbf16>) -> tensor<2x32x16xbf16>
  return %o : tensor<2x32x16xbf16>
}
func.func @d144(%q: tensor<2x32x144xbf16>) -> tensor<2x32x144xbf16> {
  %o = tfm.attention %q, %q, %q {num_heads = 1 : i64}
      : (tensor<2x32x144xbf16>, tensor<2x32x144xbf16>, tensor<2x32x144xbf16>) -> tensor<2x32x144xbf16>
  return %o : tensor<2x32x144xbf16>
}
func.func @shaped_dv128(%q: tensor<2x32x128xbf16>) -> tensor<2x32x128xbf16> {
  %o = tfm.attention %q, %q, %q {num_heads = 1 : i64, causal, alpha = array<f64: 1.0>,
                                 beta = array<f64: 0.5>, gamma = array<f64: 1.0>}
      : (tensor<2x32x128xbf16>, tensor<2x32x128xbf16>, tensor<2x32x128xbf16>) -> tensor<2x32x128xbf16>
  return %o : tensor<2x32x128xbf16>
}
