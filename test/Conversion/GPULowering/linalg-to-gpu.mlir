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
// folds a strided slice starting from the identity of the combiner, then a
// warp-shuffle all-reduce, then thread 0 folds the old output value in.
// CHECK-LABEL: func.func @row_sum
// CHECK: %[[ROWS:.*]] = memref.dim %arg0, %c0
// CHECK: %[[GRID:.*]] = arith.muli %{{.*}}, %[[ROWS]]
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GRID]], {{.*}}) threads({{.*}}) in ({{.*}} = %c256
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (f32)
// CHECK: math.exp
// CHECK: arith.addf %{{.*}}, %[[ACC]]
// CHECK: %[[TOTAL:.*]] = gpu.all_reduce add %{{.*}} uniform
// CHECK: arith.cmpi eq
// CHECK: scf.if
// CHECK: %[[OLD:.*]] = memref.load %arg1
// CHECK: %[[NEW:.*]] = arith.addf %[[TOTAL]], %[[OLD]]
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
// CHECK-LABEL: func.func @row_sum_filled
// CHECK-SAME: (%[[X:[^:]*]]: memref<?x?xf32>, %[[S:[^:]*]]: memref<?xf32>, %[[T:[^:]*]]: memref<?xf32>, %[[V:[^:]*]]: f32)
// CHECK: gpu.launch
// CHECK: %[[TOTAL:.*]] = gpu.all_reduce add
// CHECK: scf.if
// CHECK-NOT: memref.load %[[S]]
// CHECK: %[[NEW:.*]] = arith.addf %[[TOTAL]], %[[V]]
// CHECK: memref.store %[[NEW]], %[[S]]
// CHECK: gpu.terminator
// CHECK: gpu.launch
// CHECK: memref.store %[[V]], %[[T]]
// CHECK: memref.store %[[V]], %[[X]]
// CHECK: gpu.launch
// CHECK: gpu.all_reduce add
// CHECK: %[[OLD:.*]] = memref.load %[[T]]
// CHECK: arith.addf %{{.*}}, %[[OLD]]
// Nor when the reduction reads the filled buffer (a view of it) too.
// CHECK: gpu.launch
// CHECK: memref.store %[[V]], %[[S]]
// CHECK: gpu.launch
// CHECK: gpu.all_reduce add
// CHECK: memref.load %[[S]]
// CHECK-NOT: gpu.launch
func.func @row_sum_filled(%x: memref<?x?xf32>, %s: memref<?xf32>, %t: memref<?xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
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
