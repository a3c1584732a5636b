// Helpers for kernel-tier tests: tests that load real BPF programs into the
// running kernel. Such tests must be tagged "kernel" and "no-sandbox" (Bazel's
// linux-sandbox makes every BPF load fail with EPERM).
#ifndef O2C_TESTING_KERNEL_TEST_H_
#define O2C_TESTING_KERNEL_TEST_H_

#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace o2c::testing {

// Returns "" when this process can load BPF programs, else why not.
std::string WhyNoBpf();

// Every BPF program loaded in the kernel, as (id, name): compared before and
// after a failure to show that nothing was left behind.
std::set<std::pair<uint32_t, std::string>> KernelPrograms();

// Waits up to `seconds` until no program of `ids` is loaded any more and
// returns those still loaded. The kernel frees programs asynchronously (prog
// arrays are cleared from a work item, programs after an RCU grace period).
std::vector<uint32_t> WaitUntilUnloaded(std::vector<uint32_t> ids, double seconds = 10);

}  // namespace o2c::testing

// Skips the current test, printing "SKIPPED: <reason>", when BPF programs
// cannot be loaded here (not root, or a sandbox). Under CI=true the test
// binary then fails (see gtest_main.cc).
#define O2C_REQUIRE_KERNEL()                                            \
  do {                                                                  \
    std::string o2c_why_ = ::o2c::testing::WhyNoBpf();                  \
    if (!o2c_why_.empty()) GTEST_SKIP() << "SKIPPED: " << o2c_why_;     \
  } while (0)

#endif  // O2C_TESTING_KERNEL_TEST_H_
