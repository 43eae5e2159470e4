//===- EmulateWarps.cpp - warp-level foralls run on the CPU -----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Rewrites an scf.forall whose innermost dimension is a warp's 32 lanes
// (and whose body uses warp-wide ops: nvgpu.mma.sync, gpu.shuffle) into a
// forall without that dimension, in which one point computes the whole
// warp. A value that differs between lanes ("varying") becomes one 1-D
// vector holding every lane's copy, lane-major: lane l of a value of type
// vector<S x T> (N elements) is elements [l·N, l·N + N) of a
// vector<32·N x T>; a scalar T becomes vector<32 x T>. Values that are the
// same in every lane stay as they are. Keeping every emulated value 1-D
// keeps the CPU lowering simple (shuffles, gathers, elementwise ops).
//
// The lanes' control flow must be uniform: loop bounds may not depend on
// the lane, which is how tfm's warp kernels are written (no lane branches
// around mma.sync). Lane-dependent slices of tensors (each lane's share of
// the output) are kept per lane and inserted one by one.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMEMULATEWARPS
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

constexpr int64_t kLanes = 32;

/// Elements one lane holds of a value of type `t`: 1 for a scalar.
int64_t laneWidth(Type t) {
  if (auto v = dyn_cast<VectorType>(t))
    return v.getNumElements();
  return 1;
}

/// The emulated type of a varying value of type `t`: every lane's copy.
VectorType warpType(Type t) {
  return VectorType::get({kLanes * laneWidth(t)}, getElementTypeOrSelf(t));
}

/// A shuffle mask over the lanes, `perLane` entries each: entry (lane, i)
/// is `at(lane, i)`.
SmallVector<int64_t>
laneMask(int64_t perLane, llvm::function_ref<int64_t(int64_t, int64_t)> at) {
  SmallVector<int64_t> mask;
  for (int64_t lane = 0; lane < kLanes; ++lane)
    for (int64_t i = 0; i < perLane; ++i)
      mask.push_back(at(lane, i));
  return mask;
}

/// Row-major linear position of `pos` (a prefix of `shape`'s dimensions)
/// and the number of elements it selects.
std::pair<int64_t, int64_t> slab(ArrayRef<int64_t> shape,
                                 ArrayRef<int64_t> pos) {
  int64_t offset = 0, size = 1;
  for (auto [i, p] : llvm::enumerate(pos))
    offset = offset * shape[i] + p;
  for (int64_t s : shape.drop_front(pos.size()))
    size *= s;
  return {offset * size, size};
}

// mma.sync.m16n8k16 fragments (PTX ISA, "Matrix fragments for
// mma.m16n8k16" for .f16/.bf16), with g = lane / 4 and t = lane % 4. Each
// returns the (row, column) that element `i` of lane `lane` holds; element
// i is half i % 2 of register i / 2.
std::pair<int64_t, int64_t> fragmentA(int64_t lane, int64_t i) {
  int64_t g = lane / 4, t = lane % 4;
  return {g + ((i / 2) % 2) * 8, 2 * t + i % 2 + (i >= 4 ? 8 : 0)};
}
std::pair<int64_t, int64_t> fragmentB(int64_t lane, int64_t i) {
  int64_t g = lane / 4, t = lane % 4;
  return {2 * t + i % 2 + (i >= 2 ? 8 : 0), g};
}
std::pair<int64_t, int64_t> fragmentC(int64_t lane, int64_t i) {
  int64_t g = lane / 4, t = lane % 4;
  return {g + (i >= 2 ? 8 : 0), 2 * t + i % 2};
}

class WarpEmulator {
public:
  WarpEmulator(scf::ForallOp forall, OpBuilder &b)
      : forall(forall), b(b), loc(forall.getLoc()),
        laneIv(forall.getInductionVar(forall.getRank() - 1)) {}

