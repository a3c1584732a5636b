// Status propagation macros. Debian's Abseil (20220623) has no
// ASSIGN_OR_RETURN, so O2C defines its two macros here, once.
#ifndef O2C_INTERNAL_STATUS_MACROS_H_
#define O2C_INTERNAL_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define O2C_STATUS_CONCAT_INNER_(a, b) a##b
#define O2C_STATUS_CONCAT_(a, b) O2C_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function if it is not OK.
#define O2C_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status o2c_status_ = (expr);       \
    if (!o2c_status_.ok()) return o2c_status_; \
  } while (0)

// `O2C_ASSIGN_OR_RETURN(auto x, F());` declares x from an OK StatusOr, or
// returns its error status from the enclosing function.
#define O2C_ASSIGN_OR_RETURN(lhs, expr) \
  O2C_ASSIGN_OR_RETURN_IMPL_(O2C_STATUS_CONCAT_(o2c_statusor_, __LINE__), lhs, expr)

#define O2C_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                               \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // O2C_INTERNAL_STATUS_MACROS_H_
