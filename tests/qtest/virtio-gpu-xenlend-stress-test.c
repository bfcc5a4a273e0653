/*
 * virtio-gpu-xenlend stress: seeded random sequences of what a guest and
 * its firmware can do to the device (create, map at valid and invalid
 * offsets, unmap, unref, reset, move BAR4, toggle memory decode) and of
 * lend failures, with a model of what must hold after every step: the
 * emulated p2m holds exactly the lent pages of the mapped blobs ("lent
 * equals mapped"), the hypervisor's rules are never broken, the device's
 * counters agree and the data a blob holds survives everything but its
 * unref.
 *
 * STRESS_STEPS=N and STRESS_SEED=S for long runs.  A failure prints the
 * seed, the step and the operations that led there.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "qobject/qlist.h"
#include "hw/pci/pci_regs.h"
#include "virtio-gpu-xenlend-helpers.h"

#define NRES 12
#define HISTORY 24
#define HOSTMEM (64 * MiB)
#define PATTERN_LEN 64

typedef enum ResState { RES_NONE, RES_CREATED, RES_MAPPED } ResState;

typedef struct Res {
    ResState state;
    uint64_t size;
    uint64_t offset;
    bool lent;              /* its pages are in the p2m (when decoded) */
    bool have_data;         /* @seed's pattern is at @data_off */
    uint64_t data_off;
    uint32_t seed;
} Res;

typedef struct Stress {
    Gpu g;
    GRand *rand;
    uint32_t seed;
    uint64_t step;
    Res res[NRES + 1];      /* resource ids 1..NRES */
    uint64_t home;          /* where the firmware put BAR4 */
    bool decode;
    bool fault_armed;       /* the next lend call fails */
    char history[HISTORY][160];
} Stress;

static Stress *current;

static void print_history(void *opaque)
{
    Stress *s = current;

    if (!s) {
        return;
    }
    fprintf(stderr, "stress: failed at step %" PRIu64 " of seed %" PRIu32
            " (rerun: STRESS_SEED=%" PRIu32 " STRESS_STEPS=%" PRIu64 ");"
            " the last operations:\n", s->step, s->seed, s->seed,
            s->step + 1);
    for (uint64_t i = s->step >= HISTORY ? s->step - HISTORY + 1 : 0;
         i <= s->step; i++) {
        fprintf(stderr, "  %6" PRIu64 ": %s\n", i, s->history[i % HISTORY]);
    }
    current = NULL;
}

static void note(Stress *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(Stress *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->history[s->step % HISTORY], sizeof(s->history[0]), fmt, ap);
    va_end(ap);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = g_getenv(name);

    return v ? g_ascii_strtoull(v, NULL, 0) : dflt;
}

static uint32_t rnd(Stress *s, uint32_t n)
{
    return g_rand_int_range(s->rand, 0, n);
}

static Res *pick(Stress *s, ResState state, uint32_t *id)
{
    uint32_t start = 1 + rnd(s, NRES);

    for (uint32_t i = 0; i < NRES; i++) {
        *id = 1 + (start - 1 + i) % NRES;
        if (s->res[*id].state == state) {
            return &s->res[*id];
        }
    }
    return NULL;
}

/* Blob sizes that exercise 4 KiB, 2 MiB and mixed extents */
static uint64_t random_size(Stress *s)
{
    switch (rnd(s, 4)) {
    case 0:
        return PAGE * (1 + rnd(s, 16));
    case 1:
        return 2 * MiB * (1 + rnd(s, 2));
    case 2:
        return 2 * MiB + PAGE * (1 + rnd(s, 512));
    default:
        return PAGE * (1 + rnd(s, 1024));
    }
}

static uint64_t random_offset(Stress *s, uint64_t size)
{
    uint64_t slots;

    if (size > HOSTMEM) {
        return 0;
    }
    if (rnd(s, 2)) {
        slots = (HOSTMEM - size) / (2 * MiB) + 1;
        return 2 * MiB * rnd(s, slots);
    }
    slots = (HOSTMEM - size) / PAGE + 1;
    return PAGE * rnd(s, slots);
}

