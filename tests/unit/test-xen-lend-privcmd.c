/*
 * Unit tests for the privcmd Xen lend backend: the probe and marshalling
 *
 * A fake ioctl plays the kernel; the probe also runs against a real file
 * descriptor that is not privcmd.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-lend-privcmd.h"

#define FAKE_PRIVCMD_FD 1000
#define FAKE_LEND_FD 1001
#define MAX_CALLS 16

/* What the fake kernel saw and how it answers */
static struct {
    int open_ret;
    uint32_t caps, max_extents;
    int fail_call;      /* the lend/revoke call (1-based) that fails */
    int fail_errno;
    unsigned calls;
    unsigned long request[MAX_CALLS];
    unsigned nr[MAX_CALLS];
    struct privcmd_lend_extent first[MAX_CALLS];
    struct privcmd_lend_open open;
} kern;

static int fake_ioctl(int fd, unsigned long request, void *arg)
{
    if (request == IOCTL_PRIVCMD_LEND_OPEN) {
        struct privcmd_lend_open *op = arg;

        g_assert_cmpint(fd, ==, FAKE_PRIVCMD_FD);
        kern.open = *op;
        op->caps = kern.caps;
        op->max_extents = kern.max_extents;
        return kern.open_ret;
    } else {
        struct privcmd_lend_batch *b = arg;
        unsigned i = kern.calls++;

        g_assert_cmpint(fd, ==, FAKE_LEND_FD);
        g_assert_cmpuint(i, <, MAX_CALLS);
        kern.request[i] = request;
        kern.nr[i] = b->nr;
        kern.first[i] = *(struct privcmd_lend_extent *)(uintptr_t)b->extents;
        if (kern.fail_call == i + 1) {
            b->error_index = b->nr - 1;
            return -kern.fail_errno;
        }
        return 0;
    }
}

static XenLendHandle *open_fake(uint32_t max_extents)
{
    memset(&kern, 0, sizeof(kern));
    kern.open_ret = FAKE_LEND_FD;
    kern.caps = PRIVCMD_LEND_CAP_2M;
    kern.max_extents = max_extents;
    return xen_lend_privcmd_open_fd(FAKE_PRIVCMD_FD, 5, fake_ioctl,
                                    &error_abort);
}

static void test_open_asks_for_domain(void)
{
    XenLendHandle *h = open_fake(64);

    g_assert_cmpuint(kern.open.version, ==, PRIVCMD_LEND_VERSION);
    g_assert_cmpuint(kern.open.domid, ==, 5);
    g_assert_cmpuint(kern.open.flags, ==, 0);
    g_assert_cmpuint(h->domid, ==, 5);
    g_assert_cmphex(xen_lend_privcmd_ops.capabilities(h), ==,
                    XEN_LEND_CAP_LEND | XEN_LEND_CAP_2M);
    xen_lend_privcmd_ops.close(h);
}

static void test_marshal(void)
{
    XenLendExtent ext[2] = {
        { .gfn = 0xe0000, .uaddr = 0x7f0000200000, .nr_pages = 512,
          .flags = XEN_LEND_EXTENT_2M },
        { .gfn = 0xe0200, .uaddr = 0x7f0000400000, .nr_pages = 3 },
    };
    struct privcmd_lend_extent out[2];

    xen_lend_privcmd_marshal(ext, 2, true, out);
    g_assert_cmphex(out[0].gfn, ==, 0xe0000);
    g_assert_cmphex(out[0].uaddr, ==, 0x7f0000200000);
    g_assert_cmpuint(out[0].nr_pages, ==, 512);
    g_assert_cmpuint(out[0].flags, ==, PRIVCMD_LEND_EXTENT_2M);
    g_assert_cmpuint(out[0].pad, ==, 0);
    g_assert_cmpuint(out[1].flags, ==, 0);
    /* a revoke carries no address and no flags */
    xen_lend_privcmd_marshal(ext, 2, false, out);
    g_assert_cmphex(out[0].uaddr, ==, 0);
    g_assert_cmpuint(out[0].flags, ==, 0);
    g_assert_cmpuint(out[1].nr_pages, ==, 3);
}

static void test_abi_layout(void)
{
    /* the ABI is fixed-size and the same for 32- and 64-bit callers */
    g_assert_cmpuint(sizeof(struct privcmd_lend_open), ==, 24);
    g_assert_cmpuint(sizeof(struct privcmd_lend_extent), ==, 32);
    g_assert_cmpuint(sizeof(struct privcmd_lend_batch), ==, 16);
}

