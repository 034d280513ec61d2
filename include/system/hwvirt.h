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

/*
 * irqfds for MSI vectors (virtio-pci), in the shape of KVM's GSI routes:
 * a route (virq) holds an MSI message, and the eventfds bound to it send
 * that message to hwvirt.ko's local APICs.  Stubs without hwvirt.
 */
bool hwvirt_msi_via_irqfd_enabled(void);
int hwvirt_irqchip_add_msi_route(PCIDevice *dev, int vector);
int hwvirt_irqchip_update_msi_route(int virq, MSIMessage msg);
void hwvirt_irqchip_release_virq(int virq);
int hwvirt_irqchip_add_irqfd_notifier(EventNotifier *n, int virq);
int hwvirt_irqchip_remove_irqfd_notifier(EventNotifier *n, int virq);

/*
 * Move every -accel hwvirt that follows an -accel tcg in @accel_opts
 * (the "accel" QemuOptsList) to just before the first -accel tcg, so
 * that an explicitly named hwvirt is tried first and TCG is the
 * fallback.  Called by configure_accelerators() in system/vl.c.
 */
void hwvirt_accel_order(QemuOptsList *accel_opts);

#endif /* SYSTEM_HWVIRT_H */
