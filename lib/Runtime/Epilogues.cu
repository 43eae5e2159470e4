//===- Epilogues.cu - GEMM epilogues cuBLASLt has no algorithm for --------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Where cuBLASLt has no algorithm for a GEMM with an epilogue (a bias, an
// activation, an addend C other than D), or epilogues are off
// (TFM_CUDA_GEMM_EPILOGUES=0), the CUDA runtime runs the plain GEMM into D
// and then one of these kernels over D. The build compiles this file to PTX
// with nvcc and embeds the text in the runtime, which loads it on first use.
//
// tfm_epilogue_T applies, in place and in f32, what cuBLASLt's epilogue
// would have: D[i, j] = act(D[i, j] + bias[j] + X[i, j]), bias and X
// optional, then rounds to T. One element per thread of a grid-stride loop.
//
//===----------------------------------------------------------------------===//

#include <cuda_bf16.h>
#include <cuda_fp16.h>

namespace {

/// The activations, numbered as the runtime's Activation enum.
enum Activation { None = 0, Relu = 1, GeluTanh = 2 };

/// max(x, 0), NaN kept (as MLIR's arith.maximumf).
__device__ float relu(float x) { return x != x ? x : fmaxf(x, 0.0f); }

/// GELU's tanh form: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
__device__ float geluTanh(float x) {
  float inner = 0.7978845608028654f * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + tanhf(inner));
}

__device__ float widen(float x) { return x; }
__device__ float widen(__nv_bfloat16 x) { return __bfloat162float(x); }
__device__ float widen(__half x) { return __half2float(x); }

template <typename T> __device__ T narrow(float x);
template <> __device__ float narrow<float>(float x) { return x; }
template <> __device__ __nv_bfloat16 narrow<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}
template <> __device__ __half narrow<__half>(float x) {
  return __float2half_rn(x);
}

template <typename T>
__device__ void
epilogue(T *d, long long rows, long long cols, long long rowStride,
         long long colStride, const T *bias, long long biasStride, const T *x,
         long long xRowStride, long long xColStride, int activation) {
  long long count = rows * cols;
  long long step = static_cast<long long>(gridDim.x) * blockDim.x;
  for (long long i =
           static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
       i < count; i += step) {
    long long row = i / cols, col = i % cols;
    T *p = d + row * rowStride + col * colStride;
    float v = widen(*p);
    if (bias)
      v += widen(bias[col * biasStride]);
    if (x)
      v += widen(x[row * xRowStride + col * xColStride]);
    if (activation == Relu)
      v = relu(v);
    else if (activation == GeluTanh)
      v = geluTanh(v);
    *p = narrow<T>(v);
  }
}

} // namespace

#define TFM_EPILOGUE_KERNEL(SUFFIX, T)                                         \
  extern "C" __global__ void tfm_epilogue_##SUFFIX(                            \
      T *d, long long rows, long long cols, long long rowStride,               \
      long long colStride, const T *bias, long long biasStride, const T *x,    \
      long long xRowStride, long long xColStride, int activation) {            \
    epilogue<T>(d, rows, cols, rowStride, colStride, bias, biasStride, x,      \
                xRowStride, xColStride, activation);                           \
  }
TFM_EPILOGUE_KERNEL(f32, float)
TFM_EPILOGUE_KERNEL(bf16, __nv_bfloat16)
TFM_EPILOGUE_KERNEL(f16, __half)
