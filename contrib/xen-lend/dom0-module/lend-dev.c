// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-lend: /dev/xen/lend, the memory lending ABI of
 * docs/interop/xen-lend.rst (include/hw/xen/xen-lend-abi.h), phase 1.
 *
 * IOCTL_PRIVCMD_LEND_OPEN on /dev/xen/lend returns a lend handle bound to
 * one HVM domain.  LEND takes the caller's pages, lends their frames
 * (lend-xen.c) and records them; REVOKE removes the p2m entries and only
 * then lets the pages go.  Closing the handle, also when the process dies,
 * revokes what is still lent.  A page is never let go while an entry may
 * still point at it.
 *
 * Two ways to lend, chosen when the handle is opened:
 * - Xen's own (XEN_DMOP_lend_pages, the hypervisor patches): p2m_lent
 *   entries holding Xen's reference on each frame.  The module holds a
 *   plain page reference (get_user_pages, no pin) so that Linux does not
 *   reuse a page before its revoke; phase 2 replaces that with an MMU
 *   notifier.
 * - phase 1 on a stock Xen: p2m_mmio_direct entries, which hold nothing,
 *   so the module pins the pages (FOLL_LONGTERM).
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <xen/xen.h>
#include <xen/page.h>

#include "hw/xen/xen-lend-abi.h"
#include "lend-xen.h"

#define LEND_MAX_EXTENTS  64
#define LEND_CHUNK        512  /* pages pinned and lent per step */

/* Counters, in /sys/class/misc/xen-lend/ (the test bed reads them). */
static atomic64_t stat_handles, stat_lend_calls, stat_revoke_calls;
static atomic64_t stat_lent, stat_revoked, stat_pinned, stat_errors;
static atomic64_t stat_leaked, stat_held, stat_handles_dmop;

struct lend_handle {
	u16 domid;
	bool dmop;              /* Xen lends itself (XEN_DMOP_lend_pages) */
	struct mm_struct *mm;   /* the opener's: its pages, its locked_vm */
	u8 uuid[XEN_LEND_DOMAIN_HANDLE];  /* which domain @domid was */
	struct mutex lock;
	struct xarray pages;    /* gfn -> struct page *, held and lent */
};

/*
 * Pages held or pinned for a lend count against the opener's
 * RLIMIT_MEMLOCK (locked_vm), as VFIO's pinned pages do: the process
 * keeps them in memory past what its mappings say.
 */
static int charge(struct lend_handle *h, unsigned long n)
{
	return account_locked_vm(h->mm, n, true);
}

static void uncharge(struct lend_handle *h, unsigned long n)
{
	/* after the process exited there is nothing left to account to */
	if (n && mmget_not_zero(h->mm)) {
		account_locked_vm(h->mm, n, false);
		mmput(h->mm);
	}
}

/*
 * Is @domid still the domain the handle was opened for?  0: yes, or Xen
 * could not say (ask Xen as usual); -ESRCH: the domain is gone, its p2m
 * with it; -ESTALE: the id names a domain with another handle (UUID),
 * which an old handle must not touch.  Only -ESRCH lets pages go without
 * a revoke: a live domain's UUID can also change
 * (XEN_DOMCTL_setdomainhandle), and its entries may still be there.
 */
static int domain_state(struct lend_handle *h)
{
	u8 now[XEN_LEND_DOMAIN_HANDLE];
	int ret = xen_lend_domain_handle(h->domid, now);

	if (ret == -ESRCH)
		return ret;
	return !ret && memcmp(now, h->uuid, sizeof(now)) ? -ESTALE : 0;
}

/* A page that cannot be revoked is kept, held and charged, for good. */
static int keep_leaked(struct lend_handle *h, u64 gfn, int err, bool closing)
{
	pr_err_ratelimited("xen-lend: d%u gfn %#llx: not revoked (%d): page stays held\n",
			   h->domid, gfn, err);
	atomic64_inc(&stat_leaked);
	xa_erase(&h->pages, gfn);
	return closing ? 0 : err;
}

