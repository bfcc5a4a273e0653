/*
 * virtio-gpu-xenlend qtest helpers
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/timer.h"
#include "qemu/units.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/virtio_config.h"
#include "virtio-gpu-xenlend-helpers.h"

void gpu_start(Gpu *g, uint64_t hostmem, const char *lend)
{
    gpu_start_opts(g, hostmem, lend, "");
}

/* @opts: more device properties, each starting with a comma */
void gpu_start_opts(Gpu *g, uint64_t hostmem, const char *lend,
                    const char *opts)
{
    g_autofree char *device = g_strdup_printf("virtio-gpu-xenlend,lend=%s%s",
                                              lend, opts);

    gpu_start_device(g, hostmem, device);
    g->lending = strcmp(lend, "off") != 0;
}

/*
 * Any virgl device with blobs at devfn 04.0 (@device: its type and
 * properties, without addr and hostmem), e.g. upstream's
 * "virtio-gpu-gl-pci,blob=on,x-headless=on" as the benchmarks' anchor.
 */
void gpu_start_device(Gpu *g, uint64_t hostmem, const char *device)
{
    QPCIAddress addr = { .devfn = XENLEND_DEVFN };
    uint64_t features;
    QPCIBar bar;

    memset(g, 0, sizeof(*g));
    g->hostmem = hostmem;
    g->f.qts = qtest_initf("-machine pc -display none -device %s,addr=04.0,"
                           "hostmem=%" PRIu64, device, hostmem);
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

/* After a device reset: the driver sets the device up again */
void gpu_restart(Gpu *g)
{
    qvirtqueue_cleanup(g->vdev->vdev.bus, g->ctrl, &g->alloc);
    qvirtio_start_device(&g->vdev->vdev);
    qvirtio_set_features(&g->vdev->vdev,
                         qvirtio_get_features(&g->vdev->vdev) &
                         ~(QVIRTIO_F_BAD_FEATURE |
                           (1ull << VIRTIO_RING_F_INDIRECT_DESC) |
                           (1ull << VIRTIO_RING_F_EVENT_IDX)));
    g->ctrl = qvirtqueue_setup(&g->vdev->vdev, &g->alloc, 0);
    qvirtio_set_driver_ok(&g->vdev->vdev);
}

void gpu_stop(Gpu *g)
{
    qvirtqueue_cleanup(g->vdev->vdev.bus, g->ctrl, &g->alloc);
    qos_object_destroy((QOSGraphObject *)g->vdev);
    alloc_destroy(&g->alloc);
    qpci_free_pc(g->f.pcibus);
    qtest_quit(g->f.qts);
}

/* Send a request, wait for the device, return the response's type. */
uint32_t gpu_cmd(Gpu *g, const void *req, size_t req_len,
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
    /* nothing is in flight: the descriptors can be used again */
    if (!g->in_flight) {
        qvirtqueue_reset_pool(g->ctrl);
    }
    return le32_to_cpu(hdr.type);
}

/*
 * Send a command and go on; gpu_collect() waits for its answer, which must
 * be the next one the device gives.
 */
void gpu_send(Gpu *g, const void *req, size_t req_len, size_t resp_len,
              GpuPending *p)
{
    QTestState *qts = g->f.qts;

    p->req = guest_alloc(&g->alloc, req_len);
    p->resp = guest_alloc(&g->alloc, resp_len);
    p->resp_len = resp_len;
    qtest_memwrite(qts, p->req, req, req_len);
    qtest_memset(qts, p->resp, 0, resp_len);
    p->head = qvirtqueue_add(qts, g->ctrl, p->req, req_len, false, true);
    qvirtqueue_add(qts, g->ctrl, p->resp, resp_len, true, false);
    qvirtqueue_kick(qts, &g->vdev->vdev, g->ctrl, p->head);
    g->in_flight++;
}

static uint32_t collect(Gpu *g, GpuPending *p, void *resp, bool step)
{
    QTestState *qts = g->f.qts;
    gint64 deadline = g_get_monotonic_time() + TIMEOUT_US;
    struct virtio_gpu_ctrl_hdr hdr;
    uint32_t idx, len;

    /*
     * The used ring itself, not the ISR: one interrupt may stand for
     * several answers, and qvirtio_wait_used_elem() would wait for
     * another after the first.
     */
    while (!qvirtqueue_get_buf(qts, g->ctrl, &idx, &len)) {
        g_assert_cmpint(g_get_monotonic_time(), <, deadline);
        if (step) {
            qtest_clock_step(qts, 10 * SCALE_MS);
        } else {
            g_usleep(1000);
        }
    }
    g_assert_cmpuint(idx, ==, p->head);
    qtest_memread(qts, p->resp, resp, p->resp_len);
    memcpy(&hdr, resp, sizeof(hdr));
    guest_free(&g->alloc, p->req);
    guest_free(&g->alloc, p->resp);
    if (!--g->in_flight) {
        qvirtqueue_reset_pool(g->ctrl);
    }
    return le32_to_cpu(hdr.type);
}

uint32_t gpu_collect(Gpu *g, GpuPending *p, void *resp)
{
    return collect(g, p, resp, false);
}

/*
 * The same, moving the virtual clock while it waits: virtio-gpu-gl polls
 * its fences on a virtual-clock timer, which qtest moves only when told.
 */
uint32_t gpu_collect_stepping(Gpu *g, GpuPending *p, void *resp)
{
    return collect(g, p, resp, true);
}

/* Whether the device answered a command nobody collected yet */
bool gpu_answered(Gpu *g)
{
    uint32_t idx, len;

    return qvirtqueue_get_buf(g->f.qts, g->ctrl, &idx, &len);
}

uint32_t gpu_cmd_nodata(Gpu *g, const void *req, size_t req_len)
{
    struct virtio_gpu_ctrl_hdr resp;

    return gpu_cmd(g, req, req_len, &resp, sizeof(resp));
}

void gpu_ctx_create(Gpu *g, uint32_t ctx_id)
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
uint32_t gpu_blob_create(Gpu *g, uint32_t ctx_id, uint32_t res_id,
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

uint32_t gpu_map(Gpu *g, uint32_t res_id, uint64_t offset)
{
    struct virtio_gpu_resource_map_blob mb = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB,
        .resource_id = res_id,
        .offset = offset,
    };
    struct virtio_gpu_resp_map_info resp;

    return gpu_cmd(g, &mb, sizeof(mb), &resp, sizeof(resp));
}

uint32_t gpu_unmap(Gpu *g, uint32_t res_id)
{
    struct virtio_gpu_resource_unmap_blob ub = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
        .resource_id = res_id,
    };

    return gpu_cmd_nodata(g, &ub, sizeof(ub));
}

