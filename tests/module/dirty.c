/*
 * Module selftest: dirty logging (HWVIRT_MEM_LOG_DIRTY,
 * HWVIRT_GET_DIRTY_LOG), with either MMU.  A long-mode guest writes,
 * reads, and has the module write (REP INSB), pages the test names; the
 * log must show each written page exactly once per fetch and never a
 * page nobody wrote.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib.h"

#define DIRTY_MEM	(4 << 20)	/* 1024 pages */
#define DIRTY_PAGES	(DIRTY_MEM >> 12)
#define WATCH_FIRST	0x100		/* pages the guest's own work leaves alone */
#define WATCH_END	DIRTY_PAGES

static uint64_t bitmap[DIRTY_PAGES / 64];

static int set_log(struct tvm *vm, int on)
{
	struct hwvirt_memslot slot = {
		.slot = 0, .flags = on ? HWVIRT_MEM_LOG_DIRTY : 0,
		.memory_size = vm->mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};

	return ioctl(vm->fd, HWVIRT_SET_MEMSLOT, &slot);
}

static int fetch(struct tvm *vm)
{
	struct hwvirt_dirty_log log = { .slot = 0, .bitmap = (uintptr_t)bitmap };

	memset(bitmap, 0xaa, sizeof(bitmap));
	return ioctl(vm->fd, HWVIRT_GET_DIRTY_LOG, &log);
}

/*
 * The watched pages the last fetch found dirty, as "p1 p2 ..." in buf;
 * returns how many.
 */
static int dirty_pages(char *buf, size_t len)
{
	int n = 0, p;

	buf[0] = 0;
	for (p = WATCH_FIRST; p < WATCH_END; p++) {
		if (!(bitmap[p / 64] & (1ULL << (p % 64))))
			continue;
		if (strlen(buf) + 8 < len)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s0x%x",
				 n ? " " : "", p);
		n++;
	}
	return n;
}

/* Have the guest do one thing to addr (see guest_dirty in guest.S). */
static int guest_op(struct tvcpu *v, uint32_t addr)
{
	int r = run(v);

	if (r != HWVIRT_EXIT_IO || v->run->io.port != 0x30) {
		diag("dirty: expected IN 0x30, got %s", exit_name(r));
		return -1;
	}
	set_io_data(v, addr);
	r = run(v);
	if (addr & 2) {
		if (r != HWVIRT_EXIT_IO || v->run->io.port != 0x32) {
			diag("dirty: expected INSB from 0x32, got %s", exit_name(r));
			return -1;
		}
		set_io_data(v, 0x5a);
		r = run(v);
	}
	if (r != HWVIRT_EXIT_IO || v->run->io.port != 0x31) {
		diag("dirty: expected OUT 0x31, got %s", exit_name(r));
		return -1;
	}
	return 0;
}

/* Fetch, and check that exactly the pages in want (a string) are dirty. */
static void expect_dirty(struct tvm *vm, const char *want, const char *what)
{
	char got[256];
	int r = fetch(vm);

	if (r) {
		not_ok("dirty: %s: GET_DIRTY_LOG failed: %s", what, strerror(errno));
		return;
	}
	dirty_pages(got, sizeof(got));
	check(!strcmp(got, want), "dirty: %s: dirty {%s}, expected {%s}", what,
	      got, want);
}