static bool overlaps_mapped(Stress *s, uint64_t off, uint64_t size)
{
    for (uint32_t id = 1; id <= NRES; id++) {
        Res *r = &s->res[id];

        if (r->state == RES_MAPPED && off < r->offset + r->size &&
            r->offset < off + size) {
            return true;
        }
    }
    return false;
}

static void op_create(Stress *s)
{
    uint32_t id;
    Res *r = pick(s, RES_NONE, &id);
    uint64_t size = random_size(s);

    if (!r) {
        note(s, "create: no free id");
        return;
    }
    note(s, "create %u size 0x%" PRIx64, id, size);
    g_assert_cmphex(gpu_blob_create(&s->g, 1, id, size,
                                    VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE), ==,
                    VIRTIO_GPU_RESP_OK_NODATA);
    *r = (Res) { .state = RES_CREATED, .size = size };
}

static void map_expect(Stress *s, uint32_t id, uint64_t off, uint32_t want)
{
    Res *r = &s->res[id];
    bool lends = want == VIRTIO_GPU_RESP_OK_MAP_INFO && s->g.lending &&
                 s->decode;

    if (lends && s->fault_armed) {
        /* "a failed lend fails the map" */
        want = VIRTIO_GPU_RESP_ERR_UNSPEC;
        s->fault_armed = false;
    }
    g_assert_cmphex(gpu_map(&s->g, id, off), ==, want);
    if (want == VIRTIO_GPU_RESP_OK_MAP_INFO) {
        r->state = RES_MAPPED;
        r->offset = off;
        r->lent = s->g.lending;
    }
}

static void op_map(Stress *s)
{
    uint32_t id;
    Res *r = pick(s, RES_CREATED, &id);
    uint64_t off;

    if (!r) {
        note(s, "map: nothing to map");
        return;
    }
    off = random_offset(s, r->size);
    note(s, "map %u (0x%" PRIx64 ") at 0x%" PRIx64 "%s", id, r->size, off,
         s->fault_armed ? " with a lend failure armed" : "");
    map_expect(s, id, off, overlaps_mapped(s, off, r->size) ?
               VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER :
               VIRTIO_GPU_RESP_OK_MAP_INFO);
}

