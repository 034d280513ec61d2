// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the Intel VMX backend.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/topology.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "hwvirt_int.h"
#include "vmx.h"

/* What the capability MSRs said at probe time. */
static struct {
	u32 revision;
	u32 vmcs_size;
	u32 proc2;		/* allowed-1 secondary controls, VMX_PROC2_* */
} vmx_caps;

/*
 * The VMXON region of each CPU: a page that starts with the VMCS
 * revision identifier, owned by the CPU while it is in VMX operation.
 * Allocated for every possible CPU at setup, freed at unsetup.
 */
static DEFINE_PER_CPU(struct page *, vmxon_region);

static int vmx_probe(void)
{
	u64 fc, basic, proc, proc2 = 0;

	if (!(cpuid_ecx(1) & VMX_CPUID_1_ECX_VMX)) {
		if (boot_cpu_data.x86_vendor == X86_VENDOR_INTEL)
			pr_info("vmx: this CPU has no VMX\n");
		return -ENODEV;
	}
	if (rdmsrl_safe(VMX_MSR_FEATURE_CONTROL, &fc))
		return -ENODEV;
	if ((fc & VMX_FC_LOCKED) && !(fc & VMX_FC_VMXON_OUTSIDE_SMX)) {
		pr_info("vmx: VMX is disabled by the firmware (IA32_FEATURE_CONTROL): enable VT-x in the BIOS setup\n");
		return -EPERM;
	}
	if (rdmsrl_safe(VMX_MSR_BASIC, &basic) ||
	    rdmsrl_safe(VMX_MSR_PROCBASED_CTLS, &proc))
		return -ENODEV;
	if (VMX_CTL_ALLOWED1(proc) & VMX_PROC_SECONDARY_CTLS)
		rdmsrl_safe(VMX_MSR_PROCBASED_CTLS2, &proc2);

	vmx_caps.revision = VMX_BASIC_REVISION(basic);
	vmx_caps.vmcs_size = VMX_BASIC_VMCS_SIZE(basic);
	vmx_caps.proc2 = VMX_CTL_ALLOWED1(proc2);
	if (vmx_caps.vmcs_size > PAGE_SIZE) {
		pr_info("vmx: VMCS size %u is larger than a page\n",
			vmx_caps.vmcs_size);
		return -ENODEV;
	}
	return 0;
}

static void vmx_describe(char *buf, size_t len)
{
	scnprintf(buf, len, "VMX revision %#x, VMCS %u bytes, %sEPT, %sVPID, %sunrestricted guest",
		  vmx_caps.revision, vmx_caps.vmcs_size,
		  vmx_caps.proc2 & VMX_PROC2_EPT ? "" : "no ",
		  vmx_caps.proc2 & VMX_PROC2_VPID ? "" : "no ",
		  vmx_caps.proc2 & VMX_PROC2_UNRESTRICTED_GUEST ? "" : "no ");
}

static void vmx_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
}

static int vmx_setup(void)
{
	struct page *page;
	int cpu;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page) {
			vmx_unsetup();
			return -ENOMEM;
		}
		*(u32 *)page_address(page) = vmx_caps.revision;
		per_cpu(vmxon_region, cpu) = page;
	}
	return 0;
}

static int vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
			  "jbe %l[fail]\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

static int vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : : : "cc", "memory" : fault);
	return 0;
fault:
	return -EFAULT;
}

/* The CPU's current CR0/CR4 must respect the VMX fixed bits. */
static bool vmx_cr_fixed_ok(unsigned long cr, u32 msr0, u32 msr1)
{
	u64 fixed0, fixed1;

	rdmsrl(msr0, fixed0);
	rdmsrl(msr1, fixed1);
	return (cr & fixed0) == fixed0 && !(cr & ~fixed1);
}

static int vmx_cpu_enable(void)
{
	unsigned long cr4 = cr4_read_shadow();
	u64 fc;
	int r;

	if (cr4 & X86_CR4_VMXE)
		return -EBUSY;

	rdmsrl(VMX_MSR_FEATURE_CONTROL, fc);
	if (!(fc & VMX_FC_LOCKED))
		wrmsrl(VMX_MSR_FEATURE_CONTROL,
		       fc | VMX_FC_LOCKED | VMX_FC_VMXON_OUTSIDE_SMX);
	else if (!(fc & VMX_FC_VMXON_OUTSIDE_SMX))
		return -EPERM;

	if (!vmx_cr_fixed_ok(read_cr0(), VMX_MSR_CR0_FIXED0, VMX_MSR_CR0_FIXED1) ||
	    !vmx_cr_fixed_ok(cr4 | X86_CR4_VMXE, VMX_MSR_CR4_FIXED0,
			     VMX_MSR_CR4_FIXED1))
		return -EINVAL;

	cr4_set_bits(X86_CR4_VMXE);
	r = vmxon(page_to_phys(this_cpu_read(vmxon_region)));
	if (r)
		cr4_clear_bits(X86_CR4_VMXE);
	return r;
}

static void vmx_cpu_disable(void)
{
	vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
}

/* Guests on VMX come with the VMX backend's vCPU code: none yet. */
static u32 vmx_mmu_modes(void)
{
	return 0;
}

/*
 * EPT's depth is the page-walk length in the EPTP, not the host's paging
 * mode: 4 levels reach the 48-bit guest-physical addresses we give guests.
 */
static int vmx_tdp_levels(void)
{
	return 4;
}

const struct hwvirt_backend hwvirt_vmx_backend = {
	.name		= "vmx",
	.abi_backend	= HWVIRT_BACKEND_VMX,
	.mmu_modes	= vmx_mmu_modes,
	.tdp_levels	= vmx_tdp_levels,
	.probe		= vmx_probe,
	.setup		= vmx_setup,
	.unsetup	= vmx_unsetup,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
	.describe	= vmx_describe,
};
