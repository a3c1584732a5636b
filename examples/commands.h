// The subcommands of the `o2c` tool, one file each (<name>_command.cc). Each
// takes its arguments (argv[0] is the command's name) and returns the exit
// code; its CommandHelp is what `o2c <name> --help` prints.
#ifndef O2C_EXAMPLES_COMMANDS_H_
#define O2C_EXAMPLES_COMMANDS_H_

#include "examples/cli_args.h"

namespace o2c::cli {

int ProbeCommand(int argc, char** argv);  // the kernel's BPF feature table
int DemoCommand(int argc, char** argv);   // the end-to-end scenario
int AttachCommand(int argc, char** argv);  // enforce a policy until Ctrl-C
int StatsCommand(int argc, char** argv);   // a running attach's counters (--stats-file)
int CompartmentCommand(int argc, char** argv);  // a policy's compartment, resolved
int CompileCommand(int argc, char** argv);  // model -> BPF program, loaded and checked
int TrainCommand(int argc, char** argv);    // dataset -> audition model file, with metrics
int ExplainCommand(int argc, char** argv);  // a model in words, dot and PNG
int EvaluateCommand(int argc, char** argv);  // a model scored on a dataset it was not trained on
int PrepareCommand(int argc, char** argv);  // profile + dataset + train + check, one go
int VictimsCommand(int argc, char** argv);  // a model's miss rate on exploits' victims

extern const CommandHelp kProbeHelp;
extern const CommandHelp kDemoHelp;
extern const CommandHelp kAttachHelp;
extern const CommandHelp kStatsHelp;
extern const CommandHelp kCompartmentHelp;
extern const CommandHelp kCompileHelp;
extern const CommandHelp kTrainHelp;
extern const CommandHelp kExplainHelp;
extern const CommandHelp kEvaluateHelp;
extern const CommandHelp kVictimsHelp;
extern const CommandHelp kPrepareHelp;

}  // namespace o2c::cli

#endif  // O2C_EXAMPLES_COMMANDS_H_
