/*
 * A lender that does not play by the rules, for the Xen test bed
 * (tests/xen/dom0-init, MODE "hostile"): it lends its own memory to a
 * guest through /dev/xen/lend and then frees it without revoking.  The
 * module's MMU notifier must revoke first, so that the guest never sees
 * what dom0 puts in those frames next.
 *
 *   lend-hostile munmap DOMID GFN PAGES   anonymous memory, munmap'd
 *   lend-hostile exit DOMID GFN PAGES     anonymous memory, the process exits
 *   lend-hostile udmabuf DOMID GFN PAGES  a udmabuf's VM_PFNMAP mapping,
 *                                         munmap'd
 *   lend-hostile bar DOMID GFN PAGES RESOURCE
 *                                         I/O memory: a PCI BAR's sysfs
 *                                         resource file (VM_IO, VM_PFNMAP,
 *                                         as a GPU's VRAM), munmap'd
 *   lend-hostile twice DOMID GFN PAGES    two LENDs through one handle, the
 *                                         second of other memory at GFN +
 *                                         PAGES, a SIGUSR1 apart; then exit
 *   lend-hostile fill PFN_FILE            reuse: fill fresh memory until it
 *                                         holds frames of PFN_FILE, count
 *                                         them
 *   lend-hostile cycle DOMID GFN PAGES ROUNDS
 *                                         invalidate + re-lend, timed
 *
 * Each lends PAGES pages at GFN, page i holding the 32-bit word
 * 0xfeedK0ii (K: 0 munmap, 1 exit, 2 udmabuf, 3 bar) throughout; "fill" writes
 * 0xdead00ii.  Steps are printed on stdout ("LENT", "UNMAPPED", ...) and
 * the next one waits for SIGUSR1, so that the bed can look at the guest
 * in between.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/udmabuf.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hw/xen/xen-lend-abi.h"

#define PAGE 4096
#define FILL_BYTES (256u << 20)
#define FILL_CHUNK (32u << 20)

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("lend-hostile: ", stdout);
    vprintf(fmt, ap);
    printf(": %s\n", strerror(errno));
    va_end(ap);
    exit(1);
}

static void step(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
    va_end(ap);
}

static void wait_usr1(void)
{
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigwait(&set, &sig);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void fill(void *mem, unsigned pages, uint32_t tag)
{
    for (unsigned i = 0; i < pages; i++) {
        uint32_t *w = (uint32_t *)((char *)mem + (size_t)i * PAGE);

        for (unsigned j = 0; j < PAGE / 4; j++) {
            w[j] = tag | (i & 0xff);
        }
    }
}

/* dom0's pfn of each page (pagemap: root sees the frames) */
static void pfns_of(void *mem, unsigned pages, uint64_t *pfn)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);

    if (fd < 0) {
        die("open pagemap");
    }
    for (unsigned i = 0; i < pages; i++) {
        uint64_t e = 0;
        off_t at = ((uintptr_t)mem / PAGE + i) * sizeof(e);

        if (pread(fd, &e, sizeof(e), at) != sizeof(e)) {
            die("read pagemap");
        }
        pfn[i] = (e >> 63) ? e & ((1ull << 55) - 1) : 0;
    }
    close(fd);
}

static int lend_open(unsigned domid)
{
    struct privcmd_lend_open op = {
        .version = PRIVCMD_LEND_VERSION,
        .domid = domid,
    };
    int dev = open("/dev/xen/lend", O_RDWR | O_CLOEXEC);
    int h;

    if (dev < 0) {
        die("open /dev/xen/lend");
    }
    h = ioctl(dev, IOCTL_PRIVCMD_LEND_OPEN, &op);
    if (h < 0) {
        die("LEND_OPEN d%u", domid);
    }
    close(dev);
    return h;
}

static void lend(int h, uint64_t gfn, void *mem, unsigned pages)
{
    struct privcmd_lend_extent ext = {
        .gfn = gfn,
        .uaddr = (uintptr_t)mem,
        .nr_pages = pages,
    };
    struct privcmd_lend_batch batch = {
        .extents = (uintptr_t)&ext,
        .nr = 1,
    };

    if (ioctl(h, IOCTL_PRIVCMD_LEND_LEND, &batch)) {
        die("LEND gfn %#" PRIx64 " x%u", gfn, pages);
    }
}

