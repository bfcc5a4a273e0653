/*
 * virtio-gpu-xenlend: the virtio device
 *
 * virtio-gpu with virglrenderer (virgl and venus), blob resources and a
 * hostmem BAR whose mapped blobs are lent to the guest (the Xen lend
 * listener) rather than trapped.  Upstream's virgl command handling does
 * everything but the blob mapping commands, which this device owns so
 * that it can validate them, order revoke before release on every path,
 * and choose between lending and trapping.
 *
 * Headless by default: without a GL display, virglrenderer makes its own
 * surfaceless EGL context (llvmpipe here, the domain's GPU in production).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/error-report.h"
#include "qemu/iov.h"
#include "qemu/module.h"
#include "qemu/rcu.h"
#include "hw/qdev-properties.h"
#include "hw/qdev-properties-system.h"
#include "migration/blocker.h"
#include "system/system.h"
#include "system/xen.h"
#include "ui/console.h"
#include "hw/virtio/virtio-gpu-bswap.h"
#include "hw/virtio/virtio-gpu-xenlend.h"
#include "trace.h"

#include <virglrenderer.h>

static void (*parent_handle_ctrl)(VirtIODevice *vdev, VirtQueue *vq);
static void (*parent_reset)(VirtIODevice *vdev);
static void (*parent_unrealize)(DeviceState *dev);

bool virtio_gpu_xenlend_check_hostmem(uint64_t hostmem, Error **errp)
{
    if (hostmem < 2 * MiB || !is_power_of_2(hostmem)) {
        g_autofree char *size = size_to_str(hostmem);

        error_setg(errp, "virtio-gpu-xenlend: hostmem=%s is not usable", size);
        error_append_hint(errp, "hostmem is the size of the host-visible "
                          "memory BAR: give a power of two of at least 2M, "
                          "for example hostmem=256M.\n");
        return false;
    }
    return true;
}

/* Answer a command this device handled itself, as upstream's tail does. */
static void xenlend_complete(VirtIOGPU *g, struct virtio_gpu_ctrl_command *cmd)
{
    if (cmd->finished) {
        return;
    }
    if (cmd->error) {
        virtio_gpu_ctrl_response_nodata(g, cmd, cmd->error);
        return;
    }
    if (!(cmd->cmd_hdr.flags & VIRTIO_GPU_FLAG_FENCE)) {
        virtio_gpu_ctrl_response_nodata(g, cmd, VIRTIO_GPU_RESP_OK_NODATA);
        return;
    }
    if (cmd->cmd_hdr.flags & VIRTIO_GPU_FLAG_INFO_RING_IDX) {
        int ret = virgl_renderer_context_create_fence(
                      cmd->cmd_hdr.ctx_id, VIRGL_RENDERER_FENCE_FLAG_MERGEABLE,
                      cmd->cmd_hdr.ring_idx, cmd->cmd_hdr.fence_id);

        if (ret) {
            /* nothing would ever signal it (as patches/0013 upstream) */
            xenlend_guest_error(VIRTIO_GPU_XENLEND(g), "ctrl 0x%x: no fence "
                                "on context %u ring %u: %s",
                                cmd->cmd_hdr.type, cmd->cmd_hdr.ctx_id,
                                cmd->cmd_hdr.ring_idx, strerror(-ret));
            virtio_gpu_ctrl_response_nodata(
                g, cmd, VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
        }
        return;
    }
    virgl_renderer_create_fence(cmd->cmd_hdr.fence_id, cmd->cmd_hdr.type);
}

/* Upstream creates the blob; this device remembers whether it is mappable */
static void xenlend_cmd_create_blob(VirtIOGPUXenLend *x,
                                    struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPU *g = VIRTIO_GPU(x);
    struct virtio_gpu_resource_create_blob cblob;
    bool known;

    if (!virtio_gpu_ctrl_command_get(cmd, &cblob, sizeof(cblob))) {
        virtio_gpu_virgl_process_cmd(g, cmd);   /* it reports the error */
        return;
    }
    virtio_gpu_create_blob_bswap(&cblob);
    known = virtio_gpu_find_resource(g, cblob.resource_id);
    virtio_gpu_virgl_process_cmd(g, cmd);
    if (!known && virtio_gpu_find_resource(g, cblob.resource_id)) {
        g_hash_table_insert(x->blob_flags,
                            GUINT_TO_POINTER(cblob.resource_id),
                            GUINT_TO_POINTER((cblob.blob_mem & 0xffff) |
                                             cblob.blob_flags << 16));
    }
}

/*
 * Takes a resource's guest backing back from the renderer and unmaps it.
 * A guest-memory blob shares its iovec array with the renderer, so the
 * resource must forget the array too, or destroying it later unmaps and
 * frees it a second time (under Xen a second unmap drops a mapcache lock
 * someone else holds).  @res is the resource's entry, if it has one.
 */
static void xenlend_detach_iov(VirtIOGPU *g, uint32_t resource_id,
                               struct virtio_gpu_simple_resource *res)
{
    struct iovec *iovs = NULL;
    int n = 0;

    virgl_renderer_resource_detach_iov(resource_id, &iovs, &n);
    if (!iovs || !n) {
        return;
    }
    virtio_gpu_cleanup_mapping_iov(g, iovs, n);
    if (res && res->iov == iovs) {
        res->iov = NULL;
        res->iov_cnt = 0;
    }
}

/* Upstream's DETACH_BACKING, but the resource forgets a shared array */
static void xenlend_cmd_detach_backing(VirtIOGPU *g,
                                       struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_resource_detach_backing detach;

    VIRTIO_GPU_FILL_CMD(detach);
    trace_virtio_gpu_cmd_res_back_detach(detach.resource_id);
    xenlend_detach_iov(g, detach.resource_id,
                       virtio_gpu_find_resource(g, detach.resource_id));
}

/*
 * The resource a command names in its fixed part; 0 for the commands that
 * name none (or only inside a command stream, such as SUBMIT_3D).
 */
static uint32_t cmd_resource(const struct virtio_gpu_ctrl_command *cmd)
{
    size_t at;
    uint32_t id;

    switch (cmd->cmd_hdr.type) {
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_2D:
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_3D:
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_UNREF:
    case VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING:
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
    case VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID:
    case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB:
    case VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB:
    case VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE:
    case VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE:
        at = sizeof(struct virtio_gpu_ctrl_hdr);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_FLUSH:
        at = offsetof(struct virtio_gpu_resource_flush, resource_id);
        break;
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D:
        at = offsetof(struct virtio_gpu_transfer_to_host_2d, resource_id);
        break;
    case VIRTIO_GPU_CMD_SET_SCANOUT:
        at = offsetof(struct virtio_gpu_set_scanout, resource_id);
        break;
    case VIRTIO_GPU_CMD_SET_SCANOUT_BLOB:
        at = offsetof(struct virtio_gpu_set_scanout_blob, resource_id);
        break;
    case VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D:
    case VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D:
        at = offsetof(struct virtio_gpu_transfer_host_3d, resource_id);
        break;
    default:
        return 0;
    }
    if (cmd->req_len < at + sizeof(id)) {
        return 0;
    }
    memcpy(&id, cmd->req + at, sizeof(id));
    return le32_to_cpu(id);
}

/* Whether a command set aside names @resource_id: later ones follow it */
static bool set_aside_holds(VirtIOGPU *g, uint32_t resource_id)
{
    struct virtio_gpu_ctrl_command *c;

    if (!resource_id) {
        return false;
    }
    QTAILQ_FOREACH(c, &g->asideq, next) {
        if (cmd_resource(c) == resource_id) {
            return true;
        }
    }
    return false;
}

/* Returns false while the resource's blob memory waits to be released */
static bool xenlend_cmd_unref(VirtIOGPUXenLend *x,
                              struct virtio_gpu_ctrl_command *cmd)
{
    struct virtio_gpu_resource_unref unref;

    if (virtio_gpu_ctrl_command_get(cmd, &unref, sizeof(unref))) {
        uint32_t id = le32_to_cpu(unref.resource_id);

        /* "revoke before release": out of BAR4, released, then freed */
        if (!xenlend_unmap_resource(x, id)) {
            return false;
        }
        g_hash_table_remove(x->blob_flags, GUINT_TO_POINTER(id));
    }
    virtio_gpu_virgl_process_cmd(VIRTIO_GPU(x), cmd);
    return true;
}

static void xenlend_process_cmd(VirtIOGPU *g,
                                struct virtio_gpu_ctrl_command *cmd)
{
    VirtIOGPUXenLend *x = VIRTIO_GPU_XENLEND(g);
    bool done = true;

    VIRTIO_GPU_FILL_CMD(cmd->cmd_hdr);

    /* a command on a resource whose earlier ones are set aside follows them */
    if (set_aside_holds(g, cmd_resource(cmd))) {
        done = false;
        goto wait;
    }

    switch (cmd->cmd_hdr.type) {
    case VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB:
        xenlend_cmd_create_blob(x, cmd);
        return;
    case VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB:
        done = !xenlend_map_must_wait(x, cmd);
        if (done) {
            virgl_renderer_force_ctx_0();
            xenlend_cmd_map_blob(x, cmd);
        }
        break;
    case VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB:
        xenlend_cmd_unmap_blob(x, cmd);
        break;
    case VIRTIO_GPU_CMD_RESOURCE_UNREF:
        done = xenlend_cmd_unref(x, cmd);
        if (done) {
            return;
        }
        break;
    case VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING:
        xenlend_cmd_detach_backing(g, cmd);
        break;
    default:
        virtio_gpu_virgl_process_cmd(g, cmd);
        return;
    }

wait:
    if (!done) {
        /*
         * Wait for the blob's memory to be released (or for the commands
         * on the resource set aside before this one).  Without a fence,
         * aside: the queue goes on, and the release runs the command
         * again (xenlend_run_set_aside).  A fenced command must not
         * signal after later fences: it is suspended at the head of the
         * queue, and each run of the queue tries it again.
         */
        if (!(cmd->cmd_hdr.flags & VIRTIO_GPU_FLAG_FENCE)) {
            cmd->set_aside = true;
        } else {
            cmd->suspended = true;
        }
        return;
    }
    xenlend_complete(g, cmd);
}

/*
 * A blob's memory went: run the commands set aside, in their order.  Those
 * that must still wait are set aside again, in the same order.  Only a
 * release can let one run (its blob's, or a slot under max-mapped), so
 * nothing is tried again until one happened: a guest's kicks cost nothing.
 */
static void xenlend_run_set_aside(VirtIOGPU *g)
{
    VirtIOGPUXenLend *x = VIRTIO_GPU_XENLEND(g);
    QTAILQ_HEAD(, virtio_gpu_ctrl_command) again =
        QTAILQ_HEAD_INITIALIZER(again);
    struct virtio_gpu_ctrl_command *cmd;

    if (x->releases == x->releases_seen || QTAILQ_EMPTY(&g->asideq) ||
        !(VIRTIO_DEVICE(g)->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;     /* nothing new; or resetting: the reset drops them */
    }
    if (g->processing_cmdq || g->parent_obj.renderer_blocked) {
        /* not inside a command, nor while a display holds the renderer */
        qemu_bh_schedule(x->resume_bh);
        return;
    }
    x->releases_seen = x->releases;
    while ((cmd = QTAILQ_FIRST(&g->asideq))) {
        QTAILQ_REMOVE(&g->asideq, cmd, next);
        QTAILQ_INSERT_TAIL(&again, cmd, next);
    }
    /* as the queue's own run: no nested one overtakes these */
    g->processing_cmdq = true;
    while ((cmd = QTAILQ_FIRST(&again))) {
        QTAILQ_REMOVE(&again, cmd, next);
        if (g->parent_obj.renderer_blocked) {
            /* a display holds the renderer: the rest waits for the next */
            QTAILQ_INSERT_TAIL(&g->asideq, cmd, next);
            x->releases_seen = x->releases - 1;    /* again at next kick */
            continue;
        }
        cmd->set_aside = false;
        xenlend_process_cmd(g, cmd);
        if (cmd->set_aside) {
            QTAILQ_INSERT_TAIL(&g->asideq, cmd, next);
            continue;
        }
        /* unfenced, so answered now; never left without an answer */
        if (!cmd->finished) {
            virtio_gpu_ctrl_response_nodata(g, cmd, VIRTIO_GPU_RESP_ERR_UNSPEC);
        }
        g_free(cmd);
    }
    g->processing_cmdq = false;
}

/* Unplugged with commands set aside: they go unanswered, as the queue's */
static void xenlend_drop_set_aside(VirtIOGPU *g)
{
    struct virtio_gpu_ctrl_command *cmd;

    while ((cmd = QTAILQ_FIRST(&g->asideq))) {
        QTAILQ_REMOVE(&g->asideq, cmd, next);
        virtqueue_detach_element(cmd->vq, &cmd->elem, 0);
        g_free(cmd);
    }
}

static void xenlend_handle_ctrl(VirtIODevice *vdev, VirtQueue *vq)
{
    /*
     * A renderer reset (pending after a device reset) frees every blob's
     * memory: not while a removed region may still reach it.  The
     * region's finalization resumes us.
     */
    if (VIRTIO_GPU_GL(vdev)->renderer_state == RS_RESET &&
        VIRTIO_GPU_XENLEND(vdev)->blobs_dying) {
        return;
    }
    /* the commands set aside go first: older, and maybe released now */
    xenlend_run_set_aside(VIRTIO_GPU(vdev));
    parent_handle_ctrl(vdev, vq);
}

/*
 * Guest backing attached to renderer resources goes back to us only on
 * detach: upstream's reset drops the resources and leaks those iovecs
 * (LeakSanitizer, found by the fuzzer).  Take them back first.
 */
static void xenlend_detach_all_backing(VirtIOGPU *g)
{
    struct virtio_gpu_simple_resource *res;

    QTAILQ_FOREACH(res, &g->reslist, next) {
        xenlend_detach_iov(g, res->resource_id, res);
    }
}

static void xenlend_reset(VirtIODevice *vdev)
{
    VirtIOGPUXenLend *x = VIRTIO_GPU_XENLEND(vdev);

    /* "revoke before release", before upstream's reset frees them */
    xenlend_remove_all_blobs(x);
    xenlend_detach_all_backing(VIRTIO_GPU(x));
    parent_reset(vdev);
    /*
     * Reset from a vCPU thread waits for the main loop with the BQL
     * dropped, and the main loop may run the control queue meanwhile: a
     * blob mapped then is taken out too.
     */
    xenlend_remove_all_blobs(x);
    g_hash_table_remove_all(x->blob_flags);
}

static bool xenlend_choose_mode(VirtIOGPUXenLend *x, Error **errp)
{
    Error *why = NULL;
    bool available = xen_lend_available(&why);

    switch (x->lend) {
    case ON_OFF_AUTO_ON:
        if (!available) {
            error_propagate_prepend(errp, why, "virtio-gpu-xenlend: lend=on: ");
            if (xen_enabled()) {
                error_append_hint(errp, "Use lend=auto to fall back to "
                                  "trapping guest accesses to blobs, or "
                                  "lend=off.\n");
            } else {
                error_append_hint(errp, "Use lend=auto or lend=off: off Xen "
                                  "blobs are mapped as virtio-gpu-gl maps "
                                  "them.\n");
            }
            return false;
        }
        x->lending = true;
        break;
    case ON_OFF_AUTO_AUTO:
        x->lending = available;
        if (!available && xen_enabled()) {
            warn_reportf_err(why, "virtio-gpu-xenlend: blob memory will be "
                             "trapped and emulated, not lent: ");
        } else {
            /* off Xen, blobs are mapped as virtio-gpu-gl maps them */
            error_free(why);
        }
        break;
    default:
        x->lending = false;
        error_free(why);
        break;
    }
    return true;
}

/*
 * Venus keeps its command ring's status word in blob memory, and the guest
 * (Mesa's vn_ring) and virglrenderer's ring thread both update it with
 * locked read-modify-writes.  Trapped under Xen, the guest's is emulated
 * as a read ioreq and a write ioreq: an IDLE bit the ring thread sets in
 * between is lost, the thread sleeps, and the guest waits for its ring
 * for good.  So under Xen venus needs lent memory.
 */
static bool xenlend_venus_needs_lending(VirtIOGPUXenLend *x, Error **errp)
{
    VirtIOGPU *g = VIRTIO_GPU(x);

    if (!xen_enabled() || x->lending ||
        !virtio_gpu_venus_enabled(g->parent_obj.conf)) {
        return true;
    }
    if (x->lend == ON_OFF_AUTO_OFF) {
        error_setg(errp, "virtio-gpu-xenlend: venus=on needs lent memory "
                   "under Xen, and lend=off traps it");
        error_append_hint(errp, "Venus's ring needs atomic operations, which "
                          "a trapped access cannot give. Use lend=on or "
                          "lend=auto with the xen-lend module loaded, or "
                          "venus=off.\n");
        return false;
    }
    g->parent_obj.conf.flags &= ~(1 << VIRTIO_GPU_FLAG_VENUS_ENABLED);
    warn_report("virtio-gpu-xenlend: venus is not offered to the guest: "
                "under Xen its ring needs lent memory (atomic operations), "
                "and blob memory is trapped; load the xen-lend module for "
                "Vulkan");
    return true;
}

/*
 * Headless, the renderer needs no display to exist first, so it starts
 * with the device rather than at the guest's first command: a GL stack
 * that cannot work fails the device model at start, where the user
 * looks, and the guest's first commands do not wait for virglrenderer's
 * start (Linux gives its capset queries 5 seconds; under nested
 * emulation the start takes about 4).
 */
static bool xenlend_start_renderer(VirtIOGPUXenLend *x, Error **errp)
{
    if (virtio_gpu_virgl_init(VIRTIO_GPU(x))) {
        error_setg(errp, "virtio-gpu-xenlend: virglrenderer failed to "
                   "start");
        error_append_hint(errp, "Check that EGL and Mesa (or the GPU's "
                          "driver) work in this domain; the lines above "
                          "say what failed.\n");
        return false;
    }
    VIRTIO_GPU_GL(x)->renderer_state = RS_INITED;
    return true;
}

static void xenlend_realize(DeviceState *qdev, Error **errp)
{
    ERRP_GUARD();
    VirtIOGPUXenLend *x = VIRTIO_GPU_XENLEND(qdev);
    VirtIOGPU *g = VIRTIO_GPU(qdev);

#if HOST_BIG_ENDIAN
    error_setg(errp, "virtio-gpu-xenlend is not supported on big-endian "
               "hosts");
    return;
#endif
    if (!virtio_gpu_xenlend_check_hostmem(g->parent_obj.conf.hostmem, errp)) {
        return;
    }
    if (!x->max_mapped ||
        x->max_mapped > VIRTIO_GPU_XENLEND_MAX_MAPPED_LIMIT) {
        error_setg(errp, "virtio-gpu-xenlend: max-mapped=%" PRIu32 " is out "
                   "of range", x->max_mapped);
        error_append_hint(errp, "Give 1 to %d: each mapped blob is a "
                          "section of QEMU's memory map, which holds at "
                          "most 4096.\n",
                          VIRTIO_GPU_XENLEND_MAX_MAPPED_LIMIT);
        return;
    }
    if (!object_resolve_path_type("", TYPE_VIRTIO_GPU_GL, NULL)) {
        error_setg(errp, "at most one virgl device (virtio-gpu-gl or "
                   "virtio-gpu-xenlend) is permitted");
        return;
    }
    if (!xenlend_choose_mode(x, errp) ||
        !xenlend_venus_needs_lending(x, errp)) {
        return;
    }

    /* no GL display (or x-headless): virglrenderer's own EGL context */
    VIRTIO_GPU_BASE(x)->headless |= !display_opengl;
    g->parent_obj.conf.flags |= 1 << VIRTIO_GPU_FLAG_VIRGL_ENABLED;
    g->parent_obj.conf.flags |= 1 << VIRTIO_GPU_FLAG_CONTEXT_INIT_ENABLED;
    g->capset_ids = virtio_gpu_virgl_get_capsets(g);
    VIRTIO_GPU_BASE(g)->virtio_config.num_capsets = g->capset_ids->len;

    xenlend_blob_init(x);
    if (x->lending && !xenlend_lend_register(x, errp)) {
        goto fail;
    }
    if (VIRTIO_GPU_BASE(x)->headless && !xenlend_start_renderer(x, errp)) {
        goto fail;
    }
    virtio_gpu_device_realize(qdev, errp);
    if (*errp) {
        goto fail;
    }
    if (x->lending) {
        /* "no migration while lending"; last, so the reason given */
        error_setg(&x->migration_blocker, "virtio-gpu-xenlend: the guest "
                   "holds memory lent by QEMU, which Xen memory lending "
                   "cannot migrate or save; restart the guest instead, or "
                   "run the device with lend=off");
        migrate_add_blocker(&x->migration_blocker, &error_warn);
    }
    return;

fail:
    if (x->lend_client) {
        xen_lend_unregister(x->lend_client);
        x->lend_client = NULL;
    }
    xenlend_blob_fini(x);
    g_array_unref(g->capset_ids);
    g->capset_ids = NULL;
}

static void xenlend_unrealize(DeviceState *qdev)
{
    VirtIOGPUXenLend *x = VIRTIO_GPU_XENLEND(qdev);

    /* first: a request's buffers may hold a dying blob's region */
    xenlend_drop_set_aside(VIRTIO_GPU(x));
    xenlend_remove_all_blobs(x);
    /* the removed regions go after an RCU grace period: wait for it */
    drain_call_rcu();
    xenlend_release_dead_blobs(x);
    xenlend_forget_dying_blobs(x);
    if (x->lend_client) {
        xen_lend_unregister(x->lend_client);
        x->lend_client = NULL;
    }
    migrate_del_blocker(&x->migration_blocker);
    xenlend_blob_fini(x);
    parent_unrealize(qdev);
}

static void xenlend_instance_init(Object *obj)
{
    VirtIOGPU *g = VIRTIO_GPU(obj);

    /* after the inherited property defaults, before the user's */
    g->parent_obj.conf.hostmem = VIRTIO_GPU_XENLEND_DEFAULT_HOSTMEM;
    g->parent_obj.conf.flags |= 1 << VIRTIO_GPU_FLAG_BLOB_ENABLED;
}

static const Property xenlend_properties[] = {
    DEFINE_PROP_ON_OFF_AUTO("lend", VirtIOGPUXenLend, lend, ON_OFF_AUTO_AUTO),
    DEFINE_PROP_UINT32("max-mapped", VirtIOGPUXenLend, max_mapped,
                       VIRTIO_GPU_XENLEND_DEFAULT_MAX_MAPPED),
};

static void xenlend_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);
    VirtIOGPUClass *vgc = VIRTIO_GPU_CLASS(klass);

    parent_handle_ctrl = vgc->handle_ctrl;
    parent_reset = vdc->reset;
    parent_unrealize = vdc->unrealize;
    vgc->handle_ctrl = xenlend_handle_ctrl;
    vgc->process_cmd = xenlend_process_cmd;
    vdc->realize = xenlend_realize;
    vdc->unrealize = xenlend_unrealize;
    vdc->reset = xenlend_reset;
    device_class_set_props(dc, xenlend_properties);
    dc->desc = "virtio-gpu with Xen memory lending";
}

static const TypeInfo xenlend_info = {
    .name = TYPE_VIRTIO_GPU_XENLEND,
    .parent = TYPE_VIRTIO_GPU_GL,
    .instance_size = sizeof(VirtIOGPUXenLend),
    .instance_init = xenlend_instance_init,
    .class_init = xenlend_class_init,
};
module_obj(TYPE_VIRTIO_GPU_XENLEND);
module_kconfig(VIRTIO_GPU_XENLEND);

static void xenlend_register_types(void)
{
    type_register_static(&xenlend_info);
}

type_init(xenlend_register_types)

module_dep("hw-display-virtio-gpu-gl");
