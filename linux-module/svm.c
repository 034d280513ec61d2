// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the AMD SVM backend.
 *
 * One VMCB per vCPU.  Nested paging (NPT) translates guest-physical
 * addresses; its tables belong to the VM (tdp.c).  Without it (a CPU
 * with no NPT, or a VM that asks for HWVIRT_MMU_SHADOW) the CPU walks
 * shadow page tables (shadow.c) under paging of our choice: CR0, CR3, CR4
 * and EFER as the guest sees them live here, the VMCB holds what the CPU
 * uses, and #PF, every CR0/CR3/CR4 access and INVPCID exit.  Every port, most MSRs,
 * CPUID, HLT and the SVM instructions are intercepted.  The CPU may lack
 * NRIPS, decode assists, VMCB clean bits and flush-by-ASID (the lab's
 * emulated SVM has none): next RIPs are decoded (x86.c), every VMCB field
 * is always dirty, and a TLB flush takes a new ASID.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/topology.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/io.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "mmu.h"
#include "svm.h"
#include "x86.h"

/* What CPUID said at probe time. */
static struct {
	u32 revision;
	u32 nr_asids;
	u32 features;		/* SVM_FEAT_* */
	int npt_levels;		/* the host's paging levels: NPT's too */
} svm_caps;

/*
 * Per CPU, allocated for every possible CPU at setup:
 * hsave is VM_HSAVE_PA, where VMRUN keeps the host state it restores on
 * #VMEXIT; host_save is where we VMSAVE the host's FS, GS, TR, LDTR and
 * syscall MSRs around a guest run.  The ASID fields are used with
 * interrupts disabled on this CPU only.
 */
struct svm_cpu {
	struct page *hsave;
	struct page *host_save;
	u32 next_asid;
	u32 max_asid;
	u64 asid_generation;
};
static DEFINE_PER_CPU(struct svm_cpu, svm_cpus);

/* Permission maps shared by every VMCB: read-only after setup. */
static struct page *svm_iopm;		/* every port intercepted */
static struct page *svm_msrpm;		/* every MSR but the passthrough ones */

struct svm_vcpu {
	struct hwvirt_vcpu vcpu;	/* first: container_of() */
	struct vmcb *vmcb;
	phys_addr_t vmcb_pa;
	/*
	 * The ASID in the VMCB belongs to generation asid_generation of
	 * asid_cpu's ASID space.
	 */
	u64 asid_generation;
	int asid_cpu;
	bool flush_pending;		/* flush this guest's TLB at entry */
	/* DR0-DR3 and the guest's view of them (never loaded). */
	u64 db[4];
	/*
	 * Shadow paging: the guest's CR0, CR3, CR4 and EFER; the VMCB has
	 * the values the CPU runs with (svm_load_paging()).
	 */
	bool shadow;
	u64 cr0, cr3, cr4, efer;
	/*
	 * NMI blocking ends when the NMI handler's IRET has run.  The IRET
	 * intercept says when the guest reaches it (awaiting_iret, at
	 * iret_rip): past that RIP the IRET has run.  An NMI that waits for
	 * it (or for an interrupt shadow to end) single-steps the guest
	 * over the instruction: TF and RF set in the VMCB, #DB intercepted;
	 * nmi_step_flags are the guest's own TF and RF, nmi_step_dr6 its
	 * DR6, which the #DB must not change.
	 */
	bool awaiting_iret;
	u64 iret_rip;
	bool nmi_step;
	u64 nmi_step_flags;
	u64 nmi_step_dr6;
};

static struct svm_vcpu *to_svm(struct hwvirt_vcpu *vcpu)
{
	return container_of(vcpu, struct svm_vcpu, vcpu);
}

/* ------------------------------------------------------------------------
 * Probe, set-up, per-CPU enable
 */

static int svm_probe(void)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr;

	svm_vmcb_layout_check();
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
	if (!(edx & SVM_FEAT_NP))
		pr_info("svm: no nested paging (NPT): guests run with shadow page tables\n");
	if (svm_caps.nr_asids < 2) {
		pr_info("svm: this CPU has no ASID for guests\n");
		return -ENODEV;
	}
	/*
	 * VMRUN walks the nested page table in the host's paging mode: five
	 * levels when the kernel runs with CR4.LA57, four otherwise.
	 */
	svm_caps.npt_levels = pgtable_l5_enabled() ? 5 : 4;
	return 0;
}

static void svm_describe(char *buf, size_t len)
{
	static const struct {
		u32 bit;
		const char *name;
	} feats[] = {
		{ SVM_FEAT_NRIPS, "NRIPS" },
		{ SVM_FEAT_VMCB_CLEAN, "clean bits" },
		{ SVM_FEAT_FLUSH_BY_ASID, "flush-by-ASID" },
		{ SVM_FEAT_DECODE_ASSISTS, "decode assists" },
		{ SVM_FEAT_VGIF, "vGIF" },
	};
	size_t n;
	int i;

	if (svm_caps.features & SVM_FEAT_NP)
		n = scnprintf(buf, len, "SVM rev %u, %u ASIDs, NPT %d-level",
			      svm_caps.revision, svm_caps.nr_asids,
			      svm_caps.npt_levels);
	else
		n = scnprintf(buf, len, "SVM rev %u, %u ASIDs, no NPT",
			      svm_caps.revision, svm_caps.nr_asids);
	for (i = 0; i < ARRAY_SIZE(feats); i++)
		n += scnprintf(buf + n, len - n, ", %s%s",
			       svm_caps.features & feats[i].bit ? "" : "no ",
			       feats[i].name);
}

static u32 svm_mmu_modes(void)
{
	return (1U << HWVIRT_MMU_SHADOW) |
	       (svm_caps.features & SVM_FEAT_NP ? 1U << HWVIRT_MMU_TDP : 0);
}

static int svm_tdp_levels(void)
{
	return svm_caps.npt_levels;
}

/* NPT entries: P, W and U (every guest access is a user access). */
static const struct hwvirt_tdp_format svm_tdp_format = {
	.table	= SVM_NPT_P | SVM_NPT_W | SVM_NPT_U,
	.leaf	= SVM_NPT_P | SVM_NPT_U,
};

/* Let the guest access msr without an exit (VMLOAD/VMSAVE state). */
static void msrpm_passthrough(u8 *msrpm, u32 msr)
{
	u32 bit;

	if (msr <= 0x1fff)
		bit = msr * 2;
	else if (msr >= 0xc0000000 && msr <= 0xc0001fff)
		bit = 0x800 * 8 + (msr - 0xc0000000) * 2;
	else if (msr >= 0xc0010000 && msr <= 0xc0011fff)
		bit = 0x1000 * 8 + (msr - 0xc0010000) * 2;
	else
		return;
	msrpm[bit / 8] &= ~(3 << (bit % 8));
}

static const u32 svm_passthrough_msrs[] = {
	0x00000174, 0x00000175, 0x00000176,	/* SYSENTER_CS/ESP/EIP */
	0xc0000081, 0xc0000082, 0xc0000083,	/* STAR, LSTAR, CSTAR */
	0xc0000084,				/* SFMASK */
	0xc0000100, 0xc0000101, 0xc0000102,	/* FS/GS/KERNEL_GS base */
};

