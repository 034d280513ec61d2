/*
 * hwvirt accelerator: the interface for code outside accel/hwvirt
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#ifndef SYSTEM_HWVIRT_H
#define SYSTEM_HWVIRT_H

#ifdef COMPILING_PER_TARGET
#ifdef CONFIG_HWVIRT

extern bool hwvirt_allowed;
#define hwvirt_enabled() (hwvirt_allowed)

#else /* !CONFIG_HWVIRT */

#define hwvirt_enabled() (false)

#endif /* CONFIG_HWVIRT */
#endif /* COMPILING_PER_TARGET */

#define TYPE_HWVIRT_ACCEL ACCEL_CLASS_NAME("hwvirt")

#endif /* SYSTEM_HWVIRT_H */
