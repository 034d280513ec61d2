// SPDX-License-Identifier: GPL-2.0-only
/*
 * hwvirt: the x86 instruction decoder and emulator (see emulate.h).
 *
 * The decoder knows the instructions that touch memory in ways an MMIO
 * access or a string I/O can come from, and the instructions that cause
 * exits; anything else is HW_E_UNSUPPORTED, which the caller reports with
 * the instruction bytes.
 */

#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#else
#include <errno.h>
#include <string.h>
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

#include "emulate.h"

/* Opcode properties, one-byte map. */
#define F_MODRM		(1 << 0)
#define F_BYTE		(1 << 1)	/* operand size is 1 */
#define F_IMM8		(1 << 2)
#define F_IMMZ		(1 << 3)	/* 16 or 32 bits, by operand size */
#define F_MOFFS		(1 << 4)	/* an offset of the address size */
#define F_FARPTR	(1 << 5)	/* ptr16:16/32: Iz, then a selector */

static void set_modrm_fields(struct hw_insn *insn, u8 modrm)
{
	insn->has_modrm = true;
	insn->mod = modrm >> 6;
	insn->reg = ((modrm >> 3) & 7) | ((insn->rex & 0x4) ? 8 : 0);
	insn->rm = modrm & 7;
}

/*
 * Parse ModRM (already read) and the SIB and displacement that follow it
 * at buf[*i].
 */
static int decode_modrm_mem(struct hw_insn *insn, const u8 *buf,
			    unsigned int len, unsigned int *i)
{
	unsigned int disp_bytes = 0;
	u8 rm = insn->rm;

	if (insn->mod == 3) {
		insn->rm = rm | ((insn->rex & 0x1) ? 8 : 0);
		return 0;
	}
	insn->has_mem = true;
	insn->scale = 1;

	if (insn->addrsize == 2) {
		static const s8 base16[8] = {
			HW_RBX, HW_RBX, HW_RBP, HW_RBP, HW_RSI, HW_RDI, HW_RBP, HW_RBX
		};
		static const s8 index16[8] = {
			HW_RSI, HW_RDI, HW_RSI, HW_RDI, -1, -1, -1, -1
		};

		insn->base = base16[rm];
		insn->index = index16[rm];
		insn->mem_seg = (rm == 2 || rm == 3) ? HW_SS : HW_DS;
		if (insn->mod == 0 && rm == 6) {
			insn->base = -1;
			insn->mem_seg = HW_DS;
			disp_bytes = 2;
		} else if (rm == 6) {
			insn->mem_seg = HW_SS;
		}
		if (insn->mod == 1)
			disp_bytes = 1;
		else if (insn->mod == 2)
			disp_bytes = 2;
	} else {
		insn->mem_seg = HW_DS;
		if (rm == 4) {
			u8 sib, base, index;

			if (*i >= len)
				return -HW_E_TRUNCATED;
			sib = buf[(*i)++];
			insn->scale = 1 << (sib >> 6);
			index = ((sib >> 3) & 7) | ((insn->rex & 0x2) ? 8 : 0);
			base = (sib & 7) | ((insn->rex & 0x1) ? 8 : 0);
			insn->index = index == HW_RSP ? -1 : index;
			if ((sib & 7) == 5 && insn->mod == 0) {
				insn->base = -1;
				disp_bytes = 4;
			} else {
				insn->base = base;
			}
		} else if (rm == 5 && insn->mod == 0) {
			insn->base = -1;
			insn->index = -1;
			disp_bytes = 4;
			/* In 64-bit mode, this form is RIP-relative. */
			insn->rip_relative = insn->mode == HW_MODE_64;
		} else {
			insn->base = rm | ((insn->rex & 0x1) ? 8 : 0);
			insn->index = -1;
		}
		if (insn->base == HW_RSP || insn->base == HW_RBP)
			insn->mem_seg = HW_SS;
		if (insn->mod == 1)
			disp_bytes = 1;
		else if (insn->mod == 2)
			disp_bytes = 4;
	}

	if (*i + disp_bytes > len)
		return -HW_E_TRUNCATED;
	switch (disp_bytes) {
	case 1:
		insn->disp = (s8)buf[*i];
		break;
	case 2:
		insn->disp = (int16_t)(buf[*i] | buf[*i + 1] << 8);
		break;
	case 4:
		insn->disp = (s32)((u32)buf[*i] | (u32)buf[*i + 1] << 8 |
				   (u32)buf[*i + 2] << 16 |
				   (u32)buf[*i + 3] << 24);
		break;
	}
	*i += disp_bytes;
	return 0;
}

static u64 read_le(const u8 *p, unsigned int n)
{
	u64 v = 0;
	unsigned int k;

	for (k = 0; k < n; k++)
		v |= (u64)p[k] << (8 * k);
	return v;
}

u64 hw_sign_extend(u64 val, unsigned int size)
{
	switch (size) {
	case 1:
		return (u64)(s64)(s8)val;
	case 2:
		return (u64)(s64)(int16_t)val;
	case 4:
		return (u64)(s64)(s32)val;
	default:
		return val;
	}
}

/*
 * What the one-byte opcode op is, for the emulator; returns its F_* flags,
 * or -1 when the decoder does not handle it.
 */
