//===- FormBlocks.cpp - group transformer layers into tfm.block ---*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The residual stream is the chain of values that residual sums and norms
// pass from layer to layer. Layer l starts at the latest stream value its
// attention depends on and ends where layer l+1 starts (the last layer ends
// at the last stream value after its attention). The ops between the two
// that depend on the start move into a tfm.block; what they read from
// outside (weights, masks, rotary tables) is captured from above.
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFORMBLOCKS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

class BlockFormer {
public:
  explicit BlockFormer(Block &body) : body(body) {
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = i;
  }

  void run();

private:
  /// Program position of the definition of `v` (-1 for block arguments).
  int64_t pos(Value v) {
    if (auto *def = v.getDefiningOp())
      return position.lookup(def);
    return -1;
  }
  bool isStream(Value v) { return stream.contains(v); }
  /// Values `root` depends on (through any operand).
  llvm::DenseSet<Value> ancestors(Operation *root);
  /// Ops depending on `v` (block argument or result), in this block.
  llvm::DenseSet<Operation *> descendants(Value v, bool throughShapes = false);
  void collectStream();
  BlockKind classify(Value input, Value output, ArrayRef<Operation *> ops);
  bool formBlock(Value input, Value output, int64_t layer);

  Block &body;
  DenseMap<Operation *, int64_t> position;
  llvm::SetVector<Value> stream;
};

void BlockFormer::collectStream() {
  for (Operation &op : body) {
    if (auto r = dyn_cast<ResidualOp>(op)) {
      stream.insert(r.getResult());
      if (r.getSkip())
        stream.insert(r.getSkip());
    }
    if (auto n = dyn_cast<NormOp>(op)) {
      stream.insert(n.getInput());
      for (Operation *user : n.getResult().getUsers())
        if (auto r = dyn_cast<ResidualOp>(user); r && r.getSkip() == n.getResult())
          stream.insert(n.getResult());
    }
  }
}

/// Shape and Size read only the extents of their input: a value computed
/// from them does not depend on the data.
static bool readsOnlyShape(Operation *op) {
  auto node = dyn_cast<OnnxNodeOp>(op);
  return node && node.getDomain().empty() &&
         (node.getOpType() == "Shape" || node.getOpType() == "Size");
}

llvm::DenseSet<Value> BlockFormer::ancestors(Operation *root) {
  llvm::DenseSet<Value> seen;
  SmallVector<Value> work(root->getOperands());
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (Operation *def = v.getDefiningOp();
        def && def->getBlock() == &body && !readsOnlyShape(def))
      work.append(def->operand_begin(), def->operand_end());
  }
  return seen;
}

llvm::DenseSet<Operation *> BlockFormer::descendants(Value v, bool throughShapes) {
  llvm::DenseSet<Operation *> seen;
  SmallVector<Value> work{v};
  while (!work.empty()) {
    Value x = work.pop_back_val();
    for (Operation *user : x.getUsers()) {
      Operation *op = body.findAncestorOpInBlock(*user);
      if (!op || (!throughShapes && readsOnlyShape(op)) || !seen.insert(op).second)
        continue;
      work.append(op->result_begin(), op->result_end());
    }
  }
  return seen;
}

BlockKind BlockFormer::classify(Value input, Value output, ArrayRef<Operation *> ops) {
  SmallVector<AttentionOp> attns;
  SmallVector<ResidualOp> residuals;
  for (Operation *op : ops) {
    if (auto a = dyn_cast<AttentionOp>(op))
      attns.push_back(a);
    if (auto r = dyn_cast<ResidualOp>(op))
      residuals.push_back(r);
  }
  if (attns.size() != 1)
    return BlockKind::unknown;
  AttentionOp attn = attns[0];
  auto outResidual = output.getDefiningOp<ResidualOp>();
  if (attn.getAlpha()) {
    // Shaped attention: SAS-P sums the attention and MLP branches in one
    // residual (He & Hofmann's SAS-P has no skip); SAS runs them in sequence.
    if (outResidual && outResidual.getBranches().size() >= 2)
      return BlockKind::sas_p;
    return BlockKind::sas;
  }
  if (auto norm = output.getDefiningOp<NormOp>())
    if (norm.getInput().getDefiningOp<ResidualOp>() && residuals.size() == 2)
      return BlockKind::post_ln;
  if (!outResidual)
    return BlockKind::unknown;
  if (outResidual.getSkip() == input && outResidual.getBranches().size() >= 2 &&
      residuals.size() == 1)
    return BlockKind::parallel;
  if (residuals.size() == 2 && outResidual.getSkip() &&
      outResidual.getSkip().getDefiningOp<ResidualOp>())
    return BlockKind::pre_ln;
  return BlockKind::unknown;
}

