//===- LinalgToTfmRuntime.cpp - GEMMs to runtime calls ------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

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

/// Declares (once) `name` taking `views`, with the C interface.
func::FuncOp getOrDeclare(ModuleOp module, StringRef name, TypeRange views) {
  if (auto f = module.lookupSymbol<func::FuncOp>(name))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto fnTy = FunctionType::get(ctx, views, {});
  auto f = func::FuncOp::create(b, module.getLoc(), name, fnTy);
  f.setPrivate();
  f->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(), UnitAttr::get(ctx));
  return f;
}

/// True if `type` is a memref whose elements are contiguous and in order
/// (unit innermost stride, each row right after the previous one).
bool isRowMajor(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  return memref && memref.getLayout().isIdentity();
}

/// True if `op` has no memory effect other than allocating its results.
bool onlyAllocates(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects || op->getNumRegions() != 0)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::all_of(instances, [&](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Allocate>(e.getEffect()) && e.getValue() &&
           e.getValue().getDefiningOp() == op;
  });
}

/// The nearest operation after (`forward`) or before `op` in its block that
/// touches memory, skipping views, shape reads, constants and allocations
/// (a GEMM moved forward onto the kernel after it then still comes after
/// its output's allocation).
Operation *adjacentEffectful(Operation *op, bool forward) {
  do
    op = forward ? op->getNextNode() : op->getPrevNode();
  while (op && (isMemoryEffectFree(op) || onlyAllocates(op)));
  return op;
}

/// The buffer a view is part of, and the bytes of it the view spans if
/// they are known.
struct Extent {
  Value root;
  std::optional<std::pair<int64_t, int64_t>> bytes;
};

/// Follows `v` through view-like ops to the buffer it views. The byte range
/// is known for a static row-major view reached through casts, reshapes and
/// memref.view at constant shifts (tfm-plan-buffers's arena slots).
Extent extentOf(Value v) {
  auto type = cast<MemRefType>(v.getType());
  std::optional<std::pair<int64_t, int64_t>> bytes;
  if (type.hasStaticShape() && type.getLayout().isIdentity() &&
      type.getElementType().isIntOrFloat())
    bytes = {0, type.getNumElements() *
                    llvm::divideCeil(type.getElementTypeBitWidth(), 8)};
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>()) {
    Operation *op = view.getOperation();
    APInt shift;
    if (auto byteView = dyn_cast<memref::ViewOp>(op)) {
      if (bytes && byteView.getSizes().empty() &&
          matchPattern(byteView.getByteShift(), m_ConstantInt(&shift)))
        bytes = {bytes->first + shift.getSExtValue(),
                 bytes->second + shift.getSExtValue()};
      else
        bytes.reset();
    } else if (!isa<memref::CastOp, memref::CollapseShapeOp,
                    memref::ExpandShapeOp>(op)) {
      // Casts and reshapes of a row-major view keep its pointer and bytes.
      bytes.reset();
    }
    v = view.getViewSource();
  }
  return {v, bytes};
}

/// True if `v` is the result of an allocation: a buffer no other value
/// outside its views can alias.
bool isAllocation(Value v) {
  Operation *op = v.getDefiningOp();
  return op && hasSingleEffect<MemoryEffects::Allocate>(op, v);
}

/// True if the buffers `a` and `b` provably share no byte. A GEMM whose
/// output is moved onto another buffer (a later kernel's) must not write
/// over its own inputs: the memory planner and in-place bufferization may
/// give that buffer an input's bytes once the input is dead.
bool provablyDisjoint(Value a, Value b) {
  Extent x = extentOf(a), y = extentOf(b);
  if (x.root != y.root)
    return isAllocation(x.root) || isAllocation(y.root);
  return x.bytes && y.bytes &&
         (x.bytes->second <= y.bytes->first ||
          y.bytes->second <= x.bytes->first);
}

/// The bias broadcast over C's rows right before a CUDA GEMM into C (only
/// views, shape reads and constants between them), which the runtime's bias
/// epilogue can add instead: a 1-D contiguous vector of C's element type,
/// and C one row-major matrix.
linalg::BroadcastOp biasBroadcast(linalg::MatmulOp op) {
  auto broadcast = dyn_cast_or_null<linalg::BroadcastOp>(
      adjacentEffectful(op, /*forward=*/false));
  Value c = op.getDpsInits()[0];
  if (!broadcast || broadcast.getInit() != c ||
      broadcast.getDimensions() != ArrayRef<int64_t>{0} ||
      !isRowMajor(c.getType()))
    return {};
  auto bias = dyn_cast<MemRefType>(broadcast.getInput().getType());
  if (!bias || bias.getRank() != 1 || !isRowMajor(bias) ||
      bias.getElementType() != cast<MemRefType>(c.getType()).getElementType())
    return {};
  return broadcast;
}

