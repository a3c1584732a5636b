#include "o2c/ml/split.h"

#include <cmath>
#include <numeric>
#include <random>

namespace o2c::ml {

std::vector<int32_t> ShuffledRows(int n, uint64_t seed) {
  std::vector<int32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  std::mt19937_64 rng(seed);
  for (int i = n - 1; i > 0; --i) {
    int j = static_cast<int>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(rows[i], rows[j]);
  }
  return rows;
}

Split TrainTestSplit(int n, double test_fraction, uint64_t seed) {
  std::vector<int32_t> rows = ShuffledRows(n, seed);
  int test = static_cast<int>(std::lround(n * test_fraction));
  Split split;
  split.test.assign(rows.begin(), rows.begin() + test);
  split.train.assign(rows.begin() + test, rows.end());
  return split;
}

namespace {

// k folds, each a contiguous stretch of `rows`.
std::vector<Split> Folds(const std::vector<int32_t>& rows, int k) {
  const int n = static_cast<int>(rows.size());
  std::vector<Split> folds(k);
  for (int f = 0; f < k; ++f) {
    int begin = static_cast<int>(static_cast<int64_t>(n) * f / k);
    int end = static_cast<int>(static_cast<int64_t>(n) * (f + 1) / k);
    for (int i = 0; i < n; ++i) {
      (i >= begin && i < end ? folds[f].test : folds[f].train).push_back(rows[i]);
    }
  }
  return folds;
}

std::vector<int32_t> RecordedRows(int n) {
  std::vector<int32_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

}  // namespace

std::vector<Split> KFoldSplits(int n, int k, uint64_t seed) {
  return Folds(ShuffledRows(n, seed), k);
}

Split ChronologicalSplit(int n, double test_fraction) {
  const int test = static_cast<int>(std::lround(n * test_fraction));
  std::vector<int32_t> rows = RecordedRows(n);
  Split split;
  split.train.assign(rows.begin(), rows.end() - test);
  split.test.assign(rows.end() - test, rows.end());
  return split;
}

std::vector<Split> BlockedKFoldSplits(int n, int k) { return Folds(RecordedRows(n), k); }

}  // namespace o2c::ml
