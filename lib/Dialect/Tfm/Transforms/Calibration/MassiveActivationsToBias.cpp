//===- MassiveActivationsToBias.cpp - tfm-massive-activations-to-bias -----===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exact mode (PASSES.md §3.c, C-exact): a causal model whose first token is
// fixed computes the same keys and values for it in every run, so they become
// attention bias slots and the token leaves the runtime sequence. The rewrite
// works on the entry function in place:
//
//   ids (now tokens 1..T) ──Pad(first token)──▶ ids_full: everything that
//   only depends on positions or the sequence length (rotary tables, masks,
//   position ids) is still computed for T+1 tokens;
//   embedding(ids) and every op downstream of it (the "token path") now runs
//   on T tokens; where a full-length side value meets the token path it is
//   sliced [1:] along its sequence axis, so tokens keep absolute positions.
//
// Approximate mode (C-approx-1): massive activations found by calibration are
// set to their calibration means where they first appear.
//
//===----------------------------------------------------------------------===//

#include "../Raise/OnnxUtils.h"
#include "../Weights.h"

#include "tfm/Dialect/Tfm/Transforms/Calibration.h"
#include "tfm/Support/Progress.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

#include <cmath>
#include <limits>
#include <map>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMMASSIVEACTIVATIONSTOBIAS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

enum class NegativeControl { None, RestartPositions, IgnoreWindow };

/// `type` with dimension `axis` shorter by `by` (dynamic stays dynamic).
RankedTensorType shortened(Type type, int64_t axis, int64_t by = 1) {
  auto ranked = cast<RankedTensorType>(type);
  SmallVector<int64_t> shape(ranked.getShape());
  if (!ShapedType::isDynamic(shape[axis]))
    shape[axis] = std::max<int64_t>(0, shape[axis] - by);
  return RankedTensorType::get(shape, ranked.getElementType());
}

/// Builds ONNX nodes of one opset.
struct NodeBuilder {
  OpBuilder &b;
  int64_t opset;

  Value node(Location loc, StringRef opType, Type result, ValueRange inputs,
             DictionaryAttr attrs = {}) {
    return onnx::createNode(b, loc, opType, result, inputs, opset, attrs).getResult(0);
  }

  /// x[start:end] along `axis` (end may be INT64_MAX or negative).
  Value slice(Location loc, Value x, int64_t axis, int64_t start, int64_t end,
              Type result) {
    return node(loc, "Slice", result,
                {x, onnx::i64Constant(b, loc, {start}), onnx::i64Constant(b, loc, {end}),
                 onnx::i64Constant(b, loc, {axis})});
  }
};

//===----------------------------------------------------------------------===//
// Exact mode
//===----------------------------------------------------------------------===//

class FirstTokenRewrite {
public:
  FirstTokenRewrite(ModuleOp module, func::FuncOp fn, int64_t firstToken,
                    NegativeControl control)
      : module(module), fn(fn), firstToken(firstToken), control(control) {}

  /// Checks the preconditions and computes the slots; emits an error and
  /// fails without touching the IR when the model does not qualify.
  LogicalResult prepare();
  /// Rewrites the function (after prepare). On failure the IR is unchanged.
  LogicalResult apply();

  int64_t numAttentions() const { return attentions.size(); }
  /// After a failure: true for an error (the pass fails), false when the
  /// model does not qualify (a warning says why; the module is unchanged).
  bool fatal = false;

private:
  bool dependsOnTokenValues(Value v);
  LogicalResult checkMasks(ArrayRef<npy::Array> masks, ArrayRef<AttentionOp> masked);
  LogicalResult rewriteBody(func::FuncOp f);
  LogicalResult rewriteOp(Operation *op, OpBuilder &b, NodeBuilder &nodes);
  Value sideSlice(OpBuilder &b, NodeBuilder &nodes, Location loc, Value v,
                  int64_t axis);
  Value keyCut(OpBuilder &b, NodeBuilder &nodes, Location loc, Value v, int64_t axis);

  ModuleOp module;
  func::FuncOp fn;
  int64_t firstToken;
  NegativeControl control;
  int64_t idsArg = -1;
  SmallVector<AttentionOp> attentions;
  /// Per attention (walk order): token 0's key and value rows [Hkv, 1, D].
  std::vector<std::vector<float>> keys, values;
  /// Values of the token path (already shortened), with their token axis.
  DenseMap<Value, int64_t> tokenAxis;
  /// The Pad ops that put the first token back in front of the arguments.
  llvm::DenseSet<Operation *> fullViews;
  /// Side values already sliced, by (value, axis).
  DenseMap<std::pair<Value, int64_t>, Value> sliced;
  unsigned attentionIndex = 0;
};

/// True when `v` depends on the values (not only the shape) of the token ids.
bool FirstTokenRewrite::dependsOnTokenValues(Value v) {
  SmallVector<Value> work{v};
  llvm::DenseSet<Value> seen;
  Value ids = fn.getArgument(idsArg);
  while (!work.empty()) {
    Value cur = work.pop_back_val();
    if (!seen.insert(cur).second)
      continue;
    if (cur == ids)
      return true;
    if (auto arg = dyn_cast<BlockArgument>(cur)) {
      // The argument of a tfm.block: the value bound to it.
      if (auto block = dyn_cast<BlockOp>(arg.getOwner()->getParentOp()))
        work.push_back(block.getInputs()[arg.getArgNumber()]);
      continue;
    }
    Operation *def = cur.getDefiningOp();
    if (auto node = dyn_cast<OnnxNodeOp>(def))
      if (node.getOpType() == "Shape" || node.getOpType() == "Size")
        continue;
    if (auto block = dyn_cast<BlockOp>(def)) {
      work.push_back(block.getYield().getValues()[cast<OpResult>(cur).getResultNumber()]);
      continue;
    }
    for (Value operand : def->getOperands())
      work.push_back(operand);
    def->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        work.push_back(operand);
    });
  }
  return false;
}

