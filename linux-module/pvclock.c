// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the paravirtual clock, in KVM's ABI ("kvmclock").
 *
 * A guest that finds "KVMKVMKVM\0\0\0" at CPUID 0x40000000 and
 * KVM_FEATURE_CLOCKSOURCE(2) in 0x40000001 EAX writes, per vCPU, the
 * guest-physical address of a struct pvclock_vcpu_time_info to
 * MSR_KVM_SYSTEM_TIME(_NEW), bit 0 set, and reads the time from it
 * without an exit:
 *
 *	ns = system_time + scale(guest TSC - tsc_timestamp,
 *				 tsc_to_system_mul, tsc_shift)
 *
 * Without it, Linux guests on hosts whose CPUID lacks the invariant TSC
 * bit (the lab's emulated CPU, for one) mark the TSC unstable and read
 * the HPET, an MMIO exit to userspace for every clock read.
 *
 * The clock of a VM is one linear function of the host's TSC, set when
 * the VM is made: the VM's time is 0 then and runs at the host's TSC
 * rate (tsc_khz, as the host kernel calibrated it).  A vCPU's page
 * differs from another's only in tsc_timestamp, which follows that
 * vCPU's TSC offset, so every vCPU reads the same time: the pages are
 * written when the guest enables them and again before an entry after
 * the vCPU's TSC offset moved, never periodically.  PVCLOCK_TSC_STABLE_BIT
 * is set when the host's TSC is invariant and was not found unstable.
 *
 * What is not done (docs/devel/hwvirt-api.rst): the VM's clock does not
 * follow NTP's corrections of the host's clock, nor host suspend (the
 * TSC restarts); HWVIRT_GET_CLOCK/SET_CLOCK for savevm come with
 * migration.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "hwvirt_int.h"
#include "x86.h"

/* The signature at CPUID 0x40000000 EBX, ECX, EDX: "KVMKVMKVM\0\0\0". */
#define PV_SIG_EBX	0x4b4d564b
#define PV_SIG_ECX	0x564b4d56
#define PV_SIG_EDX	0x0000004d

/*
 * mul and shift for ns = ((delta << shift) * mul) >> 32 (a negative
 * shift shifts right), that is NSEC_PER_SEC / hz = 2^shift * mul / 2^32,
 * with mul in [2^31, 2^32) for its precision: den = hz * 2^shift lands
 * in (NSEC_PER_SEC, 2 * NSEC_PER_SEC].
 */
static void pvclock_scale(u64 hz, u32 *mul, s8 *shift)
{
	u64 den = hz;
	int s = 0;

	while (den > 2 * NSEC_PER_SEC) {
		den >>= 1;
		s--;
	}
	while (den <= NSEC_PER_SEC) {
		den <<= 1;
		s++;
	}
	*mul = div64_u64((u64)NSEC_PER_SEC << 32, den);
	*shift = s;
}

static u64 pvclock_scale_delta(u64 delta, u32 mul, s8 shift)
{
	if (shift < 0)
		delta >>= -shift;
	else
		delta <<= shift;
	return mul_u64_u32_shr(delta, mul, 32);
}

void hwvirt_pvclock_vm_init(struct hwvirt_vm *vm, u64 host_tsc)
{
	vm->pvclock_tsc = host_tsc;
	vm->pvclock_ns = 0;
	/* tsc_khz is 0 only without a TSC, where no guest reads one. */
	pvclock_scale(tsc_khz ? (u64)tsc_khz * 1000 : NSEC_PER_SEC,
		      &vm->pvclock_mul, &vm->pvclock_shift);
}

/* The VM's time now, in ns. */
static u64 pvclock_now(struct hwvirt_vm *vm)
{
	return vm->pvclock_ns +
	       pvclock_scale_delta(rdtsc() - vm->pvclock_tsc,
				   vm->pvclock_mul, vm->pvclock_shift);
}

static bool pvclock_host_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
	       boot_cpu_has(X86_FEATURE_NONSTOP_TSC) && !check_tsc_unstable();
}

/*
 * What a vCPU's CPUID offers of KVM's features (0x40000001 EAX), given
 * its leaves 0x40000000 and 0x40000001: nothing without the signature
 * (another hypervisor's leaves mean other things).
 */
u32 hwvirt_pvclock_features(const struct hwvirt_cpuid_entry *sig,
			    const struct hwvirt_cpuid_entry *features)
{
	if (!sig || !features || sig->ebx != PV_SIG_EBX ||
	    sig->ecx != PV_SIG_ECX || sig->edx != PV_SIG_EDX ||
	    sig->eax < HV_CPUID_PV_FEATURES)
		return 0;
	return features->eax;
}

/*
 * Put a structure that starts with a u32 version at gpa, as the guest
 * reads it (pvclock_read_begin/retry, pvclock_read_wallclock): the odd
 * version, the body (body's version field holds the odd one too), then
 * version + 1.  0, or the error of the first write that failed.
 */
