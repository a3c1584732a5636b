// Kernel tier: o2c::bpf::QuarantineGate on the pipe compartment. Where the
// kernel has BPF LSM (the VM tier's 6.1) the gate really refuses pipe I/O
// while quarantined; where it has not (this host's kernel) Attach must say so
// and leave nothing loaded.
#include "o2c/bpf/quarantine_gate_programs.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/select.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <functional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
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
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;


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
    static const auto* kallsyms = new absl::StatusOr<Kallsyms>(Kallsyms::FromFile());
    ASSERT_THAT(*kallsyms, IsOk());
    static const auto* ranges =
        new absl::StatusOr<std::vector<AddressRange>>(PipeFunctionRanges(**kallsyms));
    ASSERT_THAT(*ranges, IsOk());
    code_ = **ranges;
    has_ioctl_compat_ = (*kallsyms)->Find("bpf_lsm_file_ioctl_compat") != nullptr;
    state_.Reset(bpf_map_create(BPF_MAP_TYPE_ARRAY, "o2c_quarantine", sizeof(uint32_t),
                                sizeof(uint32_t), 1, nullptr));
    ASSERT_TRUE(state_.valid()) << std::strerror(errno);
  }

  // The attached gate; null where the kernel has no BPF LSM, after checking
  // that Attach then says it cannot deny (or on a failure, reported).
  std::unique_ptr<QuarantineGate> AttachWhereLsm() {
    auto gate = QuarantineGate::Attach(code_, state_.get(), *features_);
    if (!features_->Has(Capability::kLsm)) {
      EXPECT_THAT(gate, StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("lsm")));
      return nullptr;
    }
    EXPECT_THAT(gate, IsOk());
    return gate.ok() ? std::move(*gate) : nullptr;
  }

  // The gate's hooks on this kernel, in the object's order.
  std::vector<std::string> ExpectedHooks() const {
    std::vector<std::string> hooks = {"lsm/file_permission", "lsm/file_open", "lsm/file_ioctl"};
    if (has_ioctl_compat_) hooks.push_back("lsm/file_ioctl_compat");
    for (const char* hook : {"lsm/file_fcntl", "lsm/mmap_file", "lsm/file_receive"}) {
      hooks.push_back(hook);
    }
    return hooks;
  }

  const KernelCapabilities* features_ = nullptr;
  std::vector<AddressRange> code_;
  bool has_ioctl_compat_ = false;
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
  EXPECT_THAT((*gate)->Hooks(), ElementsAreArray(ExpectedHooks()));
  std::vector<uint32_t> ids = (*gate)->ProgramIds();
  EXPECT_EQ(ids.size(), ExpectedHooks().size());

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

// ---- One test per way into a pipe ----

// What one access did: "ok", the name of the errno it failed with, or
// "MSG_CTRUNC" for a descriptor the kernel dropped on receipt.
using Outcome = std::string;

Outcome OutcomeOf(ssize_t rc) { return rc >= 0 ? "ok" : strerrorname_np(errno); }

// The objects one access works on, made while the gate is open: a
// non-blocking pipe holding one byte, a second empty one, a memfd holding
// one byte, a FIFO, a unix socket with the first pipe's read end in flight,
// and a pidfd of this process.
struct Objects {
  ScopedFd pipe_r, pipe_w, pipe2_r, pipe2_w, memfd, sock_send, sock_recv, pidfd;
  std::string fifo;

