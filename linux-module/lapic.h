/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: the local APIC, as a register model.
 *
 * One struct hw_lapic per vCPU holds the xAPIC register page and the
 * APIC base MSR; the functions here give the registers their meaning
 * (SDM volume 3 chapter 11, APM volume 2 chapter 16): priorities, the
 * IRR/ISR/TMR vectors, EOI, logical and physical destinations, the LVT,
 * x2APIC MSR access and the legal APIC-base transitions, and the timer's
 * arithmetic.  What needs the kernel (hrtimers, other vCPUs, kicks) is in
 * irq.c: a register write that has effects beyond the register page
 * returns them as HW_LAPIC_ACT_* bits for irq.c to carry out.
 *
 * Like emulate.c, this file and lapic.c build in the kernel and in
 * userspace (tests/unit), with no kernel header.
 *
 * Who may touch what (the lock legend):
 *   IRR, TMR  any thread (IPIs, MSIs, timers), with atomic bit operations:
 *             hw_lapic_set_irr();
 *   the rest  the vCPU's own thread only (it holds vcpu->mutex);
 *             other threads read ID/LDR/DFR/SVR/TPR/the base racily, to
 *             route interrupts (READ_ONCE in the kernel).
 */
#ifndef HWVIRT_LAPIC_H
#define HWVIRT_LAPIC_H

#ifdef __KERNEL__
#include <linux/bitops.h>
#endif
#include "hw_types.h"

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16). */
#define HW_APIC_ID		0x020
#define HW_APIC_LVR		0x030
#define HW_APIC_TPR		0x080
#define HW_APIC_APR		0x090
#define HW_APIC_PPR		0x0a0
#define HW_APIC_EOI		0x0b0
#define HW_APIC_RRR		0x0c0
#define HW_APIC_LDR		0x0d0
#define HW_APIC_DFR		0x0e0
#define HW_APIC_SVR		0x0f0
#define HW_APIC_ISR		0x100	/* 8 registers, 0x10 apart */
#define HW_APIC_TMR		0x180
#define HW_APIC_IRR		0x200
#define HW_APIC_ESR		0x280
#define HW_APIC_ICR		0x300
#define HW_APIC_ICR2		0x310
#define HW_APIC_LVTT		0x320
#define HW_APIC_LVTTHMR		0x330
#define HW_APIC_LVTPC		0x340
#define HW_APIC_LVT0		0x350
#define HW_APIC_LVT1		0x360
#define HW_APIC_LVTERR		0x370
#define HW_APIC_TMICT		0x380
#define HW_APIC_TMCCT		0x390
#define HW_APIC_TDCR		0x3e0
#define HW_APIC_SELF_IPI	0x3f0	/* x2APIC only */

/* The state page userspace sees (HWVIRT_GET_LAPIC): offsets 0..0x3ff. */
#define HW_LAPIC_REGS_SIZE	0x400

/* Version register: an integrated APIC (0x14), LVT entries 0..5. */
#define HW_APIC_VERSION		0x14
#define HW_APIC_MAX_LVT		5
#define HW_APIC_LVR_VALUE	(HW_APIC_VERSION | (HW_APIC_MAX_LVT << 16))

/* IA32_APIC_BASE */
#define HW_APIC_BASE_BSP	(1ULL << 8)
#define HW_APIC_BASE_EXTD	(1ULL << 10)	/* x2APIC mode */
#define HW_APIC_BASE_EN		(1ULL << 11)
#define HW_APIC_BASE_ADDR	0x000ffffffffff000ULL
#define HW_APIC_DEFAULT_BASE	0xfee00000ULL

/* SVR */
#define HW_APIC_SVR_ENABLE	(1U << 8)
#define HW_APIC_SVR_FOCUS	(1U << 9)

/* LVT entries */
#define HW_APIC_LVT_VECTOR	0xffU
#define HW_APIC_LVT_DM_SHIFT	8
#define HW_APIC_LVT_DM		(7U << 8)
#define HW_APIC_LVT_PENDING	(1U << 12)
#define HW_APIC_LVT_POLARITY	(1U << 13)
#define HW_APIC_LVT_REMOTE_IRR	(1U << 14)
#define HW_APIC_LVT_LEVEL	(1U << 15)
#define HW_APIC_LVT_MASKED	(1U << 16)
#define HW_APIC_LVT_TIMER_MODE	(3U << 17)
#define HW_APIC_TIMER_ONESHOT	(0U << 17)
#define HW_APIC_TIMER_PERIODIC	(1U << 17)
#define HW_APIC_TIMER_TSC_DEADLINE (2U << 17)

/* Delivery modes (ICR, LVT, MSI data) */
#define HW_APIC_DM_FIXED	0
#define HW_APIC_DM_LOWEST	1
#define HW_APIC_DM_SMI		2
#define HW_APIC_DM_NMI		4
#define HW_APIC_DM_INIT		5
#define HW_APIC_DM_SIPI		6
#define HW_APIC_DM_EXTINT	7

