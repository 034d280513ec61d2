// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: vCPUs.
 *
 * A vCPU fd: its ioctls (serialized by vcpu->mutex), its run page (mmap),
 * and the run loop, which enters the guest through the backend until an
 * exit needs userspace, a signal arrives, or run->immediate_exit is set.
 * Other threads reach a running vCPU through requests and kicks.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/msr-index.h>

#include "mmu.h"
#include "x86.h"

/* ------------------------------------------------------------------------
 * Requests and kicks
 */

static void hwvirt_kick_ack(void *unused)
{
}

/*
 * Post request req to every vCPU of vm and make sure none is in guest
 * mode without having seen it: a vCPU entering after set_bit() sees the
 * request (it publishes vcpu->mode before reading requests); one already
 * in guest mode gets an IPI, which ends guest mode, and we wait for it.
 */
void hwvirt_request_all(struct hwvirt_vm *vm, int req)
{
	cpumask_var_t cpus;
	int i, n = atomic_read(&vm->nr_vcpus);
	bool have_mask = zalloc_cpumask_var(&cpus, GFP_ATOMIC);

	for (i = 0; i < n; i++) {
		struct hwvirt_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (vcpu)
			set_bit(req, &vcpu->requests);
	}
	/*
	 * Order the request bits before reading vcpu->mode: a vCPU entering
	 * guest mode sets its mode, then checks requests (hwvirt_enter_begin()).
	 */
	smp_mb__after_atomic();
	preempt_disable();
	for (i = 0; i < n; i++) {
		struct hwvirt_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (!vcpu || READ_ONCE(vcpu->mode) != HWVIRT_IN_GUEST)
			continue;
		if (have_mask)
			cpumask_set_cpu(READ_ONCE(vcpu->cpu), cpus);
		else
			smp_call_function_single(READ_ONCE(vcpu->cpu),
						 hwvirt_kick_ack, NULL, 1);
	}
	if (have_mask) {
		smp_call_function_many(cpus, hwvirt_kick_ack, NULL, 1);
		free_cpumask_var(cpus);
	}
	preempt_enable();
}

/* ------------------------------------------------------------------------
 * Run
 */

static int hwvirt_vcpu_run(struct hwvirt_vcpu *vcpu)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	struct hwvirt_run *run = vcpu->run;
	u64 rip;
	int r;

	run->exit_reason = HWVIRT_EXIT_UNKNOWN;
	/* A userspace APIC says its TPR here; an in-kernel one has its own. */
	if (!vcpu->apic)
		vcpu->cr8 = READ_ONCE(run->cr8) & 0xf;
	fpu_swap_kvm_fpstate(&vcpu->fpu, true);

	/* Finish the last exit first, even when not entering. */
	rip = vcpu->rip;
	r = hwvirt_complete_userspace(vcpu);
	if (r) {
		/* An error, or the completion exits again. */
		r = min(r, 0);
		goto out;
	}
	if (vcpu->rip != rip)
		hwvirt_insn_completed(vcpu);
	if (READ_ONCE(run->immediate_exit)) {
		run->exit_reason = HWVIRT_EXIT_INTR;
		r = -EINTR;
		goto out;
	}

	for (;;) {
		if (vcpu->triple_fault) {
			vcpu->triple_fault = false;
			run->exit_reason = HWVIRT_EXIT_SHUTDOWN;
			r = 0;
			break;
		}
		if (test_and_clear_bit(HWVIRT_REQ_MMU_RELOAD, &vcpu->requests))
			hwvirt_mmu_reload(vcpu);
		if (test_and_clear_bit(HWVIRT_REQ_TLB_FLUSH, &vcpu->requests))
			b->flush_tlb(vcpu);
		if (test_and_clear_bit(HWVIRT_REQ_EOI_EXIT, &vcpu->requests)) {
			/* The IOAPIC must see this EOI: userspace's. */
			run->exit_reason = HWVIRT_EXIT_EOI;
			run->eoi.vector = vcpu->apic->eoi_vector;
			vcpu->stat[HWVIRT_STAT_EOI_EXITS]++;
			r = 0;
			break;
		}
		hwvirt_apic_run_events(vcpu);
		if (signal_pending(current)) {
			run->exit_reason = HWVIRT_EXIT_INTR;
			r = -EINTR;
			break;
		}
		if (vcpu->mp_state != HWVIRT_MP_STATE_RUNNABLE) {
			/*
			 * Halted until an interrupt it can take, or waiting
			 * for a SIPI: sleep until another thread (a timer, an
			 * IPI, an MSI) or a signal wakes us.
			 */
			if (vcpu->mp_state == HWVIRT_MP_STATE_HALTED &&
			    hwvirt_vcpu_wakes(vcpu)) {
				vcpu->mp_state = HWVIRT_MP_STATE_RUNNABLE;
			} else {
				if (!hwvirt_vcpu_block(vcpu) &&
				    vcpu->mp_state == HWVIRT_MP_STATE_HALTED)
					vcpu->stat[HWVIRT_STAT_HALT_WAKEUPS]++;
				continue;
			}
		}
		/* The window userspace asked for is open: no need to enter. */
		if (hwvirt_user_irq_window(vcpu) && !vcpu->irq.pending &&
		    !vcpu->exception.pending && hwvirt_interruptible(vcpu)) {
			run->exit_reason = HWVIRT_EXIT_IRQ_WINDOW_OPEN;
			r = 0;
			break;
		}
		cond_resched();
		hwvirt_pvclock_update(vcpu);

		r = b->vcpu_run(vcpu);
		if (r == HWVIRT_USER) {
			r = 0;
			break;
		}
		if (r < 0)
			break;
	}
