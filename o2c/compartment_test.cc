// Compartment::Resolve against a made-up kernel: a small symbol table and
// hand-assembled code served by a fake text reader.
#include "o2c/compartment.h"

#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing/status_matchers.h"

namespace o2c {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr uint64_t kKfree = 0xffffffff81000010;
constexpr uint64_t kKfreePfx = 0xffffffff81000000;
constexpr uint64_t kKmalloc = 0xffffffff81000100;
constexpr uint64_t kAllocThing = 0xffffffff81000200;
constexpr uint64_t kFreeThing = 0xffffffff81000240;
constexpr uint64_t kOtherFunc = 0xffffffff81000280;
constexpr uint64_t kPipeWriteIter = 0xffffffff81000300;
constexpr uint64_t kHiddenCall = kPipeWriteIter + 7;
constexpr uint64_t kUseWrappers = 0xffffffff81000500;
constexpr uint64_t kKvmallocNode = 0xffffffff81000540;
constexpr uint64_t kKvfree = 0xffffffff81000580;
constexpr uint64_t kStoreFields = 0xffffffff81000600;
constexpr uint64_t kMemset = 0xffffffff81000700;

constexpr char kTable[] =
    "ffffffff80fff000 T _stext\n"
    "ffffffff81000000 T __pfx_kfree\n"
    "ffffffff81000010 T kfree\n"
    "ffffffff81000100 T __kmalloc_noprof\n"
    "ffffffff81000200 T alloc_thing\n"
    "ffffffff81000240 T free_thing\n"
    "ffffffff81000280 t other_func\n"
    "ffffffff81000300 t pipe_write_iter\n"
    "ffffffff81000400 D some_data\n"
    "ffffffff81000500 T use_wrappers\n"
    "ffffffff81000540 T kvmalloc_node\n"
    "ffffffff81000580 T kvfree\n"
    "ffffffff810005c0 T kvfree_call_rcu\n"
    "ffffffff81000600 T store_fields\n"
    "ffffffff81000700 T memset\n"
    "ffffffff81001000 T _etext\n";

// Serves bytes of the functions above; everything else reads as int3.
class FakeText : public bpf::KernelTextReader {
 public:
  FakeText() {
    // alloc_thing: nop; call __kmalloc_noprof; call pipe_write_iter past
    // its ENDBR64 (as IBT kernels call); ret
    Put(kAllocThing, {0x90});
    PutBranch(kAllocThing + 1, 0xe8, kKmalloc);
    PutBranch(kAllocThing + 6, 0xe8, kPipeWriteIter + 4);
    Put(kAllocThing + 11, {0xc3});
    // free_thing: jmp __pfx_kfree (a tail call through the padding)
    PutBranch(kFreeThing, 0xe9, kKfreePfx);
    // other_func: push %rbp; nop; call free_thing; ret
    Put(kOtherFunc, {0x55, 0x90});
    PutBranch(kOtherFunc + 2, 0xe8, kFreeThing);
    Put(kOtherFunc + 7, {0xc3});
    // pipe_write_iter: endbr64; nop; movabs $imm64, %rax whose immediate
    // holds the bytes of a call of free_thing; jmp free_thing
    Put(kPipeWriteIter, {0xf3, 0x0f, 0x1e, 0xfa, 0x90, 0x48, 0xb8});
    PutBranch(kHiddenCall, 0xe8, kFreeThing);
    Put(kHiddenCall + 5, {0x00, 0x00, 0x00});
    PutBranch(kHiddenCall + 8, 0xe9, kFreeThing);
    // use_wrappers: call kvmalloc_node; call kvfree; call kvfree; ret
    PutBranch(kUseWrappers, 0xe8, kKvmallocNode);
    PutBranch(kUseWrappers + 5, 0xe8, kKvfree);
    PutBranch(kUseWrappers + 10, 0xe8, kKvfree);
    Put(kUseWrappers + 15, {0xc3});
    // kvmalloc_node: call __kmalloc_noprof; ret (the kernel reports this call)
    PutBranch(kKvmallocNode, 0xe8, kKmalloc);
    Put(kKvmallocNode + 5, {0xc3});
    // kvfree: jmp kfree (the kernel reports kvfree's caller)
    PutBranch(kKvfree, 0xe9, kKfree);
    // store_fields: mov [rbx+0x10], rax; mov [rip-0x20a], eax (some_data);
    // call memset; mov [rsp+0x8], rax; ret
    Put(kStoreFields, {0x48, 0x89, 0x43, 0x10, 0x89, 0x05, 0xf6, 0xfd, 0xff, 0xff});
    PutBranch(kStoreFields + 10, 0xe8, kMemset);
    Put(kStoreFields + 15, {0x48, 0x89, 0x44, 0x24, 0x08, 0xc3});
  }
  absl::StatusOr<std::vector<uint8_t>> Read(uint64_t address, size_t size) const override {
    std::vector<uint8_t> out(size, 0xcc);
    for (size_t i = 0; i < size; ++i) {
      auto it = bytes_.find(address + i);
      if (it != bytes_.end()) out[i] = it->second;
    }
    return out;
  }
  std::string Describe() const override { return "fake"; }

