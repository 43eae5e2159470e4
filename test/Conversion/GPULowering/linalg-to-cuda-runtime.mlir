// RUN: tfm-opt %s -split-input-file --convert-linalg-to-tfm-runtime="runtime=cuda" | FileCheck %s
// RUN: not tfm-opt %s -split-input-file --convert-linalg-to-tfm-runtime="runtime=tpu" 2>&1 | FileCheck %s --check-prefix=BAD

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

// -----

// A bias broadcast over the rows of C right before the GEMM becomes the
// bias-epilogue GEMM (C = A B + bias): the broadcast and the read of C are
// gone.
// CHECK-DAG: func.func private @tfm_cuda_matmul_bias_bf16_f32(memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?xf32, strided<[?], offset: ?>>, memref<?x?xf32, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tfm_cuda_matmul_bias_f16_f16(
// CHECK-LABEL: func.func @bias
// CHECK-SAME: (%[[A:[^:]*]]: memref<?x8xbf16>, %[[B:[^:]*]]: memref<8x16xbf16>, %[[BIAS:[^:]*]]: memref<16xf32>, %[[C:[^:]*]]: memref<?x16xf32>
// CHECK-NOT: linalg.broadcast
// CHECK: %[[VA:.*]] = memref.cast %[[A]]
// CHECK: %[[VB:.*]] = memref.cast %[[B]]
// CHECK: %[[VBIAS:.*]] = memref.cast %[[BIAS]] : memref<16xf32> to memref<?xf32, strided<[?], offset: ?>>
// CHECK: %[[VC:.*]] = memref.cast %[[C]]
// CHECK: call @tfm_cuda_matmul_bias_bf16_f32(%[[VA]], %[[VB]], %[[VBIAS]], %[[VC]])
// CHECK: call @tfm_cuda_matmul_bias_f16_f16(
// CHECK-NOT: linalg.matmul
func.func @bias(%a: memref<?x8xbf16>, %b: memref<8x16xbf16>, %bias: memref<16xf32>, %c: memref<?x16xf32>,
                %ha: memref<4x8xf16>, %hb: memref<8x16xf16>, %hbias: memref<16xf16>, %hc: memref<4x16xf16>) {
  linalg.broadcast ins(%bias : memref<16xf32>) outs(%c : memref<?x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<?x8xbf16>, memref<8x16xbf16>) outs(%c : memref<?x16xf32>)
  linalg.broadcast ins(%hbias : memref<16xf16>) outs(%hc : memref<4x16xf16>) dimensions = [0]
  linalg.matmul ins(%ha, %hb : memref<4x8xf16>, memref<8x16xf16>) outs(%hc : memref<4x16xf16>)
  return
}

// -----

// A view of an operand between the broadcast and the GEMM does not hide
// the bias; a copy (memory) does.
// CHECK-LABEL: func.func @bias_view
// CHECK-NOT: linalg.broadcast
// CHECK: memref.collapse_shape
// CHECK: call @tfm_cuda_matmul_bias_f32_f32(
// CHECK: linalg.broadcast
// CHECK: memref.copy
// CHECK: call @tfm_cuda_matmul_f32_f32(
func.func @bias_view(%a3: memref<1x4x8xf32>, %b: memref<8x16xf32>, %bias: memref<16xf32>,
                     %c: memref<4x16xf32>, %d: memref<4x16xf32>, %e: memref<4x16xf32>) {
  linalg.broadcast ins(%bias : memref<16xf32>) outs(%c : memref<4x16xf32>) dimensions = [0]
  %a = memref.collapse_shape %a3 [[0, 1], [2]] : memref<1x4x8xf32> into memref<4x8xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.broadcast ins(%bias : memref<16xf32>) outs(%d : memref<4x16xf32>) dimensions = [0]
  memref.copy %e, %e : memref<4x16xf32> to memref<4x16xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%d : memref<4x16xf32>)
  return
}

// -----

