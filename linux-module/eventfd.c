// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: eventfds, between the guest and the threads of userspace
 * (KVM's ioeventfd and irqfd, in hwvirt's ABI).
 *
 * An ioeventfd turns a guest write to a port or a guest-physical address
 * (a virtio queue notification) into a signal of an eventfd, in the
 * module: the vCPU goes on without returning to userspace, and the
 * device's thread in userspace wakes up.  The list is read under RCU by
 * the vCPUs' write paths and changed under vm->lock.
 *
 * An irqfd is the way back: userspace (an I/O thread) signals an
 * eventfd, and the module sends an MSI to the in-kernel APICs.  The
 * module waits on the eventfd's wait queue; the wake-up callback (the
 * signaller's context, the queue's lock held, interrupts off) counts the
 * signal and queues a work item, which delivers the MSI in process
 * context (hwvirt_signal_msi() may kick vCPUs).  Closing the eventfd
 * (EPOLLHUP) lets the irqfd go, as does HWVIRT_IRQFD_DEASSIGN or the VM's
 * end.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "x86.h"

/* The irqfds' work: MSIs, and irqfds whose eventfd closed going away. */
static struct workqueue_struct *irqfd_wq;

/* Linux 6.8 drops the count argument. */
static void signal_eventfd(struct eventfd_ctx *ctx)
{
	eventfd_signal(ctx, 1);
}

/* ------------------------------------------------------------------------
 * ioeventfds
 */

struct hwvirt_ioeventfd_ent {
	struct list_head link;		/* vm->ioeventfds, RCU */
	struct rcu_head rcu;
	u64 addr;
	u64 datamatch;
	u32 len;			/* 0: any (MMIO only) */
	bool pio;
	bool wildcard;			/* no datamatch */
	struct eventfd_ctx *ctx;	/* a reference, dropped at free */
};

static bool ioeventfd_matches(const struct hwvirt_ioeventfd_ent *p, bool pio,
			      u64 addr, u32 len, u64 val)
{
	if (p->pio != pio || p->addr != addr)
		return false;
	if (!p->len)
		return true;
	if (p->len != len)
		return false;
	if (p->wildcard)
		return true;
	if (len < 8)
		val &= (1ULL << (8 * len)) - 1;
	return val == p->datamatch;
}

/*
 * A guest write of len bytes of val to addr (a port if pio): true if an
 * ioeventfd took it, and the write is done.
 */
bool hwvirt_ioeventfd_write(struct hwvirt_vcpu *vcpu, bool pio, u64 addr,
			    u32 len, u64 val)
{
	struct hwvirt_vm *vm = vcpu->vm;
	struct hwvirt_ioeventfd_ent *p;
	bool hit = false;

	if (list_empty(&vm->ioeventfds))
		return false;
	rcu_read_lock();
	list_for_each_entry_rcu(p, &vm->ioeventfds, link) {
		if (ioeventfd_matches(p, pio, addr, len, val)) {
			signal_eventfd(p->ctx);
			hit = true;
			break;
		}
	}
	rcu_read_unlock();
	if (hit)
		vcpu->stat[HWVIRT_STAT_IOEVENTS]++;
	return hit;
}

static void ioeventfd_free_rcu(struct rcu_head *rcu)
{
	struct hwvirt_ioeventfd_ent *p =
		container_of(rcu, struct hwvirt_ioeventfd_ent, rcu);

	eventfd_ctx_put(p->ctx);
	kfree(p);
}

/* Two assignments would both claim a write: refused. */
static bool ioeventfd_conflict(const struct hwvirt_ioeventfd_ent *a,
			       const struct hwvirt_ioeventfd_ent *b)
{
	if (a->pio != b->pio || a->addr != b->addr || a->len != b->len)
		return false;
	return a->wildcard || b->wildcard || a->datamatch == b->datamatch;
}

