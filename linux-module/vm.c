// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: VMs.
 *
 * A VM fd: memory slots, vCPU creation, statistics.  A VM lives while its
 * fd or any of its vCPU fds is open; it follows the creator's address
 * space with an MMU notifier, so guest memory unmapped by the host
 * disappears from the guest too.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "mmu.h"
#include "x86.h"

static atomic_t hwvirt_vm_ids = ATOMIC_INIT(0);

static const char *const hwvirt_stat_names[HWVIRT_STAT_NR] = {
	[HWVIRT_STAT_EXITS]		= "exits",
	[HWVIRT_STAT_EXIT_IO]		= "io_exits",
	[HWVIRT_STAT_EXIT_MMIO]		= "mmio_exits",
	[HWVIRT_STAT_EXIT_HLT]		= "halt_exits",
	[HWVIRT_STAT_EXIT_CPUID]	= "cpuid_exits",
	[HWVIRT_STAT_EXIT_MSR]		= "msr_exits",
	[HWVIRT_STAT_EXIT_INTR]		= "irq_exits",
	[HWVIRT_STAT_EXIT_IRQ_WINDOW]	= "irq_window_exits",
	[HWVIRT_STAT_EXIT_NPF]		= "npf_exits",
	[HWVIRT_STAT_EXIT_EXCEPTION]	= "exception_exits",
	[HWVIRT_STAT_EXIT_SHUTDOWN]	= "shutdown_exits",
	[HWVIRT_STAT_EXIT_OTHER]	= "other_exits",
	[HWVIRT_STAT_USERSPACE_EXITS]	= "userspace_exits",
	[HWVIRT_STAT_PAGES_MAPPED]	= "pages_mapped",
	[HWVIRT_STAT_INJECTED_IRQS]	= "injected_irqs",
	[HWVIRT_STAT_APIC_ACCESSES]	= "apic_accesses",
	[HWVIRT_STAT_APIC_IPIS]		= "apic_ipis",
	[HWVIRT_STAT_APIC_TIMER_IRQS]	= "apic_timer_irqs",
	[HWVIRT_STAT_HALT_WAKEUPS]	= "halt_wakeups",
	[HWVIRT_STAT_EOI_EXITS]		= "eoi_exits",
	[HWVIRT_STAT_MSIS]		= "msis",
	[HWVIRT_STAT_SMIS]		= "smis",
	[HWVIRT_STAT_PF_EXITS]		= "pf_exits",
	[HWVIRT_STAT_GUEST_PFS]		= "guest_pfs",
	[HWVIRT_STAT_PT_WRITES]		= "pt_writes",
	[HWVIRT_STAT_CR3_LOADS]		= "cr3_loads",
	[HWVIRT_STAT_SHADOW_PAGES]	= "shadow_pages",
	[HWVIRT_STAT_SHADOW_CREATED]	= "shadow_created",
	[HWVIRT_STAT_ROOTS_REUSED]	= "roots_reused",
	[HWVIRT_STAT_WRITE_PROTECTS]	= "write_protects",
	[HWVIRT_STAT_UNSHADOWS]		= "unshadows",
	[HWVIRT_STAT_SHADOW_ZAPS]	= "shadow_zaps",
	[HWVIRT_STAT_SHADOW_RECLAIMS]	= "shadow_reclaims",
	[HWVIRT_STAT_INVLPG_EXITS]	= "invlpg_exits",
	[HWVIRT_STAT_UNSYNCS]		= "unsyncs",
	[HWVIRT_STAT_SYNCS]		= "syncs",
	[HWVIRT_STAT_IOEVENTS]		= "ioevents",
	[HWVIRT_STAT_IRQFD_MSIS]	= "irqfd_msis",
	[HWVIRT_STAT_DIRTY_FAULTS]	= "dirty_faults",
	[HWVIRT_STAT_TASK_SWITCHES]	= "task_switches",
	[HWVIRT_STAT_PVCLOCK_UPDATES]	= "pvclock_updates",
};

/* Sum the vCPUs' counters (racy reads of other threads' counters are fine). */
static void hwvirt_vm_stats(struct hwvirt_vm *vm, u64 *val)
{
	int i, j, n = atomic_read(&vm->nr_vcpus);

	memset(val, 0, HWVIRT_STAT_NR * sizeof(*val));
	for (i = 0; i < n; i++) {
		/* Pairs with the release in hwvirt_vcpu_create(). */
		struct hwvirt_vcpu *vcpu = smp_load_acquire(&vm->vcpus[i]);

		if (!vcpu)
			continue;
		for (j = 0; j < HWVIRT_STAT_NR; j++)
			val[j] += READ_ONCE(vcpu->stat[j]);
	}
	hwvirt_mmu_stats(vm, val);
	val[HWVIRT_STAT_IRQFD_MSIS] = atomic64_read(&vm->irqfd_msis);
	val[HWVIRT_STAT_MSIS] = atomic64_read(&vm->msis);
	val[HWVIRT_STAT_SMIS] = atomic64_read(&vm->smis);
}

