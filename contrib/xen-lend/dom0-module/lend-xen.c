// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-lend: the three domctls phase-1 lending needs.
 *
 * Linux has no header for Xen's domctl interface (it is not stable across
 * Xen releases), so the layouts below are those of Xen 4.20's public
 * domctl.h, and the interface version is a module parameter.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <xen/xen.h>
#include <xen/interface/xen.h>
#include <xen/interface/hvm/dm_op.h>
#include <asm/xen/hypercall.h>

#include "lend-xen.h"

#define DOMCTL_pausedomain          3
#define DOMCTL_getdomaininfo        5
#define DOMCTL_iomem_permission    20
#define DOMCTL_getpageframeinfo3   61
#define DOMCTL_memory_mapping      39

#define DOMINF_hvm_guest           (1U << 1)

#define PFINFO_LTAB_MASK           (0xfUL << 28)
#define PFINFO_XTAB                (0xfUL << 28)   /* not RAM */
#define PFINFO_BATCH               512  /* Xen takes up to 1024 per call */

struct domctl_iomem_permission {
	u64 first_mfn;
	u64 nr_mfns;
	u8 allow_access;
};

struct domctl_memory_mapping {
	u64 first_gfn;
	u64 first_mfn;
	u64 nr_mfns;
	u32 add_mapping;
	u32 padding;
};

struct domctl_getdomaininfo {
	u16 domain;
	u16 pad1;
	u32 flags;
	u64 pages[7];   /* tot, max, outstanding, shr, paged, shared info, cpu time */
	u32 nr_online_vcpus;
	u32 max_vcpu_id;
	u32 ssidref;
	u8 handle[XEN_LEND_DOMAIN_HANDLE];
};

/* public/domctl.h's layout, up to the handle */
static_assert(offsetof(struct domctl_getdomaininfo, handle) == 76);

struct domctl_getpageframeinfo3 {
	u64 num;
	u64 array;      /* XEN_GUEST_HANDLE_64(xen_pfn_t) */
};

struct domctl {
	u32 cmd;
	u32 interface_version;
	u16 domain;
	u16 pad[3];
	union {
		struct domctl_iomem_permission iomem_permission;
		struct domctl_memory_mapping memory_mapping;
		struct domctl_getpageframeinfo3 getpageframeinfo3;
		struct domctl_getdomaininfo getdomaininfo;
		u8 pad[128];
	} u;
};

unsigned int xen_lend_domctl_version = XEN_LEND_DOMCTL_VERSION_DEFAULT;
module_param_named(domctl_version, xen_lend_domctl_version, uint, 0444);
MODULE_PARM_DESC(domctl_version,
		 "XEN_DOMCTL_INTERFACE_VERSION of the running Xen (4.20: 0x17)");

static int domctl(struct domctl *op)
{
	op->interface_version = xen_lend_domctl_version;
	return privcmd_call(__HYPERVISOR_domctl, (unsigned long)op, 0, 0, 0, 0);
}

static int domain_info(u16 domid, struct domctl *op)
{
	int ret;

	op->cmd = DOMCTL_getdomaininfo;
	op->domain = domid;
	ret = domctl(op);
	if (!ret && op->u.getdomaininfo.domain != domid)
		ret = -ESRCH;
	return ret;
}

/*
 * The handle (UUID) the toolstack gave domain @domid: it tells this
 * domain from a later one that reuses the id.  With @hvm, also whether
 * it is an HVM domain (only those have a p2m to lend into).
 */
int xen_lend_domain_handle(u16 domid, u8 handle[XEN_LEND_DOMAIN_HANDLE],
			   bool *hvm)
{
	struct domctl op = {};
	int ret = domain_info(domid, &op);

	if (ret)
		return ret;
	memcpy(handle, op.u.getdomaininfo.handle, XEN_LEND_DOMAIN_HANDLE);
	if (hvm)
		*hvm = op.u.getdomaininfo.flags & DOMINF_hvm_guest;
	return 0;
}

/* Stop @domid's vCPUs: it reaches nothing until it is unpaused */
int xen_lend_pause(u16 domid)
{
	struct domctl op = {
		.cmd = DOMCTL_pausedomain,
		.domain = domid,
	};

	return domctl(&op);
}

/* Let @domid hold the frames (iomem permission), or take that back. */
int xen_lend_permit(u16 domid, u64 mfn, u64 nr, bool allow)
{
	struct domctl op = {
		.cmd = DOMCTL_iomem_permission,
		.domain = domid,
		.u.iomem_permission = {
			.first_mfn = mfn,
			.nr_mfns = nr,
			.allow_access = allow,
		},
	};

	return domctl(&op);
}

/*
 * Add or remove p2m_mmio_direct entries gfn..gfn+nr -> mfn..mfn+nr.  Xen
 * returns a positive count when it stopped early (preemption): go on from
 * there.  Removal flushes the guest's TLBs before it returns.  Nothing
 * here allocates: an MMU notifier may call it.
 */
int xen_lend_map(u16 domid, u64 gfn, u64 mfn, u64 nr, bool add,
		 bool may_block)
{
	u64 done = 0;

	while (done < nr) {
		struct domctl op = {
			.cmd = DOMCTL_memory_mapping,
			.domain = domid,
			.u.memory_mapping = {
				.first_gfn = gfn + done,
				.first_mfn = mfn + done,
				.nr_mfns = nr - done,
				.add_mapping = add,
			},
		};
		int ret = domctl(&op);

		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		done += ret;
		if (may_block)
			cond_resched();
	}
	return 0;
}