static int classify_onebyte(struct hw_insn *insn, u8 op, enum hw_cpu_mode mode)
{
	/* ALU Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev */
	if (op < 0x40 && (op & 7) < 4) {
		insn->op = HW_OP_ALU;
		insn->alu = op >> 3;
		insn->mem_is_dst = !(op & 2);
		return F_MODRM | ((op & 1) ? 0 : F_BYTE);
	}
	switch (op) {
	case 0x63:		/* MOVSXD Gv, Ed */
		if (mode != HW_MODE_64)
			return -1;
		insn->op = HW_OP_MOVSX;
		insn->src_size = 4;
		return F_MODRM;
	case 0x6c: case 0x6d:	/* INS */
		insn->op = HW_OP_INS;
		return op == 0x6c ? F_BYTE : 0;
	case 0x6e: case 0x6f:	/* OUTS */
		insn->op = HW_OP_OUTS;
		return op == 0x6e ? F_BYTE : 0;
	case 0x80:		/* group 1 Eb, Ib */
		insn->op = HW_OP_ALU;
		insn->mem_is_dst = true;
		return F_MODRM | F_BYTE | F_IMM8;
	case 0x81:		/* group 1 Ev, Iz */
		insn->op = HW_OP_ALU;
		insn->mem_is_dst = true;
		return F_MODRM | F_IMMZ;
	case 0x83:		/* group 1 Ev, Ib (sign-extended) */
		insn->op = HW_OP_ALU;
		insn->mem_is_dst = true;
		return F_MODRM | F_IMM8;
	case 0x84: case 0x85:	/* TEST Eb,Gb / Ev,Gv */
		insn->op = HW_OP_TEST;
		return F_MODRM | (op == 0x84 ? F_BYTE : 0);
	case 0x86: case 0x87:	/* XCHG Eb,Gb / Ev,Gv */
		insn->op = HW_OP_XCHG;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0x86 ? F_BYTE : 0);
	case 0x88: case 0x89:	/* MOV Eb,Gb / Ev,Gv */
		insn->op = HW_OP_MOV_STORE;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0x88 ? F_BYTE : 0);
	case 0x8a: case 0x8b:	/* MOV Gb,Eb / Gv,Ev */
		insn->op = HW_OP_MOV_LOAD;
		return F_MODRM | (op == 0x8a ? F_BYTE : 0);
	case 0x90:		/* NOP, PAUSE (F3 90) */
	case 0xcc:		/* INT3 */
	case 0xcf:		/* IRET */
	case 0xf1:		/* ICEBP */
	case 0xf4:		/* HLT */
		insn->op = HW_OP_PLAIN;
		return 0;
	case 0xcd:		/* INT n */
		insn->op = HW_OP_PLAIN;
		return F_IMM8;
	/*
	 * What switches tasks, for the length of the instruction (task.c):
	 * INTO and the direct far JMP and CALL, invalid in 64-bit mode.
	 */
	case 0xce:		/* INTO */
		if (mode == HW_MODE_64)
			return -1;
		insn->op = HW_OP_PLAIN;
		return 0;
	case 0x9a:		/* CALL ptr16:16/32 */
	case 0xea:		/* JMP ptr16:16/32 */
		if (mode == HW_MODE_64)
			return -1;
		insn->op = HW_OP_PLAIN;
		return F_FARPTR;
	case 0xa0: case 0xa1:	/* MOV AL/rAX, moffs */
		insn->op = HW_OP_MOV_LOAD;
		return F_MOFFS | (op == 0xa0 ? F_BYTE : 0);
	case 0xa2: case 0xa3:	/* MOV moffs, AL/rAX */
		insn->op = HW_OP_MOV_STORE;
		insn->mem_is_dst = true;
		return F_MOFFS | (op == 0xa2 ? F_BYTE : 0);
	case 0xa4: case 0xa5:	/* MOVS */
		insn->op = HW_OP_MOVS;
		insn->mem_is_dst = true;
		return op == 0xa4 ? F_BYTE : 0;
	case 0xa6: case 0xa7:	/* CMPS */
		insn->op = HW_OP_CMPS;
		return op == 0xa6 ? F_BYTE : 0;
	case 0xae: case 0xaf:	/* SCAS */
		insn->op = HW_OP_SCAS;
		return op == 0xae ? F_BYTE : 0;
	case 0xaa: case 0xab:	/* STOS */
		insn->op = HW_OP_STOS;
		insn->mem_is_dst = true;
		return op == 0xaa ? F_BYTE : 0;
	case 0xac: case 0xad:	/* LODS */
		insn->op = HW_OP_LODS;
		return op == 0xac ? F_BYTE : 0;
	case 0x8f:		/* group 1A: POP Ev (/0) */
		insn->op = HW_OP_POP;
		insn->mem_is_dst = true;
		return F_MODRM;
	case 0xc0: case 0xc1:	/* group 2 Eb,Ib / Ev,Ib */
		insn->op = HW_OP_SHIFT;
		insn->mem_is_dst = true;
		return F_MODRM | F_IMM8 | (op == 0xc0 ? F_BYTE : 0);
	case 0xd0: case 0xd1:	/* group 2 Eb,1 / Ev,1 */
	case 0xd2: case 0xd3:	/* group 2 Eb,CL / Ev,CL */
		insn->op = HW_OP_SHIFT;
		insn->mem_is_dst = true;
		insn->count_in_cl = op >= 0xd2;
		return F_MODRM | ((op & 1) ? 0 : F_BYTE);
	case 0xc6: case 0xc7:	/* MOV Eb,Ib / Ev,Iz (group 11, /0) */
		insn->op = HW_OP_MOV_STORE;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0xc6 ? F_BYTE | F_IMM8 : F_IMMZ);
	case 0xe4: case 0xe5:	/* IN AL/eAX, Ib */
		insn->op = HW_OP_IN;
		return F_IMM8 | (op == 0xe4 ? F_BYTE : 0);
	case 0xe6: case 0xe7:	/* OUT Ib, AL/eAX */
		insn->op = HW_OP_OUT;
		return F_IMM8 | (op == 0xe6 ? F_BYTE : 0);
	case 0xec: case 0xed:	/* IN AL/eAX, DX */
		insn->op = HW_OP_IN;
		insn->port_in_dx = true;
		return op == 0xec ? F_BYTE : 0;
	case 0xee: case 0xef:	/* OUT DX, AL/eAX */
		insn->op = HW_OP_OUT;
		insn->port_in_dx = true;
		return op == 0xee ? F_BYTE : 0;
	case 0xf6:		/* group 3 Eb: TEST Ib (/0, /1), NOT, NEG */
		insn->op = HW_OP_TEST;
		return F_MODRM | F_BYTE | F_IMM8;
	case 0xf7:		/* group 3 Ev: TEST Iz (/0, /1), NOT, NEG */
		insn->op = HW_OP_TEST;
		return F_MODRM | F_IMMZ;
	case 0xfe:		/* group 4 Eb: INC, DEC */
	case 0xff:		/* group 5 Ev: INC, DEC, PUSH (CALL, JMP: not ours) */
		insn->op = HW_OP_UNARY;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0xfe ? F_BYTE : 0);
	}
	return -1;
}

/*
 * The SSE moves of the two-byte map that have a memory form: by the
 * mandatory prefix (F2/F3 before 66; none), the size moved and which way.
 * Returns the F_* flags, -1 for a prefix we do not emulate (MMX, or no
 * such instruction), -2 when op is no SSE move.
 */
