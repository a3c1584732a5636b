#include "o2c/testonly/fixture_model.h"

#include "o2c/bpf/enforcer.h"
#include "o2c/bpf/extractor_schema.h"
#include "o2c/bpf/features.h"

namespace o2c {

absl::StatusOr<AuditionModel> FixtureAuditionModel() {
  ml::DecisionTree tree;
  tree.num_features = O2C_F_COUNT;
  tree.num_classes = 2;
  tree.nodes.resize(3);
  tree.nodes[0].feature = O2C_F_ALIGN;
  tree.nodes[0].threshold = 5;  // align <= 5 (under 64 bytes): kernel
  tree.nodes[0].left = 1;
  tree.nodes[0].right = 2;
  tree.nodes[1].label = O2C_LABEL_KERNEL;
  tree.nodes[1].leaf_id = 0;
  tree.nodes[2].label = O2C_LABEL_OWN;
  tree.nodes[2].leaf_id = 1;
  auto model = AuditionModel::Create(tree, bpf::ExtractorFeatureSchema(), {"kernel", "own"});
  if (model.ok()) model->set_description("hand-made fixture (not trained): align > 5 -> own");
  return model;
}

}  // namespace o2c
