//===- GPUDeviceMemory.cpp - buffers of host code in GPU memory -----*- C++
//-*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// After bufferization every buffer of the model is a host allocation, a host
// global or a caller's host buffer. This pass moves them where kernels can
// address them (see the pass description); entry points keep the CPU
// executor's calling convention so one driver serves both targets.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUDEVICEMEMORY
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// The runtime's name for an element type, or "" if it has none.
std::string elementSuffix(Type t) {
  if (t.isF64())
    return "f64";
  if (t.isF32())
    return "f32";
  if (t.isF16())
    return "f16";
  if (t.isBF16())
    return "bf16";
  for (unsigned w : {64u, 32u, 16u, 8u, 1u})
    if (t.isInteger(w))
      return "i" + std::to_string(w);
  return "";
}

/// memref<?x...x?xT> of the same rank and element type.
MemRefType dynamicIdentity(MemRefType t) {
  return MemRefType::get(
      SmallVector<int64_t>(t.getRank(), ShapedType::kDynamic),
      t.getElementType());
}

/// A fresh stream token (tfm's runtime: its one stream).
Value streamToken(OpBuilder &b, Location loc) {
  Type token = gpu::AsyncTokenType::get(b.getContext());
  return gpu::WaitOp::create(b, loc, token, ValueRange{}).getAsyncToken();
}

/// Returns `buffer` to the runtime's pool, in stream order: queued work that
/// still uses it runs before any later reuse.
void createDeviceFree(OpBuilder &b, Location loc, Value buffer) {
  gpu::DeallocOp::create(b, loc, gpu::AsyncTokenType::get(b.getContext()),
                         ValueRange{streamToken(b, loc)}, buffer);
}

/// Copies `from` into `to` (same shape, identity layouts) in stream order.
void createStreamCopy(OpBuilder &b, Location loc, Value from, Value to) {
  gpu::MemcpyOp::create(b, loc, gpu::AsyncTokenType::get(b.getContext()),
                        ValueRange{streamToken(b, loc)}, to, from);
}

/// Managed memory (`gpu.alloc host_shared`) of `type`.
Value createManaged(OpBuilder &b, Location loc, MemRefType type,
                    ValueRange dynSizes, ValueRange symbols = {}) {
  return gpu::AllocOp::create(b, loc, type, /*asyncToken=*/Type(), ValueRange{},
                              dynSizes, symbols,
                              /*hostShared=*/true)
      .getMemref();
}

/// The dynamic extents of the memref `v`.
SmallVector<Value> dynamicSizes(OpBuilder &b, Location loc, Value v) {
  auto type = cast<MemRefType>(v.getType());
  SmallVector<Value> sizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      sizes.push_back(memref::DimOp::create(b, loc, v, i));
  return sizes;
}

/// `v`'s type with an identity layout.
MemRefType identityLayout(Value v) {
  auto type = cast<MemRefType>(v.getType());
  return MemRefType::get(type.getShape(), type.getElementType());
}