static int classify_sse(struct hw_insn *insn, u8 op, bool opsize_prefix)
{
	int p = insn->rep == 0xf3 ? 3 : insn->rep == 0xf2 ? 2 :
		opsize_prefix ? 1 : 0;
	/* Bytes moved, by prefix: none, 66, F2, F3; 0 = not emulated. */
	/* aligned: by prefix, bit p set when the form needs alignment. */
	static const struct {
		u8 op;
		bool store;
		u8 size[4];
		u8 aligned;
	} moves[] = {
		{ 0x10, false, { 16, 16, 8, 4 }, 0 },	/* MOVUPS/PD, MOVSD/SS */
		{ 0x11, true, { 16, 16, 8, 4 }, 0 },
		{ 0x28, false, { 16, 16, 0, 0 }, 3 },	/* MOVAPS/PD */
		{ 0x29, true, { 16, 16, 0, 0 }, 3 },
		{ 0x2b, true, { 16, 16, 0, 0 }, 3 },	/* MOVNTPS/PD */
		{ 0x6e, false, { 0, 4, 0, 0 }, 0 },	/* MOVD/MOVQ xmm, r/m */
		{ 0x6f, false, { 0, 16, 0, 16 }, 2 },	/* MOVDQA, MOVDQU */
		{ 0x7e, true, { 0, 4, 0, 8 }, 0 },	/* MOVD r/m, xmm; MOVQ (F3: load) */
		{ 0x7f, true, { 0, 16, 0, 16 }, 2 },	/* MOVDQA, MOVDQU */
		{ 0xd6, true, { 0, 8, 0, 0 }, 0 },	/* MOVQ m64, xmm */
		{ 0xe7, true, { 0, 16, 0, 0 }, 2 },	/* MOVNTDQ */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(moves); i++) {
		if (moves[i].op != op)
			continue;
		if (!moves[i].size[p])
			return -1;
		insn->opsize = moves[i].size[p];
		insn->aligned = moves[i].aligned & (1 << p);
		insn->op = moves[i].store ? HW_OP_VEC_STORE : HW_OP_VEC_LOAD;
		/* F3 0F 7E is MOVQ xmm, m64: a load. */
		if (op == 0x7e && p == 3)
			insn->op = HW_OP_VEC_LOAD;
		/* 66 REX.W 0F 6E/7E: MOVQ. */
		if ((op == 0x6e || op == 0x7e) && p == 1 && (insn->rex & 0x8))
			insn->opsize = 8;
		insn->mem_is_dst = insn->op == HW_OP_VEC_STORE;
		return F_MODRM;
	}
	return -2;
}

/* The two-byte map (0F xx); the same contract as classify_onebyte(). */
static int classify_twobyte(struct hw_insn *insn, u8 op)
{
	switch (op) {
	case 0x01:		/* group 7: MONITOR, XSETBV, VMMCALL, RDTSCP... */
	case 0x20: case 0x22:	/* MOV from/to CRn */
	case 0x21: case 0x23:	/* MOV from/to DRn */
		insn->op = HW_OP_PLAIN;
		return F_MODRM;
	case 0x06:		/* CLTS */
	case 0x08: case 0x09:	/* INVD, WBINVD */
	case 0x30: case 0x31:	/* WRMSR, RDTSC */
	case 0x32: case 0x33:	/* RDMSR, RDPMC */
	case 0xa2:		/* CPUID */
		insn->op = HW_OP_PLAIN;
		return 0;
	case 0xb6: case 0xb7:	/* MOVZX Gv, Eb/Ew */
		insn->op = HW_OP_MOVZX;
		insn->src_size = op == 0xb6 ? 1 : 2;
		return F_MODRM;
	case 0xbe: case 0xbf:	/* MOVSX Gv, Eb/Ew */
		insn->op = HW_OP_MOVSX;
		insn->src_size = op == 0xbe ? 1 : 2;
		return F_MODRM;
	case 0xb0: case 0xb1:	/* CMPXCHG Eb,Gb / Ev,Gv */
		insn->op = HW_OP_CMPXCHG;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0xb0 ? F_BYTE : 0);
	case 0xc0: case 0xc1:	/* XADD Eb,Gb / Ev,Gv */
		insn->op = HW_OP_XADD;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0xc0 ? F_BYTE : 0);
	case 0xa3: case 0xab:	/* BT, BTS Ev,Gv */
	case 0xb3: case 0xbb:	/* BTR, BTC Ev,Gv */
		insn->op = HW_OP_BITOP;
		insn->bitop = op == 0xa3 ? HW_BIT_TEST : op == 0xab ? HW_BIT_SET :
			      op == 0xb3 ? HW_BIT_RESET : HW_BIT_COMPLEMENT;
		insn->mem_is_dst = op != 0xa3;
		return F_MODRM;
	case 0xba:		/* group 8 Ev,Ib: BT, BTS, BTR, BTC (/4-/7) */
		insn->op = HW_OP_BITOP;
		return F_MODRM | F_IMM8;
	case 0xc7:		/* group 9: CMPXCHG8B/16B (/1) */
		insn->op = HW_OP_CMPXCHG8B;
		insn->mem_is_dst = true;
		return F_MODRM;
	}
	return -1;
}

int hw_decode(struct hw_insn *insn, const u8 *buf, unsigned int len,
	      enum hw_cpu_mode mode)
{
	bool opsize_prefix = false, addrsize_prefix = false;
	unsigned int i = 0, imm_bytes = 0;
	int flags, r;
	u8 b;

	memset(insn, 0, sizeof(*insn));
	insn->mode = mode;
	insn->seg_override = -1;
	insn->base = -1;
	insn->index = -1;

	if (len > HW_MAX_INSN_LEN)
		len = HW_MAX_INSN_LEN;

	/* Legacy prefixes. */
	for (;;) {
		if (i >= len)
			return i >= HW_MAX_INSN_LEN ? -HW_E_INVALID : -HW_E_TRUNCATED;
		b = buf[i];
		switch (b) {
		case 0x66:
			opsize_prefix = true;
			break;
		case 0x67:
			addrsize_prefix = true;
			break;
		case 0xf0:
			insn->lock = true;
			break;
		case 0xf2: case 0xf3:
			insn->rep = b;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			/*
			 * ES, CS, SS, DS (in encoding order); in 64-bit mode
			 * they are ignored, and do not undo an FS or GS.
			 */
			if (mode != HW_MODE_64)
				insn->seg_override = (b >> 3) & 3;
			break;
		case 0x64:
			insn->seg_override = HW_FS;
			break;
		case 0x65:
			insn->seg_override = HW_GS;
			break;
		default:
			goto prefixes_done;
		}
		i++;
	}
prefixes_done:
	/* REX, only in 64-bit mode and only right before the opcode. */
	if (mode == HW_MODE_64 && (b & 0xf0) == 0x40) {
		insn->rex = b;
		if (++i >= len)
			return -HW_E_TRUNCATED;
		b = buf[i];
	}

