// Kernel tier: lib/heap_tracker.bpf.h hammered from two CPUs at once, through
// heap_tracker_hammer.bpf.c run by BPF_PROG_TEST_RUN from threads pinned to
// CPU 0 and CPU 1. Few buckets, so that both CPUs contend for the same
// buckets and most objects go to the overflow map. Afterwards the maps hold
// exactly the keys the threads left tracked, once each, and the counters
// agree with them.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/loader/heap_tracker_maps.h"
#include "o2c/testonly/heap_tracker_hammer.h"
#include "o2c/testonly/heap_tracker_hammer.skel.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;

// lib/heap_tracker.bpf.h's struct o2c_bucket, as user space reads it.
struct Bucket {
  uint64_t key[4];
  o2c_object object[4];
};

constexpr uint32_t kCapacity = 8192;
constexpr uint32_t kBucketsUsed = 64;  // 256 slots for 2048 live objects at most
constexpr uint32_t kKeys = 1024;       // per set
constexpr uint64_t kStride = 64;
constexpr uint64_t kShared = 0xffff888100000000ULL;
constexpr uint64_t kOwn[2] = {0xffff888200000000ULL, 0xffff888300000000ULL};
constexpr int kRounds = 20;

struct SkelDeleter {
  void operator()(heap_tracker_hammer_bpf* skel) const { heap_tracker_hammer_bpf__destroy(skel); }
};

o2c_hammer_args Hammer(int prog, uint32_t op, uint64_t first, uint64_t stride, uint32_t count) {
  o2c_hammer_args args{};
  args.first_key = first;
  args.stride = stride;
  args.count = count;
  args.op = op;
  LIBBPF_OPTS(bpf_test_run_opts, opts);
  opts.ctx_in = &args;  // a SYSCALL program's ctx is copied back here
  opts.ctx_size_in = sizeof(args);
  int err = bpf_prog_test_run_opts(prog, &opts);
  EXPECT_EQ(err, 0) << "BPF_PROG_TEST_RUN: " << err;
  return args;
}

bool PinToCpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

// What one thread's runs answered.
struct ThreadTally {
  bool pinned = false;
  uint32_t shared_released = 0, shared_not_found = 0;
  uint32_t full = 0, overflowed = 0;
  uint32_t odd_releases_short = 0;  // odd-key releases that did not find all 512
};

