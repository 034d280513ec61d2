/*
 * hwvirt-selftest: drive /dev/hwvirt directly with tiny guests, no QEMU.
 * Prints TAP lines; exits non-zero if anything failed.
 *
 *   hwvirt-selftest [--mmu=shadow|tdp] [TEST...]
 *                                 the named tests, or all
 *   hwvirt-selftest spin          a VM that runs forever (for kill tests)
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <cpuid.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib.h"

/* 512 KiB of RAM at 0: 0xa0000 and up is MMIO. */
#define MEM_SIZE	(512 << 10)

static void new_vm(struct tvm *vm, struct tvcpu *v)
{
	int r = tvm_create(vm, MEM_SIZE);

	if (r) {
		errno = -r;
		fail_setup("create a VM");
	}
	r = tvcpu_create(vm, v, 0);
	if (r) {
		errno = -r;
		fail_setup("create a vCPU");
	}
}

static void done_vm(struct tvm *vm, struct tvcpu *v)
{
	tvcpu_close(v);
	tvm_destroy(vm);
}

static void test_api(void)
{
	struct hwvirt_info info;
	struct {
		struct hwvirt_cpuid hdr;
		struct hwvirt_cpuid_entry e[256];
	} cpuid;
	int fd = open_dev(), ok_info;

	check(ioctl(fd, HWVIRT_GET_API_VERSION, 0) == HWVIRT_API_VERSION,
	      "api: HWVIRT_GET_API_VERSION is %d", HWVIRT_API_VERSION);
	check(ioctl(fd, HWVIRT_GET_API_VERSION, 1) == -1 && errno == EINVAL,
	      "api: HWVIRT_GET_API_VERSION with an argument: EINVAL");
	/*
	 * SVM: shadow paging always, nested paging where the CPU has it.
	 * VMX: EPT with unrestricted guest (the shadow MMU comes later).
	 */
	ok_info = !ioctl(fd, HWVIRT_GET_INFO, &info) &&
		  info.api_version == HWVIRT_API_VERSION &&
		  !(info.caps & HWVIRT_CAP_TDP) ==
		  !(info.mmu_modes & (1U << HWVIRT_MMU_TDP)) &&
		  !(info.caps & HWVIRT_CAP_SHADOW_MMU) ==
		  !(info.mmu_modes & (1U << HWVIRT_MMU_SHADOW)) &&
		  info.max_vcpus >= 1 && info.max_memslots >= 8 &&
		  info.backend_desc[0];
	if (info.backend == HWVIRT_BACKEND_SVM)
		ok_info = ok_info && (info.caps & HWVIRT_CAP_SHADOW_MMU) &&
			  (info.caps & HWVIRT_CAP_K7_PERFCTR);
	else if (info.backend == HWVIRT_BACKEND_VMX)
		ok_info = ok_info && (info.caps & HWVIRT_CAP_TDP) &&
			  !(info.caps & HWVIRT_CAP_K7_PERFCTR);
	else
		ok_info = 0;
	check(ok_info, "api: HWVIRT_GET_INFO: %s, %s%s%s (%s)",
	      info.backend == HWVIRT_BACKEND_VMX ? "VMX" : "SVM",
	      (info.caps & HWVIRT_CAP_SHADOW_MMU) ? "shadow paging" : "",
	      (info.caps & HWVIRT_CAP_SHADOW_MMU) &&
	      (info.caps & HWVIRT_CAP_TDP) ? " and " : "",
	      (info.caps & HWVIRT_CAP_TDP) ? "TDP" : "",
	      info.backend_desc);
	check(ioctl(fd, HWVIRT_GET_VCPU_MMAP_SIZE, 0) == 4096,
	      "api: HWVIRT_GET_VCPU_MMAP_SIZE is a page");
	cpuid.hdr.nent = 1;
	cpuid.hdr.pad = 0;
	check(ioctl(fd, HWVIRT_GET_SUPPORTED_CPUID, &cpuid) == -1 &&
	      errno == E2BIG && cpuid.hdr.nent > 1,
	      "api: HWVIRT_GET_SUPPORTED_CPUID with no room: E2BIG and the count");
	cpuid.hdr.nent = 256;
	check(!ioctl(fd, HWVIRT_GET_SUPPORTED_CPUID, &cpuid) &&
	      cpuid.hdr.nent > 4 && cpuid.e[0].function == 0 &&
	      !(cpuid.e[1].ecx & (1 << 5)) && (cpuid.e[1].ecx & (1U << 31)),
	      "api: supported CPUID: %u leaves, no VMX, hypervisor bit",
	      cpuid.hdr.nent);
	close(fd);
}

