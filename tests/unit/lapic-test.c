/*
 * Unit tests of the local APIC's register model (linux-module/lapic.c),
 * built in userspace: priorities and PPR, IRR/ISR ordering and EOI,
 * destinations (physical, logical flat and cluster, x2APIC), LVT masking,
 * the timer's arithmetic, x2APIC MSRs and the APIC-base transitions.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lapic.h"

#include "tap.h"

static struct hw_lapic_action act;

static void wr(struct hw_lapic *l, u32 off, u32 val, u64 now)
{
	memset(&act, 0, sizeof(act));
	hw_lapic_write(l, off, val, now, &act);
}

static u32 rd(struct hw_lapic *l, u32 off, u64 now)
{
	u32 v = 0xdeadbeef;

	hw_lapic_read(l, off, &v, now);
	return v;
}

/* An enabled xAPIC with ID id, SVR on. */
static void up(struct hw_lapic *l, u32 id)
{
	memset(l, 0, sizeof(*l));
	hw_lapic_reset(l, id, id == 0);
	wr(l, HW_APIC_SVR, 0x1ff, 0);
}

static void test_reset(void)
{
	struct hw_lapic l;
	int i, masked = 1;

	memset(&l, 0, sizeof(l));
	hw_lapic_reset(&l, 3, false);
	for (i = 0; i <= HW_APIC_MAX_LVT; i++)
		masked &= !!(hw_lapic_lvt(&l, i) & HW_APIC_LVT_MASKED);
	result(l.base == (HW_APIC_DEFAULT_BASE | HW_APIC_BASE_EN) &&
	       rd(&l, HW_APIC_ID, 0) == 3U << 24 &&
	       rd(&l, HW_APIC_LVR, 0) == 0x50014 &&
	       rd(&l, HW_APIC_DFR, 0) == 0xffffffff &&
	       rd(&l, HW_APIC_SVR, 0) == 0xff && masked,
	       "reset: base, ID, version, DFR, SVR (disabled), LVTs masked");
	result(!hw_lapic_enabled(&l) && !hw_lapic_set_irr(&l, 0x40, false),
	       "reset: software-disabled, it takes no fixed interrupt");
	memset(&l, 0, sizeof(l));
	hw_lapic_reset(&l, 0, true);
	result(l.base & HW_APIC_BASE_BSP, "reset: the BSP has the BSP flag");
}