static void svm_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = sd->host_save = NULL;
	}
	if (svm_iopm)
		__free_pages(svm_iopm, get_order(SVM_IOPM_SIZE));
	if (svm_msrpm)
		__free_pages(svm_msrpm, get_order(SVM_MSRPM_SIZE));
	svm_iopm = svm_msrpm = NULL;
}

static int svm_setup(void)
{
	int cpu, i;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpus, cpu);
		int node = cpu_to_node(cpu);

		sd->hsave = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_save = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_save)
			goto nomem;
		/* ASID 0 is the host's. */
		sd->max_asid = svm_caps.nr_asids - 1;
		sd->next_asid = sd->max_asid + 1;
		sd->asid_generation = 1;
	}
	svm_iopm = alloc_pages(GFP_KERNEL, get_order(SVM_IOPM_SIZE));
	svm_msrpm = alloc_pages(GFP_KERNEL, get_order(SVM_MSRPM_SIZE));
	if (!svm_iopm || !svm_msrpm)
		goto nomem;
	memset(page_address(svm_iopm), 0xff, SVM_IOPM_SIZE);
	memset(page_address(svm_msrpm), 0xff, SVM_MSRPM_SIZE);
	for (i = 0; i < ARRAY_SIZE(svm_passthrough_msrs); i++)
		msrpm_passthrough(page_address(svm_msrpm),
				  svm_passthrough_msrs[i]);
	return 0;

nomem:
	svm_unsetup();
	return -ENOMEM;
}

static int svm_cpu_enable(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpus);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & SVM_EFER_SVME)
		return -EBUSY;
	wrmsrl(SVM_MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	wrmsrl(MSR_EFER, efer | SVM_EFER_SVME);
	/* Whatever ran before us left ASIDs in the TLB: start a generation. */
	sd->next_asid = sd->max_asid + 1;
	return 0;
}

static void svm_cpu_disable(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~SVM_EFER_SVME);
	wrmsrl(SVM_MSR_VM_HSAVE_PA, 0);
}

/* ------------------------------------------------------------------------
 * Segments and control registers
 */

static struct vmcb_seg *svm_seg(struct vmcb *vmcb, int seg)
{
	switch (seg) {
	case HW_ES: return &vmcb->save.es;
	case HW_CS: return &vmcb->save.cs;
	case HW_SS: return &vmcb->save.ss;
	case HW_DS: return &vmcb->save.ds;
	case HW_FS: return &vmcb->save.fs;
	case HW_SEG_TR: return &vmcb->save.tr;
	case HW_SEG_LDTR: return &vmcb->save.ldtr;
	default: return &vmcb->save.gs;
	}
}

static void seg_from_vmcb(const struct vmcb_seg *v, struct hwvirt_segment *s)
{
	memset(s, 0, sizeof(*s));
	s->base = v->base;
	s->limit = v->limit;
	s->selector = v->selector;
	s->type = v->attrib & SVM_SEG_TYPE_MASK;
	s->s = !!(v->attrib & SVM_SEG_S);
	s->dpl = (v->attrib >> SVM_SEG_DPL_SHIFT) & 3;
	s->present = !!(v->attrib & SVM_SEG_P);
	s->avl = !!(v->attrib & SVM_SEG_AVL);
	s->l = !!(v->attrib & SVM_SEG_L);
	s->db = !!(v->attrib & SVM_SEG_DB);
	s->g = !!(v->attrib & SVM_SEG_G);
	s->unusable = !s->present;
}

static void seg_to_vmcb(const struct hwvirt_segment *s, struct vmcb_seg *v)
{
	v->base = s->base;
	v->limit = s->limit;
	v->selector = s->selector;
	v->attrib = 0;
	if (s->unusable)
		return;
	v->attrib = (s->type & SVM_SEG_TYPE_MASK) |
		    (s->s ? SVM_SEG_S : 0) |
		    ((s->dpl & 3) << SVM_SEG_DPL_SHIFT) |
		    (s->present ? SVM_SEG_P : 0) |
		    (s->avl ? SVM_SEG_AVL : 0) |
		    (s->l ? SVM_SEG_L : 0) |
		    (s->db ? SVM_SEG_DB : 0) |
		    (s->g ? SVM_SEG_G : 0);
}

static void svm_get_segment(struct hwvirt_vcpu *vcpu, int seg,
			    struct hwvirt_segment *s)
{
	seg_from_vmcb(svm_seg(to_svm(vcpu)->vmcb, seg), s);
}

static void svm_set_segment(struct hwvirt_vcpu *vcpu, int seg,
			    const struct hwvirt_segment *s)
{
	seg_to_vmcb(s, svm_seg(to_svm(vcpu)->vmcb, seg));
}

static u64 svm_get_cr(struct hwvirt_vcpu *vcpu, int cr)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

	switch (cr) {
	case 0:
		return svm->shadow ? svm->cr0 : vmcb->save.cr0;
	case 2:
		return vcpu->cr2;
	case 3:
		return svm->shadow ? svm->cr3 : vmcb->save.cr3;
	case 4:
		return svm->shadow ? svm->cr4 : vmcb->save.cr4;
	case 8:
		return vcpu->cr8;
	}
	return 0;
}

static u64 svm_get_efer(struct hwvirt_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->shadow)
		return svm->efer;
	return svm->vmcb->save.efer & ~(u64)SVM_EFER_SVME;
}

/*
 * Shadow paging: what the CPU runs with for the guest's CR0, CR4 and
 * EFER.  Paging is always on (PAE paging while the guest's is off, 32-
 * bit or PAE: "paged real mode" is fine with SVM), with CR0.WP so that
 * read-only sptes hold for the supervisor too, and EFER.NXE for the NX
 * bits of sptes.  Long mode only once the guest is in it.  CR3 is the
 * shadow root's, set at entry.
 */
static void svm_load_paging(struct svm_vcpu *svm)
{
	struct vmcb_save *s = &svm->vmcb->save;
	bool pg = svm->cr0 & HV_CR0_PG, lma = svm->efer & HV_EFER_LMA;

	s->cr0 = svm->cr0 | HV_CR0_PG | HV_CR0_WP;
	s->cr4 = (svm->cr4 | HV_CR4_PAE) & ~HV_CR4_PCIDE;
	if (!pg)
		s->cr4 &= ~(HV_CR4_SMEP | HV_CR4_SMAP | HV_CR4_PKE);
	if (!lma)
		s->cr4 &= ~HV_CR4_LA57;
	s->efer = (svm->efer & ~(HV_EFER_LME | HV_EFER_LMA)) | HV_EFER_NXE |
		  SVM_EFER_SVME;
	if (lma)
		s->efer |= HV_EFER_LME | HV_EFER_LMA;
}

static void svm_set_cr0(struct hwvirt_vcpu *vcpu, u64 cr0)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 efer = svm_get_efer(vcpu);

	/* Paging on with EFER.LME: long mode; paging off: out of it. */
	if (efer & HV_EFER_LME) {
		if (cr0 & HV_CR0_PG)
			efer |= HV_EFER_LMA;
		else
			efer &= ~HV_EFER_LMA;
	}
	if (svm->shadow) {
		svm->cr0 = cr0;
		svm->efer = efer;
		svm_load_paging(svm);
		return;
	}
	svm->vmcb->save.cr0 = cr0;
	svm->vmcb->save.efer = efer | SVM_EFER_SVME;
}

