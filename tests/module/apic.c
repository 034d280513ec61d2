/*
 * Selftests of the in-kernel local APIC (HWVIRT_VM_LAPIC): its ioctls,
 * the timer in its three modes, IPIs between vCPUs (running and halted),
 * INIT/SIPI bring-up, self-IPIs, x2APIC, MSIs with level-triggered EOIs
 * reported to userspace, the TPR (CR8), HLT that sleeps, and bad input.
 * The guest is guest_apic (guest.S), in long mode.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "lib.h"

#define MEM_SIZE	(512 << 10)
#define APIC_COUNT	0x9000
#define APIC_FLAG	0x9010
#define GUEST_AP	0x2000		/* SIPI vector 2 */

/* guest_apic's commands (RDI) */
enum { CMD_WAIT, CMD_TIMER, CMD_IPI, CMD_X2APIC, CMD_TPR, CMD_SPIN };

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void new_apic_vm(struct tvm *vm, struct tvcpu *v, int nvcpus)
{
	int i, r = tvm_create_flags(vm, MEM_SIZE, HWVIRT_VM_LAPIC);

	if (r) {
		errno = -r;
		fail_setup("create a VM with the in-kernel APIC");
	}
	for (i = 0; i < nvcpus; i++) {
		r = tvcpu_create(vm, &v[i], i);
		if (r) {
			errno = -r;
			fail_setup("create a vCPU");
		}
		set_supported_cpuid(&v[i]);
	}
	load_blob(vm, guest_apic, guest_apic_end);
	memcpy(vm->mem + GUEST_AP, guest_ap, guest_ap_end - guest_ap);
}

static void done_apic_vm(struct tvm *vm, struct tvcpu *v, int nvcpus)
{
	int i;

	for (i = 0; i < nvcpus; i++)
		tvcpu_close(&v[i]);
	tvm_destroy(vm);
}

/* vCPU v runs guest_apic's command cmd, its handlers in the IDT. */
static void start(struct tvcpu *v, int cmd)
{
	struct hwvirt_mp_state mp = { .mp_state = HWVIRT_MP_STATE_RUNNABLE };

	set_long_mode(v);
	set_idt64(v, 0x40, 16,
		  GUEST_CODE + (uint64_t)(guest_apic_isr_40 - guest_apic), 16);
	SET_REG(v, rdi, cmd);
	/* An AP waits for a SIPI after its creation: let it run. */
	if (ioctl(v->fd, HWVIRT_SET_MP_STATE, &mp))
		fail_setup("HWVIRT_SET_MP_STATE");
}

static uint32_t lapic_reg(struct tvcpu *v, int off)
{
	struct hwvirt_lapic_state st;
	uint32_t val;

	if (ioctl(v->fd, HWVIRT_GET_LAPIC, &st))
		return 0xdeadbeef;
	memcpy(&val, st.regs + off, 4);
	return val;
}

static uint64_t vm_stat(struct tvm *vm, int which)
{
	struct {
		struct hwvirt_stats hdr;
		uint64_t val[HWVIRT_STAT_NR];
	} st = { .hdr = { .nr = HWVIRT_STAT_NR } };

	if (ioctl(vm->fd, HWVIRT_GET_STATS, &st))
		return 0;
	return st.val[which];
}

static int send_msi(struct tvm *vm, uint64_t address, uint32_t data)
{
	struct hwvirt_msi msi = { .address = address, .data = data };

	return ioctl(vm->fd, HWVIRT_SIGNAL_MSI, &msi);
}

/* ------------------------------------------------------------------------ */

