/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * hwvirt: the /dev/hwvirt userspace ABI.
 *
 * One header, shared by hwvirt.ko and QEMU's hwvirt accelerator.  Every
 * ioctl is documented in docs/devel/hwvirt-api.rst with the API version
 * that introduced it.  The ABI grows by capability flags (HWVIRT_CAP_*),
 * never by changing a structure that has shipped; reserved fields must be
 * zero and are checked.
 *
 * Three kinds of file descriptor: the system fd (open("/dev/hwvirt")), a
 * VM fd (HWVIRT_CREATE_VM) and a vCPU fd (HWVIRT_CREATE_VCPU), whose first
 * page can be mmap()ed: struct hwvirt_run, where the vCPU reports exits.
 */
#ifndef _UAPI_LINUX_HWVIRT_H
#define _UAPI_LINUX_HWVIRT_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * HWVIRT_GET_API_VERSION returns this.  Userspace refuses any other value:
 * the version changes only when a shipped structure or ioctl changes
 * incompatibly.
 */
#define HWVIRT_API_VERSION	1

#define HWVIRT_IO		0xE6

/* ------------------------------------------------------------------------
 * System ioctls, on the /dev/hwvirt fd
 */
#define HWVIRT_GET_API_VERSION		_IO(HWVIRT_IO, 0x00)
#define HWVIRT_GET_INFO			_IOR(HWVIRT_IO, 0x01, struct hwvirt_info)
#define HWVIRT_CREATE_VM		_IOW(HWVIRT_IO, 0x02, struct hwvirt_vm_config)
#define HWVIRT_GET_SUPPORTED_CPUID	_IOWR(HWVIRT_IO, 0x03, struct hwvirt_cpuid)
#define HWVIRT_GET_VCPU_MMAP_SIZE	_IO(HWVIRT_IO, 0x04)

/* struct hwvirt_info.backend */
#define HWVIRT_BACKEND_SVM		1
#define HWVIRT_BACKEND_VMX		2

/* MMU modes: struct hwvirt_vm_config.mmu_mode, hwvirt_info.mmu_modes */
#define HWVIRT_MMU_DEFAULT		0	/* the best the CPU has */
#define HWVIRT_MMU_TDP			1	/* nested paging: NPT or EPT */
#define HWVIRT_MMU_SHADOW		2	/* shadow page tables */

/* struct hwvirt_info.caps: what this module can do beyond API 1's base */
#define HWVIRT_CAP_TDP			(1ULL << 0)	/* HWVIRT_MMU_TDP works */
#define HWVIRT_CAP_SHADOW_MMU		(1ULL << 1)	/* HWVIRT_MMU_SHADOW works */
#define HWVIRT_CAP_XSAVE		(1ULL << 2)	/* guest XSAVE/XCR0 */
#define HWVIRT_CAP_LAPIC		(1ULL << 3)	/* HWVIRT_VM_LAPIC works */
/* Since hwvirt 0.5.0: */
#define HWVIRT_CAP_DIRTY_LOG		(1ULL << 4)	/* HWVIRT_MEM_LOG_DIRTY */
#define HWVIRT_CAP_IOEVENTFD		(1ULL << 5)	/* HWVIRT_IOEVENTFD */
#define HWVIRT_CAP_IRQFD		(1ULL << 6)	/* HWVIRT_IRQFD */
/*
 * AMD's PerfEvtSel0-3/PerfCtr0-3 in GET/SET_MSRS (since hwvirt 0.6.0;
 * SVM only since 0.9.0)
 */
#define HWVIRT_CAP_K7_PERFCTR		(1ULL << 7)
/*
 * Since hwvirt 0.10.0: KVM's paravirtual clock ("kvmclock"): the module
 * runs MSR_KVM_SYSTEM_TIME(_NEW) and MSR_KVM_WALL_CLOCK(_NEW) for a
 * vCPU whose CPUID has KVM's signature at 0x40000000 and the clock's
 * feature bits at 0x40000001 (HWVIRT_GET_SUPPORTED_CPUID reports both
 * leaves); HWVIRT_GET_MSRS/SET_MSRS carry the MSRs.
 */
#define HWVIRT_CAP_PVCLOCK		(1ULL << 8)

