/*
 * QTest for virtio-gpu-xenlend: the PCI identity and hostmem window, then
 * blobs through the virtqueue: a virgl context, SUBMIT_3D creating
 * buffers with blob ids, RESOURCE_CREATE_BLOB, MAP_BLOB and UNMAP_BLOB,
 * with the data read and written through BAR4 and the lent set checked
 * against the mapped blobs after every step (I1).
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
#include "qobject/qlist.h"
#include "hw/pci/pci_regs.h"
#include "standard-headers/linux/pci_regs.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_gpu.h"
#include "standard-headers/linux/virtio_config.h"

#define XENLEND_DEVFN QPCI_DEVFN(4, 0)
#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_DEVICE_ID_VIRTIO_GPU_MODERN (0x1040 + 16)
#define PAGE 4096ULL
#define TIMEOUT_US (30 * 1000 * 1000)

/* virglrenderer's command stream: PIPE_RESOURCE_CREATE of a buffer */
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE 48
#define VIRGL_PIPE_RES_CREATE_SIZE 11
#define PIPE_BUFFER 0
#define VIRGL_FORMAT_R8_UNORM 64
#define VIRGL_BIND_VERTEX_BUFFER (1 << 4)
#define VIRGL_RESOURCE_FLAG_MAP_PERSISTENT (1 << 1)
#define VIRGL_RESOURCE_FLAG_MAP_COHERENT (1 << 2)

typedef struct Fixture {
    QTestState *qts;
    QPCIBus *pcibus;
    QPCIDevice *dev;
} Fixture;

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

/* A size that cannot be a BAR is refused at start, with a hint, not a crash */
static void test_hostmem_refused(void)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status;
    const char *argv[] = {
        getenv("QTEST_QEMU_BINARY"), "-machine", "pc", "-accel", "qtest",
        "-display", "none", "-nodefaults",
        "-device", "virtio-gpu-xenlend,hostmem=3M", NULL
    };

    g_assert_nonnull(argv[0]);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
    g_assert_nonnull(strstr(err, "hostmem=3 MiB is not usable"));
    g_assert_nonnull(strstr(err, "power of two"));
}

/* ---- the device through its control queue ---- */

typedef struct Gpu {
    Fixture f;
    QGuestAllocator alloc;
    QVirtioPCIDevice *vdev;
    QVirtQueue *ctrl;
    uint64_t bar4;
    uint64_t hostmem;
    bool lending;
    uint32_t next_blob_id;
} Gpu;

typedef struct Mapped {
    uint32_t res;
    uint64_t offset, size;
} Mapped;

