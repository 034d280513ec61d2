// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: x86 semantics both backends share.
 *
 * CPUID and MSRs for the guest, guest memory through the memory slots and
 * the guest's page tables, event injection policy, and the exits that go
 * to userspace: port I/O (string forms included) and MMIO, emulated with
 * emulate.c.  Exit handlers return HWVIRT_RESUME, HWVIRT_USER or -errno.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/processor.h>

#include "walk.h"
#include "mmu.h"
#include "x86.h"

u64 hwvirt_host_xcr0;
u64 hwvirt_supported_xcr0;
u64 hwvirt_supported_cr4;
unsigned int hwvirt_gpa_bits;
bool hwvirt_cpu_has_la57;
/* Has the CPU the TSC_AUX MSR (RDTSCP or RDPID)? */
bool hwvirt_host_has_tsc_aux;

/* XCR0 features a guest may enable: x87, SSE, AVX, AVX-512. */
#define HWVIRT_XCR0_ALLOWED	0xe7ULL
#define XCR0_FP			0x1ULL
#define XCR0_SSE		0x2ULL
#define XCR0_YMM		0x4ULL
#define XCR0_AVX512		0xe0ULL

static u64 cr4_from_cpuid(const struct hwvirt_cpuid_entry *e, u32 n);

int hwvirt_x86_setup(void)
{
	struct hwvirt_cpuid_entry *e;
	unsigned int tdp_bits;
	int n;

	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		hwvirt_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
		hwvirt_supported_xcr0 = hwvirt_host_xcr0 & HWVIRT_XCR0_ALLOWED;
	}

	/*
	 * The kernel clears its LA57 feature when it runs 4-level paging;
	 * guests can still use 5-level paging if the CPU has it.
	 */
	hwvirt_cpu_has_la57 = cpuid_eax(0) >= 7 &&
			      (cpuid_ecx(7) & CPUID_7_ECX_LA57);
	hwvirt_host_has_tsc_aux = (cpuid_edx(0x80000001) & BIT(27)) ||
				  (cpuid_eax(0) >= 7 && (cpuid_ecx(7) & BIT(22)));

	/* CR4: what the supported CPUID offers. */
	e = kcalloc(HWVIRT_MAX_CPUID_ENTRIES, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = hwvirt_supported_cpuid(e, HWVIRT_MAX_CPUID_ENTRIES);
	hwvirt_supported_cr4 = cr4_from_cpuid(e, n);
	kfree(e);

	tdp_bits = PAGE_SHIFT + 9 * hwvirt_backend->tdp_levels();
	hwvirt_gpa_bits = min3(tdp_bits, (unsigned int)HWVIRT_MAX_GPA_BITS,
			       (unsigned int)boot_cpu_data.x86_phys_bits);
	return 0;
}

bool hwvirt_is_canonical(u64 addr)
{
	int shift = 64 - (hwvirt_cpu_has_la57 ? 57 : 48);

	return (u64)((s64)(addr << shift) >> shift) == addr;
}

/* ------------------------------------------------------------------------
 * CPUID
 */

/* Bits of host CPUID the guest may see (others read as 0). */
struct cpuid_mask {
	u32 function;
	u32 eax, ebx, ecx, edx;
};

#define B(n)	(1U << (n))

static const struct cpuid_mask cpuid_masks[] = {
	/*
	 * Leaf 1.  ECX: no DTES64, MONITOR, DS-CPL, VMX, SMX, EST, TM2,
	 * CNXT-ID, SDBG, xTPR, PDCM, DCA; x2APIC and TSC-deadline are the
	 * in-kernel APIC's (set below); OSXSAVE and HYPERVISOR are ours.
	 * EDX: no PSN, DS, ACPI, TM, PBE.
	 */
	{ 0x00000001, ~0U, ~0U,
	  ~(B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(8) | B(10) | B(11) |
	    B(14) | B(15) | B(18) | B(21) | B(24) | B(27) | B(31)),
	  ~(B(18) | B(21) | B(22) | B(29) | B(30) | B(31)) },
	/*
	 * Leaf 7.0.  EBX: no SGX, HLE, RTM, PQM, PQE, MPX, Intel PT;
	 * TSC_ADJUST whatever the CPU has (set below: the MSR is the
	 * module's, per vCPU, hwvirt_tsc_offset()).  ECX: no PKU, OSPKE, WAITPKG, SGX-LC; UMIP (the CPU applies the
	 * guest's CR4.UMIP in guest mode), LA57 (5-level guest paging) and
	 * RDPID (the guest's TSC_AUX is in the CPU while it runs: uret.c) as
	 * the CPU has them.  EDX: none (speculation controls are not
	 * virtualized) but FSRM.
	 */
	{ 0x00000007, 0,
	  ~(B(2) | B(4) | B(11) | B(12) | B(14) | B(15) | B(25)),
	  ~(B(3) | B(4) | B(5) | B(30)),
	  B(4) },
	/*
	 * 0x80000001.  ECX: no SVM, OSVW, IBS, SKINIT, WDT, LWP, NODEID,
	 * perf counters, MWAITX; CMP_LEGACY and TOPOEXT (topology, which
	 * userspace describes in 0x8000001D/E) are set below.  EDX: RDTSCP
	 * runs natively, with the guest's TSC_AUX in the CPU (uret.c).
	 */
	{ 0x80000001, ~0U, ~0U,
	  ~(B(2) | B(9) | B(10) | B(12) | B(13) | B(15) | B(19) |
	    B(23) | B(24) | B(28) | B(29)),
	  ~0U },
	/* 0x80000007: invariant TSC only. */
	{ 0x80000007, 0, 0, 0, B(8) },
	/* 0x80000008: address sizes; no speculation-control bits. */
	{ 0x80000008, 0xffff, 0, 0xff, 0 },
};

#undef B

static void add_cpuid(struct hwvirt_cpuid_entry *e, int *n, int max,
		      u32 function, u32 index, u32 flags)
{
	const struct cpuid_mask *m = NULL;
	unsigned int eax, ebx, ecx, edx;
	int i;

	if (*n >= max)
		return;
	cpuid_count(function, index, &eax, &ebx, &ecx, &edx);
	for (i = 0; i < ARRAY_SIZE(cpuid_masks); i++)
		if (cpuid_masks[i].function == function)
			m = &cpuid_masks[i];
	if (m) {
		eax &= m->eax;
		ebx &= m->ebx;
		ecx &= m->ecx;
		edx &= m->edx;
	}
	switch (function) {
	case 0x00000001:
		ecx |= 1U << 31;		/* HYPERVISOR */
		ecx &= ~(1U << 27);		/* OSXSAVE: from the guest's CR4 */
		/* The in-kernel APIC has both, whatever the host's has. */
		ecx |= CPUID_1_ECX_X2APIC | CPUID_1_ECX_TSC_DEADLINE;
		if (!hwvirt_supported_xcr0)
			ecx &= ~((1U << 26) | (1U << 28));	/* XSAVE, AVX */
		/* HTT: a topology hint userspace sets for its -smp. */
		edx |= 1U << 28;
		break;
	case 0x80000001:
		/*
		 * CMP_LEGACY: the same, on AMD (QEMU sets it for any
		 * multi-core AMD model, whatever the host's is); TOPOEXT: the
		 * topology leaves are userspace's, whatever the host has.
		 */
		ecx |= (1U << 1) | (1U << 22);
		break;
	case 0x00000007:
		if (index != 0)
			eax = ebx = ecx = edx = 0;
		else
			ebx |= 1U << 1;	/* TSC_ADJUST: the module's, per vCPU */
		break;
	case 0x0000000d:
		if (index == 0) {
			eax &= (u32)hwvirt_supported_xcr0;
			edx &= (u32)(hwvirt_supported_xcr0 >> 32);
		} else if (index == 1) {
			eax &= 0x7;		/* XSAVEOPT, XSAVEC, XGETBV1; no XSAVES */
			ebx = ecx = edx = 0;
		} else if (!(hwvirt_supported_xcr0 & (1ULL << index))) {
			eax = ebx = ecx = edx = 0;
		}
		break;
	case 0x80000000:
		eax = HWVIRT_CPUID_MAX_EXT;
		break;
	case 0x00000006:
		/* ARAT: the APIC timer runs whatever the guest's C-state. */
		eax = 1U << 2;
		ebx = ecx = edx = 0;
		break;
	}
	if (hwvirt_backend->cpuid_fixup)
		hwvirt_backend->cpuid_fixup(function, index,
					    &eax, &ebx, &ecx, &edx);
	e[*n] = (struct hwvirt_cpuid_entry) {
		.function = function, .index = index, .flags = flags,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
	};
	(*n)++;
}

int hwvirt_supported_cpuid(struct hwvirt_cpuid_entry *e, int max)
{
	u32 basic = min(cpuid_eax(0), 0xdU);
	u32 ext = min(cpuid_eax(0x80000000), 0x80000008U);
	int n = 0;
	u32 f, i;

	for (f = 0; f <= basic; f++) {
		switch (f) {
		case 0x4:		/* cache topology: QEMU builds its own */
		case 0x5:		/* MONITOR/MWAIT */
		case 0x8: case 0x9: case 0xa: case 0xb: case 0xc:
			continue;
		case 0x7:
			add_cpuid(e, &n, max, f, 0, HWVIRT_CPUID_INDEXED);
			break;
		case 0xd:
			if (!hwvirt_supported_xcr0)
				continue;
			for (i = 0; i < 64 && n < max; i++)
				if (i < 2 || (hwvirt_supported_xcr0 & (1ULL << i)))
					add_cpuid(e, &n, max, f, i,
						  HWVIRT_CPUID_INDEXED);
			break;
		default:
			add_cpuid(e, &n, max, f, 0, 0);
			break;
		}
		if (f == 0)
			e[n - 1].eax = basic;
	}
	/* Up to 0x80000008 from the CPU; SVM (0x8000000A) is not offered. */
	for (f = 0x80000000; f <= ext && n < max; f++)
		if (f != 0x8000000a)
			add_cpuid(e, &n, max, f, 0, 0);
	/*
	 * The topology leaves (with TOPOEXT), up to HWVIRT_CPUID_MAX_EXT:
	 * userspace builds them for the topology it gives the guest.
	 */
	for (f = 0x8000001d; f <= HWVIRT_CPUID_MAX_EXT && n < max; f++)
		e[n++] = (struct hwvirt_cpuid_entry) { .function = f };
	/* KVM's signature and the paravirtual clock's features. */
	for (f = HV_CPUID_PV_SIGNATURE; f <= HV_CPUID_PV_FEATURES && n < max;
	     f++, n++) {
		e[n] = (struct hwvirt_cpuid_entry) { .function = f };
		hwvirt_pvclock_cpuid(f, &e[n].eax, &e[n].ebx, &e[n].ecx,
				     &e[n].edx);
	}
	return n;
}

static const struct hwvirt_cpuid_entry *
find_cpuid(struct hwvirt_vcpu *vcpu, u32 function, u32 index)
{
	u32 i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct hwvirt_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == function &&
		    (!(e->flags & HWVIRT_CPUID_INDEXED) || e->index == index))
			return e;
	}
	return NULL;
}

