/*
 * Xen memory lending: the lend listener and the platform
 *
 * Each registered hostmem container gets a MemoryListener on
 * address_space_memory, as hw/xen/xen_pt.c does for a passed-through
 * device.  The listener picks the RAM sections that belong to its
 * container, turns them into extents of whole pages (2 MiB where both
 * sides allow), queues them in region_add/region_del and issues them in
 * commit: all revokes first, then all lends, one batch each.  It follows
 * BAR moves and decode changes by itself because it works on sections.
 * A device may lend a range ahead, before it publishes the region, so that
 * it can decide how to map the memory when the lend fails; the commit
 * that publishes the region adopts that lend.  The listener never calls
 * up into a device: a device asks how its commit's lends went.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "exec/address-spaces.h"
#include "system/qtest.h"
#include "system/tcg.h"
#include "system/xen.h"
#include "hw/xen/xen.h"
#include "hw/xen/xen-lend.h"
#include "hw/xen/xen-lend-internal.h"
#include "trace.h"

static XenLendPlatform platform;
static bool platform_set;
static QTAILQ_HEAD(, XenLendClient) clients = QTAILQ_HEAD_INITIALIZER(clients);

void xen_lend_platform_set(const XenLendBackendOps *ops, XenLendHandle *h,
                           uint32_t domid, const char *unavailable_reason)
{
    assert(!platform_set);
    platform.ops = ops;
    platform.handle = h;
    platform.domid = domid;
    platform.unavailable_reason = h ? NULL : g_strdup(unavailable_reason);
    platform_set = true;
}

const XenLendPlatform *xen_lend_platform_get(void)
{
    if (!platform_set) {
        if (xen_enabled()) {
            /* the Xen accelerator always sets it; be explicit if not */
            xen_lend_platform_set(&xen_lend_privcmd_ops, NULL, xen_domid,
                                  "the Xen accelerator opened no lend handle");
        } else if (qtest_enabled() || tcg_enabled()) {
            /*
             * The emulated p2m, a test fixture: off Xen, under the
             * accelerators that test the device, it plays Xen's part.
             */
            xen_lend_platform_set(&xen_lend_emu_ops,
                                  xen_lend_emu_ops.open(0, &error_abort), 0,
                                  NULL);
        } else {
            /* under KVM and the others a blob is mapped as virtio-gpu-gl's */
            xen_lend_platform_set(&xen_lend_emu_ops, NULL, 0,
                                  "QEMU is not running on Xen (the emulated "
                                  "p2m serves only TCG and qtest)");
        }
    }
    return &platform;
}

bool xen_lend_available(Error **errp)
{
    const XenLendPlatform *p = xen_lend_platform_get();

    if (!p->handle) {
        error_setg(errp, "Xen memory lending is not available: %s",
                   p->unavailable_reason);
        return false;
    }
    if (!(p->ops->capabilities(p->handle) & XEN_LEND_CAP_LEND)) {
        error_setg(errp, "Xen memory lending is not available: the %s "
                   "backend cannot lend", p->ops->name);
        return false;
    }
    return true;
}

static int cmp_gfn(const void *pa, const void *pb)
{
    const XenLendExtent *a = pa, *b = pb;

    return a->gfn < b->gfn ? -1 : a->gfn > b->gfn;
}

/* Index of the lent extent starting at @gfn, or -1. */
static int lent_find(GArray *lent, uint64_t gfn)
{
    XenLendExtent key = { .gfn = gfn };
    XenLendExtent *e = bsearch(&key, lent->data, lent->len,
                               sizeof(XenLendExtent), cmp_gfn);

    return e ? e - (XenLendExtent *)lent->data : -1;
}

/*
 * Add @batch to @lent, keeping it sorted by gfn: one binary search and
 * move per extent, where sorting the whole array again made every lend
 * cost as much as all the extents lent before it.
 */
