/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: definitions shared by the core and the backends.
 *
 * The core (hwvirt_main.c) is machine-independent: the character device,
 * module and per-CPU lifetime.  A backend drives one kind of hardware
 * virtualization; the core picks the first backend in hwvirt_backends[]
 * whose probe succeeds, at load time, and calls it only through this
 * table (KVM's kvm_arch_ops, NVMM's nvmm_impl).
 */
#ifndef HWVIRT_INT_H
#define HWVIRT_INT_H

#include <linux/types.h>

struct hwvirt_backend {
	/* "svm" or "vmx". */
	const char *name;

	/*
	 * Can this machine run guests with this backend?  0 if so; else a
	 * negative errno, after a pr_info() saying why (no such CPU
	 * feature: -ENODEV; disabled by the firmware: -EPERM).  Runs once,
	 * at load, before anything else of the backend.
	 */
	int (*probe)(void);

	/* Global set-up and teardown (per-CPU memory, capabilities). */
	int (*setup)(void);
	void (*unsetup)(void);

	/*
	 * Enter/leave the CPU's virtualization mode on the calling CPU,
	 * with preemption disabled.  cpu_enable() returns -EBUSY when
	 * another hypervisor already owns the CPU.  cpu_disable() is only
	 * called on a CPU where cpu_enable() succeeded.
	 */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);

	/* One line for dmesg: revision and features found by probe(). */
	void (*describe)(char *buf, size_t len);
};

extern const struct hwvirt_backend hwvirt_svm_backend;
extern const struct hwvirt_backend hwvirt_vmx_backend;

#endif /* HWVIRT_INT_H */
