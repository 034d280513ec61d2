/*
 * Guest paging, in every mode the CPU has (32-bit with 4 KiB and 4 MiB
 * pages, PAE with 4 KiB and 2 MiB pages, 4- and 5-level long mode), as
 * the guest sees it: loads and stores through its page tables, its own
 * edits of them with INVLPG or a CR3 load, CR3 switches among address
 * spaces, page faults with their error codes and CR2, accessed and dirty
 * bits, CR0.WP, NX, reserved bits, MMIO through a mapping, code that
 * lives in a page table and rewrites it, recursive page tables.
 *
 * Architectural, so it holds for either MMU (--mmu=tdp or shadow); with
 * the shadow MMU it also checks, by the VM's statistics, that the shadow
 * MMU did what it is for: roots found again after CR3 switches, guest
 * tables written over unshadowed, a write by an instruction the emulator
 * lacks (an SSE store) still seen, and reclaim under a small
 * shadow_pages limit.
 *
 * The guest is an interpreter (guest_pg32/guest_pg64 in guest.S) that
 * the host drives command by command over port I/O.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib.h"

#define MEM_SIZE	(64 << 20)
#define TABLES		0x100000	/* page tables from here up */
#define TABLES_END	0x400000	/* identity mapped below this */
#define FRAMES		0x800000	/* the data frames */
#define MMIO_GPA	0xc0000000ULL	/* no memory there */

enum { PG_32, PG_PAE, PG_LONG4, PG_LONG5 };
enum {
	CMD_LOAD = 1, CMD_STORE, CMD_INVLPG, CMD_CR3, CMD_CALL, CMD_CR0,
	CMD_CR4, CMD_SSE_STORE, CMD_ZERO
};
enum { R_DONE, R_LOAD, R_PF, R_BAD };

#define PTE_P	0x1ULL
#define PTE_W	0x2ULL
#define PTE_A	0x20ULL
#define PTE_D	0x40ULL
#define PTE_PS	0x80ULL
#define PTE_NX	(1ULL << 63)

#define CR0_PG_PE_ET	0x80000011ULL
#define CR0_WP		0x10000ULL

struct pg {
	const char *name;		/* for the TAP lines */
	int mode;
	int large;			/* the window uses large pages */
	struct tvm vm;
	struct tvcpu v;
	uint64_t next;			/* the next free table */
	uint64_t cr3;
	uint64_t cr0, cr4;
	uint64_t win;			/* the test window's address */
	int mmio;			/* the last load was MMIO, at mmio_gpa */
	uint64_t mmio_gpa;
};

struct res {
	int kind;
	uint64_t val;			/* R_LOAD: the value; R_PF: CR2 */
	uint32_t err;			/* R_PF: the error code */
};

static int wide(const struct pg *p)
{
	return p->mode != PG_32;
}

static int levels(const struct pg *p)
{
	static const int n[] = { 2, 3, 4, 5 };

	return n[p->mode];
}

static unsigned int pt_index(const struct pg *p, uint64_t va, int level)
{
	if (p->mode == PG_32)
		return (va >> (12 + 10 * (level - 1))) & 0x3ff;
	if (p->mode == PG_PAE && level == 3)
		return (va >> 30) & 3;
	return (va >> (12 + 9 * (level - 1))) & 0x1ff;
}

static uint64_t get_pte(const struct pg *p, uint64_t gpa)
{
	if (wide(p))
		return *(uint64_t *)(p->vm.mem + gpa);
	return *(uint32_t *)(p->vm.mem + gpa);
}

static void set_pte(struct pg *p, uint64_t gpa, uint64_t val)
{
	if (wide(p))
		*(uint64_t *)(p->vm.mem + gpa) = val;
	else
		*(uint32_t *)(p->vm.mem + gpa) = val;
}

static uint64_t new_table(struct pg *p)
{
	uint64_t t = p->next;

	if (t >= TABLES_END)
		fail_setup("paging: out of page-table space");
	p->next += 4096;
	memset(p->vm.mem + t, 0, 4096);
	return t;
}