static void test_apic_api(void)
{
	struct hwvirt_info info;
	struct hwvirt_mp_state mp;
	struct hwvirt_lapic_state st;
	struct tvm vm;
	struct tvcpu v[2];
	uint32_t id1;

	/* Without HWVIRT_VM_LAPIC: none of it. */
	if (tvm_create(&vm, MEM_SIZE) || tvcpu_create(&vm, &v[0], 0))
		fail_setup("create a VM");
	check(ioctl(vm.sys, HWVIRT_GET_INFO, &info) == 0 &&
	      (info.caps & HWVIRT_CAP_LAPIC),
	      "lapic: HWVIRT_CAP_LAPIC is offered");
	check(ioctl(v[0].fd, HWVIRT_GET_LAPIC, &st) == -1 && errno == ENXIO,
	      "lapic: GET_LAPIC without an in-kernel APIC: ENXIO");
	check(ioctl(v[0].fd, HWVIRT_GET_MP_STATE, &mp) == -1 && errno == ENXIO,
	      "lapic: GET_MP_STATE without one: ENXIO");
	check(send_msi(&vm, 0xfee00000, 0x4041) == -1 && errno == ENXIO,
	      "lapic: SIGNAL_MSI without one: ENXIO");
	tvcpu_close(&v[0]);
	tvm_destroy(&vm);

	new_apic_vm(&vm, v, 2);
	check(lapic_reg(&v[0], 0x30) == 0x50014 && lapic_reg(&v[0], 0x20) == 0,
	      "lapic: version 0x14 with 6 LVT entries; vCPU 0 has APIC ID 0");
	id1 = lapic_reg(&v[1], 0x20);
	check(id1 == 1U << 24, "lapic: vCPU 1 has APIC ID 1 (0x%x)", id1);
	check(!ioctl(v[0].fd, HWVIRT_GET_MP_STATE, &mp) &&
	      mp.mp_state == HWVIRT_MP_STATE_RUNNABLE,
	      "lapic: the BSP starts runnable");
	check(!ioctl(v[1].fd, HWVIRT_GET_MP_STATE, &mp) &&
	      mp.mp_state == HWVIRT_MP_STATE_INIT_RECEIVED,
	      "lapic: an AP starts waiting for a SIPI");
	mp.mp_state = 7;
	check(ioctl(v[1].fd, HWVIRT_SET_MP_STATE, &mp) == -1 && errno == EINVAL,
	      "lapic: SET_MP_STATE with an unknown state: EINVAL");
	mp = (struct hwvirt_mp_state) { .reserved = 1 };
	check(ioctl(v[1].fd, HWVIRT_SET_MP_STATE, &mp) == -1 && errno == EINVAL,
	      "lapic: SET_MP_STATE with reserved bits: EINVAL");

	ioctl(v[0].fd, HWVIRT_GET_LAPIC, &st);
	st.regs[0x80] = 0x20;		/* TPR */
	st.regs[0x23] = 7;		/* ID 7 */
	check(!ioctl(v[0].fd, HWVIRT_SET_LAPIC, &st) &&
	      lapic_reg(&v[0], 0x80) == 0x20 && lapic_reg(&v[0], 0x20) == 7U << 24,
	      "lapic: SET_LAPIC then GET_LAPIC: TPR and ID come back");
	memset(&st, 0xa5, sizeof(st));
	check(!ioctl(v[0].fd, HWVIRT_SET_LAPIC, &st) &&
	      lapic_reg(&v[0], 0x30) == 0x50014,
	      "lapic: SET_LAPIC with garbage: taken, the version stays");
	check(ioctl(v[0].fd, HWVIRT_SET_LAPIC, (void *)16) == -1 &&
	      errno == EFAULT, "lapic: SET_LAPIC from a bad pointer: EFAULT");

	check(send_msi(&vm, 0x12345678, 0x4041) == -1 && errno == EINVAL,
	      "msi: an address outside 0xfeexxxxx: EINVAL");
	{
		struct hwvirt_msi msi = { .address = 0xfee00000, .data = 0x41,
					  .flags = 1 };

		check(ioctl(vm.fd, HWVIRT_SIGNAL_MSI, &msi) == -1 &&
		      errno == EINVAL, "msi: unknown flags: EINVAL");
	}
	check(send_msi(&vm, 0xfee77000, 0x4041) == 0,
	      "msi: to an APIC ID nobody has: taken by none");
	check(send_msi(&vm, 0xfee00000, 0x0700) == 0 &&
	      send_msi(&vm, 0xfee00000, 0x0602) == 0,
	      "msi: ExtINT and SIPI by message: dropped");
	check(send_msi(&vm, 0xfee00000, 0x4005) >= 0,
	      "msi: an illegal vector (5): no crash");
	done_apic_vm(&vm, v, 2);
}

/* Run until the APIC is on (OUT 0x4f). */
static int apic_on(struct tvcpu *v, const char *who)
{
	int r = run(v);

	if (r == HWVIRT_EXIT_IO && v->run->io.port == 0x4f)
		return 1;
	not_ok("%s: the guest did not enable its APIC (%s)", who, exit_name(r));
	return 0;
}

