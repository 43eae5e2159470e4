//===- GPUNativeMath.cpp - kernel math without libdevice ------------------===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Upstream's convert-gpu-to-nvvm maps every math op to a libdevice function,
// and libdevice ships only with a CUDA Toolkit. tfm-gpu-native-math expands
// kernel math, before that conversion, into arithmetic and the math ops that
// are one PTX instruction; tfm-gpu-resolve-libdevice, after it, turns the
// calls those became into LLVM intrinsics and makes whatever still needs
// libdevice, when there is none, an error that names the kernel.
//
//===----------------------------------------------------------------------===//

#include "tfm/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"

#include <cmath>
#include <limits>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMGPUNATIVEMATH
#define GEN_PASS_DEF_TFMGPURESOLVELIBDEVICE
#include "tfm/Conversion/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;

namespace {

/// The element type of a scalar or vector `type`; null for tensors and the
/// rest, which kernels do not compute on.
Type scalarOrVectorElement(Type type) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.getElementType();
  return type.isIntOrIndexOrFloat() ? type : Type();
}

/// True if `type` is f32 or a vector of f32.
bool isF32Like(Type type) {
  Type element = scalarOrVectorElement(type);
  return element && element.isF32();
}

/// True if `type` is f32 or f64, or a vector of either.
bool isF32OrF64Like(Type type) {
  Type element = scalarOrVectorElement(type);
  return element && (element.isF32() || element.isF64());
}

/// True if `type` is f16 or bf16, or a vector of either.
bool isNarrowFloat(Type type) {
  Type element = scalarOrVectorElement(type);
  return element && (element.isF16() || element.isBF16());
}

