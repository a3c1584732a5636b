// Kernel tier: probing the running kernel's BPF capabilities. No kernel is
// named here: each answer is checked against evidence the kernel gives
// independently of loading programs (its PMUs, its BTF, its active LSMs, its
// mounts), so the test holds on any kernel and fails when a probe lies.
#include "o2c/bpf/kernel/capabilities.h"

#include <stdlib.h>
#include <sys/mount.h>
#include <sys/utsname.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>
#include <string>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/internal/file_util.h"
#include "testing/kernel_test.h"

namespace o2c::bpf {
namespace {

using ::testing::HasSubstr;

bool Exists(const std::string& path) {
  std::error_code ignored;
  return std::filesystem::exists(path, ignored);
}

// The mount point of the first `fstype` in /proc/mounts, "" if none.
std::string MountPointOf(const std::string& fstype) {
  absl::StatusOr<std::string> mounts = internal::ReadFileBytes("/proc/mounts");
  EXPECT_TRUE(mounts.ok()) << mounts.status();
  if (!mounts.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*mounts, '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 2 && fields[2] == fstype) return fields[1];
  }
  return "";
}

// The kernel's active LSMs (securityfs "lsm"), mounting securityfs on a
// temporary directory when it is not mounted. Empty when the kernel has no
// securityfs at all (then it has no LSM a BPF program could join either).
std::set<std::string> ActiveLsms() {
  std::string root = MountPointOf("securityfs");
  std::string temp_mount;
  if (root.empty()) {
    std::string dir = ::testing::TempDir() + "securityfs-XXXXXX";
    EXPECT_NE(mkdtemp(dir.data()), nullptr) << dir << ": " << std::strerror(errno);
    if (mount("none", dir.c_str(), "securityfs", 0, nullptr) != 0) {
      EXPECT_EQ(errno, ENODEV) << "mounting securityfs: " << std::strerror(errno);
      return {};
    }
    root = temp_mount = dir;
  }
  absl::Cleanup unmount = [&temp_mount] {
    if (!temp_mount.empty()) umount(temp_mount.c_str());
  };
  absl::StatusOr<std::string> lsm = internal::ReadFileBytes(root + "/lsm");
  EXPECT_TRUE(lsm.ok()) << lsm.status();
  if (!lsm.ok()) return {};
  return absl::StrSplit(absl::StripAsciiWhitespace(*lsm), ',');
}

class KernelCapabilitiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    // Probed once for the suite: every test reads the same answers.
    static const KernelCapabilities* const probed = [] {
      auto* k = new KernelCapabilities(KernelCapabilities::Probe());
      std::cout << k->FormatTable();
      return k;
    }();
    k_ = *probed;
  }

  // "name: detail", for failure messages.
  std::string Why(Capability c) const {
    return absl::StrCat(CapabilityName(c), ": ", k_.Get(c).detail);
  }

  KernelCapabilities k_;
};

TEST_F(KernelCapabilitiesTest, ProbesEveryCapabilityInOrderWithAReason) {
  const std::vector<Capability>& all = AllCapabilities();
  ASSERT_EQ(all.size(), static_cast<size_t>(Capability::kCount));
  ASSERT_EQ(k_.results().size(), all.size());
  std::set<std::string> names;
  for (size_t i = 0; i < all.size(); ++i) {
    const CapabilityResult& r = k_.results()[i];
    EXPECT_EQ(r.feature, all[i]) << "row " << i;
    EXPECT_NE(std::string(CapabilityName(r.feature)), "?") << "row " << i;
    EXPECT_TRUE(names.insert(CapabilityName(r.feature)).second)
        << "name used twice: " << CapabilityName(r.feature);
    EXPECT_FALSE(r.detail.empty()) << CapabilityName(r.feature);
    if (r.works) {
      EXPECT_EQ(r.error, 0) << Why(r.feature);
    } else {
      EXPECT_NE(r.error, 0) << Why(r.feature);
    }
  }
  // Every kernel O2C supports has these; the tracking programs need them.
  for (Capability needed : {Capability::kRawTp, Capability::kRingbuf, Capability::kSendSignal,
                            Capability::kSyscallTestRun}) {
    EXPECT_TRUE(k_.Has(needed)) << Why(needed);
  }
  utsname uts = {};
  ASSERT_EQ(uname(&uts), 0);
  EXPECT_EQ(k_.kernel_release(), uts.release);
}

// kprobes work exactly where the kernel registers the kprobe PMU (vfs_read
// is never on the kprobe blacklist); without it both read as ENOENT.
TEST_F(KernelCapabilitiesTest, KprobesWorkExactlyWhereTheKprobePmuExists) {
  const bool pmu = Exists("/sys/bus/event_source/devices/kprobe");
  EXPECT_EQ(k_.Has(Capability::kKprobe), pmu) << Why(Capability::kKprobe);
  if (!pmu) {
    for (Capability c : {Capability::kKprobe, Capability::kKprobeOffset}) {
      EXPECT_EQ(k_.Get(c).error, ENOENT) << Why(c);
      EXPECT_THAT(k_.Get(c).detail, HasSubstr("no kprobe PMU")) << Why(c);
    }
  }
  if (k_.Has(Capability::kKprobeOffset)) {
    EXPECT_TRUE(k_.Has(Capability::kKprobe)) << Why(Capability::kKprobe);
  }
}

