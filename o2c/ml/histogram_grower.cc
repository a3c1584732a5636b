#include "o2c/ml/histogram_grower.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "o2c/ml/cart_split_rules.h"
#include "o2c/ml/criterion.h"
#include "o2c/ml/parallel.h"

namespace o2c::ml {
namespace {

// Below this many row x feature visits a node is handled on one thread:
// starting threads would cost more than the work.
constexpr int64_t kParallelWork = int64_t{1} << 16;

// A node waiting to be split: its rows are order_[begin, end).
struct OpenNode {
  int32_t node = 0;
  int64_t begin = 0, end = 0;
  int depth = 0;
  uint64_t key = kRootKey;
  std::vector<double> totals;  // class weights
  std::vector<double> hist;    // per feature, per bin: class weights, then row count
};

class HistogramGrower {
 public:
  HistogramGrower(const Dataset& data, const FeatureBins& bins, const CartOptions& options,
                  int threads)
      : data_(data), bins_(bins), options_(options), threads_(threads),
        k_(data.num_classes()), d_(data.num_features()), stride_(k_ + 1) {
    offsets_.resize(d_ + 1, 0);
    for (int f = 0; f < d_; ++f) offsets_[f + 1] = offsets_[f] + bins_.num_bins(f) * stride_;
  }

  DecisionTree Grow(absl::Span<const double> row_weights) {
    tree_.num_features = d_;
    tree_.num_classes = k_;
    OpenNode root;
    root.totals.assign(k_, 0.0);
    for (int row = 0; row < data_.num_rows(); ++row) {
      if (row_weights[row] <= 0) continue;
      order_.push_back(static_cast<uint32_t>(row));
      labels_.push_back(data_.labels[row]);
      weights_.push_back(row_weights[row]);
      root.totals[data_.labels[row]] += row_weights[row];
      total_weight_ += row_weights[row];
    }
    root.end = static_cast<int64_t>(order_.size());
    tree_.nodes.emplace_back();
    SetLeaf(root.totals, &tree_.nodes[0]);
    std::vector<OpenNode> stack;
    if (MaySplit(options_, 0, root.end, root.totals)) {
      root.hist = Build(root.begin, root.end);
      stack.push_back(std::move(root));
    } else {
      Settle(root.end);
    }
    while (!stack.empty()) {
      OpenNode open = std::move(stack.back());
      stack.pop_back();
      SplitNode(std::move(open), &stack);
    }
    if (options_.progress) options_.progress(static_cast<int>(order_.size()), static_cast<int>(order_.size()));
    NumberBreadthFirst(&tree_);
    return std::move(tree_);
  }

 private:
  // A zeroed histogram; buffers are recycled, as wide data make them large.
  std::vector<double> Acquire() {
    if (spare_hists_.empty()) return std::vector<double>(offsets_[d_], 0.0);
    std::vector<double> hist = std::move(spare_hists_.back());
    spare_hists_.pop_back();
    std::fill(hist.begin(), hist.end(), 0.0);
    return hist;
  }

  void Release(std::vector<double> hist) {
    if (!hist.empty()) spare_hists_.push_back(std::move(hist));
  }

  // The histogram of rows order_[begin, end).
  std::vector<double> Build(int64_t begin, int64_t end) {
    std::vector<double> hist = Acquire();
    const auto build_feature = [&](int f, int) {
      const uint8_t* codes = bins_.codes(f);
      double* h = &hist[offsets_[f]];
      for (int64_t i = begin; i < end; ++i) {
        double* bin = h + codes[order_[i]] * stride_;
        bin[labels_[i]] += weights_[i];
        bin[k_] += 1;
      }
    };
    RunOverFeatures((end - begin) * d_, build_feature);
    return hist;
  }

  void RunOverFeatures(int64_t work, const std::function<void(int, int)>& fn) const {
    if (threads_ > 1 && work >= kParallelWork) {
      ParallelFor(d_, threads_, fn);
    } else {
      for (int f = 0; f < d_; ++f) fn(f, 0);
    }
  }

  // The best split of feature `f` for `open`: one pass over its bins,
  // evaluated wherever a non-empty bin follows another. Ties keep the
  // lowest threshold.
  SplitCandidate ScanFeature(const OpenNode& open, int f, double impurity) const {
    const double* h = &open.hist[offsets_[f]];
    const int64_t count = open.end - open.begin;
    const int64_t min_leaf = options_.min_samples_leaf;
    std::vector<double> left(k_, 0.0), right(k_);
    int64_t left_count = 0;
    int last = -1;
    SplitCandidate best;
    for (int b = 0; b < bins_.num_bins(f); ++b) {
      const double* bin = h + b * stride_;
      if (bin[k_] == 0) continue;
      if (last >= 0 && left_count >= min_leaf && count - left_count >= min_leaf) {
        const double gain = SplitGain(options_.criterion, impurity, open.totals, left, absl::MakeSpan(right));
        if (best.feature < 0 || gain > best.gain) best = {gain, f, bins_.upper(f, last)};
      }
      for (int c = 0; c < k_; ++c) left[c] += bin[c];
      left_count += static_cast<int64_t>(bin[k_]);
      last = b;
    }
    return best;
  }

  SplitCandidate FindSplit(const OpenNode& open) const {
    const std::vector<uint8_t> allowed = DrawFeatures(options_, open.key, d_);
    const double impurity = WeightedImpurity(options_.criterion, open.totals);
    std::vector<SplitCandidate> per_feature(d_);
    RunOverFeatures(offsets_[d_] / stride_, [&](int f, int) {
      if (allowed.empty() || allowed[f]) per_feature[f] = ScanFeature(open, f, impurity);
    });
    SplitCandidate best;
    for (const SplitCandidate& c : per_feature) {
      if (IsBetterSplit(c, best)) best = c;
    }
    return best;
  }

