/*
 * virtio-gpu-xenlend: virtio-gpu whose host-visible memory is lent to Xen
 * guests instead of being trapped and emulated.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_GPU_XENLEND_H
#define HW_VIRTIO_GPU_XENLEND_H

#include "hw/virtio/virtio-gpu.h"
#include "qemu/units.h"
#include "qom/object.h"

#define TYPE_VIRTIO_GPU_XENLEND "virtio-gpu-xenlend-device"
OBJECT_DECLARE_SIMPLE_TYPE(VirtIOGPUXenLend, VIRTIO_GPU_XENLEND)

#define TYPE_VIRTIO_GPU_XENLEND_PCI "virtio-gpu-xenlend-pci"

/* The hostmem BAR size when the user gives none. */
#define VIRTIO_GPU_XENLEND_DEFAULT_HOSTMEM (256 * MiB)

struct VirtIOGPUXenLend {
    VirtIOGPU parent_obj;
};

/*
 * Check the user's hostmem size: it becomes a PCI BAR, so it must be a
 * power of two, and the blobs placed in it are lent in whole pages.
 */
bool virtio_gpu_xenlend_check_hostmem(uint64_t hostmem, Error **errp);

#endif