/*
 * The gpa of the entry for va at level in the tables under root, the
 * tables above made on the way (as the host: the guest does not see it
 * until it flushes).
 */
static uint64_t pte_gpa(struct pg *p, uint64_t root, uint64_t va, int level)
{
	uint64_t table = root;
	int l;

	for (l = levels(p); ; l--) {
		uint64_t e = table + pt_index(p, va, l) * (wide(p) ? 8 : 4);
		uint64_t v;

		if (l == level)
			return e;
		v = get_pte(p, e);
		if (!(v & PTE_P)) {
			v = new_table(p);
			/* PAE's PDPTEs have no R/W, U/S, A: reserved. */
			set_pte(p, e, v | (p->mode == PG_PAE && l == 3 ?
					   PTE_P : PTE_P | PTE_W));
		}
		table = v & 0x000ffffffffff000ULL;
	}
}

static void map(struct pg *p, uint64_t root, uint64_t va, uint64_t gpa,
		uint64_t flags, int level)
{
	set_pte(p, pte_gpa(p, root, va, level),
		gpa | flags | (level > 1 ? PTE_PS : 0));
}

/* A root of its own, with the identity map of the low 4 MiB shared. */
static uint64_t new_root(struct pg *p)
{
	uint64_t root = new_table(p), va;

	if (!p->cr3) {
		for (va = 0; va < TABLES_END; va += 4096)
			map(p, root, va, va, PTE_P | PTE_W, 1);
	} else {
		/* The top entry of the low 4 MiB, or PAE's first PDPTE. */
		set_pte(p, root, get_pte(p, p->cr3));
	}
	return root;
}

static uint64_t page_size(const struct pg *p)
{
	if (!p->large)
		return 4096;
	return p->mode == PG_32 ? 4 << 20 : 2 << 20;
}

/* The n-th data frame, of the window's page size; filled with a marker. */
static uint64_t frame(struct pg *p, int n)
{
	uint64_t f = FRAMES + (uint64_t)n * page_size(p);

	if (f + page_size(p) > MEM_SIZE)
		fail_setup("paging: out of frames");
	*(uint64_t *)(p->vm.mem + f) = 0xf00d0000 | n;
	return f;
}

/* What a load of the n-th frame's first bytes gives (32 or 64 bits). */
static uint64_t marker(int n)
{
	return 0xf00d0000 | n;
}

static void io_in(struct pg *p, int port, uint32_t val)
{
	int r = run(&p->v);

	if (r != HWVIRT_EXIT_IO || p->v.run->io.port != port ||
	    p->v.run->io.direction != HWVIRT_IO_IN) {
		diag("%s: expected IN %#x, got %s (port %#x)", p->name, port,
		     exit_name(r), r == HWVIRT_EXIT_IO ? p->v.run->io.port : 0);
		fail_setup("paging: the interpreter went astray");
	}
	set_io_data(&p->v, val);
}

/* The next OUT of the guest, with MMIO reads answered on the way. */
static int io_out(struct pg *p, uint32_t *val)
{
	int r;

	for (;;) {
		r = run(&p->v);
		if (r == HWVIRT_EXIT_MMIO && !p->v.run->mmio.is_write) {
			p->mmio = 1;
			p->mmio_gpa = p->v.run->mmio.phys_addr;
			memset(p->v.run->mmio.data, 0x5a,
			       sizeof(p->v.run->mmio.data));
			continue;
		}
		break;
	}
	if (r != HWVIRT_EXIT_IO || p->v.run->io.direction != HWVIRT_IO_OUT) {
		diag("%s: expected OUT, got %s", p->name, exit_name(r));
		if (r == HWVIRT_EXIT_INTERNAL_ERROR)
			diag("internal error %u, exit %#llx, rip %#llx, gpa %#llx, insn %02x %02x (%u bytes)",
			     p->v.run->internal.suberror,
			     (unsigned long long)p->v.run->internal.exit_code,
			     (unsigned long long)p->v.run->internal.rip,
			     (unsigned long long)p->v.run->internal.gpa,
			     p->v.run->internal.insn[0], p->v.run->internal.insn[1],
			     p->v.run->internal.insn_len);
		return -1;
	}
	*val = io_data(&p->v);
	return p->v.run->io.port;
}

