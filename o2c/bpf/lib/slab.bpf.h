/* Which slab cache holds an address, the way the kernel's kfree() finds it
 * (virt_to_slab): through the bpf_get_kmem_cache kfunc where the kernel has
 * it, else by walking from the address to its struct page and struct slab
 * ourselves. The loader says which one the running kernel allows
 * (enum o2c_slab_lookup); the other is dead code the verifier removes, so an
 * unresolved kfunc or a field the kernel lacks never reaches it. */
#ifndef O2C_BPF_LIB_SLAB_BPF_H_
#define O2C_BPF_LIB_SLAB_BPF_H_

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "o2c/bpf/features.h"

/* Newer kernels only: left unresolved (0) by libbpf elsewhere. */
extern struct kmem_cache *bpf_get_kmem_cache(__u64 addr) __ksym __weak;

/* Kernels up to 6.9 mark a slab page with the PG_slab flag. */
enum pageflags___o2c { PG_slab___o2c = 0 };
struct page___o2c_flags {
  unsigned long flags;
} __attribute__((preserve_access_index));

/* Kernels since 6.12 mark it with a page type in page_type's top byte. */
enum pagetype___o2c { PGTY_slab___o2c = 0 };

#define O2C_PAGE_SHIFT 12 /* x86-64 */

static __always_inline __u64 o2c_read_u64(__u64 address)
{
  __u64 v = 0;

  bpf_probe_read_kernel(&v, sizeof(v), (const void *)address);
  return v;
}

/* Whether `head` (a compound head or a single page) is a slab. */
static __always_inline bool o2c_page_is_slab(struct page *head)
{
  if (bpf_core_enum_value_exists(enum pageflags___o2c, PG_slab___o2c)) {
    struct page___o2c_flags *p = (void *)head;
    unsigned long bit = bpf_core_enum_value(enum pageflags___o2c, PG_slab___o2c);

    return (BPF_CORE_READ(p, flags) >> bit) & 1;
  }
  if (bpf_core_enum_value_exists(enum pagetype___o2c, PGTY_slab___o2c) &&
      bpf_core_field_exists(head->page_type)) {
    __u32 type = BPF_CORE_READ(head, page_type);

    return (type >> 24) == bpf_core_enum_value(enum pagetype___o2c, PGTY_slab___o2c);
  }
  return false; /* an encoding we do not know: say "no slab", never guess */
}

/* virt_to_slab(address), by hand: the head page of the slab holding
 * `address`, or NULL when it is in no slab. */
static __always_inline struct page *o2c_walk_to_slab_page(const struct o2c_slab_layout *layout,
                                                          __u64 address)
{
  __u64 vmemmap = o2c_read_u64(layout->vmemmap_base);
  __u64 direct_map = o2c_read_u64(layout->page_offset_base);
  __u64 pfn_limit = o2c_read_u64(layout->max_pfn);
  __u64 page_size = bpf_core_type_size(struct page);
  struct page *page;
  __u64 pfn, head;

  if (!vmemmap || address < direct_map)
    return NULL; /* not in the direct map (vmalloc, module, text): no slab */
  pfn = (address - direct_map) >> O2C_PAGE_SHIFT;
  if (pfn >= pfn_limit)
    return NULL;
  page = (struct page *)(vmemmap + pfn * page_size);
  head = BPF_CORE_READ(page, compound_head);
  if (head & 1)
    page = (struct page *)(head - 1); /* a tail page: its folio's head */
  if (!o2c_page_is_slab(page))
    return NULL;
  return page;
}

/* virt_to_slab(address)->slab_cache, by hand. */
static __always_inline struct kmem_cache *o2c_walk_to_cache(const struct o2c_slab_layout *layout,
                                                           __u64 address)
{
  struct page *page = o2c_walk_to_slab_page(layout, address);

  return page ? BPF_CORE_READ((struct slab *)page, slab_cache) : NULL;
}

/* The slab object holding `address`, found by the walk: its cache (NULL
 * when the address is in no slab), where the object starts and its size.
 * SLUB lays objects out from the slab's first byte every cache->size bytes,
 * each after a red zone of red_left_pad bytes (0 unless slab debugging). */
struct o2c_slab_object {
  struct kmem_cache *cache;
  __u64 start;
  __u64 size; /* cache->object_size */
};

static __always_inline struct o2c_slab_object o2c_walk_to_object(
    const struct o2c_slab_layout *layout, __u64 address)
{
  struct o2c_slab_object found = {};
  struct page *page = o2c_walk_to_slab_page(layout, address);
  __u64 vmemmap, direct_map, page_size, slab_start, stride, pad = 0;
  struct kmem_cache *cache;

  if (!page)
    return found;
  cache = BPF_CORE_READ((struct slab *)page, slab_cache);
  stride = cache ? BPF_CORE_READ(cache, size) : 0;
  if (!stride)
    return found;
  if (bpf_core_field_exists(cache->red_left_pad))
    pad = BPF_CORE_READ(cache, red_left_pad);
  vmemmap = o2c_read_u64(layout->vmemmap_base);
  direct_map = o2c_read_u64(layout->page_offset_base);
  page_size = bpf_core_type_size(struct page);
  slab_start = direct_map + ((((__u64)page - vmemmap) / page_size) << O2C_PAGE_SHIFT);
  found.cache = cache;
  found.start = slab_start + (address - slab_start) / stride * stride + pad;
  found.size = BPF_CORE_READ(cache, object_size);
  return found;
}

/* The slab cache holding `address`, or NULL when it is in no slab (or
 * `lookup` is NONE). */
static __always_inline struct kmem_cache *o2c_slab_cache_of(__u32 lookup,
                                                           const struct o2c_slab_layout *layout,
                                                           __u64 address)
{
  if (lookup == O2C_SLAB_LOOKUP_KFUNC)
    return bpf_get_kmem_cache(address);
  if (lookup == O2C_SLAB_LOOKUP_WALK)
    return o2c_walk_to_cache(layout, address);
  return NULL;
}

/* Whether `cache` is one of kmalloc's size classes, by its name: kmalloc-*,
 * kmalloc-cg-*, kmalloc-rcl-*, dma-kmalloc-* (a dedicated cache that SLUB
 * merged into a kmalloc class counts as kmalloc: it shares its slabs). */
static __always_inline bool o2c_is_kmalloc_cache(struct kmem_cache *cache)
{
  char name[12] = {};
  const char *p = name;

  bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(cache, name));
  if (name[0] == 'd' && name[1] == 'm' && name[2] == 'a' && name[3] == '-')
    p = name + 4;
  return p[0] == 'k' && p[1] == 'm' && p[2] == 'a' && p[3] == 'l' && p[4] == 'l' &&
         p[5] == 'o' && p[6] == 'c' && p[7] == '-';
}

#endif /* O2C_BPF_LIB_SLAB_BPF_H_ */
