/*
 * Module selftest: the paravirtual clock (HWVIRT_CAP_PVCLOCK), in KVM's
 * ABI.  A real-mode guest enables MSR_KVM_SYSTEM_TIME_NEW and
 * MSR_KVM_WALL_CLOCK_NEW; the test reads the pages the module wrote and
 * checks the time they give against the guest's TSC and the host's
 * clocks, the rewrite after a TSC write, and the #GP of a guest whose
 * CPUID lacks KVM's leaves.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

#define PV_TIME_GPA	0x3000
#define PV_WALL_GPA	0x3100
#define MSR_TSC		0x10
#define MSR_SYSTEM_TIME_NEW 0x4b564d01
#define MSR_WALL_CLOCK_NEW 0x4b564d00

/* KVM's layouts (Linux's asm/pvclock-abi.h). */
struct pv_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t mul;
	int8_t shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

struct pv_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
} __attribute__((packed));

static int get_msr(struct tvcpu *v, uint32_t index, uint64_t *val)
{
	struct {
		struct hwvirt_msrs hdr;
		struct hwvirt_msr_entry e;
	} m = { .hdr = { .nmsrs = 1 }, .e = { .index = index } };
	int r = ioctl(v->fd, HWVIRT_GET_MSRS, &m);

	*val = m.e.data;
	return r == 1 ? 0 : -1;
}

static int set_msr(struct tvcpu *v, uint32_t index, uint64_t val)
{
	struct {
		struct hwvirt_msrs hdr;
		struct hwvirt_msr_entry e;
	} m = { .hdr = { .nmsrs = 1 }, .e = { .index = index, .data = val } };

	return ioctl(v->fd, HWVIRT_SET_MSRS, &m) == 1 ? 0 : -1;
}

/* What the guest computes from its page and a TSC value (pvclock.h). */
static uint64_t pv_ns(const struct pv_time *p, uint64_t tsc)
{
	uint64_t delta = tsc - p->tsc_timestamp;

	if (p->shift < 0)
		delta >>= -p->shift;
	else
		delta <<= p->shift;
	return p->system_time +
	       (uint64_t)(((unsigned __int128)delta * p->mul) >> 32);
}

/* The guest's time now, through its TSC (GET_MSRS), or ~0 on error. */
static uint64_t guest_ns(struct tvcpu *v, const struct pv_time *p)
{
	uint64_t tsc;

	if (get_msr(v, MSR_TSC, &tsc))
		return ~0ULL;
	return pv_ns(p, tsc);
}

