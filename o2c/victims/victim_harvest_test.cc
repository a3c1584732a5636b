// The victim harvest on the running kernel, for the pipe compartment: the
// built-in workload makes the victims, the profiler sees them freed, and the
// shipped pipe model is scored on them.
#include "o2c/victims/victim_harvest.h"

#include <algorithm>
#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/audition_model.h"
#include "o2c/compartment.h"
#include "o2c/policy.h"
#include "o2c/victims/victim_miss_rate.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::victims {
namespace {

using ::o2c::testing::IsOk;
using ::testing::Contains;

int64_t SamplesOf(const VictimHarvest& h, const std::string& name) {
  for (const HarvestedType& t : h.types) {
    if (t.victim.type->name == name) return t.samples;
  }
  return -1;
}

TEST(VictimHarvestTest, ThePipeCompartmentsVictimsAreHarvestedAndScored) {
  O2C_REQUIRE_KERNEL();
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/pipe.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());

  HarvestOptions options;
  options.rounds = 20;
  auto harvest = HarvestVictims(*compartment, *kallsyms, options);
  ASSERT_THAT(harvest, IsOk());
  std::cout << "tracked " << harvest->tracked << ", freed " << harvest->dataset.num_rows()
            << ", map full " << harvest->map_full << ", lost " << harvest->samples_lost
            << ", not seen freed " << harvest->not_seen_freed << ", unattributed "
            << harvest->unattributed << "\n";
  for (const HarvestedType& t : harvest->types) {
    std::cout << "  " << t.victim.type->name << ": " << t.samples
              << (t.compartment_own ? " (the compartment's own)" : "") << "\n";
  }
  EXPECT_EQ(harvest->samples_lost, 0u);
  EXPECT_EQ(harvest->unattributed, 0u);
  EXPECT_EQ(harvest->dataset.num_rows(), static_cast<int>(harvest->type_of_row.size()));
  // pipe.c allocates pipe_buffer: the compartment's own, never harvested.
  for (const HarvestedType& t : harvest->types) {
    if (t.victim.type->name == "pipe_buffer") {
      EXPECT_TRUE(t.compartment_own);
    }
  }
  EXPECT_EQ(SamplesOf(*harvest, "pipe_buffer"), 0);
  // The workload makes each of these 20 times or more and frees it (not
  // timerfd_ctx: kfree_rcu frees it in batches, unseen by the tracepoints).
  for (const char* made : {"cred", "file", "seq_operations", "msg_msg", "sk_buff", "poll_list",
                           "shm_file_data"}) {
    EXPECT_GE(SamplesOf(*harvest, made), 20) << made;
  }

  auto model = AuditionModel::Load("testdata/prepare/pipe.o2cm");
  ASSERT_THAT(model, IsOk());
  auto scored = ScoreVictims(*model, *harvest);
  ASSERT_THAT(scored, IsOk()) << "the shipped model must read this extractor's features "
                                 "(regenerate testdata/prepare)";
  std::cout << FormatMissRates(*scored);
  EXPECT_EQ(scored->all.objects, harvest->dataset.num_rows());
  EXPECT_THAT(scored->compartment_own, Contains("pipe_buffer"));
}

}  // namespace
}  // namespace o2c::victims
