//===- Stats.cpp - the tfm-stats pass -----------------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/ToolOutputFile.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMSTATS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

/// How a use consumes a constant.
enum class UseRole { Weight, Buffer, Other };

static UseRole classifyUse(OpOperand &use) {
  Operation *user = use.getOwner();
  Value v = use.get();
  if (auto linear = dyn_cast<LinearOp>(user))
    return v == linear.getInput() ? UseRole::Other : UseRole::Weight;
  if (auto norm = dyn_cast<NormOp>(user))
    return v == norm.getInput() ? UseRole::Other : UseRole::Weight;
  if (auto emb = dyn_cast<EmbeddingOp>(user))
    return v == emb.getTable() ? UseRole::Weight : UseRole::Other;
  if (auto rotary = dyn_cast<RotaryOp>(user))
    return v == rotary.getInput() ? UseRole::Other : UseRole::Buffer;
  if (auto attn = dyn_cast<AttentionOp>(user)) {
    if (v == attn.getMask() || v == attn.getBiasMask())
      return UseRole::Buffer;
    if (v == attn.getKeyBias() || v == attn.getValueBias())
      return UseRole::Weight;
  }
  return UseRole::Other;
}

/// True if `op` is a matrix multiply left in the graph tier.
static bool isOnnxNode(Operation *op, StringRef type) {
  auto node = dyn_cast<OnnxNodeOp>(op);
  return node && node.getDomain().empty() && node.getOpType() == type;
}

static bool isGraphMatmul(Operation *op) {
  if (isOnnxNode(op, "MatMul") || isOnnxNode(op, "Gemm"))
    return true;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  return linalgOp && linalg::isaContractionOpInterface(linalgOp);
}

/// Looks for a contraction within a few producer (or consumer) hops of `v`,
/// through the elementwise and shape ops that sit between the matmuls and
/// the softmax of an unraised attention (scale, mask add, reshapes).
static bool nearContraction(Value v, bool forward, int depth = 4) {
  if (depth < 0)
    return false;
  if (!forward) {
    Operation *def = v.getDefiningOp();
    if (!def)
      return false;
    if (isGraphMatmul(def))
      return true;
    for (Value operand : def->getOperands())
      if (isa<ShapedType>(operand.getType()) &&
          nearContraction(operand, forward, depth - 1))
        return true;
    return false;
  }
  for (Operation *user : v.getUsers()) {
    if (isGraphMatmul(user))
      return true;
    for (Value result : user->getResults())
      if (nearContraction(result, forward, depth - 1))
        return true;
  }
  return false;
}

ModelStats mlir::tfm::computeModelStats(ModuleOp module) {
  ModelStats stats;
  for (StringRef kind : {"pre_ln", "post_ln", "parallel", "sas", "sas_p",
                         "unknown"})
    stats.blocks[kind.str()] = 0;

  if (auto all = module->getAttrOfType<DictionaryAttr>("tfm.rewrites"))
    for (NamedAttribute pass : all)
      if (auto counters = dyn_cast<DictionaryAttr>(pass.getValue()))
        for (NamedAttribute c : counters)
          if (auto v = dyn_cast<IntegerAttr>(c.getValue()))
            stats.rewrites[pass.getName().str()][c.getName().str()] = v.getInt();

  llvm::DenseSet<Attribute> seenWeights;
  module.walk([&](Operation *op) {
    if (isa<LinearOp>(op) || isGraphMatmul(op))
      ++stats.matmuls;
    if (isa<AttentionOp>(op))
      ++stats.attention;
    if ((isa<linalg::SoftmaxOp>(op) || isOnnxNode(op, "Softmax")) &&
        nearContraction(op->getOperand(0), /*forward=*/false) &&
        nearContraction(op->getResult(0), /*forward=*/true))
      ++stats.attention;
    if (auto block = dyn_cast<BlockOp>(op))
      ++stats.blocks[stringifyBlockKind(block.getKind()).str()];

    Attribute value;
    if (op->getNumResults() != 1 || !matchPattern(op, m_Constant(&value)))
      return;
    auto elements = dyn_cast<ElementsAttr>(value);
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!elements || !type || !isa<FloatType>(type.getElementType()))
      return;
    bool weightUse = false, otherUse = false;
    for (OpOperand &use : op->getResult(0).getUses()) {
      UseRole role = classifyUse(use);
      weightUse |= role == UseRole::Weight;
      otherUse |= role == UseRole::Other;
    }
    bool isWeight = weightUse || (otherUse && type.getNumElements() > 1);
    if (isWeight && seenWeights.insert(value).second)
      stats.parameters += type.getNumElements();
  });
  return stats;
}

void mlir::tfm::recordRewrites(
    ModuleOp module, StringRef passName,
    ArrayRef<std::pair<StringRef, int64_t>> counters) {
  MLIRContext *ctx = module.getContext();
  auto all = module->getAttrOfType<DictionaryAttr>("tfm.rewrites");
  NamedAttrList passes(all ? all.getValue() : ArrayRef<NamedAttribute>());
  auto mine = dyn_cast_or_null<DictionaryAttr>(passes.get(passName));
  NamedAttrList values(mine ? mine.getValue() : ArrayRef<NamedAttribute>());
  for (auto [name, count] : counters) {
    int64_t old = 0;
    if (auto a = dyn_cast_or_null<IntegerAttr>(values.get(name)))
      old = a.getInt();
    values.set(name, IntegerAttr::get(IntegerType::get(ctx, 64), old + count));
  }
  passes.set(passName, values.getDictionary(ctx));
  module->setAttr("tfm.rewrites", passes.getDictionary(ctx));
}

void mlir::tfm::printModelStatsJSON(const ModelStats &stats,
                                    llvm::raw_ostream &os) {
  llvm::json::OStream json(os);
  json.object([&] {
    json.attribute("parameters", stats.parameters);
    json.attribute("matmuls", stats.matmuls);
    json.attribute("attention", stats.attention);
    json.attributeObject("blocks", [&] {
      for (StringRef kind :
           {"pre_ln", "post_ln", "parallel", "sas", "sas_p", "unknown"})
        json.attribute(kind, stats.blocks.at(kind.str()));
    });
    if (!stats.rewrites.empty())
      json.attributeObject("rewrites", [&] {
        for (const auto &[pass, counters] : stats.rewrites)
          json.attributeObject(pass, [&] {
            for (const auto &[name, count] : counters)
              json.attribute(name, count);
          });
      });
  });
  os << "\n";
}

namespace {
struct TfmStatsPass : mlir::tfm::impl::TfmStatsBase<TfmStatsPass> {
  using TfmStatsBase::TfmStatsBase;

  void runOnOperation() override {
    ModelStats stats = computeModelStats(getOperation());
    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(output, &error);
    if (!file) {
      getOperation().emitError() << "tfm-stats: " << error;
      return signalPassFailure();
    }
    printModelStatsJSON(stats, file->os());
    file->keep();
    markAllAnalysesPreserved();
  }
};
} // namespace
