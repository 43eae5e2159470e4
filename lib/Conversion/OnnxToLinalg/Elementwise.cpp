//===- Elementwise.cpp - element-wise ONNX operators ---------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Arithmetic, comparison, logic, activation and conversion operators: one
// broadcasting linalg.generic each (or scalars for small static tensors).
// Floats narrower than f32 are computed in f32 and rounded back.
//
//===----------------------------------------------------------------------===//

#include "OnnxLowering.h"

#include "mlir/IR/Matchers.h"

#include <cmath>

using namespace mlir;
using namespace mlir::tfm;
using namespace mlir::tfm::onnx;

namespace {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Legalises `op` as the element-wise `fn` of `inputs` (numpy broadcasting)
/// into its first result.
LogicalResult lowerElementwise(OnnxNodeOp op, PatternRewriter &rw,
                               ValueRange inputs, BodyFn fn) {
  RankedTensorType out = resultType(op);
  if (!out)
    return failNode(rw, op, "the result is not a ranked tensor");
  for (Value in : inputs)
    if (!in || cast<RankedTensorType>(in.getType()).getRank() > out.getRank())
      return failNode(rw, op, "an input is missing or has a higher rank than "
                              "the result");
  Location loc = op.getLoc();
  SmallVector<OpFoldResult> sizes =
      broadcastSizes(rw, loc, inputs, out.getRank(), out);
  replaceFirstResult(
      rw, op, buildElementwise(rw, loc, sizes, out.getElementType(), inputs, fn));
  return success();
}

/// All inputs present (variadic operators).
SmallVector<Value> presentInputs(OnnxNodeOp op) {
  SmallVector<Value> inputs;
  for (unsigned i = 0, e = op.getInputs().size(); i < e; ++i)
    if (Value v = op.getInput(i))
      inputs.push_back(v);
  return inputs;
}

/// Runs `fn` on the float arguments converted to the compute type of `elt`
/// and rounds its result back to `elt`. Non-float arguments pass unchanged.
Value inComputeType(OpBuilder &b, Location loc, Type elt, ValueRange args,
                    BodyFn fn) {
  Type ct = computeType(elt);
  SmallVector<Value> converted;
  for (Value a : args)
    converted.push_back(isa<FloatType>(a.getType()) ? castScalar(b, loc, a, ct)
                                                    : a);
  return castScalar(b, loc, fn(b, loc, converted), elt);
}

Value fconst(OpBuilder &b, Location loc, Value like, double v) {
  return floatConst(b, loc, like.getType(), v);
}

//===----------------------------------------------------------------------===//
// Float-only unary operators
//===----------------------------------------------------------------------===//

using UnaryFn = Value (*)(OpBuilder &, Location, Value, OnnxNodeOp);

LogicalResult lowerFloatUnary(OnnxNodeOp op, PatternRewriter &rw,
                              UnaryFn fn) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  if (!isa<FloatType>(elt))
    return failNode(rw, op, "the input must be a float tensor");
  return lowerElementwise(
      op, rw, x, [&](OpBuilder &b, Location loc, ValueRange args) {
        return inComputeType(b, loc, elt, args,
                             [&](OpBuilder &b, Location loc, ValueRange a) {
                               return fn(b, loc, a[0], op);
                             });
      });
}

template <typename MathOp>
Value mathOp(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return MathOp::create(b, loc, x);
}

Value sigmoid(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  Value one = fconst(b, loc, x, 1.0);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(b, loc, one,
                               arith::AddFOp::create(b, loc, one, e));
}

Value reciprocal(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return arith::DivFOp::create(b, loc, fconst(b, loc, x, 1.0), x);
}

Value softplus(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  // log(1 + exp(x)) = max(x, 0) + log(1 + exp(-|x|)), without overflow.
  Value zero = fconst(b, loc, x, 0.0), one = fconst(b, loc, x, 1.0);
  Value ax = math::AbsFOp::create(b, loc, x);
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, ax));
  Value l = math::LogOp::create(b, loc, arith::AddFOp::create(b, loc, one, e));
  return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, zero),
                               l);
}

