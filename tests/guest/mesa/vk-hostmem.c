/*
 * vk-hostmem: a Vulkan program that uses host-visible memory the way
 * applications do.  On the venus device (Mesa's Vulkan driver over
 * virtio-gpu) it allocates HOST_VISIBLE | HOST_COHERENT buffers, maps
 * them (each mapping is a blob in the device's hostmem BAR), writes them
 * from the CPU, has the GPU copy and fill them, and checks every word of
 * the result.  Then it measures CPU write and read bandwidth through a
 * mapping, and GPU copies a second.
 *
 *   vk-hostmem [ROUNDS [MAX_KIB [BW_KIB]]]
 *
 * Each round allocates pairs of 4 KiB, 16 KiB, ... up to MAX_KIB; the
 * bandwidth runs use a BW_KIB buffer (0: no bandwidth runs).
 *
 * Prints one line: VK-RESULT ok=0|1 device="..." allocs=N ... error=...
 *
 * Copyright (c) 2026 The virtio-gpu-xenlend authors
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vulkan/vulkan.h>

#define FILL_WORD 0xa5c3f00du

struct gpu {
    VkInstance inst;
    VkPhysicalDevice phys;
    VkDevice dev;
    VkQueue queue;
    VkCommandPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
    uint32_t mem_type;
    char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
};

struct mapped_buffer {
    VkBuffer buf;
    VkDeviceMemory mem;
    uint32_t *map;
    VkDeviceSize size;
};

static const char *error = "none";

static int fail(const char *what, VkResult r)
{
    static char msg[128];

    snprintf(msg, sizeof(msg), "%s:%d", what, r);
    error = msg;
    return -1;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The venus device, by driver ID: the guest may also have lavapipe */
static int pick_venus(struct gpu *g)
{
    VkPhysicalDevice devs[8];
    uint32_t n = 8;
    VkResult r = vkEnumeratePhysicalDevices(g->inst, &n, devs);

    if (r != VK_SUCCESS && r != VK_INCOMPLETE) {
        return fail("enumerate", r);
    }
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceDriverProperties drv = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES,
        };
        VkPhysicalDeviceProperties2 props = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
            .pNext = &drv,
        };

        vkGetPhysicalDeviceProperties2(devs[i], &props);
        if (drv.driverID == VK_DRIVER_ID_MESA_VENUS) {
            g->phys = devs[i];
            snprintf(g->name, sizeof(g->name), "%s",
                     props.properties.deviceName);
            return 0;
        }
    }
    error = "no-venus-device";
    return -1;
}

static int pick_memory(struct gpu *g)
{
    const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    VkPhysicalDeviceMemoryProperties mp;

    vkGetPhysicalDeviceMemoryProperties(g->phys, &mp);
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++) {
        if ((mp.memoryTypes[i].propertyFlags & want) == want) {
            g->mem_type = i;
            return 0;
        }
    }
    error = "no-host-visible-memory";
    return -1;
}

static int gpu_open(struct gpu *g)
{
    const VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "vk-hostmem",
        .apiVersion = VK_API_VERSION_1_2,
    };
    const VkInstanceCreateInfo ici = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pApplicationInfo = &app,
    };
    const float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueCount = 1,
        .pQueuePriorities = &prio,
    };
    VkDeviceCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &qci,
    };
    VkQueueFamilyProperties qf[8];
    uint32_t nqf = 8;
    VkResult r;

    r = vkCreateInstance(&ici, NULL, &g->inst);
    if (r != VK_SUCCESS) {
        return fail("instance", r);
    }
    if (pick_venus(g) || pick_memory(g)) {
        return -1;
    }
    vkGetPhysicalDeviceQueueFamilyProperties(g->phys, &nqf, qf);
    /* graphics and compute queues take transfer commands too */
    for (qci.queueFamilyIndex = 0; qci.queueFamilyIndex < nqf;
         qci.queueFamilyIndex++) {
        if (qf[qci.queueFamilyIndex].queueFlags &
            (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT |
             VK_QUEUE_TRANSFER_BIT)) {
            break;
        }
    }
    if (qci.queueFamilyIndex == nqf) {
        error = "no-transfer-queue";
        return -1;
    }
    r = vkCreateDevice(g->phys, &dci, NULL, &g->dev);
    if (r != VK_SUCCESS) {
        return fail("device", r);
    }
    vkGetDeviceQueue(g->dev, qci.queueFamilyIndex, 0, &g->queue);

    const VkCommandPoolCreateInfo pci = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = qci.queueFamilyIndex,
    };
    r = vkCreateCommandPool(g->dev, &pci, NULL, &g->pool);
    if (r != VK_SUCCESS) {
        return fail("pool", r);
    }
    const VkCommandBufferAllocateInfo cai = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = g->pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    r = vkAllocateCommandBuffers(g->dev, &cai, &g->cmd);
    if (r != VK_SUCCESS) {
        return fail("cmdbuf", r);
    }
    const VkFenceCreateInfo fci = {
        .sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO,
    };
    r = vkCreateFence(g->dev, &fci, NULL, &g->fence);
    return r == VK_SUCCESS ? 0 : fail("fence", r);
}