static void test_priority(void)
{
	struct hw_lapic l;
	int blocked, v;

	up(&l, 0);
	result(hw_lapic_pending(&l, &blocked) == -1 && blocked == -1,
	       "priority: nothing pending");
	hw_lapic_set_irr(&l, 0x31, false);
	hw_lapic_set_irr(&l, 0x62, false);
	hw_lapic_set_irr(&l, 0x61, false);
	v = hw_lapic_pending(&l, &blocked);
	result(v == 0x62, "priority: the highest IRR vector first (0x%x)", v);

	/* TPR 0x60 holds back class 6 and below. */
	wr(&l, HW_APIC_TPR, 0x60, 0);
	v = hw_lapic_pending(&l, &blocked);
	result(v == -1 && blocked == 0x62,
	       "priority: TPR 0x60 holds 0x62 back (blocked by the TPR alone)");
	result(rd(&l, HW_APIC_PPR, 0) == 0x60, "priority: PPR = TPR when no ISR");
	wr(&l, HW_APIC_TPR, 0x5f, 0);
	result(hw_lapic_pending(&l, &blocked) == 0x62,
	       "priority: TPR 0x5f lets class 6 in (classes compare, not vectors)");
	wr(&l, HW_APIC_TPR, 0, 0);

	hw_lapic_accept(&l, 0x62);
	result(hw_lapic_test_vector(&l, HW_APIC_ISR, 0x62) &&
	       !hw_lapic_test_vector(&l, HW_APIC_IRR, 0x62),
	       "accept: IRR to ISR");
	result(rd(&l, HW_APIC_PPR, 0) == 0x60,
	       "priority: PPR is the in-service class (0x60)");
	v = hw_lapic_pending(&l, &blocked);
	result(v == -1 && blocked == -1,
	       "priority: 0x61 waits for the EOI of 0x62 (same class; not the TPR)");
	hw_lapic_set_irr(&l, 0x71, false);
	result(hw_lapic_pending(&l, &blocked) == 0x71,
	       "priority: a higher class nests (0x71 over 0x62)");
	hw_lapic_accept(&l, 0x71);
	wr(&l, HW_APIC_EOI, 0, 0);
	result((act.mask & HW_LAPIC_ACT_EOI) && act.eoi_vector == 0x71 &&
	       !act.eoi_level,
	       "eoi: ends the highest in-service vector (0x71), edge");
	wr(&l, HW_APIC_EOI, 0, 0);
	result(act.eoi_vector == 0x62 && hw_lapic_highest(&l, HW_APIC_ISR) == -1,
	       "eoi: then 0x62; ISR empty");
	result(hw_lapic_pending(&l, &blocked) == 0x61 &&
	       hw_lapic_pending(&l, &blocked) == 0x61,
	       "priority: 0x61 deliverable after the EOI");
	hw_lapic_accept(&l, 0x61);
	hw_lapic_accept(&l, 0x31);
	result(hw_lapic_highest(&l, HW_APIC_ISR) == 0x61,
	       "isr: the highest of 0x61 and 0x31 is 0x61");

	/* Level-triggered: TMR set on acceptance, EOI reports it. */
	up(&l, 0);
	hw_lapic_set_irr(&l, 0x45, true);
	hw_lapic_accept(&l, 0x45);
	wr(&l, HW_APIC_EOI, 0, 0);
	result(act.eoi_vector == 0x45 && act.eoi_level,
	       "eoi: a level-triggered vector's EOI is reported as level");
	hw_lapic_set_irr(&l, 0x45, false);
	result(!hw_lapic_test_vector(&l, HW_APIC_TMR, 0x45),
	       "tmr: an edge interrupt on the vector clears TMR");
	result(!hw_lapic_set_irr(&l, 0x0f, false) && l.esr_pending,
	       "irr: vectors 0-15 are illegal (ESR: receive illegal vector)");
	wr(&l, HW_APIC_ESR, 0, 0);
	result(rd(&l, HW_APIC_ESR, 0) == HW_APIC_ESR_RECV_ILLEGAL_VECTOR,
	       "esr: a write latches the error (0x%x)", rd(&l, HW_APIC_ESR, 0));
}

