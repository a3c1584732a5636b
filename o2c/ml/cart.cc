#include "o2c/ml/cart.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "o2c/ml/parallel.h"
#include "o2c/ml/prune.h"
#include "o2c/internal/status_macros.h"

namespace o2c::ml {
namespace {

constexpr uint32_t kNewValue = 0x80000000u;
constexpr uint32_t kRowMask = 0x7fffffffu;

// What the trainer knows about a row while growing one tree.
struct RowState {
  int32_t slot;  // open node of this level it sits in, -1 once in a leaf
  int32_t label;
  double weight;  // class weight x row weight
};

// The best split found for an open node so far.
struct Candidate {
  double gain = 0;  // decrease of weighted impurity
  int32_t feature = -1;
  int64_t threshold = 0;
};

// Deterministic order: larger gain, then lower feature, then lower threshold.
bool Better(const Candidate& a, const Candidate& b) {
  if (a.feature < 0) return false;
  if (b.feature < 0) return true;
  if (a.gain != b.gain) return a.gain > b.gain;
  if (a.feature != b.feature) return a.feature < b.feature;
  return a.threshold < b.threshold;
}

// The nodes of one level that may still be split ("open"), by slot.
struct Level {
  int num_slots = 0;
  std::vector<int32_t> node;       // tree node index
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
  std::vector<Candidate> best;

  void Reset(int slots, int k, bool keep_best) {
    left.assign(static_cast<size_t>(slots) * k, 0.0);
    right.assign(k, 0.0);
    left_count.assign(slots, 0);
    last_group.assign(slots, 0);
    last_row.assign(slots, 0);
    if (!keep_best) best.assign(slots, Candidate());
  }
};

class Grower {
 public:
  Grower(const Dataset& data, const CartOptions& options, int threads)
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
      ChooseFeatures(&level, depth);
      std::vector<Candidate> best = FindSplits(level, &lists);
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
    const int n = data_.num_rows();
    if (!row_weights.empty() && static_cast<int>(row_weights.size()) != n) {
      return absl::InvalidArgumentError(
          absl::StrCat(row_weights.size(), " row weights for ", n, " rows"));
    }
    std::vector<double> class_weights = options_.class_weights;
    if (class_weights.empty()) class_weights.assign(k_, 1.0);
    if (static_cast<int>(class_weights.size()) != k_) {
      return absl::InvalidArgumentError(absl::StrCat(
          class_weights.size(), " class weights for ", k_, " classes"));
    }
    if (options_.balanced_class_weights) {
      std::vector<double> per_class(k_, 0.0);
      double total = 0;
      for (int i = 0; i < n; ++i) {
        double w = row_weights.empty() ? 1.0 : row_weights[i];
        per_class[data_.labels[i]] += w;
        total += w;
      }
      for (int c = 0; c < k_; ++c) {
        class_weights[c] = per_class[c] > 0 ? total / (k_ * per_class[c]) : 0.0;
      }
    }
    rows_.resize(n);
    double total = 0;
    for (int i = 0; i < n; ++i) {
      double w = class_weights[data_.labels[i]] * (row_weights.empty() ? 1.0 : row_weights[i]);
      if (w < 0) return absl::InvalidArgumentError(absl::StrCat("row ", i, " has a negative weight"));
      rows_[i] = {w > 0 ? 0 : -1, data_.labels[i], w};
      total += w;
    }
    if (total <= 0) return absl::InvalidArgumentError("no row has a positive weight");
    total_weight_ = total;
    return absl::OkStatus();
  }

  // Records a node's class totals and majority label (a leaf until split).
  void FinishNode(int32_t node, const double* totals) {
    TreeNode& n = tree_.nodes[node];
    n.class_weights.assign(totals, totals + k_);
    n.label = MajorityLabel(n.class_weights);
    n.feature = -1;
  }

  // Keeps the slots of `level` that may be split at `depth`; rows of the
  // others leave the lists for good.
  Level KeepSplittable(Level level, int depth) {
    std::vector<int32_t> remap(level.num_slots, -1);
    Level open;
    for (int s = 0; s < level.num_slots; ++s) {
      const double* totals = &level.totals[static_cast<size_t>(s) * k_];
      int classes_present = 0;
      for (int c = 0; c < k_; ++c) classes_present += totals[c] > 0;
      if (depth >= options_.max_depth || level.count[s] < options_.min_samples_split ||
          level.count[s] < 2 * options_.min_samples_leaf || classes_present < 2) {
        continue;
      }
      remap[s] = open.num_slots++;
      open.node.push_back(level.node[s]);
      open.count.push_back(level.count[s]);
      open.totals.insert(open.totals.end(), totals, totals + k_);
      open.impurity.push_back(WeightedImpurity(options_.criterion, absl::MakeConstSpan(totals, k_)));
    }
    for (RowState& r : rows_) {
      if (r.slot >= 0) r.slot = remap[r.slot];
    }
    return open;
  }

  // With max_features, draws each open node's features from a stream fixed
  // by the seed and the node's index, so results do not depend on threads.
  void ChooseFeatures(Level* level, int depth) {
    if (options_.max_features <= 0 || options_.max_features >= d_) return;
    level->allowed.assign(static_cast<size_t>(level->num_slots) * d_, 0);
    std::vector<int> features(d_);
    for (int s = 0; s < level->num_slots; ++s) {
      std::mt19937_64 rng(options_.seed * 0x9E3779B97F4A7C15ull + level->node[s]);
      for (int f = 0; f < d_; ++f) features[f] = f;
      for (int i = 0; i < options_.max_features; ++i) {
        int j = i + static_cast<int>(rng() % static_cast<uint64_t>(d_ - i));
        std::swap(features[i], features[j]);
        level->allowed[static_cast<size_t>(s) * d_ + features[i]] = 1;
      }
    }
  }

