/*
 * QTest for virtio-gpu-xenlend: the PCI identity and hostmem window, then
 * blobs through the virtqueue: a virgl context, SUBMIT_3D creating
 * buffers with blob ids, RESOURCE_CREATE_BLOB, MAP_BLOB and UNMAP_BLOB,
 * with the data read and written through BAR4 and the lent set checked
 * against the mapped blobs after every step ("lent equals mapped").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "libqos/virtio.h"
#include "libqos/virtio-pci.h"
#include "qobject/qdict.h"
#include "qobject/qjson.h"
#include "qobject/qlist.h"
#include "qobject/qnum.h"
#include "hw/pci/pci_regs.h"
#include "standard-headers/linux/pci_regs.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_gpu.h"
#include "standard-headers/linux/virtio_config.h"
#include "virtio-gpu-xenlend-helpers.h"

#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_DEVICE_ID_VIRTIO_GPU_MODERN (0x1040 + 16)

static void fixture_start(Fixture *f, uint64_t hostmem)
{
    f->qts = qtest_initf("-machine pc -display none "
                         "-device virtio-gpu-xenlend,addr=04.0,"
                         "hostmem=%" PRIu64, hostmem);
    f->pcibus = qpci_new_pc(f->qts, NULL);
    f->dev = qpci_device_find(f->pcibus, XENLEND_DEVFN);
    g_assert_nonnull(f->dev);
}

static void fixture_stop(Fixture *f)
{
    g_free(f->dev);
    qpci_free_pc(f->pcibus);
    qtest_quit(f->qts);
}

/* The size the device decodes for a 64-bit memory BAR, by the sizing dance */
static uint64_t bar64_size(QPCIDevice *dev, int bar)
{
    uint8_t lo = PCI_BASE_ADDRESS_0 + bar * 4;
    uint32_t old_lo = qpci_config_readl(dev, lo);
    uint32_t old_hi = qpci_config_readl(dev, lo + 4);
    uint64_t mask;

    g_assert_cmphex(old_lo & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(old_lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK, ==,
                    PCI_BASE_ADDRESS_MEM_TYPE_64);
    g_assert_true(old_lo & PCI_BASE_ADDRESS_MEM_PREFETCH);

    qpci_config_writel(dev, lo, 0xffffffff);
    qpci_config_writel(dev, lo + 4, 0xffffffff);
    mask = qpci_config_readl(dev, lo) & PCI_BASE_ADDRESS_MEM_MASK;
    mask |= (uint64_t)qpci_config_readl(dev, lo + 4) << 32;
    qpci_config_writel(dev, lo, old_lo);
    qpci_config_writel(dev, lo + 4, old_hi);
    return ~mask + 1;
}

/* Find the virtio shared-memory capability with the given id; 0 if none */
static uint8_t find_shm_cap(QPCIDevice *dev, uint8_t shm_id)
{
    uint8_t cap = 0;

    while ((cap = qpci_find_capability(dev, PCI_CAP_ID_VNDR, cap))) {
        uint8_t type = qpci_config_readb(dev, cap + offsetof(
                                             struct virtio_pci_cap, cfg_type));
        uint8_t id = qpci_config_readb(dev, cap + offsetof(
                                           struct virtio_pci_cap, id));

        if (type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG && id == shm_id) {
            return cap;
        }
    }
    return 0;
}

static void test_identity(const void *opaque)
{
    uint64_t hostmem = *(const uint64_t *)opaque;
    Fixture f;

    fixture_start(&f, hostmem);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_VENDOR_ID), ==,
                    PCI_VENDOR_ID_REDHAT_QUMRANET);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_DEVICE_ID), ==,
                    PCI_DEVICE_ID_VIRTIO_GPU_MODERN);
    fixture_stop(&f);
}

static void test_hostmem_window(const void *opaque)
{
    uint64_t hostmem = *(const uint64_t *)opaque;
    uint8_t cap;
    uint64_t offset, length;
    Fixture f;

    fixture_start(&f, hostmem);

    cap = find_shm_cap(f.dev, VIRTIO_GPU_SHM_ID_HOST_VISIBLE);
    g_assert_cmpuint(cap, !=, 0);
    g_assert_cmpuint(qpci_config_readb(f.dev, cap + offsetof(
                                           struct virtio_pci_cap, bar)), ==, 4);
    offset = qpci_config_readl(f.dev, cap + offsetof(
                                   struct virtio_pci_cap, offset));
    offset |= (uint64_t)qpci_config_readl(f.dev, cap + offsetof(
                                  struct virtio_pci_cap64, offset_hi)) << 32;
    length = qpci_config_readl(f.dev, cap + offsetof(
                                   struct virtio_pci_cap, length));
    length |= (uint64_t)qpci_config_readl(f.dev, cap + offsetof(
                                  struct virtio_pci_cap64, length_hi)) << 32;
    g_assert_cmphex(offset, ==, 0);
    g_assert_cmphex(length, ==, hostmem);

    g_assert_cmphex(bar64_size(f.dev, 4), ==, hostmem);
    fixture_stop(&f);
}

/*
 * Start QEMU with -device @device (and @envp, or ours) and return what it
 * said on stderr; it must fail to start.  A device that starts anyway
 * would run on: timeout ends it.
 */
static char *start_refused(const char *device, char **envp)
{
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    char *err = NULL;
    int status;
    const char *argv[] = {
        "timeout", "30", getenv("QTEST_QEMU_BINARY"), "-machine", "pc",
        "-accel", "qtest", "-display", "none", "-nodefaults",
        "-device", device, NULL
    };

    g_assert_nonnull(argv[2]);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, envp,
                               G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
    return err;
}

