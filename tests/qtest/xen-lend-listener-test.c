/*
 * QTest for the Xen lend listener through xen-lend-testdev: after every
 * memory transaction the lent set must equal the RAM sections of the
 * device's container in the guest address space ("lent equals mapped"),
 * follow BAR moves and decode changes, cost "one batch per transaction",
 * survive lend failures ("a failed lend fails the map") and abort on
 * revoke failures ("a failed revoke stops QEMU").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "qobject/qdict.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/pci_regs.h"

#define DEVFN QPCI_DEVFN(5, 0)
#define SLOTS 16
#define CONTAINER (64 * MiB)
#define PAGE 4096ULL

enum { REG_SLOT = 0x00, REG_OFFSET = 0x08, REG_SIZE = 0x10,
       REG_HOST_OFFSET = 0x18, REG_CMD = 0x20, REG_STATUS = 0x28 };
enum { CMD_MAP = 1, CMD_UNMAP = 2, CMD_BEGIN = 3, CMD_COMMIT = 4 };

typedef struct Slot {
    bool mapped;
    uint64_t offset, size, host_offset;
} Slot;

typedef struct Test {
    QTestState *qts;
    QPCIBus *bus;
    QPCIDevice *dev;
    QPCIBar regs;
    uint64_t bar2;          /* guest address of the container */
    bool decode;
    Slot slot[SLOTS];
} Test;

typedef struct Range {
    uint64_t gfn, pages;
} Range;

static void test_start(Test *t)
{
    QPCIBar bar;

    memset(t, 0, sizeof(*t));
    t->qts = qtest_init("-machine pc -display none "
                        "-device xen-lend-testdev,id=td,addr=05.0");
    t->bus = qpci_new_pc(t->qts, NULL);
    t->dev = qpci_device_find(t->bus, DEVFN);
    g_assert_nonnull(t->dev);
    t->regs = qpci_iomap(t->dev, 0, NULL);
    bar = qpci_iomap(t->dev, 2, NULL);
    t->bar2 = bar.addr;
    qpci_device_enable(t->dev);
    t->decode = true;
}

static void test_end(Test *t)
{
    g_free(t->dev);
    qpci_free_pc(t->bus);
    qtest_quit(t->qts);
}

static void reg_write(Test *t, uint64_t reg, uint64_t val)
{
    qpci_io_writeq(t->dev, t->regs, reg, val);
}

static void command(Test *t, int cmd)
{
    reg_write(t, REG_CMD, cmd);
    g_assert_cmpuint(qpci_io_readq(t->dev, t->regs, REG_STATUS) & 0xffffffff,
                     ==, 0);
}

static void map(Test *t, int i, uint64_t offset, uint64_t size,
                uint64_t host_offset)
{
    reg_write(t, REG_SLOT, i);
    reg_write(t, REG_OFFSET, offset);
    reg_write(t, REG_SIZE, size);
    reg_write(t, REG_HOST_OFFSET, host_offset);
    command(t, CMD_MAP);
    t->slot[i] = (Slot) { true, offset, size, host_offset };
}

static void unmap(Test *t, int i)
{
    reg_write(t, REG_SLOT, i);
    command(t, CMD_UNMAP);
    t->slot[i].mapped = false;
}

static int cmp_range(const void *a, const void *b)
{
    const Range *x = a, *y = b;

    return x->gfn < y->gfn ? -1 : x->gfn > y->gfn;
}

/* Sort and merge touching ranges, so that differently split sets compare */
static GArray *normalize(GArray *r)
{
    GArray *out = g_array_new(false, false, sizeof(Range));

    g_array_sort(r, cmp_range);
    for (unsigned i = 0; i < r->len; i++) {
        Range *x = &g_array_index(r, Range, i);
        Range *last = out->len ? &g_array_index(out, Range, out->len - 1)
                               : NULL;

        g_assert(!last || x->gfn >= last->gfn + last->pages); /* disjoint */
        if (last && x->gfn == last->gfn + last->pages) {
            last->pages += x->pages;
        } else {
            g_array_append_val(out, *x);
        }
    }
    g_array_free(r, true);
    return out;
}

/* What must be lent: the slots visible in the guest address space */
static GArray *expected(Test *t)
{
    GArray *r = g_array_new(false, false, sizeof(Range));

    for (int i = 0; i < SLOTS && t->decode; i++) {
        if (t->slot[i].mapped) {
            Range x = { (t->bar2 + t->slot[i].offset) / PAGE,
                        t->slot[i].size / PAGE };

            g_array_append_val(r, x);
        }
    }
    return normalize(r);
}

