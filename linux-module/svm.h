/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: AMD SVM, as the AMD64 Architecture Programmer's Manual, volume 2
 * ("Secure Virtual Machine", appendix B "Layout of VMCB") describes it.
 * Hardware facts only.
 */
#ifndef HWVIRT_SVM_H
#define HWVIRT_SVM_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>

/* CPUID Fn8000_0001 ECX */
#define SVM_CPUID_EXT_SVM		BIT(2)

/* CPUID Fn8000_000A: SVM revision (EAX), number of ASIDs (EBX), features (EDX) */
#define SVM_CPUID_LEAF			0x8000000a
#define SVM_FEAT_NP			BIT(0)	/* nested paging */
#define SVM_FEAT_LBRV			BIT(1)
#define SVM_FEAT_SVML			BIT(2)	/* SVM lock */
#define SVM_FEAT_NRIPS			BIT(3)	/* next RIP saved on #VMEXIT */
#define SVM_FEAT_TSC_RATE		BIT(4)
#define SVM_FEAT_VMCB_CLEAN		BIT(5)
#define SVM_FEAT_FLUSH_BY_ASID		BIT(6)
#define SVM_FEAT_DECODE_ASSISTS		BIT(7)
#define SVM_FEAT_PAUSE_FILTER		BIT(10)
#define SVM_FEAT_PAUSE_THRESHOLD	BIT(12)
#define SVM_FEAT_AVIC			BIT(13)
#define SVM_FEAT_VMSAVE_VIRT		BIT(15)
#define SVM_FEAT_VGIF			BIT(16)

/* MSRs */
#define SVM_MSR_VM_CR			0xc0010114
#define SVM_VM_CR_SVMDIS		BIT(4)	/* firmware disabled SVM */
#define SVM_MSR_VM_HSAVE_PA		0xc0010117

/* EFER */
#define SVM_EFER_SVME			BIT(12)
#define SVM_DR6_BS		(1ULL << 14)	/* DR6: single-step */

/* Intercept vector 3 (VMCB offset 0x00c) */
#define SVM_INTERCEPT_INTR		BIT(0)
#define SVM_INTERCEPT_NMI		BIT(1)
#define SVM_INTERCEPT_SMI		BIT(2)
#define SVM_INTERCEPT_INIT		BIT(3)
#define SVM_INTERCEPT_VINTR		BIT(4)
#define SVM_INTERCEPT_CR0_SEL_WRITE	BIT(5)
#define SVM_INTERCEPT_RDPMC		BIT(15)
#define SVM_INTERCEPT_CPUID		BIT(18)
#define SVM_INTERCEPT_RSM		BIT(19)
#define SVM_INTERCEPT_IRET		BIT(20)
#define SVM_INTERCEPT_INVD		BIT(22)
#define SVM_INTERCEPT_PAUSE		BIT(23)
#define SVM_INTERCEPT_HLT		BIT(24)
#define SVM_INTERCEPT_INVLPG		BIT(25)
#define SVM_INTERCEPT_INVLPGA		BIT(26)
#define SVM_INTERCEPT_IOIO_PROT		BIT(27)
#define SVM_INTERCEPT_MSR_PROT		BIT(28)
#define SVM_INTERCEPT_TASK_SWITCH	BIT(29)
#define SVM_INTERCEPT_FERR_FREEZE	BIT(30)
#define SVM_INTERCEPT_SHUTDOWN		BIT(31)

/* Intercept vector 4 (VMCB offset 0x010) */
#define SVM_INTERCEPT_VMRUN		BIT(0)
#define SVM_INTERCEPT_VMMCALL		BIT(1)
#define SVM_INTERCEPT_VMLOAD		BIT(2)
#define SVM_INTERCEPT_VMSAVE		BIT(3)
#define SVM_INTERCEPT_STGI		BIT(4)
#define SVM_INTERCEPT_CLGI		BIT(5)
#define SVM_INTERCEPT_SKINIT		BIT(6)
#define SVM_INTERCEPT_RDTSCP		BIT(7)
#define SVM_INTERCEPT_ICEBP		BIT(8)
#define SVM_INTERCEPT_WBINVD		BIT(9)
#define SVM_INTERCEPT_MONITOR		BIT(10)
#define SVM_INTERCEPT_MWAIT		BIT(11)
#define SVM_INTERCEPT_MWAIT_COND	BIT(12)
#define SVM_INTERCEPT_XSETBV		BIT(13)
/* intercept5 */
#define SVM_INTERCEPT5_INVPCID		BIT(2)

