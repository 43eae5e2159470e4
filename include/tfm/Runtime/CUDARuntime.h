//===- CUDARuntime.h - host runtime for compiled CUDA code ------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The C functions host code compiled for CUDA calls. Three families:
//
//  * `mgpu*`: the fixed set MLIR's `gpu-to-llvm` lowering (LLVM/MLIR 22)
//    emits calls to for modules, kernel launches, streams, events and memory.
//    The signatures below are the ones the generated LLVM IR declares; handles
//    (modules, functions, streams, events) are CUDA driver API handles passed
//    as `void *`, memory pointers are CUDA device/managed addresses.
//  * `_mlir_ciface_tfm_cuda_*`: tfm's weight upload and cuBLASLt GEMMs,
//    following MLIR's C interface convention (`llvm.emit_c_interface`): each
//    memref is passed as a pointer to a StridedMemRefType descriptor, and a
//    memref result comes back through a descriptor pointer passed first.
//  * `tfmCuda*`: plain C functions for the executor (errors, synchronization,
//    caches, device queries).
//
// Everything runs on one CUDA context (the primary context of device 0, or of
// the device named by the TFM_CUDA_DEVICE environment variable or by
// mgpuSetDefaultDevice before first use) and one non-blocking stream, owned by
// the library and created on first use. Entry points may be called from any
// thread; each makes the context current on the calling thread. Work is
// stream ordered: launches, GEMMs, copies and frees return once queued, and
// the host must synchronize (mgpuStreamSynchronize, tfmCudaSynchronize)
// before it reads or writes memory that queued work may use.
//
// Nothing here prints, aborts or exits, with one exception: mgpuMemAlloc,
// whose callers dereference the result without checking, writes a message to
// stderr and aborts when memory cannot be allocated. Every other failure is
// recorded as a "sticky" error -- the first failing CUDA or cuBLASLt call's
// message is kept until tfmCudaTakeError() takes it -- and the failing call
// returns (NULL where it returns a handle). Later calls still run.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_RUNTIME_CUDARUNTIME_H
#define TFM_RUNTIME_CUDARUNTIME_H

#include "mlir/ExecutionEngine/CRunnerUtils.h"

#include <cstddef>
#include <cstdint>

/// Exported from the shared library even when it is built with
/// -fvisibility=hidden.
#define TFM_CUDA_EXPORT __attribute__((visibility("default")))

/// The element types of the weight upload functions: X(suffix, C type).
/// f16 and bf16 travel as their 16-bit patterns, i1 as one byte.
#define TFM_CUDA_CONSTANT_ELEMENT_TYPES(X)                                     \
  X(f64, double)                                                               \
  X(f32, float)                                                                \
  X(f16, uint16_t)                                                             \
  X(bf16, uint16_t)                                                            \
  X(i64, int64_t)                                                              \
  X(i32, int32_t)                                                              \
  X(i16, int16_t)                                                              \
  X(i8, int8_t)                                                                \
  X(i1, bool)

/// The ranks of the weight upload functions: X(rank, ...).
#define TFM_CUDA_CONSTANT_RANKS(X, ...)                                        \
  X(0, __VA_ARGS__)                                                            \
  X(1, __VA_ARGS__)                                                            \
  X(2, __VA_ARGS__)                                                            \
  X(3, __VA_ARGS__)                                                            \
  X(4, __VA_ARGS__)                                                            \
  X(5, __VA_ARGS__)                                                            \
  X(6, __VA_ARGS__)

/// The GEMM type combinations: X(suffix, C type of A and B, C type of C).
/// The suffix names the A/B element type, then C's.
#define TFM_CUDA_GEMM_TYPES(X)                                                 \
  X(f32_f32, float, float)                                                     \
  X(f16_f32, uint16_t, float)                                                  \
  X(bf16_f32, uint16_t, float)                                                 \
  X(f16_f16, uint16_t, uint16_t)                                               \
  X(bf16_bf16, uint16_t, uint16_t)