LogicalResult FirstTokenRewrite::prepare() {
  idsArg = tokenIdsArgument(fn);
  if (idsArg < 0)
    return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: @")
           << fn.getSymName()
           << " has no single token ids argument (run --tfm-raise first)";
  if (auto dropped = fn.getArgAttrOfType<IntegerAttr>(idsArg, "tfm.first_token"))
    return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: @")
           << fn.getSymName() << " already had its first token ("
           << dropped.getInt() << ") precomputed; the next one is not fixed";
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    if (static_cast<int64_t>(i) == idsArg || isPositionIdsArgument(fn, i))
      continue;
    auto name = fn.getArgAttrOfType<StringAttr>(i, "tfm.name");
    return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: argument ")
           << i << (name ? " '" + name.getValue().str() + "'" : std::string())
           << " is neither token ids nor position ids; a padding mask could "
              "move the first token (left padding), so the first token is not "
              "provably fixed";
  }
  for (unsigned i = 0; i < fn.getNumArguments(); ++i) {
    auto type = dyn_cast<RankedTensorType>(fn.getArgument(i).getType());
    if (!type || type.getRank() != 2 || !type.getElementType().isInteger(64))
      return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: argument ")
             << i << " must be int64 [batch, sequence]";
    if (!type.isDynamicDim(1) && type.getDimSize(1) < 2)
      return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: argument ")
             << i << " has a static sequence length below 2: no token is left";
  }

  // Causality.
  SmallVector<AttentionOp> masked;
  fn.walk([&](AttentionOp a) { attentions.push_back(a); });
  if (attentions.empty())
    return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: no tfm.attention in @")
           << fn.getSymName() << " (run --tfm-raise first)";
  for (AttentionOp a : attentions) {
    if (a.isShaped())
      return mlir::emitWarning(a.getLoc(), "tfm-massive-activations-to-bias: shaped attention "
                         "mixes the first token into every row through its "
                         "uniform term; not rewritten");
    if (a.getBiasMask())
      return mlir::emitWarning(a.getLoc(), "tfm-massive-activations-to-bias: the attention "
                         "already masks its bias slots; not rewritten");
    if (a.getMask() && a.hasBiasSlots())
      return mlir::emitWarning(a.getLoc(), "tfm-massive-activations-to-bias: a masked attention "
                         "with bias slots is not supported");
    if (Value mask = a.getMask()) {
      if (dependsOnTokenValues(mask))
        return mlir::emitWarning(a.getLoc(), "tfm-massive-activations-to-bias: the attention "
                           "mask depends on the token ids (padding?), so it is "
                           "not provably causal");
      masked.push_back(a);
    } else if (!a.getCausal()) {
      return mlir::emitWarning(a.getLoc(), "tfm-massive-activations-to-bias: the attention is "
                         "not causal: the first token's keys and values depend "
                         "on later tokens (bidirectional model; use "
                         "mode=approximate)");
    }
  }

  // One run: the keys and values of every attention (row 0 is the first
  // token's: attention is causal) and the masks, to check their causality.
  SmallVector<Value> probes;
  for (AttentionOp a : attentions) {
    probes.push_back(a.getKey());
    probes.push_back(a.getValue());
  }
  for (AttentionOp a : masked)
    probes.push_back(a.getMask());
  auto exe = ProbedExecutable::compile(module, fn, probes);
  if (!exe)
    return fatal = true, mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
           << llvm::toString(exe.takeError());
  auto idsType = cast<RankedTensorType>(fn.getArgument(idsArg).getType());
  int64_t length = idsType.isDynamicDim(1) ? 6 : idsType.getDimSize(1);
  std::vector<int64_t> tokens(length);
  int64_t vocabulary = vocabularySize(fn);
  if (firstToken >= vocabulary && vocabulary > 0)
    return fatal = true, mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: first-token ")
           << firstToken << " is outside the vocabulary [0, " << vocabulary << ")";
  for (int64_t i = 0; i < length; ++i)
    tokens[i] = i == 0 ? firstToken : (firstToken + 7 * i) % std::max<int64_t>(vocabulary, 1);
  auto args = calibrationInputs((*exe)->inputs(), fn, tokens);
  if (!args)
    return mlir::emitWarning(fn.getLoc(), "tfm-massive-activations-to-bias: ")
           << llvm::toString(args.takeError());
  auto out = (*exe)->run(*args);
  if (!out)
    return fatal = true, mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: running the model "
                        "on the first token failed: ")
           << llvm::toString(out.takeError());
  if (failed(checkMasks(ArrayRef(out->probes).drop_front(2 * attentions.size()), masked)))
    return failure();
  for (auto [i, a] : llvm::enumerate(attentions)) {
    for (int which = 0; which < 2; ++which) {
      const npy::Array &kv = out->probes[2 * i + which];
      std::vector<float> all = toFloats(kv);
      int64_t width = kv.shape.back();
      (which ? values : keys).emplace_back(all.begin(), all.begin() + width);
    }
  }
  return success();
}