static int hwvirt_stats_show(struct seq_file *m, void *unused)
{
	struct hwvirt_vm *vm = m->private;
	u64 val[HWVIRT_STAT_NR];
	int i;

	hwvirt_vm_stats(vm, val);
	for (i = 0; i < HWVIRT_STAT_NR; i++)
		seq_printf(m, "%s %llu\n", hwvirt_stat_names[i], val[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwvirt_stats);

static int hwvirt_mmu_debug_show(struct seq_file *m, void *unused)
{
	hwvirt_mmu_show(m, m->private);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hwvirt_mmu_debug);

/* ------------------------------------------------------------------------
 * Following the host's mappings
 */

static struct hwvirt_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct hwvirt_vm, mmu_notifier);
}

/* Zap the gfns of every slot that maps part of [start, end) hva. */
static void zap_hva_range(struct hwvirt_vm *vm, unsigned long start,
			  unsigned long end)
{
	struct hwvirt_slots *slots;
	int idx, i;

	idx = srcu_read_lock(&vm->srcu);
	slots = srcu_dereference(vm->slots, &vm->srcu);
	for (i = 0; slots && i < slots->nr; i++) {
		const struct hwvirt_slot *s = &slots->slot[i];
		unsigned long s_end = s->hva + (s->npages << PAGE_SHIFT);
		unsigned long lo = max(start, s->hva), hi = min(end, s_end);

		if (lo >= hi)
			continue;
		hwvirt_mmu_zap_gfn_range(vm,
			s->base_gfn + ((lo - s->hva) >> PAGE_SHIFT),
			s->base_gfn + ((hi - s->hva + PAGE_SIZE - 1) >> PAGE_SHIFT));
	}
	srcu_read_unlock(&vm->srcu, idx);
}

static int hwvirt_mn_invalidate_range_start(struct mmu_notifier *mn,
					    const struct mmu_notifier_range *range)
{
	struct hwvirt_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidate_in_progress++;
	spin_unlock(&vm->mmu_lock);
	zap_hva_range(vm, range->start, range->end);
	return 0;
}

static void hwvirt_mn_invalidate_range_end(struct mmu_notifier *mn,
					   const struct mmu_notifier_range *range)
{
	struct hwvirt_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidate_seq++;
	vm->mmu_invalidate_in_progress--;
	spin_unlock(&vm->mmu_lock);
}

/* The address space is going away: guest memory with it. */
static void hwvirt_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	zap_hva_range(mn_to_vm(mn), 0, ULONG_MAX);
}

static const struct mmu_notifier_ops hwvirt_mmu_notifier_ops = {
	.invalidate_range_start	= hwvirt_mn_invalidate_range_start,
	.invalidate_range_end	= hwvirt_mn_invalidate_range_end,
	.release		= hwvirt_mn_release,
};

/* ------------------------------------------------------------------------
 * Lifetime
 */

