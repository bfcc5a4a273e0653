/*
 * Xen memory lending: the device model lends pages of its own memory into
 * the guest's p2m and can always revoke them.
 *
 * A device registers a MemoryRegion container (a hostmem BAR).  The lend
 * listener turns the RAM sections that the container contributes to the
 * guest's address space into extents of whole pages and issues them, once
 * per memory transaction, through the lend backend: privcmd on a real Xen
 * (the ABI in docs/interop/xen-lend.rst), an emulated p2m everywhere else.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_H
#define HW_XEN_XEN_LEND_H

#include "exec/memory.h"

#define XEN_LEND_PAGE_SHIFT     12
#define XEN_LEND_PAGE_SIZE      (1ULL << XEN_LEND_PAGE_SHIFT)
#define XEN_LEND_2M_SHIFT       21
#define XEN_LEND_2M_SIZE        (1ULL << XEN_LEND_2M_SHIFT)
#define XEN_LEND_PAGES_PER_2M   (XEN_LEND_2M_SIZE / XEN_LEND_PAGE_SIZE)

/* XenLendExtent.flags: the extent is whole, aligned 2 MiB pages. */
#define XEN_LEND_EXTENT_2M      (1u << 0)

/*
 * Guest frames [gfn, gfn + nr_pages) backed by the device model's memory
 * [uaddr, uaddr + nr_pages * 4 KiB).  A revoke extent carries no uaddr.
 */
typedef struct XenLendExtent {
    uint64_t gfn;
    uint64_t uaddr;
    uint64_t nr_pages;
    uint32_t flags;
} XenLendExtent;

/* What a backend can do (XenLendBackendOps.capabilities). */
#define XEN_LEND_CAP_LEND       (1u << 0)  /* lending works at all */
#define XEN_LEND_CAP_2M         (1u << 1)  /* 2 MiB p2m entries */

typedef struct XenLendBackendOps XenLendBackendOps;

/* An open lend handle for one domain; backends embed it first. */
typedef struct XenLendHandle {
    const XenLendBackendOps *ops;
    uint32_t domid;
} XenLendHandle;

/*
 * A lend backend, in the style of include/hw/xen/xen_backend_ops.h.
 *
 * lend() is all or nothing: on failure nothing of the batch stays lent.
 * revoke() is synchronous: when it returns, no guest access reaches the
 * pages any more.  It cannot fail short of a broken hypervisor or kernel;
 * the caller aborts if it does (continuing would let the guest reach
 * memory that is about to be freed).
 */
struct XenLendBackendOps {
    const char *name;
    XenLendHandle *(*open)(uint32_t domid, Error **errp);
    uint32_t (*capabilities)(XenLendHandle *h);
    int (*lend)(XenLendHandle *h, const XenLendExtent *ext, unsigned nr,
                Error **errp);
    int (*revoke)(XenLendHandle *h, const XenLendExtent *ext, unsigned nr,
                  Error **errp);
    /*
     * Optional: the guest-physical windows the device model claims for
     * lending (its hostmem BARs).  Xen knows them from the ioreq server;
     * the emulated p2m is told here, and refuses lends outside them.
     */
    void (*set_window)(XenLendHandle *h, uint64_t gfn, uint64_t nr_pages,
                       bool add);
    void (*close)(XenLendHandle *h);
};

extern const XenLendBackendOps xen_lend_privcmd_ops;
extern const XenLendBackendOps xen_lend_emu_ops;

/*
 * The platform: which backend QEMU uses and whether it can lend.  The Xen
 * accelerator sets it at init (before xentoolcore_restrict_all); every
 * other accelerator gets the emulated backend on first use.
 */
typedef struct XenLendPlatform {
    const XenLendBackendOps *ops;
    XenLendHandle *handle;      /* NULL when lending is unavailable */
    uint32_t domid;
    char *unavailable_reason;   /* why handle is NULL */
} XenLendPlatform;

void xen_lend_platform_set(const XenLendBackendOps *ops, XenLendHandle *h,
                           uint32_t domid, const char *unavailable_reason);
const XenLendPlatform *xen_lend_platform_get(void);
/* True when lending works: the handle is open and the backend can lend. */
bool xen_lend_available(Error **errp);

/* Called by the Xen accelerator while it still holds full privilege. */
void xen_lend_accel_init(uint32_t domid);

/*
 * A registered hostmem container.  The listener never calls its owner:
 * the owner asks (xen_lend_client_commit_result()), as xen_pt's listener
 * only logs and counts.
 */
typedef struct XenLendClient XenLendClient;

XenLendClient *xen_lend_register(MemoryRegion *container, Error **errp);
/* The container must no longer be mapped: everything is revoked by then. */
void xen_lend_unregister(XenLendClient *c);

/*
 * Lend [hva, hva + size) to the guest before the owner publishes
 * the RAM region that maps it there (at @offset in the container, which
 * the owner sees at @container_gpa: its BAR's address), so that if the
 * lend fails the owner maps the memory some other way and no RAM region
 * over it is ever visible.  The next memory transaction's RAM section at
 * that address with that memory adopts the lend; if none does (the
 * container is elsewhere after all), its commit revokes it and lends the
 * section as usual.  Nothing is lent ahead where QEMU already maps
 * something at that address.  Call it outside a transaction, then add
 * the region and commit, then ask xen_lend_client_commit_result().  0,
 * or -errno with @errp set and nothing lent.
 */
int xen_lend_client_lend_ahead(XenLendClient *c, uint64_t container_gpa,
                               uint64_t offset, void *hva, uint64_t size,
                               Error **errp);
/*
 * How the lends of the last commit went: 0 when everything it lent is
 * lent (or there was nothing to lend), else -errno with @errp set, and
 * nothing of the batch that commit issued is lent (a section it adopted
 * from a lend ahead is).  Revokes a lend made ahead that no commit
 * adopted.
 */
int xen_lend_client_commit_result(XenLendClient *c, Error **errp);

/* Per-client statistics, for the owner's counters. */
typedef struct XenLendClientStats {
    uint64_t lend_calls;
    uint64_t revoke_calls;
    uint64_t lent_pages;        /* now */
    uint64_t lent_2m_pages;     /* now, in 2 MiB units */
    uint64_t unlendable_bytes;  /* now: mapped but not lendable (edges) */
    uint64_t lend_failures;
    uint64_t lend_failures_published;   /* RAM was mapped already */
} XenLendClientStats;

void xen_lend_client_stats(XenLendClient *c, XenLendClientStats *stats);

/*
 * The extent splitter: the whole 4 KiB pages of the section
 * [gpa, gpa + size) backed by [hva, hva + size), as extents whose runs
 * congruent mod 2 MiB are lent as 2 MiB pages.  Appends to @out
 * (a GArray of XenLendExtent) and returns the bytes that cannot be lent
 * (partial pages at the edges, or everything when gpa and hva differ in
 * their page offset).
 */
uint64_t xen_lend_split_section(uint64_t gpa, uint64_t hva, uint64_t size,
                                GArray *out);

#endif
