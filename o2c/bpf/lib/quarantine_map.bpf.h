/* The quarantine state the enforcer sets on a violation and the quarantine
 * gate reads (its loader reuses the enforcer's map): non-zero means
 * quarantined. A map, not a global, so that two programs share it. */
#ifndef O2C_BPF_LIB_QUARANTINE_MAP_BPF_H_
#define O2C_BPF_LIB_QUARANTINE_MAP_BPF_H_

struct {
  __uint(type, BPF_MAP_TYPE_ARRAY);
  __uint(max_entries, 1);
  __type(key, __u32);
  __type(value, __u32);
} quarantine SEC(".maps");

#endif /* O2C_BPF_LIB_QUARANTINE_MAP_BPF_H_ */
