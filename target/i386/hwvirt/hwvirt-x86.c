/*
 * hwvirt accelerator: the x86 half
 *
 * Register state between CPUX86State and the module, the guest's CPUID
 * table, interrupts from QEMU's (userspace) PIC and APIC, and the x86
 * exits.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <linux/hwvirt.h>

#include "cpu.h"
#include "exec/log.h"
#include "qemu/error-report.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "hw/i386/apic.h"
#include "hw/intc/ioapic.h"
#include "system/cpus.h"
#include "system/hw_accel.h"
#include "system/runstate.h"
#include "accel/hwvirt/hwvirt-int.h"
#include "hwvirt-i386.h"
#include "trace.h"

/*
 * CPUID
 */

#define HWVIRT_MAX_CPUID 256

typedef struct CpuidTable {
    struct hwvirt_cpuid hdr;
    struct hwvirt_cpuid_entry e[HWVIRT_MAX_CPUID];
} CpuidTable;

static struct hwvirt_cpuid_entry *cpuid_add(CpuidTable *t, CPUX86State *env,
                                            uint32_t function, uint32_t index,
                                            bool indexed)
{
    struct hwvirt_cpuid_entry *e;

    if (t->hdr.nent >= HWVIRT_MAX_CPUID) {
        return NULL;
    }
    e = &t->e[t->hdr.nent++];
    *e = (struct hwvirt_cpuid_entry) {
        .function = function,
        .index = index,
        .flags = indexed ? HWVIRT_CPUID_INDEXED : 0,
    };
    cpu_x86_cpuid(env, function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);
    return e;
}

/* Every leaf of QEMU's CPU model, sub-leaves included. */
static void cpuid_collect(CpuidTable *t, CPUX86State *env, uint32_t first,
                          uint32_t last)
{
    struct hwvirt_cpuid_entry *e;
    uint32_t f, i;

    for (f = first; f <= last; f++) {
        switch (f) {
        case 0x4:
        case 0x8000001d:
            /* Cache descriptors, up to the one of type 0. */
            for (i = 0; i < 64; i++) {
                e = cpuid_add(t, env, f, i, true);
                if (!e || !(e->eax & 0x1f)) {
                    break;
                }
            }
            break;
        case 0xb:
        case 0x1f:
            /* Topology levels, up to the invalid one. */
            for (i = 0; i < 64; i++) {
                e = cpuid_add(t, env, f, i, true);
                if (!e || !(e->ecx & 0xff00)) {
                    break;
                }
            }
            break;
        case 0x7:
        case 0x14:
        case 0x1d:
            e = cpuid_add(t, env, f, 0, true);
            for (i = 1; e && i <= MIN(e->eax, 16); i++) {
                cpuid_add(t, env, f, i, true);
            }
            break;
        case 0xd:
            for (i = 0; i < 64; i++) {
                uint32_t eax, ebx, ecx, edx;

                cpu_x86_cpuid(env, f, i, &eax, &ebx, &ecx, &edx);
                if (i < 2 || eax || ebx || ecx || edx) {
                    cpuid_add(t, env, f, i, true);
                }
            }
            break;
        default:
            cpuid_add(t, env, f, 0, false);
            break;
        }
    }
}

/*
 * KVM's paravirtual leaves, as kvm_arch_init_vcpu() builds them, when
 * the CPU model has KVM features ("kvmclock", "kvmclock-stable-bit":
 * what hwvirt.ko runs, HWVIRT_CAP_PVCLOCK): the guest then reads its
 * time from the module's pvclock pages instead of the HPET.
 */
static void hwvirt_cpuid_add_kvm_leaves(CpuidTable *t, CPUX86State *env)
{
    struct hwvirt_cpuid_entry *e;
    uint32_t signature[3];

    if (!env->features[FEAT_KVM] || t->hdr.nent + 2 > HWVIRT_MAX_CPUID) {
        return;
    }
    memcpy(signature, "KVMKVMKVM\0\0\0", 12);
    e = &t->e[t->hdr.nent++];
    *e = (struct hwvirt_cpuid_entry) {
        .function = KVM_CPUID_SIGNATURE,
        .eax = KVM_CPUID_FEATURES,
        .ebx = signature[0],
        .ecx = signature[1],
        .edx = signature[2],
    };
    e = &t->e[t->hdr.nent++];
    *e = (struct hwvirt_cpuid_entry) {
        .function = KVM_CPUID_FEATURES,
        .eax = env->features[FEAT_KVM],
        .edx = env->features[FEAT_KVM_HINTS],
    };
}

