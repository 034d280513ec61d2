/*
 * Conformance test kernels: the 32-bit ones (TESTS32 in the Makefile).
 * Multiboot entry, GDT, IDT and TSS, the interrupt stubs, ring 3 and
 * virtual-8086 entry, the real-mode code, and BIOS calls from real mode.
 *
 * QEMU's multiboot loader enters _start in 32-bit protected mode with
 * paging off; we stay there, load our GDT, an IDT whose every vector
 * has a 16-byte stub reaching cf_trap() with a struct cf_frame, and a
 * TSS (ring 0 stack for ring 3 and virtual-8086 mode), and call
 * cf_entry() on a 64 KiB stack.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */

#define MB_MAGIC	0x1badb002
#define MB_FLAGS	0x00000003	/* page-aligned modules, memory info */

#define KCODE		0x08
#define KDATA		0x10
#define UCODE		0x1b		/* 0x18 | RPL 3 */
#define UDATA		0x23		/* 0x20 | RPL 3 */
#define TSS_SEL		0x28
#define CODE16		0x30		/* base RM_BASE, limit 64 KiB */
#define DATA16		0x38		/* base 0, limit 64 KiB */

#define RM_BASE		0x8000		/* where cf_real_mode() copies rm_blob */
#define RM_SEG		(RM_BASE >> 4)
#define RM_IVT		0x7000		/* the real-mode IVT (IDTR base) */
#define RM_OFF(x)	((x) - rm_blob)

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
	lgdt	cf_gdt_desc
	ljmp	$KCODE, $1f
1:	mov	$KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs

	/* Interrupt gates to the stubs; INT3, INTO and 0x81 from ring 3. */
	xor	%ecx, %ecx
2:	lea	cf_isr_stubs(, %ecx, 8), %eax
	lea	(%eax, %ecx, 8), %eax
	cmp	$0x81, %ecx
	jne	3f
	mov	$cf_ring0_return, %eax
3:	mov	%eax, %edx
	and	$0xffff, %eax
	or	$(KCODE << 16), %eax
	and	$0xffff0000, %edx
	or	$0x8e00, %edx
	cmp	$3, %ecx
	je	4f
	cmp	$4, %ecx
	je	4f
	cmp	$0x81, %ecx
	jne	5f
4:	or	$0x6000, %edx		/* DPL 3 */
5:	mov	%eax, cf_idt(, %ecx, 8)
	mov	%edx, cf_idt + 4(, %ecx, 8)
	inc	%ecx
	cmp	$256, %ecx
	jne	2b
	lidt	cf_idt_desc

	/* The TSS: ring 0 stack on cf_trap_stack_top, no I/O bitmap. */
	movl	$cf_trap_stack_top, cf_tss + 4
	movl	$KDATA, cf_tss + 8
	movw	$104, cf_tss + 102
	mov	$cf_tss, %eax
	mov	%ax, cf_gdt + TSS_SEL + 2
	shr	$16, %eax
	mov	%al, cf_gdt + TSS_SEL + 4
	mov	%ah, cf_gdt + TSS_SEL + 7
	mov	$TSS_SEL, %ax
	ltr	%ax

	call	cf_entry
6:	cli
	hlt
	jmp	6b

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
	pusha
	push	%ds
	push	%es
	push	%fs
	push	%gs
	mov	$KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	cld
	push	%esp
	call	cf_trap
	add	$4, %esp
	pop	%gs
	pop	%fs
	pop	%es
	pop	%ds
	popa
	add	$8, %esp
	iret

/*
 * void cf_user_call(void (*fn)(void)): run fn at CPL 3 (flat segments,
 * the stack cf_user_stack_top), back through INT 0x81.
 */
	.globl	cf_user_call
cf_user_call:
	push	%ebp
	push	%ebx
	push	%esi
	push	%edi
	mov	20(%esp), %esi
	mov	%esp, saved_esp
	push	$UDATA
	push	$cf_user_stack_top
	pushf
	push	$UCODE
	push	$user_entry
	mov	$UDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	iret
user_entry:
	call	*%esi
	int	$0x81

/*
 * void cf_vm86_call(u32 ip, u32 eflags): enter virtual-8086 mode at
 * RM_SEG:ip (CS, DS, ES, SS; SP 0xe000) with eflags | VM; back when
 * cf_trap() sends an exception there to cf_ring0_return.
 */
	.globl	cf_vm86_call
