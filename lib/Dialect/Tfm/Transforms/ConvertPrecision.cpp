//===- ConvertPrecision.cpp - tfm-convert-precision ----------------------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Runs an f32 model's transformer ops in bf16 or f16. Each converted op gets
// a truncation on every f32 operand and an extension after every result;
// cleanup patterns then fold truncations of constants, cancel
// truncf(extf(x)), and move the casts of tfm.block inputs and results
// outside the block so that the casts between blocks cancel too.
//
//===----------------------------------------------------------------------===//

#include "Weights.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMCONVERTPRECISION
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// The ops whose computation moves to the narrow type.
bool isTransformerOp(Operation *op) {
  return isa<LinearOp, AttentionOp, NormOp, ActivationOp, ResidualOp,
             EmbeddingOp, RotaryOp>(op);
}

/// `type` with element type `narrow` if it is an f32 ranked tensor; null
/// otherwise.
RankedTensorType narrowed(Type type, FloatType narrow) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.getElementType().isF32())
    return {};
  return tensor.clone(narrow);
}

/// True if `operand` is a float mask of an attention (added to logits).
bool isAttentionMask(OpOperand &operand) {
  auto attention = dyn_cast<AttentionOp>(operand.getOwner());
  if (!attention)
    return false;
  return operand.get() == attention.getMask() ||
         operand.get() == attention.getBiasMask();
}

/// `mask` truncated to `type`, with values below the narrow type's lowest
/// finite number, -inf included, raised to it: masked keys still get a
/// softmax weight of 0, and a fully masked row averages instead of giving
/// NaN, which attention would spread to every row reading its values.
Value saturatingTruncation(OpBuilder &b, Location loc, Value mask,
                           RankedTensorType type) {
  auto narrow = cast<FloatType>(type.getElementType());
  APFloat lowest = APFloat::getLargest(narrow.getFloatSemantics(),
                                       /*Negative=*/true);
  bool losesInfo;
  lowest.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven,
                 &losesInfo);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, mask);
  Value init = tensor::EmptyOp::create(b, loc, sizes, narrow);
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  SmallVector<utils::IteratorType> iterators(type.getRank(),
                                             utils::IteratorType::parallel);
  auto generic = linalg::GenericOp::create(
      b, loc, type, ValueRange{mask}, ValueRange{init},
      ArrayRef<AffineMap>{identity, identity}, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value floor = arith::ConstantOp::create(
            nested, nestedLoc, nested.getF32FloatAttr(lowest.convertToFloat()));
        // maximumf: a NaN entry stays NaN.
        Value clamped =
            arith::MaximumFOp::create(nested, nestedLoc, args[0], floor);
        Value truncated =
            arith::TruncFOp::create(nested, nestedLoc, narrow, clamped);
        linalg::YieldOp::create(nested, nestedLoc, truncated);
      });
  return generic.getResult(0);
}

/// Moves `op` to `narrow`: truncations before its f32 operands, extensions
/// after its f32 results. A mask shared by several attentions is truncated
/// once, where it is defined (`masks`).
void convertOp(Operation *op, FloatType narrow, DenseMap<Value, Value> &masks) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  for (OpOperand &operand : op->getOpOperands()) {
    RankedTensorType type = narrowed(operand.get().getType(), narrow);
    if (!type)
      continue;
    if (!isAttentionMask(operand)) {
      operand.set(arith::TruncFOp::create(b, loc, type, operand.get()));
      continue;
    }
    Value mask = operand.get();
    Value &truncated = masks[mask];
    if (!truncated) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfterValue(mask);
      truncated = saturatingTruncation(b, mask.getLoc(), mask, type);
    }
    operand.set(truncated);
  }
  b.setInsertionPointAfter(op);
  for (OpResult result : op->getResults()) {
    Type wide = result.getType();
    RankedTensorType type = narrowed(wide, narrow);
    if (!type)
      continue;
    result.setType(type);
    auto extended = arith::ExtFOp::create(b, loc, wide, result);
    result.replaceAllUsesExcept(extended, extended);
  }
}

//===----------------------------------------------------------------------===//
// Cleanup
//===----------------------------------------------------------------------===//

/// truncf(extf(x)) with the type of x is x (exact).
struct CancelRoundTrip : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    auto extension = op.getIn().getDefiningOp<arith::ExtFOp>();
    if (!extension || extension.getIn().getType() != op.getType())
      return failure();
    rewriter.replaceOp(op, extension.getIn());
    return success();
  }
};

