// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the MMU interface (mmu.h), dispatching on the VM's MMU mode to
 * the TDP MMU (tdp.c) or the shadow MMU (shadow.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/moduleparam.h>
#include <linux/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "mmu.h"
#include "x86.h"

static char *mmu_param = "auto";

/* mmu=: auto, tdp or shadow; anything else fails the load, saying so. */
static int mmu_param_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "auto") || sysfs_streq(val, "tdp") ||
	    sysfs_streq(val, "shadow"))
		return param_set_charp(val, kp);
	pr_err("mmu=%s: use auto, tdp or shadow\n", val);
	return -EINVAL;
}

static const struct kernel_param_ops mmu_param_ops = {
	.set = mmu_param_set,
	.get = param_get_charp,
	.free = param_free_charp,
};
module_param_cb(mmu, &mmu_param_ops, &mmu_param, 0444);
MODULE_PARM_DESC(mmu,
		 "MMU of VMs that ask for the default: auto (nested paging if the CPU has it), tdp, shadow");

const char *hwvirt_mmu_mode_name(u32 mode)
{
	switch (mode) {
	case HWVIRT_MMU_TDP:
		return "tdp";
	case HWVIRT_MMU_SHADOW:
		return "shadow";
	}
	return "default";
}

u32 hwvirt_mmu_default_mode(void)
{
	u32 modes = hwvirt_backend->mmu_modes();

	if (sysfs_streq(mmu_param, "shadow") &&
	    (modes & (1U << HWVIRT_MMU_SHADOW)))
		return HWVIRT_MMU_SHADOW;
	if (modes & (1U << HWVIRT_MMU_TDP))
		return HWVIRT_MMU_TDP;
	return HWVIRT_MMU_SHADOW;
}

static bool is_shadow(struct hwvirt_vm *vm)
{
	return vm->mmu_mode == HWVIRT_MMU_SHADOW;
}

int hwvirt_mmu_init(struct hwvirt_vm *vm)
{
	return is_shadow(vm) ? hwvirt_shadow_mmu_init(vm) : hwvirt_tdp_init(vm);
}

void hwvirt_mmu_destroy(struct hwvirt_vm *vm)
{
	if (is_shadow(vm))
		hwvirt_shadow_mmu_destroy(vm);
	else
		hwvirt_tdp_destroy(vm);
}

int hwvirt_mmu_vcpu_init(struct hwvirt_vcpu *vcpu)
{
	return is_shadow(vcpu->vm) ? hwvirt_shadow_vcpu_init(vcpu) : 0;
}

void hwvirt_mmu_vcpu_free(struct hwvirt_vcpu *vcpu)
{
	if (is_shadow(vcpu->vm))
		hwvirt_shadow_vcpu_free(vcpu);
}

void hwvirt_mmu_reload(struct hwvirt_vcpu *vcpu)
{
	if (is_shadow(vcpu->vm))
		hwvirt_shadow_reload(vcpu);
}

int hwvirt_mmu_slot_create(struct hwvirt_vm *vm, struct hwvirt_slot *slot)
{
	if (!is_shadow(vm))
		return 0;
	slot->rmap = kvcalloc(slot->npages, sizeof(*slot->rmap),
			      GFP_KERNEL_ACCOUNT);
	if (!slot->rmap)
		return -ENOMEM;
	WRITE_ONCE(vm->shadow.guest_pages, vm->shadow.guest_pages + slot->npages);
	return 0;
}

void hwvirt_mmu_slot_free(struct hwvirt_vm *vm, struct hwvirt_slot *slot)
{
	if (!slot->rmap)
		return;
	kvfree(slot->rmap);
	slot->rmap = NULL;
	WRITE_ONCE(vm->shadow.guest_pages, vm->shadow.guest_pages - slot->npages);
}

void hwvirt_mmu_zap_slot(struct hwvirt_vm *vm, const struct hwvirt_slot *slot)
{
	if (is_shadow(vm))
		hwvirt_shadow_zap_slot(vm, slot);
	else
		hwvirt_tdp_zap_gfn_range(vm, slot->base_gfn,
					 slot->base_gfn + slot->npages);
}