/*
 * Lending never replaces guest RAM (Xen would take the RAM page away from
 * the guest): getpageframeinfo3 reports every gfn that is not RAM as XTAB.
 * Returns 1 and the first RAM gfn in gfn..gfn+nr-1, 0 if there is none.
 */
int xen_lend_find_ram(u16 domid, u64 gfn, unsigned int nr, u64 *ram)
{
	unsigned int i, n, done;
	xen_pfn_t *buf;
	int ret = 0;

	buf = kmalloc_array(PFINFO_BATCH, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (done = 0; !ret && done < nr; done += n) {
		struct domctl op = {
			.cmd = DOMCTL_getpageframeinfo3,
			.domain = domid,
		};

		n = min_t(unsigned int, nr - done, PFINFO_BATCH);
		for (i = 0; i < n; i++)
			buf[i] = gfn + done + i;
		op.u.getpageframeinfo3.num = n;
		op.u.getpageframeinfo3.array = (unsigned long)buf;
		ret = domctl(&op);
		for (i = 0; !ret && i < n; i++) {
			if ((buf[i] & PFINFO_LTAB_MASK) != PFINFO_XTAB) {
				*ram = gfn + done + i;
				ret = 1;
			}
		}
	}
	kfree(buf);
	return ret;
}

/*
 * XEN_DMOP_lend_pages and XEN_DMOP_revoke_pages, as the hypervisor patches
 * define them in public/hvm/dm_op.h (docs/interop/xen-lend.rst).
 */
#define DMOP_lend_pages            21
#define DMOP_revoke_pages          22
#define DMOP_LEND_FRAME_LIST       (1U << 0)
#define DMOP_LEND_MMIO             (1U << 1)

struct dmop_progress {
	u32 nr_extents;
	u32 done_extents;
	u32 done_pages;
	u32 flags;
};

struct dmop_lend_extent {
	u64 gfn;
	u64 frame;
	u32 nr;
	u32 flags;
};

struct dmop_revoke_extent {
	u64 gfn;
	u32 nr;
	u32 pad;
};

struct dmop {
	u32 op;
	u32 pad;
	struct dmop_progress u;
};

static int dmop(u16 domid, struct dmop *op, void *ext, size_t ext_size,
		const u64 *frames, size_t frames_size)
{
	struct xen_dm_op_buf bufs[3];
	unsigned int nr = 1;

	set_xen_guest_handle(bufs[0].h, op);
	bufs[0].size = sizeof(*op);
	if (ext) {
		set_xen_guest_handle(bufs[1].h, ext);
		bufs[1].size = ext_size;
		nr = 2;
	}
	if (frames) {
		set_xen_guest_handle(bufs[2].h, (void *)frames);
		bufs[2].size = frames_size;
		nr = 3;
	}
	return HYPERVISOR_dm_op(domid, nr, bufs);
}

/* An empty revoke: 0 where Xen can lend, EOPNOTSUPP on a stock Xen. */
int xen_lend_dmop_probe(u16 domid)
{
	struct dmop op = { .op = DMOP_revoke_pages };

	return dmop(domid, &op, NULL, 0, NULL, 0);
}

/*
 * Lend nr frames (machine frame numbers) at gfn..gfn+nr-1: dom0's RAM, or
 * with @mmio I/O memory dom0 may map.  Xen preempts and continues the
 * call itself.  On error, *done pages were lent.
 */
int xen_lend_dmop_lend(u16 domid, u64 gfn, const u64 *mfns, u32 nr,
		       bool mmio, u32 *done)
{
	struct dmop_lend_extent ext = {
		.gfn = gfn,
		.nr = nr,
		.flags = DMOP_LEND_FRAME_LIST | (mmio ? DMOP_LEND_MMIO : 0),
	};
	struct dmop op = {
		.op = DMOP_lend_pages,
		.u.nr_extents = 1,
	};
	int ret = dmop(domid, &op, &ext, sizeof(ext), mfns,
		       nr * sizeof(*mfns));

	*done = ret ? (op.u.done_extents ? nr : op.u.done_pages) : nr;
	return ret;
}

/*
 * Revoke gfn..gfn+nr-1: when it returns, the guest cannot reach them.  A
 * call at a time revokes at most DMOP_REVOKE_CHUNK pages, so that a long
 * range lets other work run between them where the caller may sleep (an
 * MMU notifier's non-blockable invalidation may not).  Nothing here
 * sleeps or allocates.
 */
#define DMOP_REVOKE_CHUNK 512

int xen_lend_dmop_revoke(u16 domid, u64 gfn, u64 nr, bool may_block)
{
	while (nr) {
		struct dmop_revoke_extent ext = {
			.gfn = gfn,
			.nr = min_t(u64, nr, DMOP_REVOKE_CHUNK),
		};
		struct dmop op = {
			.op = DMOP_revoke_pages,
			.u.nr_extents = 1,
		};
		int ret = dmop(domid, &op, &ext, sizeof(ext), NULL, 0);

		if (ret)
			return ret;
		gfn += ext.nr;
		nr -= ext.nr;
		if (may_block)
			cond_resched();
	}
	return 0;
}