static void op_map_invalid(Stress *s)
{
    uint32_t id, kind = rnd(s, 5);
    Res *r = pick(s, kind == 4 ? RES_MAPPED : RES_CREATED, &id);
    uint64_t off;

    if (kind == 3) {
        note(s, "map of a resource that does not exist");
        g_assert_cmphex(gpu_map(&s->g, NRES + 1 + rnd(s, 1000), 0), ==,
                        VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
        return;
    }
    if (!r) {
        note(s, "map invalid: no candidate");
        return;
    }
    switch (kind) {
    case 0:
        off = random_offset(s, r->size) + 1 + rnd(s, PAGE - 1);
        break;
    case 1:
        off = HOSTMEM - r->size + PAGE * (1 + rnd(s, 1024));
        break;
    case 2:
        off = UINT64_MAX - PAGE * rnd(s, 4) - PAGE + 1;
        break;
    default:
        off = r->offset;    /* mapped twice */
        break;
    }
    note(s, "map %u (0x%" PRIx64 ") at bad offset 0x%" PRIx64 " (kind %u)",
         id, r->size, off, kind);
    g_assert_cmphex(gpu_map(&s->g, id, off), ==,
                    VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER);
}

static void op_unmap(Stress *s)
{
    uint32_t id = 1 + rnd(s, NRES + 1);
    Res *r = id <= NRES ? &s->res[id] : NULL;
    uint32_t want;

    note(s, "unmap %u", id);
    if (!r || r->state == RES_NONE) {
        want = VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID;
    } else if (r->state == RES_CREATED) {
        want = VIRTIO_GPU_RESP_ERR_INVALID_PARAMETER;
    } else {
        want = VIRTIO_GPU_RESP_OK_NODATA;
        r->state = RES_CREATED;
    }
    g_assert_cmphex(gpu_unmap(&s->g, id), ==, want);
}

static void op_unref(Stress *s)
{
    uint32_t id = 1 + rnd(s, NRES + 1);
    Res *r = id <= NRES ? &s->res[id] : NULL;
    bool exists = r && r->state != RES_NONE;

    note(s, "unref %u%s", id, r && r->state == RES_MAPPED ? " (mapped)" : "");
    g_assert_cmphex(gpu_unref(&s->g, id), ==,
                    exists ? VIRTIO_GPU_RESP_OK_NODATA :
                             VIRTIO_GPU_RESP_ERR_INVALID_RESOURCE_ID);
    if (r) {
        *r = (Res) { .state = RES_NONE };
    }
}

static void op_reset(Stress *s)
{
    note(s, "device reset");
    qvirtio_reset(&s->g.vdev->vdev);
    for (uint32_t id = 1; id <= NRES; id++) {
        s->res[id] = (Res) { .state = RES_NONE };
    }
    gpu_restart(&s->g);
    gpu_ctx_create(&s->g, 1);
}

static bool any_mapped(Stress *s)
{
    for (uint32_t id = 1; id <= NRES; id++) {
        if (s->res[id].state == RES_MAPPED) {
            return true;
        }
    }
    return false;
}

/* BAR4 appears somewhere new: every mapped blob is lent in one batch */
static void relend_all(Stress *s)
{
    bool fail = s->fault_armed && s->g.lending && s->decode && any_mapped(s);

    if (fail) {
        s->fault_armed = false;
    }
    for (uint32_t id = 1; id <= NRES; id++) {
        s->res[id].lent = s->g.lending && !fail;
    }
}

/*
 * The guest moves BAR4, one half of the 64-bit BAR at a time, the half
 * that keeps it clear of RAM first; each half that changes the address
 * is a memory commit that lends every mapped blob again.
 */
static void op_move_bar(Stress *s)
{
    uint64_t to = rnd(s, 4) ? 0x800000000ULL + HOSTMEM * rnd(s, 64) : s->home;
    uint64_t from = s->g.bar4;
    bool high_first = to >> 32;
    int reg[2] = { PCI_BASE_ADDRESS_4, PCI_BASE_ADDRESS_5 };

    note(s, "move BAR4 from 0x%" PRIx64 " to 0x%" PRIx64 "%s", from, to,
         s->fault_armed ? " with a lend failure armed" : "");
    for (int i = 0; i < 2; i++) {
        int half = high_first ? 1 - i : i;
        uint32_t old = from >> (32 * half), new = to >> (32 * half);

        if (old == new) {
            continue;
        }
        qpci_config_writel(s->g.f.dev, reg[half], new);
        relend_all(s);
    }
    s->g.bar4 = to;
}

static void op_toggle_decode(Stress *s)
{
    uint16_t cmd = qpci_config_readw(s->g.f.dev, PCI_COMMAND);

    s->decode = !s->decode;
    note(s, "memory decode %s%s", s->decode ? "on" : "off",
         s->fault_armed ? " with a lend failure armed" : "");
    qpci_config_writew(s->g.f.dev, PCI_COMMAND,
                       s->decode ? cmd | PCI_COMMAND_MEMORY :
                                   cmd & ~PCI_COMMAND_MEMORY);
    if (s->decode) {
        relend_all(s);
    }
}

static void op_inject(Stress *s)
{
    note(s, "arm a lend failure");
    qtest_qmp_assert_success(s->g.f.qts,
                             "{'execute': 'x-xen-lend-inject-fault',"
                             " 'arguments': {'op': 'lend', 'nth': 1}}");
    s->fault_armed = true;
}

/* Write a pattern into a mapped blob through BAR4, or check the last one */
static void op_data(Stress *s)
{
    uint8_t buf[PATTERN_LEN], back[PATTERN_LEN];
    uint32_t id;
    Res *r = pick(s, RES_MAPPED, &id);

    if (!r) {
        note(s, "data: nothing mapped");
        return;
    }
    if (r->have_data && rnd(s, 2)) {
        note(s, "check data of %u at +0x%" PRIx64, id, r->data_off);
        fill_pattern(buf, sizeof(buf), r->seed);
        qtest_memread(s->g.f.qts, s->g.bar4 + r->offset + r->data_off,
                      back, sizeof(back));
        g_assert_cmpmem(buf, sizeof(buf), back, sizeof(back));
        return;
    }
    r->have_data = true;
    r->data_off = PAGE * rnd(s, r->size / PAGE) + rnd(s, PAGE - PATTERN_LEN);
    r->seed = g_rand_int(s->rand);
    note(s, "write data to %u at +0x%" PRIx64, id, r->data_off);
    fill_pattern(buf, sizeof(buf), r->seed);
    qtest_memwrite(s->g.f.qts, s->g.bar4 + r->offset + r->data_off, buf,
                   sizeof(buf));
}

static void check_state(Stress *s)
{
    Mapped m[NRES];
    unsigned n = 0;
    uint64_t bytes = 0;

    for (uint32_t id = 1; id <= NRES; id++) {
        Res *r = &s->res[id];

        if (r->state != RES_MAPPED) {
            continue;
        }
        bytes += r->size;
        if (r->lent && s->decode) {
            m[n++] = (Mapped) { id, r->offset, r->size };
        }
    }
    check_lent_equals_mapped(&s->g, m, n);
    g_assert_cmpuint(device_counter(&s->g, "bytes-mapped"), ==, bytes);
}

static void stress(Stress *s, uint64_t steps)
{
    static void (*const ops[])(Stress *) = {
        op_create, op_create, op_create, op_map, op_map, op_map, op_map,
        op_map_invalid, op_unmap, op_unmap, op_unref, op_data, op_data,
        op_move_bar, op_toggle_decode, op_inject, op_reset,
    };

    for (s->step = 0; s->step < steps; s->step++) {
        if (!s->decode) {
            /* without decode the virtqueue's BAR is gone too */
            if (rnd(s, 3)) {
                op_toggle_decode(s);
            } else {
                op_move_bar(s);
            }
        } else {
            uint32_t i = rnd(s, ARRAY_SIZE(ops));

            /* resets are rare: they empty everything */
            if (ops[i] == op_reset && rnd(s, 8)) {
                i = 0;
            }
            ops[i](s);
        }
        check_state(s);
    }
}

static void test_stress(const void *opaque)
{
    const char *lend = opaque;
    uint64_t steps = env_u64("STRESS_STEPS", 2000);
    QDict *resp, *emu;
    Stress *s = g_new0(Stress, 1);

    s->seed = env_u64("STRESS_SEED", 1);
    s->rand = g_rand_new_with_seed(s->seed);
    current = s;
    gpu_start(&s->g, HOSTMEM, lend);
    qtest_add_abrt_handler(print_history, s);
    s->home = s->g.bar4;
    s->decode = true;
    gpu_ctx_create(&s->g, 1);

    stress(s, steps);

    /* the listener never asked the hypervisor for anything it refuses */
    resp = qtest_qmp(s->g.f.qts, "{'execute': 'x-query-xen-lend'}");
    emu = qdict_get_qdict(qdict_get_qdict(resp, "return"), "emulated");
    g_assert_cmpuint(qdict_get_int(emu, "rejected-calls"), ==, 0);
    g_test_message("seed %" PRIu32 ": %" PRIu64 " steps, %" PRId64
                   " lend calls, %" PRId64 " revoke calls, %" PRId64
                   " injected failures", s->seed, steps,
                   qdict_get_int(emu, "lend-calls"),
                   qdict_get_int(emu, "revoke-calls"),
                   qdict_get_int(emu, "injected-failures"));
    qobject_unref(resp);

    current = NULL;
    qtest_remove_abrt_handler(s);
    gpu_stop(&s->g);
    g_rand_free(s->rand);
    g_free(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_data_func("/virtio-gpu-xenlend/stress/lend-on", "on",
                        test_stress);
    qtest_add_data_func("/virtio-gpu-xenlend/stress/lend-off", "off",
                        test_stress);
    return g_test_run();
}
