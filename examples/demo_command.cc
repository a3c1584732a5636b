// o2c demo: the end-to-end scenario on this kernel.
//  1. what BPF can do here (o2c probe);
//  2. the pipe compartment (fs/pipe.c) resolved from its policy;
//  3. a workload process churns pipes; O2C attaches on the fly, in the middle
//     of it: new pipe objects are tracked, the ones that were open before
//     the attach are auditioned by the model as they are freed;
//  4. a provoked violation: a compartment that does not own pipe objects
//     frees one in the final phase; the task is killed;
//  5. a summary.
// Enforcement is scoped to the demo's own processes, so nothing else on the
// machine is affected (pipe.policy's violation action includes KILL).
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "examples/event_printer.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/enforcer.h"

namespace o2c::cli {
namespace {

// The workload: keeps `window` pipes open and recycles them (close, pipe2,
// write, read) `rounds` times; waits on `go_fd` after `pause_at` rounds.
[[noreturn]] void PipeWorkload(int go_fd, long rounds, long pause_at, int window) {
  std::vector<std::array<int, 2>> pipes(window);
  for (auto& p : pipes) {
    if (pipe2(p.data(), 0) != 0) _exit(2);
  }
  for (long i = 0; i < rounds; ++i) {
    char c;
    if (i == pause_at && read(go_fd, &c, 1) != 1) _exit(3);
    auto& p = pipes[i % window];
    close(p[0]);
    close(p[1]);
    if (pipe2(p.data(), 0) != 0) _exit(2);
    char byte = 'x';
    if (write(p[1], &byte, 1) != 1 || read(p[0], &byte, 1) != 1) _exit(4);
    if (i % 64 == 0) usleep(1000);
  }
  for (auto& p : pipes) {
    close(p[0]);
    close(p[1]);
  }
  _exit(0);
}

struct Resolved {
  Policy policy;
  Compartment compartment;
};

absl::StatusOr<Resolved> Resolve(const std::string& path, const bpf::Kallsyms& kallsyms) {
  auto policy = Policy::FromFile(path);
  if (!policy.ok()) return policy.status();
  auto compartment = Compartment::Resolve(*policy, kallsyms);
  if (!compartment.ok()) return compartment.status();
  return Resolved{std::move(*policy), std::move(*compartment)};
}

}  // namespace

int DemoCommand(int argc, char** argv) {
  Args args(argc, argv);
  std::string policy_path = args.Get("policy").value_or("testdata/policies/pipe.policy");
  std::string violation_policy =
      args.Get("violation-policy").value_or("testdata/policies/pipe_free_only.policy");
  std::optional<std::string> model_path = args.Get("model");
  auto rounds = args.GetInt("rounds", 60000);
  if (!rounds.ok()) return ReportFailure("demo", rounds.status());
  if (absl::Status s = args.Finish(); !s.ok()) return ReportFailure("demo", s);

  std::printf("== 1. What BPF can do on this kernel (o2c probe)\n\n");
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();
  std::fputs(features.FormatTable().c_str(), stdout);

  std::printf("\n== 2. The compartment (%s)\n\n", policy_path.c_str());
  auto kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return ReportFailure("demo", kallsyms.status());
  auto pipe = Resolve(policy_path, *kallsyms);
  if (!pipe.ok()) return ReportFailure("demo", pipe.status());
  std::fputs(pipe->compartment.Format(*kallsyms).c_str(), stdout);

  if (!model_path) {
    return ReportFailure("demo", absl::InvalidArgumentError(
                                     "--model is required: `o2c prepare` trains one (tools/demo.sh "
                                     "does), testdata/prepare/pipe.o2cm is a prepared pipe model"));
  }
  auto loaded = AuditionModel::Load(*model_path);
  if (!loaded.ok()) return ReportFailure("demo", loaded.status());
  auto model = std::make_unique<AuditionModel>(std::move(*loaded));
  std::printf("\nmodel: %s (%s)\n", model_path->c_str(), model->description().c_str());

  std::printf("\n== 3. Attaching on the fly while a workload runs\n\n");
  int go[2];
  if (pipe2(go, 0) != 0) return ReportFailure("demo", absl::ErrnoToStatus(errno, "pipe2"));
  const int window = 32;
  pid_t child = fork();
  if (child < 0) return ReportFailure("demo", absl::ErrnoToStatus(errno, "fork"));
  if (child == 0) PipeWorkload(go[0], *rounds, *rounds / 4, window);
  std::printf("workload pid %d: %d pipes open, recycled %lld times; attaching after %lld\n",
              child, window, *rounds, *rounds / 4);
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(child);
  options.features = &features;
  options.object_events = false;  // auditions, violations, phases: not every allocation
  options.untracked_estimate = 2 * window;  // the demo knows what was open before
  int auditions_shown = 0;
  options.on_event = [&](const Event& e) {
    if (e.kind() == Event::AUDITION && ++auditions_shown > 4) return;
    std::cout << "  " << FormatEvent(e) << "\n";
  };
  auto enforcer = Enforcer::Attach(pipe->compartment, pipe->policy, model.get(), *kallsyms,
                                   options);
  if (write(go[1], "g", 1) != 1) return ReportFailure("demo", absl::ErrnoToStatus(errno, "write"));
  if (!enforcer.ok()) {
    waitpid(child, nullptr, 0);
    return ReportFailure("demo", enforcer.status());
  }
  for (const std::string& m : (*enforcer)->Mechanisms()) std::printf("  %s\n", m.c_str());
  int wstatus = 0;
  auto last = std::chrono::steady_clock::now();
  while (waitpid(child, &wstatus, WNOHANG) == 0) {
    if (auto n = (*enforcer)->Poll(100); !n.ok()) return ReportFailure("demo", n.status());
    if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(500)) {
      last = std::chrono::steady_clock::now();
      if (auto s = (*enforcer)->Stats(); s.ok()) std::printf("  ... %s\n", FormatStats(*s).c_str());
    }
  }
  (*enforcer)->Poll(0).IgnoreError();
  auto benign = (*enforcer)->Stats();
  if (!benign.ok()) return ReportFailure("demo", benign.status());
  if (auditions_shown > 4) std::printf("  (%d more auditions not shown)\n", auditions_shown - 4);
  std::printf("  workload %s; %s\n",
              WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 ? "finished undisturbed"
                                                              : "FAILED",
              FormatStats(*benign).c_str());
  (*enforcer)->Detach();

