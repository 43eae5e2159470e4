// RUN: tfm-opt %s --tfm-emulate-gpu-launches --split-input-file --verify-diagnostics --canonicalize | FileCheck %s
// RUN: tfm-opt %s --tfm-emulate-gpu-launches=reverse=1 --split-input-file --verify-diagnostics --canonicalize | FileCheck %s --check-prefix=REV

// A row sum as tfm-linalg-to-gpu builds it: a block per row, each thread
// folds a strided slice, gpu.all_reduce combines them, thread 0 stores.
// The launch becomes a loop over the blocks; the all-reduce splits the body
// into two thread loops. The partial sum crosses it, so it is kept per
// thread in a scratch buffer of the block's size, which the reduction folds
// in thread order. The row (from the block id) and the thread id are
// recomputed in the second phase, not kept.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: (%[[X:.*]]: memref<?x?xf32>, %[[S:.*]]: memref<?xf32>, %[[ROWS:.*]]: index, %[[N:.*]]: index)
// CHECK-NOT: gpu.
// CHECK: %[[PARTIALS:.*]] = memref.alloc() : memref<64xf32>
// CHECK: scf.for %[[BLK:.*]] = %c0 to %[[ROWS]] step %c1 {
// CHECK:   %[[ROW:.*]] = arith.remui %[[BLK]], %[[ROWS]]
// CHECK:   scf.for %[[T:.*]] = %c0 to %c64 step %c1 {
// CHECK:     %[[TID:.*]] = arith.remui %[[T]], %c64
// CHECK:     %[[P:.*]] = scf.for %{{.*}} = %[[TID]] to %[[N]] step %c64
// CHECK:       memref.load %[[X]][%[[ROW]],
// CHECK:     memref.store %[[P]], %[[PARTIALS]][%[[T]]]
// CHECK:   %[[FIRST:.*]] = memref.load %[[PARTIALS]][%c0]
// CHECK:   %[[TOTAL:.*]] = scf.for %[[I:.*]] = %c1 to %c64 step %c1 iter_args(%[[ACC:.*]] = %[[FIRST]])
// CHECK:     %[[NEXT:.*]] = memref.load %[[PARTIALS]][%[[I]]]
// CHECK:     %[[SUM:.*]] = arith.addf %[[NEXT]], %[[ACC]] : f32
// CHECK:     scf.yield %[[SUM]]
// CHECK:   scf.for %[[T2:.*]] = %c0 to %c64 step %c1 {
// CHECK:     %[[TID2:.*]] = arith.remui %[[T2]], %c64
// CHECK:     %[[IS0:.*]] = arith.cmpi eq, %[[TID2]], %c0
// CHECK:     scf.if %[[IS0]]
// CHECK:       memref.store %[[TOTAL]], %[[S]][%[[ROW]]]
// CHECK: memref.dealloc %[[PARTIALS]]
// Reversed, the blocks, the threads and the fold run last to first.
// REV-LABEL: func.func @row_sum
// REV: scf.for %[[BLK:.*]] = %c0 to %[[ROWS:.*]] step %c1 {
// REV:   %[[LASTB:.*]] = arith.subi %[[ROWS]], %c1
// REV:   arith.subi %[[LASTB]], %[[BLK]]
// REV:   scf.for %[[T:.*]] = %c0 to %c64 step %c1 {
// REV:     %[[POS:.*]] = arith.subi %c63, %[[T]]
// REV:     memref.store %{{.*}}, %[[PARTIALS:.*]][%[[POS]]]
// REV:   memref.load %[[PARTIALS]][%c63]
// REV:   scf.for %[[I:.*]] = %c1 to %c64
// REV:     %[[J:.*]] = arith.subi %c63, %[[I]]
// REV:     memref.load %[[PARTIALS]][%[[J]]]
func.func @row_sum(%x: memref<?x?xf32>, %s: memref<?xf32>, %rows: index, %n: index) {
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %rows, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c64, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %zero = arith.constant 0.0 : f32
    %row = gpu.block_id x
    %tid = gpu.thread_id x
    %partial = scf.for %j = %tid to %n step %c64 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%row, %j] : memref<?x?xf32>
      %a = arith.addf %v, %acc : f32
      scf.yield %a : f32
    }
    %total = gpu.all_reduce add %partial uniform {} : (f32) -> f32
    %first = arith.cmpi eq, %tid, %c0 : index
    scf.if %first {
      memref.store %total, %s[%row] : memref<?xf32>
    }
    gpu.terminator
  }
  return
}

// -----