Value softsign(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  Value one = fconst(b, loc, x, 1.0);
  return arith::DivFOp::create(
      b, loc, x,
      arith::AddFOp::create(b, loc, one, math::AbsFOp::create(b, loc, x)));
}

Value isNegative(OpBuilder &b, Location loc, Value x) {
  return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x,
                               fconst(b, loc, x, 0.0));
}

Value leakyRelu(OpBuilder &b, Location loc, Value x, OnnxNodeOp op) {
  Value alpha = fconst(b, loc, x, op.getFloatAttr("alpha", 0.01));
  return arith::SelectOp::create(b, loc, isNegative(b, loc, x),
                                 arith::MulFOp::create(b, loc, alpha, x), x);
}

Value elu(OpBuilder &b, Location loc, Value x, OnnxNodeOp op) {
  Value alpha = fconst(b, loc, x, op.getFloatAttr("alpha", 1.0));
  Value em1 = arith::SubFOp::create(b, loc, math::ExpOp::create(b, loc, x),
                                    fconst(b, loc, x, 1.0));
  return arith::SelectOp::create(b, loc, isNegative(b, loc, x),
                                 arith::MulFOp::create(b, loc, alpha, em1), x);
}

Value selu(OpBuilder &b, Location loc, Value x, OnnxNodeOp op) {
  Value alpha =
      fconst(b, loc, x, op.getFloatAttr("alpha", 1.67326319217681884765625));
  Value gamma =
      fconst(b, loc, x, op.getFloatAttr("gamma", 1.05070102214813232421875));
  Value neg = arith::SubFOp::create(
      b, loc, arith::MulFOp::create(b, loc, alpha, math::ExpOp::create(b, loc, x)),
      alpha);
  Value le = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLE, x,
                                   fconst(b, loc, x, 0.0));
  return arith::MulFOp::create(b, loc, gamma,
                               arith::SelectOp::create(b, loc, le, neg, x));
}

Value clamp01(OpBuilder &b, Location loc, Value v) {
  v = arith::MinimumFOp::create(b, loc, v, fconst(b, loc, v, 1.0));
  return arith::MaximumFOp::create(b, loc, v, fconst(b, loc, v, 0.0));
}

Value hardSigmoid(OpBuilder &b, Location loc, Value x, OnnxNodeOp op) {
  Value alpha = fconst(b, loc, x, op.getFloatAttr("alpha", 0.2));
  Value beta = fconst(b, loc, x, op.getFloatAttr("beta", 0.5));
  return clamp01(b, loc,
                 arith::AddFOp::create(
                     b, loc, arith::MulFOp::create(b, loc, alpha, x), beta));
}

Value hardSwish(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  Value alpha = fconst(b, loc, x, 1.0 / 6.0), beta = fconst(b, loc, x, 0.5);
  Value hs = clamp01(b, loc,
                     arith::AddFOp::create(
                         b, loc, arith::MulFOp::create(b, loc, alpha, x), beta));
  return arith::MulFOp::create(b, loc, x, hs);
}

Value thresholdedRelu(OpBuilder &b, Location loc, Value x, OnnxNodeOp op) {
  Value alpha = fconst(b, loc, x, op.getFloatAttr("alpha", 1.0));
  Value gt =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, alpha);
  return arith::SelectOp::create(b, loc, gt, x, fconst(b, loc, x, 0.0));
}

Value celu(OpBuilder &b, Location loc, Value x, OnnxNodeOp op) {
  Value alpha = fconst(b, loc, x, op.getFloatAttr("alpha", 1.0));
  Value zero = fconst(b, loc, x, 0.0);
  Value e = math::ExpOp::create(b, loc, arith::DivFOp::create(b, loc, x, alpha));
  Value neg = arith::MulFOp::create(
      b, loc, alpha, arith::SubFOp::create(b, loc, e, fconst(b, loc, x, 1.0)));
  return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, zero),
                               arith::MinimumFOp::create(b, loc, neg, zero));
}

//===----------------------------------------------------------------------===//
// Unary operators on floats and integers
//===----------------------------------------------------------------------===//

