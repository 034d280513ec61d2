// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the Intel VMX backend.
 *
 * One VMCS per vCPU.  EPT translates guest-physical addresses (the VM's
 * table, tdp.c, in EPT format) and "unrestricted guest" lets the CPU run
 * the guest's real mode and unpaged protected mode itself, so the guest's
 * CR3 is in the CPU and its page faults never exit.  CR0 and CR4 belong
 * to the module (every write exits, reads see the read shadows): the CPU
 * runs with CR0.NE set and CD/NW clear, and with CR4.VMXE.  Every port,
 * most MSR writes, CPUID, HLT, MOV DR, #DB and the VMX instructions exit.
 *
 * A VMCS is active on at most one CPU, where it was loaded last (VMPTRLD),
 * until it is cleared there (VMCLEAR): every access to it goes through
 * vmx_get(), which clears it on its old CPU (an IPI) and loads it on this
 * one, with preemption disabled until vmx_put().  Each CPU keeps a list
 * of the VMCSs active on it, cleared before VMXOFF.
 *
 * Host state the VM exit does not restore is put back after it: the GDT
 * and TR limits, LDTR, DS/ES/FS/GS selectors, DEBUGCTL, DR7 and the
 * guest's KERNEL_GS_BASE (SWAPGS runs in the guest without an exit).
 * STAR, LSTAR, CSTAR, SFMASK and TSC_AUX are user-return MSRs (uret.c):
 * the guest reads them in the CPU, its writes exit.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/topology.h>
#include <asm/asm.h>
#include <asm/cpu_entry_area.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/fsgsbase.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "mmu.h"
#include "vmx.h"
#include "x86.h"

/* ept=0: no EPT, guests on the shadow MMU (as on a CPU without EPT). */
static bool ept = true;
module_param(ept, bool, 0444);
MODULE_PARM_DESC(ept, "Use EPT where the CPU has it (default 1); 0: shadow paging only");

/* What the capability MSRs said at probe time. */
static struct {
	u32 revision;
	u32 vmcs_size;
	u32 proc2_allowed;	/* allowed-1 secondary controls */
	u64 ept_vpid;		/* VMX_MSR_EPT_VPID_CAP */
	/* The controls every VMCS starts with. */
	u32 pin, proc, proc2, exit, entry;
	bool ept;		/* 4-level WB EPT with INVEPT */
	bool ug;		/* unrestricted guest (needs EPT) */
	bool vpid;		/* VPIDs with INVVPID single or all-context */
	bool tpr_shadow;
	u64 cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
} vmx_caps;

/* The host state every VMCS shares: read at setup. */
static struct {
	unsigned long idt_base;
	u64 sysenter_cs, sysenter_eip;
} vmx_host;

/*
 * The VMXON region of each CPU: a page that starts with the VMCS
 * revision identifier, owned by the CPU while it is in VMX operation.
 * Allocated for every possible CPU at setup, freed at unsetup.
 */
static DEFINE_PER_CPU(struct page *, vmxon_region);
/*
 * The VMCSs active on each CPU (vmx_vcpu.loaded_link) and the current
 * one; changed on the CPU itself with interrupts disabled.
 */
static DEFINE_PER_CPU(struct list_head, vmx_loaded);
static DEFINE_PER_CPU(void *, vmx_current);
/*
 * The host's IA32_DEBUGCTL, which every VM exit clears: read when a VMCS
 * comes to the CPU (0 where the CPU has no such MSR, as Bochs's).
 */
static DEFINE_PER_CPU(u64, vmx_host_debugctl);

/* The MSR bitmap every VMCS shares: read-only after setup. */
static struct page *vmx_msr_bitmap;

/* VPIDs in use; 0 is the host's.  Under vmx_vpid_lock. */
#define VMX_NR_VPIDS	(1 << 16)
static unsigned long *vmx_vpid_bitmap;
static DEFINE_SPINLOCK(vmx_vpid_lock);

struct vmx_vcpu {
	struct hwvirt_vcpu vcpu;	/* first: container_of() */
	void *vmcs;
	phys_addr_t vmcs_pa;
	/*
	 * Where the VMCS is active (-1: clear everywhere) and its entry in
	 * that CPU's vmx_loaded list; launched: VMRESUME, not VMLAUNCH.
	 * Changed by the vCPU's thread with preemption disabled, or by an
	 * IPI on that CPU (vmx_clear_on_cpu()).
	 */
	int cpu;
	struct list_head loaded_link;
	bool launched;
	u16 vpid;			/* 0: none */
	bool flush_pending;		/* INVEPT/INVVPID before entry */
	/* The controls now in the VMCS. */
	u32 proc, proc2, entry;

	/* The last exit, read right after it. */
	u32 exit_reason;
	u32 exit_len;
	u32 exit_intr_info;
	u32 exit_intr_error;
	u32 idt_info;
	u32 idt_error;
	u64 exit_qual;
	u32 vmfail_error;		/* VM-instruction error of a VMfail */

	/*
	 * Shadow paging: the guest's CR3 and EFER (CR0 and CR4 are in the
	 * read shadows); the VMCS has what the CPU runs with.
	 */
	bool shadow;
	u64 cr3, efer;

	/* DR0-DR3 and DR6 (never loaded while DR7 disables them). */
	u64 db[4];
	u64 dr6;
	/* MSRs the CPU does not switch (see the file's comment). */
	u64 kernel_gs_base;
	u64 star, lstar, cstar, sfmask;

	/* The TPR shadow's page (the virtual-APIC page), with TPR shadow. */
	struct page *vapic;

	/* Host state written to the VMCS; rewritten when it changes. */
	unsigned long host_cr3, host_cr4, host_fs_base;
};

static struct vmx_vcpu *to_vmx(struct hwvirt_vcpu *vcpu)
{
	return container_of(vcpu, struct vmx_vcpu, vcpu);
}

/* ------------------------------------------------------------------------
 * VMX instructions
 */

static __always_inline unsigned long vmcs_readl(unsigned long field)
{
	unsigned long value = 0;

	asm volatile("vmread %[field], %[value]"
		     : [value] "+r" (value) : [field] "r" (field) : "cc");
	return value;
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	return vmcs_readl(field);
}

static __always_inline u16 vmcs_read16(unsigned long field)
{
	return vmcs_readl(field);
}

static noinline void vmcs_write_error(unsigned long field, unsigned long value)
{
	WARN_ONCE(1, "hwvirt: vmwrite of %#lx to VMCS field %#lx failed (error %u)\n",
		  value, field, (u32)vmcs_readl(VMCS_INSTRUCTION_ERROR));
}

static __always_inline void vmcs_write(unsigned long field, unsigned long value)
{
	bool fail;

	asm volatile("vmwrite %[value], %[field]"
		     : "=@ccbe" (fail) : [value] "rm" (value), [field] "r" (field)
		     : "memory");
	if (unlikely(fail))
		vmcs_write_error(field, value);
}

static int vmclear(phys_addr_t pa)
{
	bool fail;

	asm volatile("vmclear %[pa]" : "=@ccbe" (fail) : [pa] "m" (pa) : "memory");
	return fail ? -EIO : 0;
}

static int vmptrld(phys_addr_t pa)
{
	bool fail;

	asm volatile("vmptrld %[pa]" : "=@ccbe" (fail) : [pa] "m" (pa) : "memory");
	return fail ? -EIO : 0;
}

