//===- CPURuntimeTest.cpp - tests for the CPU matmul runtime ----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Each entry point against a double-precision triple loop, on odd sizes and
// on strided views: offsets, padded rows, transposed (column-major) layouts,
// non-unit strides that force packing, stride-0 broadcasts and reversed rows.
// C always starts non-zero, and elements of C's buffer outside the view must
// be left alone.
//
//===----------------------------------------------------------------------===//

#include "tfm/Runtime/CPURuntime.h"

#include "llvm/ADT/StringMap.h"

#include "gtest/gtest.h"

#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <limits>
#include <vector>

namespace {

/// A memref descriptor and the buffer it views.
template <int N> struct TestMemRef {
  std::vector<float> storage;
  StridedMemRefType<float, N> desc;

  StridedMemRefType<float, N> *get() {
    desc.basePtr = desc.data = storage.data();
    return &desc;
  }
  int64_t position(const std::array<int64_t, N> &index) const {
    int64_t p = desc.offset;
    for (int d = 0; d < N; ++d)
      p += index[d] * desc.strides[d];
    return p;
  }
};

/// A view with the given sizes and strides (any sign) at `extraOffset` past
/// the smallest offset that keeps it in bounds, over random data.
template <int N>
TestMemRef<N> makeMemRef(std::array<int64_t, N> sizes,
                         std::array<int64_t, N> strides, int64_t extraOffset,
                         std::mt19937 &rng) {
  int64_t minPos = 0, maxPos = 0;
  for (int d = 0; d < N; ++d) {
    if (sizes[d] == 0)
      continue;
    int64_t span = (sizes[d] - 1) * strides[d];
    (span < 0 ? minPos : maxPos) += span;
  }
  TestMemRef<N> m;
  m.storage.resize(extraOffset - minPos + maxPos + 1 + 5);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (float &x : m.storage)
    x = dist(rng);
  m.desc.offset = extraOffset - minPos;
  for (int d = 0; d < N; ++d) {
    m.desc.sizes[d] = sizes[d];
    m.desc.strides[d] = strides[d];
  }
  return m;
}

/// Inner (2-D) layouts of a rows x cols matrix.
enum class Layout {
  RowMajor,       // Dense, no offset.
  RowMajorPadded, // Rows further apart than needed, with an offset.
  ColMajor,       // Transposed storage (first stride 1).
  ColMajorPadded,
  Strided,       // Neither stride 1: must be packed.
  ReversedRows,  // Negative row stride: must be packed.
  BroadcastRows, // Row stride 0 (inputs only).
  BroadcastCols, // Column stride 0 (inputs only).
};

constexpr Layout kInputLayouts[] = {
    Layout::RowMajor,       Layout::RowMajorPadded, Layout::ColMajor,
    Layout::ColMajorPadded, Layout::Strided,        Layout::ReversedRows,
    Layout::BroadcastRows,  Layout::BroadcastCols};
constexpr Layout kOutputLayouts[] = {Layout::RowMajor, Layout::RowMajorPadded,
                                     Layout::ColMajor, Layout::ColMajorPadded,
                                     Layout::Strided,  Layout::ReversedRows};

const char *layoutName(Layout l) {
  switch (l) {
  case Layout::RowMajor:
    return "row-major";
  case Layout::RowMajorPadded:
    return "row-major-padded";
  case Layout::ColMajor:
    return "col-major";
  case Layout::ColMajorPadded:
    return "col-major-padded";
  case Layout::Strided:
    return "strided";
  case Layout::ReversedRows:
    return "reversed-rows";
  case Layout::BroadcastRows:
    return "broadcast-rows";
  case Layout::BroadcastCols:
    return "broadcast-cols";
  }
  return "?";
}

struct Inner {
  int64_t rs, cs, offset, footprint;
};

/// Strides, offset and the number of elements spanned for `layout`.
Inner innerLayout(Layout layout, int64_t rows, int64_t cols) {
  Inner in{};
  switch (layout) {
  case Layout::RowMajor:
    in = {cols, 1, 0, 0};
    break;
  case Layout::RowMajorPadded:
    in = {cols + 3, 1, 5, 0};
    break;
  case Layout::ColMajor:
    in = {1, rows, 0, 0};
    break;
  case Layout::ColMajorPadded:
    in = {1, rows + 2, 7, 0};
    break;
  case Layout::Strided:
    in = {2 * cols + 1, 2, 3, 0};
    break;
  case Layout::ReversedRows:
    in = {-cols, 1, 2, 0};
    break;
  case Layout::BroadcastRows:
    in = {0, 1, 1, 0};
    break;
  case Layout::BroadcastCols:
    in = {1, 0, 1, 0};
    break;
  }
  int64_t span = 1;
  if (rows > 0 && cols > 0)
    span += std::abs((rows - 1) * in.rs) + std::abs((cols - 1) * in.cs);
  in.footprint = span + 2;
  return in;
}

/// A batch x rows x cols memref: batch stride 0 broadcasts, otherwise the
/// matrices follow each other.
TestMemRef<3> makeBatched(int64_t batch, int64_t rows, int64_t cols,
                          Layout layout, bool broadcastBatch,
                          std::mt19937 &rng) {
  Inner in = innerLayout(layout, rows, cols);
  int64_t batchStride = broadcastBatch ? 0 : in.footprint;
  return makeMemRef<3>({batch, rows, cols}, {batchStride, in.rs, in.cs},
                       in.offset, rng);
}

/// Checks C after `C += A * op(B)` against the reference computed from
/// `a`, `b` and `cBefore` (C's buffer before the call). `bAt(batch, k, n)`
/// reads B in its logical (K x N) orientation.
template <typename AAt, typename BAt>
::testing::AssertionResult checkResult(const TestMemRef<3> &c,
                                       const std::vector<float> &cBefore,
                                       int64_t k, AAt aAt, BAt bAt) {
  int64_t batch = c.desc.sizes[0], m = c.desc.sizes[1], n = c.desc.sizes[2];
  std::vector<bool> inView(c.storage.size(), false);
  int failures = 0;
  std::string report;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t p = c.position({b, i, j});
        inView[p] = true;
        double ref = cBefore[p], mag = std::abs(cBefore[p]);
        for (int64_t kk = 0; kk < k; ++kk) {
          double term = double(aAt(b, i, kk)) * double(bAt(b, kk, j));
          ref += term;
          mag += std::abs(term);
        }
        double got = c.storage[p];
        if (!(std::abs(got - ref) <= 1e-5 * mag + 1e-30)) {
          if (++failures <= 5)
            report += "C[" + std::to_string(b) + ", " + std::to_string(i) +
                      ", " + std::to_string(j) + "] = " + std::to_string(got) +
                      ", expected " + std::to_string(ref) + "\n";
        }
      }
  for (size_t p = 0; p < c.storage.size(); ++p)
    if (!inView[p] && c.storage[p] != cBefore[p]) {
      if (++failures <= 5)
        report +=
            "element " + std::to_string(p) + " outside C's view changed\n";
    }
  if (failures)
    return ::testing::AssertionFailure() << failures << " wrong elements:\n"
                                         << report;
  return ::testing::AssertionSuccess();
}

