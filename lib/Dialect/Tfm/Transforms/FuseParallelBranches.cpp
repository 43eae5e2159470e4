//===- FuseParallelBranches.cpp - tfm-fuse-parallel-branches -----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Pass B of PASSES.md §3.b, with rule A7 of §3.a as its enabler:
//   A7  fold a norm's constant scale/shift into the linears that read it;
//       affine-free norms of one input (same kind, epsilon) become one value;
//   B1  linears reading the same SSA value with constant weights become one
//       linear over the N-concatenated weights plus tensor.extract_slice;
//   B2  in parallel / sas_p blocks, a residual over two (or more) branch
//       linears becomes one linear over the K-concatenated activations.
//
//===----------------------------------------------------------------------===//

#include "Weights.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"

#include <optional>
#include <tuple>
#include <vector>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFUSEPARALLELBRANCHES
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

namespace {

/// A linear whose weight (and bias, if any) are readable constants.
struct ConstLinear {
  LinearOp op;
  int64_t k = 0, n = 0;
  std::vector<double> w;
  std::optional<std::vector<double>> bias;
};

std::optional<ConstLinear> asConstLinear(LinearOp op) {
  ConstLinear c;
  c.op = op;
  c.k = op.getInFeatures();
  c.n = op.getOutFeatures();
  if (ShapedType::isDynamic(c.k) || ShapedType::isDynamic(c.n))
    return std::nullopt;
  auto w = weights::constantValues(op.getWeight());
  if (!w)
    return std::nullopt;
  c.w = std::move(*w);
  if (Value bias = op.getBias()) {
    auto bv = weights::constantValues(bias);
    if (!bv)
      return std::nullopt;
    c.bias = std::move(*bv);
  }
  return c;
}

Type elementTypeOf(Value v) {
  return cast<ShapedType>(v.getType()).getElementType();
}

/// Where a rewrite is reported: the enclosing tfm.block, else the function.
Operation *reportAnchor(Operation *op) {
  if (auto block = op->getParentOfType<BlockOp>())
    return block;
  return op->getParentWithTrait<OpTrait::IsIsolatedFromAbove>();
}

struct TfmFuseParallelBranchesPass
    : mlir::tfm::impl::TfmFuseParallelBranchesBase<TfmFuseParallelBranchesPass> {
  /// Linears folded into a fused one, per report anchor.
  llvm::DenseMap<Operation *, int64_t> fusedCount;
  /// Constants that may have lost their last user (erased when unused).
  llvm::SetVector<Operation *> maybeDead;

  /// Records the constant operands of `op`, which is about to go away.
  void noteOperands(Operation *op) {
    for (Value v : op->getOperands())
      if (auto cst = v.getDefiningOp<arith::ConstantOp>())
        maybeDead.insert(cst);
  }
  /// Records the constant defining `v`, if any (a new constant that a later
  /// rewrite may make dead).
  void noteValue(Value v) {
    if (auto cst = v ? v.getDefiningOp<arith::ConstantOp>() : nullptr)
      maybeDead.insert(cst);
  }

  void runOnOperation() override {
    auto module = dyn_cast<ModuleOp>(getOperation());
    ModelStats before;
    if (module)
      before = computeModelStats(module);
    getOperation()->walk([&](FunctionOpInterface fn) {
      if (!fn.isExternal())
        runOnFunction(fn);
    });
    // What --tfm-stats reports under "rewrites".
    if (module) {
      ModelStats after = computeModelStats(module);
      if (after.matmuls != before.matmuls)
        recordRewrites(module, getArgument(),
                       {{"matmuls_removed", before.matmuls - after.matmuls}});
    }
  }

  void runOnFunction(FunctionOpInterface fn);
  void foldNormAffine(FunctionOpInterface fn);
  void mergeEqualNorms(FunctionOpInterface fn);
  void fuseHorizontal(FunctionOpInterface fn);
  void fuseOutputs(FunctionOpInterface fn);
};

//===----------------------------------------------------------------------===//
// A7: norm-affine folding
//===----------------------------------------------------------------------===//

void TfmFuseParallelBranchesPass::foldNormAffine(FunctionOpInterface fn) {
  SmallVector<NormOp> norms;
  fn->walk([&](NormOp op) { norms.push_back(op); });
  for (NormOp norm : norms) {
    if (!norm.getScale() && !norm.getShift())
      continue;
    auto type = cast<RankedTensorType>(norm.getType());
    int64_t n = type.getShape().back();
    if (ShapedType::isDynamic(n) || norm->use_empty())
      continue;
    std::vector<double> g(n, 1.0), s(n, 0.0);
    if (Value scale = norm.getScale()) {
      auto v = weights::constantValues(scale);
      if (!v || static_cast<int64_t>(v->size()) != n)
        continue;
      g = *v;
    }
    if (Value shift = norm.getShift()) {
      auto v = weights::constantValues(shift);
      if (!v || static_cast<int64_t>(v->size()) != n)
        continue;
      s = *v;
    }
    // Every user must be a linear reading the norm as its input (not as a
    // weight or bias) with constant weights of the same width.
    SmallVector<ConstLinear> users;
    bool ok = true;
    for (OpOperand &use : norm->getUses()) {
      auto lin = dyn_cast<LinearOp>(use.getOwner());
      std::optional<ConstLinear> c;
      if (lin && use.getOperandNumber() == 0)
        c = asConstLinear(lin);
      if (!c || c->k != n) {
        ok = false;
        break;
      }
      users.push_back(std::move(*c));
    }
    if (!ok)
      continue;
    Type et = type.getElementType();
    bool hasShift = static_cast<bool>(norm.getShift());
    for (ConstLinear &c : users) {
      // W' = diag(g)·W,  b' = s·W + b_W.
      std::vector<double> w(c.w.size()), bias(c.n, 0.0);
      for (int64_t k = 0; k < c.k; ++k)
        for (int64_t j = 0; j < c.n; ++j) {
          double x = c.w[k * c.n + j];
          w[k * c.n + j] = g[k] * x;
          bias[j] += s[k] * x;
        }
      if (c.bias)
        for (int64_t j = 0; j < c.n; ++j)
          bias[j] += (*c.bias)[j];
      OpBuilder b(c.op);
      Location loc = c.op.getLoc();
      Value wv = weights::floatConstant(b, loc, {c.k, c.n}, et, w, "fused_norm_weight");
      Value bv;
      if (hasShift || c.bias)
        bv = weights::floatConstant(b, loc, {c.n}, et, bias, "fused_norm_bias");
      auto lin = LinearOp::create(b, loc, c.op.getType(), c.op.getInput(), wv, bv);
      noteValue(wv);
      noteValue(bv);
      noteOperands(c.op);
      c.op.replaceAllUsesWith(lin.getResult());
      c.op.erase();
    }
    OpBuilder b(norm);
    auto plain = NormOp::create(b, norm.getLoc(), norm.getType(),
                                norm.getKindAttr(), norm.getInput(), Value(),
                                Value(), norm.getEpsilonAttr());
    noteOperands(norm);
    norm.replaceAllUsesWith(plain.getResult());
    norm.erase();
  }
}

/// Affine-free norms of one input, kind and epsilon in one block are one
/// value: later ones are replaced by the first.
void TfmFuseParallelBranchesPass::mergeEqualNorms(FunctionOpInterface fn) {
  using Key = std::tuple<Block *, Value, uint32_t, Attribute, Type>;
  llvm::DenseMap<Key, NormOp> first;
  SmallVector<NormOp> norms;
  fn->walk([&](NormOp op) { norms.push_back(op); });
  for (NormOp norm : norms) {
    if (norm.getScale() || norm.getShift())
      continue;
    Key key{norm->getBlock(), norm.getInput(),
            static_cast<uint32_t>(norm.getKind()), norm.getEpsilonAttr(),
            norm.getType()};
    auto [it, inserted] = first.try_emplace(key, norm);
    if (inserted)
      continue;
    // Same block, and walk order is program order: `it->second` dominates.
    norm.replaceAllUsesWith(it->second.getResult());
    norm.erase();
  }
}

//===----------------------------------------------------------------------===//
// B1: horizontal (N-concat) fusion
//===----------------------------------------------------------------------===//

void TfmFuseParallelBranchesPass::fuseHorizontal(FunctionOpInterface fn) {
  using Key = std::tuple<Block *, Value, Type, int64_t>;
  llvm::MapVector<Key, SmallVector<LinearOp>> groups;
  fn->walk([&](LinearOp op) {
    Key key{op->getBlock(), op.getInput(), elementTypeOf(op.getWeight()),
            op.getInFeatures()};
    groups[key].push_back(op);
  });
  for (auto &[key, ops] : groups) {
    SmallVector<ConstLinear> members;
    for (LinearOp op : ops)
      if (auto c = asConstLinear(op))
        members.push_back(std::move(*c));
    if (members.size() < 2)
      continue;
    // Walk order is program order within one block: members[0] is first.
    LinearOp firstOp = members.front().op;
    int64_t k = members.front().k, total = 0;
    bool anyBias = false;
    for (ConstLinear &c : members) {
      total += c.n;
      anyBias |= c.bias.has_value();
    }
    std::vector<double> w(k * total, 0.0), bias(total, 0.0);
    int64_t off = 0;
    for (ConstLinear &c : members) {
      for (int64_t r = 0; r < k; ++r)
        for (int64_t j = 0; j < c.n; ++j)
          w[r * total + off + j] = c.w[r * c.n + j];
      if (c.bias)
        for (int64_t j = 0; j < c.n; ++j)
          bias[off + j] = (*c.bias)[j];
      off += c.n;
    }
    Type et = std::get<2>(key);
    OpBuilder b(firstOp);
    Location loc = firstOp.getLoc();
    Value wv = weights::floatConstant(b, loc, {k, total}, et, w, "fused_weight");
    Value bv;
    if (anyBias)
      bv = weights::floatConstant(b, loc, {total}, et, bias, "fused_bias");
    auto firstType = cast<RankedTensorType>(firstOp.getType());
    SmallVector<int64_t> shape(firstType.getShape());
    shape.back() = total;
    auto fusedType = RankedTensorType::get(shape, et);
    auto fused = LinearOp::create(b, loc, fusedType, firstOp.getInput(), wv, bv);
    int64_t rank = fusedType.getRank();
    // Leading extents, read once from the fused result where dynamic.
    SmallVector<Value> dims(rank);
    off = 0;
    for (ConstLinear &c : members) {
      auto resType = cast<RankedTensorType>(c.op.getType());
      SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0));
      SmallVector<OpFoldResult> sizes, strides(rank, b.getIndexAttr(1));
      for (int64_t d = 0; d + 1 < rank; ++d) {
        if (!resType.isDynamicDim(d)) {
          sizes.push_back(b.getIndexAttr(resType.getDimSize(d)));
          continue;
        }
        if (!dims[d])
          dims[d] = tensor::DimOp::create(b, loc, fused.getResult(), d);
        sizes.push_back(dims[d]);
      }
      offsets.back() = b.getIndexAttr(off);
      sizes.push_back(b.getIndexAttr(c.n));
      auto slice = tensor::ExtractSliceOp::create(b, loc, resType,
                                                  fused.getResult(), offsets,
                                                  sizes, strides);
      c.op.replaceAllUsesWith(slice.getResult());
      off += c.n;
    }
    for (ConstLinear &c : members) {
      noteOperands(c.op);
      c.op.erase();
    }
    fusedCount[reportAnchor(fused)] += members.size();
  }
}

