//===- OutlineBlocks.cpp - the tfm-outline-blocks pass ------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmOps.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMOUTLINEBLOCKS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

/// The function as text under a fixed name: equal keys mean interchangeable
/// functions.
static std::string structuralKey(func::FuncOp fn) {
  std::string name = fn.getSymName().str();
  fn.setSymName("__tfm_outline_key__");
  std::string key;
  llvm::raw_string_ostream os(key);
  fn->print(os, OpPrintingFlags().printGenericOpForm().useLocalScope()
                    .enableDebugInfo(false));
  fn.setSymName(name);
  return key;
}

namespace {
struct TfmOutlineBlocksPass
    : mlir::tfm::impl::TfmOutlineBlocksBase<TfmOutlineBlocksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    llvm::StringMap<func::FuncOp> byKey;
    SmallVector<BlockOp> blocks;
    // Outer blocks first; nested blocks move with their parent's body.
    module.walk<WalkOrder::PreOrder>([&](BlockOp op) {
      blocks.push_back(op);
      return WalkResult::skip();
    });
    unsigned counter = 0;
    for (BlockOp op : blocks) {
      auto parent = op->getParentOfType<func::FuncOp>();
      if (!parent)
        continue;
      Region &body = op.getBody();
      SetVector<Value> captured;
      getUsedValuesDefinedAbove(body, captured);

      SmallVector<Type> argTypes(op.getInputs().getTypes());
      for (Value v : captured)
        argTypes.push_back(v.getType());
      auto fnType = FunctionType::get(&getContext(), argTypes,
                                      op.getResultTypes());
      OpBuilder b(parent);
      std::string name = (parent.getSymName() + "_" +
                          stringifyBlockKind(op.getKind()) + "_block" +
                          std::to_string(counter++))
                             .str();
      auto fn = func::FuncOp::create(b, op.getLoc(), name, fnType);
      fn.setPrivate();
      Block *entry = fn.addEntryBlock();
      // Body: block arguments map to the first arguments, captures to the
      // rest; tfm.yield becomes func.return.
      IRMapping mapping;
      for (auto [from, to] : llvm::zip(body.getArguments(),
                                       entry->getArguments().take_front(
                                           op.getInputs().size())))
        mapping.map(from, to);
      for (auto [from, to] :
           llvm::zip(captured, entry->getArguments().drop_front(
                                   op.getInputs().size())))
        mapping.map(from, to);
      OpBuilder inner = OpBuilder::atBlockEnd(entry);
      for (Operation &nested : body.front().without_terminator())
        inner.clone(nested, mapping);
      SmallVector<Value> results;
      for (Value v : op.getYield().getValues())
        results.push_back(mapping.lookupOrDefault(v));
      func::ReturnOp::create(inner, op.getLoc(), results);

      // Share structurally identical layers.
      std::string key = structuralKey(fn);
      auto [it, inserted] = byKey.try_emplace(key, fn);
      if (!inserted) {
        fn.erase();
        fn = it->second;
      } else {
        symbols.insert(fn);
      }
      SmallVector<Value> operands(op.getInputs());
      operands.append(captured.begin(), captured.end());
      OpBuilder callBuilder(op);
      auto call = func::CallOp::create(callBuilder, op.getLoc(), fn, operands);
      op.replaceAllUsesWith(call.getResults());
      op.erase();
    }
  }
};
} // namespace
