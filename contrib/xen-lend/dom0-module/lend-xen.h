/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xen-lend: the Xen side of phase-1 lending, on an unmodified Xen 4.20.
 *
 * A lent frame enters the borrower's p2m as p2m_mmio_direct through
 * XEN_DOMCTL_memory_mapping, after XEN_DOMCTL_iomem_permission lets the
 * borrower hold it.  mmio_direct entries are not RAM to Xen: the borrower
 * cannot grant them, pass them to hypercalls or have them foreign-mapped,
 * and Xen takes no reference on the frame: the module revokes the entry
 * before Linux lets the page go (lend-range.c).
 */
#ifndef XEN_LEND_XEN_H
#define XEN_LEND_XEN_H

#include <linux/types.h>

/* The domctl interface of the Xen this module was written for (4.20). */
#define XEN_LEND_DOMCTL_VERSION_DEFAULT 0x17

extern unsigned int xen_lend_domctl_version;

#define XEN_LEND_DOMAIN_HANDLE 16

int xen_lend_domain_handle(u16 domid, u8 handle[XEN_LEND_DOMAIN_HANDLE],
			   bool *hvm);
int xen_lend_pause(u16 domid);
int xen_lend_permit(u16 domid, u64 mfn, u64 nr, bool allow);
int xen_lend_map(u16 domid, u64 gfn, u64 mfn, u64 nr, bool add,
		 bool may_block);
int xen_lend_find_ram(u16 domid, u64 gfn, unsigned int nr, u64 *ram);

/*
 * Xen's own lending (contrib/xen-lend/hypervisor/patches): p2m_lent entries
 * that hold a reference on each frame, made and removed by device-model
 * operations.  Stock Xen answers EOPNOTSUPP.
 */
int xen_lend_dmop_probe(u16 domid);
int xen_lend_dmop_lend(u16 domid, u64 gfn, const u64 *mfns, u32 nr,
		       bool mmio, u32 *done);
int xen_lend_dmop_revoke(u16 domid, u64 gfn, u64 nr, bool may_block);

#endif