static void hwvirt_vm_destroy(struct kref *ref)
{
	struct hwvirt_vm *vm = container_of(ref, struct hwvirt_vm, ref);
	int i;

	debugfs_remove_recursive(vm->debugfs);
	/* No MSI from an irqfd after this: they reach the vCPUs. */
	hwvirt_eventfds_free(vm);
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
	/*
	 * The zaps in hwvirt_mmu_destroy() post a TLB flush to every vCPU:
	 * they must still exist (none runs: each vCPU fd held a reference).
	 */
	hwvirt_mmu_destroy(vm);
	WARN_ON_ONCE(vm->tdp.nr_mapped);
	for (i = 0; i < HWVIRT_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			hwvirt_vcpu_free(vm->vcpus[i]);
	hwvirt_slots_free(vm);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	kfree(vm);
}

void hwvirt_vm_put(struct hwvirt_vm *vm)
{
	kref_put(&vm->ref, hwvirt_vm_destroy);
}

static long hwvirt_vm_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	struct hwvirt_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;
	struct hwvirt_memslot slot;
	struct hwvirt_stats hdr;
	struct hwvirt_msi msi;
	u64 val[HWVIRT_STAT_NR];
	long r;

	if (vm->mm != current->mm)
		return -EIO;

	switch (ioctl) {
	case HWVIRT_SET_MEMSLOT:
		if (copy_from_user(&slot, argp, sizeof(slot)))
			return -EFAULT;
		return hwvirt_set_memslot(vm, &slot);
	case HWVIRT_CREATE_VCPU:
		mutex_lock(&vm->lock);
		r = hwvirt_vcpu_create(vm, arg);
		mutex_unlock(&vm->lock);
		return r;
	case HWVIRT_GET_STATS:
		if (copy_from_user(&hdr, argp, sizeof(hdr)))
			return -EFAULT;
		if (hdr.pad)
			return -EINVAL;
		hdr.nr = min_t(u32, hdr.nr, HWVIRT_STAT_NR);
		hwvirt_vm_stats(vm, val);
		if (copy_to_user(argp, &hdr, sizeof(hdr)) ||
		    copy_to_user(argp + sizeof(hdr), val, hdr.nr * sizeof(u64)))
			return -EFAULT;
		return 0;
	case HWVIRT_SIGNAL_MSI:
		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		atomic64_inc(&vm->msis);
		return hwvirt_signal_msi(vm, &msi);
	case HWVIRT_IOEVENTFD: {
		struct hwvirt_ioeventfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return hwvirt_ioeventfd(vm, &args);
	}
	case HWVIRT_IRQFD: {
		struct hwvirt_irqfd args;

		if (copy_from_user(&args, argp, sizeof(args)))
			return -EFAULT;
		return hwvirt_irqfd(vm, &args);
	}
	case HWVIRT_GET_DIRTY_LOG: {
		struct hwvirt_dirty_log log;

		if (copy_from_user(&log, argp, sizeof(log)))
			return -EFAULT;
		return hwvirt_get_dirty_log(vm, &log);
	}
	case HWVIRT_GET_VM_INFO: {
		struct hwvirt_vm_info info = {
			.mmu_mode = vm->mmu_mode,
			.flags = vm->lapic ? HWVIRT_VM_LAPIC : 0,
		};

		hwvirt_mmu_info(vm, &info);
		return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
	}
	}
	return -ENOTTY;
}

static int hwvirt_vm_release(struct inode *inode, struct file *filp)
{
	hwvirt_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations hwvirt_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= hwvirt_vm_release,
	.unlocked_ioctl	= hwvirt_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* HWVIRT_CREATE_VM: a VM of the calling process; returns its fd. */
int hwvirt_vm_create(const struct hwvirt_vm_config *cfg)
{
	struct hwvirt_vm *vm;
	char name[32];
	int r, fd;
	u64 tsc;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return -ENOMEM;
	kref_init(&vm->ref);
	vm->id = atomic_inc_return(&hwvirt_vm_ids);
	vm->mmu_mode = cfg->mmu_mode ? cfg->mmu_mode : hwvirt_mmu_default_mode();
	vm->lapic = cfg->flags & HWVIRT_VM_LAPIC;
	mutex_init(&vm->lock);
	spin_lock_init(&vm->mmu_lock);
	hwvirt_eventfds_init(vm);
	tsc = rdtsc();
	vm->tsc_offset = -(s64)tsc;
	hwvirt_pvclock_vm_init(vm, tsc);

	r = init_srcu_struct(&vm->srcu);
	if (r)
		goto out_free;
	RCU_INIT_POINTER(vm->slots, kzalloc(sizeof(struct hwvirt_slots),
					    GFP_KERNEL_ACCOUNT));
	if (!rcu_access_pointer(vm->slots)) {
		r = -ENOMEM;
		goto out_srcu;
	}
	r = hwvirt_mmu_init(vm);
	if (r)
		goto out_slots;

	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->mmu_notifier.ops = &hwvirt_mmu_notifier_ops;
	r = mmu_notifier_register(&vm->mmu_notifier, vm->mm);
	if (r)
		goto out_mm;

	snprintf(name, sizeof(name), "vm%u-%d", vm->id, task_pid_nr(current));
	vm->debugfs = debugfs_create_dir(name, hwvirt_debugfs_root);
	debugfs_create_file("stats", 0444, vm->debugfs, vm, &hwvirt_stats_fops);
	debugfs_create_file("mmu", 0444, vm->debugfs, vm, &hwvirt_mmu_debug_fops);

	fd = anon_inode_getfd("hwvirt-vm", &hwvirt_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0)
		hwvirt_vm_put(vm);
	return fd;

out_mm:
	mmdrop(vm->mm);
	hwvirt_mmu_destroy(vm);
out_slots:
	hwvirt_slots_free(vm);
out_srcu:
	cleanup_srcu_struct(&vm->srcu);
out_free:
	kfree(vm);
	return r;
}