int hwvirt_arch_init_vcpu(CPUState *cs)
{
    CPUX86State *env = &X86_CPU(cs)->env;
    g_autofree CpuidTable *t = g_new0(CpuidTable, 1);
    uint32_t limit, unused;
    int r;

    cpu_x86_cpuid(env, 0, 0, &limit, &unused, &unused, &unused);
    cpuid_collect(t, env, 0, limit);
    cpu_x86_cpuid(env, 0x80000000, 0, &limit, &unused, &unused, &unused);
    if (limit >= 0x80000000) {
        cpuid_collect(t, env, 0x80000000, MIN(limit, 0x800000ff));
    }
    cpu_x86_cpuid(env, 0xc0000000, 0, &limit, &unused, &unused, &unused);
    if (limit >= 0xc0000000 && limit <= 0xc00000ff) {
        cpuid_collect(t, env, 0xc0000000, limit);
    }
    hwvirt_cpuid_add_kvm_leaves(t, env);

    trace_hwvirt_set_cpuid(cs->cpu_index, t->hdr.nent);
    r = hwvirt_vcpu_ioctl(cs, HWVIRT_SET_CPUID, t);
    if (r < 0) {
        error_report("hwvirt: CPU %d: HWVIRT_SET_CPUID: %s", cs->cpu_index,
                     strerror(-r));
    }
    return r;
}

/*
 * Registers
 */

static void seg_to_hwvirt(struct hwvirt_segment *h, const SegmentCache *q)
{
    uint32_t flags = q->flags;

    *h = (struct hwvirt_segment) {
        .base = q->base,
        .limit = q->limit,
        .selector = q->selector,
        .type = (flags >> DESC_TYPE_SHIFT) & 15,
        .s = !!(flags & DESC_S_MASK),
        .dpl = (flags >> DESC_DPL_SHIFT) & 3,
        .present = !!(flags & DESC_P_MASK),
        .avl = !!(flags & DESC_AVL_MASK),
        .l = (flags >> DESC_L_SHIFT) & 1,
        .db = (flags >> DESC_B_SHIFT) & 1,
        .g = !!(flags & DESC_G_MASK),
    };
    h->unusable = !h->present;
}

static void seg_from_hwvirt(SegmentCache *q, const struct hwvirt_segment *h)
{
    q->base = h->base;
    q->limit = h->limit;
    q->selector = h->selector;
    q->flags = (h->type << DESC_TYPE_SHIFT) |
               ((h->present && !h->unusable) ? DESC_P_MASK : 0) |
               (h->dpl << DESC_DPL_SHIFT) |
               (h->db << DESC_B_SHIFT) |
               (h->s ? DESC_S_MASK : 0) |
               (h->l << DESC_L_SHIFT) |
               (h->g ? DESC_G_MASK : 0) |
               (h->avl ? DESC_AVL_MASK : 0);
}

/* The MSRs QEMU keeps in CPUX86State, but the TSC (only at reset). */
static const uint32_t hwvirt_msr_list[] = {
    MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
    MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_FMASK, MSR_KERNELGSBASE,
    MSR_PAT, MSR_TSC_AUX, MSR_IA32_MISC_ENABLE, MSR_MTRRdefType,
    MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
    MSR_MTRRfix4K_C0000, MSR_MTRRfix4K_C8000, MSR_MTRRfix4K_D0000,
    MSR_MTRRfix4K_D8000, MSR_MTRRfix4K_E0000, MSR_MTRRfix4K_E8000,
    MSR_MTRRfix4K_F0000, MSR_MTRRfix4K_F8000,
};

/*
 * AMD's legacy performance counters (PerfEvtSel0-3, PerfCtr0-3), with
 * HWVIRT_CAP_K7_PERFCTR; kept in env where KVM keeps its PMU's.
 */
