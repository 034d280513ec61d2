/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: the guest page-table walker for one entry size, included by
 * walk.c once with PTTYPE 64 (PAE, 4- and 5-level long mode) and once
 * with PTTYPE 32 (32-bit paging).  See walk.h.
 */

#if PTTYPE == 64
#define FNAME(name)		paging64_##name
#define pt_element_t		u64
#define PT_INDEX_BITS		9
#elif PTTYPE == 32
#define FNAME(name)		paging32_##name
#define pt_element_t		u32
#define PT_INDEX_BITS		10
#else
#error PTTYPE must be 32 or 64
#endif

#define PT_ENTRIES		(1U << PT_INDEX_BITS)
#define PT_SHIFT(level)		(12 + PT_INDEX_BITS * ((level) - 1))
#define PT_INDEX(addr, level)	(((addr) >> PT_SHIFT(level)) & (PT_ENTRIES - 1))

/* The physical address a large leaf at level maps addr to. */
static u64 FNAME(large_gpa)(const struct hw_walk_ctx *ctx, pt_element_t pte,
			    int level, u64 addr)
{
	u64 size = 1ULL << PT_SHIFT(level);
	u64 base;

#if PTTYPE == 32
	/* PSE-36: bits 20:13 of the entry are address bits 39:32. */
	base = (pte & 0xffc00000U) | ((u64)(pte & 0x1fe000U) << 19);
	(void)ctx;
#else
	base = pte & 0x000ffffffffff000ULL & ~(size - 1);
	(void)ctx;
#endif
	return base | (addr & (size - 1));
}

/*
 * Is the entry at level a leaf?  Level 1 always; level 2 with PS (4 MiB
 * pages need CR4.PSE in 32-bit paging); level 3 with PS in long mode (a
 * 1 GiB page; PS is reserved there without 1 GiB pages).
 */
static bool FNAME(is_leaf)(const struct hw_walk_ctx *ctx, pt_element_t pte,
			   int level)
{
	if (level == 1)
		return true;
	if (!(pte & HW_PTE_PS))
		return false;
#if PTTYPE == 32
	return level == 2 && ctx->pse;
#else
	return level == 2 || (level == 3 && ctx->mode >= HW_PAGING_LONG4);
#endif
}

/* The entry's own access bits. */
static unsigned int FNAME(pte_access)(const struct hw_walk_ctx *ctx,
				      pt_element_t pte)
{
	unsigned int access = HW_ACC_X;

	if (pte & HW_PTE_W)
		access |= HW_ACC_W;
	if (pte & HW_PTE_U)
		access |= HW_ACC_U;
#if PTTYPE == 64
	if (ctx->nx && (pte & HW_PTE_NX))
		access &= ~HW_ACC_X;
#else
	(void)ctx;
#endif
	return access;
}

