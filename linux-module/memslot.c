// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: memory slots.
 *
 * The slots of a VM are an array sorted by guest-physical address,
 * replaced whole on every change (readers use SRCU: the fault path may
 * sleep in get_user_pages).  A slot that is deleted, moved or made
 * read-only is first published invalid, while the MMU zaps what it
 * mapped for it (see mmu.h).
 *
 * Dirty logging (HWVIRT_MEM_LOG_DIRTY): a logging slot has a bitmap, a
 * bit per page.  The MMU maps its pages writable only for a write fault,
 * which sets the page's bit; the module's own writes to guest RAM set it
 * too (x86.c).  Starting to log write-protects what the slot maps; each
 * HWVIRT_GET_DIRTY_LOG takes the bits and write-protects those pages
 * again, so that the next write faults and is seen.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "mmu.h"
#include "x86.h"

const struct hwvirt_slot *hwvirt_slot_find(struct hwvirt_slots *slots, u64 gfn)
{
	int lo = 0, hi = slots->nr - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		const struct hwvirt_slot *s = &slots->slot[mid];

		if (gfn < s->base_gfn)
			hi = mid - 1;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

static struct hwvirt_slot *slot_by_id(struct hwvirt_slots *slots, u32 id)
{
	int i;

	for (i = 0; i < slots->nr; i++)
		if (slots->slot[i].id == id)
			return &slots->slot[i];
	return NULL;
}

/* Is every page of [hva, hva + size) in a mapping get_user_pages takes? */
static bool hva_range_mapped(unsigned long hva, u64 size)
{
	struct mm_struct *mm = current->mm;
	unsigned long addr = hva, end = hva + size;
	bool ok = true;

	mmap_read_lock(mm);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);

		if (!vma || vma->vm_start > addr ||
		    (vma->vm_flags & (VM_IO | VM_PFNMAP))) {
			ok = false;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return ok;
}

static int slot_cmp(const void *a, const void *b)
{
	const struct hwvirt_slot *x = a, *y = b;

	return x->base_gfn < y->base_gfn ? -1 : x->base_gfn > y->base_gfn;
}

int hwvirt_set_memslot(struct hwvirt_vm *vm, const struct hwvirt_memslot *req)
{
	struct hwvirt_slots *old, *new;
	struct hwvirt_slot *cur, *s, gone = { 0 };
	u64 base_gfn = req->guest_phys_addr >> PAGE_SHIFT;
	u64 npages = req->memory_size >> PAGE_SHIFT;
	unsigned long *log = NULL, *log_gone = NULL;
	bool log_start = false;
	int i, r = 0;

	if (req->slot >= HWVIRT_MAX_MEMSLOTS ||
	    (req->flags & ~(HWVIRT_MEM_READONLY | HWVIRT_MEM_LOG_DIRTY)))
		return -EINVAL;
	if (!PAGE_ALIGNED(req->guest_phys_addr) ||
	    !PAGE_ALIGNED(req->memory_size) ||
	    !PAGE_ALIGNED(req->userspace_addr))
		return -EINVAL;
	if (req->memory_size &&
	    (req->guest_phys_addr + req->memory_size < req->guest_phys_addr ||
	     (req->guest_phys_addr + req->memory_size - 1) >> hwvirt_gpa_bits ||
	     req->userspace_addr + req->memory_size < req->userspace_addr ||
	     !access_ok((void __user *)(unsigned long)req->userspace_addr,
			req->memory_size)))
		return -EINVAL;

	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	cur = slot_by_id(old, req->slot);

	if (!req->memory_size) {
		/* Delete. */
		if (!cur) {
			r = -ENOENT;
			goto out;
		}
	} else if (cur) {
		/* Move or change flags; size and memory stay. */
		if (npages != cur->npages || req->userspace_addr != cur->hva) {
			r = -EINVAL;
			goto out;
		}
	} else {
		if (old->nr >= HWVIRT_MAX_MEMSLOTS) {
			r = -ENOSPC;
			goto out;
		}
		if (!hva_range_mapped(req->userspace_addr, req->memory_size)) {
			r = -EFAULT;
			goto out;
		}
	}

	/* No overlap with another slot. */
	if (req->memory_size) {
		for (i = 0; i < old->nr; i++) {
			s = &old->slot[i];
			if (s->id == req->slot)
				continue;
			if (base_gfn < s->base_gfn + s->npages &&
			    s->base_gfn < base_gfn + npages) {
				r = -EEXIST;
				goto out;
			}
		}
	}

	/* Logging starts: the bitmap, before anything changes. */
	if (req->memory_size && (req->flags & HWVIRT_MEM_LOG_DIRTY) &&
	    !(cur && cur->dirty_bitmap)) {
		log = kvcalloc(BITS_TO_LONGS(npages), sizeof(long),
			       GFP_KERNEL_ACCOUNT);
		if (!log) {
			r = -ENOMEM;
			goto out;
		}
		log_start = cur != NULL;
	}

	new = kmemdup(old, sizeof(*old), GFP_KERNEL_ACCOUNT);
	if (!new) {
		kvfree(log);
		r = -ENOMEM;
		goto out;
	}
	cur = slot_by_id(new, req->slot);
	if (cur && (!req->memory_size || cur->base_gfn != base_gfn ||
		    ((req->flags & HWVIRT_MEM_READONLY) &&
		     !(cur->flags & HWVIRT_MEM_READONLY)))) {
		/*
		 * Delete, move, or now read-only: what was mapped for the
		 * old slot goes.  First the slot is published invalid, so
		 * that no fault maps it again while the MMU zaps it (the
		 * shadow MMU finds its reverse maps there meanwhile).
		 */
		struct hwvirt_slots *mid = kmemdup(old, sizeof(*old),
						   GFP_KERNEL_ACCOUNT);

		if (!mid) {
			kfree(new);
			kvfree(log);
			r = -ENOMEM;
			goto out;
		}
		slot_by_id(mid, req->slot)->flags |= HWVIRT_SLOT_INVALID;
		rcu_assign_pointer(vm->slots, mid);
		synchronize_srcu(&vm->srcu);
		kfree(old);
		old = mid;
		hwvirt_mmu_zap_slot(vm, cur);
	}
	if (cur && !req->memory_size) {
		gone = *cur;
		log_gone = gone.dirty_bitmap;
		*cur = new->slot[--new->nr];
	} else if (cur) {
		cur->base_gfn = base_gfn;
		cur->flags = req->flags;
		if (log) {
			cur->dirty_bitmap = log;
		} else if (!(req->flags & HWVIRT_MEM_LOG_DIRTY)) {
			log_gone = cur->dirty_bitmap;
			cur->dirty_bitmap = NULL;
		}
	} else {
		s = &new->slot[new->nr];
		*s = (struct hwvirt_slot) {
			.id = req->slot, .flags = req->flags,
			.base_gfn = base_gfn, .npages = npages,
			.hva = req->userspace_addr,
			.dirty_bitmap = log,
		};
		r = hwvirt_mmu_slot_create(vm, s);
		if (r) {
			kfree(new);
			kvfree(log);
			goto out;
		}
		new->nr++;
	}
	sort(new->slot, new->nr, sizeof(new->slot[0]), slot_cmp, NULL);

	rcu_assign_pointer(vm->slots, new);
	synchronize_srcu(&vm->srcu);
	kfree(old);
	/*
	 * Every fault from now on sees the bitmap and maps the slot's pages
	 * read-only until written: write-protect what was mapped before.
	 */
	if (log_start)
		hwvirt_mmu_log_dirty_start(vm, slot_by_id(new, req->slot));
	hwvirt_mmu_slot_free(vm, &gone);
	kvfree(log_gone);
out:
	mutex_unlock(&vm->lock);
	return r;
}

/* At VM destruction, after the MMU's. */
void hwvirt_slots_free(struct hwvirt_vm *vm)
{
	struct hwvirt_slots *slots = rcu_dereference_protected(vm->slots, 1);
	int i;

	for (i = 0; slots && i < slots->nr; i++) {
		hwvirt_mmu_slot_free(vm, &slots->slot[i]);
		kvfree(slots->slot[i].dirty_bitmap);
	}
	kfree(slots);
	RCU_INIT_POINTER(vm->slots, NULL);
}

/*
 * HWVIRT_GET_DIRTY_LOG: the slot's dirty bits to userspace, cleared, and
 * their pages write-protected again (the MMU flushes the vCPUs' TLBs
 * before this returns, so a write after the copy faults and is logged).
 */
int hwvirt_get_dirty_log(struct hwvirt_vm *vm,
			 const struct hwvirt_dirty_log *log)
{
	struct hwvirt_slots *slots;
	struct hwvirt_slot *slot;
	unsigned long *mask;
	size_t bytes;
	int r = 0;

	if (log->flags || log->reserved[0] || log->reserved[1])
		return -EINVAL;

	mutex_lock(&vm->lock);
	slots = rcu_dereference_protected(vm->slots, lockdep_is_held(&vm->lock));
	slot = slot_by_id(slots, log->slot);
	if (!slot) {
		r = -ENOENT;
		goto out;
	}
	if (!slot->dirty_bitmap) {
		r = -EINVAL;
		goto out;
	}
	bytes = BITS_TO_LONGS(slot->npages) * sizeof(long);
	mask = kvmalloc(bytes, GFP_KERNEL_ACCOUNT);
	if (!mask) {
		r = -ENOMEM;
		goto out;
	}
	hwvirt_mmu_fetch_dirty(vm, slot, mask);
	if (copy_to_user(u64_to_user_ptr(log->bitmap), mask, bytes))
		r = -EFAULT;
	kvfree(mask);
out:
	mutex_unlock(&vm->lock);
	return r;
}
