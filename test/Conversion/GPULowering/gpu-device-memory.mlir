// RUN: tfm-opt %s --tfm-gpu-device-memory --split-input-file --verify-diagnostics | FileCheck %s

memref.global "private" constant @w : memref<2x3xf32> = dense<1.0>

// Entry points keep host-memory arguments and results: the argument is
// copied into managed memory first (gpu.memcpy, in stream order), every
// buffer is managed memory, weights come from the runtime's upload cache,
// buffer copies become kernels (linalg.copy), and the result is copied out
// into a host buffer before the device buffers go back to the pool. Frees
// do not wait.
// CHECK-LABEL: func.func private @tfm_cuda_constant_r2_f32(memref<?x?xf32>) -> memref<?x?xf32> attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[ARG:.*]]: memref<2x3xf32>) -> memref<2x3xf32>
// CHECK: %[[STAGED:.*]] = gpu.alloc host_shared () : memref<2x3xf32>
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: gpu.memcpy async [%[[S0]]] %[[STAGED]], %[[ARG]] : memref<2x3xf32>, memref<2x3xf32>
// CHECK: %[[HOSTW:.*]] = memref.get_global @w
// CHECK: %[[DYN:.*]] = memref.cast %[[HOSTW]] : memref<2x3xf32> to memref<?x?xf32>
// CHECK: %[[DEVW:.*]] = call @tfm_cuda_constant_r2_f32(%[[DYN]])
// CHECK: %[[W:.*]] = memref.cast %[[DEVW]] : memref<?x?xf32> to memref<2x3xf32>
// CHECK: %[[BUF:.*]] = gpu.alloc host_shared () : memref<2x3xf32>
// CHECK: linalg.copy ins(%[[W]] : memref<2x3xf32>) outs(%[[BUF]] : memref<2x3xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[STAGED]] : memref<2x3xf32>) outs(%[[BUF]] : memref<2x3xf32>)
// CHECK: %[[TMP:.*]] = gpu.alloc host_shared () : memref<2x3xf32>
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: gpu.dealloc async [%[[T0]]] %[[TMP]]
// CHECK-NOT: gpu.wait [
// CHECK: %[[HOST:.*]] = memref.alloc() : memref<2x3xf32>
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: gpu.memcpy async [%[[S1]]] %[[HOST]], %[[BUF]] : memref<2x3xf32>, memref<2x3xf32>
// CHECK: gpu.dealloc async {{.*}} %[[BUF]]
// CHECK: gpu.dealloc async {{.*}} %[[STAGED]]
// CHECK: return %[[HOST]]
func.func @main(%x: memref<2x3xf32>) -> memref<2x3xf32> {
  %w = memref.get_global @w : memref<2x3xf32>
  %buf = memref.alloc() : memref<2x3xf32>
  memref.copy %w, %buf : memref<2x3xf32> to memref<2x3xf32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x3xf32>) outs(%buf : memref<2x3xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  }
  %tmp = memref.alloc() : memref<2x3xf32>
  memref.dealloc %tmp : memref<2x3xf32>
  return %buf : memref<2x3xf32>
}

// -----

// Private functions (outlined blocks) take device buffers as they are; a
// dynamic buffer keeps its sizes, and tfm-plan-buffers's arena its mark.
// CHECK-LABEL: func.func private @block(
// CHECK-NOT: memref.copy
// CHECK: %[[B:.*]] = gpu.alloc host_shared (%{{.*}}) : memref<?xf32>
// CHECK: gpu.alloc host_shared (%{{.*}}) {tfm.arena} : memref<?xi8>
// CHECK: return %[[B]]
func.func private @block(%x: memref<?xf32>, %n: index) -> memref<?xf32> {
  %b = memref.alloc(%n) : memref<?xf32>
  %arena = memref.alloc(%n) {tfm.arena} : memref<?xi8>
  memref.dealloc %arena : memref<?xi8>
  return %b : memref<?xf32>
}

// -----

// An entry returning its argument returns a host copy; the staging buffer
// is freed once.
// CHECK-LABEL: func.func @identity(
// CHECK: %[[S:.*]] = gpu.alloc host_shared
// CHECK: %[[H:.*]] = memref.alloc(
// CHECK: gpu.memcpy async [%{{.*}}] %[[H]], %[[S]]
// CHECK-COUNT-1: gpu.dealloc
// CHECK-NOT: gpu.dealloc
// CHECK: return %[[H]]
func.func @identity(%x: memref<?xf32>) -> memref<?xf32> {
  return %x : memref<?xf32>
}

// -----

// A strided view is copied out by the host (tfm-gpu-async waits first).
// CHECK-LABEL: func.func @strided_result(
// CHECK: %[[H:.*]] = memref.alloc() : memref<2x2xf32>
// CHECK-NOT: gpu.memcpy
// CHECK: memref.copy %{{.*}}, %[[H]] : memref<2x2xf32, strided<[?, ?], offset: ?>> to memref<2x2xf32>
func.func @strided_result(%x: memref<2x3xf32>) -> memref<2x2xf32, strided<[?, ?], offset: ?>> {
  %b = memref.alloc() : memref<2x3xf32>
  linalg.copy ins(%x : memref<2x3xf32>) outs(%b : memref<2x3xf32>)
  %v = memref.subview %b[0, 0] [2, 2] [1, 1] : memref<2x3xf32> to memref<2x2xf32, strided<[3, 1]>>
  %c = memref.cast %v : memref<2x2xf32, strided<[3, 1]>> to memref<2x2xf32, strided<[?, ?], offset: ?>>
  return %c : memref<2x2xf32, strided<[?, ?], offset: ?>>
}

// -----

memref.global "private" @state : memref<4xf32> = dense<0.0>

func.func @mutable() {
  // expected-error @below {{only constant globals can be used on the GPU, 'state' is mutable}}
  %s = memref.get_global @state : memref<4xf32>
  return
}

// -----

func.func @nested_alloca(%c: i1) {
  scf.if %c {
    // expected-error @below {{a stack buffer outside the function's entry block cannot be placed in GPU memory}}
    %a = memref.alloca() : memref<4xf32>
  }
  return
}
