// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the shadow MMU.
 *
 * Without nested paging the CPU walks page tables that translate guest
 * linear addresses straight to host frames: shadow tables the module
 * derives from the guest's own, on demand, at #PF intercepts.  This is a
 * caching shadow MMU on the model of KVM's (Documentation/virt/kvm/x86/
 * mmu.rst, whose vocabulary we use): shadow pages live on after a CR3
 * switch or a TLB flush, so that a guest switching among address spaces
 * finds their translations still there.
 *
 * Shadow pages.  A shadow page (struct hwvirt_sp) is one table of 512
 * 8-byte entries (sptes) in long-mode format.  It shadows one guest page
 * table, identified by the gfn of that table and a role: the level, the
 * guest's entry format, the access the guest entries above it grant,
 * and the parts of the paging mode that change what its sptes say
 * (CR0.WP, EFER.NXE, ...).  A guest table used in two roles has two
 * shadow pages.  A 32-bit guest table of 1024 4-byte entries needs more
 * than one shadow table: the role's quadrant says which part (a page
 * table: two halves of 2 MiB; a page directory: four quarters of 1 GiB).
 * A direct shadow page shadows no guest table: it maps a guest large
 * page (2 MiB, 4 MiB, 1 GiB) in 4 KiB pieces, or guest-physical memory
 * 1:1 while the guest runs without paging; its gfn is the first it maps.
 * Shadow pages are hashed by gfn, and found by (gfn, role).
 *
 * Roots.  In long mode the CPU's CR3 points to the root shadow page of
 * the guest's CR3.  Otherwise (paging off, 32-bit, PAE) the CPU runs PAE
 * paging from a per-vCPU page of four PDPTEs that point to four root
 * shadow pages of level 2.  A vCPU keeps the roots of its last few long-
 * mode address spaces (HWVIRT_SHADOW_PREV_ROOTS) besides the current one.
 *
 * Write protection.  The shadows stay in step with the guest's tables
 * because every guest page that has an indirect shadow page is mapped
 * read-only by every spte (the reverse map of each gfn lists the sptes
 * that map it): a guest write to a page table faults, the module
 * emulates the instruction, and the sptes its write changed are zapped.
 * A page table written HWVIRT_SHADOW_FLOOD_WRITES times without being
 * walked in between is taken for reused memory, and its shadow pages go;
 * so do those of a page the emulator cannot write.
 *
 * Unsync.  Guests write their last-level tables all the time (every
 * page fault, fork, exit), and need not see a change before they flush
 * their TLB.  So a write to a guest table shadowed only at level 1 does
 * not trap twice: its shadow pages go unsync (the guest table becomes
 * writable) and are brought back in step, and write-protected again,
 * when the guest flushes: INVLPG syncs the one entry it names, a flush
 * of everything (a CR3 load, a CR4.PGE toggle, INVPCID) syncs every
 * unsync page.  Linking an unsync page under a new parent syncs it
 * first, as what it holds might be stale beyond what any TLB could hold.
 * Tables of higher levels stay write-protected, always in step.
 *
 * Faults.  A #PF intercept walks the guest's tables (walk.c), which sets
 * their accessed and dirty bits; a guest fault goes back to the guest
 * with its exact error code; else the shadow entries for the address
 * are built, level by level.  The walk runs without the MMU lock, so
 * under the lock each guest entry it read is read again once the table
 * that holds it is write-protected (KVM's gpte_changed): a write that
 * slipped in between makes the guest fault again, to walk again.
 *
 * Memory.  sptes do not pin the pages they map: the MMU notifier zaps
 * them, through the reverse maps, before the host frees a page.  Shadow
 * pages are charged to the VM's process and bounded (shadow_pages module
 * parameter; by default 2% of guest memory); past the bound the least
 * recently used ones are reclaimed.
 *
 * Locking: everything here is under vm->mmu_lock, but the walk, the
 * emulation of page-table writes and the allocations, which come before.
 * Zapped shadow pages are freed only after every vCPU flushed its TLB
 * (hwvirt_request_all() returns when no vCPU runs with the old one); a
 * zapped root still in use is marked invalid and freed by its last user.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/hash.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/srcu.h>
#include <linux/uaccess.h>
#include <asm/io.h>

#include "mmu.h"
#include "walk.h"
#include "x86.h"

/* spte bits: long-mode page-table entries (walk.h's HW_PTE_*). */
#define SPTE_ADDR_MASK		0x000ffffffffff000ULL
/* A link to a child shadow page grants everything: the leaf decides. */
#define SPTE_LINK		(HW_PTE_P | HW_PTE_W | HW_PTE_U | HW_PTE_A)
#define SPT_ENTRIES		512

/*
 * The role of a shadow page: what, besides the gfn, makes two shadow
 * pages of one guest table different.
 */
union sp_role {
	u32 word;
	struct {
		u32 level:3;		/* 1 (maps pages) to 5 */
		u32 gpte4:1;		/* the guest table has 4-byte entries */
		u32 quadrant:2;		/* the part of a 32-bit guest table */
		u32 direct:1;		/* maps gfn.. 1:1, no guest table */
		u32 access:3;		/* HW_ACC_* granted from above */
		u32 cr0_wp:1;
		u32 efer_nx:1;
		u32 smep_andnot_wp:1;	/* sptes of the CR0.WP=0 trick get NX */
		u32 pse:1;		/* CR4.PSE, for 32-bit guests */
		u32 long_mode:1;	/* long-mode entries (not PAE's) */
		u32 invalid:1;		/* zapped while a vCPU used it as root */
	};
};

/* A shadow page; every field under mmu_lock. */
struct hwvirt_sp {
	struct hlist_node hash_link;	/* in shadow.hash, while valid */
	struct list_head link;		/* in shadow.active, or a zap list */
	u64 gfn;
	union sp_role role;
	u64 *spt;			/* the table; its page's private is us */
	/*
	 * Indirect pages of level 1: the gfn each present leaf maps (the
	 * guest entry said so; the reverse map is found by it).
	 */
	u64 *gfns;
	unsigned long parents;		/* pte_list of the sptes linking here */
	int root_count;			/* vCPU roots (current and kept) */
	unsigned int write_flood;	/* writes since it was last walked */
	/* Level 1 only: out of step with the guest table, on shadow.unsync. */
	bool unsync;
	struct list_head unsync_link;
};

/*
 * A pte_list: the sptes that map one gfn (a reverse map) or that link to
 * one shadow page (its parents).  0: none; bit 0 clear: one spte
 * pointer; bit 0 set: a chain of blocks, all full but the first.
 */
#define PTE_LIST_EXT		14

struct pte_list_desc {
	struct pte_list_desc *more;
	unsigned long nr;
	u64 *sptes[PTE_LIST_EXT];
};

/* What a fault needs through its steps. */
struct shadow_fault {
	u64 addr;
	u32 access;			/* HW_PFERR_* and HW_WALK_IMPLICIT */
	bool write, user;
	struct hw_walk_ctx ctx;
	struct hw_walk walk;
	u64 gfn;
	const struct hwvirt_slot *slot;
	struct page *page;
	bool host_writable;
};

static bool prefetch_param = true;
module_param_named(shadow_prefetch, prefetch_param, bool, 0644);
MODULE_PARM_DESC(shadow_prefetch,
		 "Map a faulting page's accessed neighbours too (default on)");

static unsigned int shadow_pages_param;
module_param_named(shadow_pages, shadow_pages_param, uint, 0644);
MODULE_PARM_DESC(shadow_pages,
		 "Shadow pages per VM before reclaim (0: 2% of guest pages, at least 64)");

/* ------------------------------------------------------------------------
 * Allocation caches, filled before the MMU lock is taken
 */

enum { CACHE_PAGES, CACHE_SPS, CACHE_DESCS };

static int cache_topup(struct hwvirt_mmu_cache *c, int kind, int min)
{
	while (c->nr < min) {
		void *p;

		switch (kind) {
		case CACHE_PAGES:
			p = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
			break;
		case CACHE_SPS:
			p = kzalloc(sizeof(struct hwvirt_sp), GFP_KERNEL_ACCOUNT);
			break;
		default:
			p = kzalloc(sizeof(struct pte_list_desc),
				    GFP_KERNEL_ACCOUNT);
			break;
		}
		if (!p)
			return -ENOMEM;
		c->obj[c->nr++] = p;
	}
	return 0;
}

static void *cache_pop(struct hwvirt_mmu_cache *c)
{
	if (WARN_ON_ONCE(!c->nr))
		return NULL;
	return c->obj[--c->nr];
}