static void svm_set_cr3(struct hwvirt_vcpu *vcpu, u64 cr3)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->shadow)
		svm->cr3 = cr3;
	else
		svm->vmcb->save.cr3 = cr3;
}

static int svm_get_cpl(struct hwvirt_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->save.cpl;
}

/* The CPL follows SS.DPL in protected mode, and is 0 in real mode. */
static void svm_update_cpl(struct vmcb *vmcb, u64 rflags)
{
	if (!(vmcb->save.cr0 & HV_CR0_PE))
		vmcb->save.cpl = 0;
	else if (rflags & HV_RFLAGS_VM)
		vmcb->save.cpl = 3;
	else
		vmcb->save.cpl = (vmcb->save.ss.attrib >> SVM_SEG_DPL_SHIFT) & 3;
}

static void svm_get_sregs(struct hwvirt_vcpu *vcpu, struct hwvirt_sregs *sr)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	memset(sr, 0, sizeof(*sr));
	seg_from_vmcb(&vmcb->save.cs, &sr->cs);
	seg_from_vmcb(&vmcb->save.ds, &sr->ds);
	seg_from_vmcb(&vmcb->save.es, &sr->es);
	seg_from_vmcb(&vmcb->save.fs, &sr->fs);
	seg_from_vmcb(&vmcb->save.gs, &sr->gs);
	seg_from_vmcb(&vmcb->save.ss, &sr->ss);
	seg_from_vmcb(&vmcb->save.tr, &sr->tr);
	seg_from_vmcb(&vmcb->save.ldtr, &sr->ldt);
	/* TR is never unusable; a 64-bit busy TSS may read as not present. */
	sr->tr.unusable = 0;
	sr->gdt.base = vmcb->save.gdtr.base;
	sr->gdt.limit = vmcb->save.gdtr.limit;
	sr->idt.base = vmcb->save.idtr.base;
	sr->idt.limit = vmcb->save.idtr.limit;
	sr->cr0 = svm_get_cr(vcpu, 0);
	sr->cr2 = vcpu->cr2;
	sr->cr3 = svm_get_cr(vcpu, 3);
	sr->cr4 = svm_get_cr(vcpu, 4);
	sr->cr8 = vcpu->cr8;
	sr->efer = svm_get_efer(vcpu);
}

/* Bits the guest may set in CR0 and EFER (CR4: hwvirt_supported_cr4). */
#define CR0_VALID	0xe005003fULL
#define EFER_VALID	(0x1ULL | HV_EFER_LME | HV_EFER_LMA | \
			 HV_EFER_NXE | (1ULL << 14) | (1ULL << 15))

static int svm_set_sregs(struct hwvirt_vcpu *vcpu,
			 const struct hwvirt_sregs *sr)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;

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

	seg_to_vmcb(&sr->cs, &vmcb->save.cs);
	seg_to_vmcb(&sr->ds, &vmcb->save.ds);
	seg_to_vmcb(&sr->es, &vmcb->save.es);
	seg_to_vmcb(&sr->fs, &vmcb->save.fs);
	seg_to_vmcb(&sr->gs, &vmcb->save.gs);
	seg_to_vmcb(&sr->ss, &vmcb->save.ss);
	seg_to_vmcb(&sr->tr, &vmcb->save.tr);
	seg_to_vmcb(&sr->ldt, &vmcb->save.ldtr);
	vmcb->save.gdtr.base = sr->gdt.base;
	vmcb->save.gdtr.limit = sr->gdt.limit;
	vmcb->save.idtr.base = sr->idt.base;
	vmcb->save.idtr.limit = sr->idt.limit;
	vcpu->cr2 = sr->cr2;
	vcpu->cr8 = sr->cr8;
	vcpu->run->cr8 = sr->cr8;
	if (svm->shadow) {
		svm->cr0 = sr->cr0;
		svm->cr3 = sr->cr3;
		svm->cr4 = sr->cr4;
		svm->efer = sr->efer;
		svm_load_paging(svm);
	} else {
		vmcb->save.cr0 = sr->cr0;
		vmcb->save.cr3 = sr->cr3;
		vmcb->save.cr4 = sr->cr4;
		vmcb->save.efer = sr->efer | SVM_EFER_SVME;
	}
	svm_update_cpl(vmcb, vcpu->rflags);
	return 0;
}

/* MSRs that live in the VMCB. */
static u64 *svm_msr_slot(struct vmcb *vmcb, u32 index)
{
	switch (index) {
	case 0x00000174: return &vmcb->save.sysenter_cs;
	case 0x00000175: return &vmcb->save.sysenter_esp;
	case 0x00000176: return &vmcb->save.sysenter_eip;
	case 0x00000277: return &vmcb->save.g_pat;
	case 0x000001d9: return &vmcb->save.dbgctl;
	case 0xc0000081: return &vmcb->save.star;
	case 0xc0000082: return &vmcb->save.lstar;
	case 0xc0000083: return &vmcb->save.cstar;
	case 0xc0000084: return &vmcb->save.sfmask;
	case 0xc0000100: return &vmcb->save.fs.base;
	case 0xc0000101: return &vmcb->save.gs.base;
	case 0xc0000102: return &vmcb->save.kernel_gs_base;
	}
	return NULL;
}

static int svm_get_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 *p;

	if (index == MSR_EFER) {
		*data = svm_get_efer(vcpu);
		return 0;
	}
	if (index == SVM_MSR_VM_CR) {
		*data = SVM_VM_CR_SVMDIS;	/* no nested SVM */
		return 0;
	}
	p = svm_msr_slot(vmcb, index);
	if (!p)
		return -ENOENT;
	*data = *p;
	return 0;
}

static int svm_set_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 data,
		       bool from_guest)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;
	u64 *p;

	if (index == MSR_EFER) {
		struct svm_vcpu *svm = to_svm(vcpu);
		u64 old = svm_get_efer(vcpu);

		if (data & ~EFER_VALID)
			return -ENOENT;
		if (from_guest) {
			/* LMA is the CPU's; LME cannot change with paging on. */
			data = (data & ~HV_EFER_LMA) |
			       (old & HV_EFER_LMA);
			if ((svm_get_cr(vcpu, 0) & HV_CR0_PG) &&
			    ((data ^ old) & HV_EFER_LME))
				return -ENOENT;
		}
		if (svm->shadow) {
			svm->efer = data;
			svm_load_paging(svm);
		} else {
			vmcb->save.efer = data | SVM_EFER_SVME;
		}
		return 0;
	}
	if (!hwvirt_msr_value_ok(index, data))
		return -ENOENT;
	p = svm_msr_slot(vmcb, index);
	if (!p)
		return -ENOENT;
	*p = data;
	return 0;
}

/* ------------------------------------------------------------------------
 * vCPU lifetime
 */

