#include "o2c/bpf/kernel/code_ranges.h"

#include <algorithm>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace o2c::bpf {

absl::StatusOr<std::vector<uint32_t>> SortedRangeOrder(
    const std::vector<AddressRange>& ranges, absl::string_view what, size_t max,
    bool allow_empty) {
  const size_t n = ranges.size();
  if ((n == 0 && !allow_empty) || n > max) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": ", n, " code ranges; want ",
                                                   allow_empty ? 0 : 1, " to ", max));
  }
  std::vector<uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return ranges[a].start < ranges[b].start; });
  for (size_t i = 0; i < n; ++i) {
    const AddressRange& r = ranges[order[i]];
    if (r.end <= r.start) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": code range ", order[i], " [0x", absl::Hex(r.start), ", 0x",
          absl::Hex(r.end), ") is empty"));
    }
    if (i > 0 && ranges[order[i - 1]].end > r.start) {
      return absl::InvalidArgumentError(absl::StrCat(
          what, ": code ranges ", order[i - 1], " and ", order[i], " overlap"));
    }
  }
  return order;
}

std::vector<AddressRange> MergeRanges(std::vector<AddressRange> ranges) {
  std::sort(ranges.begin(), ranges.end(),
            [](const AddressRange& a, const AddressRange& b) { return a.start < b.start; });
  std::vector<AddressRange> merged;
  for (const AddressRange& r : ranges) {
    if (r.end <= r.start) continue;
    if (!merged.empty() && r.start <= merged.back().end) {
      merged.back().end = std::max(merged.back().end, r.end);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

}  // namespace o2c::bpf
