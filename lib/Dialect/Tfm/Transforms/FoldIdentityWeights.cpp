//===- FoldIdentityWeights.cpp - drop identity value/projection weights -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// He & Hofmann (2023) find trained value and projection weights close to the
// identity, and their SAS/SAS-P blocks have them exactly so. A tfm.linear
// whose constant weight is c·I computes c·x + b: it disappears, the scalar
// moves into a neighbouring gain or weight (attention is linear in its
// values), and a value bias moves into the projection's bias where every
// attention row provably sums to a known constant (PASSES.md §3.a A1, A2, A5).
//
//===----------------------------------------------------------------------===//

#include "Raise/OnnxUtils.h"
#include "Weights.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include <cmath>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFOLDIDENTITYWEIGHTS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// W = c·I, with the relative distance ‖W − c·I‖_F / ‖W‖_F (0 when exact).
struct ScalarIdentity {
  double scale;
  double distance;
};

std::optional<ScalarIdentity> scalarIdentity(Value weight, double tolerance) {
  auto cst = weight.getDefiningOp<arith::ConstantOp>();
  if (!cst)
    return std::nullopt;
  auto attr = dyn_cast<ElementsAttr>(cst.getValue());
  if (!attr || attr.getShapedType().getRank() != 2 ||
      attr.getShapedType().getDimSize(0) != attr.getShapedType().getDimSize(1))
    return std::nullopt;
  int64_t n = attr.getShapedType().getDimSize(0);
  auto values = weights::floatValues(attr);
  if (!values)
    return std::nullopt;
  const std::vector<double> &w = *values;
  double c = w[0];
  bool exact = true;
  for (int64_t i = 0; i < n && exact; ++i)
    for (int64_t j = 0; j < n && exact; ++j)
      exact = w[i * n + j] == (i == j ? c : 0.0);
  if (exact)
    return ScalarIdentity{c, 0.0};
  if (tolerance <= 0.0)
    return std::nullopt;
  // Near-identity (opt-in): the best c is the mean of the diagonal.
  double trace = 0.0, norm2 = 0.0, dist2 = 0.0;
  for (int64_t i = 0; i < n; ++i)
    trace += w[i * n + i];
  c = trace / n;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double x = w[i * n + j], d = x - (i == j ? c : 0.0);
      norm2 += x * x;
      dist2 += d * d;
    }
  double distance = norm2 > 0 ? std::sqrt(dist2 / norm2) : 0.0;
  if (distance > tolerance)
    return std::nullopt;
  return ScalarIdentity{c, distance};
}

/// Per head, what every row of `attn` sums to over its values, when that is
/// known for every input: 1 for softmax attention that always sees a key,
/// α_h + β_h − γ_h for shaped attention (C is row-stochastic).
std::optional<SmallVector<double>> rowSums(AttentionOp attn) {
  if (attn.getKeyBias())
    return std::nullopt; // Bias slots take a query-dependent share.
  int64_t heads = attn.getNumHeads();
  if (attn.getAlpha()) {
    // A mask can hide every key of a row from the softmax term (α − γ left).
    if (attn.getMask())
      return std::nullopt;
    SmallVector<double> s;
    for (int64_t h = 0; h < heads; ++h)
      s.push_back((*attn.getAlpha())[h] + (*attn.getBeta())[h] - (*attn.getGamma())[h]);
    return s;
  }
  // A mask may hide every key from a query: its row sums to 0 then.
  if (attn.getMask())
    return std::nullopt;
  // Causal attention with Sq <= Skv always sees at least one key; without a
  // mask every key is visible.
  return SmallVector<double>(heads, 1.0);
}

class Folder {
public:
  Folder(double tolerance) : tolerance(tolerance) {}

  void run(FunctionOpInterface fn) {
    SmallVector<LinearOp> linears;
    fn.walk([&](LinearOp l) { linears.push_back(l); });
    for (LinearOp l : linears)
      fold(l);
    linears.clear();
    fn.walk([&](LinearOp l) { linears.push_back(l); });
    for (LinearOp l : linears)
      if (!erased.contains(l))
        mergeSingleHead(l);
  }