static void invept(unsigned long type, u64 eptp)
{
	struct { u64 eptp, zero; } desc = { eptp, 0 };

	asm volatile("invept %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

static void invvpid(unsigned long type, u16 vpid, u64 gva)
{
	struct { u64 vpid, gva; } desc = { vpid, gva };

	asm volatile("invvpid %[desc], %[type]"
		     : : [desc] "m" (desc), [type] "r" (type) : "cc", "memory");
}

/* ------------------------------------------------------------------------
 * Probe, set-up, per-CPU enable
 */

/*
 * Controls of one class: want (needed), opt (used when the CPU has them)
 * against its capability MSR.  -EIO when a wanted one is missing.
 */
static int vmx_adjust(u32 want, u32 opt, u32 msr, u32 *out)
{
	u64 cap;
	u32 ctl;

	if (rdmsrl_safe(msr, &cap))
		return -EIO;
	ctl = (want | opt) & VMX_CTL_ALLOWED1(cap);
	ctl |= VMX_CTL_ALLOWED0(cap);
	if ((ctl & want) != want) {
		pr_info("vmx: the CPU lacks VMX controls %#x (MSR %#x)\n",
			want & ~ctl, msr);
		return -EIO;
	}
	*out = ctl;
	return 0;
}

static int vmx_probe(void)
{
	u64 fc, basic, proc2_cap = 0;
	bool true_ctls;
	u32 msr_pin, msr_proc, msr_exit, msr_entry;

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
	if (rdmsrl_safe(VMX_MSR_BASIC, &basic))
		return -ENODEV;
	vmx_caps.revision = VMX_BASIC_REVISION(basic);
	vmx_caps.vmcs_size = VMX_BASIC_VMCS_SIZE(basic);
	if (vmx_caps.vmcs_size > PAGE_SIZE ||
	    VMX_BASIC_MEMTYPE(basic) != VMX_BASIC_MEMTYPE_WB) {
		pr_info("vmx: VMCS of %u bytes, memory type %u: not supported\n",
			vmx_caps.vmcs_size, VMX_BASIC_MEMTYPE(basic));
		return -ENODEV;
	}

	true_ctls = basic & VMX_BASIC_TRUE_CONTROLS;
	msr_pin = true_ctls ? VMX_MSR_TRUE_PINBASED_CTLS : VMX_MSR_PINBASED_CTLS;
	msr_proc = true_ctls ? VMX_MSR_TRUE_PROCBASED_CTLS : VMX_MSR_PROCBASED_CTLS;
	msr_exit = true_ctls ? VMX_MSR_TRUE_EXIT_CTLS : VMX_MSR_EXIT_CTLS;
	msr_entry = true_ctls ? VMX_MSR_TRUE_ENTRY_CTLS : VMX_MSR_ENTRY_CTLS;

	/*
	 * Host interrupts and NMIs exit (acknowledged by the host once it
	 * enables interrupts again: no acknowledge-on-exit); virtual NMIs
	 * give NMI blocking and the NMI window.
	 */
	if (vmx_adjust(VMX_PIN_EXT_INTR | VMX_PIN_NMI | VMX_PIN_VIRTUAL_NMIS,
		       0, msr_pin, &vmx_caps.pin) ||
	    vmx_adjust(VMX_PROC_HLT | VMX_PROC_MWAIT | VMX_PROC_RDPMC |
		       VMX_PROC_MOV_DR | VMX_PROC_UNCOND_IO |
		       VMX_PROC_MSR_BITMAPS | VMX_PROC_MONITOR |
		       VMX_PROC_TSC_OFFSET | VMX_PROC_SECONDARY_CTLS,
		       VMX_PROC_TPR_SHADOW, msr_proc, &vmx_caps.proc) ||
	    vmx_adjust(VMX_EXIT_HOST_64 | VMX_EXIT_SAVE_EFER |
		       VMX_EXIT_LOAD_EFER | VMX_EXIT_SAVE_PAT |
		       VMX_EXIT_LOAD_PAT | VMX_EXIT_SAVE_DEBUG,
		       0, msr_exit, &vmx_caps.exit) ||
	    vmx_adjust(VMX_ENTRY_LOAD_EFER | VMX_ENTRY_LOAD_PAT |
		       VMX_ENTRY_LOAD_DEBUG, 0, msr_entry, &vmx_caps.entry))
		return -ENODEV;
	/* Each entry says whether the guest is in long mode. */
	vmx_caps.entry &= ~VMX_ENTRY_IA32E;
	/* Windows open and close per entry; CR3 and CR8 per MMU and APIC. */
	vmx_caps.proc &= ~(VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW);
	vmx_caps.tpr_shadow = vmx_caps.proc & VMX_PROC_TPR_SHADOW;

	rdmsrl_safe(VMX_MSR_PROCBASED_CTLS2, &proc2_cap);
	vmx_caps.proc2_allowed = VMX_CTL_ALLOWED1(proc2_cap);
	if (vmx_adjust(0, VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST |
		       VMX_PROC2_VPID | VMX_PROC2_RDTSCP | VMX_PROC2_INVPCID |
		       VMX_PROC2_WBINVD, VMX_MSR_PROCBASED_CTLS2,
		       &vmx_caps.proc2))
		return -ENODEV;
	if (vmx_caps.proc2 & (VMX_PROC2_EPT | VMX_PROC2_VPID))
		rdmsrl_safe(VMX_MSR_EPT_VPID_CAP, &vmx_caps.ept_vpid);

	vmx_caps.ept = ept && (vmx_caps.proc2 & VMX_PROC2_EPT) &&
		       (vmx_caps.ept_vpid & VMX_EPT_CAP_WALK4) &&
		       (vmx_caps.ept_vpid & VMX_EPT_CAP_WB) &&
		       (vmx_caps.ept_vpid & VMX_EPT_CAP_INVEPT) &&
		       (vmx_caps.ept_vpid & (VMX_EPT_CAP_INVEPT_SINGLE |
					     VMX_EPT_CAP_INVEPT_ALL));
	vmx_caps.ug = vmx_caps.ept &&
		      (vmx_caps.proc2 & VMX_PROC2_UNRESTRICTED_GUEST);
	vmx_caps.vpid = (vmx_caps.proc2 & VMX_PROC2_VPID) &&
			(vmx_caps.ept_vpid & VMX_VPID_CAP_INVVPID) &&
			(vmx_caps.ept_vpid & (VMX_VPID_CAP_SINGLE |
					      VMX_VPID_CAP_ALL));
	if (!vmx_caps.ept)
		vmx_caps.proc2 &= ~(VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST);
	if (!vmx_caps.ug)
		vmx_caps.proc2 &= ~VMX_PROC2_UNRESTRICTED_GUEST;
	if (!vmx_caps.vpid)
		vmx_caps.proc2 &= ~VMX_PROC2_VPID;
	/* RDTSCP (and RDPID) follow the guest's CPUID, per vCPU. */
	vmx_caps.proc2 &= ~VMX_PROC2_RDTSCP;
	if (!vmx_caps.ug)
		pr_info("vmx: no EPT with unrestricted guest%s: guests run on the shadow MMU, and not in real mode\n",
			ept ? "" : " (ept=0)");

	rdmsrl(VMX_MSR_CR0_FIXED0, vmx_caps.cr0_fixed0);
	rdmsrl(VMX_MSR_CR0_FIXED1, vmx_caps.cr0_fixed1);
	rdmsrl(VMX_MSR_CR4_FIXED0, vmx_caps.cr4_fixed0);
	rdmsrl(VMX_MSR_CR4_FIXED1, vmx_caps.cr4_fixed1);
	return 0;
}

/*
 * Without "enable RDTSCP", RDTSCP and RDPID raise #UD in the guest;
 * without "enable INVPCID", INVPCID does: the guest must not see them.
 */
static void vmx_cpuid_fixup(u32 function, u32 index, u32 *eax, u32 *ebx,
			    u32 *ecx, u32 *edx)
{
	bool rdtscp = vmx_caps.proc2_allowed & VMX_PROC2_RDTSCP;

	if (function == 0x80000001 && !rdtscp)
		*edx &= ~CPUID_80000001_EDX_RDTSCP;
	if (function == 7 && index == 0) {
		if (!rdtscp)
			*ecx &= ~CPUID_7_ECX_RDPID;
		if (!(vmx_caps.proc2 & VMX_PROC2_INVPCID))
			*ebx &= ~CPUID_7_EBX_INVPCID;
	}
}

static void vmx_describe(char *buf, size_t len)
{
	scnprintf(buf, len, "VMX revision %#x, VMCS %u bytes, %sEPT%s, %sVPID, %sunrestricted guest, %sTPR shadow",
		  vmx_caps.revision, vmx_caps.vmcs_size,
		  vmx_caps.ept ? "" : "no ",
		  vmx_caps.ept && (vmx_caps.ept_vpid & VMX_EPT_CAP_AD) ?
		  " with A/D" : "",
		  vmx_caps.vpid ? "" : "no ",
		  vmx_caps.ug ? "" : "no ",
		  vmx_caps.tpr_shadow ? "" : "no ");
}

/* MSR bitmap: 0x000 read low, 0x400 read high, 0x800/0xc00 write. */
static void msr_bitmap_allow(u8 *bitmap, u32 msr, bool read, bool write)
{
	u32 base;

	if (msr <= 0x1fff)
		base = 0;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		base = 0x400;
	else
		return;
	msr &= 0x1fff;
	if (read)
		bitmap[base + msr / 8] &= ~BIT(msr % 8);
	if (write)
		bitmap[0x800 + base + msr / 8] &= ~BIT(msr % 8);
}

/*
 * The guest reads and writes these in the CPU: the VMCS holds them
 * (SYSENTER, FS/GS base) or the backend switches them (KERNEL_GS_BASE);
 * these it only reads there (writes exit to set the user-return MSRs).
 */
static const u32 vmx_passthrough_msrs[] = {
	0x00000174, 0x00000175, 0x00000176,	/* SYSENTER_CS/ESP/EIP */
	0xc0000100, 0xc0000101, 0xc0000102,	/* FS/GS/KERNEL_GS base */
};
static const u32 vmx_read_msrs[] = {
	0xc0000081, 0xc0000082, 0xc0000083,	/* STAR, LSTAR, CSTAR */
	0xc0000084,				/* SFMASK */
};

static void vmx_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		if (per_cpu(vmxon_region, cpu))
			__free_page(per_cpu(vmxon_region, cpu));
		per_cpu(vmxon_region, cpu) = NULL;
	}
	if (vmx_msr_bitmap)
		__free_page(vmx_msr_bitmap);
	vmx_msr_bitmap = NULL;
	bitmap_free(vmx_vpid_bitmap);
	vmx_vpid_bitmap = NULL;
}

static int vmx_setup(void)
{
	struct desc_ptr idt;
	struct page *page;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		page = alloc_pages_node(cpu_to_node(cpu),
					GFP_KERNEL | __GFP_ZERO, 0);
		if (!page)
			goto nomem;
		*(u32 *)page_address(page) = vmx_caps.revision;
		per_cpu(vmxon_region, cpu) = page;
		INIT_LIST_HEAD(&per_cpu(vmx_loaded, cpu));
	}
	vmx_msr_bitmap = alloc_page(GFP_KERNEL);
	vmx_vpid_bitmap = bitmap_zalloc(VMX_NR_VPIDS, GFP_KERNEL);
	if (!vmx_msr_bitmap || !vmx_vpid_bitmap)
		goto nomem;
	set_bit(0, vmx_vpid_bitmap);
	memset(page_address(vmx_msr_bitmap), 0xff, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(vmx_passthrough_msrs); i++)
		msr_bitmap_allow(page_address(vmx_msr_bitmap),
				 vmx_passthrough_msrs[i], true, true);
	for (i = 0; i < ARRAY_SIZE(vmx_read_msrs); i++)
		msr_bitmap_allow(page_address(vmx_msr_bitmap),
				 vmx_read_msrs[i], true, false);

	store_idt(&idt);
	vmx_host.idt_base = idt.address;
	rdmsrl(MSR_IA32_SYSENTER_CS, vmx_host.sysenter_cs);
	rdmsrl(MSR_IA32_SYSENTER_EIP, vmx_host.sysenter_eip);
	return 0;

nomem:
	vmx_unsetup();
	return -ENOMEM;
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
static bool vmx_cr_fixed_ok(unsigned long cr, u64 fixed0, u64 fixed1)
{
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

	if (!vmx_cr_fixed_ok(read_cr0(), vmx_caps.cr0_fixed0,
			     vmx_caps.cr0_fixed1) ||
	    !vmx_cr_fixed_ok(cr4 | X86_CR4_VMXE, vmx_caps.cr4_fixed0,
			     vmx_caps.cr4_fixed1))
		return -EINVAL;

	cr4_set_bits(X86_CR4_VMXE);
	r = vmxon(page_to_phys(this_cpu_read(vmxon_region)));
	if (r)
		cr4_clear_bits(X86_CR4_VMXE);
	this_cpu_write(vmx_current, NULL);
	return r;
}

