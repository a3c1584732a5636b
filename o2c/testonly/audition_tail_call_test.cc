// Kernel tier: the tail-call form for real. A tp_btf/kfree program of ours
// tail-calls the generated tree on the kfrees of this test's own pipe
// closes; every verdict the tree left in the scratch map must equal the
// host's DecisionTree::Predict on the same features.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <unistd.h>

#include <random>
#include <set>

#include "gtest/gtest.h"
#include "o2c/testonly/audition_tail_call.h"
#include "o2c/testonly/audition_tail_call.skel.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

// A random tree over the eight features the tracker fills, with thresholds
// in each feature's real range so that every part of it is reached.
ml::DecisionTree TrackerTree(std::mt19937_64& rng) {
  ml::DecisionTree t = RandomTree({.nodes = 255, .max_depth = 7,
                                   .num_features = O2C_TAIL_TEST_FEATURES, .num_classes = 4},
                                  rng);
  for (ml::TreeNode& n : t.nodes) {
    if (n.is_leaf()) continue;
    // The pipe's objects are reused, so addresses (0, 1, 7) and their bits
    // vary little; the time bits (6) vary on every free.
    if (rng() % 2 == 0) n.feature = 6;
    switch (n.feature) {
      case 2: n.threshold = rng() % 4096; break;
      case 3: n.threshold = rng() % 256; break;
      case 4: n.threshold = rng() % 2; break;
      case 5: n.threshold = -static_cast<int64_t>(rng() % 65536); break;
      case 6: n.threshold = rng() % 65536; break;
      default: break;  // addresses: keep the edge-value thresholds
    }
  }
  return t;
}

TEST(AuditionTailCallTest, TreeEnteredByTailCallFromKfreeDecidesAsTheHost) {
  O2C_REQUIRE_KERNEL();
  std::mt19937_64 rng(77);
  ml::DecisionTree tree = TrackerTree(rng);

  struct SkelDeleter {
    void operator()(audition_tail_call_bpf* s) const { audition_tail_call_bpf__destroy(s); }
  };
  std::unique_ptr<audition_tail_call_bpf, SkelDeleter> skel(audition_tail_call_bpf__open());
  ASSERT_NE(skel, nullptr);
  skel->rodata->target_tgid = getpid();
  ASSERT_EQ(audition_tail_call_bpf__load(skel.get()), 0) << "load: " << errno;

  auto program = CompileAudition({&tree, 1}, AuditionForm::kTailCall, {}, "o2c_tree_kfree");
  ASSERT_TRUE(program.ok()) << program.status();
  int maps[] = {bpf_map__fd(skel->maps.scratch), bpf_map__fd(skel->maps.progs)};
  auto tree_fd = LoadAudition(*program, AuditionForm::kTailCall, maps, "kfree");
  ASSERT_TRUE(tree_fd.ok()) << tree_fd.status();
  uint32_t slot = O2C_AUDITION_SLOT_TREE;
  int fd = tree_fd->get();
  ASSERT_EQ(bpf_map_update_elem(maps[1], &slot, &fd, BPF_ANY), 0) << "tree into prog array";
  slot = O2C_AUDITION_SLOT_VERDICT;
  fd = bpf_program__fd(skel->progs.o2c_audit_verdict);
  ASSERT_EQ(bpf_map_update_elem(maps[1], &slot, &fd, BPF_ANY), 0) << "continuation";

  bpf_link* link = bpf_program__attach(skel->progs.o2c_audit_kfree);
  ASSERT_NE(link, nullptr) << "attach tp_btf/kfree: " << errno;
  for (int i = 0; i < 200; ++i) {  // each pipe2 + two closes kfrees two objects
    int p[2];
    ASSERT_EQ(pipe(p), 0);
    close(p[0]);
    close(p[1]);
  }
  bpf_link__destroy(link);

  uint32_t zero = 0;
  uint64_t count = 0;
  ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel->maps.record_count), &zero, &count), 0);
  ASSERT_GE(count, 200u) << "the continuation ran too rarely: the tail calls failed";
  count = std::min<uint64_t>(count, O2C_TAIL_TEST_RECORDS);
  std::set<int32_t> leaves;
  for (uint32_t i = 0; i < count; ++i) {
    o2c_tail_call_record r;
    ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel->maps.records), &i, &r), 0);
    std::vector<int64_t> x(r.features, r.features + O2C_TAIL_TEST_FEATURES);
    ml::TreePrediction host = tree.Predict(x);
    ASSERT_EQ(r.verdict.label, host.label) << "record " << i << " object " << r.object;
    ASSERT_EQ(r.verdict.leaf_id, host.leaf_id) << "record " << i;
    leaves.insert(host.leaf_id);

  }
  EXPECT_GE(leaves.size(), 4u) << "the tree saw too little variety to prove much";
  std::cout << count << " kfree auditions by tail call, " << leaves.size()
            << " distinct leaves, all equal to the host\n";
}

}  // namespace
}  // namespace o2c::bpf