struct Size {
  int64_t m, k, n;
};

const Size kSizes[] = {{1, 1, 1}, {7, 13, 5}, {64, 33, 17},
                       {1, 9, 6}, {6, 9, 1},  {5, 1, 4}};
const Size kEmptySizes[] = {{0, 3, 4}, {3, 0, 4}, {3, 4, 0}};

std::string describe(const Size &s, Layout a, Layout b, Layout c) {
  return std::to_string(s.m) + "x" + std::to_string(s.k) + "x" +
         std::to_string(s.n) + " A " + layoutName(a) + ", B " + layoutName(b) +
         ", C " + layoutName(c);
}

/// Runs the 2-D matmul on one combination of sizes and layouts.
void runMatmul(const Size &s, Layout la, Layout lb, Layout lc,
               std::mt19937 &rng) {
  SCOPED_TRACE(describe(s, la, lb, lc));
  auto make2d = [&](int64_t rows, int64_t cols, Layout l) {
    Inner in = innerLayout(l, rows, cols);
    return makeMemRef<2>({rows, cols}, {in.rs, in.cs}, in.offset, rng);
  };
  TestMemRef<2> a = make2d(s.m, s.k, la), b = make2d(s.k, s.n, lb);
  TestMemRef<2> c2 = make2d(s.m, s.n, lc);
  std::vector<float> cBefore = c2.storage;
  _mlir_ciface_tfm_rt_matmul_f32(a.get(), b.get(), c2.get());

  // View C as a batch of one for the checker.
  TestMemRef<3> c;
  c.storage = c2.storage;
  c.desc.offset = c2.desc.offset;
  c.desc.sizes[0] = 1;
  c.desc.strides[0] = 0;
  for (int d = 0; d < 2; ++d) {
    c.desc.sizes[d + 1] = c2.desc.sizes[d];
    c.desc.strides[d + 1] = c2.desc.strides[d];
  }
  EXPECT_TRUE(checkResult(
      c, cBefore, s.k,
      [&](int64_t, int64_t i, int64_t k) {
        return a.storage[a.position({i, k})];
      },
      [&](int64_t, int64_t k, int64_t j) {
        return b.storage[b.position({k, j})];
      }));
}

