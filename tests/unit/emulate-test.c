/*
 * Unit tests of the instruction decoder and emulator helpers
 * (linux-module/emulate.c), built in userspace.  The arithmetic flags are
 * checked against this machine's own CPU.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulate.h"

#include "tap.h"

struct dcase {
	const char *name;
	enum hw_cpu_mode mode;
	const char *bytes;	/* hex */
	int len, op, opsize, addrsize;
	int base, index, scale;
	long long disp;
	int reg, mem_seg;
	unsigned long long imm;
};

#define NONE -1

static const struct dcase dcases[] = {
	/* name, mode, bytes, len, op, opsize, addrsize, base, index, scale, disp, reg, seg, imm */
	{ "mov [rbx],eax", HW_MODE_64, "8903", 2, HW_OP_MOV_STORE, 4, 8, HW_RBX, NONE, 1, 0, HW_RAX, HW_DS, 0 },
	{ "mov [rbx+8],rax", HW_MODE_64, "48894308", 4, HW_OP_MOV_STORE, 8, 8, HW_RBX, NONE, 1, 8, HW_RAX, HW_DS, 0 },
	{ "mov r9d,[r12+r13*4-0x10]", HW_MODE_64, "478b4cacf0", 5, HW_OP_MOV_LOAD, 4, 8, HW_R12, HW_R13, 4, -16, HW_R9, HW_DS, 0 },
	{ "mov [rip+0x100],ecx", HW_MODE_64, "890d00010000", 6, HW_OP_MOV_STORE, 4, 8, NONE, NONE, 1, 0x100, HW_RCX, HW_DS, 0 },
	{ "mov dword [rax],imm", HW_MODE_64, "c70078563412", 6, HW_OP_MOV_STORE, 4, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0x12345678 },
	{ "mov qword [rax],-1", HW_MODE_64, "48c700ffffffff", 7, HW_OP_MOV_STORE, 8, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0xffffffffffffffffULL },
	{ "mov byte [rbp],0x5a", HW_MODE_64, "c645005a", 4, HW_OP_MOV_STORE, 1, 8, HW_RBP, NONE, 1, 0, 0, HW_DS, 0x5a },
	{ "movzx eax,word [rdi]", HW_MODE_64, "0fb707", 3, HW_OP_MOVZX, 4, 8, HW_RDI, NONE, 1, 0, HW_RAX, HW_DS, 0 },
	{ "movsxd rax,[rsi]", HW_MODE_64, "486306", 3, HW_OP_MOVSX, 8, 8, HW_RSI, NONE, 1, 0, HW_RAX, HW_DS, 0 },
	{ "mov fs:[rax],ebx", HW_MODE_64, "648918", 3, HW_OP_MOV_STORE, 4, 8, HW_RAX, NONE, 1, 0, HW_RBX, HW_FS, 0 },
	{ "mov eax,[disp32] (sib)", HW_MODE_64, "8b042500100000", 7, HW_OP_MOV_LOAD, 4, 8, NONE, NONE, 1, 0x1000, HW_RAX, HW_DS, 0 },
	{ "or [rdx],esi", HW_MODE_64, "0932", 2, HW_OP_ALU, 4, 8, HW_RDX, NONE, 1, 0, HW_RSI, HW_DS, 0 },
	{ "and dword [rcx],0xfffffffe", HW_MODE_64, "8321fe", 3, HW_OP_ALU, 4, 8, HW_RCX, NONE, 1, 0, 4, HW_DS, 0xfffffffffffffffeULL },
	{ "test byte [rax],1", HW_MODE_64, "f60001", 3, HW_OP_TEST, 1, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 1 },
	{ "xchg [rbx],ecx", HW_MODE_64, "870b", 2, HW_OP_XCHG, 4, 8, HW_RBX, NONE, 1, 0, HW_RCX, HW_DS, 0 },
	{ "lock or [rbx],eax", HW_MODE_64, "f00903", 3, HW_OP_ALU, 4, 8, HW_RBX, NONE, 1, 0, HW_RAX, HW_DS, 0 },
	{ "mov [rsp+8],eax", HW_MODE_64, "89442408", 4, HW_OP_MOV_STORE, 4, 8, HW_RSP, NONE, 1, 8, HW_RAX, HW_DS, 0 },
	{ "mov ax,[bx+si+2] (16)", HW_MODE_16, "8b4002", 3, HW_OP_MOV_LOAD, 2, 2, HW_RBX, HW_RSI, 1, 2, HW_RAX, HW_DS, 0 },
	{ "mov [bp-2],al (16)", HW_MODE_16, "8846fe", 3, HW_OP_MOV_STORE, 1, 2, HW_RBP, NONE, 1, -2, HW_RAX, HW_SS, 0 },
	{ "mov word [0x1234],0xbeef (16)", HW_MODE_16, "c7063412efbe", 6, HW_OP_MOV_STORE, 2, 2, NONE, NONE, 1, 0x1234, 0, HW_DS, 0xffffffffffffbeefULL },
	{ "mov eax,[4] o32 (16)", HW_MODE_16, "66a10400", 4, HW_OP_MOV_LOAD, 4, 2, NONE, NONE, 1, 4, HW_RAX, HW_DS, 0 },
	{ "movzx ebx,byte [8] (16)", HW_MODE_16, "660fb61e0800", 6, HW_OP_MOVZX, 4, 2, NONE, NONE, 1, 8, HW_RBX, HW_DS, 0 },
	{ "mov es:[di],ax a32 (16)", HW_MODE_16, "266789 07", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "rep stosw (16)", HW_MODE_16, "f3ab", 2, HW_OP_STOS, 2, 2, NONE, NONE, 0, 0, 0, HW_DS, 0 },
	{ "rep movsb (32)", HW_MODE_32, "f3a4", 2, HW_OP_MOVS, 1, 4, NONE, NONE, 0, 0, 0, HW_DS, 0 },
	{ "rep outsd es: (32)", HW_MODE_32, "f3266f", 3, HW_OP_OUTS, 4, 4, NONE, NONE, 0, 0, 0, HW_ES, 0 },
	{ "rep insd (64)", HW_MODE_64, "f36d", 2, HW_OP_INS, 4, 8, NONE, NONE, 0, 0, 0, HW_DS, 0 },
	{ "cpuid", HW_MODE_64, "0fa2", 2, HW_OP_PLAIN, 4, 8, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "hlt", HW_MODE_16, "f4", 1, HW_OP_PLAIN, 2, 2, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "xsetbv", HW_MODE_64, "0f01d1", 3, HW_OP_PLAIN, 4, 8, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "wrmsr", HW_MODE_32, "0f30", 2, HW_OP_PLAIN, 4, 4, NONE, NONE, 0, 0, 0, 0, 0 },
	/* What switches tasks: task.c needs their lengths. */
	{ "ljmp 0x80:0 (32)", HW_MODE_32, "ea0000000080 00", 7, HW_OP_PLAIN, 4, 4, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "lcall 0x80:0 o16 (32)", HW_MODE_32, "669a00008000", 6, HW_OP_PLAIN, 2, 4, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "ljmp 0x80:0 (16)", HW_MODE_16, "ea00008000", 5, HW_OP_PLAIN, 2, 2, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "int 0x90 (32)", HW_MODE_32, "cd90", 2, HW_OP_PLAIN, 4, 4, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "into (32)", HW_MODE_32, "ce", 1, HW_OP_PLAIN, 4, 4, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "int3 (64)", HW_MODE_64, "cc", 1, HW_OP_PLAIN, 4, 8, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "mov rax,cr3", HW_MODE_64, "0f20d8", 3, HW_OP_PLAIN, 4, 8, NONE, NONE, 0, 0, 3, 0, 0 },
	{ "out dx,al", HW_MODE_16, "ee", 1, HW_OP_OUT, 1, 2, NONE, NONE, 0, 0, 0, 0, 0 },
	{ "in eax,0x71", HW_MODE_32, "e571", 2, HW_OP_IN, 4, 4, NONE, NONE, 0, 0, 0, 0, 0x71 },
	/* What page-table updates use (the shadow MMU emulates them). */
	{ "lock cmpxchg [rdi],rsi", HW_MODE_64, "f0480fb137", 5, HW_OP_CMPXCHG, 8, 8, HW_RDI, NONE, 1, 0, HW_RSI, HW_DS, 0 },
	{ "cmpxchg [ebx],cl (32)", HW_MODE_32, "0fb00b", 3, HW_OP_CMPXCHG, 1, 4, HW_RBX, NONE, 1, 0, HW_RCX, HW_DS, 0 },
	{ "lock xadd [rbx],ecx", HW_MODE_64, "f00fc10b", 4, HW_OP_XADD, 4, 8, HW_RBX, NONE, 1, 0, HW_RCX, HW_DS, 0 },
	{ "lock btr [rdi],rax", HW_MODE_64, "f0480fb307", 5, HW_OP_BITOP, 8, 8, HW_RDI, NONE, 1, 0, HW_RAX, HW_DS, 0 },
	{ "lock btr qword [rdi],5", HW_MODE_64, "f0480fba3705", 6, HW_OP_BITOP, 8, 8, HW_RDI, NONE, 1, 0, 0, HW_DS, 5 },
	{ "bts dword [eax],1 (32)", HW_MODE_32, "0fba2801", 4, HW_OP_BITOP, 4, 4, HW_RAX, NONE, 1, 0, 0, HW_DS, 1 },
	{ "lock cmpxchg8b [esi] (32)", HW_MODE_32, "f00fc70e", 4, HW_OP_CMPXCHG8B, 8, 4, HW_RSI, NONE, 1, 0, 0, HW_DS, 0 },
	{ "cmpxchg16b [rdi]", HW_MODE_64, "480fc70f", 4, HW_OP_CMPXCHG8B, 16, 8, HW_RDI, NONE, 1, 0, 0, HW_DS, 0 },
	{ "inc dword [rax]", HW_MODE_64, "ff00", 2, HW_OP_UNARY, 4, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "lock dec qword [rcx+8]", HW_MODE_64, "f048ff4908", 5, HW_OP_UNARY, 8, 8, HW_RCX, NONE, 1, 8, 0, HW_DS, 0 },
	{ "not byte [rbx] (no imm)", HW_MODE_64, "f613", 2, HW_OP_UNARY, 1, 8, HW_RBX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "neg qword [rcx]", HW_MODE_64, "48f719", 3, HW_OP_UNARY, 8, 8, HW_RCX, NONE, 1, 0, 0, HW_DS, 0 },
	/* Group 2, PUSH/POP with a memory operand, SSE moves. */
	{ "shl byte [rax],1", HW_MODE_64, "d020", 2, HW_OP_SHIFT, 1, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "sar dword [rbx],cl", HW_MODE_64, "d33b", 2, HW_OP_SHIFT, 4, 8, HW_RBX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "rol qword [rcx],5", HW_MODE_64, "48c10105", 4, HW_OP_SHIFT, 8, 8, HW_RCX, NONE, 1, 0, 0, HW_DS, 5 },
	{ "push qword [rax]", HW_MODE_64, "ff30", 2, HW_OP_PUSH, 8, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "push word [rax] (66)", HW_MODE_64, "66ff30", 3, HW_OP_PUSH, 2, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "push qword [rax] (66 REX.W)", HW_MODE_64, "6648ff30", 4, HW_OP_PUSH, 8, 8, HW_RAX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "pop qword [rbx+8]", HW_MODE_64, "8f4308", 3, HW_OP_POP, 8, 8, HW_RBX, NONE, 1, 8, 0, HW_DS, 0 },
	{ "pop dword [ebx] (32)", HW_MODE_32, "8f03", 2, HW_OP_POP, 4, 4, HW_RBX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "movdqu xmm1,[rax]", HW_MODE_64, "f30f6f08", 4, HW_OP_VEC_LOAD, 16, 8, HW_RAX, NONE, 1, 0, 1, HW_DS, 0 },
	{ "movaps [rdx],xmm0", HW_MODE_64, "0f2902", 3, HW_OP_VEC_STORE, 16, 8, HW_RDX, NONE, 1, 0, 0, HW_DS, 0 },
	{ "movd [rax],xmm2", HW_MODE_64, "660f7e10", 4, HW_OP_VEC_STORE, 4, 8, HW_RAX, NONE, 1, 0, 2, HW_DS, 0 },
	{ "movq [rax],xmm10", HW_MODE_64, "664c0f7e10", 5, HW_OP_VEC_STORE, 8, 8, HW_RAX, NONE, 1, 0, 10, HW_DS, 0 },
	{ "movq xmm3,[rax]", HW_MODE_64, "f30f7e18", 4, HW_OP_VEC_LOAD, 8, 8, HW_RAX, NONE, 1, 0, 3, HW_DS, 0 },
	{ "movss xmm0,[rsi]", HW_MODE_64, "f30f1006", 4, HW_OP_VEC_LOAD, 4, 8, HW_RSI, NONE, 1, 0, 0, HW_DS, 0 },
	{ "movntdqa xmm0,[rsi]", HW_MODE_64, "660f382a06", 5, HW_OP_VEC_LOAD, 16, 8, HW_RSI, NONE, 1, 0, 0, HW_DS, 0 },
	{ "mov eax,fs:cs:[rax] (64: CS ignored)", HW_MODE_64, "642e8b00", 4, HW_OP_MOV_LOAD, 4, 8, HW_RAX, NONE, 1, 0, HW_RAX, HW_FS, 0 },
	{ "mov ax,ss:[bx] (16)", HW_MODE_16, "368b07", 3, HW_OP_MOV_LOAD, 2, 2, HW_RBX, NONE, 1, 0, HW_RAX, HW_SS, 0 },
};