TEST(HeapTrackerHammerTest, TwoCpusLeaveExactCounts) {
  O2C_REQUIRE_KERNEL();
  ASSERT_GE(libbpf_num_possible_cpus(), 2) << "needs two CPUs";
  std::unique_ptr<heap_tracker_hammer_bpf, SkelDeleter> skel(heap_tracker_hammer_bpf__open());
  ASSERT_NE(skel, nullptr);
  auto sizes = SizeHeapTrackerMaps("hammer", skel->maps.tracked, skel->maps.tracked_counts,
                                   skel->maps.tracked_overflow, kCapacity);
  ASSERT_THAT(sizes, IsOk());
  ASSERT_GE(sizes->buckets, kBucketsUsed);
  skel->rodata->o2c_heap_bucket_mask = kBucketsUsed - 1;
  skel->rodata->o2c_heap_capacity = kCapacity;
  ASSERT_EQ(heap_tracker_hammer_bpf__load(skel.get()), 0);
  ASSERT_EQ(bpf_map__value_size(skel->maps.tracked), sizeof(Bucket));
  const int prog = bpf_program__fd(skel->progs.hammer);

  // The shared keys are tracked before the threads start; both release them.
  o2c_hammer_args setup = Hammer(prog, O2C_HAMMER_CLAIM, kShared, kStride, kKeys);
  ASSERT_EQ(setup.in_bucket + setup.in_overflow, kKeys);
  ASSERT_GT(setup.in_overflow, 0u) << "the overflow map must be used";

  std::atomic<int> ready{0};
  ThreadTally tally[2];
  auto work = [&](int t) {
    ThreadTally& mine = tally[t];
    mine.pinned = PinToCpu(t);
    ready.fetch_add(1);
    while (ready.load() < 2) {
    }
    // Overlapping: both CPUs release every shared key at once.
    o2c_hammer_args r = Hammer(prog, O2C_HAMMER_RELEASE, kShared, kStride, kKeys);
    mine.shared_released = r.released;
    mine.shared_not_found = r.not_found;
    // Disjoint keys in the same buckets: claim all, then churn the odd ones.
    r = Hammer(prog, O2C_HAMMER_CLAIM, kOwn[t], kStride, kKeys);
    mine.full += r.full;
    mine.overflowed += r.in_overflow;
    for (int round = 0; round < kRounds; ++round) {
      r = Hammer(prog, O2C_HAMMER_RELEASE, kOwn[t] + kStride, 2 * kStride, kKeys / 2);
      if (r.released != kKeys / 2) ++mine.odd_releases_short;
      if (round + 1 == kRounds) break;
      r = Hammer(prog, O2C_HAMMER_CLAIM, kOwn[t] + kStride, 2 * kStride, kKeys / 2);
      mine.full += r.full;
      mine.overflowed += r.in_overflow;
    }
  };
  std::thread cpu0(work, 0), cpu1(work, 1);
  cpu0.join();
  cpu1.join();

  for (int t = 0; t < 2; ++t) {
    EXPECT_TRUE(tally[t].pinned) << "thread " << t;
    EXPECT_EQ(tally[t].full, 0u) << "thread " << t;
    EXPECT_GT(tally[t].overflowed, 0u) << "thread " << t;
    EXPECT_EQ(tally[t].odd_releases_short, 0u) << "thread " << t;
    EXPECT_EQ(tally[t].shared_released + tally[t].shared_not_found, kKeys) << "thread " << t;
  }
  // Each shared key was released exactly once, by one CPU or the other.
  EXPECT_EQ(tally[0].shared_released + tally[1].shared_released, kKeys);

  // What must be left: the even keys of each thread's own set.
  std::set<uint64_t> expected;
  for (uint64_t base : kOwn) {
    for (uint32_t i = 0; i < kKeys; i += 2) expected.insert(base + i * kStride);
  }
  std::multiset<uint64_t> found;
  uint64_t in_buckets = 0;
  for (uint32_t b = 0; b < sizes->buckets; ++b) {
    Bucket bucket{};
    uint32_t count = 0;
    ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel->maps.tracked), &b, &bucket), 0);
    ASSERT_EQ(bpf_map_lookup_elem(bpf_map__fd(skel->maps.tracked_counts), &b, &count), 0);
    uint32_t occupied = 0;
    for (uint64_t key : bucket.key) {
      if (key == 0) continue;
      ++occupied;
      found.insert(key);
    }
    EXPECT_EQ(count, occupied) << "bucket " << b;
    in_buckets += occupied;
  }
  uint64_t in_overflow = 0;
  const int overflow = bpf_map__fd(skel->maps.tracked_overflow);
  uint64_t key = 0, next = 0;
  uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(overflow, prev, &next) == 0) {
    found.insert(next);
    ++in_overflow;
    key = next;
    prev = &key;
  }
  EXPECT_EQ(found.size(), expected.size());
  EXPECT_EQ(std::set<uint64_t>(found.begin(), found.end()), expected);
  for (uint64_t k : expected) EXPECT_EQ(found.count(k), 1u) << std::hex << k;
  EXPECT_EQ(skel->bss->o2c_heap_live, static_cast<int64_t>(expected.size()));
  EXPECT_EQ(skel->bss->o2c_heap_overflow_live, static_cast<int64_t>(in_overflow));
  EXPECT_EQ(in_buckets + in_overflow, expected.size());
  EXPECT_GT(in_overflow, 0u);
}

}  // namespace
}  // namespace o2c::bpf
