/*
 * xenlend-client: drives virtio-gpu-xenlend from inside a Linux guest
 * through the virtio-gpu DRM uAPI, as Mesa does: context init with the
 * virgl2 capset, HOST3D blobs created by a virgl resource-create command
 * carrying a blob id, VIRTGPU_MAP and mmap; writes patterns, reads them
 * back, unmaps and maps again; many blobs at once; and memcpy bandwidth
 * into a mapping and into ordinary memory.
 *
 * Prints one line "XENLEND-RESULT key=value ..." and exits non-zero on any
 * mismatch.  "xenlend-client hold N" instead maps N blobs and keeps them
 * until it is killed, for tests of a guest that exits with blobs mapped.
 * Static, no libdrm: raw ioctls.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <drm/drm.h>
#include <drm/virtgpu_drm.h>

/* Linux's privcmd uAPI (include/uapi/xen/privcmd.h), for one hypercall */
struct privcmd_hypercall {
    uint64_t op;
    uint64_t arg[5];
};
#define IOCTL_PRIVCMD_HYPERCALL \
    _IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
#define HYPERVISOR_xen_version 17
#define XENVER_get_features 6   /* reads and writes 8 bytes at arg */
/* Xen's public grant_table.h, for GNTTABOP_copy between frames of ours */
#define HYPERVISOR_grant_table_op 20
#define GNTTABOP_copy 5
#define DOMID_SELF 0x7ff0
/* Xen's public memory.h, for the ways a guest gives back its memory */
#define HYPERVISOR_memory_op 12
#define XENMEM_decrease_reservation 1
#define XENMEM_populate_physmap 6
#define XENMEM_remove_from_physmap 15
struct xen_memory_reservation {
    uint64_t extent_start;      /* XEN_GUEST_HANDLE(xen_pfn_t) */
    uint64_t nr_extents;
    uint32_t extent_order;
    uint32_t mem_flags;
    uint16_t domid;
};
struct xen_remove_from_physmap {
    uint16_t domid;
    uint64_t gpfn;
};
#define GNTST_bad_page (-9)
struct gnttab_copy_ptr {
    uint64_t gmfn;
    uint16_t domid;
    uint16_t offset;
};
struct gnttab_copy {
    struct gnttab_copy_ptr source, dest;
    uint16_t len;
    uint16_t flags;
    int16_t status;
};
#define HOSTMEM_BAR 4

#define MiB (1024 * 1024)
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE 48
#define VIRGL_PIPE_RES_CREATE_SIZE 11
#define VIRGL_FORMAT_R8_UNORM 64
#define VIRGL_BIND_VERTEX_BUFFER (1 << 4)
#define VIRGL_RESOURCE_FLAG_MAP_PERSISTENT (1 << 1)
#define VIRGL_RESOURCE_FLAG_MAP_COHERENT (1 << 2)
#define CAPSET_VIRGL2 2
#define MANY 256

static int fd;
static unsigned blob_id;
static unsigned long checks, blobs_made, churn_rounds;

static void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    printf("XENLEND-RESULT ok=0 error=\"");
    vprintf(fmt, ap);
    printf("\" errno=%d\n", errno);
    va_end(ap);
    fflush(stdout);
    exit(1);
}

static uint64_t getparam(uint64_t param)
{
    int value = 0;
    struct drm_virtgpu_getparam gp = { .param = param,
                                       .value = (uintptr_t)&value };

    if (ioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &gp)) {
        fail("GETPARAM %llu", (unsigned long long)param);
    }
    return value;
}

typedef struct Blob {
    uint32_t handle;
    uint64_t size;
    uint8_t *map;
} Blob;