 private:
  void Put(uint64_t at, std::vector<uint8_t> bytes) {
    for (uint8_t b : bytes) bytes_[at++] = b;
  }
  void PutBranch(uint64_t at, uint8_t opcode, uint64_t target) {
    int32_t rel = static_cast<int32_t>(target - (at + 5));
    uint8_t b[4];
    std::memcpy(b, &rel, 4);
    Put(at, {opcode, b[0], b[1], b[2], b[3]});
  }
  std::map<uint64_t, uint8_t> bytes_;
};

class CompartmentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto table = bpf::Kallsyms::FromText(kTable);
    ASSERT_THAT(table, IsOk());
    kallsyms_ = std::make_unique<bpf::Kallsyms>(*std::move(table));
    options_.text = &text_;
  }

  absl::StatusOr<Compartment> Resolve(const std::string& policy_text) {
    auto policy = Policy::FromText(policy_text, "t.policy");
    if (!policy.ok()) return policy.status();
    return Compartment::Resolve(*policy, *kallsyms_, options_);
  }

  std::unique_ptr<bpf::Kallsyms> kallsyms_;
  FakeText text_;
  Compartment::Options options_;
};

TEST_F(CompartmentTest, FunctionsAlternativesAndOptionals) {
  auto c = Resolve(
      "name: \"thing\" compartment { function: \"alloc_thing\" "
      "function: \"new_free_thing | free_thing\" function: \"gone?\" }");
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->name(), "thing");
  ASSERT_THAT(c->code(), SizeIs(2));
  EXPECT_EQ(c->code()[0].name, "alloc_thing");
  EXPECT_EQ(c->code()[0].range.start, kAllocThing);
  EXPECT_EQ(c->code()[0].range.end, kFreeThing);
  EXPECT_EQ(c->code()[1].name, "free_thing");
  EXPECT_TRUE(c->ContainsCode(kFreeThing + 1));
  EXPECT_FALSE(c->ContainsCode(kKfree));
  EXPECT_EQ(c->code_bytes(), 0x80u);
  EXPECT_THAT(c->notes(), Contains(HasSubstr("compartment.function[2]: 'gone?' is not on "
                                             "this kernel (optional: skipped)")));
}