/* The next interrupt the guest's handler reports: its vector, or -1. */
static int next_irq(struct tvcpu *v)
{
	int r = run(v);

	if (r == HWVIRT_EXIT_IO && v->run->io.port == 0x41)
		return (int)io_data(v);
	diag("expected the handler's OUT 0x41, got %s port 0x%x", exit_name(r),
	     r == HWVIRT_EXIT_IO ? v->run->io.port : 0);
	return -1;
}

static void test_apic_timer(void)
{
	struct tvm vm;
	struct tvcpu v;
	uint64_t t0, dt, cpu0, cpu;
	uint64_t tsc_hz, c0, n0;
	int vec, i;

	/* One-shot, 200 ms, divide by 1: the vCPU sleeps in HLT meanwhile. */
	new_apic_vm(&vm, &v, 1);
	start(&v, CMD_TIMER);
	SET_REG(&v, rsi, 0x40);
	SET_REG(&v, rdx, 0xb);
	SET_REG(&v, rcx, 200000000);
	if (apic_on(&v, "timer")) {
		t0 = now_ns();
		cpu0 = thread_cpu_ns();
		vec = next_irq(&v);
		dt = now_ns() - t0;
		cpu = thread_cpu_ns() - cpu0;
		check(vec == 0x40 && dt >= 199000000 && dt < 1200000000,
		      "timer: one-shot 200 ms fires vector 0x40 after %llu ms",
		      (unsigned long long)dt / 1000000);
		check(cpu < dt / 4,
		      "timer: the vCPU slept in HLT meanwhile (%llu ms of CPU)",
		      (unsigned long long)cpu / 1000000);
	}
	done_apic_vm(&vm, &v, 1);

	/* Periodic, 10 ms, divide by 16: 10 interrupts in about 100 ms. */
	new_apic_vm(&vm, &v, 1);
	start(&v, CMD_TIMER);
	SET_REG(&v, rsi, 0x20041);
	SET_REG(&v, rdx, 0x3);
	SET_REG(&v, rcx, 10000000 / 16);
	if (apic_on(&v, "timer")) {
		t0 = now_ns();
		for (i = 0; i < 10; i++)
			if (next_irq(&v) != 0x41)
				break;
		dt = now_ns() - t0;
		check(i == 10 && dt >= 95000000 && dt < 1500000000,
		      "timer: periodic 10 ms, 10 interrupts (vector 0x41) in %llu ms",
		      (unsigned long long)dt / 1000000);
		check(lapic_reg(&v, 0x380) == 10000000 / 16 &&
		      lapic_reg(&v, 0x390) <= 10000000 / 16,
		      "timer: periodic TMICT stays, TMCCT counts (%u)",
		      lapic_reg(&v, 0x390));
	}
	done_apic_vm(&vm, &v, 1);

	/* TSC deadline, 50 ms: the TSC's rate first. */
	c0 = __rdtsc();
	n0 = now_ns();
	usleep(100000);
	tsc_hz = (__rdtsc() - c0) * 1000000000ULL / (now_ns() - n0);
	new_apic_vm(&vm, &v, 1);
	start(&v, CMD_TIMER);
	SET_REG(&v, rsi, 0x40042);
	SET_REG(&v, rcx, tsc_hz / 20);
	SET_REG(&v, r8, 1);
	if (apic_on(&v, "timer")) {
		t0 = now_ns();
		vec = next_irq(&v);
		dt = now_ns() - t0;
		check(vec == 0x42 && dt >= 45000000 && dt < 1000000000,
		      "timer: TSC deadline +50 ms fires vector 0x42 after %llu ms",
		      (unsigned long long)dt / 1000000);
	}
	done_apic_vm(&vm, &v, 1);
}

/* An AP's thread: run it to its first interrupt (or port pt). */
struct ap {
	struct tvcpu *v;
	int cmd;
	volatile int on;		/* its APIC is enabled */
	int result;			/* vector, or the port's data */
	int port;
	uint64_t woke_ns;
};

static void *ap_thread(void *arg)
{
	struct ap *ap = arg;
	int r;

	ap->result = -1;
	if (ap->cmd >= 0) {
		if (!apic_on(ap->v, "ap"))
			return NULL;
		ap->on = 1;
	}
	r = run(ap->v);
	ap->woke_ns = now_ns();
	if (r == HWVIRT_EXIT_IO && ap->v->run->io.port == ap->port)
		ap->result = (int)io_data(ap->v);
	else
		diag("ap: %s", exit_name(r));
	return NULL;
}

