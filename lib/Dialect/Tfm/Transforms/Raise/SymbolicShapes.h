//===- SymbolicShapes.h - symbolic shapes of imported graphs ------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Exporters compute shapes at run time (Shape -> Gather -> Unsqueeze ->
// Concat -> Reshape), so ONNX shape inference leaves most extents of a
// dynamic-axis export unknown. This analysis gives every tensor extent, and
// every element of a small integer tensor, a symbolic value: a monomial
// c · s1^e1 · s2^e2 ... over symbols for the unknown extents (batch, sequence,
// ...). That is enough to see that a Reshape splits the last dimension into
// heads (-1 resolves to (B·S·64)/(B·S·16) = 4) and that a computed shape is a
// constant.
//
//===----------------------------------------------------------------------===//

#ifndef TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_SYMBOLICSHAPES_H
#define TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_SYMBOLICSHAPES_H

#include "mlir/IR/Value.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"

#include <optional>
#include <string>

namespace mlir::tfm {

class OnnxNodeOp;

/// c · Π sym^exp, or unknown. Symbols stand for positive extents.
class SymExpr {
public:
  SymExpr() = default;
  static SymExpr constant(int64_t c) {
    SymExpr e;
    e.known = true;
    e.coeff = c;
    return e;
  }
  static SymExpr symbol(unsigned id) {
    SymExpr e = constant(1);
    e.factors.push_back({id, 1});
    return e;
  }
  static SymExpr unknown() { return SymExpr(); }

  bool isKnown() const { return known; }
  bool isConstant() const { return known && factors.empty(); }
  std::optional<int64_t> getConstant() const {
    if (isConstant())
      return coeff;
    return std::nullopt;
  }
  /// Known and a product of positive symbols with a positive coefficient,
  /// so never 0 or negative.
  bool isPositive() const { return known && coeff > 0; }

  SymExpr operator*(const SymExpr &o) const;
  /// Exact division; unknown when not exact.
  SymExpr operator/(const SymExpr &o) const;
  /// Sum: known only when both are constants or share one monomial.
  SymExpr operator+(const SymExpr &o) const;
  SymExpr operator-(const SymExpr &o) const;
  bool operator==(const SymExpr &o) const {
    return known && o.known && coeff == o.coeff && factors == o.factors;
  }
  bool operator!=(const SymExpr &o) const { return !(*this == o); }
  /// Whether the two provably differ (both known and positive-valued
  /// symbols can never equal a non-positive constant).
  bool provablyDiffers(const SymExpr &o) const;

  std::string str() const;
  /// An order in which older symbols (the model's named inputs) come first.
  unsigned firstSymbol() const {
    return factors.empty() ? 0 : factors.front().first;
  }
  /// The value for the given symbol values.
  template <typename Fn>
  std::optional<int64_t> evaluate(Fn symbolValue) const {
    if (!known)
      return std::nullopt;
    int64_t v = coeff;
    for (auto [id, e] : factors)
      for (int i = 0; i < e; ++i)
        v *= symbolValue(id);
    return v;
  }

private:
  bool known = false;
  int64_t coeff = 0;
  SmallVector<std::pair<unsigned, int>, 2> factors;
};

using SymShape = SmallVector<SymExpr, 4>;

/// Symbolic shapes and small-integer-tensor values of one function.
class SymbolicShapes {
public:
  explicit SymbolicShapes(FunctionOpInterface fn);

  /// The symbolic extents of a ranked tensor value (unknown extents get a
  /// symbol of their own), or nullopt for unranked values.
  std::optional<SymShape> shape(Value v);
  /// The elements of an integer tensor with at most a few elements whose
  /// values are known symbolically (shape arithmetic), or nullopt.
  std::optional<SymShape> elements(Value v);

  /// Extent `dim` (negative counts from the back), if v is ranked.
  std::optional<SymExpr> dim(Value v, int64_t dim);

  /// The human-readable name of a symbol ("batch", "sequence", or "s3").
  std::string symbolName(unsigned id) const { return symbolNames[id]; }
  unsigned newSymbol(StringRef name = "");
  /// a + b; a sum that is not a monomial gets a symbol of its own, the same
  /// one each time the same sum is formed.
  SymExpr sum(const SymExpr &a, const SymExpr &b);
  /// The operands of a symbol that stands for a sum, if it is one.
  const std::pair<SymExpr, SymExpr> *sumOperands(unsigned id) const {
    auto it = sums.find(id);
    return it == sums.end() ? nullptr : &it->second;
  }
  /// Records the symbolic shape of a value created by a rewrite.
  void setShape(Value v, SymShape s) { shapes[v] = std::move(s); }

private:
  void visit(Operation *op);
  void visitOnnx(OnnxNodeOp op);
  SymShape fromType(Type t);
  void setElements(Value v, SymShape e) { values[v] = std::move(e); }

  DenseMap<Value, SymShape> shapes;
  DenseMap<Value, SymShape> values;
  llvm::StringMap<unsigned> namedSymbols;
  DenseMap<unsigned, std::pair<SymExpr, SymExpr>> sums;
  SmallVector<std::string> symbolNames;
};

} // namespace mlir::tfm

#endif // TFM_LIB_DIALECT_TFM_TRANSFORMS_RAISE_SYMBOLICSHAPES_H