#define MSR_K7_EVNTSEL0     0xc0010000
#define MSR_K7_EVNTSEL3     0xc0010003
#define MSR_K7_PERFCTR0     0xc0010004
#define MSR_K7_PERFCTR3     0xc0010007

static const uint32_t hwvirt_k7_perfctr_msrs[] = {
    MSR_K7_EVNTSEL0, MSR_K7_EVNTSEL0 + 1, MSR_K7_EVNTSEL0 + 2, MSR_K7_EVNTSEL3,
    MSR_K7_PERFCTR0, MSR_K7_PERFCTR0 + 1, MSR_K7_PERFCTR0 + 2, MSR_K7_PERFCTR3,
};

/* Where each MSR lives in env; NULL for the variable MTRRs (see below). */
static uint64_t *msr_slot(CPUX86State *env, uint32_t index, uint64_t *tmp)
{
    switch (index) {
    case MSR_STAR: return &env->star;
    case MSR_PAT: return &env->pat;
    case MSR_TSC_AUX: return &env->tsc_aux;
    case MSR_IA32_MISC_ENABLE: return &env->msr_ia32_misc_enable;
    case MSR_MTRRdefType: return &env->mtrr_deftype;
    case MSR_IA32_TSC: return &env->tsc;
    case MSR_TSC_ADJUST: return &env->tsc_adjust;
    case MSR_MTRRfix64K_00000: return &env->mtrr_fixed[0];
    case MSR_MTRRfix16K_80000: return &env->mtrr_fixed[1];
    case MSR_MTRRfix16K_A0000: return &env->mtrr_fixed[2];
    case MSR_MTRRfix4K_C0000 ... MSR_MTRRfix4K_F8000:
        return &env->mtrr_fixed[3 + index - MSR_MTRRfix4K_C0000];
    case MSR_K7_EVNTSEL0 ... MSR_K7_EVNTSEL3:
        return &env->msr_gp_evtsel[index - MSR_K7_EVNTSEL0];
    case MSR_K7_PERFCTR0 ... MSR_K7_PERFCTR3:
        return &env->msr_gp_counters[index - MSR_K7_PERFCTR0];
    case MSR_KVM_SYSTEM_TIME:
    case MSR_KVM_SYSTEM_TIME_NEW:
        return &env->system_time_msr;
    case MSR_KVM_WALL_CLOCK:
    case MSR_KVM_WALL_CLOCK_NEW:
        return &env->wall_clock_msr;
    }
    /* 32-bit or target_ulong fields go through tmp. */
    return tmp;
}

static void msr_to_env(CPUX86State *env, uint32_t index, uint64_t v)
{
    uint64_t tmp, *p = msr_slot(env, index, &tmp);

    if (p != &tmp) {
        *p = v;
        return;
    }
    switch (index) {
    case MSR_IA32_SYSENTER_CS:
        env->sysenter_cs = v;
        break;
    case MSR_IA32_SYSENTER_ESP:
        env->sysenter_esp = v;
        break;
    case MSR_IA32_SYSENTER_EIP:
        env->sysenter_eip = v;
        break;
    case MSR_LSTAR:
        env->lstar = v;
        break;
    case MSR_CSTAR:
        env->cstar = v;
        break;
    case MSR_FMASK:
        env->fmask = v;
        break;
    case MSR_KERNELGSBASE:
        env->kernelgsbase = v;
        break;
    default:
        if (index >= MSR_MTRRphysBase(0) &&
            index < MSR_MTRRphysBase(MSR_MTRRcap_VCNT)) {
            int n = (index - MSR_MTRRphysBase(0)) / 2;

            if (index & 1) {
                env->mtrr_var[n].mask = v;
            } else {
                env->mtrr_var[n].base = v;
            }
        }
    }
}

