/*
 * virtio-gpu-xenlend: x-query-virtio-gpu-xenlend where the device is not
 * built (no virglrenderer or OpenGL)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-lend.h"

VirtIOGPUXenLendInfoList *qmp_x_query_virtio_gpu_xenlend(Error **errp)
{
    return NULL;
}
