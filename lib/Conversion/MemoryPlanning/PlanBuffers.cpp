//===- PlanBuffers.cpp - one arena per function, placed by lifetime -------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Bufferization leaves one allocation and one deallocation per temporary.
// This pass computes when each temporary of a function's entry block is in
// use and turns all of them into views of one arena: static sizes get
// constant offsets (largest first, lowest free gap), dynamic sizes get
// offsets computed at the function's entry. See the pass description for
// what counts as a temporary.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/MemoryPlanning/Aliasing.h"
#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMPLANBUFFERS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// A temporary of the entry block: its allocation, its deallocation and the
/// positions (in the entry block) of the allocation and of its last use.
struct Temporary {
  memref::AllocOp alloc;
  memref::DeallocOp dealloc;
  unsigned start = 0, end = 0;
  /// Bytes, if static.
  std::optional<int64_t> staticBytes;
  /// The constant offset of a static temporary.
  int64_t offset = 0;
  /// The dynamic sizes, recomputed at the entry.
  SmallVector<Value> sizes;

  bool overlaps(const Temporary &other) const {
    return start <= other.end && other.start <= end;
  }
};

/// Bytes one element of `t` takes in memory, or 0 if that is not known here
/// (index, vectors, complex, sub-byte widths other than i1).
int64_t elementBytes(Type t) {
  if (!t.isIntOrFloat() || t.isIndex())
    return 0;
  unsigned bits = t.getIntOrFloatBitWidth();
  if (bits == 1)
    return 1;
  if (bits % 8 != 0 || !llvm::isPowerOf2_32(bits / 8))
    return 0;
  return bits / 8;
}

int64_t alignTo(int64_t value, int64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}

/// The op of `block` that `op` is nested in (or is), or null.
Operation *ancestorIn(Block *block, Operation *op) {
  return block->findAncestorOpInBlock(*op);
}

/// Recomputes index values at the start of the entry block, where the
/// arena is allocated: arguments, constants and side-effect-free ops on
/// them, and extents of buffers followed back through reshapes and views to
/// the sizes they were created with or to an argument's.
class Hoister {
public:
  Hoister(Block &entry, Location loc)
      : entry(entry), loc(loc), b(OpBuilder::atBlockBegin(&entry)) {}

  OpBuilder &builder() { return b; }

  /// `v` at the entry, or null (and nothing created) if it cannot be had
  /// there.
  Value hoist(Value v) {
    size_t opsMark = created.size(), keysMark = keys.size();
    Value result = materialize(v, /*depth=*/0);
    if (!result)
      rollBack(opsMark, keysMark);
    return result;
  }

  /// Erases everything hoisted so far (nothing uses it).
  void discard() { rollBack(0, 0); }

private:
  static constexpr unsigned kMaxDepth = 32;

  void rollBack(size_t opsMark, size_t keysMark) {
    for (size_t i = keys.size(); i > keysMark; --i)
      map.erase(keys[i - 1]);
    keys.resize(keysMark);
    // Users were created after their operands.
    for (size_t i = created.size(); i > opsMark; --i)
      created[i - 1]->erase();
    created.resize(opsMark);
  }

  Value remember(Value original, Value hoisted) {
    if (hoisted) {
      map[original] = hoisted;
      keys.push_back(original);
    }
    return hoisted;
  }

  Operation *track(Operation *op) {
    created.push_back(op);
    return op;
  }

  Value constant(int64_t v) {
    return track(arith::ConstantIndexOp::create(b, loc, v))->getResult(0);
  }

  Value materialize(Value v, unsigned depth) {
    if (Value mapped = map.lookup(v))
      return mapped;
    if (auto arg = dyn_cast<BlockArgument>(v))
      return arg.getOwner() == &entry ? v : Value();
    Operation *def = v.getDefiningOp();
    if (depth > kMaxDepth)
      return {};
    if (auto dim = dyn_cast<memref::DimOp>(def)) {
      std::optional<int64_t> index = dim.getConstantIndex();
      if (!index)
        return {};
      return remember(v, extent(dim.getSource(), *index, depth + 1));
    }
    if (def->getNumRegions() != 0 || !isMemoryEffectFree(def))
      return {};
    IRMapping operands;
    for (Value operand : def->getOperands()) {
      Value hoisted = materialize(operand, depth + 1);
      if (!hoisted)
        return {};
      operands.map(operand, hoisted);
    }
    Operation *clone = track(b.clone(*def, operands));
    for (auto [from, to] : llvm::zip(def->getResults(), clone->getResults()))
      remember(from, to);
    return map.lookup(v);
  }