  // One pass per feature over its sorted rows (dropping rows now in leaves),
  // keeping each open node's running class sums; evaluates a split wherever
  // the value changes inside a node.
  std::vector<Candidate> FindSplits(const Level& level, std::vector<std::vector<uint32_t>>* lists) {
    std::vector<Scratch> scratch(threads_);
    for (Scratch& s : scratch) s.best.assign(level.num_slots, Candidate());
    ParallelFor(d_, threads_, [&](int f, int t) { ScanFeature(level, f, &(*lists)[f], &scratch[t]); });
    std::vector<Candidate> best(level.num_slots);
    for (const Scratch& s : scratch) {
      for (int slot = 0; slot < level.num_slots; ++slot) {
        if (Better(s.best[slot], best[slot])) best[slot] = s.best[slot];
      }
    }
    return best;
  }

  void ScanFeature(const Level& level, int f, std::vector<uint32_t>* list, Scratch* sc) {
    sc->Reset(level.num_slots, k_, /*keep_best=*/true);
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
    const double* left = &sc->left[static_cast<size_t>(s) * k_];
    const double* totals = &level.totals[static_cast<size_t>(s) * k_];
    for (int c = 0; c < k_; ++c) sc->right[c] = std::max(0.0, totals[c] - left[c]);
    const double children = WeightedImpurity(options_.criterion, absl::MakeConstSpan(left, k_)) +
                            WeightedImpurity(options_.criterion, sc->right);
    const double gain = level.impurity[s] - children;
    Candidate& best = sc->best[s];
    // Strictly better only: the lowest threshold, then the lowest feature
    // (features come to a thread in increasing order) wins a tie.
    if (best.feature < 0 || gain > best.gain) best = {gain, f, threshold};
  }

  // Turns the chosen splits into nodes, routes the rows to the children and
  // returns the children that may be split further.
  Level Split(const Level& level, const std::vector<Candidate>& best, int depth) {
    constexpr double kEpsilon = 1e-12;
    std::vector<int32_t> child_slot(level.num_slots, -1);  // left child; right = +1
    Level next;
    for (int s = 0; s < level.num_slots; ++s) {
      const Candidate& c = best[s];
      if (c.feature < 0 || c.gain / total_weight_ + kEpsilon < options_.min_impurity_decrease) {
        continue;
      }
      TreeNode& parent = tree_.nodes[level.node[s]];
      parent.feature = c.feature;
      parent.threshold = c.threshold;
      parent.left = static_cast<int32_t>(tree_.nodes.size());
      parent.right = parent.left + 1;
      tree_.nodes.emplace_back();
      tree_.nodes.emplace_back();
      child_slot[s] = next.num_slots;
      next.num_slots += 2;
      next.node.push_back(parent.left);
      next.node.push_back(parent.right);
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
      const Candidate& c = best[r.slot];
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

absl::Status CheckOptions(const CartOptions& o, const Dataset& data) {
  if (o.max_depth < 0) return absl::InvalidArgumentError("max_depth must be >= 0");
  if (o.min_samples_leaf < 1) return absl::InvalidArgumentError("min_samples_leaf must be >= 1");
  if (o.min_samples_split < 2) return absl::InvalidArgumentError("min_samples_split must be >= 2");
  if (o.min_impurity_decrease < 0) {
    return absl::InvalidArgumentError("min_impurity_decrease must be >= 0");
  }
  if (o.ccp_alpha < 0) return absl::InvalidArgumentError("ccp_alpha must be >= 0");
  if (o.max_features < 0 || o.max_features > data.num_features()) {
    return absl::InvalidArgumentError(absl::StrCat("max_features ", o.max_features,
                                                   " outside [0, ", data.num_features(), "]"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CartTrainer> CartTrainer::Create(const Dataset& data, int num_threads) {
  if (absl::Status s = data.Validate(); !s.ok()) return s;
  if (data.num_rows() == 0) return absl::InvalidArgumentError("dataset has no rows");
  if (static_cast<uint64_t>(data.num_rows()) > kRowMask) {
    return absl::InvalidArgumentError(absl::StrCat("dataset has ", data.num_rows(),
                                                   " rows; the trainer takes at most ", kRowMask));
  }
  CartTrainer trainer(&data, ResolveThreads(num_threads));
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
  if (absl::Status s = CheckOptions(options, *data_); !s.ok()) return s;
  Grower grower(*data_, options, num_threads_);
  absl::StatusOr<DecisionTree> tree = grower.Grow(sorted_, row_weights);
  if (!tree.ok() || options.ccp_alpha <= 0) return tree;
  return PruneCostComplexity(*tree, options.criterion, options.ccp_alpha);
}

absl::StatusOr<DecisionTree> TrainCart(const Dataset& data, const CartOptions& options) {
  absl::StatusOr<CartTrainer> trainer = CartTrainer::Create(data, options.num_threads);
  if (!trainer.ok()) return trainer.status();
  return trainer->Train(options);
}

}  // namespace o2c::ml
