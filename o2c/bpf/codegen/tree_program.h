// Audition programs: a decision tree (or forest) compiled into a whole BPF
// program of one of three forms, loaded and run.
//
// - kSyscall: BPF_PROG_TYPE_SYSCALL (sleepable); the ctx is struct
//   o2c_audition (audition.h). Run with BPF_PROG_TEST_RUN: features in, the
//   kernel copies the ctx back with the verdict. For tests and the CLI.
// - kTailCall: a tp_btf program (BPF_PROG_TYPE_TRACING, BPF_TRACE_RAW_TP) on
//   the hook of the tracking program that tail-calls it (or a raw_tp
//   program, to match a raw_tp tracker): it reads the
//   features from the per-CPU scratch map (map slot 0, one struct
//   o2c_audition), writes the verdict there and tail-calls slot
//   O2C_AUDITION_SLOT_VERDICT of the prog array (map slot 1). Kernels that
//   tie tail calls to an attach point need one copy per hook.
// - kPacket: an XDP program whose packet is struct o2c_verdict followed by
//   the feature values. Only for benchmarks: XDP test runs take `repeat`
//   and time the loop in the kernel (SYSCALL test runs take neither).
#ifndef O2C_BPF_CODEGEN_TREE_PROGRAM_H_
#define O2C_BPF_CODEGEN_TREE_PROGRAM_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/bpf/loader/scoped_fd.h"
#include "o2c/bpf/codegen/tree_codegen.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/logistic_regression.h"

namespace o2c::bpf {

enum class AuditionForm { kSyscall, kTailCall, kPacket };

// Map slots of the kTailCall form (EmittedProgram::WithMapFds order).
inline constexpr uint32_t kScratchMapSlot = 0;  // per-CPU array, one o2c_audition
inline constexpr uint32_t kProgArraySlot = 1;   // prog array, O2C_AUDITION_SLOTS

// Where the verifier would refuse: compiled programs above this size are
// refused before loading (BPF_COMPLEXITY_LIMIT_INSNS; a tree's code is
// verified once per instruction, so processed ~ size).
inline constexpr size_t kMaxVerifiedInsns = 1000000;

// Whether the running kernel accepts gotol (BPF_JMP32 | BPF_JA, a 32-bit
// jump). Probed once by loading a three-instruction program.
bool KernelHasLongJumps();

// Compiles `model` (one tree, or a majority-vote forest of several) into a
// program of `form`. `name` names it in errors and in `bpftool prog`.
absl::StatusOr<EmittedProgram> CompileAudition(absl::Span<const ml::DecisionTree> model,
                                               AuditionForm form, const CodegenOptions& options,
                                               absl::string_view name = "o2c_audition");

// Compiles a fixed-point logistic regression (linear_codegen.h) into a
// program of `form`, the same forms and verdict as a tree's (leaf id -1).
absl::StatusOr<EmittedProgram> CompileLinearAudition(const ml::FixedPointLogistic& model,
                                                     AuditionForm form,
                                                     absl::string_view name = "o2c_linear");

// Loads a compiled program of `form`. kTailCall needs `map_fds` for its two
// map slots, and the hook it serves: a tp_btf name ("kfree" or
// "tp_btf/kfree"), or "raw_tp/kfree" for a BPF_PROG_TYPE_RAW_TRACEPOINT tree.
absl::StatusOr<ScopedFd> LoadAudition(const EmittedProgram& program, AuditionForm form,
                                      absl::Span<const int> map_fds = {},
                                      absl::string_view hook = "kfree",
                                      LoadStats* stats = nullptr);

// Runs a kSyscall program once on `features` (at most O2C_MAX_FEATURES).
absl::StatusOr<o2c_verdict> RunSyscallAudition(int prog_fd, absl::Span<const int64_t> features);

// The packet of the kPacket form for `features`.
std::vector<uint8_t> AuditionPacket(absl::Span<const int64_t> features);

// Runs an XDP program (kPacket form, or the map-walking interpreter) on
// `packet` `repeat` times in the kernel; returns the kernel's mean ns per
// run and stores the verdict of the last run.
absl::StatusOr<double> RunPacketAudition(int prog_fd, absl::Span<const uint8_t> packet,
                                         uint32_t repeat, o2c_verdict* verdict);

}  // namespace o2c::bpf

#endif  // O2C_BPF_CODEGEN_TREE_PROGRAM_H_
