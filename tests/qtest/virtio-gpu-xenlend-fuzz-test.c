/*
 * virtio-gpu-xenlend guest-input fuzzer: seeded random virtio-gpu control
 * commands through the virtqueue, in batches: random types and field
 * values, truncated, oversized and split requests, short, split and
 * missing response buffers, now and then a chain the device must refuse.
 * About half the commands are well-formed blob commands (create, map at
 * random offsets, unmap, unref, attach) so that blobs are really mapped
 * and lent while the garbage flies.
 *
 * After each batch QEMU must answer and "lent equals mapped" must hold (the
 * emulated p2m holds exactly as many pages as the device says are mapped,
 * all inside BAR4, none twice), and the hypervisor's rules were never
 * broken.
 *
 * Fence ids increase, as the protocol asks: virglrenderer reports only
 * the last fence it signalled (in 32 bits), so a guest that sends them
 * out of order or above 2^32 stalls its own fenced commands until it
 * resets the device.  That hurts nobody else and is left alone here.
 *
 * The renderer's own command stream (SUBMIT_3D payloads) is not fuzzed
 * here beyond a buffer-create command with random fields: that parser is
 * virglrenderer's, with its own fuzzers.
 *
 * FUZZ_COMMANDS=N and FUZZ_SEED=S for long runs.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qemu/units.h"
#include "qobject/qlist.h"
#include "standard-headers/linux/virtio_config.h"
#include "virtio-gpu-xenlend-helpers.h"

#define HOSTMEM (64 * MiB)
#define BATCH 32
#define SLOT 1024               /* request bytes per command, at most */
#define RESP_SLOT 4096
#define ARENA (BATCH * (SLOT + RESP_SLOT) + 64 * KiB)
#define NIDS 24

typedef struct Fuzz {
    Gpu g;
    GRand *rand;
    uint32_t seed;
    uint64_t arena;
    uint64_t commands, batches, resets, ok_responses, maps_ok;
    uint32_t blob_id;
    uint64_t fence_id;
    uint32_t last_size;     /* of the last buffer created for a blob */
    uint32_t last_blob_res; /* of the last blob asked for */
    struct {
        uint32_t head, type, flags, len, layout;
        bool done;
    } sent[BATCH];
} Fuzz;

static uint32_t rnd(Fuzz *f, uint32_t n)
{
    return g_rand_int_range(f->rand, 0, n);
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
    const char *v = g_getenv(name);

    return v ? g_ascii_strtoull(v, NULL, 0) : dflt;
}

/* Field values a validator has to get right */
static uint32_t word(Fuzz *f)
{
    switch (rnd(f, 10)) {
    case 0:
        return 0;
    case 1:
        return 1 + rnd(f, NIDS);
    case 2:
        return PAGE * rnd(f, HOSTMEM / PAGE + 16);
    case 3:
        return 2 * MiB * rnd(f, 40);
    case 4:
        return UINT32_MAX - rnd(f, 4);
    case 5:
        return rnd(f, 1 << 16);
    case 6:
        return 0x80000000u + rnd(f, 2);
    case 7:
        return g_rand_int(f->rand);
    case 8:
        return rnd(f, 8);
    default:
        return PAGE * (1 + rnd(f, 16)) - rnd(f, 2);
    }
}

static uint64_t wide(Fuzz *f)
{
    return rnd(f, 4) ? word(f) : (uint64_t)word(f) << 32 | word(f);
}

static uint32_t res_id(Fuzz *f)
{
    return rnd(f, 8) ? 1 + rnd(f, NIDS) : word(f);
}

static uint64_t blob_size(Fuzz *f)
{
    return rnd(f, 8) ? PAGE * (1 + rnd(f, 1024)) : wide(f);
}

