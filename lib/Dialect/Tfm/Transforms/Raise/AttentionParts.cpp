//===- AttentionParts.cpp - recognising parts of exported attention -*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "AttentionParts.h"
#include "../Weights.h"
#include "OnnxUtils.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <functional>
#include <numeric>

using namespace mlir;
using namespace mlir::tfm;
using onnx::constantOf;
using onnx::nodeOf;
using onnx::skipNoOps;

namespace {
std::optional<SmallVector<int64_t>> constInts(Value v);

/// A small dense tensor of doubles (integers and booleans included).
struct Tensor {
  SmallVector<int64_t> shape;
  std::vector<double> data;
  int64_t size() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                           std::multiplies<int64_t>());
  }
};

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Evaluates graph-tier values for concrete symbol values.
class Evaluator {
public:
  Evaluator(SymbolicShapes &shapes, std::function<int64_t(unsigned)> symbols)
      : shapes(shapes), symbols(std::move(symbols)) {}

  std::optional<Tensor> eval(Value v, int depth = 0);

private:
  std::optional<SmallVector<int64_t>> concreteShape(Value v) {
    auto s = shapes.shape(v);
    if (!s)
      return std::nullopt;
    SmallVector<int64_t> out;
    for (const SymExpr &d : *s) {
      auto c = d.evaluate(symbols);
      if (!c || *c < 0)
        return std::nullopt;
      out.push_back(*c);
    }
    return out;
  }
  std::optional<Tensor> evalNode(OnnxNodeOp node, Value v, int depth);

  SymbolicShapes &shapes;
  std::function<int64_t(unsigned)> symbols;
  DenseMap<Value, Tensor> cache;
};

std::optional<Tensor> fromConstant(ElementsAttr attr) {
  Tensor t;
  t.shape.assign(attr.getShapedType().getShape().begin(),
                 attr.getShapedType().getShape().end());
  if (t.size() > (int64_t(1) << 22))
    return std::nullopt;
  Type et = attr.getElementType();
  if (isa<FloatType>(et)) {
    // Models exported in bf16/f16 keep their constants in that type.
    t.data.reserve(t.size());
    if (!weights::forEachFloat(attr, [&](double v) { t.data.push_back(v); }))
      return std::nullopt;
    return t;
  }
  if (auto res = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = res.getRawHandle().getBlob();
    if (!blob)
      return std::nullopt;
    ArrayRef<char> d = blob->getData();
    int64_t n = t.size();
    if (!et.isInteger(64) || d.size() != size_t(n) * 8)
      return std::nullopt;
    const int64_t *f = reinterpret_cast<const int64_t *>(d.data());
    t.data.assign(f, f + n);
    return t;
  }
  if (et.isInteger(1)) {
    auto values = attr.tryGetValues<bool>();
    if (!values)
      return std::nullopt;
    for (bool v : *values)
      t.data.push_back(v);
  } else if (isa<IntegerType>(et)) {
    auto values = attr.tryGetValues<APInt>();
    if (!values)
      return std::nullopt;
    for (APInt v : *values)
      t.data.push_back(static_cast<double>(v.getSExtValue()));
  } else {
    return std::nullopt;
  }
  return t;
}

std::optional<SmallVector<int64_t>> broadcastShapes(ArrayRef<int64_t> a,
                                                    ArrayRef<int64_t> b) {
  size_t rank = std::max(a.size(), b.size());
  SmallVector<int64_t> r(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t x = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t y = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (x != y && x != 1 && y != 1)
      return std::nullopt;
    r[i] = x == 1 ? y : x;
  }
  return r;
}

/// Element of `t` at the multi-index `idx` of a broadcast result shape.
double at(const Tensor &t, ArrayRef<int64_t> idx) {
  size_t off = idx.size() - t.shape.size();
  int64_t flat = 0;
  for (size_t i = 0; i < t.shape.size(); ++i)
    flat = flat * t.shape[i] + (t.shape[i] == 1 ? 0 : idx[off + i]);
  return t.data[flat];
}

void forEachIndex(ArrayRef<int64_t> shape,
                  llvm::function_ref<void(ArrayRef<int64_t>)> fn) {
  SmallVector<int64_t> idx(shape.size(), 0);
  int64_t total = std::accumulate(shape.begin(), shape.end(), int64_t(1),
                                  std::multiplies<int64_t>());
  for (int64_t n = 0; n < total; ++n) {
    fn(idx);
    for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < shape[d])
        break;
      idx[d] = 0;
    }
  }
}

std::optional<Tensor> elementwise(ArrayRef<Tensor> ins,
                                  llvm::function_ref<double(ArrayRef<double>)> fn) {
  SmallVector<int64_t> shape = ins[0].shape;
  for (const Tensor &t : ins.drop_front()) {
    auto s = broadcastShapes(shape, t.shape);
    if (!s)
      return std::nullopt;
    shape = *s;
  }
  Tensor out;
  out.shape = shape;
  out.data.reserve(out.size());
  SmallVector<double> args(ins.size());
  forEachIndex(shape, [&](ArrayRef<int64_t> idx) {
    for (size_t i = 0; i < ins.size(); ++i)
      args[i] = at(ins[i], idx);
    out.data.push_back(fn(args));
  });
  return out;
}

std::optional<SmallVector<int64_t>> asInts(const Tensor &t) {
  SmallVector<int64_t> r;
  for (double d : t.data)
    r.push_back(static_cast<int64_t>(std::clamp(d, -9.0e18, 9.0e18)));
  return r;
}

std::optional<Tensor> Evaluator::eval(Value v, int depth) {
  v = skipNoOps(v);
  if (depth > 64 || !v)
    return std::nullopt;
  auto it = cache.find(v);
  if (it != cache.end())
    return it->second;
  std::optional<Tensor> result;
  if (ElementsAttr c = constantOf(v)) {
    result = fromConstant(c);
  } else if (auto cast = v.getDefiningOp<tensor::CastOp>()) {
    result = eval(cast.getSource(), depth + 1);
  } else if (auto node = v.getDefiningOp<OnnxNodeOp>(); node && node.getDomain().empty()) {
    result = evalNode(node, v, depth);
  }
  if (result)
    cache[v] = *result;
  return result;
}