/// `ffn` on floats (in the compute type), `ifn` on integers.
LogicalResult lowerNumericUnary(OnnxNodeOp op, PatternRewriter &rw,
                                UnaryFn ffn, UnaryFn ifn) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  if (!isa<FloatType>(elt) && (!ifn || elt.isInteger(1)))
    return failNode(rw, op, "unsupported input element type");
  return lowerElementwise(
      op, rw, x, [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (!isa<FloatType>(elt))
          return ifn(b, loc, args[0], op);
        return inComputeType(b, loc, elt, args,
                             [&](OpBuilder &b, Location loc, ValueRange a) {
                               return ffn(b, loc, a[0], op);
                             });
      });
}

Value negF(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return arith::NegFOp::create(b, loc, x);
}
Value negI(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return b.createOrFold<arith::SubIOp>(loc, intConst(b, loc, x.getType(), 0),
                                       x);
}
Value absF(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return math::AbsFOp::create(b, loc, x);
}
Value absI(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return math::AbsIOp::create(b, loc, x);
}
Value reluF(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return arith::MaximumFOp::create(b, loc, x, fconst(b, loc, x, 0.0));
}
Value reluI(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  return b.createOrFold<arith::MaxSIOp>(loc, x,
                                        intConst(b, loc, x.getType(), 0));
}
Value signF(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  Value zero = fconst(b, loc, x, 0.0);
  Value pos = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, zero);
  Value neg = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, zero);
  Value r = arith::SelectOp::create(b, loc, neg, fconst(b, loc, x, -1.0), x);
  // Zeros and NaNs stay as they are.
  return arith::SelectOp::create(b, loc, pos, fconst(b, loc, x, 1.0), r);
}
Value signI(OpBuilder &b, Location loc, Value x, OnnxNodeOp) {
  Type t = x.getType();
  Value zero = intConst(b, loc, t, 0);
  Value pos = b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::sgt, x,
                                            zero);
  Value neg = b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::slt, x,
                                            zero);
  Value r = b.createOrFold<arith::SelectOp>(loc, neg, intConst(b, loc, t, -1),
                                            zero);
  return b.createOrFold<arith::SelectOp>(loc, pos, intConst(b, loc, t, 1), r);
}

//===----------------------------------------------------------------------===//
// Binary and variadic arithmetic
//===----------------------------------------------------------------------===//

enum class Arith { Add, Sub, Mul, Div, Max, Min };

Value arithScalar(OpBuilder &b, Location loc, Arith kind, Value x, Value y) {
  if (isa<FloatType>(x.getType())) {
    switch (kind) {
    case Arith::Add:
      return arith::AddFOp::create(b, loc, x, y);
    case Arith::Sub:
      return arith::SubFOp::create(b, loc, x, y);
    case Arith::Mul:
      return arith::MulFOp::create(b, loc, x, y);
    case Arith::Div:
      return arith::DivFOp::create(b, loc, x, y);
    case Arith::Max:
      return arith::MaximumFOp::create(b, loc, x, y);
    case Arith::Min:
      return arith::MinimumFOp::create(b, loc, x, y);
    }
  }
  switch (kind) {
  case Arith::Add:
    return b.createOrFold<arith::AddIOp>(loc, x, y);
  case Arith::Sub:
    return b.createOrFold<arith::SubIOp>(loc, x, y);
  case Arith::Mul:
    return b.createOrFold<arith::MulIOp>(loc, x, y);
  case Arith::Div:
    return b.createOrFold<arith::DivSIOp>(loc, x, y);
  case Arith::Max:
    if (x.getType().isInteger(1))
      return b.createOrFold<arith::OrIOp>(loc, x, y);
    return b.createOrFold<arith::MaxSIOp>(loc, x, y);
  case Arith::Min:
    if (x.getType().isInteger(1))
      return b.createOrFold<arith::AndIOp>(loc, x, y);
    return b.createOrFold<arith::MinSIOp>(loc, x, y);
  }
  llvm_unreachable("covered switch");
}

