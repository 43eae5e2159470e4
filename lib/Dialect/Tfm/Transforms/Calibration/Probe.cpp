//===- Probe.cpp - run a copy of a model and observe its values ---*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Calibration.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Parser/Parser.h"

#include <cstring>

using namespace mlir;
using namespace mlir::tfm;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Moves the body of every tfm.block in `fn` in front of it and forwards its
/// results to what it yields: blocks only group ops, so the function computes
/// the same, and every value now dominates the return. `forwarded` maps each
/// erased block result to the value that replaced it.
static void dissolveBlocks(func::FuncOp fn, DenseMap<Value, Value> &forwarded) {
  SmallVector<BlockOp> blocks;
  fn.walk<WalkOrder::PostOrder>([&](BlockOp b) { blocks.push_back(b); });
  for (BlockOp b : blocks) {
    Block &body = b.getBody().front();
    YieldOp yield = b.getYield();
    SmallVector<Value> yielded(yield.getValues());
    yield.erase();
    for (auto [arg, input] : llvm::zip(body.getArguments(), b.getInputs()))
      arg.replaceAllUsesWith(input);
    b->getBlock()->getOperations().splice(b->getIterator(), body.getOperations());
    b->replaceAllUsesWith(yielded);
    for (auto [result, value] : llvm::zip(b->getResults(), yielded))
      forwarded[result] = value;
    b.erase();
  }
}

ProbedExecutable::~ProbedExecutable() = default;

llvm::Expected<std::unique_ptr<ProbedExecutable>>
ProbedExecutable::compile(ModuleOp module, func::FuncOp entry,
                          ArrayRef<Value> probes) {
  // Expose the probes on a copy, in the caller's context.
  IRMapping mapping;
  OwningOpRef<ModuleOp> copy = cast<ModuleOp>(module->clone(mapping));
  auto fn = cast<func::FuncOp>(mapping.lookup(entry.getOperation()));
  SmallVector<Value> extra;
  for (Value p : probes) {
    if (!isa<RankedTensorType>(p.getType()))
      return makeError("a probed value is not a ranked tensor");
    extra.push_back(mapping.lookup(p));
  }
  DenseMap<Value, Value> forwarded;
  dissolveBlocks(fn, forwarded);
  for (Value &v : extra)
    while (forwarded.count(v))
      v = forwarded.lookup(v);
  auto ret = cast<func::ReturnOp>(fn.getBody().back().getTerminator());
  unsigned numResults = ret.getNumOperands();
  ret.getOperandsMutable().append(extra);
  SmallVector<Type> resultTypes(ret.getOperandTypes());
  SmallVector<DictionaryAttr> resultAttrs;
  for (unsigned i = 0; i < resultTypes.size(); ++i)
    resultAttrs.push_back(i < numResults ? fn.getResultAttrDict(i) : DictionaryAttr());
  fn.setFunctionType(
      FunctionType::get(fn.getContext(), fn.getArgumentTypes(), resultTypes));
  fn.setAllResultAttrs(resultAttrs);

  // Move it into a context of its own: compiling loads dialects and
  // translation interfaces, which a pass must not do to the context it runs
  // in.
  std::string bytes;
  {
    llvm::raw_string_ostream os(bytes);
    if (failed(writeBytecodeToFile(*copy, os)))
      return makeError("cannot serialise the probed module");
  }
  std::unique_ptr<ProbedExecutable> probed(new ProbedExecutable());
  probed->context =
      std::make_unique<MLIRContext>(module->getContext()->getDialectRegistry());
  probed->numResults = numResults;
  ParserConfig config(probed->context.get());
  OwningOpRef<ModuleOp> moved = parseSourceString<ModuleOp>(bytes, config);
  if (!moved)
    return makeError("cannot read the probed module back");
  auto exe = CPUExecutable::compile(*moved, fn.getSymName());
  if (!exe)
    return exe.takeError();
  probed->exe = std::move(*exe);
  return probed;
}

llvm::Expected<ProbedExecutable::Outputs>
ProbedExecutable::run(const std::vector<npy::Array> &args) {
  auto all = exe->run(args);
  if (!all)
    return all.takeError();
  Outputs out;
  for (unsigned i = 0; i < all->size(); ++i)
    (i < numResults ? out.results : out.probes).push_back(std::move((*all)[i]));
  return out;
}

//===----------------------------------------------------------------------===//
// Calibration inputs
//===----------------------------------------------------------------------===//

llvm::Expected<std::vector<std::vector<int64_t>>>
mlir::tfm::calibrationSequences(const CalibrationSource &source,
                                int64_t vocabulary) {
  std::vector<std::vector<int64_t>> seqs;
  if (!source.file.empty()) {
    auto array = npy::readFile(source.file);
    if (!array)
      return array.takeError();
    if (array->dtype != npy::DType::I64 || array->shape.size() != 2)
      return makeError("calibration file " + source.file +
                       " must hold int64 token ids [N, T], not " +
                       npy::dtypeName(array->dtype) + " " +
                       npy::formatShape(array->shape));
    int64_t n = array->shape[0], t = array->shape[1];
    if (n == 0 || t == 0)
      return makeError("calibration file " + source.file + " holds no tokens");
    const auto *ids = reinterpret_cast<const int64_t *>(array->data.data());
    for (int64_t s = 0; s < n; ++s) {
      seqs.emplace_back(ids + s * t, ids + (s + 1) * t);
      for (int64_t id : seqs.back())
        if (id < 0 || id >= vocabulary)
          return makeError("calibration file " + source.file + ": token id " +
                           std::to_string(id) + " is outside the vocabulary [0, " +
                           std::to_string(vocabulary) + ")");
    }
    return seqs;
  }
  if (source.sequences <= 0 || source.length <= 0)
    return makeError("sequences and length must be positive");
  if (source.firstToken >= vocabulary)
    return makeError("first-token " + std::to_string(source.firstToken) +
                     " is outside the vocabulary [0, " +
                     std::to_string(vocabulary) + ")");
  // A fixed first token (BOS) does not recur: later tokens are drawn from
  // the rest of the vocabulary.
  int64_t avoid = source.firstToken >= 0 ? source.firstToken : source.avoidToken;
  bool skip = avoid >= 0 && avoid < vocabulary;
  if (skip && vocabulary < 2)
    return makeError("a vocabulary of one token leaves nothing after the first");
  std::mt19937_64 rng(source.seed);
  std::uniform_int_distribution<int64_t> token(0, vocabulary - 1 - (skip ? 1 : 0));
  for (int64_t s = 0; s < source.sequences; ++s) {
    std::vector<int64_t> seq(source.length);
    for (int64_t &id : seq) {
      id = token(rng);
      if (skip && id >= avoid)
        ++id;
    }
    if (source.firstToken >= 0)
      seq[0] = source.firstToken;
    seqs.push_back(std::move(seq));
  }
  return seqs;
}

int64_t mlir::tfm::tokenIdsArgument(func::FuncOp entry) {
  // Arguments that index an embedding, less those named as token types,
  // segments or positions (BERT's token_type_ids index a table too).
  SmallVector<int64_t> candidates;
  for (BlockArgument arg : entry.getArguments()) {
    auto name = entry.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "tfm.name");
    if (tokenEmbedding(arg) &&
        !(name && (name.getValue().contains_insensitive("type") ||
                   name.getValue().contains_insensitive("segment") ||
                   name.getValue().contains_insensitive("position"))))
      candidates.push_back(arg.getArgNumber());
  }
  return candidates.size() == 1 ? candidates.front() : -1;
}

int64_t mlir::tfm::vocabularySize(func::FuncOp entry) {
  int64_t idsArg = tokenIdsArgument(entry);
  if (idsArg < 0)
    return 0;
  EmbeddingOp emb = tokenEmbedding(entry.getArgument(idsArg));
  int64_t rows = emb.getTable().getType().getDimSize(0);
  return ShapedType::isDynamic(rows) ? 0 : rows;
}

bool mlir::tfm::isPositionIdsArgument(func::FuncOp entry, unsigned i) {
  auto name = entry.getArgAttrOfType<StringAttr>(i, "tfm.name");
  return name && name.getValue().contains_insensitive("position");
}

llvm::Expected<std::vector<npy::Array>>
mlir::tfm::calibrationInputs(const std::vector<TensorSignature> &signature,
                             func::FuncOp entry, ArrayRef<int64_t> tokens) {
  int64_t idsArg = tokenIdsArgument(entry);
  if (idsArg < 0)
    return makeError("@" + entry.getSymName() +
                     " has no single token ids argument (an integer argument "
                     "indexing a tfm.embedding): run --tfm-raise first");
  std::vector<npy::Array> args;
  int64_t t = tokens.size();
  for (unsigned i = 0; i < signature.size(); ++i) {
    const TensorSignature &sig = signature[i];
    // What each argument holds, by its name: token ids; position ids
    // (0..T-1); a padding mask (all ones: no padding); token type ids (0).
    enum class Fill { Ids, Positions, Ones, Zeros } fill = Fill::Ids;
    auto nameAttr = entry.getArgAttrOfType<StringAttr>(i, "tfm.name");
    StringRef name = nameAttr ? nameAttr.getValue() : "";
    if (static_cast<int64_t>(i) != idsArg) {
      if (isPositionIdsArgument(entry, i))
        fill = Fill::Positions;
      else if (name.contains_insensitive("mask"))
        fill = Fill::Ones;
      else if (name.contains_insensitive("type") || name.contains_insensitive("segment"))
        fill = Fill::Zeros;
      else
        return makeError("argument " + std::to_string(i) + " of @" +
                         entry.getSymName() + (name.empty() ? "" : " ('" + name.str() + "')") +
                         " is not token ids, position ids, a padding mask or "
                         "token type ids: a calibration run cannot fill it");
    }
    if (!(sig.dtype == npy::DType::I64 ||
          (fill == Fill::Ones && (sig.dtype == npy::DType::Bool || npy::isFloating(sig.dtype)))) ||
        sig.shape.size() != 2 ||
        (sig.shape[0] >= 0 && sig.shape[0] != 1) ||
        (sig.shape[1] >= 0 && sig.shape[1] != t))
      return makeError("argument " + std::to_string(i) + " of @" +
                       entry.getSymName() + " must be int64 [batch, sequence] " +
                       "taking [1, " + std::to_string(t) + "], not " +
                       npy::dtypeName(sig.dtype) + " " + npy::formatShape(sig.shape));
    npy::Array a;
    a.dtype = sig.dtype;
    a.shape = {1, t};
    a.data.resize(t * npy::dtypeSize(sig.dtype));
    for (int64_t p = 0; p < t; ++p)
      npy::storeFromDouble(a, p,
                           fill == Fill::Ids         ? static_cast<double>(tokens[p])
                           : fill == Fill::Positions ? static_cast<double>(p)
                           : fill == Fill::Ones      ? 1.0
                                                     : 0.0);
    args.push_back(std::move(a));
  }
  return args;
}

std::vector<float> mlir::tfm::toFloats(const npy::Array &array) {
  std::vector<float> out(array.numElements());
  if (array.dtype == npy::DType::F32) {
    std::memcpy(out.data(), array.data.data(), out.size() * sizeof(float));
    return out;
  }
  for (size_t i = 0; i < out.size(); ++i)
    out[i] = npy::loadAsDouble(array, i);
  return out;
}

SmallVector<BlockOp> mlir::tfm::topLevelBlocks(func::FuncOp entry) {
  SmallVector<BlockOp> blocks;
  for (Operation &op : entry.getBody().getOps())
    if (auto b = dyn_cast<BlockOp>(op))
      blocks.push_back(b);
  return blocks;
}