/// Runs a batched matmul; B is batch x K x N, or batch x N x K when
/// `transposeB`.
void runBatched(int64_t batch, const Size &s, Layout la, Layout lb, Layout lc,
                bool broadcastA, bool broadcastB, bool transposeB,
                std::mt19937 &rng) {
  SCOPED_TRACE(std::to_string(batch) + " x " + describe(s, la, lb, lc) +
               (broadcastA ? ", A broadcast" : "") +
               (broadcastB ? ", B broadcast" : "") +
               (transposeB ? ", B transposed" : ""));
  TestMemRef<3> a = makeBatched(batch, s.m, s.k, la, broadcastA, rng);
  TestMemRef<3> b = transposeB
                        ? makeBatched(batch, s.n, s.k, lb, broadcastB, rng)
                        : makeBatched(batch, s.k, s.n, lb, broadcastB, rng);
  TestMemRef<3> c = makeBatched(batch, s.m, s.n, lc, false, rng);
  std::vector<float> cBefore = c.storage;
  if (transposeB)
    _mlir_ciface_tfm_rt_batch_matmul_transpose_b_f32(a.get(), b.get(), c.get());
  else
    _mlir_ciface_tfm_rt_batch_matmul_f32(a.get(), b.get(), c.get());
  EXPECT_TRUE(checkResult(
      c, cBefore, s.k,
      [&](int64_t bb, int64_t i, int64_t k) {
        return a.storage[a.position({bb, i, k})];
      },
      [&](int64_t bb, int64_t k, int64_t j) {
        return transposeB ? b.storage[b.position({bb, j, k})]
                          : b.storage[b.position({bb, k, j})];
      }));
}

} // namespace

TEST(CPURuntimeTest, MatmulAllLayouts) {
  std::mt19937 rng(1);
  for (const Size &s : kSizes)
    for (Layout la : kInputLayouts)
      for (Layout lb : kInputLayouts)
        for (Layout lc : kOutputLayouts)
          runMatmul(s, la, lb, lc, rng);
}

TEST(CPURuntimeTest, MatmulZeroSizeIsNoOp) {
  std::mt19937 rng(2);
  for (const Size &s : kEmptySizes)
    for (Layout l : {Layout::RowMajor, Layout::ColMajor, Layout::Strided})
      runMatmul(s, l, l, l, rng);
}

TEST(CPURuntimeTest, MatmulLarger) {
  std::mt19937 rng(3);
  runMatmul({128, 200, 96}, Layout::RowMajor, Layout::RowMajor,
            Layout::RowMajor, rng);
  runMatmul({100, 257, 33}, Layout::ColMajorPadded, Layout::Strided,
            Layout::ColMajor, rng);
}

