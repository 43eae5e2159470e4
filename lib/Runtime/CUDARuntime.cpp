//===- CUDARuntime.cpp - host runtime for compiled CUDA code ----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The implementation of CUDARuntime.h on the CUDA driver API and cuBLASLt.
//
// One process-wide Runtime object, created on first use and never destroyed
// (tearing CUDA down from a static destructor races with the driver's own
// shutdown), holds the device, its retained primary context, the single
// non-blocking stream all work goes to, the cuBLASLt handle and workspace,
// the memory pool, the weight copies and the GEMM plans. Every entry point
// makes the context current on the calling thread first.
//
// Errors are sticky: the first failing call's message is kept until
// tfmCudaTakeError() takes it; failing entry points return quietly.
//
// Memory pool. Compiled code allocates its arena (tfm-plan-buffers) and any
// other buffer on every call, so freed blocks are kept, per size class and
// kind (managed or device), for the next request of that class. Size classes
// are multiples of 512 bytes up to 1 MiB and of 2 MiB above. Reuse is stream
// ordered, like cudaMallocAsync: a block freed while queued work may still
// use it is handed out again at once, which is safe because all work goes to
// the one stream, and compiled code waits for the stream before the host
// itself touches memory (tfm-gpu-async). Each free is tagged with the
// stream's submission count, so that memory is only returned to the driver
// once the work queued before the free is known to be done.
//
// Stream order. Nothing here waits for the stream except the weight upload
// (once per weight), releasing memory to the driver, and the explicit
// synchronisation entry points: kernels, GEMMs, copies and frees are queued
// and the host runs ahead.
//
// GEMMs. A 2-D view with element (i, j) at p[i * rs + j * cs] is, for
// cuBLASLt (column-major), a matrix with leading dimension cs when rs == 1, or
// the transpose of one with leading dimension rs when cs == 1. C must be
// addressable without a transpose: when C is row-major, the product is
// computed as C^T = B^T A^T (operands swapped and transposed), when it is
// column-major as C = A B. Each distinct problem (types, beta, the cuBLASLt
// layouts, batch strides, pointer alignments) gets a plan -- descriptors and
// the heuristic's algorithm -- built once and cached.
//
//===----------------------------------------------------------------------===//

#include "tfm/Runtime/CUDARuntime.h"

#include <cublasLt.h>
#include <cuda.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

//===----------------------------------------------------------------------===//
// Sticky error
//===----------------------------------------------------------------------===//

struct ErrorSlot {
  std::mutex mutex;
  bool set = false;
  std::string message;
};

ErrorSlot &errorSlot() {
  // Leaked on purpose: entry points may run during static destruction (module
  // unloading from global destructors of compiled code).
  static ErrorSlot *slot = new ErrorSlot;
  return *slot;
}

void recordError(const std::string &message) {
  ErrorSlot &slot = errorSlot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (slot.set)
    return;
  slot.set = true;
  slot.message = message;
}

std::string cuMessage(const char *call, CUresult result) {
  const char *name = nullptr;
  const char *description = nullptr;
  if (cuGetErrorName(result, &name) != CUDA_SUCCESS || !name)
    name = "unknown CUresult";
  if (cuGetErrorString(result, &description) != CUDA_SUCCESS || !description)
    description = "no description";
  return std::string(call) + " failed: " + name + " (" + description +
         ", code " + std::to_string(static_cast<int>(result)) + ")";
}

/// Returns true if `result` is success; otherwise records it against `call`.
bool checkCu(CUresult result, const char *call) {
  if (result == CUDA_SUCCESS)
    return true;
  recordError(cuMessage(call, result));
  return false;
}

bool checkLt(cublasStatus_t status, const char *call) {
  if (status == CUBLAS_STATUS_SUCCESS)
    return true;
  const char *name = cublasLtGetStatusName(status);
  const char *description = cublasLtGetStatusString(status);
  recordError(std::string(call) + " failed: " + (name ? name : "?") +
              " (status " + std::to_string(static_cast<int>(status)) + ": " +
              (description ? description : "no description") + ")");
  return false;
}

//===----------------------------------------------------------------------===//
// Device selection
//===----------------------------------------------------------------------===//

/// The device mgpuSetDefaultDevice asked for, or -1.
std::atomic<int> requestedDevice{-1};
/// Set once the Runtime has been (or is being) created.
std::atomic<bool> runtimeStarted{false};

/// The device index to use: mgpuSetDefaultDevice's, else TFM_CUDA_DEVICE's,
/// else 0. Returns false (with `why`) if TFM_CUDA_DEVICE is malformed.
bool chooseDevice(int &index, std::string &why) {
  int requested = requestedDevice.load();
  if (requested >= 0) {
    index = requested;
    return true;
  }
  index = 0;
  const char *env = std::getenv("TFM_CUDA_DEVICE");
  if (!env || !*env)
    return true;
  char *end = nullptr;
  errno = 0;
  long value = std::strtol(env, &end, 10);
  if (errno != 0 || *end != '\0' || value < 0 || value > 1 << 20) {
    why = std::string("TFM_CUDA_DEVICE='") + env +
          "' is not a device index (a non-negative integer)";
    return false;
  }
  index = static_cast<int>(value);
  return true;
}

//===----------------------------------------------------------------------===//
// Runtime state
//===----------------------------------------------------------------------===//

enum class MemKind : uint64_t { Device = 0, Managed = 1 };

/// A free block in the pool and the submission count when it was freed.
struct FreeBlock {
  CUdeviceptr ptr;
  uint64_t freedAt;
};

/// A block the pool allocated: its pool key and whether it is handed out.
struct PoolBlock {
  uint64_t key;
  bool live;
};

/// The cached cuBLASLt objects for one GEMM problem.
struct GemmPlan {
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t layoutX = nullptr, layoutY = nullptr,
                         layoutD = nullptr;
  cublasLtMatmulAlgo_t algo = {};
  size_t workspaceSize = 0;
  /// Set for an epilogue problem (bias, activation) cuBLASLt has no
  /// algorithm for: such calls broadcast the bias into C and accumulate,
  /// then apply the activation by a kernel, instead.
  bool noEpilogue = false;
};

/// The activation a GEMM applies to its result, in f32, before rounding.
enum class Activation { None, Relu, GeluTanh };

constexpr size_t kGemmKeySize = 25;
using GemmKey = std::array<int64_t, kGemmKeySize>;

struct GemmKeyHash {
  size_t operator()(const GemmKey &key) const {
    uint64_t h = 0xcbf29ce484222325ull;
    for (int64_t v : key) {
      h ^= static_cast<uint64_t>(v) + 0x9e3779b97f4a7c15ull + (h << 6) +
           (h >> 2);
      h *= 0x100000001b3ull;
    }
    return static_cast<size_t>(h);
  }
};

struct ConstantKey {
  const void *host;
  uint64_t bytes;
  bool operator==(const ConstantKey &other) const {
    return host == other.host && bytes == other.bytes;
  }
};

struct ConstantKeyHash {
  size_t operator()(const ConstantKey &key) const {
    return std::hash<const void *>()(key.host) ^
           (std::hash<uint64_t>()(key.bytes) * 0x9e3779b97f4a7c15ull);
  }
};

constexpr size_t kWorkspaceBytes = size_t(32) << 20;
/// Plans beyond this many are all dropped (dynamic shapes could otherwise
/// grow the cache without bound).
constexpr size_t kMaxGemmPlans = 4096;

struct Runtime {
  bool ready = false;
  /// Why the runtime is not ready.
  std::string initError;
  int deviceIndex = 0;
  CUdevice device = 0;
  CUcontext context = nullptr;

  std::once_flag streamOnce;
  CUstream stream = nullptr;
  /// Operations enqueued on `stream` so far, and how many of them are known
  /// to have completed (the count taken just before a successful full
  /// synchronization).
  std::atomic<uint64_t> enqueued{0};
  std::atomic<uint64_t> completed{0};

  std::once_flag blasOnce;
  cublasLtHandle_t blas = nullptr;
  CUdeviceptr workspace = 0;
  size_t workspaceSize = 0;

  std::mutex poolMutex;
  /// Free blocks by pool key (size class | kind).
  std::unordered_map<uint64_t, std::vector<FreeBlock>> freeBlocks;
  /// Every block the pool allocated and has not freed, in use or not.
  std::unordered_map<CUdeviceptr, PoolBlock> blocks;