// Not a bias epilogue: a broadcast along C's columns, a strided bias, a strided C, a broadcast into another buffer;
// the GEMMs accumulate onto the broadcast instead.
// CHECK-LABEL: func.func @not_bias
// CHECK-NOT: _bias_
// CHECK: linalg.broadcast ins(%{{.*}} : memref<4xf32>) outs(%{{.*}} : memref<4x16xf32>) dimensions = [1]
// CHECK-NEXT: memref.cast
// CHECK: call @tfm_cuda_matmul_f32_f32(
// CHECK: linalg.broadcast ins(%{{.*}} : memref<16xf32, strided<[2]>>)
// CHECK: call @tfm_cuda_matmul_f32_f32(
// CHECK: linalg.broadcast ins(%{{.*}} : memref<16xf32>) outs(%{{.*}} : memref<4x16xf32, strided<[32, 1]>>)
// CHECK: call @tfm_cuda_matmul_f32_f32(
// CHECK: linalg.broadcast ins(%{{.*}} : memref<16xf32>) outs(%{{.*}} : memref<4x16xf32>)
// CHECK: call @tfm_cuda_matmul_f32_f32(
func.func @not_bias(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>, %d: memref<4x16xf32>,
                    %rowbias: memref<4xf32>, %bias: memref<16xf32>, %sbias: memref<16xf32, strided<[2]>>,
                    %sc: memref<4x16xf32, strided<[32, 1]>>) {
  linalg.broadcast ins(%rowbias : memref<4xf32>) outs(%c : memref<4x16xf32>) dimensions = [1]
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.broadcast ins(%sbias : memref<16xf32, strided<[2]>>) outs(%c : memref<4x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.broadcast ins(%bias : memref<16xf32>) outs(%sc : memref<4x16xf32, strided<[32, 1]>>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%sc : memref<4x16xf32, strided<[32, 1]>>)
  linalg.broadcast ins(%bias : memref<16xf32>) outs(%d : memref<4x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// A 16-bit GEMM whose f32 result is only rounded back to the operands' type
// writes that type itself (cuBLASLt accumulates in f32 and rounds once):
// the rounding kernel and the f32 buffer's write and read are gone. The
// bias is then the 16-bit vector the f32 one was widened from. Views
// between the ops do not matter.
#id = affine_map<(d0, d1) -> (d0, d1)>
#id1 = affine_map<(d0) -> (d0)>
// CHECK-DAG: func.func private @tfm_cuda_matmul_bias_bf16_bf16(memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?x?xbf16, strided<[?, ?], offset: ?>>, memref<?xbf16, strided<[?], offset: ?>>, memref<?x?xbf16, strided<[?, ?], offset: ?>>) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tfm_cuda_matmul_set_f16_f16(
// CHECK-LABEL: func.func @narrow_store
// CHECK-SAME: (%[[A:[^:]*]]: memref<?x8xbf16>, %[[B:[^:]*]]: memref<8x16xbf16>, %[[BIAS:[^:]*]]: memref<16xbf16>
// The widening of the bias, read by nothing now, is gone too.
// CHECK-NOT: arith.extf
// CHECK: %[[ARENA:.*]] = memref.alloc
// CHECK: %[[D:.*]] = memref.view %[[ARENA]]
// CHECK: %[[VA:.*]] = memref.cast %[[A]]
// CHECK: %[[VB:.*]] = memref.cast %[[B]]
// CHECK: %[[VBIAS:.*]] = memref.cast %[[BIAS]] : memref<16xbf16> to memref<?xbf16, strided<[?], offset: ?>>
// CHECK: %[[VD:.*]] = memref.cast %[[D]] : memref<?x16xbf16> to memref<?x?xbf16, strided<[?, ?], offset: ?>>
// CHECK: call @tfm_cuda_matmul_bias_bf16_bf16(%[[VA]], %[[VB]], %[[VBIAS]], %[[VD]])
// CHECK: call @tfm_cuda_matmul_set_f16_f16(
// CHECK-NOT: linalg.
// CHECK: return
func.func @narrow_store(%a: memref<?x8xbf16>, %b: memref<8x16xbf16>, %bias: memref<16xbf16>, %wide: memref<16xf32>, %c: memref<?x16xf32>,
                        %ha: memref<4x8xf16>, %hb: memref<8x16xf16>, %hc: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#id1, #id1], iterator_types = ["parallel"]} ins(%bias : memref<16xbf16>) outs(%wide : memref<16xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %0 = arith.extf %in : bf16 to f32
    linalg.yield %0 : f32
  }
  %n = memref.dim %c, %c0 : memref<?x16xf32>
  linalg.broadcast ins(%wide : memref<16xf32>) outs(%c : memref<?x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<?x8xbf16>, memref<8x16xbf16>) outs(%c : memref<?x16xf32>)
  %bytes = arith.muli %n, %c32 : index
  %arena = memref.alloc(%bytes) : memref<?xi8>
  %d = memref.view %arena[%c0][%n] : memref<?xi8> to memref<?x16xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c : memref<?x16xf32>) outs(%d : memref<?x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  linalg.fill ins(%zero : f32) outs(%hc : memref<4x16xf32>)
  linalg.matmul ins(%ha, %hb : memref<4x8xf16>, memref<8x16xf16>) outs(%hc : memref<4x16xf32>)
  %hd = memref.alloc() : memref<4x16xf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%hc : memref<4x16xf32>) outs(%hd : memref<4x16xf16>) {
  ^bb0(%in: f32, %out: f16):
    %0 = arith.truncf %in : f32 to f16
    linalg.yield %0 : f16
  }
  return
}

// -----

// Not stored narrow: the f32 result is read again; rounded to another type;
// accumulated onto C's old contents; a bias that was not widened, or was
// widened from another type than the operands' (the f32 bias stays). A
// widened bias that is read again keeps its widening kernel.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @not_narrow_store
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: linalg.copy
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: arith.truncf {{.*}} : f32 to f16
// CHECK: call @tfm_cuda_matmul_bf16_f32(
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: call @tfm_cuda_matmul_bias_bf16_f32(
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: arith.extf {{.*}} : f16 to f32
// CHECK: call @tfm_cuda_matmul_bias_bf16_f32(
// CHECK: arith.truncf {{.*}} : f32 to bf16
// CHECK: arith.extf {{.*}} : bf16 to f32
// CHECK: call @tfm_cuda_matmul_bias_bf16_bf16(
// CHECK: linalg.copy ins(%{{.*}} : memref<16xf32>)
func.func @not_narrow_store(%a: memref<4x8xbf16>, %b: memref<8x16xbf16>,
                            %c1: memref<4x16xf32>, %e: memref<4x16xf32>, %c2: memref<4x16xf32>,
                            %c3: memref<4x16xf32>, %c4: memref<4x16xf32>, %wide: memref<16xf32>,
                            %c5: memref<4x16xf32>, %hbias: memref<16xf16>, %wide5: memref<16xf32>,
                            %c6: memref<4x16xf32>, %xbias: memref<16xbf16>, %wide6: memref<16xf32>, %keep: memref<16xf32>) {
  %zero = arith.constant 0.0 : f32
  %d = memref.alloc() : memref<4x16xbf16>
  %hd = memref.alloc() : memref<4x16xf16>
  linalg.fill ins(%zero : f32) outs(%c1 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c1 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c1 : memref<4x16xf32>) outs(%d : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  linalg.copy ins(%c1 : memref<4x16xf32>) outs(%e : memref<4x16xf32>)
  linalg.fill ins(%zero : f32) outs(%c2 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c2 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c2 : memref<4x16xf32>) outs(%hd : memref<4x16xf16>) {
  ^bb0(%in: f32, %out: f16):
    %0 = arith.truncf %in : f32 to f16
    linalg.yield %0 : f16
  }
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c3 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c3 : memref<4x16xf32>) outs(%d : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  linalg.broadcast ins(%wide : memref<16xf32>) outs(%c4 : memref<4x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c4 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c4 : memref<4x16xf32>) outs(%d : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%hbias : memref<16xf16>) outs(%wide5 : memref<16xf32>) {
  ^bb0(%in: f16, %out: f32):
    %0 = arith.extf %in : f16 to f32
    linalg.yield %0 : f32
  }
  linalg.broadcast ins(%wide5 : memref<16xf32>) outs(%c5 : memref<4x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c5 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c5 : memref<4x16xf32>) outs(%d : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%xbias : memref<16xbf16>) outs(%wide6 : memref<16xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %0 = arith.extf %in : bf16 to f32
    linalg.yield %0 : f32
  }
  linalg.broadcast ins(%wide6 : memref<16xf32>) outs(%c6 : memref<4x16xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c6 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c6 : memref<4x16xf32>) outs(%d : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  linalg.copy ins(%wide6 : memref<16xf32>) outs(%keep : memref<16xf32>)
  return
}

// -----

// The GEMM storing D reads A, B and the bias while it writes D, where the
// program wrote D only after it: D must share no byte with them. Slots of
// one arena at constant offsets are compared; a slot at a dynamic offset,
// a buffer written in place (A's own), and two arguments (the caller may
// pass one buffer twice) may overlap; distinct allocations, or an
// allocation and an argument (B), do not. Allocations between the GEMM and the
// rounding are skipped.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @narrow_store_overlap
// CHECK: %[[ARENA:.*]] = memref.alloc() : memref<1024xi8>
// A: bytes [0, 64). D: bytes [64, 192), disjoint.
// CHECK: %[[D:.*]] = memref.view %[[ARENA]][%c64{{.*}}] : memref<1024xi8> to memref<4x16xbf16>
// CHECK: %[[VD:.*]] = memref.cast %[[D]]
// CHECK: call @tfm_cuda_matmul_set_bf16_bf16(%{{.*}}, %{{.*}}, %[[VD]])
// D at [32, 160) overlaps A.
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: arith.truncf
// D at a dynamic offset.
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: arith.truncf
// D written in place over the buffer A is a view of.
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: arith.truncf
// D and A both arguments.
// CHECK: call @tfm_cuda_matmul_set_bf16_f32(
// CHECK: arith.truncf
// A fresh allocation between the GEMM and the rounding.
// CHECK: memref.alloc() : memref<4x16xbf16>
// CHECK: call @tfm_cuda_matmul_set_bf16_bf16(
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @narrow_store_overlap(%b: memref<8x16xbf16>,
                                %at: index, %argA: memref<4x8xbf16>, %argD: memref<4x16xbf16>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %arena = memref.alloc() : memref<1024xi8>
  %a = memref.view %arena[%c0][] : memref<1024xi8> to memref<4x8xbf16>
  %d = memref.view %arena[%c64][] : memref<1024xi8> to memref<4x16xbf16>
  %overlap = memref.view %arena[%c32][] : memref<1024xi8> to memref<4x16xbf16>
  %dynamic = memref.view %arena[%at][] : memref<1024xi8> to memref<4x16xbf16>
  %own = memref.alloc() : memref<128xi8>
  %ownA = memref.view %own[%c0][] : memref<128xi8> to memref<4x8xbf16>
  %ownD = memref.view %own[%c0][] : memref<128xi8> to memref<4x16xbf16>
  %c1 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c1 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c1 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c1 : memref<4x16xf32>) outs(%d : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %c2 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c2 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c2 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c2 : memref<4x16xf32>) outs(%overlap : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %c3 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c3 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c3 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c3 : memref<4x16xf32>) outs(%dynamic : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %c4 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c4 : memref<4x16xf32>)
  linalg.matmul ins(%ownA, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c4 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c4 : memref<4x16xf32>) outs(%ownD : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %c5 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c5 : memref<4x16xf32>)
  linalg.matmul ins(%argA, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c5 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c5 : memref<4x16xf32>) outs(%argD : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %c6 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c6 : memref<4x16xf32>)
  linalg.matmul ins(%argA, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c6 : memref<4x16xf32>)
  %fresh = memref.alloc() : memref<4x16xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c6 : memref<4x16xf32>) outs(%fresh : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  return
}

// -----

// An activation kernel right after an overwriting or bias GEMM (after the
// rounding it took over, if any) becomes cuBLASLt's activation epilogue:
// the GEMM writes the kernel's output, through the reshape the kernel read
// its input by, and neither the kernel nor the GEMM's own result remain.
// GELU's tanh form in the order tfm-to-linalg writes it, and ReLU.
#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @activation_epilogue
// CHECK-SAME: (%[[A:[^:]*]]: memref<16x8xbf16>, %[[B:[^:]*]]: memref<8x32xbf16>, %[[BIAS:[^:]*]]: memref<32xbf16>, %[[FA:[^:]*]]: memref<4x8xf32>, %[[FB:[^:]*]]: memref<8x16xf32>
// CHECK: %[[E:.*]] = memref.alloc() : memref<2x8x32xbf16>
// CHECK: %[[E2:.*]] = memref.collapse_shape %[[E]] {{\[\[}}0, 1], [2]] : memref<2x8x32xbf16> into memref<16x32xbf16>
// CHECK: %[[VA:.*]] = memref.cast %[[A]]
// CHECK: %[[VB:.*]] = memref.cast %[[B]]
// CHECK: %[[VBIAS:.*]] = memref.cast %[[BIAS]]
// CHECK: %[[VE:.*]] = memref.cast %[[E2]]
// CHECK: call @tfm_cuda_matmul_bias_gelu_tanh_bf16_bf16(%[[VA]], %[[VB]], %[[VBIAS]], %[[VE]])
// The GEMM's own result is left unused (canonicalization drops it).
// CHECK: memref.alloc() : memref<4x16xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<4x16xf32>
// CHECK: %[[VR:.*]] = memref.cast %[[R]]
// CHECK: call @tfm_cuda_matmul_set_relu_f32_f32(%{{.*}}, %{{.*}}, %[[VR]])
// CHECK-NOT: linalg.
// CHECK: return %[[E]], %[[R]]
func.func @activation_epilogue(%a: memref<16x8xbf16>, %b: memref<8x32xbf16>, %bias: memref<32xbf16>,
                               %fa: memref<4x8xf32>, %fb: memref<8x16xf32>) -> (memref<2x8x32xbf16>, memref<4x16xf32>) {
  %c = memref.alloc() : memref<16x32xf32>
  %wide = memref.alloc() : memref<32xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%bias : memref<32xbf16>) outs(%wide : memref<32xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %0 = arith.extf %in : bf16 to f32
    linalg.yield %0 : f32
  }
  linalg.broadcast ins(%wide : memref<32xf32>) outs(%c : memref<16x32xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<16x8xbf16>, memref<8x32xbf16>) outs(%c : memref<16x32xf32>)
  %d = memref.alloc() : memref<16x32xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c : memref<16x32xf32>) outs(%d : memref<16x32xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %d3 = memref.expand_shape %d [[0, 1], [2]] output_shape [2, 8, 32] : memref<16x32xbf16> into memref<2x8x32xbf16>
  %e = memref.alloc() : memref<2x8x32xbf16>
  %k = arith.constant 0.797884583 : f32
  %cubic = arith.constant 4.471500e-02 : f32
  %half = arith.constant 5.000000e-01 : f32
  %one = arith.constant 1.000000e+00 : f32
  linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%d3 : memref<2x8x32xbf16>) outs(%e : memref<2x8x32xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %x = arith.extf %in : bf16 to f32
    %x2 = arith.mulf %x, %x : f32
    %x3 = arith.mulf %x2, %x : f32
    %t0 = arith.mulf %x3, %cubic : f32
    %t1 = arith.addf %x, %t0 : f32
    %t2 = arith.mulf %t1, %k : f32
    %t3 = math.tanh %t2 : f32
    %t4 = arith.addf %t3, %one : f32
    %hx = arith.mulf %x, %half : f32
    %y = arith.mulf %hx, %t4 : f32
    %r = arith.truncf %y : f32 to bf16
    linalg.yield %r : bf16
  }
  %fc = memref.alloc() : memref<4x16xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%fc : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%fc : memref<4x16xf32>)
  %relu = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%fc : memref<4x16xf32>) outs(%relu : memref<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %zero : f32
    linalg.yield %0 : f32
  }
  return %e, %relu : memref<2x8x32xbf16>, memref<4x16xf32>
}

