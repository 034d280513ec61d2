// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A libFuzzer target for the module's instruction decoder and emulator
 * (linux-module/emulate.c), built in userspace.
 *
 * Each input is a CPU mode, RFLAGS, sixteen registers, an instruction and
 * the contents of a page of memory.  The instruction is decoded and, when
 * the emulator takes it, emulated the way x86.c does: the memory operand
 * at the address the CPU would have faulted on, the page either RAM or
 * MMIO (every MMIO read an exit whose answer restarts the instruction).
 *
 * In 64-bit and 32-bit mode (a compatibility-mode code segment), when
 * every address the instruction touches lies in the page, the same
 * instruction then runs on this machine's CPU, single-
 * stepped: its registers are loaded by returning from a signal handler
 * with TF set, and the #DB after it (SIGTRAP) collects them.  The CPU's
 * registers (XMM too), RIP (so the decoder's length), the flags the
 * architecture defines and the page must equal the emulator's.  The instruction sits at
 * the end of an executable page followed by an inaccessible one, so a
 * decoder that stops short makes the CPU fetch from the guard page.
 *
 * Any difference, and any sanitizer report, is a crash libFuzzer keeps.
 * 16-bit mode is emulated only (no comparison).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "emulate.h"

#define PAGE		4096
#define RFLAGS_TF	(1ULL << 8)
#define RFLAGS_FIXED	(1ULL << 1)	/* bit 1 reads as 1 */
#define MAX_MMIO_READS	4		/* HWVIRT_EMUL_MAX_MMIO_READS */
#define MAX_PASSES	8
/* Linux's flat user code segments: 64-bit, and 32-bit (compatibility). */
#define USER_CS		0x33
#define USER32_CS	0x23
#define USER_DS		0x2b

/* The input, as libFuzzer mutates it (shorter inputs are zero-padded). */
struct fuzz_input {
	u8 mode;		/* % 3: enum hw_cpu_mode */
	u8 ctl;			/* CTL_* */
	u16 mem_off;		/* where in the page the memory operand is */
	u16 rflags;		/* arithmetic flags and DF */
	u8 pad[2];
	u64 regs[HW_NR_GPRS];
	u8 insn[HW_MAX_INSN_LEN];
	u8 mem[64];		/* repeated over the page */
	u8 xmm[64];		/* XMMn byte j: xmm[(16n + j) % 64] ^ n */
} __attribute__((packed));

#define CTL_MMIO	(1 << 0)	/* the page is MMIO, not RAM */

/* The emulator's memory: one page at data_gpa (== the host's address). */
static u8 *host_page;			/* the host CPU's copy, MAP_32BIT */
static u8 emu_page[PAGE];		/* the emulator's copy */
static u64 data_gpa;
static u8 *code_page;			/* RWX page, then a PROT_NONE one */

/* The userspace side of MMIO, as x86.c keeps it per vCPU. */
static u64 answers[MAX_MMIO_READS];
static unsigned int nr_answers, reads;
static bool mmio;

static bool in_page(u64 gpa, unsigned int size)
{
	return gpa >= data_gpa && gpa + size <= data_gpa + PAGE &&
	       gpa + size > gpa;
}

/*
 * The accesses of the memory operand have the size hw_mem_access_size()
 * says (x86.c checks page crossing with it).
 */
static void check_size(struct hw_emul *e, u64 gpa, unsigned int size)
{
	unsigned int want = hw_mem_access_size(e->insn);

	if (want && gpa == e->mem_gpa && size != want) {
		fprintf(stderr, "emulate-fuzz: op %d accessed its memory operand "
			"with %u bytes, hw_mem_access_size() says %u\n",
			e->insn->op, size, want);
		abort();
	}
}

static int f_read(struct hw_emul *e, u64 gpa, unsigned int size, void *val)
{
	unsigned int off, n;

	check_size(e, gpa, size);
	memset(val, 0, size);
	if (!in_page(gpa, size))
		return -EFAULT;
	if (!mmio) {
		memcpy(val, emu_page + (gpa - data_gpa), size);
		return 0;
	}
	/* MMIO: 8 bytes an exit, as x86.c does. */
	for (off = 0; off < size; off += n) {
		n = size - off < 8 ? size - off : 8;
		if (reads < nr_answers) {
			memcpy((u8 *)val + off, &answers[reads++], n);
			continue;
		}
		if (nr_answers == MAX_MMIO_READS)
			return -EOPNOTSUPP;
		/* Exit to "userspace", which answers from the page. */
		answers[nr_answers] = 0;
		memcpy(&answers[nr_answers++], emu_page + (gpa + off - data_gpa),
		       n);
		return 1;
	}
	return 0;
}

static int f_write(struct hw_emul *e, u64 gpa, unsigned int size,
		   const void *val)
{
	check_size(e, gpa, size);
	if (!in_page(gpa, size))
		return -EFAULT;
	memcpy(emu_page + (gpa - data_gpa), val, size);
	return mmio ? 1 : 0;
}

static int f_rmw_write(struct hw_emul *e, u64 gpa, unsigned int size,
		       u64 old, u64 new)
{
	u64 cur = 0;

	if (!in_page(gpa, size))
		return -EFAULT;
	if (!mmio) {
		/* RAM: a compare-and-exchange with what was read. */
		memcpy(&cur, emu_page + (gpa - data_gpa), size);
		if (cur != old)
			return -EAGAIN;
	}
	return f_write(e, gpa, size, &new);
}

static int f_translate(struct hw_emul *e, int seg, u64 offset, bool write,
		       u64 *gpa)
{
	/* Flat segments; the fuzzer's "paging" is the identity. */
	*gpa = offset;
	return 0;
}

static u8 emu_xmm[16][16];
static int emu_exception;		/* the vector it raised, or -1 */

static void f_exception(struct hw_emul *e, int vector, u32 error)
{
	emu_exception = vector;
}

static void f_get_xmm(struct hw_emul *e, unsigned int n, void *val)
{
	memcpy(val, emu_xmm[n], 16);
}

static void f_set_xmm(struct hw_emul *e, unsigned int n, const void *val)
{
	memcpy(emu_xmm[n], val, 16);
}

static const struct hw_emul_ops fuzz_ops = {
	.read = f_read,
	.write = f_write,
	.rmw_write = f_rmw_write,
	.translate = f_translate,
	.exception = f_exception,
	.get_xmm = f_get_xmm,
	.set_xmm = f_set_xmm,
};

/* ------------------------------------------------------------------------
 * Running one instruction on this CPU
 */

static sigjmp_buf host_jmp;
static volatile sig_atomic_t host_running;
static u64 host_regs[HW_NR_GPRS], host_rip, host_rflags;
static u16 host_cs;			/* 64-bit or compatibility mode */
static u8 host_xmm[16][16];
static u64 host_fault_addr;
static struct sigaction old_segv, old_bus;

static const int greg_of[HW_NR_GPRS] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
	REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
};