  std::mutex constantsMutex;
  std::unordered_map<ConstantKey, CUdeviceptr, ConstantKeyHash> constants;

  std::mutex gemmMutex;
  std::unordered_map<GemmKey, GemmPlan, GemmKeyHash> gemmPlans;

  /// The fallback's epilogue kernels (Epilogues.cu), loaded on first use;
  /// null if loading failed (recorded).
  std::once_flag epiloguesOnce;
  CUmodule epilogues = nullptr;
};

Runtime *createRuntime() {
  runtimeStarted.store(true);
  auto *rt = new Runtime;
  auto fail = [rt](std::string message) {
    rt->initError = std::move(message);
    recordError(rt->initError);
    return rt;
  };
  std::string why;
  if (!chooseDevice(rt->deviceIndex, why))
    return fail("tfm CUDA runtime: " + why);
  CUresult result = cuInit(0);
  if (result != CUDA_SUCCESS)
    return fail(cuMessage("cuInit", result));
  result = cuDeviceGet(&rt->device, rt->deviceIndex);
  if (result != CUDA_SUCCESS)
    return fail(cuMessage("cuDeviceGet", result) + " for device " +
                std::to_string(rt->deviceIndex));
  result = cuDevicePrimaryCtxRetain(&rt->context, rt->device);
  if (result != CUDA_SUCCESS)
    return fail(cuMessage("cuDevicePrimaryCtxRetain", result));
  rt->ready = true;
  return rt;
}

/// The process-wide runtime (leaked on purpose, see the file comment).
Runtime &runtime() {
  static Runtime *rt = createRuntime();
  return *rt;
}

/// The runtime with its context current on this thread, or null if CUDA is
/// unusable (recorded again on every call, so that a failing call is never
/// silent once the first report has been taken).
Runtime *acquire() {
  Runtime &rt = runtime();
  if (!rt.ready) {
    recordError(rt.initError);
    return nullptr;
  }
  if (!checkCu(cuCtxSetCurrent(rt.context), "cuCtxSetCurrent"))
    return nullptr;
  return &rt;
}

/// The library's stream, created on first use. If creation failed (recorded),
/// null, i.e. the legacy default stream.
CUstream libraryStream(Runtime &rt) {
  std::call_once(rt.streamOnce, [&rt] {
    if (!checkCu(cuStreamCreate(&rt.stream, CU_STREAM_NON_BLOCKING),
                 "cuStreamCreate"))
      rt.stream = nullptr;
  });
  return rt.stream;
}

CUstream resolveStream(Runtime &rt, void *stream) {
  return stream ? static_cast<CUstream>(stream) : libraryStream(rt);
}

bool isLibraryStream(Runtime &rt, CUstream stream) {
  return !stream || stream == libraryStream(rt);
}

/// Notes one more operation enqueued on `stream`.
void noteEnqueued(Runtime &rt, CUstream stream) {
  if (isLibraryStream(rt, stream))
    rt.enqueued.fetch_add(1);
}

/// Runs `enqueue(stream)` for a copy or fill of `count` units on `stream`
/// (the library's when null), nothing when `count` is 0, and counts it.
template <typename Enqueue>
void enqueueOn(void *stream, size_t count, Enqueue &&enqueue) {
  if (count == 0)
    return;
  Runtime *rt = acquire();
  if (!rt)
    return;
  CUstream s = resolveStream(*rt, stream);
  enqueue(s);
  noteEnqueued(*rt, s);
}

/// Waits for everything on the library stream. Returns false on failure
/// (recorded).
bool syncLibraryStream(Runtime &rt) {
  uint64_t target = rt.enqueued.load();
  if (!checkCu(cuStreamSynchronize(libraryStream(rt)), "cuStreamSynchronize"))
    return false;
  uint64_t seen = rt.completed.load();
  while (seen < target && !rt.completed.compare_exchange_weak(seen, target)) {
  }
  return true;
}

CUdeviceptr toDevicePtr(const void *ptr) {
  return static_cast<CUdeviceptr>(reinterpret_cast<uintptr_t>(ptr));
}

void *toHostPtr(CUdeviceptr ptr) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(ptr));
}

//===----------------------------------------------------------------------===//
// Memory pool
//===----------------------------------------------------------------------===//

constexpr uint64_t kSmallGranule = 512;
constexpr uint64_t kSmallLimit = uint64_t(1) << 20;
constexpr uint64_t kLargeGranule = uint64_t(2) << 20;
/// Larger requests cannot be rounded up without overflow (and could never be
/// satisfied anyway).
constexpr uint64_t kMaxRequest = uint64_t(1) << 62;

uint64_t roundUp(uint64_t value, uint64_t granule) {
  return (value + granule - 1) / granule * granule;
}

/// The size class of a request of `bytes` bytes (zero counts as one byte).
uint64_t sizeClass(uint64_t bytes) {
  bytes = std::max<uint64_t>(bytes, 1);
  return bytes <= kSmallLimit ? roundUp(bytes, kSmallGranule)
                              : roundUp(bytes, kLargeGranule);
}

/// Size classes are multiples of 512, so the kind fits in bit 0.
uint64_t poolKey(uint64_t size, MemKind kind) {
  return size | static_cast<uint64_t>(kind);
}

uint64_t poolKeySize(uint64_t key) { return key & ~uint64_t(1); }

const char *allocName(MemKind kind) {
  return kind == MemKind::Managed ? "cuMemAllocManaged" : "cuMemAlloc";
}

CUresult rawAlloc(CUdeviceptr &ptr, uint64_t bytes, MemKind kind) {
  if (kind == MemKind::Managed)
    return cuMemAllocManaged(&ptr, static_cast<size_t>(bytes),
                             CU_MEM_ATTACH_GLOBAL);
  return cuMemAlloc(&ptr, static_cast<size_t>(bytes));
}

/// Frees every free block. Waits for the stream first if a block may still
/// be in use by queued work. Caller holds poolMutex.
void releaseFreeBlocksLocked(Runtime &rt) {
  bool pending = false;
  uint64_t done = rt.completed.load();
  for (auto &entry : rt.freeBlocks)
    for (const FreeBlock &block : entry.second)
      pending |= block.freedAt > done;
  if (pending)
    syncLibraryStream(rt);
  for (auto &entry : rt.freeBlocks)
    for (const FreeBlock &block : entry.second) {
      checkCu(cuMemFree(block.ptr), "cuMemFree");
      rt.blocks.erase(block.ptr);
    }
  rt.freeBlocks.clear();
}

/// Allocates a block of at least `bytes` bytes. On failure records the error
/// and returns 0 with `result` set to the failing CUresult.
CUdeviceptr poolAlloc(Runtime &rt, uint64_t bytes, MemKind kind,
                      CUresult &result) {
  result = CUDA_SUCCESS;
  if (bytes > kMaxRequest) {
    result = CUDA_ERROR_OUT_OF_MEMORY;
    recordError("tfm CUDA runtime: allocation of " + std::to_string(bytes) +
                " bytes is too large");
    return 0;
  }
  uint64_t size = sizeClass(bytes);
  uint64_t key = poolKey(size, kind);
  std::lock_guard<std::mutex> lock(rt.poolMutex);

  auto found = rt.freeBlocks.find(key);
  if (found != rt.freeBlocks.end() && !found->second.empty()) {
    // Stream-ordered reuse: work queued before the free still runs first.
    FreeBlock block = found->second.back();
    found->second.pop_back();
    rt.blocks[block.ptr].live = true;
    return block.ptr;
  }

  CUdeviceptr ptr = 0;
  result = rawAlloc(ptr, size, kind);
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    releaseFreeBlocksLocked(rt);
    result = rawAlloc(ptr, size, kind);
  }
  if (result != CUDA_SUCCESS) {
    checkCu(result, allocName(kind));
    return 0;
  }
  rt.blocks[ptr] = {key, true};
  return ptr;
}

/// Returns a block to the pool, or frees it if the pool does not know it.
void poolFree(Runtime &rt, CUdeviceptr ptr) {
  std::lock_guard<std::mutex> lock(rt.poolMutex);
  auto found = rt.blocks.find(ptr);
  if (found == rt.blocks.end()) {
    checkCu(cuMemFree(ptr), "cuMemFree");
    return;
  }
  if (!found->second.live) {
    recordError("mgpuMemFree: block " + std::to_string(ptr) + " freed twice");
    return;
  }
  found->second.live = false;
  rt.freeBlocks[found->second.key].push_back({ptr, rt.enqueued.load()});
}

