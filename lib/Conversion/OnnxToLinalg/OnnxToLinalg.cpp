//===- OnnxToLinalg.cpp - legalise imported ONNX nodes ------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The table of ONNX lowerings (operator type -> opset ranges -> lowering), the
// query the importer uses (isOnnxOpSupported), the pattern, and the pass.
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "tfm/Conversion/OnnxToLinalg/OnnxToLinalg.h"
#include "tfm/Conversion/Passes.h"
#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_CONVERTONNXTOLINALG
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

//===----------------------------------------------------------------------===//
// The table
//===----------------------------------------------------------------------===//

namespace {
struct LoweringTable {
  llvm::StringMap<SmallVector<OpLowering, 2>> byType;

  LoweringTable() {
    SmallVector<OpLowering> all;
    appendElementwiseLowerings(all);
    appendShapeLowerings(all);
    appendIndexingLowerings(all);
    appendReductionLowerings(all);
    appendMatMulLowerings(all);
    for (const OpLowering &l : all)
      byType[l.opType].push_back(l);
  }
};
} // namespace

static const LoweringTable &table() {
  static const LoweringTable t;
  return t;
}

LoweringFn onnx::lookupLowering(StringRef domain, StringRef opType,
                                int64_t version) {
  if (!isDefaultOnnxDomain(domain) || version > kMaxOpset)
    return nullptr;
  auto it = table().byType.find(opType);
  if (it == table().byType.end())
    return nullptr;
  for (const OpLowering &l : it->second)
    if (l.since <= version && version <= l.until)
      return l.fn;
  return nullptr;
}

bool mlir::tfm::isOnnxOpSupported(StringRef domain, StringRef opType,
                                  int64_t version) {
  return lookupLowering(domain, opType, version) != nullptr;
}

/// Element types the lowerings handle: floats and signless integers (bool
/// is i1).
static bool isSupportedElementType(Type t) {
  if (isa<Float16Type, BFloat16Type, Float32Type, Float64Type>(t))
    return true;
  auto it = dyn_cast<IntegerType>(t);
  return it && it.isSignless() &&
         llvm::is_contained({1u, 8u, 16u, 32u, 64u}, it.getWidth());
}

/// Why `t` (an operand or result type) cannot be handled, or empty.
static std::string unsupportedTypeReason(Type t) {
  if (isa<NoneType>(t))
    return {};
  std::string s;
  llvm::raw_string_ostream os(s);
  auto ranked = dyn_cast<RankedTensorType>(t);
  if (!ranked) {
    os << "type " << t << " is not a ranked tensor";
    return s;
  }
  if (!isSupportedElementType(ranked.getElementType()))
    os << "element type " << ranked.getElementType() << " is not supported";
  return s;
}

static void rankUnrankedResults(OnnxNodeOp op, PatternRewriter &rewriter);

LogicalResult onnx::lowerNode(OnnxNodeOp op, PatternRewriter &rewriter) {
  LoweringFn fn = lookupLowering(op.getDomain(), op.getOpType(),
                                 op.getVersion());
  if (!fn)
    return failNode(rewriter, op, "no lowering for this operator and opset");
  // Read operands as statically as they are known: a legalised producer may
  // know more than ONNX shape inference did (its result was cast to the
  // declared type).
  for (OpOperand &operand : op->getOpOperands()) {
    auto cast = operand.get().getDefiningOp<tensor::CastOp>();
    if (!cast || cast.getSource().getType() == cast.getType())
      continue;
    if (isa<UnrankedTensorType>(cast.getType()) ||
        tensor::preservesStaticInformation(cast.getType(),
                                           cast.getSource().getType()))
      rewriter.modifyOpInPlace(op, [&] { operand.set(cast.getSource()); });
  }
  // Ranks ONNX shape inference did not find, from the operands.
  rankUnrankedResults(op, rewriter);
  for (Type t : op->getOperandTypes())
    if (std::string why = unsupportedTypeReason(t); !why.empty())
      return failNode(rewriter, op, "an input's " + why);
  for (Type t : op->getResultTypes())
    if (std::string why = unsupportedTypeReason(t); !why.empty())
      return failNode(rewriter, op, "a result's " + why);
  return fn(op, rewriter);
}

//===----------------------------------------------------------------------===//
// Ranks of results ONNX shape inference left unranked
//===----------------------------------------------------------------------===//

static std::optional<int64_t> rankOf(Value v) {
  if (!v)
    return std::nullopt;
  if (auto t = dyn_cast<RankedTensorType>(v.getType()))
    return t.getRank();
  return std::nullopt;
}

