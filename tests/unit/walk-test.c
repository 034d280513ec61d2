/*
 * Unit tests of the guest page-table walker (linux-module/walk.c and
 * paging_tmpl.h), built in userspace over a fake guest memory.
 *
 * For each paging mode (32-bit, PAE, 4- and 5-level long mode) and each
 * level, every combination of the entry bits there (P, R/W, U/S, A, D,
 * PS where it means something, NX, a reserved bit), with every
 * combination of CR0.WP, EFER.NX, CR4.SMEP, CR4.SMAP, RFLAGS.AC, CPL and
 * access (read, write, fetch), is walked and compared with a reference
 * written separately from the walker, straight from the SDM's tables:
 * the translation or the exact error code, and the A/D bits in guest
 * memory afterwards.  A few cases with literal expectations anchor it.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walk.h"

#include "tap.h"

/* --- fake guest memory --------------------------------------------- */

#define MEM_SIZE	(64 << 20)
static unsigned char mem[MEM_SIZE];

static int mem_read(const struct hw_walk_ctx *ctx, u64 gpa, void *buf,
		    unsigned int len)
{
	(void)ctx;
	if (gpa + len > MEM_SIZE)
		return -1;
	memcpy(buf, mem + gpa, len);
	return 0;
}

static int mem_cmpxchg(const struct hw_walk_ctx *ctx, u64 gpa, u64 old,
		       u64 new, unsigned int len)
{
	u64 cur = 0;

	(void)ctx;
	if (gpa + len > MEM_SIZE)
		return -1;
	memcpy(&cur, mem + gpa, len);
	if (cur != old)
		return 1;
	memcpy(mem + gpa, &new, len);
	return 0;
}

static const struct hw_walk_ops ops = { .read = mem_read, .cmpxchg = mem_cmpxchg };

static void put(u64 gpa, u64 val, int size)
{
	memcpy(mem + gpa, &val, size);
}

static u64 get(u64 gpa, int size)
{
	u64 v = 0;

	memcpy(&v, mem + gpa, size);
	return v;
}

/* --- the reference -------------------------------------------------- */

/*
 * One chain of entries, top first.  The reference decides, entry by
 * entry, the way the SDM's tables 4-6 to 4-20 and section 4.6 read.
 */
struct chain {
	enum hw_paging mode;
	int n;			/* entries in the chain */
	int level[5];		/* the level of each */
	u64 e[5];
	u64 addr[5];		/* where each one lives */
};

struct ctl {
	int wp, nx, smep, smap, ac, user, write, fetch, pse, gb, maxphy;
};

struct expect {
	int fault;
	unsigned int error;
	int leaf;		/* index in the chain of the leaf */
};

static int ref_reserved(const struct chain *c, int i, const struct ctl *k)
{
	u64 e = c->e[i];
	int level = c->level[i];
	int b;

	if (c->mode == HW_PAGING_32) {
		if (level == 2 && (e & HW_PTE_PS) && k->pse) {
			if (e & (1ULL << 21))
				return 1;
			for (b = 13; b <= 20; b++)
				if ((e & (1ULL << b)) && 32 + (b - 13) >= k->maxphy)
					return 1;
		}
		return 0;
	}
	/* Physical-address bits beyond MAXPHYADDR. */
	for (b = k->maxphy; b <= 51; b++)
		if (e & (1ULL << b))
			return 1;
	if (c->mode == HW_PAGING_PAE) {
		for (b = 52; b <= 62; b++)
			if (e & (1ULL << b))
				return 1;
		if (level == 3)
			return (e & 0x1e6) || (e >> 63);
	}
	if ((e >> 63) && !k->nx)
		return 1;
	if ((level == 4 || level == 5) && (e & HW_PTE_PS))
		return 1;
	if (level == 3 && (e & HW_PTE_PS) &&
	    (!k->gb || (e & 0x3fffe000ULL)))
		return 1;
	if (level == 2 && (e & HW_PTE_PS) && (e & 0x1fe000ULL))
		return 1;
	return 0;
}

static int ref_is_leaf(const struct chain *c, int i, const struct ctl *k)
{
	int level = c->level[i];

	if (level == 1)
		return 1;
	if (c->mode == HW_PAGING_PAE && level == 3)
		return 0;
	if (!(c->e[i] & HW_PTE_PS))
		return 0;
	if (c->mode == HW_PAGING_32)
		return level == 2 && k->pse;
	return level == 2 || level == 3;
}

static struct expect reference(const struct chain *c, const struct ctl *k)
{
	struct expect x = { 0 };
	int i, w = 1, u = 1, nx = 0;
	int fetch_i = k->fetch && ((c->mode != HW_PAGING_32 && k->nx) || k->smep);
	unsigned int base = (k->write ? 2 : 0) | (k->user ? 4 : 0) |
			    (fetch_i ? 16 : 0);