/// Frees a pool block for good (the caller made sure no queued work uses it).
void poolRelease(Runtime &rt, CUdeviceptr ptr) {
  std::lock_guard<std::mutex> lock(rt.poolMutex);
  rt.blocks.erase(ptr);
  checkCu(cuMemFree(ptr), "cuMemFree");
}

//===----------------------------------------------------------------------===//
// Weights
//===----------------------------------------------------------------------===//

/// The device copy of `bytes` bytes at `host`, made on first request; 0 on
/// failure (recorded).
CUdeviceptr deviceConstant(const void *host, uint64_t bytes) {
  Runtime *rt = acquire();
  if (!rt)
    return 0;
  std::lock_guard<std::mutex> lock(rt->constantsMutex);
  ConstantKey key{host, bytes};
  auto found = rt->constants.find(key);
  if (found != rt->constants.end())
    return found->second;

  CUresult result;
  CUdeviceptr ptr = poolAlloc(*rt, bytes, MemKind::Device, result);
  if (!ptr)
    return 0;
  if (bytes > 0) {
    // On the library stream rather than with cuMemcpyHtoD: that one runs on
    // the legacy stream, which the non-blocking library stream does not
    // order against, and may return before the data has reached the device.
    CUstream stream = libraryStream(*rt);
    bool ok = checkCu(
        cuMemcpyHtoDAsync(ptr, host, static_cast<size_t>(bytes), stream),
        "cuMemcpyHtoDAsync");
    noteEnqueued(*rt, stream);
    ok = syncLibraryStream(*rt) && ok;
    if (!ok) {
      poolRelease(*rt, ptr);
      return 0;
    }
  }
  rt->constants.emplace(key, ptr);
  return ptr;
}

template <typename T, int N>
void uploadConstant(StridedMemRefType<T, N> *result,
                    StridedMemRefType<T, N> *host) {
  if (!result)
    return;
  result->basePtr = nullptr;
  result->data = nullptr;
  result->offset = 0;
  if (!host) {
    recordError("tfm_cuda_constant: null descriptor");
    return;
  }

  uint64_t elements = 1;
  bool valid = true;
  if constexpr (N > 0) {
    for (int i = 0; i < N; ++i) {
      int64_t size = host->sizes[i];
      if (size < 0) {
        valid = false;
        break;
      }
      uint64_t extent = static_cast<uint64_t>(size);
      if (extent != 0 && elements > kMaxRequest / extent) {
        valid = false;
        break;
      }
      elements *= extent;
    }
  }
  if (!valid || elements > kMaxRequest / sizeof(T)) {
    recordError("tfm_cuda_constant: invalid tensor sizes");
    return;
  }

  const T *data = host->data + host->offset;
  CUdeviceptr ptr = deviceConstant(data, elements * sizeof(T));
  if (!ptr)
    return;

  T *device = static_cast<T *>(toHostPtr(ptr));
  result->basePtr = device;
  result->data = device;
  result->offset = 0;
  if constexpr (N > 0) {
    int64_t stride = 1;
    for (int i = N - 1; i >= 0; --i) {
      result->sizes[i] = host->sizes[i];
      result->strides[i] = stride;
      stride *= host->sizes[i];
    }
  }
}

//===----------------------------------------------------------------------===//
// GEMMs
//===----------------------------------------------------------------------===//

/// A batch of 2-D strided views: element (b, i, j) at
/// base + (b * sb + i * rs + j * cs) * eltSize.
struct MatrixView {
  char *base;
  int64_t batch, rows, cols;
  int64_t sb, rs, cs;
};

/// One cuBLASLt (column-major) operand: op(stored matrix) where the stored
/// matrix is rows x cols with leading dimension ld.
struct LtOperand {
  cublasOperation_t op;
  int64_t rows, cols, ld;
};

/// The logical r x c matrix with element (i, j) at i * s0 + j * s1 as an
/// untransposed column-major matrix, if it is one.
bool asColumnMajor(int64_t r, int64_t c, int64_t s0, int64_t s1,
                   LtOperand &out) {
  if (r != 1 && s0 != 1)
    return false;
  int64_t minLd = std::max<int64_t>(r, 1);
  int64_t ld = c == 1 ? minLd : s1;
  if (ld < minLd)
    return false;
  out = {CUBLAS_OP_N, r, c, ld};
  return true;
}

/// The logical r x c matrix as a cuBLASLt input operand, transposed if need
/// be.
bool asInput(int64_t r, int64_t c, int64_t s0, int64_t s1, LtOperand &out) {
  if (asColumnMajor(r, c, s0, s1, out))
    return true;
  if (!asColumnMajor(c, r, s1, s0, out))
    return false;
  out.op = CUBLAS_OP_T;
  return true;
}

/// A GEMM as cuBLASLt sees it: D = op(X) op(Y) (+ D), each operand with
/// its batch stride.
struct LtProblem {
  LtOperand x, y, d;
  const char *xPtr, *yPtr;
  int64_t sbX, sbY;
  /// D is C^T: C's rows are D's columns (a bias per column of C is a bias
  /// per row of D, which is what cuBLASLt's bias epilogue adds).
  bool transposedD;
};

/// Maps C = A B (extents already checked: A m x k, B k x n, C m x n) onto
/// cuBLASLt, with the batch strides `sbA`, `sbB` for A and B. Returns false if
/// some operand's layout cannot be expressed.
bool mapProblem(const MatrixView &a, const MatrixView &b, const MatrixView &c,
                int64_t sbA, int64_t sbB, LtProblem &p) {
  int64_t m = c.rows, n = c.cols, k = a.cols;
  // Preferably C row-major: C^T (n x m, column-major) = B^T A^T.
  if (asColumnMajor(n, m, c.cs, c.rs, p.d) && asInput(n, k, b.cs, b.rs, p.x) &&
      asInput(k, m, a.cs, a.rs, p.y)) {
    p.xPtr = b.base;
    p.yPtr = a.base;
    p.sbX = sbB;
    p.sbY = sbA;
    p.transposedD = true;
    return true;
  }
  // C column-major: C = A B.
  if (asColumnMajor(m, n, c.rs, c.cs, p.d) && asInput(m, k, a.rs, a.cs, p.x) &&
      asInput(k, n, b.rs, b.cs, p.y)) {
    p.xPtr = a.base;
    p.yPtr = b.base;
    p.sbX = sbA;
    p.sbY = sbB;
    p.transposedD = false;
    return true;
  }
  return false;
}

/// The largest power of two (at most 256) dividing `ptr`.
int64_t alignmentOf(const void *ptr) {
  uintptr_t address = reinterpret_cast<uintptr_t>(ptr);
  uintptr_t alignment = 256;
  while (alignment > 1 && address % alignment != 0)
    alignment /= 2;
  return static_cast<int64_t>(alignment);
}

/// True if the view's elements fill a dense block starting at its base.
bool isDense(const MatrixView &v) {
  std::array<std::pair<int64_t, int64_t>, 3> dims = {
      {{v.sb, v.batch}, {v.rs, v.rows}, {v.cs, v.cols}}};
  std::sort(dims.begin(), dims.end());
  int64_t expected = 1;
  for (const auto &dim : dims) {
    if (dim.second == 1)
      continue;
    if (dim.first != expected)
      return false;
    expected *= dim.second;
  }
  return true;
}

std::string describeView(const char *name, const MatrixView &v, int rank) {
  std::string s = std::string(name) + " sizes [";
  if (rank == 3)
    s += std::to_string(v.batch) + ", ";
  s += std::to_string(v.rows) + ", " + std::to_string(v.cols) + "] strides [";
  if (rank == 3)
    s += std::to_string(v.sb) + ", ";
  s += std::to_string(v.rs) + ", " + std::to_string(v.cs) + "]";
  return s;
}

void destroyPlan(GemmPlan &plan) {
  if (plan.layoutX)
    cublasLtMatrixLayoutDestroy(plan.layoutX);
  if (plan.layoutY)
    cublasLtMatrixLayoutDestroy(plan.layoutY);
  if (plan.layoutD)
    cublasLtMatrixLayoutDestroy(plan.layoutD);
  if (plan.desc)
    cublasLtMatmulDescDestroy(plan.desc);
  plan = GemmPlan();
}

