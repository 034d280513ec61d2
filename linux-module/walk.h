/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: the guest page-table walker.
 *
 * Translates a guest linear address with the guest's own page tables, as
 * the CPU does (SDM volume 3 chapter 4, APM volume 2 chapter 5): 32-bit
 * paging (4-byte entries, PSE 4 MiB pages and PSE-36), PAE (the four
 * PDPTEs given by the caller, as loaded at CR3), 4- and 5-level long mode
 * (2 MiB and 1 GiB pages); the accessed and dirty bits set as the CPU
 * sets them; reserved bits, NX, SMEP, SMAP (with RFLAGS.AC) and CR0.WP
 * checked; a fault described by its exact error code.
 *
 * The walker is compiled once per entry size from paging_tmpl.h (KVM's
 * idea): paging32_walk() and paging64_walk().  Like emulate.c it builds
 * in the kernel and in userspace (tests/unit/walk-test), so guest memory
 * is reached through the caller's ops.  The shadow MMU walks with it to
 * build shadow entries, and the instruction emulator to find its
 * operands.
 */
#ifndef HWVIRT_WALK_H
#define HWVIRT_WALK_H

#include "hw_types.h"

/* Page-table entry bits. */
#define HW_PTE_P		(1ULL << 0)
#define HW_PTE_W		(1ULL << 1)
#define HW_PTE_U		(1ULL << 2)
#define HW_PTE_PWT		(1ULL << 3)
#define HW_PTE_PCD		(1ULL << 4)
#define HW_PTE_A		(1ULL << 5)
#define HW_PTE_D		(1ULL << 6)
#define HW_PTE_PS		(1ULL << 7)
#define HW_PTE_G		(1ULL << 8)
#define HW_PTE_PAT_LARGE	(1ULL << 12)	/* PAT bit of a large page */
#define HW_PTE_NX		(1ULL << 63)

/* Page-fault error code bits (also the access a walk asks for). */
#define HW_PFERR_P		(1U << 0)
#define HW_PFERR_W		(1U << 1)
#define HW_PFERR_U		(1U << 2)
#define HW_PFERR_RSVD		(1U << 3)
#define HW_PFERR_I		(1U << 4)	/* instruction fetch */
#define HW_PFERR_PK		(1U << 5)

/*
 * The access an entry chain grants, and a walk asks for (plus
 * HW_ACC_IMPLICIT: a supervisor access the CPU makes itself, to a
 * descriptor table for example, which SMAP checks whatever AC says).
 */
#define HW_ACC_W		(1U << 0)
#define HW_ACC_U		(1U << 1)
#define HW_ACC_X		(1U << 2)
#define HW_ACC_ALL		(HW_ACC_W | HW_ACC_U | HW_ACC_X)

/* Paging modes. */
enum hw_paging {
	HW_PAGING_OFF,		/* CR0.PG = 0: linear = physical */
	HW_PAGING_32,		/* 2 levels, 4-byte entries */
	HW_PAGING_PAE,		/* PDPTEs + 2 levels */
	HW_PAGING_LONG4,	/* 4 levels */
	HW_PAGING_LONG5,	/* 5 levels (CR4.LA57) */
};

#define HW_WALK_MAX_LEVELS	5

struct hw_walk_ctx;

/* Guest memory, for the walker: 0, or -1 if gpa is not RAM. */
struct hw_walk_ops {
	int (*read)(const struct hw_walk_ctx *ctx, u64 gpa, void *buf,
		    unsigned int len);
	/* Replace old by new atomically: 0 done, 1 it changed, -1 not RAM. */
	int (*cmpxchg)(const struct hw_walk_ctx *ctx, u64 gpa, u64 old,
		       u64 new, unsigned int len);
};

/* What the CPU's state says about translation. */
struct hw_walk_ctx {
	enum hw_paging mode;
	u64 cr3;
	u64 pdptes[4];		/* PAE: as loaded at CR3 load */
	bool wp;		/* CR0.WP */
	bool nx;		/* EFER.NXE */
	bool pse;		/* CR4.PSE (32-bit paging) */
	bool smep, smap;	/* CR4 */
	bool ac;		/* RFLAGS.AC (SMAP) */
	bool gbpages;		/* 1 GiB pages (CPUID) */
	int maxphyaddr;		/* reserved address bits above */
	const struct hw_walk_ops *ops;
	void *opaque;		/* the caller's */
};

/* The walk's result: a translation, or a fault. */
struct hw_walk {
	u64 gpa;		/* the translated address */
	u64 gfn;		/* of the 4 KiB page that holds it */
	unsigned int access;	/* HW_ACC_* the chain grants */
	int level;		/* of the leaf: 1, or 2/3 for a large page */
	int levels;		/* of the mode: 2 to 5 */
	bool dirty;		/* the leaf's D bit, after the walk */
	/*
	 * Level by level, from the top (index levels - 1) to the leaf: the
	 * gfn of the table read there and the entry found.  For PAE the top
	 * is the PDPT (table_gfn is CR3's), level 3.
	 */
	u64 table_gfn[HW_WALK_MAX_LEVELS];
	u64 pte[HW_WALK_MAX_LEVELS];
	u64 pte_gpa[HW_WALK_MAX_LEVELS];	/* where pte[] was read */
	/*
	 * The access the entries from the top down to this level grant
	 * together (HW_ACC_*): what a shadow page for the table the entry
	 * at this level points to inherits.
	 */
	unsigned int acc[HW_WALK_MAX_LEVELS];
	u32 error;		/* when it faults: the #PF error code */
};

/*
 * Walk addr for access (HW_PFERR_W/U/I, as an error code would say it,
 * and HW_ACC_IMPLICIT).  Sets accessed (and, for a write, dirty) bits
 * only when the translation succeeds.  Returns 0 (w->gpa valid), 1 for a
 * #PF (w->error), or -1 when a page table is not in guest RAM.
 */
#define HW_WALK_IMPLICIT	(1U << 8)
#define HW_WALK_NO_AD		(1U << 9)	/* look only, do not set A/D */
int hw_walk(const struct hw_walk_ctx *ctx, u64 addr, u32 access,
	    struct hw_walk *w);

/* The bits of an entry that are reserved at level (1-5) in mode. */
u64 hw_walk_rsvd(const struct hw_walk_ctx *ctx, int level, u64 pte);

#endif /* HWVIRT_WALK_H */