/* intercept_cr: reads of CRn in bits 15:0, writes in bits 31:16 */
#define SVM_INTERCEPT_CR_READ(n)	BIT(n)
#define SVM_INTERCEPT_CR_WRITE(n)	BIT(16 + (n))

/* CR/DR access exit_info_1 with decode assists */
#define SVM_EXITINFO1_CR_MOV		BIT_ULL(63)	/* MOV, not LMSW/CLTS */
#define SVM_EXITINFO1_CR_GPR_MASK	0xf
/* Nested page table entries (long-mode page-table format) */
#define SVM_NPT_P			BIT_ULL(0)
#define SVM_NPT_W			BIT_ULL(1)
#define SVM_NPT_U			BIT_ULL(2)

/* TASK_SWITCH: EXITINFO1 is the new TSS's selector; EXITINFO2 says why. */
#define SVM_EXITINFO2_TS_IRET		BIT_ULL(36)
#define SVM_EXITINFO2_TS_JMP		BIT_ULL(38)
#define SVM_EXITINFO2_TS_HAS_ERROR	BIT_ULL(44)

/* int_ctl */
#define SVM_V_TPR_MASK			0xff
#define SVM_V_IRQ			BIT(8)
#define SVM_V_GIF			BIT(9)
#define SVM_V_INTR_PRIO_SHIFT		16
#define SVM_V_IGN_TPR			BIT(20)
#define SVM_V_INTR_MASKING		BIT(24)
#define SVM_V_GIF_ENABLE		BIT(25)

/* int_state */
#define SVM_INTERRUPT_SHADOW		BIT(0)

/* tlb_control */
#define SVM_TLB_CONTROL_NONE		0
#define SVM_TLB_CONTROL_FLUSH_ALL	1	/* every ASID */
#define SVM_TLB_CONTROL_FLUSH_ASID	3	/* this guest's ASID */

/* nested_ctl */
#define SVM_NESTED_CTL_NP_ENABLE	BIT(0)

/* event_inj and exit_int_info */
#define SVM_EVT_VECTOR_MASK		0xff
#define SVM_EVT_TYPE_SHIFT		8
#define SVM_EVT_TYPE_MASK		(7 << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_INTR		(0 << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_NMI		(2 << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_EXCEPTION		(3 << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_TYPE_SOFT		(4 << SVM_EVT_TYPE_SHIFT)
#define SVM_EVT_ERROR_VALID		BIT(11)
#define SVM_EVT_VALID			BIT(31)

/* Exit codes */
#define SVM_EXIT_READ_CR0		0x000
#define SVM_EXIT_READ_CR3		0x003
#define SVM_EXIT_READ_CR4		0x004
#define SVM_EXIT_WRITE_CR0		0x010
#define SVM_EXIT_WRITE_CR3		0x013
#define SVM_EXIT_WRITE_CR4		0x014
#define SVM_EXIT_WRITE_CR8		0x018
#define SVM_EXIT_EXCEPTION_BASE		0x040
#define SVM_EXIT_EXCP_DB		(SVM_EXIT_EXCEPTION_BASE + 1)
#define SVM_EXIT_EXCP_PF		(SVM_EXIT_EXCEPTION_BASE + 14)
#define SVM_EXIT_INTR			0x060
#define SVM_EXIT_NMI			0x061
#define SVM_EXIT_SMI			0x062
#define SVM_EXIT_INIT			0x063
#define SVM_EXIT_VINTR			0x064
#define SVM_EXIT_RDPMC			0x06f
#define SVM_EXIT_CPUID			0x072
#define SVM_EXIT_RSM			0x073
#define SVM_EXIT_IRET			0x074
#define SVM_EXIT_INVD			0x076
#define SVM_EXIT_PAUSE			0x077
#define SVM_EXIT_HLT			0x078
#define SVM_EXIT_INVLPG			0x079
#define SVM_EXIT_INVLPGA		0x07a
#define SVM_EXIT_IOIO			0x07b
#define SVM_EXIT_MSR			0x07c
#define SVM_EXIT_TASK_SWITCH		0x07d
#define SVM_EXIT_FERR_FREEZE		0x07e
#define SVM_EXIT_SHUTDOWN		0x07f
#define SVM_EXIT_VMRUN			0x080
#define SVM_EXIT_VMMCALL		0x081
#define SVM_EXIT_VMLOAD			0x082
#define SVM_EXIT_VMSAVE			0x083
#define SVM_EXIT_STGI			0x084
#define SVM_EXIT_CLGI			0x085
#define SVM_EXIT_SKINIT			0x086
#define SVM_EXIT_RDTSCP			0x087
#define SVM_EXIT_ICEBP			0x088
#define SVM_EXIT_WBINVD			0x089
#define SVM_EXIT_MONITOR		0x08a
#define SVM_EXIT_MWAIT			0x08b
#define SVM_EXIT_MWAIT_COND		0x08c
#define SVM_EXIT_XSETBV			0x08d
#define SVM_EXIT_INVPCID		0x0a2
#define SVM_EXIT_NPF			0x400
#define SVM_EXIT_INVALID		((u64)-1)

