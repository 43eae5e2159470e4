//===- Aliasing.cpp - which buffers provably share no byte ----------------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/MemoryPlanning/Aliasing.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

namespace {

/// The buffer a view is part of, the bytes of it the view spans if they
/// are known, and the arena slot (a `memref.view` of a tfm-plan-buffers
/// arena) it lies in, if any.
struct Extent {
  Value root;
  std::optional<std::pair<int64_t, int64_t>> bytes;
  memref::ViewOp slot;
};

/// Follows `v` through view-like ops to the buffer it views. The byte range
/// is known for a static row-major view reached through casts, reshapes and
/// memref.view at constant shifts (tfm-plan-buffers's static slots).
Extent extentOf(Value v) {
  auto type = cast<MemRefType>(v.getType());
  std::optional<std::pair<int64_t, int64_t>> bytes;
  if (type.hasStaticShape() && type.getLayout().isIdentity() &&
      type.getElementType().isIntOrFloat())
    bytes = {0, type.getNumElements() *
                    llvm::divideCeil(type.getElementTypeBitWidth(), 8)};
  memref::ViewOp slot;
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>()) {
    Operation *op = view.getOperation();
    APInt shift;
    if (auto byteView = dyn_cast<memref::ViewOp>(op)) {
      Operation *source = byteView.getSource().getDefiningOp();
      if (source && source->hasAttr(tfm::kArenaAttrName))
        slot = byteView;
      if (bytes && byteView.getSizes().empty() &&
          matchPattern(byteView.getByteShift(), m_ConstantInt(&shift)))
        bytes = {bytes->first + shift.getSExtValue(),
                 bytes->second + shift.getSExtValue()};
      else
        bytes.reset();
    } else if (!isa<memref::CastOp, memref::CollapseShapeOp,
                    memref::ExpandShapeOp>(op)) {
      // Casts and reshapes of a row-major view keep its pointer and bytes.
      bytes.reset();
    }
    v = view.getViewSource();
  }
  return {v, bytes, slot};
}

/// True if `v` is the result of an allocation: a buffer no other value
/// outside its views can alias.
bool isAllocation(Value v) {
  Operation *op = v.getDefiningOp();
  return op && hasSingleEffect<MemoryEffects::Allocate>(op, v);
}

/// The last operation of the slot's block that uses it or a view of it
/// (the slot itself if none does).
Operation *lastUse(memref::ViewOp slot) {
  Block *block = slot->getBlock();
  Operation *last = slot;
  SmallVector<Value> worklist = {slot.getResult()};
  while (!worklist.empty()) {
    Value v = worklist.pop_back_val();
    for (Operation *user : v.getUsers()) {
      Operation *top = block->findAncestorOpInBlock(*user);
      if (!top)
        continue;
      if (last->isBeforeInBlock(top))
        last = top;
      if (auto view = dyn_cast<ViewLikeOpInterface>(user))
        if (view.getViewSource() == v)
          worklist.push_back(view->getResult(0));
    }
  }
  return last;
}

/// True if the two slots are in use at once, so the planner placed them
/// apart. A use this function does not follow only makes a lifetime
/// shorter here than the planner's, never longer.
bool livesOverlap(memref::ViewOp a, memref::ViewOp b) {
  if (a->getBlock() != b->getBlock())
    return false;
  auto atOrBefore = [](Operation *x, Operation *y) {
    return x == y || x->isBeforeInBlock(y);
  };
  return atOrBefore(a, lastUse(b)) && atOrBefore(b, lastUse(a));
}

} // namespace

bool mlir::tfm::provablyDisjoint(Value a, Value b) {
  Extent x = extentOf(a), y = extentOf(b);
  if (x.root != y.root)
    return isAllocation(x.root) || isAllocation(y.root);
  if (x.bytes && y.bytes &&
      (x.bytes->second <= y.bytes->first || y.bytes->second <= x.bytes->first))
    return true;
  return x.slot && y.slot && x.slot != y.slot && livesOverlap(x.slot, y.slot);
}

Value mlir::tfm::temporaryOf(Value v) {
  Extent e = extentOf(v);
  if (e.slot)
    return e.slot.getResult();
  return isAllocation(e.root) ? e.root : Value();
}

bool mlir::tfm::onlyAllocates(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects || op->getNumRegions() != 0)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::all_of(instances, [&](const MemoryEffects::EffectInstance &e) {
    return isa<MemoryEffects::Allocate>(e.getEffect()) && e.getValue() &&
           e.getValue().getDefiningOp() == op;
  });
}