static int buffer_new(struct gpu *g, VkDeviceSize size,
                      struct mapped_buffer *b)
{
    const VkBufferCreateInfo bci = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkMemoryRequirements req;
    VkResult r;

    memset(b, 0, sizeof(*b));
    b->size = size;
    r = vkCreateBuffer(g->dev, &bci, NULL, &b->buf);
    if (r != VK_SUCCESS) {
        return fail("buffer", r);
    }
    vkGetBufferMemoryRequirements(g->dev, b->buf, &req);
    if (!(req.memoryTypeBits & (1u << g->mem_type))) {
        error = "buffer-not-host-visible";
        return -1;
    }
    const VkMemoryAllocateInfo mai = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = g->mem_type,
    };
    r = vkAllocateMemory(g->dev, &mai, NULL, &b->mem);
    if (r != VK_SUCCESS) {
        return fail("allocate", r);
    }
    r = vkBindBufferMemory(g->dev, b->buf, b->mem, 0);
    if (r != VK_SUCCESS) {
        return fail("bind", r);
    }
    r = vkMapMemory(g->dev, b->mem, 0, VK_WHOLE_SIZE, 0, (void **)&b->map);
    return r == VK_SUCCESS ? 0 : fail("map", r);
}

static void buffer_free(struct gpu *g, struct mapped_buffer *b)
{
    if (b->map) {
        vkUnmapMemory(g->dev, b->mem);
    }
    vkDestroyBuffer(g->dev, b->buf, NULL);
    vkFreeMemory(g->dev, b->mem, NULL);
    memset(b, 0, sizeof(*b));
}

static int submit_wait(struct gpu *g)
{
    const VkSubmitInfo si = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &g->cmd,
    };
    VkResult r = vkQueueSubmit(g->queue, 1, &si, g->fence);

    if (r != VK_SUCCESS) {
        return fail("submit", r);
    }
    r = vkWaitForFences(g->dev, 1, &g->fence, VK_TRUE, 60ull * 1000000000);
    if (r != VK_SUCCESS) {
        return fail("wait", r);
    }
    vkResetFences(g->dev, 1, &g->fence);
    return 0;
}

/*
 * The GPU copies the first half of src into dst and fills dst's second
 * half, then makes its writes visible to the host.
 */
static int gpu_copy_fill(struct gpu *g, struct mapped_buffer *src,
                         struct mapped_buffer *dst, VkDeviceSize size)
{
    const VkCommandBufferBeginInfo cbi = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    const VkBufferCopy region = { 0, 0, size / 2 };
    const VkMemoryBarrier to_host = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };

    vkBeginCommandBuffer(g->cmd, &cbi);
    vkCmdCopyBuffer(g->cmd, src->buf, dst->buf, 1, &region);
    vkCmdFillBuffer(g->cmd, dst->buf, size / 2, size / 2, FILL_WORD);
    vkCmdPipelineBarrier(g->cmd, VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &to_host,
                         0, NULL, 0, NULL);
    vkEndCommandBuffer(g->cmd);
    return submit_wait(g);
}

static uint32_t pattern(uint32_t seed, size_t i)
{
    uint32_t x = seed ^ (uint32_t)(i * 2654435761u);

    return x ^ (x >> 15);
}

