// The main() of every O2C test binary. Bazel counts a gtest that called
// GTEST_SKIP as PASSED, so a kernel-tier test skipped for lack of root or BPF
// would silently prove nothing; with CI=true in the environment a skip fails.
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "gtest/gtest.h"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  int result = RUN_ALL_TESTS();
  const char* ci = std::getenv("CI");
  int skipped = testing::UnitTest::GetInstance()->skipped_test_count();
  if (skipped > 0 && ci != nullptr && std::strcmp(ci, "true") == 0) {
    std::cerr << "FAILED: " << skipped
              << " test(s) skipped while CI=true; a skip proves nothing in CI\n";
    return 1;
  }
  return result;
}