/// `type` with its element type replaced by `element`.
Type withElementType(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

/// A constant `value` of float type `type` (scalar or splat vector), rounded
/// to its element type.
Value floatConstant(OpBuilder &b, Location loc, Type type, double value) {
  APFloat rounded(value);
  bool losesInfo;
  rounded.convert(
      cast<FloatType>(getElementTypeOrSelf(type)).getFloatSemantics(),
      APFloat::rmNearestTiesToEven, &losesInfo);
  return createScalarOrSplatConstant(b, loc, type, rounded);
}

//===----------------------------------------------------------------------===//
// f16 and bf16 math in f32
//===----------------------------------------------------------------------===//

/// Computes a math op (or `arith.remf`) on f16/bf16 values in f32: the
/// intrinsics and approximations below are written for f32, and f32 is as
/// fast as the narrow types for everything but memory traffic.
struct ComputeNarrowMathInF32 : RewritePattern {
  ComputeNarrowMathInF32(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/2, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa_and_nonnull<math::MathDialect>(op->getDialect()) &&
        !isa<arith::RemFOp>(op))
      return failure();
    if (!llvm::any_of(op->getOperandTypes(), isNarrowFloat) &&
        !llvm::any_of(op->getResultTypes(), isNarrowFloat))
      return failure();

    Location loc = op->getLoc();
    Type f32 = rewriter.getF32Type();
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      if (isNarrowFloat(operand.getType()))
        operand = arith::ExtFOp::create(
            rewriter, loc, withElementType(operand.getType(), f32), operand);
      operands.push_back(operand);
    }
    // A clone keeps the op's properties (fastmath flags); only its types
    // change.
    Operation *wide = rewriter.clone(*op);
    rewriter.modifyOpInPlace(wide, [&] {
      wide->setOperands(operands);
      for (OpResult result : wide->getResults())
        if (isNarrowFloat(result.getType()))
          result.setType(withElementType(result.getType(), f32));
    });
    SmallVector<Value> results;
    for (auto [narrow, result] :
         llvm::zip_equal(op->getResults(), wide->getResults())) {
      Value value = result;
      if (narrow.getType() != result.getType())
        value = arith::TruncFOp::create(rewriter, loc, narrow.getType(), value);
      results.push_back(value);
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Reciprocal square root
//===----------------------------------------------------------------------===//

/// `math.rsqrt(x)` is `1 / sqrt(x)`: sqrt.rn and div.rn, correctly rounded,
/// where libdevice's `__nv_rsqrtf` is the approximate rsqrt.approx.
struct RsqrtAsDivSqrt : OpRewritePattern<math::RsqrtOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::RsqrtOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!isF32OrF64Like(type))
      return failure();
    Location loc = op.getLoc();
    Value one = floatConstant(rewriter, loc, type, 1.0);
    Value root = math::SqrtOp::create(rewriter, loc, op.getOperand());
    rewriter.replaceOpWithNewOp<arith::DivFOp>(op, one, root,
                                               op.getFastmathAttr());
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Sine and cosine
//===----------------------------------------------------------------------===//

/// Builds f32 sine or cosine of `x` (scalar or vector): x = j*pi/2 + r with
/// |r| <= pi/4, where pi/2 is split in three floats (Cody and Waite) and fma
/// keeps each product exact; then sin(r) or cos(r) by minimax polynomials
/// (Cephes' coefficients), chosen and signed by the quadrant j mod 4.
Value buildSinCos(ImplicitLocOpBuilder &b, Value x, bool cosine) {
  Type type = x.getType();
  auto cst = [&](double value) {
    return floatConstant(b, b.getLoc(), type, value);
  };
  auto fma = [&](Value a, Value c, Value d) {
    return math::FmaOp::create(b, a, c, d).getResult();
  };
  auto mul = [&](Value a, Value c) {
    return arith::MulFOp::create(b, a, c).getResult();
  };
  auto cmp = [&](arith::CmpFPredicate predicate, Value a, Value c) {
    return arith::CmpFOp::create(b, predicate, a, c).getResult();
  };

  // Every op is built in a statement of its own, so that the IR's order
  // does not depend on the C++ compiler's argument evaluation order.
  constexpr double kTwoOverPi = 0.63661977236758134;
  // pi/2 = kPio2Hi + kPio2Mid + kPio2Lo, each exactly a float.
  constexpr double kPio2Hi = 1.5707963705062866;
  constexpr double kPio2Mid = -4.371138828673793e-08;
  constexpr double kPio2Lo = -1.7151245100058819e-15;
  // Cephes' minimax coefficients for |r| <= pi/4.
  constexpr double kSin[] = {-1.6666654611e-1, 8.3321608736e-3,
                             -1.9515295891e-4};
  constexpr double kCos[] = {4.166664568298827e-2, -1.388731625493765e-3,
                             2.443315711809948e-5};

  // Constants first, then the computation.
  Value twoOverPi = cst(kTwoOverPi);
  Value minusPio2Hi = cst(-kPio2Hi), minusPio2Mid = cst(-kPio2Mid),
        minusPio2Lo = cst(-kPio2Lo);
  Value s0 = cst(kSin[0]), s1 = cst(kSin[1]), s2 = cst(kSin[2]);
  Value c0 = cst(kCos[0]), c1 = cst(kCos[1]), c2 = cst(kCos[2]);
  Value one = cst(1.0), minusHalf = cst(-0.5), half = cst(0.5),
        quarter = cst(0.25), minusFour = cst(-4.0);
  Value threshold1 = cosine ? cst(0.5) : cst(1.5);
  Value threshold2 = cosine ? cst(2.5) : Value();

  // The quadrant, rounded to nearest: j in float, exact below 2^24.
  Value scaled = mul(x, twoOverPi);
  Value j = math::RoundEvenOp::create(b, scaled);
  Value r = fma(j, minusPio2Hi, x);
  r = fma(j, minusPio2Mid, r);
  r = fma(j, minusPio2Lo, r);

  Value z = mul(r, r);
  // sin(r) = r + r^3 (s0 + z (s1 + z s2)).
  Value sinPoly = fma(z, s2, s1);
  sinPoly = fma(z, sinPoly, s0);
  Value cube = mul(z, r);
  Value sinR = fma(cube, sinPoly, r);
  // cos(r) = 1 - z/2 + z^2 (c0 + z (c1 + z c2)).
  Value cosPoly = fma(z, c2, c1);
  cosPoly = fma(z, cosPoly, c0);
  Value head = fma(z, minusHalf, one);
  Value z2 = mul(z, z);
  Value cosR = fma(z2, cosPoly, head);

  // m = j mod 4 in {0, 1, 2, 3}. Computed in float so that every input,
  // NaN and infinities included, takes a defined path (they give NaN).
  Value quarterJ = mul(j, quarter);
  Value turns = math::FloorOp::create(b, quarterJ);
  Value m = fma(turns, minusFour, j);
  Value halfM = mul(m, half);
  Value floorHalfM = math::FloorOp::create(b, halfM);
  Value even = cmp(arith::CmpFPredicate::OEQ, floorHalfM, halfM);
  // sin: quadrants 0..3 give s, c, -s, -c; cos: c, -s, -c, s.
  Value negate = cmp(arith::CmpFPredicate::OGT, m, threshold1);
  if (cosine) {
    Value toTwo = cmp(arith::CmpFPredicate::OLT, m, threshold2);
    negate = arith::AndIOp::create(b, negate, toTwo);
  }
  Value value = cosine ? arith::SelectOp::create(b, even, cosR, sinR)
                       : arith::SelectOp::create(b, even, sinR, cosR);
  Value negated = arith::NegFOp::create(b, value);
  return arith::SelectOp::create(b, negate, negated, value);
}

template <typename SinOrCosOp>
struct ExpandSinCos : OpRewritePattern<SinOrCosOp> {
  using OpRewritePattern<SinOrCosOp>::OpRewritePattern;

  LogicalResult matchAndRewrite(SinOrCosOp op,
                                PatternRewriter &rewriter) const override {
    if (!isF32Like(op.getType()))
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op,
                       buildSinCos(b, op.getOperand(),
                                   std::is_same_v<SinOrCosOp, math::CosOp>));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Power
//===----------------------------------------------------------------------===//

/// `math.powf(a, b)` on f32 as `exp(b * log|a|)`, with IEEE's special cases:
/// a negative base (or -0) to an odd integer keeps its sign, a negative base
/// to a non-integer is NaN, and `a^0 = 1^b = (-1)^inf = 1`. Runs after the
/// algebraic simplifications that turn constant exponents into products.
struct ExpandPowF : OpRewritePattern<math::PowFOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::PowFOp op,
                                PatternRewriter &rewriter) const override {
    Type type = op.getType();
    if (!isF32Like(type))
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    auto cst = [&](double value) {
      return floatConstant(b, b.getLoc(), type, value);
    };
    auto cmp = [&](arith::CmpFPredicate predicate, Value x, Value y) {
      return arith::CmpFOp::create(b, predicate, x, y).getResult();
    };
    auto select = [&](Value condition, Value x, Value y) {
      return arith::SelectOp::create(b, condition, x, y).getResult();
    };
    auto both = [&](Value x, Value y) {
      return arith::AndIOp::create(b, x, y).getResult();
    };
    auto either = [&](Value x, Value y) {
      return arith::OrIOp::create(b, x, y).getResult();
    };
    using P = arith::CmpFPredicate;

    // Constants first, then one op per statement: the IR's order must not
    // depend on the C++ compiler's argument evaluation order.
    Value zero = cst(0.0), half = cst(0.5), one = cst(1.0);
    Value nan = cst(std::nan(""));
    Value infinity = cst(std::numeric_limits<double>::infinity());
    Value base = op.getLhs(), exponent = op.getRhs();
    Value magnitude = math::AbsFOp::create(b, base);
    Value logarithm = math::LogOp::create(b, magnitude);
    Value product = arith::MulFOp::create(b, exponent, logarithm);
    Value power = math::ExpOp::create(b, product);

    // The sign of a negative base (or -0) to an odd integer.
    Value floorExponent = math::FloorOp::create(b, exponent);
    Value isInteger = cmp(P::OEQ, floorExponent, exponent);
    Value halfExponent = arith::MulFOp::create(b, exponent, half);
    Value floorHalf = math::FloorOp::create(b, halfExponent);
    Value halfIsFraction = cmp(P::ONE, floorHalf, halfExponent);
    Value isOdd = both(isInteger, halfIsFraction);
    Value baseSign = math::CopySignOp::create(b, one, base);
    Value signBit = cmp(P::OLT, baseSign, zero);
    Value negated = arith::NegFOp::create(b, power);
    Value keepsSign = both(signBit, isOdd);
    Value result = select(keepsSign, negated, power);

    // A negative base to a fraction.
    Value negativeBase = cmp(P::OLT, base, zero);
    Value isFraction = cmp(P::UNE, floorExponent, exponent);
    Value undefined = both(negativeBase, isFraction);
    result = select(undefined, nan, result);

    // x^0 = 1^y = (-1)^(+-inf) = 1.
    Value zeroExponent = cmp(P::OEQ, exponent, zero);
    Value unitBase = cmp(P::OEQ, base, one);
    Value unitMagnitude = cmp(P::OEQ, magnitude, one);
    Value absExponent = math::AbsFOp::create(b, exponent);
    Value infiniteExponent = cmp(P::OEQ, absExponent, infinity);
    Value trivial = either(zeroExponent, unitBase);
    Value unitToInfinity = both(unitMagnitude, infiniteExponent);
    Value isOne = either(trivial, unitToInfinity);
    rewriter.replaceOp(op, select(isOne, one, result));
    return success();
  }
};

