/*
 * virtio-gpu-xenlend: between the main binary's QMP command and the
 * device, which may be a module
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_GPU_XENLEND_QMP_H
#define HW_VIRTIO_GPU_XENLEND_QMP_H

#include "qapi/qapi-types-xen-lend.h"

/* Set by the device's code when it is loaded: @obj's info, or NULL */
extern VirtIOGPUXenLendInfo *(*virtio_gpu_xenlend_info)(Object *obj);

#endif
