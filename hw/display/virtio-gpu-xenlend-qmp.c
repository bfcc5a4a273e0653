/*
 * virtio-gpu-xenlend: x-query-virtio-gpu-xenlend
 *
 * In the main binary, where QAPI's marshallers are, while the device may
 * be built as a module (hw-display-virtio-gpu-xenlend): the device's code
 * says what it has to say through virtio_gpu_xenlend_info, which is NULL
 * until the device is loaded (and in builds without it: no devices).
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-lend.h"
#include "qom/object.h"
#include "hw/virtio/virtio-gpu-xenlend-qmp.h"

VirtIOGPUXenLendInfo *(*virtio_gpu_xenlend_info)(Object *obj);

static int add_device(Object *obj, void *opaque)
{
    VirtIOGPUXenLendInfoList ***tail = opaque;
    VirtIOGPUXenLendInfo *info = virtio_gpu_xenlend_info(obj);

    if (info) {
        QAPI_LIST_APPEND(*tail, info);
    }
    return 0;
}

VirtIOGPUXenLendInfoList *qmp_x_query_virtio_gpu_xenlend(Error **errp)
{
    VirtIOGPUXenLendInfoList *head = NULL, **tail = &head;

    if (virtio_gpu_xenlend_info) {
        object_child_foreach_recursive(object_get_root(), add_device, &tail);
    }
    return head;
}
