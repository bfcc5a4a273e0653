/*
 * Xen memory lending: the emulated backend, a software p2m with the
 * hypervisor's rules, for QEMU off Xen (TCG, qtest) and for tests.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_EMU_H
#define HW_XEN_XEN_LEND_EMU_H

#include "hw/xen/xen-lend.h"

typedef struct XenLendEmuCounters {
    uint64_t lend_calls;        /* calls, accepted or not */
    uint64_t revoke_calls;
    uint64_t pages_lent;        /* cumulative, 4 KiB pages */
    uint64_t pages_revoked;
    uint64_t superpages_lent;   /* cumulative, 2 MiB pages */
    uint64_t rejected_calls;    /* refused by a rule */
    uint64_t injected_failures;
    uint64_t lent_pages;        /* now */
    uint64_t lent_superpages;   /* now */
} XenLendEmuCounters;

typedef enum XenLendEmuFaultOp {
    XEN_LEND_EMU_FAULT_LEND,
    XEN_LEND_EMU_FAULT_REVOKE,
} XenLendEmuFaultOp;

bool xen_lend_is_emu(XenLendHandle *h);
/* The nth next call of @op (1 = the next one) fails; 0 cancels. */
void xen_lend_emu_fail_nth(XenLendHandle *h, XenLendEmuFaultOp op,
                           unsigned n);
/* With -@err (EIO unless set), as the real backend's errors are. */
void xen_lend_emu_fail_errno(XenLendHandle *h, XenLendEmuFaultOp op, int err);
/* The lent extents in gfn order; valid until the next lend or revoke. */
const XenLendExtent *xen_lend_emu_p2m(XenLendHandle *h, unsigned *nr);
void xen_lend_emu_counters(XenLendHandle *h, XenLendEmuCounters *c);

#endif