extern "C" {

//===----------------------------------------------------------------------===//
// MLIR gpu-to-llvm ABI
//===----------------------------------------------------------------------===//

/// Loads a cubin or fatbin image (cuModuleLoadData). `sizeBytes` is unused.
/// Returns the CUmodule, or NULL on failure.
TFM_CUDA_EXPORT void *mgpuModuleLoad(void *data, int64_t sizeBytes);

/// JIT-compiles NUL-terminated PTX text at optimization level `optLevel`
/// (0..4) and loads it. On failure the JIT's error log is part of the sticky
/// error and NULL is returned.
TFM_CUDA_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel);

/// Unloads a module from mgpuModuleLoad / mgpuModuleLoadJIT. NULL is ignored.
TFM_CUDA_EXPORT void mgpuModuleUnload(void *module);

/// Looks up kernel `name` in `module`; NULL if absent.
TFM_CUDA_EXPORT void *mgpuModuleGetFunction(void *module, const char *name);

/// Launches `function` with a grid of gridX*gridY*gridZ blocks of
/// blockX*blockY*blockZ threads and `smem` bytes of dynamic shared memory on
/// `stream` (NULL: the library's stream). `params` points at one pointer per
/// kernel argument; `paramsCount` is unused. An empty grid or block launches
/// nothing. More than 48 KiB of dynamic shared memory is opted into first.
TFM_CUDA_EXPORT void mgpuLaunchKernel(void *function, intptr_t gridX,
                                      intptr_t gridY, intptr_t gridZ,
                                      intptr_t blockX, intptr_t blockY,
                                      intptr_t blockZ, int32_t smem,
                                      void *stream, void **params, void **extra,
                                      size_t paramsCount);

/// Returns the library's single stream; no new stream is created.
TFM_CUDA_EXPORT void *mgpuStreamCreate(void);

/// Destroys `stream`, unless it is the library's stream (or NULL): that one
/// lives as long as the process.
TFM_CUDA_EXPORT void mgpuStreamDestroy(void *stream);

/// Waits until all work on `stream` (NULL: the library's stream) is done.
TFM_CUDA_EXPORT void mgpuStreamSynchronize(void *stream);

/// Makes future work on `stream` wait for `event`.
TFM_CUDA_EXPORT void mgpuStreamWaitEvent(void *stream, void *event);

/// Creates an event without timing (CU_EVENT_DISABLE_TIMING).
TFM_CUDA_EXPORT void *mgpuEventCreate(void);

/// Destroys an event from mgpuEventCreate.
TFM_CUDA_EXPORT void mgpuEventDestroy(void *event);

/// Waits until `event` has completed.
TFM_CUDA_EXPORT void mgpuEventSynchronize(void *event);

/// Records `event` on `stream` (NULL: the library's stream).
TFM_CUDA_EXPORT void mgpuEventRecord(void *event, void *stream);

/// Allocates `sizeBytes` bytes, at least 256-byte aligned, from a caching
/// pool: managed memory (accessible from the host) if `isHostShared`, device
/// memory otherwise. `stream` is unused. A zero-byte request still returns a
/// distinct valid pointer. Never returns NULL: when the memory cannot be had
/// (even after releasing the cache), writes a message to stderr and aborts.
TFM_CUDA_EXPORT void *mgpuMemAlloc(uint64_t sizeBytes, void *stream,
                                   bool isHostShared);

/// Returns `ptr` to the pool if it came from mgpuMemAlloc, else frees it with
/// cuMemFree. NULL is ignored. `stream` is unused. Reuse is stream ordered:
/// the block may be handed out again while work queued before this call
/// still uses it, which only work on the library's stream may rely on.
TFM_CUDA_EXPORT void mgpuMemFree(void *ptr, void *stream);

/// Copies `sizeBytes` bytes between any two host, device or managed
/// addresses (unified addressing), asynchronously on `stream`.
TFM_CUDA_EXPORT void mgpuMemcpy(void *dst, void *src, size_t sizeBytes,
                                void *stream);

/// Sets `count` 32-bit words at `dst` to `value`, asynchronously on `stream`.
TFM_CUDA_EXPORT void mgpuMemset32(void *dst, unsigned int value, size_t count,
                                  void *stream);

/// Sets `count` 16-bit words at `dst` to `value`, asynchronously on `stream`.
TFM_CUDA_EXPORT void mgpuMemset16(void *dst, unsigned short value, size_t count,
                                  void *stream);

