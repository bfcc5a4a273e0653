/*
 * Xen memory lending: a section of guest-physical space backed by host
 * memory, as extents of whole pages ready to lend.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/xen/xen-lend.h"

static void emit(GArray *out, uint64_t gpa, uint64_t hva, uint64_t bytes,
                 uint32_t flags)
{
    XenLendExtent e = {
        .gfn = gpa >> XEN_LEND_PAGE_SHIFT,
        .uaddr = hva,
        .nr_pages = bytes >> XEN_LEND_PAGE_SHIFT,
        .flags = flags,
    };

    g_array_append_val(out, e);
}

uint64_t xen_lend_split_section(uint64_t gpa, uint64_t hva, uint64_t size,
                                GArray *out)
{
    uint64_t start, end, uaddr, start2m, end2m, whole = size;

    if (size == 0) {
        return 0;
    }
    /* A guest page can only be a host page if both sit at the same offset */
    if ((gpa ^ hva) & (XEN_LEND_PAGE_SIZE - 1)) {
        return size;
    }
    if (size > UINT64_MAX - gpa) {
        size = UINT64_MAX - gpa;
    }
    start = ROUND_UP(gpa, XEN_LEND_PAGE_SIZE);
    end = QEMU_ALIGN_DOWN(gpa + size, XEN_LEND_PAGE_SIZE);
    if (start >= end || start < gpa) {
        return whole;
    }
    uaddr = hva + (start - gpa);

    /*
     * Where gfn and uaddr are congruent mod 2 MiB, the aligned middle can be
     * 2 MiB pages on both sides; the head and tail stay 4 KiB pages.
     */
    start2m = ROUND_UP(start, XEN_LEND_2M_SIZE);
    end2m = QEMU_ALIGN_DOWN(end, XEN_LEND_2M_SIZE);
    if (!((start ^ uaddr) & (XEN_LEND_2M_SIZE - 1)) && start2m < end2m &&
        start2m >= start) {
        if (start < start2m) {
            emit(out, start, uaddr, start2m - start, 0);
        }
        emit(out, start2m, uaddr + (start2m - start), end2m - start2m,
             XEN_LEND_EXTENT_2M);
        if (end2m < end) {
            emit(out, end2m, uaddr + (end2m - start), end - end2m, 0);
        }
    } else {
        emit(out, start, uaddr, end - start, 0);
    }
    return whole - (end - start);
}