/* SIGUSR1: enter the instruction with every register as given. */
static void enter_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	int i;

	for (i = 0; i < HW_NR_GPRS; i++)
		uc->uc_mcontext.gregs[greg_of[i]] = host_regs[i];
	uc->uc_mcontext.gregs[REG_RIP] = host_rip;
	uc->uc_mcontext.gregs[REG_EFL] = host_rflags | RFLAGS_TF;
	uc->uc_mcontext.gregs[REG_CSGSFS] =
		(uc->uc_mcontext.gregs[REG_CSGSFS] & ~0xffffLL) | host_cs;
	memcpy(uc->uc_mcontext.fpregs->_xmm, host_xmm, sizeof(host_xmm));
}

/* SIGTRAP: the single-step trap after it; collect the registers. */
static void trap_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	int i;

	if (!host_running)
		abort();
	for (i = 0; i < HW_NR_GPRS; i++)
		host_regs[i] = uc->uc_mcontext.gregs[greg_of[i]];
	host_rip = uc->uc_mcontext.gregs[REG_RIP];
	host_rflags = uc->uc_mcontext.gregs[REG_EFL] & ~RFLAGS_TF;
	memcpy(host_xmm, uc->uc_mcontext.fpregs->_xmm, sizeof(host_xmm));
	siglongjmp(host_jmp, 1);
}