static int ioeventfd_deassign(struct hwvirt_vm *vm,
			      const struct hwvirt_ioeventfd *args)
{
	struct hwvirt_ioeventfd_ent *p;
	struct eventfd_ctx *ctx;
	int r = -ENOENT;

	ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&vm->lock);
	list_for_each_entry(p, &vm->ioeventfds, link) {
		if (p->ctx != ctx || p->addr != args->addr ||
		    p->len != args->len ||
		    p->pio != !!(args->flags & HWVIRT_IOEVENTFD_PIO) ||
		    p->wildcard != !(args->flags & HWVIRT_IOEVENTFD_DATAMATCH) ||
		    (!p->wildcard && p->datamatch != args->datamatch))
			continue;
		list_del_rcu(&p->link);
		vm->nr_ioeventfds--;
		call_rcu(&p->rcu, ioeventfd_free_rcu);
		r = 0;
		break;
	}
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(ctx);
	return r;
}

int hwvirt_ioeventfd(struct hwvirt_vm *vm, const struct hwvirt_ioeventfd *args)
{
	struct hwvirt_ioeventfd_ent *p, *q;
	bool pio = args->flags & HWVIRT_IOEVENTFD_PIO;
	int r = 0;

	if (args->flags & ~(HWVIRT_IOEVENTFD_PIO | HWVIRT_IOEVENTFD_DATAMATCH |
			    HWVIRT_IOEVENTFD_DEASSIGN) ||
	    args->pad || args->reserved[0] || args->reserved[1])
		return -EINVAL;
	switch (args->len) {
	case 0:
		/* Any length: MMIO only, and nothing to match. */
		if (pio || (args->flags & HWVIRT_IOEVENTFD_DATAMATCH))
			return -EINVAL;
		break;
	case 1:
	case 2:
	case 4:
		break;
	case 8:
		if (pio)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (pio ? args->addr > 0xffff : args->addr + args->len < args->addr)
		return -EINVAL;
	if (args->flags & HWVIRT_IOEVENTFD_DEASSIGN)
		return ioeventfd_deassign(vm, args);

	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	p->addr = args->addr;
	p->len = args->len;
	p->pio = pio;
	p->wildcard = !(args->flags & HWVIRT_IOEVENTFD_DATAMATCH);
	p->datamatch = p->wildcard ? 0 : args->datamatch;
	p->ctx = eventfd_ctx_fdget(args->fd);
	if (IS_ERR(p->ctx)) {
		r = PTR_ERR(p->ctx);
		kfree(p);
		return r;
	}

	mutex_lock(&vm->lock);
	if (vm->nr_ioeventfds >= HWVIRT_MAX_IOEVENTFDS) {
		r = -ENOSPC;
		goto fail;
	}
	list_for_each_entry(q, &vm->ioeventfds, link) {
		if (ioeventfd_conflict(p, q)) {
			r = -EEXIST;
			goto fail;
		}
	}
	list_add_tail_rcu(&p->link, &vm->ioeventfds);
	vm->nr_ioeventfds++;
	mutex_unlock(&vm->lock);
	return 0;
fail:
	mutex_unlock(&vm->lock);
	eventfd_ctx_put(p->ctx);
	kfree(p);
	return r;
}

/* ------------------------------------------------------------------------
 * irqfds
 */

struct hwvirt_irqfd_ent {
	struct hwvirt_vm *vm;		/* no reference: the VM frees us first */
	/* On vm->irqfds (under irqfds_lock), or empty once let go. */
	struct list_head link;
	struct eventfd_ctx *ctx;	/* a reference, dropped at free */
	wait_queue_entry_t wait;	/* on the eventfd's wait queue */
	poll_table pt;
	struct work_struct inject;	/* sends the MSI */
	struct work_struct shutdown;	/* EPOLLHUP: lets itself go */
	/* The MSI, replaced whole by a new assignment (under irqfds_lock). */
	struct hwvirt_msi msi;
	atomic_t pending;		/* signals not yet sent as MSIs */
};

static void irqfd_inject(struct work_struct *work)
{
	struct hwvirt_irqfd_ent *p =
		container_of(work, struct hwvirt_irqfd_ent, inject);
	struct hwvirt_vm *vm = p->vm;
	struct hwvirt_msi msi;

	/* Signals that came together make one interrupt, as edges do. */
	if (!atomic_xchg(&p->pending, 0))
		return;
	spin_lock_irq(&vm->irqfds_lock);
	msi = p->msi;
	spin_unlock_irq(&vm->irqfds_lock);
	atomic64_inc(&vm->irqfd_msis);
	hwvirt_signal_msi(vm, &msi);
}

/*
 * Take p off the eventfd and the list and free it.  With vm->irqfds_lock
 * dropped; p is off vm->irqfds already.
 */
static void irqfd_free(struct hwvirt_irqfd_ent *p)
{
	u64 cnt;

	eventfd_ctx_remove_wait_queue(p->ctx, &p->wait, &cnt);
	flush_work(&p->inject);
	eventfd_ctx_put(p->ctx);
	kfree(p);
}

static void irqfd_shutdown(struct work_struct *work)
{
	struct hwvirt_irqfd_ent *p =
		container_of(work, struct hwvirt_irqfd_ent, shutdown);

	irqfd_free(p);
}

/* The eventfd's wake-up: its queue's lock held, interrupts off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct hwvirt_irqfd_ent *p =
		container_of(wait, struct hwvirt_irqfd_ent, wait);
	__poll_t flags = key_to_poll(key);
	struct hwvirt_vm *vm = p->vm;
	unsigned long irqflags;
	u64 cnt;

	if (flags & EPOLLIN) {
		eventfd_ctx_do_read(p->ctx, &cnt);
		atomic_inc(&p->pending);
		queue_work(irqfd_wq, &p->inject);
	}
	if (flags & EPOLLHUP) {
		/* The eventfd is closing: unless the VM let go of p already. */
		spin_lock_irqsave(&vm->irqfds_lock, irqflags);
		if (!list_empty(&p->link)) {
			list_del_init(&p->link);
			vm->nr_irqfds--;
			queue_work(irqfd_wq, &p->shutdown);
		}
		spin_unlock_irqrestore(&vm->irqfds_lock, irqflags);
	}
	return 0;
}

