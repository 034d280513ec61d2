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

/*
 * The paravirtual clock: MSR_KVM_SYSTEM_TIME_NEW = 0x3001 (the vCPU's
 * page at 0x3000, enabled), MSR_KVM_WALL_CLOCK_NEW = 0x3100, OUT 0x40,
 * HLT; once resumed, OUT 0x42, HLT.  guest_pvclock_gp (at the offset
 * the test puts in the IVT's #GP vector): OUT 0x41, HLT.
 */
BLOB(guest_pvclock)
	mov	$0x4b564d01, %ecx
	mov	$0x3001, %eax
	xor	%edx, %edx
	wrmsr
	mov	$0x4b564d00, %ecx
	mov	$0x3100, %eax
	wrmsr
	out	%al, $0x40
	hlt
	out	%al, $0x42
	hlt
	.globl guest_pvclock_gp
guest_pvclock_gp:
	out	%al, $0x41
	hlt
END(guest_pvclock)

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

/*
 * The in-kernel local APIC (long mode, the APIC at 0xfee00000 identity
 * mapped; R15 points at it).  RDI picks what to do; the handlers of vectors 0x40-0x4f
 * (guest_apic_isr_40 + 16 * n, 16-byte stubs) count the interrupt at
 * APIC_COUNT, say its vector on port 0x41 and send an EOI (by MSR once
 * APIC_X2 is set).  Ports: 0x4f the APIC is on, 0x45 an IPI was sent,
 * 0x4e/0x4d the TPR test's steps.
 *
 *   RDI=0  wait: STI; HLT in a loop
 *   RDI=1  timer: LVTT=RSI, TDCR=RDX, then TMICT=RCX, or with R8=1 the
 *          TSC deadline TSC+RCX; wait
 *   RDI=2  ipi: STI; ICR2=RDX, ICR=RSI, OUT 0x45, again (the test
 *          changes RSI/RDX between runs)
 *   RDI=3  x2apic: enable x2APIC mode, SELF_IPI with vector RSI; wait
 *   RDI=4  tpr: CR8=0xf; OUT 0x4e; until APIC_FLAG is set, spin; then
 *          CR8=0 and, at once, APIC_COUNT out on 0x4d; wait
 *   RDI=5  spin: STI and spin (PAUSE), for IPIs to a running vCPU
 */
#define APIC		0xfee00000
#define APIC_COUNT	0x9000
#define APIC_X2		0x9008
#define APIC_FLAG	0x9010

BLOB(guest_apic)
	mov	$APIC, %r15d			/* the APIC page, for good */
	movl	$0, APIC_COUNT
	movl	$0, APIC_X2
	movl	$0x1ff, 0xf0(%r15)		/* SVR: on, spurious 0xff */
	mov	$0x4f, %al
	out	%al, $0x4f
	cmp	$1, %rdi
	je	.Ltimer
	cmp	$2, %rdi
	je	.Lipi
	cmp	$3, %rdi
	je	.Lx2apic
	cmp	$4, %rdi
	je	.Ltpr
	cmp	$5, %rdi
	je	.Lspin
.Lwait:
	sti
1:	hlt
	jmp	1b
.Lspin:
	sti
1:	pause
	jmp	1b
.Ltimer:
	mov	%edx, 0x3e0(%r15)		/* TDCR */
	mov	%esi, 0x320(%r15)		/* LVTT */
	test	%r8, %r8
	jnz	1f
	mov	%ecx, 0x380(%r15)		/* TMICT */
	jmp	.Lwait
1:	mov	%rcx, %rbx
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	add	%rbx, %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$0x6e0, %ecx			/* IA32_TSC_DEADLINE */
	wrmsr
	jmp	.Lwait
.Lipi:
	sti
	mov	%edx, 0x310(%r15)		/* ICR2 */
	mov	%esi, 0x300(%r15)		/* ICR: sends */
	mov	$0x45, %al
	out	%al, $0x45
	jmp	.Lipi