  LogicalResult run();

private:
  scf::ForallOp forall;
  OpBuilder &b;
  Location loc;
  Value laneIv;
  /// Original values that differ between lanes.
  DenseSet<Value> varying;
  /// Original lane-independent values -> their emulated values.
  IRMapping uniform;
  /// Original varying values -> every lane's copy (see warpType).
  DenseMap<Value, Value> lanes;
  /// Original varying tensors -> one tensor per lane.
  DenseMap<Value, SmallVector<Value>> laneTensors;

  void findVarying();
  LogicalResult emulate(Operation &op);
  LogicalResult emulateLoop(scf::ForOp loop);
  LogicalResult emulateElementwise(Operation &op);
  LogicalResult emulateMma(nvgpu::MmaSyncOp op);
  LogicalResult emulateShuffle(gpu::ShuffleOp op);
  LogicalResult emulateGather(Operation &op, Value source, ValueRange indices,
                              Type resultType);
  LogicalResult emulatePerLane(Operation &op);
  LogicalResult emulateTerminator(scf::InParallelOp old,
                                  scf::InParallelOp emulated);

  bool isVarying(Value v) const { return varying.contains(v); }
  Value uniformOf(Value v) const { return uniform.lookupOrDefault(v); }
  Value shuffle(Value v1, Value v2, ArrayRef<int64_t> mask) {
    return vector::ShuffleOp::create(b, loc, v1, v2, mask);
  }
  /// Every lane's copy of `v` (broadcast when `v` is uniform); null for a
  /// per-lane tensor.
  Value lanesOf(Value v);
  /// Lane `lane`'s copy of `v`, with `v`'s original type.
  Value laneValue(Value v, int64_t lane);
  /// Each lane's scalar of `v` (vector<32 x T>) repeated `n` times.
  Value spread(Value v, int64_t n);
  /// `op`'s operands -> lane `lane`'s copies (built at the insertion point).
  IRMapping laneOperands(Operation &op, int64_t lane);
  /// `op` cloned once per lane, each clone reading that lane's operands.
  SmallVector<Operation *> clonePerLane(Operation &op);
};

void WarpEmulator::findVarying() {
  varying.insert(laneIv);
  bool changed = true;
  auto mark = [&](Value v) { changed |= varying.insert(v).second; };
  auto anyVarying = [&](ValueRange vs) {
    return llvm::any_of(vs, [&](Value v) { return isVarying(v); });
  };
  while (changed) {
    changed = false;
    forall.getBody()->walk([&](Operation *op) {
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
        for (auto [i, init] : llvm::enumerate(loop.getInitArgs()))
          if (isVarying(init) || isVarying(yield.getOperand(i))) {
            mark(loop.getRegionIterArg(i));
            mark(loop.getResult(i));
          }
        return;
      }
      if (auto sh = dyn_cast<gpu::ShuffleOp>(op)) {
        if (isVarying(sh.getValue()))
          mark(sh.getShuffleResult());
        return;
      }
      // Lanes hold different parts of mma's result even for equal inputs.
      if (isa<nvgpu::MmaSyncOp>(op)) {
        mark(op->getResult(0));
        return;
      }
      if (op->getNumRegions() == 0 && anyVarying(op->getOperands()))
        for (Value r : op->getResults())
          mark(r);
    });
  }
}

Value WarpEmulator::lanesOf(Value v) {
  if (isVarying(v))
    return lanes.lookup(v);
  Value u = uniformOf(v);
  auto vecTy = dyn_cast<VectorType>(u.getType());
  if (!vecTy)
    return vector::BroadcastOp::create(b, loc, warpType(u.getType()), u);
  int64_t n = vecTy.getNumElements();
  if (vecTy.getRank() != 1)
    u = vector::ShapeCastOp::create(
        b, loc, VectorType::get({n}, vecTy.getElementType()), u);
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < kLanes * n; ++i)
    mask.push_back(i % n);
  return shuffle(u, u, mask);
}