static void test_pio(void)
{
	struct hwvirt_sregs sr;
	struct hwvirt_regs r;
	struct tvm vm;
	struct tvcpu v;

	new_vm(&vm, &v);
	load_blob(&vm, guest_pio, guest_pio_end);
	set_real_mode(&v);
	expect_io(&v, "pio: real-mode OUT byte", HWVIRT_IO_OUT, 0x10, 1, 0x42);
	expect_io(&v, "pio: OUT word", HWVIRT_IO_OUT, 0x11, 2, 0x1234);
	if (expect_io(&v, "pio: IN byte", HWVIRT_IO_IN, 0x12, 1, 0)) {
		/*
		 * Registers read and written back during the IN (QEMU's
		 * vmport does, to set EBX..EDI): the IN still finishes.
		 */
		ioctl(v.fd, HWVIRT_GET_REGS, &r);
		r.rbx = 0x5a5a;
		ioctl(v.fd, HWVIRT_SET_REGS, &r);
		ioctl(v.fd, HWVIRT_GET_SREGS, &sr);
		ioctl(v.fd, HWVIRT_SET_SREGS, &sr);
		set_io_data(&v, 0x77);
	}
	expect_io(&v, "pio: the IN's data reached the guest, registers set during the IN",
		  HWVIRT_IO_OUT, 0x13, 1, 0x77);
	ioctl(v.fd, HWVIRT_GET_REGS, &r);
	check(r.rbx == 0x5a5a, "pio: ...and so did the register set during the IN");
	expect_io(&v, "pio: OUT dword", HWVIRT_IO_OUT, 0x14, 4, 0x89abcdef);
	expect_exit(&v, "hlt: HLT exits", HWVIRT_EXIT_HLT);
	expect_io(&v, "hlt: the guest resumes after HLT", HWVIRT_IO_OUT,
		  0x15, 1, 0xef);

	/* A new RIP during the IN (a reset) drops it: the code starts over. */
	set_real_mode(&v);
	expect_io(&v, "pio: again to the OUT byte", HWVIRT_IO_OUT, 0x10, 1, 0x42);
	expect_io(&v, "pio: OUT word", HWVIRT_IO_OUT, 0x11, 2, 0x1234);
	expect_io(&v, "pio: IN byte", HWVIRT_IO_IN, 0x12, 1, 0);
	set_real_mode(&v);
	expect_io(&v, "pio: a new RIP during an IN discards the IN",
		  HWVIRT_IO_OUT, 0x10, 1, 0x42);
	done_vm(&vm, &v);
}

static void test_mmio(void)
{
	struct tvm vm;
	struct tvcpu v;

	new_vm(&vm, &v);
	load_blob(&vm, guest_mmio, guest_mmio_end);
	set_real_mode(&v);
	expect_mmio(&v, "mmio: word write outside the slots", 1, 0xa0000, 2,
		    0xbeef);
	if (expect_mmio(&v, "mmio: byte read", 0, 0xa0001, 1, 0))
		v.run->mmio.data[0] = 0x5a;
	expect_io(&v, "mmio: the byte read reached AL", HWVIRT_IO_OUT, 0x20, 1,
		  0x5a);
	if (expect_mmio(&v, "mmio: dword read", 0, 0xa0004, 4, 0))
		memcpy(v.run->mmio.data, "\x44\x33\x22\x11", 4);
	expect_io(&v, "mmio: the dword read reached EAX", HWVIRT_IO_OUT, 0x21,
		  4, 0x11223344);
	if (expect_mmio(&v, "mmio: MOVZX byte read", 0, 0xa0008, 1, 0))
		v.run->mmio.data[0] = 0xf0;
	expect_io(&v, "mmio: MOVZX zero-extended", HWVIRT_IO_OUT, 0x22, 4, 0xf0);
	expect_exit(&v, "mmio: the guest runs on to HLT", HWVIRT_EXIT_HLT);
	done_vm(&vm, &v);
}

static void test_string(void)
{
	struct hwvirt_run *rp;
	struct tvm vm;
	struct tvcpu v;
	int i, r;

	new_vm(&vm, &v);
	rp = v.run;
	load_blob(&vm, guest_string, guest_string_end);
	memcpy(vm.mem + 0x9100, "hello", 5);
	set_real_mode(&v);

	r = run(&v);
	check(r == HWVIRT_EXIT_IO && rp->io.direction == HWVIRT_IO_OUT &&
	      rp->io.port == 0x80 && rp->io.size == 1 && rp->io.count == 5 &&
	      !memcmp((uint8_t *)rp + rp->io.data_offset, "hello", 5),
	      "string: REP OUTSB moves 5 bytes in one exit");
	r = run(&v);
	if (r == HWVIRT_EXIT_IO && rp->io.direction == HWVIRT_IO_IN &&
	    rp->io.port == 0x81 && rp->io.size == 2 && rp->io.count == 3) {
		ok("string: REP INSW asks for 3 words in one exit");
		memcpy((uint8_t *)rp + rp->io.data_offset, "AaBbCc", 6);
	} else {
		not_ok("string: REP INSW: got %s", exit_name(r));
	}
	expect_io(&v, "string: REP INSW left CX at 0", HWVIRT_IO_OUT, 0x82, 2, 0);
	check(!memcmp(vm.mem + 0x9200, "AaBbCc", 6),
	      "string: REP INSW stored the words in guest memory");
	for (i = 0; i < 4; i++) {
		char what[64];

		snprintf(what, sizeof(what), "string: REP STOSW to MMIO, word %d", i);
		expect_mmio(&v, what, 1, 0xa0000 + 2 * i, 2, 0x0720);
	}
	for (i = 0; i < 3; i++) {
		char what[64];

		snprintf(what, sizeof(what), "string: REP MOVSB RAM to MMIO, byte %d", i);
		expect_mmio(&v, what, 1, 0xa0100 + i, 1, "hel"[i]);
	}
	expect_io(&v, "string: REP MOVSB advanced DI", HWVIRT_IO_OUT, 0x83, 2,
		  0x103);
	expect_exit(&v, "string: HLT", HWVIRT_EXIT_HLT);
	done_vm(&vm, &v);
}