out:
	if (r == HWVIRT_USER)
		r = 0;
	hwvirt_fill_run(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
	vcpu->stat[HWVIRT_STAT_USERSPACE_EXITS]++;
	return r;
}

/* ------------------------------------------------------------------------
 * Register state
 */

static void get_regs(struct hwvirt_vcpu *vcpu, struct hwvirt_regs *r)
{
	const u64 *g = vcpu->regs;

	*r = (struct hwvirt_regs) {
		.rax = g[HW_RAX], .rbx = g[HW_RBX], .rcx = g[HW_RCX],
		.rdx = g[HW_RDX], .rsi = g[HW_RSI], .rdi = g[HW_RDI],
		.rsp = g[HW_RSP], .rbp = g[HW_RBP],
		.r8 = g[HW_R8], .r9 = g[HW_R9], .r10 = g[HW_R10],
		.r11 = g[HW_R11], .r12 = g[HW_R12], .r13 = g[HW_R13],
		.r14 = g[HW_R14], .r15 = g[HW_R15],
		.rip = vcpu->rip, .rflags = vcpu->rflags,
	};
}

static void set_regs(struct hwvirt_vcpu *vcpu, const struct hwvirt_regs *r)
{
	u64 *g = vcpu->regs;

	g[HW_RAX] = r->rax; g[HW_RBX] = r->rbx; g[HW_RCX] = r->rcx;
	g[HW_RDX] = r->rdx; g[HW_RSI] = r->rsi; g[HW_RDI] = r->rdi;
	g[HW_RSP] = r->rsp; g[HW_RBP] = r->rbp;
	g[HW_R8] = r->r8; g[HW_R9] = r->r9; g[HW_R10] = r->r10;
	g[HW_R11] = r->r11; g[HW_R12] = r->r12; g[HW_R13] = r->r13;
	g[HW_R14] = r->r14; g[HW_R15] = r->r15;
	/*
	 * A new RIP discards a half-done exit (a reset, a restore); the
	 * same RIP keeps it, as KVM does: userspace that reads and writes
	 * the registers in the middle of an exit (QEMU's VMware backdoor
	 * port sets EBX..EDI beside the IN's data) expects the instruction
	 * to finish.
	 */
	if (r->rip != vcpu->rip)
		vcpu->completion = HWVIRT_COMPLETE_NONE;
	vcpu->rip = r->rip;
	/* Bit 1 is always set; reserved bits read as zero. */
	vcpu->rflags = (r->rflags & 0x3f7fd5ULL) | HV_RFLAGS_FIXED;
}