static QDict *query(Test *t)
{
    return qtest_qmp(t->qts, "{'execute': 'x-query-xen-lend'}");
}

static GArray *ranges_of(QList *list, uint64_t *superpages)
{
    GArray *r = g_array_new(false, false, sizeof(Range));
    QListEntry *e;

    *superpages = 0;
    QLIST_FOREACH_ENTRY(list, e) {
        QDict *x = qobject_to(QDict, qlist_entry_obj(e));
        Range y = { qdict_get_int(x, "gfn"), qdict_get_int(x, "pages") };

        if (qdict_get_bool(x, "superpage")) {
            g_assert_cmpuint(y.gfn % 512, ==, 0);
            g_assert_cmpuint(y.pages % 512, ==, 0);
            *superpages += y.pages / 512;
        }
        g_array_append_val(r, y);
    }
    return normalize(r);
}

static void print_ranges(const char *what, GArray *a)
{
    for (unsigned i = 0; i < a->len; i++) {
        g_test_message("%s: gfn 0x%" PRIx64 " pages %" PRIu64, what,
                       g_array_index(a, Range, i).gfn,
                       g_array_index(a, Range, i).pages);
    }
}

static void assert_same(GArray *a, GArray *b)
{
    if (a->len != b->len) {
        print_ranges("expected", a);
        print_ranges("got", b);
    }
    g_assert_cmpuint(a->len, ==, b->len);
    for (unsigned i = 0; i < a->len; i++) {
        g_assert_cmphex(g_array_index(a, Range, i).gfn, ==,
                        g_array_index(b, Range, i).gfn);
        g_assert_cmpuint(g_array_index(a, Range, i).pages, ==,
                         g_array_index(b, Range, i).pages);
    }
}

/*
 * "lent equals mapped": the emulated hypervisor's p2m, the listener's view
 * and the slots the guest can see all agree, and everything lent is inside
 * BAR2.  Returns
 * the 2 MiB pages lent.
 */
static uint64_t check_lent_equals_mapped(Test *t)
{
    QDict *resp = query(t);
    QDict *ret = qdict_get_qdict(resp, "return");
    QDict *emu = qdict_get_qdict(ret, "emulated");
    QList *clients = qdict_get_qlist(ret, "clients");
    QDict *client = qobject_to(QDict, qlist_peek(clients));
    uint64_t sp_p2m, sp_listener;
    GArray *want = expected(t);
    GArray *p2m = ranges_of(qdict_get_qlist(emu, "p2m"), &sp_p2m);
    GArray *lent = ranges_of(qdict_get_qlist(client, "lent"), &sp_listener);

    g_assert_cmpstr(qdict_get_str(ret, "backend"), ==, "emulated");
    assert_same(want, p2m);
    assert_same(p2m, lent);
    g_assert_cmpuint(sp_p2m, ==, sp_listener);
    g_assert_cmpuint(qdict_get_int(client, "lent-superpages"), ==, sp_p2m);
    for (unsigned i = 0; i < p2m->len; i++) {
        Range *x = &g_array_index(p2m, Range, i);

        g_assert_cmphex(x->gfn * PAGE, >=, t->bar2);
        g_assert_cmphex((x->gfn + x->pages) * PAGE, <=, t->bar2 + CONTAINER);
    }
    g_array_free(want, true);
    g_array_free(p2m, true);
    g_array_free(lent, true);
    qobject_unref(resp);
    return sp_p2m;
}

static uint64_t client_counter(Test *t, const char *name)
{
    QDict *resp = query(t);
    QList *clients = qdict_get_qlist(qdict_get_qdict(resp, "return"),
                                     "clients");
    uint64_t v = qdict_get_int(qobject_to(QDict, qlist_peek(clients)), name);

    qobject_unref(resp);
    return v;
}

static void test_map_unmap(void)
{
    Test t;

    test_start(&t);
    check_lent_equals_mapped(&t);
    map(&t, 0, 0, PAGE, 0);
    check_lent_equals_mapped(&t);
    map(&t, 1, 16 * PAGE, 3 * PAGE, 64 * PAGE);
    check_lent_equals_mapped(&t);
    map(&t, 2, 8 * MiB, 1 * MiB, 8 * MiB);
    check_lent_equals_mapped(&t);
    unmap(&t, 1);
    check_lent_equals_mapped(&t);
    unmap(&t, 0);
    unmap(&t, 2);
    check_lent_equals_mapped(&t);
    g_assert_cmpuint(client_counter(&t, "lent-pages"), ==, 0);
    test_end(&t);
}