TEST(CPURuntimeTest, MatmulMismatchedShapesIsNoOp) {
  std::mt19937 rng(4);
  TestMemRef<2> a = makeMemRef<2>({3, 4}, {4, 1}, 0, rng);
  TestMemRef<2> b = makeMemRef<2>({5, 2}, {2, 1}, 0, rng);
  TestMemRef<2> c = makeMemRef<2>({3, 2}, {2, 1}, 0, rng);
  std::vector<float> before = c.storage;
  _mlir_ciface_tfm_rt_matmul_f32(a.get(), b.get(), c.get());
  EXPECT_EQ(c.storage, before);
}

/// Every size, every layout of A, B and C, and every broadcast combination.
static void checkAllBatchedLayouts(bool transposeB, unsigned seed) {
  std::mt19937 rng(seed);
  const Layout layouts[] = {Layout::RowMajor, Layout::RowMajorPadded,
                            Layout::ColMajor, Layout::Strided};
  for (const Size &s : kSizes)
    for (Layout la : layouts)
      for (Layout lb : layouts)
        for (Layout lc : layouts)
          for (int broadcast = 0; broadcast < 4; ++broadcast)
            runBatched(3, s, la, lb, lc, broadcast & 1, broadcast & 2,
                       transposeB, rng);
}

TEST(CPURuntimeTest, BatchMatmul) { checkAllBatchedLayouts(false, 5); }

TEST(CPURuntimeTest, BatchMatmulTransposeB) { checkAllBatchedLayouts(true, 6); }

TEST(CPURuntimeTest, BatchMatmulInputBroadcastsInsideMatrices) {
  std::mt19937 rng(7);
  for (bool transposeB : {false, true})
    for (Layout la :
         {Layout::BroadcastRows, Layout::BroadcastCols, Layout::ReversedRows})
      for (Layout lb : {Layout::BroadcastRows, Layout::BroadcastCols,
                        Layout::ReversedRows, Layout::ColMajorPadded})
        runBatched(2, {7, 13, 5}, la, lb, Layout::RowMajorPadded, false, true,
                   transposeB, rng);
}

TEST(CPURuntimeTest, BatchMatmulSingleAndEmptyBatches) {
  std::mt19937 rng(8);
  for (bool transposeB : {false, true}) {
    runBatched(1, {7, 13, 5}, Layout::RowMajor, Layout::RowMajor,
               Layout::RowMajor, false, true, transposeB, rng);
    runBatched(0, {7, 13, 5}, Layout::RowMajor, Layout::RowMajor,
               Layout::RowMajor, false, false, transposeB, rng);
    for (const Size &s : kEmptySizes)
      runBatched(2, s, Layout::RowMajor, Layout::ColMajor, Layout::RowMajor,
                 false, true, transposeB, rng);
  }
}

TEST(CPURuntimeTest, BatchMatmulLarger) {
  std::mt19937 rng(9);
  // Attention-like shapes: (heads, seq, head_dim) x (heads, seq, head_dim)^T.
  runBatched(4, {64, 32, 64}, Layout::RowMajor, Layout::RowMajor,
             Layout::RowMajor, false, false, /*transposeB=*/true, rng);
  // A linear layer over a batch: weights broadcast.
  runBatched(3, {40, 96, 72}, Layout::RowMajor, Layout::RowMajor,
             Layout::RowMajor, false, true, /*transposeB=*/false, rng);
}