static void cache_free(struct hwvirt_mmu_cache *c, int kind)
{
	while (c->nr) {
		void *p = c->obj[--c->nr];

		if (kind == CACHE_PAGES)
			free_page((unsigned long)p);
		else
			kfree(p);
	}
}

static int mmu_topup(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;

	return cache_topup(&mmu->pages, CACHE_PAGES,
			   HWVIRT_SHADOW_CACHE_PAGES) ?:
	       cache_topup(&mmu->sps, CACHE_SPS, HWVIRT_SHADOW_CACHE_SPS) ?:
	       cache_topup(&mmu->descs, CACHE_DESCS,
			   HWVIRT_SHADOW_CACHE_DESCS);
}

/* ------------------------------------------------------------------------
 * pte_lists
 */

static struct pte_list_desc *pte_list_desc(unsigned long head)
{
	return (struct pte_list_desc *)(head & ~1UL);
}

/* Add spte; false if the vCPU's cache ran dry (it cannot: topped up). */
static bool pte_list_add(struct hwvirt_vcpu *vcpu, unsigned long *head,
			 u64 *spte)
{
	struct pte_list_desc *d, *n;

	if (!*head) {
		*head = (unsigned long)spte;
		return true;
	}
	if (!(*head & 1)) {
		n = cache_pop(&vcpu->mmu.descs);
		if (!n)
			return false;
		n->more = NULL;
		n->sptes[0] = (u64 *)*head;
		n->sptes[1] = spte;
		n->nr = 2;
		*head = (unsigned long)n | 1;
		return true;
	}
	d = pte_list_desc(*head);
	if (d->nr < PTE_LIST_EXT) {
		d->sptes[d->nr++] = spte;
		return true;
	}
	n = cache_pop(&vcpu->mmu.descs);
	if (!n)
		return false;
	n->more = d;
	n->sptes[0] = spte;
	n->nr = 1;
	*head = (unsigned long)n | 1;
	return true;
}

static void pte_list_remove(unsigned long *head, u64 *spte)
{
	struct pte_list_desc *first, *d;
	unsigned long i;

	if (!(*head & 1)) {
		WARN_ON_ONCE((u64 *)*head != spte);
		*head = 0;
		return;
	}
	first = pte_list_desc(*head);
	for (d = first; d; d = d->more) {
		for (i = 0; i < d->nr; i++) {
			if (d->sptes[i] != spte)
				continue;
			/* The first block's last entry fills the hole. */
			d->sptes[i] = first->sptes[--first->nr];
			if (first->nr == 0) {
				*head = first->more ?
					(unsigned long)first->more | 1 : 0;
				kfree(first);
			} else if (first->nr == 1 && !first->more) {
				*head = (unsigned long)first->sptes[0];
				kfree(first);
			}
			return;
		}
	}
	WARN_ONCE(1, "hwvirt: spte %p not in its list\n", spte);
}

/* Any one spte of the list, or NULL. */
static u64 *pte_list_first(unsigned long head)
{
	struct pte_list_desc *d;

	if (!head)
		return NULL;
	if (!(head & 1))
		return (u64 *)head;
	d = pte_list_desc(head);
	return d->sptes[d->nr - 1];
}

/* ------------------------------------------------------------------------
 * Shadow pages
 */

static struct hwvirt_sp *page_to_sp(u64 *table)
{
	return (struct hwvirt_sp *)page_private(virt_to_page(table));
}

/* The shadow page an spte is in. */
static struct hwvirt_sp *sptep_to_sp(u64 *sptep)
{
	return page_to_sp((u64 *)((unsigned long)sptep & PAGE_MASK));
}

/* The child a link points to. */
static struct hwvirt_sp *spte_child(u64 spte)
{
	return page_to_sp(phys_to_virt(spte & SPTE_ADDR_MASK));
}

static struct hlist_head *sp_bucket(struct hwvirt_vm *vm, u64 gfn)
{
	return &vm->shadow.hash[hash_64(gfn, HWVIRT_SHADOW_HASH_BITS)];
}

/* Does a guest page table live at gfn (is it write-protected)? */
static bool gfn_shadowed(struct hwvirt_vm *vm, u64 gfn)
{
	struct hwvirt_sp *sp;

	hlist_for_each_entry(sp, sp_bucket(vm, gfn), hash_link)
		if (sp->gfn == gfn && !sp->role.direct)
			return true;
	return false;
}

/*
 * The memory slots, for the reverse maps.  Every caller holds vm->srcu
 * or vm->lock, and the MMU lock: slots on their way out are invalid
 * (HWVIRT_SLOT_INVALID), never gone, while they still have sptes.
 */
static struct hwvirt_slots *shadow_slots(struct hwvirt_vm *vm)
{
	return srcu_dereference_check(vm->slots, &vm->srcu,
				      lockdep_is_held(&vm->lock) ||
				      lockdep_is_held(&vm->mmu_lock));
}

static unsigned long *gfn_rmap(struct hwvirt_vm *vm, u64 gfn)
{
	const struct hwvirt_slot *slot = hwvirt_slot_find(shadow_slots(vm), gfn);

	if (!slot || WARN_ON_ONCE(!slot->rmap))
		return NULL;
	return &slot->rmap[gfn - slot->base_gfn];
}

/* The gfn the leaf at index i of sp maps. */
static u64 leaf_gfn(struct hwvirt_sp *sp, unsigned int i)
{
	return sp->role.direct ? sp->gfn + i : sp->gfns[i];
}

/* Clear the leaf *sptep of sp (index i): its reverse map entry goes. */
static void drop_leaf(struct hwvirt_vm *vm, struct hwvirt_sp *sp,
		      unsigned int i)
{
	u64 spte = sp->spt[i];
	unsigned long *rmap = gfn_rmap(vm, leaf_gfn(sp, i));

	if (rmap)
		pte_list_remove(rmap, &sp->spt[i]);
	/* The page is the host's still (the notifier runs before it goes). */
	if (spte & HW_PTE_W)
		SetPageDirty(pfn_to_page((spte & SPTE_ADDR_MASK) >> PAGE_SHIFT));
	sp->spt[i] = 0;
	vm->shadow.nr_mapped--;
}

/* Clear entry i of sp, leaf or link. */
static void zap_spte(struct hwvirt_vm *vm, struct hwvirt_sp *sp,
		     unsigned int i)
{
	u64 spte = sp->spt[i];

	if (!(spte & HW_PTE_P))
		return;
	if (sp->role.level == 1) {
		drop_leaf(vm, sp, i);
		return;
	}
	pte_list_remove(&spte_child(spte)->parents, &sp->spt[i]);
	sp->spt[i] = 0;
}

/*
 * Zap sp: unlink it from its parents and its children, and put it on
 * the invalid list, to be freed by commit_zap() after a TLB flush.  A
 * root in use stays until its last user drops it (put_root()); the
 * vCPUs reload their roots before they enter again.
 */
static void prepare_zap(struct hwvirt_vm *vm, struct hwvirt_sp *sp,
			struct list_head *invalid)
{
	unsigned int i;
	u64 *sptep;

	if (sp->role.invalid)
		return;
	if (sp->unsync) {
		sp->unsync = false;
		list_del_init(&sp->unsync_link);
		vm->shadow.nr_unsync--;
	}
	for (i = 0; i < SPT_ENTRIES; i++)
		zap_spte(vm, sp, i);
	while ((sptep = pte_list_first(sp->parents))) {
		pte_list_remove(&sp->parents, sptep);
		*sptep = 0;
	}
	hlist_del_init(&sp->hash_link);
	vm->shadow.zapped++;
	if (sp->root_count) {
		sp->role.invalid = 1;
		hwvirt_request_all(vm, HWVIRT_REQ_MMU_RELOAD);
		return;
	}
	list_move(&sp->link, invalid);
}

/*
 * Shadow pages of every VM, for the debugfs file "shadow_pages_live": 0
 * once every VM is gone (the lab checks it for leaks).
 */
atomic_t hwvirt_shadow_live = ATOMIC_INIT(0);

static void free_sp(struct hwvirt_vm *vm, struct hwvirt_sp *sp)
{
	atomic_dec(&hwvirt_shadow_live);
	list_del(&sp->link);
	set_page_private(virt_to_page(sp->spt), 0);
	free_page((unsigned long)sp->spt);
	free_page((unsigned long)sp->gfns);
	kfree(sp);
	vm->shadow.nr_pages--;
}

/* Free what prepare_zap() collected, once no CPU can walk it. */
static void commit_zap(struct hwvirt_vm *vm, struct list_head *invalid)
{
	struct hwvirt_sp *sp, *n;

	if (list_empty(invalid))
		return;
	hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
	list_for_each_entry_safe(sp, n, invalid, link)
		free_sp(vm, sp);
}