struct TfmGPUDeviceMemoryPass
    : mlir::tfm::impl::TfmGPUDeviceMemoryBase<TfmGPUDeviceMemoryPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    bool failedAny = false;
    for (auto fn : llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (fn.isExternal())
        continue;
      if (failed(convertBuffers(fn, symbols)))
        failedAny = true;
      else if (fn.isPublic())
        stageEntry(fn);
    }
    if (failedAny)
      signalPassFailure();
  }

  /// Declares (once) the runtime's upload function for `type`'s rank and
  /// element type.
  func::FuncOp uploadFunction(SymbolTable &symbols, MemRefType type) {
    std::string name = "tfm_cuda_constant_r" + std::to_string(type.getRank()) +
                       "_" + elementSuffix(type.getElementType());
    if (auto f = symbols.lookup<func::FuncOp>(name))
      return f;
    MLIRContext *ctx = &getContext();
    MemRefType view = dynamicIdentity(type);
    OpBuilder b = OpBuilder::atBlockBegin(getOperation().getBody());
    auto f = func::FuncOp::create(b, getOperation().getLoc(), name,
                                  FunctionType::get(ctx, {view}, {view}));
    f.setPrivate();
    f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
               UnitAttr::get(ctx));
    symbols.insert(f);
    return f;
  }

  LogicalResult convertBuffers(func::FuncOp fn, SymbolTable &symbols) {
    SmallVector<Operation *> ops;
    fn.walk([&](Operation *op) {
      if (isa<memref::AllocOp, memref::AllocaOp, memref::DeallocOp,
              memref::GetGlobalOp, memref::CopyOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        Value managed =
            createManaged(b, loc, alloc.getType(), alloc.getDynamicSizes(),
                          alloc.getSymbolOperands());
        // Marks such as tfm-plan-buffers's arena stay with the buffer.
        managed.getDefiningOp()->setDiscardableAttrs(
            alloc->getDiscardableAttrDictionary());
        alloc.replaceAllUsesWith(managed);
        alloc->erase();
      } else if (auto alloca = dyn_cast<memref::AllocaOp>(op)) {
        if (alloca->getBlock() != &fn.getBody().front())
          return alloca.emitError(
              "tfm-gpu-device-memory: a stack buffer outside the function's "
              "entry block cannot be placed in GPU memory");
        Value managed =
            createManaged(b, loc, alloca.getType(), alloca.getDynamicSizes(),
                          alloca.getSymbolOperands());
        alloca.replaceAllUsesWith(managed);
        alloca->erase();
        fn.walk([&](func::ReturnOp ret) {
          OpBuilder rb(ret);
          createDeviceFree(rb, ret.getLoc(), managed);
        });
      } else if (auto dealloc = dyn_cast<memref::DeallocOp>(op)) {
        createDeviceFree(b, loc, dealloc.getMemref());
        dealloc->erase();
      } else if (auto get = dyn_cast<memref::GetGlobalOp>(op)) {
        auto global = symbols.lookup<memref::GlobalOp>(get.getName());
        if (!global || !global.getConstant())
          return get.emitError("tfm-gpu-device-memory: only constant globals "
                               "can be used on the GPU, '")
                 << get.getName() << "' is mutable";
        MemRefType type = get.getType();
        if (!type.getLayout().isIdentity() ||
            elementSuffix(type.getElementType()).empty())
          return get.emitError("tfm-gpu-device-memory: no device upload for "
                               "a global of type ")
                 << type;
        b.setInsertionPointAfter(get);
        func::FuncOp upload = uploadFunction(symbols, type);
        Value host = memref::CastOp::create(b, loc, dynamicIdentity(type),
                                            get.getResult());
        Value device =
            func::CallOp::create(b, loc, upload, ValueRange{host}).getResult(0);
        Value typed = memref::CastOp::create(b, loc, type, device);
        get.getResult().replaceAllUsesExcept(typed, host.getDefiningOp());
      } else if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        linalg::CopyOp::create(b, loc, copy.getSource(), copy.getTarget());
        copy->erase();
      }
    }
    return success();
  }

  /// Entry points read and return host memory: arguments are copied into
  /// managed buffers, results out of them into host buffers the caller owns.
  void stageEntry(func::FuncOp fn) {
    Block &entry = fn.getBody().front();
    OpBuilder b = OpBuilder::atBlockBegin(&entry);
    SmallVector<Value> staged;
    for (BlockArgument arg : entry.getArguments()) {
      if (!isa<MemRefType>(arg.getType()))
        continue;
      Location loc = arg.getLoc();
      SmallVector<OpOperand *> uses =
          llvm::map_to_vector(arg.getUses(), [](OpOperand &u) { return &u; });
      Value managed =
          createManaged(b, loc, identityLayout(arg), dynamicSizes(b, loc, arg));
      createStreamCopy(b, loc, arg, managed);
      Value typed = managed;
      if (managed.getType() != arg.getType())
        typed = memref::CastOp::create(b, loc, arg.getType(), managed);
      for (OpOperand *use : uses)
        use->set(typed);
      staged.push_back(managed);
    }
    fn.walk([&](func::ReturnOp ret) {
      OpBuilder rb(ret);
      Location loc = ret.getLoc();
      llvm::SetVector<Value> freed;
      SmallVector<Value> results;
      for (Value v : ret.getOperands()) {
        auto type = dyn_cast<MemRefType>(v.getType());
        if (!type) {
          results.push_back(v);
          continue;
        }
        Value host = memref::AllocOp::create(rb, loc, identityLayout(v),
                                             dynamicSizes(rb, loc, v));
        // A strided view is copied by the host (after a wait).
        if (type.getLayout().isIdentity())
          createStreamCopy(rb, loc, v, host);
        else
          memref::CopyOp::create(rb, loc, v, host);
        Value typed = host;
        if (host.getType() != type)
          typed = memref::CastOp::create(rb, loc, type, host);
        results.push_back(typed);
        // The function owned what it returned: free it unless it is an
        // argument's staging copy (freed below) or a weight.
        // The buffer it views (casts are view-like too).
        Value root = memref::skipViewLikeOps(cast<MemrefValue>(v));
        if (root.getDefiningOp<gpu::AllocOp>() &&
            !llvm::is_contained(staged, root))
          freed.insert(root);
      }
      for (Value root : freed)
        createDeviceFree(rb, loc, root);
      for (Value managed : staged)
        createDeviceFree(rb, loc, managed);
      ret->setOperands(results);
    });
  }
};

} // namespace