  static Objects Make() {
    Objects o;
    int fds[2];
    EXPECT_EQ(pipe2(fds, O_NONBLOCK), 0) << std::strerror(errno);
    o.pipe_r.Reset(fds[0]);
    o.pipe_w.Reset(fds[1]);
    EXPECT_EQ(pipe2(fds, O_NONBLOCK), 0) << std::strerror(errno);
    o.pipe2_r.Reset(fds[0]);
    o.pipe2_w.Reset(fds[1]);
    char byte = 'x';
    EXPECT_EQ(write(o.pipe_w.get(), &byte, 1), 1);
    o.memfd.Reset(memfd_create("o2c_gate_way", 0));
    EXPECT_TRUE(o.memfd.valid()) << std::strerror(errno);
    EXPECT_EQ(pwrite(o.memfd.get(), &byte, 1, 0), 1);
    o.fifo = ::testing::TempDir() + "/quarantine_gate_way_fifo";
    unlink(o.fifo.c_str());
    EXPECT_EQ(mkfifo(o.fifo.c_str(), 0600), 0) << std::strerror(errno);
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0) << std::strerror(errno);
    o.sock_send.Reset(fds[0]);
    o.sock_recv.Reset(fds[1]);
    o.SendPipeReadEnd();
    o.pidfd.Reset(static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0)));
    EXPECT_TRUE(o.pidfd.valid()) << std::strerror(errno);
    return o;
  }

  ~Objects() {
    if (!fifo.empty()) unlink(fifo.c_str());
  }
  Objects() = default;
  Objects(Objects&&) = default;

  void SendPipeReadEnd();
};

// A one-byte unix socket message with room for one descriptor. Not copyable:
// `msg` points into it.
struct OneFdMessage {
  char byte = 'x';
  iovec iov = {&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg = {};

  OneFdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
  }
  OneFdMessage(const OneFdMessage&) = delete;
  OneFdMessage& operator=(const OneFdMessage&) = delete;
};

void Objects::SendPipeReadEnd() {
  OneFdMessage m;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = pipe_r.get();
  std::memcpy(CMSG_DATA(cmsg), &fd, sizeof(fd));
  EXPECT_EQ(sendmsg(sock_send.get(), &m.msg, 0), 1) << std::strerror(errno);
}

Outcome ReceiveDescriptor(Objects& o) {
  OneFdMessage m;
  if (recvmsg(o.sock_recv.get(), &m.msg, MSG_DONTWAIT) < 0) return OutcomeOf(-1);
  cmsghdr* cmsg = CMSG_FIRSTHDR(&m.msg);
  if (cmsg != nullptr && cmsg->cmsg_type == SCM_RIGHTS) {
    int fd;
    std::memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
    close(fd);
    return "ok";
  }
  return (m.msg.msg_flags & MSG_CTRUNC) ? "MSG_CTRUNC" : "no descriptor";
}

Outcome MapPipe(Objects& o) {
  void* p = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, o.pipe_r.get(), 0);
  if (p == MAP_FAILED) return OutcomeOf(-1);
  munmap(p, 4096);
  return "ok";
}

Outcome OpenPath(const std::string& path) {
  ScopedFd fd(open(path.c_str(), O_RDWR | O_NONBLOCK));
  return fd.valid() ? "ok" : OutcomeOf(-1);
}

Outcome EpollPipe(Objects& o) {
  ScopedFd ep(epoll_create1(0));
  if (!ep.valid()) return OutcomeOf(-1);
  epoll_event ev = {};
  ev.events = EPOLLIN;
  if (epoll_ctl(ep.get(), EPOLL_CTL_ADD, o.pipe_r.get(), &ev) != 0) return OutcomeOf(-1);
  int n = epoll_wait(ep.get(), &ev, 1, 0);
  return n == 1 ? "ok" : OutcomeOf(n < 0 ? -1 : 0) + " (not ready)";
}

Outcome SelectPipe(Objects& o) {
  fd_set readable;
  FD_ZERO(&readable);
  FD_SET(o.pipe_r.get(), &readable);
  timeval zero = {};
  int n = select(o.pipe_r.get() + 1, &readable, nullptr, nullptr, &zero);
  return n == 1 ? "ok" : OutcomeOf(n < 0 ? -1 : 0) + " (not ready)";
}

Outcome PollPipe(Objects& o) {
  pollfd p = {o.pipe_r.get(), POLLIN, 0};
  int n = poll(&p, 1, 0);
  return n == 1 ? "ok" : OutcomeOf(n < 0 ? -1 : 0) + " (not ready)";
}