static void blob_create(Blob *b, uint64_t size)
{
    uint32_t cmd[VIRGL_PIPE_RES_CREATE_SIZE + 1] = {
        VIRGL_CCMD_PIPE_RESOURCE_CREATE | VIRGL_PIPE_RES_CREATE_SIZE << 16,
        0 /* PIPE_BUFFER */, VIRGL_FORMAT_R8_UNORM, VIRGL_BIND_VERTEX_BUFFER,
        (uint32_t)size, 1, 1, 1, 0, 0,
        VIRGL_RESOURCE_FLAG_MAP_PERSISTENT | VIRGL_RESOURCE_FLAG_MAP_COHERENT,
        ++blob_id,
    };
    struct drm_virtgpu_resource_create_blob rc = {
        .blob_mem = VIRTGPU_BLOB_MEM_HOST3D,
        .blob_flags = VIRTGPU_BLOB_FLAG_USE_MAPPABLE,
        .size = size,
        .cmd_size = sizeof(cmd),
        .cmd = (uintptr_t)cmd,
        .blob_id = blob_id,
    };

    if (ioctl(fd, DRM_IOCTL_VIRTGPU_RESOURCE_CREATE_BLOB, &rc)) {
        fail("RESOURCE_CREATE_BLOB of %llu bytes", (unsigned long long)size);
    }
    b->handle = rc.bo_handle;
    b->size = size;
    b->map = NULL;
    blobs_made++;
}

static void blob_map(Blob *b)
{
    struct drm_virtgpu_map m = { .handle = b->handle };

    if (ioctl(fd, DRM_IOCTL_VIRTGPU_MAP, &m)) {
        fail("VIRTGPU_MAP");
    }
    b->map = mmap(NULL, b->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                  m.offset);
    if (b->map == MAP_FAILED) {
        fail("mmap of %llu bytes", (unsigned long long)b->size);
    }
}

static void blob_unmap(Blob *b)
{
    munmap(b->map, b->size);
    b->map = NULL;
}

static void blob_free(Blob *b)
{
    struct drm_gem_close gc = { .handle = b->handle };

    if (b->map) {
        blob_unmap(b);
    }
    if (ioctl(fd, DRM_IOCTL_GEM_CLOSE, &gc)) {
        fail("GEM_CLOSE");
    }
}

static uint64_t pattern(uint64_t i, uint32_t seed)
{
    return (i * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)seed << 32) ^ seed;
}

static void write_pattern(Blob *b, uint32_t seed)
{
    uint64_t *p = (uint64_t *)b->map;

    for (uint64_t i = 0; i < b->size / 8; i++) {
        p[i] = pattern(i, seed);
    }
}

static uint64_t count_bad(Blob *b, uint32_t seed, uint64_t *first,
                          uint64_t *last, uint64_t *pages)
{
    /* volatile: each word is one guest access the device must serve */
    volatile uint64_t *p = (volatile uint64_t *)b->map;
    uint64_t bad = 0, page = UINT64_MAX;

    *pages = 0;
    for (uint64_t i = 0; i < b->size / 8; i++) {
        if (p[i] != pattern(i, seed)) {
            if (!bad++) {
                *first = i * 8;
            }
            *last = i * 8;
            if (i * 8 / 4096 != page) {
                page = i * 8 / 4096;
                ++*pages;
            }
        }
    }
    return bad;
}

static void check_pattern(Blob *b, uint32_t seed, const char *when)
{
    uint64_t *p = (uint64_t *)b->map;
    uint64_t first = 0, last = 0, pages, bad, again;
    uint64_t got;

    for (uint64_t i = 0; i < b->size / 8; i++) {
        if (p[i] == pattern(i, seed)) {
            continue;
        }
        /* say whether the data is lost or a read went astray, and how much */
        got = p[i];
        bad = count_bad(b, seed, &first, &last, &pages);
        usleep(100000);
        again = count_bad(b, seed, &first, &last, &pages);
        fail("%s: blob of %llu bytes differs at byte %llu: 0x%llx, "
             "not 0x%llx; %llu words in %llu pages differ (bytes %llu..%llu)"
             ", %llu still 0.1 s later", when, (unsigned long long)b->size,
             (unsigned long long)i * 8, (unsigned long long)got,
             (unsigned long long)pattern(i, seed), (unsigned long long)bad,
             (unsigned long long)pages, (unsigned long long)first,
             (unsigned long long)last, (unsigned long long)again);
    }
    checks++;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* MB/s of memcpy into @dst, over at least @min_s seconds */
static double bandwidth(void *dst, const void *src, size_t len, double min_s)
{
    double t0 = now(), t;
    unsigned long n = 0;

    do {
        memcpy(dst, src, len);
        n++;
        t = now() - t0;
    } while (t < min_s);
    return n * (double)len / MiB / t;
}

/*
 * Under Xen, a hypercall that writes into @buf: 0, or -errno.  A lent page
 * is not RAM to Xen (p2m_mmio_direct), so it must be refused (-EFAULT)
 * where the same call into ordinary memory works.  1 off Xen.
 */
static int hypercall_into(void *buf)
{
    struct privcmd_hypercall h = {
        .op = HYPERVISOR_xen_version,
        .arg = { XENVER_get_features, (uintptr_t)buf },
    };
    int priv = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC), ret;

    if (priv < 0) {
        return 1;
    }
    ret = ioctl(priv, IOCTL_PRIVCMD_HYPERCALL, &h);
    ret = ret < 0 ? -errno : 0;
    close(priv);
    return ret;
}