u32 hwvirt_cpu_signature(struct hwvirt_vcpu *vcpu)
{
	const struct hwvirt_cpuid_entry *e = find_cpuid(vcpu, 1, 0);

	return e ? e->eax : 0;
}

/* The XSAVE area size for the features in xcr0, from leaf 0xD. */
static u32 xsave_size(struct hwvirt_vcpu *vcpu, u64 xcr0)
{
	u32 size = 512 + 64, i;

	for (i = 2; i < 64; i++) {
		const struct hwvirt_cpuid_entry *e;

		if (!(xcr0 & (1ULL << i)))
			continue;
		e = find_cpuid(vcpu, 0xd, i);
		if (e && e->eax + e->ebx > size)
			size = e->eax + e->ebx;
	}
	return size;
}

void hwvirt_emulate_cpuid(struct hwvirt_vcpu *vcpu)
{
	u32 function = vcpu->regs[HW_RAX], index = vcpu->regs[HW_RCX];
	const struct hwvirt_cpuid_entry *e = find_cpuid(vcpu, function, index);
	u32 eax = 0, ebx = 0, ecx = 0, edx = 0;

	if (e) {
		eax = e->eax;
		ebx = e->ebx;
		ecx = e->ecx;
		edx = e->edx;
	}
	switch (function) {
	case 0x1:
		ecx &= ~(1U << 27);
		if (hwvirt_backend->get_cr(vcpu, 4) & HV_CR4_OSXSAVE)
			ecx |= 1U << 27;
		if (!(hwvirt_get_apic_base(vcpu) & HW_APIC_BASE_EN))
			edx &= ~(1U << 9);	/* APIC disabled */
		break;
	case 0xd:
		if (index == 0 && e)
			ebx = xsave_size(vcpu, vcpu->xcr0);
		break;
	}
	vcpu->regs[HW_RAX] = eax;
	vcpu->regs[HW_RBX] = ebx;
	vcpu->regs[HW_RCX] = ecx;
	vcpu->regs[HW_RDX] = edx;
}

/* ------------------------------------------------------------------------
 * Control registers
 */

/* The value of a CPUID register in table e[0..n), 0 if absent. */
static u32 cpuid_reg(const struct hwvirt_cpuid_entry *e, u32 n, u32 function,
		     int reg)
{
	u32 i;

	for (i = 0; i < n; i++) {
		if (e[i].function != function ||
		    ((e[i].flags & HWVIRT_CPUID_INDEXED) && e[i].index != 0))
			continue;
		switch (reg) {
		case HW_RAX: return e[i].eax;
		case HW_RBX: return e[i].ebx;
		case HW_RCX: return e[i].ecx;
		default: return e[i].edx;
		}
	}
	return 0;
}

/*
 * The CR4 bits a CPU with CPUID table e[0..n) has.  The bits through
 * OSXMMEXCPT are in every x86-64 CPU; the others come with a feature.
 * VMXE, SMXE, PKE (no PKU for guests), CET, PKS never.
 */
static u64 cr4_from_cpuid(const struct hwvirt_cpuid_entry *e, u32 n)
{
	static const struct {
		u32 function;
		int reg;
		u32 bit;
		u64 cr4;
	} feats[] = {
		{ 0x1, HW_RDX, CPUID_1_EDX_VME, HV_CR4_VME | HV_CR4_PVI },
		{ 0x1, HW_RCX, CPUID_1_ECX_PCID, HV_CR4_PCIDE },
		{ 0x1, HW_RCX, CPUID_1_ECX_XSAVE, HV_CR4_OSXSAVE },
		{ 0x7, HW_RBX, CPUID_7_EBX_FSGSBASE, HV_CR4_FSGSBASE },
		{ 0x7, HW_RBX, CPUID_7_EBX_SMEP, HV_CR4_SMEP },
		{ 0x7, HW_RBX, CPUID_7_EBX_SMAP, HV_CR4_SMAP },
		{ 0x7, HW_RCX, CPUID_7_ECX_UMIP, HV_CR4_UMIP },
		{ 0x7, HW_RCX, CPUID_7_ECX_LA57, HV_CR4_LA57 },
	};
	u64 cr4 = HV_CR4_TSD | HV_CR4_DE | HV_CR4_PSE | HV_CR4_PAE |
		  HV_CR4_MCE | HV_CR4_PGE | HV_CR4_PCE | HV_CR4_OSFXSR |
		  HV_CR4_OSXMMEXCPT;
	int i;

	for (i = 0; i < ARRAY_SIZE(feats); i++)
		if (cpuid_reg(e, n, feats[i].function, feats[i].reg) &
		    feats[i].bit)
			cr4 |= feats[i].cr4;
	return cr4;
}

/* Changing these drops the guest's translations (SDM 4.10.4.1). */
#define CR4_TLB_BITS	(HV_CR4_PGE | HV_CR4_PAE | HV_CR4_PSE | \
			 HV_CR4_PCIDE | HV_CR4_SMEP | HV_CR4_SMAP | \
			 HV_CR4_LA57 | HV_CR4_PKE)
/* ...these change what the guest's page tables mean. */
#define CR4_PAGING_BITS	(HV_CR4_PAE | HV_CR4_PSE | HV_CR4_SMEP | \
			 HV_CR4_SMAP | HV_CR4_LA57 | HV_CR4_PKE)
/* ...and in PAE mode, these load the PDPTEs again. */
#define CR4_PDPTE_BITS	(HV_CR4_PGE | HV_CR4_PAE | HV_CR4_PSE | \
			 HV_CR4_SMEP | HV_CR4_SMAP)

static int guest_maxphyaddr(struct hwvirt_vcpu *vcpu);

/*
 * PAE paging (shadow MMU): load the four PDPTEs at cr3 into the vCPU, as
 * the CPU does at a CR3 load.  -EINVAL (#GP) if one has reserved bits.
 */
static int load_pdptes(struct hwvirt_vcpu *vcpu, u64 cr3)
{
	u64 pdptes[4], rsvd;
	int i;

	if (hwvirt_read_gpa(vcpu->vm, cr3 & 0xffffffe0ULL, pdptes,
			    sizeof(pdptes)))
		return -EINVAL;
	/* Bits 2:1, 8:5, 63 and the address bits the guest has not. */
	rsvd = 0x1e6ULL | (1ULL << 63) |
	       (~0ULL << guest_maxphyaddr(vcpu) & ~(1ULL << 63));
	for (i = 0; i < 4; i++)
		if ((pdptes[i] & HV_PTE_P) && (pdptes[i] & rsvd))
			return -EINVAL;
	memcpy(vcpu->pdptes, pdptes, sizeof(pdptes));
	return 0;
}

/*
 * Does the module load the PAE PDPTEs (the shadow MMU walks them; EPT
 * takes them from the VMCS), or does the CPU read them on use (NPT)?
 */
static bool pdptes_loaded(struct hwvirt_vcpu *vcpu)
{
	return vcpu->vm->mmu_mode == HWVIRT_MMU_SHADOW ||
	       hwvirt_backend->tdp_pdptes;
}

int hwvirt_set_cr4(struct hwvirt_vcpu *vcpu, u64 cr4)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	u64 old = b->get_cr(vcpu, 4);
	bool lma = b->get_efer(vcpu) & HV_EFER_LMA;
	u64 allowed = hwvirt_supported_cr4 &
		      cr4_from_cpuid(vcpu->cpuid, vcpu->cpuid_nent);

	if (cr4 & ~allowed)
		return -EINVAL;
	/* Long mode keeps PAE, and its number of paging levels. */
	if (lma && (!(cr4 & HV_CR4_PAE) || ((cr4 ^ old) & HV_CR4_LA57)))
		return -EINVAL;
	/* PCIDs: enabled in long mode only, while PCID 0 is current. */
	if ((cr4 & HV_CR4_PCIDE) && !(old & HV_CR4_PCIDE) &&
	    (!lma || (b->get_cr(vcpu, 3) & 0xfff)))
		return -EINVAL;
	/* PAE paging: a change of these loads the PDPTEs (SDM 4.4.1). */
	if (!lma && (b->get_cr(vcpu, 0) & HV_CR0_PG) && (cr4 & HV_CR4_PAE) &&
	    ((cr4 ^ old) & CR4_PDPTE_BITS) &&
	    pdptes_loaded(vcpu) &&
	    load_pdptes(vcpu, b->get_cr(vcpu, 3)))
		return -EINVAL;
	b->set_cr4(vcpu, cr4);
	if ((cr4 ^ old) & CR4_PAGING_BITS)
		hwvirt_shadow_reset(vcpu);
	else if ((cr4 ^ old) & CR4_TLB_BITS)
		hwvirt_shadow_flush_guest_tlb(vcpu);
	if ((cr4 ^ old) & CR4_TLB_BITS)
		b->flush_tlb(vcpu);
	return 0;
}

int hwvirt_set_cr0(struct hwvirt_vcpu *vcpu, u64 cr0)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	u64 old = b->get_cr(vcpu, 0), cr4 = b->get_cr(vcpu, 4);
	u64 efer = b->get_efer(vcpu);
	struct hwvirt_segment cs;

	cr0 |= HV_CR0_ET;
	if ((cr0 >> 32) || (cr0 & ~HV_CR0_VALID))
		return -EINVAL;
	if ((cr0 & HV_CR0_NW) && !(cr0 & HV_CR0_CD))
		return -EINVAL;
	if ((cr0 & HV_CR0_PG) && !(cr0 & HV_CR0_PE))
		return -EINVAL;
	if ((cr0 & HV_CR0_PG) && !(old & HV_CR0_PG)) {
		if (efer & HV_EFER_LME) {
			/* Into long mode: from PAE, not from a 64-bit segment. */
			b->get_segment(vcpu, HW_CS, &cs);
			if (!(cr4 & HV_CR4_PAE) || cs.l)
				return -EINVAL;
		} else if ((cr4 & HV_CR4_PAE) &&
			   pdptes_loaded(vcpu) &&
			   load_pdptes(vcpu, b->get_cr(vcpu, 3))) {
			return -EINVAL;
		}
	}
	/* Out of long mode only from compatibility mode. */
	if (!(cr0 & HV_CR0_PG) && (old & HV_CR0_PG) && (efer & HV_EFER_LMA) &&
	    hwvirt_cpu_mode(vcpu) == HW_MODE_64)
		return -EINVAL;
	b->set_cr0(vcpu, cr0);
	if ((cr0 ^ old) & (HV_CR0_PG | HV_CR0_WP | HV_CR0_PE))
		hwvirt_shadow_reset(vcpu);
	if ((cr0 ^ old) & HV_CR0_PG)
		b->flush_tlb(vcpu);
	return 0;
}