static void irqfd_ptable_queue_proc(struct file *file, wait_queue_head_t *wqh,
				    poll_table *pt)
{
	struct hwvirt_irqfd_ent *p = container_of(pt, struct hwvirt_irqfd_ent, pt);

	add_wait_queue(wqh, &p->wait);
}

/* The irqfd of ctx, under irqfds_lock. */
static struct hwvirt_irqfd_ent *irqfd_find(struct hwvirt_vm *vm,
					   struct eventfd_ctx *ctx)
{
	struct hwvirt_irqfd_ent *p;

	list_for_each_entry(p, &vm->irqfds, link)
		if (p->ctx == ctx)
			return p;
	return NULL;
}

static int irqfd_deassign(struct hwvirt_vm *vm, struct eventfd_ctx *ctx)
{
	struct hwvirt_irqfd_ent *p;

	spin_lock_irq(&vm->irqfds_lock);
	p = irqfd_find(vm, ctx);
	if (p) {
		list_del_init(&p->link);
		vm->nr_irqfds--;
	}
	spin_unlock_irq(&vm->irqfds_lock);
	if (!p)
		return -ENOENT;
	irqfd_free(p);
	return 0;
}

int hwvirt_irqfd(struct hwvirt_vm *vm, const struct hwvirt_irqfd *args)
{
	struct hwvirt_msi msi = {
		.address = args->msi_address,
		.data = args->msi_data,
	};
	struct hwvirt_irqfd_ent *p, *q;
	struct eventfd_ctx *ctx;
	struct hw_apic_irq irq;
	struct fd f;
	__poll_t events;
	int r = 0;

	if ((args->flags & ~HWVIRT_IRQFD_DEASSIGN) || args->pad ||
	    args->reserved[0] || args->reserved[1])
		return -EINVAL;
	if (!vm->lapic)
		return -ENXIO;
	if (!(args->flags & HWVIRT_IRQFD_DEASSIGN) &&
	    !hw_apic_msi_to_irq(msi.address, msi.data, &irq))
		return -EINVAL;

	f = fdget(args->fd);
	if (!f.file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(f.file);
	if (IS_ERR(ctx)) {
		r = PTR_ERR(ctx);
		goto out_fd;
	}

	mutex_lock(&vm->lock);
	if (args->flags & HWVIRT_IRQFD_DEASSIGN) {
		r = irqfd_deassign(vm, ctx);
		goto out;
	}
	/* Assigned already: the guest moved the interrupt. */
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p) {
		r = -ENOMEM;
		goto out;
	}
	spin_lock_irq(&vm->irqfds_lock);
	q = irqfd_find(vm, ctx);
	if (q)
		q->msi = msi;
	else if (vm->nr_irqfds >= HWVIRT_MAX_IRQFDS)
		r = -ENOSPC;
	spin_unlock_irq(&vm->irqfds_lock);
	if (q || r) {
		kfree(p);
		goto out;
	}
	p->vm = vm;
	p->ctx = ctx;
	p->msi = msi;
	INIT_LIST_HEAD(&p->link);
	INIT_WORK(&p->inject, irqfd_inject);
	INIT_WORK(&p->shutdown, irqfd_shutdown);
	init_waitqueue_func_entry(&p->wait, irqfd_wakeup);
	init_poll_funcptr(&p->pt, irqfd_ptable_queue_proc);

	spin_lock_irq(&vm->irqfds_lock);
	list_add_tail(&p->link, &vm->irqfds);
	vm->nr_irqfds++;
	spin_unlock_irq(&vm->irqfds_lock);

	/* On the wait queue; a signal that came before counts now. */
	events = vfs_poll(f.file, &p->pt);
	if (events & EPOLLIN) {
		u64 cnt;

		eventfd_ctx_do_read(ctx, &cnt);
		atomic_inc(&p->pending);
		queue_work(irqfd_wq, &p->inject);
	}
	ctx = NULL;			/* p holds it */
out:
	mutex_unlock(&vm->lock);
	if (ctx)
		eventfd_ctx_put(ctx);
out_fd:
	fdput(f);
	return r;
}

