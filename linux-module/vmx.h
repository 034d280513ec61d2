/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: Intel VMX, as the Intel SDM volume 3C ("VMX") describes it.
 * Hardware facts: capability MSRs, VMCS field encodings (appendix B),
 * control bits, exit reasons (appendix C), and the formats of exit
 * qualifications, event information and EPT entries; then the entry
 * code's symbols.
 */
#ifndef HWVIRT_VMX_H
#define HWVIRT_VMX_H

#include <linux/bits.h>

/* CPUID.1:ECX */
#define VMX_CPUID_1_ECX_VMX		BIT(5)

/* ------------------------------------------------------------------------
 * MSRs
 */
#define VMX_MSR_FEATURE_CONTROL		0x3a
#define   VMX_FC_LOCKED			BIT_ULL(0)
#define   VMX_FC_VMXON_OUTSIDE_SMX	BIT_ULL(2)
#define VMX_MSR_BASIC			0x480
#define   VMX_BASIC_REVISION(v)		((u32)(v) & 0x7fffffff)
#define   VMX_BASIC_VMCS_SIZE(v)	((u32)((v) >> 32) & 0x1fff)
#define   VMX_BASIC_MEMTYPE(v)		((u32)((v) >> 50) & 0xf)
#define   VMX_BASIC_MEMTYPE_WB		6
#define   VMX_BASIC_TRUE_CONTROLS	BIT_ULL(55)
#define VMX_MSR_PINBASED_CTLS		0x481
#define VMX_MSR_PROCBASED_CTLS		0x482
#define VMX_MSR_EXIT_CTLS		0x483
#define VMX_MSR_ENTRY_CTLS		0x484
#define VMX_MSR_MISC			0x485
#define   VMX_MISC_UG_LMA		BIT_ULL(5)	/* exits store LMA */
#define VMX_MSR_CR0_FIXED0		0x486
#define VMX_MSR_CR0_FIXED1		0x487
#define VMX_MSR_CR4_FIXED0		0x488
#define VMX_MSR_CR4_FIXED1		0x489
#define VMX_MSR_PROCBASED_CTLS2		0x48b
#define VMX_MSR_EPT_VPID_CAP		0x48c
#define   VMX_EPT_CAP_XONLY		BIT_ULL(0)
#define   VMX_EPT_CAP_WALK4		BIT_ULL(6)
#define   VMX_EPT_CAP_WB		BIT_ULL(14)
#define   VMX_EPT_CAP_INVEPT		BIT_ULL(20)
#define   VMX_EPT_CAP_AD		BIT_ULL(21)
#define   VMX_EPT_CAP_INVEPT_SINGLE	BIT_ULL(25)
#define   VMX_EPT_CAP_INVEPT_ALL	BIT_ULL(26)
#define   VMX_VPID_CAP_INVVPID		BIT_ULL(32)
#define   VMX_VPID_CAP_ADDR		BIT_ULL(40)
#define   VMX_VPID_CAP_SINGLE		BIT_ULL(41)
#define   VMX_VPID_CAP_ALL		BIT_ULL(42)
#define VMX_MSR_TRUE_PINBASED_CTLS	0x48d
#define VMX_MSR_TRUE_PROCBASED_CTLS	0x48e
#define VMX_MSR_TRUE_EXIT_CTLS		0x48f
#define VMX_MSR_TRUE_ENTRY_CTLS		0x490

/*
 * Capability MSRs hold the allowed-0 settings in bits 31:0 (a 1 there:
 * the control must be 1) and the allowed-1 settings in bits 63:32 (a 0
 * there: the control must be 0).
 */
#define VMX_CTL_ALLOWED0(msr)		((u32)(msr))
#define VMX_CTL_ALLOWED1(msr)		((u32)((msr) >> 32))

/* ------------------------------------------------------------------------
 * VMCS field encodings
 */

/* 16-bit */
#define VMCS_VPID			0x0000
/* Guest selectors, in the order ES, CS, SS, DS, FS, GS, LDTR, TR. */
#define VMCS_GUEST_ES_SELECTOR		0x0800
#define VMCS_HOST_ES_SELECTOR		0x0c00
#define VMCS_HOST_CS_SELECTOR		0x0c02
#define VMCS_HOST_SS_SELECTOR		0x0c04
#define VMCS_HOST_DS_SELECTOR		0x0c06
#define VMCS_HOST_FS_SELECTOR		0x0c08
#define VMCS_HOST_GS_SELECTOR		0x0c0a
#define VMCS_HOST_TR_SELECTOR		0x0c0c