static void test_stats(void)
{
	struct {
		struct hwvirt_stats hdr;
		uint64_t val[HWVIRT_STAT_NR];
	} st = { .hdr = { .nr = HWVIRT_STAT_NR } };
	struct tvm vm;
	struct tvcpu v;
	int i;

	new_vm(&vm, &v);
	load_blob(&vm, guest_pio, guest_pio_end);
	set_real_mode(&v);
	for (i = 0; i < 3; i++)
		run(&v);
	check(!ioctl(vm.fd, HWVIRT_GET_STATS, &st) &&
	      st.hdr.nr == HWVIRT_STAT_NR &&
	      st.val[HWVIRT_STAT_EXIT_IO] == 3 &&
	      st.val[HWVIRT_STAT_EXITS] >= 3 &&
	      st.val[HWVIRT_STAT_USERSPACE_EXITS] == 3 &&
	      st.val[HWVIRT_STAT_PAGES_MAPPED] >= 1,
	      "stats: 3 I/O exits counted (%llu exits, %llu pages mapped)",
	      (unsigned long long)st.val[HWVIRT_STAT_EXITS],
	      (unsigned long long)st.val[HWVIRT_STAT_PAGES_MAPPED]);
	st.hdr.nr = 2;
	check(!ioctl(vm.fd, HWVIRT_GET_STATS, &st) && st.hdr.nr == 2,
	      "stats: a shorter buffer gets fewer counters");
	done_vm(&vm, &v);
}

/* Guest memory the host takes away: the guest loses it, nothing leaks. */
static void test_unmap(void)
{
	struct hwvirt_memslot slot = { .slot = 0 };
	struct tvm vm;
	struct tvcpu v;
	int r;

	new_vm(&vm, &v);
	load_blob(&vm, guest_pio, guest_pio_end);
	set_real_mode(&v);
	expect_io(&v, "unmap: the guest runs from its memory", HWVIRT_IO_OUT,
		  0x10, 1, 0x42);
	/* The slot goes: the same gpa is MMIO now. */
	check(!ioctl(vm.fd, HWVIRT_SET_MEMSLOT, &slot),
	      "unmap: deleting the slot under a running guest");
	r = run(&v);
	check(r == HWVIRT_EXIT_INTERNAL_ERROR || r == HWVIRT_EXIT_MMIO,
	      "unmap: the guest's next fetch no longer reaches the old memory (%s)",
	      exit_name(r));
	done_vm(&vm, &v);

	/* The host unmaps slot memory the guest used. */
	new_vm(&vm, &v);
	load_blob(&vm, guest_pio, guest_pio_end);
	set_real_mode(&v);
	expect_io(&v, "unmap: the guest runs again", HWVIRT_IO_OUT, 0x10, 1, 0x42);
	munmap(vm.mem, vm.mem_size);
	r = run(&v);
	check(r == HWVIRT_EXIT_INTERNAL_ERROR &&
	      v.run->internal.suberror == HWVIRT_INTERNAL_MEMORY,
	      "unmap: memory munmap()ed by the host: an internal error (%s)",
	      exit_name(r));
	vm.mem = NULL;
	done_vm(&vm, &v);
}

static void test_cpuid(void)
{
	struct {
		struct hwvirt_cpuid hdr;
		struct hwvirt_cpuid_entry e[2];
	} table = {
		.hdr = { .nent = 2 },
		.e = {
			{ .function = 0x40001234, .eax = 0xa1, .ebx = 0xb2,
			  .ecx = 0xc3, .edx = 0xd4 },
			{ .function = 7, .index = 1,
			  .flags = HWVIRT_CPUID_INDEXED, .eax = 0x71 },
		},
	};
	struct hwvirt_regs r;
	struct tvm vm;
	struct tvcpu v;

	new_vm(&vm, &v);
	check(!ioctl(v.fd, HWVIRT_SET_CPUID, &table), "cpuid: HWVIRT_SET_CPUID");
	load_blob(&vm, guest_cpuid, guest_cpuid_end);
	set_real_mode(&v);
	ioctl(v.fd, HWVIRT_GET_REGS, &r);
	r.rax = 0x40001234;
	ioctl(v.fd, HWVIRT_SET_REGS, &r);
	expect_io(&v, "cpuid: EAX from the vCPU's table", HWVIRT_IO_OUT, 0x30, 4, 0xa1);
	expect_io(&v, "cpuid: EBX", HWVIRT_IO_OUT, 0x31, 4, 0xb2);
	expect_io(&v, "cpuid: ECX", HWVIRT_IO_OUT, 0x32, 4, 0xc3);
	expect_io(&v, "cpuid: EDX", HWVIRT_IO_OUT, 0x33, 4, 0xd4);
	expect_exit(&v, "cpuid: HLT", HWVIRT_EXIT_HLT);

	/* An indexed leaf, and a leaf the table does not have. */
	set_real_mode(&v);
	ioctl(v.fd, HWVIRT_GET_REGS, &r);
	r.rax = 7;
	r.rcx = 1;
	ioctl(v.fd, HWVIRT_SET_REGS, &r);
	expect_io(&v, "cpuid: indexed leaf 7.1", HWVIRT_IO_OUT, 0x30, 4, 0x71);
	set_real_mode(&v);
	ioctl(v.fd, HWVIRT_GET_REGS, &r);
	r.rax = 7;
	r.rcx = 0;
	ioctl(v.fd, HWVIRT_SET_REGS, &r);
	expect_io(&v, "cpuid: a leaf not in the table reads 0", HWVIRT_IO_OUT,
		  0x30, 4, 0);
	done_vm(&vm, &v);
}