static uint64_t msr_from_env(CPUX86State *env, uint32_t index)
{
    uint64_t tmp, *p = msr_slot(env, index, &tmp);

    if (p != &tmp) {
        return *p;
    }
    switch (index) {
    case MSR_IA32_SYSENTER_CS: return env->sysenter_cs;
    case MSR_IA32_SYSENTER_ESP: return env->sysenter_esp;
    case MSR_IA32_SYSENTER_EIP: return env->sysenter_eip;
    case MSR_LSTAR: return env->lstar;
    case MSR_CSTAR: return env->cstar;
    case MSR_FMASK: return env->fmask;
    case MSR_KERNELGSBASE: return env->kernelgsbase;
    }
    if (index >= MSR_MTRRphysBase(0) &&
        index < MSR_MTRRphysBase(MSR_MTRRcap_VCNT)) {
        int n = (index - MSR_MTRRphysBase(0)) / 2;

        return (index & 1) ? env->mtrr_var[n].mask : env->mtrr_var[n].base;
    }
    return 0;
}

#define HWVIRT_MSR_ROOM (ARRAY_SIZE(hwvirt_msr_list) + \
                         ARRAY_SIZE(hwvirt_k7_perfctr_msrs) + \
                         2 * MSR_MTRRcap_VCNT + 4)

typedef struct MsrBuf {
    struct hwvirt_msrs hdr;
    struct hwvirt_msr_entry e[HWVIRT_MSR_ROOM];
} MsrBuf;

static void msr_buf_fill(MsrBuf *b, CPUX86State *env, bool with_tsc)
{
    unsigned int i, n = 0;

    memset(b, 0, sizeof(*b));
    for (i = 0; i < ARRAY_SIZE(hwvirt_msr_list); i++) {
        b->e[n++].index = hwvirt_msr_list[i];
    }
    if (hwvirt_state->info.caps & HWVIRT_CAP_K7_PERFCTR) {
        for (i = 0; i < ARRAY_SIZE(hwvirt_k7_perfctr_msrs); i++) {
            b->e[n++].index = hwvirt_k7_perfctr_msrs[i];
        }
    }
    for (i = 0; i < 2 * MSR_MTRRcap_VCNT; i++) {
        b->e[n++].index = MSR_MTRRphysBase(0) + i;
    }
    /* The paravirtual clock (hwvirt 0.10.0): a reset writes 0, disabled. */
    if (env->features[FEAT_KVM] & CPUID_KVM_CLOCK2) {
        b->e[n++].index = MSR_KVM_SYSTEM_TIME_NEW;
        b->e[n++].index = MSR_KVM_WALL_CLOCK_NEW;
    } else if (env->features[FEAT_KVM] & CPUID_KVM_CLOCK) {
        b->e[n++].index = MSR_KVM_SYSTEM_TIME;
        b->e[n++].index = MSR_KVM_WALL_CLOCK;
    }
    /* hwvirt 0.8.0 offers TSC_ADJUST; before the TSC (reset: both 0). */
    if (env->features[FEAT_7_0_EBX] & CPUID_7_0_EBX_TSC_ADJUST) {
        b->e[n++].index = MSR_TSC_ADJUST;
    }
    if (with_tsc) {
        b->e[n++].index = MSR_IA32_TSC;
    }
    b->hdr.nmsrs = n;
    for (i = 0; i < n; i++) {
        b->e[i].data = msr_from_env(env, b->e[i].index);
    }
}

/* One state-transfer ioctl, and the buffer it reads or fills. */
typedef struct StateIoctl {
    unsigned long req;
    void *arg;
} StateIoctl;

static int state_ioctls(CPUState *cs, const StateIoctl *io, size_t n,
                        const char *what, Error **errp)
{
    size_t i;
    int r;

    for (i = 0; i < n; i++) {
        r = hwvirt_vcpu_ioctl(cs, io[i].req, io[i].arg);
        if (r) {
            error_setg_errno(errp, -r, "hwvirt: CPU %d: %s its state",
                             cs->cpu_index, what);
            return r;
        }
    }
    return 0;
}

