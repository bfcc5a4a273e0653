// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-lend: /dev/xen/lend, the memory lending ABI of
 * docs/interop/xen-lend.rst (include/hw/xen/xen-lend-abi.h).
 *
 * IOCTL_PRIVCMD_LEND_OPEN on /dev/xen/lend returns a lend handle bound to
 * one HVM domain.  LEND lends ranges of the caller's memory without
 * pinning it (lend-range.c: an MMU notifier revokes a page before the
 * kernel moves or frees it); REVOKE takes them back.  Closing the handle,
 * also when the process dies, revokes what is still lent.  No entry ever
 * points at a page Linux has let go of.
 *
 * Two ways to lend, chosen when the handle is opened:
 * - Xen's own (XEN_DMOP_lend_pages, the hypervisor patches): p2m_lent
 *   entries, write-back, 2 MiB where the frames allow, holding Xen's
 *   reference on each frame;
 * - phase 1 on a stock Xen: p2m_mmio_direct entries (lend-xen.c).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <xen/xen.h>
#include <xen/page.h>

#include "hw/xen/xen-lend-abi.h"
#include "lend.h"

#define LEND_MAX_EXTENTS  64
/* an extent's bookkeeping is 8 bytes a page: at most 64 GiB an extent */
#define LEND_MAX_PAGES    (1ULL << 24)

/* Counters, in /sys/class/misc/xen-lend/ (the test bed reads them). */
struct lend_stats lend_stats;
DEFINE_MUTEX(lend_phase1_lock);

/*
 * Is @domid still the domain the handle was opened for?  0: yes, or Xen
 * could not say (ask Xen as usual); -ESRCH: the domain is gone, its p2m
 * with it; -ESTALE: the id names a domain with another handle (UUID),
 * which an old handle must not touch.  Only -ESRCH lets pages go without
 * a revoke: a live domain's UUID can also change
 * (XEN_DOMCTL_setdomainhandle), and its entries may still be there.
 */
int lend_domain_state(struct lend_handle *h)
{
	u8 now[XEN_LEND_DOMAIN_HANDLE];
	int ret = xen_lend_domain_handle(h->domid, now, NULL);

	if (ret == -ESRCH)
		return ret;
	return !ret && memcmp(now, h->uuid, sizeof(now)) ? -ESTALE : 0;
}

/* Forget gfn..gfn+nr-1 of @r; the range goes with its last page. */
static void forget(struct lend_handle *h, struct lend_range *r, u64 gfn,
		   u64 nr)
{
	u64 i;

	for (i = 0; i < nr; i++)
		xa_erase(&h->gfns, gfn + i);
	r->recorded -= nr;
	if (!r->recorded)
		lend_range_destroy(r);
}

/* Lend one extent, all or nothing: a range of its own. */
static int lend_extent(struct lend_handle *h,
		       const struct privcmd_lend_extent *ext)
{
	struct lend_range *r;
	u64 i;
	int ret;

	r = lend_range_create(h, ext->gfn, ext->uaddr, ext->nr_pages);
	if (IS_ERR(r))
		return PTR_ERR(r);
	for (i = 0; i < ext->nr_pages; i++) {
		ret = xa_insert(&h->gfns, ext->gfn + i, r, GFP_KERNEL);
		if (ret) {
			ret = ret == -EBUSY ? -EEXIST : ret;
			break;
		}
		r->recorded++;
		cond_resched();
	}
	if (!ret)
		ret = lend_range_lend(r);
	if (ret) {
		if (r->recorded)
			forget(h, r, ext->gfn, r->recorded);
		else
			lend_range_destroy(r);
	}
	return ret;
}

/* Undo a LEND extent that succeeded: revoke and forget it. */
static void undo_lend(struct lend_handle *h,
		      const struct privcmd_lend_extent *ext)
{
	struct lend_range *r = xa_load(&h->gfns, ext->gfn);

	lend_range_revoke(r, 0, r->nr, 0);
	forget(h, r, ext->gfn, ext->nr_pages);
}