std::optional<Tensor> Evaluator::evalNode(OnnxNodeOp node, Value v, int depth) {
  StringRef type = node.getOpType();
  auto in = [&](unsigned i) -> std::optional<Tensor> {
    return node.getInput(i) ? eval(node.getInput(i), depth + 1) : std::nullopt;
  };
  auto norm = [](int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; };
  bool isInt = !isa<FloatType>(cast<ShapedType>(v.getType()).getElementType());

  if (type == "Shape") {
    auto s = concreteShape(node.getInput(0));
    if (!s)
      return std::nullopt;
    int64_t rank = s->size();
    int64_t start = std::clamp<int64_t>(norm(node.getIntAttr("start", 0), rank), 0, rank);
    int64_t end = std::clamp<int64_t>(norm(node.getIntAttr("end", rank), rank), 0, rank);
    Tensor t;
    for (int64_t i = start; i < end; ++i)
      t.data.push_back((*s)[i]);
    t.shape = {static_cast<int64_t>(t.data.size())};
    return t;
  }
  if (type == "Size") {
    auto s = concreteShape(node.getInput(0));
    if (!s)
      return std::nullopt;
    Tensor t;
    t.data = {static_cast<double>(std::accumulate(s->begin(), s->end(), int64_t(1),
                                                  std::multiplies<int64_t>()))};
    return t;
  }
  if (type == "Cast" || type == "CastLike") {
    auto x = in(0);
    if (!x)
      return std::nullopt;
    if (type == "Cast" || type == "CastLike") {
      Type et = cast<ShapedType>(v.getType()).getElementType();
      for (double &d : x->data)
        d = et.isInteger(1) ? (d != 0) : isa<IntegerType>(et) ? std::trunc(d) : d;
    }
    return x;
  }
  static const llvm::StringMap<std::function<double(ArrayRef<double>)>> binary = {
      {"Add", [](ArrayRef<double> a) { return a[0] + a[1]; }},
      {"Sub", [](ArrayRef<double> a) { return a[0] - a[1]; }},
      {"Mul", [](ArrayRef<double> a) { return a[0] * a[1]; }},
      {"Equal", [](ArrayRef<double> a) { return double(a[0] == a[1]); }},
      {"Less", [](ArrayRef<double> a) { return double(a[0] < a[1]); }},
      {"LessOrEqual", [](ArrayRef<double> a) { return double(a[0] <= a[1]); }},
      {"Greater", [](ArrayRef<double> a) { return double(a[0] > a[1]); }},
      {"GreaterOrEqual", [](ArrayRef<double> a) { return double(a[0] >= a[1]); }},
      {"And", [](ArrayRef<double> a) { return double(a[0] != 0 && a[1] != 0); }},
      {"Or", [](ArrayRef<double> a) { return double(a[0] != 0 || a[1] != 0); }},
      {"Min", [](ArrayRef<double> a) { return std::min(a[0], a[1]); }},
      {"Max", [](ArrayRef<double> a) { return std::max(a[0], a[1]); }},
  };
  if (auto fn = binary.find(type); fn != binary.end()) {
    auto a = in(0), b = in(1);
    if (!a || !b)
      return std::nullopt;
    return elementwise({*a, *b}, fn->second);
  }
  if (type == "Div") {
    auto a = in(0), b = in(1);
    if (!a || !b)
      return std::nullopt;
    return elementwise({*a, *b}, [&](ArrayRef<double> x) {
      double q = x[0] / x[1];
      return isInt ? std::trunc(q) : q;
    });
  }
  if (type == "Where") {
    auto c = in(0), a = in(1), b = in(2);
    if (!c || !a || !b)
      return std::nullopt;
    return elementwise({*c, *a, *b},
                       [](ArrayRef<double> x) { return x[0] != 0 ? x[1] : x[2]; });
  }
  if (type == "Not" || type == "Neg" || type == "Reciprocal" || type == "Sqrt") {
    auto a = in(0);
    if (!a)
      return std::nullopt;
    for (double &d : a->data)
      d = type == "Not" ? double(d == 0) : type == "Neg" ? -d
                                          : type == "Sqrt" ? std::sqrt(d) : 1.0 / d;
    return a;
  }
  if (type == "Unsqueeze" || type == "Squeeze" || type == "Reshape" || type == "Flatten" ||
      type == "Expand") {
    auto x = in(0);
    auto s = concreteShape(v);
    if (!x || !s)
      return std::nullopt;
    if (type != "Expand") {
      Tensor t = *x;
      t.shape = *s;
      if (t.size() != static_cast<int64_t>(t.data.size()))
        return std::nullopt;
      return t;
    }
    Tensor target;
    target.shape = *s;
    if (target.size() > (1 << 22))
      return std::nullopt;
    target.data.assign(target.size(), 0.0);
    auto r = elementwise({*x, target}, [](ArrayRef<double> a) { return a[0]; });
    if (!r || r->shape != *s)
      return std::nullopt;
    return r;
  }
  if (type == "ConstantOfShape") {
    auto s = in(0);
    if (!s)
      return std::nullopt;
    Tensor t;
    t.shape = *asInts(*s);
    if (llvm::any_of(t.shape, [](int64_t e) { return e < 0 || e > (1 << 20); }))
      return std::nullopt; // malformed
    double fill = 0;
    if (auto value = dyn_cast_or_null<ElementsAttr>(node.getOnnxAttr("value"))) {
      auto f = fromConstant(value);
      if (!f || f->data.size() != 1)
        return std::nullopt;
      fill = f->data[0];
    }
    if (t.size() > (1 << 20))
      return std::nullopt;
    t.data.assign(t.size(), fill);
    return t;
  }
  if (type == "Range") {
    auto a = in(0), b = in(1), c = in(2);
    if (!a || !b || !c || a->data.size() != 1 || b->data.size() != 1 || c->data.size() != 1 ||
        c->data[0] == 0)
      return std::nullopt;
    Tensor t;
    for (double x = a->data[0]; c->data[0] > 0 ? x < b->data[0] : x > b->data[0];
         x += c->data[0]) {
      t.data.push_back(x);
      if (t.data.size() > 4096)
        return std::nullopt;
    }
    t.shape = {static_cast<int64_t>(t.data.size())};
    return t;
  }
  if (type == "Concat") {
    SmallVector<Tensor> parts;
    for (unsigned i = 0; i < node.getInputs().size(); ++i) {
      auto p = in(i);
      if (!p)
        return std::nullopt;
      parts.push_back(*p);
    }
    int64_t rank = parts[0].shape.size();
    int64_t axis = norm(node.getIntAttr("axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return std::nullopt; // malformed
    for (const Tensor &p : parts) {
      if (static_cast<int64_t>(p.shape.size()) != rank)
        return std::nullopt;
      for (int64_t i = 0; i < rank; ++i)
        if (i != axis && p.shape[i] != parts[0].shape[i])
          return std::nullopt;
    }
    Tensor out;
    out.shape = parts[0].shape;
    out.shape[axis] = 0;
    for (const Tensor &p : parts)
      out.shape[axis] += p.shape[axis];
    int64_t outer = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= out.shape[i];
    for (int64_t o = 0; o < outer; ++o)
      for (const Tensor &p : parts) {
        int64_t chunk = p.size() / std::max<int64_t>(outer, 1);
        out.data.insert(out.data.end(), p.data.begin() + o * chunk,
                        p.data.begin() + (o + 1) * chunk);
      }
    return out;
  }
  if (type == "Gather") {
    auto data = in(0), idx = in(1);
    if (!data || !idx)
      return std::nullopt;
    int64_t rank = data->shape.size();
    int64_t axis = norm(node.getIntAttr("axis", 0), rank);
    if (axis < 0 || axis >= rank)
      return std::nullopt; // malformed
    Tensor out;
    out.shape.assign(data->shape.begin(), data->shape.begin() + axis);
    out.shape.append(idx->shape.begin(), idx->shape.end());
    out.shape.append(data->shape.begin() + axis + 1, data->shape.end());
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < axis; ++i)
      outer *= data->shape[i];
    for (int64_t i = axis + 1; i < rank; ++i)
      inner *= data->shape[i];
    int64_t n = data->shape[axis];
    for (int64_t o = 0; o < outer; ++o)
      for (double id : idx->data) {
        int64_t k = static_cast<int64_t>(id);
        if (k < 0)
          k += n;
        if (k < 0 || k >= n)
          return std::nullopt;
        for (int64_t i = 0; i < inner; ++i)
          out.data.push_back(data->data[(o * n + k) * inner + i]);
      }
    return out;
  }
  if (type == "Slice") {
    auto data = in(0), starts = in(1), ends = in(2);
    if (!data || !starts || !ends)
      return std::nullopt;
    int64_t rank = data->shape.size();
    SmallVector<int64_t> axes, steps(starts->data.size(), 1);
    if (node.getInput(3)) {
      auto a = in(3);
      if (!a)
        return std::nullopt;
      axes = *asInts(*a);
    } else {
      for (size_t i = 0; i < starts->data.size(); ++i)
        axes.push_back(i);
    }
    if (node.getInput(4)) {
      auto st = in(4);
      if (!st)
        return std::nullopt;
      steps = *asInts(*st);
    }
    if (axes.size() != starts->data.size() || ends->data.size() != starts->data.size() ||
        steps.size() != starts->data.size())
      return std::nullopt; // malformed
    SmallVector<int64_t> lo(rank, 0), step(rank, 1), len(data->shape);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t ax = norm(axes[i], rank);
      if (ax < 0 || ax >= rank)
        return std::nullopt;
      int64_t n = data->shape[ax];
      int64_t b = static_cast<int64_t>(std::clamp<double>(starts->data[i], -4e18, 4e18));
      int64_t e = static_cast<int64_t>(std::clamp<double>(ends->data[i], -4e18, 4e18));
      int64_t s = steps[i];
      if (s <= 0)
        return std::nullopt; // Negative steps are not needed for masks.
      b = std::clamp<int64_t>(b < 0 ? b + n : b, 0, n);
      e = std::clamp<int64_t>(e < 0 ? e + n : e, 0, n);
      lo[ax] = b;
      step[ax] = s;
      len[ax] = e > b ? (e - b + s - 1) / s : 0;
    }
    Tensor out;
    out.shape = len;
    SmallVector<int64_t> strides = stridesOf(data->shape);
    forEachIndex(len, [&](ArrayRef<int64_t> idx) {
      int64_t flat = 0;
      for (int64_t d = 0; d < rank; ++d)
        flat += (lo[d] + idx[d] * step[d]) * strides[d];
      out.data.push_back(data->data[flat]);
    });
    return out;
  }
  if (type == "Transpose") {
    auto x = in(0);
    if (!x)
      return std::nullopt;
    int64_t rank = x->shape.size();
    SmallVector<int64_t> perm = node.getTransposePerm(rank);
    Tensor out;
    for (int64_t p : perm)
      out.shape.push_back(x->shape[p]);
    SmallVector<int64_t> strides = stridesOf(x->shape);
    forEachIndex(out.shape, [&](ArrayRef<int64_t> idx) {
      int64_t flat = 0;
      for (int64_t d = 0; d < rank; ++d)
        flat += idx[d] * strides[perm[d]];
      out.data.push_back(x->data[flat]);
    });
    return out;
  }
  if (type == "Trilu" || type == "EyeLike") {
    auto x = type == "Trilu" ? in(0) : std::optional<Tensor>();
    auto s = concreteShape(v);
    if (!s || s->size() < 2 || (type == "Trilu" && !x))
      return std::nullopt;
    int64_t k = type == "Trilu" ? 0 : node.getIntAttr("k", 0);
    if (type == "Trilu" && node.getInput(1)) {
      auto kt = in(1);
      if (!kt || kt->data.size() != 1)
        return std::nullopt;
      k = static_cast<int64_t>(kt->data[0]);
    }
    bool upper = node.getIntAttr("upper", 1) != 0;
    Tensor out;
    out.shape = *s;
    int64_t rows = (*s)[s->size() - 2], cols = s->back();
    forEachIndex(*s, [&](ArrayRef<int64_t> idx) {
      int64_t i = idx[idx.size() - 2], j = idx.back();
      if (type == "EyeLike") {
        out.data.push_back(j - i == k ? 1.0 : 0.0);
        return;
      }
      bool keep = upper ? j - i >= k : j - i <= k;
      out.data.push_back(keep ? x->data[out.data.size()] : 0.0);
    });
    (void)rows;
    (void)cols;
    return out;
  }
  if (type == "CumSum") {
    auto x = in(0), a = in(1);
    if (!x || !a || a->data.size() != 1 || node.getIntAttr("exclusive", 0) ||
        node.getIntAttr("reverse", 0))
      return std::nullopt;
    int64_t rank = x->shape.size();
    int64_t axis = norm(static_cast<int64_t>(a->data[0]), rank);
    SmallVector<int64_t> strides = stridesOf(x->shape);
    Tensor out = *x;
    forEachIndex(x->shape, [&](ArrayRef<int64_t> idx) {
      if (idx[axis] == 0)
        return;
      int64_t flat = 0;
      for (int64_t d = 0; d < rank; ++d)
        flat += idx[d] * strides[d];
      out.data[flat] += out.data[flat - strides[axis]];
    });
    return out;
  }
  return std::nullopt;
}

