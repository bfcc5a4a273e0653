/*
 * virtio-gpu-xenlend qtest helpers: the device driven through its control
 * queue, as a guest driver would, and the checks the tests share ("lent
 * equals mapped").
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef VIRTIO_GPU_XENLEND_HELPERS_H
#define VIRTIO_GPU_XENLEND_HELPERS_H

#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "libqos/malloc-pc.h"
#include "libqos/virtio.h"
#include "libqos/virtio-pci.h"
#include "qobject/qdict.h"
#include "standard-headers/linux/virtio_gpu.h"

#define XENLEND_DEVFN QPCI_DEVFN(4, 0)
#define PAGE 4096ULL
#define TIMEOUT_US (30 * 1000 * 1000)

/* virglrenderer's command stream: PIPE_RESOURCE_CREATE of a buffer */
#define VIRGL_CCMD_PIPE_RESOURCE_CREATE 48
#define VIRGL_PIPE_RES_CREATE_SIZE 11
#define PIPE_BUFFER 0
#define VIRGL_FORMAT_R8_UNORM 64
#define VIRGL_BIND_VERTEX_BUFFER (1 << 4)
#define VIRGL_RESOURCE_FLAG_MAP_PERSISTENT (1 << 1)
#define VIRGL_RESOURCE_FLAG_MAP_COHERENT (1 << 2)

#define VIRGL_CCMD_RESOURCE_COPY_REGION 17
#define VIRGL_CMD_RESOURCE_COPY_REGION_SIZE 13

typedef struct Fixture {
    QTestState *qts;
    QPCIBus *pcibus;
    QPCIDevice *dev;
} Fixture;

typedef struct Gpu {
    Fixture f;
    QGuestAllocator alloc;
    QVirtioPCIDevice *vdev;
    QVirtQueue *ctrl;
    uint64_t bar4;
    uint64_t hostmem;
    bool lending;
    uint32_t next_blob_id;
    unsigned in_flight;         /* sent with gpu_send, not yet collected */
} Gpu;

/* A command sent without waiting for its answer */
typedef struct GpuPending {
    uint32_t head;
    uint64_t req, resp;
    size_t resp_len;
} GpuPending;

typedef struct Mapped {
    uint32_t res;
    uint64_t offset, size;
} Mapped;

void gpu_start(Gpu *g, uint64_t hostmem, const char *lend);
void gpu_start_opts(Gpu *g, uint64_t hostmem, const char *lend,
                    const char *opts);
void gpu_start_device(Gpu *g, uint64_t hostmem, const char *device);
void gpu_restart(Gpu *g);
void gpu_stop(Gpu *g);
uint32_t gpu_cmd(Gpu *g, const void *req, size_t req_len,
                 void *resp, size_t resp_len);
uint32_t gpu_cmd_nodata(Gpu *g, const void *req, size_t req_len);
void gpu_send(Gpu *g, const void *req, size_t req_len, size_t resp_len,
              GpuPending *p);
uint32_t gpu_collect(Gpu *g, GpuPending *p, void *resp);
uint32_t gpu_collect_stepping(Gpu *g, GpuPending *p, void *resp);
bool gpu_answered(Gpu *g);
void gpu_ctx_create(Gpu *g, uint32_t ctx_id);
uint32_t gpu_blob_create(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                         uint64_t size, uint32_t blob_flags);
uint32_t gpu_map(Gpu *g, uint32_t res_id, uint64_t offset);
uint32_t gpu_unmap(Gpu *g, uint32_t res_id);
uint32_t gpu_unref(Gpu *g, uint32_t res_id);
void check_lent_equals_mapped(Gpu *g, const Mapped *m, unsigned n);
void bar_write(Gpu *g, uint64_t off, const uint8_t *buf, uint64_t len);
void bar_read(Gpu *g, uint64_t off, uint8_t *buf, uint64_t len);
void fill_pattern(uint8_t *buf, size_t len, uint32_t seed);
QDict *device_info(Gpu *g);
uint64_t device_counter(Gpu *g, const char *name);
uint64_t lend_client_counter(Gpu *g, const char *name);
void gpu_ctx_attach(Gpu *g, uint32_t ctx_id, uint32_t res_id);
uint64_t gpu_backed_buffer(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                           uint32_t size);
void gpu_buffer_backed_at(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                          uint32_t size, uint64_t gpa);
void gpu_transfer(Gpu *g, uint32_t ctx_id, uint32_t res_id,
                  uint32_t size, bool to_host);
void gpu_copy(Gpu *g, uint32_t ctx_id, uint32_t dst, uint32_t src,
              uint32_t size);

#endif