static void test_modes(void)
{
	struct tvm vm;
	struct tvcpu v;

	new_vm(&vm, &v);
	load_blob(&vm, guest_prot, guest_prot_end);
	set_prot_mode(&v);
	expect_io(&v, "prot: 32-bit protected mode marker", HWVIRT_IO_OUT, 0x60,
		  4, 0xc0ffee32);
	expect_mmio(&v, "prot: MMIO write above 512 MiB", 1, 0x30000000, 4,
		    0x12345678);
	expect_exit(&v, "prot: HLT", HWVIRT_EXIT_HLT);
	done_vm(&vm, &v);

	new_vm(&vm, &v);
	load_blob(&vm, guest_long, guest_long_end);
	set_long_mode(&v);
	expect_io(&v, "long: 64-bit marker, low half", HWVIRT_IO_OUT, 0x70, 4,
		  0x55667788);
	expect_io(&v, "long: high half", HWVIRT_IO_OUT, 0x71, 4, 0x11223344);
	expect_mmio(&v, "long: 8-byte MMIO write above 4 GiB", 1, 0x100000000ULL,
		    8, 0xfeedfacecafebeefULL);
	if (expect_mmio(&v, "long: 8-byte MMIO read", 0, 0x100000000ULL, 8, 0))
		memcpy(v.run->mmio.data, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	expect_io(&v, "long: the read reached RCX", HWVIRT_IO_OUT, 0x72, 4,
		  0x04030201);
	expect_exit(&v, "long: HLT", HWVIRT_EXIT_HLT);
	done_vm(&vm, &v);
}

/* What the CPU this runs on says, for the expectations below. */
static int cpu_has_la57(void)
{
	unsigned int eax, ebx, ecx, edx;

	__cpuid(0, eax, ebx, ecx, edx);
	if (eax < 7)
		return 0;
	__cpuid_count(7, 0, eax, ebx, ecx, edx);
	return !!(ecx & (1U << 16));
}

/* The host's paging levels and physical address bits, from /proc/cpuinfo. */
static void host_paging(int *levels, int *phys_bits)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];

	*levels = 4;
	*phys_bits = 0;
	while (f && fgets(line, sizeof(line), f)) {
		/* Linux keeps the la57 flag only while it runs 5-level paging. */
		if (!strncmp(line, "flags", 5) && strstr(line, " la57"))
			*levels = 5;
		if (!*phys_bits && !strncmp(line, "address sizes", 13))
			sscanf(strchr(line, ':') + 1, "%d", phys_bits);
	}
	if (f)
		fclose(f);
}

/*
 * The guest-physical reach: HWVIRT_GET_INFO's gpa_bits follows the
 * host's paging (the depth of the nested table) and physical address
 * width; a slot may end exactly there and the guest reaches its last
 * page through the whole nested table; a slot beyond it is refused.
 */