static bool spte_write_protect(u64 *sptep)
{
	if (!(*sptep & HW_PTE_W))
		return false;
	*sptep &= ~(u64)HW_PTE_W;
	return true;
}

/* Remove write access from every spte that maps gfn; true if any had it. */
static bool write_protect_gfn(struct hwvirt_vm *vm, u64 gfn)
{
	unsigned long *rmap = gfn_rmap(vm, gfn);
	struct pte_list_desc *d;
	bool flush = false;
	unsigned long i;

	if (!rmap || !*rmap)
		return false;
	if (!(*rmap & 1))
		return spte_write_protect((u64 *)*rmap);
	for (d = pte_list_desc(*rmap); d; d = d->more)
		for (i = 0; i < d->nr; i++)
			flush |= spte_write_protect(d->sptes[i]);
	return flush;
}

/* Dirty logging: gfn's pages lose write access (mmu.c flushes). */
bool hwvirt_shadow_wrprotect_gfn(struct hwvirt_vm *vm, u64 gfn)
{
	lockdep_assert_held(&vm->mmu_lock);
	return write_protect_gfn(vm, gfn);
}

/*
 * The guest page at gfn becomes a table of a level above 1: its unsync
 * shadow pages, which let it be written, go (the caller write-protects
 * it).
 */
static void zap_unsync_of(struct hwvirt_vm *vm, u64 gfn)
{
	struct hwvirt_sp *sp;
	struct hlist_node *n;
	LIST_HEAD(invalid);

	hlist_for_each_entry_safe(sp, n, sp_bucket(vm, gfn), hash_link)
		if (sp->gfn == gfn && sp->unsync)
			prepare_zap(vm, sp, &invalid);
	commit_zap(vm, &invalid);
}

/*
 * The shadow page for (gfn, role), made if there is none (NULL if the
 * vCPU's caches ran dry).  Making an indirect one write-protects gfn;
 * the TLBs are flushed before we return, so no vCPU writes the guest
 * table behind our back from now on.
 */
static struct hwvirt_sp *get_sp(struct hwvirt_vcpu *vcpu, u64 gfn,
				union sp_role role, bool *found)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct hwvirt_mmu_cache *pages = &vcpu->mmu.pages;
	struct hwvirt_sp *sp;

	hlist_for_each_entry(sp, sp_bucket(vm, gfn), hash_link) {
		if (sp->gfn == gfn && sp->role.word == role.word) {
			list_move(&sp->link, &vm->shadow.active);
			*found = true;
			return sp;
		}
	}
	*found = false;
	if (pages->nr < 2 || !vcpu->mmu.sps.nr) {
		WARN_ON_ONCE(1);
		return NULL;
	}
	if (!role.direct && role.level > 1)
		zap_unsync_of(vm, gfn);
	sp = cache_pop(&vcpu->mmu.sps);
	memset(sp, 0, sizeof(*sp));
	INIT_LIST_HEAD(&sp->unsync_link);
	sp->gfn = gfn;
	sp->role = role;
	sp->spt = cache_pop(pages);
	set_page_private(virt_to_page(sp->spt), (unsigned long)sp);
	if (!role.direct && role.level == 1)
		sp->gfns = cache_pop(pages);
	hlist_add_head(&sp->hash_link, sp_bucket(vm, gfn));
	list_add(&sp->link, &vm->shadow.active);
	vm->shadow.nr_pages++;
	vm->shadow.created++;
	atomic_inc(&hwvirt_shadow_live);
	if (!role.direct) {
		vm->shadow.write_protects++;
		if (write_protect_gfn(vm, gfn))
			hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
	}
	return sp;
}

unsigned long hwvirt_shadow_max_pages(struct hwvirt_vm *vm)
{
	unsigned long n = READ_ONCE(shadow_pages_param);

	if (n)
		return max_t(unsigned long, n, HWVIRT_SHADOW_CACHE_SPS * 2);
	n = READ_ONCE(vm->shadow.guest_pages) * HWVIRT_SHADOW_PAGES_PER_MILLE /
	    1000;
	return max_t(unsigned long, n, HWVIRT_SHADOW_MIN_PAGES);
}

/* Below the limit by a fault's worth: zap the least recently used. */
static void make_room(struct hwvirt_vm *vm)
{
	struct hwvirt_shadow *s = &vm->shadow;
	unsigned long max = hwvirt_shadow_max_pages(vm);
	struct hwvirt_sp *sp, *prev;
	LIST_HEAD(invalid);

	unsigned long need;

	s->max_pages = max;
	if (s->nr_pages + HWVIRT_SHADOW_CACHE_SPS <= max)
		return;
	need = s->nr_pages + HWVIRT_SHADOW_CACHE_SPS - max;
	list_for_each_entry_safe_reverse(sp, prev, &s->active, link) {
		if (!need)
			break;
		if (sp->root_count || sp->role.invalid)
			continue;
		/*
		 * Zapping sp unlinks others, but moves and frees only sp:
		 * prev stays where it is.
		 */
		prepare_zap(vm, sp, &invalid);
		s->reclaimed++;
		need--;
	}
	commit_zap(vm, &invalid);
}

/* Zap every shadow page of the guest table at gfn. */
static void unshadow_gfn(struct hwvirt_vm *vm, u64 gfn)
{
	struct hwvirt_sp *sp;
	struct hlist_node *n;
	LIST_HEAD(invalid);

	hlist_for_each_entry_safe(sp, n, sp_bucket(vm, gfn), hash_link) {
		if (sp->gfn == gfn && !sp->role.direct) {
			prepare_zap(vm, sp, &invalid);
			vm->shadow.unshadows++;
		}
	}
	commit_zap(vm, &invalid);
}

/* The index of addr's entry in a shadow table of level. */
static unsigned int spt_index(u64 addr, int level)
{
	return (addr >> (PAGE_SHIFT + 9 * (level - 1))) & (SPT_ENTRIES - 1);
}

/* ------------------------------------------------------------------------
 * Guest tables under the MMU lock, and unsync pages
 */

/* size bytes of guest RAM at gpa, without sleeping: 0 or -EFAULT. */
static int read_guest_atomic(struct hwvirt_vm *vm, u64 gpa, void *val,
			     unsigned int size)
{
	const struct hwvirt_slot *slot;
	unsigned long hva;
	int r;

	slot = hwvirt_slot_find(shadow_slots(vm), gpa >> PAGE_SHIFT);
	if (!slot)
		return -EFAULT;
	hva = slot->hva + (((gpa >> PAGE_SHIFT) - slot->base_gfn) << PAGE_SHIFT) +
	      offset_in_page(gpa);
	pagefault_disable();
	r = __copy_from_user_inatomic(val, (void __user *)hva, size);
	pagefault_enable();
	return r ? -EFAULT : 0;
}

/* May the guest table at gfn go unsync: is it shadowed at level 1 only? */
static bool can_unsync(struct hwvirt_vm *vm, u64 gfn)
{
	struct hwvirt_sp *sp;

	hlist_for_each_entry(sp, sp_bucket(vm, gfn), hash_link)
		if (sp->gfn == gfn && !sp->role.direct && sp->role.level != 1)
			return false;
	return true;
}

static void unsync_gfn(struct hwvirt_vm *vm, u64 gfn)
{
	struct hwvirt_sp *sp;

	hlist_for_each_entry(sp, sp_bucket(vm, gfn), hash_link) {
		if (sp->gfn != gfn || sp->role.direct || sp->unsync)
			continue;
		sp->unsync = true;
		list_add(&sp->unsync_link, &vm->shadow.unsync);
		vm->shadow.nr_unsync++;
		vm->shadow.unsyncs++;
	}
}

/* The walker's context for the entries of a shadow page's role. */
static void role_ctx(struct hwvirt_vcpu *vcpu, union sp_role role,
		     struct hw_walk_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->mode = role.gpte4 ? HW_PAGING_32 :
		    role.long_mode ? HW_PAGING_LONG4 : HW_PAGING_PAE;
	ctx->nx = role.efer_nx;
	ctx->maxphyaddr = vcpu->mmu.maxphyaddr;
}

static unsigned int gpte_access(const struct hw_walk_ctx *ctx, u64 gpte)
{
	unsigned int access = HW_ACC_X;

	if (gpte & HW_PTE_W)
		access |= HW_ACC_W;
	if (gpte & HW_PTE_U)
		access |= HW_ACC_U;
	if (ctx->mode != HW_PAGING_32 && ctx->nx && (gpte & HW_PTE_NX))
		access &= ~HW_ACC_X;
	return access;
}