// The overwriting variants never read C: NaN garbage in it must not leak
// into the result, whatever C's layout (direct, or through a temporary).
TEST(CPURuntimeTest, SetVariantsOverwrite) {
  std::mt19937 rng(11);
  for (auto cStrides : {std::array<int64_t, 2>{5, 1}, std::array<int64_t, 2>{1, 7},
                        std::array<int64_t, 2>{10, 2}}) {
    auto a = makeMemRef<2>({7, 3}, {3, 1}, 0, rng);
    auto b = makeMemRef<2>({3, 5}, {5, 1}, 0, rng);
    auto c = makeMemRef<2>({7, 5}, cStrides, 2, rng);
    for (float &x : c.storage)
      x = std::numeric_limits<float>::quiet_NaN();
    _mlir_ciface_tfm_rt_matmul_set_f32(a.get(), b.get(), c.get());
    for (int64_t i = 0; i < 7; ++i)
      for (int64_t j = 0; j < 5; ++j) {
        float want = 0.0f;
        for (int64_t k = 0; k < 3; ++k)
          want += a.storage[a.position({i, k})] * b.storage[b.position({k, j})];
        EXPECT_NEAR(c.storage[c.position({i, j})], want, 1e-5f * (1 + std::fabs(want)));
      }
  }
  // Batched, and K = 0 (the product is zeros).
  auto a = makeMemRef<3>({2, 4, 0}, {0, 0, 1}, 0, rng);
  auto b = makeMemRef<3>({2, 0, 3}, {0, 3, 1}, 0, rng);
  auto c = makeMemRef<3>({2, 4, 3}, {12, 3, 1}, 0, rng);
  for (float &x : c.storage)
    x = std::numeric_limits<float>::quiet_NaN();
  _mlir_ciface_tfm_rt_batch_matmul_set_f32(a.get(), b.get(), c.get());
  for (int64_t i = 0; i < 24; ++i)
    EXPECT_EQ(c.storage[c.position({i / 12, (i / 3) % 4, i % 3})], 0.0f);
}

//===----------------------------------------------------------------------===//
// bf16 / f16 operands with an f32 accumulator
//===----------------------------------------------------------------------===//

namespace {

enum class Narrow { BF16, F16 };

/// The 16-bit pattern of `x`, which must be exactly representable.
uint16_t encode(float x, Narrow type) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  if (type == Narrow::BF16)
    return static_cast<uint16_t>(bits >> 16);
  uint16_t sign = (bits >> 16) & 0x8000u;
  float magnitude = std::fabs(x);
  if (magnitude == 0.0f)
    return sign;
  int e;
  float m = std::frexp(magnitude, &e); // magnitude = m * 2^e, m in [0.5, 1)
  if (e - 1 < -14) // subnormal: magnitude = f * 2^-24
    return sign | static_cast<uint16_t>(std::ldexp(magnitude, 24));
  return sign | static_cast<uint16_t>((e - 1 + 15) << 10) |
         static_cast<uint16_t>((2 * m - 1) * 1024);
}

/// Rounds `storage` to values the 16-bit type holds exactly: bf16 keeps 8
/// significant bits; f16 gets multiples of 2^-11 and, every seventh element,
/// a subnormal (a multiple of 2^-24 below 2^-14).
void roundForNarrow(std::vector<float> &storage, Narrow type) {
  for (size_t i = 0; i < storage.size(); ++i) {
    float &x = storage[i];
    if (type == Narrow::BF16) {
      uint32_t bits;
      std::memcpy(&bits, &x, sizeof bits);
      bits &= 0xffff0000u;
      std::memcpy(&x, &bits, sizeof bits);
    } else if (i % 7 == 3) {
      x = std::ldexp(std::round(x * 1023.0f), -24);
    } else {
      x = std::ldexp(std::round(std::ldexp(x, 11)), -11);
    }
  }
}

/// The 16-bit copy of a float test memref (same descriptor).
template <int N> struct NarrowMemRef {
  std::vector<uint16_t> storage;
  StridedMemRefType<uint16_t, N> desc;

  NarrowMemRef(const TestMemRef<N> &m, Narrow type) {
    for (float x : m.storage)
      storage.push_back(encode(x, type));
    desc.basePtr = desc.data = storage.data();
    desc.offset = m.desc.offset;
    std::copy(m.desc.sizes, m.desc.sizes + N, desc.sizes);
    std::copy(m.desc.strides, m.desc.strides + N, desc.strides);
  }
};

