// RUN: tfm-opt %s --pass-pipeline='builtin.module(func.func(tfm-plan-buffers))' --split-input-file | FileCheck %s
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(func.func(tfm-plan-buffers{alignment=8}))' --split-input-file 2>&1 | FileCheck %s --check-prefix=ALIGN
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(func.func(tfm-plan-buffers{alignment=48}))' --split-input-file 2>&1 | FileCheck %s --check-prefix=ALIGN48

// ALIGN: plan-buffers.mlir:{{[0-9]+}}:1: error: tfm-plan-buffers: alignment must be a power of two of at least 16, got 8
// ALIGN48: error: tfm-plan-buffers: alignment must be a power of two of at least 16, got 48

// A chain of three 1 KiB temporaries freed at the end (as ownership-based
// deallocation leaves them): %a is last used by the copy into %b, so %c can
// take its bytes; %b overlaps both. One 2 KiB arena, freed before the return.

// CHECK-LABEL: func.func @chain
// CHECK-SAME:      %[[ARG:.*]]: memref<16x16xf32>, %[[OUT:.*]]: memref<16x16xf32>
// CHECK:         %[[ARENA:.*]] = memref.alloc() {alignment = 256 : i64, tfm.arena} : memref<2048xi8>
// CHECK-NOT:     memref.alloc
// CHECK:         %[[OFF_A:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[A:.*]] = memref.view %[[ARENA]][%[[OFF_A]]][] : memref<2048xi8> to memref<16x16xf32>
// CHECK:         linalg.copy ins(%[[ARG]] {{.*}} outs(%[[A]]
// CHECK:         %[[OFF_B:.*]] = arith.constant 1024 : index
// CHECK-NEXT:    %[[B:.*]] = memref.view %[[ARENA]][%[[OFF_B]]][] : memref<2048xi8> to memref<16x16xf32>
// CHECK:         linalg.copy ins(%[[A]] {{.*}} outs(%[[B]]
// CHECK:         %[[OFF_C:.*]] = arith.constant 0 : index
// CHECK-NEXT:    %[[C:.*]] = memref.view %[[ARENA]][%[[OFF_C]]][] : memref<2048xi8> to memref<16x16xf32>
// CHECK:         linalg.copy ins(%[[B]] {{.*}} outs(%[[C]]
// CHECK:         linalg.copy ins(%[[C]] {{.*}} outs(%[[OUT]]
// CHECK-NOT:     memref.dealloc %[[A]]
// CHECK:         memref.dealloc %[[ARENA]] : memref<2048xi8>
// CHECK-NEXT:    return
func.func @chain(%arg: memref<16x16xf32>, %out: memref<16x16xf32>) {
  %a = memref.alloc() : memref<16x16xf32>
  linalg.copy ins(%arg : memref<16x16xf32>) outs(%a : memref<16x16xf32>)
  %b = memref.alloc() : memref<16x16xf32>
  linalg.copy ins(%a : memref<16x16xf32>) outs(%b : memref<16x16xf32>)
  %c = memref.alloc() : memref<16x16xf32>
  linalg.copy ins(%b : memref<16x16xf32>) outs(%c : memref<16x16xf32>)
  linalg.copy ins(%c : memref<16x16xf32>) outs(%out : memref<16x16xf32>)
  memref.dealloc %a : memref<16x16xf32>
  memref.dealloc %b : memref<16x16xf32>
  memref.dealloc %c : memref<16x16xf32>
  return
}

// -----