/// Selects the device the library will use. Only effective before the first
/// other call initializes the runtime; changing the device afterwards records
/// an error.
TFM_CUDA_EXPORT void mgpuSetDefaultDevice(int32_t device);

//===----------------------------------------------------------------------===//
// Weight upload
//===----------------------------------------------------------------------===//

/// _mlir_ciface_tfm_cuda_constant_r<R>_<T>(result, host), for ranks R 0..6
/// and the element types in TFM_CUDA_CONSTANT_ELEMENT_TYPES: returns in
/// `*result` a contiguous row-major device copy of the contiguous host tensor
/// `*host` (its sizes, starting at data + offset). The copy is made on the
/// first call for a given host address and size and reused afterwards, until
/// tfmCudaReleaseConstants(); the host data must therefore not change in
/// between. A zero-element tensor still gets a valid device pointer.
#define TFM_CUDA_DECLARE_CONSTANT(R, SUFFIX, T)                                \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_constant_r##R##_##SUFFIX(         \
      StridedMemRefType<T, R> *result, StridedMemRefType<T, R> *host);
#define TFM_CUDA_DECLARE_CONSTANTS(SUFFIX, T)                                  \
  TFM_CUDA_CONSTANT_RANKS(TFM_CUDA_DECLARE_CONSTANT, SUFFIX, T)
TFM_CUDA_CONSTANT_ELEMENT_TYPES(TFM_CUDA_DECLARE_CONSTANTS)
#undef TFM_CUDA_DECLARE_CONSTANTS
#undef TFM_CUDA_DECLARE_CONSTANT

//===----------------------------------------------------------------------===//
// GEMMs (cuBLASLt, f32 accumulation)
//===----------------------------------------------------------------------===//

/// For each X(SUFFIX, TA, TC) in TFM_CUDA_GEMM_TYPES:
///
///   _mlir_ciface_tfm_cuda_matmul_SUFFIX(A, B, C):
///       C[m, n] += sum_k A[m, k] * B[k, n]
///   _mlir_ciface_tfm_cuda_matmul_set_SUFFIX(A, B, C):
///       C[m, n] = sum_k A[m, k] * B[k, n]   (C's old contents are not read)
///   _mlir_ciface_tfm_cuda_batch_matmul_SUFFIX(A, B, C):
///       C[b, m, n] += sum_k A[b, m, k] * B[b, k, n]
///   _mlir_ciface_tfm_cuda_batch_matmul_set_SUFFIX(A, B, C):
///       C[b, m, n] = sum_k A[b, m, k] * B[b, k, n]
///   _mlir_ciface_tfm_cuda_matmul_bias_SUFFIX(A, B, Bias, C):
///       C[m, n] = sum_k A[m, k] * B[k, n] + Bias[n]
///       C must be row-major and Bias (of C's type) contiguous. cuBLASLt's
///       bias epilogue adds Bias where it has an algorithm for the problem;
///       otherwise C's rows are filled with Bias by device copies and the
///       product accumulated onto them (always, with the environment
///       variable TFM_CUDA_GEMM_EPILOGUES=0).
///   _mlir_ciface_tfm_cuda_matmul_set_ACT_SUFFIX(A, B, C):
///       C[m, n] = act(sum_k A[m, k] * B[k, n])
///   _mlir_ciface_tfm_cuda_matmul_bias_ACT_SUFFIX(A, B, Bias, C):
///       C[m, n] = act(sum_k A[m, k] * B[k, n] + Bias[n])
///       ACT is relu (max(x, 0)) or gelu_tanh (GELU's tanh form,
///       0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))), applied in f32
///       before the rounding to C's type: by cuBLASLt's epilogue where it
///       has an algorithm for the problem, else by a kernel of the runtime's
///       over C after the GEMM (always, with TFM_CUDA_GEMM_EPILOGUES=0).
///       The bias has the layout rules of matmul_bias; C is one matrix.
///   _mlir_ciface_tfm_cuda_matmul_set_residual_SUFFIX(A, B, X, C):
///       C[m, n] = sum_k A[m, k] * B[k, n] + X[m, n]
///   _mlir_ciface_tfm_cuda_matmul_bias_residual_SUFFIX(A, B, Bias, X, C):
///       C[m, n] = sum_k A[m, k] * B[k, n] + Bias[n] + X[m, n]
///       X (of C's type, extents and strides; it may be C itself) is
///       cuBLASLt's C operand with beta = 1, C its D: the residual add of a
///       transformer block in the GEMM, rounded once. Without an algorithm
///       for the problem, the runtime's kernel adds X (and Bias) after a
///       plain GEMM.
///
/// All three memrefs are device (or managed) memory. Products are accumulated
/// in f32 (CUBLAS_COMPUTE_32F, no TF32), then rounded to C's type. Each
/// matrix may be row-major or column-major with any leading dimension (the
/// stride of an extent-1 dimension does not matter); a batch stride of 0 on A
/// or B broadcasts it. Other layouts, and extents that do not match, are
/// recorded as errors and leave C untouched. The GEMM is queued on the
/// library's stream, not waited for: kernels queued after it see C complete,
/// the host only after a synchronization.
#define TFM_CUDA_DECLARE_GEMMS(SUFFIX, TA, TC)                                 \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_##SUFFIX(                  \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 2> *C);                                            \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_set_##SUFFIX(              \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 2> *C);                                            \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_batch_matmul_##SUFFIX(            \
      StridedMemRefType<TA, 3> *A, StridedMemRefType<TA, 3> *B,                \
      StridedMemRefType<TC, 3> *C);                                            \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_batch_matmul_set_##SUFFIX(        \
      StridedMemRefType<TA, 3> *A, StridedMemRefType<TA, 3> *B,                \
      StridedMemRefType<TC, 3> *C);                                            \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_bias_##SUFFIX(             \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 1> *Bias, StridedMemRefType<TC, 2> *C);            \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_set_residual_##SUFFIX(     \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 2> *X, StridedMemRefType<TC, 2> *C);               \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_bias_residual_##SUFFIX(    \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 1> *Bias, StridedMemRefType<TC, 2> *X,             \
      StridedMemRefType<TC, 2> *C);                                            \
  TFM_CUDA_DECLARE_ACTIVATION_GEMMS(relu, SUFFIX, TA, TC)                      \
  TFM_CUDA_DECLARE_ACTIVATION_GEMMS(gelu_tanh, SUFFIX, TA, TC)