  /// Extent `i` of the buffer `memref`, at the entry.
  Value extent(Value memref, int64_t i, unsigned depth) {
    auto type = dyn_cast<MemRefType>(memref.getType());
    if (!type || i < 0 || i >= type.getRank())
      return {};
    if (!type.isDynamicDim(i))
      return constant(type.getDimSize(i));
    if (auto arg = dyn_cast<BlockArgument>(memref)) {
      if (arg.getOwner() != &entry)
        return {};
      return track(memref::DimOp::create(b, arg.getLoc(), arg, i))
          ->getResult(0);
    }
    Operation *def = memref.getDefiningOp();
    if (depth > kMaxDepth || !def)
      return {};
    auto mixed = [&](OpFoldResult size) -> Value {
      if (auto attr = dyn_cast<Attribute>(size))
        return constant(cast<IntegerAttr>(attr).getInt());
      return materialize(cast<Value>(size), depth + 1);
    };
    if (auto alloc = dyn_cast<memref::AllocOp>(def))
      return materialize(alloc.getDynamicSizes()[type.getDynamicDimIndex(i)],
                         depth + 1);
    if (auto view = dyn_cast<memref::ViewOp>(def))
      return materialize(view.getSizes()[type.getDynamicDimIndex(i)],
                         depth + 1);
    if (auto cast = dyn_cast<memref::CastOp>(def))
      return extent(cast.getSource(), i, depth + 1);
    if (auto expand = dyn_cast<memref::ExpandShapeOp>(def))
      return mixed(expand.getMixedOutputShape()[i]);
    if (auto sub = dyn_cast<memref::SubViewOp>(def)) {
      if (sub.getSourceType().getRank() != type.getRank())
        return {}; // rank-reducing: dropped dimensions shift the indices
      return mixed(sub.getMixedSizes()[i]);
    }
    if (auto collapse = dyn_cast<memref::CollapseShapeOp>(def)) {
      Value product;
      SmallVector<ReassociationIndices> groups =
          collapse.getReassociationIndices();
      for (int64_t j : groups[i]) {
        Value e = extent(collapse.getSrc(), j, depth + 1);
        if (!e)
          return {};
        product =
            product
                ? track(arith::MulIOp::create(b, loc, product, e))->getResult(0)
                : e;
      }
      return product;
    }
    return {};
  }

  Block &entry;
  Location loc;
  OpBuilder b;
  /// Original values -> their copies at the entry, and the keys in the
  /// order they were added (for rolling back).
  DenseMap<Value, Value> map;
  SmallVector<Value> keys;
  SmallVector<Operation *> created;
};

