/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: the x86 instruction decoder and emulator.
 *
 * The module emulates the few instructions hardware virtualization hands
 * back: accesses to MMIO (an instruction touched guest-physical memory no
 * memory slot backs), string port I/O, and the instructions whose length
 * it must know to skip them when the CPU does not say (no NRIPS).
 *
 * This file and emulate.c build in the kernel and in userspace (unit tests
 * and fuzzing, tests/unit): no kernel header is used here, and everything
 * the emulator needs from a vCPU comes through struct hw_emul_ops.
 */
#ifndef HWVIRT_EMULATE_H
#define HWVIRT_EMULATE_H

#include "hw_types.h"

#define HW_MAX_INSN_LEN		15

/* General registers, in the x86 encoding order. */
enum hw_reg {
	HW_RAX, HW_RCX, HW_RDX, HW_RBX, HW_RSP, HW_RBP, HW_RSI, HW_RDI,
	HW_R8, HW_R9, HW_R10, HW_R11, HW_R12, HW_R13, HW_R14, HW_R15,
	HW_NR_GPRS
};

/* Segment registers, in the x86 encoding order. */
enum hw_seg {
	HW_ES, HW_CS, HW_SS, HW_DS, HW_FS, HW_GS, HW_NR_SEGS
};

/* RFLAGS bits the emulator reads or writes. */
#define HW_FLAG_CF		(1ULL << 0)
#define HW_FLAG_PF		(1ULL << 2)
#define HW_FLAG_AF		(1ULL << 4)
#define HW_FLAG_ZF		(1ULL << 6)
#define HW_FLAG_SF		(1ULL << 7)
#define HW_FLAG_DF		(1ULL << 10)
#define HW_FLAG_OF		(1ULL << 11)
#define HW_FLAGS_ARITH		(HW_FLAG_CF | HW_FLAG_PF | HW_FLAG_AF | \
				 HW_FLAG_ZF | HW_FLAG_SF | HW_FLAG_OF)

/* Exceptions the emulator raises. */
#define HW_VEC_GP		13

/* The code segment's default sizes. */
enum hw_cpu_mode {
	HW_MODE_16,		/* real mode, VM86, 16-bit protected */
	HW_MODE_32,		/* 32-bit protected, compatibility */
	HW_MODE_64,		/* 64-bit long mode */
};

/* What a decoded instruction does, for the emulator. */
enum hw_insn_op {
	HW_OP_UNKNOWN,
	HW_OP_MOV_STORE,	/* mem <- reg or imm */
	HW_OP_MOV_LOAD,		/* reg <- mem */
	HW_OP_MOVZX,		/* reg <- zero-extended mem */
	HW_OP_MOVSX,		/* reg <- sign-extended mem */
	HW_OP_ALU,		/* mem op= reg/imm, or reg op= mem; alu below */
	HW_OP_TEST,		/* flags of mem & reg/imm */
	HW_OP_XCHG,		/* mem <-> reg */
	HW_OP_STOS,		/* [ES:rDI] <- rAX */
	HW_OP_MOVS,		/* [ES:rDI] <- [seg:rSI] */
	HW_OP_LODS,		/* rAX <- [seg:rSI] */
	HW_OP_INS,		/* [ES:rDI] <- port */
	HW_OP_OUTS,		/* port <- [seg:rSI] */
	HW_OP_IN,		/* port I/O, not string */
	HW_OP_OUT,
	HW_OP_PLAIN,		/* no operands we emulate: CPUID, HLT, ... */
	HW_OP_CMPXCHG,		/* mem ?= rAX: mem <- reg, else rAX <- mem */
	HW_OP_CMPXCHG8B,	/* mem64 ?= EDX:EAX: mem <- ECX:EBX */
	HW_OP_XADD,		/* mem, reg <- mem + reg, mem */
	HW_OP_BITOP,		/* BT/BTS/BTR/BTC mem; bitop below */
	HW_OP_UNARY,		/* INC/DEC/NOT/NEG mem; unary below */
	HW_OP_CMPS,		/* flags of [seg:rSI] - [ES:rDI] */
	HW_OP_SCAS,		/* flags of rAX - [ES:rDI] */
	HW_OP_SHIFT,		/* group 2 on mem: ROL..SAR; shift below */
	HW_OP_PUSH,		/* [SS:rSP - size] <- mem */
	HW_OP_POP,		/* mem <- [SS:rSP]; the address uses rSP after */
	HW_OP_VEC_LOAD,		/* XMM <- mem, the rest of XMM zeroed */
	HW_OP_VEC_STORE,	/* mem <- the low opsize bytes of XMM */
};

