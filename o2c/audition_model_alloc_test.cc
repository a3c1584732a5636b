// AuditionModel::Decide allocates nothing: this binary counts every
// operator new, and classifies between two readings of the count.
#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "gtest/gtest.h"
#include "o2c/audition_model.h"
#include "o2c/testonly/test_trees.h"
#include "testing/status_matchers.h"

namespace {
std::atomic<long> allocations{0};
}  // namespace

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace o2c {
namespace {

using ::o2c::testing::IsOk;

TEST(AuditionModelAllocationTest, DecideAllocatesNothing) {
  absl::StatusOr<AuditionModel> model = AuditionModel::Create(
      ml::testing::AuditionTree(), ml::testing::AuditionSchema(), ml::testing::AuditionClasses());
  ASSERT_THAT(model, IsOk());
  const std::vector<int64_t> own = {128, 2};
  const std::vector<int64_t> other = {4096, 0};
  int32_t leaves = 0;
  const long before = allocations.load();
  for (int i = 0; i < 1000; ++i) {
    absl::StatusOr<AuditionDecision> d = model->Decide(i % 2 ? own : other);
    leaves += d.ok() ? d->leaf_id : -1000;
  }
  const long during = allocations.load() - before;
  EXPECT_EQ(during, 0) << "Decide allocated";
  const long before_predict = allocations.load();
  absl::StatusOr<AuditionVerdict> v = model->Predict(own);
  ASSERT_THAT(v, IsOk());
  EXPECT_GT(allocations.load() - before_predict, 0) << "the counter counts (Predict's path)";
  absl::StatusOr<AuditionDecision> d = model->Decide(own);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->label, v->label);
  EXPECT_EQ(d->leaf_id, v->leaf_id);
  EXPECT_GT(leaves, -1000);
}

}  // namespace
}  // namespace o2c
