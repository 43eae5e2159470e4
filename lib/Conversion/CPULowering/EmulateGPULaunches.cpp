//===- EmulateGPULaunches.cpp - gpu.launch kernels run on the CPU ---------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Rewrites each `gpu.launch` of host code into loops that run its blocks
// one after the other and, within a block, its threads one after the
// other. A block-wide operation (`gpu.all_reduce`, `gpu.barrier`) at the
// top level of the kernel body splits the body into phases: every thread
// runs a phase before any thread starts the next one, as a barrier
// guarantees on the GPU. A value one phase defines and a later phase uses
// is kept per thread in a scratch buffer of the block's size; an
// all-reduce folds its operand's per-thread copies in thread order, and
// its result is then the same value for every thread of the next phases.
//
// The order threads and blocks run in is a choice the GPU does not make:
// `reverse=1` runs them last to first, so that a kernel whose result
// depends on that order (a race) gives different results both ways.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMEMULATEGPULAUNCHES
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// Ops of the kernel body that run for every thread, and the block-wide op
/// that ends them (null for the last phase).
struct Phase {
  SmallVector<Operation *> ops;
  Operation *end = nullptr;
};

bool isBlockWide(Operation *op) {
  return isa<gpu::AllReduceOp, gpu::BarrierOp>(op);
}

/// The three coordinates of `linear` in a box of extents `sizes` (x
/// fastest).
std::array<Value, 3> delinearize(OpBuilder &b, Location loc, Value linear,
                                 const std::array<Value, 3> &sizes) {
  Value x = arith::RemUIOp::create(b, loc, linear, sizes[0]);
  Value rest = arith::DivUIOp::create(b, loc, linear, sizes[0]);
  Value y = arith::RemUIOp::create(b, loc, rest, sizes[1]);
  Value z = arith::DivUIOp::create(b, loc, rest, sizes[1]);
  return {x, y, z};
}

/// Ops every phase recomputes rather than keeping per thread: constants
/// and the thread's coordinates.
bool isRematerialized(Operation *op) {
  return op->hasTrait<OpTrait::ConstantLike>() ||
         isa<gpu::BlockIdOp, gpu::ThreadIdOp, gpu::GridDimOp, gpu::BlockDimOp,
             gpu::LaneIdOp>(op);
}

Value dimOf(const std::array<Value, 3> &v, gpu::Dimension d) {
  return v[static_cast<unsigned>(d)];
}

class LaunchEmulator {
public:
  LaunchEmulator(gpu::LaunchOp launch, bool reverse)
      : launch(launch), loc(launch.getLoc()), reverse(reverse) {}

  LogicalResult run();

private:
  gpu::LaunchOp launch;
  Location loc;
  bool reverse;
  SmallVector<Phase> phases;
  /// Which phase each op of the body (top level) belongs to.
  DenseMap<Operation *, unsigned> phaseOf;
  /// Values crossing a phase boundary -> their per-thread scratch buffer
  /// (in the order of the body, for deterministic output).
  llvm::MapVector<Value, Value> scratch;
  std::array<Value, 3> grid, block;

  LogicalResult split();
  /// A loop over [0, n) whose induction variable counts down under
  /// `reverse`; returns the position, the builder left inside the loop.
  Value loopOver(OpBuilder &b, Value n);
  void runPhase(OpBuilder &b, const Phase &phase, unsigned index,
                const std::array<Value, 3> &blockIds, IRMapping &uniform,
                Value threads);
  Value reduce(OpBuilder &b, gpu::AllReduceOp op, const IRMapping &uniform,
               Value threads);
};

