#include "o2c/bpf/kernel/capabilities.h"

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
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <system_error>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "o2c/bpf/codegen/insn.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/bpf/loader/scoped_fd.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT: instruction factories read best unqualified

// The kernel functions the probes hook. They exist on every kernel O2C
// supports (5.15+ with BTF); a missing one reads as ENOENT with its name.
constexpr char kTracedFunction[] = "vfs_read";
constexpr char kSecurityFunction[] = "security_file_open";
constexpr char kLsmHook[] = "file_open";
constexpr char kTracepoint[] = "kfree";

CapabilityResult Works(Capability f, std::string detail) {
  return CapabilityResult{f, true, 0, std::move(detail)};
}

CapabilityResult Refused(Capability f, int error, std::string detail) {
  return CapabilityResult{f, false, error,
                       absl::StrCat(detail, ": ", strerrorname_np(error) ? strerrorname_np(error) : "?",
                                    " (", std::strerror(error), ")")};
}

// Load failure -> refusal; the loader's message already names the program.
CapabilityResult FromStatus(Capability f, const absl::Status& status) {
  int error = StatusErrno(status);
  return CapabilityResult{f, false, error == 0 ? EINVAL : error, std::string(status.message())};
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

// What every probe may need from the run that probes it.
struct ProbeContext {
  std::string tracefs;  // where tracefs is mounted, "" if nowhere
};

// A tracing program (tp_btf, fentry, fexit, fmod_ret, lsm) on `target`:
// resolve its BTF id, load, attach through bpf_raw_tracepoint_open. The
// detail names it "<capability>/<target><note>".
CapabilityResult ProbeTracing(Capability f, const char* target, bpf_prog_type type,
                              bpf_attach_type attach, std::vector<bpf_insn> insns,
                              const char* note = "") {
  std::string what = absl::StrCat(CapabilityName(f), "/", target, note);
  int btf_id = libbpf_find_vmlinux_btf_id(target, attach);
  if (btf_id < 0) {
    return Refused(f, -btf_id, absl::StrCat(what, ": no BTF id for '", target, "'"));
  }
  auto prog = Load(CapabilityName(f), type, std::move(insns), attach, btf_id);
  if (!prog.ok()) return FromStatus(f, prog.status());
  ScopedFd link(bpf_raw_tracepoint_open(nullptr, prog->get()));
  if (!link.valid()) return Refused(f, errno, absl::StrCat(what, ": attach"));
  return Works(f, absl::StrCat(what, " loaded and attached"));
}

// Reads a one-number sysfs/tracefs file.
absl::StatusOr<long> ReadNumber(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(std::string text, internal::ReadFileBytes(path));
  long value = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(text), &value)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a number: '", text, "'"));
  }
  return value;
}

