// RUN: tfm-opt %s --tfm-linalg-to-gpu --split-input-file | FileCheck %s
// RUN: tfm-opt %s --tfm-linalg-to-gpu="vectorize=false" --split-input-file | FileCheck %s --check-prefix=SCALAR
// RUN: not tfm-opt %s --split-input-file --tfm-linalg-to-gpu="block-size=100" 2>&1 | FileCheck %s --check-prefix=BADBLOCK

// BADBLOCK: block-size must be a multiple of 32 in [32, 1024], got 100

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Elementwise: a bias broadcast along rows. The innermost loop is static
// (768, a multiple of 4), so each thread moves 4 f32 with aligned 128-bit
// accesses; the row-broadcast bias is read 4-wide too (its map ends in d1).
// The grid covers rows * 768 / 4 points and an empty grid is never launched.
// CHECK-LABEL: func.func @bias_add
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %c768
// CHECK: %[[POINTS:.*]] = arith.divui %[[N]], %c4
// CHECK: scf.if
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %{{.*}}, {{.*}} = %c1{{.*}}, {{.*}} = %c1{{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK: vector.load %arg0[{{.*}}] {alignment = 16 : i64} : memref<?x768xf32>, vector<4xf32>
// CHECK: vector.load %arg1[{{.*}}] {alignment = 16 : i64} : memref<768xf32>, vector<4xf32>
// CHECK-COUNT-4: arith.addf
// CHECK: vector.from_elements
// CHECK: vector.store {{.*}} {alignment = 16 : i64} : memref<?x768xf32>, vector<4xf32>
// CHECK-NOT: linalg.generic
// SCALAR-LABEL: func.func @bias_add
// SCALAR-NOT: vector.load
// SCALAR: memref.load %arg0
// SCALAR: memref.store
func.func @bias_add(%x: memref<?x768xf32>, %b: memref<768xf32>, %y: memref<?x768xf32>) {
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : memref<?x768xf32>, memref<768xf32>) outs(%y : memref<?x768xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %s = arith.addf %a, %c : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d0)>

// A dynamic innermost loop, or an operand indexed by it in a non-last
// position, keeps the elementwise template scalar.
// CHECK-LABEL: func.func @transpose_copy
// CHECK: gpu.launch
// CHECK-NOT: vector.load
// CHECK: memref.load %arg0[%{{.*}}, %{{.*}}] : memref<?x?xf32>
// CHECK: memref.store
func.func @transpose_copy(%x: memref<?x?xf32>, %y: memref<?x?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<?x?xf32>) outs(%y : memref<?x?xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return
}

// -----

// Row reduction (a softmax denominator): one block per row, each thread
// reads the output's old value (before any thread stores), folds a strided
// slice starting from the identity of the combiner, then a warp-shuffle
// all-reduce; every thread folds the old value in, thread 0 stores it.
// CHECK-LABEL: func.func @row_sum
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[GRID:.*]] = arith.muli %{{.*}}, %[[ROWS]]
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK: %[[FIRST:.*]] = arith.cmpi eq
// CHECK: %[[OLD:.*]] = memref.load %arg1
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32)
// CHECK: math.exp
// CHECK: arith.addf %{{.*}}, %[[ACC]]
// CHECK: %[[TOTAL:.*]] = gpu.all_reduce add %{{.*}} uniform
// CHECK: %[[NEW:.*]] = arith.addf %[[TOTAL]], %[[OLD]]
// CHECK: scf.if %[[FIRST]]
// CHECK: memref.store %[[NEW]], %arg1
func.func @row_sum(%x: memref<?x?xf32>, %s: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %e = math.exp %a : f32
    %r = arith.addf %e, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A fill of the output right before a row reduction (a norm's or softmax's
// zero or -inf accumulator) is no kernel of its own: thread 0 folds the
// fill's value in rather than the output's old contents. Not so when
// something that touches memory comes between them.
// (The reduction's input is an allocation: two arguments may alias.)
// CHECK-LABEL: func.func @row_sum_filled
// CHECK-SAME: (%[[S:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: memref<?xf32>, %[[V:[^:]*]]: f32, %{{.*}}: index, %{{.*}}: index)
// CHECK: %[[X:.*]] = memref.alloc
// CHECK: gpu.launch
// CHECK-NOT: memref.load %[[S]]
// CHECK: %[[TOTAL:.*]] = gpu.all_reduce add
// CHECK: %[[NEW:.*]] = arith.addf %[[TOTAL]], %[[V]]
// CHECK: scf.if
// CHECK: memref.store %[[NEW]], %[[S]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.store %[[V]], %[[T]]
// CHECK: memref.store %[[V]], %[[X]]
// CHECK: gpu.launch
// CHECK: %[[OLD:.*]] = memref.load %[[T]]
// CHECK: gpu.all_reduce add
// CHECK: arith.addf %{{.*}}, %[[OLD]]
// Nor when the reduction reads the filled buffer (a view of it) too.
// CHECK: gpu.launch
// CHECK: memref.store %[[V]], %[[S]]
// CHECK: gpu.launch
// CHECK: memref.load %[[S]]
// CHECK: gpu.all_reduce add
// CHECK-NOT: gpu.launch
func.func @row_sum_filled(%s: memref<?xf32>, %t: memref<?xf32>, %v: f32, %rows: index, %cols: index) {
  %c0 = arith.constant 0 : index
  %x = memref.alloc(%rows, %cols) : memref<?x?xf32>
  linalg.fill ins(%v : f32) outs(%s : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%v : f32) outs(%t : memref<?xf32>)
  memref.store %v, %x[%c0, %c0] : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%t : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %a, %acc : f32
    linalg.yield %r : f32
  }
  linalg.fill ins(%v : f32) outs(%s : memref<?xf32>)
  %sv = memref.cast %s : memref<?xf32> to memref<?xf32, strided<[1], offset: ?>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x, %sv : memref<?x?xf32>, memref<?xf32, strided<[1], offset: ?>>) outs(%s : memref<?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %m, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A static row of 64: the block shrinks to 32 threads (a warp) that each
// read 4-wide; the row max starts from -inf.
// CHECK-LABEL: func.func @row_max
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c32
// CHECK: arith.constant 0xFF800000 : f32
// CHECK: vector.load %arg0{{.*}} {alignment = 16 : i64} : memref<?x64xf32>, vector<4xf32>
// CHECK-COUNT-4: arith.maximumf
// CHECK: gpu.all_reduce maximumf
func.func @row_max(%x: memref<?x64xf32>, %m: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x64xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %a, %acc : f32
    linalg.yield %r : f32
  }
  return
}

// -----

// A layer norm as tfm-to-linalg writes it (row sum, centred second moment,
// normalisation): one kernel, a block per row. Each later step takes the
// totals of the earlier ones as values; the statistics, which nothing else
// reads, are never stored, and their fills are no kernels.
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[G:.*]]: memref<64xf32>)
// CHECK: %[[S:.*]] = memref.alloc
// CHECK: %[[M:.*]] = memref.alloc
// CHECK: %[[Y:.*]] = memref.alloc
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c32
// CHECK: scf.for
// CHECK: vector.load %[[X]]
// CHECK: %[[SUM:.*]] = gpu.all_reduce add
// CHECK: %[[SUM0:.*]] = arith.addf %{{.*}}, %[[SUM]]
// CHECK: scf.for
// CHECK: vector.load %[[X]]
// CHECK: arith.divf %[[SUM0]]
// CHECK: %[[SQ:.*]] = gpu.all_reduce add
// CHECK: %[[SQ0:.*]] = arith.addf %{{.*}}, %[[SQ]]
// CHECK: scf.for
// CHECK-DAG: vector.load %[[X]]
// CHECK-DAG: vector.load %[[G]]
// CHECK-DAG: arith.divf %[[SUM0]]
// CHECK-DAG: arith.divf %[[SQ0]]
// CHECK: math.rsqrt
// CHECK: vector.store %{{.*}}, %[[Y]]
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
// CHECK-NOT: memref.store {{.*}}%[[S]]
// CHECK-NOT: memref.store {{.*}}%[[M]]
#x = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @layer_norm(%x: memref<?x64xf32>, %g: memref<64xf32>) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %s = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<?xf32>)
  linalg.generic {indexing_maps = [#x, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x64xf32>) outs(%s : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  %m = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%zero : f32) outs(%m : memref<?xf32>)
  linalg.generic {indexing_maps = [#x, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %s : memref<?x64xf32>, memref<?xf32>) outs(%m : memref<?xf32>) {
  ^bb0(%a: f32, %sum: f32, %acc: f32):
    %mean = arith.divf %sum, %n : f32
    %d = arith.subf %a, %mean : f32
    %d2 = arith.mulf %d, %d : f32
    %r = arith.addf %acc, %d2 : f32
    linalg.yield %r : f32
  }
  %y = memref.alloc(%rows) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#x, #row, #row, #col, #x], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s, %m, %g : memref<?x64xf32>, memref<?xf32>, memref<?xf32>, memref<64xf32>) outs(%y : memref<?x64xf32>) {
  ^bb0(%a: f32, %sum: f32, %sq: f32, %gain: f32, %o: f32):
    %mean = arith.divf %sum, %n : f32
    %var = arith.divf %sq, %n : f32
    %ve = arith.addf %var, %eps : f32
    %rs = math.rsqrt %ve : f32
    %d = arith.subf %a, %mean : f32
    %nd = arith.mulf %d, %rs : f32
    %r = arith.mulf %nd, %gain : f32
    linalg.yield %r : f32
  }
  memref.dealloc %s : memref<?xf32>
  memref.dealloc %m : memref<?xf32>
  return %y : memref<?x64xf32>
}

// -----

// A softmax whose row max the caller also reads (it is returned): thread 0
// stores it; the sum of exponentials stays in registers. Rows are dynamic
// and scalar; the row loops of the three ops are the same because each
// takes its extents from the logits' dimensions.
// CHECK-LABEL: func.func @softmax_keeps_max
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x?xf32>)
// CHECK: %[[MAX:.*]] = memref.alloc
// CHECK: %[[SUM:.*]] = memref.alloc
// CHECK: %[[P:.*]] = memref.alloc
// CHECK: gpu.launch
// CHECK: %[[FIRST:.*]] = arith.cmpi eq
// CHECK: %[[M:.*]] = gpu.all_reduce maximumf
// CHECK: %[[M0:.*]] = arith.maximumf %{{.*}}, %[[M]]
// CHECK: scf.if %[[FIRST]]
// CHECK: memref.store %[[M0]], %[[MAX]]
// CHECK: scf.for
// CHECK: arith.subf %{{.*}}, %[[M0]]
// CHECK: math.exp
// CHECK: %[[Z:.*]] = gpu.all_reduce add
// CHECK: %[[Z0:.*]] = arith.addf %{{.*}}, %[[Z]]
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK: arith.divf %{{.*}}, %[[Z0]]
// CHECK: memref.store %{{.*}}, %[[P]]
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
func.func @softmax_keeps_max(%x: memref<?x?xf32>) -> (memref<?x?xf32>, memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %ninf = arith.constant 0xFF800000 : f32
  %rows = memref.dim %x, %c0 : memref<?x?xf32>
  %cols = memref.dim %x, %c1 : memref<?x?xf32>
  %max = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%ninf : f32) outs(%max : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<?x?xf32>) outs(%max : memref<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.maximumf %acc, %a : f32
    linalg.yield %r : f32
  }
  %sum = memref.alloc(%rows) : memref<?xf32>
  linalg.fill ins(%zero : f32) outs(%sum : memref<?xf32>)
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x, %max : memref<?x?xf32>, memref<?xf32>) outs(%sum : memref<?xf32>) {
  ^bb0(%a: f32, %mx: f32, %acc: f32):
    %d = arith.subf %a, %mx : f32
    %e = math.exp %d : f32
    %r = arith.addf %acc, %e : f32
    linalg.yield %r : f32
  }
  %p = memref.alloc(%rows, %cols) : memref<?x?xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max, %sum : memref<?x?xf32>, memref<?xf32>, memref<?xf32>) outs(%p : memref<?x?xf32>) {
  ^bb0(%a: f32, %mx: f32, %z: f32, %o: f32):
    %d = arith.subf %a, %mx : f32
    %e = math.exp %d : f32
    %r = arith.divf %e, %z : f32
    linalg.yield %r : f32
  }
  memref.dealloc %sum : memref<?xf32>
  return %p, %max : memref<?x?xf32>, memref<?xf32>
}