	switch (mode) {
	case HW_MODE_64:
		insn->addrsize = addrsize_prefix ? 4 : 8;
		insn->opsize = (insn->rex & 0x8) ? 8 : opsize_prefix ? 2 : 4;
		break;
	case HW_MODE_32:
		insn->addrsize = addrsize_prefix ? 2 : 4;
		insn->opsize = opsize_prefix ? 2 : 4;
		break;
	default:
		insn->addrsize = addrsize_prefix ? 4 : 2;
		insn->opsize = opsize_prefix ? 4 : 2;
		break;
	}

	/* Opcode. */
	i++;
	if (b == 0x0f) {
		if (i >= len)
			return -HW_E_TRUNCATED;
		b = buf[i++];
		insn->opcode = 0x0f00 | b;
		if (b == 0x0b)		/* UD2 */
			return -HW_E_INVALID;
		if (b == 0x38) {
			/* The three-byte map 0F 38: INVPCID only. */
			if (i >= len)
				return -HW_E_TRUNCATED;
			b = buf[i++];
			insn->opcode = HW_OPCODE_0F38(b);
			if (!opsize_prefix || insn->rep ||
			    (b != 0x82 && b != 0x2a))
				return -HW_E_UNSUPPORTED;
			if (b == 0x2a) {
				/* 66 0F 38 2A: MOVNTDQA xmm, m128 */
				insn->op = HW_OP_VEC_LOAD;
				insn->opsize = 16;
				insn->aligned = true;
			} else {
				/* 66 0F 38 82: INVPCID */
				insn->op = HW_OP_PLAIN;
			}
			flags = F_MODRM;
		} else {
			flags = classify_sse(insn, b, opsize_prefix);
			if (flags == -2)
				flags = classify_twobyte(insn, b);
		}
	} else {
		insn->opcode = b;
		flags = classify_onebyte(insn, b, mode);
	}
	if (flags < 0)
		return -HW_E_UNSUPPORTED;

	if (flags & F_BYTE)
		insn->opsize = 1;

	if (flags & F_MODRM) {
		if (i >= len)
			return -HW_E_TRUNCATED;
		set_modrm_fields(insn, buf[i++]);
		r = decode_modrm_mem(insn, buf, len, &i);
		if (r)
			return r;
		insn->reg_operand = insn->reg;
		/* Group 3: only TEST (/0, /1) has an immediate. */
		if ((insn->opcode == 0xf6 || insn->opcode == 0xf7) &&
		    (insn->reg & 7) > 1)
			flags &= ~(F_IMM8 | F_IMMZ);
	}

	if (flags & F_MOFFS) {
		if (i + insn->addrsize > len)
			return -HW_E_TRUNCATED;
		insn->has_mem = true;
		insn->mem_seg = HW_DS;
		insn->scale = 1;
		insn->disp = (s64)read_le(buf + i, insn->addrsize);
		i += insn->addrsize;
		insn->reg_operand = HW_RAX;
	}

	if (flags & F_FARPTR) {
		/* Offset and selector, skipped: nothing of ours uses them. */
		unsigned int n = (insn->opsize == 2 ? 2 : 4) + 2;

		if (i + n > len)
			return -HW_E_TRUNCATED;
		i += n;
	}
	if (flags & F_IMM8)
		imm_bytes = 1;
	else if (flags & F_IMMZ)
		imm_bytes = insn->opsize == 2 ? 2 : 4;
	if (imm_bytes) {
		if (i + imm_bytes > len)
			return -HW_E_TRUNCATED;
		insn->has_imm = true;
		insn->imm = hw_sign_extend(read_le(buf + i, imm_bytes), imm_bytes);
		i += imm_bytes;
	}
	insn->len = i;

	/* Fix-ups that depend on the whole instruction. */
	switch (insn->op) {
	case HW_OP_ALU:
		/* Group 1: the operation is the ModRM reg field. */
		if (insn->opcode >= 0x80 && insn->opcode <= 0x83)
			insn->alu = insn->reg & 7;
		break;
	case HW_OP_MOV_STORE:
		/* Group 11 (C6/C7): only /0 is MOV. */
		if ((insn->opcode == 0xc6 || insn->opcode == 0xc7) &&
		    (insn->reg & 7) != 0)
			return -HW_E_INVALID;
		break;
	case HW_OP_TEST:
		/* Group 3: /0 and /1 TEST imm, /2 NOT, /3 NEG; MUL/DIV not ours. */
		if ((insn->opcode == 0xf6 || insn->opcode == 0xf7) &&
		    ((insn->reg & 7) == 2 || (insn->reg & 7) == 3)) {
			insn->op = HW_OP_UNARY;
			insn->unary = (insn->reg & 7) == 2 ? HW_UNARY_NOT :
							     HW_UNARY_NEG;
			insn->mem_is_dst = true;
		} else if ((insn->opcode == 0xf6 || insn->opcode == 0xf7) &&
			   (insn->reg & 7) > 1) {
			return -HW_E_UNSUPPORTED;
		}
		break;
	case HW_OP_UNARY:
		/* Group 5 /6: PUSH Ev. */
		if (insn->opcode == 0xff && (insn->reg & 7) == 6) {
			insn->op = HW_OP_PUSH;
			insn->mem_is_dst = false;
			goto push_pop;
		}
		/* Groups 4 and 5: /0 INC, /1 DEC; the rest is not ours. */
		if ((insn->reg & 7) > 1)
			return -HW_E_UNSUPPORTED;
		insn->unary = (insn->reg & 7) ? HW_UNARY_DEC : HW_UNARY_INC;
		break;
	case HW_OP_POP:
		/* Group 1A: only /0 is POP (XOP uses the rest on AMD). */
		if ((insn->reg & 7) != 0)
			return -HW_E_UNSUPPORTED;
push_pop:
		/* 64-bit mode: 64 bits, or 16 with 66 (not REX.W); never 32. */
		if (mode == HW_MODE_64)
			insn->opsize = opsize_prefix && !(insn->rex & 0x8) ? 2 : 8;
		break;
	case HW_OP_SHIFT:
		insn->shift = insn->reg & 7;
		break;
	case HW_OP_BITOP:
		if (insn->opcode == 0x0fba) {
			if ((insn->reg & 7) < 4)
				return -HW_E_INVALID;
			insn->bitop = (insn->reg & 7) - 4;
			insn->mem_is_dst = insn->bitop != HW_BIT_TEST;
		}
		if (insn->opsize == 1)
			return -HW_E_INVALID;
		break;
	case HW_OP_CMPXCHG8B:
		/* /1 with a memory operand; RDRAND and friends are not ours. */
		if ((insn->reg & 7) != 1)
			return -HW_E_UNSUPPORTED;
		if (!insn->has_mem)
			return -HW_E_INVALID;
		insn->opsize = (insn->rex & 0x8) ? 16 : 8;
		/* CMPXCHG16B: #GP(0) unless 16-byte aligned. */
		insn->aligned = insn->opsize == 16;
		break;
	case HW_OP_STOS:
	case HW_OP_MOVS:
	case HW_OP_LODS:
	case HW_OP_CMPS:
	case HW_OP_SCAS:
	case HW_OP_INS:
	case HW_OP_OUTS:
		insn->has_mem = true;
		insn->mem_seg = HW_DS;
		if (insn->op == HW_OP_INS || insn->op == HW_OP_OUTS) {
			if (insn->opsize == 8)
				insn->opsize = 4;
			insn->port_in_dx = true;
		}
		break;
	case HW_OP_IN:
	case HW_OP_OUT:
		if (insn->opsize == 8)
			insn->opsize = 4;
		if (!insn->port_in_dx)
			insn->port = insn->imm & 0xff;
		break;
	default:
		break;
	}
	if (insn->seg_override >= 0 && insn->has_mem &&
	    insn->op != HW_OP_STOS && insn->op != HW_OP_INS &&
	    insn->op != HW_OP_SCAS)
		insn->mem_seg = insn->seg_override;
	/* In 64-bit mode only FS and GS overrides mean anything. */
	if (mode == HW_MODE_64 && insn->mem_seg != HW_FS &&
	    insn->mem_seg != HW_GS)
		insn->mem_seg = HW_DS;