/* "one batch per transaction": one lend batch, one revoke batch */
static void test_one_batch_per_transaction(void)
{
    uint64_t lends, revokes;
    Test t;

    test_start(&t);
    command(&t, CMD_BEGIN);
    for (int i = 0; i < 6; i++) {
        map(&t, i, i * 2 * MiB, 256 * KiB, i * 2 * MiB);
    }
    command(&t, CMD_COMMIT);
    check_lent_equals_mapped(&t);
    g_assert_cmpuint(client_counter(&t, "lend-calls"), ==, 1);

    command(&t, CMD_BEGIN);
    unmap(&t, 1);
    unmap(&t, 3);
    map(&t, 7, 40 * MiB, 64 * KiB, 0);
    command(&t, CMD_COMMIT);
    check_lent_equals_mapped(&t);
    lends = client_counter(&t, "lend-calls");
    revokes = client_counter(&t, "revoke-calls");
    g_assert_cmpuint(lends, ==, 2);
    g_assert_cmpuint(revokes, ==, 1);
    test_end(&t);
}

/* A subregion moved within one transaction: revoke old, lend new */
static void test_move_subregion(void)
{
    Test t;

    test_start(&t);
    map(&t, 0, 4 * MiB, 512 * KiB, 0);
    map(&t, 1, 12 * MiB, 4 * PAGE, 0);
    check_lent_equals_mapped(&t);
    command(&t, CMD_BEGIN);
    unmap(&t, 0);
    map(&t, 0, 20 * MiB, 512 * KiB, 0);
    command(&t, CMD_COMMIT);
    check_lent_equals_mapped(&t);
    /* and onto the spot another slot just left */
    command(&t, CMD_BEGIN);
    unmap(&t, 1);
    unmap(&t, 0);
    map(&t, 0, 12 * MiB, 4 * PAGE, 0);
    command(&t, CMD_COMMIT);
    check_lent_equals_mapped(&t);
    test_end(&t);
}

/* "one batch per transaction": 2 MiB pages where both sides allow */
static void test_superpages(void)
{
    Test t;

    test_start(&t);
    g_assert_cmpuint(t.bar2 % (2 * MiB), ==, 0);
    map(&t, 0, 2 * MiB, 4 * MiB, 2 * MiB);          /* congruent */
    g_assert_cmpuint(check_lent_equals_mapped(&t), ==, 2);
    map(&t, 1, 8 * MiB, 4 * MiB, 8 * MiB + PAGE);   /* not congruent */
    g_assert_cmpuint(check_lent_equals_mapped(&t), ==, 2);
    map(&t, 2, 15 * MiB, 4 * MiB, 1 * MiB);         /* congruent, head/tail */
    g_assert_cmpuint(check_lent_equals_mapped(&t), ==, 3);
    g_assert_cmpuint(client_counter(&t, "lent-pages"), ==, 3 * 1024);
    test_end(&t);
}

static void move_bar2(Test *t, uint64_t addr)
{
    qpci_config_writel(t->dev, PCI_BASE_ADDRESS_2, addr & 0xffffffff);
    qpci_config_writel(t->dev, PCI_BASE_ADDRESS_3, addr >> 32);
    t->bar2 = addr;
}

/* The container moves (the guest reprograms BAR2): the lends follow */
static void test_move_bar(void)
{
    uint64_t home;
    Test t;

    test_start(&t);
    home = t.bar2;
    map(&t, 0, 0, 2 * MiB, 0);
    map(&t, 1, 6 * MiB, 64 * KiB, 0);
    check_lent_equals_mapped(&t);
    move_bar2(&t, 0x800000000ULL);
    check_lent_equals_mapped(&t);
    move_bar2(&t, home);
    check_lent_equals_mapped(&t);
    test_end(&t);
}

