/*
 * Xen memory lending: the emulated backend
 *
 * A software p2m that keeps what a hypervisor would keep and refuses what
 * it would refuse: misaligned or empty extents, lends outside the windows
 * the device model claimed, lends over anything already lent, revokes of
 * pages that are not lent.  Every call is all or nothing.  It counts, and
 * fails on request, so that QEMU's side can be tested without Xen.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/xen/xen-lend-emu.h"

typedef struct XenLendEmu {
    XenLendHandle handle;
    GArray *p2m;        /* XenLendExtent, sorted by gfn, disjoint */
    GArray *windows;    /* XenLendExtent (gfn, nr_pages) */
    unsigned fail_in[2];
    int fail_errno[2];          /* what the injected failure returns */
    XenLendEmuCounters counters;
} XenLendEmu;

static XenLendEmu *to_emu(XenLendHandle *h)
{
    assert(xen_lend_is_emu(h));
    return container_of(h, XenLendEmu, handle);
}

static uint64_t ext_end(const XenLendExtent *e)
{
    return e->gfn + e->nr_pages;
}

static uint64_t superpages(const XenLendExtent *e)
{
    return e->flags & XEN_LEND_EXTENT_2M ?
           e->nr_pages / XEN_LEND_PAGES_PER_2M : 0;
}

