/*
 * Guest code for the module selftests (hwvirt-selftest, hwvirt-bench).
 * Each blob is copied into guest memory at GUEST_CODE (0x1000) and runs
 * there; the selftests set up the mode (real, protected, long) with the
 * register ioctls.  Data the blobs use sits at fixed guest addresses.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */

#define BLOB(name)	.globl name, name##_end; name:
#define GUEST_CODE_SEG	0x100		/* real mode: CS for GUEST_CODE */
#define END(name)	name##_end:

	.section .rodata, "a"

/* Real mode, CS:IP = 0100:0000.  Port I/O in every size, then HLT. */
	.code16
BLOB(guest_pio)
	mov	$0x42, %al
	out	%al, $0x10		/* OUT 0x10, byte 0x42 */
	mov	$0x1234, %ax
	out	%ax, $0x11		/* OUT 0x11, word 0x1234 */
	mov	$0x12, %dx
	in	%dx, %al		/* IN 0x12, byte: the test answers */
	out	%al, $0x13		/* ...and gets it back on 0x13 */
	mov	$0x89abcdef, %eax
	mov	$0x14, %dx
	out	%eax, %dx		/* OUT 0x14, dword */
	hlt
	out	%al, $0x15		/* after HLT: the test resumes us */
	hlt
END(guest_pio)

/*
 * Real mode MMIO at 0xa0000 (outside the slot): a word write, a byte
 * read echoed on port 0x20, a dword read echoed on 0x21, a MOVZX.
 */
BLOB(guest_mmio)
	mov	$0xa000, %ax
	mov	%ax, %ds
	movw	$0xbeef, (0)		/* MMIO write 0xa0000, 2 bytes */
	movb	(1), %al		/* MMIO read 0xa0001, 1 byte */
	out	%al, $0x20
	movl	(4), %eax		/* MMIO read 0xa0004, 4 bytes */
	out	%eax, $0x21
	movzbl	(8), %ebx		/* MMIO read 0xa0008, 1 byte */
	mov	%ebx, %eax
	out	%eax, $0x22
	hlt
END(guest_mmio)

/*
 * String I/O and string MMIO (real mode): REP OUTSB of 5 bytes at 0x9100
 * to port 0x80, REP INSW of 3 words from port 0x81 to 0x9200, REP STOSW
 * of 4 words to MMIO at 0xa0000, REP MOVSB of 3 bytes from 0x9100 to
 * MMIO at 0xa0100.
 */
BLOB(guest_string)
	xor	%ax, %ax
	mov	%ax, %ds
	mov	%ax, %es
	cld
	mov	$0x9100, %si
	mov	$5, %cx
	mov	$0x80, %dx
	rep outsb
	mov	$0x9200, %di
	mov	$3, %cx
	mov	$0x81, %dx
	rep insw
	mov	%cx, %ax
	out	%ax, $0x82		/* CX is 0 now */
	mov	$0xa000, %ax
	mov	%ax, %es
	xor	%di, %di
	mov	$0x0720, %ax
	mov	$4, %cx
	rep stosw
	mov	$0x100, %di
	mov	$0x9100, %si
	mov	$3, %cx
	rep movsb
	mov	%di, %ax
	out	%ax, $0x83		/* DI advanced by 3 */
	hlt
END(guest_string)

/* CPUID of the leaf in EAX/ECX the test set; every register out. */
BLOB(guest_cpuid)
	cpuid
	mov	%edx, %edi
	out	%eax, $0x30
	mov	%ebx, %eax
	out	%eax, $0x31
	mov	%ecx, %eax
	out	%eax, $0x32
	mov	%edi, %eax
	out	%eax, $0x33
	hlt
END(guest_cpuid)

/* Spin until the byte at 0x9000 is non-zero, then OUT 0x40, HLT. */
BLOB(guest_spin)
	xor	%ax, %ax
	mov	%ax, %ds
1:	cmpb	$0, (0x9000)
	je	1b
	mov	$0x55, %al
	out	%al, $0x40
	hlt
END(guest_spin)

/* The byte at 0x7000 out on port 0x16: which VM's memory is this? */
BLOB(guest_peek)
	xor	%ax, %ax
	mov	%ax, %ds
	mov	(0x7000), %al
	out	%al, $0x16
	hlt
END(guest_peek)

/* Benchmarks: n = ECX iterations of CPUID, or of OUT, then OUT 0x50. */
BLOB(guest_bench_cpuid)
	mov	%ecx, %esi
1:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%esi
	jnz	1b
	out	%al, $0x50
	hlt
END(guest_bench_cpuid)

BLOB(guest_bench_pio)
1:	out	%al, $0x51
	dec	%ecx
	jnz	1b
	out	%al, $0x50
	hlt
END(guest_bench_pio)

/* Protected mode (flat 32-bit segments): a marker on port 0x60. */
	.code32
BLOB(guest_prot)
	mov	$0xc0ffee32, %eax
	out	%eax, $0x60
	movl	$0x12345678, 0x30000000	/* MMIO write above 512 MiB */
	hlt
END(guest_prot)

/* Triple fault: #UD with an empty IDT (protected mode). */
BLOB(guest_triple)
	ud2
END(guest_triple)

/*
 * Real mode: set CR4.LA57 (bit 12) and report on port 0x7a whether that
 * raised #GP (0x0d, from the IVT handler) or worked (0x57); then CR4 out
 * on 0x7b.
 */
	.code16
BLOB(guest_cr4_la57)
	xor	%ax, %ax
	mov	%ax, %ds
	movw	$(1f - guest_cr4_la57), (13 * 4)	/* IVT: #GP -> 1f */
	movw	$(GUEST_CODE_SEG), (13 * 4 + 2)
	mov	%cr4, %eax
	or	$0x1000, %eax
	mov	%eax, %cr4
	mov	$0x57, %al
	out	%al, $0x7a
	mov	%cr4, %eax
	out	%eax, $0x7b
	hlt
1:	mov	$0x0d, %al
	out	%al, $0x7a
	hlt
END(guest_cr4_la57)

	.code64
/*
 * Long mode, 5-level paging, with the identity map also at
 * 0xff00000000000000 (PML5 slot 256): CR4 out on 0x78; then, running at
 * the high alias, an MMIO write to 0x100000000 and the 4 bytes at
 * la57_msg out on port 0x79 by REP OUTSB, both through that alias, so
 * the module must walk the guest's 5-level tables to emulate them.
 */
BLOB(guest_la57)
	mov	%cr4, %rax
	out	%eax, $0x78
	lea	1f(%rip), %rax
	movabs	$0xff00000000000000, %rcx
	or	%rcx, %rax
	jmp	*%rax
1:	movabs	$0xff00000100000000, %rbx
	movl	$0x57575757, (%rbx)
	lea	2f(%rip), %rsi
	mov	$4, %ecx
	mov	$0x79, %dx
	cld
	rep outsb
	hlt
2:	.ascii	"LA57"
END(guest_la57)

/*
 * Long mode: the 8 bytes at RBX out on ports 0x74 (low) and 0x75 (high),
 * then RCX stored at RBX + 8, and HLT.
 */
BLOB(guest_peek64)
	mov	(%rbx), %rax
	out	%eax, $0x74
	shr	$32, %rax
	out	%eax, $0x75
	mov	%rcx, 8(%rbx)
	hlt
END(guest_peek64)

/*
 * Long mode: XMM0 must survive ECX in-kernel exits (CPUIDs) while the
 * host runs other tasks on this CPU; it is stored at 0x9400, then OUT 0x91.
 */
BLOB(guest_fpu)
	mov	%cr4, %rax
	or	$0x600, %rax		/* OSFXSR, OSXMMEXCPT */
	mov	%rax, %cr4
	mov	%cr0, %rax
	and	$~0xc, %rax		/* no EM, no TS */
	or	$0x2, %rax		/* MP */
	mov	%rax, %cr0
	movdqu	0x9300, %xmm0		/* the pattern the test wrote */
	mov	%ecx, %esi
1:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%esi
	jnz	1b
	movdqu	%xmm0, 0x9400
	out	%al, $0x91
	hlt
END(guest_fpu)

/* Long mode: a 64-bit marker and an 8-byte MMIO write above 4 GiB. */
BLOB(guest_long)
	movabs	$0x1122334455667788, %rax
	out	%eax, $0x70
	shr	$32, %rax
	out	%eax, $0x71
	movabs	$0x100000000, %rbx
	movabs	$0xfeedfacecafebeef, %rax
	mov	%rax, (%rbx)		/* MMIO write 0x100000000, 8 bytes */
	mov	(%rbx), %rcx		/* MMIO read, 8 bytes */
	mov	%rcx, %rax
	out	%eax, $0x72
	hlt
END(guest_long)

	.section .note.GNU-stack, "", @progbits
