// SPDX-License-Identifier: GPL-2.0
/* The baseline the compiled trees are measured against: the paper
 * prototype's interpreter. The tree lives in int64 array maps laid out like
 * scikit-learn's (children_left, children_right, feature, threshold, value,
 * plus leaf_id), walked with a bounded loop. XDP, so BPF_PROG_TEST_RUN can
 * repeat it; the packet is struct o2c_verdict followed by the features, as
 * in tree_program.h's packet form. */
#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "o2c/bpf/codegen/audition.h"
#include "bench/tree_interpreter_maps.h"

char LICENSE[] SEC("license") = "GPL";

#define NODE_ARRAY(name)                          \
  struct {                                        \
    __uint(type, BPF_MAP_TYPE_ARRAY);             \
    __uint(max_entries, O2C_INTERP_MAX_NODES);    \
    __type(key, __u32);                           \
    __type(value, __s64);                         \
  } name SEC(".maps")

NODE_ARRAY(children_left);
NODE_ARRAY(children_right);
NODE_ARRAY(feature);   /* -1: leaf */
NODE_ARRAY(threshold);
NODE_ARRAY(value);     /* leaf: class */
NODE_ARRAY(leaf_id);

/* Root node of each tree; -1 after the last. */
struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, O2C_INTERP_MAX_TREES);
  __type(key, __u32);
  __type(value, __s64);
} roots SEC(".maps");

static __always_inline __s64 *at(void *map, __s64 index)
{
  __u32 key = index;

  return bpf_map_lookup_elem(map, &key);
}

SEC("xdp")
int o2c_tree_interpret(struct xdp_md *ctx)
{
  void *data = (void *)(long)ctx->data;
  void *end = (void *)(long)ctx->data_end;
  struct o2c_verdict *verdict = data;
  __s64 *x = (__s64 *)(verdict + 1);
  __u32 votes[O2C_INTERP_MAX_CLASSES] = {};
  __s32 label = -1, leaf = -1;
  __u32 trees = 0;

  if ((void *)(verdict + 1) > end)
    return XDP_ABORTED;
#pragma clang loop unroll(disable)
  for (__u32 t = 0; t < O2C_INTERP_MAX_TREES; t++) {
    __s64 *root = at(&roots, t);

    if (!root || *root < 0)
      break;
    __s64 node = *root;
#pragma clang loop unroll(disable)
    for (int d = 0; d <= O2C_INTERP_MAX_DEPTH; d++) {
      __s64 *f = at(&feature, node);

      if (!f)
        return XDP_ABORTED;
      if (*f < 0) {
        __s64 *l = at(&value, node), *id = at(&leaf_id, node);

        if (!l || !id)
          return XDP_ABORTED;
        label = *l;
        leaf = *id;
        if (label >= 0 && label < O2C_INTERP_MAX_CLASSES)
          votes[label & (O2C_INTERP_MAX_CLASSES - 1)]++;
        break;
      }
      __u64 fi = *f;
      if (fi >= O2C_MAX_FEATURES)
        return XDP_ABORTED;
      __s64 *v = x + fi;
      if ((void *)(v + 1) > end)
        return XDP_ABORTED;
      __s64 *thr = at(&threshold, node);
      if (!thr)
        return XDP_ABORTED;
      __s64 *next;
      if (*v <= *thr)
        next = at(&children_left, node);
      else
        next = at(&children_right, node);
      if (!next)
        return XDP_ABORTED;
      node = *next;
    }
    trees++;
  }
  if (trees > 1) {
    /* Majority; ties go to the lower label. */
    __u32 best = 0;

    label = 0;
    leaf = -1;
#pragma clang loop unroll(disable)
    for (int c = 1; c < O2C_INTERP_MAX_CLASSES; c++) {
      if (votes[c] > votes[best]) {
        best = c;
        label = c;
      }
    }
  }
  verdict->label = label;
  verdict->leaf_id = leaf;
  return XDP_PASS;
}
