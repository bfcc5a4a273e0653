/*
 * Unit tests for virtio-gpu-xenlend's 2 MiB placement, with a real memfd
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/memfd.h"
#include "qemu/units.h"
#include "hw/xen/xen-lend.h"
#include "hw/virtio/virtio-gpu-xenlend-place.h"

#define BLOB (64 * MiB)
#define BAR4 0x100000000ULL   /* BAR4 is aligned to its size */

static int blob_fd(void)
{
    int fd = qemu_memfd_create("blob", BLOB, false, 0, 0, &error_abort);
    uint32_t marks[2] = { 0x12345678, 0x9abcdef0 };

    g_assert_cmpint(pwrite(fd, &marks[0], 4, 0), ==, 4);
    g_assert_cmpint(pwrite(fd, &marks[1], 4, BLOB - 4), ==, 4);
    return fd;
}

/* 64 MiB at a 2 MiB-aligned offset: congruent, one extent of 32 x 2 MiB */
static void test_aligned_offset(void)
{
    g_autoptr(GArray) ext = g_array_new(false, false, sizeof(XenLendExtent));
    XenLendPlacedMap map = { 0 };
    uint64_t offset = 6 * MiB;
    uint32_t v = 0x55aa55aa;
    int fd = blob_fd();
    XenLendExtent *e;

    g_assert_true(xenlend_place_fd(fd, BLOB, offset, &map, &error_abort));
    g_assert_cmphex((uintptr_t)map.addr % (2 * MiB), ==, 0);
    /* the same memory as the fd, both ways */
    g_assert_cmphex(*(uint32_t *)map.addr, ==, 0x12345678);
    g_assert_cmphex(*(uint32_t *)((uint8_t *)map.addr + BLOB - 4), ==,
                    0x9abcdef0);
    memcpy((uint8_t *)map.addr + MiB, &v, 4);
    v = 0;
    g_assert_cmpint(pread(fd, &v, 4, MiB), ==, 4);
    g_assert_cmphex(v, ==, 0x55aa55aa);

    /* what the listener would lend: one extent, 32 pages of 2 MiB */
    g_assert_cmpuint(xen_lend_split_section(BAR4 + offset,
                                            (uintptr_t)map.addr, BLOB, ext),
                     ==, 0);
    g_assert_cmpuint(ext->len, ==, 1);
    e = &g_array_index(ext, XenLendExtent, 0);
    g_assert_cmpuint(e->flags, ==, XEN_LEND_EXTENT_2M);
    g_assert_cmpuint(e->nr_pages / XEN_LEND_PAGES_PER_2M, ==, 32);
    xenlend_unplace(&map);
    close(fd);
}

/* At an unaligned offset the host address follows it: 2 MiB pages inside */
static void test_unaligned_offset(void)
{
    g_autoptr(GArray) ext = g_array_new(false, false, sizeof(XenLendExtent));
    XenLendPlacedMap map = { 0 };
    uint64_t offset = 6 * MiB + 64 * KiB;
    int fd = blob_fd();

    g_assert_true(xenlend_place_fd(fd, BLOB, offset, &map, &error_abort));
    g_assert_cmphex((uintptr_t)map.addr % (2 * MiB), ==, 64 * KiB);
    xen_lend_split_section(BAR4 + offset, (uintptr_t)map.addr, BLOB, ext);
    g_assert_cmpuint(ext->len, ==, 3);
    g_assert_cmpuint(g_array_index(ext, XenLendExtent, 1).nr_pages /
                     XEN_LEND_PAGES_PER_2M, ==, 31);
    xenlend_unplace(&map);
    g_assert_null(map.addr);
    close(fd);
}

static void test_bad_fd(void)
{
    XenLendPlacedMap map = { 0 };
    Error *err = NULL;

    g_assert_false(xenlend_place_fd(-1, BLOB, 0, &map, &err));
    g_assert_nonnull(err);
    error_free(err);
    g_assert_null(map.reservation);
}

/* an fd shorter than the blob is refused, before anything is mapped */
static void test_short_fd(void)
{
    XenLendPlacedMap map = { 0 };
    Error *err = NULL;
    int fd = blob_fd();

    g_assert_false(xenlend_place_fd(fd, 2 * BLOB, 0, &map, &err));
    g_assert_nonnull(err);
    error_free(err);
    g_assert_null(map.reservation);
    close(fd);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-gpu-xenlend/place/memfd-aligned-offset",
                    test_aligned_offset);
    g_test_add_func("/virtio-gpu-xenlend/place/memfd-unaligned-offset",
                    test_unaligned_offset);
    g_test_add_func("/virtio-gpu-xenlend/place/bad-fd", test_bad_fd);
    g_test_add_func("/virtio-gpu-xenlend/place/short-fd", test_short_fd);
    return g_test_run();
}