cf_vm86_call:
	push	%ebp
	push	%ebx
	push	%esi
	push	%edi
	mov	20(%esp), %esi
	mov	24(%esp), %edi
	mov	%esp, saved_esp
	push	$0			/* GS */
	push	$0			/* FS */
	push	$RM_SEG			/* DS */
	push	$RM_SEG			/* ES */
	push	$RM_SEG			/* SS */
	push	$0xe000			/* ESP */
	or	$0x20000, %edi		/* EFLAGS.VM */
	push	%edi
	push	$RM_SEG			/* CS */
	push	%esi			/* EIP */
	iret

/*
 * Back to cf_user_call's or cf_vm86_call's caller, at CPL 0 on
 * whatever stack we arrived on.
 */
	.globl	cf_ring0_return
cf_ring0_return:
	mov	$KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	mov	saved_esp, %esp
	pop	%edi
	pop	%esi
	pop	%ebx
	pop	%ebp
	ret

/*
 * void cf_real_mode(void): copy rm_blob to RM_BASE and run it in real
 * mode: it records what it sees at RM_BASE (struct rm_results in
 * modes.c) and comes back to protected mode.  FS keeps the flat 4 GiB
 * descriptor across the switch (big real mode); DS, ES and SS get a
 * 64 KiB one, as after reset.
 */
	.globl	cf_real_mode
cf_real_mode:
	push	%ebp
	push	%ebx
	push	%esi
	push	%edi
	mov	%esp, saved_esp
	mov	$rm_blob, %esi
	mov	$RM_BASE, %edi
	mov	$(rm_blob_end - rm_blob), %ecx
	rep movsb
	lidt	rm_idt_desc
	mov	$KDATA, %eax
	mov	%eax, %fs
	ljmp	$CODE16, $RM_OFF(rm_pm16)

back_to_pm:
	mov	$KDATA, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	mov	saved_esp, %esp
	lidt	cf_idt_desc
	pop	%edi
	pop	%esi
	pop	%ebx
	pop	%ebp
	ret

/*
 * The real-mode code, copied to RM_BASE and run with CS = RM_SEG: only
 * offsets from rm_blob in it.  The results (struct rm_results) first.
 */
	.align	16
	.globl	rm_blob
rm_blob:
#define R_CR0		0x00
#define R_ALIAS		0x04
#define R_INT_HIT	0x08
#define R_INT_IP	0x0c
#define R_INT_CS	0x10
#define R_INT_DX	0x14
#define R_DE_VEC	0x18
#define R_DE_IP		0x1c
#define R_GP_VEC	0x20
#define R_GP_IP		0x24
#define R_BIG_READ	0x28
#define R_RESUME	0x2c
#define R_VEC		0x30
#define R_IP		0x34
#define R_BIG_VEC	0x38
#define R_DONE		0x3c
#define R_INT_RET	0x40	/* offsets of the instructions, for modes.c */
#define R_DE_AT		0x44
#define R_GP_AT		0x48
#define R_V86_INT	0x4c
#define R_V86_CLI	0x50
#define R_V86_OUT	0x54
#define R_V86_INT_AT	0x58
	.fill	0x5c, 1, 0xff
	.code16
rm_pm16:
	/* 16-bit protected mode: 64 KiB data segments, then PE off. */
	mov	$DATA16, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%cr0, %eax
	and	$~1, %eax
	mov	%eax, %cr0
	ljmp	$RM_SEG, $RM_OFF(rm_start)

rm_start:
	mov	$RM_SEG, %ax
	mov	%ax, %ds
	mov	%ax, %ss
	mov	$0xf000, %esp
	xor	%ax, %ax
	mov	%ax, %es
	movw	$RM_OFF(rm_de), %es:RM_IVT + 0 * 4
	movw	$RM_SEG, %es:RM_IVT + 0 * 4 + 2
	movw	$RM_OFF(rm_gp), %es:RM_IVT + 13 * 4
	movw	$RM_SEG, %es:RM_IVT + 13 * 4 + 2
	movw	$RM_OFF(rm_int40), %es:RM_IVT + 0x40 * 4
	movw	$RM_SEG, %es:RM_IVT + 0x40 * 4 + 2
	movl	$RM_OFF(rm_int_ret), R_INT_RET
	movl	$RM_OFF(rm_de_at), R_DE_AT
	movl	$RM_OFF(rm_gp_at), R_GP_AT
	movl	$RM_OFF(v86_int), R_V86_INT
	movl	$RM_OFF(v86_cli), R_V86_CLI
	movl	$RM_OFF(v86_out), R_V86_OUT
	movl	$RM_OFF(v86_int_at), R_V86_INT_AT

	mov	%cr0, %eax
	mov	%eax, R_CR0

	/* 0x1234:0x0010 is linear 0x12350, and so is 0x1235:0x0000. */
	mov	$0x1234, %ax
	mov	%ax, %es
	movl	$0x5eca1234, %es:0x10
	mov	$0x1235, %ax
	mov	%ax, %es
	mov	%es:0, %eax
	mov	%eax, R_ALIAS

	/* INT 0x40 through the IVT. */
	xor	%dx, %dx
	int	$0x40
