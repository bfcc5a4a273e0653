/*
 * virtio-gpu-xenlend: virtio-gpu whose host-visible memory is lent to Xen
 * guests instead of being trapped and emulated.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef HW_VIRTIO_GPU_XENLEND_H
#define HW_VIRTIO_GPU_XENLEND_H

#include "hw/virtio/virtio-gpu.h"
#include "hw/xen/xen-lend.h"
#include "hw/virtio/virtio-gpu-xenlend-place.h"
#include "qapi/qapi-types-common.h"
#include "qemu/qtree.h"
#include "qemu/units.h"
#include "qom/object.h"

#define TYPE_VIRTIO_GPU_XENLEND "virtio-gpu-xenlend-device"
typedef struct VirtIOGPUXenLend VirtIOGPUXenLend;
DECLARE_INSTANCE_CHECKER(VirtIOGPUXenLend, VIRTIO_GPU_XENLEND,
                         TYPE_VIRTIO_GPU_XENLEND)

#define TYPE_VIRTIO_GPU_XENLEND_PCI "virtio-gpu-xenlend-pci"

/* The hostmem BAR size when the user gives none. */
#define VIRTIO_GPU_XENLEND_DEFAULT_HOSTMEM (256 * MiB)

/* Why a mapped blob is where it is in host memory (for the counters). */
typedef enum XenLendPlacement {
    XENLEND_PLACED_2M,          /* at a 2 MiB-congruent host address */
    XENLEND_PLACED_4K_NO_FD,    /* no fd that maps it (none, or opaque) */
    XENLEND_PLACED_4K_SMALL,    /* smaller than 2 MiB */
    XENLEND_PLACED__MAX,
} XenLendPlacement;

typedef struct VirtIOGPUXenLendStats {
    uint64_t maps;              /* since start */
    uint64_t unmaps;
    uint64_t map_errors;        /* map requests refused */
    uint64_t maps_trapped;      /* lend=auto: blobs the kernel cannot lend */
    uint64_t blobs_mapped;      /* now */
    uint64_t bytes_mapped;      /* now */
    uint64_t bytes_placed[XENLEND_PLACED__MAX];  /* now */
    uint64_t trapped_reads;     /* lend=off: guest accesses emulated */
    uint64_t trapped_writes;
} VirtIOGPUXenLendStats;

typedef struct XenLendRegion XenLendRegion;

/* A blob mapped into BAR4, from map until its memory is released. */
typedef struct XenLendBlob {
    VirtIOGPUXenLend *x;
    uint32_t resource_id;
    uint64_t offset;            /* in BAR4 */
    uint64_t size;
    uint8_t *hva;
    XenLendPlacedMap placed;    /* our own mapping of the blob's fd */
    XenLendPlacement placement;
    XenLendRegion *region;      /* the last region made for it */
    /*
     * Regions over the memory not yet finalized: the current one, and one
     * whose lend failed and was replaced by trapping.  The memory is
     * released only when none is left ("revoke before release").
     */
    unsigned regions;
    bool dying;                 /* out of BAR4, memory not yet released */
    QTAILQ_ENTRY(XenLendBlob) next; /* in the dying list */
} XenLendBlob;

struct VirtIOGPUXenLend {
    VirtIOGPUGL parent_obj;

    OnOffAuto lend;             /* the user's choice */
    uint32_t max_mapped;        /* blobs mapped at once, at most */
    bool lending;               /* what realize settled on */
    XenLendClient *lend_client;
    bool lend_failure_reported; /* warned once; then guest_errors */
    GHashTable *blob_flags;     /* resource id -> blob_mem | flags << 16 */
    GHashTable *mapped;         /* resource id -> its blob in BAR4 */
    QTree *mapped_by_offset;    /* the same blobs, ordered, for overlaps */
    QTAILQ_HEAD(, XenLendBlob) dying; /* out of BAR4, not yet released */
    unsigned blobs_dying;
    /* blobs released, and how many the commands set aside have seen */
    uint64_t releases, releases_seen;
    QEMUBH *resume_bh;          /* a region went: release and resume */
    Error *migration_blocker;
    uint64_t log_window_ms;     /* rate limit of guest error messages */
    unsigned log_in_window;
    VirtIOGPUXenLendStats stats;
};

/*
 * Check the user's hostmem size: it becomes a PCI BAR, so it must be a
 * power of two, and the blobs placed in it are lent in whole pages.
 */
bool virtio_gpu_xenlend_check_hostmem(uint64_t hostmem, Error **errp);

/* hw/display/virtio-gpu-xenlend-blob.c: blob mapping and its lifecycle */
void xenlend_cmd_map_blob(VirtIOGPUXenLend *x,
                          struct virtio_gpu_ctrl_command *cmd);
void xenlend_cmd_unmap_blob(VirtIOGPUXenLend *x,
                            struct virtio_gpu_ctrl_command *cmd);
bool xenlend_map_must_wait(VirtIOGPUXenLend *x,
                           struct virtio_gpu_ctrl_command *cmd);
bool xenlend_unmap_resource(VirtIOGPUXenLend *x, uint32_t resource_id);
/* Take every blob out of the BAR (revoked); their memory goes later. */
void xenlend_remove_all_blobs(VirtIOGPUXenLend *x);
/*
 * Each mapped blob is a section of the FlatView, and QEMU's memory core
 * aborts at TARGET_PAGE_SIZE sections in one view: a guest must not be
 * able to map that many.  What the rest of the machine uses is left free.
 */
#define VIRTIO_GPU_XENLEND_MAX_MAPPED_LIMIT 3072
#define VIRTIO_GPU_XENLEND_DEFAULT_MAX_MAPPED 2048

bool xenlend_blob_is_mapped(VirtIOGPUXenLend *x, uint32_t resource_id);
/* Release blobs whose region is gone; true while others still wait. */
void xenlend_release_dead_blobs(VirtIOGPUXenLend *x);
void xenlend_forget_dying_blobs(VirtIOGPUXenLend *x);
void xenlend_blob_init(VirtIOGPUXenLend *x);
void xenlend_blob_fini(VirtIOGPUXenLend *x);
bool xenlend_lend_register(VirtIOGPUXenLend *x, Error **errp);

/* Rate-limited LOG_GUEST_ERROR for guest-controlled failures. */
void G_GNUC_PRINTF(2, 3) xenlend_guest_error(VirtIOGPUXenLend *x,
                                             const char *fmt, ...);

/* hw/display/virtio-gpu-xenlend-trap.c: lend=off, accesses emulated */
extern const MemoryRegionOps xenlend_trap_ops;

#endif