/* Is every page of the extent lent through the handle? */
static bool all_lent(struct lend_handle *h, const struct privcmd_lend_extent *e)
{
	u64 i;

	for (i = 0; i < e->nr_pages; i++) {
		if (!xa_load(&h->gfns, e->gfn + i))
			return false;
	}
	return true;
}

/*
 * REVOKE of an extent: it may span several ranges and part of one.  Pages
 * Xen does not give back are kept for good (lend-range.c); the first
 * such error is returned.  @state as lend_range_revoke() takes it.
 */
static int revoke_extent(struct lend_handle *h,
			 const struct privcmd_lend_extent *ext, int state)
{
	u64 gfn = ext->gfn, end = ext->gfn + ext->nr_pages;
	int ret = 0;

	while (gfn < end) {
		struct lend_range *r = xa_load(&h->gfns, gfn);
		u64 n = 1;
		int err;

		/* the run of gfns @r still records (a LEND may reuse others) */
		while (gfn + n < end && xa_load(&h->gfns, gfn + n) == r)
			n++;
		err = lend_range_revoke(r, gfn - r->gfn, n, state);

		ret = ret ? ret : err;
		forget(h, r, gfn, n);
		gfn += n;
		cond_resched();
	}
	return ret;
}

static bool extent_valid(const struct privcmd_lend_extent *e, bool lend)
{
	if (!e->nr_pages || e->pad || (e->flags & ~PRIVCMD_LEND_EXTENT_2M))
		return false;
	/* whole 2 MiB pages on both sides, as the flag says */
	if ((e->flags & PRIVCMD_LEND_EXTENT_2M) &&
	    ((e->gfn | e->nr_pages) % 512 || (lend && e->uaddr % SZ_2M)))
		return false;
	if (e->gfn + e->nr_pages < e->gfn || e->nr_pages > LEND_MAX_PAGES)
		return false;
	/* nr_pages * PAGE_SIZE must not wrap: bound it by what is left */
	if (lend && (!PAGE_ALIGNED(e->uaddr) || e->uaddr >= TASK_SIZE ||
		     e->nr_pages > (TASK_SIZE - e->uaddr) >> PAGE_SHIFT))
		return false;
	return true;
}

static bool extents_overlap(const struct privcmd_lend_extent *ext,
			    unsigned int nr)
{
	unsigned int i, j;

	for (i = 0; i < nr; i++) {
		for (j = i + 1; j < nr; j++) {
			if (ext[i].gfn < ext[j].gfn + ext[j].nr_pages &&
			    ext[j].gfn < ext[i].gfn + ext[i].nr_pages)
				return true;
		}
	}
	return false;
}

static long lend_batch(struct lend_handle *h, void __user *arg, bool lend)
{
	struct privcmd_lend_batch batch;
	struct privcmd_lend_extent *ext;
	unsigned int i, bad = 0, lent = 0;
	long ret = 0;
	int state = 0;

	if (copy_from_user(&batch, arg, sizeof(batch)))
		return -EFAULT;
	if (!batch.nr || batch.nr > LEND_MAX_EXTENTS)
		return -EINVAL;
	ext = memdup_array_user(u64_to_user_ptr(batch.extents), batch.nr,
				sizeof(*ext));
	if (IS_ERR(ext))
		return PTR_ERR(ext);

	atomic64_inc(lend ? &lend_stats.lend_calls : &lend_stats.revoke_calls);
	for (i = 0; !ret && i < batch.nr; i++) {
		if (!extent_valid(&ext[i], lend)) {
			ret = -EINVAL;
			bad = i;
		}
	}
	if (!ret && extents_overlap(ext, batch.nr))
		ret = -EINVAL;

	if (mutex_lock_killable(&h->ioctl_lock)) {
		kfree(ext);
		return -EINTR;
	}
	/* REVOKE: ENOENT before any extent is touched, as for one extent */
	for (i = 0; !ret && !lend && i < batch.nr; i++) {
		if (!all_lent(h, &ext[i])) {
			ret = -ENOENT;
			bad = i;
		}
	}
	/* once per batch: the domain is still the one the handle is for */
	if (!ret) {
		state = lend_domain_state(h);
		if (lend)
			ret = state;
	}
	if (!ret && lend) {
		for (; !ret && lent < batch.nr; lent++) {
			ret = lend_extent(h, &ext[lent]);
			bad = lent;
		}
		/* all or nothing: undo the extents before the failed one */
		if (ret) {
			for (i = 0; i < bad; i++)
				undo_lend(h, &ext[i]);
		}
	} else if (!ret) {
		/* every extent, whatever one of them says: it is a revoke */
		for (i = 0; i < batch.nr; i++) {
			int err = revoke_extent(h, &ext[i], state);

			if (err && !ret) {
				ret = err;
				bad = i;
			}
		}
	}
	mutex_unlock(&h->ioctl_lock);

	if (ret) {
		atomic64_inc(&lend_stats.errors);
		batch.error_index = bad;
		if (copy_to_user(arg, &batch, sizeof(batch)))
			ret = -EFAULT;
	}
	kfree(ext);
	return ret;
}

