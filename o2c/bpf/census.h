/* Structs shared by census.bpf.c and its C++ loader (CensusPrograms): what
 * one walk over every task's open files found. */
#ifndef O2C_BPF_CENSUS_H_
#define O2C_BPF_CENSUS_H_

#include "o2c/bpf/shared_abi.h"

/* Counted over file references: a pipe's two ends are two references to one
 * object, so "untracked > 0" means "a pre-attach object is still alive". */
struct o2c_census_counts {
  __u64 files;             /* open file references walked */
  __u64 compartment_files; /* ... whose handlers are compartment code */
  __u64 tracked;           /* ... whose private_data is a tracked object */
  __u64 untracked;         /* ... whose private_data is not tracked: pre-attach */
  __u64 no_object;         /* ... with no private_data */
  __u64 static_object;     /* ... whose private_data is in the kernel image or a
                            * module (a misc device's struct), not the heap */
};

/* x86-64: the kernel image and modules live at and above this address; slab
 * objects (the direct map) far below it. */
#define O2C_KERNEL_IMAGE_START 0xffffffff80000000ULL

O2C_ABI_ASSERT(sizeof(struct o2c_census_counts) == 48, "o2c_census_counts size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_census_counts, untracked) == 24, "untracked");

#endif /* O2C_BPF_CENSUS_H_ */