/// Add, Sub, Mul, Div (two inputs) and Max, Min, Sum, Mean (variadic).
template <Arith kind, bool mean = false>
LogicalResult lowerArith(OnnxNodeOp op, PatternRewriter &rw) {
  SmallVector<Value> inputs = presentInputs(op);
  if (inputs.empty())
    return failNode(rw, op, "no inputs");
  RankedTensorType out = resultType(op);
  if (!out)
    return failNode(rw, op, "the result is not a ranked tensor");
  Type elt = out.getElementType();
  for (Value in : inputs)
    if (cast<RankedTensorType>(in.getType()).getElementType() != elt)
      return failNode(rw, op, "inputs and result differ in element type");
  if (mean && !isa<FloatType>(elt))
    return failNode(rw, op, "Mean needs float inputs");
  return lowerElementwise(
      op, rw, inputs, [&](OpBuilder &b, Location loc, ValueRange args) {
        return inComputeType(
            b, loc, elt, args, [&](OpBuilder &b, Location loc, ValueRange a) {
              Value acc = a[0];
              for (Value v : a.drop_front())
                acc = arithScalar(b, loc, kind, acc, v);
              if (mean)
                acc = arith::DivFOp::create(
                    b, loc, acc, fconst(b, loc, acc, double(a.size())));
              return acc;
            });
      });
}

/// The value of a tensor all of whose elements are the same known constant.
std::optional<double> uniformConstant(Value t) {
  if (auto f = getConstantFloats(t)) {
    if (!f->empty() && llvm::all_equal(*f))
      return f->front();
  } else if (auto i = getConstantInts(t)) {
    if (!i->empty() && llvm::all_equal(*i))
      return double(i->front());
  }
  if (auto ty = dyn_cast<RankedTensorType>(t.getType()))
    if (ty.hasStaticShape() && ty.getNumElements() > kScalarizeLimit) {
      DenseElementsAttr dense;
      if (matchPattern(t, m_Constant(&dense)) && dense.isSplat()) {
        Attribute a = dense.getSplatValue<Attribute>();
        if (auto fa = dyn_cast<FloatAttr>(a))
          return fa.getValueAsDouble();
        if (auto ia = dyn_cast<IntegerAttr>(a))
          return double(ia.getInt());
      }
    }
  return std::nullopt;
}

LogicalResult lowerPow(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), y = op.getInput(1);
  if (!x || !y)
    return failNode(rw, op, "an input is missing");
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "Pow of booleans");
  std::optional<double> exponent = uniformConstant(y);
  // Integer bases are computed in f64 (exact for the values that fit).
  Type ct = isa<FloatType>(elt) ? computeType(elt) : rw.getF64Type();
  return lowerElementwise(
      op, rw, ValueRange{x, y},
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        Value base = castScalar(b, loc, args[0], ct);
        Value r;
        if (exponent && *exponent == 1.0) {
          r = base;
        } else if (exponent && *exponent == 2.0) {
          r = arith::MulFOp::create(b, loc, base, base);
        } else if (exponent && *exponent == 3.0) {
          r = arith::MulFOp::create(
              b, loc, arith::MulFOp::create(b, loc, base, base), base);
        } else if (exponent && *exponent == 0.5) {
          r = math::SqrtOp::create(b, loc, base);
        } else if (exponent && *exponent == 0.0) {
          r = floatConst(b, loc, ct, 1.0);
        } else if (exponent && *exponent == -1.0) {
          r = arith::DivFOp::create(b, loc, floatConst(b, loc, ct, 1.0), base);
        } else {
          r = math::PowFOp::create(b, loc, base,
                                   castScalar(b, loc, args[1], ct));
        }
        return castScalar(b, loc, r, elt);
      });
}

