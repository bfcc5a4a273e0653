/*
 * virtio-gpu-xenlend: what x-query-virtio-gpu-xenlend says of a device.
 * The command itself is in the main binary (virtio-gpu-xenlend-qmp.c), as
 * this file may be in a module.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/module.h"
#include "hw/virtio/virtio-gpu-xenlend.h"
#include "hw/virtio/virtio-gpu-xenlend-qmp.h"

static VirtIOGPUXenLendInfo *xenlend_info(Object *obj)
{
    VirtIOGPUXenLend *x = (VirtIOGPUXenLend *)
        object_dynamic_cast(obj, TYPE_VIRTIO_GPU_XENLEND);
    VirtIOGPUXenLendInfo *info;

    if (!x || !DEVICE(x)->realized) {
        return NULL;
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
    return info;
}

static void xenlend_info_register(void)
{
    virtio_gpu_xenlend_info = xenlend_info;
}

type_init(xenlend_info_register)