/* A property's default in device-list-properties (-device TYPE,help) */
static QObject *listed_default(QTestState *qts, const char *type,
                               const char *name)
{
    QDict *resp = qtest_qmp(qts, "{'execute': 'device-list-properties',"
                            " 'arguments': {'typename': %s}}", type);
    QObject *val = NULL;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(qdict_get_qlist(resp, "return"), e) {
        QDict *p = qobject_to(QDict, qlist_entry_obj(e));

        if (!strcmp(qdict_get_str(p, "name"), name)) {
            val = qobject_ref(qdict_get(p, "default-value"));
        }
    }
    qobject_unref(resp);
    g_assert_nonnull(val);
    return val;
}

/*
 * The help shows the defaults a device really has: blob on and 256 MiB of
 * hostmem, which it sets over virtio-gpu-gl's; virtio-gpu-gl keeps its own
 */
static void test_help_defaults(void)
{
    QTestState *qts = qtest_init("-machine none");
    static const struct {
        const char *type, *blob;
        uint64_t hostmem;
    } want[] = {
        { "virtio-gpu-xenlend-pci", "true", 256 * MiB },
        { "virtio-gpu-xenlend-device", "true", 256 * MiB },
        { "virtio-gpu-gl-pci", "false", 0 },
    };

    for (int i = 0; i < ARRAY_SIZE(want); i++) {
        QObject *blob = listed_default(qts, want[i].type, "blob");
        QObject *hostmem = listed_default(qts, want[i].type, "hostmem");
        g_autoptr(GString) json = qobject_to_json(blob);

        g_assert_cmpstr(json->str, ==, want[i].blob);
        g_assert_cmpuint(qnum_get_uint(qobject_to(QNum, hostmem)), ==,
                         want[i].hostmem);
        qobject_unref(blob);
        qobject_unref(hostmem);
    }
    qtest_quit(qts);
}

/* A size that cannot be a BAR is refused at start, with a hint, not a crash */
static void test_hostmem_refused(void)
{
    g_autofree char *err = start_refused("virtio-gpu-xenlend,hostmem=3M",
                                         NULL);

    g_assert_nonnull(strstr(err, "hostmem=3 MiB is not usable"));
    g_assert_nonnull(strstr(err, "power of two"));
}

/*
 * A renderer that cannot start fails the device at start (headless, it
 * starts with the device), saying so, rather than the guest's first
 * command.  No EGL vendor library for glvnd makes EGL fail.
 */
static void test_renderer_refused(void)
{
    g_auto(GStrv) envp = g_environ_setenv(g_get_environ(),
                                          "__EGL_VENDOR_LIBRARY_FILENAMES",
                                          "/nonexistent.json", TRUE);
    g_autofree char *err = start_refused("virtio-gpu-xenlend,hostmem=64M",
                                         envp);

    g_assert_nonnull(strstr(err, "virglrenderer failed to start"));
    g_assert_nonnull(strstr(err, "Check that EGL"));
}

/*
 * Write through BAR4, unmap, map elsewhere, read it back: the renderer's
 * memory holds it, and the BAR shows it only while it is mapped.
 */