	for (i = 0; i < c->n; i++) {
		u64 e = c->e[i];

		if (!(e & HW_PTE_P)) {
			x.fault = 1;
			x.error = base;
			return x;
		}
		if (ref_reserved(c, i, k)) {
			x.fault = 1;
			x.error = base | 1 | 8;
			return x;
		}
		if (!(c->mode == HW_PAGING_PAE && c->level[i] == 3)) {
			w = w && (e & HW_PTE_W);
			u = u && (e & HW_PTE_U);
			if (c->mode != HW_PAGING_32 && k->nx && (e >> 63))
				nx = 1;
		}
		if (ref_is_leaf(c, i, k))
			break;
	}
	x.leaf = i;
	/* Section 4.6, access rights. */
	if (k->user) {
		if (!u || (k->write && !w) || (k->fetch && nx))
			x.fault = 1;
	} else if (k->fetch) {
		if (nx || (k->smep && u))
			x.fault = 1;
	} else {
		if (k->smap && u && !k->ac)
			x.fault = 1;
		if (k->write && k->wp && !w)
			x.fault = 1;
	}
	if (x.fault)
		x.error = base | 1;
	return x;
}

/* --- building chains ------------------------------------------------ */

#define TABLES		0x100000
#define DATA		0x800000	/* 4 KiB page the chain ends at */
#define DATA_LARGE	0x1000000	/* 16 MiB: 4 MiB, 2 MiB and 1 GiB... */
#define ADDR		0x0040201234ULL	/* PML4 0, PDPT 1, PD 1, PT 1 */

static int mode_levels(enum hw_paging mode)
{
	switch (mode) {
	case HW_PAGING_32:
		return 2;
	case HW_PAGING_PAE:
		return 3;
	case HW_PAGING_LONG5:
		return 5;
	default:
		return 4;
	}
}

/*
 * Tables for addr in mode: every entry fully permissive, except that the
 * entry at test_level gets bits.  Returns the chain (as far as the
 * walker will read it), fills ctx.
 */
static void build(enum hw_paging mode, int test_level, u64 bits, u64 addr,
		  struct hw_walk_ctx *ctx, struct chain *c)
{
	/* Will the tested entry be a large leaf (else PS means nothing)? */
	bool large = (bits & HW_PTE_PS) &&
		     ((test_level == 2 && (mode != HW_PAGING_32 || ctx->pse)) ||
		      (test_level == 3 && mode >= HW_PAGING_LONG4));
	int levels = mode_levels(mode), level, size = mode == HW_PAGING_32 ? 4 : 8;
	int ibits = mode == HW_PAGING_32 ? 10 : 9;
	u64 table = TABLES, full = HW_PTE_P | HW_PTE_W | HW_PTE_U | HW_PTE_A;

	memset(mem + TABLES, 0, 6 * 4096);
	ctx->mode = mode;
	ctx->cr3 = TABLES;
	c->mode = mode;
	c->n = 0;
	for (level = levels; level >= 1; level--) {
		u64 idx, ea, e;

		if (mode == HW_PAGING_PAE && level == 3) {
			idx = (addr >> 30) & 3;
			ea = table + idx * 8;
			e = level == test_level ? bits :
			    (table + 0x1000) | HW_PTE_P;
			if (level == test_level)
				e = (e & ~0x000ffffffffff000ULL) | (table + 0x1000);
			ctx->pdptes[idx] = e;
		} else {
			u64 next = level == 1 ? DATA : table + 0x1000;
			int shift = 12 + ibits * (level - 1);

			idx = (addr >> shift) & ((1u << ibits) - 1);
			ea = table + idx * size;
			if (level == test_level) {
				e = bits;
				/* A large page at DATA_LARGE, aligned as it must. */
				if (large)
					next = level == 3 ? 0 :	/* 1 GiB page 0 */
					       DATA_LARGE & ~((1ULL << shift) - 1);
				e |= next;
			} else {
				e = next | full | HW_PTE_D;
			}
			put(ea, e, size);
		}
		c->level[c->n] = level;
		c->e[c->n] = e;
		c->addr[c->n] = ea;
		c->n++;
		table += 0x1000;
	}
}

static const char *mode_name(enum hw_paging m)
{
	static const char *const names[] = { "off", "32-bit", "PAE", "4-level",
					     "5-level" };
	return names[m];
}