static void svm_init_control(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_control *c = &vmcb->control;

	memset(c, 0, sizeof(*c));
	/*
	 * CR4 writes exit, to check them against the guest's CPUID (the
	 * CPU would take any bit it has itself, LA57 included).
	 */
	c->intercept_cr = SVM_INTERCEPT_CR_WRITE(4);
	/* Every DR access exits: the guest's DRs are kept in software. */
	c->intercept_dr = 0xffffffff;
	c->intercept3 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI |
			SVM_INTERCEPT_SMI | SVM_INTERCEPT_INIT |
			SVM_INTERCEPT_RDPMC | SVM_INTERCEPT_CPUID |
			SVM_INTERCEPT_RSM | SVM_INTERCEPT_INVD |
			SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA |
			SVM_INTERCEPT_IOIO_PROT | SVM_INTERCEPT_MSR_PROT |
			SVM_INTERCEPT_TASK_SWITCH | SVM_INTERCEPT_FERR_FREEZE |
			SVM_INTERCEPT_SHUTDOWN;
	c->intercept4 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL |
			SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE |
			SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_RDTSCP |
			SVM_INTERCEPT_WBINVD | SVM_INTERCEPT_MONITOR |
			SVM_INTERCEPT_MWAIT | SVM_INTERCEPT_MWAIT_COND |
			SVM_INTERCEPT_XSETBV;
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	c->int_ctl = SVM_V_INTR_MASKING;
	if (vcpu->vm->mmu_mode == HWVIRT_MMU_SHADOW) {
		/*
		 * Shadow paging: the guest's control registers are ours to
		 * show, its #PFs ours to look at first, and INVPCID must
		 * not meet a CPU that has CR4.PCIDE clear.
		 */
		c->intercept_cr |= SVM_INTERCEPT_CR_READ(0) |
				   SVM_INTERCEPT_CR_WRITE(0) |
				   SVM_INTERCEPT_CR_READ(3) |
				   SVM_INTERCEPT_CR_WRITE(3) |
				   SVM_INTERCEPT_CR_READ(4);
		c->intercept_exceptions |= BIT(HV_VEC_PF);
		c->intercept3 |= SVM_INTERCEPT_INVLPG;
		c->intercept5 |= SVM_INTERCEPT5_INVPCID;
	} else {
		c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
		c->nested_cr3 = hwvirt_tdp_root(vcpu->vm);
	}
}

static void svm_reset_save(struct vmcb *vmcb)
{
	struct vmcb_save *s = &vmcb->save;
	struct vmcb_seg data = { .attrib = SVM_SEG_P | SVM_SEG_S | 0x3,
				 .limit = 0xffff };

	memset(s, 0, sizeof(*s));
	s->cs = (struct vmcb_seg) { .selector = 0xf000, .base = 0xffff0000,
				    .limit = 0xffff,
				    .attrib = SVM_SEG_P | SVM_SEG_S | 0xb };
	s->ds = s->es = s->ss = s->fs = s->gs = data;
	s->gdtr.limit = 0xffff;
	s->idtr.limit = 0xffff;
	s->ldtr = (struct vmcb_seg) { .limit = 0xffff,
				      .attrib = SVM_SEG_P | 0x2 };
	s->tr = (struct vmcb_seg) { .limit = 0xffff,
				    .attrib = SVM_SEG_P | 0xb };
	s->cr0 = 0x60000010;		/* CD, NW, ET */
	s->efer = SVM_EFER_SVME;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->rflags = HV_RFLAGS_FIXED;
	s->rip = 0xfff0;
	s->g_pat = 0x0007040600070406ULL;
}

static void svm_vcpu_reset(struct hwvirt_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->shadow = vcpu->vm->mmu_mode == HWVIRT_MMU_SHADOW;
	svm_init_control(vcpu, svm->vmcb);
	svm_reset_save(svm->vmcb);
	if (svm->shadow) {
		svm->cr0 = svm->vmcb->save.cr0;
		svm->cr3 = 0;
		svm->cr4 = 0;
		svm->efer = 0;
		svm_load_paging(svm);
		hwvirt_shadow_reset(vcpu);
	}
	memset(svm->db, 0, sizeof(svm->db));
	vcpu->rip = 0xfff0;
	vcpu->rflags = HV_RFLAGS_FIXED;
	svm->flush_pending = true;
}

static int svm_vcpu_create(struct hwvirt_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	svm->asid_cpu = -1;
	return 0;
}

static void svm_vcpu_free(struct hwvirt_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->vmcb)
		__free_page(virt_to_page(svm->vmcb));
}

static void svm_flush_tlb(struct hwvirt_vcpu *vcpu)
{
	to_svm(vcpu)->flush_pending = true;
}

/*
 * The CPU's TLB entry for gva in the guest's ASID: INVLPGA here if the
 * ASID is this CPU's current one, else the next entry takes a new ASID
 * anyway.
 */
static void svm_flush_tlb_gva(struct hwvirt_vcpu *vcpu, u64 gva)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int cpu = get_cpu();

	if (svm->asid_cpu == cpu && svm->asid_generation ==
	    per_cpu_ptr(&svm_cpus, cpu)->asid_generation)
		asm volatile("invlpga %0, %1"
			     : : "a"(gva), "c"(svm->vmcb->control.asid)
			     : "memory");
	else
		svm->flush_pending = true;
	put_cpu();
}

static void svm_set_cr4(struct hwvirt_vcpu *vcpu, u64 cr4)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	if (svm->shadow) {
		svm->cr4 = cr4;
		svm_load_paging(svm);
		return;
	}
	svm->vmcb->save.cr4 = cr4;
}

/* ------------------------------------------------------------------------
 * Running the guest
 */

void hwvirt_svm_vmrun(unsigned long vmcb_pa, u64 *regs,
		      unsigned long host_save_pa);

/* A fresh ASID from this CPU's space: nothing of it is in the TLB. */
static void svm_new_asid(struct svm_vcpu *svm, struct svm_cpu *sd, int cpu)
{
	struct vmcb_control *c = &svm->vmcb->control;

	if (sd->next_asid > sd->max_asid) {
		/* ASIDs of the old generation may be reused: flush them all. */
		sd->asid_generation++;
		sd->next_asid = 1;
		c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	}
	c->asid = sd->next_asid++;
	svm->asid_generation = sd->asid_generation;
	svm->asid_cpu = cpu;
}

/*
 * Before entry: an ASID of this CPU's current generation, and a flush if
 * one is owed.  A vCPU that moved to another CPU takes a new ASID there.
 */
static void svm_pick_asid(struct svm_vcpu *svm, struct svm_cpu *sd, int cpu)
{
	struct vmcb_control *c = &svm->vmcb->control;

	c->tlb_control = SVM_TLB_CONTROL_NONE;
	if (svm->asid_cpu != cpu || svm->asid_generation != sd->asid_generation)
		svm_new_asid(svm, sd, cpu);
	else if (svm->flush_pending && (svm_caps.features & SVM_FEAT_FLUSH_BY_ASID))
		c->tlb_control = SVM_TLB_CONTROL_FLUSH_ASID;
	else if (svm->flush_pending)
		svm_new_asid(svm, sd, cpu);
	svm->flush_pending = false;
}

/*
 * An NMI waits: NMI blocking (the IRET intercept is armed, or the IRET
 * exited and runs next) or an interrupt shadow.  Blocking with no IRET
 * intercept armed (state set by userspace) arms it.
 */
