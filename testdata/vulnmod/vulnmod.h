/* The ioctl interface of testdata/vulnmod/vulnmod.c, shared with its test. */
#ifndef O2C_TESTDATA_VULNMOD_VULNMOD_H_
#define O2C_TESTDATA_VULNMOD_VULNMOD_H_

#include <linux/ioctl.h>
#include <linux/types.h>

#define VULN_SLOTS 8

struct vuln_request {
	__u32 index; /* a slot, [0, VULN_SLOTS) */
	/* VULN_ALLOC: bytes; VULN_WRITE: bytes to copy; VULN_POKE,
	 * VULN_POKE_STALE: the byte offset of the word, a multiple of 8 */
	__u32 size;
	__u64 data;  /* VULN_WRITE: user address of the bytes */
};

#define VULN_ALLOC _IOW('v', 1, struct vuln_request)
#define VULN_FREE _IOW('v', 2, struct vuln_request)
#define VULN_WRITE _IOW('v', 3, struct vuln_request)
#define VULN_ALLOC_TAIL _IOW('v', 4, struct vuln_request)
#define VULN_FREE_TAIL _IOW('v', 5, struct vuln_request)
#define VULN_NAME _IOW('v', 6, struct vuln_request)
/* Rewrite the word at `size` bytes into slot `index`'s object. */
#define VULN_POKE _IOW('v', 7, struct vuln_request)
/* Free slot `index`'s object, keeping a pointer to it. */
#define VULN_FREE_KEEP _IOW('v', 8, struct vuln_request)
/* Rewrite the word at `size` bytes into the object VULN_FREE_KEEP freed. */
#define VULN_POKE_STALE _IOW('v', 9, struct vuln_request)

#endif /* O2C_TESTDATA_VULNMOD_VULNMOD_H_ */
