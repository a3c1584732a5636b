#include "o2c/bpf/codegen/tree_program.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "o2c/bpf/codegen/linear_codegen.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

using namespace insn;  // NOLINT

constexpr int16_t kVerdictOffset = O2C_OFFSETOF(struct o2c_audition, verdict);
// The packet form: verdict first, then the feature values.
constexpr int16_t kPacketFeatures = sizeof(o2c_verdict);
// XDP test runs take up to a page minus headroom and tailroom.
constexpr int32_t kMaxPacketFeatures = 400;

int32_t FeaturesRead(absl::Span<const ml::DecisionTree> model) {
  int32_t n = 0;
  for (const ml::DecisionTree& t : model) {
    for (const ml::TreeNode& node : t.nodes) n = std::max(n, node.feature + 1);
  }
  return n;
}

void EmitDecision(absl::Span<const ml::DecisionTree> model, const TreeFrame& frame,
                  const CodegenOptions& options, Emitter& e) {
  if (model.size() == 1) {
    EmitTree(model[0], frame, options, e);
  } else {
    EmitForest(model, frame, options, e);
  }
}

// A program of `form` around the decision code `decide` emits at a frame;
// the decision reads features [0, features_read).
absl::StatusOr<EmittedProgram> CompileForm(
    AuditionForm form, absl::string_view name, int32_t features_read,
    const std::function<void(const TreeFrame&, Emitter&)>& decide) {
  Emitter e{std::string(name)};
  switch (form) {
    case AuditionForm::kSyscall:
      e.Emit(Mov64Imm(R0, 0));
      // 6.1 refuses BPF_ST into a SYSCALL ctx.
      decide({.base = R1, .features_offset = 0, .verdict_offset = kVerdictOffset,
              .imm_stores = false},
             e);
      break;
    case AuditionForm::kTailCall: {
      // The tree is a subprogram: its leaves `exit` back here, whatever its
      // size, and the tail call to the continuation follows once.
      Label out = e.NewLabel(), tree = e.NewLabel();
      e.Emit(Mov64Reg(R6, R1));
      e.Emit(StMem(BPF_W, R10, -4, 0));
      e.Emit(Mov64Reg(R2, R10));
      e.Emit(Alu64Imm(BPF_ADD, R2, -4));
      e.LdMap(R1, kScratchMapSlot);
      e.Emit(Call(BPF_FUNC_map_lookup_elem));
      e.JumpImm(BPF_JEQ, R0, 0, out);
      e.Emit(Mov64Reg(R1, R0));
      e.CallSubprog(tree);
      e.Emit(Mov64Reg(R1, R6));
      e.LdMap(R2, kProgArraySlot);
      e.Emit(Mov64Imm(R3, O2C_AUDITION_SLOT_VERDICT));
      e.Emit(Call(BPF_FUNC_tail_call));
      e.Bind(out);
      e.Emit(Mov64Imm(R0, 0));
      e.Emit(Exit());
      e.Bind(tree);
      e.Emit(Mov64Imm(R0, 0));
      decide({.base = R1, .features_offset = 0, .verdict_offset = kVerdictOffset}, e);
      break;
    }
    case AuditionForm::kPacket: {
      const int32_t features = features_read;
      if (features > kMaxPacketFeatures) {
        return absl::InvalidArgumentError(
            absl::StrCat("prog '", name, "': the packet form carries at most ",
                         kMaxPacketFeatures, " features; the model reads ", features));
      }
      e.Emit(Mov64Imm(R0, XDP_PASS));
      e.Emit(LdxMem(BPF_W, R2, R1, offsetof(xdp_md, data)));
      e.Emit(LdxMem(BPF_W, R3, R1, offsetof(xdp_md, data_end)));
      e.Emit(Mov64Reg(R1, R2));
      e.Emit(Alu64Imm(BPF_ADD, R1, kPacketFeatures + 8 * features));
      Label fits = e.NewLabel();
      e.JumpReg(BPF_JLE, R1, R3, fits);
      e.Emit(Exit());
      e.Bind(fits);
      decide({.base = R2, .features_offset = kPacketFeatures, .verdict_offset = 0}, e);
      break;
    }
  }
  O2C_ASSIGN_OR_RETURN(EmittedProgram program, e.Finish());
  if (program.insns.size() > kMaxVerifiedInsns) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "prog '", name, "': ", program.insns.size(),
        " instructions; the verifier processes at most ", kMaxVerifiedInsns));
  }
  return program;
}

}  // namespace

bool KernelHasLongJumps() {
  static const bool has = [] {
    // gotol +1 over a read of uninitialized r5, which is reachable in the
    // control-flow graph (from the never-taken branch) but must not be
    // reached: a kernel that ignores the 32-bit offset (using `off`, 0)
    // falls into the read and refuses.
    RawProgram probe{.name = "o2c_gotol",
                     .type = BPF_PROG_TYPE_SOCKET_FILTER,
                     .insns = {Mov64Imm(R0, 0), JmpImm(BPF_JNE, R0, 0, 1), JaLong(1),
                               Mov64Reg(R0, R5), Exit()}};
    return LoadRawProgram(probe).ok();
  }();
  return has;
}

