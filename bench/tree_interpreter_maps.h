/* Limits shared by tree_interpreter.bpf.c and its C++ loader (TreeInterpreter):
 * the paper prototype's way of running a tree, as int64 arrays in BPF maps. */
#ifndef BENCH_TREE_INTERPRETER_MAPS_H_
#define BENCH_TREE_INTERPRETER_MAPS_H_

#define O2C_INTERP_MAX_NODES (1 << 18) /* all trees together */
#define O2C_INTERP_MAX_TREES 16
#define O2C_INTERP_MAX_DEPTH 64        /* internal nodes on a path */
#define O2C_INTERP_MAX_CLASSES 8

#endif /* BENCH_TREE_INTERPRETER_MAPS_H_ */
