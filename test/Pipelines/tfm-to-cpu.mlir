// The CPU pipeline ends in the LLVM dialect, with the f32 GEMM in the runtime
// and a C interface on the entry point.
// RUN: tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cpu)' | FileCheck %s
// RUN: tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cpu{runtime-gemm=false})' | FileCheck %s --check-prefix=LOOPS

// CHECK: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK: llvm.func private @tfm_rt_matmul_f32(
// CHECK: llvm.call @_mlir_ciface_tfm_rt_matmul_f32(
// CHECK: llvm.func @_mlir_ciface_tfm_rt_matmul_f32(!llvm.ptr, !llvm.ptr, !llvm.ptr)
// CHECK: llvm.func @main(
// CHECK: llvm.call @tfm_rt_matmul_f32(
// CHECK: llvm.func @_mlir_ciface_main(
// CHECK-NOT: tfm.
// CHECK-NOT: linalg.
// CHECK-NOT: memref.

// The loop form multiplies and accumulates in LLVM instructions.
// LOOPS-NOT: tfm_rt_matmul
// LOOPS: llvm.func @main(
// LOOPS: llvm.fmul
// LOOPS: llvm.fadd
func.func @main(%x: tensor<?x?x8xf32>, %w: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<?x?x4xf32> attributes {llvm.emit_c_interface} {
  %0 = tfm.linear %x, %w, %b : (tensor<?x?x8xf32>, tensor<8x4xf32>, tensor<4xf32>) -> tensor<?x?x4xf32>
  %1 = tfm.activation gelu %0 : tensor<?x?x4xf32>
  return %1 : tensor<?x?x4xf32>
}