//===----------------------------------------------------------------------===//
// B2: output GEMMs of parallel branches (K-concat)
//===----------------------------------------------------------------------===//

void TfmFuseParallelBranchesPass::fuseOutputs(FunctionOpInterface fn) {
  SmallVector<ResidualOp> residuals;
  fn->walk([&](ResidualOp op) { residuals.push_back(op); });
  for (ResidualOp res : residuals) {
    // Parallel blocks only: in a sequential block one branch reads the other.
    auto block = dyn_cast_or_null<BlockOp>(res->getParentOp());
    if (!block || (block.getKind() != BlockKind::parallel &&
                   block.getKind() != BlockKind::sas_p))
      continue;
    auto resType = cast<RankedTensorType>(res.getType());
    SmallVector<std::pair<unsigned, ConstLinear>> picked;
    SmallVector<unsigned> rest;
    for (auto [i, branch] : llvm::enumerate(res.getBranches())) {
      auto lin = branch.getDefiningOp<LinearOp>();
      std::optional<ConstLinear> c;
      // Used only by this residual, so no branch input can depend on it.
      if (lin && lin->getBlock() == res->getBlock() && lin->hasOneUse() &&
          lin.getType() == resType &&
          cast<RankedTensorType>(lin.getInput().getType()).getRank() ==
              resType.getRank())
        c = asConstLinear(lin);
      if (c)
        picked.push_back({static_cast<unsigned>(i), std::move(*c)});
      else
        rest.push_back(i);
    }
    if (picked.size() < 2) {
      continue;
    }
    Type et = resType.getElementType();
    int64_t n = picked.front().second.n, totalK = 0;
    bool anyBias = false;
    for (auto &[i, c] : picked) {
      totalK += c.k;
      anyBias |= c.bias.has_value();
    }
    // [β₁·W₁ ; β₂·W₂ ; ...] and Σ βᵢ·bᵢ.
    std::vector<double> w(totalK * n), bias(n, 0.0);
    int64_t row = 0;
    for (auto &[i, c] : picked) {
      double beta = res.getBranchGain(i);
      for (int64_t r = 0; r < c.k; ++r)
        for (int64_t j = 0; j < n; ++j)
          w[(row + r) * n + j] = beta * c.w[r * n + j];
      if (c.bias)
        for (int64_t j = 0; j < n; ++j)
          bias[j] += beta * (*c.bias)[j];
      row += c.k;
    }
    OpBuilder b(res);
    Location loc = res.getLoc();
    SmallVector<Value> inputs;
    for (auto &[i, c] : picked)
      inputs.push_back(c.op.getInput());
    Value cat = tensor::ConcatOp::create(b, loc, resType.getRank() - 1, inputs);
    Value wv = weights::floatConstant(b, loc, {totalK, n}, et, w, "fused_out_weight");
    Value bv;
    if (anyBias)
      bv = weights::floatConstant(b, loc, {n}, et, bias, "fused_out_bias");
    Value fused = LinearOp::create(b, loc, resType, cat, wv, bv).getResult();
    Value replacement;
    if (!res.getSkip() && rest.empty()) {
      replacement = fused;
    } else {
      SmallVector<Value> branches{fused};
      SmallVector<double> betas{1.0};
      for (unsigned i : rest) {
        branches.push_back(res.getBranches()[i]);
        betas.push_back(res.getBranchGain(i));
      }
      DenseF64ArrayAttr betasAttr;
      if (llvm::any_of(betas, [](double x) { return x != 1.0; }))
        betasAttr = b.getDenseF64ArrayAttr(betas);
      replacement = ResidualOp::create(b, loc, resType, res.getSkip(), branches,
                                       res.getAlphaAttr(), betasAttr)
                        .getResult();
    }
    res.replaceAllUsesWith(replacement);
    res.erase();
    for (auto &[i, c] : picked) {
      noteOperands(c.op);
      c.op.erase();
    }
    fusedCount[block] += picked.size();
  }
}

