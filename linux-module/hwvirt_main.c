// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the machine-independent core.
 *
 * /dev/hwvirt is a misc device.  An open file is a handle on the
 * hypervisor; system ioctls on it report the API version and, later,
 * create VMs.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>

#include <uapi/linux/hwvirt.h>

#include "hwvirt_limits.h"

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

static int __init hwvirt_init(void)
{
	int r;

	r = misc_register(&hwvirt_dev);
	if (r) {
		pr_err("cannot register /dev/hwvirt: %d\n", r);
		return r;
	}
	pr_info("version %s, API %d, /dev/hwvirt ready\n",
		HWVIRT_VERSION, HWVIRT_API_VERSION);
	return 0;
}

static void __exit hwvirt_exit(void)
{
	misc_deregister(&hwvirt_dev);
}

module_init(hwvirt_init);
module_exit(hwvirt_exit);

MODULE_DESCRIPTION("hwvirt: hardware virtualization for QEMU's -accel hwvirt");
MODULE_AUTHOR("hwvirt developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(HWVIRT_VERSION);
