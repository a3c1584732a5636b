// o2c victims: the model's miss rate on the objects real exploits make a
// buggy component free (o2c/victims/victim_types.h): the victims are
// harvested from the running kernel under a workload that makes them, their
// features extracted as the enforcer would for the policy's compartment, and
// the model (with the policy's threshold, as the enforcer applies it) scored
// on them. A miss is a victim the model calls the compartment's own.
//
//   o2c victims --policy F --model M [--workload "CMD"] [--rounds 100]
//               [--markdown] [--out victims.csv]
//
// Without --workload, the built-in victim workload runs (make_victims).
// --out writes the victims' features and type (`o2c evaluate --data`,
// `o2c explain --sample` read them).
#include <cstdio>
#include <string>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "o2c/audition_model.h"
#include "o2c/ml/dataset_csv.h"
#include "o2c/policy.h"
#include "o2c/victims/measure_victims.h"

namespace o2c::cli {

const CommandHelp kVictimsHelp = {
    .name = "victims",
    .summary = "a model's miss rate on the kernel objects exploits make a component free",
    .description = "Harvests the objects real exploits make a buggy component free (cred, file, "
                   "msg_msg, ...) from the running kernel, extracts their features as the enforcer "
                   "would for the policy's compartment, and counts those the model calls the "
                   "compartment's own, per type with 95% intervals.",
    .flags = {{"policy", "FILE", "the compartment's policy", true},
              {"model", "FILE", "the model file (.o2cm)", true},
              {"workload", "CMD", "a shell command that makes the victims (default: the built-in "
                                  "victim workload)"},
              {"rounds", "N", "rounds of the built-in workload (default 100)"},
              {"markdown", "", "print the table as Markdown"},
              {"out", "FILE", "also write the victims' features and type as CSV"}},
    .example = "sudo o2c victims --policy testdata/policies/pipe.policy "
               "--model testdata/prepare/pipe.o2cm",
};

int VictimsCommand(int argc, char** argv) {
  Args args(argc, argv, kVictimsHelp);
  absl::StatusOr<std::string> policy_path = args.Require("policy");
  absl::StatusOr<std::string> model_path = args.Require("model");
  std::optional<std::string> workload = args.Get("workload");
  absl::StatusOr<long long> rounds = args.GetInt("rounds", 100);
  std::optional<std::string> out = args.Get("out");
  const bool markdown = args.Has("markdown");
  for (const absl::Status& s :
       {policy_path.status(), model_path.status(), rounds.status(), args.Finish()}) {
    if (!s.ok()) return ReportFailure("victims", s);
  }
  if (*rounds < 1 || *rounds > 1000000) {
    return ReportFailure("victims", absl::InvalidArgumentError("--rounds must be in [1, 10^6]"));
  }
  absl::StatusOr<Policy> policy = Policy::FromFile(*policy_path);
  if (!policy.ok()) return ReportFailure("victims", policy.status());
  absl::StatusOr<AuditionModel> model = AuditionModel::Load(*model_path);
  if (!model.ok()) return ReportFailure("victims", model.status());

  victims::HarvestOptions options;
  options.workload = workload.value_or("");
  options.rounds = static_cast<int>(*rounds);
  std::fprintf(stderr, "o2c victims: harvesting under %s\n",
               options.workload.empty() ? "the built-in victim workload"
                                        : options.workload.c_str());
  absl::StatusOr<victims::VictimMeasurement> measured =
      victims::MeasureVictimMissRates(*policy, *model, options);
  if (!measured.ok()) return ReportFailure("victims", measured.status());
  const victims::MissRates* rates = &measured->rates;
  std::printf("policy %s, model %s%s\n", policy_path->c_str(), model_path->c_str(),
              policy->own_threshold_set() ? " at the policy's threshold" : "");
  std::printf("%s", markdown ? victims::MissRatesMarkdown(*rates).c_str()
                             : victims::FormatMissRates(*rates).c_str());
  if (out.has_value()) {
    absl::Status s = ml::WriteDatasetCsv(victims::WithVictimTypeColumn(measured->harvest), *out);
    if (!s.ok()) return ReportFailure("victims", s);
    std::printf("wrote %s\n", out->c_str());
  }
  return 0;
}

}  // namespace o2c::cli
