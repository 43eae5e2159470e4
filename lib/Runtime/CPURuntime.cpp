//===- CPURuntime.cpp - runtime functions for compiled CPU code -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Matrix multiplication entry points on top of oneDNN's dnnl_sgemm
// (row-major). oneDNN was chosen over OpenBLAS by measurement on the
// project's machine (Sapphire Rapids, 2 cores): 255-310 GFLOP/s on GPT-2
// shapes against 125-300 for OpenBLAS 0.3.21, which moreover misdetects the
// CPU and falls back to its SSE3 kernels (35-65 GFLOP/s) unless
// OPENBLAS_CORETYPE is set before the process starts.
//
// A 2-D view with element (i, j) at ptr[i * rs + j * cs] can be handed to
// sgemm as is when one stride is 1 and the other (the leading dimension) is at
// least the extent it spans: cs == 1 means "NoTrans, ld = rs", rs == 1 means
// "Trans, ld = cs". The stride of an extent-1 dimension never matters. Any
// other view (stride 0 broadcasts, overlapping or negative strides, leading
// dimensions beyond sgemm's 32-bit integers) is packed into a contiguous
// temporary first. C is written in place when sgemm can address it, directly
// or through C^T += B^T A^T; otherwise the product goes to a temporary that
// is then added into C.
//
// Batches are a loop of sgemm calls; a batch whose right operand is broadcast
// (batch stride 0) and whose rows are evenly spaced is folded into one sgemm
// with batch * M rows.
//
//===----------------------------------------------------------------------===//

#include "tfm/Runtime/CPURuntime.h"

#include "Float16.h"

#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <type_traits>
#include <vector>

namespace {

/// The 16-bit float types, as their bit patterns (the memref element layout
/// MLIR uses for bf16 and f16).
struct BF16 {
  uint16_t bits;
};
struct F16 {
  uint16_t bits;
};

float toFloat(float x) { return x; }
float toFloat(BF16 x) { return mlir::tfm::runtime::bf16ToFloat(x.bits); }
float toFloat(F16 x) { return mlir::tfm::runtime::halfToFloat(x.bits); }

/// A 2-D strided view: element (i, j) is ptr[i * rs + j * cs].
template <typename T>
struct View {
  T *ptr;
  int64_t rows, cols;
  int64_t rs, cs;

  View transposed() const { return {ptr, cols, rows, cs, rs}; }
  T &at(int64_t i, int64_t j) const { return ptr[i * rs + j * cs]; }
};

/// An input operand in the form sgemm takes.
struct GemmOperand {
  const float *ptr;
  bool trans; // transposed
  int64_t ld;
};

constexpr int64_t kMaxBlasInt = INT_MAX;

} // namespace

/// If `v` can be passed to row-major sgemm without copying, sets `trans` and
/// `ld` accordingly and returns true.
template <typename T>
static bool directLayout(const View<T> &v, bool &trans, int64_t &ld) {
  // Row-major: unit column stride, rows at least `cols` apart.
  if (v.cs == 1 || v.cols == 1) {
    int64_t minLd = std::max<int64_t>(v.cols, 1);
    int64_t l = v.rows == 1 ? minLd : v.rs;
    if (l >= minLd && l <= kMaxBlasInt) {
      trans = false;
      ld = static_cast<int64_t>(l);
      return true;
    }
  }
  // Column-major (the transpose is row-major).
  if (v.rs == 1 || v.rows == 1) {
    int64_t minLd = std::max<int64_t>(v.rows, 1);
    int64_t l = v.cols == 1 ? minLd : v.cs;
    if (l >= minLd && l <= kMaxBlasInt) {
      trans = true;
      ld = static_cast<int64_t>(l);
      return true;
    }
  }
  return false;
}

/// Copies `v` into `buffer` as f32, row-major and dense.
template <typename T>
static void pack(const View<T> &v, std::vector<float> &buffer) {
  buffer.resize(static_cast<size_t>(v.rows * v.cols));
  float *out = buffer.data();
  for (int64_t i = 0; i < v.rows; ++i)
    for (int64_t j = 0; j < v.cols; ++j)
      *out++ = toFloat(v.at(i, j));
}

