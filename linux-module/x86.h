/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: x86 semantics shared by the backends (x86.c) and the TDP MMU
 * (tdp.c), and the core functions backends call.
 */
#ifndef HWVIRT_X86_H
#define HWVIRT_X86_H

#include "hwvirt_int.h"

/*
 * Exit handlers return HWVIRT_RESUME to enter the guest again,
 * HWVIRT_USER when run->exit_reason is set for userspace, or a negative
 * errno.
 */
#define HWVIRT_USER		0
#define HWVIRT_RESUME		1

/* x86 architectural bits the core uses (SDM/APM volume 3/2). */
#define HV_CR0_PE		(1ULL << 0)
#define HV_CR0_MP		(1ULL << 1)
#define HV_CR0_EM		(1ULL << 2)
#define HV_CR0_TS		(1ULL << 3)
#define HV_CR0_ET		(1ULL << 4)
#define HV_CR0_NE		(1ULL << 5)
#define HV_CR0_WP		(1ULL << 16)
#define HV_CR0_AM		(1ULL << 18)
#define HV_CR0_NW		(1ULL << 29)
#define HV_CR0_CD		(1ULL << 30)
#define HV_CR0_PG		(1ULL << 31)
#define HV_CR0_VALID		(HV_CR0_PE | HV_CR0_MP | HV_CR0_EM | \
				 HV_CR0_TS | HV_CR0_ET | HV_CR0_NE | \
				 HV_CR0_WP | HV_CR0_AM | HV_CR0_NW | \
				 HV_CR0_CD | HV_CR0_PG)
#define HV_CR3_NOFLUSH		(1ULL << 63)	/* with CR4.PCIDE */
#define HV_PTE_P		(1ULL << 0)
#define HV_CR4_VME		(1ULL << 0)
#define HV_CR4_PVI		(1ULL << 1)
#define HV_CR4_TSD		(1ULL << 2)
#define HV_CR4_DE		(1ULL << 3)
#define HV_CR4_PSE		(1ULL << 4)
#define HV_CR4_PAE		(1ULL << 5)
#define HV_CR4_MCE		(1ULL << 6)
#define HV_CR4_PGE		(1ULL << 7)
#define HV_CR4_PCE		(1ULL << 8)
#define HV_CR4_OSFXSR		(1ULL << 9)
#define HV_CR4_OSXMMEXCPT	(1ULL << 10)
#define HV_CR4_UMIP		(1ULL << 11)
#define HV_CR4_LA57		(1ULL << 12)
#define HV_CR4_FSGSBASE		(1ULL << 16)
#define HV_CR4_PCIDE		(1ULL << 17)
#define HV_CR4_OSXSAVE		(1ULL << 18)
#define HV_CR4_SMEP		(1ULL << 20)
#define HV_CR4_SMAP		(1ULL << 21)
#define HV_CR4_PKE		(1ULL << 22)
#define HV_EFER_LME	(1ULL << 8)
#define HV_EFER_LMA	(1ULL << 10)
#define HV_EFER_NXE	(1ULL << 11)
#define HV_DR7_ENABLES	0xffULL		/* L0-G3 */
#define HV_RFLAGS_TF	(1ULL << 8)
#define HV_RFLAGS_RF	(1ULL << 16)
#define HV_RFLAGS_IF	(1ULL << 9)
#define HV_RFLAGS_AC	(1ULL << 18)
#define HV_RFLAGS_VM	(1ULL << 17)
#define HV_RFLAGS_FIXED	(1ULL << 1)

/* CPUID feature bits the core tests (leaf, register, bit). */
#define CPUID_1_EDX_VME		(1U << 1)
#define CPUID_1_ECX_PCID	(1U << 17)
#define CPUID_1_ECX_X2APIC	(1U << 21)
#define CPUID_1_ECX_TSC_DEADLINE (1U << 24)
#define CPUID_1_ECX_XSAVE	(1U << 26)
#define CPUID_7_EBX_FSGSBASE	(1U << 0)
#define CPUID_7_EBX_SMEP	(1U << 7)
#define CPUID_7_EBX_SMAP	(1U << 20)
#define CPUID_7_ECX_UMIP	(1U << 2)
#define CPUID_7_EBX_INVPCID	(1U << 10)
#define CPUID_7_ECX_LA57	(1U << 16)
#define CPUID_7_ECX_RDPID	(1U << 22)
#define CPUID_80000001_EDX_RDTSCP (1U << 27)
#define CPUID_80000001_EDX_GBPAGES (1U << 26)