static void test_gpa(void)
{
	struct hwvirt_info info;
	struct hwvirt_memslot slot;
	struct tvm vm;
	struct tvcpu v;
	uint64_t top, *pd;
	uint8_t *page;
	int levels, phys, want;

	host_paging(&levels, &phys);
	want = levels == 5 ? 52 : 48;
	if (phys && phys < want)
		want = phys;
	new_vm(&vm, &v);
	check(!ioctl(vm.sys, HWVIRT_GET_INFO, &info) &&
	      (int)info.gpa_bits == want,
	      "gpa: reach %u bits (host: %d-level paging, %d physical bits)",
	      info.gpa_bits, levels, phys);
	top = 1ULL << info.gpa_bits;

	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		fail_setup("mmap");
	memcpy(page + 4096, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	slot = (struct hwvirt_memslot) { .slot = 1,
		.guest_phys_addr = top - 4096, .memory_size = 8192,
		.userspace_addr = (uintptr_t)page };
	check(ioctl(vm.fd, HWVIRT_SET_MEMSLOT, &slot) == -1 && errno == EINVAL,
	      "gpa: a slot across 2^%u is refused", info.gpa_bits);
	slot.memory_size = 4096;
	slot.userspace_addr = (uintptr_t)page + 4096;
	check(!ioctl(vm.fd, HWVIRT_SET_MEMSLOT, &slot),
	      "gpa: a slot ending at 2^%u is taken", info.gpa_bits);

	/* Guest linear 8 GiB - 2 MiB: a 2 MiB page, the last below the top. */
	load_blob(&vm, guest_peek64, guest_peek64_end);
	set_long_mode(&v);
	pd = (uint64_t *)(vm.mem + GUEST_PT_PD);
	pd[8 * 512 - 1] = (top - (2ULL << 20)) | 0x83;
	SET_REG(&v, rbx, (8ULL << 30) - 4096);
	SET_REG(&v, rcx, 0x0123456789abcdefULL);
	expect_io(&v, "gpa: the guest reads the page below the top (low)",
		  HWVIRT_IO_OUT, 0x74, 4, 0x44332211);
	expect_io(&v, "gpa: (high)", HWVIRT_IO_OUT, 0x75, 4, 0x88776655);
	expect_exit(&v, "gpa: HLT", HWVIRT_EXIT_HLT);
	check(!memcmp(page + 4096 + 8, "\xef\xcd\xab\x89\x67\x45\x23\x01", 8),
	      "gpa: the guest's write there reached the slot's memory");
	done_vm(&vm, &v);
	munmap(page, 8192);
}

/*
 * 5-level paging in the guest (CR4.LA57), which NPT allows whatever the
 * host's paging mode: the module advertises LA57 exactly when the CPU
 * has it; a guest with it in its CPUID runs, and the module's own
 * walker follows its tables to emulate MMIO and string I/O; a guest
 * without it in its CPUID gets #GP for setting CR4.LA57.
 */
static void test_la57(void)
{
	int hw = cpu_has_la57(), advertised;
	struct hwvirt_sregs sr;
	struct tvm vm;
	struct tvcpu v;
	int r;

	new_vm(&vm, &v);
	advertised = !!(supported_cpuid(&vm, 7, 0, REG_ECX) & (1U << 16));
	check(advertised == hw,
	      "la57: supported CPUID has LA57 as the CPU does (%s)",
	      hw ? "it has" : "it has not");

	/* Real mode, no LA57 in the guest's CPUID: #GP. */
	load_blob(&vm, guest_cr4_la57, guest_cr4_la57_end);
	set_real_mode(&v);
	expect_io(&v, "la57: MOV to CR4.LA57 without LA57 in CPUID: #GP",
		  HWVIRT_IO_OUT, 0x7a, 1, 0x0d);
	done_vm(&vm, &v);

	/* SET_SREGS refuses CR4 bits the module never gives a guest. */
	new_vm(&vm, &v);
	ioctl(v.fd, HWVIRT_GET_SREGS, &sr);
	sr.cr4 = 1ULL << 13;		/* VMXE */
	check(ioctl(v.fd, HWVIRT_SET_SREGS, &sr) == -1 && errno == EINVAL,
	      "la57: SET_SREGS with CR4.VMXE: EINVAL");
	sr.cr4 = 1ULL << 22;		/* PKE: no PKU for guests */
	check(ioctl(v.fd, HWVIRT_SET_SREGS, &sr) == -1 && errno == EINVAL,
	      "la57: SET_SREGS with CR4.PKE: EINVAL");
	sr.cr4 = 1ULL << 12;
	r = ioctl(v.fd, HWVIRT_SET_SREGS, &sr);
	check(hw ? r == 0 : (r == -1 && errno == EINVAL),
	      "la57: SET_SREGS with CR4.LA57: %s",
	      hw ? "taken (the CPU has it)" : "EINVAL (the CPU has not)");
	done_vm(&vm, &v);
	if (!hw) {
		ok("la57: 5-level guests # SKIP the CPU has no LA57");
		return;
	}

	/* With LA57 in its CPUID, the guest sets it. */
	new_vm(&vm, &v);
	set_supported_cpuid(&v);
	load_blob(&vm, guest_cr4_la57, guest_cr4_la57_end);
	set_real_mode(&v);
	expect_io(&v, "la57: MOV to CR4.LA57 with LA57 in CPUID works",
		  HWVIRT_IO_OUT, 0x7a, 1, 0x57);
	expect_io(&v, "la57: CR4 reads back with LA57", HWVIRT_IO_OUT, 0x7b,
		  4, 0x1000);
	done_vm(&vm, &v);

	new_vm(&vm, &v);
	set_supported_cpuid(&v);
	load_blob(&vm, guest_la57, guest_la57_end);
	set_long_mode_la57(&v);
	expect_io(&v, "la57: a long-mode guest with 5-level paging runs",
		  HWVIRT_IO_OUT, 0x78, 4, 0x1020);
	expect_mmio(&v, "la57: MMIO at a linear address only 5 levels reach",
		    1, 0x100000000ULL, 4, 0x57575757);
	r = run(&v);
	check(r == HWVIRT_EXIT_IO && v.run->io.port == 0x79 &&
	      v.run->io.count == 4 && v.run->io.size == 1 &&
	      !memcmp((uint8_t *)v.run + v.run->io.data_offset, "LA57", 4),
	      "la57: REP OUTSB from there: the module walks 5 levels (%s)",
	      exit_name(r));
	expect_exit(&v, "la57: HLT", HWVIRT_EXIT_HLT);
	done_vm(&vm, &v);
}

/* A thread that keeps XMM0 busy with its own values. */
static volatile int hog_stop;

static void *fpu_hog(void *arg)
{
	cpu_set_t *cpus = arg;

	pthread_setaffinity_np(pthread_self(), sizeof(*cpus), cpus);
	while (!hog_stop) {
		__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n\t"
						 "pcmpeqb %%xmm1, %%xmm1" ::: "xmm0", "xmm1");
		sched_yield();
	}
	return NULL;
}

