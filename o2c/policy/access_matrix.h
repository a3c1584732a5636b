// The effective access matrix of a policy (the paper's Table 1): the defaults
// with the policy's rules laid over them.
#ifndef O2C_POLICY_ACCESS_MATRIX_H_
#define O2C_POLICY_ACCESS_MATRIX_H_

#include <array>
#include <string>

#include "o2c/policy/policy.pb.h"

namespace o2c::policy {

// What the matrix says about one (subject, object, right).
enum class Decision {
  kDeny,
  kAllow,
  // Allowed only for the functions of the policy's interface (the default for
  // the compartment executing kernel code).
  kInterfaceOnly,
};

// "deny", "allow", "interface only".
const char* DecisionName(Decision decision);

class AccessMatrix {
 public:
  // The defaults: the compartment reads and writes its own data, heap and
  // stack, reads and executes its own code, frees its own heap; it reads
  // kernel memory, executes kernel code through its interface only, and
  // never writes, executes or frees anything else. The kernel may do all.
  AccessMatrix();

  // The defaults overridden by `spec`'s rules, in order. The spec must have
  // passed ValidatePolicy (no unspecified enums, no right both allowed and
  // denied).
  static AccessMatrix FromSpec(const AccessMatrixSpec& spec);

  Decision Get(Subject subject, Object object, Right right) const;
  void Set(Subject subject, Object object, Right right, Decision decision);

  // A table: one row per (subject, object), one column per right.
  std::string ToTable() const;

 private:
  static constexpr int kSubjects = 2, kObjects = 8, kRights = 4;
  // [subject - 1][object - 1][right - 1]
  std::array<std::array<std::array<Decision, kRights>, kObjects>, kSubjects> cells_;
};

}  // namespace o2c::policy

#endif  // O2C_POLICY_ACCESS_MATRIX_H_
