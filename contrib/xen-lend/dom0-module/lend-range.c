// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-lend: lending a range of the lender's memory without pinning it,
 * as KVM maps a memslot: the frames are looked up under an MMU interval
 * notifier's sequence (get_user_pages without a pin for ordinary memory,
 * follow_pfnmap for VM_PFNMAP and VM_IO mappings such as a dmabuf's) and
 * lent only if no invalidation ran in between.  An invalidation revokes
 * what it covers before the kernel frees, moves or write-protects it;
 * the next guest access reaches the device model's ioreq server, which
 * serves it from the same memory, until the re-lend worker has lent the
 * range again.  A range the lender unmapped is never lent again.
 */
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <xen/page.h>

#include "lend.h"

/* An invalidation's re-lend waits this long: a migration is done by then */
#define RELEND_DELAY      msecs_to_jiffies(10)
/* The worker gives way after this many invalidations racing one step */
#define RELEND_TRIES      8

/* Fault injection for the test bed (tests/xen/dom0-init, "hostile") */
static unsigned int fail_deny;
module_param(fail_deny, uint, 0600);
MODULE_PARM_DESC(fail_deny,
		 "testing: fail the next N withdrawals of a guest's iomem permission (phase 1)");

static void put_pages(struct page **pages, unsigned int n)
{
	while (n--) {
		if (pages[n])
			put_page(pages[n]);
	}
}

/* dom0's own frame: not a foreign mapping, not 1:1 MMIO */
static int own_mfn(unsigned long pfn, u64 *mfn)
{
	/* the raw entry: its flag bits say what pfn_to_mfn() would hide */
	*mfn = __pfn_to_mfn(pfn);
	if (*mfn == INVALID_P2M_ENTRY ||
	    (*mfn & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)))
		return -EFAULT;
	return 0;
}

/* 1:1 in dom0's p2m: I/O memory, such as a GPU's VRAM BAR */
static bool io_frame(unsigned long pfn)
{
	u64 raw = __pfn_to_mfn(pfn);

	return raw != INVALID_P2M_ENTRY &&
	       (raw & (FOREIGN_FRAME_BIT | IDENTITY_FRAME_BIT)) ==
	       IDENTITY_FRAME_BIT;
}

/*
 * The machine frame to lend for @pfn: dom0's own RAM; or, only through
 * Xen's lending and only behind a VM_PFNMAP or VM_IO mapping (@no_page),
 * I/O memory (*mmio): Xen checks dom0's permission to map it in place of
 * a page reference.  Phase 1 lends RAM only.
 */
static int lend_frame(struct lend_handle *h, unsigned long pfn, bool no_page,
		      u64 *mfn, bool *mmio)
{
	*mmio = h->dmop && no_page && io_frame(pfn);
	if (*mmio) {
		*mfn = __pfn_to_mfn(pfn) & ~IDENTITY_FRAME_BIT;
		return 0;
	}
	return own_mfn(pfn, mfn);
}

/* The frames of a VM_PFNMAP or VM_IO mapping, as KVM finds them */
static int collect_pfnmap(struct vm_area_struct *vma, unsigned long addr,
			  unsigned int n, unsigned long *pfns)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct follow_pfnmap_args args = {
			.vma = vma,
			.address = addr + i * PAGE_SIZE,
		};
		int ret = follow_pfnmap_start(&args);

		if (ret) {
			/* not present: fault it in as a write would */
			ret = fixup_user_fault(vma->vm_mm, args.address,
					       FAULT_FLAG_WRITE, NULL);
			if (!ret)
				ret = follow_pfnmap_start(&args);
			if (ret)
				return ret;
		}
		pfns[i] = args.pfn;
		follow_pfnmap_end(&args);
		if (!args.writable)
			return -EFAULT;
	}
	return 0;
}

/*
 * The frames behind uaddr..uaddr + n pages of @mm as dom0 pfns, none
 * pinned: ordinary memory with a page reference each (pages[i], dropped
 * once the lend is done), a VM_PFNMAP or VM_IO mapping with none
 * (pages[i] NULL).  Only the notifier's sequence says that they are
 * still the frames when they are lent.
 */