TEST_F(CompartmentTest, AllocAndFreeSitesWithReturnAddresses) {
  auto c = Resolve("compartment { function: \"alloc_thing\" function: \"free_thing\" }");
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(c->sites_exact());
  EXPECT_EQ(c->text_source(), "fake");
  ASSERT_THAT(c->alloc_sites(), SizeIs(1));
  const CallSite& alloc = c->alloc_sites()[0];
  EXPECT_EQ(alloc.callee, "__kmalloc_noprof");
  EXPECT_EQ(alloc.function, "alloc_thing");
  EXPECT_EQ(alloc.call_address, kAllocThing + 1);
  EXPECT_EQ(alloc.return_address, kAllocThing + 6);
  EXPECT_EQ(alloc.via, "");
  // free_thing's `jmp kfree` is reported at free_thing's callers: the call
  // in other_func, outside the compartment, found by scanning the text. The
  // call bytes inside pipe_write_iter's movabs are not an instruction.
  ASSERT_THAT(c->tail_jumps(), SizeIs(1));
  EXPECT_EQ(c->tail_jumps()[0].function, "free_thing");
  EXPECT_EQ(c->tail_jumps()[0].callee, "kfree");  // reached through __pfx_kfree
  EXPECT_EQ(c->tail_jumps()[0].direct_callers, 1u);
  ASSERT_THAT(c->free_sites(), SizeIs(1));
  const CallSite& via = c->free_sites()[0];
  EXPECT_EQ(via.callee, "kfree");
  EXPECT_EQ(via.via, "free_thing");
  EXPECT_EQ(via.function, "other_func");
  EXPECT_EQ(via.call_address, kOtherFunc + 2);
  EXPECT_EQ(via.return_address, kOtherFunc + 7);
  EXPECT_THAT(c->notes(), Contains(HasSubstr("1 byte patterns that look like calls")));
  EXPECT_THAT(c->notes(), Contains(HasSubstr("free_thing through a pointer are not sites")));
  std::string report = c->Format(*kallsyms_);
  EXPECT_THAT(report, HasSubstr("alloc_thing+0x1"));
  EXPECT_THAT(report, HasSubstr("call_site alloc_thing+0x6"));
  EXPECT_THAT(report, HasSubstr("free_thing -> kfree"));
  EXPECT_THAT(report, HasSubstr("reported at the calls of free_thing (1 found)"));
}

TEST_F(CompartmentTest, TailJumpsToATailJumpingFunctionAreFollowed) {
  // pipe_write_iter ends in `jmp free_thing`, which ends in `jmp kfree`: a
  // call of pipe_write_iter (alloc_thing's, past its ENDBR64) is a free site.
  auto c = Resolve("compartment { function: \"alloc_thing\" function: \"free_thing\" "
                   "function: \"pipe_write_iter\" }");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(c->tail_jumps(), SizeIs(2));
  EXPECT_EQ(c->tail_jumps()[1].function, "pipe_write_iter");
  EXPECT_EQ(c->tail_jumps()[1].callee, "free_thing");
  EXPECT_EQ(c->tail_jumps()[1].direct_callers, 1u);
  ASSERT_THAT(c->free_sites(), SizeIs(2));
  const CallSite& site = c->free_sites()[0];
  EXPECT_EQ(site.function, "alloc_thing");
  EXPECT_EQ(site.via, "pipe_write_iter");
  EXPECT_EQ(site.callee, "kfree");
  EXPECT_EQ(site.return_address, kAllocThing + 11);
  EXPECT_EQ(c->free_sites()[1].function, "other_func");
}

TEST_F(CompartmentTest, WrappersAreCountedAndSayWhereTheKernelReportsThem) {
  auto c = Resolve("compartment { function: \"use_wrappers\" }");
  ASSERT_THAT(c, IsOk());
  std::map<std::string, WrapperPath> paths;
  for (const WrapperPath& w : c->wrapper_paths()) paths[w.name] = w;
  ASSERT_EQ(paths.size(), 3u) << "only the wrappers this kernel has";
  EXPECT_EQ(paths["kvmalloc_node"].calls, 1u);
  EXPECT_EQ(paths["kvmalloc_node"].kind, CallSite::Kind::kAlloc);
  EXPECT_EQ(paths["kvmalloc_node"].reported, WrapperPath::Reported::kStack);
  EXPECT_EQ(paths["kvfree"].calls, 2u);
  EXPECT_EQ(paths["kvfree"].reported, WrapperPath::Reported::kCaller);
  EXPECT_EQ(paths["kvfree_call_rcu"].calls, 0u);
  EXPECT_EQ(paths["kvfree_call_rcu"].reported, WrapperPath::Reported::kNoTracepoint);
  EXPECT_THAT(c->Format(*kallsyms_),
              HasSubstr("kvmalloc_node                      1 calls: reported inside the wrapper"));
}