  // Moves the rows of `open` with bin <= `bin` of `feature` before the
  // others, keeping each side in row order; returns where the right side
  // starts and adds each side's class weights to `left` / `right`.
  int64_t Partition(const OpenNode& open, int feature, int bin, std::vector<double>* left,
                    std::vector<double>* right) {
    const uint8_t* codes = bins_.codes(feature);
    spill_order_.clear();
    spill_labels_.clear();
    spill_weights_.clear();
    int64_t out = open.begin;
    for (int64_t i = open.begin; i < open.end; ++i) {
      if (codes[order_[i]] <= bin) {
        (*left)[labels_[i]] += weights_[i];
        order_[out] = order_[i];
        labels_[out] = labels_[i];
        weights_[out] = weights_[i];
        ++out;
      } else {
        (*right)[labels_[i]] += weights_[i];
        spill_order_.push_back(order_[i]);
        spill_labels_.push_back(labels_[i]);
        spill_weights_.push_back(weights_[i]);
      }
    }
    std::copy(spill_order_.begin(), spill_order_.end(), order_.begin() + out);
    std::copy(spill_labels_.begin(), spill_labels_.end(), labels_.begin() + out);
    std::copy(spill_weights_.begin(), spill_weights_.end(), weights_.begin() + out);
    return out;
  }

  void SplitNode(OpenNode open, std::vector<OpenNode>* stack) {
    const SplitCandidate best = FindSplit(open);
    if (!WorthSplitting(options_, best, total_weight_)) {
      Settle(open.end - open.begin);
      Release(std::move(open.hist));
      return;
    }
    OpenNode children[2];
    for (OpenNode& child : children) child.totals.assign(k_, 0.0);
    const int64_t mid = Partition(open, best.feature, bins_.BinOf(best.feature, best.threshold),
                                  &children[0].totals, &children[1].totals);
    const int32_t left = static_cast<int32_t>(tree_.nodes.size());
    TreeNode& parent = tree_.nodes[open.node];
    parent.feature = best.feature;
    parent.threshold = best.threshold;
    parent.left = left;
    parent.right = left + 1;
    tree_.nodes.emplace_back();
    tree_.nodes.emplace_back();
    bool splittable[2];
    for (int side = 0; side < 2; ++side) {
      OpenNode& child = children[side];
      child.node = left + side;
      child.begin = side == 0 ? open.begin : mid;
      child.end = side == 0 ? mid : open.end;
      child.depth = open.depth + 1;
      child.key = ChildKey(open.key, side == 1);
      SetLeaf(child.totals, &tree_.nodes[child.node]);
      splittable[side] = MaySplit(options_, child.depth, child.end - child.begin, child.totals);
      if (!splittable[side]) Settle(child.end - child.begin);
    }
    const int small = (mid - open.begin) <= (open.end - mid) ? 0 : 1;
    const int large = 1 - small;
    if (splittable[small]) {
      children[small].hist = Build(children[small].begin, children[small].end);
    }
    if (splittable[large]) {
      // The parent's histogram minus the smaller child's, in place.
      std::vector<double> built;
      if (!splittable[small]) built = Build(children[small].begin, children[small].end);
      const std::vector<double>& small_hist = splittable[small] ? children[small].hist : built;
      for (size_t i = 0; i < open.hist.size(); ++i) open.hist[i] -= small_hist[i];
      Release(std::move(built));
      children[large].hist = std::move(open.hist);
      stack->push_back(std::move(children[large]));
    } else {
      Release(std::move(open.hist));
    }
    // The smaller child is split next: its subtree holds fewer histograms.
    if (splittable[small]) stack->push_back(std::move(children[small]));
  }

  // Rows that reached a leaf for good, for the progress callback.
  void Settle(int64_t rows) {
    settled_ += rows;
    if (!options_.progress) return;
    const int64_t total = static_cast<int64_t>(order_.size());
    if (settled_ * 100 / std::max<int64_t>(total, 1) > reported_percent_) {
      reported_percent_ = settled_ * 100 / std::max<int64_t>(total, 1);
      if (settled_ < total) options_.progress(static_cast<int>(settled_), static_cast<int>(total));
    }
  }

  const Dataset& data_;
  const FeatureBins& bins_;
  const CartOptions& options_;
  const int threads_;
  const int k_;
  const int d_;
  const int stride_;
  std::vector<int64_t> offsets_;  // of each feature in a histogram; [d_] = size
  // The rows of every open node, each node's a contiguous run, with their
  // labels and weights alongside.
  std::vector<uint32_t> order_;
  std::vector<int32_t> labels_;
  std::vector<double> weights_;
  std::vector<uint32_t> spill_order_;
  std::vector<int32_t> spill_labels_;
  std::vector<double> spill_weights_;
  std::vector<std::vector<double>> spare_hists_;
  double total_weight_ = 0;
  int64_t settled_ = 0;
  int64_t reported_percent_ = 0;
  DecisionTree tree_;
};

}  // namespace

absl::StatusOr<DecisionTree> GrowWithHistograms(const Dataset& data, const FeatureBins& bins,
                                                const CartOptions& options,
                                                absl::Span<const double> row_weights, int threads) {
  if (bins.num_rows() != data.num_rows() || bins.num_features() != data.num_features() ||
      static_cast<int>(row_weights.size()) != data.num_rows()) {
    return absl::InvalidArgumentError("bins, weights and dataset differ in shape");
  }
  HistogramGrower grower(data, bins, options, ResolveThreads(threads));
  return grower.Grow(row_weights);
}

}  // namespace o2c::ml
