// o2c demo: the end-to-end scenario on this kernel.
//  1. what BPF can do here (o2c probe);
//  2. the pipe compartment (fs/pipe.c) resolved from its policy;
//  3. a workload process churns pipes; O2C attaches on the fly, in the middle
//     of it: new pipe objects are tracked, the ones that were open before
//     the attach are auditioned by the model as they are freed;
//  4. a provoked violation: a compartment that does not own pipe objects
//     frees one in the final phase; the task is killed;
//  5. a summary: OK, or FAILED and exit code 1 when either outcome is not
//     the expected one.
// Enforcement is scoped to the demo's own processes, so nothing else on the
// machine is affected (pipe.policy's violation action includes KILL).
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <iostream>

#include "absl/cleanup/cleanup.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "examples/event_printer.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/enforcer.h"
#include "o2c/internal/status_macros.h"

namespace o2c::cli {

const CommandHelp kDemoHelp = {
    .name = "demo",
    .summary = "the end-to-end scenario on this kernel",
    .description = "The end-to-end scenario on this kernel: probe, the pipe compartment, an attach "
               "in the middle of a workload, a provoked violation, a summary.",
    .flags = {{"model", "FILE", "the audition model (o2c prepare trains one)", true},
              {"policy", "FILE", "the compartment's policy (default testdata/policies/pipe.policy)"},
              {"violation-policy", "FILE",
               "the policy of the provoked violation (default "
               "testdata/policies/pipe_free_only.policy)"},
              {"rounds", "N", "pipes the workload churns (default 60000)"}},
    .example = "sudo o2c demo --model testdata/prepare/pipe.o2cm",
};
namespace {

constexpr int kShownAuditions = 4;

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

// The victim of step 4: opens a pipe, says so on `ready_fd`, waits for a
// byte on `go_fd`, then closes the pipe (a violation there) and exits 0.
[[noreturn]] void PipeCloser(int ready_fd, int go_fd) {
  int fds[2];
  char c = 'r';
  if (pipe2(fds, 0) != 0 || write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1) _exit(2);
  close(fds[0]);
  close(fds[1]);  // the pipe is freed here: a violation
  std::printf("  victim: still alive after the free (should not happen)\n");
  _exit(0);
}

struct Resolved {
  Policy policy;
  Compartment compartment;
};

absl::StatusOr<Resolved> Resolve(const std::string& path, const bpf::Kallsyms& kallsyms) {
  O2C_ASSIGN_OR_RETURN(Policy policy, Policy::FromFile(path));
  O2C_ASSIGN_OR_RETURN(Compartment compartment, Compartment::Resolve(policy, kallsyms));
  return Resolved{std::move(policy), std::move(compartment)};
}

struct DemoFlags {
  std::string policy_path;
  std::string violation_policy;
  std::optional<std::string> model_path;
  long long rounds = 0;
};

absl::StatusOr<DemoFlags> ParseFlags(int argc, char** argv) {
  Args args(argc, argv, kDemoHelp);
  DemoFlags flags;
  flags.policy_path = args.Get("policy").value_or("testdata/policies/pipe.policy");
  flags.violation_policy =
      args.Get("violation-policy").value_or("testdata/policies/pipe_free_only.policy");
  flags.model_path = args.Get("model");
  O2C_ASSIGN_OR_RETURN(flags.rounds, args.GetInt("rounds", 60000));
  O2C_RETURN_IF_ERROR(args.Finish());
  if (!flags.model_path) {
    return absl::InvalidArgumentError(
        "--model is required: `o2c prepare` trains one (tools/demo.sh does), "
        "testdata/prepare/pipe.o2cm is a prepared pipe model");
  }
  return flags;
}

absl::StatusOr<std::unique_ptr<AuditionModel>> LoadModel(const std::string& path) {
  O2C_ASSIGN_OR_RETURN(AuditionModel model, AuditionModel::Load(path));
  std::printf("\nmodel: %s (%s)\n", path.c_str(), model.description().c_str());
  return std::make_unique<AuditionModel>(std::move(model));
}

// Forks a child that runs `child_main` (which must not return); its pid.
template <typename Main>
absl::StatusOr<pid_t> Fork(Main child_main) {
  pid_t child = fork();
  if (child < 0) return absl::ErrnoToStatus(errno, "fork");
  if (child == 0) child_main();
  return child;
}

// Polls `enforcer` until `child` exits; returns its wait status.
absl::StatusOr<int> WaitPolling(Enforcer& enforcer, pid_t child) {
  int wstatus = 0;
  auto last = std::chrono::steady_clock::now();
  while (waitpid(child, &wstatus, WNOHANG) == 0) {
    O2C_RETURN_IF_ERROR(enforcer.Poll(100).status());
    if (std::chrono::steady_clock::now() - last > std::chrono::milliseconds(500)) {
      last = std::chrono::steady_clock::now();
      O2C_ASSIGN_OR_RETURN(EnforcerStats stats, enforcer.Stats());
      std::printf("  ... %s\n", FormatStats(stats).c_str());
    }
  }
  O2C_RETURN_IF_ERROR(enforcer.Consume().status());
  return wstatus;
}

struct Outcome {
  bool as_expected = false;  // the workload finished undisturbed / the victim was killed
  EnforcerStats stats;
};

// Step 3: attach in the middle of a running pipe workload.
absl::StatusOr<Outcome> AttachOnTheFly(const Resolved& pipe, const AuditionModel& model,
                                       const bpf::Kallsyms& kallsyms,
                                       const bpf::KernelCapabilities& capabilities,
                                       long long rounds) {
  int go[2];
  if (pipe2(go, O_CLOEXEC) != 0) return absl::ErrnoToStatus(errno, "pipe2");
  absl::Cleanup close_go = [&] {
    close(go[0]);
    close(go[1]);
  };
  const int window = 32;
  O2C_ASSIGN_OR_RETURN(pid_t child,
                       Fork([&] { PipeWorkload(go[0], rounds, rounds / 4, window); }));
  absl::Cleanup reap = [&] {  // on an early return
    if (child <= 0) return;
    kill(child, SIGKILL);
    waitpid(child, nullptr, 0);
  };
  std::printf("workload pid %d: %d pipes open, recycled %lld times; attaching after %lld\n",
              child, window, rounds, rounds / 4);
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(child);
  options.capabilities = &capabilities;
  options.object_events = false;  // auditions, violations, phases: not every allocation
  int auditions = 0;
  options.on_event = [&](const Event& e) {
    if (e.kind() == Event::AUDITION && ++auditions > kShownAuditions) return;
    std::cout << "  " << FormatEvent(e) << "\n";
  };
  absl::StatusOr<std::unique_ptr<Enforcer>> enforcer =
      Enforcer::Attach(pipe.compartment, pipe.policy, &model, kallsyms, options);
  // The workload goes on whether or not the attach worked.
  if (write(go[1], "g", 1) != 1) return absl::ErrnoToStatus(errno, "write");
  if (!enforcer.ok()) return enforcer.status();
  std::fputs(FormatMechanisms((*enforcer)->Mechanisms()).c_str(), stdout);
  O2C_ASSIGN_OR_RETURN(int wstatus, WaitPolling(**enforcer, child));
  child = -1;  // reaped
  Outcome outcome;
  O2C_ASSIGN_OR_RETURN(outcome.stats, (*enforcer)->Stats());
  outcome.as_expected = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  if (auditions > kShownAuditions) {
    std::printf("  (%d more auditions not shown)\n", auditions - kShownAuditions);
  }
  std::printf("  workload %s; %s\n",
              outcome.as_expected ? "finished undisturbed" : "FAILED (exited or was killed)",
              FormatStats(outcome.stats).c_str());
  return outcome;
}

// Step 4: a compartment that does not own pipe objects frees one.
absl::StatusOr<Outcome> ProvokeViolation(const Resolved& foreign, const bpf::Kallsyms& kallsyms,
                                         const bpf::KernelCapabilities& capabilities) {
  int go[2], ready[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
    return absl::ErrnoToStatus(errno, "pipe2");
  }
  absl::Cleanup close_pipes = [&] {
    for (int fd : {go[0], go[1], ready[0], ready[1]}) close(fd);
  };
  O2C_ASSIGN_OR_RETURN(pid_t victim, Fork([&] { PipeCloser(ready[1], go[0]); }));
  absl::Cleanup reap = [&] {  // on an early return
    if (victim <= 0) return;
    kill(victim, SIGKILL);
    waitpid(victim, nullptr, 0);
  };
  char c;
  if (read(ready[0], &c, 1) != 1) return absl::InternalError("victim did not start");
  Enforcer::Options strict;
  strict.scope_tgid = static_cast<uint32_t>(victim);
  strict.capabilities = &capabilities;
  // The operator's decision, stated: this compartment owns no pipe object,
  // so the victim's pipe cannot be its own and the final phase needs no
  // census (which would see that pipe as an object from before the attach).
  strict.confirm_final_without_census = true;
  strict.on_event = [](const Event& e) { std::cout << "  " << FormatEvent(e) << "\n"; };
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<Enforcer> guard,
                       Enforcer::Attach(foreign.compartment, foreign.policy, nullptr, kallsyms,
                                        strict));
  if (write(go[1], "g", 1) != 1) return absl::ErrnoToStatus(errno, "write");
  int wstatus = 0;
  if (waitpid(victim, &wstatus, 0) != victim) return absl::ErrnoToStatus(errno, "waitpid");
  victim = -1;  // reaped
  O2C_RETURN_IF_ERROR(guard->Poll(100).status());
  Outcome outcome;
  O2C_ASSIGN_OR_RETURN(outcome.stats, guard->Stats());
  outcome.as_expected = WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL;
  std::printf("  victim: %s\n", outcome.as_expected
                                    ? "killed by SIGKILL before returning to user space"
                                    : "NOT killed");
  std::printf("  (the free itself happened: a tracepoint sees it first but cannot skip it)\n");
  return outcome;
}

// Step 5; whether both outcomes were the expected ones.
bool PrintSummary(const Outcome& benign, const Outcome& provoked) {
  const EnforcerStats& b = benign.stats;
  std::printf("  on-the-fly attach: %s; %lu pipe objects tracked, %lu old ones auditioned "
              "(%lu own, %lu kernel), %lu violations\n",
              benign.as_expected && b.violations == 0 ? "ok" : "FAILED", b.tracked,
              b.audition_own + b.audition_kernel, b.audition_own, b.audition_kernel,
              b.violations);
  std::printf("  provoked violation: %s; %lu violation(s), %lu kill(s)\n",
              provoked.as_expected ? "ok" : "FAILED", provoked.stats.violations,
              provoked.stats.kills);
  bool ok = benign.as_expected && b.violations == 0 && provoked.as_expected;
  std::printf("  %s\n", ok ? "OK" : "FAILED: see above");
  return ok;
}

absl::StatusOr<bool> RunDemo(const DemoFlags& flags) {
  std::printf("== 1. What BPF can do on this kernel (o2c probe)\n\n");
  bpf::KernelCapabilities capabilities = bpf::KernelCapabilities::Probe();
  std::fputs(capabilities.FormatTable().c_str(), stdout);

  std::printf("\n== 2. The compartment (%s)\n\n", flags.policy_path.c_str());
  O2C_ASSIGN_OR_RETURN(bpf::Kallsyms kallsyms, bpf::Kallsyms::FromFile());
  O2C_ASSIGN_OR_RETURN(Resolved pipe, Resolve(flags.policy_path, kallsyms));
  std::fputs(pipe.compartment.Format(kallsyms).c_str(), stdout);
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<AuditionModel> model, LoadModel(*flags.model_path));

