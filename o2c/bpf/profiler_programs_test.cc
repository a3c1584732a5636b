// Kernel tier: the profiler on fs/pipe.c with this process's pipes, in both
// hook flavours: pipes opened while attached are positives, with the
// extractor's features; pipes opened before are neither class; the rest of
// the kernel gives negatives at the sampling rate; sizes and caches come from
// the objects' slabs (the kfunc on newer kernels, the walk on older ones).
#include "o2c/bpf/profiler_programs.h"

#include <bpf/btf.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "o2c/bpf/loader/slab_lookup.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/testonly/pipe_functions.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

// sizeof(struct `name`) from the kernel's BTF, or -1.
int64_t KernelStructSize(const char* name) {
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return -1;
  int id = btf__find_by_name_kind(vmlinux, name, BTF_KIND_STRUCT);
  int64_t size = id < 0 ? -1 : btf__resolve_size(vmlinux, id);
  btf__free(vmlinux);
  return size;
}

// The kmalloc size class that holds `bytes`, from the kernel's own list of
// kmalloc caches in /proc/slabinfo (their object sizes); -1 if none.
int64_t KmallocClassFor(int64_t bytes) {
  std::ifstream slabinfo("/proc/slabinfo");
  std::string line;
  int64_t best = -1;
  while (std::getline(slabinfo, line)) {
    std::istringstream fields(line);
    std::string name;
    int64_t active, total, size;
    if (!(fields >> name >> active >> total >> size)) continue;
    if (!absl::StartsWith(name, "kmalloc-")) continue;
    if (size >= bytes && (best < 0 || size < best)) best = size;
  }
  return best;
}

class ProfilerProgramsTest : public ::testing::TestWithParam<KmemHookFlavor> {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    static const KernelCapabilities* features = new KernelCapabilities(KernelCapabilities::Probe());
    const Capability needed = GetParam() == KmemHookFlavor::kTpBtf ? Capability::kTpBtf
                                                                : Capability::kRawTp;
    // Where the kernel lacks this flavour (tp_btf on 6.1 cannot read the
    // object pointer), the tests check that loading it is refused instead.
    missing_ = !features->Has(needed);
    auto kallsyms = Kallsyms::FromFile();
    ASSERT_THAT(kallsyms, IsOk());
    ASSERT_THAT(UsePipeFunctions(*kallsyms, config_), IsOk());
    config_.flavor = GetParam();
  }

  // On a kernel without this flavour: expects Load to be refused by the
  // kernel, naming the load, and returns true.
  bool RefusedWhereMissing() {
    if (!missing_) return false;
    EXPECT_THAT(ProfilerPrograms::Load(config_),
                StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("profiler: load")));
    return true;
  }

  ProfilerConfig config_;
  bool missing_ = false;
};