/// `v` as an sgemm operand, packed into `buffer` if need be (always for the
/// 16-bit types, which are widened to f32 there). If `reuse` is set and
/// `buffer` already holds `v` packed, it is not packed again.
template <typename T>
static GemmOperand prepareInput(const View<T> &v, std::vector<float> &buffer,
                                bool &packed, bool reuse) {
  GemmOperand op;
  if constexpr (std::is_same_v<T, float>) {
    if (directLayout(v, op.trans, op.ld)) {
      op.ptr = v.ptr;
      return op;
    }
  }
  if (!(reuse && packed))
    pack(v, buffer);
  packed = true;
  return {buffer.data(), false,
          static_cast<int64_t>(std::max<int64_t>(v.cols, 1))};
}

/// Reusable temporaries for one call.
namespace {
struct Scratch {
  std::vector<float> a, b, c;
  bool aPacked = false, bPacked = false;
};
} // namespace

/// c = beta·c + a·b for extents too large for sgemm's 32-bit integers
/// (beta is 0 or 1; with 0, c's old contents are never read).
template <typename T>
static void naiveGemm(const View<T> &a, const View<T> &b, const View<float> &c,
                      float beta) {
  for (int64_t i = 0; i < c.rows; ++i)
    for (int64_t j = 0; j < c.cols; ++j) {
      float sum = 0.0f;
      for (int64_t k = 0; k < a.cols; ++k)
        sum += toFloat(a.at(i, k)) * toFloat(b.at(k, j));
      c.at(i, j) = beta == 0.0f ? sum : c.at(i, j) + sum;
    }
}

/// c (M x N) = beta·c + a (M x K) * b (K x N), beta 1 (accumulate) or 0
/// (overwrite; c's old contents are never read, as in BLAS). `reuseA` /
/// `reuseB` say that the operand is the same view as in the previous call
/// with this scratch.
template <typename T>
static void gemm(View<T> a, View<T> b, View<float> c, Scratch &scratch,
                 bool reuseA = false, bool reuseB = false, float beta = 1.0f) {
  if (a.rows != c.rows || b.cols != c.cols || a.cols != b.rows)
    return;
  int64_t m = c.rows, n = c.cols, k = a.cols;
  if (m <= 0 || n <= 0)
    return;
  if (k <= 0) {
    if (beta == 0.0f)
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          c.at(i, j) = 0.0f;
    return;
  }
  if (m > kMaxBlasInt || n > kMaxBlasInt || k > kMaxBlasInt) {
    naiveGemm(a, b, c, beta);
    return;
  }

  // Make C addressable as row-major if it is column-major: C^T += B^T A^T.
  bool cTrans;
  int64_t ldc;
  bool cDirect = directLayout(c, cTrans, ldc);
  if (cDirect && cTrans == true) {
    View<T> at = a.transposed();
    a = b.transposed();
    b = at;
    c = c.transposed();
    std::swap(m, n);
    std::swap(reuseA, reuseB);
    std::swap(scratch.a, scratch.b);
    std::swap(scratch.aPacked, scratch.bPacked);
  }

  GemmOperand opA = prepareInput(a, scratch.a, scratch.aPacked, reuseA);
  GemmOperand opB = prepareInput(b, scratch.b, scratch.bPacked, reuseB);
  if (cDirect) {
    dnnl_sgemm(opA.trans ? 'T' : 'N', opB.trans ? 'T' : 'N', static_cast<int64_t>(m),
                static_cast<int64_t>(n), static_cast<int64_t>(k), 1.0f, opA.ptr,
                opA.ld, opB.ptr, opB.ld, beta, c.ptr, ldc);
  } else {
    scratch.c.assign(static_cast<size_t>(m * n), 0.0f);
    dnnl_sgemm(opA.trans ? 'T' : 'N', opB.trans ? 'T' : 'N', static_cast<int64_t>(m),
                static_cast<int64_t>(n), static_cast<int64_t>(k), 1.0f, opA.ptr,
                opA.ld, opB.ptr, opB.ld, 0.0f, scratch.c.data(),
                static_cast<int64_t>(n));
    const float *product = scratch.c.data();
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j, ++product)
        c.at(i, j) = beta == 0.0f ? *product : c.at(i, j) + *product;
  }

  if (cDirect && cTrans == true) {
    // Undo the swap so the caller's scratch bookkeeping stays valid.
    std::swap(scratch.a, scratch.b);
    std::swap(scratch.aPacked, scratch.bPacked);
  }
}