static long handle_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct lend_handle *h = file->private_data;

	/* the handle lends the opener's memory only, as KVM's VM fd does */
	if (current->mm != h->mm)
		return -EIO;

	switch (cmd) {
	case IOCTL_PRIVCMD_LEND_LEND:
		return lend_batch(h, (void __user *)arg, true);
	case IOCTL_PRIVCMD_LEND_REVOKE:
		return lend_batch(h, (void __user *)arg, false);
	default:
		return -ENOTTY;
	}
}

static void handle_free(struct lend_handle *h)
{
	kfree(h->pfns);
	kfree(h->pages);
	kfree(h->mfns);
	mmdrop(h->mm);
	kfree(h);
}

static int handle_release(struct inode *inode, struct file *file)
{
	struct lend_handle *h = file->private_data;
	struct lend_range *r, *next;
	int state;

	/* no re-lend from now on, and none under way */
	mutex_lock(h->lock);
	h->closing = true;
	mutex_unlock(h->lock);
	cancel_delayed_work_sync(&h->relend);

	mutex_lock(&h->ioctl_lock);
	/* permissions to withdraw (phase 1) need the check too */
	state = list_empty(&h->ranges) && !READ_ONCE(h->nr_undenied) ? 0 :
		lend_domain_state(h);
	/* as REVOKE does, for a live domain, one that is gone or replaced */
	list_for_each_entry_safe(r, next, &h->ranges, link) {
		lend_range_revoke(r, 0, r->nr, state);
		lend_range_destroy(r);
		cond_resched();
	}
	lend_range_close(h, state);
	mutex_unlock(&h->ioctl_lock);
	xa_destroy(&h->gfns);
	handle_free(h);
	atomic64_dec(&lend_stats.handles);
	return 0;
}

static const struct file_operations handle_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = handle_ioctl,
	/* the structures are the same for 32- and 64-bit callers */
	.compat_ioctl = compat_ptr_ioctl,
	.release = handle_release,
	.llseek = noop_llseek,
};