static void ipi_test(int ap_cmd, uint32_t icr, const char *what, int vec)
{
	struct tvm vm;
	struct tvcpu v[2];
	struct ap ap = { .v = &v[1], .cmd = ap_cmd, .port = 0x41 };
	pthread_t t;
	int i;

	new_apic_vm(&vm, v, 2);
	/*
	 * Both vCPUs' state before either runs: start() rewrites the page
	 * tables and the IDT they share, and a vCPU running meanwhile (the
	 * spinning AP) could fault on them half written, then triple-fault.
	 */
	start(&v[0], CMD_IPI);
	start(&v[1], ap_cmd);
	pthread_create(&t, NULL, ap_thread, &ap);
	while (!ap.on)
		usleep(1000);
	/* Into HLT (the module counts the exit), or spinning. */
	for (i = 0; i < 5000; i++) {
		if (ap_cmd == CMD_WAIT && vm_stat(&vm, HWVIRT_STAT_EXIT_HLT))
			break;
		usleep(1000);
		if (ap_cmd != CMD_WAIT && i == 20)
			break;
	}
	SET_REG(&v[0], rsi, icr);
	SET_REG(&v[0], rdx, 1U << 24);
	if (apic_on(&v[0], "ipi"))
		expect_io(&v[0], "ipi: the ICR write is done", HWVIRT_IO_OUT,
			  0x45, 1, 0x45);
	pthread_join(t, NULL);
	check(ap.result == vec, "ipi: %s (vector 0x%x)", what, ap.result);
	if (ap_cmd == CMD_WAIT)
		check(vm_stat(&vm, HWVIRT_STAT_HALT_WAKEUPS) >= 1,
		      "ipi: the target had slept in HLT, in the module");
	done_apic_vm(&vm, v, 2);
}

static void test_apic_ipi(void)
{
	struct tvm vm;
	struct tvcpu v[2];
	struct ap ap = { .v = &v[1], .cmd = -1, .port = 0x46 };
	struct hwvirt_mp_state mp;
	pthread_t t;
	int vec;

	ipi_test(CMD_WAIT, 0x4044, "fixed IPI to APIC ID 1, halted: it wakes", 0x44);
	ipi_test(CMD_SPIN, 0x4045, "fixed IPI to a running vCPU: it is kicked",
		 0x45);
	ipi_test(CMD_WAIT, 0xc4046, "all-but-self shorthand reaches vCPU 1", 0x46);

	/* INIT, then SIPI vector 2: the AP starts in real mode at 0x2000. */
	new_apic_vm(&vm, v, 2);
	check(!ioctl(v[1].fd, HWVIRT_GET_MP_STATE, &mp) &&
	      mp.mp_state == HWVIRT_MP_STATE_INIT_RECEIVED,
	      "init: the AP waits for a SIPI");
	pthread_create(&t, NULL, ap_thread, &ap);
	usleep(20000);			/* asleep in HWVIRT_RUN */
	start(&v[0], CMD_IPI);
	SET_REG(&v[0], rsi, 0x4500);		/* INIT, assert */
	SET_REG(&v[0], rdx, 1U << 24);
	if (apic_on(&v[0], "init")) {
		expect_io(&v[0], "init: INIT sent", HWVIRT_IO_OUT, 0x45, 1, 0x45);
		SET_REG(&v[0], rsi, 0x4602);	/* SIPI, vector 2 */
		expect_io(&v[0], "init: SIPI sent", HWVIRT_IO_OUT, 0x45, 1, 0x45);
	}
	pthread_join(t, NULL);
	check(ap.result == 0x5a,
	      "init: INIT + SIPI start the AP at 0200:0000 (marker 0x%x)",
	      ap.result);
	done_apic_vm(&vm, v, 2);

	/* Self-IPI, xAPIC (shorthand self): before the instruction after. */
	new_apic_vm(&vm, v, 1);
	start(&v[0], CMD_IPI);
	SET_REG(&v[0], rsi, 0x44047);
	if (apic_on(&v[0], "self")) {
		vec = next_irq(&v[0]);
		check(vec == 0x47, "ipi: xAPIC self-IPI (vector 0x%x)", vec);
	}
	done_apic_vm(&vm, v, 1);

	/* x2APIC mode, SELF_IPI MSR, EOI by MSR. */
	new_apic_vm(&vm, v, 1);
	start(&v[0], CMD_X2APIC);
	SET_REG(&v[0], rsi, 0x48);
	if (apic_on(&v[0], "x2apic")) {
		vec = next_irq(&v[0]);
		check(vec == 0x48, "x2apic: the guest enters x2APIC mode; SELF_IPI "
		      "(vector 0x%x)", vec);
		check(lapic_reg(&v[0], 0x20) == 0 &&
		      lapic_reg(&v[0], 0xd0) == 1,
		      "x2apic: the ID register holds the x2APIC ID, LDR derived");
		/* Same class as 0x48: it gets in only once 0x48 is done. */
		send_msi(&vm, 0xfee00000, 0x4049);
		vec = next_irq(&v[0]);
		check(vec == 0x49, "x2apic: the EOI by MSR ended 0x48; an MSI "
		      "with an 8-bit destination got in after it (0x%x)", vec);
	}
	done_apic_vm(&vm, v, 1);
}