static void blob_roundtrip(Gpu *g, uint64_t size, uint64_t off1,
                           uint64_t off2)
{
    g_autofree uint8_t *pat = g_malloc(size);
    g_autofree uint8_t *back = g_malloc(size);
    Mapped m = { 10, off1, size };
    uint32_t probe;

    gpu_ctx_create(g, 1);
    g_assert_cmphex(gpu_blob_create(g, 1, 10, size,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    check_lent_equals_mapped(g, NULL, 0);
    g_assert_cmphex(gpu_map(g, 10, off1), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(g, &m, 1);

    fill_pattern(pat, size, size);
    bar_write(g, off1, pat, size);
    bar_read(g, off1, back, size);
    g_assert_cmpmem(pat, size, back, size);

    g_assert_cmphex(gpu_unmap(g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    check_lent_equals_mapped(g, NULL, 0);
    /* BAR4 no longer shows it */
    probe = qtest_readl(g->f.qts, g->bar4 + off1);
    g_assert_cmphex(probe, !=, ldl_le_p(pat));

    m.offset = off2;
    g_assert_cmphex(gpu_map(g, 10, off2), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(g, &m, 1);
    bar_read(g, off2, back, size);
    g_assert_cmpmem(pat, size, back, size);

    /* unref of a mapped blob takes it out first */
    g_assert_cmphex(gpu_unref(g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    check_lent_equals_mapped(g, NULL, 0);
}

typedef struct BlobCase {
    uint64_t size;
    const char *lend;
} BlobCase;

static void test_blob_roundtrip(const void *opaque)
{
    const BlobCase *c = opaque;
    Gpu g;

    gpu_start(&g, 256 * MiB, c->lend);
    blob_roundtrip(&g, c->size, 2 * MiB, 128 * MiB + 64 * KiB);
    gpu_stop(&g);
}

/* lend=off: accesses go through the device (counted), nothing is lent */
static void test_trapped_counts(void)
{
    QDict *info;
    uint8_t buf[64];
    Gpu g;

    gpu_start(&g, 64 * MiB, "off");
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_blob_create(&g, 1, 10, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    info = device_info(&g);
    g_assert_false(qdict_get_bool(info, "lending"));
    qobject_unref(info);
    qtest_memset(g.f.qts, g.bar4, 0x5a, sizeof(buf));
    qtest_memread(g.f.qts, g.bar4, buf, sizeof(buf));
    g_assert_cmpuint(buf[63], ==, 0x5a);
    g_assert_cmpuint(device_counter(&g, "trapped-writes"), >, 0);
    g_assert_cmpuint(device_counter(&g, "trapped-reads"), >, 0);
    g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 1);
    check_lent_equals_mapped(&g, NULL, 0);
    gpu_stop(&g);
}

/*
 * llvmpipe's virgl buffers export no fd: 4 KiB pages, and the counters say
 * why
 */
static void test_placement_counters(void)
{
    Mapped m[2] = { { 10, 2 * MiB, 4 * MiB }, { 11, 8 * MiB, 64 * KiB } };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_blob_create(&g, 1, 10, 4 * MiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_blob_create(&g, 1, 11, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&g, 10, 2 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_map(&g, 11, 8 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, m, 2);
    g_assert_cmpuint(device_counter(&g, "bytes-4k-no-fd"), ==, 4 * MiB);
    g_assert_cmpuint(device_counter(&g, "bytes-4k-small"), ==, 64 * KiB);
    g_assert_cmpuint(device_counter(&g, "bytes-placed-2m"), ==, 0);
    g_assert_cmpuint(device_counter(&g, "bytes-mapped"), ==,
                     4 * MiB + 64 * KiB);
    gpu_stop(&g);
}

/*
 * "guest fields checked first": every guest-controlled field of the mapping
 * commands, each case with its exact response; QEMU stays up and "lent
 * equals mapped" holds after each.
 */
typedef struct BadCase {
    const char *name;
    uint32_t res;           /* 0: a raw request instead */
    uint64_t offset;
    uint32_t want;
} BadCase;

static void bad_input_setup(Gpu *g)
{
    struct virtio_gpu_resource_create_3d c3d = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_3D,
        .resource_id = 30, .target = PIPE_BUFFER,
        .format = VIRGL_FORMAT_R8_UNORM, .bind = VIRGL_BIND_VERTEX_BUFFER,
        .width = 4096, .height = 1, .depth = 1, .array_size = 1,
    };

    gpu_ctx_create(g, 1);
    /*
     * 10: mapped at 0; 11: mappable, unmapped; 12: not mappable;
     * 13: size not page-aligned; 14: larger than hostmem; 30: not a blob
     */
    g_assert_cmphex(gpu_blob_create(g, 1, 10, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_blob_create(g, 1, 11, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_blob_create(g, 1, 12, 64 * KiB, 0), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_blob_create(g, 1, 13, 6000,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_blob_create(g, 1, 14, 128 * MiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd_nodata(g, &c3d, sizeof(c3d)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
}

static const BadCase bad_maps[] = {
    { "unknown-resource", 99, 0, VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID },
    { "not-a-blob", 30, 1 * MiB, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "not-mappable", 12, 1 * MiB, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "offset-not-page-aligned", 11, 1 * MiB + 512,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "size-not-page-aligned", 13, 1 * MiB,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "beyond-hostmem", 11, 64 * MiB - 32 * KiB,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "offset-at-hostmem-end", 11, 64 * MiB,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "offset-overflows", 11, UINT64_MAX - 4095,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "blob-larger-than-hostmem", 14, 0,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "overlaps-a-mapping", 11, 32 * KiB,
      VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
    { "double-map", 10, 1 * MiB, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER },
};

static void test_bad_map(const void *opaque)
{
    const BadCase *c = opaque;
    Mapped m = { 10, 0, 64 * KiB };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    bad_input_setup(&g);
    g_assert_cmphex(gpu_map(&g, c->res, c->offset), ==, c->want);
    check_lent_equals_mapped(&g, &m, 1);
    g_assert_cmpuint(device_counter(&g, "map-errors"), ==, 1);
    /* still serving: the good blob maps next to the first */
    g_assert_cmphex(gpu_map(&g, 11, 1 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_stop(&g);
}

static void test_bad_unmap(void)
{
    struct virtio_gpu_ctrl_hdr truncated = {
        .type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
    };
    Mapped m = { 10, 0, 64 * KiB };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    bad_input_setup(&g);
    g_assert_cmphex(gpu_unmap(&g, 11), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);     /* unmapped */
    g_assert_cmphex(gpu_unmap(&g, 99), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);   /* unknown */
    g_assert_cmphex(gpu_cmd_nodata(&g, &truncated, sizeof(truncated)), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);     /* short */
    check_lent_equals_mapped(&g, &m, 1);
    g_assert_cmphex(gpu_unmap(&g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unmap(&g, 10), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);     /* twice */
    check_lent_equals_mapped(&g, NULL, 0);
    gpu_stop(&g);
}

/* "a failed lend fails the map": nothing is lent; the next map works */
static void test_lend_failure(void)
{
    Mapped m = { 11, 1 * MiB, 64 * KiB };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_blob_create(&g, 1, 11, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    qtest_qmp_assert_success(g.f.qts, "{'execute': 'x-xen-lend-inject-fault',"
                             " 'arguments': {'op': 'lend', 'nth': 1}}");
    g_assert_cmphex(gpu_map(&g, 11, 1 * MiB), ==, VIRTIO_GPU_RESP_ERR_UNSPEC);
    check_lent_equals_mapped(&g, NULL, 0);
    g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 0);
    /* lent ahead: no RAM region over the memory was ever published */
    g_assert_cmpuint(lend_client_counter(&g, "lend-failures"), ==, 1);
    g_assert_cmpuint(lend_client_counter(&g, "lend-failures-published"), ==,
                     0);
    g_assert_cmphex(gpu_map(&g, 11, 1 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, &m, 1);
    /* the commit adopted the lend made ahead: one call, nothing revoked */
    g_assert_cmpuint(lend_client_counter(&g, "lend-calls"), ==, 2);
    g_assert_cmpuint(lend_client_counter(&g, "revoke-calls"), ==, 0);
    gpu_stop(&g);
}

/* Map blob 11 at 1 MiB with its lend refused; the answer @lend expects */
static void map_after_refused_lend(Gpu *g, const char *lend)
{
    g_assert_cmphex(gpu_map(g, 11, 1 * MiB), ==, strcmp(lend, "on") ?
                    VIRTIO_GPU_RESP_OK_MAP_INFO : VIRTIO_GPU_RESP_ERR_UNSPEC);
    g_assert_cmpuint(lend_client_counter(g, "lend-failures"), ==, 1);
    g_assert_cmpuint(lend_client_counter(g, "lend-failures-published"), ==,
                     0);
}

/*
 * lend=auto: memory the kernel cannot lend (EFAULT, EOPNOTSUPP) is trapped,
 * counted, and the guest's map works; lend=on fails the map instead.
 */
static void lend_refused(const char *lend, const char *error)
{
    uint8_t buf[64];
    Gpu g;

    gpu_start(&g, 64 * MiB, lend);
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_blob_create(&g, 1, 11, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    qtest_qmp_assert_success(g.f.qts, "{'execute': 'x-xen-lend-inject-fault',"
                             " 'arguments': {'op': 'lend', 'nth': 1,"
                             " 'error': %s}}", error);
    /*
     * Lent ahead, refused: the device decides before it publishes
     * anything, so when the lend fails QEMU maps no RAM over the memory
     * (the emulated p2m's failure point looks at the memory map)
     */
    map_after_refused_lend(&g, lend);
    if (!strcmp(lend, "on")) {
        g_assert_cmpuint(device_counter(&g, "maps-trapped"), ==, 0);
        g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 0);
        check_lent_equals_mapped(&g, NULL, 0);
        gpu_stop(&g);
        return;
    }
    g_assert_cmpuint(device_counter(&g, "maps-trapped"), ==, 1);
    g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 1);
    check_lent_equals_mapped(&g, NULL, 0);
    qtest_memset(g.f.qts, g.bar4 + 1 * MiB, 0xa5, sizeof(buf));
    qtest_memread(g.f.qts, g.bar4 + 1 * MiB, buf, sizeof(buf));
    g_assert_cmpuint(buf[0], ==, 0xa5);
    g_assert_cmpuint(buf[63], ==, 0xa5);
    g_assert_cmpuint(device_counter(&g, "trapped-writes"), >, 0);
    g_assert_cmpuint(device_counter(&g, "trapped-reads"), >, 0);
    /* the trapped blob unmaps like any other; the next map is lent */
    g_assert_cmphex(gpu_unmap(&g, 11), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&g, 11, 1 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, &(Mapped){ 11, 1 * MiB, 64 * KiB }, 1);
    gpu_stop(&g);
}

static void test_lend_refused_auto_efault(void)
{
    lend_refused("auto", "efault");
}

static void test_lend_refused_auto_eopnotsupp(void)
{
    lend_refused("auto", "eopnotsupp");
}

static void test_lend_refused_on(void)
{
    lend_refused("on", "efault");
}

/* "a failed revoke stops QEMU": it aborts, naming domain, gfn and size */
static void test_revoke_failure_aborts(void)
{
    if (g_test_subprocess()) {
        Gpu g;

        gpu_start(&g, 64 * MiB, "on");
        gpu_ctx_create(&g, 1);
        gpu_blob_create(&g, 1, 11, 64 * KiB,
                        VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
        g_assert_cmphex(gpu_map(&g, 11, 1 * MiB), ==,
                        VIRTIO_GPU_RESP_OK_MAP_INFO);
        qtest_qmp_assert_success(g.f.qts,
                                 "{'execute': 'x-xen-lend-inject-fault',"
                                 " 'arguments': {'op': 'revoke', 'nth': 1}}");
        qtest_set_expected_status(g.f.qts, -SIGABRT);
        gpu_unmap(&g, 11);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*xen-lend: revoke failed for domain 0: gfn 0x"
                              "* size 0x10000*aborting*");
}

/* "revoke before release": a reset with blobs mapped revokes them all */
static void test_reset(void)
{
    Mapped m = { 10, 0, 2 * MiB };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 2 * MiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    gpu_blob_create(&g, 1, 11, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_map(&g, 11, 4 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    qvirtio_reset(&g.vdev->vdev);
    check_lent_equals_mapped(&g, NULL, 0);
    g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 0);

    /* the device works again after the reset */
    gpu_restart(&g);
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 2 * MiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, &m, 1);
    gpu_stop(&g);
}

/*
 * A reset with guest-memory blobs alive, one of them detached by the
 * guest: the renderer hands back the blob's own iovec array when it is
 * detached, so that array is unmapped and freed once, not again when the
 * resource is destroyed.
 */
static void test_reset_guest_blob(void)
{
    struct {
        struct virtio_gpu_resource_create_blob cb;
        struct virtio_gpu_mem_entry entry;
    } QEMU_PACKED cb = {
        .cb.hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
        .cb.resource_id = 20,
        .cb.blob_mem = VIRTIO_GPU_BLOB_MEM_GUEST,
        .cb.size = 64 * KiB,
        .cb.nr_entries = 1,
        .entry.length = 64 * KiB,
    };
    struct virtio_gpu_resource_detach_backing detach = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
        .resource_id = 21,
    };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    cb.entry.addr = guest_alloc(&g.alloc, 64 * KiB);
    g_assert_cmphex(gpu_cmd_nodata(&g, &cb, sizeof(cb)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    /* and one the guest detached first */
    cb.cb.resource_id = 21;
    cb.entry.addr = guest_alloc(&g.alloc, 64 * KiB);
    g_assert_cmphex(gpu_cmd_nodata(&g, &cb, sizeof(cb)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd_nodata(&g, &detach, sizeof(detach)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    qvirtio_reset(&g.vdev->vdev);

    /* the device model is still there and works */
    gpu_restart(&g);
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 2 * MiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_stop(&g);
}

/* The guest moves BAR4 and turns memory decode off and on */
static void test_bar_move_and_decode(void)
{
    Mapped m = { 10, 2 * MiB, 64 * KiB };
    uint8_t pat[256], back[256];
    uint64_t home;
    uint16_t cmd;
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 2 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill_pattern(pat, sizeof(pat), 3);
    qtest_memwrite(g.f.qts, g.bar4 + 2 * MiB, pat, sizeof(pat));
    check_lent_equals_mapped(&g, &m, 1);

    home = g.bar4;
    g.bar4 = 0x800000000ULL;
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_4, g.bar4 & 0xffffffff);
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_5, g.bar4 >> 32);
    check_lent_equals_mapped(&g, &m, 1);
    qtest_memread(g.f.qts, g.bar4 + 2 * MiB, back, sizeof(back));
    g_assert_cmpmem(pat, sizeof(pat), back, sizeof(back));

    cmd = qpci_config_readw(g.f.dev, PCI_COMMAND);
    qpci_config_writew(g.f.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    g.lending = false;      /* nothing may be lent while BAR4 is hidden */
    check_lent_equals_mapped(&g, &m, 1);
    qpci_config_writew(g.f.dev, PCI_COMMAND, cmd);
    g.lending = true;
    check_lent_equals_mapped(&g, &m, 1);

    g.bar4 = home;
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_4, g.bar4 & 0xffffffff);
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_5, g.bar4 >> 32);
    check_lent_equals_mapped(&g, &m, 1);
    gpu_stop(&g);
}

/*
 * A fenced UNMAP still unmaps, answers once with its fence, and the blob
 * maps again elsewhere with what was written.  @lend: virtio-gpu-xenlend
 * with lend=on, else upstream's virtio-gpu-gl (patches/0034: its fenced
 * UNMAP of a blob still being finalized is suspended at the head of the
 * queue and runs when it can; before, it went to the fence queue unrun
 * and its fence was never created).
 */
static void fenced_unmap(bool lend)
{
    struct virtio_gpu_resource_unmap_blob ub = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
        .hdr.flags = VIRTIO_GPU_FLAG_FENCE,
        .hdr.fence_id = 42,
        .resource_id = 10,
    };
    struct virtio_gpu_ctrl_hdr resp;
    Mapped m = { 10, 4 * MiB, 64 * KiB };
    uint8_t pat[64], back[64];
    GpuPending p;
    Gpu g;

    if (lend) {
        gpu_start(&g, 64 * MiB, "on");
    } else {
        gpu_start_device(&g, 64 * MiB,
                         "virtio-gpu-gl-pci,blob=on,x-headless=on");
    }
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill_pattern(pat, sizeof(pat), 9);
    qtest_memwrite(g.f.qts, g.bar4, pat, sizeof(pat));
    gpu_send(&g, &ub, sizeof(ub), sizeof(resp), &p);
    g_assert_cmphex(gpu_collect_stepping(&g, &p, &resp), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpuint(le32_to_cpu(resp.flags) & VIRTIO_GPU_FLAG_FENCE, !=, 0);
    g_assert_cmpuint(le64_to_cpu(resp.fence_id), ==, 42);
    if (lend) {
        check_lent_equals_mapped(&g, NULL, 0);
    }
    g_assert_cmphex(gpu_map(&g, 10, 4 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    if (lend) {
        check_lent_equals_mapped(&g, &m, 1);
    }
    qtest_memread(g.f.qts, g.bar4 + 4 * MiB, back, sizeof(back));
    g_assert_cmpmem(pat, sizeof(pat), back, sizeof(back));
    gpu_stop(&g);
}

static void test_fenced_unmap(void)
{
    fenced_unmap(true);
}

static void test_gl_fenced_unmap(void)
{
    fenced_unmap(false);
}

/*
 * Headless, a scanout is accepted and a flush of it does nothing: the
 * console has no GL context to show it in (patches/0009; upstream's
 * virtio-gpu-gl with x-headless=on used to abort in dpy_gl_update()).
 */
static void headless_flush(const char *device)
{
    enum { TEXTURE_2D = 2, B8G8R8X8_UNORM = 2, BIND_RENDER_TARGET = 2 };
    struct virtio_gpu_resource_create_3d c3d = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_3D,
        .resource_id = 20, .target = TEXTURE_2D,
        .format = B8G8R8X8_UNORM, .bind = BIND_RENDER_TARGET,
        .width = 64, .height = 64, .depth = 1, .array_size = 1,
    };
    struct virtio_gpu_set_scanout ss = {
        .hdr.type = VIRTIO_GPU_CMD_SET_SCANOUT,
        .resource_id = 20, .r.width = 64, .r.height = 64,
    };
    struct virtio_gpu_resource_flush rf = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_FLUSH,
        .resource_id = 20, .r.width = 64, .r.height = 64,
    };
    Gpu g;

    gpu_start_device(&g, 64 * MiB, device);
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_cmd_nodata(&g, &c3d, sizeof(c3d)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd_nodata(&g, &ss, sizeof(ss)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd_nodata(&g, &rf, sizeof(rf)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&g);
}

static void test_headless_flush(void)
{
    headless_flush("virtio-gpu-xenlend,lend=on");
}

static void test_gl_headless_flush(void)
{
    headless_flush("virtio-gpu-gl-pci,blob=on,x-headless=on");
}


/*
 * HMP "info mtree -f" with a blob mapped: it prints views that several
 * address spaces share, and must drop every reference it takes
 * (patches/0024), or the blob's region is never finalized and the next
 * MAP of the resource waits for good.
 */
static void test_unmap_after_info_mtree(void)
{
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_free(qtest_hmp(g.f.qts, "info mtree -f"));
    g_assert_cmphex(gpu_unmap(&g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    check_lent_equals_mapped(&g, NULL, 0);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_stop(&g);
}

/*
 * Blobs 10 and 11 (64 KiB), 10 unmapped from BAR4 offset 0 but its memory
 * held by resource 20's backing, which points into it; nothing mapped.
 */
static void start_with_held_blob(Gpu *g)
{
    gpu_start(g, 64 * MiB, "on");
    gpu_ctx_create(g, 1);
    gpu_blob_create(g, 1, 10, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    gpu_blob_create(g, 1, 11, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_buffer_backed_at(g, 1, 20, PAGE, g->bar4);
    g_assert_cmphex(gpu_unmap(g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    check_lent_equals_mapped(g, NULL, 0);
}

/*
 * A resource backing that the guest points into a mapped blob holds the
 * blob's region (the renderer keeps its pages mapped): the blob's UNMAP
 * is answered all the same, and so are the commands behind it; the
 * memory is released, and the resource maps again, once the backing is
 * detached.  The UNMAP used to wait for the release, so the queue
 * stopped for good with the DETACH behind it.
 */
static void test_unmap_backing_in_blob(void)
{
    struct virtio_gpu_resource_detach_backing db = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
        .resource_id = 20,
    };
    Mapped m[] = { { 11, 4 * MiB, 64 * KiB }, { 10, 8 * MiB, 64 * KiB } };
    Gpu g;

    start_with_held_blob(&g);
    g_assert_cmphex(gpu_map(&g, 11, 4 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_cmd_nodata(&g, &db, sizeof(db)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    /* waits for the release, which the detach allowed */
    g_assert_cmphex(gpu_map(&g, 10, 8 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, m, 2);
    g_assert_cmphex(gpu_unref(&g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&g);
}

/*
 * A command that waits for a blob's memory is set aside (patches/0028) and
 * the queue goes on.  Blob 10's memory is held after its unmap by a
 * resource backing that points into it.  The MAP of 10 waits, and so does
 * the UNMAP of 10 behind it (same resource); a map of another blob and a
 * fenced command complete meanwhile.  The detach lets the memory go, and
 * the two commands on 10 complete, in their order.
 */
static void test_set_aside(void)
{
    struct virtio_gpu_resource_detach_backing db = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
        .resource_id = 20,
    };
    struct virtio_gpu_resource_map_blob mb = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
        .resource_id = 10,
        .offset = 8 * MiB,
    };
    struct virtio_gpu_resource_unmap_blob ub = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
        .resource_id = 10,
    };
    struct virtio_gpu_cmd_submit fenced = {
        .hdr.type = VIRTIO_GPU_CMD_SUBMIT_3D,
        .hdr.flags = VIRTIO_GPU_FLAG_FENCE,
        .hdr.fence_id = 7,
        .hdr.ctx_id = 1,
    };
    struct virtio_gpu_resp_map_info mi;
    struct virtio_gpu_ctrl_hdr resp;
    Mapped m = { 11, 4 * MiB, 64 * KiB };
    GpuPending map10, unmap10;
    Gpu g;

    start_with_held_blob(&g);

    gpu_send(&g, &mb, sizeof(mb), sizeof(mi), &map10);
    gpu_send(&g, &ub, sizeof(ub), sizeof(resp), &unmap10);
    g_assert_cmphex(gpu_map(&g, 11, 4 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, &m, 1);
    g_assert_cmphex(gpu_cmd(&g, &fenced, sizeof(fenced), &resp,
                            sizeof(resp)), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpuint(le32_to_cpu(resp.flags) & VIRTIO_GPU_FLAG_FENCE, !=, 0);
    g_assert_cmpuint(le64_to_cpu(resp.fence_id), ==, 7);
    g_assert_false(gpu_answered(&g));

    g_assert_cmphex(gpu_cmd_nodata(&g, &db, sizeof(db)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_collect(&g, &map10, &mi), ==,
                    VIRTIO_GPU_RESP_OK_MAP_INFO);
    g_assert_cmphex(gpu_collect(&g, &unmap10, &resp), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_false(gpu_answered(&g));   /* each answered once */
    check_lent_equals_mapped(&g, &m, 1);
    gpu_stop(&g);
}

/*
 * A fenced command on a context ring that does not exist is answered (with
 * an error) instead of waiting for a fence nothing will ever signal.
 */
static void test_fence_without_context(void)
{
    struct virtio_gpu_ctx_destroy cd = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_DESTROY,
        .hdr.flags = VIRTIO_GPU_FLAG_FENCE | VIRTIO_GPU_FLAG_INFO_RING_IDX,
        .hdr.fence_id = 5,
        .hdr.ctx_id = 2,
    };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    gpu_ctx_create(&g, 2);
    g_assert_cmphex(gpu_cmd_nodata(&g, &cd, sizeof(cd)), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
    /* and the queue goes on */
    g_assert_cmphex(gpu_blob_create(&g, 1, 10, 64 * KiB,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&g);
}

/*
 * A guest cannot map so many blobs that QEMU's memory map runs out of
 * sections (it aborts at 4096): the map past max-mapped is refused.
 */
static void test_too_many_mappings(void)
{
    Gpu g;

    gpu_start_opts(&g, 64 * MiB, "on", ",max-mapped=8");
    gpu_ctx_create(&g, 1);
    for (uint32_t id = 1; id <= 9; id++) {
        g_assert_cmphex(gpu_blob_create(&g, 1, id, PAGE,
                                        VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                        VIRTIO_GPU_RESP_OK_NODATA);
    }
    for (uint32_t id = 1; id <= 8; id++) {
        g_assert_cmphex(gpu_map(&g, id, id * PAGE), ==,
                        VIRTIO_GPU_RESP_OK_MAP_INFO);
    }
    g_assert_cmphex(gpu_map(&g, 9, 9 * PAGE), ==,
                    VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY);
    g_assert_cmphex(gpu_unmap(&g, 1), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_map(&g, 9, 9 * PAGE), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    gpu_stop(&g);
}

/*
 * ATTACH_BACKING with no entries: answered, and (under UBSan) without
 * memcpy to NULL (patches/0015).
 */
static void test_empty_backing_list(void)
{
    struct virtio_gpu_resource_create_2d c2d = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_2D,
        .resource_id = 3, .format = VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM,
        .width = 16, .height = 16,
    };
    struct virtio_gpu_resource_attach_backing ab = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
        .resource_id = 3,
        .nr_entries = 0,
    };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    g_assert_cmphex(gpu_cmd_nodata(&g, &c2d, sizeof(c2d)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_cmd_nodata(&g, &ab, sizeof(ab));
    /* the device is still there and answers */
    g_assert_cmphex(gpu_unref(&g, 3), ==, VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&g);
}

/*
 * SUBMIT_3D of size 0 with bytes after the header: answered, and (under
 * UBSan) without a zero-length memcpy to the NULL of g_malloc(0)
 * (patches/0019; found by the fuzzer).
 */
static void test_empty_submit_3d(void)
{
    struct {
        struct virtio_gpu_cmd_submit cs;
        uint8_t tail[8];
    } req = {
        .cs.hdr.type = VIRTIO_GPU_CMD_SUBMIT_3D,
        .cs.hdr.ctx_id = 1,
        .cs.size = 0,
        .tail = { 1, 2, 3, 4, 5, 6, 7, 8 },
    };
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_cmd_nodata(&g, &req, sizeof(req)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_stop(&g);
}

/* "no migration while lending": every kind refused, saying why */
static void test_migration_blocked(void)
{
    QDict *resp;
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    resp = qtest_qmp(g.f.qts, "{'execute': 'migrate', 'arguments': "
                     "{'uri': 'exec:cat > /dev/null'}}");
    g_assert_true(qdict_haskey(resp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                          "desc"),
                            "Xen memory lending cannot migrate or save"));
    qobject_unref(resp);
    resp = qtest_qmp(g.f.qts, "{'execute': 'human-monitor-command', "
                     "'arguments': {'command-line': 'savevm snap'}}");
    g_assert_nonnull(strstr(qdict_get_str(resp, "return"),
                            "Xen memory lending cannot migrate or save"));
    qobject_unref(resp);
    /*
     * libxl's live migration starts with the dirty log, its save and the
     * end of its migration save the devices (patches/0027); the guest
     * keeps running
     */
    resp = qtest_qmp(g.f.qts, "{'execute': 'xen-set-global-dirty-log', "
                     "'arguments': {'enable': true}}");
    g_assert_true(qdict_haskey(resp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                          "desc"),
                            "Xen memory lending cannot migrate or save"));
    qobject_unref(resp);
    resp = qtest_qmp(g.f.qts, "{'execute': 'xen-save-devices-state', "
                     "'arguments': {'filename': '/dev/null'}}");
    g_assert_true(qdict_haskey(resp, "error"));
    g_assert_nonnull(strstr(qdict_get_str(qdict_get_qdict(resp, "error"),
                                          "desc"),
                            "Xen memory lending cannot migrate or save"));
    qobject_unref(resp);
    resp = qtest_qmp(g.f.qts, "{'execute': 'query-status'}");
    g_assert_cmpstr(qdict_get_str(qdict_get_qdict(resp, "return"), "status"),
                    ==, "running");
    qobject_unref(resp);
    gpu_stop(&g);
}

/*
 * Data crosses between BAR4 and the renderer both ways: written through the
 * lent BAR, copied by the renderer into a guest-backed buffer and read back
 * with TRANSFER_FROM_HOST_3D; and written to the guest-backed buffer,
 * copied by the renderer into the blob and read through BAR4.
 */
static void test_renderer_copy(const void *opaque)
{
    const char *lend = opaque;
    const uint32_t size = 256 * KiB;
    g_autofree uint8_t *pat = g_malloc(size);
    g_autofree uint8_t *back = g_malloc(size);
    Mapped m = { 10, 4 * MiB, size };
    uint64_t mem;
    Gpu g;

    gpu_start(&g, 64 * MiB, lend);
    gpu_ctx_create(&g, 1);
    g_assert_cmphex(gpu_blob_create(&g, 1, 10, size,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_ctx_attach(&g, 1, 10);
    mem = gpu_backed_buffer(&g, 1, 20, size);
    g_assert_cmphex(gpu_map(&g, 10, 4 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_lent_equals_mapped(&g, &m, 1);

    fill_pattern(pat, size, 1);
    bar_write(&g, 4 * MiB, pat, size);
    gpu_copy(&g, 1, 20, 10, size);
    gpu_transfer(&g, 1, 20, size, false);
    qtest_bufread(g.f.qts, mem, back, size);
    g_assert_cmpmem(pat, size, back, size);

    fill_pattern(pat, size, 2);
    qtest_bufwrite(g.f.qts, mem, pat, size);
    gpu_transfer(&g, 1, 20, size, true);
    gpu_copy(&g, 1, 10, 20, size);
    bar_read(&g, 4 * MiB, back, size);
    g_assert_cmpmem(pat, size, back, size);
    check_lent_equals_mapped(&g, &m, 1);
    gpu_stop(&g);
}

static const uint64_t hostmem_sizes[] = { 64 * MiB, 256 * MiB };
static const BlobCase blob_cases[] = {
    { 4 * KiB, "on" }, { 2 * MiB, "on" }, { 64 * MiB, "on" },
    { 4 * KiB, "off" }, { 2 * MiB, "off" },
};

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (int i = 0; i < ARRAY_SIZE(hostmem_sizes); i++) {
        uint64_t mib = hostmem_sizes[i] / MiB;
        g_autofree char *id = g_strdup_printf(
            "/virtio-gpu-xenlend/pci/identity/%" PRIu64 "M", mib);
        g_autofree char *win = g_strdup_printf(
            "/virtio-gpu-xenlend/pci/hostmem-window/%" PRIu64 "M", mib);

        qtest_add_data_func(id, &hostmem_sizes[i], test_identity);
        qtest_add_data_func(win, &hostmem_sizes[i], test_hostmem_window);
    }
    qtest_add_func("/virtio-gpu-xenlend/pci/hostmem-refused",
                   test_hostmem_refused);
    qtest_add_func("/virtio-gpu-xenlend/qmp/help-defaults",
                   test_help_defaults);
    for (int i = 0; i < ARRAY_SIZE(blob_cases); i++) {
        g_autofree char *path = g_strdup_printf(
            "/virtio-gpu-xenlend/blob/roundtrip/lend-%s/%" PRIu64 "K",
            blob_cases[i].lend, blob_cases[i].size / KiB);

        qtest_add_data_func(path, &blob_cases[i], test_blob_roundtrip);
    }
    for (int i = 0; i < ARRAY_SIZE(bad_maps); i++) {
        g_autofree char *path = g_strdup_printf(
            "/virtio-gpu-xenlend/bad-input/map/%s", bad_maps[i].name);

        qtest_add_data_func(path, &bad_maps[i], test_bad_map);
    }
    qtest_add_func("/virtio-gpu-xenlend/bad-input/unmap", test_bad_unmap);
    qtest_add_func("/virtio-gpu-xenlend/bad-input/fence-without-context",
                   test_fence_without_context);
    qtest_add_func("/virtio-gpu-xenlend/bad-input/too-many-mappings",
                   test_too_many_mappings);
    qtest_add_func("/virtio-gpu-xenlend/bad-input/empty-backing-list",
                   test_empty_backing_list);
    qtest_add_func("/virtio-gpu-xenlend/renderer-refused",
                   test_renderer_refused);
    qtest_add_func("/virtio-gpu-xenlend/bad-input/empty-submit-3d",
                   test_empty_submit_3d);
    qtest_add_func("/virtio-gpu-xenlend/blob/trapped-counts",
                   test_trapped_counts);
    qtest_add_func("/virtio-gpu-xenlend/blob/placement-counters",
                   test_placement_counters);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/lend-failure",
                   test_lend_failure);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/lend-refused-auto-efault",
                   test_lend_refused_auto_efault);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/"
                   "lend-refused-auto-eopnotsupp",
                   test_lend_refused_auto_eopnotsupp);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/lend-refused-on",
                   test_lend_refused_on);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/revoke-failure-aborts",
                   test_revoke_failure_aborts);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/reset", test_reset);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/reset-guest-blob",
                   test_reset_guest_blob);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/bar-move-and-decode",
                   test_bar_move_and_decode);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/unmap-after-info-mtree",
                   test_unmap_after_info_mtree);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/unmap-backing-in-blob",
                   test_unmap_backing_in_blob);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/set-aside",
                   test_set_aside);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/fenced-unmap",
                   test_fenced_unmap);
    qtest_add_func("/virtio-gpu-gl/fenced-unmap", test_gl_fenced_unmap);
    qtest_add_func("/virtio-gpu-gl/headless-flush", test_gl_headless_flush);
    qtest_add_func("/virtio-gpu-xenlend/headless-flush", test_headless_flush);
    qtest_add_data_func("/virtio-gpu-xenlend/blob/renderer-copy/lend-on",
                        "on", test_renderer_copy);
    qtest_add_data_func("/virtio-gpu-xenlend/blob/renderer-copy/lend-off",
                        "off", test_renderer_copy);
    qtest_add_func("/virtio-gpu-xenlend/migration-blocked",
                   test_migration_blocked);
    return g_test_run();
}
