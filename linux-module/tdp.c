// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the TDP MMU, two-dimensional paging (AMD NPT, Intel EPT).
 *
 * One table per VM maps guest-physical frames (gfn) to the host frames
 * (pfn) of the userspace memory the memory slots name.  It has 4 or 5
 * levels, as the backend says (tdp_levels()): AMD's CPU walks the nested
 * table in the host's own paging mode, so a host running 5-level paging
 * (CR4.LA57) needs a 5-level table, whatever paging the guest uses.  The
 * gfns a table reaches are those below 2^(9 * levels).  Leaves are
 * 4 KiB and built on demand, at nested page faults; each present leaf
 * holds a reference on its page (get_user_pages), dropped when the leaf
 * is zapped: when a slot changes, when the host unmaps the memory (MMU
 * notifier) and when the VM dies.  A zap flushes the guests' TLBs before
 * the page references go, so no vCPU can reach a freed page.
 *
 * The entries are in the backend's format (struct hwvirt_tdp_format):
 * NPT's are long-mode page-table entries, with U set in every entry as
 * every guest access counts as a user access; EPT's have R, W and X, and
 * leaves say write-back.  Bit 0 is set in every present entry of either
 * (NPT P, EPT R: we never build execute-only entries), bit 1 is W.
 *
 * Dirty logging: a leaf of a logging slot is writable (W) only after a
 * write faulted on it, which marks the page dirty; TDP_SW_WRITABLE says
 * that the page itself may be written (it was taken for writing), so
 * such a fault only sets W.  Leaves are 4 KiB: there are no large
 * mappings to split when logging starts.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <asm/io.h>

#include "mmu.h"
#include "x86.h"

#define TDP_P		(1ULL << 0)	/* NPT P, EPT R */
#define TDP_W		(1ULL << 1)	/* both */
#define TDP_ADDR_MASK	0x000ffffffffff000ULL
#define TDP_ENTRIES	512

/*
 * Software bit, ignored by the CPU in either format (NPT AVL, EPT
 * "ignored"; bits 8-10 are EPT's A, D and user-execute): the leaf maps
 * its page writable.
 */
#define TDP_SW_WRITABLE	(1ULL << 11)

int hwvirt_tdp_init(struct hwvirt_vm *vm)
{
	struct page *root;
	int levels = hwvirt_backend->tdp_levels();

	if (WARN_ON_ONCE(levels < HWVIRT_TDP_MIN_LEVELS ||
			 levels > HWVIRT_TDP_MAX_LEVELS))
		return -EINVAL;
	root = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!root)
		return -ENOMEM;
	vm->tdp.root = page_address(root);
	vm->tdp.root_pa = page_to_phys(root);
	vm->tdp.levels = levels;
	vm->tdp.fmt = hwvirt_backend->tdp_format;
	return 0;
}

phys_addr_t hwvirt_tdp_root(struct hwvirt_vm *vm)
{
	return vm->tdp.root_pa;
}

/* The first gfn a table of the VM's depth cannot reach. */
static u64 tdp_gfn_end(struct hwvirt_vm *vm)
{
	return 1ULL << (9 * vm->tdp.levels);
}

static unsigned int tdp_index(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & (TDP_ENTRIES - 1);
}

static u64 *tdp_table(u64 entry)
{
	return phys_to_virt(entry & TDP_ADDR_MASK);
}

/* Drop the page a leaf maps: it may be gone once we return. */
static void tdp_release_leaf(struct hwvirt_vm *vm, u64 leaf)
{
	struct page *page = pfn_to_page((leaf & TDP_ADDR_MASK) >> PAGE_SHIFT);

	if (leaf & TDP_SW_WRITABLE)
		SetPageDirty(page);
	put_page(page);
	vm->tdp.nr_mapped--;
}

/*
 * Clear the leaves for gfns [start, end) under table (at level), into
 * pages[] (up to max); returns how many were collected, and sets *next to
 * the gfn to continue from when pages[] filled up.
 */
static int tdp_zap_range(u64 *table, int level, u64 base, u64 start, u64 end,
			 u64 *pages, int max, int n, u64 *next)
{
	u64 span = 1ULL << (9 * (level - 1));
	unsigned int i;

	for (i = tdp_index(start > base ? start : base, level);
	     i < TDP_ENTRIES; i++) {
		u64 gfn = base + i * span;

		if (gfn >= end)
			break;
		if (!(table[i] & TDP_P))
			continue;
		if (level == 1) {
			if (n == max) {
				*next = gfn;
				return n;
			}
			pages[n++] = table[i];
			table[i] = 0;
			continue;
		}
		n = tdp_zap_range(tdp_table(table[i]), level - 1, gfn, start,
				  end, pages, max, n, next);
		if (n == max && *next)
			return n;
	}
	return n;
}

