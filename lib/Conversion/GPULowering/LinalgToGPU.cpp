//===- LinalgToGPU.cpp - linalg ops on buffers to gpu.launch kernels -*- C++
//-*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Every linalg op left in host code after the GEMMs went to cuBLASLt becomes
// one kernel, built from one of three templates (elementwise, row reduction,
// generic; see the pass description). The kernel body is the op's payload
// inlined once per element, with block arguments bound to loaded operand
// values and `linalg.index` bound to the loop indices.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/MemoryPlanning/Aliasing.h"
#include "tfm/Conversion/Passes.h"

#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMLINALGTOGPU
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

Value cst(OpBuilder &b, Location loc, int64_t v) {
  return arith::ConstantIndexOp::create(b, loc, v);
}

/// The loop extents of `op` as index values.
SmallVector<Value> loopSizes(OpBuilder &b, linalg::LinalgOp op) {
  SmallVector<Value> sizes;
  for (Range r : op.createLoopRanges(b, op.getLoc()))
    sizes.push_back(getValueOrCreateConstantIndexOp(b, op.getLoc(), r.size));
  return sizes;
}

Value product(OpBuilder &b, Location loc, ArrayRef<Value> values) {
  Value p = cst(b, loc, 1);
  for (Value v : values)
    p = arith::MulIOp::create(b, loc, p, v);
  return p;
}

/// Splits `linear` into indices over `sizes`, the last one varying fastest.
SmallVector<Value> delinearize(OpBuilder &b, Location loc, Value linear,
                               ArrayRef<Value> sizes) {
  SmallVector<Value> ivs(sizes.size());
  for (int64_t i = static_cast<int64_t>(sizes.size()) - 1; i >= 0; --i) {
    if (i == 0) {
      ivs[i] = linear;
      break;
    }
    ivs[i] = arith::RemUIOp::create(b, loc, linear, sizes[i]);
    linear = arith::DivUIOp::create(b, loc, linear, sizes[i]);
  }
  return ivs;
}

/// The indices `map` selects for the loop point `ivs`.
SmallVector<Value> applyMap(OpBuilder &b, Location loc, AffineMap map,
                            ValueRange ivs) {
  SmallVector<Value> idx;
  for (AffineExpr e : map.getResults()) {
    if (auto d = dyn_cast<AffineDimExpr>(e)) {
      idx.push_back(ivs[d.getPosition()]);
      continue;
    }
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      idx.push_back(cst(b, loc, c.getValue()));
      continue;
    }
    idx.push_back(affine::AffineApplyOp::create(
        b, loc, AffineMap::get(map.getNumDims(), 0, e), ivs));
  }
  return idx;
}

/// Creates a 1-D `gpu.launch` of `grid` blocks of `block` threads; the
/// builder is left at the start of its body.
gpu::LaunchOp createLaunch(OpBuilder &b, Location loc, Value grid,
                           int64_t block) {
  Value one = cst(b, loc, 1);
  auto launch = gpu::LaunchOp::create(b, loc, grid, one, one,
                                      cst(b, loc, block), one, one);
  Block &body = launch.getBody().front();
  b.setInsertionPointToEnd(&body);
  gpu::TerminatorOp::create(b, loc);
  b.setInsertionPointToStart(&body);
  return launch;
}

/// Inlines the payload of `op` with its block arguments bound to `args` and
/// `linalg.index` bound to `ivs`; returns the yielded values.
SmallVector<Value> inlinePayload(OpBuilder &b, linalg::LinalgOp op,
                                 ValueRange args, ValueRange ivs) {
  Block *body = op.getBlock();
  IRMapping map;
  for (auto [arg, value] : llvm::zip(body->getArguments(), args))
    if (value) // outputs the payload never reads are not loaded
      map.map(arg, value);
  for (Operation &inner : body->without_terminator()) {
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      map.map(index.getResult(), ivs[index.getDim()]);
      continue;
    }
    b.clone(inner, map);
  }
  return llvm::map_to_vector(body->getTerminator()->getOperands(),
                             [&](Value v) { return map.lookupOrDefault(v); });
}

//===----------------------------------------------------------------------===//
// Operand access, scalar or V lanes wide along the innermost loop
//===----------------------------------------------------------------------===//

/// How a kernel reads or writes one operand of the op.
struct OperandAccess {
  enum Kind { Scalar, Broadcast, Vector } kind = Scalar;
  /// Not a buffer (linalg.fill's value, a scalar input): used as is.
  bool isValue = false;
};

bool isVectorizableElement(Type t) {
  if (!t.isIntOrFloat())
    return false;
  unsigned w = t.getIntOrFloatBitWidth();
  return w == 8 || w == 16 || w == 32 || w == 64;
}

/// Decides the lane count V (1 if nothing is vectorised) and each operand's
/// access for a template whose vectorised loop is `dim` with static extent
/// `extent`. An operand is read V-wide when its map's last result is `dim`,
/// no other result uses `dim`, and it is an identity-layout buffer (so its
/// rows start at multiples of 16 bytes when the extent is a multiple of V);
/// it is a broadcast when its map does not use `dim` at all.
int64_t planAccesses(linalg::LinalgOp op, unsigned dim, int64_t extent,
                     bool vectorize, SmallVectorImpl<OperandAccess> &access) {
  access.assign(op->getNumOperands(), {});
  unsigned minBytes = 16;
  bool ok = vectorize && !ShapedType::isDynamic(extent);
  for (OpOperand &operand : op->getOpOperands()) {
    OperandAccess &a = access[operand.getOperandNumber()];
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type) {
      a.isValue = true;
      continue;
    }
    AffineMap map = op.getMatchingIndexingMap(&operand);
    bool uses = map.isFunctionOfDim(dim);
    if (!uses) {
      a.kind = OperandAccess::Broadcast;
      continue;
    }
    auto last = map.getNumResults()
                    ? dyn_cast<AffineDimExpr>(map.getResults().back())
                    : nullptr;
    bool lastIsDim = last && last.getPosition() == dim;
    for (AffineExpr e : map.getResults().drop_back())
      lastIsDim &= !e.isFunctionOfDim(dim);
    if (!lastIsDim || !type.getLayout().isIdentity() ||
        !isVectorizableElement(type.getElementType())) {
      ok = false;
      continue;
    }
    a.kind = OperandAccess::Vector;
    minBytes = std::min(minBytes, type.getElementTypeBitWidth() / 8);
  }
  int64_t lanes = ok ? 16 / minBytes : 1;
  while (lanes > 1 && extent % lanes != 0)
    lanes /= 2;
  if (lanes == 1)
    for (OperandAccess &a : access)
      if (a.kind == OperandAccess::Vector)
        a.kind = OperandAccess::Scalar;
  return lanes;
}