#define HV_VEC_DE		0
#define HV_VEC_NMI		2
#define HV_VEC_DB		1
#define HV_VEC_BP		3
#define HV_VEC_OF		4
#define HV_VEC_UD		6
#define HV_VEC_DF		8
#define HV_VEC_TS		10
#define HV_VEC_NP		11
#define HV_VEC_SS		12
#define HV_VEC_GP		13
#define HV_VEC_PF		14

/* Page-fault error code bits. */
#define HV_PF_PRESENT		(1U << 0)
#define HV_PF_WRITE		(1U << 1)
#define HV_PF_USER		(1U << 2)
#define HV_PF_FETCH		(1U << 4)

/*
 * Set-up at load: host XCR0 and what guests may use of XSAVE, the CR4
 * bits a guest can be given, and how wide guest-physical addresses are.
 */
int hwvirt_x86_setup(void);
extern u64 hwvirt_host_xcr0;
extern u64 hwvirt_supported_xcr0;
extern u64 hwvirt_supported_cr4;
extern unsigned int hwvirt_gpa_bits;

/* Does the CPU have 5-level paging (whether or not the host uses it)? */
extern bool hwvirt_cpu_has_la57;

/* Is addr canonical for the linear-address width the CPU can have? */
bool hwvirt_is_canonical(u64 addr);

/* HWVIRT_GET_SUPPORTED_CPUID: fills entries, returns how many. */
int hwvirt_supported_cpuid(struct hwvirt_cpuid_entry *e, int max);

/* The CPU mode of the guest's current code segment. */
enum hw_cpu_mode hwvirt_cpu_mode(struct hwvirt_vcpu *vcpu);

/* Family, model and stepping (CPUID 1 EAX) of the guest's table. */
u32 hwvirt_cpu_signature(struct hwvirt_vcpu *vcpu);

/* CPUID for the guest, from its table; sets RAX..RDX. */
void hwvirt_emulate_cpuid(struct hwvirt_vcpu *vcpu);
int hwvirt_emulate_rdpmc(struct hwvirt_vcpu *vcpu);
int hwvirt_emulate_rdtscp(struct hwvirt_vcpu *vcpu);
int hwvirt_emulate_invpcid(struct hwvirt_vcpu *vcpu);
/*
 * A value the CPU would refuse (#GP) for an MSR a backend keeps: a PAT
 * with a reserved memory type, a non-canonical address.
 */
bool hwvirt_msr_value_ok(u32 index, u64 data);
/*
 * RDMSR or WRMSR that exited (ECX, EDX:EAX): 0 when done (the backend
 * skips the instruction), HWVIRT_RESUME with #GP queued.
 */
int hwvirt_emulate_msr_exit(struct hwvirt_vcpu *vcpu, bool write);
/*
 * MOV to or from DRn (0-7; DR4/DR5 alias DR6/DR7) with general register
 * gpr, on the backend's DR0-3, DR6 and DR7 (their fixed bits set).
 */
void hwvirt_emulate_mov_dr(struct hwvirt_vcpu *vcpu, int dr, int gpr,
			   bool write, u64 db[4], u64 *dr6, u64 *dr7);

/*
 * A guest entry, with interrupts disabled: hwvirt_enter_begin() announces
 * guest mode, or returns false (the mode back) when a request, a signal or
 * a reschedule waits, and loads the guest's FPU state and TSC_AUX; then
 * the guest's XCR0 (true if switched) for the CR4 it runs with, and its
 * breakpoints for its DR7; hwvirt_enter_end() after the exit puts the
 * host's back and leaves guest mode.
 */
bool hwvirt_enter_begin(struct hwvirt_vcpu *vcpu);
bool hwvirt_enter_guest_xcr0(struct hwvirt_vcpu *vcpu, u64 cr4);
void hwvirt_enter_breakpoints(const u64 db[4], u64 dr7);
void hwvirt_enter_end(struct hwvirt_vcpu *vcpu, bool xcr0_switched);
/* Guest TSC - host TSC for the vCPU. */
static inline s64 hwvirt_tsc_offset(struct hwvirt_vcpu *vcpu)
{
	return vcpu->vm->tsc_offset + vcpu->tsc_delta;
}

/* HWVIRT_SET_CPUID: the vCPU's flags for what its CPUID offers. */
void hwvirt_cpuid_changed(struct hwvirt_vcpu *vcpu);