/// Creates the cuBLASLt handle and workspace on first use. Returns false if
/// there is no handle (recorded).
bool ensureBlas(Runtime &rt) {
  std::call_once(rt.blasOnce, [&rt] {
    if (!checkLt(cublasLtCreate(&rt.blas), "cublasLtCreate")) {
      rt.blas = nullptr;
      return;
    }
    // Without a workspace cuBLASLt still works, with fewer algorithms.
    if (checkCu(cuMemAlloc(&rt.workspace, kWorkspaceBytes), "cuMemAlloc"))
      rt.workspaceSize = kWorkspaceBytes;
  });
  if (rt.blas)
    return true;
  recordError("tfm_cuda_matmul: no cuBLASLt handle (cublasLtCreate failed)");
  return false;
}

bool setLayoutBatch(cublasLtMatrixLayout_t layout, int32_t batch,
                    int64_t stride) {
  return checkLt(cublasLtMatrixLayoutSetAttribute(
                     layout, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &batch,
                     sizeof(batch)),
                 "cublasLtMatrixLayoutSetAttribute(BATCH_COUNT)") &&
         checkLt(cublasLtMatrixLayoutSetAttribute(
                     layout, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET,
                     &stride, sizeof(stride)),
                 "cublasLtMatrixLayoutSetAttribute(STRIDED_BATCH_OFFSET)");
}

bool createLayout(cublasLtMatrixLayout_t &layout, cudaDataType_t type,
                  const LtOperand &operand, int64_t batch,
                  int64_t batchStride) {
  if (!checkLt(cublasLtMatrixLayoutCreate(
                   &layout, type, static_cast<uint64_t>(operand.rows),
                   static_cast<uint64_t>(operand.cols), operand.ld),
               "cublasLtMatrixLayoutCreate")) {
    layout = nullptr;
    return false;
  }
  return batch == 1 ||
         setLayoutBatch(layout, static_cast<int32_t>(batch), batchStride);
}

/// cuBLASLt's epilogue for a bias (or none) and an activation.
cublasLtEpilogue_t epilogueFor(bool bias, Activation activation) {
  switch (activation) {
  case Activation::Relu:
    return bias ? CUBLASLT_EPILOGUE_RELU_BIAS : CUBLASLT_EPILOGUE_RELU;
  case Activation::GeluTanh:
    // cuBLASLt's GELU is the tanh form (PyTorch's fallback for its GELU
    // epilogue applies gelu(approximate="tanh")).
    return bias ? CUBLASLT_EPILOGUE_GELU_BIAS : CUBLASLT_EPILOGUE_GELU;
  case Activation::None:
    break;
  }
  return bias ? CUBLASLT_EPILOGUE_BIAS : CUBLASLT_EPILOGUE_DEFAULT;
}

/// Builds the plan for D = act(op(X) op(Y) (+ D) (+ bias)), with the bias
/// vector `bias` of D's rows (of cType) if not null. Returns false on
/// failure (recorded; nothing to clean up), except that an epilogue problem
/// without an algorithm returns true with `plan.noEpilogue` set and nothing
/// recorded.
bool buildPlan(Runtime &rt, GemmPlan &plan, cudaDataType_t abType,
               cudaDataType_t cType, int64_t batch, const LtOperand &x,
               int64_t xBatchStride, const LtOperand &y, int64_t yBatchStride,
               const LtOperand &d, int64_t dBatchStride,
               const std::array<uint32_t, 3> &alignments, const void *bias,
               Activation activation) {
  bool ok = checkLt(
      cublasLtMatmulDescCreate(&plan.desc, CUBLAS_COMPUTE_32F, CUDA_R_32F),
      "cublasLtMatmulDescCreate");
  if (!ok)
    plan.desc = nullptr;
  int32_t transX = x.op, transY = y.op;
  ok = ok &&
       checkLt(cublasLtMatmulDescSetAttribute(plan.desc,
                                              CUBLASLT_MATMUL_DESC_TRANSA,
                                              &transX, sizeof(transX)),
               "cublasLtMatmulDescSetAttribute(TRANSA)") &&
       checkLt(cublasLtMatmulDescSetAttribute(plan.desc,
                                              CUBLASLT_MATMUL_DESC_TRANSB,
                                              &transY, sizeof(transY)),
               "cublasLtMatmulDescSetAttribute(TRANSB)") &&
       createLayout(plan.layoutX, abType, x, batch, xBatchStride) &&
       createLayout(plan.layoutY, abType, y, batch, yBatchStride) &&
       createLayout(plan.layoutD, cType, d, batch, dBatchStride);
  uint32_t epilogue = epilogueFor(bias != nullptr, activation);
  bool withEpilogue = epilogue != CUBLASLT_EPILOGUE_DEFAULT;
  if (ok && withEpilogue)
    ok = checkLt(cublasLtMatmulDescSetAttribute(plan.desc,
                                                CUBLASLT_MATMUL_DESC_EPILOGUE,
                                                &epilogue, sizeof(epilogue)),
                 "cublasLtMatmulDescSetAttribute(EPILOGUE)");
  if (ok && bias) {
    // The heuristic reads the bias pointer's alignment, so it is set now
    // (and again before each call: the same plan serves other biases of the
    // same alignment).
    int32_t biasType = cType;
    ok = checkLt(cublasLtMatmulDescSetAttribute(
                     plan.desc, CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE, &biasType,
                     sizeof(biasType)),
                 "cublasLtMatmulDescSetAttribute(BIAS_DATA_TYPE)") &&
         checkLt(cublasLtMatmulDescSetAttribute(
                     plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                     sizeof(bias)),
                 "cublasLtMatmulDescSetAttribute(BIAS_POINTER)");
  }
  if (!ok) {
    destroyPlan(plan);
    return false;
  }

  cublasLtMatmulPreference_t preference = nullptr;
  if (!checkLt(cublasLtMatmulPreferenceCreate(&preference),
               "cublasLtMatmulPreferenceCreate")) {
    destroyPlan(plan);
    return false;
  }
  uint64_t maxWorkspace = rt.workspaceSize;
  ok = checkLt(cublasLtMatmulPreferenceSetAttribute(
                   preference, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                   &maxWorkspace, sizeof(maxWorkspace)),
               "cublasLtMatmulPreferenceSetAttribute(MAX_WORKSPACE_BYTES)");
  // The default assumes 256-byte aligned pointers; views with offsets may
  // be less aligned, and an algorithm relying on it would read garbage.
  const std::array<std::pair<cublasLtMatmulPreferenceAttributes_t, uint32_t>, 4>
      alignmentAttributes = {
          {{CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, alignments[0]},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, alignments[1]},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, alignments[2]},
           {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, alignments[2]}}};
  for (const auto &attribute : alignmentAttributes) {
    uint32_t value = attribute.second;
    ok = ok && checkLt(cublasLtMatmulPreferenceSetAttribute(
                           preference, attribute.first, &value, sizeof(value)),
                       "cublasLtMatmulPreferenceSetAttribute(MIN_ALIGNMENT)");
  }

  cublasLtMatmulHeuristicResult_t heuristic;
  std::memset(&heuristic, 0, sizeof(heuristic));
  int returned = 0;
  cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
  if (ok)
    status = cublasLtMatmulAlgoGetHeuristic(
        rt.blas, plan.desc, plan.layoutX, plan.layoutY, plan.layoutD,
        plan.layoutD, preference, 1, &heuristic, &returned);
  cublasLtMatmulPreferenceDestroy(preference);
  // An epilogue cuBLASLt does not support for this problem (no algorithm,
  // or NOT_SUPPORTED) is not an error: the caller falls back.
  bool noAlgorithm =
      ok && (status == CUBLAS_STATUS_SUCCESS
                 ? returned < 1 || heuristic.state != CUBLAS_STATUS_SUCCESS
                 : withEpilogue && status == CUBLAS_STATUS_NOT_SUPPORTED);
  if (ok && !noAlgorithm)
    ok = checkLt(status, "cublasLtMatmulAlgoGetHeuristic");
  if (noAlgorithm && withEpilogue) {
    destroyPlan(plan);
    plan.noEpilogue = true;
    return true;
  }
  if (noAlgorithm) {
    recordError("tfm_cuda_matmul: cublasLtMatmulAlgoGetHeuristic found no "
                "algorithm (op(X) " +
                std::to_string(x.op == CUBLAS_OP_N ? x.rows : x.cols) + "x" +
                std::to_string(x.op == CUBLAS_OP_N ? x.cols : x.rows) +
                ", op(Y) " +
                std::to_string(y.op == CUBLAS_OP_N ? y.rows : y.cols) + "x" +
                std::to_string(y.op == CUBLAS_OP_N ? y.cols : y.rows) +
                ", batch " + std::to_string(batch) + ")");
    ok = false;
  }
  if (!ok) {
    destroyPlan(plan);
    return false;
  }
  plan.algo = heuristic.algo;
  plan.workspaceSize = heuristic.workspaceSize;
  return true;
}