/*
 * Guest memory the client does not touch on purpose, checked after each
 * phase: a pattern-filled canary in our own RAM and the page cache of
 * /bin/busybox against a second copy (the test guest's initramfs has
 * both).  Under nested Xen, busybox was seen to crash after a trapped
 * run; this says which phase overwrote what (@damaged: the first).
 */
#define CANARY_BYTES (32 * MiB)
static uint64_t *canary;
static const char *damaged;

static void report_file_damage(const char *phase)
{
    static uint8_t a[65536], b[65536];
    FILE *fa = fopen("/bin/busybox", "r"), *fb = fopen("/busybox.ref", "r");
    size_t na, nb;
    long off = 0;
    int shown = 0;

    if (!fa || !fb) {
        goto out;
    }
    while ((na = fread(a, 1, sizeof(a), fa)) > 0 &&
           (nb = fread(b, 1, sizeof(b), fb)) == na) {
        for (size_t i = 0; i < na && shown < 8; i++) {
            if (a[i] != b[i]) {
                printf("XENLEND-DAMAGE phase=%s file=busybox off=0x%lx "
                       "got=0x%02x want=0x%02x\n", phase, off + (long)i,
                       a[i], b[i]);
                shown++;
                damaged = damaged ? damaged : phase;
                i |= 7; /* one line per damaged word */
            }
        }
        off += na;
    }
out:
    if (fa) {
        fclose(fa);
    }
    if (fb) {
        fclose(fb);
    }
}

static void check_untouched(const char *phase)
{
    int shown = 0;

    if (!canary) {
        canary = malloc(CANARY_BYTES);
        for (size_t i = 0; canary && i < CANARY_BYTES / 8; i++) {
            canary[i] = pattern(i, 0xca5a);
        }
    }
    for (size_t i = 0; canary && i < CANARY_BYTES / 8 && shown < 8; i++) {
        if (canary[i] != pattern(i, 0xca5a)) {
            printf("XENLEND-DAMAGE phase=%s canary word %zu got=0x%llx\n",
                   phase, i, (unsigned long long)canary[i]);
            canary[i] = pattern(i, 0xca5a);
            damaged = damaged ? damaged : phase;
            shown++;
        }
    }
    report_file_damage(phase);
    fflush(stdout);
}

/* The guest frame of a mapped, touched page of ours (root only) */
static uint64_t gfn_of(void *va)
{
    uint64_t entry = 0;
    int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

    if (pm < 0 || pread(pm, &entry, 8, (uintptr_t)va / 4096 * 8) != 8) {
        fail("pagemap");
    }
    close(pm);
    if (!(entry >> 63) || !(entry & ((1ULL << 55) - 1))) {
        fail("pagemap shows no frame");
    }
    return entry & ((1ULL << 55) - 1);
}

static long memory_op(int priv, unsigned cmd, void *arg)
{
    struct privcmd_hypercall h = {
        .op = HYPERVISOR_memory_op, .arg = { cmd, (uintptr_t)arg },
    };
    long ret = ioctl(priv, IOCTL_PRIVCMD_HYPERCALL, &h);

    return ret < 0 ? -errno : ret;
}

