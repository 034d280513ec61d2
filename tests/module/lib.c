/*
 * Helpers for the module selftests (see lib.h).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib.h"

int test_failed;

static void vline(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stdout);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

void ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("ok - ", fmt, ap);
	va_end(ap);
}

void not_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("not ok - ", fmt, ap);
	va_end(ap);
	test_failed = 1;
}

void diag(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("# ", fmt, ap);
	va_end(ap);
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

void fail_setup(const char *what)
{
	not_ok("set-up: %s: %s", what, strerror(errno));
	exit(1);
}

int open_dev(void)
{
	int fd = open("/dev/hwvirt", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		fail_setup("open /dev/hwvirt");
	return fd;
}

int test_mmu_mode = HWVIRT_MMU_DEFAULT;

int tvm_create(struct tvm *vm, size_t mem_size)
{
	return tvm_create_flags(vm, mem_size, 0);
}

int tvm_create_flags(struct tvm *vm, size_t mem_size, uint32_t flags)
{
	struct hwvirt_vm_config cfg = { .flags = flags, .mmu_mode = test_mmu_mode };
	struct hwvirt_memslot slot = { 0 };

	memset(vm, 0, sizeof(*vm));
	vm->sys = open_dev();
	vm->fd = ioctl(vm->sys, HWVIRT_CREATE_VM, &cfg);
	if (vm->fd < 0)
		return -errno;
	vm->mem_size = mem_size;
	vm->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->mem == MAP_FAILED)
		fail_setup("mmap guest memory");
	slot.slot = 0;
	slot.guest_phys_addr = 0;
	slot.memory_size = mem_size;
	slot.userspace_addr = (uintptr_t)vm->mem;
	if (ioctl(vm->fd, HWVIRT_SET_MEMSLOT, &slot))
		return -errno;
	return 0;
}

void tvm_destroy(struct tvm *vm)
{
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->fd >= 0)
		close(vm->fd);
	close(vm->sys);
	memset(vm, 0, sizeof(*vm));
	vm->fd = -1;
}

int tvcpu_create(struct tvm *vm, struct tvcpu *v, int id)
{
	v->vm = vm;
	v->fd = ioctl(vm->fd, HWVIRT_CREATE_VCPU, id);
	if (v->fd < 0)
		return -errno;
	v->run = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		fail_setup("mmap the run page");
	return 0;
}

void tvcpu_close(struct tvcpu *v)
{
	munmap(v->run, 4096);
	close(v->fd);
}

void load_blob(struct tvm *vm, const uint8_t *start, const uint8_t *end)
{
	memcpy(vm->mem + GUEST_CODE, start, end - start);
}

static struct hwvirt_segment seg(uint16_t sel, uint64_t base, uint32_t limit,
				 uint8_t type, int db, int l, int g)
{
	struct hwvirt_segment s = {
		.base = base, .limit = limit, .selector = sel, .type = type,
		.s = 1, .present = 1, .db = db, .l = l, .g = g,
	};
	return s;
}

/* Clear the general registers and start at rip with the stack at rsp. */
static void start_at(struct tvcpu *v, uint64_t rip, uint64_t rsp)
{
	struct hwvirt_regs r = { .rip = rip, .rsp = rsp, .rflags = 2 };

	if (ioctl(v->fd, HWVIRT_SET_REGS, &r))
		fail_setup("HWVIRT_SET_REGS");
}