// -----

// What keeps an op out of the kernel of the row reductions before it, so
// that it becomes its own kernel (and the totals are stored):
//  - it writes over what the reduction reads (in place: another block
//    may still be reading that row... or any row);
//  - it reads the total at other rows than its own (a different map);
//  - its output is an argument, as is the reduction's input: the two may be
//    one buffer;
//  - it writes a slot of tfm-plan-buffers's arena that is not in use at
//    the same time as the slot the reduction reads: the planner may have
//    given them the same bytes.
// A chain formed across slots in use at once (same dynamic offsets
// pattern) is the last case.
// CHECK-LABEL: func.func @row_chain_hazards
// CHECK: gpu.launch
// CHECK: gpu.all_reduce
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: gpu.all_reduce
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: gpu.all_reduce
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.terminator
// CHECK-LABEL: func.func @row_chain_slots
// CHECK: gpu.launch
// CHECK: gpu.all_reduce
// CHECK-NOT: gpu.terminator
// CHECK: memref.store
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK-NOT: gpu.all_reduce
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: gpu.all_reduce
// CHECK-NOT: gpu.terminator
// CHECK: vector.store
// CHECK: gpu.terminator
// CHECK-NOT: gpu.launch
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row2 = affine_map<(d0, d1) -> (d0)>
#first = affine_map<(d0, d1) -> (0)>
func.func @row_chain_hazards(%arg: memref<8x64xf32>, %out: memref<8x64xf32>) {
  %x = memref.alloc() : memref<8x64xf32>
  %s = memref.alloc() : memref<8xf32>
  %y = memref.alloc() : memref<8x64xf32>
  // In place.
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x64xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#row2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<8xf32>) outs(%x : memref<8x64xf32>) {
  ^bb0(%t: f32, %o: f32):
    %r = arith.divf %o, %t : f32
    linalg.yield %r : f32
  }
  // Another row's total.
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x64xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id2, #first, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : memref<8x64xf32>, memref<8xf32>) outs(%y : memref<8x64xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %r = arith.divf %a, %t : f32
    linalg.yield %r : f32
  }
  // Two arguments.
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%arg : memref<8x64xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#row2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<8xf32>) outs(%out : memref<8x64xf32>) {
  ^bb0(%t: f32, %o: f32):
    linalg.yield %t : f32
  }
  memref.dealloc %x : memref<8x64xf32>
  memref.dealloc %s : memref<8xf32>
  memref.dealloc %y : memref<8x64xf32>
  return
}