void test_dirty_log(void)
{
	struct hwvirt_dirty_log log = { 0 };
	struct hwvirt_stats *st;
	struct tvm vm;
	struct tvcpu v;
	int r, ops = 0;

	r = tvm_create(&vm, DIRTY_MEM);
	if (!r)
		r = tvcpu_create(&vm, &v, 0);
	if (r) {
		errno = -r;
		fail_setup("create a VM");
	}
	load_blob(&vm, guest_dirty, guest_dirty_end);
	set_long_mode(&v);

	log.bitmap = (uintptr_t)bitmap;
	check(ioctl(vm.fd, HWVIRT_GET_DIRTY_LOG, &log) == -1 && errno == EINVAL,
	      "dirty: GET_DIRTY_LOG of a slot that does not log: EINVAL");
	log.slot = 5;
	check(ioctl(vm.fd, HWVIRT_GET_DIRTY_LOG, &log) == -1 && errno == ENOENT,
	      "dirty: GET_DIRTY_LOG of no slot: ENOENT");

	/* Written before logging: mapped writable, then protected by the start. */
	ops += !guest_op(&v, 0x101000);
	ops += !guest_op(&v, 0x102000);
	check(set_log(&vm, 1) == 0, "dirty: logging starts on a mapped slot");
	log = (struct hwvirt_dirty_log) { .slot = 0, .flags = 1,
					  .bitmap = (uintptr_t)bitmap };
	check(ioctl(vm.fd, HWVIRT_GET_DIRTY_LOG, &log) == -1 && errno == EINVAL,
	      "dirty: unknown flags: EINVAL");
	log = (struct hwvirt_dirty_log) { .slot = 0, .bitmap = 16 };
	check(ioctl(vm.fd, HWVIRT_GET_DIRTY_LOG, &log) == -1 && errno == EFAULT,
	      "dirty: a bad bitmap address: EFAULT");
	expect_dirty(&vm, "", "nothing written since logging started");

	ops += !guest_op(&v, 0x101000);	/* mapped before: write-protected */
	ops += !guest_op(&v, 0x103000);	/* a new page */
	ops += !guest_op(&v, 0x103000);	/* twice */
	ops += !guest_op(&v, 0x104001);	/* read only */
	ops += !guest_op(&v, 0x105002);	/* the module writes it */
	ops += !guest_op(&v, 0x3ff000);	/* the last page */
	expect_dirty(&vm, "0x101 0x103 0x105 0x3ff",
		     "written, written twice, by the module; not read");
	expect_dirty(&vm, "", "a second fetch: nothing new");
	ops += !guest_op(&v, 0x104001);
	expect_dirty(&vm, "", "reads do not dirty");

	/* Re-armed: the same pages are caught again. */
	ops += !guest_op(&v, 0x101000);
	ops += !guest_op(&v, 0x3ff000);
	ops += !guest_op(&v, 0x102000);
	expect_dirty(&vm, "0x101 0x102 0x3ff", "written again after a fetch");
	check(ops == 12, "dirty: the guest did all 12 operations (%d)", ops);

	st = calloc(1, sizeof(*st) + HWVIRT_STAT_NR * sizeof(uint64_t));
	st->nr = HWVIRT_STAT_NR;
	/*
	 * At least the writes to pages present but protected: 0x101 twice,
	 * 0x102 and 0x3ff once (0x103 and the first 0x3ff map new pages).
	 * The CPU's own writes (stack, A/D bits) may add some.
	 */
	check(!ioctl(vm.fd, HWVIRT_GET_STATS, st) &&
	      st->val[HWVIRT_STAT_DIRTY_FAULTS] >= 4,
	      "dirty: write faults counted (%llu)",
	      (unsigned long long)st->val[HWVIRT_STAT_DIRTY_FAULTS]);
	free(st);

	/* Stop: writes go on; the log is gone. */
	check(set_log(&vm, 0) == 0, "dirty: logging stops");
	check(!guest_op(&v, 0x106000) && vm.mem[0x106000] == 1,
	      "dirty: the guest writes on after logging stopped");
	log = (struct hwvirt_dirty_log) { .slot = 0, .bitmap = (uintptr_t)bitmap };
	check(ioctl(vm.fd, HWVIRT_GET_DIRTY_LOG, &log) == -1 && errno == EINVAL,
	      "dirty: no log after it stopped: EINVAL");
	check(vm.mem[0x101000] == 3 && vm.mem[0x103000] == 2 &&
	      vm.mem[0x105000] == 0x5a && vm.mem[0x104000] == 0,
	      "dirty: guest memory holds what the guest wrote");

	/* A slot created logging, and deleted while it logs. */
	check(set_log(&vm, 1) == 0 && !guest_op(&v, 0x107000),
	      "dirty: logging again, written");
	expect_dirty(&vm, "0x107", "the new log has the new write only");
	tvcpu_close(&v);
	tvm_destroy(&vm);
	ok("dirty: a VM freed while it logs");
}