int hwvirt_set_cr3(struct hwvirt_vcpu *vcpu, u64 cr3)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	u64 cr4 = b->get_cr(vcpu, 4);
	bool lma = b->get_efer(vcpu) & HV_EFER_LMA, flush = true;

	if (lma) {
		if ((cr4 & HV_CR4_PCIDE) && (cr3 & HV_CR3_NOFLUSH)) {
			flush = false;
			cr3 &= ~HV_CR3_NOFLUSH;
		}
		if (cr3 >> guest_maxphyaddr(vcpu))
			return -EINVAL;
	} else {
		/* PAE: the PDPTEs, unless the CPU reads them on use (NPT). */
		cr3 = (u32)cr3;
		if ((b->get_cr(vcpu, 0) & HV_CR0_PG) && (cr4 & HV_CR4_PAE) &&
		    pdptes_loaded(vcpu) &&
		    load_pdptes(vcpu, cr3))
			return -EINVAL;
	}
	b->set_cr3(vcpu, cr3);
	hwvirt_shadow_new_cr3(vcpu, flush);
	/* With TDP the CPU's TLB holds the guest's translations: as a MOV. */
	if (vcpu->vm->mmu_mode != HWVIRT_MMU_SHADOW && flush)
		b->flush_tlb(vcpu);
	return 0;
}

void hwvirt_paging_changed(struct hwvirt_vcpu *vcpu)
{
	const struct hwvirt_backend *b = hwvirt_backend;

	if (!pdptes_loaded(vcpu))
		return;
	if ((b->get_cr(vcpu, 0) & HV_CR0_PG) &&
	    (b->get_cr(vcpu, 4) & HV_CR4_PAE) &&
	    !(b->get_efer(vcpu) & HV_EFER_LMA))
		load_pdptes(vcpu, b->get_cr(vcpu, 3));
	hwvirt_shadow_reset(vcpu);
}

/* ------------------------------------------------------------------------
 * MSRs
 */

#define MSR_TSC			0x00000010
#define MSR_TSC_ADJUST		0x0000003b
#define MSR_APIC_BASE		0x0000001b
#define MSR_PLATFORM_ID		0x00000017
#define MSR_BIOS_SIGN_ID	0x0000008b
#define MSR_MTRRCAP		0x000000fe
#define MSR_MCG_CAP		0x00000179
#define MSR_MCG_STATUS		0x0000017a
#define MSR_MISC_ENABLE		0x000001a0
#define MSR_MTRR_PHYS_FIRST	0x00000200
#define MSR_MTRR_PHYS_LAST	0x0000020f
#define MSR_MTRR_FIX64K		0x00000250
#define MSR_MTRR_FIX16K_80000	0x00000258
#define MSR_MTRR_FIX16K_A0000	0x00000259
#define MSR_MTRR_FIX4K_FIRST	0x00000268
#define MSR_MTRR_FIX4K_LAST	0x0000026f
#define MSR_MTRR_DEF_TYPE	0x000002ff
#define MSR_TSC_AUX		0xc0000103
#define MSR_K7_EVNTSEL0		0xc0010000
#define MSR_K7_EVNTSEL3		0xc0010003
#define MSR_K7_PERFCTR0		0xc0010004
#define MSR_K7_PERFCTR3		0xc0010007

/* PerfEvtSel bits that must be 0 (as kvm_amd refuses them); 48-bit counters. */
#define K7_EVNTSEL_RESERVED	0xfffffff000280000ULL
#define K7_PERFCTR_MASK		((1ULL << 48) - 1)

/* AMD's legacy counters: on AMD CPUs (HWVIRT_CAP_K7_PERFCTR). */
static bool has_k7_perfctr(void)
{
	return hwvirt_backend->abi_caps & HWVIRT_CAP_K7_PERFCTR;
}

/* The MTRRs: 8 variable ranges, fixed ranges, write-combining. */
#define MTRRCAP_VALUE		0x508ULL

/* MSRs that read as zero and ignore writes (the firmware's business). */
static const u32 msrs_zero[] = {
	MSR_PLATFORM_ID, MSR_BIOS_SIGN_ID, MSR_MCG_CAP, MSR_MCG_STATUS,
	0xc0010010,		/* AMD SYSCFG */
	0xc0010015,		/* AMD HWCR */
	0xc001001f,		/* AMD NB_CFG */
	0xc0010140,		/* AMD OSVW_ID_LENGTH */
	0xc0010141,		/* AMD OSVW_STATUS */
	0xc0011020,		/* AMD LS_CFG */
	0xc0011029,		/* AMD DE_CFG */
	0xc001102a,		/* AMD BU_CFG2 */
};

static u64 *mtrr_fixed_slot(struct hwvirt_vcpu *vcpu, u32 index)
{
	if (index == MSR_MTRR_FIX64K)
		return &vcpu->mtrr_fixed[0];
	if (index == MSR_MTRR_FIX16K_80000)
		return &vcpu->mtrr_fixed[1];
	if (index == MSR_MTRR_FIX16K_A0000)
		return &vcpu->mtrr_fixed[2];
	if (index >= MSR_MTRR_FIX4K_FIRST && index <= MSR_MTRR_FIX4K_LAST)
		return &vcpu->mtrr_fixed[3 + index - MSR_MTRR_FIX4K_FIRST];
	return NULL;
}

/*
 * RDPMC (intercepted): counters 0-3 are AMD's legacy PerfCtr0-3; -EINVAL
 * (#GP) for any other.  The CPU raised #GP itself for CPL > 0 without
 * CR4.PCE before the intercept.
 */
int hwvirt_emulate_rdpmc(struct hwvirt_vcpu *vcpu)
{
	u32 ecx = vcpu->regs[HW_RCX];
	u64 v;

	if (ecx > 3)
		return -EINVAL;
	v = vcpu->pmu_ctr[ecx];
	vcpu->regs[HW_RAX] = (u32)v;
	vcpu->regs[HW_RDX] = v >> 32;
	return 0;
}

/* CPUID.function (index 0), register reg (0-3: EAX-EDX), bit: set? */
static bool guest_cpuid_has(struct hwvirt_vcpu *vcpu, u32 function, int reg,
			    int bit)
{
	const struct hwvirt_cpuid_entry *e = find_cpuid(vcpu, function, 0);
	u32 v;

	if (!e)
		return false;
	v = reg == 0 ? e->eax : reg == 1 ? e->ebx : reg == 2 ? e->ecx : e->edx;
	return v & (1U << bit);
}

/* TSC_AUX exists with RDTSCP (0x80000001 EDX 27) or RDPID (7 ECX 22). */
static bool guest_has_tsc_aux(struct hwvirt_vcpu *vcpu)
{
	return guest_cpuid_has(vcpu, 0x80000001, 3, 27) ||
	       guest_cpuid_has(vcpu, 0x7, 2, 22);
}

bool hwvirt_msr_value_ok(u32 index, u64 data)
{
	int i;

	switch (index) {
	case 0x00000277:
		/* PAT: every byte a valid memory type (0, 1, 4, 5, 6, 7). */
		for (i = 0; i < 8; i++) {
			u8 t = data >> (8 * i);

			if (t > 7 || t == 2 || t == 3)
				return false;
		}
		return true;
	case 0xc0000100: case 0xc0000101: case 0xc0000102:
	case 0xc0000082: case 0xc0000083:
	case 0x00000175: case 0x00000176:
		/* FS/GS/KERNEL_GS base, LSTAR, CSTAR, SYSENTER_ESP/EIP. */
		return hwvirt_is_canonical(data);
	}
	return true;
}

int hwvirt_emulate_msr_exit(struct hwvirt_vcpu *vcpu, bool write)
{
	u32 index = vcpu->regs[HW_RCX];
	u64 data;

	vcpu->stat[HWVIRT_STAT_EXIT_MSR]++;
	if (write) {
		data = (vcpu->regs[HW_RDX] << 32) | (u32)vcpu->regs[HW_RAX];
		if (hwvirt_set_msr(vcpu, index, data, true))
			goto gp;
	} else {
		if (hwvirt_get_msr_from(vcpu, index, &data, true))
			goto gp;
		vcpu->regs[HW_RAX] = (u32)data;
		vcpu->regs[HW_RDX] = data >> 32;
	}
	return 0;
gp:
	hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
	return HWVIRT_RESUME;
}

void hwvirt_emulate_mov_dr(struct hwvirt_vcpu *vcpu, int dr, int gpr,
			   bool write, u64 db[4], u64 *dr6, u64 *dr7)
{
	u64 *val;

	if (dr == 4 || dr == 5)
		dr += 2;
	if (dr < 4)
		val = &db[dr];
	else if (dr == 6)
		val = dr6;
	else
		val = dr7;
	if (write)
		*val = vcpu->regs[gpr] |
		       (dr == 7 ? 0x400 : dr == 6 ? 0xffff0ff0 : 0);
	else
		vcpu->regs[gpr] = *val;
}

void hwvirt_cpuid_changed(struct hwvirt_vcpu *vcpu)
{
	vcpu->has_rdtscp = guest_cpuid_has(vcpu, 0x80000001, 3, 27);
	vcpu->pv_features =
		hwvirt_pvclock_features(find_cpuid(vcpu, HV_CPUID_PV_SIGNATURE, 0),
					find_cpuid(vcpu, HV_CPUID_PV_FEATURES, 0));
}

/*
 * RDTSCP, intercepted (backends intercept it while the guest's CPUID
 * lacks it): the guest's TSC and its TSC_AUX, or -EINVAL (#UD) when the
 * guest's CPUID has no RDTSCP.
 */
int hwvirt_emulate_rdtscp(struct hwvirt_vcpu *vcpu)
{
	u64 tsc;

	if (!guest_cpuid_has(vcpu, 0x80000001, 3, 27))
		return -EINVAL;
	tsc = rdtsc() + hwvirt_tsc_offset(vcpu);
	vcpu->regs[HW_RAX] = (u32)tsc;
	vcpu->regs[HW_RDX] = tsc >> 32;
	vcpu->regs[HW_RCX] = (u32)vcpu->tsc_aux;
	return 0;
}

/* An MTRR memory type: UC, WC, WT, WP, WB. */
static bool mtrr_type_valid(u8 t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

/*
 * A value for an MTRR (the index in the caller's switch): valid types,
 * no reserved bits (SDM vol. 3, 12.11.2), as kvm_mtrr_valid() checks.
 */
static bool mtrr_valid(struct hwvirt_vcpu *vcpu, u32 index, u64 data)
{
	u64 above = ~0ULL << guest_maxphyaddr(vcpu);
	int i;

	if (index == MSR_MTRR_DEF_TYPE)
		return !(data & ~0xcffULL) && mtrr_type_valid(data & 0xff);
	if (index >= MSR_MTRR_PHYS_FIRST && index <= MSR_MTRR_PHYS_LAST) {
		if (index & 1)		/* PhysMask: bits 10:0 reserved */
			return !(data & (above | 0x7ffULL));
		return !(data & (above | 0xf00ULL)) &&
		       mtrr_type_valid(data & 0xff);
	}
	for (i = 0; i < 8; i++)		/* fixed: eight types */
		if (!mtrr_type_valid(data >> (8 * i)))
			return false;
	return true;
}

int hwvirt_get_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 *data)
{
	return hwvirt_get_msr_from(vcpu, index, data, false);
}

