/*
 * Xen memory lending: the privcmd backend
 *
 * Speaks the lend ABI (include/hw/xen/xen-lend-abi.h,
 * docs/interop/xen-lend.rst) on /dev/xen/lend, the phase-1 dom0 module's
 * device, or on privcmd.  Without either the probe says so and the device
 * falls back to trapping.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "hw/xen/xen-lend-privcmd.h"
#include <sys/ioctl.h>

typedef struct XenLendPrivcmd {
    XenLendHandle handle;
    int fd;
    uint32_t caps;
    uint32_t max_extents;
    XenLendIoctlFn ioctl_fn;
} XenLendPrivcmd;

static XenLendPrivcmd *to_privcmd(XenLendHandle *h)
{
    return container_of(h, XenLendPrivcmd, handle);
}

static int real_ioctl(int fd, unsigned long request, void *arg)
{
    int ret = ioctl(fd, request, arg);

    return ret < 0 ? -errno : ret;
}

static const char *unsupported_reason(int err)
{
    switch (err) {
    case ENOTTY:
    case EINVAL:
        return "the kernel's privcmd driver has no memory lending ioctls "
               "(load contrib/xen-lend's xen-lend module for /dev/xen/lend)";
    case EOPNOTSUPP:
        return "the hypervisor does not support memory lending";
    case ENOENT:
    case ENODEV:
        return "no Xen privcmd device";
    case EPERM:
    case EACCES:
        return "not permitted to lend to this domain";
    default:
        return "memory lending failed to open";
    }
}

XenLendHandle *xen_lend_privcmd_open_fd(int privcmd_fd, uint32_t domid,
                                        XenLendIoctlFn ioctl_fn, Error **errp)
{
    struct privcmd_lend_open op = {
        .version = PRIVCMD_LEND_VERSION,
        .domid = domid,
    };
    XenLendPrivcmd *p;
    int fd;

    ioctl_fn = ioctl_fn ?: real_ioctl;
    fd = ioctl_fn(privcmd_fd, IOCTL_PRIVCMD_LEND_OPEN, &op);
    if (fd < 0) {
        error_setg(errp, "unsupported: %s (%s)", unsupported_reason(-fd),
                   strerror(-fd));
        return NULL;
    }
    if (!op.max_extents) {
        close(fd);
        error_setg(errp, "unsupported: the lend handle takes no extents");
        return NULL;
    }

    p = g_new0(XenLendPrivcmd, 1);
    p->handle.ops = &xen_lend_privcmd_ops;
    p->handle.domid = domid;
    p->fd = fd;
    p->caps = op.caps;
    p->max_extents = op.max_extents;
    p->ioctl_fn = ioctl_fn;
    return &p->handle;
}

void xen_lend_privcmd_marshal(const XenLendExtent *ext, unsigned nr,
                              bool lend, struct privcmd_lend_extent *out)
{
    for (unsigned i = 0; i < nr; i++) {
        out[i] = (struct privcmd_lend_extent) {
            .gfn = ext[i].gfn,
            .uaddr = lend ? ext[i].uaddr : 0,
            .nr_pages = ext[i].nr_pages,
            .flags = lend && (ext[i].flags & XEN_LEND_EXTENT_2M) ?
                     PRIVCMD_LEND_EXTENT_2M : 0,
        };
    }
}

static int batch_ioctl(XenLendPrivcmd *p, bool lend, const XenLendExtent *ext,
                       unsigned nr, unsigned *error_index)
{
    g_autofree struct privcmd_lend_extent *buf =
        g_new(struct privcmd_lend_extent, nr);
    struct privcmd_lend_batch batch = {
        .extents = (uintptr_t)buf,
        .nr = nr,
    };
    int ret;

    xen_lend_privcmd_marshal(ext, nr, lend, buf);
    ret = p->ioctl_fn(p->fd, lend ? IOCTL_PRIVCMD_LEND_LEND :
                      IOCTL_PRIVCMD_LEND_REVOKE, &batch);
    *error_index = batch.error_index;
    return ret < 0 ? ret : 0;
}

static int privcmd_revoke(XenLendHandle *h, const XenLendExtent *ext,
                          unsigned nr, Error **errp)
{
    XenLendPrivcmd *p = to_privcmd(h);

    for (unsigned done = 0; done < nr; done += p->max_extents) {
        unsigned n = MIN(nr - done, p->max_extents), bad = 0;
        int ret = batch_ioctl(p, false, ext + done, n, &bad);

        if (ret) {
            bad = MIN(bad, n - 1);
            error_setg_errno(errp, -ret, "revoke of gfn 0x%" PRIx64 "+%"
                             PRIu64 " failed", ext[done + bad].gfn,
                             ext[done + bad].nr_pages);
            return ret;
        }
    }
    return 0;
}

/*
 * The kernel takes at most max_extents per call; a longer batch is split,
 * and a failed chunk undoes the chunks before it, so the whole stays all or
 * nothing.
 */
static int privcmd_lend(XenLendHandle *h, const XenLendExtent *ext,
                        unsigned nr, Error **errp)
{
    XenLendPrivcmd *p = to_privcmd(h);

    for (unsigned done = 0; done < nr; done += p->max_extents) {
        unsigned n = MIN(nr - done, p->max_extents), bad = 0;
        int ret = batch_ioctl(p, true, ext + done, n, &bad);

        if (ret) {
            Error *local_err = NULL;

            bad = MIN(bad, n - 1);
            error_setg_errno(errp, -ret, "lend of gfn 0x%" PRIx64 "+%" PRIu64
                             " failed", ext[done + bad].gfn,
                             ext[done + bad].nr_pages);
            if (done && privcmd_revoke(h, ext, done, &local_err)) {
                error_reportf_err(local_err, "xen-lend: domain %u: undoing a "
                                  "partial lend failed: ", h->domid);
                abort();
            }
            return ret;
        }
    }
    return 0;
}

static XenLendHandle *privcmd_open(uint32_t domid, Error **errp)
{
    const char *path = XEN_LEND_DEV_PATH;
    XenLendHandle *h;
    int fd = open(path, O_RDWR | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT) {
        path = XEN_LEND_PRIVCMD_PATH;
        fd = open(path, O_RDWR | O_CLOEXEC);
    }
    if (fd < 0) {
        error_setg(errp, "unsupported: %s (%s: %s)", unsupported_reason(errno),
                   path, strerror(errno));
        return NULL;
    }
    h = xen_lend_privcmd_open_fd(fd, domid, NULL, errp);
    close(fd);
    return h;
}

static uint32_t privcmd_capabilities(XenLendHandle *h)
{
    return XEN_LEND_CAP_LEND |
           (to_privcmd(h)->caps & PRIVCMD_LEND_CAP_2M ? XEN_LEND_CAP_2M : 0);
}

static void privcmd_close(XenLendHandle *h)
{
    XenLendPrivcmd *p = to_privcmd(h);

    close(p->fd);
    g_free(p);
}

const XenLendBackendOps xen_lend_privcmd_ops = {
    .name = "privcmd",
    .open = privcmd_open,
    .capabilities = privcmd_capabilities,
    .lend = privcmd_lend,
    .revoke = privcmd_revoke,
    .close = privcmd_close,
};