  int64_t folded = 0;

private:
  void fold(LinearOp linear);
  /// Single-head attention: x·W_V then ·W_P is one GEMM x·(W_V·W_P).
  void mergeSingleHead(LinearOp valueProj);
  /// Linears erased by a merge (the list being walked may still hold them).
  llvm::DenseSet<Operation *> erased;
  /// The projection a value path feeds: attention(..., v) -> linear(o, W_P),
  /// each used once.
  std::pair<AttentionOp, LinearOp> projectionOf(Value value);

  double tolerance;
};

std::pair<AttentionOp, LinearOp> Folder::projectionOf(Value value) {
  if (!value.hasOneUse())
    return {};
  auto attn = dyn_cast<AttentionOp>(*value.getUsers().begin());
  if (!attn || attn.getValue() != value || attn.getQuery() == value ||
      attn.getKey() == value || !attn.getResult().hasOneUse())
    return {};
  auto proj = dyn_cast<LinearOp>(*attn.getResult().getUsers().begin());
  if (!proj || proj.getInput() != attn.getResult() ||
      !proj.getWeight().getDefiningOp<arith::ConstantOp>())
    return {};
  if (proj.getBias() && !proj.getBias().getDefiningOp<arith::ConstantOp>())
    return {};
  return {attn, proj};
}

void Folder::fold(LinearOp linear) {
  std::optional<ScalarIdentity> id = scalarIdentity(linear.getWeight(), tolerance);
  if (!id)
    return;
  Value x = linear.getInput(), bias = linear.getBias();
  Value result = linear.getResult();
  auto type = cast<RankedTensorType>(result.getType());
  if (x.getType() != result.getType())
    return;
  double c = id->scale;
  OpBuilder b(linear);
  Location loc = linear.getLoc();
  Type et = type.getElementType();
  int64_t n = type.getShape().back();

  // Where the scalar and the bias go.
  auto [attn, proj] = projectionOf(result);
  std::optional<SmallVector<double>> sums = attn ? rowSums(attn) : std::nullopt;
  // Bias slots keep their own values, so attention is affine, not linear, in
  // V: neither c nor b can move past it.
  bool intoProjection = attn && proj && !attn.hasBiasSlots() && (c != 1.0 || bias) &&
                        (!bias || sums);
  ResidualOp residual;
  unsigned branchIndex = 0;
  if (result.hasOneUse())
    if (auto r = dyn_cast<ResidualOp>(*result.getUsers().begin()))
      for (auto [i, br] : llvm::enumerate(r.getBranches()))
        if (br == result) {
          residual = r;
          branchIndex = i;
        }

  Value replacement = x;
  if (intoProjection) {
    // attention(c·x + b) = c·attention(x) + s_h·b per head, so W_P' = c·W_P
    // and b_P' = b_P + Σ_h s_h·b_h·W_P[h rows].
    auto wAttr = cast<ElementsAttr>(proj.getWeight().getDefiningOp<arith::ConstantOp>().getValue());
    auto wp = weights::floatValues(wAttr);
    if (!wp)
      return;
    int64_t rows = wAttr.getShapedType().getDimSize(0), cols = wAttr.getShapedType().getDimSize(1);
    // W_P reads query heads: heads·dv rows for the Hkv·dv value lanes (GQA).
    int64_t heads = attn.getNumHeads(), kvHeads = attn.getKvHeads();
    if (n % kvHeads != 0 || rows != heads * (n / kvHeads))
      return;
    std::vector<double> bp(cols, 0.0);
    if (Value pb = proj.getBias()) {
      auto v = weights::constantValues(pb);
      if (!v)
        return;
      bp = *v;
    }
    if (bias) {
      auto bc = bias.getDefiningOp<arith::ConstantOp>();
      auto bv = bc ? weights::floatValues(cast<ElementsAttr>(bc.getValue())) : std::nullopt;
      if (!bv)
        return;
      int64_t dv = n / kvHeads, group = heads / kvHeads;
      // The value head g serves query heads g·group ... (g+1)·group − 1; the
      // projection reads query heads, so rows of W_P per query head.
      for (int64_t h = 0; h < heads; ++h) {
        int64_t g = h / group;
        for (int64_t d = 0; d < dv; ++d)
          for (int64_t j = 0; j < cols; ++j)
            bp[j] += (*sums)[h] * (*bv)[g * dv + d] * (*wp)[(h * dv + d) * cols + j];
      }
    }
    std::vector<double> scaled(*wp);
    for (double &v : scaled)
      v *= c;
    OpBuilder pb(proj);
    Value newW = weights::floatConstant(pb, proj.getLoc(), {rows, cols}, et, scaled,
                                        "folded_projection");
    Value newB = (bias || proj.getBias())
                     ? weights::floatConstant(pb, proj.getLoc(), {cols}, et, bp, "folded_bias")
                     : Value();
    proj.getWeightMutable().assign(newW);
    if (newB) {
      if (proj.getBias())
        proj.getBiasMutable().assign(newB);
      else
        proj->insertOperands(proj->getNumOperands(), newB);
    }
  } else if (residual && !bias) {
    // β·(c·x) = (β·c)·x.
    SmallVector<double> betas;
    for (unsigned i = 0; i < residual.getBranches().size(); ++i)
      betas.push_back(residual.getBranchGain(i) * (i == branchIndex ? c : 1.0));
    residual.setBetasAttr(b.getDenseF64ArrayAttr(betas));
  } else {
    int64_t version = onnx::defaultDomainOpset(linear);
    if (c != 1.0) {
      Value cst = weights::floatConstant(b, loc, {}, et, {c}, "");
      replacement = onnx::createNode(b, loc, "Mul", type, {replacement, cst}, version)
                        .getResult(0);
    }
    if (bias)
      replacement = onnx::createNode(b, loc, "Add", type, {replacement, bias}, version)
                        .getResult(0);
  }
  emitRemark(loc) << "folded " << (id->distance > 0 ? "near-" : "")
                  << (c == 1.0 ? "identity" : "scalar-identity") << " weight (" << n << "x"
                  << n << ", c = " << c << ", ||W - cI||/||W|| = " << id->distance
                  << ")" << (intoProjection ? " into the output projection"
                             : residual && !bias ? " into the residual gain"
                                                 : "");
  result.replaceAllUsesWith(replacement);
  linear.erase();
  ++folded;
}