/* Let a page go once nothing lends it: as it was taken. */
static void release_page(struct lend_handle *h, struct page *page)
{
	if (h->dmop) {
		set_page_dirty_lock(page);
		put_page(page);
		atomic64_dec(&stat_held);
	} else {
		unpin_user_pages_dirty_lock(&page, 1, true);
		atomic64_dec(&stat_pinned);
	}
}

/* Nothing lends the page any more: drop it from the handle, let it go. */
static void let_go_one(struct lend_handle *h, u64 gfn, struct page *page)
{
	xa_erase(&h->pages, gfn);
	release_page(h, page);
	uncharge(h, 1);
	atomic64_inc(&stat_revoked);
}

/*
 * Take the borrower's iomem permission over @mfn back.  Xen's rangeset
 * may need memory to split a range, so this can fail: say so, for the
 * guest then keeps the right to have Xen flush every CPU's caches.
 */
static void deny_permission(struct lend_handle *h, u64 mfn)
{
	int ret = xen_lend_permit(h->domid, mfn, 1, false);

	/* ESRCH: the domain is gone, and its permissions with it */
	if (ret && ret != -ESRCH) {
		atomic64_inc(&stat_errors);
		pr_warn_ratelimited("xen-lend: d%u keeps iomem permission over mfn %#llx: %d\n",
				    h->domid, mfn, ret);
	}
}

/*
 * Take one lent gfn back: entry removed first, then the page let go.  A
 * domain that is gone dropped its entries with its p2m (ESRCH); under
 * phase 1 EINVAL says there is no entry to remove.  Either way nothing
 * points at the frame any more.  Any other failure keeps the page for
 * good rather than risk a guest reaching a page dom0 reuses.
 */
static int revoke_one(struct lend_handle *h, u64 gfn, struct page *page,
		      bool closing)
{
	u64 mfn = pfn_to_mfn(page_to_pfn(page));
	int ret;

	if (h->dmop) {
		ret = xen_lend_dmop_revoke(h->domid, gfn, 1);
	} else {
		/* removal needs the borrower's iomem permission, for the call */
		ret = xen_lend_permit(h->domid, mfn, 1, true);
		if (!ret) {
			ret = xen_lend_map(h->domid, gfn, mfn, 1, false);
			/* the removal's EINVAL only: no entry to remove */
			if (ret == -EINVAL)
				ret = 0;
			deny_permission(h, mfn);
		}
	}
	if (ret && ret != -ESRCH)
		return keep_leaked(h, gfn, ret, closing);
	let_go_one(h, gfn, page);
	return 0;
}

/* dom0's own frame of a page: not a foreign mapping, not 1:1 MMIO */
static int own_mfn(struct page *page, u64 *mfn)
{
	/* the raw entry: its flag bits say what pfn_to_mfn() would hide */
	*mfn = __pfn_to_mfn(page_to_pfn(page));
	if (*mfn == INVALID_P2M_ENTRY ||
	    (*mfn & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)))
		return -EFAULT;
	return 0;
}

/*
 * Lend n held pages at gfn.. with one XEN_DMOP_lend_pages.  On error the
 * first *lent pages, which Xen lent, stay recorded for the caller's undo;
 * the others are let go here.
 */
static int lend_chunk_dmop(struct lend_handle *h, u64 gfn, struct page **pages,
			   unsigned int n, u64 *mfns, unsigned int *lent)
{
	unsigned int i, recorded, done = 0;
	int ret = 0;

	for (recorded = 0; recorded < n; recorded++) {
		ret = own_mfn(pages[recorded], &mfns[recorded]);
		if (!ret)
			ret = xa_insert(&h->pages, gfn + recorded, pages[recorded],
					GFP_KERNEL);
		if (ret) {
			ret = ret == -EBUSY ? -EEXIST : ret;
			break;
		}
	}
	if (!ret)
		ret = xen_lend_dmop_lend(h->domid, gfn, mfns, n, &done);
	for (i = done; i < n; i++) {
		if (i < recorded)
			xa_erase(&h->pages, gfn + i);
		release_page(h, pages[i]);
	}
	uncharge(h, n - done);
	atomic64_add(done, &stat_lent);
	*lent = done;
	return ret;
}

