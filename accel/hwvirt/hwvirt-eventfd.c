/*
 * hwvirt accelerator: ioeventfds and irqfds
 *
 * ioeventfds: a guest write to an address a device registered with
 * memory_region_add_eventfd() (a virtio queue notification) signals the
 * device's eventfd inside hwvirt.ko, without an exit to QEMU.  Listeners
 * on the memory and I/O address spaces hand them to the module.
 *
 * irqfds: for MSI-X vectors of virtio-pci devices whose guest notifiers
 * are eventfds (vhost, virtio-blk with an iothread), the module sends the
 * vector's MSI to its local APICs when the eventfd is signalled, so the
 * I/O thread interrupts the guest without going through the main loop.
 * virtio-pci asks for "routes" as it does with KVM's GSI routing: a route
 * is an MSI message here, and the irqfds bound to it follow it when the
 * guest reprograms the vector.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>

#include "qemu/error-report.h"
#include "qemu/event_notifier.h"
#include "exec/memory.h"
#include "hw/pci/msi.h"
#include "hw/pci/pci.h"
#include "hwvirt-int.h"
#include "trace.h"

/*
 * ioeventfds
 */

static void hwvirt_set_ioeventfd(bool pio, MemoryRegionSection *section,
                                 bool match_data, uint64_t data,
                                 EventNotifier *e, bool assign)
{
    struct hwvirt_ioeventfd a = {
        .addr = section->offset_within_address_space,
        .len = int128_get64(section->size),
        .fd = event_notifier_get_fd(e),
        .datamatch = match_data ? data : 0,
        .flags = (pio ? HWVIRT_IOEVENTFD_PIO : 0) |
                 (match_data ? HWVIRT_IOEVENTFD_DATAMATCH : 0) |
                 (assign ? 0 : HWVIRT_IOEVENTFD_DEASSIGN),
    };

    trace_hwvirt_ioeventfd(pio ? "pio" : "mmio", a.addr, a.len, match_data,
                           data, assign);
    if (ioctl(hwvirt_state->vm_fd, HWVIRT_IOEVENTFD, &a) < 0) {
        /* The device model and the module would disagree: no way on. */
        error_report("hwvirt: cannot %s the ioeventfd at %s 0x%" PRIx64
                     " (%u bytes): %s", assign ? "add" : "remove",
                     pio ? "port" : "address", (uint64_t)a.addr, a.len,
                     strerror(errno));
        abort();
    }
}

static void hwvirt_mem_ioeventfd_add(MemoryListener *l,
                                     MemoryRegionSection *section,
                                     bool match_data, uint64_t data,
                                     EventNotifier *e)
{
    hwvirt_set_ioeventfd(false, section, match_data, data, e, true);
}

static void hwvirt_mem_ioeventfd_del(MemoryListener *l,
                                     MemoryRegionSection *section,
                                     bool match_data, uint64_t data,
                                     EventNotifier *e)
{
    hwvirt_set_ioeventfd(false, section, match_data, data, e, false);
}

static void hwvirt_io_ioeventfd_add(MemoryListener *l,
                                    MemoryRegionSection *section,
                                    bool match_data, uint64_t data,
                                    EventNotifier *e)
{
    hwvirt_set_ioeventfd(true, section, match_data, data, e, true);
}

static void hwvirt_io_ioeventfd_del(MemoryListener *l,
                                    MemoryRegionSection *section,
                                    bool match_data, uint64_t data,
                                    EventNotifier *e)
{
    hwvirt_set_ioeventfd(true, section, match_data, data, e, false);
}

static MemoryListener hwvirt_io_listener = {
    .name = "hwvirt-io",
    .eventfd_add = hwvirt_io_ioeventfd_add,
    .eventfd_del = hwvirt_io_ioeventfd_del,
    .priority = MEMORY_LISTENER_PRIORITY_DEV_BACKEND,
};

/*
 * Before the memory listener is registered: ioeventfds go to the module
 * if it takes them (otherwise QEMU signals them itself, on the exit).
 */
