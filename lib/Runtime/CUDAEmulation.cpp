//===- CUDAEmulation.cpp - the CUDA runtime's calls, run on the CPU -------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A CPU stand-in for the entry points of the CUDA runtime that host code of
// the tfm-to-cuda pipeline calls (CUDARuntime.h): weight "uploads" that hand
// the host buffer back, and GEMMs with the contracts of the cuBLASLt ones
// (f32 accumulation, bias, activation and residual epilogues, rounding once
// to the result type). tfm-emulate-cuda-host renames the calls of an
// emulated program to `tfm_emulated_cuda_*`, which resolve here: the CUDA
// program's GEMM calls, operands and epilogues are then checked against
// the CPU executor without a GPU. Plain loops: for small checking models,
// not for speed.
//
//===----------------------------------------------------------------------===//

#include "tfm/Runtime/CPURuntime.h"
#include "tfm/Runtime/CUDARuntime.h"

#include "Float16.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <vector>

using namespace mlir::tfm::runtime;

namespace {

/// How an element is stored: f32, or the bits of an f16 or a bf16.
enum class Elt { F32, F16, BF16 };

template <Elt E>
using Storage = std::conditional_t<E == Elt::F32, float, uint16_t>;

template <Elt E> float toF32(Storage<E> v) {
  if constexpr (E == Elt::F32)
    return v;
  else if constexpr (E == Elt::F16)
    return halfToFloat(v);
  else
    return bf16ToFloat(v);
}

template <Elt E> Storage<E> fromF32(float v) {
  if constexpr (E == Elt::F32)
    return v;
  else if constexpr (E == Elt::F16)
    return floatToHalf(v);
  else
    return floatToBf16(v);
}

/// A strided batch of matrices; a 2-D memref is a batch of one.
template <typename T> struct Matrices {
  T *data = nullptr;
  int64_t batch = 1, rows = 0, cols = 0;
  int64_t batchStride = 0, rowStride = 0, colStride = 0;

  T &at(int64_t b, int64_t i, int64_t j) const {
    return data[b * batchStride + i * rowStride + j * colStride];
  }
};

template <typename T> Matrices<T> matrices(StridedMemRefType<T, 2> *m) {
  return {m->data + m->offset, 1, m->sizes[0], m->sizes[1], 0, m->strides[0],
          m->strides[1]};
}

template <typename T> Matrices<T> matrices(StridedMemRefType<T, 3> *m) {
  return {m->data + m->offset, m->sizes[0],   m->sizes[1],  m->sizes[2],
          m->strides[0],       m->strides[1], m->strides[2]};
}

/// How TFM_CUDA_GEMM_TYPES's suffix `<operands>_<result>` stores each:
/// f16 and bf16 share a C type there, so the name tells them apart.
constexpr Elt eltNamed(const char *name, size_t n) {
  auto is = [&](const char *t, size_t m) {
    if (n != m)
      return false;
    for (size_t i = 0; i < m; ++i)
      if (name[i] != t[i])
        return false;
    return true;
  };
  return is("bf16", 4) ? Elt::BF16 : is("f16", 3) ? Elt::F16 : Elt::F32;
}
constexpr size_t underscoreIn(const char *suffix) {
  size_t i = 0;
  while (suffix[i] != '_')
    ++i;
  return i;
}
constexpr size_t lengthOf(const char *s) {
  size_t i = 0;
  while (s[i])
    ++i;
  return i;
}
constexpr Elt operandElt(const char *suffix) {
  return eltNamed(suffix, underscoreIn(suffix));
}
constexpr Elt resultElt(const char *suffix) {
  size_t u = underscoreIn(suffix);
  return eltNamed(suffix + u + 1, lengthOf(suffix) - u - 1);
}
static_assert(operandElt("bf16_f32") == Elt::BF16 &&
              resultElt("bf16_f32") == Elt::F32 &&
              resultElt("f16_f16") == Elt::F16 &&
              operandElt("f32_f32") == Elt::F32);

enum class Act { None, Relu, GeluTanh };

float activate(Act act, float x) {
  switch (act) {
  case Act::None:
    return x;
  case Act::Relu:
    return x > 0.0f ? x : 0.0f;
  case Act::GeluTanh: {
    const float k = 0.7978845608028654f; // sqrt(2 / pi)
    return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
  }
  }
  return x;
}

/// Extents that do not fit are a bug in the emulated program: there is no
/// error channel to report them through, so the process stops, naming them.
template <typename TA, typename TC>
[[noreturn]] void badExtents(const Matrices<TA> &a, const Matrices<TA> &b,
                             const Matrices<TC> &c) {
  std::fprintf(stderr,
               "tfm emulated CUDA runtime: GEMM extents do not match: A "
               "%lldx%lldx%lld, B %lldx%lldx%lld, C %lldx%lldx%lld\n",
               static_cast<long long>(a.batch), static_cast<long long>(a.rows),
               static_cast<long long>(a.cols), static_cast<long long>(b.batch),
               static_cast<long long>(b.rows), static_cast<long long>(b.cols),
               static_cast<long long>(c.batch), static_cast<long long>(c.rows),
               static_cast<long long>(c.cols));
  std::abort();
}

/// C = act(A·B [+ C] [+ Bias] [+ X]), accumulated in f32 and rounded once,
/// as the CUDA runtime's GEMMs compute it. X may be C itself.
template <Elt EA, Elt EC>
void gemm(const Matrices<Storage<EA>> &a, const Matrices<Storage<EA>> &b,
          StridedMemRefType<Storage<EC>, 1> *bias,
          const Matrices<Storage<EC>> *x, const Matrices<Storage<EC>> &c,
          bool accumulate, Act act) {
  if (a.cols != b.rows || c.rows != a.rows || c.cols != b.cols ||
      a.batch != c.batch || b.batch != c.batch ||
      (bias && bias->sizes[0] != c.cols) ||
      (x && (x->rows != c.rows || x->cols != c.cols || x->batch != c.batch)))
    badExtents(a, b, c);
  std::vector<float> row(c.cols);
  for (int64_t n = 0; n < c.batch; ++n)
    for (int64_t i = 0; i < c.rows; ++i) {
      for (int64_t j = 0; j < c.cols; ++j) {
        float acc = 0.0f;
        for (int64_t k = 0; k < a.cols; ++k)
          acc += toF32<EA>(a.at(n, i, k)) * toF32<EA>(b.at(n, k, j));
        if (accumulate)
          acc += toF32<EC>(c.at(n, i, j));
        if (x)
          acc += toF32<EC>(x->at(n, i, j));
        if (bias)
          acc += toF32<EC>(bias->data[bias->offset + j * bias->strides[0]]);
        row[j] = activate(act, acc);
      }
      for (int64_t j = 0; j < c.cols; ++j)
        c.at(n, i, j) = fromF32<EC>(row[j]);
    }
}

/// The entry points, one template per argument list: C++ functions with
/// the C interface's memref descriptors, as the real ones take.
template <Elt EA, Elt EC, int Rank, bool Accumulate, Act A>
void product(StridedMemRefType<Storage<EA>, Rank> *a,
             StridedMemRefType<Storage<EA>, Rank> *b,
             StridedMemRefType<Storage<EC>, Rank> *c) {
  gemm<EA, EC>(matrices(a), matrices(b), nullptr, nullptr, matrices(c),
               Accumulate, A);
}

template <Elt EA, Elt EC, Act A>
void productBias(StridedMemRefType<Storage<EA>, 2> *a,
                 StridedMemRefType<Storage<EA>, 2> *b,
                 StridedMemRefType<Storage<EC>, 1> *bias,
                 StridedMemRefType<Storage<EC>, 2> *c) {
  gemm<EA, EC>(matrices(a), matrices(b), bias, nullptr, matrices(c), false, A);
}

template <Elt EA, Elt EC>
void productBiasResidual(StridedMemRefType<Storage<EA>, 2> *a,
                         StridedMemRefType<Storage<EA>, 2> *b,
                         StridedMemRefType<Storage<EC>, 1> *bias,
                         StridedMemRefType<Storage<EC>, 2> *x,
                         StridedMemRefType<Storage<EC>, 2> *c) {
  auto addend = matrices(x);
  gemm<EA, EC>(matrices(a), matrices(b), bias, &addend, matrices(c), false,
               Act::None);
}

/// The residual GEMM without a bias (the runtime's set_residual entry).
template <Elt EA, Elt EC>
void productResidual(StridedMemRefType<Storage<EA>, 2> *a,
                     StridedMemRefType<Storage<EA>, 2> *b,
                     StridedMemRefType<Storage<EC>, 2> *x,
                     StridedMemRefType<Storage<EC>, 2> *c) {
  productBiasResidual<EA, EC>(a, b, nullptr, x, c);
}

/// A weight stays where it is: host memory is the device here.
template <typename T, int R>
void constant(StridedMemRefType<T, R> *result, StridedMemRefType<T, R> *host) {
  *result = *host;
}

/// Registers the GEMMs of one TFM_CUDA_GEMM_TYPES entry under `suffix`.
template <Elt EA, Elt EC>
void registerGemms(const std::string &suffix,
                   llvm::function_ref<void(const std::string &, void *)> reg) {
  auto fn = [](auto *f) { return reinterpret_cast<void *>(f); };
  reg("matmul_" + suffix, fn(&product<EA, EC, 2, true, Act::None>));
  reg("matmul_set_" + suffix, fn(&product<EA, EC, 2, false, Act::None>));
  reg("batch_matmul_" + suffix, fn(&product<EA, EC, 3, true, Act::None>));
  reg("batch_matmul_set_" + suffix, fn(&product<EA, EC, 3, false, Act::None>));
  reg("matmul_set_relu_" + suffix, fn(&product<EA, EC, 2, false, Act::Relu>));
  reg("matmul_set_gelu_tanh_" + suffix,
      fn(&product<EA, EC, 2, false, Act::GeluTanh>));
  reg("matmul_bias_" + suffix, fn(&productBias<EA, EC, Act::None>));
  reg("matmul_bias_relu_" + suffix, fn(&productBias<EA, EC, Act::Relu>));
  reg("matmul_bias_gelu_tanh_" + suffix,
      fn(&productBias<EA, EC, Act::GeluTanh>));
  reg("matmul_set_residual_" + suffix, fn(&productResidual<EA, EC>));
  reg("matmul_bias_residual_" + suffix, fn(&productBiasResidual<EA, EC>));
}

} // namespace