/// Every mask must hide each later key: entry (i, j), j > i, is false or
/// at most -1e4 (the exporters' "minus infinity" ranges from -1e4 to -inf).
LogicalResult FirstTokenRewrite::checkMasks(ArrayRef<npy::Array> masks,
                                            ArrayRef<AttentionOp> masked) {
  for (auto [mask, attn] : llvm::zip(masks, masked)) {
    AttentionOp a = attn;
    int64_t rank = mask.shape.size();
    int64_t sq = mask.shape[rank - 2], skv = mask.shape[rank - 1];
    int64_t outer = mask.numElements() / std::max<int64_t>(sq * skv, 1);
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t i = 0; i < sq; ++i)
        for (int64_t j = 0; j < skv; ++j) {
          int64_t qi = sq == 1 ? 0 : i, kj = skv == 1 ? 0 : j;
          // Broadcast rows/columns stand for every query/key.
          bool later = skv == 1 ? true : (sq == 1 ? j > 0 : j > i);
          if (!later || (sq == 1 && skv == 1))
            continue;
          double v = npy::loadAsDouble(mask, (o * sq + qi) * skv + kj);
          bool hidden = mask.dtype == npy::DType::Bool ? v == 0 : v <= -1e4;
          if (!hidden)
            return mlir::emitWarning(a.getLoc(), "tfm-massive-activations-to-bias: the attention "
                               "mask lets query ")
                   << i << " see the later key " << j
                   << ": not causal (bidirectional or prefix-LM)";
        }
  }
  return success();
}

/// A full-length side value `v` for the token path: its sequence `axis`
/// without the first token (or, as a negative control, without the last).
Value FirstTokenRewrite::sideSlice(OpBuilder &b, NodeBuilder &nodes, Location loc,
                                   Value v, int64_t axis) {
  auto type = cast<RankedTensorType>(v.getType());
  if (axis < 0 || type.getDimSize(axis) == 1)
    return v;
  Value &cached = sliced[{v, axis}];
  if (cached)
    return cached;
  // Once, right after the value, for every block that reads it.
  OpBuilder::InsertionGuard guard(b);
  if (Operation *def = v.getDefiningOp())
    b.setInsertionPointAfter(def);
  else
    b.setInsertionPointToStart(cast<BlockArgument>(v).getOwner());
  bool restart = control == NegativeControl::RestartPositions;
  cached = nodes.slice(loc, v, axis, restart ? 0 : 1,
                       restart ? -1 : std::numeric_limits<int64_t>::max(),
                       shortened(type, axis));
  return cached;
}

/// The first-token column of a mask: `v[..., 0:1]` along its key `axis`.
Value FirstTokenRewrite::keyCut(OpBuilder &b, NodeBuilder &nodes, Location loc,
                                Value v, int64_t axis) {
  auto type = cast<RankedTensorType>(v.getType());
  if (type.getDimSize(axis) == 1)
    return v;
  SmallVector<int64_t> shape(type.getShape());
  shape[axis] = 1;
  return nodes.slice(loc, v, axis, 0, 1,
                     RankedTensorType::get(shape, type.getElementType()));
}

/// Elementwise ops: each token's result depends on that token's operands.
static bool isElementwiseNode(OnnxNodeOp node) {
  static const llvm::StringSet<> kinds = {
      "Add",  "Sub",     "Mul",      "Div",   "Pow",  "Sqrt", "Reciprocal",
      "Neg",  "Abs",     "Exp",      "Log",   "Tanh", "Sigmoid", "Erf",
      "Relu", "Cast",    "Identity", "Where", "Max",  "Min",  "Clip",
      "Gelu", "Softplus", "Sin",     "Cos",   "Not",  "Equal", "Less",
      "Greater", "And",  "Or",       "IsNaN"};
  return kinds.contains(node.getOpType());
}

/// A node's axes (attribute or constant input `input`), in [0, rank).
static std::optional<SmallVector<int64_t>> normalisedAxes(OnnxNodeOp node,
                                                          unsigned input, int64_t rank) {
  std::optional<SmallVector<int64_t>> axes = onnx::axesOf(node, input);
  if (axes)
    for (int64_t &a : *axes)
      if (a < 0)
        a += rank;
  return axes;
}