void Folder::mergeSingleHead(LinearOp valueProj) {
  auto [attn, proj] = projectionOf(valueProj.getResult());
  // Bias slots hold values of width dv: the value projection must stay.
  if (!attn || !proj || attn.getNumHeads() != 1 || attn.getKvHeads() != 1 ||
      attn.hasBiasSlots())
    return;
  auto wvCst = valueProj.getWeight().getDefiningOp<arith::ConstantOp>();
  if (!wvCst)
    return;
  auto wvAttr = cast<ElementsAttr>(wvCst.getValue());
  auto wpAttr = cast<ElementsAttr>(proj.getWeight().getDefiningOp<arith::ConstantOp>().getValue());
  int64_t d = wvAttr.getShapedType().getDimSize(0), dv = wvAttr.getShapedType().getDimSize(1);
  int64_t n = wpAttr.getShapedType().getDimSize(1);
  // Only where it removes work: d·n MACs instead of d·dv + dv·n.
  if (wpAttr.getShapedType().getDimSize(0) != dv || d * n >= d * dv + dv * n)
    return;
  std::optional<SmallVector<double>> sums;
  if (valueProj.getBias()) {
    sums = rowSums(attn);
    if (!sums || !valueProj.getBias().getDefiningOp<arith::ConstantOp>())
      return;
  }
  auto wv = weights::floatValues(wvAttr), wp = weights::floatValues(wpAttr);
  if (!wv || !wp)
    return;
  std::vector<double> w(d * n, 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t k = 0; k < dv; ++k) {
      double a = (*wv)[i * dv + k];
      if (a != 0.0)
        for (int64_t j = 0; j < n; ++j)
          w[i * n + j] += a * (*wp)[k * n + j];
    }
  std::vector<double> b(n, 0.0);
  bool hasBias = false;
  if (Value pb = proj.getBias()) {
    auto v = weights::constantValues(pb);
    if (!v)
      return;
    b = *v;
    hasBias = true;
  }
  if (Value vb = valueProj.getBias()) {
    auto v = weights::constantValues(vb);
    if (!v)
      return;
    for (int64_t k = 0; k < dv; ++k)
      for (int64_t j = 0; j < n; ++j)
        b[j] += (*sums)[0] * (*v)[k] * (*wp)[k * n + j];
    hasBias = true;
  }
  Type et = wvAttr.getElementType();
  OpBuilder builder(valueProj);
  Location loc = valueProj.getLoc();
  Value mergedW = weights::floatConstant(builder, loc, {d, n}, et, w, "merged_value_projection");
  auto inType = cast<RankedTensorType>(valueProj.getInput().getType());
  SmallVector<int64_t> vShape(inType.getShape());
  vShape.back() = n;
  auto newV = LinearOp::create(builder, loc, RankedTensorType::get(vShape, et),
                               valueProj.getInput(), mergedW, Value());
  // The attention now carries width n in its values and result.
  attn.getValueMutable().assign(newV.getResult());
  auto outType = cast<RankedTensorType>(attn.getResult().getType());
  SmallVector<int64_t> oShape(outType.getShape());
  oShape.back() = n;
  attn.getResult().setType(RankedTensorType::get(oShape, et));
  Value result = attn.getResult();
  if (hasBias) {
    OpBuilder after(proj);
    Value bias = weights::floatConstant(after, proj.getLoc(), {n}, et, b, "merged_bias");
    result = onnx::createNode(after, proj.getLoc(), "Add", proj.getResult().getType(),
                              {result, bias}, 17)
                 .getResult(0);
  }
  emitRemark(loc) << "merged the single-head value and output projections into one "
                  << d << "x" << n << " weight (" << d * dv + dv * n << " -> " << d * n
                  << " MACs per token)";
  proj.getResult().replaceAllUsesWith(result);
  erased.insert(proj);
  erased.insert(valueProj);
  proj.erase();
  valueProj.erase();
  ++folded;
}