/* A present leaf mapping pa with access (HW_ACC_*), writable aside. */
static u64 leaf_spte(u64 pa, unsigned int access)
{
	u64 spte = pa | HW_PTE_P | HW_PTE_A;

	if (access & HW_ACC_U)
		spte |= HW_PTE_U;
	if (!(access & HW_ACC_X))
		spte |= HW_PTE_NX;
	return spte;
}

/*
 * Bring leaf i of an unsync shadow page in step with its guest entry
 * gpte (read: false if the guest table could not be read): the entry
 * still maps the same page, accessed: the leaf keeps it, with the
 * entry's permissions now (never more than it had); else it goes, and a
 * fault maps what the entry says.
 */
static void sync_leaf(struct hwvirt_vcpu *vcpu, struct hwvirt_sp *sp,
		      unsigned int i, const struct hw_walk_ctx *ctx, u64 gpte,
		      bool read)
{
	u64 old = sp->spt[i], new;
	unsigned int access;

	if (!read || !(gpte & HW_PTE_P) || !(gpte & HW_PTE_A) ||
	    (gpte & hw_walk_rsvd(ctx, 1, gpte)) || !sp->role.cr0_wp ||
	    ((gpte & (sp->role.gpte4 ? 0xfffff000ULL : SPTE_ADDR_MASK)) >>
	     PAGE_SHIFT) != sp->gfns[i]) {
		drop_leaf(vcpu->vm, sp, i);
		return;
	}
	access = sp->role.access & gpte_access(ctx, gpte);
	new = leaf_spte(old & SPTE_ADDR_MASK, access);
	if ((old & HW_PTE_W) && (access & HW_ACC_W) && (gpte & HW_PTE_D))
		new |= HW_PTE_W | HW_PTE_D;
	sp->spt[i] = new;
}

/* The guest table's entries sp shadows start this many bytes in. */
static unsigned int sp_gpte_offset(const struct hwvirt_sp *sp)
{
	return sp->role.gpte4 ? sp->role.quadrant * SPT_ENTRIES * 4 : 0;
}

/* Leaf i of an unsync page in step (INVLPG). */
static void sync_spte(struct hwvirt_vcpu *vcpu, struct hwvirt_sp *sp,
		      unsigned int i)
{
	unsigned int size = sp->role.gpte4 ? 4 : 8;
	struct hw_walk_ctx ctx;
	u64 gpte = 0;
	bool read;

	if (!(sp->spt[i] & HW_PTE_P))
		return;
	role_ctx(vcpu, sp->role, &ctx);
	read = !read_guest_atomic(vcpu->vm, (sp->gfn << PAGE_SHIFT) +
				  sp_gpte_offset(sp) + i * size, &gpte, size);
	sync_leaf(vcpu, sp, i, &ctx, gpte, read);
}

/*
 * Every leaf of an unsync page in step: it is in sync again.  The guest
 * table is read at once, into the vCPU's buffer.
 */
static void sync_sp(struct hwvirt_vcpu *vcpu, struct hwvirt_sp *sp)
{
	struct hwvirt_shadow *s = &vcpu->vm->shadow;
	unsigned int size = sp->role.gpte4 ? 4 : 8, i;
	const u32 *g4 = vcpu->mmu.sync_buf;
	const u64 *g8 = vcpu->mmu.sync_buf;
	struct hw_walk_ctx ctx;
	bool read;

	role_ctx(vcpu, sp->role, &ctx);
	read = !read_guest_atomic(vcpu->vm, (sp->gfn << PAGE_SHIFT) +
				  sp_gpte_offset(sp), vcpu->mmu.sync_buf,
				  SPT_ENTRIES * size);
	for (i = 0; i < SPT_ENTRIES; i++)
		if (sp->spt[i] & HW_PTE_P)
			sync_leaf(vcpu, sp, i, &ctx, size == 4 ? g4[i] : g8[i],
				  read);
	sp->unsync = false;
	list_del_init(&sp->unsync_link);
	s->nr_unsync--;
	s->syncs++;
}

/*
 * Sync the unsync pages of gfn (those no table links to any more just
 * go) and write-protect gfn again; true if the TLBs must be flushed.
 */
static bool sync_gfn(struct hwvirt_vcpu *vcpu, u64 gfn,
		     struct list_head *invalid)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct hwvirt_sp *sp;
	struct hlist_node *n;

	hlist_for_each_entry_safe(sp, n, sp_bucket(vm, gfn), hash_link) {
		if (sp->gfn != gfn || !sp->unsync)
			continue;
		if (!sp->parents && !sp->root_count)
			prepare_zap(vm, sp, invalid);
		else
			sync_sp(vcpu, sp);
	}
	return write_protect_gfn(vm, gfn);
}

/* The guest flushed its whole TLB: every unsync page comes back in step. */
static void sync_all_locked(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vm *vm = vcpu->vm;
	LIST_HEAD(invalid);
	bool flush = false;

	while (!list_empty(&vm->shadow.unsync)) {
		struct hwvirt_sp *sp = list_first_entry(&vm->shadow.unsync,
							struct hwvirt_sp,
							unsync_link);

		flush |= sync_gfn(vcpu, sp->gfn, &invalid);
	}
	if (flush)
		hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
	commit_zap(vm, &invalid);
}

void hwvirt_shadow_flush_guest_tlb(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vm *vm = vcpu->vm;

	if (vm->mmu_mode != HWVIRT_MMU_SHADOW)
		return;
	spin_lock(&vm->mmu_lock);
	sync_all_locked(vcpu);
	spin_unlock(&vm->mmu_lock);
	hwvirt_backend->flush_tlb(vcpu);
}

/*
 * INVLPG (or INVPCID of one address): the leaf for gva, if its page is
 * unsync, comes back in step with the guest entry.  The caller flushes
 * the CPU's TLB for gva.
 */
void hwvirt_shadow_invlpg(struct hwvirt_vcpu *vcpu, u64 gva)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	struct hwvirt_vm *vm = vcpu->vm;
	struct hwvirt_sp *sp;

	vcpu->stat[HWVIRT_STAT_INVLPG_EXITS]++;
	spin_lock(&vm->mmu_lock);
	sp = mmu->root ? mmu->root : mmu->pae_roots[(gva >> 30) & 3];
	while (mmu->loaded && sp && !sp->role.invalid) {
		unsigned int idx = spt_index(gva, sp->role.level);

		if (!(sp->spt[idx] & HW_PTE_P))
			break;
		if (sp->role.level == 1) {
			if (sp->unsync)
				sync_spte(vcpu, sp, idx);
			break;
		}
		sp = spte_child(sp->spt[idx]);
	}
	spin_unlock(&vm->mmu_lock);
}

/* ------------------------------------------------------------------------
 * Roots
 */

static void put_root(struct hwvirt_vm *vm, struct hwvirt_sp *sp)
{
	LIST_HEAD(invalid);

	if (WARN_ON_ONCE(sp->root_count <= 0))
		return;
	if (--sp->root_count || !sp->role.invalid)
		return;
	list_move(&sp->link, &invalid);
	commit_zap(vm, &invalid);
}

/* Drop the vCPU's current roots (under mmu_lock). */
static void unload_roots_locked(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	int i;

	if (mmu->root)
		put_root(vcpu->vm, mmu->root);
	mmu->root = NULL;
	for (i = 0; i < 4; i++) {
		if (mmu->pae_roots[i])
			put_root(vcpu->vm, mmu->pae_roots[i]);
		mmu->pae_roots[i] = NULL;
		if (mmu->pae_root)
			mmu->pae_root[i] = 0;
	}
	mmu->loaded = false;
}

static void free_prev_roots_locked(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	int i;

	for (i = 0; i < HWVIRT_SHADOW_PREV_ROOTS; i++) {
		if (mmu->prev[i].sp)
			put_root(vcpu->vm, mmu->prev[i].sp);
		mmu->prev[i].sp = NULL;
	}
}

/* The role of the shadow pages for the guest's current paging mode. */
static union sp_role base_role(const struct hw_walk_ctx *ctx)
{
	union sp_role r = { .word = 0 };

	r.access = HW_ACC_ALL;
	if (ctx->mode == HW_PAGING_OFF) {
		r.direct = 1;
		return r;
	}
	r.gpte4 = ctx->mode == HW_PAGING_32;
	r.cr0_wp = ctx->wp;
	r.efer_nx = ctx->nx && !r.gpte4;
	r.smep_andnot_wp = ctx->smep && !ctx->wp;
	r.pse = r.gpte4 && ctx->pse;
	r.long_mode = ctx->mode >= HW_PAGING_LONG4;
	return r;
}