/* SIGSEGV/SIGBUS: the instruction faulted (or something else did). */
static void fault_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	if (!host_running) {
		/* Not ours: let the previous handler (the sanitizer's) see it. */
		sigaction(SIGSEGV, &old_segv, NULL);
		sigaction(SIGBUS, &old_bus, NULL);
		return;
	}
	host_fault_addr = (u64)si->si_addr;
	host_rip = uc->uc_mcontext.gregs[REG_RIP];
	siglongjmp(host_jmp, 2);
}

static void setup(void)
{
	static char altstack[1 << 16];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_flags = SA_SIGINFO | SA_ONSTACK };

	host_page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	code_page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (host_page == MAP_FAILED || code_page == MAP_FAILED ||
	    mprotect(code_page + PAGE, PAGE, PROT_NONE) ||
	    sigaltstack(&ss, NULL)) {
		perror("emulate-fuzz: mmap/sigaltstack");
		exit(1);
	}
	data_gpa = (u64)host_page;
	/*
	 * DS and ES are null in a 64-bit process, which 64-bit mode ignores;
	 * compatibility mode needs them flat (the kernel keeps them).
	 */
	asm volatile("mov %0, %%ds; mov %0, %%es" : : "r"(USER_DS));
	sigemptyset(&sa.sa_mask);
	sa.sa_sigaction = enter_handler;
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_sigaction = trap_handler;
	sigaction(SIGTRAP, &sa, NULL);
	sa.sa_sigaction = fault_handler;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

/*
 * Run the instruction at rip on this CPU with regs and rflags: 1 when it
 * stepped (regs, *rip, *rflags are the results), 2 when it faulted.
 */
static int run_on_host(u64 *regs, u64 *rip, u64 *rflags, bool compat)
{
	int r;

	host_cs = compat ? USER32_CS : USER_CS;
	memcpy(host_regs, regs, sizeof(host_regs));
	host_rip = *rip;
	host_rflags = *rflags;
	r = sigsetjmp(host_jmp, 1);
	if (!r) {
		host_running = 1;
		syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1);
		abort();	/* the handler never returns here */
	}
	host_running = 0;
	/* The trap handler ran on the alternate stack; DF is ours again. */
	memcpy(regs, host_regs, sizeof(host_regs));
	*rip = host_rip;
	*rflags = host_rflags;
	return r;
}

/* ------------------------------------------------------------------------
 * One input
 */

static u64 stats_inputs, stats_decoded, stats_emulated, stats_compared;
static u64 stats_compared32;		/* of them, in compatibility mode */
static bool host_compat_ok;		/* see probe_compat() */
static u64 stats_op[HW_OP_VEC_STORE + 1];	/* compared, by hw_insn.op */

/* The flags insn leaves undefined (not compared). */
static u64 undefined_flags(const struct hw_insn *insn, const u64 *regs)
{
	switch (insn->op) {
	case HW_OP_ALU:
		if (insn->alu == HW_ALU_AND || insn->alu == HW_ALU_OR ||
		    insn->alu == HW_ALU_XOR)
			return HW_FLAG_AF;
		return 0;
	case HW_OP_TEST:
		return HW_FLAG_AF;
	case HW_OP_BITOP:
		return HW_FLAGS_ARITH & ~HW_FLAG_CF;
	case HW_OP_SHIFT:
		return hw_shift_undefined(insn->shift, insn->opsize,
					  insn->count_in_cl ? regs[HW_RCX] & 0xff :
					  insn->has_imm ? insn->imm & 0xff : 1);
	default:
		return 0;
	}
}

/* Bytes of memory the operand covers. */
static unsigned int operand_bytes(const struct hw_insn *insn)
{
	if (insn->op == HW_OP_MOVZX || insn->op == HW_OP_MOVSX)
		return insn->src_size;
	return insn->opsize;
}

static bool is_string(const struct hw_insn *insn)
{
	return insn->op == HW_OP_STOS || insn->op == HW_OP_MOVS ||
	       insn->op == HW_OP_LODS || insn->op == HW_OP_CMPS ||
	       insn->op == HW_OP_SCAS;
}

