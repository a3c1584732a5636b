#include "o2c/victims/victim_workload.h"

#include <asm/ldt.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace o2c::victims {
namespace {

// Names a refused step once, so a kernel without it says so without noise.
class Refusals {
 public:
  bool Check(bool ok, const char* what) {
    if (ok) {
      ++made_;
    } else if (named_.insert(what).second) {
      std::fprintf(stderr, "victim workload: %s: %s (skipped)\n", what, std::strerror(errno));
    }
    return ok;
  }
  int made() const { return made_; }

 private:
  std::set<std::string> named_;
  int made_ = 0;
};

// A child inherits and drops the parent's creds (prepare_creds) and, with
// a local descriptor table, frees it when its mm goes.
void ForkChild(Refusals& r) {
  pid_t child = fork();
  if (!r.Check(child >= 0, "fork")) return;
  if (child == 0) {
    user_desc desc = {};
    desc.entry_number = 0;
    desc.limit = 0xfff;
    desc.seg_32bit = 1;
    _exit(syscall(SYS_modify_ldt, 1, &desc, sizeof(desc)) == 0 ? 0 : 1);
  }
  int status = 0;
  waitpid(child, &status, 0);
  r.Check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "modify_ldt");
}

void SeqFiles(Refusals& r) {
  for (const char* path : {"/proc/self/stat", "/proc/self/status", "/proc/self/wchan"}) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (!r.Check(fd >= 0, path)) continue;
    char buf[256];
    (void)!read(fd, buf, sizeof(buf));
    close(fd);
  }
}

void Messages(Refusals& r, int round) {
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  if (!r.Check(q >= 0, "msgget")) return;
  struct {
    long type;
    char text[8192];
  } msg;
  msg.type = 1;
  std::memset(msg.text, 'A' + round % 26, sizeof(msg.text));
  for (size_t size : {16, 100, 500, 1000, 2000, 4000, 6000}) {
    if (r.Check(msgsnd(q, &msg, size, IPC_NOWAIT) == 0, "msgsnd")) {
      (void)!msgrcv(q, &msg, sizeof(msg.text), 0, IPC_NOWAIT);
    }
  }
  msgctl(q, IPC_RMID, nullptr);
}

void Pipes(Refusals& r) {
  int p[2];
  if (!r.Check(pipe2(p, O_CLOEXEC) == 0, "pipe2")) return;
  r.Check(fcntl(p[1], F_SETPIPE_SZ, 16 * 4096) >= 0, "F_SETPIPE_SZ");
  (void)!write(p[1], "x", 1);
  close(p[0]);
  close(p[1]);
}

void Sockets(Refusals& r, int round) {
  int s[2];
  if (!r.Check(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, s) == 0, "socketpair")) return;
  std::vector<char> data(4000, static_cast<char>('a' + round % 26));
  for (size_t size : {64, 200, 500, 1000, 2000, 4000}) {
    if (r.Check(write(s[0], data.data(), size) == static_cast<ssize_t>(size), "unix write")) {
      (void)!read(s[1], data.data(), data.size());
    }
  }
  close(s[0]);
  close(s[1]);
}

void Keys(Refusals& r, int round) {
  std::string payload(32 + 97 * (round % 40), 'k');
  const std::string description = "o2c-victim-" + std::to_string(round);
  long key = syscall(SYS_add_key, "user", description.c_str(), payload.data(), payload.size(),
                     KEY_SPEC_PROCESS_KEYRING);
  if (!r.Check(key >= 0, "add_key")) return;
  syscall(SYS_keyctl, KEYCTL_REVOKE, key);
  syscall(SYS_keyctl, KEYCTL_UNLINK, key, KEY_SPEC_PROCESS_KEYRING);
}

void Terminal(Refusals& r) {
  int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (r.Check(fd >= 0, "posix_openpt")) close(fd);
}

void Timer(Refusals& r) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  if (r.Check(fd >= 0, "timerfd_create")) close(fd);
}

// More descriptors than poll() keeps on its stack.
void PollMany(Refusals& r) {
  std::vector<pollfd> fds(200, pollfd{.fd = -1, .events = POLLIN, .revents = 0});
  r.Check(poll(fds.data(), fds.size(), 0) >= 0, "poll");
}

void SharedMemory(Refusals& r) {
  int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  if (!r.Check(id >= 0, "shmget")) return;
  void* at = shmat(id, nullptr, 0);
  if (r.Check(at != reinterpret_cast<void*>(-1), "shmat")) shmdt(at);
  shmctl(id, IPC_RMID, nullptr);
}

// tmpfs keeps extended attributes in memory (simple_xattr).
void Xattrs(Refusals& r, int round) {
  const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  const std::string path = std::string(dir) + "/o2c-victim-" + std::to_string(getpid());
  int fd = open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
  if (!r.Check(fd >= 0, "xattr file")) return;
  std::string value(16 + 61 * (round % 30), 'x');
  r.Check(fsetxattr(fd, "trusted.o2c_victim", value.data(), value.size(), 0) == 0,
          "fsetxattr on tmpfs");
  close(fd);
  unlink(path.c_str());
}

// A socket family with no protocol registered makes the kernel ask a
// usermode helper to load "net-pf-N" where modules exist; the call itself
// is expected to fail.
void UnknownSocketFamily() {
  int fd = socket(AF_DECnet, SOCK_STREAM, 0);
  if (fd >= 0) close(fd);
}

}  // namespace

int MakeVictims(int rounds) {
  Refusals r;
  for (int round = 0; round < rounds; ++round) {
    ForkChild(r);
    SeqFiles(r);
    Messages(r, round);
    Pipes(r);
    Sockets(r, round);
    Keys(r, round);
    Terminal(r);
    Timer(r);
    PollMany(r);
    SharedMemory(r);
    Xattrs(r, round);
    if (round % 25 == 0) UnknownSocketFamily();
  }
  return r.made() > 0 ? 0 : 1;
}

}  // namespace o2c::victims
