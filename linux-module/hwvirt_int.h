/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: definitions shared by the core and the backends.
 *
 * The core is machine-independent: the character device, VM and vCPU
 * lifetime, memory slots, the run loop and its exits to userspace
 * (hwvirt_main.c, vm.c, memslot.c, vcpu.c), plus the x86 semantics both
 * backends share (x86.c, emulate.c) and the TDP MMU (tdp.c).  A backend
 * drives one kind of hardware virtualization (svm.c, vmx.c); the core
 * picks the first backend in hwvirt_backends[] whose probe succeeds, at
 * load time, and calls it only through struct hwvirt_backend (KVM's
 * kvm_arch_ops, NVMM's nvmm_impl).
 *
 * Vocabulary (KVM's mmu.rst): gpa/gfn guest-physical address/frame, hva
 * host virtual (userspace) address, pfn host-physical frame, gva guest
 * virtual address.
 */
#ifndef HWVIRT_INT_H
#define HWVIRT_INT_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rcuwait.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/types.h>
#include <asm/fpu/api.h>

#include <uapi/linux/hwvirt.h>

#include "emulate.h"
#include "hwvirt_limits.h"
#include "lapic.h"

struct hwvirt_vm;
struct hwvirt_vcpu;

/* ------------------------------------------------------------------------
 * Memory slots
 */

/*
 * A memory slot, immutable once published: an update builds a new
 * struct hwvirt_memslots and swaps the pointer (SRCU).
 */
struct hwvirt_slot {
	u32 id;				/* the userspace slot number */
	u32 flags;			/* HWVIRT_MEM_*, HWVIRT_SLOT_INVALID */
	u64 base_gfn;
	u64 npages;
	unsigned long hva;		/* userspace address of base_gfn */
	/*
	 * Shadow MMU: per gfn of the slot, the reverse map of the shadow
	 * entries that map it (a pte_list, shadow.c), under mmu_lock.
	 * Allocated with the slot, shared by the copies a move or a flags
	 * change makes, freed when the slot is deleted.  NULL with TDP.
	 */
	unsigned long *rmap;
	/*
	 * HWVIRT_MEM_LOG_DIRTY: a bit per page of the slot, set (atomically,
	 * with or without mmu_lock) when the page is mapped writable for a
	 * guest write or written by the module, taken by HWVIRT_GET_DIRTY_LOG
	 * under vm->lock and mmu_lock.  Allocated when logging starts,
	 * shared by the copies of the slot, freed (after an SRCU grace
	 * period) when logging stops or the slot goes.  NULL otherwise.
	 */
	unsigned long *dirty_bitmap;
};

/*
 * A slot on its way out (deleted, moved, made read-only): its memory may
 * still be read and written, but no fault maps it while the MMU zaps what
 * it mapped.  Never set by userspace (HWVIRT_MEM_* are the low bits).
 */
#define HWVIRT_SLOT_INVALID		(1U << 31)

struct hwvirt_slots {
	int nr;				/* used entries, sorted by base_gfn */
	struct hwvirt_slot slot[HWVIRT_MAX_MEMSLOTS];
};

/* ------------------------------------------------------------------------
 * The TDP MMU (NPT, EPT): one guest-physical page table per VM
 */

/*
 * The entry format of the backend's TDP table.  NPT entries are long-mode
 * page-table entries (P, W, U); EPT entries have R, W, X and, in leaves,
 * a memory type.  Both have bit 0 set in every present entry we build
 * (NPT's P, EPT's R), bit 1 as W, and leave bits 11:8 alone.
 */
struct hwvirt_tdp_format {
	u64 table;		/* a non-leaf entry's bits */
	u64 leaf;		/* a leaf's, without W (bit 1) */
};

struct hwvirt_tdp {
	/*
	 * The root table page: a PML4 for a 4-level table, a PML5 for a
	 * 5-level one.  Allocated at VM creation, freed at destruction; the
	 * tables below it and the guest pages they map are changed only
	 * under vm->mmu_lock.  Every present leaf holds one reference on the
	 * guest page it maps (taken by get_user_pages, dropped when the leaf
	 * is zapped).
	 */
	u64 *root;
	phys_addr_t root_pa;
	/*
	 * Depth of the table, fixed at VM creation (the backend's
	 * tdp_levels()): NPT walks it in the host's paging mode, EPT in the
	 * mode its EPTP names.
	 */
	int levels;
	const struct hwvirt_tdp_format *fmt;	/* the backend's, fixed */
	u64 nr_mapped;			/* leaves present, under mmu_lock */
};

/* ------------------------------------------------------------------------
 * The shadow MMU (shadow.c): shadow pages of one VM, under vm->mmu_lock
 */

struct hwvirt_sp;

struct hwvirt_shadow {
	/*
	 * Every valid shadow page, hashed by the gfn it shadows (or, for a
	 * direct one, the first gfn it maps); a zapped root in use stays
	 * out of the hash until its last user drops it.  2^HWVIRT_SHADOW_
	 * HASH_BITS buckets, allocated with the VM.
	 */
	struct hlist_head *hash;
	/* Every shadow page, most recently used first (reclaim takes the last). */
	struct list_head active;
	/* The unsync shadow pages (their guest tables are writable). */
	struct list_head unsync;
	unsigned long nr_unsync;
	unsigned long nr_pages;		/* shadow pages allocated */
	unsigned long max_pages;	/* the limit; see shadow_max_pages() */
	u64 guest_pages;		/* in the memory slots, for the default limit */
	u64 nr_mapped;			/* leaf entries present */

	/* Counters (HWVIRT_STAT_SHADOW_*), under mmu_lock. */
	u64 created;			/* shadow pages made */
	u64 roots_reused;		/* CR3 loads that found their root */
	u64 write_protects;		/* guest pages write-protected */
	u64 unshadows;			/* pages unshadowed (floods, emulation) */
	u64 zapped;			/* shadow pages zapped */
	u64 reclaimed;			/* ...of them to stay below the limit */
	u64 unsyncs;			/* shadow pages let go out of sync */
	u64 syncs;			/* ...and brought back in step */
	u64 prefetched;			/* leaves mapped before their fault */
	/* For debugfs: emulated writes by the level of the page written. */
	u64 writes_by_level[6];
	u64 writes_to_roots;
	u64 flood_zaps;
};

/* Objects a vCPU allocates before taking the MMU lock. */
struct hwvirt_mmu_cache {
	int nr;
	void *obj[HWVIRT_SHADOW_CACHE_MAX];
};

/* A root of a recent address space, kept for when the guest comes back. */
struct hwvirt_shadow_root {
	u64 gfn;			/* of the guest's top table */
	u32 role;			/* the root's role word */
	struct hwvirt_sp *sp;		/* holds a root_count */
};

/* A vCPU's part of the shadow MMU: its roots and allocation caches. */
struct hwvirt_vcpu_mmu {
	/*
	 * The roots the CPU walks, loaded before entry (hwvirt_shadow_root)
	 * and dropped when the guest's paging mode or CR3 changes, or when
	 * a root is zapped (HWVIRT_REQ_MMU_RELOAD).  Long mode: root, whose
	 * table the CPU's CR3 points to.  Otherwise the CPU runs PAE paging
	 * from pae_root (a page below 4 GiB, as a PAE CR3 must be), whose
	 * four entries point to pae_roots[].  Each root holds a root_count.
	 */
	bool loaded;
	u64 hw_cr3;
	struct hwvirt_sp *root;
	struct hwvirt_sp *pae_roots[4];
	u64 *pae_root;
	struct hwvirt_shadow_root prev[HWVIRT_SHADOW_PREV_ROOTS];

	struct hwvirt_mmu_cache pages, sps, descs;

	int maxphyaddr;			/* the guest's, as the roots were loaded */
	void *sync_buf;			/* a page: a guest table read to sync */

	/* The last write the emulator failed on: unshadowed once, then an error. */
	u64 retry_rip;
	u64 retry_gfn;
};

/* ------------------------------------------------------------------------
 * VM
 */

struct hwvirt_vm {
	/* Lifetime: the VM fd and each vCPU fd hold a reference. */
	struct kref ref;
	u32 id;				/* for debugfs names, unique while loaded */
	struct mm_struct *mm;		/* the creator's; mmgrab()ed */
	u32 mmu_mode;			/* HWVIRT_MMU_*, fixed at creation */
	bool lapic;			/* HWVIRT_VM_LAPIC, fixed at creation */

	/* Serializes vCPU creation and memory slot updates. */
	struct mutex lock;

	/* Memory slots: read under srcu, replaced under lock. */
	struct srcu_struct srcu;
	struct hwvirt_slots __rcu *slots;

	/*
	 * The MMU lock protects the TDP tables and the invalidation state
	 * below.  A page fault reads mmu_invalidate_seq before looking up a
	 * page (which may sleep), then installs it under mmu_lock only if no
	 * invalidation started or ended in between (KVM's scheme).
	 */
	spinlock_t mmu_lock;
	unsigned long mmu_invalidate_seq;
	long mmu_invalidate_in_progress;
	struct hwvirt_tdp tdp;		/* mmu_mode HWVIRT_MMU_TDP */
	struct hwvirt_shadow shadow;	/* mmu_mode HWVIRT_MMU_SHADOW */
	struct mmu_notifier mmu_notifier;

	/* vCPUs: created under lock, never removed before the VM dies. */
	atomic_t nr_vcpus;
	struct hwvirt_vcpu *vcpus[HWVIRT_MAX_VCPUS];

	/*
	 * Guest TSC = host TSC + tsc_offset + the vCPU's tsc_delta: per VM,
	 * so that vCPUs agree, unless the guest moves one vCPU's TSC itself
	 * (WRMSR to TSC or TSC_ADJUST).  Set by userspace's TSC writes.
	 */
	s64 tsc_offset;

	/*
	 * The paravirtual clock (pvclock.c): the VM's time in ns is
	 * pvclock_ns + (host TSC - pvclock_tsc) * pvclock_mul >> 32 (after
	 * << pvclock_shift), set at creation.  pvclock_wall is what the
	 * guest last wrote to MSR_KVM_WALL_CLOCK(_NEW); the version of the
	 * wall-clock structure counts by 2 per write (odd while it changes).
	 */
	u64 pvclock_tsc;
	u64 pvclock_ns;
	u32 pvclock_mul;
	s8 pvclock_shift;
	u64 pvclock_wall;
	atomic_t pvclock_wall_version;

	/*
	 * ioeventfds (eventfd.c): the list is changed under lock and read
	 * under RCU by the vCPUs.  irqfds: the list and nr_irqfds under
	 * irqfds_lock (the eventfd's wake-up takes it, interrupts off),
	 * assignments serialized by lock.
	 */
	struct list_head ioeventfds;
	unsigned int nr_ioeventfds;
	struct list_head irqfds;
	spinlock_t irqfds_lock;
	unsigned int nr_irqfds;
	atomic64_t irqfd_msis;		/* MSIs the irqfds sent */

	atomic64_t msis;		/* HWVIRT_SIGNAL_MSI calls */
	atomic64_t smis;		/* SMIs on the APIC bus, dropped */

	struct dentry *debugfs;
};

/* ------------------------------------------------------------------------
 * vCPU
 */

/* vcpu->requests: work to do before the next entry (set by any thread). */
#define HWVIRT_REQ_TLB_FLUSH		0	/* the TDP changed: flush */
#define HWVIRT_REQ_EVENT		1	/* an interrupt or event came */
#define HWVIRT_REQ_EOI_EXIT		2	/* report apic->eoi_vector */
#define HWVIRT_REQ_MMU_RELOAD		3	/* a shadow root was zapped */

/* vcpu->mode: where the vCPU thread is, for remote kicks. */
#define HWVIRT_OUTSIDE_GUEST		0
#define HWVIRT_IN_GUEST			1

/* What the next HWVIRT_RUN must finish before entering the guest. */
enum hwvirt_pending_completion {
	HWVIRT_COMPLETE_NONE,
	HWVIRT_COMPLETE_PIO_IN,		/* IN: data in the run page */
	HWVIRT_COMPLETE_PIO_STRING,	/* INS/OUTS: more elements, or done */
	HWVIRT_COMPLETE_MMIO,		/* an emulated MMIO access */
	HWVIRT_COMPLETE_MMIO_WRITE,	/* more of a write wider than 8 bytes */
};

/*
 * The in-kernel local APIC of a vCPU (irq.c), beside the register model
 * (lapic.h).  Allocated with the vCPU of a HWVIRT_VM_LAPIC VM.
 */
struct hwvirt_apic {
	struct hw_lapic lapic;
	struct hwvirt_vcpu *vcpu;	/* the owner */

	/*
	 * The timer: an absolute CLOCK_MONOTONIC hrtimer whose callback
	 * (hard interrupt context) counts the expiry in timer_pending and
	 * kicks the vCPU; the vCPU's thread raises the interrupt.
	 */
	struct hrtimer timer;
	atomic_t timer_pending;

	/*
	 * INIT and SIPI from other vCPUs: bits HWVIRT_APIC_INIT/SIPI in
	 * pending_events, set by the sender (sipi_vector first) and taken
	 * by the vCPU's thread.
	 */
	unsigned long pending_events;
	u8 sipi_vector;

	/* The vector of the level EOI HWVIRT_REQ_EOI_EXIT reports. */
	u8 eoi_vector;
};

#define HWVIRT_APIC_INIT		0
#define HWVIRT_APIC_SIPI		1

/* An event the core injects at the next entry. */
struct hwvirt_event {
	bool pending;
	u8 vector;
	bool has_error;
	u32 error_code;
};

struct hwvirt_vcpu {
	struct hwvirt_vm *vm;		/* holds a VM reference */
	u32 id;

	/* Serializes the ioctls on this vCPU: the state below is ours. */
	struct mutex mutex;

	/* The run page (mmap()ed by userspace), allocated with the vCPU. */
	struct hwvirt_run *run;

	/*
	 * Guest state the core owns.  The backend copies RAX, RSP, RIP
	 * and RFLAGS to its control block before entry and back after an
	 * exit; the other registers it loads and saves around entry.
	 */
	u64 regs[HW_NR_GPRS];
	u64 rip;
	u64 rflags;
	u64 cr2;
	u64 cr8;			/* the TPR, 4 bits */
	u64 pdptes[4];			/* PAE, shadow MMU: loaded with CR3 */
	struct hwvirt_vcpu_mmu mmu;	/* shadow MMU only */
	u64 xcr0;
	u64 apic_base;
	u64 tsc_aux;
	/*
	 * What the guest's own TSC and TSC_ADJUST writes moved this vCPU's
	 * TSC by (0 after userspace writes the TSC), and IA32_TSC_ADJUST.
	 */
	s64 tsc_delta;
	s64 tsc_adjust;
	bool has_rdtscp;		/* CPUID offers RDTSCP (SET_CPUID) */
	u32 pv_features;		/* CPUID offers KVM's (SET_CPUID) */
	/*
	 * MSR_KVM_SYSTEM_TIME(_NEW): the guest-physical address of the
	 * vCPU's struct pvclock_vcpu_time_info, bit 0 enable.  The page
	 * holds pvclock_version and the clock for the TSC offset
	 * pvclock_offset; pvclock_dirty: write it before the next entry.
	 * The vCPU's thread only.
	 */
	u64 pvclock_msr;
	s64 pvclock_offset;
	u32 pvclock_version;
	bool pvclock_dirty;
	struct fpu_guest fpu;

	/* The guest's CPUID, set by userspace (HWVIRT_SET_CPUID). */
	struct hwvirt_cpuid_entry *cpuid;
	u32 cpuid_nent;

	/* MSRs kept in software: the MTRRs and a few others. */
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];		/* base/mask pairs */
	u64 misc_enable;
	u64 pat;
	/*
	 * AMD's legacy performance counters (PerfEvtSel0-3, PerfCtr0-3):
	 * kept as written, reserved bits refused; they never count (no
	 * virtual PMU yet, as kvm_amd without a host PMU).
	 */
	u64 pmu_evtsel[4];
	u64 pmu_ctr[4];

	/*
	 * Events for the guest.  irq is the interrupt being injected: from
	 * HWVIRT_INTERRUPT (the PIC's), or the APIC vector accepted for the
	 * entry that did not complete.
	 */
	struct hwvirt_event irq;
	struct hwvirt_event exception;
	atomic_t nmi_queued;		/* NMIs from other threads (APIC bus) */
	bool nmi_pending;
	bool nmi_masked;		/* between an NMI and its IRET */
	bool interrupt_shadow;		/* as of the last exit */
	bool triple_fault;		/* an exception while delivering #DF */

	/* A userspace exit being completed (see hwvirt_pending_completion). */
	enum hwvirt_pending_completion completion;
	u64 completion_next_rip;
	struct hw_insn completion_insn;
	u64 mmio_fault_gpa;		/* the access that exited */
	u64 mmio_read_gpa;		/* the MMIO read userspace answers */
	u32 mmio_read_len;
	/* What userspace answered to the instruction's MMIO reads so far. */
	u64 mmio_answers[HWVIRT_EMUL_MAX_MMIO_READS];
	unsigned int mmio_nr_answers;
	/* What is left of a write wider than 8 bytes (an XMM store). */
	u64 mmio_write_gpa;
	unsigned int mmio_write_len;
	u8 mmio_write_data[HW_EMUL_MAX_ACCESS];

	/* Cross-thread kicks (see vcpu.c). */
	unsigned long requests;
	int mode;			/* HWVIRT_{IN,OUTSIDE}_GUEST */
	int cpu;			/* where it entered the guest last */

	/*
	 * With an in-kernel APIC: HWVIRT_MP_STATE_*, the vCPU's own; a
	 * halted or waiting vCPU sleeps on wait (rcuwait) in HWVIRT_RUN
	 * until a kick or a signal.
	 */
	u32 mp_state;
	struct rcuwait wait;
	struct hwvirt_apic *apic;	/* NULL: the APIC is userspace's */

	u64 stat[HWVIRT_STAT_NR];
};

/* ------------------------------------------------------------------------
 * The backend operations
 */

/* Why the backend's run op returned. */
enum hwvirt_exit {
	HWVIRT_EXIT_TO_CORE_NONE,	/* handled: enter again */
	HWVIRT_EXIT_TO_USER,		/* run->exit_reason is set */
	HWVIRT_EXIT_TO_CORE_ERR,	/* a negative errno follows */
};

struct hwvirt_backend {
	/* "svm" or "vmx". */
	const char *name;
	u32 abi_backend;		/* HWVIRT_BACKEND_* */
	u64 abi_caps;			/* HWVIRT_CAP_* of this backend only */

	/*
	 * Can this machine run guests with this backend?  0 if so; else a
	 * negative errno, after a pr_info() saying why (no such CPU
	 * feature: -ENODEV; disabled by the firmware: -EPERM).  Runs once,
	 * at load, before anything else of the backend.
	 */
	int (*probe)(void);

	/* Global set-up and teardown (per-CPU memory, capabilities). */
	int (*setup)(void);
	void (*unsetup)(void);

	/*
	 * Enter/leave the CPU's virtualization mode on the calling CPU,
	 * with preemption disabled.  cpu_enable() returns -EBUSY when
	 * another hypervisor already owns the CPU.  cpu_disable() is only
	 * called on a CPU where cpu_enable() succeeded.
	 */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);

	/* One line for dmesg: revision and features found by probe(). */
	void (*describe)(char *buf, size_t len);

	/* HWVIRT_MMU_* modes this backend runs (bitmask of 1 << mode). */
	u32 (*mmu_modes)(void);

	/*
	 * Levels of the TDP table the hardware walks (4 or 5), decided at
	 * probe time: AMD's NPT follows the host's paging mode (CR4.LA57
	 * at VMRUN), Intel's EPT the page-walk length in the EPTP.
	 */
	int (*tdp_levels)(void);
	const struct hwvirt_tdp_format *tdp_format;
	/*
	 * With TDP, the CPU takes the PAE PDPTEs from the backend's control
	 * block (EPT), not from memory at each walk (NPT): the core loads
	 * vcpu->pdptes where the architecture loads them, the backend hands
	 * them to the CPU at entry and reads them back after an exit.
	 */
	bool tdp_pdptes;

	/*
	 * Optional: clear, in a leaf of the supported CPUID, what the CPU
	 * has but cannot give a guest through this backend (VMX: RDTSCP,
	 * RDPID and INVPCID without their secondary controls).  Runs after
	 * probe().
	 */
	void (*cpuid_fixup)(u32 function, u32 index, u32 *eax, u32 *ebx,
			    u32 *ecx, u32 *edx);

	/*
	 * vCPU lifetime.  vcpu_size is the size of the backend's vCPU
	 * structure, which starts with struct hwvirt_vcpu.
	 */
	size_t vcpu_size;
	int (*vcpu_create)(struct hwvirt_vcpu *vcpu);
	void (*vcpu_free)(struct hwvirt_vcpu *vcpu);
	/* Architectural reset state (power-on), regs and sregs included. */
	void (*vcpu_reset)(struct hwvirt_vcpu *vcpu);

	/*
	 * Enter the guest until an exit the core must see, with the vCPU
	 * mutex held and preemption enabled.  Returns HWVIRT_EXIT_TO_USER
	 * (run->exit_reason set), HWVIRT_EXIT_TO_CORE_NONE, or a negative
	 * errno.
	 */
	int (*vcpu_run)(struct hwvirt_vcpu *vcpu);
	/*
	 * The instruction the guest stopped at was completed by the module
	 * (skipped, emulated, or finished after userspace): with RFLAGS.TF,
	 * set DR6.BS.  The core then queues the single-step #DB.
	 */
	void (*single_step)(struct hwvirt_vcpu *vcpu);

	/* Segment and control registers (the rest lives in the core). */
	void (*get_sregs)(struct hwvirt_vcpu *vcpu, struct hwvirt_sregs *sregs);
	int (*set_sregs)(struct hwvirt_vcpu *vcpu,
			 const struct hwvirt_sregs *sregs);
	void (*get_segment)(struct hwvirt_vcpu *vcpu, int seg,
			    struct hwvirt_segment *s);
	void (*set_segment)(struct hwvirt_vcpu *vcpu, int seg,
			    const struct hwvirt_segment *s);
	/* CR0, CR2, CR3, CR4, CR8 as the guest sees them. */
	u64 (*get_cr)(struct hwvirt_vcpu *vcpu, int cr);
	/*
	 * Load a value hwvirt_set_cr0/3/4() checked.  set_cr0 also updates
	 * EFER.LMA as paging goes on or off with EFER.LME.  Only the shadow
	 * MMU intercepts CR0 and CR3 writes; CR4 writes always exit.
	 */
	void (*set_cr0)(struct hwvirt_vcpu *vcpu, u64 cr0);
	void (*set_cr3)(struct hwvirt_vcpu *vcpu, u64 cr3);
	void (*set_cr4)(struct hwvirt_vcpu *vcpu, u64 cr4);
	u64 (*get_efer)(struct hwvirt_vcpu *vcpu);
	int (*get_cpl)(struct hwvirt_vcpu *vcpu);

	/* MSRs kept in the backend's control block; -ENOENT if not one. */
	int (*get_msr)(struct hwvirt_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct hwvirt_vcpu *vcpu, u32 index, u64 data,
		       bool from_guest);

	/* The TDP root changed, or the TLB must go: flush before entry. */
	void (*flush_tlb)(struct hwvirt_vcpu *vcpu);
};

extern const struct hwvirt_backend *hwvirt_backend;
extern const struct hwvirt_backend hwvirt_svm_backend;
extern const struct hwvirt_backend hwvirt_vmx_backend;

#endif /* HWVIRT_INT_H */