bool isBatchName(StringRef name) {
  std::string lower = name.lower();
  return StringRef(lower).contains("batch");
}

/// Evaluates `v` with every sequence-like symbol set to `n` and batch-like
/// symbols set to 1.
std::optional<Tensor> evaluateAt(Value v, SymbolicShapes &shapes, int64_t n) {
  std::function<int64_t(unsigned)> symbol = [&](unsigned id) -> int64_t {
    if (auto *s = shapes.sumOperands(id))
      return s->first.evaluate(symbol).value_or(-1) + s->second.evaluate(symbol).value_or(-1);
    return isBatchName(shapes.symbolName(id)) ? 1 : n;
  };
  Evaluator e(shapes, symbol);
  return e.eval(v);
}

constexpr int64_t kLengths[] = {1, 2, 3, 5, 8};

} // namespace

MaskKind mlir::tfm::classifyMask(Value mask, SymbolicShapes &shapes, int64_t prefix) {
  auto type = cast<ShapedType>(mask.getType());
  bool boolean = type.getElementType().isInteger(1);
  // A mask of static length (an export at a fixed sequence length, whose
  // causal mask is folded to a constant) exists only at that length.
  SmallVector<int64_t> lengths(std::begin(kLengths), std::end(kLengths));
  if (type.hasRank() && type.getRank() >= 2 &&
      !ShapedType::isDynamic(type.getShape()[type.getRank() - 2]))
    lengths.assign({type.getShape()[type.getRank() - 2]});
  for (int64_t n : lengths) {
    std::optional<Tensor> m = evaluateAt(mask, shapes, n);
    if (!m || m->shape.size() < 2 || m->shape.back() != prefix + n ||
        m->shape[m->shape.size() - 2] != n)
      return MaskKind::Other;
    bool ok = true;
    forEachIndex(m->shape, [&](ArrayRef<int64_t> idx) {
      int64_t i = idx[idx.size() - 2], j = idx.back();
      bool visible = j < prefix || j - prefix <= i;
      double x = at(*m, idx);
      bool seen = boolean ? x != 0 : x == 0;
      bool masked = boolean ? x == 0 : x <= -1e4;
      if (visible ? !seen : !masked)
        ok = false;
    });
    if (!ok)
      return MaskKind::Other;
  }
  return prefix ? MaskKind::CausalAfterPrefix : MaskKind::Causal;
}