int hwvirt_arch_get_registers(CPUState *cs, Error **errp)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;
    struct hwvirt_regs regs;
    struct hwvirt_sregs sregs;
    struct hwvirt_events ev;
    g_autofree MsrBuf *msrs = g_new(MsrBuf, 1);
    g_autofree void *xsave = g_malloc0(HWVIRT_XSAVE_SIZE);
    uint64_t xcr0;
    int r, i;

    const StateIoctl get[] = {
        { HWVIRT_GET_REGS, &regs },
        { HWVIRT_GET_SREGS, &sregs },
        { HWVIRT_GET_EVENTS, &ev },
        { HWVIRT_GET_FPU, xsave },
        { HWVIRT_GET_XCR0, &xcr0 },
    };

    r = state_ioctls(cs, get, ARRAY_SIZE(get), "reading", errp);
    if (r) {
        return r;
    }

    env->regs[R_EAX] = regs.rax;
    env->regs[R_EBX] = regs.rbx;
    env->regs[R_ECX] = regs.rcx;
    env->regs[R_EDX] = regs.rdx;
    env->regs[R_ESI] = regs.rsi;
    env->regs[R_EDI] = regs.rdi;
    env->regs[R_ESP] = regs.rsp;
    env->regs[R_EBP] = regs.rbp;
    env->regs[8] = regs.r8;
    env->regs[9] = regs.r9;
    env->regs[10] = regs.r10;
    env->regs[11] = regs.r11;
    env->regs[12] = regs.r12;
    env->regs[13] = regs.r13;
    env->regs[14] = regs.r14;
    env->regs[15] = regs.r15;
    env->eip = regs.rip;
    env->eflags = regs.rflags;

    seg_from_hwvirt(&env->segs[R_CS], &sregs.cs);
    seg_from_hwvirt(&env->segs[R_DS], &sregs.ds);
    seg_from_hwvirt(&env->segs[R_ES], &sregs.es);
    seg_from_hwvirt(&env->segs[R_FS], &sregs.fs);
    seg_from_hwvirt(&env->segs[R_GS], &sregs.gs);
    seg_from_hwvirt(&env->segs[R_SS], &sregs.ss);
    seg_from_hwvirt(&env->tr, &sregs.tr);
    seg_from_hwvirt(&env->ldt, &sregs.ldt);
    env->gdt.base = sregs.gdt.base;
    env->gdt.limit = sregs.gdt.limit;
    env->idt.base = sregs.idt.base;
    env->idt.limit = sregs.idt.limit;
    env->cr[0] = sregs.cr0;
    env->cr[2] = sregs.cr2;
    env->cr[3] = sregs.cr3;
    env->cr[4] = sregs.cr4;
    env->efer = sregs.efer;
    /* The APIC base and the TPR come back through the run page. */

    env->hflags &= ~HF_INHIBIT_IRQ_MASK;
    if (ev.flags & HWVIRT_EVENT_INTERRUPT_SHADOW) {
        env->hflags |= HF_INHIBIT_IRQ_MASK;
    }
    env->hflags2 &= ~HF2_NMI_MASK;
    if (ev.flags & HWVIRT_EVENT_NMI_MASKED) {
        env->hflags2 |= HF2_NMI_MASK;
    }
    env->nmi_pending = !!(ev.flags & HWVIRT_EVENT_NMI_PENDING);
    env->nmi_injected = 0;
    env->interrupt_injected = (ev.flags & HWVIRT_EVENT_IRQ_PENDING) ?
                              ev.irq_vector : -1;
    env->exception_injected = !!(ev.flags & HWVIRT_EVENT_EXCEPTION);
    env->exception_pending = 0;
    env->exception_has_payload = false;
    env->exception_nr = env->exception_injected ? ev.exception_vector : -1;
    env->has_error_code = !!(ev.flags & HWVIRT_EVENT_EXCEPTION_ERROR);
    env->error_code = ev.exception_error_code;

    x86_cpu_xrstor_all_areas(cpu, xsave, HWVIRT_XSAVE_SIZE);
    env->xcr0 = xcr0;

    msr_buf_fill(msrs, env, true);
    r = hwvirt_vcpu_ioctl(cs, HWVIRT_GET_MSRS, msrs);
    if (r < 0) {
        error_setg_errno(errp, -r, "hwvirt: CPU %d: HWVIRT_GET_MSRS",
                         cs->cpu_index);
        return r;
    }
    for (i = 0; i < r; i++) {
        msr_to_env(env, msrs->e[i].index, msrs->e[i].data);
    }

    if (hwvirt_irqchip_in_kernel()) {
        struct hwvirt_mp_state mp;

        r = hwvirt_apic_get(cpu);
        if (!r) {
            r = hwvirt_vcpu_ioctl(cs, HWVIRT_GET_MP_STATE, &mp);
        }
        if (r) {
            error_setg_errno(errp, -r, "hwvirt: CPU %d: reading its APIC",
                             cs->cpu_index);
            return r;
        }
        env->mp_state = mp.mp_state;
        cs->halted = mp.mp_state == HWVIRT_MP_STATE_HALTED;
    }

    x86_update_hflags(env);
    return 0;
}