static int collect(struct mm_struct *mm, unsigned long uaddr, unsigned int n,
		   unsigned long *pfns, struct page **pages)
{
	unsigned int done = 0, i;
	int ret = 0;

	mmap_read_lock(mm);
	while (done < n) {
		unsigned long addr = uaddr + done * PAGE_SIZE;
		struct vm_area_struct *vma = vma_lookup(mm, addr);
		unsigned int k;
		long got;

		if (!vma) {
			ret = -EFAULT;
			break;
		}
		k = min_t(unsigned long, n - done,
			  (vma->vm_end - addr) >> PAGE_SHIFT);
		if (vma->vm_flags & (VM_IO | VM_PFNMAP)) {
			ret = collect_pfnmap(vma, addr, k, pfns + done);
			if (ret)
				break;
			for (i = done; i < done + k; i++)
				pages[i] = NULL;
			done += k;
			continue;
		}
		/* the mmap lock stays held: vma stays valid */
		got = get_user_pages_remote(mm, addr, k, FOLL_WRITE,
					    pages + done, NULL);
		if (got <= 0) {
			ret = got ? (int)got : -EFAULT;
			break;
		}
		for (i = done; i < done + got; i++)
			pfns[i] = page_to_pfn(pages[i]);
		done += got;
	}
	mmap_read_unlock(mm);
	if (ret)
		put_pages(pages, done);
	return ret;
}

/*
 * Guest writes leave no dirty bit in Linux's page tables: mark the page
 * dirty when it is taken back, as KVM does when it zaps an entry, so
 * that reclaim never drops what the guest wrote.  A VM_PFNMAP mapping's
 * pages are its exporter's to track.
 */
static void mark_dirty(unsigned long pfn)
{
	struct page *page;

	if ((pfn & LEND_PFNMAP) || !pfn_valid(pfn))
		return;
	page = pfn_to_page(pfn);
	if (!PageReserved(page))
		SetPageDirty(page);
}

/*
 * A page Xen did not give back is kept: the module takes a reference on
 * its folio (the page is still mapped, so it is alive) and never drops
 * it, so Linux cannot reuse a frame the guest may still reach.  A frame
 * that cannot be held (no page to count) fails closed: the borrower is
 * paused, so that it reaches nothing any more.
 */
static void keep_leaked(struct lend_handle *h, u64 gfn, unsigned long pfn,
			int err)
{
	unsigned long n = pfn & ~LEND_PFNMAP;
	/* I/O memory may have a struct page, but holding it holds nothing */
	bool held = pfn_valid(n) && !io_frame(n) &&
		    folio_try_get(page_folio(pfn_to_page(n)));

	atomic64_inc(&lend_stats.leaked);
	if (held) {
		atomic64_inc(&lend_stats.held);
		pr_err_ratelimited("xen-lend: d%u gfn %#llx: not revoked (%d): page stays held\n",
				   h->domid, gfn, err);
		return;
	}
	atomic64_inc(&lend_stats.errors);
	pr_err("xen-lend: d%u gfn %#llx: not revoked (%d) and pfn %#lx cannot be held: pausing d%u (%d)\n",
	       h->domid, gfn, err, n, h->domid, xen_lend_pause(h->domid));
}

/*
 * Take the borrower's iomem permission over @mfn back (phase 1).  Xen's
 * rangeset may need memory to split a range, so this can fail, and the
 * guest then keeps the right to have Xen flush every CPU's caches: the
 * frame is tried again before the handle's next lend or revoke
 * (retry_denials()), and beyond LEND_UNDENIED_MAX such frames the guest
 * is paused, failing closed as for a page Xen does not give back.
 */
