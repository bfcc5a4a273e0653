/*
 * Unit tests for the Xen lend extent splitter
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "hw/xen/xen-lend.h"

#define P4K XEN_LEND_PAGE_SIZE
#define P2M XEN_LEND_2M_SIZE
#define GFN(a) ((a) >> XEN_LEND_PAGE_SHIFT)
#define HVA 0x7f0000000000ULL   /* 2 MiB aligned host base */

typedef struct SplitCase {
    const char *name;
    uint64_t gpa, hva, size;
    uint64_t unlendable;
    unsigned nr;
    XenLendExtent want[3];
} SplitCase;

static const SplitCase cases[] = {
    { "zero-length", 0xe0000000, HVA, 0, 0, 0 },
    { "single-page", 0xe0000000, HVA, P4K, 0, 1,
      { { GFN(0xe0000000), HVA, 1, 0 } } },
    { "sub-page", 0xe0000000, HVA, 100, 100, 0 },
    { "two-pages", 0xe0001000, HVA + P4K, 2 * P4K, 0, 1,
      { { GFN(0xe0001000), HVA + P4K, 2, 0 } } },
    { "unaligned-start", 0xe0000800, HVA + 0x800, 3 * P4K, P4K, 1,
      { { GFN(0xe0001000), HVA + P4K, 2, 0 } } },
    { "unaligned-end", 0xe0000000, HVA, 3 * P4K - 0x10, P4K - 0x10, 1,
      { { GFN(0xe0000000), HVA, 2, 0 } } },
    { "unaligned-both-edges", 0xe0000010, HVA + 0x10, 4 * P4K - 0x20,
      2 * P4K - 0x20, 1, { { GFN(0xe0001000), HVA + P4K, 2, 0 } } },
    { "page-offset-mismatch", 0xe0000000, HVA + 0x800, 64 * P4K,
      64 * P4K, 0 },
    { "unaligned-within-one-page", 0xe0000010, HVA + 0x10, P4K,
      P4K, 0 },
    { "exact-2m-congruent", 0xe0000000, HVA, P2M, 0, 1,
      { { GFN(0xe0000000), HVA, 512, XEN_LEND_EXTENT_2M } } },
    { "exact-2m-not-congruent", 0xe0000000, HVA + P4K, P2M, 0, 1,
      { { GFN(0xe0000000), HVA + P4K, 512, 0 } } },
    { "2m-congruent-misaligned", 0xe0001000, HVA + P4K, P2M, 0, 1,
      { { GFN(0xe0001000), HVA + P4K, 512, 0 } } },
    { "crosses-2m-boundary-small", 0xe01ff000, HVA + 0x1ff000, 2 * P4K, 0, 1,
      { { GFN(0xe01ff000), HVA + 0x1ff000, 2, 0 } } },
    { "head-body", 0xe0100000, HVA + 0x100000, P2M + 0x100000, 0, 2,
      { { GFN(0xe0100000), HVA + 0x100000, 256, 0 },
        { GFN(0xe0200000), HVA + P2M, 512, XEN_LEND_EXTENT_2M } } },
    { "body-tail", 0xe0000000, HVA, P2M + 3 * P4K, 0, 2,
      { { GFN(0xe0000000), HVA, 512, XEN_LEND_EXTENT_2M },
        { GFN(0xe0200000), HVA + P2M, 3, 0 } } },
    { "head-body-tail", 0xe01fe000, HVA + 0x1fe000, 2 * P4K + 2 * P2M + P4K,
      0, 3,
      { { GFN(0xe01fe000), HVA + 0x1fe000, 2, 0 },
        { GFN(0xe0200000), HVA + P2M, 1024, XEN_LEND_EXTENT_2M },
        { GFN(0xe0600000), HVA + 3 * P2M, 1, 0 } } },
    { "head-body-tail-unaligned-edges", 0xe01fe800, HVA + 0x1fe800,
      0x1800 + 2 * P2M + 0x1800, 0x1000, 3,
      { { GFN(0xe01ff000), HVA + 0x1ff000, 1, 0 },
        { GFN(0xe0200000), HVA + P2M, 1024, XEN_LEND_EXTENT_2M },
        { GFN(0xe0600000), HVA + 3 * P2M, 1, 0 } } },
    { "crosses-2m-not-congruent", 0xe01fe000, HVA + 0x3fe000 - 0x1000,
      4 * P2M, 0, 1,
      { { GFN(0xe01fe000), HVA + 0x3fd000, 2048, 0 } } },
    { "congruent-below-2m-no-boundary", 0xe0010000, HVA + 0x10000,
      0x100000, 0, 1, { { GFN(0xe0010000), HVA + 0x10000, 256, 0 } } },
    { "congruent-to-2m-below-boundary", 0xe0010000, HVA + 0x10000,
      P2M - 0x10000, 0, 1,
      { { GFN(0xe0010000), HVA + 0x10000, 496, 0 } } },
    { "congruent-other-2m-slot", 0x100200000ULL, HVA + 0x40000000,
      4 * P2M, 0, 1,
      { { GFN(0x100200000ULL), HVA + 0x40000000, 2048,
          XEN_LEND_EXTENT_2M } } },
    { "64m-congruent", 0x180000000ULL, HVA, 64 * MiB, 0, 1,
      { { GFN(0x180000000ULL), HVA, 16384, XEN_LEND_EXTENT_2M } } },
    { "64m-page-aligned-host", 0x180000000ULL, HVA + 0x5000, 64 * MiB, 0, 1,
      { { GFN(0x180000000ULL), HVA + 0x5000, 16384, 0 } } },
    { "1g-congruent", 0x4000000000ULL, HVA, 1 * GiB, 0, 1,
      { { GFN(0x4000000000ULL), HVA, 262144, XEN_LEND_EXTENT_2M } } },
    { "top-of-address-space", 0xfffffffffffff000ULL, HVA + 0xfff000,
      P4K, P4K, 0 },
};

