// Preparing code ranges for BPF programs that binary-search them: sorted,
// non-empty, disjoint, and few enough for the program's array.
#ifndef O2C_BPF_CODE_RANGES_H_
#define O2C_BPF_CODE_RANGES_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "o2c/bpf/kallsyms.h"

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

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODE_RANGES_H_
