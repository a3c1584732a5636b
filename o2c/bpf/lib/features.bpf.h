/* The audition feature extractor (features.h says what each feature means).
 * Used at free sites by the enforcer and by the preparation phase's
 * profiler: one extractor, so a model sees the same numbers in both. */
#ifndef O2C_BPF_LIB_FEATURES_BPF_H_
#define O2C_BPF_LIB_FEATURES_BPF_H_

#include "o2c/bpf/codegen/audition.h"
#include "o2c/bpf/features.h"
#include "o2c/bpf/lib/ranges.bpf.h"
#include "o2c/bpf/lib/slab.bpf.h"

/* Where things are, set by the loader (from kallsyms and the compartment). */
struct o2c_extractor_config {
  const volatile struct o2c_code_range *compartment; /* sorted code ranges */
  __u32 nr_compartment;
  __u32 max_compartment;
  __u64 text_start; /* kernel text [_stext, _etext) */
  __u64 text_end;
  __u32 slab_lookup; /* enum o2c_slab_lookup */
  struct o2c_slab_layout slab_layout; /* for O2C_SLAB_LOOKUP_WALK */
};

static __always_inline __s64 o2c_word_class(const struct o2c_extractor_config *cfg,
                                            __u64 object, __u64 w)
{
  if (w == 0)
    return O2C_WORD_NULL;
  if ((__s64)w > -4096 && (__s64)w < 4096)
    return O2C_WORD_SMALL;
  if (w < 0x0000800000000000ULL)
    return O2C_WORD_USER;
  if (w >= object && w < object + 4096)
    return O2C_WORD_SELF;
  if (w >= cfg->text_start && w < cfg->text_end) {
    if (o2c_find_range(cfg->compartment, cfg->nr_compartment, cfg->max_compartment, w) >= 0)
      return O2C_WORD_COMPARTMENT;
    return O2C_WORD_KERNEL_TEXT;
  }
  if (w >= 0xffff800000000000ULL)
    return O2C_WORD_KERNEL;
  return O2C_WORD_OTHER;
}

/* Fills f->value[0 .. O2C_F_COUNT) for `object`. */
static __always_inline void o2c_extract_features(const struct o2c_extractor_config *cfg,
                                                 struct o2c_features *f, __u64 object)
{
  struct kmem_cache *cache = o2c_slab_cache_of(cfg->slab_lookup, &cfg->slab_layout, object);
  __u64 words[O2C_FEATURE_WORDS] = {};
  __s64 align = 0;

  /* The free tracepoints run before the memory is released: still intact. */
  bpf_probe_read_kernel(words, sizeof(words), (const void *)object);
  while (align < 12 && !(object & (1ULL << align)))
    align++;
  if (cache) {
    f->value[O2C_F_SIZE] = BPF_CORE_READ(cache, object_size);
    f->value[O2C_F_CACHE_KIND] =
        o2c_is_kmalloc_cache(cache) ? O2C_CACHE_KMALLOC : O2C_CACHE_DEDICATED;
  } else {
    f->value[O2C_F_SIZE] = -1;
    f->value[O2C_F_CACHE_KIND] = O2C_CACHE_NONE;
  }
  f->value[O2C_F_ALIGN] = align;
  for (int c = 0; c < O2C_WORD_CLASSES; c++)
    f->value[O2C_F_NR_NULL + c] = 0;
  for (int i = 0; i < O2C_FEATURE_WORDS; i++) {
    __s64 c = o2c_word_class(cfg, object, words[i]);

    f->value[O2C_F_WORD0 + i] = c;
    if (c >= 0 && c < O2C_WORD_CLASSES)
      f->value[O2C_F_NR_NULL + c]++;
  }
  f->count = O2C_F_COUNT;
}

#endif /* O2C_BPF_LIB_FEATURES_BPF_H_ */