LogicalResult FirstTokenRewrite::rewriteOp(Operation *op, OpBuilder &b,
                                           NodeBuilder &nodes) {
  auto onPath = [&](Value v) { return tokenAxis.count(v) != 0; };
  if (fullViews.contains(op) || llvm::none_of(op->getOperands(), onPath))
    return success();
  Location loc = op->getLoc();
  b.setInsertionPoint(op);
  auto rankOf = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank(); };
  // The results of `o` now hold one token less along `axis`.
  auto shorten = [&](Operation *o, int64_t axis) {
    for (Value r : o->getResults()) {
      r.setType(shortened(r.getType(), axis));
      tokenAxis[r] = axis;
    }
  };
  auto reject = [&](const Twine &why) {
    return mlir::emitWarning(op->getLoc(), "tfm-massive-activations-to-bias: cannot drop the "
                         "first token through this op: ")
           << why;
  };
  // tfm ops keep tokens in the second-to-last dimension of their data.
  auto tfmData = [&](Value v) {
    return onPath(v) && tokenAxis.lookup(v) == rankOf(v) - 2;
  };

  if (isa<func::ReturnOp, YieldOp>(op))
    return success();
  if (auto emb = dyn_cast<EmbeddingOp>(op)) {
    if (onPath(emb.getTable()))
      return reject("a token-dependent table");
    shorten(op, tokenAxis.lookup(emb.getIds()));
    return success();
  }
  if (auto linear = dyn_cast<LinearOp>(op)) {
    if (!tfmData(linear.getInput()) || onPath(linear.getWeight()) ||
        (linear.getBias() && onPath(linear.getBias())))
      return reject("not a linear map of each token");
    shorten(op, rankOf(op->getResult(0)) - 2);
    return success();
  }
  if (auto norm = dyn_cast<NormOp>(op)) {
    if (!tfmData(norm.getInput()) || (norm.getScale() && onPath(norm.getScale())) ||
        (norm.getShift() && onPath(norm.getShift())))
      return reject("not a normalisation of each token");
    shorten(op, rankOf(op->getResult(0)) - 2);
    return success();
  }
  if (auto rotary = dyn_cast<RotaryOp>(op)) {
    if (!tfmData(rotary.getInput()) || onPath(rotary.getCos()) || onPath(rotary.getSin()))
      return reject("token-dependent rotary tables");
    int64_t axis = rankOf(rotary.getCos()) - 2;
    rotary.getCosMutable().assign(sideSlice(b, nodes, loc, rotary.getCos(), axis));
    rotary.getSinMutable().assign(sideSlice(b, nodes, loc, rotary.getSin(), axis));
    shorten(op, rankOf(op->getResult(0)) - 2);
    return success();
  }
  bool elementwise = isa<ActivationOp, ResidualOp>(op) ||
                     (isa<OnnxNodeOp>(op) && isElementwiseNode(cast<OnnxNodeOp>(op)));
  if (elementwise) {
    // Broadcasting aligns dimensions from the right: the token axis counted
    // from the right is the same for every operand and the result.
    int64_t resultRank = rankOf(op->getResult(0));
    std::optional<int64_t> fromRight;
    for (Value v : op->getOperands())
      if (onPath(v)) {
        int64_t r = rankOf(v) - tokenAxis.lookup(v);
        if (fromRight && *fromRight != r)
          return reject("operands with their tokens on different axes");
        fromRight = r;
      }
    if (isa<ActivationOp, ResidualOp>(op) && *fromRight != 2)
      return reject("tokens not in the second-to-last dimension");
    for (OpOperand &operand : op->getOpOperands()) {
      Value v = operand.get();
      if (onPath(v))
        continue;
      auto type = dyn_cast<RankedTensorType>(v.getType());
      if (!type)
        return reject("an operand that is not a ranked tensor");
      int64_t axis = type.getRank() - *fromRight;
      if (axis >= 0)
        operand.set(sideSlice(b, nodes, loc, v, axis));
    }
    shorten(op, resultRank - *fromRight);
    return success();
  }
  if (auto node = dyn_cast<OnnxNodeOp>(op)) {
    StringRef kind = node.getOpType();
    Value data = node.getInputs().front();
    if (!onPath(data))
      return reject("'" + kind + "' reads the tokens in an operand other than its first");
    int64_t axis = tokenAxis.lookup(data), rank = rankOf(data);
    auto others = node.getInputs().drop_front();
    bool othersOff = llvm::none_of(others, onPath);
    if (kind == "Shape") {
      // The full-length shape: the shortened one plus 1 on the token axis.
      int64_t start = node.getIntAttr("start", 0), end = node.getIntAttr("end", rank);
      start = std::clamp<int64_t>(start < 0 ? start + rank : start, 0, rank);
      end = std::clamp<int64_t>(end < 0 ? end + rank : end, 0, rank);
      if (axis < start || axis >= end)
        return success();
      SmallVector<int64_t> one(std::max<int64_t>(end - start, 0), 0);
      one[axis - start] = 1;
      b.setInsertionPointAfter(op);
      Value sum = nodes.node(loc, "Add", node->getResult(0).getType(),
                             {node->getResult(0), onnx::i64Constant(b, loc, one)});
      node->getResult(0).replaceAllUsesExcept(sum, sum.getDefiningOp());
      return success();
    }
    if (kind == "Reshape" && othersOff) {
      auto target = onnx::constantIntValues(node.getInputs()[1]);
      auto inType = cast<RankedTensorType>(data.getType());
      if (!target || static_cast<int64_t>(target->size()) <= axis ||
          node.getIntAttr("allowzero", 0) != 0)
        return reject("a Reshape without a constant target keeping the token axis");
      // The dimensions up to the token axis are kept (0 copies).
      for (int64_t i = 0; i <= axis; ++i) {
        int64_t t = (*target)[i];
        bool kept = t == 0 || (i == axis && t == -1) ||
                    (!inType.isDynamicDim(i) && t == inType.getDimSize(i));
        if (!kept)
          return reject("a Reshape that merges or splits the token axis");
      }
      if ((*target)[axis] > 0) {
        SmallVector<int64_t> adjusted(*target);
        adjusted[axis] -= 1;
        node->setOperand(1, onnx::i64Constant(b, loc, adjusted));
      }
      shorten(op, axis);
      return success();
    }
    if (kind == "Transpose") {
      SmallVector<int64_t> perm = node.getTransposePerm(rank);
      shorten(op, std::find(perm.begin(), perm.end(), axis) - perm.begin());
      return success();
    }
    if ((kind == "Slice" || kind == "Squeeze" || kind == "ReduceMean" ||
         kind == "ReduceSum" || kind == "ReduceMax") && othersOff) {
      bool reduce = kind.starts_with("Reduce");
      auto axes = kind == "Slice" ? normalisedAxes(node, 3, rank)
                                  : normalisedAxes(node, 1, rank);
      if (kind == "Slice" && !axes && !node.getInput(3)) {
        // Default axes: 0 .. len(starts) - 1 (length unknown: any axis).
        int64_t n = node.getInput(1)
                        ? cast<ShapedType>(node.getInput(1).getType()).getDimSize(0)
                        : ShapedType::kDynamic;
        axes = llvm::to_vector(llvm::seq<int64_t>(0, ShapedType::isDynamic(n) ? rank : n));
      }
      if (!axes || llvm::is_contained(*axes, axis))
        return reject("'" + kind + "' over the token axis");
      int64_t out = axis;
      if (kind == "Squeeze" || (reduce && node.getIntAttr("keepdims", 1) == 0))
        out -= llvm::count_if(*axes, [&](int64_t a) { return a < axis; });
      shorten(op, out);
      return success();
    }
    if (kind == "Unsqueeze" && othersOff) {
      int64_t outRank = rankOf(op->getResult(0));
      auto axes = normalisedAxes(node, 1, outRank);
      if (!axes)
        return reject("Unsqueeze without constant axes");
      llvm::sort(*axes);
      int64_t out = axis;
      for (int64_t a : *axes)
        if (a <= out)
          ++out;
      shorten(op, out);
      return success();
    }
    if ((kind == "Split" || kind == "Softmax" || kind == "LogSoftmax" ||
         kind == "LayerNormalization") && othersOff) {
      int64_t along = node.getIntAttr("axis", kind == "Split" ? 0 : -1);
      if (along < 0)
        along += rank;
      if (along == axis || (kind == "LayerNormalization" && along < axis + 1))
        return reject("'" + kind + "' along the token axis");
      shorten(op, axis);
      return success();
    }
    if (kind == "Concat") {
      int64_t along = node.getIntAttr("axis", 0);
      if (along < 0)
        along += rank;
      if (along == axis)
        return reject("Concat along the token axis");
      for (OpOperand &operand : op->getOpOperands())
        if (!onPath(operand.get()))
          operand.set(sideSlice(b, nodes, loc, operand.get(), axis));
        else if (tokenAxis.lookup(operand.get()) != axis)
          return reject("Concat of operands with their tokens on different axes");
      shorten(op, axis);
      return success();
    }
    if (kind == "MatMul" && othersOff) {
      Value rhs = node.getInputs()[1];
      // x·W with W the same for every token: the token axis must be a batch
      // or row axis of x, not its contraction axis.
      if (axis == rank - 1 || rankOf(rhs) > rank)
        return reject("a MatMul that contracts over the tokens");
      if (rankOf(rhs) > 2 && cast<RankedTensorType>(rhs.getType()).getDimSize(
                                 rankOf(rhs) - (rank - axis)) != 1 &&
          rank - axis > 2)
        return reject("a MatMul whose weight varies along the tokens");
      shorten(op, rankOf(op->getResult(0)) - (rank - axis));
      return success();
    }
    return reject("'" + kind + "' is not known to act on each token separately");
  }
  if (auto attn = dyn_cast<AttentionOp>(op)) {
    if (!tfmData(attn.getQuery()) || !tfmData(attn.getKey()) || !tfmData(attn.getValue()))
      return reject("query, key and value must all come from the tokens");
    unsigned index = attentionIndex++;
    int64_t hkv = attn.getKvHeads();
    int64_t d = keys[index].size() / hkv, dv = values[index].size() / hkv;
    Type elt = cast<RankedTensorType>(attn.getKey().getType()).getElementType();
    auto slotConstant = [&](ArrayRef<float> row, int64_t width) -> Value {
      std::vector<double> values(row.begin(), row.end());
      return weights::floatConstant(b, loc, {hkv, 1, width}, elt, values,
                                    "first_token_slot");
    };
    Value keyBias = slotConstant(keys[index], d);
    Value valueBias = slotConstant(values[index], dv);
    if (attn.hasBiasSlots()) {
      // Existing slots come first, as they did before the first token.
      auto concat = [&](Value old, Value added) {
        auto oldType = cast<RankedTensorType>(old.getType());
        SmallVector<int64_t> shape(oldType.getShape());
        if (!ShapedType::isDynamic(shape[1]))
          shape[1] += 1;
        return nodes.node(loc, "Concat", RankedTensorType::get(shape, elt),
                          {old, added},
                          b.getDictionaryAttr(b.getNamedAttr("axis", b.getI64IntegerAttr(1))));
      };
      keyBias = concat(attn.getKeyBias(), keyBias);
      valueBias = concat(attn.getValueBias(), valueBias);
    }
    Value mask, biasMask;
    if (Value full = attn.getMask()) {
      int64_t rank = cast<RankedTensorType>(full.getType()).getRank();
      Value rows = sideSlice(b, nodes, loc, full, rank - 2);
      mask = sideSlice(b, nodes, loc, rows, rank - 1);
      if (control != NegativeControl::IgnoreWindow)
        biasMask = keyCut(b, nodes, loc, rows, rank - 1);
    }
    auto rewritten = AttentionOp::create(
        b, loc, shortened(attn.getType(), rankOf(attn.getResult()) - 2), attn.getQuery(),
        attn.getKey(), attn.getValue(), mask, keyBias, valueBias, biasMask,
        attn.getNumHeadsAttr(), attn.getNumKvHeadsAttr(), attn.getScaleAttr(),
        attn.getCausalAttr(), DenseF64ArrayAttr(), DenseF64ArrayAttr(),
        DenseF64ArrayAttr());
    attn.replaceAllUsesWith(rewritten.getResult());
    attn.erase();
    tokenAxis[rewritten.getResult()] = rankOf(rewritten.getResult()) - 2;
    return success();
  }
  if (auto block = dyn_cast<BlockOp>(op)) {
    Block &body = block.getBody().front();
    for (OpOperand &operand : block->getOpOperands()) {
      BlockArgument arg = body.getArgument(operand.getOperandNumber());
      if (onPath(operand.get())) {
        arg.setType(operand.get().getType());
        tokenAxis[arg] = tokenAxis.lookup(operand.get());
      }
    }
    for (Operation &inner : llvm::make_early_inc_range(body.getOperations()))
      if (failed(rewriteOp(&inner, b, nodes)))
        return failure();
    for (auto [result, yielded] :
         llvm::zip(block->getResults(), block.getYield().getValues()))
      if (onPath(yielded)) {
        result.setType(yielded.getType());
        tokenAxis[result] = tokenAxis.lookup(yielded);
      }
    return success();
  }
  return reject("not an op of the token path the rewrite knows");
}