// Slots of an arena at dynamic offsets: %x's last use is the first
// reduction, so %y (placed after it) may have its bytes; %x2 is read by the
// broadcast too, so it is in use when %y2 is written.
func.func @row_chain_slots(%n: index, %o1: index, %o2: index, %o3: index, %o4: index, %o5: index) {
  %arena = memref.alloc(%n) {tfm.arena} : memref<?xi8>
  %x = memref.view %arena[%o1][] : memref<?xi8> to memref<8x64xf32>
  %s = memref.view %arena[%o2][] : memref<?xi8> to memref<8xf32>
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<8x64xf32>) outs(%s : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  %y = memref.view %arena[%o3][] : memref<?xi8> to memref<8x64xf32>
  linalg.generic {indexing_maps = [#row2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%s : memref<8xf32>) outs(%y : memref<8x64xf32>) {
  ^bb0(%t: f32, %o: f32):
    linalg.yield %t : f32
  }
  %x2 = memref.view %arena[%o4][] : memref<?xi8> to memref<8x64xf32>
  %s2 = memref.view %arena[%o2][] : memref<?xi8> to memref<8xf32>
  linalg.generic {indexing_maps = [#id2, #row2], iterator_types = ["parallel", "reduction"]}
      ins(%x2 : memref<8x64xf32>) outs(%s2 : memref<8xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  %y2 = memref.view %arena[%o5][] : memref<?xi8> to memref<8x64xf32>
  linalg.generic {indexing_maps = [#id2, #row2, #id2], iterator_types = ["parallel", "parallel"]}
      ins(%x2, %s2 : memref<8x64xf32>, memref<8xf32>) outs(%y2 : memref<8x64xf32>) {
  ^bb0(%a: f32, %t: f32, %o: f32):
    %r = arith.mulf %a, %t : f32
    linalg.yield %r : f32
  }
  memref.dealloc %arena : memref<?xi8>
  return
}

// -----

// Anything else takes the generic template: one thread per output point and
// the reduction loops serial inside it, accumulating through memory. Here
// the reduction is the outer loop (a column sum) and an f64 one.
// CHECK-LABEL: func.func @column_sum
// CHECK: gpu.launch
// CHECK: scf.for %[[R:.*]] = %c0{{.*}} to %{{.*}} step %c1
// CHECK: %[[X:.*]] = memref.load %arg0[%[[R]], %{{.*}}]
// CHECK: %[[OLD:.*]] = memref.load %arg1[%{{.*}}]
// CHECK: %[[NEW:.*]] = arith.addf %[[X]], %[[OLD]] : f64
// CHECK: memref.store %[[NEW]], %arg1
// CHECK-NOT: gpu.all_reduce
// CHECK-LABEL: func.func @int_matmul
// CHECK: scf.for
// CHECK: gpu.all_reduce add
func.func @column_sum(%x: memref<?x?xf64>, %s: memref<?xf64>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]}
      ins(%x : memref<?x?xf64>) outs(%s : memref<?xf64>) {
  ^bb0(%a: f64, %acc: f64):
    %r = arith.addf %a, %acc : f64
    linalg.yield %r : f64
  }
  return
}

// An i32 matmul (which cuBLASLt does not take) has its reduction innermost:
// the row template, with a sum of products per output.
func.func @int_matmul(%a: memref<?x?xi32>, %b: memref<?x?xi32>, %c: memref<?x?xi32>) {
  linalg.matmul ins(%a, %b : memref<?x?xi32>, memref<?x?xi32>) outs(%c : memref<?x?xi32>)
  return
}

// -----

// linalg.index is bound to the thread's loop indices; a fill's scalar is
// used as is.
// CHECK-LABEL: func.func @iota_and_fill
// CHECK: gpu.launch
// CHECK: arith.index_cast
// CHECK: gpu.launch
// CHECK: memref.store %arg1, %arg0
func.func @iota_and_fill(%x: memref<?xi64>, %v: i64) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      outs(%x : memref<?xi64>) {
  ^bb0(%o: i64):
    %i = linalg.index 0 : index
    %c = arith.index_cast %i : index to i64
    linalg.yield %c : i64
  }
  linalg.fill ins(%v : i64) outs(%x : memref<?xi64>)
  return
}

// -----

// A host scf.forall on buffers (what tfm-fuse-attention leaves after
// bufferization): one kernel, named after the function, with a thread per
// point (last dimension fastest) in blocks of at most 128 threads. The
// body's vector transfers become vector loads/stores on the underlying
// buffers (the subview folded away): 16-byte aligned where the layout and
// index prove it (x and y: identity layout, 512 columns, offset j·64), not
// for z (column 1 of a 6-wide row).
// CHECK-LABEL: func.func @rows
// CHECK: memref.dim %arg0
// CHECK: arith.cmpi ugt, %[[POINTS:[^,]*]], %
// CHECK: gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128{{[_0-9]*}}, {{.*}}) function(@rows_forall)
// CHECK: %[[TID:.*]] = arith.addi
// CHECK: arith.cmpi ult, %[[TID]], %[[POINTS]]
// CHECK: %[[J:.*]] = arith.remui %[[TID]], %[[EIGHT:[^ ]*]] :
// CHECK: %[[I:.*]] = arith.divui %[[TID]], %[[EIGHT]] :
// CHECK: %[[COL:.*]] = arith.muli %[[J]], %c64
// CHECK: vector.load %arg0[%[[I]], %[[COL]]] {alignment = 16 : i64} : memref<?x512xf32>, vector<64xf32>
// CHECK: vector.load %arg2[%[[I]], %c1] : memref<?x6xf32>, vector<4xf32>
// CHECK: vector.store %{{.*}}, %arg1[%[[I]], %[[COL]]] {alignment = 16 : i64} : memref<?x512xf32>, vector<64xf32>
// CHECK-NOT: vector.transfer
// CHECK-NOT: memref.subview
// CHECK: gpu.launch {{.*}} function(@rows_forall_1)
// CHECK-NOT: scf.forall
func.func @rows(%x: memref<?x512xf32>, %y: memref<?x512xf32>, %z: memref<?x6xf32>, %w: memref<?x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x512xf32>
  scf.forall (%i, %j) in (%n, 8) {
    %col = arith.muli %j, %c64 : index
    %r = vector.transfer_read %x[%i, %col], %pad {in_bounds = [true]} : memref<?x512xf32>, vector<64xf32>
    %u = vector.transfer_read %z[%i, %c1], %pad {in_bounds = [true]} : memref<?x6xf32>, vector<4xf32>
    %s = vector.reduction <add>, %u : vector<4xf32> into f32
    %b = vector.broadcast %s : f32 to vector<64xf32>
    %o = arith.addf %r, %b : vector<64xf32>
    %view = memref.subview %y[%i, %col] [1, 64] [1, 1] : memref<?x512xf32> to memref<1x64xf32, strided<[512, 1], offset: ?>>
    vector.transfer_write %o, %view[%c0, %c0] {in_bounds = [true]} : vector<64xf32>, memref<1x64xf32, strided<[512, 1], offset: ?>>
    memref.store %s, %w[%i, %j] : memref<?x8xf32>
  }
  scf.forall (%i) in (4) {
    memref.store %pad, %w[%i, %i] : memref<?x8xf32>
  }
  return
}