/* hw_insn.shift: the ModRM reg field of group 2 (/6 is SHL too) */
enum hw_shift {
	HW_SHIFT_ROL, HW_SHIFT_ROR, HW_SHIFT_RCL, HW_SHIFT_RCR,
	HW_SHIFT_SHL, HW_SHIFT_SHR, HW_SHIFT_SAL, HW_SHIFT_SAR,
};

/* hw_insn.bitop */
enum hw_bitop {
	HW_BIT_TEST, HW_BIT_SET, HW_BIT_RESET, HW_BIT_COMPLEMENT,
};

/* hw_insn.unary */
enum hw_unary {
	HW_UNARY_INC, HW_UNARY_DEC, HW_UNARY_NOT, HW_UNARY_NEG,
};

/* hw_insn.alu */
enum hw_alu {
	HW_ALU_ADD, HW_ALU_OR, HW_ALU_ADC, HW_ALU_SBB,
	HW_ALU_AND, HW_ALU_SUB, HW_ALU_XOR, HW_ALU_CMP,
};

struct hw_insn {
	u8 mode;		/* enum hw_cpu_mode it was decoded for */
	u8 len;			/* bytes, prefixes included */
	u8 opsize;		/* effective operand size: 1, 2, 4 or 8; 16 */
	u8 addrsize;		/* effective address size: 2, 4 or 8 */
	u8 rep;			/* 0, 0xf3 (REP/REPE) or 0xf2 (REPNE) */
	bool lock;
	s8 seg_override;	/* enum hw_seg, or -1 */
	u8 rex;			/* the REX prefix, or 0 */
	u16 opcode;		/* one byte, 0x0f00 | the second, HW_OPCODE_0F38 */

	bool has_modrm;
	u8 mod, reg, rm;	/* ModRM fields, REX-extended */

	/* The memory operand (ModRM mod != 3, moffs, or string). */
	bool has_mem;
	s8 base;		/* enum hw_reg, or -1 */
	s8 index;		/* enum hw_reg, or -1 */
	u8 scale;		/* 1, 2, 4, 8 */
	s64 disp;
	bool rip_relative;
	u8 mem_seg;		/* enum hw_seg the operand uses */

	bool has_imm;
	u64 imm;		/* sign-extended to the operand size */

	enum hw_insn_op op;
	enum hw_alu alu;
	enum hw_bitop bitop;
	enum hw_unary unary;
	enum hw_shift shift;
	bool count_in_cl;	/* group 2: D2/D3 shift by CL */
	bool aligned;		/* #GP(0) unless the operand is opsize-aligned */
	u8 reg_operand;		/* the register operand, enum hw_reg; XMMn */
	bool reg_is_high_byte;	/* AH/CH/DH/BH (no REX, byte operand) */
	u8 src_size;		/* MOVZX/MOVSX: size read from memory */
	bool mem_is_dst;	/* the memory operand is written */
	u16 port;		/* IN/OUT with an immediate port */
	bool port_in_dx;
};

/* hw_insn.opcode of the three-byte map 0F 38 xx (INVPCID: 66 0F 38 82). */
#define HW_OPCODE_0F38(b)	(0x3800 | (b))

/* hw_decode() errors */
#define HW_E_TRUNCATED		1	/* needs more bytes than given */
#define HW_E_UNSUPPORTED	2	/* valid, but not emulated here */
#define HW_E_INVALID		3	/* no such instruction (#UD) */

/*
 * Decode the instruction in buf[0..len) for a CPU in mode.  0 on success,
 * else -HW_E_*.  On -HW_E_UNSUPPORTED, insn->len is still the length if
 * the decoder got that far (else 0).
 */
int hw_decode(struct hw_insn *insn, const u8 *buf, unsigned int len,
	      enum hw_cpu_mode mode);

/* The effective address of the memory operand (before the segment). */
u64 hw_effective_address(const struct hw_insn *insn, const u64 *gprs,
			 u64 next_rip);

/* Read and write a register as an operand of size bytes (x86 rules). */
u64 hw_reg_read(const u64 *gprs, unsigned int reg, unsigned int size,
		bool high_byte);
void hw_reg_write(u64 *gprs, unsigned int reg, unsigned int size,
		  bool high_byte, u64 val);

/* rREG += delta as an addrsize-byte quantity (x86 rules). */
void hw_add_addr_reg(u64 *gprs, unsigned int reg, unsigned int addrsize,
		     s64 delta);

/* All ones in the low addrsize bytes. */
u64 hw_addr_mask(unsigned int addrsize);

/* Sign-extend the low size bytes of val. */
u64 hw_sign_extend(u64 val, unsigned int size);

/*
 * dst op src on size bytes: returns the result (undefined for CMP, which
 * only sets flags) and updates the arithmetic flags in *rflags.
 */
