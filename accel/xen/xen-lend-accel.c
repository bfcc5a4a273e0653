/*
 * Xen memory lending: the Xen accelerator's part
 *
 * The lend handle is opened while QEMU still has full privilege, before
 * xen_setup_post() restricts it; the handle is bound to the guest domain
 * when it is opened, so restriction takes nothing from it.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-lend.h"
#include "trace/trace-hw_xen.h"

void xen_lend_accel_init(uint32_t domid)
{
    Error *err = NULL;
    XenLendHandle *h = xen_lend_privcmd_ops.open(domid, &err);

    trace_xen_lend_accel_probe(domid, h != NULL,
                               err ? error_get_pretty(err) : "ok");
    xen_lend_platform_set(&xen_lend_privcmd_ops, h, domid,
                          err ? error_get_pretty(err) : NULL);
    error_free(err);
}
