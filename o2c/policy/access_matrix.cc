#include "o2c/policy/access_matrix.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace o2c::policy {

const char* DecisionName(Decision decision) {
  switch (decision) {
    case Decision::kDeny:
      return "deny";
    case Decision::kAllow:
      return "allow";
    case Decision::kInterfaceOnly:
      return "interface only";
  }
  return "?";
}

AccessMatrix::AccessMatrix() {
  for (auto& objects : cells_) {
    for (auto& rights : objects) rights.fill(Decision::kDeny);
  }
  for (int o = COMPARTMENT_CODE; o <= KERNEL_STACK; ++o) {
    for (int r = READ; r <= FREE; ++r) {
      Set(KERNEL, static_cast<Object>(o), static_cast<Right>(r), Decision::kAllow);
    }
    // The compartment may read everything.
    Set(COMPARTMENT, static_cast<Object>(o), READ, Decision::kAllow);
  }
  Set(COMPARTMENT, COMPARTMENT_CODE, EXECUTE, Decision::kAllow);
  for (Object own : {COMPARTMENT_DATA, COMPARTMENT_HEAP, COMPARTMENT_STACK}) {
    Set(COMPARTMENT, own, WRITE, Decision::kAllow);
  }
  Set(COMPARTMENT, COMPARTMENT_HEAP, FREE, Decision::kAllow);
  Set(COMPARTMENT, KERNEL_CODE, EXECUTE, Decision::kInterfaceOnly);
}

AccessMatrix AccessMatrix::FromSpec(const AccessMatrixSpec& spec) {
  AccessMatrix matrix;
  for (const AccessRule& rule : spec.rule()) {
    for (int right : rule.allow()) {
      matrix.Set(rule.subject(), rule.object(), static_cast<Right>(right),
                 Decision::kAllow);
    }
    for (int right : rule.deny()) {
      matrix.Set(rule.subject(), rule.object(), static_cast<Right>(right),
                 Decision::kDeny);
    }
  }
  return matrix;
}

Decision AccessMatrix::Get(Subject subject, Object object, Right right) const {
  return cells_[subject - 1][object - 1][right - 1];
}

void AccessMatrix::Set(Subject subject, Object object, Right right, Decision decision) {
  cells_[subject - 1][object - 1][right - 1] = decision;
}

std::string AccessMatrix::ToTable() const {
  std::string out = absl::StrFormat("%-30s", "subject -> object");
  for (int r = READ; r <= FREE; ++r) {
    absl::StrAppendFormat(&out, " %-15s", absl::AsciiStrToLower(Right_Name(r)));
  }
  out += "\n";
  for (int s = COMPARTMENT; s <= KERNEL; ++s) {
    for (int o = COMPARTMENT_CODE; o <= KERNEL_STACK; ++o) {
      std::string row = absl::AsciiStrToLower(
          absl::StrCat(Subject_Name(s), " -> ", Object_Name(o)));
      absl::StrAppendFormat(&out, "%-30s", row);
      for (int r = READ; r <= FREE; ++r) {
        absl::StrAppendFormat(
            &out, " %-15s",
            DecisionName(Get(static_cast<Subject>(s), static_cast<Object>(o),
                             static_cast<Right>(r))));
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace o2c::policy
