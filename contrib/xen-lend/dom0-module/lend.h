/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-lend: a lend handle and its lent ranges (docs/interop/xen-lend.rst).
 *
 * Nothing lent is pinned.  Each range LEND made holds an MMU interval
 * notifier on the lender's addresses; when the kernel is about to move,
 * free or write-protect a page behind it, the notifier revokes the page
 * first (lend-range.c), and a worker lends the range again once the
 * memory is back.
 *
 * Locks, outer first:
 * - ioctl_lock: LEND, REVOKE, the re-lend worker and close; the gfn
 *   records and the list of ranges.  Held across page faults.
 * - *lock: what each range has lent to Xen now (pfns, stale).  Taken by
 *   the notifier, which may run inside reclaim: under it nothing
 *   allocates, faults or takes the mmap lock, only hypercalls.  Phase-1
 *   handles share one (lend_phase1_lock): Xen's iomem permission, which
 *   each phase-1 lend and revoke gives and takes back, is one bit per
 *   domain and frame, not a count per handle.
 */
#ifndef XEN_LEND_H
#define XEN_LEND_H

#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "lend-xen.h"

#define LEND_CHUNK        512  /* pages looked up and lent per step */
#define LEND_NO_PFN       (~0UL)
#define LEND_PFNMAP       (1UL << 62)  /* in pfns[]: no page reference */
#define LEND_UNDENIED_MAX 8    /* phase 1: permissions retried, at most */

struct lend_stats {
	atomic64_t handles, handles_dmop, lend_calls, revoke_calls;
	atomic64_t lent, revoked, relent, invalidations, held, leaked;
	atomic64_t errors;
};

extern struct lend_stats lend_stats;
extern struct mutex lend_phase1_lock;

struct lend_handle {
	u16 domid;
	bool dmop;              /* Xen lends itself (XEN_DMOP_lend_pages) */
	bool closing;           /* no more re-lending (under lock) */
	bool dead;              /* the domain is gone or replaced (lock) */
	struct mm_struct *mm;   /* the opener's (mmgrab) */
	u8 uuid[XEN_LEND_DOMAIN_HANDLE];  /* which domain @domid was */
	struct mutex ioctl_lock;
	struct mutex *lock;
	struct mutex own_lock;  /* *lock of a handle on Xen's lending */
	struct xarray gfns;     /* gfn -> its struct lend_range (ioctl_lock) */
	struct list_head ranges;
	struct delayed_work relend;
	/*
	 * Phase 1: frames whose iomem permission the guest kept, when
	 * withdrawing it failed; retried before each lend and revoke (*lock)
	 */
	u64 undenied[LEND_UNDENIED_MAX];
	unsigned int nr_undenied;
	/* one step's frames (ioctl_lock): LEND_CHUNK each */
	unsigned long *pfns;
	struct page **pages;
	u64 *mfns;
	DECLARE_BITMAP(mmio, LEND_CHUNK);  /* mfns[i] is I/O memory */
};

/* One extent of a LEND: gfn.. lends the lender's uaddr.. */
struct lend_range {
	struct mmu_interval_notifier notifier;
	struct lend_handle *h;
	struct list_head link;
	u64 gfn, uaddr, nr;
	u64 recorded;           /* its pages in h->gfns (ioctl_lock) */
	bool unmapped;          /* munmap'd or exited: never lent again */
	/* the dom0 pfn lent at gfn + i (| LEND_PFNMAP), or LEND_NO_PFN */
	unsigned long *pfns;
	unsigned long *stale;   /* revoked by the notifier, to lend again */
};

int lend_domain_state(struct lend_handle *h);

struct lend_range *lend_range_create(struct lend_handle *h, u64 gfn,
				     u64 uaddr, u64 nr);
int lend_range_lend(struct lend_range *r);
int lend_range_revoke(struct lend_range *r, u64 first, u64 nr, int state);
void lend_range_destroy(struct lend_range *r);
void lend_range_close(struct lend_handle *h, int state);
void lend_relend_work(struct work_struct *work);

#endif
