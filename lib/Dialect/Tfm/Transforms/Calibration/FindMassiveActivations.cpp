//===- FindMassiveActivations.cpp - tfm-find-massive-activations --*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Dialect/Tfm/Transforms/Calibration.h"
#include "tfm/Support/Progress.h"
#include "tfm/Dialect/Tfm/Transforms/Passes.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace mlir::tfm {
#define GEN_PASS_DEF_TFMFINDMASSIVEACTIVATIONS
#include "tfm/Dialect/Tfm/Transforms/Passes.h.inc"
} // namespace mlir::tfm

using namespace mlir;
using namespace mlir::tfm;

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

static double medianOf(std::vector<float> values) {
  if (values.empty())
    return 0.0;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + mid, values.end());
  double hi = values[mid];
  if (values.size() % 2)
    return hi;
  double lo = *std::max_element(values.begin(), values.begin() + mid);
  return 0.5 * (lo + hi);
}

llvm::Expected<MassiveActivationReport>
mlir::tfm::findMassiveActivations(ModuleOp module, func::FuncOp entry,
                                  const CalibrationSource &source,
                                  const MassiveCriterion &criterion) {
  SmallVector<BlockOp> blocks = topLevelBlocks(entry);
  if (blocks.empty())
    return makeError("@" + entry.getSymName() +
                     " has no tfm.block: run --tfm-raise (or tfm-form-blocks) first");
  SmallVector<Value> probes;
  SmallVector<int64_t> layerIds;
  for (auto [i, b] : llvm::enumerate(blocks)) {
    if (b->getNumResults() == 0 ||
        cast<ShapedType>(b->getResult(0).getType()).getRank() < 2)
      return makeError("the tfm.block at position " + std::to_string(i) +
                       " yields no residual stream [.., T, D]");
    probes.push_back(b->getResult(0));
    layerIds.push_back(b.getLayer() ? static_cast<int64_t>(*b.getLayer()) : i);
  }
  auto exe = ProbedExecutable::compile(module, entry, probes);
  if (!exe)
    return exe.takeError();
  int64_t idsArg = tokenIdsArgument(entry);
  if (idsArg < 0)
    return makeError("@" + entry.getSymName() + " has no single token ids argument");
  int64_t vocabulary = vocabularySize(entry);
  if (vocabulary <= 0)
    return makeError("the vocabulary size of @" + entry.getSymName() +
                     " is unknown (dynamic embedding table)");
  // A model whose fixed first token was precomputed away never sees it.
  CalibrationSource adjusted = source;
  if (auto dropped = entry.getArgAttrOfType<IntegerAttr>(idsArg, "tfm.first_token"))
    if (adjusted.firstToken < 0)
      adjusted.avoidToken = dropped.getInt();
  auto seqs = calibrationSequences(adjusted, vocabulary);
  if (!seqs)
    return seqs.takeError();

  MassiveActivationReport report;
  report.criterion = criterion;
  report.sequences = seqs->size();
  report.length = seqs->front().size();
  size_t numLayers = probes.size();
  report.layers.resize(numLayers);
  for (size_t l = 0; l < numLayers; ++l)
    report.layers[l].layer = layerIds[l];
  // Per (layer, token, dim): the flagged values and token ids.
  std::map<std::tuple<int64_t, int64_t, int64_t>, std::pair<std::vector<double>, std::set<int64_t>>>
      flagged;
  double bestRatio = -1.0;
  Progress progress("tfm-find-massive-activations", seqs->size());
  for (const std::vector<int64_t> &tokens : *seqs) {
    progress.step("calibration sequence");
    auto args = calibrationInputs((*exe)->inputs(), entry, tokens);
    if (!args)
      return args.takeError();
    auto out = (*exe)->run(*args);
    if (!out)
      return out.takeError();
    for (size_t l = 0; l < numLayers; ++l) {
      const npy::Array &h = out->probes[l];
      int64_t d = h.shape.back();
      int64_t t = h.numElements() / d;
      std::vector<float> values = toFloats(h);
      std::vector<float> mags(values.size());
      for (size_t i = 0; i < values.size(); ++i)
        mags[i] = std::fabs(values[i]);
      double median = medianOf(mags);
      std::vector<float> sorted = mags;
      size_t k = std::min<size_t>(3, sorted.size());
      std::partial_sort(sorted.begin(), sorted.begin() + k, sorted.end(),
                        std::greater<float>());
      LayerProfile &profile = report.layers[l];
      for (size_t i = 0; i < k; ++i)
        profile.top[i] += sorted[i] / report.sequences;
      profile.median += median / report.sequences;
      for (int64_t i = 0; i < t * d; ++i) {
        double ratio = median > 0 ? mags[i] / median : INFINITY;
        if (ratio > bestRatio || (ratio == bestRatio && mags[i] > report.strongest.magnitude)) {
          bestRatio = ratio;
          report.strongest = {layerIds[l], i / d, i % d, mags[i], ratio};
        }
        if (mags[i] > criterion.magnitude && mags[i] >= criterion.ratio * median) {
          auto &entry = flagged[{static_cast<int64_t>(l), i / d, i % d}];
          entry.first.push_back(values[i]);
          int64_t position = (i / d) % static_cast<int64_t>(tokens.size());
          entry.second.insert(tokens[position]);
        }
      }
    }
  }
  for (auto &[key, values] : flagged) {
    MassiveActivation m;
    auto [l, tok, dim] = key;
    m.layer = layerIds[l];
    m.token = tok;
    m.dim = dim;
    m.count = values.first.size();
    for (double v : values.first)
      m.mean += v / m.count;
    for (double v : values.first)
      m.std += (v - m.mean) * (v - m.mean) / m.count;
    m.std = std::sqrt(m.std);
    m.tokenIds.assign(values.second.begin(), values.second.end());
    report.massive.push_back(std::move(m));
  }
  return report;
}