struct hwvirt_info {
	__u32 api_version;
	__u32 backend;			/* HWVIRT_BACKEND_* */
	__u64 caps;			/* HWVIRT_CAP_* */
	__u32 mmu_modes;		/* 1 << HWVIRT_MMU_* that work */
	__u32 max_vcpus;		/* per VM */
	__u32 max_memslots;		/* per VM */
	__u32 max_cpuid_entries;
	__u32 max_msr_entries;
	/*
	 * Memory slots end below 2^gpa_bits (48 with 4-level nested paging,
	 * up to 52 with 5-level).  0 from modules before hwvirt 0.2.0,
	 * which meant 48.
	 */
	__u32 gpa_bits;
	__u32 reserved[6];
	char backend_desc[160];		/* NUL-terminated, for humans */
};

/* struct hwvirt_vm_config.flags */
#define HWVIRT_VM_LAPIC		(1U << 0)	/* local APICs in the module */

struct hwvirt_vm_config {
	__u32 flags;			/* HWVIRT_VM_* */
	__u32 mmu_mode;			/* HWVIRT_MMU_* */
	__u64 reserved[3];		/* must be 0 */
};

/* ------------------------------------------------------------------------
 * VM ioctls, on a VM fd
 */
#define HWVIRT_SET_MEMSLOT		_IOW(HWVIRT_IO, 0x10, struct hwvirt_memslot)
#define HWVIRT_CREATE_VCPU		_IO(HWVIRT_IO, 0x11)
#define HWVIRT_GET_STATS		_IOWR(HWVIRT_IO, 0x12, struct hwvirt_stats)
#define HWVIRT_SIGNAL_MSI		_IOW(HWVIRT_IO, 0x13, struct hwvirt_msi)
#define HWVIRT_GET_VM_INFO		_IOR(HWVIRT_IO, 0x14, struct hwvirt_vm_info)
#define HWVIRT_GET_DIRTY_LOG		_IOW(HWVIRT_IO, 0x15, struct hwvirt_dirty_log)
#define HWVIRT_IOEVENTFD		_IOW(HWVIRT_IO, 0x16, struct hwvirt_ioeventfd)
#define HWVIRT_IRQFD			_IOW(HWVIRT_IO, 0x17, struct hwvirt_irqfd)

/* HWVIRT_GET_VM_INFO (since hwvirt 0.4.0): what the VM was made with. */
struct hwvirt_vm_info {
	__u32 mmu_mode;			/* HWVIRT_MMU_TDP or _SHADOW, never 0 */
	__u32 flags;			/* HWVIRT_VM_* */
	__u32 tdp_levels;		/* TDP: 4 or 5; shadow: 0 */
	__u32 shadow_pages_max;		/* shadow: the reclaim limit now */
	__u64 reserved[6];
};

/* struct hwvirt_memslot.flags */
#define HWVIRT_MEM_READONLY		(1U << 0)	/* guest writes exit as MMIO */
#define HWVIRT_MEM_LOG_DIRTY		(1U << 1)	/* since 0.5.0: dirty log */

/*
 * A memory slot maps the guest-physical range [guest_phys_addr,
 * guest_phys_addr + memory_size) onto userspace memory at userspace_addr.
 * All three are page aligned.  memory_size == 0 deletes the slot.  An
 * existing slot may be moved (new guest_phys_addr) or have its flags
 * changed; changing its size or userspace_addr takes a delete and a create.
 */
