// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: MSRs that keep the guest's value until the CPU returns to
 * userspace ("user-return MSRs", as KVM calls them).
 *
 * Some MSRs matter to the host only in userspace: TSC_AUX, which RDTSCP
 * and RDPID read and which Linux sets to the CPU and node number for the
 * vDSO's getcpu(), and the SYSCALL MSRs (STAR, LSTAR, CSTAR, SFMASK),
 * which VMX does not switch.  Switching them around every guest entry
 * would cost two WRMSRs per exit; instead the guest's value is written before entry
 * when the CPU does not hold it already, and a user-return notifier puts
 * the host's back before anything on this CPU returns to userspace (the
 * vCPU thread going back to QEMU, or another task after a preemption).
 * The host kernel itself does not read them (Linux's paranoid entry
 * takes the CPU number from a segment limit, not RDPID, for this reason).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/percpu.h>
#include <linux/user-return-notifier.h>
#include <asm/msr.h>

#include "hwvirt_int.h"
#include "x86.h"

static const u32 uret_msrs[HWVIRT_NR_URET] = {
	[HWVIRT_URET_TSC_AUX]	= MSR_TSC_AUX,
	[HWVIRT_URET_STAR]	= MSR_STAR,
	[HWVIRT_URET_LSTAR]	= MSR_LSTAR,
	[HWVIRT_URET_CSTAR]	= MSR_CSTAR,
	[HWVIRT_URET_SFMASK]	= MSR_SYSCALL_MASK,
};

/*
 * Per CPU; touched only on the CPU itself, with interrupts disabled.
 * host[] holds the host's value of each MSR in saved (a bit per slot),
 * read the first time a slot is loaded after the notifier is registered,
 * while the CPU still holds the host's value; curr[] is what the CPU
 * holds now, for the slots in saved.
 */
struct uret_cpu {
	struct user_return_notifier urn;
	bool registered;
	unsigned long saved;
	u64 host[HWVIRT_NR_URET];
	u64 curr[HWVIRT_NR_URET];
};

static DEFINE_PER_CPU(struct uret_cpu, uret_cpus);

static void uret_restore(struct user_return_notifier *urn)
{
	struct uret_cpu *c = container_of(urn, struct uret_cpu, urn);
	unsigned long flags;
	int i;

	local_irq_save(flags);
	if (c->registered) {
		user_return_notifier_unregister(urn);
		c->registered = false;
		for_each_set_bit(i, &c->saved, HWVIRT_NR_URET) {
			if (c->curr[i] != c->host[i])
				wrmsrl(uret_msrs[i], c->host[i]);
		}
		c->saved = 0;
	}
	local_irq_restore(flags);
}

void hwvirt_uret_load(int slot, u64 value)
{
	struct uret_cpu *c = this_cpu_ptr(&uret_cpus);

	lockdep_assert_irqs_disabled();
	if (!c->registered) {
		c->urn.on_user_return = uret_restore;
		user_return_notifier_register(&c->urn);
		c->registered = true;
	}
	if (!test_bit(slot, &c->saved)) {
		rdmsrl(uret_msrs[slot], c->host[slot]);
		c->curr[slot] = c->host[slot];
		__set_bit(slot, &c->saved);
	}
	if (c->curr[slot] == value)
		return;
	wrmsrl(uret_msrs[slot], value);
	c->curr[slot] = value;
}

void hwvirt_uret_cpu_down(void)
{
	uret_restore(&this_cpu_ptr(&uret_cpus)->urn);
}
