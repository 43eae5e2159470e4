//===- SymbolicShapes.cpp - symbolic shapes of imported graphs ----*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "SymbolicShapes.h"

#include "tfm/Dialect/Tfm/IR/TfmOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::tfm;

//===----------------------------------------------------------------------===//
// SymExpr
//===----------------------------------------------------------------------===//

SymExpr SymExpr::operator*(const SymExpr &o) const {
  if (!known || !o.known)
    return unknown();
  SymExpr r = constant(coeff * o.coeff);
  if (r.coeff == 0)
    return r;
  // Merge two sorted factor lists.
  auto a = factors.begin(), b = o.factors.begin();
  while (a != factors.end() || b != o.factors.end()) {
    if (b == o.factors.end() || (a != factors.end() && a->first < b->first)) {
      r.factors.push_back(*a++);
    } else if (a == factors.end() || b->first < a->first) {
      r.factors.push_back(*b++);
    } else {
      int e = a->second + b->second;
      if (e != 0)
        r.factors.push_back({a->first, e});
      ++a;
      ++b;
    }
  }
  return r;
}

SymExpr SymExpr::operator/(const SymExpr &o) const {
  if (!known || !o.known || o.coeff == 0 || coeff % o.coeff != 0)
    return unknown();
  SymExpr inv = constant(1);
  for (auto [id, e] : o.factors)
    inv.factors.push_back({id, -e});
  SymExpr r = *this * inv;
  if (!r.known)
    return r;
  r.coeff = coeff / o.coeff;
  // Negative exponents are not extents: the division was not exact.
  if (llvm::any_of(r.factors, [](auto f) { return f.second < 0; }))
    return unknown();
  return r;
}

SymExpr SymExpr::operator+(const SymExpr &o) const {
  if (!known || !o.known)
    return unknown();
  if (coeff == 0)
    return o;
  if (o.coeff == 0)
    return *this;
  if (factors != o.factors)
    return unknown();
  SymExpr r = *this;
  r.coeff += o.coeff;
  if (r.coeff == 0)
    r.factors.clear();
  return r;
}

SymExpr SymExpr::operator-(const SymExpr &o) const {
  if (!o.known)
    return unknown();
  SymExpr neg = o;
  neg.coeff = -neg.coeff;
  return *this + neg;
}

bool SymExpr::provablyDiffers(const SymExpr &o) const {
  if (!known || !o.known)
    return false;
  if (isConstant() && o.isConstant())
    return coeff != o.coeff;
  // A positive monomial is at least 1: it differs from constants below 1.
  if (isConstant())
    return o.isPositive() && coeff < 1;
  if (o.isConstant())
    return isPositive() && o.coeff < 1;
  return false;
}

std::string SymExpr::str() const {
  if (!known)
    return "?";
  std::string s = std::to_string(coeff);
  for (auto [id, e] : factors) {
    s += "*s" + std::to_string(id);
    if (e != 1)
      s += "^" + std::to_string(e);
  }
  return s;
}

//===----------------------------------------------------------------------===//
// SymbolicShapes
//===----------------------------------------------------------------------===//

unsigned SymbolicShapes::newSymbol(StringRef name) {
  if (!name.empty()) {
    auto [it, inserted] = namedSymbols.try_emplace(name, symbolNames.size());
    if (!inserted)
      return it->second;
  }
  symbolNames.push_back(name.empty() ? "s" + std::to_string(symbolNames.size())
                                     : name.str());
  return symbolNames.size() - 1;
}

SymExpr SymbolicShapes::sum(const SymExpr &a, const SymExpr &b) {
  SymExpr r = a + b;
  if (r.isKnown() || !a.isKnown() || !b.isKnown())
    return r;
  std::string x = a.str(), y = b.str();
  if (y < x)
    std::swap(x, y);
  unsigned id = newSymbol("(" + x + "+" + y + ")");
  sums.try_emplace(id, a, b);
  return SymExpr::symbol(id);
}

