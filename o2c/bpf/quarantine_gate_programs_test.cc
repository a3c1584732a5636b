// Kernel tier: o2c::bpf::QuarantineGate on the pipe compartment. Where the
// kernel has BPF LSM (the VM tier's 6.1) the gate really refuses pipe I/O
// while quarantined; where it has not (this host's kernel) Attach must say so
// and leave nothing loaded.
#include "o2c/bpf/quarantine_gate_programs.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/testonly/pipe_functions.h"
#include "o2c/bpf/loader/scoped_fd.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::KernelPrograms;
using ::o2c::testing::Pipe;
using ::o2c::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;


// Names of the gate's programs loaded since `before` (other tests may load
// their own programs meanwhile).
std::vector<std::string> NewGatePrograms(const std::set<std::pair<uint32_t, std::string>>& before) {
  std::vector<std::string> names;
  for (const auto& p : KernelPrograms()) {
    if (!before.count(p) && absl::StartsWith(p.second, "gate_file")) names.push_back(p.second);
  }
  return names;
}

void SetState(int map_fd, uint32_t value) {
  uint32_t key = 0;
  ASSERT_EQ(bpf_map_update_elem(map_fd, &key, &value, BPF_ANY), 0) << std::strerror(errno);
}

// The errno of a failed call, or 0 if it succeeded.
int ErrnoOf(ssize_t rc) { return rc < 0 ? errno : 0; }

class QuarantineGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    // One probe per process: under the VM tier's TCG it takes seconds.
    static const KernelCapabilities* features = new KernelCapabilities(KernelCapabilities::Probe());
    features_ = features;
    static const auto* ranges = new absl::StatusOr<std::vector<AddressRange>>(
        [&]() -> absl::StatusOr<std::vector<AddressRange>> {
          auto kallsyms = Kallsyms::FromFile();
          if (!kallsyms.ok()) return kallsyms.status();
          return PipeFunctionRanges(*kallsyms);
        }());
    ASSERT_THAT(*ranges, IsOk());
    code_ = **ranges;
    state_.Reset(bpf_map_create(BPF_MAP_TYPE_ARRAY, "o2c_quarantine", sizeof(uint32_t),
                                sizeof(uint32_t), 1, nullptr));
    ASSERT_TRUE(state_.valid()) << std::strerror(errno);
  }

  const KernelCapabilities* features_ = nullptr;
  std::vector<AddressRange> code_;
  ScopedFd state_;
};

