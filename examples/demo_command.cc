// o2c demo: the end-to-end scenario on this kernel. At this stage: probe the
// kernel, then count live what fs/pipe.c allocates and frees while a child
// process runs a pipe workload, and check the counts against the workload.
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "absl/strings/str_format.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/bpf/kallsyms.h"
#include "o2c/bpf/kernel_features.h"
#include "o2c/bpf/kmem_site_counter.h"
#include "o2c/bpf/pipe_functions.h"

namespace o2c::cli {
namespace {

// The workload: `pipes` pipe2() + write + read + close rounds, then it writes
// how many it made to `report_fd`.
[[noreturn]] void RunPipeWorkload(int start_fd, int report_fd, long pipes) {
  char go;
  if (read(start_fd, &go, 1) != 1) _exit(1);
  long made = 0;
  for (long i = 0; i < pipes; ++i) {
    int fds[2];
    if (pipe2(fds, 0) != 0) _exit(1);
    char byte = 'x';
    if (write(fds[1], &byte, 1) == 1 && read(fds[0], &byte, 1) == 1) ++made;
    close(fds[0]);
    close(fds[1]);
    if (i % 16 == 0) usleep(2000);  // spread it out so the counts move visibly
  }
  if (write(report_fd, &made, sizeof(made)) != sizeof(made)) _exit(1);
  _exit(0);
}

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "o2c demo: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int DemoCommand(int argc, char** argv) {
  Args args(argc, argv);
  absl::StatusOr<long long> pipes = args.GetInt("pipes", 20000);
  if (!pipes.ok()) return Fail(pipes.status());
  if (absl::Status s = args.Finish(); !s.ok()) return Fail(s);

  std::printf("== 1. What BPF can do on this kernel (o2c probe)\n\n");
  bpf::KernelFeatures features = bpf::KernelFeatures::Probe();
  std::fputs(features.FormatTable().c_str(), stdout);

  std::printf("\n== 2. The compartment: fs/pipe.c, resolved from /proc/kallsyms\n\n");
  absl::StatusOr<bpf::Kallsyms> kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return Fail(kallsyms.status());
  std::vector<std::string> names;
  absl::StatusOr<std::vector<bpf::AddressRange>> ranges =
      bpf::PipeFunctionRanges(*kallsyms, &names);
  if (!ranges.ok()) return Fail(ranges.status());
  for (size_t i = 0; i < names.size(); ++i) {
    std::printf("  %-20s 0x%lx..0x%lx (%lu bytes)\n", names[i].c_str(),
                (*ranges)[i].start, (*ranges)[i].end, (*ranges)[i].size());
  }

  std::printf("\n== 3. Counting its slab allocations and frees live\n\n");
  int start_pipe[2], report_pipe[2];
  if (pipe(start_pipe) != 0 || pipe(report_pipe) != 0) {
    return Fail(absl::ErrnoToStatus(errno, "pipe"));
  }
  pid_t child = fork();
  if (child < 0) return Fail(absl::ErrnoToStatus(errno, "fork"));
  if (child == 0) RunPipeWorkload(start_pipe[0], report_pipe[1], *pipes);

  // Count only the workload's process, so other pipes on the machine cannot
  // disturb the figures.
  auto counter = bpf::KmemSiteCounter::Start({*ranges, static_cast<uint32_t>(child)},
                                             features);
  if (!counter.ok()) {
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
    return Fail(counter.status());
  }
  std::printf("  attached (%s) to kmalloc, kmem_cache_alloc, kfree, kmem_cache_free;\n"
              "  workload pid %d runs %lld pipe2()+write+read+close rounds\n\n",
              bpf::KmemHookFlavorName((*counter)->flavor()), child, *pipes);
  if (write(start_pipe[1], "g", 1) != 1) return Fail(absl::ErrnoToStatus(errno, "start"));

  // On a terminal the line updates in place; in a log, one line per update.
  const char* line_start = isatty(STDOUT_FILENO) ? "\r" : "";
  auto show = [&](const char* end) -> absl::StatusOr<bpf::SiteCounts> {
    absl::StatusOr<bpf::SiteCounts> total = (*counter)->Total();
    if (!total.ok()) return total.status();
    if (!*line_start) end = "\n";
    std::printf("%s  allocs %8lu (%9lu bytes)   frees %8lu   live %6ld%s",
                line_start, total->allocs, total->alloc_bytes, total->frees,
                static_cast<long>(total->allocs - total->frees), end);
    std::fflush(stdout);
    return total;
  };
  int wstatus = 0;
  while (waitpid(child, &wstatus, WNOHANG) == 0) {
    if (auto s = show(""); !s.ok()) return Fail(s.status());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  absl::StatusOr<bpf::SiteCounts> total = show(*line_start ? "\n" : "");
  if (!total.ok()) return Fail(total.status());
  long made = 0;
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 ||
      read(report_pipe[0], &made, sizeof(made)) != sizeof(made)) {
    return Fail(absl::InternalError("the pipe workload failed"));
  }

  std::printf("\n== Summary\n\n");
  std::printf("  workload made %ld pipes; pipe.c allocated %lu objects (%.1f per pipe,"
              " %lu bytes per pipe) and freed %lu\n",
              made, total->allocs, static_cast<double>(total->allocs) / made,
              made ? total->alloc_bytes / made : 0, total->frees);
  bool exact = total->allocs == 2 * static_cast<uint64_t>(made) &&
               total->frees == total->allocs;
  std::printf("  %s: every pipe is 2 slab allocations in alloc_pipe_info, both freed\n",
              exact ? "OK" : "MISMATCH");
  return exact ? 0 : 1;
}

}  // namespace o2c::cli