static void get_events(struct hwvirt_vcpu *vcpu, struct hwvirt_events *ev)
{
	memset(ev, 0, sizeof(*ev));
	if (vcpu->interrupt_shadow)
		ev->flags |= HWVIRT_EVENT_INTERRUPT_SHADOW;
	if (vcpu->nmi_masked)
		ev->flags |= HWVIRT_EVENT_NMI_MASKED;
	if (vcpu->nmi_pending)
		ev->flags |= HWVIRT_EVENT_NMI_PENDING;
	if (vcpu->irq.pending) {
		ev->flags |= HWVIRT_EVENT_IRQ_PENDING;
		ev->irq_vector = vcpu->irq.vector;
	}
	if (vcpu->exception.pending) {
		ev->flags |= HWVIRT_EVENT_EXCEPTION;
		ev->exception_vector = vcpu->exception.vector;
		if (vcpu->exception.has_error) {
			ev->flags |= HWVIRT_EVENT_EXCEPTION_ERROR;
			ev->exception_error_code = vcpu->exception.error_code;
		}
	}
}

#define HWVIRT_EVENT_ALL	(HWVIRT_EVENT_INTERRUPT_SHADOW | \
				 HWVIRT_EVENT_NMI_MASKED | \
				 HWVIRT_EVENT_NMI_PENDING | \
				 HWVIRT_EVENT_IRQ_PENDING | \
				 HWVIRT_EVENT_EXCEPTION | \
				 HWVIRT_EVENT_EXCEPTION_ERROR)

static int set_events(struct hwvirt_vcpu *vcpu, const struct hwvirt_events *ev)
{
	int i;

	if (ev->flags & ~HWVIRT_EVENT_ALL || ev->pad)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(ev->reserved); i++)
		if (ev->reserved[i])
			return -EINVAL;
	if ((ev->flags & HWVIRT_EVENT_EXCEPTION) && ev->exception_vector >= 32)
		return -EINVAL;
	vcpu->interrupt_shadow = ev->flags & HWVIRT_EVENT_INTERRUPT_SHADOW;
	vcpu->nmi_masked = ev->flags & HWVIRT_EVENT_NMI_MASKED;
	vcpu->nmi_pending = ev->flags & HWVIRT_EVENT_NMI_PENDING;
	vcpu->irq.pending = ev->flags & HWVIRT_EVENT_IRQ_PENDING;
	vcpu->irq.vector = ev->irq_vector;
	vcpu->exception = (struct hwvirt_event) {
		.pending = ev->flags & HWVIRT_EVENT_EXCEPTION,
		.vector = ev->exception_vector,
		.has_error = ev->flags & HWVIRT_EVENT_EXCEPTION_ERROR,
		.error_code = ev->exception_error_code,
	};
	return 0;
}

static int vcpu_msrs(struct hwvirt_vcpu *vcpu, void __user *argp, bool set)
{
	struct hwvirt_msrs hdr;
	struct hwvirt_msr_entry *e;
	u32 i;
	int r;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nmsrs > HWVIRT_MAX_MSR_ENTRIES)
		return -E2BIG;
	if (hdr.pad)
		return -EINVAL;
	e = memdup_user(argp + sizeof(hdr), hdr.nmsrs * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nmsrs; i++) {
		if (e[i].reserved) {
			r = -EINVAL;
			goto out;
		}
		if (set ? hwvirt_set_msr(vcpu, e[i].index, e[i].data, false) :
			  hwvirt_get_msr(vcpu, e[i].index, &e[i].data))
			break;
	}
	r = i;
	if (!set && copy_to_user(argp + sizeof(hdr), e, i * sizeof(*e)))
		r = -EFAULT;
out:
	kfree(e);
	return r;
}