static void test_dest(void)
{
	struct hw_lapic l;
	struct hw_apic_irq irq = { 0 };

	up(&l, 5);
	irq.dest = 5;
	result(hw_lapic_match_dest(&l, &irq), "dest: physical ID 5");
	irq.dest = 6;
	result(!hw_lapic_match_dest(&l, &irq), "dest: physical ID 6 is another");
	irq.dest = 0xff;
	result(hw_lapic_match_dest(&l, &irq), "dest: physical broadcast 0xff");

	/* Flat logical: LDR bit per CPU. */
	wr(&l, HW_APIC_LDR, 0x04000000, 0);
	irq.logical = true;
	irq.dest = 0x0c;
	result(hw_lapic_match_dest(&l, &irq), "dest: flat logical 0x0c has bit 2");
	irq.dest = 0x03;
	result(!hw_lapic_match_dest(&l, &irq), "dest: flat logical 0x03 has not");

	/* Cluster: DFR model 0, cluster 2 member bit 1. */
	wr(&l, HW_APIC_DFR, 0x0fffffff, 0);
	wr(&l, HW_APIC_LDR, 0x22000000, 0);
	irq.dest = 0x23;
	result(hw_lapic_match_dest(&l, &irq),
	       "dest: cluster 2, members 0x3 include 0x2");
	irq.dest = 0x32;
	result(!hw_lapic_match_dest(&l, &irq), "dest: cluster 3 is another");
	irq.dest = 0x21;
	result(!hw_lapic_match_dest(&l, &irq), "dest: cluster 2, member 0x1 only");

	/* x2APIC: ID 0x25 -> cluster 2, bit 5. */
	up(&l, 0x25);
	result(!hw_lapic_set_base(&l, l.base | HW_APIC_BASE_EXTD, true, 40, &act),
	       "x2apic: xAPIC -> x2APIC");
	result(rd(&l, HW_APIC_ID, 0) == 0x25 &&
	       rd(&l, HW_APIC_LDR, 0) == ((2U << 16) | (1U << 5)),
	       "x2apic: 32-bit ID, LDR derived (0x%x)", rd(&l, HW_APIC_LDR, 0));
	irq = (struct hw_apic_irq) { .dest = (2U << 16) | 0x21, .logical = true,
				     .x2apic = true };
	result(hw_lapic_match_dest(&l, &irq), "dest: x2APIC cluster 2 bits 0, 5");
	irq.dest = (3U << 16) | 0x21;
	result(!hw_lapic_match_dest(&l, &irq), "dest: x2APIC cluster 3");
	irq = (struct hw_apic_irq) { .dest = 0x25, .x2apic = true };
	result(hw_lapic_match_dest(&l, &irq), "dest: x2APIC physical 0x25");
	irq.dest = 0xffffffff;
	result(hw_lapic_match_dest(&l, &irq), "dest: x2APIC broadcast");
	irq = (struct hw_apic_irq) { .dest = 0x25 };
	result(hw_lapic_match_dest(&l, &irq),
	       "dest: an 8-bit (MSI) destination reaches the x2APIC with that ID");

	/* ICR and MSI decoding. */
	hw_lapic_icr_to_irq(0x0300000000004531ULL | (0xffULL << 32), false, &irq);
	result(irq.dest == 0x03 && irq.vector == 0x31 &&
	       irq.delivery_mode == HW_APIC_DM_INIT && irq.assert && !irq.logical,
	       "icr: xAPIC destination in ICR2[31:24], vector, INIT, assert");
	hw_lapic_icr_to_irq(0x00000007000c0831ULL, true, &irq);
	result(irq.dest == 7 && irq.logical && irq.shorthand == HW_APIC_SH_OTHERS,
	       "icr: x2APIC destination in 63:32, logical, all-but-self");
	result(hw_apic_msi_to_irq(0xfee0200cULL, 0x8141, &irq) &&
	       irq.dest == 2 && irq.logical && irq.vector == 0x41 &&
	       irq.delivery_mode == HW_APIC_DM_LOWEST && irq.level,
	       "msi: dest 2, logical with redirection hint -> lowest priority, level");
	result(!hw_apic_msi_to_irq(0xfed00000ULL, 0x41, &irq),
	       "msi: an address outside 0xfeexxxxx is no interrupt");
}

static void test_lvt(void)
{
	struct hw_lapic l;

	up(&l, 0);
	wr(&l, HW_APIC_LVT0, 0x700, 0);
	result(rd(&l, HW_APIC_LVT0, 0) == 0x700 && hw_lapic_accepts_pic(&l),
	       "lvt: LINT0 unmasked ExtINT takes the PIC");
	wr(&l, HW_APIC_LVT0, 0x10700, 0);
	result(!hw_lapic_accepts_pic(&l), "lvt: LINT0 masked: no PIC");
	wr(&l, HW_APIC_LVTT, 0x40, 0);
	wr(&l, HW_APIC_SVR, 0xff, 0);
	result(rd(&l, HW_APIC_LVTT, 0) & HW_APIC_LVT_MASKED,
	       "lvt: software disable masks every LVT");
	wr(&l, HW_APIC_LVTT, 0x40, 0);
	result(rd(&l, HW_APIC_LVTT, 0) & HW_APIC_LVT_MASKED,
	       "lvt: and they cannot be unmasked while it is off");
	wr(&l, HW_APIC_LVTTHMR, 0xffffffff, 0);
	result(rd(&l, HW_APIC_LVTTHMR, 0) == 0x107ff,
	       "lvt: thermal keeps only its writable bits (0x%x)",
	       rd(&l, HW_APIC_LVTTHMR, 0));
	l.base &= ~HW_APIC_BASE_EN;
	result(hw_lapic_accepts_pic(&l), "lvt: a disabled APIC passes the PIC on");
}