Value WarpEmulator::laneValue(Value v, int64_t lane) {
  if (!isVarying(v))
    return uniformOf(v);
  Value all = lanes.lookup(v);
  if (!isa<VectorType>(v.getType()))
    return vector::ExtractOp::create(b, loc, all, ArrayRef<int64_t>{lane});
  int64_t n = laneWidth(v.getType());
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < n; ++i)
    mask.push_back(lane * n + i);
  Value flat = shuffle(all, all, mask);
  if (flat.getType() == v.getType())
    return flat;
  return vector::ShapeCastOp::create(b, loc, v.getType(), flat);
}

Value WarpEmulator::spread(Value v, int64_t n) {
  if (n == 1)
    return v;
  SmallVector<int64_t> mask;
  for (int64_t i = 0; i < kLanes * n; ++i)
    mask.push_back(i / n);
  return shuffle(v, v, mask);
}

IRMapping WarpEmulator::laneOperands(Operation &op, int64_t lane) {
  IRMapping m;
  for (Value v : op.getOperands()) {
    auto it = laneTensors.find(v);
    m.map(v, it != laneTensors.end() ? it->second[lane] : laneValue(v, lane));
  }
  return m;
}

SmallVector<Operation *> WarpEmulator::clonePerLane(Operation &op) {
  SmallVector<Operation *> clones;
  for (int64_t lane = 0; lane < kLanes; ++lane) {
    IRMapping m = laneOperands(op, lane);
    clones.push_back(b.clone(op, m));
  }
  return clones;
}

LogicalResult WarpEmulator::emulatePerLane(Operation &op) {
  SmallVector<Operation *> clones = clonePerLane(op);
  for (auto [i, r] : llvm::enumerate(op.getResults())) {
    if (!isa<RankedTensorType>(r.getType()))
      return op.emitError("tfm-emulate-warps: expected a tensor result");
    SmallVector<Value> perLane;
    for (Operation *c : clones)
      perLane.push_back(c->getResult(i));
    laneTensors[r] = std::move(perLane);
  }
  return success();
}

LogicalResult WarpEmulator::emulateElementwise(Operation &op) {
  int64_t n = laneWidth(op.getResult(0).getType());
  SmallVector<Value> operands;
  for (Value v : op.getOperands()) {
    Value all = lanesOf(v);
    if (!all)
      return op.emitError("tfm-emulate-warps: a per-lane tensor feeds '")
             << op.getName() << "'";
    int64_t w = laneWidth(v.getType());
    if (w != n && w != 1)
      return op.emitError("tfm-emulate-warps: cannot emulate '")
             << op.getName() << "' on operands of different shapes";
    operands.push_back(w == n ? all : spread(all, n));
  }
  OperationState state(op.getLoc(), op.getName());
  state.addOperands(operands);
  for (Value r : op.getResults())
    state.addTypes(warpType(r.getType()));
  state.addAttributes(op.getAttrs());
  Operation *e = b.create(state);
  for (auto [r, er] : llvm::zip(op.getResults(), e->getResults()))
    lanes[r] = er;
  return success();
}

LogicalResult WarpEmulator::emulateShuffle(gpu::ShuffleOp op) {
  if (!isVarying(op.getValue())) {
    // Every lane reads the same value.
    uniform.map(op.getShuffleResult(), uniformOf(op.getValue()));
    uniform.map(op.getValid(),
                arith::ConstantOp::create(b, loc, b.getBoolAttr(true)));
    return success();
  }
  std::optional<int64_t> offset = getConstantIntValue(op.getOffset());
  std::optional<int64_t> width = getConstantIntValue(op.getWidth());
  if (op.getMode() != gpu::ShuffleMode::XOR || !offset || width != kLanes ||
      *offset < 0 || *offset >= kLanes || !op.getValid().use_empty())
    return op.emitError("tfm-emulate-warps: only a full-warp gpu.shuffle xor "
                        "by a constant, its 'valid' result unused, is "
                        "emulated");
  int64_t n = laneWidth(op.getValue().getType());
  Value all = lanes.lookup(op.getValue());
  lanes[op.getShuffleResult()] =
      shuffle(all, all, laneMask(n, [&](int64_t lane, int64_t i) {
                return (lane ^ *offset) * n + i;
              }));
  return success();
}