/* 64-bit */
#define VMCS_IO_BITMAP_A		0x2000
#define VMCS_IO_BITMAP_B		0x2002
#define VMCS_MSR_BITMAP			0x2004
#define VMCS_EXIT_MSR_STORE_ADDR	0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR		0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR	0x200a
#define VMCS_TSC_OFFSET			0x2010
#define VMCS_VIRTUAL_APIC_ADDR		0x2012
#define VMCS_EPT_POINTER		0x201a
#define VMCS_GUEST_PHYSICAL_ADDRESS	0x2400
#define VMCS_LINK_POINTER		0x2800
#define VMCS_GUEST_DEBUGCTL		0x2802
#define VMCS_GUEST_PAT			0x2804
#define VMCS_GUEST_EFER			0x2806
#define VMCS_GUEST_PDPTR0		0x280a	/* PDPTR n: + 2 * n */
#define VMCS_HOST_PAT			0x2c00
#define VMCS_HOST_EFER			0x2c02

/* 32-bit */
#define VMCS_PIN_CONTROLS		0x4000
#define VMCS_PROC_CONTROLS		0x4002
#define VMCS_EXCEPTION_BITMAP		0x4004
#define VMCS_PF_ERROR_MASK		0x4006
#define VMCS_PF_ERROR_MATCH		0x4008
#define VMCS_CR3_TARGET_COUNT		0x400a
#define VMCS_EXIT_CONTROLS		0x400c
#define VMCS_EXIT_MSR_STORE_COUNT	0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT	0x4010
#define VMCS_ENTRY_CONTROLS		0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT	0x4014
#define VMCS_ENTRY_INTR_INFO		0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR	0x4018
#define VMCS_ENTRY_INSTRUCTION_LEN	0x401a
#define VMCS_TPR_THRESHOLD		0x401c
#define VMCS_PROC2_CONTROLS		0x401e
#define VMCS_INSTRUCTION_ERROR		0x4400
#define VMCS_EXIT_REASON		0x4402
#define VMCS_EXIT_INTR_INFO		0x4404
#define VMCS_EXIT_INTR_ERROR		0x4406
#define VMCS_IDT_VECTORING_INFO		0x4408
#define VMCS_IDT_VECTORING_ERROR	0x440a
#define VMCS_EXIT_INSTRUCTION_LEN	0x440c
#define VMCS_EXIT_INSTRUCTION_INFO	0x440e
/* Guest limits and access rights, ES..TR as the selectors. */
#define VMCS_GUEST_ES_LIMIT		0x4800
#define VMCS_GUEST_GDTR_LIMIT		0x4810
#define VMCS_GUEST_IDTR_LIMIT		0x4812
#define VMCS_GUEST_ES_AR		0x4814
#define VMCS_GUEST_INTERRUPTIBILITY	0x4824
#define VMCS_GUEST_ACTIVITY_STATE	0x4826
#define VMCS_GUEST_SYSENTER_CS		0x482a
#define VMCS_HOST_SYSENTER_CS		0x4c00

/* Natural width */
#define VMCS_CR0_GUEST_HOST_MASK	0x6000
#define VMCS_CR4_GUEST_HOST_MASK	0x6002
#define VMCS_CR0_READ_SHADOW		0x6004
#define VMCS_CR4_READ_SHADOW		0x6006
#define VMCS_EXIT_QUALIFICATION		0x6400
#define VMCS_GUEST_LINEAR_ADDRESS	0x640a
#define VMCS_GUEST_CR0			0x6800
#define VMCS_GUEST_CR3			0x6802
#define VMCS_GUEST_CR4			0x6804
#define VMCS_GUEST_ES_BASE		0x6806
#define VMCS_GUEST_GDTR_BASE		0x6816
#define VMCS_GUEST_IDTR_BASE		0x6818
#define VMCS_GUEST_DR7			0x681a
#define VMCS_GUEST_RSP			0x681c
#define VMCS_GUEST_RIP			0x681e
#define VMCS_GUEST_RFLAGS		0x6820
#define VMCS_GUEST_PENDING_DBG		0x6822
#define VMCS_GUEST_SYSENTER_ESP		0x6824
#define VMCS_GUEST_SYSENTER_EIP		0x6826
#define VMCS_HOST_CR0			0x6c00
#define VMCS_HOST_CR3			0x6c02
#define VMCS_HOST_CR4			0x6c04
#define VMCS_HOST_FS_BASE		0x6c06
#define VMCS_HOST_GS_BASE		0x6c08
#define VMCS_HOST_TR_BASE		0x6c0a
#define VMCS_HOST_GDTR_BASE		0x6c0c
#define VMCS_HOST_IDTR_BASE		0x6c0e
#define VMCS_HOST_SYSENTER_ESP		0x6c10
#define VMCS_HOST_SYSENTER_EIP		0x6c12
#define VMCS_HOST_RSP			0x6c14
#define VMCS_HOST_RIP			0x6c16

