// Kernel tier: the preparation phase on the pipe compartment, with a short
// real workload, and its refusals.
#include "o2c/prepare.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/ml/dataset_file.h"
#include "o2c/internal/file_util.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string TempDir(const char* name) {
  const char* base = std::getenv("TEST_TMPDIR");
  return std::string(base ? base : "/tmp") + "/" + name;
}

PrepareOptions ShortOptions(const std::string& out) {
  PrepareOptions options;
  options.workload = "tools/workloads/pipe_workload.sh 1";
  options.out_dir = out;
  options.negative_rate = 64;
  options.max_depth = 6;
  options.folds = 3;
  return options;
}

class PrepareTest : public ::testing::Test {
 protected:
  void SetUp() override { O2C_REQUIRE_KERNEL(); }
};

TEST_F(PrepareTest, PipeCompartmentGivesBothClassesAModelAndAgreement) {
  auto policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  const std::string out = TempDir("prepare_pipe");
  auto r = Prepare(*policy, ShortOptions(out));
  ASSERT_THAT(r, IsOk());

  const ml::Dataset& d = r->dataset;
  EXPECT_EQ(d.schema, bpf::ExtractorFeatureSchema());
  EXPECT_EQ(d.class_names, AuditionClassNames());
  const auto own = std::count(d.labels.begin(), d.labels.end(), kOwnLabel);
  const auto kernel = std::count(d.labels.begin(), d.labels.end(), kKernelLabel);
  EXPECT_GT(own, 100);  // two slab objects per pipe, thousands of pipes
  EXPECT_GT(kernel, 0);
  EXPECT_EQ(r->stats.own_samples, static_cast<uint64_t>(own));
  EXPECT_EQ(r->stats.kernel_samples, static_cast<uint64_t>(kernel));
  EXPECT_GE(r->stats.tracked_allocations, r->stats.own_samples);
  EXPECT_EQ(r->stats.samples_lost, 0u);
  EXPECT_EQ(r->compartment_name, "pipe");

  ASSERT_TRUE(r->model.has_value());
  EXPECT_GT(r->held_out.total(), 0);
  ASSERT_TRUE(r->cross_validation.has_value());
  EXPECT_EQ(r->cross_validation->total.total(), d.num_rows());
  EXPECT_EQ(r->kernel_checked, d.num_rows());
  EXPECT_EQ(r->kernel_disagreements, 0);
  EXPECT_GT(r->bpf_insns, 0u);

  // The data files, and nothing for presentation (the caller's).
  EXPECT_THAT(r->files, ElementsAre(out + "/dataset.csv", out + "/dataset.o2cd",
                                    out + "/model.o2cm"));
  for (const std::string& f : r->files) {
    struct stat st;
    EXPECT_EQ(stat(f.c_str(), &st), 0) << f;
    EXPECT_GT(st.st_size, 0) << f;
  }
  for (const char* f : {"metrics.txt", "tree.dot", "tree.png", "report.md"}) {
    struct stat st;
    EXPECT_NE(stat((out + "/" + f).c_str(), &st), 0) << f;
  }
  auto back = ml::ReadDataset(out + "/dataset.o2cd");
  ASSERT_THAT(back, IsOk());
  EXPECT_EQ(back->num_rows(), d.num_rows());
  // The files carry each row's free path after the features; it comes off
  // as the column it is, leaving exactly the features.
  std::optional<std::vector<int64_t>> paths = back->TakeColumn(kFreePathColumn);
  ASSERT_TRUE(paths.has_value());
  EXPECT_EQ(*paths, r->free_path);
  EXPECT_EQ(back->schema, d.schema);

  // Held out by time, and scored per free path: pipe.c kfrees its objects.
  EXPECT_EQ(r->held_out_rows, r->held_out.total());
  int64_t per_path = 0;
  for (const auto& [path, m] : r->held_out_by_path) per_path += m.total();
  EXPECT_EQ(per_path, r->held_out.total());
  EXPECT_TRUE(r->held_out_by_path.count(kFreePathKfree));
  EXPECT_EQ(r->importances.size(), static_cast<size_t>(d.num_features()));
  EXPECT_EQ(r->path_shares.size(), static_cast<size_t>(d.num_features()));
  EXPECT_GT(*std::max_element(r->path_shares.begin(), r->path_shares.end()), 0.0);
  auto model = AuditionModel::Load(out + "/model.o2cm", bpf::ExtractorFeatureSchema());
  ASSERT_THAT(model, IsOk());
  EXPECT_THAT(model->description(), HasSubstr("o2c features v"));
}

TEST_F(PrepareTest, ProgressIsReportedUntilDoneAndCountsTheSamples) {
  auto policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  PrepareOptions options = ShortOptions(TempDir("prepare_progress"));
  options.raw_words = true;
  std::vector<PrepareProgress> reports;
  options.on_progress = [&](const PrepareProgress& p) { reports.push_back(p); };
  auto r = Prepare(*policy, options);
  ASSERT_THAT(r, IsOk());
  ASSERT_GE(reports.size(), 2u);  // a one-second workload, ten reports a second
  for (size_t i = 0; i + 1 < reports.size(); ++i) {
    EXPECT_FALSE(reports[i].done) << i;
    EXPECT_LE(reports[i].seconds, reports[i + 1].seconds) << i;
    EXPECT_LE(reports[i].own_samples, reports[i + 1].own_samples) << i;
  }
  const PrepareProgress& last = reports.back();
  EXPECT_TRUE(last.done);
  EXPECT_EQ(last.own_samples + last.kernel_samples, r->dataset.num_rows());
  EXPECT_DOUBLE_EQ(last.seconds, r->profile_seconds);
  ASSERT_TRUE(r->raw_dataset.has_value());
  EXPECT_EQ(r->raw_dataset->num_rows(), r->dataset.num_rows());
  EXPECT_EQ(r->raw_dataset->labels, r->dataset.labels);
  EXPECT_EQ(r->raw_dataset->schema.Name(0), "raw0");
  EXPECT_THAT(r->files, ::testing::Contains(TempDir("prepare_progress") + "/dataset_raw.o2cd"));
}

TEST_F(PrepareTest, FailingWorkloadReportsItsExitStatus) {
  auto policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  PrepareOptions options = ShortOptions(TempDir("prepare_fail"));
  options.workload = "exit 3";
  EXPECT_THAT(Prepare(*policy, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("workload 'exit 3' exited with status 3")));
}

TEST_F(PrepareTest, CompartmentThatAllocatesNothingHasNoPositiveSamples) {
  auto policy = Policy::FromFile("testdata/prepare/idle.policy");
  ASSERT_THAT(policy, IsOk());
  PrepareOptions options = ShortOptions(TempDir("prepare_idle"));
  options.workload = "tools/workloads/pipe_workload.sh 0.3";
  EXPECT_THAT(Prepare(*policy, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("no positive samples: the compartment allocated nothing "
                                 "under the workload (policy testdata/prepare/idle.policy")));
}

TEST_F(PrepareTest, UnwritableOutputDirectoryIsRefusedBeforeProfiling) {
  auto policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  // A path through a regular file: not even root can create it.
  const std::string file = TempDir("prepare_not_a_dir");
  ASSERT_THAT(internal::WriteFileBytes(file, "x"), IsOk());
  PrepareOptions options = ShortOptions(file + "/out");
  options.workload = "echo must not run >&2; exit 1";
  EXPECT_THAT(Prepare(*policy, options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("output directory '" + file + "/out'")));
}

}  // namespace
}  // namespace o2c