/// `ivs` moved `lane` points along `dim`.
SmallVector<Value> laneIndices(OpBuilder &b, Location loc, ValueRange ivs,
                               unsigned dim, int64_t lane) {
  SmallVector<Value> at(ivs);
  if (lane)
    at[dim] = arith::AddIOp::create(b, loc, ivs[dim], cst(b, loc, lane));
  return at;
}

/// Loads operand `operand` for `lanes` consecutive points along `dim`
/// starting at `ivs`; returns one value per lane.
SmallVector<Value> loadLanes(OpBuilder &b, Location loc, linalg::LinalgOp op,
                             OpOperand &operand, const OperandAccess &access,
                             unsigned dim, ValueRange ivs, int64_t lanes) {
  Value v = operand.get();
  if (access.isValue)
    return SmallVector<Value>(lanes, v);
  AffineMap map = op.getMatchingIndexingMap(&operand);
  auto type = cast<MemRefType>(v.getType());
  Type elt = type.getElementType();
  if (access.kind == OperandAccess::Broadcast)
    return SmallVector<Value>(
        lanes, memref::LoadOp::create(b, loc, v, applyMap(b, loc, map, ivs)));
  if (access.kind == OperandAccess::Vector && lanes > 1) {
    unsigned bytes = lanes * type.getElementTypeBitWidth() / 8;
    auto vecTy = VectorType::get({lanes}, elt);
    Value vec = vector::LoadOp::create(
        b, loc, vecTy, v, applyMap(b, loc, map, ivs), /*nontemporal=*/false,
        llvm::Align(std::min<unsigned>(16, bytes)));
    SmallVector<Value> out;
    for (int64_t l = 0; l < lanes; ++l)
      out.push_back(vector::ExtractOp::create(b, loc, vec, l));
    return out;
  }
  SmallVector<Value> out;
  for (int64_t l = 0; l < lanes; ++l)
    out.push_back(memref::LoadOp::create(
        b, loc, v, applyMap(b, loc, map, laneIndices(b, loc, ivs, dim, l))));
  return out;
}

/// Stores `values` (one per lane) into output `operand`.
void storeLanes(OpBuilder &b, Location loc, linalg::LinalgOp op,
                OpOperand &operand, const OperandAccess &access, unsigned dim,
                ValueRange ivs, ArrayRef<Value> values) {
  Value v = operand.get();
  auto type = cast<MemRefType>(v.getType());
  AffineMap map = op.getMatchingIndexingMap(&operand);
  int64_t lanes = values.size();
  if (access.kind == OperandAccess::Vector && lanes > 1) {
    unsigned bytes = lanes * type.getElementTypeBitWidth() / 8;
    Value vec = vector::FromElementsOp::create(
        b, loc, VectorType::get({lanes}, type.getElementType()), values);
    vector::StoreOp::create(b, loc, vec, v, applyMap(b, loc, map, ivs),
                            /*nontemporal=*/false,
                            llvm::Align(std::min<unsigned>(16, bytes)));
    return;
  }
  for (int64_t l = 0; l < lanes; ++l)
    memref::StoreOp::create(
        b, loc, values[l], v,
        applyMap(b, loc, map, laneIndices(b, loc, ivs, dim, l)));
}

/// Runs the payload once per lane: block arguments come from `inputs[i]`
/// for inputs and from `outputs[i]` (loaded only where the payload reads
/// them) for outputs. Returns per-result, per-lane values.
SmallVector<SmallVector<Value>> runLanes(OpBuilder &b, linalg::LinalgOp op,
                                         ArrayRef<SmallVector<Value>> args,
                                         ValueRange ivs, unsigned dim,
                                         int64_t lanes) {
  SmallVector<SmallVector<Value>> results(op.getNumDpsInits());
  for (int64_t l = 0; l < lanes; ++l) {
    SmallVector<Value> laneArgs;
    for (const SmallVector<Value> &a : args)
      laneArgs.push_back(a.empty() ? Value() : a[l]);
    SmallVector<Value> yielded = inlinePayload(
        b, op, laneArgs, laneIndices(b, op.getLoc(), ivs, dim, l));
    for (auto [i, y] : llvm::enumerate(yielded))
      results[i].push_back(y);
  }
  return results;
}

/// Wraps the builder's next ops in `if (cond)`, leaving it inside.
void buildIf(OpBuilder &b, Location loc, Value cond) {
  auto ifOp = scf::IfOp::create(b, loc, cond, /*withElseRegion=*/false);
  b.setInsertionPointToStart(&ifOp.getThenRegion().front());
}

/// Guards the launch against an empty iteration space (a zero-block grid is
/// an error for the driver); leaves the builder inside the guard.
void guardNonEmpty(OpBuilder &b, Location loc, Value count) {
  buildIf(b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, count,
                                cst(b, loc, 0)));
}

Value ceilDiv(OpBuilder &b, Location loc, Value a, int64_t d) {
  return arith::CeilDivUIOp::create(b, loc, a, cst(b, loc, d));
}

/// Launches ceil(points / block) blocks of `block` threads (none if there
/// are no points) and returns the global thread id, the builder left inside
/// `if (id < points)`.
Value launchPerPoint(OpBuilder &b, Location loc, Value points, int64_t block) {
  guardNonEmpty(b, loc, points);
  createLaunch(b, loc, ceilDiv(b, loc, points, block), block);
  Value tid = arith::AddIOp::create(
      b, loc,
      arith::MulIOp::create(b, loc,
                            gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                            cst(b, loc, block)),
      gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x));
  buildIf(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, tid, points));
  return tid;
}

/// The payload argument values that are actually read: output block
/// arguments without uses are not loaded.
bool payloadReads(linalg::LinalgOp op, OpOperand &operand) {
  return !op.getMatchingBlockArgument(&operand).use_empty();
}

//===----------------------------------------------------------------------===//
// Templates
//===----------------------------------------------------------------------===//

