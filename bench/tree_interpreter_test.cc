// Kernel tier: the map-walking baseline decides as the host too (a baseline
// that answers differently would make the benchmark meaningless).
#include "bench/tree_interpreter.h"

#include <random>

#include "gtest/gtest.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "o2c/ml/random_forest.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

TEST(TreeInterpreterTest, TreeAndForestDecideAsTheHost) {
  O2C_REQUIRE_KERNEL();
  std::mt19937_64 rng(5);
  std::vector<ml::DecisionTree> forest;
  for (int k = 0; k < 5; ++k) {
    forest.push_back(RandomTree({.nodes = 2047, .max_depth = 12, .num_classes = 3}, rng));
  }
  for (size_t trees : {size_t{1}, forest.size()}) {
    absl::Span<const ml::DecisionTree> model(forest.data(), trees);
    auto interpreter = TreeInterpreter::Load(model);
    ASSERT_TRUE(interpreter.ok()) << interpreter.status();
    const ml::RandomForest voting{.trees = {model.begin(), model.end()}, .num_classes = 3};
    for (int s = 0; s < 2000; ++s) {
      std::vector<int64_t> x = RandomSample(model[s % trees], rng);
      o2c_verdict v;
      ASSERT_TRUE(RunPacketAudition((*interpreter)->prog_fd(), AuditionPacket(x), 1, &v).ok());
      int32_t label = model[0].Predict(x).label, leaf = model[0].Predict(x).leaf_id;
      if (trees > 1) {
        label = voting.Predict(x);
        leaf = -1;
      }
      ASSERT_EQ(v.label, label) << "sample " << s << ", " << trees << " trees";
      ASSERT_EQ(v.leaf_id, leaf) << "sample " << s;
    }
  }
}

}  // namespace
}  // namespace o2c::bpf