static void deny_permission(struct lend_handle *h, u64 mfn)
{
	int ret = fail_deny ? -ENOMEM : xen_lend_permit(h->domid, mfn, 1, false);

	if (fail_deny)
		fail_deny--;

	/* ESRCH: the domain is gone, and its permissions with it */
	if (!ret || ret == -ESRCH)
		return;
	atomic64_inc(&lend_stats.errors);
	if (h->nr_undenied < LEND_UNDENIED_MAX) {
		h->undenied[h->nr_undenied++] = mfn;
		pr_warn_ratelimited("xen-lend: d%u keeps iomem permission over mfn %#llx (%d): tried again at the next lend or revoke\n",
				    h->domid, mfn, ret);
		return;
	}
	pr_err("xen-lend: d%u keeps iomem permission over mfn %#llx (%d) and %u more: pausing d%u (%d)\n",
	       h->domid, mfn, ret, h->nr_undenied, h->domid,
	       xen_lend_pause(h->domid));
}

/*
 * Withdraw the permissions deny_permission() could not (phase 1; *lock
 * held, the domain checked to be the handle's)
 */
static void retry_denials(struct lend_handle *h)
{
	unsigned int i = 0;

	while (i < h->nr_undenied) {
		int ret = xen_lend_permit(h->domid, h->undenied[i], 1, false);

		if (!ret || ret == -ESRCH)
			h->undenied[i] = h->undenied[--h->nr_undenied];
		else
			i++;
	}
}

/*
 * Remove gfn..gfn+n-1 from the borrower's p2m.  Xen's revoke takes a run
 * in one call; phase 1 removes one p2m_mmio_direct entry at a time, with
 * the iomem permission the call needs given for the call only.
 */
static int revoke_xen(struct lend_handle *h, u64 gfn, unsigned long pfn,
		      u64 n, bool block)
{
	u64 mfn;
	int ret;

	if (h->dmop)
		return xen_lend_dmop_revoke(h->domid, gfn, n, block);
	retry_denials(h);
	if (own_mfn(pfn & ~LEND_PFNMAP, &mfn))
		return -EFAULT;
	ret = xen_lend_permit(h->domid, mfn, 1, true);
	if (!ret) {
		ret = xen_lend_map(h->domid, gfn, mfn, 1, false, block);
		/* the removal's EINVAL only: no entry to remove */
		if (ret == -EINVAL)
			ret = 0;
		deny_permission(h, mfn);
	}
	return ret;
}

/*
 * Is the page at @gfn no longer reachable after revoke_xen() said @ret?
 * Xen's revoke removes every entry of a frame the caller lent and stops
 * with ENOENT only at a gfn holding something else, so then none of ours
 * is there; ESRCH: the domain and its p2m are gone.
 */
static bool revoked(struct lend_handle *h, int ret)
{
	return !ret || ret == -ESRCH || (h->dmop && ret == -ENOENT);
}

/*
 * Revoke the lent pages among first..first+n-1 of @r; *h->lock held.  It
 * cannot fail: a page Xen does not give back is kept (keep_leaked).  On
 * Xen's lending the revoke is always asked for (it touches nothing but
 * the caller's own lent frames); phase 1 asks lend_domain_state() first,
 * once, where *state is 1: under a reused id nothing of the new domain
 * is touched (-ESTALE: kept), a domain that is gone dropped its entries
 * with its p2m (-ESRCH).  Returns the number of pages lent before; the
 * first error goes to @errp.  With @stale the pages are marked for the
 * re-lend worker, while the domain lives.
 */
static u64 revoke_pages(struct lend_range *r, u64 first, u64 n, int *state,
			bool block, bool stale, int *errp)
{
	struct lend_handle *h = r->h;
	u64 a, b, i, end = first + n, count = 0;

	for (a = first; a < end; a = b) {
		int ret = 0;

		while (a < end && r->pfns[a] == LEND_NO_PFN)
			a++;
		if (a == end)
			break;
		/* a run of lent pages; phase 1 takes one at a time */
		for (b = a + 1; b < end && h->dmop &&
		     r->pfns[b] != LEND_NO_PFN; b++)
			;
		if (!h->dmop) {
			if (*state == 1)
				*state = lend_domain_state(h);
			ret = *state;
		}
		if (!ret)
			ret = revoke_xen(h, r->gfn + a, r->pfns[a], b - a,
					 block);
		if (!revoked(h, ret) && b - a > 1) {
			/* which pages were not revoked: one by one */
			b = a + 1;
			ret = revoke_xen(h, r->gfn + a, r->pfns[a], 1, block);
		}
		h->dead |= ret == -ESRCH || ret == -ESTALE;
		for (i = a; i < b; i++) {
			if (!revoked(h, ret)) {
				keep_leaked(h, r->gfn + i, r->pfns[i], ret);
				if (errp && !*errp)
					*errp = ret;
			} else {
				mark_dirty(r->pfns[i]);
				atomic64_inc(&lend_stats.revoked);
			}
			r->pfns[i] = LEND_NO_PFN;
			if (stale && !ret)
				__set_bit(i, r->stale);
		}
		count += b - a;
		if (block)
			cond_resched();
	}
	return count;
}