static int vcpu_set_cpuid(struct hwvirt_vcpu *vcpu, void __user *argp)
{
	struct hwvirt_cpuid hdr;
	struct hwvirt_cpuid_entry *e;
	u32 i;

	if (copy_from_user(&hdr, argp, sizeof(hdr)))
		return -EFAULT;
	if (hdr.nent > HWVIRT_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (hdr.pad)
		return -EINVAL;
	e = memdup_user(argp + sizeof(hdr), hdr.nent * sizeof(*e));
	if (IS_ERR(e))
		return PTR_ERR(e);
	for (i = 0; i < hdr.nent; i++) {
		if (e[i].reserved || (e[i].flags & ~HWVIRT_CPUID_INDEXED)) {
			kfree(e);
			return -EINVAL;
		}
	}
	kfree(vcpu->cpuid);
	vcpu->cpuid = e;
	vcpu->cpuid_nent = hdr.nent;
	hwvirt_cpuid_changed(vcpu);
	return 0;
}

static int vcpu_fpu(struct hwvirt_vcpu *vcpu, void __user *argp, bool set)
{
	struct hwvirt_xsave *x = kvzalloc(sizeof(*x), GFP_KERNEL_ACCOUNT);
	u32 pkru = 0;
	int r = 0;

	if (!x)
		return -ENOMEM;
	if (set) {
		if (copy_from_user(x, argp, sizeof(*x))) {
			r = -EFAULT;
			goto out;
		}
		r = fpu_copy_uabi_to_guest_fpstate(&vcpu->fpu, x,
						   hwvirt_supported_xcr0 | 3,
						   &pkru);
	} else {
		fpu_copy_guest_fpstate_to_uabi(&vcpu->fpu, x, sizeof(*x),
					       hwvirt_supported_xcr0 | 3, pkru);
		if (copy_to_user(argp, x, sizeof(*x)))
			r = -EFAULT;
	}
out:
	kvfree(x);
	return r;
}

/* HWVIRT_GET_LAPIC / HWVIRT_SET_LAPIC: a page of registers, so on the heap. */
static int vcpu_lapic(struct hwvirt_vcpu *vcpu, void __user *argp, bool set)
{
	struct hwvirt_lapic_state *st;
	int r = 0;

	if (!vcpu->apic)
		return -ENXIO;
	st = kzalloc(sizeof(*st), GFP_KERNEL_ACCOUNT);
	if (!st)
		return -ENOMEM;
	if (set) {
		r = copy_from_user(st, argp, sizeof(*st)) ? -EFAULT :
		    hwvirt_set_lapic(vcpu, st);
	} else {
		hwvirt_get_lapic(vcpu, st);
		r = copy_to_user(argp, st, sizeof(*st)) ? -EFAULT : 0;
	}
	kfree(st);
	return r;
}

static long hwvirt_vcpu_ioctl(struct file *filp, unsigned int ioctl,
			      unsigned long arg)
{
	struct hwvirt_vcpu *vcpu = filp->private_data;
	const struct hwvirt_backend *b = hwvirt_backend;
	void __user *argp = (void __user *)arg;
	union {
		struct hwvirt_regs regs;
		struct hwvirt_sregs sregs;
		struct hwvirt_events events;
		struct hwvirt_interrupt irq;
		struct hwvirt_mp_state mp;
		u64 xcr0;
	} u;
	struct hwvirt_segment cs;
	long r;
	int i;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;

	switch (ioctl) {
	case HWVIRT_RUN:
		r = arg ? -EINVAL : hwvirt_vcpu_run(vcpu);
		break;
	case HWVIRT_GET_REGS:
		get_regs(vcpu, &u.regs);
		r = copy_to_user(argp, &u.regs, sizeof(u.regs)) ? -EFAULT : 0;
		break;
	case HWVIRT_SET_REGS:
		r = -EFAULT;
		if (copy_from_user(&u.regs, argp, sizeof(u.regs)))
			break;
		set_regs(vcpu, &u.regs);
		r = 0;
		break;
	case HWVIRT_GET_SREGS:
		b->get_sregs(vcpu, &u.sregs);
		u.sregs.apic_base = hwvirt_get_apic_base(vcpu);
		r = copy_to_user(argp, &u.sregs, sizeof(u.sregs)) ? -EFAULT : 0;
		break;
	case HWVIRT_SET_SREGS:
		r = -EFAULT;
		if (copy_from_user(&u.sregs, argp, sizeof(u.sregs)))
			break;
		r = -EINVAL;
		for (i = 0; i < ARRAY_SIZE(u.sregs.reserved); i++)
			if (u.sregs.reserved[i])
				goto out;
		r = hwvirt_set_apic_base(vcpu, u.sregs.apic_base, false);
		if (r)
			break;
		b->get_segment(vcpu, HW_CS, &cs);
		r = b->set_sregs(vcpu, &u.sregs);
		if (!r) {
			hwvirt_apic_cr8_to_tpr(vcpu);
			hwvirt_paging_changed(vcpu);
			/* A new CS discards a half-done exit, as a new RIP. */
			if (cs.base != u.sregs.cs.base ||
			    cs.selector != u.sregs.cs.selector)
				vcpu->completion = HWVIRT_COMPLETE_NONE;
		}
		break;
	case HWVIRT_GET_FPU:
		r = vcpu_fpu(vcpu, argp, false);
		break;
	case HWVIRT_SET_FPU:
		r = vcpu_fpu(vcpu, argp, true);
		break;
	case HWVIRT_GET_MSRS:
		r = vcpu_msrs(vcpu, argp, false);
		break;
	case HWVIRT_SET_MSRS:
		r = vcpu_msrs(vcpu, argp, true);
		break;
	case HWVIRT_SET_CPUID:
		r = vcpu_set_cpuid(vcpu, argp);
		break;
	case HWVIRT_INTERRUPT:
		r = -EFAULT;
		if (copy_from_user(&u.irq, argp, sizeof(u.irq)))
			break;
		r = -EINVAL;
		if (u.irq.vector > 255)
			break;
		r = -EBUSY;
		if (vcpu->irq.pending)
			break;
		vcpu->irq.pending = true;
		vcpu->irq.vector = u.irq.vector;
		r = 0;
		break;
	case HWVIRT_NMI:
		r = arg ? -EINVAL : 0;
		if (!r)
			vcpu->nmi_pending = true;
		break;
	case HWVIRT_GET_EVENTS:
		get_events(vcpu, &u.events);
		r = copy_to_user(argp, &u.events, sizeof(u.events)) ? -EFAULT : 0;
		break;
	case HWVIRT_SET_EVENTS:
		r = -EFAULT;
		if (copy_from_user(&u.events, argp, sizeof(u.events)))
			break;
		r = set_events(vcpu, &u.events);
		break;
	case HWVIRT_GET_XCR0:
		r = put_user(vcpu->xcr0, (u64 __user *)argp) ? -EFAULT : 0;
		break;
	case HWVIRT_SET_XCR0:
		r = -EFAULT;
		if (get_user(u.xcr0, (u64 __user *)argp))
			break;
		r = hwvirt_set_xcr0(vcpu, u.xcr0);
		break;
	case HWVIRT_GET_LAPIC:
	case HWVIRT_SET_LAPIC:
		r = vcpu_lapic(vcpu, argp, ioctl == HWVIRT_SET_LAPIC);
		break;
	case HWVIRT_GET_MP_STATE:
		r = -ENXIO;
		if (!vcpu->apic)
			break;
		u.mp = (struct hwvirt_mp_state) { .mp_state = vcpu->mp_state };
		r = copy_to_user(argp, &u.mp, sizeof(u.mp)) ? -EFAULT : 0;
		break;
	case HWVIRT_SET_MP_STATE:
		r = -EFAULT;
		if (copy_from_user(&u.mp, argp, sizeof(u.mp)))
			break;
		r = u.mp.reserved ? -EINVAL : hwvirt_set_mp_state(vcpu, u.mp.mp_state);
		break;
	default:
		r = -ENOTTY;
		break;
	}
out:
	mutex_unlock(&vcpu->mutex);
	return r;
}

static vm_fault_t hwvirt_vcpu_fault(struct vm_fault *vmf)
{
	struct hwvirt_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct hwvirt_vcpu_vm_ops = {
	.fault = hwvirt_vcpu_fault,
};

static int hwvirt_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff || vma_pages(vma) != 1)
		return -EINVAL;
	vma->vm_ops = &hwvirt_vcpu_vm_ops;
	return 0;
}