struct TfmPlanBuffersPass
    : mlir::tfm::impl::TfmPlanBuffersBase<TfmPlanBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (alignment < 16 || !llvm::isPowerOf2_64(alignment)) {
      fn.emitError() << "tfm-plan-buffers: alignment must be a power of two "
                        "of at least 16, got "
                     << static_cast<int64_t>(alignment);
      return signalPassFailure();
    }
    // Only single-block bodies: lifetimes are then positions in one list.
    if (fn.isExternal() || !fn.getBody().hasOneBlock())
      return;
    Block &entry = fn.getBody().front();

    DenseMap<Operation *, unsigned> position;
    for (auto [i, op] : llvm::enumerate(entry))
      position[&op] = i;

    SmallVector<Temporary> temps;
    Hoister hoister(entry, fn.getLoc());
    for (auto alloc : entry.getOps<memref::AllocOp>()) {
      std::optional<Temporary> temp = analyze(alloc, entry, position);
      if (!temp)
        continue;
      // Dynamic sizes must be computable where the arena is allocated.
      for (Value size : alloc.getDynamicSizes()) {
        temp->sizes.push_back(hoister.hoist(size));
        if (!temp->sizes.back()) {
          temp.reset();
          break;
        }
      }
      if (temp)
        temps.push_back(*temp);
    }
    if (temps.size() < 2) {
      hoister.discard();
      return;
    }

    // Static temporaries: largest first, each in the lowest gap left by the
    // overlapping ones placed before it.
    SmallVector<Temporary *> statics, dynamics;
    for (Temporary &t : temps)
      (t.staticBytes ? statics : dynamics).push_back(&t);
    llvm::stable_sort(statics, [](const Temporary *a, const Temporary *b) {
      return *a->staticBytes > *b->staticBytes;
    });
    int64_t staticBytes = 0;
    SmallVector<Temporary *> placed;
    for (Temporary *t : statics) {
      SmallVector<Temporary *> blocking;
      for (Temporary *p : placed)
        if (p->overlaps(*t))
          blocking.push_back(p);
      llvm::sort(blocking, [](const Temporary *a, const Temporary *b) {
        return a->offset < b->offset;
      });
      int64_t size = alignTo(*t->staticBytes, alignment);
      int64_t offset = 0;
      for (Temporary *p : blocking) {
        if (offset + size <= p->offset)
          break;
        offset =
            std::max(offset, p->offset + alignTo(*p->staticBytes, alignment));
      }
      t->offset = offset;
      staticBytes = std::max(staticBytes, offset + size);
      placed.push_back(t);
    }

    // Dynamic temporaries: above the static part and above every earlier
    // overlapping dynamic one, computed at the entry.
    Location loc = fn.getLoc();
    OpBuilder &b = hoister.builder();
    auto index = [&](int64_t v) -> Value {
      return arith::ConstantIndexOp::create(b, loc, v);
    };
    Value mask = index(~(static_cast<int64_t>(alignment) - 1));
    Value round = index(alignment - 1);
    auto alignUp = [&](Value v) -> Value {
      return arith::AndIOp::create(
          b, loc, arith::AddIOp::create(b, loc, v, round), mask);
    };
    DenseMap<Temporary *, Value> dynOffset;
    SmallVector<std::pair<Temporary *, Value>> dynEnd;
    Value staticEnd = index(staticBytes);
    Value total = staticEnd;
    for (Temporary *t : dynamics) {
      Value bytes = index(elementBytes(t->alloc.getType().getElementType()));
      for (int64_t i = 0, dyn = 0; i < t->alloc.getType().getRank(); ++i) {
        Value extent = t->alloc.getType().isDynamicDim(i)
                           ? t->sizes[dyn++]
                           : index(t->alloc.getType().getDimSize(i));
        bytes = arith::MulIOp::create(b, loc, bytes, extent);
      }
      Value offset = staticEnd;
      for (auto &[other, end] : dynEnd)
        if (other->overlaps(*t))
          offset = arith::MaxUIOp::create(b, loc, offset, end);
      Value end = arith::AddIOp::create(b, loc, offset, alignUp(bytes));
      dynOffset[t] = offset;
      dynEnd.push_back({t, end});
      total = arith::MaxUIOp::create(b, loc, total, end);
    }

    // The arena, a view of it per temporary, one free before the return.
    auto arenaType =
        dynamics.empty()
            ? MemRefType::get({std::max<int64_t>(staticBytes, 1)},
                              b.getI8Type())
            : MemRefType::get({ShapedType::kDynamic}, b.getI8Type());
    auto arena = memref::AllocOp::create(
        b, loc, arenaType,
        dynamics.empty() ? ValueRange{} : ValueRange{alignUp(total)},
        b.getI64IntegerAttr(alignment));
    arena->setAttr(tfm::kArenaAttrName, b.getUnitAttr());
    for (Temporary &t : temps) {
      OpBuilder at(t.alloc);
      Value offset =
          t.staticBytes
              ? arith::ConstantIndexOp::create(at, t.alloc.getLoc(), t.offset)
              : dynOffset[&t];
      Value view =
          memref::ViewOp::create(at, t.alloc.getLoc(), t.alloc.getType(), arena,
                                 offset, t.alloc.getDynamicSizes());
      t.alloc.replaceAllUsesWith(view);
      t.alloc.erase();
      t.dealloc.erase();
    }
    OpBuilder atEnd(entry.getTerminator());
    memref::DeallocOp::create(atEnd, loc, arena);
  }

  /// `alloc` as a temporary, or nothing if it is not one.
  std::optional<Temporary>
  analyze(memref::AllocOp alloc, Block &entry,
          const DenseMap<Operation *, unsigned> &position) {
    MemRefType type = alloc.getType();
    int64_t eltBytes = elementBytes(type.getElementType());
    if (!type.getLayout().isIdentity() || eltBytes == 0 ||
        !alloc.getSymbolOperands().empty() ||
        (alloc.getAlignment() &&
         static_cast<int64_t>(*alloc.getAlignment()) > alignment))
      return std::nullopt;

    Temporary temp;
    temp.alloc = alloc;
    temp.start = temp.end = position.lookup(alloc);
    if (type.hasStaticShape()) {
      int64_t bytes = eltBytes;
      for (int64_t d : type.getShape()) {
        if (d != 0 && bytes > (int64_t(1) << 48) / d)
          return std::nullopt; // not worth planning, and near overflow
        bytes *= d;
      }
      temp.staticBytes = bytes;
    }

    // Follow every view of the buffer to its last top-level use.
    SmallVector<Value> worklist = {alloc.getResult()};
    llvm::DenseSet<Value> seen = {alloc.getResult()};
    auto addView = [&](Value v) {
      if (isa<BaseMemRefType>(v.getType()) && seen.insert(v).second)
        worklist.push_back(v);
    };
    while (!worklist.empty()) {
      Value v = worklist.pop_back_val();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (auto dealloc = dyn_cast<memref::DeallocOp>(user)) {
          // One direct free in the entry block; any other free means
          // ownership this pass does not model.
          if (v != alloc.getResult() || temp.dealloc ||
              dealloc->getBlock() != &entry)
            return std::nullopt;
          temp.dealloc = dealloc;
          continue;
        }
        Operation *top = ancestorIn(&entry, user);
        if (!top || top->hasTrait<OpTrait::IsTerminator>())
          return std::nullopt;
        temp.end = std::max(temp.end, position.lookup(top));
        // Results of the user and of the ops enclosing it up to the entry
        // block may be views (yielded out of loops, for instance). A call's
        // results are fresh buffers the caller owns.
        for (Operation *op = user; op; op = op->getParentOp()) {
          if (!isa<func::CallOp>(op))
            for (Value r : op->getResults())
              addView(r);
          if (op == top)
            break;
        }
      }
    }
    if (!temp.dealloc)
      return std::nullopt;
    return temp;
  }
};

} // namespace
