#include "o2c/bpf/kernel/text_reader_bpf.h"

#include <bpf/bpf.h>

#include <algorithm>
#include <cstddef>

#include "absl/strings/str_cat.h"
#include "o2c/bpf/codegen/emitter.h"
#include "o2c/bpf/codegen/insn.h"
#include "o2c/bpf/loader/program_loader.h"
#include "o2c/internal/status_macros.h"

namespace o2c::bpf {
namespace {

constexpr uint32_t kChunk = 4096;

// The program's context: what to read in, the helper's result out. The bytes
// go to a one-entry array map: bpf_probe_read_kernel cannot write to ctx.
struct ReadRequest {
  uint64_t address;
  uint32_t size;    // 1..kChunk
  int32_t result;   // bpf_probe_read_kernel's return value
};
static_assert(offsetof(ReadRequest, size) == 8, "ReadRequest.size");
static_assert(offsetof(ReadRequest, result) == 12, "ReadRequest.result");

// Not thread-safe: one map holds the chunk between the run and the lookup.
class BpfTextReader : public KernelTextReader {
 public:
  BpfTextReader(ScopedFd prog, ScopedFd map) : prog_(std::move(prog)), map_(std::move(map)) {}

  absl::StatusOr<std::vector<uint8_t>> Read(uint64_t address, size_t size) const override {
    std::vector<uint8_t> out;
    out.reserve(size);
    std::vector<uint8_t> chunk(kChunk);
    while (out.size() < size) {
      uint64_t at = address + out.size();
      uint32_t n = static_cast<uint32_t>(std::min<size_t>(kChunk, size - out.size()));
      ReadRequest request{at, n, -1};
      LIBBPF_OPTS(bpf_test_run_opts, run, .ctx_in = &request,
                  .ctx_size_in = sizeof(request));
      if (bpf_prog_test_run_opts(prog_.get(), &run) != 0) {
        return LibbpfError(-errno, absl::StrCat("prog 'o2c_text_read': test run at 0x",
                                                absl::Hex(at)));
      }
      if (request.result != 0) {
        return absl::ErrnoToStatus(-request.result,
                                   absl::StrCat("bpf_probe_read_kernel of ", n,
                                                " bytes at 0x", absl::Hex(at)));
      }
      uint32_t key = 0;
      if (bpf_map_lookup_elem(map_.get(), &key, chunk.data()) != 0) {
        return LibbpfError(-errno, "map 'o2c_text': lookup");
      }
      out.insert(out.end(), chunk.begin(), chunk.begin() + n);
    }
    return out;
  }

  std::string Describe() const override {
    return "bpf_probe_read_kernel (syscall program, BPF_PROG_TEST_RUN)";
  }

 private:
  ScopedFd prog_;
  ScopedFd map_;
};

}  // namespace

absl::StatusOr<EmittedProgram> KernelTextReaderProgram() {
  using namespace insn;  // NOLINT: the instruction factories read like assembly
  Emitter e("o2c_text_read");
  Label out = e.NewLabel();
  e.Emit(Mov64Reg(R6, R1));                                    // r6 = ctx
  e.Emit(LdxMem(BPF_W, R7, R6, offsetof(ReadRequest, size)));  // r7 = size
  e.JumpImm(BPF_JEQ, R7, 0, out);                              // nothing to read
  e.JumpImm(BPF_JGT, R7, kChunk, out);                         // bounds the helper's size
  e.Emit(StMem(BPF_W, R10, -4, 0));                            // key = 0
  e.LdMap(R1, 0);
  e.Emit(Mov64Reg(R2, R10));
  e.Emit(Alu64Imm(BPF_ADD, R2, -4));
  e.Emit(Call(BPF_FUNC_map_lookup_elem));
  e.JumpImm(BPF_JEQ, R0, 0, out);
  e.Emit(Mov64Reg(R1, R0));                                    // dst: the map value
  e.Emit(Mov64Reg(R2, R7));
  e.Emit(LdxMem(BPF_DW, R3, R6, offsetof(ReadRequest, address)));
  e.Emit(Call(BPF_FUNC_probe_read_kernel));
  e.Emit(StxMem(BPF_W, R6, R0, offsetof(ReadRequest, result)));
  e.Bind(out);
  e.Emit(Mov64Imm(R0, 0));
  e.Emit(Exit());
  return e.Finish();
}

absl::StatusOr<std::unique_ptr<KernelTextReader>> OpenBpfTextReader() {
  RawProgram program;
  program.name = "o2c_text_read";
  program.type = BPF_PROG_TYPE_SYSCALL;
  program.prog_flags = BPF_F_SLEEPABLE;  // syscall programs are loaded sleepable
  ScopedFd map(bpf_map_create(BPF_MAP_TYPE_ARRAY, "o2c_text", sizeof(uint32_t), kChunk,
                              1, nullptr));
  if (!map.valid()) return LibbpfError(-errno, "map 'o2c_text': create");
  O2C_ASSIGN_OR_RETURN(EmittedProgram emitted, KernelTextReaderProgram());
  O2C_ASSIGN_OR_RETURN(program.insns, emitted.WithMapFds({map.get()}));
  O2C_ASSIGN_OR_RETURN(ScopedFd fd, LoadRawProgram(program));
  return std::unique_ptr<KernelTextReader>(new BpfTextReader(std::move(fd), std::move(map)));
}

}  // namespace o2c::bpf