/* Instructions the decoder must refuse, and how. */
static const struct {
	const char *name;
	enum hw_cpu_mode mode;
	const char *bytes;
	int err;
} refused[] = {
	{ "lock cmp [rbx],eax", HW_MODE_64, "f03903", HW_E_INVALID },
	{ "lock mov [rbx],eax", HW_MODE_64, "f08903", HW_E_INVALID },
	{ "group 8 /0 (0fba /0 is no BT)", HW_MODE_64, "0fba0005", HW_E_INVALID },
	{ "call [rax] (ff /2)", HW_MODE_64, "ff10", HW_E_UNSUPPORTED },
	{ "mul dword [rax]", HW_MODE_64, "f720", HW_E_UNSUPPORTED },
	{ "rdrand eax (0fc7 /6)", HW_MODE_64, "0fc7f0", HW_E_UNSUPPORTED },
	{ "cmpxchg8b eax (register)", HW_MODE_64, "0fc7c8", HW_E_INVALID },
	{ "8f /1 (no POP)", HW_MODE_64, "8f08", HW_E_UNSUPPORTED },
	{ "movq mm1,[rax] (MMX)", HW_MODE_64, "0f6f08", HW_E_UNSUPPORTED },
	{ "lock movdqu", HW_MODE_64, "f0f30f6f08", HW_E_INVALID },
	{ "ljmp ptr (64: no such form)", HW_MODE_64, "ea0000000080 00", HW_E_UNSUPPORTED },
	{ "into (64)", HW_MODE_64, "ce", HW_E_UNSUPPORTED },
};