static void test_timer(void)
{
	struct hw_lapic l;
	u64 t0 = 1000000;
	int fired;

	up(&l, 0);
	wr(&l, HW_APIC_TDCR, 0xb, 0);
	result(hw_lapic_timer_divisor(&l) == 1, "timer: TDCR 0xb divides by 1");
	wr(&l, HW_APIC_TDCR, 0x0, 0);
	result(hw_lapic_timer_divisor(&l) == 2, "timer: TDCR 0 divides by 2");
	wr(&l, HW_APIC_TDCR, 0xa, 0);
	result(hw_lapic_timer_divisor(&l) == 128, "timer: TDCR 0xa divides by 128");
	wr(&l, HW_APIC_TDCR, 0x3, 0);		/* 16 */

	/* One-shot: 1000 counts of 16 ns. */
	wr(&l, HW_APIC_LVTT, 0x50, t0);
	wr(&l, HW_APIC_TMICT, 1000, t0);
	result((act.mask & HW_LAPIC_ACT_TIMER) &&
	       hw_lapic_timer_deadline(&l) == t0 + 16000,
	       "timer: one-shot deadline = TMICT x divisor ns");
	result(rd(&l, HW_APIC_TMCCT, t0 + 4000) == 750,
	       "timer: current count after a quarter (%u)",
	       rd(&l, HW_APIC_TMCCT, t0 + 4000));
	result(!hw_lapic_timer_expired(&l, t0 + 15999), "timer: not yet at -1 ns");
	fired = hw_lapic_timer_expired(&l, t0 + 16000);
	result(fired && hw_lapic_timer_fire(&l) &&
	       hw_lapic_test_vector(&l, HW_APIC_IRR, 0x50),
	       "timer: expired, LVTT vector 0x50 in IRR");
	result(!hw_lapic_timer_deadline(&l) && rd(&l, HW_APIC_TMCCT, t0 + 20000) == 0,
	       "timer: a one-shot stops at 0");

	/* Periodic: reloads, missed periods coalesce. */
	up(&l, 0);
	wr(&l, HW_APIC_TDCR, 0xb, 0);
	wr(&l, HW_APIC_LVTT, HW_APIC_TIMER_PERIODIC | 0x51, t0);
	wr(&l, HW_APIC_TMICT, 100, t0);
	result(hw_lapic_timer_expired(&l, t0 + 100) &&
	       hw_lapic_timer_deadline(&l) == t0 + 200,
	       "timer: periodic reloads (next at +200)");
	result(rd(&l, HW_APIC_TMCCT, t0 + 150) == 50,
	       "timer: periodic current count counts down again");
	result(hw_lapic_timer_expired(&l, t0 + 1050) &&
	       hw_lapic_timer_deadline(&l) == t0 + 1100,
	       "timer: missed periods coalesce into one expiry");

	/* Divide change mid-count keeps the count. */
	up(&l, 0);
	wr(&l, HW_APIC_TDCR, 0xb, 0);
	wr(&l, HW_APIC_LVTT, 0x52, t0);
	wr(&l, HW_APIC_TMICT, 1000, t0);
	wr(&l, HW_APIC_TDCR, 0x0, t0 + 400);	/* 600 left, now by 2 */
	result(rd(&l, HW_APIC_TMCCT, t0 + 400) == 600 &&
	       hw_lapic_timer_deadline(&l) == t0 + 400 + 1200,
	       "timer: a new divisor counts the rest at the new rate");

	/* Masked LVTT: expiry without an interrupt. */
	wr(&l, HW_APIC_LVTT, 0x10052, t0);
	result(!hw_lapic_timer_fire(&l) && !hw_lapic_test_vector(&l, HW_APIC_IRR, 0x52),
	       "timer: a masked LVTT raises nothing");

	/* TSC-deadline mode: TMICT ignored; switching modes disarms. */
	up(&l, 0);
	wr(&l, HW_APIC_LVTT, 0x53, t0);
	wr(&l, HW_APIC_TMICT, 500, t0);
	wr(&l, HW_APIC_LVTT, HW_APIC_TIMER_TSC_DEADLINE | 0x53, t0);
	result(rd(&l, HW_APIC_TMICT, t0) == 0 && !hw_lapic_timer_deadline(&l) &&
	       (act.mask & HW_LAPIC_ACT_TIMER),
	       "timer: TSC-deadline mode disarms the count-down");
	wr(&l, HW_APIC_TMICT, 500, t0);
	result(rd(&l, HW_APIC_TMICT, t0) == 0,
	       "timer: TMICT writes are ignored in TSC-deadline mode");
}

