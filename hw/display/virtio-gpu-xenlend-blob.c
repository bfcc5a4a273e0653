/*
 * virtio-gpu-xenlend: mapping blobs into BAR4, and taking them out
 *
 * A mapped blob is a region in the hostmem container: RAM backed by the
 * blob's memory when lending (lent ahead, before the memory transaction
 * that adds it, so that a refused lend is known before anything is
 * published), or MMIO whose callbacks copy to and from that memory when
 * not (lend=off, or lend=auto when the lend was refused: every guest
 * access is emulated).
 *
 * Taking a blob out is ordered so that nothing can reach its memory once
 * it is released: the region leaves BAR4 in a memory transaction, whose
 * commit revokes the lent pages; then the region object is unparented and
 * the memory is released only when the region is finalized, after RCU
 * readers (TCG, other threads' FlatViews) are done with it.  The UNMAP
 * is answered at once; a command that maps the resource again or frees
 * it waits at the head of the queue until the release (the renderer can
 * do neither while the memory is mapped), and the RCU thread is asked to
 * hurry meanwhile (rcu_expedite_begin()).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/iov.h"
#include "qemu/log.h"
#include "qemu/main-loop.h"
#include "qemu/rcu.h"
#include "qemu/timer.h"
#include "hw/virtio/virtio-gpu-bswap.h"
#include "hw/virtio/virtio-gpu-xenlend.h"
#include "trace.h"

#include <virglrenderer.h>

#define TYPE_XENLEND_REGION "virtio-gpu-xenlend-region"
OBJECT_DECLARE_SIMPLE_TYPE(XenLendRegion, XENLEND_REGION)

struct XenLendRegion {
    Object parent_obj;
    MemoryRegion mr;
    XenLendBlob *blob;
};

#define GUEST_ERRORS_PER_SECOND 10

void xenlend_guest_error(VirtIOGPUXenLend *x, const char *fmt, ...)
{
    uint64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    g_autofree char *msg = NULL;
    va_list ap;

    if (now - x->log_window_ms >= 1000) {
        if (x->log_in_window > GUEST_ERRORS_PER_SECOND) {
            qemu_log_mask(LOG_GUEST_ERROR, "virtio-gpu-xenlend: %u more "
                          "guest errors not shown\n",
                          x->log_in_window - GUEST_ERRORS_PER_SECOND);
        }
        x->log_window_ms = now;
        x->log_in_window = 0;
    }
    if (x->log_in_window++ >= GUEST_ERRORS_PER_SECOND) {
        return;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "virtio-gpu-xenlend: %s\n", msg);
}

/* One of @b's regions is finalized; with the BQL */
static void region_gone(void *opaque)
{
    XenLendBlob *b = opaque;

    if (--b->regions) {
        return;
    }
    if (b->x) {
        qemu_bh_schedule(b->x->resume_bh);
    } else {
        g_free(b);              /* forgotten at unplug: its last region */
    }
}

static void xenlend_region_finalize(Object *obj)
{
    XenLendRegion *r = XENLEND_REGION(obj);

    /*
     * Usually from the RCU thread, which holds the BQL; but the last
     * reference may be a DMA mapping that an iothread unmaps: then the
     * books are kept in the main loop.
     */
    if (bql_locked()) {
        region_gone(r->blob);
    } else {
        aio_bh_schedule_oneshot(qemu_get_aio_context(), region_gone,
                                r->blob);
    }
}

static const TypeInfo xenlend_region_info = {
    .name = TYPE_XENLEND_REGION,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(XenLendRegion),
    .instance_finalize = xenlend_region_finalize,
};

static void xenlend_region_register_types(void)
{
    type_register_static(&xenlend_region_info);
}

type_init(xenlend_region_register_types)

static XenLendBlob *find_blob(VirtIOGPUXenLend *x, uint32_t resource_id,
                              bool dying)
{
    XenLendBlob *b;

    if (!dying) {
        return g_hash_table_lookup(x->mapped, GUINT_TO_POINTER(resource_id));
    }
    QTAILQ_FOREACH(b, &x->dying, next) {
        if (b->resource_id == resource_id) {
            return b;
        }
    }
    return NULL;
}