	insn->reg_is_high_byte = insn->opsize == 1 && !insn->rex &&
				 insn->reg_operand >= 4 && insn->reg_operand < 8 &&
				 (flags & F_MODRM);
	if (insn->lock && !(insn->has_mem && insn->mem_is_dst &&
			    (insn->op == HW_OP_ALU || insn->op == HW_OP_XCHG ||
			     insn->op == HW_OP_CMPXCHG ||
			     insn->op == HW_OP_CMPXCHG8B ||
			     insn->op == HW_OP_XADD || insn->op == HW_OP_BITOP ||
			     insn->op == HW_OP_UNARY) &&
			    !(insn->op == HW_OP_ALU && insn->alu == HW_ALU_CMP)))
		return -HW_E_INVALID;
	return 0;
}

static u64 size_mask(unsigned int size)
{
	return size >= 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
}

u64 hw_effective_address(const struct hw_insn *insn, const u64 *gprs,
			 u64 next_rip)
{
	u64 ea = (u64)insn->disp;

	if (insn->rip_relative)
		return (next_rip + ea) & size_mask(insn->addrsize);
	if (insn->base >= 0)
		ea += gprs[insn->base] & size_mask(insn->addrsize);
	if (insn->index >= 0)
		ea += (gprs[insn->index] & size_mask(insn->addrsize)) *
		      insn->scale;
	return ea & size_mask(insn->addrsize);
}

u64 hw_reg_read(const u64 *gprs, unsigned int reg, unsigned int size,
		bool high_byte)
{
	if (size == 1 && high_byte)
		return (gprs[reg - 4] >> 8) & 0xff;
	return gprs[reg] & size_mask(size);
}

void hw_reg_write(u64 *gprs, unsigned int reg, unsigned int size,
		  bool high_byte, u64 val)
{
	switch (size) {
	case 1:
		if (high_byte)
			gprs[reg - 4] = (gprs[reg - 4] & ~0xff00ULL) |
					((val & 0xff) << 8);
		else
			gprs[reg] = (gprs[reg] & ~0xffULL) | (val & 0xff);
		break;
	case 2:
		gprs[reg] = (gprs[reg] & ~0xffffULL) | (val & 0xffff);
		break;
	case 4:
		/* A 32-bit register write zero-extends to 64 bits. */
		gprs[reg] = val & 0xffffffffULL;
		break;
	default:
		gprs[reg] = val;
		break;
	}
}

static bool parity_even(u8 v)
{
	v ^= v >> 4;
	v ^= v >> 2;
	v ^= v >> 1;
	return !(v & 1);
}

static void set_result_flags(unsigned int size, u64 res, u64 *rflags)
{
	u64 mask = size_mask(size);
	u64 sign = 1ULL << (8 * size - 1);

	*rflags &= ~(HW_FLAG_ZF | HW_FLAG_SF | HW_FLAG_PF);
	if (!(res & mask))
		*rflags |= HW_FLAG_ZF;
	if (res & sign)
		*rflags |= HW_FLAG_SF;
	if (parity_even(res & 0xff))
		*rflags |= HW_FLAG_PF;
}

u64 hw_alu(enum hw_alu alu, unsigned int size, u64 dst, u64 src,
	   u64 *rflags)
{
	u64 mask = size_mask(size);
	u64 sign = 1ULL << (8 * size - 1);
	u64 cf_in = (*rflags & HW_FLAG_CF) ? 1 : 0;
	u64 res = 0;
	bool cf = false, of = false, af = false;

	dst &= mask;
	src &= mask;
	switch (alu) {
	case HW_ALU_ADD:
	case HW_ALU_ADC:
		if (alu == HW_ALU_ADD)
			cf_in = 0;
		res = (dst + src + cf_in) & mask;
		cf = cf_in ? res <= dst : res < dst;
		of = (dst ^ res) & (src ^ res) & sign;
		af = (dst ^ src ^ res) & 0x10;
		break;
	case HW_ALU_SUB:
	case HW_ALU_SBB:
	case HW_ALU_CMP:
		if (alu != HW_ALU_SBB)
			cf_in = 0;
		res = (dst - src - cf_in) & mask;
		cf = cf_in ? dst <= src : dst < src;
		of = (dst ^ src) & (dst ^ res) & sign;
		af = (dst ^ src ^ res) & 0x10;
		break;
	case HW_ALU_AND:
		res = dst & src;
		break;
	case HW_ALU_OR:
		res = dst | src;
		break;
	case HW_ALU_XOR:
		res = dst ^ src;
		break;
	}
	*rflags &= ~HW_FLAGS_ARITH;
	if (cf)
		*rflags |= HW_FLAG_CF;
	if (of)
		*rflags |= HW_FLAG_OF;
	if (af)
		*rflags |= HW_FLAG_AF;
	set_result_flags(size, res, rflags);
	return res;
}

void hw_test_flags(unsigned int size, u64 dst, u64 src, u64 *rflags)
{
	hw_alu(HW_ALU_AND, size, dst, src, rflags);
}

u64 hw_bitop(enum hw_bitop op, unsigned int size, u64 val, u64 bit,
	     u64 *rflags)
{
	u64 mask = 1ULL << (bit & (8 * size - 1));

	*rflags &= ~HW_FLAG_CF;
	if (val & mask)
		*rflags |= HW_FLAG_CF;
	switch (op) {
	case HW_BIT_SET:
		return val | mask;
	case HW_BIT_RESET:
		return val & ~mask;
	case HW_BIT_COMPLEMENT:
		return val ^ mask;
	default:
		return val;
	}
}