LogicalResult FirstTokenRewrite::rewriteBody(func::FuncOp f) {
  OpBuilder b(f.getContext());
  NodeBuilder nodes{b, onnx::defaultDomainOpset(module)};
  Block &entry = f.getBody().front();
  b.setInsertionPointToStart(&entry);
  // The caller passes tokens 1..T; the full-length view puts the first token
  // (and position 0) back in front for what depends on positions only.
  for (BlockArgument arg : entry.getArguments()) {
    bool ids = static_cast<int64_t>(arg.getArgNumber()) == idsArg;
    Type fullType = arg.getType();
    arg.setType(shortened(fullType, 1));
    Location loc = f.getLoc();
    Value pads = onnx::i64Constant(b, loc, {0, 1, 0, 0});
    auto scalarType = RankedTensorType::get({}, b.getI64Type());
    Value fill = arith::ConstantOp::create(
        b, loc, DenseIntElementsAttr::get(scalarType, ArrayRef<int64_t>{ids ? firstToken : 0}));
    Value full = nodes.node(loc, "Pad", fullType, {arg, pads, fill});
    fullViews.insert(full.getDefiningOp());
    // The way of the ids to their embedding (through the exporters' Reshape
    // or Cast) reads the short ids: the token path. Everything else reads
    // the full-length view.
    arg.replaceUsesWithIf(full, [&](OpOperand &use) {
      Operation *user = use.getOwner();
      if (user == full.getDefiningOp())
        return false;
      if (!ids)
        return true;
      if (auto emb = dyn_cast<EmbeddingOp>(user))
        return emb.getIds() != arg;
      return !(isa<OnnxNodeOp>(user) && user->getNumResults() == 1 &&
               tokenEmbedding(user->getResult(0)));
    });
    if (ids)
      tokenAxis[arg] = 1;
  }
  for (Operation &op : llvm::make_early_inc_range(entry.getOperations()))
    if (failed(rewriteOp(&op, b, nodes)))
      return failure();
  if (attentionIndex != attentions.size())
    return mlir::emitWarning(f.getLoc(), "tfm-massive-activations-to-bias: an attention does "
                         "not read the tokens");
  auto ret = cast<func::ReturnOp>(entry.getTerminator());
  f.setFunctionType(FunctionType::get(f.getContext(), entry.getArgumentTypes(),
                                      ret.getOperandTypes()));
  return success();
}