static int hexbytes(const char *s, unsigned char *out)
{
	int n = 0;

	while (*s) {
		unsigned int b;

		if (*s == ' ') {
			s++;
			continue;
		}
		sscanf(s, "%2x", &b);
		out[n++] = b;
		s += 2;
	}
	return n;
}

static void test_decode_table(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		const struct dcase *c = &dcases[i];
		unsigned char buf[16];
		struct hw_insn insn;
		int n = hexbytes(c->bytes, buf), r, good;

		r = hw_decode(&insn, buf, n, c->mode);
		if (!c->len) {
			/* A case written to document a limit: it must not crash. */
			result(1, "decode %s: no crash (r=%d)", c->name, r);
			continue;
		}
		good = !r && insn.len == c->len && (int)insn.op == c->op &&
		       insn.opsize == c->opsize && insn.addrsize == c->addrsize;
		if (good && c->scale) {
			good = insn.has_mem && insn.base == c->base &&
			       insn.index == c->index && insn.scale == c->scale &&
			       insn.disp == c->disp && insn.mem_seg == c->mem_seg;
		}
		if (good && (c->op == HW_OP_MOV_STORE || c->op == HW_OP_MOV_LOAD ||
			     c->op == HW_OP_MOVZX || c->op == HW_OP_MOVSX ||
			     c->op == HW_OP_XCHG || c->op == HW_OP_CMPXCHG ||
			     c->op == HW_OP_XADD || c->op == HW_OP_BITOP) &&
		    !insn.has_imm)
			good = insn.reg_operand == c->reg;
		if (good && c->imm && c->op != HW_OP_SHIFT)
			good = insn.has_imm ? insn.imm == c->imm :
				insn.port == c->imm;
		if (good && (c->op == HW_OP_VEC_LOAD || c->op == HW_OP_VEC_STORE))
			good = insn.reg_operand == c->reg;
		if (good && c->op == HW_OP_SHIFT && c->imm)
			good = insn.has_imm && insn.imm == c->imm;
		if (good && (c->op == HW_OP_OUTS))
			good = insn.mem_seg == c->mem_seg && insn.rep;
		result(good, "decode %s (r=%d len=%d op=%d opsize=%d addrsize=%d base=%d index=%d disp=%lld imm=%#llx)",
		       c->name, r, insn.len, insn.op, insn.opsize,
		       insn.addrsize, insn.base, insn.index,
		       (long long)insn.disp, (unsigned long long)insn.imm);
	}
}