.Lx2apic:
	mov	$0x1b, %ecx
	rdmsr
	or	$0xc00, %eax			/* EN | EXTD */
	wrmsr
	movl	$1, APIC_X2
	mov	$0x83f, %ecx			/* SELF_IPI */
	mov	%esi, %eax
	xor	%edx, %edx
	wrmsr
	jmp	.Lwait
.Ltpr:
	mov	$0xf, %eax
	mov	%rax, %cr8
	sti
	mov	$0x4e, %al
	out	%al, $0x4e
1:	pause
	cmpl	$0, APIC_FLAG
	je	1b
	xor	%eax, %eax
	mov	%rax, %cr8
	mov	APIC_COUNT, %eax		/* the handler ran already? */
	out	%eax, $0x4d
	jmp	.Lwait

	.p2align 4
	.globl guest_apic_isr_40
guest_apic_isr_40:
	.irp vec, 0x40,0x41,0x42,0x43,0x44,0x45,0x46,0x47,0x48,0x49,0x4a,0x4b,0x4c,0x4d,0x4e,0x4f
	.p2align 4
	push	%rax
	mov	$\vec, %eax
	jmp	.Lisr
	.endr
.Lisr:
	push	%rcx
	push	%rdx
	incl	APIC_COUNT
	out	%eax, $0x41
	cmpl	$0, APIC_X2
	jne	1f
	movl	$0, 0xb0(%r15)			/* EOI */
	jmp	2f
1:	mov	$0x80b, %ecx			/* x2APIC EOI */
	xor	%eax, %eax
	xor	%edx, %edx
	wrmsr
2:	pop	%rdx
	pop	%rcx
	pop	%rax
	iretq
END(guest_apic)

/*
 * The APIC benchmark (hwvirt-apic-bench): RDI picks the operation, RCX
 * the iterations; the TSC cycles they took leave on ports 0x52 (low) and
 * 0x53 (high), then OUT 0x50.  Handlers: vector 0x40 EOIs, vector 0x41
 * sets BENCH_FLAG and EOIs (both by MMIO; RDI=2 is x2APIC and uses none).
 *
 *   0 timer     TSC deadline 1000 cycles ahead, STI; HLT until it fires
 *   1 eoi       EOI writes (xAPIC MMIO), nothing in service
 *   2 eoi-x2    EOI writes (x2APIC MSR)
 *   3 tpr       CR8 writes
 *   4 ipi       a fixed IPI (vector 0x41) to APIC ID 1, then wait for
 *               its handler's BENCH_FLAG
 *   5 target    STI and spin, taking the IPIs (a running vCPU)
 *   6 target-hlt STI and HLT, taking the IPIs (a halted vCPU)
 */
#define BENCH_FLAG	0x9100

	.code64
BLOB(guest_apic_bench)
	mov	$APIC, %r15d
	movl	$0x1ff, 0xf0(%r15)		/* SVR: on */
	mov	%rcx, %r14
	cmp	$5, %rdi
	je	.Lb_target
	cmp	$6, %rdi
	je	.Lb_target_hlt
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %r13			/* start */
	cmp	$0, %rdi
	je	.Lb_timer
	cmp	$1, %rdi
	je	.Lb_eoi
	cmp	$2, %rdi
	je	.Lb_eoi_x2
	cmp	$3, %rdi
	je	.Lb_tpr
	jmp	.Lb_ipi
.Lb_timer:
	movl	$0x40040, 0x320(%r15)		/* LVTT: TSC deadline, 0x40 */
1:	rdtsc
	add	$1000, %eax
	adc	$0, %edx
	mov	$0x6e0, %ecx
	wrmsr
	sti
	hlt
	cli
	dec	%r14
	jnz	1b
	jmp	.Lb_done
.Lb_eoi:
1:	movl	$0, 0xb0(%r15)
	dec	%r14
	jnz	1b
	jmp	.Lb_done