s64 hw_bitop_displacement(u64 offset, unsigned int size)
{
	s64 bits = (s64)hw_sign_extend(offset, size);
	int shift = size == 2 ? 4 : size == 4 ? 5 : 6;

	return (bits >> shift) * (s64)size;
}

u64 hw_unary(enum hw_unary op, unsigned int size, u64 val, u64 *rflags)
{
	u64 cf = *rflags & HW_FLAG_CF, res;

	switch (op) {
	case HW_UNARY_INC:
		res = hw_alu(HW_ALU_ADD, size, val, 1, rflags);
		*rflags = (*rflags & ~HW_FLAG_CF) | cf;
		return res;
	case HW_UNARY_DEC:
		res = hw_alu(HW_ALU_SUB, size, val, 1, rflags);
		*rflags = (*rflags & ~HW_FLAG_CF) | cf;
		return res;
	case HW_UNARY_NEG:
		/* CF = (val != 0); the rest as 0 - val. */
		return hw_alu(HW_ALU_SUB, size, 0, val, rflags);
	default:
		return ~val & size_mask(size);
	}
}

u64 hw_shift(enum hw_shift op, unsigned int size, u64 val, u64 count,
	     u64 *rflags)
{
	unsigned int bits = 8 * size, n, i;
	u64 mask = size_mask(size), sign = 1ULL << (bits - 1);
	u64 cf = !!(*rflags & HW_FLAG_CF), res, msb;

	count &= size == 8 ? 0x3f : 0x1f;
	val &= mask;
	if (!count)
		return val;	/* no flag changes */

	switch (op) {
	case HW_SHIFT_ROL:
	case HW_SHIFT_ROR:
		n = count % bits;
		if (op == HW_SHIFT_ROL)
			res = n ? ((val << n) | (val >> (bits - n))) & mask : val;
		else
			res = n ? ((val >> n) | (val << (bits - n))) & mask : val;
		msb = !!(res & sign);
		if (op == HW_SHIFT_ROL) {
			cf = res & 1;
			/* OF (count 1): MSB of the result ^ CF. */
			*rflags = (*rflags & ~HW_FLAG_OF) |
				  ((msb ^ cf) ? HW_FLAG_OF : 0);
		} else {
			cf = msb;
			/* OF (count 1): the two top bits of the result differ. */
			*rflags = (*rflags & ~HW_FLAG_OF) |
				  ((msb ^ !!(res & (sign >> 1))) ? HW_FLAG_OF : 0);
		}
		*rflags = (*rflags & ~HW_FLAG_CF) | (cf ? HW_FLAG_CF : 0);
		return res;
	case HW_SHIFT_RCL:
	case HW_SHIFT_RCR:
		n = size == 1 ? count % 9 : size == 2 ? count % 17 : count;
		res = val;
		/* OF of RCR (count 1) is from the operand before the rotate. */
		msb = !!(res & sign);
		if (op == HW_SHIFT_RCR)
			*rflags = (*rflags & ~HW_FLAG_OF) |
				  ((msb ^ cf) ? HW_FLAG_OF : 0);
		for (i = 0; i < n; i++) {
			u64 out;

			if (op == HW_SHIFT_RCL) {
				out = !!(res & sign);
				res = ((res << 1) | cf) & mask;
			} else {
				out = res & 1;
				res = (res >> 1) | (cf ? sign : 0);
			}
			cf = out;
		}
		if (op == HW_SHIFT_RCL)
			*rflags = (*rflags & ~HW_FLAG_OF) |
				  ((!!(res & sign) ^ cf) ? HW_FLAG_OF : 0);
		*rflags = (*rflags & ~HW_FLAG_CF) | (cf ? HW_FLAG_CF : 0);
		return res;
	case HW_SHIFT_SHL:
	case HW_SHIFT_SAL:
		res = count < 64 ? (val << count) & mask : 0;
		cf = count <= bits ? (val >> (bits - count)) & 1 : 0;
		*rflags &= ~HW_FLAGS_ARITH;
		if ((!!(res & sign)) ^ cf)
			*rflags |= HW_FLAG_OF;
		break;
	case HW_SHIFT_SHR:
		res = val >> count;
		cf = (val >> (count - 1)) & 1;
		*rflags &= ~HW_FLAGS_ARITH;
		if (val & sign)
			*rflags |= HW_FLAG_OF;
		break;
	default:	/* SAR */
		if (val & sign)
			val |= ~mask;
		res = (u64)((s64)val >> count) & mask;
		cf = ((s64)val >> (count - 1)) & 1;
		*rflags &= ~HW_FLAGS_ARITH;	/* OF (count 1) is 0 */
		break;
	}
	if (cf)
		*rflags |= HW_FLAG_CF;
	set_result_flags(size, res, rflags);
	return res;
}

u64 hw_shift_undefined(enum hw_shift op, unsigned int size, u64 count)
{
	u64 undef = 0;

	count &= size == 8 ? 0x3f : 0x1f;
	if (!count)
		return 0;
	if (count != 1)
		undef |= HW_FLAG_OF;
	if (op >= HW_SHIFT_SHL) {
		undef |= HW_FLAG_AF;
		if (count >= 8 * size && op != HW_SHIFT_SAR)
			undef |= HW_FLAG_CF;
	}
	return undef;
}

/* ------------------------------------------------------------------------
 * The emulator
 */

u64 hw_addr_mask(unsigned int addrsize)
{
	return size_mask(addrsize);
}

void hw_add_addr_reg(u64 *gprs, unsigned int reg, unsigned int addrsize,
		     s64 delta)
{
	u64 mask = size_mask(addrsize);
	u64 v = gprs[reg];

	gprs[reg] = (v & ~mask) | ((v + delta) & mask);
	if (addrsize == 4)
		gprs[reg] &= mask;	/* 32-bit writes zero-extend */
}

/* Integer operands (at most 8 bytes) through the memory ops. */
static int read_int(struct hw_emul *e, u64 gpa, unsigned int size, u64 *val)
{
	*val = 0;
	return e->ops->read(e, gpa, size, val);
}

static int write_int(struct hw_emul *e, u64 gpa, unsigned int size, u64 val)
{
	return e->ops->write(e, gpa, size, &val);
}

static u64 reg_operand(struct hw_emul *e, unsigned int size)
{
	return hw_reg_read(e->gprs, e->insn->reg_operand, size,
			   e->insn->reg_is_high_byte);
}

