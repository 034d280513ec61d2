// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: interrupts with the local APIC in the module (HWVIRT_VM_LAPIC).
 *
 * The register model is lapic.c; this file connects it to the rest: the
 * guest's register accesses (the xAPIC page as MMIO, the x2APIC MSRs, the
 * APIC base, CR8), the APIC bus (IPIs between vCPUs, MSIs from
 * userspace's devices and IOAPIC), the timer (an hrtimer per vCPU), and
 * the vCPU states the APIC drives: HLT sleeps in the module until an
 * interrupt can be taken, INIT stops a vCPU until a SIPI starts it.
 *
 * Cross-thread rules.  A sender (another vCPU's thread, a userspace
 * thread in HWVIRT_SIGNAL_MSI, the timer's interrupt) only sets bits the
 * receiver consumes (IRR/TMR, pending_events, nmi_queued, timer_pending)
 * and then kicks it: HWVIRT_REQ_EVENT, then a wake-up if it sleeps or an
 * IPI if it is in guest mode.  Everything else of a vCPU's APIC is its
 * own thread's.  The receiver publishes vcpu->mode before it reads
 * vcpu->requests (hwvirt_enter_begin), the sender sets the request before it
 * reads vcpu->mode: one of them sees the other.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/rcuwait.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <asm/tsc.h>

#include "x86.h"

static u64 apic_now(void)
{
	return ktime_get_ns();
}

static u64 guest_tsc(struct hwvirt_vcpu *vcpu)
{
	return rdtsc() + hwvirt_tsc_offset(vcpu);
}

/* ------------------------------------------------------------------------
 * Kicks and sleeps
 */

void hwvirt_vcpu_kick(struct hwvirt_vcpu *vcpu)
{
	int cpu, me;

	set_bit(HWVIRT_REQ_EVENT, &vcpu->requests);
	/* The request before the mode: pairs with hwvirt_enter_begin(). */
	smp_mb__after_atomic();
	if (rcuwait_wake_up(&vcpu->wait))
		return;
	me = get_cpu();
	cpu = READ_ONCE(vcpu->cpu);
	if (cpu != me && cpu >= 0 && READ_ONCE(vcpu->mode) == HWVIRT_IN_GUEST)
		smp_send_reschedule(cpu);	/* ends guest mode there */
	put_cpu();
}

/* Sleep until a kick (HWVIRT_REQ_EVENT) or a signal: 0 or -EINTR. */
int hwvirt_vcpu_block(struct hwvirt_vcpu *vcpu)
{
	return rcuwait_wait_event(&vcpu->wait,
				  test_bit(HWVIRT_REQ_EVENT, &vcpu->requests),
				  TASK_INTERRUPTIBLE);
}

/* ------------------------------------------------------------------------
 * The timer
 */

static enum hrtimer_restart apic_timer_fn(struct hrtimer *t)
{
	struct hwvirt_apic *apic = container_of(t, struct hwvirt_apic, timer);

	atomic_inc(&apic->timer_pending);
	hwvirt_vcpu_kick(apic->vcpu);
	return HRTIMER_NORESTART;
}

/* (Re)arm the hrtimer for the timer's next expiry, or stop it. */
static void apic_timer_arm(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_apic *apic = vcpu->apic;
	struct hw_lapic *l = &apic->lapic;
	u64 expires = 0, now, tsc;

	hrtimer_cancel(&apic->timer);
	if (hw_lapic_timer_mode(l) == HW_APIC_TIMER_TSC_DEADLINE) {
		if (!l->tsc_deadline || !tsc_khz)
			return;
		now = apic_now();
		tsc = guest_tsc(vcpu);
		expires = now;
		if (l->tsc_deadline > tsc)
			expires += mul_u64_u32_div(l->tsc_deadline - tsc,
						   NSEC_PER_MSEC, tsc_khz) + 1;
	} else {
		expires = hw_lapic_timer_deadline(l);
		if (expires && hw_lapic_timer_mode(l) == HW_APIC_TIMER_PERIODIC &&
		    hw_lapic_timer_period(l) < HWVIRT_APIC_MIN_PERIOD_NS)
			expires = max(expires, apic_now() +
					       HWVIRT_APIC_MIN_PERIOD_NS);
	}
	if (expires)
		hrtimer_start(&apic->timer, ns_to_ktime(expires),
			      HRTIMER_MODE_ABS_HARD);
}

/* The vCPU's thread: turn timer expiries into interrupts. */
static void apic_timer_events(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_apic *apic = vcpu->apic;
	struct hw_lapic *l = &apic->lapic;
	bool due;

	if (!atomic_xchg(&apic->timer_pending, 0))
		return;
	if (hw_lapic_timer_mode(l) == HW_APIC_TIMER_TSC_DEADLINE) {
		due = l->tsc_deadline && guest_tsc(vcpu) >= l->tsc_deadline;
		if (due)
			l->tsc_deadline = 0;
	} else {
		due = hw_lapic_timer_expired(l, apic_now());
	}
	if (due && hw_lapic_timer_fire(l))
		vcpu->stat[HWVIRT_STAT_APIC_TIMER_IRQS]++;
	/* Periodic, or woken early: the next expiry. */
	apic_timer_arm(vcpu);
}

/* ------------------------------------------------------------------------
 * The APIC bus
 */

static void apic_deliver_one(struct hwvirt_vcpu *v, const struct hw_apic_irq *irq)
{
	struct hwvirt_apic *apic = v->apic;

	switch (irq->delivery_mode) {
	case HW_APIC_DM_FIXED:
	case HW_APIC_DM_LOWEST:
		if (!hw_lapic_set_irr(&apic->lapic, irq->vector, irq->level))
			return;
		break;
	case HW_APIC_DM_NMI:
		atomic_inc(&v->nmi_queued);
		break;
	case HW_APIC_DM_INIT:
		/* The level de-assert of old APICs does nothing. */
		if (irq->level && !irq->assert)
			return;
		set_bit(HWVIRT_APIC_INIT, &apic->pending_events);
		break;
	case HW_APIC_DM_SIPI:
		WRITE_ONCE(apic->sipi_vector, irq->vector);
		/* The vector before the bit: pairs with apic_run_events(). */
		smp_mb__before_atomic();
		set_bit(HWVIRT_APIC_SIPI, &apic->pending_events);
		break;
	case HW_APIC_DM_SMI:
		/* No SMM here: counted (the "smis" statistic), dropped. */
		atomic64_inc(&v->vm->smis);
		return;
	default:
		/* ExtINT by IPI: the PIC's business, dropped. */
		return;
	}
	hwvirt_vcpu_kick(v);
}

/*
 * Send irq from src (NULL: from outside, an MSI) to the APICs it
 * addresses.  Returns how many took it.
 */
int hwvirt_apic_deliver(struct hwvirt_vm *vm, struct hwvirt_vcpu *src,
			const struct hw_apic_irq *irq)
{
	struct hwvirt_vcpu *lowest = NULL;
	u32 lowest_prio = ~0U;
	int i, n = atomic_read(&vm->nr_vcpus), taken = 0;
	bool arbitrate = irq->delivery_mode == HW_APIC_DM_LOWEST &&
			 irq->shorthand == HW_APIC_SH_NONE;

	for (i = 0; i < n; i++) {
		/* Pairs with the release in hwvirt_vcpu_create(). */
		struct hwvirt_vcpu *v = smp_load_acquire(&vm->vcpus[i]);

		if (!v || !v->apic)
			continue;
		switch (irq->shorthand) {
		case HW_APIC_SH_SELF:
			if (v != src)
				continue;
			break;
		case HW_APIC_SH_ALL:
			break;
		case HW_APIC_SH_OTHERS:
			if (v == src)
				continue;
			break;
		default:
			if (!hw_lapic_match_dest(&v->apic->lapic, irq))
				continue;
		}
		if (arbitrate) {
			/* Lowest priority: the least busy APIC takes it. */
			u32 prio = hw_lapic_arb_priority(&v->apic->lapic);

			if (prio < lowest_prio) {
				lowest_prio = prio;
				lowest = v;
			}
			continue;
		}
		apic_deliver_one(v, irq);
		taken++;
	}
	if (lowest) {
		apic_deliver_one(lowest, irq);
		taken++;
	}
	return taken;
}

int hwvirt_signal_msi(struct hwvirt_vm *vm, const struct hwvirt_msi *msi)
{
	struct hw_apic_irq irq;

	if (!vm->lapic)
		return -ENXIO;
	if (msi->flags || msi->reserved[0] || msi->reserved[1])
		return -EINVAL;
	if (!hw_apic_msi_to_irq(msi->address, msi->data, &irq))
		return -EINVAL;
	/* No SIPI, INIT de-assert or ExtINT by message. */
	if (irq.delivery_mode == HW_APIC_DM_SIPI ||
	    irq.delivery_mode == HW_APIC_DM_EXTINT)
		return 0;
	return hwvirt_apic_deliver(vm, NULL, &irq);
}

/* After a register write: what lapic.c asked for. */
static void apic_act(struct hwvirt_vcpu *vcpu, struct hw_lapic_action *act)
{
	struct hwvirt_apic *apic = vcpu->apic;
	struct hw_apic_irq *ipi = &act->ipi;

	if ((act->mask & HW_LAPIC_ACT_EOI) && act->eoi_level) {
		/* The IOAPIC (userspace's) may send that pin again. */
		apic->eoi_vector = act->eoi_vector;
		set_bit(HWVIRT_REQ_EOI_EXIT, &vcpu->requests);
	}
	if (act->mask & HW_LAPIC_ACT_IPI) {
		vcpu->stat[HWVIRT_STAT_APIC_IPIS]++;
		if ((ipi->delivery_mode == HW_APIC_DM_FIXED ||
		     ipi->delivery_mode == HW_APIC_DM_LOWEST) &&
		    ipi->vector < 16)
			apic->lapic.esr_pending |= HW_APIC_ESR_SEND_ILLEGAL_VECTOR;
		else
			hwvirt_apic_deliver(vcpu->vm, vcpu, ipi);
	}
	if (act->mask & HW_LAPIC_ACT_TIMER)
		apic_timer_arm(vcpu);
}

/* ------------------------------------------------------------------------
 * The guest's accesses
 */

int hwvirt_apic_mmio(struct hwvirt_vcpu *vcpu, u64 gpa, unsigned int len,
		     u64 *val, bool write)
{
	struct hwvirt_apic *apic = vcpu->apic;
	struct hw_lapic_action act = { 0 };
	struct hw_lapic *l;
	u32 off, v;

	if (!apic)
		return -ENOENT;
	l = &apic->lapic;
	/* The page answers in xAPIC mode only, at the base it has now. */
	if (!hw_lapic_enabled_hw(l) || hw_lapic_x2apic(l) ||
	    (gpa & PAGE_MASK) != (l->base & HW_APIC_BASE_ADDR))
		return -ENOENT;
	vcpu->stat[HWVIRT_STAT_APIC_ACCESSES]++;
	off = offset_in_page(gpa);
	if (write) {
		/* 32-bit aligned writes; others are undefined: dropped. */
		if (len == 4 && !(off & 0xf) && off < HW_LAPIC_REGS_SIZE) {
			hw_lapic_write(l, off, (u32)*val, apic_now(), &act);
			apic_act(vcpu, &act);
		}
		return 0;
	}
	*val = 0;
	/* Reads within the 32 bits of a register; the rest reads 0. */
	if (off < HW_LAPIC_REGS_SIZE && (off & 0xf) + len <= 4 &&
	    !hw_lapic_read(l, off & ~0xfU, &v, apic_now()))
		*val = (v >> (8 * (off & 3))) &
		       (len == 4 ? 0xffffffffU : (1U << (8 * len)) - 1);
	return 0;
}

int hwvirt_apic_msr(struct hwvirt_vcpu *vcpu, u32 msr, u64 *data, bool write,
		    bool from_guest)
{
	struct hwvirt_apic *apic = vcpu->apic;
	struct hw_lapic_action act = { 0 };
	struct hw_lapic *l;
	int r;

	if (!apic)
		return -ENOENT;
	l = &apic->lapic;
	if (msr == HW_MSR_TSC_DEADLINE) {
		bool armed = hw_lapic_timer_mode(l) == HW_APIC_TIMER_TSC_DEADLINE;

		/* Outside TSC-deadline mode it reads 0 and ignores writes. */
		if (!write) {
			*data = armed || !from_guest ? l->tsc_deadline : 0;
			return 0;
		}
		if (!armed && from_guest)
			return 0;
		l->tsc_deadline = *data;
		apic_timer_arm(vcpu);
		return 0;
	}
	if (msr < HW_MSR_X2APIC_FIRST || msr > HW_MSR_X2APIC_LAST)
		return -ENOENT;
	vcpu->stat[HWVIRT_STAT_APIC_ACCESSES]++;
	if (write)
		r = hw_lapic_msr_write(l, msr, *data, apic_now(), &act);
	else
		r = hw_lapic_msr_read(l, msr, data, apic_now());
	if (r)
		return -EINVAL;
	apic_act(vcpu, &act);
	return 0;
}

u64 hwvirt_get_apic_base(struct hwvirt_vcpu *vcpu)
{
	return vcpu->apic ? vcpu->apic->lapic.base : vcpu->apic_base;
}

int hwvirt_set_apic_base(struct hwvirt_vcpu *vcpu, u64 val, bool from_guest)
{
	struct hw_lapic_action act = { 0 };

	if (!vcpu->apic) {
		/* Userspace's APIC: bits 8 (BSP), 11 (enable), the base. */
		if (val & ~(0xffffff000ULL | HW_APIC_BASE_BSP | HW_APIC_BASE_EN))
			return -EINVAL;
		vcpu->apic_base = val;
		return 0;
	}
	if (hw_lapic_set_base(&vcpu->apic->lapic, val, from_guest,
			      boot_cpu_data.x86_phys_bits, &act))
		return -EINVAL;
	apic_act(vcpu, &act);
	return 0;
}

/* ------------------------------------------------------------------------
 * Interrupt delivery to the vCPU (at entry)
 */

int hwvirt_apic_next_irq(struct hwvirt_vcpu *vcpu, int *tpr_blocked)
{
	*tpr_blocked = -1;
	if (!vcpu->apic)
		return -1;
	return hw_lapic_pending(&vcpu->apic->lapic, tpr_blocked);
}

void hwvirt_apic_accept(struct hwvirt_vcpu *vcpu, int vector)
{
	hw_lapic_accept(&vcpu->apic->lapic, vector);
}

bool hwvirt_apic_accepts_pic(struct hwvirt_vcpu *vcpu)
{
	return !vcpu->apic || hw_lapic_accepts_pic(&vcpu->apic->lapic);
}

/* CR8 is TPR[7:4]: the backend's copy (vcpu->cr8) and the APIC's. */
void hwvirt_apic_tpr_to_cr8(struct hwvirt_vcpu *vcpu)
{
	if (vcpu->apic)
		vcpu->cr8 = hw_lapic_reg(&vcpu->apic->lapic, HW_APIC_TPR) >> 4;
}

void hwvirt_apic_cr8_to_tpr(struct hwvirt_vcpu *vcpu)
{
	struct hw_lapic *l;

	if (!vcpu->apic)
		return;
	l = &vcpu->apic->lapic;
	/* A CR8 write sets TPR[3:0] to 0; an unchanged CR8 keeps them. */
	if ((hw_lapic_reg(l, HW_APIC_TPR) >> 4) != vcpu->cr8)
		hw_lapic_set_reg(l, HW_APIC_TPR, vcpu->cr8 << 4);
}

/* ------------------------------------------------------------------------
 * vCPU states
 */

/*
 * At the top of the run loop: take what other threads sent (timer
 * expiries, NMIs, INIT, SIPI) and update the vCPU's state.
 */
void hwvirt_apic_run_events(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_apic *apic = vcpu->apic;

	clear_bit(HWVIRT_REQ_EVENT, &vcpu->requests);
	/* The request first, the state it announces after. */
	smp_mb__after_atomic();
	if (atomic_read(&vcpu->nmi_queued)) {
		atomic_set(&vcpu->nmi_queued, 0);
		vcpu->nmi_pending = true;
	}
	if (!apic)
		return;
	apic_timer_events(vcpu);
	if (test_and_clear_bit(HWVIRT_APIC_INIT, &apic->pending_events)) {
		hwvirt_vcpu_init_event(vcpu);
		vcpu->mp_state = (apic->lapic.base & HW_APIC_BASE_BSP) ?
				 HWVIRT_MP_STATE_RUNNABLE :
				 HWVIRT_MP_STATE_INIT_RECEIVED;
	}
	if (test_and_clear_bit(HWVIRT_APIC_SIPI, &apic->pending_events) &&
	    vcpu->mp_state == HWVIRT_MP_STATE_INIT_RECEIVED) {
		u8 v = READ_ONCE(apic->sipi_vector);
		struct hwvirt_segment cs;

		/* Real mode at vector:0000. */
		hwvirt_backend->get_segment(vcpu, HW_CS, &cs);
		cs.selector = v << 8;
		cs.base = (u64)v << 12;
		hwvirt_backend->set_segment(vcpu, HW_CS, &cs);
		vcpu->rip = 0;
		vcpu->mp_state = HWVIRT_MP_STATE_RUNNABLE;
	}
}

/* May a halted vCPU go on? */
bool hwvirt_vcpu_wakes(struct hwvirt_vcpu *vcpu)
{
	bool intr = vcpu->rflags & HV_RFLAGS_IF;
	int blocked;

	if (vcpu->nmi_pending && !vcpu->nmi_masked)
		return true;
	if (intr && vcpu->irq.pending)
		return true;
	return intr && hwvirt_apic_next_irq(vcpu, &blocked) >= 0;
}

int hwvirt_set_mp_state(struct hwvirt_vcpu *vcpu, u32 mp_state)
{
	if (!vcpu->apic)
		return -ENXIO;
	switch (mp_state) {
	case HWVIRT_MP_STATE_RUNNABLE:
	case HWVIRT_MP_STATE_HALTED:
	case HWVIRT_MP_STATE_INIT_RECEIVED:
		vcpu->mp_state = mp_state;
		return 0;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------------
 * State for userspace
 */

void hwvirt_get_lapic(struct hwvirt_vcpu *vcpu, struct hwvirt_lapic_state *s)
{
	struct hw_lapic *l = &vcpu->apic->lapic;

	BUILD_BUG_ON(sizeof(s->regs) != HW_LAPIC_REGS_SIZE);
	memcpy(s->regs, l->regs, sizeof(s->regs));
	*(u32 *)(s->regs + HW_APIC_PPR) = hw_lapic_ppr(l);
	*(u32 *)(s->regs + HW_APIC_TMCCT) =
		hw_lapic_timer_current(l, apic_now());
}

int hwvirt_set_lapic(struct hwvirt_vcpu *vcpu,
		     const struct hwvirt_lapic_state *s)
{
	struct hw_lapic *l = &vcpu->apic->lapic;
	u32 id = *(const u32 *)(s->regs + HW_APIC_ID);

	memcpy(l->regs, s->regs, sizeof(l->regs));
	hw_lapic_set_reg(l, HW_APIC_LVR, HW_APIC_LVR_VALUE);
	hw_lapic_set_reg(l, HW_APIC_TMCCT, 0);
	hw_lapic_set_reg(l, HW_APIC_PPR, 0);
	/* The ID userspace gives is the vCPU's initial APIC ID. */
	l->initial_id = hw_lapic_x2apic(l) ? id : id >> 24;
	/* The count-down starts again from the initial count. */
	l->timer_start = hw_lapic_reg(l, HW_APIC_TMICT) ? apic_now() : 0;
	apic_timer_arm(vcpu);
	set_bit(HWVIRT_REQ_EVENT, &vcpu->requests);
	return 0;
}

/* ------------------------------------------------------------------------
 * Lifetime
 */

int hwvirt_apic_create(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_apic *apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);

	if (!apic)
		return -ENOMEM;
	apic->vcpu = vcpu;
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	apic->timer.function = apic_timer_fn;
	vcpu->apic = apic;
	return 0;
}

void hwvirt_apic_free(struct hwvirt_vcpu *vcpu)
{
	if (!vcpu->apic)
		return;
	hrtimer_cancel(&vcpu->apic->timer);
	kfree(vcpu->apic);
	vcpu->apic = NULL;
}

/* Power-on: vCPU 0 is the BSP; the APIC ID is the vCPU's id. */
void hwvirt_apic_reset(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_apic *apic = vcpu->apic;

	if (!apic)
		return;
	hrtimer_cancel(&apic->timer);
	atomic_set(&apic->timer_pending, 0);
	apic->pending_events = 0;
	hw_lapic_reset(&apic->lapic, vcpu->id, vcpu->id == 0);
	vcpu->mp_state = vcpu->id == 0 ? HWVIRT_MP_STATE_RUNNABLE :
					 HWVIRT_MP_STATE_INIT_RECEIVED;
}

/* INIT: the APIC's registers but its base and ID. */
void hwvirt_apic_init(struct hwvirt_vcpu *vcpu)
{
	hrtimer_cancel(&vcpu->apic->timer);
	atomic_set(&vcpu->apic->timer_pending, 0);
	hw_lapic_init(&vcpu->apic->lapic);
}