// A barrier splits phases without reducing: every thread writes its element
// before any thread reads its neighbour's. The block argument form of the
// ids (%tx) works like gpu.thread_id; a value computed before the barrier
// (%v) is kept per thread; a maximum folds with arith.maxnumf.
// CHECK-LABEL: func.func @barrier_then_max
// CHECK-SAME: (%[[X:.*]]: memref<32xf32>, %[[Y:.*]]: memref<32xf32>, %[[OUT:.*]]: memref<1xf32>)
// CHECK: %[[V:.*]] = memref.alloc() : memref<32xf32>
// CHECK: %[[M:.*]] = memref.alloc() : memref<32xf32>
// CHECK: scf.for %[[T:.*]] = %c0 to %c32
// CHECK:   %[[VAL:.*]] = memref.load %[[X]]
// CHECK:   memref.store %[[VAL]], %[[V]][%[[T]]]
// CHECK:   memref.store %[[VAL]], %[[Y]]
// CHECK: }
// CHECK: scf.for %[[T2:.*]] = %c0 to %c32
// CHECK:   %[[VT:.*]] = memref.load %[[V]][%[[T2]]]
// CHECK:   %[[NB:.*]] = memref.load %[[Y]]
// CHECK:   %[[MX:.*]] = arith.maximumf %[[VT]], %[[NB]]
// CHECK:   memref.store %[[MX]], %[[M]][%[[T2]]]
// CHECK: }
// CHECK: %[[MAX:.*]] = scf.for %{{.*}} iter_args
// CHECK:   arith.maxnumf
// CHECK: scf.for
// CHECK:   memref.store %[[MAX]], %[[OUT]]
// CHECK: memref.dealloc %[[V]]
// CHECK: memref.dealloc %[[M]]
func.func @barrier_then_max(%x: memref<32xf32>, %y: memref<32xf32>, %out: memref<1xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %c0 = arith.constant 0 : index
    %c1k = arith.constant 1 : index
    %c32k = arith.constant 32 : index
    %v = memref.load %x[%tx] : memref<32xf32>
    memref.store %v, %y[%tx] : memref<32xf32>
    gpu.barrier
    %next = arith.addi %tx, %c1k : index
    %wrapped = arith.remui %next, %c32k : index
    %nb = memref.load %y[%wrapped] : memref<32xf32>
    %m = arith.maximumf %v, %nb : f32
    %max = gpu.all_reduce maxnumf %m uniform {} : (f32) -> f32
    %first = arith.cmpi eq, %tx, %c0 : index
    scf.if %first {
      memref.store %max, %out[%c0] : memref<1xf32>
    }
    gpu.terminator
  }
  return
}

// -----

func.func @shuffle(%x: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<32xf32>
    %o = arith.constant 1 : i32
    %w = arith.constant 32 : i32
    // expected-error @+1 {{warp-level operation cannot be emulated thread by thread}}
    %s, %ok = gpu.shuffle xor %v, %o, %w : f32
    memref.store %s, %x[%tx] : memref<32xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @reduce_under_if(%x: memref<32xf32>, %c: i1) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    scf.if %c {
      %v = memref.load %x[%tx] : memref<32xf32>
      // expected-error @+1 {{a block-wide operation inside control flow cannot be emulated}}
      %s = gpu.all_reduce add %v uniform {} : (f32) -> f32
      memref.store %s, %x[%tx] : memref<32xf32>
    }
    gpu.terminator
  }
  return
}

// -----

func.func @reduce_region(%x: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    %v = memref.load %x[%tx] : memref<32xf32>
    // expected-error @+1 {{an all-reduce with a region is not supported}}
    %s = gpu.all_reduce %v {
    ^bb(%a: f32, %b: f32):
      %r = arith.addf %a, %b : f32
      gpu.yield %r : f32
    } : (f32) -> f32
    memref.store %s, %x[%tx] : memref<32xf32>
    gpu.terminator
  }
  return
}

// -----

func.func @workgroup_memory(%x: memref<32xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  // expected-error @+1 {{expected a synchronous launch without clusters, dynamic shared memory or memory attributions}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1)
             workgroup(%shared : memref<32xf32, #gpu.address_space<workgroup>>) {
    %v = memref.load %x[%tx] : memref<32xf32>
    memref.store %v, %shared[%tx] : memref<32xf32, #gpu.address_space<workgroup>>
    gpu.terminator
  }
  return
}

// -----

func.func @view_crosses_barrier(%x: memref<64xf32>) {
  %c1 = arith.constant 1 : index
  %c32 = arith.constant 32 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c32, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{a value of type 'memref<32xf32, strided<[1], offset: ?>>' crosses a block-wide operation}}
    %half = memref.subview %x[%tx] [32] [1] : memref<64xf32> to memref<32xf32, strided<[1], offset: ?>>
    gpu.barrier
    %v = memref.load %half[%tx] : memref<32xf32, strided<[1], offset: ?>>
    memref.store %v, %x[%tx] : memref<64xf32>
    gpu.terminator
  }
  return
}
