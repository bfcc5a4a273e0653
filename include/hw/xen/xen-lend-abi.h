/*
 * The proposed Linux privcmd ABI for Xen memory lending, as QEMU uses it.
 * docs/interop/xen-lend.rst is its specification.  No kernel implements it
 * yet: the ioctl numbers sit above privcmd's own (0..10) so that today's
 * kernels answer ENOTTY, which QEMU reports as "lending unsupported".
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_XEN_XEN_LEND_ABI_H
#define HW_XEN_XEN_LEND_ABI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define PRIVCMD_LEND_VERSION        1

/* privcmd_lend_open.caps */
#define PRIVCMD_LEND_CAP_2M         (1u << 0)  /* 2 MiB p2m entries */

/*
 * IOCTL_PRIVCMD_LEND_OPEN on /dev/xen/privcmd: returns a new file
 * descriptor, the lend handle for @domid.  Closing it revokes everything
 * still lent through it.
 */
struct privcmd_lend_open {
    __u32 version;      /* IN: PRIVCMD_LEND_VERSION */
    __u32 domid;        /* IN: the borrowing (HVM) domain */
    __u32 flags;        /* IN: 0 */
    __u32 caps;         /* OUT: PRIVCMD_LEND_CAP_* */
    __u32 max_extents;  /* OUT: extents per LEND or REVOKE call */
    __u32 pad;
};

/* privcmd_lend_extent.flags */
#define PRIVCMD_LEND_EXTENT_2M      (1u << 0)  /* whole 2 MiB pages */

struct privcmd_lend_extent {
    __u64 gfn;          /* first guest frame */
    __u64 uaddr;        /* LEND: the caller's page-aligned address */
    __u64 nr_pages;     /* 4 KiB pages */
    __u32 flags;        /* PRIVCMD_LEND_EXTENT_* */
    __u32 pad;
};

/*
 * IOCTL_PRIVCMD_LEND_LEND and IOCTL_PRIVCMD_LEND_REVOKE on a lend handle.
 * LEND is all or nothing.  REVOKE is synchronous and only fails on bad
 * arguments (EINVAL, ENOENT): Xen has no way to refuse it.
 */
struct privcmd_lend_batch {
    __u64 extents;      /* IN: user pointer to privcmd_lend_extent[nr] */
    __u32 nr;           /* IN */
    __u32 error_index;  /* OUT: the extent that failed, on failure */
};

#define IOCTL_PRIVCMD_LEND_OPEN \
    _IOC(_IOC_NONE, 'P', 0x20, sizeof(struct privcmd_lend_open))
#define IOCTL_PRIVCMD_LEND_LEND \
    _IOC(_IOC_NONE, 'P', 0x21, sizeof(struct privcmd_lend_batch))
#define IOCTL_PRIVCMD_LEND_REVOKE \
    _IOC(_IOC_NONE, 'P', 0x22, sizeof(struct privcmd_lend_batch))

#endif