static void svm_nmi_window(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb,
			   bool nmi_waits)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb_control *c = &vmcb->control;

	if (vcpu->nmi_masked && !svm->awaiting_iret)
		c->intercept3 |= SVM_INTERCEPT_IRET;
	if (!nmi_waits || svm->nmi_step ||
	    (vcpu->nmi_masked && (c->intercept3 & SVM_INTERCEPT_IRET)))
		return;
	svm->nmi_step = true;
	svm->nmi_step_flags = vcpu->rflags & (HV_RFLAGS_TF | HV_RFLAGS_RF);
	svm->nmi_step_dr6 = vmcb->save.dr6;
	c->intercept_exceptions |= BIT(HV_VEC_DB);
}

/*
 * The single-step over the IRET (or the instruction in a shadow) ended
 * with this #DB.  The guest's own TF would have raised it too: then it
 * gets it.  After an IRET, RFLAGS are what it popped: left alone.
 */
static void svm_nmi_step_done(struct svm_vcpu *svm, bool past_iret)
{
	struct hwvirt_vcpu *vcpu = &svm->vcpu;
	struct vmcb *vmcb = svm->vmcb;

	svm->nmi_step = false;
	vmcb->control.intercept_exceptions &= ~BIT(HV_VEC_DB);
	vmcb->save.dr6 = svm->nmi_step_dr6;
	if (!past_iret)
		vcpu->rflags = (vcpu->rflags & ~(HV_RFLAGS_TF | HV_RFLAGS_RF)) |
			       svm->nmi_step_flags;
	if (svm->nmi_step_flags & HV_RFLAGS_TF) {
		vmcb->save.dr6 |= SVM_DR6_BS;
		hwvirt_queue_exception(vcpu, HV_VEC_DB, false, 0);
	}
}

static void svm_inject_events(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_control *c = &vmcb->control;
	struct hwvirt_window window;

	c->event_inj = 0;
	c->event_inj_err = 0;
	switch (hwvirt_next_event(vcpu, &window)) {
	case HWVIRT_INJECT_EXCEPTION:
		c->event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_EXCEPTION |
			       vcpu->exception.vector;
		if (vcpu->exception.has_error) {
			c->event_inj |= SVM_EVT_ERROR_VALID;
			c->event_inj_err = vcpu->exception.error_code;
		}
		vcpu->exception.pending = false;
		break;
	case HWVIRT_INJECT_NMI:
		c->event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_NMI | HV_VEC_NMI;
		vcpu->nmi_pending = false;
		vcpu->nmi_masked = true;
		c->intercept3 |= SVM_INTERCEPT_IRET;
		break;
	case HWVIRT_INJECT_IRQ:
		c->event_inj = SVM_EVT_VALID | SVM_EVT_TYPE_INTR |
			       vcpu->irq.vector;
		vcpu->irq.pending = false;
		vcpu->stat[HWVIRT_STAT_INJECTED_IRQS]++;
		break;
	case HWVIRT_INJECT_NONE:
		break;
	}
	svm_nmi_window(vcpu, vmcb, window.nmi);
	/*
	 * An interrupt window: a virtual interrupt of the highest priority,
	 * which the CPU takes (and we intercept) once the guest has IF set
	 * and no interrupt shadow.
	 */
	c->int_ctl &= ~(SVM_V_IRQ | (0xf << SVM_V_INTR_PRIO_SHIFT) |
			SVM_V_IGN_TPR);
	c->intercept3 &= ~SVM_INTERCEPT_VINTR;
	if (window.irq) {
		c->int_ctl |= SVM_V_IRQ | (0xf << SVM_V_INTR_PRIO_SHIFT) |
			      SVM_V_IGN_TPR;
		c->int_vector = 0;
		c->intercept3 |= SVM_INTERCEPT_VINTR;
	}
	/*
	 * An APIC interrupt the TPR holds back: the guest's CR8 writes exit
	 * (V_INTR_MASKING puts them in V_TPR otherwise), so that a lower TPR
	 * lets it in at once.
	 */
	if (window.tpr_below >= 0)
		c->intercept_cr |= SVM_INTERCEPT_CR_WRITE(8);
	else
		c->intercept_cr &= ~SVM_INTERCEPT_CR_WRITE(8);
}

/*
 * Enter the guest once.  Returns with the exit recorded in the VMCB, or
 * -EAGAIN when the entry was abandoned (a signal, a reschedule or a
 * request came in first).
 */
static int svm_enter(struct svm_vcpu *svm)
{
	struct hwvirt_vcpu *vcpu = &svm->vcpu;
	struct vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sd;
	bool xcr0_switched;
	int cpu;

	preempt_disable();
	local_irq_disable();
	if (!hwvirt_enter_begin(vcpu)) {
		local_irq_enable();
		preempt_enable();
		return -EAGAIN;
	}
	cpu = smp_processor_id();
	sd = per_cpu_ptr(&svm_cpus, cpu);
	svm_pick_asid(svm, sd, cpu);

	/*
	 * RDTSCP and RDPID run natively and read the guest's TSC_AUX; RDTSCP
	 * exits (to raise #UD) while the guest's CPUID does not offer it.
	 */
	if (vcpu->has_rdtscp)
		vmcb->control.intercept4 &= ~SVM_INTERCEPT_RDTSCP;
	else
		vmcb->control.intercept4 |= SVM_INTERCEPT_RDTSCP;

	vmcb->save.rax = vcpu->regs[HW_RAX];
	vmcb->save.rsp = vcpu->regs[HW_RSP];
	vmcb->save.rip = vcpu->rip;
	vmcb->save.rflags = vcpu->rflags;
	if (svm->nmi_step)
		vmcb->save.rflags |= HV_RFLAGS_TF | HV_RFLAGS_RF;
	vmcb->save.cr2 = vcpu->cr2;
	vmcb->control.int_state = vcpu->interrupt_shadow ? SVM_INTERRUPT_SHADOW : 0;
	vmcb->control.tsc_offset = hwvirt_tsc_offset(vcpu);
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~SVM_V_TPR_MASK) |
				vcpu->cr8;
	svm_update_cpl(vmcb, vcpu->rflags);

	xcr0_switched = hwvirt_enter_guest_xcr0(vcpu, vmcb->save.cr4);
	/* SVM switches DR6 and DR7 only: the guest's DR0-3 by hand. */
	hwvirt_enter_breakpoints(svm->db, vmcb->save.dr7);

	/*
	 * Host interrupts must stay enabled while the guest runs, so they
	 * end it (INTR intercept); GIF holds them off until then.
	 */
	asm volatile("clgi" ::: "memory");
	current->flags |= PF_VCPU;
	local_irq_enable();
	hwvirt_svm_vmrun(svm->vmcb_pa, vcpu->regs,
			 page_to_phys(sd->host_save));
	local_irq_disable();
	current->flags &= ~PF_VCPU;
	asm volatile("stgi" ::: "memory");

	hwvirt_enter_end(vcpu, xcr0_switched);
	/*
	 * VMRUN refused the state: nothing ran, and the save area need not
	 * hold the guest's state (under TCG the guest then ran from the
	 * wrong place): keep the vCPU's.
	 */
	if (vmcb->control.exit_code == SVM_EXIT_INVALID)
		goto out;
	vcpu->regs[HW_RAX] = vmcb->save.rax;
	vcpu->regs[HW_RSP] = vmcb->save.rsp;
	vcpu->rip = vmcb->save.rip;
	vcpu->rflags = vmcb->save.rflags;
	/* Not the #DB that ends it: the single-step's TF and RF are ours. */
	if (svm->nmi_step && vmcb->control.exit_code != SVM_EXIT_EXCP_DB)
		vcpu->rflags = (vcpu->rflags & ~(HV_RFLAGS_TF | HV_RFLAGS_RF)) |
			       svm->nmi_step_flags;
	vcpu->cr2 = vmcb->save.cr2;
	vcpu->interrupt_shadow = vmcb->control.int_state & SVM_INTERRUPT_SHADOW;
	vcpu->cr8 = vmcb->control.int_ctl & 0xf;
	hwvirt_apic_cr8_to_tpr(vcpu);
