/*
 * QTest for virtio-gpu-xenlend: PCI identity and the hostmem window
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qemu/units.h"
#include "libqtest.h"
#include "libqos/pci-pc.h"
#include "hw/pci/pci_regs.h"
#include "standard-headers/linux/pci_regs.h"
#include "standard-headers/linux/virtio_pci.h"
#include "standard-headers/linux/virtio_gpu.h"

#define XENLEND_DEVFN QPCI_DEVFN(4, 0)
#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4
#define PCI_DEVICE_ID_VIRTIO_GPU_MODERN (0x1040 + 16)

typedef struct Fixture {
    QTestState *qts;
    QPCIBus *pcibus;
    QPCIDevice *dev;
} Fixture;

static void fixture_start(Fixture *f, uint64_t hostmem)
{
    f->qts = qtest_initf("-machine pc -display none "
                         "-device virtio-gpu-xenlend,addr=04.0,"
                         "hostmem=%" PRIu64, hostmem);
    f->pcibus = qpci_new_pc(f->qts, NULL);
    f->dev = qpci_device_find(f->pcibus, XENLEND_DEVFN);
    g_assert_nonnull(f->dev);
}

static void fixture_stop(Fixture *f)
{
    g_free(f->dev);
    qpci_free_pc(f->pcibus);
    qtest_quit(f->qts);
}

/* The size the device decodes for a 64-bit memory BAR, by the sizing dance */
static uint64_t bar64_size(QPCIDevice *dev, int bar)
{
    uint8_t lo = PCI_BASE_ADDRESS_0 + bar * 4;
    uint32_t old_lo = qpci_config_readl(dev, lo);
    uint32_t old_hi = qpci_config_readl(dev, lo + 4);
    uint64_t mask;

    g_assert_cmphex(old_lo & PCI_BASE_ADDRESS_SPACE, ==,
                    PCI_BASE_ADDRESS_SPACE_MEMORY);
    g_assert_cmphex(old_lo & PCI_BASE_ADDRESS_MEM_TYPE_MASK, ==,
                    PCI_BASE_ADDRESS_MEM_TYPE_64);
    g_assert_true(old_lo & PCI_BASE_ADDRESS_MEM_PREFETCH);

    qpci_config_writel(dev, lo, 0xffffffff);
    qpci_config_writel(dev, lo + 4, 0xffffffff);
    mask = qpci_config_readl(dev, lo) & PCI_BASE_ADDRESS_MEM_MASK;
    mask |= (uint64_t)qpci_config_readl(dev, lo + 4) << 32;
    qpci_config_writel(dev, lo, old_lo);
    qpci_config_writel(dev, lo + 4, old_hi);
    return ~mask + 1;
}

/* Find the virtio shared-memory capability with the given id; 0 if none */
static uint8_t find_shm_cap(QPCIDevice *dev, uint8_t shm_id)
{
    uint8_t cap = 0;

    while ((cap = qpci_find_capability(dev, PCI_CAP_ID_VNDR, cap))) {
        uint8_t type = qpci_config_readb(dev, cap + offsetof(
                                             struct virtio_pci_cap, cfg_type));
        uint8_t id = qpci_config_readb(dev, cap + offsetof(
                                           struct virtio_pci_cap, id));

        if (type == VIRTIO_PCI_CAP_SHARED_MEMORY_CFG && id == shm_id) {
            return cap;
        }
    }
    return 0;
}

static void test_identity(const void *opaque)
{
    uint64_t hostmem = *(const uint64_t *)opaque;
    Fixture f;

    fixture_start(&f, hostmem);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_VENDOR_ID), ==,
                    PCI_VENDOR_ID_REDHAT_QUMRANET);
    g_assert_cmphex(qpci_config_readw(f.dev, PCI_DEVICE_ID), ==,
                    PCI_DEVICE_ID_VIRTIO_GPU_MODERN);
    fixture_stop(&f);
}

static void test_hostmem_window(const void *opaque)
{
    uint64_t hostmem = *(const uint64_t *)opaque;
    uint8_t cap;
    uint64_t offset, length;
    Fixture f;

    fixture_start(&f, hostmem);

    cap = find_shm_cap(f.dev, VIRTIO_GPU_SHM_ID_HOST_VISIBLE);
    g_assert_cmpuint(cap, !=, 0);
    g_assert_cmpuint(qpci_config_readb(f.dev, cap + offsetof(
                                           struct virtio_pci_cap, bar)), ==, 4);
    offset = qpci_config_readl(f.dev, cap + offsetof(
                                   struct virtio_pci_cap, offset));
    offset |= (uint64_t)qpci_config_readl(f.dev, cap + offsetof(
                                  struct virtio_pci_cap64, offset_hi)) << 32;
    length = qpci_config_readl(f.dev, cap + offsetof(
                                   struct virtio_pci_cap, length));
    length |= (uint64_t)qpci_config_readl(f.dev, cap + offsetof(
                                  struct virtio_pci_cap64, length_hi)) << 32;
    g_assert_cmphex(offset, ==, 0);
    g_assert_cmphex(length, ==, hostmem);

    g_assert_cmphex(bar64_size(f.dev, 4), ==, hostmem);
    fixture_stop(&f);
}

/* A size that cannot be a BAR is refused at start, with a hint, not a crash */
static void test_hostmem_refused(void)
{
    g_autofree char *out = NULL;
    g_autofree char *err = NULL;
    g_autoptr(GError) error = NULL;
    int status;
    const char *argv[] = {
        getenv("QTEST_QEMU_BINARY"), "-machine", "pc", "-accel", "qtest",
        "-display", "none", "-nodefaults",
        "-device", "virtio-gpu-xenlend,hostmem=3M", NULL
    };

    g_assert_nonnull(argv[0]);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), !=, 0);
    g_assert_nonnull(strstr(err, "hostmem=3 MiB is not usable"));
    g_assert_nonnull(strstr(err, "power of two"));
}

static const uint64_t hostmem_sizes[] = { 64 * MiB, 256 * MiB };

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    for (int i = 0; i < ARRAY_SIZE(hostmem_sizes); i++) {
        uint64_t mib = hostmem_sizes[i] / MiB;
        g_autofree char *id = g_strdup_printf(
            "/virtio-gpu-xenlend/pci/identity/%" PRIu64 "M", mib);
        g_autofree char *win = g_strdup_printf(
            "/virtio-gpu-xenlend/pci/hostmem-window/%" PRIu64 "M", mib);

        qtest_add_data_func(id, &hostmem_sizes[i], test_identity);
        qtest_add_data_func(win, &hostmem_sizes[i], test_hostmem_window);
    }
    qtest_add_func("/virtio-gpu-xenlend/pci/hostmem-refused",
                   test_hostmem_refused);
    return g_test_run();
}