//===----------------------------------------------------------------------===//
// The passes
//===----------------------------------------------------------------------===//

/// Math ops left to the math dialect's polynomial approximations (f32).
constexpr StringRef kApproximated[] = {
    "log",  "log2", "log1p", "expm1", "exp",  "tanh", "erf",
    "erfc", "atan", "atan2", "asin",  "acos", "cbrt"};

/// Math ops that upstream expands into other math ops.
constexpr StringRef kExpanded[] = {"tan",   "sinh",  "cosh", "asinh",
                                   "acosh", "atanh", "fpowi"};

struct TfmGPUNativeMathPass
    : mlir::tfm::impl::TfmGPUNativeMathBase<TfmGPUNativeMathPass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();

    // Step 1: narrow types to f32, constant exponents to products, and the
    // expansions that produce the ops handled in step 2.
    RewritePatternSet prepare(context);
    prepare.add<ComputeNarrowMathInF32>(context);
    populateMathAlgebraicSimplificationPatterns(prepare);
    math::populateExpansionPatterns(prepare, kExpanded);
    if (failed(rewriteKernelMath(std::move(prepare))))
      return signalPassFailure();

    // Step 2: everything else to arithmetic. powf produces exp and log,
    // which meet their approximations in the same sweep.
    RewritePatternSet lower(context);
    lower.add<ComputeNarrowMathInF32>(context);
    lower.add<RsqrtAsDivSqrt, ExpandSinCos<math::SinOp>,
              ExpandSinCos<math::CosOp>, ExpandPowF>(context);
    populateMathPolynomialApproximationPatterns(lower, [](StringRef name) {
      name.consume_front("math.");
      return llvm::is_contained(kApproximated, name);
    });
    if (failed(rewriteKernelMath(std::move(lower))))
      signalPassFailure();
  }

  /// Applies `patterns` to the math ops (and arith.remf) on scalars and
  /// vectors, and to the ops they create. Tensor math is left alone: it is
  /// not kernel code, and upstream's approximations would build invalid IR
  /// for it.
  LogicalResult rewriteKernelMath(RewritePatternSet &&patterns) {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (!isa_and_nonnull<math::MathDialect>(op->getDialect()) &&
          !isa<arith::RemFOp>(op))
        return;
      auto onScalarsOrVectors = [](Type type) {
        return static_cast<bool>(scalarOrVectorElement(type));
      };
      if (llvm::all_of(op->getOperandTypes(), onScalarsOrVectors) &&
          llvm::all_of(op->getResultTypes(), onScalarsOrVectors))
        ops.push_back(op);
    });
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    return applyOpPatternsGreedily(
        ops, FrozenRewritePatternSet(std::move(patterns)), config);
  }
};