/* IOIO exit_info_1 */
#define SVM_IOIO_TYPE_IN		BIT(0)
#define SVM_IOIO_STR			BIT(2)
#define SVM_IOIO_REP			BIT(3)
#define SVM_IOIO_SIZE_SHIFT		4
#define SVM_IOIO_SIZE_MASK		(7 << SVM_IOIO_SIZE_SHIFT)
#define SVM_IOIO_PORT_SHIFT		16

/* NPF exit_info_1 (a page-fault error code) */
#define SVM_NPF_PRESENT			BIT(0)
#define SVM_NPF_WRITE			BIT(1)
#define SVM_NPF_FETCH			BIT(4)

/* Sizes of the permission maps */
#define SVM_IOPM_SIZE			(3 * PAGE_SIZE)
#define SVM_MSRPM_SIZE			(2 * PAGE_SIZE)

/*
 * A segment in the VMCB.  attrib packs descriptor bits 8-15 and 20-23:
 * type (3:0), S (4), DPL (6:5), P (7), AVL (8), L (9), D/B (10), G (11).
 */
struct vmcb_seg {
	u16 selector;
	u16 attrib;
	u32 limit;
	u64 base;
} __packed;

#define SVM_SEG_TYPE_MASK		0xf
#define SVM_SEG_S			BIT(4)
#define SVM_SEG_DPL_SHIFT		5
#define SVM_SEG_P			BIT(7)
#define SVM_SEG_AVL			BIT(8)
#define SVM_SEG_L			BIT(9)
#define SVM_SEG_DB			BIT(10)
#define SVM_SEG_G			BIT(11)

struct vmcb_control {
	u32 intercept_cr;		/* 0x000: reads 15:0, writes 31:16 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept3;			/* 0x00c: SVM_INTERCEPT_INTR... */
	u32 intercept4;			/* 0x010: SVM_INTERCEPT_VMRUN... */
	u32 intercept5;			/* 0x014 */
	u8 reserved_018[0x03c - 0x018];
	u16 pause_filter_threshold;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8 tlb_control;			/* 0x05c */
	u8 reserved_05d[3];
	u32 int_ctl;			/* 0x060 */
	u32 int_vector;			/* 0x064 */
	u64 int_state;			/* 0x068 */
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u32 exit_int_info;		/* 0x088 */
	u32 exit_int_info_err;		/* 0x08c */
	u64 nested_ctl;			/* 0x090 */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u32 event_inj;			/* 0x0a8 */
	u32 event_inj_err;		/* 0x0ac */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8 */
	u8 insn_len;			/* 0x0d0 */
	u8 insn_bytes[15];		/* 0x0d1 */
	u8 reserved_0e0[0x400 - 0x0e0];
} __packed;

