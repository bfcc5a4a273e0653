/*
 * virtio-gpu-xenlend benchmark (make bench; not a test: it asserts no
 * timing): MAP_BLOB + UNMAP_BLOB round trips per second with other
 * mappings live, and lend calls and 2 MiB pages per mapping.  Prints
 * "BENCH key=value ..." lines for tests/guest/bench.py.
 *
 *   virtio-gpu-xenlend-bench maps on|off|gl LIVE ROUNDS
 *   virtio-gpu-xenlend-bench extents
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qobject/qlist.h"
#include "virtio-gpu-xenlend-helpers.h"

#define HOSTMEM (64 * MiB)
#define TESTDEV_DEVFN QPCI_DEVFN(5, 0)

static QDict *client_info(QTestState *qts)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'x-query-xen-lend'}");
    QList *clients = qdict_get_qlist(qdict_get_qdict(resp, "return"),
                                     "clients");
    QDict *c = qobject_to(QDict, qlist_peek(clients));

    g_assert_nonnull(c);
    qobject_ref(c);
    qobject_unref(resp);
    return c;
}

/*
 * Round trips of one blob in and out of BAR4 with @live others mapped.
 * @device: "on" or "off" (virtio-gpu-xenlend's lend), or "gl": upstream's
 * virtio-gpu-gl-pci with the same renderer, the anchor.
 */
static void bench_maps(const char *device, unsigned live, unsigned rounds)
{
    uint32_t target = live + 1;
    gint64 t0, t1;
    Gpu g;

    if (!strcmp(device, "gl")) {
        gpu_start_device(&g, HOSTMEM,
                         "virtio-gpu-gl-pci,blob=on,x-headless=on");
    } else {
        gpu_start(&g, HOSTMEM, device);
    }
    gpu_ctx_create(&g, 1);
    for (uint32_t i = 0; i < live; i++) {
        g_assert_cmphex(gpu_blob_create(&g, 1, i + 1, PAGE,
                                        VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE),
                        ==, VIRTIO_GPU_RESP_OK_NODATA);
        g_assert_cmphex(gpu_map(&g, i + 1, i * PAGE), ==,
                        VIRTIO_GPU_RESP_OK_MAP_INFO);
    }
    g_assert_cmphex(gpu_blob_create(&g, 1, target, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    t0 = g_get_monotonic_time();
    for (unsigned r = 0; r < rounds; r++) {
        g_assert_cmphex(gpu_map(&g, target, 32 * MiB), ==,
                        VIRTIO_GPU_RESP_OK_MAP_INFO);
        g_assert_cmphex(gpu_unmap(&g, target), ==, VIRTIO_GPU_RESP_OK_NODATA);
    }
    t1 = g_get_monotonic_time();
    printf("BENCH maps device=%s live=%u rounds=%u us_per_round=%.1f "
           "rounds_per_s=%.1f\n", device, live, rounds,
           (double)(t1 - t0) / rounds, rounds * 1e6 / (t1 - t0));
    gpu_stop(&g);
}

/* Lend calls and 2 MiB pages for a 4 MiB blob at an aligned/unaligned gpa */
static void extents_blob(uint64_t offset, const char *name)
{
    QDict *c0, *c1;
    Gpu g;

    gpu_start(&g, HOSTMEM, "on");
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_blob_create(&g, 1, 1, 4 * MiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    c0 = client_info(g.f.qts);
    g_assert_cmphex(gpu_map(&g, 1, offset), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    c1 = client_info(g.f.qts);
    printf("BENCH extents source=device-blob offset=%s lend_calls=%" PRId64
           " lent_pages=%" PRId64 " lent_2m=%" PRId64 " unlendable=%" PRId64
           " extents=%zu placed_2m_bytes=%" PRIu64 "\n", name,
           qdict_get_int(c1, "lend-calls") - qdict_get_int(c0, "lend-calls"),
           qdict_get_int(c1, "lent-pages"), qdict_get_int(c1,
                                                          "lent-superpages"),
           qdict_get_int(c1, "unlendable-bytes"),
           qlist_size(qdict_get_qlist(c1, "lent")),
           device_counter(&g, "bytes-placed-2m"));
    g_assert_cmphex(gpu_unmap(&g, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    qobject_unref(c0);
    qobject_unref(c1);
    gpu_stop(&g);
}

/*
 * The same through xen-lend-testdev, whose backing is 2 MiB-aligned: what
 * the listener makes of memory a renderer exports as an fd.
 */
static void extents_testdev(uint64_t offset, uint64_t host_offset,
                            const char *name)
{
    QTestState *qts = qtest_init("-machine pc -display none "
                                 "-device xen-lend-testdev,addr=05.0");
    QPCIBus *bus = qpci_new_pc(qts, NULL);
    QPCIDevice *dev = qpci_device_find(bus, TESTDEV_DEVFN);
    QPCIBar regs;
    QDict *c;

    g_assert_nonnull(dev);
    regs = qpci_iomap(dev, 0, NULL);
    qpci_iomap(dev, 2, NULL);
    qpci_device_enable(dev);
    qpci_io_writeq(dev, regs, 0x00, 0);                 /* slot */
    qpci_io_writeq(dev, regs, 0x08, offset);
    qpci_io_writeq(dev, regs, 0x10, 4 * MiB);
    qpci_io_writeq(dev, regs, 0x18, host_offset);
    qpci_io_writeq(dev, regs, 0x20, 1);                 /* map */
    c = client_info(qts);
    printf("BENCH extents source=testdev offset=%s lend_calls=%" PRId64
           " lent_pages=%" PRId64 " lent_2m=%" PRId64 " unlendable=%" PRId64
           " extents=%zu\n", name, qdict_get_int(c, "lend-calls"),
           qdict_get_int(c, "lent-pages"),
           qdict_get_int(c, "lent-superpages"),
           qdict_get_int(c, "unlendable-bytes"),
           qlist_size(qdict_get_qlist(c, "lent")));
    qobject_unref(c);
    g_free(dev);
    qpci_free_pc(bus);
    qtest_quit(qts);
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "maps")) {
        bench_maps(argv[2], atoi(argv[3]), atoi(argv[4]));
    } else if (argc == 2 && !strcmp(argv[1], "extents")) {
        extents_blob(2 * MiB, "2m-aligned");
        extents_blob(2 * MiB + PAGE, "unaligned");
        extents_testdev(2 * MiB, 2 * MiB, "2m-aligned");
        extents_testdev(2 * MiB + PAGE, 2 * MiB, "unaligned");
    } else {
        fprintf(stderr, "usage: %s maps on|off|gl LIVE ROUNDS | extents\n",
                argv[0]);
        return 2;
    }
    return 0;
}