/// Only parallel loops: one thread per `lanes` innermost points.
void buildElementwise(OpBuilder &b, linalg::LinalgOp op, int64_t block,
                      bool vectorize) {
  Location loc = op.getLoc();
  SmallVector<Value> sizes = loopSizes(b, op);
  unsigned n = op.getNumLoops();
  unsigned dim = n ? n - 1 : 0;
  SmallVector<OperandAccess> access;
  int64_t lanes = n ? planAccesses(op, dim, op.getStaticLoopRanges()[dim],
                                   vectorize, access)
                    : (access.assign(op->getNumOperands(), {}), 1);
  for (OpOperand &operand : op->getOpOperands())
    if (!isa<MemRefType>(operand.get().getType()))
      access[operand.getOperandNumber()].isValue = true;

  Value total = product(b, loc, sizes);
  Value points = lanes > 1
                     ? arith::DivUIOp::create(b, loc, total, cst(b, loc, lanes))
                           .getResult()
                     : total;
  Value tid = launchPerPoint(b, loc, points, block);
  SmallVector<Value> ivs;
  if (n) {
    Value first =
        lanes > 1
            ? arith::MulIOp::create(b, loc, tid, cst(b, loc, lanes)).getResult()
            : tid;
    ivs = delinearize(b, loc, first, sizes);
  }

  SmallVector<SmallVector<Value>> args;
  for (OpOperand &operand : op->getOpOperands()) {
    bool isInit = op.isDpsInit(&operand);
    if (isInit && !payloadReads(op, operand)) {
      args.emplace_back();
      continue;
    }
    args.push_back(loadLanes(b, loc, op, operand,
                             access[operand.getOperandNumber()], dim, ivs,
                             lanes));
  }
  SmallVector<SmallVector<Value>> results =
      runLanes(b, op, args, ivs, dim, lanes);
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
    storeLanes(b, loc, op, init, access[init.getOperandNumber()], dim, ivs,
               results[i]);
}

/// The warp-shuffle reduction kind and identity of a combiner op.
struct Combiner {
  gpu::AllReduceOperation kind;
  TypedAttr identity;
};

std::optional<Combiner> classifyCombiner(Operation *op) {
  Type t = op->getResult(0).getType();
  using K = gpu::AllReduceOperation;
  if (t.isF32()) {
    auto f = [&](double v) { return FloatAttr::get(t, v); };
    double inf = std::numeric_limits<double>::infinity();
    return llvm::TypeSwitch<Operation *, std::optional<Combiner>>(op)
        .Case([&](arith::AddFOp) {
          return Combiner{K::ADD, f(0.0)};
        })
        .Case([&](arith::MulFOp) {
          return Combiner{K::MUL, f(1.0)};
        })
        .Case([&](arith::MaximumFOp) {
          return Combiner{K::MAXIMUMF, f(-inf)};
        })
        .Case([&](arith::MaxNumFOp) {
          return Combiner{K::MAXNUMF, f(-inf)};
        })
        .Case([&](arith::MinimumFOp) {
          return Combiner{K::MINIMUMF, f(inf)};
        })
        .Case([&](arith::MinNumFOp) {
          return Combiner{K::MINNUMF, f(inf)};
        })
        .Default([](Operation *) { return std::nullopt; });
  }
  if (t.isInteger(32)) {
    auto i = [&](int64_t v) { return IntegerAttr::get(t, v); };
    return llvm::TypeSwitch<Operation *, std::optional<Combiner>>(op)
        .Case([&](arith::AddIOp) {
          return Combiner{K::ADD, i(0)};
        })
        .Case([&](arith::MulIOp) {
          return Combiner{K::MUL, i(1)};
        })
        .Case([&](arith::MaxSIOp) {
          return Combiner{K::MAXSI, i(INT32_MIN)};
        })
        .Case([&](arith::MinSIOp) {
          return Combiner{K::MINSI, i(INT32_MAX)};
        })
        .Case([&](arith::MaxUIOp) {
          return Combiner{K::MAXUI, i(0)};
        })
        .Case([&](arith::MinUIOp) {
          return Combiner{K::MINUI, i(-1)};
        })
        .Case([&](arith::AndIOp) {
          return Combiner{K::AND, i(-1)};
        })
        .Case([&](arith::OrIOp) {
          return Combiner{K::OR, i(0)};
        })
        .Case([&](arith::XOrIOp) {
          return Combiner{K::XOR, i(0)};
        })
        .Default([](Operation *) { return std::nullopt; });
  }
  return std::nullopt;
}

/// For the row template: every loop parallel but the last, a reduction;
/// no output indexed by the reduction loop; each result `acc ⊕ f(inputs)`
/// with the accumulator read nowhere else. Returns each output's combiner.
std::optional<SmallVector<std::pair<Operation *, Combiner>>>
matchRowReduction(linalg::LinalgOp op) {
  unsigned n = op.getNumLoops();
  if (n == 0 || op.getNumReductionLoops() != 1 ||
      op.getIteratorTypesArray()[n - 1] != utils::IteratorType::reduction)
    return std::nullopt;
  SmallVector<std::pair<Operation *, Combiner>> combiners;
  SmallVector<BlockArgument> accs(op.getRegionOutputArgs());
  for (OpOperand &init : op.getDpsInitsMutable()) {
    if (op.getMatchingIndexingMap(&init).isFunctionOfDim(n - 1))
      return std::nullopt;
    unsigned pos = init.getOperandNumber() - op.getNumDpsInputs();
    SmallVector<Operation *> ops;
    if (!matchReduction(accs, pos, ops) || ops.size() != 1 ||
        !accs[pos].hasOneUse())
      return std::nullopt;
    std::optional<Combiner> c = classifyCombiner(ops.front());
    if (!c)
      return std::nullopt;
    combiners.push_back({ops.front(), *c});
  }
  return combiners;
}