static void set_reg_operand(struct hw_emul *e, unsigned int size, u64 val)
{
	hw_reg_write(e->gprs, e->insn->reg_operand, size,
		     e->insn->reg_is_high_byte, val);
}

/* The gpa of the string operand seg:rREG; 1: a fault was queued. */
static int string_gpa(struct hw_emul *e, int seg, int reg, bool write,
		      u64 *gpa)
{
	return e->ops->translate(e, seg, e->gprs[reg] &
				 hw_addr_mask(e->insn->addrsize), write, gpa);
}

/*
 * The source element of MOVS/LODS/OUTS/CMPS ([seg:rSI]) or of STOS/SCAS
 * (rAX) into *val.  As an hw_emul_ops call returns, a queued fault being 2.
 */
static int string_source(struct hw_emul *e, u64 *val)
{
	const struct hw_insn *insn = e->insn;
	u64 gpa;
	int r;

	if (insn->op == HW_OP_STOS || insn->op == HW_OP_SCAS) {
		*val = hw_reg_read(e->gprs, HW_RAX, insn->opsize, false);
		return 0;
	}
	r = string_gpa(e, insn->mem_seg, HW_RSI, false, &gpa);
	if (r)
		return r < 0 ? r : 2;
	return read_int(e, gpa, insn->opsize, val);
}

/* Step rSI and/or rDI by one element, as DF says. */
static void string_step(struct hw_emul *e, bool rsi, bool rdi)
{
	const struct hw_insn *insn = e->insn;
	s64 delta = (e->rflags & HW_FLAG_DF) ? -(s64)insn->opsize :
					       insn->opsize;

	if (rdi)
		hw_add_addr_reg(e->gprs, HW_RDI, insn->addrsize, delta);
	if (rsi)
		hw_add_addr_reg(e->gprs, HW_RSI, insn->addrsize, delta);
}

/* The count of a REP'd string instruction is zero: it does nothing. */
static bool rep_done(struct hw_emul *e)
{
	return e->insn->rep &&
	       !(e->gprs[HW_RCX] & hw_addr_mask(e->insn->addrsize));
}

/* One element of a REP'd instruction is done: true if more are left. */
static bool rep_count(struct hw_emul *e)
{
	if (!e->insn->rep)
		return false;
	hw_add_addr_reg(e->gprs, HW_RCX, e->insn->addrsize, -1);
	return e->gprs[HW_RCX] & hw_addr_mask(e->insn->addrsize);
}

/* The stack slot PUSH writes (rSP - size) or POP reads (rSP). */
static int stack_gpa(struct hw_emul *e, bool push, u64 *gpa)
{
	unsigned int size = e->insn->opsize;
	u64 rsp = e->gprs[HW_RSP] - (push ? size : 0);

	return e->ops->translate(e, HW_SS, rsp & hw_addr_mask(e->stack_size),
				 push, gpa);
}

/*
 * CMPXCHG16B, once the 16 bytes at mem_gpa are read into m: RDX:RAX
 * against them; equal, RCX:RBX go in; else they are written back and
 * loaded into RDX:RAX.  The write is one 16-byte write: on MMIO as a
 * device sees it, on RAM not atomic (there is no 16-byte
 * compare-and-exchange on guest memory here): only the shadow MMU's
 * write-protected page tables would bring it to RAM.
 */
static int cmpxchg16b(struct hw_emul *e, const u64 *m, u64 *rflags)
{
	u64 n[2];
	int r;

	*rflags &= ~HW_FLAG_ZF;
	if (m[0] == e->gprs[HW_RAX] && m[1] == e->gprs[HW_RDX]) {
		*rflags |= HW_FLAG_ZF;
		n[0] = e->gprs[HW_RBX];
		n[1] = e->gprs[HW_RCX];
	} else {
		n[0] = m[0];
		n[1] = m[1];
	}
	r = e->ops->write(e, e->mem_gpa, 16, n);
	if (r < 0)
		return r;
	if (!(*rflags & HW_FLAG_ZF)) {
		e->gprs[HW_RAX] = m[0];
		e->gprs[HW_RDX] = m[1];
	}
	return r;
}

unsigned int hw_mem_access_size(const struct hw_insn *insn)
{
	if (!insn->has_mem)
		return 0;
	switch (insn->op) {
	case HW_OP_MOVZX:
	case HW_OP_MOVSX:
		return insn->src_size;
	case HW_OP_CMPXCHG8B:
		return insn->opsize == 16 ? 16 : 8;
	case HW_OP_BITOP:
		return insn->has_imm ? insn->opsize : 0;
	case HW_OP_STOS:
	case HW_OP_MOVS:
	case HW_OP_LODS:
	case HW_OP_INS:
	case HW_OP_OUTS:
	case HW_OP_CMPS:
	case HW_OP_SCAS:
	case HW_OP_PLAIN:
	case HW_OP_UNKNOWN:
	case HW_OP_IN:
	case HW_OP_OUT:
		return 0;
	default:
		return insn->opsize;
	}
}