static u64 cr3_gfn(const struct hw_walk_ctx *ctx)
{
	u64 mask = ctx->mode == HW_PAGING_32 ? 0xfffff000ULL :
		   ((1ULL << ctx->maxphyaddr) - 1) & PAGE_MASK;

	return (ctx->cr3 & mask) >> PAGE_SHIFT;
}

/* Load the roots for the guest's paging state (caches topped up). */
static int load_roots_locked(struct hwvirt_vcpu *vcpu,
			     const struct hw_walk_ctx *ctx)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	struct hwvirt_vm *vm = vcpu->vm;
	union sp_role role = base_role(ctx);
	struct hwvirt_sp *sp;
	bool found;
	int i;

	mmu->maxphyaddr = ctx->maxphyaddr;
	if (ctx->mode >= HW_PAGING_LONG4) {
		u64 gfn = cr3_gfn(ctx);

		role.level = ctx->mode == HW_PAGING_LONG5 ? 5 : 4;
		for (i = 0; i < HWVIRT_SHADOW_PREV_ROOTS; i++) {
			struct hwvirt_shadow_root *p = &mmu->prev[i];

			if (p->sp && p->gfn == gfn && p->role == role.word &&
			    !p->sp->role.invalid) {
				/* Back to a recent address space. */
				mmu->root = p->sp;
				p->sp = NULL;
				vm->shadow.roots_reused++;
				list_move(&mmu->root->link, &vm->shadow.active);
				goto loaded;
			}
		}
		sp = get_sp(vcpu, gfn, role, &found);
		if (!sp)
			return -ENOMEM;
		if (found)
			vm->shadow.roots_reused++;
		sp->root_count++;
		mmu->root = sp;
loaded:
		mmu->hw_cr3 = virt_to_phys(mmu->root->spt);
		mmu->loaded = true;
		return 0;
	}

	role.level = 2;
	for (i = 0; i < 4; i++) {
		u64 gfn;

		switch (ctx->mode) {
		case HW_PAGING_OFF:
			gfn = (u64)i << 18;
			break;
		case HW_PAGING_32:
			gfn = cr3_gfn(ctx);
			role.quadrant = i;
			break;
		default:	/* PAE */
			if (!(ctx->pdptes[i] & HW_PTE_P)) {
				mmu->pae_root[i] = 0;
				continue;
			}
			gfn = (ctx->pdptes[i] & SPTE_ADDR_MASK &
			       ((1ULL << ctx->maxphyaddr) - 1)) >> PAGE_SHIFT;
			break;
		}
		sp = get_sp(vcpu, gfn, role, &found);
		if (!sp)
			return -ENOMEM;
		sp->root_count++;
		mmu->pae_roots[i] = sp;
		mmu->pae_root[i] = virt_to_phys(sp->spt) | HW_PTE_P;
	}
	mmu->hw_cr3 = virt_to_phys(mmu->pae_root);
	mmu->loaded = true;
	return 0;
}

int hwvirt_shadow_root(struct hwvirt_vcpu *vcpu, u64 *hw_cr3)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	struct hwvirt_vm *vm = vcpu->vm;
	struct hw_walk_ctx ctx;
	int r, idx;

	if (mmu->loaded) {
		*hw_cr3 = mmu->hw_cr3;
		return 0;
	}
	r = mmu_topup(vcpu);
	if (r)
		return r;
	hwvirt_walk_ctx(vcpu, &ctx);
	idx = srcu_read_lock(&vm->srcu);
	spin_lock(&vm->mmu_lock);
	make_room(vm);
	unload_roots_locked(vcpu);
	r = load_roots_locked(vcpu, &ctx);
	if (r)
		unload_roots_locked(vcpu);
	spin_unlock(&vm->mmu_lock);
	srcu_read_unlock(&vm->srcu, idx);
	*hw_cr3 = mmu->hw_cr3;
	return r;
}

void hwvirt_shadow_reset(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vm *vm = vcpu->vm;

	if (vm->mmu_mode != HWVIRT_MMU_SHADOW)
		return;
	spin_lock(&vm->mmu_lock);
	sync_all_locked(vcpu);
	unload_roots_locked(vcpu);
	free_prev_roots_locked(vcpu);
	spin_unlock(&vm->mmu_lock);
	hwvirt_backend->flush_tlb(vcpu);
}

void hwvirt_shadow_new_cr3(struct hwvirt_vcpu *vcpu, bool flush)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	struct hwvirt_vm *vm = vcpu->vm;

	if (vm->mmu_mode != HWVIRT_MMU_SHADOW)
		return;
	vcpu->stat[HWVIRT_STAT_CR3_LOADS]++;
	spin_lock(&vm->mmu_lock);
	/* PCID's no-flush bit: the guest keeps what its TLB may hold. */
	if (flush)
		sync_all_locked(vcpu);
	if (mmu->root && !mmu->root->role.invalid) {
		/* Keep the root for later; the oldest kept one goes. */
		struct hwvirt_shadow_root *last =
			&mmu->prev[HWVIRT_SHADOW_PREV_ROOTS - 1];

		if (last->sp)
			put_root(vm, last->sp);
		memmove(&mmu->prev[1], &mmu->prev[0],
			sizeof(mmu->prev[0]) * (HWVIRT_SHADOW_PREV_ROOTS - 1));
		mmu->prev[0] = (struct hwvirt_shadow_root) {
			.gfn = mmu->root->gfn, .role = mmu->root->role.word,
			.sp = mmu->root,
		};
		mmu->root = NULL;
	}
	unload_roots_locked(vcpu);
	spin_unlock(&vm->mmu_lock);
	/* The CPU's TLB holds the old address space (no PCIDs here). */
	hwvirt_backend->flush_tlb(vcpu);
}

void hwvirt_shadow_reload(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vm *vm = vcpu->vm;
	int i;

	spin_lock(&vm->mmu_lock);
	unload_roots_locked(vcpu);
	/* Kept roots that were zapped go too. */
	for (i = 0; i < HWVIRT_SHADOW_PREV_ROOTS; i++) {
		struct hwvirt_sp *sp = vcpu->mmu.prev[i].sp;

		if (sp && sp->role.invalid) {
			put_root(vm, sp);
			vcpu->mmu.prev[i].sp = NULL;
		}
	}
	spin_unlock(&vm->mmu_lock);
}

/* ------------------------------------------------------------------------
 * Faults
 */

/*
 * Is the guest entry the walk read at level not there any more?  Read
 * again under the MMU lock, once the table holding it is write-protected:
 * an unreadable page counts as changed (the guest faults again).
 */
static bool gpte_changed(struct hwvirt_vm *vm, struct shadow_fault *f,
			 int level)
{
	const struct hw_walk *w = &f->walk;
	unsigned int size = f->ctx.mode == HW_PAGING_32 ? 4 : 8;
	u64 val = 0;

	if (level < w->level || level > w->levels)
		return false;
	return read_guest_atomic(vm, w->pte_gpa[level - 1], &val, size) ||
	       val != w->pte[level - 1];
}

/* The role and gfn of the child of sp (level > 1) that f's address needs. */
static union sp_role child_of(struct hwvirt_sp *sp, unsigned int idx,
			      struct shadow_fault *f, u64 *gfn)
{
	int level = sp->role.level - 1;
	union sp_role role = sp->role;
	u64 span = 1ULL << (9 * level);		/* pages the child maps */

	role.level = level;
	role.quadrant = 0;
	if (sp->role.direct) {
		*gfn = sp->gfn + idx * span;
	} else if (f->walk.level > level) {
		/* A guest large page: mapped by direct shadow pages. */
		role.direct = 1;
		role.access = f->walk.access;
		*gfn = f->walk.gfn & ~(span - 1);
	} else {
		role.access = f->walk.acc[level];
		if (role.gpte4 && level == 1)
			role.quadrant = (f->addr >> 21) & 1;
		*gfn = f->walk.table_gfn[level - 1];
	}
	return role;
}

/* The leaf spte for f's page in a table of sp's role. */
static u64 make_leaf(struct shadow_fault *f, struct hwvirt_sp *sp,
		     bool writable)
{
	unsigned int access = f->walk.access;
	u64 spte = leaf_spte(page_to_phys(f->page), access);

	if (!writable)
		return spte;
	if (access & HW_ACC_W) {
		/* Writable once the guest's dirty bit is set. */
		if (f->write || f->walk.dirty)
			spte |= HW_PTE_W | HW_PTE_D;
	} else if (f->write) {
		/*
		 * CR0.WP=0 and a supervisor write to a read-only page: the
		 * spte lets supervisor writes through, and user accesses
		 * fault (and get the page back read-only).  With SMEP, the
		 * supervisor must not run the user page either.
		 */
		spte |= HW_PTE_W | HW_PTE_D;
		spte &= ~(u64)HW_PTE_U;
		if (sp->role.smep_andnot_wp)
			spte |= HW_PTE_NX;
	}
	return spte;
}