/*
 * A guest segment's field: the selector, limit, access rights and base
 * of segment n (0-5 ES..GS, 6 LDTR, 7 TR) are 2 * n past ES's.
 */
#define VMCS_SEG_LDTR			6
#define VMCS_SEG_TR			7
#define VMCS_GUEST_SEG(field, n)	((field) + 2 * (n))

/* ------------------------------------------------------------------------
 * Controls
 */

/* Pin-based */
#define VMX_PIN_EXT_INTR		BIT(0)
#define VMX_PIN_NMI			BIT(3)
#define VMX_PIN_VIRTUAL_NMIS		BIT(5)

/* Primary processor-based */
#define VMX_PROC_INTR_WINDOW		BIT(2)
#define VMX_PROC_TSC_OFFSET		BIT(3)
#define VMX_PROC_HLT			BIT(7)
#define VMX_PROC_INVLPG			BIT(9)
#define VMX_PROC_MWAIT			BIT(10)
#define VMX_PROC_RDPMC			BIT(11)
#define VMX_PROC_RDTSC			BIT(12)
#define VMX_PROC_CR3_LOAD		BIT(15)
#define VMX_PROC_CR3_STORE		BIT(16)
#define VMX_PROC_CR8_LOAD		BIT(19)
#define VMX_PROC_CR8_STORE		BIT(20)
#define VMX_PROC_TPR_SHADOW		BIT(21)
#define VMX_PROC_NMI_WINDOW		BIT(22)
#define VMX_PROC_MOV_DR			BIT(23)
#define VMX_PROC_UNCOND_IO		BIT(24)
#define VMX_PROC_IO_BITMAPS		BIT(25)
#define VMX_PROC_MSR_BITMAPS		BIT(28)
#define VMX_PROC_MONITOR		BIT(29)
#define VMX_PROC_SECONDARY_CTLS		BIT(31)

/* Secondary processor-based */
#define VMX_PROC2_APIC_ACCESS		BIT(0)
#define VMX_PROC2_EPT			BIT(1)
#define VMX_PROC2_DESC_TABLE		BIT(2)
#define VMX_PROC2_RDTSCP		BIT(3)
#define VMX_PROC2_VPID			BIT(5)
#define VMX_PROC2_WBINVD		BIT(6)
#define VMX_PROC2_UNRESTRICTED_GUEST	BIT(7)
#define VMX_PROC2_INVPCID		BIT(12)
#define VMX_PROC2_XSAVES		BIT(20)

/* VM-exit */
#define VMX_EXIT_SAVE_DEBUG		BIT(2)
#define VMX_EXIT_HOST_64		BIT(9)
#define VMX_EXIT_ACK_INTR		BIT(15)
#define VMX_EXIT_SAVE_PAT		BIT(18)
#define VMX_EXIT_LOAD_PAT		BIT(19)
#define VMX_EXIT_SAVE_EFER		BIT(20)
#define VMX_EXIT_LOAD_EFER		BIT(21)

/* VM-entry */
#define VMX_ENTRY_LOAD_DEBUG		BIT(2)
#define VMX_ENTRY_IA32E			BIT(9)
#define VMX_ENTRY_LOAD_PAT		BIT(14)
#define VMX_ENTRY_LOAD_EFER		BIT(15)

/*
 * The "default1" controls of each class: must be 1 unless the TRUE_*
 * capability MSRs say they may be 0.
 */