/// False when TFM_CUDA_GEMM_EPILOGUES=0: every epilogue (bias, activation,
/// addend) is then applied by the runtime's own kernel after a plain GEMM
/// (the fallback), to compare the two paths.
bool epiloguesEnabled() {
  static const bool enabled = [] {
    const char *env = std::getenv("TFM_CUDA_GEMM_EPILOGUES");
    return !env || std::string(env) != "0";
  }();
  return enabled;
}

/// A vector of `size` elements `stride` elements apart.
struct VectorView {
  char *base;
  int64_t size, stride;
};

/// What a GEMM adds to its product before rounding, in cuBLASLt's order:
/// D = act(A B + X + bias).
struct Epilogue {
  /// Broadcast over D's rows.
  const VectorView *bias = nullptr;
  /// An addend of D's extents and strides (cuBLASLt's C, when it is not D).
  const MatrixView *addend = nullptr;
  Activation activation = Activation::None;

  bool empty() const {
    return !bias && !addend && activation == Activation::None;
  }
};

/// The fallback's epilogue kernels (Epilogues.cu), as PTX text.
const char kEpiloguesPtx[] =
#include "EpiloguesPTX.inc"
    ;

/// D = act(D + bias + X) in place for the single matrix `d` of `dType`, by
/// the fallback's kernel queued on `stream`. Returns false on failure
/// (recorded).
bool applyEpilogue(Runtime &rt, CUstream stream, const MatrixView &d,
                   cudaDataType_t dType, const Epilogue &epilogue) {
  std::call_once(rt.epiloguesOnce, [&rt] {
    CUmodule module = nullptr;
    if (checkCu(cuModuleLoadData(&module, kEpiloguesPtx),
                "cuModuleLoadData(epilogue kernels)"))
      rt.epilogues = module;
  });
  if (!rt.epilogues) {
    recordError("tfm_cuda_matmul: the epilogue kernels are not loaded");
    return false;
  }
  std::string name = "tfm_epilogue_";
  name += dType == CUDA_R_32F ? "f32" : dType == CUDA_R_16BF ? "bf16" : "f16";
  CUfunction function = nullptr;
  if (!checkCu(cuModuleGetFunction(&function, rt.epilogues, name.c_str()),
               "cuModuleGetFunction"))
    return false;
  CUdeviceptr base = toDevicePtr(d.base);
  long long rows = d.rows, cols = d.cols, rowStride = d.rs, colStride = d.cs;
  CUdeviceptr bias = epilogue.bias ? toDevicePtr(epilogue.bias->base) : 0;
  long long biasStride = epilogue.bias ? epilogue.bias->stride : 0;
  CUdeviceptr addend = epilogue.addend ? toDevicePtr(epilogue.addend->base) : 0;
  long long addendRowStride = epilogue.addend ? epilogue.addend->rs : 0;
  long long addendColStride = epilogue.addend ? epilogue.addend->cs : 0;
  int activation = static_cast<int>(epilogue.activation);
  void *params[] = {
      &base,      &rows,       &cols,   &rowStride,       &colStride,
      &bias,      &biasStride, &addend, &addendRowStride, &addendColStride,
      &activation};
  // A grid-stride loop: enough blocks to fill any GPU, no more.
  constexpr long long kThreads = 256, kMaxBlocks = 8192;
  long long blocks =
      std::clamp((rows * cols + kThreads - 1) / kThreads, 1LL, kMaxBlocks);
  if (!checkCu(cuLaunchKernel(function, static_cast<unsigned>(blocks), 1, 1,
                              static_cast<unsigned>(kThreads), 1, 1, 0, stream,
                              params, nullptr),
               "cuLaunchKernel(epilogue)"))
    return false;
  noteEnqueued(rt, stream);
  return true;
}

/// C = A B (+ C if `accumulate`) for batches of views, A and B of `abType`
/// (`abSize` bytes), C of `cType` (`cSize` bytes). A non-empty `epilogue`
/// (single matrices only, not accumulating) makes it C = act(A B + X +
/// bias): through cuBLASLt's epilogue where it has an algorithm, else by a
/// plain GEMM and the runtime's epilogue kernel after it.
void gemm(const MatrixView &a, const MatrixView &b, const MatrixView &c,
          int rank, cudaDataType_t abType, cudaDataType_t cType, int64_t cSize,
          bool accumulate, const Epilogue &epilogue = {}) {
  Runtime *rt = acquire();
  if (!rt)
    return;

  auto layoutError = [&](const char *what) {
    recordError(std::string("tfm_cuda_matmul: ") + what + " (" +
                describeView("A", a, rank) + ", " + describeView("B", b, rank) +
                ", " + describeView("C", c, rank) + ")");
  };

  int64_t batch = c.batch, m = c.rows, n = c.cols, k = a.cols;
  if (a.batch != batch || b.batch != batch || a.rows != m || b.cols != n ||
      b.rows != k || batch < 0 || m < 0 || n < 0 || k < 0) {
    layoutError("operand shapes do not match");
    return;
  }
  if (batch == 0 || m == 0 || n == 0)
    return;

  CUstream stream = libraryStream(*rt);
  const VectorView *bias = epilogue.bias;
  const MatrixView *addend = epilogue.addend;
  if (!epilogue.empty() && (accumulate || batch != 1)) {
    layoutError("an epilogue needs one matrix C, not accumulated onto");
    return;
  }
  if (bias) {
    if (bias->size != n) {
      layoutError(("bias of " + std::to_string(bias->size) +
                   " elements for C's " + std::to_string(n) + " columns")
                      .c_str());
      return;
    }
    if ((n > 1 && bias->stride != 1) || (n > 1 && c.cs != 1) ||
        (m > 1 && c.rs < n)) {
      layoutError("unsupported operand layout for a bias (C must be one "
                  "row-major matrix, the bias contiguous)");
      return;
    }
  }
  if (addend && (addend->batch != 1 || addend->rows != m || addend->cols != n ||
                 addend->rs != c.rs || addend->cs != c.cs)) {
    layoutError("the addend must have C's extents and strides");
    return;
  }
  // An addend that is C itself is C's old contents: a GEMM accumulating.
  bool addendIsC = addend && addend->base == c.base;
  Epilogue rest = epilogue;
  if (addendIsC)
    rest.addend = nullptr;
  // Without cuBLASLt's epilogue: C = A B (+ C), then the runtime's kernel
  // adds the rest. A failing GEMM has recorded its error, which the caller
  // reports; C's contents no longer matter then.
  auto withoutEpilogue = [&] {
    gemm(a, b, c, rank, abType, cType, cSize, /*accumulate=*/addendIsC);
    if (!rest.empty())
      applyEpilogue(*rt, stream, c, cType, rest);
  };
  if (k == 0) {
    // A B is all zeros: C = 0 (or C's old contents), then the epilogue.
    if (!accumulate && !addendIsC) {
      if (!isDense(c)) {
        layoutError("unsupported operand layout for zero-filling C (strides "
                    "not dense)");
        return;
      }
      size_t count = static_cast<size_t>(batch * m * n);
      CUdeviceptr ptr = toDevicePtr(c.base);
      if (cSize == 4)
        checkCu(cuMemsetD32Async(ptr, 0, count, stream), "cuMemsetD32Async");
      else
        checkCu(cuMemsetD16Async(ptr, 0, count, stream), "cuMemsetD16Async");
      noteEnqueued(*rt, stream);
    }
    if (!rest.empty())
      applyEpilogue(*rt, stream, c, cType, rest);
    return;
  }

  // Batch strides of extent-1 dimensions do not matter.
  int64_t sbA = batch == 1 ? 0 : a.sb;
  int64_t sbB = batch == 1 ? 0 : b.sb;
  int64_t sbC = batch == 1 ? 0 : c.sb;
  if (batch > INT32_MAX) {
    layoutError("batch count beyond cuBLASLt's 32-bit limit");
    return;
  }
  if (sbA < 0 || sbB < 0 || sbC < 0 || (batch > 1 && sbC == 0)) {
    layoutError("unsupported operand layout (batch strides)");
    return;
  }

  LtProblem problem{};
  if (!mapProblem(a, b, c, sbA, sbB, problem)) {
    layoutError("unsupported operand layout");
    return;
  }
  if (!ensureBlas(*rt))
    return;
  // The epilogue adds a bias per row of D, which is a column of C only when
  // D is C^T. Activations and the addend are elementwise.
  if ((bias && !problem.transposedD) ||
      (!epilogue.empty() && !epiloguesEnabled()))
    return withoutEpilogue();
  const LtOperand &x = problem.x, &y = problem.y, &d = problem.d;
  const char *xPtr = problem.xPtr, *yPtr = problem.yPtr;
  int64_t sbX = problem.sbX, sbY = problem.sbY;

  // cuBLASLt's C: the addend, or D itself.
  const char *cIn = addend ? addend->base : c.base;
  bool withC = accumulate || addend;
  std::array<uint32_t, 3> alignments = {
      static_cast<uint32_t>(alignmentOf(xPtr)),
      static_cast<uint32_t>(alignmentOf(yPtr)),
      static_cast<uint32_t>(std::min(alignmentOf(c.base), alignmentOf(cIn)))};
  GemmKey key = {abType,
                 cType,
                 withC ? 1 : 0,
                 batch,
                 x.op,
                 x.rows,
                 x.cols,
                 x.ld,
                 sbX,
                 y.op,
                 y.rows,
                 y.cols,
                 y.ld,
                 sbY,
                 d.rows,
                 d.cols,
                 d.ld,
                 sbC,
                 alignments[0],
                 alignments[1],
                 alignments[2],
                 static_cast<int64_t>(rt->workspaceSize),
                 bias ? 1 : 0,
                 bias ? alignmentOf(bias->base) : 0,
                 static_cast<int64_t>(epilogue.activation)};

  std::unique_lock<std::mutex> lock(rt->gemmMutex);
  {
    auto found = rt->gemmPlans.find(key);
    if (found == rt->gemmPlans.end()) {
      GemmPlan plan;
      if (!buildPlan(*rt, plan, abType, cType, batch, x, sbX, y, sbY, d, sbC,
                     alignments, bias ? bias->base : nullptr,
                     epilogue.activation))
        return;
      if (rt->gemmPlans.size() >= kMaxGemmPlans) {
        for (auto &entry : rt->gemmPlans)
          destroyPlan(entry.second);
        rt->gemmPlans.clear();
      }
      found = rt->gemmPlans.emplace(key, plan).first;
    }
    const GemmPlan &plan = found->second;
    if (plan.noEpilogue) {
      lock.unlock();
      return withoutEpilogue();
    }
    if (bias && !checkLt(cublasLtMatmulDescSetAttribute(
                             plan.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER,
                             &bias->base, sizeof(bias->base)),
                         "cublasLtMatmulDescSetAttribute(BIAS_POINTER)"))
      return;
    float alpha = 1.0f, beta = withC ? 1.0f : 0.0f;
    // Queued, not waited for: the next kernel on the stream reads C.
    checkLt(cublasLtMatmul(rt->blas, plan.desc, &alpha, xPtr, plan.layoutX,
                           yPtr, plan.layoutY, &beta, cIn, plan.layoutD, c.base,
                           plan.layoutD, &plan.algo, toHostPtr(rt->workspace),
                           plan.workspaceSize, stream),
            "cublasLtMatmul");
    noteEnqueued(*rt, stream);
  }
}