llvm::json::Value mlir::tfm::toJSON(const MassiveActivationReport &report) {
  llvm::json::Array massive, layers;
  for (const MassiveActivation &m : report.massive) {
    llvm::json::Array ids;
    for (int64_t id : m.tokenIds)
      ids.push_back(id);
    massive.push_back(llvm::json::Object{{"layer", m.layer},
                                         {"token", m.token},
                                         {"dim", m.dim},
                                         {"mean", m.mean},
                                         {"std", m.std},
                                         {"count", m.count},
                                         {"token_ids", std::move(ids)}});
  }
  for (const LayerProfile &p : report.layers)
    layers.push_back(llvm::json::Object{
        {"layer", p.layer},
        {"top", llvm::json::Array{p.top[0], p.top[1], p.top[2]}},
        {"median", p.median}});
  const auto &s = report.strongest;
  bool strongestIsMassive = s.magnitude > report.criterion.magnitude &&
                            s.ratio >= report.criterion.ratio;
  return llvm::json::Object{
      {"massive", std::move(massive)},
      {"layers", std::move(layers)},
      {"criterion", llvm::json::Object{{"magnitude", report.criterion.magnitude},
                                       {"ratio", report.criterion.ratio}}},
      {"sequences", report.sequences},
      {"length", report.length},
      {"strongest", llvm::json::Object{{"layer", s.layer},
                                       {"token", s.token},
                                       {"dim", s.dim},
                                       {"magnitude", s.magnitude},
                                       {"ratio", s.ratio},
                                       {"massive", strongestIsMassive}}}};
}

/// The layer-wise profile as an SVG line chart, magnitudes on a log scale.
static void writeProfileSVG(const MassiveActivationReport &report,
                            llvm::raw_ostream &os) {
  const double width = 640, height = 400, left = 70, right = 150, top = 30,
               bottom = 50;
  double lo = INFINITY, hi = 0;
  for (const LayerProfile &p : report.layers)
    for (double v : {p.top[0], p.top[1], p.top[2], p.median})
      if (v > 0) {
        lo = std::min(lo, v);
        hi = std::max(hi, v);
      }
  if (!(hi > 0)) {
    lo = 0.1;
    hi = 1;
  }
  double decadeLo = std::floor(std::log10(lo)), decadeHi = std::ceil(std::log10(hi));
  if (decadeHi <= decadeLo)
    decadeHi = decadeLo + 1;
  size_t n = report.layers.size();
  auto x = [&](size_t i) {
    return left + (n > 1 ? i * (width - left - right) / (n - 1) : 0.0);
  };
  auto y = [&](double v) {
    double f = (std::log10(std::max(v, std::pow(10.0, decadeLo))) - decadeLo) /
               (decadeHi - decadeLo);
    return height - bottom - f * (height - top - bottom);
  };
  os << llvm::formatv("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" "
                      "height=\"{1}\" font-family=\"sans-serif\" font-size=\"12\">\n",
                      width, height);
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << llvm::formatv("<text x=\"{0}\" y=\"18\" font-size=\"14\">Layer-wise "
                      "magnitudes of the residual stream</text>\n",
                      left);
  for (double e = decadeLo; e <= decadeHi; ++e) {
    os << llvm::formatv("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" "
                        "stroke=\"#ddd\"/>\n",
                        left, width - right, y(std::pow(10.0, e)));
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"end\">1e{2}</text>\n",
                        left - 6, y(std::pow(10.0, e)) + 4, static_cast<int>(e));
  }
  for (size_t i = 0; i < n; ++i)
    os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">{2}</text>\n",
                        x(i), height - bottom + 18, report.layers[i].layer);
  os << llvm::formatv("<text x=\"{0}\" y=\"{1}\" text-anchor=\"middle\">layer</text>\n",
                      (left + width - right) / 2, height - 12);
  os << llvm::formatv("<line x1=\"{0}\" x2=\"{0}\" y1=\"{1}\" y2=\"{2}\" stroke=\"black\"/>\n",
                      left, top, height - bottom);
  os << llvm::formatv("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"black\"/>\n",
                      left, width - right, height - bottom);
  struct Series {
    const char *name, *color;
    std::function<double(const LayerProfile &)> value;
  };
  Series series[] = {
      {"top 1", "#d62728", [](const LayerProfile &p) { return p.top[0]; }},
      {"top 2", "#ff7f0e", [](const LayerProfile &p) { return p.top[1]; }},
      {"top 3", "#2ca02c", [](const LayerProfile &p) { return p.top[2]; }},
      {"median", "#1f77b4", [](const LayerProfile &p) { return p.median; }}};
  for (auto [k, s] : llvm::enumerate(series)) {
    os << "<polyline fill=\"none\" stroke=\"" << s.color << "\" stroke-width=\"2\" points=\"";
    for (size_t i = 0; i < n; ++i)
      os << llvm::formatv("{0:F1},{1:F1} ", x(i), y(s.value(report.layers[i])));
    os << "\"/>\n";
    for (size_t i = 0; i < n; ++i)
      os << llvm::formatv("<circle cx=\"{0:F1}\" cy=\"{1:F1}\" r=\"3\" fill=\"{2}\"/>\n",
                          x(i), y(s.value(report.layers[i])), s.color);
    double ly = top + 20 + 20 * k;
    os << llvm::formatv("<line x1=\"{0}\" x2=\"{1}\" y1=\"{2}\" y2=\"{2}\" stroke=\"{3}\" "
                        "stroke-width=\"2\"/><text x=\"{4}\" y=\"{5}\">{6}</text>\n",
                        width - right + 15, width - right + 40, ly, s.color,
                        width - right + 46, ly + 4, s.name);
  }
  os << "</svg>\n";
}