static gint cmp_offset(gconstpointer a, gconstpointer b)
{
    uint64_t x = ((const XenLendBlob *)a)->offset;
    uint64_t y = ((const XenLendBlob *)b)->offset;

    return x < y ? -1 : x > y;
}

/* For q_tree_search: 0 for a blob that overlaps @range, else a direction */
static gint cmp_overlap(gconstpointer key, gconstpointer range)
{
    const XenLendBlob *b = key, *r = range;

    if (b->offset >= r->offset + r->size) {
        return -1;
    }
    return b->offset + b->size <= r->offset;
}

bool xenlend_blob_is_mapped(VirtIOGPUXenLend *x, uint32_t resource_id)
{
    return find_blob(x, resource_id, false);
}

static void account(VirtIOGPUXenLend *x, XenLendBlob *b, int sign)
{
    x->stats.blobs_mapped += sign;
    x->stats.bytes_mapped += sign * b->size;
    x->stats.bytes_placed[b->placement] += sign * b->size;
}

/* A dying blob leaves the device's books */
static void forget_blob(VirtIOGPUXenLend *x, XenLendBlob *b)
{
    QTAILQ_REMOVE(&x->dying, b, next);
    x->blobs_dying--;
    rcu_expedite_end();
}

/* Give back the memory that get_memory() mapped */
static void put_memory(VirtIOGPUXenLend *x, XenLendBlob *b)
{
    if (b->placed.reservation) {
        xenlend_unplace(&b->placed);
    } else {
        int ret = virgl_renderer_resource_unmap(b->resource_id);

        if (ret) {
            xenlend_guest_error(x, "resource %u: renderer unmap failed: %s",
                                b->resource_id, strerror(-ret));
        }
    }
}

/* Its regions are gone: nothing can reach the memory; give it back. */
static void release_blob(VirtIOGPUXenLend *x, XenLendBlob *b)
{
    trace_virtio_gpu_xenlend_release(b->resource_id, b->offset, b->size);
    put_memory(x, b);
    forget_blob(x, b);
    g_free(b);
    x->releases++;
}

void xenlend_release_dead_blobs(VirtIOGPUXenLend *x)
{
    XenLendBlob *b, *tmp;

    QTAILQ_FOREACH_SAFE(b, &x->dying, next, tmp) {
        if (!b->regions) {
            release_blob(x, b);
        }
    }
}

/*
 * Unplug: a blob whose region something still holds (a resource backing
 * the guest pointed into it) cannot be released.  Its memory stays
 * mapped for good rather than freed under the holder; the device forgets
 * it, so that the region's finalization does not reach a device that is
 * gone.
 */
void xenlend_forget_dying_blobs(VirtIOGPUXenLend *x)
{
    XenLendBlob *b, *tmp;

    QTAILQ_FOREACH_SAFE(b, &x->dying, next, tmp) {
        warn_report("virtio-gpu-xenlend: resource %u: its memory is still "
                    "in use at unplug and stays mapped", b->resource_id);
        forget_blob(x, b);
        b->x = NULL;            /* its last region frees it */
    }
}

static void xenlend_resume_bh(void *opaque)
{
    VirtIOGPUXenLend *x = opaque;
    VirtIOGPU *g = VIRTIO_GPU(x);

    xenlend_release_dead_blobs(x);
    /* a pending renderer reset or a waiting command may go on now */
    VIRTIO_GPU_GET_CLASS(g)->handle_ctrl(VIRTIO_DEVICE(x), g->ctrl_vq);
}

/* Out of BAR4 (revoked in the commit); released when the region goes. */
static void remove_blob(VirtIOGPUXenLend *x, XenLendBlob *b)
{
    VirtIOGPUBase *base = VIRTIO_GPU_BASE(x);

    trace_virtio_gpu_xenlend_unmap(b->resource_id, b->offset, b->size);
    memory_region_del_subregion(&base->hostmem, &b->region->mr);
    object_unparent(OBJECT(b->region));
    account(x, b, -1);
    g_hash_table_remove(x->mapped, GUINT_TO_POINTER(b->resource_id));
    q_tree_remove(x->mapped_by_offset, b);
    b->dying = true;
    QTAILQ_INSERT_TAIL(&x->dying, b, next);
    x->blobs_dying++;
    /*
     * The guest waits for the release: have the RCU thread finalize the
     * region as soon as a grace period allows, not after its 50 ms of
     * batching (twice: the virtqueues' address space caches go first).
     */
    rcu_expedite_begin();
}

