#include "o2c/ml/feature_bins.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "o2c/ml/parallel.h"

namespace o2c::ml {
namespace {

// A column whose values span at most this many integers is counted and
// coded through arrays indexed by value (the common case: small integers).
bool NarrowRange(uint64_t range, int n) {
  return range < std::max<uint64_t>(uint64_t{1} << 16, static_cast<uint64_t>(n));
}

// Distinct values of a column, increasing, with their row counts.
std::vector<std::pair<int64_t, int64_t>> CountValues(const int64_t* column, int n) {
  std::vector<std::pair<int64_t, int64_t>> values;
  if (n == 0) return values;
  const auto [lo, hi] = std::minmax_element(column, column + n);
  const uint64_t range = static_cast<uint64_t>(*hi) - static_cast<uint64_t>(*lo);
  if (NarrowRange(range, n)) {
    std::vector<int64_t> counts(range + 1, 0);
    for (int i = 0; i < n; ++i) ++counts[static_cast<uint64_t>(column[i]) - static_cast<uint64_t>(*lo)];
    for (uint64_t v = 0; v <= range; ++v) {
      if (counts[v] > 0) values.emplace_back(static_cast<int64_t>(static_cast<uint64_t>(*lo) + v), counts[v]);
    }
    return values;
  }
  absl::flat_hash_map<int64_t, int64_t> counts;
  for (int i = 0; i < n; ++i) ++counts[column[i]];
  values.assign(counts.begin(), counts.end());
  std::sort(values.begin(), values.end());
  return values;
}

// The largest value of each bin: every value when they fit, else cuts at
// about equal row counts (a value never spans two bins).
std::vector<int64_t> BinUppers(const std::vector<std::pair<int64_t, int64_t>>& values, int n,
                               int max_bins) {
  std::vector<int64_t> uppers;
  if (static_cast<int>(values.size()) <= max_bins) {
    for (const auto& [value, count] : values) uppers.push_back(value);
    return uppers;
  }
  int64_t seen = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    seen += values[i].second;
    const bool last = i + 1 == values.size();
    // Bin b closes once it holds its share: (b + 1) * n / max_bins rows.
    const int64_t share = (static_cast<int64_t>(uppers.size()) + 1) * n / max_bins;
    if (last || seen >= share) uppers.push_back(values[i].first);
  }
  return uppers;
}

}  // namespace

absl::StatusOr<FeatureBins> FeatureBins::Create(const Dataset& data, int max_bins, int threads) {
  if (max_bins < 2 || max_bins > kMaxBins) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_bins ", max_bins, " outside [2, ", kMaxBins, "]"));
  }
  FeatureBins bins;
  const int n = data.num_rows();
  const int d = data.num_features();
  bins.num_rows_ = n;
  bins.uppers_.resize(d);
  bins.exact_.resize(d);
  bins.codes_.resize(static_cast<size_t>(n) * d);
  ParallelFor(d, ResolveThreads(threads), [&](int f, int) {
    const int64_t* column = data.features.col(f).data();
    const std::vector<std::pair<int64_t, int64_t>> values = CountValues(column, n);
    bins.uppers_[f] = BinUppers(values, n, max_bins);
    bins.exact_[f] = bins.uppers_[f].size() == values.size();
    uint8_t* codes = &bins.codes_[static_cast<size_t>(f) * n];
    if (values.empty()) return;
    const uint64_t lo = static_cast<uint64_t>(values.front().first);
    const uint64_t range = static_cast<uint64_t>(values.back().first) - lo;
    if (!NarrowRange(range, n)) {
      for (int i = 0; i < n; ++i) codes[i] = static_cast<uint8_t>(bins.BinOf(f, column[i]));
      return;
    }
    std::vector<uint8_t> bin_of_value(range + 1);
    const std::vector<int64_t>& uppers = bins.uppers_[f];
    size_t b = 0;
    for (uint64_t v = 0; v <= range; ++v) {
      while (static_cast<int64_t>(lo + v) > uppers[b]) ++b;
      bin_of_value[v] = static_cast<uint8_t>(b);
    }
    for (int i = 0; i < n; ++i) codes[i] = bin_of_value[static_cast<uint64_t>(column[i]) - lo];
  });
  return bins;
}

int FeatureBins::BinOf(int f, int64_t value) const {
  const std::vector<int64_t>& u = uppers_[f];
  const auto it = std::lower_bound(u.begin(), u.end(), value);
  return it == u.end() ? static_cast<int>(u.size()) - 1 : static_cast<int>(it - u.begin());
}

}  // namespace o2c::ml
