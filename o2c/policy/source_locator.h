// Names a field of a parsed policy for an error message: where it was written
// ("pipe.policy:12:5") and its path ("access.rule[1].deny"), so that semantic
// errors point as precisely as syntax errors do.
#ifndef O2C_POLICY_SOURCE_LOCATOR_H_
#define O2C_POLICY_SOURCE_LOCATOR_H_

#include <string>
#include <vector>

#include "google/protobuf/text_format.h"

namespace o2c::policy {

// One step of a field path: a field of PolicySpec (or of the message the
// previous step led to) and, for repeated fields, an index.
struct FieldStep {
  std::string field;
  int index = -1;
};
using FieldPath = std::vector<FieldStep>;

// "access.rule[1].deny[0]".
std::string FormatFieldPath(const FieldPath& path);

class SourceLocator {
 public:
  // `tree` (may be null, e.g. for a policy built in code or read from JSON)
  // must outlive this locator.
  SourceLocator(std::string source,
                const google::protobuf::TextFormat::ParseInfoTree* tree)
      : source_(std::move(source)), tree_(tree) {}

  // "<source>:<line>:<column>: <path>", with the position of the deepest step
  // of `path` that the text spelled out ("<source>: <path>" without one).
  std::string Where(const FieldPath& path) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  const google::protobuf::TextFormat::ParseInfoTree* tree_;
};

}  // namespace o2c::policy

#endif  // O2C_POLICY_SOURCE_LOCATOR_H_