void mlir::tfm::runtime::registerEmulatedCUDARuntimeSymbols(
    llvm::function_ref<void(llvm::StringRef name, void *address)> add) {
  auto reg = [&](const std::string &name, void *fn) {
    add("_mlir_ciface_tfm_emulated_cuda_" + name, fn);
  };
#define TFM_EMU_ADD_CONSTANT(R, SUFFIX, T)                                     \
  reg("constant_r" #R "_" #SUFFIX, reinterpret_cast<void *>(&constant<T, R>));
#define TFM_EMU_ADD_CONSTANTS(SUFFIX, T)                                       \
  TFM_CUDA_CONSTANT_RANKS(TFM_EMU_ADD_CONSTANT, SUFFIX, T)
  TFM_CUDA_CONSTANT_ELEMENT_TYPES(TFM_EMU_ADD_CONSTANTS)
#undef TFM_EMU_ADD_CONSTANTS
#undef TFM_EMU_ADD_CONSTANT
  // f16 and bf16 share a C type in the list: the suffix tells them apart.
#define TFM_EMU_ADD_GEMMS(SUFFIX, TA, TC)                                      \
  static_assert(std::is_same_v<Storage<operandElt(#SUFFIX)>, TA> &&            \
                std::is_same_v<Storage<resultElt(#SUFFIX)>, TC>);              \
  registerGemms<operandElt(#SUFFIX), resultElt(#SUFFIX)>(#SUFFIX, reg);
  TFM_CUDA_GEMM_TYPES(TFM_EMU_ADD_GEMMS)
#undef TFM_EMU_ADD_GEMMS
}