/* Clear a VMCS active on this CPU (interrupts disabled). */
static void vmx_clear_here(struct vmx_vcpu *vmx)
{
	vmclear(vmx->vmcs_pa);
	if (this_cpu_read(vmx_current) == vmx->vmcs)
		this_cpu_write(vmx_current, NULL);
	list_del(&vmx->loaded_link);
	vmx->launched = false;
	/* Off the list before another CPU may load it. */
	smp_wmb();
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_cpu_disable(void)
{
	struct vmx_vcpu *vmx, *tmp;
	unsigned long flags;

	local_irq_save(flags);
	list_for_each_entry_safe(vmx, tmp, this_cpu_ptr(&vmx_loaded),
				 loaded_link)
		vmx_clear_here(vmx);
	local_irq_restore(flags);
	vmxoff();
	cr4_clear_bits(X86_CR4_VMXE);
}

static u32 vmx_mmu_modes(void)
{
	return (1U << HWVIRT_MMU_SHADOW) |
	       (vmx_caps.ug ? 1U << HWVIRT_MMU_TDP : 0);
}

/*
 * EPT's depth is the page-walk length in the EPTP, not the host's paging
 * mode: 4 levels reach the 48-bit guest-physical addresses we give guests.
 */
static int vmx_tdp_levels(void)
{
	return 4;
}

/* EPT entries: R/W/X, and leaves write-back, ignoring the guest's PAT. */
static const struct hwvirt_tdp_format vmx_tdp_format = {
	.table	= VMX_EPT_R | VMX_EPT_W | VMX_EPT_X,
	.leaf	= VMX_EPT_R | VMX_EPT_X | VMX_EPT_MT_WB | VMX_EPT_IPAT,
};

/* ------------------------------------------------------------------------
 * The current VMCS
 */

static void vmx_clear_on_cpu(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	if (vmx->cpu == smp_processor_id())
		vmx_clear_here(vmx);
}

/* The host state that differs per CPU, for a VMCS just loaded there. */
static void vmx_host_cpu_state(int cpu)
{
	u64 efer, pat;

	vmcs_write(VMCS_HOST_TR_BASE,
		   (unsigned long)&get_cpu_entry_area(cpu)->tss.x86_tss);
	vmcs_write(VMCS_HOST_GDTR_BASE, (unsigned long)get_current_gdt_ro());
	vmcs_write(VMCS_HOST_SYSENTER_ESP,
		   (unsigned long)(cpu_entry_stack(cpu) + 1));
	vmcs_write(VMCS_HOST_GS_BASE, cpu_kernelmode_gs_base(cpu));
	rdmsrl(MSR_EFER, efer);
	rdmsrl(MSR_IA32_CR_PAT, pat);
	vmcs_write(VMCS_HOST_EFER, efer);
	vmcs_write(VMCS_HOST_PAT, pat);
	vmcs_write(VMCS_HOST_CR0, read_cr0());
}

/*
 * Make the vCPU's VMCS current on this CPU, preemption disabled until
 * vmx_put().  Called with interrupts enabled (the IPI that clears it on
 * its old CPU waits for that CPU).
 */
static struct vmx_vcpu *vmx_get(struct hwvirt_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = get_cpu();

	if (READ_ONCE(vmx->cpu) != cpu) {
		int old = READ_ONCE(vmx->cpu);

		if (old >= 0)
			smp_call_function_single(old, vmx_clear_on_cpu, vmx, 1);
		/* Cleared there before it is loaded here. */
		smp_rmb();
		local_irq_disable();
		vmclear(vmx->vmcs_pa);
		vmx->launched = false;
		list_add(&vmx->loaded_link, this_cpu_ptr(&vmx_loaded));
		vmx->cpu = cpu;
		local_irq_enable();
		vmptrld(vmx->vmcs_pa);
		this_cpu_write(vmx_current, vmx->vmcs);
		vmx_host_cpu_state(cpu);
		if (rdmsrl_safe(MSR_IA32_DEBUGCTLMSR,
				this_cpu_ptr(&vmx_host_debugctl)))
			this_cpu_write(vmx_host_debugctl, 0);
		/* Translations of this EPTP/VPID left here earlier are stale. */
		vmx->flush_pending = true;
	} else if (this_cpu_read(vmx_current) != vmx->vmcs) {
		vmptrld(vmx->vmcs_pa);
		this_cpu_write(vmx_current, vmx->vmcs);
	}
	return vmx;
}

static void vmx_put(void)
{
	put_cpu();
}

/* ------------------------------------------------------------------------
 * Segments and control registers
 */

/* The VMCS's segment number for one of the core's (HW_ES.., TR, LDTR). */
static int vmx_seg_index(int seg)
{
	if (seg == HW_SEG_TR)
		return VMCS_SEG_TR;
	if (seg == HW_SEG_LDTR)
		return VMCS_SEG_LDTR;
	return seg;
}

static void vmx_read_seg(int n, struct hwvirt_segment *s)
{
	u32 ar = vmcs_read32(VMCS_GUEST_SEG(VMCS_GUEST_ES_AR, n));

	memset(s, 0, sizeof(*s));
	s->base = vmcs_readl(VMCS_GUEST_SEG(VMCS_GUEST_ES_BASE, n));
	s->limit = vmcs_read32(VMCS_GUEST_SEG(VMCS_GUEST_ES_LIMIT, n));
	s->selector = vmcs_read16(VMCS_GUEST_SEG(VMCS_GUEST_ES_SELECTOR, n));
	s->type = ar & VMX_AR_TYPE_MASK;
	s->s = !!(ar & VMX_AR_S);
	s->dpl = (ar >> VMX_AR_DPL_SHIFT) & 3;
	s->present = !!(ar & VMX_AR_P);
	s->avl = !!(ar & VMX_AR_AVL);
	s->l = !!(ar & VMX_AR_L);
	s->db = !!(ar & VMX_AR_DB);
	s->g = !!(ar & VMX_AR_G);
	s->unusable = !!(ar & VMX_AR_UNUSABLE);
	if (s->unusable)
		s->present = 0;
}

static void vmx_write_seg(int n, const struct hwvirt_segment *s)
{
	u32 ar = (s->type & VMX_AR_TYPE_MASK) |
		 (s->s ? VMX_AR_S : 0) |
		 ((s->dpl & 3) << VMX_AR_DPL_SHIFT) |
		 (s->present ? VMX_AR_P : 0) |
		 (s->avl ? VMX_AR_AVL : 0) |
		 (s->l ? VMX_AR_L : 0) |
		 (s->db ? VMX_AR_DB : 0) |
		 (s->g ? VMX_AR_G : 0);

	/*
	 * A null or not-present segment is unusable (its DPL still counts
	 * for SS); a usable code or data segment has been accessed, as the
	 * entry checks want (userspace may leave A clear at reset).
	 */
	if (s->unusable || !s->present)
		ar = VMX_AR_UNUSABLE | (ar & ~VMX_AR_P);
	else if (s->s)
		ar |= 1;
	vmcs_write(VMCS_GUEST_SEG(VMCS_GUEST_ES_SELECTOR, n), s->selector);
	vmcs_write(VMCS_GUEST_SEG(VMCS_GUEST_ES_BASE, n), s->base);
	vmcs_write(VMCS_GUEST_SEG(VMCS_GUEST_ES_LIMIT, n), s->limit);
	vmcs_write(VMCS_GUEST_SEG(VMCS_GUEST_ES_AR, n), ar);
}

static void vmx_get_segment(struct hwvirt_vcpu *vcpu, int seg,
			    struct hwvirt_segment *s)
{
	vmx_get(vcpu);
	vmx_read_seg(vmx_seg_index(seg), s);
	vmx_put();
}

static void vmx_set_segment(struct hwvirt_vcpu *vcpu, int seg,
			    const struct hwvirt_segment *s)
{
	vmx_get(vcpu);
	vmx_write_seg(vmx_seg_index(seg), s);
	vmx_put();
}

static u64 __vmx_get_efer(struct vmx_vcpu *vmx)
{
	return vmx->shadow ? vmx->efer : vmcs_readl(VMCS_GUEST_EFER);
}

/* With the VMCS current. */
static u64 __vmx_get_cr(struct hwvirt_vcpu *vcpu, int cr)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	switch (cr) {
	case 0:
		return vmcs_readl(VMCS_CR0_READ_SHADOW);
	case 2:
		return vcpu->cr2;
	case 3:
		return vmx->shadow ? vmx->cr3 : vmcs_readl(VMCS_GUEST_CR3);
	case 4:
		return vmcs_readl(VMCS_CR4_READ_SHADOW);
	case 8:
		return vcpu->cr8;
	}
	return 0;
}

static u64 vmx_get_cr(struct hwvirt_vcpu *vcpu, int cr)
{
	u64 v;

	if (cr == 2 || cr == 8)
		return cr == 2 ? vcpu->cr2 : vcpu->cr8;
	vmx_get(vcpu);
	v = __vmx_get_cr(vcpu, cr);
	vmx_put();
	return v;
}

static u64 vmx_get_efer(struct hwvirt_vcpu *vcpu)
{
	u64 efer;

	vmx_get(vcpu);
	efer = __vmx_get_efer(to_vmx(vcpu));
	vmx_put();
	return efer;
}

/*
 * What the CPU runs with for the guest's CR0, CR4 and EFER (the read
 * shadows and vmx->efer).  With EPT and unrestricted guest: the guest's
 * own, with CR0.NE set and CD/NW clear (the host decides caching under
 * EPT), CR4.VMXE.  With shadow paging, as svm_load_paging(): paging
 * always on (PAE paging while the guest's is off or 32-bit), CR0.WP so
 * that read-only sptes hold for the supervisor, EFER.NXE for the sptes'
 * NX; long mode once the guest is in it.  With the VMCS current.
 */
