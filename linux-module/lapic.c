// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the local APIC's registers (see lapic.h).
 *
 * Builds in the kernel and, for the unit tests, in userspace: atomic bit
 * operations are the kernel's or the compiler's.
 */

#include "lapic.h"

#ifdef __KERNEL__
#define lapic_set_bit(nr, word)		set_bit(nr, (unsigned long *)(word))
#define lapic_clear_bit(nr, word)	clear_bit(nr, (unsigned long *)(word))
#define lapic_read_once(x)		READ_ONCE(x)
#else
#define lapic_set_bit(nr, word) \
	__atomic_fetch_or((word), 1U << (nr), __ATOMIC_SEQ_CST)
#define lapic_clear_bit(nr, word) \
	__atomic_fetch_and((word), ~(1U << (nr)), __ATOMIC_SEQ_CST)
#define lapic_read_once(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define NULL ((void *)0)
#endif

/* LVT registers, in LVT index order. */
static const u32 lvt_offset[HW_APIC_MAX_LVT + 1] = {
	HW_APIC_LVTT, HW_APIC_LVTTHMR, HW_APIC_LVTPC,
	HW_APIC_LVT0, HW_APIC_LVT1, HW_APIC_LVTERR,
};

/* Bits of each LVT entry software may set. */
static const u32 lvt_writable[HW_APIC_MAX_LVT + 1] = {
	/* timer: vector, mask, mode (TSC deadline only if offered: irq.c) */
	HW_APIC_LVT_VECTOR | HW_APIC_LVT_MASKED | HW_APIC_LVT_TIMER_MODE,
	/* thermal, performance: vector, delivery mode, mask */
	HW_APIC_LVT_VECTOR | HW_APIC_LVT_DM | HW_APIC_LVT_MASKED,
	HW_APIC_LVT_VECTOR | HW_APIC_LVT_DM | HW_APIC_LVT_MASKED,
	/* LINT0/1: also polarity and trigger mode */
	HW_APIC_LVT_VECTOR | HW_APIC_LVT_DM | HW_APIC_LVT_POLARITY |
	HW_APIC_LVT_LEVEL | HW_APIC_LVT_MASKED,
	HW_APIC_LVT_VECTOR | HW_APIC_LVT_DM | HW_APIC_LVT_POLARITY |
	HW_APIC_LVT_LEVEL | HW_APIC_LVT_MASKED,
	/* error: vector, mask */
	HW_APIC_LVT_VECTOR | HW_APIC_LVT_MASKED,
};

u32 hw_lapic_lvt(const struct hw_lapic *l, int i)
{
	return hw_lapic_reg(l, lvt_offset[i]);
}

static void mask_all_lvts(struct hw_lapic *l)
{
	int i;

	for (i = 0; i <= HW_APIC_MAX_LVT; i++)
		hw_lapic_set_reg(l, lvt_offset[i],
				 hw_lapic_lvt(l, i) | HW_APIC_LVT_MASKED);
}

/* x2APIC's logical ID: cluster (ID[19:4]) and a bit for ID[3:0]. */
static u32 x2apic_ldr(u32 id)
{
	return ((id >> 4) << 16) | (1U << (id & 0xf));
}

/* The registers INIT and power-on share. */
static void reset_registers(struct hw_lapic *l)
{
	u32 id = hw_lapic_reg(l, HW_APIC_ID);
	int i;

	for (i = 0; i < HW_LAPIC_REGS_SIZE / 4; i++)
		l->regs[i] = 0;
	hw_lapic_set_reg(l, HW_APIC_ID, id);
	hw_lapic_set_reg(l, HW_APIC_LVR, HW_APIC_LVR_VALUE);
	hw_lapic_set_reg(l, HW_APIC_DFR, 0xffffffffU);
	hw_lapic_set_reg(l, HW_APIC_SVR, 0xff);
	if (hw_lapic_x2apic(l))
		hw_lapic_set_reg(l, HW_APIC_LDR, x2apic_ldr(l->initial_id));
	mask_all_lvts(l);
	l->esr_pending = 0;
	l->timer_start = 0;
	l->tsc_deadline = 0;
}