SymShape SymbolicShapes::fromType(Type t) {
  SymShape s;
  auto ranked = dyn_cast<RankedTensorType>(t);
  if (!ranked)
    return s;
  for (int64_t d : ranked.getShape())
    s.push_back(ShapedType::isDynamic(d) ? SymExpr::symbol(newSymbol())
                                         : SymExpr::constant(d));
  return s;
}

std::optional<SymShape> SymbolicShapes::shape(Value v) {
  auto it = shapes.find(v);
  if (it != shapes.end())
    return it->second;
  if (!isa<RankedTensorType>(v.getType()))
    return std::nullopt;
  SymShape s = fromType(v.getType());
  shapes[v] = s;
  return s;
}

std::optional<SymShape> SymbolicShapes::elements(Value v) {
  auto it = values.find(v);
  if (it != values.end())
    return it->second;
  return std::nullopt;
}

std::optional<SymExpr> SymbolicShapes::dim(Value v, int64_t d) {
  std::optional<SymShape> s = shape(v);
  if (!s)
    return std::nullopt;
  int64_t rank = s->size();
  if (d < 0)
    d += rank;
  if (d < 0 || d >= rank)
    return std::nullopt;
  return (*s)[d];
}

SymbolicShapes::SymbolicShapes(FunctionOpInterface fn) {
  if (fn.isExternal())
    return;
  Block &entry = fn.getFunctionBody().front();
  for (BlockArgument arg : entry.getArguments()) {
    auto ranked = dyn_cast<RankedTensorType>(arg.getType());
    if (!ranked)
      continue;
    auto names = fn.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "tfm.dim_names");
    SymShape s;
    for (int64_t i = 0; i < ranked.getRank(); ++i) {
      if (!ranked.isDynamicDim(i)) {
        s.push_back(SymExpr::constant(ranked.getDimSize(i)));
        continue;
      }
      StringRef name;
      if (names && i < static_cast<int64_t>(names.size()))
        if (auto str = dyn_cast<StringAttr>(names[i]))
          name = str.getValue();
      s.push_back(SymExpr::symbol(newSymbol(name)));
    }
    shapes[arg] = s;
  }
  fn.getFunctionBody().walk([&](Operation *op) { visit(op); });
}

/// Extents of the numpy broadcast of `a` and `b`.
static SymShape broadcast(const SymShape &a, const SymShape &b) {
  size_t rank = std::max(a.size(), b.size());
  SymShape r(rank);
  for (size_t i = 0; i < rank; ++i) {
    const SymExpr *x = i < rank - a.size() ? nullptr : &a[i - (rank - a.size())];
    const SymExpr *y = i < rank - b.size() ? nullptr : &b[i - (rank - b.size())];
    if (!x || x->getConstant() == 1)
      r[i] = y ? *y : SymExpr::constant(1);
    else if (!y || y->getConstant() == 1)
      r[i] = *x;
    else if (x->isConstant() || !y->isKnown())
      r[i] = *x; // Equal when the model is valid; prefer what is most known.
    else if (y->isConstant() || !x->isKnown())
      r[i] = *y;
    else
      r[i] = x->firstSymbol() <= y->firstSymbol() ? *x : *y;
  }
  return r;
}

static std::optional<SmallVector<int64_t>> constantInts(const SymShape &s) {
  SmallVector<int64_t> r;
  for (const SymExpr &e : s) {
    auto c = e.getConstant();
    if (!c)
      return std::nullopt;
    r.push_back(*c);
  }
  return r;
}

