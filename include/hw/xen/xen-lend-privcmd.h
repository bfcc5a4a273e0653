/*
 * Xen memory lending: the privcmd backend, against the ABI in
 * include/hw/xen/xen-lend-abi.h.  The helpers below are exported for
 * tests; devices use xen_lend_privcmd_ops through the platform.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_PRIVCMD_H
#define HW_XEN_XEN_LEND_PRIVCMD_H

#include "hw/xen/xen-lend.h"
#include "hw/xen/xen-lend-abi.h"

/*
 * The lend ABI's device: the phase-1 dom0 module's misc device
 * (contrib/xen-lend/dom0-module) when it is loaded, else privcmd itself,
 * where an in-tree implementation would live.
 */
#define XEN_LEND_DEV_PATH     "/dev/xen/lend"
#define XEN_LEND_PRIVCMD_PATH "/dev/xen/privcmd"

typedef int (*XenLendIoctlFn)(int fd, unsigned long request, void *arg);

/*
 * Ask the privcmd file @privcmd_fd for a lend handle for @domid.  On
 * success returns the handle; when the kernel or Xen cannot lend, returns
 * NULL with @errp saying why ("unsupported: ...").
 */
XenLendHandle *xen_lend_privcmd_open_fd(int privcmd_fd, uint32_t domid,
                                        XenLendIoctlFn ioctl_fn, Error **errp);

void xen_lend_privcmd_marshal(const XenLendExtent *ext, unsigned nr,
                              bool lend, struct privcmd_lend_extent *out);

#endif