static void test_apic_msi(void)
{
	struct tvm vm;
	struct tvcpu v;
	int vec, r;

	/* Edge, then level: only the level one's EOI reaches userspace. */
	new_apic_vm(&vm, &v, 1);
	start(&v, CMD_WAIT);
	if (apic_on(&v, "msi")) {
		check(send_msi(&vm, 0xfee00000, 0x404a) == 1,
		      "msi: an edge MSI to APIC 0 is taken by one APIC");
		vec = next_irq(&v);
		check(vec == 0x4a, "msi: delivered (vector 0x%x)", vec);
		check(send_msi(&vm, 0xfee00000, 0xc049) == 1,
		      "msi: a level-triggered MSI (as the IOAPIC sends)");
		vec = next_irq(&v);
		check(vec == 0x49, "msi: delivered (vector 0x%x)", vec);
		r = run(&v);
		check(r == HWVIRT_EXIT_EOI && v.run->eoi.vector == 0x49,
		      "msi: its EOI exits to userspace with the vector (%s 0x%x)",
		      exit_name(r), v.run->eoi.vector);
	}
	done_apic_vm(&vm, &v, 1);

	/* The TPR (CR8) holds an interrupt until the guest lowers it. */
	new_apic_vm(&vm, &v, 1);
	start(&v, CMD_TPR);
	if (apic_on(&v, "tpr") &&
	    expect_io(&v, "tpr: the guest raised CR8 to 15", HWVIRT_IO_OUT,
		      0x4e, 1, 0x4e)) {
		send_msi(&vm, 0xfee00000, 0x4044);
		*(volatile uint32_t *)(vm.mem + APIC_FLAG) = 1;
		vec = next_irq(&v);
		check(vec == 0x44,
		      "tpr: vector 0x44 waited for CR8 to drop (got 0x%x)", vec);
		expect_io(&v, "tpr: taken at the CR8 write itself, before the "
			  "next instruction", HWVIRT_IO_OUT, 0x4d, 4, 1);
		check(lapic_reg(&v, 0x80) == 0, "tpr: the APIC's TPR follows CR8");
	}
	done_apic_vm(&vm, &v, 1);
}

static int irqfd(struct tvm *vm, int fd, uint32_t flags, uint32_t data)
{
	struct hwvirt_irqfd a = {
		.fd = fd, .flags = flags,
		.msi_address = 0xfee00000, .msi_data = data,
	};

	return ioctl(vm->fd, HWVIRT_IRQFD, &a);
}

/* Signal an eventfd as an I/O thread would. */
static void kick_eventfd(int fd)
{
	uint64_t one = 1;

	if (write(fd, &one, sizeof(one)) != sizeof(one))
		fail_setup("write an eventfd");
}

