/*
 * Xen memory lending: the listener's per-client state, shared with the
 * QMP query.  Not for devices: they use include/hw/xen/xen-lend.h.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_INTERNAL_H
#define HW_XEN_XEN_LEND_INTERNAL_H

#include "qemu/queue.h"
#include "hw/xen/xen-lend.h"
#include "hw/xen/xen-lend-emu.h"

#define XEN_LEND_NO_WINDOW UINT64_MAX

/* A section of the container the listener was given, by guest address */
typedef struct XenLendSection {
    MemoryRegion *mr;
    uint64_t gpa;
    uint64_t size;
    uint64_t unlendable;
    GArray *ext;                /* XenLendExtent, its whole pages */
    bool lent;
} XenLendSection;

struct XenLendClient {
    MemoryListener listener;
    MemoryRegion *container;
    GArray *to_lend;            /* XenLendExtent queued by region_add */
    GArray *to_revoke;          /* XenLendExtent queued by region_del */
    GArray *lent;               /* XenLendExtent lent now, by gfn */
    GHashTable *sections;       /* gpa -> XenLendSection */
    GPtrArray *adding;          /* XenLendSection queued by region_add */
    XenLendSection *ahead;      /* lent ahead, not yet adopted */
    int commit_error;           /* the last commit's lend: -errno or 0 */
    char *commit_error_msg;
    uint64_t window_gfn;        /* the window claimed from the backend */
    uint64_t window_gfn_new;    /* where the container is now */
    XenLendClientStats stats;
    QTAILQ_ENTRY(XenLendClient) next;
};

XenLendClient *xen_lend_client_first(void);
XenLendClient *xen_lend_client_next(XenLendClient *c);

#endif