static void test_refused(void)
{
	unsigned int i;

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		unsigned char buf[16];
		struct hw_insn insn;
		int n = hexbytes(refused[i].bytes, buf);
		int r = hw_decode(&insn, buf, n, refused[i].mode);

		result(r == -refused[i].err, "decode refuses %s (r=%d)",
		       refused[i].name, r);
	}
}

static void test_truncation(void)
{
	unsigned int i;
	int bad = 0;

	/* Every proper prefix of a decodable instruction is TRUNCATED. */
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		unsigned char buf[16];
		struct hw_insn insn;
		int n = hexbytes(dcases[i].bytes, buf), k;

		if (!dcases[i].len)
			continue;
		for (k = 0; k < n; k++)
			if (hw_decode(&insn, buf, k, dcases[i].mode) != -HW_E_TRUNCATED)
				bad++;
	}
	result(!bad, "decode: every cut-short instruction is TRUNCATED (%d wrong)", bad);
}

static void test_random_bytes(void)
{
	unsigned char buf[16];
	struct hw_insn insn;
	int i, k, bad = 0;

	srand(1234);
	for (i = 0; i < 200000; i++) {
		for (k = 0; k < 16; k++)
			buf[k] = rand();
		if (!hw_decode(&insn, buf, 15, i % 3) &&
		    (insn.len < 1 || insn.len > 15 || insn.opsize > 16 ||
		     (insn.has_mem && insn.base >= 16) || insn.index >= 16))
			bad++;
	}
	result(!bad, "decode: 200000 random byte strings, no nonsense (%d)", bad);
}

static void test_effective_address(void)
{
	unsigned long long gprs[16] = { 0 };
	unsigned char buf[16];
	struct hw_insn insn;
	int n;

	gprs[HW_RBX] = 0xfff0;
	gprs[HW_RSI] = 0x20;
	n = hexbytes("8b4002", buf);		/* mov ax,[bx+si+2] */
	hw_decode(&insn, buf, n, HW_MODE_16);
	result(hw_effective_address(&insn, (u64 *)gprs, 0) == 0x12,
	       "ea: 16-bit addressing wraps at 64 KiB");
	gprs[HW_R12] = 0x1000;
	gprs[HW_R13] = 0x10;
	n = hexbytes("478b4cacf0", buf);
	hw_decode(&insn, buf, n, HW_MODE_64);
	result(hw_effective_address(&insn, (u64 *)gprs, 0) == 0x1030,
	       "ea: base + index*4 - 16");
	n = hexbytes("890d00010000", buf);
	hw_decode(&insn, buf, n, HW_MODE_64);
	result(hw_effective_address(&insn, (u64 *)gprs, 0x400006) == 0x400106,
	       "ea: RIP-relative from the next instruction");
}

static void test_registers(void)
{
	u64 g[16] = { 0 };

	g[HW_RAX] = 0x1122334455667788ULL;
	hw_reg_write(g, HW_RAX, 1, 0, 0xaa);
	result(g[HW_RAX] == 0x11223344556677aaULL, "reg: byte write keeps the rest");
	hw_reg_write(g, HW_RSP, 1, 1, 0xbb);	/* AH */
	result(g[HW_RAX] == 0x112233445566bbaaULL, "reg: AH write");
	result(hw_reg_read(g, HW_RSP, 1, 1) == 0xbb, "reg: AH read");
	hw_reg_write(g, HW_RAX, 2, 0, 0xcccc);
	result(g[HW_RAX] == 0x112233445566ccccULL, "reg: word write keeps the rest");
	hw_reg_write(g, HW_RAX, 4, 0, 0xdddddddd);
	result(g[HW_RAX] == 0xddddddddULL, "reg: dword write zero-extends");
	result(hw_sign_extend(0x80, 1) == 0xffffffffffffff80ULL &&
	       hw_sign_extend(0x7fff, 2) == 0x7fff, "reg: sign extension");
}

/* The host CPU's flags for dst op src, size bytes. */
static u64 host_flags(enum hw_alu alu, int size, u64 dst, u64 src, u64 cf_in,
		      u64 *res)
{
	u64 flags_in = cf_in ? 1 : 0, flags = 0;

#define RUN(insn, reg) \
	__asm__ volatile("push %[fi]; popf; " insn " %" reg "[s], %" reg "[d]; pushf; pop %[f]" \
			 : [d] "+r" (dst), [f] "=r" (flags) \
			 : [s] "r" (src), [fi] "r" (flags_in) : "cc")
#define SIZES(mnem) \
	switch (size) { \
	case 1: RUN(mnem "b", "b"); break; \
	case 2: RUN(mnem "w", "w"); break; \
	case 4: RUN(mnem "l", "k"); break; \
	default: RUN(mnem "q", "q"); break; \
	}
	switch (alu) {
	case HW_ALU_ADD: SIZES("add"); break;
	case HW_ALU_OR: SIZES("or"); break;
	case HW_ALU_ADC: SIZES("adc"); break;
	case HW_ALU_SBB: SIZES("sbb"); break;
	case HW_ALU_AND: SIZES("and"); break;
	case HW_ALU_SUB: SIZES("sub"); break;
	case HW_ALU_XOR: SIZES("xor"); break;
	case HW_ALU_CMP: SIZES("cmp"); break;
	}
	*res = dst;
	return flags;
}