static void lent_insert(GArray *lent, GArray *batch)
{
    for (unsigned i = 0; i < batch->len; i++) {
        XenLendExtent *e = &g_array_index(batch, XenLendExtent, i);
        unsigned lo = 0, hi = lent->len;

        while (lo < hi) {
            unsigned mid = lo + (hi - lo) / 2;

            if (g_array_index(lent, XenLendExtent, mid).gfn < e->gfn) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        g_array_insert_val(lent, lo, *e);
    }
}

/*
 * If @section belongs to @c's container, the offset of its start within
 * the container.
 */
static bool section_in_container(XenLendClient *c,
                                 MemoryRegionSection *section,
                                 uint64_t *offset)
{
    uint64_t off = section->offset_within_region;

    for (MemoryRegion *mr = section->mr; mr; mr = mr->container) {
        if (mr == c->container) {
            *offset = off;
            return true;
        }
        off += mr->addr;
    }
    return false;
}

static bool same_extents(GArray *a, GArray *b)
{
    if (a->len != b->len) {
        return false;
    }
    for (unsigned i = 0; i < a->len; i++) {
        XenLendExtent *x = &g_array_index(a, XenLendExtent, i);
        XenLendExtent *y = &g_array_index(b, XenLendExtent, i);

        if (x->gfn != y->gfn || x->uaddr != y->uaddr ||
            x->nr_pages != y->nr_pages || x->flags != y->flags) {
            return false;
        }
    }
    return true;
}

static void section_free(gpointer p)
{
    XenLendSection *sec = p;

    g_array_free(sec->ext, true);
    g_free(sec);
}

/*
 * The container is looked up when a section is added; when it goes, the
 * memory region may already have left the container, so the section is
 * found again by its guest address (sections of one address space are
 * disjoint).
 */
static void xen_lend_region_add(MemoryListener *listener,
                                MemoryRegionSection *section)
{
    XenLendClient *c = container_of(listener, XenLendClient, listener);
    XenLendSection *sec;
    uint64_t in_container, hva;

    if (!memory_region_is_ram(section->mr) ||
        !section_in_container(c, section, &in_container)) {
        return;
    }
    sec = g_new0(XenLendSection, 1);
    sec->mr = section->mr;
    sec->gpa = section->offset_within_address_space;
    sec->size = int128_get64(section->size);
    sec->ext = g_array_new(false, false, sizeof(XenLendExtent));
    hva = (uintptr_t)memory_region_get_ram_ptr(section->mr) +
          section->offset_within_region;
    sec->unlendable = xen_lend_split_section(sec->gpa, hva, sec->size,
                                             sec->ext);
    if (sec->unlendable) {
        trace_xen_lend_unlendable(sec->gpa, sec->size, sec->unlendable);
    }
    c->stats.unlendable_bytes += sec->unlendable;
    c->window_gfn_new = (sec->gpa - in_container) >> XEN_LEND_PAGE_SHIFT;
    g_hash_table_insert(c->sections, &sec->gpa, sec);
    if (c->ahead && c->ahead->gpa == sec->gpa &&
        c->ahead->size == sec->size && same_extents(c->ahead->ext, sec->ext)) {
        /* the very pages lent ahead, now mapped: they are this section's */
        sec->lent = true;
        section_free(c->ahead);
        c->ahead = NULL;
        return;
    }
    g_ptr_array_add(c->adding, sec);
    g_array_append_vals(c->to_lend, sec->ext->data, sec->ext->len);
}

static void xen_lend_region_del(MemoryListener *listener,
                                MemoryRegionSection *section)
{
    XenLendClient *c = container_of(listener, XenLendClient, listener);
    uint64_t gpa = section->offset_within_address_space;
    XenLendSection *sec = g_hash_table_lookup(c->sections, &gpa);

    if (!sec || sec->mr != section->mr) {
        return;
    }
    assert(sec->size == int128_get64(section->size));
    c->stats.unlendable_bytes -= sec->unlendable;
    /* only what was lent is revoked: a section whose lend failed was not */
    if (sec->lent) {
        g_array_append_vals(c->to_revoke, sec->ext->data, sec->ext->len);
    }
    g_hash_table_remove(c->sections, &gpa);
}

static uint64_t batch_pages(GArray *batch, uint64_t *superpages)
{
    uint64_t pages = 0;

    *superpages = 0;
    for (unsigned i = 0; i < batch->len; i++) {
        XenLendExtent *e = &g_array_index(batch, XenLendExtent, i);

        pages += e->nr_pages;
        if (e->flags & XEN_LEND_EXTENT_2M) {
            *superpages += e->nr_pages / XEN_LEND_PAGES_PER_2M;
        }
    }
    return pages;
}

static void trace_batch(const char *op, uint32_t domid, GArray *batch)
{
    for (unsigned i = 0; i < batch->len; i++) {
        XenLendExtent *e = &g_array_index(batch, XenLendExtent, i);

        trace_xen_lend_extent(op, domid, e->gfn, e->uaddr, e->nr_pages,
                              e->flags);
    }
}

static void commit_revokes(XenLendClient *c, XenLendHandle *h)
{
    Error *err = NULL;
    uint64_t pages, superpages;
    int ret;

    if (!c->to_revoke->len) {
        return;
    }
    pages = batch_pages(c->to_revoke, &superpages);
    trace_batch("revoke", h->domid, c->to_revoke);
    ret = h->ops->revoke(h, (XenLendExtent *)c->to_revoke->data,
                         c->to_revoke->len, &err);
    trace_xen_lend_batch("revoke", h->domid, c->to_revoke->len, pages, ret);
    if (ret) {
        /*
         * The memory behind these pages is about to be unmapped or freed;
         * carrying on would hand the guest whatever reuses it ("a failed
         * revoke stops QEMU").
         */
        for (unsigned i = 0; i < c->to_revoke->len; i++) {
            XenLendExtent *e = &g_array_index(c->to_revoke, XenLendExtent, i);

            error_report("xen-lend: revoke failed for domain %u: gfn 0x%"
                         PRIx64 " size 0x%" PRIx64, h->domid, e->gfn,
                         e->nr_pages << XEN_LEND_PAGE_SHIFT);
        }
        error_report_err(err);
        error_report("xen-lend: aborting: the guest could otherwise reach "
                     "memory that QEMU is about to release");
        abort();
    }
    for (unsigned i = 0; i < c->to_revoke->len; i++) {
        int idx = lent_find(c->lent,
                            g_array_index(c->to_revoke, XenLendExtent, i).gfn);

        assert(idx >= 0);
        g_array_remove_index(c->lent, idx);
    }
    c->stats.revoke_calls++;
    c->stats.lent_pages -= pages;
    c->stats.lent_2m_pages -= superpages;
    g_array_set_size(c->to_revoke, 0);
}

/*
 * Count a failed lend of @batch, and whether QEMU had already published
 * RAM at its first page: then the guest could not reach that RAM, but
 * QEMU's own DMA (address_space_map) could until the owner replaced it.
 */
static void count_lend_failure(XenLendClient *c, GArray *batch)
{
    uint64_t gpa = g_array_index(batch, XenLendExtent, 0).gfn <<
                   XEN_LEND_PAGE_SHIFT;
    MemoryRegionSection s = memory_region_find(get_system_memory(), gpa, 1);

    c->stats.lend_failures++;
    if (s.mr) {
        c->stats.lend_failures_published += memory_region_is_ram(s.mr);
        memory_region_unref(s.mr);
    }
}

static void commit_window(XenLendClient *c, XenLendHandle *h)
{
    uint64_t pages = memory_region_size(c->container) >> XEN_LEND_PAGE_SHIFT;

    if (!h->ops->set_window || c->window_gfn_new == c->window_gfn) {
        return;
    }
    if (c->window_gfn != XEN_LEND_NO_WINDOW) {
        h->ops->set_window(h, c->window_gfn, pages, false);
    }
    h->ops->set_window(h, c->window_gfn_new, pages, true);
    trace_xen_lend_window(h->domid, c->window_gfn, c->window_gfn_new, pages);
    c->window_gfn = c->window_gfn_new;
}

static void commit_lends(XenLendClient *c, XenLendHandle *h)
{
    Error *err = NULL;
    uint64_t pages, superpages;
    int ret;

    if (!c->to_lend->len) {
        return;
    }
    pages = batch_pages(c->to_lend, &superpages);
    trace_batch("lend", h->domid, c->to_lend);
    ret = h->ops->lend(h, (XenLendExtent *)c->to_lend->data, c->to_lend->len,
                       &err);
    trace_xen_lend_batch("lend", h->domid, c->to_lend->len, pages, ret);
    c->stats.lend_calls++;
    if (ret) {
        count_lend_failure(c, c->to_lend);
        c->commit_error = ret;
        c->commit_error_msg = g_strdup(error_get_pretty(err));
        error_free(err);
    } else {
        for (unsigned i = 0; i < c->adding->len; i++) {
            ((XenLendSection *)g_ptr_array_index(c->adding, i))->lent = true;
        }
        lent_insert(c->lent, c->to_lend);
        c->stats.lent_pages += pages;
        c->stats.lent_2m_pages += superpages;
    }
    g_array_set_size(c->to_lend, 0);
}

static void xen_lend_commit(MemoryListener *listener)
{
    XenLendClient *c = container_of(listener, XenLendClient, listener);
    XenLendHandle *h = xen_lend_platform_get()->handle;

    c->commit_error = 0;
    g_clear_pointer(&c->commit_error_msg, g_free);
    if (c->ahead) {
        /* lent ahead for a section this transaction did not add */
        g_array_append_vals(c->to_revoke, c->ahead->ext->data,
                            c->ahead->ext->len);
        g_clear_pointer(&c->ahead, section_free);
    }
    commit_revokes(c, h);
    commit_window(c, h);
    commit_lends(c, h);
    g_ptr_array_set_size(c->adding, 0);
}

int xen_lend_client_lend_ahead(XenLendClient *c, uint64_t container_gpa,
                               uint64_t offset, void *hva, uint64_t size,
                               Error **errp)
{
    XenLendHandle *h = xen_lend_platform_get()->handle;
    uint64_t pages, superpages;
    MemoryRegionSection found;
    XenLendSection *sec;
    int ret;

    assert(!c->ahead);
    if (offset >= memory_region_size(c->container) ||
        size > memory_region_size(c->container) - offset) {
        error_setg(errp, "xen-lend: 0x%" PRIx64 "+0x%" PRIx64 " is outside "
                   "the container", offset, size);
        return -EINVAL;
    }
    /*
     * Only where QEMU maps nothing yet: where something else shows (guest
     * RAM over a BAR the guest misplaced, another device), the commit
     * lends what the memory map really shows.
     */
    found = memory_region_find(get_system_memory(), container_gpa + offset,
                               size);
    if (found.mr) {
        memory_region_unref(found.mr);
        return 0;
    }
    sec = g_new0(XenLendSection, 1);
    sec->gpa = container_gpa + offset;
    sec->size = size;
    sec->ext = g_array_new(false, false, sizeof(XenLendExtent));
    sec->unlendable = xen_lend_split_section(sec->gpa, (uintptr_t)hva, size,
                                             sec->ext);
    if (!sec->ext->len) {
        section_free(sec);
        return 0;               /* nothing to lend: the commit will agree */
    }
    /* the backend lends only inside the window: claim it first */
    c->window_gfn_new = container_gpa >> XEN_LEND_PAGE_SHIFT;
    commit_window(c, h);
    pages = batch_pages(sec->ext, &superpages);
    trace_batch("lend-ahead", h->domid, sec->ext);
    ret = h->ops->lend(h, (XenLendExtent *)sec->ext->data, sec->ext->len,
                       errp);
    trace_xen_lend_batch("lend-ahead", h->domid, sec->ext->len, pages, ret);
    c->stats.lend_calls++;
    if (ret) {
        count_lend_failure(c, sec->ext);
        section_free(sec);
        return ret;
    }
    lent_insert(c->lent, sec->ext);
    c->stats.lent_pages += pages;
    c->stats.lent_2m_pages += superpages;
    c->ahead = sec;
    return 0;
}

int xen_lend_client_commit_result(XenLendClient *c, Error **errp)
{
    if (c->ahead) {
        /* no commit ran since the lend ahead: nothing maps it */
        g_array_append_vals(c->to_revoke, c->ahead->ext->data,
                            c->ahead->ext->len);
        g_clear_pointer(&c->ahead, section_free);
        commit_revokes(c, xen_lend_platform_get()->handle);
    }
    if (c->commit_error) {
        error_setg(errp, "%s", c->commit_error_msg);
    }
    return c->commit_error;
}

XenLendClient *xen_lend_register(MemoryRegion *container, Error **errp)
{
    XenLendClient *c;

    if (!xen_lend_available(errp)) {
        return NULL;
    }
    c = g_new0(XenLendClient, 1);
    c->container = container;
    c->to_lend = g_array_new(false, false, sizeof(XenLendExtent));
    c->to_revoke = g_array_new(false, false, sizeof(XenLendExtent));
    c->lent = g_array_new(false, false, sizeof(XenLendExtent));
    c->sections = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL,
                                        section_free);
    c->adding = g_ptr_array_new();
    c->window_gfn = c->window_gfn_new = XEN_LEND_NO_WINDOW;
    c->listener = (MemoryListener) {
        .name = "xen-lend",
        .region_add = xen_lend_region_add,
        .region_del = xen_lend_region_del,
        .commit = xen_lend_commit,
        .priority = MEMORY_LISTENER_PRIORITY_ACCEL,
    };
    QTAILQ_INSERT_TAIL(&clients, c, next);
    memory_listener_register(&c->listener, &address_space_memory);
    return c;
}

void xen_lend_unregister(XenLendClient *c)
{
    XenLendHandle *h = xen_lend_platform_get()->handle;

    /* replays region_del and commit: whatever is still lent is revoked */
    memory_listener_unregister(&c->listener);
    assert(!c->lent->len && !c->ahead);
    g_free(c->commit_error_msg);
    if (c->window_gfn != XEN_LEND_NO_WINDOW && h->ops->set_window) {
        h->ops->set_window(h, c->window_gfn,
                           memory_region_size(c->container) >>
                           XEN_LEND_PAGE_SHIFT, false);
    }
    QTAILQ_REMOVE(&clients, c, next);
    g_array_free(c->to_lend, true);
    g_array_free(c->to_revoke, true);
    g_array_free(c->lent, true);
    g_hash_table_destroy(c->sections);
    g_ptr_array_free(c->adding, true);
    g_free(c);
}

void xen_lend_client_stats(XenLendClient *c, XenLendClientStats *stats)
{
    *stats = c->stats;
}

XenLendClient *xen_lend_client_first(void)
{
    return QTAILQ_FIRST(&clients);
}

XenLendClient *xen_lend_client_next(XenLendClient *c)
{
    return QTAILQ_NEXT(c, next);
}
