// Real exploits of a real module, stopped: o2c::Enforcer over
// testdata/vulnmod, a deliberately vulnerable misc device (vulnmod.c says
// what its bugs are). VM tier only: this host's kernel refuses modules.
//
// With testdata/policies/vulnmod.policy: the module's off-by-one index makes
// it kfree() a kernel object. The exploit's process frees it and would go on
// to its next step (here: a byte written to a pipe); the enforcer kills it
// first, and where the kernel has BPF LSM, quarantine then refuses the
// device to every process until the enforcer detaches.
//
// With testdata/policies/vulnmod_stores.policy and access checks
// (Enforcer::Options::access_checks): the module's benign workload runs
// through them without a violation, and three out-of-bounds writes (a
// store past the object, a store through a pointer after its free, a copy
// past the object) are each reported at their instruction and their
// process killed before its next step.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/store_sites.h"
#include "o2c/bpf/kernel/capabilities.h"
#include "o2c/bpf/kmem_sites_programs.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"
#include "testdata/vulnmod/vulnmod_device.h"
#include "testing/kernel_test.h"
#include "testing/pipes.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::kVulnmodDevice;
using ::o2c::testing::LoadVulnmod;
using ::o2c::testing::Pipe;
using ::o2c::testing::RunVulnmodWorkload;
using ::o2c::testing::VulnRequest;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kStoresPolicy[] = "testdata/policies/vulnmod_stores.policy";

TEST(EnforcerVulnmodTest, TheArbitraryFreeIsKilledBeforeItsNextStepAndQuarantined) {
  O2C_REQUIRE_KERNEL();
  ASSERT_EQ(LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/vulnmod.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();

  // The exploit: a legitimate object first, then the out-of-bounds free,
  // then its next step, which must never run.
  int go[2];
  Pipe steps;
  ASSERT_EQ(pipe(go), 0);
  ASSERT_EQ(pipe2(steps.fds, 0), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    int dev = open(kVulnmodDevice, O_RDWR);
    if (dev < 0 || read(go[0], &c, 1) != 1) _exit(2);
    if (VulnRequest(dev, VULN_ALLOC, 0, 64) != 0 || VulnRequest(dev, VULN_FREE, 0) != 0) _exit(3);
    if (write(steps.fds[1], "1", 1) != 1) _exit(4);
    VulnRequest(dev, VULN_FREE, VULN_SLOTS);  // frees the kernel's bitmap
    (void)!write(steps.fds[1], "2", 1);   // the exploit's next step
    _exit(0);
  }
  std::vector<Event> events;
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(child);
  options.capabilities = &features;
  options.on_event = [&](const Event& e) { events.push_back(e); };
  // No model: the final phase from the start (every untracked free at a
  // free site is a violation).
  auto enforcer = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
  ASSERT_THAT(enforcer, IsOk());
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL) << wstatus;
  close(steps.fds[1]);
  steps.fds[1] = -1;
  std::string seen;
  char c;
  while (read(steps.fds[0], &c, 1) == 1) seen += c;
  EXPECT_EQ(seen, "1") << "the exploit's next step ran";

  for (;;) {
    auto n = (*enforcer)->Poll(0);
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->tracked, 1u) << "the module's own object";
  EXPECT_EQ(stats->freed_own, 1u);
  EXPECT_EQ(stats->violations, 1u);
  EXPECT_EQ(stats->kills, 1u);
  const Event* violation = nullptr;
  for (const Event& e : events) {
    if (e.kind() == Event::VIOLATION) violation = &e;
  }
  ASSERT_NE(violation, nullptr);
  std::cout << "  violation at " << violation->site() << ":\n";
  for (const std::string& frame : violation->stack()) std::cout << "    " << frame << "\n";
  EXPECT_EQ(violation->violation(), Event::VIOLATION_UNTRACKED_FREE);
  EXPECT_TRUE(absl::StartsWith(violation->site(), "vuln_free+")) << violation->site();
  EXPECT_THAT(violation->stack(), Contains(HasSubstr("vuln_ioctl")));
  EXPECT_THAT(violation->actions(), ::testing::ElementsAre(Event::ACTION_AUDIT, Event::ACTION_KILL,
                                                           Event::ACTION_QUARANTINE));
  EXPECT_TRUE((*enforcer)->quarantined());

  // Quarantine: the device is the module's (its file_operations are module
  // code), so where BPF LSM exists every process is refused it now.
  int dev = open(kVulnmodDevice, O_RDWR);
  ASSERT_GE(dev, 0) << std::strerror(errno);
  if (features.Has(bpf::Capability::kLsm)) {
    errno = 0;
    EXPECT_EQ(VulnRequest(dev, VULN_ALLOC, 1, 64), -1);
    EXPECT_EQ(errno, EPERM);
    auto after = (*enforcer)->Stats();
    ASSERT_THAT(after, IsOk());
    EXPECT_GE(after->quarantine_denials, 1u);
  }
  (*enforcer)->Detach();
  EXPECT_EQ(VulnRequest(dev, VULN_ALLOC, 1, 64), 0) << std::strerror(errno);
  EXPECT_EQ(VulnRequest(dev, VULN_FREE, 1), 0) << std::strerror(errno);
  close(dev);
}

