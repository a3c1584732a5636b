#include "o2c/ml/parallel.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace o2c::ml {

int ResolveThreads(int requested) {
  if (requested > 0) return requested;
  unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? static_cast<int>(cores) : 1;
}

void ParallelFor(int n, int threads, const std::function<void(int, int)>& fn) {
  threads = std::max(1, std::min(threads, n));
  std::atomic<int> next{0};
  auto work = [&](int thread) {
    for (int i = next++; i < n; i = next++) fn(i, thread);
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (std::thread& t : pool) t.join();
}

}  // namespace o2c::ml