LogicalResult FirstTokenRewrite::apply() {
  // Rewrite a copy; the original stays untouched if an op is in the way.
  func::FuncOp copy = fn.clone();
  OpBuilder(fn).insert(copy);
  copy.setPrivate();
  // The copy's attentions, in the same walk order as the original's.
  LogicalResult result = rewriteBody(copy);
  if (failed(result)) {
    copy.erase();
    return failure();
  }
  fn.getBody().takeBody(copy.getBody());
  fn.setFunctionType(copy.getFunctionType());
  copy.erase();
  fn.setArgAttr(idsArg, "tfm.first_token",
                IntegerAttr::get(IntegerType::get(fn.getContext(), 64), firstToken));
  return success();
}

//===----------------------------------------------------------------------===//
// Approximate mode
//===----------------------------------------------------------------------===//

struct Replacement {
  int64_t token;
  std::map<int64_t, double> means; // dim -> calibration mean
};

/// Sets `h[.., token, dim] = mean` on the residual stream leaving `block`.
void setToMeans(BlockOp block, ArrayRef<Replacement> replacements, int64_t opset) {
  OpBuilder b(block->getContext());
  b.setInsertionPointAfter(block);
  NodeBuilder nodes{b, opset};
  Location loc = block.getLoc();
  Value h = block->getResult(0);
  auto type = cast<RankedTensorType>(h.getType());
  int64_t axis = type.getRank() - 2, width = type.getDimSize(type.getRank() - 1);
  Type elt = type.getElementType();
  SmallVector<OpOperand *> uses;
  for (OpOperand &use : h.getUses())
    uses.push_back(&use);
  Value current = h;
  for (const Replacement &r : replacements) {
    std::vector<double> keep(width, 1.0), mean(width, 0.0);
    for (auto [dim, m] : r.means) {
      keep[dim] = 0.0;
      mean[dim] = m;
    }
    auto vec = [&](ArrayRef<double> v) -> Value {
      return weights::floatConstant(b, loc, {width}, elt, v, "calibration_mean");
    };
    SmallVector<int64_t> rowShape(type.getShape());
    rowShape[axis] = ShapedType::kDynamic;
    auto dynType = RankedTensorType::get(rowShape, elt);
    Value before = nodes.slice(loc, current, axis, 0, r.token, dynType);
    Value row = nodes.slice(loc, current, axis, r.token, r.token + 1, dynType);
    Value after = nodes.slice(loc, current, axis, r.token + 1,
                              std::numeric_limits<int64_t>::max(), dynType);
    Value fixed = nodes.node(loc, "Add", dynType,
                             {nodes.node(loc, "Mul", dynType, {row, vec(keep)}), vec(mean)});
    current = nodes.node(
        loc, "Concat", type, {before, fixed, after},
        b.getDictionaryAttr(b.getNamedAttr("axis", b.getI64IntegerAttr(axis))));
  }
  for (OpOperand *use : uses)
    use->set(current);
}