struct hwvirt_memslot {
	__u32 slot;
	__u32 flags;			/* HWVIRT_MEM_* */
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

/*
 * HWVIRT_GET_DIRTY_LOG (since hwvirt 0.5.0, HWVIRT_CAP_DIRTY_LOG): the
 * pages of a slot with HWVIRT_MEM_LOG_DIRTY that were written since the
 * last call (or since logging started), one bit per page of the slot
 * (bit n of the 64-bit word n / 64: page n), into the buffer at bitmap,
 * which holds DIV_ROUND_UP(pages, 64) words.  The log is cleared and the
 * pages are write-protected again as they are fetched, so a page written
 * once shows up in exactly one fetch.
 */
struct hwvirt_dirty_log {
	__u32 slot;
	__u32 flags;			/* none yet: must be 0 */
	__u64 bitmap;			/* userspace address */
	__u64 reserved[2];		/* must be 0 */
};

/* struct hwvirt_ioeventfd.flags */
#define HWVIRT_IOEVENTFD_PIO		(1U << 0)	/* addr is a port */
#define HWVIRT_IOEVENTFD_DATAMATCH	(1U << 1)	/* only if data matches */
#define HWVIRT_IOEVENTFD_DEASSIGN	(1U << 2)	/* remove it */

/*
 * HWVIRT_IOEVENTFD (since hwvirt 0.5.0, HWVIRT_CAP_IOEVENTFD): a guest
 * write of len bytes (1, 2, 4 or 8; 0: any length, MMIO only) to addr,
 * a port or a guest-physical address, signals the eventfd fd and
 * completes in the module, without an exit to userspace; with
 * HWVIRT_IOEVENTFD_DATAMATCH only when the value written is datamatch.
 * Deassign with the same addr, len, fd and flags (plus DEASSIGN).
 */
struct hwvirt_ioeventfd {
	__u64 addr;
	__u64 datamatch;
	__u32 len;
	__s32 fd;
	__u32 flags;			/* HWVIRT_IOEVENTFD_* */
	__u32 pad;			/* must be 0 */
	__u64 reserved[2];		/* must be 0 */
};

/* struct hwvirt_irqfd.flags */
#define HWVIRT_IRQFD_DEASSIGN		(1U << 0)

/*
 * HWVIRT_IRQFD (since hwvirt 0.5.0, HWVIRT_CAP_IRQFD; VMs with
 * HWVIRT_VM_LAPIC): every signal of the eventfd fd sends the MSI msi to
 * the in-kernel APICs, as HWVIRT_SIGNAL_MSI would.  Assigning an fd the
 * VM already has changes its MSI (the guest moved the interrupt); with
 * HWVIRT_IRQFD_DEASSIGN (msi ignored) the fd is let go.  Closing the
 * eventfd lets it go too.
 */
struct hwvirt_irqfd {
	__s32 fd;
	__u32 flags;			/* HWVIRT_IRQFD_* */
	__u64 msi_address;
	__u32 msi_data;
	__u32 pad;			/* must be 0 */
	__u64 reserved[2];		/* must be 0 */
};

/* Counters in struct hwvirt_stats.val[], summed over the VM's vCPUs */
enum hwvirt_stat {
	HWVIRT_STAT_EXITS,		/* every exit from guest mode */
	HWVIRT_STAT_EXIT_IO,		/* port I/O */
	HWVIRT_STAT_EXIT_MMIO,		/* MMIO emulated or sent to userspace */
	HWVIRT_STAT_EXIT_HLT,
	HWVIRT_STAT_EXIT_CPUID,
	HWVIRT_STAT_EXIT_MSR,
	HWVIRT_STAT_EXIT_INTR,		/* host interrupts */
	HWVIRT_STAT_EXIT_IRQ_WINDOW,
	HWVIRT_STAT_EXIT_NPF,		/* nested page faults that map memory */
	HWVIRT_STAT_EXIT_EXCEPTION,
	HWVIRT_STAT_EXIT_SHUTDOWN,
	HWVIRT_STAT_EXIT_OTHER,
	HWVIRT_STAT_USERSPACE_EXITS,	/* returns from HWVIRT_RUN */
	HWVIRT_STAT_PAGES_MAPPED,	/* guest pages mapped now */
	HWVIRT_STAT_INJECTED_IRQS,
	/* Since hwvirt 0.3.0, with HWVIRT_VM_LAPIC: */
	HWVIRT_STAT_APIC_ACCESSES,	/* register accesses (MMIO, MSR) */
	HWVIRT_STAT_APIC_IPIS,		/* IPIs sent by the guest */
	HWVIRT_STAT_APIC_TIMER_IRQS,	/* timer interrupts raised */
	HWVIRT_STAT_HALT_WAKEUPS,	/* HLTs that slept and woke */
	HWVIRT_STAT_EOI_EXITS,		/* level EOIs sent to userspace */
	HWVIRT_STAT_MSIS,		/* HWVIRT_SIGNAL_MSI calls */
	HWVIRT_STAT_SMIS,		/* SMIs sent, dropped: no SMM */
	/* Since hwvirt 0.4.0: the shadow MMU (0 with nested paging). */
	HWVIRT_STAT_PF_EXITS,		/* #PF intercepts */
	HWVIRT_STAT_GUEST_PFS,		/* ...the guest's own, reflected */
	HWVIRT_STAT_PT_WRITES,		/* guest page-table writes emulated */
	HWVIRT_STAT_CR3_LOADS,		/* MOV to CR3 */
	HWVIRT_STAT_SHADOW_PAGES,	/* shadow pages now */
	HWVIRT_STAT_SHADOW_CREATED,	/* shadow pages made */
	HWVIRT_STAT_ROOTS_REUSED,	/* CR3 loads that found their root */
	HWVIRT_STAT_WRITE_PROTECTS,	/* guest pages write-protected */
	HWVIRT_STAT_UNSHADOWS,		/* pages unshadowed: floods, emulation */
	HWVIRT_STAT_SHADOW_ZAPS,	/* shadow pages zapped */
	HWVIRT_STAT_SHADOW_RECLAIMS,	/* ...to stay below the limit */
	HWVIRT_STAT_INVLPG_EXITS,	/* INVLPG and INVPCID intercepts */
	HWVIRT_STAT_UNSYNCS,		/* page tables let go out of sync */
	HWVIRT_STAT_SYNCS,		/* ...brought back at a TLB flush */
	/* Since hwvirt 0.5.0: */
	HWVIRT_STAT_IOEVENTS,		/* writes ended by an ioeventfd */
	HWVIRT_STAT_IRQFD_MSIS,		/* MSIs sent by irqfds */
	HWVIRT_STAT_DIRTY_FAULTS,	/* write faults of dirty logging */
	/* Since hwvirt 0.8.0: */
	HWVIRT_STAT_TASK_SWITCHES,	/* task switches emulated */
	/* Since hwvirt 0.10.0: */
	HWVIRT_STAT_PVCLOCK_UPDATES,	/* paravirtual clock pages written */
	HWVIRT_STAT_NR
};

struct hwvirt_stats {
	__u32 nr;			/* in: room in val[]; out: counters given */
	__u32 pad;
	__u64 val[];			/* indexed by enum hwvirt_stat */
};

/*
 * An MSI for the in-kernel APICs (HWVIRT_VM_LAPIC): the address
 * (0xfeeXXXXX: destination, redirection hint, destination mode) and the
 * data (vector, delivery mode, trigger mode) a device or the IOAPIC wrote.
 */
struct hwvirt_msi {
	__u64 address;
	__u32 data;
	__u32 flags;			/* none yet: must be 0 */
	__u64 reserved[2];		/* must be 0 */
};

/* ------------------------------------------------------------------------
 * vCPU ioctls, on a vCPU fd
 */
#define HWVIRT_RUN			_IO(HWVIRT_IO, 0x20)
#define HWVIRT_GET_REGS			_IOR(HWVIRT_IO, 0x21, struct hwvirt_regs)
#define HWVIRT_SET_REGS			_IOW(HWVIRT_IO, 0x22, struct hwvirt_regs)
#define HWVIRT_GET_SREGS		_IOR(HWVIRT_IO, 0x23, struct hwvirt_sregs)
#define HWVIRT_SET_SREGS		_IOW(HWVIRT_IO, 0x24, struct hwvirt_sregs)
#define HWVIRT_GET_FPU			_IOR(HWVIRT_IO, 0x25, struct hwvirt_xsave)
#define HWVIRT_SET_FPU			_IOW(HWVIRT_IO, 0x26, struct hwvirt_xsave)
#define HWVIRT_GET_MSRS			_IOWR(HWVIRT_IO, 0x27, struct hwvirt_msrs)
#define HWVIRT_SET_MSRS			_IOW(HWVIRT_IO, 0x28, struct hwvirt_msrs)
#define HWVIRT_SET_CPUID		_IOW(HWVIRT_IO, 0x29, struct hwvirt_cpuid)
#define HWVIRT_INTERRUPT		_IOW(HWVIRT_IO, 0x2a, struct hwvirt_interrupt)
#define HWVIRT_NMI			_IO(HWVIRT_IO, 0x2b)
#define HWVIRT_GET_EVENTS		_IOR(HWVIRT_IO, 0x2c, struct hwvirt_events)
#define HWVIRT_SET_EVENTS		_IOW(HWVIRT_IO, 0x2d, struct hwvirt_events)
#define HWVIRT_GET_XCR0			_IOR(HWVIRT_IO, 0x2e, __u64)
#define HWVIRT_SET_XCR0			_IOW(HWVIRT_IO, 0x2f, __u64)
#define HWVIRT_GET_LAPIC		_IOR(HWVIRT_IO, 0x30, struct hwvirt_lapic_state)
#define HWVIRT_SET_LAPIC		_IOW(HWVIRT_IO, 0x31, struct hwvirt_lapic_state)
#define HWVIRT_GET_MP_STATE		_IOR(HWVIRT_IO, 0x32, struct hwvirt_mp_state)
#define HWVIRT_SET_MP_STATE		_IOW(HWVIRT_IO, 0x33, struct hwvirt_mp_state)

struct hwvirt_regs {
	__u64 rax, rbx, rcx, rdx, rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11, r12, r13, r14, r15;
	__u64 rip, rflags;
};

/* A segment register, with its hidden part expanded. */
struct hwvirt_segment {
	__u64 base;
	__u32 limit;			/* in bytes, granularity applied */
	__u16 selector;
	__u8  type;			/* descriptor type, 4 bits */
	__u8  s;			/* 1: code/data, 0: system */
	__u8  dpl;
	__u8  present;
	__u8  avl;
	__u8  l;			/* 64-bit code */
	__u8  db;			/* default operand size 32 */
	__u8  g;			/* limit in pages (informational) */
	__u8  unusable;
	__u8  pad;
};

struct hwvirt_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

struct hwvirt_sregs {
	struct hwvirt_segment cs, ds, es, fs, gs, ss;
	struct hwvirt_segment tr, ldt;
	struct hwvirt_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 reserved[4];		/* must be 0 */
};

/* Guest FPU/SSE/AVX state in the standard (non-compacted) XSAVE layout. */
#define HWVIRT_XSAVE_SIZE		4096
struct hwvirt_xsave {
	__u32 region[HWVIRT_XSAVE_SIZE / 4];
};

struct hwvirt_msr_entry {
	__u32 index;
	__u32 reserved;			/* must be 0 */
	__u64 data;
};

/*
 * GET/SET_MSRS return the number of entries processed, stopping at the
 * first MSR the vCPU does not have.
 */
struct hwvirt_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct hwvirt_msr_entry entries[];
};

