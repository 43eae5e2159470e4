//===- Progress.h - progress lines for long work ------------------*- C++ -*-===//
//
// Part of tfm. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Long work (calibration runs, compilation) shows one line on stderr that it
// rewrites in place, and erases when done, but only on a terminal: logs,
// pipes and test runs stay quiet. TFM_PROGRESS=always|never overrides the
// terminal check (always: one line per update, no carriage returns, so the
// output can be checked).
//
//===----------------------------------------------------------------------===//

#ifndef TFM_SUPPORT_PROGRESS_H
#define TFM_SUPPORT_PROGRESS_H

#include "llvm/ADT/StringRef.h"

#include <chrono>
#include <cstdint>
#include <string>

namespace mlir {
class PassManager;
} // namespace mlir

namespace mlir::tfm {

class Progress {
public:
  /// `task` names the work ("calibrating"); `total` steps, or 0 if unknown.
  Progress(llvm::StringRef task, int64_t total);
  ~Progress();
  Progress(const Progress &) = delete;
  Progress &operator=(const Progress &) = delete;

  /// Starts the next step ([i/total]); `detail` says what it is.
  void step(llvm::StringRef detail = "");
  /// Says what is running now without counting a step.
  void note(llvm::StringRef detail);

  /// Whether progress is shown in this process (TFM_PROGRESS, else whether
  /// stderr is a terminal).
  static bool enabled();

private:
  void draw(llvm::StringRef detail);

  std::string task;
  int64_t total, done = 0;
  bool shown;
  size_t lastWidth = 0;
  std::chrono::steady_clock::time_point start, lastDraw;
};

/// Shows the passes of `pm` as they run ("compiling: [i/n] pass"), when
/// progress is enabled. Counts the passes at the top level of `pm`.
void addProgressInstrumentation(PassManager &pm, llvm::StringRef task);

} // namespace mlir::tfm

#endif // TFM_SUPPORT_PROGRESS_H
