// The progress bar `o2c prepare` draws while profiling:
//   "  profiling [#########...............]   3.1 s  own 120  kernel 4012  lost 0"
// redrawn in place, ended with a newline when profiling is done.
#ifndef O2C_EXAMPLES_PROGRESS_BAR_H_
#define O2C_EXAMPLES_PROGRESS_BAR_H_

#include <cstdio>
#include <functional>
#include <string>

#include "o2c/prepare.h"

namespace o2c::cli {

// One line of the bar (no carriage return or newline). The bar fills over
// `expected_seconds` (full when <= 0, or when done); the workload may take
// longer, and the line then shows a full bar with the time still counting.
std::string ProgressLine(const PrepareProgress& progress, double expected_seconds);

// A PrepareOptions::on_progress that draws ProgressLine on `out` (not owned;
// must outlive the callback), redrawing in place.
std::function<void(const PrepareProgress&)> ProgressBar(FILE* out, double expected_seconds);

}  // namespace o2c::cli

#endif  // O2C_EXAMPLES_PROGRESS_BAR_H_