int PerfEventOpen(perf_event_attr* attr, int cpu) {
  return static_cast<int>(
      syscall(__NR_perf_event_open, attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

// Opens a kprobe or uprobe perf event through its dynamic PMU and attaches
// `prog` to it.
CapabilityResult AttachPmuProbe(Capability f, const char* pmu, const std::string& target,
                                uint64_t offset, int prog_fd, const std::string& what) {
  std::string type_path = absl::StrCat("/sys/bus/event_source/devices/", pmu, "/type");
  absl::StatusOr<long> type = ReadNumber(type_path);
  if (!type.ok()) {
    return Refused(f, ENOENT, absl::StrCat(what, ": no ", pmu, " PMU (", type_path, ")"));
  }
  perf_event_attr attr = {};
  attr.size = sizeof(attr);
  attr.type = static_cast<uint32_t>(*type);
  attr.config1 = reinterpret_cast<uint64_t>(target.c_str());
  attr.config2 = offset;
  ScopedFd event(PerfEventOpen(&attr, 0));
  if (!event.valid()) return Refused(f, errno, absl::StrCat(what, ": perf_event_open"));
  if (ioctl(event.get(), PERF_EVENT_IOC_SET_BPF, prog_fd) != 0) {
    return Refused(f, errno, absl::StrCat(what, ": PERF_EVENT_IOC_SET_BPF"));
  }
  return Works(f, absl::StrCat(what, " attached"));
}

CapabilityResult ProbeTpBtf(Capability f, const ProbeContext&) {
  // r2 = ctx[1]: the freed pointer. Older kernels refuse to read a
  // `const void *` tracepoint argument here; raw_tp is the fallback there.
  return ProbeTracing(f, kTracepoint, BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP,
                      {LdxMem(BPF_DW, R2, R1, 8), Mov64Imm(R0, 0), Exit()}, " reading ptr");
}

CapabilityResult ProbeRawTp(Capability f, const ProbeContext&) {
  auto prog = Load("raw_tp", BPF_PROG_TYPE_RAW_TRACEPOINT,
                   {LdxMem(BPF_DW, R2, R1, 8), Mov64Imm(R0, 0), Exit()});
  if (!prog.ok()) return FromStatus(f, prog.status());
  ScopedFd link(bpf_raw_tracepoint_open(kTracepoint, prog->get()));
  if (!link.valid()) return Refused(f, errno, "raw_tp/kfree: attach");
  return Works(f, "raw_tp/kfree loaded and attached");
}

CapabilityResult ProbeFentry(Capability f, const ProbeContext&) {
  return ProbeTracing(f, kSecurityFunction, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY,
                      ReturnZero());
}

CapabilityResult ProbeFexit(Capability f, const ProbeContext&) {
  return ProbeTracing(f, kSecurityFunction, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT,
                      ReturnZero());
}

CapabilityResult ProbeFmodRet(Capability f, const ProbeContext&) {
  return ProbeTracing(f, kSecurityFunction, BPF_PROG_TYPE_TRACING, BPF_MODIFY_RETURN,
                      ReturnZero());
}

CapabilityResult ProbeLsm(Capability f, const ProbeContext&) {
  return ProbeTracing(f, kLsmHook, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, ReturnZero());
}

// Where tracefs is mounted, from /proc/mounts; "" if nowhere.
std::string FindTracefs() {
  absl::StatusOr<std::string> mounts = internal::ReadFileBytes("/proc/mounts");
  if (!mounts.ok()) return "";
  for (absl::string_view line : absl::StrSplit(*mounts, '\n')) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    if (fields.size() > 2 && fields[2] == "tracefs") return fields[1];
  }
  return "";
}

CapabilityResult ProbeTracepoint(Capability f, const ProbeContext& context) {
  std::string root = context.tracefs;
  std::string temp_mount;
  if (root.empty()) {
    std::string dir = "/tmp/o2c-tracefs-XXXXXX";
    if (mkdtemp(dir.data()) == nullptr) return Refused(f, errno, "tracefs: mkdtemp");
    if (mount("none", dir.c_str(), "tracefs", 0, nullptr) != 0) {
      int e = errno;
      std::error_code ignored;
      std::filesystem::remove(dir, ignored);
      return Refused(f, e, "tracefs not mounted, and mounting it failed");
    }
    root = temp_mount = dir;
  }
  absl::StatusOr<long> id;
  std::string id_path = absl::StrCat(root, "/events/kmem/", kTracepoint, "/id");
  {
    // The temporary mount is only needed to read the id.
    absl::Cleanup unmount = [&temp_mount] {
      if (temp_mount.empty()) return;
      umount(temp_mount.c_str());
      std::error_code ignored;
      std::filesystem::remove(temp_mount, ignored);
    };
    id = ReadNumber(id_path);
  }
  if (!id.ok()) {
    return Refused(f, ENOENT, absl::StrCat("tracepoint kmem/kfree: no ", id_path));
  }
  auto prog = Load("tracepoint", BPF_PROG_TYPE_TRACEPOINT, ReturnZero());
  if (!prog.ok()) return FromStatus(f, prog.status());
  perf_event_attr attr = {};
  attr.size = sizeof(attr);
  attr.type = PERF_TYPE_TRACEPOINT;
  attr.config = static_cast<uint64_t>(*id);
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
                               context.tracefs, ")"));
}

CapabilityResult ProbeKprobe(Capability f, const ProbeContext&) {
  auto prog = Load("kprobe", BPF_PROG_TYPE_KPROBE, ReturnZero());
  if (!prog.ok()) return FromStatus(f, prog.status());
  return AttachPmuProbe(f, "kprobe", kTracedFunction, 0, prog->get(),
                        absl::StrCat("kprobe/", kTracedFunction));
}

