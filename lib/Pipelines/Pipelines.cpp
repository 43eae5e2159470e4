//===- Pipelines.cpp - tfm pass pipelines -------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Pipelines/Pipelines.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/BufferizationToMemRef/BufferizationToMemRef.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/GPUCommon/GPUCommonPass.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/NVVMToLLVM/NVVMToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace {
/// What the two targets' front ends differ in.
struct FrontEndOptions {
  bool fusedAttention = true;
  bool planBuffers = true;
  /// Keys per online-softmax step of the one-thread-per-row kernel.
  int64_t attentionKeyBlock = 1;
  bool tensorCoreAttention = false;
  /// Runs the tensor-core kernel's warps lane by lane on the CPU.
  bool emulateWarps = false;
  /// The runtime ("cpu" or "cuda") whose GEMM calls replace linalg GEMMs,
  /// or none.
  std::optional<std::string> gemmRuntime;
};
} // namespace

/// Model -> bufferized host code with explicit deallocation, temporaries
/// planned into one arena per function: the part of the pipeline both
/// targets share.
static void buildBufferizedFrontEnd(OpPassManager &pm,
                                    const FrontEndOptions &options) {
  // Imported ONNX nodes that were not raised to tfm ops: shapes first (ONNX
  // shape inference leaves exported graphs partly unranked), then upstream
  // ops. Constant operands the legalisation needs are still local here.
  pm.addPass(tfm::createTfmFoldOnnxShapes());
  pm.addPass(tfm::createConvertOnnxToLinalg());
  // Transformer tier -> linalg on tensors. Blocks become (shared) functions
  // first: small functions keep LLVM's compile time linear in the depth.
  pm.addPass(tfm::createTfmOutlineBlocks());
  if (options.fusedAttention) {
    tfm::TfmFuseAttentionOptions attention;
    attention.keyBlock = options.attentionKeyBlock;
    attention.tensorCores = options.tensorCoreAttention;
    pm.addPass(tfm::createTfmFuseAttention(attention));
    // The tensor-core kernel's warps, run lane by lane on the CPU.
    if (options.emulateWarps)
      pm.addPass(tfm::createTfmEmulateWarps());
  }
  pm.addPass(tfm::createConvertTfmToLinalg());
  // Graph-tier elementwise arith/math on tensors -> linalg.generic.
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(tfm::createTfmFuseElementwise());
  pm.addPass(createCanonicalizerPass());
  // Undo CSE's merging of same-shaped GEMMs' fills and kernels' empty
  // tensors.
  pm.addPass(tfm::createTfmUnshareInits());
  // Each concatenated input written in its slice of the result, not copied.
  // The canonicalizer turns the result's sizes, read off the inputs, into
  // values defined before the inputs' producers, which can then write into
  // it.
  pm.addPass(tfm::createTfmDecomposeConcat());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());

  // Tensors -> buffers, with deallocation.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  // A slice written in place is still "copied" to an equal subview of
  // itself: CSE makes the two one value and the self-copy folds.
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  // GEMMs -> runtime calls while every buffer is still its own allocation
  // and before deallocation and planning: a GEMM that takes over the write
  // of the kernel after it is then seen to use that buffer too, and both
  // keep its inputs alive.
  if (options.gemmRuntime) {
    tfm::ConvertLinalgToTfmRuntimeOptions gemms;
    gemms.runtime = *options.gemmRuntime;
    pm.addPass(tfm::createConvertLinalgToTfmRuntime(gemms));
  }
  bufferization::BufferDeallocationPipelineOptions dealloc;
  bufferization::buildBufferDeallocationPipeline(pm, dealloc);
  pm.addPass(createConvertBufferizationToMemRefPass()); // clones -> alloc + copy
  if (options.planBuffers)
    pm.addNestedPass<func::FuncOp>(tfm::createTfmPlanBuffers());
}

/// Structured control flow -> cf, and views -> strided metadata: the
/// lowering host code and kernels share on both targets.
static void addControlFlowAndStridedMetadata(OpPassManager &pm) {
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(tfm::createTfmLowerExpandShape());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
}

