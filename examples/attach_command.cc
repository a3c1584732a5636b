// o2c attach: enforces a policy on the running kernel until Ctrl-C (or
// --seconds), printing events and a summary on exit.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

#include "absl/algorithm/container.h"
#include "absl/strings/str_cat.h"
#include "examples/cli_args.h"
#include "examples/commands.h"
#include "examples/event_printer.h"
#include "o2c/enforcer.h"
#include "o2c/internal/file_util.h"
#include "o2c/internal/status_macros.h"

namespace o2c::cli {

const CommandHelp kAttachHelp = {
    .name = "attach",
    .summary = "enforce a policy on the running kernel until Ctrl-C",
    .description = "Enforces a policy on the running kernel until Ctrl-C, SIGTERM or --seconds: "
               "events (or JSON lines, docs/events.md) on stdout, a summary on stderr.",
    .flags = {{"policy", "FILE", "the compartment's policy", true},
              {"model", "FILE", "the audition model (default: the policy's transition.model)"},
              {"json", "", "events as JSON lines (schema in docs/events.md)"},
              {"tgid", "PID", "enforce for this process only (default: the whole system)"},
              {"seconds", "S", "detach after S seconds (default: at Ctrl-C)"},
              {"final", "", "enter the final phase at once"},
              {"confirm-final-without-census", "",
               "trust a final phase no census confirmed (see o2c/enforcer.h)"},
              {"allow-kill-without-model", "", "arm KILL system-wide even without a model"},
              {"stats-file", "FILE",
               "write the counters there in Prometheus text format (for node_exporter's "
               "textfile collector; read it with o2c stats)"},
              {"stats-interval", "S", "rewrite --stats-file every S seconds (default 10)"}},
    .example = "sudo o2c attach --policy testdata/policies/pipe.policy "
               "--model testdata/prepare/pipe.o2cm --json --stats-file /tmp/o2c.prom",
};
namespace {

volatile std::sig_atomic_t stop_requested = 0;
void OnSignal(int) { stop_requested = 1; }

struct AttachFlags {
  std::string policy_path;
  std::optional<std::string> model_path;
  bool json = false;
  bool final_now = false;
  bool confirm_final_without_census = false;
  bool allow_kill_without_model = false;
  long long tgid = 0;
  long long seconds = 0;
  std::optional<std::string> stats_file;
  long long stats_interval = 10;
};

absl::StatusOr<AttachFlags> ParseFlags(int argc, char** argv) {
  Args args(argc, argv, kAttachHelp);
  AttachFlags flags;
  O2C_ASSIGN_OR_RETURN(flags.policy_path, args.Require("policy"));
  flags.model_path = args.Get("model");
  flags.json = args.Has("json");
  flags.final_now = args.Has("final");
  flags.confirm_final_without_census = args.Has("confirm-final-without-census");
  flags.allow_kill_without_model = args.Has("allow-kill-without-model");
  O2C_ASSIGN_OR_RETURN(flags.tgid, args.GetInt("tgid", 0));
  O2C_ASSIGN_OR_RETURN(flags.seconds, args.GetInt("seconds", 0));
  flags.stats_file = args.Get("stats-file");
  O2C_ASSIGN_OR_RETURN(flags.stats_interval, args.GetInt("stats-interval", 10));
  O2C_RETURN_IF_ERROR(args.Finish());
  if (flags.stats_interval <= 0) {
    return absl::InvalidArgumentError("--stats-interval must be at least 1 (seconds)");
  }
  return flags;
}

// Without a model the final phase starts at once: every free at a free site
// of an object allocated before the attach is a violation. System-wide, a
// KILL policy would then kill every process that, say, closes a pipe it
// opened earlier. Refused unless scoped to one process or asked for.
absl::Status CheckKillWithoutModel(const Policy& policy, const AuditionModel* model,
                                   const AttachFlags& flags) {
  if (model != nullptr || flags.tgid != 0 || flags.allow_kill_without_model) {
    return absl::OkStatus();
  }
  if (!absl::c_linear_search(policy.actions(), policy::KILL)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      flags.policy_path, ": refusing to arm KILL system-wide without a model: the final phase "
      "would start at once and kill every process that frees an object allocated before the "
      "attach (closing a pipe opened earlier, for one). Give --model (or the policy's "
      "transition.model), scope it with --tgid, or pass --allow-kill-without-model"));
}

absl::StatusOr<std::unique_ptr<AuditionModel>> LoadModel(const std::string& path) {
  if (path.empty()) {
    std::fprintf(stderr, "o2c attach: no model (--model or the policy's transition.model): "
                         "the final phase starts at once\n");
    return nullptr;
  }
  O2C_ASSIGN_OR_RETURN(AuditionModel model, AuditionModel::Load(path));
  return std::make_unique<AuditionModel>(std::move(model));
}

// Rewrites --stats-file (whole, by rename: a reader never sees half of it).
absl::Status WriteStatsFile(const Enforcer& enforcer, const std::string& compartment,
                            const AttachFlags& flags) {
  if (!flags.stats_file) return absl::OkStatus();
  O2C_ASSIGN_OR_RETURN(EnforcerStats stats, enforcer.Stats());
  return internal::WriteFileBytes(*flags.stats_file,
                                  Enforcer::PrometheusText(stats, compartment));
}

// Polls until Ctrl-C, SIGTERM or --seconds, rewriting --stats-file every
// --stats-interval; then a last poll, and the final counts.
absl::Status PollUntilStopped(Enforcer& enforcer, const std::string& compartment,
                              const AttachFlags& flags) {
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const auto start = std::chrono::steady_clock::now();
  auto stats_written = start;
  O2C_RETURN_IF_ERROR(WriteStatsFile(enforcer, compartment, flags));
  while (!stop_requested) {
    O2C_RETURN_IF_ERROR(enforcer.Poll(200).status());
    std::cout << std::flush;
    const auto now = std::chrono::steady_clock::now();
    if (now - stats_written >= std::chrono::seconds(flags.stats_interval)) {
      O2C_RETURN_IF_ERROR(WriteStatsFile(enforcer, compartment, flags));
      stats_written = now;
    }
    if (flags.seconds > 0 && now - start >= std::chrono::seconds(flags.seconds)) break;
  }
  O2C_RETURN_IF_ERROR(enforcer.Consume().status());
  return WriteStatsFile(enforcer, compartment, flags);
}

absl::Status Attach(const AttachFlags& flags) {
  O2C_ASSIGN_OR_RETURN(Policy policy, Policy::FromFile(flags.policy_path));
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<AuditionModel> model,
                       LoadModel(flags.model_path.value_or(policy.model_path().value_or(""))));
  O2C_RETURN_IF_ERROR(CheckKillWithoutModel(policy, model.get(), flags));
  O2C_ASSIGN_OR_RETURN(bpf::Kallsyms kallsyms, bpf::Kallsyms::FromFile());
  O2C_ASSIGN_OR_RETURN(Compartment compartment, Compartment::Resolve(policy, kallsyms));

  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(flags.tgid);
  options.confirm_final_without_census = flags.confirm_final_without_census;
  options.on_event = [json = flags.json](const Event& e) {
    std::cout << (json ? Enforcer::ToJsonLine(e) : FormatEvent(e)) << "\n";
  };
  O2C_ASSIGN_OR_RETURN(std::unique_ptr<Enforcer> enforcer,
                       Enforcer::Attach(compartment, policy, model.get(), kallsyms, options));
  if (!flags.json) {
    std::cout << "attached compartment '" << compartment.name() << "'"
              << (flags.tgid ? absl::StrCat(" (process ", flags.tgid, " only)") : "") << ":\n"
              << FormatMechanisms(enforcer->Mechanisms()) << "Ctrl-C to detach.\n"
              << std::flush;
  }
  if (flags.final_now) enforcer->EnterFinalPhase("--final");
  O2C_RETURN_IF_ERROR(PollUntilStopped(*enforcer, compartment.name(), flags));
  O2C_ASSIGN_OR_RETURN(EnforcerStats stats, enforcer->Stats());
  enforcer->Detach();
  std::cerr << "detached; " << FormatStats(stats) << "\n";
  return absl::OkStatus();
}

}  // namespace

int AttachCommand(int argc, char** argv) {
  absl::StatusOr<AttachFlags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) return ReportFailure("attach", flags.status());
  if (absl::Status s = Attach(*flags); !s.ok()) return ReportFailure("attach", s);
  return 0;
}

}  // namespace o2c::cli
