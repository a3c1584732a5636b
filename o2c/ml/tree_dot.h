// Graphviz pictures of a tree: the dot text, and PNG/SVG through Debian's
// graphviz (/usr/bin/dot, installed by tools/setup.sh).
#ifndef O2C_ML_TREE_DOT_H_
#define O2C_ML_TREE_DOT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "o2c/ml/decision_tree.h"
#include "o2c/ml/feature_schema.h"

namespace o2c::ml {

// Where graphviz's renderer lives.
inline constexpr char kDotBinary[] = "/usr/bin/dot";

// A dot digraph: internal nodes show "feature <= threshold" (enum values by
// name), edges are labelled yes/no, leaves show their class and leaf id and
// are coloured by class; nodes with class_weights show them.
std::string TreeToDot(const DecisionTree& tree, const FeatureSchema& schema,
                      const std::vector<std::string>& class_names);

// Runs `dot_binary -T<format> -o <out_path>` on `dot`. Errors name the
// output file and carry dot's own message.
absl::Status RenderDot(const std::string& dot, const std::string& format,
                       const std::string& out_path, const std::string& dot_binary = kDotBinary);

}  // namespace o2c::ml

#endif  // O2C_ML_TREE_DOT_H_