/* Memory decode off takes BAR2 out of the address space: all revoked */
static void test_decode_off(void)
{
    uint16_t cmd;
    Test t;

    test_start(&t);
    map(&t, 0, 0, 1 * MiB, 0);
    map(&t, 1, 32 * MiB, 2 * MiB, 0);
    check_lent_equals_mapped(&t);
    cmd = qpci_config_readw(t.dev, PCI_COMMAND);
    qpci_config_writew(t.dev, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY);
    t.decode = false;
    check_lent_equals_mapped(&t);
    g_assert_cmpuint(client_counter(&t, "lent-pages"), ==, 0);
    qpci_config_writew(t.dev, PCI_COMMAND, cmd);
    t.decode = true;
    check_lent_equals_mapped(&t);
    test_end(&t);
}

/* "a failed lend fails the map": the device takes the map back */
static void test_lend_failure(void)
{
    uint64_t status;
    Test t;

    test_start(&t);
    map(&t, 0, 0, 64 * KiB, 0);
    qtest_qmp_assert_success(t.qts, "{'execute': 'x-xen-lend-inject-fault',"
                             " 'arguments': {'op': 'lend', 'nth': 1}}");
    reg_write(&t, REG_SLOT, 1);
    reg_write(&t, REG_OFFSET, 1 * MiB);
    reg_write(&t, REG_SIZE, 64 * KiB);
    reg_write(&t, REG_HOST_OFFSET, 0);
    reg_write(&t, REG_CMD, CMD_MAP);
    status = qpci_io_readq(t.dev, t.regs, REG_STATUS);
    g_assert_cmpuint(status >> 32, ==, 1);          /* failure reported */
    check_lent_equals_mapped(&t);                       /* slot 1 not lent */
    g_assert_cmpuint(client_counter(&t, "lend-failures"), ==, 1);
    /* the test device does not lend ahead: its RAM was published */
    g_assert_cmpuint(client_counter(&t, "lend-failures-published"), ==, 1);
    /* the slot can be mapped again once the backend lends */
    map(&t, 1, 1 * MiB, 64 * KiB, 0);
    check_lent_equals_mapped(&t);
    test_end(&t);
}

/* "revoke before release": unplug revokes all before the memory goes */
static void test_unplug(void)
{
    QDict *resp;
    Test t;

    test_start(&t);
    map(&t, 0, 0, 2 * MiB, 0);
    map(&t, 1, 4 * MiB, 64 * KiB, 0);
    check_lent_equals_mapped(&t);
    qpci_unplug_acpi_device_test(t.qts, "td", 5);
    resp = query(&t);
    g_assert_cmpuint(qlist_size(qdict_get_qlist(
        qdict_get_qdict(resp, "return"), "clients")), ==, 0);
    g_assert_true(qlist_empty(qdict_get_qlist(qdict_get_qdict(
        qdict_get_qdict(resp, "return"), "emulated"), "p2m")));
    qobject_unref(resp);
    g_free(t.dev);
    qpci_free_pc(t.bus);
    qtest_quit(t.qts);
}

/* "a failed revoke stops QEMU", with domid, gfn and size */
static void test_revoke_failure_aborts(void)
{
    if (g_test_subprocess()) {
        Test t;

        test_start(&t);
        map(&t, 0, 0, 64 * KiB, 0);
        qtest_qmp_assert_success(t.qts,
                                 "{'execute': 'x-xen-lend-inject-fault',"
                                 " 'arguments': {'op': 'revoke', 'nth': 1}}");
        qtest_set_expected_status(t.qts, -SIGABRT);
        reg_write(&t, REG_SLOT, 0);
        reg_write(&t, REG_CMD, CMD_UNMAP);
        /* not reached: QEMU is gone, libqtest fails the read */
        qpci_io_readq(t.dev, t.regs, REG_STATUS);
        return;
    }
    g_test_trap_subprocess(NULL, 0, 0);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr("*xen-lend: revoke failed for domain 0: gfn 0x"
                              "* size 0x10000*aborting*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/xen-lend/listener/map-unmap", test_map_unmap);
    qtest_add_func("/xen-lend/listener/one-batch-per-transaction",
                   test_one_batch_per_transaction);
    qtest_add_func("/xen-lend/listener/move-subregion", test_move_subregion);
    qtest_add_func("/xen-lend/listener/superpages", test_superpages);
    qtest_add_func("/xen-lend/listener/move-bar", test_move_bar);
    qtest_add_func("/xen-lend/listener/decode-off", test_decode_off);
    qtest_add_func("/xen-lend/listener/lend-failure", test_lend_failure);
    qtest_add_func("/xen-lend/listener/unplug", test_unplug);
    qtest_add_func("/xen-lend/listener/revoke-failure-aborts",
                   test_revoke_failure_aborts);
    return g_test_run();
}
