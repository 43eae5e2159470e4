//===- Progress.cpp - progress lines for long work ----------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "tfm/Support/Progress.h"

#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace mlir::tfm;

namespace {
enum class Mode { Terminal, Always, Never };

Mode progressMode() {
  const char *env = std::getenv("TFM_PROGRESS");
  if (env && (!std::strcmp(env, "always") || !std::strcmp(env, "1")))
    return Mode::Always;
  if (env && (!std::strcmp(env, "never") || !std::strcmp(env, "0")))
    return Mode::Never;
  return llvm::sys::Process::StandardErrIsDisplayed() ? Mode::Terminal
                                                      : Mode::Never;
}
} // namespace

bool Progress::enabled() { return progressMode() != Mode::Never; }

Progress::Progress(llvm::StringRef task, int64_t total)
    : task(task.str()), total(total), shown(enabled()),
      start(std::chrono::steady_clock::now()) {
  lastDraw = start - std::chrono::seconds(1);
}

Progress::~Progress() {
  if (shown && progressMode() == Mode::Terminal && lastWidth)
    llvm::errs() << '\r' << std::string(lastWidth, ' ') << '\r';
  llvm::errs().flush();
}

void Progress::step(llvm::StringRef detail) {
  ++done;
  draw(detail);
}

void Progress::note(llvm::StringRef detail) { draw(detail); }

void Progress::draw(llvm::StringRef detail) {
  if (!shown)
    return;
  auto now = std::chrono::steady_clock::now();
  bool terminal = progressMode() == Mode::Terminal;
  // A terminal is redrawn at most ten times a second.
  if (terminal && now - lastDraw < std::chrono::milliseconds(100) &&
      done != total)
    return;
  lastDraw = now;
  std::string line;
  llvm::raw_string_ostream os(line);
  os << task << ": ";
  if (total > 0)
    os << "[" << done << "/" << total << "] ";
  os << detail;
  if (terminal) {
    double seconds = std::chrono::duration<double>(now - start).count();
    os << llvm::format(" (%.1fs)", seconds);
    size_t width = line.size();
    if (width < lastWidth)
      line.append(lastWidth - width, ' ');
    lastWidth = width;
    llvm::errs() << '\r' << line;
  } else {
    llvm::errs() << line << '\n';
  }
  llvm::errs().flush();
}

namespace {
class ProgressInstrumentation : public PassInstrumentation {
public:
  ProgressInstrumentation(llvm::StringRef task, int64_t total)
      : progress(task, total) {}
  void runBeforePass(Pass *pass, Operation *op) override {
    // Top-level passes only: nested pass managers run once per function.
    if (!root)
      root = op;
    if (op == root)
      progress.step(pass->getArgument().empty() ? pass->getName()
                                                : pass->getArgument());
  }

private:
  Progress progress;
  Operation *root = nullptr;
};
} // namespace

/// How many passes `pm` runs at its top level: the pass manager merges
/// adjacent nested pass managers into one adaptor when it runs.
static int64_t topLevelPassCount(OpPassManager &pm) {
  int64_t count = 0;
  bool previousAdaptor = false;
  for (Pass &pass : pm.getPasses()) {
    bool adaptor = pass.getName().ends_with("OpToOpPassAdaptor");
    if (!adaptor || !previousAdaptor)
      ++count;
    previousAdaptor = adaptor;
  }
  return count;
}

void mlir::tfm::addProgressInstrumentation(PassManager &pm, llvm::StringRef task) {
  if (!Progress::enabled())
    return;
  pm.addInstrumentation(
      std::make_unique<ProgressInstrumentation>(task, topLevelPassCount(pm)));
}
