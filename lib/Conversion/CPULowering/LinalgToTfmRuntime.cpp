//===- LinalgToTfmRuntime.cpp - f32 GEMMs to runtime calls --------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CONVERTLINALGTOTFMRUNTIME
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// memref<?x...x?xf32, strided<[?, ...], offset: ?>> of `rank`.
MemRefType fullyDynamicView(MLIRContext *ctx, int64_t rank, Type elt) {
  SmallVector<int64_t> shape(rank, ShapedType::kDynamic);
  SmallVector<int64_t> strides(rank, ShapedType::kDynamic);
  auto layout =
      StridedLayoutAttr::get(ctx, ShapedType::kDynamic, strides);
  return MemRefType::get(shape, elt, layout);
}

/// Declares (once) `name(view, view, view)` with the C interface.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name, int64_t rank,
                          Type elt) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  MemRefType view = fullyDynamicView(ctx, rank, elt);
  auto fnTy = FunctionType::get(ctx, {view, view, view}, {});
  auto f = func::FuncOp::create(b, module.getLoc(), name, fnTy);
  f.setPrivate();
  f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), UnitAttr::get(ctx));
  return f;
}

/// True if every operand is an f32 memref.
bool allF32Memrefs(linalg::LinalgOp op) {
  return llvm::all_of(op->getOperands(), [](Value v) {
    auto ty = dyn_cast<MemRefType>(v.getType());
    return ty && ty.getElementType().isF32();
  });
}

struct ConvertLinalgToTfmRuntimePass
    : mlir::tfm::impl::ConvertLinalgToTfmRuntimeBase<
          ConvertLinalgToTfmRuntimePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<linalg::LinalgOp> gemms;
    module.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
          !allF32Memrefs(op))
        return;
      // Only the plain contraction (no transposing indexing maps, no casts).
      auto named = op.getIndexingMapsArray();
      SmallVector<AffineMap> defaults =
          isa<linalg::MatmulOp>(op)
              ? linalg::MatmulOp::getDefaultIndexingMaps(op->getContext())
              : linalg::BatchMatmulOp::getDefaultIndexingMaps(op->getContext());
      if (named != defaults)
        return;
      gemms.push_back(op);
    });
    for (linalg::LinalgOp op : gemms) {
      bool batched = isa<linalg::BatchMatmulOp>(op);
      int64_t rank = batched ? 3 : 2;
      Type f32 = Float32Type::get(&getContext());
      // A zero fill of the accumulator right before the GEMM becomes an
      // overwriting GEMM (beta = 0): one pass less over C.
      auto fill = dyn_cast_or_null<linalg::FillOp>(op->getPrevNode());
      bool overwrite = fill && fill.getOutputs()[0] == op.getDpsInits()[0] &&
                       matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
      if (overwrite)
        fill->erase();
      std::string name = batched ? "tfm_rt_batch_matmul" : "tfm_rt_matmul";
      name += overwrite ? "_set_f32" : "_f32";
      func::FuncOp callee = getOrDeclare(module, name, rank, f32);
      OpBuilder b(op);
      SmallVector<Value> views;
      for (Value v : op->getOperands())
        views.push_back(memref::CastOp::create(
            b, op.getLoc(), fullyDynamicView(&getContext(), rank, f32), v));
      func::CallOp::create(b, op.getLoc(), callee, views);
      op->erase();
    }
  }
};

} // namespace