/// The rank of result `i` of `op` from its operands' ranks and attributes,
/// when ONNX shape inference did not give one.
static std::optional<int64_t> inferRank(OnnxNodeOp op, unsigned i) {
  StringRef type = op.getOpType();
  int64_t version = op.getVersion();
  auto in = [&](unsigned k) { return rankOf(op.getInput(k)); };
  auto maxRank = [&]() -> std::optional<int64_t> {
    std::optional<int64_t> r;
    for (unsigned k = 0, e = op.getInputs().size(); k < e; ++k) {
      if (!op.getInput(k))
        continue;
      auto rk = in(k);
      if (!rk)
        return std::nullopt;
      r = std::max(r.value_or(0), *rk);
    }
    return r;
  };
  auto length = [&](unsigned k) -> std::optional<int64_t> {
    auto t = op.getInput(k)
                 ? dyn_cast<RankedTensorType>(op.getInput(k).getType())
                 : nullptr;
    if (!t || t.getRank() != 1 || t.isDynamicDim(0))
      return std::nullopt;
    return t.getDimSize(0);
  };
  auto axesCount = [&](unsigned k, bool fromInput) -> std::optional<int64_t> {
    auto axes = readAxes(op, fromInput, k);
    if (failed(axes) || !*axes)
      return std::nullopt;
    return static_cast<int64_t>((*axes)->size());
  };
  // Same rank as the first input.
  if (llvm::is_contained({"Transpose", "Slice", "Pad", "Tile", "Concat",
                          "Split", "Clip", "Identity", "Dropout", "Softmax",
                          "LogSoftmax", "LayerNormalization", "CumSum",
                          "Trilu", "Cast", "CastLike", "EyeLike"},
                         type))
    return in(0);
  if (llvm::is_contained({"Reshape", "ConstantOfShape"}, type))
    return length(type == "Reshape" ? 1 : 0);
  if (type == "Shape" || type == "Range")
    return 1;
  if (type == "Size")
    return 0;
  if (type == "Flatten" || type == "Gemm")
    return 2;
  if (type == "GatherElements")
    return in(1);
  if (type == "GatherND") {
    auto r = in(0), q = in(1);
    Value idx = op.getInput(1);
    auto it = idx ? dyn_cast<RankedTensorType>(idx.getType()) : RankedTensorType();
    if (!r || !q || !it || it.isDynamicDim(it.getRank() - 1))
      return std::nullopt;
    return *q - 1 + *r - op.getIntAttr("batch_dims", 0) - it.getShape().back();
  }
  if (type == "Gather") {
    auto r = in(0), q = in(1);
    if (!r || !q)
      return std::nullopt;
    return *r - 1 + *q;
  }
  if (type == "Expand") {
    auto r = in(0), l = length(1);
    if (!r || !l)
      return std::nullopt;
    return std::max(*r, *l);
  }
  if (type == "Unsqueeze" || type == "Squeeze") {
    auto r = in(0), n = axesCount(1, version >= 13);
    if (!r || !n)
      return std::nullopt;
    return type == "Unsqueeze" ? *r + *n : *r - *n;
  }
  if (type == "MatMul") {
    auto a = in(0), b = in(1);
    if (!a || !b)
      return std::nullopt;
    int64_t r = std::max(*a, *b);
    return r - (*a == 1) - (*b == 1);
  }
  if (type.starts_with("Reduce") || type == "ArgMax" || type == "ArgMin") {
    auto r = in(0);
    if (!r)
      return std::nullopt;
    if (op.getIntAttr("keepdims", 1))
      return r;
    if (type == "ArgMax" || type == "ArgMin")
      return *r - 1;
    bool fromInput = version >= (type == "ReduceSum" ? 13 : 18);
    auto n = axesCount(1, fromInput);
    if (n && *n > 0)
      return *r - *n;
    return std::nullopt;
  }
  // Element-wise operators: the broadcast rank.
  if (type == "Constant" || type == "Einsum")
    return std::nullopt;
  (void)i;
  return maxRank();
}