.Lb_eoi_x2:
	mov	$0x1b, %ecx
	rdmsr
	or	$0xc00, %eax
	wrmsr
	mov	$0x80b, %ecx
	xor	%eax, %eax
	xor	%edx, %edx
1:	wrmsr
	dec	%r14
	jnz	1b
	jmp	.Lb_done
.Lb_tpr:
	xor	%eax, %eax
1:	mov	%rax, %cr8
	xor	$1, %eax
	dec	%r14
	jnz	1b
	xor	%eax, %eax
	mov	%rax, %cr8
	jmp	.Lb_done
.Lb_ipi:
	movl	$(1 << 24), 0x310(%r15)		/* ICR2: APIC ID 1 */
1:	movl	$0, BENCH_FLAG
	movl	$0x4041, 0x300(%r15)		/* fixed, vector 0x41 */
2:	pause
	cmpl	$0, BENCH_FLAG
	je	2b
	dec	%r14
	jnz	1b
.Lb_done:
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	sub	%r13, %rdx
	mov	%edx, %eax
	out	%eax, $0x52
	shr	$32, %rdx
	mov	%edx, %eax
	out	%eax, $0x53
	out	%al, $0x50
1:	jmp	1b
.Lb_target:
	sti
	out	%al, $0x54			/* ready */
1:	pause
	jmp	1b
.Lb_target_hlt:
	sti
	out	%al, $0x54
1:	hlt
	jmp	1b

	.p2align 4
	.globl guest_apic_bench_isr_40
guest_apic_bench_isr_40:
	movl	$0, 0xb0(%r15)
	iretq
	.p2align 4
	movl	$1, BENCH_FLAG
	movl	$0, 0xb0(%r15)
	iretq
END(guest_apic_bench)

/* Real mode, for an AP started by SIPI at 0200:0000: OUT 0x46, HLT. */
	.code16
BLOB(guest_ap)
	mov	$0x5a, %al
	out	%al, $0x46
	cli
1:	hlt
	jmp	1b
END(guest_ap)

/*
 * The paging tests' interpreter (paging.c), 32-bit and 64-bit: it reads
 * a command on port 0xe0, an address on 0xe1 (64-bit: its high half on
 * 0xe2) and a value on 0xe3 (0xe4), does it, and answers: a load's
 * value out on 0xe5 (0xe6), anything else done on 0xe7.  Its #PF
 * handler sends the error code out on 0xe8 and CR2 on 0xe9 (0xea), and
 * goes back to the loop.
 *   1 load [a]          2 store v at [a]     3 INVLPG [a]
 *   4 CR3 = a           5 call a             6 CR0 = a
 *   7 CR4 = a           8 store v at [a] from XMM0 (64-bit only)
 *   9 REP STOSL: v zero dwords at a
 */
	.code32
BLOB(guest_pg32)
1:	in	$0xe0, %eax
	mov	%eax, %ecx
	in	$0xe1, %eax
	mov	%eax, %ebx
	in	$0xe3, %eax
	mov	%eax, %edx
	cmp	$1, %ecx
	jne	2f
	mov	(%ebx), %eax
	out	%eax, $0xe5
	jmp	1b
2:	cmp	$2, %ecx
	jne	3f
	mov	%edx, (%ebx)
	jmp	9f
3:	cmp	$3, %ecx
	jne	4f
	invlpg	(%ebx)
	jmp	9f
4:	cmp	$4, %ecx
	jne	5f
	mov	%ebx, %cr3
	jmp	9f
5:	cmp	$5, %ecx
	jne	6f
	call	*%ebx
	jmp	9f
6:	cmp	$6, %ecx
	jne	7f
	mov	%ebx, %cr0
	jmp	9f
7:	cmp	$7, %ecx
	jne	8f
	mov	%ebx, %cr4
	jmp	9f
8:	cmp	$9, %ecx
	jne	9f
	mov	%ebx, %edi
	mov	%edx, %ecx
	xor	%eax, %eax
	cld
	rep stosl
9:	out	%eax, $0xe7
	jmp	1b
	.globl	guest_pg32_pf
