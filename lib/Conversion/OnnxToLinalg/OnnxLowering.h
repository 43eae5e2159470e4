//===- OnnxLowering.h - shared pieces of convert-onnx-to-linalg ---*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Private to lib/Conversion/OnnxToLinalg. Every ONNX operator is legalised by
// a lowering function registered, with the opset range it implements, in the
// table the files of this directory fill (Elementwise.cpp, Shape.cpp,
// Indexing.cpp, Reduction.cpp, MatMul.cpp). The helpers below build the IR
// the lowerings share: broadcasting linalg.generics, reshapes, reductions, and
// element-wise access to small (shape) tensors that folds through constants,
// tensor.from_elements and static reshapes/slices.
//
// A lowering either replaces the node (replaceNode) and returns success, or
// returns failure through failNode before it has changed any IR.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_CONVERSION_ONNXTOLINALG_ONNXLOWERING_H
#define TFM_LIB_CONVERSION_ONNXTOLINALG_ONNXLOWERING_H

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::tfm::onnx {

//===----------------------------------------------------------------------===//
// The table of lowerings
//===----------------------------------------------------------------------===//

using LoweringFn = LogicalResult (*)(OnnxNodeOp, PatternRewriter &);

/// `fn` legalises `opType` (default domain) for opsets [since, until].
struct OpLowering {
  llvm::StringLiteral opType;
  int64_t since;
  int64_t until;
  LoweringFn fn;
};

/// The newest opset whose operator semantics the table was written against
/// (ONNX 1.16). Later opsets only added element types to the operators
/// covered, but they are rejected until someone checks.
constexpr int64_t kMaxOpset = 21;

void appendElementwiseLowerings(SmallVectorImpl<OpLowering> &table);
void appendShapeLowerings(SmallVectorImpl<OpLowering> &table);
void appendIndexingLowerings(SmallVectorImpl<OpLowering> &table);
void appendReductionLowerings(SmallVectorImpl<OpLowering> &table);
void appendMatMulLowerings(SmallVectorImpl<OpLowering> &table);

/// The lowering of (domain, opType, version), or null.
LoweringFn lookupLowering(StringRef domain, StringRef opType, int64_t version);

/// Legalises `op` with its table entry (failing, with a reason, when there is
/// none or its operand types are not handled).
LogicalResult lowerNode(OnnxNodeOp op, PatternRewriter &rewriter);

//===----------------------------------------------------------------------===//
// Results and diagnostics
//===----------------------------------------------------------------------===//

/// Reports why `op` cannot be legalised (through notifyMatchFailure) and
/// returns failure.
LogicalResult failNode(PatternRewriter &rewriter, OnnxNodeOp op,
                       const Twine &reason);

/// The declared type of result `i` if it is a ranked tensor, else null.
RankedTensorType resultType(OnnxNodeOp op, unsigned i = 0);

/// Whether result `i` exists and is used by the graph (not `none`).
bool hasResult(OnnxNodeOp op, unsigned i);

/// Replaces `op` with `values` (one per result; a null value for a `none`
/// result), casting each to the declared result type when they differ only
/// in static versus dynamic extents.
void replaceNode(PatternRewriter &rewriter, OnnxNodeOp op,
                 ArrayRef<Value> values);

/// replaceNode for a node computing only its first result: the others, which
/// nothing may read, become `none`.
void replaceFirstResult(PatternRewriter &rewriter, OnnxNodeOp op, Value first);

//===----------------------------------------------------------------------===//
// Scalars and types
//===----------------------------------------------------------------------===//

/// f32 for narrower floats, else the type itself.
Type computeType(Type elementType);
bool isFloat(Type t);

Value indexConst(OpBuilder &b, Location loc, int64_t v);
Value intConst(OpBuilder &b, Location loc, Type t, int64_t v);
Value floatConst(OpBuilder &b, Location loc, Type t, double v);
/// A constant of type `t` (float or integer) with value `v`.
Value scalarConst(OpBuilder &b, Location loc, Type t, double v);

/// Converts a scalar with ONNX Cast semantics: float to integer truncates
/// toward zero, anything to i1 is `!= 0`, i1 to numbers is 0/1, integers
/// are sign-extended (zero-extended when `srcUnsigned`).
Value castScalar(OpBuilder &b, Location loc, Value v, Type to,
                 bool srcUnsigned = false, bool dstUnsigned = false);

/// An integer scalar (any width) or index as index / as i64.
Value toIndex(OpBuilder &b, Location loc, Value v);
Value toI64(OpBuilder &b, Location loc, Value v);

/// The constant integer held by `ofr` or by the op defining the value.
std::optional<int64_t> constInt(OpFoldResult ofr);

/// Folding index arithmetic.
OpFoldResult addOfr(OpBuilder &b, Location loc, OpFoldResult x, OpFoldResult y);
OpFoldResult mulOfr(OpBuilder &b, Location loc, OpFoldResult x, OpFoldResult y);
Value ofrToValue(OpBuilder &b, Location loc, OpFoldResult ofr);
/// An index OpFoldResult from an index value: an attribute when constant.
OpFoldResult foldIndex(Value v);

//===----------------------------------------------------------------------===//
// Tensors
//===----------------------------------------------------------------------===//

/// Tensors with at most this many elements (static shape) are computed
/// element by element as scalars: shapes and indices fold that way.
constexpr int64_t kScalarizeLimit = 16;

/// Whether `type` is static with at most kScalarizeLimit elements.
bool isSmallStatic(ShapedType type);

int64_t normalizeAxis(int64_t axis, int64_t rank);

/// Extent `d` of `t`: an attribute when static.
OpFoldResult dimOfr(OpBuilder &b, Location loc, Value t, int64_t d);
SmallVector<OpFoldResult> tensorSizes(OpBuilder &b, Location loc, Value t);
Value emptyTensor(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                  Type elementType);
/// The extents as a shape with kDynamic where not constant.
SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes);