int hwvirt_get_msr_from(struct hwvirt_vcpu *vcpu, u32 index, u64 *data,
			bool from_guest)
{
	u64 *p;
	int i, r;

	r = hwvirt_apic_msr(vcpu, index, data, false, true);
	if (r != -ENOENT)
		return r ? -ENOENT : 0;
	r = hwvirt_pvclock_msr(vcpu, index, data, false, from_guest);
	if (r != -ENOENT)
		return r ? -ENOENT : 0;
	switch (index) {
	case MSR_TSC:
		*data = rdtsc() + hwvirt_tsc_offset(vcpu);
		return 0;
	case MSR_TSC_ADJUST:
		if (from_guest && !guest_cpuid_has(vcpu, 7, 1, 1))
			return -ENOENT;
		*data = vcpu->tsc_adjust;
		return 0;
	case MSR_APIC_BASE:
		*data = hwvirt_get_apic_base(vcpu);
		return 0;
	case MSR_MTRRCAP:
		*data = MTRRCAP_VALUE;
		return 0;
	case MSR_MTRR_DEF_TYPE:
		*data = vcpu->mtrr_def_type;
		return 0;
	case MSR_MTRR_PHYS_FIRST ... MSR_MTRR_PHYS_LAST:
		*data = vcpu->mtrr_var[index - MSR_MTRR_PHYS_FIRST];
		return 0;
	case MSR_MISC_ENABLE:
		*data = vcpu->misc_enable;
		return 0;
	case MSR_TSC_AUX:
		if (from_guest && !guest_has_tsc_aux(vcpu))
			return -ENOENT;
		*data = vcpu->tsc_aux;
		return 0;
	case MSR_K7_EVNTSEL0 ... MSR_K7_EVNTSEL3:
		if (!has_k7_perfctr())
			break;
		*data = vcpu->pmu_evtsel[index - MSR_K7_EVNTSEL0];
		return 0;
	case MSR_K7_PERFCTR0 ... MSR_K7_PERFCTR3:
		if (!has_k7_perfctr())
			break;
		*data = vcpu->pmu_ctr[index - MSR_K7_PERFCTR0];
		return 0;
	}
	p = mtrr_fixed_slot(vcpu, index);
	if (p) {
		*data = *p;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(msrs_zero); i++) {
		if (msrs_zero[i] == index) {
			*data = 0;
			return 0;
		}
	}
	return hwvirt_backend->get_msr(vcpu, index, data);
}

int hwvirt_set_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 data,
		   bool from_guest)
{
	u64 *p;
	int i, r;

	r = hwvirt_apic_msr(vcpu, index, &data, true, from_guest);
	if (r != -ENOENT)
		return r ? -ENOENT : 0;
	r = hwvirt_pvclock_msr(vcpu, index, &data, true, from_guest);
	if (r != -ENOENT)
		return r ? -ENOENT : 0;
	switch (index) {
	case MSR_TSC:
		/*
		 * The guest moves its own vCPU's TSC, and TSC_ADJUST by as
		 * much (SDM 17.17.3); userspace (reset, a restore) the VM's.
		 */
		if (from_guest) {
			s64 d = data - (rdtsc() + hwvirt_tsc_offset(vcpu));

			vcpu->tsc_delta += d;
			vcpu->tsc_adjust += d;
		} else {
			vcpu->vm->tsc_offset = data - rdtsc();
			vcpu->tsc_delta = 0;
		}
		return 0;
	case MSR_TSC_ADJUST:
		/* Userspace sets the register; the guest moves the TSC too. */
		if (from_guest) {
			if (!guest_cpuid_has(vcpu, 7, 1, 1))
				return -ENOENT;
			vcpu->tsc_delta += (s64)data - vcpu->tsc_adjust;
		}
		vcpu->tsc_adjust = data;
		return 0;
	case MSR_APIC_BASE:
		return hwvirt_set_apic_base(vcpu, data, from_guest) ? -ENOENT : 0;
	case MSR_MTRRCAP:
	case MSR_MCG_CAP:
		return from_guest ? -ENOENT : 0;	/* read-only */
	case MSR_MTRR_DEF_TYPE:
		if (!mtrr_valid(vcpu, index, data))
			return -ENOENT;
		vcpu->mtrr_def_type = data;
		return 0;
	case MSR_MTRR_PHYS_FIRST ... MSR_MTRR_PHYS_LAST:
		if (!mtrr_valid(vcpu, index, data))
			return -ENOENT;
		vcpu->mtrr_var[index - MSR_MTRR_PHYS_FIRST] = data;
		return 0;
	case MSR_MISC_ENABLE:
		vcpu->misc_enable = data;
		return 0;
	case MSR_TSC_AUX:
		if ((data >> 32) || (from_guest && !guest_has_tsc_aux(vcpu)))
			return -ENOENT;
		vcpu->tsc_aux = data;
		return 0;
	case MSR_K7_EVNTSEL0 ... MSR_K7_EVNTSEL3:
		if (!has_k7_perfctr())
			break;
		if (data & K7_EVNTSEL_RESERVED)
			return -ENOENT;
		vcpu->pmu_evtsel[index - MSR_K7_EVNTSEL0] = data;
		return 0;
	case MSR_K7_PERFCTR0 ... MSR_K7_PERFCTR3:
		if (!has_k7_perfctr())
			break;
		vcpu->pmu_ctr[index - MSR_K7_PERFCTR0] = data & K7_PERFCTR_MASK;
		return 0;
	}
	p = mtrr_fixed_slot(vcpu, index);
	if (p) {
		if (!mtrr_valid(vcpu, index, data))
			return -ENOENT;
		*p = data;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(msrs_zero); i++)
		if (msrs_zero[i] == index)
			return 0;
	if (index == MSR_EFER) {
		u64 old = hwvirt_backend->get_efer(vcpu);

		r = hwvirt_backend->set_msr(vcpu, index, data, from_guest);
		if (!r && ((old ^ hwvirt_backend->get_efer(vcpu)) &
			   (HV_EFER_NXE | HV_EFER_LMA | HV_EFER_LME)))
			hwvirt_paging_changed(vcpu);
		return r;
	}
	return hwvirt_backend->set_msr(vcpu, index, data, from_guest);
}

int hwvirt_set_xcr0(struct hwvirt_vcpu *vcpu, u64 xcr0)
{
	if (!(xcr0 & XCR0_FP) || (xcr0 & ~hwvirt_supported_xcr0))
		return -EINVAL;
	if ((xcr0 & XCR0_YMM) && !(xcr0 & XCR0_SSE))
		return -EINVAL;
	if ((xcr0 & XCR0_AVX512) &&
	    ((xcr0 & XCR0_AVX512) != XCR0_AVX512 || !(xcr0 & XCR0_YMM)))
		return -EINVAL;
	vcpu->xcr0 = xcr0;
	return 0;
}

/* ------------------------------------------------------------------------
 * Guest memory
 */

/*
 * Copy between guest-physical memory and buf, page by page, through the
 * memory slots.  to_guest selects the direction.
 */
