#include "o2c/ml/cart.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "o2c/ml/cart_split_rules.h"
#include "o2c/ml/histogram_grower.h"
#include "o2c/ml/parallel.h"
#include "o2c/ml/prune.h"
#include "o2c/internal/status_macros.h"

namespace o2c::ml {
namespace {

constexpr uint32_t kNewValue = 0x80000000u;
constexpr uint32_t kRowMask = 0x7fffffffu;

// What the presorted grower knows about a row while growing one tree.
struct RowState {
  int32_t slot;  // open node of this level it sits in, -1 once in a leaf
  int32_t label;
  double weight;  // class weight x row weight
};

// The nodes of one level that may still be split ("open"), by slot.
struct Level {
  int num_slots = 0;
  std::vector<int32_t> node;       // tree node index
  std::vector<uint64_t> key;       // ChildKey path
  std::vector<int64_t> count;      // rows
  std::vector<double> totals;      // slot * K + class
  std::vector<double> impurity;    // weighted impurity of the node
  std::vector<uint8_t> allowed;    // slot * d + feature, when max_features > 0
};

// One thread's running sums while it passes features of one level.
struct Scratch {
  std::vector<double> left;  // slot * K + class
  std::vector<double> right;  // K
  std::vector<int64_t> left_count;
  std::vector<uint32_t> last_group;
  std::vector<uint32_t> last_row;
  std::vector<SplitCandidate> best;

  void Reset(int slots, int k) {
    left.assign(static_cast<size_t>(slots) * k, 0.0);
    right.assign(k, 0.0);
    left_count.assign(slots, 0);
    last_group.assign(slots, 0);
    last_row.assign(slots, 0);
  }
};

// The presorted, level-wise grower.
class PresortedGrower {
 public:
  PresortedGrower(const Dataset& data, const CartOptions& options, int threads)
      : data_(data), options_(options), threads_(threads),
        k_(data.num_classes()), d_(data.num_features()) {}

  absl::StatusOr<DecisionTree> Grow(std::vector<std::vector<uint32_t>> lists,
                                    absl::Span<const double> row_weights) {
    O2C_RETURN_IF_ERROR(InitRows(row_weights));
    tree_.num_features = d_;
    tree_.num_classes = k_;
    Level level;
    level.num_slots = 1;
    level.node = {0};
    level.key = {kRootKey};
    level.count = {0};
    level.totals.assign(k_, 0.0);
    for (const RowState& r : rows_) {
      if (r.slot < 0) continue;
      ++level.count[0];
      level.totals[r.label] += r.weight;
    }
    tree_.nodes.emplace_back();
    FinishNode(0, level.totals.data());
    level = KeepSplittable(std::move(level), 0);
    int depth = 0;
    for (; level.num_slots > 0; ++depth) {
      ChooseFeatures(&level);
      std::vector<SplitCandidate> best = FindSplits(level, &lists);
      level = Split(level, best, depth);
      if (options_.progress && depth + 1 < options_.max_depth) {
        options_.progress(depth + 1, options_.max_depth);
      }
    }
    // Growth may stop early (pure nodes): the last call always says "done".
    if (options_.progress) options_.progress(options_.max_depth, options_.max_depth);
    NumberLeaves(&tree_);
    return std::move(tree_);
  }

 private:
  absl::Status InitRows(absl::Span<const double> row_weights) {
    O2C_ASSIGN_OR_RETURN(std::vector<double> weights, TrainingWeights(data_, options_, row_weights));
    rows_.resize(weights.size());
    total_weight_ = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      rows_[i] = {weights[i] > 0 ? 0 : -1, data_.labels[i], weights[i]};
      total_weight_ += weights[i];
    }
    return absl::OkStatus();
  }

  // Records a node's class totals and majority label (a leaf until split).
  void FinishNode(int32_t node, const double* totals) {
    SetLeaf(absl::MakeConstSpan(totals, k_), &tree_.nodes[node]);
  }

  // Keeps the slots of `level` that may be split at `depth`; rows of the
  // others leave the lists for good.
  Level KeepSplittable(Level level, int depth) {
    std::vector<int32_t> remap(level.num_slots, -1);
    Level open;
    for (int s = 0; s < level.num_slots; ++s) {
      const double* totals = &level.totals[static_cast<size_t>(s) * k_];
      if (!MaySplit(options_, depth, level.count[s], absl::MakeConstSpan(totals, k_))) continue;
      remap[s] = open.num_slots++;
      open.node.push_back(level.node[s]);
      open.key.push_back(level.key[s]);
      open.count.push_back(level.count[s]);
      open.totals.insert(open.totals.end(), totals, totals + k_);
      open.impurity.push_back(WeightedImpurity(options_.criterion, absl::MakeConstSpan(totals, k_)));
    }
    for (RowState& r : rows_) {
      if (r.slot >= 0) r.slot = remap[r.slot];
    }
    return open;
  }