static void gpu_start(Gpu *g, uint64_t hostmem, const char *lend)
{
    QPCIAddress addr = { .devfn = XENLEND_DEVFN };
    uint64_t features;
    QPCIBar bar;

    memset(g, 0, sizeof(*g));
    g->hostmem = hostmem;
    g->lending = strcmp(lend, "off") != 0;
    g->f.qts = qtest_initf("-machine pc -display none "
                           "-device virtio-gpu-xenlend,addr=04.0,"
                           "hostmem=%" PRIu64 ",lend=%s", hostmem, lend);
    g->f.pcibus = qpci_new_pc(g->f.qts, NULL);
    pc_alloc_init(&g->alloc, g->f.qts, ALLOC_NO_FLAGS);
    g->vdev = virtio_pci_new(g->f.pcibus, &addr);
    g_assert_nonnull(g->vdev);
    g->f.dev = g->vdev->pdev;
    qvirtio_pci_device_enable(g->vdev);
    qvirtio_start_device(&g->vdev->vdev);
    features = qvirtio_get_features(&g->vdev->vdev);
    g_assert_true(features & (1ull << VIRTIO_GPU_F_VIRGL));
    g_assert_true(features & (1ull << VIRTIO_GPU_F_RESOURCE_BLOB));
    g_assert_true(features & (1ull << VIRTIO_GPU_F_CONTEXT_INIT));
    features &= ~(QVIRTIO_F_BAD_FEATURE |
                  (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                  (1ull << VIRTIO_RING_F_EVENT_IDX));
    qvirtio_set_features(&g->vdev->vdev, features);
    g->ctrl = qvirtqueue_setup(&g->vdev->vdev, &g->alloc, 0);
    qvirtio_set_driver_ok(&g->vdev->vdev);
    bar = qpci_iomap(g->f.dev, 4, NULL);
    g->bar4 = bar.addr;
    g->next_blob_id = 1;
}

static void gpu_stop(Gpu *g)
{
    qvirtqueue_cleanup(g->vdev->vdev.bus, g->ctrl, &g->alloc);
    qos_object_destroy((QOSGraphObject *)g->vdev);
    alloc_destroy(&g->alloc);
    qpci_free_pc(g->f.pcibus);
    qtest_quit(g->f.qts);
}

/* Send a request, wait for the device, return the response's type. */
static uint32_t gpu_cmd(Gpu *g, const void *req, size_t req_len,
                        void *resp, size_t resp_len)
{
    QTestState *qts = g->f.qts;
    uint64_t req_addr = guest_alloc(&g->alloc, req_len);
    uint64_t resp_addr = guest_alloc(&g->alloc, resp_len);
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t head;

    qtest_memwrite(qts, req_addr, req, req_len);
    qtest_memset(qts, resp_addr, 0, resp_len);
    head = qvirtqueue_add(qts, g->ctrl, req_addr, req_len, false, true);
    qvirtqueue_add(qts, g->ctrl, resp_addr, resp_len, true, false);
    qvirtqueue_kick(qts, &g->vdev->vdev, g->ctrl, head);
    qvirtio_wait_used_elem(qts, &g->vdev->vdev, g->ctrl, head, NULL,
                           TIMEOUT_US);
    qtest_memread(qts, resp_addr, resp ? resp : &hdr,
                  resp ? resp_len : sizeof(hdr));
    if (resp) {
        memcpy(&hdr, resp, sizeof(hdr));
    }
    guest_free(&g->alloc, req_addr);
    guest_free(&g->alloc, resp_addr);
    return le32_to_cpu(hdr.type);
}

static uint32_t gpu_cmd_nodata(Gpu *g, const void *req, size_t req_len)
{
    struct virtio_gpu_ctrl_hdr resp;

    return gpu_cmd(g, req, req_len, &resp, sizeof(resp));
}

static void gpu_ctx_create(Gpu *g, uint32_t ctx_id)
{
    struct virtio_gpu_get_capset_info info = {
        .hdr.type = VIRTIO_GPU_CMD_GET_CAPSET_INFO,
    };
    struct virtio_gpu_resp_capset_info ci;
    struct virtio_gpu_get_capset gc = {
        .hdr.type = VIRTIO_GPU_CMD_GET_CAPSET,
        .capset_id = VIRTIO_GPU_CAPSET_VIRGL2,
    };
    struct virtio_gpu_ctx_create cc = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_CREATE,
        .hdr.ctx_id = ctx_id,
        .context_init = VIRTIO_GPU_CAPSET_VIRGL2,
        .nlen = 4,
        .debug_name = "test",
    };
    g_autofree uint8_t *caps = NULL;
    bool have_virgl2 = false;

    /* like a guest: the capsets first (the renderer fills its caps then) */
    for (uint32_t i = 0; i < 4; i++) {
        info.capset_index = i;
        if (gpu_cmd(g, &info, sizeof(info), &ci, sizeof(ci)) !=
            VIRTIO_GPU_RESP_OK_CAPSET_INFO) {
            break;
        }
        if (ci.capset_id == VIRTIO_GPU_CAPSET_VIRGL2) {
            have_virgl2 = true;
            gc.capset_version = ci.capset_max_version;
            caps = g_malloc0(sizeof(struct virtio_gpu_resp_capset) +
                             ci.capset_max_size);
            g_assert_cmphex(gpu_cmd(g, &gc, sizeof(gc), caps,
                                    sizeof(struct virtio_gpu_resp_capset) +
                                    ci.capset_max_size), ==,
                            VIRTIO_GPU_RESP_OK_CAPSET);
        }
    }
    g_assert_true(have_virgl2);
    g_assert_cmphex(gpu_cmd_nodata(g, &cc, sizeof(cc)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
}

/*
 * A virgl buffer created in the context's stream with a blob id, then the
 * HOST3D blob resource for it.  Returns the response type.
 */
static uint32_t gpu_blob_create(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                                uint64_t size, uint32_t blob_flags)
{
    struct {
        struct virtio_gpu_cmd_submit s;
        uint32_t cmd[VIRGL_PIPE_RES_CREATE_SIZE + 1];
    } QEMU_PACKED submit = {
        .s.hdr.type = VIRTIO_GPU_CMD_SUBMIT_3D,
        .s.hdr.ctx_id = ctx_id,
        .s.size = sizeof(submit.cmd),
    };
    struct virtio_gpu_resource_create_blob cb = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB,
        .hdr.ctx_id = ctx_id,
        .resource_id = res_id,
        .blob_mem = VIRTIO_GPU_BLOB_MEM_HOST3D,
        .blob_flags = blob_flags,
        .size = size,
    };
    uint32_t blob_id = g->next_blob_id++;

    submit.cmd[0] = VIRGL_CCMD_PIPE_RESOURCE_CREATE |
                    VIRGL_PIPE_RES_CREATE_SIZE << 16;
    submit.cmd[1] = PIPE_BUFFER;
    submit.cmd[2] = VIRGL_FORMAT_R8_UNORM;
    submit.cmd[3] = VIRGL_BIND_VERTEX_BUFFER;
    submit.cmd[4] = size;       /* width */
    submit.cmd[5] = 1;
    submit.cmd[6] = 1;
    submit.cmd[7] = 1;
    submit.cmd[8] = 0;
    submit.cmd[9] = 0;
    submit.cmd[10] = VIRGL_RESOURCE_FLAG_MAP_PERSISTENT |
                     VIRGL_RESOURCE_FLAG_MAP_COHERENT;
    submit.cmd[11] = blob_id;
    g_assert_cmphex(gpu_cmd_nodata(g, &submit, sizeof(submit)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    cb.blob_id = blob_id;
    return gpu_cmd_nodata(g, &cb, sizeof(cb));
}

static uint32_t gpu_map(Gpu *g, uint32_t res_id, uint64_t offset)
{
    struct virtio_gpu_resource_map_blob mb = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
        .resource_id = res_id,
        .offset = offset,
    };
    struct virtio_gpu_resp_map_info resp;

    return gpu_cmd(g, &mb, sizeof(mb), &resp, sizeof(resp));
}

static uint32_t gpu_unmap(Gpu *g, uint32_t res_id)
{
    struct virtio_gpu_resource_unmap_blob ub = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
        .resource_id = res_id,
    };

    return gpu_cmd_nodata(g, &ub, sizeof(ub));
}

static uint32_t gpu_unref(Gpu *g, uint32_t res_id)
{
    struct virtio_gpu_resource_unref ur = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNREF,
        .resource_id = res_id,
    };

    return gpu_cmd_nodata(g, &ur, sizeof(ur));
}

