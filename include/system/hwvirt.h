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

/*
 * The local APICs are in hwvirt.ko (-machine kernel-irqchip=split, the
 * default); the IOAPIC and the PIC stay in QEMU.
 */
extern bool hwvirt_kernel_irqchip;
#define hwvirt_irqchip_in_kernel() (hwvirt_kernel_irqchip)

/* What hwvirt.ko virtualizes of CPUID leaf function/index, register reg. */
uint32_t hwvirt_get_supported_cpuid(uint32_t function, uint32_t index,
                                    int reg);

#else /* !CONFIG_HWVIRT */

#define hwvirt_enabled() (false)
#define hwvirt_irqchip_in_kernel() (false)

#endif /* CONFIG_HWVIRT */
#endif /* COMPILING_PER_TARGET */

#define TYPE_HWVIRT_ACCEL ACCEL_CLASS_NAME("hwvirt")

#endif /* SYSTEM_HWVIRT_H */