LogicalResult LaunchEmulator::split() {
  if (!launch.getAsyncDependencies().empty() || launch.getAsyncToken() ||
      launch.hasClusterSize() || launch.getDynamicSharedMemorySize() ||
      launch.getNumWorkgroupAttributions() ||
      launch.getNumPrivateAttributions())
    return launch.emitError(
        "tfm-emulate-gpu-launches: expected a synchronous launch without "
        "clusters, dynamic shared memory or memory attributions");
  if (!launch.getBody().hasOneBlock())
    return launch.emitError("tfm-emulate-gpu-launches: expected a kernel body "
                            "of one block (structured control flow)");
  Block &body = launch.getBody().front();
  phases.emplace_back();
  for (Operation &op : body.without_terminator()) {
    phaseOf[&op] = phases.size() - 1;
    if (!isBlockWide(&op)) {
      phases.back().ops.push_back(&op);
      continue;
    }
    auto reduce = dyn_cast<gpu::AllReduceOp>(op);
    if (reduce && !reduce.getOp())
      return op.emitError("tfm-emulate-gpu-launches: an all-reduce with a "
                          "region is not supported (expected a reduction "
                          "kind)");
    phases.back().end = &op;
    phases.emplace_back();
  }
  // What cannot run one thread at a time: a block-wide op under control
  // flow (threads would wait at different points) and warp-wide ops.
  WalkResult walk = body.walk([&](Operation *op) -> WalkResult {
    if (isBlockWide(op) && op->getBlock() != &body) {
      op->emitError("tfm-emulate-gpu-launches: a block-wide operation "
                    "inside control flow cannot be emulated");
      return WalkResult::interrupt();
    }
    if (isa<gpu::ShuffleOp, gpu::SubgroupReduceOp, gpu::SubgroupIdOp,
            gpu::NumSubgroupsOp, gpu::SubgroupSizeOp>(op) ||
        op->getDialect()->getNamespace() == "nvvm" ||
        op->getDialect()->getNamespace() == "nvgpu") {
      op->emitError("tfm-emulate-gpu-launches: warp-level operation cannot "
                    "be emulated thread by thread");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // Values defined by one phase and used by a later one (or reduced at
  // the end of their own) are kept per thread.
  for (Operation &op : body.without_terminator()) {
    if (isBlockWide(&op) || isRematerialized(&op))
      continue;
    unsigned defPhase = phaseOf.lookup(&op);
    for (Value result : op.getResults()) {
      bool crosses = llvm::any_of(result.getUsers(), [&](Operation *user) {
        Operation *top = body.findAncestorOpInBlock(*user);
        return isBlockWide(top) || phaseOf.lookup(top) != defPhase;
      });
      if (!crosses)
        continue;
      Type t = result.getType();
      if (!t.isIntOrIndexOrFloat() && !isa<VectorType>(t))
        return op.emitError("tfm-emulate-gpu-launches: a value of type ")
               << t << " crosses a block-wide operation";
      scratch[result] = Value();
    }
  }
  return success();
}

Value LaunchEmulator::loopOver(OpBuilder &b, Value n) {
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  auto loop = scf::ForOp::create(b, loc, zero, n, one);
  b.setInsertionPoint(loop.getBody()->getTerminator());
  Value iv = loop.getInductionVar();
  if (!reverse)
    return iv;
  return arith::SubIOp::create(b, loc, arith::SubIOp::create(b, loc, n, one),
                               iv);
}

void LaunchEmulator::runPhase(OpBuilder &b, const Phase &phase, unsigned index,
                              const std::array<Value, 3> &blockIds,
                              IRMapping &uniform, Value threads) {
  OpBuilder::InsertionGuard guard(b);
  Value thread = loopOver(b, threads);
  std::array<Value, 3> threadIds = delinearize(b, loc, thread, block);
  IRMapping map = uniform;
  Block &body = launch.getBody().front();
  for (auto [arg, v] :
       llvm::zip(body.getArguments().take_front(12),
                 llvm::concat<const Value>(blockIds, threadIds, grid, block)))
    map.map(arg, v);
  // This thread's copies of what earlier phases computed.
  for (auto [v, buffer] : scratch) {
    Operation *def = v.getDefiningOp();
    if (phaseOf.lookup(def) < index &&
        llvm::any_of(v.getUsers(), [&](Operation *user) {
          Operation *top = body.findAncestorOpInBlock(*user);
          return !isBlockWide(top) && phaseOf.lookup(top) == index;
        }))
      map.map(v, memref::LoadOp::create(b, loc, buffer, thread));
  }
  auto emit = [&](Operation *op) {
    Value replacement =
        TypeSwitch<Operation *, Value>(op)
            .Case([&](gpu::BlockIdOp id) {
              return dimOf(blockIds, id.getDimension());
            })
            .Case([&](gpu::ThreadIdOp id) {
              return dimOf(threadIds, id.getDimension());
            })
            .Case(
                [&](gpu::GridDimOp d) { return dimOf(grid, d.getDimension()); })
            .Case([&](gpu::BlockDimOp d) {
              return dimOf(block, d.getDimension());
            })
            .Case([&](gpu::LaneIdOp) {
              Value linear = arith::AddIOp::create(
                  b, loc, threadIds[0],
                  arith::MulIOp::create(
                      b, loc, block[0],
                      arith::AddIOp::create(
                          b, loc, threadIds[1],
                          arith::MulIOp::create(b, loc, block[1],
                                                threadIds[2]))));
              return arith::RemUIOp::create(
                  b, loc, linear, arith::ConstantIndexOp::create(b, loc, 32));
            })
            .Default([](Operation *) { return Value(); });
    if (replacement) {
      map.map(op->getResult(0), replacement);
      return;
    }
    Operation *copy = b.clone(*op, map);
    for (auto [from, to] : llvm::zip(op->getResults(), copy->getResults()))
      if (Value buffer = scratch.lookup(from))
        memref::StoreOp::create(b, loc, to, buffer, thread);
  };
  for (const Phase &earlier : ArrayRef(phases).take_front(index))
    for (Operation *op : earlier.ops)
      if (isRematerialized(op))
        emit(op);
  for (Operation *op : phase.ops)
    emit(op);
}

Value LaunchEmulator::reduce(OpBuilder &b, gpu::AllReduceOp op,
                             const IRMapping &uniform, Value threads) {
  // Each thread's operand: its scratch copy, or the one value every thread
  // has (defined above the launch or by an earlier block-wide op).
  Value buffer = scratch.lookup(op.getValue());
  auto operandOf = [&](Value thread) -> Value {
    if (buffer)
      return memref::LoadOp::create(b, loc, buffer, thread);
    return uniform.lookupOrDefault(op.getValue());
  };
  // Thread order, first to last (or last to first under `reverse`).
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value one = arith::ConstantIndexOp::create(b, loc, 1);
  Value last = arith::SubIOp::create(b, loc, threads, one);
  Value first = operandOf(reverse ? last : zero);
  auto loop = scf::ForOp::create(b, loc, one, threads, one, first);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(loop.getBody());
  Value pos = loop.getInductionVar();
  if (reverse)
    pos = arith::SubIOp::create(b, loc, last, pos);
  Value next = operandOf(pos);
  Value acc =
      vector::makeArithReduction(b, loc, gpu::convertReductionKind(*op.getOp()),
                                 next, loop.getRegionIterArgs()[0]);
  scf::YieldOp::create(b, loc, acc);
  return loop.getResult(0);
}

LogicalResult LaunchEmulator::run() {
  if (failed(split()))
    return failure();
  OpBuilder b(launch);
  grid = {launch.getGridSizeX(), launch.getGridSizeY(), launch.getGridSizeZ()};
  block = {launch.getBlockSizeX(), launch.getBlockSizeY(),
           launch.getBlockSizeZ()};
  Value threads = arith::MulIOp::create(
      b, loc, arith::MulIOp::create(b, loc, block[0], block[1]), block[2]);
  Value blocks = arith::MulIOp::create(
      b, loc, arith::MulIOp::create(b, loc, grid[0], grid[1]), grid[2]);
  for (auto &[v, buffer] : scratch)
    buffer = memref::AllocOp::create(
        b, loc, MemRefType::get({ShapedType::kDynamic}, v.getType()),
        ValueRange{threads});
  {
    OpBuilder::InsertionGuard guard(b);
    Value blockLinear = loopOver(b, blocks);
    std::array<Value, 3> blockIds = delinearize(b, loc, blockLinear, grid);
    // Results of block-wide ops: the same in every thread.
    IRMapping uniform;
    for (auto [i, phase] : llvm::enumerate(phases)) {
      runPhase(b, phase, i, blockIds, uniform, threads);
      if (auto reduceOp = dyn_cast_or_null<gpu::AllReduceOp>(phase.end))
        uniform.map(reduceOp.getResult(),
                    reduce(b, reduceOp, uniform, threads));
    }
  }
  for (auto &[v, buffer] : scratch)
    memref::DeallocOp::create(b, loc, buffer);
  launch->erase();
  return success();
}

struct TfmEmulateGPULaunchesPass
    : mlir::tfm::impl::TfmEmulateGPULaunchesBase<TfmEmulateGPULaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<gpu::LaunchOp> launches;
    getOperation()->walk([&](gpu::LaunchOp op) { launches.push_back(op); });
    for (gpu::LaunchOp launch : launches)
      if (failed(LaunchEmulator(launch, reverse).run()))
        return signalPassFailure();
  }
};

} // namespace
