// Where a tracing program finds this CPU's preempt_count without a ksym.
//
// preempt_count is a per-CPU variable (`__preempt_count`, or
// `pcpu_hot.preempt_count` on 6.2 to 6.14). A typed ksym would be simplest,
// but the verifier resolves it through kallsyms, which lists per-CPU data
// only with CONFIG_KALLSYMS_ALL. A program can reach another per-CPU
// variable of its CPU, `runqueues`, through current's scheduling entity;
// both sit in the same per-CPU section, whose layout vmlinux BTF gives (the
// .data..percpu DATASEC), so one fixed distance leads from one to the other.
#ifndef O2C_BPF_LOADER_PREEMPT_COUNT_H_
#define O2C_BPF_LOADER_PREEMPT_COUNT_H_

#include <bpf/btf.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace o2c::bpf {

// Bytes from a CPU's `runqueues` to its preempt_count, read from `vmlinux`
// (not owned). NotFound naming the variable when the BTF lacks one.
absl::StatusOr<int64_t> PreemptCountFromRunqueues(const btf* vmlinux);

// Likewise from the running kernel's BTF (/sys/kernel/btf/vmlinux).
absl::StatusOr<int64_t> PreemptCountFromRunqueues();

}  // namespace o2c::bpf

#endif  // O2C_BPF_LOADER_PREEMPT_COUNT_H_
