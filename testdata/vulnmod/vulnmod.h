/* The ioctl interface of testdata/vulnmod/vulnmod.c, shared with its test. */
#ifndef O2C_TESTDATA_VULNMOD_VULNMOD_H_
#define O2C_TESTDATA_VULNMOD_VULNMOD_H_

#include <linux/ioctl.h>
#include <linux/types.h>

#define VULN_SLOTS 8

struct vuln_request {
	__u32 index; /* a slot, [0, VULN_SLOTS) */
	__u32 size;  /* VULN_ALLOC: bytes; VULN_WRITE: bytes to copy */
	__u64 data;  /* VULN_WRITE: user address of the bytes */
};

#define VULN_ALLOC _IOW('v', 1, struct vuln_request)
#define VULN_FREE _IOW('v', 2, struct vuln_request)
#define VULN_WRITE _IOW('v', 3, struct vuln_request)
#define VULN_ALLOC_TAIL _IOW('v', 4, struct vuln_request)
#define VULN_FREE_TAIL _IOW('v', 5, struct vuln_request)
#define VULN_NAME _IOW('v', 6, struct vuln_request)

#endif /* O2C_TESTDATA_VULNMOD_VULNMOD_H_ */