/* Lent pages among first..first+n-1 of @r, up to @max */
static u64 lent_in(struct lend_range *r, u64 first, u64 n, u64 max)
{
	u64 i, count = 0;

	for (i = first; i < first + n && count <= max; i++)
		count += r->pfns[i] != LEND_NO_PFN;
	return count;
}

static bool range_invalidate(struct mmu_interval_notifier *mn,
			     const struct mmu_notifier_range *range,
			     unsigned long cur_seq)
{
	struct lend_range *r = container_of(mn, struct lend_range, notifier);
	struct lend_handle *h = r->h;
	bool block = mmu_notifier_range_blockable(range);
	unsigned long start = max_t(unsigned long, range->start, r->uaddr);
	unsigned long end = min_t(unsigned long, range->end,
				  r->uaddr + r->nr * PAGE_SIZE);
	u64 first = (start - r->uaddr) >> PAGE_SHIFT;
	u64 last = (end - r->uaddr + PAGE_SIZE - 1) >> PAGE_SHIFT;
	int state = 1;

	/*
	 * Only the OOM reaper cannot wait: it tries this mm again later, as
	 * for other drivers that mirror page tables.  Nor should it wait for
	 * a long revoke.
	 */
	if (block) {
		mutex_lock(h->lock);
	} else if (!mutex_trylock(h->lock)) {
		return false;
	} else if (lent_in(r, first, last - first, LEND_CHUNK) > LEND_CHUNK) {
		mutex_unlock(h->lock);
		return false;
	}
	mmu_interval_set_seq(mn, cur_seq);
	/* munmap, mremap, exit: what is mapped there next is not lent */
	if (range->event == MMU_NOTIFY_UNMAP)
		r->unmapped = true;
	if (revoke_pages(r, first, last - first, &state, block, !r->unmapped,
			 NULL))
		atomic64_inc(&lend_stats.invalidations);
	/*
	 * Also where nothing was lent: pages a re-lend could not take (an
	 * mprotect to read-only) may be back (the mprotect undone).
	 */
	if (!r->unmapped && !h->closing && !h->dead &&
	    !bitmap_empty(r->stale, r->nr))
		schedule_delayed_work(&h->relend, RELEND_DELAY);
	mutex_unlock(h->lock);
	return true;
}

static const struct mmu_interval_notifier_ops range_ops = {
	.invalidate = range_invalidate,
};

/* Lending never replaces guest RAM (phase 1: Xen's DMOP refuses it) */
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

/*
 * Lend n frames at gfn.. (*h->lock held); *done: how many Xen lent.  On
 * Xen's lending, a call per run of one kind (h->mmio): RAM or I/O memory.
 */