template <typename T> MatrixView view2d(StridedMemRefType<T, 2> *m) {
  return {reinterpret_cast<char *>(m->data + m->offset),
          1,
          m->sizes[0],
          m->sizes[1],
          0,
          m->strides[0],
          m->strides[1]};
}

template <typename T> MatrixView view3d(StridedMemRefType<T, 3> *m) {
  return {reinterpret_cast<char *>(m->data + m->offset),
          m->sizes[0],
          m->sizes[1],
          m->sizes[2],
          m->strides[0],
          m->strides[1],
          m->strides[2]};
}

template <typename TA, typename TC, int N>
void gemmEntry(StridedMemRefType<TA, N> *a, StridedMemRefType<TA, N> *b,
               StridedMemRefType<TC, N> *c, cudaDataType_t abType,
               cudaDataType_t cType, bool accumulate) {
  static_assert(N == 2 || N == 3, "matrices or batches of matrices");
  if (!a || !b || !c) {
    recordError("tfm_cuda_matmul: null descriptor");
    return;
  }
  if constexpr (N == 2)
    gemm(view2d(a), view2d(b), view2d(c), 2, abType, cType, sizeof(TC),
         accumulate);
  else
    gemm(view3d(a), view3d(b), view3d(c), 3, abType, cType, sizeof(TC),
         accumulate);
}

/// C = act(A B + X + bias), bias (broadcast over C's rows) and the addend X
/// optional: the entries with an epilogue.
template <typename TA, typename TC>
void gemmEpilogueEntry(StridedMemRefType<TA, 2> *a, StridedMemRefType<TA, 2> *b,
                       StridedMemRefType<TC, 1> *bias,
                       StridedMemRefType<TC, 2> *x, StridedMemRefType<TC, 2> *c,
                       cudaDataType_t abType, cudaDataType_t cType,
                       Activation activation, bool withBias, bool withX) {
  if (!a || !b || !c || (withBias && !bias) || (withX && !x)) {
    recordError("tfm_cuda_matmul: null descriptor");
    return;
  }
  VectorView biasView{};
  MatrixView addend{};
  Epilogue epilogue;
  epilogue.activation = activation;
  if (withBias) {
    biasView = {reinterpret_cast<char *>(bias->data + bias->offset),
                bias->sizes[0], bias->strides[0]};
    epilogue.bias = &biasView;
  }
  if (withX) {
    addend = view2d(x);
    epilogue.addend = &addend;
  }
  gemm(view2d(a), view2d(b), view2d(c), 2, abType, cType, sizeof(TC),
       /*accumulate=*/false, epilogue);
}

} // namespace

//===----------------------------------------------------------------------===//
// MLIR gpu-to-llvm ABI
//===----------------------------------------------------------------------===//

extern "C" TFM_CUDA_EXPORT void *mgpuModuleLoad(void *data,
                                                int64_t /*sizeBytes*/) {
  Runtime *rt = acquire();
  if (!rt)
    return nullptr;
  CUmodule module = nullptr;
  if (!checkCu(cuModuleLoadData(&module, data), "cuModuleLoadData"))
    return nullptr;
  return module;
}