static int access_gpa(struct hwvirt_vm *vm, u64 gpa, void *buf,
		      unsigned int len, bool to_guest)
{
	struct hwvirt_slots *slots;
	int idx, r = 0;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	while (len) {
		unsigned int chunk = min_t(unsigned int, len,
					   PAGE_SIZE - offset_in_page(gpa));
		const struct hwvirt_slot *slot;
		unsigned long hva;

		slot = hwvirt_slot_find(slots, gpa >> PAGE_SHIFT);
		if (!slot || (to_guest && (slot->flags & HWVIRT_MEM_READONLY))) {
			r = 1;
			break;
		}
		hva = slot->hva + (((gpa >> PAGE_SHIFT) - slot->base_gfn) << PAGE_SHIFT) +
		      offset_in_page(gpa);
		if (to_guest ? copy_to_user((void __user *)hva, buf, chunk) :
			       copy_from_user(buf, (void __user *)hva, chunk)) {
			r = -EFAULT;
			break;
		}
		if (to_guest)
			hwvirt_slot_mark_dirty(slot, gpa >> PAGE_SHIFT);
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int hwvirt_read_gpa(struct hwvirt_vm *vm, u64 gpa, void *buf,
		    unsigned int len)
{
	return access_gpa(vm, gpa, buf, len, false);
}

int hwvirt_write_gpa(struct hwvirt_vm *vm, u64 gpa, const void *buf,
		     unsigned int len)
{
	return access_gpa(vm, gpa, (void *)buf, len, true);
}

int hwvirt_guest_write_gpa(struct hwvirt_vcpu *vcpu, u64 gpa, const void *buf,
			   unsigned int len)
{
	int r = hwvirt_write_gpa(vcpu->vm, gpa, buf, len);

	if (!r)
		hwvirt_mmu_guest_wrote(vcpu, gpa, len);
	return r;
}

int hwvirt_cmpxchg_gpa(struct hwvirt_vm *vm, u64 gpa, u64 old, u64 new,
		       unsigned int len)
{
	const struct hwvirt_slot *slot;
	struct hwvirt_slots *slots;
	unsigned long hva;
	int idx, r = -1;

	/* One naturally aligned item, within a page. */
	if ((len != 1 && len != 2 && len != 4 && len != 8) || (gpa & (len - 1)))
		return -1;
	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	slot = hwvirt_slot_find(slots, gpa >> PAGE_SHIFT);
	if (!slot || (slot->flags & HWVIRT_MEM_READONLY))
		goto out;
	hva = slot->hva + (((gpa >> PAGE_SHIFT) - slot->base_gfn) << PAGE_SHIFT) +
	      offset_in_page(gpa);
	/* 0 done, 1 it differed, -EFAULT unreachable. */
	switch (len) {
	case 8: {
		u64 cur = old;

		r = __try_cmpxchg_user((u64 __user *)hva, &cur, new, efault8);
		break;
	}
	case 4: {
		u32 cur = old;

		r = __try_cmpxchg_user((u32 __user *)hva, &cur, (u32)new, efault4);
		break;
	}
	case 2: {
		u16 cur = old;

		r = __try_cmpxchg_user((u16 __user *)hva, &cur, (u16)new, efault2);
		break;
	}
	default: {
		u8 cur = old;

		r = __try_cmpxchg_user((u8 __user *)hva, &cur, (u8)new, efault1);
		break;
	}
	}
	if (r < 0)
		r = -1;
	else if (r == 0)
		hwvirt_slot_mark_dirty(slot, gpa >> PAGE_SHIFT);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* The walker's view of guest memory: the memory slots. */
static int walk_read(const struct hw_walk_ctx *ctx, u64 gpa, void *buf,
		     unsigned int len)
{
	struct hwvirt_vcpu *vcpu = ctx->opaque;

	return hwvirt_read_gpa(vcpu->vm, gpa, buf, len) ? -1 : 0;
}

static int walk_cmpxchg(const struct hw_walk_ctx *ctx, u64 gpa, u64 old,
			u64 new, unsigned int len)
{
	struct hwvirt_vcpu *vcpu = ctx->opaque;

	return hwvirt_cmpxchg_gpa(vcpu->vm, gpa, old, new, len);
}

static const struct hw_walk_ops walk_ops = {
	.read = walk_read,
	.cmpxchg = walk_cmpxchg,
};

/* The guest's MAXPHYADDR: its CPUID's, else the host's. */
static int guest_maxphyaddr(struct hwvirt_vcpu *vcpu)
{
	const struct hwvirt_cpuid_entry *e = find_cpuid(vcpu, 0x80000008, 0);

	if (e && (e->eax & 0xff) >= 32 && (e->eax & 0xff) <= 52)
		return e->eax & 0xff;
	return boot_cpu_data.x86_phys_bits;
}

void hwvirt_walk_ctx(struct hwvirt_vcpu *vcpu, struct hw_walk_ctx *ctx)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	const struct hwvirt_cpuid_entry *e = find_cpuid(vcpu, 0x80000001, 0);
	u64 cr0 = b->get_cr(vcpu, 0), cr4 = b->get_cr(vcpu, 4);
	u64 efer = b->get_efer(vcpu);

	memset(ctx, 0, sizeof(*ctx));
	ctx->ops = &walk_ops;
	ctx->opaque = vcpu;
	ctx->cr3 = b->get_cr(vcpu, 3);
	ctx->wp = cr0 & HV_CR0_WP;
	ctx->nx = efer & HV_EFER_NXE;
	ctx->pse = cr4 & HV_CR4_PSE;
	ctx->smep = cr4 & HV_CR4_SMEP;
	ctx->smap = cr4 & HV_CR4_SMAP;
	ctx->ac = vcpu->rflags & HV_RFLAGS_AC;
	ctx->gbpages = e && (e->edx & CPUID_80000001_EDX_GBPAGES);
	ctx->maxphyaddr = guest_maxphyaddr(vcpu);
	if (!(cr0 & HV_CR0_PG))
		ctx->mode = HW_PAGING_OFF;
	else if (efer & HV_EFER_LMA)
		ctx->mode = (cr4 & HV_CR4_LA57) ? HW_PAGING_LONG5 :
						  HW_PAGING_LONG4;
	else if (cr4 & HV_CR4_PAE)
		ctx->mode = HW_PAGING_PAE;
	else
		ctx->mode = HW_PAGING_32;
	if (ctx->mode == HW_PAGING_PAE)
		hwvirt_load_pdptes(vcpu, ctx->cr3, ctx->pdptes);
}

/*
 * PAE: the four PDPTEs CR3 points to.  The shadow MMU loads them when
 * CR3 is (a CPU caches them then); with nested paging the hardware walks
 * the guest's tables itself, and the emulator reads them as they are.
 */
int hwvirt_load_pdptes(struct hwvirt_vcpu *vcpu, u64 cr3, u64 *pdptes)
{
	if (vcpu->vm->mmu_mode == HWVIRT_MMU_SHADOW) {
		memcpy(pdptes, vcpu->pdptes, sizeof(vcpu->pdptes));
		return 0;
	}
	if (hwvirt_read_gpa(vcpu->vm, cr3 & 0xffffffe0ULL, pdptes, 32)) {
		memset(pdptes, 0, 32);
		return -EFAULT;
	}
	return 0;
}

u32 hwvirt_access_for(struct hwvirt_vcpu *vcpu, u32 access)
{
	if (hwvirt_backend->get_cpl(vcpu) == 3)
		access |= HV_PF_USER;
	return access;
}

int hwvirt_gva_to_gpa(struct hwvirt_vcpu *vcpu, u64 gva, u32 access,
		      u64 *gpa, u32 *pf_error)
{
	struct hw_walk_ctx ctx;
	struct hw_walk w;
	int r;

	hwvirt_walk_ctx(vcpu, &ctx);
	r = hw_walk(&ctx, gva, access, &w);
	if (r < 0)
		return -EFAULT;
	if (r > 0) {
		*pf_error = w.error;
		return 1;
	}
	*gpa = w.gpa;
	return 0;
}

/* ------------------------------------------------------------------------
 * Events
 */

/* #DE, #TS, #NP, #SS, #GP: two of them make a #DF. */
static bool exception_contributory(u8 vector)
{
	return vector == HV_VEC_DE || (vector >= 10 && vector <= 13);
}

void hwvirt_queue_exception(struct hwvirt_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error_code)
{
	struct hwvirt_event *ex = &vcpu->exception;

	if (ex->pending) {
		/* An exception while delivering one (SDM table 6-5). */
		if (ex->vector == HV_VEC_DF) {
			/* Triple fault: userspace resets the machine. */
			vcpu->triple_fault = true;
			ex->pending = false;
			return;
		}
		if ((exception_contributory(ex->vector) &&
		     exception_contributory(vector)) ||
		    (ex->vector == HV_VEC_PF &&
		     (vector == HV_VEC_PF || exception_contributory(vector)))) {
			vector = HV_VEC_DF;
			has_error = true;
			error_code = 0;
		}
		/* Else the two are handled one after the other: the new first. */
	}
	ex->pending = true;
	ex->vector = vector;
	ex->has_error = has_error;
	ex->error_code = error_code;
}

void hwvirt_queue_pf(struct hwvirt_vcpu *vcpu, u64 addr, u32 error_code)
{
	vcpu->cr2 = addr;
	hwvirt_queue_exception(vcpu, HV_VEC_PF, true, error_code);
}

bool hwvirt_interruptible(struct hwvirt_vcpu *vcpu)
{
	return (vcpu->rflags & HV_RFLAGS_IF) && !vcpu->interrupt_shadow;
}

/*
 * Userspace waits to inject an interrupt of its PIC: only worth an exit
 * when the APIC (if it is here) lets the PIC's interrupts in.
 */
bool hwvirt_user_irq_window(struct hwvirt_vcpu *vcpu)
{
	return vcpu->run->request_interrupt_window &&
	       hwvirt_apic_accepts_pic(vcpu);
}

/*
 * What to inject at this entry: an exception first, then an NMI, then an
 * external interrupt: the one queued (the PIC's, or an APIC vector whose
 * entry did not complete), else the in-kernel APIC's highest deliverable
 * one, which the CPU takes now (IRR to ISR).  *w says when the backend
 * must end guest mode to inject what has to wait: as soon as the guest
 * takes interrupts (for a queued interrupt, or because userspace asked),
 * or when it lowers its TPR.
 */
enum hwvirt_inject hwvirt_next_event(struct hwvirt_vcpu *vcpu,
				     struct hwvirt_window *w)
{
	int vector, blocked;

	w->irq = hwvirt_user_irq_window(vcpu);
	w->nmi = vcpu->nmi_pending &&
		 (vcpu->nmi_masked || vcpu->interrupt_shadow);
	w->tpr_below = -1;
	hwvirt_apic_tpr_to_cr8(vcpu);
	if (vcpu->exception.pending)
		return HWVIRT_INJECT_EXCEPTION;
	if (vcpu->nmi_pending && !vcpu->nmi_masked && !vcpu->interrupt_shadow)
		return HWVIRT_INJECT_NMI;
	if (vcpu->irq.pending) {
		if (hwvirt_interruptible(vcpu))
			return HWVIRT_INJECT_IRQ;
		w->irq = true;
		return HWVIRT_INJECT_NONE;
	}
	vector = hwvirt_apic_next_irq(vcpu, &blocked);
	if (vector >= 0) {
		if (!hwvirt_interruptible(vcpu)) {
			w->irq = true;
			return HWVIRT_INJECT_NONE;
		}
		hwvirt_apic_accept(vcpu, vector);
		vcpu->irq.pending = true;
		vcpu->irq.vector = vector;
		return HWVIRT_INJECT_IRQ;
	}
	if (blocked >= 0)
		w->tpr_below = blocked >> 4;
	return HWVIRT_INJECT_NONE;
}

/*
 * SVM's EXITINTINFO/EVENTINJ and VMX's IDT-vectoring/VM-entry
 * interruption information share their layout and their types 0
 * (interrupt), 2 (NMI) and 3 (exception).  INT n (4), and INT3, INTO,
 * INT1 (SVM: exceptions 3 and 4; VMX: types 5 and 6) leave RIP on their
 * instruction, which runs again and raises them with the right return
 * address: not queued.
 */
void hwvirt_requeue_info(struct hwvirt_vcpu *vcpu, u32 info, u32 err)
{
	u8 vector = info & HV_EVT_VECTOR_MASK;

	if (!(info & HV_EVT_VALID))
		return;
	switch (info & HV_EVT_TYPE_MASK) {
	case HV_EVT_TYPE_INTR:
		hwvirt_requeue_event(vcpu, HWVIRT_EVENT_TYPE_IRQ, vector,
				     false, 0);
		break;
	case HV_EVT_TYPE_NMI:
		hwvirt_requeue_event(vcpu, HWVIRT_EVENT_TYPE_NMI, vector,
				     false, 0);
		break;
	case HV_EVT_TYPE_EXCEPTION:
		if (vector == HV_VEC_BP || vector == HV_VEC_OF)
			break;
		hwvirt_requeue_event(vcpu, HWVIRT_EVENT_TYPE_EXCEPTION, vector,
				     info & HV_EVT_ERROR_VALID, err);
		break;
	}
}

void hwvirt_requeue_event(struct hwvirt_vcpu *vcpu, int type, u8 vector,
			  bool has_error, u32 error_code)
{
	switch (type) {
	case HWVIRT_EVENT_TYPE_IRQ:
		vcpu->irq.pending = true;
		vcpu->irq.vector = vector;
		break;
	case HWVIRT_EVENT_TYPE_NMI:
		vcpu->nmi_pending = true;
		vcpu->nmi_masked = false;
		break;
	case HWVIRT_EVENT_TYPE_EXCEPTION:
		vcpu->exception = (struct hwvirt_event) {
			.pending = true, .vector = vector,
			.has_error = has_error, .error_code = error_code,
		};
		break;
	}
}

/* ------------------------------------------------------------------------
 * Instructions
 */

enum hw_cpu_mode hwvirt_cpu_mode(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_segment cs;

	if (!(hwvirt_backend->get_cr(vcpu, 0) & HV_CR0_PE) ||
	    (vcpu->rflags & HV_RFLAGS_VM))
		return HW_MODE_16;
	hwvirt_backend->get_segment(vcpu, HW_CS, &cs);
	if ((hwvirt_backend->get_efer(vcpu) & HV_EFER_LMA) && cs.l)
		return HW_MODE_64;
	return cs.db ? HW_MODE_32 : HW_MODE_16;
}

/* Segment base + offset, as the guest's mode computes a linear address. */
static u64 linear_address(struct hwvirt_vcpu *vcpu, int seg, u64 offset,
			  enum hw_cpu_mode mode)
{
	struct hwvirt_segment s;

	if (mode == HW_MODE_64 && seg != HW_FS && seg != HW_GS)
		return offset;
	hwvirt_backend->get_segment(vcpu, seg, &s);
	if (mode == HW_MODE_64)
		return s.base + offset;
	return (s.base + offset) & 0xffffffffULL;
}

int hwvirt_internal_error(struct hwvirt_vcpu *vcpu, u32 suberror,
			  u64 exit_code, u64 info1, u64 info2, u64 gpa)
{
	struct hwvirt_run *run = vcpu->run;
	u8 insn[HW_MAX_INSN_LEN];
	unsigned int n;
	u64 lin, ipa;
	u32 err;

	run->exit_reason = HWVIRT_EXIT_INTERNAL_ERROR;
	memset(&run->internal, 0, sizeof(run->internal));
	run->internal.suberror = suberror;
	run->internal.exit_code = exit_code;
	run->internal.exit_info1 = info1;
	run->internal.exit_info2 = info2;
	run->internal.rip = vcpu->rip;
	run->internal.gpa = gpa;

	/* The instruction bytes, as far as they can be read. */
	lin = linear_address(vcpu, HW_CS, vcpu->rip, hwvirt_cpu_mode(vcpu));
	for (n = 0; n < sizeof(insn); n++) {
		if (hwvirt_gva_to_gpa(vcpu, lin + n,
				      hwvirt_access_for(vcpu, HV_PF_FETCH),
				      &ipa, &err) ||
		    hwvirt_read_gpa(vcpu->vm, ipa, &insn[n], 1))
			break;
	}
	memcpy(run->internal.insn, insn, n);
	run->internal.insn_len = n;
	return HWVIRT_USER;
}

int hwvirt_decode_at_rip(struct hwvirt_vcpu *vcpu, struct hw_insn *insn)
{
	enum hw_cpu_mode mode = hwvirt_cpu_mode(vcpu);
	u64 lin = linear_address(vcpu, HW_CS, vcpu->rip, mode);
	u8 buf[HW_MAX_INSN_LEN];
	unsigned int n = 0;
	int r;

	/* Read up to 15 bytes, stopping where the next page is unreachable. */
	while (n < sizeof(buf)) {
		unsigned int chunk = min_t(unsigned int, sizeof(buf) - n,
					   PAGE_SIZE - offset_in_page(lin + n));
		u64 gpa;
		u32 err;

		r = hwvirt_gva_to_gpa(vcpu, lin + n,
				      hwvirt_access_for(vcpu, HV_PF_FETCH),
				      &gpa, &err);
		if (r || hwvirt_read_gpa(vcpu->vm, gpa, buf + n, chunk))
			break;
		n += chunk;
	}
	if (!n)
		return -HW_E_TRUNCATED;
	return hw_decode(insn, buf, n, mode);
}

/*
 * Advance RIP past the instruction at CS:RIP.  Backends without the next
 * RIP in hardware (SVM without NRIPS) call this for the exits that leave
 * RIP on the instruction.
 */
int hwvirt_skip_insn(struct hwvirt_vcpu *vcpu)
{
	struct hw_insn insn;
	int r = hwvirt_decode_at_rip(vcpu, &insn);

	if (r && !(r == -HW_E_UNSUPPORTED && insn.len))
		return -EIO;
	vcpu->rip += insn.len;
	if (hwvirt_cpu_mode(vcpu) != HW_MODE_64)
		vcpu->rip &= 0xffffffffULL;
	return 0;
}

/* ------------------------------------------------------------------------
 * Port I/O
 */

static void *pio_data(struct hwvirt_vcpu *vcpu)
{
	return (u8 *)vcpu->run + HWVIRT_PIO_DATA_OFFSET;
}

static void set_pio_exit(struct hwvirt_vcpu *vcpu, u16 port,
			 unsigned int size, bool in, u32 count)
{
	struct hwvirt_run *run = vcpu->run;

	run->exit_reason = HWVIRT_EXIT_IO;
	run->io.direction = in ? HWVIRT_IO_IN : HWVIRT_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = count;
	run->io.data_offset = HWVIRT_PIO_DATA_OFFSET;
}


/*
 * INS/OUTS: move as many elements as fit in one page of guest memory and
 * in the run page, then exit; REP with elements left re-executes the
 * instruction, which exits again.
 */
static int handle_string_pio(struct hwvirt_vcpu *vcpu, u16 port,
			     unsigned int size, bool in, u64 next_rip)
{
	enum hw_cpu_mode mode = hwvirt_cpu_mode(vcpu);
	struct hw_insn *insn = &vcpu->completion_insn;
	bool df = vcpu->rflags & (1ULL << 10);
	u64 count, lin, gpa, offset;
	u32 err, access;
	int r, reg;

	r = hwvirt_decode_at_rip(vcpu, insn);
	if (r || (insn->op != HW_OP_INS && insn->op != HW_OP_OUTS))
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     0, port, next_rip, 0);
	count = 1;
	if (insn->rep) {
		count = vcpu->regs[HW_RCX] & hw_addr_mask(insn->addrsize);
		if (!count) {
			vcpu->rip = next_rip;
			return HWVIRT_RESUME;
		}
	}
	reg = in ? HW_RDI : HW_RSI;
	offset = vcpu->regs[reg] & hw_addr_mask(insn->addrsize);
	lin = linear_address(vcpu, in ? HW_ES : insn->mem_seg, offset, mode);

	/* Stay within this page of guest memory, and the data buffer. */
	if (df)
		count = 1;
	count = min_t(u64, count, (PAGE_SIZE - offset_in_page(lin)) / size);
	count = min_t(u64, count, HWVIRT_PIO_DATA_MAX / size);
	if (!count)
		count = 1;	/* an element across pages: one at a time */

	access = hwvirt_access_for(vcpu, in ? HV_PF_WRITE : 0);
	r = hwvirt_gva_to_gpa(vcpu, lin, access, &gpa, &err);
	if (r < 0)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY, 0,
					     port, lin, 0);
	if (r > 0) {
		hwvirt_queue_pf(vcpu, lin, err);
		return HWVIRT_RESUME;
	}

	if (!in) {
		r = hwvirt_read_gpa(vcpu->vm, gpa, pio_data(vcpu), count * size);
		if (r)
			return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY,
						     0, port, lin, gpa);
	}
	set_pio_exit(vcpu, port, size, in, count);

	/* The register updates; for INS they wait for the data. */
	vcpu->completion = HWVIRT_COMPLETE_PIO_STRING;
	vcpu->completion_next_rip = next_rip;
	vcpu->mmio_read_gpa = gpa;
	vcpu->mmio_read_len = count * size;
	if (!in)
		return hwvirt_complete_userspace(vcpu) < 0 ? -EIO : HWVIRT_USER;
	return HWVIRT_USER;
}