namespace {
/// The kinds of matrix term in shaped attention.
enum class Term { Identity, CausalUniform, FullUniform };

/// What a matrix term of shaped attention is, per head: `c_h·I`, `c_h·C`
/// (C's rows the causal means, `1/(i+1)` for `j <= i`) or `c_h` times the
/// full mean `1/T`; returns the kind and the factors `c_h`. The term is
/// evaluated at several lengths, where `c_h` must not change, or, when its
/// type has a static length (an export at a fixed sequence length, whose
/// exporter folds `c_h·I` and `c_h·C` into constants), at that length.
/// Entries are compared within the element type's rounding (bf16/f16
/// exports round `c_h/(i+1)`). The matrix is shared by the heads or laid out
/// [.., H, T, T].
std::optional<std::pair<Term, std::vector<double>>>
classifyMatrix(Value v, SymbolicShapes &shapes, int64_t heads) {
  auto type = cast<ShapedType>(v.getType());
  if (!type.hasRank() || type.getRank() < 2)
    return std::nullopt;
  SmallVector<int64_t> lengths(std::begin(kLengths), std::end(kLengths));
  int64_t rows = type.getShape()[type.getRank() - 2];
  if (!ShapedType::isDynamic(rows))
    lengths.assign({rows});
  Type element = type.getElementType();
  double tolerance = element.isF32() || element.isF64() ? 1e-6 : 1e-2;
  auto close = [&](double x, double want, double scale) {
    return std::abs(x - want) <= tolerance * std::abs(scale);
  };
  std::optional<Term> kind;
  // NaN: not seen yet (a head whose slices are all zero keeps factor 0).
  std::vector<double> factors(heads, std::nan(""));
  for (int64_t n : lengths) {
    std::optional<Tensor> m = evaluateAt(v, shapes, n);
    if (!m || m->shape.size() < 2 || m->shape.back() != n ||
        m->shape[m->shape.size() - 2] != n)
      return std::nullopt;
    if (n == 1)
      continue; // All three kinds coincide at length 1.
    ArrayRef<int64_t> lead = ArrayRef<int64_t>(m->shape).drop_back(2);
    bool perHead = !lead.empty() && lead.back() == heads && heads > 1;
    int64_t slices = m->size() / (n * n);
    for (int64_t slice = 0; slice < slices; ++slice) {
      const double *x = m->data.data() + slice * n * n;
      double c = x[0];
      bool identity = true, causal = true, full = true;
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j) {
          double e = x[i * n + j];
          identity &= close(e, i == j ? c : 0.0, c);
          causal &= close(e, j <= i ? c / (i + 1) : 0.0, c);
          full &= close(e, c, c);
        }
      if (!identity && !causal && !full)
        return std::nullopt;
      double factor = c;
      if (c != 0.0) {
        Term here = identity ? Term::Identity
                    : causal ? Term::CausalUniform
                             : Term::FullUniform;
        if (kind && *kind != here)
          return std::nullopt;
        kind = here;
        factor = here == Term::FullUniform ? c * n : c;
      }
      for (int64_t h = 0; h < heads; ++h) {
        if (perHead && h != slice % heads)
          continue;
        if (std::isnan(factors[h]))
          factors[h] = factor;
        else if (!close(factors[h], factor, factor == 0 ? 1.0 : factor))
          return std::nullopt;
      }
    }
  }
  if (!kind)
    return std::nullopt;
  for (double &f : factors)
    if (std::isnan(f))
      f = 0.0;
  return std::make_pair(*kind, factors);
}

/// Splits a sum/difference tree into signed terms.
void collectTerms(Value v, double sign, SmallVectorImpl<std::pair<Value, double>> &terms,
                  int depth = 0) {
  v = skipNoOps(v);
  if (depth < 6) {
    if (auto add = nodeOf(v, "Add")) {
      collectTerms(add.getInput(0), sign, terms, depth + 1);
      collectTerms(add.getInput(1), sign, terms, depth + 1);
      return;
    }
    if (auto sub = nodeOf(v, "Sub")) {
      collectTerms(sub.getInput(0), sign, terms, depth + 1);
      collectTerms(sub.getInput(1), -sign, terms, depth + 1);
      return;
    }
  }
  terms.push_back({v, sign});
}