static void test_fpu(void)
{
	static const uint8_t pattern[16] = {
		0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
	};
	struct hwvirt_regs r;
	cpu_set_t cpus;
	pthread_t hog;
	struct tvm vm;
	struct tvcpu v;

	/* The vCPU and a task that uses XMM0, on one CPU: preemptions. */
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	sched_setaffinity(0, sizeof(cpus), &cpus);
	hog_stop = 0;
	pthread_create(&hog, NULL, fpu_hog, &cpus);

	new_vm(&vm, &v);
	load_blob(&vm, guest_fpu, guest_fpu_end);
	memcpy(vm.mem + 0x9300, pattern, 16);
	set_long_mode(&v);
	ioctl(v.fd, HWVIRT_GET_REGS, &r);
	r.rcx = 200000;
	ioctl(v.fd, HWVIRT_SET_REGS, &r);
	expect_io(&v, "fpu: 200000 in-kernel exits beside an XMM0 user",
			  HWVIRT_IO_OUT, 0x91, 1, 0);
	check(!memcmp(vm.mem + 0x9400, pattern, 16),
		  "fpu: the guest's XMM0 survived preemptions in the run loop");
	done_vm(&vm, &v);

	hog_stop = 1;
	pthread_join(hog, NULL);
	CPU_ZERO(&cpus);
	for (int i = 0; i < CPU_SETSIZE; i++) {
		CPU_SET(i, &cpus);
	}
	sched_setaffinity(0, sizeof(cpus), &cpus);
}

static void test_triple_fault(void)
{
	struct tvm vm;
	struct tvcpu v;

	new_vm(&vm, &v);
	load_blob(&vm, guest_triple, guest_triple_end);
	set_prot_mode(&v);
	expect_exit(&v, "shutdown: a triple fault exits SHUTDOWN",
		    HWVIRT_EXIT_SHUTDOWN);
	done_vm(&vm, &v);
}

/*
 * A guest state the CPU refuses at entry (a 64-bit code segment with D
 * set: the VMRUN/VM-entry consistency checks of either vendor): the run
 * ends in HWVIRT_EXIT_FAIL_ENTRY with the hardware's reason, nothing
 * breaks, and the state fixed runs.
 */
static void test_bad_state(void)
{
	struct hwvirt_sregs sr;
	struct hwvirt_info info;
	struct tvm vm;
	struct tvcpu v;
	uint64_t want;
	int r;

	new_vm(&vm, &v);
	ioctl(vm.sys, HWVIRT_GET_INFO, &info);
	/* VMX: basic reason 33 with bit 31 (entry failure); SVM: VMEXIT_INVALID. */
	want = info.backend == HWVIRT_BACKEND_VMX ? 0x80000021ULL : (uint64_t)-1;
	load_blob(&vm, guest_long, guest_long_end);
	set_long_mode(&v);
	ioctl(v.fd, HWVIRT_GET_SREGS, &sr);
	sr.cs.db = 1;
	if (ioctl(v.fd, HWVIRT_SET_SREGS, &sr))
		fail_setup("HWVIRT_SET_SREGS");
	r = run(&v);
	check(r == HWVIRT_EXIT_FAIL_ENTRY &&
	      v.run->fail_entry.hardware_reason == want,
	      "bad-state: CS.L and CS.D both set: FAIL_ENTRY, reason %#llx",
	      (unsigned long long)v.run->fail_entry.hardware_reason);
	r = run(&v);
	check(r == HWVIRT_EXIT_FAIL_ENTRY,
	      "bad-state: and again on the next run (%s)", exit_name(r));
	sr.cs.db = 0;
	ioctl(v.fd, HWVIRT_SET_SREGS, &sr);
	expect_io(&v, "bad-state: fixed, the guest runs", HWVIRT_IO_OUT, 0x70,
		  4, 0x55667788);
	done_vm(&vm, &v);
}

/*
 * Real mode: runs, except on VMX without unrestricted guest (a shadow-MMU
 * VM there), which must refuse it clearly: an internal error that says
 * so, not an entry failure or a wrong result.
 */
