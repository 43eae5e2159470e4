// RUN: tfm-opt %s -split-input-file -convert-linalg-to-tfm-runtime | FileCheck %s

// f32 matmuls on buffers call the runtime GEMM through strided views.
// CHECK: func.func private @tfm_rt_matmul_f32(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<8x4xf32>, %[[C:.*]]: memref<?x4xf32>)
// CHECK: %[[VA:.*]] = memref.cast %[[A]] : memref<?x8xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[VB:.*]] = memref.cast %[[B]]
// CHECK: %[[VC:.*]] = memref.cast %[[C]]
// CHECK: call @tfm_rt_matmul_f32(%[[VA]], %[[VB]], %[[VC]])
// CHECK-NOT: linalg.matmul
func.func @matmul(%a: memref<?x8xf32>, %b: memref<8x4xf32>, %c: memref<?x4xf32>) {
  linalg.matmul ins(%a, %b : memref<?x8xf32>, memref<8x4xf32>) outs(%c : memref<?x4xf32>)
  return
}

// -----

// CHECK: func.func private @tfm_rt_batch_matmul_f32(
// CHECK-LABEL: func.func @batch_matmul
// CHECK: call @tfm_rt_batch_matmul_f32(
func.func @batch_matmul(%a: memref<2x3x8xf32>, %b: memref<2x8x4xf32, strided<[64, 1, 8]>>, %c: memref<2x3x4xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<2x3x8xf32>, memref<2x8x4xf32, strided<[64, 1, 8]>>) outs(%c : memref<2x3x4xf32>)
  return
}

// -----

// 16-bit operands with an f32 accumulator call the runtime's widening GEMMs.
// CHECK-DAG: func.func private @tfm_rt_matmul_bf16_f32(memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tfm_rt_batch_matmul_set_f16_f32(memref<?x?x?xf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf16, strided<[?, ?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-LABEL: func.func @narrow
// CHECK: call @tfm_rt_matmul_bf16_f32(
// CHECK: call @tfm_rt_batch_matmul_set_f16_f32(
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.batch_matmul
func.func @narrow(%a: memref<2x8xbf16>, %b: memref<8x4xbf16>, %c: memref<2x4xf32>,
                  %ha: memref<3x2x8xf16>, %hb: memref<3x8x4xf16>, %hc: memref<3x2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.matmul ins(%a, %b : memref<2x8xbf16>, memref<8x4xbf16>) outs(%c : memref<2x4xf32>)
  linalg.fill ins(%zero : f32) outs(%hc : memref<3x2x4xf32>)
  linalg.batch_matmul ins(%ha, %hb : memref<3x2x8xf16>, memref<3x8x4xf16>) outs(%hc : memref<3x2x4xf32>)
  return
}

// -----

// Left alone: a 16-bit accumulator, mixed operand types, f64, tensors.
// CHECK-LABEL: func.func @not_converted
// CHECK-NOT: call
// CHECK: linalg.matmul ins(%{{.*}} : memref<2x8xf16>, memref<8x4xf16>) outs(%{{.*}} : memref<2x4xf16>)
// CHECK: linalg.matmul ins(%{{.*}} : memref<2x8xf16>, memref<8x4xbf16>) outs(%{{.*}} : memref<2x4xf32>)
// CHECK: linalg.matmul ins(%{{.*}} : memref<2x8xf64>, memref<8x4xf64>) outs(%{{.*}} : memref<2x4xf64>)
// CHECK: linalg.matmul ins(%{{.*}} : tensor<2x8xf32>, tensor<8x4xf32>) outs(%{{.*}} : tensor<2x4xf32>)
func.func @not_converted(%a: memref<2x8xf16>, %b: memref<8x4xf16>, %c: memref<2x4xf16>,
                         %xb: memref<8x4xbf16>, %xc: memref<2x4xf32>,
                         %d: memref<2x8xf64>, %e: memref<8x4xf64>, %f: memref<2x4xf64>,
                         %t: tensor<2x8xf32>, %u: tensor<8x4xf32>, %v: tensor<2x4xf32>) -> tensor<2x4xf32> {
  linalg.matmul ins(%a, %b : memref<2x8xf16>, memref<8x4xf16>) outs(%c : memref<2x4xf16>)
  linalg.matmul ins(%a, %xb : memref<2x8xf16>, memref<8x4xbf16>) outs(%xc : memref<2x4xf32>)
  linalg.matmul ins(%d, %e : memref<2x8xf64>, memref<8x4xf64>) outs(%f : memref<2x4xf64>)
  %r = linalg.matmul ins(%t, %u : tensor<2x8xf32>, tensor<8x4xf32>) outs(%v : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %r : tensor<2x4xf32>
}

// -----

// A zero fill right before the GEMM: overwrite instead of fill + accumulate.
// A non-zero fill, or a fill of another buffer, stays.
// CHECK-LABEL: func.func @fill_then_gemm
// CHECK-NOT: linalg.fill ins(%{{.*}} : f32) outs(%[[C0:.*]] : memref<3x4xf32>)
// CHECK: call @tfm_rt_matmul_set_f32(
// CHECK: linalg.fill
// CHECK: call @tfm_rt_matmul_f32(
// CHECK: linalg.fill
// CHECK: call @tfm_rt_batch_matmul_f32(
func.func @fill_then_gemm(%a: memref<3x8xf32>, %b: memref<8x4xf32>, %c: memref<3x4xf32>, %d: memref<3x4xf32>,
                          %ba: memref<2x3x8xf32>, %bb: memref<2x8x4xf32>, %bc: memref<2x3x4xf32>, %bd: memref<2x3x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<3x4xf32>)
  linalg.matmul ins(%a, %b : memref<3x8xf32>, memref<8x4xf32>) outs(%c : memref<3x4xf32>)
  linalg.fill ins(%one : f32) outs(%d : memref<3x4xf32>)
  linalg.matmul ins(%a, %b : memref<3x8xf32>, memref<8x4xf32>) outs(%d : memref<3x4xf32>)
  linalg.fill ins(%zero : f32) outs(%bd : memref<2x3x4xf32>)
  linalg.batch_matmul ins(%ba, %bb : memref<2x3x8xf32>, memref<2x8x4xf32>) outs(%bc : memref<2x3x4xf32>)
  return
}

// -----

// Views, shape reads and constants between the fill and the GEMM do not
// hide it (the GEMM's operands are often reshaped right there); anything
// that touches memory does.
// CHECK-LABEL: func.func @fill_view_gemm
// CHECK-NOT: linalg.fill
// CHECK: memref.collapse_shape
// CHECK: call @tfm_rt_matmul_set_f32(
// CHECK: linalg.fill
// CHECK: memref.copy
// CHECK: call @tfm_rt_matmul_f32(
func.func @fill_view_gemm(%a3: memref<1x3x8xf32>, %b: memref<8x4xf32>, %c: memref<3x4xf32>,
                          %d: memref<3x4xf32>, %e: memref<3x4xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<3x4xf32>)
  %a = memref.collapse_shape %a3 [[0, 1], [2]] : memref<1x3x8xf32> into memref<3x8xf32>
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c1 : memref<3x8xf32>
  linalg.matmul ins(%a, %b : memref<3x8xf32>, memref<8x4xf32>) outs(%c : memref<3x4xf32>)
  linalg.fill ins(%zero : f32) outs(%d : memref<3x4xf32>)
  memref.copy %d, %e : memref<3x4xf32> to memref<3x4xf32>
  linalg.matmul ins(%a, %b : memref<3x8xf32>, memref<8x4xf32>) outs(%d : memref<3x4xf32>)
  return
}