out:
	local_irq_enable();
	preempt_enable();
	return 0;
}

/* Skip the instruction that exited: NRIPS if the CPU has it, else decode. */
static int svm_skip(struct hwvirt_vcpu *vcpu)
{
	struct vmcb *vmcb = to_svm(vcpu)->vmcb;

	vcpu->interrupt_shadow = false;
	if ((svm_caps.features & SVM_FEAT_NRIPS) && vmcb->control.next_rip) {
		vcpu->rip = vmcb->control.next_rip;
		return 0;
	}
	return hwvirt_skip_insn(vcpu);
}

static int svm_unhandled(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_UNHANDLED_EXIT,
				     vmcb->control.exit_code,
				     vmcb->control.exit_info_1,
				     vmcb->control.exit_info_2, 0);
}

static int svm_skip_or_fail(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	if (svm_skip(vcpu))
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     vmcb->control.exit_code, 0, 0, 0);
	return HWVIRT_RESUME;
}

/*
 * A task switch: JMP, CALL, IRET, or an event through a task gate (the
 * event in EXITINTINFO, which hwvirt_requeue_info() queued again: the
 * switch delivers it, so it is taken back).  RIP is on the instruction
 * that switched, or on the one the event came to.
 */
static int svm_handle_task_switch(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	struct vmcb_control *c = &vmcb->control;
	u32 info = c->exit_int_info, type = info & SVM_EVT_TYPE_MASK;
	u8 vector = info & SVM_EVT_VECTOR_MASK;
	enum hwvirt_task_reason reason;
	bool has_error = false, skip;
	u64 rip = vcpu->rip, next_rip;
	int int_vector = -1;
	u32 error = 0;

	if (c->exit_info_2 & SVM_EXITINFO2_TS_IRET)
		reason = HWVIRT_TASK_IRET;
	else if (c->exit_info_2 & SVM_EXITINFO2_TS_JMP)
		reason = HWVIRT_TASK_JMP;
	else if (info & SVM_EVT_VALID)
		reason = HWVIRT_TASK_GATE;
	else
		reason = HWVIRT_TASK_CALL;

	skip = reason != HWVIRT_TASK_GATE;
	if (reason == HWVIRT_TASK_GATE) {
		switch (type) {
		case SVM_EVT_TYPE_NMI:
			vcpu->nmi_pending = false;
			vcpu->nmi_masked = true;
			break;
		case SVM_EVT_TYPE_EXCEPTION:
			/* INT3 and INTO: traps, RIP still on the instruction. */
			if (vector == HV_VEC_BP || vector == HV_VEC_OF) {
				skip = true;
				break;
			}
			vcpu->exception.pending = false;
			if (c->exit_info_2 & SVM_EXITINFO2_TS_HAS_ERROR) {
				has_error = true;
				error = (u32)c->exit_info_2;
			}
			break;
		case SVM_EVT_TYPE_INTR:
			vcpu->irq.pending = false;
			break;
		case SVM_EVT_TYPE_SOFT:
			int_vector = vector;
			skip = true;
			break;
		}
	}
	/* The old TSS saves the next RIP; a fault before the switch, this. */
	if (skip && svm_skip(vcpu))
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     c->exit_code, c->exit_info_1,
					     c->exit_info_2, 0);
	next_rip = vcpu->rip;
	vcpu->rip = rip;
	if (hwvirt_task_switch(vcpu, c->exit_info_1, reason, int_vector,
			       has_error, error, next_rip))
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     c->exit_code, c->exit_info_1,
					     c->exit_info_2, 0);
	return HWVIRT_RESUME;
}

static int svm_handle_msr(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	if (hwvirt_emulate_msr_exit(vcpu, vmcb->control.exit_info_1))
		return HWVIRT_RESUME;
	return svm_skip_or_fail(vcpu, vmcb);
}

/*
 * The general register of an intercepted MOV to or from CRn/DRn, and the
 * instruction's length: from the decode assists when the CPU has them,
 * else decoded (0F 20-23 /r: ModRM.rm names the register).
 */
static int svm_mov_crdr_gpr(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb,
			    int *gpr, unsigned int *len)
{
	struct hw_insn insn;

	if ((svm_caps.features & SVM_FEAT_DECODE_ASSISTS) &&
	    (vmcb->control.exit_info_1 & SVM_EXITINFO1_CR_MOV) &&
	    (svm_caps.features & SVM_FEAT_NRIPS) && vmcb->control.next_rip) {
		*gpr = vmcb->control.exit_info_1 & SVM_EXITINFO1_CR_GPR_MASK;
		*len = vmcb->control.next_rip - vcpu->rip;
		return 0;
	}
	if (hwvirt_decode_at_rip(vcpu, &insn) || !insn.has_modrm ||
	    (insn.opcode & 0xfffc) != 0x0f20)
		return -EIO;
	*gpr = insn.rm;
	*len = insn.len;
	return 0;
}

/* MOV to/from DRn: the guest's DRs are kept in software. */
static int svm_handle_dr(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 code = vmcb->control.exit_code;
	bool write = code >= 0x30;
	int dr = code & 0xf;
	unsigned int len;
	int gpr;

	if (svm_mov_crdr_gpr(vcpu, vmcb, &gpr, &len))
		return svm_unhandled(vcpu, vmcb);
	if (dr > 7) {
		hwvirt_queue_exception(vcpu, HV_VEC_UD, false, 0);
		return HWVIRT_RESUME;
	}
	hwvirt_emulate_mov_dr(vcpu, dr, gpr, write, svm->db, &vmcb->save.dr6,
			      &vmcb->save.dr7);
	vcpu->rip += len;
	vcpu->interrupt_shadow = false;
	return HWVIRT_RESUME;
}

/* MOV to CR8 (intercepted while the TPR holds an interrupt back). */
static int svm_handle_cr8_write(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	unsigned int len;
	int gpr;

	if (svm_mov_crdr_gpr(vcpu, vmcb, &gpr, &len))
		return svm_unhandled(vcpu, vmcb);
	if (vcpu->regs[gpr] >> 4) {
		hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
		return HWVIRT_RESUME;
	}
	vcpu->cr8 = vcpu->regs[gpr];
	hwvirt_apic_cr8_to_tpr(vcpu);
	vcpu->rip += len;
	vcpu->interrupt_shadow = false;
	return HWVIRT_RESUME;
}

/*
 * An intercepted access to CR0, CR3 or CR4: MOV to or from CRn, and CLTS,
 * LMSW (CR0 writes), SMSW (a CR0 read).  With nested paging only CR4
 * writes exit (to be checked against the guest's CPUID); with shadow
 * paging all of them, as the CPU's registers are not the guest's.
 */