static const uint32_t any_types[] = {
    VIRTIO_GPU_CMD_GET_DISPLAY_INFO, VIRTIO_GPU_CMD_RESOURCE_UNREF,
    VIRTIO_GPU_CMD_SET_SCANOUT, VIRTIO_GPU_CMD_RESOURCE_FLUSH,
    VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D, VIRTIO_GPU_CMD_RESOURCE_DETACH_BACKING,
    VIRTIO_GPU_CMD_GET_CAPSET_INFO, VIRTIO_GPU_CMD_GET_CAPSET,
    VIRTIO_GPU_CMD_GET_EDID, VIRTIO_GPU_CMD_RESOURCE_ASSIGN_UUID,
    VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB, VIRTIO_GPU_CMD_SET_SCANOUT_BLOB,
    VIRTIO_GPU_CMD_CTX_CREATE, VIRTIO_GPU_CMD_CTX_DESTROY,
    VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE, VIRTIO_GPU_CMD_CTX_DETACH_RESOURCE,
    VIRTIO_GPU_CMD_TRANSFER_TO_HOST_3D, VIRTIO_GPU_CMD_TRANSFER_FROM_HOST_3D,
    VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB, VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB,
    VIRTIO_GPU_CMD_UPDATE_CURSOR, VIRTIO_GPU_CMD_MOVE_CURSOR,
};

static void put32(uint8_t *buf, size_t *len, uint32_t v)
{
    stl_le_p(buf + *len, v);
    *len += 4;
}

static void put64(uint8_t *buf, size_t *len, uint64_t v)
{
    stq_le_p(buf + *len, v);
    *len += 8;
}

static void header(Fuzz *f, uint8_t *buf, size_t *len, uint32_t type)
{
    put32(buf, len, type);
    put32(buf, len, rnd(f, 8) ? 0 : word(f));              /* flags */
    put64(buf, len, ++f->fence_id);                         /* fence_id */
    put32(buf, len, rnd(f, 8) ? 1 : rnd(f, 4));            /* ctx_id */
    put32(buf, len, rnd(f, 8) ? 0 : word(f));              /* ring, pad */
}