/*
 * The paravirtual clock, in KVM's ABI (pvclock.c).  CPUID 0x40000000
 * holds the signature, 0x40000001 EAX the features; the MSRs are KVM's.
 */
#define HV_CPUID_PV_SIGNATURE		0x40000000
#define HV_CPUID_PV_FEATURES		0x40000001
#define HV_KVM_FEATURE_CLOCKSOURCE	BIT(0)	/* MSRs 0x11, 0x12 */
#define HV_KVM_FEATURE_NOP_IO_DELAY	BIT(1)	/* a hint: no port 0x80 */
#define HV_KVM_FEATURE_CLOCKSOURCE2	BIT(3)	/* MSRs 0x4b564d00/01 */
#define HV_KVM_FEATURE_CLOCKSOURCE_STABLE_BIT BIT(24)
#define HV_MSR_KVM_WALL_CLOCK		0x00000011
#define HV_MSR_KVM_SYSTEM_TIME		0x00000012
#define HV_MSR_KVM_WALL_CLOCK_NEW	0x4b564d00
#define HV_MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01

void hwvirt_pvclock_vm_init(struct hwvirt_vm *vm, u64 host_tsc);
void hwvirt_pvclock_cpuid(u32 function, u32 *eax, u32 *ebx, u32 *ecx,
			  u32 *edx);
u32 hwvirt_pvclock_features(const struct hwvirt_cpuid_entry *sig,
			    const struct hwvirt_cpuid_entry *features);
int hwvirt_pvclock_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 *data,
		       bool write, bool from_guest);
void hwvirt_pvclock_write(struct hwvirt_vcpu *vcpu);

/*
 * Before an entry: the vCPU's clock page, if the guest enabled it and
 * it is new or the vCPU's TSC offset moved since it was written.
 */
static inline void hwvirt_pvclock_update(struct hwvirt_vcpu *vcpu)
{
	if (unlikely(vcpu->pvclock_dirty ||
		     ((vcpu->pvclock_msr & 1) &&
		      vcpu->pvclock_offset != hwvirt_tsc_offset(vcpu))))
		hwvirt_pvclock_write(vcpu);
}

/*
 * User-return MSRs (uret.c): the guest's value goes in before entry, with
 * interrupts disabled, and the host's comes back before this CPU returns
 * to userspace.  hwvirt_uret_cpu_down() puts the host's back now (the CPU
 * leaves virtualization, the module goes away).
 */
enum {
	HWVIRT_URET_TSC_AUX,	/* RDTSCP, RDPID */
	HWVIRT_URET_STAR,	/* SYSCALL (VMX; SVM's VMLOAD loads these) */
	HWVIRT_URET_LSTAR,
	HWVIRT_URET_CSTAR,
	HWVIRT_URET_SFMASK,
	HWVIRT_NR_URET
};
extern bool hwvirt_host_has_tsc_aux;
void hwvirt_uret_load(int slot, u64 value);
void hwvirt_uret_cpu_down(void);
void hwvirt_insn_completed(struct hwvirt_vcpu *vcpu);

/*
 * MOV to CR0/CR3/CR4 (and CLTS, LMSW) by the guest: check the value
 * against the architecture and the guest's CPUID, load it, and tell the
 * MMU.  0, or -EINVAL for #GP.
 */
int hwvirt_set_cr0(struct hwvirt_vcpu *vcpu, u64 cr0);
int hwvirt_set_cr3(struct hwvirt_vcpu *vcpu, u64 cr3);
int hwvirt_set_cr4(struct hwvirt_vcpu *vcpu, u64 cr4);
/*
 * The paging state was set from outside (HWVIRT_SET_SREGS, EFER): the
 * shadow MMU loads PAE PDPTEs again and drops its roots.
 */
void hwvirt_paging_changed(struct hwvirt_vcpu *vcpu);

/* MSRs, for the guest (from_guest) and for userspace: 0 or -ENOENT. */
int hwvirt_get_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 *data);
int hwvirt_get_msr_from(struct hwvirt_vcpu *vcpu, u32 index, u64 *data,
			bool from_guest);
int hwvirt_set_msr(struct hwvirt_vcpu *vcpu, u32 index, u64 data,
		   bool from_guest);

/* XSETBV from the guest: 0, or -EINVAL for #GP. */
int hwvirt_set_xcr0(struct hwvirt_vcpu *vcpu, u64 xcr0);