  std::printf("\n== 3. Attaching on the fly while a workload runs\n\n");
  O2C_ASSIGN_OR_RETURN(Outcome benign,
                       AttachOnTheFly(pipe, *model, kallsyms, capabilities, flags.rounds));

  std::printf("\n== 4. A provoked violation (%s)\n\n", flags.violation_policy.c_str());
  std::printf("This compartment keeps pipe.c's free functions but not its allocation\n"
              "functions: every pipe object it frees is foreign to it. In the final phase\n"
              "each such free is a violation; the policy's action kills the task.\n\n");
  O2C_ASSIGN_OR_RETURN(Resolved foreign, Resolve(flags.violation_policy, kallsyms));
  O2C_ASSIGN_OR_RETURN(Outcome provoked, ProvokeViolation(foreign, kallsyms, capabilities));

  std::printf("\n== 5. Summary\n\n");
  return PrintSummary(benign, provoked);
}

}  // namespace

int DemoCommand(int argc, char** argv) {
  absl::StatusOr<DemoFlags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return ReportFailure("demo", flags.status());
  absl::StatusOr<bool> ok = RunDemo(*flags);
  if (!ok.ok()) return ReportFailure("demo", ok.status());
  return *ok ? 0 : 1;
}

}  // namespace o2c::cli
