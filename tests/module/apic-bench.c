/*
 * hwvirt-apic-bench: what the operations of an in-kernel local APIC cost
 * a guest, on /dev/hwvirt or on /dev/kvm (kvm_amd with KVM's in-kernel
 * irqchip), measured by the guest itself with RDTSC (guest_apic_bench in
 * guest.S) and printed in ns per operation:
 *
 *   hwvirt-apic-bench [--kvm] [N]
 *
 *   timer_ns=        TSC-deadline timer: arm (WRMSR), HLT, fire, EOI
 *   ipi_running_ns=  an IPI to a vCPU spinning in the guest, until its
 *                    handler has run (as seen by the sender)
 *   ipi_halted_ns=   the same to a vCPU in HLT
 *   eoi_ns=          an EOI write, xAPIC (MMIO)
 *   eoi_x2apic_ns=   an EOI write, x2APIC (MSR)
 *   tpr_ns=          a CR8 write
 *
 * The lab's module-bench scenario prints hwvirt/kvm_amd ratios from two
 * runs in the same lab boot.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <linux/kvm.h>

#include "lib.h"

#define MEM_SIZE	(1 << 20)

enum { OP_TIMER, OP_EOI, OP_EOI_X2, OP_TPR, OP_IPI, OP_TARGET, OP_TARGET_HLT };

/* One hypervisor, two vCPUs. */
struct hv {
	bool kvm;
	uint8_t *mem;
	/* hwvirt */
	struct tvm tvm;
	struct tvcpu tv[2];
	/* kvm */
	int kvm_fd, vm, vcpu[2];
	struct kvm_run *run[2];
};

static void on_signal(int sig)
{
	(void)sig;
}

/* --- guest memory: page tables, GDT, IDT, code (both hypervisors) --- */

static uint64_t isr_base(void)
{
	return GUEST_CODE + (uint64_t)(guest_apic_bench_isr_40 -
				       guest_apic_bench);
}

static void fill_memory(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + GUEST_PT), *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512, *gdt = (uint64_t *)(mem + GUEST_GDT);
	uint8_t *idt = mem + GUEST_IDT;
	int i;

	memset(pml4, 0, 3 * 4096);
	pml4[0] = (GUEST_PT + 4096) | 3;
	pdpt[0] = (GUEST_PT + 8192) | 3;
	for (i = 1; i < 4; i++)
		pdpt[i] = ((uint64_t)i << 30) | 0x83;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;
	gdt[2] = 0x00cf93000000ffffULL;
	memset(idt, 0, 256 * 16);
	for (i = 0; i < 2; i++) {
		uint64_t h = isr_base() + 16 * i;
		uint8_t *g = idt + (0x40 + i) * 16;

		g[0] = h;
		g[1] = h >> 8;
		g[2] = 0x08;
		g[5] = 0x8e;
		g[6] = h >> 16;
		g[7] = h >> 24;
	}
	memcpy(mem + GUEST_CODE, guest_apic_bench,
	       guest_apic_bench_end - guest_apic_bench);
}

/* --- /dev/hwvirt ---------------------------------------------------- */

static void hw_create(struct hv *h)
{
	int i;

	if (tvm_create_flags(&h->tvm, MEM_SIZE, HWVIRT_VM_LAPIC))
		fail_setup("create a hwvirt VM with the in-kernel APIC");
	h->mem = h->tvm.mem;
	for (i = 0; i < 2; i++) {
		if (tvcpu_create(&h->tvm, &h->tv[i], i))
			fail_setup("create a hwvirt vCPU");
		set_supported_cpuid(&h->tv[i]);
	}
}