/// The prefix of every libdevice function.
constexpr StringLiteral kLibdevicePrefix = "__nv_";

/// Builds, in place of a call to a libdevice function, the op that computes
/// the same with one PTX instruction.
using InstructionBuilder = Value (*)(OpBuilder &, Location, Type, ValueRange);

template <typename IntrinsicOp>
Value buildIntrinsic(OpBuilder &b, Location loc, Type type,
                     ValueRange operands) {
  return IntrinsicOp::create(b, loc, type, operands);
}

Value buildIntegerAbs(OpBuilder &b, Location loc, Type type,
                      ValueRange operands) {
  return LLVM::AbsOp::create(b, loc, type, operands[0],
                             /*is_int_min_poison=*/false);
}

/// 1 / sqrt(x), both correctly rounded, for libdevice's approximate rsqrt.
Value buildReciprocalSqrt(OpBuilder &b, Location loc, Type type,
                          ValueRange operands) {
  Value one = LLVM::ConstantOp::create(b, loc, type, b.getFloatAttr(type, 1.0));
  Value root = LLVM::SqrtOp::create(b, loc, type, operands[0]);
  return LLVM::FDivOp::create(b, loc, one, root);
}

/// The op that replaces a call to libdevice's `name`, if it is a single
/// instruction.
InstructionBuilder instructionFor(StringRef name) {
  return llvm::StringSwitch<InstructionBuilder>(name)
      .Cases({"__nv_fabsf", "__nv_fabs"}, buildIntrinsic<LLVM::FAbsOp>)
      .Cases({"__nv_floorf", "__nv_floor"}, buildIntrinsic<LLVM::FFloorOp>)
      .Cases({"__nv_ceilf", "__nv_ceil"}, buildIntrinsic<LLVM::FCeilOp>)
      .Cases({"__nv_truncf", "__nv_trunc"}, buildIntrinsic<LLVM::FTruncOp>)
      .Cases({"__nv_roundf", "__nv_round"}, buildIntrinsic<LLVM::RoundOp>)
      .Cases({"__nv_rintf", "__nv_rint"}, buildIntrinsic<LLVM::RoundEvenOp>)
      .Cases({"__nv_sqrtf", "__nv_sqrt"}, buildIntrinsic<LLVM::SqrtOp>)
      .Cases({"__nv_fmaf", "__nv_fma"}, buildIntrinsic<LLVM::FMAOp>)
      .Cases({"__nv_copysignf", "__nv_copysign"},
             buildIntrinsic<LLVM::CopySignOp>)
      .Cases({"__nv_fmodf", "__nv_fmod"}, buildIntrinsic<LLVM::FRemOp>)
      // ex2.approx.f32, within 2 ulp like libdevice's exp2f (f64 has no
      // such instruction).
      .Case("__nv_exp2f", buildIntrinsic<LLVM::Exp2Op>)
      .Cases({"__nv_rsqrtf", "__nv_rsqrt"}, buildReciprocalSqrt)
      .Cases({"__nv_abs", "__nv_llabs"}, buildIntegerAbs)
      .Default(nullptr);
}

