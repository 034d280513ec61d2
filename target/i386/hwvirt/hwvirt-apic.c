/*
 * hwvirt accelerator: the local APIC in hwvirt.ko
 *
 * With -machine kernel-irqchip=split (the default) each CPU's local APIC
 * is in the module: this device only carries its state between QEMU
 * (APICCommonState: info lapic, savevm) and the module (HWVIRT_GET_LAPIC,
 * HWVIRT_SET_LAPIC), and hands the MSIs that devices and the IOAPIC write
 * to the APIC's address range to the module (HWVIRT_SIGNAL_MSI).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/hwvirt.h>

#include "qemu/error-report.h"
#include "qemu/module.h"
#include "hw/i386/apic_internal.h"
#include "hw/pci/msi.h"
#include "system/hw_accel.h"
#include "accel/hwvirt/hwvirt-int.h"
#include "hwvirt-i386.h"
#include "trace.h"

static void lapic_set_reg(struct hwvirt_lapic_state *k, int reg, uint32_t v)
{
    memcpy(k->regs + (reg << 4), &v, sizeof(v));
}

static uint32_t lapic_get_reg(const struct hwvirt_lapic_state *k, int reg)
{
    uint32_t v;

    memcpy(&v, k->regs + (reg << 4), sizeof(v));
    return v;
}

/* APICCommonState to the module's register page (register index reg). */
static void hwvirt_apic_state_to_regs(APICCommonState *s,
                                      struct hwvirt_lapic_state *k)
{
    int i;

    memset(k, 0, sizeof(*k));
    if (s->apicbase & MSR_IA32_APICBASE_EXTD) {
        lapic_set_reg(k, 0x2, s->initial_apic_id);
    } else {
        lapic_set_reg(k, 0x2, s->id << 24);
    }
    lapic_set_reg(k, 0x8, s->tpr);
    lapic_set_reg(k, 0xd, s->log_dest << 24);
    lapic_set_reg(k, 0xe, s->dest_mode << 28 | 0x0fffffff);
    lapic_set_reg(k, 0xf, s->spurious_vec);
    for (i = 0; i < 8; i++) {
        lapic_set_reg(k, 0x10 + i, s->isr[i]);
        lapic_set_reg(k, 0x18 + i, s->tmr[i]);
        lapic_set_reg(k, 0x20 + i, s->irr[i]);
    }
    lapic_set_reg(k, 0x28, s->esr);
    lapic_set_reg(k, 0x30, s->icr[0]);
    lapic_set_reg(k, 0x31, s->icr[1]);
    for (i = 0; i < APIC_LVT_NB; i++) {
        lapic_set_reg(k, 0x32 + i, s->lvt[i]);
    }
    lapic_set_reg(k, 0x38, s->initial_count);
    lapic_set_reg(k, 0x3e, s->divide_conf);
}

static void hwvirt_apic_regs_to_state(APICCommonState *s,
                                      const struct hwvirt_lapic_state *k)
{
    int i, v;

    if (!(s->apicbase & MSR_IA32_APICBASE_EXTD)) {
        s->id = lapic_get_reg(k, 0x2) >> 24;
    }
    s->tpr = lapic_get_reg(k, 0x8);
    s->arb_id = lapic_get_reg(k, 0x9);
    s->log_dest = lapic_get_reg(k, 0xd) >> 24;
    s->dest_mode = lapic_get_reg(k, 0xe) >> 28;
    s->spurious_vec = lapic_get_reg(k, 0xf);
    for (i = 0; i < 8; i++) {
        s->isr[i] = lapic_get_reg(k, 0x10 + i);
        s->tmr[i] = lapic_get_reg(k, 0x18 + i);
        s->irr[i] = lapic_get_reg(k, 0x20 + i);
    }
    s->esr = lapic_get_reg(k, 0x28);
    s->icr[0] = lapic_get_reg(k, 0x30);
    s->icr[1] = lapic_get_reg(k, 0x31);
    for (i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = lapic_get_reg(k, 0x32 + i);
    }
    s->initial_count = lapic_get_reg(k, 0x38);
    s->divide_conf = lapic_get_reg(k, 0x3e);

    v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
    s->count_shift = (v + 1) & 7;
    /* For "info lapic": the module's current count, from now on. */
    s->initial_count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) -
        ((uint64_t)(s->initial_count - lapic_get_reg(k, 0x39)) <<
         s->count_shift);
}

/* The vCPU thread: QEMU's copy of the APIC from the module. */
int hwvirt_apic_get(X86CPU *cpu)
{
    APICCommonState *s = APIC_COMMON(cpu->apic_state);
    struct hwvirt_lapic_state k;
    int r;

    r = hwvirt_vcpu_ioctl(CPU(cpu), HWVIRT_GET_LAPIC, &k);
    if (r == 0) {
        hwvirt_apic_regs_to_state(s, &k);
    }
    return r;
}

