// Printing enforcer events for humans (one line each, a violation with its
// stack) or as JSON lines; shared by `o2c attach` and `o2c demo`.
#ifndef O2C_EXAMPLES_EVENT_PRINTER_H_
#define O2C_EXAMPLES_EVENT_PRINTER_H_

#include <string>

#include "o2c/enforcer.h"

namespace o2c::cli {

// One human-readable line (plus indented stack lines for a violation).
std::string FormatEvent(const Event& e, int max_stack_frames = 8);

// The counters as "tracked N, live N, ...".
std::string FormatStats(const EnforcerStats& s);

}  // namespace o2c::cli

#endif  // O2C_EXAMPLES_EVENT_PRINTER_H_
