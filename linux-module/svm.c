// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the AMD SVM backend.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/topology.h>
#include <asm/cpufeature.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "hwvirt_int.h"
#include "svm.h"

/* What CPUID said at probe time. */
static struct {
	u32 revision;
	u32 nr_asids;
	u32 features;		/* SVM_FEAT_* */
} svm_caps;

/*
 * The host save area of each CPU (VM_HSAVE_PA): where VMRUN keeps the
 * host state it restores on #VMEXIT.  Allocated for every possible CPU
 * at setup, freed at unsetup.
 */
static DEFINE_PER_CPU(struct page *, svm_hsave);

static int svm_probe(void)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	if (boot_cpu_data.x86_vendor != X86_VENDOR_AMD &&
	    boot_cpu_data.x86_vendor != X86_VENDOR_HYGON)
		return -ENODEV;
	if (cpuid_eax(0x80000000) < SVM_CPUID_LEAF ||
	    !(cpuid_ecx(0x80000001) & SVM_CPUID_EXT_SVM)) {
		pr_info("svm: this CPU has no SVM\n");
		return -ENODEV;
	}
	if (rdmsrl_safe(SVM_MSR_VM_CR, &vm_cr) || (vm_cr & SVM_VM_CR_SVMDIS)) {
		pr_info("svm: SVM is disabled by the firmware (VM_CR.SVMDIS): enable it in the BIOS setup\n");
		return -EPERM;
	}
	cpuid(SVM_CPUID_LEAF, &eax, &ebx, &ecx, &edx);
	svm_caps.revision = eax & 0xff;
	svm_caps.nr_asids = ebx;
	svm_caps.features = edx;
	return 0;
}

static void svm_describe(char *buf, size_t len)
{
	static const struct {
		u32 bit;
		const char *name;
	} feats[] = {
		{ SVM_FEAT_NP, "NPT" },
		{ SVM_FEAT_NRIPS, "NRIPS" },
		{ SVM_FEAT_VMCB_CLEAN, "clean bits" },
		{ SVM_FEAT_FLUSH_BY_ASID, "flush-by-ASID" },
		{ SVM_FEAT_DECODE_ASSISTS, "decode assists" },
		{ SVM_FEAT_VGIF, "vGIF" },
	};
	size_t n;
	int i;

	n = scnprintf(buf, len, "SVM rev %u, %u ASIDs", svm_caps.revision,
		      svm_caps.nr_asids);
	for (i = 0; i < ARRAY_SIZE(feats); i++)
		n += scnprintf(buf + n, len - n, ", %s%s",
			       svm_caps.features & feats[i].bit ? "" : "no ",
			       feats[i].name);
}

static void svm_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(svm_hsave, cpu))
			__free_page(per_cpu(svm_hsave, cpu));
		per_cpu(svm_hsave, cpu) = NULL;
	}
}

static int svm_setup(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			svm_unsetup();
			return -ENOMEM;
		}
		per_cpu(svm_hsave, cpu) = page;
	}
	return 0;
}

static int svm_cpu_enable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & SVM_EFER_SVME)
		return -EBUSY;
	wrmsrl(SVM_MSR_VM_HSAVE_PA, page_to_phys(this_cpu_read(svm_hsave)));
	wrmsrl(MSR_EFER, efer | SVM_EFER_SVME);
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~SVM_EFER_SVME);
	wrmsrl(SVM_MSR_VM_HSAVE_PA, 0);
}

const struct hwvirt_backend hwvirt_svm_backend = {
	.name		= "svm",
	.probe		= svm_probe,
	.setup		= svm_setup,
	.unsetup	= svm_unsetup,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.describe	= svm_describe,
};