// Also: the size and cache the extractor reports come from the object's
// slab, whatever frees it: a pipe's two objects, kfree'd by pipe.c, have
// their kmalloc classes' sizes; every object kmem_cache_free frees is in a
// slab.
TEST_P(ProfilerProgramsTest, NewPipesArePositivesOldPipesAreNeither) {
  if (RefusedWhereMissing()) return;
  const SlabLookup& lookup = RunningKernelSlabLookup();
  std::cout << "slab lookup: " << SlabLookupName(lookup.method) << " (" << lookup.why << ")\n";
  ASSERT_NE(lookup.method, O2C_SLAB_LOOKUP_NONE) << lookup.why;
  const int64_t pipe_info = KernelStructSize("pipe_inode_info");
  const int64_t pipe_buffer = KernelStructSize("pipe_buffer");
  ASSERT_GT(pipe_info, 0);
  ASSERT_GT(pipe_buffer, 0);
  // alloc_pipe_info: the pipe_inode_info and an array of PIPE_DEF_BUFFERS.
  const std::set<int64_t> pipe_sizes = {KmallocClassFor(pipe_info),
                                        KmallocClassFor(16 * pipe_buffer)};
  ASSERT_FALSE(pipe_sizes.count(-1)) << "no kmalloc cache in /proc/slabinfo";
  config_.negative_rate = 1;  // every outside free
  auto profiler = ProfilerPrograms::Load(config_);
  ASSERT_THAT(profiler, IsOk());
  std::vector<int> old_fds(2 * 10);
  for (int i = 0; i < 10; ++i) ASSERT_EQ(pipe(&old_fds[2 * i]), 0);
  ASSERT_THAT((*profiler)->Attach(), IsOk());
  for (int i = 0; i < 10; ++i) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    close(fds[0]);
    close(fds[1]);
  }
  for (int fd : old_fds) close(fd);
  (*profiler)->Detach();

  std::vector<o2c_sample> samples;
  for (;;) {
    auto n = (*profiler)->PollSamples(0, [&](const o2c_sample& s) { samples.push_back(s); });
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
  auto stats = (*profiler)->ReadStats();
  ASSERT_THAT(stats, IsOk());
  // Each pipe is two slab objects allocated and freed by pipe.c; other
  // processes' pipes may add more.
  EXPECT_GE((*stats)[O2C_PSTAT_POSITIVES], 20u);
  EXPECT_GE((*stats)[O2C_PSTAT_UNTRACKED_AT_SITE], 20u);  // the old pipes
  EXPECT_GT((*stats)[O2C_PSTAT_NEGATIVES], 0u);
  EXPECT_EQ((*stats)[O2C_PSTAT_NEGATIVES_SKIPPED], 0u);
  EXPECT_EQ((*stats)[O2C_PSTAT_SAMPLES_LOST], 0u);
  EXPECT_EQ(samples.size(),
            (*stats)[O2C_PSTAT_POSITIVES] + (*stats)[O2C_PSTAT_NEGATIVES]);
  int own = 0, cache_frees = 0;
  for (const o2c_sample& s : samples) {
    const int64_t size = s.features[O2C_F_SIZE];
    const int64_t kind = s.features[O2C_F_CACHE_KIND];
    EXPECT_EQ(size == -1, kind == O2C_CACHE_NONE) << "size " << size << ", kind " << kind;
    if (s.hook == 1) {
      ++cache_frees;
      EXPECT_GT(size, 0) << "kmem_cache_free of an object in no slab, at " << std::hex << s.site;
    }
    if (s.label != O2C_LABEL_OWN) continue;
    ++own;
    EXPECT_EQ(s.hook, 0u) << "pipe.c kfrees its objects";
    EXPECT_TRUE(pipe_sizes.count(size)) << "size " << size << " is neither pipe object's class ("
                                        << *pipe_sizes.begin() << ", " << *pipe_sizes.rbegin()
                                        << ")";
    EXPECT_EQ(kind, O2C_CACHE_KMALLOC);
    EXPECT_NE(s.alloc_site, 0u);
    int counted = 0;
    for (int c = 0; c < O2C_WORD_CLASSES; ++c) counted += s.features[O2C_F_NR_NULL + c];
    EXPECT_EQ(counted, O2C_FEATURE_WORDS);
    EXPECT_EQ(s.has_raw, 0u);
  }
  EXPECT_GE(own, 20);
  EXPECT_GT(cache_frees, 0) << "no kmem_cache_free among " << samples.size() << " samples";
}

TEST_P(ProfilerProgramsTest, RefusesABadRingBufferSize) {
  config_.ringbuf_bytes = 5000;
  EXPECT_THAT(ProfilerPrograms::Load(config_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ring buffer of 5000")));
}

INSTANTIATE_TEST_SUITE_P(Flavors, ProfilerProgramsTest,
                         ::testing::Values(KmemHookFlavor::kTpBtf, KmemHookFlavor::kRawTp),
                         [](const auto& info) {
                           return std::string(KmemHookFlavorName(info.param));
                         });

}  // namespace
}  // namespace o2c::bpf