static int hwvirt_vcpu_release(struct inode *inode, struct file *filp)
{
	struct hwvirt_vcpu *vcpu = filp->private_data;

	hwvirt_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations hwvirt_vcpu_fops = {
	.owner		= THIS_MODULE,
	.release	= hwvirt_vcpu_release,
	.unlocked_ioctl	= hwvirt_vcpu_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= hwvirt_vcpu_mmap,
	.llseek		= noop_llseek,
};

/* ------------------------------------------------------------------------
 * Lifetime
 */

/* What power-on and INIT both reset, the backend's part included. */
static void vcpu_reset_registers(struct hwvirt_vcpu *vcpu)
{
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->cr2 = 0;
	vcpu->cr8 = 0;
	vcpu->xcr0 = 1;
	vcpu->irq.pending = vcpu->exception.pending = false;
	vcpu->nmi_pending = vcpu->nmi_masked = false;
	vcpu->interrupt_shadow = vcpu->triple_fault = false;
	vcpu->completion = HWVIRT_COMPLETE_NONE;
	hwvirt_backend->vcpu_reset(vcpu);
}

/* The state of a vCPU at power-on. */
static void hwvirt_vcpu_reset(struct hwvirt_vcpu *vcpu)
{
	vcpu->apic_base = HW_APIC_DEFAULT_BASE | HW_APIC_BASE_EN |
			  (vcpu->id == 0 ? HW_APIC_BASE_BSP : 0);
	vcpu->misc_enable = 1;		/* fast strings */
	vcpu->mtrr_def_type = 0;
	memset(vcpu->mtrr_fixed, 0, sizeof(vcpu->mtrr_fixed));
	memset(vcpu->mtrr_var, 0, sizeof(vcpu->mtrr_var));
	memset(vcpu->pmu_evtsel, 0, sizeof(vcpu->pmu_evtsel));
	memset(vcpu->pmu_ctr, 0, sizeof(vcpu->pmu_ctr));
	vcpu->mp_state = HWVIRT_MP_STATE_RUNNABLE;
	vcpu_reset_registers(vcpu);
	hwvirt_apic_reset(vcpu);
}

/*
 * INIT (SDM table 10-1): the registers as at power-on, but the MSRs in
 * software (MTRRs, PAT, MISC_ENABLE, TSC_AUX), the FPU state and the
 * APIC's base and ID stay; EDX holds the CPU signature again.
 */
void hwvirt_vcpu_init_event(struct hwvirt_vcpu *vcpu)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	u64 pat = 0;

	b->get_msr(vcpu, MSR_IA32_CR_PAT, &pat);
	vcpu_reset_registers(vcpu);
	b->set_msr(vcpu, MSR_IA32_CR_PAT, pat, false);
	vcpu->regs[HW_RDX] = hwvirt_cpu_signature(vcpu);
	hwvirt_apic_init(vcpu);
}