int hw_emulate(struct hw_emul *e)
{
	const struct hw_insn *insn = e->insn;
	const struct hw_emul_ops *ops = e->ops;
	unsigned int size = insn->opsize;
	u64 next_rip = e->rip + insn->len;
	u64 mem, src, res, rflags = e->rflags, gpa;
	bool rep_left = false;
	int r = 0;

	/* Every instruction here has a memory operand (a string one too). */
	if (!insn->has_mem)
		return -EOPNOTSUPP;
	/* MOVAPS and its kin: #GP(0) for an unaligned operand. */
	if (insn->aligned && (e->mem_gpa & (insn->opsize - 1))) {
		ops->exception(e, HW_VEC_GP, 0);
		return 0;
	}
	if (insn->mode != HW_MODE_64)
		next_rip &= 0xffffffffULL;

	switch (insn->op) {
	case HW_OP_MOV_STORE:
		src = insn->has_imm ? insn->imm : reg_operand(e, size);
		r = write_int(e, e->mem_gpa, size, src);
		break;
	case HW_OP_MOV_LOAD:
	case HW_OP_MOVZX:
	case HW_OP_MOVSX:
		if (insn->op != HW_OP_MOV_LOAD)
			size = insn->src_size;
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		if (insn->op == HW_OP_MOVSX)
			mem = hw_sign_extend(mem, size);
		set_reg_operand(e, insn->opsize, mem);
		break;
	case HW_OP_TEST:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		src = insn->has_imm ? insn->imm : reg_operand(e, size);
		hw_test_flags(size, mem, src, &rflags);
		break;
	case HW_OP_ALU:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		if (!insn->mem_is_dst) {
			/* reg op= mem */
			res = hw_alu(insn->alu, size, reg_operand(e, size), mem,
				     &rflags);
			if (insn->alu != HW_ALU_CMP)
				set_reg_operand(e, size, res);
			break;
		}
		src = insn->has_imm ? insn->imm : reg_operand(e, size);
		res = hw_alu(insn->alu, size, mem, src, &rflags);
		if (insn->alu != HW_ALU_CMP)
			r = ops->rmw_write(e, e->mem_gpa, size, mem, res);
		break;
	case HW_OP_XCHG:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		r = ops->rmw_write(e, e->mem_gpa, size, mem,
				   reg_operand(e, size));
		if (r < 0)
			return r;
		set_reg_operand(e, size, mem);
		break;
	case HW_OP_STOS:
	case HW_OP_MOVS:
	case HW_OP_LODS:
		if (rep_done(e))
			break;
		r = string_source(e, &src);
		if (r)
			return r == 2 ? 0 : r;
		if (insn->op == HW_OP_LODS) {
			hw_reg_write(e->gprs, HW_RAX, size, false, src);
		} else {
			r = string_gpa(e, HW_ES, HW_RDI, true, &gpa);
			if (r)
				return r < 0 ? r : 0;
			r = write_int(e, gpa, size, src);
			if (r < 0)
				return r;
		}
		string_step(e, insn->op != HW_OP_STOS, insn->op != HW_OP_LODS);
		rep_left = rep_count(e);
		break;
	case HW_OP_CMPS:
	case HW_OP_SCAS:
		if (rep_done(e))
			break;
		r = string_source(e, &src);
		if (r)
			return r == 2 ? 0 : r;
		r = string_gpa(e, HW_ES, HW_RDI, false, &gpa);
		if (r)
			return r < 0 ? r : 0;
		r = read_int(e, gpa, size, &mem);
		if (r)
			return r;
		hw_alu(HW_ALU_CMP, size, src, mem, &rflags);
		string_step(e, insn->op == HW_OP_CMPS, true);
		/* REPE goes on while equal, REPNE while not. */
		rep_left = rep_count(e) &&
			   !!(rflags & HW_FLAG_ZF) == (insn->rep == 0xf3);
		break;
	case HW_OP_CMPXCHG:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		src = hw_reg_read(e->gprs, HW_RAX, size, false);
		hw_alu(HW_ALU_CMP, size, src, mem, &rflags);
		/* Equal: the source goes in; else memory is written back. */
		res = (rflags & HW_FLAG_ZF) ? reg_operand(e, size) : mem;
		r = ops->rmw_write(e, e->mem_gpa, size, mem, res);
		if (r < 0)
			return r;
		if (!(rflags & HW_FLAG_ZF))
			hw_reg_write(e->gprs, HW_RAX, size, false, mem);
		break;
	case HW_OP_CMPXCHG8B:
		if (size == 16) {
			u64 m[2];

			r = ops->read(e, e->mem_gpa, 16, m);
			if (r)
				return r;
			r = cmpxchg16b(e, m, &rflags);
			break;
		}
		r = read_int(e, e->mem_gpa, 8, &mem);
		if (r)
			return r;
		src = (e->gprs[HW_RDX] << 32) | (u32)e->gprs[HW_RAX];
		rflags &= ~HW_FLAG_ZF;
		if (mem == src) {
			rflags |= HW_FLAG_ZF;
			res = (e->gprs[HW_RCX] << 32) | (u32)e->gprs[HW_RBX];
		} else {
			res = mem;
		}
		r = ops->rmw_write(e, e->mem_gpa, 8, mem, res);
		if (r < 0)
			return r;
		if (mem != src) {
			e->gprs[HW_RAX] = (u32)mem;
			e->gprs[HW_RDX] = mem >> 32;
		}
		break;
	case HW_OP_XADD:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		res = hw_alu(HW_ALU_ADD, size, mem, reg_operand(e, size),
			     &rflags);
		r = ops->rmw_write(e, e->mem_gpa, size, mem, res);
		if (r < 0)
			return r;
		set_reg_operand(e, size, mem);
		break;
	case HW_OP_BITOP:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		src = insn->has_imm ? insn->imm : reg_operand(e, size);
		res = hw_bitop(insn->bitop, size, mem, src, &rflags);
		if (insn->bitop != HW_BIT_TEST)
			r = ops->rmw_write(e, e->mem_gpa, size, mem, res);
		break;
	case HW_OP_UNARY:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		res = hw_unary(insn->unary, size, mem, &rflags);
		r = ops->rmw_write(e, e->mem_gpa, size, mem, res);
		break;
	case HW_OP_SHIFT:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		src = insn->count_in_cl ? e->gprs[HW_RCX] & 0xff :
		      insn->has_imm ? insn->imm & 0xff : 1;
		res = hw_shift(insn->shift, size, mem, src, &rflags);
		/* A count of 0 changes nothing: no write to the device. */
		if (src & (size == 8 ? 0x3f : 0x1f))
			r = ops->rmw_write(e, e->mem_gpa, size, mem, res);
		break;
	case HW_OP_PUSH:
		r = read_int(e, e->mem_gpa, size, &mem);
		if (r)
			return r;
		r = stack_gpa(e, true, &gpa);
		if (r)
			return r < 0 ? r : 0;
		r = write_int(e, gpa, size, mem);
		if (r < 0)
			return r;
		hw_add_addr_reg(e->gprs, HW_RSP, e->stack_size, -(s64)size);
		break;
	case HW_OP_POP:
		r = stack_gpa(e, false, &gpa);
		if (r)
			return r < 0 ? r : 0;
		r = read_int(e, gpa, size, &mem);
		if (r)
			return r;
		r = write_int(e, e->mem_gpa, size, mem);
		if (r < 0)
			return r;
		hw_add_addr_reg(e->gprs, HW_RSP, e->stack_size, size);
		break;
	case HW_OP_VEC_LOAD: {
		u8 v[HW_EMUL_MAX_ACCESS] = { 0 };

		r = ops->read(e, e->mem_gpa, size, v);
		if (r)
			return r;
		ops->set_xmm(e, insn->reg_operand, v);
		break;
	}
	case HW_OP_VEC_STORE: {
		u8 v[HW_EMUL_MAX_ACCESS];

		ops->get_xmm(e, insn->reg_operand, v);
		r = ops->write(e, e->mem_gpa, size, v);
		break;
	}
	default:
		return -EOPNOTSUPP;
	}
	if (r < 0)
		return r;
	e->rflags = rflags;
	if (!rep_left)
		e->rip = next_rip;
	return r;
}