extern "C" TFM_CUDA_EXPORT void *mgpuModuleLoadJIT(void *data, int optLevel) {
  Runtime *rt = acquire();
  if (!rt)
    return nullptr;
  constexpr size_t kLogSize = 8192;
  std::vector<char> log(kLogSize, '\0');
  int level = std::clamp(optLevel, 0, 4);
  CUjit_option options[] = {CU_JIT_OPTIMIZATION_LEVEL, CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {reinterpret_cast<void *>(static_cast<intptr_t>(level)),
                    log.data(),
                    reinterpret_cast<void *>(static_cast<uintptr_t>(kLogSize))};
  CUmodule module = nullptr;
  CUresult result = cuModuleLoadDataEx(&module, data, 3, options, values);
  if (result != CUDA_SUCCESS) {
    log.back() = '\0';
    std::string message = cuMessage("cuModuleLoadDataEx", result);
    if (log[0] != '\0')
      message += "; JIT log:\n" + std::string(log.data());
    recordError(message);
    return nullptr;
  }
  return module;
}

extern "C" TFM_CUDA_EXPORT void mgpuModuleUnload(void *module) {
  if (!module)
    return;
  if (!acquire())
    return;
  checkCu(cuModuleUnload(static_cast<CUmodule>(module)), "cuModuleUnload");
}

extern "C" TFM_CUDA_EXPORT void *mgpuModuleGetFunction(void *module,
                                                       const char *name) {
  if (!acquire())
    return nullptr;
  CUfunction function = nullptr;
  if (!checkCu(
          cuModuleGetFunction(&function, static_cast<CUmodule>(module), name),
          "cuModuleGetFunction"))
    return nullptr;
  return function;
}

extern "C" TFM_CUDA_EXPORT void
mgpuLaunchKernel(void *function, intptr_t gridX, intptr_t gridY, intptr_t gridZ,
                 intptr_t blockX, intptr_t blockY, intptr_t blockZ,
                 int32_t smem, void *stream, void **params, void **extra,
                 size_t /*paramsCount*/) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  if (gridX == 0 || gridY == 0 || gridZ == 0 || blockX == 0 || blockY == 0 ||
      blockZ == 0)
    return;
  const intptr_t dims[] = {gridX, gridY, gridZ, blockX, blockY, blockZ};
  for (intptr_t dim : dims)
    if (dim < 0 || static_cast<uintptr_t>(dim) > UINT32_MAX) {
      recordError("mgpuLaunchKernel: launch dimension " + std::to_string(dim) +
                  " out of range");
      return;
    }
  if (smem < 0) {
    recordError("mgpuLaunchKernel: negative dynamic shared memory size");
    return;
  }
  if (!function) {
    recordError("mgpuLaunchKernel: null function");
    return;
  }
  auto fn = static_cast<CUfunction>(function);
  if (smem > 48 * 1024 &&
      !checkCu(cuFuncSetAttribute(
                   fn, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, smem),
               "cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES)"))
    return;
  CUstream s = resolveStream(*rt, stream);
  checkCu(cuLaunchKernel(
              fn, static_cast<unsigned>(gridX), static_cast<unsigned>(gridY),
              static_cast<unsigned>(gridZ), static_cast<unsigned>(blockX),
              static_cast<unsigned>(blockY), static_cast<unsigned>(blockZ),
              static_cast<unsigned>(smem), s, params, extra),
          "cuLaunchKernel");
  noteEnqueued(*rt, s);
}

extern "C" TFM_CUDA_EXPORT void *mgpuStreamCreate(void) {
  Runtime *rt = acquire();
  if (!rt)
    return nullptr;
  return libraryStream(*rt);
}

extern "C" TFM_CUDA_EXPORT void mgpuStreamDestroy(void *stream) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  auto s = static_cast<CUstream>(stream);
  if (isLibraryStream(*rt, s))
    return;
  checkCu(cuStreamDestroy(s), "cuStreamDestroy");
}

extern "C" TFM_CUDA_EXPORT void mgpuStreamSynchronize(void *stream) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  auto s = static_cast<CUstream>(stream);
  if (isLibraryStream(*rt, s)) {
    syncLibraryStream(*rt);
    return;
  }
  checkCu(cuStreamSynchronize(s), "cuStreamSynchronize");
}

extern "C" TFM_CUDA_EXPORT void mgpuStreamWaitEvent(void *stream, void *event) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  CUstream s = resolveStream(*rt, stream);
  checkCu(cuStreamWaitEvent(s, static_cast<CUevent>(event), 0),
          "cuStreamWaitEvent");
  noteEnqueued(*rt, s);
}

extern "C" TFM_CUDA_EXPORT void *mgpuEventCreate(void) {
  if (!acquire())
    return nullptr;
  CUevent event = nullptr;
  if (!checkCu(cuEventCreate(&event, CU_EVENT_DISABLE_TIMING), "cuEventCreate"))
    return nullptr;
  return event;
}

extern "C" TFM_CUDA_EXPORT void mgpuEventDestroy(void *event) {
  if (!event || !acquire())
    return;
  checkCu(cuEventDestroy(static_cast<CUevent>(event)), "cuEventDestroy");
}

extern "C" TFM_CUDA_EXPORT void mgpuEventSynchronize(void *event) {
  if (!acquire())
    return;
  checkCu(cuEventSynchronize(static_cast<CUevent>(event)),
          "cuEventSynchronize");
}

extern "C" TFM_CUDA_EXPORT void mgpuEventRecord(void *event, void *stream) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  CUstream s = resolveStream(*rt, stream);
  checkCu(cuEventRecord(static_cast<CUevent>(event), s), "cuEventRecord");
  noteEnqueued(*rt, s);
}

extern "C" TFM_CUDA_EXPORT void *
mgpuMemAlloc(uint64_t sizeBytes, void * /*stream*/, bool isHostShared) {
  Runtime *rt = acquire();
  MemKind kind = isHostShared ? MemKind::Managed : MemKind::Device;
  CUresult result = CUDA_ERROR_NOT_INITIALIZED;
  CUdeviceptr ptr = 0;
  if (rt)
    ptr = poolAlloc(*rt, sizeBytes, kind, result);
  if (ptr)
    return toHostPtr(ptr);

  // The callers use the pointer unchecked (on the host, for managed memory):
  // stop here rather than crash later at an unrelated place.
  if (result == CUDA_ERROR_OUT_OF_MEMORY) {
    std::fprintf(stderr,
                 "tfm CUDA runtime: out of device memory allocating %llu "
                 "bytes\n",
                 static_cast<unsigned long long>(sizeBytes));
  } else {
    std::string reason =
        rt ? cuMessage(allocName(kind), result) : runtime().initError;
    std::fprintf(stderr, "tfm CUDA runtime: cannot allocate %llu bytes: %s\n",
                 static_cast<unsigned long long>(sizeBytes), reason.c_str());
  }
  std::fflush(stderr);
  std::abort();
}

extern "C" TFM_CUDA_EXPORT void mgpuMemFree(void *ptr, void * /*stream*/) {
  if (!ptr)
    return;
  Runtime *rt = acquire();
  if (!rt)
    return;
  poolFree(*rt, toDevicePtr(ptr));
}

extern "C" TFM_CUDA_EXPORT void mgpuMemcpy(void *dst, void *src,
                                           size_t sizeBytes, void *stream) {
  enqueueOn(stream, sizeBytes, [&](CUstream s) {
    checkCu(cuMemcpyAsync(toDevicePtr(dst), toDevicePtr(src), sizeBytes, s),
            "cuMemcpyAsync");
  });
}

extern "C" TFM_CUDA_EXPORT void mgpuMemset32(void *dst, unsigned int value,
                                             size_t count, void *stream) {
  enqueueOn(stream, count, [&](CUstream s) {
    checkCu(cuMemsetD32Async(toDevicePtr(dst), value, count, s),
            "cuMemsetD32Async");
  });
}

extern "C" TFM_CUDA_EXPORT void mgpuMemset16(void *dst, unsigned short value,
                                             size_t count, void *stream) {
  enqueueOn(stream, count, [&](CUstream s) {
    checkCu(cuMemsetD16Async(toDevicePtr(dst), value, count, s),
            "cuMemsetD16Async");
  });
}

extern "C" TFM_CUDA_EXPORT void mgpuSetDefaultDevice(int32_t device) {
  if (device < 0) {
    recordError("mgpuSetDefaultDevice: negative device index " +
                std::to_string(device));
    return;
  }
  requestedDevice.store(device);
  if (!runtimeStarted.load())
    return;
  Runtime &rt = runtime();
  if (rt.ready && rt.deviceIndex != device)
    recordError("mgpuSetDefaultDevice(" + std::to_string(device) +
                "): the runtime already uses device " +
                std::to_string(rt.deviceIndex));
}

//===----------------------------------------------------------------------===//
// Weight upload
//===----------------------------------------------------------------------===//

#define TFM_CUDA_DEFINE_CONSTANT(R, SUFFIX, T)                                 \
  extern "C" TFM_CUDA_EXPORT void                                              \
      _mlir_ciface_tfm_cuda_constant_r##R##_##SUFFIX(                          \
          StridedMemRefType<T, R> *result, StridedMemRefType<T, R> *host) {    \
    uploadConstant(result, host);                                              \
  }
#define TFM_CUDA_DEFINE_CONSTANTS(SUFFIX, T)                                   \
  TFM_CUDA_CONSTANT_RANKS(TFM_CUDA_DEFINE_CONSTANT, SUFFIX, T)
TFM_CUDA_CONSTANT_ELEMENT_TYPES(TFM_CUDA_DEFINE_CONSTANTS)
#undef TFM_CUDA_DEFINE_CONSTANTS
#undef TFM_CUDA_DEFINE_CONSTANT

//===----------------------------------------------------------------------===//
// GEMMs
//===----------------------------------------------------------------------===//