void hwvirt_eventfd_init(HwvirtState *s)
{
    if (!(s->info.caps & HWVIRT_CAP_IOEVENTFD) || !s->ioeventfds) {
        return;
    }
    s->memory_listener.eventfd_add = hwvirt_mem_ioeventfd_add;
    s->memory_listener.eventfd_del = hwvirt_mem_ioeventfd_del;
    memory_listener_register(&hwvirt_io_listener, &address_space_io);
}

/*
 * irqfds: MSI routes, under the BQL
 */

typedef struct HwvirtMsiRoute {
    bool used;
    MSIMessage msg;
    GSList *fds;                /* eventfds bound to the route (ints) */
} HwvirtMsiRoute;

static GArray *hwvirt_routes;

bool hwvirt_msi_via_irqfd_enabled(void)
{
    HwvirtState *s = hwvirt_state;

    return s && hwvirt_kernel_irqchip && s->irqfds &&
           (s->info.caps & HWVIRT_CAP_IRQFD);
}

static HwvirtMsiRoute *hwvirt_route(int virq)
{
    if (!hwvirt_routes || virq < 0 || virq >= hwvirt_routes->len) {
        return NULL;
    }
    return &g_array_index(hwvirt_routes, HwvirtMsiRoute, virq);
}

static int hwvirt_irqfd_ioctl(int fd, const MSIMessage *msg, bool assign)
{
    struct hwvirt_irqfd a = {
        .fd = fd,
        .flags = assign ? 0 : HWVIRT_IRQFD_DEASSIGN,
        .msi_address = msg ? msg->address : 0,
        .msi_data = msg ? msg->data : 0,
    };

    trace_hwvirt_irqfd(fd, a.msi_address, a.msi_data, assign);
    return ioctl(hwvirt_state->vm_fd, HWVIRT_IRQFD, &a) < 0 ? -errno : 0;
}

int hwvirt_irqchip_add_msi_route(PCIDevice *dev, int vector)
{
    HwvirtMsiRoute r = { .used = true };
    int i;

    if (!hwvirt_routes) {
        hwvirt_routes = g_array_new(false, true, sizeof(HwvirtMsiRoute));
    }
    if (dev) {
        r.msg = pci_get_msi_message(dev, vector);
    }
    for (i = 0; i < hwvirt_routes->len; i++) {
        if (!hwvirt_route(i)->used) {
            *hwvirt_route(i) = r;
            return i;
        }
    }
    g_array_append_val(hwvirt_routes, r);
    return hwvirt_routes->len - 1;
}

int hwvirt_irqchip_update_msi_route(int virq, MSIMessage msg)
{
    HwvirtMsiRoute *r = hwvirt_route(virq);
    GSList *l;
    int ret;

    if (!r || !r->used) {
        return -EINVAL;
    }
    r->msg = msg;
    for (l = r->fds; l; l = l->next) {
        ret = hwvirt_irqfd_ioctl(GPOINTER_TO_INT(l->data), &msg, true);
        if (ret < 0) {
            return ret;
        }
    }
    return 0;
}

void hwvirt_irqchip_release_virq(int virq)
{
    HwvirtMsiRoute *r = hwvirt_route(virq);

    if (r) {
        g_slist_free(r->fds);
        *r = (HwvirtMsiRoute) { 0 };
    }
}

int hwvirt_irqchip_add_irqfd_notifier(EventNotifier *n, int virq)
{
    HwvirtMsiRoute *r = hwvirt_route(virq);
    int fd = event_notifier_get_fd(n), ret;

    if (!r || !r->used) {
        return -EINVAL;
    }
    ret = hwvirt_irqfd_ioctl(fd, &r->msg, true);
    if (ret == 0) {
        r->fds = g_slist_prepend(r->fds, GINT_TO_POINTER(fd));
    }
    return ret;
}

int hwvirt_irqchip_remove_irqfd_notifier(EventNotifier *n, int virq)
{
    HwvirtMsiRoute *r = hwvirt_route(virq);
    int fd = event_notifier_get_fd(n);

    if (!r || !r->used) {
        return -EINVAL;
    }
    r->fds = g_slist_remove(r->fds, GINT_TO_POINTER(fd));
    return hwvirt_irqfd_ioctl(fd, NULL, false);
}