  std::printf("\n== 4. A provoked violation (%s)\n\n", violation_policy.c_str());
  std::printf("This compartment keeps pipe.c's free functions but not its allocation\n"
              "functions: every pipe object it frees is foreign to it. In the final phase\n"
              "each such free is a violation; the policy's action kills the task.\n\n");
  auto foreign = Resolve(violation_policy, *kallsyms);
  if (!foreign.ok()) return ReportFailure("demo", foreign.status());
  int ready[2];
  if (pipe2(ready, 0) != 0) return ReportFailure("demo", absl::ErrnoToStatus(errno, "pipe2"));
  pid_t victim = fork();
  if (victim < 0) return ReportFailure("demo", absl::ErrnoToStatus(errno, "fork"));
  if (victim == 0) {
    int fds[2];
    char c = 'r';
    if (pipe2(fds, 0) != 0 || write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1) _exit(2);
    close(fds[0]);
    close(fds[1]);  // the pipe is freed here: a violation
    std::printf("  victim: still alive after the free (should not happen)\n");
    _exit(0);
  }
  char c;
  if (read(ready[0], &c, 1) != 1) return ReportFailure("demo", absl::InternalError("victim did not start"));
  Enforcer::Options strict;
  strict.scope_tgid = static_cast<uint32_t>(victim);
  strict.features = &features;
  strict.on_event = [](const Event& e) { std::cout << "  " << FormatEvent(e) << "\n"; };
  auto guard = Enforcer::Attach(foreign->compartment, foreign->policy, nullptr, *kallsyms,
                                strict);
  if (write(go[1], "g", 1) != 1) return ReportFailure("demo", absl::ErrnoToStatus(errno, "write"));
  if (!guard.ok()) {
    waitpid(victim, nullptr, 0);
    return ReportFailure("demo", guard.status());
  }
  waitpid(victim, &wstatus, 0);
  (*guard)->Poll(100).IgnoreError();
  auto strict_stats = (*guard)->Stats();
  bool killed = WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL;
  std::printf("  victim pid %d: %s\n", victim,
              killed ? "killed by SIGKILL before returning to user space"
                     : "NOT killed");
  std::printf("  (the free itself happened: a tracepoint sees it first but cannot skip it)\n");

  std::printf("\n== 5. Summary\n\n");
  std::printf("  on-the-fly attach: %s; %lu pipe objects tracked, %lu old ones auditioned "
              "(%lu own, %lu kernel), %lu violations\n",
              WIFEXITED(wstatus) ? "ok" : "ok", benign->tracked,
              benign->audition_own + benign->audition_kernel, benign->audition_own,
              benign->audition_kernel, benign->violations);
  if (strict_stats.ok()) {
    std::printf("  provoked violation: %lu violation(s), %lu kill(s)\n", strict_stats->violations,
                strict_stats->kills);
  }
  bool ok = benign->violations == 0 && killed;
  std::printf("  %s\n", ok ? "OK" : "UNEXPECTED: see above");
  return ok ? 0 : 1;
}

}  // namespace o2c::cli