static int svm_handle_cr(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	u64 code = vmcb->control.exit_code;
	bool write = code >= SVM_EXIT_WRITE_CR0;
	bool mode64 = hwvirt_cpu_mode(vcpu) == HW_MODE_64;
	int cr = code & 0xf, gpr, r = 0;
	struct hw_insn insn = { 0 };
	unsigned int len;
	u64 val, cr0 = svm_get_cr(vcpu, 0);
	u16 msw;

	if (svm_mov_crdr_gpr(vcpu, vmcb, &gpr, &len) == 0) {
		if (!write) {
			val = svm_get_cr(vcpu, cr);
			vcpu->regs[gpr] = mode64 ? val : (u32)val;
			goto done;
		}
		val = vcpu->regs[gpr];
		if (!mode64)
			val = (u32)val;
		r = cr == 0 ? hwvirt_set_cr0(vcpu, val) :
		    cr == 3 ? hwvirt_set_cr3(vcpu, val) :
			      hwvirt_set_cr4(vcpu, val);
		goto done;
	}

	if (hwvirt_decode_at_rip(vcpu, &insn) || cr != 0)
		return svm_unhandled(vcpu, vmcb);
	len = insn.len;
	if (write && insn.opcode == 0x0f06) {
		/* CLTS */
		r = hwvirt_set_cr0(vcpu, cr0 & ~HV_CR0_TS);
	} else if (write && insn.opcode == 0x0f01 && (insn.reg & 7) == 6) {
		/* LMSW: the low four bits; PE can be set, not cleared. */
		if (insn.has_mem) {
			r = hwvirt_insn_mem(vcpu, &insn, &msw, 2, false);
			if (r > 0)
				return HWVIRT_RESUME;	/* a #PF */
			if (r < 0)
				return svm_unhandled(vcpu, vmcb);
		} else {
			msw = vcpu->regs[insn.rm];
		}
		r = hwvirt_set_cr0(vcpu, (cr0 & ~0xeULL) | (msw & 0xf));
	} else if (!write && insn.opcode == 0x0f01 && (insn.reg & 7) == 4) {
		/* SMSW: to memory, 16 bits; to a register, the operand size. */
		if (insn.has_mem) {
			msw = cr0;
			r = hwvirt_insn_mem(vcpu, &insn, &msw, 2, true);
			if (r > 0)
				return HWVIRT_RESUME;
			if (r < 0)
				return svm_unhandled(vcpu, vmcb);
		} else {
			hw_reg_write(vcpu->regs, insn.rm, insn.opsize, false, cr0);
		}
	} else {
		return svm_unhandled(vcpu, vmcb);
	}
done:
	if (r) {
		hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
		return HWVIRT_RESUME;
	}
	vcpu->rip += len;
	vcpu->interrupt_shadow = false;
	return HWVIRT_RESUME;
}

/* INVPCID (shadow paging): emulated (x86.c). */
static int svm_handle_invpcid(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	int r = hwvirt_emulate_invpcid(vcpu);

	return r < 0 ? svm_unhandled(vcpu, vmcb) : r;
}

/* INVLPG (shadow paging): the shadow entry back in step, the TLB's gone. */
static int svm_handle_invlpg(struct hwvirt_vcpu *vcpu, struct vmcb *vmcb)
{
	struct hw_insn insn;
	unsigned int len;
	u64 gva;

	if ((svm_caps.features & SVM_FEAT_DECODE_ASSISTS) &&
	    (svm_caps.features & SVM_FEAT_NRIPS) && vmcb->control.next_rip) {
		gva = vmcb->control.exit_info_1;
		len = vmcb->control.next_rip - vcpu->rip;
	} else {
		if (hwvirt_decode_at_rip(vcpu, &insn) ||
		    insn.opcode != 0x0f01 || (insn.reg & 7) != 7 ||
		    !insn.has_mem)
			return svm_unhandled(vcpu, vmcb);
		gva = hwvirt_insn_linear(vcpu, &insn);
		len = insn.len;
	}
	hwvirt_shadow_invlpg(vcpu, gva);
	svm_flush_tlb_gva(vcpu, gva);
	vcpu->rip += len;
	vcpu->interrupt_shadow = false;
	return HWVIRT_RESUME;
}