/*
 * Under Xen, the ways a guest gives back or replaces its own memory, on
 * @gfn, a lent page: remove_from_physmap (its -errno in memop_remove),
 * decrease_reservation and, where XENLEND_MEMOPS=populate,
 * populate_physmap (the extents each did in memop_decrease,
 * memop_populate; -1 for not tried).  A lent page is not the guest's: all
 * must be refused.  populate_physmap only where Xen has the lending
 * patches: over a phase-1 p2m_mmio_direct entry Xen crashes the guest.
 */
static uint64_t memop_gfn;
static long memop_remove = -1, memop_decrease = -1, memop_populate = -1;

static void memops_on(uint64_t gfn)
{
    int priv = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    const char *memops = getenv("XENLEND_MEMOPS");
    uint64_t frame;
    struct xen_memory_reservation r = {
        .extent_start = (uintptr_t)&frame, .nr_extents = 1,
        .domid = DOMID_SELF,
    };
    struct xen_remove_from_physmap x = { .domid = DOMID_SELF, .gpfn = gfn };

    if (priv < 0) {
        return;
    }
    memop_gfn = gfn;
    memop_remove = memory_op(priv, XENMEM_remove_from_physmap, &x);
    frame = gfn;
    memop_decrease = memory_op(priv, XENMEM_decrease_reservation, &r);
    if (memops && !strcmp(memops, "populate")) {
        frame = gfn;
        memop_populate = memory_op(priv, XENMEM_populate_physmap, &r);
    }
    close(priv);
}

/* The hostmem BAR's first frame, from the render node's PCI resources */
static uint64_t hostmem_bar_gfn(uint64_t *pages)
{
    FILE *f = fopen("/sys/class/drm/renderD128/device/resource", "r");
    unsigned long long start = 0, end = 0, flags;

    for (int i = 0; f && i <= HOSTMEM_BAR; i++) {
        if (fscanf(f, "%llx %llx %llx", &start, &end, &flags) != 3) {
            fail("PCI resources");
        }
    }
    if (!f || !start) {
        fail("no hostmem BAR");
    }
    fclose(f);
    *pages = (end + 1 - start) / 4096;
    return start / 4096;
}

/*
 * Under Xen, GNTTABOP_copy of one page from each frame of the hostmem BAR
 * (the caller keeps a blob mapped there) into a guest RAM page of
 * ours: the grant code looks each source frame up as it looks up a frame
 * the guest grants.  A lent page is no RAM of the guest's, so no copy may
 * succeed (*copied stays 0); a RAM-to-RAM copy must.  Returns the status
 * of the RAM-to-RAM copy, 1 off Xen.
 */
static int grant_copy_from_bar(long *copied, int *status)
{
    static struct gnttab_copy op[512];
    struct privcmd_hypercall h = {
        .op = HYPERVISOR_grant_table_op,
        .arg = { GNTTABOP_copy, (uintptr_t)op, 1 },
    };
    int priv = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
    uint64_t ram_gfn, bar, pages;
    uint8_t *ram, *ram2;
    int ram_status;

    *copied = 0;
    *status = 0;
    if (priv < 0) {
        return 1;
    }
    /* whole pages of our own: the copies overwrite them */
    ram = aligned_alloc(4096, 2 * 4096);
    ram2 = ram + 4096;
    if (!ram || mlock(ram, 2 * 4096)) {
        fail("mlock");
    }
    memset(ram, 0xa5, 4096);
    memset(ram2, 0, 4096);
    ram_gfn = gfn_of(ram);
    op[0] = (struct gnttab_copy) {
        .source = { gfn_of(ram2), DOMID_SELF, 0 },
        .dest = { ram_gfn, DOMID_SELF, 0 }, .len = 4096,
    };
    if (ioctl(priv, IOCTL_PRIVCMD_HYPERCALL, &h) < 0) {
        fail("GNTTABOP_copy from RAM to RAM");
    }
    ram_status = op[0].status;
    if (ram_status == 0 && ram[0] != 0) {
        fail("GNTTABOP_copy succeeded and copied nothing");
    }
    bar = hostmem_bar_gfn(&pages);
    for (uint64_t i = 0; i < pages; i += 512) {
        int n = pages - i < 512 ? pages - i : 512;

        for (int j = 0; j < n; j++) {
            op[j] = (struct gnttab_copy) {
                .source = { bar + i + j, DOMID_SELF, 0 },
                .dest = { ram_gfn, DOMID_SELF, 0 }, .len = 4096,
            };
        }
        h.arg[2] = n;
        if (ioctl(priv, IOCTL_PRIVCMD_HYPERCALL, &h) < 0) {
            fail("GNTTABOP_copy from the hostmem BAR");
        }
        for (int j = 0; j < n; j++) {
            if (op[j].status == 0) {
                ++*copied;
            } else if (!*status) {
                *status = op[j].status;
            }
        }
    }
    close(priv);
    munlock(ram, 2 * 4096);
    free(ram);
    return ram_status;
}