// One way into a pipe, and what it gives while quarantined and while the
// gate is open (or gone). A way that is "ok" both times is one the gate
// cannot refuse: Uncovered() must say so under the same name.
struct Way {
  std::string name;
  std::function<Outcome(Objects&)> access;
  Outcome quarantined;
  Outcome open;
};

// gtest names a way by its name, not its bytes.
void PrintTo(const Way& way, std::ostream* os) { *os << way.name; }

std::vector<Way> Ways() {
  char byte = 'x';
  static char buffer[1];
  static iovec iov = {buffer, 1};
  return {
      {"read", [](Objects& o) { return OutcomeOf(read(o.pipe_r.get(), buffer, 1)); }, "EPERM",
       "ok"},
      {"write", [=](Objects& o) { return OutcomeOf(write(o.pipe_w.get(), &byte, 1)); }, "EPERM",
       "ok"},
      {"readv", [](Objects& o) { return OutcomeOf(readv(o.pipe_r.get(), &iov, 1)); }, "EPERM",
       "ok"},
      {"writev", [](Objects& o) { return OutcomeOf(writev(o.pipe_w.get(), &iov, 1)); }, "EPERM",
       "ok"},
      {"ioctl",
       [](Objects& o) {
         int n = 0;
         return OutcomeOf(ioctl(o.pipe_r.get(), FIONREAD, &n));
       },
       "EPERM", "ok"},
      {"fcntl", [](Objects& o) { return OutcomeOf(fcntl(o.pipe_r.get(), F_GETPIPE_SZ)); },
       "EPERM", "ok"},
      // Pipes cannot be mapped; the hook refuses before the kernel says so.
      {"mmap", MapPipe, "EPERM", "ENODEV"},
      {"open of a FIFO", [](Objects& o) { return OpenPath(o.fifo); }, "EPERM", "ok"},
      {"open of /proc/self/fd",
       [](Objects& o) { return OpenPath(absl::StrCat("/proc/self/fd/", o.pipe_r.get())); },
       "EPERM", "ok"},
      // A pipe cannot be read by sendfile; file_permission refuses first.
      {"sendfile from a pipe",
       [](Objects& o) { return OutcomeOf(sendfile(o.memfd.get(), o.pipe_r.get(), nullptr, 1)); },
       "EPERM", "EINVAL"},
      // The kernel refuses it for anything but regular files, before any hook.
      {"copy_file_range",
       [](Objects& o) {
         loff_t out = 0;
         return OutcomeOf(copy_file_range(o.pipe_r.get(), nullptr, o.memfd.get(), &out, 1, 0));
       },
       "EINVAL", "EINVAL"},
      {"SCM_RIGHTS receipt", ReceiveDescriptor, "MSG_CTRUNC", "ok"},
      {"pidfd_getfd",
       [](Objects& o) {
         ScopedFd fd(static_cast<int>(syscall(SYS_pidfd_getfd, o.pidfd.get(), o.pipe_r.get(), 0)));
         return fd.valid() ? Outcome("ok") : OutcomeOf(-1);
       },
       "EPERM", "ok"},
      {"poll", PollPipe, "ok", "ok"},
      {"select", SelectPipe, "ok", "ok"},
      {"epoll", EpollPipe, "ok", "ok"},
      {"splice from a pipe",
       [](Objects& o) {
         return OutcomeOf(splice(o.pipe_r.get(), nullptr, o.memfd.get(), nullptr, 1, 0));
       },
       "ok", "ok"},
      {"splice into a pipe",
       [](Objects& o) {
         loff_t in = 0;
         return OutcomeOf(splice(o.memfd.get(), &in, o.pipe2_w.get(), nullptr, 1, 0));
       },
       "ok", "ok"},
      {"splice between pipes",
       [](Objects& o) {
         return OutcomeOf(splice(o.pipe_r.get(), nullptr, o.pipe2_w.get(), nullptr, 1, 0));
       },
       "ok", "ok"},
      {"tee",
       [](Objects& o) { return OutcomeOf(tee(o.pipe_r.get(), o.pipe2_w.get(), 1, 0)); }, "ok",
       "ok"},
      {"vmsplice", [](Objects& o) { return OutcomeOf(vmsplice(o.pipe2_w.get(), &iov, 1, 0)); },
       "ok", "ok"},
      {"sendfile into a pipe",
       [](Objects& o) {
         off_t in = 0;
         return OutcomeOf(sendfile(o.pipe2_w.get(), o.memfd.get(), &in, 1));
       },
       "ok", "ok"},
  };
}