static void *anon(size_t bytes)
{
    void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (mem == MAP_FAILED) {
        die("mmap %zu", bytes);
    }
    return mem;
}

/* A udmabuf over a memfd, mapped through the dmabuf: VM_PFNMAP in 6.12 */
static void *udmabuf_map(unsigned pages, int *dmabuf)
{
    struct udmabuf_create create = { .size = (uint64_t)pages * PAGE };
    int dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
    int memfd = memfd_create("lend-hostile", MFD_ALLOW_SEALING);
    void *mem;

    if (dev < 0 || memfd < 0 || ftruncate(memfd, create.size) ||
        fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
        die("udmabuf's memfd");
    }
    create.memfd = memfd;
    *dmabuf = ioctl(dev, UDMABUF_CREATE, &create);
    if (*dmabuf < 0) {
        die("UDMABUF_CREATE");
    }
    close(memfd);
    close(dev);
    mem = mmap(NULL, create.size, PROT_READ | PROT_WRITE, MAP_SHARED,
               *dmabuf, 0);
    if (mem == MAP_FAILED) {
        die("mmap of the udmabuf");
    }
    return mem;
}

/* A PCI BAR, mapped as a user-space GPU driver maps VRAM */
static void *bar_map(const char *resource, unsigned pages)
{
    int fd = open(resource, O_RDWR | O_CLOEXEC);
    void *mem;

    if (fd < 0) {
        die("open %s", resource);
    }
    mem = mmap(NULL, (size_t)pages * PAGE, PROT_READ | PROT_WRITE,
               MAP_SHARED, fd, 0);
    if (mem == MAP_FAILED) {
        die("mmap of %s", resource);
    }
    close(fd);
    return mem;
}

static void pin_to_cpu0(void)
{
    cpu_set_t cpus;

    CPU_ZERO(&cpus);
    CPU_SET(0, &cpus);
    if (sched_setaffinity(0, sizeof(cpus), &cpus)) {
        die("sched_setaffinity");
    }
}

static uint64_t sysfs_counter(const char *name)
{
    char path[128];
    unsigned long long v = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/sys/class/misc/xen-lend/%s", name);
    f = fopen(path, "r");
    if (!f || fscanf(f, "%llu", &v) != 1) {
        die("read %s", path);
    }
    fclose(f);
    return v;
}

/* Write-protect every page of the process: an invalidation of each range */
static void clear_soft_dirty(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);

    if (fd < 0 || write(fd, "4", 1) != 1) {
        die("clear_refs");
    }
    close(fd);
}

/*
 * ROUNDS invalidations of a lent range: the notifier's revoke is timed
 * inside the syscall that causes it; the re-lend by the time pages_relent
 * has grown by PAGES (it includes the module's 10 ms delay).
 */
