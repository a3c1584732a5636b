// Unit tier: the SDK's public headers are sealed (no libbpf, Eigen or kernel
// BPF ABI header comes with them), and the Enforcer's host-only renderings
// (event JSON, mechanisms text) say what they promise.
#include "o2c/audition_model.h"
#include "o2c/compartment.h"
#include "o2c/enforcer.h"
#include "o2c/policy.h"

#if defined(__LIBBPF_LIBBPF_H) || defined(__LIBBPF_BPF_H)
#error "a public O2C header includes libbpf"
#endif
#if defined(EIGEN_WORLD_VERSION)
#error "a public O2C header includes Eigen"
#endif
#if defined(_UAPI__LINUX_BPF_H__) || defined(_LINUX_BPF_H__) || defined(__LINUX_BPF_H__)
#error "a public O2C header includes linux/bpf.h"
#endif
#if defined(O2C_BPF_ENFORCER_H_) || defined(O2C_BPF_FEATURES_H_)
#error "a public O2C header includes a BPF ABI header of o2c/bpf"
#endif

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace o2c {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(EventJsonTest, AddressesAreHexAndTheSchemaVersionComesFirst) {
  Event e;
  e.set_kind(Event::VIOLATION);
  e.set_object(0xffff888012345678);
  e.set_site_address(0xffffffff81234567);
  e.set_site("free_pipe_info+0x99");
  e.add_actions(Event::ACTION_AUDIT);
  e.add_actions(Event::ACTION_KILL);
  e.add_stack("kfree+0x20f");
  e.add_stack_addresses(0xffffffff81000010);
  EXPECT_EQ(Enforcer::ToJsonLine(e),
            "{\"schema_version\":2,\"object\":\"0xffff888012345678\","
            "\"site_address\":\"0xffffffff81234567\",\"stack_addresses\":[\"0xffffffff81000010\"],"
            "\"kind\":\"VIOLATION\",\"site\":\"free_pipe_info+0x99\","
            "\"stack\":[\"kfree+0x20f\"],\"actions\":[\"ACTION_AUDIT\",\"ACTION_KILL\"]}");
}

TEST(EventJsonTest, AnEmptyEventIsStillAnObjectWithItsVersion) {
  EXPECT_EQ(Enforcer::ToJsonLine(Event()), "{\"schema_version\":2}");
}

TEST(EventJsonTest, AddressesAboveInt64AreNotRoundedOrSigned) {
  Event e;
  e.set_kind(Event::TRACKED);
  e.set_object(~uint64_t{0});
  EXPECT_THAT(Enforcer::ToJsonLine(e), HasSubstr("\"object\":\"0xffffffffffffffff\""));
}

TEST(FormatMechanismsTest, SaysHookKindExactnessDenialAndWhatIsNotEnforced) {
  EnforcementMechanisms m;
  m.hooks.push_back({.duty = "free sites",
                     .hooks = "kfree, kmem_cache_free",
                     .kind = HookMechanism::Kind::kRawTp,
                     .exact = false,
                     .can_deny = false,
                     .notes = "any call inside compartment code"});
  m.hooks.push_back({.duty = "quarantine",
                     .hooks = "lsm/file_permission",
                     .kind = HookMechanism::Kind::kLsm,
                     .exact = true,
                     .can_deny = true,
                     .notes = "refuses"});
  m.hooks.push_back({.duty = "kill", .kind = HookMechanism::Kind::kNone, .notes = "off"});
  m.not_enforced = {"READ rules", "owned arguments"};
  EXPECT_EQ(FormatMechanisms(m),
            "free sites: raw_tp on kfree, kmem_cache_free (approximate, detects only): any call "
            "inside compartment code\n"
            "quarantine: lsm on lsm/file_permission (exact, denies): refuses\n"
            "kill: off\n"
            "not enforced: READ rules; owned arguments (only FREE rights, through the private "
            "heap, are enforced)\n");
}

TEST(FormatMechanismsTest, NamesEveryKind) {
  EXPECT_STREQ(HookMechanismKindName(HookMechanism::Kind::kTpBtf), "tp_btf");
  EXPECT_STREQ(HookMechanismKindName(HookMechanism::Kind::kTailCall), "tail call");
  EXPECT_STREQ(HookMechanismKindName(HookMechanism::Kind::kSendSignal), "bpf_send_signal");
  EXPECT_STREQ(HookMechanismKindName(HookMechanism::Kind::kNone), "none");
}

}  // namespace
}  // namespace o2c