#define TFM_CUDA_DECLARE_ACTIVATION_GEMMS(ACT, SUFFIX, TA, TC)                 \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_set_##ACT##_##SUFFIX(      \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 2> *C);                                            \
  TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_bias_##ACT##_##SUFFIX(     \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 1> *Bias, StridedMemRefType<TC, 2> *C);
TFM_CUDA_GEMM_TYPES(TFM_CUDA_DECLARE_GEMMS)
#undef TFM_CUDA_DECLARE_ACTIVATION_GEMMS
#undef TFM_CUDA_DECLARE_GEMMS

//===----------------------------------------------------------------------===//
// Executor interface
//===----------------------------------------------------------------------===//

/// Returns the first error recorded since the last call, as a malloc'ed
/// string the caller frees with free(), and clears it; NULL if none.
TFM_CUDA_EXPORT const char *tfmCudaTakeError(void);

/// Waits until all work on the library's stream is done.
TFM_CUDA_EXPORT void tfmCudaSynchronize(void);

/// Frees every block the memory pool holds unused (blocks in use stay).
TFM_CUDA_EXPORT void tfmCudaReleaseCachedMemory(void);

/// Frees every weight copy made by _mlir_ciface_tfm_cuda_constant_*. Call it
/// before the host memory those copies were made from is reused for other
/// data (e.g. when unloading compiled code), and only while no compiled code
/// that may still use the copies runs.
TFM_CUDA_EXPORT void tfmCudaReleaseConstants(void);

/// The number of CUDA devices; 0 when there is no usable driver or device.
/// Records no error.
TFM_CUDA_EXPORT int tfmCudaDeviceCount(void);

/// The name of the device the library uses (or would use), in a static
/// buffer; "" when there is none. Records no error.
TFM_CUDA_EXPORT const char *tfmCudaDeviceName(void);

} // extern "C"

#endif // TFM_RUNTIME_CUDARUNTIME_H
