// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: task switches through a TSS, emulated.
 *
 * A far JMP or CALL to a TSS or task gate, an IRET with EFLAGS.NT set,
 * and an interrupt or exception through a task gate switch tasks in
 * 32-bit protected mode (Intel SDM vol. 3, "Task Management"; AMD APM
 * vol. 2, "Legacy Task Switching").  VMX always exits on them and SVM
 * intercepts them (TASK_SWITCH), so the module does the switch itself,
 * in the SDM's order:
 *
 *   1. the new TSS's descriptor: a TSS, present, its limit, busy or not
 *      as the cause wants (the CPU resolved a task gate already);
 *   2. the new TSS read whole before anything changes, so that a fault
 *      on it leaves the old task as it was;
 *   3. the old task's registers saved in the old TSS (IRET: NT clear);
 *   4. busy bits (JMP, IRET: the old one's cleared; all but IRET: the
 *      new one's set), the back link and NT (CALL and gates);
 *   5. TR and CR0.TS;
 *   6. the new task's CR3, EIP, EFLAGS, registers and selectors, then
 *      its LDT and segment descriptors, checked as a task switch checks
 *      them (#TS, #NP, #SS): from here on faults belong to the new task
 *      (before, they are the instruction's: RIP stays on it);
 *   7. an exception's error code pushed on the new task's stack.
 *
 * Left out, as in KVM: the TSS's T bit (a #DB after the switch) and the
 * clearing of DR7's local breakpoint enables.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>

#include "hwvirt_int.h"
#include "walk.h"
#include "x86.h"

#define HV_RFLAGS_NT		(1ULL << 14)

/* Descriptor fields (the high dword's, shifted from the whole 8 bytes). */
#define DESC_TYPE_SHIFT		40
#define DESC_TYPE_BUSY		(1ULL << 41)	/* TSS: busy */
#define DESC_S			(1ULL << 44)
#define DESC_P			(1ULL << 47)

/* TSS descriptor types (S = 0): bit 3 for 32-bit, bit 1 for busy. */
#define TSS_TYPE_32		0x8
#define TSS_TYPE_BUSY		0x2
#define TSS_TYPE_MASK		0x5		/* 1, 3, 9, 0xb: a TSS */
#define LDT_TYPE		0x2

/* Code/data segment types (S = 1). */
#define SEG_TYPE_ACCESSED	0x1
#define SEG_TYPE_RW		0x2		/* data: writable; code: readable */
#define SEG_TYPE_CONFORMING	0x4		/* code */
#define SEG_TYPE_CODE		0x8

/* The 32-bit TSS (104 bytes) and the 16-bit one (44 bytes). */
struct tss32 {
	u32 link, esp0, ss0, esp1, ss1, esp2, ss2;
	u32 cr3, eip, eflags;
	u32 gpr[8];			/* EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI */
	u32 seg[6];			/* ES, CS, SS, DS, FS, GS (low 16 bits) */
	u32 ldt;
	u16 trap, iomap;
} __packed;

struct tss16 {
	u16 link, sp0, ss0, sp1, ss1, sp2, ss2;
	u16 ip, flags;
	u16 gpr[8];
	u16 seg[4];			/* ES, CS, SS, DS */
	u16 ldt;
} __packed;

/* What is saved in a TSS when a task is left: EIP to the selectors. */
#define TSS32_STATE_START	offsetof(struct tss32, eip)
#define TSS32_STATE_END		offsetof(struct tss32, ldt)
#define TSS16_STATE_START	offsetof(struct tss16, ip)
#define TSS16_STATE_END		offsetof(struct tss16, ldt)

/* The new task's state, whatever its TSS's size. */
struct task_state {
	bool tss32;
	u32 cr3, eip, eflags;
	u32 gpr[8];
	u16 sel[HW_NR_SEGS];		/* FS, GS: 0 from a 16-bit TSS */
	u16 ldt;
};

/*
 * Read or write guest memory at a linear address, as the CPU's own
 * supervisor access (SMAP applies whatever EFLAGS.AC says).  0; 1 with
 * a #PF queued; -EFAULT if the memory is not RAM or unreachable.
 */
static int task_access(struct hwvirt_vcpu *vcpu, u32 lin, void *buf,
		       unsigned int len, bool write)
{
	u32 access = HW_WALK_IMPLICIT | (write ? HV_PF_WRITE : 0);
	u8 *p = buf;

	while (len) {
		unsigned int chunk = min_t(unsigned int, len,
					   PAGE_SIZE - offset_in_page(lin));
		u64 gpa;
		u32 err;
		int r;

		r = hwvirt_gva_to_gpa(vcpu, lin, access, &gpa, &err);
		if (r < 0)
			return r;
		if (r) {
			hwvirt_queue_pf(vcpu, lin, err);
			return 1;
		}
		if (write)
			r = hwvirt_guest_write_gpa(vcpu, gpa, p, chunk);
		else
			r = hwvirt_read_gpa(vcpu->vm, gpa, p, chunk);
		if (r)
			return -EFAULT;
		lin += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

static int task_fault(struct hwvirt_vcpu *vcpu, u8 vector, u16 sel)
{
	hwvirt_queue_exception(vcpu, vector, true, sel & 0xfffc);
	return 1;
}

/*
 * The descriptor sel names, in the GDT or (TI set, unless gdt_only) the
 * LDT; *addr is where it is.  A selector beyond the table's limit is a
 * fault with vector.
 */
static int read_desc(struct hwvirt_vcpu *vcpu, const struct hwvirt_sregs *sr,
		     u16 sel, bool gdt_only, u8 vector, u64 *desc, u32 *addr)
{
	u64 base = sr->gdt.base;
	u32 limit = sr->gdt.limit;

	if (sel & 4) {
		if (gdt_only || sr->ldt.unusable)
			return task_fault(vcpu, vector, sel);
		base = sr->ldt.base;
		limit = sr->ldt.limit;
	}
	if ((sel | 7) > limit)
		return task_fault(vcpu, vector, sel);
	*addr = base + (sel & ~7);
	return task_access(vcpu, *addr, desc, sizeof(*desc), false);
}

static void desc_to_seg(u64 d, u16 sel, struct hwvirt_segment *s)
{
	u32 limit = (d & 0xffff) | ((d >> 32) & 0xf0000);

	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000);
	s->type = (d >> DESC_TYPE_SHIFT) & 0xf;
	s->s = !!(d & DESC_S);
	s->dpl = (d >> 45) & 3;
	s->present = !!(d & DESC_P);
	s->avl = (d >> 52) & 1;
	s->l = (d >> 53) & 1;
	s->db = (d >> 54) & 1;
	s->g = (d >> 55) & 1;
	s->limit = s->g ? (limit << 12) | 0xfff : limit;
	s->unusable = !s->present;
}

/* Set or clear a TSS descriptor's busy bit, in the GDT. */
static int set_busy(struct hwvirt_vcpu *vcpu, const struct hwvirt_sregs *sr,
		    u16 sel, bool busy)
{
	u32 addr;
	u64 d;
	int r;

	r = read_desc(vcpu, sr, sel, true, HV_VEC_GP, &d, &addr);
	if (r)
		return r;
	d = busy ? d | DESC_TYPE_BUSY : d & ~DESC_TYPE_BUSY;
	return task_access(vcpu, addr + 5, (u8 *)&d + 5, 1, true);
}

/*
 * Load segment register seg (HW_ES..HW_GS, or HW_SEG_LDTR) of the new
 * task with sel, checking the descriptor as a task switch does: a bad
 * one is #TS(sel); a descriptor not present #NP(sel), #SS(sel) for SS.
 */
static int load_seg(struct hwvirt_vcpu *vcpu, const struct hwvirt_sregs *sr,
		    int seg, u16 sel, int cpl, bool vm86)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	struct hwvirt_segment s;
	u8 type, rpl = sel & 3;
	u32 addr;
	u64 d;
	int r;

	if (vm86 && seg != HW_SEG_LDTR) {
		memset(&s, 0, sizeof(s));
		s.selector = sel;
		s.base = (u32)sel << 4;
		s.limit = 0xffff;
		s.type = SEG_TYPE_RW | SEG_TYPE_ACCESSED | (seg == HW_CS ?
							    SEG_TYPE_CODE : 0);
		s.s = 1;
		s.dpl = 3;
		s.present = 1;
		b->set_segment(vcpu, seg, &s);
		return 0;
	}
	if (!(sel & ~3)) {
		/* Null: unusable for data and the LDT, an error for CS, SS. */
		if (seg == HW_CS || seg == HW_SS)
			return task_fault(vcpu, HV_VEC_TS, 0);
		b->get_segment(vcpu, seg, &s);
		s.selector = sel;
		s.present = 0;
		s.unusable = 1;
		b->set_segment(vcpu, seg, &s);
		return 0;
	}
	r = read_desc(vcpu, sr, sel, seg == HW_SEG_LDTR, HV_VEC_TS, &d, &addr);
	if (r)
		return r;
	type = (d >> DESC_TYPE_SHIFT) & 0xf;
	desc_to_seg(d, sel, &s);
	switch (seg) {
	case HW_SEG_LDTR:
		if (s.s || type != LDT_TYPE)
			return task_fault(vcpu, HV_VEC_TS, sel);
		break;
	case HW_CS:
		/* CPL is CS.RPL: a non-conforming CS at CPL, a conforming one at or below. */
		if (!s.s || !(type & SEG_TYPE_CODE) ||
		    ((type & SEG_TYPE_CONFORMING) ? s.dpl > cpl : s.dpl != cpl))
			return task_fault(vcpu, HV_VEC_TS, sel);
		break;
	case HW_SS:
		if (!s.s || (type & (SEG_TYPE_CODE | SEG_TYPE_RW)) != SEG_TYPE_RW ||
		    rpl != cpl || s.dpl != cpl)
			return task_fault(vcpu, HV_VEC_TS, sel);
		break;
	default:
		/* Data, or readable code; DPL >= RPL, CPL unless conforming. */
		if (!s.s ||
		    (type & (SEG_TYPE_CODE | SEG_TYPE_RW)) == SEG_TYPE_CODE ||
		    ((type & (SEG_TYPE_CODE | SEG_TYPE_CONFORMING)) !=
		     (SEG_TYPE_CODE | SEG_TYPE_CONFORMING) &&
		     (rpl > s.dpl || cpl > s.dpl)))
			return task_fault(vcpu, HV_VEC_TS, sel);
		break;
	}
	if (!s.present)
		return task_fault(vcpu, seg == HW_SS ? HV_VEC_SS : HV_VEC_NP,
				  sel);
	/* The CPU marks a code or data segment accessed as it loads it. */
	if (s.s && !(type & SEG_TYPE_ACCESSED)) {
		u8 byte = (d >> 40) | SEG_TYPE_ACCESSED;

		r = task_access(vcpu, addr + 5, &byte, 1, true);
		if (r)
			return r;
		s.type |= SEG_TYPE_ACCESSED;
	}
	b->set_segment(vcpu, seg, &s);
	return 0;
}

static void tss_to_state(const void *buf, bool tss32, struct task_state *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->tss32 = tss32;
	if (tss32) {
		const struct tss32 *n = buf;

		t->cr3 = n->cr3;
		t->eip = n->eip;
		t->eflags = n->eflags;
		for (i = 0; i < 8; i++)
			t->gpr[i] = n->gpr[i];
		for (i = 0; i < HW_NR_SEGS; i++)
			t->sel[i] = n->seg[i];
		t->ldt = n->ldt;
	} else {
		const struct tss16 *n = buf;

		t->eip = n->ip;
		t->eflags = n->flags;
		for (i = 0; i < 8; i++)
			t->gpr[i] = n->gpr[i];
		for (i = 0; i < 4; i++)
			t->sel[i] = n->seg[i];
		t->ldt = n->ldt;
	}
}

/* Step 3: the leaving task's registers, into its TSS (TR). */
static int save_old_task(struct hwvirt_vcpu *vcpu,
			 const struct hwvirt_sregs *sr, u32 eip, u32 eflags)
{
	const struct hwvirt_segment *segs[HW_NR_SEGS] = {
		[HW_ES] = &sr->es, [HW_CS] = &sr->cs, [HW_SS] = &sr->ss,
		[HW_DS] = &sr->ds, [HW_FS] = &sr->fs, [HW_GS] = &sr->gs,
	};
	union {
		struct tss32 t32;
		struct tss16 t16;
	} old;
	unsigned int start, end;
	int i, r;

	if (sr->tr.type & TSS_TYPE_32) {
		start = TSS32_STATE_START;
		end = TSS32_STATE_END;
	} else {
		start = TSS16_STATE_START;
		end = TSS16_STATE_END;
	}
	/* Read first: the selectors' upper halves are kept as they are. */
	r = task_access(vcpu, sr->tr.base + start, (u8 *)&old + start,
			end - start, false);
	if (r)
		return r;
	if (sr->tr.type & TSS_TYPE_32) {
		old.t32.eip = eip;
		old.t32.eflags = eflags;
		for (i = 0; i < 8; i++)
			old.t32.gpr[i] = vcpu->regs[i];
		for (i = 0; i < HW_NR_SEGS; i++)
			old.t32.seg[i] = (old.t32.seg[i] & 0xffff0000) |
					 segs[i]->selector;
	} else {
		old.t16.ip = eip;
		old.t16.flags = eflags;
		for (i = 0; i < 8; i++)
			old.t16.gpr[i] = vcpu->regs[i];
		for (i = 0; i < 4; i++)
			old.t16.seg[i] = segs[i]->selector;
	}
	return task_access(vcpu, sr->tr.base + start, (u8 *)&old + start,
			   end - start, true);
}

/* Step 6: the new task's registers and segments, in the new task. */
static int load_new_task(struct hwvirt_vcpu *vcpu,
			 const struct hwvirt_sregs *sr,
			 const struct task_state *t)
{
	static const int order[] = { HW_ES, HW_CS, HW_SS, HW_DS, HW_FS, HW_GS };
	const struct hwvirt_backend *b = hwvirt_backend;
	struct hwvirt_sregs now;
	struct hwvirt_segment s;
	bool vm86;
	int cpl, i, r;

	if (t->tss32 && (sr->cr0 & HV_CR0_PG) && hwvirt_set_cr3(vcpu, t->cr3))
		return task_fault(vcpu, HV_VEC_GP, 0);
	vcpu->rip = t->eip;
	vcpu->rflags = t->eflags | HV_RFLAGS_FIXED;
	for (i = 0; i < 8; i++)
		vcpu->regs[i] = t->gpr[i];
	vcpu->interrupt_shadow = false;
	vm86 = t->tss32 && (t->eflags & HV_RFLAGS_VM);
	cpl = vm86 ? 3 : t->sel[HW_CS] & 3;

	/* The selectors first, so that a fault below shows them all. */
	for (i = 0; i < HW_NR_SEGS; i++) {
		b->get_segment(vcpu, i, &s);
		s.selector = t->sel[i];
		b->set_segment(vcpu, i, &s);
	}
	b->get_segment(vcpu, HW_SEG_LDTR, &s);
	s.selector = t->ldt;
	b->set_segment(vcpu, HW_SEG_LDTR, &s);

	/* The LDT first: the other selectors may be in it. */
	r = load_seg(vcpu, sr, HW_SEG_LDTR, t->ldt, cpl, false);
	if (r)
		return r;
	b->get_sregs(vcpu, &now);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		r = load_seg(vcpu, &now, order[i], t->sel[order[i]], cpl, vm86);
		if (r)
			return r;
	}
	return 0;
}

/* Step 7: the error code, pushed on the new task's stack. */
static int push_error(struct hwvirt_vcpu *vcpu, bool tss32, u32 error_code)
{
	unsigned int size = tss32 ? 4 : 2;
	struct hwvirt_segment ss;
	u32 mask, sp;
	int r;

	hwvirt_backend->get_segment(vcpu, HW_SS, &ss);
	mask = ss.db ? 0xffffffff : 0xffff;
	sp = (vcpu->regs[HW_RSP] - size) & mask;
	r = task_access(vcpu, ss.base + sp, &error_code, size, true);
	if (r)
		return r;
	vcpu->regs[HW_RSP] = (vcpu->regs[HW_RSP] & ~(u64)mask) | sp;
	return 0;
}

int hwvirt_task_switch(struct hwvirt_vcpu *vcpu, u16 sel,
		       enum hwvirt_task_reason reason, int int_vector,
		       bool has_error, u32 error_code, u64 next_rip)
{
	const struct hwvirt_backend *b = hwvirt_backend;
	bool nested = reason == HWVIRT_TASK_CALL || reason == HWVIRT_TASK_GATE;
	/* An instruction's own error is #GP; the rest is the TSS's: #TS. */
	u8 bad = (reason == HWVIRT_TASK_JMP || reason == HWVIRT_TASK_CALL) ?
		 HV_VEC_GP : HV_VEC_TS;
	union {
		struct tss32 t32;
		struct tss16 t16;
	} buf;
	struct hwvirt_segment tr;
	struct hwvirt_sregs sr;
	struct task_state t;
	u32 addr, eflags, size;
	bool tss32;
	u8 type;
	u64 d;
	int r;

	vcpu->stat[HWVIRT_STAT_TASK_SWITCHES]++;
	b->get_sregs(vcpu, &sr);
	/* Only protected mode outside long mode has task switches. */
	if (!(sr.cr0 & HV_CR0_PE) || (sr.efer & HV_EFER_LMA))
		return -EINVAL;

	/* Step 1: the new TSS's descriptor. */
	r = read_desc(vcpu, &sr, sel, true, bad, &d, &addr);
	if (r)
		goto out;
	type = (d >> DESC_TYPE_SHIFT) & 0xf;
	if ((d & DESC_S) || (type & TSS_TYPE_MASK) != 1) {
		r = task_fault(vcpu, bad, sel);
		goto out;
	}
	/* INT n through a task gate: the gate's DPL, as for any INT n. */
	if (int_vector >= 0 && int_vector * 8 + 7 <= sr.idt.limit) {
		u64 gate;
		int dpl;

		r = task_access(vcpu, sr.idt.base + int_vector * 8, &gate,
				sizeof(gate), false);
		if (r)
			goto out;
		dpl = (gate >> 45) & 3;
		if (b->get_cpl(vcpu) > dpl) {
			hwvirt_queue_exception(vcpu, HV_VEC_GP, true,
					       int_vector * 8 + 2);
			r = 1;
			goto out;
		}
	}
	if (!(d & DESC_P)) {
		r = task_fault(vcpu, HV_VEC_NP, sel);
		goto out;
	}
	tss32 = type & TSS_TYPE_32;
	size = tss32 ? sizeof(struct tss32) : sizeof(struct tss16);
	desc_to_seg(d, sel, &tr);
	if (tr.limit < size - 1) {
		r = task_fault(vcpu, HV_VEC_TS, sel);
		goto out;
	}
	/* IRET returns to a busy task; the others go to an available one. */
	if (!!(type & TSS_TYPE_BUSY) != (reason == HWVIRT_TASK_IRET)) {
		r = task_fault(vcpu, reason == HWVIRT_TASK_IRET ? HV_VEC_TS :
				     HV_VEC_GP, sel);
		goto out;
	}

	/* Step 2: the new TSS, whole, before anything changes. */
	r = task_access(vcpu, tr.base, &buf, size, false);
	if (r)
		goto out;
	tss_to_state(&buf, tss32, &t);

	/* Step 3: the old task's state. */
	eflags = vcpu->rflags;
	if (reason == HWVIRT_TASK_IRET)
		eflags &= ~HV_RFLAGS_NT;
	r = save_old_task(vcpu, &sr, next_rip, eflags);
	if (r)
		goto out;

	/* Step 4: busy bits, the back link, NT. */
	if (reason == HWVIRT_TASK_JMP || reason == HWVIRT_TASK_IRET) {
		r = set_busy(vcpu, &sr, sr.tr.selector, false);
		if (r)
			goto out;
	}
	if (reason != HWVIRT_TASK_IRET) {
		r = set_busy(vcpu, &sr, sel, true);
		if (r)
			goto out;
	}
	if (nested) {
		u16 link = sr.tr.selector;

		r = task_access(vcpu, tr.base, &link, sizeof(link), true);
		if (r)
			goto out;
		t.eflags |= HV_RFLAGS_NT;
	}

	/* Step 5: TR, busy, and CR0.TS. */
	tr.type |= TSS_TYPE_BUSY;
	b->set_segment(vcpu, HW_SEG_TR, &tr);
	if (!(sr.cr0 & HV_CR0_TS))
		b->set_cr0(vcpu, sr.cr0 | HV_CR0_TS);

	/* Steps 6 and 7, in the new task. */
	r = load_new_task(vcpu, &sr, &t);
	if (!r && has_error)
		r = push_error(vcpu, tss32, error_code);
out:
	/* 1: an exception is queued, which the guest takes at entry. */
	return r < 0 ? r : 0;
}
