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

/* A virgl buffer created in the context's stream with a blob id, then the
 * HOST3D blob resource for it. Returns the response type. */
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

/* Write through BAR4, unmap, map elsewhere, read it back: the renderer's
 * memory holds it, and the BAR shows it only while it is mapped. */
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
    return g_test_run();
}