#define VMX_PIN_DEFAULT1		0x00000016
#define VMX_PROC_DEFAULT1		0x0401e172
#define VMX_EXIT_DEFAULT1		0x00036dff
#define VMX_ENTRY_DEFAULT1		0x000011ff

/* ------------------------------------------------------------------------
 * Exits
 */
#define VMX_EXIT_REASON_MASK		0xffff
#define VMX_EXIT_REASON_ENTRY_FAIL	BIT(31)

#define VMX_EXIT_EXCEPTION_NMI		0
#define VMX_EXIT_EXTERNAL_INTR		1
#define VMX_EXIT_TRIPLE_FAULT		2
#define VMX_EXIT_INIT			3
#define VMX_EXIT_SIPI			4
#define VMX_EXIT_IO_SMI			5
#define VMX_EXIT_OTHER_SMI		6
#define VMX_EXIT_INTR_WINDOW		7
#define VMX_EXIT_NMI_WINDOW		8
#define VMX_EXIT_TASK_SWITCH		9
#define VMX_EXIT_CPUID			10
#define VMX_EXIT_GETSEC			11
#define VMX_EXIT_HLT			12
#define VMX_EXIT_INVD			13
#define VMX_EXIT_INVLPG			14
#define VMX_EXIT_RDPMC			15
#define VMX_EXIT_RDTSC			16
#define VMX_EXIT_RSM			17
#define VMX_EXIT_VMCALL			18
#define VMX_EXIT_VMCLEAR		19
#define VMX_EXIT_VMLAUNCH		20
#define VMX_EXIT_VMPTRLD		21
#define VMX_EXIT_VMPTRST		22
#define VMX_EXIT_VMREAD			23
#define VMX_EXIT_VMRESUME		24
#define VMX_EXIT_VMWRITE		25
#define VMX_EXIT_VMXOFF			26
#define VMX_EXIT_VMXON			27
#define VMX_EXIT_CR_ACCESS		28
#define VMX_EXIT_DR_ACCESS		29
#define VMX_EXIT_IO			30
#define VMX_EXIT_RDMSR			31
#define VMX_EXIT_WRMSR			32
#define VMX_EXIT_INVALID_STATE		33
#define VMX_EXIT_MSR_LOAD_FAIL		34
#define VMX_EXIT_MWAIT			36
#define VMX_EXIT_MTF			37
#define VMX_EXIT_MONITOR		39
#define VMX_EXIT_PAUSE			40
#define VMX_EXIT_MCE_DURING_ENTRY	41
#define VMX_EXIT_TPR_BELOW_THRESHOLD	43
#define VMX_EXIT_APIC_ACCESS		44
#define VMX_EXIT_GDTR_IDTR		46
#define VMX_EXIT_LDTR_TR		47
#define VMX_EXIT_EPT_VIOLATION		48
#define VMX_EXIT_EPT_MISCONFIG		49
#define VMX_EXIT_INVEPT			50
#define VMX_EXIT_RDTSCP			51
#define VMX_EXIT_INVVPID		53
#define VMX_EXIT_WBINVD			54
#define VMX_EXIT_XSETBV			55
#define VMX_EXIT_RDRAND			57
#define VMX_EXIT_INVPCID		58
#define VMX_EXIT_VMFUNC			59
#define VMX_EXIT_RDSEED			61
#define VMX_EXIT_XSAVES			63
#define VMX_EXIT_XRSTORS		64

/*
 * Event information: VM-entry interruption info, VM-exit interruption
 * info, IDT-vectoring info.
 */
#define VMX_INTR_VECTOR_MASK		0xff
#define VMX_INTR_TYPE_MASK		(7U << 8)
#define VMX_INTR_TYPE_EXT		(0U << 8)
#define VMX_INTR_TYPE_NMI		(2U << 8)
#define VMX_INTR_TYPE_HW_EXCEPTION	(3U << 8)
#define VMX_INTR_TYPE_SOFT_INTR		(4U << 8)
#define VMX_INTR_TYPE_PRIV_SOFT_EXC	(5U << 8)	/* INT1 */
#define VMX_INTR_TYPE_SOFT_EXC		(6U << 8)	/* INT3, INTO */
#define VMX_INTR_ERROR_VALID		BIT(11)
#define VMX_INTR_NMI_UNBLOCK_IRET	BIT(12)		/* exit info only */
#define VMX_INTR_VALID			BIT(31)

