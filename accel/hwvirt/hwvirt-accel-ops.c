/*
 * hwvirt accelerator: vCPU threads
 *
 * One thread per vCPU, named "CPU n/HWVIRT", which runs the guest with
 * the BQL dropped and sleeps while the vCPU is halted: in QEMU with a
 * userspace APIC, in the module with the module's.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/guest-random.h"
#include "qemu/main-loop.h"
#include "system/accel-ops.h"
#include "system/cpus.h"
#include "hw/core/cpu.h"
#include "hwvirt-int.h"

static void *hwvirt_cpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    int r;

    rcu_register_thread();

    bql_lock();
    qemu_thread_get_self(cpu->thread);
    cpu->thread_id = qemu_get_thread_id();
    current_cpu = cpu;

    r = hwvirt_init_vcpu(cpu);
    if (r < 0) {
        error_report("hwvirt: cannot create CPU %d: %s", cpu->cpu_index,
                     strerror(-r));
        exit(1);
    }

    cpu_thread_signal_created(cpu);
    qemu_guest_random_seed_thread_part2(cpu->random_seed);

    do {
        if (cpu_can_run(cpu)) {
            r = hwvirt_vcpu_exec(cpu);
            if (r == EXCP_DEBUG) {
                cpu_handle_guest_debug(cpu);
            }
        }
        while (cpu_thread_is_idle(cpu)) {
            qemu_cond_wait_bql(cpu->halt_cond);
        }
        qemu_wait_io_event_common(cpu);
    } while (!cpu->unplug || cpu_can_run(cpu));

    hwvirt_destroy_vcpu(cpu);
    cpu_thread_signal_destroyed(cpu);
    bql_unlock();
    rcu_unregister_thread();
    return NULL;
}

static void hwvirt_start_vcpu_thread(CPUState *cpu)
{
    char thread_name[VCPU_THREAD_NAME_SIZE];

    snprintf(thread_name, VCPU_THREAD_NAME_SIZE, "CPU %d/HWVIRT",
             cpu->cpu_index);
    qemu_thread_create(cpu->thread, thread_name, hwvirt_cpu_thread_fn,
                       cpu, QEMU_THREAD_JOINABLE);
}

/*
 * With the local APICs in the module, a halted vCPU sleeps in HWVIRT_RUN
 * (until an interrupt, or the kick of a signal), not on halt_cond.
 */
static bool hwvirt_vcpu_thread_is_idle(CPUState *cpu)
{
    return !hwvirt_irqchip_in_kernel();
}

/*
 * Make HWVIRT_RUN return: the signal interrupts it, or its handler sets
 * immediate_exit for the next one.
 */
static void hwvirt_kick_vcpu_thread(CPUState *cpu)
{
    qatomic_set(&cpu->exit_request, 1);
    cpus_kick_thread(cpu);
}

static void hwvirt_accel_ops_class_init(ObjectClass *oc, void *data)
{
    AccelOpsClass *ops = ACCEL_OPS_CLASS(oc);

    ops->create_vcpu_thread = hwvirt_start_vcpu_thread;
    ops->kick_vcpu_thread = hwvirt_kick_vcpu_thread;
    ops->cpu_thread_is_idle = hwvirt_vcpu_thread_is_idle;

    ops->synchronize_post_reset = hwvirt_cpu_synchronize_post_reset;
    ops->synchronize_post_init = hwvirt_cpu_synchronize_post_init;
    ops->synchronize_state = hwvirt_cpu_synchronize_state;
    ops->synchronize_pre_loadvm = hwvirt_cpu_synchronize_pre_loadvm;
}

static const TypeInfo hwvirt_accel_ops_type = {
    .name = ACCEL_OPS_NAME("hwvirt"),
    .parent = TYPE_ACCEL_OPS,
    .class_init = hwvirt_accel_ops_class_init,
    .abstract = true,
};

static void hwvirt_accel_ops_register_types(void)
{
    type_register_static(&hwvirt_accel_ops_type);
}

type_init(hwvirt_accel_ops_register_types);