static int lend_one(struct lend_handle *h, u64 gfn, struct page *page)
{
	u64 mfn;
	int ret = own_mfn(page, &mfn);

	if (ret)
		return ret;

	ret = xa_insert(&h->pages, gfn, page, GFP_KERNEL);
	if (ret)
		return ret == -EBUSY ? -EEXIST : ret;
	/*
	 * Xen maps a frame only into a domain that may hold it; the
	 * permission is dropped again at once.  Held, it would make Xen
	 * honour the guest's WBINVD, a flush of every host CPU's caches
	 * (cache_flush_permitted()).
	 */
	ret = xen_lend_permit(h->domid, mfn, 1, true);
	if (!ret) {
		ret = xen_lend_map(h->domid, gfn, mfn, 1, true);
		deny_permission(h, mfn);
	}
	if (ret) {
		xa_erase(&h->pages, gfn);
		return ret;
	}
	atomic64_inc(&stat_lent);
	return 0;
}

/* Undo the first @nr pages of a failed LEND, newest first. */
static void undo_lend(struct lend_handle *h,
		      const struct privcmd_lend_extent *ext, u64 nr)
{
	while (nr--) {
		u64 gfn = ext->gfn + nr;
		struct page *page = xa_load(&h->pages, gfn);

		if (page)
			revoke_one(h, gfn, page, true);
		cond_resched();
	}
}

static int check_not_ram(struct lend_handle *h, u64 gfn, unsigned int nr)
{
	u64 ram;
	int ret = xen_lend_find_ram(h->domid, gfn, nr, &ram);

	if (ret > 0) {
		pr_warn_ratelimited("xen-lend: d%u gfn %#llx is guest RAM: not lending there\n",
				    h->domid, ram);
		return -EPERM;
	}
	return ret;
}

/* Lend one extent, all or nothing. */
static int lend_extent(struct lend_handle *h,
		       const struct privcmd_lend_extent *ext)
{
	struct page **pages;
	u64 done = 0, *mfns;
	int ret = 0;

	pages = kmalloc_array(LEND_CHUNK, sizeof(*pages), GFP_KERNEL);
	mfns = kmalloc_array(LEND_CHUNK, sizeof(*mfns), GFP_KERNEL);
	if (!pages || !mfns) {
		kfree(pages);
		kfree(mfns);
		return -ENOMEM;
	}
	while (done < ext->nr_pages) {
		unsigned int n = min_t(u64, ext->nr_pages - done, LEND_CHUNK);
		unsigned int i;
		long pinned;

		ret = charge(h, n);
		if (ret)
			break;
		if (h->dmop) {
			/* a reference, not a pin: Xen refuses RAM (EEXIST) */
			pinned = get_user_pages_fast(ext->uaddr +
						     done * PAGE_SIZE, n,
						     FOLL_WRITE, pages);
			if (pinned != n) {
				while (pinned > 0)
					put_page(pages[--pinned]);
				uncharge(h, n);
				ret = pinned < 0 ? (int)pinned : -EFAULT;
				break;
			}
			atomic64_add(n, &stat_held);
			ret = lend_chunk_dmop(h, ext->gfn + done, pages, n,
					      mfns, &i);
			if (ret) {
				done += i;
				break;
			}
			done += n;
			cond_resched();
			continue;
		}

		ret = check_not_ram(h, ext->gfn + done, n);
		if (ret) {
			uncharge(h, n);
			break;
		}
		pinned = pin_user_pages_fast(ext->uaddr + done * PAGE_SIZE, n,
					     FOLL_WRITE | FOLL_LONGTERM, pages);
		if (pinned != n) {
			if (pinned > 0)
				unpin_user_pages(pages, pinned);
			uncharge(h, n);
			/* VM_PFNMAP and friends cannot be pinned: EFAULT */
			ret = pinned < 0 ? (int)pinned : -EFAULT;
			break;
		}
		atomic64_add(n, &stat_pinned);
		for (i = 0; i < n; i++) {
			ret = lend_one(h, ext->gfn + done + i, pages[i]);
			if (ret)
				break;
		}
		if (ret) {
			unpin_user_pages(pages + i, n - i);
			uncharge(h, n - i);
			atomic64_sub(n - i, &stat_pinned);
			done += i;
			break;
		}
		done += n;
		cond_resched();
	}
	if (ret)
		undo_lend(h, ext, done);
	kfree(pages);
	kfree(mfns);
	return ret;
}

