/*
 * Conformance test kernels: multiboot entry, the switch to long mode,
 * and the interrupt stubs.
 *
 * QEMU's multiboot loader enters _start in 32-bit protected mode with
 * paging off.  We identity-map the first 4 GiB with 2 MiB pages (the
 * local APIC and the IOAPIC included), enter long mode and call
 * cf_entry() on a 64 KiB stack.  Every vector has a 16-byte stub that
 * pushes (error code or 0, vector) and reaches cf_trap() with a
 * struct cf_frame.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

#define CR0_PE		(1 << 0)
#define CR0_MP		(1 << 1)
#define CR0_EM		(1 << 2)
#define CR0_NE		(1 << 5)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define CR4_OSFXSR	(1 << 9)
#define CR4_OSXMMEXCPT	(1 << 10)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define PTE_P		(1 << 0)
#define PTE_W		(1 << 1)
#define PTE_PS		(1 << 7)

	.section .boot, "ax"
	.code32
	.align 4
mb_header:
	.long	MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

	.globl	_start
_start:
	cli
	cld
	mov	$cf_stack_top, %esp
	mov	%ebx, cf_multiboot_info

	/* PML4[0] -> PDPT; PDPT[0..3] -> PD 0..3; 2048 2 MiB pages. */
	mov	$cf_pdpt, %eax
	or	$(PTE_P | PTE_W), %eax
	mov	%eax, cf_pml4
	mov	$cf_pd, %eax
	or	$(PTE_P | PTE_W), %eax
	xor	%ecx, %ecx
1:	mov	%eax, cf_pdpt(, %ecx, 8)
	add	$0x1000, %eax
	inc	%ecx
	cmp	$4, %ecx
	jne	1b
	xor	%ecx, %ecx
	mov	$(PTE_P | PTE_W | PTE_PS), %eax
	xor	%edx, %edx
2:	mov	%eax, cf_pd(, %ecx, 8)
	mov	%edx, cf_pd + 4(, %ecx, 8)
	add	$0x200000, %eax
	adc	$0, %edx
	inc	%ecx
	cmp	$2048, %ecx
	jne	2b

	lgdt	cf_gdt_desc
	mov	%cr4, %eax
	or	$(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
	mov	%eax, %cr4
	mov	$cf_pml4, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME, %eax
	wrmsr
	mov	%cr0, %eax
	and	$~CR0_EM, %eax
	or	$(CR0_PE | CR0_MP | CR0_NE | CR0_PG), %eax
	mov	%eax, %cr0
	ljmp	$0x08, $start64

	.code64
start64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$cf_stack_top, %rsp
	call	cf_entry
3:	cli
	hlt
	jmp	3b

/* The stubs: 16 bytes each, so vector n's is at cf_isr_stubs + 16 * n. */
.macro	ISR vec
	.align	16
	.if (\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
	.else
	push	$0
	.endif
	push	$\vec
	jmp	isr_common
.endm

	.text
	.align	16
	.globl	cf_isr_stubs
cf_isr_stubs:
	.altmacro
	.set	vec, 0
	.rept	256
	ISR	%vec
	.set	vec, vec + 1
	.endr
	.noaltmacro

isr_common:
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rsp, %rdi
	call	cf_trap
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
	add	$16, %rsp
	iretq

	.data
	.align	16
	.globl	cf_gdt
cf_gdt:
	.quad	0			/* 0x00 */
	.quad	0x00af9b000000ffff	/* 0x08 64-bit code */
	.quad	0x00cf93000000ffff	/* 0x10 data */
	.quad	0x00cf9b000000ffff	/* 0x18 32-bit code */
	.quad	0x00affb000000ffff	/* 0x20 64-bit code, DPL 3 */
	.quad	0x00cff3000000ffff	/* 0x28 data, DPL 3 */
	.quad	0, 0			/* 0x30 TSS (cf_entry fills it) */
	.quad	0x00cf13000000ffff	/* 0x40 data, not present */
cf_gdt_end:
	.globl	cf_gdt_desc
cf_gdt_desc:
	.word	cf_gdt_end - cf_gdt - 1
	.quad	cf_gdt

	.globl	cf_multiboot_info
cf_multiboot_info:
	.long	0

	.bss
	.align	4096
cf_pml4:
	.skip	4096
cf_pdpt:
	.skip	4096
cf_pd:
	.skip	16384
	.align	16
	.skip	65536
	.globl	cf_stack_top
cf_stack_top:
