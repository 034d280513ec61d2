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
#include <linux/string.h>
#else
#include <string.h>
#endif

#include "emulate.h"

/* Opcode properties, one-byte map. */
#define F_MODRM		(1 << 0)
#define F_BYTE		(1 << 1)	/* operand size is 1 */
#define F_IMM8		(1 << 2)
#define F_IMMZ		(1 << 3)	/* 16 or 32 bits, by operand size */
#define F_MOFFS		(1 << 4)	/* an offset of the address size */

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
	case 0xcf:		/* IRET */
	case 0xf1:		/* ICEBP */
	case 0xf4:		/* HLT */
		insn->op = HW_OP_PLAIN;
		return 0;
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
	case 0xff:		/* group 5 Ev: INC, DEC (CALL, JMP, PUSH: not ours) */
		insn->op = HW_OP_UNARY;
		insn->mem_is_dst = true;
		return F_MODRM | (op == 0xfe ? F_BYTE : 0);
	}
	return -1;
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
		case 0x26:
			insn->seg_override = HW_ES;
			break;
		case 0x2e:
			insn->seg_override = HW_CS;
			break;
		case 0x36:
			insn->seg_override = HW_SS;
			break;
		case 0x3e:
			insn->seg_override = HW_DS;
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
			if (b != 0x82 || !opsize_prefix)
				return -HW_E_UNSUPPORTED;
			insn->op = HW_OP_PLAIN;
			flags = F_MODRM;
		} else {
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
		/* Groups 4 and 5: /0 INC, /1 DEC; the rest is not ours. */
		if ((insn->reg & 7) > 1)
			return -HW_E_UNSUPPORTED;
		insn->unary = (insn->reg & 7) ? HW_UNARY_DEC : HW_UNARY_INC;
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