struct MassiveActivationsToBiasPass
    : mlir::tfm::impl::TfmMassiveActivationsToBiasBase<MassiveActivationsToBiasPass> {
  using Base::Base;

  void runOnOperation() override;
  LogicalResult runExact(ModuleOp module, func::FuncOp fn);
  LogicalResult runApproximate(ModuleOp module, func::FuncOp fn);
};

LogicalResult MassiveActivationsToBiasPass::runExact(ModuleOp module, func::FuncOp fn) {
  if (firstToken < 0)
    return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: mode=exact needs "
                        "first-token=ID (the token every sequence starts with)");
  NegativeControl control = NegativeControl::None;
  if (negativeControl == "restart-positions")
    control = NegativeControl::RestartPositions;
  else if (negativeControl == "ignore-window")
    control = NegativeControl::IgnoreWindow;
  else if (!negativeControl.empty())
    return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: negative-control=")
           << negativeControl << ": expected restart-positions or ignore-window";
  FirstTokenRewrite rewrite(module, fn, firstToken, control);
  if (failed(rewrite.prepare()) || failed(rewrite.apply())) {
    if (rewrite.fatal)
      return failure();
    mlir::emitRemark(fn.getLoc()) << "tfm-massive-activations-to-bias: @" << fn.getSymName()
                    << " left unchanged";
    return success();
  }
  mlir::emitRemark(fn.getLoc()) << "first token " << firstToken.getValue()
                  << " precomputed into the bias slots of "
                  << rewrite.numAttentions()
                  << " attention ops; @" << fn.getSymName()
                  << " now takes tokens 1..T";
  recordRewrites(module, "tfm-massive-activations-to-bias",
                 {{"attention_rewritten", rewrite.numAttentions()}});
  return success();
}

/// The largest absolute and relative (to the largest |reference|) difference.
std::pair<double, double> outputError(ArrayRef<npy::Array> want,
                                      ArrayRef<npy::Array> got) {
  double maxAbs = 0, maxRef = 0;
  for (auto [w, g] : llvm::zip(want, got)) {
    std::vector<float> a = toFloats(w), c = toFloats(g);
    for (size_t i = 0; i < std::min(a.size(), c.size()); ++i) {
      maxAbs = std::max<double>(maxAbs, std::fabs(a[i] - c[i]));
      maxRef = std::max<double>(maxRef, std::fabs(a[i]));
    }
  }
  return {maxAbs, maxRef > 0 ? maxAbs / maxRef : maxAbs};
}

