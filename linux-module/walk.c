// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the guest page-table walker (see walk.h), one template per
 * entry size.  Builds in the kernel and in userspace.
 */

#include "walk.h"

#define BITS(hi, lo)	(((~0ULL) >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

u64 hw_walk_rsvd(const struct hw_walk_ctx *ctx, int level, u64 pte)
{
	/* Address bits the CPU does not have, up to bit 51. */
	u64 high = ctx->maxphyaddr >= 52 ? 0 : BITS(51, ctx->maxphyaddr);
	u64 rsvd;

	switch (ctx->mode) {
	case HW_PAGING_32:
		if (level == 2 && (pte & HW_PTE_PS) && ctx->pse) {
			/*
			 * A 4 MiB page: bit 21, and the PSE-36 bits (20:13,
			 * address bits 39:32) the CPU has no address for.
			 */
			int pse36 = (ctx->maxphyaddr < 40 ? ctx->maxphyaddr : 40) - 32;

			rsvd = 1ULL << 21;
			if (pse36 < 8)
				rsvd |= BITS(20, 13 + pse36);
			return rsvd;
		}
		return 0;
	case HW_PAGING_PAE:
		/* Legacy PAE: bits 62:52 are reserved as well. */
		high |= BITS(62, 52);
		if (level == 3)		/* a PDPTE */
			return high | HW_PTE_NX | BITS(2, 1) | BITS(8, 5);
		break;
	default:
		break;
	}
	rsvd = high;
	if (!ctx->nx)
		rsvd |= HW_PTE_NX;
	switch (level) {
	case 5:
	case 4:
		rsvd |= HW_PTE_PS;
		break;
	case 3:
		if (pte & HW_PTE_PS)
			rsvd |= ctx->gbpages ? BITS(29, 13) : HW_PTE_PS;
		break;
	case 2:
		if (pte & HW_PTE_PS)
			rsvd |= BITS(20, 13);
		break;
	}
	return rsvd;
}

#define PTTYPE 64
#include "paging_tmpl.h"
#undef PTTYPE

#define PTTYPE 32
#include "paging_tmpl.h"
#undef PTTYPE

int hw_walk(const struct hw_walk_ctx *ctx, u64 addr, u32 access,
	    struct hw_walk *w)
{
	w->error = 0;
	w->dirty = false;
	switch (ctx->mode) {
	case HW_PAGING_OFF:
		w->gpa = addr;
		w->gfn = addr >> 12;
		w->access = HW_ACC_ALL;
		w->level = 1;
		w->levels = 0;
		w->dirty = true;
		return 0;
	case HW_PAGING_32:
		return paging32_walk(ctx, addr & 0xffffffffULL, access, w);
	case HW_PAGING_PAE:
		return paging64_walk(ctx, addr & 0xffffffffULL, access, w);
	default:
		return paging64_walk(ctx, addr, access, w);
	}
}