/*
 * Point the instruction's addresses into the page: the memory operand at
 * mem_off (by moving its base or index register), rSI/rDI for string
 * operands, rSP for the stack.  Returns the operand's address, or 0 when
 * the instruction cannot be placed there (it is emulated only).
 */
static u64 place(const struct hw_insn *insn, u64 *regs, unsigned int mem_off)
{
	u64 mask = hw_addr_mask(insn->addrsize), ea, target, delta;
	unsigned int size = operand_bytes(insn);
	s64 step = 0;

	/*
	 * FS and GS are this process's own (its TLS, or null selectors in
	 * compatibility mode); CS is not writable: the fuzzer's segments
	 * are flat.
	 */
	if (insn->mem_seg == HW_FS || insn->mem_seg == HW_GS ||
	    insn->mem_seg == HW_CS)
		return 0;
	/* The stack, in the upper half: PUSH and POP use it. */
	regs[HW_RSP] = data_gpa + PAGE / 2 + (regs[HW_RSP] & 0x3f8);
	if (is_string(insn)) {
		u64 hi = insn->addrsize == 4 ? regs[HW_RSI] & ~mask : 0;

		regs[HW_RSI] = hi | (data_gpa + 16 + (regs[HW_RSI] & 0x7ff));
		hi = insn->addrsize == 4 ? regs[HW_RDI] & ~mask : 0;
		regs[HW_RDI] = hi | (data_gpa + 16 + (regs[HW_RDI] & 0x7ff));
		regs[HW_RCX] = (regs[HW_RCX] & ~mask) | (regs[HW_RCX] & 7);
		return data_gpa;
	}
	if (insn->rip_relative)
		return 0;
	target = data_gpa + 16 + mem_off % (PAGE - 48);
	ea = hw_effective_address(insn, regs, 0);
	if (insn->op == HW_OP_POP && insn->base == HW_RSP)
		step = insn->opsize;
	delta = target - (ea + step);
	if (insn->base >= 0 && insn->base != insn->index)
		regs[insn->base] += delta;
	else if (insn->index >= 0 && insn->base < 0 && insn->scale == 1)
		regs[insn->index] += delta;
	else
		return 0;
	ea = (hw_effective_address(insn, regs, 0) + step) & mask;
	/*
	 * The host enters the instruction by a signal return: some hosts (a
	 * PVM guest kernel) cannot return to user mode with a non-canonical
	 * RSP, which an RSP-based operand with a large displacement asks for.
	 */
	if ((s64)regs[HW_RSP] != (s64)(regs[HW_RSP] << 16) >> 16)
		return 0;
	if (insn->op == HW_OP_BITOP && !insn->has_imm)
		ea += hw_bitop_displacement(hw_reg_read(regs, insn->reg_operand,
							insn->opsize, false),
					    insn->opsize);
	if (!in_page(ea, size))
		return 0;
	if ((insn->op == HW_OP_PUSH || insn->op == HW_OP_POP) &&
	    !in_page(regs[HW_RSP] - 8, 16))
		return 0;
	return ea;
}

/* Emulate as x86.c does; the return value of the last hw_emulate(). */
static void dump(const char *what, const struct fuzz_input *in,
		 const struct hw_insn *insn);

static int emulate_as_module(struct hw_emul *e, u64 *regs,
			     const struct fuzz_input *in)
{
	u64 saved[HW_NR_GPRS], rip = e->rip, rflags = e->rflags;
	unsigned int before;
	int r, pass;

	nr_answers = 0;
	for (pass = 0; pass < MAX_PASSES; pass++) {
		memcpy(saved, regs, sizeof(saved));
		reads = 0;
		before = nr_answers;
		r = hw_emulate(e);
		if (r != 1 || nr_answers == before)
			return r;
		/* An exit for a read: nothing may have changed yet. */
		if (memcmp(saved, regs, sizeof(saved)) || e->rip != rip ||
		    e->rflags != rflags) {
			dump("state changed before a read exit", in, e->insn);
			abort();
		}
	}
	dump("emulation never completes", in, e->insn);
	abort();
}