/// If `op` is an elementwise linalg.generic (identity maps, all parallel)
/// from one buffer to another whose body is a single cast `CastOp` of the
/// input, returns it.
template <typename CastOp> linalg::GenericOp castCopy(Operation *op) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() != 1 ||
      generic.getNumDpsInits() != 1 || !generic.hasPureBufferSemantics() ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return {};
  Block &body = generic.getRegion().front();
  auto cast = dyn_cast<CastOp>(body.front());
  auto yield = dyn_cast<linalg::YieldOp>(body.getTerminator());
  if (!cast || &body.front() == body.getTerminator() ||
      cast->getNextNode() != yield ||
      cast->getOperand(0) != body.getArgument(0) ||
      yield.getOperand(0) != cast->getResult(0))
    return {};
  return generic;
}

/// A CUDA GEMM on 16-bit operands whose f32 result C is only rounded back to
/// the operands' type D right after (`truncate`) can write D itself: cuBLASLt
/// accumulates in f32 and rounds once, the same arithmetic, without C's
/// write and read. Its bias, if any, is then the 16-bit vector that was
/// widened into the f32 one just before the broadcast (`biasSource`).
struct NarrowStore {
  linalg::GenericOp truncate;
  Value biasSource;
  /// The kernel that widened the bias, dead once nothing else reads its
  /// output.
  linalg::GenericOp widen;
};

std::optional<NarrowStore> narrowStore(linalg::MatmulOp op,
                                       linalg::FillOp zeroFill,
                                       linalg::BroadcastOp broadcast) {
  Value c = op.getDpsInits()[0];
  Type narrow =
      cast<MemRefType>(op.getDpsInputs()[0].getType()).getElementType();
  linalg::GenericOp truncate =
      castCopy<arith::TruncFOp>(adjacentEffectful(op, /*forward=*/true));
  if ((!zeroFill && !broadcast) || !truncate || truncate.getDpsInputs()[0] != c)
    return std::nullopt;
  auto d = cast<MemRefType>(truncate.getDpsInits()[0].getType());
  if (d.getElementType() != narrow || !isRowMajor(d) ||
      d.getShape() != cast<MemRefType>(c.getType()).getShape())
    return std::nullopt;
  // The GEMM reads A and B while it writes D.
  Value dBuffer = truncate.getDpsInits()[0];
  if (!provablyDisjoint(dBuffer, op.getDpsInputs()[0]) ||
      !provablyDisjoint(dBuffer, op.getDpsInputs()[1]))
    return std::nullopt;
  // Nothing else may read C: once the GEMM writes D, C holds nothing.
  for (Operation *user : c.getUsers())
    if (user != op && user != truncate && user != zeroFill &&
        user != broadcast && !isa<memref::DimOp>(user))
      return std::nullopt;
  NarrowStore store{truncate, {}, {}};
  if (broadcast) {
    linalg::GenericOp widen = castCopy<arith::ExtFOp>(
        adjacentEffectful(broadcast, /*forward=*/false));
    if (!widen || widen.getDpsInits()[0] != broadcast.getInput())
      return std::nullopt;
    store.biasSource = widen.getDpsInputs()[0];
    store.widen = widen;
    auto source = cast<MemRefType>(store.biasSource.getType());
    if (source.getElementType() != narrow || !isRowMajor(source) ||
        !provablyDisjoint(dBuffer, store.biasSource))
      return std::nullopt;
  }
  return store;
}

/// The runtime's suffix for a GEMM's operand element types, or "" if it has
/// no such GEMM. The CPU runtime has "f32" and, for 16-bit operands with an
/// f32 accumulator, "bf16_f32" and "f16_f32"; CUDA has "f32_f32",
/// "bf16_f32", "bf16_bf16", "f16_f32" and "f16_f16".
std::string gemmSuffix(linalg::LinalgOp op, bool cuda) {
  auto elt = [&](unsigned i) -> Type {
    auto ty = dyn_cast<MemRefType>(op->getOperand(i).getType());
    return ty ? ty.getElementType() : Type();
  };
  Type a = elt(0), b = elt(1), c = elt(2);
  if (!a || !b || !c || a != b)
    return "";
  auto name = [](Type t) -> std::string {
    return t.isF32() ? "f32" : t.isF16() ? "f16" : t.isBF16() ? "bf16" : "";
  };
  if (!cuda) {
    if (!c.isF32() || name(a).empty())
      return "";
    return a.isF32() ? "f32" : name(a) + "_f32";
  }
  if (name(a).empty() || !(c.isF32() || c == a))
    return "";
  return name(a) + "_" + name(c);
}