/* One command of the interpreter. */
static struct res cmd(struct pg *p, int c, uint64_t a, uint64_t val)
{
	struct res res = { .kind = R_BAD };
	uint32_t lo, hi = 0;
	int port;

	p->mmio = 0;
	io_in(p, 0xe0, c);
	io_in(p, 0xe1, a);
	if (wide(p) && p->mode != PG_PAE)
		io_in(p, 0xe2, a >> 32);
	io_in(p, 0xe3, val);
	if (wide(p) && p->mode != PG_PAE)
		io_in(p, 0xe4, val >> 32);

	port = io_out(p, &lo);
	switch (port) {
	case 0xe5:
		if (p->mode >= PG_LONG4 && io_out(p, &hi) != 0xe6)
			return res;
		res.kind = R_LOAD;
		res.val = (uint64_t)hi << 32 | lo;
		break;
	case 0xe7:
		res.kind = R_DONE;
		break;
	case 0xe8:
		res.err = lo;
		if (io_out(p, &lo) != 0xe9)
			return res;
		if (p->mode >= PG_LONG4 && io_out(p, &hi) != 0xea)
			return res;
		res.kind = R_PF;
		res.val = (uint64_t)hi << 32 | lo;
		break;
	}
	return res;
}

static uint64_t load(struct pg *p, uint64_t a)
{
	struct res r = cmd(p, CMD_LOAD, a, 0);

	return r.kind == R_LOAD ? r.val : 0xbad0bad0bad0bad0ULL;
}

static int done(struct pg *p, int c, uint64_t a, uint64_t val)
{
	return cmd(p, c, a, val).kind == R_DONE;
}

/* A #PF with this error code at cr2? */
static int faults(struct res r, uint32_t err, uint64_t cr2)
{
	if (r.kind != R_PF)
		diag("no #PF (result %d, value %#llx)", r.kind,
		     (unsigned long long)r.val);
	else if (r.err != err || r.val != cr2)
		diag("#PF error %#x at %#llx, expected %#x at %#llx", r.err,
		     (unsigned long long)r.val, err, (unsigned long long)cr2);
	return r.kind == R_PF && r.err == err && r.val == cr2;
}

static uint64_t stat(struct pg *p, int which)
{
	struct {
		struct hwvirt_stats hdr;
		uint64_t val[HWVIRT_STAT_NR];
	} st = { .hdr = { .nr = HWVIRT_STAT_NR } };

	if (ioctl(p->vm.fd, HWVIRT_GET_STATS, &st) || st.hdr.nr <= (unsigned int)which)
		return 0;
	return st.val[which];
}

static int shadow(struct pg *p)
{
	struct hwvirt_vm_info info;

	return !ioctl(p->vm.fd, HWVIRT_GET_VM_INFO, &info) &&
	       info.mmu_mode == HWVIRT_MMU_SHADOW;
}