uint32_t gpu_unref(Gpu *g, uint32_t res_id)
{
    struct virtio_gpu_resource_unref ur = {
        .hdr.type = VIRTIO_GPU_CMD_RESOURCE_UNREF,
        .resource_id = res_id,
    };

    return gpu_cmd_nodata(g, &ur, sizeof(ur));
}

/* "lent equals mapped": the emulated p2m holds the mapped blobs' pages */
void check_lent_equals_mapped(Gpu *g, const Mapped *m, unsigned n)
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
void bar_write(Gpu *g, uint64_t off, const uint8_t *buf, uint64_t len)
{
    for (uint64_t done = 0; done < len; done += MiB) {
        qtest_bufwrite(g->f.qts, g->bar4 + off + done, buf + done,
                       MIN(MiB, len - done));
    }
}

void bar_read(Gpu *g, uint64_t off, uint8_t *buf, uint64_t len)
{
    for (uint64_t done = 0; done < len; done += MiB) {
        qtest_bufread(g->f.qts, g->bar4 + off + done, buf + done,
                      MIN(MiB, len - done));
    }
}

void fill_pattern(uint8_t *buf, size_t len, uint32_t seed)
{
    for (size_t i = 0; i < len; i++) {
        buf[i] = (i * 31 + seed * 7 + (i >> 12)) & 0xff;
    }
}

QDict *device_info(Gpu *g)
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

/* A counter of the device's lend client in x-query-xen-lend */
uint64_t lend_client_counter(Gpu *g, const char *name)
{
    QDict *resp = qtest_qmp(g->f.qts, "{'execute': 'x-query-xen-lend'}");
    QList *clients = qdict_get_qlist(qdict_get_qdict(resp, "return"),
                                     "clients");
    QDict *c = qobject_to(QDict, qlist_peek(clients));
    uint64_t v;

    g_assert_nonnull(c);
    v = qdict_get_int(c, name);
    qobject_unref(resp);
    return v;
}

uint64_t device_counter(Gpu *g, const char *name)
{
    QDict *info = device_info(g);
    uint64_t v = qdict_get_int(info, name);

    qobject_unref(info);
    return v;
}

void gpu_ctx_attach(Gpu *g, uint32_t ctx_id, uint32_t res_id)
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
uint64_t gpu_backed_buffer(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                           uint32_t size)
{
    uint64_t mem = guest_alloc(&g->alloc, size);

    gpu_buffer_backed_at(g, ctx_id, res_id, size, mem);
    return mem;
}

/* A buffer resource whose backing is the guest memory at @gpa */
void gpu_buffer_backed_at(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                          uint32_t size, uint64_t gpa)
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
        .entry.addr = gpa,
    };

    g_assert_cmphex(gpu_cmd_nodata(g, &c3d, sizeof(c3d)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    g_assert_cmphex(gpu_cmd_nodata(g, &ab, sizeof(ab)), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    gpu_ctx_attach(g, ctx_id, res_id);
}

void gpu_transfer(Gpu *g, uint32_t ctx_id, uint32_t res_id,
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
void gpu_copy(Gpu *g, uint32_t ctx_id, uint32_t dst, uint32_t src,
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