LogicalResult WarpEmulator::emulateMma(nvgpu::MmaSyncOp op) {
  auto aTy = cast<VectorType>(op.getMatrixA().getType());
  auto bTy = cast<VectorType>(op.getMatrixB().getType());
  auto cTy = cast<VectorType>(op.getMatrixC().getType());
  Type elt = aTy.getElementType();
  if (op.getMmaShapeAsArray() != std::array<int64_t, 3>{16, 8, 16} ||
      !(elt.isF16() || elt.isBF16()) || bTy.getElementType() != elt ||
      !cTy.getElementType().isF32() || aTy.getNumElements() != 8 ||
      bTy.getNumElements() != 4 || cTy.getNumElements() != 4)
    return op.emitError("tfm-emulate-warps: only mma.sync m16n8k16 on "
                        "f16/bf16 with f32 accumulation is emulated");
  Type f32 = b.getF32Type();
  auto widen = [&](Value v, int64_t n) {
    return arith::ExtFOp::create(b, loc, VectorType::get({n}, f32), v)
        .getResult();
  };
  Value a = widen(lanesOf(op.getMatrixA()), kLanes * 8);
  Value bm = widen(lanesOf(op.getMatrixB()), kLanes * 4);
  Value d = lanesOf(op.getMatrixC());
  // Where A[m][k] and B[k][n] live in the lane-major fragments.
  int64_t posA[16][16], posB[16][8];
  for (int64_t lane = 0; lane < kLanes; ++lane) {
    for (int64_t i = 0; i < 8; ++i) {
      auto [m, k] = fragmentA(lane, i);
      posA[m][k] = lane * 8 + i;
    }
    for (int64_t i = 0; i < 4; ++i) {
      auto [k, n] = fragmentB(lane, i);
      posB[k][n] = lane * 4 + i;
    }
  }
  // D[m][n] = C[m][n] + sum over k of A[m][k]·B[k][n], laid out as C: for
  // each k, the A and B elements every output element needs, side by side.
  for (int64_t k = 0; k < 16; ++k) {
    Value ak = shuffle(a, a, laneMask(4, [&](int64_t lane, int64_t i) {
                         return posA[fragmentC(lane, i).first][k];
                       }));
    Value bk = shuffle(bm, bm, laneMask(4, [&](int64_t lane, int64_t i) {
                         return posB[k][fragmentC(lane, i).second];
                       }));
    d = math::FmaOp::create(b, loc, ak, bk, d);
  }
  lanes[op.getRes()] = d;
  return success();
}

LogicalResult WarpEmulator::emulateGather(Operation &op, Value source,
                                          ValueRange indices, Type resultType) {
  if (laneTensors.count(source) || isVarying(source))
    return op.emitError("tfm-emulate-warps: reads of a per-lane tensor are "
                        "not emulated");
  Value src = uniformOf(source);
  auto srcTy = cast<RankedTensorType>(src.getType());
  int64_t rank = srcTy.getRank();
  if (rank == 0)
    return op.emitError("tfm-emulate-warps: expected a ranked tensor");
  // Every lane's linear position in the flattened source.
  Value lin = lanesOf(indices[0]);
  for (int64_t i = 1; i < rank; ++i) {
    Value dim = getValueOrCreateConstantIndexOp(
        b, loc, tensor::getMixedSize(b, loc, src, i));
    Value scaled = arith::MulIOp::create(b, loc, lin, lanesOf(dim));
    lin = arith::AddIOp::create(b, loc, scaled, lanesOf(indices[i]));
  }
  int64_t n = laneWidth(resultType);
  if (n > 1) {
    SmallVector<int64_t> offsets;
    for (int64_t i = 0; i < kLanes * n; ++i)
      offsets.push_back(i % n);
    auto idxTy = VectorType::get({kLanes * n}, b.getIndexType());
    Value spreadLin = spread(lin, n);
    Value within =
        arith::ConstantOp::create(b, loc, idxTy, b.getIndexVectorAttr(offsets));
    lin = arith::AddIOp::create(b, loc, spreadLin, within);
  }
  Value flat = src;
  if (rank > 1) {
    ReassociationIndices all;
    for (int64_t i = 0; i < rank; ++i)
      all.push_back(i);
    flat = tensor::CollapseShapeOp::create(b, loc, src,
                                           ArrayRef<ReassociationIndices>{all});
  }
  VectorType ty = warpType(resultType);
  auto maskTy = VectorType::get(ty.getShape(), b.getI1Type());
  Value mask = arith::ConstantOp::create(
      b, loc, maskTy, DenseElementsAttr::get(maskTy, b.getBoolAttr(true)));
  Value pass = arith::ConstantOp::create(
      b, loc, ty,
      DenseElementsAttr::get(ty, b.getZeroAttr(ty.getElementType())));
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  lanes[op.getResult(0)] = vector::GatherOp::create(
      b, loc, ty, flat, ValueRange{zero}, lin, mask, pass);
  return success();
}