/* Is every page of the extent lent through the handle? */
static bool all_lent(struct lend_handle *h, const struct privcmd_lend_extent *e)
{
	u64 i;

	for (i = 0; i < e->nr_pages; i++) {
		if (!xa_load(&h->pages, e->gfn + i))
			return false;
	}
	return true;
}

static int revoke_extent(struct lend_handle *h,
			 const struct privcmd_lend_extent *ext)
{
	u64 i;
	int ret;

	/* ENOENT before anything is touched: a revoke is never half done */
	if (!all_lent(h, ext))
		return -ENOENT;
	/*
	 * The domain is gone, its p2m with it: let the pages go without
	 * asking Xen.  Another domain under the same id: touch nothing of
	 * it, and keep the pages.
	 */
	ret = domain_state(h);
	for (i = 0; ret && i < ext->nr_pages; i++) {
		if (ret == -ESRCH)
			let_go_one(h, ext->gfn + i,
				   xa_load(&h->pages, ext->gfn + i));
		else
			keep_leaked(h, ext->gfn + i, ret, true);
	}
	if (ret)
		return ret == -ESRCH ? 0 : ret;
	/*
	 * Xen's revoke takes the whole extent in one call.  Where it fails,
	 * the pages go one by one below: a page already revoked is skipped
	 * by Xen, one that cannot be is kept (leaked) rather than let go.
	 */
	if (h->dmop) {
		ret = xen_lend_dmop_revoke(h->domid, ext->gfn, ext->nr_pages);
		for (i = 0; !ret && i < ext->nr_pages; i++) {
			struct page *page = xa_erase(&h->pages, ext->gfn + i);

			release_page(h, page);
			atomic64_inc(&stat_revoked);
			cond_resched();
		}
		if (!ret) {
			uncharge(h, ext->nr_pages);
			return 0;
		}
	}
	for (i = 0; i < ext->nr_pages; i++) {
		ret = revoke_one(h, ext->gfn + i,
				 xa_load(&h->pages, ext->gfn + i), false);
		if (ret)
			return ret;
		cond_resched();
	}
	return 0;
}