static void test_lend_one_call(void)
{
    XenLendHandle *h = open_fake(64);
    XenLendExtent ext[3] = {
        { .gfn = 1, .uaddr = 0x1000, .nr_pages = 1 },
        { .gfn = 2, .uaddr = 0x2000, .nr_pages = 1 },
        { .gfn = 3, .uaddr = 0x3000, .nr_pages = 1 },
    };

    g_assert_cmpint(xen_lend_privcmd_ops.lend(h, ext, 3, &error_abort), ==, 0);
    g_assert_cmpuint(kern.calls, ==, 1);
    g_assert_cmphex(kern.request[0], ==, IOCTL_PRIVCMD_LEND_LEND);
    g_assert_cmpuint(kern.nr[0], ==, 3);
    g_assert_cmphex(kern.first[0].uaddr, ==, 0x1000);
    g_assert_cmpint(xen_lend_privcmd_ops.revoke(h, ext, 3, &error_abort), ==,
                    0);
    g_assert_cmphex(kern.request[1], ==, IOCTL_PRIVCMD_LEND_REVOKE);
    xen_lend_privcmd_ops.close(h);
}

static void test_lend_chunks_and_undo(void)
{
    XenLendHandle *h = open_fake(2);
    XenLendExtent ext[5];
    Error *err = NULL;

    for (int i = 0; i < 5; i++) {
        ext[i] = (XenLendExtent) { .gfn = 10 + i, .uaddr = 0x1000 * (i + 1),
                                   .nr_pages = 1 };
    }
    /* three calls of at most two; the third fails: the first two undone */
    kern.fail_call = 3;
    kern.fail_errno = ENOMEM;
    g_assert_cmpint(xen_lend_privcmd_ops.lend(h, ext, 5, &err), ==, -ENOMEM);
    g_assert_nonnull(strstr(error_get_pretty(err), "gfn 0xe+1"));
    error_free(err);
    g_assert_cmpuint(kern.calls, ==, 5);
    g_assert_cmpuint(kern.nr[0], ==, 2);
    g_assert_cmpuint(kern.nr[1], ==, 2);
    g_assert_cmpuint(kern.nr[2], ==, 1);
    g_assert_cmphex(kern.first[2].gfn, ==, 14);
    g_assert_cmphex(kern.request[3], ==, IOCTL_PRIVCMD_LEND_REVOKE);
    g_assert_cmphex(kern.first[3].gfn, ==, 10);
    g_assert_cmpuint(kern.nr[3] + kern.nr[4], ==, 4);
    xen_lend_privcmd_ops.close(h);
}

static void test_revoke_failure_reported(void)
{
    XenLendHandle *h = open_fake(8);
    XenLendExtent e = { .gfn = 0x42, .nr_pages = 2 };
    Error *err = NULL;

    kern.fail_call = 1;
    kern.fail_errno = EINVAL;
    g_assert_cmpint(xen_lend_privcmd_ops.revoke(h, &e, 1, &err), ==, -EINVAL);
    g_assert_nonnull(strstr(error_get_pretty(err), "gfn 0x42+2"));
    error_free(err);
    xen_lend_privcmd_ops.close(h);
}

static void test_probe_unsupported(const void *opaque)
{
    int err = GPOINTER_TO_INT(opaque);
    Error *local_err = NULL;

    memset(&kern, 0, sizeof(kern));
    kern.open_ret = -err;
    g_assert_null(xen_lend_privcmd_open_fd(FAKE_PRIVCMD_FD, 1, fake_ioctl,
                                           &local_err));
    g_assert_nonnull(local_err);
    g_assert_true(g_str_has_prefix(error_get_pretty(local_err),
                                   "unsupported: "));
    error_free(local_err);
}

/* The real ioctl on a descriptor that is not privcmd: ENOTTY, unsupported */
static void test_probe_not_privcmd(void)
{
    int fd = open("/dev/null", O_RDWR);
    Error *err = NULL;

    g_assert_cmpint(fd, >=, 0);
    g_assert_null(xen_lend_privcmd_open_fd(fd, 1, NULL, &err));
    g_assert_nonnull(err);
    g_assert_true(g_str_has_prefix(error_get_pretty(err), "unsupported: "));
    g_assert_nonnull(strstr(error_get_pretty(err), "no memory lending"));
    error_free(err);
    close(fd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-lend/privcmd/open-asks-for-domain",
                    test_open_asks_for_domain);
    g_test_add_func("/xen-lend/privcmd/marshal", test_marshal);
    g_test_add_func("/xen-lend/privcmd/abi-layout", test_abi_layout);
    g_test_add_func("/xen-lend/privcmd/lend-one-call", test_lend_one_call);
    g_test_add_func("/xen-lend/privcmd/lend-chunks-and-undo",
                    test_lend_chunks_and_undo);
    g_test_add_func("/xen-lend/privcmd/revoke-failure-reported",
                    test_revoke_failure_reported);
    g_test_add_data_func("/xen-lend/privcmd/probe/enotty",
                         GINT_TO_POINTER(ENOTTY), test_probe_unsupported);
    g_test_add_data_func("/xen-lend/privcmd/probe/eopnotsupp",
                         GINT_TO_POINTER(EOPNOTSUPP), test_probe_unsupported);
    g_test_add_data_func("/xen-lend/privcmd/probe/enoent",
                         GINT_TO_POINTER(ENOENT), test_probe_unsupported);
    g_test_add_func("/xen-lend/privcmd/probe/not-privcmd",
                    test_probe_not_privcmd);
    return g_test_run();
}