/* I1: the emulated p2m holds exactly the mapped blobs' pages, in BAR4 */
static void check_i1(Gpu *g, const Mapped *m, unsigned n)
{
    QDict *resp = qtest_qmp(g->f.qts, "{'execute': 'x-query-xen-lend'}");
    QDict *ret = qdict_get_qdict(resp, "return");
    QList *p2m = qdict_get_qlist(qdict_get_qdict(ret, "emulated"), "p2m");
    g_autofree uint8_t *want = NULL;
    g_autofree uint8_t *got = NULL;
    uint64_t pages = g->hostmem / PAGE;
    QListEntry *e;

    want = g_malloc0(pages);
    got = g_malloc0(pages);
    for (unsigned i = 0; g->lending && i < n; i++) {
        memset(want + m[i].offset / PAGE, 1, m[i].size / PAGE);
    }
    QLIST_FOREACH_ENTRY(p2m, e) {
        QDict *x = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t gfn = qdict_get_int(x, "gfn");
        uint64_t np = qdict_get_int(x, "pages");

        g_assert_cmphex(gfn, >=, g->bar4 / PAGE);
        g_assert_cmphex(gfn + np, <=, (g->bar4 + g->hostmem) / PAGE);
        for (uint64_t p = gfn - g->bar4 / PAGE; p < gfn + np - g->bar4 / PAGE;
             p++) {
            g_assert_cmpuint(got[p], ==, 0);
            got[p] = 1;
        }
    }
    g_assert_cmpmem(want, pages, got, pages);
    qobject_unref(resp);
}