/* Make the leaf at index i of sp map f's page. */
static int set_leaf(struct hwvirt_vcpu *vcpu, struct hwvirt_sp *sp,
		    unsigned int i, struct shadow_fault *f)
{
	struct hwvirt_vm *vm = vcpu->vm;
	bool writable = f->host_writable;
	u64 new, old = sp->spt[i];

	/* A guest table: read-only, or (written, level 1 only) unsync. */
	if (writable && gfn_shadowed(vm, f->gfn)) {
		if (f->write && can_unsync(vm, f->gfn))
			unsync_gfn(vm, f->gfn);
		else
			writable = false;
	}
	/* Dirty logging: writable at a write, which the log records. */
	if (writable && f->slot->dirty_bitmap && !f->write)
		writable = false;
	new = make_leaf(f, sp, writable);
	if ((new & HW_PTE_W) && f->slot->dirty_bitmap) {
		hwvirt_slot_mark_dirty(f->slot, f->gfn);
		vcpu->stat[HWVIRT_STAT_DIRTY_FAULTS]++;
	}
	unsigned long *rmap;

	if (old & HW_PTE_P) {
		if (leaf_gfn(sp, i) == f->gfn &&
		    (old & SPTE_ADDR_MASK) == (new & SPTE_ADDR_MASK)) {
			sp->spt[i] = new;
			return 0;
		}
		drop_leaf(vm, sp, i);
	}
	rmap = gfn_rmap(vm, f->gfn);
	if (!rmap || !pte_list_add(vcpu, rmap, &sp->spt[i]))
		return -ENOMEM;
	if (sp->gfns)
		sp->gfns[i] = f->gfn;
	sp->spt[i] = new;
	vm->shadow.nr_mapped++;
	return 0;
}

/*
 * Map gfn at leaf j of sp ahead of a fault, with the page the host has
 * there now (none: nothing to do).  False when the vCPU's reverse-map
 * blocks run low: prefetching stops.
 */
static bool prefetch_one(struct hwvirt_vcpu *vcpu, struct hwvirt_sp *sp,
			 unsigned int j, u64 gfn, unsigned int access,
			 bool dirty)
{
	struct hwvirt_vm *vm = vcpu->vm;
	const struct hwvirt_slot *slot;
	unsigned long *rmap, hva;
	struct page *page;
	bool writable;
	u64 spte;

	slot = hwvirt_slot_find(shadow_slots(vm), gfn);
	if (!slot || (slot->flags & HWVIRT_SLOT_INVALID))
		return true;
	/* A reverse-map block to spare for the next fault. */
	if (vcpu->mmu.descs.nr < 2)
		return false;
	writable = (access & HW_ACC_W) && dirty &&
		   !(slot->flags & HWVIRT_MEM_READONLY) && !slot->dirty_bitmap &&
		   !gfn_shadowed(vm, gfn);
	hva = slot->hva + ((gfn - slot->base_gfn) << PAGE_SHIFT);
	if (writable && !get_user_page_fast_only(hva, FOLL_WRITE, &page))
		writable = false;
	if (!writable && !get_user_page_fast_only(hva, 0, &page))
		return true;
	rmap = gfn_rmap(vm, gfn);
	if (!rmap || !pte_list_add(vcpu, rmap, &sp->spt[j])) {
		put_page(page);
		return false;
	}
	spte = leaf_spte(page_to_phys(page), access);
	if (writable)
		spte |= HW_PTE_W | HW_PTE_D;
	if (sp->gfns)
		sp->gfns[j] = gfn;
	sp->spt[j] = spte;
	vm->shadow.nr_mapped++;
	vm->shadow.prefetched++;
	put_page(page);
	return true;
}

/*
 * Prefetch: map the neighbours of leaf idx in its aligned group of
 * HWVIRT_SHADOW_PREFETCH entries, so that a process (or the kernel,
 * through its large pages) going through memory takes a fault per
 * group, not per page.  In a guest table: the entries the guest has
 * accessed (present, A set), writable only if dirty.  In a direct page
 * (a guest large page, or paging off): the pages next to f's, writable
 * if f's large page is dirty.  Only pages the host has in place now.
 * Called under mmu_lock from a fault that found no MMU notifier
 * invalidation in progress: one that starts later zaps these leaves as
 * it zaps any.
 */
static void prefetch_leaves(struct hwvirt_vcpu *vcpu, struct hwvirt_sp *sp,
			    unsigned int idx, const struct shadow_fault *f)
{
	unsigned int size = sp->role.gpte4 ? 4 : 8;
	unsigned int first = idx & ~(HWVIRT_SHADOW_PREFETCH - 1), i;
	u64 gptes[HWVIRT_SHADOW_PREFETCH] = { 0 };
	u32 *gptes4 = (u32 *)gptes;
	struct hw_walk_ctx ctx;

	if (sp->role.direct) {
		bool dirty = f->walk.dirty || f->ctx.mode == HW_PAGING_OFF;

		for (i = first; i < first + HWVIRT_SHADOW_PREFETCH; i++)
			if (i != idx && !(sp->spt[i] & HW_PTE_P) &&
			    !prefetch_one(vcpu, sp, i, sp->gfn + i,
					  sp->role.access, dirty))
				return;
		return;
	}
	if (read_guest_atomic(vcpu->vm, (sp->gfn << PAGE_SHIFT) +
			      sp_gpte_offset(sp) + first * size, gptes,
			      HWVIRT_SHADOW_PREFETCH * size))
		return;
	role_ctx(vcpu, sp->role, &ctx);
	for (i = 0; i < HWVIRT_SHADOW_PREFETCH; i++) {
		unsigned int j = first + i;
		u64 gpte = size == 4 ? gptes4[i] : gptes[i];

		if (j == idx || (sp->spt[j] & HW_PTE_P))
			continue;
		if (!(gpte & HW_PTE_P) || !(gpte & HW_PTE_A) ||
		    (gpte & hw_walk_rsvd(&ctx, 1, gpte)))
			continue;
		if (!prefetch_one(vcpu, sp, j,
				  (gpte & (size == 4 ? 0xfffff000ULL :
					   SPTE_ADDR_MASK)) >> PAGE_SHIFT,
				  sp->role.access & gpte_access(&ctx, gpte),
				  gpte & HW_PTE_D))
			return;
	}
}

/*
 * Build the shadow entries from the root to the leaf for f's address.
 * 0, HWVIRT_RESUME to let the guest fault again (a guest entry changed,
 * the root went), or -ENOMEM.
 */
static int fetch(struct hwvirt_vcpu *vcpu, struct shadow_fault *f)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	struct hwvirt_vm *vm = vcpu->vm;
	struct hwvirt_sp *sp, *child;
	unsigned int idx;
	bool found;
	u64 gfn;

	sp = mmu->root ? mmu->root : mmu->pae_roots[(f->addr >> 30) & 3];
	if (!mmu->loaded || !sp || sp->role.invalid)
		return HWVIRT_RESUME;
	/* The top table is write-protected since the root was made. */
	if (!sp->role.direct && gpte_changed(vm, f, sp->role.level))
		return HWVIRT_RESUME;

	for (;;) {
		sp->write_flood = 0;
		list_move(&sp->link, &vm->shadow.active);
		idx = spt_index(f->addr, sp->role.level);
		if (sp->role.level == 1) {
			int r = set_leaf(vcpu, sp, idx, f);

			if (!r && prefetch_param)
				prefetch_leaves(vcpu, sp, idx, f);
			return r;
		}

		if (sp->spt[idx] & HW_PTE_P) {
			child = spte_child(sp->spt[idx]);
			found = true;
		} else {
			union sp_role role = child_of(sp, idx, f, &gfn);

			child = get_sp(vcpu, gfn, role, &found);
			if (!child)
				return -ENOMEM;
		}
		/*
		 * An unsync page comes into a new place: what it holds may
		 * be older than any TLB entry could be.
		 */
		if (found && child->unsync && !(sp->spt[idx] & HW_PTE_P)) {
			sync_sp(vcpu, child);
			if (write_protect_gfn(vm, child->gfn))
				hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
		}
		/* The child's table is write-protected now: check its entry. */
		if (!child->role.direct &&
		    gpte_changed(vm, f, child->role.level))
			return HWVIRT_RESUME;
		if (!(sp->spt[idx] & HW_PTE_P)) {
			if (!pte_list_add(vcpu, &child->parents, &sp->spt[idx]))
				return -ENOMEM;
			sp->spt[idx] = virt_to_phys(child->spt) | SPTE_LINK;
		}
		sp = child;
	}
}

