/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: the MMU, as the rest of the module sees it.
 *
 * A VM runs one of two MMUs, chosen at its creation (vm->mmu_mode):
 *
 * - TDP (tdp.c): the CPU's two-dimensional paging (AMD NPT, Intel EPT)
 *   walks the guest's own page tables, then a per-VM table from guest-
 *   physical to host-physical frames that the module fills on demand.
 * - shadow (shadow.c): the CPU walks shadow tables the module derives
 *   from the guest's page tables, translating guest-virtual addresses
 *   straight to host frames; the guest's page tables are write-protected
 *   to keep the shadows in step, and the shadow pages are cached (hashed
 *   by guest frame and role) across CR3 switches and TLB flushes.
 *
 * The core, the backends, memslot.c and vm.c call only what is declared
 * here, above its last section; mmu.c picks the implementation.  Vocabulary (KVM's mmu.rst):
 * gfn/gpa guest frame/address, gva guest-virtual address, pfn host frame,
 * gpte a guest page-table entry, spte a shadow (or TDP) entry.
 */
#ifndef HWVIRT_MMU_H
#define HWVIRT_MMU_H

#include "hwvirt_int.h"

struct dentry;
struct seq_file;

/* The mode a VM asks for with HWVIRT_MMU_DEFAULT (the mmu parameter). */
u32 hwvirt_mmu_default_mode(void);
const char *hwvirt_mmu_mode_name(u32 mode);

/* VM lifetime: the tables, the caches. */
int hwvirt_mmu_init(struct hwvirt_vm *vm);
void hwvirt_mmu_destroy(struct hwvirt_vm *vm);
int hwvirt_mmu_vcpu_init(struct hwvirt_vcpu *vcpu);
void hwvirt_mmu_vcpu_free(struct hwvirt_vcpu *vcpu);
/* HWVIRT_REQ_MMU_RELOAD: a root of the vCPU was zapped. */
void hwvirt_mmu_reload(struct hwvirt_vcpu *vcpu);

/*
 * Memory slots.  A slot is created (the MMU's per-gfn data for it comes
 * with it) and freed; a slot that is deleted, moved or made read-only is
 * first published invalid (HWVIRT_SLOT_INVALID: no fault maps it), then
 * zapped: its mappings go, and the shadow pages of guest tables in it.
 * The MMU notifier zaps the mappings of a gfn range.
 */
int hwvirt_mmu_slot_create(struct hwvirt_vm *vm, struct hwvirt_slot *slot);
void hwvirt_mmu_slot_free(struct hwvirt_vm *vm, struct hwvirt_slot *slot);
void hwvirt_mmu_zap_slot(struct hwvirt_vm *vm, const struct hwvirt_slot *slot);
void hwvirt_mmu_zap_gfn_range(struct hwvirt_vm *vm, u64 start, u64 end);

/*
 * Dirty logging (memslot.c).  In a slot with a dirty bitmap, a page is
 * mapped writable only for a write fault, which sets its bit.  Logging
 * started: write-protect what the slot maps.  A fetch (under vm->lock):
 * move the slot's bits into mask, write-protect those pages, and flush
 * the vCPUs' TLBs before returning.
 */
void hwvirt_mmu_log_dirty_start(struct hwvirt_vm *vm,
				const struct hwvirt_slot *slot);
void hwvirt_mmu_fetch_dirty(struct hwvirt_vm *vm,
			    const struct hwvirt_slot *slot,
			    unsigned long *mask);

/* Guest RAM the module wrote for the guest (emulation, string I/O). */
void hwvirt_mmu_guest_wrote(struct hwvirt_vcpu *vcpu, u64 gpa,
			    unsigned int len);

/* The VM-wide counters of HWVIRT_GET_STATS (pages mapped, shadow pages). */
void hwvirt_mmu_stats(struct hwvirt_vm *vm, u64 *val);
/* HWVIRT_GET_VM_INFO: the MMU's part. */
void hwvirt_mmu_info(struct hwvirt_vm *vm, struct hwvirt_vm_info *info);
/* The "mmu" debugfs file. */
void hwvirt_mmu_show(struct seq_file *m, struct hwvirt_vm *vm);
/* The module-wide debugfs files under root ("shadow_pages_live"). */
void hwvirt_mmu_debugfs_init(struct dentry *root);

/* --- TDP (nested paging, tdp.c) -------------------------------------- */

/*
 * A nested page fault at gpa: 0 (mapped, or retry), 1 (not RAM: emulate
 * as MMIO), or a negative errno.
 */
int hwvirt_tdp_fault(struct hwvirt_vcpu *vcpu, u64 gpa, bool write);
/* The root the CPU walks (nested CR3, or EPTP's address). */
phys_addr_t hwvirt_tdp_root(struct hwvirt_vm *vm);

/* --- shadow paging (shadow.c) ----------------------------------------- */

/*
 * A #PF the guest took at addr with error code: build the shadow entry,
 * or give the guest its #PF, or emulate a write to a page table.
 * HWVIRT_RESUME, HWVIRT_USER (an MMIO exit) or a negative errno.
 */
int hwvirt_shadow_page_fault(struct hwvirt_vcpu *vcpu, u64 addr, u32 error);

/*
 * The guest's paging mode changed (CR0.PG/WP/PE, CR4.PAE/PSE/LA57/SMEP/
 * SMAP, EFER.LMA/NXE), or its registers were set from outside: the
 * vCPU's roots go, and its TLB.  Nothing with TDP.
 */
void hwvirt_shadow_reset(struct hwvirt_vcpu *vcpu);

/*
 * The guest loaded CR3 (its new value is the backend's already); flush
 * is false with PCID's no-flush bit.  Nothing with TDP (a CR3 load the
 * module makes itself: a task switch).
 */
void hwvirt_shadow_new_cr3(struct hwvirt_vcpu *vcpu, bool flush);

/*
 * The guest flushed its TLB: all of it (CR4.PGE, INVPCID of everything),
 * or the translation of gva (INVLPG; the caller flushes the CPU's).
 */
void hwvirt_shadow_flush_guest_tlb(struct hwvirt_vcpu *vcpu);
void hwvirt_shadow_invlpg(struct hwvirt_vcpu *vcpu, u64 gva);

/*
 * Before entry: the CR3 the CPU must use (a shadow root, or the vCPU's
 * PAE root page, below 4 GiB), its roots loaded.  0 or -ENOMEM.
 */
int hwvirt_shadow_root(struct hwvirt_vcpu *vcpu, u64 *hw_cr3);

/* --- the implementations, for mmu.c only ------------------------------ */

int hwvirt_tdp_init(struct hwvirt_vm *vm);
void hwvirt_tdp_destroy(struct hwvirt_vm *vm);
void hwvirt_tdp_zap_gfn_range(struct hwvirt_vm *vm, u64 start, u64 end);
/* Under mmu_lock: take write access from the leaves; true if any had it. */
bool hwvirt_tdp_wrprotect_range(struct hwvirt_vm *vm, u64 start, u64 end);

int hwvirt_shadow_mmu_init(struct hwvirt_vm *vm);
void hwvirt_shadow_mmu_destroy(struct hwvirt_vm *vm);
int hwvirt_shadow_vcpu_init(struct hwvirt_vcpu *vcpu);
void hwvirt_shadow_vcpu_free(struct hwvirt_vcpu *vcpu);
void hwvirt_shadow_reload(struct hwvirt_vcpu *vcpu);
void hwvirt_shadow_guest_wrote(struct hwvirt_vm *vm, u64 gpa,
			       unsigned int len);
void hwvirt_shadow_zap_gfn_range(struct hwvirt_vm *vm, u64 start, u64 end);
void hwvirt_shadow_zap_slot(struct hwvirt_vm *vm,
			    const struct hwvirt_slot *slot);
bool hwvirt_shadow_wrprotect_gfn(struct hwvirt_vm *vm, u64 gfn);
void hwvirt_shadow_stats(struct hwvirt_vm *vm, u64 *val);
void hwvirt_shadow_show(struct seq_file *m, struct hwvirt_vm *vm);
unsigned long hwvirt_shadow_max_pages(struct hwvirt_vm *vm);
extern atomic_t hwvirt_shadow_live;

#endif /* HWVIRT_MMU_H */