/// Per-head coefficients of a product term: scalar constants and constants
/// shaped [H, 1, 1] / [1, H, 1, 1]; the one remaining factor is the matrix.
std::optional<std::pair<Value, std::vector<double>>>
splitCoefficient(Value term, int64_t heads) {
  std::vector<double> coef(heads, 1.0);
  Value matrix;
  SmallVector<Value> work{term};
  while (!work.empty()) {
    Value v = skipNoOps(work.pop_back_val());
    if (auto mul = nodeOf(v, "Mul")) {
      work.push_back(mul.getInput(0));
      work.push_back(mul.getInput(1));
      continue;
    }
    if (ElementsAttr c = constantOf(v); c && isa<FloatType>(c.getElementType())) {
      auto t = fromConstant(c);
      ArrayRef<int64_t> s = c.getShapedType().getShape();
      int64_t nonUnit = llvm::count_if(s, [](int64_t d) { return d != 1; });
      if (!t)
        return std::nullopt;
      if (t->data.size() == 1) {
        for (double &x : coef)
          x *= t->data[0];
        continue;
      }
      // [.., H, 1, 1]: one entry per head.
      if (nonUnit == 1 && s.size() >= 3 && s[s.size() - 3] == heads) {
        for (int64_t h = 0; h < heads; ++h)
          coef[h] *= t->data[h];
        continue;
      }
    }
    if (matrix)
      return std::nullopt;
    matrix = v;
  }
  if (!matrix)
    return std::nullopt;
  return std::make_pair(matrix, coef);
}
} // namespace

std::optional<ShapedCoefficients>
mlir::tfm::matchShapedAttention(Value probs, SymbolicShapes &shapes) {
  auto ps = shapes.shape(probs);
  if (!ps || ps->size() != 4 || !(*ps)[1].getConstant())
    return std::nullopt;
  int64_t heads = *(*ps)[1].getConstant();
  // The combination is the sum tree containing probs whose consumer is the
  // value MatMul: walk up from probs through Mul/Add/Sub users.
  Value top = probs;
  for (int i = 0; i < 8; ++i) {
    if (!top.hasOneUse())
      break;
    auto user = dyn_cast<OnnxNodeOp>(*top.getUsers().begin());
    if (!user || !user.getDomain().empty())
      break;
    StringRef t = user.getOpType();
    if (t != "Mul" && t != "Add" && t != "Sub" && skipNoOps(user.getResult(0)) != top)
      break;
    top = user.getResult(0);
  }
  if (top == probs)
    return std::nullopt;
  SmallVector<std::pair<Value, double>> terms;
  collectTerms(top, 1.0, terms);
  ShapedCoefficients result;
  result.combined = top;
  result.alpha.assign(heads, 0.0);
  result.beta.assign(heads, 0.0);
  result.gamma.assign(heads, 0.0);
  bool sawProbs = false, sawC = false;
  for (auto [term, sign] : terms) {
    auto split = splitCoefficient(term, heads);
    if (!split)
      return std::nullopt;
    auto [matrix, coef] = *split;
    std::vector<double> *target;
    if (matrix == probs) {
      target = &result.beta;
      sawProbs = true;
    } else {
      auto classified = classifyMatrix(matrix, shapes, heads);
      if (!classified)
        return std::nullopt;
      Term kind = classified->first;
      for (int64_t h = 0; h < heads; ++h)
        coef[h] *= classified->second[h];
      if (kind == Term::Identity) {
        target = &result.alpha;
      } else if (kind == Term::CausalUniform || kind == Term::FullUniform) {
        if (sawC && result.causal != (kind == Term::CausalUniform))
          return std::nullopt;
        sawC = true;
        result.causal = kind == Term::CausalUniform;
        target = &result.gamma;
        sign = -sign;
      } else {
        return std::nullopt;
      }
    }
    for (int64_t h = 0; h < heads; ++h)
      (*target)[h] += sign * coef[h];
  }
  if (!sawProbs)
    return std::nullopt;
  return result;
}

Value mlir::tfm::repeatedKv(Value bhsd, SymbolicShapes &shapes) {
  auto reshape = nodeOf(skipNoOps(bhsd), "Reshape");
  if (!reshape)
    return {};
  // Expand or Tile by [1, 1, r, 1, 1] repeats each KV head r times.
  OnnxNodeOp expand = nodeOf(skipNoOps(reshape.getInput(0)), "Expand");
  if (!expand) {
    expand = nodeOf(skipNoOps(reshape.getInput(0)), "Tile");
    auto reps = expand ? constInts(expand.getInput(1)) : std::nullopt;
    if (!reps || reps->size() != 5 || (*reps)[0] != 1 || (*reps)[1] != 1 ||
        (*reps)[3] != 1 || (*reps)[4] != 1)
      return {};
  }
  auto unsq = nodeOf(skipNoOps(expand.getInput(0)), "Unsqueeze");
  if (!unsq)
    return {};
  Value kg = unsq.getInput(0);
  auto gs = shapes.shape(kg), es = shapes.shape(expand.getResult(0)),
       rs = shapes.shape(reshape.getResult(0));
  if (!gs || !es || !rs || gs->size() != 4 || es->size() != 5 || rs->size() != 4)
    return {};
  // [B, G, 1, S, D] -> [B, G, r, S, D] -> [B, G·r, S, D]
  const SymShape &g = *gs, &e = *es, &r = *rs;
  if (e[0] != g[0] || e[1] != g[1] || e[3] != g[2] || e[4] != g[3] || r[0] != g[0] ||
      r[2] != g[2] || r[3] != g[3] || r[1] != g[1] * e[2])
    return {};
  return kg;
}

/// The constant behind a broadcast of bias slots, as [Hkv, P, D] values.
static std::optional<Tensor> biasConstant(Value v) {
  for (int i = 0; i < 6; ++i) {
    v = skipNoOps(v);
    if (auto e = nodeOf(v, "Expand")) {
      v = e.getInput(0);
      continue;
    }
    if (auto t = nodeOf(v, "Tile")) {
      v = t.getInput(0);
      continue;
    }
    if (auto u = nodeOf(v, "Unsqueeze")) {
      v = u.getInput(0);
      continue;
    }
    break;
  }
  ElementsAttr c = constantOf(v);
  if (!c || !isa<FloatType>(c.getElementType()))
    return std::nullopt;
  auto t = fromConstant(c);
  if (!t)
    return std::nullopt;
  // [1, Hkv, P, D] or [Hkv, P, D]
  while (t->shape.size() > 3 && t->shape.front() == 1)
    t->shape.erase(t->shape.begin());
  if (t->shape.size() != 3)
    return std::nullopt;
  return t;
}

