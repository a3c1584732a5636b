// A property a fuzz target checks on every input: when it fails, the input
// is a finding, so the process aborts and libFuzzer saves the input as a
// crash artifact. assert() would vanish under NDEBUG.
#ifndef O2C_FUZZ_FUZZ_CHECK_H_
#define O2C_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <string>

#define O2C_FUZZ_CHECK(condition, what)                                          \
  do {                                                                           \
    if (!(condition)) {                                                          \
      std::fprintf(stderr, "%s:%d: fuzz property failed: %s\n  %s\n", __FILE__, \
                   __LINE__, #condition, std::string(what).c_str());             \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

#endif  // O2C_FUZZ_FUZZ_CHECK_H_
