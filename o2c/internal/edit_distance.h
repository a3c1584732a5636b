// Edit distance between names, for "did you mean ...?" suggestions: kernel
// function names (Kallsyms::SuggestFunctions) and policy field and enum names.
#ifndef O2C_INTERNAL_EDIT_DISTANCE_H_
#define O2C_INTERNAL_EDIT_DISTANCE_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace o2c {

// Levenshtein distance between `a` and `b`, or `limit + 1` as soon as it is
// known to exceed `limit` (cheap enough to scan 100k kernel symbols).
size_t EditDistance(absl::string_view a, absl::string_view b, size_t limit);

// The candidate nearest to `name` within a third of its length (at least 1),
// or "" if none is that close. Ties go to the earliest candidate.
std::string NearestName(absl::string_view name,
                        const std::vector<std::string>& candidates);

}  // namespace o2c

#endif  // O2C_INTERNAL_EDIT_DISTANCE_H_