guest_pg32_pf:
	pop	%eax
	out	%eax, $0xe8
	mov	%cr2, %eax
	out	%eax, $0xe9
	mov	$0x8000, %esp
	jmp	1b
END(guest_pg32)

	.code64
BLOB(guest_pg64)
1:	in	$0xe0, %eax
	mov	%eax, %ecx
	in	$0xe1, %eax
	mov	%eax, %ebx
	in	$0xe2, %eax
	shl	$32, %rax
	or	%rax, %rbx
	in	$0xe3, %eax
	mov	%eax, %edx
	in	$0xe4, %eax
	shl	$32, %rax
	or	%rax, %rdx
	cmp	$1, %ecx
	jne	2f
	mov	(%rbx), %rax
	out	%eax, $0xe5
	shr	$32, %rax
	out	%eax, $0xe6
	jmp	1b
2:	cmp	$2, %ecx
	jne	3f
	mov	%rdx, (%rbx)
	jmp	9f
3:	cmp	$3, %ecx
	jne	4f
	invlpg	(%rbx)
	jmp	9f
4:	cmp	$4, %ecx
	jne	5f
	mov	%rbx, %cr3
	jmp	9f
5:	cmp	$5, %ecx
	jne	6f
	call	*%rbx
	jmp	9f
6:	cmp	$6, %ecx
	jne	7f
	mov	%rbx, %cr0
	jmp	9f
7:	cmp	$7, %ecx
	jne	8f
	mov	%rbx, %cr4
	jmp	9f
8:	cmp	$8, %ecx
	jne	10f
	movq	%rdx, %xmm0
	movq	%xmm0, (%rbx)
	jmp	9f
10:	cmp	$9, %ecx
	jne	9f
	mov	%rbx, %rdi
	mov	%edx, %ecx
	xor	%eax, %eax
	cld
	rep stosl
9:	out	%eax, $0xe7
	jmp	1b
	.globl	guest_pg64_pf
guest_pg64_pf:
	pop	%rax
	out	%eax, $0xe8
	mov	%cr2, %rax
	out	%eax, $0xe9
	shr	$32, %rax
	out	%eax, $0xea
	mov	$0x8000, %rsp
	jmp	1b
END(guest_pg64)

/*
 * Long mode, dirty logging.  Forever: IN 0x30 gives an address (dword,
 * below 4 GiB).  0: HLT.  Bit 0 set: read the byte at the address
 * without it (no write).  Bit 1 set: REP INSB one byte from port 0x32
 * to the address without it (the module writes guest memory).
 * Otherwise: increment the byte at the address.  Then OUT 0x31.
 */
BLOB(guest_dirty)
1:	in	$0x30, %eax
	test	%eax, %eax
	jz	4f
	mov	%eax, %edi
	test	$1, %edi
	jnz	2f
	test	$2, %edi
	jnz	3f
	incb	(%rdi)
	out	%al, $0x31
	jmp	1b
2:	movb	-1(%rdi), %cl
	out	%al, $0x31
	jmp	1b
3:	sub	$2, %rdi
	mov	$1, %ecx
	mov	$0x32, %dx
	cld
	rep insb
	out	%al, $0x31
	jmp	1b
4:	hlt
END(guest_dirty)

/*
 * Real mode, queue notifications: OUT 0x40 of the words 0x1234 and
 * 0x5678, a word write to 0xa0000 and a dword write to 0xb0000 (DS=0xa000
 * and 0xb000), then OUT 0x41 and HLT.
 */
	.code16
BLOB(guest_notify)
	mov	$0x1234, %ax
	out	%ax, $0x40
	mov	$0x5678, %ax
	out	%ax, $0x40
	mov	$0xa000, %bx
	mov	%bx, %ds
	movw	$7, 0
	mov	$0xb000, %bx
	mov	%bx, %ds
	movl	$0x11223344, 0
	out	%al, $0x41
	hlt
END(guest_notify)

	.section .note.GNU-stack, "", @progbits