#define TDP_ZAP_BATCH	64

/*
 * Zap [start, end) gfns: clear the leaves, make every vCPU flush its TLB,
 * then drop the pages.  Called with mmu_lock held.
 */
static void tdp_zap_locked(struct hwvirt_vm *vm, u64 start, u64 end)
{
	u64 leaves[TDP_ZAP_BATCH];
	u64 next;
	int n, i;

	lockdep_assert_held(&vm->mmu_lock);
	while (start < end) {
		next = 0;
		n = tdp_zap_range(vm->tdp.root, vm->tdp.levels, 0, start, end,
				  leaves, TDP_ZAP_BATCH, 0, &next);
		if (!n)
			break;
		hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
		for (i = 0; i < n; i++)
			tdp_release_leaf(vm, leaves[i]);
		if (!next)
			break;
		start = next;
	}
}

void hwvirt_tdp_zap_gfn_range(struct hwvirt_vm *vm, u64 start, u64 end)
{
	spin_lock(&vm->mmu_lock);
	tdp_zap_locked(vm, start, end);
	spin_unlock(&vm->mmu_lock);
}

static void tdp_free_tables(u64 *table, int level)
{
	unsigned int i;

	if (level > 1) {
		for (i = 0; i < TDP_ENTRIES; i++)
			if (table[i] & TDP_P)
				tdp_free_tables(tdp_table(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

void hwvirt_tdp_destroy(struct hwvirt_vm *vm)
{
	if (!vm->tdp.root)
		return;
	hwvirt_tdp_zap_gfn_range(vm, 0, tdp_gfn_end(vm));
	tdp_free_tables(vm->tdp.root, vm->tdp.levels);
	vm->tdp.root = NULL;
}

/* Leaves [start, end) lose W; true if one had it.  Under mmu_lock. */
static bool tdp_wrprotect(u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (9 * (level - 1));
	bool flush = false;
	unsigned int i;

	for (i = tdp_index(start > base ? start : base, level);
	     i < TDP_ENTRIES; i++) {
		u64 gfn = base + i * span;

		if (gfn >= end)
			break;
		if (!(table[i] & TDP_P))
			continue;
		if (level > 1) {
			flush |= tdp_wrprotect(tdp_table(table[i]), level - 1,
					       gfn, start, end);
		} else if (table[i] & TDP_W) {
			table[i] &= ~TDP_W;
			flush = true;
		}
	}
	return flush;
}

bool hwvirt_tdp_wrprotect_range(struct hwvirt_vm *vm, u64 start, u64 end)
{
	lockdep_assert_held(&vm->mmu_lock);
	if (start >= tdp_gfn_end(vm))
		return false;
	return tdp_wrprotect(vm->tdp.root, vm->tdp.levels, 0, start,
			     min(end, tdp_gfn_end(vm)));
}

/*
 * A write fault on a present leaf of a page that may be written (write-
 * protected for dirty logging): make it writable and log the page.
 * True if the leaf is fine for the write now.  Under mmu_lock.
 */
static bool tdp_write_present(struct hwvirt_vcpu *vcpu,
			      const struct hwvirt_slot *slot, u64 gfn, u64 *leaf)
{
	if (!leaf || !(*leaf & TDP_P) || !(*leaf & TDP_SW_WRITABLE))
		return false;
	if (!(*leaf & TDP_W)) {
		hwvirt_slot_mark_dirty(slot, gfn);
		*leaf |= TDP_W;
		vcpu->stat[HWVIRT_STAT_DIRTY_FAULTS]++;
	}
	return true;
}

/* Page-table pages allocated before taking mmu_lock. */
struct tdp_cache {
	int nr;
	void *pages[HWVIRT_MMU_CACHE_PAGES];
};

static int tdp_cache_fill(struct tdp_cache *c)
{
	while (c->nr < HWVIRT_MMU_CACHE_PAGES) {
		void *p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!p)
			return -ENOMEM;
		c->pages[c->nr++] = p;
	}
	return 0;
}

static void tdp_cache_free(struct tdp_cache *c)
{
	while (c->nr)
		free_page((unsigned long)c->pages[--c->nr]);
}

/*
 * The leaf entry for gfn (mmu_lock held), building the tables on the way
 * from c; without c, NULL if a table on the way is missing.
 */
static u64 *tdp_walk(struct hwvirt_vm *vm, u64 gfn, struct tdp_cache *c)
{
	u64 *table = vm->tdp.root;
	int level;

	for (level = vm->tdp.levels; level > 1; level--) {
		u64 *e = &table[tdp_index(gfn, level)];

		if (!(*e & TDP_P)) {
			void *p;

			if (!c || WARN_ON_ONCE(!c->nr))
				return NULL;
			p = c->pages[--c->nr];
			*e = virt_to_phys(p) | vm->tdp.fmt->table;
		}
		table = tdp_table(*e);
	}
	return &table[tdp_index(gfn, 1)];
}

/*
 * A nested page fault at gpa.  Returns 0 when the fault is handled (the
 * page is mapped, or the guest should simply retry), 1 when gpa is not
 * RAM (emulate it as MMIO), or a negative errno.
 */
int hwvirt_tdp_fault(struct hwvirt_vcpu *vcpu, u64 gpa, bool write)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct tdp_cache cache = { 0 };
	const struct hwvirt_slot *slot;
	struct hwvirt_slots *slots;
	unsigned long mmu_seq, hva;
	struct page *page;
	bool writable;
	u64 gfn = gpa >> PAGE_SHIFT, *leaf;
	int idx, r;

	/* Beyond every slot (hwvirt_gpa_bits bounds them): MMIO. */
	if (gpa >> hwvirt_gpa_bits || gfn >= tdp_gfn_end(vm))
		return 1;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	slot = hwvirt_slot_find(slots, gfn);
	if (slot && (slot->flags & HWVIRT_SLOT_INVALID)) {
		/* Going away: the guest faults again once it is gone. */
		srcu_read_unlock(&vm->srcu, idx);
		return 0;
	}
	if (!slot || (write && (slot->flags & HWVIRT_MEM_READONLY))) {
		srcu_read_unlock(&vm->srcu, idx);
		return 1;
	}
	writable = !(slot->flags & HWVIRT_MEM_READONLY);
	hva = slot->hva + ((gfn - slot->base_gfn) << PAGE_SHIFT);

	/* Write-protected for dirty logging: no need for the page again. */
	if (write) {
		bool done;

		spin_lock(&vm->mmu_lock);
		done = tdp_write_present(vcpu, slot, gfn,
					 tdp_walk(vm, gfn, NULL));
		spin_unlock(&vm->mmu_lock);
		if (done) {
			srcu_read_unlock(&vm->srcu, idx);
			return 0;
		}
	}

	mmu_seq = READ_ONCE(vm->mmu_invalidate_seq);
	/*
	 * Read the invalidation sequence before faulting the page in; the
	 * recheck under mmu_lock then catches an invalidation in between.
	 */
	smp_rmb();

	r = get_user_pages_unlocked(hva, 1, &page, writable ? FOLL_WRITE : 0);
	if (r != 1) {
		srcu_read_unlock(&vm->srcu, idx);
		return r < 0 ? r : -EFAULT;
	}
	r = tdp_cache_fill(&cache);
	if (r) {
		put_page(page);
		goto out;
	}

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_invalidate_in_progress ||
	    vm->mmu_invalidate_seq != mmu_seq) {
		/* The host changed the mapping meanwhile: let the guest retry. */
		spin_unlock(&vm->mmu_lock);
		put_page(page);
		goto out;
	}
	leaf = tdp_walk(vm, gfn, &cache);
	if (!leaf) {
		spin_unlock(&vm->mmu_lock);
		put_page(page);
		r = -ENOMEM;
		goto out;
	}
	if (*leaf & TDP_P) {
		/* Another vCPU mapped it first. */
		if (write)
			tdp_write_present(vcpu, slot, gfn, leaf);
		spin_unlock(&vm->mmu_lock);
		put_page(page);
		goto out;
	}
	*leaf = page_to_phys(page) | vm->tdp.fmt->leaf;
	if (writable) {
		/* Logging: writable at the first write, which it records. */
		*leaf |= TDP_SW_WRITABLE;
		if (write || !slot->dirty_bitmap) {
			*leaf |= TDP_W;
			hwvirt_slot_mark_dirty(slot, gfn);
		}
	}
	vm->tdp.nr_mapped++;
	spin_unlock(&vm->mmu_lock);
out:
	srcu_read_unlock(&vm->srcu, idx);
	tdp_cache_free(&cache);
	return r;
}