static void test_x2apic(void)
{
	struct hw_lapic l;
	u64 v = 0;

	up(&l, 1);
	result(hw_lapic_msr_read(&l, 0x802, &v, 0) == -1,
	       "x2apic: MSRs #GP in xAPIC mode");
	l.base &= ~HW_APIC_BASE_EN;
	result(hw_lapic_set_base(&l, l.base | HW_APIC_BASE_EN | HW_APIC_BASE_EXTD,
				 true, 40, &act) == -1,
	       "base: disabled -> x2APIC is refused");
	result(hw_lapic_set_base(&l, HW_APIC_BASE_EXTD | HW_APIC_DEFAULT_BASE,
				 false, 40, &act) == -1,
	       "base: x2APIC without enable is no state");
	result(!hw_lapic_set_base(&l, HW_APIC_DEFAULT_BASE | HW_APIC_BASE_EN,
				  true, 40, &act) &&
	       rd(&l, HW_APIC_ID, 0) == 1U << 24 && rd(&l, HW_APIC_SVR, 0) == 0xff,
	       "base: enabled again, in the power-on state");
	result(!hw_lapic_set_base(&l, l.base | HW_APIC_BASE_EXTD, true, 40, &act) &&
	       hw_lapic_x2apic(&l), "base: xAPIC -> x2APIC");
	result(hw_lapic_set_base(&l, l.base & ~HW_APIC_BASE_EXTD, true, 40,
				 &act) == -1,
	       "base: x2APIC -> xAPIC is refused");
	result(hw_lapic_set_base(&l, l.base | (1ULL << 45), true, 40, &act) == -1,
	       "base: an address beyond MAXPHYADDR is refused");
	result(!hw_lapic_set_base(&l, l.base & ~HW_APIC_BASE_BSP, true, 40, &act) &&
	       (l.base & HW_APIC_BASE_BSP) == 0,
	       "base: not the BSP");

	result(!hw_lapic_msr_read(&l, 0x802, &v, 0) && v == 1,
	       "x2apic: ID MSR (%llu)", (unsigned long long)v);
	memset(&act, 0, sizeof(act));
	result(hw_lapic_msr_write(&l, 0x802, 7, 0, &act) == -1,
	       "x2apic: the ID is read-only");
	result(hw_lapic_msr_write(&l, 0x80b, 1, 0, &act) == -1,
	       "x2apic: EOI with a non-zero value: #GP");
	result(hw_lapic_msr_read(&l, 0x80b, &v, 0) == -1,
	       "x2apic: EOI is write-only");
	result(hw_lapic_msr_write(&l, 0x808, 0x100, 0, &act) == -1,
	       "x2apic: TPR reserved bits: #GP");
	result(hw_lapic_msr_read(&l, 0x80e, &v, 0) == -1,
	       "x2apic: no DFR");
	memset(&act, 0, sizeof(act));
	result(!hw_lapic_msr_write(&l, 0x830, (3ULL << 32) | 0x4041, 0, &act) &&
	       (act.mask & HW_LAPIC_ACT_IPI) && act.ipi.dest == 3 &&
	       act.ipi.vector == 0x41 && act.ipi.x2apic,
	       "x2apic: a 64-bit ICR write sends an IPI to ID 3");
	result(!hw_lapic_msr_read(&l, 0x830, &v, 0) && v == ((3ULL << 32) | 0x4041),
	       "x2apic: ICR reads back 64 bits");
	memset(&act, 0, sizeof(act));
	result(!hw_lapic_msr_write(&l, 0x83f, 0x42, 0, &act) &&
	       act.ipi.shorthand == HW_APIC_SH_SELF && act.ipi.vector == 0x42,
	       "x2apic: SELF_IPI");
	result(hw_lapic_msr_write(&l, 0x83f, 0x142, 0, &act) == -1,
	       "x2apic: SELF_IPI reserved bits: #GP");
	result(!hw_lapic_set_base(&l, l.base & ~(HW_APIC_BASE_EN | HW_APIC_BASE_EXTD),
				  true, 40, &act) && !hw_lapic_enabled_hw(&l),
	       "base: x2APIC -> disabled");
}

int main(void)
{
	test_reset();
	test_priority();
	test_dest();
	test_lvt();
	test_timer();
	test_x2apic();
	printf("# %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
