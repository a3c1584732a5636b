// CompileAudition's refusals that need no kernel: they come from counting
// instructions before anything is loaded.
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/bpf/codegen/random_trees.h"
#include "o2c/bpf/codegen/tree_program.h"
#include "testing/status_matchers.h"

namespace o2c::bpf {
namespace {

using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;

TEST(TreeProgramLimitsTest, TooLargeIsRefusedBeforeLoading) {
  std::mt19937_64 rng(3);
  ml::DecisionTree t = RandomTree({.nodes = 700001, .max_depth = 400}, rng);
  // CompileAudition never loads: the refusal comes from counting instructions.
  EXPECT_THAT(CompileAudition({&t, 1}, AuditionForm::kSyscall, {.long_jumps = true}, "big"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       HasSubstr("instructions; the kernel loads at most 1000000")));
}

}  // namespace
}  // namespace o2c::bpf
