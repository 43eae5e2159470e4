// RUN: tfm-opt %s --pass-pipeline='builtin.module(gpu.module(tfm-gpu-launch-bounds))' | FileCheck %s
// RUN: tfm-opt %s --pass-pipeline='builtin.module(gpu.module(tfm-gpu-launch-bounds{min-blocks-per-sm=3}))' | FileCheck %s --check-prefix=THREE
// RUN: tfm-opt %s --pass-pipeline='builtin.module(gpu.module(tfm-gpu-launch-bounds{min-blocks-per-sm=0}))' --verify-diagnostics --split-input-file

// A kernel with mma.sync (the tensor-core attention) declares at least two
// resident blocks an SM; one without is left to ptxas; a declared bound is
// kept; non-kernel functions are never marked.
// CHECK-LABEL: gpu.func @warp_mma
// CHECK-SAME: kernel attributes {nvvm.minctasm = 2 : i32}
// CHECK-LABEL: gpu.func @elementwise
// CHECK-NOT: nvvm.minctasm
// CHECK-LABEL: gpu.func @declared
// CHECK-SAME: nvvm.minctasm = 1 : i32
// CHECK-LABEL: gpu.func @helper
// CHECK-NOT: nvvm.minctasm
// THREE-LABEL: gpu.func @warp_mma
// THREE-SAME: nvvm.minctasm = 3 : i32
// THREE-LABEL: gpu.func @declared
// THREE-SAME: nvvm.minctasm = 1 : i32
// expected-error @below {{tfm-gpu-launch-bounds: min-blocks-per-sm must be at least 1}}
gpu.module @kernels {
  gpu.func @warp_mma(%a: i32, %out: memref<32xf32>) kernel {
    %c = arith.constant 0.0 : f32
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%a, %a] C[%c, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %e = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
    %t = gpu.thread_id x
    memref.store %e, %out[%t] : memref<32xf32>
    gpu.return
  }
  gpu.func @elementwise(%out: memref<32xf32>) kernel {
    %c = arith.constant 1.0 : f32
    %t = gpu.thread_id x
    memref.store %c, %out[%t] : memref<32xf32>
    gpu.return
  }
  gpu.func @declared(%a: i32, %out: memref<32xf32>) kernel attributes {nvvm.minctasm = 1 : i32} {
    %c = arith.constant 0.0 : f32
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%a, %a] C[%c, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %e = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
    %t = gpu.thread_id x
    memref.store %e, %out[%t] : memref<32xf32>
    gpu.return
  }
  gpu.func @helper(%a: i32) -> f32 {
    %c = arith.constant 0.0 : f32
    %d = nvvm.mma.sync A[%a, %a, %a, %a] B[%a, %a] C[%c, %c, %c, %c]
        {layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>,
         multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>,
         shape = #nvvm.shape<m = 16, n = 8, k = 16>} : (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
    %e = llvm.extractvalue %d[0] : !llvm.struct<(f32, f32, f32, f32)>
    gpu.return %e : f32
  }
}