void SymbolicShapes::visit(Operation *op) {
  if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
    Value result = cst.getResult();
    shapes[result] = fromType(result.getType());
    auto dense = dyn_cast<DenseIntElementsAttr>(cst.getValue());
    if (dense && dense.getType().getRank() <= 1 && dense.getNumElements() <= 16) {
      SymShape elems;
      // A boolean is 0 or 1 (sign-extending its one bit would give -1).
      bool isBool = dense.getElementType().isInteger(1);
      for (const APInt &v : dense.getValues<APInt>())
        elems.push_back(SymExpr::constant(isBool ? v.getZExtValue() : v.getSExtValue()));
      values[result] = elems;
    }
    return;
  }
  if (auto node = dyn_cast<OnnxNodeOp>(op)) {
    visitOnnx(node);
    // What the ONNX types know statically wins over unknown symbols.
    for (Value r : node.getResults()) {
      auto ranked = dyn_cast<RankedTensorType>(r.getType());
      auto it = shapes.find(r);
      if (!ranked)
        continue;
      if (it == shapes.end() || it->second.size() != static_cast<size_t>(ranked.getRank())) {
        shapes[r] = fromType(ranked);
        continue;
      }
      for (auto [i, d] : llvm::enumerate(ranked.getShape()))
        if (!ShapedType::isDynamic(d))
          it->second[i] = SymExpr::constant(d);
        else if (!it->second[i].isKnown())
          it->second[i] = SymExpr::symbol(newSymbol());
    }
    return;
  }
  for (Value r : op->getResults())
    if (!shapes.count(r))
      shapes[r] = fromType(r.getType());
}