/*
 * BAR4 through qtest in 1 MiB pieces: big transfers in one qtest line are
 * very slow on the QEMU side.
 */
static void bar_write(Gpu *g, uint64_t off, const uint8_t *buf, uint64_t len)
{
    for (uint64_t done = 0; done < len; done += MiB) {
        qtest_bufwrite(g->f.qts, g->bar4 + off + done, buf + done,
                       MIN(MiB, len - done));
    }
}

static void bar_read(Gpu *g, uint64_t off, uint8_t *buf, uint64_t len)
{
    for (uint64_t done = 0; done < len; done += MiB) {
        qtest_bufread(g->f.qts, g->bar4 + off + done, buf + done,
                      MIN(MiB, len - done));
    }
}

static void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (i * 31 + seed * 7 + (i >> 12)) & 0xff;
    }
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
    check_i1(g, NULL, 0);
    g_assert_cmphex(gpu_map(g, 10, off1), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_i1(g, &m, 1);

    fill_pattern(pat, size, size);
    bar_write(g, off1, pat, size);
    bar_read(g, off1, back, size);
    g_assert_cmpmem(pat, size, back, size);

    g_assert_cmphex(gpu_unmap(g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    check_i1(g, NULL, 0);
    /* BAR4 no longer shows it */
    probe = qtest_readl(g->f.qts, g->bar4 + off1);
    g_assert_cmphex(probe, !=, ldl_le_p(pat));

    m.offset = off2;
    g_assert_cmphex(gpu_map(g, 10, off2), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_i1(g, &m, 1);
    bar_read(g, off2, back, size);
    g_assert_cmpmem(pat, size, back, size);

    /* unref of a mapped blob takes it out first */
    g_assert_cmphex(gpu_unref(g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    check_i1(g, NULL, 0);
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

static QDict *device_info(Gpu *g)
{
    QDict *resp = qtest_qmp(g->f.qts,
                            "{'execute': 'x-query-virtio-gpu-xenlend'}");
    QList *list = qdict_get_qlist(resp, "return");
    QDict *info = qobject_to(QDict, qlist_peek(list));

    g_assert_nonnull(info);
    qobject_ref(info);
    qobject_unref(resp);
    return info;
}

static uint64_t device_counter(Gpu *g, const char *name)
{
    QDict *info = device_info(g);
    uint64_t v = qdict_get_int(info, name);

    qobject_unref(info);
    return v;
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
    check_i1(&g, NULL, 0);
    gpu_stop(&g);
}

/* llvmpipe's virgl buffers export no fd: 4 KiB pages, and the counters say
 * why */
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
    check_i1(&g, m, 2);
    g_assert_cmpuint(device_counter(&g, "bytes-4k-no-fd"), ==, 4 * MiB);
    g_assert_cmpuint(device_counter(&g, "bytes-4k-small"), ==, 64 * KiB);
    g_assert_cmpuint(device_counter(&g, "bytes-placed-2m"), ==, 0);
    g_assert_cmpuint(device_counter(&g, "bytes-mapped"), ==,
                     4 * MiB + 64 * KiB);
    gpu_stop(&g);
}

/*
 * I6: every guest-controlled field of the mapping commands, each case with
 * its exact response; QEMU stays up and I1 holds after each.
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
    /* 10: mapped at 0; 11: mappable, unmapped; 12: not mappable;
     * 13: size not page-aligned; 14: larger than hostmem; 30: not a blob */
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
    check_i1(&g, &m, 1);
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
    check_i1(&g, &m, 1);
    g_assert_cmphex(gpu_unmap(&g, 10), ==, VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_unmap(&g, 10), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);     /* twice */
    check_i1(&g, NULL, 0);
    gpu_stop(&g);
}

/* I4: a failed lend fails the map; nothing is lent; the next map works */
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
    check_i1(&g, NULL, 0);
    g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 0);
    g_assert_cmphex(gpu_map(&g, 11, 1 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_i1(&g, &m, 1);
    gpu_stop(&g);
}

/* I3: a failed revoke aborts QEMU, naming domain, gfn and size */
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

/* I2: a device reset with blobs mapped revokes them all */
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
    check_i1(&g, NULL, 0);
    g_assert_cmpuint(device_counter(&g, "blobs-mapped"), ==, 0);

    /* the device works again after the reset */
    qvirtqueue_cleanup(g.vdev->vdev.bus, g.ctrl, &g.alloc);
    qvirtio_start_device(&g.vdev->vdev);
    qvirtio_set_features(&g.vdev->vdev,
                         qvirtio_get_features(&g.vdev->vdev) &
                         ~(QVIRTIO_F_BAD_FEATURE |
                           (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                           (1ull << VIRTIO_RING_F_EVENT_IDX)));
    g.ctrl = qvirtqueue_setup(&g.vdev->vdev, &g.alloc, 0);
    qvirtio_set_driver_ok(&g.vdev->vdev);
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 2 * MiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_i1(&g, &m, 1);
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
    check_i1(&g, &m, 1);

    home = g.bar4;
    g.bar4 = 0x800000000ULL;
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_4, g.bar4 & 0xffffffff);
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_5, g.bar4 >> 32);
    check_i1(&g, &m, 1);
    qtest_memread(g.f.qts, g.bar4 + 2 * MiB, back, sizeof(back));
    g_assert_cmpmem(pat, sizeof(pat), back, sizeof(back));

    cmd = qpci_config_readw(g.f.dev, PCI_COMMAND);
    qpci_config_writew(g.f.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    g.lending = false;      /* nothing may be lent while BAR4 is hidden */
    check_i1(&g, &m, 1);
    qpci_config_writew(g.f.dev, PCI_COMMAND, cmd);
    g.lending = true;
    check_i1(&g, &m, 1);

    g.bar4 = home;
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_4, g.bar4 & 0xffffffff);
    qpci_config_writel(g.f.dev, PCI_BASE_ADDRESS_5, g.bar4 >> 32);
    check_i1(&g, &m, 1);
    gpu_stop(&g);
}

/* A fenced UNMAP still unmaps, answers once, and the blob maps again */
static void test_fenced_unmap(void)
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
    Gpu g;

    gpu_start(&g, 64 * MiB, "on");
    gpu_ctx_create(&g, 1);
    gpu_blob_create(&g, 1, 10, 64 * KiB, VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE);
    g_assert_cmphex(gpu_map(&g, 10, 0), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    fill_pattern(pat, sizeof(pat), 9);
    qtest_memwrite(g.f.qts, g.bar4, pat, sizeof(pat));
    g_assert_cmphex(gpu_cmd(&g, &ub, sizeof(ub), &resp, sizeof(resp)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmpuint(le32_to_cpu(resp.flags) & VIRTIO_GPU_FLAG_FENCE, !=, 0);
    g_assert_cmpuint(le64_to_cpu(resp.fence_id), ==, 42);
    check_i1(&g, NULL, 0);
    g_assert_cmphex(gpu_map(&g, 10, 4 * MiB), ==, VIRTIO_GPU_RESP_OK_MAP_INFO);
    check_i1(&g, &m, 1);
    qtest_memread(g.f.qts, g.bar4 + 4 * MiB, back, sizeof(back));
    g_assert_cmpmem(pat, sizeof(pat), back, sizeof(back));
    gpu_stop(&g);
}

/* I7: migration and savevm are refused while lending, saying why */
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
    gpu_stop(&g);
}

/* ---- data through the renderer ---- */

#define VIRGL_CCMD_RESOURCE_COPY_REGION 17
#define VIRGL_CMD_RESOURCE_COPY_REGION_SIZE 13

static void gpu_ctx_attach(Gpu *g, uint32_t ctx_id, uint32_t res_id)
{
    struct virtio_gpu_ctx_resource car = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE,
        .hdr.ctx_id = ctx_id,
        .resource_id = res_id,
    };

    g_assert_cmphex(gpu_cmd_nodata(g, &car, sizeof(car)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
}

/* A guest-backed buffer the renderer can copy to and from */
static uint64_t gpu_backed_buffer(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                                  uint32_t size)
{
    struct virtio_gpu_resource_create_3d c3d = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_CREATE_3D,
        .resource_id = res_id, .target = PIPE_BUFFER,
        .format = VIRGL_FORMAT_R8_UNORM, .bind = VIRGL_BIND_VERTEX_BUFFER,
        .width = size, .height = 1, .depth = 1, .array_size = 1,
    };
    struct {
        struct virtio_gpu_resource_attach_backing ab;
        struct virtio_gpu_mem_entry entry;
    } QEMU_PACKED ab = {
        .ab.hdr.type = VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING,
        .ab.resource_id = res_id,
        .ab.nr_entries = 1,
        .entry.length = size,
    };
    uint64_t mem = guest_alloc(&g->alloc, size);

    ab.entry.addr = mem;
    g_assert_cmphex(gpu_cmd_nodata(g, &c3d, sizeof(c3d)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd_nodata(g, &ab, sizeof(ab)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_ctx_attach(g, ctx_id, res_id);
    return mem;
}

static void gpu_transfer(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                         uint32_t size, bool to_host)
{
    struct virtio_gpu_transfer_host_3d t = {
        .hdr.type = to_host ? VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D :
                              VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D,
        .hdr.ctx_id = ctx_id,
        .box = { .w = size, .h = 1, .d = 1 },
        .resource_id = res_id,
    };

    g_assert_cmphex(gpu_cmd_nodata(g, &t, sizeof(t)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
}

/* A renderer-side copy, fenced so that it is done when the answer comes */
static void gpu_copy(Gpu *g, uint32_t ctx_id, uint32_t dst, uint32_t src,
                     uint32_t size)
{
    struct {
        struct virtio_gpu_cmd_submit s;
        uint32_t cmd[VIRGL_CMD_RESOURCE_COPY_REGION_SIZE + 1];
    } QEMU_PACKED submit = {
        .s.hdr.type = VIRTIO_GPU_CMD_SUBMIT_3D,
        .s.hdr.flags = VIRTIO_GPU_FLAG_FENCE,
        .s.hdr.fence_id = 7,
        .s.hdr.ctx_id = ctx_id,
        .s.size = sizeof(submit.cmd),
    };

    submit.cmd[0] = VIRGL_CCMD_RESOURCE_COPY_REGION |
                    VIRGL_CMD_RESOURCE_COPY_REGION_SIZE << 16;
    submit.cmd[1] = dst;
    submit.cmd[6] = src;
    submit.cmd[11] = size;  /* src box w, h, d */
    submit.cmd[12] = 1;
    submit.cmd[13] = 1;
    g_assert_cmphex(gpu_cmd_nodata(g, &submit, sizeof(submit)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
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
    check_i1(&g, &m, 1);

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
    check_i1(&g, &m, 1);
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
    qtest_add_func("/virtio-gpu-xenlend/blob/trapped-counts",
                   test_trapped_counts);
    qtest_add_func("/virtio-gpu-xenlend/blob/placement-counters",
                   test_placement_counters);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/lend-failure",
                   test_lend_failure);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/revoke-failure-aborts",
                   test_revoke_failure_aborts);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/reset", test_reset);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/bar-move-and-decode",
                   test_bar_move_and_decode);
    qtest_add_func("/virtio-gpu-xenlend/lifecycle/fenced-unmap",
                   test_fenced_unmap);
    qtest_add_data_func("/virtio-gpu-xenlend/blob/renderer-copy/lend-on",
                        "on", test_renderer_copy);
    qtest_add_data_func("/virtio-gpu-xenlend/blob/renderer-copy/lend-off",
                        "off", test_renderer_copy);
    qtest_add_func("/virtio-gpu-xenlend/migration-blocked",
                   test_migration_blocked);
    return g_test_run();
}