LogicalResult lowerMod(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), y = op.getInput(1);
  if (!x || !y)
    return failNode(rw, op, "an input is missing");
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "Mod of booleans");
  bool fmod = op.getIntAttr("fmod", 0) != 0;
  return lowerElementwise(
      op, rw, ValueRange{x, y},
      [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
        if (isa<FloatType>(elt)) {
          return inComputeType(
              b, loc, elt, args, [&](OpBuilder &b, Location loc, ValueRange a) {
                Value r = arith::RemFOp::create(b, loc, a[0], a[1]);
                if (fmod)
                  return r;
                Value zero = fconst(b, loc, r, 0.0);
                Value rneg = arith::CmpFOp::create(
                    b, loc, arith::CmpFPredicate::OLT, r, zero);
                Value yneg = arith::CmpFOp::create(
                    b, loc, arith::CmpFPredicate::OLT, a[1], zero);
                Value nz = arith::CmpFOp::create(
                    b, loc, arith::CmpFPredicate::UNE, r, zero);
                Value fix = arith::AndIOp::create(
                    b, loc, nz, arith::XOrIOp::create(b, loc, rneg, yneg));
                return Value(arith::SelectOp::create(
                    b, loc, fix, arith::AddFOp::create(b, loc, r, a[1]), r));
              });
        }
        Value r = b.createOrFold<arith::RemSIOp>(loc, args[0], args[1]);
        if (fmod)
          return r;
        Value zero = intConst(b, loc, elt, 0);
        Value rneg = b.createOrFold<arith::CmpIOp>(
            loc, arith::CmpIPredicate::slt, r, zero);
        Value yneg = b.createOrFold<arith::CmpIOp>(
            loc, arith::CmpIPredicate::slt, args[1], zero);
        Value nz = b.createOrFold<arith::CmpIOp>(loc, arith::CmpIPredicate::ne,
                                                 r, zero);
        Value fix = b.createOrFold<arith::AndIOp>(
            loc, nz, b.createOrFold<arith::XOrIOp>(loc, rneg, yneg));
        return b.createOrFold<arith::SelectOp>(
            loc, fix, b.createOrFold<arith::AddIOp>(loc, r, args[1]), r);
      });
}

LogicalResult lowerPRelu(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), slope = op.getInput(1);
  if (!x || !slope)
    return failNode(rw, op, "an input is missing");
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  if (!isa<FloatType>(elt))
    return failNode(rw, op, "PRelu needs float inputs");
  return lowerElementwise(
      op, rw, ValueRange{x, slope},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        return inComputeType(
            b, loc, elt, args, [&](OpBuilder &b, Location loc, ValueRange a) {
              return Value(arith::SelectOp::create(
                  b, loc, isNegative(b, loc, a[0]),
                  arith::MulFOp::create(b, loc, a[1], a[0]), a[0]));
            });
      });
}

//===----------------------------------------------------------------------===//
// Comparisons and logic
//===----------------------------------------------------------------------===//

template <arith::CmpFPredicate fpred, arith::CmpIPredicate ipred>
LogicalResult lowerCompare(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), y = op.getInput(1);
  if (!x || !y)
    return failNode(rw, op, "an input is missing");
  if (cast<RankedTensorType>(x.getType()).getElementType() !=
      cast<RankedTensorType>(y.getType()).getElementType())
    return failNode(rw, op, "inputs differ in element type");
  return lowerElementwise(
      op, rw, ValueRange{x, y},
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        if (isa<FloatType>(a[0].getType()))
          return b.createOrFold<arith::CmpFOp>(loc, fpred, a[0], a[1]);
        arith::CmpIPredicate p = ipred;
        // Booleans compare as unsigned (true > false).
        if (a[0].getType().isInteger(1)) {
          if (p == arith::CmpIPredicate::slt)
            p = arith::CmpIPredicate::ult;
          else if (p == arith::CmpIPredicate::sle)
            p = arith::CmpIPredicate::ule;
          else if (p == arith::CmpIPredicate::sgt)
            p = arith::CmpIPredicate::ugt;
          else if (p == arith::CmpIPredicate::sge)
            p = arith::CmpIPredicate::uge;
        }
        return b.createOrFold<arith::CmpIOp>(loc, p, a[0], a[1]);
      });
}

enum class Logic { And, Or, Xor };

template <Logic kind>
LogicalResult lowerLogic(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0), y = op.getInput(1);
  if (!x || !y)
    return failNode(rw, op, "an input is missing");
  return lowerElementwise(
      op, rw, ValueRange{x, y},
      [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        switch (kind) {
        case Logic::And:
          return b.createOrFold<arith::AndIOp>(loc, a[0], a[1]);
        case Logic::Or:
          return b.createOrFold<arith::OrIOp>(loc, a[0], a[1]);
        case Logic::Xor:
          return b.createOrFold<arith::XOrIOp>(loc, a[0], a[1]);
        }
        llvm_unreachable("covered switch");
      });
}