// -----

// Kept as kernels: GELU's erf form (cuBLASLt has none); the tanh form with
// another constant; the tanh form on an f32 result (cuBLASLt's tanh need
// not be exact to f32 rounding); a GEMM result read again; an output that
// overlaps A (the GEMM reads A while it writes); a GEMM that accumulates.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @not_activation_epilogue
// CHECK: call @tfm_cuda_matmul_set_bf16_bf16(
// CHECK: math.erf
// CHECK: call @tfm_cuda_matmul_set_bf16_bf16(
// CHECK: math.tanh
// CHECK: call @tfm_cuda_matmul_set_f32_f32(
// CHECK: math.tanh
// CHECK: call @tfm_cuda_matmul_set_f32_f32(
// CHECK: arith.maximumf
// CHECK: linalg.copy
// CHECK: call @tfm_cuda_matmul_set_f32_f32(
// CHECK: arith.maximumf
// CHECK: call @tfm_cuda_matmul_f32_f32(
// CHECK: arith.maximumf
func.func @not_activation_epilogue(%a: memref<4x8xbf16>, %b: memref<8x16xbf16>, %fa: memref<4x8xf32>, %fb: memref<8x16xf32>,
                                   %keep: memref<4x16xf32>, %acc: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %k = arith.constant 0.797884583 : f32
  %half = arith.constant 5.000000e-01 : f32
  %one = arith.constant 1.000000e+00 : f32
  %wrong = arith.constant 4.0e-02 : f32
  %cubic = arith.constant 4.471500e-02 : f32
  %sqrt1_2 = arith.constant 0.707106769 : f32
  // erf
  %c1 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c1 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c1 : memref<4x16xf32>)
  %d1 = memref.alloc() : memref<4x16xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c1 : memref<4x16xf32>) outs(%d1 : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %e1 = memref.alloc() : memref<4x16xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%d1 : memref<4x16xbf16>) outs(%e1 : memref<4x16xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %x = arith.extf %in : bf16 to f32
    %s = arith.mulf %x, %sqrt1_2 : f32
    %t = math.erf %s : f32
    %p = arith.addf %t, %one : f32
    %hx = arith.mulf %x, %half : f32
    %y = arith.mulf %hx, %p : f32
    %r = arith.truncf %y : f32 to bf16
    linalg.yield %r : bf16
  }
  // tanh form, 0.04 for 0.044715
  %c2 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c2 : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xbf16>, memref<8x16xbf16>) outs(%c2 : memref<4x16xf32>)
  %d2 = memref.alloc() : memref<4x16xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c2 : memref<4x16xf32>) outs(%d2 : memref<4x16xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %e2 = memref.alloc() : memref<4x16xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%d2 : memref<4x16xbf16>) outs(%e2 : memref<4x16xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %x = arith.extf %in : bf16 to f32
    %x2 = arith.mulf %x, %x : f32
    %x3 = arith.mulf %x2, %x : f32
    %t0 = arith.mulf %x3, %wrong : f32
    %t1 = arith.addf %x, %t0 : f32
    %t2 = arith.mulf %t1, %k : f32
    %t3 = math.tanh %t2 : f32
    %t4 = arith.addf %t3, %one : f32
    %hx = arith.mulf %x, %half : f32
    %y = arith.mulf %hx, %t4 : f32
    %r = arith.truncf %y : f32 to bf16
    linalg.yield %r : bf16
  }
  // tanh form on f32
  %c3 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c3 : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%c3 : memref<4x16xf32>)
  %e3 = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c3 : memref<4x16xf32>) outs(%e3 : memref<4x16xf32>) {
  ^bb0(%x: f32, %out: f32):
    %x2 = arith.mulf %x, %x : f32
    %x3 = arith.mulf %x2, %x : f32
    %t0 = arith.mulf %x3, %cubic : f32
    %t1 = arith.addf %x, %t0 : f32
    %t2 = arith.mulf %t1, %k : f32
    %t3 = math.tanh %t2 : f32
    %t4 = arith.addf %t3, %one : f32
    %hx = arith.mulf %x, %half : f32
    %y = arith.mulf %hx, %t4 : f32
    linalg.yield %y : f32
  }
  // the GEMM's result read again
  %c4 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c4 : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%c4 : memref<4x16xf32>)
  %e4 = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c4 : memref<4x16xf32>) outs(%e4 : memref<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %zero : f32
    linalg.yield %0 : f32
  }
  linalg.copy ins(%c4 : memref<4x16xf32>) outs(%keep : memref<4x16xf32>)
  // the output over A's bytes
  %arena = memref.alloc() : memref<512xi8>
  %c0 = arith.constant 0 : index
  %va = memref.view %arena[%c0][] : memref<512xi8> to memref<4x8xf32>
  %c5 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c5 : memref<4x16xf32>)
  linalg.matmul ins(%va, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%c5 : memref<4x16xf32>)
  %e5 = memref.view %arena[%c0][] : memref<512xi8> to memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c5 : memref<4x16xf32>) outs(%e5 : memref<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %zero : f32
    linalg.yield %0 : f32
  }
  // accumulating
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%acc : memref<4x16xf32>)
  %e6 = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%acc : memref<4x16xf32>) outs(%e6 : memref<4x16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %0 = arith.maximumf %in, %zero : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// A residual add right after an overwriting or bias GEMM: X + R becomes
// cuBLASLt's C operand (beta = 1) with the GEMM writing the sum, through
// the reshape the kernel read R by. X may be the sum's own buffer (the
// kernel wrote in place).
#id = affine_map<(d0, d1) -> (d0, d1)>
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @residual_epilogue
// CHECK-SAME: (%[[A:[^:]*]]: memref<16x8xbf16>, %[[B:[^:]*]]: memref<8x32xbf16>, %[[BIAS:[^:]*]]: memref<32xbf16>, %[[X:[^:]*]]: memref<2x8x32xbf16>
// CHECK: %[[E:.*]] = memref.alloc() : memref<2x8x32xbf16>
// CHECK: %[[E2:.*]] = memref.collapse_shape %[[E]] {{\[\[}}0, 1], [2]]
// CHECK: %[[X2:.*]] = memref.collapse_shape %[[X]] {{\[\[}}0, 1], [2]]
// CHECK: %[[VX:.*]] = memref.cast %[[X2]]
// CHECK: %[[VE:.*]] = memref.cast %[[E2]]
// CHECK: call @tfm_cuda_matmul_bias_residual_bf16_bf16(%{{.*}}, %{{.*}}, %{{.*}}, %[[VX]], %[[VE]])
// CHECK: %[[FX:.*]] = memref.alloc() : memref<4x16xf32>
// CHECK: %[[VFX:.*]] = memref.cast %[[FX]]
// CHECK: %[[VFX2:.*]] = memref.cast %[[FX]]
// CHECK: call @tfm_cuda_matmul_set_residual_f32_f32(%{{.*}}, %{{.*}}, %[[VFX]], %[[VFX2]])
// CHECK-NOT: linalg.
// CHECK: return %[[E]], %[[FX]]
func.func @residual_epilogue(%a: memref<16x8xbf16>, %b: memref<8x32xbf16>, %bias: memref<32xbf16>, %x: memref<2x8x32xbf16>,
                             %fa: memref<4x8xf32>, %fb: memref<8x16xf32>, %init: memref<4x16xf32>) -> (memref<2x8x32xbf16>, memref<4x16xf32>) {
  %c = memref.alloc() : memref<16x32xf32>
  %wide = memref.alloc() : memref<32xf32>
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%bias : memref<32xbf16>) outs(%wide : memref<32xf32>) {
  ^bb0(%in: bf16, %out: f32):
    %0 = arith.extf %in : bf16 to f32
    linalg.yield %0 : f32
  }
  linalg.broadcast ins(%wide : memref<32xf32>) outs(%c : memref<16x32xf32>) dimensions = [0]
  linalg.matmul ins(%a, %b : memref<16x8xbf16>, memref<8x32xbf16>) outs(%c : memref<16x32xf32>)
  %d = memref.alloc() : memref<16x32xbf16>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%c : memref<16x32xf32>) outs(%d : memref<16x32xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %0 = arith.truncf %in : f32 to bf16
    linalg.yield %0 : bf16
  }
  %d3 = memref.expand_shape %d [[0, 1], [2]] output_shape [2, 8, 32] : memref<16x32xbf16> into memref<2x8x32xbf16>
  %e = memref.alloc() : memref<2x8x32xbf16>
  linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %d3 : memref<2x8x32xbf16>, memref<2x8x32xbf16>) outs(%e : memref<2x8x32xbf16>) {
  ^bb0(%in: bf16, %in1: bf16, %out: bf16):
    %0 = arith.extf %in : bf16 to f32
    %1 = arith.extf %in1 : bf16 to f32
    %2 = arith.addf %0, %1 : f32
    %3 = arith.truncf %2 : f32 to bf16
    linalg.yield %3 : bf16
  }
  %fx = memref.alloc() : memref<4x16xf32>
  memref.copy %init, %fx : memref<4x16xf32> to memref<4x16xf32>
  %fc = memref.alloc() : memref<4x16xf32>
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%fc : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%fc : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%fc, %fx : memref<4x16xf32>, memref<4x16xf32>) outs(%fx : memref<4x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %0 = arith.addf %in, %in1 : f32
    linalg.yield %0 : f32
  }
  return %e, %fx : memref<2x8x32xbf16>, memref<4x16xf32>
}

