// A minimal product embedding O2C: attaches the pipe compartment with a model,
// scoped to a workload it runs itself (nothing else is affected), serves the
// events from its own epoll loop, and detaches.  embed [POLICY [MODEL]]
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <string>

#include "o2c/audition_model.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"

namespace {

int Fail(const char* what, const absl::Status& status) {
  std::fprintf(stderr, "embed: %s: %s\n", what, status.ToString().c_str());
  return 1;
}

// 8 pipes open across the attach (auditioned), then 100 more (tracked).
[[noreturn]] void Workload(int go_fd) {
  int old[8][2], fds[2];
  char c;
  for (auto& p : old) {
    if (pipe(p) != 0) _exit(2);
  }
  if (read(go_fd, &c, 1) != 1) _exit(3);
  for (int i = 0; i < 8 + 100; ++i) {
    int* p = i < 8 ? old[i] : fds;
    if (i >= 8 && pipe(p) != 0) _exit(2);
    close(p[0]);
    close(p[1]);
  }
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  auto policy = o2c::Policy::FromFile(argc > 1 ? argv[1] : "testdata/policies/pipe.policy");
  if (!policy.ok()) return Fail("policy", policy.status());
  auto model = o2c::AuditionModel::Load(argc > 2 ? argv[2] : "testdata/prepare/pipe.o2cm");
  if (!model.ok()) return Fail("model", model.status());
  auto kallsyms = o2c::bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return Fail("kallsyms", kallsyms.status());
  auto compartment = o2c::Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return Fail("compartment", compartment.status());
  int go[2], wstatus = 0;
  pid_t child = pipe(go) == 0 ? fork() : -1;
  if (child < 0) return Fail("fork", absl::ErrnoToStatus(errno, "pipe/fork"));
  if (child == 0) Workload(go[0]);
  std::map<std::string, int> seen;  // events by kind
  o2c::Enforcer::Options options;
  options.scope_tgid = child;
  options.on_event = [&](const o2c::Event& e) {
    ++seen[o2c::Event::Kind_Name(e.kind())];
    if (e.kind() != o2c::Event::VIOLATION) return;
    std::printf("%s\n", o2c::Enforcer::ToJsonLine(e).c_str());
  };
  auto enforcer = o2c::Enforcer::Attach(*compartment, *policy, &*model, *kallsyms, options);
  if (write(go[1], "g", 1) != 1 || !enforcer.ok()) {
    kill(child, SIGKILL);
    return Fail("attach", enforcer.status());
  }

  // Our own loop: the enforcer's events, and the workload's exit (pidfd).
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  int exited = static_cast<int>(syscall(SYS_pidfd_open, child, 0));
  epoll_event watch[2] = {{.events = EPOLLIN, .data = {.fd = (*enforcer)->event_fd()}},
                          {.events = EPOLLIN, .data = {.fd = exited}}};
  if (epoll < 0 || exited < 0 || epoll_ctl(epoll, EPOLL_CTL_ADD, watch[0].data.fd, watch) ||
      epoll_ctl(epoll, EPOLL_CTL_ADD, exited, &watch[1])) {
    return Fail("epoll", absl::ErrnoToStatus(errno, "epoll setup"));
  }
  for (bool done = false; !done;) {
    epoll_event ready[2];
    int n = epoll_wait(epoll, ready, 2, -1);
    for (int i = 0; i < n; ++i) done |= ready[i].data.fd == exited;
    if (absl::Status s = (*enforcer)->Consume().status(); !s.ok()) return Fail("consume", s);
  }
  waitpid(child, &wstatus, 0);  // pidfd said it exited
  auto stats = (*enforcer)->Stats();
  if (!stats.ok()) return Fail("stats", stats.status());
  (*enforcer)->Detach();
  bool exited_0 = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
  std::printf("workload: %s\n", exited_0 ? "exited 0" : "FAILED");
  for (const auto& [kind, count] : seen) std::printf("events %s: %d\n", kind.c_str(), count);
  std::printf("stats: tracked %lu, auditioned %lu, violations %lu\n", stats->tracked,
              stats->audition_own + stats->audition_kernel, stats->violations);
  bool clean = (*enforcer)->ProgramIds().empty() && (*enforcer)->event_fd() == -1;
  std::printf("detach: %s\n", clean ? "clean" : "programs left");
  return clean && exited_0 ? 0 : 1;
}