void test_pvclock(void)
{
	struct hwvirt_info info;
	struct pv_time p, p2;
	struct pv_wall w;
	struct timespec now;
	struct tvm vm;
	struct tvcpu v;
	uint64_t t0, t1, m0, m1, val, created;
	double rate;
	int64_t wall_err;
	uint16_t *ivt;

	created = now_ns();
	if (tvm_create(&vm, 1 << 20) || tvcpu_create(&vm, &v, 0))
		fail_setup("create a VM");
	if (ioctl(vm.sys, HWVIRT_GET_INFO, &info))
		fail_setup("HWVIRT_GET_INFO");
	if (!(info.caps & HWVIRT_CAP_PVCLOCK)) {
		ok("pvclock: # SKIP the module has no HWVIRT_CAP_PVCLOCK");
		tvcpu_close(&v);
		tvm_destroy(&vm);
		return;
	}
	check(supported_cpuid(&vm, 0x40000000, 0, REG_EBX) == 0x4b4d564b &&
	      supported_cpuid(&vm, 0x40000000, 0, REG_ECX) == 0x564b4d56 &&
	      supported_cpuid(&vm, 0x40000000, 0, REG_EDX) == 0x4d &&
	      supported_cpuid(&vm, 0x40000000, 0, REG_EAX) >= 0x40000001,
	      "pvclock: the supported CPUID has KVM's signature");
	check((supported_cpuid(&vm, 0x40000001, 0, REG_EAX) & 0x1000009) ==
	      0x1000009,
	      "pvclock: ...and CLOCKSOURCE, CLOCKSOURCE2, the stable bit");

	set_supported_cpuid(&v);
	load_blob(&vm, guest_pvclock, guest_pvclock_end);
	set_real_mode(&v);
	if (!expect_io(&v, "pvclock: the guest enabled both MSRs",
		       HWVIRT_IO_OUT, 0x40, 1, 0))
		goto out;
	memcpy(&p, vm.mem + PV_TIME_GPA, sizeof(p));
	memcpy(&w, vm.mem + PV_WALL_GPA, sizeof(w));
	check(p.version && !(p.version & 1) && p.mul >= 1U << 31 &&
	      p.shift >= -8 && p.shift <= 8,
	      "pvclock: the vCPU's page is written (version %u, mul %#x, shift %d, flags %#x)",
	      p.version, p.mul, p.shift, p.flags);
	check(!get_msr(&v, MSR_SYSTEM_TIME_NEW, &val) && val == 0x3001,
	      "pvclock: GET_MSRS reads MSR_KVM_SYSTEM_TIME_NEW back (%#llx)",
	      (unsigned long long)val);

	/* The VM's time began at its creation and runs at the TSC's rate. */
	m0 = now_ns();
	t0 = guest_ns(&v, &p);
	check(t0 <= m0 - created + 1000000,
	      "pvclock: the VM's time (%.3f ms) is no more than since it was made (%.3f ms)",
	      t0 / 1e6, (m0 - created) / 1e6);
	usleep(200000);
	m1 = now_ns();
	t1 = guest_ns(&v, &p);
	rate = (double)(t1 - t0) / (double)(m1 - m0);
	check(rate > 0.95 && rate < 1.05,
	      "pvclock: it runs at the host's rate (%.4f over %.0f ms)", rate,
	      (m1 - m0) / 1e6);

	/* The wall clock: when the VM's time was 0. */
	clock_gettime(CLOCK_REALTIME, &now);
	wall_err = (int64_t)(w.sec * 1000000000ULL + w.nsec + guest_ns(&v, &p)) -
		   (int64_t)(now.tv_sec * 1000000000ULL + now.tv_nsec);
	check(w.version && !(w.version & 1) && w.nsec < 1000000000U &&
	      wall_err > -100000000 && wall_err < 100000000,
	      "pvclock: the wall clock plus the VM's time is the host's time (%+.3f ms)",
	      wall_err / 1e6);

	/*
	 * Userspace moves the TSC (as a restore does): the page is rewritten
	 * before the next entry, and the time goes on from where it was.
	 */
	if (!expect_exit(&v, "pvclock: HLT", HWVIRT_EXIT_HLT))
		goto out;
	t0 = guest_ns(&v, &p);
	if (!get_msr(&v, MSR_TSC, &val))
		set_msr(&v, MSR_TSC, val + 1000000000000ULL);
	if (!expect_io(&v, "pvclock: the guest runs on after a TSC write",
		       HWVIRT_IO_OUT, 0x42, 1, 0))
		goto out;
	memcpy(&p2, vm.mem + PV_TIME_GPA, sizeof(p2));
	t1 = guest_ns(&v, &p2);
	check(p2.version == p.version + 2,
	      "pvclock: the page was written again (version %u)", p2.version);
	check(p2.tsc_timestamp - p.tsc_timestamp >= 1000000000000ULL - 1000000 &&
	      p2.tsc_timestamp - p.tsc_timestamp <= 1000000000000ULL + 1000000000ULL,
	      "pvclock: its tsc_timestamp follows the TSC write");
	check(t1 >= t0 && t1 - t0 < 1000000000ULL,
	      "pvclock: the time went on, it did not jump with the TSC (%+.3f ms)",
	      ((double)t1 - (double)t0) / 1e6);
	tvcpu_close(&v);
	tvm_destroy(&vm);

	/*
	 * A guest whose CPUID lacks KVM's leaves: #GP, through the real-mode
	 * IVT to guest_pvclock_gp.
	 */
	if (tvm_create(&vm, 1 << 20) || tvcpu_create(&vm, &v, 0))
		fail_setup("create a VM");
	load_blob(&vm, guest_pvclock, guest_pvclock_end);
	ivt = (uint16_t *)vm.mem;
	ivt[13 * 2] = guest_pvclock_gp - guest_pvclock;
	ivt[13 * 2 + 1] = GUEST_CODE >> 4;
	set_real_mode(&v);
	expect_io(&v, "pvclock: without KVM's CPUID leaves, the WRMSR is a #GP",
		  HWVIRT_IO_OUT, 0x41, 1, 1);
	check(!*(uint32_t *)(vm.mem + PV_TIME_GPA),
	      "pvclock: ...and nothing was written");
	check(!set_msr(&v, MSR_WALL_CLOCK_NEW, 0x5000) &&
	      !get_msr(&v, MSR_WALL_CLOCK_NEW, &val) && val == 0x5000,
	      "pvclock: userspace reads and writes the MSRs whatever the CPUID");
out:
	tvcpu_close(&v);
	tvm_destroy(&vm);
}