void set_real_mode(struct tvcpu *v)
{
	struct hwvirt_sregs sr;

	if (ioctl(v->fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	sr.cs.selector = GUEST_CODE >> 4;
	sr.cs.base = GUEST_CODE;
	if (ioctl(v->fd, HWVIRT_SET_SREGS, &sr))
		fail_setup("HWVIRT_SET_SREGS (real mode)");
	start_at(v, 0, 0x8000 - GUEST_CODE);
}

static void set_flat(struct hwvirt_sregs *sr, int long_mode)
{
	struct hwvirt_segment data = seg(0x10, 0, 0xffffffff, 3, 1, 0, 1);

	sr->cs = long_mode ? seg(0x08, 0, 0xffffffff, 11, 0, 1, 1) :
			     seg(0x08, 0, 0xffffffff, 11, 1, 0, 1);
	sr->ds = sr->es = sr->fs = sr->gs = sr->ss = data;
	sr->gdt.base = GUEST_GDT;
	sr->gdt.limit = 0x17;
	sr->idt.base = 0;
	sr->idt.limit = 0;		/* an exception in the guest is fatal */
	sr->tr = (struct hwvirt_segment) { .limit = 0x67, .type = 11,
					   .present = 1 };
	sr->ldt = (struct hwvirt_segment) { .type = 2, .present = 1,
					    .unusable = 1 };
}

void set_prot_mode(struct tvcpu *v)
{
	struct hwvirt_sregs sr;

	if (ioctl(v->fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	set_flat(&sr, 0);
	sr.cr0 = 0x11;			/* PE, ET */
	if (ioctl(v->fd, HWVIRT_SET_SREGS, &sr))
		fail_setup("HWVIRT_SET_SREGS (protected mode)");
	start_at(v, GUEST_CODE, 0x8000);
}

void set_long_mode(struct tvcpu *v)
{
	uint64_t *pml4 = (uint64_t *)(v->vm->mem + GUEST_PT);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = (uint64_t *)(v->vm->mem + GUEST_PT_PD);
	struct hwvirt_sregs sr;
	int i;

	/*
	 * Identity map the first 8 GiB with 2 MiB pages (1 GiB pages need
	 * GBPAGES in the guest's CPUID, which the shadow MMU checks).  The
	 * PML5 of set_long_mode_la57() goes in between, at GUEST_PT + 3 pages.
	 */
	memset(pml4, 0, 3 * 4096);
	memset(pd, 0, 8 * 4096);
	pml4[0] = (GUEST_PT + 4096) | 3;
	for (i = 0; i < 8; i++)
		pdpt[i] = (GUEST_PT_PD + i * 4096) | 3;
	for (i = 0; i < 8 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;

	if (ioctl(v->fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	set_flat(&sr, 1);
	sr.cr0 = 0x80000011;		/* PG, PE, ET */
	sr.cr3 = GUEST_PT;
	sr.cr4 = 0x20;			/* PAE */
	sr.efer = 0x500;		/* LME, LMA */
	if (ioctl(v->fd, HWVIRT_SET_SREGS, &sr))
		fail_setup("HWVIRT_SET_SREGS (long mode)");
	start_at(v, GUEST_CODE, 0x8000);
}

void set_long_mode_la57(struct tvcpu *v)
{
	uint64_t *pml5 = (uint64_t *)(v->vm->mem + GUEST_PT + 3 * 4096);
	struct hwvirt_sregs sr;

	set_long_mode(v);
	memset(pml5, 0, 4096);
	pml5[0] = GUEST_PT | 3;		/* the PML4 of set_long_mode() */
	pml5[256] = GUEST_PT | 3;
	if (ioctl(v->fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	sr.cr3 = GUEST_PT + 3 * 4096;
	sr.cr4 = 0x1020;		/* LA57, PAE */
	if (ioctl(v->fd, HWVIRT_SET_SREGS, &sr))
		fail_setup("HWVIRT_SET_SREGS (5-level long mode)");
}

void set_idt64(struct tvcpu *v, int first, int n, uint64_t handler,
	       int stride)
{
	uint8_t *idt = v->vm->mem + GUEST_IDT;
	uint64_t *gdt = (uint64_t *)(v->vm->mem + GUEST_GDT);
	struct hwvirt_sregs sr;
	int i;

	/* Delivery loads CS (and IRETQ SS) from the GDT set_flat() names. */
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10: data */

	for (i = 0; i < n; i++) {
		uint64_t h = handler + (uint64_t)i * stride;
		uint8_t *g = idt + (first + i) * 16;

		memset(g, 0, 16);
		g[0] = h;
		g[1] = h >> 8;
		g[2] = 0x08;		/* the 64-bit code segment */
		g[5] = 0x8e;		/* present, DPL 0, interrupt gate */
		g[6] = h >> 16;
		g[7] = h >> 24;
		g[8] = h >> 32;
		g[9] = h >> 40;
		g[10] = h >> 48;
		g[11] = h >> 56;
	}
	if (ioctl(v->fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	sr.idt.base = GUEST_IDT;
	sr.idt.limit = 256 * 16 - 1;
	if (ioctl(v->fd, HWVIRT_SET_SREGS, &sr))
		fail_setup("HWVIRT_SET_SREGS (IDT)");
}

struct cpuid_buf {
	struct hwvirt_cpuid hdr;
	struct hwvirt_cpuid_entry e[256];
};

static void get_supported(struct tvm *vm, struct cpuid_buf *c)
{
	memset(c, 0, sizeof(*c));
	c->hdr.nent = 256;
	if (ioctl(vm->sys, HWVIRT_GET_SUPPORTED_CPUID, c))
		fail_setup("HWVIRT_GET_SUPPORTED_CPUID");
}

void set_supported_cpuid(struct tvcpu *v)
{
	struct cpuid_buf c;

	get_supported(v->vm, &c);
	if (ioctl(v->fd, HWVIRT_SET_CPUID, &c))
		fail_setup("HWVIRT_SET_CPUID");
}

uint32_t supported_cpuid(struct tvm *vm, uint32_t function, uint32_t index,
			 int reg)
{
	struct cpuid_buf c;
	uint32_t i;

	get_supported(vm, &c);
	for (i = 0; i < c.hdr.nent; i++) {
		struct hwvirt_cpuid_entry *e = &c.e[i];

		if (e->function != function ||
		    ((e->flags & HWVIRT_CPUID_INDEXED) && e->index != index))
			continue;
		return reg == REG_EAX ? e->eax : reg == REG_EBX ? e->ebx :
		       reg == REG_ECX ? e->ecx : e->edx;
	}
	return 0;
}

void set_reg(struct tvcpu *v, size_t offset, uint64_t val)
{
	struct hwvirt_regs r;

	if (ioctl(v->fd, HWVIRT_GET_REGS, &r))
		fail_setup("HWVIRT_GET_REGS");
	memcpy((uint8_t *)&r + offset, &val, sizeof(val));
	if (ioctl(v->fd, HWVIRT_SET_REGS, &r))
		fail_setup("HWVIRT_SET_REGS");
}

int run_watchdog;

static void on_watchdog(int sig)
{
	(void)sig;
}

int run(struct tvcpu *v)
{
	struct itimerval left, it = { .it_value = { .tv_sec = run_watchdog } };
	int armed = 0, r = 0;

	/*
	 * A guest that never exits (a module that maps nothing, say) ends
	 * the run with EINTR after run_watchdog seconds, unless the test
	 * armed its own timer.
	 */
	if (run_watchdog && !getitimer(ITIMER_REAL, &left) &&
	    !left.it_value.tv_sec && !left.it_value.tv_usec) {
		struct sigaction sa = { .sa_handler = on_watchdog };

		sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
		armed = !setitimer(ITIMER_REAL, &it, NULL);
	}
	if (ioctl(v->fd, HWVIRT_RUN, 0))
		r = -errno;
	if (armed) {
		it.it_value.tv_sec = 0;
		setitimer(ITIMER_REAL, &it, NULL);
	}
	return r ? r : (int)v->run->exit_reason;
}

const char *exit_name(int reason)
{
	static char buf[32];

	switch (reason) {
	case HWVIRT_EXIT_IO: return "IO";
	case HWVIRT_EXIT_MMIO: return "MMIO";
	case HWVIRT_EXIT_HLT: return "HLT";
	case HWVIRT_EXIT_SHUTDOWN: return "SHUTDOWN";
	case HWVIRT_EXIT_IRQ_WINDOW_OPEN: return "IRQ_WINDOW_OPEN";
	case HWVIRT_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case HWVIRT_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case HWVIRT_EXIT_INTR: return "INTR";
	}
	if (reason < 0)
		snprintf(buf, sizeof(buf), "error %s", strerror(-reason));
	else
		snprintf(buf, sizeof(buf), "exit %d", reason);
	return buf;
}

uint64_t io_data(struct tvcpu *v)
{
	uint64_t val = 0;

	memcpy(&val, (uint8_t *)v->run + v->run->io.data_offset, v->run->io.size);
	return val;
}

void set_io_data(struct tvcpu *v, uint32_t val)
{
	memcpy((uint8_t *)v->run + v->run->io.data_offset, &val, v->run->io.size);
}

static void describe_exit(struct tvcpu *v, int r)
{
	struct hwvirt_run *run = v->run;

	if (r == HWVIRT_EXIT_INTERNAL_ERROR) {
		char bytes[64] = "";
		unsigned int i;

		for (i = 0; i < run->internal.insn_len && i < 16; i++)
			sprintf(bytes + 3 * i, " %02x", run->internal.insn[i]);
		diag("internal error %u: exit code %#llx info %#llx %#llx rip %#llx gpa %#llx insn%s",
		     run->internal.suberror,
		     (unsigned long long)run->internal.exit_code,
		     (unsigned long long)run->internal.exit_info1,
		     (unsigned long long)run->internal.exit_info2,
		     (unsigned long long)run->internal.rip,
		     (unsigned long long)run->internal.gpa, bytes);
	} else if (r == HWVIRT_EXIT_IO) {
		diag("IO %s port %#x size %u count %u data %#llx",
		     run->io.direction ? "in" : "out", run->io.port,
		     run->io.size, run->io.count,
		     (unsigned long long)io_data(v));
	} else if (r == HWVIRT_EXIT_MMIO) {
		diag("MMIO %s gpa %#llx len %u", run->mmio.is_write ? "write" : "read",
		     (unsigned long long)run->mmio.phys_addr, run->mmio.len);
	} else if (r == HWVIRT_EXIT_FAIL_ENTRY) {
		diag("fail entry: hardware reason %#llx detail %#llx",
		     (unsigned long long)run->fail_entry.hardware_reason,
		     (unsigned long long)run->fail_entry.detail);
	}
}

int expect_exit(struct tvcpu *v, const char *what, int reason)
{
	int r = run(v);

	if (r == reason) {
		ok("%s", what);
		return 1;
	}
	not_ok("%s: got %s, expected %s", what, exit_name(r), exit_name(reason));
	describe_exit(v, r);
	return 0;
}

int expect_io(struct tvcpu *v, const char *what, int dir, int port, int size,
	      uint32_t data)
{
	int r = run(v);
	struct hwvirt_run *run = v->run;

	if (r != HWVIRT_EXIT_IO) {
		not_ok("%s: got %s, expected IO", what, exit_name(r));
		describe_exit(v, r);
		return 0;
	}
	if (run->io.direction != dir || run->io.port != port ||
	    run->io.size != size || run->io.count != 1 ||
	    (dir == HWVIRT_IO_OUT && io_data(v) != data)) {
		not_ok("%s: wrong I/O", what);
		describe_exit(v, r);
		return 0;
	}
	ok("%s", what);
	return 1;
}

int expect_mmio(struct tvcpu *v, const char *what, int is_write,
		uint64_t gpa, int len, uint64_t data)
{
	uint64_t val = 0;
	int r = run(v);
	struct hwvirt_run *run = v->run;

	if (r != HWVIRT_EXIT_MMIO) {
		not_ok("%s: got %s, expected MMIO", what, exit_name(r));
		describe_exit(v, r);
		return 0;
	}
	memcpy(&val, run->mmio.data, len <= 8 ? len : 8);
	if (run->mmio.is_write != is_write || run->mmio.phys_addr != gpa ||
	    run->mmio.len != (uint32_t)len || (is_write && val != data)) {
		not_ok("%s: wrong MMIO (data %#llx)", what, (unsigned long long)val);
		describe_exit(v, r);
		return 0;
	}
	ok("%s", what);
	return 1;
}
