// Preparing code ranges for BPF programs that binary-search them: sorted,
// non-empty, disjoint, and few enough for the program's array.
#ifndef O2C_BPF_KERNEL_CODE_RANGES_H_
#define O2C_BPF_KERNEL_CODE_RANGES_H_

#include <cstdint>
#include <type_traits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::bpf {

// The indexes of `ranges` in ascending address order. InvalidArgument,
// naming `what` and the ranges, if there are more than `max`, if one is
// empty or if two overlap. `allow_empty` permits zero ranges.
absl::StatusOr<std::vector<uint32_t>> SortedRangeOrder(
    const std::vector<AddressRange>& ranges, absl::string_view what, size_t max,
    bool allow_empty = false);

// `ranges` sorted by address, with ranges that overlap or touch merged: for
// sets (call sites, code) where identity does not matter.
std::vector<AddressRange> MergeRanges(std::vector<AddressRange> ranges);

// Copies `ranges`, merged, into a BPF program's range array `out` (of
// `capacity` entries with .start/.end) and sets *count.
template <typename RangeArray, typename Count>
absl::Status CopyMergedRanges(absl::string_view what, const std::vector<AddressRange>& ranges,
                              size_t capacity, RangeArray& out, Count* count) {
  std::vector<AddressRange> merged = MergeRanges(ranges);
  absl::Status sorted = SortedRangeOrder(merged, what, capacity, /*allow_empty=*/true).status();
  if (!sorted.ok()) return sorted;
  for (size_t i = 0; i < merged.size(); ++i) {
    out[i].start = merged[i].start;
    out[i].end = merged[i].end;
  }
  *count = static_cast<std::remove_cv_t<Count>>(merged.size());
  return absl::OkStatus();
}

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_CODE_RANGES_H_
