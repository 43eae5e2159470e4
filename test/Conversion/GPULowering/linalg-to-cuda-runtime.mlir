// RUN: tfm-opt %s --convert-linalg-to-tfm-runtime="runtime=cuda" | FileCheck %s
// RUN: not tfm-opt %s --convert-linalg-to-tfm-runtime="runtime=tpu" 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: unknown runtime 'tpu' (expected cpu or cuda)

// GEMMs go to the CUDA runtime's cuBLASLt entry points, named by operand
// types; a zero fill right before becomes the overwriting variant.
// CHECK-DAG: func.func private @tfm_cuda_matmul_set_bf16_f32(memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tfm_cuda_batch_matmul_f32_f32(
// CHECK-DAG: func.func private @tfm_cuda_matmul_f16_f16(
// CHECK-LABEL: func.func @gemms
// CHECK-NOT: linalg.fill
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: call @tfm_cuda_batch_matmul_f32_f32(
// CHECK: call @tfm_cuda_matmul_f16_f16(
// An integer GEMM, and mixed input types, stay for the kernel templates.
// CHECK: linalg.matmul ins({{.*}} : memref<4x8xi32>, memref<8x16xi32>)
// CHECK: linalg.matmul ins({{.*}} : memref<4x8xf16>, memref<8x16xbf16>)
func.func @gemms(%a: memref<4x8xbf16>, %b: memref<8x16xbf16>, %c: memref<4x16xf32>,
                 %ba: memref<2x4x8xf32>, %bb: memref<2x8x16xf32>, %bc: memref<2x4x16xf32>,
                 %ha: memref<4x8xf16>, %hb: memref<8x16xf16>, %hc: memref<4x16xf16>,
                 %ia: memref<4x8xi32>, %ib: memref<8x16xi32>, %ic: memref<4x16xi32>,
                 %xb: memref<8x16xbf16>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c : memref<4x16xf32>)
  linalg.batch_matmul ins(%ba, %bb : memref<2x4x8xf32>, memref<2x8x16xf32>) outs(%bc : memref<2x4x16xf32>)
  linalg.matmul ins(%ha, %hb : memref<4x8xf16>, memref<8x16xf16>) outs(%hc : memref<4x16xf16>)
  linalg.matmul ins(%ia, %ib : memref<4x8xi32>, memref<8x16xi32>) outs(%ic : memref<4x16xi32>)
  linalg.matmul ins(%ha, %xb : memref<4x8xf16>, memref<8x16xbf16>) outs(%c : memref<4x16xf32>)
  return
}