/* Finish a string I/O once its data moved. */
static int complete_string_pio(struct hwvirt_vcpu *vcpu)
{
	struct hw_insn *insn = &vcpu->completion_insn;
	struct hwvirt_run *run = vcpu->run;
	bool df = vcpu->rflags & (1ULL << 10);
	u32 bytes = run->io.count * run->io.size;
	s64 delta = df ? -(s64)bytes : (s64)bytes;
	int reg = insn->op == HW_OP_INS ? HW_RDI : HW_RSI;

	if (insn->op == HW_OP_INS &&
	    hwvirt_guest_write_gpa(vcpu, vcpu->mmio_read_gpa, pio_data(vcpu),
			     bytes))
		return -EFAULT;
	hw_add_addr_reg(vcpu->regs, reg, insn->addrsize, delta);
	if (insn->rep) {
		hw_add_addr_reg(vcpu->regs, HW_RCX, insn->addrsize, -(s64)run->io.count);
		if (vcpu->regs[HW_RCX] & hw_addr_mask(insn->addrsize))
			return 0;	/* run the instruction again */
	}
	vcpu->rip = vcpu->completion_next_rip;
	return 0;
}

int hwvirt_handle_pio(struct hwvirt_vcpu *vcpu, u16 port, unsigned int size,
		      bool in, bool string, u64 next_rip)
{
	vcpu->stat[HWVIRT_STAT_EXIT_IO]++;
	if (size != 1 && size != 2 && size != 4)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     0, port, next_rip, 0);
	if (string)
		return handle_string_pio(vcpu, port, size, in, next_rip);

	if (!in && hwvirt_ioeventfd_write(vcpu, true, port, size,
					  vcpu->regs[HW_RAX])) {
		vcpu->rip = next_rip;
		return HWVIRT_RESUME;
	}
	set_pio_exit(vcpu, port, size, in, 1);
	if (in) {
		vcpu->completion = HWVIRT_COMPLETE_PIO_IN;
		vcpu->completion_next_rip = next_rip;
	} else {
		memcpy(pio_data(vcpu), &vcpu->regs[HW_RAX], size);
		vcpu->rip = next_rip;
	}
	return HWVIRT_USER;
}

/* ------------------------------------------------------------------------
 * MMIO
 *
 * An access to guest-physical memory that no slot backs (or a write to a
 * read-only slot).  The instruction is decoded and run by hw_emulate()
 * (emulate.c) through the operations below; each access to MMIO, 8 bytes
 * at most, is an exit to userspace.  Emulation restarts from the decoded
 * instruction after userspace answers a read (the answers are kept in
 * vcpu->mmio_answers), so every instruction does its reads first and its
 * register updates last.
 */

struct hwvirt_emul {
	struct hw_emul e;
	struct hwvirt_vcpu *vcpu;
	unsigned int reads;		/* MMIO reads made in this pass */
};

static struct hwvirt_emul *to_hwvirt_emul(struct hw_emul *e)
{
	return container_of(e, struct hwvirt_emul, e);
}

/*
 * Read size bytes at gpa: RAM directly, MMIO through userspace, 8 bytes
 * an exit.  The answers userspace gave in earlier passes over this
 * instruction are in vcpu->mmio_answers, in the order the reads are made.
 */
static int emul_read(struct hw_emul *e, u64 gpa, unsigned int size, void *val)
{
	struct hwvirt_emul *he = to_hwvirt_emul(e);
	struct hwvirt_vcpu *vcpu = he->vcpu;
	struct hwvirt_run *run = vcpu->run;
	unsigned int off, n;
	u64 v;
	int r;

	memset(val, 0, size);
	r = hwvirt_read_gpa(vcpu->vm, gpa, val, size);
	if (r <= 0)
		return r ? -EFAULT : 0;
	/* Devices in the module: the local APIC. */
	if (size <= 8 && !hwvirt_apic_mmio(vcpu, gpa, size, val, false))
		return 0;
	for (off = 0; off < size; off += n) {
		n = min(size - off, 8u);
		if (he->reads < vcpu->mmio_nr_answers) {
			v = vcpu->mmio_answers[he->reads++];
			memcpy(val + off, &v, n);
			continue;
		}
		if (vcpu->mmio_nr_answers == ARRAY_SIZE(vcpu->mmio_answers))
			return -EOPNOTSUPP;
		run->exit_reason = HWVIRT_EXIT_MMIO;
		run->mmio.phys_addr = gpa + off;
		run->mmio.len = n;
		run->mmio.is_write = 0;
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		vcpu->completion = HWVIRT_COMPLETE_MMIO;
		vcpu->mmio_read_gpa = gpa + off;
		vcpu->mmio_read_len = n;
		return 1;
	}
	return 0;
}

/* An exit to userspace for an n-byte MMIO write of data at gpa. */
static void mmio_write_exit(struct hwvirt_vcpu *vcpu, u64 gpa, unsigned int n,
			    const void *data)
{
	struct hwvirt_run *run = vcpu->run;

	run->exit_reason = HWVIRT_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = n;
	run->mmio.is_write = 1;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	memcpy(run->mmio.data, data, n);
}

/*
 * Write size bytes at gpa: RAM directly; MMIO to userspace, 8 bytes an
 * exit (1): the first now, the rest queued in vcpu->mmio_write_* for the
 * HWVIRT_RUNs that follow.
 */