static void test_alu_flags(void)
{
	static const u64 vals[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
		0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, 0xffffffffffffffffULL, 0x12345678,
		0x0f0f0f0f0f0f0f0fULL,
	};
	static const int sizes[] = { 1, 2, 4, 8 };
	int a, i, j, s, c, bad = 0, n = 0;

	for (a = HW_ALU_ADD; a <= HW_ALU_CMP; a++)
		for (s = 0; s < 4; s++)
			for (i = 0; i < 17; i++)
				for (j = 0; j < 17; j++)
					for (c = 0; c < 2; c++) {
						int size = sizes[s];
						u64 mask = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
						u64 want_res, fl = c, got, want;
						u64 keep = HW_FLAG_CF | HW_FLAG_ZF | HW_FLAG_SF |
							   HW_FLAG_OF | HW_FLAG_PF;

						want = host_flags(a, size, vals[i], vals[j], c, &want_res);
						got = hw_alu(a, size, vals[i], vals[j], &fl);
						/* AF is defined for arithmetic only. */
						if (a != HW_ALU_AND && a != HW_ALU_OR && a != HW_ALU_XOR)
							keep |= HW_FLAG_AF;
						n++;
						if ((fl & keep) != (want & keep) ||
						    (a != HW_ALU_CMP && (got & mask) != (want_res & mask)))
							bad++;
					}
	result(!bad, "alu: %d operations match this CPU's results and flags (%d differ)", n, bad);
}

/* BT/BTS/BTR/BTC and INC/DEC/NOT/NEG against this machine's CPU. */
static void test_bit_unary_flags(void)
{
	static const u64 vals[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, 0xffffffffffffffffULL, 0x5a5a5a5a5a5a5a5aULL,
	};
	static const int sizes[] = { 1, 2, 4, 8 };
	u64 keep = HW_FLAG_CF | HW_FLAG_ZF | HW_FLAG_SF | HW_FLAG_OF |
		   HW_FLAG_PF | HW_FLAG_AF;
	int i, s, b, op, c, bad = 0, n = 0;

	for (i = 0; i < 15; i++) {
		for (b = 0; b < 64; b += 7) {
			for (op = HW_BIT_TEST; op <= HW_BIT_COMPLEMENT; op++) {
				for (s = 1; s < 4; s++) {
					u64 v = vals[i], hf = 0, fl = 0, got, want = v;
					int size = sizes[s];

#define BITOP(mn, sfx, reg) __asm__("bt" mn sfx " %" reg "[b], %" reg "[v]; pushf; pop %[f]" \
				: [v] "+r" (want), [f] "=r" (hf) : [b] "r" ((u64)b) : "cc")
#define BITSIZES(mn) switch (size) { \
	case 2: BITOP(mn, "w", "w"); break; \
	case 4: BITOP(mn, "l", "k"); break; \
	default: BITOP(mn, "q", "q"); break; }
					switch (op) {
					case HW_BIT_TEST: BITSIZES(""); break;
					case HW_BIT_SET: BITSIZES("s"); break;
					case HW_BIT_RESET: BITSIZES("r"); break;
					default: BITSIZES("c"); break;
					}
					got = hw_bitop(op, size, v, b, &fl);
					n++;
					if ((fl & HW_FLAG_CF) != (hf & HW_FLAG_CF) ||
					    (got & ((size == 8) ? ~0ULL : (1ULL << (8 * size)) - 1)) !=
					    (want & ((size == 8) ? ~0ULL : (1ULL << (8 * size)) - 1)))
						bad++;
				}
			}
		}
		for (op = HW_UNARY_INC; op <= HW_UNARY_NEG; op++) {
			for (s = 0; s < 4; s++) {
				for (c = 0; c < 2; c++) {
					u64 v = vals[i], hf = 0, fl = c, got, want = v, fi = c;
					int size = sizes[s];
					u64 m = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;

#define UN(mn, sfx, reg) __asm__("push %[fi]; popf; " mn sfx " %" reg "[v]; pushf; pop %[f]" \
				: [v] "+r" (want), [f] "=r" (hf) : [fi] "r" (fi) : "cc")
#define UNSIZES(mn) switch (size) { \
	case 1: UN(mn, "b", "b"); break; \
	case 2: UN(mn, "w", "w"); break; \
	case 4: UN(mn, "l", "k"); break; \
	default: UN(mn, "q", "q"); break; }
					switch (op) {
					case HW_UNARY_INC: UNSIZES("inc"); break;
					case HW_UNARY_DEC: UNSIZES("dec"); break;
					case HW_UNARY_NOT: UNSIZES("not"); break;
					default: UNSIZES("neg"); break;
					}
					got = hw_unary(op, size, v, &fl);
					n++;
					if ((got & m) != (want & m) ||
					    (op != HW_UNARY_NOT && (fl & keep) != (hf & keep)) ||
					    (op == HW_UNARY_NOT && (fl & keep) != (u64)c))
						bad++;
				}
			}
		}
	}
	result(!bad, "bitop/unary: %d operations match this CPU (%d differ)", n, bad);
	result(hw_bitop_displacement(70, 8) == 8 &&
	       hw_bitop_displacement(-1ULL, 4) == -4 &&
	       hw_bitop_displacement(31, 4) == 0,
	       "bitop: a register bit offset moves the operand by whole units");
}