LogicalResult WarpEmulator::emulateLoop(scf::ForOp loop) {
  for (Value v : {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()})
    if (isVarying(v))
      return loop.emitError("tfm-emulate-warps: the loop's bounds differ "
                            "between lanes (lanes must run the same "
                            "iterations)");
  SmallVector<Value> inits;
  for (auto [arg, init] :
       llvm::zip(loop.getRegionIterArgs(), loop.getInitArgs())) {
    if (laneTensors.count(init))
      return loop.emitError("tfm-emulate-warps: per-lane tensors cannot be "
                            "loop-carried");
    inits.push_back(isVarying(arg) ? lanesOf(init) : uniformOf(init));
  }
  LogicalResult status = success();
  auto emulated = scf::ForOp::create(
      b, loop.getLoc(), uniformOf(loop.getLowerBound()),
      uniformOf(loop.getUpperBound()), uniformOf(loop.getStep()), inits,
      [&](OpBuilder &, Location, Value iv, ValueRange args) {
        uniform.map(loop.getInductionVar(), iv);
        for (auto [arg, e] : llvm::zip(loop.getRegionIterArgs(), args)) {
          if (isVarying(arg))
            lanes[arg] = e;
          else
            uniform.map(arg, e);
        }
        for (Operation &inner : loop.getBody()->without_terminator())
          if (failed(status = emulate(inner)))
            break;
        SmallVector<Value> yields(args.begin(), args.end());
        if (succeeded(status)) {
          auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
          for (auto [i, y] : llvm::enumerate(yield.getOperands())) {
            Value e =
                isVarying(loop.getRegionIterArg(i)) ? lanesOf(y) : uniformOf(y);
            if (!e) {
              status = yield.emitError("tfm-emulate-warps: per-lane tensors "
                                       "cannot be loop-carried");
              break;
            }
            yields[i] = e;
          }
        }
        scf::YieldOp::create(b, loop.getLoc(), yields);
      });
  for (auto [arg, r, e] : llvm::zip(loop.getRegionIterArgs(), loop.getResults(),
                                    emulated.getResults())) {
    if (isVarying(arg))
      lanes[r] = e;
    else
      uniform.map(r, e);
  }
  return status;
}

