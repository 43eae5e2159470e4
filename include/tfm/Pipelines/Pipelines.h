//===- Pipelines.h - tfm pass pipelines ---------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef TFM_PIPELINES_PIPELINES_H
#define TFM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::tfm {

struct TfmToCPUPipelineOptions
    : public PassPipelineOptions<TfmToCPUPipelineOptions> {
  PassOptions::Option<bool> useRuntimeGemm{
      *this, "runtime-gemm",
      llvm::cl::desc("Call the tuned runtime GEMM for f32 matmuls"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fusedAttention{
      *this, "fused-attention",
      llvm::cl::desc("Lower tfm.attention to the fused online-softmax loop "
                     "nest the GPU runs (default: two GEMMs and a softmax)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> planBuffers{
      *this, "plan-buffers",
      llvm::cl::desc("Place each function's temporaries in one arena by "
                     "lifetime (tfm-plan-buffers)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> emulateTensorCoreAttention{
      *this, "emulate-tensor-core-attention",
      llvm::cl::desc("Run fused bf16/f16 attention as the CUDA tensor-core "
                     "kernel, its warps emulated lane by lane "
                     "(tfm-emulate-warps): slow, for checking that kernel "
                     "without a GPU; implies fused-attention"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> emulateGPUKernels{
      *this, "emulate-gpu-kernels",
      llvm::cl::desc("Build the program as the CUDA target does (device "
                     "buffers, cuBLASLt GEMM calls with their epilogues, "
                     "kernels from tfm-linalg-to-gpu) and run it on the "
                     "CPU: kernels block by block and thread by thread "
                     "(tfm-emulate-gpu-launches), GEMMs by a CPU stand-in "
                     "of the CUDA runtime (tfm-emulate-cuda-host); slow, "
                     "for checking that program without a GPU"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> emulateInReverse{
      *this, "emulate-in-reverse",
      llvm::cl::desc("With emulate-gpu-kernels, run blocks and threads from "
                     "the last to the first (a race shows as a difference "
                     "between the two orders)"),
      llvm::cl::init(false)};
};

/// tfm (or graph-tier linalg/tensor) -> LLVM dialect for the CPU: lowering
/// of tfm ops, elementwise fusion, bufferization, deallocation, runtime GEMM
/// calls, loops, and the conversions to LLVM. Public functions get the C
/// interface so the ExecutionEngine can call them.
void buildTfmToCPUPipeline(OpPassManager &pm,
                           const TfmToCPUPipelineOptions &options);

struct TfmToCUDAPipelineOptions
    : public PassPipelineOptions<TfmToCUDAPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU architecture (sm_80, sm_86, sm_89, "
                                    "sm_90, sm_90a, ...)"),
      llvm::cl::init("sm_90a")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX ISA version as an LLVM feature (+ptx80, ...); at "
                     "least what the chip needs"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the gpu.binary holds: ptx (needs no toolkit; the "
                     "driver compiles it at load), cubin or fatbin (need "
                     "ptxas / fatbinary)"),
      llvm::cl::init("ptx")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA Toolkit root for ptxas and libdevice (default: "
                     "$CUDA_HOME, else the toolkit tfm was configured with)"),
      llvm::cl::init("")};
  PassOptions::Option<unsigned> optLevel{
      *this, "opt-level", llvm::cl::desc("LLVM/ptxas optimisation level"),
      llvm::cl::init(3)};
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of the generated kernels"),
      llvm::cl::init(256)};
  PassOptions::Option<bool> fusedAttention{
      *this, "fused-attention",
      llvm::cl::desc("Run tfm.attention as one fused online-softmax kernel "
                     "(off: cuBLASLt GEMMs around a softmax kernel)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> tensorCoreAttention{
      *this, "tensor-core-attention",
      llvm::cl::desc("With fused-attention, run bf16/f16 attention whose head "
                     "widths are multiples of 16 (up to 128) on tensor cores: "
                     "a warp of mma.sync per 16 query rows (sm_80 and later)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> planBuffers{
      *this, "plan-buffers",
      llvm::cl::desc("Place each function's temporaries in one arena by "
                     "lifetime (tfm-plan-buffers)"),
      llvm::cl::init(true)};
};

/// tfm (or graph-tier linalg/tensor) -> host code in the LLVM dialect that
/// launches kernels from a `gpu.binary`: the CPU pipeline's front end and
/// bufferization, device memory placement, cuBLASLt GEMMs, template
/// kernels, NVVM, and serialisation to PTX, cubin or fatbin.
void buildTfmToCUDAPipeline(OpPassManager &pm,
                            const TfmToCUDAPipelineOptions &options);

/// Checks a CUDA target before LLVM sees it (LLVM aborts the process on a
/// PTX version too old for the chip). Returns an error message, or "" if
/// the chip, features and format are usable.
std::string checkCUDATarget(llvm::StringRef chip, llvm::StringRef features,
                            llvm::StringRef format);

/// The PTX feature tfm uses for `chip` by default: +ptx80, or the chip's
/// minimum if that is later.
std::string defaultCUDAFeatures(llvm::StringRef chip);

/// The CUDA Toolkit to use: $CUDA_HOME, $CUDA_PATH, else the one tfm was
/// configured with (may be empty: then only PTX can be produced).
std::string defaultCUDAToolkitPath();

/// Registers `tfm-to-cpu` and `tfm-to-cuda` with the pass registry.
void registerTfmPipelines();

} // namespace mlir::tfm

#endif // TFM_PIPELINES_PIPELINES_H