// The cuBLASLt data types of each TFM_CUDA_GEMM_TYPES suffix. A suffix
// missing here fails to compile.
namespace {
constexpr cudaDataType_t kAB_f32_f32 = CUDA_R_32F, kC_f32_f32 = CUDA_R_32F;
constexpr cudaDataType_t kAB_f16_f32 = CUDA_R_16F, kC_f16_f32 = CUDA_R_32F;
constexpr cudaDataType_t kAB_bf16_f32 = CUDA_R_16BF, kC_bf16_f32 = CUDA_R_32F;
constexpr cudaDataType_t kAB_f16_f16 = CUDA_R_16F, kC_f16_f16 = CUDA_R_16F;
constexpr cudaDataType_t kAB_bf16_bf16 = CUDA_R_16BF,
                         kC_bf16_bf16 = CUDA_R_16BF;
} // namespace

#define TFM_CUDA_DEFINE_GEMMS(SUFFIX, TA, TC)                                  \
  extern "C" TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_##SUFFIX(       \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 2> *C) {                                           \
    gemmEntry(A, B, C, kAB_##SUFFIX, kC_##SUFFIX, /*accumulate=*/true);        \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_set_##SUFFIX(   \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 2> *C) {                                           \
    gemmEntry(A, B, C, kAB_##SUFFIX, kC_##SUFFIX, /*accumulate=*/false);       \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_batch_matmul_##SUFFIX( \
      StridedMemRefType<TA, 3> *A, StridedMemRefType<TA, 3> *B,                \
      StridedMemRefType<TC, 3> *C) {                                           \
    gemmEntry(A, B, C, kAB_##SUFFIX, kC_##SUFFIX, /*accumulate=*/true);        \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void                                              \
      _mlir_ciface_tfm_cuda_batch_matmul_set_##SUFFIX(                         \
          StridedMemRefType<TA, 3> *A, StridedMemRefType<TA, 3> *B,            \
          StridedMemRefType<TC, 3> *C) {                                       \
    gemmEntry(A, B, C, kAB_##SUFFIX, kC_##SUFFIX, /*accumulate=*/false);       \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void _mlir_ciface_tfm_cuda_matmul_bias_##SUFFIX(  \
      StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,                \
      StridedMemRefType<TC, 1> *Bias, StridedMemRefType<TC, 2> *C) {           \
    gemmEpilogueEntry<TA, TC>(A, B, Bias, nullptr, C, kAB_##SUFFIX,            \
                              kC_##SUFFIX, Activation::None,                   \
                              /*withBias=*/true, /*withX=*/false);             \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void                                              \
      _mlir_ciface_tfm_cuda_matmul_set_residual_##SUFFIX(                      \
          StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,            \
          StridedMemRefType<TC, 2> *X, StridedMemRefType<TC, 2> *C) {          \
    gemmEpilogueEntry<TA, TC>(A, B, nullptr, X, C, kAB_##SUFFIX, kC_##SUFFIX,  \
                              Activation::None, /*withBias=*/false,            \
                              /*withX=*/true);                                 \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void                                              \
      _mlir_ciface_tfm_cuda_matmul_bias_residual_##SUFFIX(                     \
          StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,            \
          StridedMemRefType<TC, 1> *Bias, StridedMemRefType<TC, 2> *X,         \
          StridedMemRefType<TC, 2> *C) {                                       \
    gemmEpilogueEntry<TA, TC>(A, B, Bias, X, C, kAB_##SUFFIX, kC_##SUFFIX,     \
                              Activation::None, /*withBias=*/true,             \
                              /*withX=*/true);                                 \
  }
TFM_CUDA_GEMM_TYPES(TFM_CUDA_DEFINE_GEMMS)
#undef TFM_CUDA_DEFINE_GEMMS

#define TFM_CUDA_DEFINE_ACTIVATION_GEMMS(ACT, ACTIVATION, SUFFIX, TA, TC)      \
  extern "C" TFM_CUDA_EXPORT void                                              \
      _mlir_ciface_tfm_cuda_matmul_set_##ACT##_##SUFFIX(                       \
          StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,            \
          StridedMemRefType<TC, 2> *C) {                                       \
    gemmEpilogueEntry<TA, TC>(A, B, nullptr, nullptr, C, kAB_##SUFFIX,         \
                              kC_##SUFFIX, ACTIVATION, /*withBias=*/false,     \
                              /*withX=*/false);                                \
  }                                                                            \
  extern "C" TFM_CUDA_EXPORT void                                              \
      _mlir_ciface_tfm_cuda_matmul_bias_##ACT##_##SUFFIX(                      \
          StridedMemRefType<TA, 2> *A, StridedMemRefType<TA, 2> *B,            \
          StridedMemRefType<TC, 1> *Bias, StridedMemRefType<TC, 2> *C) {       \
    gemmEpilogueEntry<TA, TC>(A, B, Bias, nullptr, C, kAB_##SUFFIX,            \
                              kC_##SUFFIX, ACTIVATION, /*withBias=*/true,      \
                              /*withX=*/false);                                \
  }
#define TFM_CUDA_DEFINE_RELU_GEMMS(SUFFIX, TA, TC)                             \
  TFM_CUDA_DEFINE_ACTIVATION_GEMMS(relu, Activation::Relu, SUFFIX, TA, TC)
#define TFM_CUDA_DEFINE_GELU_TANH_GEMMS(SUFFIX, TA, TC)                        \
  TFM_CUDA_DEFINE_ACTIVATION_GEMMS(gelu_tanh, Activation::GeluTanh, SUFFIX,    \
                                   TA, TC)
TFM_CUDA_GEMM_TYPES(TFM_CUDA_DEFINE_RELU_GEMMS)
TFM_CUDA_GEMM_TYPES(TFM_CUDA_DEFINE_GELU_TANH_GEMMS)
#undef TFM_CUDA_DEFINE_GELU_TANH_GEMMS
#undef TFM_CUDA_DEFINE_RELU_GEMMS
#undef TFM_CUDA_DEFINE_ACTIVATION_GEMMS

//===----------------------------------------------------------------------===//
// Executor interface
//===----------------------------------------------------------------------===//

extern "C" TFM_CUDA_EXPORT const char *tfmCudaTakeError(void) {
  ErrorSlot &slot = errorSlot();
  std::lock_guard<std::mutex> lock(slot.mutex);
  if (!slot.set)
    return nullptr;
  char *copy = static_cast<char *>(std::malloc(slot.message.size() + 1));
  if (!copy)
    return nullptr; // Keep the error for a later call.
  std::memcpy(copy, slot.message.c_str(), slot.message.size() + 1);
  slot.set = false;
  slot.message.clear();
  return copy;
}

extern "C" TFM_CUDA_EXPORT void tfmCudaSynchronize(void) {
  if (Runtime *rt = acquire())
    syncLibraryStream(*rt);
}

extern "C" TFM_CUDA_EXPORT void tfmCudaReleaseCachedMemory(void) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  std::lock_guard<std::mutex> lock(rt->poolMutex);
  releaseFreeBlocksLocked(*rt);
}

extern "C" TFM_CUDA_EXPORT void tfmCudaReleaseConstants(void) {
  Runtime *rt = acquire();
  if (!rt)
    return;
  std::lock_guard<std::mutex> lock(rt->constantsMutex);
  if (rt->constants.empty())
    return;
  // Kernels still queued may read the weights.
  syncLibraryStream(*rt);
  for (const auto &entry : rt->constants)
    poolRelease(*rt, entry.second);
  rt->constants.clear();
}

extern "C" TFM_CUDA_EXPORT int tfmCudaDeviceCount(void) {
  if (cuInit(0) != CUDA_SUCCESS)
    return 0;
  int count = 0;
  if (cuDeviceGetCount(&count) != CUDA_SUCCESS)
    return 0;
  return count;
}

extern "C" TFM_CUDA_EXPORT const char *tfmCudaDeviceName(void) {
  static char name[256];
  static std::once_flag once;
  std::call_once(once, [] {
    name[0] = '\0';
    int index = 0;
    std::string why;
    CUdevice device;
    if (!chooseDevice(index, why) || cuInit(0) != CUDA_SUCCESS ||
        cuDeviceGet(&device, index) != CUDA_SUCCESS ||
        cuDeviceGetName(name, sizeof(name), device) != CUDA_SUCCESS)
      name[0] = '\0';
    name[sizeof(name) - 1] = '\0';
  });
  return name;
}