/* ICR (low word; the destination is ICR2[31:24], or ICR[63:32] in x2APIC) */
#define HW_APIC_ICR_VECTOR	0xffU
#define HW_APIC_ICR_DM_SHIFT	8
#define HW_APIC_ICR_LOGICAL	(1U << 11)
#define HW_APIC_ICR_BUSY	(1U << 12)
#define HW_APIC_ICR_ASSERT	(1U << 14)
#define HW_APIC_ICR_LEVEL	(1U << 15)
#define HW_APIC_ICR_SH_SHIFT	18
#define HW_APIC_ICR_SH		(3U << 18)
#define HW_APIC_SH_NONE		0
#define HW_APIC_SH_SELF		1
#define HW_APIC_SH_ALL		2
#define HW_APIC_SH_OTHERS	3

/* ESR */
#define HW_APIC_ESR_SEND_ILLEGAL_VECTOR	(1U << 5)
#define HW_APIC_ESR_RECV_ILLEGAL_VECTOR	(1U << 6)
#define HW_APIC_ESR_ILLEGAL_REGISTER	(1U << 7)

/* MSRs */
#define HW_MSR_APIC_BASE	0x0000001b
#define HW_MSR_TSC_DEADLINE	0x000006e0
#define HW_MSR_X2APIC_FIRST	0x00000800
#define HW_MSR_X2APIC_LAST	0x000008ff
#define HW_MSR_X2APIC_ICR	0x00000830

/* The APIC bus clock: one tick per nanosecond (as KVM's). */
#define HW_APIC_BUS_NS		1

/* An interrupt on the APIC bus: an IPI, an MSI or an LVT. */
struct hw_apic_irq {
	u32 dest;		/* 8 bits (xAPIC), 32 bits (x2APIC) */
	u8 vector;
	u8 delivery_mode;	/* HW_APIC_DM_* */
	u8 shorthand;		/* HW_APIC_SH_* */
	bool logical;		/* destination mode */
	bool level;		/* trigger mode: level (TMR set) */
	bool assert;		/* level asserted (INIT de-assert: clear) */
	bool x2apic;		/* dest is an x2APIC ID or logical ID */
};

struct hw_lapic {
	/*
	 * The register page at the xAPIC offsets, 32-bit registers 16
	 * bytes apart (8-byte aligned: the kernel's bit operations on IRR
	 * and TMR use 64-bit words).  Computed registers (PPR, TMCCT) are
	 * not kept here.
	 */
	u32 regs[HW_LAPIC_REGS_SIZE / 4] __aligned(16);
	u64 base;		/* IA32_APIC_BASE */
	u32 initial_id;		/* x2APIC ID; bits 7:0 are the xAPIC ID */
	u32 esr_pending;	/* errors since the last ESR write */

	/*
	 * The timer, in the APIC bus clock's nanoseconds (one-shot and
	 * periodic) or the guest's TSC (TSC deadline).  timer_start is when
	 * the current count was last loaded with TMICT; 0 when it is not
	 * counting.
	 */
	u64 timer_start;
	u64 tsc_deadline;
};

/* hw_lapic_write() and friends: what irq.c must do after a write. */
#define HW_LAPIC_ACT_EOI	(1U << 0)	/* act->eoi_vector, level */
#define HW_LAPIC_ACT_IPI	(1U << 1)	/* send act->ipi */
#define HW_LAPIC_ACT_TIMER	(1U << 2)	/* the timer was re-programmed */
#define HW_LAPIC_ACT_EVENT	(1U << 3)	/* deliverability may have changed */
#define HW_LAPIC_ACT_MODE	(1U << 4)	/* xAPIC/x2APIC/disabled changed */

struct hw_lapic_action {
	u32 mask;		/* HW_LAPIC_ACT_* */
	u8 eoi_vector;
	bool eoi_level;		/* the vector was level-triggered (TMR) */
	struct hw_apic_irq ipi;
};

static inline u32 hw_lapic_reg(const struct hw_lapic *l, u32 offset)
{
	return l->regs[offset / 4];
}

static inline void hw_lapic_set_reg(struct hw_lapic *l, u32 offset, u32 val)
{
	l->regs[offset / 4] = val;
}

/* The 32-bit word and bit of vector v in a 256-bit register at base. */
#define HW_APIC_VEC_REG(base, v)	((base) + (((v) >> 5) << 4))
#define HW_APIC_VEC_BIT(v)		((v) & 31)

static inline bool hw_lapic_test_vector(const struct hw_lapic *l, u32 base,
					 int v)
{
	return hw_lapic_reg(l, HW_APIC_VEC_REG(base, v)) &
	       (1U << HW_APIC_VEC_BIT(v));
}

static inline bool hw_lapic_enabled_hw(const struct hw_lapic *l)
{
	return l->base & HW_APIC_BASE_EN;
}

static inline bool hw_lapic_x2apic(const struct hw_lapic *l)
{
	return (l->base & (HW_APIC_BASE_EN | HW_APIC_BASE_EXTD)) ==
	       (HW_APIC_BASE_EN | HW_APIC_BASE_EXTD);
}

/* Enabled in hardware (the base MSR) and in software (SVR). */
static inline bool hw_lapic_enabled(const struct hw_lapic *l)
{
	return hw_lapic_enabled_hw(l) &&
	       (hw_lapic_reg(l, HW_APIC_SVR) & HW_APIC_SVR_ENABLE);
}

