#include "examples/progress_bar.h"

#include <algorithm>

#include "absl/strings/str_format.h"

namespace o2c::cli {

std::string ProgressLine(const PrepareProgress& p, double expected_seconds) {
  constexpr int kWidth = 24;
  int filled = kWidth;
  if (!p.done && expected_seconds > 0) {
    filled = static_cast<int>(kWidth * std::min(1.0, p.seconds / expected_seconds));
  }
  return absl::StrFormat("  profiling [%s%s] %5.1f s  own %d  kernel %d  lost %d",
                         std::string(filled, '#'), std::string(kWidth - filled, '.'), p.seconds,
                         p.own_samples, p.kernel_samples, p.samples_lost);
}

std::function<void(const PrepareProgress&)> ProgressBar(FILE* out, double expected_seconds) {
  return [out, expected_seconds](const PrepareProgress& p) {
    std::fprintf(out, "\r%s%s", ProgressLine(p, expected_seconds).c_str(), p.done ? "\n" : "");
    std::fflush(out);
  };
}

}  // namespace o2c::cli
