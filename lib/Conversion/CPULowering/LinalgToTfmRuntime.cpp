//===- LinalgToTfmRuntime.cpp - GEMMs to runtime calls ------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/MemoryPlanning/Aliasing.h"
#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
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

/// The nearest operation after (`forward`) or before `op` in its block that
/// touches memory, skipping views, shape reads, constants and allocations
/// (a GEMM moved forward onto the kernel after it then still comes after
/// its output's allocation).
Operation *adjacentEffectful(Operation *op, bool forward) {
  do
    op = forward ? op->getNextNode() : op->getPrevNode();
  while (op && (isMemoryEffectFree(op) || tfm::onlyAllocates(op)));
  return op;
}

/// True if nothing but `users` and shape reads uses the buffer `v`: what
/// those ops write there is read by no one else.
bool usedOnlyBy(Value v, ArrayRef<Operation *> users) {
  return llvm::all_of(v.getUsers(), [&](Operation *user) {
    return llvm::is_contained(users, user) || isa<memref::DimOp>(user);
  });
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

/// `op` if it is an elementwise linalg.generic (identity maps, all
/// parallel) from one to `maxInputs` buffers to another.
linalg::GenericOp elementwiseMap(Operation *op, unsigned maxInputs = 1) {
  auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
  if (!generic || generic.getNumDpsInputs() < 1 ||
      generic.getNumDpsInputs() > maxInputs || generic.getNumDpsInits() != 1 ||
      !generic.hasPureBufferSemantics() ||
      generic.getNumParallelLoops() != generic.getNumLoops() ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return {};
  return generic;
}

/// If `op` is an elementwise map whose body is a single cast `CastOp` of
/// the input, returns it.
template <typename CastOp> linalg::GenericOp castCopy(Operation *op) {
  linalg::GenericOp generic = elementwiseMap(op);
  if (!generic)
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
  if (!tfm::provablyDisjoint(dBuffer, op.getDpsInputs()[0]) ||
      !tfm::provablyDisjoint(dBuffer, op.getDpsInputs()[1]))
    return std::nullopt;
  // Nothing else may read C: once the GEMM writes D, C holds nothing.
  if (!usedOnlyBy(c, {op, truncate, zeroFill, broadcast}))
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
        !tfm::provablyDisjoint(dBuffer, store.biasSource))
      return std::nullopt;
  }
  return store;
}

/// True if `v` is a float constant equal to `c` rounded to its type.
bool isFloatConstant(Value v, double c) {
  FloatAttr attr;
  if (!matchPattern(v, m_Constant(&attr)))
    return false;
  APFloat expected(c);
  bool losesInfo = false;
  expected.convert(attr.getValue().getSemantics(), APFloat::rmNearestTiesToEven,
                   &losesInfo);
  return attr.getValue().bitwiseIsEqual(expected);
}

using ValueMatcher = llvm::function_ref<bool(Value)>;

/// True if `v` is `OpTy(x, y)` with `lhs(x)` and `rhs(y)`, in either order.
template <typename OpTy>
bool isCommutativeOf(Value v, ValueMatcher lhs, ValueMatcher rhs) {
  auto op = v.getDefiningOp<OpTy>();
  return op && ((lhs(op.getLhs()) && rhs(op.getRhs())) ||
                (lhs(op.getRhs()) && rhs(op.getLhs())));
}

/// True if `y` is GELU's tanh form of `x`, as tfm-to-linalg writes it:
/// (x * 0.5) * (tanh((x + x * x * x * 0.044715) * sqrt(2 / pi)) + 1), the
/// operands of each product and sum in either order.
bool isGeluTanh(Value y, Value x) {
  auto isX = [&](Value v) { return v == x; };
  auto isSquare = [&](Value v) {
    return isCommutativeOf<arith::MulFOp>(v, isX, isX);
  };
  auto isCube = [&](Value v) {
    return isCommutativeOf<arith::MulFOp>(v, isSquare, isX);
  };
  auto isCubic = [&](Value v) {
    return isCommutativeOf<arith::MulFOp>(
        v, isCube, [](Value c) { return isFloatConstant(c, 0.044715); });
  };
  auto isInner = [&](Value v) {
    return isCommutativeOf<arith::AddFOp>(v, isX, isCubic);
  };
  auto isTanh = [&](Value v) {
    auto tanh = v.getDefiningOp<math::TanhOp>();
    return tanh && isCommutativeOf<arith::MulFOp>(
                       tanh.getOperand(), isInner, [](Value c) {
                         return isFloatConstant(c, std::sqrt(2.0 / M_PI));
                       });
  };
  auto isHalfX = [&](Value v) {
    return isCommutativeOf<arith::MulFOp>(
        v, isX, [](Value c) { return isFloatConstant(c, 0.5); });
  };
  auto isOnePlusTanh = [&](Value v) {
    return isCommutativeOf<arith::AddFOp>(
        v, isTanh, [](Value c) { return isFloatConstant(c, 1.0); });
  };
  return isCommutativeOf<arith::MulFOp>(y, isHalfX, isOnePlusTanh);
}

