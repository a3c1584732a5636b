// ParallelFor: the one threading primitive of o2c/ml. Indexes are handed out
// in increasing order, so each thread sees its share in increasing order too
// (the CART trainer relies on it to break ties the same way on any number of
// threads).
#ifndef O2C_ML_PARALLEL_H_
#define O2C_ML_PARALLEL_H_

#include <functional>

namespace o2c::ml {

// `requested` threads, or one per core when it is 0 or less.
int ResolveThreads(int requested);

// Runs fn(index, thread) for every index in [0, n) on up to `threads`
// threads (thread in [0, threads)); returns when all are done.
void ParallelFor(int n, int threads, const std::function<void(int, int)>& fn);

}  // namespace o2c::ml

#endif  // O2C_ML_PARALLEL_H_