void hwvirt_eventfds_init(struct hwvirt_vm *vm)
{
	INIT_LIST_HEAD(&vm->ioeventfds);
	INIT_LIST_HEAD(&vm->irqfds);
	spin_lock_init(&vm->irqfds_lock);
}

/* The VM goes: its eventfds with it (nothing runs the VM any more). */
void hwvirt_eventfds_free(struct hwvirt_vm *vm)
{
	struct hwvirt_ioeventfd_ent *p, *n;
	struct hwvirt_irqfd_ent *q;

	list_for_each_entry_safe(p, n, &vm->ioeventfds, link) {
		list_del_rcu(&p->link);
		call_rcu(&p->rcu, ioeventfd_free_rcu);
	}
	for (;;) {
		spin_lock_irq(&vm->irqfds_lock);
		q = list_first_entry_or_null(&vm->irqfds,
					     struct hwvirt_irqfd_ent, link);
		if (q) {
			list_del_init(&q->link);
			vm->nr_irqfds--;
		}
		spin_unlock_irq(&vm->irqfds_lock);
		if (!q)
			break;
		irqfd_free(q);
	}
	/* irqfds the eventfd's close took off the list free themselves. */
	flush_workqueue(irqfd_wq);
}

int hwvirt_eventfd_setup(void)
{
	irqfd_wq = alloc_workqueue("hwvirt-irqfd", WQ_HIGHPRI, 0);
	return irqfd_wq ? 0 : -ENOMEM;
}

void hwvirt_eventfd_unsetup(void)
{
	rcu_barrier();			/* ioeventfd_free_rcu() is ours */
	destroy_workqueue(irqfd_wq);
}