static int lend_xen(struct lend_handle *h, u64 gfn, const u64 *mfns,
		    unsigned int n, unsigned int *done)
{
	unsigned int i, k, lent;
	int ret = 0;

	if (h->dmop) {
		*done = 0;
		for (i = 0; !ret && i < n; i += k) {
			bool mmio = test_bit(i, h->mmio);

			for (k = 1; i + k < n && test_bit(i + k, h->mmio) == mmio;
			     k++)
				;
			ret = xen_lend_dmop_lend(h->domid, gfn + i, mfns + i,
						 k, mmio, &lent);
			*done += lent;
		}
		return ret;
	}
	/*
	 * Xen maps a frame only into a domain that may hold it; the
	 * permission is dropped again at once.  Held, it would make Xen
	 * honour the guest's WBINVD, a flush of every host CPU's caches
	 * (cache_flush_permitted()).
	 */
	retry_denials(h);
	for (i = 0; !ret && i < n; i++) {
		ret = xen_lend_permit(h->domid, mfns[i], 1, true);
		if (!ret) {
			ret = xen_lend_map(h->domid, gfn + i, mfns[i], 1, true,
					   true);
			deny_permission(h, mfns[i]);
		}
	}
	*done = ret ? i - 1 : n;
	return ret;
}

/*
 * Lend pages first..first+n-1 of @r (n <= LEND_CHUNK; with @relend, pages
 * the notifier revoked and nothing else).  The frames are looked up with
 * no lock but ioctl_lock, then lent under *h->lock unless an invalidation
 * ran in between, in which case they are looked up again.  @tries bounds
 * that for the worker (-EAGAIN); 0 is no bound.
 */
static int lend_step(struct lend_range *r, u64 first, unsigned int n,
		     bool relend, unsigned int tries)
{
	struct lend_handle *h = r->h;
	u64 gfn = r->gfn + first;
	unsigned int i, done = 0;
	unsigned long seq;
	int ret;

	if (!h->dmop) {
		ret = check_not_ram(h, gfn, n);
		if (ret)
			return ret;
	}
	for (;;) {
		seq = mmu_interval_read_begin(&r->notifier);
		ret = collect(h->mm, r->uaddr + first * PAGE_SIZE, n, h->pfns,
			      h->pages);
		if (ret)
			return ret;
		for (i = 0; !ret && i < n; i++) {
			bool mmio;

			ret = lend_frame(h, h->pfns[i], !h->pages[i],
					 &h->mfns[i], &mmio);
			__assign_bit(i, h->mmio, mmio);
		}
		if (ret) {
			put_pages(h->pages, n);
			return ret;
		}
		mutex_lock(h->lock);
		if (!mmu_interval_read_retry(&r->notifier, seq))
			break;
		mutex_unlock(h->lock);
		put_pages(h->pages, n);
		if (tries && !--tries)
			return -EAGAIN;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}
	/*
	 * Unmapped since: what is there now is not what was lent.  The
	 * domain gone since: its id may name another one by now.
	 */
	if (relend && (r->unmapped || h->dead || h->closing))
		ret = -EFAULT;
	else if (relend)
		ret = lend_domain_state(h);
	if (ret)
		h->dead |= ret == -ESRCH || ret == -ESTALE;
	else
		ret = lend_xen(h, gfn, h->mfns, n, &done);
	for (i = 0; i < done; i++) {
		r->pfns[first + i] = h->pfns[i] |
				     (h->pages[i] ? 0 : LEND_PFNMAP);
		if (relend)
			__clear_bit(first + i, r->stale);
	}
	mutex_unlock(h->lock);
	put_pages(h->pages, n);
	atomic64_add(done, &lend_stats.lent);
	if (relend)
		atomic64_add(done, &lend_stats.relent);
	return ret;
}

/* LEND of the whole range, all or nothing */
int lend_range_lend(struct lend_range *r)
{
	u64 done;
	int ret = 0;

	for (done = 0; !ret && done < r->nr; done += LEND_CHUNK) {
		ret = lend_step(r, done, min_t(u64, r->nr - done, LEND_CHUNK),
				false, 0);
		cond_resched();
	}
	if (ret)
		lend_range_revoke(r, 0, r->nr, 0);
	return ret;
}

/*
 * REVOKE (or close) of pages first..first+nr-1: they are no longer lent
 * nor lent again.  @state as revoke_pages() takes it.  Returns 0, or the
 * error of a page Xen did not give back (kept, see keep_leaked).
 */
int lend_range_revoke(struct lend_range *r, u64 first, u64 nr, int state)
{
	struct lend_handle *h = r->h;
	int err = 0;

	mutex_lock(h->lock);
	revoke_pages(r, first, nr, &state, true, false, &err);
	bitmap_clear(r->stale, first, nr);
	mutex_unlock(h->lock);
	return err;
}