/* Index of the first p2m extent that ends after @gfn. */
static unsigned p2m_search(GArray *p2m, uint64_t gfn)
{
    unsigned lo = 0, hi = p2m->len;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;

        if (ext_end(&g_array_index(p2m, XenLendExtent, mid)) <= gfn) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

/* Pages of [gfn, gfn + nr) that are lent. */
static uint64_t p2m_lent_in(GArray *p2m, uint64_t gfn, uint64_t nr)
{
    uint64_t end = gfn + nr, lent = 0;

    for (unsigned i = p2m_search(p2m, gfn); i < p2m->len; i++) {
        XenLendExtent *e = &g_array_index(p2m, XenLendExtent, i);

        if (e->gfn >= end) {
            break;
        }
        lent += MIN(end, ext_end(e)) - MAX(gfn, e->gfn);
    }
    return lent;
}

static bool in_window(XenLendEmu *emu, const XenLendExtent *e)
{
    for (unsigned i = 0; i < emu->windows->len; i++) {
        XenLendExtent *w = &g_array_index(emu->windows, XenLendExtent, i);

        if (e->gfn >= w->gfn && ext_end(e) <= ext_end(w)) {
            return true;
        }
    }
    return false;
}

static int check_shape(const XenLendExtent *e, bool lend, Error **errp)
{
    if (!e->nr_pages || e->gfn + e->nr_pages < e->gfn ||
        e->gfn + e->nr_pages > (UINT64_MAX >> XEN_LEND_PAGE_SHIFT)) {
        error_setg(errp, "extent at gfn 0x%" PRIx64 " of %" PRIu64
                   " pages is empty or wraps", e->gfn, e->nr_pages);
        return -EINVAL;
    }
    if (!lend) {
        return 0;
    }
    if (e->flags & ~XEN_LEND_EXTENT_2M ||
        e->uaddr & (XEN_LEND_PAGE_SIZE - 1)) {
        error_setg(errp, "extent at gfn 0x%" PRIx64 " has unknown flags "
                   "0x%x or a uaddr not page-aligned", e->gfn, e->flags);
        return -EINVAL;
    }
    if (e->flags & XEN_LEND_EXTENT_2M &&
        (e->gfn % XEN_LEND_PAGES_PER_2M || e->nr_pages % XEN_LEND_PAGES_PER_2M
         || e->uaddr & (XEN_LEND_2M_SIZE - 1))) {
        error_setg(errp, "2 MiB extent at gfn 0x%" PRIx64 " is not 2 MiB "
                   "aligned on both sides", e->gfn);
        return -EINVAL;
    }
    return 0;
}

static int cmp_gfn(const void *pa, const void *pb)
{
    const XenLendExtent *a = pa, *b = pb;

    return a->gfn < b->gfn ? -1 : a->gfn > b->gfn;
}

/* Extents of one call must not overlap each other. */
static int check_disjoint(const XenLendExtent *ext, unsigned nr, Error **errp)
{
    g_autofree XenLendExtent *sorted = g_memdup2(ext, nr * sizeof(*ext));

    qsort(sorted, nr, sizeof(*sorted), cmp_gfn);
    for (unsigned i = 1; i < nr; i++) {
        if (sorted[i].gfn < ext_end(&sorted[i - 1])) {
            error_setg(errp, "extents at gfn 0x%" PRIx64 " and 0x%" PRIx64
                       " of one call overlap", sorted[i - 1].gfn,
                       sorted[i].gfn);
            return -EINVAL;
        }
    }
    return 0;
}

/* 0, or the -errno of the failure injected into this call */
static int inject(XenLendEmu *emu, XenLendEmuFaultOp op, Error **errp)
{
    if (emu->fail_in[op] && --emu->fail_in[op] == 0) {
        int err = emu->fail_errno[op] ?: EIO;

        emu->counters.injected_failures++;
        error_setg_errno(errp, err, "injected %s failure",
                         op == XEN_LEND_EMU_FAULT_LEND ? "lend" : "revoke");
        return -err;
    }
    return 0;
}

static int emu_lend(XenLendHandle *h, const XenLendExtent *ext, unsigned nr,
                    Error **errp)
{
    XenLendEmu *emu = to_emu(h);
    int ret;

    emu->counters.lend_calls++;
    if (!nr) {
        error_setg(errp, "empty lend batch");
        ret = -EINVAL;
        goto rejected;
    }
    for (unsigned i = 0; i < nr; i++) {
        ret = check_shape(&ext[i], true, errp);
        if (ret) {
            goto rejected;
        }
        if (!in_window(emu, &ext[i])) {
            error_setg(errp, "gfn 0x%" PRIx64 "+%" PRIu64 " is outside "
                       "the windows the device model claimed",
                       ext[i].gfn, ext[i].nr_pages);
            ret = -EPERM;
            goto rejected;
        }
        if (p2m_lent_in(emu->p2m, ext[i].gfn, ext[i].nr_pages)) {
            error_setg(errp, "gfn 0x%" PRIx64 "+%" PRIu64 " overlaps a "
                       "lent range", ext[i].gfn, ext[i].nr_pages);
            ret = -EEXIST;
            goto rejected;
        }
    }
    ret = check_disjoint(ext, nr, errp);
    if (ret) {
        ret = -EEXIST;
        goto rejected;
    }
    ret = inject(emu, XEN_LEND_EMU_FAULT_LEND, errp);
    if (ret) {
        return ret;
    }

    for (unsigned i = 0; i < nr; i++) {
        g_array_insert_val(emu->p2m, p2m_search(emu->p2m, ext[i].gfn),
                           ext[i]);
        emu->counters.pages_lent += ext[i].nr_pages;
        emu->counters.lent_pages += ext[i].nr_pages;
        emu->counters.superpages_lent += superpages(&ext[i]);
        emu->counters.lent_superpages += superpages(&ext[i]);
    }
    return 0;

rejected:
    emu->counters.rejected_calls++;
    return ret;
}

/* Take [gfn, gfn + nr) out of the p2m, splitting extents it cuts. */
static void p2m_remove(XenLendEmu *emu, uint64_t gfn, uint64_t nr)
{
    uint64_t end = gfn + nr;
    unsigned i = p2m_search(emu->p2m, gfn);

    while (i < emu->p2m->len) {
        XenLendExtent e = g_array_index(emu->p2m, XenLendExtent, i);
        XenLendExtent parts[2] = { e, e };

        if (e.gfn >= end) {
            break;
        }
        g_array_remove_index(emu->p2m, i);
        emu->counters.lent_pages -= e.nr_pages;
        emu->counters.lent_superpages -= superpages(&e);

        /*
         * What is left either side; a shattered 2 MiB run keeps 2 MiB
         * pages only where it is still whole 2 MiB pages.
         */
        parts[0].nr_pages = gfn > e.gfn ? gfn - e.gfn : 0;
        parts[1].gfn = MAX(end, e.gfn);
        parts[1].nr_pages = ext_end(&e) > end ? ext_end(&e) - end : 0;
        parts[1].uaddr = e.uaddr +
                         ((parts[1].gfn - e.gfn) << XEN_LEND_PAGE_SHIFT);
        for (int k = 0; k < 2; k++) {
            XenLendExtent *p = &parts[k];

            if (p->nr_pages % XEN_LEND_PAGES_PER_2M ||
                p->gfn % XEN_LEND_PAGES_PER_2M) {
                p->flags &= ~XEN_LEND_EXTENT_2M;
            }
            if (p->nr_pages) {
                g_array_insert_val(emu->p2m, i++, *p);
                emu->counters.lent_pages += p->nr_pages;
                emu->counters.lent_superpages += superpages(p);
            }
        }
    }
}

static int emu_revoke(XenLendHandle *h, const XenLendExtent *ext,
                      unsigned nr, Error **errp)
{
    XenLendEmu *emu = to_emu(h);
    int ret;

    emu->counters.revoke_calls++;
    if (!nr) {
        error_setg(errp, "empty revoke batch");
        ret = -EINVAL;
        goto rejected;
    }
    for (unsigned i = 0; i < nr; i++) {
        ret = check_shape(&ext[i], false, errp);
        if (ret) {
            goto rejected;
        }
        if (p2m_lent_in(emu->p2m, ext[i].gfn, ext[i].nr_pages) !=
            ext[i].nr_pages) {
            error_setg(errp, "gfn 0x%" PRIx64 "+%" PRIu64 " is not lent",
                       ext[i].gfn, ext[i].nr_pages);
            ret = -ENOENT;
            goto rejected;
        }
    }
    ret = check_disjoint(ext, nr, errp);
    if (ret) {
        goto rejected;
    }
    ret = inject(emu, XEN_LEND_EMU_FAULT_REVOKE, errp);
    if (ret) {
        return ret;
    }

    for (unsigned i = 0; i < nr; i++) {
        p2m_remove(emu, ext[i].gfn, ext[i].nr_pages);
        emu->counters.pages_revoked += ext[i].nr_pages;
    }
    return 0;

rejected:
    emu->counters.rejected_calls++;
    return ret;
}

static void emu_set_window(XenLendHandle *h, uint64_t gfn, uint64_t nr_pages,
                           bool add)
{
    XenLendEmu *emu = to_emu(h);
    XenLendExtent w = { .gfn = gfn, .nr_pages = nr_pages };

    if (add) {
        g_array_append_val(emu->windows, w);
        return;
    }
    for (unsigned i = 0; i < emu->windows->len; i++) {
        XenLendExtent *o = &g_array_index(emu->windows, XenLendExtent, i);

        if (o->gfn == gfn && o->nr_pages == nr_pages) {
            g_array_remove_index_fast(emu->windows, i);
            return;
        }
    }
}

static XenLendHandle *emu_open(uint32_t domid, Error **errp)
{
    XenLendEmu *emu = g_new0(XenLendEmu, 1);

    emu->handle.ops = &xen_lend_emu_ops;
    emu->handle.domid = domid;
    emu->p2m = g_array_new(false, false, sizeof(XenLendExtent));
    emu->windows = g_array_new(false, false, sizeof(XenLendExtent));
    return &emu->handle;
}

static uint32_t emu_capabilities(XenLendHandle *h)
{
    return XEN_LEND_CAP_LEND | XEN_LEND_CAP_2M;
}

static void emu_close(XenLendHandle *h)
{
    XenLendEmu *emu = to_emu(h);

    g_array_free(emu->p2m, true);
    g_array_free(emu->windows, true);
    g_free(emu);
}

const XenLendBackendOps xen_lend_emu_ops = {
    .name = "emulated",
    .open = emu_open,
    .capabilities = emu_capabilities,
    .lend = emu_lend,
    .revoke = emu_revoke,
    .set_window = emu_set_window,
    .close = emu_close,
};

bool xen_lend_is_emu(XenLendHandle *h)
{
    return h && h->ops == &xen_lend_emu_ops;
}

void xen_lend_emu_fail_nth(XenLendHandle *h, XenLendEmuFaultOp op, unsigned n)
{
    to_emu(h)->fail_in[op] = n;
}

void xen_lend_emu_fail_errno(XenLendHandle *h, XenLendEmuFaultOp op, int err)
{
    to_emu(h)->fail_errno[op] = err;
}

const XenLendExtent *xen_lend_emu_p2m(XenLendHandle *h, unsigned *nr)
{
    XenLendEmu *emu = to_emu(h);

    *nr = emu->p2m->len;
    return (const XenLendExtent *)emu->p2m->data;
}

void xen_lend_emu_counters(XenLendHandle *h, XenLendEmuCounters *c)
{
    *c = to_emu(h)->counters;
}
