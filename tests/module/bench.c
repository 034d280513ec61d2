/*
 * hwvirt-bench: the cost of one exit, on /dev/hwvirt or /dev/kvm.
 *
 *   hwvirt-bench [--kvm] [N]
 *   hwvirt-bench --kvm-hold SECONDS    keep a KVM VM alive (KVM owns the CPU)
 *
 * The same real-mode guest code (guest.S) runs N CPUIDs (an exit the
 * kernel handles) and N OUTs (an exit to userspace and back), and the
 * program prints the time per iteration:
 *
 *   cpuid_ns=NNN pio_ns=NNN
 *
 * Ratios between hwvirt and kvm_amd are computed by the lab scenario,
 * from two runs in the same lab boot.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "lib.h"

#define MEM_SIZE	(1 << 20)

/* A runner: set up the blob in real mode with ECX = n, run to port 0x50. */
struct runner {
	int (*setup)(struct runner *r, const uint8_t *blob, size_t size,
		     uint32_t n);
	int (*run_once)(struct runner *r);	/* 1: port 0x51, 0: port 0x50 */
	void *mem;
	int vm, vcpu;
	void *run;
	struct tvm tvm;
	struct tvcpu tv;
};

/* --- /dev/hwvirt ---------------------------------------------------- */

static int hw_setup(struct runner *r, const uint8_t *blob, size_t size,
		    uint32_t n)
{
	struct hwvirt_regs regs;

	if (!r->tv.fd) {
		if (tvm_create(&r->tvm, MEM_SIZE) || tvcpu_create(&r->tvm, &r->tv, 0))
			fail_setup("create a hwvirt VM");
	}
	memcpy(r->tvm.mem + GUEST_CODE, blob, size);
	set_real_mode(&r->tv);
	ioctl(r->tv.fd, HWVIRT_GET_REGS, &regs);
	regs.rcx = n;
	return ioctl(r->tv.fd, HWVIRT_SET_REGS, &regs);
}

static int hw_run_once(struct runner *r)
{
	if (run(&r->tv) != HWVIRT_EXIT_IO) {
		fprintf(stderr, "hwvirt-bench: unexpected exit %s\n",
			exit_name(r->tv.run->exit_reason));
		exit(1);
	}
	return r->tv.run->io.port == 0x51;
}

/* --- /dev/kvm ------------------------------------------------------- */

static int kvm_setup(struct runner *r, const uint8_t *blob, size_t size,
		     uint32_t n)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (!r->run) {
		struct kvm_userspace_memory_region region = { 0 };
		int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		int mmap_size;

		if (kvm < 0)
			fail_setup("open /dev/kvm");
		r->vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (r->vm < 0)
			fail_setup("KVM_CREATE_VM");
		r->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		region.memory_size = MEM_SIZE;
		region.userspace_addr = (uintptr_t)r->mem;
		if (ioctl(r->vm, KVM_SET_USER_MEMORY_REGION, &region))
			fail_setup("KVM_SET_USER_MEMORY_REGION");
		r->vcpu = ioctl(r->vm, KVM_CREATE_VCPU, 0);
		mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
		if (r->vcpu < 0 || mmap_size <= 0)
			fail_setup("KVM_CREATE_VCPU");
		r->run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE,
			      MAP_SHARED, r->vcpu, 0);
		if (r->run == MAP_FAILED)
			fail_setup("mmap the KVM run page");
	}
	memcpy((uint8_t *)r->mem + GUEST_CODE, blob, size);
	if (ioctl(r->vcpu, KVM_GET_SREGS, &sregs))
		fail_setup("KVM_GET_SREGS");
	sregs.cs.selector = GUEST_CODE >> 4;
	sregs.cs.base = GUEST_CODE;
	if (ioctl(r->vcpu, KVM_SET_SREGS, &sregs))
		fail_setup("KVM_SET_SREGS");
	regs.rip = 0;
	regs.rflags = 2;
	regs.rsp = 0x8000 - GUEST_CODE;
	regs.rcx = n;
	return ioctl(r->vcpu, KVM_SET_REGS, &regs);
}

static int kvm_run_once(struct runner *r)
{
	struct kvm_run *run = r->run;

	if (ioctl(r->vcpu, KVM_RUN, 0) || run->exit_reason != KVM_EXIT_IO) {
		fprintf(stderr, "hwvirt-bench: KVM exit %u (%s)\n",
			run->exit_reason, strerror(errno));
		exit(1);
	}
	return run->io.port == 0x51;
}

/* Time per iteration of blob, in ns (best of three). */
static double measure(struct runner *r, const uint8_t *blob, size_t size,
		      uint32_t n)
{
	double best = 0;
	int k;

	for (k = 0; k < 3; k++) {
		uint64_t t0;
		double t;

		if (r->setup(r, blob, size, n))
			fail_setup("set the registers");
		t0 = now_ns();
		while (r->run_once(r))
			;
		t = (double)(now_ns() - t0) / n;
		if (!k || t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	struct runner r = { .setup = hw_setup, .run_once = hw_run_once };
	uint32_t n = 2000;
	int a;

	for (a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--kvm-hold") && a + 1 < argc) {
			kvm_setup(&r, guest_bench_pio, BLOB_SIZE(guest_bench_pio), 1);
			printf("holding\n");
			fflush(stdout);
			sleep(atoi(argv[a + 1]));
			return 0;
		}
		if (!strcmp(argv[a], "--kvm")) {
			r.setup = kvm_setup;
			r.run_once = kvm_run_once;
		} else {
			n = strtoul(argv[a], NULL, 0);
		}
	}
	if (!n)
		n = 1;
	/* Warm up: map the pages, settle the caches. */
	measure(&r, guest_bench_cpuid, BLOB_SIZE(guest_bench_cpuid), 10);
	printf("cpuid_ns=%.0f ", measure(&r, guest_bench_cpuid,
					 BLOB_SIZE(guest_bench_cpuid), n));
	printf("pio_ns=%.0f\n", measure(&r, guest_bench_pio,
					BLOB_SIZE(guest_bench_pio), n));
	return 0;
}