/// For each output of the row reduction `op`, the value a linalg.fill
/// right before it (nothing touching memory between them) wrote into all of
/// it, or null. Every such output element is written once by the row
/// template (its map selects each row's own element), so the kernel can
/// start from the fill's value and the fill need not run, unless the op
/// also reads the filled buffer as an input.
SmallVector<Value> filledInits(linalg::LinalgOp op,
                               SmallVectorImpl<linalg::FillOp> &fills) {
  SmallVector<Value> values(op.getNumDpsInits());
  auto readByOp = [&](Value buffer) {
    return llvm::any_of(op.getDpsInputs(), [&](Value in) {
      return isa<MemRefType>(in.getType()) &&
             !tfm::provablyDisjoint(in, buffer);
    });
  };
  unsigned rowDims = op.getNumLoops() - 1;
  Operation *prev = op.getOperation();
  while ((prev = prev->getPrevNode())) {
    if (isMemoryEffectFree(prev))
      continue;
    auto fill = dyn_cast<linalg::FillOp>(prev);
    if (!fill || !fill.hasPureBufferSemantics())
      break;
    bool used = false;
    for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable())) {
      AffineMap map = op.getMatchingIndexingMap(&init);
      // Each row loop's own dimension of the output, in any order.
      if (values[i] || init.get() != fill.getOutputs()[0] ||
          !map.isProjectedPermutation() || map.getNumResults() != rowDims ||
          map.isFunctionOfDim(rowDims) || readByOp(init.get()))
        continue;
      values[i] = fill.getInputs()[0];
      fills.push_back(fill);
      used = true;
    }
    if (!used)
      break;
  }
  return values;
}

//===----------------------------------------------------------------------===//
// Row chains: row reductions and the ops that read their totals, one kernel
//===----------------------------------------------------------------------===//

/// One op of a row kernel: a row reduction (its combiners and the fill
/// values its outputs start from) or, last, an op with only parallel loops.
struct RowLink {
  /// An op handle: its methods are not const.
  mutable linalg::LinalgOp op;
  SmallVector<std::pair<Operation *, Combiner>> combiners;
  SmallVector<Value> initial;
  /// Per output of a reduction: whether anything outside the chain reads
  /// it (else its total stays in registers).
  SmallVector<bool> stored;

  bool isReduction() const { return op.getNumReductionLoops() != 0; }
};

/// True if `map` selects one element per row: each of the `rowDims` row
/// loops once, in any order, and not the innermost loop.
bool selectsRow(AffineMap map, unsigned rowDims) {
  return map.isProjectedPermutation() && map.getNumResults() == rowDims &&
         !map.isFunctionOfDim(rowDims);
}

/// The (buffer, dimension) pairs whose extent loop `d` of `op` is.
SmallVector<std::pair<Value, unsigned>> loopSources(linalg::LinalgOp op,
                                                    unsigned d) {
  SmallVector<std::pair<Value, unsigned>> sources;
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    for (auto [r, e] :
         llvm::enumerate(op.getMatchingIndexingMap(&operand).getResults()))
      if (auto dimExpr = dyn_cast<AffineDimExpr>(e);
          dimExpr && dimExpr.getPosition() == d)
        sources.push_back({operand.get(), static_cast<unsigned>(r)});
  }
  return sources;
}

/// True if `a` and `b` provably iterate the same loop extents: equal static
/// extents, or a dimension of one buffer both take a loop's extent from.
bool sameLoops(linalg::LinalgOp a, linalg::LinalgOp b) {
  if (a.getNumLoops() != b.getNumLoops())
    return false;
  SmallVector<int64_t> ra = a.getStaticLoopRanges(),
                       rb = b.getStaticLoopRanges();
  for (unsigned d = 0; d < a.getNumLoops(); ++d) {
    if (!ShapedType::isDynamic(ra[d]) && ra[d] == rb[d])
      continue;
    auto sa = loopSources(a, d), sb = loopSources(b, d);
    if (!llvm::any_of(sa, [&](auto s) { return llvm::is_contained(sb, s); }))
      return false;
  }
  return true;
}

/// The reduction output of `links` that input `operand` of `op` reads at
/// its own row (the same buffer through the same map): (link, output), or
/// none.
std::optional<std::pair<unsigned, unsigned>>
rowTotalRead(ArrayRef<RowLink> links, linalg::LinalgOp op, OpOperand &operand) {
  for (auto [l, link] : llvm::enumerate(links)) {
    if (!link.isReduction())
      continue;
    for (OpOperand &init : link.op.getDpsInitsMutable())
      if (init.get() == operand.get() &&
          link.op.getMatchingIndexingMap(&init) ==
              op.getMatchingIndexingMap(&operand))
        return std::make_pair(static_cast<unsigned>(l),
                              static_cast<unsigned>(init.getOperandNumber() -
                                                    link.op.getNumDpsInputs()));
  }
  return std::nullopt;
}

/// True if `op` may follow `links` in one row kernel. A block runs every
/// link for its row before the next, so a link may read an earlier
/// reduction's total only at its own row (which then never goes through
/// memory), and may share no byte with what another link writes
/// otherwise: blocks of other rows run the links at their own pace.
bool canJoin(ArrayRef<RowLink> links, linalg::LinalgOp op) {
  linalg::LinalgOp head = links.front().op;
  unsigned rowDims = head.getNumLoops() - 1;
  if (!op.hasPureBufferSemantics() || !sameLoops(head, op))
    return false;
  // Each reduction writes one total per row, which its block alone owns.
  auto ownsRows = [&](linalg::LinalgOp r) {
    return llvm::all_of(r.getDpsInitsMutable(), [&](OpOperand &init) {
      return selectsRow(r.getMatchingIndexingMap(&init), rowDims);
    });
  };
  if (!ownsRows(head))
    return false;
  if (op.getNumReductionLoops() != 0) {
    if (!matchRowReduction(op) || !ownsRows(op))
      return false;
  } else if (op.getNumParallelLoops() != op.getNumLoops()) {
    return false;
  }
  bool readsTotal = false;
  for (OpOperand *in : op.getDpsInputOperands()) {
    if (!isa<MemRefType>(in->get().getType()))
      continue;
    if (rowTotalRead(links, op, *in)) {
      readsTotal = true;
      continue;
    }
    for (const RowLink &link : links)
      for (Value out : link.op.getDpsInits())
        if (!tfm::provablyDisjoint(in->get(), out))
          return false;
  }
  for (Value out : op.getDpsInits())
    for (const RowLink &link : links)
      for (OpOperand &other : link.op->getOpOperands())
        if (isa<MemRefType>(other.get().getType()) &&
            !tfm::provablyDisjoint(out, other.get()))
          return false;
  return readsTotal;
}

