/*
 * Conformance test kernel smp: the application processors' way from
 * the start-up IPI to C.
 *
 * smp.c copies smp_tramp_start .. smp_tramp_end to SMP_TRAMP_BASE (below
 * 1 MiB, page-aligned: the SIPI vector is SMP_TRAMP_BASE >> 12) and fills
 * in smp_tramp_gdt (the BSP's GDT, through SGDT).  An AP enters it in
 * real mode at CS = SMP_TRAMP_BASE >> 4, IP = 0, keeps EDX (the
 * processor signature INIT leaves there) and CS, loads the BSP's GDT,
 * goes to 32-bit protected mode (selector 0x18, in the kernel proper),
 * then to long mode with the BSP's CR4, CR3, EFER and CR0 (smp_boot_*,
 * saved by smp.c), loads the BSP's IDT, takes the next CPU index with a
 * locked XADD on smp_started, and calls
 *
 *   smp_ap_main(index, EDX at start-up, CS at start-up)
 *
 * on its own stack (smp_stacks, SMP_STACK bytes per index).  An index
 * from SMP_MAX_CPUS on has no stack: that AP halts.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */

#define SMP_MAX_CPUS	16
#define SMP_STACK	16384
#define MSR_EFER	0xc0000080
#define CR0_PE		(1 << 0)

	.data
	.code16
	.globl	smp_tramp_start, smp_tramp_end, smp_tramp_gdt
smp_tramp_start:
	cli
	cld
	mov	%edx, %esi		/* the signature INIT left in EDX */
	xor	%ebp, %ebp
	mov	%cs, %bp
	mov	%cs, %ax
	mov	%ax, %ds
	lgdtl	smp_tramp_gdt - smp_tramp_start
	mov	%cr0, %eax
	or	$CR0_PE, %eax
	mov	%eax, %cr0
	ljmpl	$0x18, $smp_ap32
	.align	8
smp_tramp_gdt:
	.word	0			/* limit, base: smp.c fills them in */
	.long	0
smp_tramp_end:

	.text
	.code32
smp_ap32:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	smp_boot_cr4, %eax
	mov	%eax, %cr4
	mov	smp_boot_cr3, %eax
	mov	%eax, %cr3
	mov	$MSR_EFER, %ecx
	mov	smp_boot_efer, %eax
	mov	smp_boot_efer + 4, %edx
	wrmsr
	mov	smp_boot_cr0, %eax
	mov	%eax, %cr0
	ljmp	$0x08, $smp_ap64

	.code64
smp_ap64:
	mov	$0x10, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %gs
	lidt	smp_boot_idt(%rip)
	mov	$1, %eax
	lock xadd %eax, smp_started(%rip)
	inc	%eax			/* the BSP is index 0 */
	cmp	$SMP_MAX_CPUS, %eax
	jae	2f
	mov	%eax, %edi		/* index, EDX at start-up, CS */
	mov	%ebp, %edx
	shl	$14, %rax		/* SMP_STACK */
	lea	smp_stacks + SMP_STACK(%rip), %rsp
	add	%rax, %rsp
	call	smp_ap_main
2:	cli
	hlt
	jmp	2b

	.bss
	.align	16
	.globl	smp_stacks
smp_stacks:
	.skip	SMP_MAX_CPUS * SMP_STACK
