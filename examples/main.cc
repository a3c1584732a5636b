// o2c: the command-line tool over the O2C SDK.
#include <cstdio>
#include <cstring>

#include "examples/commands.h"

namespace {

struct Command {
  const char* name;
  int (*run)(int argc, char** argv);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"probe", o2c::cli::ProbeCommand, "what BPF can do on this kernel, and what that means"},
    {"demo", o2c::cli::DemoCommand, "the end-to-end scenario on this kernel"},
    {"attach", o2c::cli::AttachCommand, "enforce a policy on the running kernel until Ctrl-C"},
    {"compartment", o2c::cli::CompartmentCommand, "resolve a policy's compartment: ranges, alloc/free sites"},
    {"compile", o2c::cli::CompileCommand, "compile a model to BPF, load it, show verifier stats"},
    {"train", o2c::cli::TrainCommand, "train the audition model (CART) on a labelled dataset"},
    {"explain", o2c::cli::ExplainCommand, "explain a model: importances, a sample's path, dot/PNG"},
    {"evaluate", o2c::cli::EvaluateCommand, "score a model on a dataset it was not trained on"},
    {"prepare", o2c::cli::PrepareCommand, "profile a compartment under a workload, build the dataset, train, check"},
};

void Usage(FILE* out) {
  std::fprintf(out, "usage: o2c <command> [flags]\n\ncommands:\n");
  for (const Command& c : kCommands) std::fprintf(out, "  %-12s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "help") == 0 || std::strcmp(argv[1], "--help") == 0) {
    Usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) return c.run(argc - 1, argv + 1);
  }
  std::fprintf(stderr, "o2c: unknown command '%s'\n\n", argv[1]);
  Usage(stderr);
  return 2;
}