  void ChooseFeatures(Level* level) {
    if (options_.max_features <= 0 || options_.max_features >= d_) return;
    level->allowed.clear();
    for (int s = 0; s < level->num_slots; ++s) {
      const std::vector<uint8_t> allowed = DrawFeatures(options_, level->key[s], d_);
      level->allowed.insert(level->allowed.end(), allowed.begin(), allowed.end());
    }
  }

  // One pass per feature over its sorted rows (dropping rows now in leaves),
  // keeping each open node's running class sums; evaluates a split wherever
  // the value changes inside a node.
  std::vector<SplitCandidate> FindSplits(const Level& level, std::vector<std::vector<uint32_t>>* lists) {
    std::vector<Scratch> scratch(threads_);
    for (Scratch& s : scratch) s.best.assign(level.num_slots, SplitCandidate());
    ParallelFor(d_, threads_, [&](int f, int t) { ScanFeature(level, f, &(*lists)[f], &scratch[t]); });
    std::vector<SplitCandidate> best(level.num_slots);
    for (const Scratch& s : scratch) {
      for (int slot = 0; slot < level.num_slots; ++slot) {
        if (IsBetterSplit(s.best[slot], best[slot])) best[slot] = s.best[slot];
      }
    }
    return best;
  }

  void ScanFeature(const Level& level, int f, std::vector<uint32_t>* list, Scratch* sc) {
    sc->Reset(level.num_slots, k_);
    const int64_t* column = data_.features.col(f).data();
    const bool sampled = !level.allowed.empty();
    const int64_t min_leaf = options_.min_samples_leaf;
    uint32_t group = 1;  // last_group 0 means "no row yet"
    bool pending = false;
    size_t out = 0;
    uint32_t* entries = list->data();
    const size_t size = list->size();
    for (size_t i = 0; i < size; ++i) {
      const uint32_t e = entries[i];
      const uint32_t row = e & kRowMask;
      const RowState& r = rows_[row];
      if (r.slot < 0) {
        pending |= (e & kNewValue) != 0;
        continue;
      }
      const bool fresh = pending || (e & kNewValue) != 0;
      pending = false;
      group += fresh;
      entries[out++] = row | (fresh ? kNewValue : 0);
      const int s = r.slot;
      if (sampled && !level.allowed[static_cast<size_t>(s) * d_ + f]) continue;
      if (sc->last_group[s] != group) {
        const int64_t left_count = sc->left_count[s];
        if (left_count >= min_leaf && level.count[s] - left_count >= min_leaf) {
          Evaluate(level, s, f, column[sc->last_row[s]], sc);
        }
        sc->last_group[s] = group;
      }
      sc->left[static_cast<size_t>(s) * k_ + r.label] += r.weight;
      ++sc->left_count[s];
      sc->last_row[s] = row;
    }
    list->resize(out);
  }

  void Evaluate(const Level& level, int s, int f, int64_t threshold, Scratch* sc) {
    const double gain = SplitGain(
        options_.criterion, level.impurity[s],
        absl::MakeConstSpan(&level.totals[static_cast<size_t>(s) * k_], k_),
        absl::MakeConstSpan(&sc->left[static_cast<size_t>(s) * k_], k_), absl::MakeSpan(sc->right));
    SplitCandidate& best = sc->best[s];
    // Strictly better only: the lowest threshold, then the lowest feature
    // (features come to a thread in increasing order) wins a tie.
    if (best.feature < 0 || gain > best.gain) best = {gain, f, threshold};
  }

