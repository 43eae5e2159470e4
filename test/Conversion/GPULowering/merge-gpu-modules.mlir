// RUN: tfm-opt %s --tfm-merge-gpu-modules | FileCheck %s
// RUN: tfm-opt %s --tfm-merge-gpu-modules="name=k" | FileCheck %s --check-prefix=NAMED
// RUN: tfm-opt %s --tfm-merge-gpu-modules="name=taken" --split-input-file --verify-diagnostics

// Kernels outlined into a module each end up in one gpu.module and the
// launches follow them.
// CHECK: gpu.module @tfm_kernels {
// CHECK: gpu.func @a(
// CHECK: gpu.func @b(
// CHECK-NOT: gpu.module
// CHECK: gpu.launch_func @tfm_kernels::@a
// CHECK: gpu.launch_func @tfm_kernels::@b
// NAMED: gpu.module @k {
// NAMED: gpu.launch_func @k::@a
// NAMED: gpu.launch_func @k::@b
module attributes {gpu.container_module} {
  gpu.module @m0 {
    gpu.func @a(%m: memref<4xf32>) kernel {
      %f = arith.constant 1.0 : f32
      %t = gpu.thread_id x
      memref.store %f, %m[%t] : memref<4xf32>
      gpu.return
    }
  }
  gpu.module @m1 {
    gpu.func @b(%m: memref<4xf32>) kernel {
      %t = gpu.thread_id x
      %v = memref.load %m[%t] : memref<4xf32>
      %w = arith.addf %v, %v : f32
      memref.store %w, %m[%t] : memref<4xf32>
      gpu.return
    }
  }
  func.func @main(%m: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    gpu.launch_func @m0::@a blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%m : memref<4xf32>)
    gpu.launch_func @m1::@b blocks in (%c1, %c1, %c1) threads in (%c4, %c1, %c1) args(%m : memref<4xf32>)
    return
  }
  // expected-error @+1 {{tfm-merge-gpu-modules: the symbol 'taken' is already taken}}
  func.func private @taken()
}