/// The batched 16-bit GEMM on random operands in `layout`s, against the
/// double-precision reference on the rounded values.
void runNarrowBatched(Narrow type, bool overwrite, int64_t batch,
                      const Size &s, Layout la, Layout lb, Layout lc,
                      bool broadcastB, std::mt19937 &rng) {
  SCOPED_TRACE(std::string(type == Narrow::BF16 ? "bf16 " : "f16 ") +
               (overwrite ? "set " : "") + std::to_string(batch) + " x " +
               describe(s, la, lb, lc) + (broadcastB ? ", B broadcast" : ""));
  TestMemRef<3> a = makeBatched(batch, s.m, s.k, la, false, rng);
  TestMemRef<3> b = makeBatched(batch, s.k, s.n, lb, broadcastB, rng);
  TestMemRef<3> c = makeBatched(batch, s.m, s.n, lc, false, rng);
  roundForNarrow(a.storage, type);
  roundForNarrow(b.storage, type);
  NarrowMemRef<3> na(a, type), nb(b, type);
  std::vector<float> cBefore = c.storage;
  bool bf16 = type == Narrow::BF16;
  if (overwrite) {
    for (int64_t bb = 0; bb < batch; ++bb)
      for (int64_t i = 0; i < s.m; ++i)
        for (int64_t j = 0; j < s.n; ++j)
          cBefore[c.position({bb, i, j})] = 0.0f;
    for (float &x : c.storage) // never read
      x = std::numeric_limits<float>::quiet_NaN();
    for (size_t p = 0; p < c.storage.size(); ++p)
      if (cBefore[p] != 0.0f)
        c.storage[p] = cBefore[p];
    (bf16 ? _mlir_ciface_tfm_rt_batch_matmul_set_bf16_f32
          : _mlir_ciface_tfm_rt_batch_matmul_set_f16_f32)(&na.desc, &nb.desc,
                                                          c.get());
  } else {
    (bf16 ? _mlir_ciface_tfm_rt_batch_matmul_bf16_f32
          : _mlir_ciface_tfm_rt_batch_matmul_f16_f32)(&na.desc, &nb.desc,
                                                      c.get());
  }
  EXPECT_TRUE(checkResult(
      c, cBefore, s.k,
      [&](int64_t bb, int64_t i, int64_t k) {
        return a.storage[a.position({bb, i, k})];
      },
      [&](int64_t bb, int64_t k, int64_t j) {
        return b.storage[b.position({bb, k, j})];
      }));
}

} // namespace

TEST(CPURuntimeTest, NarrowBatchMatmul) {
  std::mt19937 rng(12);
  const Layout layouts[] = {Layout::RowMajor, Layout::ColMajorPadded,
                            Layout::Strided, Layout::ReversedRows};
  for (Narrow type : {Narrow::BF16, Narrow::F16})
    for (const Size &s : kSizes)
      for (Layout la : layouts)
        for (Layout lb : layouts)
          for (bool overwrite : {false, true})
            runNarrowBatched(type, overwrite, 2, s, la, lb,
                             overwrite ? Layout::ColMajor : Layout::RowMajor,
                             /*broadcastB=*/la == lb, rng);
  for (Narrow type : {Narrow::BF16, Narrow::F16})
    for (const Size &s : kEmptySizes)
      runNarrowBatched(type, true, 2, s, Layout::RowMajor, Layout::RowMajor,
                       Layout::RowMajor, true, rng);
}

TEST(CPURuntimeTest, NarrowMatmul) {
  std::mt19937 rng(13);
  for (Narrow type : {Narrow::BF16, Narrow::F16}) {
    bool bf16 = type == Narrow::BF16;
    for (bool overwrite : {false, true}) {
      SCOPED_TRACE(std::string(bf16 ? "bf16" : "f16") +
                   (overwrite ? " set" : ""));
      auto a = makeMemRef<2>({9, 70}, {1, 9}, 2, rng); // column-major
      auto b = makeMemRef<2>({70, 33}, {40, 1}, 0, rng);
      auto c = makeMemRef<2>({9, 33}, {33, 1}, 0, rng);
      roundForNarrow(a.storage, type);
      roundForNarrow(b.storage, type);
      NarrowMemRef<2> na(a, type), nb(b, type);
      std::vector<float> before = c.storage;
      auto fn = bf16 ? (overwrite ? _mlir_ciface_tfm_rt_matmul_set_bf16_f32
                                  : _mlir_ciface_tfm_rt_matmul_bf16_f32)
                     : (overwrite ? _mlir_ciface_tfm_rt_matmul_set_f16_f32
                                  : _mlir_ciface_tfm_rt_matmul_f16_f32);
      fn(&na.desc, &nb.desc, c.get());
      for (int64_t i = 0; i < 9; ++i)
        for (int64_t j = 0; j < 33; ++j) {
          double want = overwrite ? 0.0 : before[c.position({i, j})];
          for (int64_t k = 0; k < 70; ++k)
            want += double(a.storage[a.position({i, k})]) *
                    double(b.storage[b.position({k, j})]);
          EXPECT_NEAR(c.storage[c.position({i, j})], want, 1e-5);
        }
    }
  }
}

