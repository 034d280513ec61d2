/*
 * hwvirt accelerator: state shared by the files of accel/hwvirt and
 * target/i386/hwvirt
 *
 * accel/hwvirt holds what does not depend on the guest architecture: the
 * accelerator object, /dev/hwvirt and the VM, memory slots, vCPU threads
 * and the run loop.  target/i386/hwvirt supplies the hwvirt_arch_*
 * functions: register state, CPUID, interrupts and the x86 exits.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#ifndef HWVIRT_INT_H
#define HWVIRT_INT_H

#include <linux/hwvirt.h>

#include "qemu/accel.h"
#include "qemu/bitmap.h"
#include "exec/memory.h"
#include "system/hwvirt.h"

/* One memory slot of the module, as the memory listener set it. */
typedef struct HwvirtSlot {
    hwaddr start;               /* guest-physical, page aligned */
    hwaddr size;                /* 0: the slot is free */
    void *host;
    ram_addr_t ram_addr;        /* of start, for QEMU's dirty bitmaps */
    bool readonly;
    bool log;                   /* HWVIRT_MEM_LOG_DIRTY */
} HwvirtSlot;

typedef struct HwvirtState {
    AccelState parent_obj;

    /* -accel hwvirt,device=PATH; NULL means /dev/hwvirt. */
    char *device;
    /* -machine kernel-irqchip (OnOffSplit); ON_OFF_SPLIT__MAX: not given */
    int kernel_irqchip;
    /* -accel hwvirt,mmu=: HWVIRT_MMU_DEFAULT (auto), _TDP or _SHADOW */
    uint32_t mmu;
    /* -accel hwvirt,ioeventfd=,irqfd=: use the module's (default on) */
    bool ioeventfds;
    bool irqfds;

    /* The system fd and the VM fd: -1 until init_machine opens them. */
    int fd;
    int vm_fd;

    /* What the module said about itself, and about the VM. */
    struct hwvirt_info info;
    struct hwvirt_vm_info vm_info;
    struct hwvirt_cpuid *supported_cpuid;
    int run_size;
    unsigned int gpa_bits;      /* memory slots end below 2^gpa_bits */

    /* Memory slots, indexed by slot number; changed under the BQL. */
    HwvirtSlot *slots;
    int nr_slots;
    MemoryListener memory_listener;
} HwvirtState;

DECLARE_INSTANCE_CHECKER(HwvirtState, HWVIRT_STATE, TYPE_HWVIRT_ACCEL)

extern HwvirtState *hwvirt_state;

/* Per vCPU (CPUState.accel). */
struct AccelCPUState {
    int fd;
    struct hwvirt_run *run;
};

/* put_registers levels: what the module must be told. */
#define HWVIRT_PUT_RUNTIME_STATE  1   /* after QEMU looked at the state */
#define HWVIRT_PUT_RESET_STATE    2   /* after a reset */
#define HWVIRT_PUT_FULL_STATE     3   /* after init or loadvm */

/* accel/hwvirt/hwvirt-all.c */
int hwvirt_init_vcpu(CPUState *cpu);
void hwvirt_destroy_vcpu(CPUState *cpu);
int hwvirt_vcpu_exec(CPUState *cpu);
void hwvirt_cpu_synchronize_state(CPUState *cpu);
void hwvirt_cpu_synchronize_post_reset(CPUState *cpu);
void hwvirt_cpu_synchronize_post_init(CPUState *cpu);
void hwvirt_cpu_synchronize_pre_loadvm(CPUState *cpu);
void hwvirt_init_cpu_signals(void);
int hwvirt_vcpu_ioctl(CPUState *cpu, unsigned long req, void *arg);

/* accel/hwvirt/hwvirt-eventfd.c */
void hwvirt_eventfd_init(HwvirtState *s);

/* target/i386/hwvirt */
int hwvirt_arch_init_vcpu(CPUState *cpu);
int hwvirt_arch_get_registers(CPUState *cpu, Error **errp);
int hwvirt_arch_put_registers(CPUState *cpu, int level, Error **errp);
bool hwvirt_arch_process_async_events(CPUState *cpu);
void hwvirt_arch_pre_run(CPUState *cpu, struct hwvirt_run *run);
void hwvirt_arch_post_run(CPUState *cpu, struct hwvirt_run *run);
/* An exit the generic loop does not know: the EXCP_* to leave with, or 0. */
int hwvirt_arch_handle_exit(CPUState *cpu, struct hwvirt_run *run);

#endif /* HWVIRT_INT_H */
