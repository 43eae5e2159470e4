// RUN: tfm-opt %s --tfm-emulate-cuda-host --split-input-file --verify-diagnostics | FileCheck %s

// The host side of a CUDA entry (tfm-gpu-device-memory's staging, a
// cuBLASLt GEMM with a bias epilogue, stream-ordered frees): managed
// buffers become host allocations, the copies memref.copy, the stream
// waits and tokens go, and the runtime's functions are renamed to its CPU
// stand-in, declarations and calls alike.
// CHECK-LABEL: func.func private @tfm_emulated_cuda_matmul_bias_f32_f32(
// CHECK-NOT: @tfm_cuda_
// CHECK-LABEL: func.func @main
// CHECK-SAME: (%[[X:.*]]: memref<2x3xf32>, %[[W:.*]]: memref<?x?xf32>, %[[B:.*]]: memref<?xf32>)
// CHECK-NOT: gpu.
// CHECK: %[[STAGED:.*]] = memref.alloc() : memref<2x3xf32>
// CHECK: memref.copy %[[X]], %[[STAGED]]
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: call @tfm_emulated_cuda_matmul_bias_f32_f32(
// CHECK: %[[HOST:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: memref.copy %[[OUT]], %[[HOST]]
// CHECK: memref.dealloc %[[OUT]]
// CHECK: memref.dealloc %[[STAGED]]
// CHECK: return %[[HOST]]
func.func private @tfm_cuda_matmul_bias_f32_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
func.func @main(%x: memref<2x3xf32>, %w: memref<?x?xf32>, %b: memref<?xf32>) -> memref<2x4xf32> {
  %staged = gpu.alloc host_shared () : memref<2x3xf32>
  %t0 = gpu.wait async
  %t1 = gpu.memcpy async [%t0] %staged, %x : memref<2x3xf32>, memref<2x3xf32>
  %out = gpu.alloc host_shared () : memref<2x4xf32>
  %a = memref.cast %staged : memref<2x3xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %wv = memref.cast %w : memref<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  %bv = memref.cast %b : memref<?xf32> to memref<?xf32, strided<[?], offset: ?>>
  %c = memref.cast %out : memref<2x4xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
  call @tfm_cuda_matmul_bias_f32_f32(%a, %wv, %bv, %c) : (memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) -> ()
  %host = memref.alloc() : memref<2x4xf32>
  %t2 = gpu.wait async
  %t3 = gpu.memcpy async [%t2] %host, %out : memref<2x4xf32>, memref<2x4xf32>
  gpu.wait [%t3]
  %t4 = gpu.wait async
  %t5 = gpu.dealloc async [%t4] %out : memref<2x4xf32>
  %t6 = gpu.dealloc async [%t4] %staged : memref<2x3xf32>
  return %host : memref<2x4xf32>
}

// -----

func.func @launch_left(%n: index) {
  // expected-error @+1 {{expected no kernel launches (run tfm-emulate-gpu-launches first)}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %n, %gz = %n)
             threads(%tx, %ty, %tz) in (%sx = %n, %sy = %n, %sz = %n) {
    gpu.terminator
  }
  return
}

// -----

func.func @workgroup_buffer() {
  // expected-error @+1 {{expected a buffer in the default memory space}}
  %b = gpu.alloc () : memref<4xf32, #gpu.address_space<global>>
  return
}

// -----

func.func private @consume(!gpu.async.token)
func.func @token_escapes() {
  %t = gpu.wait async
  // expected-error @+1 {{an async token of a GPU memory operation is used here}}
  call @consume(%t) : (!gpu.async.token) -> ()
  return
}