/* The APIC ID as other APICs address it: 8 bits in xAPIC mode. */
static inline u32 hw_lapic_id(const struct hw_lapic *l)
{
	if (hw_lapic_x2apic(l))
		return hw_lapic_reg(l, HW_APIC_ID);
	return hw_lapic_reg(l, HW_APIC_ID) >> 24;
}

/* Power-on state; id is the vCPU's initial APIC ID. */
void hw_lapic_reset(struct hw_lapic *l, u32 id, bool bsp);
/* INIT: like power-on, but the base MSR and the ID stay. */
void hw_lapic_init(struct hw_lapic *l);

/*
 * Register access through the xAPIC page (offset within the page, a
 * 32-bit access).  now is the APIC bus clock (ns).  read returns -1 for
 * an offset that is no register (the ESR records it).
 */
int hw_lapic_read(struct hw_lapic *l, u32 offset, u32 *val, u64 now);
void hw_lapic_write(struct hw_lapic *l, u32 offset, u32 val, u64 now,
		    struct hw_lapic_action *act);

/*
 * x2APIC MSRs 0x800-0x8ff: 0, or -1 for #GP (not in x2APIC mode, no such
 * register, a read-only register, reserved bits).
 */
int hw_lapic_msr_read(struct hw_lapic *l, u32 msr, u64 *val, u64 now);
int hw_lapic_msr_write(struct hw_lapic *l, u32 msr, u64 val, u64 now,
		       struct hw_lapic_action *act);

/*
 * IA32_APIC_BASE.  From the guest, only the architectural transitions
 * (disabled <-> xAPIC -> x2APIC -> disabled); from userspace, any
 * consistent state (restoring a saved vCPU).  0, or -1 (#GP / EINVAL).
 * maxphyaddr bounds the base address.
 */
int hw_lapic_set_base(struct hw_lapic *l, u64 val, bool from_guest,
		      int maxphyaddr, struct hw_lapic_action *act);

/* PPR: the higher of TPR and the class of the highest in-service vector. */
u32 hw_lapic_ppr(const struct hw_lapic *l);
/* The highest vector set in the 256-bit register at base, or -1. */
int hw_lapic_highest(const struct hw_lapic *l, u32 base);

/*
 * The vector the CPU should take now (the highest in IRR, above the
 * PPR's class), or -1.  *tpr_blocked is set to the highest IRR vector
 * that only the TPR holds back (a lower TPR would let it in), or -1.
 */
int hw_lapic_pending(const struct hw_lapic *l, int *tpr_blocked);

/* The CPU takes vector: IRR to ISR. */
void hw_lapic_accept(struct hw_lapic *l, int vector);

/*
 * Raise vector in IRR (any thread).  false if the APIC discards it:
 * disabled, or an illegal vector (0-15: the ESR records it).
 */
bool hw_lapic_set_irr(struct hw_lapic *l, int vector, bool level);

/* Does irq (not its shorthand) address this APIC? */
bool hw_lapic_match_dest(const struct hw_lapic *l, const struct hw_apic_irq *irq);

/*
 * Lowest-priority arbitration: the arbitration priority to compare
 * (lower wins).
 */
u32 hw_lapic_arb_priority(const struct hw_lapic *l);

/* Does the APIC take the PIC's interrupts (LINT0 in ExtINT mode, or off)? */
bool hw_lapic_accepts_pic(const struct hw_lapic *l);

/* LVT entry i (0: timer .. 5: error) and its delivery mode. */
u32 hw_lapic_lvt(const struct hw_lapic *l, int i);

/*
 * The timer.  The divisor from TDCR (1 to 128); the mode from LVTT; the
 * period of one TMICT count-down in ns (0: not counting); the current
 * count at now; and, at now, when it next expires (0: never).  Periodic
 * timers restart themselves: hw_lapic_timer_expired() moves timer_start
 * to the expiry it consumed and says whether an interrupt is due.
 */
u32 hw_lapic_timer_divisor(const struct hw_lapic *l);
u32 hw_lapic_timer_mode(const struct hw_lapic *l);
u64 hw_lapic_timer_period(const struct hw_lapic *l);
u32 hw_lapic_timer_current(const struct hw_lapic *l, u64 now);
u64 hw_lapic_timer_deadline(const struct hw_lapic *l);
bool hw_lapic_timer_expired(struct hw_lapic *l, u64 now);

/* The timer's interrupt, if LVTT lets it through: IRR; true if raised. */
bool hw_lapic_timer_fire(struct hw_lapic *l);

/* Decode an ICR value (as x2APIC's 64 bits) into an interrupt. */
void hw_lapic_icr_to_irq(u64 icr, bool x2apic, struct hw_apic_irq *irq);

/*
 * Decode an MSI (address 0xfeeXXXXX, data): false if the address is not
 * an interrupt message.
 */
bool hw_apic_msi_to_irq(u64 address, u32 data, struct hw_apic_irq *irq);

#endif /* HWVIRT_LAPIC_H */