static int svm_handle_exit(struct hwvirt_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct vmcb *vmcb = svm->vmcb;
	struct vmcb_control *c = &vmcb->control;
	u64 code = c->exit_code;
	bool past_iret;
	int r;

	vcpu->stat[HWVIRT_STAT_EXITS]++;
	hwvirt_requeue_info(vcpu, c->exit_int_info, c->exit_int_info_err);

	/* The IRET of the NMI handler has run: NMIs may come. */
	past_iret = svm->awaiting_iret && vcpu->rip != svm->iret_rip;
	if (past_iret) {
		svm->awaiting_iret = false;
		vcpu->nmi_masked = false;
	}

	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		/* The host takes it as soon as interrupts are back on. */
		vcpu->stat[HWVIRT_STAT_EXIT_INTR]++;
		return HWVIRT_RESUME;
	case SVM_EXIT_INIT:
		return HWVIRT_RESUME;
	case SVM_EXIT_VINTR:
		vcpu->stat[HWVIRT_STAT_EXIT_IRQ_WINDOW]++;
		c->int_ctl &= ~SVM_V_IRQ;
		c->intercept3 &= ~SVM_INTERCEPT_VINTR;
		if (hwvirt_user_irq_window(vcpu) && !vcpu->irq.pending) {
			vcpu->run->exit_reason = HWVIRT_EXIT_IRQ_WINDOW_OPEN;
			return HWVIRT_USER;
		}
		return HWVIRT_RESUME;
	case SVM_EXIT_CPUID:
		vcpu->stat[HWVIRT_STAT_EXIT_CPUID]++;
		hwvirt_emulate_cpuid(vcpu);
		return svm_skip_or_fail(vcpu, vmcb);
	case SVM_EXIT_HLT:
		vcpu->stat[HWVIRT_STAT_EXIT_HLT]++;
		r = svm_skip_or_fail(vcpu, vmcb);
		if (r != HWVIRT_RESUME)
			return r;
		/* With the APIC here, the core sleeps until an interrupt. */
		if (vcpu->apic) {
			vcpu->mp_state = HWVIRT_MP_STATE_HALTED;
			return HWVIRT_RESUME;
		}
		/* An interrupt the guest can take now wakes it at once. */
		if (vcpu->irq.pending && hwvirt_interruptible(vcpu))
			return HWVIRT_RESUME;
		vcpu->run->exit_reason = HWVIRT_EXIT_HLT;
		return HWVIRT_USER;
	case SVM_EXIT_IOIO: {
		u64 info = c->exit_info_1;

		return hwvirt_handle_pio(vcpu, info >> SVM_IOIO_PORT_SHIFT,
					 (info & SVM_IOIO_SIZE_MASK) >>
					 SVM_IOIO_SIZE_SHIFT,
					 info & SVM_IOIO_TYPE_IN,
					 info & SVM_IOIO_STR, c->exit_info_2);
	}
	case SVM_EXIT_MSR:
		return svm_handle_msr(vcpu, vmcb);
	case SVM_EXIT_NPF:
		r = hwvirt_tdp_fault(vcpu, c->exit_info_2,
				     c->exit_info_1 & SVM_NPF_WRITE);
		if (r == 0) {
			vcpu->stat[HWVIRT_STAT_EXIT_NPF]++;
			return HWVIRT_RESUME;
		}
		if (r == 1)
			return hwvirt_handle_mmio(vcpu, c->exit_info_2);
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY, code,
					     c->exit_info_1, c->exit_info_2,
					     c->exit_info_2);
	case SVM_EXIT_SHUTDOWN:
		vcpu->stat[HWVIRT_STAT_EXIT_SHUTDOWN]++;
		vcpu->run->exit_reason = HWVIRT_EXIT_SHUTDOWN;
		return HWVIRT_USER;
	case SVM_EXIT_IRET:
		/* Intercepted before it runs: blocking ends past it. */
		c->intercept3 &= ~SVM_INTERCEPT_IRET;
		svm->awaiting_iret = true;
		svm->iret_rip = vcpu->rip;
		return HWVIRT_RESUME;
	case SVM_EXIT_EXCP_DB:
		if (svm->nmi_step)
			svm_nmi_step_done(svm, past_iret);
		else
			hwvirt_queue_exception(vcpu, HV_VEC_DB, false, 0);
		return HWVIRT_RESUME;
	case SVM_EXIT_XSETBV:
		/* The exit may come before the CPU's own checks (TCG's does). */
		if (!(svm_get_cr(vcpu, 4) & HV_CR4_OSXSAVE)) {
			hwvirt_queue_exception(vcpu, HV_VEC_UD, false, 0);
			return HWVIRT_RESUME;
		}
		if (vmcb->save.cpl || vcpu->regs[HW_RCX] != 0 ||
		    hwvirt_set_xcr0(vcpu, (vcpu->regs[HW_RDX] << 32) |
				    (u32)vcpu->regs[HW_RAX])) {
			hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
			return HWVIRT_RESUME;
		}
		return svm_skip_or_fail(vcpu, vmcb);
	case SVM_EXIT_INVD:
	case SVM_EXIT_WBINVD:
		return svm_skip_or_fail(vcpu, vmcb);
	case SVM_EXIT_VMRUN: case SVM_EXIT_VMMCALL: case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE: case SVM_EXIT_STGI: case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT: case SVM_EXIT_MONITOR:
	case SVM_EXIT_MWAIT: case SVM_EXIT_MWAIT_COND: case SVM_EXIT_RSM:
	case SVM_EXIT_INVLPGA:
		/* Not offered to the guest (CPUID says so). */
		hwvirt_queue_exception(vcpu, HV_VEC_UD, false, 0);
		return HWVIRT_RESUME;
	case SVM_EXIT_RDTSCP:
		if (!hwvirt_emulate_rdtscp(vcpu))
			return svm_skip_or_fail(vcpu, vmcb);
		hwvirt_queue_exception(vcpu, HV_VEC_UD, false, 0);
		return HWVIRT_RESUME;
	case SVM_EXIT_RDPMC:
		if (!hwvirt_emulate_rdpmc(vcpu))
			return svm_skip_or_fail(vcpu, vmcb);
		hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
		return HWVIRT_RESUME;
	case SVM_EXIT_READ_CR0:
	case SVM_EXIT_READ_CR3:
	case SVM_EXIT_READ_CR4:
	case SVM_EXIT_WRITE_CR0:
	case SVM_EXIT_WRITE_CR3:
	case SVM_EXIT_WRITE_CR4:
		return svm_handle_cr(vcpu, vmcb);
	case SVM_EXIT_EXCP_PF:
		return hwvirt_shadow_page_fault(vcpu, c->exit_info_2,
						c->exit_info_1);
	case SVM_EXIT_INVPCID:
		return svm_handle_invpcid(vcpu, vmcb);
	case SVM_EXIT_INVLPG:
		return svm_handle_invlpg(vcpu, vmcb);
	case SVM_EXIT_WRITE_CR8:
		return svm_handle_cr8_write(vcpu, vmcb);
	case 0x20 ... 0x3f:
		return svm_handle_dr(vcpu, vmcb);
	case SVM_EXIT_TASK_SWITCH:
		return svm_handle_task_switch(vcpu, vmcb);
	case SVM_EXIT_INVALID:
		vcpu->run->exit_reason = HWVIRT_EXIT_FAIL_ENTRY;
		vcpu->run->fail_entry.hardware_reason = code;
		vcpu->run->fail_entry.detail = c->exit_info_1;
		return HWVIRT_USER;
	}
	vcpu->stat[HWVIRT_STAT_EXIT_OTHER]++;
	return svm_unhandled(vcpu, vmcb);
}

static int svm_vcpu_run(struct hwvirt_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 rip;
	int r;

	if (svm->shadow) {
		r = hwvirt_shadow_root(vcpu, &svm->vmcb->save.cr3);
		if (r)
			return r;
	}
	svm_inject_events(vcpu, svm->vmcb);
	r = svm_enter(svm);
	if (r == -EAGAIN) {
		/* Not entered: take the events back. */
		hwvirt_requeue_info(vcpu, svm->vmcb->control.event_inj,
				    svm->vmcb->control.event_inj_err);
		svm->vmcb->control.event_inj = 0;
		return HWVIRT_RESUME;
	}
	rip = vcpu->rip;
	r = svm_handle_exit(vcpu);
	if (vcpu->rip != rip)
		hwvirt_insn_completed(vcpu);
	return r;
}

static void svm_single_step(struct hwvirt_vcpu *vcpu)
{
	to_svm(vcpu)->vmcb->save.dr6 |= SVM_DR6_BS;
}

const struct hwvirt_backend hwvirt_svm_backend = {
	.name		= "svm",
	.abi_backend	= HWVIRT_BACKEND_SVM,
	.abi_caps	= HWVIRT_CAP_K7_PERFCTR,
	.probe		= svm_probe,
	.setup		= svm_setup,
	.unsetup	= svm_unsetup,
	.cpu_enable	= svm_cpu_enable,
	.cpu_disable	= svm_cpu_disable,
	.describe	= svm_describe,
	.mmu_modes	= svm_mmu_modes,
	.tdp_levels	= svm_tdp_levels,
	.tdp_format	= &svm_tdp_format,
	.vcpu_size	= sizeof(struct svm_vcpu),
	.vcpu_create	= svm_vcpu_create,
	.vcpu_free	= svm_vcpu_free,
	.vcpu_reset	= svm_vcpu_reset,
	.vcpu_run	= svm_vcpu_run,
	.single_step	= svm_single_step,
	.get_sregs	= svm_get_sregs,
	.set_sregs	= svm_set_sregs,
	.get_segment	= svm_get_segment,
	.set_segment	= svm_set_segment,
	.get_cr		= svm_get_cr,
	.set_cr0	= svm_set_cr0,
	.set_cr3	= svm_set_cr3,
	.set_cr4	= svm_set_cr4,
	.get_efer	= svm_get_efer,
	.get_cpl	= svm_get_cpl,
	.get_msr	= svm_get_msr,
	.set_msr	= svm_set_msr,
	.flush_tlb	= svm_flush_tlb,
};