  // Turns the chosen splits into nodes, routes the rows to the children and
  // returns the children that may be split further.
  Level Split(const Level& level, const std::vector<SplitCandidate>& best, int depth) {
    std::vector<int32_t> child_slot(level.num_slots, -1);  // left child; right = +1
    Level next;
    for (int s = 0; s < level.num_slots; ++s) {
      const SplitCandidate& c = best[s];
      if (!WorthSplitting(options_, c, total_weight_)) continue;
      TreeNode& parent = tree_.nodes[level.node[s]];
      parent.feature = c.feature;
      parent.threshold = c.threshold;
      const int32_t left = static_cast<int32_t>(tree_.nodes.size());
      parent.left = left;
      parent.right = left + 1;
      tree_.nodes.emplace_back();  // may move the nodes: `parent` is stale from here
      tree_.nodes.emplace_back();
      child_slot[s] = next.num_slots;
      next.num_slots += 2;
      next.node.push_back(left);
      next.node.push_back(left + 1);
      next.key.push_back(ChildKey(level.key[s], false));
      next.key.push_back(ChildKey(level.key[s], true));
    }
    next.count.assign(next.num_slots, 0);
    next.totals.assign(static_cast<size_t>(next.num_slots) * k_, 0.0);
    for (size_t row = 0; row < rows_.size(); ++row) {
      RowState& r = rows_[row];
      if (r.slot < 0) continue;
      const int32_t child = child_slot[r.slot];
      if (child < 0) {
        r.slot = -1;  // its node stays a leaf
        continue;
      }
      const SplitCandidate& c = best[r.slot];
      r.slot = child + (data_.features(static_cast<Eigen::Index>(row), c.feature) <= c.threshold ? 0 : 1);
      ++next.count[r.slot];
      next.totals[static_cast<size_t>(r.slot) * k_ + r.label] += r.weight;
    }
    for (int s = 0; s < next.num_slots; ++s) {
      FinishNode(next.node[s], &next.totals[static_cast<size_t>(s) * k_]);
    }
    return KeepSplittable(std::move(next), depth + 1);
  }

  const Dataset& data_;
  const CartOptions& options_;
  const int threads_;
  const int k_;
  const int d_;
  std::vector<RowState> rows_;
  double total_weight_ = 0;
  DecisionTree tree_;
};

}  // namespace

absl::StatusOr<CartTrainer> CartTrainer::Create(const Dataset& data, int num_threads,
                                                int max_bins) {
  if (absl::Status s = data.Validate(); !s.ok()) return s;
  if (data.num_rows() == 0) return absl::InvalidArgumentError("dataset has no rows");
  if (static_cast<uint64_t>(data.num_rows()) > kRowMask) {
    return absl::InvalidArgumentError(absl::StrCat("dataset has ", data.num_rows(),
                                                   " rows; the trainer takes at most ", kRowMask));
  }
  CartTrainer trainer(&data, ResolveThreads(num_threads));
  if (max_bins != 0) {
    O2C_ASSIGN_OR_RETURN(FeatureBins bins, FeatureBins::Create(data, max_bins, trainer.num_threads_));
    trainer.bins_ = std::move(bins);
    return trainer;
  }
  const int n = data.num_rows();
  trainer.sorted_.resize(data.num_features());
  ParallelFor(data.num_features(), trainer.num_threads_, [&](int f, int) {
    std::vector<std::pair<int64_t, uint32_t>> pairs(n);
    const int64_t* column = data.features.col(f).data();
    for (int i = 0; i < n; ++i) pairs[i] = {column[i], static_cast<uint32_t>(i)};
    std::sort(pairs.begin(), pairs.end());
    std::vector<uint32_t>& list = trainer.sorted_[f];
    list.resize(n);
    for (int i = 0; i < n; ++i) {
      const bool fresh = i == 0 || pairs[i].first != pairs[i - 1].first;
      list[i] = pairs[i].second | (fresh ? kNewValue : 0);
    }
  });
  return trainer;
}

absl::StatusOr<DecisionTree> CartTrainer::Train(const CartOptions& options,
                                                absl::Span<const double> row_weights) const {
  O2C_RETURN_IF_ERROR(CheckCartOptions(options, *data_));
  absl::StatusOr<DecisionTree> tree;
  if (bins_.has_value()) {
    O2C_ASSIGN_OR_RETURN(std::vector<double> weights, TrainingWeights(*data_, options, row_weights));
    tree = GrowWithHistograms(*data_, *bins_, options, weights, num_threads_);
  } else {
    PresortedGrower grower(*data_, options, num_threads_);
    tree = grower.Grow(sorted_, row_weights);
  }
  if (!tree.ok() || options.ccp_alpha <= 0) return tree;
  return PruneCostComplexity(*tree, options.criterion, options.ccp_alpha);
}

absl::StatusOr<DecisionTree> TrainCart(const Dataset& data, const CartOptions& options) {
  absl::StatusOr<CartTrainer> trainer = CartTrainer::Create(data, options.num_threads);
  if (!trainer.ok()) return trainer.status();
  return trainer->Train(options);
}

}  // namespace o2c::ml