static void dump(const char *what, const struct fuzz_input *in,
		 const struct hw_insn *insn)
{
	int i;

	fprintf(stderr, "emulate-fuzz: %s: mode %d op %d opsize %d addrsize %d insn",
		what, insn->mode, insn->op, insn->opsize, insn->addrsize);
	for (i = 0; i < insn->len; i++)
		fprintf(stderr, " %02x", in->insn[i]);
	fprintf(stderr, "\n");
}

static void one(const struct fuzz_input *in)
{
	struct hw_insn insn;
	enum hw_cpu_mode mode = in->mode % 3;
	u64 regs[HW_NR_GPRS], hregs[HW_NR_GPRS], in_regs[HW_NR_GPRS];
	u64 start_rip, hrip, hflags;
	u64 rflags = (in->rflags & (HW_FLAGS_ARITH | HW_FLAG_DF)) |
		     RFLAGS_FIXED;
	struct hw_emul e = { .ops = &fuzz_ops, .insn = &insn };
	u64 ea, undef;
	int r, h, i;

	stats_inputs++;
	if (hw_decode(&insn, in->insn, sizeof(in->insn), mode))
		return;
	stats_decoded++;
	if (insn.len < 1 || insn.len > HW_MAX_INSN_LEN ||
	    (insn.has_mem && (insn.base >= HW_NR_GPRS ||
			      insn.index >= HW_NR_GPRS))) {
		dump("decoder nonsense", in, &insn);
		abort();
	}
	memcpy(regs, in->regs, sizeof(regs));
	for (i = 0; i < PAGE; i++)
		emu_page[i] = in->mem[i % sizeof(in->mem)];
	for (i = 0; i < 16 * 16; i++)
		emu_xmm[i / 16][i % 16] = in->xmm[i % sizeof(in->xmm)] ^ (i / 16);
	memcpy(host_xmm, emu_xmm, sizeof(host_xmm));
	mmio = in->ctl & CTL_MMIO;

	ea = place(&insn, regs, in->mem_off);
	if (mode == HW_MODE_16) {
		/* Emulated only: where the operand is does not matter. */
		ea = data_gpa + 16 + in->mem_off % (PAGE - 48);
	}
	start_rip = (u64)code_page + PAGE - insn.len;
	e.gprs = regs;
	e.rip = start_rip;
	e.rflags = rflags;
	e.mem_gpa = ea ? ea : data_gpa;
	e.stack_size = mode == HW_MODE_64 ? 8 : mode == HW_MODE_32 ? 4 : 2;
	memcpy(hregs, regs, sizeof(hregs));
	memcpy(in_regs, regs, sizeof(in_regs));
	emu_exception = -1;
	r = emulate_as_module(&e, regs, in);
	if (r < 0)
		return;
	stats_emulated++;
	/* Compatibility mode on a host that cannot run it: emulated only. */
	if (mode == HW_MODE_16 || !ea || (mode == HW_MODE_32 && !host_compat_ok))
		return;

	/* The same instruction on this CPU. */
	for (i = 0; i < PAGE; i++)
		host_page[i] = in->mem[i % sizeof(in->mem)];
	memcpy((void *)start_rip, in->insn, insn.len);
	hrip = start_rip;
	hflags = rflags;
	h = run_on_host(hregs, &hrip, &hflags, mode == HW_MODE_32);
	if (emu_exception == HW_VEC_GP) {
		/* #GP is SIGSEGV at address 0 (SI_KERNEL). */
		if (h != 2 || host_fault_addr) {
			dump("the emulator raised #GP, the CPU did not", in, &insn);
			abort();
		}
		stats_compared++;
		stats_op[insn.op]++;
		return;
	}
	if (h != 1) {
		dump("the CPU faulted where the emulator did not", in, &insn);
		fprintf(stderr, "  fault at %#llx, rip %#llx (insn at %#llx)\n",
			(unsigned long long)host_fault_addr,
			(unsigned long long)hrip, (unsigned long long)start_rip);
		abort();
	}
	stats_compared++;
	stats_op[insn.op]++;
	if (mode == HW_MODE_32)
		stats_compared32++;
	undef = undefined_flags(&insn, in_regs);
	if (mode == HW_MODE_32) {
		/*
		 * Compatibility mode: EAX-EDI and XMM0-7.  The upper halves
		 * and R8-R15 are undefined after it: not compared.
		 */
		for (i = 0; i < HW_NR_GPRS; i++) {
			hregs[i] = i < 8 ? (u32)hregs[i] : 0;
			regs[i] = i < 8 ? (u32)regs[i] : 0;
		}
		memset(host_xmm[8], 0, 8 * 16);
		memset(emu_xmm[8], 0, 8 * 16);
	}
	if (hrip != e.rip || memcmp(hregs, regs, sizeof(regs)) ||
	    ((hflags ^ e.rflags) & HW_FLAGS_ARITH & ~undef) ||
	    memcmp(host_page, emu_page, PAGE) ||
	    memcmp(host_xmm, emu_xmm, sizeof(emu_xmm))) {
		dump("the emulator and the CPU differ", in, &insn);
		fprintf(stderr, "  rip: cpu +%lld, emulator +%lld\n",
			(long long)(hrip - start_rip),
			(long long)(e.rip - start_rip));
		fprintf(stderr, "  rflags: cpu %#llx, emulator %#llx (undefined %#llx)\n",
			(unsigned long long)hflags,
			(unsigned long long)e.rflags, (unsigned long long)undef);
		for (i = 0; i < HW_NR_GPRS; i++)
			if (hregs[i] != regs[i])
				fprintf(stderr, "  reg %d: cpu %#llx, emulator %#llx\n",
					i, (unsigned long long)hregs[i],
					(unsigned long long)regs[i]);
		for (i = 0; i < 16 * 16; i++)
			if (host_xmm[i / 16][i % 16] != emu_xmm[i / 16][i % 16])
				fprintf(stderr, "  xmm%d byte %d: cpu %02x, emulator %02x\n",
					i / 16, i % 16, host_xmm[i / 16][i % 16],
					emu_xmm[i / 16][i % 16]);
		for (i = 0; i < PAGE; i++)
			if (host_page[i] != emu_page[i])
				fprintf(stderr, "  byte %#x: cpu %02x, emulator %02x\n",
					i, host_page[i], emu_page[i]);
		abort();
	}
}

