/*
 * xen-lend-testdev: a PCI test device whose BAR2 is a container of RAM
 * subregions registered for Xen memory lending.  Tests map, unmap and
 * move subregions through BAR0, in memory transactions, and move or hide
 * BAR2 through config space, then check what the lend listener lent.
 * It does what a device with a hostmem BAR does, without a renderer.
 *
 * BAR0 registers (64-bit):
 *   0x00 SLOT         subregion slot for the next command (0..15)
 *   0x08 OFFSET       where in BAR2 to map it
 *   0x10 SIZE         its size in bytes
 *   0x18 HOST_OFFSET  where in the device's 2 MiB-aligned backing memory
 *   0x20 CMD          1 map, 2 unmap, 3 begin a transaction, 4 commit it
 *   0x28 STATUS       read: commands refused; lend failures reported
 *                     by the listener (high 32 bits)
 *
 * PCI ID 1af4:10f0, from the range docs/specs/pci-ids.rst leaves for
 * experiments: this device is for tests only.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/log.h"
#include "qemu/memalign.h"
#include "qemu/module.h"
#include "qemu/units.h"
#include "hw/pci/pci_device.h"
#include "hw/qdev-properties.h"
#include "hw/xen/xen-lend.h"
#include "qom/object.h"

#define TYPE_XEN_LEND_TESTDEV "xen-lend-testdev"
OBJECT_DECLARE_SIMPLE_TYPE(XenLendTestDev, XEN_LEND_TESTDEV)

#define TESTDEV_SLOTS 16

enum {
    REG_SLOT = 0x00,
    REG_OFFSET = 0x08,
    REG_SIZE = 0x10,
    REG_HOST_OFFSET = 0x18,
    REG_CMD = 0x20,
    REG_STATUS = 0x28,
};

enum {
    CMD_MAP = 1,
    CMD_UNMAP = 2,
    CMD_BEGIN = 3,
    CMD_COMMIT = 4,
};

/*
 * A slot's region has an owner of its own: the FlatViews hold references
 * on the owner, so the region lives until the last of them lets go, even
 * after the slot has moved on.
 */
#define TYPE_TESTDEV_SLOT_REGION "xen-lend-testdev-slot"
OBJECT_DECLARE_SIMPLE_TYPE(TestDevSlotRegion, TESTDEV_SLOT_REGION)

struct TestDevSlotRegion {
    Object parent_obj;
    MemoryRegion mr;
};

typedef struct TestDevSlot {
    TestDevSlotRegion *region;
    bool pending;       /* mapped in the open transaction */
} TestDevSlot;

struct XenLendTestDev {
    PCIDevice parent_obj;
    MemoryRegion regs;
    MemoryRegion container;
    uint64_t container_size;
    uint8_t *backing;
    uint64_t backing_size;
    XenLendClient *lend;
    TestDevSlot slots[TESTDEV_SLOTS];
    uint64_t reg[REG_STATUS / 8];
    bool in_transaction;
    uint32_t refused;
    uint32_t lend_failures;
};

static void slot_unmap(XenLendTestDev *s, TestDevSlot *slot)
{
    memory_region_del_subregion(&s->container, &slot->region->mr);
    object_unparent(OBJECT(slot->region));
    slot->region = NULL;
    slot->pending = false;
}

/* As a device does: a map whose lend failed is taken back out. */
static void commit(XenLendTestDev *s)
{
    memory_region_transaction_commit();
    if (xen_lend_client_commit_result(s->lend, NULL)) {
        s->lend_failures++;
        memory_region_transaction_begin();
        for (int i = 0; i < TESTDEV_SLOTS; i++) {
            if (s->slots[i].pending) {
                slot_unmap(s, &s->slots[i]);
            }
        }
        memory_region_transaction_commit();
    }
    for (int i = 0; i < TESTDEV_SLOTS; i++) {
        s->slots[i].pending = false;
    }
}

static bool slot_map(XenLendTestDev *s, TestDevSlot *slot)
{
    uint64_t off = s->reg[REG_OFFSET / 8], size = s->reg[REG_SIZE / 8];
    uint64_t host = s->reg[REG_HOST_OFFSET / 8];

    if (slot->region || !size || size > s->container_size ||
        off > s->container_size - size || host > s->backing_size ||
        size > s->backing_size - host) {
        return false;
    }
    slot->region = TESTDEV_SLOT_REGION(object_new(TYPE_TESTDEV_SLOT_REGION));
    object_property_add_child(OBJECT(s), "slot[*]", OBJECT(slot->region));
    object_unref(OBJECT(slot->region));
    memory_region_init_ram_ptr(&slot->region->mr, OBJECT(slot->region),
                               "xen-lend-testdev-slot", size,
                               s->backing + host);
    memory_region_add_subregion(&s->container, off, &slot->region->mr);
    slot->pending = true;
    return true;
}