/* One allocation round: returns words found wrong, or -1 on error */
static long check_round(struct gpu *g, VkDeviceSize size, uint32_t seed)
{
    struct mapped_buffer src, dst;
    size_t words = size / 4, i;
    long bad = 0;

    if (buffer_new(g, size, &src) || buffer_new(g, size, &dst)) {
        return -1;
    }
    for (i = 0; i < words; i++) {
        src.map[i] = pattern(seed, i);
        dst.map[i] = 0;
    }
    if (gpu_copy_fill(g, &src, &dst, size)) {
        return -1;
    }
    for (i = 0; i < words; i++) {
        uint32_t want = i < words / 2 ? pattern(seed, i) : FILL_WORD;

        bad += dst.map[i] != want;
        bad += src.map[i] != pattern(seed, i);
    }
    buffer_free(g, &src);
    buffer_free(g, &dst);
    return bad;
}

static double mb_per_s(double bytes, double secs)
{
    return secs > 0 ? bytes / secs / 1e6 : 0;
}

/*
 * CPU write and read MB/s through a bw_size mapping, a second each, and
 * GPU copy+fill rounds of it a second.  Returns -1 on error.
 */
static int bandwidth(struct gpu *g, VkDeviceSize bw_size, double *write_mbs,
                     double *read_mbs, double *copies_per_s)
{
    /* volatile: the read loop's loads must happen, and its sum is unused */
    volatile uint32_t sink = 0;
    struct mapped_buffer a, b;
    double t;
    int n;

    if (buffer_new(g, bw_size, &a) || buffer_new(g, bw_size, &b)) {
        return -1;
    }
    t = now();
    for (n = 0; n < 4 || now() - t < 1.0; n++) {
        memset(a.map, n, bw_size);
    }
    *write_mbs = mb_per_s((double)n * bw_size, now() - t);
    t = now();
    for (n = 0; n < 4 || now() - t < 1.0; n++) {
        for (size_t i = 0; i < bw_size / 4; i += 16) {
            sink += a.map[i];
        }
    }
    /* a read of one word per 64-byte line reads the whole line */
    *read_mbs = mb_per_s((double)n * bw_size, now() - t);
    t = now();
    for (n = 0; n < 4 || now() - t < 1.0; n++) {
        if (gpu_copy_fill(g, &a, &b, bw_size)) {
            return -1;
        }
    }
    *copies_per_s = n / (now() - t);
    buffer_free(g, &a);
    buffer_free(g, &b);
    return 0;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 4;
    VkDeviceSize max_size = (argc > 2 ? atoll(argv[2]) : 8192) << 10;
    VkDeviceSize bw_size = (argc > 3 ? atoll(argv[3]) : 4096) << 10;
    struct gpu g = { 0 };
    double write_mbs = 0, read_mbs = 0, copies_per_s = 0;
    unsigned long long bytes = 0;
    long bad = 0, r;
    int allocs = 0, ok = 0;

    if (gpu_open(&g)) {
        goto out;
    }
    for (int round = 0; round < rounds; round++) {
        for (VkDeviceSize size = 4096; size <= max_size; size *= 4) {
            r = check_round(&g, size, round * 7919 + (uint32_t)size);
            if (r < 0) {
                goto out;
            }
            bad += r;
            if (getenv("VK_HOSTMEM_VERBOSE")) {
                printf("vk-hostmem: round %d size %llu: %ld words wrong\n",
                       round, (unsigned long long)size, r);
            }
            allocs += 2;
            bytes += 2 * size;
        }
    }
    if (bw_size && bandwidth(&g, bw_size, &write_mbs, &read_mbs,
                             &copies_per_s)) {
        goto out;
    }
    allocs += bw_size ? 2 : 0;
    ok = bad == 0;
    if (bad) {
        error = "data-mismatch";
    }
out:
    printf("VK-RESULT ok=%d device=\"%s\" allocs=%d bytes=%llu bad_words=%ld "
           "write_mbs=%.0f read_mbs=%.0f copies_per_s=%.1f error=%s\n",
           ok, g.name, allocs, bytes, bad, write_mbs, read_mbs,
           copies_per_s, error);
    if (g.dev) {
        vkDeviceWaitIdle(g.dev);
        vkDestroyFence(g.dev, g.fence, NULL);
        vkDestroyCommandPool(g.dev, g.pool, NULL);
        vkDestroyDevice(g.dev, NULL);
    }
    if (g.inst) {
        vkDestroyInstance(g.inst, NULL);
    }
    return ok ? 0 : 1;
}