static void vmx_load_paging(struct vmx_vcpu *vmx)
{
	u64 cr0 = vmcs_readl(VMCS_CR0_READ_SHADOW);
	u64 cr4 = vmcs_readl(VMCS_CR4_READ_SHADOW);
	u64 efer = __vmx_get_efer(vmx);
	u64 hw_cr0 = (cr0 | HV_CR0_NE) & ~(HV_CR0_CD | HV_CR0_NW);
	u64 hw_cr4 = cr4 | X86_CR4_VMXE;
	bool lma = efer & HV_EFER_LMA;

	if (vmx->shadow) {
		hw_cr0 |= HV_CR0_PG | HV_CR0_WP;
		hw_cr4 = (hw_cr4 | HV_CR4_PAE) & ~HV_CR4_PCIDE;
		if (!(cr0 & HV_CR0_PG))
			hw_cr4 &= ~(HV_CR4_SMEP | HV_CR4_SMAP | HV_CR4_PKE);
		if (!lma)
			hw_cr4 &= ~HV_CR4_LA57;
		efer = (efer & ~(HV_EFER_LME | HV_EFER_LMA)) | HV_EFER_NXE;
		if (lma)
			efer |= HV_EFER_LME | HV_EFER_LMA;
	}
	vmcs_write(VMCS_GUEST_CR0, hw_cr0);
	vmcs_write(VMCS_GUEST_CR4, hw_cr4);
	vmcs_write(VMCS_GUEST_EFER, efer);
	if (lma)
		vmx->entry |= VMX_ENTRY_IA32E;
	else
		vmx->entry &= ~VMX_ENTRY_IA32E;
	vmcs_write(VMCS_ENTRY_CONTROLS, vmx->entry);
}

/* The guest's EFER, CR0, CR4 (the VMCS current). */
static void __vmx_set_efer(struct vmx_vcpu *vmx, u64 efer)
{
	if (vmx->shadow)
		vmx->efer = efer;
	else
		vmcs_write(VMCS_GUEST_EFER, efer);
	vmx_load_paging(vmx);
}

static void __vmx_set_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	vmcs_write(VMCS_CR0_READ_SHADOW, cr0);
	vmx_load_paging(vmx);
}

static void __vmx_set_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	vmcs_write(VMCS_CR4_READ_SHADOW, cr4);
	vmx_load_paging(vmx);
}

static void __vmx_set_cr3(struct vmx_vcpu *vmx, u64 cr3)
{
	if (vmx->shadow)
		vmx->cr3 = cr3;
	else
		vmcs_write(VMCS_GUEST_CR3, cr3);
}

static void vmx_set_cr0(struct hwvirt_vcpu *vcpu, u64 cr0)
{
	struct vmx_vcpu *vmx = vmx_get(vcpu);
	u64 efer = __vmx_get_efer(vmx);

	/* Paging on with EFER.LME: long mode; paging off: out of it. */
	if (efer & HV_EFER_LME) {
		if (cr0 & HV_CR0_PG)
			efer |= HV_EFER_LMA;
		else
			efer &= ~HV_EFER_LMA;
		if (vmx->shadow)
			vmx->efer = efer;
		else
			vmcs_write(VMCS_GUEST_EFER, efer);
	}
	__vmx_set_cr0(vmx, cr0);
	vmx_put();
}

static void vmx_set_cr3(struct hwvirt_vcpu *vcpu, u64 cr3)
{
	__vmx_set_cr3(vmx_get(vcpu), cr3);
	vmx_put();
}

static void vmx_set_cr4(struct hwvirt_vcpu *vcpu, u64 cr4)
{
	struct vmx_vcpu *vmx = vmx_get(vcpu);

	__vmx_set_cr4(vmx, cr4);
	vmx_put();
}

/* CPL: 0 in real mode, 3 in virtual-8086 mode, else SS.DPL. */
static int vmx_get_cpl(struct hwvirt_vcpu *vcpu)
{
	int cpl = 0;

	vmx_get(vcpu);
	if (vcpu->rflags & HV_RFLAGS_VM)
		cpl = 3;
	else if (vmcs_readl(VMCS_CR0_READ_SHADOW) & HV_CR0_PE)
		cpl = (vmcs_read32(VMCS_GUEST_SEG(VMCS_GUEST_ES_AR, HW_SS)) >>
		       VMX_AR_DPL_SHIFT) & 3;
	vmx_put();
	return cpl;
}

static void vmx_get_sregs(struct hwvirt_vcpu *vcpu, struct hwvirt_sregs *sr)
{
	memset(sr, 0, sizeof(*sr));
	vmx_get(vcpu);
	vmx_read_seg(HW_CS, &sr->cs);
	vmx_read_seg(HW_DS, &sr->ds);
	vmx_read_seg(HW_ES, &sr->es);
	vmx_read_seg(HW_FS, &sr->fs);
	vmx_read_seg(HW_GS, &sr->gs);
	vmx_read_seg(HW_SS, &sr->ss);
	vmx_read_seg(VMCS_SEG_TR, &sr->tr);
	vmx_read_seg(VMCS_SEG_LDTR, &sr->ldt);
	sr->gdt.base = vmcs_readl(VMCS_GUEST_GDTR_BASE);
	sr->gdt.limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	sr->idt.base = vmcs_readl(VMCS_GUEST_IDTR_BASE);
	sr->idt.limit = vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	sr->cr0 = __vmx_get_cr(vcpu, 0);
	sr->cr3 = __vmx_get_cr(vcpu, 3);
	sr->cr4 = __vmx_get_cr(vcpu, 4);
	sr->efer = __vmx_get_efer(to_vmx(vcpu));
	vmx_put();
	sr->cr2 = vcpu->cr2;
	sr->cr8 = vcpu->cr8;
}

/* Bits the guest may set in CR0 and EFER (CR4: hwvirt_supported_cr4). */
#define CR0_VALID	0xe005003fULL
#define EFER_VALID	(0x1ULL | HV_EFER_LME | HV_EFER_LMA | \
			 HV_EFER_NXE | (1ULL << 14) | (1ULL << 15))

static int vmx_set_sregs(struct hwvirt_vcpu *vcpu,
			 const struct hwvirt_sregs *sr)
{
	struct vmx_vcpu *vmx;

	if ((sr->cr0 & ~CR0_VALID) || (sr->cr4 & ~hwvirt_supported_cr4) ||
	    (sr->efer & ~EFER_VALID) || (sr->cr8 & ~0xfULL))
		return -EINVAL;
	if ((sr->cr0 & HV_CR0_PG) && !(sr->cr0 & HV_CR0_PE))
		return -EINVAL;
	/* Long mode: paging with PAE, and LMA == LME && PG. */
	if ((sr->efer & HV_EFER_LMA) &&
	    (!(sr->efer & HV_EFER_LME) || !(sr->cr0 & HV_CR0_PG) ||
	     !(sr->cr4 & HV_CR4_PAE)))
		return -EINVAL;
	if (sr->cr3 >> 52)
		return -EINVAL;

	vmx = vmx_get(vcpu);
	vmx_write_seg(HW_CS, &sr->cs);
	vmx_write_seg(HW_DS, &sr->ds);
	vmx_write_seg(HW_ES, &sr->es);
	vmx_write_seg(HW_FS, &sr->fs);
	vmx_write_seg(HW_GS, &sr->gs);
	vmx_write_seg(HW_SS, &sr->ss);
	vmx_write_seg(VMCS_SEG_TR, &sr->tr);
	vmx_write_seg(VMCS_SEG_LDTR, &sr->ldt);
	vmcs_write(VMCS_GUEST_GDTR_BASE, sr->gdt.base);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, sr->gdt.limit);
	vmcs_write(VMCS_GUEST_IDTR_BASE, sr->idt.base);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, sr->idt.limit);
	vmcs_write(VMCS_CR0_READ_SHADOW, sr->cr0);
	vmcs_write(VMCS_CR4_READ_SHADOW, sr->cr4);
	__vmx_set_cr3(vmx, sr->cr3);
	__vmx_set_efer(vmx, sr->efer);
	vmx_put();
	vcpu->cr2 = sr->cr2;
	vcpu->cr8 = sr->cr8;
	vcpu->run->cr8 = sr->cr8;
	return 0;
}

/* MSRs: the VMCS's, the ones switched here, and FEATURE_CONTROL. */
static int vmx_get_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int r = 0;

	switch (index) {
	case VMX_MSR_FEATURE_CONTROL:
		*data = VMX_FC_LOCKED;		/* no nested VMX */
		return 0;
	case 0xc0000102:
		*data = vmx->kernel_gs_base;
		return 0;
	case 0xc0000081:
		*data = vmx->star;
		return 0;
	case 0xc0000082:
		*data = vmx->lstar;
		return 0;
	case 0xc0000083:
		*data = vmx->cstar;
		return 0;
	case 0xc0000084:
		*data = vmx->sfmask;
		return 0;
	}
	vmx_get(vcpu);
	switch (index) {
	case MSR_EFER:
		*data = __vmx_get_efer(vmx);
		break;
	case 0x00000174:
		*data = vmcs_read32(VMCS_GUEST_SYSENTER_CS);
		break;
	case 0x00000175:
		*data = vmcs_readl(VMCS_GUEST_SYSENTER_ESP);
		break;
	case 0x00000176:
		*data = vmcs_readl(VMCS_GUEST_SYSENTER_EIP);
		break;
	case 0x00000277:
		*data = vmcs_readl(VMCS_GUEST_PAT);
		break;
	case 0x000001d9:
		*data = vmcs_readl(VMCS_GUEST_DEBUGCTL);
		break;
	case 0xc0000100:
		*data = vmcs_readl(VMCS_GUEST_SEG(VMCS_GUEST_ES_BASE, HW_FS));
		break;
	case 0xc0000101:
		*data = vmcs_readl(VMCS_GUEST_SEG(VMCS_GUEST_ES_BASE, HW_GS));
		break;
	default:
		r = -ENOENT;
	}
	vmx_put();
	return r;
}