void xenlend_remove_all_blobs(VirtIOGPUXenLend *x)
{
    g_autoptr(GList) blobs = g_hash_table_get_values(x->mapped);

    memory_region_transaction_begin();
    for (GList *l = blobs; l; l = l->next) {
        remove_blob(x, l->data);
    }
    memory_region_transaction_commit();
}

void xenlend_blob_init(VirtIOGPUXenLend *x)
{
    x->mapped = g_hash_table_new(NULL, NULL);
    x->mapped_by_offset = q_tree_new(cmp_offset);
    QTAILQ_INIT(&x->dying);
    x->blob_flags = g_hash_table_new(NULL, NULL);
    x->resume_bh = qemu_bh_new_guarded(xenlend_resume_bh, x,
                                       &DEVICE(x)->mem_reentrancy_guard);
}

/* After xenlend_remove_all_blobs(): the blobs are in the dying list */
void xenlend_blob_fini(VirtIOGPUXenLend *x)
{
    assert(!g_hash_table_size(x->mapped));
    g_hash_table_destroy(x->mapped);
    q_tree_destroy(x->mapped_by_offset);
    g_hash_table_destroy(x->blob_flags);
    qemu_bh_delete(x->resume_bh);
}

bool xenlend_lend_register(VirtIOGPUXenLend *x, Error **errp)
{
    x->lend_client = xen_lend_register(&VIRTIO_GPU_BASE(x)->hostmem, errp);
    return x->lend_client;
}

