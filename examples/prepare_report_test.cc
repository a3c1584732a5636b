// The presentation `o2c prepare` adds to a preparation: report.md,
// metrics.txt, the tree's picture, and the progress line; on a hand-made
// result, so every number in it is known.
#include "examples/prepare_report.h"

#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "examples/progress_bar.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/internal/file_util.h"
#include "o2c/testonly/test_trees.h"
#include "testing/status_matchers.h"

namespace o2c::cli {
namespace {

using ::o2c::testing::IsOk;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Five rows of the fixture schema (slab_size, ptr0_class): three own, two
// kernel; the fixture tree is used with the labels as they are.
PrepareResult HandMadeResult() {
  PrepareResult r;
  r.compartment_name = "pipe";
  r.exact_free_sites = true;
  r.dataset.schema = ml::testing::AuditionSchema();
  r.dataset.class_names = AuditionClassNames();
  r.dataset.features.resize(5, 2);
  r.dataset.features << 128, 2, 128, 2, 64, 2, 256, 0, 128, 3;
  r.dataset.labels = {kOwnLabel, kOwnLabel, kOwnLabel, kKernelLabel, kKernelLabel};
  absl::StatusOr<AuditionModel> model = AuditionModel::Create(
      ml::testing::AuditionTree(), ml::testing::AuditionSchema(), AuditionClassNames());
  EXPECT_THAT(model, IsOk());
  r.model = *model;
  for (int i = 0; i < 5; ++i) r.held_out.Add(r.dataset.labels[i], kOwnLabel);
  r.held_out_rows = 5;
  r.free_path = {kFreePathKfree, kFreePathKfree, kFreePathKfree, kFreePathKmemCacheFree,
                 kFreePathKfree};
  for (int i = 0; i < 5; ++i) {
    r.held_out_by_path.try_emplace(r.free_path[i], 2).first->second.Add(r.dataset.labels[i],
                                                                          kOwnLabel);
  }
  r.importances = {0.75, 0.25};
  r.path_shares = {1.0, 0.6};
  r.cross_validation.emplace();
  r.cross_validation->total = r.held_out;
  r.cross_validation->mean_accuracy = 0.6;
  r.cross_validation->stddev_accuracy = 0.1;
  r.stats.tracked_allocations = 7;
  r.stats.own_samples = 3;
  r.stats.kernel_samples = 2;
  r.stats.kernel_frees_not_sampled = 126;
  r.stats.samples_lost = 1;
  r.profile_seconds = 1.25;
  r.kernel_checked = 5;
  r.bpf_insns = 42;
  return r;
}

PrepareOptions Options(const std::string& out) {
  PrepareOptions options;
  options.workload = "tools/workloads/pipe_workload.sh 1";
  options.out_dir = out;
  options.folds = 3;
  return options;
}

TEST(PrepareReportTest, WritesMetricsTreeAndReport) {
  absl::StatusOr<Policy> policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  const std::string out = std::getenv("TEST_TMPDIR");
  auto files = WritePrepareReport(*policy, Options(out), HandMadeResult());
  ASSERT_THAT(files, IsOk());
  EXPECT_THAT(*files, ElementsAre(out + "/metrics.txt", out + "/tree.dot", out + "/tree.png",
                                  out + "/report.md"));
  for (const std::string& f : *files) {
    struct stat st;
    EXPECT_EQ(stat(f.c_str(), &st), 0) << f;
    EXPECT_GT(st.st_size, 0) << f;
  }
  absl::StatusOr<std::string> report = internal::ReadFileBytes(out + "/report.md");
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(*report, HasSubstr("# Preparation of compartment 'pipe' (policy "
                                 "testdata/policies/pipe.policy)"));
  EXPECT_THAT(*report, HasSubstr("profiled for 1.2 s"));
  EXPECT_THAT(*report, HasSubstr("- own (label 1): 3 (60.0%)"));
  EXPECT_THAT(*report, HasSubstr("- kernel (label 0): 2 (40.0%)"));
  EXPECT_THAT(*report, HasSubstr("profiler counters: tracked 7, positives 3, negatives 2, "
                                 "negatives_skipped 126, "));
  EXPECT_THAT(*report, HasSubstr("samples_lost 1, "));
  EXPECT_THAT(*report, HasSubstr("free-site feature"));
  EXPECT_THAT(*report, HasSubstr("- `slab_size`: object size of the slab cache"));
  EXPECT_THAT(*report, HasSubstr("7 nodes, 4 leaves, depth 3. Picture: tree.png."));
  EXPECT_THAT(*report, HasSubstr("3-fold cross-validation on contiguous blocks of recorded "
                                 "samples: mean accuracy 0.6000 ± 0.1000"));
  EXPECT_THAT(*report, HasSubstr("trains on the first 0 samples in the order the profiler "
                                 "recorded them and is scored on the last 5"));
  // kfree: 3 own and 1 kernel, all called own: the kernel row is missed.
  EXPECT_THAT(*report, HasSubstr("kfree"));
  EXPECT_THAT(*report, HasSubstr("1.0000 [0.2065, 1.0000] of 1"));
  EXPECT_THAT(*report, HasSubstr("kmem_cache_free"));
  EXPECT_THAT(*report, HasSubstr("slab_size 0.75 (on the path of 100% of rows), "
                                 "ptr0_class 0.25 (on the path of 60% of rows)"));
  EXPECT_THAT(*report, HasSubstr("The compiled tree (42 BPF instructions, "
                                 "BPF_PROG_TYPE_SYSCALL) ran on all 5 rows with "
                                 "BPF_PROG_TEST_RUN: 0 disagreements"));
  absl::StatusOr<std::string> metrics = internal::ReadFileBytes(out + "/metrics.txt");
  ASSERT_THAT(metrics, IsOk());
  EXPECT_THAT(*metrics, HasSubstr("held-out split (the last 5 rows recorded), positive class "
                                  "'kernel':\n"));
  EXPECT_THAT(*metrics, HasSubstr("per free path:\nfree_path "));
  EXPECT_THAT(*metrics, HasSubstr("3-fold cross-validation on contiguous blocks (5 rows): mean "
                                  "accuracy "
                                  "0.6000 +- 0.1000\n"));
}

TEST(PrepareReportTest, UncheckedInKernelIsSaid) {
  absl::StatusOr<Policy> policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  PrepareResult r = HandMadeResult();
  r.kernel_checked = 0;
  r.cross_validation.reset();
  const std::string report = PrepareReportMarkdown(*policy, Options("/nowhere"), r, "No picture.");
  EXPECT_THAT(report, HasSubstr("Not checked in the kernel.\n"));
  EXPECT_THAT(report, HasSubstr("depth 3. No picture."));
  EXPECT_THAT(report, ::testing::Not(HasSubstr("cross-validation")));
}

TEST(ProgressBarTest, FillsOverTheExpectedTimeAndIsFullWhenDone) {
  PrepareProgress p;
  p.seconds = 2.5;
  p.own_samples = 120;
  p.kernel_samples = 4012;
  EXPECT_EQ(ProgressLine(p, 5),
            "  profiling [############............]   2.5 s  own 120  kernel 4012  lost 0");
  p.seconds = 9;
  p.samples_lost = 3;
  EXPECT_EQ(ProgressLine(p, 5),
            "  profiling [########################]   9.0 s  own 120  kernel 4012  lost 3");
  p.seconds = 1;
  p.done = true;
  EXPECT_EQ(ProgressLine(p, 5),
            "  profiling [########################]   1.0 s  own 120  kernel 4012  lost 3");
}

}  // namespace
}  // namespace o2c::cli