LogicalResult lowerNot(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  return lowerElementwise(op, rw, x,
                          [&](OpBuilder &b, Location loc, ValueRange a) {
                            return b.createOrFold<arith::XOrIOp>(
                                loc, a[0], intConst(b, loc, b.getI1Type(), 1));
                          });
}

LogicalResult lowerIsNaN(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x || !isa<FloatType>(
                cast<RankedTensorType>(x.getType()).getElementType()))
    return failNode(rw, op, "IsNaN needs a float input");
  return lowerElementwise(op, rw, x,
                          [&](OpBuilder &b, Location loc, ValueRange a) {
                            return b.createOrFold<arith::CmpFOp>(
                                loc, arith::CmpFPredicate::UNO, a[0], a[0]);
                          });
}

LogicalResult lowerIsInf(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x || !isa<FloatType>(
                cast<RankedTensorType>(x.getType()).getElementType()))
    return failNode(rw, op, "IsInf needs a float input");
  bool pos = op.getIntAttr("detect_positive", 1) != 0;
  bool neg = op.getIntAttr("detect_negative", 1) != 0;
  return lowerElementwise(
      op, rw, x, [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Type t = a[0].getType();
        const llvm::fltSemantics &sem = cast<FloatType>(t).getFloatSemantics();
        Value r = intConst(b, loc, b.getI1Type(), 0);
        if (pos)
          r = arith::OrIOp::create(
              b, loc, r,
              arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OEQ, a[0],
                  arith::ConstantOp::create(
                      b, loc, t, b.getFloatAttr(t, APFloat::getInf(sem)))));
        if (neg)
          r = arith::OrIOp::create(
              b, loc, r,
              arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OEQ, a[0],
                  arith::ConstantOp::create(
                      b, loc, t,
                      b.getFloatAttr(t, APFloat::getInf(sem, true)))));
        return r;
      });
}

LogicalResult lowerWhere(OnnxNodeOp op, PatternRewriter &rw) {
  Value c = op.getInput(0), x = op.getInput(1), y = op.getInput(2);
  if (!c || !x || !y)
    return failNode(rw, op, "an input is missing");
  return lowerElementwise(op, rw, ValueRange{c, x, y},
                          [&](OpBuilder &b, Location loc, ValueRange a) {
                            return b.createOrFold<arith::SelectOp>(loc, a[0],
                                                                   a[1], a[2]);
                          });
}

//===----------------------------------------------------------------------===//
// Clip
//===----------------------------------------------------------------------===//

LogicalResult lowerClip(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  Type elt = cast<RankedTensorType>(x.getType()).getElementType();
  if (elt.isInteger(1))
    return failNode(rw, op, "Clip of booleans");
  Location loc = op.getLoc();
  Value lo, hi;
  if (op.getVersion() < 11) {
    if (!isa<FloatType>(elt))
      return failNode(rw, op, "Clip before opset 11 needs a float input");
    if (op.getOnnxAttr("min"))
      lo = floatConst(rw, loc, elt, op.getFloatAttr("min", 0));
    if (op.getOnnxAttr("max"))
      hi = floatConst(rw, loc, elt, op.getFloatAttr("max", 0));
  } else {
    for (unsigned i : {1u, 2u}) {
      Value bound = op.getInput(i);
      if (!bound)
        continue;
      auto ty = cast<RankedTensorType>(bound.getType());
      if (!ty.hasStaticShape() || ty.getNumElements() != 1)
        return failNode(rw, op, "min and max must be scalars");
      (i == 1 ? lo : hi) = extractElement(rw, loc, bound, 0);
    }
  }
  return lowerElementwise(
      op, rw, x, [&](OpBuilder &b, Location loc, ValueRange a) -> Value {
        Value v = a[0];
        if (isa<FloatType>(elt)) {
          if (lo)
            v = arith::MaximumFOp::create(b, loc, v, lo);
          if (hi)
            v = arith::MinimumFOp::create(b, loc, v, hi);
          return v;
        }
        if (lo)
          v = b.createOrFold<arith::MaxSIOp>(loc, v, lo);
        if (hi)
          v = b.createOrFold<arith::MinSIOp>(loc, v, hi);
        return v;
      });
}