/* Group 2 against this machine's CPU: results and the defined flags. */
static void test_shift_flags(void)
{
	static const u64 vals[] = {
		0, 1, 0x7f, 0x80, 0xff, 0x8000, 0xffff, 0x80000000, 0xffffffff,
		0x8000000000000000ULL, 0xffffffffffffffffULL, 0x5a5a5a5a5a5a5a5aULL,
	};
	static const u64 counts[] = {
		0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 255,
	};
	static const int sizes[] = { 1, 2, 4, 8 };
	unsigned int i, c, s, op, cf;
	int bad = 0, n = 0;

	for (op = HW_SHIFT_ROL; op <= HW_SHIFT_SAR; op++)
		for (s = 0; s < 4; s++)
			for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
				for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++)
					for (cf = 0; cf < 2; cf++) {
		int size = sizes[s];
		u64 m = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
		u64 v = vals[i], want = v, fi = cf | 0x2, hf, fl = fi, got;
		u64 keep = HW_FLAGS_ARITH & ~hw_shift_undefined(op, size, counts[c]);
		u8 cnt = counts[c];

#define SH(mn, sfx, reg) __asm__("push %[fi]; popf; " mn sfx " %%cl, %" reg "[v]; pushf; pop %[f]" \
				 : [v] "+r" (want), [f] "=r" (hf) : [fi] "r" (fi), "c" (cnt) : "cc")
#define SHSIZES(mn) switch (size) { \
	case 1: SH(mn, "b", "b"); break; \
	case 2: SH(mn, "w", "w"); break; \
	case 4: SH(mn, "l", "k"); break; \
	default: SH(mn, "q", "q"); break; }
		switch (op) {
		case HW_SHIFT_ROL: SHSIZES("rol"); break;
		case HW_SHIFT_ROR: SHSIZES("ror"); break;
		case HW_SHIFT_RCL: SHSIZES("rcl"); break;
		case HW_SHIFT_RCR: SHSIZES("rcr"); break;
		case HW_SHIFT_SHR: SHSIZES("shr"); break;
		case HW_SHIFT_SAR: SHSIZES("sar"); break;
		default: SHSIZES("shl"); break;
		}
		got = hw_shift(op, size, v, cnt, &fl);
		n++;
		if ((got & m) != (want & m) || (fl & keep) != (hf & keep))
			bad++;
	}
	result(!bad, "shift: %d group 2 operations match this CPU's results and defined flags (%d differ)",
	       n, bad);
}

int main(void)
{
	test_decode_table();
	test_refused();
	test_bit_unary_flags();
	test_truncation();
	test_random_bytes();
	test_effective_address();
	test_registers();
	test_alu_flags();
	test_shift_flags();
	printf("# %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