// -----

// Kept as kernels: X overlapping the sum's buffer without being it; a
// difference rather than a sum; the GEMM's result added to itself.
#id = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @not_residual_epilogue
// CHECK: call @tfm_cuda_matmul_set_f32_f32(
// CHECK: arith.addf
// CHECK: call @tfm_cuda_matmul_set_f32_f32(
// CHECK: arith.subf
// CHECK: call @tfm_cuda_matmul_set_f32_f32(
// CHECK: arith.addf
func.func @not_residual_epilogue(%fa: memref<4x8xf32>, %fb: memref<8x16xf32>, %fx: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c64 = arith.constant 64 : index
  %arena = memref.alloc() : memref<1024xi8>
  %x1 = memref.view %arena[%c0][] : memref<1024xi8> to memref<4x16xf32>
  %e1 = memref.view %arena[%c64][] : memref<1024xi8> to memref<4x16xf32>
  %c1 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c1 : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%c1 : memref<4x16xf32>)
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%c1, %x1 : memref<4x16xf32>, memref<4x16xf32>) outs(%e1 : memref<4x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %0 = arith.addf %in, %in1 : f32
    linalg.yield %0 : f32
  }
  %c2 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c2 : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%c2 : memref<4x16xf32>)
  %e2 = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%fx, %c2 : memref<4x16xf32>, memref<4x16xf32>) outs(%e2 : memref<4x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %0 = arith.subf %in, %in1 : f32
    linalg.yield %0 : f32
  }
  %c3 = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c3 : memref<4x16xf32>)
  linalg.matmul ins(%fa, %fb : memref<4x8xf32>, memref<8x16xf32>) outs(%c3 : memref<4x16xf32>)
  %e3 = memref.alloc() : memref<4x16xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%c3, %c3 : memref<4x16xf32>, memref<4x16xf32>) outs(%e3 : memref<4x16xf32>) {
  ^bb0(%in: f32, %in1: f32, %out: f32):
    %0 = arith.addf %in, %in1 : f32
    linalg.yield %0 : f32
  }
  return
}