/*
 * Guest-physical memory through the memory slots: 0, 1 if some of the
 * range is not RAM (MMIO), -EFAULT if userspace memory is unreachable.
 */
int hwvirt_read_gpa(struct hwvirt_vm *vm, u64 gpa, void *buf,
		    unsigned int len);
int hwvirt_write_gpa(struct hwvirt_vm *vm, u64 gpa, const void *buf,
		     unsigned int len);
/*
 * An atomic compare-and-exchange of len (4 or 8, aligned) bytes of guest
 * RAM: 0 if it replaced old with new, 1 if the memory held something
 * else, -1 if gpa is not writable RAM.
 */
int hwvirt_cmpxchg_gpa(struct hwvirt_vm *vm, u64 gpa, u64 old, u64 new,
		       unsigned int len);

/* The walker's context for the vCPU's current paging mode (walk.h). */
struct hw_walk_ctx;
void hwvirt_walk_ctx(struct hwvirt_vcpu *vcpu, struct hw_walk_ctx *ctx);
int hwvirt_load_pdptes(struct hwvirt_vcpu *vcpu, u64 cr3, u64 *pdptes);
/* access, plus HV_PF_USER when the guest runs at CPL 3. */
u32 hwvirt_access_for(struct hwvirt_vcpu *vcpu, u32 access);

/*
 * Translate a guest linear address with the guest's page tables.
 * access is HV_PF_WRITE/USER/FETCH.  0 on success; 1 if the guest would
 * fault (*pf_error set); -EFAULT if a page table is unreachable.
 */
int hwvirt_gva_to_gpa(struct hwvirt_vcpu *vcpu, u64 gva, u32 access,
		      u64 *gpa, u32 *pf_error);

/*
 * Segment registers the backends' get_segment/set_segment take beyond
 * the six of emulate.h (HW_ES..HW_GS).
 */
#define HW_SEG_TR		HW_NR_SEGS
#define HW_SEG_LDTR		(HW_NR_SEGS + 1)

/* Why a task switch exit came (task.c). */
enum hwvirt_task_reason {
	HWVIRT_TASK_CALL,	/* far CALL to a TSS or task gate */
	HWVIRT_TASK_IRET,	/* IRET with EFLAGS.NT: back to the link */
	HWVIRT_TASK_JMP,	/* far JMP to a TSS or task gate */
	HWVIRT_TASK_GATE,	/* an interrupt or exception's task gate */
};

/*
 * Switch to the task of TSS selector sel (a task gate already resolved).
 * RIP is on the instruction that switched (JMP, CALL, IRET, INT n) or on
 * the one an exception or interrupt came to; next_rip is what the old
 * TSS saves: past the instruction, or RIP for an event.  int_vector is
 * INT n's vector (gate DPL checked), -1 otherwise; an exception's error
 * code is pushed on the new task's stack.  Faults are queued for the
 * guest.  0, or -EFAULT (the TSS or a table is not RAM), -EINVAL (not
 * in legacy protected mode): the caller reports an internal error.
 */
int hwvirt_task_switch(struct hwvirt_vcpu *vcpu, u16 sel,
		       enum hwvirt_task_reason reason, int int_vector,
		       bool has_error, u32 error_code, u64 next_rip);

/* Events. */
void hwvirt_queue_exception(struct hwvirt_vcpu *vcpu, u8 vector,
			    bool has_error, u32 error_code);
void hwvirt_queue_pf(struct hwvirt_vcpu *vcpu, u64 addr, u32 error_code);

/* What to inject at the next entry (see x86.c). */
enum hwvirt_inject {
	HWVIRT_INJECT_NONE,
	HWVIRT_INJECT_EXCEPTION,	/* vcpu->exception */
	HWVIRT_INJECT_NMI,
	HWVIRT_INJECT_IRQ,		/* vcpu->irq */
};

/* When the backend must end guest mode to inject what waits. */
struct hwvirt_window {
	bool irq;		/* as soon as the guest takes interrupts */
	/*
	 * As soon as the guest takes NMIs: an NMI waits for the IRET that
	 * ends NMI blocking, or for an interrupt shadow to end.
	 */
	bool nmi;
	/*
	 * When the guest lowers its TPR (CR8) below this priority class,
	 * 0-15: an APIC interrupt only the TPR holds back; -1: no need.
	 */
	int tpr_below;
};
enum hwvirt_inject hwvirt_next_event(struct hwvirt_vcpu *vcpu,
				     struct hwvirt_window *w);