static void test_irqfd(void)
{
	struct hwvirt_irqfd bad;
	struct tvm vm;
	struct tvcpu v;
	int efd, efd2, vec, i;
	uint64_t n0;

	efd = eventfd(0, EFD_CLOEXEC);
	efd2 = eventfd(0, EFD_CLOEXEC);
	if (efd < 0 || efd2 < 0)
		fail_setup("eventfd");

	/* Without an in-kernel APIC there is nobody to send the MSI to. */
	if (tvm_create(&vm, MEM_SIZE))
		fail_setup("create a VM");
	check(irqfd(&vm, efd, 0, 0x404a) == -1 && errno == ENXIO,
	      "irqfd: without an in-kernel APIC: ENXIO");
	tvm_destroy(&vm);

	new_apic_vm(&vm, &v, 1);
	check(irqfd(&vm, -1, 0, 0x404a) == -1 && errno == EBADF,
	      "irqfd: a bad fd: EBADF");
	check(irqfd(&vm, vm.sys, 0, 0x404a) == -1 && errno == EINVAL,
	      "irqfd: an fd that is no eventfd: EINVAL");
	bad = (struct hwvirt_irqfd) { .fd = efd, .msi_address = 0x12345000 };
	check(ioctl(vm.fd, HWVIRT_IRQFD, &bad) == -1 && errno == EINVAL,
	      "irqfd: an MSI address outside 0xfeexxxxx: EINVAL");
	bad = (struct hwvirt_irqfd) { .fd = efd, .msi_address = 0xfee00000,
				      .flags = 2 };
	check(ioctl(vm.fd, HWVIRT_IRQFD, &bad) == -1 && errno == EINVAL,
	      "irqfd: unknown flags: EINVAL");
	check(irqfd(&vm, efd, HWVIRT_IRQFD_DEASSIGN, 0) == -1 && errno == ENOENT,
	      "irqfd: deassigning an fd never assigned: ENOENT");

	start(&v, CMD_WAIT);
	if (apic_on(&v, "irqfd")) {
		/* Signalled before it was assigned: the assignment sends it. */
		kick_eventfd(efd);
		check(irqfd(&vm, efd, 0, 0x404a) == 0,
		      "irqfd: assigned (vector 0x4a)");
		vec = next_irq(&v);
		check(vec == 0x4a, "irqfd: a signal sent the MSI (vector 0x%x)",
		      vec);
		/* Re-assigning changes the MSI, as a guest moving it would. */
		check(irqfd(&vm, efd, 0, 0x404b) == 0,
		      "irqfd: assigning it again changes its MSI");
		kick_eventfd(efd);
		vec = next_irq(&v);
		check(vec == 0x4b, "irqfd: the new vector came (0x%x)", vec);
		/* A halted vCPU wakes up for it. */
		n0 = vm_stat(&vm, HWVIRT_STAT_HALT_WAKEUPS);
		check(irqfd(&vm, efd2, 0, 0x404c) == 0,
		      "irqfd: a second eventfd (vector 0x4c)");
		for (i = 0; i < 5; i++) {
			kick_eventfd(efd2);
			vec = next_irq(&v);
			if (vec != 0x4c)
				break;
		}
		check(i == 5, "irqfd: 5 signals, 5 interrupts (last 0x%x)", vec);
		check(vm_stat(&vm, HWVIRT_STAT_IRQFD_MSIS) >= 7,
		      "irqfd: counted (%llu MSIs)",
		      (unsigned long long)vm_stat(&vm, HWVIRT_STAT_IRQFD_MSIS));
		diag("irqfd: %llu halt wake-ups",
		     (unsigned long long)(vm_stat(&vm, HWVIRT_STAT_HALT_WAKEUPS) - n0));
		check(irqfd(&vm, efd, HWVIRT_IRQFD_DEASSIGN, 0) == 0,
		      "irqfd: deassigned");
		check(irqfd(&vm, efd, HWVIRT_IRQFD_DEASSIGN, 0) == -1 &&
		      errno == ENOENT, "irqfd: ...and gone");
	}
	/* Closing the eventfd lets its irqfd go; the VM's end the others. */
	close(efd2);
	close(efd);
	done_apic_vm(&vm, &v, 1);

	/* An eventfd still open when the VM goes: freed with the VM. */
	efd = eventfd(0, EFD_CLOEXEC);
	new_apic_vm(&vm, &v, 1);
	check(irqfd(&vm, efd, 0, 0x404d) == 0, "irqfd: one left at the VM's end");
	for (i = 0; i < 3; i++)
		kick_eventfd(efd);
	done_apic_vm(&vm, &v, 1);
	kick_eventfd(efd);
	ok("irqfd: a signal after the VM is gone does nothing");
	close(efd);
}

void test_apic(void)
{
	test_apic_api();
	test_apic_timer();
	test_apic_ipi();
	test_apic_msi();
	test_irqfd();
}
