// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the machine-independent core.
 *
 * At load, the core picks a backend (SVM or VMX), enables it on every
 * online CPU and on CPUs that come online later, and registers the misc
 * device /dev/hwvirt.  An open file is a handle on the hypervisor; system
 * ioctls on it report the API version.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>

#include <uapi/linux/hwvirt.h>

#include "hwvirt_int.h"
#include "hwvirt_limits.h"

/* Tried in this order; the first whose probe succeeds runs everything. */
static const struct hwvirt_backend *const hwvirt_backends[] = {
	&hwvirt_svm_backend,
	&hwvirt_vmx_backend,
};

/* The chosen backend: set once at load, before any CPU is enabled. */
static const struct hwvirt_backend *backend;

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
	r = backend->cpu_enable();
	if (r) {
		pr_err("cannot enable %s on CPU %d: %s\n", backend->name,
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
	backend->cpu_disable();
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

static long hwvirt_dev_ioctl(struct file *filp, unsigned int ioctl,
			     unsigned long arg)
{
	switch (ioctl) {
	case HWVIRT_GET_API_VERSION:
		if (arg)
			return -EINVAL;
		return HWVIRT_API_VERSION;
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
			backend = hwvirt_backends[i];
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
	char desc[HWVIRT_DESC_LEN];
	int r;

	r = hwvirt_pick_backend();
	if (r)
		return r;
	backend->describe(desc, sizeof(desc));

	r = backend->setup();
	if (r)
		return r;

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
	pr_info("version %s, API %d: %s; enabled on %u CPUs, /dev/hwvirt ready\n",
		HWVIRT_VERSION, HWVIRT_API_VERSION, desc, num_online_cpus());
	return 0;

out_cpuhp:
	unregister_reboot_notifier(&hwvirt_reboot_nb);
	cpuhp_remove_state(hwvirt_cpuhp_state);
out_unsetup:
	backend->unsetup();
	return r;
}

static void __exit hwvirt_exit(void)
{
	misc_deregister(&hwvirt_dev);
	unregister_reboot_notifier(&hwvirt_reboot_nb);
	cpuhp_remove_state(hwvirt_cpuhp_state);
	backend->unsetup();
	pr_info("%s disabled on every CPU, unloaded\n", backend->name);
}

module_init(hwvirt_init);
module_exit(hwvirt_exit);

MODULE_DESCRIPTION("hwvirt: hardware virtualization for QEMU's -accel hwvirt");
MODULE_AUTHOR("hwvirt developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(HWVIRT_VERSION);