/// True if nothing but the ops `inChain` accepts (and frees, shape reads
/// and views used the same way) uses the temporary `buffer`: a
/// tfm-plan-buffers slot or an allocation. Its contents then matter to no
/// one after the chain.
bool onlyChainReads(Value buffer,
                    llvm::function_ref<bool(Operation *)> inChain) {
  Value root = tfm::temporaryOf(buffer);
  if (!root)
    return false;
  SmallVector<Value> worklist = {root};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      if (inChain(user) ||
          isa<memref::DeallocOp, gpu::DeallocOp, memref::DimOp>(user))
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (!view || view.getViewSource() != v)
        return false;
      worklist.push_back(view->getResult(0));
    }
  }
  return true;
}

/// One block per row running every link of `links` (same row loops; see
/// canJoin) in turn. A reduction's threads fold strided slices of the row,
/// `gpu.all_reduce` combines them, and every thread folds the total into
/// the output's initial value (the fill's, or the old contents read
/// before); thread 0 stores it where something outside the chain reads
/// it. Later links take that value for their reads of it at their row.
/// The last link may have only parallel loops: threads then compute
/// strided slices of its row.
void buildRowChain(OpBuilder &b, ArrayRef<RowLink> links, int64_t maxBlock,
                   bool vectorize) {
  linalg::LinalgOp head = links.front().op;
  Location loc = b.getFusedLoc(llvm::map_to_vector(
      links, [](const RowLink &l) { return l.op.getLoc(); }));
  SmallVector<Value> sizes = loopSizes(b, head);
  unsigned dim = head.getNumLoops() - 1;
  int64_t extent = head.getStaticLoopRanges()[dim];
  SmallVector<SmallVector<OperandAccess>> access(links.size());
  SmallVector<int64_t> lanes;
  // Small static rows need fewer threads; a block stays a whole warp.
  int64_t block = 32;
  for (auto [link, a] : llvm::zip(links, access)) {
    int64_t v = planAccesses(link.op, dim, extent, vectorize, a);
    for (OpOperand &operand : link.op->getOpOperands())
      if (!isa<MemRefType>(operand.get().getType()))
        a[operand.getOperandNumber()].isValue = true;
    lanes.push_back(v);
    int64_t needed = maxBlock;
    if (!ShapedType::isDynamic(extent))
      while (needed > 32 && (needed / 2) * v >= extent)
        needed /= 2;
    block = std::max(block, needed);
  }

  ArrayRef<Value> rowSizes = ArrayRef<Value>(sizes).drop_back();
  Value rows = product(b, loc, rowSizes);
  guardNonEmpty(b, loc, rows);
  createLaunch(b, loc, rows, block);
  Value bid = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, tid,
                                        cst(b, loc, 0));
  SmallVector<Value> rowIvs = delinearize(b, loc, bid, rowSizes);
  SmallVector<Value> rowPoint(rowIvs);
  rowPoint.push_back(cst(b, loc, 0)); // unused by row-selecting maps

  // totals[l][k]: output k of link l folded with its initial value.
  SmallVector<SmallVector<Value>> totals(links.size());
  // The operand values of `link` for `n` points along the row from `ivs`.
  auto operandValues = [&](unsigned l, ValueRange ivs, int64_t n) {
    const RowLink &link = links[l];
    SmallVector<SmallVector<Value>> args;
    for (OpOperand &operand : link.op->getOpOperands()) {
      if (link.op.isDpsInit(&operand)) {
        args.emplace_back();
        if (!link.isReduction() && payloadReads(link.op, operand))
          args.back() =
              loadLanes(b, loc, link.op, operand,
                        access[l][operand.getOperandNumber()], dim, ivs, n);
        continue;
      }
      if (isa<MemRefType>(operand.get().getType()))
        if (auto read = rowTotalRead(links.take_front(l), link.op, operand)) {
          args.push_back(
              SmallVector<Value>(n, totals[read->first][read->second]));
          continue;
        }
      args.push_back(loadLanes(b, loc, link.op, operand,
                               access[l][operand.getOperandNumber()], dim, ivs,
                               n));
    }
    return args;
  };
  // A loop over the row's points, `n` at a time a thread, strided by the
  // block (created at the builder's insertion point).
  auto rowLoop = [&](int64_t n, ValueRange inits) {
    Value start = arith::MulIOp::create(b, loc, tid, cst(b, loc, n));
    return scf::ForOp::create(b, loc, start, sizes[dim], cst(b, loc, block * n),
                              inits);
  };

  for (auto [l, link] : llvm::enumerate(links)) {
    int64_t n = lanes[l];
    if (!link.isReduction()) {
      auto loop = rowLoop(n, {});
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPoint(loop.getBody()->getTerminator());
      SmallVector<Value> ivs(rowIvs);
      ivs.push_back(loop.getInductionVar());
      SmallVector<SmallVector<Value>> results =
          runLanes(b, link.op, operandValues(l, ivs, n), ivs, dim, n);
      for (auto [i, init] : llvm::enumerate(link.op.getDpsInitsMutable()))
        storeLanes(b, loc, link.op, init, access[l][init.getOperandNumber()],
                   dim, ivs, results[i]);
      continue;
    }
    // Initial values, read before any thread stores a total.
    SmallVector<Value> initial;
    for (auto [i, init] : llvm::enumerate(link.op.getDpsInitsMutable()))
      initial.push_back(
          link.initial[i]
              ? link.initial[i]
              : memref::LoadOp::create(
                    b, loc, init.get(),
                    applyMap(b, loc, link.op.getMatchingIndexingMap(&init),
                             rowPoint)));
    SmallVector<Value> identities;
    for (auto &[combinerOp, c] : link.combiners)
      identities.push_back(arith::ConstantOp::create(b, loc, c.identity));
    auto loop = rowLoop(n, identities);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(loop.getBody());
      SmallVector<Value> ivs(rowIvs);
      ivs.push_back(loop.getInductionVar());
      SmallVector<SmallVector<Value>> args = operandValues(l, ivs, n);
      // The accumulators thread through the lanes one after the other.
      SmallVector<Value> acc(loop.getRegionIterArgs());
      for (int64_t lane = 0; lane < n; ++lane) {
        SmallVector<Value> laneArgs;
        for (const SmallVector<Value> &a : args)
          laneArgs.push_back(a.empty() ? Value() : a[lane]);
        for (auto [i, init] : llvm::enumerate(link.op.getDpsInits()))
          laneArgs[link.op.getNumDpsInputs() + i] = acc[i];
        acc = inlinePayload(b, link.op, laneArgs,
                            laneIndices(b, loc, ivs, dim, lane));
      }
      scf::YieldOp::create(b, loc, acc);
    }
    for (auto [i, c] : llvm::enumerate(link.combiners)) {
      Value total = gpu::AllReduceOp::create(
          b, loc, loop.getResult(i),
          gpu::AllReduceOperationAttr::get(b.getContext(), c.second.kind),
          /*uniform=*/true);
      BlockArgument accArg = link.op.getRegionOutputArgs()[i];
      IRMapping m;
      for (Value operand : c.first->getOperands())
        m.map(operand, operand == accArg ? initial[i] : total);
      totals[l].push_back(b.clone(*c.first, m)->getResult(0));
    }
    for (auto [i, init] : llvm::enumerate(link.op.getDpsInitsMutable())) {
      if (!link.stored[i])
        continue;
      OpBuilder::InsertionGuard guard(b);
      buildIf(b, loc, isFirst);
      memref::StoreOp::create(
          b, loc, totals[l][i], init.get(),
          applyMap(b, loc, link.op.getMatchingIndexingMap(&init), rowPoint));
    }
  }
}