/* struct hwvirt_cpuid_entry.flags */
#define HWVIRT_CPUID_INDEXED		(1U << 0)	/* index (ECX) matters */

struct hwvirt_cpuid_entry {
	__u32 function;			/* EAX in */
	__u32 index;			/* ECX in, if HWVIRT_CPUID_INDEXED */
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 reserved;			/* must be 0 */
};

struct hwvirt_cpuid {
	__u32 nent;
	__u32 pad;
	struct hwvirt_cpuid_entry entries[];
};

/* An external interrupt for the guest (userspace interrupt controller). */
struct hwvirt_interrupt {
	__u32 vector;			/* 0..255 */
};

/* struct hwvirt_events.flags */
#define HWVIRT_EVENT_INTERRUPT_SHADOW	(1U << 0)	/* after STI/MOV SS */
#define HWVIRT_EVENT_NMI_MASKED		(1U << 1)	/* in an NMI handler */
#define HWVIRT_EVENT_NMI_PENDING	(1U << 2)
#define HWVIRT_EVENT_IRQ_PENDING	(1U << 3)	/* irq_vector queued */
#define HWVIRT_EVENT_EXCEPTION		(1U << 4)	/* exception queued */
#define HWVIRT_EVENT_EXCEPTION_ERROR	(1U << 5)	/* ...with error_code */