bool hwvirt_interruptible(struct hwvirt_vcpu *vcpu);
bool hwvirt_user_irq_window(struct hwvirt_vcpu *vcpu);
/*
 * An event the CPU did not deliver, in the event-information layout of
 * both vendors (EXITINTINFO, IDT-vectoring information): queued again.
 */
#define HV_EVT_VECTOR_MASK	0xff
#define HV_EVT_TYPE_MASK	(7U << 8)
#define HV_EVT_TYPE_INTR	(0U << 8)
#define HV_EVT_TYPE_NMI		(2U << 8)
#define HV_EVT_TYPE_EXCEPTION	(3U << 8)
#define HV_EVT_ERROR_VALID	(1U << 11)
#define HV_EVT_VALID		(1U << 31)
void hwvirt_requeue_info(struct hwvirt_vcpu *vcpu, u32 info, u32 err);
/* An event the CPU did not deliver (EXITINTINFO): deliver it again. */
void hwvirt_requeue_event(struct hwvirt_vcpu *vcpu, int type, u8 vector,
			  bool has_error, u32 error_code);
#define HWVIRT_EVENT_TYPE_IRQ		0
#define HWVIRT_EVENT_TYPE_NMI		1
#define HWVIRT_EVENT_TYPE_EXCEPTION	2

/*
 * Fetch and decode the instruction at CS:RIP: 0, or -HW_E_* (see
 * emulate.h); -HW_E_TRUNCATED when not one byte of it can be read.
 */
int hwvirt_decode_at_rip(struct hwvirt_vcpu *vcpu, struct hw_insn *insn);

/*
 * Read or write len bytes (within a page) at the memory operand of insn,
 * decoded at RIP: 0, 1 if a #PF was queued, -EFAULT (not RAM).
 */
int hwvirt_insn_mem(struct hwvirt_vcpu *vcpu, const struct hw_insn *insn,
		    void *buf, unsigned int len, bool write);
/* The linear address of the memory operand of insn, decoded at RIP. */
u64 hwvirt_insn_linear(struct hwvirt_vcpu *vcpu, const struct hw_insn *insn);

/* Exits the core handles for every backend. */
int hwvirt_skip_insn(struct hwvirt_vcpu *vcpu);
int hwvirt_handle_pio(struct hwvirt_vcpu *vcpu, u16 port, unsigned int size,
		      bool in, bool string, u64 next_rip);
int hwvirt_handle_mmio(struct hwvirt_vcpu *vcpu, u64 gpa);
/*
 * Emulate the instruction at CS:RIP, its memory operand at gpa (RAM or
 * MMIO): HWVIRT_RESUME, HWVIRT_USER (an MMIO exit), -EOPNOTSUPP (not an
 * instruction the emulator has), or another negative errno.
 */
int hwvirt_emulate_access(struct hwvirt_vcpu *vcpu, u64 gpa);
/*
 * The shadow MMU: a write the guest may make faulted at gva, gpa, on a
 * page the module must write for it (a page table).  The instruction is
 * emulated if its memory operand lies in that page: HWVIRT_RESUME, or
 * -EOPNOTSUPP when the emulator cannot do it.
 */
int hwvirt_emulate_write_fault(struct hwvirt_vcpu *vcpu, u64 gva, u64 gpa);
/*
 * Guest RAM written on the guest's behalf (emulation, string I/O): the
 * shadow MMU must see it, the page may be a page table.
 */
int hwvirt_guest_write_gpa(struct hwvirt_vcpu *vcpu, u64 gpa, const void *buf,
			   unsigned int len);
int hwvirt_complete_userspace(struct hwvirt_vcpu *vcpu);
int hwvirt_internal_error(struct hwvirt_vcpu *vcpu, u32 suberror,
			  u64 exit_code, u64 info1, u64 info2, u64 gpa);

/* Fill the exit-independent fields of the run page before returning. */
void hwvirt_fill_run(struct hwvirt_vcpu *vcpu);

/* The in-kernel local APIC and the vCPU states it drives (irq.c). */
int hwvirt_apic_create(struct hwvirt_vcpu *vcpu);
void hwvirt_apic_free(struct hwvirt_vcpu *vcpu);
void hwvirt_apic_reset(struct hwvirt_vcpu *vcpu);
void hwvirt_apic_init(struct hwvirt_vcpu *vcpu);
/* The guest's accesses: 0, -ENOENT (not the APIC's), -EINVAL (#GP). */
int hwvirt_apic_mmio(struct hwvirt_vcpu *vcpu, u64 gpa, unsigned int len,
		     u64 *val, bool write);
