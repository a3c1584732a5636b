// SPDX-License-Identifier: GPL-2.0
/* Empty programs on the four kmem tracepoints: the cost floor that every
 * tracker is measured against (bench/pipe_loop_bench). Both flavours, like
 * kmem_sites.bpf.c, so the floor uses the tracker's own mechanism. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/kmalloc")
int btf_kmalloc(void *ctx) { return 0; }

SEC("tp_btf/kmem_cache_alloc")
int btf_kmem_cache_alloc(void *ctx) { return 0; }

SEC("tp_btf/kfree")
int btf_kfree(void *ctx) { return 0; }

SEC("tp_btf/kmem_cache_free")
int btf_kmem_cache_free(void *ctx) { return 0; }

SEC("raw_tp/kmalloc")
int raw_kmalloc(void *ctx) { return 0; }

SEC("raw_tp/kmem_cache_alloc")
int raw_kmem_cache_alloc(void *ctx) { return 0; }

SEC("raw_tp/kfree")
int raw_kfree(void *ctx) { return 0; }

SEC("raw_tp/kmem_cache_free")
int raw_kmem_cache_free(void *ctx) { return 0; }
