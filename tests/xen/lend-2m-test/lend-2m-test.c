// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xen-lend-2m-test: does Xen lend a 2 MiB entry, and split it on a partial
 * revoke?  The Xen test bed's check (tests/xen/dom0-init, MODE lend2m).
 *
 * A PV dom0's user memory is almost never machine-contiguous, so this
 * module makes a run that is: dma_alloc_coherent() of 2 MiB, which
 * swiotlb-xen makes machine-contiguous by exchanging it with Xen
 * (XENMEM_exchange of one order-9 extent, hence 2 MiB-aligned too).  Steps
 * are written to /sys/module/xen_lend_2m_test/parameters/step:
 *
 *   lend DOMID GFN       lend the run at GFN with one XEN_DMOP_lend_pages
 *   revoke DOMID GFN NR  XEN_DMOP_revoke_pages of GFN..GFN+NR-1
 *   bench DOMID GFN N    time N rounds of lend + revoke at GFN: one 4 KiB
 *                        page through the DMOPs and through phase 1's
 *                        domctls, the run as one 2 MiB entry, and the run
 *                        at GFN + 1 (512 4 KiB entries in one call)
 *
 * and each prints "xen-lend-2m-test: STEP rc=N" to the kernel log.  The
 * run is revoked where it was lent before it is freed on unload.
 */
#include <linux/dma-mapping.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <xen/xen.h>

#include "lend-xen.h"

#define RUN_PAGES (SZ_2M >> PAGE_SHIFT)

static struct platform_device *pdev;
static void *run;
static dma_addr_t run_bus;
static u64 mfns[RUN_PAGES];
static u16 lent_domid;
static u64 lent_gfn = ~0ULL;

/* Nanoseconds per round of lend + revoke of nr frames at gfn, or -errno */
static long time_dmop(u16 domid, u64 gfn, u32 nr, unsigned int rounds)
{
	ktime_t t0 = ktime_get();
	unsigned int r;
	u32 done;
	int ret;

	for (r = 0; r < rounds; r++) {
		ret = xen_lend_dmop_lend(domid, gfn, mfns, nr, false, &done);
		if (!ret)
			ret = xen_lend_dmop_revoke(domid, gfn, nr, true);
		if (ret)
			return ret;
	}
	return ktime_to_ns(ktime_sub(ktime_get(), t0)) / rounds;
}

/* The same through phase 1's domctls (lend-dev.c's lend_one/revoke_one) */
static long time_phase1(u16 domid, u64 gfn, unsigned int rounds)
{
	ktime_t t0 = ktime_get();
	unsigned int r;
	int ret;

	for (r = 0; r < rounds; r++) {
		ret = xen_lend_permit(domid, mfns[0], 1, true);
		if (!ret)
			ret = xen_lend_map(domid, gfn, mfns[0], 1, true, true);
		xen_lend_permit(domid, mfns[0], 1, false);
		if (!ret)
			ret = xen_lend_permit(domid, mfns[0], 1, true);
		if (!ret)
			ret = xen_lend_map(domid, gfn, mfns[0], 1, false, true);
		xen_lend_permit(domid, mfns[0], 1, false);
		if (ret)
			return ret;
	}
	return ktime_to_ns(ktime_sub(ktime_get(), t0)) / rounds;
}

static int step_set(const char *val, const struct kernel_param *kp)
{
	unsigned int rounds;
	unsigned int domid;
	u64 gfn, nr;
	u32 done = 0;
	int ret;

	if (sscanf(val, "lend %u %llx", &domid, &gfn) == 2) {
		ret = xen_lend_dmop_lend(domid, gfn, mfns, RUN_PAGES, false,
					 &done);
		if (done) {
			lent_domid = domid;
			lent_gfn = gfn;
		}
		pr_info("xen-lend-2m-test: lend d%u gfn %#llx mfn %#llx rc=%d done=%u\n",
			domid, gfn, mfns[0], ret, done);
		return 0;
	}
	if (sscanf(val, "bench %u %llx %u", &domid, &gfn, &rounds) == 3 &&
	    rounds) {
		long dmop_4k = time_dmop(domid, gfn, 1, rounds);
		long phase1_4k = time_phase1(domid, gfn, rounds);
		long dmop_2m = time_dmop(domid, gfn, RUN_PAGES, rounds);
		long dmop_512x4k = time_dmop(domid, gfn + 1, RUN_PAGES, rounds);

		pr_info("xen-lend-2m-test: bench rounds=%u dmop_4k_ns=%ld phase1_4k_ns=%ld dmop_2m_ns=%ld dmop_512x4k_ns=%ld rc=0\n",
			rounds, dmop_4k, phase1_4k, dmop_2m, dmop_512x4k);
		return 0;
	}
	if (sscanf(val, "revoke %u %llx %llu", &domid, &gfn, &nr) == 3) {
		ret = xen_lend_dmop_revoke(domid, gfn, nr, true);
		pr_info("xen-lend-2m-test: revoke d%u gfn %#llx nr %llu rc=%d\n",
			domid, gfn, nr, ret);
		return 0;
	}
	return -EINVAL;
}

static const struct kernel_param_ops step_ops = {
	.set = step_set,
};
module_param_cb(step, &step_ops, NULL, 0200);
MODULE_PARM_DESC(step, "lend DOMID GFN | revoke DOMID GFN NR");

static int __init lend_2m_test_init(void)
{
	unsigned int i;
	int ret;

	if (!xen_pv_domain() || !xen_initial_domain())
		return -ENODEV;
	pdev = platform_device_register_simple("xen-lend-2m-test", -1, NULL, 0);
	if (IS_ERR(pdev))
		return PTR_ERR(pdev);
	ret = dma_coerce_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (!ret) {
		run = dma_alloc_coherent(&pdev->dev, SZ_2M, &run_bus, GFP_KERNEL);
		if (!run)
			ret = -ENOMEM;
	}
	if (ret) {
		platform_device_unregister(pdev);
		return ret;
	}
	/* the bus address of a PV dom0 is the machine address */
	for (i = 0; i < RUN_PAGES; i++)
		mfns[i] = (run_bus >> PAGE_SHIFT) + i;
	pr_info("xen-lend-2m-test: run at mfn %#llx, %s\n", mfns[0],
		IS_ALIGNED(mfns[0], RUN_PAGES) ? "2 MiB-aligned" : "not aligned");
	return 0;
}

static void __exit lend_2m_test_exit(void)
{
	int ret = 0;

	if (lent_gfn != ~0ULL)
		ret = xen_lend_dmop_revoke(lent_domid, lent_gfn, RUN_PAGES, true);
	/* never free what the guest may still reach */
	if (ret && ret != -ESRCH)
		pr_err("xen-lend-2m-test: revoke failed (%d): run kept\n", ret);
	else
		dma_free_coherent(&pdev->dev, SZ_2M, run, run_bus);
	platform_device_unregister(pdev);
}

module_init(lend_2m_test_init);
module_exit(lend_2m_test_exit);
MODULE_DESCRIPTION("Xen test bed: 2 MiB lending through XEN_DMOP_lend_pages");
MODULE_LICENSE("GPL");