rm_int_ret:
	mov	%edx, R_INT_DX

	/* DIV by zero: #DE through the IVT, IP of the DIV. */
	movl	$-1, R_VEC
	movl	$RM_OFF(1f), R_RESUME
	mov	$1, %ax
	xor	%cl, %cl
rm_de_at:
	div	%cl
1:	mov	R_VEC, %eax
	mov	%eax, R_DE_VEC
	mov	R_IP, %eax
	mov	%eax, R_DE_IP

	/* A 32-bit offset beyond DS's 64 KiB limit: #GP. */
	movl	$-1, R_VEC
	movl	$RM_OFF(1f), R_RESUME
	mov	$0x10000, %ebx
rm_gp_at:
	addr32 mov (%ebx), %eax
1:	mov	R_VEC, %eax
	mov	%eax, R_GP_VEC
	mov	R_IP, %eax
	mov	%eax, R_GP_IP

	/* Big real mode: FS still has its 4 GiB limit. */
	movl	$-1, R_VEC
	movl	$RM_OFF(1f), R_RESUME
	mov	$0x200000, %ebx
	addr32 mov %fs:(%ebx), %eax
	mov	%eax, R_BIG_READ
	addr32 movl $0xb16b16, %fs:4(%ebx)
1:	mov	R_VEC, %eax
	mov	%eax, R_BIG_VEC		/* any fault: not -1 */

	movl	$1, R_DONE
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$KCODE, $back_to_pm

rm_int40:
	push	%bp
	mov	%sp, %bp
	movzwl	2(%bp), %eax
	mov	%eax, R_INT_IP
	movzwl	4(%bp), %eax
	mov	%eax, R_INT_CS
	movl	$0x40, R_INT_HIT
	mov	$0x4242, %dx
	pop	%bp
	iret

rm_de:
	movl	$0, R_VEC
	jmp	rm_fault
rm_gp:
	movl	$13, R_VEC
rm_fault:
	push	%bp
	mov	%sp, %bp
	movzwl	2(%bp), %eax
	mov	%eax, R_IP
	mov	R_RESUME, %ax
	mov	%ax, 2(%bp)
	pop	%bp
	iret

/* Virtual-8086 mode (IOPL 0): each of these ends in a #GP. */
v86_int:
	mov	$0x1234, %ax
	mov	%ax, %es
	movl	$0x00086086, %es:0x20	/* linear 0x12360 */
v86_int_at:
	int	$0x40
	hlt
v86_cli:
	cli
	hlt
v86_out:
	out	%al, $0x80
	hlt
	.code32
rm_blob_end:

/*
 * void cf_bios_int(u32 vec, struct bios_regs *r) (bios.c): INT vec in
 * real mode through the BIOS's own IVT (IDTR base 0, limit 0x3ff, where
 * SeaBIOS left its vectors), with EAX-EBP, DS, ES and EFLAGS from *r (IF
 * too: whether interrupts reach the BIOS's handlers in real mode), and
 * *r as the handler left them.  Then r->spin counts down with the flags
 * the INT returned: a window for interrupts in real mode.  bios_blob and
 * *r go to RM_BASE (over cf_real_mode()'s code), the stack is
 * RM_SEG:0xf000, FS and GS are 0; back through back_to_pm.
 */
#define B_EAX		0x00	/* struct bios_regs */
#define B_EBX		0x04
#define B_ECX		0x08
#define B_EDX		0x0c
#define B_ESI		0x10
#define B_EDI		0x14
#define B_EBP		0x18
#define B_DS		0x1c
#define B_ES		0x20
#define B_EFLAGS	0x24
#define B_SPIN		0x28
#define B_SIZE		0x2c
#define B_OFF(x)	((x) - bios_blob)

	.globl	cf_bios_int
cf_bios_int:
	push	%esi
	push	%edi
	mov	$bios_blob, %esi
	mov	$RM_BASE, %edi
	mov	$(bios_blob_end - bios_blob), %ecx
	rep movsb
	mov	16(%esp), %esi
	mov	$RM_BASE, %edi
	mov	$B_SIZE, %ecx
	rep movsb
	mov	12(%esp), %eax
	mov	%al, RM_BASE + B_OFF(bios_int_at) + 1
	call	bios_trip
	mov	$RM_BASE, %esi
	mov	16(%esp), %edi
	mov	$B_SIZE, %ecx
	rep movsb
	pop	%edi
	pop	%esi
	ret

