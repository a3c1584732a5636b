// Pipes for kernel-tier tests: the pipe compartment's objects are made and
// freed by opening and closing them.
#ifndef O2C_TESTING_PIPES_H_
#define O2C_TESTING_PIPES_H_

#include <unistd.h>

#include <vector>

#include "gtest/gtest.h"

namespace o2c::testing {

// Both ends of one pipe.
struct Pipe {
  int fds[2] = {-1, -1};
  // Closing both ends frees the pipe's slab objects.
  void Close() {
    close(fds[0]);
    close(fds[1]);
  }
};

// `n` new pipes (a failed pipe2 is a test failure).
inline std::vector<Pipe> OpenPipes(int n) {
  std::vector<Pipe> pipes(n);
  for (Pipe& p : pipes) EXPECT_EQ(pipe2(p.fds, 0), 0);
  return pipes;
}

inline void CloseAll(std::vector<Pipe>& pipes) {
  for (Pipe& p : pipes) p.Close();
}

}  // namespace o2c::testing

#endif  // O2C_TESTING_PIPES_H_