/* The vCPU thread: the module's APIC from QEMU's copy, base included. */
static void hwvirt_apic_put(CPUState *cs, run_on_cpu_data data)
{
    APICCommonState *s = data.host_ptr;
    struct hwvirt_lapic_state k;
    struct {
        struct hwvirt_msrs hdr;
        struct hwvirt_msr_entry e;
    } base = {
        .hdr.nmsrs = 1,
        .e = { .index = MSR_IA32_APICBASE, .data = s->apicbase },
    };
    int r;

    r = hwvirt_vcpu_ioctl(cs, HWVIRT_SET_MSRS, &base);
    if (r != 1) {
        error_report("hwvirt: CPU %d: the module refused APIC base 0x%"
                     PRIx64, cs->cpu_index, (uint64_t)s->apicbase);
        abort();
    }
    hwvirt_apic_state_to_regs(s, &k);
    r = hwvirt_vcpu_ioctl(cs, HWVIRT_SET_LAPIC, &k);
    if (r < 0) {
        error_report("hwvirt: CPU %d: HWVIRT_SET_LAPIC: %s", cs->cpu_index,
                     strerror(-r));
        abort();
    }
}

static void hwvirt_apic_post_load(APICCommonState *s)
{
    run_on_cpu(CPU(s->cpu), hwvirt_apic_put, RUN_ON_CPU_HOST_PTR(s));
}

static void hwvirt_apic_reset(APICCommonState *s)
{
    /* The module's vCPU state (HWVIRT_SET_MP_STATE) says it instead. */
    s->wait_for_sipi = 0;
    run_on_cpu(CPU(s->cpu), hwvirt_apic_put, RUN_ON_CPU_HOST_PTR(s));
}

static int hwvirt_apic_set_base(APICCommonState *s, uint64_t val)
{
    s->apicbase = val;
    return 0;
}

static void hwvirt_apic_set_tpr(APICCommonState *s, uint8_t val)
{
    s->tpr = (val & 0x0f) << 4;
}

static uint8_t hwvirt_apic_get_tpr(APICCommonState *s)
{
    return s->tpr >> 4;
}

static void hwvirt_apic_vapic_base_update(APICCommonState *s)
{
    /* No TPR-patching option ROM with hwvirt (apic-common.vapic=off). */
}

/*
 * The NMI button: an NMI through LINT1, if the guest left it so.  It
 * goes in as the vCPU loop's CPU_INTERRUPT_NMI, after the state this
 * sync fetched is written back (which would clear an NMI queued now).
 */
static void do_inject_external_nmi(CPUState *cs, run_on_cpu_data data)
{
    APICCommonState *s = data.host_ptr;
    uint32_t lvt;

    cpu_synchronize_state(cs);
    lvt = s->lvt[APIC_LVT_LINT1];
    if (!(lvt & APIC_LVT_MASKED) && ((lvt >> 8) & 7) == APIC_DM_NMI) {
        cpu_interrupt(cs, CPU_INTERRUPT_NMI);
    }
}

static void hwvirt_apic_external_nmi(APICCommonState *s)
{
    run_on_cpu(CPU(s->cpu), do_inject_external_nmi, RUN_ON_CPU_HOST_PTR(s));
}

static void hwvirt_send_msi(MSIMessage *msg)
{
    struct hwvirt_msi msi = { .address = msg->address, .data = msg->data };

    trace_hwvirt_msi(msi.address, msi.data);
    if (ioctl(hwvirt_state->vm_fd, HWVIRT_SIGNAL_MSI, &msi) < 0) {
        error_report("hwvirt: MSI 0x%" PRIx64 "/0x%x lost: %s",
                     (uint64_t)msi.address, msi.data, strerror(errno));
    }
}

static uint64_t hwvirt_apic_mem_read(void *opaque, hwaddr addr, unsigned size)
{
    return ~(uint64_t)0;
}

/* A device (or the IOAPIC) writes an MSI into the APIC's range. */
static void hwvirt_apic_mem_write(void *opaque, hwaddr addr, uint64_t data,
                                  unsigned size)
{
    MSIMessage msg = { .address = APIC_DEFAULT_ADDRESS + addr, .data = data };

    hwvirt_send_msi(&msg);
}

static const MemoryRegionOps hwvirt_apic_io_ops = {
    .read = hwvirt_apic_mem_read,
    .write = hwvirt_apic_mem_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void hwvirt_apic_realize(DeviceState *dev, Error **errp)
{
    APICCommonState *s = APIC_COMMON(dev);

    memory_region_init_io(&s->io_memory, OBJECT(s), &hwvirt_apic_io_ops, s,
                          "hwvirt-apic-msi", APIC_SPACE_SIZE);
    msi_nonbroken = true;
}

static void hwvirt_apic_unrealize(DeviceState *dev)
{
}

static void hwvirt_apic_class_init(ObjectClass *klass, void *data)
{
    APICCommonClass *k = APIC_COMMON_CLASS(klass);

    k->realize = hwvirt_apic_realize;
    k->unrealize = hwvirt_apic_unrealize;
    k->reset = hwvirt_apic_reset;
    k->set_base = hwvirt_apic_set_base;
    k->set_tpr = hwvirt_apic_set_tpr;
    k->get_tpr = hwvirt_apic_get_tpr;
    k->post_load = hwvirt_apic_post_load;
    k->vapic_base_update = hwvirt_apic_vapic_base_update;
    k->external_nmi = hwvirt_apic_external_nmi;
    k->send_msi = hwvirt_send_msi;
}

static const TypeInfo hwvirt_apic_info = {
    .name = "hwvirt-apic",
    .parent = TYPE_APIC_COMMON,
    .instance_size = sizeof(APICCommonState),
    .class_init = hwvirt_apic_class_init,
};

static void hwvirt_apic_register_types(void)
{
    type_register_static(&hwvirt_apic_info);
}

type_init(hwvirt_apic_register_types)