// -----

// X read through a reshape like R's of rows of a larger buffer (the
// tensor-core attention's padded output): the GEMM takes those rows as
// they are, at their offset. Rows with a gap between them (%gap, row
// stride 64 for 32 columns) are not R's strides and stay a kernel.
#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @residual_row_view
// CHECK-SAME: (%[[A:[^:]*]]: memref<?x8xbf16>, %[[B:[^:]*]]: memref<8x32xbf16>, %[[PAD:[^:]*]]: memref<?x32xbf16>
// CHECK: %[[ROWS:.*]] = memref.subview %[[PAD]][4, 0] [%{{.*}}, 32] [1, 1] : memref<?x32xbf16> to memref<?x32xbf16, strided<[32, 1], offset: 128>>
// CHECK: %[[E:.*]] = memref.alloc
// CHECK: %[[VX:.*]] = memref.cast %[[ROWS]] : memref<?x32xbf16, strided<[32, 1], offset: 128>> to memref<?x?xbf16, strided<[?, ?], offset: ?>>
// CHECK: call @tfm_cuda_matmul_set_residual_bf16_bf16(%{{.*}}, %{{.*}}, %[[VX]], %{{.*}})
// CHECK: call @tfm_cuda_matmul_set_bf16_bf16(
// CHECK: linalg.generic
func.func @residual_row_view(%a: memref<?x8xbf16>, %b: memref<8x32xbf16>, %pad: memref<?x32xbf16>, %wide: memref<?x64xbf16>,
                             %s: index, %t: index) -> (memref<?x?x32xbf16>, memref<?x?x32xbf16>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : bf16
  %m = memref.dim %a, %c0 : memref<?x8xbf16>
  %rows = memref.subview %pad[4, 0] [%m, 32] [1, 1] : memref<?x32xbf16> to memref<?x32xbf16, strided<[32, 1], offset: 128>>
  %x = memref.expand_shape %rows [[0, 1], [2]] output_shape [%s, %t, 32] : memref<?x32xbf16, strided<[32, 1], offset: 128>> into memref<?x?x32xbf16, strided<[?, 32, 1], offset: 128>>
  %c = memref.alloc(%m) : memref<?x32xbf16>
  linalg.fill ins(%zero : bf16) outs(%c : memref<?x32xbf16>)
  linalg.matmul ins(%a, %b : memref<?x8xbf16>, memref<8x32xbf16>) outs(%c : memref<?x32xbf16>)
  %r = memref.expand_shape %c [[0, 1], [2]] output_shape [%s, %t, 32] : memref<?x32xbf16> into memref<?x?x32xbf16>
  %e = memref.alloc(%s, %t) : memref<?x?x32xbf16>
  linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %r : memref<?x?x32xbf16, strided<[?, 32, 1], offset: 128>>, memref<?x?x32xbf16>) outs(%e : memref<?x?x32xbf16>) {
  ^bb0(%in: bf16, %in1: bf16, %out: bf16):
    %0 = arith.extf %in : bf16 to f32
    %1 = arith.extf %in1 : bf16 to f32
    %2 = arith.addf %0, %1 : f32
    %3 = arith.truncf %2 : f32 to bf16
    linalg.yield %3 : bf16
  }
  %gap = memref.subview %wide[0, 0] [%m, 32] [1, 1] : memref<?x64xbf16> to memref<?x32xbf16, strided<[64, 1]>>
  %gx = memref.expand_shape %gap [[0, 1], [2]] output_shape [%s, %t, 32] : memref<?x32xbf16, strided<[64, 1]>> into memref<?x?x32xbf16, strided<[?, 64, 1]>>
  %c2 = memref.alloc(%m) : memref<?x32xbf16>
  linalg.fill ins(%zero : bf16) outs(%c2 : memref<?x32xbf16>)
  linalg.matmul ins(%a, %b : memref<?x8xbf16>, memref<8x32xbf16>) outs(%c2 : memref<?x32xbf16>)
  %r2 = memref.expand_shape %c2 [[0, 1], [2]] output_shape [%s, %t, 32] : memref<?x32xbf16> into memref<?x?x32xbf16>
  %e2 = memref.alloc(%s, %t) : memref<?x?x32xbf16>
  linalg.generic {indexing_maps = [#id3, #id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]} ins(%gx, %r2 : memref<?x?x32xbf16, strided<[?, 64, 1]>>, memref<?x?x32xbf16>) outs(%e2 : memref<?x?x32xbf16>) {
  ^bb0(%in: bf16, %in1: bf16, %out: bf16):
    %0 = arith.extf %in : bf16 to f32
    %1 = arith.extf %in1 : bf16 to f32
    %2 = arith.addf %0, %1 : f32
    %3 = arith.truncf %2 : f32 to bf16
    linalg.yield %3 : bf16
  }
  return %e, %e2 : memref<?x?x32xbf16>, memref<?x?x32xbf16>
}