/* A well-formed command of the blob family, with random values */
static size_t blob_command(Fuzz *f, uint8_t *buf)
{
    size_t len = 0;

    switch (rnd(f, 10)) {
    case 0: {
        /* a virgl buffer carrying a blob id, as Mesa creates them */
        uint32_t size = rnd(f, 8) ? PAGE * (1 + rnd(f, 1024)) : word(f);

        header(f, buf, &len, VIRTIO_GPU_CMD_SUBMIT_3D);
        put32(buf, &len, 4 * (VIRGL_PIPE_RES_CREATE_SIZE + 1));
        put32(buf, &len, 0);
        put32(buf, &len, VIRGL_CCMD_PIPE_RESOURCE_CREATE |
                         VIRGL_PIPE_RES_CREATE_SIZE << 16);
        put32(buf, &len, PIPE_BUFFER);
        put32(buf, &len, VIRGL_FORMAT_R8_UNORM);
        put32(buf, &len, VIRGL_BIND_VERTEX_BUFFER);
        f->last_size = MIN(size, 8 * MiB);
        put32(buf, &len, f->last_size);
        put32(buf, &len, 1);
        put32(buf, &len, 1);
        put32(buf, &len, 1);
        put32(buf, &len, 0);
        put32(buf, &len, 0);
        put32(buf, &len, rnd(f, 8) ? VIRGL_RESOURCE_FLAG_MAP_PERSISTENT |
                                     VIRGL_RESOURCE_FLAG_MAP_COHERENT :
                                     rnd(f, 8));
        put32(buf, &len, ++f->blob_id);
        break;
    }
    case 1:
    case 2:
        header(f, buf, &len, VIRTIO_GPU_CMD_RESOURCE_CREATE_BLOB);
        f->last_blob_res = res_id(f);
        put32(buf, &len, f->last_blob_res);
        put32(buf, &len, rnd(f, 8) ? VIRTIO_GPU_BLOB_MEM_HOST3D : rnd(f, 5));
        put32(buf, &len, rnd(f, 8) ? VIRTIO_GPU_BLOB_FLAG_USE_MAPPABLE :
                                     rnd(f, 8));
        put32(buf, &len, rnd(f, 8) ? 0 : rnd(f, 3));       /* nr_entries */
        put64(buf, &len, rnd(f, 8) ? f->blob_id - rnd(f, 2) : wide(f));
        put64(buf, &len, rnd(f, 2) ? f->last_size : blob_size(f));
        break;
    case 3:
    case 4:
        header(f, buf, &len, VIRTIO_GPU_CMD_RESOURCE_MAP_BLOB);
        put32(buf, &len, rnd(f, 2) ? f->last_blob_res : res_id(f));
        put32(buf, &len, 0);
        put64(buf, &len, rnd(f, 8) ? PAGE * rnd(f, HOSTMEM / PAGE) :
                                     wide(f));
        break;
    case 5:
        header(f, buf, &len, VIRTIO_GPU_CMD_RESOURCE_UNMAP_BLOB);
        put32(buf, &len, res_id(f));
        put32(buf, &len, 0);
        break;
    case 6:
    case 9:
        header(f, buf, &len, VIRTIO_GPU_CMD_RESOURCE_UNREF);
        put32(buf, &len, res_id(f));
        put32(buf, &len, 0);
        break;
    case 7:
        header(f, buf, &len, VIRTIO_GPU_CMD_CTX_ATTACH_RESOURCE);
        put32(buf, &len, res_id(f));
        put32(buf, &len, 0);
        break;
    default: {
        /* backing in the fuzzer's own scratch memory, never its rings */
        uint32_t n = rnd(f, 4);

        header(f, buf, &len, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
        put32(buf, &len, res_id(f));
        put32(buf, &len, rnd(f, 8) ? n : word(f));
        for (uint32_t i = 0; i < n; i++) {
            put64(buf, &len, f->arena + ARENA - 64 * KiB +
                             PAGE * rnd(f, 16));
            put32(buf, &len, rnd(f, 8) ? PAGE : word(f));
            put32(buf, &len, 0);
        }
        break;
    }
    }
    return len;
}

/* Resources with small dimensions: the renderer allocates what it is told */
static size_t create_command(Fuzz *f, uint8_t *buf, bool three_d)
{
    size_t len = 0;

    header(f, buf, &len, three_d ? VIRTIO_GPU_CMD_RESOURCE_CREATE_3D :
                                   VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
    put32(buf, &len, res_id(f));
    put32(buf, &len, three_d ? rnd(f, 10) : rnd(f, 140));  /* target, fmt */
    put32(buf, &len, rnd(f, 140));                          /* format, w */
    put32(buf, &len, rnd(f, 512));
    put32(buf, &len, rnd(f, 512));
    if (three_d) {
        for (int i = 0; i < 6; i++) {
            put32(buf, &len, rnd(f, 4));
        }
    }
    return len;
}

static size_t random_command(Fuzz *f, uint8_t *buf)
{
    uint32_t type;
    size_t len = 0;
    uint32_t words;

    if (rnd(f, 2)) {
        return blob_command(f, buf);
    }
    if (!rnd(f, 10)) {
        return create_command(f, buf, rnd(f, 2));
    }
    type = rnd(f, 10) ? any_types[rnd(f, ARRAY_SIZE(any_types))] : word(f);
    header(f, buf, &len, type);
    words = rnd(f, 24);
    for (uint32_t i = 0; i < words; i++) {
        put32(buf, &len, word(f));
    }
    return len;
}

/* Post one command, laid out in one of the ways a guest may get wrong */
static uint32_t post(Fuzz *f, unsigned slot)
{
    QTestState *qts = f->g.f.qts;
    QVirtQueue *vq = f->g.ctrl;
    uint64_t req = f->arena + slot * SLOT;
    uint64_t resp = f->arena + BATCH * SLOT + slot * RESP_SLOT;
    uint8_t buf[SLOT];
    size_t len = random_command(f, buf);
    uint32_t cut = 0, head = 0, resp_len = RESP_SLOT;
    bool first = true;
    int layout = rnd(f, 20);

    g_assert_cmpuint(len, <=, SLOT - 64);
    switch (layout) {
    case 0:
    case 1:
        len = rnd(f, len + 1);                          /* truncated */
        break;
    case 2:
        for (uint32_t i = 0, n = 1 + rnd(f, 64); i < n; i++) {
            buf[len++] = rnd(f, 256);                   /* oversized */
        }
        break;
    case 3:
    case 4:
        cut = len ? 1 + rnd(f, len) : 0;                /* split */
        break;
    case 5:
        resp_len = rnd(f, sizeof(struct virtio_gpu_ctrl_hdr));
        break;
    case 6:
        resp_len = 0;                                   /* no response */
        break;
    }
    qtest_memwrite(qts, req, buf, len);
    f->sent[slot].type = len >= 4 ? ldl_le_p(buf) : 0;
    f->sent[slot].flags = len >= 8 ? ldl_le_p(buf + 4) : 0;
    f->sent[slot].len = len;
    f->sent[slot].layout = layout;
    f->sent[slot].done = false;

    if (layout == 7 && !rnd(f, 100)) {
        /* a writable buffer before the request: the device must refuse */
        head = qvirtqueue_add(qts, vq, resp, resp_len, true, true);
        qvirtqueue_add(qts, vq, req, len, false, false);
        return head;
    }
    if (cut && cut < len) {
        head = qvirtqueue_add(qts, vq, req, cut, false, true);
        first = false;
        qvirtqueue_add(qts, vq, req + cut, len - cut, false, resp_len);
    } else if (len || !resp_len) {
        head = qvirtqueue_add(qts, vq, req, len, false, resp_len);
        first = false;
    }
    if (resp_len) {
        uint32_t h = qvirtqueue_add(qts, vq, resp, resp_len, true, false);

        head = first ? h : head;
    }
    return head;
}

static bool needs_reset(Fuzz *f)
{
    QVirtioDevice *d = &f->g.vdev->vdev;

    return d->bus->get_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static void restart(Fuzz *f)
{
    f->resets++;
    qvirtio_reset(&f->g.vdev->vdev);
    gpu_restart(&f->g);
    qvirtqueue_reset_pool(f->g.ctrl);
    gpu_ctx_create(&f->g, 1);
}

/* Wait for every command of the batch; false if the device gave up */
static bool complete(Fuzz *f, unsigned n)
{
    gint64 deadline = g_get_monotonic_time() + TIMEOUT_US;
    uint32_t len;

    uint32_t head;

    for (unsigned done = 0; done < n;) {
        if (qvirtqueue_get_buf(f->g.f.qts, f->g.ctrl, &head, &len)) {
            for (unsigned i = 0; i < n; i++) {
                f->sent[i].done |= f->sent[i].head == head;
            }
            done++;
            continue;
        }
        if (needs_reset(f)) {
            return false;
        }
        if (g_get_monotonic_time() > deadline) {
            for (unsigned i = 0; i < n; i++) {
                fprintf(stderr, "fuzz: batch %" PRIu64 " slot %u: type 0x%x "
                        "flags 0x%x len %u layout %u: %s\n", f->batches, i,
                        f->sent[i].type, f->sent[i].flags, f->sent[i].len,
                        f->sent[i].layout,
                        f->sent[i].done ? "answered" : "NOT ANSWERED");
            }
            g_assert_not_reached();
        }
        qtest_clock_step(f->g.f.qts, 1000 * 1000);    /* fence polls */
    }
    return true;
}

/* "lent equals mapped" without a model: pages = bytes, in BAR4, disjoint */
static void check_invariants(Fuzz *f)
{
    QDict *resp = qtest_qmp(f->g.f.qts, "{'execute': 'x-query-xen-lend'}");
    QDict *ret = qdict_get_qdict(resp, "return");
    QDict *emu = qdict_get_qdict(ret, "emulated");
    QList *p2m = qdict_get_qlist(emu, "p2m");
    uint64_t pages = 0, end = 0;
    QListEntry *e;

    QLIST_FOREACH_ENTRY(p2m, e) {
        QDict *x = qobject_to(QDict, qlist_entry_obj(e));
        uint64_t gfn = qdict_get_int(x, "gfn");
        uint64_t np = qdict_get_int(x, "pages");

        g_assert_cmphex(gfn, >=, f->g.bar4 / PAGE);
        g_assert_cmphex(gfn + np, <=, (f->g.bar4 + HOSTMEM) / PAGE);
        g_assert_cmphex(gfn, >=, end);          /* sorted and disjoint */
        end = gfn + np;
        pages += np;
    }
    g_assert_cmpuint(qdict_get_int(emu, "rejected-calls"), ==, 0);
    qobject_unref(resp);
    g_assert_cmpuint(pages * PAGE, ==, device_counter(&f->g, "bytes-mapped"));
}

/*
 * Buffers created for a blob id that no blob claims stay with their
 * context: start it afresh now and then so a long run stays small.
 */
static void recycle_context(Fuzz *f)
{
    struct virtio_gpu_ctx_destroy cd = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_DESTROY, .hdr.ctx_id = 1,
    };
    struct virtio_gpu_ctx_create cc = {
        .hdr.type = VIRTIO_GPU_CMD_CTX_CREATE, .hdr.ctx_id = 1,
        .context_init = VIRTIO_GPU_CAPSET_VIRGL2,
    };

    gpu_cmd_nodata(&f->g, &cd, sizeof(cd));
    gpu_cmd_nodata(&f->g, &cc, sizeof(cc));
}

static void test_fuzz(void)
{
    uint64_t total = env_u64("FUZZ_COMMANDS", 20000);
    Fuzz *f = g_new0(Fuzz, 1);

    f->seed = env_u64("FUZZ_SEED", 1);
    f->rand = g_rand_new_with_seed(f->seed);
    gpu_start(&f->g, HOSTMEM, "on");
    f->arena = guest_alloc(&f->g.alloc, ARENA);
    gpu_ctx_create(&f->g, 1);
    g_test_message("fuzzing with seed %" PRIu32 " (FUZZ_SEED)", f->seed);

    while (f->commands < total) {
        unsigned n = MIN(BATCH, total - f->commands);

        for (unsigned i = 0; i < n; i++) {
            f->sent[i].head = post(f, i);
        qvirtqueue_kick(f->g.f.qts, &f->g.vdev->vdev, f->g.ctrl,
                        f->sent[i].head);
        }
        f->commands += n;
        f->batches++;
        if (!complete(f, n)) {
            restart(f);
        }
        qvirtqueue_reset_pool(f->g.ctrl);
        check_invariants(f);
        if (f->batches % 64 == 0) {
            recycle_context(f);
        }
    }

    f->maps_ok = device_counter(&f->g, "maps");
    g_test_message("seed %" PRIu32 ": %" PRIu64 " commands in %" PRIu64
                   " batches, %" PRIu64 " device resets after refused "
                   "chains, %" PRIu64 " successful maps, %" PRIu64
                   " refused", f->seed, f->commands, f->batches, f->resets,
                   f->maps_ok, device_counter(&f->g, "map-errors"));
    /* the fuzzer reached the lending paths, not only the validators */
    g_assert_cmpuint(f->maps_ok, >, 0);

    guest_free(&f->g.alloc, f->arena);
    gpu_stop(&f->g);
    g_rand_free(f->rand);
    g_free(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    qtest_add_func("/virtio-gpu-xenlend/fuzz/control-queue", test_fuzz);
    return g_test_run();
}
