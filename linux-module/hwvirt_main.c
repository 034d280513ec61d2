// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the machine-independent core.
 *
 * At load, the core picks a backend (SVM or VMX), enables it on every
 * online CPU and on CPUs that come online later, and registers the misc
 * device /dev/hwvirt.  An open file is a handle on the hypervisor: its
 * system ioctls report the API version and capabilities and create VMs
 * (vm.c), which create vCPUs (vcpu.c).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>

#include <uapi/linux/hwvirt.h>

#include "mmu.h"
#include "x86.h"

/* Tried in this order; the first whose probe succeeds runs everything. */
static const struct hwvirt_backend *const hwvirt_backends[] = {
	&hwvirt_svm_backend,
	&hwvirt_vmx_backend,
};

/* The chosen backend: set once at load, before any CPU is enabled. */
const struct hwvirt_backend *hwvirt_backend;

/* /sys/kernel/debug/hwvirt: one directory per VM. */
struct dentry *hwvirt_debugfs_root;

/* The backend's description, for HWVIRT_GET_INFO and dmesg. */
static char hwvirt_desc[HWVIRT_DESC_LEN];

/*
 * Is virtualization enabled on this CPU?  Written only on the CPU itself
 * (hotplug callbacks, reboot), with preemption disabled.
 */
static DEFINE_PER_CPU(bool, hwvirt_cpu_on);

/* Dynamic hotplug state from cpuhp_setup_state(). */
static int hwvirt_cpuhp_state;

static int hwvirt_cpu_enable(void)
{
	int r;

	if (__this_cpu_read(hwvirt_cpu_on))
		return 0;
	r = hwvirt_backend->cpu_enable();
	if (r) {
		pr_err("cannot enable %s on CPU %d: %s\n", hwvirt_backend->name,
		       smp_processor_id(),
		       r == -EBUSY ? "another hypervisor owns it" :
		       r == -EPERM ? "disabled by the firmware" :
		       "the CPU refused");
		return r;
	}
	__this_cpu_write(hwvirt_cpu_on, true);
	return 0;
}

static void hwvirt_cpu_disable(void *unused)
{
	if (!__this_cpu_read(hwvirt_cpu_on))
		return;
	hwvirt_uret_cpu_down();
	hwvirt_backend->cpu_disable();
	__this_cpu_write(hwvirt_cpu_on, false);
}

/* Hotplug callbacks: they run on the CPU coming up or going down. */
static int hwvirt_cpu_online(unsigned int cpu)
{
	int r;

	preempt_disable();
	r = hwvirt_cpu_enable();
	preempt_enable();
	return r;
}

static int hwvirt_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	hwvirt_cpu_disable(NULL);
	preempt_enable();
	return 0;
}

