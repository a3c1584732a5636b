// SPDX-License-Identifier: GPL-2.0
/*
 * vulnmod: a deliberately vulnerable misc device, the compartment of O2C's
 * VM-tier exploit tests (o2c/enforcer_vulnmod_test.cc). Never load it on a
 * machine that matters.
 *
 * /dev/vulnmod keeps up to VULN_SLOTS objects of its own (VULN_ALLOC,
 * VULN_FREE) and copies user bytes into them (VULN_WRITE). Its table has
 * one more entry after the slots: a bitmap the kernel allocated for it
 * (bitmap_zalloc, so allocated by lib/bitmap.c, not by this module).
 *
 * The bugs:
 * - VULN_FREE checks `index > VULN_SLOTS` instead of `index >= VULN_SLOTS`,
 *   so index VULN_SLOTS makes the module kfree() an object it does not own:
 *   the arbitrary-free primitive a real exploit turns into a use-after-free
 *   of a kernel object. Nothing else uses that bitmap, so freeing it leaves
 *   the test kernel healthy.
 * - VULN_WRITE does not bound its size by the object's: a copy past the end
 *   of the object, into whatever slab object follows (a helper call's
 *   out-of-bounds write).
 * - VULN_POKE does not bound its offset: an out-of-bounds write through a
 *   register into whatever follows the object.
 * - VULN_FREE_KEEP frees a slot's object but keeps the pointer, and
 *   VULN_POKE_STALE writes through it: a write after free.
 * The pokes write back the 8 bytes they read (a store that really targets
 * the neighbour, with nothing changed), so the test kernel stays healthy.
 *
 * VULN_ALLOC_TAIL and VULN_FREE_TAIL do what VULN_ALLOC and VULN_FREE do
 * (without the bug) through functions that tail-jump to the allocator and
 * to kfree; VULN_NAME makes and frees a string of its own through kstrdup
 * and kfree_const.
 */
#include <linux/bitmap.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vulnmod.h"

static DEFINE_MUTEX(vuln_lock);
/* [0, VULN_SLOTS): the module's objects; [VULN_SLOTS]: the kernel's bitmap. */
static void *vuln_table[VULN_SLOTS + 1];
/* The object VULN_FREE_KEEP freed, and its size: never freed again. */
static void *vuln_stale;
static size_t vuln_stale_size;

static noinline long vuln_alloc(__u32 index, __u32 size)
{
	if (index >= VULN_SLOTS || size == 0 || size > 4096)
		return -EINVAL;
	if (vuln_table[index])
		return -EBUSY;
	vuln_table[index] = kmalloc(size, GFP_KERNEL);
	return vuln_table[index] ? 0 : -ENOMEM;
}

static noinline long vuln_free(__u32 index)
{
	if (index > VULN_SLOTS) /* the bug: should be >= */
		return -EINVAL;
	kfree(vuln_table[index]);
	vuln_table[index] = NULL;
	return 0;
}

/* Leave by a tail jump (`jmp __kmalloc`, `jmp kfree`): the kernel reports
 * their callers' return addresses as call_site, not theirs. */
static noinline void *vuln_new(size_t size)
{
	return kmalloc(size, GFP_KERNEL);
}

static noinline void vuln_drop(void *object)
{
	kfree(object);
}

static noinline long vuln_alloc_tail(__u32 index, __u32 size)
{
	if (index >= VULN_SLOTS || size == 0 || size > 4096)
		return -EINVAL;
	if (vuln_table[index])
		return -EBUSY;
	vuln_table[index] = vuln_new(size);
	return vuln_table[index] ? 0 : -ENOMEM;
}

static noinline long vuln_free_tail(__u32 index)
{
	void *object;

	if (index >= VULN_SLOTS)
		return -EINVAL;
	object = vuln_table[index];
	vuln_table[index] = NULL;
	vuln_drop(object);
	return 0;
}

/* A string of its own, made and freed through kstrdup and kfree_const,
 * which are not among the policy's allocators and frees. */
static noinline long vuln_name(void)
{
	char *name = kstrdup("vulnmod", GFP_KERNEL);

	if (!name)
		return -ENOMEM;
	kfree_const(name);
	return 0;
}

