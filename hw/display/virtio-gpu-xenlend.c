/*
 * virtio-gpu-xenlend: the virtio device
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/module.h"
#include "hw/virtio/virtio-gpu-xenlend.h"

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

static void virtio_gpu_xenlend_device_realize(DeviceState *qdev, Error **errp)
{
    VirtIOGPU *g = VIRTIO_GPU(qdev);

    if (!virtio_gpu_xenlend_check_hostmem(g->parent_obj.conf.hostmem, errp)) {
        return;
    }
    virtio_gpu_device_realize(qdev, errp);
}

static void virtio_gpu_xenlend_instance_init(Object *obj)
{
    VirtIOGPU *g = VIRTIO_GPU(obj);

    /* Runs after the inherited property defaults, before the user's. */
    g->parent_obj.conf.hostmem = VIRTIO_GPU_XENLEND_DEFAULT_HOSTMEM;
}

static void virtio_gpu_xenlend_class_init(ObjectClass *klass, void *data)
{
    VirtioDeviceClass *vdc = VIRTIO_DEVICE_CLASS(klass);

    vdc->realize = virtio_gpu_xenlend_device_realize;
}

static const TypeInfo virtio_gpu_xenlend_info = {
    .name = TYPE_VIRTIO_GPU_XENLEND,
    .parent = TYPE_VIRTIO_GPU,
    .instance_size = sizeof(VirtIOGPUXenLend),
    .instance_init = virtio_gpu_xenlend_instance_init,
    .class_init = virtio_gpu_xenlend_class_init,
};
module_obj(TYPE_VIRTIO_GPU_XENLEND);
module_kconfig(VIRTIO_GPU_XENLEND);

static void virtio_gpu_xenlend_register_types(void)
{
    type_register_static(&virtio_gpu_xenlend_info);
}

type_init(virtio_gpu_xenlend_register_types)

module_dep("hw-display-virtio-gpu");