/* Every bit combination at every level, every control combination. */
static void exhaustive(enum hw_paging mode)
{
	int levels = mode_levels(mode), level, wrong = 0, walks = 0;
	char first[200] = "";

	for (level = levels; level >= 1; level--) {
		/* The bits that vary: P W U A D PS NX, and one reserved bit. */
		static const u64 vary64[] = {
			HW_PTE_P, HW_PTE_W, HW_PTE_U, HW_PTE_A, HW_PTE_D,
			HW_PTE_PS, HW_PTE_NX, 1ULL << 45,
		};
		static const u64 vary32[] = {
			HW_PTE_P, HW_PTE_W, HW_PTE_U, HW_PTE_A, HW_PTE_D,
			HW_PTE_PS, 1ULL << 21,
		};
		const u64 *vary = mode == HW_PAGING_32 ? vary32 : vary64;
		int nvary = mode == HW_PAGING_32 ? 7 : 8;
		unsigned int combo, k;

		for (combo = 0; combo < (1u << nvary); combo++) {
			u64 bits = 0;
			int b;

			for (b = 0; b < nvary; b++)
				if (combo & (1u << b))
					bits |= vary[b];
			for (k = 0; k < 128 * 3; k++) {
				struct ctl ct = {
					.wp = k & 1, .nx = !!(k & 2),
					.smep = !!(k & 4), .smap = !!(k & 8),
					.ac = !!(k & 16), .user = !!(k & 32),
					.pse = !!(k & 64),
					.write = (k >> 7) == 1, .fetch = (k >> 7) == 2,
					.gb = 1, .maxphy = 40,
				};
				struct hw_walk_ctx ctx = {
					.wp = ct.wp, .nx = ct.nx, .smep = ct.smep,
					.smap = ct.smap, .ac = ct.ac, .pse = ct.pse,
					.gbpages = 1, .maxphyaddr = 40, .ops = &ops,
				};
				struct chain c;
				struct expect x;
				struct hw_walk w;
				u32 access = (ct.write ? HW_PFERR_W : 0) |
					     (ct.user ? HW_PFERR_U : 0) |
					     (ct.fetch ? HW_PFERR_I : 0);
				int r, bad = 0, i;

				if (mode != HW_PAGING_32 && !ct.pse && (k & 64))
					continue;
				/*
				 * In 32-bit paging bit 21 is an address bit but
				 * in a 4 MiB page: only test it there.
				 */
				if (mode == HW_PAGING_32 && (bits & (1ULL << 21)) &&
				    !(level == 2 && (bits & HW_PTE_PS) && ct.pse))
					continue;
				ctx.pse = ct.pse;
				build(mode, level, bits, ADDR, &ctx, &c);
				x = reference(&c, &ct);
				r = hw_walk(&ctx, ADDR, access, &w);
				walks++;
				if (r != x.fault)
					bad = 1;
				else if (r && w.error != x.error)
					bad = 1;
				if (!r && !bad) {
					/* A at every level read, D at the leaf if written. */
					for (i = 0; i <= x.leaf; i++) {
						u64 now;

						if (mode == HW_PAGING_PAE && c.level[i] == 3)
							continue;
						now = get(c.addr[i], mode == HW_PAGING_32 ? 4 : 8);
						if (!(now & HW_PTE_A))
							bad = 1;
						if (i == x.leaf && ct.write && !(now & HW_PTE_D))
							bad = 1;
						if (i == x.leaf && !ct.write &&
						    !(c.e[i] & HW_PTE_D) && (now & HW_PTE_D))
							bad = 1;
					}
				}
				if (r == 1 && !bad) {
					/* A fault leaves the entries alone. */
					for (i = 0; i < c.n; i++)
						if (!(mode == HW_PAGING_PAE && c.level[i] == 3) &&
						    get(c.addr[i], mode == HW_PAGING_32 ? 4 : 8) !=
						    c.e[i])
							bad = 1;
				}
				if (bad && !wrong++)
					snprintf(first, sizeof(first),
						 "level %d bits 0x%llx wp%d nx%d smep%d smap%d ac%d user%d pse%d %s: walker %d/0x%x, reference %d/0x%x",
						 level, (unsigned long long)bits, ct.wp,
						 ct.nx, ct.smep, ct.smap, ct.ac, ct.user,
						 ct.pse, ct.write ? "write" :
						 ct.fetch ? "fetch" : "read", r,
						 r == 1 ? w.error : 0, x.fault, x.error);
			}
		}
	}
	result(!wrong, "%s: %d walks match the reference (%d differ)%s%s",
	       mode_name(mode), walks, wrong, wrong ? "; first: " : "", first);
}