/* Event state that is not in the registers: needed to save a vCPU. */
struct hwvirt_events {
	__u32 flags;			/* HWVIRT_EVENT_* */
	__u8  irq_vector;
	__u8  exception_vector;
	__u16 pad;
	__u32 exception_error_code;
	__u32 reserved[5];		/* must be 0 */
};

/*
 * The in-kernel local APIC's registers, at their xAPIC MMIO offsets
 * (32-bit registers 16 bytes apart; in x2APIC mode the ID register holds
 * the 32-bit x2APIC ID).  The current count (0x390) is computed on
 * HWVIRT_GET_LAPIC and ignored by HWVIRT_SET_LAPIC, which restarts the
 * timer from its initial count.
 */
#define HWVIRT_LAPIC_REGS_SIZE		1024
struct hwvirt_lapic_state {
	__u8 regs[HWVIRT_LAPIC_REGS_SIZE];
};

/* struct hwvirt_mp_state.mp_state */
#define HWVIRT_MP_STATE_RUNNABLE	0
#define HWVIRT_MP_STATE_HALTED		1	/* in HLT, until an interrupt */
#define HWVIRT_MP_STATE_INIT_RECEIVED	2	/* waiting for a SIPI */

struct hwvirt_mp_state {
	__u32 mp_state;
	__u32 reserved;			/* must be 0 */
};

/* ------------------------------------------------------------------------
 * The run structure: the first page of a vCPU fd, mmap()ed
 */