struct vmcb_save {
	struct vmcb_seg es;		/* 0x400 */
	struct vmcb_seg cs;
	struct vmcb_seg ss;
	struct vmcb_seg ds;
	struct vmcb_seg fs;
	struct vmcb_seg gs;
	struct vmcb_seg gdtr;
	struct vmcb_seg ldtr;
	struct vmcb_seg idtr;
	struct vmcb_seg tr;		/* 0x490 */
	u8 reserved_4a0[0x4cb - 0x4a0];
	u8 cpl;				/* 0x4cb */
	u32 reserved_4cc;
	u64 efer;			/* 0x4d0 */
	u8 reserved_4d8[0x548 - 0x4d8];
	u64 cr4;			/* 0x548 */
	u64 cr3;			/* 0x550 */
	u64 cr0;			/* 0x558 */
	u64 dr7;			/* 0x560 */
	u64 dr6;			/* 0x568 */
	u64 rflags;			/* 0x570 */
	u64 rip;			/* 0x578 */
	u8 reserved_580[0x5d8 - 0x580];
	u64 rsp;			/* 0x5d8 */
	u8 reserved_5e0[0x5f8 - 0x5e0];
	u64 rax;			/* 0x5f8 */
	u64 star;			/* 0x600 */
	u64 lstar;			/* 0x608 */
	u64 cstar;			/* 0x610 */
	u64 sfmask;			/* 0x618 */
	u64 kernel_gs_base;		/* 0x620 */
	u64 sysenter_cs;		/* 0x628 */
	u64 sysenter_esp;		/* 0x630 */
	u64 sysenter_eip;		/* 0x638 */
	u64 cr2;			/* 0x640 */
	u8 reserved_648[0x668 - 0x648];
	u64 g_pat;			/* 0x668 */
	u64 dbgctl;			/* 0x670 */
	u64 br_from;			/* 0x678 */
	u64 br_to;			/* 0x680 */
	u64 last_excp_from;		/* 0x688 */
	u64 last_excp_to;		/* 0x690 */
} __packed;

struct vmcb {
	struct vmcb_control control;
	struct vmcb_save save;
} __packed;

static inline void svm_vmcb_layout_check(void)
{
	BUILD_BUG_ON(offsetof(struct vmcb, control.intercept3) != 0x00c);
	BUILD_BUG_ON(offsetof(struct vmcb, control.iopm_base_pa) != 0x040);
	BUILD_BUG_ON(offsetof(struct vmcb, control.asid) != 0x058);
	BUILD_BUG_ON(offsetof(struct vmcb, control.int_ctl) != 0x060);
	BUILD_BUG_ON(offsetof(struct vmcb, control.exit_code) != 0x070);
	BUILD_BUG_ON(offsetof(struct vmcb, control.exit_int_info) != 0x088);
	BUILD_BUG_ON(offsetof(struct vmcb, control.nested_ctl) != 0x090);
	BUILD_BUG_ON(offsetof(struct vmcb, control.event_inj) != 0x0a8);
	BUILD_BUG_ON(offsetof(struct vmcb, control.nested_cr3) != 0x0b0);
	BUILD_BUG_ON(offsetof(struct vmcb, control.next_rip) != 0x0c8);
	BUILD_BUG_ON(offsetof(struct vmcb, save.es) != 0x400);
	BUILD_BUG_ON(offsetof(struct vmcb, save.tr) != 0x490);
	BUILD_BUG_ON(offsetof(struct vmcb, save.cpl) != 0x4cb);
	BUILD_BUG_ON(offsetof(struct vmcb, save.efer) != 0x4d0);
	BUILD_BUG_ON(offsetof(struct vmcb, save.cr4) != 0x548);
	BUILD_BUG_ON(offsetof(struct vmcb, save.rip) != 0x578);
	BUILD_BUG_ON(offsetof(struct vmcb, save.rsp) != 0x5d8);
	BUILD_BUG_ON(offsetof(struct vmcb, save.rax) != 0x5f8);
	BUILD_BUG_ON(offsetof(struct vmcb, save.kernel_gs_base) != 0x620);
	BUILD_BUG_ON(offsetof(struct vmcb, save.cr2) != 0x640);
	BUILD_BUG_ON(offsetof(struct vmcb, save.g_pat) != 0x668);
	BUILD_BUG_ON(sizeof(struct vmcb) > PAGE_SIZE);
}

#endif /* HWVIRT_SVM_H */
