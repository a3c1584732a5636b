/* Helpers for headers shared by BPF programs (C, clang -target bpf, with
 * vmlinux.h) and O2C's C++: fixed-width types on both sides, and layout
 * assertions that both compilers check. */
#ifndef O2C_BPF_SHARED_ABI_H_
#define O2C_BPF_SHARED_ABI_H_

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#ifdef __cplusplus
#define O2C_ABI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define O2C_ABI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* A constant-expression offsetof on both sides (libbpf's bpf_helpers.h
 * defines offsetof as a pointer cast that static asserts refuse). */
#define O2C_OFFSETOF(type, member) __builtin_offsetof(type, member)

#endif /* O2C_BPF_SHARED_ABI_H_ */
