#include "o2c/bpf/kernel_features.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "o2c/bpf/insn.h"
#include "o2c/bpf/program_loader.h"
#include "o2c/bpf/scoped_fd.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT: instruction factories read best unqualified

// The kernel functions the probes hook. They exist on every kernel O2C
// supports (5.15+ with BTF); a missing one reads as ENOENT with its name.
constexpr char kTracedFunction[] = "vfs_read";
constexpr char kSecurityFunction[] = "security_file_open";
constexpr char kLsmHook[] = "file_open";
constexpr char kTracepoint[] = "kfree";

FeatureResult Works(Feature f, std::string detail) {
  return FeatureResult{f, true, 0, std::move(detail)};
}

FeatureResult Refused(Feature f, int error, std::string detail) {
  return FeatureResult{f, false, error,
                       absl::StrCat(detail, ": ", strerrorname_np(error) ? strerrorname_np(error) : "?",
                                    " (", std::strerror(error), ")")};
}

// Load failure -> refusal; the loader's message already names the program.
FeatureResult FromStatus(Feature f, const absl::Status& status) {
  int error = StatusErrno(status);
  return FeatureResult{f, false, error == 0 ? EINVAL : error, std::string(status.message())};
}

std::vector<bpf_insn> ReturnZero() { return {Mov64Imm(R0, 0), Exit()}; }

absl::StatusOr<ScopedFd> Load(const char* name, bpf_prog_type type,
                              std::vector<bpf_insn> insns,
                              bpf_attach_type attach = static_cast<bpf_attach_type>(0),
                              uint32_t btf_id = 0, uint32_t flags = 0) {
  RawProgram program;
  program.name = name;
  program.type = type;
  program.expected_attach_type = attach;
  program.attach_btf_id = btf_id;
  program.prog_flags = flags;
  program.insns = std::move(insns);
  return LoadRawProgram(program);
}

// A tracing program (tp_btf, fentry, fexit, fmod_ret, lsm) on `target`:
// resolve its BTF id, load, attach through bpf_raw_tracepoint_open.
FeatureResult ProbeTracing(Feature f, const char* what, const char* target,
                           bpf_prog_type type, bpf_attach_type attach,
                           std::vector<bpf_insn> insns) {
  int btf_id = libbpf_find_vmlinux_btf_id(target, attach);
  if (btf_id < 0) {
    return Refused(f, -btf_id, absl::StrCat(what, ": no BTF id for '", target, "'"));
  }
  auto prog = Load(FeatureName(f), type, std::move(insns), attach, btf_id);
  if (!prog.ok()) return FromStatus(f, prog.status());
  ScopedFd link(bpf_raw_tracepoint_open(nullptr, prog->get()));
  if (!link.valid()) return Refused(f, errno, absl::StrCat(what, ": attach"));
  return Works(f, absl::StrCat(what, " loaded and attached"));
}

// Reads a one-number sysfs/tracefs file.
bool ReadNumber(const std::string& path, long* value) {
  std::ifstream in(path);
  return static_cast<bool>(in >> *value);
}