static void test_real_mode(void)
{
	struct hwvirt_vm_info vi;
	struct hwvirt_info info;
	struct tvm vm;
	struct tvcpu v;
	int r;

	new_vm(&vm, &v);
	ioctl(vm.sys, HWVIRT_GET_INFO, &info);
	if (ioctl(vm.fd, HWVIRT_GET_VM_INFO, &vi))
		fail_setup("HWVIRT_GET_VM_INFO");
	load_blob(&vm, guest_pio, guest_pio_end);
	set_real_mode(&v);
	if (info.backend == HWVIRT_BACKEND_VMX &&
	    vi.mmu_mode == HWVIRT_MMU_SHADOW) {
		r = run(&v);
		check(r == HWVIRT_EXIT_INTERNAL_ERROR &&
		      v.run->internal.suberror == HWVIRT_INTERNAL_UNSUPPORTED,
		      "real-mode: refused on VMX without unrestricted guest (%s, suberror %u)",
		      exit_name(r), r == HWVIRT_EXIT_INTERNAL_ERROR ?
		      v.run->internal.suberror : 0);
	} else {
		expect_io(&v, "real-mode: runs", HWVIRT_IO_OUT, 0x10, 1, 0x42);
	}
	done_vm(&vm, &v);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_signal(void)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct tvm vm;
	struct tvcpu v;
	int r;

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	new_vm(&vm, &v);
	load_blob(&vm, guest_spin, guest_spin_end);
	set_real_mode(&v);
	setitimer(ITIMER_REAL, &it, NULL);
	r = run(&v);
	check(r == -EINTR && v.run->exit_reason == HWVIRT_EXIT_INTR,
	      "signal: a signal ends HWVIRT_RUN with EINTR (%s)", exit_name(r));
	vm.mem[0x9000] = 1;
	expect_io(&v, "signal: the vCPU resumes where it was", HWVIRT_IO_OUT,
		  0x40, 1, 0x55);

	/* immediate_exit: no entry at all. */
	v.run->immediate_exit = 1;
	r = run(&v);
	check(r == -EINTR && v.run->exit_reason == HWVIRT_EXIT_INTR,
	      "signal: immediate_exit returns EINTR without running");
	v.run->immediate_exit = 0;
	expect_exit(&v, "signal: then the guest runs on", HWVIRT_EXIT_HLT);
	done_vm(&vm, &v);
}

/* ioctl(fd, req, arg) fails with errno e. */
static void check_errno(int fd, unsigned long req, void *arg, int e,
			const char *what)
{
	int r = ioctl(fd, req, arg);

	if (r == -1 && errno == e)
		ok("errors: %s: %s", what, strerror(e));
	else
		not_ok("errors: %s: got %d (%s), expected %s", what, r,
		       r < 0 ? strerror(errno) : "success", strerror(e));
}

static void test_errors(void)
{
	struct hwvirt_memslot slot;
	struct hwvirt_vm_config cfg = { 0 };
	struct {
		struct hwvirt_msrs hdr;
		struct hwvirt_msr_entry e[1];
	} msrs = { .hdr = { .nmsrs = 100000 } };
	struct hwvirt_cpuid cpuid = { .nent = 100000 };
	struct tvm vm;
	struct tvcpu v;
	void *hole;
	int fd, pid, status;

	new_vm(&vm, &v);
	check_errno(vm.sys, _IO(HWVIRT_IO, 0x7f), NULL, ENOTTY,
		    "an unknown ioctl on /dev/hwvirt");
	check_errno(vm.fd, _IO(HWVIRT_IO, 0x7f), NULL, ENOTTY,
		    "an unknown ioctl on a VM");
	check_errno(v.fd, _IO(HWVIRT_IO, 0x7f), NULL, ENOTTY,
		    "an unknown ioctl on a vCPU");
	check_errno(vm.fd, HWVIRT_RUN, NULL, ENOTTY, "a vCPU ioctl on a VM fd");
	check_errno(vm.sys, HWVIRT_CREATE_VCPU, NULL, ENOTTY,
		    "a VM ioctl on the system fd");

	cfg.flags = 0x80000000;
	check_errno(vm.sys, HWVIRT_CREATE_VM, &cfg, EINVAL, "CREATE_VM with flags");
	cfg.flags = 0;
	cfg.mmu_mode = 99;
	check_errno(vm.sys, HWVIRT_CREATE_VM, &cfg, EINVAL,
		    "CREATE_VM with an unknown MMU mode");
	check_errno(vm.sys, HWVIRT_CREATE_VM, (void *)16, EFAULT,
		    "CREATE_VM with a bad pointer");
	check_errno(vm.fd, HWVIRT_CREATE_VCPU, (void *)100000, EINVAL,
		    "CREATE_VCPU with a too large id");
	check_errno(vm.fd, HWVIRT_CREATE_VCPU, (void *)0, EEXIST,
		    "CREATE_VCPU twice with one id");
	check_errno(v.fd, HWVIRT_SET_MSRS, &msrs, E2BIG, "SET_MSRS with too many");
	check_errno(v.fd, HWVIRT_SET_CPUID, &cpuid, E2BIG,
		    "SET_CPUID with too many");
	check_errno(v.fd, HWVIRT_GET_REGS, (void *)16, EFAULT,
		    "GET_REGS to a bad pointer");

	/* Memory slots. */
	slot = (struct hwvirt_memslot) { .slot = 1, .guest_phys_addr = 0x40000,
		.memory_size = 4096, .userspace_addr = (uintptr_t)vm.mem };
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EEXIST,
		    "a slot overlapping another");
	slot.guest_phys_addr = 0x10000000 + 12;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "an unaligned slot address");
	slot.guest_phys_addr = 0x10000000;
	slot.memory_size = 100;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "an unaligned slot size");
	slot.memory_size = 4096;
	slot.userspace_addr = (uintptr_t)vm.mem + 1;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "an unaligned userspace address");
	hole = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 8192);
	slot.userspace_addr = (uintptr_t)hole;
	slot.memory_size = 8192;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EFAULT,
		    "a slot over unmapped userspace memory");
	slot.userspace_addr = 0xffff800000000000ULL;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "a slot over kernel addresses");
	slot.slot = 5000;
	slot.userspace_addr = (uintptr_t)vm.mem;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "a slot number out of range");
	slot = (struct hwvirt_memslot) { .slot = 7 };
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, ENOENT,
		    "deleting a slot that does not exist");
	slot = (struct hwvirt_memslot) { .slot = 0, .memory_size = 8192,
		.userspace_addr = (uintptr_t)vm.mem };
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "resizing a slot");
	slot.flags = 0x80;
	check_errno(vm.fd, HWVIRT_SET_MEMSLOT, &slot, EINVAL,
		    "unknown slot flags");

	check(mmap(NULL, 4096, PROT_READ, MAP_SHARED, v.fd, 4096) == MAP_FAILED,
	      "errors: mmap of the vCPU beyond the run page fails");

	/* A VM fd is for its creator's address space only. */
	pid = fork();
	if (pid == 0) {
		struct hwvirt_regs r;

		_exit(ioctl(v.fd, HWVIRT_GET_REGS, &r) == -1 && errno == EIO ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "errors: a vCPU fd used from another process: EIO");

	/* The VM fd closed: the vCPU keeps the VM alive; the fd is gone. */
	fd = vm.fd;
	close(fd);
	vm.fd = -1;
	check(ioctl(fd, HWVIRT_CREATE_VCPU, 1) == -1 && errno == EBADF,
	      "errors: the closed VM fd: EBADF");
	load_blob(&vm, guest_pio, guest_pio_end);
	set_real_mode(&v);
	expect_io(&v, "errors: a vCPU still runs after its VM fd is closed",
		  HWVIRT_IO_OUT, 0x10, 1, 0x42);
	done_vm(&vm, &v);
}