static void hw_start(struct hv *h, int i, int op, uint64_t n)
{
	struct hwvirt_mp_state mp = { .mp_state = HWVIRT_MP_STATE_RUNNABLE };
	struct tvcpu *v = &h->tv[i];
	struct hwvirt_sregs sr;

	set_long_mode(v);
	if (ioctl(v->fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	sr.idt.base = GUEST_IDT;
	sr.idt.limit = 256 * 16 - 1;
	/* xAPIC mode again, after the x2APIC operation. */
	sr.apic_base = 0xfee00800 | (i == 0 ? 0x100 : 0);
	if (ioctl(v->fd, HWVIRT_SET_SREGS, &sr) ||
	    ioctl(v->fd, HWVIRT_SET_MP_STATE, &mp))
		fail_setup("HWVIRT_SET_SREGS");
	SET_REG(v, rdi, op);
	SET_REG(v, rcx, n);
}

/* Run to the next OUT: its port (data in *data), or -1. */
static int hw_run(struct hv *h, int i, uint32_t *data)
{
	struct tvcpu *v = &h->tv[i];
	int r = run(v);

	if (r != HWVIRT_EXIT_IO) {
		if (r != -EINTR)
			fprintf(stderr, "hwvirt-apic-bench: vCPU %d: %s\n", i,
				exit_name(r));
		return -1;
	}
	*data = io_data(v);
	return v->run->io.port;
}

/* --- /dev/kvm, with KVM's in-kernel irqchip ------------------------- */

static void kvm_create(struct hv *h)
{
	struct kvm_userspace_memory_region region = { .memory_size = MEM_SIZE };
	struct {
		struct kvm_cpuid2 hdr;
		struct kvm_cpuid_entry2 e[256];
	} cpuid = { .hdr.nent = 256 };
	int i, mmap_size;

	h->kvm = true;
	h->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (h->kvm_fd < 0)
		fail_setup("open /dev/kvm");
	h->vm = ioctl(h->kvm_fd, KVM_CREATE_VM, 0);
	if (h->vm < 0 || ioctl(h->vm, KVM_CREATE_IRQCHIP, 0))
		fail_setup("KVM_CREATE_VM with KVM_CREATE_IRQCHIP");
	h->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	region.userspace_addr = (uintptr_t)h->mem;
	if (ioctl(h->vm, KVM_SET_USER_MEMORY_REGION, &region))
		fail_setup("KVM_SET_USER_MEMORY_REGION");
	if (ioctl(h->kvm_fd, KVM_GET_SUPPORTED_CPUID, &cpuid))
		fail_setup("KVM_GET_SUPPORTED_CPUID");
	/* KVM has the TSC-deadline timer, but leaves the bit to userspace. */
	for (i = 0; i < (int)cpuid.hdr.nent; i++)
		if (cpuid.e[i].function == 1)
			cpuid.e[i].ecx |= 1U << 24;
	mmap_size = ioctl(h->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	for (i = 0; i < 2; i++) {
		h->vcpu[i] = ioctl(h->vm, KVM_CREATE_VCPU, i);
		if (h->vcpu[i] < 0 || ioctl(h->vcpu[i], KVM_SET_CPUID2, &cpuid))
			fail_setup("KVM_CREATE_VCPU");
		h->run[i] = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED, h->vcpu[i], 0);
		if (h->run[i] == MAP_FAILED)
			fail_setup("mmap the KVM run page");
	}
}

static struct kvm_segment kseg(uint16_t sel, uint8_t type, int l, int db)
{
	struct kvm_segment s = {
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .l = l, .db = db, .g = 1,
	};
	return s;
}

static void kvm_start(struct hv *h, int i, int op, uint64_t n)
{
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };
	struct kvm_regs regs = { .rip = GUEST_CODE, .rsp = 0x8000 - 0x100 * i,
				 .rflags = 2, .rdi = op, .rcx = n };
	struct kvm_sregs sr;

	if (ioctl(h->vcpu[i], KVM_GET_SREGS, &sr))
		fail_setup("KVM_GET_SREGS");
	sr.cs = kseg(0x08, 11, 1, 0);
	sr.ds = sr.es = sr.fs = sr.gs = sr.ss = kseg(0x10, 3, 0, 1);
	sr.gdt.base = GUEST_GDT;
	sr.gdt.limit = 0x17;
	sr.idt.base = GUEST_IDT;
	sr.idt.limit = 256 * 16 - 1;
	sr.cr0 = 0x80000011;
	sr.cr3 = GUEST_PT;
	sr.cr4 = 0x20;
	sr.efer = 0x500;
	sr.apic_base = 0xfee00800 | (i == 0 ? 0x100 : 0);
	if (ioctl(h->vcpu[i], KVM_SET_SREGS, &sr) ||
	    ioctl(h->vcpu[i], KVM_SET_REGS, &regs) ||
	    ioctl(h->vcpu[i], KVM_SET_MP_STATE, &mp))
		fail_setup("set a KVM vCPU's state");
}

static int kvm_run(struct hv *h, int i, uint32_t *data)
{
	struct kvm_run *run = h->run[i];

	if (ioctl(h->vcpu[i], KVM_RUN, 0) || run->exit_reason != KVM_EXIT_IO) {
		if (errno != EINTR)
			fprintf(stderr, "hwvirt-apic-bench: KVM vCPU %d: exit %u "
				"(%s)\n", i, run->exit_reason, strerror(errno));
		return -1;
	}
	*data = 0;
	memcpy(data, (uint8_t *)run + run->io.data_offset, run->io.size);
	return run->io.port;
}

/* --- the measurements ----------------------------------------------- */

static void start(struct hv *h, int i, int op, uint64_t n)
{
	if (h->kvm)
		kvm_start(h, i, op, n);
	else
		hw_start(h, i, op, n);
}

static int run_to_out(struct hv *h, int i, uint32_t *data)
{
	return h->kvm ? kvm_run(h, i, data) : hw_run(h, i, data);
}

struct target {
	struct hv *h;
	volatile int ready;
};

/* vCPU 1's thread: the IPI target, until a signal stops it. */
static void *target_thread(void *arg)
{
	struct target *t = arg;
	uint32_t data;

	if (run_to_out(t->h, 1, &data) == 0x54)
		t->ready = 1;
	run_to_out(t->h, 1, &data);	/* returns on the signal */
	return NULL;
}

static double tsc_ghz(void)
{
	uint64_t c0 = __rdtsc(), t0 = now_ns();

	usleep(200000);
	return (double)(__rdtsc() - c0) / (now_ns() - t0);
}

/* ns per operation, best of three runs of n. */
static double measure(struct hv *h, int op, uint64_t n, double ghz)
{
	double best = 0;
	int k;

	for (k = 0; k < 3; k++) {
		struct target t = { .h = h };
		pthread_t thread;
		uint32_t lo = 0, hi = 0, data;
		double ns;
		int port;

		fill_memory(h->mem);
		/*
		 * Both vCPUs' state before the target runs: start() rewrites
		 * the page tables and IDT they share.
		 */
		start(h, 0, op >= 100 ? OP_IPI : op, n);
		if (op == OP_IPI + 100 || op == OP_IPI + 200) {
			start(h, 1, op == OP_IPI + 100 ? OP_TARGET : OP_TARGET_HLT,
			      0);
			pthread_create(&thread, NULL, target_thread, &t);
			while (!t.ready)
				usleep(1000);
			usleep(20000);
		}
		while ((port = run_to_out(h, 0, &data)) != 0x50) {
			if (port == 0x52)
				lo = data;
			else if (port == 0x53)
				hi = data;
			else if (port < 0)
				fail_setup("the benchmark guest stopped");
		}
		if (op >= 100) {
			pthread_kill(thread, SIGUSR1);
			pthread_join(thread, NULL);
		}
		ns = (((uint64_t)hi << 32) | lo) / ghz / n;
		if (!k || ns < best)
			best = ns;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct hv h = { 0 };
	uint64_t n = 2000;
	double ghz;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--kvm"))
			h.kvm = true;
		else
			n = strtoull(argv[a], NULL, 0);
	}
	if (!n)
		n = 1;
	sigaction(SIGUSR1, &sa, NULL);		/* no SA_RESTART: ends a run */
	setvbuf(stdout, NULL, _IONBF, 0);
	if (h.kvm)
		kvm_create(&h);
	else
		hw_create(&h);
	ghz = tsc_ghz();

	printf("timer_ns=%.0f ", measure(&h, OP_TIMER, n, ghz));
	printf("ipi_running_ns=%.0f ", measure(&h, OP_IPI + 100, n, ghz));
	printf("ipi_halted_ns=%.0f ", measure(&h, OP_IPI + 200, n, ghz));
	printf("eoi_ns=%.0f ", measure(&h, OP_EOI, n, ghz));
	printf("eoi_x2apic_ns=%.0f ", measure(&h, OP_EOI_X2, n, ghz));
	printf("tpr_ns=%.1f\n", measure(&h, OP_TPR, n * 100, ghz));
	return 0;
}