// The 16-bit decoders on every pattern class: normals, subnormals, signed
// zeros, infinities and NaN.
TEST(CPURuntimeTest, NarrowDecoding) {
  auto product = [](uint16_t aBits, bool bf16) {
    uint16_t one = bf16 ? 0x3f80 : 0x3c00;
    uint16_t aStore[1] = {aBits}, bStore[1] = {one};
    float cStore[1] = {0.0f};
    StridedMemRefType<uint16_t, 2> a{aStore, aStore, 0, {1, 1}, {1, 1}};
    StridedMemRefType<uint16_t, 2> b{bStore, bStore, 0, {1, 1}, {1, 1}};
    StridedMemRefType<float, 2> c{cStore, cStore, 0, {1, 1}, {1, 1}};
    (bf16 ? _mlir_ciface_tfm_rt_matmul_set_bf16_f32
          : _mlir_ciface_tfm_rt_matmul_set_f16_f32)(&a, &b, &c);
    return cStore[0];
  };
  EXPECT_EQ(product(0x3c00, false), 1.0f);
  EXPECT_EQ(product(0xc500, false), -5.0f);
  EXPECT_EQ(product(0x7bff, false), 65504.0f);
  EXPECT_EQ(product(0x0001, false), std::ldexp(1.0f, -24));
  EXPECT_EQ(product(0x83ff, false), -std::ldexp(1023.0f, -24));
  EXPECT_EQ(product(0x0400, false), std::ldexp(1.0f, -14));
  EXPECT_EQ(product(0x7c00, false), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(product(0x7e00, false)));
  EXPECT_EQ(product(0x3f80, true), 1.0f);
  EXPECT_EQ(product(0xc0a0, true), -5.0f);
  EXPECT_EQ(product(0x0001, true), std::ldexp(1.0f, -133));
  EXPECT_EQ(product(0xff80, true), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(product(0x7fc0, true)));
}

TEST(CPURuntimeTest, RegistersEverySymbol) {
  llvm::StringMap<void *> symbols;
  mlir::tfm::runtime::registerCPURuntimeSymbols(
      [&](llvm::StringRef name, void *address) {
        EXPECT_TRUE(symbols.try_emplace(name, address).second) << name.str();
      });
  EXPECT_EQ(symbols.size(), 13u);
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_batch_matmul_set_f16_f32"),
            reinterpret_cast<void *>(
                &_mlir_ciface_tfm_rt_batch_matmul_set_f16_f32));
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_matmul_bf16_f32"),
            reinterpret_cast<void *>(&_mlir_ciface_tfm_rt_matmul_bf16_f32));
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_matmul_set_f32"),
            reinterpret_cast<void *>(&_mlir_ciface_tfm_rt_matmul_set_f32));
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_batch_matmul_set_f32"),
            reinterpret_cast<void *>(&_mlir_ciface_tfm_rt_batch_matmul_set_f32));
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_matmul_f32"),
            reinterpret_cast<void *>(&_mlir_ciface_tfm_rt_matmul_f32));
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_batch_matmul_f32"),
            reinterpret_cast<void *>(&_mlir_ciface_tfm_rt_batch_matmul_f32));
  EXPECT_EQ(symbols.lookup("_mlir_ciface_tfm_rt_batch_matmul_transpose_b_f32"),
            reinterpret_cast<void *>(
                &_mlir_ciface_tfm_rt_batch_matmul_transpose_b_f32));
}