static int FNAME(walk)(const struct hw_walk_ctx *ctx, u64 addr, u32 access,
		       struct hw_walk *w)
{
	bool write = access & HW_PFERR_W, user = access & HW_PFERR_U;
	bool fetch = access & HW_PFERR_I;
	bool implicit = access & HW_WALK_IMPLICIT;
	u64 table;
	unsigned int acc = HW_ACC_ALL;
	int level, tries = 0;
	pt_element_t pte = 0;
	u32 err = 0;

restart:
	if (++tries > 8)
		return -1;		/* entries that keep changing */
	acc = HW_ACC_ALL;
#if PTTYPE == 32
	w->levels = 2;
	table = ctx->cr3 & 0xfffff000U;
#else
	if (ctx->mode == HW_PAGING_PAE) {
		u64 pdpte = ctx->pdptes[(addr >> 30) & 3];

		w->levels = 3;
		w->table_gfn[2] = (ctx->cr3 & 0xffffffe0U) >> 12;
		w->pte[2] = pdpte;
		w->pte_gpa[2] = (ctx->cr3 & 0xffffffe0U) + ((addr >> 30) & 3) * 8;
		w->acc[2] = HW_ACC_ALL;
		if (!(pdpte & HW_PTE_P))
			goto not_present;
		if (pdpte & hw_walk_rsvd(ctx, 3, pdpte))
			goto rsvd;
		table = pdpte & 0x000ffffffffff000ULL;
		level = 2;
		goto walk_levels;
	}
	w->levels = ctx->mode == HW_PAGING_LONG5 ? 5 : 4;
	table = ctx->cr3 & 0x000ffffffffff000ULL;
#endif
	level = w->levels;
#if PTTYPE == 64
walk_levels:
#endif
	for (;; level--) {
		u64 gpa = table + PT_INDEX(addr, level) * sizeof(pt_element_t);

		w->table_gfn[level - 1] = table >> 12;
		w->pte_gpa[level - 1] = gpa;
		if (ctx->ops->read(ctx, gpa, &pte, sizeof(pte)))
			return -1;
		w->pte[level - 1] = pte;
		if (!(pte & HW_PTE_P))
			goto not_present;
		if (pte & hw_walk_rsvd(ctx, level, pte))
			goto rsvd;
		acc &= FNAME(pte_access)(ctx, pte);
		w->acc[level - 1] = acc;
		if (FNAME(is_leaf)(ctx, pte, level))
			break;
		table = pte & (PTTYPE == 32 ? 0xfffff000ULL :
			       0x000ffffffffff000ULL);
	}

	w->level = level;
	w->access = acc;
	w->gpa = level == 1 ?
		 (pte & (PTTYPE == 32 ? 0xfffff000ULL : 0x000ffffffffff000ULL)) |
		 (addr & 0xfff) :
		 FNAME(large_gpa)(ctx, pte, level, addr);
	w->gfn = w->gpa >> 12;

	/* The permission checks (SDM 4.6). */
	if (user && !implicit) {
		if (!(acc & HW_ACC_U) || (write && !(acc & HW_ACC_W)) ||
		    (fetch && !(acc & HW_ACC_X)))
			goto protection;
	} else {
		if (write && ctx->wp && !(acc & HW_ACC_W))
			goto protection;
		if (fetch && !(acc & HW_ACC_X))
			goto protection;
		if (fetch && ctx->smep && (acc & HW_ACC_U))
			goto protection;
		if (!fetch && ctx->smap && (acc & HW_ACC_U) &&
		    (implicit || !ctx->ac))
			goto protection;
	}

	/* Accessed at every level, dirty at the leaf for a write. */
	if (!(access & HW_WALK_NO_AD)) {
		int l;

		for (l = w->levels; l >= level; l--) {
			pt_element_t old = w->pte[l - 1], new = old | HW_PTE_A;
			int r;

#if PTTYPE == 64
			if (ctx->mode == HW_PAGING_PAE && l == 3)
				continue;	/* a PDPTE has no A bit */
#endif
			if (l == level && write)
				new |= HW_PTE_D;
			if (new == old)
				continue;
			r = ctx->ops->cmpxchg(ctx, w->pte_gpa[l - 1], old, new,
					      sizeof(pt_element_t));
			if (r < 0)
				return -1;
			if (r > 0)
				goto restart;
			w->pte[l - 1] = new;
		}
	}
	w->dirty = w->pte[level - 1] & HW_PTE_D;
	return 0;

not_present:
	err = 0;
	goto fault;
rsvd:
	err = HW_PFERR_P | HW_PFERR_RSVD;
	goto fault;
protection:
	err = HW_PFERR_P;
fault:
	if (write)
		err |= HW_PFERR_W;
	if (user && !implicit)
		err |= HW_PFERR_U;
	if (fetch && ((PTTYPE == 64 && ctx->nx) || ctx->smep))
		err |= HW_PFERR_I;
	w->error = err;
	return 1;
}

#undef FNAME
#undef pt_element_t
#undef PT_INDEX_BITS
#undef PT_ENTRIES
#undef PT_SHIFT
#undef PT_INDEX
