// KernelCapabilities: what BPF can do on the running kernel, found out by really
// loading (and where it matters attaching) tiny programs, never by comparing
// version numbers. Each refusal keeps its errno and a short reason.
#ifndef O2C_BPF_KERNEL_CAPABILITIES_H_
#define O2C_BPF_KERNEL_CAPABILITIES_H_

#include <initializer_list>
#include <string>
#include <vector>

namespace o2c::bpf {

enum class Capability {
  kTpBtf,            // tp_btf on kmalloc/kfree, reading the object pointer
  kRawTp,            // raw_tp (BPF_PROG_TYPE_RAW_TRACEPOINT)
  kTracepoint,       // classic perf tracepoints (needs tracefs for the ids)
  kFentry,           // fentry on a kernel function
  kFexit,            // fexit on a kernel function
  kFmodRet,          // fmod_ret on security_* (can change a return value)
  kKprobe,           // kprobe at a function's entry
  kKprobeOffset,     // kprobe at function+offset
  kLsm,              // BPF LSM (can deny)
  kUprobe,           // uprobe on a user binary
  kSyscallTestRun,   // BPF_PROG_TYPE_SYSCALL run with BPF_PROG_TEST_RUN
  kRingbuf,          // BPF ring buffer
  kSendSignal,       // bpf_send_signal from a tracing program
  kTaskStorage,      // task-local storage maps
  kKmemCacheKfunc,   // the bpf_get_kmem_cache kfunc (an address's slab cache)
  kCount,            // not a capability: how many there are
};

// Every capability, in the order `o2c probe` prints them (the enum's order).
const std::vector<Capability>& AllCapabilities();
// A short stable name ("tp_btf", "fmod_ret", ...); "?" for kCount.
const char* CapabilityName(Capability feature);

// The outcome of one probe.
struct CapabilityResult {
  Capability feature;
  bool works = false;
  int error = 0;       // errno of the refusal (0 when it works)
  std::string detail;  // what was tried, and why it failed
};

// Probes one capability on the running kernel (as KernelCapabilities::Probe
// does for all); libbpf's messages are the caller's to silence.
CapabilityResult ProbeCapability(Capability feature);

// The running kernel's release, as uname(2) gives it ("" if it fails).
std::string RunningKernelRelease();

class KernelCapabilities {
 public:
  // Probes every feature on the running kernel. Needs root; without it every
  // feature reads as refused with EPERM. Mounts tracefs on a temporary
  // directory (and unmounts it) if it is not mounted, to learn whether classic
  // tracepoints work once it is.
  static KernelCapabilities Probe();

  // A copy in which `features` read as refused (errno EPERM, detail `why`):
  // what O2C does on a kernel without them, e.g. to force a fallback.
  KernelCapabilities Without(std::initializer_list<Capability> features, const std::string& why) const;

  bool Has(Capability feature) const;
  const CapabilityResult& Get(Capability feature) const;
  const std::vector<CapabilityResult>& results() const { return results_; }

  std::string kernel_release() const { return kernel_release_; }
  // Where tracefs is mounted, or "" if nowhere.
  std::string tracefs_path() const { return tracefs_path_; }

  // A table for humans: one row per feature, with errno names of refusals,
  // followed by what the refusals mean for enforcement on this kernel.
  std::string FormatTable() const;

 private:
  std::vector<CapabilityResult> results_;
  std::string kernel_release_;
  std::string tracefs_path_;
};

}  // namespace o2c::bpf

#endif  // O2C_BPF_KERNEL_CAPABILITIES_H_