// Largest first, lowest gap: the 4 KiB buffer goes to 0, the two 100-byte
// buffers that overlap it and each other to 4096 and 4352 (256-aligned).
// CHECK-LABEL: func.func @sizes
// CHECK:         memref.alloc() {alignment = 256 : i64, tfm.arena} : memref<4608xi8>
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[C4096:.*]] = arith.constant 4096 : index
// CHECK-DAG:     %[[C4352:.*]] = arith.constant 4352 : index
// CHECK-DAG:     memref.view %{{.*}}[%[[C4096]]][] : memref<4608xi8> to memref<25xf32>
// CHECK-DAG:     memref.view %{{.*}}[%[[C0]]][] : memref<4608xi8> to memref<1024xf32>
// CHECK-DAG:     memref.view %{{.*}}[%[[C4352]]][] : memref<4608xi8> to memref<100xi8>
func.func @sizes(%x: memref<25xf32>, %y: memref<1024xf32>, %z: memref<100xi8>) {
  %small = memref.alloc() : memref<25xf32>
  %big = memref.alloc() : memref<1024xf32>
  %bytes = memref.alloc() : memref<100xi8>
  linalg.copy ins(%x : memref<25xf32>) outs(%small : memref<25xf32>)
  linalg.copy ins(%y : memref<1024xf32>) outs(%big : memref<1024xf32>)
  linalg.copy ins(%z : memref<100xi8>) outs(%bytes : memref<100xi8>)
  linalg.copy ins(%small : memref<25xf32>) outs(%x : memref<25xf32>)
  linalg.copy ins(%big : memref<1024xf32>) outs(%y : memref<1024xf32>)
  linalg.copy ins(%bytes : memref<100xi8>) outs(%z : memref<100xi8>)
  memref.dealloc %small : memref<25xf32>
  memref.dealloc %big : memref<1024xf32>
  memref.dealloc %bytes : memref<100xi8>
  return
}

// -----

// Dynamic sizes: the extents are recomputed at the entry, where the arena
// is allocated; a static buffer takes the first 512 bytes, the dynamic ones
// follow, the second above the first (they overlap).
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME:      %[[ARG:.*]]: memref<?x64xf32>
// CHECK:         %[[N:.*]] = memref.dim %[[ARG]], %{{.*}} : memref<?x64xf32>
// CHECK:         arith.muli
// CHECK:         %[[BYTES:.*]] = arith.muli
// CHECK:         %[[ROUND:.*]] = arith.addi %[[BYTES]]
// CHECK:         %[[PADDED:.*]] = arith.andi %[[ROUND]]
// CHECK:         %[[END_A:.*]] = arith.addi %[[C512:.*]], %[[PADDED]]
// CHECK:         arith.maxui %[[C512]], %[[END_A]]
// CHECK:         %[[OFF_B:.*]] = arith.maxui %[[C512]], %[[END_A]]
// CHECK:         %[[ARENA:.*]] = memref.alloc(%{{.*}}) {alignment = 256 : i64, tfm.arena} : memref<?xi8>
// CHECK:         %[[D:.*]] = memref.dim %[[ARG]]
// CHECK:         memref.view %[[ARENA]][%[[C512]]][%[[D]]] : memref<?xi8> to memref<?x64xf32>
// CHECK:         memref.view %[[ARENA]][%[[OFF_B]]][%[[D]]] : memref<?xi8> to memref<?x64xf32>
// CHECK:         memref.view %[[ARENA]][%{{.*}}][] : memref<?xi8> to memref<4x32xf32>
// CHECK-NOT:     memref.alloc
// CHECK:         memref.dealloc %[[ARENA]] : memref<?xi8>
// CHECK-NEXT:    return
func.func @dynamic(%arg: memref<?x64xf32>, %s: memref<4x32xf32>) {
  %c0 = arith.constant 0 : index
  %d = memref.dim %arg, %c0 : memref<?x64xf32>
  %a = memref.alloc(%d) : memref<?x64xf32>
  linalg.copy ins(%arg : memref<?x64xf32>) outs(%a : memref<?x64xf32>)
  %b = memref.alloc(%d) : memref<?x64xf32>
  linalg.copy ins(%a : memref<?x64xf32>) outs(%b : memref<?x64xf32>)
  %t = memref.alloc() : memref<4x32xf32>
  linalg.copy ins(%s : memref<4x32xf32>) outs(%t : memref<4x32xf32>)
  linalg.copy ins(%t : memref<4x32xf32>) outs(%s : memref<4x32xf32>)
  linalg.copy ins(%b : memref<?x64xf32>) outs(%arg : memref<?x64xf32>)
  memref.dealloc %a : memref<?x64xf32>
  memref.dealloc %b : memref<?x64xf32>
  memref.dealloc %t : memref<4x32xf32>
  return
}