absl::StatusOr<EmittedProgram> CompileAudition(absl::Span<const ml::DecisionTree> model,
                                               AuditionForm form, const CodegenOptions& options,
                                               absl::string_view name) {
  if (model.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("prog '", name, "': empty model"));
  }
  return CompileForm(form, name, FeaturesRead(model), [&](const TreeFrame& frame, Emitter& e) {
    EmitDecision(model, frame, options, e);
  });
}

absl::StatusOr<EmittedProgram> CompileLinearAudition(const ml::FixedPointLogistic& model,
                                                     AuditionForm form, absl::string_view name) {
  if (model.weights.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("prog '", name, "': empty model"));
  }
  return CompileForm(form, name, static_cast<int32_t>(model.weights.size()),
                     [&](const TreeFrame& frame, Emitter& e) { EmitLinear(model, frame, e); });
}

absl::StatusOr<ScopedFd> LoadAudition(const EmittedProgram& program, AuditionForm form,
                                      absl::Span<const int> map_fds, absl::string_view hook,
                                      LoadStats* stats) {
  O2C_ASSIGN_OR_RETURN(std::vector<bpf_insn> insns, program.WithMapFds(map_fds));
  RawProgram raw{.name = program.name, .insns = std::move(insns)};
  switch (form) {
    case AuditionForm::kSyscall:
      raw.type = BPF_PROG_TYPE_SYSCALL;
      raw.prog_flags = BPF_F_SLEEPABLE;
      break;
    case AuditionForm::kTailCall: {
      // A raw_tp tracker (kernels whose tp_btf cannot read the object
      // pointer) needs a raw_tp tree: tail calls keep the program type.
      if (absl::ConsumePrefix(&hook, "raw_tp/")) {
        raw.type = BPF_PROG_TYPE_RAW_TRACEPOINT;
        break;
      }
      // A site-probe tracker runs as kprobes.
      if (absl::ConsumePrefix(&hook, "kprobe/")) {
        raw.type = BPF_PROG_TYPE_KPROBE;
        break;
      }
      absl::ConsumePrefix(&hook, "tp_btf/");
      raw.type = BPF_PROG_TYPE_TRACING;
      raw.expected_attach_type = BPF_TRACE_RAW_TP;
      std::string tp(hook);
      int id = libbpf_find_vmlinux_btf_id(tp.c_str(), BPF_TRACE_RAW_TP);
      if (id < 0) {
        return LibbpfError(id, absl::StrCat("prog '", program.name, "': BTF id of tp_btf/", tp));
      }
      raw.attach_btf_id = id;
      break;
    }
    case AuditionForm::kPacket:
      raw.type = BPF_PROG_TYPE_XDP;
      break;
  }
  return LoadRawProgram(raw, stats);
}

absl::StatusOr<o2c_verdict> RunSyscallAudition(int prog_fd, absl::Span<const int64_t> features) {
  if (features.size() > O2C_MAX_FEATURES) {
    return absl::InvalidArgumentError(
        absl::StrCat(features.size(), " features; at most ", O2C_MAX_FEATURES));
  }
  // 8 KB: on the heap.
  auto ctx = std::make_unique<o2c_audition>();
  std::memset(ctx.get(), 0, sizeof(o2c_audition));
  std::copy(features.begin(), features.end(), ctx->features.value);
  ctx->features.count = features.size();
  ctx->verdict = {-1, -1};
  LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = ctx.get(), .ctx_size_in = sizeof(o2c_audition));
  if (bpf_prog_test_run_opts(prog_fd, &run) != 0) {
    return LibbpfError(-errno, "audition: BPF_PROG_TEST_RUN");
  }
  return ctx->verdict;
}

std::vector<uint8_t> AuditionPacket(absl::Span<const int64_t> features) {
  std::vector<uint8_t> packet(kPacketFeatures + 8 * features.size());
  o2c_verdict unset = {-1, -1};
  std::memcpy(packet.data(), &unset, sizeof(unset));
  std::memcpy(packet.data() + kPacketFeatures, features.data(), 8 * features.size());
  return packet;
}

absl::StatusOr<double> RunPacketAudition(int prog_fd, absl::Span<const uint8_t> packet,
                                         uint32_t repeat, o2c_verdict* verdict) {
  std::vector<uint8_t> out(packet.size());
  LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = packet.data(),
              .data_out = out.data(), .data_size_in = static_cast<uint32_t>(packet.size()),
              .data_size_out = static_cast<uint32_t>(out.size()),
              .repeat = static_cast<int>(repeat));
  if (bpf_prog_test_run_opts(prog_fd, &run) != 0) {
    return LibbpfError(-errno, "audition: BPF_PROG_TEST_RUN (xdp)");
  }
  if (verdict != nullptr) std::memcpy(verdict, out.data(), sizeof(*verdict));
  return static_cast<double>(run.duration);
}

}  // namespace o2c::bpf