/// The bf16 nearest to `value` (ties to even), NaN kept quiet: the upper
/// half of its bits, rounded. A fast path for weights, which can number in
/// the hundreds of millions.
uint16_t roundToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>(bits >> 16);
}

/// Converts the f32 elements of a constant to the 16-bit float type of
/// `type`, rounding to nearest even; null if they cannot be read.
DenseElementsAttr convertConstant(ElementsAttr attr, RankedTensorType type) {
  Type narrow = type.getElementType();
  const llvm::fltSemantics &semantics =
      cast<FloatType>(narrow).getFloatSemantics();
  std::vector<uint16_t> bits;
  bits.reserve(attr.getNumElements());
  auto push = [&](double value) {
    if (narrow.isBF16()) {
      bits.push_back(roundToBF16(static_cast<float>(value)));
      return;
    }
    APFloat converted(value);
    bool losesInfo;
    converted.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
    bits.push_back(
        static_cast<uint16_t>(converted.bitcastToAPInt().getZExtValue()));
  };
  if (!weights::forEachFloat(attr, push))
    return {};
  ArrayRef<char> raw(reinterpret_cast<const char *>(bits.data()),
                     bits.size() * sizeof(uint16_t));
  return DenseElementsAttr::getFromRawBuffer(type, raw);
}

/// truncf(constant) is a constant of the narrow type (weights).
struct FoldConstantTruncation : OpRewritePattern<arith::TruncFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(arith::TruncFOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    auto constant = op.getIn().getDefiningOp<arith::ConstantOp>();
    if (!type || !constant || !type.getElementType().isIntOrFloat() ||
        type.getElementType().getIntOrFloatBitWidth() != 16 ||
        !cast<ShapedType>(constant.getType()).getElementType().isF32())
      return failure();
    auto elements = dyn_cast<ElementsAttr>(constant.getValue());
    DenseElementsAttr converted =
        elements ? convertConstant(elements, type) : DenseElementsAttr();
    if (!converted)
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, converted);
    return success();
  }
};

/// The source of `value` if it is an arith.extf of a tensor.
Value extensionSource(Value value) {
  auto extension = value.getDefiningOp<arith::ExtFOp>();
  return extension && isa<RankedTensorType>(extension.getType())
             ? extension.getIn()
             : Value();
}

/// How many leading operands of `op` carry the data it moves without
/// computing on it (the rest are offsets, shapes, indices), or 0 if it is
/// not pure data movement.
unsigned numMovedOperands(Operation *op) {
  if (isa<tensor::ExtractSliceOp, tensor::ExpandShapeOp,
          tensor::CollapseShapeOp>(op))
    return 1;
  if (isa<tensor::ConcatOp>(op))
    return op->getNumOperands();
  // Imported ONNX nodes that raising left in place.
  auto node = dyn_cast<OnnxNodeOp>(op);
  if (!node || !node.getDomain().empty())
    return 0;
  StringRef type = node.getOpType();
  if (type == "Concat")
    return op->getNumOperands();
  return llvm::is_contained({"Reshape", "Squeeze", "Unsqueeze", "Transpose",
                             "Slice", "Split", "Flatten", "Identity", "Expand",
                             "Gather", "Tile"},
                            type)
             ? 1
             : 0;
}

/// Data movement commutes with extension: op(extf(x)) = extf(op(x)), so
/// slices of a fused projection, reshapes and concatenations of converted
/// results move their casts past themselves, where they cancel against the
/// truncation of the next converted op.
struct MoveExtensionPastDataMovement : RewritePattern {
  MoveExtensionPastDataMovement(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    unsigned numMoved = numMovedOperands(op);
    if (numMoved == 0)
      return failure();
    Type narrow, wide;
    SmallVector<Value> sources;
    for (Value operand : op->getOperands().take_front(numMoved)) {
      Value source = extensionSource(operand);
      if (!source)
        return failure();
      Type element = cast<RankedTensorType>(source.getType()).getElementType();
      if (narrow && element != narrow)
        return failure();
      narrow = element;
      wide = cast<RankedTensorType>(operand.getType()).getElementType();
      sources.push_back(source);
    }
    // Every result is moved data of the operands' type.
    if (!llvm::all_of(op->getResultTypes(), [&](Type type) {
          auto tensor = dyn_cast<RankedTensorType>(type);
          return tensor && tensor.getElementType() == wide;
        }))
      return failure();
    Operation *moved = rewriter.clone(*op);
    rewriter.modifyOpInPlace(moved, [&] {
      for (auto [index, source] : llvm::enumerate(sources))
        moved->setOperand(index, source);
      for (OpResult result : moved->getResults())
        result.setType(cast<RankedTensorType>(result.getType()).clone(narrow));
    });
    SmallVector<Value> extended;
    for (auto [old, result] :
         llvm::zip_equal(op->getResults(), moved->getResults()))
      extended.push_back(
          arith::ExtFOp::create(rewriter, op->getLoc(), old.getType(), result));
    rewriter.replaceOp(op, extended);
    return success();
  }
};

