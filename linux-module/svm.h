/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: AMD SVM, as the AMD64 Architecture Programmer's Manual, volume 2
 * ("Secure Virtual Machine") describes it.  Hardware facts only.
 */
#ifndef HWVIRT_SVM_H
#define HWVIRT_SVM_H

#include <linux/bits.h>

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

#endif /* HWVIRT_SVM_H */