/* Guest interruptibility state */
#define VMX_INTERRUPTIBILITY_STI	BIT(0)
#define VMX_INTERRUPTIBILITY_MOV_SS	BIT(1)
#define VMX_INTERRUPTIBILITY_NMI	BIT(3)

/* Guest segment access rights (the descriptor's bits 8-15 and 20-23). */
#define VMX_AR_TYPE_MASK		0xf
#define VMX_AR_S			BIT(4)
#define VMX_AR_DPL_SHIFT		5
#define VMX_AR_P			BIT(7)
#define VMX_AR_AVL			BIT(12)
#define VMX_AR_L			BIT(13)
#define VMX_AR_DB			BIT(14)
#define VMX_AR_G			BIT(15)
#define VMX_AR_UNUSABLE			BIT(16)

/* I/O instruction exit qualification */
#define VMX_IO_SIZE_MASK		0x7	/* size - 1 */
#define VMX_IO_IN			BIT(3)
#define VMX_IO_STRING			BIT(4)
#define VMX_IO_REP			BIT(5)
#define VMX_IO_PORT_SHIFT		16

/* CR access exit qualification */
#define VMX_CR_NUMBER(q)		((q) & 0xf)
#define VMX_CR_TYPE(q)			(((q) >> 4) & 3)
#define   VMX_CR_TYPE_MOV_TO		0
#define   VMX_CR_TYPE_MOV_FROM		1
#define   VMX_CR_TYPE_CLTS		2
#define   VMX_CR_TYPE_LMSW		3
#define VMX_CR_GPR(q)			(((q) >> 8) & 0xf)
#define VMX_CR_LMSW_DATA(q)		(((q) >> 16) & 0xffff)

/* MOV DR exit qualification */
#define VMX_DR_NUMBER(q)		((q) & 7)
#define VMX_DR_FROM			BIT(4)
#define VMX_DR_GPR(q)			(((q) >> 8) & 0xf)

/* EPT violation exit qualification */
#define VMX_EPT_VIOLATION_READ		BIT(0)
#define VMX_EPT_VIOLATION_WRITE		BIT(1)
#define VMX_EPT_VIOLATION_FETCH		BIT(2)
#define VMX_EPT_VIOLATION_NMI_UNBLOCK	BIT(12)

/* Task switch exit qualification */
#define VMX_TS_SELECTOR(q)		((q) & 0xffff)
#define VMX_TS_SOURCE(q)		(((q) >> 30) & 3)
#define   VMX_TS_SOURCE_CALL		0
#define   VMX_TS_SOURCE_IRET		1
#define   VMX_TS_SOURCE_JMP		2
#define   VMX_TS_SOURCE_GATE		3

/* VM-instruction error numbers worth naming in a report. */
#define VMX_ERR_ENTRY_INVALID_CONTROL	7
#define VMX_ERR_ENTRY_INVALID_HOST	8

/* ------------------------------------------------------------------------
 * EPT
 */
#define VMX_EPT_R			BIT_ULL(0)
#define VMX_EPT_W			BIT_ULL(1)
#define VMX_EPT_X			BIT_ULL(2)
#define VMX_EPT_MT_WB			(6ULL << 3)	/* leaf memory type */
#define VMX_EPT_IPAT			BIT_ULL(6)	/* ignore guest PAT */

#define VMX_EPTP_MT_WB			6ULL
#define VMX_EPTP_WALK(levels)		(((u64)(levels) - 1) << 3)
#define VMX_EPTP_AD			BIT_ULL(6)

#define VMX_INVEPT_SINGLE		1
#define VMX_INVEPT_ALL			2
#define VMX_INVVPID_ADDR		0
#define VMX_INVVPID_SINGLE		1
#define VMX_INVVPID_ALL			2

/* ------------------------------------------------------------------------
 * vmx_vmrun.S, and the kernel's NMI entry for an NMI a VM exit consumed
 */
void hwvirt_vmx_vmexit(void);
int hwvirt_vmx_vmrun(u64 *regs, int launched);
void hwvirt_vmx_do_nmi(void (*handler)(void));
void asm_exc_nmi_noist(void);

#endif /* HWVIRT_VMX_H */