LogicalResult MassiveActivationsToBiasPass::runApproximate(ModuleOp module,
                                                           func::FuncOp fn) {
  CalibrationSource source{calibration, firstToken, sequences, length, seed};
  auto found = findMassiveActivations(module, fn, source, {magnitude, ratio});
  if (!found)
    return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
           << llvm::toString(found.takeError());
  // Where each (token, dim) first appears, and its mean there.
  std::map<std::pair<int64_t, int64_t>, const MassiveActivation *> first;
  for (const MassiveActivation &m : found->massive) {
    if (firstToken >= 0 && m.token == 0)
      continue; // the fixed first token: mode=exact's business
    // A position that carries it in only a few sequences holds varying
    // tokens: a constant there would be wrong more often than right.
    if (2 * m.count < found->sequences)
      continue;
    auto &slot = first[{m.token, m.dim}];
    if (!slot || m.layer < slot->layer)
      slot = &m;
  }
  SmallVector<BlockOp> blocks = topLevelBlocks(fn);
  std::map<int64_t, std::map<int64_t, Replacement>> byLayer; // layer -> token -> r
  for (auto &[key, m] : first) {
    Replacement &r = byLayer[m->layer][m->token];
    r.token = m->token;
    r.means[m->dim] = m->mean;
  }
  llvm::json::Array replaced;
  for (auto &[layer, tokens] : byLayer)
    for (auto &[token, r] : tokens)
      for (auto [dim, mean] : r.means)
        replaced.push_back(llvm::json::Object{
            {"layer", layer}, {"token", token}, {"dim", dim}, {"mean", mean}});
  if (byLayer.empty()) {
    mlir::emitRemark(fn.getLoc()) << "no massive activations to replace"
                    << (firstToken >= 0 ? " outside the fixed first token" : "");
  } else {
    // Held-out error: the original and the rewritten model side by side.
    auto original = ProbedExecutable::compile(module, fn, {});
    if (!original)
      return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
             << llvm::toString(original.takeError());
    for (auto &[layer, tokens] : byLayer) {
      BlockOp block;
      for (auto [i, b] : llvm::enumerate(blocks))
        if ((b.getLayer() ? static_cast<int64_t>(*b.getLayer()) : int64_t(i)) == layer)
          block = b;
      SmallVector<Replacement> list;
      for (auto &[token, r] : tokens)
        list.push_back(r);
      setToMeans(block, list, onnx::defaultDomainOpset(module));
    }
    auto rewritten = ProbedExecutable::compile(module, fn, {});
    if (!rewritten)
      return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
             << llvm::toString(rewritten.takeError());
    // Held-out sequences: fresh random ones, starting like the calibration
    // sequences when those all start with one token.
    int64_t vocabulary = vocabularySize(fn);
    CalibrationSource heldOut = source;
    heldOut.file.clear();
    heldOut.sequences = holdout;
    heldOut.seed = seed + 0x9E3779B97F4A7C15ull;
    if (!source.file.empty() && heldOut.firstToken < 0) {
      auto calib = calibrationSequences(source, vocabulary);
      if (calib && llvm::all_of(*calib, [&](const std::vector<int64_t> &c) {
            return c.front() == calib->front().front();
          }))
        heldOut.firstToken = calib->front().front();
    }
    auto seqs = calibrationSequences(heldOut, vocabulary);
    if (!seqs)
      return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
             << llvm::toString(seqs.takeError());
    double maxAbs = 0, maxRel = 0;
    Progress progress("tfm-massive-activations-to-bias", seqs->size());
    for (const std::vector<int64_t> &tokens : *seqs) {
      progress.step("held-out sequence");
      auto args = calibrationInputs((*original)->inputs(), fn, tokens);
      if (!args)
        return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
               << llvm::toString(args.takeError());
      auto want = (*original)->run(*args);
      auto got = want ? (*rewritten)->run(*args) : std::move(want);
      if (!got)
        return mlir::emitError(fn.getLoc(), "tfm-massive-activations-to-bias: ")
               << llvm::toString(got.takeError());
      auto [a, r] = outputError(want->results, got->results);
      maxAbs = std::max(maxAbs, a);
      maxRel = std::max(maxRel, r);
    }
    mlir::emitRemark(fn.getLoc()) << llvm::formatv(
        "set {0} massive activations to their calibration means; on {1} "
        "held-out sequences the outputs change by at most {2:E2} (absolute), "
        "{3:E2} relative to the largest output",
        replaced.size(), seqs->size(), maxAbs, maxRel);
    recordRewrites(module, "tfm-massive-activations-to-bias",
                   {{"activations_set_to_mean", static_cast<int64_t>(replaced.size())}});
    if (!report.empty()) {
      llvm::json::Object json{
          {"replaced", std::move(replaced)},
          {"holdout", llvm::json::Object{{"sequences", static_cast<int64_t>(seqs->size())},
                                         {"length", length.getValue()},
                                         {"max_abs_error", maxAbs},
                                         {"max_rel_error", maxRel}}},
          {"calibration", toJSON(*found)}};
      std::string error;
      auto file = openOutputFile(report, &error);
      if (!file)
        return mlir::emitError(fn.getLoc())
               << "tfm-massive-activations-to-bias: cannot write " << report << ": "
               << error;
      file->os() << llvm::formatv("{0:2}", llvm::json::Value(std::move(json))) << "\n";
      file->keep();
    }
  }
  return success();
}

void MassiveActivationsToBiasPass::runOnOperation() {
  ModuleOp module = getOperation();
  auto fn = module.lookupSymbol<func::FuncOp>(entry);
  if (!fn || fn.isDeclaration()) {
    mlir::emitError(module.getLoc()) << "tfm-massive-activations-to-bias: no function @" << entry;
    return signalPassFailure();
  }
  LogicalResult result = failure();
  if (mode == "exact")
    result = runExact(module, fn);
  else if (mode == "approximate")
    result = runApproximate(module, fn);
  else
    mlir::emitError(fn.getLoc()) << "tfm-massive-activations-to-bias: mode=" << mode
                   << ": expected exact or approximate";
  if (failed(result))
    signalPassFailure();
}

} // namespace