/// Element `index` (row-major linear) of a statically shaped tensor, found
/// without building IR: an attribute for constants, a value for
/// tensor.from_elements operands; looks through tensor.cast, static
/// expand/collapse_shape and static-offset extract_slice. Null if unknown.
OpFoldResult lookupElement(Value tensor, int64_t index);

/// lookupElement, else a tensor.extract at the linear index.
Value extractElement(OpBuilder &b, Location loc, Value tensor, int64_t index);

/// tensor.extract at `indices` (index values), folding when they are all
/// constant.
Value extractAt(OpBuilder &b, Location loc, Value tensor, ValueRange indices);

/// All elements of a static tensor (row-major), as scalars.
SmallVector<Value> extractElements(OpBuilder &b, Location loc, Value tensor);

/// The elements of a static integer tensor, if all are known constants.
std::optional<SmallVector<int64_t>> getConstantInts(Value tensor);
/// The elements of a static float tensor, if all are known constants.
std::optional<SmallVector<double>> getConstantFloats(Value tensor);

/// A tensor of `type` (static) holding `elements` (row-major); folds to a
/// constant when they all are.
Value fromElements(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<Value> elements);

/// Reshapes `x` to `sizes` (same number of elements): a collapse/expand_shape
/// when a reassociation exists, else through one dimension.
Value reshapeTo(OpBuilder &b, Location loc, Value x,
                ArrayRef<OpFoldResult> sizes);

/// Numpy broadcast extents of `inputs` for a result of rank `rank`, static
/// where `declared` (may be null) or an input says so. A dimension dynamic in
/// several inputs takes the first one's extent (assumed equal).
SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                         ValueRange inputs, int64_t rank,
                                         RankedTensorType declared);

/// The map reading `input` (rank <= rank) broadcast into a rank-`rank`
/// iteration space of `sizes` (right-aligned; dimensions statically 1 that
/// are not statically 1 in `sizes` are broadcast).
AffineMap broadcastMap(MLIRContext *ctx, Value input,
                       ArrayRef<OpFoldResult> sizes);

using ScalarFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// An element-wise computation over `sizes` with numpy broadcasting of
/// `inputs`: a linalg.generic, or scalars in a tensor.from_elements when the
/// result is small and static and the inputs are static.
Value buildElementwise(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                       Type resultElementType, ValueRange inputs, ScalarFn fn);

/// A linalg.generic over `sizes` (all parallel) reading `inputs` through
/// `maps`. `fn` may use linalg.index.
Value buildGeneric(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                   Type resultElementType, ValueRange inputs,
                   ArrayRef<AffineMap> maps, ScalarFn fn);

/// Converts every element of `t` to `elementType` (ONNX Cast semantics).
Value convertTensor(OpBuilder &b, Location loc, Value t, Type elementType);

/// Reduces `x` over the dimensions with `reduced[d]` set: the result has the
/// other dimensions. `combine(acc, value)` folds one element in (the element
/// is first mapped by `map` if given); the accumulator starts at `init`.
Value buildReduction(OpBuilder &b, Location loc, Value x,
                     ArrayRef<bool> reduced, Value init,
                     function_ref<Value(OpBuilder &, Location, Value, Value)>
                         combine,
                     function_ref<Value(OpBuilder &, Location, Value)> map = {});

/// The map from the iteration space of `x` (rank `rank`) to the tensor that
/// reduced the `reduced` dimensions away.
AffineMap keptDimsMap(MLIRContext *ctx, ArrayRef<bool> reduced);

/// Largest/smallest value of a float or integer type (-inf/+inf for floats).
Value lowestValue(OpBuilder &b, Location loc, Type t);
Value highestValue(OpBuilder &b, Location loc, Type t);

/// Reads the optional axes of reductions and squeezes: the INTS attribute
/// `attrName` when `fromInput` is false, else input `inputIndex` (which must
/// be constant). Returns failure (and reason) if not constant.
FailureOr<std::optional<SmallVector<int64_t>>>
readAxes(OnnxNodeOp op, bool fromInput, unsigned inputIndex,
         StringRef attrName = "axes");

} // namespace mlir::tfm::onnx

#endif // TFM_LIB_CONVERSION_ONNXTOLINALG_ONNXLOWERING_H