template <typename T, int N>
static View<T> view2d(StridedMemRefType<T, N> *m, int d0, int d1,
                      int64_t batchOffset = 0) {
  return {m->data + m->offset + batchOffset, m->sizes[d0], m->sizes[d1],
          m->strides[d0], m->strides[d1]};
}

/// C[b] = beta·C[b] + A[b] * op(B[b]) where op transposes when `transposeB`.
template <typename T>
static void batchMatmul(StridedMemRefType<T, 3> *a, StridedMemRefType<T, 3> *b,
                        StridedMemRefType<float, 3> *c, bool transposeB,
                        float beta = 1.0f) {
  int64_t batch = c->sizes[0];
  if (a->sizes[0] != batch || b->sizes[0] != batch || batch <= 0)
    return;
  int bRowDim = transposeB ? 2 : 1, bColDim = transposeB ? 1 : 2;
  Scratch scratch;

  // Broadcast right operand with evenly spaced rows in A and C: one sgemm
  // over batch * M rows.
  int64_t m = c->sizes[1];
  auto rowStride = [&](auto *x, int64_t &stride) {
    if (m == 1) {
      stride = x->strides[0];
      return true;
    }
    stride = x->strides[1];
    return x->strides[0] == m * x->strides[1];
  };
  int64_t aRowStride, cRowStride;
  if (batch > 1 && b->strides[0] == 0 && rowStride(a, aRowStride) &&
      rowStride(c, cRowStride) && m <= kMaxBlasInt / batch) {
    View<T> av{a->data + a->offset, batch * m, a->sizes[2], aRowStride,
               a->strides[2]};
    View<float> cv{c->data + c->offset, batch * m, c->sizes[2], cRowStride,
                   c->strides[2]};
    gemm(av, view2d(b, bRowDim, bColDim), cv, scratch, false, false, beta);
    return;
  }

  for (int64_t i = 0; i < batch; ++i) {
    View<T> av = view2d(a, 1, 2, i * a->strides[0]);
    View<T> bv = view2d(b, bRowDim, bColDim, i * b->strides[0]);
    View<float> cv = view2d(c, 1, 2, i * c->strides[0]);
    gemm(av, bv, cv, scratch, /*reuseA=*/i > 0 && a->strides[0] == 0,
         /*reuseB=*/i > 0 && b->strides[0] == 0, beta);
  }
}

/// C = beta·C + A B for one matrix (beta 0 or 1), A and B f32 or 16-bit.
template <typename T>
static void matmul(StridedMemRefType<T, 2> *a, StridedMemRefType<T, 2> *b,
                   StridedMemRefType<float, 2> *c, float beta) {
  Scratch scratch;
  gemm(view2d(a, 0, 1), view2d(b, 0, 1), view2d(c, 0, 1), scratch, false, false,
       beta);
}

//===----------------------------------------------------------------------===//
// Entry points
//===----------------------------------------------------------------------===//

extern "C" void _mlir_ciface_tfm_rt_matmul_f32(StridedMemRefType<float, 2> *A,
                                               StridedMemRefType<float, 2> *B,
                                               StridedMemRefType<float, 2> *C) {
  matmul(A, B, C, /*beta=*/1.0f);
}

extern "C" void
_mlir_ciface_tfm_rt_batch_matmul_f32(StridedMemRefType<float, 3> *A,
                                     StridedMemRefType<float, 3> *B,
                                     StridedMemRefType<float, 3> *C) {
  batchMatmul(A, B, C, /*transposeB=*/false);
}

extern "C" void _mlir_ciface_tfm_rt_matmul_set_f32(
    StridedMemRefType<float, 2> *A, StridedMemRefType<float, 2> *B,
    StridedMemRefType<float, 2> *C) {
  matmul(A, B, C, /*beta=*/0.0f);
}