void hwvirt_mmu_zap_gfn_range(struct hwvirt_vm *vm, u64 start, u64 end)
{
	if (is_shadow(vm))
		hwvirt_shadow_zap_gfn_range(vm, start, end);
	else
		hwvirt_tdp_zap_gfn_range(vm, start, end);
}

/* Under mmu_lock: no spte maps gfn writable; true if one did. */
static bool wrprotect_gfn(struct hwvirt_vm *vm, u64 gfn)
{
	if (is_shadow(vm))
		return hwvirt_shadow_wrprotect_gfn(vm, gfn);
	return hwvirt_tdp_wrprotect_range(vm, gfn, gfn + 1);
}

void hwvirt_mmu_log_dirty_start(struct hwvirt_vm *vm,
				const struct hwvirt_slot *slot)
{
	bool flush = false;
	u64 i;

	spin_lock(&vm->mmu_lock);
	if (!is_shadow(vm)) {
		flush = hwvirt_tdp_wrprotect_range(vm, slot->base_gfn,
						   slot->base_gfn + slot->npages);
	} else {
		for (i = 0; i < slot->npages; i++) {
			flush |= hwvirt_shadow_wrprotect_gfn(vm,
							     slot->base_gfn + i);
			if (!((i + 1) % HWVIRT_DIRTY_LOG_BATCH))
				cond_resched_lock(&vm->mmu_lock);
		}
	}
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
}

void hwvirt_mmu_fetch_dirty(struct hwvirt_vm *vm,
			    const struct hwvirt_slot *slot,
			    unsigned long *mask)
{
	unsigned long n = BITS_TO_LONGS(slot->npages), i, bit;
	bool flush = false;

	spin_lock(&vm->mmu_lock);
	for (i = 0; i < n; i++) {
		/*
		 * Take the bits first: a write fault after this sets the bit
		 * again (under mmu_lock, so not before we protect the page).
		 */
		mask[i] = xchg(&slot->dirty_bitmap[i], 0);
		for_each_set_bit(bit, &mask[i], BITS_PER_LONG)
			flush |= wrprotect_gfn(vm, slot->base_gfn +
					       i * BITS_PER_LONG + bit);
		if (!((i + 1) % HWVIRT_DIRTY_LOG_BATCH))
			cond_resched_lock(&vm->mmu_lock);
	}
	spin_unlock(&vm->mmu_lock);
	if (flush)
		hwvirt_request_all(vm, HWVIRT_REQ_TLB_FLUSH);
}

void hwvirt_mmu_guest_wrote(struct hwvirt_vcpu *vcpu, u64 gpa,
			    unsigned int len)
{
	if (is_shadow(vcpu->vm))
		hwvirt_shadow_guest_wrote(vcpu->vm, gpa, len);
}

void hwvirt_mmu_stats(struct hwvirt_vm *vm, u64 *val)
{
	if (is_shadow(vm))
		hwvirt_shadow_stats(vm, val);
	else
		val[HWVIRT_STAT_PAGES_MAPPED] = READ_ONCE(vm->tdp.nr_mapped);
}

void hwvirt_mmu_info(struct hwvirt_vm *vm, struct hwvirt_vm_info *info)
{
	if (is_shadow(vm))
		info->shadow_pages_max = hwvirt_shadow_max_pages(vm);
	else
		info->tdp_levels = vm->tdp.levels;
}

void hwvirt_mmu_show(struct seq_file *m, struct hwvirt_vm *vm)
{
	seq_printf(m, "mode %s\n", hwvirt_mmu_mode_name(vm->mmu_mode));
	if (is_shadow(vm)) {
		hwvirt_shadow_show(m, vm);
		return;
	}
	seq_printf(m, "levels %d\nleaves %llu\n", vm->tdp.levels,
		   READ_ONCE(vm->tdp.nr_mapped));
}

void hwvirt_mmu_debugfs_init(struct dentry *root)
{
	debugfs_create_atomic_t("shadow_pages_live", 0444, root,
				&hwvirt_shadow_live);
}