int PerfEventOpen(perf_event_attr* attr, int cpu) {
  return static_cast<int>(
      syscall(__NR_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

// Opens a kprobe or uprobe perf event through its dynamic PMU and attaches
// `prog` to it.
FeatureResult AttachPmuProbe(Feature f, const char* pmu, const std::string& target,
                             uint64_t offset, int prog_fd, const std::string& what) {
  long type = 0;
  std::string type_path = absl::StrCat("/sys/bus/event_source/devices/", pmu, "/type");
  if (!ReadNumber(type_path, &type)) {
    return Refused(f, ENOENT, absl::StrCat(what, ": no ", pmu, " PMU (", type_path, ")"));
  }
  perf_event_attr attr = {};
  attr.size = sizeof(attr);
  attr.type = static_cast<uint32_t>(type);
  attr.config1 = reinterpret_cast<uint64_t>(target.c_str());
  attr.config2 = offset;
  ScopedFd event(PerfEventOpen(&attr, 0));
  if (!event.valid()) return Refused(f, errno, absl::StrCat(what, ": perf_event_open"));
  if (ioctl(event.get(), PERF_EVENT_IOC_SET_BPF, prog_fd) != 0) {
    return Refused(f, errno, absl::StrCat(what, ": PERF_EVENT_IOC_SET_BPF"));
  }
  return Works(f, absl::StrCat(what, " attached"));
}

FeatureResult ProbeTpBtf() {
  // r2 = ctx[1]: the freed pointer. Older kernels refuse to read a
  // `const void *` tracepoint argument here; raw_tp is the fallback there.
  return ProbeTracing(Feature::kTpBtf, "tp_btf/kfree reading ptr", kTracepoint,
                      BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
                      {LdxMem(BPF_DW, R2, R1, 8), Mov64Imm(R0, 0), Exit()});
}

FeatureResult ProbeRawTp() {
  auto prog = Load("raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT,
                   {LdxMem(BPF_DW, R2, R1, 8), Mov64Imm(R0, 0), Exit()});
  if (!prog.ok()) return FromStatus(Feature::kRawTp, prog.status());
  ScopedFd link(bpf_raw_tracepoint_open(kTracepoint, prog->get()));
  if (!link.valid()) return Refused(Feature::kRawTp, errno, "raw_tp/kfree: attach");
  return Works(Feature::kRawTp, "raw_tp/kfree loaded and attached");
}

// Where tracefs is mounted, from /proc/mounts; "" if nowhere.
std::string FindTracefs() {
  std::ifstream mounts("/proc/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 2 && fields[2] == "tracefs") return fields[1];
  }
  return "";
}

FeatureResult ProbeTracepoint(const std::string& tracefs) {
  const Feature f = Feature::kTracepoint;
  std::string root = tracefs;
  std::string temp_mount;
  if (root.empty()) {
    char dir[] = "/tmp/o2c-tracefs-XXXXXX";
    if (mkdtemp(dir) == nullptr) return Refused(f, errno, "tracefs: mkdtemp");
    if (mount("none", dir, "tracefs", 0, nullptr) != 0) {
      int e = errno;
      rmdir(dir);
      return Refused(f, e, "tracefs not mounted, and mounting it failed");
    }
    root = temp_mount = dir;
  }
  auto cleanup = [&] {
    if (!temp_mount.empty()) {
      umount(temp_mount.c_str());
      rmdir(temp_mount.c_str());
    }
  };
  long id = 0;
  std::string id_path = absl::StrCat(root, "/events/kmem/", kTracepoint, "/id");
  if (!ReadNumber(id_path, &id)) {
    cleanup();
    return Refused(f, ENOENT, absl::StrCat("tracepoint kmem/kfree: no ", id_path));
  }
  cleanup();
  auto prog = Load("tracepoint", BPF_PROG_TYPE_TRACEPOINT, ReturnZero());
  if (!prog.ok()) return FromStatus(f, prog.status());
  perf_event_attr attr = {};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = static_cast<uint64_t>(id);
  ScopedFd event(PerfEventOpen(&attr, 0));
  if (!event.valid()) return Refused(f, errno, "tracepoint kmem/kfree: perf_event_open");
  if (ioctl(event.get(), PERF_EVENT_IOC_SET_BPF, prog->get()) != 0) {
    return Refused(f, errno, "tracepoint kmem/kfree: PERF_EVENT_IOC_SET_BPF");
  }
  if (!temp_mount.empty()) {
    return Works(f, "tracepoint kmem/kfree attached; tracefs is NOT mounted: "
                    "mount -t tracefs none /sys/kernel/tracing to use it");
  }
  return Works(f, absl::StrCat("tracepoint kmem/kfree attached (tracefs at ",
                               tracefs, ")"));
}

FeatureResult ProbeKprobe() {
  auto prog = Load("kprobe", BPF_PROG_TYPE_KPROBE, ReturnZero());
  if (!prog.ok()) return FromStatus(Feature::kKprobe, prog.status());
  return AttachPmuProbe(Feature::kKprobe, "kprobe", kTracedFunction, 0, prog->get(),
                        absl::StrCat("kprobe/", kTracedFunction));
}

FeatureResult ProbeKprobeOffset() {
  auto prog = Load("kprobe_off", BPF_PROG_TYPE_KPROBE, ReturnZero());
  if (!prog.ok()) return FromStatus(Feature::kKprobeOffset, prog.status());
  // An offset must fall on an instruction boundary (EILSEQ otherwise). After
  // endbr64 (4 bytes) and/or the 5-byte ftrace nop, one of these is.
  FeatureResult last;
  for (uint64_t offset : {4, 5, 9}) {
    last = AttachPmuProbe(Feature::kKprobeOffset, "kprobe", kTracedFunction, offset,
                          prog->get(),
                          absl::StrCat("kprobe/", kTracedFunction, "+", offset));
    if (last.works || last.error != EILSEQ) return last;
  }
  return last;
}

// A function to hang the uprobe probe on.
__attribute__((noinline)) int UprobeTarget(int x) {
  asm volatile("" ::: "memory");
  return x + 1;
}

FeatureResult ProbeUprobe() {
  const Feature f = Feature::kUprobe;
  // The file offset of UprobeTarget in this binary, from /proc/self/maps.
  uint64_t address = reinterpret_cast<uint64_t>(&UprobeTarget);
  std::ifstream maps("/proc/self/maps");
  std::string line, path;
  uint64_t file_offset = 0;
  while (std::getline(maps, line)) {
    uint64_t start, end, offset;
    char perms[8], file[4096] = "";
    if (sscanf(line.c_str(), "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end, perms,
               &offset, file) >= 4 &&
        address >= start && address < end && file[0] == '/') {
      path = file;
      file_offset = address - start + offset;
      break;
    }
  }
  if (path.empty()) return Refused(f, ENOENT, "uprobe: own text not found in /proc/self/maps");
  auto prog = Load("uprobe", BPF_PROG_TYPE_KPROBE, ReturnZero());
  if (!prog.ok()) return FromStatus(f, prog.status());
  return AttachPmuProbe(f, "uprobe", path, file_offset, prog->get(),
                        "uprobe on this binary");
}

FeatureResult ProbeSyscallTestRun() {
  const Feature f = Feature::kSyscallTestRun;
  auto prog = Load("syscall", BPF_PROG_TYPE_SYSCALL, {Mov64Imm(R0, 42), Exit()},
                   static_cast<bpf_attach_type>(0), 0, BPF_F_SLEEPABLE);
  if (!prog.ok()) return FromStatus(f, prog.status());
  LIBBPF_OPTS(bpf_test_run_opts, run);
  if (bpf_prog_test_run_opts(prog->get(), &run) != 0) {
    return Refused(f, errno, "syscall program: BPF_PROG_TEST_RUN");
  }
  if (run.retval != 42) {
    return Refused(f, EINVAL, absl::StrCat("syscall program returned ", run.retval,
                                           ", not 42"));
  }
  return Works(f, "syscall program ran under BPF_PROG_TEST_RUN");
}

FeatureResult ProbeRingbuf() {
  const Feature f = Feature::kRingbuf;
  ScopedFd map(bpf_map_create(BPF_MAP_TYPE_RINGBUF, "o2c_probe_rb", 0, 0,
                              static_cast<uint32_t>(sysconf(_SC_PAGESIZE)), nullptr));
  if (!map.valid()) return Refused(f, errno, "ringbuf map create");
  // p = bpf_ringbuf_reserve(map, 8, 0); if (p) bpf_ringbuf_discard(p, 0);
  auto ld_map = LdMapFd(R1, map.get());
  auto prog = Load("ringbuf", BPF_PROG_TYPE_RAW_TRACEPOINT,
                   {ld_map[0], ld_map[1], Mov64Imm(R2, 8), Mov64Imm(R3, 0),
                    Call(BPF_FUNC_ringbuf_reserve), JmpImm(BPF_JEQ, R0, 0, 3),
                    Mov64Reg(R1, R0), Mov64Imm(R2, 0), Call(BPF_FUNC_ringbuf_discard),
                    Mov64Imm(R0, 0), Exit()});
  if (!prog.ok()) return FromStatus(f, prog.status());
  return Works(f, "ringbuf map created, reserve/discard verified");
}

FeatureResult ProbeSendSignal() {
  auto prog = Load("send_signal", BPF_PROG_TYPE_RAW_TRACEPOINT,
                   {Mov64Imm(R1, 0), Call(BPF_FUNC_send_signal), Mov64Imm(R0, 0), Exit()});
  if (!prog.ok()) return FromStatus(Feature::kSendSignal, prog.status());
  return Works(Feature::kSendSignal, "bpf_send_signal verified in a raw_tp program");
}

FeatureResult ProbeTaskStorage() {
  const Feature f = Feature::kTaskStorage;
  // Local-storage maps need BTF for their key and value: one int type.
  struct btf* btf = btf__new_empty();
  if (btf == nullptr) return Refused(f, errno, "btf__new_empty");
  int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
  int err = int_id < 0 ? int_id : btf__load_into_kernel(btf);
  if (err < 0) {
    btf__free(btf);
    return Refused(f, -err, "task storage: load BTF");
  }
  LIBBPF_OPTS(bpf_map_create_opts, opts, .btf_fd = static_cast<uint32_t>(btf__fd(btf)),
              .btf_key_type_id = static_cast<uint32_t>(int_id),
              .btf_value_type_id = static_cast<uint32_t>(int_id),
              .map_flags = BPF_F_NO_PREALLOC);
  ScopedFd map(bpf_map_create(BPF_MAP_TYPE_TASK_STORAGE, "o2c_probe_ts", 4, 4, 0, &opts));
  int map_errno = errno;
  btf__free(btf);
  if (!map.valid()) return Refused(f, map_errno, "task storage map create");
  return Works(f, "task storage map created");
}

}  // namespace

const std::vector<Feature>& AllFeatures() {
  static const auto* all = new std::vector<Feature>{
      Feature::kTpBtf,       Feature::kRawTp,          Feature::kTracepoint,
      Feature::kFentry,      Feature::kFexit,          Feature::kFmodRet,
      Feature::kKprobe,      Feature::kKprobeOffset,   Feature::kLsm,
      Feature::kUprobe,      Feature::kSyscallTestRun, Feature::kRingbuf,
      Feature::kSendSignal,  Feature::kTaskStorage};
  return *all;
}

const char* FeatureName(Feature feature) {
  switch (feature) {
    case Feature::kTpBtf: return "tp_btf";
    case Feature::kRawTp: return "raw_tp";
    case Feature::kTracepoint: return "tracepoint";
    case Feature::kFentry: return "fentry";
    case Feature::kFexit: return "fexit";
    case Feature::kFmodRet: return "fmod_ret";
    case Feature::kKprobe: return "kprobe";
    case Feature::kKprobeOffset: return "kprobe+offset";
    case Feature::kLsm: return "lsm";
    case Feature::kUprobe: return "uprobe";
    case Feature::kSyscallTestRun: return "syscall+test_run";
    case Feature::kRingbuf: return "ringbuf";
    case Feature::kSendSignal: return "send_signal";
    case Feature::kTaskStorage: return "task_storage";
  }
  return "?";
}

KernelFeatures KernelFeatures::Probe() {
  KernelFeatures k;
  utsname uts = {};
  if (uname(&uts) == 0) k.kernel_release_ = uts.release;
  k.tracefs_path_ = FindTracefs();
  libbpf_print_fn_t previous = libbpf_set_print(nullptr);  // refusals are expected
  for (Feature f : AllFeatures()) {
    switch (f) {
      case Feature::kTpBtf: k.results_.push_back(ProbeTpBtf()); break;
      case Feature::kRawTp: k.results_.push_back(ProbeRawTp()); break;
      case Feature::kTracepoint: k.results_.push_back(ProbeTracepoint(k.tracefs_path_)); break;
      case Feature::kFentry:
        k.results_.push_back(ProbeTracing(f, absl::StrCat("fentry/", kSecurityFunction).c_str(),
                                          kSecurityFunction, BPF_PROG_TYPE_TRACING,
                                          BPF_TRACE_FENTRY, ReturnZero()));
        break;
      case Feature::kFexit:
        k.results_.push_back(ProbeTracing(f, absl::StrCat("fexit/", kSecurityFunction).c_str(),
                                          kSecurityFunction, BPF_PROG_TYPE_TRACING,
                                          BPF_TRACE_FEXIT, ReturnZero()));
        break;
      case Feature::kFmodRet:
        k.results_.push_back(ProbeTracing(f, absl::StrCat("fmod_ret/", kSecurityFunction).c_str(),
                                          kSecurityFunction, BPF_PROG_TYPE_TRACING,
                                          BPF_MODIFY_RETURN, ReturnZero()));
        break;
      case Feature::kKprobe: k.results_.push_back(ProbeKprobe()); break;
      case Feature::kKprobeOffset: k.results_.push_back(ProbeKprobeOffset()); break;
      case Feature::kLsm:
        k.results_.push_back(ProbeTracing(f, absl::StrCat("lsm/", kLsmHook).c_str(), kLsmHook,
                                          BPF_PROG_TYPE_LSM, BPF_LSM_MAC, ReturnZero()));
        break;
      case Feature::kUprobe: k.results_.push_back(ProbeUprobe()); break;
      case Feature::kSyscallTestRun: k.results_.push_back(ProbeSyscallTestRun()); break;
      case Feature::kRingbuf: k.results_.push_back(ProbeRingbuf()); break;
      case Feature::kSendSignal: k.results_.push_back(ProbeSendSignal()); break;
      case Feature::kTaskStorage: k.results_.push_back(ProbeTaskStorage()); break;
    }
  }
  libbpf_set_print(previous);
  return k;
}

KernelFeatures KernelFeatures::Without(std::initializer_list<Feature> features,
                                       const std::string& why) const {
  KernelFeatures copy = *this;
  for (FeatureResult& r : copy.results_) {
    for (Feature f : features) {
      if (r.feature == f) r = FeatureResult{f, false, EPERM, why};
    }
  }
  return copy;
}

bool KernelFeatures::Has(Feature feature) const { return Get(feature).works; }

const FeatureResult& KernelFeatures::Get(Feature feature) const {
  for (const FeatureResult& r : results_) {
    if (r.feature == feature) return r;
  }
  static const FeatureResult* missing = new FeatureResult{feature, false, ENOSYS, "not probed"};
  return *missing;
}

std::string KernelFeatures::FormatTable() const {
  std::string out = absl::StrFormat("kernel %s, tracefs %s\n", kernel_release_,
                                    tracefs_path_.empty() ? "not mounted" : tracefs_path_);
  absl::StrAppendFormat(&out, "%-17s %-7s %s\n", "feature", "works", "detail");
  for (const FeatureResult& r : results_) {
    absl::StrAppendFormat(&out, "%-17s %-7s %s\n", FeatureName(r.feature),
                          r.works ? "yes" : "NO", r.detail);
  }
  // What the answers mean for enforcement, said plainly.
  out += "\nOn this kernel:\n";
  bool can_deny = Has(Feature::kLsm) || Has(Feature::kFmodRet);
  out += can_deny
             ? "- a violation can be DENIED at entry hooks (BPF LSM / fmod_ret on security_*).\n"
             : "- nothing can be denied: no BPF LSM and no fmod_ret; violations are detected,\n"
               "  recorded and answered with SIGKILL (bpf_send_signal), never blocked.\n";
  out += "- a free seen at a tracepoint or kprobe cannot be skipped: the kernel still\n"
         "  performs it; O2C records it and kills the task before it returns to user space.\n";
  if (!Has(Feature::kFentry) && !Has(Feature::kKprobe)) {
    out += "- no fentry and no kprobes: compartment entry and access sites cannot be hooked;\n"
           "  only the allocator tracepoints are available.\n";
  }
  if (!Has(Feature::kTpBtf) && Has(Feature::kRawTp)) {
    out += "- tp_btf cannot read the allocator's object pointer: raw_tp is used instead.\n";
  }
  return out;
}

}  // namespace o2c::bpf