void TfmFuseParallelBranchesPass::runOnFunction(FunctionOpInterface fn) {
  // GEMMs before, per block (or for the whole function without blocks).
  SmallVector<Operation *> anchors;
  llvm::DenseMap<Operation *, int64_t> before;
  fn->walk([&](BlockOp op) { anchors.push_back(op); });
  if (anchors.empty())
    anchors.push_back(fn);
  auto countLinears = [](Operation *op) {
    int64_t n = 0;
    op->walk([&](LinearOp) { ++n; });
    return n;
  };
  for (Operation *a : anchors)
    before[a] = countLinears(a);

  foldNormAffine(fn);
  mergeEqualNorms(fn);
  fuseHorizontal(fn);
  fuseOutputs(fn);
  // Weights of the replaced linears and norms, and intermediate folded
  // weights, when nothing reads them any more.
  for (Operation *cst : maybeDead)
    if (cst->use_empty())
      cst->erase();
  maybeDead.clear();

  for (Operation *a : anchors) {
    int64_t fused = 0;
    if (isa<BlockOp>(a)) {
      fused = fusedCount.lookup(a);
    } else {
      for (auto &[op, count] : fusedCount)
        if (op == a)
          fused += count;
    }
    a->emitRemark() << "fused " << fused << " linears; GEMMs " << before[a]
                    << " -> " << countLinears(a);
  }
}

} // namespace