int hwvirt_arch_put_registers(CPUState *cs, int level, Error **errp)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;
    struct hwvirt_regs regs = {
        .rax = env->regs[R_EAX], .rbx = env->regs[R_EBX],
        .rcx = env->regs[R_ECX], .rdx = env->regs[R_EDX],
        .rsi = env->regs[R_ESI], .rdi = env->regs[R_EDI],
        .rsp = env->regs[R_ESP], .rbp = env->regs[R_EBP],
        .r8 = env->regs[8], .r9 = env->regs[9], .r10 = env->regs[10],
        .r11 = env->regs[11], .r12 = env->regs[12], .r13 = env->regs[13],
        .r14 = env->regs[14], .r15 = env->regs[15],
        .rip = env->eip, .rflags = env->eflags,
    };
    struct hwvirt_sregs sregs = { 0 };
    struct hwvirt_events ev = { 0 };
    g_autofree MsrBuf *msrs = g_new(MsrBuf, 1);
    g_autofree void *xsave = g_malloc0(HWVIRT_XSAVE_SIZE);
    uint64_t xcr0 = env->xcr0;
    int r;

    seg_to_hwvirt(&sregs.cs, &env->segs[R_CS]);
    seg_to_hwvirt(&sregs.ds, &env->segs[R_DS]);
    seg_to_hwvirt(&sregs.es, &env->segs[R_ES]);
    seg_to_hwvirt(&sregs.fs, &env->segs[R_FS]);
    seg_to_hwvirt(&sregs.gs, &env->segs[R_GS]);
    seg_to_hwvirt(&sregs.ss, &env->segs[R_SS]);
    seg_to_hwvirt(&sregs.tr, &env->tr);
    seg_to_hwvirt(&sregs.ldt, &env->ldt);
    sregs.gdt.base = env->gdt.base;
    sregs.gdt.limit = env->gdt.limit;
    sregs.idt.base = env->idt.base;
    sregs.idt.limit = env->idt.limit;
    sregs.cr0 = env->cr[0];
    sregs.cr2 = env->cr[2];
    sregs.cr3 = env->cr[3];
    sregs.cr4 = env->cr[4];
    sregs.cr8 = cpu_get_apic_tpr(cpu->apic_state);
    sregs.efer = env->efer;
    sregs.apic_base = cpu_get_apic_base(cpu->apic_state);

    if (env->hflags & HF_INHIBIT_IRQ_MASK) {
        ev.flags |= HWVIRT_EVENT_INTERRUPT_SHADOW;
    }
    if (env->hflags2 & HF2_NMI_MASK) {
        ev.flags |= HWVIRT_EVENT_NMI_MASKED;
    }
    if (env->nmi_pending || env->nmi_injected) {
        ev.flags |= HWVIRT_EVENT_NMI_PENDING;
    }
    if (env->interrupt_injected >= 0) {
        ev.flags |= HWVIRT_EVENT_IRQ_PENDING;
        ev.irq_vector = env->interrupt_injected;
    }
    if ((env->exception_injected || env->exception_pending) &&
        env->exception_nr >= 0 && env->exception_nr < 32) {
        ev.flags |= HWVIRT_EVENT_EXCEPTION;
        ev.exception_vector = env->exception_nr;
        if (env->has_error_code) {
            ev.flags |= HWVIRT_EVENT_EXCEPTION_ERROR;
            ev.exception_error_code = env->error_code;
        }
    }

    x86_cpu_xsave_all_areas(cpu, xsave, HWVIRT_XSAVE_SIZE);
    msr_buf_fill(msrs, env, level >= HWVIRT_PUT_RESET_STATE);

    const StateIoctl set[] = {
        { HWVIRT_SET_REGS, &regs },
        { HWVIRT_SET_SREGS, &sregs },
        { HWVIRT_SET_EVENTS, &ev },
        { HWVIRT_SET_XCR0, &xcr0 },    /* before the XSAVE image it enables */
        { HWVIRT_SET_FPU, xsave },
    };

    r = state_ioctls(cs, set, ARRAY_SIZE(set), "writing", errp);
    if (r) {
        return r;
    }
    r = hwvirt_vcpu_ioctl(cs, HWVIRT_SET_MSRS, msrs);
    if (r < 0 || r != (int)msrs->hdr.nmsrs) {
        error_setg(errp, "hwvirt: CPU %d: HWVIRT_SET_MSRS refused MSR 0x%x",
                   cs->cpu_index, r < 0 ? 0 : msrs->e[r].index);
        return r < 0 ? r : -EINVAL;
    }

    /*
     * The module runs INIT and SIPI itself: after a reset the BSP runs
     * and the APs wait for a SIPI; loadvm brings back the saved state.
     */
    if (hwvirt_irqchip_in_kernel() && level >= HWVIRT_PUT_RESET_STATE) {
        struct hwvirt_mp_state mp;

        if (level == HWVIRT_PUT_RESET_STATE) {
            env->mp_state = cpu_is_bsp(cpu) ? HWVIRT_MP_STATE_RUNNABLE :
                                              HWVIRT_MP_STATE_INIT_RECEIVED;
        }
        mp = (struct hwvirt_mp_state) { .mp_state = env->mp_state };
        r = hwvirt_vcpu_ioctl(cs, HWVIRT_SET_MP_STATE, &mp);
        if (r) {
            error_setg_errno(errp, -r, "hwvirt: CPU %d: HWVIRT_SET_MP_STATE",
                             cs->cpu_index);
            return r;
        }
    }
    return 0;
}