static int vmx_set_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 data,
		       bool from_guest)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int r = 0;

	if (!hwvirt_msr_value_ok(index, data))
		return -ENOENT;
	/* DEBUGCTL: LBR and BTF only; kept, not acted upon. */
	if (index == 0x000001d9 && (data & ~3ULL))
		return -ENOENT;

	switch (index) {
	case 0xc0000102:
		vmx->kernel_gs_base = data;
		return 0;
	case 0xc0000081:
		vmx->star = data;
		return 0;
	case 0xc0000082:
		vmx->lstar = data;
		return 0;
	case 0xc0000083:
		vmx->cstar = data;
		return 0;
	case 0xc0000084:
		vmx->sfmask = data;
		return 0;
	}

	vmx_get(vcpu);
	switch (index) {
	case MSR_EFER: {
		u64 old = __vmx_get_efer(vmx);

		if (data & ~EFER_VALID) {
			r = -ENOENT;
			break;
		}
		if (from_guest) {
			/* LMA is the CPU's; LME cannot change with paging on. */
			data = (data & ~HV_EFER_LMA) | (old & HV_EFER_LMA);
			if ((vmcs_readl(VMCS_CR0_READ_SHADOW) & HV_CR0_PG) &&
			    ((data ^ old) & HV_EFER_LME)) {
				r = -ENOENT;
				break;
			}
		}
		__vmx_set_efer(vmx, data);
		break;
	}
	case 0x00000174:
		vmcs_write(VMCS_GUEST_SYSENTER_CS, data);
		break;
	case 0x00000175:
		vmcs_write(VMCS_GUEST_SYSENTER_ESP, data);
		break;
	case 0x00000176:
		vmcs_write(VMCS_GUEST_SYSENTER_EIP, data);
		break;
	case 0x00000277:
		vmcs_write(VMCS_GUEST_PAT, data);
		break;
	case 0x000001d9:
		vmcs_write(VMCS_GUEST_DEBUGCTL, data);
		break;
	case 0xc0000100:
		vmcs_write(VMCS_GUEST_SEG(VMCS_GUEST_ES_BASE, HW_FS), data);
		break;
	case 0xc0000101:
		vmcs_write(VMCS_GUEST_SEG(VMCS_GUEST_ES_BASE, HW_GS), data);
		break;
	default:
		r = -ENOENT;
	}
	vmx_put();
	return r;
}

/* ------------------------------------------------------------------------
 * vCPU lifetime
 */