//===----------------------------------------------------------------------===//
// Conversions and identities
//===----------------------------------------------------------------------===//

/// ONNX TensorProto data types that are unsigned integers.
bool isUnsignedOnnxType(int64_t dataType) {
  return dataType == 2 || dataType == 4 || dataType == 12 || dataType == 13;
}

LogicalResult lowerCastTo(OnnxNodeOp op, PatternRewriter &rw, Value x,
                          bool dstUnsigned) {
  RankedTensorType out = resultType(op);
  if (!x || !out)
    return failNode(rw, op, "the input or result is missing");
  Type elt = out.getElementType();
  return lowerElementwise(op, rw, x,
                          [&](OpBuilder &b, Location loc, ValueRange a) {
                            return castScalar(b, loc, a[0], elt,
                                              /*srcUnsigned=*/false,
                                              dstUnsigned);
                          });
}

LogicalResult lowerCast(OnnxNodeOp op, PatternRewriter &rw) {
  return lowerCastTo(op, rw, op.getInput(0),
                     isUnsignedOnnxType(op.getIntAttr("to", 1)));
}

LogicalResult lowerCastLike(OnnxNodeOp op, PatternRewriter &rw) {
  return lowerCastTo(op, rw, op.getInput(0), false);
}

LogicalResult lowerIdentity(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  replaceFirstResult(rw, op, x);
  return success();
}