static void report(void)
{
	unsigned int i;

	fprintf(stderr,
		"emulate-fuzz: %llu inputs, %llu decoded, %llu emulated, %llu compared with this CPU (%llu in 32-bit mode)\n",
		(unsigned long long)stats_inputs,
		(unsigned long long)stats_decoded,
		(unsigned long long)stats_emulated,
		(unsigned long long)stats_compared,
		(unsigned long long)stats_compared32);
	fprintf(stderr, "emulate-fuzz: compared, by hw_insn.op:");
	for (i = 0; i <= HW_OP_VEC_STORE; i++)
		fprintf(stderr, " %u:%llu", i, (unsigned long long)stats_op[i]);
	fprintf(stderr, "\n");
}

/*
 * Can this host run a flat data access in compatibility mode?  Some
 * hosts cannot run the 32-bit code segment at all (under a PVM guest
 * kernel even a NOP there faults, #GP): every comparison would fail, so
 * there 32-bit mode is emulated but not compared, and the run says so.
 */
static void probe_compat(void)
{
	static const u8 mov_al_eax[] = { 0x8a, 0x00 };	/* mov (%eax), %al */
	u64 regs[HW_NR_GPRS] = { [HW_RAX] = (u64)host_page };
	u64 rip = (u64)code_page + PAGE - sizeof(mov_al_eax);
	u64 rflags = 0x202;

	memcpy((void *)rip, mov_al_eax, sizeof(mov_al_eax));
	host_compat_ok = run_on_host(regs, &rip, &rflags, true) == 1;
	if (!host_compat_ok)
		fprintf(stderr,
			"emulate-fuzz: this host faults in compatibility mode (fault address %#llx): 32-bit mode is emulated, not compared\n",
			(unsigned long long)host_fault_addr);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setup();
	probe_compat();
	atexit(report);
	return 0;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_input in;

	memset(&in, 0, sizeof(in));
	memcpy(&in, data, size < sizeof(in) ? size : sizeof(in));
	one(&in);
	return 0;
}
