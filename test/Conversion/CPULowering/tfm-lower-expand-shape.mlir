// RUN: tfm-opt %s -split-input-file -tfm-lower-expand-shape | FileCheck %s

// Dynamic output shape: strides from the source stride times the extents to
// the right within each group; a static stride of the result type stays static.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[SRC:.*]]: memref<?x8xf32>, %[[D0:.*]]: index, %[[D1:.*]]: index)
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %[[SIZES:.*]]:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %[[SRC]]
// CHECK: %[[S0:.*]] = arith.muli %[[D1]], %c8 : index
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [0], sizes: [%[[D0]], %[[D1]], 8], strides: [%[[S0]], 8, 1]
// CHECK-NOT: memref.expand_shape
func.func @dynamic(%src: memref<?x8xf32>, %d0: index, %d1: index) -> memref<?x?x8xf32> {
  %e = memref.expand_shape %src [[0, 1], [2]] output_shape [%d0, %d1, 8] : memref<?x8xf32> into memref<?x?x8xf32>
  return %e : memref<?x?x8xf32>
}

// -----

// A strided source keeps its offset and strides.
// CHECK-LABEL: func.func @strided
// CHECK: %[[BASE:.*]], %[[OFF:.*]], %{{.*}}:2, %[[ST:.*]]:2 = memref.extract_strided_metadata
// CHECK: memref.reinterpret_cast %[[BASE]] to offset: [%[[OFF]]], sizes: [2, 3, %{{.*}}], strides: [%{{.*}}, %[[ST]]#0, %[[ST]]#1]
func.func @strided(%src: memref<6x?xf32, strided<[?, ?], offset: ?>>, %n: index) -> memref<2x3x?xf32, strided<[?, ?, ?], offset: ?>> {
  %e = memref.expand_shape %src [[0, 1], [2]] output_shape [2, 3, %n] : memref<6x?xf32, strided<[?, ?], offset: ?>> into memref<2x3x?xf32, strided<[?, ?, ?], offset: ?>>
  return %e : memref<2x3x?xf32, strided<[?, ?, ?], offset: ?>>
}
