// Kernel tier: reading the running kernel's text (kcore or BPF) and decoding it.
#include "o2c/bpf/kernel/text_reader.h"

#include <Zydis/Zydis.h>

#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/kernel/call_sites.h"
#include "o2c/bpf/kernel/kallsyms.h"
#include "o2c/bpf/kernel/text_reader_bpf.h"
#include "testing/kernel_test.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::IsOk;

class KernelTextReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    O2C_REQUIRE_KERNEL();
    auto table = Kallsyms::FromFile();
    ASSERT_THAT(table, IsOk());
    kallsyms_ = std::make_unique<Kallsyms>(*std::move(table));
  }
  std::unique_ptr<Kallsyms> kallsyms_;
};

// The start of alloc_pipe_info decodes as instructions: the ftrace nop (or
// an endbr64) and the prologue, no undecodable byte.
TEST_F(KernelTextReaderTest, AllocPipeInfoDecodes) {
  auto reader = OpenKernelTextReader();
  ASSERT_THAT(reader, IsOk());
  auto range = kallsyms_->FunctionRange("alloc_pipe_info");
  ASSERT_THAT(range, IsOk());
  auto bytes = (*reader)->Read(range->start, 32);
  ASSERT_THAT(bytes, IsOk());
  ZydisDecoder decoder;
  ZydisDecoderInit(&decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
  ZydisDecodedInstruction insn;
  ZydisDecodedOperand operands[ZYDIS_MAX_OPERAND_COUNT];
  size_t offset = 0;
  int decoded = 0;
  while (offset < 16) {
    ASSERT_TRUE(ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder, bytes->data() + offset,
                                                    bytes->size() - offset, &insn,
                                                    operands)))
        << "alloc_pipe_info+" << offset << " does not decode ("
        << (*reader)->Describe() << ")";
    ASSERT_NE(insn.mnemonic, ZYDIS_MNEMONIC_INT3) << "alloc_pipe_info+" << offset;
    offset += insn.length;
    ++decoded;
  }
  std::cout << "read with " << (*reader)->Describe() << ": " << decoded
            << " instructions in alloc_pipe_info's first " << offset << " bytes\n";
  EXPECT_GE(decoded, 2);
}

// A whole function, longer than one page read, reads and contains calls.
TEST_F(KernelTextReaderTest, ReadsWholeFunctionsAcrossChunks) {
  auto reader = OpenBpfTextReader();
  ASSERT_THAT(reader, IsOk());
  auto range = kallsyms_->FunctionRange("alloc_pipe_info");
  ASSERT_THAT(range, IsOk());
  // Straddle the reader's 4 KiB chunks.
  auto big = (*reader)->Read(range->start, 6000);
  ASSERT_THAT(big, IsOk());
  auto small = (*reader)->Read(range->start, range->size());
  ASSERT_THAT(small, IsOk());
  EXPECT_TRUE(std::equal(small->begin(), small->end(), big->begin()));
  DecodedCalls calls = FindCalls(small->data(), small->size(), range->start);
  EXPECT_GE(calls.calls.size(), 2u);
}

TEST_F(KernelTextReaderTest, UnmappedAddressIsAnError) {
  auto reader = OpenBpfTextReader();
  ASSERT_THAT(reader, IsOk());
  // The kernel refuses user addresses (EFAULT, or ERANGE on newer kernels).
  auto bytes = (*reader)->Read(0x10, 8);
  ASSERT_FALSE(bytes.ok());
  EXPECT_THAT(std::string(bytes.status().message()),
              ::testing::HasSubstr("bpf_probe_read_kernel of 8 bytes at 0x10: "));
}

}  // namespace
}  // namespace o2c::bpf