/*
 * Revoke before release, as the guest sees it.  A second view of a mapped
 * blob's frames, through the hostmem BAR's sysfs resource (the guest needs
 * iomem=relaxed), shows the blob's data; once the blob is freed, the same
 * frames must show none of it, also after a new blob has been mapped.
 * The driver sends the unmap when it drops the blob's last reference,
 * which may be after GEM_CLOSE returns, so the view is watched until the
 * data is gone (10 s at most).  Two words a page are looked at: under Xen
 * each read of a revoked frame is an ioreq.
 * @seen: words of the data the view showed while the blob was mapped
 * (STALE_WORDS, or the view is not of the blob).  Returns the words of it
 * still seen at the end.
 */
#define STALE_PAGES 16
#define STALE_WORDS (STALE_PAGES * 2)

/* @view is device memory: volatile, so that every read happens */
static uint64_t stale_words(volatile uint64_t *view)
{
    uint64_t n = 0;

    for (uint64_t i = 0; i < STALE_PAGES * 512; i += 256) {
        n += view[i] == pattern(i, 4242);
    }
    return n;
}

static uint64_t stale_after_free(uint64_t *seen)
{
    char path[64];
    uint64_t pages, at, stale;
    volatile uint64_t *bar; /* device memory: every read must happen */
    double deadline;
    Blob b, next;
    int res;

    blob_create(&b, STALE_PAGES * 4096);
    blob_map(&b);
    write_pattern(&b, 4242);
    hostmem_bar_gfn(&pages);
    snprintf(path, sizeof(path), "/sys/class/drm/renderD128/device/resource%d",
             HOSTMEM_BAR);
    res = open(path, O_RDONLY | O_SYNC | O_CLOEXEC);
    if (res < 0) {
        fail("open %s", path);
    }
    bar = mmap(NULL, pages * 4096, PROT_READ, MAP_SHARED, res, 0);
    if (bar == MAP_FAILED) {
        fail("mmap of the hostmem BAR (iomem=relaxed missing?)");
    }
    close(res);
    /*
     * Where the driver put the blob is not for user space to know (the
     * BAR mapping is VM_PFNMAP: pagemap shows no frame), so look for its
     * first word, page by page; it is the only blob in the BAR now.
     */
    for (at = 0; at < pages; at++) {
        if (bar[at * 512] == pattern(0, 4242)) {
            break;
        }
    }
    if (at + STALE_PAGES > pages) {
        fail("the blob's data is nowhere in the hostmem BAR");
    }
    /* the guest tries to take the lent page for itself; *seen shows
     * whether its data survived that */
    memops_on(hostmem_bar_gfn(&pages) + at);
    *seen = stale_words(bar + at * 512);

    blob_free(&b);
    deadline = now() + 10;
    while ((stale = stale_words(bar + at * 512)) && now() < deadline) {
        usleep(10000);
    }
    /* the device may give the new blob @b's memory, or its place */
    blob_create(&next, 4096);
    blob_map(&next);
    write_pattern(&next, 4343);
    stale += stale_words(bar + at * 512);
    munmap((void *)bar, pages * 4096);
    blob_free(&next);
    return stale;
}

/*
 * Reads and writes of one mapped blob while a second process maps and
 * frees other blobs: each map and unmap changes the memory map under the
 * accesses.  It caught QEMU's TCG decoding old TLB entries against a new
 * section table (patches/0012): with lend=off a read returned 0 or a
 * write was lost about once a second.
 */