// -----

// A view yielded out of a loop keeps its buffer alive until the loop's
// result is last used: %a and %b overlap, so they do not share bytes.
// CHECK-LABEL: func.func @yielded_view
// CHECK:         memref.alloc() {alignment = 256 : i64, tfm.arena} : memref<512xi8>
// CHECK-DAG:     memref.view %{{.*}}[%[[C0:.*]]][] : memref<512xi8> to memref<64xf32>
// CHECK-DAG:     memref.view %{{.*}}[%[[C256:.*]]][] : memref<512xi8> to memref<64xf32>
// CHECK-DAG:     %[[C0]] = arith.constant 0 : index
// CHECK-DAG:     %[[C256]] = arith.constant 256 : index
func.func @yielded_view(%x: memref<64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = memref.alloc() : memref<64xf32>
  linalg.copy ins(%x : memref<64xf32>) outs(%a : memref<64xf32>)
  %sub0 = memref.subview %a[0] [32] [1] : memref<64xf32> to memref<32xf32, strided<[1]>>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%v = %sub0) -> (memref<32xf32, strided<[1]>>) {
    scf.yield %v : memref<32xf32, strided<[1]>>
  }
  %b = memref.alloc() : memref<64xf32>
  linalg.copy ins(%x : memref<64xf32>) outs(%b : memref<64xf32>)
  %sub1 = memref.subview %x[0] [32] [1] : memref<64xf32> to memref<32xf32, strided<[1]>>
  linalg.copy ins(%r : memref<32xf32, strided<[1]>>) outs(%sub1 : memref<32xf32, strided<[1]>>)
  linalg.copy ins(%b : memref<64xf32>) outs(%x : memref<64xf32>)
  memref.dealloc %a : memref<64xf32>
  memref.dealloc %b : memref<64xf32>
  return
}

// -----

// Not temporaries: a returned buffer, a buffer freed through a view, an
// index buffer, a buffer with a size read from memory, and one freed
// conditionally. With fewer than two temporaries left nothing changes.
// CHECK-LABEL: func.func @not_planned
// CHECK-NOT:     memref.view
// CHECK-COUNT-5: memref.alloc(
// CHECK-NOT:     memref.view
func.func @not_planned(%x: memref<8xf32>, %sizes: memref<1xindex>, %c: i1) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %returned = memref.alloc() : memref<8xf32>
  linalg.copy ins(%x : memref<8xf32>) outs(%returned : memref<8xf32>)
  %viewfreed = memref.alloc() : memref<8xf32>
  %cast = memref.cast %viewfreed : memref<8xf32> to memref<?xf32>
  %idx = memref.alloc() : memref<4xindex>
  %n = memref.load %sizes[%c0] : memref<1xindex>
  %loaded = memref.alloc(%n) : memref<?xf32>
  %cond = memref.alloc() : memref<8xf32>
  linalg.copy ins(%x : memref<8xf32>) outs(%cond : memref<8xf32>)
  scf.if %c {
    memref.dealloc %cond : memref<8xf32>
  }
  memref.dealloc %cast : memref<?xf32>
  memref.dealloc %idx : memref<4xindex>
  memref.dealloc %loaded : memref<?xf32>
  return %returned : memref<8xf32>
}

// -----

// Functions of several blocks are left alone.
// CHECK-LABEL: func.func @blocks
// CHECK-COUNT-2: memref.alloc()
// CHECK-NOT:     memref.view
func.func @blocks(%x: memref<8xf32>) {
  %a = memref.alloc() : memref<8xf32>
  %b = memref.alloc() : memref<8xf32>
  cf.br ^bb1
^bb1:
  linalg.copy ins(%x : memref<8xf32>) outs(%a : memref<8xf32>)
  linalg.copy ins(%a : memref<8xf32>) outs(%b : memref<8xf32>)
  memref.dealloc %a : memref<8xf32>
  memref.dealloc %b : memref<8xf32>
  return
}
