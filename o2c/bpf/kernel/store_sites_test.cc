#include "o2c/bpf/kernel/store_sites.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"
#include "o2c/bpf/kernel/kallsyms.h"

namespace o2c::bpf {
namespace {

constexpr uint64_t kBase = 0xffffffff81000000;
constexpr uint64_t kMemset = kBase + 0x5000;

// Hand-assembled x86-64 (checked with objdump -D -b binary -mi386:x86-64
// --adjust-vma=kBase), a function with one instance of each kind of store.
const uint8_t kCode[] = {
    0x55,                                            // +0x00 push rbp
    0x48, 0x89, 0xe5,                                // +0x01 mov rbp, rsp
    0x48, 0x89, 0x44, 0x24, 0x08,                    // +0x04 mov [rsp+0x8], rax
    0x48, 0x89, 0x7d, 0xf0,                          // +0x09 mov [rbp-0x10], rdi
    0x89, 0x05, 0xed, 0x0f, 0x00, 0x00,              // +0x0d mov [rip+0xfed], eax (kBase+0x1000)
    0x89, 0x04, 0x25, 0x10, 0x10, 0x00, 0x81,        // +0x13 mov [0xffffffff81001010], eax
    0x89, 0x05, 0xe0, 0x2f, 0x00, 0x00,              // +0x1a mov [rip+0x2fe0], eax (kBase+0x3000)
    0x65, 0x48, 0x89, 0x04, 0x25, 0x34, 0x12, 0x00, 0x00,  // +0x20 mov gs:[0x1234], rax
    0x48, 0x89, 0x43, 0x10,                          // +0x29 mov [rbx+0x10], rax
    0xf0, 0x48, 0x0f, 0xb1, 0x37,                    // +0x2d lock cmpxchg [rdi], rsi
    0xf3, 0xaa,                                      // +0x32 rep stosb
    0xe8, 0xc7, 0x4f, 0x00, 0x00,                    // +0x34 call kBase+0x5000 (memset)
    0xe8, 0xc2, 0x5f, 0x00, 0x00,                    // +0x39 call kBase+0x6000 (no helper)
    0x48, 0x8d, 0x43, 0x08,                          // +0x3e lea rax, [rbx+0x8]
    0x0f, 0x11, 0x02,                                // +0x42 movups [rdx], xmm0
    0x83, 0x01, 0x01,                                // +0x45 add dword [rcx], 0x1
    0x0f, 0x1f, 0x04, 0x00,                          // +0x48 nop dword [rax+rax*1]
    0x0f, 0x0d, 0x08,                                // +0x4c prefetchw [rax]
    0x48, 0x8b, 0x06,                                // +0x4f mov rax, [rsi]
    0x5d,                                            // +0x52 pop rbp
    0x48, 0x89, 0x45, 0x08,                          // +0x53 mov [rbp+0x8], rax
    0xc6, 0x04, 0x04, 0x00,                          // +0x57 mov byte [rsp+rax*1], 0x0
    0x41, 0x0f, 0x94, 0x44, 0x24, 0x08,              // +0x5b sete [r12+0x8]
    0x49, 0x87, 0x45, 0x00,                          // +0x61 xchg [r13+0x0], rax
    0x48, 0xa5,                                      // +0x65 movsq
    0xe9, 0x94, 0x4f, 0x00, 0x00,                    // +0x67 jmp kBase+0x5000 (memset)
    0xc3,                                            // +0x6c ret
};

StoreContext Context() {
  StoreContext ctx;
  ctx.own_data = {{kBase + 0x1000, kBase + 0x1008, "pipe_mnt"},
                  {kBase + 0x1010, kBase + 0x1020, ""}};
  ctx.helpers = {{kMemset, "memset"}};
  return ctx;
}

struct Expected {
  uint64_t offset;
  StoreClass cls;
  const char* reason;
  uint8_t width;
};

TEST(FindStoresTest, ClassifiesEveryStore) {
  StoreAnalysis found = FindStores(kCode, sizeof(kCode), kBase, Context());
  const Expected expected[] = {
      {0x04, StoreClass::kStackFrame, "rsp-relative: the current frame", 8},
      {0x09, StoreClass::kStackFrame, "rbp-relative: the current frame", 8},
      {0x0d, StoreClass::kOwnData, "rip-relative into own data pipe_mnt", 4},
      {0x13, StoreClass::kOwnData, "absolute address into own data range[1]", 4},
      {0x1a, StoreClass::kFixedAddress, "rip-relative 0xffffffff81003000, not own data", 4},
      {0x20, StoreClass::kFixedAddress, "per-CPU (gs:) address 0x1234", 8},
      {0x29, StoreClass::kRuntime, "through rbx", 8},
      {0x2d, StoreClass::kRuntime, "through rdi", 8},
      {0x32, StoreClass::kRuntime, "string store through rdi", 1},
      {0x34, StoreClass::kHelperCall, "call memset: destination rdi", 0},
      {0x42, StoreClass::kRuntime, "through rdx", 16},
      {0x45, StoreClass::kRuntime, "through rcx", 4},
      // After `pop rbp` rbp is no frame pointer.
      {0x53, StoreClass::kRuntime, "through rbp (no frame pointer set up)", 8},
      {0x57, StoreClass::kRuntime, "through rsp + rax*1", 1},
      {0x5b, StoreClass::kRuntime, "through r12", 1},
      {0x61, StoreClass::kRuntime, "through r13", 8},
      {0x65, StoreClass::kRuntime, "string store through rdi", 8},
      {0x67, StoreClass::kHelperCall, "jmp memset (tail call): destination rdi", 0},
  };
  ASSERT_EQ(found.sites.size(), std::size(expected));
  for (size_t i = 0; i < std::size(expected); ++i) {
    SCOPED_TRACE(found.sites[i].text);
    EXPECT_EQ(found.sites[i].address, kBase + expected[i].offset);
    EXPECT_EQ(found.sites[i].cls, expected[i].cls);
    EXPECT_EQ(found.sites[i].reason, expected[i].reason);
    EXPECT_EQ(found.sites[i].width_bytes, expected[i].width);
  }
  EXPECT_EQ(found.count(StoreClass::kStackFrame), 2u);
  EXPECT_EQ(found.count(StoreClass::kOwnData), 2u);
  EXPECT_EQ(found.count(StoreClass::kFixedAddress), 2u);
  EXPECT_EQ(found.count(StoreClass::kRuntime), 10u);
  EXPECT_EQ(found.count(StoreClass::kHelperCall), 2u);
  EXPECT_EQ(found.undecodable_bytes, 0u);

  // Lengths, targets and the instruction's text.
  EXPECT_EQ(found.sites[0].length, 5u);
  EXPECT_EQ(found.sites[0].text, "mov [rsp+0x08], rax");
  EXPECT_EQ(found.sites[2].target, kBase + 0x1000);
  EXPECT_EQ(found.sites[3].target, kBase + 0x1010);
  EXPECT_EQ(found.sites[2].text, "mov [0xffffffff81001000], eax");  // rip-relative, resolved
  EXPECT_EQ(found.sites[5].target, 0x1234u);
  EXPECT_EQ(found.sites[5].text, "mov gs:[0x1234], rax");
  EXPECT_EQ(found.sites[6].text, "mov [rbx+0x10], rax");
  EXPECT_EQ(found.sites[9].target, kMemset);
}

void ExpectOperand(const StoreSite& site, int8_t base, int8_t index, uint8_t scale,
                   int64_t displacement, int8_t length_register, uint8_t length_scale) {
  SCOPED_TRACE(site.text);
  EXPECT_EQ(site.operand.base, base);
  EXPECT_EQ(site.operand.index, index);
  EXPECT_EQ(site.operand.scale, scale);
  EXPECT_EQ(site.operand.displacement, displacement);
  EXPECT_EQ(site.operand.length_register, length_register);
  EXPECT_EQ(site.operand.length_scale, length_scale);
}

constexpr int8_t kRax = 0, kRcx = 1, kRdx = 2, kRbx = 3, kRsp = 4, kRdi = 7, kR12 = 12;

TEST(FindStoresTest, RuntimeAndHelperSitesCarryTheirOperand) {
  StoreAnalysis found = FindStores(kCode, sizeof(kCode), kBase, Context());
  ASSERT_EQ(found.sites.size(), 18u);
  ExpectOperand(found.sites[6], kRbx, kNoRegister, 1, 0x10, kNoRegister, 1);  // [rbx+0x10]
  ExpectOperand(found.sites[8], kRdi, kNoRegister, 1, 0, kRcx, 1);            // rep stosb
  ExpectOperand(found.sites[9], kRdi, kNoRegister, 1, 0, kRdx, 1);            // call memset
  ExpectOperand(found.sites[13], kRsp, kRax, 1, 0, kNoRegister, 1);           // [rsp+rax*1]
  ExpectOperand(found.sites[16], kRdi, kNoRegister, 1, 0, kNoRegister, 1);    // movsq
  // Classes checked before run time have none.
  for (size_t i : {0, 2, 5}) {
    ExpectOperand(found.sites[i], kNoRegister, kNoRegister, 1, 0, kNoRegister, 1);
  }
}

TEST(FindStoresTest, OperandsOfAddressForms) {
  const uint8_t code[] = {
      0x48, 0x89, 0x44, 0xcb, 0x10,                    // +0x00 mov [rbx+rcx*8+0x10], rax
      0x49, 0xc7, 0x44, 0x24, 0xf8, 0, 0, 0, 0,        // +0x05 mov qword [r12-0x8], 0x0
      0xf3, 0x48, 0xab,                                // +0x0e rep stosq
      0x48, 0xab,                                      // +0x11 stosq
      0x67, 0x89, 0x43, 0x10,                          // +0x13 mov [ebx+0x10], eax
      0x89, 0x0c, 0x85, 0x20, 0x00, 0x00, 0x00,        // +0x17 mov [rax*4+0x20], ecx
      0x65, 0x48, 0x89, 0x18,                          // +0x1e mov gs:[rax], rbx
      0xe8, 0xd9, 0x4f, 0x00, 0x00,                    // +0x22 call kBase+0x5000 (memcpy)
      0xe8, 0xd4, 0x50, 0x00, 0x00,                    // +0x27 call kBase+0x5100
      0xe9, 0xcf, 0x51, 0x00, 0x00,                    // +0x2c jmp kBase+0x5200 (strcpy)
  };
  StoreContext ctx;
  ctx.helpers = {{kBase + 0x5000, "memcpy"},
                 {kBase + 0x5100, "rep_movs_alternative", kRcx},
                 {kBase + 0x5200, "strcpy", kNoRegister}};
  StoreAnalysis found = FindStores(code, sizeof(code), kBase, ctx);
  ASSERT_EQ(found.sites.size(), 10u);
  EXPECT_EQ(found.count(StoreClass::kRuntime), 7u);
  EXPECT_EQ(found.count(StoreClass::kHelperCall), 3u);
  ExpectOperand(found.sites[0], kRbx, kRcx, 8, 0x10, kNoRegister, 1);
  EXPECT_EQ(found.sites[0].width_bytes, 8u);
  ExpectOperand(found.sites[1], kR12, kNoRegister, 1, -8, kNoRegister, 1);
  ExpectOperand(found.sites[2], kRdi, kNoRegister, 1, 0, kRcx, 8);  // rcx qwords
  ExpectOperand(found.sites[3], kRdi, kNoRegister, 1, 0, kNoRegister, 1);
  EXPECT_EQ(found.sites[3].width_bytes, 8u);
  ExpectOperand(found.sites[4], kRbx, kNoRegister, 1, 0x10, kNoRegister, 1);  // ebx as rbx
  ExpectOperand(found.sites[5], kNoRegister, kRax, 4, 0x20, kNoRegister, 1);
  // The gs base is in no register: no operand to compute.
  EXPECT_EQ(found.sites[6].cls, StoreClass::kRuntime);
  ExpectOperand(found.sites[6], kNoRegister, kNoRegister, 1, 0, kNoRegister, 1);
  ExpectOperand(found.sites[7], kRdi, kNoRegister, 1, 0, kRdx, 1);
  ExpectOperand(found.sites[8], kRdi, kNoRegister, 1, 0, kRcx, 1);
  ExpectOperand(found.sites[9], kRdi, kNoRegister, 1, 0, kNoRegister, 1);
}

TEST(FindStoreHelpersTest, TextSymbolsOfTheKnownHelpersEveryAddress) {
  absl::StatusOr<Kallsyms> kallsyms = Kallsyms::FromText(
      "ffffffff81000000 T rep_movs_alternative\n"
      "ffffffff81000100 t memset\n"
      "ffffffff81000200 T memcpy\n"
      "ffffffff81000300 t memset\n"
      "ffffffff81000400 T not_a_helper\n"
      "ffffffff82000000 D strcpy\n");
  ASSERT_TRUE(kallsyms.ok()) << kallsyms.status();
  std::vector<StoreHelper> helpers = FindStoreHelpers(*kallsyms);
  ASSERT_EQ(helpers.size(), 4u);
  EXPECT_EQ(helpers[0].name, "memcpy");
  EXPECT_EQ(helpers[0].address, 0xffffffff81000200u);
  EXPECT_EQ(helpers[0].length_register, kRdx);
  EXPECT_EQ(helpers[1].name, "memset");
  EXPECT_EQ(helpers[1].address, 0xffffffff81000100u);
  EXPECT_EQ(helpers[2].address, 0xffffffff81000300u);
  EXPECT_EQ(helpers[3].name, "rep_movs_alternative");
  EXPECT_EQ(helpers[3].length_register, kRcx);
}

TEST(FindStoresTest, WithoutOwnDataOrHelpersFixedAddressesAndNoHelperCalls) {
  StoreAnalysis found = FindStores(kCode, sizeof(kCode), kBase, StoreContext{});
  EXPECT_EQ(found.count(StoreClass::kOwnData), 0u);
  EXPECT_EQ(found.count(StoreClass::kFixedAddress), 4u);
  EXPECT_EQ(found.count(StoreClass::kHelperCall), 0u);
  EXPECT_EQ(found.sites.size(), 16u);
  EXPECT_EQ(found.sites[2].reason, "rip-relative 0xffffffff81001000, not own data");
  EXPECT_EQ(found.sites[3].reason, "absolute address 0xffffffff81001010, not own data");
}

TEST(FindStoresTest, RbpIsAGeneralRegisterWithoutAFramePointer) {
  const uint8_t code[] = {
      0x55,                    // push rbp
      0x48, 0x89, 0x7d, 0xf0,  // mov [rbp-0x10], rdi
  };
  StoreAnalysis found = FindStores(code, sizeof(code), kBase, StoreContext{});
  ASSERT_EQ(found.sites.size(), 1u);
  EXPECT_EQ(found.sites[0].cls, StoreClass::kRuntime);
}

TEST(FindStoresTest, PerCpuStoresAreFixedUnlessThroughARegister) {
  const uint8_t code[] = {
      0x65, 0x89, 0x05, 0x00, 0x01, 0x00, 0x00,  // +0x0 mov gs:[rip+0x100], eax (offset 0x107)
      0x65, 0x48, 0x89, 0x18,                    // +0x7 mov gs:[rax], rbx
  };
  StoreContext ctx;
  ctx.own_data = {{0, 0x1000, "zero-based"}};  // per-CPU offsets are never own data
  StoreAnalysis found = FindStores(code, sizeof(code), 0, ctx);
  ASSERT_EQ(found.sites.size(), 2u);
  EXPECT_EQ(found.sites[0].cls, StoreClass::kFixedAddress);
  EXPECT_EQ(found.sites[0].reason, "per-CPU (gs:) address 0x107");
  EXPECT_EQ(found.sites[0].target, 0x107u);
  EXPECT_EQ(found.sites[1].cls, StoreClass::kRuntime);
  EXPECT_EQ(found.sites[1].reason, "gs-relative through rax");
}

TEST(FindStoresTest, TrailingZerosArePaddingNotStores) {
  // A module function's range runs to the next symbol: zeros after its last
  // instruction would each decode as `add [rax], al`. A last instruction that
  // itself ends in zero bytes is still whole.
  const uint8_t code[] = {
      0x48, 0x89, 0x07,                    // +0x0 mov [rdi], rax
      0xc7, 0x06, 0x00, 0x00, 0x00, 0x00,  // +0x3 mov dword [rsi], 0x0
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // padding
  };
  StoreAnalysis found = FindStores(code, sizeof(code), kBase, StoreContext());
  ASSERT_EQ(found.sites.size(), 2u);
  EXPECT_EQ(found.sites[1].address, kBase + 0x3);
  EXPECT_EQ(found.sites[1].length, 6u);
  EXPECT_EQ(found.undecodable_bytes, 0u);
}

TEST(FindStoresTest, SkipsAndCountsBytesThatDoNotDecode) {
  const uint8_t code[] = {
      0x06,                    // +0 (bad): push es is invalid in 64-bit mode
      0x27,                    // +1 (bad): daa likewise
      0x48, 0x89, 0x43, 0x10,  // +2 mov [rbx+0x10], rax
      0x48, 0x89,              // +6 a mov cut off: two bytes skipped
  };
  StoreAnalysis found = FindStores(code, sizeof(code), kBase, StoreContext{});
  EXPECT_EQ(found.undecodable_bytes, 4u);
  ASSERT_EQ(found.sites.size(), 1u);
  EXPECT_EQ(found.sites[0].address, kBase + 2);
  EXPECT_EQ(found.sites[0].reason, "through rbx");
}

TEST(FormatStoreReportTest, OneLinePerSiteAndASummary) {
  StoreAnalysis found = FindStores(kCode, sizeof(kCode), kBase, Context());
  EXPECT_EQ(FormatStoreSummary(found),
            "stores: 18 (stack 2, own-data 2, fixed 2, runtime 10, helper 2); "
            "undecodable bytes: 0");
  std::string report = FormatStoreReport(found, [](uint64_t address) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "f+0x%x", static_cast<unsigned>(address - kBase));
    return std::string(buf);
  });
  size_t lines = 0;
  for (char c : report) lines += c == '\n';
  EXPECT_EQ(lines, 19u);
  EXPECT_NE(report.find("  f+0x34 "), std::string::npos) << report;
  EXPECT_NE(report.find("helper    call memset: destination rdi"), std::string::npos) << report;
  EXPECT_NE(report.find("mov [rbx+0x10], rax\n"), std::string::npos) << report;
  EXPECT_EQ(report.substr(report.size() - 1), "\n");
  EXPECT_NE(report.find("\nstores: 18 ("), std::string::npos) << report;
  // Hex addresses without a symbolizer.
  std::string hex = FormatStoreReport(found);
  std::string first = hex.substr(0, hex.find('\n'));
  EXPECT_EQ(first.rfind("  0xffffffff81000004 ", 0), 0u) << first;
  EXPECT_NE(first.find(" stack     rsp-relative: the current frame "), std::string::npos) << first;

  // One range of several: its sites and counts only.
  std::string part = FormatStoreReport(found, kBase + 0x29, kBase + 0x35);
  EXPECT_EQ(part.substr(0, part.find('\n')).rfind("  0xffffffff81000029 ", 0), 0u) << part;
  EXPECT_NE(part.find("\nstores: 4 (stack 0, own-data 0, fixed 0, runtime 3, helper 1)\n"),
            std::string::npos)
      << part;
  EXPECT_EQ(FormatStoreReport(found, kBase + 0x6d, kBase + 0x100),
            "stores: 0 (stack 0, own-data 0, fixed 0, runtime 0, helper 0)\n");

  StoreAnalysis total;
  total.Add(found);
  total.Add(found);
  EXPECT_EQ(total.sites.size(), 36u);
  EXPECT_EQ(total.count(StoreClass::kRuntime), 20u);
}

}  // namespace
}  // namespace o2c::bpf
