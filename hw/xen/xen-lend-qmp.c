/*
 * Xen memory lending: QMP commands
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-commands-xen-lend.h"
#include "hw/xen/xen-lend-internal.h"

static XenLendExtentInfoList *extent_list(const XenLendExtent *ext,
                                          unsigned nr)
{
    XenLendExtentInfoList *head = NULL, **tail = &head;

    for (unsigned i = 0; i < nr; i++) {
        XenLendExtentInfo *info = g_new0(XenLendExtentInfo, 1);

        info->gfn = ext[i].gfn;
        info->pages = ext[i].nr_pages;
        info->superpage = ext[i].flags & XEN_LEND_EXTENT_2M;
        QAPI_LIST_APPEND(tail, info);
    }
    return head;
}

static XenLendClientInfo *client_info(XenLendClient *c)
{
    XenLendClientInfo *info = g_new0(XenLendClientInfo, 1);
    Object *owner = memory_region_owner(c->container);

    info->container = g_strdup(memory_region_name(c->container));
    info->owner = owner ? object_get_canonical_path(owner) : g_strdup("");
    info->lent = extent_list((XenLendExtent *)c->lent->data, c->lent->len);
    info->lend_calls = c->stats.lend_calls;
    info->revoke_calls = c->stats.revoke_calls;
    info->lent_pages = c->stats.lent_pages;
    info->lent_superpages = c->stats.lent_2m_pages;
    info->unlendable_bytes = c->stats.unlendable_bytes;
    info->lend_failures = c->stats.lend_failures;
    info->lend_failures_published = c->stats.lend_failures_published;
    return info;
}

static XenLendEmuInfo *emu_info(XenLendHandle *h)
{
    XenLendEmuInfo *info = g_new0(XenLendEmuInfo, 1);
    XenLendEmuCounters c;
    const XenLendExtent *p2m;
    unsigned nr;

    p2m = xen_lend_emu_p2m(h, &nr);
    info->p2m = extent_list(p2m, nr);
    xen_lend_emu_counters(h, &c);
    info->lend_calls = c.lend_calls;
    info->revoke_calls = c.revoke_calls;
    info->pages_lent = c.pages_lent;
    info->pages_revoked = c.pages_revoked;
    info->superpages_lent = c.superpages_lent;
    info->rejected_calls = c.rejected_calls;
    info->injected_failures = c.injected_failures;
    return info;
}

XenLendInfo *qmp_x_query_xen_lend(Error **errp)
{
    const XenLendPlatform *p = xen_lend_platform_get();
    XenLendInfo *info = g_new0(XenLendInfo, 1);
    XenLendClientInfoList **tail = &info->clients;

    info->backend = g_strdup(p->ops->name);
    info->available = xen_lend_available(NULL);
    info->reason = g_strdup(p->unavailable_reason);
    info->domid = p->domid;
    for (XenLendClient *c = xen_lend_client_first(); c;
         c = xen_lend_client_next(c)) {
        QAPI_LIST_APPEND(tail, client_info(c));
    }
    if (xen_lend_is_emu(p->handle)) {
        info->emulated = emu_info(p->handle);
    }
    return info;
}

void qmp_x_xen_lend_inject_fault(XenLendFaultOp op, uint32_t nth,
                                 bool has_error, XenLendFaultError error,
                                 Error **errp)
{
    static const int errnos[XEN_LEND_FAULT_ERROR__MAX] = {
        [XEN_LEND_FAULT_ERROR_EIO] = EIO,
        [XEN_LEND_FAULT_ERROR_EFAULT] = EFAULT,
        [XEN_LEND_FAULT_ERROR_EOPNOTSUPP] = EOPNOTSUPP,
    };
    const XenLendPlatform *p = xen_lend_platform_get();
    XenLendEmuFaultOp emu_op = op == XEN_LEND_FAULT_OP_LEND ?
                               XEN_LEND_EMU_FAULT_LEND :
                               XEN_LEND_EMU_FAULT_REVOKE;

    if (!xen_lend_is_emu(p->handle)) {
        error_setg(errp, "fault injection needs the emulated lend backend; "
                   "this QEMU uses '%s'", p->ops->name);
        return;
    }
    xen_lend_emu_fail_errno(p->handle, emu_op,
                            errnos[has_error ? error :
                                   XEN_LEND_FAULT_ERROR_EIO]);
    xen_lend_emu_fail_nth(p->handle, emu_op, nth);
}
