/*
 * hwvirt accelerator: stubs for builds without it
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "system/hwvirt.h"

bool hwvirt_msi_via_irqfd_enabled(void)
{
    return false;
}

int hwvirt_irqchip_add_msi_route(PCIDevice *dev, int vector)
{
    return -ENOSYS;
}

int hwvirt_irqchip_update_msi_route(int virq, MSIMessage msg)
{
    return -ENOSYS;
}

void hwvirt_irqchip_release_virq(int virq)
{
}

int hwvirt_irqchip_add_irqfd_notifier(EventNotifier *n, int virq)
{
    return -ENOSYS;
}

int hwvirt_irqchip_remove_irqfd_notifier(EventNotifier *n, int virq)
{
    return -ENOSYS;
}
