#include "o2c/bpf/loader/links.h"

#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bpf {

absl::StatusOr<std::vector<LinkPtr>> AttachAll(
    bpf_object* obj, const std::function<bool(const bpf_program*)>& first) {
  std::vector<LinkPtr> links;
  for (bool want_first : {true, false}) {
    bpf_program* prog;
    bpf_object__for_each_program(prog, obj) {
      if (!bpf_program__autoload(prog) || !bpf_program__autoattach(prog)) continue;
      if ((first && first(prog)) != want_first) continue;
      bpf_link* link = bpf_program__attach(prog);
      int err = libbpf_get_error(link);
      if (err != 0) {
        return LibbpfError(err, absl::StrCat("prog '", bpf_program__name(prog),
                                             "': attach ", bpf_program__section_name(prog)));
      }
      links.emplace_back(link);
    }
  }
  return links;
}

}  // namespace o2c::bpf