void hwvirt_vcpu_free(struct hwvirt_vcpu *vcpu)
{
	hwvirt_mmu_vcpu_free(vcpu);
	hwvirt_apic_free(vcpu);
	hwvirt_backend->vcpu_free(vcpu);
	fpu_free_guest_fpstate(&vcpu->fpu);
	free_page((unsigned long)vcpu->run);
	kfree(vcpu->cpuid);
	kfree(vcpu);
}

/* HWVIRT_CREATE_VCPU; called with vm->lock held. */
int hwvirt_vcpu_create(struct hwvirt_vm *vm, unsigned long id)
{
	struct hwvirt_vcpu *vcpu;
	int r, fd;

	if (id >= HWVIRT_MAX_VCPUS)
		return -EINVAL;
	if (vm->vcpus[id])
		return -EEXIST;

	vcpu = kzalloc(hwvirt_backend->vcpu_size, GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return -ENOMEM;
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->cpu = -1;
	mutex_init(&vcpu->mutex);
	rcuwait_init(&vcpu->wait);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run) {
		kfree(vcpu);
		return -ENOMEM;
	}
	if (!fpu_alloc_guest_fpstate(&vcpu->fpu)) {
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
		return -ENOMEM;
	}
	r = hwvirt_mmu_vcpu_init(vcpu);
	if (!r && vm->lapic) {
		r = hwvirt_apic_create(vcpu);
		if (r)
			hwvirt_mmu_vcpu_free(vcpu);
	}
	if (!r) {
		r = hwvirt_backend->vcpu_create(vcpu);
		if (r) {
			hwvirt_apic_free(vcpu);
			hwvirt_mmu_vcpu_free(vcpu);
		}
	}
	if (r) {
		fpu_free_guest_fpstate(&vcpu->fpu);
		free_page((unsigned long)vcpu->run);
		kfree(vcpu);
		return r;
	}
	hwvirt_vcpu_reset(vcpu);

	/* The fd holds a VM reference; the VM owns the vCPU. */
	kref_get(&vm->ref);
	fd = anon_inode_getfd("hwvirt-vcpu", &hwvirt_vcpu_fops, vcpu,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		hwvirt_vcpu_free(vcpu);
		hwvirt_vm_put(vm);	/* never the last: the VM fd holds one */
		return fd;
	}
	/* Publish after it is complete: hwvirt_request_all() reads it. */
	smp_store_release(&vm->vcpus[id], vcpu);
	if (id >= atomic_read(&vm->nr_vcpus))
		atomic_set(&vm->nr_vcpus, id + 1);
	return fd;
}