void mlir::tfm::buildTfmToCPUPipeline(OpPassManager &pm,
                                const TfmToCPUPipelineOptions &options) {
  // A block of 8 keys per online-softmax step: 19% faster attention than one
  // key at a time (GPT-2 shapes, seq 512, AVX2).
  bool emulate = options.emulateTensorCoreAttention;
  FrontEndOptions frontEnd;
  frontEnd.fusedAttention = options.fusedAttention || emulate;
  frontEnd.planBuffers = options.planBuffers;
  frontEnd.attentionKeyBlock = 8;
  frontEnd.tensorCoreAttention = emulate;
  frontEnd.emulateWarps = emulate;
  // Emulated, the GEMM calls are the CUDA target's (cuBLASLt's contracts,
  // run by the CPU stand-in of its runtime).
  if (options.useRuntimeGemm)
    frontEnd.gemmRuntime = options.emulateGPUKernels ? "cuda" : "cpu";
  buildBufferizedFrontEnd(pm, frontEnd);

  // The CUDA target's program: its buffers, its kernels run block by block
  // and thread by thread, its runtime calls by a CPU stand-in.
  if (options.emulateGPUKernels) {
    pm.addPass(tfm::createTfmGPUDeviceMemory());
    pm.addPass(tfm::createTfmLinalgToGPU());
    tfm::TfmEmulateGPULaunchesOptions emulation;
    emulation.reverse = options.emulateInReverse;
    pm.addPass(tfm::createTfmEmulateGPULaunches(emulation));
    pm.addPass(tfm::createTfmEmulateCUDAHost());
    pm.addPass(createCanonicalizerPass());
  }

  // Everything but the GEMMs -> loops -> LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createForallToForLoopPass()); // fused attention
  addControlFlowAndStridedMetadata(pm);
  pm.addPass(tfm::createTfmPolynomialMath());
  // LLVM intrinsics first (exp, sqrt, rsqrt...), libm for the rest (erf,
  // tanh): libm has no rsqrtf.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

//===----------------------------------------------------------------------===//
// CUDA
//===----------------------------------------------------------------------===//

namespace {
/// A chip LLVM's NVPTX back end knows, with the oldest PTX ISA it accepts
/// and whether it has mma.sync.m16n8k16 for bf16 and f16 (sm_80 on).
struct ChipInfo {
  llvm::StringLiteral name;
  unsigned minPtx;
  bool bf16MmaSync;
};
constexpr ChipInfo kChips[] = {
    {"sm_70", 60, false},  {"sm_72", 61, false},  {"sm_75", 63, false},
    {"sm_80", 70, true},   {"sm_86", 71, true},   {"sm_87", 74, true},
    {"sm_89", 78, true},   {"sm_90", 78, true},   {"sm_90a", 80, true},
    {"sm_100", 86, true},  {"sm_100a", 86, true}, {"sm_120", 87, true},
    {"sm_120a", 87, true},
};

const ChipInfo *findChip(llvm::StringRef chip) {
  const ChipInfo *info =
      llvm::find_if(kChips, [&](const ChipInfo &c) { return c.name == chip; });
  return info == std::end(kChips) ? nullptr : info;
}
} // namespace

std::string mlir::tfm::checkCUDATarget(llvm::StringRef chip,
                                       llvm::StringRef features,
                                       llvm::StringRef format) {
  const ChipInfo *info = findChip(chip);
  if (!info) {
    std::string known;
    for (const ChipInfo &c : kChips)
      known += (known.empty() ? "" : ", ") + c.name.str();
    return "unsupported CUDA chip '" + chip.str() + "' (supported: " + known +
           ")";
  }
  unsigned ptx = 0;
  llvm::SmallVector<llvm::StringRef> parts;
  features.split(parts, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef f : parts) {
    llvm::StringRef rest = f.trim();
    unsigned v;
    if (!rest.consume_front("+ptx") || rest.getAsInteger(10, v))
      return "unsupported CUDA feature '" + f.str() +
             "' (expected +ptxNN, e.g. +ptx80)";
    ptx = std::max(ptx, v);
  }
  if (ptx == 0)
    return "the CUDA features must name a PTX ISA version (e.g. +ptx80)";
  if (ptx < info->minPtx)
    return "PTX ISA " + std::to_string(ptx / 10) + "." +
           std::to_string(ptx % 10) + " (+ptx" + std::to_string(ptx) +
           ") cannot target " + chip.str() + ": it needs +ptx" +
           std::to_string(info->minPtx) + " or later";
  if (format != "ptx" && format != "cubin" && format != "fatbin")
    return "unknown GPU binary format '" + format.str() +
           "' (expected ptx, cubin or fatbin)";
  return "";
}

std::string mlir::tfm::defaultCUDAFeatures(llvm::StringRef chip) {
  unsigned ptx = 80;
  if (const ChipInfo *info = findChip(chip))
    ptx = std::max(ptx, info->minPtx);
  return "+ptx" + std::to_string(ptx);
}

std::string mlir::tfm::defaultCUDAToolkitPath() {
  for (const char *var : {"CUDA_HOME", "CUDA_PATH", "CUDA_ROOT"})
    if (const char *v = std::getenv(var); v && *v)
      return v;
#ifdef TFM_CUDA_TOOLKIT_DIR
  return TFM_CUDA_TOOLKIT_DIR;
#else
  return "";
#endif
}

void mlir::tfm::buildTfmToCUDAPipeline(
    OpPassManager &pm, const TfmToCUDAPipelineOptions &options) {
  // One key per online-softmax step: a thread holds its row's state in
  // registers, and a block of keys' rows would spill (ptxas.test). 16-bit
  // attention runs on tensor cores where the chip has bf16 mma.sync.
  const ChipInfo *chip = findChip(options.chip);
  FrontEndOptions frontEnd;
  frontEnd.fusedAttention = options.fusedAttention;
  frontEnd.planBuffers = options.planBuffers;
  frontEnd.tensorCoreAttention =
      options.tensorCoreAttention && chip && chip->bf16MmaSync;
  frontEnd.gemmRuntime = "cuda"; // cuBLASLt
  buildBufferizedFrontEnd(pm, frontEnd);

  // Buffers -> GPU memory; linalg ops but the GEMMs -> kernels.
  pm.addPass(tfm::createTfmGPUDeviceMemory());
  tfm::TfmLinalgToGPUOptions kernels;
  kernels.blockSize = options.blockSize;
  pm.addPass(tfm::createTfmLinalgToGPU(kernels));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(tfm::createTfmMergeGPUModules());
  // One stream: launches stop waiting, the host waits only for its reads.
  pm.addPass(tfm::createTfmGPUAsync());

  // Host and kernels share the structured-control and affine lowering.
  addControlFlowAndStridedMetadata(pm);
  pm.addPass(createConvertNVVMToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Kernels -> NVVM. Math becomes polynomials (exp, tanh and erf the same as
  // on the CPU) and single PTX instructions, so that the PTX is the same with
  // or without a CUDA Toolkit; whatever still needs libdevice (f64
  // transcendentals) is an error when there is none.
  std::string toolkit = options.toolkit.empty() ? defaultCUDAToolkitPath()
                                                : std::string(options.toolkit);
  OpPassManager &kernelPm = pm.nest<gpu::GPUModuleOp>();
  kernelPm.addPass(createStripDebugInfoPass());
  kernelPm.addPass(tfm::createTfmGPULaunchBounds());
  kernelPm.addPass(tfm::createTfmGPUNativeMath());
  kernelPm.addPass(createConvertGpuOpsToNVVMOps());
  tfm::TfmGPUResolveLibdeviceOptions libdevice;
  if (!toolkit.empty())
    libdevice.libdevice = toolkit + "/nvvm/libdevice/libdevice.10.bc";
  kernelPm.addPass(tfm::createTfmGPUResolveLibdevice(libdevice));
  kernelPm.addPass(createCanonicalizerPass());
  kernelPm.addPass(createCSEPass());
  kernelPm.addPass(createReconcileUnrealizedCastsPass());

  // Host: launches, allocations and the rest -> LLVM; kernels -> binary.
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format == "cubin"    ? "bin"
                             : options.format == "fatbin" ? "fatbin"
                                                          : "isa";
  binary.toolkitPath = toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::tfm::registerTfmPipelines() {
  PassPipelineRegistration<TfmToCPUPipelineOptions>(
      "tfm-to-cpu",
      "Lower a model (tfm tier or linalg on tensors) to the LLVM dialect for "
      "the CPU",
      buildTfmToCPUPipeline);
  // Registered by hand so that a bad chip/feature pair is a diagnostic
  // rather than LLVM's abort.
  registerPassPipeline(
      "tfm-to-cuda",
      "Lower a model (tfm tier or linalg on tensors) to host code in the "
      "LLVM dialect launching NVVM kernels from a gpu.binary (PTX, cubin or "
      "fatbin)",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        TfmToCUDAPipelineOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        std::string error =
            checkCUDATarget(options.chip, options.features, options.format);
        if (!error.empty())
          return errorHandler("tfm-to-cuda: " + error);
        buildTfmToCUDAPipeline(pm, options);
        return success();
      },
      [](function_ref<void(const detail::PassOptions &)> optHandler) {
        optHandler(TfmToCUDAPipelineOptions());
      });
}