/// Any linalg op: one thread per parallel point, reductions serial.
void buildGeneric(OpBuilder &b, linalg::LinalgOp op, int64_t block) {
  Location loc = op.getLoc();
  SmallVector<Value> sizes = loopSizes(b, op);
  SmallVector<utils::IteratorType> iters = op.getIteratorTypesArray();
  SmallVector<Value> parSizes, redSizes;
  for (auto [size, it] : llvm::zip(sizes, iters))
    (it == utils::IteratorType::parallel ? parSizes : redSizes).push_back(size);

  Value points = product(b, loc, parSizes);
  Value tid = launchPerPoint(b, loc, points, block);
  SmallVector<Value> parIvs = delinearize(b, loc, tid, parSizes);
  SmallVector<Value> redIvs;
  for (Value size : redSizes) {
    auto loop =
        scf::ForOp::create(b, loc, cst(b, loc, 0), size, cst(b, loc, 1));
    b.setInsertionPoint(loop.getBody()->getTerminator());
    redIvs.push_back(loop.getInductionVar());
  }
  SmallVector<Value> ivs;
  unsigned p = 0, r = 0;
  for (utils::IteratorType it : iters)
    ivs.push_back(it == utils::IteratorType::parallel ? parIvs[p++]
                                                      : redIvs[r++]);

  SmallVector<Value> args;
  for (OpOperand &operand : op->getOpOperands()) {
    Value v = operand.get();
    if (!isa<MemRefType>(v.getType())) {
      args.push_back(v);
      continue;
    }
    if (op.isDpsInit(&operand) && !payloadReads(op, operand)) {
      args.push_back(Value());
      continue;
    }
    args.push_back(memref::LoadOp::create(
        b, loc, v, applyMap(b, loc, op.getMatchingIndexingMap(&operand), ivs)));
  }
  SmallVector<Value> results = inlinePayload(b, op, args, ivs);
  for (auto [i, init] : llvm::enumerate(op.getDpsInitsMutable()))
    memref::StoreOp::create(
        b, loc, results[i], init.get(),
        applyMap(b, loc, op.getMatchingIndexingMap(&init), ivs));
}

//===----------------------------------------------------------------------===//
// scf.forall (the fused attention): one thread per point
//===----------------------------------------------------------------------===//

/// True if `v` is provably a multiple of `n` (constants, and sums and
/// products of such, through arith and affine.apply).
bool isMultipleOf(Value v, int64_t n) {
  if (std::optional<int64_t> c = getConstantIntValue(v))
    return *c % n == 0;
  Operation *def = v.getDefiningOp();
  if (!def)
    return false;
  if (auto mul = dyn_cast<arith::MulIOp>(def))
    return isMultipleOf(mul.getLhs(), n) || isMultipleOf(mul.getRhs(), n);
  if (auto add = dyn_cast<arith::AddIOp>(def))
    return isMultipleOf(add.getLhs(), n) && isMultipleOf(add.getRhs(), n);
  auto apply = dyn_cast<affine::AffineApplyOp>(def);
  if (!apply)
    return false;
  std::function<bool(AffineExpr)> expr = [&](AffineExpr e) -> bool {
    if (auto c = dyn_cast<AffineConstantExpr>(e))
      return c.getValue() % n == 0;
    if (auto d = dyn_cast<AffineDimExpr>(e))
      return isMultipleOf(apply.getMapOperands()[d.getPosition()], n);
    if (auto sym = dyn_cast<AffineSymbolExpr>(e))
      return isMultipleOf(
          apply.getMapOperands()[apply.getAffineMap().getNumDims() +
                                 sym.getPosition()],
          n);
    auto bin = cast<AffineBinaryOpExpr>(e);
    if (e.getKind() == AffineExprKind::Add)
      return expr(bin.getLHS()) && expr(bin.getRHS());
    if (e.getKind() == AffineExprKind::Mul)
      return expr(bin.getLHS()) || expr(bin.getRHS());
    return false;
  };
  return expr(apply.getAffineMap().getResult(0));
}

/// Marks a 1-D vector access aligned to its size (at most 16 bytes) when it
/// provably is: an identity-layout buffer (allocations are at least
/// 256-byte aligned) whose innermost extent, vector length and last index
/// are multiples of the lanes in that many bytes.
template <typename AccessOp>
void markAligned(AccessOp access) {
  auto memTy = cast<MemRefType>(access.getBase().getType());
  VectorType vecTy = access.getVectorType();
  unsigned bits = memTy.getElementType().getIntOrFloatBitWidth();
  if (bits == 0 || bits % 8 != 0 || !memTy.getLayout().isIdentity() ||
      vecTy.getRank() != 1 || memTy.getRank() == 0)
    return;
  int64_t bytes = std::min<int64_t>(16, vecTy.getNumElements() * bits / 8);
  if (!llvm::isPowerOf2_64(bytes) || bytes * 8 <= bits)
    return;
  int64_t lanes = bytes * 8 / bits, inner = memTy.getShape().back();
  if (ShapedType::isDynamic(inner) || inner % lanes != 0 ||
      vecTy.getNumElements() % lanes != 0 ||
      !isMultipleOf(access.getIndices().back(), lanes))
    return;
  access.setAlignment(bytes);
}

