/*
 * virtio-gpu-xenlend: placing a blob's memory at a host address congruent
 * to its guest address mod 2 MiB, so it can be lent as 2 MiB pages.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_GPU_XENLEND_PLACE_H
#define HW_VIRTIO_GPU_XENLEND_PLACE_H

typedef struct XenLendPlacedMap {
    void *reservation;          /* what to munmap */
    size_t reservation_len;
    void *addr;                 /* the blob's memory */
} XenLendPlacedMap;

/*
 * mmap @size bytes of @fd (shared, read/write) at an address congruent to
 * @guest_offset mod 2 MiB, asking for huge pages.
 */
bool xenlend_place_fd(int fd, uint64_t size, uint64_t guest_offset,
                      XenLendPlacedMap *map, Error **errp);
void xenlend_unplace(XenLendPlacedMap *map);

#endif