static bool extent_valid(const struct privcmd_lend_extent *e, bool lend)
{
	if (!e->nr_pages || e->pad || (e->flags & ~PRIVCMD_LEND_EXTENT_2M))
		return false;
	if (e->gfn + e->nr_pages < e->gfn)
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
	unsigned int i;
	long ret = 0;

	if (copy_from_user(&batch, arg, sizeof(batch)))
		return -EFAULT;
	if (!batch.nr || batch.nr > LEND_MAX_EXTENTS)
		return -EINVAL;
	ext = memdup_array_user(u64_to_user_ptr(batch.extents), batch.nr,
				sizeof(*ext));
	if (IS_ERR(ext))
		return PTR_ERR(ext);

	atomic64_inc(lend ? &stat_lend_calls : &stat_revoke_calls);
	for (i = 0; i < batch.nr; i++) {
		if (!extent_valid(&ext[i], lend)) {
			ret = -EINVAL;
			break;
		}
	}
	if (!ret && extents_overlap(ext, batch.nr)) {
		i = 0;
		ret = -EINVAL;
	}

	if (mutex_lock_killable(&h->lock)) {
		kfree(ext);
		return -EINTR;
	}
	/* REVOKE: ENOENT before any extent is touched, as for one extent */
	for (i = 0; !ret && !lend && i < batch.nr; i++) {
		if (!all_lent(h, &ext[i])) {
			ret = -ENOENT;
			break;
		}
	}
	if (!ret && lend) {
		ret = domain_state(h);
		i = 0;
	}
	for (i = ret ? i : 0; !ret && i < batch.nr; i++) {
		ret = lend ? lend_extent(h, &ext[i]) : revoke_extent(h, &ext[i]);
		if (ret)
			break;
	}
	if (ret && lend) {
		/* all or nothing: undo the extents before the failed one */
		unsigned int j;

		for (j = 0; j < i && j < batch.nr; j++)
			undo_lend(h, &ext[j], ext[j].nr_pages);
	}
	mutex_unlock(&h->lock);

	if (ret) {
		atomic64_inc(&stat_errors);
		batch.error_index = min(i, batch.nr - 1);
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

static int handle_release(struct inode *inode, struct file *file)
{
	struct lend_handle *h = file->private_data;
	unsigned long gfn;
	struct page *page;
	int state;

	mutex_lock(&h->lock);
	state = xa_empty(&h->pages) ? 0 : domain_state(h);
	/* as revoke_extent() does for a domain that is gone or replaced */
	xa_for_each(&h->pages, gfn, page) {
		if (!state)
			revoke_one(h, gfn, page, true);
		else if (state == -ESRCH)
			let_go_one(h, gfn, page);
		else
			keep_leaked(h, gfn, state, true);
		cond_resched();
	}
	mutex_unlock(&h->lock);
	xa_destroy(&h->pages);
	mmdrop(h->mm);
	kfree(h);
	atomic64_dec(&stat_handles);
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
	ret = xen_lend_domain_handle(h->domid, h->uuid);
	if (ret) {
		kfree(h);
		return ret;
	}
	h->mm = current->mm;
	mmgrab(h->mm);
	mutex_init(&h->lock);
	xa_init(&h->pages);

	/* Xen's own lending where it has it, else phase 1 */
	h->dmop = !xen_lend_dmop_probe(h->domid);
	if (h->dmop)
		atomic64_inc(&stat_handles_dmop);
	/* Xen maps a 2 MiB entry where the frames are contiguous */
	op.caps = h->dmop ? PRIVCMD_LEND_CAP_2M : 0;
	op.max_extents = LEND_MAX_EXTENTS;
	fd = copy_to_user(arg, &op, sizeof(op)) ? -EFAULT :
	     anon_inode_getfd("[xen-lend]", &handle_fops, h,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		mmdrop(h->mm);
		kfree(h);
		return fd;
	}
	atomic64_inc(&stat_handles);
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

STAT_ATTR(handles, stat_handles);
STAT_ATTR(lend_calls, stat_lend_calls);
STAT_ATTR(revoke_calls, stat_revoke_calls);
STAT_ATTR(pages_lent, stat_lent);
STAT_ATTR(pages_revoked, stat_revoked);
STAT_ATTR(pages_pinned, stat_pinned);
STAT_ATTR(pages_held, stat_held);
STAT_ATTR(handles_dmop, stat_handles_dmop);
STAT_ATTR(pages_leaked, stat_leaked);
STAT_ATTR(errors, stat_errors);

static struct attribute *lend_attrs[] = {
	&dev_attr_handles.attr,
	&dev_attr_lend_calls.attr,
	&dev_attr_revoke_calls.attr,
	&dev_attr_pages_lent.attr,
	&dev_attr_pages_revoked.attr,
	&dev_attr_pages_pinned.attr,
	&dev_attr_pages_held.attr,
	&dev_attr_handles_dmop.attr,
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
MODULE_DESCRIPTION("Xen memory lending for device models (phase 1)");
MODULE_LICENSE("GPL");