/// The value in f32 of the body argument `arg` of an elementwise kernel on
/// `elt` (f32, or a 16-bit type widened to f32 by arith.extf), or null.
Value widened(BlockArgument arg) {
  if (arg.getType().isF32())
    return arg;
  auto widen = llvm::find_if(arg.getUsers(), [](Operation *user) {
    return isa<arith::ExtFOp>(user) && user->getResult(0).getType().isF32();
  });
  return widen == arg.getUsers().end() ? Value() : (*widen)->getResult(0);
}

/// What the elementwise kernel `generic`, whose input `resultInput` is a
/// GEMM's result, computes from it, by the runtime's name for the epilogue,
/// if a runtime GEMM can do it: "relu" or "gelu_tanh" (one input), or
/// "residual" (the sum of the two inputs). The body computes in f32 (16-bit
/// values widened by arith.extf) and rounds back to the element type.
/// GELU only for 16-bit results: cuBLASLt's epilogue may evaluate tanh
/// less exactly than f32 rounding, not less than bf16 or f16 rounding.
std::optional<StringRef> kernelEpilogue(linalg::GenericOp generic,
                                        unsigned resultInput) {
  Block &body = generic.getRegion().front();
  Type elt = body.getArgument(0).getType();
  Value y = body.getTerminator()->getOperand(0);
  if ((!elt.isF32() && !elt.isBF16() && !elt.isF16()) || y.getType() != elt ||
      llvm::any_of(body.getArguments().drop_back(),
                   [&](BlockArgument arg) { return arg.getType() != elt; }))
    return std::nullopt;
  if (!elt.isF32()) {
    auto truncate = y.getDefiningOp<arith::TruncFOp>();
    if (!truncate || !truncate.getIn().getType().isF32())
      return std::nullopt;
    y = truncate.getIn();
  }
  Value x = widened(body.getArgument(resultInput));
  if (!x)
    return std::nullopt;
  auto isX = [&](Value v) { return v == x; };
  if (generic.getNumDpsInputs() == 2) {
    Value other = widened(body.getArgument(1 - resultInput));
    if (other && isCommutativeOf<arith::AddFOp>(
                     y, isX, [&](Value v) { return v == other; }))
      return StringRef("residual");
    return std::nullopt;
  }
  if (isCommutativeOf<arith::MaximumFOp>(
          y, isX, [](Value c) { return isFloatConstant(c, 0.0); }))
    return StringRef("relu");
  if (!elt.isF32() && isGeluTanh(y, x))
    return StringRef("gelu_tanh");
  return std::nullopt;
}

/// An elementwise kernel right after a CUDA GEMM (or after the rounding the
/// GEMM took over) that cuBLASLt's epilogue can do instead: an activation
/// of the GEMM's result R, or R plus another buffer X (a residual add). The
/// GEMM then writes the kernel's output E, and R, read by nothing else, is
/// never written: one more pass over the result less.
struct EpilogueKernel {
  linalg::GenericOp kernel;
  /// "relu", "gelu_tanh" or "residual".
  StringRef epilogue;
  /// The reshape of R the kernel reads (a linear's 3-D output), if any; E
  /// and X are reshaped back to R's shape by its inverse.
  memref::ExpandShapeOp expand;
  /// The addend X of a residual add, as the kernel reads it.
  Value addend;
  /// X as R's shape where the kernel reads it through a reshape of such a
  /// view (rows of a larger buffer, such as the tensor-core attention's
  /// padded output); null where X is reshaped like E.
  Value addendMatrix;
};