static void test_split(const void *opaque)
{
    const SplitCase *c = opaque;
    g_autoptr(GArray) out = g_array_new(false, false, sizeof(XenLendExtent));
    uint64_t unlendable = xen_lend_split_section(c->gpa, c->hva, c->size, out);
    uint64_t bytes = 0;

    g_assert_cmpuint(unlendable, ==, c->unlendable);
    g_assert_cmpuint(out->len, ==, c->nr);
    for (unsigned i = 0; i < out->len; i++) {
        XenLendExtent *e = &g_array_index(out, XenLendExtent, i);

        g_assert_cmphex(e->gfn, ==, c->want[i].gfn);
        g_assert_cmphex(e->uaddr, ==, c->want[i].uaddr);
        g_assert_cmpuint(e->nr_pages, ==, c->want[i].nr_pages);
        g_assert_cmpuint(e->flags, ==, c->want[i].flags);
        if (e->flags & XEN_LEND_EXTENT_2M) {
            /* a 2 MiB extent is whole, aligned 2 MiB pages on both sides */
            g_assert_cmpuint(e->gfn % XEN_LEND_PAGES_PER_2M, ==, 0);
            g_assert_cmpuint(e->nr_pages % XEN_LEND_PAGES_PER_2M, ==, 0);
            g_assert_cmpuint(e->uaddr % P2M, ==, 0);
        }
        bytes += e->nr_pages * P4K;
    }
    /* every byte is either in an extent or reported unlendable */
    if (c->size && c->size <= UINT64_MAX - c->gpa) {
        g_assert_cmpuint(bytes + unlendable, ==, c->size);
    }
}

/* The case the acceptance names: 1 GiB congruent is one extent of 512 x 2M */
static void test_1g_superpages(void)
{
    g_autoptr(GArray) out = g_array_new(false, false, sizeof(XenLendExtent));

    xen_lend_split_section(0x4000000000ULL, HVA, 1 * GiB, out);
    g_assert_cmpuint(out->len, ==, 1);
    g_assert_cmpuint(g_array_index(out, XenLendExtent, 0).nr_pages /
                     XEN_LEND_PAGES_PER_2M, ==, 512);
}

/* Splitting appends: several sections build one batch */
static void test_appends(void)
{
    g_autoptr(GArray) out = g_array_new(false, false, sizeof(XenLendExtent));

    xen_lend_split_section(0xe0000000, HVA, P4K, out);
    xen_lend_split_section(0xe0200000, HVA + P2M, P2M, out);
    g_assert_cmpuint(out->len, ==, 2);
    g_assert_cmphex(g_array_index(out, XenLendExtent, 0).gfn, ==,
                    GFN(0xe0000000));
    g_assert_cmphex(g_array_index(out, XenLendExtent, 1).gfn, ==,
                    GFN(0xe0200000));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (int i = 0; i < ARRAY_SIZE(cases); i++) {
        g_autofree char *path = g_strdup_printf("/xen-lend/split/%s",
                                                cases[i].name);
        g_test_add_data_func(path, &cases[i], test_split);
    }
    g_test_add_func("/xen-lend/split/1g-is-512-superpages",
                    test_1g_superpages);
    g_test_add_func("/xen-lend/split/appends", test_appends);
    return g_test_run();
}