/* Literal cases, as a reader of the SDM would write them down. */
static void literal(void)
{
	struct hw_walk_ctx ctx = { .ops = &ops, .maxphyaddr = 40, .nx = 1,
				   .wp = 1, .gbpages = 1 };
	struct chain c;
	struct hw_walk w;
	u64 rw = HW_PTE_P | HW_PTE_W | HW_PTE_U;

	/* A present read-only user page: a user write faults P|W|U = 7. */
	build(HW_PAGING_LONG4, 1, HW_PTE_P | HW_PTE_U, ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_W | HW_PFERR_U, &w) == 1 &&
	       w.error == 7, "literal: user write to a read-only page: 0x7");
	/* CR0.WP=0: the kernel may write it. */
	ctx.wp = 0;
	result(hw_walk(&ctx, ADDR, HW_PFERR_W, &w) == 0 &&
	       w.gpa == DATA + (ADDR & 0xfff),
	       "literal: CR0.WP=0, a supervisor write goes through");
	ctx.wp = 1;
	/* A not-present PDE: a user fetch with NX on: U|I = 0x14. */
	build(HW_PAGING_LONG4, 2, 0, ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_I | HW_PFERR_U, &w) == 1 &&
	       w.error == 0x14, "literal: user fetch, PDE not present: 0x14");
	/* A reserved bit in a PTE: P|RSVD|W = 0xb. */
	build(HW_PAGING_LONG4, 1, rw | (1ULL << 50), ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_W, &w) == 1 && w.error == 0xb,
	       "literal: bit 50 set with MAXPHYADDR 40: 0xb");
	/* NX page fetched by the kernel: P|I = 0x11. */
	build(HW_PAGING_LONG4, 1, rw | HW_PTE_NX, ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_I, &w) == 1 && w.error == 0x11,
	       "literal: kernel fetch from an NX page: 0x11");
	/* SMEP: the kernel fetching from a user page. */
	ctx.smep = 1;
	build(HW_PAGING_LONG4, 1, rw, ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_I, &w) == 1 && w.error == 0x11,
	       "literal: SMEP, kernel fetch from a user page: 0x11");
	ctx.smep = 0;
	/* SMAP with AC: allowed; an implicit access: not. */
	ctx.smap = 1;
	ctx.ac = 1;
	result(hw_walk(&ctx, ADDR, 0, &w) == 0,
	       "literal: SMAP with RFLAGS.AC: the kernel reads a user page");
	result(hw_walk(&ctx, ADDR, HW_WALK_IMPLICIT, &w) == 1 && w.error == 1,
	       "literal: SMAP, an implicit supervisor read: 0x1 despite AC");
	ctx.smap = 0;
	ctx.ac = 0;
	/* A 2 MiB page; D set by a write, A on the way. */
	build(HW_PAGING_LONG4, 2, rw | HW_PTE_PS, ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_W, &w) == 0 && w.level == 2 &&
	       w.gpa == (DATA_LARGE | (ADDR & 0x1fffff)) &&
	       (get(c.addr[2], 8) & (HW_PTE_A | HW_PTE_D)) ==
	       (HW_PTE_A | HW_PTE_D),
	       "literal: a 2 MiB page, written: gpa and A/D");
	/* 32-bit paging, PSE 4 MiB with PSE-36 bits: address bits 35:32. */
	ctx.pse = 1;
	ctx.maxphyaddr = 36;
	build(HW_PAGING_32, 2, rw | HW_PTE_PS | (0x5ULL << 13), 0x12345678,
	      &ctx, &c);
	result(hw_walk(&ctx, 0x12345678, 0, &w) == 0 &&
	       w.gpa == ((5ULL << 32) | (DATA_LARGE & 0xffc00000) | 0x345678),
	       "literal: 32-bit PSE-36 4 MiB page above 4 GiB (0x%llx)",
	       (unsigned long long)w.gpa);
	/* PAE: a PDPTE with a reserved bit (bit 1). */
	ctx.maxphyaddr = 40;
	build(HW_PAGING_PAE, 3, HW_PTE_P | HW_PTE_W, ADDR & 0xffffffff, &ctx, &c);
	result(hw_walk(&ctx, ADDR & 0xffffffff, 0, &w) == 1 && w.error == 9,
	       "literal: PAE PDPTE with R/W set (reserved there): 0x9");
	/* Accessed bits survive a fault untouched. */
	build(HW_PAGING_LONG4, 1, HW_PTE_P, ADDR, &ctx, &c);
	result(hw_walk(&ctx, ADDR, HW_PFERR_U, &w) == 1 &&
	       !(get(c.addr[3], 8) & HW_PTE_A), "literal: a fault sets no A bit");
}

int main(void)
{
	literal();
	exhaustive(HW_PAGING_32);
	exhaustive(HW_PAGING_PAE);
	exhaustive(HW_PAGING_LONG4);
	exhaustive(HW_PAGING_LONG5);
	printf("# %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
