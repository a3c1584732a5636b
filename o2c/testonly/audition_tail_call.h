/* Structs shared by audition_tail_call.bpf.c and its test: what the
 * continuation recorded after the generated tree ran (by tail call) on a
 * kfree of the test's own process. */
#ifndef O2C_TESTONLY_AUDITION_TAIL_CALL_H_
#define O2C_TESTONLY_AUDITION_TAIL_CALL_H_

#include "o2c/bpf/codegen/audition.h"

#define O2C_TAIL_TEST_FEATURES 8
#define O2C_TAIL_TEST_RECORDS 512

struct o2c_tail_call_record {
  __s64 features[O2C_TAIL_TEST_FEATURES];
  struct o2c_verdict verdict;
  __u64 object;
};
O2C_ABI_ASSERT(sizeof(struct o2c_tail_call_record) == 80, "o2c_tail_call_record size");
O2C_ABI_ASSERT(O2C_OFFSETOF(struct o2c_tail_call_record, verdict) == 64, "record.verdict");

#endif /* O2C_TESTONLY_AUDITION_TAIL_CALL_H_ */