static LogicalResult writeFile(StringRef path, Operation *op,
                               llvm::function_ref<void(llvm::raw_ostream &)> write) {
  std::string error;
  auto file = openOutputFile(path, &error);
  if (!file)
    return mlir::emitError(op->getLoc())
           << "tfm-find-massive-activations: cannot write " << path << ": " << error;
  write(file->os());
  file->keep();
  return success();
}

namespace {
struct FindMassiveActivationsPass
    : mlir::tfm::impl::TfmFindMassiveActivationsBase<FindMassiveActivationsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto fn = module.lookupSymbol<func::FuncOp>(entry);
    if (!fn || fn.isDeclaration()) {
      mlir::emitError(module.getLoc()) << "tfm-find-massive-activations: no function @" << entry;
      return signalPassFailure();
    }
    if (!plot.empty() && !StringRef(plot).ends_with(".svg")) {
      mlir::emitError(module.getLoc()) << "tfm-find-massive-activations: plot=" << plot
                         << ": only .svg is drawn";
      return signalPassFailure();
    }
    CalibrationSource source{calibration, firstToken, sequences, length, seed};
    auto found = findMassiveActivations(module, fn, source, {magnitude, ratio});
    if (!found) {
      mlir::emitError(fn.getLoc()) << "tfm-find-massive-activations: "
                     << llvm::toString(found.takeError());
      return signalPassFailure();
    }
    SmallVector<BlockOp> blocks = topLevelBlocks(fn);
    auto blockOf = [&](int64_t layer) -> Operation * {
      for (auto [i, b] : llvm::enumerate(blocks))
        if (found->layers[i].layer == layer)
          return b;
      return fn;
    };
    for (const MassiveActivation &m : found->massive) {
      std::string ids;
      for (int64_t id : m.tokenIds)
        ids += (ids.empty() ? "" : ", ") + std::to_string(id);
      mlir::emitRemark(blockOf(m.layer)->getLoc())
          << llvm::formatv("massive activation: layer {0}, token {1}, dim {2}: "
                           "mean {3:F1}, std {4:F2} over {5} of {6} sequences "
                           "(token ids {7})",
                           m.layer, m.token, m.dim, m.mean, m.std, m.count,
                           found->sequences, ids);
    }
    for (auto [i, p] : llvm::enumerate(found->layers))
      mlir::emitRemark(blocks[i].getLoc()) << llvm::formatv(
          "layer {0} profile: top |a| {1:G4}, {2:G4}, {3:G4}; median {4:G4}",
          p.layer, p.top[0], p.top[1], p.top[2], p.median);
    const auto &s = found->strongest;
    if (found->massive.empty())
      mlir::emitRemark(fn.getLoc()) << llvm::formatv(
          "no massive activations (|a| > {0} and >= {1}x the median): the "
          "strongest is |a| = {2:G4} at layer {3}, token {4}, dim {5}, "
          "{6:F1}x the median of its hidden state, below the threshold",
          magnitude.getValue(), ratio.getValue(), s.magnitude, s.layer, s.token,
          s.dim, s.ratio);
    if (!report.empty()) {
      llvm::json::Value json = toJSON(*found);
      if (failed(writeFile(report, fn, [&](llvm::raw_ostream &os) {
            os << llvm::formatv("{0:2}", json) << "\n";
          })))
        return signalPassFailure();
    }
    if (!plot.empty() &&
        failed(writeFile(plot, fn, [&](llvm::raw_ostream &os) {
          writeProfileSVG(*found, os);
        })))
      return signalPassFailure();
    markAllAnalysesPreserved();
  }
};
} // namespace