static void testdev_command(XenLendTestDev *s, uint64_t cmd)
{
    uint64_t idx = s->reg[REG_SLOT / 8];
    TestDevSlot *slot = idx < TESTDEV_SLOTS ? &s->slots[idx] : NULL;
    bool ok = true;

    switch (cmd) {
    case CMD_MAP:
    case CMD_UNMAP:
        if (!slot || (cmd == CMD_UNMAP && !slot->region)) {
            ok = false;
            break;
        }
        if (!s->in_transaction) {
            memory_region_transaction_begin();
        }
        if (cmd == CMD_MAP) {
            ok = slot_map(s, slot);
        } else {
            slot_unmap(s, slot);
        }
        if (!s->in_transaction) {
            commit(s);
        }
        break;
    case CMD_BEGIN:
        ok = !s->in_transaction;
        if (ok) {
            memory_region_transaction_begin();
            s->in_transaction = true;
        }
        break;
    case CMD_COMMIT:
        ok = s->in_transaction;
        if (ok) {
            s->in_transaction = false;
            commit(s);
        }
        break;
    default:
        ok = false;
    }
    if (!ok) {
        s->refused++;
        qemu_log_mask(LOG_GUEST_ERROR, "%s: command %" PRIu64 " refused\n",
                      TYPE_XEN_LEND_TESTDEV, cmd);
    }
}

static uint64_t testdev_read(void *opaque, hwaddr addr, unsigned size)
{
    XenLendTestDev *s = opaque;

    if (addr == REG_STATUS) {
        return s->refused | (uint64_t)s->lend_failures << 32;
    }
    return addr < REG_STATUS ? s->reg[addr / 8] : 0;
}

static void testdev_write(void *opaque, hwaddr addr, uint64_t val,
                          unsigned size)
{
    XenLendTestDev *s = opaque;

    if (addr == REG_CMD) {
        testdev_command(s, val);
    } else if (addr < REG_STATUS) {
        s->reg[addr / 8] = val;
    }
}

static const MemoryRegionOps testdev_ops = {
    .read = testdev_read,
    .write = testdev_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid.min_access_size = 8,
    .valid.max_access_size = 8,
    .impl.min_access_size = 8,
    .impl.max_access_size = 8,
};

static void testdev_realize(PCIDevice *pci, Error **errp)
{
    XenLendTestDev *s = XEN_LEND_TESTDEV(pci);

    if (!is_power_of_2(s->container_size) || s->container_size < 4 * KiB) {
        error_setg(errp, "size must be a power of two of at least 4K");
        return;
    }
    s->backing_size = s->container_size + 2 * MiB;
    s->backing = qemu_memalign(2 * MiB, s->backing_size);
    memset(s->backing, 0, s->backing_size);

    memory_region_init_io(&s->regs, OBJECT(s), &testdev_ops, s,
                          "xen-lend-testdev-regs", 4 * KiB);
    pci_register_bar(pci, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->regs);
    memory_region_init(&s->container, OBJECT(s), "xen-lend-testdev-hostmem",
                       s->container_size);
    pci_register_bar(pci, 2, PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_PREFETCH |
                     PCI_BASE_ADDRESS_MEM_TYPE_64, &s->container);

    s->lend = xen_lend_register(&s->container, errp);
    if (!s->lend) {
        qemu_vfree(s->backing);
        s->backing = NULL;
    }
}

static void testdev_exit(PCIDevice *pci)
{
    XenLendTestDev *s = XEN_LEND_TESTDEV(pci);

    memory_region_transaction_begin();
    for (int i = 0; i < TESTDEV_SLOTS; i++) {
        if (s->slots[i].region) {
            slot_unmap(s, &s->slots[i]);
        }
    }
    memory_region_transaction_commit();
    /* revokes whatever the unplug left lent before the memory goes */
    xen_lend_unregister(s->lend);
}

static void testdev_finalize(Object *obj)
{
    XenLendTestDev *s = XEN_LEND_TESTDEV(obj);

    /* the slot regions are freed after an RCU grace period; so is this */
    qemu_vfree(s->backing);
}

static const Property testdev_properties[] = {
    DEFINE_PROP_SIZE("size", XenLendTestDev, container_size, 64 * MiB),
};

static void testdev_class_init(ObjectClass *klass, void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = testdev_realize;
    k->exit = testdev_exit;
    k->vendor_id = PCI_VENDOR_ID_REDHAT_QUMRANET;
    k->device_id = 0x10f0;
    k->class_id = PCI_CLASS_OTHERS;
    dc->desc = "Xen memory lending test device";
    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    device_class_set_props(dc, testdev_properties);
}

static const TypeInfo testdev_info = {
    .name = TYPE_XEN_LEND_TESTDEV,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(XenLendTestDev),
    .instance_finalize = testdev_finalize,
    .class_init = testdev_class_init,
    .interfaces = (InterfaceInfo[]) {
        { INTERFACE_CONVENTIONAL_PCI_DEVICE },
        { },
    },
};

static const TypeInfo testdev_slot_region_info = {
    .name = TYPE_TESTDEV_SLOT_REGION,
    .parent = TYPE_OBJECT,
    .instance_size = sizeof(TestDevSlotRegion),
};

static void testdev_register_types(void)
{
    type_register_static(&testdev_info);
    type_register_static(&testdev_slot_region_info);
}

type_init(testdev_register_types)