LogicalResult WarpEmulator::emulate(Operation &op) {
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return emulateLoop(loop);
  if (auto sh = dyn_cast<gpu::ShuffleOp>(op))
    return emulateShuffle(sh);
  if (auto mma = dyn_cast<nvgpu::MmaSyncOp>(op))
    return emulateMma(mma);
  bool anyVarying = false;
  op.walk([&](Operation *inner) {
    for (Value v : inner->getOperands())
      anyVarying |= isVarying(v) || laneTensors.count(v);
  });
  if (!anyVarying) {
    b.clone(op, uniform);
    return success();
  }
  if (op.getNumRegions() != 0)
    return op.emitError("tfm-emulate-warps: '")
           << op.getName()
           << "' has regions and uses values that differ between lanes";
  return TypeSwitch<Operation *, LogicalResult>(&op)
      .Case([&](vector::FromElementsOp e) {
        // The elements side by side (element-major), then lane-major.
        int64_t n = e.getType().getNumElements();
        Value cat = lanesOf(e.getElements()[0]);
        for (int64_t i = 1; i < n; ++i) {
          SmallVector<int64_t> all;
          for (int64_t j = 0; j < kLanes * (i + 1); ++j)
            all.push_back(j);
          cat = shuffle(cat, lanesOf(e.getElements()[i]), all);
        }
        lanes[e.getResult()] =
            shuffle(cat, cat, laneMask(n, [](int64_t lane, int64_t i) {
                      return i * kLanes + lane;
                    }));
        return success();
      })
      .Case([&](vector::ExtractOp e) -> LogicalResult {
        if (e.hasDynamicPosition())
          return e.emitError("tfm-emulate-warps: expected a static position");
        VectorType srcTy = e.getSourceVectorType();
        auto [offset, size] = slab(srcTy.getShape(), e.getStaticPosition());
        int64_t n = srcTy.getNumElements();
        Value all = lanesOf(e.getSource());
        lanes[e.getResult()] =
            shuffle(all, all, laneMask(size, [&](int64_t lane, int64_t i) {
                      return lane * n + offset + i;
                    }));
        return success();
      })
      .Case([&](vector::InsertOp e) -> LogicalResult {
        if (e.hasDynamicPosition())
          return e.emitError("tfm-emulate-warps: expected a static position");
        VectorType destTy = e.getDestVectorType();
        auto [offset, size] = slab(destTy.getShape(), e.getStaticPosition());
        int64_t n = destTy.getNumElements();
        SmallVector<int64_t> mask = laneMask(n, [&](int64_t lane, int64_t i) {
          return i >= offset && i < offset + size
                     ? kLanes * n + lane * size + (i - offset)
                     : lane * n + i;
        });
        Value dest = lanesOf(e.getDest());
        Value value = lanesOf(e.getValueToStore());
        lanes[e.getResult()] = shuffle(dest, value, mask);
        return success();
      })
      .Case([&](vector::ShapeCastOp e) {
        // Lane-major and flat whatever the shape: nothing moves.
        lanes[e.getResult()] = lanesOf(e.getSource());
        return success();
      })
      .Case([&](vector::TransferReadOp e) -> LogicalResult {
        if (e.getMask() || e.getVectorType().getRank() != 1 ||
            !e.getPermutationMap().isMinorIdentity() ||
            llvm::any_of(e.getInBoundsValues(), [](bool b) { return !b; }))
          return e.emitError("tfm-emulate-warps: only unmasked in-bounds "
                             "1-D reads along the innermost dimension are "
                             "emulated");
        return emulateGather(op, e.getBase(), e.getIndices(), e.getType());
      })
      .Case([&](tensor::ExtractOp e) {
        return emulateGather(op, e.getTensor(), e.getIndices(), e.getType());
      })
      .Case<tensor::ExtractSliceOp, vector::TransferWriteOp>(
          [&](Operation *) { return emulatePerLane(op); })
      .Default([&](Operation *) -> LogicalResult {
        auto scalarOrVector = [](Type t) {
          return t.isIntOrIndexOrFloat() ||
                 (isa<VectorType>(t) &&
                  cast<VectorType>(t).getElementType().isIntOrIndexOrFloat());
        };
        if (op.hasTrait<OpTrait::Elementwise>() && op.getNumResults() > 0 &&
            llvm::all_of(op.getOperandTypes(), scalarOrVector) &&
            llvm::all_of(op.getResultTypes(), scalarOrVector))
          return emulateElementwise(op);
        return op.emitError("tfm-emulate-warps: cannot emulate '")
               << op.getName() << "' on values that differ between lanes";
      });
}