/// `after` is the op that now ends the GEMM (it or the rounding), `result`
/// R, `writers` the ops about to be folded into the call that use R, and
/// `inputs` what the GEMM reads, which E must not overlap.
std::optional<EpilogueKernel> epilogueKernel(Operation *after, Value result,
                                             ArrayRef<Operation *> writers,
                                             ArrayRef<Value> inputs) {
  linalg::GenericOp kernel =
      elementwiseMap(adjacentEffectful(after, /*forward=*/true), 2);
  if (!kernel)
    return std::nullopt;
  // The input that is R, through an expand_shape or not; the other one, if
  // any, is the addend.
  memref::ExpandShapeOp expand;
  std::optional<unsigned> resultInput;
  for (auto [i, in] : llvm::enumerate(kernel.getDpsInputs())) {
    auto reshape = in.getDefiningOp<memref::ExpandShapeOp>();
    if (in == result || (reshape && reshape.getSrc() == result)) {
      if (resultInput)
        return std::nullopt;
      resultInput = i;
      expand = in == result ? memref::ExpandShapeOp() : reshape;
    }
  }
  if (!resultInput)
    return std::nullopt;
  Value read = kernel.getDpsInputs()[*resultInput];
  Value e = kernel.getDpsInits()[0];
  Value addend;
  if (kernel.getNumDpsInputs() == 2)
    addend = kernel.getDpsInputs()[1 - *resultInput];
  auto readType = cast<MemRefType>(read.getType());
  // X may also be a reshape, like R's, of contiguous rows at some offset:
  // R's strides, which the runtime requires of X.
  Value addendMatrix;
  if (auto reshape = addend ? addend.getDefiningOp<memref::ExpandShapeOp>()
                            : memref::ExpandShapeOp();
      reshape && expand &&
      reshape.getReassociationIndices() == expand.getReassociationIndices()) {
    auto matrix = cast<MemRefType>(reshape.getSrc().getType());
    if (matrix.areTrailingDimsContiguous(matrix.getRank()) &&
        matrix.getShape() == cast<MemRefType>(result.getType()).getShape())
      addendMatrix = reshape.getSrc();
  }
  for (Value v : {e, addendMatrix ? Value() : addend})
    if (v && (!isRowMajor(v.getType()) ||
              cast<MemRefType>(v.getType()).getShape() != readType.getShape()))
      return std::nullopt;
  SmallVector<Operation *> users(writers);
  users.append({kernel, expand});
  if (!usedOnlyBy(result, users) ||
      (expand && !usedOnlyBy(expand.getResult(), {kernel})))
    return std::nullopt;
  std::optional<StringRef> epilogue = kernelEpilogue(kernel, *resultInput);
  // The GEMM reads its operands while it writes E; cuBLASLt reads X as it
  // writes E, element by element, so X may be E itself, but not overlap it
  // otherwise.
  if (!epilogue ||
      !llvm::all_of(
          inputs,
          [&](Value input) { return tfm::provablyDisjoint(e, input); }) ||
      (addend && addend != e && !tfm::provablyDisjoint(e, addend)))
    return std::nullopt;
  return EpilogueKernel{kernel, *epilogue, expand, addend, addendMatrix};
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
      Value bias;
      if (broadcast)
        bias = store ? store->biasSource : broadcast.getInput();
      // On CUDA, an activation or residual-add kernel after an overwriting
      // or bias GEMM becomes cuBLASLt's epilogue.
      std::optional<EpilogueKernel> epilogue;
      if (cuda && !batched && (overwrite || broadcast)) {
        SmallVector<Operation *> writers = {op};
        if (store)
          writers = {store->truncate};
        else if (overwrite)
          writers.push_back(fill);
        else
          writers.push_back(broadcast);
        SmallVector<Value> inputs = {op.getDpsInputs()[0],
                                     op.getDpsInputs()[1]};
        if (bias)
          inputs.push_back(bias);
        epilogue = epilogueKernel(
            store ? store->truncate.getOperation() : op.getOperation(),
            store ? store->truncate.getDpsInits()[0] : op.getDpsInits()[0],
            writers, inputs);
      }
      std::string name = cuda ? "tfm_cuda_" : "tfm_rt_";
      name += batched ? "batch_matmul" : "matmul";
      if (overwrite) {
        fill->erase();
        name += "_set";
      } else if (broadcast) {
        operands.insert(operands.begin() + 2, bias);
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
      // The GEMM storing E takes the kernel's place, where E (and X) exist.
      if (epilogue) {
        name += "_" + epilogue->epilogue.str();
        position = epilogue->kernel;
      }
      name += "_" + suffix;
      OpBuilder b(position);
      if (epilogue) {
        // E and X as R's shape.
        auto asResult = [&](Value v) -> Value {
          memref::ExpandShapeOp expand = epilogue->expand;
          if (!expand)
            return v;
          return memref::CollapseShapeOp::create(
              b, expand.getLoc(), v, expand.getReassociationIndices());
        };
        operands.back() = asResult(epilogue->kernel.getDpsInits()[0]);
        if (epilogue->addend)
          operands.insert(operands.end() - 1, epilogue->addendMatrix
                                                  ? epilogue->addendMatrix
                                                  : asResult(epilogue->addend));
      }
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
      if (epilogue) {
        epilogue->kernel->erase();
        if (memref::ExpandShapeOp expand = epilogue->expand;
            expand && expand->use_empty())
          expand->erase();
      }
      if (store) {
        store->truncate->erase();
        // The widened bias was read only by the broadcast, now gone.
        if (linalg::GenericOp widen = store->widen;
            widen && usedOnlyBy(widen.getDpsInits()[0], {widen}))
          widen->erase();
      }
    }
  }
};

} // namespace
