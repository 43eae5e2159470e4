// The CUDA pipeline ends in host code in the LLVM dialect that launches the
// kernels of one gpu.binary (PTX by default: no toolkit needed), with the
// GEMM (and its bias) in cuBLASLt and every buffer in managed memory. Launches are queued on
// the runtime's stream without a synchronisation each; the entry point
// synchronises once, before it returns.
// RUN: tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cuda)' | FileCheck %s
// RUN: tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cuda{chip=sm_80})' | FileCheck %s --check-prefix=SM80
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cuda{features=+ptx70})' 2>&1 | FileCheck %s --check-prefix=OLDPTX
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cuda{chip=sm_42})' 2>&1 | FileCheck %s --check-prefix=CHIP
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cuda{format=elf})' 2>&1 | FileCheck %s --check-prefix=FORMAT
// RUN: not tfm-opt %s --pass-pipeline='builtin.module(tfm-to-cuda{features=ptx80})' 2>&1 | FileCheck %s --check-prefix=FEATURE

// CHECK: llvm.func @main(
// CHECK: llvm.call @mgpuMemAlloc(
// CHECK: llvm.call @tfm_cuda_matmul_bias_f32_f32(
// CHECK: gpu.launch_func <%{{.*}} : !llvm.ptr> @tfm_kernels::@main_kernel
// CHECK-NOT: mgpuStreamSynchronize
// CHECK: llvm.call @mgpuMemFree(
// CHECK-NOT: mgpuStreamSynchronize
// CHECK: llvm.call @tfmCudaSynchronize()
// CHECK-NEXT: llvm.return
// CHECK: llvm.func @_mlir_ciface_main(
// CHECK: gpu.binary @tfm_kernels  [#gpu.object<#nvvm.target<O = 3, chip = "sm_90a", features = "+ptx80">
// CHECK-SAME: .version 8.0\0A.target sm_90a
// (The kernels' PTX is checked line by line in test/Target/CUDA.)
// CHECK-NOT: gpu.binary
// CHECK-NOT: linalg.
// CHECK-NOT: memref.
// CHECK-NOT: tfm.

// SM80: #nvvm.target<O = 3, chip = "sm_80", features = "+ptx80">
// SM80-SAME: .target sm_80

// OLDPTX: tfm-to-cuda: PTX ISA 7.0 (+ptx70) cannot target sm_90a: it needs +ptx80 or later
// CHIP: tfm-to-cuda: unsupported CUDA chip 'sm_42' (supported: sm_70,
// FORMAT: tfm-to-cuda: unknown GPU binary format 'elf' (expected ptx, cubin or fatbin)
// FEATURE: tfm-to-cuda: unsupported CUDA feature 'ptx80' (expected +ptxNN, e.g. +ptx80)
func.func @main(%x: tensor<?x?x768xf32>, %w: tensor<768x768xf32>, %b: tensor<768xf32>, %g: tensor<768xf32>) -> tensor<?x?x768xf32> attributes {llvm.emit_c_interface} {
  %0 = tfm.linear %x, %w, %b : (tensor<?x?x768xf32>, tensor<768x768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  %1 = tfm.activation gelu %0 : tensor<?x?x768xf32>
  %2 = tfm.norm layer %1 scale(%g) shift(%b) {epsilon = 1.0e-5 : f64} : (tensor<?x?x768xf32>, tensor<768xf32>, tensor<768xf32>) -> tensor<?x?x768xf32>
  return %2 : tensor<?x?x768xf32>
}