/// Gives the unranked results of `op` a rank (dynamic extents) where its
/// operands tell; users other than ONNX nodes keep reading the declared type
/// through a tensor.cast.
static void rankUnrankedResults(OnnxNodeOp op, PatternRewriter &rewriter) {
  for (OpResult result : op->getResults()) {
    auto unranked = dyn_cast<UnrankedTensorType>(result.getType());
    if (!unranked)
      continue;
    std::optional<int64_t> rank = inferRank(op, result.getResultNumber());
    if (!rank || *rank < 0)
      continue;
    auto ranked = RankedTensorType::get(
        SmallVector<int64_t>(*rank, ShapedType::kDynamic),
        unranked.getElementType());
    rewriter.modifyOpInPlace(op, [&] { result.setType(ranked); });
    SmallVector<OpOperand *> others;
    for (OpOperand &use : result.getUses())
      if (!isa<OnnxNodeOp>(use.getOwner()))
        others.push_back(&use);
    if (others.empty())
      continue;
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointAfter(op);
    Value back = tensor::CastOp::create(rewriter, op.getLoc(), unranked, result);
    for (OpOperand *use : others)
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(back); });
  }
}

//===----------------------------------------------------------------------===//
// The pattern
//===----------------------------------------------------------------------===//

namespace {
struct OnnxNodeLowering : OpRewritePattern<OnnxNodeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OnnxNodeOp op,
                                PatternRewriter &rewriter) const override {
    return lowerNode(op, rewriter);
  }
};

struct UnusedOnnxNoneErasure : OpRewritePattern<OnnxNoneOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(OnnxNoneOp op,
                                PatternRewriter &rewriter) const override {
    if (!op->use_empty())
      return failure();
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::tfm::populateOnnxToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<OnnxNodeLowering, UnusedOnnxNoneErasure>(patterns.getContext());
}

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

namespace {
/// Keeps the reason the last lowering gave for not matching, and the ops
/// the lowerings create (to erase those left unused at the end).
struct FailureReasonListener : RewriterBase::Listener {
  std::string reason;
  SmallVector<Operation *> created;
  llvm::DenseSet<Operation *> live;
  void notifyOperationInserted(Operation *op,
                               OpBuilder::InsertPoint) override {
    if (live.insert(op).second)
      created.push_back(op);
  }
  void notifyOperationErased(Operation *op) override { live.erase(op); }
  void notifyMatchFailure(
      Location, function_ref<void(Diagnostic &)> reasonCallback) override {
    Diagnostic diag(UnknownLoc::get(ctx), DiagnosticSeverity::Remark);
    reasonCallback(diag);
    reason = diag.str();
  }
  MLIRContext *ctx = nullptr;
};

/// A rewriter reporting to a listener (PatternRewriter's constructor that
/// takes one is protected).
struct LoweringRewriter : PatternRewriter {
  LoweringRewriter(MLIRContext *ctx, Listener *listener)
      : PatternRewriter(ctx, listener) {}
};

struct ConvertOnnxToLinalgPass
    : mlir::tfm::impl::ConvertOnnxToLinalgBase<ConvertOnnxToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Nodes in program order: a node's operands are legalised before it, so
    // the lowering of e.g. Reshape sees the scalars its shape was computed
    // from.
    SmallVector<OnnxNodeOp> nodes;
    getOperation()->walk<WalkOrder::PreOrder>(
        [&](OnnxNodeOp op) { nodes.push_back(op); });

    FailureReasonListener listener;
    listener.ctx = ctx;
    LoweringRewriter rewriter(ctx, &listener);
    bool failed = false;
    for (OnnxNodeOp op : nodes) {
      if (!isOnnxOpSupported(op.getDomain(), op.getOpType(),
                             op.getVersion())) {
        op.emitError() << "unsupported " << op.describe();
        failed = true;
        continue;
      }
      listener.reason.clear();
      rewriter.setInsertionPoint(op);
      if (mlir::failed(lowerNode(op, rewriter))) {
        op.emitError() << "cannot legalise " << op.describe() << ": "
                       << (listener.reason.empty() ? "unknown reason"
                                                   : listener.reason);
        failed = true;
      }
    }
    if (failed)
      return signalPassFailure();

    // Scalars and constants that folding left unused.
    for (Operation *op : llvm::reverse(listener.created))
      if (listener.live.contains(op) && isOpTriviallyDead(op)) {
        listener.live.erase(op);
        op->walk([&](Operation *nested) { listener.live.erase(nested); });
        op->erase();
      }

    // Absent optional inputs, and the placeholders of unnamed outputs.
    getOperation()->walk([&](OnnxNoneOp op) {
      if (op->use_empty())
        op->erase();
    });
    WalkResult left = getOperation()->walk([&](OnnxNoneOp op) {
      op.emitError() << "tfm.onnx_none is still used after legalisation";
      return WalkResult::interrupt();
    });
    if (left.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