static void churn(double seconds)
{
    double end = now() + seconds;
    uint32_t seed = 77;
    int status;
    pid_t pid;
    Blob b, low;

    /*
     * The other blobs go below @b, into the hole @low leaves: that is what
     * renumbers @b's section each time.
     */
    blob_create(&low, 4096);
    blob_map(&low);
    blob_create(&b, 64 * 1024);
    blob_map(&b);
    blob_free(&low);
    pid = fork();
    if (pid < 0) {
        fail("fork");
    }
    if (pid == 0) {
        while (now() < end) {
            Blob other;

            blob_create(&other, 4096);
            blob_map(&other);
            other.map[0] = 1;
            blob_free(&other);
        }
        fflush(stdout);
        _exit(0);
    }
    while (now() < end) {
        write_pattern(&b, ++seed);
        check_pattern(&b, seed, "while other blobs come and go");
        churn_rounds++;
    }
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fail("the churning child failed");
    }
    blob_free(&b);
}

int main(int argc, char **argv)
{
    uint64_t max_size = 64 * MiB, bw_size = 4 * MiB;
    double churn_seconds = 3;
    int many_count = MANY;
    struct drm_virtgpu_context_set_param cp = {
        .param = VIRTGPU_CONTEXT_PARAM_CAPSET_ID, .value = CAPSET_VIRGL2,
    };
    struct drm_virtgpu_context_init ci = {
        .num_params = 1, .ctx_set_params = (uintptr_t)&cp,
    };
    static uint8_t caps[65536];
    struct drm_virtgpu_get_caps gc = {
        .cap_set_id = CAPSET_VIRGL2, .cap_set_ver = 2,
        .addr = (uintptr_t)caps, .size = sizeof(caps),
    };
    Blob many[MANY], b;
    double bw_blob, bw_ram, rd_blob, rd_ram;
    int hcall_ram, hcall_blob, gcopy_ram, gcopy_bar_status;
    long gcopy_bar_ok;
    uint64_t stale, stale_seen;
    uint8_t *src, *ram;

    bool hold = argc > 1 && !strcmp(argv[1], "hold");

    if (hold) {
        /* "hold N": keep N blobs mapped until killed (guest exit tests) */
        many_count = argc > 2 ? atoi(argv[2]) : 4;
        if (many_count < 1 || many_count > MANY) {
            fail("usage: xenlend-client hold [1..%d]", MANY);
        }
    } else if ((argc > 1 && sscanf(argv[1], "%" SCNu64, &max_size) != 1) ||
        (argc > 2 && sscanf(argv[2], "%" SCNu64, &bw_size) != 1) ||
        (argc > 3 && sscanf(argv[3], "%lf", &churn_seconds) != 1) ||
        (argc > 4 && (sscanf(argv[4], "%d", &many_count) != 1 ||
                      many_count < 1 || many_count > MANY))) {
        fail("usage: xenlend-client [MAX_BLOB_BYTES [BANDWIDTH_BYTES "
             "[CHURN_SECONDS [MANY_BLOBS]]]]");
    }
    fd = open("/dev/dri/renderD128", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        fail("open /dev/dri/renderD128");
    }
    if (!getparam(VIRTGPU_PARAM_3D_FEATURES) ||
        !getparam(VIRTGPU_PARAM_RESOURCE_BLOB) ||
        !getparam(VIRTGPU_PARAM_HOST_VISIBLE) ||
        !getparam(VIRTGPU_PARAM_CONTEXT_INIT)) {
        fail("the device lacks 3D, blob, host-visible or context-init");
    }
    /* like Mesa: the caps first; the renderer fills its own then */
    if (ioctl(fd, DRM_IOCTL_VIRTGPU_GET_CAPS, &gc)) {
        fail("GET_CAPS virgl2");
    }
    if (ioctl(fd, DRM_IOCTL_VIRTGPU_CONTEXT_INIT, &ci)) {
        fail("CONTEXT_INIT virgl2");
    }

    if (hold) {
        for (int i = 0; i < many_count; i++) {
            blob_create(&many[i], 64 * 1024);
            blob_map(&many[i]);
            write_pattern(&many[i], 7000 + i);
        }
        check_untouched("after the client");
        printf("XENLEND-HOLD %d blobs mapped damaged=%s\n", many_count,
               damaged ? damaged : "none");
        fflush(stdout);
        /*
         * Until killed, every 5 s: the held blobs still read what was
         * written, and a new blob maps, reads back and unmaps.  Whatever
         * the host does meanwhile (the Xen bed's refused xl save), the
         * guest and its device must carry on.
         */
        for (unsigned round = 1;; round++) {
            sleep(5);
            for (int i = 0; i < many_count; i++) {
                check_pattern(&many[i], 7000 + i, "held blob");
            }
            blob_create(&b, 64 * 1024);
            blob_map(&b);
            write_pattern(&b, 9000 + round);
            check_pattern(&b, 9000 + round, "blob mapped while holding");
            blob_free(&b);
            printf("XENLEND-HOLD-CHECK round=%u ok\n", round);
            fflush(stdout);
        }
    }

    check_untouched("start");
    /* sizes from 4 KiB up: write, read, unmap, map again, read again */
    for (uint64_t size = 4096; size <= max_size; size *= 4) {
        blob_create(&b, size);
        blob_map(&b);
        write_pattern(&b, size);
        check_pattern(&b, size, "after write");
        blob_unmap(&b);
        blob_map(&b);
        check_pattern(&b, size, "after unmap and map");
        blob_free(&b);
    }

    check_untouched("sizes");
    churn(churn_seconds);
    check_untouched("churn");

    /* many blobs mapped at once, each with its own data */
    for (int i = 0; i < many_count; i++) {
        blob_create(&many[i], 4096 << (i % 4));
        blob_map(&many[i]);
        write_pattern(&many[i], 1000 + i);
    }
    for (int i = 0; i < many_count; i++) {
        check_pattern(&many[i], 1000 + i, "with many blobs mapped");
    }
    for (int i = 0; i < many_count; i++) {
        blob_free(&many[i]);
    }
    check_untouched("many");

    /* guest write bandwidth: into a mapped blob, and into guest RAM */
    src = malloc(bw_size);
    ram = malloc(bw_size);
    memset(src, 0x5a, bw_size);
    memset(ram, 0, bw_size);
    blob_create(&b, bw_size);
    blob_map(&b);
    bw_blob = bandwidth(b.map, src, bw_size, 1.0);
    bw_ram = bandwidth(ram, src, bw_size, 1.0);
    if (memcmp(b.map, src, bw_size)) {
        fail("bandwidth copy differs");
    }
    rd_blob = bandwidth(ram, b.map, bw_size, 1.0);
    rd_ram = bandwidth(ram, src, bw_size, 1.0);
    check_untouched("bandwidth");
    memset(ram, 0, 8);
    hcall_ram = hypercall_into(ram);
    memset(b.map, 0, 8);
    hcall_blob = hypercall_into(b.map);
    gcopy_ram = grant_copy_from_bar(&gcopy_bar_ok,
                                    &gcopy_bar_status);
    blob_free(&b);
    check_untouched("hypercalls");
    stale = stale_after_free(&stale_seen);
    check_untouched("stale view");

    printf("XENLEND-RESULT ok=1 blobs=%lu checks=%lu max_size=%llu "
           "churn_rounds=%lu bw_blob_mbs=%.3f bw_ram_mbs=%.1f "
           "rd_blob_mbs=%.3f rd_ram_mbs=%.1f hcall_ram=%d hcall_blob=%d "
           "gcopy_ram=%d gcopy_bar_ok=%ld gcopy_bar_status=%d "
           "stale_words=%d stale_seen=%" PRIu64 " stale=%" PRIu64
           " memop_gfn=%#" PRIx64 " memop_remove=%ld memop_decrease=%ld"
           " memop_populate=%ld damaged=%s\n",
           blobs_made, checks, (unsigned long long)max_size, churn_rounds,
           bw_blob, bw_ram, rd_blob, rd_ram, hcall_ram, hcall_blob,
           gcopy_ram, gcopy_bar_ok, gcopy_bar_status, STALE_WORDS,
           stale_seen, stale, memop_gfn, memop_remove, memop_decrease,
           memop_populate, damaged ? damaged : "none");
    fflush(stdout);
    return 0;
}