struct TfmGPUResolveLibdevicePass
    : mlir::tfm::impl::TfmGPUResolveLibdeviceBase<TfmGPUResolveLibdevicePass> {
  using Base::Base;

  void runOnOperation() override {
    gpu::GPUModuleOp module = getOperation();

    // One instruction each: intrinsics instead of calls.
    module.walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      InstructionBuilder build =
          callee ? instructionFor(*callee) : InstructionBuilder();
      if (!build || call.getNumResults() != 1)
        return;
      OpBuilder b(call);
      Value value = build(b, call.getLoc(), call.getResult().getType(),
                          call.getArgOperands());
      call.getResult().replaceAllUsesWith(value);
      call.erase();
    });
    for (auto function :
         llvm::make_early_inc_range(module.getOps<LLVM::LLVMFuncOp>()))
      if (function.isExternal() &&
          function.getSymName().starts_with(kLibdevicePrefix) &&
          SymbolTable::symbolKnownUseEmpty(function, module))
        function.erase();

    // The rest needs libdevice.
    if (!libdevice.empty() && llvm::sys::fs::exists(libdevice))
      return;
    WalkResult walk = module.walk([&](LLVM::CallOp call) {
      std::optional<StringRef> callee = call.getCallee();
      if (!callee || !callee->starts_with(kLibdevicePrefix))
        return WalkResult::advance();
      auto kernel = call->getParentOfType<LLVM::LLVMFuncOp>();
      InFlightDiagnostic diag = call.emitError()
                                << "kernel '" << kernel.getSymName()
                                << "' calls libdevice's '" << *callee << "', ";
      if (libdevice.empty())
        diag << "but no CUDA Toolkit was found to provide libdevice";
      else
        diag << "but '" << libdevice << "' does not exist";
      diag << " (tfm-gpu-native-math covers f16, bf16 and f32 math; set "
              "CUDA_HOME or the pipeline's toolkit option for the rest)";
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