static noinline long vuln_write(__u32 index, const void __user *data, __u32 size)
{
	if (index >= VULN_SLOTS || !vuln_table[index])
		return -EINVAL;
	/*
	 * The bug: no bound on size. A raw copy, as a driver that bypasses
	 * copy_from_user's checks makes it: copy_from_user would stop the bug
	 * itself (hardened usercopy BUG()s on a copy past a slab object) and,
	 * after a fault, zero the rest. This one stops at the first fault and
	 * writes nothing after it.
	 */
	if (!access_ok(data, size))
		return -EFAULT;
	return raw_copy_from_user(vuln_table[index], data, size) ? -EFAULT : 0;
}

/* Rewrites the word at `offset` in a slot's object with its own value. */
static noinline long vuln_poke(__u32 index, __u32 offset)
{
	u64 *word;

	if (index >= VULN_SLOTS || !vuln_table[index] || offset % 8)
		return -EINVAL;
	/* The bug: no bound on offset. */
	word = (u64 *)((char *)vuln_table[index] + offset);
	WRITE_ONCE(*word, READ_ONCE(*word));
	return 0;
}

static noinline long vuln_free_keep(__u32 index)
{
	if (index >= VULN_SLOTS || !vuln_table[index])
		return -EINVAL;
	/* The bug: the pointer outlives the object. */
	vuln_stale = vuln_table[index];
	vuln_stale_size = ksize(vuln_stale);
	kfree(vuln_stale);
	vuln_table[index] = NULL;
	return 0;
}

/* Rewrites the word at `offset` in the freed object with its own value. */
static noinline long vuln_poke_stale(__u32 offset)
{
	u64 *word;

	if (!vuln_stale || offset % 8 || (size_t)offset + 8 > vuln_stale_size)
		return -EINVAL;
	word = (u64 *)((char *)vuln_stale + offset);
	WRITE_ONCE(*word, READ_ONCE(*word));
	return 0;
}

static long vuln_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vuln_request req;
	long ret;

	if (copy_from_user(&req, (void __user *)arg, sizeof(req)))
		return -EFAULT;
	mutex_lock(&vuln_lock);
	switch (cmd) {
	case VULN_ALLOC:
		ret = vuln_alloc(req.index, req.size);
		break;
	case VULN_FREE:
		ret = vuln_free(req.index);
		break;
	case VULN_WRITE:
		ret = vuln_write(req.index, u64_to_user_ptr(req.data), req.size);
		break;
	case VULN_ALLOC_TAIL:
		ret = vuln_alloc_tail(req.index, req.size);
		break;
	case VULN_FREE_TAIL:
		ret = vuln_free_tail(req.index);
		break;
	case VULN_NAME:
		ret = vuln_name();
		break;
	case VULN_POKE:
		ret = vuln_poke(req.index, req.size);
		break;
	case VULN_FREE_KEEP:
		ret = vuln_free_keep(req.index);
		break;
	case VULN_POKE_STALE:
		ret = vuln_poke_stale(req.size);
		break;
	default:
		ret = -ENOTTY;
	}
	mutex_unlock(&vuln_lock);
	return ret;
}

static int vuln_open(struct inode *inode, struct file *file)
{
	return 0;
}

static const struct file_operations vuln_fops = {
	.owner = THIS_MODULE,
	.open = vuln_open,
	.unlocked_ioctl = vuln_ioctl,
};

static struct miscdevice vuln_device = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vulnmod",
	.fops = &vuln_fops,
	.mode = 0666,
};

static int __init vuln_init(void)
{
	int err;

	vuln_table[VULN_SLOTS] = bitmap_zalloc(512, GFP_KERNEL);
	if (!vuln_table[VULN_SLOTS])
		return -ENOMEM;
	err = misc_register(&vuln_device);
	if (err)
		bitmap_free(vuln_table[VULN_SLOTS]);
	return err;
}

static void __exit vuln_exit(void)
{
	int i;

	misc_deregister(&vuln_device);
	/* Not vuln_stale: it was freed already. */
	for (i = 0; i < VULN_SLOTS; i++)
		kfree(vuln_table[i]);
	bitmap_free(vuln_table[VULN_SLOTS]);
}

module_init(vuln_init);
module_exit(vuln_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("A deliberately vulnerable device for O2C's VM-tier tests");
