#include "o2c/bpf/loader/program_loader.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace o2c::bpf {
namespace {

constexpr size_t kVerifierLogSize = 16 << 20;  // enough for 1M-insn programs

// Errno of a libbpf call: libbpf 1.x returns -errno and also sets errno.
int ErrnoOf(int err) { return err < 0 && err != -1 ? -err : errno; }

// libbpf's print callback is process-wide; a load holds this lock while it
// captures the log.
std::mutex capture_mutex;
std::string* capture_target = nullptr;

int CapturePrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (capture_target == nullptr || level == LIBBPF_DEBUG) return 0;
  // Whole: a failed load's verifier log comes as one message, its error last.
  va_list sizing;
  va_copy(sizing, args);
  int n = vsnprintf(nullptr, 0, format, sizing);
  va_end(sizing);
  if (n <= 0) return n;
  std::string line(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(line.data(), line.size(), format, args);
  line.resize(static_cast<size_t>(n));
  capture_target->append(line);
  return n;
}

constexpr char kErrnoPayload[] = "o2c/errno";

// A status whose code follows errno and that remembers the errno itself.
absl::Status ErrnoStatus(int e, absl::string_view message) {
  absl::Status status(absl::ErrnoToStatusCode(e), message);
  status.SetPayload(kErrnoPayload, absl::Cord(std::to_string(e)));
  return status;
}

}  // namespace

int StatusErrno(const absl::Status& status) {
  absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  int e = 0;
  if (payload.has_value() && absl::SimpleAtoi(std::string(*payload), &e)) return e;
  return 0;
}

std::string LogTail(absl::string_view log, size_t max_bytes) {
  while (!log.empty() && (log.back() == '\n' || log.back() == '\0')) {
    log.remove_suffix(1);
  }
  if (log.size() > max_bytes) {
    bool cut_mid_line = log[log.size() - max_bytes - 1] != '\n';
    log = log.substr(log.size() - max_bytes);
    size_t newline = log.find('\n');
    if (cut_mid_line && newline != absl::string_view::npos) log = log.substr(newline + 1);
    return absl::StrCat("...", absl::StrReplaceAll(log, {{"\n", " | "}}));
  }
  return absl::StrReplaceAll(log, {{"\n", " | "}});
}

absl::StatusOr<bpf_prog_info> ProgramInfo(int prog_fd) {
  bpf_prog_info info = {};
  uint32_t len = sizeof(info);
  if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) != 0) {
    return LibbpfError(-errno, absl::StrCat("prog fd ", prog_fd, ": info"));
  }
  return info;
}

absl::Status LibbpfError(int err, absl::string_view what) {
  int e = ErrnoOf(err);
  return ErrnoStatus(e, absl::StrCat(what, ": ", std::strerror(e)));
}

absl::StatusOr<ScopedFd> LoadRawProgram(const RawProgram& program, LoadStats* stats) {
  auto start = std::chrono::steady_clock::now();
  LIBBPF_OPTS(bpf_prog_load_opts, opts,
              .expected_attach_type = program.expected_attach_type,
              .prog_flags = program.prog_flags,
              .attach_btf_id = program.attach_btf_id);
  // The kernel keeps 15 characters of a name and refuses some characters.
  std::string kernel_name = program.name.substr(0, 15);
  for (char& c : kernel_name) {
    if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') c = '_';
  }
  int fd = bpf_prog_load(program.type, kernel_name.c_str(), program.license.c_str(),
                         program.insns.data(), program.insns.size(), &opts);
  if (fd < 0) {
    int load_errno = errno;
    // Load again with the log on, only to say why.
    std::string log(kVerifierLogSize, '\0');
    opts.log_level = 1;
    opts.log_size = log.size();
    opts.log_buf = log.data();
    // Should the retry load (a transient failure), its fd closes here and
    // the first failure is reported.
    ScopedFd retry(bpf_prog_load(program.type, kernel_name.c_str(), program.license.c_str(),
                                 program.insns.data(), program.insns.size(), &opts));
    log.resize(strnlen(log.data(), log.size()));
    std::string message =
        absl::StrCat("prog '", program.name, "': load: ", std::strerror(load_errno));
    if (log.empty()) {
      absl::StrAppend(&message, " (verifier log empty: refused before verification)");
    } else {
      absl::StrAppend(&message, " (verifier log: ", LogTail(log), ")");
    }
    return ErrnoStatus(load_errno, message);
  }
  if (stats != nullptr) {
    stats->load_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats->insn_count = program.insns.size();
    bpf_prog_info info = {};
    uint32_t len = sizeof(info);
    if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
      stats->verified_insns = info.verified_insns;
    }
  }
  return ScopedFd(fd);
}

absl::Status LoadSkeleton(absl::string_view what, const std::function<int()>& load) {
  std::string log;
  int err;
  {
    std::lock_guard<std::mutex> lock(capture_mutex);
    capture_target = &log;
    libbpf_print_fn_t previous = libbpf_set_print(CapturePrint);
    absl::Cleanup restore = [previous] {
      libbpf_set_print(previous);
      capture_target = nullptr;
    };
    err = load();
  }
  if (err == 0) return absl::OkStatus();
  absl::Status status = LibbpfError(err, what);
  return ErrnoStatus(StatusErrno(status),
                     absl::StrCat(status.message(), " (libbpf log: ", LogTail(log), ")"));
}

}  // namespace o2c::bpf
