/*
 * virtio-gpu-xenlend: x-query-virtio-gpu-xenlend
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-lend.h"
#include "hw/virtio/virtio-gpu-xenlend.h"

static int add_device(Object *obj, void *opaque)
{
    VirtIOGPUXenLendInfoList ***tail = opaque;
    VirtIOGPUXenLend *x = (VirtIOGPUXenLend *)
        object_dynamic_cast(obj, TYPE_VIRTIO_GPU_XENLEND);
    VirtIOGPUXenLendInfo *info;

    if (!x || !DEVICE(x)->realized) {
        return 0;
    }
    info = g_new0(VirtIOGPUXenLendInfo, 1);
    info->path = object_get_canonical_path(obj);
    info->lending = x->lending;
    info->maps = x->stats.maps;
    info->unmaps = x->stats.unmaps;
    info->map_errors = x->stats.map_errors;
    info->maps_trapped = x->stats.maps_trapped;
    info->blobs_mapped = x->stats.blobs_mapped;
    info->bytes_mapped = x->stats.bytes_mapped;
    info->bytes_placed_2m = x->stats.bytes_placed[XENLEND_PLACED_2M];
    info->bytes_4k_no_fd = x->stats.bytes_placed[XENLEND_PLACED_4K_NO_FD];
    info->bytes_4k_small = x->stats.bytes_placed[XENLEND_PLACED_4K_SMALL];
    info->trapped_reads = x->stats.trapped_reads;
    info->trapped_writes = x->stats.trapped_writes;
    QAPI_LIST_APPEND(*tail, info);
    return 0;
}

VirtIOGPUXenLendInfoList *qmp_x_query_virtio_gpu_xenlend(Error **errp)
{
    VirtIOGPUXenLendInfoList *head = NULL, **tail = &head;

    object_child_foreach_recursive(object_get_root(), add_device, &tail);
    return head;
}