static int emul_write(struct hw_emul *e, u64 gpa, unsigned int size,
		      const void *val)
{
	struct hwvirt_vcpu *vcpu = to_hwvirt_emul(e)->vcpu;
	u64 v = 0;
	int r = hwvirt_guest_write_gpa(vcpu, gpa, val, size);

	if (r <= 0)
		return r ? -EFAULT : 0;
	if (size <= 8) {
		memcpy(&v, val, size);
		if (!hwvirt_apic_mmio(vcpu, gpa, size, &v, true))
			return 0;
		if (hwvirt_ioeventfd_write(vcpu, false, gpa, size, v))
			return 0;
	}
	mmio_write_exit(vcpu, gpa, min(size, 8u), val);
	if (size > 8) {
		vcpu->mmio_write_gpa = gpa + 8;
		vcpu->mmio_write_len = size - 8;
		memcpy(vcpu->mmio_write_data, val + 8, size - 8);
		vcpu->completion = HWVIRT_COMPLETE_MMIO_WRITE;
	}
	return 1;
}

/*
 * The write of a read-modify-write instruction (LOCK'd or not): to RAM,
 * a compare-and-exchange with what was read, so that another vCPU's
 * write in between is not lost (-EAGAIN: the guest runs the instruction
 * again); to MMIO, or unaligned, a plain write.
 */
static int emul_rmw_write(struct hw_emul *e, u64 gpa, unsigned int size,
			  u64 old, u64 new)
{
	struct hwvirt_vcpu *vcpu = to_hwvirt_emul(e)->vcpu;
	int r = hwvirt_cmpxchg_gpa(vcpu->vm, gpa, old, new, size);

	if (r == 0) {
		hwvirt_mmu_guest_wrote(vcpu, gpa, size);
		return 0;
	}
	if (r > 0)
		return -EAGAIN;
	return emul_write(e, gpa, size, &new);
}

/* Translate a string or stack operand; 1 means a #PF was queued. */
static int emul_translate(struct hw_emul *e, int seg, u64 off, bool write,
			  u64 *gpa)
{
	struct hwvirt_vcpu *vcpu = to_hwvirt_emul(e)->vcpu;
	u64 lin = linear_address(vcpu, seg, off, e->insn->mode);
	u32 access = hwvirt_access_for(vcpu, write ? HV_PF_WRITE : 0);
	u32 err;
	int r;

	/* 64-bit mode: a non-canonical address is #GP(0), #SS(0) for SS. */
	if (e->insn->mode == HW_MODE_64 && !hwvirt_is_canonical(lin)) {
		hwvirt_queue_exception(vcpu, seg == HW_SS ? HV_VEC_SS : HV_VEC_GP,
				       true, 0);
		return 1;
	}
	r = hwvirt_gva_to_gpa(vcpu, lin, access, gpa, &err);
	if (r > 0)
		hwvirt_queue_pf(vcpu, lin, err);
	return r;
}

/*
 * The guest's XMM registers are this thread's FPU state while it is in
 * HWVIRT_RUN (fpu_swap_kvm_fpstate()): in the CPU's registers, once a
 * preemption's lazy restore is forced.
 */
typedef struct { u8 b[16]; } hwvirt_xmm_t;

static void read_xmm(unsigned int n, hwvirt_xmm_t *v)
{
	switch (n) {
	case 0:
		asm volatile("movdqu %%xmm0, %0" : "=m"(*v));
		break;
	case 1:
		asm volatile("movdqu %%xmm1, %0" : "=m"(*v));
		break;
	case 2:
		asm volatile("movdqu %%xmm2, %0" : "=m"(*v));
		break;
	case 3:
		asm volatile("movdqu %%xmm3, %0" : "=m"(*v));
		break;
	case 4:
		asm volatile("movdqu %%xmm4, %0" : "=m"(*v));
		break;
	case 5:
		asm volatile("movdqu %%xmm5, %0" : "=m"(*v));
		break;
	case 6:
		asm volatile("movdqu %%xmm6, %0" : "=m"(*v));
		break;
	case 7:
		asm volatile("movdqu %%xmm7, %0" : "=m"(*v));
		break;
	case 8:
		asm volatile("movdqu %%xmm8, %0" : "=m"(*v));
		break;
	case 9:
		asm volatile("movdqu %%xmm9, %0" : "=m"(*v));
		break;
	case 10:
		asm volatile("movdqu %%xmm10, %0" : "=m"(*v));
		break;
	case 11:
		asm volatile("movdqu %%xmm11, %0" : "=m"(*v));
		break;
	case 12:
		asm volatile("movdqu %%xmm12, %0" : "=m"(*v));
		break;
	case 13:
		asm volatile("movdqu %%xmm13, %0" : "=m"(*v));
		break;
	case 14:
		asm volatile("movdqu %%xmm14, %0" : "=m"(*v));
		break;
	case 15:
		asm volatile("movdqu %%xmm15, %0" : "=m"(*v));
		break;
	}
}

static void write_xmm(unsigned int n, const hwvirt_xmm_t *v)
{
	switch (n) {
	case 0:
		asm volatile("movdqu %0, %%xmm0" : : "m"(*v));
		break;
	case 1:
		asm volatile("movdqu %0, %%xmm1" : : "m"(*v));
		break;
	case 2:
		asm volatile("movdqu %0, %%xmm2" : : "m"(*v));
		break;
	case 3:
		asm volatile("movdqu %0, %%xmm3" : : "m"(*v));
		break;
	case 4:
		asm volatile("movdqu %0, %%xmm4" : : "m"(*v));
		break;
	case 5:
		asm volatile("movdqu %0, %%xmm5" : : "m"(*v));
		break;
	case 6:
		asm volatile("movdqu %0, %%xmm6" : : "m"(*v));
		break;
	case 7:
		asm volatile("movdqu %0, %%xmm7" : : "m"(*v));
		break;
	case 8:
		asm volatile("movdqu %0, %%xmm8" : : "m"(*v));
		break;
	case 9:
		asm volatile("movdqu %0, %%xmm9" : : "m"(*v));
		break;
	case 10:
		asm volatile("movdqu %0, %%xmm10" : : "m"(*v));
		break;
	case 11:
		asm volatile("movdqu %0, %%xmm11" : : "m"(*v));
		break;
	case 12:
		asm volatile("movdqu %0, %%xmm12" : : "m"(*v));
		break;
	case 13:
		asm volatile("movdqu %0, %%xmm13" : : "m"(*v));
		break;
	case 14:
		asm volatile("movdqu %0, %%xmm14" : : "m"(*v));
		break;
	case 15:
		asm volatile("movdqu %0, %%xmm15" : : "m"(*v));
		break;
	}
}

static void emul_get_xmm(struct hw_emul *e, unsigned int n, void *val)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	read_xmm(n, val);
	fpregs_unlock();
}

static void emul_set_xmm(struct hw_emul *e, unsigned int n, const void *val)
{
	fpregs_lock();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	write_xmm(n, val);
	fpregs_unlock();
}

static void emul_exception(struct hw_emul *e, int vector, u32 error)
{
	hwvirt_queue_exception(to_hwvirt_emul(e)->vcpu, vector, true, error);
}

static const struct hw_emul_ops hwvirt_emul_ops = {
	.read = emul_read,
	.write = emul_write,
	.rmw_write = emul_rmw_write,
	.translate = emul_translate,
	.exception = emul_exception,
	.get_xmm = emul_get_xmm,
	.set_xmm = emul_set_xmm,
};

/* The register operand of insn (ModRM reg, or rAX for moffs forms). */
static u64 reg_operand_of(struct hwvirt_vcpu *vcpu, const struct hw_insn *insn,
			  unsigned int size)
{
	return hw_reg_read(vcpu->regs, insn->reg_operand, size,
			   insn->reg_is_high_byte);
}

/*
 * Run vcpu->completion_insn, its memory operand at gpa, on the vCPU's
 * registers: as hw_emulate() returns.
 */
static int emulate(struct hwvirt_vcpu *vcpu, u64 gpa)
{
	struct hwvirt_emul he = {
		.e = {
			.ops = &hwvirt_emul_ops,
			.insn = &vcpu->completion_insn,
			.gprs = vcpu->regs,
			.rip = vcpu->rip,
			.rflags = vcpu->rflags,
			.mem_gpa = gpa,
		},
		.vcpu = vcpu,
	};
	struct hwvirt_segment ss;
	int r;

	if (he.e.insn->mode == HW_MODE_64) {
		he.e.stack_size = 8;
	} else {
		hwvirt_backend->get_segment(vcpu, HW_SS, &ss);
		he.e.stack_size = ss.db ? 4 : 2;
	}
	r = hw_emulate(&he.e);
	if (r >= 0) {
		vcpu->rip = he.e.rip;
		vcpu->rflags = he.e.rflags;
	}
	return r;
}

u64 hwvirt_insn_linear(struct hwvirt_vcpu *vcpu, const struct hw_insn *insn)
{
	u64 off = hw_effective_address(insn, vcpu->regs, vcpu->rip + insn->len);

	return linear_address(vcpu, insn->mem_seg,
			      off & hw_addr_mask(insn->addrsize), insn->mode);
}

int hwvirt_insn_mem(struct hwvirt_vcpu *vcpu, const struct hw_insn *insn,
		    void *buf, unsigned int len, bool write)
{
	u64 lin = hwvirt_insn_linear(vcpu, insn);
	u32 access = hwvirt_access_for(vcpu, write ? HV_PF_WRITE : 0), err;
	u64 gpa;
	int r;

	r = hwvirt_gva_to_gpa(vcpu, lin, access, &gpa, &err);
	if (r > 0) {
		hwvirt_queue_pf(vcpu, lin, err);
		return 1;
	}
	if (r < 0 || offset_in_page(gpa) + len > PAGE_SIZE)
		return -EFAULT;
	r = write ? hwvirt_guest_write_gpa(vcpu, gpa, buf, len) :
		    hwvirt_read_gpa(vcpu->vm, gpa, buf, len);
	return r ? -EFAULT : 0;
}

/* Emulate the decoded vcpu->completion_insn, its memory operand at gpa. */
static int emulate_decoded(struct hwvirt_vcpu *vcpu, u64 gpa)
{
	int r;

	vcpu->mmio_fault_gpa = gpa;
	vcpu->mmio_nr_answers = 0;
	r = emulate(vcpu, gpa);
	if (r == -EAGAIN) {
		/* Memory changed under a read-modify-write: run it again. */
		vcpu->completion = HWVIRT_COMPLETE_NONE;
		return HWVIRT_RESUME;
	}
	if (r < 0)
		return r;
	if (r == 0)
		vcpu->completion = HWVIRT_COMPLETE_NONE;
	return r ? HWVIRT_USER : HWVIRT_RESUME;
}

/* The linear address of a decoded instruction's size-byte memory operand. */
static u64 mem_operand_linear(struct hwvirt_vcpu *vcpu,
			      const struct hw_insn *insn, unsigned int size)
{
	u64 off = hw_effective_address(insn, vcpu->regs, vcpu->rip + insn->len);

	if (insn->op == HW_OP_BITOP && !insn->has_imm)
		off += hw_bitop_displacement(reg_operand_of(vcpu, insn, size),
					     size);
	/* POP computes its address with rSP already incremented. */
	if (insn->op == HW_OP_POP && insn->base == HW_RSP)
		off += size;
	return linear_address(vcpu, insn->mem_seg,
			      off & hw_addr_mask(insn->addrsize), insn->mode);
}