/// Lowers the vector transfers a forall body carries to plain vector
/// loads and stores on the underlying buffers, aligned where provable.
LogicalResult lowerTransfers(gpu::LaunchOp launch) {
  RewritePatternSet patterns(launch.getContext());
  memref::populateFoldMemRefAliasOpPatterns(patterns);
  vector::populateVectorTransferLoweringPatterns(patterns,
                                                 /*maxTransferRank=*/1);
  if (failed(applyPatternsGreedily(launch.getBody(), std::move(patterns))))
    return failure();
  launch.walk([](Operation *op) {
    if (auto load = dyn_cast<vector::LoadOp>(op))
      markAligned(load);
    else if (auto store = dyn_cast<vector::StoreOp>(op))
      markAligned(store);
  });
  WalkResult left = launch.walk([](Operation *op) {
    return isa<vector::TransferReadOp, vector::TransferWriteOp>(op)
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  return failure(left.wasInterrupted());
}

/// Rewrites the `nvgpu.mma.sync` ops of a forall body (m16n8k16, f16 or
/// bf16 into f32) as `nvvm.mma.sync`: upstream's nvgpu lowering cannot type
/// bf16 operands. A register is one row of the operand vectors; a bf16 one
/// is passed as an i32.
LogicalResult lowerWarpMma(gpu::LaunchOp launch, Location forallLoc) {
  SmallVector<nvgpu::MmaSyncOp> mmas;
  launch.walk([&](nvgpu::MmaSyncOp op) { mmas.push_back(op); });
  for (nvgpu::MmaSyncOp op : mmas) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    MLIRContext *ctx = b.getContext();
    Type t = cast<VectorType>(op.getMatrixA().getType()).getElementType();
    Type f32 = b.getF32Type();
    auto cTy = cast<VectorType>(op.getMatrixC().getType());
    if (op.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16} ||
        !(t.isBF16() || t.isF16()) || cTy.getElementType() != f32 ||
        cast<VectorType>(op.getMatrixA().getType()).getShape() !=
            ArrayRef<int64_t>{4, 2} ||
        cast<VectorType>(op.getMatrixB().getType()).getShape() !=
            ArrayRef<int64_t>{2, 2} ||
        cTy.getShape() != ArrayRef<int64_t>{2, 2})
      return op.emitError("tfm-linalg-to-gpu: expected an m16n8k16 "
                          "nvgpu.mma.sync of f16 or bf16 into f32")
                 .attachNote(forallLoc)
             << "in the kernel built from this scf.forall";
    // A register is rebuilt from its two elements: an operand that is a
    // whole loaded vector reshaped (a `vector.shape_cast`, which the LLVM
    // conversion of kernels cannot lower when 2-D) then reads the load
    // directly once canonicalised.
    auto registers = [&](Value m, int64_t n) {
      SmallVector<Value> regs;
      for (int64_t i = 0; i < n; ++i) {
        Value reg = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, t),
            ValueRange{vector::ExtractOp::create(b, loc, m, ArrayRef{i, 0l}),
                       vector::ExtractOp::create(b, loc, m, ArrayRef{i, 1l})});
        if (t.isBF16())
          reg = vector::ExtractOp::create(
              b, loc,
              vector::BitCastOp::create(
                  b, loc, VectorType::get({1}, b.getI32Type()), reg),
              ArrayRef<int64_t>{0});
        regs.push_back(reg);
      }
      return regs;
    };
    SmallVector<Value> c;
    for (int64_t e = 0; e < 4; ++e)
      c.push_back(vector::ExtractOp::create(b, loc, op.getMatrixC(),
                                            ArrayRef<int64_t>{e / 2, e % 2}));
    auto type = NVVM::MMATypesAttr::get(ctx, t.isBF16() ? NVVM::MMATypes::bf16
                                                        : NVVM::MMATypes::f16);
    Value res = NVVM::MmaOp::create(
        b, loc, LLVM::LLVMStructType::getLiteral(ctx, {f32, f32, f32, f32}),
        NVVM::MMAShapeAttr::get(ctx, 16, 8, 16), /*b1Op=*/nullptr,
        /*intOverflowBehavior=*/nullptr, NVVM::MMALayout::row,
        NVVM::MMALayout::col, type, type, registers(op.getMatrixA(), 4),
        registers(op.getMatrixB(), 2), c);
    SmallVector<Value> d;
    for (int64_t e = 0; e < 4; ++e)
      d.push_back(LLVM::ExtractValueOp::create(b, loc, res, e));
    op.replaceAllUsesWith(
        vector::FromElementsOp::create(b, loc, cTy, d).getResult());
    op->erase();
  }
  return success();
}

/// A host `scf.forall` on buffers: one thread per point of its iteration
/// space (the last dimension fastest), running its body, in a kernel named
/// `name`.
LogicalResult buildForall(OpBuilder &b, scf::ForallOp op, int64_t block,
                          StringRef name) {
  Location loc = op.getLoc();
  SmallVector<Value> lbs = getValueOrCreateConstantIndexOp(
      b, loc, op.getMixedLowerBound());
  SmallVector<Value> ubs = getValueOrCreateConstantIndexOp(
      b, loc, op.getMixedUpperBound());
  SmallVector<Value> steps =
      getValueOrCreateConstantIndexOp(b, loc, op.getMixedStep());
  SmallVector<Value> counts;
  for (auto [lb, ub, step] : llvm::zip(lbs, ubs, steps))
    counts.push_back(arith::CeilDivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, ub, lb), step));
  Value tid = launchPerPoint(b, loc, product(b, loc, counts), block);
  auto launch = tid.getDefiningOp()->getParentOfType<gpu::LaunchOp>();
  launch.setFunctionAttr(FlatSymbolRefAttr::get(b.getContext(), name));
  IRMapping map;
  for (auto [iv, pos, lb, step] :
       llvm::zip(op.getInductionVars(), delinearize(b, loc, tid, counts), lbs,
                 steps))
    map.map(iv, arith::AddIOp::create(
                    b, loc, lb, arith::MulIOp::create(b, loc, pos, step)));
  for (Operation &inner : op.getBody()->without_terminator())
    b.clone(inner, map);
  if (failed(lowerWarpMma(launch, op.getLoc())))
    return failure();
  if (failed(lowerTransfers(launch)))
    return op.emitError("tfm-linalg-to-gpu: cannot lower the vector "
                        "transfers of this scf.forall's body to plain "
                        "loads and stores (only 1-D transfers are)");
  return success();
}