// vuln_new and vuln_drop tail-jump to __kmalloc and kfree: the objects made
// and freed through them are the module's, seen at the calls of those two.
// vuln_name's kfree_const is reported at vulnmod's own call: inside the
// compartment's code, yet not a free site (nothing may call the module's
// own string a kernel object).
TEST(EnforcerVulnmodTest, TailJumpSitesAreExactAndNoOtherCallIsAFreeSite) {
  O2C_REQUIRE_KERNEL();
  ASSERT_EQ(LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile("testdata/policies/vulnmod.policy");
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  std::cout << compartment->Format(*kallsyms);
  bool alloc_tail = false, free_tail = false;
  for (const TailJump& t : compartment->tail_jumps()) {
    alloc_tail |= t.function == "vuln_new" && t.kind == CallSite::Kind::kAlloc &&
                  t.direct_callers == 1;
    free_tail |= t.function == "vuln_drop" && t.kind == CallSite::Kind::kFree &&
                 t.direct_callers == 1;
  }
  EXPECT_TRUE(alloc_tail) << "vuln_new: jmp __kmalloc, called once";
  EXPECT_TRUE(free_tail) << "vuln_drop: jmp kfree, called once";
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();

  int go[2];
  ASSERT_EQ(pipe(go), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    char c;
    int dev = open(kVulnmodDevice, O_RDWR);
    if (dev < 0 || read(go[0], &c, 1) != 1) _exit(2);
    if (VulnRequest(dev, VULN_ALLOC_TAIL, 2, 64) != 0 || VulnRequest(dev, VULN_FREE_TAIL, 2) != 0) {
      _exit(3);
    }
    if (VulnRequest(dev, VULN_NAME, 0) != 0) _exit(4);
    _exit(0);
  }
  // Every free the kernel reports with a call_site in the module's code.
  std::vector<bpf::AddressRange> module_code;
  for (const NamedRange& r : compartment->code()) module_code.push_back(r.range);
  auto in_module = bpf::KmemSitesPrograms::Start({module_code, static_cast<uint32_t>(child)},
                                                 features);
  ASSERT_THAT(in_module, IsOk());
  std::vector<Event> events;
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(child);
  options.capabilities = &features;
  options.on_event = [&](const Event& e) { events.push_back(e); };
  // No model: the final phase from the start, where a free of anything
  // untracked at a free site is a violation.
  auto enforcer = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
  ASSERT_THAT(enforcer, IsOk());
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
  ASSERT_EQ(write(go[1], "g", 1), 1);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
  for (;;) {
    auto n = (*enforcer)->Poll(0);
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
  auto stats = (*enforcer)->Stats();
  ASSERT_THAT(stats, IsOk());
  auto seen = (*in_module)->Total();
  ASSERT_THAT(seen, IsOk());
  std::cout << "  frees reported inside the module's code: " << seen->frees << "; tracked "
            << stats->tracked << ", freed own " << stats->freed_own << ", untracked frees "
            << stats->untracked_frees << ", violations " << stats->violations << "\n";
  EXPECT_EQ(stats->tracked, 1u) << "vuln_new's object, at its caller's call";
  EXPECT_EQ(stats->freed_own, 1u) << "freed by vuln_drop, at its caller's call";
  EXPECT_EQ(seen->frees, 2u) << "vuln_drop's kfree and vuln_name's kfree_const";
  EXPECT_EQ(stats->untracked_frees, 0u);
  EXPECT_EQ(stats->violations, 0u);
  EXPECT_EQ(stats->kills, 0u);
}

// Delivers every pending event.
void Drain(Enforcer& enforcer) {
  for (;;) {
    auto n = enforcer.Poll(0);
    ASSERT_THAT(n, IsOk());
    if (*n == 0) break;
  }
}

// One enforcer with access checks, vulnmod_stores.policy and no model (the
// final phase from the start) for this process and every process it starts;
// its events go to `events`.
void AttachAccessChecks(std::vector<Event>* events, std::unique_ptr<Enforcer>* enforcer) {
  ASSERT_EQ(LoadVulnmod(), "");
  auto kallsyms = bpf::Kallsyms::FromFile();
  ASSERT_THAT(kallsyms, IsOk());
  auto policy = Policy::FromFile(kStoresPolicy);
  ASSERT_THAT(policy, IsOk());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  ASSERT_THAT(compartment, IsOk());
  bpf::KernelCapabilities features = bpf::KernelCapabilities::Probe();
  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(getpid());
  options.scope_descendants = true;
  options.access_checks = true;
  // The operator's decision, taken here: no census runs, yet the final
  // phase is confirmed (so that violations kill). Every process in scope
  // is this test's own and no module object from before the attach is
  // alive: the earlier tests free what they allocate.
  options.confirm_final_without_census = true;
  // The workload's TRACKED / FREED events would only crowd the ring.
  options.object_events = false;
  options.capabilities = &features;
  options.on_event = [events](const Event& e) { events->push_back(e); };
  // The analysis the probes come from, for the record.
  std::cout << bpf::FormatStoreReport(compartment->stores(), [&](uint64_t a) {
    return kallsyms->Format(a);
  }) << "\n";
  auto attached = Enforcer::Attach(*compartment, *policy, nullptr, *kallsyms, options);
  ASSERT_THAT(attached, IsOk());
  *enforcer = std::move(*attached);
  std::cout << FormatMechanisms((*enforcer)->Mechanisms());
}

void PrintStats(const EnforcerStats& s) {
  std::cout << "  tracked " << s.tracked << ", freed own " << s.freed_own << ", store probes "
            << s.store_probes << ", stores unchecked " << s.stores_unchecked << ", store checks "
            << s.store_checks << ", store violations " << s.store_violations << ", violations "
            << s.violations << ", kills " << s.kills << ", downgraded " << s.downgraded
            << ", missed runs " << s.missed_runs << ", heap "
            << (s.heap_incomplete ? "incomplete" : "complete") << ", final phase "
            << (s.final_confirmed ? "confirmed" : "not confirmed") << "\n";
}

std::string Describe(const Event& e) {
  std::string out = absl::StrCat(Event::Violation_Name(e.violation()), " by ", e.tgid(), " at ",
                                 e.site(), ": ", e.target_bytes(), " bytes, target '", e.target(),
                                 "' (cache '", e.target_cache(), "')",
                                 e.downgraded() ? ", downgraded" : "");
  for (const std::string& frame : e.stack()) absl::StrAppend(&out, "\n    ", frame);
  return out;
}

// The module's benign use, every store of it under a check: not one is a
// violation.
TEST(EnforcerVulnmodTest, AccessChecksLetTheBenignWorkloadThrough) {
  O2C_REQUIRE_KERNEL();
  std::vector<Event> events;
  std::unique_ptr<Enforcer> enforcer;
  ASSERT_NO_FATAL_FAILURE(AttachAccessChecks(&events, &enforcer));

  // Batches of the workload (each frees what it stored) until 10^5 rounds
  // or the time budget of an emulated guest, whichever comes first.
  constexpr long kRounds = 100000;
  constexpr double kSeconds = 25;
  const auto start = std::chrono::steady_clock::now();
  long rounds = 0;
  long batch = 1000;
  double seconds = 0;
  while (rounds < kRounds && seconds < kSeconds) {
    int wstatus = RunVulnmodWorkload(batch);
    ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
        << "the benign workload "
        << (WIFSIGNALED(wstatus) ? "was killed by signal " : "ended with wait status ")
        << (WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : wstatus);
    rounds += batch;
    ASSERT_NO_FATAL_FAILURE(Drain(*enforcer));
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // The next batch: what the rate so far fits in the time left.
    const double fits = seconds > 0 ? rounds / seconds * (kSeconds - seconds) : kRounds;
    batch = std::min(std::max(static_cast<long>(std::min<double>(fits, kRounds)), 1000L),
                     kRounds - rounds);
  }
  std::cout << "  " << rounds << " rounds of the benign workload in " << seconds << " s\n";

  auto stats = enforcer->Stats();
  ASSERT_THAT(stats, IsOk());
  PrintStats(*stats);
  int violations = 0;
  for (const Event& e : events) {
    if (e.kind() != Event::VIOLATION) continue;
    ++violations;
    std::cout << "  false positive: " << Describe(e) << "\n";
  }
  EXPECT_EQ(violations, 0);
  EXPECT_GT(stats->tracked, 0u) << "the workload's records";
  EXPECT_GT(stats->store_probes, 0u) << "no store of the module is checked at run time";
  EXPECT_GT(stats->store_checks, 0u) << "the workload ran no checked store";
  EXPECT_EQ(stats->store_violations, 0u);
  EXPECT_EQ(stats->violations, 0u);
  EXPECT_EQ(stats->kills, 0u);
}

// The three bad writes, each after its process's legitimate step.
enum class BadWrite {
  kPoke,       // VULN_POKE 64 bytes into a 64-byte object: the neighbour
  kPokeStale,  // VULN_FREE_KEEP, then VULN_POKE_STALE: the freed object
  kWrite,      // VULN_WRITE of 128 bytes into a 64-byte object
};

struct BadWriteCase {
  BadWrite bad;
  const char* function;   // where the bad store is
  uint64_t target_bytes;  // what it writes
};

// A child that opens the device, allocates its own object in `slot`, writes
// "1" to `step` (its legitimate step), makes the bad write, then writes "2"
// (its next step, which must never run). Exit codes 2 to 6: a step before
// the bad write failed.
pid_t StartBadWrite(BadWrite bad, uint32_t slot, int step) {
  pid_t pid = fork();
  if (pid != 0) return pid;
  int dev = open(kVulnmodDevice, O_RDWR);
  if (dev < 0) _exit(2);
  // VULN_WRITE's source: 64 bytes, then an unmapped page, so that the copy
  // faults at the end of the object and its neighbour is never written,
  // while the call asks for 128 bytes.
  const long page = sysconf(_SC_PAGESIZE);
  char* pages = static_cast<char*>(
      mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  if (pages == MAP_FAILED || munmap(pages + page, page) != 0) _exit(3);
  char* source = pages + page - 64;
  std::memset(source, 'x', 64);
  if (VulnRequest(dev, VULN_ALLOC, slot, 64) != 0) _exit(4);
  if (write(step, "1", 1) != 1) _exit(5);
  switch (bad) {
    case BadWrite::kPoke:
      VulnRequest(dev, VULN_POKE, slot, 64);
      break;
    case BadWrite::kPokeStale:
      if (VulnRequest(dev, VULN_FREE_KEEP, slot) != 0) _exit(6);
      VulnRequest(dev, VULN_POKE_STALE, 0, 0);
      break;
    case BadWrite::kWrite:
      VulnRequest(dev, VULN_WRITE, slot, 128, source);
      break;
  }
  (void)!write(step, "2", 1);  // the exploit's next step
  _exit(0);
}

// Frees `slot` from a child, which is in scope: a false positive kills the
// child, not the test. Its wait status.
int FreeSlot(uint32_t slot) {
  pid_t pid = fork();
  if (pid == 0) {
    int dev = open(kVulnmodDevice, O_RDWR);
    _exit(dev >= 0 && VulnRequest(dev, VULN_FREE, slot) == 0 ? 0 : 1);
  }
  int wstatus = -1;
  if (pid < 0 || waitpid(pid, &wstatus, 0) != pid) return -1;
  return wstatus;
}

// Each bad write is reported at its instruction, as a write into a kmalloc
// object, and its process killed before its next step. One enforcer sees
// all three (the policy does not quarantine). An object that is the last of
// its slab has its neighbour in another page, perhaps in no slab: that case
// is tried once more with another object, the first kept meanwhile (freed,
// the next allocation would return it).
TEST(EnforcerVulnmodTest, AccessChecksCatchOutOfBoundsWrites) {
  O2C_REQUIRE_KERNEL();
  std::vector<Event> events;
  std::unique_ptr<Enforcer> enforcer;
  ASSERT_NO_FATAL_FAILURE(AttachAccessChecks(&events, &enforcer));

  const BadWriteCase cases[] = {
      {BadWrite::kPoke, "vuln_poke", 8},
      {BadWrite::kPokeStale, "vuln_poke_stale", 8},
      {BadWrite::kWrite, "vuln_write", 128},
  };
  constexpr uint32_t kTries = 2;
  uint64_t tries = 0;
  for (const BadWriteCase& c : cases) {
    SCOPED_TRACE(c.function);
    // A killed child leaves its object in its slot: each try has its own,
    // and they are freed before the next case, so that no object of the
    // module (whose writes are allowed) is the next case's neighbour.
    uint32_t used = 0;
    while (used < kTries) {
      const uint32_t slot = used++;
      Pipe steps;
      ASSERT_EQ(pipe2(steps.fds, 0), 0);
      pid_t child = StartBadWrite(c.bad, slot, steps.fds[1]);
      ASSERT_GT(child, 0);
      ++tries;
      int wstatus = 0;
      ASSERT_EQ(waitpid(child, &wstatus, 0), child);
      close(steps.fds[1]);
      steps.fds[1] = -1;
      std::string seen;
      char ch;
      while (read(steps.fds[0], &ch, 1) == 1) seen += ch;
      close(steps.fds[0]);
      steps.fds[0] = -1;
      ASSERT_NO_FATAL_FAILURE(Drain(*enforcer));

      const Event* violation = nullptr;
      for (const Event& e : events) {
        if (e.kind() != Event::VIOLATION || e.tgid() != static_cast<uint32_t>(child)) continue;
        std::cout << "  violation: " << Describe(e) << "\n";
        if (violation == nullptr) violation = &e;
      }
      EXPECT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
          << "wait status " << wstatus
          << (WIFEXITED(wstatus) ? ", exit code " + std::to_string(WEXITSTATUS(wstatus)) : "");
      EXPECT_EQ(seen, "1") << "the exploit's next step ran, or its legitimate one did not";
      ASSERT_NE(violation, nullptr) << "no violation reported for " << c.function;
      if (violation->target_cache().empty() && c.bad != BadWrite::kPokeStale &&
          used < kTries) {
        std::cout << "  the neighbour is in no slab (the object was the last of its slab): "
                     "once more\n";
        continue;
      }
      EXPECT_EQ(violation->violation(), Event::VIOLATION_STORE);
      EXPECT_TRUE(absl::StartsWith(violation->site(), absl::StrCat(c.function, "+")))
          << violation->site();
      EXPECT_THAT(violation->stack(), Contains(HasSubstr("vuln_ioctl")));
      EXPECT_TRUE(absl::StartsWith(violation->target_cache(), "kmalloc-"))
          << "'" << violation->target_cache() << "': " << violation->target();
      EXPECT_NE(violation->target_address(), 0u);
      EXPECT_EQ(violation->target_bytes(), c.target_bytes);
      EXPECT_FALSE(violation->target().empty());
      EXPECT_FALSE(violation->downgraded()) << "the final phase is confirmed, the heap complete";
      EXPECT_THAT(violation->actions(), ElementsAre(Event::ACTION_AUDIT, Event::ACTION_KILL));
      break;
    }
    for (uint32_t slot = 0; slot < used; ++slot) {
      int wstatus = FreeSlot(slot);
      EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
          << "freeing slot " << slot << ": wait status " << wstatus;
    }
  }

  auto stats = enforcer->Stats();
  ASSERT_THAT(stats, IsOk());
  PrintStats(*stats);
  EXPECT_TRUE(stats->final_confirmed);
  EXPECT_FALSE(stats->heap_incomplete);
  EXPECT_GT(stats->store_probes, 0u);
  EXPECT_EQ(stats->store_violations, tries);
  EXPECT_EQ(stats->violations, tries);
  EXPECT_EQ(stats->kills, tries);
}

}  // namespace
}  // namespace o2c
