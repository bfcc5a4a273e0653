/*
 * Unit tests for the emulated Xen lend backend: the p2m's rules and counters
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-lend-emu.h"

#define WIN_GFN 0xe0000ULL          /* a 256 MiB window at 0xe0000000 */
#define WIN_PAGES 0x10000ULL
#define HVA 0x7f0000000000ULL

static XenLendHandle *open_emu(void)
{
    XenLendHandle *h = xen_lend_emu_ops.open(7, &error_abort);

    xen_lend_emu_ops.set_window(h, WIN_GFN, WIN_PAGES, true);
    return h;
}

static XenLendExtent ext(uint64_t gfn, uint64_t pages, uint32_t flags)
{
    return (XenLendExtent) {
        .gfn = gfn,
        .uaddr = HVA + ((gfn - WIN_GFN) << XEN_LEND_PAGE_SHIFT),
        .nr_pages = pages,
        .flags = flags,
    };
}

static int lend1(XenLendHandle *h, XenLendExtent e)
{
    Error *err = NULL;
    int ret = xen_lend_emu_ops.lend(h, &e, 1, &err);

    g_assert((ret == 0) == (err == NULL));
    error_free(err);
    return ret;
}

static int revoke1(XenLendHandle *h, uint64_t gfn, uint64_t pages)
{
    XenLendExtent e = { .gfn = gfn, .nr_pages = pages };
    Error *err = NULL;
    int ret = xen_lend_emu_ops.revoke(h, &e, 1, &err);

    g_assert((ret == 0) == (err == NULL));
    error_free(err);
    return ret;
}

static unsigned p2m_len(XenLendHandle *h)
{
    unsigned nr;

    xen_lend_emu_p2m(h, &nr);
    return nr;
}

static void test_lend_revoke_counts(void)
{
    XenLendHandle *h = open_emu();
    XenLendExtent batch[2] = { ext(WIN_GFN, 4, 0),
                               ext(WIN_GFN + 512, 1024, XEN_LEND_EXTENT_2M) };
    XenLendEmuCounters c;

    g_assert_cmpint(xen_lend_emu_ops.lend(h, batch, 2, &error_abort), ==, 0);
    xen_lend_emu_counters(h, &c);
    g_assert_cmpuint(c.lend_calls, ==, 1);
    g_assert_cmpuint(c.pages_lent, ==, 1028);
    g_assert_cmpuint(c.superpages_lent, ==, 2);
    g_assert_cmpuint(c.lent_pages, ==, 1028);
    g_assert_cmpuint(c.lent_superpages, ==, 2);
    g_assert_cmpuint(p2m_len(h), ==, 2);

    g_assert_cmpint(revoke1(h, WIN_GFN + 512, 1024), ==, 0);
    g_assert_cmpint(revoke1(h, WIN_GFN, 4), ==, 0);
    xen_lend_emu_counters(h, &c);
    g_assert_cmpuint(c.revoke_calls, ==, 2);
    g_assert_cmpuint(c.pages_revoked, ==, 1028);
    g_assert_cmpuint(c.lent_pages, ==, 0);
    g_assert_cmpuint(c.lent_superpages, ==, 0);
    g_assert_cmpuint(c.rejected_calls, ==, 0);
    g_assert_cmpuint(p2m_len(h), ==, 0);
    xen_lend_emu_ops.close(h);
}

static void test_p2m_sorted(void)
{
    XenLendHandle *h = open_emu();
    const XenLendExtent *p2m;
    unsigned nr;

    g_assert_cmpint(lend1(h, ext(WIN_GFN + 100, 1, 0)), ==, 0);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + 10, 1, 0)), ==, 0);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + 50, 1, 0)), ==, 0);
    p2m = xen_lend_emu_p2m(h, &nr);
    g_assert_cmpuint(nr, ==, 3);
    g_assert_cmphex(p2m[0].gfn, ==, WIN_GFN + 10);
    g_assert_cmphex(p2m[1].gfn, ==, WIN_GFN + 50);
    g_assert_cmphex(p2m[2].gfn, ==, WIN_GFN + 100);
    xen_lend_emu_ops.close(h);
}

static void test_rejects_overlap(void)
{
    XenLendHandle *h = open_emu();
    XenLendExtent twice[2] = { ext(WIN_GFN + 20, 4, 0),
                               ext(WIN_GFN + 22, 4, 0) };
    XenLendEmuCounters c;

    g_assert_cmpint(lend1(h, ext(WIN_GFN, 16, 0)), ==, 0);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + 15, 2, 0)), ==, -EEXIST);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 16, 0)), ==, -EEXIST);
    /* overlapping within one batch is refused too, and lends nothing */
    g_assert_cmpint(xen_lend_emu_ops.lend(h, twice, 2, NULL), ==, -EEXIST);
    xen_lend_emu_counters(h, &c);
    g_assert_cmpuint(c.rejected_calls, ==, 3);
    g_assert_cmpuint(c.lent_pages, ==, 16);
    xen_lend_emu_ops.close(h);
}