int hwvirt_apic_msr(struct hwvirt_vcpu *vcpu, u32 msr, u64 *data, bool write,
		    bool from_guest);
/* IA32_APIC_BASE, with or without an in-kernel APIC: 0 or -EINVAL. */
u64 hwvirt_get_apic_base(struct hwvirt_vcpu *vcpu);
int hwvirt_set_apic_base(struct hwvirt_vcpu *vcpu, u64 val, bool from_guest);
/* The vector to inject now, or -1 (*tpr_blocked: see hw_lapic_pending). */
int hwvirt_apic_next_irq(struct hwvirt_vcpu *vcpu, int *tpr_blocked);
void hwvirt_apic_accept(struct hwvirt_vcpu *vcpu, int vector);
bool hwvirt_apic_accepts_pic(struct hwvirt_vcpu *vcpu);
void hwvirt_apic_tpr_to_cr8(struct hwvirt_vcpu *vcpu);
void hwvirt_apic_cr8_to_tpr(struct hwvirt_vcpu *vcpu);
void hwvirt_apic_run_events(struct hwvirt_vcpu *vcpu);
bool hwvirt_vcpu_wakes(struct hwvirt_vcpu *vcpu);
int hwvirt_set_mp_state(struct hwvirt_vcpu *vcpu, u32 mp_state);
void hwvirt_get_lapic(struct hwvirt_vcpu *vcpu, struct hwvirt_lapic_state *s);
int hwvirt_set_lapic(struct hwvirt_vcpu *vcpu,
		     const struct hwvirt_lapic_state *s);
int hwvirt_apic_deliver(struct hwvirt_vm *vm, struct hwvirt_vcpu *src,
			const struct hw_apic_irq *irq);
int hwvirt_signal_msi(struct hwvirt_vm *vm, const struct hwvirt_msi *msi);
void hwvirt_vcpu_kick(struct hwvirt_vcpu *vcpu);
int hwvirt_vcpu_block(struct hwvirt_vcpu *vcpu);

/* Memory slots (memslot.c). */
const struct hwvirt_slot *hwvirt_slot_find(struct hwvirt_slots *slots,
					   u64 gfn);
int hwvirt_set_memslot(struct hwvirt_vm *vm,
		       const struct hwvirt_memslot *req);
void hwvirt_slots_free(struct hwvirt_vm *vm);
int hwvirt_get_dirty_log(struct hwvirt_vm *vm,
			 const struct hwvirt_dirty_log *log);

/* A page of slot gets written: its bit in the dirty log, if logging. */
static inline void hwvirt_slot_mark_dirty(const struct hwvirt_slot *slot,
					  u64 gfn)
{
	if (slot->dirty_bitmap)
		set_bit(gfn - slot->base_gfn, slot->dirty_bitmap);
}

/* ioeventfds and irqfds (eventfd.c). */
int hwvirt_ioeventfd(struct hwvirt_vm *vm, const struct hwvirt_ioeventfd *args);
bool hwvirt_ioeventfd_write(struct hwvirt_vcpu *vcpu, bool pio, u64 addr,
			    u32 len, u64 val);
int hwvirt_irqfd(struct hwvirt_vm *vm, const struct hwvirt_irqfd *args);
void hwvirt_eventfds_init(struct hwvirt_vm *vm);
void hwvirt_eventfds_free(struct hwvirt_vm *vm);
int hwvirt_eventfd_setup(void);
void hwvirt_eventfd_unsetup(void);

/* VMs (vm.c) and vCPUs (vcpu.c). */
int hwvirt_vm_create(const struct hwvirt_vm_config *cfg);
void hwvirt_vm_put(struct hwvirt_vm *vm);
int hwvirt_vcpu_create(struct hwvirt_vm *vm, unsigned long id);
void hwvirt_vcpu_free(struct hwvirt_vcpu *vcpu);
/* INIT: the vCPU's registers as INIT leaves them (irq.c calls it). */
void hwvirt_vcpu_init_event(struct hwvirt_vcpu *vcpu);
void hwvirt_request_all(struct hwvirt_vm *vm, int req);
extern struct dentry *hwvirt_debugfs_root;

#endif /* HWVIRT_X86_H */