/* Leave virtualization mode before a reboot: some firmware hangs otherwise. */
static int hwvirt_reboot(struct notifier_block *nb, unsigned long code,
			 void *unused)
{
	on_each_cpu(hwvirt_cpu_disable, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block hwvirt_reboot_nb = {
	.notifier_call = hwvirt_reboot,
};

static int hwvirt_get_info(void __user *argp)
{
	struct hwvirt_info info = {
		.api_version = HWVIRT_API_VERSION,
		.backend = hwvirt_backend->abi_backend,
		.caps = HWVIRT_CAP_LAPIC | HWVIRT_CAP_DIRTY_LOG |
			HWVIRT_CAP_IOEVENTFD | HWVIRT_CAP_IRQFD |
			HWVIRT_CAP_PVCLOCK |
			hwvirt_backend->abi_caps |
			(hwvirt_supported_xcr0 ? HWVIRT_CAP_XSAVE : 0) |
			(hwvirt_backend->mmu_modes() & (1U << HWVIRT_MMU_TDP) ?
			 HWVIRT_CAP_TDP : 0) |
			(hwvirt_backend->mmu_modes() & (1U << HWVIRT_MMU_SHADOW) ?
			 HWVIRT_CAP_SHADOW_MMU : 0),
		.mmu_modes = hwvirt_backend->mmu_modes(),
		.max_vcpus = HWVIRT_MAX_VCPUS,
		.max_memslots = HWVIRT_MAX_MEMSLOTS,
		.max_cpuid_entries = HWVIRT_MAX_CPUID_ENTRIES,
		.max_msr_entries = HWVIRT_MAX_MSR_ENTRIES,
		.gpa_bits = hwvirt_gpa_bits,
	};

	strscpy(info.backend_desc, hwvirt_desc, sizeof(info.backend_desc));
	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static int hwvirt_create_vm(void __user *argp)
{
	struct hwvirt_vm_config cfg;
	int i;

	if (copy_from_user(&cfg, argp, sizeof(cfg)))
		return -EFAULT;
	if (cfg.flags & ~HWVIRT_VM_LAPIC)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(cfg.reserved); i++)
		if (cfg.reserved[i])
			return -EINVAL;
	/* A backend that runs no guest on this CPU creates no VM. */
	if (!hwvirt_backend->mmu_modes())
		return -EOPNOTSUPP;
	switch (cfg.mmu_mode) {
	case HWVIRT_MMU_DEFAULT:
	case HWVIRT_MMU_TDP:
	case HWVIRT_MMU_SHADOW:
		if (cfg.mmu_mode &&
		    !(hwvirt_backend->mmu_modes() & (1U << cfg.mmu_mode)))
			return -EOPNOTSUPP;
		break;
	default:
		return -EINVAL;
	}
	return hwvirt_vm_create(&cfg);
}

static int hwvirt_get_supported_cpuid(void __user *argp)
{
	struct hwvirt_cpuid hdr;
	struct hwvirt_cpuid_entry *e;
	int n, r = 0;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.pad)
		return -EINVAL;
	e = kcalloc(HWVIRT_MAX_CPUID_ENTRIES, sizeof(*e), GFP_KERNEL);
	if (!e)
		return -ENOMEM;
	n = hwvirt_supported_cpuid(e, HWVIRT_MAX_CPUID_ENTRIES);
	if (hdr.nent < n)
		r = -E2BIG;
	else if (copy_to_user(argp + sizeof(hdr), e, n * sizeof(*e)))
		r = -EFAULT;
	hdr.nent = n;
	if (copy_to_user(argp, &hdr, sizeof(hdr)))
		r = -EFAULT;
	kfree(e);
	return r;
}

static long hwvirt_dev_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	void __user *argp = (void __user *)arg;

	switch (ioctl) {
	case HWVIRT_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return HWVIRT_API_VERSION;
	case HWVIRT_GET_INFO:
		return hwvirt_get_info(argp);
	case HWVIRT_CREATE_VM:
		return hwvirt_create_vm(argp);
	case HWVIRT_GET_SUPPORTED_CPUID:
		return hwvirt_get_supported_cpuid(argp);
	case HWVIRT_GET_VCPU_MMAP_SIZE:
		if (arg)
			return -EINVAL;
		return PAGE_SIZE;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations hwvirt_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= hwvirt_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice hwvirt_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "hwvirt",
	.fops	= &hwvirt_dev_fops,
	.mode	= 0660,
};

static int hwvirt_pick_backend(void)
{
	int i, r, why = -ENODEV;

	for (i = 0; i < ARRAY_SIZE(hwvirt_backends); i++) {
		r = hwvirt_backends[i]->probe();
		if (!r) {
			hwvirt_backend = hwvirt_backends[i];
			return 0;
		}
		if (r != -ENODEV)
			why = r;
	}
	if (why == -ENODEV)
		pr_err("this CPU has neither AMD SVM nor Intel VMX: cannot run guests\n");
	return why;
}

static int __init hwvirt_init(void)
{
	int r;

	r = hwvirt_pick_backend();
	if (r)
		return r;
	hwvirt_backend->describe(hwvirt_desc, sizeof(hwvirt_desc));

	r = hwvirt_x86_setup();
	if (r)
		return r;
	r = hwvirt_eventfd_setup();
	if (r)
		return r;
	r = hwvirt_backend->setup();
	if (r)
		goto out_eventfd;

	r = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "hwvirt:online",
			      hwvirt_cpu_online, hwvirt_cpu_offline);
	if (r < 0)
		goto out_unsetup;
	hwvirt_cpuhp_state = r;
	register_reboot_notifier(&hwvirt_reboot_nb);

	r = misc_register(&hwvirt_dev);
	if (r) {
		pr_err("cannot register /dev/hwvirt: %d\n", r);
		goto out_cpuhp;
	}
	hwvirt_debugfs_root = debugfs_create_dir("hwvirt", NULL);
	hwvirt_mmu_debugfs_init(hwvirt_debugfs_root);
	pr_info("version %s, API %d: %s; enabled on %u CPUs, /dev/hwvirt ready\n",
		HWVIRT_VERSION, HWVIRT_API_VERSION, hwvirt_desc,
		num_online_cpus());
	return 0;

out_cpuhp:
	unregister_reboot_notifier(&hwvirt_reboot_nb);
	cpuhp_remove_state(hwvirt_cpuhp_state);
out_unsetup:
	hwvirt_backend->unsetup();
out_eventfd:
	hwvirt_eventfd_unsetup();
	return r;
}

static void __exit hwvirt_exit(void)
{
	misc_deregister(&hwvirt_dev);
	debugfs_remove_recursive(hwvirt_debugfs_root);
	unregister_reboot_notifier(&hwvirt_reboot_nb);
	cpuhp_remove_state(hwvirt_cpuhp_state);
	hwvirt_backend->unsetup();
	hwvirt_eventfd_unsetup();
	pr_info("%s disabled on every CPU, unloaded\n", hwvirt_backend->name);
}

module_init(hwvirt_init);
module_exit(hwvirt_exit);

MODULE_DESCRIPTION("hwvirt: hardware virtualization for QEMU's -accel hwvirt");
MODULE_AUTHOR("hwvirt developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(HWVIRT_VERSION);