/* The VM, the interpreter, its tables and the window; 0 if unsupported. */
static int pg_setup(struct pg *p, const char *name, int mode, int large)
{
	struct hwvirt_sregs sr;
	uint8_t *idt;
	uint64_t *gdt, h;

	memset(p, 0, sizeof(*p));
	p->name = name;
	p->mode = mode;
	p->large = large;
	if (tvm_create(&p->vm, MEM_SIZE) || tvcpu_create(&p->vm, &p->v, 0))
		fail_setup("paging: a VM");
	set_supported_cpuid(&p->v);
	if (mode == PG_LONG5 &&
	    !(supported_cpuid(&p->vm, 7, 0, REG_ECX) & (1U << 16))) {
		tvcpu_close(&p->v);
		tvm_destroy(&p->vm);
		return 0;
	}
	p->next = TABLES;
	p->cr3 = new_root(p);
	/*
	 * Away from the identity map's top entry, which the other roots
	 * share: PML5 slot 1, PML4 slot 1, or 1 GiB (PDPTE 1, PDE 256).
	 */
	p->win = mode == PG_LONG5 ? 0x0001000040000000ULL :
		 mode == PG_LONG4 ? 0x8040000000ULL : 0x40000000;
	/* Its tables down to the page directory: PAE's PDPTE is loaded now. */
	pte_gpa(p, p->cr3, p->win, 2);

	if (mode >= PG_LONG4)
		load_blob(&p->vm, guest_pg64, guest_pg64_end);
	else
		load_blob(&p->vm, guest_pg32, guest_pg32_end);
	if (mode >= PG_LONG4) {
		set_long_mode(&p->v);
		set_idt64(&p->v, 14, 1, GUEST_CODE + (guest_pg64_pf - guest_pg64), 0);
	} else {
		set_prot_mode(&p->v);
		/* A 32-bit interrupt gate for #PF; the GDT's flat code. */
		gdt = (uint64_t *)(p->vm.mem + GUEST_GDT);
		gdt[0] = 0;
		gdt[1] = 0x00cf9b000000ffffULL;
		gdt[2] = 0x00cf93000000ffffULL;
		idt = p->vm.mem + GUEST_IDT;
		memset(idt, 0, 256);
		h = GUEST_CODE + (guest_pg32_pf - guest_pg32);
		idt[14 * 8 + 0] = h;
		idt[14 * 8 + 1] = h >> 8;
		idt[14 * 8 + 2] = 0x08;
		idt[14 * 8 + 5] = 0x8e;
		idt[14 * 8 + 6] = h >> 16;
		idt[14 * 8 + 7] = h >> 24;
	}
	if (ioctl(p->v.fd, HWVIRT_GET_SREGS, &sr))
		fail_setup("HWVIRT_GET_SREGS");
	p->cr0 = CR0_PG_PE_ET | CR0_WP;
	switch (mode) {
	case PG_32:
		p->cr4 = 0x10;			/* PSE */
		sr.efer = 0;
		sr.idt.base = GUEST_IDT;
		sr.idt.limit = 256 - 1;
		break;
	case PG_PAE:
		p->cr4 = 0x20;			/* PAE */
		sr.efer = 0x800;		/* NXE */
		sr.idt.base = GUEST_IDT;
		sr.idt.limit = 256 - 1;
		break;
	default:
		p->cr4 = 0x20 | 0x200 | (mode == PG_LONG5 ? 0x1000 : 0);
		sr.efer = 0xd00;		/* NXE, LMA, LME */
		break;
	}
	sr.cr0 = p->cr0;
	sr.cr3 = p->cr3;
	sr.cr4 = p->cr4;
	if (ioctl(p->v.fd, HWVIRT_SET_SREGS, &sr)) {
		diag("%s: HWVIRT_SET_SREGS: %s", name, strerror(errno));
		fail_setup("paging: the paging mode");
	}
	return 1;
}

static void pg_done(struct pg *p)
{
	tvcpu_close(&p->v);
	tvm_destroy(&p->vm);
}

/* The window's leaf entry (PTE, or the PDE of a large page). */
static uint64_t leaf(struct pg *p, uint64_t root)
{
	return pte_gpa(p, root, p->win, p->large ? 2 : 1);
}