// Uncovered() entries no pipe can show: pipes have no mapping.
constexpr const char* kNotOnPipes[] = {"mapped pages"};

class QuarantineGateWayTest : public QuarantineGateTest,
                              public ::testing::WithParamInterface<Way> {};

TEST_P(QuarantineGateWayTest, RefusedWhileQuarantinedOrListedAsUncovered) {
  const Way& way = GetParam();
  {
    // Without a gate: the way's own outcome, on every kernel.
    Objects objects = Objects::Make();
    EXPECT_EQ(way.access(objects), way.open);
  }
  // Where nothing can deny, the gate says so and the way stays open.
  std::unique_ptr<QuarantineGate> gate = AttachWhereLsm();
  if (gate == nullptr) return;
  bool uncovered = way.quarantined == "ok";
  if (uncovered) {
    EXPECT_THAT(gate->Uncovered(), Contains(StartsWith(way.name + ":")));
  } else {
    EXPECT_THAT(gate->Uncovered(), Not(Contains(StartsWith(way.name + ":"))));
  }
  {
    // Attached, open gate: nothing changes and nothing is counted.
    Objects objects = Objects::Make();
    EXPECT_EQ(way.access(objects), way.open);
  }
  Outcome quarantined;
  {
    Objects objects = Objects::Make();
    SetState(state_.get(), 1);
    quarantined = way.access(objects);
    SetState(state_.get(), 0);
  }
  EXPECT_EQ(quarantined, way.quarantined);
  auto denials = gate->Denials();
  ASSERT_THAT(denials, IsOk());
  uint64_t refused = way.quarantined == way.open ? 0 : 1;
  // In the VM tier nothing else runs; elsewhere another process's pipe
  // access in the window is counted too.
  if (std::getenv("O2C_VM") != nullptr) {
    EXPECT_EQ(*denials, refused);
  } else {
    EXPECT_GE(*denials, refused);
  }

  // Detached: the same access works again although the state still says
  // quarantined.
  std::vector<uint32_t> ids = gate->ProgramIds();
  gate.reset();
  EXPECT_THAT(::o2c::testing::WaitUntilUnloaded(ids), IsEmpty());
  Objects objects = Objects::Make();
  SetState(state_.get(), 1);
  Outcome detached = way.access(objects);
  SetState(state_.get(), 0);
  EXPECT_EQ(detached, way.open);
}

// Every way Uncovered() names is one a test above shows still open, or one
// no pipe can take.
TEST_F(QuarantineGateTest, UncoveredNamesOnlyWaysShownOpen) {
  std::unique_ptr<QuarantineGate> gate = AttachWhereLsm();
  if (gate == nullptr) return;
  std::set<std::string> shown_open(std::begin(kNotOnPipes), std::end(kNotOnPipes));
  for (const Way& way : Ways()) {
    if (way.quarantined == "ok") shown_open.insert(way.name);
  }
  std::vector<std::string> uncovered = gate->Uncovered();
  ASSERT_EQ(uncovered.size(), shown_open.size());
  for (const std::string& entry : uncovered) {
    std::string name = entry.substr(0, entry.find(':'));
    EXPECT_TRUE(shown_open.count(name)) << entry;
  }
}

INSTANTIATE_TEST_SUITE_P(Ways, QuarantineGateWayTest, ::testing::ValuesIn(Ways()),
                         [](const ::testing::TestParamInfo<Way>& info) {
                           std::string name;
                           for (char c : info.param.name) name += std::isalnum(c) ? c : '_';
                           return name;
                         });

}  // namespace
}  // namespace o2c::bpf