void SymbolicShapes::visitOnnx(OnnxNodeOp op) {
  StringRef type = op.getOpType();
  if (!op.getDomain().empty() || op.getNumResults() == 0)
    return;
  Value out = op.getResult(0);
  auto in = [&](unsigned i) -> std::optional<SymShape> {
    Value v = op.getInput(i);
    return v ? shape(v) : std::nullopt;
  };
  auto elems = [&](unsigned i) -> std::optional<SymShape> {
    Value v = op.getInput(i);
    return v ? elements(v) : std::nullopt;
  };
  auto normAxis = [](int64_t axis, int64_t rank) {
    return axis < 0 ? axis + rank : axis;
  };
  // Axes from an attribute (older opsets) or a constant input.
  auto axesOf = [&](unsigned inputIndex) -> std::optional<SmallVector<int64_t>> {
    if (auto attr = op.getIntsAttr("axes"))
      return attr;
    if (auto e = elems(inputIndex))
      return constantInts(*e);
    return std::nullopt;
  };

  static const llvm::StringSet<> sameShape = {
      "Cast",  "CastLike", "Relu",    "Sigmoid",    "Tanh",     "Erf",
      "Sqrt",  "Reciprocal", "Neg",   "Exp",        "Log",      "Abs",
      "Sin",   "Cos",      "Softmax", "LogSoftmax", "Identity", "Dropout",
      "Not",   "Floor",    "Ceil",    "IsNaN",      "IsInf",    "Trilu",
      "LayerNormalization", "Clip", "CumSum", "EyeLike", "Softplus", "Round",
      "LeakyRelu", "Gelu", "HardSigmoid", "Sign"};
  static const llvm::StringSet<> broadcasting = {
      "Add",  "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater",
      "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where", "Min",
      "Max", "Mod", "Mean", "Sum"};

  if (sameShape.contains(type)) {
    if (auto s = in(0))
      setShape(out, *s);
    if (type == "Cast" || type == "Identity" || type == "CastLike")
      if (auto e = elems(0))
        setElements(out, *e);
    if (type == "Neg")
      if (auto e = elems(0)) {
        SymShape r;
        for (const SymExpr &x : *e)
          r.push_back(SymExpr::constant(0) - x);
        setElements(out, r);
      }
    return;
  }

  if (broadcasting.contains(type)) {
    std::optional<SymShape> s = in(0);
    for (unsigned i = 1; s && i < op.getInputs().size(); ++i) {
      std::optional<SymShape> t = in(i);
      s = t ? std::optional<SymShape>(broadcast(*s, *t)) : std::nullopt;
    }
    if (s)
      setShape(out, *s);
    // Elementwise arithmetic on shape values.
    SmallVector<SymShape> ev;
    for (unsigned i = 0; i < op.getInputs().size(); ++i) {
      auto e = elems(i);
      if (!e)
        return;
      ev.push_back(*e);
    }
    if (!s || s->size() > 1)
      return;
    size_t n = s->empty() ? 1 : s->front().getConstant().value_or(0);
    if (n == 0 || llvm::any_of(ev, [&](const SymShape &e) {
          return e.size() != 1 && e.size() != n;
        }))
      return;
    auto at = [&](unsigned input, size_t i) {
      return ev[input].size() == 1 ? ev[input][0] : ev[input][i];
    };
    SymShape r;
    for (size_t i = 0; i < n; ++i) {
      SymExpr a = at(0, i), b = ev.size() > 1 ? at(1, i) : SymExpr();
      if (type == "Add")
        r.push_back(sum(a, b));
      else if (type == "Sub")
        r.push_back(a - b);
      else if (type == "Mul")
        r.push_back(a * b);
      else if (type == "Div") {
        auto ca = a.getConstant(), cb = b.getConstant();
        // Integer division truncates (shape values are integers).
        if (ca && cb && *cb != 0)
          r.push_back(SymExpr::constant(*ca / *cb));
        else
          r.push_back(a / b);
      }
      else if (type == "Equal")
        r.push_back(a == b ? SymExpr::constant(1)
                           : a.provablyDiffers(b) ? SymExpr::constant(0)
                                                   : SymExpr::unknown());
      else if (type == "Where") {
        auto c = a.getConstant();
        r.push_back(!c ? SymExpr::unknown() : *c ? b : at(2, i));
      } else
        r.push_back(SymExpr::unknown());
    }
    setElements(out, r);
    return;
  }

  if (type == "Shape") {
    auto s = in(0);
    if (!s)
      return;
    int64_t rank = s->size();
    int64_t start = normAxis(op.getIntAttr("start", 0), rank);
    int64_t end = op.getIntAttr("end", rank);
    end = std::clamp<int64_t>(normAxis(end, rank), 0, rank);
    start = std::clamp<int64_t>(start, 0, rank);
    SymShape e(s->begin() + start, s->begin() + std::max(start, end));
    setShape(out, {SymExpr::constant(e.size())});
    setElements(out, e);
    return;
  }
  if (type == "Size") {
    if (auto s = in(0)) {
      SymExpr p = SymExpr::constant(1);
      for (const SymExpr &d : *s)
        p = p * d;
      setShape(out, {});
      setElements(out, {p});
    }
    return;
  }
  if (type == "Gather") {
    auto data = in(0), idx = in(1);
    if (!data || !idx)
      return;
    int64_t rank = data->size();
    int64_t axis = normAxis(op.getIntAttr("axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return;
    SymShape r(data->begin(), data->begin() + axis);
    r.append(idx->begin(), idx->end());
    r.append(data->begin() + axis + 1, data->end());
    setShape(out, r);
    auto de = elems(0), ie = elems(1);
    if (de && ie && rank == 1) {
      SymShape e;
      for (const SymExpr &i : *ie) {
        auto c = i.getConstant();
        if (!c)
          return;
        int64_t k = *c < 0 ? *c + static_cast<int64_t>(de->size()) : *c;
        if (k < 0 || k >= static_cast<int64_t>(de->size()))
          return;
        e.push_back((*de)[k]);
      }
      setElements(out, e);
    }
    return;
  }
  if (type == "GatherND") {
    auto data = in(0), idx = in(1);
    if (!data || !idx || idx->empty())
      return;
    auto k = idx->back().getConstant();
    int64_t b = op.getIntAttr("batch_dims", 0);
    if (!k || b + *k > static_cast<int64_t>(data->size()))
      return;
    SymShape r(idx->begin(), idx->end() - 1);
    r.append(data->begin() + b + *k, data->end());
    setShape(out, r);
    return;
  }
  if (type == "GatherElements") {
    if (auto idx = in(1))
      setShape(out, *idx);
    return;
  }
  if (type == "Unsqueeze" || type == "Squeeze") {
    auto s = in(0);
    auto axes = axesOf(1);
    if (!s)
      return;
    if (type == "Unsqueeze" && axes) {
      int64_t rank = s->size() + axes->size();
      SmallVector<bool> inserted(rank, false);
      for (int64_t a : *axes) {
        a = normAxis(a, rank);
        if (a < 0 || a >= rank)
          return;
        inserted[a] = true;
      }
      SymShape r;
      auto src = s->begin();
      for (int64_t i = 0; i < rank; ++i)
        r.push_back(inserted[i] ? SymExpr::constant(1) : *src++);
      setShape(out, r);
    } else if (type == "Squeeze") {
      int64_t rank = s->size();
      SmallVector<bool> removed(rank, false);
      if (axes) {
        for (int64_t a : *axes) {
          a = normAxis(a, rank);
          if (a < 0 || a >= rank)
            return;
          removed[a] = true;
        }
      } else {
        for (int64_t i = 0; i < rank; ++i)
          removed[i] = (*s)[i].getConstant() == 1;
      }
      SymShape r;
      for (int64_t i = 0; i < rank; ++i)
        if (!removed[i])
          r.push_back((*s)[i]);
      setShape(out, r);
    }
    if (auto e = elems(0))
      setElements(out, *e);
    return;
  }
  if (type == "Concat") {
    SmallVector<SymShape> parts;
    for (unsigned i = 0; i < op.getInputs().size(); ++i) {
      auto s = in(i);
      if (!s)
        return;
      parts.push_back(*s);
    }
    if (parts.empty())
      return;
    int64_t rank = parts[0].size();
    int64_t axis = normAxis(op.getIntAttr("axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return;
    SymShape r = parts[0];
    for (unsigned i = 1; i < parts.size(); ++i) {
      if (static_cast<int64_t>(parts[i].size()) != rank)
        return;
      r[axis] = sum(r[axis], parts[i][axis]);
    }
    setShape(out, r);
    if (rank == 1) {
      SymShape e;
      for (unsigned i = 0; i < parts.size(); ++i) {
        auto pe = elems(i);
        if (!pe)
          return;
        e.append(pe->begin(), pe->end());
      }
      setElements(out, e);
    }
    return;
  }
  if (type == "Reshape") {
    auto s = in(0), target = elems(1);
    if (s) {
      if (auto e = elems(0))
        setElements(out, *e);
    }
    if (!s || !target)
      return;
    SymShape r;
    int inferAt = -1;
    SymExpr known = SymExpr::constant(1);
    bool allowZero = op.getIntAttr("allowzero", 0) != 0;
    for (auto [i, t] : llvm::enumerate(*target)) {
      auto c = t.getConstant();
      if (c == -1) {
        inferAt = i;
        r.push_back(SymExpr::unknown());
        continue;
      }
      if (c == 0 && !allowZero) {
        if (i >= s->size())
          return;
        r.push_back((*s)[i]);
      } else {
        r.push_back(t);
      }
      known = known * r.back();
    }
    if (inferAt >= 0) {
      SymExpr total = SymExpr::constant(1);
      for (const SymExpr &d : *s)
        total = total * d;
      r[inferAt] = total / known;
    }
    setShape(out, r);
    return;
  }
  if (type == "Flatten") {
    auto s = in(0);
    if (!s)
      return;
    int64_t axis = normAxis(op.getIntAttr("axis", 1), s->size());
    SymExpr a = SymExpr::constant(1), b = SymExpr::constant(1);
    for (auto [i, d] : llvm::enumerate(*s))
      (static_cast<int64_t>(i) < axis ? a : b) = (static_cast<int64_t>(i) < axis ? a : b) * d;
    setShape(out, {a, b});
    return;
  }
  if (type == "Transpose") {
    auto s = in(0);
    if (!s)
      return;
    SmallVector<int64_t> perm = op.getTransposePerm(s->size());
    if (perm.size() != s->size())
      return;
    SymShape r;
    for (int64_t p : perm) {
      if (p < 0 || p >= static_cast<int64_t>(s->size()))
        return;
      r.push_back((*s)[p]);
    }
    setShape(out, r);
    return;
  }
  if (type == "MatMul") {
    auto a = in(0), b = in(1);
    if (!a || !b || a->empty() || b->empty())
      return;
    SymShape x = *a, y = *b;
    bool vecA = x.size() == 1, vecB = y.size() == 1;
    if (vecA)
      x.insert(x.begin(), SymExpr::constant(1));
    if (vecB)
      y.push_back(SymExpr::constant(1));
    SymShape batchA(x.begin(), x.end() - 2), batchB(y.begin(), y.end() - 2);
    SymShape r = broadcast(batchA, batchB);
    if (!vecA)
      r.push_back(x[x.size() - 2]);
    if (!vecB)
      r.push_back(y.back());
    setShape(out, r);
    return;
  }
  if (type == "Gemm") {
    auto a = in(0), b = in(1);
    if (!a || !b || a->size() != 2 || b->size() != 2)
      return;
    bool ta = op.getIntAttr("transA", 0), tb = op.getIntAttr("transB", 0);
    setShape(out, {(*a)[ta ? 1 : 0], (*b)[tb ? 0 : 1]});
    return;
  }
  if (type == "Expand") {
    auto s = in(0), target = elems(1);
    if (!s || !target)
      return;
    setShape(out, broadcast(*s, *target));
    return;
  }
  if (type == "ConstantOfShape") {
    auto target = elems(0);
    if (!target)
      return;
    setShape(out, *target);
    // A small integer fill is shape arithmetic too.
    auto fill = dyn_cast_or_null<DenseIntElementsAttr>(op.getOnnxAttr("value"));
    auto count = constantInts(*target);
    if (fill && fill.getNumElements() == 1 && count && count->size() <= 1) {
      int64_t n = count->empty() ? 1 : (*count)[0];
      APInt v = *fill.getValues<APInt>().begin();
      int64_t x = fill.getElementType().isInteger(1) ? v.getZExtValue() : v.getSExtValue();
      if (n >= 0 && n <= 16)
        setElements(out, SymShape(n, SymExpr::constant(x)));
    }
    return;
  }
  if (type == "Range") {
    auto start = elems(0), limit = elems(1), delta = elems(2);
    if (start && limit && delta && start->size() == 1 && limit->size() == 1 &&
        delta->size() == 1 && (*start)[0].getConstant() == 0 &&
        (*delta)[0].getConstant() == 1 && (*limit)[0].isKnown())
      setShape(out, {(*limit)[0]});
    return;
  }
  if (type == "Slice") {
    auto s = in(0), starts = elems(1), ends = elems(2);
    if (!s || !starts || !ends || starts->size() != ends->size())
      return;
    int64_t rank = s->size();
    SmallVector<int64_t> axes;
    if (op.getInput(3)) {
      auto a = elems(3);
      auto ints = a ? constantInts(*a) : std::nullopt;
      if (!ints)
        return;
      axes = *ints;
    } else {
      for (size_t i = 0; i < starts->size(); ++i)
        axes.push_back(i);
    }
    SmallVector<int64_t> steps(starts->size(), 1);
    if (op.getInput(4)) {
      auto st = elems(4);
      auto ints = st ? constantInts(*st) : std::nullopt;
      if (!ints)
        return;
      steps = *ints;
    }
    if (axes.size() != starts->size() || steps.size() != starts->size())
      return;
    SymShape r = *s;
    SmallVector<std::optional<std::pair<int64_t, int64_t>>> constRanges(rank);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t axis = normAxis(axes[i], rank);
      if (axis < 0 || axis >= rank)
        return;
      auto b = (*starts)[i].getConstant(), e = (*ends)[i].getConstant();
      SymExpr &d = r[axis];
      if (auto n = d.getConstant(); n && b && e) {
        int64_t step = steps[i];
        if (step == 0)
          return;
        int64_t lo = *b < 0 ? *b + *n : *b, hi = *e < 0 ? *e + *n : *e;
        int64_t len;
        if (step > 0) {
          lo = std::clamp<int64_t>(lo, 0, *n);
          hi = std::clamp<int64_t>(hi, 0, *n);
          len = hi > lo ? (hi - lo + step - 1) / step : 0;
        } else {
          // ONNX: a negative step clamps the start to [0, n-1] and the end to
          // [-1, n-1].
          lo = *n == 0 ? -1 : std::clamp<int64_t>(lo, 0, *n - 1);
          hi = std::clamp<int64_t>(hi, -1, *n - 1);
          len = lo > hi ? (lo - hi - step - 1) / -step : 0;
        }
        d = SymExpr::constant(len);
        if (step == 1)
          constRanges[axis] = std::make_pair(lo, lo + len);
      } else if (b == 0 && e && *e >= (int64_t(1) << 40) && steps[i] == 1) {
        // [0 : INT_MAX] keeps the extent.
      } else if (b == 0 && (*ends)[i].isPositive() && steps[i] == 1 &&
                 (*ends)[i] == d) {
        // [0 : d] keeps the extent.
      } else {
        d = SymExpr::symbol(newSymbol());
      }
    }
    setShape(out, r);
    if (rank == 1 && constRanges[0])
      if (auto e = elems(0)) {
        auto [lo, hi] = *constRanges[0];
        if (hi <= static_cast<int64_t>(e->size()))
          setElements(out, SymShape(e->begin() + lo, e->begin() + hi));
      }
    return;
  }
  if (type == "Split") {
    auto s = in(0);
    if (!s)
      return;
    int64_t rank = s->size();
    int64_t axis = normAxis(op.getIntAttr("axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return;
    SmallVector<SymExpr> sizes;
    if (auto e = elems(1)) {
      sizes.assign(e->begin(), e->end());
    } else if (auto attr = op.getIntsAttr("split")) {
      for (int64_t v : *attr)
        sizes.push_back(SymExpr::constant(v));
    } else {
      SymExpr each = (*s)[axis] / SymExpr::constant(op.getNumResults());
      sizes.assign(op.getNumResults(), each);
    }
    if (sizes.size() != op.getNumResults())
      return;
    for (auto [r, sz] : llvm::zip(op.getResults(), sizes)) {
      SymShape rs = *s;
      rs[axis] = sz;
      setShape(r, rs);
    }
    return;
  }
  if (type == "Tile") {
    auto s = in(0), reps = elems(1);
    if (!s || !reps || reps->size() != s->size())
      return;
    SymShape r;
    for (auto [d, k] : llvm::zip(*s, *reps))
      r.push_back(d * k);
    setShape(out, r);
    return;
  }
  if (type.starts_with("Reduce") || type == "ArgMax" || type == "ArgMin") {
    auto s = in(0);
    if (!s)
      return;
    int64_t rank = s->size();
    bool keep = op.getIntAttr("keepdims", 1) != 0;
    std::optional<SmallVector<int64_t>> axes;
    if (type == "ArgMax" || type == "ArgMin")
      axes = SmallVector<int64_t>{op.getIntAttr("axis", 0)};
    else
      axes = axesOf(1);
    if (!axes && op.getInput(1))
      return; // Runtime axes.
    SmallVector<bool> reduced(rank, !axes || axes->empty());
    if (axes && axes->empty() && op.getIntAttr("noop_with_empty_axes", 0))
      reduced.assign(rank, false);
    if (axes)
      for (int64_t a : *axes) {
        a = normAxis(a, rank);
        if (a < 0 || a >= rank)
          return;
        reduced[a] = true;
      }
    SymShape r;
    for (int64_t i = 0; i < rank; ++i)
      if (!reduced[i])
        r.push_back((*s)[i]);
      else if (keep)
        r.push_back(SymExpr::constant(1));
    setShape(out, r);
    return;
  }
}