/*
 * An access that crosses into the next page.  The exit came for one of
 * the two pages (the faulting gpa may be the second's); both must be
 * mapped, or the instruction takes the #PF (CR2 the address that does
 * not translate) and does nothing.  0 with *gpa the operand's first
 * byte; 1 with the #PF queued; -EOPNOTSUPP when the two pages are not
 * contiguous guest-physical memory (the emulator's accesses are).
 */
static int page_cross(struct hwvirt_vcpu *vcpu, const struct hw_insn *insn,
		      u64 *gpa)
{
	unsigned int size = hw_mem_access_size(insn);
	u64 lin, lin2, gpa1, gpa2;
	u32 access, err;
	int r;

	if (!size)
		return 0;
	lin = mem_operand_linear(vcpu, insn, size);
	if (offset_in_page(lin) + size <= PAGE_SIZE)
		return 0;
	lin2 = (lin & PAGE_MASK) + PAGE_SIZE;
	if (insn->mode != HW_MODE_64)
		lin2 = (u32)lin2;
	access = hwvirt_access_for(vcpu, insn->mem_is_dst ? HV_PF_WRITE : 0);
	r = hwvirt_gva_to_gpa(vcpu, lin, access, &gpa1, &err);
	if (!r) {
		lin = lin2;
		r = hwvirt_gva_to_gpa(vcpu, lin2, access, &gpa2, &err);
	}
	if (r < 0)
		return r;
	if (r) {
		hwvirt_queue_pf(vcpu, lin, err);
		return 1;
	}
	if (gpa2 != (gpa1 & PAGE_MASK) + PAGE_SIZE)
		return -EOPNOTSUPP;
	*gpa = gpa1;
	return 0;
}

/*
 * The steps of a guest entry both backends take, around their own (see
 * x86.h).  With interrupts disabled.
 */
bool hwvirt_enter_begin(struct hwvirt_vcpu *vcpu)
{
	/*
	 * Announce that we are entering, then look for work: a thread that
	 * posts a request after our check sees IN_GUEST and kicks us, on
	 * the CPU recorded here first.
	 */
	WRITE_ONCE(vcpu->cpu, smp_processor_id());
	/* Pairs with the kick's check of mode after it sets a request. */
	smp_store_mb(vcpu->mode, HWVIRT_IN_GUEST);
	if (need_resched() || signal_pending(current) ||
	    READ_ONCE(vcpu->requests)) {
		vcpu->mode = HWVIRT_OUTSIDE_GUEST;
		return false;
	}
	/*
	 * The guest's FPU state is the task's (fpu_swap_kvm_fpstate() at
	 * HWVIRT_RUN), but after a preemption inside the run loop the
	 * registers hold whatever ran meanwhile until the state is loaded
	 * back, which the kernel does lazily, on the way to userspace: load
	 * it now.
	 */
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	if (hwvirt_host_has_tsc_aux)
		hwvirt_uret_load(HWVIRT_URET_TSC_AUX, vcpu->tsc_aux);
	return true;
}

bool hwvirt_enter_guest_xcr0(struct hwvirt_vcpu *vcpu, u64 cr4)
{
	if (!hwvirt_host_xcr0 || !(cr4 & HV_CR4_OSXSAVE) ||
	    vcpu->xcr0 == hwvirt_host_xcr0)
		return false;
	xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	return true;
}

void hwvirt_enter_breakpoints(const u64 db[4], u64 dr7)
{
	/* The guest's breakpoint addresses, while its DR7 enables any. */
	if (dr7 & HV_DR7_ENABLES) {
		set_debugreg(db[0], 0);
		set_debugreg(db[1], 1);
		set_debugreg(db[2], 2);
		set_debugreg(db[3], 3);
	}
}

void hwvirt_enter_end(struct hwvirt_vcpu *vcpu, bool xcr0_switched)
{
	if (xcr0_switched)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, hwvirt_host_xcr0);
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	vcpu->mode = HWVIRT_OUTSIDE_GUEST;
}

/*
 * INVPCID, intercepted under shadow paging: after the checks the CPU
 * makes, the shadow MMU syncs what the guest flushes (one address, or
 * everything), and the CPU's TLB goes.  HWVIRT_RESUME, or -EOPNOTSUPP
 * when the instruction cannot be read.
 */
int hwvirt_emulate_invpcid(struct hwvirt_vcpu *vcpu)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	struct { u64 pcid, addr; } desc;
	struct hw_insn insn;
	u64 type;
	int r;

	if (hwvirt_decode_at_rip(vcpu, &insn) ||
	    insn.opcode != HW_OPCODE_0F38(0x82) || !insn.has_mem)
		return -EOPNOTSUPP;
	type = vcpu->regs[insn.reg];
	if (insn.mode != HW_MODE_64)
		type = (u32)type;
	r = hwvirt_insn_mem(vcpu, &insn, &desc, sizeof(desc), false);
	if (r > 0)
		return HWVIRT_RESUME;
	if (r < 0)
		return -EOPNOTSUPP;
	if (type > 3 || (type <= 1 && (desc.pcid >> 12)) ||
	    (type == 0 && !hwvirt_is_canonical(desc.addr)) ||
	    (type <= 1 && (desc.pcid & 0xfff) &&
	     !(b->get_cr(vcpu, 4) & HV_CR4_PCIDE))) {
		hwvirt_queue_exception(vcpu, HV_VEC_GP, true, 0);
		return HWVIRT_RESUME;
	}
	/* No PCIDs in the CPU: a flush of one PCID flushes them all. */
	vcpu->stat[HWVIRT_STAT_INVLPG_EXITS]++;
	if (type == 0)
		hwvirt_shadow_invlpg(vcpu, desc.addr);
	else
		hwvirt_shadow_flush_guest_tlb(vcpu);
	b->flush_tlb(vcpu);
	vcpu->rip += insn.len;
	vcpu->interrupt_shadow = false;
	return HWVIRT_RESUME;
}

int hwvirt_emulate_access(struct hwvirt_vcpu *vcpu, u64 gpa)
{
	int r;

	if (hwvirt_decode_at_rip(vcpu, &vcpu->completion_insn))
		return -EOPNOTSUPP;
	r = page_cross(vcpu, &vcpu->completion_insn, &gpa);
	if (r)
		return r < 0 ? r : HWVIRT_RESUME;
	return emulate_decoded(vcpu, gpa);
}

int hwvirt_emulate_write_fault(struct hwvirt_vcpu *vcpu, u64 gva, u64 gpa)
{
	struct hw_insn *insn = &vcpu->completion_insn;
	unsigned int size;
	u64 off, lin;

	if (hwvirt_decode_at_rip(vcpu, insn) || !insn->mem_is_dst)
		return -EOPNOTSUPP;
	size = insn->op == HW_OP_CMPXCHG8B ? 8 : insn->opsize;
	/* Where the instruction writes: it must be the page that faulted. */
	switch (insn->op) {
	case HW_OP_STOS:
	case HW_OP_MOVS:
		off = vcpu->regs[HW_RDI] & hw_addr_mask(insn->addrsize);
		lin = linear_address(vcpu, HW_ES, off, insn->mode);
		break;
	default:
		if (!insn->has_mem)
			return -EOPNOTSUPP;
		lin = mem_operand_linear(vcpu, insn, size);
		break;
	}
	if ((lin >> PAGE_SHIFT) != (gva >> PAGE_SHIFT) ||
	    offset_in_page(lin) + size > PAGE_SIZE)
		return -EOPNOTSUPP;
	return emulate_decoded(vcpu, (gpa & PAGE_MASK) | offset_in_page(lin));
}

int hwvirt_handle_mmio(struct hwvirt_vcpu *vcpu, u64 gpa)
{
	int r;

	vcpu->stat[HWVIRT_STAT_EXIT_MMIO]++;
	r = hwvirt_emulate_access(vcpu, gpa);
	if (r == -EOPNOTSUPP)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					     0, 0, gpa, gpa);
	if (r < 0)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY,
					     0, 0, gpa, gpa);
	return r;
}

/*
 * The instruction at the exit's RIP completed in software: the CPU would
 * have raised the single-step trap after it (TF), so the module does.
 * Not when it raised an exception instead.
 */
void hwvirt_insn_completed(struct hwvirt_vcpu *vcpu)
{
	if (!(vcpu->rflags & HV_RFLAGS_TF) || vcpu->exception.pending ||
	    !hwvirt_backend->single_step)
		return;
	hwvirt_backend->single_step(vcpu);
	hwvirt_queue_exception(vcpu, HV_VEC_DB, false, 0);
}

/*
 * At HWVIRT_RUN: finish what the last exit left to userspace.  Returns 0
 * to enter the guest, 1 when the completion itself exits to userspace
 * again (the write of a read-modify-write on MMIO, an internal error:
 * run->exit_reason says), or a negative errno.
 */
int hwvirt_complete_userspace(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_run *run = vcpu->run;
	enum hwvirt_pending_completion c = vcpu->completion;
	u64 val = 0;
	int r;

	vcpu->completion = HWVIRT_COMPLETE_NONE;
	switch (c) {
	case HWVIRT_COMPLETE_NONE:
		return 0;
	case HWVIRT_COMPLETE_PIO_IN:
		memcpy(&val, pio_data(vcpu), run->io.size);
		hw_reg_write(vcpu->regs, HW_RAX, run->io.size, false, val);
		vcpu->rip = vcpu->completion_next_rip;
		return 0;
	case HWVIRT_COMPLETE_PIO_STRING:
		return complete_string_pio(vcpu);
	case HWVIRT_COMPLETE_MMIO_WRITE: {
		/* The next 8 bytes of a wide write to MMIO. */
		unsigned int n = min(vcpu->mmio_write_len, 8u);

		mmio_write_exit(vcpu, vcpu->mmio_write_gpa, n,
				vcpu->mmio_write_data);
		vcpu->mmio_write_gpa += n;
		vcpu->mmio_write_len -= n;
		memmove(vcpu->mmio_write_data, vcpu->mmio_write_data + n,
			vcpu->mmio_write_len);
		if (vcpu->mmio_write_len)
			vcpu->completion = HWVIRT_COMPLETE_MMIO_WRITE;
		return 1;
	}
	case HWVIRT_COMPLETE_MMIO:
		memcpy(&val, run->mmio.data, min_t(u32, vcpu->mmio_read_len, 8));
		vcpu->mmio_answers[vcpu->mmio_nr_answers++] = val;
		r = emulate(vcpu, vcpu->mmio_fault_gpa);
		if (r == -EAGAIN)
			return 0;	/* run the instruction again */
		if (r < 0) {
			hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION,
					      0, 0, vcpu->mmio_fault_gpa,
					      vcpu->mmio_fault_gpa);
			return 1;
		}
		return r ? 1 : 0;
	}
	return 0;
}

void hwvirt_fill_run(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_run *run = vcpu->run;

	run->if_flag = !!(vcpu->rflags & HV_RFLAGS_IF);
	/* The PIC's interrupts enter through LINT0 with an in-kernel APIC. */
	run->ready_for_interrupt_injection = hwvirt_interruptible(vcpu) &&
					     !vcpu->irq.pending &&
					     !vcpu->exception.pending &&
					     hwvirt_apic_accepts_pic(vcpu);
	run->cr8 = hwvirt_backend->get_cr(vcpu, 8);
	run->apic_base = hwvirt_get_apic_base(vcpu);
}