static long lend_open(void __user *arg)
{
	struct privcmd_lend_open op;
	struct lend_handle *h;
	bool hvm = false;
	int fd, ret;

	if (copy_from_user(&op, arg, sizeof(op)))
		return -EFAULT;
	if (op.version != PRIVCMD_LEND_VERSION || op.flags || op.pad ||
	    op.domid == 0 || op.domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;

	h = kzalloc(sizeof(*h), GFP_KERNEL);
	if (!h)
		return -ENOMEM;
	h->domid = op.domid;
	ret = xen_lend_domain_handle(h->domid, h->uuid, &hvm);
	/* a PV domain has no p2m: nothing could be lent into it */
	if (!ret && !hvm)
		ret = -EOPNOTSUPP;
	if (ret) {
		kfree(h);
		return ret;
	}
	h->mm = current->mm;
	mmgrab(h->mm);
	mutex_init(&h->ioctl_lock);
	mutex_init(&h->own_lock);
	xa_init_flags(&h->gfns, XA_FLAGS_ACCOUNT);
	INIT_LIST_HEAD(&h->ranges);
	INIT_DELAYED_WORK(&h->relend, lend_relend_work);
	h->pfns = kmalloc_array(LEND_CHUNK, sizeof(*h->pfns), GFP_KERNEL);
	h->pages = kmalloc_array(LEND_CHUNK, sizeof(*h->pages), GFP_KERNEL);
	h->mfns = kmalloc_array(LEND_CHUNK, sizeof(*h->mfns), GFP_KERNEL);
	if (!h->pfns || !h->pages || !h->mfns) {
		handle_free(h);
		return -ENOMEM;
	}

	/*
	 * Xen's own lending where it has it (the probe is an empty revoke),
	 * phase 1 where Xen does not know the DMOP; any other answer
	 * (no privilege, no such domain) is the open's.
	 */
	ret = xen_lend_dmop_probe(h->domid);
	if (ret && ret != -EOPNOTSUPP) {
		handle_free(h);
		return ret;
	}
	h->dmop = !ret;
	h->lock = h->dmop ? &h->own_lock : &lend_phase1_lock;
	/* Xen maps a 2 MiB entry where the frames are contiguous */
	op.caps = h->dmop ? PRIVCMD_LEND_CAP_2M : 0;
	op.max_extents = LEND_MAX_EXTENTS;
	fd = copy_to_user(arg, &op, sizeof(op)) ? -EFAULT :
	     anon_inode_getfd("[xen-lend]", &handle_fops, h,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		handle_free(h);
		return fd;
	}
	atomic64_inc(&lend_stats.handles);
	if (h->dmop)
		atomic64_inc(&lend_stats.handles_dmop);
	return fd;
}

static long dev_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd == IOCTL_PRIVCMD_LEND_OPEN)
		return lend_open((void __user *)arg);
	return -ENOTTY;
}

static const struct file_operations dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

#define STAT_ATTR(name, counter)                                          \
static ssize_t name##_show(struct device *dev,                            \
			   struct device_attribute *attr, char *buf)      \
{                                                                         \
	return sysfs_emit(buf, "%lld\n", atomic64_read(&counter));        \
}                                                                         \
static DEVICE_ATTR_RO(name)

STAT_ATTR(handles, lend_stats.handles);
STAT_ATTR(handles_dmop, lend_stats.handles_dmop);
STAT_ATTR(lend_calls, lend_stats.lend_calls);
STAT_ATTR(revoke_calls, lend_stats.revoke_calls);
STAT_ATTR(pages_lent, lend_stats.lent);
STAT_ATTR(pages_revoked, lend_stats.revoked);
STAT_ATTR(pages_relent, lend_stats.relent);
STAT_ATTR(invalidations, lend_stats.invalidations);
STAT_ATTR(pages_held, lend_stats.held);
STAT_ATTR(pages_leaked, lend_stats.leaked);
STAT_ATTR(errors, lend_stats.errors);

static struct attribute *lend_attrs[] = {
	&dev_attr_handles.attr,
	&dev_attr_handles_dmop.attr,
	&dev_attr_lend_calls.attr,
	&dev_attr_revoke_calls.attr,
	&dev_attr_pages_lent.attr,
	&dev_attr_pages_revoked.attr,
	&dev_attr_pages_relent.attr,
	&dev_attr_invalidations.attr,
	&dev_attr_pages_held.attr,
	&dev_attr_pages_leaked.attr,
	&dev_attr_errors.attr,
	NULL,
};
ATTRIBUTE_GROUPS(lend);

static struct miscdevice lend_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xen-lend",
	.nodename = "xen/lend",
	.fops = &dev_fops,
	.mode = 0600,
	.groups = lend_groups,
};

static int __init xen_lend_init(void)
{
	/* Phase 1 translates the caller's pages to machine frames: PV dom0 */
	if (!xen_pv_domain() || !xen_initial_domain())
		return -ENODEV;
	return misc_register(&lend_dev);
}

static void __exit xen_lend_exit(void)
{
	misc_deregister(&lend_dev);
}

module_init(xen_lend_init);
module_exit(xen_lend_exit);
MODULE_DESCRIPTION("Xen memory lending for device models, without pinning");
MODULE_LICENSE("GPL");
