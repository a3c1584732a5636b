#include "o2c/ml/tree_dot.h"

#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "o2c/internal/file_util.h"
#include "o2c/testonly/test_trees.h"
#include "testing/status_matchers.h"

namespace o2c::ml {
namespace {

using ::o2c::testing::IsOk;
using ::o2c::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::string Dot() {
  return TreeToDot(testing::AuditionTree(), testing::AuditionSchema(), testing::AuditionClasses());
}

TEST(TreeDotTest, NodesEdgesAndNames) {
  const std::string dot = Dot();
  EXPECT_THAT(dot, StartsWith("digraph audition_tree {"));
  EXPECT_THAT(dot, HasSubstr("n0 [label=\"slab_size <= 192\\n[40, 60]\"]"));
  EXPECT_THAT(dot, HasSubstr("n4 [label=\"ptr0_class <= COMPARTMENT_HEAP"));
  EXPECT_THAT(dot, HasSubstr("n5 [label=\"own\\nleaf 2\\n[40, 0]\""));
  EXPECT_THAT(dot, HasSubstr("n0 -> n1 [label=\"yes\"]"));
  EXPECT_THAT(dot, HasSubstr("n0 -> n2 [label=\"no\"]"));
}

TEST(TreeDotTest, RendersPng) {
  const std::string out = std::string(std::getenv("TEST_TMPDIR")) + "/tree.png";
  ASSERT_THAT(RenderDot(Dot(), "png", out), IsOk());
  absl::StatusOr<std::string> png = internal::ReadFileBytes(out);
  ASSERT_THAT(png, IsOk());
  EXPECT_THAT(*png, StartsWith("\x89PNG"));
}

TEST(TreeDotTest, ErrorsNameTheOutputAndTheCause) {
  EXPECT_THAT(RenderDot(Dot(), "png", "t.png", "/nonexistent/dot"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("t.png: cannot render: graphviz's /nonexistent/dot is missing")));
  EXPECT_THAT(RenderDot("digraph {", "png", "/nonexistent/t.png"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("/nonexistent/t.png: /usr/bin/dot")));
}

}  // namespace
}  // namespace o2c::ml
