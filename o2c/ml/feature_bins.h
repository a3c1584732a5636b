// FeatureBins: every feature of a dataset quantized once to at most 256
// bins, the input of the histogram CART grower (histogram_grower.h).
//
// A feature with at most `max_bins` distinct values gets one bin per value,
// so a split between bins is a split between values and the histogram search
// is exact. A feature with more values is cut into bins of about equal row
// counts. Either way each bin remembers the largest training value in it:
// "bin <= b" is "x <= upper(f, b)", a threshold seen in the data, which is
// what the tree (and the BPF code generated from it) compares.
#ifndef O2C_ML_FEATURE_BINS_H_
#define O2C_ML_FEATURE_BINS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "o2c/ml/dataset.h"

namespace o2c::ml {

// Immutable after Create; safe to read from any number of threads.
class FeatureBins {
 public:
  static constexpr int kMaxBins = 256;

  // Quantizes every feature of `data` (not retained) into at most
  // `max_bins` bins, in [2, kMaxBins], sharing features among `threads`.
  static absl::StatusOr<FeatureBins> Create(const Dataset& data, int max_bins, int threads);

  int num_rows() const { return num_rows_; }
  int num_features() const { return static_cast<int>(uppers_.size()); }
  int num_bins(int f) const { return static_cast<int>(uppers_[f].size()); }
  // The largest training value of bin `b` of feature `f`; increasing in b.
  int64_t upper(int f, int b) const { return uppers_[f][b]; }
  // The bin of `value` for feature `f` (values above every bin go to the last).
  int BinOf(int f, int64_t value) const;
  // True when each distinct value of feature `f` has a bin of its own.
  bool exact(int f) const { return exact_[f] != 0; }
  // Bin of each row for feature `f` (num_rows() entries).
  const uint8_t* codes(int f) const { return &codes_[static_cast<size_t>(f) * num_rows_]; }

 private:
  int num_rows_ = 0;
  std::vector<std::vector<int64_t>> uppers_;
  std::vector<uint8_t> exact_;
  std::vector<uint8_t> codes_;  // column-major: feature * num_rows + row
};

}  // namespace o2c::ml

#endif  // O2C_ML_FEATURE_BINS_H_