u64 hw_alu(enum hw_alu alu, unsigned int size, u64 dst, u64 src,
	   u64 *rflags);

/* Flags of dst & src (TEST). */
void hw_test_flags(unsigned int size, u64 dst, u64 src, u64 *rflags);

/*
 * BT/BTS/BTR/BTC of bit (taken modulo the operand's bits) in val: the new
 * value, CF set to the old bit.
 */
u64 hw_bitop(enum hw_bitop op, unsigned int size, u64 val, u64 bit,
	     u64 *rflags);

/* INC/DEC/NOT/NEG of val; INC and DEC leave CF, NOT leaves every flag. */
u64 hw_unary(enum hw_unary op, unsigned int size, u64 val, u64 *rflags);

/*
 * The memory operand's displacement of a BT-family instruction whose bit
 * offset is a register: (offset >> log2(bits)) operand-sized units, signed.
 */
s64 hw_bitop_displacement(u64 offset, unsigned int size);

/*
 * The size of the one access an instruction makes to its memory operand
 * (at the effective address), or 0 when there is no such single access:
 * string instructions, BT and kin with a register bit offset.
 */
unsigned int hw_mem_access_size(const struct hw_insn *insn);

/*
 * Group 2: val shifted or rotated by count (masked as the CPU masks it).
 * Flags the architecture leaves undefined get what AMD and Intel CPUs
 * agree on where they agree; HW_SHIFT_UNDEFINED() says which they are.
 */
u64 hw_shift(enum hw_shift op, unsigned int size, u64 val, u64 count,
	     u64 *rflags);

/* The arithmetic flags hw_shift(op, size, .., count) leaves undefined. */
u64 hw_shift_undefined(enum hw_shift op, unsigned int size, u64 count);

/* ------------------------------------------------------------------------
 * The emulator: runs one decoded instruction whose memory operand is at a
 * known guest-physical address (the access that exited).
 */

struct hw_emul;

/* The largest memory operand the emulator moves (an XMM register). */
#define HW_EMUL_MAX_ACCESS	16

/*
 * How the emulator reaches memory: by guest-physical address, 1 to
 * HW_EMUL_MAX_ACCESS bytes, little-endian into or out of val.  Each returns
 * 0 when done; 1 when it set up an exit to userspace (a read: hw_emulate()
 * runs again from the start once userspace answered it, so an instruction
 * makes all its reads before it changes anything; a write: the instruction
 * is complete once its registers are updated); or a negative errno:
 * -EFAULT (no memory there), -EAGAIN (memory changed under a
 * read-modify-write: the guest runs the instruction again), -EOPNOTSUPP.
 */
struct hw_emul_ops {
	int (*read)(struct hw_emul *e, u64 gpa, unsigned int size, void *val);
	int (*write)(struct hw_emul *e, u64 gpa, unsigned int size,
		     const void *val);
	/* The write of a read-modify-write; old is what the read returned. */
	int (*rmw_write)(struct hw_emul *e, u64 gpa, unsigned int size,
			 u64 old, u64 new);
	/*
	 * seg:offset (offset already truncated to the address size) to a
	 * gpa, for string and stack operands; 1 when the translation faulted
	 * and the fault is queued for the guest (the instruction ends there,
	 * nothing changed).
	 */
	int (*translate)(struct hw_emul *e, int seg, u64 offset, bool write,
			 u64 *gpa);
	/* Raise exception vector (with error code error) in the guest. */
	void (*exception)(struct hw_emul *e, int vector, u32 error);
	/* The guest's XMM register n (0-15), 16 bytes. */
	void (*get_xmm)(struct hw_emul *e, unsigned int n, void *val);
	void (*set_xmm)(struct hw_emul *e, unsigned int n, const void *val);
};

struct hw_emul {
	const struct hw_emul_ops *ops;
	const struct hw_insn *insn;
	u64 *gprs;		/* HW_NR_GPRS, changed in place */
	u64 rip;		/* in: the instruction's; out: where to go on */
	u64 rflags;		/* in, and out */
	u64 mem_gpa;		/* where the memory operand is */
	u8 stack_size;		/* 2, 4 or 8: SS.B, or 8 in 64-bit mode */
};

/*
 * Run e->insn.  0: it completed; 1: an exit to userspace is set up (see
 * hw_emul_ops); negative errno as hw_emul_ops, or -EOPNOTSUPP for an
 * instruction the emulator does not run.  e->gprs, e->rip and e->rflags
 * change only when the instruction completes: 0, or 1 for a write's exit
 * (the caller copies rip and rflags back whenever it returns 0 or 1).
 */
int hw_emulate(struct hw_emul *e);

#endif /* HWVIRT_EMULATE_H */
