/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hwvirt: the /dev/hwvirt userspace ABI.
 *
 * One header, shared by hwvirt.ko and QEMU's hwvirt accelerator.  Every
 * ioctl is documented in docs/devel/hwvirt-api.rst with the API version
 * that introduced it.  The ABI grows by capability flags (HWVIRT_CAP_*),
 * never by changing a structure that has shipped: structures that may grow
 * carry their own size.
 */
#ifndef _UAPI_LINUX_HWVIRT_H
#define _UAPI_LINUX_HWVIRT_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * HWVIRT_GET_API_VERSION returns this.  Userspace refuses any other value:
 * the version changes only when a shipped structure or ioctl changes
 * incompatibly.
 */
#define HWVIRT_API_VERSION	1

#define HWVIRT_IO		0xE6

/* System ioctls, on the /dev/hwvirt fd. */
#define HWVIRT_GET_API_VERSION	_IO(HWVIRT_IO, 0x00)

#endif /* _UAPI_LINUX_HWVIRT_H */