/*
 * Interrupts from QEMU's PIC/APIC
 */

/*
 * Before each run, on the vCPU thread with the BQL: what QEMU's own APIC
 * and the machine asked of this CPU.  Returns true if it stays halted.
 *
 * Every request that makes cpu_has_work() true must be consumed here, or
 * end the halt: a halted vCPU with "work" is never idle, and its thread
 * would come back here at once, forever, holding the BQL (the main loop,
 * and with it SIGTERM and the monitor, would wait for ever).  The second
 * SIPI of INIT-SIPI-SIPI, left in interrupt_request, did exactly that.
 */
bool hwvirt_arch_process_async_events(CPUState *cs)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;

    if (cs->interrupt_request & CPU_INTERRUPT_INIT) {
        hwvirt_cpu_synchronize_state(cs);
        do_cpu_init(cpu);
    }
    /* No SMM and no machine-check injection with hwvirt: dropped. */
    if (cs->interrupt_request & (CPU_INTERRUPT_SMI | CPU_INTERRUPT_MCE)) {
        cpu_reset_interrupt(cs, CPU_INTERRUPT_SMI | CPU_INTERRUPT_MCE);
    }
    /* TPR access reports are for the vAPIC option ROM, which is off. */
    cs->interrupt_request &= ~CPU_INTERRUPT_TPR;

    /* The module's APIC: HLT, INIT and SIPI are its business. */
    if (hwvirt_irqchip_in_kernel()) {
        return false;
    }
    if (cs->interrupt_request & CPU_INTERRUPT_POLL) {
        cs->interrupt_request &= ~CPU_INTERRUPT_POLL;
        apic_poll_irq(cpu->apic_state);
    }
    if (((cs->interrupt_request & CPU_INTERRUPT_HARD) &&
         (env->eflags & IF_MASK)) ||
        (cs->interrupt_request & CPU_INTERRUPT_NMI)) {
        cs->halted = 0;
    }
    if (cs->interrupt_request & CPU_INTERRUPT_SIPI) {
        /* A SIPI that finds the CPU running is dropped, but consumed. */
        cpu_reset_interrupt(cs, CPU_INTERRUPT_SIPI);
        hwvirt_cpu_synchronize_state(cs);
        do_cpu_sipi(cpu);
    }
    return cs->halted;
}