/*
 * A write to a guest page table: emulate it (the MMU hears of it through
 * hwvirt_mmu_guest_wrote()).  An instruction the emulator does not have
 * unshadows the page and runs again, once: the same one failing again on
 * the same page is an error.
 */
static int pt_write(struct hwvirt_vcpu *vcpu, struct shadow_fault *f)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;
	struct hwvirt_vm *vm = vcpu->vm;
	int r;

	r = hwvirt_emulate_write_fault(vcpu, f->addr, f->walk.gpa);
	if (r >= 0) {
		vcpu->stat[HWVIRT_STAT_PT_WRITES]++;
		return r;
	}
	if (r != -EOPNOTSUPP)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY, 0,
					     f->addr, f->walk.gpa, f->walk.gpa);
	if (mmu->retry_rip == vcpu->rip && mmu->retry_gfn == f->gfn)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_EMULATION, 0,
					     f->addr, f->walk.gpa, f->walk.gpa);
	mmu->retry_rip = vcpu->rip;
	mmu->retry_gfn = f->gfn;
	spin_lock(&vm->mmu_lock);
	unshadow_gfn(vm, f->gfn);
	spin_unlock(&vm->mmu_lock);
	return HWVIRT_RESUME;
}

/* A write to a guest table that cannot go unsync: emulate it. */
static bool must_emulate_write(struct hwvirt_vm *vm, u64 gfn)
{
	bool r;

	spin_lock(&vm->mmu_lock);
	r = gfn_shadowed(vm, gfn) && !can_unsync(vm, gfn);
	spin_unlock(&vm->mmu_lock);
	return r;
}

static int map_page(struct hwvirt_vcpu *vcpu, struct shadow_fault *f)
{
	struct hwvirt_vm *vm = vcpu->vm;
	const struct hwvirt_slot *slot = f->slot;
	unsigned long mmu_seq, hva;
	int r;

	f->host_writable = !(slot->flags & HWVIRT_MEM_READONLY);
	hva = slot->hva + ((f->gfn - slot->base_gfn) << PAGE_SHIFT);
	mmu_seq = READ_ONCE(vm->mmu_invalidate_seq);
	/* Pairs with the notifier: see hwvirt_tdp_fault(). */
	smp_rmb();
	r = get_user_pages_unlocked(hva, 1, &f->page,
				    f->host_writable ? FOLL_WRITE : 0);
	if (r != 1)
		return r < 0 ? r : -EFAULT;
	r = mmu_topup(vcpu);
	if (r)
		goto out;

	spin_lock(&vm->mmu_lock);
	if (vm->mmu_invalidate_in_progress ||
	    vm->mmu_invalidate_seq != mmu_seq) {
		r = HWVIRT_RESUME;
	} else {
		make_room(vm);
		r = fetch(vcpu, f);
	}
	spin_unlock(&vm->mmu_lock);
out:
	put_page(f->page);
	return r == 0 ? HWVIRT_RESUME : r;
}

int hwvirt_shadow_page_fault(struct hwvirt_vcpu *vcpu, u64 addr, u32 error)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct shadow_fault f = { .addr = addr };
	int r, idx;

	vcpu->stat[HWVIRT_STAT_PF_EXITS]++;
	/* Our sptes have no reserved bit set: this is a bug of ours. */
	if (error & HW_PFERR_RSVD)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY, 0,
					     error, addr, 0);
	if (vcpu->rip != vcpu->mmu.retry_rip)
		vcpu->mmu.retry_rip = ~0ULL;

	f.access = error & (HW_PFERR_W | HW_PFERR_U | HW_PFERR_I);
	/* A CPL 3 access the CPU calls supervisor: a descriptor table's. */
	if (!(error & HW_PFERR_U) && hwvirt_backend->get_cpl(vcpu) == 3)
		f.access |= HW_WALK_IMPLICIT;
	f.write = error & HW_PFERR_W;
	f.user = error & HW_PFERR_U;
	hwvirt_walk_ctx(vcpu, &f.ctx);
	r = hw_walk(&f.ctx, addr, f.access, &f.walk);
	if (r < 0)
		return hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY, 0,
					     error, addr, 0);
	if (r > 0) {
		vcpu->stat[HWVIRT_STAT_GUEST_PFS]++;
		hwvirt_queue_pf(vcpu, addr, f.walk.error);
		return HWVIRT_RESUME;
	}
	f.gfn = f.walk.gfn;

	idx = srcu_read_lock(&vm->srcu);
	f.slot = hwvirt_slot_find(srcu_dereference(vm->slots, &vm->srcu),
				  f.gfn);
	if (f.slot && (f.slot->flags & HWVIRT_SLOT_INVALID)) {
		/* Going away: fault again once it is gone. */
		r = HWVIRT_RESUME;
		goto out;
	}
	if (!f.slot || (f.write && (f.slot->flags & HWVIRT_MEM_READONLY))) {
		srcu_read_unlock(&vm->srcu, idx);
		if (f.access & HW_PFERR_I)
			return hwvirt_internal_error(vcpu,
						     HWVIRT_INTERNAL_MEMORY, 0,
						     error, addr, f.walk.gpa);
		return hwvirt_handle_mmio(vcpu, f.walk.gpa);
	}
	if (f.write && must_emulate_write(vm, f.gfn)) {
		srcu_read_unlock(&vm->srcu, idx);
		return pt_write(vcpu, &f);
	}
	/*
	 * CR0.WP=0 with SMAP: the supervisor write to a read-only page
	 * cannot go through a supervisor-only spte (SMAP would not see the
	 * user page), so the module makes it.
	 */
	if (f.write && !(f.walk.access & HW_ACC_W) && f.ctx.smap) {
		srcu_read_unlock(&vm->srcu, idx);
		r = hwvirt_emulate_write_fault(vcpu, addr, f.walk.gpa);
		if (r < 0)
			return hwvirt_internal_error(vcpu,
						     HWVIRT_INTERNAL_EMULATION,
						     0, error, addr, f.walk.gpa);
		return r;
	}
	r = map_page(vcpu, &f);
	if (r < 0)
		r = hwvirt_internal_error(vcpu, HWVIRT_INTERNAL_MEMORY, 0,
					  error, addr, f.walk.gpa);
out:
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

/* ------------------------------------------------------------------------
 * Guest writes to shadowed page tables, and zaps from outside
 */

/*
 * Did the write of len bytes at offset off of a table with entries of
 * size bytes touch more than one entry, or less than a meaningful part
 * of one?  (A single byte at the start is fine: Linux clears bits with
 * byte-wide instructions; a 4-byte half of an 8-byte entry too.)
 */
static bool write_misaligned(unsigned int off, unsigned int len,
			     unsigned int size)
{
	if (!(off & (size - 1)) && len == 1)
		return false;
	return ((off ^ (off + len - 1)) & ~(size - 1)) || len < 4;
}

/* Zap the entries of sp a write to guest entry gi changed. */
static void zap_written(struct hwvirt_vm *vm, struct hwvirt_sp *sp,
			unsigned int gi)
{
	if (!sp->role.gpte4) {
		zap_spte(vm, sp, gi);
		return;
	}
	/* 1024 guest entries: a page table in halves, a directory in quarters. */
	if (sp->role.level == 1) {
		if (gi / 512 == sp->role.quadrant)
			zap_spte(vm, sp, gi % 512);
	} else if (gi / 256 == sp->role.quadrant) {
		zap_spte(vm, sp, (gi % 256) * 2);
		zap_spte(vm, sp, (gi % 256) * 2 + 1);
	}
}

static void guest_wrote_page(struct hwvirt_vm *vm, u64 gfn, unsigned int off,
			     unsigned int len)
{
	struct hwvirt_sp *sp;
	struct hlist_node *n;
	LIST_HEAD(invalid);

	spin_lock(&vm->mmu_lock);
	hlist_for_each_entry_safe(sp, n, sp_bucket(vm, gfn), hash_link) {
		unsigned int size = sp->role.gpte4 ? 4 : 8;

		if (sp->gfn != gfn || sp->role.direct)
			continue;
		vm->shadow.writes_by_level[sp->role.level]++;
		vm->shadow.writes_to_roots += !!sp->root_count;
		/*
		 * Roots too: a page a dead process had as its top table is
		 * often the next one's, and zeroed byte by byte first.
		 */
		if (write_misaligned(off, len, size) ||
		    ++sp->write_flood >= HWVIRT_SHADOW_FLOOD_WRITES) {
			prepare_zap(vm, sp, &invalid);
			vm->shadow.unshadows++;
			vm->shadow.flood_zaps++;
			continue;
		}
		zap_written(vm, sp, off / size);
		if (write_misaligned(off, len, size))
			zap_written(vm, sp, (off + len - 1) / size);
	}
	commit_zap(vm, &invalid);
	spin_unlock(&vm->mmu_lock);
}