/* Returns from back_to_pm, which takes the stack back from saved_esp. */
bios_trip:
	push	%ebp
	push	%ebx
	push	%esi
	push	%edi
	mov	%esp, saved_esp
	lidt	bios_idt_desc
	ljmp	$CODE16, $B_OFF(bios_pm16)

	.align	16
bios_blob:
	.fill	B_SIZE, 1, 0
/*
 * Our GDT again on the way back: a BIOS call may go to protected mode
 * with a GDT of its own (SeaBIOS puts its caller's back; INT 15h AH=87h
 * leaves the caller's table loaded).
 */
bios_gdt_desc:
	.word	cf_gdt_end - cf_gdt - 1
	.long	cf_gdt
	.code16
bios_pm16:
	mov	$DATA16, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %fs
	mov	%ax, %gs
	mov	%ax, %ss
	mov	%cr0, %eax
	and	$~1, %eax
	mov	%eax, %cr0
	ljmp	$RM_SEG, $B_OFF(bios_rm)

bios_rm:
	mov	$RM_SEG, %ax
	mov	%ax, %ss
	mov	$0xf000, %esp
	xor	%ax, %ax
	mov	%ax, %fs
	mov	%ax, %gs
	pushl	%ss:B_EFLAGS
	mov	%ss:B_ES, %es
	mov	%ss:B_DS, %ds
	mov	%ss:B_EAX, %eax
	mov	%ss:B_EBX, %ebx
	mov	%ss:B_ECX, %ecx
	mov	%ss:B_EDX, %edx
	mov	%ss:B_ESI, %esi
	mov	%ss:B_EDI, %edi
	mov	%ss:B_EBP, %ebp
	popfl
bios_int_at:
	int	$0			/* cf_bios_int() writes vec here */
	pushfl
	popl	%ss:B_EFLAGS
	mov	%eax, %ss:B_EAX
	mov	%ebx, %ss:B_EBX
	mov	%ecx, %ss:B_ECX
	mov	%edx, %ss:B_EDX
	mov	%esi, %ss:B_ESI
	mov	%edi, %ss:B_EDI
	mov	%ebp, %ss:B_EBP
	mov	%ds, %ss:B_DS
	mov	%es, %ss:B_ES
	mov	%ss:B_SPIN, %ecx
	test	%ecx, %ecx
	jz	2f
1:	dec	%ecx
	jnz	1b
2:	cli
	cld
	lgdtl	%ss:B_OFF(bios_gdt_desc)
	mov	%cr0, %eax
	or	$1, %eax
	mov	%eax, %cr0
	ljmpl	$KCODE, $back_to_pm
	.code32
bios_blob_end:

	.data
	.align	16
	.globl	cf_gdt
cf_gdt:
	.quad	0			/* 0x00 */
	.quad	0x00cf9b000000ffff	/* 0x08 code */
	.quad	0x00cf93000000ffff	/* 0x10 data */
	.quad	0x00cffb000000ffff	/* 0x18 code, DPL 3 */
	.quad	0x00cff3000000ffff	/* 0x20 data, DPL 3 */
	.quad	0x0000890000000067	/* 0x28 TSS (_start fills the base) */
	.quad	0x00009b008000ffff	/* 0x30 16-bit code, base RM_BASE */
	.quad	0x000093000000ffff	/* 0x38 16-bit data, 64 KiB */
	.quad	0x0000930000000fff	/* 0x40 data, limit 0xfff */
	.quad	0x0040970000000fff	/* 0x48 data, expand-down, limit 0xfff */
	.quad	0x00cf91000000ffff	/* 0x50 data, read-only */
	.quad	0x00cf13000000ffff	/* 0x58 data, not present */
	.quad	0x00cf99000000ffff	/* 0x60 code, execute-only */
	.quad	0x000093010000ffff	/* 0x68 data, base 0x10000 */
	.quad	0x00cf9b000000ffff	/* 0x70 code, readable */
cf_gdt_end:
cf_gdt_desc:
	.word	cf_gdt_end - cf_gdt - 1
	.long	cf_gdt
cf_idt_desc:
	.word	256 * 8 - 1
	.long	cf_idt
rm_idt_desc:
	.word	256 * 4 - 1
	.long	RM_IVT
bios_idt_desc:
	.word	256 * 4 - 1
	.long	0			/* the BIOS's IVT */
saved_esp:
	.long	0

	.bss
	.align	16
cf_idt:
	.skip	256 * 8
cf_tss:
	.skip	104
	.align	16
	.skip	8192
cf_trap_stack_top:
	.skip	8192
	.globl	cf_user_stack_top
cf_user_stack_top:
	.skip	65536
	.globl	cf_stack_top
cf_stack_top:
