//===- TfmOps.cpp - tfm ops: verifiers and type inference ---------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;

#include "tfm/Dialect/Tfm/IR/TfmEnums.cpp.inc"

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

/// Two extents agree if either is unknown or they are equal.
static bool extentsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

static std::string extentStr(int64_t d) {
  return ShapedType::isDynamic(d) ? std::string("?") : std::to_string(d);
}

/// Ranked tensor types agree if their element types are equal and their
/// shapes are compatible (dynamic extents match anything).
static bool tensorTypesCompatible(TypeRange lhs, TypeRange rhs) {
  if (lhs.size() != rhs.size())
    return false;
  for (auto [l, r] : llvm::zip(lhs, rhs)) {
    auto lt = dyn_cast<RankedTensorType>(l);
    auto rt = dyn_cast<RankedTensorType>(r);
    if (!lt || !rt || lt.getElementType() != rt.getElementType() ||
        failed(verifyCompatibleShape(lt, rt)))
      return false;
  }
  return true;
}

/// Extent `d` divided by `n`, or dynamic.
static int64_t divExtent(int64_t d, int64_t n) {
  return ShapedType::isDynamic(d) ? ShapedType::kDynamic : d / n;
}

//===----------------------------------------------------------------------===//
// LinearOp
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                         LinearOp::Adaptor adaptor,
                                         SmallVectorImpl<Type> &inferred) {
  auto inputTy = dyn_cast<RankedTensorType>(adaptor.getInput().getType());
  auto weightTy = dyn_cast<RankedTensorType>(adaptor.getWeight().getType());
  if (!inputTy || !weightTy)
    return emitOptionalError(loc, "input and weight must be ranked tensors");
  if (inputTy.getRank() < 1)
    return emitOptionalError(loc, "input must have rank >= 1, got rank 0");
  if (weightTy.getRank() != 2)
    return emitOptionalError(loc, "weight must be 2-D [K, N], got rank ",
                             weightTy.getRank());
  SmallVector<int64_t> shape(inputTy.getShape());
  shape.back() = weightTy.getDimSize(1);
  inferred.push_back(RankedTensorType::get(shape, inputTy.getElementType()));
  return success();
}

bool LinearOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return tensorTypesCompatible(l, r);
}

LogicalResult LinearOp::verify() {
  RankedTensorType inputTy = getInput().getType();
  RankedTensorType weightTy = getWeight().getType();
  // Ranks first: type inference runs after this verifier.
  if (inputTy.getRank() < 1)
    return emitOpError("input must have rank >= 1, got rank 0");
  if (weightTy.getRank() != 2)
    return emitOpError("weight must be 2-D [K, N], got rank ")
           << weightTy.getRank();
  Type elt = inputTy.getElementType();
  if (weightTy.getElementType() != elt)
    return emitOpError("weight element type ")
           << weightTy.getElementType() << " does not match input element type "
           << elt;
  int64_t k = inputTy.getShape().back();
  if (!extentsAgree(k, getInFeatures()))
    return emitOpError("input feature size ")
           << k << " does not match weight rows " << getInFeatures();
  if (Value bias = getBias()) {
    auto biasTy = cast<RankedTensorType>(bias.getType());
    if (biasTy.getElementType() != elt)
      return emitOpError("bias element type ")
             << biasTy.getElementType() << " does not match input element type "
             << elt;
    if (biasTy.getRank() != 1)
      return emitOpError("bias must be 1-D [N], got rank ") << biasTy.getRank();
    if (!extentsAgree(biasTy.getDimSize(0), getOutFeatures()))
      return emitOpError("bias size ")
             << biasTy.getDimSize(0) << " does not match weight columns "
             << getOutFeatures();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            AttentionOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto queryTy = dyn_cast<RankedTensorType>(adaptor.getQuery().getType());
  auto valueTy = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!queryTy || !valueTy || queryTy.getRank() != 3 || valueTy.getRank() != 3)
    return emitOptionalError(
        loc, "query, key and value must be rank-3 [batch, seq, heads*dim]");
  int64_t heads = adaptor.getNumHeads();
  int64_t kvHeads =
      adaptor.getNumKvHeads() ? static_cast<int64_t>(*adaptor.getNumKvHeads()) : heads;
  if (heads <= 0 || kvHeads <= 0)
    return emitOptionalError(loc, "head counts must be positive");
  int64_t valueDim = divExtent(valueTy.getDimSize(2), kvHeads);
  int64_t width =
      ShapedType::isDynamic(valueDim) ? ShapedType::kDynamic : heads * valueDim;
  inferred.push_back(RankedTensorType::get(
      {queryTy.getDimSize(0), queryTy.getDimSize(1), width},
      queryTy.getElementType()));
  return success();
}

bool AttentionOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return tensorTypesCompatible(l, r);
}

int64_t AttentionOp::getHeadDim() {
  return divExtent(getQuery().getType().getDimSize(2), getNumHeads());
}

int64_t AttentionOp::getValueHeadDim() {
  return divExtent(getValue().getType().getDimSize(2), getKvHeads());
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<APFloat> s = getScale())
    return s->convertToDouble();
  return 1.0 / std::sqrt(static_cast<double>(getHeadDim()));
}

/// Checks that the mask operand `name` (`mask` or `bias_mask`) of type
/// `maskTy` has an element type the op accepts and broadcasts to `target`
/// ([B, H, Sq, Skv] or [B, H, Sq, P], right-aligned). `lastAxis` names the
/// last dimension in messages.
static LogicalResult verifyMaskOperand(AttentionOp op, StringRef name,
                                       RankedTensorType maskTy,
                                       ArrayRef<int64_t> target,
                                       StringRef lastAxis) {
  Type elt = op.getQuery().getType().getElementType();
  if (!maskTy.getElementType().isInteger(1) && maskTy.getElementType() != elt)
    return op.emitOpError()
           << name << " must be i1 (true = visible) or have the query element "
           << "type " << elt << ", got " << maskTy.getElementType();
  int64_t rank = maskTy.getRank();
  if (rank < 2 || rank > 4)
    return op.emitOpError()
           << name << " must have rank 2 to 4 (broadcast to [batch, heads, "
           << "query, " << lastAxis << "]), got rank " << rank;
  StringRef names[] = {"batch", "heads", "query", lastAxis};
  for (int64_t i = 0; i < rank; ++i) {
    int64_t axis = 4 - rank + i;
    int64_t m = maskTy.getDimSize(i);
    if (m == 1 || extentsAgree(m, target[axis]))
      continue;
    return op.emitOpError()
           << name << " dimension " << i << " (" << names[axis]
           << ") has size " << m << ", which does not broadcast to "
           << extentStr(target[axis]);
  }
  return success();
}

LogicalResult AttentionOp::verify() {
  RankedTensorType qTy = getQuery().getType(), kTy = getKey().getType(),
                   vTy = getValue().getType();
  // Ranks first: type inference runs after this verifier.
  if (qTy.getRank() != 3 || kTy.getRank() != 3 || vTy.getRank() != 3)
    return emitOpError("query, key and value must be rank-3 [batch, seq, "
                       "heads*dim]");
  Type elt = qTy.getElementType();
  if (kTy.getElementType() != elt || vTy.getElementType() != elt)
    return emitOpError("query, key and value must share one element type");
  for (RankedTensorType t : {qTy, kTy, vTy})
    if (t.isDynamicDim(2))
      return emitOpError("the feature (last) dimension of query, key and "
                         "value must be static");

  int64_t heads = getNumHeads(), kvHeads = getKvHeads();
  if (heads % kvHeads != 0)
    return emitOpError("num_heads (")
           << heads << ") must be a multiple of num_kv_heads (" << kvHeads << ")";
  if (qTy.getDimSize(2) % heads != 0)
    return emitOpError("query width ")
           << qTy.getDimSize(2) << " is not divisible by num_heads (" << heads
           << ")";
  if (kTy.getDimSize(2) % kvHeads != 0)
    return emitOpError("key width ")
           << kTy.getDimSize(2) << " is not divisible by num_kv_heads ("
           << kvHeads << ")";
  if (vTy.getDimSize(2) % kvHeads != 0)
    return emitOpError("value width ")
           << vTy.getDimSize(2) << " is not divisible by num_kv_heads ("
           << kvHeads << ")";
  int64_t d = getHeadDim(), dk = kTy.getDimSize(2) / kvHeads,
          dv = getValueHeadDim();
  if (d != dk)
    return emitOpError("query head dim ")
           << d << " does not match key head dim " << dk;
  if (!extentsAgree(qTy.getDimSize(0), kTy.getDimSize(0)) ||
      !extentsAgree(qTy.getDimSize(0), vTy.getDimSize(0)) ||
      !extentsAgree(kTy.getDimSize(0), vTy.getDimSize(0)))
    return emitOpError("query, key and value batch sizes differ");
  if (!extentsAgree(kTy.getDimSize(1), vTy.getDimSize(1)))
    return emitOpError("key and value sequence lengths differ (")
           << extentStr(kTy.getDimSize(1)) << " vs "
           << extentStr(vTy.getDimSize(1)) << ")";

  if (std::optional<APFloat> s = getScale())
    if (!s->isFiniteNonZero())
      return emitOpError("scale must be finite and non-zero");

  int64_t sq = qTy.getDimSize(1), skv = kTy.getDimSize(1);
  // Bottom-right causal alignment: with more queries than keys (and no
  // always-visible bias slot) the first queries would see nothing.
  if (getCausal() && !getKeyBias() && !ShapedType::isDynamic(sq) &&
      !ShapedType::isDynamic(skv) && sq > skv)
    return emitOpError("causal attention with more queries (")
           << sq << ") than keys (" << skv << "): the first " << sq - skv
           << " queries would see no key";
  int64_t batch = qTy.getDimSize(0);
  if (Value mask = getMask())
    if (failed(verifyMaskOperand(*this, "mask",
                                 cast<RankedTensorType>(mask.getType()),
                                 {batch, heads, sq, skv}, "key")))
      return failure();

  Value kb = getKeyBias(), vb = getValueBias();
  if (static_cast<bool>(kb) != static_cast<bool>(vb))
    return emitOpError("key_bias and value_bias must be given together");
  if (kb) {
    auto kbTy = cast<RankedTensorType>(kb.getType());
    auto vbTy = cast<RankedTensorType>(vb.getType());
    if (kbTy.getElementType() != elt || vbTy.getElementType() != elt)
      return emitOpError("bias slots must have the query element type ") << elt;
    if (kbTy.getRank() != 3 || vbTy.getRank() != 3)
      return emitOpError("bias slots must be rank-3 [kv_heads, slots, dim]");
    if (!extentsAgree(kbTy.getDimSize(0), kvHeads) ||
        !extentsAgree(vbTy.getDimSize(0), kvHeads))
      return emitOpError("bias slots must have num_kv_heads (")
             << kvHeads << ") rows in dimension 0";
    if (!extentsAgree(kbTy.getDimSize(1), vbTy.getDimSize(1)))
      return emitOpError("key_bias and value_bias slot counts differ (")
             << extentStr(kbTy.getDimSize(1)) << " vs "
             << extentStr(vbTy.getDimSize(1)) << ")";
    if (!extentsAgree(kbTy.getDimSize(2), d))
      return emitOpError("key_bias head dim ")
             << extentStr(kbTy.getDimSize(2)) << " does not match key head dim "
             << d;
    if (!extentsAgree(vbTy.getDimSize(2), dv))
      return emitOpError("value_bias head dim ")
             << extentStr(vbTy.getDimSize(2))
             << " does not match value head dim " << dv;
  }
  if (Value biasMask = getBiasMask()) {
    if (!kb)
      return emitOpError("bias_mask needs key_bias and value_bias (it masks "
                         "the bias slots)");
    int64_t slots = cast<RankedTensorType>(kb.getType()).getDimSize(1);
    if (failed(verifyMaskOperand(*this, "bias_mask",
                                 cast<RankedTensorType>(biasMask.getType()),
                                 {batch, heads, sq, slots}, "slot")))
      return failure();
  }

  auto alpha = getAlpha(), beta = getBeta(), gamma = getGamma();
  if (alpha || beta || gamma) {
    if (!alpha || !beta || !gamma)
      return emitOpError("shaped attention needs all of alpha, beta and gamma");
    for (auto [name, coeffs] : {std::pair{"alpha", *alpha},
                                std::pair{"beta", *beta},
                                std::pair{"gamma", *gamma}})
      if (static_cast<int64_t>(coeffs.size()) != heads)
        return emitOpError("shaped-attention ")
               << name << " has " << coeffs.size()
               << " entries, expected one per head (" << heads << ")";
    if (kb)
      return emitOpError("shaped attention cannot use key/value bias slots");
    if (!extentsAgree(sq, skv))
      return emitOpError("shaped attention needs equal query and key lengths, "
                         "got ")
             << extentStr(sq) << " and " << extentStr(skv);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// NormOp
//===----------------------------------------------------------------------===//

/// Checks an optional per-feature vector operand against `features`.
static LogicalResult verifyFeatureVector(Operation *op, Value v,
                                         StringRef name, int64_t features,
                                         Type elt) {
  if (!v)
    return success();
  auto ty = cast<RankedTensorType>(v.getType());
  if (ty.getElementType() != elt)
    return op->emitOpError() << name << " element type " << ty.getElementType()
                             << " does not match input element type " << elt;
  if (ty.getRank() != 1)
    return op->emitOpError() << name << " must be 1-D, got rank "
                             << ty.getRank();
  if (!extentsAgree(ty.getDimSize(0), features))
    return op->emitOpError() << name << " size " << ty.getDimSize(0)
                             << " does not match the feature size "
                             << features;
  return success();
}

LogicalResult NormOp::verify() {
  RankedTensorType ty = getInput().getType();
  if (ty.getRank() < 1)
    return emitOpError("input must have rank >= 1, got rank 0");
  if (getEpsilon().isNegative() || !getEpsilon().isFinite())
    return emitOpError("epsilon must be finite and non-negative");
  int64_t n = ty.getShape().back();
  if (failed(verifyFeatureVector(*this, getScale(), "scale", n,
                                 ty.getElementType())) ||
      failed(verifyFeatureVector(*this, getShift(), "shift", n,
                                 ty.getElementType())))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ResidualOp
//===----------------------------------------------------------------------===//

LogicalResult ResidualOp::verify() {
  if (getBranches().empty())
    return emitOpError("needs at least one branch");
  if (getAlpha() && !getSkip())
    return emitOpError("alpha is the skip gain and needs a skip operand");
  if (auto betas = getBetas())
    if (betas->size() != getBranches().size())
      return emitOpError("has ")
             << betas->size() << " betas for " << getBranches().size()
             << " branches";
  Type resultTy = getResult().getType();
  for (Value v : getOperands())
    if (v.getType() != resultTy)
      return emitOpError("operand type ")
             << v.getType() << " does not match result type " << resultTy;
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingOp
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            EmbeddingOp::Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  auto idsTy = dyn_cast<RankedTensorType>(adaptor.getIds().getType());
  auto tableTy = dyn_cast<RankedTensorType>(adaptor.getTable().getType());
  if (!idsTy || !tableTy)
    return emitOptionalError(loc, "ids and table must be ranked tensors");
  if (tableTy.getRank() != 2)
    return emitOptionalError(loc, "table must be 2-D [vocab, dim], got rank ",
                             tableTy.getRank());
  SmallVector<int64_t> shape(idsTy.getShape());
  shape.push_back(tableTy.getDimSize(1));
  inferred.push_back(RankedTensorType::get(shape, tableTy.getElementType()));
  return success();
}

bool EmbeddingOp::isCompatibleReturnTypes(TypeRange l, TypeRange r) {
  return tensorTypesCompatible(l, r);
}

LogicalResult EmbeddingOp::verify() {
  // Type inference runs after this verifier.
  if (getTable().getType().getRank() != 2)
    return emitOpError("table must be 2-D [vocab, dim], got rank ")
           << getTable().getType().getRank();
  return success();
}

//===----------------------------------------------------------------------===//
// RotaryOp
//===----------------------------------------------------------------------===//

int64_t RotaryOp::getHeadDim() {
  return divExtent(getInput().getType().getShape().back(), getNumHeads());
}

int64_t RotaryOp::getRotatedDim() {
  if (auto r = getRotaryDim())
    return static_cast<int64_t>(*r);
  return getHeadDim();
}

LogicalResult RotaryOp::verify() {
  RankedTensorType ty = getInput().getType();
  auto tableTy = cast<RankedTensorType>(getCos().getType());
  if (ty.getRank() < 2)
    return emitOpError("input must have rank >= 2 [..., seq, heads*dim], got "
                       "rank ")
           << ty.getRank();
  if (tableTy.getElementType() != ty.getElementType())
    return emitOpError("cos/sin element type ")
           << tableTy.getElementType() << " does not match input element type "
           << ty.getElementType();
  int64_t width = ty.getShape().back();
  if (ShapedType::isDynamic(width))
    return emitOpError("the feature (last) dimension must be static");
  int64_t heads = getNumHeads();
  if (width % heads != 0)
    return emitOpError("input width ")
           << width << " is not divisible by num_heads (" << heads << ")";
  int64_t d = width / heads, r = getRotatedDim();
  if (r % 2 != 0 || r > d)
    return emitOpError("rotary_dim (")
           << r << ") must be even and at most the head dim (" << d << ")";
  int64_t tableRank = tableTy.getRank();
  if (tableRank < 2 || tableRank > ty.getRank())
    return emitOpError("cos/sin must have rank 2 to ")
           << ty.getRank() << " [..., seq, rotary_dim/2], got rank "
           << tableRank;
  if (!extentsAgree(tableTy.getShape().back(), r / 2))
    return emitOpError("cos/sin last dimension ")
           << tableTy.getShape().back() << " must be rotary_dim/2 = " << r / 2;
  // Leading dims (including seq) broadcast against the input's, right-aligned.
  int64_t offset = ty.getRank() - tableRank;
  for (int64_t i = 0; i + 1 < tableRank; ++i) {
    int64_t t = tableTy.getDimSize(i), x = ty.getDimSize(offset + i);
    bool isSeq = i + 2 == tableRank;
    if ((!isSeq && t == 1) || extentsAgree(t, x))
      continue;
    return emitOpError("cos/sin dimension ")
           << i << " has size " << t << ", which does not "
           << (isSeq ? "match the sequence length " : "broadcast to ")
           << extentStr(x);
  }
  return success();
}

//===----------------------------------------------------------------------===//
// BlockOp
//===----------------------------------------------------------------------===//

YieldOp BlockOp::getYield() {
  return cast<YieldOp>(getBody().front().getTerminator());
}

LogicalResult BlockOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getInputs().size())
    return emitOpError("body has ")
           << body.getNumArguments() << " arguments for " << getInputs().size()
           << " inputs";
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(body.getArgumentTypes(), getInputs())))
    if (std::get<0>(pair) != std::get<1>(pair).getType())
      return emitOpError("body argument ")
             << i << " has type " << std::get<0>(pair) << ", but input " << i
             << " has type " << std::get<1>(pair).getType();
  auto yield = body.empty() ? YieldOp() : dyn_cast<YieldOp>(body.back());
  if (!yield)
    return emitOpError("body must end with tfm.yield");
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError("yields ")
           << yield.getValues().size()
           << " values whose types do not match the block's "
           << getNumResults() << " result types";
  return success();
}

#define GET_OP_CLASSES
#include "tfm/Dialect/Tfm/IR/TfmOps.cpp.inc"

//===----------------------------------------------------------------------===//
// OnnxNodeOp
//===----------------------------------------------------------------------===//

LogicalResult OnnxNodeOp::verify() {
  if (getOpType().empty())
    return emitOpError("needs a non-empty op_type");
  return success();
}

Value OnnxNodeOp::getInput(unsigned i) {
  if (i >= getInputs().size())
    return {};
  Value v = getInputs()[i];
  return isa<NoneType>(v.getType()) ? Value() : v;
}

Attribute OnnxNodeOp::getOnnxAttr(StringRef name) {
  if (auto attrs = getOnnxAttrsAttr())
    return attrs.get(name);
  return {};
}

int64_t OnnxNodeOp::getIntAttr(StringRef name, int64_t defaultValue) {
  if (auto a = dyn_cast_or_null<IntegerAttr>(getOnnxAttr(name)))
    return a.getInt();
  return defaultValue;
}

double OnnxNodeOp::getFloatAttr(StringRef name, double defaultValue) {
  if (auto a = dyn_cast_or_null<FloatAttr>(getOnnxAttr(name)))
    return a.getValueAsDouble();
  return defaultValue;
}

StringRef OnnxNodeOp::getStringAttr(StringRef name, StringRef defaultValue) {
  if (auto a = dyn_cast_or_null<StringAttr>(getOnnxAttr(name)))
    return a.getValue();
  return defaultValue;
}

std::optional<SmallVector<int64_t>> OnnxNodeOp::getIntsAttr(StringRef name) {
  Attribute a = getOnnxAttr(name);
  if (auto ints = dyn_cast_or_null<DenseI64ArrayAttr>(a))
    return SmallVector<int64_t>(ints.asArrayRef());
  if (auto i = dyn_cast_or_null<IntegerAttr>(a))
    return SmallVector<int64_t>{i.getInt()};
  return std::nullopt;
}

SmallVector<int64_t> OnnxNodeOp::getTransposePerm(int64_t rank) {
  if (auto perm = getIntsAttr("perm"))
    return *perm;
  SmallVector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  return reversed;
}

bool mlir::tfm::isDefaultOnnxDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

std::string mlir::tfm::describeOnnxNode(StringRef nodeName, StringRef opType,
                                        StringRef domain, int64_t version) {
  std::string s = "ONNX node";
  if (!nodeName.empty())
    s += " '" + nodeName.str() + "'";
  s += " (op type '" + opType.str() + "', domain '" +
       (isDefaultOnnxDomain(domain) ? std::string("ai.onnx") : domain.str()) +
       "', opset " + std::to_string(version) + ")";
  return s;
}

bool OnnxNodeOp::isDefaultDomain() { return isDefaultOnnxDomain(getDomain()); }