void hw_lapic_reset(struct hw_lapic *l, u32 id, bool bsp)
{
	l->base = HW_APIC_DEFAULT_BASE | HW_APIC_BASE_EN |
		  (bsp ? HW_APIC_BASE_BSP : 0);
	l->initial_id = id;
	hw_lapic_set_reg(l, HW_APIC_ID, id << 24);
	reset_registers(l);
}

void hw_lapic_init(struct hw_lapic *l)
{
	reset_registers(l);
}

/* ------------------------------------------------------------------------
 * Priorities and vectors
 */

int hw_lapic_highest(const struct hw_lapic *l, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = lapic_read_once(l->regs[(base + i * 0x10) / 4]);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

u32 hw_lapic_ppr(const struct hw_lapic *l)
{
	u32 tpr = hw_lapic_reg(l, HW_APIC_TPR) & 0xff;
	int isr = hw_lapic_highest(l, HW_APIC_ISR);
	u32 isrv = isr < 0 ? 0 : (u32)isr;

	if ((tpr & 0xf0) >= (isrv & 0xf0))
		return tpr;
	return isrv & 0xf0;
}

int hw_lapic_pending(const struct hw_lapic *l, int *tpr_blocked)
{
	int irr = hw_lapic_highest(l, HW_APIC_IRR);
	int isr = hw_lapic_highest(l, HW_APIC_ISR);
	u32 ppr = hw_lapic_ppr(l);

	*tpr_blocked = -1;
	if (irr < 0 || !hw_lapic_enabled_hw(l))
		return -1;
	if (((u32)irr & 0xf0) > (ppr & 0xf0))
		return irr;
	/* Held back by the TPR alone: above every in-service class. */
	if (isr < 0 || ((u32)irr & 0xf0) > ((u32)isr & 0xf0))
		*tpr_blocked = irr;
	return -1;
}

void hw_lapic_accept(struct hw_lapic *l, int vector)
{
	lapic_clear_bit(HW_APIC_VEC_BIT(vector),
			&l->regs[HW_APIC_VEC_REG(HW_APIC_IRR, vector) / 4]);
	l->regs[HW_APIC_VEC_REG(HW_APIC_ISR, vector) / 4] |=
		1U << HW_APIC_VEC_BIT(vector);
}

bool hw_lapic_set_irr(struct hw_lapic *l, int vector, bool level)
{
	u32 *tmr = &l->regs[HW_APIC_VEC_REG(HW_APIC_TMR, vector) / 4];
	u32 *irr = &l->regs[HW_APIC_VEC_REG(HW_APIC_IRR, vector) / 4];

	if (!hw_lapic_enabled(l))
		return false;
	if (vector < 16) {
		lapic_set_bit(6, &l->esr_pending);	/* receive illegal vector */
		return false;
	}
	if (level)
		lapic_set_bit(HW_APIC_VEC_BIT(vector), tmr);
	else
		lapic_clear_bit(HW_APIC_VEC_BIT(vector), tmr);
	lapic_set_bit(HW_APIC_VEC_BIT(vector), irr);
	return true;
}

/* EOI: the highest in-service vector is done. */
static void eoi(struct hw_lapic *l, struct hw_lapic_action *act)
{
	int v = hw_lapic_highest(l, HW_APIC_ISR);

	if (v < 0)
		return;
	l->regs[HW_APIC_VEC_REG(HW_APIC_ISR, v) / 4] &=
		~(1U << HW_APIC_VEC_BIT(v));
	act->mask |= HW_LAPIC_ACT_EOI | HW_LAPIC_ACT_EVENT;
	act->eoi_vector = v;
	act->eoi_level = hw_lapic_test_vector(l, HW_APIC_TMR, v);
}

u32 hw_lapic_arb_priority(const struct hw_lapic *l)
{
	return hw_lapic_ppr(l);
}

bool hw_lapic_accepts_pic(const struct hw_lapic *l)
{
	u32 lvt0 = hw_lapic_reg(l, HW_APIC_LVT0);

	if (!hw_lapic_enabled_hw(l))
		return true;
	return !(lvt0 & HW_APIC_LVT_MASKED) &&
	       ((lvt0 & HW_APIC_LVT_DM) >> HW_APIC_LVT_DM_SHIFT) ==
		HW_APIC_DM_EXTINT;
}

/* ------------------------------------------------------------------------
 * Destinations
 */

bool hw_lapic_match_dest(const struct hw_lapic *l,
			 const struct hw_apic_irq *irq)
{
	bool broadcast = irq->x2apic ? irq->dest == 0xffffffffU :
				       irq->dest == 0xff;
	u32 ldr, dfr;

	if (!hw_lapic_enabled_hw(l))
		return false;
	if (broadcast)
		return true;
	/*
	 * Physical: the ID.  An 8-bit destination (an MSI, the IOAPIC, an
	 * xAPIC) addresses an x2APIC by its full ID as well.
	 */
	if (!irq->logical)
		return irq->dest == hw_lapic_id(l);

	ldr = lapic_read_once(l->regs[HW_APIC_LDR / 4]);
	if (hw_lapic_x2apic(l)) {
		/* Cluster in bits 31:16, a bit per member in 15:0. */
		return (irq->dest >> 16) == (ldr >> 16) &&
		       (irq->dest & ldr & 0xffff);
	}
	ldr >>= 24;
	dfr = lapic_read_once(l->regs[HW_APIC_DFR / 4]) >> 28;
	if (dfr == 0xf)		/* flat: a bit per APIC */
		return irq->dest & ldr & 0xff;
	/* cluster: cluster in bits 7:4, a bit per member in 3:0 */
	return ((irq->dest >> 4) & 0xf) == (ldr >> 4) &&
	       (irq->dest & ldr & 0xf);
}

void hw_lapic_icr_to_irq(u64 icr, bool x2apic, struct hw_apic_irq *irq)
{
	u32 lo = (u32)icr;

	irq->vector = lo & HW_APIC_ICR_VECTOR;
	irq->delivery_mode = (lo >> HW_APIC_ICR_DM_SHIFT) & 7;
	irq->logical = lo & HW_APIC_ICR_LOGICAL;
	irq->level = lo & HW_APIC_ICR_LEVEL;
	irq->assert = lo & HW_APIC_ICR_ASSERT;
	irq->shorthand = (lo & HW_APIC_ICR_SH) >> HW_APIC_ICR_SH_SHIFT;
	irq->x2apic = x2apic;
	irq->dest = x2apic ? (u32)(icr >> 32) : (u32)(icr >> 56);
}

bool hw_apic_msi_to_irq(u64 address, u32 data, struct hw_apic_irq *irq)
{
	/* 0xFEEx_xxxx: dest ID 19:12, RH 3, DM 2. */
	if ((address >> 20) != 0xfee)
		return false;
	irq->dest = (address >> 12) & 0xff;
	irq->logical = address & (1U << 2);
	irq->vector = data & 0xff;
	irq->delivery_mode = (data >> 8) & 7;
	irq->level = data & (1U << 15);
	irq->assert = true;
	irq->shorthand = HW_APIC_SH_NONE;
	irq->x2apic = false;
	/*
	 * With the redirection hint, the message goes to one of the
	 * addressed APICs only, as lowest priority (physical mode reaches
	 * one APIC anyway).
	 */
	if ((address & (1U << 3)) && irq->logical &&
	    irq->delivery_mode == HW_APIC_DM_FIXED)
		irq->delivery_mode = HW_APIC_DM_LOWEST;
	return true;
}

/* ------------------------------------------------------------------------
 * The timer
 */

u32 hw_lapic_timer_divisor(const struct hw_lapic *l)
{
	u32 tdcr = hw_lapic_reg(l, HW_APIC_TDCR);
	/* Bits 0, 1 and 3: 000 -> 2, 001 -> 4, ..., 110 -> 128, 111 -> 1. */
	u32 v = (tdcr & 3) | ((tdcr >> 1) & 4);

	return 1U << ((v + 1) & 7);
}

u32 hw_lapic_timer_mode(const struct hw_lapic *l)
{
	return hw_lapic_reg(l, HW_APIC_LVTT) & HW_APIC_LVT_TIMER_MODE;
}

u64 hw_lapic_timer_period(const struct hw_lapic *l)
{
	return (u64)hw_lapic_reg(l, HW_APIC_TMICT) *
	       hw_lapic_timer_divisor(l) * HW_APIC_BUS_NS;
}

u32 hw_lapic_timer_current(const struct hw_lapic *l, u64 now)
{
	u64 period = hw_lapic_timer_period(l), elapsed;

	if (!l->timer_start || !period ||
	    hw_lapic_timer_mode(l) == HW_APIC_TIMER_TSC_DEADLINE)
		return 0;
	elapsed = now > l->timer_start ? now - l->timer_start : 0;
	if (elapsed >= period) {
		if (hw_lapic_timer_mode(l) != HW_APIC_TIMER_PERIODIC)
			return 0;
		elapsed %= period;
	}
	return (u32)((period - elapsed) /
		     (hw_lapic_timer_divisor(l) * HW_APIC_BUS_NS));
}

u64 hw_lapic_timer_deadline(const struct hw_lapic *l)
{
	u64 period = hw_lapic_timer_period(l);

	if (!l->timer_start || !period ||
	    hw_lapic_timer_mode(l) == HW_APIC_TIMER_TSC_DEADLINE)
		return 0;
	return l->timer_start + period;
}

bool hw_lapic_timer_expired(struct hw_lapic *l, u64 now)
{
	u64 period = hw_lapic_timer_period(l), due = hw_lapic_timer_deadline(l);

	if (!due || now < due)
		return false;
	if (hw_lapic_timer_mode(l) == HW_APIC_TIMER_PERIODIC) {
		/* Missed periods coalesce into one interrupt. */
		l->timer_start = due + ((now - due) / period) * period;
	} else {
		l->timer_start = 0;
	}
	return true;
}

bool hw_lapic_timer_fire(struct hw_lapic *l)
{
	u32 lvtt = hw_lapic_reg(l, HW_APIC_LVTT);

	if (lvtt & HW_APIC_LVT_MASKED)
		return false;
	return hw_lapic_set_irr(l, lvtt & HW_APIC_LVT_VECTOR, false);
}

/* ------------------------------------------------------------------------
 * Register access
 */

static bool is_register(u32 offset, bool x2apic)
{
	switch (offset) {
	case HW_APIC_ID: case HW_APIC_LVR: case HW_APIC_TPR: case HW_APIC_PPR:
	case HW_APIC_EOI: case HW_APIC_LDR: case HW_APIC_SVR:
	case HW_APIC_ESR: case HW_APIC_ICR: case HW_APIC_LVTT:
	case HW_APIC_LVTTHMR: case HW_APIC_LVTPC: case HW_APIC_LVT0:
	case HW_APIC_LVT1: case HW_APIC_LVTERR: case HW_APIC_TMICT:
	case HW_APIC_TMCCT: case HW_APIC_TDCR:
		return true;
	case HW_APIC_APR: case HW_APIC_RRR: case HW_APIC_DFR: case HW_APIC_ICR2:
		return !x2apic;
	case HW_APIC_SELF_IPI:
		return x2apic;
	}
	return (offset >= HW_APIC_ISR && offset < HW_APIC_ESR &&
		!(offset & 0xf));
}

int hw_lapic_read(struct hw_lapic *l, u32 offset, u32 *val, u64 now)
{
	bool x2apic = hw_lapic_x2apic(l);

	if (!is_register(offset, x2apic) || offset == HW_APIC_SELF_IPI) {
		l->esr_pending |= HW_APIC_ESR_ILLEGAL_REGISTER;
		*val = 0;
		return -1;
	}
	switch (offset) {
	case HW_APIC_PPR:
		*val = hw_lapic_ppr(l);
		break;
	case HW_APIC_APR:
		*val = hw_lapic_arb_priority(l);
		break;
	case HW_APIC_TMCCT:
		*val = hw_lapic_timer_current(l, now);
		break;
	case HW_APIC_EOI:
		*val = 0;
		break;
	default:
		*val = lapic_read_once(l->regs[offset / 4]);
		break;
	}
	return 0;
}

static void write_lvt(struct hw_lapic *l, int i, u32 val,
		      struct hw_lapic_action *act)
{
	u32 old = hw_lapic_lvt(l, i);

	val &= lvt_writable[i];
	/* A software-disabled APIC keeps its LVT entries masked. */
	if (!(hw_lapic_reg(l, HW_APIC_SVR) & HW_APIC_SVR_ENABLE))
		val |= HW_APIC_LVT_MASKED;
	/* Remote IRR is the APIC's, not software's. */
	val |= old & HW_APIC_LVT_REMOTE_IRR;
	hw_lapic_set_reg(l, lvt_offset[i], val);
	if (i == 0 && ((old ^ val) & HW_APIC_LVT_TIMER_MODE)) {
		/* A new timer mode disarms the timer. */
		hw_lapic_set_reg(l, HW_APIC_TMICT, 0);
		l->timer_start = 0;
		l->tsc_deadline = 0;
		act->mask |= HW_LAPIC_ACT_TIMER;
	}
	if (i == 3)		/* LINT0: the PIC's route */
		act->mask |= HW_LAPIC_ACT_EVENT;
}

void hw_lapic_write(struct hw_lapic *l, u32 offset, u32 val, u64 now,
		    struct hw_lapic_action *act)
{
	bool x2apic = hw_lapic_x2apic(l);
	u32 old;

	if (!is_register(offset, x2apic)) {
		l->esr_pending |= HW_APIC_ESR_ILLEGAL_REGISTER;
		return;
	}
	switch (offset) {
	case HW_APIC_ID:
		/* Writable in xAPIC mode only (x2APIC: read-only). */
		if (!x2apic)
			hw_lapic_set_reg(l, HW_APIC_ID, val & 0xff000000U);
		act->mask |= HW_LAPIC_ACT_MODE;
		break;
	case HW_APIC_TPR:
		hw_lapic_set_reg(l, HW_APIC_TPR, val & 0xff);
		act->mask |= HW_LAPIC_ACT_EVENT;
		break;
	case HW_APIC_EOI:
		eoi(l, act);
		break;
	case HW_APIC_LDR:
		if (!x2apic)
			hw_lapic_set_reg(l, HW_APIC_LDR, val & 0xff000000U);
		break;
	case HW_APIC_DFR:
		hw_lapic_set_reg(l, HW_APIC_DFR, val | 0x0fffffffU);
		break;
	case HW_APIC_SVR:
		old = hw_lapic_reg(l, HW_APIC_SVR);
		hw_lapic_set_reg(l, HW_APIC_SVR,
				 val & (0xff | HW_APIC_SVR_ENABLE | HW_APIC_SVR_FOCUS));
		if (!(val & HW_APIC_SVR_ENABLE))
			mask_all_lvts(l);
		if ((old ^ val) & HW_APIC_SVR_ENABLE)
			act->mask |= HW_LAPIC_ACT_EVENT | HW_LAPIC_ACT_TIMER;
		break;
	case HW_APIC_ESR:
		/* A write latches the errors seen since the last one. */
		hw_lapic_set_reg(l, HW_APIC_ESR, l->esr_pending);
		l->esr_pending = 0;
		break;
	case HW_APIC_ICR:
		hw_lapic_set_reg(l, HW_APIC_ICR, val & ~HW_APIC_ICR_BUSY);
		hw_lapic_icr_to_irq(((u64)hw_lapic_reg(l, HW_APIC_ICR2) << 32) |
				    val, false, &act->ipi);
		act->mask |= HW_LAPIC_ACT_IPI;
		break;
	case HW_APIC_ICR2:
		hw_lapic_set_reg(l, HW_APIC_ICR2, val & 0xff000000U);
		break;
	case HW_APIC_LVTT: case HW_APIC_LVTTHMR: case HW_APIC_LVTPC:
	case HW_APIC_LVT0: case HW_APIC_LVT1: case HW_APIC_LVTERR: {
		int i;

		for (i = 0; lvt_offset[i] != offset; i++)
			;
		write_lvt(l, i, val, act);
		break;
	}
	case HW_APIC_TMICT:
		if (hw_lapic_timer_mode(l) == HW_APIC_TIMER_TSC_DEADLINE)
			break;		/* ignored in TSC-deadline mode */
		hw_lapic_set_reg(l, HW_APIC_TMICT, val);
		l->timer_start = val ? now : 0;
		act->mask |= HW_LAPIC_ACT_TIMER;
		break;
	case HW_APIC_TDCR: {
		u32 left = hw_lapic_timer_current(l, now);

		hw_lapic_set_reg(l, HW_APIC_TDCR, val & 0xb);
		/*
		 * The count goes on from where it was, at the new rate: move
		 * the start so that the remaining count is unchanged.
		 */
		if (l->timer_start && left) {
			u64 done = hw_lapic_timer_period(l) -
				   (u64)left * hw_lapic_timer_divisor(l) *
				   HW_APIC_BUS_NS;

			l->timer_start = now - done;
			act->mask |= HW_LAPIC_ACT_TIMER;
		}
		break;
	}
	case HW_APIC_SELF_IPI:
		act->ipi = (struct hw_apic_irq) {
			.vector = val & 0xff, .delivery_mode = HW_APIC_DM_FIXED,
			.shorthand = HW_APIC_SH_SELF, .x2apic = true,
			.assert = true,
		};
		act->mask |= HW_LAPIC_ACT_IPI;
		break;
	default:
		/* Read-only: LVR, PPR, APR, RRR, ISR, TMR, IRR, TMCCT. */
		break;
	}
}

/* ------------------------------------------------------------------------
 * x2APIC MSRs
 */

int hw_lapic_msr_read(struct hw_lapic *l, u32 msr, u64 *val, u64 now)
{
	u32 offset = (msr - HW_MSR_X2APIC_FIRST) << 4, v;

	if (!hw_lapic_x2apic(l) || msr < HW_MSR_X2APIC_FIRST ||
	    msr > HW_MSR_X2APIC_LAST || !is_register(offset, true) ||
	    offset == HW_APIC_EOI || offset == HW_APIC_SELF_IPI)
		return -1;
	if (offset == HW_APIC_ICR) {
		*val = ((u64)hw_lapic_reg(l, HW_APIC_ICR2) << 32) |
		       hw_lapic_reg(l, HW_APIC_ICR);
		return 0;
	}
	hw_lapic_read(l, offset, &v, now);
	*val = v;
	return 0;
}

int hw_lapic_msr_write(struct hw_lapic *l, u32 msr, u64 val, u64 now,
		       struct hw_lapic_action *act)
{
	u32 offset = (msr - HW_MSR_X2APIC_FIRST) << 4;

	if (!hw_lapic_x2apic(l) || msr < HW_MSR_X2APIC_FIRST ||
	    msr > HW_MSR_X2APIC_LAST || !is_register(offset, true))
		return -1;
	switch (offset) {
	case HW_APIC_ICR:
		/* 64 bits: the destination in 63:32; no busy bit. */
		if (val & 0xfff32000ULL)
			return -1;
		hw_lapic_set_reg(l, HW_APIC_ICR2, val >> 32);
		hw_lapic_set_reg(l, HW_APIC_ICR, (u32)val);
		hw_lapic_icr_to_irq(val, true, &act->ipi);
		act->mask |= HW_LAPIC_ACT_IPI;
		return 0;
	case HW_APIC_ID: case HW_APIC_LVR: case HW_APIC_PPR: case HW_APIC_LDR:
	case HW_APIC_TMCCT:
		return -1;	/* read-only: #GP */
	case HW_APIC_EOI:
	case HW_APIC_ESR:
		if (val)
			return -1;
		break;
	case HW_APIC_SELF_IPI:
		if (val & ~0xffULL)
			return -1;
		break;
	case HW_APIC_TPR:
		if (val & ~0xffULL)
			return -1;
		break;
	default:
		if (offset >= HW_APIC_ISR && offset < HW_APIC_ESR)
			return -1;	/* ISR, TMR, IRR: read-only */
		if (val >> 32)
			return -1;
		break;
	}
	hw_lapic_write(l, offset, (u32)val, now, act);
	return 0;
}

/* ------------------------------------------------------------------------
 * IA32_APIC_BASE
 */

int hw_lapic_set_base(struct hw_lapic *l, u64 val, bool from_guest,
		      int maxphyaddr, struct hw_lapic_action *act)
{
	u64 reserved = ~(((1ULL << maxphyaddr) - 1) & HW_APIC_BASE_ADDR) &
		       ~(HW_APIC_BASE_BSP | HW_APIC_BASE_EXTD | HW_APIC_BASE_EN);
	u64 old = l->base, mode = HW_APIC_BASE_EN | HW_APIC_BASE_EXTD;
	bool was_x2apic = hw_lapic_x2apic(l);

	if (val & reserved)
		return -1;
	/* EXTD without EN is not a state. */
	if ((val & mode) == HW_APIC_BASE_EXTD)
		return -1;
	if (from_guest) {
		/* Disabled -> x2APIC, or x2APIC -> xAPIC: not directly. */
		if ((val & mode) == mode && !(old & HW_APIC_BASE_EN))
			return -1;
		if ((val & mode) == HW_APIC_BASE_EN && was_x2apic)
			return -1;
		/* The BSP flag is the platform's. */
		val = (val & ~HW_APIC_BASE_BSP) | (old & HW_APIC_BASE_BSP);
	}
	l->base = val;
	if ((old ^ val) & mode) {
		act->mask |= HW_LAPIC_ACT_MODE | HW_LAPIC_ACT_EVENT |
			     HW_LAPIC_ACT_TIMER;
		if (!(old & HW_APIC_BASE_EN) && (val & HW_APIC_BASE_EN)) {
			/* Enabled again: the power-on register state. */
			hw_lapic_set_reg(l, HW_APIC_ID, l->initial_id << 24);
			reset_registers(l);
		}
		if (hw_lapic_x2apic(l) && !was_x2apic) {
			/* x2APIC: the ID is the full initial ID, LDR derived. */
			hw_lapic_set_reg(l, HW_APIC_ID, l->initial_id);
			hw_lapic_set_reg(l, HW_APIC_LDR,
					 x2apic_ldr(l->initial_id));
		} else if (!hw_lapic_x2apic(l) && was_x2apic) {
			hw_lapic_set_reg(l, HW_APIC_ID, l->initial_id << 24);
			hw_lapic_set_reg(l, HW_APIC_LDR, 0);
		}
	}
	return 0;
}