void hwvirt_arch_pre_run(CPUState *cs, struct hwvirt_run *run)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;

    if (cs->interrupt_request & CPU_INTERRUPT_NMI) {
        cs->interrupt_request &= ~CPU_INTERRUPT_NMI;
        if (hwvirt_vcpu_ioctl(cs, HWVIRT_NMI, NULL) < 0) {
            error_report("hwvirt: CPU %d: cannot inject an NMI",
                         cs->cpu_index);
        }
    }
    if ((cs->interrupt_request & CPU_INTERRUPT_HARD) &&
        (env->eflags & IF_MASK) && run->ready_for_interrupt_injection) {
        int irq = cpu_get_pic_interrupt(env);

        if (irq >= 0) {
            struct hwvirt_interrupt intr = { .vector = irq };

            trace_hwvirt_inject_irq(cs->cpu_index, irq);
            if (hwvirt_vcpu_ioctl(cs, HWVIRT_INTERRUPT, &intr) < 0) {
                error_report("hwvirt: CPU %d: cannot inject interrupt %d",
                             cs->cpu_index, irq);
            }
        }
    }
    /* Exit as soon as the guest can take the next one. */
    run->request_interrupt_window =
        !!(cs->interrupt_request & CPU_INTERRUPT_HARD);
    run->cr8 = cpu_get_apic_tpr(cpu->apic_state);
}

void hwvirt_arch_post_run(CPUState *cs, struct hwvirt_run *run)
{
    X86CPU *cpu = X86_CPU(cs);
    CPUX86State *env = &cpu->env;

    env->eflags = (env->eflags & ~IF_MASK) | (run->if_flag ? IF_MASK : 0);
    cpu_set_apic_tpr(cpu->apic_state, run->cr8);
    cpu_set_apic_base(cpu->apic_state, run->apic_base);
}

/*
 * Exits
 */

int hwvirt_arch_handle_exit(CPUState *cs, struct hwvirt_run *run)
{
    CPUX86State *env = &X86_CPU(cs)->env;

    switch (run->exit_reason) {
    case HWVIRT_EXIT_EOI:
        /* A level-triggered interrupt ended: the IOAPIC's remote IRR. */
        trace_hwvirt_eoi(cs->cpu_index, run->eoi.vector);
        ioapic_eoi_broadcast(run->eoi.vector);
        return 0;
    case HWVIRT_EXIT_HLT:
        if (!((cs->interrupt_request & CPU_INTERRUPT_HARD) &&
              (env->eflags & IF_MASK)) &&
            !(cs->interrupt_request & CPU_INTERRUPT_NMI)) {
            cs->halted = 1;
            return EXCP_HLT;
        }
        return 0;
    case HWVIRT_EXIT_IRQ_WINDOW_OPEN:
        return 0;
    case HWVIRT_EXIT_SHUTDOWN:
        /*
         * Where it happened, for the guest's developer (a reboot by triple
         * fault is normal for some guests): one line, and the whole CPU
         * state with -d cpu_reset.
         */
        cpu_synchronize_state(cs);
        warn_report("hwvirt: CPU %d triple-faulted at %04x:%" PRIx64
                    " (RSP %" PRIx64 ", CR2 %" PRIx64 ", CR3 %" PRIx64
                    "): system reset requested", cs->cpu_index,
                    env->segs[R_CS].selector, (uint64_t)env->eip,
                    (uint64_t)env->regs[R_ESP], (uint64_t)env->cr[2],
                    (uint64_t)env->cr[3]);
        if (qemu_loglevel_mask(CPU_LOG_RESET)) {
            qemu_log("hwvirt: CPU %d state at the triple fault\n",
                     cs->cpu_index);
            log_cpu_state(cs, CPU_DUMP_CODE);
        }
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        return EXCP_INTERRUPT;
    }
    error_report("hwvirt: CPU %d: unknown exit reason %u from the module",
                 cs->cpu_index, run->exit_reason);
    vm_stop(RUN_STATE_INTERNAL_ERROR);
    return EXCP_INTERRUPT;
}