std::optional<KvBiasSlots> mlir::tfm::matchKvBiasSlots(Value kh, Value vh,
                                                       SymbolicShapes &shapes) {
  auto kc = nodeOf(skipNoOps(kh), "Concat"), vc = nodeOf(skipNoOps(vh), "Concat");
  if (!kc || !vc || kc.getInputs().size() != 2 || vc.getInputs().size() != 2)
    return std::nullopt;
  auto seqAxis = [](OnnxNodeOp c) {
    int64_t a = c.getIntAttr("axis", 0);
    return a == 2 || a == -2;
  };
  if (!seqAxis(kc) || !seqAxis(vc))
    return std::nullopt;
  auto kb = biasConstant(kc.getInput(0)), vb = biasConstant(vc.getInput(0));
  if (!kb || !vb || kb->shape[1] != vb->shape[1] || kb->shape[0] != vb->shape[0])
    return std::nullopt;
  auto ks = shapes.shape(kc.getInput(1)), vs = shapes.shape(vc.getInput(1));
  if (!ks || !vs || ks->size() != 4 || vs->size() != 4 ||
      (*ks)[1].getConstant() != kb->shape[0] || (*ks)[3].getConstant() != kb->shape[2] ||
      (*vs)[3].getConstant() != vb->shape[2])
    return std::nullopt;
  Type et = cast<ShapedType>(kh.getType()).getElementType();
  OpBuilder b(kc);
  auto make = [&](const Tensor &t) -> Value {
    SmallVector<APFloat> aps;
    for (double d : t.data) {
      APFloat ap(d);
      bool lost;
      ap.convert(cast<FloatType>(et).getFloatSemantics(), APFloat::rmNearestTiesToEven,
                 &lost);
      aps.push_back(ap);
    }
    return arith::ConstantOp::create(
        b, kc.getLoc(), DenseElementsAttr::get(RankedTensorType::get(t.shape, et), aps));
  };
  KvBiasSlots slots;
  slots.count = kb->shape[1];
  slots.keyBias = make(*kb);
  slots.valueBias = make(*vb);
  slots.keys = kc.getInput(1);
  slots.values = vc.getInput(1);
  return slots;
}

//===----------------------------------------------------------------------===//
// Rotary embeddings
//===----------------------------------------------------------------------===//

namespace {
/// The constant integers of a small constant input, if it is one.
std::optional<SmallVector<int64_t>> constInts(Value v) {
  ElementsAttr c = constantOf(v);
  if (!c || !isa<IntegerType>(c.getElementType()) || c.getNumElements() > 16)
    return std::nullopt;
  auto values = c.tryGetValues<APInt>();
  if (!values)
    return std::nullopt;
  SmallVector<int64_t> r;
  for (APInt x : *values)
    r.push_back(x.getSExtValue());
  return r;
}

/// Slice of `v` along its last axis: (source, start, end, step).
struct LastAxisSlice {
  Value source;
  int64_t start, end, step;
};
std::optional<LastAxisSlice> lastAxisSlice(Value v) {
  auto slice = nodeOf(skipNoOps(v), "Slice");
  if (!slice)
    return std::nullopt;
  auto type = dyn_cast<RankedTensorType>(slice.getInput(0).getType());
  auto starts = constInts(slice.getInput(1)), ends = constInts(slice.getInput(2));
  if (!type || !starts || !ends || starts->size() != 1 || ends->size() != 1)
    return std::nullopt;
  int64_t rank = type.getRank(), axis = rank - 1, step = 1;
  if (slice.getInput(3)) {
    auto axes = constInts(slice.getInput(3));
    if (!axes || axes->size() != 1)
      return std::nullopt;
    axis = (*axes)[0] < 0 ? (*axes)[0] + rank : (*axes)[0];
  }
  if (slice.getInput(4)) {
    auto steps = constInts(slice.getInput(4));
    if (!steps || steps->size() != 1)
      return std::nullopt;
    step = (*steps)[0];
  }
  int64_t d = type.getShape().back();
  if (axis != rank - 1 || ShapedType::isDynamic(d) || step <= 0)
    return std::nullopt;
  int64_t b = (*starts)[0] < 0 ? (*starts)[0] + d : (*starts)[0];
  int64_t e = (*ends)[0] < 0 ? (*ends)[0] + d : std::min((*ends)[0], d);
  return LastAxisSlice{skipNoOps(slice.getInput(0)), b, e, step};
}

bool isLastAxisConcat(OnnxNodeOp c) {
  if (!c || c.getInputs().empty())
    return false;
  auto t = dyn_cast<RankedTensorType>(c.getResult(0).getType());
  int64_t axis = c.getIntAttr("axis", 0);
  return t && (axis == -1 || axis == t.getRank() - 1);
}

/// rotate_half(x) = Concat(-x[..., R/2:R], x[..., :R/2]) -> x.
Value rotateHalfOf(Value v) {
  auto cat = nodeOf(skipNoOps(v), "Concat");
  if (!isLastAxisConcat(cat) || cat.getInputs().size() != 2)
    return {};
  auto neg = nodeOf(skipNoOps(cat.getInput(0)), "Neg");
  if (!neg)
    return {};
  auto hi = lastAxisSlice(neg.getInput(0)), lo = lastAxisSlice(cat.getInput(1));
  if (!hi || !lo || hi->source != lo->source || hi->step != 1 || lo->step != 1 ||
      lo->start != 0)
    return {};
  auto t = cast<RankedTensorType>(hi->source.getType());
  int64_t d = t.getShape().back();
  if (hi->start != lo->end || hi->end != d || 2 * lo->end != d)
    return {};
  return hi->source;
}

/// rotate_every_two(x) = Reshape(Concat(Unsqueeze(-x[..., 1::2], -1),
///                                     Unsqueeze(x[..., ::2], -1)), x.shape) -> x.
Value rotateEveryTwoOf(Value v) {
  auto reshape = nodeOf(skipNoOps(v), "Reshape");
  if (!reshape)
    return {};
  auto cat = nodeOf(skipNoOps(reshape.getInput(0)), "Concat");
  if (!isLastAxisConcat(cat) || cat.getInputs().size() != 2)
    return {};
  auto u0 = nodeOf(skipNoOps(cat.getInput(0)), "Unsqueeze");
  auto u1 = nodeOf(skipNoOps(cat.getInput(1)), "Unsqueeze");
  if (!u0 || !u1)
    return {};
  auto neg = nodeOf(skipNoOps(u0.getInput(0)), "Neg");
  if (!neg)
    return {};
  auto odd = lastAxisSlice(neg.getInput(0)), even = lastAxisSlice(u1.getInput(0));
  if (!odd || !even || odd->source != even->source || odd->step != 2 ||
      even->step != 2 || odd->start != 1 || even->start != 0)
    return {};
  if (reshape.getResult(0).getType() != odd->source.getType())
    return {};
  return odd->source;
}

/// Whether the table repeats each angle in its two halves along the last
/// axis: an elementwise image (Cos, Sin, scalar scaling, Cast, Unsqueeze)
/// of Concat(a, a), or a constant with equal halves.
bool halvesRepeat(Value v) {
  for (int i = 0; i < 12; ++i) {
    v = skipNoOps(v);
    if (ElementsAttr c = constantOf(v)) {
      auto t = fromConstant(c);
      if (!t || t->shape.empty() || t->shape.back() % 2)
        return false;
      int64_t d = t->shape.back(), h = d / 2;
      for (size_t row = 0; row < t->data.size(); row += d)
        for (int64_t j = 0; j < h; ++j)
          if (t->data[row + j] != t->data[row + h + j])
            return false;
      return true;
    }
    auto node = v.getDefiningOp<OnnxNodeOp>();
    if (!node || !node.getDomain().empty())
      return false;
    StringRef t = node.getOpType();
    if (t == "Concat")
      return isLastAxisConcat(node) && node.getInputs().size() == 2 &&
             skipNoOps(node.getInput(0)) == skipNoOps(node.getInput(1));
    if (t == "Cos" || t == "Sin" || t == "Unsqueeze" || t == "Neg") {
      v = node.getInput(0);
      continue;
    }
    if (t == "Mul" || t == "Div") {
      if (onnx::scalarOf(node.getInput(1))) {
        v = node.getInput(0);
        continue;
      }
      if (t == "Mul" && onnx::scalarOf(node.getInput(0))) {
        v = node.getInput(1);
        continue;
      }
    }
    return false;
  }
  return false;
}

/// repeat_interleave(a, 2) on the last axis, as Reshape(Tile|Expand(
/// Unsqueeze(a, -1))) -> a.
Value pairsOf(Value v) {
  auto reshape = nodeOf(skipNoOps(v), "Reshape");
  if (!reshape)
    return {};
  Value rep = skipNoOps(reshape.getInput(0));
  auto repType = dyn_cast<RankedTensorType>(rep.getType());
  if (!repType || repType.getShape().back() != 2)
    return {};
  auto node = rep.getDefiningOp<OnnxNodeOp>();
  if (!node || (node.getOpType() != "Tile" && node.getOpType() != "Expand"))
    return {};
  auto unsq = nodeOf(skipNoOps(node.getInput(0)), "Unsqueeze");
  if (!unsq)
    return {};
  auto ut = dyn_cast<RankedTensorType>(unsq.getResult(0).getType());
  if (!ut || ut.getShape().back() != 1)
    return {};
  if (node.getOpType() == "Tile") {
    auto reps = constInts(node.getInput(1));
    if (!reps || reps->back() != 2 ||
        llvm::any_of(ArrayRef<int64_t>(*reps).drop_back(), [](int64_t r) { return r != 1; }))
      return {};
  }
  // The Reshape only merges the repeat axis into the last one: what it
  // reshapes is the Unsqueeze's result [..., R/2, 1] repeated. The Unsqueeze
  // may also insert the head axis ([B, S, R/2] -> [B, S, 1, R/2, 1]); then
  // the table is its rank-3 input.
  Value a = unsq.getInput(0);
  auto at = dyn_cast<RankedTensorType>(a.getType());
  auto out = dyn_cast<RankedTensorType>(reshape.getResult(0).getType());
  if (!at || !out || ut.getRank() != out.getRank() + 1 ||
      ShapedType::isDynamic(at.getShape().back()) ||
      out.getShape().back() != 2 * at.getShape().back() ||
      ut.getDimSize(ut.getRank() - 2) != at.getShape().back())
    return {};
  for (int64_t i = 0; i + 1 < out.getRank(); ++i)
    if (ut.getDimSize(i) != out.getDimSize(i) && !ut.isDynamicDim(i) &&
        !out.isDynamicDim(i))
      return {};
  if (at.getRank() != out.getRank() && at.getRank() != 3)
    return {};
  return a;
}
} // namespace

