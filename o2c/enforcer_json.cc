// Enforcer::ToJsonLine: protobuf's JSON for an Event, with addresses in hex.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "google/protobuf/util/json_util.h"
#include "o2c/enforcer.h"

namespace o2c {
namespace {

std::string Hex(uint64_t v) { return absl::StrCat("\"0x", absl::Hex(v), "\""); }

// `text` as a JSON string literal.
std::string JsonQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      absl::StrAppend(&out, "\\", std::string(1, c));
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(&out, "\\u00", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
    } else {
      out.push_back(c);
    }
  }
  return out + "\"";
}

}  // namespace

std::string Enforcer::ToJsonLine(const Event& event) {
  // Protobuf renders uint64 as decimal strings: the address fields are
  // rendered here instead, in hex as the kernel prints them.
  std::string head = absl::StrCat("{\"schema_version\":", kEventSchemaVersion);
  if (event.object() != 0) absl::StrAppend(&head, ",\"object\":", Hex(event.object()));
  if (event.site_address() != 0) {
    absl::StrAppend(&head, ",\"site_address\":", Hex(event.site_address()));
  }
  if (event.stack_addresses_size() > 0) {
    absl::StrAppend(&head, ",\"stack_addresses\":[",
                    absl::StrJoin(event.stack_addresses(), ",",
                                  [](std::string* out, uint64_t a) { out->append(Hex(a)); }),
                    "]");
  }
  Event rest = event;
  rest.clear_object();
  rest.clear_site_address();
  rest.clear_stack_addresses();
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(rest, &json, options);
  if (!status.ok()) {
    return absl::StrCat(head, ",\"error\":",
                        JsonQuote(absl::StrCat("event not rendered: ", status.ToString())), "}");
  }
  // json is "{}" or "{...}": splice its members after ours.
  if (json.size() <= 2) return head + "}";
  return absl::StrCat(head, ",", json.substr(1));
}

}  // namespace o2c