// A function the compiler specialized or split ("f.constprop.0", "f.cold")
// is still the function: its copies are its code, and a function that exists
// only as copies is present, not absent. Its padding ("__pfx_f") is its too.
TEST(CompartmentCompilerCopiesTest, CopiesBelongToTheFunction) {
  auto table = bpf::Kallsyms::FromText(
      "ffffffff81000000 t lookup_tail.constprop.0\n"
      "ffffffff81000040 t send.isra.0\n"
      "ffffffff81000070 t __pfx_send\n"
      "ffffffff81000080 T send\n"
      "ffffffff810000c0 t send.cold\n"
      "ffffffff81000100 t send_more\n"
      "ffffffff81000140 t sender.part.0\n"
      "ffffffff81000180 T end_of_text\n");
  ASSERT_THAT(table, IsOk());
  auto policy = Policy::FromText(
      "compartment { function: \"send\" function: \"lookup_tail\" }", "t.policy");
  ASSERT_THAT(policy, IsOk());
  Compartment::Options options;
  auto c = Compartment::Resolve(*policy, *table, options);
  ASSERT_THAT(c, IsOk());
  std::vector<std::string> names;
  for (const auto& r : c->code()) names.push_back(r.name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("lookup_tail.constprop.0", "send.isra.0",
                                                     "send", "send.cold"));
  EXPECT_TRUE(c->ContainsCode(0xffffffff81000070));   // send's padding is send's
  EXPECT_FALSE(c->ContainsCode(0xffffffff81000100));  // send_more is another function
  EXPECT_FALSE(c->ContainsCode(0xffffffff81000140));  // sender.part.0 too
}

// Boot-time code is freed after boot: a pattern does not take it.
TEST(CompartmentInitTextTest, PatternsSkipFreedInitText) {
  auto table = bpf::Kallsyms::FromText(
      "ffffffff81000000 T nft_do_chain\n"
      "ffffffff81000040 T nft_lookup_eval\n"
      "ffffffff81000080 T other\n"
      "ffffffff82000000 T _sinittext\n"
      "ffffffff82000000 t nft_ct_module_init\n"
      "ffffffff82000040 T _einittext\n");
  ASSERT_THAT(table, IsOk());
  auto policy = Policy::FromText("compartment { pattern: \"nft_*\" }", "t.policy");
  ASSERT_THAT(policy, IsOk());
  auto c = Compartment::Resolve(*policy, *table, Compartment::Options());
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(c->code(), SizeIs(2));
  EXPECT_FALSE(c->ContainsCode(0xffffffff82000000));
}

// The stores come from the same bytes as the sites, with the compartment's
// data as own data and the kernel's helpers.
TEST_F(CompartmentTest, StoresOfTheCodeWithOwnDataAndHelpers) {
  auto c = Resolve("compartment { function: \"store_fields\" data_symbol: \"some_data\" }");
  ASSERT_THAT(c, IsOk());
  const bpf::StoreAnalysis& stores = c->stores();
  ASSERT_THAT(stores.sites, SizeIs(4));
  EXPECT_EQ(stores.count(bpf::StoreClass::kRuntime), 1u);
  EXPECT_EQ(stores.count(bpf::StoreClass::kOwnData), 1u);
  EXPECT_EQ(stores.count(bpf::StoreClass::kHelperCall), 1u);
  EXPECT_EQ(stores.count(bpf::StoreClass::kStackFrame), 1u);
  EXPECT_EQ(stores.sites[0].address, kStoreFields);
  EXPECT_EQ(stores.sites[0].operand.base, 3);  // rbx
  EXPECT_EQ(stores.sites[1].reason, "rip-relative into own data some_data");
  EXPECT_EQ(stores.sites[2].target, kMemset);
  EXPECT_EQ(stores.sites[2].operand.length_register, 2);  // rdx
}