static void test_rejects_misaligned(void)
{
    XenLendHandle *h = open_emu();
    XenLendExtent e = ext(WIN_GFN, 1, 0);

    e.uaddr += 0x10;
    g_assert_cmpint(lend1(h, e), ==, -EINVAL);
    /* 2 MiB extents must be whole, aligned 2 MiB pages on both sides */
    g_assert_cmpint(lend1(h, ext(WIN_GFN + 1, 512, XEN_LEND_EXTENT_2M)), ==,
                    -EINVAL);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 256, XEN_LEND_EXTENT_2M)), ==,
                    -EINVAL);
    e = ext(WIN_GFN, 512, XEN_LEND_EXTENT_2M);
    e.uaddr += XEN_LEND_PAGE_SIZE;
    g_assert_cmpint(lend1(h, e), ==, -EINVAL);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 1, 0x80)), ==, -EINVAL);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 0, 0)), ==, -EINVAL);
    g_assert_cmpint(xen_lend_emu_ops.lend(h, NULL, 0, NULL), ==, -EINVAL);
    g_assert_cmpuint(p2m_len(h), ==, 0);
    xen_lend_emu_ops.close(h);
}

static void test_rejects_outside_window(void)
{
    XenLendHandle *h = open_emu();

    g_assert_cmpint(lend1(h, ext(WIN_GFN - 1, 1, 0)), ==, -EPERM);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + WIN_PAGES - 1, 2, 0)), ==, -EPERM);
    g_assert_cmpint(lend1(h, ext(0x100, 1, 0)), ==, -EPERM);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + WIN_PAGES - 1, 1, 0)), ==, 0);
    /* a window taken away refuses further lends */
    xen_lend_emu_ops.set_window(h, WIN_GFN, WIN_PAGES, false);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 1, 0)), ==, -EPERM);
    xen_lend_emu_ops.close(h);
}

static void test_rejects_revoke_not_lent(void)
{
    XenLendHandle *h = open_emu();
    XenLendExtent twice[2] = { { .gfn = WIN_GFN, .nr_pages = 2 },
                               { .gfn = WIN_GFN + 1, .nr_pages = 2 } };

    g_assert_cmpint(revoke1(h, WIN_GFN, 1), ==, -ENOENT);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 8, 0)), ==, 0);
    g_assert_cmpint(revoke1(h, WIN_GFN + 4, 8), ==, -ENOENT);
    g_assert_cmpint(revoke1(h, WIN_GFN, 0), ==, -EINVAL);
    g_assert_cmpint(xen_lend_emu_ops.revoke(h, twice, 2, NULL), ==, -EINVAL);
    g_assert_cmpint(xen_lend_emu_ops.revoke(h, NULL, 0, NULL), ==, -EINVAL);
    /* nothing of a refused revoke happened */
    g_assert_cmpuint(p2m_len(h), ==, 1);
    xen_lend_emu_ops.close(h);
}

static void test_partial_revoke_splits(void)
{
    XenLendHandle *h = open_emu();
    const XenLendExtent *p2m;
    XenLendEmuCounters c;
    unsigned nr;

    /* four 2 MiB pages; take out one 4 KiB page of the second */
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 2048, XEN_LEND_EXTENT_2M)), ==, 0);
    g_assert_cmpint(revoke1(h, WIN_GFN + 600, 1), ==, 0);
    p2m = xen_lend_emu_p2m(h, &nr);
    g_assert_cmpuint(nr, ==, 2);
    g_assert_cmphex(p2m[0].gfn, ==, WIN_GFN);
    g_assert_cmpuint(p2m[0].nr_pages, ==, 600);
    g_assert_cmpuint(p2m[0].flags, ==, 0);    /* no longer whole 2 MiB */
    g_assert_cmphex(p2m[1].gfn, ==, WIN_GFN + 601);
    g_assert_cmpuint(p2m[1].nr_pages, ==, 2048 - 601);
    g_assert_cmphex(p2m[1].uaddr, ==, HVA + (601 << XEN_LEND_PAGE_SHIFT));
    xen_lend_emu_counters(h, &c);
    g_assert_cmpuint(c.lent_pages, ==, 2047);
    g_assert_cmpuint(c.lent_superpages, ==, 0);
    /* a revoke across both remainders removes them both */
    g_assert_cmpint(revoke1(h, WIN_GFN, 600), ==, 0);
    g_assert_cmpint(revoke1(h, WIN_GFN + 601, 2048 - 601), ==, 0);
    g_assert_cmpuint(p2m_len(h), ==, 0);
    xen_lend_emu_ops.close(h);
}