struct lend_range *lend_range_create(struct lend_handle *h, u64 gfn,
				     u64 uaddr, u64 nr)
{
	struct lend_range *r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	u64 i;
	int ret;

	if (!r)
		return ERR_PTR(-ENOMEM);
	r->h = h;
	r->gfn = gfn;
	r->uaddr = uaddr;
	r->nr = nr;
	r->pfns = kvmalloc_array(nr, sizeof(*r->pfns), GFP_KERNEL_ACCOUNT);
	r->stale = kvcalloc(BITS_TO_LONGS(nr), sizeof(long), GFP_KERNEL_ACCOUNT);
	if (!r->pfns || !r->stale) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < nr; i++)
		r->pfns[i] = LEND_NO_PFN;
	ret = mmu_interval_notifier_insert(&r->notifier, h->mm, uaddr,
					   nr * PAGE_SIZE, &range_ops);
	if (ret)
		goto fail;
	list_add(&r->link, &h->ranges);
	return r;
fail:
	kvfree(r->pfns);
	kvfree(r->stale);
	kfree(r);
	return ERR_PTR(ret);
}

/*
 * Close (phase 1): a last try at the iomem permissions the guest kept; a
 * guest that still keeps one stays paused.  @state: lend_domain_state()'s
 * word on the domain; one that is gone took its permissions with it.
 */
void lend_range_close(struct lend_handle *h, int state)
{
	mutex_lock(h->lock);
	if (!state && h->nr_undenied)
		retry_denials(h);
	if (!state && h->nr_undenied)
		pr_err("xen-lend: d%u keeps iomem permission over %u frames: pausing d%u (%d)\n",
		       h->domid, h->nr_undenied, h->domid,
		       xen_lend_pause(h->domid));
	h->nr_undenied = 0;
	mutex_unlock(h->lock);
}

/* Drop a range that lends nothing any more; ioctl_lock held, not lock */
void lend_range_destroy(struct lend_range *r)
{
	list_del(&r->link);
	/* waits for an invalidation of the range that is under way */
	mmu_interval_notifier_remove(&r->notifier);
	kvfree(r->pfns);
	kvfree(r->stale);
	kfree(r);
}

/* Lend again, a chunk at a time, what the notifier revoked */
static bool relend_range(struct lend_range *r)
{
	struct lend_handle *h = r->h;
	u64 a = 0, b;
	bool again = false;

	for (;;) {
		int ret;

		mutex_lock(h->lock);
		a = r->unmapped || h->closing || h->dead ? r->nr :
		    find_next_bit(r->stale, r->nr, a);
		b = a < r->nr ? find_next_zero_bit(r->stale,
						   min(r->nr, a + LEND_CHUNK),
						   a) : a;
		mutex_unlock(h->lock);
		if (a >= r->nr)
			break;
		ret = lend_step(r, a, b - a, true, RELEND_TRIES);
		/*
		 * EFAULT and the like: the memory is not there, or not
		 * writable; it stays trapped until the next invalidation
		 * of the range (an mprotect back, a fault-in) tries again.
		 */
		if (ret == -EAGAIN)
			again = true;
		a = b;
		cond_resched();
	}
	return again;
}

void lend_relend_work(struct work_struct *work)
{
	struct lend_handle *h = container_of(to_delayed_work(work),
					     struct lend_handle, relend);
	struct lend_range *r;
	bool again = false;

	/* the lender is exiting: its ranges are being unmapped */
	if (!mmget_not_zero(h->mm))
		return;
	mutex_lock(&h->ioctl_lock);
	list_for_each_entry(r, &h->ranges, link)
		again |= relend_range(r);
	mutex_unlock(&h->ioctl_lock);
	mmput(h->mm);
	mutex_lock(h->lock);
	if (again && !h->closing && !h->dead)
		schedule_delayed_work(&h->relend, RELEND_DELAY);
	mutex_unlock(h->lock);
}