struct ConvertLinalgToTfmRuntimePass
    : mlir::tfm::impl::ConvertLinalgToTfmRuntimeBase<
          ConvertLinalgToTfmRuntimePass> {
  using Base::Base;

  void runOnOperation() override {
    if (runtime != "cpu" && runtime != "cuda") {
      getOperation().emitError()
          << "convert-linalg-to-tfm-runtime: unknown runtime '" << runtime
          << "' (expected cpu or cuda)";
      return signalPassFailure();
    }
    bool cuda = runtime == "cuda";
    ModuleOp module = getOperation();
    SmallVector<std::pair<linalg::LinalgOp, std::string>> gemms;
    module.walk([&](linalg::LinalgOp op) {
      if (!isa<linalg::MatmulOp, linalg::BatchMatmulOp>(op) ||
          !op.hasPureBufferSemantics())
        return;
      std::string suffix = gemmSuffix(op, cuda);
      if (suffix.empty())
        return;
      // Only the plain contraction (no transposing indexing maps, no casts).
      auto named = op.getIndexingMapsArray();
      SmallVector<AffineMap> defaults =
          isa<linalg::MatmulOp>(op)
              ? linalg::MatmulOp::getDefaultIndexingMaps(op->getContext())
              : linalg::BatchMatmulOp::getDefaultIndexingMaps(op->getContext());
      if (named != defaults)
        return;
      gemms.push_back({op, suffix});
    });
    for (auto &[op, suffix] : gemms) {
      bool batched = isa<linalg::BatchMatmulOp>(op);
      SmallVector<Value> operands(op->getOperands());
      // A zero fill of the accumulator right before the GEMM (only views,
      // shape reads and constants between them) becomes an overwriting GEMM
      // (beta = 0): one pass less over C. On CUDA, a bias broadcast into it
      // becomes cuBLASLt's bias epilogue: two passes less.
      auto fill = dyn_cast_or_null<linalg::FillOp>(
          adjacentEffectful(op, /*forward=*/false));
      bool overwrite = fill && fill.getOutputs()[0] == op.getDpsInits()[0] &&
                       matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
      linalg::BroadcastOp broadcast;
      std::optional<NarrowStore> store;
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation());
          cuda && matmul) {
        broadcast = biasBroadcast(matmul);
        store =
            narrowStore(matmul, overwrite ? fill : linalg::FillOp(), broadcast);
      }
      std::string name = cuda ? "tfm_cuda_" : "tfm_rt_";
      name += batched ? "batch_matmul" : "matmul";
      if (overwrite) {
        fill->erase();
        name += "_set";
      } else if (broadcast) {
        operands.insert(operands.begin() + 2,
                        store ? store->biasSource : broadcast.getInput());
        broadcast->erase();
        name += "_bias";
      }
      // The GEMM storing D takes the truncation's place, where D exists.
      Operation *position = op;
      if (store) {
        operands.back() = store->truncate.getDpsInits()[0];
        position = store->truncate;
        StringRef narrow = StringRef(suffix).split('_').first;
        suffix = (narrow + "_" + narrow).str();
      }
      name += "_" + suffix;
      OpBuilder b(position);
      SmallVector<Value> views;
      for (Value v : operands) {
        auto type = cast<MemRefType>(v.getType());
        views.push_back(memref::CastOp::create(
            b, op.getLoc(),
            fullyDynamicView(&getContext(), type.getRank(),
                             type.getElementType()),
            v));
      }
      func::FuncOp callee =
          getOrDeclare(module, name, ValueRange(views).getTypes());
      func::CallOp::create(b, op.getLoc(), callee, views);
      op->erase();
      if (store) {
        store->truncate->erase();
        // The widened bias was read only by the broadcast, now gone.
        if (linalg::GenericOp widen = store->widen;
            widen && llvm::all_of(widen.getDpsInits()[0].getUsers(),
                                  [&](Operation *user) {
                                    return user == widen ||
                                           isa<memref::DimOp>(user);
                                  }))
          widen->erase();
      }
    }
  }
};

} // namespace