static int pvclock_publish(struct hwvirt_vcpu *vcpu, u64 gpa, u32 version,
			   const void *body, unsigned int len)
{
	int r;

	r = hwvirt_guest_write_gpa(vcpu, gpa, &version, sizeof(version));
	if (r)
		return r;
	/* The odd version before the body; pairs with the guest's rmb. */
	smp_wmb();
	r = hwvirt_guest_write_gpa(vcpu, gpa, body, len);
	if (r)
		return r;
	/* The body before the even version. */
	smp_wmb();
	version++;
	return hwvirt_guest_write_gpa(vcpu, gpa, &version, sizeof(version));
}

/*
 * Write the vCPU's page.  A page not in guest RAM is not written, and
 * not tried again until the guest writes the MSR.
 */
void hwvirt_pvclock_write(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct pvclock_vcpu_time_info pv = {
		.tsc_timestamp	= vm->pvclock_tsc + hwvirt_tsc_offset(vcpu),
		.system_time	= vm->pvclock_ns,
		.tsc_to_system_mul = vm->pvclock_mul,
		.tsc_shift	= vm->pvclock_shift,
		.flags		= pvclock_host_stable() ? PVCLOCK_TSC_STABLE_BIT : 0,
	};
	u64 gpa = vcpu->pvclock_msr & ~1ULL;

	vcpu->pvclock_dirty = false;
	vcpu->pvclock_offset = hwvirt_tsc_offset(vcpu);
	pv.version = vcpu->pvclock_version + 1;
	if (pvclock_publish(vcpu, gpa, pv.version, &pv, sizeof(pv)))
		return;
	vcpu->pvclock_version = pv.version + 1;
	vcpu->stat[HWVIRT_STAT_PVCLOCK_UPDATES]++;
}

/* The wall-clock time at which the VM's time was 0. */
static int pvclock_write_wall(struct hwvirt_vcpu *vcpu, u64 gpa)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct pvclock_wall_clock wc;
	u64 boot = ktime_get_real_ns() - pvclock_now(vm);
	u32 nsec;

	wc.sec = div_u64_rem(boot, NSEC_PER_SEC, &nsec);
	wc.nsec = nsec;
	/* Odd now, even once written, whoever else writes it meanwhile. */
	wc.version = atomic_add_return(2, &vm->pvclock_wall_version) - 1;
	return pvclock_publish(vcpu, gpa, wc.version, &wc, sizeof(wc));
}

/*
 * MSR_KVM_{SYSTEM_TIME,WALL_CLOCK}[_NEW]: -ENOENT if index is not one;
 * else 0, or -EINVAL (#GP) when the guest's CPUID does not offer the
 * MSR.  Userspace reads and writes them whatever the CPUID (a restore,
 * a reset writes 0).
 */
int hwvirt_pvclock_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 *data,
		       bool write, bool from_guest)
{
	u32 feature;
	bool wall;

	switch (index) {
	case HV_MSR_KVM_WALL_CLOCK:
	case HV_MSR_KVM_SYSTEM_TIME:
		feature = HV_KVM_FEATURE_CLOCKSOURCE;
		break;
	case HV_MSR_KVM_WALL_CLOCK_NEW:
	case HV_MSR_KVM_SYSTEM_TIME_NEW:
		feature = HV_KVM_FEATURE_CLOCKSOURCE2;
		break;
	default:
		return -ENOENT;
	}
	if (from_guest && !(vcpu->pv_features & feature))
		return -EINVAL;
	wall = index == HV_MSR_KVM_WALL_CLOCK ||
	       index == HV_MSR_KVM_WALL_CLOCK_NEW;
	if (!write) {
		*data = wall ? vcpu->vm->pvclock_wall : vcpu->pvclock_msr;
		return 0;
	}
	if (wall) {
		vcpu->vm->pvclock_wall = *data;
		/* As KVM: a write asks for the time, whatever the value. */
		if (from_guest)
			pvclock_write_wall(vcpu, *data);
		return 0;
	}
	vcpu->pvclock_msr = *data;
	vcpu->pvclock_dirty = *data & 1;
	return 0;
}

/* HWVIRT_GET_SUPPORTED_CPUID's leaves 0x40000000 and 0x40000001. */
void hwvirt_pvclock_cpuid(u32 function, u32 *eax, u32 *ebx, u32 *ecx,
			  u32 *edx)
{
	*eax = *ebx = *ecx = *edx = 0;
	if (function == HV_CPUID_PV_SIGNATURE) {
		*eax = HV_CPUID_PV_FEATURES;
		*ebx = PV_SIG_EBX;
		*ecx = PV_SIG_ECX;
		*edx = PV_SIG_EDX;
	} else if (function == HV_CPUID_PV_FEATURES) {
		/* No I/O delays: a hint to the guest, nothing to run. */
		*eax = HV_KVM_FEATURE_CLOCKSOURCE |
		       HV_KVM_FEATURE_NOP_IO_DELAY |
		       HV_KVM_FEATURE_CLOCKSOURCE2 |
		       HV_KVM_FEATURE_CLOCKSOURCE_STABLE_BIT;
	}
}