static void test_mode(const char *name, int mode, int large)
{
	struct pg pg, *p = &pg;
	uint64_t w, e, f0, f1, pflags = PTE_P | PTE_W, roots[8];
	uint64_t reused;
	struct res r;
	int i, n, good;

	if (!pg_setup(p, name, mode, large)) {
		ok("# SKIP paging %s: the CPU has no LA57", name);
		return;
	}
	w = p->win;
	f0 = frame(p, 0);
	f1 = frame(p, 1);
	map(p, p->cr3, w, f0, pflags, large ? 2 : 1);
	e = leaf(p, p->cr3);

	/* Loads and stores through the tables, at both ends of the page. */
	check(load(p, w) == marker(0) && load(p, 0x1000) ==
	      (*(uint64_t *)(p->vm.mem + 0x1000) &
	       (p->mode >= PG_LONG4 ? ~0ULL : 0xffffffffULL)),
	      "paging %s: loads through the guest's tables", name);
	check(done(p, CMD_STORE, w + page_size(p) - 8, 0x1234) &&
	      *(uint32_t *)(p->vm.mem + f0 + page_size(p) - 8) == 0x1234,
	      "paging %s: a store lands in the frame mapped", name);
	check((get_pte(p, e) & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	      "paging %s: the accessed and dirty bits are set", name);
	if (p->mode == PG_PAE)
		check(get_pte(p, p->cr3 + 8) == (get_pte(p, p->cr3 + 8) & ~0x1e6ULL),
		      "paging %s: the PDPTE is left alone (it has no accessed bit)",
		      name);

	/* The guest remaps the window: INVLPG, and a CR3 load. */
	check(done(p, CMD_STORE, e, f1 | pflags | (large ? PTE_PS : 0)) &&
	      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(1) &&
	      !(get_pte(p, e) & PTE_D),
	      "paging %s: the guest edits its entry, INVLPG, the new frame", name);
	check(done(p, CMD_STORE, e, f0 | pflags | (large ? PTE_PS : 0)) &&
	      done(p, CMD_CR3, p->cr3, 0) && load(p, w) == marker(0),
	      "paging %s: the guest edits its entry, CR3 load, the new frame", name);
	if (!large && levels(p) > 2) {
		/* A whole new page table: the level-2 entry changes. */
		uint64_t pde = pte_gpa(p, p->cr3, w, 2), pt = new_table(p);

		set_pte(p, pt + pt_index(p, w, 1) * 8, f1 | pflags);
		check(done(p, CMD_STORE, pde, pt | PTE_P | PTE_W) &&
		      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(1),
		      "paging %s: the guest points its PDE at another table", name);
		e = leaf(p, p->cr3);
		done(p, CMD_STORE, e, f0 | pflags);
		done(p, CMD_INVLPG, w, 0);
	}

	/*
	 * Code in the page table itself (its unused upper half), which
	 * stores the new entry (EDX/RDX) into that same page: the module
	 * fetches from and emulates a write to a page it write-protects.
	 */
	if (!large) {
		uint64_t pt = e & ~0xfffULL, code = pt + 0xf00;
		uint8_t *c = p->vm.mem + code;
		int32_t disp = (int32_t)(e - code);
		int n = 0;

		if (p->mode >= PG_LONG4)
			c[n++] = 0x48;		/* REX.W */
		c[n++] = 0x89;			/* mov %edx, disp32(%ebx) */
		c[n++] = 0x93;
		memcpy(c + n, &disp, 4);
		n += 4;
		c[n++] = 0xc3;			/* ret */
		check(done(p, CMD_CALL, code, f1 | pflags) &&
		      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(1) &&
		      done(p, CMD_CALL, code, f0 | pflags) &&
		      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(0),
		      "paging %s: code in a page table rewrites an entry of it", name);
	}

	/*
	 * Recursive paging: the root's last entry points to the root, so the
	 * guest reaches its entries through the page tables themselves (one
	 * page shadowed at every level).
	 */
	if (!large && (p->mode == PG_32 || p->mode == PG_LONG4)) {
		uint64_t self, va;

		if (p->mode == PG_32) {
			self = p->cr3 + 1023 * 4;
			va = 0xffc00000ULL + ((w >> 12) << 2);
		} else {
			self = p->cr3 + 511 * 8;
			va = 0xffffff8000000000ULL + ((w >> 9) & 0x7ffffffff8ULL);
		}
		check(done(p, CMD_STORE, self, p->cr3 | PTE_P | PTE_W) &&
		      load(p, va) == (get_pte(p, e) & (wide(p) ? ~0ULL : 0xffffffffULL)) &&
		      done(p, CMD_STORE, va, f1 | pflags) &&
		      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(1) &&
		      done(p, CMD_STORE, va, f0 | pflags) &&
		      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(0),
		      "paging %s: recursive tables: the entry through the root's self-map", name);
		done(p, CMD_STORE, self, 0);
		done(p, CMD_CR3, p->cr3, 0);
	}

	/* Not present: #PF 0 (supervisor read), CR2 the address. */
	r = (done(p, CMD_STORE, e, 0), done(p, CMD_INVLPG, w, 0),
	     cmd(p, CMD_LOAD, w + 0x18, 0));
	check(faults(r, 0x0, w + 0x18), "paging %s: not present: #PF 0x0", name);
	r = cmd(p, CMD_STORE, w + 0x20, 1);
	check(faults(r, 0x2, w + 0x20), "paging %s: not present, write: #PF 0x2", name);

	/* Read-only: a write faults with CR0.WP, not without it. */
	done(p, CMD_STORE, e, f0 | PTE_P | (large ? PTE_PS : 0));
	done(p, CMD_INVLPG, w, 0);
	check(load(p, w) == marker(0) &&
	      faults(cmd(p, CMD_STORE, w + 8, 0x55), 0x3, w + 8),
	      "paging %s: read-only, CR0.WP: a write gives #PF 0x3", name);
	check(done(p, CMD_CR0, p->cr0 & ~CR0_WP, 0) &&
	      done(p, CMD_STORE, w + 8, 0x66) &&
	      *(uint32_t *)(p->vm.mem + f0 + 8) == 0x66,
	      "paging %s: read-only, no CR0.WP: the supervisor writes", name);
	check(done(p, CMD_CR0, p->cr0, 0) &&
	      faults(cmd(p, CMD_STORE, w + 8, 0x77), 0x3, w + 8) &&
	      *(uint32_t *)(p->vm.mem + f0 + 8) == 0x66,
	      "paging %s: CR0.WP back: the write faults again", name);
	done(p, CMD_STORE, e, f0 | pflags | (large ? PTE_PS : 0));
	done(p, CMD_INVLPG, w, 0);

	/* NX (not in 32-bit paging), and a reserved bit. */
	if (wide(p)) {
		*(uint8_t *)(p->vm.mem + f0 + 0x100) = 0xc3;	/* ret */
		done(p, CMD_STORE, e, f0 | pflags | (large ? PTE_PS : 0) | PTE_NX);
		/* A 32-bit store reaches the low half only: NX by two. */
		if (p->mode == PG_PAE)
			done(p, CMD_STORE, e + 4, (f0 >> 32) | (PTE_NX >> 32));
		done(p, CMD_INVLPG, w, 0);
		check(faults(cmd(p, CMD_CALL, w + 0x100, 0), 0x11, w + 0x100),
		      "paging %s: NX: a fetch gives #PF 0x11", name);
		if (p->mode == PG_PAE)
			done(p, CMD_STORE, e + 4, 0);
		else
			done(p, CMD_STORE, e, f0 | pflags | (large ? PTE_PS : 0));
		done(p, CMD_INVLPG, w, 0);
		check(done(p, CMD_CALL, w + 0x100, 0),
		      "paging %s: NX cleared: the call returns", name);

		n = supported_cpuid(&p->vm, 0x80000008, 0, REG_EAX) & 0xff;
		if (n && n < 52) {
			if (p->mode == PG_PAE)
				done(p, CMD_STORE, e + 4, (1ULL << 51) >> 32);
			else
				done(p, CMD_STORE, e, f0 | pflags |
				     (large ? PTE_PS : 0) | (1ULL << 51));
			done(p, CMD_INVLPG, w, 0);
			check(faults(cmd(p, CMD_LOAD, w, 0), 0x9, w),
			      "paging %s: a reserved bit (51): #PF 0x9", name);
			if (p->mode == PG_PAE)
				done(p, CMD_STORE, e + 4, 0);
			else
				done(p, CMD_STORE, e, f0 | pflags |
				     (large ? PTE_PS : 0));
			done(p, CMD_INVLPG, w, 0);
		}
	}

	/* MMIO through a mapping: the exit names the guest-physical address. */
	done(p, CMD_STORE, e, MMIO_GPA | pflags | (large ? PTE_PS : 0));
	done(p, CMD_INVLPG, w, 0);
	r = cmd(p, CMD_LOAD, w + 0x40, 0);
	check(r.kind == R_LOAD && p->mmio && p->mmio_gpa == MMIO_GPA + 0x40 &&
	      (uint32_t)r.val == 0x5a5a5a5a,
	      "paging %s: MMIO through a mapping, at its guest-physical address", name);
	done(p, CMD_STORE, e, f0 | pflags | (large ? PTE_PS : 0));
	done(p, CMD_INVLPG, w, 0);

	/*
	 * Eight address spaces, each with the window on its own frame, in
	 * turn three times: the CR3 switches must keep them apart.
	 */
	roots[0] = p->cr3;
	for (i = 1; i < 8; i++) {
		roots[i] = new_root(p);
		map(p, roots[i], w, frame(p, 2 + i), pflags, large ? 2 : 1);
	}
	reused = stat(p, HWVIRT_STAT_ROOTS_REUSED);
	good = 1;
	for (n = 0; n < 3; n++) {
		for (i = 0; i < 8; i++) {
			good &= done(p, CMD_CR3, roots[i], 0);
			good &= load(p, w) == (i ? marker(2 + i) : marker(0));
		}
	}
	check(good, "paging %s: 8 address spaces by CR3, in turn", name);
	if (shadow(p) && p->mode >= PG_LONG4)
		check(stat(p, HWVIRT_STAT_ROOTS_REUSED) >= reused + 16,
		      "paging %s: shadow: the roots are found again (%llu)", name,
		      (unsigned long long)(stat(p, HWVIRT_STAT_ROOTS_REUSED) - reused));
	done(p, CMD_CR3, p->cr3, 0);

	/*
	 * A page table the guest zeroes (memory it frees and reuses): then
	 * the window faults, and maps again once the guest sets its entry.
	 */
	if (!large) {
		uint64_t pt = e & ~0xfffULL;

		check(load(p, w) == marker(0) &&
		      done(p, CMD_ZERO, pt, 1024) && done(p, CMD_INVLPG, w, 0) &&
		      faults(cmd(p, CMD_LOAD, w, 0), 0x0, w),
		      "paging %s: the guest zeroes its page table: #PF", name);
		check(done(p, CMD_STORE, e, f1 | pflags) && done(p, CMD_INVLPG, w, 0) &&
		      load(p, w) == marker(1),
		      "paging %s: and maps again", name);
	}
	/*
	 * The same with the page directory (the shadow MMU keeps it write-
	 * protected, and takes a flood of writes for a page reused).
	 */
	if (levels(p) > 2) {
		uint64_t pde = pte_gpa(p, p->cr3, w, 2), val = get_pte(p, pde);
		uint64_t unshadows = stat(p, HWVIRT_STAT_UNSHADOWS);

		check(load(p, w) != 0xbad0bad0bad0bad0ULL &&
		      done(p, CMD_ZERO, pde & ~0xfffULL, 1024) &&
		      done(p, CMD_INVLPG, w, 0) &&
		      faults(cmd(p, CMD_LOAD, w, 0), 0x0, w),
		      "paging %s: the guest zeroes its page directory: #PF", name);
		if (shadow(p))
			check(stat(p, HWVIRT_STAT_UNSHADOWS) > unshadows,
			      "paging %s: shadow: the zeroed directory was unshadowed",
			      name);
		check(done(p, CMD_STORE, pde, val) &&
		      (p->mode != PG_PAE || done(p, CMD_STORE, pde + 4, val >> 32)) &&
		      done(p, CMD_INVLPG, w, 0) &&
		      load(p, w) == (large ? marker(0) : marker(1)),
		      "paging %s: and maps again", name);
		e = leaf(p, p->cr3);
		done(p, CMD_STORE, e, f0 | pflags | (large ? PTE_PS : 0));
		done(p, CMD_INVLPG, w, 0);
	}

	/* An SSE store to the entry (long mode): the emulator lacks it. */
	if (p->mode >= PG_LONG4) {
		check(done(p, CMD_SSE_STORE, e, f0 | pflags | (large ? PTE_PS : 0)) &&
		      done(p, CMD_INVLPG, w, 0) && load(p, w) == marker(0),
		      "paging %s: an SSE store to the entry, INVLPG, the new frame", name);
	}
	pg_done(p);
}

void test_paging(void)
{
	test_mode("32-bit", PG_32, 0);
	test_mode("32-bit 4M", PG_32, 1);
	test_mode("PAE", PG_PAE, 0);
	test_mode("PAE 2M", PG_PAE, 1);
	test_mode("long", PG_LONG4, 0);
	test_mode("long 2M", PG_LONG4, 1);
	test_mode("5-level", PG_LONG5, 0);
}

#define SHADOW_PAGES_PARAM "/sys/module/hwvirt/parameters/shadow_pages"

/*
 * More guest page tables than the shadow MMU may shadow (its limit set
 * low for the test): the least recently used shadow pages go, and the
 * guest sees nothing of it.
 */
void test_shadow_reclaim(void)
{
	struct pg pg, *p = &pg;
	char old[32] = "0\n";
	FILE *f;
	int i, pass, good = 1;
	uint64_t va;

	/* The VM's MMU: shadow with --mmu=shadow, or on a CPU without TDP. */
	pg_setup(p, "reclaim", PG_LONG4, 0);
	if (!shadow(p)) {
		ok("# SKIP shadow reclaim: the VM runs on nested paging (--mmu=shadow)");
		pg_done(p);
		return;
	}
	/* The limit now, to put back after; then 64. */
	f = fopen(SHADOW_PAGES_PARAM, "r");
	if (f) {
		if (!fgets(old, sizeof(old), f))
			strcpy(old, "0\n");
		fclose(f);
		f = fopen(SHADOW_PAGES_PARAM, "w");
	}
	if (!f) {
		ok("# SKIP shadow reclaim: %s: %s", SHADOW_PAGES_PARAM,
		   strerror(errno));
		pg_done(p);
		return;
	}
	fprintf(f, "64\n");
	fclose(f);
	/* 200 page tables of one page each, 2 MiB apart. */
	for (i = 0; i < 200; i++)
		map(p, p->cr3, p->win + ((uint64_t)i << 21), frame(p, i),
		    PTE_P | PTE_W, 1);
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < 200; i++) {
			va = p->win + ((uint64_t)i << 21);
			good &= load(p, va) == marker(i);
		}
	check(good, "shadow reclaim: 200 page tables, twice, under a limit of 64");
	check(stat(p, HWVIRT_STAT_SHADOW_RECLAIMS) > 0 &&
	      stat(p, HWVIRT_STAT_SHADOW_PAGES) <= 64 + 8,
	      "shadow reclaim: %llu shadow pages reclaimed, %llu left",
	      (unsigned long long)stat(p, HWVIRT_STAT_SHADOW_RECLAIMS),
	      (unsigned long long)stat(p, HWVIRT_STAT_SHADOW_PAGES));
	pg_done(p);

	f = fopen(SHADOW_PAGES_PARAM, "w");
	if (f) {
		fputs(old, f);
		fclose(f);
	}
}
