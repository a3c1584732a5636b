// o2c: the command-line tool over the O2C SDK.
#include <cstdio>
#include <string>
#include <vector>

#include "examples/commands.h"
#include "o2c/internal/edit_distance.h"

namespace {

using o2c::cli::CommandHelp;

struct Command {
  int (*run)(int argc, char** argv);
  const CommandHelp* help;  // name, summary, flags, example
};

const Command kCommands[] = {
    {o2c::cli::ProbeCommand, &o2c::cli::kProbeHelp},
    {o2c::cli::DemoCommand, &o2c::cli::kDemoHelp},
    {o2c::cli::AttachCommand, &o2c::cli::kAttachHelp},
    {o2c::cli::StatsCommand, &o2c::cli::kStatsHelp},
    {o2c::cli::CompartmentCommand, &o2c::cli::kCompartmentHelp},
    {o2c::cli::CompileCommand, &o2c::cli::kCompileHelp},
    {o2c::cli::TrainCommand, &o2c::cli::kTrainHelp},
    {o2c::cli::ExplainCommand, &o2c::cli::kExplainHelp},
    {o2c::cli::EvaluateCommand, &o2c::cli::kEvaluateHelp},
    {o2c::cli::PrepareCommand, &o2c::cli::kPrepareHelp},
    {o2c::cli::VictimsCommand, &o2c::cli::kVictimsHelp},
};

const Command* Find(const std::string& name) {
  for (const Command& c : kCommands) {
    if (c.help->name == name) return &c;
  }
  return nullptr;
}

void Usage(FILE* out) {
  std::fprintf(out, "usage: o2c <command> [flags]\n\ncommands:\n");
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-12s %s\n", c.help->name.c_str(), c.help->summary.c_str());
  }
  std::fprintf(out, "\no2c <command> --help: its flags and an example\n");
}

// "o2c: unknown command 'atach' (did you mean 'attach'?)" and the list.
int UnknownCommand(const std::string& name) {
  std::vector<std::string> names;
  for (const Command& c : kCommands) names.push_back(c.help->name);
  std::string nearest = o2c::NearestName(name, names);
  std::fprintf(stderr, "o2c: unknown command '%s'%s\n\n", name.c_str(),
               nearest.empty() ? "" : (" (did you mean '" + nearest + "'?)").c_str());
  Usage(stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string first = argc < 2 ? "" : argv[1];
  if (first.empty() || first == "help" || first == "--help" || first == "-h") {
    if (first == "help" && argc > 2) {  // o2c help COMMAND
      const Command* c = Find(argv[2]);
      if (c == nullptr) return UnknownCommand(argv[2]);
      std::fputs(o2c::cli::FormatHelp(*c->help).c_str(), stdout);
      return 0;
    }
    Usage(first.empty() ? stderr : stdout);
    return first.empty() ? 2 : 0;
  }
  const Command* c = Find(first);
  if (c == nullptr) return UnknownCommand(first);
  if (o2c::cli::WantsHelp(argc - 1, argv + 1)) {
    std::fputs(o2c::cli::FormatHelp(*c->help).c_str(), stdout);
    return 0;
  }
  return c->run(argc - 1, argv + 1);
}
