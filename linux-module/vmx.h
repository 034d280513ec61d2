/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: Intel VMX, as the Intel SDM volume 3 ("VMX") describes it.
 * Hardware facts only.
 */
#ifndef HWVIRT_VMX_H
#define HWVIRT_VMX_H

#include <linux/bits.h>

/* CPUID.1:ECX */
#define VMX_CPUID_1_ECX_VMX		BIT(5)

/* MSRs */
#define VMX_MSR_FEATURE_CONTROL		0x3a
#define   VMX_FC_LOCKED			BIT_ULL(0)
#define   VMX_FC_VMXON_OUTSIDE_SMX	BIT_ULL(2)
#define VMX_MSR_BASIC			0x480
#define   VMX_BASIC_REVISION(v)		((u32)(v) & 0x7fffffff)
#define   VMX_BASIC_VMCS_SIZE(v)	((u32)((v) >> 32) & 0x1fff)
#define   VMX_BASIC_TRUE_CONTROLS	BIT_ULL(55)
#define VMX_MSR_PROCBASED_CTLS		0x482
#define VMX_MSR_CR0_FIXED0		0x486
#define VMX_MSR_CR0_FIXED1		0x487
#define VMX_MSR_CR4_FIXED0		0x488
#define VMX_MSR_CR4_FIXED1		0x489
#define VMX_MSR_PROCBASED_CTLS2		0x48b
#define VMX_MSR_EPT_VPID_CAP		0x48c

/*
 * Capability MSRs hold the allowed-0 settings in bits 31:0 and the
 * allowed-1 settings in bits 63:32.
 */
#define VMX_CTL_ALLOWED1(msr)		((u32)((msr) >> 32))

/* Primary processor-based execution controls */
#define VMX_PROC_SECONDARY_CTLS		BIT(31)

/* Secondary processor-based execution controls */
#define VMX_PROC2_EPT			BIT(1)
#define VMX_PROC2_VPID			BIT(5)
#define VMX_PROC2_UNRESTRICTED_GUEST	BIT(7)

#endif /* HWVIRT_VMX_H */