struct TfmFoldIdentityWeightsPass
    : public tfm::impl::TfmFoldIdentityWeightsBase<TfmFoldIdentityWeightsPass> {
  using Base::Base;
  void runOnOperation() override {
    auto module = dyn_cast<ModuleOp>(getOperation());
    ModelStats before;
    if (module)
      before = computeModelStats(module);
    // GEMMs per block before, for the per-block report.
    auto countLinears = [](BlockOp block) {
      int64_t n = 0;
      block.walk([&](LinearOp) { ++n; });
      return n;
    };
    SmallVector<std::pair<BlockOp, int64_t>> blocks;
    getOperation()->walk([&](BlockOp b) { blocks.push_back({b, countLinears(b)}); });

    Folder folder(tolerance);
    getOperation()->walk([&](FunctionOpInterface fn) {
      if (!fn.isExternal())
        folder.run(fn);
    });

    for (auto [block, gemms] : blocks) {
      int64_t now = countLinears(block);
      if (now != gemms)
        emitRemark(block.getLoc())
            << "block " << (block.getLayer() ? std::to_string(*block.getLayer()) : "?") << " ("
            << stringifyBlockKind(block.getKind()) << "): " << gemms - now
            << " weights folded, GEMMs " << gemms << " -> " << now;
    }
    if (module && folder.folded) {
      ModelStats after = computeModelStats(module);
      recordRewrites(module, getArgument(),
                     {{"weights_folded", folder.folded},
                      {"parameters_removed", before.parameters - after.parameters},
                      {"matmuls_removed", before.matmuls - after.matmuls}});
    }
  }
};

} // namespace
