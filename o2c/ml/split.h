// Deterministic row splits for evaluation: shuffled ones (a train/test split
// and k folds; the same seed gives the same rows on every machine:
// mt19937_64 and our own Fisher-Yates, not std::shuffle, whose algorithm is
// unspecified) and chronological ones, for rows in the order they were
// recorded. Profiled objects come in bursts of near-copies (one code path
// allocating the same object again and again): a shuffled split puts copies
// of every test row in the training part, a chronological one holds out a
// later stretch of time, whose bursts training never saw.
#ifndef O2C_ML_SPLIT_H_
#define O2C_ML_SPLIT_H_

#include <cstdint>
#include <vector>

namespace o2c::ml {

// Row indexes of a training part and a test part.
struct Split {
  std::vector<int32_t> train;
  std::vector<int32_t> test;
};

// The rows 0..n-1 in an order fixed by `seed`.
std::vector<int32_t> ShuffledRows(int n, uint64_t seed);

// Puts round(n * test_fraction) shuffled rows in `test`, the rest in `train`.
Split TrainTestSplit(int n, double test_fraction, uint64_t seed);

// k splits whose test parts partition the shuffled rows (sizes differ by at
// most one); each train part is the other k-1 folds. Requires 2 <= k <= n.
std::vector<Split> KFoldSplits(int n, int k, uint64_t seed);

// Rows 0..n-1 are in recorded order: the last round(n * test_fraction) are
// the test part, the earlier ones train.
Split ChronologicalSplit(int n, double test_fraction);

// As KFoldSplits, but each fold is a contiguous stretch of recorded rows.
// Requires 2 <= k <= n.
std::vector<Split> BlockedKFoldSplits(int n, int k);

}  // namespace o2c::ml

#endif  // O2C_ML_SPLIT_H_