LogicalResult WarpEmulator::emulateTerminator(scf::InParallelOp old,
                                              scf::InParallelOp emulated) {
  for (Operation &op : old.getYieldingOps()) {
    bool perLane = llvm::any_of(op.getOperands(), [&](Value v) {
      return isVarying(v) || laneTensors.count(v);
    });
    if (!perLane) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToEnd(emulated.getBody());
      b.clone(op, uniform);
      continue;
    }
    // Each lane's operands are read before the terminator, which may only
    // hold the parallel inserts.
    SmallVector<IRMapping> perLaneMaps;
    for (int64_t lane = 0; lane < kLanes; ++lane)
      perLaneMaps.push_back(laneOperands(op, lane));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToEnd(emulated.getBody());
    for (IRMapping &m : perLaneMaps)
      b.clone(op, m);
  }
  return success();
}

LogicalResult WarpEmulator::run() {
  int64_t rank = forall.getRank();
  std::optional<int64_t> lanesUb =
      getConstantIntValue(forall.getMixedUpperBound().back());
  std::optional<int64_t> lanesLb =
      getConstantIntValue(forall.getMixedLowerBound().back());
  std::optional<int64_t> lanesStep =
      getConstantIntValue(forall.getMixedStep().back());
  if (rank < 2 || lanesUb != kLanes || lanesLb != 0 || lanesStep != 1)
    return forall.emitError("tfm-emulate-warps: a forall with warp-wide ops "
                            "must have an innermost dimension of 32 lanes "
                            "(0 to 32, step 1) under at least one other");
  for (Operation &op : forall.getTerminator().getYieldingOps())
    if (!isa<tensor::ParallelInsertSliceOp>(op))
      return op.emitError("tfm-emulate-warps: expected tensor.parallel_"
                          "insert_slice");
  findVarying();

  b.setInsertionPoint(forall);
  auto drop = [](SmallVector<OpFoldResult> v) {
    v.pop_back();
    return v;
  };
  auto emulated = scf::ForallOp::create(
      b, loc, drop(forall.getMixedLowerBound()),
      drop(forall.getMixedUpperBound()), drop(forall.getMixedStep()),
      forall.getOutputs(), std::nullopt, nullptr);
  for (int64_t i = 0; i + 1 < rank; ++i)
    uniform.map(forall.getInductionVar(i), emulated.getInductionVar(i));
  for (auto [old, e] :
       llvm::zip(forall.getRegionIterArgs(), emulated.getRegionIterArgs()))
    uniform.map(old, e);

  b.setInsertionPoint(emulated.getTerminator());
  SmallVector<int64_t> laneIds;
  for (int64_t lane = 0; lane < kLanes; ++lane)
    laneIds.push_back(lane);
  lanes[laneIv] = arith::ConstantOp::create(
      b, loc, VectorType::get({kLanes}, b.getIndexType()),
      b.getIndexVectorAttr(laneIds));
  for (Operation &op : forall.getBody()->without_terminator())
    if (failed(emulate(op)))
      return failure();
  if (failed(
          emulateTerminator(forall.getTerminator(), emulated.getTerminator())))
    return failure();
  forall.replaceAllUsesWith(emulated.getResults());
  forall.erase();
  return success();
}

struct TfmEmulateWarpsPass
    : mlir::tfm::impl::TfmEmulateWarpsBase<TfmEmulateWarpsPass> {
  void runOnOperation() override {
    SmallVector<scf::ForallOp> warps;
    getOperation()->walk([&](scf::ForallOp op) {
      bool warpOps = op.getBody()
                         ->walk([](Operation *inner) {
                           return isa<nvgpu::MmaSyncOp, gpu::ShuffleOp>(inner)
                                      ? WalkResult::interrupt()
                                      : WalkResult::advance();
                         })
                         .wasInterrupted();
      if (warpOps)
        warps.push_back(op);
    });
    OpBuilder b(&getContext());
    for (scf::ForallOp op : warps) {
      WarpEmulator emulator(op, b);
      if (failed(emulator.run()))
        return signalPassFailure();
    }
  }
};

} // namespace