extern "C" void
_mlir_ciface_tfm_rt_batch_matmul_set_f32(StridedMemRefType<float, 3> *A,
                                         StridedMemRefType<float, 3> *B,
                                         StridedMemRefType<float, 3> *C) {
  batchMatmul(A, B, C, /*transposeB=*/false, /*beta=*/0.0f);
}

extern "C" void _mlir_ciface_tfm_rt_batch_matmul_transpose_b_f32(
    StridedMemRefType<float, 3> *A, StridedMemRefType<float, 3> *B,
    StridedMemRefType<float, 3> *C) {
  batchMatmul(A, B, C, /*transposeB=*/true);
}

/// `m`'s 16-bit elements as `Tag` (BF16 or F16).
template <typename Tag, int N>
static StridedMemRefType<Tag, N> as(const StridedMemRefType<uint16_t, N> *m) {
  StridedMemRefType<Tag, N> r;
  r.basePtr = reinterpret_cast<Tag *>(m->basePtr);
  r.data = reinterpret_cast<Tag *>(m->data);
  r.offset = m->offset;
  std::copy(m->sizes, m->sizes + N, r.sizes);
  std::copy(m->strides, m->strides + N, r.strides);
  return r;
}

// The 16-bit entry points: tfm_rt_[batch_]matmul[_set]_{bf16,f16}_f32.
#define TFM_RT_NARROW_GEMMS(NAME, TAG)                                         \
  extern "C" void _mlir_ciface_tfm_rt_matmul_##NAME##_f32(                     \
      StridedMemRefType<uint16_t, 2> *A, StridedMemRefType<uint16_t, 2> *B,    \
      StridedMemRefType<float, 2> *C) {                                        \
    auto a = as<TAG>(A), b = as<TAG>(B);                                       \
    matmul(&a, &b, C, /*beta=*/1.0f);                                          \
  }                                                                            \
  extern "C" void _mlir_ciface_tfm_rt_matmul_set_##NAME##_f32(                 \
      StridedMemRefType<uint16_t, 2> *A, StridedMemRefType<uint16_t, 2> *B,    \
      StridedMemRefType<float, 2> *C) {                                        \
    auto a = as<TAG>(A), b = as<TAG>(B);                                       \
    matmul(&a, &b, C, /*beta=*/0.0f);                                          \
  }                                                                            \
  extern "C" void _mlir_ciface_tfm_rt_batch_matmul_##NAME##_f32(               \
      StridedMemRefType<uint16_t, 3> *A, StridedMemRefType<uint16_t, 3> *B,    \
      StridedMemRefType<float, 3> *C) {                                        \
    auto a = as<TAG>(A), b = as<TAG>(B);                                       \
    batchMatmul(&a, &b, C, /*transposeB=*/false);                              \
  }                                                                            \
  extern "C" void _mlir_ciface_tfm_rt_batch_matmul_set_##NAME##_f32(           \
      StridedMemRefType<uint16_t, 3> *A, StridedMemRefType<uint16_t, 3> *B,    \
      StridedMemRefType<float, 3> *C) {                                        \
    auto a = as<TAG>(A), b = as<TAG>(B);                                       \
    batchMatmul(&a, &b, C, /*transposeB=*/false, /*beta=*/0.0f);               \
  }

TFM_RT_NARROW_GEMMS(bf16, BF16)
TFM_RT_NARROW_GEMMS(f16, F16)
#undef TFM_RT_NARROW_GEMMS

void mlir::tfm::runtime::registerCPURuntimeSymbols(
    llvm::function_ref<void(llvm::StringRef name, void *address)> add) {
#define TFM_RT_ADD(NAME) add(#NAME, reinterpret_cast<void *>(&NAME))
  TFM_RT_ADD(_mlir_ciface_tfm_rt_matmul_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_matmul_set_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_set_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_transpose_b_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_matmul_bf16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_matmul_set_bf16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_bf16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_set_bf16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_matmul_f16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_matmul_set_f16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_f16_f32);
  TFM_RT_ADD(_mlir_ciface_tfm_rt_batch_matmul_set_f16_f32);
#undef TFM_RT_ADD
}