void hwvirt_shadow_guest_wrote(struct hwvirt_vm *vm, u64 gpa,
			       unsigned int len)
{
	while (len) {
		unsigned int off = offset_in_page(gpa);
		unsigned int n = min_t(unsigned int, len, PAGE_SIZE - off);

		guest_wrote_page(vm, gpa >> PAGE_SHIFT, off, n);
		gpa += n;
		len -= n;
	}
}

/* Zap the leaves that map gfns [start, end) (mmu_lock held). */
static bool zap_rmap_range(struct hwvirt_vm *vm, u64 start, u64 end)
{
	struct hwvirt_slots *slots = shadow_slots(vm);
	bool flush = false;
	int i;

	for (i = 0; i < slots->nr; i++) {
		const struct hwvirt_slot *s = &slots->slot[i];
		u64 lo = max(start, s->base_gfn);
		u64 hi = min(end, s->base_gfn + s->npages);
		u64 gfn;

		for (gfn = lo; gfn < hi; gfn++) {
			unsigned long *rmap = &s->rmap[gfn - s->base_gfn];
			u64 *sptep;

			while ((sptep = pte_list_first(*rmap))) {
				struct hwvirt_sp *sp = sptep_to_sp(sptep);

				drop_leaf(vm, sp, sptep - sp->spt);
				flush = true;
			}
		}
	}
	return flush;
}

void hwvirt_shadow_zap_gfn_range(struct hwvirt_vm *vm, u64 start, u64 end)
{
	spin_lock(&vm->mmu_lock);
	if (zap_rmap_range(vm, start, end))
		hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
	spin_unlock(&vm->mmu_lock);
}

/* Everything mapped of the slot and every shadow page of its gfns goes. */
void hwvirt_shadow_zap_slot(struct hwvirt_vm *vm, const struct hwvirt_slot *s)
{
	u64 start = s->base_gfn, end = s->base_gfn + s->npages;
	struct hwvirt_sp *sp, *n;
	LIST_HEAD(invalid);

	spin_lock(&vm->mmu_lock);
	list_for_each_entry_safe(sp, n, &vm->shadow.active, link) {
		u64 span = sp->role.direct ? 1ULL << (9 * sp->role.level) : 1;

		if (sp->gfn < end && sp->gfn + span > start) {
			/* n may be unlinked, not freed: the walk goes on. */
			prepare_zap(vm, sp, &invalid);
		}
	}
	if (zap_rmap_range(vm, start, end))
		hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
	commit_zap(vm, &invalid);
	spin_unlock(&vm->mmu_lock);
}

/* ------------------------------------------------------------------------
 * Lifetime
 */

int hwvirt_shadow_mmu_init(struct hwvirt_vm *vm)
{
	struct hwvirt_shadow *s = &vm->shadow;
	int i;

	s->hash = kvmalloc_array(1U << HWVIRT_SHADOW_HASH_BITS,
				 sizeof(*s->hash), GFP_KERNEL_ACCOUNT);
	if (!s->hash)
		return -ENOMEM;
	for (i = 0; i < (1U << HWVIRT_SHADOW_HASH_BITS); i++)
		INIT_HLIST_HEAD(&s->hash[i]);
	INIT_LIST_HEAD(&s->active);
	INIT_LIST_HEAD(&s->unsync);
	return 0;
}

void hwvirt_shadow_mmu_destroy(struct hwvirt_vm *vm)
{
	struct hwvirt_shadow *s = &vm->shadow;
	struct hwvirt_sp *sp, *n;
	LIST_HEAD(invalid);
	int i, nr = atomic_read(&vm->nr_vcpus);

	if (!s->hash)
		return;
	spin_lock(&vm->mmu_lock);
	for (i = 0; i < nr; i++) {
		struct hwvirt_vcpu *vcpu = vm->vcpus[i];

		if (vcpu) {
			unload_roots_locked(vcpu);
			free_prev_roots_locked(vcpu);
		}
	}
	list_for_each_entry_safe(sp, n, &s->active, link)
		prepare_zap(vm, sp, &invalid);
	commit_zap(vm, &invalid);
	spin_unlock(&vm->mmu_lock);
	WARN_ON_ONCE(s->nr_pages || s->nr_mapped);
	kvfree(s->hash);
	s->hash = NULL;
}

int hwvirt_shadow_vcpu_init(struct hwvirt_vcpu *vcpu)
{
	/* A PAE CR3 has 32 bits: the PDPTE page lives below 4 GiB. */
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | GFP_DMA32 |
				       __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	vcpu->mmu.pae_root = page_address(page);
	vcpu->mmu.sync_buf = (void *)__get_free_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->mmu.sync_buf) {
		free_page((unsigned long)vcpu->mmu.pae_root);
		vcpu->mmu.pae_root = NULL;
		return -ENOMEM;
	}
	vcpu->mmu.retry_rip = ~0ULL;
	return 0;
}

void hwvirt_shadow_vcpu_free(struct hwvirt_vcpu *vcpu)
{
	struct hwvirt_vcpu_mmu *mmu = &vcpu->mmu;

	WARN_ON_ONCE(mmu->root || mmu->prev[0].sp);
	cache_free(&mmu->pages, CACHE_PAGES);
	cache_free(&mmu->sps, CACHE_SPS);
	cache_free(&mmu->descs, CACHE_DESCS);
	if (mmu->pae_root)
		free_page((unsigned long)mmu->pae_root);
	mmu->pae_root = NULL;
	free_page((unsigned long)mmu->sync_buf);
	mmu->sync_buf = NULL;
}

/* ------------------------------------------------------------------------
 * Statistics
 */

void hwvirt_shadow_stats(struct hwvirt_vm *vm, u64 *val)
{
	struct hwvirt_shadow *s = &vm->shadow;

	spin_lock(&vm->mmu_lock);
	val[HWVIRT_STAT_PAGES_MAPPED] = s->nr_mapped;
	val[HWVIRT_STAT_SHADOW_PAGES] = s->nr_pages;
	val[HWVIRT_STAT_SHADOW_CREATED] = s->created;
	val[HWVIRT_STAT_ROOTS_REUSED] = s->roots_reused;
	val[HWVIRT_STAT_WRITE_PROTECTS] = s->write_protects;
	val[HWVIRT_STAT_UNSHADOWS] = s->unshadows;
	val[HWVIRT_STAT_SHADOW_ZAPS] = s->zapped;
	val[HWVIRT_STAT_SHADOW_RECLAIMS] = s->reclaimed;
	val[HWVIRT_STAT_UNSYNCS] = s->unsyncs;
	val[HWVIRT_STAT_SYNCS] = s->syncs;
	spin_unlock(&vm->mmu_lock);
}

/* debugfs: the shadow pages by level and kind, and the limit. */
void hwvirt_shadow_show(struct seq_file *m, struct hwvirt_vm *vm)
{
	struct hwvirt_shadow *s = &vm->shadow;
	unsigned long by_level[2][6] = { { 0 } }, roots = 0, invalid = 0;
	struct hwvirt_sp *sp;
	int l;

	spin_lock(&vm->mmu_lock);
	list_for_each_entry(sp, &s->active, link) {
		by_level[sp->role.direct][sp->role.level]++;
		roots += !!sp->root_count;
		invalid += sp->role.invalid;
	}
	seq_printf(m, "shadow_pages %lu\nlimit %lu\nroots %lu\ninvalid_roots %lu\n",
		   s->nr_pages, hwvirt_shadow_max_pages(vm), roots, invalid);
	for (l = 1; l <= 5; l++)
		seq_printf(m, "level%d %lu indirect, %lu direct\n", l,
			   by_level[0][l], by_level[1][l]);
	seq_printf(m, "leaves %llu\nunsync %lu\n", s->nr_mapped, s->nr_unsync);
	for (l = 1; l <= 5; l++)
		seq_printf(m, "writes_level%d %llu\n", l, s->writes_by_level[l]);
	seq_printf(m, "writes_to_roots %llu\nflood_zaps %llu\nprefetched %llu\n",
		   s->writes_to_roots, s->flood_zaps, s->prefetched);
	spin_unlock(&vm->mmu_lock);
}