/* struct hwvirt_run.exit_reason */
#define HWVIRT_EXIT_UNKNOWN		0
#define HWVIRT_EXIT_IO			1	/* port I/O: run->io */
#define HWVIRT_EXIT_MMIO		2	/* MMIO: run->mmio */
#define HWVIRT_EXIT_HLT			3	/* the guest halted */
#define HWVIRT_EXIT_SHUTDOWN		4	/* triple fault: reset it */
#define HWVIRT_EXIT_IRQ_WINDOW_OPEN	5	/* the guest takes interrupts */
#define HWVIRT_EXIT_INTERNAL_ERROR	6	/* run->internal */
#define HWVIRT_EXIT_FAIL_ENTRY		7	/* the CPU refused the state */
#define HWVIRT_EXIT_INTR		8	/* a signal, or immediate_exit */
#define HWVIRT_EXIT_EOI			9	/* a level-triggered EOI: run->eoi */

/* run->io.direction */
#define HWVIRT_IO_OUT			0
#define HWVIRT_IO_IN			1

/* run->internal.suberror */
#define HWVIRT_INTERNAL_EMULATION	1	/* an instruction we cannot emulate */
#define HWVIRT_INTERNAL_UNHANDLED_EXIT	2	/* an exit the module does not handle */
#define HWVIRT_INTERNAL_MEMORY		3	/* guest memory unreachable */
#define HWVIRT_INTERNAL_DELIVERY	4	/* event delivery failed */
/*
 * A guest state this CPU cannot run (since 0.9.0): real mode on VMX
 * without unrestricted guest (ept=0, or no EPT).
 */
#define HWVIRT_INTERNAL_UNSUPPORTED	5

struct hwvirt_run {
	/* in: set by userspace before HWVIRT_RUN */
	__u8 request_interrupt_window;	/* exit when the guest takes interrupts */
	__u8 immediate_exit;		/* return -EINTR without entering */
	__u8 pad0[6];

	/* out: set by the module when HWVIRT_RUN returns */
	__u32 exit_reason;		/* HWVIRT_EXIT_* */
	__u8 ready_for_interrupt_injection;	/* HWVIRT_INTERRUPT may be used */
	__u8 if_flag;			/* guest RFLAGS.IF */
	__u16 pad1;
	/*
	 * in/out: the guest's TPR (CR8), for a userspace APIC.  The module
	 * reads it at every HWVIRT_RUN and writes it back on return.
	 */
	__u64 cr8;
	__u64 apic_base;		/* out */

	union {
		/* HWVIRT_EXIT_IO: count items of size bytes at data_offset */
		struct {
			__u8 direction;		/* HWVIRT_IO_* */
			__u8 size;		/* 1, 2 or 4 */
			__u16 port;
			__u32 count;
			__u64 data_offset;	/* from the start of this page */
		} io;
		/*
		 * HWVIRT_EXIT_MMIO: a write carries data; for a read,
		 * userspace fills data before the next HWVIRT_RUN.
		 */
		struct {
			__u64 phys_addr;
			__u8 data[8];
			__u32 len;
			__u8 is_write;
			__u8 pad[3];
		} mmio;
		/* HWVIRT_EXIT_INTERNAL_ERROR: what the module saw */
		struct {
			__u32 suberror;		/* HWVIRT_INTERNAL_* */
			__u32 insn_len;		/* bytes valid in insn[] */
			__u64 exit_code;	/* hardware exit reason */
			__u64 exit_info1, exit_info2;
			__u64 rip;
			__u64 gpa;		/* when it applies */
			__u8 insn[16];
		} internal;
		/*
		 * HWVIRT_EXIT_FAIL_ENTRY: nothing ran; fix the state and run
		 * again.  SVM: hardware_reason is the exit code (-1,
		 * VMEXIT_INVALID), detail EXITINFO1.  VMX (since 0.9.0): the
		 * exit reason (bit 31 set; 33 invalid guest state, 34 MSR
		 * loading, 41 machine check) and detail the qualification,
		 * or 1 << 32 | the VM-instruction error when VMLAUNCH or
		 * VMRESUME failed.
		 */
		struct {
			__u64 hardware_reason;
			__u64 detail;
		} fail_entry;
		/*
		 * HWVIRT_EXIT_EOI: the guest ended a level-triggered
		 * interrupt (TMR set); the IOAPIC may deliver its pin again.
		 */
		struct {
			__u8 vector;
		} eoi;
		__u8 padding[256];
	};
};

#endif /* _UAPI_LINUX_HWVIRT_H */
