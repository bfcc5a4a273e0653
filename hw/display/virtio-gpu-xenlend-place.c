/*
 * virtio-gpu-xenlend: 2 MiB placement of blob memory
 *
 * A guest frame and a host page can share a 2 MiB p2m entry only when
 * both addresses sit at the same offset within their 2 MiB page.  BAR4 is
 * aligned to its (power of two, >= 2 MiB) size, so the guest address of a
 * blob is congruent to its offset in the BAR; placing the host mapping at
 * an address congruent to that offset lets every whole 2 MiB run of the
 * blob be lent as a 2 MiB page.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/madvise.h"
#include "qemu/units.h"
#include "hw/virtio/virtio-gpu-xenlend-place.h"
#include <sys/mman.h>

bool xenlend_place_fd(int fd, uint64_t size, uint64_t guest_offset,
                      XenLendPlacedMap *map, Error **errp)
{
    size_t len = size + 2 * MiB;
    uintptr_t base, want;
    off_t end;
    void *r, *p;

    /*
     * A mapping past the fd's end faults (SIGBUS) on access: a renderer
     * that hands over a short fd must not take QEMU down with it.
     */
    end = lseek(fd, 0, SEEK_END);
    if (end < 0 || (uint64_t)end < size) {
        error_setg_errno(errp, end < 0 ? errno : 0, "the blob's fd holds %"
                         PRId64 " bytes, not its %" PRIu64, (int64_t)end,
                         size);
        return false;
    }

    r = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
             -1, 0);
    if (r == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot reserve %zu bytes", len);
        return false;
    }
    base = (uintptr_t)r;
    want = QEMU_ALIGN_DOWN(base, 2 * MiB) + (guest_offset & (2 * MiB - 1));
    if (want < base) {
        want += 2 * MiB;
    }
    p = mmap((void *)want, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
             fd, 0);
    if (p == MAP_FAILED) {
        error_setg_errno(errp, errno, "cannot map the blob's fd");
        munmap(r, len);
        return false;
    }
    /* best effort: shmem and dmabuf heaps may or may not give huge pages */
    qemu_madvise(p, size, QEMU_MADV_HUGEPAGE);
    map->reservation = r;
    map->reservation_len = len;
    map->addr = p;
    return true;
}

void xenlend_unplace(XenLendPlacedMap *map)
{
    if (map->reservation) {
        munmap(map->reservation, map->reservation_len);
        map->reservation = NULL;
        map->addr = NULL;
    }
}