bool BlockFormer::formBlock(Value input, Value output, int64_t layer) {
  // Earlier blocks moved ops: number them again.
  position.clear();
  for (auto [i, op] : llvm::enumerate(body))
    position[&op] = i;
  Operation *outDef = output.getDefiningOp();
  if (!outDef || outDef->getBlock() != &body)
    return false;
  // Ops that depend on the input and that the output depends on.
  llvm::DenseSet<Operation *> down = descendants(input);
  llvm::DenseSet<Value> up = ancestors(outDef);
  SmallVector<Operation *> ops;
  for (Operation &op : body) {
    if (&op == outDef) {
      ops.push_back(&op);
      break;
    }
    if (!down.contains(&op) || isa<arith::ConstantOp>(op))
      continue;
    if (llvm::any_of(op.getResults(), [&](Value r) { return up.contains(r); }))
      ops.push_back(&op);
  }
  llvm::DenseSet<Operation *> inside(ops.begin(), ops.end());
  // Shape arithmetic on the layer's values joins the layer when only the
  // layer uses it (decided consumers first).
  llvm::DenseSet<Operation *> shapeDown = descendants(input, /*throughShapes=*/true);
  SmallVector<Operation *> extra;
  for (Operation &op : llvm::reverse(body)) {
    if (position.lookup(&op) >= position.lookup(outDef) || inside.contains(&op) ||
        !shapeDown.contains(&op) || isa<arith::ConstantOp>(op))
      continue;
    bool onlyInside = !op.use_empty() && llvm::all_of(op.getUsers(), [&](Operation *u) {
      return inside.contains(body.findAncestorOpInBlock(*u));
    });
    if (onlyInside) {
      inside.insert(&op);
      extra.push_back(&op);
    }
  }
  if (!extra.empty()) {
    ops.clear();
    for (Operation &op : body)
      if (inside.contains(&op))
        ops.push_back(&op);
  }
  // Values computed inside and used after the layer (the output, and for
  // example the keys and values an export with a KV cache returns) become
  // the block's results; a use outside before the layer's end keeps the
  // layer as it is.
  int64_t end = position.lookup(outDef);
  SmallVector<Value> results{output};
  for (Operation *op : ops)
    for (Value r : op->getResults()) {
      bool escapes = false;
      for (Operation *user : r.getUsers()) {
        Operation *top = body.findAncestorOpInBlock(*user);
        if (inside.contains(top))
          continue;
        if (!top || position.lookup(top) < end)
          return false;
        escapes = true;
      }
      if (escapes && r != output)
        results.push_back(r);
    }
  BlockKind kind = classify(input, output, ops);

  OpBuilder b(outDef->getContext());
  b.setInsertionPointAfter(outDef);
  auto block = BlockOp::create(b, outDef->getLoc(), ValueRange(results).getTypes(),
                               BlockKindAttr::get(b.getContext(), kind),
                               ValueRange{input}, b.getI64IntegerAttr(layer));
  Block *entry = b.createBlock(&block.getBody(), {}, {input.getType()},
                               {input.getLoc()});
  for (auto [r, blockResult] : llvm::zip(results, block.getResults()))
    r.replaceUsesWithIf(blockResult, [&](OpOperand &use) {
      return !inside.contains(body.findAncestorOpInBlock(*use.getOwner()));
    });
  for (Operation *op : ops)
    op->moveBefore(entry, entry->end());
  input.replaceUsesWithIf(entry->getArgument(0), [&](OpOperand &use) {
    return block->isProperAncestor(use.getOwner());
  });
  b.setInsertionPointToEnd(entry);
  YieldOp::create(b, outDef->getLoc(), results);
  // Small constants (shapes, axes, scalars) are copied into the block so
  // that it reads as a unit and outlined blocks keep them as constants;
  // weights stay captured.
  b.setInsertionPointToStart(entry);
  llvm::SmallDenseMap<Operation *, Value> copies;
  block.getBody().walk([&](Operation *op) {
    for (OpOperand &operand : op->getOpOperands()) {
      auto cst = operand.get().getDefiningOp<arith::ConstantOp>();
      if (!cst || block->isAncestor(cst))
        continue;
      auto type = dyn_cast<ShapedType>(cst.getType());
      bool small = type && type.hasStaticShape() &&
                   (type.getNumElements() <= 16 || !isa<FloatType>(type.getElementType()));
      if (!small)
        continue;
      Value &copy = copies[cst];
      if (!copy)
        copy = b.clone(*cst)->getResult(0);
      operand.set(copy);
    }
  });
  return true;
}

void BlockFormer::run() {
  SmallVector<AttentionOp> attns;
  for (Operation &op : body)
    if (auto a = dyn_cast<AttentionOp>(op))
      attns.push_back(a);
  if (attns.empty())
    return;
  collectStream();

  // Layer inputs: the latest stream value each attention depends on.
  SmallVector<Value> inputs;
  for (AttentionOp attn : attns) {
    llvm::DenseSet<Value> deps = ancestors(attn);
    Value best;
    for (Value s : stream)
      if (deps.contains(s) && (!best || pos(s) > pos(best)))
        best = s;
    if (!best || (!inputs.empty() && pos(best) <= pos(inputs.back())))
      return; // Not a stack of layers this pass understands.
    inputs.push_back(best);
  }
  // The last layer ends at the latest stream value after its attention; a
  // post-LN stack also takes the norm that follows.
  AttentionOp last = attns.back();
  llvm::DenseSet<Operation *> after = descendants(last.getResult());
  Value end;
  for (Value s : stream)
    if (Operation *def = s.getDefiningOp();
        def && after.contains(def) && (!end || pos(s) > pos(end)))
      end = s;
  if (!end)
    return;
  bool postLN = inputs.size() > 1 && inputs[1].getDefiningOp<NormOp>();
  if (postLN && end.getDefiningOp<ResidualOp>() && end.hasOneUse())
    if (auto norm = dyn_cast<NormOp>(*end.getUsers().begin()))
      end = norm.getResult();

  SmallVector<Value> outputs(inputs.begin() + 1, inputs.end());
  outputs.push_back(end);
  // Form from the last layer backwards so earlier boundaries stay valid.
  for (int64_t l = static_cast<int64_t>(inputs.size()) - 1; l >= 0; --l)
    (void)formBlock(inputs[l], outputs[l], l);
}

struct TfmFormBlocksPass : public tfm::impl::TfmFormBlocksBase<TfmFormBlocksPass> {
  void runOnOperation() override {
    getOperation()->walk([&](FunctionOpInterface fn) {
      if (fn.isExternal() || fn.getFunctionBody().getBlocks().size() != 1)
        return;
      BlockFormer(fn.getFunctionBody().front()).run();
    });
  }
};

} // namespace
