// o2c attach: enforces a policy on the running kernel until Ctrl-C (or
// --seconds), printing events and a summary on exit.
#include <csignal>
#include <cstdio>
#include <iostream>

#include "examples/cli_args.h"
#include "examples/commands.h"
#include "examples/event_printer.h"
#include "o2c/enforcer.h"

namespace o2c::cli {
namespace {

volatile std::sig_atomic_t stop_requested = 0;
void OnSignal(int) { stop_requested = 1; }

}  // namespace

int AttachCommand(int argc, char** argv) {
  Args args(argc, argv);
  auto policy_path = args.Require("policy");
  std::optional<std::string> model_flag = args.Get("model");
  bool json = args.Has("json");
  bool final_now = args.Has("final");
  auto tgid = args.GetInt("tgid", 0);
  auto seconds = args.GetInt("seconds", 0);
  if (!policy_path.ok()) return ReportFailure("attach", policy_path.status());
  if (!tgid.ok()) return ReportFailure("attach", tgid.status());
  if (!seconds.ok()) return ReportFailure("attach", seconds.status());
  if (absl::Status s = args.Finish(); !s.ok()) return ReportFailure("attach", s);

  auto policy = Policy::FromFile(*policy_path);
  if (!policy.ok()) return ReportFailure("attach", policy.status());
  auto kallsyms = bpf::Kallsyms::FromFile();
  if (!kallsyms.ok()) return ReportFailure("attach", kallsyms.status());
  auto compartment = Compartment::Resolve(*policy, *kallsyms);
  if (!compartment.ok()) return ReportFailure("attach", compartment.status());
  std::string model_path = model_flag ? *model_flag : policy->model_path().value_or("");
  std::unique_ptr<AuditionModel> model;
  if (!model_path.empty()) {
    auto loaded = AuditionModel::Load(model_path);
    if (!loaded.ok()) return ReportFailure("attach", loaded.status());
    model = std::make_unique<AuditionModel>(std::move(*loaded));
  } else {
    std::fprintf(stderr, "o2c attach: no model (--model or the policy's transition.model): "
                         "the final phase starts at once\n");
  }

  Enforcer::Options options;
  options.scope_tgid = static_cast<uint32_t>(*tgid);
  options.on_event = [&](const Event& e) {
    std::cout << (json ? Enforcer::ToJsonLine(e) : FormatEvent(e)) << "\n";
  };
  auto enforcer = Enforcer::Attach(*compartment, *policy, model.get(), *kallsyms, options);
  if (!enforcer.ok()) return ReportFailure("attach", enforcer.status());
  if (!json) {
    std::cout << "attached compartment '" << compartment->name() << "'"
              << (*tgid ? " (process " + std::to_string(*tgid) + " only)" : "") << ":\n";
    for (const std::string& m : (*enforcer)->Mechanisms()) std::cout << "  " << m << "\n";
    std::cout << "Ctrl-C to detach.\n" << std::flush;
  }
  if (final_now) (*enforcer)->EnterFinalPhase("--final");
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto start = std::chrono::steady_clock::now();
  while (!stop_requested) {
    auto n = (*enforcer)->Poll(200);
    if (!n.ok()) return ReportFailure("attach", n.status());
    std::cout << std::flush;
    if (*seconds > 0 && std::chrono::steady_clock::now() - start >= std::chrono::seconds(*seconds)) {
      break;
    }
  }
  (*enforcer)->Poll(0).IgnoreError();
  auto stats = (*enforcer)->Stats();
  if (!stats.ok()) return ReportFailure("attach", stats.status());
  (*enforcer)->Detach();
  std::cerr << "detached; " << FormatStats(*stats) << "\n";
  return 0;
}

}  // namespace o2c::cli