/* Two VMs at once, in two threads: each sees only its own memory. */
struct twin {
	struct tvm vm;
	struct tvcpu v;
	uint8_t tag;
	int good;
};

static void *twin_thread(void *arg)
{
	struct twin *t = arg;
	int i;

	t->good = 1;
	for (i = 0; i < 200; i++) {
		set_real_mode(&t->v);
		/* The guest reads the byte at 0x7000 of its own memory. */
		if (run(&t->v) != HWVIRT_EXIT_IO || io_data(&t->v) != t->tag) {
			t->good = 0;
			break;
		}
	}
	return NULL;
}

static void test_two_vms(void)
{
	struct twin a = { .tag = 0xaa }, b = { .tag = 0xbb };
	pthread_t ta, tb;

	new_vm(&a.vm, &a.v);
	new_vm(&b.vm, &b.v);
	load_blob(&a.vm, guest_peek, guest_peek_end);
	load_blob(&b.vm, guest_peek, guest_peek_end);
	a.vm.mem[0x7000] = a.tag;
	b.vm.mem[0x7000] = b.tag;
	pthread_create(&ta, NULL, twin_thread, &a);
	pthread_create(&tb, NULL, twin_thread, &b);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	check(a.good && b.good,
	      "two VMs: 200 runs each, concurrently, each sees its own memory");
	done_vm(&a.vm, &a.v);
	done_vm(&b.vm, &b.v);
}

/* A guest that never exits: for the kill -9 test of the lab. */
static __attribute__((noreturn)) int spin_forever(void)
{
	struct tvm vm;
	struct tvcpu v;

	new_vm(&vm, &v);
	load_blob(&vm, guest_spin, guest_spin_end);
	set_real_mode(&v);
	printf("spinning\n");
	fflush(stdout);
	for (;;)
		run(&v);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
	{ "api", test_api },
	{ "pio", test_pio },
	{ "mmio", test_mmio },
	{ "string", test_string },
	{ "stats", test_stats },
	{ "unmap", test_unmap },
	{ "cpuid", test_cpuid },
	{ "modes", test_modes },
	{ "gpa", test_gpa },
	{ "la57", test_la57 },
	{ "fpu", test_fpu },
	{ "shutdown", test_triple_fault },
	{ "bad-state", test_bad_state },
	{ "real-mode", test_real_mode },
	{ "signal", test_signal },
	{ "errors", test_errors },
	{ "two-vms", test_two_vms },
	{ "apic", test_apic },
	{ "paging", test_paging },
	{ "shadow-reclaim", test_shadow_reclaim },
	{ "dirty-log", test_dirty_log },
	{ "ioeventfd", test_ioeventfd },
	{ "pvclock", test_pvclock },
};

int main(int argc, char **argv)
{
	unsigned int i;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "spin"))
		return spin_forever();
	run_watchdog = 60;
	if (argc > 1 && !strncmp(argv[1], "--mmu=", 6)) {
		if (!strcmp(argv[1] + 6, "shadow"))
			test_mmu_mode = HWVIRT_MMU_SHADOW;
		else if (!strcmp(argv[1] + 6, "tdp"))
			test_mmu_mode = HWVIRT_MMU_TDP;
		else if (strcmp(argv[1] + 6, "default"))
			fail_setup("--mmu= takes default, tdp or shadow");
		diag("VMs with the %s MMU", argv[1] + 6);
		argv++;
		argc--;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		int want = argc == 1;

		for (a = 1; a < argc; a++)
			if (!strcmp(argv[a], tests[i].name))
				want = 1;
		if (want)
			tests[i].fn();
	}
	return test_failed;
}