static void test_revoke_keeps_whole_superpages(void)
{
    XenLendHandle *h = open_emu();
    const XenLendExtent *p2m;
    unsigned nr;

    g_assert_cmpint(lend1(h, ext(WIN_GFN, 2048, XEN_LEND_EXTENT_2M)), ==, 0);
    g_assert_cmpint(revoke1(h, WIN_GFN + 512, 512), ==, 0);
    p2m = xen_lend_emu_p2m(h, &nr);
    g_assert_cmpuint(nr, ==, 2);
    g_assert_cmpuint(p2m[0].flags, ==, XEN_LEND_EXTENT_2M);
    g_assert_cmpuint(p2m[1].flags, ==, XEN_LEND_EXTENT_2M);
    g_assert_cmpuint(p2m[1].nr_pages, ==, 1024);
    xen_lend_emu_ops.close(h);
}

static void test_inject_lend_failure(void)
{
    XenLendHandle *h = open_emu();
    XenLendEmuCounters c;

    xen_lend_emu_fail_nth(h, XEN_LEND_EMU_FAULT_LEND, 2);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 1, 0)), ==, 0);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + 1, 1, 0)), ==, -EIO);
    g_assert_cmpint(lend1(h, ext(WIN_GFN + 1, 1, 0)), ==, 0);
    xen_lend_emu_counters(h, &c);
    g_assert_cmpuint(c.injected_failures, ==, 1);
    g_assert_cmpuint(c.lent_pages, ==, 2);
    xen_lend_emu_ops.close(h);
}

static void test_inject_revoke_failure(void)
{
    XenLendHandle *h = open_emu();

    g_assert_cmpint(lend1(h, ext(WIN_GFN, 1, 0)), ==, 0);
    xen_lend_emu_fail_nth(h, XEN_LEND_EMU_FAULT_REVOKE, 1);
    g_assert_cmpint(revoke1(h, WIN_GFN, 1), ==, -EIO);
    g_assert_cmpuint(p2m_len(h), ==, 1);   /* still lent */
    g_assert_cmpint(revoke1(h, WIN_GFN, 1), ==, 0);
    /* cancelled injection does nothing */
    xen_lend_emu_fail_nth(h, XEN_LEND_EMU_FAULT_LEND, 1);
    xen_lend_emu_fail_nth(h, XEN_LEND_EMU_FAULT_LEND, 0);
    g_assert_cmpint(lend1(h, ext(WIN_GFN, 1, 0)), ==, 0);
    xen_lend_emu_ops.close(h);
}

static void test_capabilities(void)
{
    XenLendHandle *h = open_emu();

    g_assert_true(xen_lend_is_emu(h));
    g_assert_cmphex(xen_lend_emu_ops.capabilities(h), ==,
                    XEN_LEND_CAP_LEND | XEN_LEND_CAP_2M);
    g_assert_cmpuint(h->domid, ==, 7);
    xen_lend_emu_ops.close(h);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/xen-lend/emu/lend-revoke-counts",
                    test_lend_revoke_counts);
    g_test_add_func("/xen-lend/emu/p2m-sorted", test_p2m_sorted);
    g_test_add_func("/xen-lend/emu/rejects-overlap", test_rejects_overlap);
    g_test_add_func("/xen-lend/emu/rejects-misaligned",
                    test_rejects_misaligned);
    g_test_add_func("/xen-lend/emu/rejects-outside-window",
                    test_rejects_outside_window);
    g_test_add_func("/xen-lend/emu/rejects-revoke-not-lent",
                    test_rejects_revoke_not_lent);
    g_test_add_func("/xen-lend/emu/partial-revoke-splits",
                    test_partial_revoke_splits);
    g_test_add_func("/xen-lend/emu/revoke-keeps-whole-superpages",
                    test_revoke_keeps_whole_superpages);
    g_test_add_func("/xen-lend/emu/inject-lend-failure",
                    test_inject_lend_failure);
    g_test_add_func("/xen-lend/emu/inject-revoke-failure",
                    test_inject_revoke_failure);
    g_test_add_func("/xen-lend/emu/capabilities", test_capabilities);
    return g_test_run();
}