/* The VMCS fields that never change after creation (VMCS current). */
static void vmx_init_vmcs(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;

	vmx->proc = vmx_caps.proc;
	vmx->proc2 = vmx_caps.proc2;
	vmx->entry = vmx_caps.entry;
	if (vmx->shadow) {
		/*
		 * Shadow paging: the guest's CR3 is ours to show, its #PFs,
		 * INVLPGs and INVPCIDs (which exit with INVLPG exiting) ours
		 * to look at first; no EPT, so no unrestricted guest.
		 */
		vmx->proc |= VMX_PROC_CR3_LOAD | VMX_PROC_CR3_STORE |
			     VMX_PROC_INVLPG;
		vmx->proc2 &= ~(VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST);
	}
	vmcs_write(VMCS_PIN_CONTROLS, vmx_caps.pin);
	vmcs_write(VMCS_PROC_CONTROLS, vmx->proc);
	vmcs_write(VMCS_PROC2_CONTROLS, vmx->proc2);
	vmcs_write(VMCS_EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write(VMCS_ENTRY_CONTROLS, vmx->entry);
	/* #DB exits: DR6 is the module's (see vmx_handle_exception()). */
	vmcs_write(VMCS_EXCEPTION_BITMAP, BIT(HV_VEC_DB) |
		   (vmx->shadow ? BIT(HV_VEC_PF) : 0));
	vmcs_write(VMCS_PF_ERROR_MASK, 0);
	vmcs_write(VMCS_PF_ERROR_MATCH, 0);
	vmcs_write(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write(VMCS_MSR_BITMAP, page_to_phys(vmx_msr_bitmap));
	vmcs_write(VMCS_LINK_POINTER, ~0UL);
	/* Every CR0 and CR4 bit is the module's. */
	vmcs_write(VMCS_CR0_GUEST_HOST_MASK, ~0UL);
	vmcs_write(VMCS_CR4_GUEST_HOST_MASK, ~0UL);
	if (vmx->vpid)
		vmcs_write(VMCS_VPID, vmx->vpid);
	/*
	 * EPT accessed/dirty flags where the CPU has them (it sets them in
	 * bits 8 and 9, which tdp.c leaves alone; dirty logging does not
	 * use them yet).
	 */
	if (!vmx->shadow)
		vmcs_write(VMCS_EPT_POINTER,
			   hwvirt_tdp_root(vcpu->vm) | VMX_EPTP_MT_WB |
			   VMX_EPTP_WALK(4) |
			   (vmx_caps.ept_vpid & VMX_EPT_CAP_AD ? VMX_EPTP_AD : 0));
	if (vmx_caps.tpr_shadow) {
		/* The TPR's shadow: the page's byte 0x80 (see vmx_enter()). */
		vmcs_write(VMCS_VIRTUAL_APIC_ADDR, page_to_phys(vmx->vapic));
		vmcs_write(VMCS_TPR_THRESHOLD, 0);
	}

	/* Host state that is the same everywhere, always. */
	vmcs_write(VMCS_HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(VMCS_HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(VMCS_HOST_DS_SELECTOR, __KERNEL_DS);
	vmcs_write(VMCS_HOST_ES_SELECTOR, __KERNEL_DS);
	vmcs_write(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write(VMCS_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	vmcs_write(VMCS_HOST_IDTR_BASE, vmx_host.idt_base);
	vmcs_write(VMCS_HOST_SYSENTER_CS, vmx_host.sysenter_cs);
	vmcs_write(VMCS_HOST_SYSENTER_EIP, vmx_host.sysenter_eip);
	vmcs_write(VMCS_HOST_RIP, (unsigned long)hwvirt_vmx_vmexit);
	vmx->host_cr3 = vmx->host_cr4 = vmx->host_fs_base = 0;
}

static void vmx_vcpu_reset(struct hwvirt_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = vmx_get(vcpu);
	struct hwvirt_segment data = {
		.limit = 0xffff, .type = 3, .s = 1, .present = 1,
	};
	struct hwvirt_segment s;
	int n;

	vmx->shadow = vcpu->vm->mmu_mode == HWVIRT_MMU_SHADOW;
	vmx_init_vmcs(vmx);
	s = data;
	s.selector = 0xf000;
	s.base = 0xffff0000;
	s.type = 0xb;
	vmx_write_seg(HW_CS, &s);
	for (n = 0; n < HW_NR_SEGS; n++)
		if (n != HW_CS)
			vmx_write_seg(n, &data);
	s = (struct hwvirt_segment) { .limit = 0xffff, .type = 2, .present = 1 };
	vmx_write_seg(VMCS_SEG_LDTR, &s);
	s = (struct hwvirt_segment) { .limit = 0xffff, .type = 0xb, .present = 1 };
	vmx_write_seg(VMCS_SEG_TR, &s);
	vmcs_write(VMCS_GUEST_GDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_GUEST_IDTR_BASE, 0);
	vmcs_write(VMCS_GUEST_IDTR_LIMIT, 0xffff);
	vmcs_write(VMCS_CR0_READ_SHADOW, 0x60000010);	/* CD, NW, ET */
	vmcs_write(VMCS_CR4_READ_SHADOW, 0);
	__vmx_set_cr3(vmx, 0);
	__vmx_set_efer(vmx, 0);
	vmcs_write(VMCS_GUEST_DR7, 0x400);
	vmcs_write(VMCS_GUEST_DEBUGCTL, 0);
	vmcs_write(VMCS_GUEST_PAT, 0x0007040600070406ULL);
	vmcs_write(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_write(VMCS_GUEST_SYSENTER_EIP, 0);
	vmcs_write(VMCS_GUEST_RSP, 0);
	vmcs_write(VMCS_GUEST_RIP, 0xfff0);
	vmcs_write(VMCS_GUEST_RFLAGS, HV_RFLAGS_FIXED);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_write(VMCS_GUEST_ACTIVITY_STATE, 0);
	vmcs_write(VMCS_GUEST_PENDING_DBG, 0);
	vmx_put();
	if (vmx->shadow)
		hwvirt_shadow_reset(vcpu);

	memset(vmx->db, 0, sizeof(vmx->db));
	vmx->dr6 = 0xffff0ff0;
	vmx->kernel_gs_base = 0;
	vmx->star = vmx->lstar = vmx->cstar = vmx->sfmask = 0;
	vcpu->rip = 0xfff0;
	vcpu->rflags = HV_RFLAGS_FIXED;
	vmx->flush_pending = true;
}

static int vmx_vcpu_create(struct hwvirt_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	vmx->vmcs = page_address(page);
	vmx->vmcs_pa = page_to_phys(page);
	*(u32 *)vmx->vmcs = vmx_caps.revision;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	if (vmx_caps.tpr_shadow) {
		vmx->vapic = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!vmx->vapic) {
			__free_page(page);
			vmx->vmcs = NULL;
			return -ENOMEM;
		}
	}
	if (vmx_caps.vpid) {
		unsigned long vpid;

		/* None left: VPID 0, which every entry and exit flushes. */
		spin_lock(&vmx_vpid_lock);
		vpid = find_first_zero_bit(vmx_vpid_bitmap, VMX_NR_VPIDS);
		if (vpid < VMX_NR_VPIDS) {
			set_bit(vpid, vmx_vpid_bitmap);
			vmx->vpid = vpid;
		}
		spin_unlock(&vmx_vpid_lock);
	}
	return 0;
}

static void vmx_vcpu_free(struct hwvirt_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int cpu = READ_ONCE(vmx->cpu);

	if (!vmx->vmcs)
		return;
	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_on_cpu, vmx, 1);
	if (vmx->vpid) {
		spin_lock(&vmx_vpid_lock);
		clear_bit(vmx->vpid, vmx_vpid_bitmap);
		spin_unlock(&vmx_vpid_lock);
	}
	if (vmx->vapic)
		__free_page(vmx->vapic);
	__free_page(virt_to_page(vmx->vmcs));
}

static void vmx_flush_tlb(struct hwvirt_vcpu *vcpu)
{
	to_vmx(vcpu)->flush_pending = true;
}

/*
 * The CPU's translation of gva for this guest (shadow paging): INVVPID
 * here, or of the whole VPID; without a VPID every entry flushes.
 */
static void vmx_flush_gva(struct vmx_vcpu *vmx, u64 gva)
{
	if (!vmx->vpid)
		return;
	vmx_get(&vmx->vcpu);
	if ((vmx_caps.ept_vpid & VMX_VPID_CAP_ADDR) && hwvirt_is_canonical(gva))
		invvpid(VMX_INVVPID_ADDR, vmx->vpid, gva);
	else
		vmx->flush_pending = true;
	vmx_put();
}

/* ------------------------------------------------------------------------
 * Running the guest
 */

static void vmx_set_proc(struct vmx_vcpu *vmx, u32 proc)
{
	if (proc != vmx->proc) {
		vmx->proc = proc;
		vmcs_write(VMCS_PROC_CONTROLS, proc);
	}
}

/*
 * The event for this entry, the interrupt and NMI windows, the guest's
 * interruptibility.  With the VMCS current.
 */
static void vmx_inject_events(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	struct hwvirt_window window;
	u32 info = 0, intr = 0, proc = vmx->proc;

	/* As of the last exit, before the event this entry delivers. */
	if (vcpu->interrupt_shadow)
		intr |= vcpu->rflags & HV_RFLAGS_IF ?
			VMX_INTERRUPTIBILITY_STI : VMX_INTERRUPTIBILITY_MOV_SS;
	if (vcpu->nmi_masked)
		intr |= VMX_INTERRUPTIBILITY_NMI;

	switch (hwvirt_next_event(vcpu, &window)) {
	case HWVIRT_INJECT_EXCEPTION:
		info = VMX_INTR_VALID | VMX_INTR_TYPE_HW_EXCEPTION |
		       vcpu->exception.vector;
		/* Real mode pushes no error code. */
		if (vcpu->exception.has_error &&
		    (vmcs_readl(VMCS_CR0_READ_SHADOW) & HV_CR0_PE)) {
			info |= VMX_INTR_ERROR_VALID;
			vmcs_write(VMCS_ENTRY_EXCEPTION_ERROR,
				   vcpu->exception.error_code);
		}
		vcpu->exception.pending = false;
		break;
	case HWVIRT_INJECT_NMI:
		info = VMX_INTR_VALID | VMX_INTR_TYPE_NMI | HV_VEC_NMI;
		vcpu->nmi_pending = false;
		vcpu->nmi_masked = true;
		break;
	case HWVIRT_INJECT_IRQ:
		info = VMX_INTR_VALID | VMX_INTR_TYPE_EXT | vcpu->irq.vector;
		vcpu->irq.pending = false;
		vcpu->stat[HWVIRT_STAT_INJECTED_IRQS]++;
		break;
	case HWVIRT_INJECT_NONE:
		break;
	}
	vmcs_write(VMCS_ENTRY_INTR_INFO, info);
	vmcs_write(VMCS_GUEST_INTERRUPTIBILITY, intr);
	/* A single-step over a shadow still owes its #DB (entry check). */
	if ((intr & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)) &&
	    (vcpu->rflags & HV_RFLAGS_TF))
		vmcs_write(VMCS_GUEST_PENDING_DBG,
			   vmcs_readl(VMCS_GUEST_PENDING_DBG) | BIT(14));

	proc &= ~(VMX_PROC_INTR_WINDOW | VMX_PROC_NMI_WINDOW |
		  VMX_PROC_CR8_LOAD | VMX_PROC_CR8_STORE);
	if (window.irq)
		proc |= VMX_PROC_INTR_WINDOW;
	if (window.nmi)
		proc |= VMX_PROC_NMI_WINDOW;
	/*
	 * The TPR: in the virtual-APIC page, with an exit when the guest
	 * lowers it below what holds an interrupt back; without a TPR
	 * shadow every CR8 access exits.
	 */
	if (vmx_caps.tpr_shadow) {
		*((u32 *)page_address(vmx->vapic) + 0x80 / 4) = vcpu->cr8 << 4;
		vmcs_write(VMCS_TPR_THRESHOLD,
			   window.tpr_below >= 0 ? window.tpr_below : 0);
	} else {
		proc |= VMX_PROC_CR8_LOAD | VMX_PROC_CR8_STORE;
	}
	vmx_set_proc(vmx, proc);
}


/* Write the host state that may have changed since the last entry. */
static void vmx_host_entry_state(struct vmx_vcpu *vmx)
{
	unsigned long cr3 = __read_cr3(), cr4 = cr4_read_shadow();
	unsigned long fs_base = x86_fsbase_read_cpu();

	if (cr3 != vmx->host_cr3) {
		vmcs_write(VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmcs_write(VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	if (fs_base != vmx->host_fs_base) {
		vmcs_write(VMCS_HOST_FS_BASE, fs_base);
		vmx->host_fs_base = fs_base;
	}
}

/* PAE paging without long mode: the CPU takes the PDPTEs from the VMCS. */
static bool vmx_pae_paging(struct vmx_vcpu *vmx)
{
	return (vmcs_readl(VMCS_CR0_READ_SHADOW) & HV_CR0_PG) &&
	       (vmcs_readl(VMCS_CR4_READ_SHADOW) & HV_CR4_PAE) &&
	       !(__vmx_get_efer(vmx) & HV_EFER_LMA);
}

/*
 * Enter the guest once.  Returns 0 with the exit read into vmx, 1 after
 * a VMfail, or -EAGAIN when the entry was abandoned (a signal, a
 * reschedule or a request came in first).
 */
static int vmx_enter(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	unsigned long host_kgs;
	u64 debugctl;
	u16 ds, es, fs, gs, ldt;
	bool xcr0_switched, pae;
	int cpu, i, r;

	vmx_get(vcpu);
	local_irq_disable();
	if (!hwvirt_enter_begin(vcpu)) {
		local_irq_enable();
		vmx_put();
		return -EAGAIN;
	}
	cpu = smp_processor_id();

	if (vmx->flush_pending) {
		if (!vmx->shadow)
			invept(vmx_caps.ept_vpid & VMX_EPT_CAP_INVEPT_SINGLE ?
			       VMX_INVEPT_SINGLE : VMX_INVEPT_ALL,
			       vmcs_readl(VMCS_EPT_POINTER));
		else if (vmx->vpid)
			invvpid(vmx_caps.ept_vpid & VMX_VPID_CAP_SINGLE ?
				VMX_INVVPID_SINGLE : VMX_INVVPID_ALL,
				vmx->vpid, 0);
		vmx->flush_pending = false;
	}
	vmx_host_entry_state(vmx);

	hwvirt_uret_load(HWVIRT_URET_STAR, vmx->star);
	hwvirt_uret_load(HWVIRT_URET_LSTAR, vmx->lstar);
	hwvirt_uret_load(HWVIRT_URET_CSTAR, vmx->cstar);
	hwvirt_uret_load(HWVIRT_URET_SFMASK, vmx->sfmask);
	if (vcpu->has_rdtscp != !!(vmx->proc2 & VMX_PROC2_RDTSCP) &&
	    (vmx_caps.proc2_allowed & VMX_PROC2_RDTSCP)) {
		vmx->proc2 ^= VMX_PROC2_RDTSCP;
		vmcs_write(VMCS_PROC2_CONTROLS, vmx->proc2);
	}

	vmcs_write(VMCS_GUEST_RSP, vcpu->regs[HW_RSP]);
	vmcs_write(VMCS_GUEST_RIP, vcpu->rip);
	vmcs_write(VMCS_GUEST_RFLAGS, vcpu->rflags);
	vmcs_write(VMCS_TSC_OFFSET, hwvirt_tsc_offset(vcpu));
	pae = !vmx->shadow && vmx_pae_paging(vmx);
	if (pae)
		for (i = 0; i < 4; i++)
			vmcs_write(VMCS_GUEST_PDPTR0 + 2 * i, vcpu->pdptes[i]);

	xcr0_switched = hwvirt_enter_guest_xcr0(vcpu,
					vmcs_readl(VMCS_CR4_READ_SHADOW));
	hwvirt_enter_breakpoints(vmx->db, vmcs_readl(VMCS_GUEST_DR7));

	/* Host state the exit loses or the guest may change in the CPU. */
	savesegment(ds, ds);
	savesegment(es, es);
	savesegment(fs, fs);
	savesegment(gs, gs);
	store_ldt(ldt);
	debugctl = this_cpu_read(vmx_host_debugctl);
	rdmsrl(MSR_KERNEL_GS_BASE, host_kgs);
	if (host_kgs != vmx->kernel_gs_base)
		wrmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);

	/* CR2 is the CPU's register in the guest: a host #PF may change it. */
	if (read_cr2() != vcpu->cr2)
		write_cr2(vcpu->cr2);

	current->flags |= PF_VCPU;
	r = hwvirt_vmx_vmrun(vcpu->regs, vmx->launched);
	current->flags &= ~PF_VCPU;
	vcpu->cr2 = read_cr2();

	/* The guest's KERNEL_GS_BASE, before a GS load changes the MSR. */
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->kernel_gs_base);
	/* The exit loaded a GDT limit of 0xffff and a TR limit of 0x67. */
	load_fixmap_gdt(cpu);
	invalidate_tss_limit();
	if (ldt)
		asm volatile("lldt %0" : : "rm" (ldt));
	if (ds | es) {
		loadsegment(ds, ds);
		loadsegment(es, es);
	}
	if (fs) {
		loadsegment(fs, fs);
		wrmsrl(MSR_FS_BASE, vmx->host_fs_base);
	}
	if (gs)
		load_gs_index(gs);
	if (gs || host_kgs != vmx->kernel_gs_base)
		wrmsrl(MSR_KERNEL_GS_BASE, host_kgs);
	if (debugctl)
		wrmsrl(MSR_IA32_DEBUGCTLMSR, debugctl);
	hwvirt_enter_end(vcpu, xcr0_switched);
	if (r) {
		vmx->vmfail_error = vmcs_read32(VMCS_INSTRUCTION_ERROR);
		vmx->exit_reason = ~0U;
		goto out;
	}
	vmx->exit_reason = vmcs_read32(VMCS_EXIT_REASON);
	vmx->exit_qual = vmcs_readl(VMCS_EXIT_QUALIFICATION);
	if (vmx->exit_reason & VMX_EXIT_REASON_ENTRY_FAIL) {
		/* Nothing ran: the state is as it was. */
		vmx->idt_info = 0;
		goto out;
	}
	vmx->launched = true;
	vmx->exit_len = vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN);
	vmx->exit_intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
	vmx->exit_intr_error = vmcs_read32(VMCS_EXIT_INTR_ERROR);
	vmx->idt_info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
	vmx->idt_error = vmcs_read32(VMCS_IDT_VECTORING_ERROR);

	/* An NMI of the host ended the guest: the host takes it now. */
	if ((vmx->exit_reason & VMX_EXIT_REASON_MASK) == VMX_EXIT_EXCEPTION_NMI &&
	    (vmx->exit_intr_info & (VMX_INTR_VALID | VMX_INTR_TYPE_MASK)) ==
	    (VMX_INTR_VALID | VMX_INTR_TYPE_NMI))
		hwvirt_vmx_do_nmi(asm_exc_nmi_noist);

	vcpu->regs[HW_RSP] = vmcs_readl(VMCS_GUEST_RSP);
	vcpu->rip = vmcs_readl(VMCS_GUEST_RIP);
	vcpu->rflags = vmcs_readl(VMCS_GUEST_RFLAGS);
	i = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	vcpu->interrupt_shadow = i & (VMX_INTERRUPTIBILITY_STI |
				      VMX_INTERRUPTIBILITY_MOV_SS);
	vcpu->nmi_masked = i & VMX_INTERRUPTIBILITY_NMI;
	if (pae || (!vmx->shadow && vmx_pae_paging(vmx)))
		for (i = 0; i < 4; i++)
			vcpu->pdptes[i] = vmcs_readl(VMCS_GUEST_PDPTR0 + 2 * i);
	if (vmx_caps.tpr_shadow) {
		vcpu->cr8 = (*((u32 *)page_address(vmx->vapic) + 0x80 / 4) >> 4) & 0xf;
		hwvirt_apic_cr8_to_tpr(vcpu);
	}
out:
	local_irq_enable();
	vmx_put();
	return r;
}

static int vmx_unhandled(struct vmx_vcpu *vmx)
{
	return hwvirt_internal_error(&vmx->vcpu, HWVIRT_INTERNAL_UNHANDLED_EXIT,
				     vmx->exit_reason, vmx->exit_qual,
				     vmx->exit_intr_info, 0);
}

/* Past the instruction that exited: VMX always says how long it is. */
static int vmx_skip(struct vmx_vcpu *vmx)
{
	vmx->vcpu.rip += vmx->exit_len;
	vmx->vcpu.interrupt_shadow = false;
	return HWVIRT_RESUME;
}

/*
 * The VM entry failed: the guest state (or a control) broke a rule the
 * CPU checks.  Userspace gets HWVIRT_EXIT_FAIL_ENTRY, dmesg the state.
 */
static int vmx_fail_entry(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	struct hwvirt_sregs sr;

	vmx_get_sregs(vcpu, &sr);
	pr_info_ratelimited("vm entry failed: %s %#x, qualification %#llx; rip %#llx rflags %#llx cr0 %#llx cr4 %#llx efer %#llx cs %#x/%#x ss %#x/%#x tr %#x/type %u\n",
			    vmx->exit_reason == ~0U ? "VMfail error" : "exit reason",
			    vmx->exit_reason == ~0U ? vmx->vmfail_error : vmx->exit_reason,
			    vmx->exit_qual, vcpu->rip, vcpu->rflags, sr.cr0,
			    sr.cr4, sr.efer, sr.cs.selector, sr.cs.type,
			    sr.ss.selector, sr.ss.dpl, sr.tr.selector, sr.tr.type);
	vcpu->run->exit_reason = HWVIRT_EXIT_FAIL_ENTRY;
	if (vmx->exit_reason == ~0U) {
		vcpu->run->fail_entry.hardware_reason = BIT_ULL(32) |
							 vmx->vmfail_error;
		vcpu->run->fail_entry.detail = 0;
	} else {
		vcpu->run->fail_entry.hardware_reason = vmx->exit_reason;
		vcpu->run->fail_entry.detail = vmx->exit_qual;
	}
	return HWVIRT_USER;
}

static int vmx_handle_msr(struct vmx_vcpu *vmx, bool write)
{
	if (hwvirt_emulate_msr_exit(&vmx->vcpu, write))
		return HWVIRT_RESUME;
	return vmx_skip(vmx);
}

/* MOV to or from CR0, CR3, CR4, CR8; CLTS; LMSW. */
static int vmx_handle_cr(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	u64 q = vmx->exit_qual, val, cr0 = vmx_get_cr(vcpu, 0);
	bool mode64 = hwvirt_cpu_mode(vcpu) == HW_MODE_64;
	int cr = VMX_CR_NUMBER(q), gpr = VMX_CR_GPR(q), r = 0;

	switch (VMX_CR_TYPE(q)) {
	case VMX_CR_TYPE_MOV_TO:
		val = vcpu->regs[gpr];
		if (!mode64)
			val = (u32)val;
		switch (cr) {
		case 0:
			r = hwvirt_set_cr0(vcpu, val);
			break;
		case 3:
			r = hwvirt_set_cr3(vcpu, val);
			break;
		case 4:
			r = hwvirt_set_cr4(vcpu, val);
			break;
		case 8:
			if (val >> 4) {
				r = -EINVAL;
				break;
			}
			vcpu->cr8 = val;
			hwvirt_apic_cr8_to_tpr(vcpu);
			break;
		default:
			return vmx_unhandled(vmx);
		}
		break;
	case VMX_CR_TYPE_MOV_FROM:
		if (cr != 3 && cr != 8)
			return vmx_unhandled(vmx);
		val = vmx_get_cr(vcpu, cr);
		vcpu->regs[gpr] = mode64 ? val : (u32)val;
		break;
	case VMX_CR_TYPE_CLTS:
		r = hwvirt_set_cr0(vcpu, cr0 & ~HV_CR0_TS);
		break;
	case VMX_CR_TYPE_LMSW:
		/* The low four bits; PE can be set, not cleared. */
		r = hwvirt_set_cr0(vcpu, (cr0 & ~0xeULL) |
				   (VMX_CR_LMSW_DATA(q) & 0xf));
		break;
	}
	if (r) {
		hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
		return HWVIRT_RESUME;
	}
	return vmx_skip(vmx);
}

/* MOV to/from DRn: the guest's DR0-3 and DR6 are kept in software. */
static int vmx_handle_dr(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	u64 q = vmx->exit_qual, dr7;
	bool write = !(q & VMX_DR_FROM);

	vmx_get(vcpu);
	dr7 = vmcs_readl(VMCS_GUEST_DR7);
	hwvirt_emulate_mov_dr(vcpu, VMX_DR_NUMBER(q), VMX_DR_GPR(q), write,
			      vmx->db, &vmx->dr6, &dr7);
	if (write)
		vmcs_write(VMCS_GUEST_DR7, dr7);
	vmx_put();
	return vmx_skip(vmx);
}

/*
 * An exception the guest raised and the exception bitmap caught: #DB,
 * whose DR6 bits come in the qualification (the CPU leaves DR6 alone),
 * and with shadow paging #PF (the qualification is the address).
 */
static int vmx_handle_exception(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	u32 info = vmx->exit_intr_info;

	if ((info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_NMI)
		return HWVIRT_RESUME;	/* the host's, taken in vmx_enter() */
	vcpu->stat[HWVIRT_STAT_EXIT_EXCEPTION]++;
	if ((info & VMX_INTR_VECTOR_MASK) == HV_VEC_PF && vmx->shadow)
		return hwvirt_shadow_page_fault(vcpu, vmx->exit_qual,
						vmx->exit_intr_error);
	if ((info & VMX_INTR_VECTOR_MASK) == HV_VEC_DB) {
		/* B0-B3, BD, BS as the #DB found them. */
		vmx->dr6 = (vmx->dr6 & ~0x600fULL) | (vmx->exit_qual & 0x600f);
		hwvirt_queue_exception(vcpu, HV_VEC_DB, false, 0);
		return HWVIRT_RESUME;
	}
	return vmx_unhandled(vmx);
}

/* A task switch: see svm_handle_task_switch(). */
static int vmx_handle_task_switch(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	u32 info = vmx->idt_info, type = info & VMX_INTR_TYPE_MASK;
	enum hwvirt_task_reason reason;
	bool has_error = false, skip = true;
	int int_vector = -1;
	u32 error = 0;

	switch (VMX_TS_SOURCE(vmx->exit_qual)) {
	case VMX_TS_SOURCE_CALL:
		reason = HWVIRT_TASK_CALL;
		break;
	case VMX_TS_SOURCE_IRET:
		reason = HWVIRT_TASK_IRET;
		break;
	case VMX_TS_SOURCE_JMP:
		reason = HWVIRT_TASK_JMP;
		break;
	default:
		reason = HWVIRT_TASK_GATE;
		skip = false;
		if (!(info & VMX_INTR_VALID))
			break;
		/* The event the switch delivers: not to be injected again. */
		switch (type) {
		case VMX_INTR_TYPE_NMI:
			vcpu->nmi_pending = false;
			vcpu->nmi_masked = true;
			break;
		case VMX_INTR_TYPE_HW_EXCEPTION:
			vcpu->exception.pending = false;
			if (info & VMX_INTR_ERROR_VALID) {
				has_error = true;
				error = vmx->idt_error;
			}
			break;
		case VMX_INTR_TYPE_EXT:
			vcpu->irq.pending = false;
			break;
		case VMX_INTR_TYPE_SOFT_INTR:
			int_vector = info & VMX_INTR_VECTOR_MASK;
			skip = true;
			break;
		default:
			/* INT3, INTO, INT1: traps past the instruction. */
			skip = true;
			break;
		}
	}
	if (hwvirt_task_switch(vcpu, VMX_TS_SELECTOR(vmx->exit_qual), reason,
			       int_vector, has_error, error,
			       vcpu->rip + (skip ? vmx->exit_len : 0)))
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     vmx->exit_reason, vmx->exit_qual,
					     info, 0);
	return HWVIRT_RESUME;
}

static int vmx_handle_exit(struct vmx_vcpu *vmx)
{
	struct hwvirt_vcpu *vcpu = &vmx->vcpu;
	u32 reason = vmx->exit_reason;
	u64 q = vmx->exit_qual, gpa;
	int r;

	if (reason == ~0U || (reason & VMX_EXIT_REASON_ENTRY_FAIL))
		return vmx_fail_entry(vmx);
	vcpu->stat[HWVIRT_STAT_EXITS]++;
	hwvirt_requeue_info(vcpu, vmx->idt_info, vmx->idt_error);

	switch (reason & VMX_EXIT_REASON_MASK) {
	case VMX_EXIT_EXCEPTION_NMI:
		return vmx_handle_exception(vmx);
	case VMX_EXIT_EXTERNAL_INTR:
		/* The host takes it as soon as interrupts are back on. */
		vcpu->stat[HWVIRT_STAT_EXIT_INTR]++;
		return HWVIRT_RESUME;
	case VMX_EXIT_TRIPLE_FAULT:
		vcpu->stat[HWVIRT_STAT_EXIT_SHUTDOWN]++;
		vcpu->run->exit_reason = HWVIRT_EXIT_SHUTDOWN;
		return HWVIRT_USER;
	case VMX_EXIT_INIT:
	case VMX_EXIT_SIPI:
	case VMX_EXIT_TPR_BELOW_THRESHOLD:
		return HWVIRT_RESUME;
	case VMX_EXIT_INTR_WINDOW:
		vcpu->stat[HWVIRT_STAT_EXIT_IRQ_WINDOW]++;
		vmx_get(vcpu);
		vmx_set_proc(vmx, vmx->proc & ~VMX_PROC_INTR_WINDOW);
		vmx_put();
		if (hwvirt_user_irq_window(vcpu) && !vcpu->irq.pending) {
			vcpu->run->exit_reason = HWVIRT_EXIT_IRQ_WINDOW_OPEN;
			return HWVIRT_USER;
		}
		return HWVIRT_RESUME;
	case VMX_EXIT_NMI_WINDOW:
		vmx_get(vcpu);
		vmx_set_proc(vmx, vmx->proc & ~VMX_PROC_NMI_WINDOW);
		vmx_put();
		return HWVIRT_RESUME;
	case VMX_EXIT_TASK_SWITCH:
		return vmx_handle_task_switch(vmx);
	case VMX_EXIT_CPUID:
		vcpu->stat[HWVIRT_STAT_EXIT_CPUID]++;
		hwvirt_emulate_cpuid(vcpu);
		return vmx_skip(vmx);
	case VMX_EXIT_HLT:
		vcpu->stat[HWVIRT_STAT_EXIT_HLT]++;
		vmx_skip(vmx);
		/* With the APIC here, the core sleeps until an interrupt. */
		if (vcpu->apic) {
			vcpu->mp_state = HWVIRT_MP_STATE_HALTED;
			return HWVIRT_RESUME;
		}
		if (vcpu->irq.pending && hwvirt_interruptible(vcpu))
			return HWVIRT_RESUME;
		vcpu->run->exit_reason = HWVIRT_EXIT_HLT;
		return HWVIRT_USER;
	case VMX_EXIT_IO:
		return hwvirt_handle_pio(vcpu, q >> VMX_IO_PORT_SHIFT,
					 (q & VMX_IO_SIZE_MASK) + 1,
					 q & VMX_IO_IN, q & VMX_IO_STRING,
					 vcpu->rip + vmx->exit_len);
	case VMX_EXIT_RDMSR:
		return vmx_handle_msr(vmx, false);
	case VMX_EXIT_WRMSR:
		return vmx_handle_msr(vmx, true);
	case VMX_EXIT_CR_ACCESS:
		return vmx_handle_cr(vmx);
	case VMX_EXIT_DR_ACCESS:
		return vmx_handle_dr(vmx);
	case VMX_EXIT_EPT_VIOLATION:
		/* An IRET that unblocked NMIs faulted: blocked again. */
		if ((q & VMX_EPT_VIOLATION_NMI_UNBLOCK) &&
		    !(vmx->idt_info & VMX_INTR_VALID))
			vcpu->nmi_masked = true;
		vmx_get(vcpu);
		gpa = vmcs_readl(VMCS_GUEST_PHYSICAL_ADDRESS);
		vmx_put();
		r = hwvirt_tdp_fault(vcpu, gpa, q & VMX_EPT_VIOLATION_WRITE);
		if (r == 0) {
			vcpu->stat[HWVIRT_STAT_EXIT_NPF]++;
			return HWVIRT_RESUME;
		}
		if (r == 1)
			return hwvirt_handle_mmio(vcpu, gpa);
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY,
					     reason, q, gpa, gpa);
	case VMX_EXIT_EPT_MISCONFIG:
		vmx_get(vcpu);
		gpa = vmcs_readl(VMCS_GUEST_PHYSICAL_ADDRESS);
		vmx_put();
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY,
					     reason, q, gpa, gpa);
	case VMX_EXIT_XSETBV:
		if (vmx_get_cpl(vcpu) || vcpu->regs[HW_RCX] != 0 ||
		    hwvirt_set_xcr0(vcpu, (vcpu->regs[HW_RDX] << 32) |
				    (u32)vcpu->regs[HW_RAX])) {
			hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
			return HWVIRT_RESUME;
		}
		return vmx_skip(vmx);
	case VMX_EXIT_INVLPG:
		/* Shadow paging: the shadow entry in step, the TLB's gone. */
		vcpu->stat[HWVIRT_STAT_INVLPG_EXITS]++;
		hwvirt_shadow_invlpg(vcpu, q);
		vmx_flush_gva(vmx, q);
		return vmx_skip(vmx);
	case VMX_EXIT_INVPCID:
		r = hwvirt_emulate_invpcid(vcpu);
		return r < 0 ? vmx_unhandled(vmx) : r;
	case VMX_EXIT_INVD:
	case VMX_EXIT_WBINVD:
		return vmx_skip(vmx);
	case VMX_EXIT_RDPMC:
		if (!hwvirt_emulate_rdpmc(vcpu))
			return vmx_skip(vmx);
		hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
		return HWVIRT_RESUME;
	case VMX_EXIT_GETSEC: case VMX_EXIT_RSM: case VMX_EXIT_VMCALL:
	case VMX_EXIT_VMCLEAR ... VMX_EXIT_VMXON:
	case VMX_EXIT_MWAIT: case VMX_EXIT_MONITOR: case VMX_EXIT_INVEPT:
	case VMX_EXIT_INVVPID: case VMX_EXIT_VMFUNC:
		/* Not offered to the guest (CPUID says so). */
		hwvirt_queue_exception(vcpu, HV_VEC_UD, false, 0);
		return HWVIRT_RESUME;
	}
	vcpu->stat[HWVIRT_STAT_EXIT_OTHER]++;
	return vmx_unhandled(vmx);
}

static int vmx_vcpu_run(struct hwvirt_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 rip, cr3;
	int r;

	if (vmx->shadow) {
		/* Without unrestricted guest the CPU runs no real mode. */
		if (!(vmx_get_cr(vcpu, 0) & HV_CR0_PE))
			return hwvirt_internal_error(vcpu,
						     HWVIRT_INTERNAL_UNSUPPORTED,
						     0, 0, 0, 0);
		r = hwvirt_shadow_root(vcpu, &cr3);
		if (r)
			return r;
	}
	vmx_get(vcpu);
	if (vmx->shadow)
		vmcs_write(VMCS_GUEST_CR3, cr3);
	vmx_inject_events(vmx);
	vmx_put();
	r = vmx_enter(vmx);
	if (r == -EAGAIN) {
		/* Not entered: take the event back. */
		u32 info;

		vmx_get(vcpu);
		info = vmcs_read32(VMCS_ENTRY_INTR_INFO);
		hwvirt_requeue_info(vcpu, info,
				 vmcs_read32(VMCS_ENTRY_EXCEPTION_ERROR));
		vmcs_write(VMCS_ENTRY_INTR_INFO, 0);
		vmx_put();
		return HWVIRT_RESUME;
	}
	rip = vcpu->rip;
	r = vmx_handle_exit(vmx);
	if (vcpu->rip != rip)
		hwvirt_insn_completed(vcpu);
	return r;
}

static void vmx_single_step(struct hwvirt_vcpu *vcpu)
{
	to_vmx(vcpu)->dr6 |= BIT(14);	/* BS */
}

const struct hwvirt_backend hwvirt_vmx_backend = {
	.name		= "vmx",
	.abi_backend	= HWVIRT_BACKEND_VMX,
	.probe		= vmx_probe,
	.setup		= vmx_setup,
	.unsetup	= vmx_unsetup,
	.cpu_enable	= vmx_cpu_enable,
	.cpu_disable	= vmx_cpu_disable,
	.describe	= vmx_describe,
	.mmu_modes	= vmx_mmu_modes,
	.tdp_levels	= vmx_tdp_levels,
	.tdp_format	= &vmx_tdp_format,
	.tdp_pdptes	= true,
	.cpuid_fixup	= vmx_cpuid_fixup,
	.vcpu_size	= sizeof(struct vmx_vcpu),
	.vcpu_create	= vmx_vcpu_create,
	.vcpu_free	= vmx_vcpu_free,
	.vcpu_reset	= vmx_vcpu_reset,
	.vcpu_run	= vmx_vcpu_run,
	.single_step	= vmx_single_step,
	.get_sregs	= vmx_get_sregs,
	.set_sregs	= vmx_set_sregs,
	.get_segment	= vmx_get_segment,
	.set_segment	= vmx_set_segment,
	.get_cr		= vmx_get_cr,
	.set_cr0	= vmx_set_cr0,
	.set_cr3	= vmx_set_cr3,
	.set_cr4	= vmx_set_cr4,
	.get_efer	= vmx_get_efer,
	.get_cpl	= vmx_get_cpl,
	.get_msr	= vmx_get_msr,
	.set_msr	= vmx_set_msr,
	.flush_tlb	= vmx_flush_tlb,
};