LogicalResult lowerDropout(OnnxNodeOp op, PatternRewriter &rw) {
  Value x = op.getInput(0);
  if (!x)
    return failNode(rw, op, "the input is missing");
  std::optional<bool> training = op.getDropoutTrainingMode();
  if (!training)
    return failNode(rw, op, "training_mode must be a constant");
  if (*training)
    return failNode(rw, op, "training mode is not supported");
  SmallVector<Value> results{x};
  for (unsigned i = 1; i < op->getNumResults(); ++i) {
    Value mask;
    if (hasResult(op, i)) {
      RankedTensorType mt = resultType(op, i);
      if (!mt)
        return failNode(rw, op, "the mask is not a ranked tensor");
      Location loc = op.getLoc();
      SmallVector<OpFoldResult> sizes = tensorSizes(rw, loc, x);
      Value t = castScalar(rw, loc, intConst(rw, loc, rw.getI1Type(), 1),
                           mt.getElementType());
      mask = linalg::FillOp::create(
                 rw, loc, t, emptyTensor(rw, loc, sizes, mt.getElementType()))
                 .getResult(0);
    }
    results.push_back(mask);
  }
  replaceNode(rw, op, results);
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Registration
//===----------------------------------------------------------------------===//

#define FLOAT_UNARY(NAME, SINCE, FN)                                           \
  table.push_back({NAME, SINCE, kMaxOpset,                                     \
                   [](OnnxNodeOp op, PatternRewriter &rw) {                    \
                     return lowerFloatUnary(op, rw, FN);                       \
                   }})
#define NUMERIC_UNARY(NAME, SINCE, FFN, IFN)                                   \
  table.push_back({NAME, SINCE, kMaxOpset,                                     \
                   [](OnnxNodeOp op, PatternRewriter &rw) {                    \
                     return lowerNumericUnary(op, rw, FFN, IFN);               \
                   }})

void onnx::appendElementwiseLowerings(SmallVectorImpl<OpLowering> &table) {
  FLOAT_UNARY("Sqrt", 6, mathOp<math::SqrtOp>);
  FLOAT_UNARY("Exp", 6, mathOp<math::ExpOp>);
  FLOAT_UNARY("Log", 6, mathOp<math::LogOp>);
  FLOAT_UNARY("Tanh", 6, mathOp<math::TanhOp>);
  FLOAT_UNARY("Erf", 9, mathOp<math::ErfOp>);
  FLOAT_UNARY("Sin", 7, mathOp<math::SinOp>);
  FLOAT_UNARY("Cos", 7, mathOp<math::CosOp>);
  FLOAT_UNARY("Tan", 7, mathOp<math::TanOp>);
  FLOAT_UNARY("Asin", 7, mathOp<math::AsinOp>);
  FLOAT_UNARY("Acos", 7, mathOp<math::AcosOp>);
  FLOAT_UNARY("Atan", 7, mathOp<math::AtanOp>);
  FLOAT_UNARY("Sinh", 9, mathOp<math::SinhOp>);
  FLOAT_UNARY("Cosh", 9, mathOp<math::CoshOp>);
  FLOAT_UNARY("Asinh", 9, mathOp<math::AsinhOp>);
  FLOAT_UNARY("Acosh", 9, mathOp<math::AcoshOp>);
  FLOAT_UNARY("Atanh", 9, mathOp<math::AtanhOp>);
  FLOAT_UNARY("Floor", 6, mathOp<math::FloorOp>);
  FLOAT_UNARY("Ceil", 6, mathOp<math::CeilOp>);
  FLOAT_UNARY("Round", 11, mathOp<math::RoundEvenOp>);
  FLOAT_UNARY("Reciprocal", 6, reciprocal);
  FLOAT_UNARY("Sigmoid", 6, sigmoid);
  FLOAT_UNARY("Softplus", 1, softplus);
  FLOAT_UNARY("Softsign", 1, softsign);
  FLOAT_UNARY("LeakyRelu", 6, leakyRelu);
  FLOAT_UNARY("Elu", 6, elu);
  FLOAT_UNARY("Selu", 6, selu);
  FLOAT_UNARY("HardSigmoid", 6, hardSigmoid);
  FLOAT_UNARY("HardSwish", 14, hardSwish);
  FLOAT_UNARY("ThresholdedRelu", 10, thresholdedRelu);
  FLOAT_UNARY("Celu", 12, celu);
  NUMERIC_UNARY("Neg", 6, negF, negI);
  NUMERIC_UNARY("Abs", 6, absF, absI);
  NUMERIC_UNARY("Relu", 6, reluF, reluI);
  NUMERIC_UNARY("Sign", 9, signF, signI);

  auto add = [&](llvm::StringLiteral name, int64_t since, LoweringFn fn) {
    table.push_back({name, since, kMaxOpset, fn});
  };
  add("Add", 7, lowerArith<Arith::Add>);
  add("Sub", 7, lowerArith<Arith::Sub>);
  add("Mul", 7, lowerArith<Arith::Mul>);
  add("Div", 7, lowerArith<Arith::Div>);
  add("Max", 8, lowerArith<Arith::Max>);
  add("Min", 8, lowerArith<Arith::Min>);
  add("Sum", 8, lowerArith<Arith::Add>);
  add("Mean", 8, lowerArith<Arith::Add, /*mean=*/true>);
  add("Pow", 7, lowerPow);
  add("Mod", 10, lowerMod);
  add("PRelu", 7, lowerPRelu);
  using FP = arith::CmpFPredicate;
  using IP = arith::CmpIPredicate;
  add("Equal", 7, lowerCompare<FP::OEQ, IP::eq>);
  add("Less", 7, lowerCompare<FP::OLT, IP::slt>);
  add("Greater", 7, lowerCompare<FP::OGT, IP::sgt>);
  add("LessOrEqual", 12, lowerCompare<FP::OLE, IP::sle>);
  add("GreaterOrEqual", 12, lowerCompare<FP::OGE, IP::sge>);
  add("And", 7, lowerLogic<Logic::And>);
  add("Or", 7, lowerLogic<Logic::Or>);
  add("Xor", 7, lowerLogic<Logic::Xor>);
  add("Not", 1, lowerNot);
  add("IsNaN", 9, lowerIsNaN);
  add("IsInf", 10, lowerIsInf);
  add("Where", 9, lowerWhere);
  add("Clip", 6, lowerClip);
  add("Cast", 6, lowerCast);
  add("CastLike", 15, lowerCastLike);
  add("Identity", 1, lowerIdentity);
  add("Dropout", 7, lowerDropout);
}