CapabilityResult ProbeKprobeOffset(Capability f, const ProbeContext&) {
  auto prog = Load("kprobe_off", BPF_PROG_TYPE_KPROBE, ReturnZero());
  if (!prog.ok()) return FromStatus(f, prog.status());
  // An offset must fall on an instruction boundary (EILSEQ otherwise). After
  // endbr64 (4 bytes) and/or the 5-byte ftrace nop, one of these is.
  CapabilityResult last;
  for (uint64_t offset : {4, 5, 9}) {
    last = AttachPmuProbe(f, "kprobe", kTracedFunction, offset, prog->get(),
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

CapabilityResult ProbeUprobe(Capability f, const ProbeContext&) {
  // The file offset of UprobeTarget in this binary, from /proc/self/maps.
  uint64_t address = reinterpret_cast<uint64_t>(&UprobeTarget);
  absl::StatusOr<std::string> maps = internal::ReadFileBytes("/proc/self/maps");
  if (!maps.ok()) return Refused(f, ENOENT, absl::StrCat("uprobe: ", maps.status().message()));
  std::string path;
  uint64_t file_offset = 0;
  for (absl::string_view line : absl::StrSplit(*maps, '\n')) {
    uint64_t start, end, offset;
    char perms[8], file[4096] = "";
    if (sscanf(std::string(line).c_str(), "%lx-%lx %7s %lx %*s %*s %4095s", &start, &end,
               perms, &offset, file) >= 4 &&
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

CapabilityResult ProbeSyscallTestRun(Capability f, const ProbeContext&) {
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

CapabilityResult ProbeRingbuf(Capability f, const ProbeContext&) {
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

CapabilityResult ProbeSendSignal(Capability f, const ProbeContext&) {
  auto prog = Load("send_signal", BPF_PROG_TYPE_RAW_TRACEPOINT,
                   {Mov64Imm(R1, 0), Call(BPF_FUNC_send_signal), Mov64Imm(R0, 0), Exit()});
  if (!prog.ok()) return FromStatus(f, prog.status());
  return Works(f, "bpf_send_signal verified in a raw_tp program");
}

CapabilityResult ProbeTaskStorage(Capability f, const ProbeContext&) {
  // Local-storage maps need BTF for their key and value: one int type.
  struct btf* btf = btf__new_empty();
  if (btf == nullptr) return Refused(f, errno, "btf__new_empty");
  absl::Cleanup free_btf = [btf] { btf__free(btf); };
  int int_id = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
  int err = int_id < 0 ? int_id : btf__load_into_kernel(btf);
  if (err < 0) return Refused(f, -err, "task storage: load BTF");
  LIBBPF_OPTS(bpf_map_create_opts, opts, .btf_fd = static_cast<uint32_t>(btf__fd(btf)),
              .btf_key_type_id = static_cast<uint32_t>(int_id),
              .btf_value_type_id = static_cast<uint32_t>(int_id),
              .map_flags = BPF_F_NO_PREALLOC);
  ScopedFd map(bpf_map_create(BPF_MAP_TYPE_TASK_STORAGE, "o2c_probe_ts", 4, 4, 0, &opts));
  if (!map.valid()) return Refused(f, errno, "task storage map create");
  return Works(f, "task storage map created");
}

CapabilityResult ProbeKmemCacheKfunc(Capability f, const ProbeContext&) {
  struct btf* vmlinux = btf__load_vmlinux_btf();
  if (vmlinux == nullptr) return Refused(f, errno, "kmem_cache kfunc: load vmlinux BTF");
  absl::Cleanup free_btf = [vmlinux] { btf__free(vmlinux); };
  int id = btf__find_by_name_kind(vmlinux, "bpf_get_kmem_cache", BTF_KIND_FUNC);
  if (id < 0) return Refused(f, -id, "kmem_cache kfunc: no 'bpf_get_kmem_cache' in vmlinux BTF");
  // r0 = bpf_get_kmem_cache(0) in the program type the kmem hooks fall back to.
  auto prog = Load("kmem_cache_kf", BPF_PROG_TYPE_RAW_TRACEPOINT,
                   {Mov64Imm(R1, 0), Make(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id),
                    Mov64Imm(R0, 0), Exit()});
  if (!prog.ok()) return FromStatus(f, prog.status());
  return Works(f, "bpf_get_kmem_cache called from a raw_tp program");
}

// One row per capability: its name and how to probe it, in the style of
// libbpf's feature_probes[] table. Rows follow the enum's order (checked
// below), so a capability is its row's index.
struct CapabilityProbe {
  Capability capability;
  const char* name;
  CapabilityResult (*probe)(Capability self, const ProbeContext& context);
};

constexpr CapabilityProbe kCapabilityProbes[] = {
    {Capability::kTpBtf, "tp_btf", ProbeTpBtf},
    {Capability::kRawTp, "raw_tp", ProbeRawTp},
    {Capability::kTracepoint, "tracepoint", ProbeTracepoint},
    {Capability::kFentry, "fentry", ProbeFentry},
    {Capability::kFexit, "fexit", ProbeFexit},
    {Capability::kFmodRet, "fmod_ret", ProbeFmodRet},
    {Capability::kKprobe, "kprobe", ProbeKprobe},
    {Capability::kKprobeOffset, "kprobe+offset", ProbeKprobeOffset},
    {Capability::kLsm, "lsm", ProbeLsm},
    {Capability::kUprobe, "uprobe", ProbeUprobe},
    {Capability::kSyscallTestRun, "syscall+test_run", ProbeSyscallTestRun},
    {Capability::kRingbuf, "ringbuf", ProbeRingbuf},
    {Capability::kSendSignal, "send_signal", ProbeSendSignal},
    {Capability::kTaskStorage, "task_storage", ProbeTaskStorage},
    {Capability::kKmemCacheKfunc, "kmem_cache_kfunc", ProbeKmemCacheKfunc},
};

constexpr bool RowsFollowTheEnum() {
  size_t i = 0;
  for (const CapabilityProbe& row : kCapabilityProbes) {
    if (static_cast<size_t>(row.capability) != i++) return false;
  }
  return i == static_cast<size_t>(Capability::kCount);
}
static_assert(RowsFollowTheEnum(),
              "kCapabilityProbes needs one row per Capability, in the enum's order");

}  // namespace

const std::vector<Capability>& AllCapabilities() {
  static const auto* all = [] {
    auto* capabilities = new std::vector<Capability>;
    for (const CapabilityProbe& row : kCapabilityProbes) capabilities->push_back(row.capability);
    return capabilities;
  }();
  return *all;
}

const char* CapabilityName(Capability feature) {
  size_t index = static_cast<size_t>(feature);
  return index < std::size(kCapabilityProbes) ? kCapabilityProbes[index].name : "?";
}

CapabilityResult ProbeCapability(Capability feature) {
  size_t index = static_cast<size_t>(feature);
  if (index >= std::size(kCapabilityProbes)) return CapabilityResult{feature, false, ENOSYS, "?"};
  const ProbeContext context{FindTracefs()};
  return kCapabilityProbes[index].probe(feature, context);
}

std::string RunningKernelRelease() {
  utsname uts = {};
  return uname(&uts) == 0 ? uts.release : "";
}

KernelCapabilities KernelCapabilities::Probe() {
  KernelCapabilities k;
  k.kernel_release_ = RunningKernelRelease();
  k.tracefs_path_ = FindTracefs();
  libbpf_print_fn_t previous = libbpf_set_print(nullptr);  // refusals are expected
  absl::Cleanup restore_print = [previous] { libbpf_set_print(previous); };
  const ProbeContext context{k.tracefs_path_};
  for (const CapabilityProbe& row : kCapabilityProbes) {
    k.results_.push_back(row.probe(row.capability, context));
  }
  return k;
}

KernelCapabilities KernelCapabilities::Without(std::initializer_list<Capability> features,
                                       const std::string& why) const {
  KernelCapabilities copy = *this;
  for (CapabilityResult& r : copy.results_) {
    for (Capability f : features) {
      if (r.feature == f) r = CapabilityResult{f, false, EPERM, why};
    }
  }
  return copy;
}

bool KernelCapabilities::Has(Capability feature) const { return Get(feature).works; }

const CapabilityResult& KernelCapabilities::Get(Capability feature) const {
  for (const CapabilityResult& r : results_) {
    if (r.feature == feature) return r;
  }
  static const CapabilityResult* missing = new CapabilityResult{feature, false, ENOSYS, "not probed"};
  return *missing;
}

std::string KernelCapabilities::FormatTable() const {
  std::string out = absl::StrFormat("kernel %s, tracefs %s\n", kernel_release_,
                                    tracefs_path_.empty() ? "not mounted" : tracefs_path_);
  absl::StrAppendFormat(&out, "%-17s %-7s %s\n", "feature", "works", "detail");
  for (const CapabilityResult& r : results_) {
    absl::StrAppendFormat(&out, "%-17s %-7s %s\n", CapabilityName(r.feature),
                          r.works ? "yes" : "NO", r.detail);
  }
  // What the answers mean for enforcement, said plainly.
  out += "\nOn this kernel:\n";
  bool can_deny = Has(Capability::kLsm) || Has(Capability::kFmodRet);
  out += can_deny
             ? "- a violation can be DENIED at entry hooks (BPF LSM / fmod_ret on security_*).\n"
             : "- nothing can be denied: no BPF LSM and no fmod_ret; violations are detected,\n"
               "  recorded and answered with SIGKILL (bpf_send_signal), never blocked.\n";
  out += "- a free seen at a tracepoint or kprobe cannot be skipped: the kernel still\n"
         "  performs it; O2C records it and kills the task before it returns to user space.\n";
  if (!Has(Capability::kFentry) && !Has(Capability::kKprobe)) {
    out += "- no fentry and no kprobes: compartment entry and access sites cannot be hooked;\n"
           "  only the allocator tracepoints are available.\n";
  }
  if (!Has(Capability::kTpBtf) && Has(Capability::kRawTp)) {
    out += "- tp_btf cannot read the allocator's object pointer: raw_tp is used instead.\n";
  }
  return out;
}

}  // namespace o2c::bpf