TEST_F(KernelCapabilitiesTest, UprobesNeedTheUprobePmu) {
  if (!Exists("/sys/bus/event_source/devices/uprobe")) {
    EXPECT_EQ(k_.Get(Capability::kUprobe).error, ENOENT) << Why(Capability::kUprobe);
  } else {
    EXPECT_NE(k_.Get(Capability::kUprobe).error, ENOENT) << Why(Capability::kUprobe);
  }
}

// fentry, fexit, fmod_ret and BPF LSM programs all attach through a BPF
// trampoline on a BTF-described function: none works without the kernel's
// BTF, and entry and exit trampolines stand or fall together.
TEST_F(KernelCapabilitiesTest, TrampolineProgramsAgreeWithEachOtherAndTheBtf) {
  const std::vector<Capability> trampolines = {Capability::kTpBtf, Capability::kFentry,
                                               Capability::kFexit, Capability::kFmodRet,
                                               Capability::kLsm};
  if (!Exists("/sys/kernel/btf/vmlinux")) {
    for (Capability c : trampolines) EXPECT_FALSE(k_.Has(c)) << Why(c);
  }
  EXPECT_EQ(k_.Has(Capability::kFentry), k_.Has(Capability::kFexit))
      << Why(Capability::kFentry) << "\n" << Why(Capability::kFexit);
  if (!k_.Has(Capability::kFentry)) {
    EXPECT_EQ(k_.Get(Capability::kFexit).error, k_.Get(Capability::kFentry).error)
        << Why(Capability::kFentry) << "\n" << Why(Capability::kFexit);
  }
  if (k_.Has(Capability::kFmodRet)) {
    EXPECT_TRUE(k_.Has(Capability::kFentry)) << Why(Capability::kFentry);
  }
}

// The kfunc is callable exactly where the kernel's BTF names it (the
// kernel's own symbol table agrees: it is a real function there).
TEST_F(KernelCapabilitiesTest, KmemCacheKfuncWorksExactlyWhereTheKernelHasIt) {
  absl::StatusOr<std::string> btf = internal::ReadFileBytes("/sys/kernel/btf/vmlinux");
  const bool in_btf = btf.ok() && absl::StrContains(*btf, std::string("bpf_get_kmem_cache") + '\0');
  EXPECT_EQ(k_.Has(Capability::kKmemCacheKfunc), in_btf) << Why(Capability::kKmemCacheKfunc);
  if (!in_btf) {
    EXPECT_THAT(k_.Get(Capability::kKmemCacheKfunc).detail, HasSubstr("bpf_get_kmem_cache"));
  }
}

// A BPF LSM program attaches where "bpf" is an active LSM and trampolines
// work, and nowhere else.
TEST_F(KernelCapabilitiesTest, BpfLsmWorksExactlyWhereBpfIsAnActiveLsmWithTrampolines) {
  std::set<std::string> lsms = ActiveLsms();
  std::cout << "active LSMs: " << absl::StrJoin(lsms, ",") << "\n";
  EXPECT_EQ(k_.Has(Capability::kLsm), lsms.count("bpf") == 1 && k_.Has(Capability::kFentry))
      << Why(Capability::kLsm) << "\n" << Why(Capability::kFentry);
}

// The reported tracefs is the one /proc/mounts lists; a classic tracepoint
// that works has its id there, or is told to need a mount; and the probe's
// own temporary mount is gone afterwards.
TEST_F(KernelCapabilitiesTest, TracefsIsWhereProcMountsSaysAndTheTemporaryMountIsGone) {
  const std::string tracefs = MountPointOf("tracefs");
  EXPECT_EQ(k_.tracefs_path(), tracefs);
  if (k_.Has(Capability::kTracepoint)) {
    if (tracefs.empty()) {
      EXPECT_THAT(k_.Get(Capability::kTracepoint).detail, HasSubstr("tracefs is NOT mounted"));
    } else {
      EXPECT_TRUE(Exists(tracefs + "/events/kmem/kfree/id")) << tracefs;
    }
  }
  absl::StatusOr<std::string> mounts = internal::ReadFileBytes("/proc/mounts");
  ASSERT_TRUE(mounts.ok()) << mounts.status();
  EXPECT_THAT(*mounts, ::testing::Not(HasSubstr("o2c-tracefs-")));
}

TEST_F(KernelCapabilitiesTest, WithoutRefusesOnlyWhatItNames) {
  KernelCapabilities without = k_.Without({Capability::kLsm}, "disabled by the test");
  EXPECT_FALSE(without.Has(Capability::kLsm));
  EXPECT_EQ(without.Get(Capability::kLsm).error, EPERM);
  EXPECT_EQ(without.Get(Capability::kLsm).detail, "disabled by the test");
  for (Capability c : AllCapabilities()) {
    if (c != Capability::kLsm) EXPECT_EQ(without.Has(c), k_.Has(c)) << CapabilityName(c);
  }
}

}  // namespace
}  // namespace o2c::bpf
