/*
 * hwvirt accelerator: x86 CPU models
 *
 * "-cpu host" and "-cpu max" take the host's CPUID, filtered by what
 * hwvirt.ko says it virtualizes (HWVIRT_GET_SUPPORTED_CPUID); named models
 * lose, with a warning, the features the module does not offer.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "cpu.h"
#include "host-cpu.h"
#include "accel/accel-cpu-target.h"
#include "system/hwvirt.h"
#include "accel/hwvirt/hwvirt-int.h"

uint32_t hwvirt_get_supported_cpuid(uint32_t function, uint32_t index, int reg)
{
    struct hwvirt_cpuid *c = hwvirt_state ? hwvirt_state->supported_cpuid
                                          : NULL;
    uint32_t i;

    for (i = 0; c && i < c->nent; i++) {
        struct hwvirt_cpuid_entry *e = &c->entries[i];

        if (e->function != function ||
            ((e->flags & HWVIRT_CPUID_INDEXED) && e->index != index)) {
            continue;
        }
        switch (reg) {
        case R_EAX: return e->eax;
        case R_EBX: return e->ebx;
        case R_ECX:
            /* x2APIC and the TSC-deadline timer: the module's APIC only. */
            if (function == 1 && !hwvirt_irqchip_in_kernel()) {
                return e->ecx & ~(CPUID_EXT_X2APIC |
                                  CPUID_EXT_TSC_DEADLINE_TIMER);
            }
            return e->ecx;
        case R_EDX: return e->edx;
        }
    }
    return 0;
}

/*
 * QEMU packs XSAVE components at the offsets of ext_save_areas[]; the
 * module uses the host's standard layout: take the offsets from it.
 */
static void hwvirt_cpu_xsave_init(void)
{
    static bool done;
    int i;

    if (done) {
        return;
    }
    done = true;
    x86_ext_save_areas[XSTATE_FP_BIT].offset = 0;
    x86_ext_save_areas[XSTATE_SSE_BIT].offset = 0;
    for (i = XSTATE_SSE_BIT + 1; i < XSAVE_STATE_AREA_COUNT; i++) {
        ExtSaveArea *esa = &x86_ext_save_areas[i];
        uint32_t size = hwvirt_get_supported_cpuid(0xd, i, R_EAX);

        if (esa->size && size == esa->size) {
            esa->offset = hwvirt_get_supported_cpuid(0xd, i, R_EBX);
        }
    }
}

/* Named models: what hwvirt never offers is off from the start, silently. */
static PropValue hwvirt_default_props[] = {
    { "svm", "off" },
    { "vmx", "off" },
    { "monitor", "off" },
    { "acpi", "off" },
    { NULL, NULL },
};

/*
 * ...and, from a module with HWVIRT_CAP_PVCLOCK, KVM's paravirtual clock
 * and the no-I/O-delay hint, as KVM's named models have them.
 */
static PropValue hwvirt_pvclock_props[] = {
    { "kvmclock", "on" },
    { "kvmclock-stable-bit", "on" },
    { "kvm-nopiodelay", "on" },
    { NULL, NULL },
};

/* ...and with the APIC in QEMU, x2APIC (which QEMU's APIC lacks here). */
static PropValue hwvirt_userspace_apic_props[] = {
    { "x2apic", "off" },
    { NULL, NULL },
};

static void hwvirt_cpu_instance_init(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    X86CPUClass *xcc = X86_CPU_GET_CLASS(cpu);
    CPUX86State *env = &cpu->env;

    host_cpu_instance_init(cpu);
    if (xcc->model) {
        x86_cpu_apply_props(cpu, hwvirt_default_props);
        if (hwvirt_state &&
            (hwvirt_state->info.caps & HWVIRT_CAP_PVCLOCK)) {
            x86_cpu_apply_props(cpu, hwvirt_pvclock_props);
        }
        if (!hwvirt_irqchip_in_kernel()) {
            x86_cpu_apply_props(cpu, hwvirt_userspace_apic_props);
        }
    }
    if (cpu->max_features) {
        host_cpu_max_instance_init(cpu);
        env->cpuid_min_level = hwvirt_get_supported_cpuid(0x0, 0, R_EAX);
        env->cpuid_min_xlevel = hwvirt_get_supported_cpuid(0x80000000, 0,
                                                           R_EAX);
    }
    hwvirt_cpu_xsave_init();
}

static void hwvirt_cpu_accel_class_init(ObjectClass *oc, void *data)
{
    AccelCPUClass *acc = ACCEL_CPU_CLASS(oc);

    acc->cpu_target_realize = host_cpu_realizefn;
    acc->cpu_instance_init = hwvirt_cpu_instance_init;
}

static const TypeInfo hwvirt_cpu_accel_type_info = {
    .name = ACCEL_CPU_NAME("hwvirt"),
    .parent = TYPE_ACCEL_CPU,
    .class_init = hwvirt_cpu_accel_class_init,
    .abstract = true,
};

static void hwvirt_cpu_accel_register_types(void)
{
    type_register_static(&hwvirt_cpu_accel_type_info);
}

type_init(hwvirt_cpu_accel_register_types);