std::optional<bool> OnnxNodeOp::getDropoutTrainingMode() {
  int64_t version = getVersion();
  if (version < 7)
    return getIntAttr("is_test", 0) == 0;
  if (version < 12)
    return false;
  Value mode = getInput(2);
  if (!mode)
    return false;
  DenseElementsAttr attr;
  if (!matchPattern(mode, m_Constant(&attr)) || attr.getNumElements() != 1 ||
      !attr.getElementType().isSignlessInteger())
    return std::nullopt;
  return !(*attr.getValues<APInt>().begin()).isZero();
}

std::string OnnxNodeOp::describe() {
  return describeOnnxNode(getNodeName().value_or(""), getOpType(), getDomain(),
                          getVersion());
}

EmbeddingOp mlir::tfm::tokenEmbedding(Value ids) {
  // Exporters reshape or cast the ids on their way to the table.
  for (Operation *user : ids.getUsers()) {
    if (auto emb = dyn_cast<EmbeddingOp>(user))
      if (emb.getIds() == ids)
        return emb;
    auto node = dyn_cast<OnnxNodeOp>(user);
    if (node && node.getInputs().front() == ids && node->getNumResults() == 1 &&
        llvm::is_contained({"Reshape", "Cast", "Identity", "Squeeze", "Unsqueeze"},
                           node.getOpType()))
      if (EmbeddingOp emb = tokenEmbedding(node->getResult(0)))
        return emb;
  }
  return {};
}
