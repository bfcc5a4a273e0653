/*
 * virtio-gpu-xenlend: the PCI proxy (BAR4 is the hostmem window)
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/module.h"
#include "hw/virtio/virtio-gpu-pci.h"
#include "hw/virtio/virtio-gpu-xenlend.h"

OBJECT_DECLARE_TYPE(VirtIOGPUXenLendPCI, VirtIOGPUXenLendPCIClass,
                    VIRTIO_GPU_XENLEND_PCI)

struct VirtIOGPUXenLendPCI {
    VirtIOGPUPCIBase parent_obj;
    VirtIOGPUXenLend vdev;
};

struct VirtIOGPUXenLendPCIClass {
    VirtioPCIClass parent_class;
    void (*parent_realize)(VirtIOPCIProxy *vpci_dev, Error **errp);
};

static void virtio_gpu_xenlend_pci_realize(VirtIOPCIProxy *vpci_dev,
                                           Error **errp)
{
    VirtIOGPUXenLendPCI *dev = VIRTIO_GPU_XENLEND_PCI(vpci_dev);
    VirtIOGPUXenLendPCIClass *k = VIRTIO_GPU_XENLEND_PCI_GET_CLASS(dev);
    VirtIOGPUBase *g = VIRTIO_GPU_BASE(&dev->vdev);

    /* The base realize registers BAR4 from hostmem: check it first. */
    if (!virtio_gpu_xenlend_check_hostmem(g->conf.hostmem, errp)) {
        return;
    }
    k->parent_realize(vpci_dev, errp);
}

static void virtio_gpu_xenlend_pci_class_init(ObjectClass *klass, void *data)
{
    VirtioPCIClass *vpc = VIRTIO_PCI_CLASS(klass);
    VirtIOGPUXenLendPCIClass *k = VIRTIO_GPU_XENLEND_PCI_CLASS(klass);

    k->parent_realize = vpc->realize;
    vpc->realize = virtio_gpu_xenlend_pci_realize;
}

static void virtio_gpu_xenlend_pci_initfn(Object *obj)
{
    VirtIOGPUXenLendPCI *dev = VIRTIO_GPU_XENLEND_PCI(obj);

    virtio_instance_init_common(obj, &dev->vdev, sizeof(dev->vdev),
                                TYPE_VIRTIO_GPU_XENLEND);
    VIRTIO_GPU_PCI_BASE(obj)->vgpu = VIRTIO_GPU_BASE(&dev->vdev);
}

static const VirtioPCIDeviceTypeInfo virtio_gpu_xenlend_pci_info = {
    .generic_name = TYPE_VIRTIO_GPU_XENLEND_PCI,
    .parent = TYPE_VIRTIO_GPU_PCI_BASE,
    .instance_size = sizeof(VirtIOGPUXenLendPCI),
    .class_size = sizeof(VirtIOGPUXenLendPCIClass),
    .instance_init = virtio_gpu_xenlend_pci_initfn,
    .class_init = virtio_gpu_xenlend_pci_class_init,
};
module_obj(TYPE_VIRTIO_GPU_XENLEND_PCI);
module_kconfig(VIRTIO_PCI);

static void virtio_gpu_xenlend_pci_register_types(void)
{
    virtio_pci_types_register(&virtio_gpu_xenlend_pci_info);
}

type_init(virtio_gpu_xenlend_pci_register_types)

module_dep("hw-display-virtio-gpu-pci");