struct TfmLinalgToGPUPass
    : mlir::tfm::impl::TfmLinalgToGPUBase<TfmLinalgToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    if (blockSize < 32 || blockSize > 1024 || blockSize % 32 != 0) {
      getOperation().emitError()
          << "tfm-linalg-to-gpu: block-size must be a multiple of 32 in "
             "[32, 1024], got "
          << static_cast<int64_t>(blockSize);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    bool failedOp = false;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Ops in a forall's body run in its kernel, one point per thread.
      if (op->getParentOfType<gpu::LaunchOp>() ||
          op->getParentOfType<gpu::GPUModuleOp>() ||
          op->getParentOfType<scf::ForallOp>())
        return;
      if (!op.hasPureBufferSemantics()) {
        op.emitError("tfm-linalg-to-gpu: expected a linalg op on buffers "
                     "(run bufferization first)");
        failedOp = true;
        return;
      }
      ops.push_back(op);
    });
    if (failedOp)
      return signalPassFailure();

    SmallVector<scf::ForallOp> foralls;
    getOperation().walk([&](scf::ForallOp op) {
      if (!op->getParentOfType<gpu::LaunchOp>() &&
          !op->getParentOfType<gpu::GPUModuleOp>() &&
          !op->getParentOfType<scf::ForallOp>())
        foralls.push_back(op);
    });
    llvm::StringMap<unsigned> kernelsPerFunc;
    for (scf::ForallOp op : foralls) {
      // `<function>_forall[_N]`: budgets and profiles can tell these
      // kernels (the fused attention) from the template ones.
      std::string name = "forall";
      if (auto fn = op->getParentOfType<FunctionOpInterface>())
        name = (fn.getName() + "_forall").str();
      if (unsigned n = kernelsPerFunc[name]++)
        name += "_" + std::to_string(n);
      if (op.getNumResults() != 0 ||
          !op.getTerminator().getYieldingOps().empty()) {
        op.emitError("tfm-linalg-to-gpu: expected an scf.forall on buffers "
                     "(run bufferization first)");
        return signalPassFailure();
      }
      OpBuilder b(op);
      // A point holds whole rows in registers (up to 255 per thread):
      // smaller blocks keep the register file request per block modest.
      // Its errors name the op that cannot be lowered.
      if (failed(buildForall(b, op, std::min<int64_t>(blockSize, 128), name)))
        return signalPassFailure();
      op->erase();
    }

    // A row reduction starts from the value a fill right before it wrote
    // (the usual zero or -inf accumulator): one kernel instead of two.
    DenseMap<Operation *, SmallVector<Value>> initial;
    llvm::SmallPtrSet<Operation *, 8> absorbed;
    for (linalg::LinalgOp op : ops) {
      if (op.getNumReductionLoops() == 0 || !matchRowReduction(op))
        continue;
      SmallVector<linalg::FillOp> fills;
      initial[op] = filledInits(op, fills);
      for (linalg::FillOp fill : fills)
        absorbed.insert(fill);
    }
    // Row reductions and the ops after them that read their totals at the
    // same rows (a norm's statistics and its normalisation, a softmax's
    // max, sum and division): one kernel, a block per row.
    SmallVector<SmallVector<RowLink>> chains;
    DenseMap<Operation *, unsigned> chainOf;
    for (linalg::LinalgOp op : ops) {
      if (absorbed.contains(op) || chainOf.count(op) ||
          op.getNumReductionLoops() == 0)
        continue;
      auto combiners = matchRowReduction(op);
      if (!combiners)
        continue;
      SmallVector<RowLink> links;
      links.push_back({op, *combiners, initial[op], {}});
      for (Operation *next = op->getNextNode(); next;
           next = next->getNextNode()) {
        if (isMemoryEffectFree(next) || tfm::onlyAllocates(next) ||
            absorbed.contains(next))
          continue;
        auto candidate = dyn_cast<linalg::LinalgOp>(next);
        if (!candidate || !canJoin(links, candidate))
          break;
        RowLink link{candidate, {}, {}, {}};
        if (candidate.getNumReductionLoops() != 0) {
          link.combiners = *matchRowReduction(candidate);
          link.initial = initial[candidate];
        }
        links.push_back(link);
        if (!link.isReduction())
          break;
      }
      SmallVector<Operation *> members = llvm::map_to_vector(
          links, [](const RowLink &l) { return l.op.getOperation(); });
      // The chain's own fills count as the chain.
      auto inChain = [&](Operation *user) {
        return llvm::is_contained(members, user) || absorbed.contains(user);
      };
      for (RowLink &link : links)
        for (Value out : link.op.getDpsInits())
          link.stored.push_back(links.size() == 1 ||
                                !onlyChainReads(out, inChain));
      for (Operation *member : members)
        chainOf[member] = chains.size();
      chains.push_back(std::move(links));
    }

    for (linalg::LinalgOp op : ops) {
      if (absorbed.contains(op))
        continue;
      auto chain = chainOf.find(op);
      // A chain's kernel goes where its last op is: every operand of the
      // chain is defined there, and only ops without memory effects other
      // than allocating (and absorbed fills) come between its ops.
      if (chain != chainOf.end() &&
          chains[chain->second].back().op.getOperation() != op)
        continue;
      OpBuilder b(op);
      // Each template builds its guard + launch in a fresh region, so the
      // builder is restored to just before the op for the next one.
      OpBuilder::InsertionGuard guard(b);
      if (chain != chainOf.end())
        buildRowChain(b, chains[chain->second], blockSize, vectorize);
      else if (op.getNumReductionLoops() == 0)
        buildElementwise(b, op, blockSize, vectorize);
      else
        buildGeneric(b, op, blockSize);
    }
    for (linalg::LinalgOp op : ops)
      if (!absorbed.contains(op))
        op->erase();
    for (Operation *fill : absorbed)
      fill->erase();
  }
};

} // namespace
