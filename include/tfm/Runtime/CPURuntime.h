//===- CPURuntime.h - runtime functions for compiled CPU code ---*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The functions compiled CPU code calls for matrix multiplication, backed by
// oneDNN (dnnl_sgemm), on f32 operands and on bf16/f16 operands with an f32
// accumulator. They follow MLIR's C interface convention
// (`llvm.emit_c_interface`): each memref argument is passed as a pointer to a
// StridedMemRefType descriptor. A call `func.call @tfm_rt_matmul_f32(...)` on
// a function declared with that attribute resolves to the
// `_mlir_ciface_tfm_rt_matmul_f32` symbol below.
//
// Operands may be arbitrary strided views: any offset, any (including zero or
// negative) strides, transposed layouts. Views sgemm can read directly are
// passed through; others are first copied into a contiguous temporary. C is
// updated in place (C += A * B), so it carries the initial value (a bias, or
// zeros). C must not overlap A or B. Extents are taken from the descriptors;
// if they are inconsistent (A's columns differ from B's rows, ...) the call
// does nothing. Zero-size extents are no-ops. Nothing here prints.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_RUNTIME_CPURUNTIME_H
#define TFM_RUNTIME_CPURUNTIME_H

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

extern "C" {

/// C[m, n] += sum_k A[m, k] * B[k, n].
void _mlir_ciface_tfm_rt_matmul_f32(StridedMemRefType<float, 2> *A,
                                    StridedMemRefType<float, 2> *B,
                                    StridedMemRefType<float, 2> *C);

/// C[b, m, n] += sum_k A[b, m, k] * B[b, k, n]. A batch stride of 0
/// broadcasts an operand over the batch.
void _mlir_ciface_tfm_rt_batch_matmul_f32(StridedMemRefType<float, 3> *A,
                                          StridedMemRefType<float, 3> *B,
                                          StridedMemRefType<float, 3> *C);

/// C = A * B like the two above, but overwriting C: its old contents are
/// never read (BLAS beta = 0), so the zero fill before a GEMM is not needed.
void _mlir_ciface_tfm_rt_matmul_set_f32(StridedMemRefType<float, 2> *A,
                                        StridedMemRefType<float, 2> *B,
                                        StridedMemRefType<float, 2> *C);
void _mlir_ciface_tfm_rt_batch_matmul_set_f32(StridedMemRefType<float, 3> *A,
                                              StridedMemRefType<float, 3> *B,
                                              StridedMemRefType<float, 3> *C);

/// C[b, m, n] += sum_k A[b, m, k] * B[b, n, k] (B transposed, as in
/// attention's Q * K^T).
void _mlir_ciface_tfm_rt_batch_matmul_transpose_b_f32(
    StridedMemRefType<float, 3> *A, StridedMemRefType<float, 3> *B,
    StridedMemRefType<float, 3> *C);

/// The same four GEMMs on bf16 or f16 operands (passed as their 16-bit
/// patterns) with an f32 accumulator C: the operands are widened to f32 while
/// they are packed, then multiplied by sgemm, so every product and sum is
/// exact f32 arithmetic on the 16-bit values.
#define TFM_RT_DECLARE_NARROW_GEMMS(NAME)                                      \
  void _mlir_ciface_tfm_rt_matmul_##NAME##_f32(                                \
      StridedMemRefType<uint16_t, 2> *A, StridedMemRefType<uint16_t, 2> *B,    \
      StridedMemRefType<float, 2> *C);                                         \
  void _mlir_ciface_tfm_rt_matmul_set_##NAME##_f32(                            \
      StridedMemRefType<uint16_t, 2> *A, StridedMemRefType<uint16_t, 2> *B,    \
      StridedMemRefType<float, 2> *C);                                         \
  void _mlir_ciface_tfm_rt_batch_matmul_##NAME##_f32(                          \
      StridedMemRefType<uint16_t, 3> *A, StridedMemRefType<uint16_t, 3> *B,    \
      StridedMemRefType<float, 3> *C);                                         \
  void _mlir_ciface_tfm_rt_batch_matmul_set_##NAME##_f32(                      \
      StridedMemRefType<uint16_t, 3> *A, StridedMemRefType<uint16_t, 3> *B,    \
      StridedMemRefType<float, 3> *C);
TFM_RT_DECLARE_NARROW_GEMMS(bf16)
TFM_RT_DECLARE_NARROW_GEMMS(f16)
#undef TFM_RT_DECLARE_NARROW_GEMMS

} // extern "C"

namespace mlir::tfm::runtime {

/// Calls `add` with the name and address of every function above, for
/// mlir::ExecutionEngine::registerSymbols.
void registerCPURuntimeSymbols(
    llvm::function_ref<void(llvm::StringRef name, void *address)> add);

/// Calls `add` with the name and address of the CPU stand-ins for the CUDA
/// runtime's weight uploads and GEMMs (CUDAEmulation.cpp), named
/// `_mlir_ciface_tfm_emulated_cuda_*`: what host code of the CUDA pipeline
/// calls once tfm-emulate-cuda-host has renamed its calls.
void registerEmulatedCUDARuntimeSymbols(
    llvm::function_ref<void(llvm::StringRef name, void *address)> add);

} // namespace mlir::tfm::runtime

#endif // TFM_RUNTIME_CPURUNTIME_H
