#include "o2c/policy/access_matrix.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace o2c::policy {
namespace {

using ::testing::HasSubstr;

TEST(AccessMatrixTest, DefaultsFollowTheIssue) {
  AccessMatrix m;
  // Own assets.
  for (Object own : {COMPARTMENT_DATA, COMPARTMENT_HEAP, COMPARTMENT_STACK}) {
    EXPECT_EQ(m.Get(COMPARTMENT, own, READ), Decision::kAllow);
    EXPECT_EQ(m.Get(COMPARTMENT, own, WRITE), Decision::kAllow);
  }
  EXPECT_EQ(m.Get(COMPARTMENT, COMPARTMENT_CODE, EXECUTE), Decision::kAllow);
  EXPECT_EQ(m.Get(COMPARTMENT, COMPARTMENT_CODE, WRITE), Decision::kDeny);
  EXPECT_EQ(m.Get(COMPARTMENT, COMPARTMENT_HEAP, FREE), Decision::kAllow);
  EXPECT_EQ(m.Get(COMPARTMENT, COMPARTMENT_DATA, FREE), Decision::kDeny);
  // Kernel assets: read, call through the interface, never write or free.
  EXPECT_EQ(m.Get(COMPARTMENT, KERNEL_HEAP, READ), Decision::kAllow);
  EXPECT_EQ(m.Get(COMPARTMENT, KERNEL_CODE, EXECUTE), Decision::kInterfaceOnly);
  for (Object theirs : {KERNEL_DATA, KERNEL_HEAP, KERNEL_STACK}) {
    EXPECT_EQ(m.Get(COMPARTMENT, theirs, WRITE), Decision::kDeny);
    EXPECT_EQ(m.Get(COMPARTMENT, theirs, FREE), Decision::kDeny);
    EXPECT_EQ(m.Get(COMPARTMENT, theirs, EXECUTE), Decision::kDeny);
  }
  // The kernel may do everything.
  EXPECT_EQ(m.Get(KERNEL, COMPARTMENT_HEAP, FREE), Decision::kAllow);
  EXPECT_EQ(m.Get(KERNEL, KERNEL_CODE, EXECUTE), Decision::kAllow);
}

TEST(AccessMatrixTest, RulesOverrideDefaults) {
  AccessMatrixSpec spec;
  AccessRule* rule = spec.add_rule();
  rule->set_subject(COMPARTMENT);
  rule->set_object(KERNEL_HEAP);
  rule->add_deny(READ);
  rule = spec.add_rule();
  rule->set_subject(KERNEL);
  rule->set_object(COMPARTMENT_DATA);
  rule->add_deny(WRITE);
  AccessMatrix m = AccessMatrix::FromSpec(spec);
  EXPECT_EQ(m.Get(COMPARTMENT, KERNEL_HEAP, READ), Decision::kDeny);
  EXPECT_EQ(m.Get(KERNEL, COMPARTMENT_DATA, WRITE), Decision::kDeny);
  EXPECT_EQ(m.Get(KERNEL, COMPARTMENT_DATA, READ), Decision::kAllow);
}

TEST(AccessMatrixTest, TableHasEveryCell) {
  std::string table = AccessMatrix().ToTable();
  EXPECT_THAT(table, HasSubstr("compartment -> kernel_code"));
  EXPECT_THAT(table, HasSubstr("interface only"));
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 17);
}

}  // namespace
}  // namespace o2c::policy
