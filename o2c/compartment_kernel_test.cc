// Kernel tier: resolving testdata/policies/pipe.policy on the running kernel,
// and checking the computed call sites against the call_site values the kmem
// tracepoints really report for pipes.
#include <unistd.h>

#include <algorithm>
#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/kmem_sites_programs.h"
#include "o2c/compartment.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

class PipeCompartmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    auto table = bpf::Kallsyms::FromFile();
    ASSERT_THAT(table, IsOk());
    kallsyms_ = std::make_unique<bpf::Kallsyms>(*std::move(table));
    auto policy = Policy::FromFile("testdata/policies/pipe.policy");
    ASSERT_THAT(policy, IsOk());
    auto compartment = Compartment::Resolve(*policy, *kallsyms_);
    ASSERT_THAT(compartment, IsOk());
    compartment_ = std::make_unique<Compartment>(*std::move(compartment));
    std::cout << compartment_->Format(*kallsyms_);
  }

  size_t SitesIn(const std::vector<CallSite>& sites, const std::string& function) const {
    return std::count_if(sites.begin(), sites.end(),
                         [&](const CallSite& s) { return s.function == function; });
  }

  std::unique_ptr<bpf::Kallsyms> kallsyms_;
  std::unique_ptr<Compartment> compartment_;
};

TEST_F(PipeCompartmentTest, FindsThePipeFunctionsAndTheirSites) {
  for (const char* name : {"alloc_pipe_info", "free_pipe_info", "pipe_release"}) {
    auto range = kallsyms_->FunctionRange(name);
    ASSERT_THAT(range, IsOk());
    EXPECT_TRUE(compartment_->ContainsCode(range->start)) << name;
  }
  ASSERT_TRUE(compartment_->sites_exact()) << "kernel text should be readable here";
  // The pipe_inode_info and its pipe_buffer array.
  EXPECT_GE(SitesIn(compartment_->alloc_sites(), "alloc_pipe_info"), 2u);
  EXPECT_GE(SitesIn(compartment_->free_sites(), "free_pipe_info"), 1u);
  for (const auto* sites : {&compartment_->alloc_sites(), &compartment_->free_sites()}) {
    for (const CallSite& s : *sites) {
      // A call of a tail-jumping compartment function may lie anywhere.
      if (s.via.empty()) {
        EXPECT_TRUE(compartment_->ContainsCode(s.call_address))
            << kallsyms_->Format(s.call_address);
      }
      EXPECT_GT(s.return_address, s.call_address);
      auto at = kallsyms_->Symbolize(s.call_address);
      ASSERT_THAT(at, IsOk());
      EXPECT_EQ(at->symbol->name, s.function);
    }
  }
}

// The return addresses we compute are exactly the call_site values the
// kernel reports: count pipe allocations at 1-byte ranges around them.
TEST_F(PipeCompartmentTest, SitesAreTheCallSitesTheKernelReports) {
  std::vector<bpf::AddressRange> alloc_ranges, free_ranges;
  for (const CallSite& s : compartment_->alloc_sites()) {
    alloc_ranges.push_back({s.return_address, s.return_address + 1});
  }
  for (const CallSite& s : compartment_->free_sites()) {
    free_ranges.push_back({s.return_address, s.return_address + 1});
  }
  ASSERT_FALSE(alloc_ranges.empty());
  ASSERT_FALSE(free_ranges.empty());
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();
  auto allocs = bpf::KmemSitesPrograms::Start({alloc_ranges, static_cast<uint32_t>(getpid())},
                                            features);
  ASSERT_THAT(allocs, IsOk());
  auto frees = bpf::KmemSitesPrograms::Start({free_ranges, static_cast<uint32_t>(getpid())},
                                           features);
  ASSERT_THAT(frees, IsOk());

  constexpr int kPipes = 300;
  for (int i = 0; i < kPipes; ++i) {
    int fds[2];
    ASSERT_EQ(pipe2(fds, 0), 0);
    close(fds[0]);
    close(fds[1]);
  }
  auto alloc_total = (*allocs)->Total();
  auto free_total = (*frees)->Total();
  ASSERT_THAT(alloc_total, IsOk());
  ASSERT_THAT(free_total, IsOk());
  std::cout << kPipes << " pipes: " << alloc_total->allocs << " allocations and "
            << free_total->frees << " frees reported at the computed sites\n";
  // Both allocations of a pipe come from non-tail calls in alloc_pipe_info.
  EXPECT_EQ(alloc_total->allocs, 2u * kPipes);
  // Both frees too: free_pipe_info frees the buffer array by a call, and the
  // pipe itself by a call or by a tail jump, reported at free_pipe_info's
  // caller, whose call is a site of its own (CallSite::via).
  EXPECT_EQ(free_total->frees, 2u * kPipes);
}

// Where a compartment function tail-jumps to kfree, the calls of it are the
// sites, and nothing else is: no code range stands in for them.
TEST_F(PipeCompartmentTest, TailJumpsAreReportedAtTheCallsOfTheirFunction) {
  for (const TailJump& t : compartment_->tail_jumps()) {
    std::cout << "tail jump " << kallsyms_->Format(t.jump_address) << " to " << t.callee
              << ": " << t.direct_callers << " calls of " << t.function << "\n";
    EXPECT_GT(t.direct_callers, 0u) << t.function;
    size_t sites = 0;
    for (const CallSite& s : compartment_->free_sites()) {
      if (s.via != t.function) continue;
      ++sites;
      auto bytes = kallsyms_->Symbolize(s.call_address);
      ASSERT_THAT(bytes, IsOk());
      EXPECT_EQ(bytes->symbol->name, s.function);
      EXPECT_EQ(s.return_address, s.call_address + 5) << "a call rel32";
    }
    EXPECT_EQ(sites, t.direct_callers);
  }
  if (compartment_->tail_jumps().empty()) {
    std::cout << "no compartment function tail-jumps to an allocator on this kernel\n";
  }
}

TEST(CompartmentErrorsTest, AMisspelledFunctionNamesANearMatch) {
  O2C_REQUIRE_KERNEL();
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/bad_unknown_function.policy");
  ASSERT_THAT(policy, IsOk());
  EXPECT_THAT(Compartment::Resolve(*policy, *kallsyms),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("compartment.function[1]: function 'pipe_wrte' is not on "
                                 "this kernel; did you mean ")));
}

}  // namespace
}  // namespace o2c