/* Every field the guest controls (invariant "guest fields checked first") */
static uint32_t validate_map(VirtIOGPUXenLend *x,
                             struct virtio_gpu_resource_map_blob *m,
                             uint64_t *size)
{
    VirtIOGPU *g = VIRTIO_GPU(x);
    uint64_t hostmem = VIRTIO_GPU_BASE(x)->conf.hostmem;
    struct virtio_gpu_simple_resource *res;
    uintptr_t flags;
    XenLendBlob range, *b;

    res = virtio_gpu_find_resource(g, m->resource_id);
    if (!res) {
        xenlend_guest_error(x, "map: no resource %u", m->resource_id);
        return VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
    }
    flags = GPOINTER_TO_UINT(g_hash_table_lookup(
                                 x->blob_flags,
                                 GUINT_TO_POINTER(m->resource_id)));
    if (!res->blob_size || (flags & 0xffff) != VIRTIO_GPU_BLOB_MEM_HOST3D ||
        !((flags >> 16) & VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE)) {
        xenlend_guest_error(x, "map: resource %u is not a mappable host "
                            "blob", m->resource_id);
        return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
    *size = res->blob_size;
    if (m->offset & (XEN_LEND_PAGE_SIZE - 1) ||
        *size & (XEN_LEND_PAGE_SIZE - 1)) {
        xenlend_guest_error(x, "map: resource %u: offset 0x%" PRIx64
                            " or size 0x%" PRIx64 " not page-aligned",
                            m->resource_id, m->offset, *size);
        return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
    if (*size > hostmem || m->offset > hostmem - *size) {
        xenlend_guest_error(x, "map: resource %u: 0x%" PRIx64 "+0x%" PRIx64
                            " is beyond hostmem (0x%" PRIx64 ")",
                            m->resource_id, m->offset, *size, hostmem);
        return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
    if (x->stats.blobs_mapped + x->blobs_dying >= x->max_mapped) {
        xenlend_guest_error(x, "map: resource %u: %" PRIu64 " blobs are "
                            "mapped already, the most max-mapped allows",
                            m->resource_id, x->stats.blobs_mapped);
        return VIRTIO_GPU_RESP_ERR_OUT_OF_MEMORY;
    }
    if (find_blob(x, m->resource_id, false)) {
        xenlend_guest_error(x, "map: resource %u is already mapped",
                            m->resource_id);
        return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
    range.offset = m->offset;
    range.size = *size;
    b = q_tree_search(x->mapped_by_offset, cmp_overlap, &range);
    if (b) {
        xenlend_guest_error(x, "map: resource %u at 0x%" PRIx64
                            " overlaps resource %u", m->resource_id,
                            m->offset, b->resource_id);
        return VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    }
    return 0;
}

/*
 * An fd of the blob that maps it from offset 0, or -1.  Only dma-bufs and
 * shm fds do: an opaque fd means something only to its driver (lavapipe's,
 * under venus, holds a header before the memory), so only the renderer can
 * map it.
 */
static int export_mappable_fd(uint32_t resource_id)
{
    uint32_t fd_type;
    int fd;

    if (virgl_renderer_resource_export_blob(resource_id, &fd_type, &fd)) {
        return -1;
    }
    if (fd_type != VIRGL_RENDERER_BLOB_FD_TYPE_DMABUF &&
        fd_type != VIRGL_RENDERER_BLOB_FD_TYPE_SHM) {
        close(fd);
        return -1;
    }
    return fd;
}

/*
 * The blob's memory, at a 2 MiB-congruent address when the renderer can
 * export it as a mappable fd and it is big enough to hold a 2 MiB page.
 */
static int get_memory(VirtIOGPUXenLend *x, XenLendBlob *b)
{
    uint64_t size;
    void *data;
    int ret;

    if (b->size >= 2 * MiB) {
        int fd = export_mappable_fd(b->resource_id);

        if (fd >= 0) {
            Error *err = NULL;
            bool ok = xenlend_place_fd(fd, b->size, b->offset, &b->placed,
                                       &err);

            close(fd);
            if (ok) {
                b->hva = b->placed.addr;
                b->placement = XENLEND_PLACED_2M;
                return 0;
            }
            warn_report_err(err);
        }
        b->placement = XENLEND_PLACED_4K_NO_FD;
    } else {
        b->placement = XENLEND_PLACED_4K_SMALL;
    }
    ret = virgl_renderer_resource_map(b->resource_id, &data, &size);
    if (ret) {
        return ret;
    }
    if (size < b->size) {
        virgl_renderer_resource_unmap(b->resource_id);
        return -EINVAL;
    }
    b->hva = data;
    return 0;
}

/* The blob's region in BAR4: its memory itself, or trapped accesses. */
static void new_region(VirtIOGPUXenLend *x, XenLendBlob *b, bool trapped)
{
    g_autofree char *name = g_strdup_printf("blob[%" PRIu32 "]",
                                            b->resource_id);

    b->region = XENLEND_REGION(object_new(TYPE_XENLEND_REGION));
    b->region->blob = b;
    b->regions++;
    object_property_add_child(OBJECT(x), name, OBJECT(b->region));
    object_unref(OBJECT(b->region));
    if (trapped) {
        memory_region_init_io(&b->region->mr, OBJECT(b->region),
                              &xenlend_trap_ops, b, name, b->size);
    } else {
        memory_region_init_ram_ptr(&b->region->mr, OBJECT(b->region), name,
                                   b->size, b->hva);
    }
}

/*
 * lend=auto takes memory the kernel cannot lend (EFAULT: frames that are
 * not the lender's RAM, as VRAM behind a dmabuf mapping; EOPNOTSUPP: Xen
 * refuses) as lend=off would: trapped.  lend=on fails the guest's map
 * instead.
 */
static bool trap_instead(VirtIOGPUXenLend *x, int err)
{
    return x->lend == ON_OFF_AUTO_AUTO &&
           (err == -EFAULT || err == -EOPNOTSUPP);
}

/*
 * Say why a lend failed: the first time as a warning, then in the
 * rate-limited guest error log, as a guest can map and fail in a loop
 * (x-query-xen-lend counts them all).
 */
static void report_lend_failure(VirtIOGPUXenLend *x, XenLendBlob *b,
                                Error **err, bool trapped)
{
    const char *what = trapped ? ", trapping its accesses instead" : "";

    if (!x->lend_failure_reported) {
        x->lend_failure_reported = true;
        warn_report("virtio-gpu-xenlend: resource %u: lending it to the "
                    "guest failed%s: %s (further failures go to the "
                    "guest_errors log)", b->resource_id, what,
                    error_get_pretty(*err));
    } else {
        xenlend_guest_error(x, "map: resource %u: lending it failed%s: %s",
                            b->resource_id, what, error_get_pretty(*err));
    }
    g_clear_pointer(err, error_free);
}

/*
 * The lend of @b, published as RAM, failed in its commit, so nothing of
 * it is lent: trap its accesses.  The RAM region keeps holding the blob
 * until it is finalized (b->regions), so a DMA mapping taken through it
 * meanwhile cannot outlive the memory.  Only when the lend ahead missed:
 * see xenlend_lend_ahead().
 */
static void trap_blob(VirtIOGPUXenLend *x, XenLendBlob *b, int err)
{
    VirtIOGPUBase *base = VIRTIO_GPU_BASE(x);

    memory_region_transaction_begin();
    memory_region_del_subregion(&base->hostmem, &b->region->mr);
    object_unparent(OBJECT(b->region));
    new_region(x, b, true);
    memory_region_add_subregion(&base->hostmem, b->offset, &b->region->mr);
    memory_region_transaction_commit();
    x->stats.maps_trapped++;
    trace_virtio_gpu_xenlend_map_trapped(b->resource_id, b->size, err);
}

/*
 * Lend @b's memory before its RAM region is published, so that a lend
 * that fails never leaves a RAM region over the memory that the guest
 * cannot reach but QEMU's DMA can.  The container's guest address is
 * BAR4's address on the PCI bus, which on x86 (pc, q35, xenfv) is its
 * guest-physical address.  Where it is not, or BAR4 is not mapped, the
 * lend is left to the commit (revoking the lend ahead if it was made):
 * still "lent equals mapped", without that guarantee.
 */
static int xenlend_lend_ahead(VirtIOGPUXenLend *x, XenLendBlob *b,
                              Error **errp)
{
    MemoryRegion *hostmem = &VIRTIO_GPU_BASE(x)->hostmem;

    if (!hostmem->container) {
        return 0;               /* BAR4 unmapped: nothing is lent now */
    }
    return xen_lend_client_lend_ahead(x->lend_client, hostmem->addr,
                                      b->offset, b->hva, b->size, errp);
}

void xenlend_cmd_map_blob(VirtIOGPUXenLend *x,
                          struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPU *g = VIRTIO_GPU(x);
    VirtIOGPUBase *base = VIRTIO_GPU_BASE(x);
    struct virtio_gpu_resource_map_blob mblob;
    struct virtio_gpu_resp_map_info resp;
    Error *err = NULL;
    XenLendBlob *b;
    uint64_t size = 0;
    int ret;

    VIRTIO_GPU_FILL_CMD(mblob);
    virtio_gpu_map_blob_bswap(&mblob);

    cmd->error = validate_map(x, &mblob, &size);
    if (cmd->error) {
        x->stats.map_errors++;
        return;
    }

    b = g_new0(XenLendBlob, 1);
    b->x = x;
    b->resource_id = mblob.resource_id;
    b->offset = mblob.offset;
    b->size = size;
    ret = get_memory(x, b);
    if (ret) {
        xenlend_guest_error(x, "map: resource %u: the renderer cannot map "
                            "it: %s", b->resource_id, strerror(-ret));
        g_free(b);
        x->stats.map_errors++;
        cmd->error = VIRTIO_GPU_RESP_ERR_UNSPEC;
        return;
    }

    ret = x->lending ? xenlend_lend_ahead(x, b, &err) : 0;
    if (ret) {
        report_lend_failure(x, b, &err, trap_instead(x, ret));
    }
    if (ret && !trap_instead(x, ret)) {
        /* "a failed lend fails the map": nothing was published or lent */
        put_memory(x, b);
        g_free(b);
        x->stats.map_errors++;
        cmd->error = VIRTIO_GPU_RESP_ERR_UNSPEC;
        return;
    }
    if (ret) {
        x->stats.maps_trapped++;
        trace_virtio_gpu_xenlend_map_trapped(b->resource_id, b->size, ret);
    }
    new_region(x, b, ret || !x->lending);
    g_hash_table_insert(x->mapped, GUINT_TO_POINTER(b->resource_id), b);
    q_tree_insert(x->mapped_by_offset, b, b);
    account(x, b, 1);
    trace_virtio_gpu_xenlend_map(b->resource_id, b->offset, b->size,
                                 b->placement, x->lending && !ret);

    memory_region_transaction_begin();
    memory_region_add_subregion(&base->hostmem, b->offset, &b->region->mr);
    memory_region_transaction_commit();
    ret = x->lending && !ret ?
          xen_lend_client_commit_result(x->lend_client, &err) : 0;
    if (ret) {
        report_lend_failure(x, b, &err, trap_instead(x, ret));
    }
    if (ret && trap_instead(x, ret)) {
        trap_blob(x, b, ret);
    } else if (ret) {
        /* "a failed lend fails the map": nothing of it stays lent */
        memory_region_transaction_begin();
        remove_blob(x, b);
        memory_region_transaction_commit();
        x->stats.map_errors++;
        cmd->error = VIRTIO_GPU_RESP_ERR_UNSPEC;
        return;
    }
    x->stats.maps++;

    memset(&resp, 0, sizeof(resp));
    resp.hdr.type = VIRTIO_GPU_RESP_OK_MAP_INFO;
    virgl_renderer_resource_get_map_info(b->resource_id, &resp.map_info);
    virtio_gpu_ctrl_response(g, cmd, &resp.hdr, sizeof(resp));
}

/*
 * Take @resource_id's blob out of BAR4.  False while its memory waits to
 * be released: a command that frees or maps the resource again must
 * wait for that (it is suspended until the release resumes the queue).
 */
bool xenlend_unmap_resource(VirtIOGPUXenLend *x, uint32_t resource_id)
{
    XenLendBlob *b = find_blob(x, resource_id, false);

    if (b) {
        memory_region_transaction_begin();
        remove_blob(x, b);
        memory_region_transaction_commit();
        x->stats.unmaps++;
    }
    return !find_blob(x, resource_id, true);
}

/* A MAP of a resource whose last mapping is not released yet waits */
bool xenlend_map_must_wait(VirtIOGPUXenLend *x,
                           struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_resource_map_blob mblob;

    if (!virtio_gpu_ctrl_command_get(cmd, &mblob, sizeof(mblob))) {
        return false;
    }
    /*
     * The renderer maps a resource once; and dying blobs count towards
     * max-mapped, so that a guest cannot keep any number of them alive:
     * a MAP that only they hold back waits for them too.
     */
    return find_blob(x, le32_to_cpu(mblob.resource_id), true) ||
           (x->stats.blobs_mapped < x->max_mapped &&
            x->stats.blobs_mapped + x->blobs_dying >= x->max_mapped);
}

/*
 * Answered as soon as the blob is out of BAR4 (revoked in the commit):
 * the guest can no longer reach it, and only the next MAP or the UNREF of
 * the resource waits for the memory's release.
 */
void xenlend_cmd_unmap_blob(VirtIOGPUXenLend *x,
                            struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_resource_unmap_blob ublob;

    if (!virtio_gpu_ctrl_command_get(cmd, &ublob, sizeof(ublob))) {
        xenlend_guest_error(x, "unmap: command too short");
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    virtio_gpu_unmap_blob_bswap(&ublob);

    if (!virtio_gpu_find_resource(VIRTIO_GPU(x), ublob.resource_id)) {
        xenlend_guest_error(x, "unmap: no resource %u", ublob.resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
        return;
    }
    if (!find_blob(x, ublob.resource_id, false)) {
        xenlend_guest_error(x, "unmap: resource %u is not mapped",
                            ublob.resource_id);
        cmd->error = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
        return;
    }
    xenlend_unmap_resource(x, ublob.resource_id);
}
