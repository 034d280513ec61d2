/*
 * Module selftest: ioeventfds (HWVIRT_IOEVENTFD).  A guest's notification
 * writes to registered ports and addresses signal eventfds and do not
 * come back to userspace; others do.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib.h"

static int ioeventfd(struct tvm *vm, uint64_t addr, uint32_t len, int fd,
		     uint32_t flags, uint64_t datamatch)
{
	struct hwvirt_ioeventfd a = {
		.addr = addr, .len = len, .fd = fd, .flags = flags,
		.datamatch = datamatch,
	};

	return ioctl(vm->fd, HWVIRT_IOEVENTFD, &a);
}

/* The eventfd's count, cleared; 0 if it was not signalled. */
static uint64_t count(int fd)
{
	uint64_t n = 0;

	if (read(fd, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

static uint64_t ioevents(struct tvm *vm)
{
	struct {
		struct hwvirt_stats hdr;
		uint64_t val[HWVIRT_STAT_NR];
	} st = { .hdr = { .nr = HWVIRT_STAT_NR } };

	if (ioctl(vm->fd, HWVIRT_GET_STATS, &st))
		return ~0ULL;
	return st.val[HWVIRT_STAT_IOEVENTS];
}

void test_ioeventfd(void)
{
	const uint32_t PIO = HWVIRT_IOEVENTFD_PIO;
	const uint32_t MATCH = HWVIRT_IOEVENTFD_DATAMATCH;
	const uint32_t DEASSIGN = HWVIRT_IOEVENTFD_DEASSIGN;
	struct hwvirt_ioeventfd bad;
	struct tvm vm;
	struct tvcpu v;
	int e1, e2, e3, i, r;

	e1 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	e3 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (e1 < 0 || e2 < 0 || e3 < 0)
		fail_setup("eventfd");
	if (tvm_create(&vm, 512 << 10) || tvcpu_create(&vm, &v, 0))
		fail_setup("create a VM");
	load_blob(&vm, guest_notify, guest_notify_end);

	check(ioeventfd(&vm, 0x40, 3, e1, PIO, 0) == -1 && errno == EINVAL,
	      "ioeventfd: length 3: EINVAL");
	check(ioeventfd(&vm, 0x40, 8, e1, PIO, 0) == -1 && errno == EINVAL,
	      "ioeventfd: an 8-byte port: EINVAL");
	check(ioeventfd(&vm, 0x40, 0, e1, PIO, 0) == -1 && errno == EINVAL,
	      "ioeventfd: any length on a port: EINVAL");
	check(ioeventfd(&vm, 0x10000, 1, e1, PIO, 0) == -1 && errno == EINVAL,
	      "ioeventfd: port 0x10000: EINVAL");
	check(ioeventfd(&vm, 0x40, 2, -1, PIO, 0) == -1 && errno == EBADF,
	      "ioeventfd: a bad fd: EBADF");
	check(ioeventfd(&vm, 0x40, 2, vm.sys, PIO, 0) == -1 && errno == EINVAL,
	      "ioeventfd: an fd that is no eventfd: EINVAL");
	check(ioeventfd(&vm, 0x40, 2, e1, 0x80, 0) == -1 && errno == EINVAL,
	      "ioeventfd: unknown flags: EINVAL");
	bad = (struct hwvirt_ioeventfd) { .addr = 0x40, .len = 2, .fd = e1,
					  .flags = PIO, .pad = 1 };
	check(ioctl(vm.fd, HWVIRT_IOEVENTFD, &bad) == -1 && errno == EINVAL,
	      "ioeventfd: nonzero padding: EINVAL");
	check(ioeventfd(&vm, 0x40, 2, e1, PIO | DEASSIGN, 0) == -1 &&
	      errno == ENOENT, "ioeventfd: deassigning what is not there: ENOENT");

	check(ioeventfd(&vm, 0x40, 2, e1, PIO | MATCH, 0x1234) == 0,
	      "ioeventfd: port 0x40, word 0x1234");
	check(ioeventfd(&vm, 0x40, 2, e3, PIO | MATCH, 0x1234) == -1 &&
	      errno == EEXIST, "ioeventfd: the same match twice: EEXIST");
	check(ioeventfd(&vm, 0xa0000, 2, e2, 0, 0) == 0,
	      "ioeventfd: MMIO 0xa0000, any word");
	check(ioeventfd(&vm, 0xb0000, 0, e3, 0, 0) == 0,
	      "ioeventfd: MMIO 0xb0000, any length");

	set_real_mode(&v);
	expect_io(&v, "ioeventfd: a word that does not match exits",
		  HWVIRT_IO_OUT, 0x40, 2, 0x5678);
	expect_io(&v, "ioeventfd: the MMIO writes did not exit", HWVIRT_IO_OUT,
		  0x41, 1, 0x78);
	check(count(e1) == 1, "ioeventfd: the matching OUT signalled its eventfd");
	check(count(e2) == 1, "ioeventfd: the MMIO word write signalled");
	check(count(e3) == 1, "ioeventfd: the any-length dword write signalled");
	check(ioevents(&vm) == 3, "ioeventfd: 3 writes ended in the module (%llu)",
	      (unsigned long long)ioevents(&vm));

	/* Deassigned: the writes exit again. */
	check(ioeventfd(&vm, 0x40, 2, e1, PIO | MATCH | DEASSIGN, 0x1234) == 0 &&
	      ioeventfd(&vm, 0xa0000, 2, e2, DEASSIGN, 0) == 0 &&
	      ioeventfd(&vm, 0xb0000, 0, e3, DEASSIGN, 0) == 0,
	      "ioeventfd: all three deassigned");
	set_real_mode(&v);
	expect_io(&v, "ioeventfd: gone: the OUT exits", HWVIRT_IO_OUT, 0x40, 2,
		  0x1234);
	expect_io(&v, "ioeventfd: gone: the other OUT", HWVIRT_IO_OUT, 0x40, 2,
		  0x5678);
	expect_mmio(&v, "ioeventfd: gone: the MMIO write exits", 1, 0xa0000, 2, 7);
	expect_mmio(&v, "ioeventfd: gone: the dword write exits", 1, 0xb0000, 4,
		  0x11223344);
	check(count(e1) == 0 && count(e2) == 0 && count(e3) == 0,
	      "ioeventfd: nothing signalled once deassigned");

	/* The limit, then the VM's end frees them all. */
	for (i = 0; i < 2000; i++) {
		r = ioeventfd(&vm, 0x100000 + 8 * i, 4, e1, 0, 0);
		if (r)
			break;
	}
	check(r == -1 && errno == ENOSPC && i >= 64,
	      "ioeventfd: a VM has a limit (%d, then ENOSPC)", i);
	tvcpu_close(&v);
	tvm_destroy(&vm);
	ok("ioeventfd: a VM freed with its ioeventfds");
	close(e1);
	close(e2);
	close(e3);
}
