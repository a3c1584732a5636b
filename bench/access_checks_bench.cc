// VM tier, run by name: what access checks cost a real workload. The test
// module's benign workload (testdata/vulnmod/vulnmod_workload) runs without
// O2C, with free-site enforcement, and with access checks added
// (Enforcer::Options::access_checks), in interleaved rounds whose order
// rotates; it prints each configuration's median rounds per second and its
// ratio to no O2C measured in the same run.
//
//   bazel test //bench:access_checks_bench_vm --test_output=all
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"
#include "testdata/vulnmod/vulnmod_device.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;

enum Config { kNoO2c, kFreeSites, kAccessChecks, kConfigs };
constexpr const char* kConfigNames[kConfigs] = {"no O2C", "free-site enforcement",
                                                "free sites + access checks"};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

TEST(AccessChecksBench, WorkloadRoundsPerSecond) {
  O2C_REQUIRE_KERNEL();
  ASSERT_EQ(testing::LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/vulnmod_stores.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();

  constexpr int kRounds = 7;
  constexpr long kOperations = 20000;
  std::array<std::vector<double>, kConfigs> rates;
  uint64_t store_checks = 0;
  for (int round = 0; round < kRounds; ++round) {
    for (int k = 0; k < kConfigs; ++k) {
      const Config config = static_cast<Config>((round + k) % kConfigs);
      std::unique_ptr<Enforcer> enforcer;
      if (config != kNoO2c) {
        Enforcer::Options options;
        options.scope_tgid = static_cast<uint32_t>(getpid());
        options.scope_descendants = true;
        options.confirm_final_without_census = true;  // the workload's objects are all new
        options.object_events = false;
        options.access_checks = config == kAccessChecks;
        options.capabilities = &features;
        auto attached = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
        ASSERT_THAT(attached, IsOk());
        enforcer = std::move(*attached);
      }
      const auto start = std::chrono::steady_clock::now();
      int wstatus = testing::RunVulnmodWorkload(kOperations);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
      rates[config].push_back(kOperations / seconds);
      if (enforcer != nullptr) {
        auto stats = enforcer->Stats();
        ASSERT_THAT(stats, IsOk());
        EXPECT_EQ(stats->violations, 0u) << kConfigNames[config];
        if (config == kAccessChecks) {
          EXPECT_GT(stats->store_checks, 0u);
          store_checks += stats->store_checks;
        }
      }
    }
  }
  const double base = Median(rates[kNoO2c]);
  std::printf("vulnmod_workload, %ld rounds per run, %d interleaved runs per configuration "
              "(medians; %llu store checks in all):\n",
              kOperations, kRounds, static_cast<unsigned long long>(store_checks));
  for (int c = 0; c < kConfigs; ++c) {
    const double median = Median(rates[c]);
    std::printf("  %-28s %10.0f rounds/s  %.3fx of no O2C\n", kConfigNames[c], median,
                median / base);
  }
}

}  // namespace
}  // namespace o2c
