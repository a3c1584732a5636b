#include "o2c/bpf/loader/kmem_hooks.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "o2c/bpf/loader/program_loader.h"

namespace o2c::bpf {

absl::StatusOr<KmemHookFlavor> ChooseKmemHookFlavor(const KernelCapabilities& features) {
  if (features.Has(Capability::kTpBtf)) return KmemHookFlavor::kTpBtf;
  if (features.Has(Capability::kRawTp)) return KmemHookFlavor::kRawTp;
  return absl::FailedPreconditionError(absl::StrCat(
      "kernel ", features.kernel_release(),
      ": neither tp_btf nor raw_tp works on the kmem tracepoints (tp_btf: ",
      features.Get(Capability::kTpBtf).detail,
      "; raw_tp: ", features.Get(Capability::kRawTp).detail, ")"));
}

const char* KmemHookFlavorName(KmemHookFlavor flavor) {
  return flavor == KmemHookFlavor::kTpBtf ? "tp_btf" : "raw_tp";
}

absl::Status SelectKmemHookFlavor(bpf_object* obj, KmemHookFlavor flavor) {
  const char* unwanted = flavor == KmemHookFlavor::kTpBtf ? "raw_tp/" : "tp_btf/";
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj) {
    if (!absl::StartsWith(bpf_program__section_name(prog), unwanted)) continue;
    int err = bpf_program__set_autoload(prog, false);
    if (err != 0) {
      return LibbpfError(err, absl::StrCat("prog '", bpf_program__name(prog),
                                           "': set_autoload"));
    }
  }
  return absl::OkStatus();
}

bool IsKmemFreeHook(const bpf_program* prog) {
  absl::string_view section = bpf_program__section_name(prog);
  return absl::EndsWith(section, "/kfree") || absl::EndsWith(section, "/kmem_cache_free");
}

}  // namespace o2c::bpf