TEST_F(QuarantineGateTest, RefusedWithoutLsmLeavingNothingLoaded) {
  if (features_->Has(Capability::kLsm)) {
    // Only a kernel without BPF LSM can show the refusal; the VM tier's test
    // of the gate itself runs below.
    EXPECT_TRUE(features_->Get(Capability::kLsm).works);
    return;
  }
  auto before = KernelPrograms();
  EXPECT_THAT(QuarantineGate::Attach(code_, state_.get(), *features_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lsm")));
  EXPECT_THAT(NewGatePrograms(before), IsEmpty());
}

TEST_F(QuarantineGateTest, DeniesPipeAccessOnlyWhileQuarantined) {
  if (!features_->Has(Capability::kLsm)) {
    // Nothing can deny here; the refusal is checked above.
    EXPECT_THAT(QuarantineGate::Attach(code_, state_.get(), *features_),
                StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lsm")));
    return;
  }
  auto before = KernelPrograms();
  auto gate = QuarantineGate::Attach(code_, state_.get(), *features_);
  ASSERT_THAT(gate, IsOk());
  EXPECT_THAT((*gate)->Hooks(),
              ElementsAre("lsm/file_permission", "lsm/file_open", "lsm/file_ioctl"));
  std::vector<uint32_t> ids = (*gate)->ProgramIds();
  EXPECT_EQ(ids.size(), 3u);

  Pipe pipe = ::o2c::testing::OpenPipes(1)[0];
  char byte = 'x';
  // Open gate: pipe I/O works and nothing is counted.
  ASSERT_EQ(write(pipe.fds[1], &byte, 1), 1);
  ASSERT_EQ(read(pipe.fds[0], &byte, 1), 1);
  auto denials = (*gate)->Denials();
  ASSERT_THAT(denials, IsOk());
  EXPECT_EQ(*denials, 0u);

  std::string fifo = ::testing::TempDir() + "/quarantine_gate_fifo";
  unlink(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  ScopedFd memfd(memfd_create("o2c_gate", 0));
  ASSERT_TRUE(memfd.valid());

  // Quarantined: every pipe access is refused, everything else is not. The
  // gate refuses system-wide, so the window is short and checked afterwards.
  SetState(state_.get(), 1);
  int write_err = ErrnoOf(write(pipe.fds[1], &byte, 1));
  int read_err = ErrnoOf(read(pipe.fds[0], &byte, 1));
  int nread = 0;
  int ioctl_err = ErrnoOf(ioctl(pipe.fds[0], FIONREAD, &nread));
  ScopedFd fifo_fd(open(fifo.c_str(), O_RDWR | O_NONBLOCK));
  int fifo_err = fifo_fd.valid() ? 0 : errno;
  ssize_t memfd_written = write(memfd.get(), &byte, 1);
  ScopedFd null_fd(open("/dev/null", O_WRONLY));
  ssize_t null_written = null_fd.valid() ? write(null_fd.get(), &byte, 1) : -1;
  SetState(state_.get(), 0);

  EXPECT_EQ(write_err, EPERM);
  EXPECT_EQ(read_err, EPERM);
  EXPECT_EQ(ioctl_err, EPERM);
  EXPECT_EQ(fifo_err, EPERM);
  EXPECT_EQ(memfd_written, 1);
  EXPECT_EQ(null_written, 1);
  denials = (*gate)->Denials();
  ASSERT_THAT(denials, IsOk());
  // Four refusals of ours. The gate refuses system-wide: on a busy host
  // another process's pipe access in the window is counted too; in the VM
  // tier nothing else runs.
  if (std::getenv("O2C_VM") != nullptr) {
    EXPECT_EQ(*denials, 4u);
  } else {
    EXPECT_GE(*denials, 4u);
  }
  RecordProperty("denials", static_cast<int>(*denials));
  uint64_t quarantined = *denials;

  // Open again: pipe I/O and FIFO opens work, and no more are counted.
  EXPECT_EQ(write(pipe.fds[1], &byte, 1), 1);
  EXPECT_EQ(read(pipe.fds[0], &byte, 1), 1);
  fifo_fd.Reset(open(fifo.c_str(), O_RDWR | O_NONBLOCK));
  EXPECT_TRUE(fifo_fd.valid()) << std::strerror(errno);
  denials = (*gate)->Denials();
  ASSERT_THAT(denials, IsOk());
  EXPECT_EQ(*denials, quarantined);

  // Destroyed: nothing stays loaded and a set state denies nothing.
  gate->reset();
  EXPECT_THAT(::o2c::testing::WaitUntilUnloaded(ids), IsEmpty());
  EXPECT_THAT(NewGatePrograms(before), IsEmpty());
  SetState(state_.get(), 1);
  int after_err = ErrnoOf(write(pipe.fds[1], &byte, 1));
  SetState(state_.get(), 0);
  EXPECT_EQ(after_err, 0);
  pipe.Close();
  fifo_fd.Reset();
  unlink(fifo.c_str());
}

TEST_F(QuarantineGateTest, BadInputsLeaveNothingLoaded) {
  auto before = KernelPrograms();
  // libbpf would adopt a state map of another shape: the gate refuses it.
  ScopedFd wide(bpf_map_create(BPF_MAP_TYPE_ARRAY, "o2c_wide", sizeof(uint32_t), sizeof(uint64_t),
                               1, nullptr));
  ASSERT_TRUE(wide.valid());
  EXPECT_THAT(QuarantineGate::Attach(code_, wide.get(), *features_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("value 8 B")));
  if (features_->Has(Capability::kLsm)) {  // else refused before the ranges are read
    std::vector<AddressRange> many;
    for (uint64_t i = 0; i < 300; ++i) {
      many.push_back({0x1000 * (i + 1), 0x1000 * (i + 1) + 16});
    }
    EXPECT_THAT(QuarantineGate::Attach(many, state_.get(), *features_),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("quarantine gate code")));
  }
  EXPECT_THAT(NewGatePrograms(before), IsEmpty());
}

}  // namespace
}  // namespace o2c::bpf