/// Only the shape of an extension is read: read the source's.
struct ReadShapeBeforeExtension : RewritePattern {
  ReadShapeBeforeExtension(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    bool shapeOnly = false;
    if (isa<tensor::DimOp>(op))
      shapeOnly = true;
    else if (auto node = dyn_cast<OnnxNodeOp>(op))
      shapeOnly = node.getOpType() == "Shape" && node.getDomain().empty();
    if (!shapeOnly || op->getNumOperands() == 0)
      return failure();
    Value source = extensionSource(op->getOperand(0));
    if (!source)
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op->setOperand(0, source); });
    return success();
  }
};

/// A block result yielded as extf(x) becomes x's type; the extension moves
/// after the block.
struct NarrowBlockResults : OpRewritePattern<BlockOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BlockOp block,
                                PatternRewriter &rewriter) const override {
    YieldOp yield = block.getYield();
    bool changed = false;
    for (OpResult result : block->getResults()) {
      auto extension = yield.getValues()[result.getResultNumber()]
                           .getDefiningOp<arith::ExtFOp>();
      if (!extension || result.use_empty())
        continue;
      Type wide = result.getType();
      rewriter.modifyOpInPlace(yield, [&] {
        yield->setOperand(result.getResultNumber(), extension.getIn());
      });
      rewriter.modifyOpInPlace(
          block, [&] { result.setType(extension.getIn().getType()); });
      rewriter.setInsertionPointAfter(block);
      auto outside =
          arith::ExtFOp::create(rewriter, extension.getLoc(), wide, result);
      rewriter.replaceAllUsesExcept(result, outside, outside);
      changed = true;
    }
    return success(changed);
  }
};

/// A block input read only through truncations to one type becomes that
/// type; the truncation moves before the block.
struct NarrowBlockInputs : OpRewritePattern<BlockOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(BlockOp block,
                                PatternRewriter &rewriter) const override {
    Block &body = block.getBody().front();
    bool changed = false;
    for (BlockArgument argument : body.getArguments()) {
      if (argument.use_empty())
        continue;
      Type narrowType;
      bool onlyTruncations =
          llvm::all_of(argument.getUsers(), [&](Operation *user) {
            auto truncation = dyn_cast<arith::TruncFOp>(user);
            if (!truncation ||
                (narrowType && truncation.getType() != narrowType))
              return false;
            narrowType = truncation.getType();
            return true;
          });
      if (!onlyTruncations)
        continue;
      unsigned index = argument.getArgNumber();
      Value input = block.getInputs()[index];
      rewriter.setInsertionPoint(block);
      Value truncated =
          arith::TruncFOp::create(rewriter, block.getLoc(), narrowType, input);
      rewriter.modifyOpInPlace(block, [&] {
        block->setOperand(index, truncated);
        argument.setType(narrowType);
      });
      for (Operation *user : llvm::make_early_inc_range(argument.getUsers()))
        rewriter.replaceOp(user, argument);
      changed = true;
    }
    return success(changed);
  }
};

struct TfmConvertPrecisionPass
    : mlir::tfm::impl::TfmConvertPrecisionBase<TfmConvertPrecisionPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    FloatType narrow;
    if (precision == "bf16")
      narrow = BFloat16Type::get(context);
    else if (precision == "f16")
      narrow = Float16Type::get(context);
    else {
      getOperation().emitError("tfm-convert-precision: precision '")
          << precision << "' is not bf16 or f16";
      return signalPassFailure();
    }

    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (isTransformerOp(op) &&
          llvm::any_of(op->getOperandTypes(),
                       [&](Type type) { return narrowed(type, narrow); }))
        ops.push_back(op);
    });
    if (ops.empty()) {
      getOperation().emitWarning("tfm-convert-precision: no f32 transformer "
                                 "op to compute in ")
          << precision << " (is the model raised to tfm ops?)";
      return;
    }
    DenseMap<Value, Value> masks;
    for (Operation *op : ops)
      convertOp(op, narrow, masks);

    RewritePatternSet patterns(context);
    patterns.add<CancelRoundTrip, FoldConstantTruncation,
                 MoveExtensionPastDataMovement, ReadShapeBeforeExtension,
                 NarrowBlockResults, NarrowBlockInputs>(context);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