// An interface function's owned argument is checked at the compartment's
// calls like a helper's destination; the allocators and free functions are
// left to the private heap.
TEST_F(CompartmentTest, InterfaceFunctionsOwnedArgumentsAreHelperStores) {
  auto c = Resolve(
      "compartment { function: \"other_func\" function: \"alloc_thing\" }\n"
      "interface {\n"
      "  function { function: \"free_thing\" owned_arg: 1 }\n"
      "  function { function: \"pipe_write_iter\" owned_arg: 0 owned_arg: 2 }\n"
      "  function { function: \"kfree\" owned_arg: 0 }\n"
      "}");
  ASSERT_THAT(c, IsOk());
  const bpf::StoreAnalysis& stores = c->stores();
  ASSERT_EQ(stores.count(bpf::StoreClass::kHelperCall), 2u);
  std::map<uint64_t, const bpf::StoreSite*> helper_calls;
  for (const bpf::StoreSite& s : stores.sites) {
    if (s.cls == bpf::StoreClass::kHelperCall) helper_calls[s.target] = &s;
  }
  // other_func's call of free_thing: its second argument, rsi.
  ASSERT_EQ(helper_calls.count(kFreeThing), 1u);
  EXPECT_EQ(helper_calls[kFreeThing]->operand.base, 6);
  EXPECT_EQ(helper_calls[kFreeThing]->operand.length_register, bpf::kNoRegister);
  EXPECT_EQ(helper_calls[kFreeThing]->reason,
            "call free_thing (owned argument 1): destination rsi");
  // alloc_thing's call lands past pipe_write_iter's ENDBR64; only the first
  // owned argument is checked, and the notes say so.
  ASSERT_EQ(helper_calls.count(kPipeWriteIter + 4), 1u);
  EXPECT_EQ(helper_calls[kPipeWriteIter + 4]->operand.base, 7);
  EXPECT_THAT(c->notes(), Contains(HasSubstr("only owned argument 0 is checked")));
}

TEST_F(CompartmentTest, WithoutTextFallsBackToRanges) {
  options_.text = nullptr;
  auto c = Resolve("compartment { function: \"alloc_thing\" }");
  ASSERT_THAT(c, IsOk());
  EXPECT_FALSE(c->sites_exact());
  EXPECT_THAT(c->alloc_sites(), SizeIs(0));
  EXPECT_THAT(c->stores().sites, SizeIs(0));
  EXPECT_THAT(c->notes(), Contains(HasSubstr("any call_site inside the code ranges")));
  EXPECT_THAT(c->notes(), Contains(HasSubstr("no store analysis")));
}

TEST_F(CompartmentTest, UnknownFunctionSuggestsANearName) {
  EXPECT_THAT(Resolve("compartment { function: \"alloc_thing\" function: \"pipe_write | "
                      "pipe_wrte\" }"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("t.policy: compartment.function[1]: function 'pipe_write | "
                                 "pipe_wrte' is not on this kernel; did you mean "
                                 "'pipe_write_iter'?")));
}

TEST_F(CompartmentTest, PatternsMatchTextSymbols) {
  auto c = Resolve("compartment { pattern: \"*_thing\" }");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->code(), SizeIs(2));
  EXPECT_THAT(Resolve("compartment { pattern: \"nothing_*\" }"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("compartment.pattern[0]: 'nothing_*' matches no function")));
}

