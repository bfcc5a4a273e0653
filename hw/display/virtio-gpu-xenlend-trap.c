/*
 * virtio-gpu-xenlend: lend=off, the blob as MMIO
 *
 * Without lending, every guest access to a mapped blob is emulated: under
 * Xen it arrives as an ioreq, off Xen through these callbacks, which copy
 * to and from the blob's memory.  This is today's Xen behaviour, kept as
 * the baseline that lending is measured against.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "hw/virtio/virtio-gpu-xenlend.h"

static uint64_t xenlend_trap_read(void *opaque, hwaddr addr, unsigned size)
{
    XenLendBlob *b = opaque;

    if (b->x) {                 /* NULL: forgotten at unplug, still held */
        b->x->stats.trapped_reads++;
    }
    /* the region is exactly the blob's size: the core keeps addr inside */
    return ldn_le_p(b->hva + addr, size);
}

static void xenlend_trap_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    XenLendBlob *b = opaque;

    if (b->x) {
        b->x->stats.trapped_writes++;
    }
    stn_le_p(b->hva + addr, size, val);
}

const MemoryRegionOps xenlend_trap_ops = {
    .read = xenlend_trap_read,
    .write = xenlend_trap_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 1,
    .valid.max_access_size = 8,
    .impl.min_access_size = 1,
    .impl.max_access_size = 8,
};