/// The complex-pairs form (Meta's Llama, llama2.c): x viewed as [..., D/2, 2],
/// (a, b) = its two planes, out = stack(a·c − b·s, a·s + b·c) viewed as
/// [..., D]. That is the interleaved rotary with c, s as the pair tables.
static std::optional<RotaryMatch> matchPairRotary(Value v) {
  auto out = nodeOf(v, "Reshape");
  if (!out)
    return std::nullopt;
  auto cat = nodeOf(skipNoOps(out.getInput(0)), "Concat");
  if (!isLastAxisConcat(cat) || cat.getInputs().size() != 2)
    return std::nullopt;
  auto u0 = nodeOf(skipNoOps(cat.getInput(0)), "Unsqueeze");
  auto u1 = nodeOf(skipNoOps(cat.getInput(1)), "Unsqueeze");
  if (!u0 || !u1)
    return std::nullopt;
  auto re = nodeOf(skipNoOps(u0.getInput(0)), "Sub");
  auto im = nodeOf(skipNoOps(u1.getInput(0)), "Add");
  if (!re || !im)
    return std::nullopt;
  // A Mul's two operands as (plane, table) given the plane.
  auto split = [](Value mulValue, Value plane) -> Value {
    auto mul = nodeOf(skipNoOps(mulValue), "Mul");
    if (!mul)
      return {};
    if (skipNoOps(mul.getInput(0)) == plane)
      return mul.getInput(1);
    if (skipNoOps(mul.getInput(1)) == plane)
      return mul.getInput(0);
    return {};
  };
  // The planes: Gather(x5, 0 | 1) along the last axis.
  auto plane = [](Value p, int64_t index) -> Value {
    auto g = nodeOf(skipNoOps(p), "Gather");
    if (!g)
      return {};
    auto t = dyn_cast<RankedTensorType>(g.getInput(0).getType());
    int64_t axis = g.getIntAttr("axis", 0);
    auto idx = constInts(g.getInput(1));
    if (!t || (axis != -1 && axis != t.getRank() - 1) || !idx || idx->size() != 1 ||
        (*idx)[0] != index || t.getShape().back() != 2)
      return {};
    return skipNoOps(g.getInput(0));
  };
  auto reMul0 = nodeOf(skipNoOps(re.getInput(0)), "Mul");
  if (!reMul0)
    return std::nullopt;
  for (int which = 0; which < 2; ++which) {
    Value a = skipNoOps(reMul0.getInput(which));
    Value x5 = plane(a, 0);
    if (!x5)
      continue;
    Value c = reMul0.getInput(1 - which);
    Value b;
    auto reMul1 = nodeOf(skipNoOps(re.getInput(1)), "Mul");
    if (!reMul1)
      return std::nullopt;
    for (int k = 0; k < 2; ++k)
      if (plane(skipNoOps(reMul1.getInput(k)), 1) == x5)
        b = skipNoOps(reMul1.getInput(k));
    if (!b)
      continue;
    Value sTable = split(re.getInput(1), b);
    // im = a·s + b·c in either order.
    Value s0 = split(im.getInput(0), a), c0 = split(im.getInput(1), b);
    Value s1 = split(im.getInput(1), a), c1 = split(im.getInput(0), b);
    bool imOk = (s0 && c0 && skipNoOps(s0) == skipNoOps(sTable) && skipNoOps(c0) == skipNoOps(c)) ||
                (s1 && c1 && skipNoOps(s1) == skipNoOps(sTable) && skipNoOps(c1) == skipNoOps(c));
    if (!sTable || !imOk)
      continue;
    auto view = nodeOf(x5, "Reshape");
    if (!view)
      continue;
    Value x = skipNoOps(view.getInput(0));
    if (x.getType() != out.getResult(0).getType())
      continue;
    auto xt = cast<RankedTensorType>(x.getType());
    RotaryMatch match;
    match.input = x;
    match.cos = c;
    match.sin = sTable;
    match.cosPairs = c;
    match.sinPairs = sTable;
    match.interleaved = true;
    match.rotaryDim = xt.getShape().back();
    return match;
  }
  return std::nullopt;
}