TEST_F(CompartmentTest, FunctionNamedTwiceCountsOnce) {
  auto c = Resolve("compartment { function: \"alloc_thing\" pattern: \"alloc_*\" }");
  ASSERT_THAT(c, IsOk());
  EXPECT_THAT(c->code(), SizeIs(1));
}

TEST_F(CompartmentTest, UnknownAllocatorIsAnError) {
  EXPECT_THAT(Resolve("compartment { function: \"alloc_thing\" } sites { allocator: "
                      "\"my_alloc\" }"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("sites.allocator[0]: function 'my_alloc' is not on this "
                                 "kernel")));
}

TEST_F(CompartmentTest, DataSymbolsWithoutKallsymsAll) {
  auto c = Resolve("compartment { function: \"alloc_thing\" data_symbol: \"some_data\" "
                   "data_symbol: \"pipe_max_size\" }");
  ASSERT_THAT(c, IsOk());
  ASSERT_THAT(c->data(), SizeIs(1));
  EXPECT_EQ(c->data()[0].name, "some_data");
  EXPECT_THAT(c->notes(), Contains(HasSubstr("'pipe_max_size' unresolved: kallsyms lists "
                                             "only 1 data symbols")));
}

std::string TempDir() {
  const char* dir = std::getenv("TEST_TMPDIR");
  return dir ? dir : "/tmp";
}

TEST_F(CompartmentTest, ModuleFromProcModulesAndSysfsSections) {
  std::string dir = TempDir();
  options_.proc_modules = dir + "/modules";
  options_.sys_module = dir + "/sys_module";
  std::ofstream(options_.proc_modules)
      << "other 4096 0 - Live 0xffffffffc0000000\n"
      << "vulnmod 12288 0 - Live 0xffffffffc0010000 (OE)\n";
  std::string sections = options_.sys_module + "/vulnmod/sections";
  mkdir(options_.sys_module.c_str(), 0755);
  mkdir((options_.sys_module + "/vulnmod").c_str(), 0755);
  mkdir(sections.c_str(), 0755);
  std::ofstream(sections + "/.text") << "0xffffffffc0010000\n";
  std::ofstream(sections + "/.data") << "0xffffffffc0012000\n";
  std::ofstream(sections + "/.bss") << "0xffffffffc0012400\n";
  std::ofstream(sections + "/.gnu.linkonce.this_module") << "0xffffffffc0012800\n";
  auto c = Resolve("compartment { module: \"vulnmod\" }");
  ASSERT_THAT(c, IsOk());
  // The code is the text section, up to the next section: not the data.
  ASSERT_THAT(c->code(), SizeIs(1));
  EXPECT_EQ(c->code()[0].name, "vulnmod:.text");
  EXPECT_EQ(c->code()[0].range.start, 0xffffffffc0010000u);
  EXPECT_EQ(c->code()[0].range.size(), 0x2000u);
  ASSERT_THAT(c->data(), SizeIs(2));
  EXPECT_EQ(c->data()[0].name, "vulnmod:.data");
  EXPECT_EQ(c->data()[0].range.size(), 0x400u);
  EXPECT_EQ(c->data()[1].name, "vulnmod:.bss");

  // Without readable sections, the whole extent, said so.
  std::ofstream(options_.proc_modules) << "bare 8192 0 - Live 0xffffffffc0020000\n";
  auto bare = Resolve("compartment { module: \"bare\" }");
  ASSERT_THAT(bare, IsOk());
  ASSERT_THAT(bare->code(), SizeIs(1));
  EXPECT_EQ(bare->code()[0].range.size(), 8192u);
  EXPECT_THAT(bare->notes(), Contains(HasSubstr("its whole extent counts as code")));

  EXPECT_THAT(Resolve("compartment { module: \"absent\" }"),
              StatusIs(absl::StatusCode::kNotFound,
                       HasSubstr("compartment.module: 'absent' is not loaded")));
}

}  // namespace
}  // namespace o2c