static void cycle(int h, uint64_t gfn, unsigned pages, unsigned rounds)
{
    void *mem = anon((size_t)pages * PAGE);
    double revoke = 0, relend = 0;

    fill(mem, pages, 0xfeed0300);
    lend(h, gfn, mem, pages);
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t relent = sysfs_counter("pages_relent");
        double t0 = now(), t1, deadline;

        clear_soft_dirty();
        t1 = now();
        deadline = t1 + 60;
        while (sysfs_counter("pages_relent") < relent + pages) {
            if (now() > deadline) {
                errno = ETIMEDOUT;
                die("round %u: not lent again in 60 s", r);
            }
            usleep(1000);
        }
        revoke += t1 - t0;
        relend += now() - t1;
    }
    step("CYCLE pages=%u rounds=%u invalidate_us=%.0f relend_ms=%.2f",
         pages, rounds, revoke / rounds * 1e6, relend / rounds * 1e3);
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    unsigned domid, pages, kind;
    uint64_t gfn, *pfn;
    sigset_t set;
    void *mem;
    int h, dmabuf = -1;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    /*
     * Every mode on CPU 0: Linux frees pages to the freeing CPU's lists,
     * and "fill" allocates from the same CPU's first, so it gets the
     * lender's frames back.
     */
    pin_to_cpu0();

    if (!strcmp(mode, "fill") && argc == 3) {
        /*
         * Reuse what the lender freed: fresh memory, filled, a chunk at
         * a time until it holds some of the lender's frames (or
         * FILL_BYTES), which stays allocated until SIGUSR1
         */
        uint64_t old[4096], *now_pfn = calloc(FILL_CHUNK / PAGE,
                                               sizeof(*now_pfn));
        unsigned n = 0, reused = 0, chunk = FILL_CHUNK / PAGE, filled;
        FILE *f = fopen(argv[2], "r");

        while (f && n < 4096 && fscanf(f, "%" SCNu64, &old[n]) == 1) {
            n++;
        }
        for (filled = 0; !reused && filled < FILL_BYTES / PAGE;
             filled += chunk) {
            mem = anon(FILL_CHUNK);
            fill(mem, chunk, 0xdead0000);
            pfns_of(mem, chunk, now_pfn);
            for (unsigned i = 0; i < chunk; i++) {
                for (unsigned j = 0; j < n; j++) {
                    reused += old[j] && now_pfn[i] == old[j];
                }
            }
        }
        step("FILLED reused=%u of=%u mib=%u", reused, n,
             filled * PAGE >> 20);
        wait_usr1();
        return 0;
    }
    if (argc < 5 || sscanf(argv[2], "%u", &domid) != 1 ||
        sscanf(argv[3], "%" SCNi64, &gfn) != 1 ||
        sscanf(argv[4], "%u", &pages) != 1 || !pages || pages > 4096) {
        fprintf(stderr, "usage: lend-hostile munmap|exit|udmabuf|twice DOMID "
                "GFN PAGES | bar DOMID GFN PAGES RESOURCE | "
                "cycle DOMID GFN PAGES ROUNDS | fill PFN_FILE\n");
        return 2;
    }
    h = lend_open(domid);
    if (!strcmp(mode, "cycle")) {
        cycle(h, gfn, pages, argc > 5 ? atoi(argv[5]) : 10);
        return 0;
    }
    if (!strcmp(mode, "twice")) {
        void *first = anon((size_t)pages * PAGE);
        void *second = anon((size_t)pages * PAGE);

        fill(first, pages, 0xfeed0400);
        fill(second, pages, 0xfeed0400);
        lend(h, gfn, first, pages);
        step("LENT gfn=%#" PRIx64 " pages=%u", gfn, pages);
        wait_usr1();
        lend(h, gfn + pages, second, pages);
        step("LENT-AGAIN gfn=%#" PRIx64 " pages=%u", gfn + pages, pages);
        wait_usr1();
        return 0;
    }
    kind = !strcmp(mode, "munmap") ? 0 : !strcmp(mode, "exit") ? 1 :
           !strcmp(mode, "udmabuf") ? 2 : !strcmp(mode, "bar") ? 3 : 4;
    if (kind == 4 || (kind == 3 && argc < 6)) {
        fprintf(stderr, "lend-hostile: unknown mode %s, or no RESOURCE\n",
                mode);
        return 2;
    }
    mem = kind == 2 ? udmabuf_map(pages, &dmabuf) :
          kind == 3 ? bar_map(argv[5], pages) :
          anon((size_t)pages * PAGE);
    fill(mem, pages, 0xfeed0000 | kind << 8);
    pfn = calloc(pages, sizeof(*pfn));
    pfns_of(mem, pages, pfn);
    lend(h, gfn, mem, pages);
    printf("PFNS");
    for (unsigned i = 0; i < pages; i++) {
        printf(" %" PRIu64, pfn[i]);
    }
    step("\nLENT gfn=%#" PRIx64 " pages=%u", gfn, pages);
    wait_usr1();
    if (kind == 1) {
        /* no munmap, no REVOKE, no close: the kernel tears it all down */
        _exit(0);
    }
    munmap(mem, (size_t)pages * PAGE);
    if (dmabuf >= 0) {
        close(dmabuf);
    }
    step("UNMAPPED");
    wait_usr1();
    close(h);
    step("CLOSED");
    return 0;
}