std::optional<RotaryMatch> mlir::tfm::matchRotary(Value v, SymbolicShapes &shapes) {
  v = skipNoOps(v);
  if (auto pairs = matchPairRotary(v))
    return pairs;
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || type.getRank() != 4 || ShapedType::isDynamic(type.getShape().back()))
    return std::nullopt;
  int64_t d = type.getShape().back();
  // Partial rotary: Concat(rotary(x[..., :R]), x[..., R:]).
  Value rotated = v, whole;
  int64_t r = d;
  if (auto cat = nodeOf(v, "Concat"); isLastAxisConcat(cat) && cat.getInputs().size() == 2) {
    auto pass = lastAxisSlice(cat.getInput(1));
    if (!pass || pass->step != 1 || pass->end != d)
      return std::nullopt;
    r = pass->start;
    rotated = skipNoOps(cat.getInput(0));
    whole = pass->source;
  }
  // x·cos + rotate(x)·sin, in any operand order.
  auto add = nodeOf(rotated, "Add");
  if (!add)
    return std::nullopt;
  for (int side = 0; side < 2; ++side) {
    auto m0 = nodeOf(skipNoOps(add.getInput(side)), "Mul");
    auto m1 = nodeOf(skipNoOps(add.getInput(1 - side)), "Mul");
    if (!m0 || !m1)
      continue;
    for (int a = 0; a < 2; ++a)
      for (int b = 0; b < 2; ++b) {
        Value x = skipNoOps(m0.getInput(a)), cos = m0.getInput(1 - a);
        Value rot = m1.getInput(b), sin = m1.getInput(1 - b);
        RotaryMatch match;
        match.rotaryDim = r;
        match.cos = cos;
        match.sin = sin;
        Value src;
        if (Value h = rotateHalfOf(rot); h && h == x) {
          if (!halvesRepeat(cos) || !halvesRepeat(sin))
            continue;
          src = x;
        } else if (Value e = rotateEveryTwoOf(rot); e && e == x) {
          match.interleaved = true;
          match.cosPairs = pairsOf(cos);
          match.sinPairs = pairsOf(sin);
          if (!match.cosPairs || !match.sinPairs)
            continue;
          src = x;
        } else {
          continue;
        }
        auto st = dyn_cast<RankedTensorType>(src.getType());
        if (!st || st.getShape().back() != r)
          continue;
        // The rotated part is x[..., :R] of the tensor the pass-through
        // slices (or all of it).
        if (whole) {
          auto head = lastAxisSlice(src);
          if (!head || head->source != whole || head->start != 0 || head->end != r ||
              head->step != 1)
            continue;
          match.input = whole;
        } else {
          match.input = src;
        }
        (void)shapes;
        return match;
      }
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Constant folding
//===----------------------------------------------------------------------===//

TypedAttr mlir::tfm::evaluateConstantNode(OnnxNodeOp node, SymbolicShapes &shapes) {
  if (node.getNumResults() != 1 || !node.getDomain().empty())
    return {};
  for (Value in : node.getInputs())
    if (!isa<NoneType>(in.getType()) && !constantOf(in))
      return {};
  auto type = dyn_cast<RankedTensorType>(node.getResult(0).getType());
  if (!type || !type.hasStaticShape() || type.getNumElements() > (int64_t(1) << 22))
    return {};
  Type et = type.getElementType();
  bool isFloat = isa<FloatType>(et);
  if (!isFloat && !et.isSignlessInteger())
    return {};
  Evaluator e(shapes, [](unsigned) { return int64_t(1); });
  std::optional<Tensor> t = e.eval(node.getResult(0));
  if (!t || ArrayRef<int64_t>(t->shape) != type.getShape() ||
      static_cast<int64_t>(t->data.size()) != type.getNumElements())
    return {};
  if (isFloat) {
    auto ft = cast<FloatType>(et);
    if (et.isF32() && t->data.size() > 64) {
      std::vector<float> f(t->data.begin(), t->data.end());
      ArrayRef<char> bytes(reinterpret_cast<const char *>(f.data()), f.size() * 4);
      return DenseResourceElementsAttr::get(
          type, "folded", HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, 16));
    }
    SmallVector<APFloat> values;
    for (double d : t->data) {
      APFloat ap(d);
      bool lost;
      ap.convert(ft.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
      values.push_back(ap);
    }
    return DenseElementsAttr::get(type, values);
  }
  if (et.isInteger(1)) {
    SmallVector<bool> bits;
    for (double d : t->data)
      bits.push_back(d != 0);
    return DenseElementsAttr::get(type, bits);
  }
  SmallVector<APInt> ints;
  for (double d : t->data)
    ints.push_back(APInt(et.getIntOrFloatBitWidth(),
                         static_cast<int64_t>(std::clamp(d, -9.0e18, 9.0e18)),
                         /*isSigned=*/true, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, ints);
}
